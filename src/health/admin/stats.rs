//! The monthly figures officials see: residents, readings and flagged
//! readings per village, by local calendar month.

use chrono::{Datelike, FixedOffset, NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::villages_where;
use crate::access::{Action, Actor};
use crate::db::schema::{health_stations, observations};
use crate::db::DbConn;
use crate::error::AppResult;
use crate::health::{Kind, Thresholds};
use crate::places::Place;

/// One village's (or the total's) figures for one month.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MonthFigures {
    /// Residents measured at least once in the month.
    pub residents: i64,
    /// Readings taken.
    pub readings: i64,
    /// Readings flagged H, HH or L.
    pub flagged: i64,
}

impl MonthFigures {
    /// The flagged share in percent, one decimal (`None` without readings).
    pub fn flagged_percent(&self) -> Option<f64> {
        (self.readings > 0)
            .then(|| (self.flagged as f64 * 1000.0 / self.readings as f64).round() / 10.0)
    }

    /// `12.5%`, for the page.
    pub fn flagged_share(&self) -> Option<String> {
        self.flagged_percent().map(|p| format!("{p}%"))
    }

    /// A share worth a second look (30 % or more of the readings flagged).
    pub fn high_share(&self) -> bool {
        self.flagged_percent().is_some_and(|p| p >= 30.0)
    }

    fn add(&mut self, other: &MonthFigures) {
        self.residents += other.residents;
        self.readings += other.readings;
        self.flagged += other.flagged;
    }
}

#[derive(Debug, Clone)]
pub struct VillageFigures {
    pub village: String,
    pub months: Vec<MonthFigures>,
}

/// Per-village monthly figures; no person appears in them.
#[derive(Debug, Clone)]
pub struct HealthStats {
    /// `2026年11月`, oldest first.
    pub months: Vec<String>,
    pub villages: Vec<VillageFigures>,
    pub total: Vec<MonthFigures>,
}

/// The local months ending with the one holding `now`: (label, UTC start, UTC end).
pub fn last_months(
    now: NaiveDateTime,
    offset: FixedOffset,
    count: u32,
) -> Vec<(String, NaiveDateTime, NaiveDateTime)> {
    let today = crate::time::to_local(now, offset).date_naive();
    let month_index = today.year() * 12 + today.month0() as i32;
    let first = |index: i32| {
        NaiveDate::from_ymd_opt(index.div_euclid(12), index.rem_euclid(12) as u32 + 1, 1)
            .unwrap_or(today)
    };
    (0..count as i32)
        .rev()
        .map(|back| {
            let start = first(month_index - back);
            let end = first(month_index - back + 1);
            (
                format!("{}年{}月", start.year(), start.month()),
                crate::time::local_day_start(start, offset),
                crate::time::local_day_start(end, offset),
            )
        })
        .collect()
}

/// The townships whose figures the actor may see (for the filter).
pub fn stats_townships(conn: &mut DbConn, actor: &Actor) -> AppResult<Vec<Place>> {
    let mut out: Vec<Place> = Vec::new();
    for (township, _, _) in villages_where(conn, actor, Action::ViewHealthStats)? {
        if !out.iter().any(|t| t.id == township.id) {
            out.push(township);
        }
    }
    Ok(out)
}

/// Monthly figures of the villages with a station in `township` the actor
/// may see, for the last `count` months up to `now`.
pub fn monthly_stats(
    conn: &mut DbConn,
    actor: &Actor,
    township_id: i64,
    now: NaiveDateTime,
    offset: FixedOffset,
    count: u32,
    thresholds: &Thresholds,
) -> AppResult<HealthStats> {
    let villages: Vec<Place> = villages_where(conn, actor, Action::ViewHealthStats)?
        .into_iter()
        .filter(|(t, _, _)| t.id == township_id)
        .map(|(_, v, _)| v)
        .collect();
    let ids: Vec<i64> = villages.iter().map(|v| v.id).collect();
    let with_station: Vec<i64> = health_stations::table
        .filter(health_stations::village_id.eq_any(&ids))
        .select(health_stations::village_id)
        .distinct()
        .load(conn)?;
    let villages: Vec<Place> = villages
        .into_iter()
        .filter(|v| with_station.contains(&v.id))
        .collect();
    let ids: Vec<i64> = villages.iter().map(|v| v.id).collect();
    let months = last_months(now, offset, count);
    // Whether a stored reading is flagged (H, HH or L) under the current
    // thresholds, as SQL: flags are judged on read, as the TV pages do
    // (`Thresholds::flag`), so new thresholds change the figures without
    // rewriting readings. Flagged means "at or above high, or below low"
    // (very high lies above high). A blood pressure without diastolic is
    // judged on the systolic alone: a comparison with NULL is not true.
    let t = thresholds;
    let flagged_now = || {
        use observations::{code, value, value2};
        let three = |kind: Kind, low: f64, high: f64| {
            code.eq(kind.loinc()).and(value.ge(high).or(value.lt(low)))
        };
        code.eq(Kind::BloodPressure.loinc())
            .and(
                value
                    .ge(t.bp_high_systolic)
                    .or(value.lt(t.bp_low_systolic))
                    .or(value2.ge(t.bp_high_diastolic))
                    .or(value2.lt(t.bp_low_diastolic)),
            )
            .or(three(Kind::Glucose, t.glucose_low, t.glucose_high))
            .or(three(Kind::Bmi, t.bmi_low, t.bmi_high))
            .or(three(Kind::HeartRate, t.heart_rate_low, t.heart_rate_high))
            .or(three(
                Kind::Temperature,
                t.temperature_low,
                t.temperature_high,
            ))
            .or(code.eq(Kind::SpO2.loinc()).and(value.lt(t.spo2_low)))
    };
    let mut table: Vec<Vec<MonthFigures>> =
        vec![vec![MonthFigures::default(); months.len()]; ids.len()];
    for (m, (_, start, end)) in months.iter().enumerate() {
        let in_month = || {
            observations::table
                .inner_join(health_stations::table)
                .filter(health_stations::village_id.eq_any(&ids))
                .filter(observations::taken_at.ge(*start))
                .filter(observations::taken_at.lt(*end))
        };
        let counts: Vec<(i64, i64, i64)> = in_month()
            .group_by(health_stations::village_id)
            .select((
                health_stations::village_id,
                diesel::dsl::count(observations::resident_id).aggregate_distinct(),
                diesel::dsl::count_star(),
            ))
            .load(conn)?;
        let flagged: Vec<(i64, i64)> = in_month()
            .filter(flagged_now())
            .group_by(health_stations::village_id)
            .select((health_stations::village_id, diesel::dsl::count_star()))
            .load(conn)?;
        for (village, residents, readings) in counts {
            if let Some(i) = ids.iter().position(|id| *id == village) {
                table[i][m].residents = residents;
                table[i][m].readings = readings;
            }
        }
        for (village, n) in flagged {
            if let Some(i) = ids.iter().position(|id| *id == village) {
                table[i][m].flagged = n;
            }
        }
    }
    let mut total = vec![MonthFigures::default(); months.len()];
    for row in &table {
        for (t, f) in total.iter_mut().zip(row) {
            t.add(f);
        }
    }
    Ok(HealthStats {
        months: months.into_iter().map(|(label, _, _)| label).collect(),
        villages: villages
            .into_iter()
            .zip(table)
            .map(|(v, months)| VillageFigures {
                village: v.name,
                months,
            })
            .collect(),
        total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_run_back_across_a_year_in_local_time() {
        let cst = FixedOffset::east_opt(8 * 3600).unwrap();
        // 2027-01-31 20:00 UTC is already February 1st in China.
        let now = NaiveDate::from_ymd_opt(2027, 1, 31)
            .unwrap()
            .and_hms_opt(20, 0, 0)
            .unwrap();
        let months = last_months(now, cst, 6);
        let labels: Vec<&str> = months.iter().map(|(l, _, _)| l.as_str()).collect();
        assert_eq!(
            labels,
            [
                "2026年9月",
                "2026年10月",
                "2026年11月",
                "2026年12月",
                "2027年1月",
                "2027年2月"
            ]
        );
        let (_, start, end) = &months[5];
        assert_eq!(start.to_string(), "2027-01-31 16:00:00");
        assert_eq!(end.to_string(), "2027-02-28 16:00:00");
    }

    #[test]
    fn flagged_shares() {
        let f = MonthFigures {
            residents: 3,
            readings: 8,
            flagged: 1,
        };
        assert_eq!(f.flagged_percent(), Some(12.5));
        assert_eq!(MonthFigures::default().flagged_percent(), None);
    }
}
