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
    /// An image of the village's media library.
    pub photo_id: Option<i64>,
    /// The township official who confirmed the record; only confirmed
    /// records are shown on TVs (组织生活).
    pub confirmed_by: Option<i64>,
    pub confirmed_at: Option<NaiveDateTime>,
}

impl Meeting {
    pub fn kind_label(&self) -> &'static str {
        rhythm::kind_label(&self.kind)
    }

    pub fn is_confirmed(&self) -> bool {
        self.confirmed_at.is_some()
    }
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
    /// The number of an image in the village's media library, or empty.
    pub photo_id: String,
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
                "photo_id" => f.photo_id = v.clone(),
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
struct Checked {
    kind: &'static str,
    held_on: NaiveDate,
    minutes: String,
    photo: Option<i64>,
    roster: Vec<Member>,
    present: Vec<i64>,
}

/// Checks a meeting form against the village's roster: a message beside
/// each field that is wrong, nothing stored.
fn check(
    conn: &mut DbConn,
    village_id: i64,
    form: &MeetingForm,
    now: NaiveDateTime,
    offset: FixedOffset,
) -> AppResult<Checked> {
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
    let photo = photo_of(conn, village_id, &form.photo_id, &mut errors)?;
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
    Ok(Checked {
        kind,
        held_on,
        minutes,
        photo,
        roster,
        present,
    })
}

impl Checked {
    /// The attendance rows of meeting `id`: one per member of the roster.
    fn write_attendance(&self, conn: &mut DbConn, id: i64, form: &MeetingForm) -> AppResult<()> {
        for m in &self.roster {
            let here = self.present.contains(&m.id);
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
        Ok(())
    }

    fn summary(&self) -> String {
        format!(
            "{} {} {}/{}",
            rhythm::kind_label(self.kind),
            day_str(self.held_on),
            self.present.len(),
            self.roster.len()
        )
    }
}

fn load(conn: &mut DbConn, id: i64) -> AppResult<Meeting> {
    branch_meetings::table
        .find(id)
        .select(Meeting::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| crate::error::AppError::not_found("这条会议记录"))
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
    let c = check(conn, village_id, form, now, offset)?;
    db::write(conn, |conn| {
        diesel::insert_into(branch_meetings::table)
            .values((
                branch_meetings::village_id.eq(village_id),
                branch_meetings::kind.eq(c.kind),
                branch_meetings::held_on.eq(day_str(c.held_on)),
                branch_meetings::place.eq(form.place.trim()),
                branch_meetings::host.eq(form.host.trim()),
                branch_meetings::recorder.eq(form.recorder.trim()),
                branch_meetings::topics.eq(form.topics.trim()),
                branch_meetings::minutes.eq(&c.minutes),
                branch_meetings::expected.eq(c.roster.len() as i32),
                branch_meetings::present.eq(c.present.len() as i32),
                branch_meetings::created_by.eq(actor.user_id),
                branch_meetings::created_at.eq(now),
                branch_meetings::photo_id.eq(c.photo),
            ))
            .execute(conn)?;
        let id = db::last_insert_id(conn)?;
        c.write_attendance(conn, id, form)?;
        audit::record(
            conn,
            actor,
            Event {
                action: "meeting.record",
                target_type: "branch_meeting",
                target_id: Some(id),
                place_id: Some(village_id),
                summary: c.summary(),
            },
        )?;
        load(conn, id)
    })
}

/// Changes a record and its attendance, in one transaction. A confirmed
/// record goes back to the township: TVs stop showing it until it is
/// confirmed again.
pub fn update(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    form: &MeetingForm,
    now: NaiveDateTime,
    offset: FixedOffset,
) -> AppResult<Meeting> {
    let before = load(conn, id)?;
    let village_id = before.village_id;
    actor.require(Action::KeepRoster, &places::scope_of(conn, village_id)?)?;
    let c = check(conn, village_id, form, now, offset)?;
    db::write(conn, |conn| {
        diesel::update(branch_meetings::table.find(id))
            .set((
                branch_meetings::kind.eq(c.kind),
                branch_meetings::held_on.eq(day_str(c.held_on)),
                branch_meetings::place.eq(form.place.trim()),
                branch_meetings::host.eq(form.host.trim()),
                branch_meetings::recorder.eq(form.recorder.trim()),
                branch_meetings::topics.eq(form.topics.trim()),
                branch_meetings::minutes.eq(&c.minutes),
                branch_meetings::expected.eq(c.roster.len() as i32),
                branch_meetings::present.eq(c.present.len() as i32),
                branch_meetings::photo_id.eq(c.photo),
                branch_meetings::confirmed_by.eq(None::<i64>),
                branch_meetings::confirmed_at.eq(None::<NaiveDateTime>),
            ))
            .execute(conn)?;
        diesel::delete(meeting_attendance::table.filter(meeting_attendance::meeting_id.eq(id)))
            .execute(conn)?;
        c.write_attendance(conn, id, form)?;
        if before.is_confirmed() {
            crate::changes::touch(conn, village_id)?;
        }
        audit::record(
            conn,
            actor,
            Event {
                action: "meeting.update",
                target_type: "branch_meeting",
                target_id: Some(id),
                place_id: Some(village_id),
                summary: c.summary(),
            },
        )?;
        load(conn, id)
    })
}

/// Deletes a record and its attendance; returns its village.
pub fn delete(conn: &mut DbConn, actor: &Actor, id: i64) -> AppResult<i64> {
    let m = load(conn, id)?;
    actor.require(Action::KeepRoster, &places::scope_of(conn, m.village_id)?)?;
    db::write(conn, |conn| {
        diesel::delete(meeting_attendance::table.filter(meeting_attendance::meeting_id.eq(id)))
            .execute(conn)?;
        diesel::delete(branch_meetings::table.find(id)).execute(conn)?;
        if m.is_confirmed() {
            crate::changes::touch(conn, m.village_id)?;
        }
        audit::record(
            conn,
            actor,
            Event {
                action: "meeting.delete",
                target_type: "branch_meeting",
                target_id: Some(id),
                place_id: Some(m.village_id),
                summary: format!("{} {}", m.kind_label(), m.held_on),
            },
        )?;
        Ok(m.village_id)
    })
}

/// The form showing a stored record (to edit it).
pub fn form_of(conn: &mut DbConn, m: &Meeting) -> AppResult<MeetingForm> {
    let rows: Vec<(i64, bool, String)> = meeting_attendance::table
        .filter(meeting_attendance::meeting_id.eq(m.id))
        .select((
            meeting_attendance::member_id,
            meeting_attendance::present,
            meeting_attendance::reason,
        ))
        .load(conn)?;
    Ok(MeetingForm {
        kind: m.kind.clone(),
        held_on: m.held_on.clone(),
        place: m.place.clone(),
        host: m.host.clone(),
        recorder: m.recorder.clone(),
        topics: m.topics.clone(),
        minutes: m.minutes.clone(),
        photo_id: m.photo_id.map(|p| p.to_string()).unwrap_or_default(),
        present: rows
            .iter()
            .filter(|r| r.1)
            .map(|r| r.0.to_string())
            .collect(),
        reasons: rows
            .into_iter()
            .filter(|r| !r.1)
            .map(|r| (r.0.to_string(), r.2))
            .collect(),
    })
}

/// The photo a form names: empty for none, else an image of the village's
/// own media library (a message beside the field otherwise).
fn photo_of(
    conn: &mut DbConn,
    village_id: i64,
    raw: &str,
    errors: &mut FieldErrors,
) -> AppResult<Option<i64>> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    match raw.parse::<i64>() {
        Ok(id) if crate::media::of_place(conn, id, village_id)? => Ok(Some(id)),
        _ => {
            errors.add("photo_id", "找不到这张图片（须是本村图片库中的图片编号）");
            Ok(None)
        }
    }
}

/// One member at a meeting: name, present, the absentee's reason.
pub type Attendance = (String, bool, String);

/// A meeting with who was there, for those who keep or confirm the
/// village's records: `(member name, present, reason)` by name.
pub fn get_for(conn: &mut DbConn, actor: &Actor, id: i64) -> AppResult<(Meeting, Vec<Attendance>)> {
    let meeting = load(conn, id)?;
    let scope = places::scope_of(conn, meeting.village_id)?;
    if !actor.may(Action::KeepRoster, &scope) && !actor.may(Action::ReviewContent, &scope) {
        return Err(crate::error::AppError::forbidden());
    }
    let attendance = meeting_attendance::table
        .inner_join(crate::db::schema::party_members::table)
        .filter(meeting_attendance::meeting_id.eq(id))
        .order(crate::db::schema::party_members::name)
        .select((
            crate::db::schema::party_members::name,
            meeting_attendance::present,
            meeting_attendance::reason,
        ))
        .load(conn)?;
    Ok((meeting, attendance))
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
