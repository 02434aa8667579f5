//! Whether a camera is online, debounced: cameras on village links drop a
//! grab now and then, and a wall that flickers between 在线 and 离线 teaches
//! people to ignore it. Three failures in a row make a camera offline; the
//! first success makes it online again. Every change is kept with its time
//! and reason, and logged.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::grab::Failure;
use super::picture::Pictures;
use super::{Camera, Status};
use crate::db::schema::{camera_events, camera_snapshots, cameras};
use crate::db::{self, DbConn};
use crate::error::AppResult;

/// Failures in a row before a camera counts as offline.
pub const OFFLINE_AFTER: i32 = 3;

/// Keeps a grab's pictures and marks the camera online.
pub fn record_success(
    conn: &mut DbConn,
    camera_id: i64,
    pictures: &Pictures,
    now: NaiveDateTime,
) -> AppResult<()> {
    db::write(conn, |conn| {
        let camera = super::get(conn, camera_id)?;
        let updated = diesel::update(camera_snapshots::table.find(camera_id))
            .set((
                camera_snapshots::taken_at.eq(now),
                camera_snapshots::large.eq(&pictures.large),
                camera_snapshots::small.eq(&pictures.small),
            ))
            .execute(conn)?;
        if updated == 0 {
            diesel::insert_into(camera_snapshots::table)
                .values((
                    camera_snapshots::camera_id.eq(camera_id),
                    camera_snapshots::taken_at.eq(now),
                    camera_snapshots::large.eq(&pictures.large),
                    camera_snapshots::small.eq(&pictures.small),
                ))
                .execute(conn)?;
        }
        diesel::update(cameras::table.find(camera_id))
            .set((cameras::snapshot_at.eq(now), cameras::failures.eq(0)))
            .execute(conn)?;
        if camera.status() != Status::Online {
            change(conn, &camera, Status::Online, "", now)?;
        }
        Ok(())
    })
}

/// Counts a failed grab; the third in a row marks the camera offline.
/// Returns the camera's status afterwards.
pub fn record_failure(
    conn: &mut DbConn,
    camera_id: i64,
    failure: &Failure,
    now: NaiveDateTime,
) -> AppResult<Status> {
    db::write(conn, |conn| {
        let camera = super::get(conn, camera_id)?;
        let failures = camera.failures.saturating_add(1);
        diesel::update(cameras::table.find(camera_id))
            .set(cameras::failures.eq(failures))
            .execute(conn)?;
        let reason = failure.reason();
        if failures >= OFFLINE_AFTER && camera.status() != Status::Offline {
            change(conn, &camera, Status::Offline, &reason, now)?;
            return Ok(Status::Offline);
        }
        if camera.status() == Status::Offline && camera.status_reason != reason {
            // Still offline, for another reason now: say the current one.
            diesel::update(cameras::table.find(camera_id))
                .set(cameras::status_reason.eq(&reason))
                .execute(conn)?;
            crate::changes::touch(conn, camera.village_id)?;
        }
        Ok(camera.status())
    })
}

/// A status the camera system reports (API): taken as it is, since the
/// system debounces itself (wvp: three missed heartbeats).
pub fn report(
    conn: &mut DbConn,
    camera_id: i64,
    online: bool,
    reason: Option<&str>,
    now: NaiveDateTime,
) -> AppResult<Camera> {
    db::write(conn, |conn| {
        let camera = super::get(conn, camera_id)?;
        let status = if online {
            Status::Online
        } else {
            Status::Offline
        };
        let reason = match (online, reason) {
            (true, _) => String::new(),
            (false, Some(r)) if !r.trim().is_empty() => r.trim().to_string(),
            (false, _) => "摄像头系统报告离线".to_string(),
        };
        if camera.status() != status || camera.status_reason != reason {
            change(conn, &camera, status, &reason, now)?;
        }
        diesel::update(cameras::table.find(camera_id))
            .set(cameras::failures.eq(if online { 0 } else { OFFLINE_AFTER }))
            .execute(conn)?;
        super::get(conn, camera_id)
    })
}

/// Writes a status change and its history entry; TV pages show status.
fn change(
    conn: &mut DbConn,
    camera: &Camera,
    status: Status,
    reason: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(cameras::table.find(camera.id))
        .set((
            cameras::status.eq(status.as_str()),
            cameras::status_since.eq(now),
            cameras::status_reason.eq(reason),
        ))
        .execute(conn)?;
    diesel::insert_into(camera_events::table)
        .values((
            camera_events::camera_id.eq(camera.id),
            camera_events::at.eq(now),
            camera_events::status.eq(status.as_str()),
            camera_events::reason.eq(reason),
        ))
        .execute(conn)?;
    log::info!(
        "camera {} ({}): {} -> {}{}",
        camera.id,
        camera.name,
        camera.status,
        status.as_str(),
        if reason.is_empty() {
            String::new()
        } else {
            format!(" ({reason})")
        }
    );
    crate::changes::touch(conn, camera.village_id)
}
