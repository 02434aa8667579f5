//! The admin pages: places, users and households through their forms, with
//! the audit trail each write leaves; and the audit-log page's filters and pages.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use village_portal::audit::action_label as label;
use village_portal::db::schema::audit_log;

use crate::util::{AppService, Client, Resp, TestApp};

/// Signs in as the admin.
async fn admin(app: &TestApp) -> Client<impl AppService + '_> {
    let mut c = app.client().await;
    c.login_as("admin").await;
    c
}

async fn new_place(c: &mut Client<impl AppService>, kind: &str, fields: &[(&str, &str)]) -> Resp {
    c.submit(
        &format!("/admin/places/new?kind={kind}"),
        &format!("/admin/places?kind={kind}"),
        fields,
    )
    .await
}

async fn new_user(c: &mut Client<impl AppService>, fields: &[(&str, &str)]) -> Resp {
    c.submit("/admin/users/new", "/admin/users", fields).await
}

async fn new_household(c: &mut Client<impl AppService>, fields: &[(&str, &str)]) -> Resp {
    c.submit("/admin/households/new", "/admin/households", fields)
        .await
}

/// Posts the form at `path` back to `path` (the edit pages).
async fn edit(c: &mut Client<impl AppService>, path: &str, fields: &[(&str, &str)]) -> Resp {
    c.submit(path, path, fields).await
}

#[track_caller]
fn assert_redirect(res: &Resp, to: &str) {
    assert_eq!(res.status, 303, "expected a redirect; body:\n{}", res.body);
    assert_eq!(res.location(), Some(to));
}

// ---------------------------------------------------------------- places

#[actix_web::test]
async fn an_admin_creates_a_township_and_a_village_in_it() {
    let app = TestApp::demo();
    let mut c = admin(&app).await;
    let county = app.place_id("dongying").to_string();
    let res = new_place(
        &mut c,
        "township",
        &[
            ("code", "xinzhen"),
            ("name", "新镇"),
            ("parent_id", &county),
        ],
    )
    .await;
    assert_redirect(&res, "/admin/places");
    let township = app.place_id("xinzhen").to_string();
    let res = new_place(
        &mut c,
        "village",
        &[
            ("code", "xincun"),
            ("name", "新村"),
            ("parent_id", &township),
        ],
    )
    .await;
    assert_redirect(&res, "/admin/places");

    c.get("/admin/places")
        .await
        .assert_status(200)
        .assert_contains("新镇")
        .assert_contains("新村");
    // The new village has a TV home at once.
    c.get("/tv/v/xincun")
        .await
        .assert_status(200)
        .assert_contains("新村")
        .assert_contains("新镇");

    let admin_id = app.user("admin").id;
    let created = app.audit("place.create");
    let [.., t, v] = created.as_slice() else {
        panic!("two place.create entries expected: {created:?}");
    };
    for (entry, code, name) in [(t, "xinzhen", "新镇"), (v, "xincun", "新村")] {
        assert_eq!(entry.actor_name, "admin");
        assert_eq!(entry.actor_id, Some(admin_id));
        assert_eq!(entry.target_id, Some(app.place_id(code)));
        assert!(entry.summary.contains(code) && entry.summary.contains(name));
    }
}

#[actix_web::test]
async fn bad_place_codes_are_explained_beside_the_field() {
    let app = TestApp::demo();
    let mut c = admin(&app).await;
    let township = app.place_id("huanghelu").to_string();
    let before = app.snapshot();
    let too_long = "a".repeat(33);
    for code in [
        "XinCun",
        "新村",
        too_long.as_str(),
        "",
        "-xin",
        "xin cun",
        "x",
    ] {
        let res = new_place(
            &mut c,
            "village",
            &[("code", code), ("name", "新村"), ("parent_id", &township)],
        )
        .await;
        res.assert_field_error("代码须为");
        // The form comes back filled in.
        res.assert_contains("value=\"新村\"");
    }
    for taken in ["gengjing", "huanghelu", "dongying"] {
        new_place(
            &mut c,
            "village",
            &[("code", taken), ("name", "新村"), ("parent_id", &township)],
        )
        .await
        .assert_field_error("已被使用");
    }
    assert_eq!(app.snapshot(), before);
}

#[actix_web::test]
async fn a_place_needs_a_parent_of_the_right_kind() {
    let app = TestApp::demo();
    let mut c = admin(&app).await;
    let before = app.snapshot();
    let id = |code: &str| app.place_id(code).to_string();
    for parent in [id("dongying"), id("chenzhuang"), "987654".into()] {
        new_place(
            &mut c,
            "village",
            &[("code", "xincun"), ("name", "新村"), ("parent_id", &parent)],
        )
        .await
        .assert_field_error("上级必须是一个乡镇街道");
    }
    new_place(&mut c, "village", &[("code", "xincun"), ("name", "新村")])
        .await
        .assert_field_error("请选择上级");
    // The form's "请选择" option sends an empty value.
    new_place(
        &mut c,
        "village",
        &[("code", "xincun"), ("name", "新村"), ("parent_id", "")],
    )
    .await
    .assert_field_error("请选择上级");
    new_place(
        &mut c,
        "township",
        &[
            ("code", "xinzhen"),
            ("name", "新镇"),
            ("parent_id", &id("huanghelu")),
        ],
    )
    .await
    .assert_field_error("上级必须是一个县区");
    // No kind at all: a clear 400, not a crash.
    let res = c
        .post_signed(
            "/admin/places",
            &[
                ("code", "xincun"),
                ("name", "新村"),
                ("parent_id", &id("huanghelu")),
            ],
        )
        .await;
    res.assert_status(400).assert_contains("village");
    assert_eq!(app.snapshot(), before);
}

#[actix_web::test]
async fn editing_a_place_renames_it_and_logs_before_and_after() {
    let app = TestApp::demo();
    let mut c = admin(&app).await;
    let gengjing = app.place_id("gengjing");
    let (huanghelu, shengyuan) = (app.place_id("huanghelu"), app.place_id("shengyuan"));
    let page = format!("/admin/places/{gengjing}");
    c.get(&page)
        .await
        .assert_status(200)
        .assert_contains("value=\"耿井村\"");

    let res = edit(
        &mut c,
        &page,
        &[
            ("code", "renamed"),
            ("name", "耿井新村"),
            ("parent_id", &huanghelu.to_string()),
        ],
    )
    .await;
    assert_redirect(&res, "/admin/places");
    c.get("/tv/v/gengjing")
        .await
        .assert_status(200)
        .assert_contains("耿井新村");
    let updates = app.audit("place.update");
    let last = updates.last().expect("a place.update entry");
    assert_eq!(last.actor_name, "admin");
    assert_eq!(last.target_id, Some(gengjing));
    assert_eq!(last.summary, "name: 耿井村 -> 耿井新村");
    // The code is fixed once made: TV addresses contain it.
    assert_eq!(app.place_id("gengjing"), gengjing);

    // Moving the village to another township.
    let res = edit(
        &mut c,
        &page,
        &[("name", "耿井新村"), ("parent_id", &shengyuan.to_string())],
    )
    .await;
    assert_redirect(&res, "/admin/places");
    let last = app.audit("place.update").pop().expect("entry");
    assert_eq!(
        last.summary,
        format!("parent_id: {huanghelu} -> {shengyuan}")
    );
    c.get("/tv/v/gengjing").await.assert_contains("胜园街道");

    // An empty name is refused beside the field, and changes nothing.
    let before = app.snapshot();
    edit(
        &mut c,
        &page,
        &[("name", "  "), ("parent_id", &shengyuan.to_string())],
    )
    .await
    .assert_field_error("请填写名称");
    assert_eq!(app.snapshot(), before);
}

// ----------------------------------------------------------------- users

/// A new-user form for a clerk of gengjing, with this username and password.
fn user_fields<'a>(app: &TestApp, username: &'a str, password: &'a str) -> Vec<(&'a str, String)> {
    vec![
        ("username", username.to_string()),
        ("display_name", "王五".to_string()),
        ("role", "clerk".to_string()),
        ("place_id", app.place_id("gengjing").to_string()),
        ("password", password.to_string()),
    ]
}

/// `fields` as a form, with the values in `replace` instead of theirs.
fn with<'a>(
    fields: &'a [(&'a str, String)],
    replace: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut out: Vec<(&str, &str)> = fields
        .iter()
        .filter(|(k, _)| !replace.iter().any(|(r, _)| r == k))
        .map(|(k, v)| (*k, v.as_str()))
        .collect();
    out.extend_from_slice(replace);
    out
}

#[actix_web::test]
async fn a_short_password_is_refused_and_not_echoed() {
    let app = TestApp::demo();
    let mut c = admin(&app).await;
    let eleven = "elevenchars";
    assert_eq!(eleven.chars().count(), 11);
    let fields = user_fields(&app, "wangwu", eleven);
    let res = new_user(&mut c, &with(&fields, &[])).await;
    res.assert_field_error("至少 12");
    assert!(!res.body.contains(eleven), "the password is shown again");
    res.assert_contains("value=\"wangwu\"");
    assert!(!app.user_exists("wangwu"));
}

#[actix_web::test]
async fn a_100_kb_username_gets_a_message_and_nothing_is_stored() {
    let app = TestApp::demo();
    let mut c = admin(&app).await;
    let before = app.snapshot();
    let huge = "a".repeat(100 * 1024);
    let fields = user_fields(&app, &huge, "a-long-enough-password");
    let res = new_user(&mut c, &with(&fields, &[])).await;
    res.assert_field_error("用户名须为");
    assert!(res.body.len() < 20_000, "the page repeats the huge name");
    assert_eq!(app.snapshot(), before);
}

#[actix_web::test]
async fn missing_or_malformed_user_fields_get_messages_not_a_crash() {
    let app = TestApp::demo();
    let mut c = admin(&app).await;
    let before = app.snapshot();

    let res = new_user(&mut c, &[]).await;
    res.assert_field_error("用户名须为")
        .assert_field_error("密码至少")
        .assert_field_error("请选择角色");

    let fields = user_fields(&app, "wangwu", "a-long-enough-password");
    // The drop-downs' "请选择" options send empty values.
    new_user(&mut c, &with(&fields, &[("place_id", "")]))
        .await
        .assert_field_error("请选择所属地点");
    new_user(&mut c, &with(&fields, &[("role", "")]))
        .await
        .assert_field_error("请选择角色");
    new_user(&mut c, &with(&fields, &[("role", "superuser")]))
        .await
        .assert_field_error("请选择角色");
    new_user(&mut c, &with(&fields, &[("place_id", "987654")]))
        .await
        .assert_field_error("所属地点不存在");
    // Not a number at all: still a 400 with a message.
    new_user(&mut c, &with(&fields, &[("place_id", "abc")]))
        .await
        .assert_status(400);
    new_user(&mut c, &with(&fields, &[("username", "admin")]))
        .await
        .assert_field_error("已存在");
    assert_eq!(app.snapshot(), before);
}

#[actix_web::test]
async fn a_role_must_belong_to_a_place_of_its_kind() {
    let app = TestApp::demo();
    let mut c = admin(&app).await;
    let before = app.snapshot();
    let fields = user_fields(&app, "wangwu", "a-long-enough-password");
    let id = |code: &str| app.place_id(code).to_string();
    let cases = [
        ("clerk", id("huanghelu"), "村文书必须属于一个村"),
        ("official", id("gengjing"), "乡镇审核员必须属于一个乡镇街道"),
        ("admin", id("huanghelu"), "县级管理员必须属于一个县区"),
        ("auditor", id("gengjing"), "审计员必须属于一个县区"),
    ];
    for (role, place, message) in &cases {
        new_user(
            &mut c,
            &with(&fields, &[("role", role), ("place_id", place.as_str())]),
        )
        .await
        .assert_field_error(message);
    }
    assert_eq!(app.snapshot(), before);
}

#[actix_web::test]
async fn long_passwords_are_accepted_and_the_new_users_sign_in() {
    let app = TestApp::demo();
    let mut c = admin(&app).await;
    let long = "correct horse battery staple ".repeat(3);
    let chinese = "长".repeat(64);
    let cases = [
        ("twelve", "twelve-chars"),
        ("longpass", long.trim()),
        ("chinese", chinese.as_str()),
    ];
    assert_eq!(cases[0].1.chars().count(), 12);
    assert!(cases[1].1.chars().count() > 64);
    for (i, (username, password)) in cases.iter().enumerate() {
        let fields = user_fields(&app, username, password);
        let res = new_user(&mut c, &with(&fields, &[])).await;
        assert_redirect(&res, "/admin/users");
        let user = app.user(username);
        assert!(user.password_hash.starts_with("$argon2id$"));
        assert!(!user.password_hash.contains(password));

        let mut newcomer = app.client().await;
        newcomer.set_peer(&format!("10.0.1.{i}:5000"));
        let res = newcomer.login(username, password).await;
        assert_eq!(res.status, 303, "{username} signs in: {}", res.body);
        newcomer
            .get("/admin/households")
            .await
            .assert_status(200)
            .assert_contains("STB0001");
    }
    let list = c.get("/admin/users").await;
    for (username, _) in cases {
        list.assert_contains(username);
    }
    let created = app.audit("user.create");
    let last = created.last().expect("entry");
    assert_eq!(last.actor_name, "admin");
    assert!(last.summary.contains("chinese"));
    assert!(!last.summary.contains(&chinese));
}

#[actix_web::test]
async fn an_admin_cannot_disable_their_own_account() {
    let app = TestApp::demo();
    let mut c = admin(&app).await;
    let before = app.snapshot();
    let me = app.user("admin");
    let county = me.place_id.to_string();
    let page = format!("/admin/users/{}", me.id);
    edit(
        &mut c,
        &page,
        &[
            ("display_name", &me.display_name),
            ("role", "admin"),
            ("place_id", &county),
            ("disabled", "on"),
        ],
    )
    .await
    .assert_field_error("不能停用自己");
    assert_eq!(app.snapshot(), before);
    c.get("/admin").await.assert_status(200);
}

// ------------------------------------------------------------ households

fn household_fields<'a>(
    app: &TestApp,
    stb: &'a str,
    number: &'a str,
    pin: &'a str,
) -> Vec<(&'a str, String)> {
    vec![
        ("village_id", app.place_id("gengjing").to_string()),
        ("stb_id", stb.to_string()),
        ("number", number.to_string()),
        ("pin", pin.to_string()),
    ]
}

#[actix_web::test]
async fn a_household_is_created_with_a_hashed_pin() {
    let app = TestApp::demo();
    let mut c = app.client().await;
    c.login_as("clerk").await;
    let pin = "864209";
    let fields = household_fields(&app, "STB0042", "042", pin);
    let res = new_household(&mut c, &with(&fields, &[])).await;
    let gengjing = app.place_id("gengjing");
    assert_redirect(&res, &format!("/admin/households?village={gengjing}"));

    let h = app.household("STB0042");
    assert_eq!((h.village_id, h.number.as_str()), (gengjing, "042"));
    assert!(h.pin_hash.starts_with("$argon2id$"), "{}", h.pin_hash);
    assert!(!h.pin_hash.contains(pin));
    assert!(village_portal::crypto::verify_secret(&h.pin_hash, pin));

    let list = c
        .get(&format!("/admin/households?village={gengjing}"))
        .await;
    list.assert_contains("STB0042");
    assert!(!list.body.contains(pin));
    // The box now finds its village.
    let tv = c.get("/tv?stbid=STB0042").await;
    assert_eq!(tv.status, 302);
    assert_eq!(tv.location(), Some("/tv/v/gengjing"));

    let entry = app.audit("household.create").pop().expect("entry");
    assert_eq!(entry.actor_name, "clerk");
    assert!(entry.summary.contains("STB0042") && !entry.summary.contains(pin));
}

#[actix_web::test]
async fn bad_pins_and_taken_stb_ids_are_refused_beside_the_field() {
    let app = TestApp::demo();
    let mut c = admin(&app).await;
    let before = app.snapshot();
    for pin in ["abc", "123", "1234567", "", "12 34"] {
        let fields = household_fields(&app, "STB0042", "042", pin);
        let res = new_household(&mut c, &with(&fields, &[])).await;
        res.assert_field_error("PIN 须为");
        assert!(
            pin.is_empty() || !res.body.contains(&format!("value=\"{pin}\"")),
            "the PIN is shown again"
        );
    }
    // Taken: an STB id of another village, and a number of this village.
    for (stb, number, message) in [
        ("STB0101", "042", "机顶盒号 STB0101 已登记在另一户"),
        ("STB0042", "001", "本村已有户号 001"),
    ] {
        let fields = household_fields(&app, stb, number, "2468");
        new_household(&mut c, &with(&fields, &[]))
            .await
            .assert_field_error(message);
    }
    let fields = household_fields(&app, "STB 42", "042", "2468");
    new_household(&mut c, &with(&fields, &[]))
        .await
        .assert_field_error("机顶盒号须为");
    assert_eq!(app.snapshot(), before);
}

#[actix_web::test]
async fn editing_a_household_with_an_empty_pin_keeps_the_pin() {
    let app = TestApp::demo();
    let mut c = app.client().await;
    c.login_as("clerk").await;
    let before = app.household("STB0001");
    let page = format!("/admin/households/{}", before.id);
    c.get(&page)
        .await
        .assert_status(200)
        .assert_contains("value=\"STB0001\"");

    let fields = household_fields(&app, "STB0001", "101", "");
    assert_eq!(edit(&mut c, &page, &with(&fields, &[])).await.status, 303);
    let after = app.household("STB0001");
    assert_eq!(after.number, "101");
    assert_eq!(
        after.pin_hash, before.pin_hash,
        "an empty PIN keeps the old one"
    );
    let entry = app.audit("household.update").pop().expect("entry");
    assert_eq!(entry.summary, "number: 001 -> 101");

    let fields = household_fields(&app, "STB0001", "101", "5678");
    assert_eq!(edit(&mut c, &page, &with(&fields, &[])).await.status, 303);
    let after = app.household("STB0001");
    assert_ne!(after.pin_hash, before.pin_hash);
    assert!(village_portal::crypto::verify_secret(
        &after.pin_hash,
        "5678"
    ));
    let entry = app.audit("household.update").pop().expect("entry");
    assert_eq!(entry.summary, "pin: changed");
}

#[actix_web::test]
async fn a_household_page_past_the_end_shows_the_last_page() {
    let app = TestApp::demo();
    let mut c = app.client().await;
    c.login_as("clerk").await;
    // The demo's health station gives gengjing about a hundred households.
    let count: i64 = village_portal::db::schema::households::table
        .filter(village_portal::db::schema::households::village_id.eq(app.place_id("gengjing")))
        .count()
        .get_result(&mut *app.conn())
        .expect("count");
    let last = (count + 19) / 20;
    assert!(last > 1);
    let res = c.get("/admin/households?page=999").await;
    res.assert_status(200)
        .assert_contains(&format!("第 {last}/{last} 页"));
}

// ------------------------------------------------------------- audit log

/// One row of the audit page's table, as shown.
#[derive(Debug)]
struct Row {
    at: String,
    actor: String,
    action: String,
    place: String,
}

fn unescape(s: &str) -> String {
    s.replace("&#62;", ">")
        .replace("&gt;", ">")
        .replace("&#60;", "<")
        .replace("&lt;", "<")
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#38;", "&")
        .replace("&amp;", "&")
}

/// The rows of the audit table (none when it says there are none).
fn audit_rows(res: &Resp) -> Vec<Row> {
    res.assert_status(200);
    let body = res
        .body
        .split("<tbody>")
        .nth(1)
        .and_then(|b| b.split("</tbody>").next())
        .expect("the audit table");
    body.split("<tr>")
        .skip(1)
        .filter(|row| !row.contains("colspan"))
        .map(|row| {
            let cells: Vec<String> = row
                .split("<td")
                .skip(1)
                .filter_map(|cell| {
                    let text = cell.split_once('>')?.1;
                    Some(unescape(text.split("</td>").next()?))
                })
                .collect();
            assert_eq!(cells.len(), 6, "a row of six cells: {row}");
            Row {
                at: cells[0].clone(),
                actor: cells[1].clone(),
                action: cells[2].clone(),
                place: cells[4].clone(),
            }
        })
        .collect()
}

/// An entry made at a given UTC time (`2024-03-10 15:59`).
fn arrange_entry(app: &TestApp, utc: &str, actor: &str, action: &str, place: &str) {
    let at = NaiveDateTime::parse_from_str(utc, "%Y-%m-%d %H:%M").expect("time");
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::at.eq(at),
            audit_log::actor_name.eq(actor),
            audit_log::action.eq(action),
            audit_log::target_type.eq("test"),
            audit_log::place_id.eq(Some(app.place_id(place))),
            audit_log::summary.eq("arranged by the test"),
        ))
        .execute(&mut *app.conn())
        .expect("insert audit entry");
}

/// Entries around a local (+08:00) midnight: 2024-03-10 23:59 and
/// 2024-03-11 00:00 local, then 2024-03-12 11:00 local.
fn arrange_entries(app: &TestApp) {
    arrange_entry(app, "2024-03-10 15:59", "wang", "test.alpha", "gengjing");
    arrange_entry(app, "2024-03-10 16:00", "wang", "test.beta", "chenzhuang");
    arrange_entry(app, "2024-03-12 03:00", "li", "test.alpha", "gengjing");
}

#[actix_web::test]
async fn the_audit_log_filters_by_user_action_and_place() {
    let app = TestApp::demo();
    arrange_entries(&app);
    let mut c = admin(&app).await;

    let rows = audit_rows(&c.get("/admin/audit?user=wang").await);
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(rows.iter().all(|r| r.actor == "wang"));
    // Newest first, in local time.
    assert_eq!(rows[0].at, "2024-03-11 00:00");
    assert_eq!(rows[1].at, "2024-03-10 23:59");

    let rows = audit_rows(&c.get("/admin/audit?action=test.alpha").await);
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| r.action == "test.alpha"));

    let gengjing = app.place_id("gengjing");
    let rows = audit_rows(&c.get(&format!("/admin/audit?place={gengjing}")).await);
    let expected: i64 = audit_log::table
        .filter(audit_log::place_id.eq(gengjing))
        .count()
        .get_result(&mut *app.conn())
        .expect("count");
    // The first page of them (50 a page).
    assert_eq!(rows.len() as i64, expected.min(50));
    assert!(rows.len() > 2, "the demo's entries for gengjing as well");
    assert!(rows.iter().all(|r| r.place == "耿井村"), "{rows:?}");

    let rows = audit_rows(
        &c.get(&format!(
            "/admin/audit?user=li&action=test.alpha&place={gengjing}"
        ))
        .await,
    );
    assert_eq!(rows.len(), 1);
    let none = c.get("/admin/audit?user=li&action=test.beta").await;
    assert!(audit_rows(&none).is_empty());
    none.assert_contains("没有符合条件的记录");
}

#[actix_web::test]
async fn the_audit_log_filters_by_local_date_range() {
    let app = TestApp::demo();
    arrange_entries(&app);
    let mut c = admin(&app).await;
    let cases = [
        ("from=2024-03-10&to=2024-03-10", vec!["2024-03-10 23:59"]),
        ("from=2024-03-11&to=2024-03-11", vec!["2024-03-11 00:00"]),
        (
            "to=2024-03-11",
            vec!["2024-03-11 00:00", "2024-03-10 23:59"],
        ),
        (
            "from=2024-03-11&to=2024-03-12",
            vec!["2024-03-12 11:00", "2024-03-11 00:00"],
        ),
        ("from=2024-03-13&to=2024-12-31", vec![]),
    ];
    for (range, expected) in cases {
        let rows = audit_rows(&c.get(&format!("/admin/audit?{range}")).await);
        let times: Vec<&str> = rows.iter().map(|r| r.at.as_str()).collect();
        assert_eq!(times, expected, "{range}");
    }
}

#[actix_web::test]
async fn a_bad_date_in_the_audit_filter_gets_a_message() {
    let app = TestApp::demo();
    let mut c = admin(&app).await;
    for query in [
        "from=2024-13-45",
        "to=yesterday",
        "from=2024-03-10&to=31.12.2024",
        "from=%E4%BB%8A%E5%A4%A9",
    ] {
        let res = c.get(&format!("/admin/audit?{query}")).await;
        res.assert_status(200);
        assert!(
            res.field_errors().iter().any(|e| e.contains("日期格式")),
            "{query}: {}",
            res.body
        );
    }
}

#[actix_web::test]
async fn the_audit_log_is_paged_by_fifty() {
    let app = TestApp::demo();
    {
        let mut actor = app.system_actor();
        actor.username = "pager".into();
        let mut conn = app.conn();
        for i in 0..60 {
            village_portal::audit::record(
                &mut conn,
                &actor,
                village_portal::audit::Event {
                    action: "test.page",
                    target_type: "test",
                    target_id: Some(i),
                    place_id: None,
                    summary: format!("entry {i}"),
                },
            )
            .expect("record");
        }
    }
    let mut c = app.client().await;
    c.login_as("auditor").await;

    let first = c.get("/admin/audit?user=pager").await;
    first
        .assert_contains("共 60 条")
        .assert_contains("第 1/2 页");
    assert_eq!(audit_rows(&first).len(), 50);
    // The next-page link keeps the filter.
    let pager = first.body.split("class=\"pager\"").nth(1).expect("pager");
    assert!(
        pager.contains("user=pager") && pager.contains("page=2"),
        "{pager}"
    );

    let second = c.get("/admin/audit?user=pager&page=2").await;
    second.assert_contains("第 2/2 页");
    let rows = audit_rows(&second);
    assert_eq!(rows.len(), 10);
    assert!(rows.iter().all(|r| r.actor == "pager"));

    for odd in ["abc", "0", "-3"] {
        let res = c.get(&format!("/admin/audit?user=pager&page={odd}")).await;
        res.assert_contains("第 1/2 页");
        assert_eq!(audit_rows(&res).len(), 50, "page={odd}");
    }
    // Past the end: the last page, with its rows.
    let past = c.get("/admin/audit?user=pager&page=99").await;
    past.assert_contains("第 2/2 页");
    assert_eq!(audit_rows(&past).len(), 10);
}

#[actix_web::test]
async fn an_auditor_reads_the_log_of_every_write() {
    let app = TestApp::demo();
    let mut admin = admin(&app).await;
    let township = app.place_id("huanghelu").to_string();
    let res = new_place(
        &mut admin,
        "village",
        &[
            ("code", "xincun"),
            ("name", "新村"),
            ("parent_id", &township),
        ],
    )
    .await;
    assert_redirect(&res, "/admin/places");

    let mut auditor = app.client().await;
    auditor.login_as("auditor").await;
    let rows = audit_rows(&auditor.get("/admin/audit?user=admin").await);
    let actions: Vec<&str> = rows.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(actions, [label("place.create"), label("session.sign_in")]);
    assert_eq!(rows[0].place, "新村");
    let own = audit_rows(&auditor.get("/admin/audit?user=auditor").await);
    assert_eq!(own.len(), 1);
    assert_eq!(own[0].action, label("session.sign_in"));
}
