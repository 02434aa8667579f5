//! Workdays and rest days: the week, public holidays and make-up workdays
//! (调休上班), from the county-wide `holidays` table admins keep.

use chrono::{Datelike, NaiveDate};
use diesel::prelude::*;

use super::{day_str, parse_day};
use crate::access::{Action, Actor};
use crate::audit::{self, Event};
use crate::db::schema::holidays;
use crate::db::{self, DbConn};
use crate::error::{AppError, AppResult};
use crate::validate::{self, FieldErrors};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayKind {
    Workday,
    Weekend,
    Holiday,
    /// A weekend day worked in exchange for a holiday.
    MakeUpWorkday,
}

impl DayKind {
    /// Workdays have office hours (坐班); rest days a cadre on call (值班).
    pub fn is_workday(self) -> bool {
        matches!(self, DayKind::Workday | DayKind::MakeUpWorkday)
    }

    pub fn label(self) -> &'static str {
        match self {
            DayKind::Workday => "工作日",
            DayKind::Weekend => "休息日",
            DayKind::Holiday => "节假日",
            DayKind::MakeUpWorkday => "调休上班",
        }
    }

    /// The weekday (1..7) of the weekly pattern that applies on `day`: its
    /// own, except that a make-up workday follows Monday's pattern and a
    /// holiday on a weekday follows Sunday's (the on-call rota).
    pub fn pattern_weekday(self, day: NaiveDate) -> i32 {
        let own = day.weekday().number_from_monday() as i32;
        match self {
            DayKind::Workday | DayKind::Weekend => own,
            DayKind::MakeUpWorkday => 1,
            DayKind::Holiday if own >= 6 => own,
            DayKind::Holiday => 7,
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = holidays)]
pub struct Holiday {
    pub day: String,
    pub kind: String,
    pub name: String,
}

impl Holiday {
    pub fn kind_label(&self) -> &'static str {
        if self.kind == "workday" {
            "调休上班"
        } else {
            "放假"
        }
    }
}

/// What kind of day `day` is, given its row of the holiday table (if any).
pub fn kind_of(day: NaiveDate, listed: Option<&Holiday>) -> DayKind {
    match listed.map(|h| h.kind.as_str()) {
        Some("holiday") => DayKind::Holiday,
        Some("workday") => DayKind::MakeUpWorkday,
        _ if day.weekday().number_from_monday() >= 6 => DayKind::Weekend,
        _ => DayKind::Workday,
    }
}

/// The listed days from `from` to `to`, both included.
pub fn between(conn: &mut DbConn, from: NaiveDate, to: NaiveDate) -> AppResult<Vec<Holiday>> {
    Ok(holidays::table
        .filter(holidays::day.ge(day_str(from)))
        .filter(holidays::day.le(day_str(to)))
        .order(holidays::day)
        .select(Holiday::as_select())
        .load(conn)?)
}

/// The listed days of a year.
pub fn of_year(conn: &mut DbConn, year: i32) -> AppResult<Vec<Holiday>> {
    let (Some(from), Some(to)) = (
        NaiveDate::from_ymd_opt(year, 1, 1),
        NaiveDate::from_ymd_opt(year, 12, 31),
    ) else {
        return Ok(Vec::new());
    };
    between(conn, from, to)
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct HolidayForm {
    #[serde(default)]
    pub day: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub name: String,
}

/// Adds a day to the table, or changes the listed one. Admins only.
pub fn save(conn: &mut DbConn, actor: &Actor, form: &HolidayForm) -> AppResult<NaiveDate> {
    actor.require(Action::ManagePlaces, &actor.place)?;
    let mut errors = FieldErrors::new();
    let day = parse_day(&form.day);
    if day.is_none() {
        errors.add("day", "请填写日期，格式如 2027-01-01");
    }
    if !["holiday", "workday"].contains(&form.kind.as_str()) {
        errors.add("kind", "请选择放假或调休上班");
    }
    errors.check("name", validate::line(form.name.trim(), "名称", 20));
    errors.into_result()?;
    let day = day.ok_or_else(|| crate::error::AppError::bug("checked above"))?;
    let key = day_str(day);
    db::write(conn, |conn| {
        diesel::delete(holidays::table.find(&key)).execute(conn)?;
        diesel::insert_into(holidays::table)
            .values((
                holidays::day.eq(&key),
                holidays::kind.eq(&form.kind),
                holidays::name.eq(form.name.trim()),
            ))
            .execute(conn)?;
        audit::record(
            conn,
            actor,
            Event {
                action: "holiday.save",
                target_type: "holiday",
                target_id: None,
                place_id: Some(actor.place.id),
                summary: format!("{key} {} {}", form.kind, form.name.trim()),
            },
        )?;
        // Every village's roster may change.
        crate::changes::touch(conn, actor.place.id)?;
        Ok(day)
    })
}

/// Removes a day from the table. Admins only.
pub fn remove(conn: &mut DbConn, actor: &Actor, day: &str) -> AppResult<()> {
    actor.require(Action::ManagePlaces, &actor.place)?;
    let day = parse_day(day).ok_or_else(|| AppError::not_found("这一天"))?;
    let key = day_str(day);
    db::write(conn, |conn| {
        let n = diesel::delete(holidays::table.find(&key)).execute(conn)?;
        if n == 0 {
            return Err(AppError::not_found("这一天"));
        }
        audit::record(
            conn,
            actor,
            Event {
                action: "holiday.delete",
                target_type: "holiday",
                target_id: None,
                place_id: Some(actor.place.id),
                summary: key.clone(),
            },
        )?;
        crate::changes::touch(conn, actor.place.id)?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        parse_day(s).unwrap_or_default()
    }
    fn listed(day: &str, kind: &str) -> Holiday {
        Holiday {
            day: day.into(),
            kind: kind.into(),
            name: "国庆节".into(),
        }
    }

    #[test]
    fn weeks_holidays_and_make_up_workdays() {
        // 2026-12-01 is a Tuesday, the 5th a Saturday.
        assert_eq!(kind_of(d("2026-12-01"), None), DayKind::Workday);
        assert_eq!(kind_of(d("2026-12-05"), None), DayKind::Weekend);
        assert_eq!(kind_of(d("2026-12-06"), None), DayKind::Weekend);
        // National Day on a Thursday is a holiday; 2026-10-10, a Saturday, is worked.
        let national = listed("2026-10-01", "holiday");
        assert_eq!(kind_of(d("2026-10-01"), Some(&national)), DayKind::Holiday);
        let make_up = listed("2026-10-10", "workday");
        let kind = kind_of(d("2026-10-10"), Some(&make_up));
        assert_eq!(kind, DayKind::MakeUpWorkday);
        assert!(kind.is_workday());
        assert!(!DayKind::Holiday.is_workday());
        // Which week's pattern applies.
        assert_eq!(DayKind::MakeUpWorkday.pattern_weekday(d("2026-10-10")), 1);
        assert_eq!(DayKind::Holiday.pattern_weekday(d("2026-10-01")), 7);
        assert_eq!(DayKind::Holiday.pattern_weekday(d("2026-10-03")), 6);
        assert_eq!(DayKind::Workday.pattern_weekday(d("2026-12-01")), 2);
    }
}
