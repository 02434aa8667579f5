//! The health station on the TV: the station page, the household PIN (form,
//! on-screen keypad, lockout), access that ends when idle or on the way out,
//! a member's readings and the server-drawn trend pictures.

use actix_web::cookie::{Cookie, CookieJar};
use actix_web::http::header;
use actix_web::test::TestRequest;
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use village_portal::access::PlaceKind;
use village_portal::db::schema::{health_stations, households, observations, residents};
use village_portal::health::chart;
use village_portal::health::pin::{Grant, Pad, MAX_FAILURES};
use village_portal::health::{self, Kind, NewObservation, NewResident, NewStation};
use village_portal::places::{self, PlaceForm};

use crate::tv::assert_tv_rules;
use crate::util::{AppService, Client, Resp, TestApp};

const STATION: &str = "/tv/v/gengjing/health";
const ME: &str = "/tv/v/gengjing/health/me";
const EXIT_HOME: &str = "/tv/v/gengjing/health/me/exit?to=";
/// Names only these tests give residents, to look for on pages.
const OWN_NAME: &str = "测试张福";
const OWN_CODE: &str = "HTV-0001";
const OTHER_NAME: &str = "测试李秀";

struct Fixture {
    /// A resident of STB0001 with 12 months of rising blood pressure.
    own: i64,
    /// A resident of STB0002 (another household of the same village).
    other: i64,
}

fn now() -> NaiveDateTime {
    village_portal::time::now()
}

/// The station gengjing-hs (the demo's, or made here), a resident in
/// STB0001 with readings, one in STB0002.
fn fixture(app: &TestApp) -> Fixture {
    let village = app.place_id("gengjing");
    let mut conn = app.conn();
    let c = &mut *conn;
    let t = now();
    let station = match health::station_by_code(c, "gengjing-hs").expect("query") {
        Some(s) => s.id,
        None => {
            diesel::insert_into(health_stations::table)
                .values(NewStation {
                    village_id: village,
                    code: "gengjing-hs",
                    name: "耿井村健康小屋",
                    address: "村委会大院东侧",
                    hours: "每天 8:00-11:30",
                    doctor: "王春梅",
                    phone: "0546-8123456",
                    token_hash: &health::hash_token("test-station-token"),
                    created_at: t,
                    updated_at: t,
                })
                .execute(c)
                .expect("station");
            health::station_by_code(c, "gengjing-hs")
                .expect("query")
                .expect("station")
                .id
        }
    };
    let mut resident = |code: &str, stb: &str, name: &str| -> i64 {
        let household: i64 = households::table
            .filter(households::stb_id.eq(stb))
            .select(households::id)
            .first(c)
            .expect("household");
        diesel::insert_into(residents::table)
            .values(NewResident {
                code,
                household_id: household,
                name,
                sex: "M",
                birth_year: 1958,
                created_at: t,
                updated_at: t,
            })
            .execute(c)
            .expect("resident");
        residents::table
            .filter(residents::code.eq(code))
            .select(residents::id)
            .first(c)
            .expect("resident id")
    };
    let own = resident(OWN_CODE, "STB0001", OWN_NAME);
    let other = resident("HTV-0002", "STB0002", OTHER_NAME);
    let obs = |resident_id: i64, kind: Kind, value: f64, value2: Option<f64>, at: NaiveDateTime| {
        NewObservation {
            resident_id,
            station_id: station,
            code: kind.loinc(),
            value,
            value2,
            unit: kind.unit(),
            flag: "N",
            taken_at: village_portal::db::Stamp(at),
            device: None,
            source: "admin",
            created_at: village_portal::db::Stamp(t),
        }
    };
    let mut rows = Vec::new();
    // Monthly, oldest first: 128/82 rising to 161/97 (the latest: 偏高).
    for i in 0..12 {
        let at = t - Duration::days(30 * (11 - i)) - Duration::minutes(5);
        rows.push(obs(
            own,
            Kind::BloodPressure,
            128.0 + 3.0 * i as f64,
            Some(82.0 + 1.4 * i as f64),
            at,
        ));
        rows.push(obs(own, Kind::Glucose, 5.2 + 0.2 * i as f64, None, at));
    }
    rows.push(obs(own, Kind::Weight, 68.5, None, t - Duration::days(3)));
    rows.push(obs(
        other,
        Kind::BloodPressure,
        118.0,
        Some(76.0),
        t - Duration::days(2),
    ));
    for row in rows {
        diesel::insert_into(observations::table)
            .values(row)
            .execute(c)
            .expect("observation");
    }
    Fixture { own, other }
}

/// What no page before the PIN may show.
fn assert_nothing_private(res: &Resp, what: &str) {
    for private in [OWN_NAME, OWN_CODE, OTHER_NAME, "161/97", "HTV-"] {
        assert!(
            !res.body.contains(private),
            "{what} shows {private}:\n{}",
            res.body
        );
    }
}

fn assert_no_store(res: &Resp, what: &str) {
    assert_eq!(res.header("cache-control"), Some("no-store"), "{what}");
}

/// A box that arrived with its STB id, past the demo's alert.
async fn arrive<S: AppService>(c: &mut Client<S>, stb: &str) {
    let res = c.get(&format!("/tv?stbid={stb}")).await;
    assert_eq!(res.status, 302, "{}", res.body);
    dismiss_alerts(c).await;
}

/// Follows any alert page the gate sends the box to, so pages open directly.
async fn dismiss_alerts<S: AppService>(c: &mut Client<S>) {
    for _ in 0..3 {
        let res = c.get("/tv/v/gengjing").await;
        match res.location() {
            Some(to) if to.contains("/alert/") => {
                let id = to
                    .split("/alert/")
                    .nth(1)
                    .and_then(|r| r.split(['?', '/']).next())
                    .expect("alert id")
                    .to_string();
                c.get(&format!("/tv/v/gengjing/alert/{id}/ok")).await;
            }
            _ => return,
        }
    }
}

async fn enter_pin<S: AppService>(c: &mut Client<S>, pin: &str) -> Resp {
    c.post_form(ME, &[("pin", pin)]).await
}

/// Signs STB0001 in with the right PIN.
async fn sign_in<S: AppService>(c: &mut Client<S>) {
    arrive(c, "STB0001").await;
    let res = enter_pin(c, "1234").await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(res.location(), Some(ME));
    assert!(c.cookie("vp_health").is_some());
}

/// The keypad link with this id on a PIN page.
fn key_href(res: &Resp, id: &str) -> String {
    let at = res
        .body
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no {id} in:\n{}", res.body));
    let tag_start = res.body[..at].rfind("<a ").expect("tag");
    let tag = &res.body[tag_start..];
    let href = tag.split("href=\"").nth(1).expect("href");
    href.split('"').next().expect("href end").to_string()
}

/// The `<img>` sizes on a page: (src, width, height).
fn images(body: &str) -> Vec<(String, u32, u32)> {
    body.split("<img ")
        .skip(1)
        .filter_map(|rest| {
            let tag = rest.split('>').next()?;
            let attr = |name: &str| -> Option<String> {
                let m = format!("{name}=\"");
                let at = tag.find(&m)? + m.len();
                Some(tag[at..].split('"').next()?.to_string())
            };
            Some((
                attr("src")?,
                attr("width")?.parse().ok()?,
                attr("height")?.parse().ok()?,
            ))
        })
        .collect()
}

fn locked_until(app: &TestApp, stb: &str) -> (i32, Option<NaiveDateTime>) {
    households::table
        .filter(households::stb_id.eq(stb))
        .select((households::pin_failures, households::pin_locked_until))
        .first(&mut *app.conn())
        .expect("household")
}

#[actix_web::test]
async fn the_station_page_shows_the_station_and_nothing_private() {
    let app = TestApp::demo();
    fixture(&app);
    let (station, expected) = {
        let mut conn = app.conn();
        let village = app.place_id("gengjing");
        let facts = village_portal::health::display::station_facts(
            &mut conn,
            village,
            now(),
            app.state.offset,
        )
        .expect("facts")
        .expect("a station");
        (facts.station, facts.checkups)
    };
    assert!(expected >= 1, "the fixture measured someone this month");
    let mut c = app.client().await;
    arrive(&mut c, "STB0001").await;
    let res = c.get(STATION).await;
    res.assert_status(200)
        .assert_contains(&station.name)
        .assert_contains(&station.hours)
        .assert_contains(&station.doctor)
        .assert_contains(&station.phone)
        .assert_contains(&format!("<b>{expected}</b>人来测量"))
        .assert_contains("健康小贴士")
        .assert_contains("我的健康档案")
        .assert_contains(&format!("href=\"{ME}\""));
    assert!(
        village_portal::health::display::TIPS
            .iter()
            .any(|t| res.body.contains(t)),
        "a tip of the day"
    );
    assert_nothing_private(&res, "the station page");
    assert_tv_rules(&mut c, &res, STATION, "/tv/v/gengjing").await;
}

#[actix_web::test]
async fn a_village_without_a_station_says_so_kindly() {
    let app = TestApp::demo();
    {
        let actor = app.system_actor();
        let township = app.place_id("huanghelu");
        let mut conn = app.conn();
        let form = PlaceForm {
            code: "xinzhuang".into(),
            name: "新庄村".into(),
            parent_id: Some(township),
        };
        places::create(&mut conn, &actor, PlaceKind::Village, &form).expect("village");
    }
    let mut c = app.client().await;
    let path = "/tv/v/xinzhuang/health";
    let mut res = c.get(path).await;
    if let Some(to) = res.location().map(str::to_string) {
        // The demo's alert covers the township: dismiss it first.
        let ok = to.split('?').next().unwrap_or_default().to_string() + "/ok";
        c.get(&ok).await;
        res = c.get(path).await;
    }
    res.assert_status(200).assert_contains("本村还没有健康小屋");
    assert!(!res.body.contains("我的健康档案"));
    assert_tv_rules(&mut c, &res, path, "/tv/v/xinzhuang").await;
}

#[actix_web::test]
async fn the_pin_page_asks_for_the_pin_with_a_focused_input_and_a_keypad() {
    let app = TestApp::demo();
    fixture(&app);
    let mut c = app.client().await;
    arrive(&mut c, "STB0001").await;
    let res = c.get(ME).await;
    res.assert_status(200)
        .assert_contains("请输入家庭密码")
        .assert_contains(&format!("action=\"{ME}\""))
        .assert_contains("name=\"pin\"")
        .assert_contains("autofocus");
    assert!(!res.body.contains("name=\"household\""), "the box is known");
    assert_no_store(&res, "the PIN page");
    assert_nothing_private(&res, "the PIN page");
    // Keypad: 1-9, 0, 删除, 确定 as plain links; digits jump to their key.
    for d in 0..10 {
        let href = key_href(&res, &format!("key-{d}"));
        assert!(href.starts_with(&format!("{ME}/key/")), "{href}");
        assert!(res.body.contains(&format!("data-num=\"{d}\"")));
    }
    assert_eq!(key_href(&res, "key-del"), format!("{ME}/key/del"));
    assert_eq!(key_href(&res, "key-ok"), format!("{ME}/key/ok"));
    assert!(res.body.contains(">删除</a>") && res.body.contains(">确定</a>"));
    assert_tv_rules(&mut c, &res, ME, "/tv/v/gengjing").await;

    // A box without an STB id is asked for it.
    c.forget_cookies();
    dismiss_alerts(&mut c).await;
    let res = c.get(ME).await;
    res.assert_status(200).assert_contains("name=\"household\"");
    assert!(!res.body.contains("id=\"key-1\""));
    assert_tv_rules(&mut c, &res, ME, "/tv/v/gengjing").await;
}

#[actix_web::test]
async fn the_right_pin_by_form_opens_the_members() {
    let app = TestApp::demo();
    fixture(&app);
    let mut c = app.client().await;
    sign_in(&mut c).await;
    let res = c.get(ME).await;
    res.assert_status(200)
        .assert_contains(OWN_NAME)
        .assert_contains("请选择家庭成员");
    assert!(!res.body.contains(OTHER_NAME), "only this household");
    assert_no_store(&res, "the members page");
    assert!(res.set_cookie("vp_health").is_some(), "last activity moves");
    // 返回 and 首页 go through the exit; the colour keys too (data-home).
    assert!(res
        .body
        .contains("rel=\"back\" href=\"/tv/v/gengjing/health/me/exit?to=/health\""));
    assert!(res.body.contains(&format!("data-home=\"{EXIT_HOME}\"")));
    let tile = format!("href=\"{ME}/");
    assert!(res.body.contains(&tile) && res.body.contains("data-num=\"1\""));
    assert_tv_rules(&mut c, &res, ME, EXIT_HOME).await;
}

#[actix_web::test]
async fn the_household_field_stands_in_for_the_stb_cookie() {
    let app = TestApp::demo();
    fixture(&app);
    let mut c = app.client().await;
    dismiss_alerts(&mut c).await;
    let res = c
        .post_form(ME, &[("household", "STB0001"), ("pin", "1234")])
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    c.get(ME).await.assert_contains(OWN_NAME);

    let mut c = app.client().await;
    dismiss_alerts(&mut c).await;
    let res = c
        .post_form(ME, &[("household", "NOPE-1"), ("pin", "1234")])
        .await;
    res.assert_status(200)
        .assert_contains("没有找到这个机顶盒号的登记");
    // A household of another village is not found here either.
    let res = c
        .post_form(ME, &[("household", "STB0101"), ("pin", "2468")])
        .await;
    res.assert_status(200)
        .assert_contains("没有找到这个机顶盒号的登记");
    assert!(c.cookie("vp_health").is_none());
}

#[actix_web::test]
async fn the_keypad_works_with_ok_only_and_keeps_digits_out_of_addresses() {
    let app = TestApp::demo();
    fixture(&app);
    let mut c = app.client().await;
    arrive(&mut c, "STB0001").await;
    let mut page = c.get(ME).await;
    let mut visited = Vec::new();
    // 1, 2, 9, 删除, 3, 4: "1234".
    for key in ["key-1", "key-2", "key-9", "key-del", "key-3", "key-4"] {
        let href = key_href(&page, key);
        visited.push(href.clone());
        let res = c.get(&href).await;
        assert_eq!(res.status, 303, "{key}: {}", res.body);
        assert_no_store(&res, key);
        let to = res.location().expect("back to the PIN page");
        assert!(to.starts_with(ME), "{to}");
        let pad = c.cookie("vp_pinpad").expect("the keypad cookie");
        assert!(
            Pad::decode(pad).is_none() && !pad.starts_with("p1."),
            "the digits are encrypted: {pad}"
        );
        page = c.get(ME).await;
    }
    page.assert_contains("●●●●");
    assert_nothing_private(&page, "the keypad page");
    // The addresses carry one-digit codes (shifted by a random number per page).
    let codes: Vec<&str> = visited
        .iter()
        .filter(|h| !h.ends_with("/del"))
        .map(|h| h.rsplit('/').next().unwrap_or_default())
        .collect();
    assert_eq!(codes.len(), 5);
    assert!(codes
        .iter()
        .all(|k| k.len() == 1 && k.as_bytes()[0].is_ascii_digit()));
    let ok = c.get(&key_href(&page, "key-ok")).await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    assert_eq!(ok.location(), Some(ME));
    assert!(c.cookie("vp_health").is_some(), "access granted");
    assert!(
        c.cookie("vp_pinpad").is_none(),
        "the keypad forgot the digits"
    );
    c.get(ME).await.assert_contains(OWN_NAME);

    // Without the keypad's cookie a key does nothing.
    let mut c = app.client().await;
    arrive(&mut c, "STB0001").await;
    let res = c.get(&format!("{ME}/key/1")).await;
    assert_eq!(res.location(), Some(ME));
    assert!(c.cookie("vp_health").is_none());
    c.get(&format!("{ME}/key/x")).await.assert_status(404);
}

#[actix_web::test]
async fn wrong_pins_by_keypad_say_so_and_count() {
    let app = TestApp::demo();
    fixture(&app);
    let mut c = app.client().await;
    arrive(&mut c, "STB0001").await;
    let page = c.get(ME).await;
    // 确定 with nothing typed, then with too few digits: not counted.
    c.get(&key_href(&page, "key-ok")).await;
    let page = c.get(ME).await;
    page.assert_contains("请先按数字键输入密码");
    c.get(&key_href(&page, "key-5")).await;
    let page = c.get(ME).await;
    c.get(&key_href(&page, "key-ok")).await;
    let page = c.get(ME).await;
    page.assert_contains("4 到 6 位数字");
    assert_eq!(locked_until(&app, "STB0001"), (0, None));
    for d in ["key-9", "key-9", "key-9", "key-9"] {
        let p = c.get(ME).await;
        c.get(&key_href(&p, d)).await;
    }
    let p = c.get(ME).await;
    c.get(&key_href(&p, "key-ok")).await;
    c.get(ME)
        .await
        .assert_contains("密码不对")
        .assert_contains("还可以试 4 次");
    assert_eq!(locked_until(&app, "STB0001").0, 1);
}

#[actix_web::test]
async fn five_wrong_pins_lock_the_household_kindly_until_the_lock_ends() {
    let app = TestApp::demo();
    fixture(&app);
    let mut c = app.client().await;
    arrive(&mut c, "STB0001").await;
    for left in (1..MAX_FAILURES).rev() {
        let res = enter_pin(&mut c, "0000").await;
        res.assert_status(200)
            .assert_contains("密码不对")
            .assert_contains(&format!("还可以试 {left} 次"));
        assert_no_store(&res, "a wrong PIN");
        assert_nothing_private(&res, "a wrong PIN");
        assert_tv_rules(&mut c, &res, ME, "/tv/v/gengjing").await;
    }
    let locked = enter_pin(&mut c, "0000").await;
    locked
        .assert_status(200)
        .assert_contains("密码输错次数较多，请 15 分钟后再试，或到村委会重置");
    assert!(
        !locked.body.contains("name=\"pin\""),
        "no input while locked"
    );
    assert_tv_rules(&mut c, &locked, ME, "/tv/v/gengjing").await;
    let (_, until) = locked_until(&app, "STB0001");
    let until = until.expect("locked");
    let minutes = (until - now()).num_seconds();
    assert!((14 * 60..=15 * 60).contains(&minutes), "{minutes}");

    // Even the right PIN waits; the PIN page says why.
    let res = enter_pin(&mut c, "1234").await;
    res.assert_contains("密码输错次数较多");
    assert!(c.cookie("vp_health").is_none());
    c.get(ME).await.assert_contains("请 15 分钟后再试");
    // Another household of the village is not locked.
    let mut other = app.client().await;
    arrive(&mut other, "STB0002").await;
    assert_eq!(enter_pin(&mut other, "2580").await.status, 303);

    // The lock ends: the right PIN opens and the count starts afresh.
    diesel::update(households::table.filter(households::stb_id.eq("STB0001")))
        .set(households::pin_locked_until.eq(Some(now() - Duration::seconds(1))))
        .execute(&mut *app.conn())
        .expect("end the lock");
    let res = enter_pin(&mut c, "1234").await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(locked_until(&app, "STB0001"), (0, None));
}

/// The `vp_health` cookie the server would have set for `grant`.
fn sealed_grant(app: &TestApp, grant: &Grant) -> String {
    let mut jar = CookieJar::new();
    jar.private_mut(&app.state.session_key)
        .add(Cookie::new("vp_health", grant.encode()));
    jar.get("vp_health").expect("sealed").value().to_string()
}

fn unseal_grant(app: &TestApp, value: &str) -> Grant {
    let mut jar = CookieJar::new();
    jar.add_original(Cookie::new("vp_health", value.to_string()));
    let plain = jar
        .private(&app.state.session_key)
        .get("vp_health")
        .expect("a sealed grant");
    Grant::decode(plain.value()).expect("a grant")
}

#[actix_web::test]
async fn access_ends_after_ten_idle_minutes() {
    let app = TestApp::demo();
    let f = fixture(&app);
    let h = app.household("STB0001");
    let mut c = app.client().await;
    arrive(&mut c, "STB0001").await;

    // Nine minutes idle: still open, and the visit counts as activity.
    let grant = Grant::new(&h, now() - Duration::minutes(30)).touched(now() - Duration::minutes(9));
    c.set_cookie("vp_health", &sealed_grant(&app, &grant));
    c.get(ME).await.assert_contains(OWN_NAME);
    let renewed = unseal_grant(&app, c.cookie("vp_health").expect("renewed"));
    assert!(
        (now() - Duration::seconds(5)).and_utc().timestamp() <= renewed.seen,
        "the last activity moved to now"
    );
    assert_eq!(renewed.since, grant.since);

    // Eleven minutes idle: the PIN page, with the reason, and no readings.
    let stale = Grant::new(&h, now() - Duration::minutes(11));
    c.set_cookie("vp_health", &sealed_grant(&app, &stale));
    let res = c.get(ME).await;
    res.assert_status(200)
        .assert_contains("10 分钟没有操作已自动退出")
        .assert_contains("请输入家庭密码");
    assert_nothing_private(&res, "after the idle time");
    assert!(
        c.cookie("vp_health").is_none(),
        "the stale grant is cleared"
    );
    c.set_cookie("vp_health", &sealed_grant(&app, &stale));
    let member = c.get(&format!("{ME}/{}", f.own)).await;
    assert_eq!(member.status, 303);
    assert_eq!(member.location(), Some(ME));
    c.set_cookie("vp_health", &sealed_grant(&app, &stale));
    c.get(&format!("{ME}/{}/chart/bp.png", f.own))
        .await
        .assert_status(403);

    // A forged cookie opens nothing.
    c.set_cookie("vp_health", &grant.encode());
    c.get(ME).await.assert_contains("请输入家庭密码");
    // A PIN changed at the village office ends the grant.
    let fresh = Grant::new(&h, now());
    diesel::update(households::table.find(h.id))
        .set(households::pin_hash.eq(village_portal::crypto::hash_secret("9999").expect("hash")))
        .execute(&mut *app.conn())
        .expect("new PIN");
    c.set_cookie("vp_health", &sealed_grant(&app, &fresh));
    c.get(ME).await.assert_contains("请输入家庭密码");
}

#[actix_web::test]
async fn the_way_out_ends_access() {
    let app = TestApp::demo();
    let f = fixture(&app);
    let mut c = app.client().await;
    sign_in(&mut c).await;
    let res = c.get(EXIT_HOME).await;
    assert_eq!(res.status, 303);
    assert_eq!(res.location(), Some("/tv/v/gengjing"));
    assert_no_store(&res, "exit");
    let removal = res.set_cookie("vp_health").expect("cleared");
    assert!(removal.contains("Max-Age=0"), "{removal}");
    assert!(c.cookie("vp_health").is_none());
    c.get(ME).await.assert_contains("请输入家庭密码");
    c.get(&format!("{ME}/{}/chart/bp.png", f.own))
        .await
        .assert_status(403);

    // Colour keys and 返回 name where to go on.
    sign_in(&mut c).await;
    for (to, lands) in [
        ("/health", "/tv/v/gengjing/health"),
        ("/notices", "/tv/v/gengjing/notices"),
        ("/cameras", "/tv/v/gengjing/cameras"),
        ("//evil.example", "/tv/v/gengjing"),
        ("https://evil.example/", "/tv/v/gengjing"),
    ] {
        let res = c
            .get(&format!(
                "/tv/v/gengjing/health/me/exit?{}",
                serde_urlencoded::to_string([("to", to)]).expect("query")
            ))
            .await;
        assert_eq!(res.location(), Some(lands), "{to}");
    }
    assert!(c.cookie("vp_health").is_none());
}

#[actix_web::test]
async fn a_member_page_shows_latest_readings_flags_and_two_trends() {
    let app = TestApp::demo();
    let f = fixture(&app);
    let mut c = app.client().await;
    sign_in(&mut c).await;
    let path = format!("{ME}/{}", f.own);
    let res = c.get(&path).await;
    res.assert_status(200)
        .assert_contains(&format!("{OWN_NAME}的健康档案"))
        .assert_contains("161/97")
        .assert_contains("偏高，请复测")
        .assert_contains("7.4")
        .assert_contains("明显偏高，请尽快就医")
        .assert_contains("68.5")
        .assert_contains("正常")
        .assert_contains("偏高线 140/90")
        .assert_contains("偏高线 6.1");
    assert_no_store(&res, "a member page");
    let today = village_portal::time::to_local(now() - Duration::minutes(5), app.state.offset);
    res.assert_contains(&today.format("%-m月%-d日").to_string());
    assert!(!res.body.contains(OWN_CODE), "no resident code on the TV");
    let imgs = images(&res.body);
    assert_eq!(imgs.len(), 2, "{imgs:?}");
    let decoded: u64 = imgs.iter().map(|(_, w, h)| *w as u64 * *h as u64 * 4).sum();
    assert!(decoded <= 2_000_000, "{decoded} bytes of decoded images");
    assert!(res.body.contains(&format!("rel=\"back\" href=\"{ME}\"")));
    assert_tv_rules(&mut c, &res, &path, EXIT_HOME).await;

    for (src, w, h) in imgs {
        assert!(src.ends_with(".png"), "{src}");
        let png = c.get(&src).await;
        png.assert_status(200);
        assert_eq!(png.header("content-type"), Some("image/png"));
        assert_no_store(&png, &src);
        assert!(
            png.bytes.len() < 40 * 1024,
            "{src}: {} bytes",
            png.bytes.len()
        );
        let img = image::load_from_memory(&png.bytes)
            .expect("a PNG")
            .to_rgb8();
        assert_eq!((img.width(), img.height()), (w, h), "{src}");
        assert_eq!((w, h), (chart::WIDTH, chart::HEIGHT));
        let red = img.pixels().filter(|p| p.0 == chart::THRESHOLD).count();
        assert!(red > 500, "{src}: threshold line ({red} pixels)");
        let series = if src.contains("bp.png") {
            chart::SYSTOLIC
        } else {
            chart::GLUCOSE
        };
        assert!(
            img.pixels().filter(|p| p.0 == series).count() > 500,
            "{src}: the readings' line"
        );
    }
}

#[actix_web::test]
async fn flags_follow_the_thresholds_configured_now() {
    let app = TestApp::builder()
        .demo()
        .config(|c| {
            c.health.bp_high_systolic = 170.0;
            c.health.bp_very_high_systolic = 190.0;
            c.health.glucose_high = 9.0;
            c.health.glucose_very_high = 11.0;
        })
        .build();
    let f = fixture(&app);
    let mut c = app.client().await;
    sign_in(&mut c).await;
    let res = c.get(&format!("{ME}/{}", f.own)).await;
    res.assert_status(200)
        .assert_contains("偏高线 170/90")
        .assert_contains("偏高线 9");
    // 161/97: high by its diastolic only; glucose 7.4 now normal.
    res.assert_contains("偏高，请复测");
    assert!(!res.body.contains("明显偏高"), "{}", res.body);
}

#[actix_web::test]
async fn another_households_member_is_not_found_and_charts_need_access() {
    let app = TestApp::demo();
    let f = fixture(&app);
    let mut c = app.client().await;
    arrive(&mut c, "STB0001").await;
    // Without access: the chart is refused, the member page leads to the PIN.
    c.get(&format!("{ME}/{}/chart/bp.png", f.own))
        .await
        .assert_status(403);
    let res = c.get(&format!("{ME}/{}", f.own)).await;
    assert_eq!(res.location(), Some(ME));

    sign_in(&mut c).await;
    for path in [
        format!("{ME}/{}", f.other),
        format!("{ME}/{}/chart/bp.png", f.other),
        format!("{ME}/{}/chart/glucose.png", f.other),
        format!("{ME}/999999"),
        format!("{ME}/abc"),
        format!("{ME}/{}/chart/weight.png", f.own),
    ] {
        let res = c.get(&path).await;
        res.assert_status(404);
        assert!(!res.body.contains(OTHER_NAME), "{path}");
    }
    // Access to gengjing opens nothing in another village (which may first
    // show its own alert).
    let res = c
        .get(&format!(
            "/tv/v/chenzhuang/health/me/{}/chart/bp.png",
            f.own
        ))
        .await;
    assert!(
        res.status == 403 || res.location().is_some_and(|l| l.contains("/alert/")),
        "{} {:?}",
        res.status,
        res.location()
    );
}

#[actix_web::test]
async fn pin_posts_from_other_sites_are_refused() {
    let app = TestApp::demo();
    fixture(&app);
    let mut c = app.client().await;
    arrive(&mut c, "STB0001").await;
    let body = "pin=1234";
    let post = |origin: Option<(&'static str, &'static str)>| {
        let mut req = TestRequest::post()
            .uri(ME)
            .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
            .insert_header((header::HOST, "tv.example"))
            .set_payload(body);
        if let Some(h) = origin {
            req = req.insert_header(h);
        }
        req
    };
    for bad in [
        ("origin", "http://evil.example"),
        ("origin", "null"),
        ("referer", "http://evil.example/tv"),
        ("sec-fetch-site", "cross-site"),
    ] {
        let res = c.send(post(Some(bad))).await;
        assert_eq!(res.status, 403, "{bad:?}");
        assert!(c.cookie("vp_health").is_none(), "{bad:?}");
    }
    assert_eq!(locked_until(&app, "STB0001"), (0, None), "nothing counted");
    let res = c.send(post(Some(("origin", "http://tv.example")))).await;
    assert_eq!(res.status, 303, "{}", res.body);
    // Old set-top boxes send neither Origin nor Referer.
    c.get(EXIT_HOME).await;
    let res = c.send(post(None)).await;
    assert_eq!(res.status, 303, "{}", res.body);
}

#[actix_web::test]
async fn a_household_with_many_members_turns_pages() {
    let app = TestApp::demo();
    fixture(&app);
    {
        let h = app.household("STB0001");
        let mut conn = app.conn();
        let t = now();
        for i in 0..9 {
            diesel::insert_into(residents::table)
                .values(NewResident {
                    code: &format!("HTV-M{i}"),
                    household_id: h.id,
                    name: &format!("成员{i}"),
                    sex: "F",
                    birth_year: 1990,
                    created_at: t,
                    updated_at: t,
                })
                .execute(&mut *conn)
                .expect("resident");
        }
    }
    let mut c = app.client().await;
    sign_in(&mut c).await;
    let first = c.get(ME).await;
    let n = first.body.matches("class=\"tile\"").count();
    assert_eq!(n, 8);
    first.assert_contains("第 1/");
    assert!(first
        .body
        .contains(&format!("rel=\"next\" href=\"{ME}?page=2\"")));
    assert_tv_rules(&mut c, &first, ME, EXIT_HOME).await;
    let second = c.get(&format!("{ME}?page=2")).await;
    second.assert_status(200).assert_contains("第 2/");
    assert!(second.body.matches("class=\"tile\"").count() >= 2);
}

#[actix_web::test]
async fn two_instances_share_one_lock_count() {
    let app = TestApp::demo();
    fixture(&app);
    // A second instance on the same database, as behind a load balancer.
    let db = village_portal::db::Database::open(&app.database_url, 2).expect("second pool");
    let second = village_portal::AppState::with_db((*app.state.config).clone(), db)
        .expect("second instance");
    let mut a = app.client().await;
    let mut b = crate::util::client_of(&second).await;
    arrive(&mut a, "STB0001").await;
    arrive(&mut b, "STB0001").await;
    for _ in 0..3 {
        enter_pin(&mut a, "1111").await.assert_contains("密码不对");
    }
    enter_pin(&mut b, "2222")
        .await
        .assert_contains("还可以试 1 次");
    enter_pin(&mut b, "3333")
        .await
        .assert_contains("密码输错次数较多");
    // The first instance sees the lock too.
    enter_pin(&mut a, "1234")
        .await
        .assert_contains("请 15 分钟后再试");
    assert!(a.cookie("vp_health").is_none());
}
