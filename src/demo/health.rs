//! The demo health station: 耿井村健康小屋 with 12 months of readings for the
//! residents of STB0001 (R0001's blood pressure rises from 128/82 to about
//! 152/96; R0002's fasting glucose creeps up) and 200 other residents in
//! other gengjing households. Values are pseudo-random but deterministic.
//! Readings are dated back from today so the TV's 12-month trend has data.

use chrono::{Datelike, Duration, FixedOffset, NaiveDateTime, TimeZone, Timelike};
use diesel::prelude::*;

use crate::access::Actor;
use crate::audit::{self, Event};
use crate::db::schema::{health_stations, households, residents};
use crate::db::{self, DbConn, Stamp};
use crate::error::AppResult;
use crate::health::{self, ingest, Kind, NewObservation, NewResident, NewStation, Thresholds};
use crate::places;

pub const STATION: &str = "gengjing-hs";
/// PIN of the households generated here (STB1001 onwards).
pub const GENERATED_PIN: &str = "8888";
const OTHER_RESIDENTS: usize = 200;

/// What the health part of the demo added.
#[derive(Debug, Default)]
pub struct HealthReport {
    pub stations_added: usize,
    pub residents_added: usize,
    pub observations_added: usize,
    /// The station token, when it was generated here (print it once).
    pub generated_token: Option<String>,
}

const SURNAMES: [&str; 12] = [
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙",
];
const GIVEN_M: [&str; 10] = [
    "建国", "国庆", "志强", "永刚", "春生", "德华", "海军", "立新", "保田", "长林",
];
const GIVEN_F: [&str; 10] = [
    "秀英", "桂兰", "玉珍", "淑芬", "春梅", "凤霞", "翠花", "丽娟", "金凤", "秀云",
];
const DEVICES: [&str; 3] = ["鱼跃 YE-680A", "欧姆龙 HBP-9030", "三诺 GA-3"];

/// A small deterministic generator (SplitMix64): the demo is the same on
/// every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [lo, hi).
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (self.next() >> 11) as f64 / (1u64 << 53) as f64 * (hi - lo)
    }

    fn pick(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[derive(Insertable)]
#[diesel(table_name = households)]
struct NewHousehold<'a> {
    village_id: i64,
    stb_id: &'a str,
    number: &'a str,
    pin_hash: &'a str,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// Loads the station, residents and readings; anything present is kept.
/// `token`: the station's API token (PORTAL_DEMO_TOKEN); a random one is
/// made and reported when it is `None` and the station is new.
pub fn load(
    conn: &mut DbConn,
    actor: &Actor,
    token: Option<&str>,
    offset: FixedOffset,
) -> AppResult<HealthReport> {
    let mut report = HealthReport::default();
    let village = places::village_by_code(conn, "gengjing")?;
    let station = ensure_station(conn, actor, village.id, token, &mut report)?;
    let Some(home) = crate::households::find_by_stb(conn, "STB0001")? else {
        return Ok(report);
    };
    let now = crate::time::now();

    // Who lives where: STB0001's couple, then two residents per other household.
    let mut people: Vec<(String, i64, String, &str, i32)> = vec![
        ("R0001".into(), home.id, "王建国".into(), "M", 1958),
        ("R0002".into(), home.id, "李秀英".into(), "F", 1961),
    ];
    let homes = other_households(conn, village.id, OTHER_RESIDENTS / 2, now)?;
    let mut rng = Rng(20_261_123);
    for (i, household_id) in homes.iter().enumerate() {
        for j in 0..2 {
            let n = 3 + i * 2 + j;
            let (sex, given) = if j == 0 {
                ("M", GIVEN_M[rng.pick(GIVEN_M.len())])
            } else {
                ("F", GIVEN_F[rng.pick(GIVEN_F.len())])
            };
            let name = format!("{}{}", SURNAMES[rng.pick(SURNAMES.len())], given);
            let born = 1940 + rng.pick(50) as i32;
            people.push((format!("R{n:04}"), *household_id, name, sex, born));
        }
    }

    let existing: Vec<String> = residents::table
        .filter(residents::code.eq_any(people.iter().map(|p| p.0.as_str())))
        .select(residents::code)
        .load(conn)?;
    let new_people: Vec<_> = people.iter().filter(|p| !existing.contains(&p.0)).collect();
    if new_people.is_empty() {
        return Ok(report);
    }
    let thresholds = Thresholds::default();
    db::write(conn, |conn| {
        for (code, household_id, name, sex, born) in &new_people {
            diesel::insert_into(residents::table)
                .values(NewResident {
                    code,
                    household_id: *household_id,
                    name,
                    sex,
                    birth_year: *born,
                    created_at: now,
                    updated_at: now,
                })
                .execute(conn)?;
        }
        report.residents_added = new_people.len();
        let ids: Vec<(String, i64)> = residents::table
            .filter(residents::code.eq_any(new_people.iter().map(|p| p.0.as_str())))
            .select((residents::code, residents::id))
            .load(conn)?;
        let mut rows = Vec::new();
        for (code, id) in &ids {
            readings_of(code, *id, station.id, now, offset, &thresholds, &mut rows);
        }
        report.observations_added += ingest::insert_skipping_duplicates(conn, &rows)?;
        Ok::<_, crate::error::AppError>(())
    })?;
    Ok(report)
}

fn ensure_station(
    conn: &mut DbConn,
    actor: &Actor,
    village_id: i64,
    token: Option<&str>,
    report: &mut HealthReport,
) -> AppResult<health::Station> {
    if let Some(s) = health::station_by_code(conn, STATION)? {
        // A given token always works, also on a database made before.
        if let Some(t) = token {
            let hash = health::hash_token(t);
            if hash != s.token_hash {
                diesel::update(health_stations::table.find(s.id))
                    .set(health_stations::token_hash.eq(&hash))
                    .execute(conn)?;
            }
        }
        return Ok(s);
    }
    let generated = token.is_none().then(health::new_token);
    let token = token.or(generated.as_deref()).unwrap_or_default();
    let now = crate::time::now();
    let id = db::write(conn, |conn| {
        diesel::insert_into(health_stations::table)
            .values(NewStation {
                village_id,
                code: STATION,
                name: "耿井村健康小屋",
                address: "耿井村村委会东侧平房",
                hours: "周一至周五 8:00-11:30，14:00-17:00；周六上午 8:00-11:30",
                doctor: "张秀兰（乡村医生）",
                phone: "0546-8123456",
                token_hash: &health::hash_token(token),
                created_at: now,
                updated_at: now,
            })
            .execute(conn)?;
        let id = db::last_insert_id(conn)?;
        audit::record(
            conn,
            actor,
            Event {
                action: "health_station.create",
                target_type: "health_station",
                target_id: Some(id),
                place_id: Some(village_id),
                summary: format!("{STATION} 耿井村健康小屋"),
            },
        )?;
        Ok::<_, crate::error::AppError>(id)
    })?;
    report.stations_added = 1;
    report.generated_token = generated;
    health::station(conn, id)
}

/// The gengjing households the other residents live in: STB0002, STB0003
/// and new ones from STB1001 on, skipping ids other villages use (one PIN
/// hash for all new ones: hashing is slow on purpose).
fn other_households(
    conn: &mut DbConn,
    village_id: i64,
    count: usize,
    now: NaiveDateTime,
) -> AppResult<Vec<i64>> {
    // STB0002 and STB0003 of the small demo, then STB1001 onwards with
    // household numbers 1001...: ids and numbers clerks and tests pick for
    // new households (STB0042, 099) stay free.
    let candidates: Vec<String> = [2, 3]
        .into_iter()
        .chain(1001..1001 + count + 100)
        .map(|n| format!("STB{n:04}"))
        .collect();
    let existing: Vec<(String, i64, i64)> = households::table
        .filter(households::stb_id.eq_any(&candidates))
        .select((households::stb_id, households::id, households::village_id))
        .load(conn)?;
    let mut chosen = Vec::new();
    let mut create = Vec::new();
    for stb in &candidates {
        if chosen.len() + create.len() == count {
            break;
        }
        match existing.iter().find(|(s, _, _)| s == stb) {
            Some((_, id, v)) if *v == village_id => chosen.push(*id),
            Some(_) => {}
            None => create.push(stb.as_str()),
        }
    }
    if create.is_empty() {
        return Ok(chosen);
    }
    let pin_hash = crate::crypto::hash_secret(GENERATED_PIN)?;
    let taken: Vec<String> = households::table
        .filter(households::village_id.eq(village_id))
        .select(households::number)
        .load(conn)?;
    db::write(conn, |conn| {
        for stb in &create {
            let short = stb.trim_start_matches("STB").to_string();
            let number = if taken.contains(&short) {
                stb.to_string()
            } else {
                short
            };
            diesel::insert_into(households::table)
                .values(NewHousehold {
                    village_id,
                    stb_id: stb,
                    number: &number,
                    pin_hash: &pin_hash,
                    created_at: now,
                    updated_at: now,
                })
                .execute(conn)?;
        }
        Ok::<_, crate::error::AppError>(())
    })?;
    let mut created: Vec<(String, i64)> = households::table
        .filter(households::stb_id.eq_any(&create))
        .select((households::stb_id, households::id))
        .load(conn)?;
    created.sort();
    chosen.extend(created.into_iter().map(|(_, id)| id));
    Ok(chosen)
}

/// A year of readings for one resident, dated back from `now`.
fn readings_of(
    code: &str,
    resident_id: i64,
    station_id: i64,
    now: NaiveDateTime,
    offset: FixedOffset,
    thresholds: &Thresholds,
    out: &mut Vec<NewObservation>,
) {
    let seed = code
        .bytes()
        .fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(b as u64));
    let mut rng = Rng(seed);
    // The couple of STB0001 comes every two weeks, everybody else monthly.
    let special = code == "R0001" || code == "R0002";
    let visits: usize = if special { 26 } else { 12 };
    let step_days = if special { 14 } else { 30 };
    let base_sys = rng.range(108.0, 148.0);
    let base_glucose = rng.range(4.3, 6.8);
    let weight = rng.range(50.0, 86.0);
    let base_hr = rng.range(62.0, 88.0);
    let device = DEVICES[rng.pick(DEVICES.len())];
    // The last visit falls in the current month (the station page counts
    // this month's check-ups), however early in the month the demo runs.
    let into_month = i64::from(offset.from_utc_datetime(&now).day()) - 1;
    for v in 0..visits {
        // v = 0 is the oldest visit; the last one is a few days ago.
        let recent = (2 + rng.pick(3) as i64).min(into_month);
        let days_ago = (visits - 1 - v) as i64 * step_days + recent;
        let local_day = (offset.from_utc_datetime(&now) - Duration::days(days_ago)).date_naive();
        let local = local_day
            .and_hms_opt(8 + rng.pick(3) as u32, rng.pick(60) as u32, 0)
            .unwrap_or_default();
        let Some(taken) = offset.from_local_datetime(&local).single() else {
            continue;
        };
        // Never ahead of the clock (a demo loaded early on the 1st).
        let taken = taken.naive_utc().min(now - Duration::minutes(30));
        let progress = v as f64 / (visits - 1).max(1) as f64;
        let (sys, dia) = match code {
            "R0001" => (
                128.0 + 24.0 * progress + rng.range(-2.0, 2.0),
                82.0 + 14.0 * progress + rng.range(-1.5, 1.5),
            ),
            "R0002" => (118.0 + rng.range(-4.0, 4.0), 76.0 + rng.range(-3.0, 3.0)),
            _ => {
                let s = base_sys + rng.range(-8.0, 8.0);
                (s, s * 0.64 + rng.range(-4.0, 4.0))
            }
        };
        let glucose = match code {
            "R0002" => 6.0 + 1.4 * progress + rng.range(-0.2, 0.2),
            "R0001" => 5.4 + rng.range(-0.3, 0.3),
            _ => base_glucose + rng.range(-0.5, 0.5),
        };
        let mut push = |kind: Kind, value: f64, value2: Option<f64>, minutes: i64| {
            let round = |x: f64| (x * 10.0).round() / 10.0;
            let (value, value2) = match kind {
                Kind::BloodPressure | Kind::HeartRate => (value.round(), value2.map(f64::round)),
                _ => (round(value), value2),
            };
            let at = taken + Duration::minutes(minutes);
            out.push(NewObservation {
                resident_id,
                station_id,
                code: kind.loinc(),
                value,
                value2,
                unit: kind.unit(),
                flag: thresholds.flag_value(kind, value, value2).as_str(),
                taken_at: Stamp(at.with_nanosecond(0).unwrap_or(at)),
                device: Some(device.into()),
                source: "demo",
                created_at: Stamp(now),
            });
        };
        push(Kind::BloodPressure, sys, Some(dia), 0);
        push(Kind::HeartRate, base_hr + rng.range(-5.0, 5.0), None, 0);
        push(Kind::Glucose, glucose, None, 3);
        push(Kind::Weight, weight + rng.range(-1.0, 1.0), None, 5);
        if v.is_multiple_of(4) {
            push(Kind::Temperature, rng.range(36.2, 36.9), None, 6);
            push(Kind::SpO2, rng.range(95.5, 99.4), None, 6);
        }
        if v + 1 == visits {
            let height: f64 = if code == "R0001" {
                170.0
            } else {
                rng.range(152.0, 178.0)
            };
            push(Kind::Height, height, None, 7);
            push(Kind::Bmi, weight / (height / 100.0).powi(2), None, 7);
            push(Kind::Waist, rng.range(72.0, 98.0), None, 8);
        }
    }
}
