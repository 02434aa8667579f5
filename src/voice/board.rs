//! 办好了: a village's resolved requests on the TV, anonymised (category,
//! reason, reply, days taken; never the household). Each village opts in.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::Request;
use crate::access::{Action, Actor};
use crate::audit::{self, Event};
use crate::db::schema::{voice_boards, voice_requests};
use crate::db::{self, DbConn};
use crate::error::AppResult;
use crate::places;

/// What the board shows of one request.
pub struct Resolved {
    pub category: String,
    pub reason: String,
    pub reply: String,
    pub days: i64,
}

pub fn enabled(conn: &mut DbConn, village_id: i64) -> AppResult<bool> {
    Ok(voice_boards::table
        .find(village_id)
        .select(voice_boards::village_id)
        .first::<i64>(conn)
        .optional()?
        .is_some())
}

/// Turns the village's board on or off (those who handle its requests).
pub fn set(conn: &mut DbConn, actor: &Actor, village_id: i64, on: bool) -> AppResult<()> {
    actor.require(Action::HandleRequests, &places::scope_of(conn, village_id)?)?;
    db::write(conn, |conn| {
        diesel::delete(voice_boards::table.find(village_id)).execute(conn)?;
        if on {
            diesel::insert_into(voice_boards::table)
                .values((
                    voice_boards::village_id.eq(village_id),
                    voice_boards::updated_at.eq(crate::time::now()),
                ))
                .execute(conn)?;
        }
        audit::record(
            conn,
            actor,
            Event {
                action: "voice.board",
                target_type: "place",
                target_id: Some(village_id),
                place_id: Some(village_id),
                summary: if on {
                    "公开办结情况"
                } else {
                    "不公开办结情况"
                }
                .into(),
            },
        )?;
        crate::changes::touch(conn, village_id)?;
        Ok(())
    })
}

/// The village's requests closed in the last 90 days, newest first.
/// Questions on village affairs stay off it: they name an article.
pub fn resolved(
    conn: &mut DbConn,
    village_id: i64,
    now: NaiveDateTime,
    limit: i64,
) -> AppResult<Vec<Resolved>> {
    let rows: Vec<Request> = voice_requests::table
        .filter(voice_requests::village_id.eq(village_id))
        .filter(voice_requests::state.eq("closed"))
        .filter(voice_requests::kind.eq("report"))
        .filter(voice_requests::closed_at.ge(now - Duration::days(90)))
        .order(voice_requests::closed_at.desc())
        .limit(limit)
        .select(Request::as_select())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| Resolved {
            days: r
                .closed_at
                .map_or(0, |at| (at - r.created_at).num_hours().max(0) / 24 + 1),
            category: r.category_label,
            reason: r.reason,
            reply: r.reply,
        })
        .collect())
}
