//! Household PINs: the lock state and resetting the PIN.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::access::{Action, Actor};
use crate::audit::{self, Event};
use crate::db::schema::households;
use crate::db::{self, DbConn};
use crate::error::AppResult;
use crate::households::{self as hh, Household};
use crate::places;
use crate::validate::FieldErrors;

/// The household's PIN lock, for the reset page.
pub fn pin_state(conn: &mut DbConn, household_id: i64) -> AppResult<(i32, Option<NaiveDateTime>)> {
    Ok(households::table
        .find(household_id)
        .select((households::pin_failures, households::pin_locked_until))
        .first(conn)?)
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct PinForm {
    #[serde(default)]
    pub pin: String,
}

/// The household, after checking the actor manages its village.
pub fn household_for(conn: &mut DbConn, actor: &Actor, id: i64) -> AppResult<Household> {
    let h = hh::get(conn, id)?;
    actor.require(
        Action::ManageHouseholds,
        &places::scope_of(conn, h.village_id)?,
    )?;
    Ok(h)
}

/// Sets a new PIN and lifts a lockout from wrong PINs (clerks, admins).
pub fn reset_pin(conn: &mut DbConn, actor: &Actor, id: i64, form: &PinForm) -> AppResult<()> {
    let h = household_for(conn, actor, id)?;
    let mut errors = FieldErrors::new();
    errors.check("pin", hh::check_pin(&form.pin));
    errors.into_result()?;
    let hash = crate::crypto::hash_secret(&form.pin)?;
    db::write(conn, |conn| {
        diesel::update(households::table.find(id))
            .set((
                households::pin_hash.eq(&hash),
                households::pin_failures.eq(0),
                households::pin_locked_until.eq(None::<NaiveDateTime>),
                // Ends the household's access on every box (a copied cookie too).
                households::access_version.eq(households::access_version + 1),
                households::updated_at.eq(crate::time::now()),
            ))
            .execute(conn)?;
        audit::record(
            conn,
            actor,
            Event {
                action: "household.pin_reset",
                target_type: "household",
                target_id: Some(id),
                place_id: Some(h.village_id),
                summary: format!("{}: pin reset, lock cleared", h.number),
            },
        )?;
        Ok(())
    })
}
