//! Branch meeting records (三会一课): type, day, place, host, recorder, who of
//! the roster attended (absentees with a reason), topics and minutes (the
//! articles' sanitiser). Quorum is checked on saving; what is due comes
//! from the configured rhythm.

use std::collections::HashMap;

use chrono::{FixedOffset, NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::branch::{self, Member};
use super::rhythm::{self, Due, Rhythm};
use super::{day_str, parse_day};
use crate::access::{Action, Actor};
use crate::audit::{self, Event};
use crate::db::schema::{branch_meetings, meeting_attendance};
use crate::db::{self, DbConn};
use crate::error::AppResult;
use crate::places::{self, Place};
use crate::validate::{self, FieldErrors};

/// Minutes longer than this (characters of sanitised HTML) are refused.
pub const MAX_MINUTES: usize = 100_000;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = branch_meetings)]
pub struct Meeting {
    pub id: i64,
    pub village_id: i64,
    pub kind: String,
    pub held_on: String,
    pub place: String,
    pub host: String,
    pub recorder: String,
    pub topics: String,
    pub minutes: String,
    pub expected: i32,
    pub present: i32,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
}

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

/// Records a meeting with its attendance, in one transaction.
pub fn record(
    conn: &mut DbConn,
    actor: &Actor,
    village_id: i64,
    form: &MeetingForm,
    now: NaiveDateTime,
    offset: FixedOffset,
) -> AppResult<Meeting> {
    actor.require(Action::KeepRoster, &places::scope_of(conn, village_id)?)?;
    let roster = branch::of_village(conn, village_id)?;
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
    if present.len() > roster.len() {
        errors.add("present", "实到人数不能多于应到人数");
    }
    for m in roster.iter().filter(|m| !present.contains(&m.id)) {
        let reason = form.reason(&m.id).trim();
        if reason.chars().count() > 40 {
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
        return Err(crate::error::AppError::bug("checked above"));
    };
    db::write(conn, |conn| {
        diesel::insert_into(branch_meetings::table)
            .values((
                branch_meetings::village_id.eq(village_id),
                branch_meetings::kind.eq(kind),
                branch_meetings::held_on.eq(day_str(held_on)),
                branch_meetings::place.eq(form.place.trim()),
                branch_meetings::host.eq(form.host.trim()),
                branch_meetings::recorder.eq(form.recorder.trim()),
                branch_meetings::topics.eq(form.topics.trim()),
                branch_meetings::minutes.eq(&minutes),
                branch_meetings::expected.eq(roster.len() as i32),
                branch_meetings::present.eq(present.len() as i32),
                branch_meetings::created_by.eq(actor.user_id),
                branch_meetings::created_at.eq(now),
            ))
            .execute(conn)?;
        let id = db::last_insert_id(conn)?;
        for m in &roster {
            let here = present.contains(&m.id);
            diesel::insert_into(meeting_attendance::table)
                .values((
                    meeting_attendance::meeting_id.eq(id),
                    meeting_attendance::member_id.eq(m.id),
                    meeting_attendance::present.eq(here),
                    meeting_attendance::reason.eq(if here {
                        ""
                    } else {
                        form.reason(&m.id).trim()
                    }),
                ))
                .execute(conn)?;
        }
        audit::record(
            conn,
            actor,
            Event {
                action: "meeting.record",
                target_type: "branch_meeting",
                target_id: Some(id),
                place_id: Some(village_id),
                summary: format!(
                    "{} {} {}/{}",
                    rhythm::kind_label(kind),
                    day_str(held_on),
                    present.len(),
                    roster.len()
                ),
            },
        )?;
        Ok(branch_meetings::table
            .find(id)
            .select(Meeting::as_select())
            .first(conn)?)
    })
}

/// A village's meetings, newest first.
pub fn of_village(conn: &mut DbConn, village_id: i64, limit: i64) -> AppResult<Vec<Meeting>> {
    Ok(branch_meetings::table
        .filter(branch_meetings::village_id.eq(village_id))
        .order((branch_meetings::held_on.desc(), branch_meetings::id.desc()))
        .limit(limit)
        .select(Meeting::as_select())
        .load(conn)?)
}

/// What each tracked kind stands at for a village on the local day of `now`.
pub fn due_of_village(
    conn: &mut DbConn,
    village_id: i64,
    rhythm: &Rhythm,
    today: NaiveDate,
) -> AppResult<Vec<(&'static str, Due)>> {
    let mut out = Vec::new();
    for (kind, period) in &rhythm.0 {
        let last: Option<String> = branch_meetings::table
            .filter(branch_meetings::village_id.eq(village_id))
            .filter(branch_meetings::kind.eq(*kind))
            .filter(branch_meetings::held_on.le(day_str(today)))
            .select(diesel::dsl::max(branch_meetings::held_on))
            .first(conn)?;
        out.push((
            *kind,
            rhythm::due(*period, today, last.as_deref().and_then(parse_day)),
        ));
    }
    Ok(out)
}

/// A village and the state of each tracked kind.
pub type DueRow = (Place, Vec<(&'static str, Due)>);

/// The township's table: each village in reach against each tracked kind.
pub fn due_table(
    conn: &mut DbConn,
    actor: &Actor,
    rhythm: &Rhythm,
    today: NaiveDate,
) -> AppResult<Vec<DueRow>> {
    let mut out = Vec::new();
    for v in super::supervision::villages_in_reach(conn, actor)? {
        let row = due_of_village(conn, v.id, rhythm, today)?;
        out.push((v, row));
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
