//! What is due (三会一课): each tracked kind of meeting against the
//! configured rhythm, per village and for the township's table.

use chrono::NaiveDate;
use diesel::prelude::*;

use super::super::rhythm::{self, Due, Rhythm};
use super::super::{day_str, parse_day};
use crate::access::Actor;
use crate::db::schema::branch_meetings;
use crate::db::DbConn;
use crate::error::AppResult;
use crate::places::Place;

/// What each tracked kind stands at for a village on the local day `today`.
pub fn of_village(
    conn: &mut DbConn,
    village_id: i64,
    rhythm: &Rhythm,
    today: NaiveDate,
) -> AppResult<Vec<(&'static str, Due)>> {
    let mut out = Vec::new();
    for (kind, period) in &rhythm.0 {
        let last: Option<String> = branch_meetings::table
            .filter(branch_meetings::village_id.eq(village_id))
            .filter(branch_meetings::kind.eq(*kind))
            .filter(branch_meetings::held_on.le(day_str(today)))
            .select(diesel::dsl::max(branch_meetings::held_on))
            .first(conn)?;
        out.push((
            *kind,
            rhythm::due(*period, today, last.as_deref().and_then(parse_day)),
        ));
    }
    Ok(out)
}

/// A village and the state of each tracked kind.
pub type DueRow = (Place, Vec<(&'static str, Due)>);

/// The township's table: each village in reach against each tracked kind.
pub fn table(
    conn: &mut DbConn,
    actor: &Actor,
    rhythm: &Rhythm,
    today: NaiveDate,
) -> AppResult<Vec<DueRow>> {
    let mut out = Vec::new();
    for v in super::super::supervision::villages_in_reach(conn, actor)? {
        let row = of_village(conn, v.id, rhythm, today)?;
        out.push((v, row));
    }
    Ok(out)
}
