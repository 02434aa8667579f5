//! The back office's side of the health stations: station details and tokens,
//! residents, household PIN resets, the monthly figures officials see, and
//! the checks around a CSV upload. Every write goes through `access::may`
//! (via `Actor::require`) and leaves an audit entry in its own transaction.
//!
//! Privacy: resident names and codes never go into the audit log's summaries
//! (only the resident's id and which fields changed), and the statistics
//! carry village names and numbers only.

mod csv_upload;
mod pins;
mod residents;
mod stations;
mod stats;

pub use csv_upload::{check_csv_upload, import_csv, too_big_message, MAX_CSV_BYTES};
pub use pins::{household_for, pin_state, reset_pin, PinForm};
pub use residents::{
    create_resident, parse_birth_year, resident_for, resident_page, resident_village,
    resident_villages, update_resident, village_households, ResidentForm, ResidentRow,
};
pub use stations::{
    check_phone, create_station, rotate_token, station_for, station_villages, update_station,
    visible_stations, NewStationForm, StationForm, StationRow,
};
pub use stats::{
    last_months, monthly_stats, stats_townships, HealthStats, MonthFigures, VillageFigures,
};

use crate::access::{Action, Actor, PlaceScope};
use crate::db::DbConn;
use crate::error::AppResult;
use crate::places::{self, Place};

/// The villages an actor may `action` in, with their scopes, by township.
fn villages_where(
    conn: &mut DbConn,
    actor: &Actor,
    action: Action,
) -> AppResult<Vec<(Place, Place, PlaceScope)>> {
    let mut out = Vec::new();
    for (township, villages) in places::visible_villages(conn, actor)? {
        for v in villages {
            let scope = PlaceScope::village(v.id, Some(township.id), township.parent_id);
            if actor.may(action, &scope) {
                out.push((township.clone(), v, scope));
            }
        }
    }
    Ok(out)
}
