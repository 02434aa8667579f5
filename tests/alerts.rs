//! Emergency alerts (应急广播): officials and admins publish them without
//! review; every TV page of the targeted villages carries a banner; a box sees
//! the full-screen alert page first, once; ending early takes it off at once.

use chrono::{Duration, FixedOffset, Utc};
use diesel::prelude::*;
use village_portal::db::schema::{alert_villages, alerts};

use crate::tv::assert_tv_rules;
use crate::util::{AppService, Client, Resp, TestApp};

const TEXT: &str = "今天下午到夜间有七级大风，请收好晾晒的粮食，不要在河边和大棚附近逗留。";
/// Every TV section of a village.
const SECTIONS: [&str; 8] = [
    "notices", "news", "party", "affairs", "roster", "health", "cameras", "videos",
];

/// A local `YYYY-MM-DDTHH:MM` this many hours from now (+08:00, the default offset).
fn local_in(hours: i64) -> String {
    let cst = FixedOffset::east_opt(8 * 3600).expect("offset");
    (Utc::now() + Duration::hours(hours))
        .with_timezone(&cst)
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

fn count_alerts(app: &TestApp) -> i64 {
    alerts::table
        .count()
        .get_result(&mut *app.conn())
        .expect("count alerts")
}

async fn signed_in<'a>(app: &'a TestApp, user: &str) -> Client<impl AppService + 'a> {
    let mut c = app.client().await;
    c.login_as(user).await;
    c
}

/// Posts the alert form with the page's CSRF token.
async fn publish(c: &mut Client<impl AppService>, fields: &[(&str, &str)]) -> Resp {
    c.submit("/admin/alerts/new", "/admin/alerts", fields).await
}

/// The id of the newest alert (the one just created).
fn newest(app: &TestApp) -> i64 {
    alerts::table
        .order(alerts::id.desc())
        .select(alerts::id)
        .first(&mut *app.conn())
        .expect("an alert")
}

/// An official's township-wide alert; returns its id.
async fn township_alert(app: &TestApp, level: &str, text: &str) -> i64 {
    let mut official = signed_in(app, "official").await;
    let township = app.place_id("huanghelu").to_string();
    let ends = local_in(6);
    let res = publish(
        &mut official,
        &[
            ("level", level),
            ("text", text),
            ("target", &township),
            ("starts_at", ""),
            ("ends_at", &ends),
        ],
    )
    .await;
    assert_eq!(res.status, 303, "not published:\n{}", res.body);
    assert_eq!(res.location(), Some("/admin/alerts?saved=create"));
    newest(app)
}

/// A TV client that has dismissed alert `id` (as 我知道了 leaves it).
async fn tv_box(app: &TestApp, seen: Option<i64>) -> Client<impl AppService + '_> {
    let mut c = app.client().await;
    if let Some(id) = seen {
        c.set_cookie("vp_alert_seen", &id.to_string());
    }
    c
}

fn has_banner(res: &Resp) -> bool {
    res.body.contains("id=\"alertbar\"")
}

/// The address of some article on air in a village (from its notices list).
async fn an_article(c: &mut Client<impl AppService>, village: &str) -> String {
    let list = c.get(&format!("/tv/v/{village}/notices")).await;
    list.assert_status(200);
    let marker = format!("href=\"/tv/v/{village}/a/");
    let at = list
        .body
        .find(&marker)
        .unwrap_or_else(|| panic!("no article on air in {village}:\n{}", list.body))
        + "href=\"".len();
    list.body[at..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_string()
}

#[actix_web::test]
async fn a_township_alert_shows_on_every_page_of_its_villages_and_nowhere_else() {
    let app = TestApp::demo();
    let id = township_alert(&app, "orange", TEXT).await;
    let mut tv = tv_box(&app, Some(id)).await;
    for village in ["gengjing", "chenzhuang"] {
        let mut pages = vec![format!("/tv/v/{village}")];
        pages.extend(SECTIONS.iter().map(|s| format!("/tv/v/{village}/{s}")));
        pages.push(an_article(&mut tv, village).await);
        for path in pages {
            let res = tv.get(&path).await;
            res.assert_status(200);
            assert!(has_banner(&res), "{path}: no banner");
            res.assert_contains("class=\"hd alerting\"")
                .assert_contains("lv-orange")
                .assert_contains("橙色预警");
            // The banner shows the start of the text on one line.
            res.assert_contains(&TEXT.chars().take(20).collect::<String>());
        }
    }
    // Another township's village: no banner, no redirect, even for a fresh box.
    let mut fresh = tv_box(&app, None).await;
    for path in ["/tv/v/songjia", "/tv/v/songjia/notices"] {
        let res = fresh.get(path).await;
        res.assert_status(200);
        assert!(!has_banner(&res), "{path}: banner of another township");
    }
    // Unknown villages and the chooser are untouched.
    fresh.get("/tv/v/nowhere").await.assert_status(404);
    fresh.get("/tv/villages").await.assert_status(200);
}

#[actix_web::test]
async fn a_box_sees_the_alert_page_first_and_after_ok_only_the_banner() {
    let app = TestApp::demo();
    let id = township_alert(&app, "red", TEXT).await;
    let mut tv = tv_box(&app, None).await;

    // The first page the box opens (with its query) leads to the alert page.
    let res = tv.get("/tv/v/gengjing/notices?page=2").await;
    res.assert_status(302);
    let alert_page =
        format!("/tv/v/gengjing/alert/{id}?next=%2Ftv%2Fv%2Fgengjing%2Fnotices%3Fpage%3D2");
    assert_eq!(res.location(), Some(alert_page.as_str()));
    assert_eq!(res.header("cache-control"), Some("no-store"));

    let page = tv.get(&alert_page).await;
    // The text carries line-break opportunities (<wbr>) for old engines.
    assert!(
        page.body.replace("<wbr>", "").contains(TEXT),
        "{}",
        page.body
    );
    page.assert_status(200)
        .assert_contains("红色预警")
        .assert_contains("黄河路街道")
        .assert_contains("我知道了")
        .assert_contains("lv-red");
    let ok = format!("/tv/v/gengjing/alert/{id}/ok?next=%2Ftv%2Fv%2Fgengjing%2Fnotices%3Fpage%3D2");
    assert!(
        page.body
            .contains(&format!("href=\"{}\"", ok.replace('&', "&amp;"))),
        "{}",
        page.body
    );
    // 返回 and 首页 dismiss too; the page follows the TV rules.
    let home_ok = format!("/tv/v/gengjing/alert/{id}/ok?next=%2Ftv%2Fv%2Fgengjing");
    assert_tv_rules(&mut tv, &page, &alert_page, &home_ok).await;

    // 我知道了: the cookie is set for all TV pages and the box goes on.
    let res = tv.get(&ok).await;
    res.assert_status(302);
    assert_eq!(res.location(), Some("/tv/v/gengjing/notices?page=2"));
    let cookie = res.set_cookie("vp_alert_seen").expect("seen cookie");
    assert!(
        cookie.starts_with(&format!("vp_alert_seen={id};")),
        "{cookie}"
    );
    assert!(cookie.contains("Path=/tv"), "{cookie}");

    // No more redirects, in this village or the next; the banner stays.
    for path in [
        "/tv/v/gengjing/notices?page=2",
        "/tv/v/gengjing",
        "/tv/v/chenzhuang/news",
    ] {
        let res = tv.get(path).await;
        res.assert_status(200);
        assert!(has_banner(&res), "{path}");
    }

    // A new alert is shown again, once.
    let second = township_alert(&app, "red", "紧急通知：今晚八点起停水，请提前储水。").await;
    let res = tv.get("/tv/v/gengjing").await;
    res.assert_status(302);
    assert!(
        res.location()
            .is_some_and(|l| l.starts_with(&format!("/tv/v/gengjing/alert/{second}?"))),
        "{:?}",
        res.location()
    );
}

#[actix_web::test]
async fn the_banner_page_still_follows_the_tv_rules() {
    let app = TestApp::demo();
    let long: String = "请注意防范强降雨引发的山洪和内涝。"
        .repeat(12)
        .chars()
        .take(200)
        .collect();
    let id = township_alert(&app, "yellow", &long).await;
    let mut tv = tv_box(&app, Some(id)).await;
    let mut pages = vec![
        "/tv/v/gengjing".to_string(),
        "/tv/v/gengjing/notices".into(),
        "/tv/v/gengjing/party".into(),
    ];
    pages.push(an_article(&mut tv, "gengjing").await);
    for path in pages {
        let res = tv.get(&path).await;
        res.assert_status(200);
        assert!(has_banner(&res), "{path}");
        // The banner is one line: the text is cut, the alert page has it all.
        assert!(
            !res.body.contains(&long),
            "{path}: the whole 200 characters in the banner"
        );
        res.assert_contains("…");
        assert_tv_rules(&mut tv, &res, &path, "/tv/v/gengjing").await;
    }
    let page = tv.get(&format!("/tv/v/gengjing/alert/{id}")).await;
    page.assert_status(200);
    assert!(page.body.replace("<wbr>", "").contains(&long));
}

#[actix_web::test]
async fn next_never_leaves_the_tv_pages() {
    let app = TestApp::demo();
    let id = township_alert(&app, "blue", TEXT).await;
    for bad in [
        "https://evil.example/",
        "//evil.example/",
        "/admin/users",
        "/tv/../admin",
        "javascript:alert(1)",
    ] {
        let mut tv = tv_box(&app, None).await;
        let q = serde_urlencoded::to_string([("next", bad)]).expect("query");
        let res = tv.get(&format!("/tv/v/gengjing/alert/{id}/ok?{q}")).await;
        res.assert_status(302);
        assert_eq!(res.location(), Some("/tv/v/gengjing"), "{bad}");
        let page = tv.get(&format!("/tv/v/gengjing/alert/{id}?{q}")).await;
        page.assert_status(200);
        assert!(
            !page.body.contains("evil") && !page.body.contains("admin/users"),
            "{bad}"
        );
    }
    // Garbage ids and another township's alert: the TV 404, never a 500.
    let mut tv = tv_box(&app, None).await;
    tv.get("/tv/v/gengjing/alert/abc").await.assert_status(404);
    tv.get("/tv/v/gengjing/alert/999999")
        .await
        .assert_status(404);
    tv.get(
        "/tv/v/songjia/alert/{id}"
            .replace("{id}", &id.to_string())
            .as_str(),
    )
    .await
    .assert_status(404);
    tv.get("/tv/v/gengjing/alert/abc/ok")
        .await
        .assert_status(404);
}

#[actix_web::test]
async fn ending_early_takes_the_banner_off_and_is_audited() {
    let app = TestApp::demo();
    let id = township_alert(&app, "yellow", TEXT).await;
    let mut tv = tv_box(&app, Some(id)).await;
    assert!(has_banner(&tv.get("/tv/v/gengjing").await));

    let mut official = signed_in(&app, "official").await;
    let list = official.get("/admin/alerts").await;
    list.assert_status(200)
        .assert_contains("生效中")
        .assert_contains("提前结束")
        .assert_contains(&format!("action=\"/admin/alerts/{id}/end\""))
        .assert_contains("黄河路街道全部村");
    let res = official
        .submit("/admin/alerts", &format!("/admin/alerts/{id}/end"), &[])
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(res.location(), Some("/admin/alerts?saved=end"));

    let res = tv.get("/tv/v/gengjing").await;
    res.assert_status(200);
    assert!(!has_banner(&res), "banner after the end");
    // A fresh box is not sent to the ended alert either.
    tv_box(&app, None)
        .await
        .get("/tv/v/gengjing")
        .await
        .assert_status(200);
    // The alert page still opens (a box may be on it) and says it is over.
    tv.get(&format!("/tv/v/gengjing/alert/{id}"))
        .await
        .assert_status(200)
        .assert_contains("已解除");

    let list = official.get("/admin/alerts").await;
    list.assert_contains("已提前结束");
    assert!(
        !list.body.contains(&format!("/admin/alerts/{id}/end")),
        "end button on an ended alert"
    );
    // Ending twice is refused and changes nothing.
    let again = official
        .post_signed(&format!("/admin/alerts/{id}/end"), &[])
        .await;
    again.assert_status(409);

    let created = app.audit("alert.create");
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].actor_name, "official");
    assert_eq!(created[0].target_id, Some(id));
    assert_eq!(created[0].place_id, Some(app.place_id("huanghelu")));
    assert!(
        created[0].summary.contains("黄色预警"),
        "{}",
        created[0].summary
    );
    assert!(
        created[0].summary.contains("七级大风"),
        "{}",
        created[0].summary
    );
    let ended = app.audit("alert.end");
    assert_eq!(ended.len(), 1);
    assert_eq!(ended[0].actor_name, "official");
    assert_eq!(ended[0].target_id, Some(id));
}

#[actix_web::test]
async fn clerks_and_auditors_cannot_open_or_post_alerts() {
    let app = TestApp::demo();
    let id = township_alert(&app, "red", TEXT).await;
    for user in ["clerk", "auditor"] {
        let mut c = signed_in(&app, user).await;
        let home = c.get("/admin").await;
        assert!(
            !home.body.contains("/admin/alerts"),
            "{user} sees the 应急广播 menu"
        );
        c.get("/admin/alerts").await.assert_status(403);
        c.get("/admin/alerts/new").await.assert_status(403);
        let ends = local_in(3);
        let res = c
            .post_signed(
                "/admin/alerts",
                &[
                    ("level", "red"),
                    ("text", "假预警"),
                    ("target", ""),
                    ("ends_at", &ends),
                ],
            )
            .await;
        res.assert_status(403);
        c.post_signed(&format!("/admin/alerts/{id}/end"), &[])
            .await
            .assert_status(403);
    }
    assert_eq!(count_alerts(&app), 1);
    assert!(app.audit("alert.end").is_empty());
    // Officials and admins have the menu.
    for user in ["official", "admin"] {
        let mut c = signed_in(&app, user).await;
        c.get("/admin")
            .await
            .assert_contains("href=\"/admin/alerts\"");
    }
}

#[actix_web::test]
async fn an_official_cannot_alert_another_township_403() {
    let app = TestApp::demo();
    let mut official = signed_in(&app, "official").await;
    // The form offers only their own township.
    let form = official.get("/admin/alerts/new").await;
    form.assert_status(200)
        .assert_contains("黄河路街道的全部村");
    assert!(!form.body.contains("胜园街道"), "another township offered");
    let ends = local_in(3);
    let other = app.place_id("shengyuan").to_string();
    let county = app.place_id("dongying").to_string();
    let songjia = app.place_id("songjia").to_string();
    for fields in [
        vec![("target", other.as_str())],
        vec![("target", county.as_str())],
        vec![("target", "villages"), ("village_ids", songjia.as_str())],
    ] {
        let mut all = vec![("level", "red"), ("text", TEXT), ("ends_at", ends.as_str())];
        all.extend(fields.iter().copied());
        let res = publish(&mut official, &all).await;
        res.assert_status(403);
    }
    assert_eq!(count_alerts(&app), 0);
    assert!(app.audit("alert.create").is_empty());
    // Nobody has been told anything.
    let res = tv_box(&app, None).await.get("/tv/v/songjia").await;
    res.assert_status(200);
    assert!(!has_banner(&res));
}

#[actix_web::test]
async fn an_admin_alerts_two_chosen_villages_only() {
    let app = TestApp::demo();
    let mut admin = signed_in(&app, "admin").await;
    let form = admin.get("/admin/alerts/new").await;
    form.assert_status(200)
        .assert_contains("全县")
        .assert_contains("胜园街道")
        .assert_contains("name=\"village_ids\"");
    let gengjing = app.place_id("gengjing").to_string();
    let songjia = app.place_id("songjia").to_string();
    let ends = local_in(2);
    let res = publish(
        &mut admin,
        &[
            ("level", "red"),
            (
                "text",
                "防汛紧急通知：河道水位上涨，沿河住户请立即转移到村委会。",
            ),
            ("target", "villages"),
            ("village_ids", &gengjing),
            ("village_ids", &songjia),
            ("starts_at", ""),
            ("ends_at", &ends),
        ],
    )
    .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let id = newest(&app);
    let listed: Vec<i64> = alert_villages::table
        .filter(alert_villages::alert_id.eq(id))
        .order(alert_villages::village_id)
        .select(alert_villages::village_id)
        .load(&mut *app.conn())
        .expect("listed villages");
    let mut want = vec![app.place_id("gengjing"), app.place_id("songjia")];
    want.sort();
    assert_eq!(listed, want);
    // Two townships: the alert lies in the county.
    let place: i64 = alerts::table
        .find(id)
        .select(alerts::place_id)
        .first(&mut *app.conn())
        .expect("alert");
    assert_eq!(place, app.place_id("dongying"));

    let mut tv = tv_box(&app, Some(id)).await;
    for (village, shown) in [
        ("gengjing", true),
        ("songjia", true),
        ("chenzhuang", false),
        ("mazhuang", false),
        ("wangying", false),
    ] {
        let res = tv.get(&format!("/tv/v/{village}")).await;
        res.assert_status(200);
        assert_eq!(has_banner(&res), shown, "{village}");
    }
    // The list names the villages.
    admin
        .get("/admin/alerts")
        .await
        .assert_contains("耿井村、宋家村");
    // The official of huanghelu sees it (it reaches gengjing) but may not end it.
    let mut official = signed_in(&app, "official").await;
    let list = official.get("/admin/alerts").await;
    list.assert_contains("防汛紧急通知");
    assert!(!list.body.contains(&format!("/admin/alerts/{id}/end")));
    official
        .post_signed(&format!("/admin/alerts/{id}/end"), &[])
        .await
        .assert_status(403);
}

#[actix_web::test]
async fn bad_alerts_get_messages_beside_the_fields_and_nothing_is_stored() {
    let app = TestApp::demo();
    let mut official = signed_in(&app, "official").await;
    let township = app.place_id("huanghelu").to_string();
    let long = "风".repeat(201);
    let (soon, later) = (local_in(5), local_in(2));
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (vec![("text", "")], "请填写预警内容"),
        (vec![("text", "   \n  ")], "请填写预警内容"),
        (vec![("text", long.as_str())], "201"),
        (vec![("level", "purple")], "预警级别"),
        (vec![("level", "")], "预警级别"),
        (
            vec![("starts_at", soon.as_str()), ("ends_at", later.as_str())],
            "结束时间必须晚于开始时间",
        ),
        (vec![("ends_at", "")], "请填写结束时间"),
        (vec![("ends_at", "明天")], "时间格式"),
    ];
    for (changes, message) in cases {
        let ends = local_in(4);
        let mut fields: Vec<(&str, &str)> = vec![
            ("level", "yellow"),
            ("text", TEXT),
            ("target", township.as_str()),
            ("starts_at", ""),
            ("ends_at", ends.as_str()),
        ];
        for (k, v) in changes {
            fields.retain(|(key, _)| *key != k);
            fields.push((k, v));
        }
        let res = publish(&mut official, &fields).await;
        res.assert_field_error(message);
        // The form comes back with what was typed.
        res.assert_contains("name=\"csrf_token\"");
    }
    assert_eq!(count_alerts(&app), 0);
    assert!(app.audit("alert.create").is_empty());
    // 200 characters is fine.
    let ok = "风".repeat(200);
    let ends = local_in(4);
    let res = publish(
        &mut official,
        &[
            ("level", "blue"),
            ("text", &ok),
            ("target", &township),
            ("ends_at", &ends),
        ],
    )
    .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(count_alerts(&app), 1);
}

#[actix_web::test]
async fn the_most_severe_live_alert_wins_and_scheduled_ones_wait() {
    let app = TestApp::demo();
    let mut admin = signed_in(&app, "admin").await;
    let county = app.place_id("dongying").to_string();
    let ends = local_in(5);
    let res = publish(
        &mut admin,
        &[
            ("level", "red"),
            ("text", "全县红色预警：寒潮"),
            ("target", &county),
            ("ends_at", &ends),
        ],
    )
    .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let red = newest(&app);
    // A newer but milder alert for the township does not hide the red one.
    let yellow = township_alert(&app, "yellow", "黄河路街道黄色预警：大雾").await;
    // One that starts tomorrow waits.
    let mut official = signed_in(&app, "official").await;
    let township = app.place_id("huanghelu").to_string();
    let (start, end) = (local_in(24), local_in(30));
    let res = publish(
        &mut official,
        &[
            ("level", "red"),
            ("text", "明天的预警"),
            ("target", &township),
            ("starts_at", &start),
            ("ends_at", &end),
        ],
    )
    .await;
    assert_eq!(res.status, 303, "{}", res.body);

    let mut tv = tv_box(&app, Some(red)).await;
    let res = tv.get("/tv/v/chenzhuang").await;
    res.assert_status(200)
        .assert_contains("寒潮")
        .assert_contains("lv-red");
    assert!(!res.body.contains("大雾") && !res.body.contains("明天的预警"));
    // Officials see the county alert in their list, without an end button.
    let list = official.get("/admin/alerts").await;
    list.assert_contains("寒潮")
        .assert_contains("未开始")
        .assert_contains("生效中");
    assert!(!list.body.contains(&format!("/admin/alerts/{red}/end")));
    assert!(list.body.contains(&format!("/admin/alerts/{yellow}/end")));

    // Red ended: the yellow one shows (and, being another alert, is announced).
    let res = admin
        .post_signed(&format!("/admin/alerts/{red}/end"), &[])
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let res = tv.get("/tv/v/chenzhuang").await;
    res.assert_status(302);
    tv.set_cookie("vp_alert_seen", &yellow.to_string());
    tv.get("/tv/v/chenzhuang")
        .await
        .assert_status(200)
        .assert_contains("大雾");
}

#[actix_web::test]
async fn a_pin_submission_is_never_redirected() {
    let app = TestApp::demo();
    township_alert(&app, "red", TEXT).await;
    let mut tv = tv_box(&app, None).await;
    let res = tv
        .post_form("/tv/v/gengjing/health/me", &[("pin", "1234")])
        .await;
    assert_ne!(res.status, 302, "a POST was sent to the alert page");
}

/// The demo alert's end, read back.
fn ends_at(app: &TestApp, id: i64) -> chrono::NaiveDateTime {
    alerts::table
        .find(id)
        .select(alerts::ends_at)
        .first(&mut *app.conn())
        .expect("the alert")
}

#[actix_web::test]
async fn a_running_demo_keeps_its_own_alert_live_and_nobody_elses() {
    use village_portal::demo::{self, ALERT_DAYS, ALERT_TEXT};
    let app = TestApp::demo();
    let offset = FixedOffset::east_opt(8 * 3600).expect("offset");
    let township = app.place_id("huanghelu");
    assert!(demo::load_alert(&mut app.conn(), offset).expect("demo alert"));
    let id = newest(&app);

    // Days later: the demo alert has run out; boxes get no alert page.
    let now = village_portal::time::now();
    diesel::update(alerts::table.find(id))
        .set((
            alerts::starts_at.eq(now - Duration::days(8)),
            alerts::ends_at.eq(now - Duration::hours(1)),
        ))
        .execute(&mut *app.conn())
        .expect("age the alert");
    let mut tv = tv_box(&app, None).await;
    tv.get("/tv/v/gengjing").await.assert_status(200);

    // `serve --demo` renews it at start, and tells the TV pages.
    let before = village_portal::changes::generations(&mut app.conn()).expect("generations");
    app.state.start_demo_alert_keeper();
    let renewed = ends_at(&app, id);
    let now = village_portal::time::now();
    assert!(
        renewed > now + Duration::days(ALERT_DAYS) - Duration::minutes(5)
            && renewed <= now + Duration::days(ALERT_DAYS),
        "ends {renewed}, now {now}"
    );
    let after = village_portal::changes::generations(&mut app.conn()).expect("generations");
    assert_ne!(
        before.get(&township),
        after.get(&township),
        "the township's pages were not touched"
    );
    let res = tv.get("/tv/v/gengjing").await;
    res.assert_status(302);
    assert!(
        res.location()
            .is_some_and(|l| l.starts_with(&format!("/tv/v/gengjing/alert/{id}"))),
        "{:?}",
        res.location()
    );
    let audited: i64 = village_portal::db::schema::audit_log::table
        .filter(village_portal::db::schema::audit_log::action.eq("alert.renew"))
        .count()
        .get_result(&mut *app.conn())
        .expect("audit");
    assert_eq!(audited, 1);

    // With more than six days left it is left as it is.
    assert!(!demo::renew_alert(&mut app.conn(), now).expect("renew"));
    assert_eq!(ends_at(&app, id), renewed);
    // A day later it is renewed again (the keeper checks hourly).
    let tomorrow = now + Duration::days(1) + Duration::minutes(1);
    assert!(demo::renew_alert(&mut app.conn(), tomorrow).expect("renew"));
    // Renewed from the time of renewal (PostgreSQL keeps microseconds).
    let gap = ends_at(&app, id) - (tomorrow + Duration::days(ALERT_DAYS));
    assert!(gap.num_milliseconds().abs() < 1000, "off by {gap}");

    // An official ends it early: it stays ended.
    let mut official = signed_in(&app, "official").await;
    let res = official
        .post_signed(&format!("/admin/alerts/{id}/end"), &[])
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let later = now + Duration::days(30);
    assert!(!demo::renew_alert(&mut app.conn(), later).expect("renew"));
    let ended: Option<chrono::NaiveDateTime> = alerts::table
        .find(id)
        .select(alerts::ended_at)
        .first(&mut *app.conn())
        .expect("the alert");
    assert!(ended.is_some());

    // An official's alert with the very same text is never renewed.
    let theirs = township_alert(&app, "yellow", ALERT_TEXT).await;
    let theirs_end = ends_at(&app, theirs);
    let far = now + Duration::days(60);
    assert!(!demo::renew_alert(&mut app.conn(), far).expect("renew"));
    assert_eq!(ends_at(&app, theirs), theirs_end);
}

#[actix_web::test]
async fn a_database_without_the_demo_renews_nothing() {
    let app = TestApp::builder().build();
    let now = village_portal::time::now();
    assert!(!village_portal::demo::renew_alert(&mut app.conn(), now).expect("renew"));
}
