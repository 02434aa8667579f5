//! 组织生活 on the TV: the public part of a branch's meeting records (type,
//! day, topics, how many came, a photo) once a township official has
//! confirmed them on the review desk. Minutes and names never leave here
//! for a TV: the queries below do not read them.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::meetings::{self, Meeting};
use super::rhythm;
use crate::access::{Action, Actor};
use crate::audit::{self, Event};
use crate::db::schema::branch_meetings;
use crate::db::{self, DbConn};
use crate::error::{AppError, AppResult};
use crate::places;

/// What a TV shows of a confirmed meeting.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = branch_meetings)]
pub struct PublicMeeting {
    pub id: i64,
    pub kind: String,
    pub held_on: String,
    pub topics: String,
    pub expected: i32,
    pub present: i32,
    pub photo_id: Option<i64>,
}

impl PublicMeeting {
    pub fn kind_label(&self) -> &'static str {
        rhythm::kind_label(&self.kind)
    }
}

/// The township official confirms a record (审核确认): from then on TVs show
/// its public part, and its photo becomes public. Confirming twice is a
/// conflict, not a second audit entry.
pub fn confirm(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    now: NaiveDateTime,
) -> AppResult<Meeting> {
    // Who may confirm is checked before the lock (a refused request holds
    // no writer up).
    let village_id = meetings::load(conn, id)?.village_id;
    actor.require(Action::ReviewContent, &places::scope_of(conn, village_id)?)?;
    db::write(conn, |conn| {
        let m = meetings::load_locked(conn, id)?;
        if m.is_confirmed() {
            return Err(AppError::Conflict("这条会议记录已经确认过了".into()));
        }
        diesel::update(branch_meetings::table.find(id))
            .set((
                branch_meetings::confirmed_by.eq(actor.user_id),
                branch_meetings::confirmed_at.eq(now),
            ))
            .execute(conn)?;
        // Only the cover goes on air; the others (a 签到表 names people)
        // stay in the back office.
        crate::media::make_public(conn, &[], m.photo_id)?;
        crate::changes::touch(conn, m.village_id)?;
        audit::record(
            conn,
            actor,
            Event {
                action: "meeting.confirm",
                target_type: "branch_meeting",
                target_id: Some(id),
                place_id: Some(m.village_id),
                summary: format!("{} {}", m.kind_label(), m.held_on),
            },
        )?;
        meetings::load(conn, id)
    })
}

/// Records of these villages that wait for the township's confirmation,
/// oldest first (the review desk).
pub fn unconfirmed(conn: &mut DbConn, village_ids: &[i64]) -> AppResult<Vec<Meeting>> {
    Ok(branch_meetings::table
        .filter(branch_meetings::village_id.eq_any(village_ids))
        .filter(branch_meetings::confirmed_at.is_null())
        .order((branch_meetings::created_at, branch_meetings::id))
        .limit(200)
        .select(Meeting::as_select())
        .load(conn)?)
}

/// A page (1-based, clamped to the last) of a village's confirmed records,
/// newest meeting first, and how many there are.
pub fn on_tv(
    conn: &mut DbConn,
    village_id: i64,
    page: i64,
    per_page: i64,
) -> AppResult<(Vec<PublicMeeting>, i64)> {
    let confirmed = || {
        branch_meetings::table
            .filter(branch_meetings::village_id.eq(village_id))
            .filter(branch_meetings::confirmed_at.is_not_null())
    };
    let total: i64 = confirmed().count().get_result(conn)?;
    let pager = crate::pager::Pager::new(page, per_page).within(total);
    let rows = confirmed()
        .order((branch_meetings::held_on.desc(), branch_meetings::id.desc()))
        .limit(per_page)
        .offset(pager.offset())
        .select(PublicMeeting::as_select())
        .load(conn)?;
    Ok((rows, total))
}

/// One confirmed record of a village, as a TV shows it.
pub fn one_on_tv(conn: &mut DbConn, village_id: i64, id: i64) -> AppResult<PublicMeeting> {
    branch_meetings::table
        .filter(branch_meetings::id.eq(id))
        .filter(branch_meetings::village_id.eq(village_id))
        .filter(branch_meetings::confirmed_at.is_not_null())
        .select(PublicMeeting::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("这条组织生活记录"))
}
