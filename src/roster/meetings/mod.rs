//! Branch meeting records (三会一课): type, day, place, host, recorder, who of
//! the roster attended (absentees with a reason), topics and minutes (the
//! articles' sanitiser). Quorum is checked on saving (`form`); what is due
//! comes from the configured rhythm (`due`).

mod due;
mod form;

use chrono::{FixedOffset, NaiveDateTime};
use diesel::prelude::*;

pub use due::{of_village as due_of_village, table as due_table, DueRow};
pub use form::{quorum, MeetingForm, MAX_MINUTES, MAX_PHOTOS};

use super::branch::{self, Member};
use super::day_str;
use super::rhythm;
use crate::access::{Action, Actor};
use crate::audit::{self, Event};
use crate::db::schema::{branch_meetings, meeting_attendance, meeting_photos, party_members};
use crate::db::{self, DbConn};
use crate::error::{AppError, AppResult};
use crate::places::{self, Place};
use form::Checked;

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

/// The columns a clerk's form sets, for recording and for editing alike.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = branch_meetings, treat_none_as_null = true)]
struct Fields<'a> {
    kind: &'a str,
    held_on: String,
    place: &'a str,
    host: &'a str,
    recorder: &'a str,
    topics: &'a str,
    minutes: &'a str,
    expected: i32,
    present: i32,
    photo_id: Option<i64>,
}

impl Checked<'_> {
    fn fields(&self) -> Fields<'_> {
        Fields {
            kind: self.kind,
            held_on: day_str(self.held_on),
            place: self.form.place.trim(),
            host: self.form.host.trim(),
            recorder: self.form.recorder.trim(),
            topics: self.form.topics.trim(),
            minutes: &self.minutes,
            expected: self.roster.len() as i32,
            present: self.present.len() as i32,
            photo_id: self.photos.first().copied(),
        }
    }

    /// The photo rows of meeting `id`, replacing any, in the form's order.
    fn write_photos(&self, conn: &mut DbConn, id: i64) -> AppResult<()> {
        diesel::delete(meeting_photos::table.filter(meeting_photos::meeting_id.eq(id)))
            .execute(conn)?;
        for (position, media_id) in self.photos.iter().enumerate() {
            diesel::insert_into(meeting_photos::table)
                .values((
                    meeting_photos::meeting_id.eq(id),
                    meeting_photos::media_id.eq(media_id),
                    meeting_photos::position.eq(position as i32),
                ))
                .execute(conn)?;
        }
        Ok(())
    }

    /// The attendance rows of meeting `id`, replacing any: one per member
    /// expected.
    fn write_attendance(&self, conn: &mut DbConn, id: i64) -> AppResult<()> {
        diesel::delete(meeting_attendance::table.filter(meeting_attendance::meeting_id.eq(id)))
            .execute(conn)?;
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
                        self.form.reason(&m.id).trim()
                    }),
                ))
                .execute(conn)?;
        }
        Ok(())
    }

    fn event(&self, action: &'static str, id: i64, village_id: i64) -> Event<'_> {
        Event {
            action,
            target_type: "branch_meeting",
            target_id: Some(id),
            place_id: Some(village_id),
            summary: format!(
                "{} {} {}/{}",
                rhythm::kind_label(self.kind),
                day_str(self.held_on),
                self.present.len(),
                self.roster.len()
            ),
        }
    }
}

pub(super) fn load(conn: &mut DbConn, id: i64) -> AppResult<Meeting> {
    branch_meetings::table
        .find(id)
        .select(Meeting::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("这条会议记录"))
}

/// Inside a write: the record as it stands now, with concurrent writers of
/// records (an edit, the township's confirmation) held until this commits.
pub(super) fn load_locked(conn: &mut DbConn, id: i64) -> AppResult<Meeting> {
    db::lock_table(conn, "branch_meetings")?;
    load(conn, id)
}

/// Who was expected at a stored meeting: the members its attendance was
/// written for, removed ones included, so editing an old record keeps its
/// own roster. A record kept before any member was entered takes today's.
pub fn roster_of(conn: &mut DbConn, m: &Meeting) -> AppResult<Vec<Member>> {
    let expected: Vec<Member> = party_members::table
        .inner_join(meeting_attendance::table)
        .filter(meeting_attendance::meeting_id.eq(m.id))
        .order((party_members::name, party_members::id))
        .select(Member::as_select())
        .load(conn)?;
    if expected.is_empty() {
        return branch::of_village(conn, m.village_id);
    }
    Ok(expected)
}

/// Records a meeting with its attendance, in one transaction. The roster
/// expected is the branch's today.
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
    let c = form::check(conn, village_id, roster, form, now, offset)?;
    db::write(conn, |conn| {
        diesel::insert_into(branch_meetings::table)
            .values((
                c.fields(),
                branch_meetings::village_id.eq(village_id),
                branch_meetings::created_by.eq(actor.user_id),
                branch_meetings::created_at.eq(now),
            ))
            .execute(conn)?;
        let id = db::last_insert_id(conn)?;
        c.write_attendance(conn, id)?;
        c.write_photos(conn, id)?;
        audit::record(conn, actor, c.event("meeting.record", id, village_id))?;
        load(conn, id)
    })
}

/// Changes a record and its attendance (against the record's own roster),
/// in one transaction. A confirmed record goes back to the township: TVs
/// stop showing it until it is confirmed again.
pub fn update(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    form: &MeetingForm,
    now: NaiveDateTime,
    offset: FixedOffset,
) -> AppResult<Meeting> {
    let stored = load(conn, id)?;
    let village_id = stored.village_id;
    actor.require(Action::KeepRoster, &places::scope_of(conn, village_id)?)?;
    let roster = roster_of(conn, &stored)?;
    let c = form::check(conn, village_id, roster, form, now, offset)?;
    db::write(conn, |conn| {
        let before = load_locked(conn, id)?;
        diesel::update(branch_meetings::table.find(id))
            .set((
                c.fields(),
                branch_meetings::confirmed_by.eq(None::<i64>),
                branch_meetings::confirmed_at.eq(None::<NaiveDateTime>),
            ))
            .execute(conn)?;
        c.write_attendance(conn, id)?;
        c.write_photos(conn, id)?;
        if before.is_confirmed() {
            crate::changes::touch(conn, village_id)?;
        }
        audit::record(conn, actor, c.event("meeting.update", id, village_id))?;
        load(conn, id)
    })
}

/// Deletes a record and its attendance; returns its village.
pub fn delete(conn: &mut DbConn, actor: &Actor, id: i64) -> AppResult<i64> {
    let stored = load(conn, id)?;
    actor.require(
        Action::KeepRoster,
        &places::scope_of(conn, stored.village_id)?,
    )?;
    db::write(conn, |conn| {
        let m = load_locked(conn, id)?;
        diesel::delete(meeting_attendance::table.filter(meeting_attendance::meeting_id.eq(id)))
            .execute(conn)?;
        diesel::delete(meeting_photos::table.filter(meeting_photos::meeting_id.eq(id)))
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

/// A record's photos (media ids), the cover first.
pub fn photos_of(conn: &mut DbConn, id: i64) -> AppResult<Vec<i64>> {
    Ok(meeting_photos::table
        .filter(meeting_photos::meeting_id.eq(id))
        .order(meeting_photos::position)
        .select(meeting_photos::media_id)
        .load(conn)?)
}

/// The form showing a stored record (to edit it).
fn form_of(conn: &mut DbConn, m: &Meeting) -> AppResult<MeetingForm> {
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
        photos: photos_of(conn, m.id)?.iter().map(i64::to_string).collect(),
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

/// What the edit form of a record starts from: its village, the roster it
/// was kept against, and the record as stored.
pub struct Editing {
    pub village: Place,
    pub roster: Vec<Member>,
    pub stored: MeetingForm,
}

/// A record to edit, for those who keep the village's records.
pub fn editing(conn: &mut DbConn, actor: &Actor, id: i64) -> AppResult<Editing> {
    let m = load(conn, id)?;
    actor.require(Action::KeepRoster, &places::scope_of(conn, m.village_id)?)?;
    Ok(Editing {
        village: places::get(conn, m.village_id)?,
        roster: roster_of(conn, &m)?,
        stored: form_of(conn, &m)?,
    })
}

/// One member at a meeting: name, present, the absentee's reason.
pub type Attendance = (String, bool, String);

/// A record as its page in the back office shows it.
pub struct Record {
    pub meeting: Meeting,
    pub village: String,
    /// By name.
    pub attendance: Vec<Attendance>,
    /// Thumbnail addresses, the cover first.
    pub photos: Vec<String>,
    /// The viewer may confirm it for the TV (the township's review).
    pub may_confirm: bool,
    /// The viewer keeps the village's records (修改, 删除).
    pub may_keep: bool,
}

/// A meeting with who was there, for those who keep or confirm the
/// village's records.
pub fn get_for(conn: &mut DbConn, actor: &Actor, id: i64) -> AppResult<Record> {
    let meeting = load(conn, id)?;
    let scope = places::scope_of(conn, meeting.village_id)?;
    let (may_confirm, may_keep) = (
        actor.may(Action::ReviewContent, &scope),
        actor.may(Action::KeepRoster, &scope),
    );
    if !may_keep && !may_confirm {
        return Err(AppError::forbidden());
    }
    let attendance = meeting_attendance::table
        .inner_join(party_members::table)
        .filter(meeting_attendance::meeting_id.eq(id))
        .order(party_members::name)
        .select((
            party_members::name,
            meeting_attendance::present,
            meeting_attendance::reason,
        ))
        .load(conn)?;
    let mut photos = Vec::new();
    for p in photos_of(conn, id)? {
        photos.push(crate::media::get(conn, p)?.tile_url());
    }
    Ok(Record {
        village: places::get(conn, meeting.village_id)?.name,
        meeting,
        attendance,
        photos,
        may_confirm,
        may_keep,
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
