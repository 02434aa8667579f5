//! The township's view of office duty: today per village, and a month per
//! village and per cadre (应值 / 实到 / 迟到 / 代班 / 缺岗), also as CSV.

use std::collections::HashMap;

use chrono::{Datelike, FixedOffset, NaiveDate, NaiveDateTime, Timelike};

use super::cadres::{self, Cadre};
use super::{day_str, duty, office, signin};
use crate::access::{Action, Actor};
use crate::db::DbConn;
use crate::error::AppResult;
use crate::places::{self, Place};

/// How a village's office stands today.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// Weekend or holiday: a cadre on call, no sign-in expected.
    RestDay,
    /// A workday with nobody in the roster.
    NoRoster,
    /// Signed in on time.
    OnTime,
    Late,
    /// Nobody signed in yet, before the absence hour.
    NotYet,
    /// Nobody signed in by the absence hour.
    Absent,
}

impl Presence {
    pub fn label(self) -> &'static str {
        match self {
            Presence::RestDay => "休息日值班",
            Presence::NoRoster => "未排班",
            Presence::OnTime => "在岗",
            Presence::Late => "迟到",
            Presence::NotYet => "暂未到岗",
            Presence::Absent => "缺岗",
        }
    }

    /// Shown at the top of the township's table.
    pub fn missed(self) -> bool {
        matches!(self, Presence::Absent | Presence::NoRoster)
    }
}

/// One village today.
#[derive(Debug, Clone)]
pub struct VillageToday {
    pub village: Place,
    pub on_duty: Vec<Cadre>,
    pub first_in: Option<NaiveDateTime>,
    pub presence: Presence,
}

fn local_minute(at: NaiveDateTime, offset: FixedOffset) -> i32 {
    let t = crate::time::to_local(at, offset);
    (t.hour() * 60 + t.minute()) as i32
}

/// The villages the actor may supervise, by township order.
pub fn villages_in_reach(conn: &mut DbConn, actor: &Actor) -> AppResult<Vec<Place>> {
    let mut out = Vec::new();
    for (_, villages) in places::visible_villages(conn, actor)? {
        for v in villages {
            if actor.may(Action::SuperviseRoster, &places::scope(conn, &v)?) {
                out.push(v);
            }
        }
    }
    Ok(out)
}

/// How one village stands at `now` (its local day).
pub fn village_today(
    conn: &mut DbConn,
    village: Place,
    now: NaiveDateTime,
    offset: FixedOffset,
) -> AppResult<VillageToday> {
    let today = crate::time::to_local(now, offset).date_naive();
    let roster = duty::day(conn, village.id, today)?;
    let office = office::get(conn, village.id)?;
    let key = day_str(today);
    let signins = signin::between(conn, village.id, &key, &key)?;
    let all = cadres::of_village(conn, village.id)?;
    let on_duty: Vec<Cadre> = all.into_iter().filter(|c| roster.has(c.id)).collect();
    let first = signins
        .iter()
        .filter(|s| s.kind == "in" && roster.has(s.cadre_id))
        .min_by_key(|s| s.at);
    let presence = if !roster.kind.is_workday() {
        Presence::RestDay
    } else if roster.duties.is_empty() {
        Presence::NoRoster
    } else if let Some(s) = first {
        let start = roster.first_start(s.cadre_id).unwrap_or(office.span().0);
        if local_minute(s.at, offset) > start {
            Presence::Late
        } else {
            Presence::OnTime
        }
    } else if local_minute(now, offset) >= office.absent_after {
        Presence::Absent
    } else {
        Presence::NotYet
    };
    Ok(VillageToday {
        village,
        on_duty,
        first_in: first.map(|s| s.at),
        presence,
    })
}

/// Every village in reach today, those that missed sign-in first.
pub fn today(
    conn: &mut DbConn,
    actor: &Actor,
    now: NaiveDateTime,
    offset: FixedOffset,
) -> AppResult<Vec<VillageToday>> {
    let mut out = Vec::new();
    for v in villages_in_reach(conn, actor)? {
        out.push(village_today(conn, v, now, offset)?);
    }
    out.sort_by_key(|v| !v.presence.missed());
    Ok(out)
}

/// A cadre's month.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Workdays on duty (应值).
    pub due: i64,
    /// Of those, days signed in (实到).
    pub present: i64,
    pub late: i64,
    /// Days covering for another cadre (代班).
    pub covering: i64,
    /// Past duty days without a sign-in (缺岗).
    pub absent: i64,
}

impl Tally {
    fn add(&mut self, o: &Tally) {
        self.due += o.due;
        self.present += o.present;
        self.late += o.late;
        self.covering += o.covering;
        self.absent += o.absent;
    }
}

pub struct CadreMonth {
    pub cadre: Cadre,
    pub tally: Tally,
}

pub struct VillageMonth {
    pub village: Place,
    pub total: Tally,
    pub cadres: Vec<CadreMonth>,
}

/// The first and last day of the month of `day`.
pub fn month_bounds(day: NaiveDate) -> (NaiveDate, NaiveDate) {
    let first = day.with_day(1).unwrap_or(day);
    let next = if first.month() == 12 {
        NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)
    };
    (first, next.and_then(|n| n.pred_opt()).unwrap_or(first))
}

/// A village's month (`month`: any day in it) up to `now`.
pub fn village_month(
    conn: &mut DbConn,
    village: Place,
    month: NaiveDate,
    now: NaiveDateTime,
    offset: FixedOffset,
) -> AppResult<VillageMonth> {
    let today = crate::time::to_local(now, offset).date_naive();
    let (first, last) = month_bounds(month);
    let last = last.min(today);
    let office = office::get(conn, village.id)?;
    let mut tallies: HashMap<i64, Tally> = HashMap::new();
    if first <= last {
        let rosters = duty::days(conn, village.id, first, last)?;
        let signins = signin::between(conn, village.id, &day_str(first), &day_str(last))?;
        let past_absence_hour = local_minute(now, offset) >= office.absent_after;
        for r in rosters.iter().filter(|r| r.kind.is_workday()) {
            let key = day_str(r.day);
            let mut seen = Vec::new();
            for d in &r.duties {
                if seen.contains(&d.cadre_id) {
                    continue;
                }
                seen.push(d.cadre_id);
                let t = tallies.entry(d.cadre_id).or_default();
                t.due += 1;
                if d.covering.is_some() {
                    t.covering += 1;
                }
                let first_in = signins
                    .iter()
                    .filter(|s| s.day == key && s.kind == "in" && s.cadre_id == d.cadre_id)
                    .map(|s| s.at)
                    .min();
                match first_in {
                    Some(at) => {
                        t.present += 1;
                        if local_minute(at, offset) > r.first_start(d.cadre_id).unwrap_or(d.starts)
                        {
                            t.late += 1;
                        }
                    }
                    None if r.day < today || past_absence_hour => t.absent += 1,
                    None => {}
                }
            }
        }
    }
    let mut total = Tally::default();
    let cadres = cadres::of_village(conn, village.id)?
        .into_iter()
        .map(|c| {
            let tally = tallies.remove(&c.id).unwrap_or_default();
            total.add(&tally);
            CadreMonth { cadre: c, tally }
        })
        .collect();
    Ok(VillageMonth {
        village,
        total,
        cadres,
    })
}

/// The month of every village in reach, as CSV (UTF-8 with a BOM, for Excel).
pub fn month_csv(months: &[VillageMonth], month: NaiveDate) -> AppResult<Vec<u8>> {
    let mut w = csv::Writer::from_writer(vec![0xEF, 0xBB, 0xBF]);
    let label = month.format("%Y-%m").to_string();
    let io = crate::error::AppError::because::<csv::Error>("csv");
    w.write_record([
        "月份", "村", "姓名", "职务", "应值", "实到", "迟到", "代班", "缺岗",
    ])
    .map_err(io)?;
    for m in months {
        for c in &m.cadres {
            let t = &c.tally;
            w.write_record([
                label.clone(),
                m.village.name.clone(),
                c.cadre.name.clone(),
                c.cadre.post.clone(),
                t.due.to_string(),
                t.present.to_string(),
                t.late.to_string(),
                t.covering.to_string(),
                t.absent.to_string(),
            ])
            .map_err(io)?;
        }
    }
    w.into_inner()
        .map_err(crate::error::AppError::because("csv"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_end_where_they_should() {
        let d = |s: &str| super::super::parse_day(s).unwrap_or_default();
        assert_eq!(
            month_bounds(d("2026-02-14")),
            (d("2026-02-01"), d("2026-02-28"))
        );
        assert_eq!(
            month_bounds(d("2026-12-31")),
            (d("2026-12-01"), d("2026-12-31"))
        );
    }
}
