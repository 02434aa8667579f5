//! The generated TV households `C000001`.., spread evenly over the
//! generated villages, all with the same PIN.

use std::collections::HashSet;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::places::Township;
use super::{Scale, GENERATED_PIN, HOUSEHOLD_CHUNK};
use crate::db::schema::households;
use crate::db::{self, DbConn};
use crate::error::AppResult;

#[derive(Insertable)]
#[diesel(table_name = households)]
struct NewHousehold<'a> {
    village_id: i64,
    stb_id: String,
    number: String,
    pin_hash: &'a str,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

pub(super) fn ensure_households(
    conn: &mut DbConn,
    tree: &[Township],
    scale: &Scale,
) -> AppResult<usize> {
    let villages: Vec<i64> = tree
        .iter()
        .flat_map(|t| t.villages.iter().map(|v| v.id))
        .collect();
    if villages.is_empty() || scale.households == 0 {
        return Ok(0);
    }
    let have: HashSet<String> = households::table
        .filter(households::stb_id.like("C%"))
        .select(households::stb_id)
        .load::<String>(conn)?
        .into_iter()
        .collect();
    // Contiguous STB ids per village, numbered 0001.. within it.
    let (per, extra) = (
        scale.households / villages.len(),
        scale.households % villages.len(),
    );
    let mut plan = Vec::new();
    let mut k = 0usize;
    for (j, village_id) in villages.iter().enumerate() {
        for number in 1..=per + usize::from(j < extra) {
            k += 1;
            let stb = format!("C{k:06}");
            if !have.contains(&stb) {
                plan.push((*village_id, stb, format!("{number:04}")));
            }
        }
    }
    if plan.is_empty() {
        return Ok(0);
    }
    // Argon2 with the portal's parameters costs tens of milliseconds a hash:
    // one per household would take about an hour for 90,000. The PIN is
    // hashed once and that same hash string is stored for every generated
    // household (demo data only; real households each get their own salt).
    let pin_hash = crate::crypto::hash_secret(GENERATED_PIN)?;
    let now = crate::time::now();
    let rows: Vec<NewHousehold> = plan
        .into_iter()
        .map(|(village_id, stb_id, number)| NewHousehold {
            village_id,
            stb_id,
            number,
            pin_hash: &pin_hash,
            created_at: now,
            updated_at: now,
        })
        .collect();
    for chunk in rows.chunks(HOUSEHOLD_CHUNK) {
        db::write(conn, |conn| {
            on_inner!(conn, |c| diesel::insert_into(households::table)
                .values(chunk)
                .execute(c))
        })?;
    }
    Ok(rows.len())
}
