//! What TV pages show changes by place. Every county, township and village
//! has a generation (table `place_generations`, no row = 0); a change that
//! alters what TVs show raises the generation of the place it belongs to,
//! inside its own transaction. A kept TV page (and a kept village view)
//! remembers the generations of its village, its township and its county and
//! is served only while all three are unchanged, so
//! - a village's change drops that village's pages,
//! - a township's change drops the pages of its villages,
//! - a county's change drops every page,
//!
//! and a write that touches nothing TVs show (a draft, a sign-in, a health
//! reading, the audit log) drops nothing. There is no county-wide row that
//! every write updates: writers of different villages never wait for each
//! other here.
//!
//! On PostgreSQL the change is also announced with `NOTIFY` on [`CHANNEL`]
//! (delivered on commit only) so other instances hear of it at once; see
//! `crate::web::tv::listen`.

use std::collections::HashMap;

use diesel::prelude::*;
use diesel::sql_types::BigInt;

use crate::db::schema::{place_generations, places};
use crate::db::DbConn;

/// The PostgreSQL notification channel; the payload is the place id.
pub const CHANNEL: &str = "village_portal_changes";

/// Marks what TVs show for `place_id` as changed. Call it inside the write
/// transaction of any change a TV page shows (`db::write`), with the place
/// the changed thing belongs to:
/// - a village id: that village's TV pages are rendered anew;
/// - a township id: the pages of all its villages;
/// - the county id: every village's pages.
///
/// Calling it when nothing visible changed costs only re-renders; not
/// calling it leaves TVs showing the old state until the page's own `until`
/// passes, so call it for anything a TV page or the village view reads
/// (articles on or off air, alerts, place names, station details, cameras,
/// the duty roster). It commits with the transaction and is undone with it;
/// on PostgreSQL other instances hear of it when the transaction commits.
/// Several calls in one transaction are fine.
pub fn touch(conn: &mut DbConn, place_id: i64) -> QueryResult<()> {
    // An upsert, so concurrent first changes of a place never collide.
    match conn {
        #[cfg(feature = "sqlite")]
        DbConn::Sqlite(c) => diesel::sql_query(
            "INSERT INTO place_generations (place_id, generation) VALUES (?, 1) \
             ON CONFLICT (place_id) DO UPDATE SET generation = place_generations.generation + 1",
        )
        .bind::<BigInt, _>(place_id)
        .execute(c)
        .map(|_| ()),
        #[cfg(feature = "postgres")]
        DbConn::Pg(c) => {
            diesel::sql_query(
                "INSERT INTO place_generations (place_id, generation) VALUES ($1, 1) \
                 ON CONFLICT (place_id) DO UPDATE SET generation = place_generations.generation + 1",
            )
            .bind::<BigInt, _>(place_id)
            .execute(c)?;
            diesel::sql_query("SELECT pg_notify($1, $2)")
                .bind::<diesel::sql_types::Text, _>(CHANNEL)
                .bind::<diesel::sql_types::Text, _>(place_id.to_string())
                .execute(c)
                .map(|_| ())
        }
    }
}

/// Marks everything as changed (every county, so every village): for bulk
/// loads such as the demo, and data arranged behind the portal's back.
pub fn touch_all(conn: &mut DbConn) -> QueryResult<()> {
    let counties: Vec<i64> = places::table
        .filter(places::parent_id.is_null())
        .select(places::id)
        .load(conn)?;
    for id in counties {
        touch(conn, id)?;
    }
    Ok(())
}

/// The generation of every place that has changed at least once.
pub fn generations(conn: &mut DbConn) -> QueryResult<HashMap<i64, i64>> {
    Ok(place_generations::table
        .select((place_generations::place_id, place_generations::generation))
        .load::<(i64, i64)>(conn)?
        .into_iter()
        .collect())
}

/// Reads a notification payload: a place id, or `None` for anything else
/// (someone else's message on the channel).
pub fn parse_payload(payload: &str) -> Option<i64> {
    payload.trim().parse::<i64>().ok().filter(|id| *id > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_are_place_ids_only() {
        assert_eq!(parse_payload("42"), Some(42));
        assert_eq!(parse_payload(" 7 "), Some(7));
        for other in [
            "",
            "abc",
            "-1",
            "0",
            "1e3",
            "42;DROP",
            "99999999999999999999",
        ] {
            assert_eq!(parse_payload(other), None, "{other:?}");
        }
    }
}
