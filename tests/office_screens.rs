//! The village office's sign-in screen proves presence only if it is the
//! office's own: an unregistered screen shows a registration number and no
//! code; a township official of the village's township (or an admin)
//! registers it on the village's duty page; then it shows the code. Clerks
//! and officials of other townships cannot register; revoking is audited.

use diesel::prelude::*;
use village_portal::db::schema::{office_pairings, office_screens};
use village_portal::roster::{screens, signin};

use crate::util::{AppService, Client, Resp, TestApp, DEMO_PASSWORD};

/// The registration number an unregistered office screen shows.
pub(crate) fn number_on(res: &Resp) -> String {
    let n: String = res
        .body
        .split("id=\"office-pair\">")
        .nth(1)
        .map(|rest| rest.chars().take(8).collect())
        .unwrap_or_default();
    assert!(
        n.len() == 8 && n.bytes().all(|b| b.is_ascii_digit()),
        "no registration number on the page:\n{}",
        res.body
    );
    n
}

/// The codes the office screen of `village` may show around now.
fn codes_now(app: &TestApp, village: &str) -> [String; 3] {
    let now = signin::window_of(village_portal::time::now());
    let id = app.place_id(village);
    [now, now - 1, now + 1].map(|w| signin::code(&app.state.keys, id, w))
}

/// Asserts the page is the registration page, with no code and no QR code.
#[track_caller]
fn assert_unregistered(app: &TestApp, res: &Resp, village: &str) {
    res.assert_status(200);
    assert!(!res.body.contains("id=\"office-code\""), "{}", res.body);
    assert!(!res.body.contains("qr.png"), "{}", res.body);
    assert!(
        res.body.contains("id=\"office-unregistered\""),
        "{}",
        res.body
    );
    // The number itself may hold six digits of a code by chance: look elsewhere.
    let rest = res.body.replace(&number_on(res), "");
    for code in codes_now(app, village) {
        assert!(
            !rest.contains(&code),
            "{village}'s code {code} is on the page"
        );
    }
}

/// Registers the office screen `tv` shows for `village` as `official`
/// would on the village's duty page; returns the answer to 登记.
pub(crate) async fn register(
    app: &TestApp,
    tv: &mut Client<impl AppService>,
    official: &mut Client<impl AppService>,
    village: &str,
) -> Resp {
    let number = number_on(&tv.get(&format!("/tv/v/{village}/office")).await);
    let id = app.place_id(village);
    official
        .submit(
            &format!("/admin/roster?village={id}"),
            &format!("/admin/roster/{id}/screens"),
            &[("number", &number)],
        )
        .await
}

/// A screen of `village` registered by the demo's official (黄河路街道).
pub(crate) async fn registered_screen(
    app: &TestApp,
    tv: &mut Client<impl AppService>,
    village: &str,
) {
    let mut official = app.client().await;
    official.login_as("official").await;
    let res = register(app, tv, &mut official, village).await;
    assert_eq!(res.status, 303, "{}", res.body);
}

fn active_screens(app: &TestApp, village: &str) -> i64 {
    office_screens::table
        .filter(office_screens::village_id.eq(app.place_id(village)))
        .filter(office_screens::revoked_at.is_null())
        .count()
        .get_result(&mut *app.conn())
        .expect("count")
}

#[actix_web::test]
async fn an_unregistered_office_screen_shows_a_registration_number_and_no_code() {
    let app = TestApp::demo();
    let mut tv = app.client().await;
    let first = tv.get("/tv/v/gengjing/office").await;
    assert_unregistered(&app, &first, "gengjing");
    assert_eq!(first.header("cache-control"), Some("no-store"));
    assert!(first.body.contains("http-equiv=\"refresh\""));
    crate::tv::assert_tv_rules(&mut tv, &first, "/tv/v/gengjing/office", "/tv/v/gengjing").await;
    let cookie = first.set_cookie(screens::COOKIE).expect("a pairing cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("Path=/tv/v/gengjing/office"), "{cookie}");
    // Reloading (each minute) keeps the same number; only hashes are stored.
    let number = number_on(&first);
    let again = tv.get("/tv/v/gengjing/office").await;
    assert_eq!(number_on(&again), number);
    assert!(again.set_cookie(screens::COOKIE).is_none());
    let secret = tv.cookie(screens::COOKIE).expect("kept").to_string();
    let stored: Vec<(String, String)> = office_pairings::table
        .select((office_pairings::secret_hash, office_pairings::number_hash))
        .load(&mut *app.conn())
        .expect("pairings");
    assert_eq!(stored.len(), 1);
    assert!(!stored[0].0.contains(&secret) && !stored[0].1.contains(&number));
    // Another box gets another number.
    let mut other = app.client().await;
    let theirs = number_on(&other.get("/tv/v/gengjing/office").await);
    assert_ne!(theirs, number);
    // The QR code's picture is refused without a registered screen's token.
    let window = signin::window_of(village_portal::time::now());
    for c in [&mut tv, &mut app.client().await] {
        let qr = c
            .get(&format!("/tv/v/gengjing/office/qr.png?w={window}"))
            .await;
        qr.assert_status(403);
        assert!(!qr.bytes.starts_with(b"\x89PNG"));
    }
    // A made-up cookie is no registration either.
    tv.set_cookie(screens::COOKIE, &"ab".repeat(32));
    assert_unregistered(&app, &tv.get("/tv/v/gengjing/office").await, "gengjing");
    tv.set_cookie(screens::COOKIE, "not hex at all");
    assert_unregistered(&app, &tv.get("/tv/v/gengjing/office").await, "gengjing");
}

#[actix_web::test]
async fn clerks_and_officials_of_another_township_cannot_register_a_screen() {
    let app = TestApp::demo();
    let mut tv = app.client().await;
    let number = number_on(&tv.get("/tv/v/gengjing/office").await);
    let gengjing = app.place_id("gengjing");
    let action = format!("/admin/roster/{gengjing}/screens");

    // The village's own clerk keeps the roster but sees no 登记 form.
    let mut clerk = app.client().await;
    clerk.login_as("clerk").await;
    let page = clerk
        .get(&format!("/admin/roster?village={gengjing}"))
        .await;
    page.assert_status(200).assert_contains("办公室签到屏幕");
    assert!(!page.body.contains(&action), "a clerk sees the 登记 form");
    clerk
        .post_signed(&action, &[("number", &number)])
        .await
        .assert_status(403);

    // An official of 胜园街道.
    let shengyuan = app.place_id("shengyuan");
    village_portal::users::create(
        &mut app.conn(),
        &app.system_actor(),
        &village_portal::users::NewUserForm {
            username: "official2".into(),
            display_name: "胜园街道审核员".into(),
            role: "official".into(),
            place_id: Some(shengyuan),
            password: DEMO_PASSWORD.into(),
        },
    )
    .expect("a second official");
    let mut foreign = app.client().await;
    foreign.login_as("official2").await;
    foreign
        .post_signed(&action, &[("number", &number)])
        .await
        .assert_status(403);
    // The right official, but without the session's CSRF token.
    let mut official = app.client().await;
    official.login_as("official").await;
    official
        .post_form(&action, &[("number", &number)])
        .await
        .assert_status(403);
    foreign
        .get(&format!("/admin/roster?village={gengjing}"))
        .await
        .assert_status(403);

    assert_eq!(active_screens(&app, "gengjing"), 0);
    assert!(app.audit("office_screen.register").is_empty());
    assert_unregistered(&app, &tv.get("/tv/v/gengjing/office").await, "gengjing");
}

#[actix_web::test]
async fn the_township_official_registers_the_screen_and_a_cadre_signs_in_with_its_code() {
    let app = TestApp::demo();
    let mut tv = app.client().await;
    tv.get("/tv/v/gengjing/office").await;
    let secret = tv.cookie(screens::COOKIE).expect("pairing").to_string();
    let mut official = app.client().await;
    official.login_as("official").await;
    let res = register(&app, &mut tv, &mut official, "gengjing").await;
    assert_eq!(res.status, 303, "{}", res.body);
    let audit = app.audit("office_screen.register");
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].actor_name, "official");
    assert_eq!(audit[0].place_id, Some(app.place_id("gengjing")));
    // The duty page lists it: who registered it, not yet seen.
    let page = official.get(res.location().expect("back")).await;
    page.assert_contains("尚未连接").assert_contains("撤销");

    // The screen's next reload trades its secret for a token and shows the code.
    let office = tv.get("/tv/v/gengjing/office").await;
    office
        .assert_status(200)
        .assert_contains("id=\"office-code\"");
    let cookie = office.set_cookie(screens::COOKIE).expect("the token");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("Max-Age="),
        "{cookie}"
    );
    let token = tv.cookie(screens::COOKIE).expect("kept").to_string();
    assert_ne!(token, secret);
    let shown: Vec<String> = codes_now(&app, "gengjing")
        .into_iter()
        .filter(|c| office.body.contains(&format!(">{c}<")))
        .collect();
    assert_eq!(shown.len(), 1, "{}", office.body);
    let window = signin::window_of(village_portal::time::now());
    let qr = tv
        .get(&format!("/tv/v/gengjing/office/qr.png?w={window}"))
        .await;
    qr.assert_status(200);
    assert!(qr.bytes.starts_with(b"\x89PNG"));
    let page = official.get(res.location().expect("back")).await;
    assert!(!page.body.contains("尚未连接"), "last seen is recorded");
    // The old secret is spent.
    let mut thief = app.client().await;
    thief.set_cookie(screens::COOKIE, &secret);
    assert_unregistered(&app, &thief.get("/tv/v/gengjing/office").await, "gengjing");

    // The cadre signs in with the code the screen shows.
    let mut phone = app.client().await;
    phone.login_as("clerk").await;
    let code = &shown[0];
    let ok = phone
        .submit(
            &format!("/admin/duty/signin?v=gengjing&code={code}"),
            "/admin/duty/signin",
            &[("v", "gengjing"), ("code", code), ("kind", "in")],
        )
        .await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    assert_eq!(app.audit("duty.signin").len(), 1);
}

#[actix_web::test]
async fn a_screen_of_one_village_does_not_show_another_villages_code() {
    let app = TestApp::demo();
    let mut tv = app.client().await;
    registered_screen(&app, &mut tv, "gengjing").await;
    tv.get("/tv/v/gengjing/office")
        .await
        .assert_contains("id=\"office-code\"");
    let token = tv.cookie(screens::COOKIE).expect("token").to_string();
    // The same token sent to 陈庄村's office screen (a browser would not even send it).
    let mut elsewhere = app.client().await;
    elsewhere.set_cookie(screens::COOKIE, &token);
    let window = signin::window_of(village_portal::time::now());
    elsewhere
        .get(&format!("/tv/v/chenzhuang/office/qr.png?w={window}"))
        .await
        .assert_status(403);
    assert_unregistered(
        &app,
        &elsewhere.get("/tv/v/chenzhuang/office").await,
        "chenzhuang",
    );
    // An admin registers 宋家村's (another township's) screen.
    let mut admin = app.client().await;
    admin.login_as("admin").await;
    let mut songjia = app.client().await;
    let res = register(&app, &mut songjia, &mut admin, "songjia").await;
    assert_eq!(res.status, 303, "{}", res.body);
    songjia
        .get("/tv/v/songjia/office")
        .await
        .assert_contains("id=\"office-code\"");
    assert_eq!(active_screens(&app, "songjia"), 1);
    assert_eq!(active_screens(&app, "chenzhuang"), 0);
}

/// 登记 on gengjing's duty page with `number`; never a server error.
async fn try_number(app: &TestApp, official: &mut Client<impl AppService>, number: &str) -> Resp {
    let gengjing = app.place_id("gengjing");
    let res = official
        .submit(
            &format!("/admin/roster?village={gengjing}"),
            &format!("/admin/roster/{gengjing}/screens"),
            &[("number", number)],
        )
        .await;
    res.assert_not_server_error();
    res
}

#[actix_web::test]
async fn bad_registration_numbers_get_a_message_beside_the_field() {
    let app = TestApp::demo();
    let mut official = app.client().await;
    official.login_as("official").await;
    try_number(&app, &mut official, "")
        .await
        .assert_field_error("8 位登记号");
    try_number(&app, &mut official, "   ")
        .await
        .assert_field_error("8 位登记号");
    try_number(&app, &mut official, "1234abcd")
        .await
        .assert_field_error("8 位数字");
    try_number(&app, &mut official, "1234567")
        .await
        .assert_field_error("8 位数字");
    try_number(&app, &mut official, &"9".repeat(4000))
        .await
        .assert_field_error("8 位数字");
    // A screen of 陈庄村 (the same township): its number is not gengjing's.
    let mut chenzhuang = app.client().await;
    let theirs = number_on(&chenzhuang.get("/tv/v/chenzhuang/office").await);
    try_number(&app, &mut official, &theirs)
        .await
        .assert_field_error("陈庄村")
        .assert_contains(&theirs);
    // A number nobody shows.
    let mut tv = app.client().await;
    let shown = number_on(&tv.get("/tv/v/gengjing/office").await);
    let unknown = ["00000000", "00000001", "00000002"]
        .into_iter()
        .find(|n| *n != shown && *n != theirs)
        .expect("a free number");
    try_number(&app, &mut official, unknown)
        .await
        .assert_field_error("没有这个登记号");
    // An expired number; the screen shows a new one on its next reload.
    let mut late = app.client().await;
    let expired = number_on(&late.get("/tv/v/gengjing/office").await);
    let late_hash = village_portal::crypto::digest_hex(
        late.cookie(screens::COOKIE).expect("secret").as_bytes(),
    );
    diesel::update(office_pairings::table.filter(office_pairings::secret_hash.eq(late_hash)))
        .set(
            office_pairings::expires_at
                .eq(village_portal::time::now() - chrono::Duration::minutes(1)),
        )
        .execute(&mut *app.conn())
        .expect("expire it");
    try_number(&app, &mut official, &expired)
        .await
        .assert_field_error("已过期");
    assert_ne!(number_on(&late.get("/tv/v/gengjing/office").await), expired);
    assert!(app.audit("office_screen.register").is_empty());
    // Typed with a space, as it may be read off the screen: accepted, once.
    let spaced = format!("{} {}", &shown[..4], &shown[4..]);
    let ok = try_number(&app, &mut official, &spaced).await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    try_number(&app, &mut official, &shown)
        .await
        .assert_field_error("没有这个登记号");
    assert_eq!(active_screens(&app, "gengjing"), 1);
    assert_eq!(app.audit("office_screen.register").len(), 1);
}

#[actix_web::test]
async fn revoking_a_screen_sends_it_back_to_the_registration_page_and_is_audited() {
    let app = TestApp::demo();
    let mut tv = app.client().await;
    registered_screen(&app, &mut tv, "gengjing").await;
    tv.get("/tv/v/gengjing/office")
        .await
        .assert_contains("id=\"office-code\"");
    let id: i64 = office_screens::table
        .select(office_screens::id)
        .first(&mut *app.conn())
        .expect("the screen");
    let revoke = format!("/admin/roster/screens/{id}/revoke");
    // Not by the village's clerk.
    let mut clerk = app.client().await;
    clerk.login_as("clerk").await;
    clerk.post_signed(&revoke, &[]).await.assert_status(403);
    assert_eq!(active_screens(&app, "gengjing"), 1);

    let mut official = app.client().await;
    official.login_as("official").await;
    // Not without the session's CSRF token either.
    official
        .post_form(&revoke, &[("csrf_token", "0123abcd")])
        .await
        .assert_status(403);
    assert_eq!(active_screens(&app, "gengjing"), 1);
    let res = official.post_signed(&revoke, &[]).await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(active_screens(&app, "gengjing"), 0);
    let audit = app.audit("office_screen.revoke");
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].target_id, Some(id));
    assert_eq!(audit[0].actor_name, "official");
    // Again: nothing more to revoke, nothing more recorded.
    official.post_signed(&revoke, &[]).await.assert_status(303);
    assert_eq!(app.audit("office_screen.revoke").len(), 1);
    official
        .post_signed("/admin/roster/screens/999999/revoke", &[])
        .await
        .assert_status(404);

    assert_unregistered(&app, &tv.get("/tv/v/gengjing/office").await, "gengjing");
    let window = signin::window_of(village_portal::time::now());
    tv.get(&format!("/tv/v/gengjing/office/qr.png?w={window}"))
        .await
        .assert_status(403);
    let page = official
        .get(&format!(
            "/admin/roster?village={}",
            app.place_id("gengjing")
        ))
        .await;
    page.assert_contains("还没有登记的办公室签到屏幕");
}

/// Asking for registration numbers needs no sign-in, so a flood of them
/// (a script, a cadre who would rather the office had no screen) is slowed
/// per address and never takes away the number a real screen shows.
#[actix_web::test]
async fn a_flood_of_registration_requests_is_slowed_and_keeps_the_real_screens_number() {
    let app = TestApp::demo();
    let mut office = app.client().await;
    let real = number_on(&office.get("/tv/v/gengjing/office").await);
    // Each fresh client asks without a cookie: a new number each time, until
    // the address has asked too often this minute.
    let mut refused = None;
    for n in 0..30 {
        let res = app.client().await.get("/tv/v/gengjing/office").await;
        if res.status != 200 {
            refused = Some((n, res));
            break;
        }
    }
    let (n, res) = refused.expect("30 requests in a minute from one address were all served");
    assert!(n < 15, "refused only after {n}");
    res.assert_status(429).assert_contains("一分钟后再试");
    // The real screen, with its cookie, is still served and keeps its number.
    assert_eq!(number_on(&office.get("/tv/v/gengjing/office").await), real);
    // Past the village's bound of waiting screens no number is dropped: a
    // new screen waits instead.
    let waiting: i64 = office_pairings::table
        .count()
        .get_result(&mut *app.conn())
        .expect("count");
    assert!(waiting <= 15, "{waiting} pairings stored");
    let mut official = app.client().await;
    official.login_as("official").await;
    let id = app.place_id("gengjing");
    let done = official
        .submit(
            &format!("/admin/roster?village={id}"),
            &format!("/admin/roster/{id}/screens"),
            &[("number", &real)],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
}
