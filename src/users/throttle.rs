//! Attempt throttling for sign-ins and household PINs: failures are counted
//! per key (a username, a client address, a box ...) in the database, so
//! every instance behind a load balancer agrees.
//!
//! Checking the count and recording the attempt are one step ([`claim`]):
//! an attempt is written down as a failure *before* its secret is checked,
//! in the same write transaction that found the keys under their limits, and
//! withdrawn ([`withdraw`]) when the secret turns out right. So concurrent
//! attempts cannot all pass the check before any of them is counted.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::db::schema::login_failures;
use crate::db::{self, DbConn};
use crate::error::AppResult;

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub per_user: i64,
    pub per_client: i64,
    pub window_minutes: i64,
}

pub struct Keys {
    pub user: String,
    pub client: String,
}

/// Cuts a key part to 64 characters, so a 100 KB username cannot bloat the
/// table, and replaces control characters (PostgreSQL refuses a NUL in text).
pub fn clean(s: &str) -> String {
    s.chars()
        .take(64)
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect()
}

/// Keys for a username and client address.
pub fn keys(username: &str, client: &str) -> Keys {
    Keys {
        user: format!("user:{}", clean(username)),
        client: format!("ip:{}", clean(client)),
    }
}

/// An attempt counted against its keys until it is withdrawn.
#[derive(Debug)]
pub struct Claim {
    ids: Vec<i64>,
}

/// In one write transaction: when any `(key, limit)` already has `limit`
/// failures in the last `window_minutes`, `Ok(Err(minutes to wait))` and
/// nothing is recorded; otherwise one failure is recorded for every key and
/// `Ok(Ok(claim))`.
pub fn claim(
    conn: &mut DbConn,
    window_minutes: i64,
    keys: &[(&str, i64)],
) -> AppResult<Result<Claim, i64>> {
    let now = crate::time::now();
    db::write(conn, |conn| {
        // PostgreSQL: one claim at a time (SQLite's BEGIN IMMEDIATE already
        // holds the write lock); a claim is a few small statements.
        db::lock_table(conn, "login_failures")?;
        if let Some(minutes) = wait(conn, now, window_minutes, keys)? {
            return Ok(Err(minutes));
        }
        // Old rows are of no further use; drop them as we go.
        diesel::delete(
            login_failures::table.filter(login_failures::at.lt(now - Duration::days(1))),
        )
        .execute(conn)?;
        let mut ids = Vec::with_capacity(keys.len());
        for (key, _) in keys {
            diesel::insert_into(login_failures::table)
                .values((login_failures::key.eq(*key), login_failures::at.eq(now)))
                .execute(conn)?;
            ids.push(db::last_insert_id(conn)?);
        }
        Ok(Ok(Claim { ids }))
    })
}

/// `Some(minutes to wait)` when a key has reached its limit in the window.
fn wait(
    conn: &mut DbConn,
    now: NaiveDateTime,
    window_minutes: i64,
    keys: &[(&str, i64)],
) -> QueryResult<Option<i64>> {
    let since = now - Duration::minutes(window_minutes);
    let mut wait = None;
    for (key, limit) in keys {
        let recent: Vec<NaiveDateTime> = login_failures::table
            .filter(login_failures::key.eq(*key))
            .filter(login_failures::at.gt(since))
            .order(login_failures::at.desc())
            .limit(*limit)
            .select(login_failures::at)
            .load(conn)?;
        if let Some(oldest) = recent.last().filter(|_| recent.len() as i64 >= *limit) {
            // Free again when the oldest of the last `limit` failures leaves the window.
            let seconds = (*oldest + Duration::minutes(window_minutes) - now).num_seconds();
            let minutes = ((seconds + 59) / 60).max(1);
            wait = Some(wait.map_or(minutes, |w: i64| w.max(minutes)));
        }
    }
    Ok(wait)
}

/// Failures of `key` in the last `window_minutes`.
pub fn recent(conn: &mut DbConn, key: &str, window_minutes: i64) -> QueryResult<i64> {
    let since = crate::time::now() - Duration::minutes(window_minutes);
    login_failures::table
        .filter(login_failures::key.eq(key))
        .filter(login_failures::at.gt(since))
        .count()
        .get_result(conn)
}

/// The attempt succeeded: it no longer counts against any of its keys.
pub fn withdraw(conn: &mut DbConn, claim: Claim) -> AppResult<()> {
    db::write(conn, |conn| {
        diesel::delete(login_failures::table.filter(login_failures::id.eq_any(&claim.ids)))
            .execute(conn)?;
        Ok(())
    })
}

/// Forgets every failure of a key (a successful sign-in, a PIN reset).
pub fn clear(conn: &mut DbConn, key: &str) -> AppResult<()> {
    db::write(conn, |conn| {
        diesel::delete(login_failures::table.filter(login_failures::key.eq(key))).execute(conn)?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn keys_are_short_and_free_of_control_characters() {
        let k = super::keys(&format!("a\u{0}b{}", "x".repeat(100_000)), "10.0.0.1");
        assert!(!k.user.contains('\u{0}'));
        assert_eq!(k.user.chars().count(), "user:".len() + 64);
        assert_eq!(k.client, "ip:10.0.0.1");
    }
}
