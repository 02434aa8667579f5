//! What happens to requests by the clock: a reminder step when the due time
//! is near, escalation to the township when it has passed. Run by a
//! background loop in every instance (idempotent: each step is taken once,
//! guarded by its column) and by the back office's pages before they read.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{add_step, get, Catalog, Request};
use crate::db::schema::voice_requests;
use crate::db::{self, DbConn};
use crate::error::AppResult;
use crate::households::{self, Household};
use crate::places::Place;

/// Steps taken by one sweep.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub reminded: usize,
    pub escalated: usize,
}

const SYSTEM: &str = "系统";

/// Reminds and escalates what is due at `now`.
pub fn run(conn: &mut DbConn, catalog: &Catalog, now: NaiveDateTime) -> AppResult<Swept> {
    let mut swept = Swept::default();
    let open = || {
        voice_requests::table
            .filter(voice_requests::state.ne("closed"))
            .select(Request::as_select())
    };
    let overdue: Vec<Request> = open()
        .filter(voice_requests::escalated_at.is_null())
        .filter(voice_requests::due_at.lt(now))
        .order(voice_requests::id)
        .load(conn)?;
    for r in overdue {
        let taken = db::write(conn, |conn| {
            let n = diesel::update(
                voice_requests::table
                    .find(r.id)
                    .filter(voice_requests::escalated_at.is_null()),
            )
            .set(voice_requests::escalated_at.eq(now))
            .execute(conn)?;
            if n == 1 {
                add_step(conn, r.id, SYSTEM, "escalated", "超过办理时限，转街道督办")?;
                let village = crate::places::get(conn, r.village_id)?;
                let household = households::get(conn, r.household_id)?;
                let now_escalated = get(conn, r.id)?;
                tell_township(
                    conn,
                    &village,
                    "voice.escalated",
                    &now_escalated,
                    &household,
                )?;
            }
            Ok::<_, crate::error::AppError>(n == 1)
        })?;
        swept.escalated += usize::from(taken);
    }
    // Reminders: within the category's warning time of the due time.
    let near: Vec<Request> = open()
        .filter(voice_requests::reminded_at.is_null())
        .filter(voice_requests::escalated_at.is_null())
        .filter(voice_requests::due_at.ge(now))
        .order(voice_requests::id)
        .load(conn)?;
    for r in near {
        let ahead = catalog
            .get(&r.category)
            .map_or(chrono::Duration::hours(24), |c| c.limit.reminder_ahead());
        if r.due_at - ahead > now {
            continue;
        }
        let n = db::write(conn, |conn| {
            let n = diesel::update(
                voice_requests::table
                    .find(r.id)
                    .filter(voice_requests::reminded_at.is_null()),
            )
            .set(voice_requests::reminded_at.eq(now))
            .execute(conn)?;
            if n == 1 {
                add_step(conn, r.id, SYSTEM, "reminded", "即将到期，请尽快办理")?;
            }
            Ok::<_, diesel::result::Error>(n)
        })?;
        swept.reminded += n;
    }
    Ok(swept)
}

/// The JSON a township's gateway receives for a request.
pub fn payload(village: &Place, r: &Request, h: &Household, event: &str) -> serde_json::Value {
    serde_json::json!({
        "event": event,
        "request": {
            "id": r.id,
            "kind": r.kind,
            "category": r.category,
            "category_label": r.category_label,
            "reason": r.reason,
            "state": r.state,
            "callback": r.callback,
            "due_at": format!("{}Z", r.due_at.format("%Y-%m-%dT%H:%M:%S")),
            "created_at": format!("{}Z", r.created_at.format("%Y-%m-%dT%H:%M:%S")),
            "reopened": r.reopened,
            "notified": r.notified,
        },
        "village": { "id": village.id, "code": village.code, "name": village.name },
        "household": { "number": h.number, "verified": r.verified },
        "admin_path": format!("/admin/voice/{}", r.id),
    })
}

/// Queues the event for the township's webhook, in the caller's transaction
/// (the worker delivers it; no network here).
pub fn tell_township(
    conn: &mut DbConn,
    village: &Place,
    event: &str,
    r: &Request,
    h: &Household,
) -> AppResult<()> {
    let Some(township_id) = village.parent_id else {
        return Ok(());
    };
    let body = payload(village, r, h, event);
    log::info!("voice: {event} for request {} of {}", r.id, village.code);
    crate::webhooks::enqueue(conn, township_id, event, &body)?;
    Ok(())
}
