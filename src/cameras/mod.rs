//! Village cameras (雪亮监控): the registry, their status, their latest
//! pictures, and the live views boxes watch.
//!
//! A box only ever sees the portal's own addresses: a camera's source is
//! sealed at rest (`source`), pictures are grabbed in the background
//! (`worker`, never inside a box's request), masked and resized here
//! (`picture`), and live views are made by ffmpeg and served from the
//! database (`live`), so every instance behind a load balancer serves them.

pub mod grab;
pub mod live;
pub mod picture;
pub mod privacy;
pub mod registry;
pub mod source;
pub mod status;
pub mod systems;
pub mod wall;
pub mod worker;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{camera_events, camera_snapshots, cameras};
use crate::db::DbConn;
use crate::error::{AppError, AppResult};

pub use privacy::Area;
pub use source::Source;

/// Who may see a camera.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    /// Every box of the village.
    Public,
    /// The back office only, never a TV.
    Officials,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Officials => "officials",
        }
    }

    pub fn parse(s: &str) -> Option<Visibility> {
        match s {
            "public" => Some(Visibility::Public),
            "officials" => Some(Visibility::Officials),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Visibility::Public => "全村可看",
            Visibility::Officials => "仅干部可看",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Unknown,
    Online,
    Offline,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Unknown => "unknown",
            Status::Online => "online",
            Status::Offline => "offline",
        }
    }

    pub fn parse(s: &str) -> Status {
        match s {
            "online" => Status::Online,
            "offline" => Status::Offline,
            _ => Status::Unknown,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Unknown => "状态未知",
            Status::Online => "在线",
            Status::Offline => "离线",
        }
    }
}

/// A camera as pages show it (its source stays sealed: see [`sealed_source`]).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = cameras)]
pub struct Camera {
    pub id: i64,
    pub village_id: i64,
    pub name: String,
    pub spot: String,
    pub position: i32,
    pub visibility: String,
    pub sources: String,
    pub privacy: String,
    pub status: String,
    pub status_since: NaiveDateTime,
    pub status_reason: String,
    pub failures: i32,
    pub snapshot_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl Camera {
    pub fn visibility(&self) -> Visibility {
        Visibility::parse(&self.visibility).unwrap_or(Visibility::Officials)
    }

    pub fn is_public(&self) -> bool {
        self.visibility() == Visibility::Public
    }

    pub fn status(&self) -> Status {
        Status::parse(&self.status)
    }

    pub fn areas(&self) -> Vec<Area> {
        privacy::parse(&self.privacy).unwrap_or_default()
    }

    pub fn has_kind(&self, kind: &str) -> bool {
        self.sources.split(',').any(|k| k == kind)
    }

    /// Whether boxes may watch it live: a stream to watch, and nothing to
    /// hide (masking a live stream would mean transcoding it).
    pub fn offers_live(&self) -> bool {
        (self.has_kind("rtsp") || self.has_kind("hls") || self.has_kind("test"))
            && self.privacy.is_empty()
    }
}

pub fn get(conn: &mut DbConn, id: i64) -> AppResult<Camera> {
    cameras::table
        .find(id)
        .select(Camera::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("这个摄像头"))
}

/// A public camera of the village, or the TV's 404 (officials-only cameras
/// and other villages' cameras are not there as far as a box can tell).
pub fn public_of_village(conn: &mut DbConn, village_id: i64, id: i64) -> AppResult<Camera> {
    get(conn, id)
        .ok()
        .filter(|c| c.village_id == village_id && c.is_public())
        .ok_or_else(|| AppError::not_found("这个摄像头"))
}

/// The village's cameras in their order; `public_only` for TV pages.
pub fn of_village(conn: &mut DbConn, village_id: i64, public_only: bool) -> AppResult<Vec<Camera>> {
    let mut q = cameras::table
        .filter(cameras::village_id.eq(village_id))
        .select(Camera::as_select())
        .order((cameras::position, cameras::id))
        .into_boxed();
    if public_only {
        q = q.filter(cameras::visibility.eq(Visibility::Public.as_str()));
    }
    Ok(q.load(conn)?)
}

/// The cameras of several villages (a township's wall, the admin list).
pub fn of_villages(conn: &mut DbConn, village_ids: &[i64]) -> AppResult<Vec<Camera>> {
    Ok(cameras::table
        .filter(cameras::village_id.eq_any(village_ids))
        .select(Camera::as_select())
        .order((cameras::village_id, cameras::position, cameras::id))
        .load(conn)?)
}

pub fn count_public(conn: &mut DbConn, village_id: i64) -> AppResult<i64> {
    Ok(cameras::table
        .filter(cameras::village_id.eq(village_id))
        .filter(cameras::visibility.eq(Visibility::Public.as_str()))
        .count()
        .get_result(conn)?)
}

pub fn sealed_source(conn: &mut DbConn, id: i64) -> AppResult<Vec<u8>> {
    Ok(cameras::table
        .find(id)
        .select(cameras::source_sealed)
        .first(conn)?)
}

/// A camera's latest picture at one of the TV sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    /// 1280x720 boxes' camera page.
    Large,
    /// The list's tiles and the wall.
    Small,
}

/// The latest picture (JPEG bytes) and when it was taken.
pub fn snapshot(
    conn: &mut DbConn,
    id: i64,
    size: Size,
) -> AppResult<Option<(NaiveDateTime, Vec<u8>)>> {
    let q = camera_snapshots::table.find(id);
    let row = match size {
        Size::Large => q
            .select((camera_snapshots::taken_at, camera_snapshots::large))
            .first(conn)
            .optional()?,
        Size::Small => q
            .select((camera_snapshots::taken_at, camera_snapshots::small))
            .first(conn)
            .optional()?,
    };
    Ok(row)
}

/// A status change, as the history shows it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = camera_events)]
pub struct Event {
    pub id: i64,
    pub camera_id: i64,
    pub at: NaiveDateTime,
    pub status: String,
    pub reason: String,
}

pub fn events(conn: &mut DbConn, camera_id: i64, limit: i64) -> AppResult<Vec<Event>> {
    Ok(camera_events::table
        .filter(camera_events::camera_id.eq(camera_id))
        .order((camera_events::at.desc(), camera_events::id.desc()))
        .limit(limit)
        .select(Event::as_select())
        .load(conn)?)
}

/// How old a picture is, in words a villager reads at a glance.
pub fn age_in_words(taken: NaiveDateTime, now: NaiveDateTime) -> String {
    let secs = (now - taken).num_seconds().max(0);
    match secs {
        0..=59 => "刚刚".into(),
        60..=3599 => format!("{}分钟前", secs / 60),
        3600..=86_399 => format!("{}小时前", secs / 3600),
        _ => format!("{}天前", secs / 86_400),
    }
}

/// When [`age_in_words`] next reads differently.
pub fn age_changes_at(taken: NaiveDateTime, now: NaiveDateTime) -> NaiveDateTime {
    let secs = (now - taken).num_seconds().max(0);
    let step = match secs {
        0..=3599 => 60,
        3600..=86_399 => 3600,
        _ => 86_400,
    };
    taken + chrono::Duration::seconds((secs / step + 1) * step)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_like_words() {
        let t = chrono::DateTime::from_timestamp(1_700_000_000, 0)
            .map(|d| d.naive_utc())
            .unwrap_or_default();
        let s = |n| t + chrono::Duration::seconds(n);
        assert_eq!(age_in_words(t, s(5)), "刚刚");
        assert_eq!(age_in_words(t, s(-5)), "刚刚");
        assert_eq!(age_in_words(t, s(125)), "2分钟前");
        assert_eq!(age_in_words(t, s(7300)), "2小时前");
        assert_eq!(age_in_words(t, s(200_000)), "2天前");
        assert_eq!(age_changes_at(t, s(5)), s(60));
        assert_eq!(age_changes_at(t, s(125)), s(180));
        assert_eq!(age_changes_at(t, s(7300)), s(10_800));
    }
}
