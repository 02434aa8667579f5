//! Outbound notifications (webhooks). Each township may name one HTTP(S)
//! receiver. A feature that has something to tell it calls [`enqueue`]
//! inside its own write transaction: the delivery is queued with the change
//! (or not at all), and the worker in [`deliver`] POSTs it, signed, later.
//! Nothing here touches the network while a request is being answered.

pub mod deliver;
pub mod manage;

use chrono::{NaiveDateTime, SecondsFormat};
use diesel::prelude::*;

use crate::access::{Action, Actor, PlaceKind, PlaceScope};
use crate::db::schema::{township_webhooks, webhook_deliveries};
use crate::db::{self, DbConn};
use crate::error::{AppError, AppResult};
use crate::places;

pub use deliver::{deliver_due, sign, start, Policy};
pub use manage::{check_url, masked_url, resend, save, shown_back, test_event, Saved, WebhookForm};

pub const PENDING: &str = "pending";
pub const DELIVERED: &str = "delivered";
pub const FAILED: &str = "failed";

/// The event of the back office's 发送测试 button.
pub const TEST_EVENT: &str = "webhook.test";

/// How many deliveries the back office lists.
pub const LOG_LIMIT: i64 = 50;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = township_webhooks)]
pub struct Webhook {
    pub township_id: i64,
    pub url: String,
    pub secret: String,
    pub active: bool,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_deliveries)]
pub struct Delivery {
    pub id: i64,
    pub township_id: i64,
    pub event: String,
    /// The JSON sent, byte for byte (the signature covers it).
    pub body: String,
    pub attempts: i32,
    pub state: String,
    pub next_at: NaiveDateTime,
    pub last_status: Option<i32>,
    pub last_error: String,
    pub created_at: NaiveDateTime,
    pub delivered_at: Option<NaiveDateTime>,
}

impl Delivery {
    pub fn state_label(&self) -> &'static str {
        match self.state.as_str() {
            DELIVERED => "已送达",
            FAILED => "失败",
            _ if self.attempts == 0 => "待发送",
            _ => "重试中",
        }
    }
}

/// The township's webhook, active or not.
pub fn get(conn: &mut DbConn, township_id: i64) -> AppResult<Option<Webhook>> {
    Ok(township_webhooks::table
        .find(township_id)
        .select(Webhook::as_select())
        .first(conn)
        .optional()?)
}

/// Queues `event` with `payload` for the township's webhook. Call it inside
/// the caller's write transaction (`db::write`), so the delivery exists
/// exactly when the change does. Returns the delivery's id, or `None` when
/// the township has no active webhook (nothing is queued then).
///
/// The body sent is `{"event", "township", "occurred_at", "data": payload}`.
pub fn enqueue(
    conn: &mut DbConn,
    township_id: i64,
    event: &str,
    payload: &serde_json::Value,
) -> AppResult<Option<i64>> {
    if !is_event_name(event) {
        return Err(AppError::bug(format!("webhook event name {event:?}")));
    }
    let active = get(conn, township_id)?.is_some_and(|w| w.active);
    if !active {
        return Ok(None);
    }
    let township = places::get(conn, township_id)?;
    let now = crate::time::now();
    let body = serde_json::json!({
        "event": event,
        "township": township.code,
        "occurred_at": now.and_utc().to_rfc3339_opts(SecondsFormat::Secs, true),
        "data": payload,
    })
    .to_string();
    diesel::insert_into(webhook_deliveries::table)
        .values((
            webhook_deliveries::township_id.eq(township_id),
            webhook_deliveries::event.eq(event),
            webhook_deliveries::body.eq(&body),
            webhook_deliveries::attempts.eq(0),
            webhook_deliveries::state.eq(PENDING),
            webhook_deliveries::next_at.eq(now),
            webhook_deliveries::last_error.eq(""),
            webhook_deliveries::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(Some(db::last_insert_id(conn)?))
}

/// [`enqueue`] for the township a village lies in (the same transaction rule).
pub fn enqueue_for_village(
    conn: &mut DbConn,
    village_id: i64,
    event: &str,
    payload: &serde_json::Value,
) -> AppResult<Option<i64>> {
    match places::scope_of(conn, village_id)?.township_id {
        Some(township_id) => enqueue(conn, township_id, event, payload),
        None => Ok(None),
    }
}

/// The Chinese name of an event, for the delivery log.
pub fn event_label(event: &str) -> &str {
    match event {
        TEST_EVENT => "测试推送",
        "voice.help" => "一键求助",
        "voice.escalated" => "反映超期上报",
        other => other,
    }
}

/// `voice.help`, `webhook.test`: lowercase ASCII words joined by dots.
fn is_event_name(event: &str) -> bool {
    (1..=64).contains(&event.len())
        && event
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'_')
}

// ---------------------------------------------------------------- permissions

/// The township of `township_id`, refused unless it is one.
pub fn township_scope(conn: &mut DbConn, township_id: i64) -> AppResult<PlaceScope> {
    let scope = places::scope_of(conn, township_id)?;
    if scope.kind != PlaceKind::Township {
        return Err(AppError::not_found("这个乡镇街道"));
    }
    Ok(scope)
}

/// Officials for their own township, admins for any.
pub fn may_manage(actor: &Actor, township: &PlaceScope) -> bool {
    actor.may(Action::ManageWebhooks, township)
}

/// Auditors read the delivery log (what was sent when, not the secret or
/// the bodies): it is a record of what the portal did, like the audit log.
pub fn may_read(actor: &Actor, township: &PlaceScope) -> bool {
    may_manage(actor, township) || actor.may(Action::ViewAudit, township)
}

/// The townships whose webhook page the actor may open.
pub fn readable_townships(conn: &mut DbConn, actor: &Actor) -> AppResult<Vec<places::Place>> {
    let mut out = Vec::new();
    for t in places::of_kind(conn, PlaceKind::Township)? {
        if may_read(actor, &places::scope(conn, &t)?) {
            out.push(t);
        }
    }
    Ok(out)
}

pub fn delivery(conn: &mut DbConn, id: i64) -> AppResult<Delivery> {
    webhook_deliveries::table
        .find(id)
        .select(Delivery::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("这条推送记录"))
}

/// The township's latest deliveries, newest first.
pub fn log(conn: &mut DbConn, township_id: i64, limit: i64) -> AppResult<Vec<Delivery>> {
    Ok(webhook_deliveries::table
        .filter(webhook_deliveries::township_id.eq(township_id))
        .order(webhook_deliveries::id.desc())
        .limit(limit)
        .select(Delivery::as_select())
        .load(conn)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_names() {
        assert!(is_event_name("voice.help"));
        assert!(!is_event_name("Voice Help"));
        assert!(!is_event_name(""));
    }
}
