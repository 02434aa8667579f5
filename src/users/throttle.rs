//! Sign-in throttling: failures are counted per username and per client
//! address in the database, so every instance behind a load balancer agrees.

use chrono::Duration;
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

/// Keys for a username and client address; long usernames are cut so a
/// 100 KB username cannot bloat the table, and control characters replaced
/// (PostgreSQL refuses a NUL byte in text).
pub fn keys(username: &str, client: &str) -> Keys {
    let clean = |s: &str| -> String {
        s.chars()
            .take(64)
            .map(|c| if c.is_control() { '\u{fffd}' } else { c })
            .collect()
    };
    Keys {
        user: format!("user:{}", clean(username)),
        client: format!("ip:{}", clean(client)),
    }
}

/// `Some(minutes to wait)` when either key has reached its limit in the window.
pub fn blocked(conn: &mut DbConn, limits: &Limits, keys: &Keys) -> AppResult<Option<i64>> {
    let now = crate::time::now();
    let since = now - Duration::minutes(limits.window_minutes);
    let mut wait = None;
    for (key, limit) in [
        (&keys.user, limits.per_user),
        (&keys.client, limits.per_client),
    ] {
        let recent: Vec<chrono::NaiveDateTime> = login_failures::table
            .filter(login_failures::key.eq(key))
            .filter(login_failures::at.gt(since))
            .order(login_failures::at.desc())
            .limit(limit)
            .select(login_failures::at)
            .load(conn)?;
        if recent.len() as i64 >= limit {
            // Free again when the oldest of the last `limit` failures leaves the window.
            let oldest = recent[recent.len() - 1];
            let seconds = (oldest + Duration::minutes(limits.window_minutes) - now).num_seconds();
            let minutes = (seconds + 59) / 60;
            wait = Some(wait.map_or(minutes, |w: i64| w.max(minutes)).max(1));
        }
    }
    Ok(wait)
}

pub fn record_failure(conn: &mut DbConn, keys: &Keys) -> AppResult<()> {
    let now = crate::time::now();
    db::write(conn, |conn| {
        // Old rows are of no further use; drop them as we go.
        diesel::delete(
            login_failures::table.filter(login_failures::at.lt(now - Duration::days(1))),
        )
        .execute(conn)?;
        for key in [&keys.user, &keys.client] {
            diesel::insert_into(login_failures::table)
                .values((login_failures::key.eq(key), login_failures::at.eq(now)))
                .execute(conn)?;
        }
        Ok(())
    })
}

/// A successful sign-in forgets the username's failures.
pub fn clear(conn: &mut DbConn, user_key: &str) -> AppResult<()> {
    db::write(conn, |conn| {
        diesel::delete(login_failures::table.filter(login_failures::key.eq(user_key)))
            .execute(conn)?;
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
