//! Storing readings, shared by the FHIR API, the CSV import and the demo:
//! resident lookup (only residents of the station's village), conversion and
//! checks, flags, and inserts that let the unique rule
//! (resident, code, taken_at) turn a re-sent reading into a "duplicate".

use std::collections::HashMap;

use chrono::{FixedOffset, NaiveDateTime, Timelike};
use diesel::prelude::*;
use serde::Serialize;

use super::{units, Kind, NewObservation, Station, Thresholds};
use crate::db::schema::{households, observations, residents};
use crate::db::{self, DbConn, Stamp};
use crate::error::AppResult;

/// A reading in its canonical unit, checked, not yet tied to a resident id.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    pub resident_code: String,
    pub kind: Kind,
    pub value: f64,
    /// The diastolic pressure for blood pressure.
    pub value2: Option<f64>,
    pub taken_at: NaiveDateTime,
    pub device: Option<String>,
}

/// A raw value with the unit it came in.
#[derive(Debug, Clone, Copy)]
pub struct Quantity<'a> {
    pub value: f64,
    pub unit: &'a str,
}

/// A reading as it arrived, before conversion and checks.
#[derive(Debug, Clone, Copy)]
pub struct Raw<'a> {
    pub resident_code: &'a str,
    pub kind: Kind,
    pub value: Quantity<'a>,
    /// The diastolic pressure for blood pressure (ignored for other kinds).
    pub value2: Option<Quantity<'a>>,
    pub taken_at: NaiveDateTime,
    pub device: Option<&'a str>,
}

impl Raw<'_> {
    /// Converts to canonical units and checks plausibility and time.
    pub fn check(self, now: NaiveDateTime, offset: FixedOffset) -> Result<Reading, String> {
        let Raw {
            resident_code,
            kind,
            value,
            value2,
            taken_at,
            device,
        } = self;
        let resident_code = resident_code.trim();
        check_resident_code(resident_code)?;
        let v = units::to_canonical(kind, value.value, value.unit)?;
        let v2 = match value2 {
            Some(q) if kind == Kind::BloodPressure => {
                Some(units::to_canonical(kind, q.value, q.unit)?)
            }
            _ => None,
        };
        units::check_plausible(kind, v, v2)?;
        units::check_time(taken_at, now, offset)?;
        // Values are kept to the precision a kiosk can measure.
        let round = |x: f64| (x * 100.0).round() / 100.0;
        Ok(Reading {
            resident_code: resident_code.to_string(),
            kind,
            value: round(v),
            value2: v2.map(round),
            // Sub-second parts would defeat the unique rule on a re-send
            // that formats the time differently.
            taken_at: taken_at.with_nanosecond(0).unwrap_or(taken_at),
            device: device
                .map(str::trim)
                .filter(|d| !d.is_empty())
                .map(|d| units::shorten(d, 100)),
        })
    }
}

/// Resident codes are short printable identifiers (R0001, 370502-0001...).
pub fn check_resident_code(code: &str) -> Result<(), String> {
    if code.is_empty() {
        return Err("缺少居民编号".into());
    }
    let ok = code.len() <= 40
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "居民编号 \"{}\" 无效（只能包含字母、数字和 - _ .）",
            units::shorten(code, 40)
        ))
    }
}

/// Resident code -> id for one station: residents of the station's village
/// are accepted, others rejected with the reason.
pub struct ResidentIndex {
    village_id: i64,
    known: HashMap<String, Option<(i64, i64)>>,
}

impl ResidentIndex {
    /// Every resident of the station's village, loaded in one query (imports).
    pub fn for_village(conn: &mut DbConn, village_id: i64) -> AppResult<ResidentIndex> {
        let rows: Vec<(String, i64)> = residents::table
            .inner_join(households::table)
            .filter(households::village_id.eq(village_id))
            .select((residents::code, residents::id))
            .load(conn)?;
        Ok(ResidentIndex {
            village_id,
            known: rows
                .into_iter()
                .map(|(code, id)| (code, Some((id, village_id))))
                .collect(),
        })
    }

    /// Just the residents named (API requests: a few codes).
    pub fn for_codes(
        conn: &mut DbConn,
        village_id: i64,
        codes: &[&str],
    ) -> AppResult<ResidentIndex> {
        let mut known = HashMap::new();
        for chunk in codes.chunks(500) {
            let rows: Vec<(String, i64, i64)> = residents::table
                .inner_join(households::table)
                .filter(residents::code.eq_any(chunk))
                .select((residents::code, residents::id, households::village_id))
                .load(conn)?;
            known.extend(rows.into_iter().map(|(c, id, v)| (c, Some((id, v)))));
        }
        Ok(ResidentIndex { village_id, known })
    }

    /// The resident id, or why the reading cannot be stored for this station.
    pub fn resolve(&mut self, conn: &mut DbConn, code: &str) -> AppResult<Result<i64, String>> {
        let found = match self.known.get(code) {
            Some(hit) => *hit,
            None => {
                // Not of this village (or unknown): one query, then remembered.
                let row: Option<(i64, i64)> = residents::table
                    .inner_join(households::table)
                    .filter(residents::code.eq(code))
                    .select((residents::id, households::village_id))
                    .first(conn)
                    .optional()?;
                self.known.insert(code.to_string(), row);
                row
            }
        };
        Ok(match found {
            None => Err(format!("找不到居民编号 {code}")),
            Some((_, village)) if village != self.village_id => {
                Err(format!("居民 {code} 不属于本健康小屋所在的村"))
            }
            Some((id, _)) => Ok(id),
        })
    }
}

/// The row to insert for a reading of a resolved resident.
pub fn new_row(
    reading: &Reading,
    resident_id: i64,
    station_id: i64,
    thresholds: &Thresholds,
    source: &'static str,
    now: NaiveDateTime,
) -> NewObservation {
    NewObservation {
        resident_id,
        station_id,
        code: reading.kind.loinc(),
        value: reading.value,
        value2: reading.value2,
        unit: reading.kind.unit(),
        flag: thresholds
            .flag_value(reading.kind, reading.value, reading.value2)
            .as_str(),
        taken_at: Stamp(reading.taken_at),
        device: reading.device.clone(),
        source,
        created_at: Stamp(now),
    }
}

/// Rows per insert statement (11 parameters a row; SQLite takes 32,766 a
/// statement, PostgreSQL 65,535).
pub const INSERT_ROWS: usize = 1000;

/// Inserts rows, skipping those the unique rule (resident, code, taken_at)
/// already holds; returns how many were inserted. Call it inside a write
/// transaction. Rows go in statements of `INSERT_ROWS` rows, then one by
/// one: both have a fixed shape, so diesel prepares each once per
/// connection instead of parsing a new statement for every call.
pub fn insert_skipping_duplicates(
    conn: &mut DbConn,
    rows: &[NewObservation],
) -> QueryResult<usize> {
    let mut added = 0;
    let mut full = rows.chunks_exact(INSERT_ROWS);
    for chunk in &mut full {
        if let Ok(chunk) = <&[NewObservation; INSERT_ROWS]>::try_from(chunk) {
            added += insert_values(conn, chunk)?;
        }
    }
    for row in full.remainder() {
        added += insert_values(conn, std::array::from_ref(row))?;
    }
    Ok(added)
}

/// One insert statement. MultiConnection has no ON CONFLICT, so this is the
/// one place that branches per engine.
fn insert_values<const N: usize>(
    conn: &mut DbConn,
    rows: &[NewObservation; N],
) -> QueryResult<usize> {
    use observations::dsl as o;
    match conn {
        #[cfg(feature = "sqlite")]
        DbConn::Sqlite(c) => diesel::insert_into(observations::table)
            .values(rows)
            .on_conflict((o::resident_id, o::code, o::taken_at))
            .do_nothing()
            .execute(c),
        #[cfg(feature = "postgres")]
        DbConn::Pg(c) => diesel::insert_into(observations::table)
            .values(rows)
            .on_conflict((o::resident_id, o::code, o::taken_at))
            .do_nothing()
            .execute(c),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Accepted,
    Duplicate,
    Rejected,
}

#[derive(Debug, Clone, Serialize)]
pub struct EntryResult {
    pub index: usize,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// What an API request did, entry by entry.
#[derive(Debug, Clone, Default, Serialize)]
pub struct IngestReport {
    pub accepted: usize,
    pub duplicate: usize,
    pub rejected: usize,
    pub results: Vec<EntryResult>,
}

/// Stores the good readings of one request in one write transaction and
/// answers for each entry (in order): accepted, duplicate or rejected.
pub fn store_entries(
    conn: &mut DbConn,
    station: &Station,
    entries: Vec<Result<Reading, String>>,
    thresholds: &Thresholds,
    source: &'static str,
    now: NaiveDateTime,
) -> AppResult<IngestReport> {
    let codes: Vec<&str> = {
        let mut c: Vec<&str> = entries
            .iter()
            .filter_map(|e| e.as_ref().ok())
            .map(|r| r.resident_code.as_str())
            .collect();
        c.sort_unstable();
        c.dedup();
        c
    };
    let mut index = ResidentIndex::for_codes(conn, station.village_id, &codes)?;
    let mut statuses: Vec<Result<NewObservation, String>> = Vec::with_capacity(entries.len());
    for entry in &entries {
        statuses.push(match entry {
            Err(reason) => Err(reason.clone()),
            Ok(reading) => match index.resolve(conn, &reading.resident_code)? {
                Ok(id) => Ok(new_row(reading, id, station.id, thresholds, source, now)),
                Err(reason) => Err(reason),
            },
        });
    }
    let inserted: Vec<bool> = db::write(conn, |conn| {
        let mut out = Vec::with_capacity(statuses.len());
        for s in &statuses {
            out.push(match s {
                Ok(row) => insert_skipping_duplicates(conn, std::slice::from_ref(row))? == 1,
                Err(_) => false,
            });
        }
        Ok::<_, crate::error::AppError>(out)
    })?;
    let mut report = IngestReport::default();
    for (i, (s, ins)) in statuses.into_iter().zip(inserted).enumerate() {
        let (status, reason) = match s {
            Err(reason) => (Status::Rejected, Some(reason)),
            Ok(_) if ins => (Status::Accepted, None),
            Ok(_) => (
                Status::Duplicate,
                Some("重复：这次测量已经保存过".to_string()),
            ),
        };
        match status {
            Status::Accepted => report.accepted += 1,
            Status::Duplicate => report.duplicate += 1,
            Status::Rejected => report.rejected += 1,
        }
        report.results.push(EntryResult {
            index: i,
            status,
            reason,
        });
    }
    Ok(report)
}
