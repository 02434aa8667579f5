//! The duty roster: a weekly pattern of shifts plus dated changes (leave
//! with a substitute, a substitute, a swap of two days), applied to the
//! calendar. The roster of a day is computed here and nowhere stored.

use std::collections::HashMap;

use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::calendar::{self, DayKind, Holiday};
use super::{cadres, day_str, hhmm, parse_day, parse_hhmm, weekday_label};
use crate::access::{Action, Actor};
use crate::audit::{self, Event};
use crate::db::schema::{duty_changes, duty_shifts};
use crate::db::{self, DbConn};
use crate::error::{AppError, AppResult};
use crate::places;
use crate::validate::{self, FieldErrors};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = duty_shifts)]
pub struct Shift {
    pub id: i64,
    pub village_id: i64,
    /// 1 = Monday .. 7 = Sunday.
    pub weekday: i32,
    pub cadre_id: i64,
    pub starts: i32,
    pub ends: i32,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = duty_changes)]
pub struct Change {
    pub id: i64,
    pub village_id: i64,
    pub kind: String,
    pub day: String,
    pub cadre_id: i64,
    pub other_cadre_id: i64,
    pub other_day: Option<String>,
    pub reason: String,
    pub created_at: NaiveDateTime,
}

pub const CHANGE_KINDS: [(&str, &str); 3] = [
    ("leave", "请假（代班人顶班）"),
    ("substitute", "代班"),
    ("swap", "调班（两人互换两天）"),
];

pub fn change_label(kind: &str) -> &'static str {
    match kind {
        "leave" => "请假",
        "substitute" => "代班",
        "swap" => "调班",
        _ => "变更",
    }
}

/// One cadre's duty on a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duty {
    pub cadre_id: i64,
    pub starts: i32,
    pub ends: i32,
    /// Rest day: reachable by phone rather than in the office.
    pub on_call: bool,
    /// The cadre of the pattern this duty was handed over from.
    pub covering: Option<i64>,
    /// `leave`, `substitute` or `swap` when a change applies.
    pub change: Option<String>,
}

impl Duty {
    pub fn time_text(&self) -> String {
        format!("{}-{}", hhmm(self.starts), hhmm(self.ends))
    }
}

/// The roster of one day.
#[derive(Debug, Clone)]
pub struct DayRoster {
    pub day: NaiveDate,
    pub kind: DayKind,
    /// The holiday's name, or the make-up workday's.
    pub holiday: Option<String>,
    pub duties: Vec<Duty>,
}

impl DayRoster {
    /// Whether `cadre_id` is on duty that day.
    pub fn has(&self, cadre_id: i64) -> bool {
        self.duties.iter().any(|d| d.cadre_id == cadre_id)
    }

    /// The earliest start of the cadre's duties that day.
    pub fn first_start(&self, cadre_id: i64) -> Option<i32> {
        self.duties
            .iter()
            .filter(|d| d.cadre_id == cadre_id)
            .map(|d| d.starts)
            .min()
    }
}

/// The roster of `day`: the pattern of the weekday the calendar says, each
/// shift handed over by the first change that names its cadre on that day.
pub fn compute(day: NaiveDate, kind: DayKind, pattern: &[Shift], changes: &[Change]) -> Vec<Duty> {
    let weekday = kind.pattern_weekday(day);
    let key = day_str(day);
    let mut out: Vec<Duty> = pattern
        .iter()
        .filter(|s| s.weekday == weekday)
        .map(|s| {
            let handed = changes.iter().find_map(|c| match c.kind.as_str() {
                "leave" | "substitute" if c.day == key && c.cadre_id == s.cadre_id => {
                    Some((c.other_cadre_id, c.kind.clone()))
                }
                "swap" if c.day == key && c.cadre_id == s.cadre_id => {
                    Some((c.other_cadre_id, c.kind.clone()))
                }
                "swap"
                    if c.other_day.as_deref() == Some(&key) && c.other_cadre_id == s.cadre_id =>
                {
                    Some((c.cadre_id, c.kind.clone()))
                }
                _ => None,
            });
            Duty {
                cadre_id: handed.as_ref().map_or(s.cadre_id, |h| h.0),
                starts: s.starts,
                ends: s.ends,
                on_call: !kind.is_workday(),
                covering: handed.as_ref().map(|_| s.cadre_id),
                change: handed.map(|h| h.1),
            }
        })
        .collect();
    out.sort_by_key(|d| (d.starts, d.cadre_id));
    out
}

pub fn pattern(conn: &mut DbConn, village_id: i64) -> AppResult<Vec<Shift>> {
    Ok(duty_shifts::table
        .filter(duty_shifts::village_id.eq(village_id))
        .order((duty_shifts::weekday, duty_shifts::starts, duty_shifts::id))
        .select(Shift::as_select())
        .load(conn)?)
}

/// Changes that touch any day from `from` to `to`.
pub fn changes_between(
    conn: &mut DbConn,
    village_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<Vec<Change>> {
    let (from, to) = (day_str(from), day_str(to));
    Ok(duty_changes::table
        .filter(duty_changes::village_id.eq(village_id))
        .filter(
            duty_changes::day
                .between(from.clone(), to.clone())
                .or(duty_changes::other_day.between(from, to)),
        )
        .order((duty_changes::day, duty_changes::id))
        .select(Change::as_select())
        .load(conn)?)
}

/// Changes from `from` on (for the clerk's list), the latest 50.
pub fn changes_from(conn: &mut DbConn, village_id: i64, from: NaiveDate) -> AppResult<Vec<Change>> {
    Ok(duty_changes::table
        .filter(duty_changes::village_id.eq(village_id))
        .filter(
            duty_changes::day
                .ge(day_str(from))
                .or(duty_changes::other_day.ge(day_str(from))),
        )
        .order((duty_changes::day, duty_changes::id))
        .limit(50)
        .select(Change::as_select())
        .load(conn)?)
}

/// The rosters of each day from `from` to `to` (both included).
pub fn days(
    conn: &mut DbConn,
    village_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<Vec<DayRoster>> {
    let pattern = pattern(conn, village_id)?;
    let changes = changes_between(conn, village_id, from, to)?;
    let listed: HashMap<String, Holiday> = calendar::between(conn, from, to)?
        .into_iter()
        .map(|h| (h.day.clone(), h))
        .collect();
    Ok(from
        .iter_days()
        .take_while(|d| *d <= to)
        .map(|day| {
            let holiday = listed.get(&day_str(day));
            let kind = calendar::kind_of(day, holiday);
            DayRoster {
                day,
                kind,
                holiday: holiday.map(|h| h.name.clone()),
                duties: compute(day, kind, &pattern, &changes),
            }
        })
        .collect())
}

pub fn day(conn: &mut DbConn, village_id: i64, day: NaiveDate) -> AppResult<DayRoster> {
    days(conn, village_id, day, day)?
        .pop()
        .ok_or_else(|| crate::error::AppError::bug("a day's roster is one day"))
}

/// Monday of the week `day` is in.
pub fn week_start(day: NaiveDate) -> NaiveDate {
    use chrono::Datelike;
    day - Duration::days(i64::from(day.weekday().num_days_from_monday()))
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ShiftForm {
    #[serde(default)]
    pub weekday: String,
    #[serde(default, deserialize_with = "crate::validate::optional_id")]
    pub cadre_id: Option<i64>,
    #[serde(default)]
    pub starts: String,
    #[serde(default)]
    pub ends: String,
}

/// Adds a shift to the weekly pattern. Refused: an unknown or inactive
/// cadre, a time that is no time, and a shift overlapping one the same
/// cadre already has on that weekday.
pub fn add_shift(
    conn: &mut DbConn,
    actor: &Actor,
    village_id: i64,
    form: &ShiftForm,
) -> AppResult<Shift> {
    actor.require(Action::KeepRoster, &places::scope_of(conn, village_id)?)?;
    let mut errors = FieldErrors::new();
    let weekday = form
        .weekday
        .trim()
        .parse::<i32>()
        .ok()
        .filter(|w| (1..=7).contains(w));
    if weekday.is_none() {
        errors.add("weekday", "请选择星期几");
    }
    let cadre = cadres::of_village_by_id(conn, village_id, form.cadre_id)?;
    if let Err(e) = &cadre {
        errors.add("cadre_id", e.clone());
    }
    let (starts, ends) = (parse_hhmm(&form.starts), parse_hhmm(&form.ends));
    if starts.is_none() {
        errors.add("starts", "请填写开始时间，如 08:30");
    }
    if ends.is_none() {
        errors.add("ends", "请填写结束时间，如 18:00");
    }
    if let (Some(a), Some(b)) = (starts, ends) {
        if a >= b {
            errors.add("ends", "结束时间须晚于开始时间");
        }
    }
    if let (Some(w), Ok(c), Some(a), Some(b)) = (weekday, &cadre, starts, ends) {
        let clash = pattern(conn, village_id)?
            .into_iter()
            .find(|s| s.weekday == w && s.cadre_id == c.id && s.starts < b && a < s.ends);
        if let Some(s) = clash {
            errors.add(
                "starts",
                format!(
                    "与 {} 周{} {}-{} 的班次重叠",
                    c.name,
                    weekday_label(w),
                    hhmm(s.starts),
                    hhmm(s.ends)
                ),
            );
        }
    }
    errors.into_result()?;
    let (Some(weekday), Ok(cadre), Some(starts), Some(ends)) = (weekday, cadre, starts, ends)
    else {
        return Err(crate::error::AppError::bug("checked above"));
    };
    db::write(conn, |conn| {
        db::lock_table(conn, "duty_shifts")?;
        diesel::insert_into(duty_shifts::table)
            .values((
                duty_shifts::village_id.eq(village_id),
                duty_shifts::weekday.eq(weekday),
                duty_shifts::cadre_id.eq(cadre.id),
                duty_shifts::starts.eq(starts),
                duty_shifts::ends.eq(ends),
                duty_shifts::created_at.eq(crate::time::now()),
            ))
            .execute(conn)?;
        let id = db::last_insert_id(conn)?;
        audit::record(
            conn,
            actor,
            Event {
                action: "duty.shift.add",
                target_type: "duty_shift",
                target_id: Some(id),
                place_id: Some(village_id),
                summary: format!(
                    "周{} {} {}-{}",
                    weekday_label(weekday),
                    cadre.name,
                    hhmm(starts),
                    hhmm(ends)
                ),
            },
        )?;
        crate::changes::touch(conn, village_id)?;
        Ok(duty_shifts::table
            .find(id)
            .select(Shift::as_select())
            .first(conn)?)
    })
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ChangeForm {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub day: String,
    #[serde(default, deserialize_with = "crate::validate::optional_id")]
    pub cadre_id: Option<i64>,
    #[serde(default, deserialize_with = "crate::validate::optional_id")]
    pub other_cadre_id: Option<i64>,
    #[serde(default)]
    pub other_day: String,
    #[serde(default)]
    pub reason: String,
}

/// Records a dated change. The cadre must be on duty that day (for a swap,
/// the other cadre on the other day), and whoever takes over must be an
/// active cadre of the village.
pub fn add_change(
    conn: &mut DbConn,
    actor: &Actor,
    village_id: i64,
    form: &ChangeForm,
) -> AppResult<Change> {
    actor.require(Action::KeepRoster, &places::scope_of(conn, village_id)?)?;
    let mut errors = FieldErrors::new();
    let kind = CHANGE_KINDS.iter().map(|k| k.0).find(|k| *k == form.kind);
    if kind.is_none() {
        errors.add("kind", "请选择请假、代班或调班");
    }
    let day = parse_day(&form.day);
    if day.is_none() {
        errors.add("day", "请填写日期，如 2026-12-08");
    }
    let cadre = cadres::of_village_by_id(conn, village_id, form.cadre_id)?;
    if let Err(e) = &cadre {
        errors.add("cadre_id", e.clone());
    }
    let other = match cadres::of_village_by_id(conn, village_id, form.other_cadre_id)? {
        Err(_) if form.other_cadre_id.is_some() => Err("代班人须是本村在职的村干部".to_string()),
        Err(_) => Err("请选择代班（或互换）的村干部".to_string()),
        Ok(o) => Ok(o),
    };
    match (&other, &cadre) {
        (Err(e), _) => errors.add("other_cadre_id", e.clone()),
        (Ok(o), Ok(c)) if o.id == c.id => errors.add("other_cadre_id", "代班人不能是本人"),
        _ => {}
    }
    let other_day = match kind {
        Some("swap") => {
            let d = parse_day(&form.other_day);
            if d.is_none() {
                errors.add("other_day", "调班请填写对方的值班日期，如 2026-12-09");
            }
            if d.is_some() && d == day {
                errors.add("other_day", "互换的两天不能是同一天");
            }
            d
        }
        _ => None,
    };
    if !form.reason.trim().is_empty() {
        errors.check("reason", validate::line(form.reason.trim(), "事由", 60));
    }
    if let (Some(d), Ok(c)) = (day, &cadre) {
        if !self::day(conn, village_id, d)?
            .duties
            .iter()
            .any(|x| x.cadre_id == c.id && x.covering.is_none())
        {
            errors.add("cadre_id", format!("{} 在 {} 没有排班", c.name, day_str(d)));
        }
    }
    if let (Some(d), Ok(o)) = (other_day, &other) {
        if !self::day(conn, village_id, d)?
            .duties
            .iter()
            .any(|x| x.cadre_id == o.id && x.covering.is_none())
        {
            errors.add(
                "other_day",
                format!("{} 在 {} 没有排班，无法互换", o.name, day_str(d)),
            );
        }
    }
    errors.into_result()?;
    let (Some(kind), Some(day), Ok(cadre), Ok(other)) = (kind, day, cadre, other) else {
        return Err(crate::error::AppError::bug("checked above"));
    };
    db::write(conn, |conn| {
        diesel::insert_into(duty_changes::table)
            .values((
                duty_changes::village_id.eq(village_id),
                duty_changes::kind.eq(kind),
                duty_changes::day.eq(day_str(day)),
                duty_changes::cadre_id.eq(cadre.id),
                duty_changes::other_cadre_id.eq(other.id),
                duty_changes::other_day.eq(other_day.map(day_str)),
                duty_changes::reason.eq(form.reason.trim()),
                duty_changes::created_at.eq(crate::time::now()),
            ))
            .execute(conn)?;
        let id = db::last_insert_id(conn)?;
        audit::record(
            conn,
            actor,
            Event {
                action: "duty.change.add",
                target_type: "duty_change",
                target_id: Some(id),
                place_id: Some(village_id),
                summary: format!(
                    "{} {} {} -> {}",
                    change_label(kind),
                    day_str(day),
                    cadre.name,
                    other.name
                ),
            },
        )?;
        crate::changes::touch(conn, village_id)?;
        Ok(duty_changes::table
            .find(id)
            .select(Change::as_select())
            .first(conn)?)
    })
}

/// What of a roster a keeper may remove: a weekly shift or a dated change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removable {
    Shift,
    Change,
}

impl Removable {
    /// From the address segment (`shifts`, `changes`).
    pub fn parse(segment: &str) -> Option<Removable> {
        match segment {
            "shifts" => Some(Removable::Shift),
            "changes" => Some(Removable::Change),
            _ => None,
        }
    }
}

/// Removes a shift or a change, audited; returns its village. TVs show the
/// roster, so their pages are rendered anew.
pub fn remove(conn: &mut DbConn, actor: &Actor, what: Removable, id: i64) -> AppResult<i64> {
    let (village_id, summary, action, target_type) = match what {
        Removable::Shift => {
            let shift: Shift = duty_shifts::table
                .find(id)
                .select(Shift::as_select())
                .first(conn)
                .optional()?
                .ok_or_else(|| AppError::not_found("这个班次"))?;
            let summary = format!(
                "周{} {}-{}",
                weekday_label(shift.weekday),
                hhmm(shift.starts),
                hhmm(shift.ends)
            );
            (shift.village_id, summary, "duty.shift.delete", "duty_shift")
        }
        Removable::Change => {
            let change: Change = duty_changes::table
                .find(id)
                .select(Change::as_select())
                .first(conn)
                .optional()?
                .ok_or_else(|| AppError::not_found("这条调整"))?;
            let summary = format!("{} {}", change_label(&change.kind), change.day);
            (
                change.village_id,
                summary,
                "duty.change.delete",
                "duty_change",
            )
        }
    };
    actor.require(Action::KeepRoster, &places::scope_of(conn, village_id)?)?;
    db::write(conn, |conn| {
        match what {
            Removable::Shift => diesel::delete(duty_shifts::table.find(id)).execute(conn)?,
            Removable::Change => diesel::delete(duty_changes::table.find(id)).execute(conn)?,
        };
        audit::record(
            conn,
            actor,
            Event {
                action,
                target_type,
                target_id: Some(id),
                place_id: Some(village_id),
                summary,
            },
        )?;
        crate::changes::touch(conn, village_id)?;
        Ok(village_id)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: i64 = 1;
    const B: i64 = 2;
    const C: i64 = 3;

    fn d(s: &str) -> NaiveDate {
        parse_day(s).unwrap_or_default()
    }
    fn shift(weekday: i32, cadre_id: i64) -> Shift {
        Shift {
            id: 0,
            village_id: 9,
            weekday,
            cadre_id,
            starts: 510,
            ends: 1080,
            created_at: NaiveDateTime::default(),
        }
    }
    fn change(kind: &str, day: &str, cadre_id: i64, other: i64, other_day: Option<&str>) -> Change {
        Change {
            id: 0,
            village_id: 9,
            kind: kind.into(),
            day: day.into(),
            cadre_id,
            other_cadre_id: other,
            other_day: other_day.map(str::to_string),
            reason: String::new(),
            created_at: NaiveDateTime::default(),
        }
    }
    /// A on Mondays and Wednesdays, B on Tuesdays, C on call on Saturdays and Sundays.
    fn week() -> Vec<Shift> {
        vec![
            shift(1, A),
            shift(3, A),
            shift(2, B),
            shift(6, C),
            shift(7, C),
        ]
    }
    fn who(day: &str, kind: DayKind, changes: &[Change]) -> Vec<(i64, bool, Option<i64>)> {
        compute(d(day), kind, &week(), changes)
            .into_iter()
            .map(|x| (x.cadre_id, x.on_call, x.covering))
            .collect()
    }

    #[test]
    fn weekdays_and_weekends_follow_the_pattern() {
        // 2026-12-07 Monday, 08 Tuesday, 12 Saturday.
        assert_eq!(
            who("2026-12-07", DayKind::Workday, &[]),
            vec![(A, false, None)]
        );
        assert_eq!(
            who("2026-12-08", DayKind::Workday, &[]),
            vec![(B, false, None)]
        );
        assert_eq!(
            who("2026-12-12", DayKind::Weekend, &[]),
            vec![(C, true, None)]
        );
        // Thursday has nobody in the pattern.
        assert!(who("2026-12-10", DayKind::Workday, &[]).is_empty());
    }

    #[test]
    fn holidays_are_on_call_and_make_up_workdays_follow_monday() {
        // 2026-10-01 (Thursday) holiday: Sunday's on-call cadre.
        assert_eq!(
            who("2026-10-01", DayKind::Holiday, &[]),
            vec![(C, true, None)]
        );
        // 2026-10-10 (Saturday) is worked: Monday's pattern, in the office.
        assert_eq!(
            who("2026-10-10", DayKind::MakeUpWorkday, &[]),
            vec![(A, false, None)]
        );
    }

    #[test]
    fn leave_and_substitute_hand_the_day_over() {
        let leave = [change("leave", "2026-12-07", A, B, None)];
        assert_eq!(
            who("2026-12-07", DayKind::Workday, &leave),
            vec![(B, false, Some(A))]
        );
        // Only that day.
        assert_eq!(
            who("2026-12-09", DayKind::Workday, &leave),
            vec![(A, false, None)]
        );
        let sub = [change("substitute", "2026-12-12", C, A, None)];
        assert_eq!(
            who("2026-12-12", DayKind::Weekend, &sub),
            vec![(A, true, Some(C))]
        );
        // A change naming a cadre not on duty that day changes nothing.
        let stray = [change("leave", "2026-12-08", A, C, None)];
        assert_eq!(
            who("2026-12-08", DayKind::Workday, &stray),
            vec![(B, false, None)]
        );
    }

    #[test]
    fn a_swap_exchanges_two_days() {
        // A (Monday 7th) and B (Tuesday 8th) swap.
        let swap = [change("swap", "2026-12-07", A, B, Some("2026-12-08"))];
        assert_eq!(
            who("2026-12-07", DayKind::Workday, &swap),
            vec![(B, false, Some(A))]
        );
        assert_eq!(
            who("2026-12-08", DayKind::Workday, &swap),
            vec![(A, false, Some(B))]
        );
        assert_eq!(
            who("2026-12-14", DayKind::Workday, &swap),
            vec![(A, false, None)]
        );
    }

    #[test]
    fn weeks_start_on_monday() {
        assert_eq!(week_start(d("2026-12-06")), d("2026-11-30"));
        assert_eq!(week_start(d("2026-11-30")), d("2026-11-30"));
    }
}
