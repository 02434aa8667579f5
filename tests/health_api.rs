//! The health kiosk API: HL7's own example Observations go in (adapted only
//! in their subject), re-sending adds nothing, every kind of bad input gets a
//! reason, and readings never leak into the public articles API.

use actix_web::http::header;
use actix_web::test::TestRequest;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::{json, Value};
use village_portal::db::schema::{health_stations, households, observations, residents};
use village_portal::health::{self, Flag, Kind, Observation, Thresholds};

use crate::util::{Resp, TestApp};

pub const PATH: &str = "/api/v1/health/observations";
pub const TOKEN: &str = "kiosk-token-0123456789abcdef0123456789abcdef";

pub const BP: &str = include_str!("fixtures/fhir/observation-example-bloodpressure.json");
pub const WEIGHT: &str = include_str!("fixtures/fhir/observation-example.json");
pub const GLUCOSE: &str = include_str!("fixtures/fhir/observation-example-f001-glucose.json");

/// The demo county, with a known token for the gengjing station.
pub fn demo_with_token() -> TestApp {
    let app = TestApp::demo();
    set_token(&app);
    app
}

pub fn set_token(app: &TestApp) {
    diesel::update(health_stations::table.filter(health_stations::code.eq("gengjing-hs")))
        .set(health_stations::token_hash.eq(health::hash_token(TOKEN)))
        .execute(&mut *app.conn())
        .expect("set token");
}

pub async fn post(app: &TestApp, token: Option<&str>, body: impl Into<Vec<u8>>) -> Resp {
    let mut c = app.client().await;
    let mut req = TestRequest::post()
        .uri(PATH)
        .insert_header((header::CONTENT_TYPE, "application/fhir+json"))
        .set_payload(body.into());
    if let Some(t) = token {
        req = req.insert_header((header::AUTHORIZATION, format!("Bearer {t}")));
    }
    c.send(req).await
}

pub fn count_observations(app: &TestApp) -> i64 {
    observations::table
        .count()
        .get_result(&mut *app.conn())
        .expect("count")
}

fn resident_id(app: &TestApp, code: &str) -> i64 {
    residents::table
        .filter(residents::code.eq(code))
        .select(residents::id)
        .first(&mut *app.conn())
        .expect("resident")
}

/// The resident's readings of `code` stored with source `api`.
fn api_readings(app: &TestApp, resident: &str, code: &str) -> Vec<Observation> {
    observations::table
        .filter(observations::resident_id.eq(resident_id(app, resident)))
        .filter(observations::code.eq(code))
        .filter(observations::source.eq("api"))
        .select(Observation::as_select())
        .load(&mut *app.conn())
        .expect("readings")
}

fn utc(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").expect("time")
}

fn fixture(text: &str) -> Value {
    serde_json::from_str(text).expect("fixture JSON")
}

/// A transaction Bundle of these resources.
fn bundle(resources: Vec<Value>) -> Value {
    json!({
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": resources.into_iter().map(|r| json!({
            "fullUrl": "urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a",
            "resource": r,
            "request": {"method": "POST", "url": "Observation"}
        })).collect::<Vec<_>>()
    })
}

#[track_caller]
fn counts(res: &Resp) -> (u64, u64, u64) {
    res.assert_status(200);
    let j = res.json();
    (
        j["accepted"].as_u64().expect("accepted"),
        j["duplicate"].as_u64().expect("duplicate"),
        j["rejected"].as_u64().expect("rejected"),
    )
}

#[actix_web::test]
async fn hl7_examples_are_stored_in_canonical_units_and_resending_adds_nothing() {
    let app = demo_with_token();
    let before = count_observations(&app);
    for body in [BP, WEIGHT, GLUCOSE] {
        let res = post(&app, Some(TOKEN), body).await;
        assert_eq!(counts(&res), (1, 0, 0), "{}", res.body);
        assert_eq!(res.json()["results"][0]["status"], "accepted");
    }
    assert_eq!(count_observations(&app), before + 3);

    let bp = api_readings(&app, "R0001", "85354-9");
    assert_eq!(bp.len(), 1);
    assert_eq!((bp[0].value, bp[0].value2), (107.0, Some(60.0)));
    assert_eq!(bp[0].unit, "mm[Hg]");
    assert_eq!(bp[0].flag, "N");
    // A date without a time is midnight in the deployment's offset (+08:00).
    assert_eq!(bp[0].taken_at, utc("2012-09-16 16:00:00"));

    let weight = api_readings(&app, "R0001", "29463-7");
    assert_eq!(weight.len(), 1);
    // 185 [lb_av] = 83.91 kg.
    assert_eq!(weight[0].value, 83.91);
    assert_eq!(weight[0].unit, "kg");

    let glucose = api_readings(&app, "R0002", "15074-8");
    assert_eq!(glucose.len(), 1);
    assert_eq!(glucose[0].value, 6.3);
    assert_eq!(glucose[0].unit, "mmol/L");
    assert_eq!(glucose[0].flag, "H", "6.3 mmol/L is at or above 6.1");
    // effectivePeriod.start with its +01:00 offset, stored in UTC.
    assert_eq!(glucose[0].taken_at, utc("2013-04-02 08:30:10"));

    // The same payloads again, one by one and as a Bundle: all duplicates.
    for body in [BP, WEIGHT, GLUCOSE] {
        let res = post(&app, Some(TOKEN), body).await;
        assert_eq!(counts(&res), (0, 1, 0), "{}", res.body);
        assert_eq!(res.json()["results"][0]["status"], "duplicate");
    }
    let all = bundle(vec![fixture(BP), fixture(WEIGHT), fixture(GLUCOSE)]);
    let res = post(&app, Some(TOKEN), all.to_string()).await;
    assert_eq!(counts(&res), (0, 3, 0), "{}", res.body);
    assert_eq!(count_observations(&app), before + 3);
}

/// An Observation like the kiosk sends, with a change applied.
fn kiosk_weight(resident: &str, value: Value, unit: &str, when: &str) -> Value {
    json!({
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7", "display": "Body weight"}]},
        "subject": {"identifier": {"value": resident}},
        "effectiveDateTime": when,
        "valueQuantity": {"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit},
        "device": {"display": "鱼跃 体重秤"}
    })
}

#[actix_web::test]
async fn a_bundle_with_bad_entries_stores_the_good_ones_and_says_why() {
    let app = demo_with_token();
    // A resident of another village (chenzhuang) than the station's.
    {
        let mut conn = app.conn();
        let other: i64 = households::table
            .filter(households::stb_id.eq("STB0101"))
            .select(households::id)
            .first(&mut *conn)
            .expect("chenzhuang household");
        let now = village_portal::time::now();
        diesel::insert_into(residents::table)
            .values(health::NewResident {
                code: "C0001",
                household_id: other,
                name: "陈大爷",
                sex: "M",
                birth_year: 1950,
                created_at: now,
                updated_at: now,
            })
            .execute(&mut *conn)
            .expect("resident");
    }
    let mut systolic_900 = fixture(BP);
    systolic_900["component"][0]["valueQuantity"]["value"] = json!(900);
    systolic_900["effectiveDateTime"] = json!("2026-01-05T09:00:00+08:00");
    let mut unknown_code = fixture(WEIGHT);
    unknown_code["code"] = json!({"coding": [{"system": "http://loinc.org", "code": "99999-9"}]});
    let when = "2026-01-05T09:00:00+08:00";
    let entries = vec![
        fixture(BP),                                                         // 0 good
        kiosk_weight("R0003", json!("abc"), "kg", when),                     // 1 "abc"
        kiosk_weight("R0003", json!(-5), "kg", when),                        // 2 negative weight
        systolic_900,                                                        // 3 systolic 900
        kiosk_weight("R0003", json!(70), "kg", "2099-01-01T08:00:00+08:00"), // 4 in 2099
        unknown_code,                                                        // 5 unknown LOINC
        kiosk_weight("R0003", json!(70), "furlongs", when),                  // 6 unit furlongs
        kiosk_weight("C0001", json!(70), "kg", when),                        // 7 other village
        kiosk_weight("R9999", json!(70), "kg", when),                        // 8 unknown resident
        json!({"resourceType": "Patient", "id": "x"}),                       // 9 not an Observation
        kiosk_weight("R0003", json!(154), "[lb_av]", when),                  // 10 good (69.85 kg)
        fixture(GLUCOSE),                                                    // 11 good
        kiosk_weight("R0003", json!(154), "[lb_av]", when), // 12 same reading again
    ];
    let mut body = bundle(entries);
    body["entry"][9] = json!({"request": {"method": "POST"}}); // an entry without resource
    let before = count_observations(&app);
    let res = post(&app, Some(TOKEN), body.to_string()).await;
    assert_eq!(counts(&res), (3, 1, 9), "{}", res.body);
    assert_eq!(count_observations(&app), before + 3);
    let j = res.json();
    let results = j["results"].as_array().expect("results");
    assert_eq!(results.len(), 13);
    let reason = |i: usize| {
        assert_eq!(results[i]["index"], i);
        results[i]["reason"].as_str().unwrap_or("").to_string()
    };
    for (i, status) in [
        (0, "accepted"),
        (10, "accepted"),
        (11, "accepted"),
        (12, "duplicate"),
    ] {
        assert_eq!(results[i]["status"], status, "entry {i}: {}", res.body);
    }
    for (i, r) in results.iter().enumerate().take(10).skip(1) {
        assert_eq!(r["status"], "rejected", "entry {i}");
    }
    assert!(reason(1).contains("\"abc\" 不是数字"), "{}", reason(1));
    assert!(reason(2).contains("负数"), "{}", reason(2));
    assert!(reason(3).contains("收缩压 900"), "{}", reason(3));
    assert!(
        reason(4).contains("2099") && reason(4).contains("未来"),
        "{}",
        reason(4)
    );
    assert!(
        reason(5).contains("未知的检查项目代码 99999-9"),
        "{}",
        reason(5)
    );
    assert!(reason(6).contains("furlongs"), "{}", reason(6));
    assert!(
        reason(7).contains("不属于本健康小屋所在的村"),
        "{}",
        reason(7)
    );
    assert!(reason(8).contains("找不到居民编号 R9999"), "{}", reason(8));
    assert!(reason(9).contains("缺少 resource"), "{}", reason(9));
    assert!(results[0].get("reason").is_none());
    let weights = api_readings(&app, "R0003", "29463-7");
    assert_eq!(weights.len(), 1);
    assert_eq!(weights[0].value, 69.85);
    assert_eq!(weights[0].device.as_deref(), Some("鱼跃 体重秤"));
}

#[actix_web::test]
async fn a_missing_or_wrong_token_gets_401_and_stores_nothing() {
    let app = demo_with_token();
    let before = count_observations(&app);
    for token in [None, Some("wrong-token"), Some("")] {
        let res = post(&app, token, BP).await;
        res.assert_status(401);
        assert_eq!(res.header("www-authenticate"), Some("Bearer"));
        let reason = res.json()["error"].as_str().unwrap_or("").to_string();
        assert!(reason.contains("令牌"), "{reason}");
    }
    // Another scheme is no bearer token either.
    let mut c = app.client().await;
    let res = c
        .send(
            TestRequest::post()
                .uri(PATH)
                .insert_header((header::AUTHORIZATION, format!("Basic {TOKEN}")))
                .set_payload(BP),
        )
        .await;
    res.assert_status(401);
    assert_eq!(count_observations(&app), before);
}

#[actix_web::test]
async fn malformed_bodies_get_a_json_reason() {
    let app = demo_with_token();
    let before = count_observations(&app);
    for (body, status, text) in [
        ("{\"resourceType\": \"Observation\",", 400, "JSON"),
        ("not json at all", 400, "JSON"),
        ("", 400, "JSON"),
        ("[1, 2, 3]", 400, "resourceType"),
        ("{\"resourceType\": \"Patient\"}", 400, "Patient"),
        (
            "{\"resourceType\": \"Bundle\", \"type\": \"searchset\", \"entry\": []}",
            400,
            "searchset",
        ),
        (
            "{\"resourceType\": \"Bundle\", \"type\": \"batch\", \"entry\": 5}",
            400,
            "entry",
        ),
    ] {
        let res = post(&app, Some(TOKEN), body).await;
        res.assert_status(status);
        let reason = res.json()["error"].as_str().unwrap_or("").to_string();
        assert!(reason.contains(text), "{body}: {reason}");
    }
    // An empty Bundle is fine: nothing to do.
    let res = post(
        &app,
        Some(TOKEN),
        "{\"resourceType\": \"Bundle\", \"type\": \"collection\"}",
    )
    .await;
    assert_eq!(counts(&res), (0, 0, 0));
    assert_eq!(count_observations(&app), before);
}

#[actix_web::test]
async fn a_bundle_of_ten_thousand_entries_or_a_large_body_gets_413() {
    let app = demo_with_token();
    let before = count_observations(&app);
    // Small entries: the body fits in 1 MB, the entry count does not.
    let entries: Vec<Value> = (0..10_000).map(|_| json!({"resource": {}})).collect();
    let body = json!({"resourceType": "Bundle", "type": "collection", "entry": entries});
    let res = post(&app, Some(TOKEN), body.to_string()).await;
    res.assert_status(413);
    let reason = res.json()["error"].as_str().unwrap_or("").to_string();
    assert!(
        reason.contains("10000") && reason.contains("1000"),
        "{reason}"
    );

    // 10,000 real readings are over 1 MB: refused before parsing.
    let entries: Vec<Value> = (0..10_000).map(|_| fixture(BP)).collect();
    let body = bundle(entries).to_string();
    assert!(body.len() > 1024 * 1024);
    let res = post(&app, Some(TOKEN), body).await;
    res.assert_status(413);
    assert!(res.json()["error"].is_string(), "{}", res.body);
    assert_eq!(count_observations(&app), before);

    // Exactly the limit's worth of entries is taken.
    let entries: Vec<Value> = (0..1000)
        .map(|i| {
            kiosk_weight(
                "R0004",
                json!(60 + i % 20),
                "kg",
                &format!("2025-12-01T{:02}:{:02}:00+08:00", i / 60 % 24, i % 60),
            )
        })
        .collect();
    let res = post(&app, Some(TOKEN), bundle(entries).to_string()).await;
    let (accepted, duplicate, rejected) = counts(&res);
    assert_eq!(accepted + duplicate, 1000, "{rejected} rejected");
}

#[actix_web::test]
async fn flags_are_stored_as_judged_then_and_recomputed_with_current_thresholds() {
    let app = TestApp::builder()
        .demo()
        .config(|c| c.health.glucose_high = 6.5)
        .build();
    set_token(&app);
    let res = post(&app, Some(TOKEN), GLUCOSE).await;
    assert_eq!(counts(&res), (1, 0, 0));
    let stored = &api_readings(&app, "R0002", "15074-8")[0];
    assert_eq!(stored.flag, "N", "6.3 is below this deployment's 6.5");
    assert_eq!(stored.stored_flag(), Flag::N);
    // Thresholds changed later (the defaults again): the page re-flags on read.
    let now = Thresholds::default();
    assert_eq!(now.flag(stored), Flag::H);
    assert_eq!(now.flag(stored).words(), "偏高，请复测");
    let stricter = Thresholds {
        glucose_very_high: 6.2,
        glucose_high: 6.0,
        ..Thresholds::default()
    };
    assert_eq!(stricter.flag(stored), Flag::HH);
    assert_eq!(stricter.flag(stored).words(), "明显偏高，请尽快就医");
}

#[actix_web::test]
async fn the_demo_station_has_a_year_of_readings_for_stb0001() {
    let app = TestApp::demo();
    let mut conn = app.conn();
    let gengjing = village_portal::places::village_by_code(&mut conn, "gengjing").expect("village");
    let station = health::station_of_village(&mut conn, gengjing.id)
        .expect("query")
        .expect("a station in gengjing");
    assert_eq!(station.code, "gengjing-hs");
    assert!(!station.hours.is_empty() && !station.doctor.is_empty() && !station.phone.is_empty());
    assert!(health::station_by_code(&mut conn, "gengjing-hs")
        .expect("q")
        .is_some());
    let home = village_portal::households::find_by_stb(&mut conn, "STB0001")
        .expect("q")
        .expect("STB0001");
    let members = health::residents_of_household(&mut conn, home.id).expect("residents");
    let codes: Vec<&str> = members.iter().map(|r| r.code.as_str()).collect();
    assert_eq!(codes, ["R0001", "R0002"]);
    let r1 = &members[0];
    assert_eq!(
        health::resident(&mut conn, r1.id).expect("resident").code,
        "R0001"
    );

    let latest = health::latest_by_kind(&mut conn, r1.id).expect("latest");
    let bp = latest
        .iter()
        .find(|o| o.kind() == Some(Kind::BloodPressure))
        .expect("a blood pressure");
    assert!(
        bp.value >= 146.0 && bp.value2.unwrap_or(0.0) >= 90.0,
        "{bp:?}"
    );
    assert_eq!(Thresholds::default().flag(bp), Flag::H);
    assert!(latest.iter().any(|o| o.kind() == Some(Kind::Glucose)));
    let mut kinds: Vec<&str> = latest.iter().map(|o| o.code.as_str()).collect();
    kinds.dedup();
    assert_eq!(kinds.len(), latest.len(), "one per kind");

    let now = village_portal::time::now();
    let year = health::series(
        &mut conn,
        r1.id,
        "85354-9",
        now - chrono::Duration::days(366),
    )
    .expect("series");
    assert!(year.len() >= 24, "every two weeks: {}", year.len());
    assert!(year.windows(2).all(|w| w[0].taken_at < w[1].taken_at));
    assert!(
        year[0].value <= 132.0,
        "rising from about 128: {}",
        year[0].value
    );
    assert!(year.iter().all(|o| o.taken_at <= now));

    let others: i64 = residents::table
        .count()
        .get_result(&mut *conn)
        .expect("count");
    assert_eq!(others, 202);
    let month =
        health::checkups_in_month(&mut conn, station.id, now - chrono::Duration::days(31), now)
            .expect("checkups");
    assert!(month >= 200, "everybody comes once a month: {month}");
    drop(conn);

    // Loading the demo again adds nothing.
    let before = count_observations(&app);
    let mut conn = app.conn();
    let offset = app.state.offset;
    let again = village_portal::demo::load(&mut conn, Some(crate::util::DEMO_PASSWORD), offset)
        .expect("demo again");
    drop(conn);
    assert_eq!(again.health.residents_added, 0);
    assert_eq!(again.health.observations_added, 0);
    assert_eq!(count_observations(&app), before);
}

#[actix_web::test]
async fn readings_and_residents_never_appear_in_the_articles_api() {
    let app = demo_with_token();
    post(&app, Some(TOKEN), GLUCOSE).await.assert_status(200);
    let people: Vec<(String, String)> = residents::table
        .select((residents::code, residents::name))
        .load(&mut *app.conn())
        .expect("residents");
    assert!(people.len() > 100);
    let mut c = app.client().await;
    for village in ["gengjing", "chenzhuang"] {
        let res = c
            .get(&format!("/api/v1/villages/{village}/articles?per_page=100"))
            .await;
        res.assert_status(200);
        for (code, name) in &people {
            assert!(
                !res.body.contains(code.as_str()),
                "{code} in the articles API"
            );
            assert!(
                !res.body.contains(name.as_str()),
                "{name} in the articles API"
            );
        }
        for word in ["mmol", "mm[Hg]", "85354-9", "15074-8"] {
            assert!(!res.body.contains(word), "{word} in the articles API");
        }
    }
}
