//! The back office of the health stations: station details (clerks,
//! officials above them), stations and their tokens (admins, shown once),
//! residents, household PIN resets, the monthly figures (no names) and the
//! CSV upload with its summary.

use actix_web::http::header;
use actix_web::test::TestRequest;
use diesel::prelude::*;
use village_portal::db::schema::{health_stations, households, observations, residents};
use village_portal::health::{self, NewObservation};

use crate::util::{AppService, Client, Resp, TestApp};

async fn signed_in<'a>(app: &'a TestApp, user: &str) -> Client<impl AppService + 'a> {
    let mut c = app.client().await;
    c.login_as(user).await;
    c
}

fn station_id(app: &TestApp, code: &str) -> i64 {
    health_stations::table
        .filter(health_stations::code.eq(code))
        .select(health_stations::id)
        .first(&mut *app.conn())
        .unwrap_or_else(|e| panic!("no station {code}: {e}"))
}

fn station_row(app: &TestApp, id: i64) -> health::Station {
    health::station(&mut app.conn(), id).expect("station")
}

/// The token shown on a station's token page.
fn shown_token(res: &Resp) -> String {
    let at = res
        .body
        .find("id=\"token\">")
        .unwrap_or_else(|| panic!("no token on the page:\n{}", res.body))
        + "id=\"token\">".len();
    let end = res.body[at..].find('<').expect("end of token");
    res.body[at..at + end].trim().to_string()
}

/// Opens a station in `village` as the admin; returns its id and the token shown.
async fn open_station(
    app: &TestApp,
    c: &mut Client<impl AppService>,
    village: &str,
    code: &str,
) -> (i64, String) {
    let village_id = app.place_id(village).to_string();
    let res = c
        .submit(
            "/admin/health/stations/new",
            "/admin/health/stations",
            &[
                ("village_id", &village_id),
                ("code", code),
                ("name", "陈庄村健康小屋"),
                ("address", "村委会大院东侧"),
                ("hours", "每天 8:00-11:30"),
                ("doctor", "李医生"),
                ("phone", "0546-8123456"),
            ],
        )
        .await;
    res.assert_status(200).assert_contains("只在这里显示这一次");
    assert_eq!(res.header("cache-control"), Some("no-store"));
    (station_id(app, code), shown_token(&res))
}

/// A resident of the household with `stb`, arranged directly.
fn add_resident(app: &TestApp, stb: &str, code: &str, name: &str) -> i64 {
    let household = app.household(stb).id;
    let now = village_portal::time::now();
    let mut conn = app.conn();
    diesel::insert_into(residents::table)
        .values(health::NewResident {
            code,
            household_id: household,
            name,
            sex: "F",
            birth_year: 1956,
            created_at: now,
            updated_at: now,
        })
        .execute(&mut *conn)
        .expect("insert resident");
    residents::table
        .filter(residents::code.eq(code))
        .select(residents::id)
        .first(&mut *conn)
        .expect("resident id")
}

/// A minimal FHIR R4 Observation: a body weight of `resident`.
fn weight(resident: &str, when: &str, kg: f64) -> serde_json::Value {
    serde_json::json!({
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7", "display": "Body weight"}]},
        "subject": {"identifier": {"value": resident}},
        "effectiveDateTime": when,
        "valueQuantity": {"value": kg, "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"}
    })
}

async fn post_observation(
    c: &mut Client<impl AppService>,
    token: &str,
    body: &serde_json::Value,
) -> Resp {
    c.send(
        TestRequest::post()
            .uri("/api/v1/health/observations")
            .insert_header((header::AUTHORIZATION, format!("Bearer {token}")))
            .insert_header((header::CONTENT_TYPE, "application/fhir+json"))
            .set_payload(body.to_string()),
    )
    .await
}

fn observation_count(app: &TestApp) -> i64 {
    observations::table
        .count()
        .get_result(&mut *app.conn())
        .expect("count")
}

// ------------------------------------------------------------------ stations

#[actix_web::test]
async fn an_admin_opens_a_station_and_sees_its_token_once() {
    let app = TestApp::demo();
    let mut c = signed_in(&app, "admin").await;
    let (id, token) = open_station(&app, &mut c, "chenzhuang", "chenzhuang-hs").await;

    assert!(token.len() >= 40, "token {token:?}");
    assert!(token.chars().all(|ch| ch.is_ascii_alphanumeric()));
    let station = station_row(&app, id);
    assert_eq!(station.token_hash, health::hash_token(&token));
    assert_ne!(station.token_hash, token);
    assert_eq!(station.village_id, app.place_id("chenzhuang"));
    assert_eq!(station.phone, "0546-8123456");

    // Nowhere else: not the list, not the edit page, not the audit log.
    for page in [
        "/admin/health".to_string(),
        format!("/admin/health/stations/{id}"),
        "/admin/audit".to_string(),
    ] {
        let res = c.get(&page).await;
        res.assert_status(200);
        assert!(!res.body.contains(&token), "{page} shows the token");
    }
    c.get("/admin")
        .await
        .assert_contains("健康小屋")
        .assert_contains("建档居民");
    let created = app.audit("station.create");
    assert_eq!(created.len(), 1);
    assert!(!created[0].summary.contains(&token));
    c.get("/admin/health")
        .await
        .assert_contains("chenzhuang-hs")
        .assert_contains("更换令牌");

    // The code is unique; the form says so beside the field.
    let village_id = app.place_id("chenzhuang").to_string();
    c.submit(
        "/admin/health/stations/new",
        "/admin/health/stations",
        &[
            ("village_id", &village_id),
            ("code", "chenzhuang-hs"),
            ("name", "又一个"),
            ("address", "村东"),
            ("hours", "周一至周五"),
            ("doctor", "张医生"),
            ("phone", "13805461234"),
        ],
    )
    .await
    .assert_field_error("已被另一个健康小屋使用");
    c.submit(
        "/admin/health/stations/new",
        "/admin/health/stations",
        &[("code", "Bad Code"), ("phone", "12")],
    )
    .await
    .assert_field_error("请选择所在的村");
}

#[actix_web::test]
async fn the_api_takes_the_shown_token_and_refuses_it_once_rotated() {
    let app = TestApp::demo();
    let mut c = signed_in(&app, "admin").await;
    let (id, token) = open_station(&app, &mut c, "chenzhuang", "chenzhuang-hs").await;
    add_resident(&app, "STB0101", "RT-9001", "测试居民");

    let before = observation_count(&app);
    let res = post_observation(
        &mut c,
        &token,
        &weight("RT-9001", "2026-03-01T09:30:00+08:00", 61.5),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(observation_count(&app), before + 1);

    // Rotating shows a new token once; the old one stops working.
    let list = c.get("/admin/health").await;
    let csrf = list.csrf().expect("csrf");
    let res = c
        .post_form(
            &format!("/admin/health/stations/{id}/token"),
            &[("csrf_token", csrf.as_str())],
        )
        .await;
    res.assert_status(200).assert_contains("旧令牌已经失效");
    assert_eq!(res.header("cache-control"), Some("no-store"));
    let fresh = shown_token(&res);
    assert_ne!(fresh, token);
    assert_eq!(station_row(&app, id).token_hash, health::hash_token(&fresh));
    assert_eq!(app.audit("station.token").len(), 1);

    let later = weight("RT-9001", "2026-03-02T09:30:00+08:00", 61.0);
    let refused = post_observation(&mut c, &token, &later).await;
    assert_eq!(refused.status, 401, "{}", refused.body);
    assert_eq!(observation_count(&app), before + 1);
    let taken = post_observation(&mut c, &fresh, &later).await;
    assert_eq!(taken.status, 200, "{}", taken.body);
    assert_eq!(observation_count(&app), before + 2);
}

#[actix_web::test]
async fn only_admins_open_stations_or_rotate_tokens() {
    let app = TestApp::demo();
    let gengjing = station_id(&app, "gengjing-hs");
    let hash = station_row(&app, gengjing).token_hash;
    let village_id = app.place_id("chenzhuang").to_string();
    for role in ["official", "clerk", "clerk2", "auditor"] {
        let mut c = signed_in(&app, role).await;
        c.get("/admin/health/stations/new").await.assert_status(403);
        c.post_signed(
            "/admin/health/stations",
            &[
                ("village_id", &village_id),
                ("code", "intruder-hs"),
                ("name", "冒名小屋"),
                ("address", "村东"),
                ("hours", "全天"),
                ("doctor", "某医生"),
                ("phone", "13805461234"),
            ],
        )
        .await
        .assert_status(403);
        let res = c
            .post_signed(&format!("/admin/health/stations/{gengjing}/token"), &[])
            .await;
        res.assert_status(403);
        assert!(!res.body.contains("id=\"token\""));
        let list = c.get("/admin/health").await;
        assert!(
            !list.body.contains("更换令牌"),
            "{role} sees the rotate button"
        );
    }
    assert_eq!(station_row(&app, gengjing).token_hash, hash);
    let n: i64 = health_stations::table
        .filter(health_stations::code.eq("intruder-hs"))
        .count()
        .get_result(&mut *app.conn())
        .expect("count");
    assert_eq!(n, 0);
}

fn station_fields<'a>(phone: &'a str, doctor: &'a str) -> Vec<(&'static str, &'a str)> {
    vec![
        ("name", "耿井村健康小屋"),
        ("address", "村委会一楼"),
        ("hours", "每天 8:00-11:30，14:00-17:00"),
        ("doctor", doctor),
        ("phone", phone),
    ]
}

#[actix_web::test]
async fn the_clerk_edits_the_station_details_with_messages_beside_the_fields() {
    let app = TestApp::demo();
    let id = station_id(&app, "gengjing-hs");
    let before = station_row(&app, id);
    let path = format!("/admin/health/stations/{id}");
    let mut c = signed_in(&app, "clerk").await;

    let res = c
        .submit(
            &path,
            &path,
            &[
                ("name", " "),
                ("address", "村委会一楼"),
                ("hours", &"早".repeat(61)),
                ("doctor", "王医生"),
                ("phone", "电话"),
            ],
        )
        .await;
    res.assert_field_error("请填写名称")
        .assert_field_error("开放时间最多 60 个字")
        .assert_field_error("手机号");
    assert_eq!(station_row(&app, id).phone, before.phone, "nothing saved");

    let res = c
        .submit(&path, &path, &station_fields("13805461234", "赵医生"))
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(res.location(), Some("/admin/health?saved=station"));
    let after = station_row(&app, id);
    assert_eq!(after.doctor, "赵医生");
    assert_eq!(after.phone, "13805461234");
    assert_eq!(after.token_hash, before.token_hash);
    let entry = app.audit("station.update").pop().expect("audited");
    assert_eq!(entry.actor_name, "clerk");
    assert!(
        entry
            .summary
            .contains(&format!("doctor: {} -> 赵医生", before.doctor)),
        "{}",
        entry.summary
    );
    assert!(entry.summary.contains("phone:"), "{}", entry.summary);
    c.get("/admin/health?saved=station")
        .await
        .assert_contains("赵医生")
        .assert_contains("id=\"notice\"");
}

#[actix_web::test]
async fn station_details_belong_to_the_village_its_township_and_the_county() {
    let app = TestApp::demo();
    let id = station_id(&app, "gengjing-hs");
    let path = format!("/admin/health/stations/{id}");
    let before = station_row(&app, id);

    // Another village's clerk and the auditor: 403 to read and to write.
    for role in ["clerk2", "auditor"] {
        let mut c = signed_in(&app, role).await;
        c.get(&path).await.assert_status(403);
        c.get(&format!("{path}/import")).await.assert_status(403);
        c.post_signed(&path, &station_fields("13800000000", "冒名医生"))
            .await
            .assert_status(403);
    }
    assert_eq!(station_row(&app, id).doctor, before.doctor);
    assert!(app.audit("station.update").is_empty());

    // The auditor reads the list, without an edit link.
    let mut auditor = signed_in(&app, "auditor").await;
    let list = auditor.get("/admin/health").await;
    list.assert_status(200)
        .assert_contains("gengjing-hs")
        .assert_contains("只读");
    assert!(!list.body.contains(&format!("href=\"{path}\"")));

    // The township's official and the admin may.
    for (role, doctor) in [("official", "乡镇派驻医生"), ("admin", "县派医生")] {
        let mut c = signed_in(&app, role).await;
        let res = c
            .submit(&path, &path, &station_fields("0546-8123456", doctor))
            .await;
        assert_eq!(res.status, 303, "{role}: {}", res.body);
        assert_eq!(station_row(&app, id).doctor, doctor);
    }

    // clerk2 sees only their own village's stations.
    let mut c = signed_in(&app, "clerk2").await;
    let list = c.get("/admin/health").await;
    list.assert_status(200);
    assert!(!list.body.contains("gengjing-hs"));
}

// ----------------------------------------------------------------- residents

fn resident_fields<'a>(
    code: &'a str,
    household: &'a str,
    year: &'a str,
) -> Vec<(&'static str, &'a str)> {
    vec![
        ("code", code),
        ("household_id", household),
        ("name", "耿秀兰"),
        ("sex", "F"),
        ("birth_year", year),
    ]
}

#[actix_web::test]
async fn a_clerk_registers_and_edits_residents_of_the_village() {
    let app = TestApp::demo();
    let gengjing = app.place_id("gengjing");
    let household = app.household("STB0001").id.to_string();
    let mut c = signed_in(&app, "clerk").await;
    let new_page = format!("/admin/health/residents/new?village={gengjing}");
    c.get(&new_page)
        .await
        .assert_status(200)
        .assert_contains("STB0001");

    // Field by field, beside each field.
    let res = c
        .submit(
            &new_page,
            "/admin/health/residents",
            &resident_fields("R0001", "", "1899"),
        )
        .await;
    res.assert_field_error("已被使用")
        .assert_field_error("请选择所属住户")
        .assert_field_error("1900 到");
    for year in ["abc", "2999", ""] {
        c.submit(
            &new_page,
            "/admin/health/residents",
            &resident_fields("RT-100", &household, year),
        )
        .await
        .assert_status(400);
    }
    let res = c
        .submit(
            &new_page,
            "/admin/health/residents",
            &[
                ("code", "R 1"),
                ("household_id", household.as_str()),
                ("name", ""),
                ("sex", "X"),
                ("birth_year", "1950"),
            ],
        )
        .await;
    res.assert_field_error("无效")
        .assert_field_error("请填写姓名")
        .assert_field_error("请选择性别");

    // A good one.
    let res = c
        .submit(
            &new_page,
            "/admin/health/residents",
            &resident_fields("RT-100", &household, "1950"),
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(
        res.location(),
        Some(format!("/admin/health/residents?village={gengjing}").as_str())
    );
    let r = health::resident_by_code(&mut app.conn(), "RT-100")
        .expect("query")
        .expect("stored");
    assert_eq!(
        (r.name.as_str(), r.sex.as_str(), r.birth_year),
        ("耿秀兰", "F", 1950)
    );
    let created = app.audit("resident.create").pop().expect("audited");
    assert!(!created.summary.contains("耿秀兰") && !created.summary.contains("RT-100"));

    // Search by code and by name.
    let list = c
        .get(&format!(
            "/admin/health/residents?village={gengjing}&q=RT-1"
        ))
        .await;
    list.assert_status(200).assert_contains("耿秀兰");
    assert!(!list.body.contains(">R0001<"));
    c.get(&format!(
        "/admin/health/residents?village={gengjing}&q=%E7%A7%80%E5%85%B0"
    ))
    .await
    .assert_contains("RT-100");
    c.get(&format!("/admin/health/residents?village={gengjing}&q=%25"))
        .await
        .assert_status(200)
        .assert_contains("没有找到");

    // Edit: a new name and year; the log says what changed, not the name.
    let path = format!("/admin/health/residents/{}", r.id);
    c.get(&path)
        .await
        .assert_status(200)
        .assert_contains("耿秀兰");
    let res = c
        .submit(
            &path,
            &path,
            &[
                ("code", "RT-100"),
                ("household_id", household.as_str()),
                ("name", "耿秀英"),
                ("sex", "F"),
                ("birth_year", "1951"),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let updated = app.audit("resident.update").pop().expect("audited");
    assert!(
        updated.summary.contains("birth_year: 1950 -> 1951"),
        "{}",
        updated.summary
    );
    assert!(
        updated.summary.contains("name: changed"),
        "{}",
        updated.summary
    );
    assert!(!updated.summary.contains("耿秀"), "{}", updated.summary);
    // Keeping one's own code is fine; taking another's is not.
    c.submit(&path, &path, &resident_fields("R0001", &household, "1951"))
        .await
        .assert_field_error("已被使用");
}

#[actix_web::test]
async fn residents_stay_inside_the_clerks_village() {
    let app = TestApp::demo();
    let chenzhuang = app.place_id("chenzhuang");
    let other = add_resident(&app, "STB0101", "RT-200", "陈某某");
    let foreign_household = app.household("STB0101").id.to_string();
    let own_household = app.household("STB0001").id.to_string();
    let own = health::resident_by_code(&mut app.conn(), "R0001")
        .expect("query")
        .expect("demo resident R0001");

    let mut c = signed_in(&app, "clerk").await;
    let list = c.get("/admin/health/residents").await;
    list.assert_status(200);
    assert!(!list.body.contains("RT-200"));
    c.get(&format!("/admin/health/residents?village={chenzhuang}"))
        .await
        .assert_status(403);
    c.get(&format!("/admin/health/residents/{other}"))
        .await
        .assert_status(403);
    let before: i64 = residents::table
        .count()
        .get_result(&mut *app.conn())
        .expect("count");
    // Into another village's household, or editing another village's resident.
    c.post_signed(
        "/admin/health/residents",
        &resident_fields("RT-201", &foreign_household, "1960"),
    )
    .await
    .assert_status(403);
    c.post_signed(
        &format!("/admin/health/residents/{other}"),
        &resident_fields("RT-200", &own_household, "1960"),
    )
    .await
    .assert_status(403);
    // Moving an own resident into another village's household.
    c.post_signed(
        &format!("/admin/health/residents/{}", own.id),
        &resident_fields(&own.code, &foreign_household, "1960"),
    )
    .await
    .assert_status(403);
    let after: i64 = residents::table
        .count()
        .get_result(&mut *app.conn())
        .expect("count");
    assert_eq!(before, after);
    assert_eq!(
        health::resident(&mut app.conn(), own.id)
            .expect("r")
            .household_id,
        own.household_id
    );

    // Officials and auditors see figures, not people.
    for role in ["official", "auditor"] {
        let mut c = signed_in(&app, role).await;
        c.get("/admin/health/residents").await.assert_status(403);
        c.get(&format!("/admin/health/residents/{}", own.id))
            .await
            .assert_status(403);
    }
}

// ------------------------------------------------------------ household PINs

#[actix_web::test]
async fn a_clerk_resets_a_household_pin_and_lifts_its_lock() {
    let app = TestApp::demo();
    let h = app.household("STB0001");
    let until = village_portal::time::now() + chrono::Duration::minutes(12);
    diesel::update(households::table.find(h.id))
        .set((
            households::pin_failures.eq(5),
            households::pin_locked_until.eq(Some(until)),
        ))
        .execute(&mut *app.conn())
        .expect("lock");
    let path = format!("/admin/households/{}/pin", h.id);

    // Another village's clerk and the official may not.
    for role in ["clerk2", "official", "auditor"] {
        let mut c = signed_in(&app, role).await;
        c.get(&path).await.assert_status(403);
        c.post_signed(&path, &[("pin", "9999")])
            .await
            .assert_status(403);
    }

    let mut c = signed_in(&app, "clerk").await;
    c.get(&format!("/admin/households?village={}", h.village_id))
        .await
        .assert_contains(&path);
    c.get(&path)
        .await
        .assert_status(200)
        .assert_contains("id=\"locked\"");
    c.submit(&path, &path, &[("pin", "12")])
        .await
        .assert_field_error("4 到 6 位数字");
    let res = c.submit(&path, &path, &[("pin", "8642")]).await;
    assert_eq!(res.status, 303, "{}", res.body);
    let after = app.household("STB0001");
    assert_eq!(after.pin_failures, 0);
    assert_eq!(after.pin_locked_until, None);
    assert!(village_portal::crypto::verify_secret(
        &after.pin_hash,
        "8642"
    ));
    let entry = app.audit("household.pin_reset").pop().expect("audited");
    assert!(!entry.summary.contains("8642"));
    c.get(&path).await.assert_status(200);
}

// ---------------------------------------------------------------- statistics

/// A reading arranged directly at `station`, taken `at`.
fn reading(
    app: &TestApp,
    resident: i64,
    station: i64,
    code: &'static str,
    value: f64,
    value2: Option<f64>,
    at: chrono::NaiveDateTime,
) {
    diesel::insert_into(observations::table)
        .values(NewObservation {
            resident_id: resident,
            station_id: station,
            code,
            value,
            value2,
            unit: "x",
            flag: "N",
            taken_at: village_portal::db::Stamp(at),
            device: None,
            source: "admin",
            created_at: village_portal::db::Stamp(at),
        })
        .execute(&mut *app.conn())
        .expect("insert reading");
}

#[actix_web::test]
async fn officials_see_monthly_figures_without_names_or_codes() {
    let app = TestApp::demo();
    let mut admin = signed_in(&app, "admin").await;
    let (station, _) = open_station(&app, &mut admin, "chenzhuang", "chenzhuang-hs").await;
    let a = add_resident(&app, "STB0101", "RT-301", "陈甲");
    let b = add_resident(&app, "STB0101", "RT-302", "陈乙");
    // This month (local), four readings by two residents: a high blood
    // pressure and a low glucose are flagged, whatever flag was stored.
    let now = village_portal::time::now() - chrono::Duration::minutes(5);
    reading(&app, a, station, "85354-9", 150.0, Some(95.0), now);
    reading(&app, a, station, "29463-7", 60.0, None, now);
    reading(&app, b, station, "15074-8", 3.1, None, now);
    reading(&app, b, station, "85354-9", 120.0, Some(80.0), now);

    let mut c = signed_in(&app, "official").await;
    let res = c.get("/admin/health/stats").await;
    res.assert_status(200)
        .assert_contains("陈庄村")
        .assert_contains("耿井村")
        .assert_contains("<b>2</b> 人 / 4 次")
        .assert_contains("异常 50%");
    // No resident's name or code, of any village.
    let people: Vec<(String, String)> = residents::table
        .select((residents::code, residents::name))
        .load(&mut *app.conn())
        .expect("residents");
    assert!(people.len() > 2);
    for (code, name) in &people {
        assert!(
            !res.body.contains(code.as_str()),
            "code {code} on the stats page"
        );
        assert!(
            !res.body.contains(name.as_str()),
            "a name on the stats page"
        );
    }

    // The auditor reads them too; clerks do not; a foreign township is 403.
    signed_in(&app, "auditor")
        .await
        .get("/admin/health/stats")
        .await
        .assert_status(200);
    signed_in(&app, "clerk")
        .await
        .get("/admin/health/stats")
        .await
        .assert_status(403);
    let foreign: i64 = village_portal::db::schema::places::table
        .filter(village_portal::db::schema::places::kind.eq("township"))
        .filter(village_portal::db::schema::places::code.ne("huanghelu"))
        .select(village_portal::db::schema::places::id)
        .first(&mut *app.conn())
        .expect("another township");
    c.get(&format!("/admin/health/stats?township={foreign}"))
        .await
        .assert_status(403);
    admin
        .get(&format!("/admin/health/stats?township={foreign}"))
        .await
        .assert_status(200);
}

// -------------------------------------------------------------- CSV uploads

async fn upload(c: &mut Client<impl AppService>, station: i64, name: &str, bytes: &[u8]) -> Resp {
    let form = format!("/admin/health/stations/{station}/import");
    let token = c.get(&form).await.csrf().expect("csrf on the upload page");
    c.post_multipart(
        &form,
        &[("csrf_token", &token)],
        &[("file", name, "text/csv", bytes)],
    )
    .await
}

/// `when` days ago at 08:31:17 local time, as the CSV writes it.
fn days_ago(days: i64) -> String {
    let cst = chrono::FixedOffset::east_opt(8 * 3600).expect("offset");
    let t = village_portal::time::to_local(
        village_portal::time::now() - chrono::Duration::days(days),
        cst,
    );
    format!("{}T08:31:17+08:00", t.format("%Y-%m-%d"))
}

#[actix_web::test]
async fn an_upload_ends_on_a_summary_of_added_duplicate_and_rejected_lines() {
    let app = TestApp::demo();
    let station = station_id(&app, "gengjing-hs");
    add_resident(&app, "STB0101", "RT-400", "陈庄居民");
    let mut c = signed_in(&app, "clerk").await;
    let (d1, d2, d3) = (days_ago(3), days_ago(4), days_ago(5));
    let mut csv = String::from("resident_code,kind,value,value2,unit,taken_at,device\n");
    csv.push_str(&format!("R0001,bp,128,82,mm[Hg],{d1},K1\n")); // line 2
    csv.push_str(&format!("R0001,glucose,5.2,,mmol/L,{d1},K1\n")); // 3
    csv.push_str(&format!("R0001,weight,132,,[lb_av],{d2},K1\n")); // 4
    csv.push_str(&format!("R0001,bp,128,82,mm[Hg],{d1},K1\n")); // 5: duplicate of 2
    csv.push_str(&format!("RT-400,weight,60,,kg,{d3},K1\n")); // 6: another village
    csv.push_str(&format!("R0001,weight,abc,,kg,{d3},K1\n")); // 7
    csv.push_str(&format!("R0001,furlongs,1,,,{d3},K1\n")); // 8
    for i in 0..150 {
        // lines 9..=158: implausible weights
        csv.push_str(&format!("R0001,weight,-{i},,kg,{d3},K1\n"));
    }
    let before = observation_count(&app);
    let res = upload(&mut c, station, "kiosk.csv", csv.as_bytes()).await;
    res.assert_status(200)
        .assert_contains("kiosk.csv")
        .assert_contains("id=\"added\"><span class=\"muted\">新增</span><b>3</b>")
        .assert_contains("<b>1</b>")
        .assert_contains("<b class=\"bad\">153</b>")
        .assert_contains("第 6 行")
        .assert_contains("第 7 行")
        .assert_contains("第 8 行")
        .assert_contains("另有 53 行未列出");
    assert!(
        !res.body.contains("第 109 行"),
        "only the first 100 are listed"
    );
    assert_eq!(res.body.matches("<td class=\"line\">").count(), 100);
    assert_eq!(observation_count(&app), before + 3);
    let entry = app.audit("health.import").pop().expect("audited");
    assert_eq!(entry.actor_name, "clerk");
    assert!(entry.summary.contains("added 3"), "{}", entry.summary);

    // The same file again adds nothing.
    let res = upload(&mut c, station, "kiosk.csv", csv.as_bytes()).await;
    res.assert_status(200)
        .assert_contains("id=\"added\"><span class=\"muted\">新增</span><b>0</b>");
    assert_eq!(observation_count(&app), before + 3);

    // A GBK export is recognised and read.
    let gbk_text = format!("居民编号,项目,数值,舒张压,测量时间\r\nR0001,血压,141,91,{d3}\r\n");
    let gbk: Vec<u8> = gbk_bytes(&gbk_text);
    let res = upload(&mut c, station, "导出.csv", &gbk).await;
    res.assert_status(200)
        .assert_contains("GBK")
        .assert_contains("id=\"added\"><span class=\"muted\">新增</span><b>1</b>");
}

/// The text in GBK (GB18030 for these characters), encoded by hand from
/// a small table so the test needs no encoder.
fn gbk_bytes(text: &str) -> Vec<u8> {
    let table: [(char, [u8; 2]); 9] = [
        ('居', [0xbe, 0xd3]),
        ('民', [0xc3, 0xf1]),
        ('编', [0xb1, 0xe0]),
        ('号', [0xba, 0xc5]),
        ('项', [0xcf, 0xee]),
        ('目', [0xc4, 0xbf]),
        ('数', [0xca, 0xfd]),
        ('值', [0xd6, 0xb5]),
        ('血', [0xd1, 0xaa]),
    ];
    let more: [(char, [u8; 2]); 7] = [
        ('压', [0xd1, 0xb9]),
        ('舒', [0xca, 0xe6]),
        ('张', [0xd5, 0xc5]),
        ('测', [0xb2, 0xe2]),
        ('量', [0xc1, 0xbf]),
        ('时', [0xca, 0xb1]),
        ('间', [0xbc, 0xe4]),
    ];
    let mut out = Vec::new();
    for ch in text.chars() {
        if ch.is_ascii() {
            out.push(ch as u8);
        } else {
            let (_, bytes) = table
                .iter()
                .chain(more.iter())
                .find(|(c, _)| *c == ch)
                .unwrap_or_else(|| panic!("no GBK bytes for {ch}"));
            out.extend_from_slice(bytes);
        }
    }
    out
}

#[actix_web::test]
async fn bad_uploads_are_named_beside_the_field() {
    let app = TestApp::demo();
    let station = station_id(&app, "gengjing-hs");
    let mut c = signed_in(&app, "clerk").await;
    let before = observation_count(&app);
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    let xlsx = b"PK\x03\x04\x14\0\x06\0".to_vec();
    let big = vec![b'a'; 10 * 1024 * 1024 + 1];
    // Neither UTF-8 nor GBK.
    let garbled = b"resident_code,kind,value,taken_at\n\xff\xfe\xfd\xff,1,2,3\n".to_vec();
    let no_columns = b"name,age\nx,1\n".to_vec();
    for (name, bytes, reason) in [
        ("empty.csv", Vec::new(), "文件是空的"),
        ("photo.png", png, "不是 CSV"),
        ("book.xlsx", xlsx, "另存为 CSV"),
        ("huge.csv", big, "文件太大"),
        ("garbled.csv", garbled, "需要 UTF-8 或 GBK"),
        ("people.csv", no_columns, "CSV 缺少列"),
    ] {
        let res = upload(&mut c, station, name, &bytes).await;
        res.assert_field_error(reason);
        res.assert_contains("name=\"file\"");
    }
    // No file at all.
    let form = format!("/admin/health/stations/{station}/import");
    let token = c.get(&form).await.csrf().expect("csrf");
    c.post_multipart(&form, &[("csrf_token", &token)], &[])
        .await
        .assert_field_error("请选择");
    assert_eq!(observation_count(&app), before);

    // No CSRF token: refused.
    let res = c
        .post_multipart(&form, &[], &[("file", "a.csv", "text/csv", b"x")])
        .await;
    res.assert_status(403);
    // Another village's clerk may not upload into gengjing's station.
    let mut other = signed_in(&app, "clerk2").await;
    let token = other.get("/admin").await.csrf().expect("csrf");
    let csv = format!(
        "resident_code,kind,value,taken_at\nR0001,weight,60,{}\n",
        days_ago(2)
    );
    other
        .post_multipart(
            &form,
            &[("csrf_token", &token)],
            &[("file", "a.csv", "text/csv", csv.as_bytes())],
        )
        .await
        .assert_status(403);
    assert_eq!(observation_count(&app), before);
}
