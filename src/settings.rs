//! Small key/value settings kept in the database, shared by every instance.

use diesel::prelude::*;

use crate::db::schema::settings;
use crate::db::{self, DbConn};
use crate::error::AppResult;

pub fn get(conn: &mut DbConn, key: &str) -> AppResult<Option<String>> {
    Ok(settings::table
        .find(key)
        .select(settings::value)
        .first(conn)
        .optional()?)
}

/// Returns the stored value, storing `make()` first when there is none. When
/// two instances start together, both end up with the value stored first.
pub fn get_or_insert(
    conn: &mut DbConn,
    key: &str,
    make: impl FnOnce() -> String,
) -> AppResult<String> {
    if let Some(v) = get(conn, key)? {
        return Ok(v);
    }
    let value = make();
    let inserted = db::write(conn, |conn| {
        diesel::insert_into(settings::table)
            .values((settings::key.eq(key), settings::value.eq(&value)))
            .execute(conn)
    });
    match inserted {
        Ok(_) => Ok(value),
        Err(e) if db::is_unique_violation(&e) => Ok(get(conn, key)?.unwrap_or(value)),
        Err(e) => Err(e.into()),
    }
}

/// The cookie signing secret: from the config, else generated once and kept.
pub fn session_secret(conn: &mut DbConn, configured: Option<&str>) -> AppResult<String> {
    match configured {
        Some(s) => Ok(s.to_string()),
        None => get_or_insert(conn, "session_secret", || crate::crypto::random_hex(64)),
    }
}
