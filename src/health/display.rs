//! What the TV health pages show, prepared from the health data: the
//! station's monthly count and tip of the day, a household's members, a
//! member's latest readings (re-flagged with the current thresholds) and
//! the trend pictures.
//!
//! Domain code: no web types. Nothing here logs a reading or a name.

use chrono::{Datelike, FixedOffset, NaiveDate, NaiveDateTime};

use super::chart::{self, Chart};
use super::{Flag, Kind, Resident, Station, Thresholds};
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::time;

/// Plain advice for the station page, one a day in turn. Never a diagnosis.
pub const TIPS: [&str; 10] = [
    "量血压前先安静坐 5 分钟，不说话、不跷腿，结果更准。",
    "每天吃盐不超过 5 克，大约一啤酒瓶盖那么多。",
    "测空腹血糖要在早上没吃东西的时候测。",
    "每天走路半小时，对血压、血糖都有好处。",
    "降压药要按时吃，不要自己停药，有不舒服先问医生。",
    "少吃咸菜、腌肉，多吃新鲜蔬菜和水果。",
    "天冷早晚出门注意保暖，血压容易升高。",
    "戒烟限酒，心脑血管更健康。",
    "每月来健康小屋量一量，血压血糖心里有数。",
    "头晕、胸闷、手脚发麻，要马上告诉家人并就医。",
];

/// The tip for a local calendar day.
pub fn tip_of_day(day: NaiveDate) -> &'static str {
    TIPS[(day.num_days_from_ce().rem_euclid(TIPS.len() as i32)) as usize]
}

/// The local calendar day of a stored UTC time.
pub fn local_day(utc: NaiveDateTime, offset: FixedOffset) -> NaiveDate {
    time::to_local(utc, offset).date_naive()
}

/// The current local month as UTC bounds `[start, end)`.
pub fn month_bounds(now: NaiveDateTime, offset: FixedOffset) -> (NaiveDateTime, NaiveDateTime) {
    let today = local_day(now, offset);
    let first = chart::add_months(today, 0);
    let next = chart::add_months(today, 1);
    (
        time::local_day_start(first, offset),
        time::local_day_start(next, offset),
    )
}

/// The station page's facts.
pub struct StationFacts {
    pub station: Station,
    /// Residents measured at the station this (local) month.
    pub checkups: i64,
    pub tip: &'static str,
    /// `11月`
    pub month: String,
}

/// The village's station and this month's check-ups, or `None`.
pub fn station_facts(
    conn: &mut DbConn,
    village_id: i64,
    now: NaiveDateTime,
    offset: FixedOffset,
) -> AppResult<Option<StationFacts>> {
    let Some(station) = super::station_of_village(conn, village_id)? else {
        return Ok(None);
    };
    let (start, end) = month_bounds(now, offset);
    let checkups = super::checkups_in_month(conn, station.id, start, end)?;
    let today = local_day(now, offset);
    Ok(Some(StationFacts {
        station,
        checkups,
        tip: tip_of_day(today),
        month: format!("{}月", today.month()),
    }))
}

/// A member tile: the resident and a short line about them.
pub struct Member {
    pub id: i64,
    pub name: String,
    /// `男 · 68岁`
    pub about: String,
}

/// The household's residents, in code order.
pub fn members(
    conn: &mut DbConn,
    household_id: i64,
    now: NaiveDateTime,
    offset: FixedOffset,
) -> AppResult<Vec<Member>> {
    let year = local_day(now, offset).year();
    Ok(super::residents_of_household(conn, household_id)?
        .into_iter()
        .map(|r| Member {
            id: r.id,
            about: about_in(&r, year),
            name: r.name,
        })
        .collect())
}

/// `男 · 68岁` for a resident, today.
pub fn about(r: &Resident, now: NaiveDateTime, offset: FixedOffset) -> String {
    about_in(r, local_day(now, offset).year())
}

fn about_in(r: &Resident, year: i32) -> String {
    let age = year - r.birth_year;
    if (0..130).contains(&age) {
        format!("{} · {age}岁", r.sex_label())
    } else {
        r.sex_label().to_string()
    }
}

/// A resident of this household, else "not found" (a resident of another
/// household is not revealed to exist).
pub fn member(conn: &mut DbConn, household_id: i64, resident_id: i64) -> AppResult<Resident> {
    match super::resident(conn, resident_id) {
        Ok(r) if r.household_id == household_id => Ok(r),
        Ok(_) | Err(AppError::NotFound(_)) => Err(AppError::not_found("这位家庭成员")),
        Err(e) => Err(e),
    }
}

/// One line of the latest readings.
pub struct Reading {
    pub label: &'static str,
    pub value: String,
    pub unit: &'static str,
    pub flag: Flag,
    /// 正常 / 偏高，请复测 / 明显偏高，请尽快就医 / 偏低
    pub words: &'static str,
    /// `11月20日`, or `2024-11` for readings about a year old or older.
    pub taken: String,
}

impl Reading {
    /// CSS class of the flag: `f-n`, `f-h`, `f-hh`, `f-l`.
    pub fn class(&self) -> &'static str {
        match self.flag {
            Flag::N => "f-n",
            Flag::H => "f-h",
            Flag::HH => "f-hh",
            Flag::L => "f-l",
        }
    }
}

/// The latest reading of each kind, flagged with the current thresholds.
pub fn latest(
    conn: &mut DbConn,
    resident_id: i64,
    thresholds: &Thresholds,
    now: NaiveDateTime,
    offset: FixedOffset,
) -> AppResult<Vec<Reading>> {
    let today = local_day(now, offset);
    Ok(super::latest_by_kind(conn, resident_id)?
        .into_iter()
        .filter_map(|o| {
            let kind = o.kind()?;
            let flag = thresholds.flag(&o);
            let day = local_day(o.taken_at, offset);
            let taken = if (today - day).num_days() < 300 {
                format!("{}月{}日", day.month(), day.day())
            } else {
                day.format("%Y-%m").to_string()
            };
            Some(Reading {
                label: kind.label(),
                value: o.display_value(),
                unit: kind.unit_label(),
                flag,
                words: flag.words(),
                taken,
            })
        })
        .collect())
}

/// The trends a member page shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trend {
    BloodPressure,
    Glucose,
}

impl Trend {
    pub fn parse(file: &str) -> Option<Trend> {
        match file {
            "bp.png" => Some(Trend::BloodPressure),
            "glucose.png" => Some(Trend::Glucose),
            _ => None,
        }
    }

    pub fn file(self) -> &'static str {
        match self {
            Trend::BloodPressure => "bp.png",
            Trend::Glucose => "glucose.png",
        }
    }

    fn kind(self) -> Kind {
        match self {
            Trend::BloodPressure => Kind::BloodPressure,
            Trend::Glucose => Kind::Glucose,
        }
    }
}

/// The first instant (UTC) of the 12 months a trend shows.
pub fn trend_since(now: NaiveDateTime, offset: FixedOffset) -> NaiveDateTime {
    time::local_day_start(chart::window_start(local_day(now, offset)), offset)
}

/// The last 12 months of a trend for a resident.
pub fn trend_chart(
    conn: &mut DbConn,
    resident_id: i64,
    trend: Trend,
    thresholds: &Thresholds,
    now: NaiveDateTime,
    offset: FixedOffset,
) -> AppResult<Chart> {
    let since = trend_since(now, offset);
    let rows = super::series(conn, resident_id, trend.kind().loinc(), since)?;
    let local = |t: NaiveDateTime| time::to_local(t, offset).naive_local();
    let today = local_day(now, offset);
    Ok(match trend {
        Trend::BloodPressure => {
            let points: Vec<_> = rows
                .iter()
                .map(|o| (local(o.taken_at), o.value, o.value2))
                .collect();
            chart::blood_pressure(&points, thresholds, today)
        }
        Trend::Glucose => {
            let points: Vec<_> = rows.iter().map(|o| (local(o.taken_at), o.value)).collect();
            chart::glucose(&points, thresholds, today)
        }
    })
}

/// How many readings of each trend the resident has in the window (the page
/// shows "近 12 个月没有记录" instead of an empty picture).
pub fn trend_counts(
    conn: &mut DbConn,
    resident_id: i64,
    now: NaiveDateTime,
    offset: FixedOffset,
) -> AppResult<(usize, usize)> {
    let since = trend_since(now, offset);
    let bp = super::series(conn, resident_id, Kind::BloodPressure.loinc(), since)?.len();
    let glucose = super::series(conn, resident_id, Kind::Glucose.loinc(), since)?.len();
    Ok((bp, glucose))
}

/// `2025年12月—2026年11月`: the months a trend covers, for its caption.
pub fn trend_span(now: NaiveDateTime, offset: FixedOffset) -> String {
    let today = local_day(now, offset);
    let first = chart::window_start(today);
    format!(
        "{}年{}月—{}年{}月",
        first.year(),
        first.month(),
        today.year(),
        today.month()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tips_turn_daily_and_months_are_local() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 23).expect("date");
        assert_ne!(tip_of_day(d), tip_of_day(d.succ_opt().expect("next")));
        let cst = FixedOffset::east_opt(8 * 3600).expect("offset");
        // 2026-11-30 20:00 UTC is already December 1st in +08:00.
        let now = NaiveDate::from_ymd_opt(2026, 11, 30)
            .and_then(|d| d.and_hms_opt(20, 0, 0))
            .expect("time");
        let (start, end) = month_bounds(now, cst);
        assert_eq!(start.to_string(), "2026-11-30 16:00:00");
        assert_eq!(end.to_string(), "2026-12-31 16:00:00");
        assert_eq!(trend_since(now, cst).to_string(), "2025-12-31 16:00:00");
        assert_eq!(trend_span(now, cst), "2026年1月—2026年12月");
        assert_eq!(Trend::parse("bp.png"), Some(Trend::BloodPressure));
        assert_eq!(Trend::parse("glucose.png"), Some(Trend::Glucose));
        assert_eq!(Trend::parse("x.png"), None);
    }
}
