//! A meeting record as the clerk posts it, and the checks it must pass
//! before anything is stored: type, day, text lengths, the photo, who of
//! the roster came, absentees' reasons and the quorum.

use std::collections::HashMap;

use chrono::{FixedOffset, NaiveDate, NaiveDateTime};

use super::super::branch::Member;
use super::super::parse_day;
use super::super::rhythm;
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::validate::{self, FieldErrors};

/// Minutes longer than this (characters of sanitised HTML) are refused.
pub const MAX_MINUTES: usize = 100_000;
/// Photos a record may carry (会场, 签到表 ...).
pub const MAX_PHOTOS: usize = 6;

/// A meeting form as posted: fixed fields, `present` once per attendee,
/// `reason_{member id}` for absentees.
#[derive(Debug, Clone, Default)]
pub struct MeetingForm {
    pub kind: String,
    pub held_on: String,
    pub place: String,
    pub host: String,
    pub recorder: String,
    pub topics: String,
    pub minutes: String,
    /// Images of the village's media library, by number, in order: the
    /// first is the record's cover (what the TV shows).
    pub photos: Vec<String>,
    pub present: Vec<String>,
    pub reasons: HashMap<String, String>,
}

impl MeetingForm {
    pub fn from_pairs(pairs: &[(String, String)]) -> MeetingForm {
        let mut f = MeetingForm::default();
        for (k, v) in pairs {
            match k.as_str() {
                "kind" => f.kind = v.clone(),
                "held_on" => f.held_on = v.clone(),
                "place" => f.place = v.clone(),
                "host" => f.host = v.clone(),
                "recorder" => f.recorder = v.clone(),
                "topics" => f.topics = v.clone(),
                "minutes" => f.minutes = v.clone(),
                "photo_id" if !v.trim().is_empty() => f.photos.push(v.clone()),
                "photo_id" => {}
                "present" => f.present.push(v.clone()),
                other => {
                    if let Some(id) = other.strip_prefix("reason_") {
                        f.reasons.insert(id.to_string(), v.clone());
                    }
                }
            }
        }
        f
    }

    pub fn is_present(&self, id: &i64) -> bool {
        self.present.iter().any(|p| p == &id.to_string())
    }

    pub fn reason(&self, id: &i64) -> &str {
        self.reasons.get(&id.to_string()).map_or("", String::as_str)
    }
}

/// Whether enough came: more than half of those with a vote (党员大会) or
/// of the committee (支委会); other kinds have no quorum. `Err` says why.
pub fn quorum(kind: &str, roster: &[Member], present: &[i64]) -> Result<(), String> {
    let (label, counted): (&str, Vec<&Member>) = match kind {
        "congress" => (
            "有表决权的党员",
            roster.iter().filter(|m| m.voting).collect(),
        ),
        "committee" => ("支委", roster.iter().filter(|m| m.committee).collect()),
        _ => return Ok(()),
    };
    let there = counted.iter().filter(|m| present.contains(&m.id)).count();
    if counted.is_empty() || there * 2 <= counted.len() {
        return Err(format!(
            "{}须有过半数{label}到会：应到 {} 人，实到 {} 人，不足法定人数",
            rhythm::kind_label(kind),
            counted.len(),
            there
        ));
    }
    Ok(())
}

/// A form that passed every check: what is stored.
pub(super) struct Checked<'a> {
    pub form: &'a MeetingForm,
    pub kind: &'static str,
    pub held_on: NaiveDate,
    pub minutes: String,
    /// The cover first.
    pub photos: Vec<i64>,
    /// Who was expected: the roster the attendance rows are written for.
    pub roster: Vec<Member>,
    pub present: Vec<i64>,
}

/// Checks a meeting form against the roster expected at it: a message
/// beside each field that is wrong, nothing stored.
pub(super) fn check<'a>(
    conn: &mut DbConn,
    village_id: i64,
    roster: Vec<Member>,
    form: &'a MeetingForm,
    now: NaiveDateTime,
    offset: FixedOffset,
) -> AppResult<Checked<'a>> {
    let mut errors = FieldErrors::new();
    let kind = rhythm::KINDS.iter().map(|k| k.0).find(|k| *k == form.kind);
    if kind.is_none() {
        errors.add("kind", "请选择会议类型");
    }
    let today = crate::time::to_local(now, offset).date_naive();
    let held_on = parse_day(&form.held_on);
    match held_on {
        None => errors.add("held_on", "请填写会议日期，如 2026-11-28"),
        Some(d) if d > today => errors.add("held_on", "会议日期不能晚于今天"),
        Some(_) => {}
    }
    errors.check("place", validate::line(form.place.trim(), "会议地点", 40));
    errors.check("host", validate::line(form.host.trim(), "主持人", 20));
    errors.check(
        "recorder",
        validate::line(form.recorder.trim(), "记录人", 20),
    );
    errors.check("topics", validate::line(form.topics.trim(), "议题", 200));
    let minutes = crate::articles::sanitize::clean_body(&form.minutes);
    if minutes.chars().count() > MAX_MINUTES {
        errors.add(
            "minutes",
            format!("会议记录最多 {MAX_MINUTES} 字，请分次整理或精简"),
        );
    }
    let photos = photos_of(conn, village_id, &form.photos, &mut errors)?;
    let mut present: Vec<i64> = Vec::new();
    for p in &form.present {
        match p
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|id| roster.iter().any(|m| m.id == *id))
        {
            Some(id) if !present.contains(&id) => present.push(id),
            Some(_) => {}
            None => errors.add("present", "出席人员须是本支部党员名册中的党员"),
        }
    }
    for m in roster.iter().filter(|m| !present.contains(&m.id)) {
        if form.reason(&m.id).trim().chars().count() > 40 {
            errors.add("present", format!("{} 的缺席原因最多 40 字", m.name));
        }
    }
    if let Some(k) = kind {
        if let Err(e) = quorum(k, &roster, &present) {
            errors.add("present", e);
        }
    }
    errors.into_result()?;
    let (Some(kind), Some(held_on)) = (kind, held_on) else {
        return Err(AppError::bug("checked above"));
    };
    Ok(Checked {
        form,
        kind,
        held_on,
        minutes,
        photos,
        roster,
        present,
    })
}

/// The photos a form names: images of the village's own library, each
/// once, at most [`MAX_PHOTOS`] (a message beside the field otherwise).
fn photos_of(
    conn: &mut DbConn,
    village_id: i64,
    raw: &[String],
    errors: &mut FieldErrors,
) -> AppResult<Vec<i64>> {
    let mut out: Vec<i64> = Vec::new();
    let mut distinct: Vec<&str> = raw.iter().map(|r| r.trim()).collect();
    distinct.sort_unstable();
    distinct.dedup();
    // Counted before any is looked up: a form may carry thousands.
    if distinct.len() > MAX_PHOTOS {
        errors.add(
            "photo_id",
            format!("一条会议记录最多附 {MAX_PHOTOS} 张照片，请少选几张"),
        );
        return Ok(out);
    }
    for r in raw {
        match r.trim().parse::<i64>() {
            Ok(id) if crate::media::of_place(conn, id, village_id)? => {
                if !out.contains(&id) {
                    out.push(id);
                }
            }
            _ => {
                errors.add("photo_id", "找不到这张图片（须是本村图片库中的图片编号）");
                return Ok(Vec::new());
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(id: i64, voting: bool, committee: bool) -> Member {
        Member {
            id,
            village_id: 1,
            name: format!("党员{id}"),
            status: if voting { "formal" } else { "probationary" }.into(),
            voting,
            committee,
            active: true,
            created_at: NaiveDateTime::default(),
            updated_at: NaiveDateTime::default(),
        }
    }

    #[test]
    fn quorum_is_more_than_half() {
        // 4 voting members (1-4, of them 1-3 on the committee), 1 probationary (5).
        let roster: Vec<Member> = vec![
            member(1, true, true),
            member(2, true, true),
            member(3, true, true),
            member(4, true, false),
            member(5, false, false),
        ];
        // Half of the voting members is not enough; the probationary one does not count.
        assert!(quorum("congress", &roster, &[1, 2, 5])
            .is_err_and(|e| e.contains("应到 4 人，实到 2 人")));
        assert!(quorum("congress", &roster, &[1, 2, 4]).is_ok());
        // The committee: 2 of 3.
        assert!(quorum("committee", &roster, &[1, 4, 5]).is_err());
        assert!(quorum("committee", &roster, &[1, 2]).is_ok());
        // A party lecture has no quorum.
        assert!(quorum("lecture", &roster, &[]).is_ok());
        // An empty committee can hold no 支委会.
        assert!(quorum("committee", &[member(9, true, false)], &[9]).is_err());
    }
}
