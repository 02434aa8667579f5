//! A village office's hours, public phone and the hour after which a cadre
//! who has not signed in counts as absent.

use diesel::prelude::*;

use super::{hhmm, parse_hhmm};
use crate::access::{Action, Actor};
use crate::audit::{self, Changes, Event};
use crate::db::schema::duty_offices;
use crate::db::{self, DbConn};
use crate::error::AppResult;
use crate::places;
use crate::validate::FieldErrors;

/// 8:30-12:00 and 14:30-18:00 (FIELD.md: about 6 hours a day).
pub const DEFAULT_HOURS: [(i32, i32); 2] = [(510, 720), (870, 1080)];
/// 9:30: no sign-in by then is an absence.
pub const DEFAULT_ABSENT_AFTER: i32 = 570;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Office {
    pub village_id: i64,
    /// Sessions of the day, minutes from local midnight, in order.
    pub hours: Vec<(i32, i32)>,
    pub phone: String,
    pub absent_after: i32,
}

impl Office {
    pub fn default_for(village_id: i64) -> Office {
        Office {
            village_id,
            hours: DEFAULT_HOURS.to_vec(),
            phone: String::new(),
            absent_after: DEFAULT_ABSENT_AFTER,
        }
    }

    /// `08:30-12:00, 14:30-18:00`
    pub fn hours_text(&self) -> String {
        format_hours(&self.hours)
    }

    /// The day from the first session's start to the last one's end.
    pub fn span(&self) -> (i32, i32) {
        let start = self.hours.first().map_or(510, |h| h.0);
        let end = self.hours.last().map_or(1080, |h| h.1);
        (start, end)
    }
}

pub fn format_hours(hours: &[(i32, i32)]) -> String {
    hours
        .iter()
        .map(|(a, b)| format!("{}-{}", hhmm(*a), hhmm(*b)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `08:30-12:00, 14:30-18:00`: sessions in order that do not overlap.
pub fn parse_hours(text: &str) -> Result<Vec<(i32, i32)>, String> {
    let mut out: Vec<(i32, i32)> = Vec::new();
    for part in text
        .split([',', '，', ';', '；'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let bad = || format!("“{part}”不是时段，请写成 08:30-12:00");
        let (a, b) = part.split_once('-').ok_or_else(bad)?;
        let (a, b) = (
            parse_hhmm(a).ok_or_else(bad)?,
            parse_hhmm(b).ok_or_else(bad)?,
        );
        if a >= b {
            return Err(format!("“{part}”的结束时间须晚于开始时间"));
        }
        if let Some(last) = out.last() {
            if a < last.1 {
                return Err(format!("时段 {} 与前一个时段重叠", part));
            }
        }
        out.push((a, b));
    }
    if out.is_empty() {
        return Err("请填写办公时间，如 08:30-12:00, 14:30-18:00".into());
    }
    if out.len() > 4 {
        return Err("办公时间最多 4 个时段".into());
    }
    Ok(out)
}

pub fn get(conn: &mut DbConn, village_id: i64) -> AppResult<Office> {
    let row: Option<(String, String, i32)> = duty_offices::table
        .find(village_id)
        .select((
            duty_offices::hours,
            duty_offices::phone,
            duty_offices::absent_after,
        ))
        .first(conn)
        .optional()?;
    Ok(match row {
        None => Office::default_for(village_id),
        Some((hours, phone, absent_after)) => Office {
            village_id,
            hours: parse_hours(&hours).unwrap_or_else(|_| DEFAULT_HOURS.to_vec()),
            phone,
            absent_after,
        },
    })
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct OfficeForm {
    #[serde(default)]
    pub hours: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub absent_after: String,
}

impl OfficeForm {
    pub fn of(o: &Office) -> OfficeForm {
        OfficeForm {
            hours: o.hours_text(),
            phone: o.phone.clone(),
            absent_after: hhmm(o.absent_after),
        }
    }
}

pub fn save(
    conn: &mut DbConn,
    actor: &Actor,
    village_id: i64,
    form: &OfficeForm,
) -> AppResult<Office> {
    actor.require(Action::KeepRoster, &places::scope_of(conn, village_id)?)?;
    let before = get(conn, village_id)?;
    let mut errors = FieldErrors::new();
    let hours = parse_hours(&form.hours);
    if let Err(e) = &hours {
        errors.add("hours", e.clone());
    }
    errors.check(
        "phone",
        super::cadres::check_phone(&form.phone, "村委值班电话", false),
    );
    let absent_after = parse_hhmm(&form.absent_after);
    if absent_after.is_none() {
        errors.add("absent_after", "请填写时间，如 09:30");
    }
    errors.into_result()?;
    let office = Office {
        village_id,
        hours: hours.unwrap_or_default(),
        phone: form.phone.trim().to_string(),
        absent_after: absent_after.unwrap_or(DEFAULT_ABSENT_AFTER),
    };
    let changes = Changes::new()
        .field("hours", before.hours_text(), office.hours_text())
        .field("phone", &before.phone, &office.phone)
        .field(
            "absent_after",
            hhmm(before.absent_after),
            hhmm(office.absent_after),
        );
    if changes.is_empty() {
        return Ok(before);
    }
    db::write(conn, |conn| {
        diesel::delete(duty_offices::table.find(village_id)).execute(conn)?;
        diesel::insert_into(duty_offices::table)
            .values((
                duty_offices::village_id.eq(village_id),
                duty_offices::hours.eq(office.hours_text()),
                duty_offices::phone.eq(&office.phone),
                duty_offices::absent_after.eq(office.absent_after),
                duty_offices::updated_at.eq(crate::time::now()),
            ))
            .execute(conn)?;
        audit::record(
            conn,
            actor,
            Event {
                action: "duty.office",
                target_type: "village",
                target_id: Some(village_id),
                place_id: Some(village_id),
                summary: changes.summary(),
            },
        )?;
        crate::changes::touch(conn, village_id)?;
        Ok(office)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn office_hours_parse_and_refuse_overlaps() {
        assert_eq!(
            parse_hours("08:30-12:00, 14:30-18:00"),
            Ok(DEFAULT_HOURS.to_vec())
        );
        assert_eq!(
            parse_hours("8:30-12:00，14:30-18:00"),
            Ok(DEFAULT_HOURS.to_vec())
        );
        assert!(parse_hours("08:30-12:00, 11:30-18:00").is_err_and(|e| e.contains("重叠")));
        assert!(parse_hours("12:00-08:30").is_err());
        assert!(parse_hours("").is_err());
        assert!(parse_hours("上午").is_err());
    }
}
