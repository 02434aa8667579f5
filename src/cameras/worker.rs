//! The background worker that keeps every camera's picture fresh.
//!
//! Each camera has a `grab` lease row; its expiry is also the camera's next
//! grab. An instance takes a camera whose lease ran out, holds it while it
//! grabs (so no other instance grabs the same camera), and leaves it until
//! the next grab is due. An instance that dies simply stops renewing: its
//! cameras fall to the others at their next due time.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::grab::{self, Failure, Ffmpeg, GRAB_TIMEOUT};
use super::{picture, status, Source};
use crate::crypto::Keys;
use crate::db::schema::camera_leases;
use crate::db::{Database, DbConn};
use crate::error::AppResult;

pub const GRAB: &str = "grab";
pub const LIVE: &str = "live";

/// Grabs running at once per instance (each mostly waits on a camera).
const PARALLEL: usize = 4;
const TICK: Duration = Duration::from_secs(1);

/// How early a camera may be grabbed so that it shares an ffmpeg with
/// others due about the same time (a tenth of the interval, at most this):
/// starting ffmpeg costs more CPU than the pictures it takes.
const EARLY: Duration = Duration::from_secs(3);

fn early(interval: Duration) -> chrono::Duration {
    chrono::Duration::from_std(EARLY.min(interval / 10)).unwrap_or_default()
}

/// Takes a camera's lease of `kind` when it has run out, or when `holder`
/// has it already (`renew`). True when `holder` has it until `until`.
pub fn claim(
    conn: &mut DbConn,
    camera_id: i64,
    kind: &str,
    holder: &str,
    until: NaiveDateTime,
    renew: bool,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let target = camera_leases::table
        .filter(camera_leases::camera_id.eq(camera_id))
        .filter(camera_leases::kind.eq(kind));
    let taken = if renew {
        diesel::update(
            target.filter(
                camera_leases::holder
                    .eq(holder)
                    .or(camera_leases::expires_at.lt(now)),
            ),
        )
        .set((
            camera_leases::holder.eq(holder),
            camera_leases::expires_at.eq(until),
        ))
        .execute(conn)?
    } else {
        diesel::update(target.filter(camera_leases::expires_at.lt(now)))
            .set((
                camera_leases::holder.eq(holder),
                camera_leases::expires_at.eq(until),
            ))
            .execute(conn)?
    };
    Ok(taken == 1)
}

/// Gives a lease up (it runs out at `at`), if `holder` still has it.
pub fn release(
    conn: &mut DbConn,
    camera_id: i64,
    kind: &str,
    holder: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(
        camera_leases::table
            .filter(camera_leases::camera_id.eq(camera_id))
            .filter(camera_leases::kind.eq(kind))
            .filter(camera_leases::holder.eq(holder)),
    )
    .set(camera_leases::expires_at.eq(at))
    .execute(conn)?;
    Ok(())
}

/// The lease rows of a new camera: due at once, held by nobody.
pub fn create_leases(conn: &mut DbConn, camera_id: i64, now: NaiveDateTime) -> QueryResult<()> {
    for kind in [GRAB, LIVE] {
        diesel::insert_into(camera_leases::table)
            .values((
                camera_leases::camera_id.eq(camera_id),
                camera_leases::kind.eq(kind),
                camera_leases::holder.eq(""),
                camera_leases::expires_at.eq(now - chrono::Duration::seconds(1)),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Makes a camera due for a grab now (its source or privacy areas changed).
pub fn due_now(conn: &mut DbConn, camera_id: i64, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(
        camera_leases::table
            .filter(camera_leases::camera_id.eq(camera_id))
            .filter(camera_leases::kind.eq(GRAB)),
    )
    .set(camera_leases::expires_at.eq(now - chrono::Duration::seconds(1)))
    .execute(conn)?;
    Ok(())
}

/// Cameras whose grab is due by `by`, the soonest first, with when.
fn due(conn: &mut DbConn, by: NaiveDateTime, limit: i64) -> QueryResult<Vec<(i64, NaiveDateTime)>> {
    camera_leases::table
        .filter(camera_leases::kind.eq(GRAB))
        .filter(camera_leases::expires_at.lt(by))
        .order(camera_leases::expires_at)
        .limit(limit)
        .select((camera_leases::camera_id, camera_leases::expires_at))
        .load(conn)
}

/// What a grab needs besides the database.
#[derive(Clone)]
pub struct Grabber {
    pub keys: Arc<Keys>,
    pub ffmpeg: Option<Ffmpeg>,
    pub interval: Duration,
}

impl Grabber {
    /// Grabs one camera now and records the outcome (the test button).
    pub fn grab_and_record(
        &self,
        conn: &mut DbConn,
        camera_id: i64,
    ) -> AppResult<Result<(), Failure>> {
        let job = self.job(conn, camera_id)?;
        let outcome = self.grab(&job);
        self.record(conn, camera_id, outcome)
    }

    /// What a grab needs from the database: the privacy areas and the source.
    fn job(&self, conn: &mut DbConn, camera_id: i64) -> AppResult<(Vec<super::Area>, Vec<u8>)> {
        let camera = super::get(conn, camera_id)?;
        Ok((camera.areas(), super::sealed_source(conn, camera_id)?))
    }

    /// The grab itself, holding no database connection (it may take 15 s).
    fn grab(
        &self,
        (areas, sealed): &(Vec<super::Area>, Vec<u8>),
    ) -> Result<picture::Pictures, Failure> {
        match Source::open(&self.keys, sealed) {
            Some(source) => grab::grab(&source, self.ffmpeg.as_ref())
                .and_then(|bytes| picture::process(&bytes, areas)),
            // Sealed under another portal secret: say so rather than guess.
            None => Err(Failure::Reported(
                "画面来源无法解密（门户密钥已更换？请重新填写地址）".into(),
            )),
        }
    }

    fn record(
        &self,
        conn: &mut DbConn,
        camera_id: i64,
        outcome: Result<picture::Pictures, Failure>,
    ) -> AppResult<Result<(), Failure>> {
        let now = crate::time::now();
        match outcome {
            Ok(pictures) => {
                status::record_success(conn, camera_id, &pictures, now)?;
                Ok(Ok(()))
            }
            Err(failure) => {
                status::record_failure(conn, camera_id, &failure, now)?;
                Ok(Err(failure))
            }
        }
    }
}

/// Starts the worker on its own thread; it runs as long as the process.
pub fn start(db: Database, grabber: Grabber, holder: String) {
    if grabber.ffmpeg.is_none() {
        log::warn!(
            "cameras: ffmpeg not found; RTSP and HLS cameras get no pictures (Debian: apt-get install ffmpeg)"
        );
    }
    let busy = Arc::new(AtomicUsize::new(0));
    let spawned = std::thread::Builder::new()
        .name("camera-worker".into())
        .spawn(move || loop {
            if let Err(e) = tick(&db, &grabber, &holder, &busy) {
                log::warn!("cameras: worker round failed: {e}");
            }
            std::thread::sleep(TICK);
        });
    if let Err(e) = spawned {
        log::error!("cameras: the worker did not start: {e}");
    }
}

fn tick(db: &Database, grabber: &Grabber, holder: &str, busy: &Arc<AtomicUsize>) -> AppResult<()> {
    let free = PARALLEL.saturating_sub(busy.load(Ordering::SeqCst));
    if free == 0 {
        return Ok(());
    }
    let mut conn = db.get()?;
    let now = crate::time::now();
    // Nothing starts before its time, but what starts takes along the
    // cameras due within the next few seconds: groups merge round by round
    // until they are full.
    let soon = now + early(grabber.interval);
    let due = due(&mut conn, soon, (free * grab::BATCH) as i64)?;
    if due.first().is_none_or(|(_, at)| *at >= now) {
        return Ok(());
    }
    let due = due.into_iter().map(|(id, _)| id).collect();
    for group in groups(&mut conn, grabber, due)?.into_iter().take(free) {
        // Held for the group's longest time, so nobody else starts it
        // meanwhile; counted from `soon`, as others claim early too.
        let hold = soon
            + chrono::Duration::from_std(GRAB_TIMEOUT * (2 + group.len() as u32))
                .unwrap_or_default();
        let mut claimed = Vec::new();
        for camera_id in group {
            if claim(&mut conn, camera_id, GRAB, holder, hold, false, soon)? {
                claimed.push(camera_id);
            }
        }
        if claimed.is_empty() {
            continue;
        }
        busy.fetch_add(1, Ordering::SeqCst);
        let (db, grabber, holder, done) = (
            db.clone(),
            grabber.clone(),
            holder.to_string(),
            busy.clone(),
        );
        let spawned = std::thread::Builder::new()
            .name("camera-grab".into())
            .spawn(move || {
                if let Err(e) = grab_group(&db, &grabber, &holder, &claimed) {
                    log::warn!("cameras {claimed:?}: grab failed: {e}");
                }
                done.fetch_sub(1, Ordering::SeqCst);
            });
        if spawned.is_err() {
            busy.fetch_sub(1, Ordering::SeqCst);
        }
    }
    Ok(())
}

/// The due cameras in the groups they are grabbed in: online RTSP cameras
/// share one ffmpeg, up to [`grab::BATCH`] at a time; any other camera (a
/// JPEG address, a failing one whose reason must be its own) goes alone.
fn groups(conn: &mut DbConn, grabber: &Grabber, due: Vec<i64>) -> AppResult<Vec<Vec<i64>>> {
    let mut shared = Vec::new();
    let mut groups = Vec::new();
    for camera_id in due {
        let shares = grabber.ffmpeg.is_some()
            && super::get(conn, camera_id).is_ok_and(|c| {
                c.has_kind("rtsp")
                    && !c.has_kind("snapshot")
                    && c.status() == super::Status::Online
                    && c.failures == 0
            });
        if shares {
            shared.push(camera_id);
        } else {
            groups.push(vec![camera_id]);
        }
    }
    let mut together: Vec<Vec<i64>> = shared.chunks(grab::BATCH).map(<[i64]>::to_vec).collect();
    together.append(&mut groups);
    Ok(together)
}

/// Grabs a group and records each camera's outcome. A camera the shared
/// ffmpeg gave no frame is asked alone.
pub fn grab_group(db: &Database, grabber: &Grabber, holder: &str, ids: &[i64]) -> AppResult<()> {
    let started = std::time::Instant::now();
    // The group's next grab is counted from its start, the same for all, so
    // it stays one group round after round.
    let next =
        crate::time::now() + chrono::Duration::from_std(grabber.interval).unwrap_or_default();
    // A connection only around the database work, never while a camera
    // is being waited for: a slow camera must not starve the pool.
    let mut jobs = Vec::new();
    {
        let mut conn = db.get()?;
        for &camera_id in ids {
            match grabber.job(&mut conn, camera_id) {
                // Deleted since it was due: nothing to do (its lease went with it).
                Err(crate::error::AppError::NotFound(_)) => {}
                other => jobs.push((camera_id, other?)),
            }
        }
    }
    let frames = match (&grabber.ffmpeg, jobs.len()) {
        (Some(ffmpeg), n) if n > 1 => {
            let urls: Vec<String> = jobs
                .iter()
                .map(|(_, (_, sealed))| {
                    Source::open(&grabber.keys, sealed)
                        .and_then(|s| s.rtsp)
                        .unwrap_or_default()
                })
                .collect();
            let urls: Vec<&str> = urls.iter().map(String::as_str).collect();
            grab::rtsp_frames(ffmpeg, &urls)
        }
        _ => Vec::new(),
    };
    let mut first_error = None;
    for (k, (camera_id, job)) in jobs.iter().enumerate() {
        let outcome = match frames.get(k) {
            Some(Some(bytes)) => picture::process(bytes, &job.0),
            _ => grabber.grab(job),
        };
        if let Err(e) = finish(db, grabber, holder, *camera_id, started, next, outcome) {
            first_error.get_or_insert(e);
        }
    }
    first_error.map_or(Ok(()), Err)
}

/// Records a camera's outcome and leaves its lease until its next grab
/// (`next`, or half an interval from now when the grab ran that long).
fn finish(
    db: &Database,
    grabber: &Grabber,
    holder: &str,
    camera_id: i64,
    started: std::time::Instant,
    next: NaiveDateTime,
    outcome: Result<picture::Pictures, Failure>,
) -> AppResult<()> {
    let mut conn = db.get()?;
    let result = match grabber.record(&mut conn, camera_id, outcome) {
        // Deleted while it was being grabbed.
        Err(crate::error::AppError::NotFound(_)) => return Ok(()),
        other => other,
    };
    if matches!(result, Ok(Ok(()))) {
        // bench/cameras.sh reads this line.
        log::debug!(
            "camera {camera_id}: grabbed, masked, resized and stored in {} ms",
            started.elapsed().as_millis()
        );
    }
    let soonest =
        crate::time::now() + chrono::Duration::from_std(grabber.interval / 2).unwrap_or_default();
    release(&mut conn, camera_id, GRAB, holder, next.max(soonest))?;
    result.map(|_| ())
}
