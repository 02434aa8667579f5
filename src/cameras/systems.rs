//! Camera systems (a GB28181 platform, a media server) that report camera
//! status over the API with a bearer token. Admins make and rotate tokens;
//! only a SHA-256 digest is stored, as for health stations.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::access::{Action, Actor};
use crate::audit::{self, Event};
use crate::db::schema::camera_systems;
use crate::db::{self, DbConn};
use crate::error::{AppError, AppResult};
use crate::health::{hash_token, new_token};
use crate::validate::{self, FieldErrors};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = camera_systems)]
pub struct System {
    pub id: i64,
    /// The township or county whose cameras it may report on.
    pub place_id: i64,
    pub name: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn list(conn: &mut DbConn) -> AppResult<Vec<System>> {
    Ok(camera_systems::table
        .order(camera_systems::id)
        .select(System::as_select())
        .load(conn)?)
}

pub fn by_token(conn: &mut DbConn, token: &str) -> AppResult<Option<System>> {
    Ok(camera_systems::table
        .filter(camera_systems::token_hash.eq(hash_token(token)))
        .select(System::as_select())
        .first(conn)
        .optional()?)
}

/// A new system and its token (shown once). `token`: the demo's fixed one.
pub fn create(
    conn: &mut DbConn,
    actor: &Actor,
    place_id: Option<i64>,
    name: &str,
    token: Option<&str>,
) -> AppResult<(System, String)> {
    actor.require(Action::ManageUsers, &actor.place)?;
    let name = name.trim();
    let mut errors = FieldErrors::new();
    errors.check("name", validate::line(name, "名称", 40));
    let place = place_id
        .and_then(|id| crate::places::get(conn, id).ok())
        .filter(|p| p.kind() != crate::access::PlaceKind::Village);
    let Some(place) = place else {
        errors.add("place_id", "请选择它负责的乡镇（或全县）");
        return Err(AppError::Invalid(errors));
    };
    errors.into_result()?;
    actor.require(Action::ManageUsers, &crate::places::scope(conn, &place)?)?;
    let token = token.map(str::to_string).unwrap_or_else(new_token);
    db::write(conn, |conn| {
        let now = crate::time::now();
        diesel::insert_into(camera_systems::table)
            .values((
                camera_systems::place_id.eq(place.id),
                camera_systems::name.eq(name),
                camera_systems::token_hash.eq(hash_token(&token)),
                camera_systems::created_at.eq(now),
                camera_systems::updated_at.eq(now),
            ))
            .execute(conn)?;
        let id = db::last_insert_id(conn)?;
        audit::record(
            conn,
            actor,
            Event {
                action: "camera_system.create",
                target_type: "camera_system",
                target_id: Some(id),
                place_id: Some(place.id),
                summary: format!("{name} ({}), token: set", place.name),
            },
        )?;
        let system = camera_systems::table
            .find(id)
            .select(System::as_select())
            .first(conn)?;
        Ok((system, token.clone()))
    })
}

/// Whether the system may report on the camera of `village_id`.
pub fn covers(conn: &mut DbConn, system: &System, village_id: i64) -> AppResult<bool> {
    let place = crate::places::scope_of(conn, system.place_id)?;
    let village = crate::places::scope_of(conn, village_id)?;
    Ok(place.contains(&village))
}

/// A new token for the system; the old one stops working at once.
pub fn rotate(conn: &mut DbConn, actor: &Actor, id: i64) -> AppResult<(System, String)> {
    actor.require(Action::ManageUsers, &actor.place)?;
    let token = new_token();
    db::write(conn, |conn| {
        let updated = diesel::update(camera_systems::table.find(id))
            .set((
                camera_systems::token_hash.eq(hash_token(&token)),
                camera_systems::updated_at.eq(crate::time::now()),
            ))
            .execute(conn)?;
        if updated == 0 {
            return Err(AppError::not_found("这个摄像头系统"));
        }
        audit::record(
            conn,
            actor,
            Event {
                action: "camera_system.rotate",
                target_type: "camera_system",
                target_id: Some(id),
                place_id: None,
                summary: "token: changed".into(),
            },
        )?;
        let system = camera_systems::table
            .find(id)
            .select(System::as_select())
            .first(conn)?;
        Ok((system, token.clone()))
    })
}
