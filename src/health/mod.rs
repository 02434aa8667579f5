//! Health station (健康小屋): stations, residents and their readings
//! (observations, FHIR-shaped: a LOINC code, a value in a UCUM unit).
//!
//! Readings are private to each household: nothing here logs a value, a
//! name or a resident code.

pub mod admin;
pub mod chart;
pub mod csv_import;
pub mod display;
pub mod fhir;
pub mod flags;
pub mod ingest;
pub mod pin;
pub mod units;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use crate::db::schema::{health_stations, observations, residents};
use crate::db::{DbConn, Stamp};
use crate::error::{AppError, AppResult};

pub use flags::{Flag, Thresholds};

/// The kinds of reading the portal knows, each with one canonical LOINC code
/// and UCUM unit (DESIGN.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    BloodPressure,
    HeartRate,
    SpO2,
    Temperature,
    Height,
    Weight,
    Bmi,
    Waist,
    Glucose,
}

impl Kind {
    /// In the order pages list them.
    pub const ALL: [Kind; 9] = [
        Kind::BloodPressure,
        Kind::Glucose,
        Kind::HeartRate,
        Kind::SpO2,
        Kind::Temperature,
        Kind::Weight,
        Kind::Height,
        Kind::Bmi,
        Kind::Waist,
    ];

    /// The code stored in `observations.code`.
    pub fn loinc(self) -> &'static str {
        match self {
            Kind::BloodPressure => "85354-9",
            Kind::HeartRate => "8867-4",
            Kind::SpO2 => "59408-5",
            Kind::Temperature => "8310-5",
            Kind::Height => "8302-2",
            Kind::Weight => "29463-7",
            Kind::Bmi => "39156-5",
            Kind::Waist => "8280-0",
            Kind::Glucose => "15074-8",
        }
    }

    /// The canonical UCUM unit values are stored in.
    pub fn unit(self) -> &'static str {
        match self {
            Kind::BloodPressure => "mm[Hg]",
            Kind::HeartRate => "/min",
            Kind::SpO2 => "%",
            Kind::Temperature => "Cel",
            Kind::Height | Kind::Waist => "cm",
            Kind::Weight => "kg",
            Kind::Bmi => "kg/m2",
            Kind::Glucose => "mmol/L",
        }
    }

    /// The unit as people read it on the TV.
    pub fn unit_label(self) -> &'static str {
        match self {
            Kind::BloodPressure => "mmHg",
            Kind::HeartRate => "次/分",
            Kind::SpO2 => "%",
            Kind::Temperature => "℃",
            Kind::Height | Kind::Waist => "厘米",
            Kind::Weight => "公斤",
            Kind::Bmi => "",
            Kind::Glucose => "mmol/L",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Kind::BloodPressure => "血压",
            Kind::HeartRate => "心率",
            Kind::SpO2 => "血氧",
            Kind::Temperature => "体温",
            Kind::Height => "身高",
            Kind::Weight => "体重",
            Kind::Bmi => "BMI",
            Kind::Waist => "腰围",
            Kind::Glucose => "血糖",
        }
    }

    /// A short English name, used as the CSV `kind` column.
    pub fn name(self) -> &'static str {
        match self {
            Kind::BloodPressure => "bp",
            Kind::HeartRate => "heart_rate",
            Kind::SpO2 => "spo2",
            Kind::Temperature => "temperature",
            Kind::Height => "height",
            Kind::Weight => "weight",
            Kind::Bmi => "bmi",
            Kind::Waist => "waist",
            Kind::Glucose => "glucose",
        }
    }

    /// The kind of a LOINC code, canonical or a close synonym kiosks send
    /// (measured body weight, finger-stick and mass-concentration glucose,
    /// the systolic code alone).
    pub fn from_code(code: &str) -> Option<Kind> {
        let code = code.trim();
        if let Some(k) = Kind::ALL.into_iter().find(|k| k.loinc() == code) {
            return Some(k);
        }
        match code {
            "55284-4" | "35094-2" => Some(Kind::BloodPressure),
            "3141-9" => Some(Kind::Weight),
            "8306-3" | "8308-9" => Some(Kind::Height),
            "14743-9" | "2339-0" | "2345-7" | "41653-7" | "15076-3" | "2340-8" => {
                Some(Kind::Glucose)
            }
            "8331-1" | "8328-7" | "8333-7" => Some(Kind::Temperature),
            "2708-6" | "20564-1" => Some(Kind::SpO2),
            _ => None,
        }
    }

    /// The kind named by a CSV `kind` cell: its name, its Chinese label or a LOINC code.
    pub fn parse(s: &str) -> Option<Kind> {
        let s = s.trim();
        Kind::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(s) || k.label() == s)
            .or_else(|| Kind::from_code(s))
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = health_stations)]
pub struct Station {
    pub id: i64,
    pub village_id: i64,
    pub code: String,
    pub name: String,
    pub address: String,
    pub hours: String,
    pub doctor: String,
    pub phone: String,
    pub token_hash: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = residents)]
pub struct Resident {
    pub id: i64,
    pub code: String,
    pub household_id: i64,
    pub name: String,
    pub sex: String,
    pub birth_year: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl Resident {
    pub fn sex_label(&self) -> &'static str {
        if self.sex == "F" {
            "女"
        } else {
            "男"
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = observations)]
pub struct Observation {
    pub id: i64,
    pub resident_id: i64,
    pub station_id: i64,
    pub code: String,
    pub value: f64,
    pub value2: Option<f64>,
    pub unit: String,
    pub flag: String,
    pub taken_at: NaiveDateTime,
    pub device: Option<String>,
    pub source: String,
    pub created_at: NaiveDateTime,
}

impl Observation {
    pub fn kind(&self) -> Option<Kind> {
        Kind::from_code(&self.code)
    }

    /// The flag stored when the reading came in.
    pub fn stored_flag(&self) -> Flag {
        Flag::parse(&self.flag).unwrap_or(Flag::N)
    }

    /// The value as shown: `152/96` for blood pressure, else up to one decimal
    /// (two for glucose).
    pub fn display_value(&self) -> String {
        match (self.kind(), self.value2) {
            (Some(Kind::BloodPressure), Some(d)) => format!("{:.0}/{:.0}", self.value, d),
            (Some(Kind::Glucose), _) => trim_decimals(format!("{:.2}", self.value)),
            _ => trim_decimals(format!("{:.1}", self.value)),
        }
    }
}

fn trim_decimals(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A new reading, already converted and flagged. `None` is inserted as
/// NULL (not DEFAULT), which lets SQLite take many rows in one statement.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = observations, treat_none_as_default_value = false)]
pub struct NewObservation {
    pub resident_id: i64,
    pub station_id: i64,
    /// Code, unit, flag and source are the portal's own words: no copy per row.
    pub code: &'static str,
    pub value: f64,
    pub value2: Option<f64>,
    pub unit: &'static str,
    pub flag: &'static str,
    pub taken_at: Stamp,
    pub device: Option<String>,
    pub source: &'static str,
    pub created_at: Stamp,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = health_stations)]
pub struct NewStation<'a> {
    pub village_id: i64,
    pub code: &'a str,
    pub name: &'a str,
    pub address: &'a str,
    pub hours: &'a str,
    pub doctor: &'a str,
    pub phone: &'a str,
    pub token_hash: &'a str,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = residents)]
pub struct NewResident<'a> {
    pub code: &'a str,
    pub household_id: i64,
    pub name: &'a str,
    pub sex: &'a str,
    pub birth_year: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// SHA-256 hex of a station token. Tokens are long random strings, so a fast
/// hash cannot be brute-forced and lookups stay cheap per request.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A new random station token (48 hex characters).
pub fn new_token() -> String {
    crate::crypto::random_hex(24)
}

pub fn station(conn: &mut DbConn, id: i64) -> AppResult<Station> {
    health_stations::table
        .find(id)
        .select(Station::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("该健康小屋"))
}

/// The village's station (the first one, if a village ever had two).
pub fn station_of_village(conn: &mut DbConn, village_id: i64) -> AppResult<Option<Station>> {
    Ok(health_stations::table
        .filter(health_stations::village_id.eq(village_id))
        .order(health_stations::id)
        .select(Station::as_select())
        .first(conn)
        .optional()?)
}

pub fn station_by_code(conn: &mut DbConn, code: &str) -> AppResult<Option<Station>> {
    Ok(health_stations::table
        .filter(health_stations::code.eq(code))
        .select(Station::as_select())
        .first(conn)
        .optional()?)
}

/// The station a bearer token belongs to.
pub fn station_by_token(conn: &mut DbConn, token: &str) -> AppResult<Option<Station>> {
    if token.is_empty() {
        return Ok(None);
    }
    Ok(health_stations::table
        .filter(health_stations::token_hash.eq(hash_token(token)))
        .select(Station::as_select())
        .first(conn)
        .optional()?)
}

pub fn all_stations(conn: &mut DbConn) -> AppResult<Vec<Station>> {
    Ok(health_stations::table
        .order(health_stations::code)
        .select(Station::as_select())
        .load(conn)?)
}

pub fn residents_of_household(conn: &mut DbConn, household_id: i64) -> AppResult<Vec<Resident>> {
    Ok(residents::table
        .filter(residents::household_id.eq(household_id))
        .order(residents::code)
        .select(Resident::as_select())
        .load(conn)?)
}

pub fn resident(conn: &mut DbConn, id: i64) -> AppResult<Resident> {
    residents::table
        .find(id)
        .select(Resident::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("该居民"))
}

pub fn resident_by_code(conn: &mut DbConn, code: &str) -> AppResult<Option<Resident>> {
    Ok(residents::table
        .filter(residents::code.eq(code))
        .select(Resident::as_select())
        .first(conn)
        .optional()?)
}

/// The latest reading of each kind the resident has, in `Kind::ALL` order.
/// One indexed query per kind (the unique index leads with resident, code).
pub fn latest_by_kind(conn: &mut DbConn, resident_id: i64) -> AppResult<Vec<Observation>> {
    let mut out = Vec::new();
    for kind in Kind::ALL {
        let latest = observations::table
            .filter(observations::resident_id.eq(resident_id))
            .filter(observations::code.eq(kind.loinc()))
            .order(observations::taken_at.desc())
            .select(Observation::as_select())
            .first(conn)
            .optional()?;
        out.extend(latest);
    }
    Ok(out)
}

/// The resident's readings of one code since `since`, oldest first.
pub fn series(
    conn: &mut DbConn,
    resident_id: i64,
    code: &str,
    since: NaiveDateTime,
) -> AppResult<Vec<Observation>> {
    Ok(observations::table
        .filter(observations::resident_id.eq(resident_id))
        .filter(observations::code.eq(code))
        .filter(observations::taken_at.ge(since))
        .order(observations::taken_at.asc())
        .select(Observation::as_select())
        .load(conn)?)
}

/// Check-ups at the station in `[month_start, month_end)`: the number of
/// different residents measured there (a visit yields several readings).
pub fn checkups_in_month(
    conn: &mut DbConn,
    station_id: i64,
    month_start: NaiveDateTime,
    month_end: NaiveDateTime,
) -> AppResult<i64> {
    Ok(observations::table
        .filter(observations::station_id.eq(station_id))
        .filter(observations::taken_at.ge(month_start))
        .filter(observations::taken_at.lt(month_end))
        .select(diesel::dsl::count(observations::resident_id).aggregate_distinct())
        .first(conn)?)
}
