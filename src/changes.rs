//! A stamp that changes whenever something a TV page shows changes. Page
//! caches (one per instance) compare it to know when to forget what they
//! rendered; it lives in the database so every instance sees every change.

use diesel::prelude::*;

use crate::db::schema::settings;
use crate::db::DbConn;
use crate::error::AppResult;

const KEY: &str = "content_generation";

/// Gives the stamp a new value. Call it inside the transaction of the change
/// (`audit::record` does, so every audited write counts).
pub fn bump(conn: &mut DbConn) -> QueryResult<()> {
    // A random value rather than a counter: two concurrent bumps can never
    // leave the same value behind, and no read-modify-write is needed.
    let value = crate::crypto::random_hex(8);
    let updated = diesel::update(settings::table.find(KEY))
        .set(settings::value.eq(&value))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(settings::table)
            .values((settings::key.eq(KEY), settings::value.eq(&value)))
            .execute(conn)?;
    }
    Ok(())
}

/// The current stamp ("" before the first change).
pub fn current(conn: &mut DbConn) -> AppResult<String> {
    Ok(crate::settings::get(conn, KEY)?.unwrap_or_default())
}
