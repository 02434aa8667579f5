//! Village cadres and office duty (坐班值班): the roster computed from the
//! pattern, changes and holidays; sign-in codes; bad input beside the
//! field; permissions per role; what the TV shows (and never shows).

use chrono::{Duration, FixedOffset, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use village_portal::access::Actor;
use village_portal::db::schema::{duty_changes, duty_shifts, duty_signins};
use village_portal::error::AppError;
use village_portal::roster::cadres::{self, CadreForm};
use village_portal::roster::calendar::{self, DayKind, HolidayForm};
use village_portal::roster::duty::{self, ChangeForm, ShiftForm};
use village_portal::roster::signin::{self, SigninForm};
use village_portal::roster::supervision::{self, Presence};
use village_portal::roster::{board, parse_day};

use crate::util::TestApp;

fn cst() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("offset")
}

fn d(s: &str) -> NaiveDate {
    parse_day(s).expect("a day")
}

/// A local time in the deployment's offset, as stored (UTC).
fn local(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("a time") - Duration::hours(8)
}

fn add_cadre(app: &TestApp, actor: &Actor, village: &str, name: &str, user: Option<&str>) -> i64 {
    let village_id = app.place_id(village);
    let user_id = user.map(|u| app.user(u).id);
    cadres::create(
        &mut app.conn(),
        actor,
        &CadreForm {
            village_id: Some(village_id),
            name: name.into(),
            post: "委员".into(),
            phone: "13800000000".into(),
            duty_phone: String::new(),
            user_id,
            photo_id: None,
            position: String::new(),
            active: Some("on".into()),
        },
    )
    .expect("cadre")
    .id
}

fn shift(app: &TestApp, actor: &Actor, village: &str, weekday: i32, cadre: i64) {
    duty::add_shift(
        &mut app.conn(),
        actor,
        app.place_id(village),
        &ShiftForm {
            weekday: weekday.to_string(),
            cadre_id: Some(cadre),
            starts: "08:30".into(),
            ends: "18:00".into(),
        },
    )
    .expect("shift");
}

fn change(kind: &str, day: &str, cadre: i64, other: i64, other_day: &str) -> ChangeForm {
    ChangeForm {
        kind: kind.into(),
        day: day.into(),
        cadre_id: Some(cadre),
        other_cadre_id: Some(other),
        other_day: other_day.into(),
        reason: String::new(),
    }
}

/// Songjia (another township, no demo roster): A Mondays and Wednesdays,
/// B Tuesdays, C on call at weekends.
fn songjia(app: &TestApp) -> (Actor, i64, i64, i64) {
    let actor = app.system_actor();
    let a = add_cadre(app, &actor, "songjia", "宋甲", None);
    let b = add_cadre(app, &actor, "songjia", "宋乙", None);
    let c = add_cadre(app, &actor, "songjia", "宋丙", None);
    for (w, who) in [(1, a), (3, a), (2, b), (6, c), (7, c)] {
        shift(app, &actor, "songjia", w, who);
    }
    (actor, a, b, c)
}

fn who(app: &TestApp, day: &str) -> (DayKind, Vec<(i64, bool, Option<i64>)>) {
    let r = duty::day(&mut app.conn(), app.place_id("songjia"), d(day)).expect("roster");
    (
        r.kind,
        r.duties
            .iter()
            .map(|x| (x.cadre_id, x.on_call, x.covering))
            .collect(),
    )
}

#[actix_web::test]
async fn roster_follows_weekends_holidays_make_up_days_and_changes() {
    let app = TestApp::demo();
    let (actor, a, b, c) = songjia(&app);
    // An ordinary week: Monday 2026-12-07, Tuesday 08, Saturday 12.
    assert_eq!(
        who(&app, "2026-12-07"),
        (DayKind::Workday, vec![(a, false, None)])
    );
    assert_eq!(
        who(&app, "2026-12-08"),
        (DayKind::Workday, vec![(b, false, None)])
    );
    assert_eq!(
        who(&app, "2026-12-12"),
        (DayKind::Weekend, vec![(c, true, None)])
    );
    // The shipped 2026 table: National Day (a Thursday) is on call; the
    // Saturday 10th is worked with Monday's pattern.
    assert_eq!(
        who(&app, "2026-10-01"),
        (DayKind::Holiday, vec![(c, true, None)])
    );
    assert_eq!(
        who(&app, "2026-10-10"),
        (DayKind::MakeUpWorkday, vec![(a, false, None)])
    );
    // The admin adds a holiday: that Wednesday becomes an on-call day.
    calendar::save(
        &mut app.conn(),
        &actor,
        &HolidayForm {
            day: "2026-12-09".into(),
            kind: "holiday".into(),
            name: "测试假日".into(),
        },
    )
    .expect("holiday");
    assert_eq!(
        who(&app, "2026-12-09"),
        (DayKind::Holiday, vec![(c, true, None)])
    );
    // Leave with a substitute, then a swap of two days.
    let songjia_id = app.place_id("songjia");
    duty::add_change(
        &mut app.conn(),
        &actor,
        songjia_id,
        &change("leave", "2026-12-07", a, c, ""),
    )
    .expect("leave");
    assert_eq!(
        who(&app, "2026-12-07"),
        (DayKind::Workday, vec![(c, false, Some(a))])
    );
    duty::add_change(
        &mut app.conn(),
        &actor,
        songjia_id,
        &change("swap", "2026-12-14", a, b, "2026-12-15"),
    )
    .expect("swap");
    assert_eq!(
        who(&app, "2026-12-14"),
        (DayKind::Workday, vec![(b, false, Some(a))])
    );
    assert_eq!(
        who(&app, "2026-12-15"),
        (DayKind::Workday, vec![(a, false, Some(b))])
    );
    // Other weeks keep the pattern.
    assert_eq!(
        who(&app, "2026-12-21"),
        (DayKind::Workday, vec![(a, false, None)])
    );
}

fn refusal(r: Result<impl std::fmt::Debug, AppError>, field: &str) -> String {
    match r {
        Err(AppError::Invalid(e)) => e
            .get(field)
            .unwrap_or_else(|| panic!("no message for {field}: {e}"))
            .to_string(),
        other => panic!("expected a refusal beside {field}, got {other:?}"),
    }
}

#[actix_web::test]
async fn signin_takes_a_fresh_code_once_in_its_own_village_only() {
    let app = TestApp::demo();
    let actor = app.system_actor();
    // The demo links the clerk's account to 耿井村's 文书.
    let clerk = {
        let user = app.user("clerk");
        Actor {
            user_id: Some(user.id),
            username: user.username.clone(),
            role: village_portal::access::Role::Clerk,
            place: village_portal::places::scope_of(&mut app.conn(), app.place_id("gengjing"))
                .expect("scope"),
        }
    };
    let _ = actor;
    let keys = app.state.keys.clone();
    let (gengjing, chenzhuang) = (app.place_id("gengjing"), app.place_id("chenzhuang"));
    let at = local("2026-12-07 08:12");
    let window = signin::window_of(at);
    let form = |v: &str, code: String, kind: &str| SigninForm {
        v: v.into(),
        code,
        kind: kind.into(),
    };
    let sign = |f: &SigninForm, at: NaiveDateTime| {
        signin::sign(&mut app.conn(), &keys, &clerk, f, at, cst())
    };
    let before: i64 = duty_signins::table
        .count()
        .get_result(&mut *app.conn())
        .expect("count");

    // A fresh code from the QR (it names the village).
    let fresh = form("gengjing", signin::code(&keys, gengjing, window), "in");
    let (cadre, s) = sign(&fresh, at).expect("a fresh code signs in");
    assert_eq!(cadre.name, "赵丽");
    assert_eq!((s.day.as_str(), s.kind.as_str()), ("2026-12-07", "in"));
    // The same code again, even a second later: refused.
    assert!(refusal(sign(&fresh, at + Duration::seconds(1)), "code").contains("已经用过"));
    // The previous minute's code is still good (once); older ones are expired.
    let previous = form("", signin::code(&keys, gengjing, window - 1), "out");
    sign(&previous, at).expect("the code of the minute before");
    let old = form("", signin::code(&keys, gengjing, window - 5), "in");
    assert!(refusal(sign(&old, at), "code").contains("过期"));
    // Another village's code: named by the QR, or typed.
    let theirs = signin::code(&keys, chenzhuang, window);
    assert!(
        refusal(sign(&form("chenzhuang", theirs.clone(), "in"), at), "code").contains("陈庄村")
    );
    if theirs != signin::code(&keys, gengjing, window) {
        assert!(refusal(sign(&form("", theirs, "in"), at), "code").contains("陈庄村"));
    }
    // Nonsense.
    assert!(refusal(sign(&form("", "12ab".into(), "in"), at), "code").contains("6 位"));
    let after: i64 = duty_signins::table
        .count()
        .get_result(&mut *app.conn())
        .expect("count");
    assert_eq!(
        after - before,
        2,
        "only the two good codes stored a sign-in"
    );
    assert_eq!(app.audit("duty.signin").len(), 1);
    assert_eq!(app.audit("duty.signout").len(), 1);
}

#[actix_web::test]
async fn the_phone_page_signs_in_and_the_tv_home_says_so() {
    let app = TestApp::demo();
    let mut c = app.client().await;
    c.login_as("clerk").await;
    let page = c.get("/admin/duty/signin?v=gengjing&code=123456").await;
    page.assert_status(200)
        .assert_contains("width=device-width")
        .assert_contains("赵丽");
    // A wrong code: the reason beside the field.
    c.submit(
        "/admin/duty/signin",
        "/admin/duty/signin",
        &[("v", "gengjing"), ("code", "000000"), ("kind", "in")],
    )
    .await;
    let now = village_portal::time::now();
    let code = signin::code(
        &app.state.keys,
        app.place_id("gengjing"),
        signin::window_of(now),
    );
    let wrong = if code == "000001" { "000002" } else { "000001" };
    c.submit(
        "/admin/duty/signin",
        "/admin/duty/signin",
        &[("v", "gengjing"), ("code", wrong), ("kind", "in")],
    )
    .await
    .assert_field_error("签到码");
    let ok = c
        .submit(
            "/admin/duty/signin",
            "/admin/duty/signin",
            &[("v", "gengjing"), ("code", &code), ("kind", "in")],
        )
        .await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    let done = c.get(ok.location().expect("back to the page")).await;
    done.assert_contains("签到成功");
    // The duty person today may be another cadre; the signed-in one is in the office.
    let tv = c.get("/tv/v/gengjing/roster").await;
    tv.assert_status(200);
}

#[actix_web::test]
async fn bad_roster_input_is_refused_beside_the_field_and_nothing_is_stored() {
    let app = TestApp::demo();
    let gengjing = app.place_id("gengjing");
    let mut conn = app.conn();
    let ours = cadres::of_village(&mut conn, gengjing).expect("cadres");
    let theirs = cadres::of_village(&mut conn, app.place_id("chenzhuang")).expect("cadres");
    drop(conn);
    let (ours, theirs) = (ours[0].id.to_string(), theirs[0].id.to_string());
    let count = || -> (i64, i64) {
        let mut conn = app.conn();
        (
            duty_shifts::table
                .count()
                .get_result(&mut *conn)
                .expect("count"),
            duty_changes::table
                .count()
                .get_result(&mut *conn)
                .expect("count"),
        )
    };
    let before = count();
    let mut c = app.client().await;
    c.login_as("clerk").await;
    let page = format!("/admin/roster?village={gengjing}");
    let shifts = format!("/admin/roster/{gengjing}/shifts");
    let changes = format!("/admin/roster/{gengjing}/changes");
    c.get(&page)
        .await
        .assert_status(200)
        .assert_contains("每周排班");
    // A shift overlapping the cadre's own on that weekday (the demo gives
    // each weekday one cadre 08:30-18:00; the first cadre has Thursday).
    c.submit(
        &page,
        &shifts,
        &[
            ("weekday", "4"),
            ("cadre_id", &ours),
            ("starts", "09:00"),
            ("ends", "10:00"),
        ],
    )
    .await
    .assert_field_error("重叠");
    c.submit(
        &page,
        &shifts,
        &[
            ("weekday", "1"),
            ("cadre_id", "999999"),
            ("starts", "09:00"),
            ("ends", "10:00"),
        ],
    )
    .await
    .assert_field_error("找不到这位村干部");
    c.submit(
        &page,
        &shifts,
        &[
            ("weekday", "1"),
            ("cadre_id", &ours),
            ("starts", "25:00"),
            ("ends", "10:00"),
        ],
    )
    .await
    .assert_field_error("开始时间");
    // A substitute who is no cadre of this village.
    let thursday = {
        let today = village_portal::time::to_local(village_portal::time::now(), cst()).date_naive();
        duty::week_start(today) + Duration::days(7 + 3)
    };
    let day = village_portal::roster::day_str(thursday);
    c.submit(
        &page,
        &changes,
        &[
            ("kind", "leave"),
            ("day", &day),
            ("cadre_id", &ours),
            ("other_cadre_id", &theirs),
        ],
    )
    .await
    .assert_field_error("代班人须是本村在职的村干部");
    c.submit(
        &page,
        &changes,
        &[
            ("kind", "leave"),
            ("day", &day),
            ("cadre_id", "999999"),
            ("other_cadre_id", &ours),
        ],
    )
    .await
    .assert_field_error("找不到这位村干部");
    c.submit(
        &page,
        &changes,
        &[
            ("kind", "leave"),
            ("day", "2026-13-01"),
            ("cadre_id", &ours),
            ("other_cadre_id", &ours),
        ],
    )
    .await
    .assert_field_error("请填写日期");
    // A cadre form with bad phone and an unknown account.
    c.submit(
        "/admin/roster/cadres/new",
        "/admin/roster/cadres",
        &[
            ("village_id", &gengjing.to_string()),
            ("name", "新人"),
            ("post", "委员"),
            ("phone", "abc"),
            ("user_id", "999999"),
        ],
    )
    .await
    .assert_field_error("手机号");
    assert_eq!(count(), before, "nothing stored");
    assert!(
        app.audit("duty.shift.add").len() == 7 * 2,
        "only the demo's shifts"
    );
}

#[actix_web::test]
async fn each_role_reaches_its_own_villages_rosters_only() {
    let app = TestApp::demo();
    let (gengjing, chenzhuang, songjia) = (
        app.place_id("gengjing"),
        app.place_id("chenzhuang"),
        app.place_id("songjia"),
    );
    // admin, official (huanghelu), clerk (gengjing), auditor.
    let pages: Vec<(String, [u16; 4])> = vec![
        (
            format!("/admin/roster?village={gengjing}"),
            [200, 200, 200, 403],
        ),
        (
            format!("/admin/roster?village={chenzhuang}"),
            [200, 200, 403, 403],
        ),
        (
            format!("/admin/roster?village={songjia}"),
            [200, 403, 403, 403],
        ),
        ("/admin/roster/cadres/new".into(), [200, 200, 200, 403]),
        ("/admin/roster/supervision".into(), [200, 200, 403, 200]),
        ("/admin/roster/supervision.csv".into(), [200, 200, 403, 200]),
        ("/admin/roster/holidays".into(), [200, 403, 403, 403]),
    ];
    for (i, role) in ["admin", "official", "clerk", "auditor"]
        .into_iter()
        .enumerate()
    {
        let mut c = app.client().await;
        c.login_as(role).await;
        for (path, want) in &pages {
            assert_eq!(c.get(path).await.status, want[i], "{role} GET {path}");
        }
        // Writes: a shift in chenzhuang (the clerk's sibling village) and songjia (another township).
        let cz = format!("/admin/roster/{chenzhuang}/shifts");
        let sj = format!("/admin/roster/{songjia}/shifts");
        let fields = [
            ("weekday", "1"),
            ("cadre_id", ""),
            ("starts", "08:30"),
            ("ends", "09:00"),
        ];
        let cz_status = c.post_signed(&cz, &fields).await.status;
        let sj_status = c.post_signed(&sj, &fields).await.status;
        // Allowed roles reach validation (400: no cadre chosen); others 403.
        let expect = |allowed: bool| if allowed { 400 } else { 403 };
        assert_eq!(
            cz_status,
            expect(role == "admin" || role == "official"),
            "{role} POST {cz}"
        );
        assert_eq!(sj_status, expect(role == "admin"), "{role} POST {sj}");
    }
    // The official's supervision lists its township's villages only.
    let mut c = app.client().await;
    c.login_as("official").await;
    let page = c.get("/admin/roster/supervision").await;
    page.assert_contains("耿井村").assert_contains("陈庄村");
    assert!(!page.body.contains("宋家村"), "another township");
    let csv = c.get("/admin/roster/supervision.csv").await;
    assert!(csv.body.contains("应值") && csv.body.contains("耿井村"));
    assert!(!csv.body.contains("宋家村"));
}

#[actix_web::test]
async fn supervision_counts_late_absent_and_substitutes() {
    let app = TestApp::demo();
    let (actor, a, b, _c) = songjia(&app);
    let songjia_id = app.place_id("songjia");
    let village = village_portal::places::get(&mut app.conn(), songjia_id).expect("village");
    let today = |at: &str| {
        supervision::village_today(&mut app.conn(), village.clone(), local(at), cst())
            .expect("today")
            .presence
    };
    // Monday 2026-12-07: before 09:30 not yet, after it absent.
    assert_eq!(today("2026-12-07 09:00"), Presence::NotYet);
    assert_eq!(today("2026-12-07 09:31"), Presence::Absent);
    assert_eq!(today("2026-12-12 10:00"), Presence::RestDay);
    // Thursday has nobody: the township sees it.
    assert_eq!(today("2026-12-10 10:00"), Presence::NoRoster);
    let put = |cadre: i64, day: &str, at: &str| {
        diesel::insert_into(duty_signins::table)
            .values((
                duty_signins::village_id.eq(songjia_id),
                duty_signins::cadre_id.eq(cadre),
                duty_signins::day.eq(day),
                duty_signins::kind.eq("in"),
                duty_signins::at.eq(local(at)),
            ))
            .execute(&mut *app.conn())
            .expect("sign-in");
    };
    put(a, "2026-12-07", "2026-12-07 08:45");
    assert_eq!(today("2026-12-07 10:00"), Presence::Late);
    put(b, "2026-12-08", "2026-12-08 08:20");
    assert_eq!(today("2026-12-08 10:00"), Presence::OnTime);
    // Wednesday the 9th: B stands in for A and does not sign in.
    duty::add_change(
        &mut app.conn(),
        &actor,
        songjia_id,
        &change("substitute", "2026-12-09", a, b, ""),
    )
    .expect("substitute");
    let month = supervision::village_month(
        &mut app.conn(),
        village.clone(),
        d("2026-12-01"),
        local("2026-12-09 20:00"),
        cst(),
    )
    .expect("month");
    let tally = |id: i64| {
        month
            .cadres
            .iter()
            .find(|c| c.cadre.id == id)
            .map(|c| c.tally.clone())
            .expect("cadre")
    };
    // Dec 1-9: A Mondays/Wednesdays (the 2nd, 7th; the 9th went to B), B Tuesdays (1st, 8th) + the 9th.
    let ta = tally(a);
    assert_eq!(
        (ta.due, ta.present, ta.late, ta.covering, ta.absent),
        (2, 1, 1, 0, 1)
    );
    let tb = tally(b);
    assert_eq!(
        (tb.due, tb.present, tb.late, tb.covering, tb.absent),
        (3, 1, 0, 1, 2)
    );
}

#[actix_web::test]
async fn the_tv_shows_names_posts_and_work_phones_never_private_ones() {
    let app = TestApp::demo();
    let mut c = app.client().await;
    let private = "13805461101"; // 耿志强's own mobile in the demo
    for path in [
        "/tv/v/gengjing",
        "/tv/v/gengjing/roster",
        "/tv/v/gengjing/roster?show=contacts",
        "/tv/v/gengjing/roster?week=1",
        "/tv/v/gengjing/office",
    ] {
        let res = c.get(path).await;
        res.assert_status(200);
        assert!(!res.body.contains(private), "{path} shows a private phone");
        crate::tv::assert_tv_rules(&mut c, &res, path, "/tv/v/gengjing").await;
    }
    let contacts = c.get("/tv/v/gengjing/roster?show=contacts").await;
    contacts
        .assert_contains("耿志强")
        .assert_contains("党支部书记")
        .assert_contains("0546-8221001");
    let home = c.get("/tv/v/gengjing").await;
    home.assert_contains("今日值班");
    // The office screen, once the township registered it: not cached,
    // reloads itself, a PNG QR code.
    crate::office_screens::registered_screen(&app, &mut c, "gengjing").await;
    let office = c.get("/tv/v/gengjing/office").await;
    crate::tv::assert_tv_rules(&mut c, &office, "/tv/v/gengjing/office", "/tv/v/gengjing").await;
    assert!(!office.body.contains(private));
    assert_eq!(office.header("cache-control"), Some("no-store"));
    assert!(office.body.contains("http-equiv=\"refresh\""));
    let now = signin::window_of(village_portal::time::now());
    let gengjing = app.place_id("gengjing");
    let shown = [now, now - 1, now + 1].map(|w| signin::code(&app.state.keys, gengjing, w));
    assert!(shown.iter().any(|code| office.body.contains(code.as_str())));
    let qr = c
        .get(&format!("/tv/v/gengjing/office/qr.png?w={now}"))
        .await;
    assert_eq!(qr.header("content-type"), Some("image/png"));
    assert!(qr.bytes.starts_with(b"\x89PNG"));
    // The board itself carries no private field at all.
    let b = board::load(
        &mut app.conn(),
        gengjing,
        d("2026-12-07"),
        d("2026-12-13"),
        village_portal::time::now(),
        cst(),
    )
    .expect("board");
    assert!(!format!("{b:?}").contains(private));
}

#[actix_web::test]
async fn a_cadre_signed_out_who_scans_the_qr_lands_back_on_the_sign_in_with_the_code() {
    let app = TestApp::demo();
    let mut c = app.client().await;
    let wanted = "/admin/duty/signin?v=gengjing&code=123456";
    let res = c.get(wanted).await;
    assert_eq!(res.status, 303);
    let to = res.location().unwrap_or_default().to_string();
    assert!(to.starts_with("/admin/login?next="), "{to}");
    let form = c.get(&to).await;
    form.assert_status(200)
        .assert_contains("name=\"next\" value=\"/admin/duty/signin?v=gengjing&#38;code=123456\"");
    let signed = c
        .submit(
            &to,
            "/admin/login",
            &[
                ("username", "clerk"),
                ("password", crate::util::DEMO_PASSWORD),
                ("next", wanted),
            ],
        )
        .await;
    assert_eq!(signed.status, 303);
    assert_eq!(signed.location(), Some(wanted));
    c.get(wanted)
        .await
        .assert_status(200)
        .assert_contains("value=\"123456\"");
    // Another site is never where the sign-in leads.
    let mut other = app.client().await;
    for evil in [
        "//evil.example/admin",
        "https://evil.example/",
        "/admin/../\\evil",
    ] {
        let res = other
            .submit(
                "/admin/login",
                "/admin/login",
                &[
                    ("username", "clerk"),
                    ("password", crate::util::DEMO_PASSWORD),
                    ("next", evil),
                ],
            )
            .await;
        assert_eq!(res.location(), Some("/admin"), "{evil}");
        other.post_signed("/admin/logout", &[]).await;
    }
}

#[actix_web::test]
async fn a_shift_and_a_change_are_removed_by_their_keeper_only_and_audited() {
    let app = TestApp::demo();
    let gengjing = app.place_id("gengjing");
    let first = |table: &str| -> Option<i64> {
        let mut conn = app.conn();
        match table {
            "shifts" => duty_shifts::table
                .filter(duty_shifts::village_id.eq(gengjing))
                .select(duty_shifts::id)
                .first(&mut *conn),
            _ => duty_changes::table
                .filter(duty_changes::village_id.eq(gengjing))
                .select(duty_changes::id)
                .first(&mut *conn),
        }
        .optional()
        .expect("query")
    };
    let mut other = app.client().await;
    other.login_as("clerk2").await;
    let mut clerk = app.client().await;
    clerk.login_as("clerk").await;
    for (what, action) in [
        ("shifts", "duty.shift.delete"),
        ("changes", "duty.change.delete"),
    ] {
        let id = first(what).expect("the demo has one");
        let path = format!("/admin/roster/{what}/{id}/delete");
        assert_eq!(other.post_signed(&path, &[]).await.status, 403, "{what}");
        assert_eq!(clerk.post_signed(&path, &[]).await.status, 303, "{what}");
        assert_ne!(first(what), Some(id), "{what} removed");
        assert!(app.audit(action).iter().any(|e| e.target_id == Some(id)));
        assert_eq!(
            clerk.post_signed(&path, &[]).await.status,
            404,
            "{what} twice"
        );
    }
    assert_eq!(
        clerk
            .post_signed("/admin/roster/cadres/1/delete", &[])
            .await
            .status,
        404
    );
}
