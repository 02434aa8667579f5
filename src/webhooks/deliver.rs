//! Sending queued deliveries: claim the due ones, POST each signed, record
//! the outcome and schedule a retry with exponential backoff.
//!
//! Claiming is one UPDATE per delivery that moves `next_at` past the longest
//! a send can take (the lease) and counts the try, guarded by `next_at <=
//! now`: when several instances share a database, the first UPDATE wins and
//! the others match no row (PostgreSQL re-checks the condition on the row it
//! waited for; SQLite has one writer). An instance that dies mid-send leaves
//! the delivery to be tried again when the lease runs out.

use std::io::Read;
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::{DELIVERED, FAILED, PENDING};
use crate::config::Config;
use crate::db::schema::{township_webhooks, webhook_deliveries};
use crate::db::{Database, DbConn};
use crate::error::{AppError, AppResult};

/// Deliveries sent at once per round (each on its own thread).
const BATCH: i64 = 8;
const TICK: Duration = Duration::from_secs(1);
/// The longest wait between two tries, however many failed.
const MAX_BACKOFF_SECONDS: i64 = 3600;

/// How deliveries are sent and retried.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Wait after the first failure; doubles after each further one.
    pub retry_base: Duration,
    pub max_attempts: i32,
    pub connect_timeout: Duration,
    /// Longest wait for the answer. ureq's overall timeout bounds the
    /// whole send by `connect_timeout + read_timeout` (13 s by default),
    /// so a receiver that accepts and never answers, or trickles its
    /// answer, holds a sender no longer than that.
    pub read_timeout: Duration,
}

impl Policy {
    pub fn from_config(config: &Config) -> Policy {
        Policy {
            retry_base: Duration::from_secs(config.webhook_retry_seconds),
            max_attempts: i32::try_from(config.webhook_max_attempts).unwrap_or(i32::MAX),
            connect_timeout: Duration::from_secs(3),
            read_timeout: Duration::from_secs(10),
        }
    }

    /// The most one send may take, from connecting to the whole answer.
    pub fn send_timeout(&self) -> Duration {
        self.connect_timeout + self.read_timeout
    }

    /// How long a claimed delivery is left to its sender.
    fn lease(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.send_timeout() * 2 + Duration::from_secs(30))
            .unwrap_or(chrono::Duration::minutes(5))
    }

    /// The wait after the `attempts`-th failed try.
    pub fn backoff(&self, attempts: i32) -> chrono::Duration {
        let base = i64::try_from(self.retry_base.as_secs()).unwrap_or(MAX_BACKOFF_SECONDS);
        let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
        let seconds = base
            .saturating_mul(1i64 << doublings)
            .min(MAX_BACKOFF_SECONDS);
        chrono::Duration::seconds(seconds.max(1))
    }
}

/// `sha256=<hex HMAC-SHA-256(secret, "<timestamp>.<body>")>`, the
/// `X-Portal-Signature` header.
pub fn sign(secret: &str, timestamp: i64, body: &str) -> String {
    // HMAC takes a key of any length.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// A claimed delivery with where it goes.
struct Job {
    id: i64,
    event: String,
    body: String,
    url: String,
    secret: String,
}

/// What one try came to.
struct Outcome {
    delivered: bool,
    status: Option<i32>,
    error: String,
}

/// Sends the deliveries due at `now` (up to a batch, in parallel) and
/// records each outcome; returns how many were tried. The worker calls it
/// every second; tests call it with a `now` of their choosing.
pub fn deliver_due(db: &Database, policy: &Policy, now: NaiveDateTime) -> AppResult<usize> {
    // No connection is held while a receiver is waited for.
    let jobs = {
        let mut conn = db.get()?;
        claim_due(&mut conn, policy, now)?
    };
    let started = Instant::now();
    let tried = jobs.len();
    std::thread::scope(|scope| {
        for job in &jobs {
            scope.spawn(move || {
                let outcome = send(job, policy, now);
                // The outcome's time: `now` moved on by the time the send took.
                let at = now + chrono::Duration::from_std(started.elapsed()).unwrap_or_default();
                let recorded = db
                    .get()
                    .and_then(|mut c| record(&mut c, policy, job.id, &outcome, at));
                if let Err(e) = recorded {
                    log::warn!(
                        "webhooks: delivery {}: outcome not recorded: {}",
                        job.id,
                        e.detail()
                    );
                }
            });
        }
    });
    Ok(tried)
}

/// Claims the due deliveries of active webhooks. A paused webhook's
/// deliveries wait (still pending) until it is active again.
fn claim_due(conn: &mut DbConn, policy: &Policy, now: NaiveDateTime) -> AppResult<Vec<Job>> {
    let due: Vec<(i64, String, String, String, String)> = webhook_deliveries::table
        .inner_join(
            township_webhooks::table
                .on(township_webhooks::township_id.eq(webhook_deliveries::township_id)),
        )
        .filter(webhook_deliveries::state.eq(PENDING))
        .filter(webhook_deliveries::next_at.le(now))
        .filter(township_webhooks::active.eq(true))
        .order(webhook_deliveries::next_at)
        .limit(BATCH)
        .select((
            webhook_deliveries::id,
            webhook_deliveries::event,
            webhook_deliveries::body,
            township_webhooks::url,
            township_webhooks::secret,
        ))
        .load(conn)?;
    let lease_until = now + policy.lease();
    let mut jobs = Vec::new();
    for (id, event, body, url, secret) in due {
        let taken = diesel::update(
            webhook_deliveries::table
                .find(id)
                .filter(webhook_deliveries::state.eq(PENDING))
                .filter(webhook_deliveries::next_at.le(now)),
        )
        .set((
            webhook_deliveries::next_at.eq(lease_until),
            webhook_deliveries::attempts.eq(webhook_deliveries::attempts + 1),
        ))
        .execute(conn)?;
        if taken == 1 {
            jobs.push(Job {
                id,
                event,
                body,
                url,
                secret,
            });
        }
    }
    Ok(jobs)
}

fn agent(policy: &Policy) -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout_connect(policy.connect_timeout)
        .timeout_read(policy.read_timeout)
        .timeout_write(policy.read_timeout)
        // Bounds a receiver that trickles its answer byte by byte.
        .timeout(policy.send_timeout())
        // A receiver answers; it does not send the body elsewhere.
        .redirects(0)
        .build()
}

fn send(job: &Job, policy: &Policy, now: NaiveDateTime) -> Outcome {
    let timestamp = now.and_utc().timestamp();
    let answer = agent(policy)
        .post(&job.url)
        .set("Content-Type", "application/json")
        .set("User-Agent", "village-portal-webhook/1")
        .set("X-Portal-Event", &job.event)
        .set("X-Portal-Delivery", &job.id.to_string())
        .set("X-Portal-Timestamp", &timestamp.to_string())
        .set(
            "X-Portal-Signature",
            &sign(&job.secret, timestamp, &job.body),
        )
        .send_string(&job.body);
    match answer {
        Ok(r) if (200..300).contains(&r.status()) => Outcome {
            delivered: true,
            status: Some(i32::from(r.status())),
            error: String::new(),
        },
        Ok(r) => Outcome {
            delivered: false,
            status: Some(i32::from(r.status())),
            error: format!("对方答复 HTTP {}（不跟随跳转）", r.status()),
        },
        Err(ureq::Error::Status(code, r)) => Outcome {
            delivered: false,
            status: Some(i32::from(code)),
            error: format!("对方答复 HTTP {code}{}", excerpt(r)),
        },
        Err(ureq::Error::Transport(t)) => Outcome {
            delivered: false,
            status: None,
            // Never ureq's own text: it repeats the address, credentials and all.
            error: transport_error(&t).into(),
        },
    }
}

/// The start of an error answer, for the log (receivers often say why).
fn excerpt(r: ureq::Response) -> String {
    let mut bytes = Vec::new();
    let _ = r.into_reader().take(200).read_to_end(&mut bytes);
    let text: String = String::from_utf8_lossy(&bytes)
        .chars()
        .filter(|c| !c.is_control())
        .take(100)
        .collect();
    if text.trim().is_empty() {
        String::new()
    } else {
        format!("：{}", text.trim())
    }
}

fn transport_error(t: &ureq::Transport) -> &'static str {
    let io_kind = std::error::Error::source(t)
        .and_then(|e| e.downcast_ref::<std::io::Error>())
        .map(std::io::Error::kind);
    let timed_out = matches!(
        io_kind,
        Some(std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock)
    );
    match t.kind() {
        ureq::ErrorKind::Dns => "找不到对方主机（域名解析失败）",
        ureq::ErrorKind::ConnectionFailed if timed_out => "连接超时",
        ureq::ErrorKind::ConnectionFailed
            if io_kind == Some(std::io::ErrorKind::ConnectionRefused) =>
        {
            "连接被拒绝"
        }
        ureq::ErrorKind::ConnectionFailed => "连接失败",
        ureq::ErrorKind::Io if timed_out => "等待对方答复超时",
        ureq::ErrorKind::Io => "读写中断（对方关闭了连接？）",
        ureq::ErrorKind::BadStatus | ureq::ErrorKind::BadHeader => "对方的答复不是有效的 HTTP",
        ureq::ErrorKind::InvalidUrl | ureq::ErrorKind::UnknownScheme => "接收地址无效",
        _ => "发送失败",
    }
}

/// Records a try: delivered, or pending again after the backoff, or failed
/// once the tries are used up.
fn record(
    conn: &mut DbConn,
    policy: &Policy,
    id: i64,
    outcome: &Outcome,
    at: NaiveDateTime,
) -> AppResult<()> {
    let attempts: i32 = webhook_deliveries::table
        .find(id)
        .select(webhook_deliveries::attempts)
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::bug("claimed delivery vanished"))?;
    let target = webhook_deliveries::table
        .find(id)
        .filter(webhook_deliveries::state.eq(PENDING));
    let noted = (
        webhook_deliveries::last_status.eq(outcome.status),
        webhook_deliveries::last_error.eq(&outcome.error),
    );
    if outcome.delivered {
        diesel::update(target)
            .set((
                webhook_deliveries::state.eq(DELIVERED),
                webhook_deliveries::delivered_at.eq(Some(at)),
                noted,
            ))
            .execute(conn)?;
    } else if attempts >= policy.max_attempts {
        log::warn!(
            "webhooks: delivery {id} failed after {attempts} tries: {}",
            outcome.error
        );
        diesel::update(target)
            .set((webhook_deliveries::state.eq(FAILED), noted))
            .execute(conn)?;
    } else {
        diesel::update(target)
            .set((
                webhook_deliveries::next_at.eq(at + policy.backoff(attempts)),
                noted,
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Starts the delivery worker on its own thread; it runs as long as the
/// process. Every instance may run one: claiming keeps each delivery to one.
pub fn start(db: Database, policy: Policy) {
    let spawned = std::thread::Builder::new()
        .name("webhook-worker".into())
        .spawn(move || loop {
            if let Err(e) = deliver_due(&db, &policy, crate::time::now()) {
                log::warn!("webhooks: delivery round failed: {}", e.detail());
            }
            std::thread::sleep(TICK);
        });
    if let Err(e) = spawned {
        log::error!("webhooks: the worker did not start: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        let p = Policy {
            retry_base: Duration::from_secs(30),
            max_attempts: 8,
            connect_timeout: Duration::from_secs(3),
            read_timeout: Duration::from_secs(10),
        };
        let secs: Vec<i64> = (1..=9).map(|n| p.backoff(n).num_seconds()).collect();
        assert_eq!(secs, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
        assert_eq!(p.backoff(1000).num_seconds(), 3600);
    }

    #[test]
    fn signature_is_hmac_of_timestamp_and_body() {
        // RFC 4231 style check against an independently computed value.
        let sig = sign("key", 1700000000, "{}");
        assert!(sig.starts_with("sha256="));
        assert_eq!(sig.len(), "sha256=".len() + 64);
        assert_ne!(sig, sign("key", 1700000001, "{}"));
        assert_ne!(sig, sign("other", 1700000000, "{}"));
    }
}
