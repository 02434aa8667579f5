//! Live views for boxes that play HLS.
//!
//! A camera's RTSP stream becomes HLS (MPEG-TS, H.264, `-c copy`: no
//! transcoding) through one ffmpeg, started when the first box asks and
//! stopped when no box has asked for `idle` (30 s by default). Which
//! instance runs it is decided by the camera's `live` lease; that instance
//! copies each finished segment and the playlist into the database, and
//! every instance serves them from there. So two instances behind a
//! round-robin balancer serve one stream with one ffmpeg, and a box whose
//! requests alternate between them sees one consistent playlist: the cost
//! is a database write per segment (~100-300 KB a second per stream).
//!
//! A camera whose source is an existing HLS server is proxied instead: its
//! playlists are rewritten so the box fetches every segment through the
//! portal (the upstream address travels sealed inside the portal's URL).
//! Every live URL carries a signed token bound to the village and the
//! camera, good for [`TOKEN_TTL`].

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::grab::{self, Ffmpeg};
use super::worker::{self, LIVE};
use super::{Camera, Source};
use crate::crypto::Keys;
use crate::db::schema::{camera_leases, camera_live, camera_segments};
use crate::db::{Database, DbConn};
use crate::error::{AppError, AppResult};

/// How long a live address works after the page gave it out.
pub const TOKEN_TTL: chrono::Duration = chrono::Duration::hours(2);
/// The holder renews its lease this often, for this long.
const RENEW_EVERY: Duration = Duration::from_secs(2);
const LEASE: chrono::Duration = chrono::Duration::seconds(10);
/// How long the first box waits for the first segment.
const START_WAIT: Duration = Duration::from_secs(10);
/// Segments kept in the database per stream (the playlist lists 6).
const KEEP_SEGMENTS: usize = 10;
/// The most bytes of one proxied upstream file.
const MAX_PROXIED: u64 = 32 * 1024 * 1024;
pub const BUSY: &str = "现在看直播的人较多，先为您显示定时刷新的画面。";

/// A signed live token: `expiry.signature`.
pub fn token(keys: &Keys, village: &str, camera_id: i64, expires: NaiveDateTime) -> String {
    let exp = expires.and_utc().timestamp();
    format!(
        "{exp}.{}",
        keys.sign(&format!("live|{village}|{camera_id}|{exp}"))
    )
}

/// Checks a live token for this village and camera at `now`.
pub fn check_token(
    keys: &Keys,
    village: &str,
    camera_id: i64,
    token: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    let refused = || AppError::Forbidden("这个直播地址已失效，请回到摄像头页面重新打开".into());
    let (exp, sig) = token.split_once('.').ok_or_else(refused)?;
    let exp_n: i64 = exp.parse().map_err(|_| refused())?;
    if !keys.verify(&format!("live|{village}|{camera_id}|{exp_n}"), sig) {
        return Err(refused());
    }
    if exp_n < now.and_utc().timestamp() {
        return Err(refused());
    }
    Ok(())
}

/// The per-instance side of live views.
pub struct Live {
    pub db: Database,
    pub keys: Arc<Keys>,
    pub ffmpeg: Option<Ffmpeg>,
    pub holder: String,
    pub max_live: usize,
    pub idle: Duration,
    pub dir: PathBuf,
    /// When this instance last wrote `viewed_at` per camera (a write per
    /// playlist request from each of many boxes would be wasteful).
    viewed: Mutex<HashMap<i64, Instant>>,
}

impl Live {
    pub fn new(
        db: Database,
        keys: Arc<Keys>,
        ffmpeg: Option<Ffmpeg>,
        holder: String,
        max_live: usize,
        idle: Duration,
    ) -> Live {
        let dir = std::env::temp_dir().join(format!("village-portal-live-{holder}"));
        Live {
            db,
            keys,
            ffmpeg,
            holder,
            max_live,
            idle,
            dir,
            viewed: Mutex::default(),
        }
    }

    /// Whether a new stream could start now (the page offers live, or says
    /// it is busy and shows the refreshing picture).
    pub fn has_room(&self, conn: &mut DbConn, camera_id: i64) -> AppResult<bool> {
        let now = crate::time::now();
        let running: Vec<i64> = running_streams(conn, now)?;
        Ok(running.contains(&camera_id) || running.len() < self.max_live)
    }

    /// The playlist for a box, starting the stream when nobody watches yet.
    /// Blocking: call it on a blocking thread.
    pub fn playlist(
        self: &Arc<Self>,
        camera: &Camera,
        village: &str,
        token: &str,
    ) -> AppResult<String> {
        if camera.has_kind("hls") && !camera.has_kind("rtsp") {
            let source = self.source(&mut *self.db.get()?, camera.id)?;
            let upstream = source.hls.ok_or_else(|| AppError::not_found("直播画面"))?;
            return self.proxy_playlist(&upstream, camera.id, village, token);
        }
        self.seen(&mut *self.db.get()?, camera.id)?;
        let started = Instant::now();
        let mut tried_start = false;
        loop {
            // A connection per look, never held while waiting: many boxes
            // may wait at once, and the stream's holder needs one too.
            {
                let mut conn = self.db.get()?;
                if let Some(list) = stored_playlist(&mut conn, camera.id)? {
                    if !list.is_empty() {
                        return Ok(rewrite_local(&list, village, camera.id, token));
                    }
                }
                if !tried_start {
                    tried_start = true;
                    self.start(&mut conn, camera)?;
                }
            }
            if started.elapsed() > START_WAIT {
                return Err(AppError::Unavailable(
                    "直播画面还没有准备好，请稍后再试".into(),
                ));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// A segment of a stream this deployment makes.
    pub fn segment(&self, camera_id: i64, name: &str) -> AppResult<Vec<u8>> {
        if !is_segment_name(name) {
            return Err(AppError::not_found("直播画面"));
        }
        let mut conn = self.db.get()?;
        self.seen(&mut conn, camera_id)?;
        camera_segments::table
            .find((camera_id, name))
            .select(camera_segments::data)
            .first(&mut conn)
            .optional()?
            .ok_or_else(|| AppError::not_found("直播画面"))
    }

    fn source(&self, conn: &mut DbConn, camera_id: i64) -> AppResult<Source> {
        let sealed = super::sealed_source(conn, camera_id)?;
        Source::open(&self.keys, &sealed)
            .ok_or_else(|| AppError::Unavailable("直播画面暂时无法打开".into()))
    }

    /// Notes that a box watches (at most every 2 s per camera and instance).
    fn seen(&self, conn: &mut DbConn, camera_id: i64) -> AppResult<()> {
        {
            let mut viewed = self.viewed.lock().unwrap_or_else(|e| e.into_inner());
            if viewed
                .get(&camera_id)
                .is_some_and(|t| t.elapsed() < RENEW_EVERY)
            {
                return Ok(());
            }
            viewed.insert(camera_id, Instant::now());
        }
        diesel::update(camera_live::table.find(camera_id))
            .set(camera_live::viewed_at.eq(crate::time::now()))
            .execute(conn)?;
        Ok(())
    }

    /// Starts the stream on this instance if no instance runs it and there
    /// is room; else the caller waits for the one that does.
    fn start(self: &Arc<Self>, conn: &mut DbConn, camera: &Camera) -> AppResult<()> {
        let now = crate::time::now();
        let running = running_streams(conn, now)?;
        if running.contains(&camera.id) {
            return Ok(());
        }
        if running.len() >= self.max_live {
            return Err(AppError::Unavailable(BUSY.into()));
        }
        let Some(ffmpeg) = self.ffmpeg.clone() else {
            return Err(AppError::Unavailable(
                "服务器没有安装 ffmpeg，暂时不能看直播".into(),
            ));
        };
        if !worker::claim(conn, camera.id, LIVE, &self.holder, now + LEASE, false, now)? {
            return Ok(());
        }
        let source = self.source(conn, camera.id)?;
        crate::db::write(conn, |conn| {
            diesel::delete(camera_segments::table.filter(camera_segments::camera_id.eq(camera.id)))
                .execute(conn)?;
            diesel::delete(camera_live::table.find(camera.id)).execute(conn)?;
            diesel::insert_into(camera_live::table)
                .values((
                    camera_live::camera_id.eq(camera.id),
                    camera_live::playlist.eq(""),
                    camera_live::started_at.eq(now),
                    camera_live::viewed_at.eq(now),
                ))
                .execute(conn)
                .map_err(AppError::from)
        })?;
        let dir = self.dir.join(camera.id.to_string());
        let live = Arc::clone(self);
        let camera_id = camera.id;
        let spawned = std::thread::Builder::new()
            .name(format!("camera-live-{camera_id}"))
            .spawn(move || {
                if let Err(e) = live.run(&ffmpeg, &source, camera_id, &dir) {
                    log::warn!("camera {camera_id}: live stream ended: {e}");
                }
                live.stop(camera_id, &dir);
            });
        if spawned.is_err() {
            worker::release(conn, camera.id, LIVE, &self.holder, now)?;
        }
        Ok(())
    }

    /// Runs ffmpeg and copies what it makes into the database until nobody
    /// watches, the lease is lost, or ffmpeg ends.
    fn run(&self, ffmpeg: &Ffmpeg, source: &Source, camera_id: i64, dir: &Path) -> AppResult<()> {
        let _ = std::fs::remove_dir_all(dir);
        std::fs::create_dir_all(dir).map_err(AppError::because("live dir"))?;
        let mut child = spawn_hls(ffmpeg, source, dir)?;
        log::info!("camera {camera_id}: live stream started");
        let result = self.copy_loop(&mut child, camera_id, dir, source);
        let _ = child.kill();
        let _ = child.wait();
        log::info!("camera {camera_id}: live stream stopped");
        result
    }

    fn copy_loop(
        &self,
        child: &mut Child,
        camera_id: i64,
        dir: &Path,
        source: &Source,
    ) -> AppResult<()> {
        let mut conn = self.db.get()?;
        let mut uploaded: HashSet<String> = HashSet::new();
        let mut order: Vec<String> = Vec::new();
        let mut last_playlist = String::new();
        let mut renewed = Instant::now();
        loop {
            if let Ok(Some(_)) = child.try_wait() {
                let err = std::fs::read_to_string(dir.join("ffmpeg.log")).unwrap_or_default();
                let reason = grab::classify(&scrub(&err, source)).reason();
                return Err(AppError::Unavailable(format!("ffmpeg ended: {reason}")));
            }
            let playlist = std::fs::read_to_string(dir.join("index.m3u8")).unwrap_or_default();
            if !playlist.is_empty() && playlist != last_playlist {
                for name in playlist.lines().filter(|l| is_segment_name(l)) {
                    if uploaded.contains(name) {
                        continue;
                    }
                    let Ok(data) = std::fs::read(dir.join(name)) else {
                        continue;
                    };
                    diesel::insert_into(camera_segments::table)
                        .values((
                            camera_segments::camera_id.eq(camera_id),
                            camera_segments::name.eq(name),
                            camera_segments::data.eq(&data),
                            camera_segments::created_at.eq(crate::time::now()),
                        ))
                        .execute(&mut conn)?;
                    uploaded.insert(name.to_string());
                    order.push(name.to_string());
                }
                diesel::update(camera_live::table.find(camera_id))
                    .set(camera_live::playlist.eq(&playlist))
                    .execute(&mut conn)?;
                while order.len() > KEEP_SEGMENTS {
                    let old = order.remove(0);
                    diesel::delete(camera_segments::table.find((camera_id, &old)))
                        .execute(&mut conn)?;
                }
                last_playlist = playlist;
            }
            if renewed.elapsed() >= RENEW_EVERY {
                renewed = Instant::now();
                let now = crate::time::now();
                if !worker::claim(
                    &mut conn,
                    camera_id,
                    LIVE,
                    &self.holder,
                    now + LEASE,
                    true,
                    now,
                )? {
                    return Ok(());
                }
                let viewed: Option<NaiveDateTime> = camera_live::table
                    .find(camera_id)
                    .select(camera_live::viewed_at)
                    .first(&mut conn)
                    .optional()?;
                let idle = chrono::Duration::from_std(self.idle).unwrap_or_default();
                if viewed.is_none_or(|v| now - v > idle) {
                    return Ok(());
                }
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Leaves nothing behind: rows, files, the lease.
    fn stop(&self, camera_id: i64, dir: &Path) {
        let _ = std::fs::remove_dir_all(dir);
        let Ok(mut conn) = self.db.get() else {
            return;
        };
        let now = crate::time::now();
        let _ = crate::db::write(&mut conn, |conn| {
            diesel::delete(camera_segments::table.filter(camera_segments::camera_id.eq(camera_id)))
                .execute(conn)?;
            diesel::delete(camera_live::table.find(camera_id)).execute(conn)?;
            worker::release(
                conn,
                camera_id,
                LIVE,
                &self.holder,
                now - chrono::Duration::seconds(1),
            )
        });
    }

    /// The upstream playlist, rewritten so every address in it is the portal's.
    fn proxy_playlist(
        &self,
        upstream: &str,
        camera_id: i64,
        village: &str,
        token: &str,
    ) -> AppResult<String> {
        let text = fetch(upstream, 1024 * 1024)?;
        let text = String::from_utf8(text).map_err(|_| unavailable())?;
        if !text.trim_start().starts_with("#EXTM3U") {
            return Err(unavailable());
        }
        Ok(rewrite_remote(&text, upstream, |absolute| {
            let sealed = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(self.keys.seal(absolute.as_bytes()));
            format!("/tv/v/{village}/cameras/{camera_id}/live/x/{sealed}?t={token}")
        }))
    }

    /// A file behind a proxied playlist: a variant playlist (rewritten in
    /// turn) or a segment. Returns the bytes and their content type.
    pub fn proxied(
        &self,
        camera_id: i64,
        village: &str,
        token: &str,
        sealed: &str,
    ) -> AppResult<(Vec<u8>, &'static str)> {
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(sealed)
            .map_err(|_| AppError::not_found("直播画面"))?;
        let url = self
            .keys
            .open(&raw)
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| AppError::not_found("直播画面"))?;
        let path = url
            .split(['?', '#'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        if path.ends_with(".m3u8") {
            let list = self.proxy_playlist(&url, camera_id, village, token)?;
            return Ok((list.into_bytes(), "application/vnd.apple.mpegurl"));
        }
        Ok((fetch(&url, MAX_PROXIED)?, "video/mp2t"))
    }
}

fn unavailable() -> AppError {
    AppError::Unavailable("直播画面暂时无法打开".into())
}

fn fetch(url: &str, max: u64) -> AppResult<Vec<u8>> {
    let agent = ureq::AgentBuilder::new()
        .timeout_connect(Duration::from_secs(5))
        .timeout(Duration::from_secs(15))
        .build();
    let response = agent.get(url).call().map_err(|_| unavailable())?;
    let mut out = Vec::new();
    response
        .into_reader()
        .take(max + 1)
        .read_to_end(&mut out)
        .map_err(|_| unavailable())?;
    if out.len() as u64 > max {
        return Err(unavailable());
    }
    Ok(out)
}

/// The streams running now, by unexpired `live` leases.
fn running_streams(conn: &mut DbConn, now: NaiveDateTime) -> AppResult<Vec<i64>> {
    Ok(camera_leases::table
        .filter(camera_leases::kind.eq(LIVE))
        .filter(camera_leases::expires_at.ge(now))
        .filter(camera_leases::holder.ne(""))
        .select(camera_leases::camera_id)
        .load(conn)?)
}

fn stored_playlist(conn: &mut DbConn, camera_id: i64) -> AppResult<Option<String>> {
    Ok(camera_live::table
        .find(camera_id)
        .select(camera_live::playlist)
        .first(conn)
        .optional()?)
}

/// `seg00042.ts`: the only names ffmpeg is told to write.
fn is_segment_name(name: &str) -> bool {
    name.strip_prefix("seg")
        .and_then(|r| r.strip_suffix(".ts"))
        .is_some_and(|n| !n.is_empty() && n.len() <= 9 && n.bytes().all(|b| b.is_ascii_digit()))
}

/// ffmpeg making HLS from the source: the camera's H.264 copied as it is,
/// no audio (cameras' G.711 does not fit MPEG-TS, and villagers' voices
/// have no place on a village wall).
fn spawn_hls(ffmpeg: &Ffmpeg, source: &Source, dir: &Path) -> AppResult<Child> {
    let mut cmd = ffmpeg.command();
    if let Some(url) = &source.rtsp {
        cmd.args(grab::rtsp_input(url))
            .args(["-map", "0:v:0", "-c:v", "copy"]);
    } else if source.test_picture {
        cmd.args(grab::test_input(true)).args([
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-tune",
            "zerolatency",
            "-g",
            "25",
            "-pix_fmt",
            "yuv420p",
        ]);
    } else {
        return Err(AppError::not_found("直播画面"));
    }
    let segments = dir.join("seg%05d.ts");
    cmd.args([
        "-an",
        "-f",
        "hls",
        "-hls_time",
        "1",
        "-hls_list_size",
        "6",
        "-hls_flags",
        "delete_segments+temp_file+independent_segments",
        "-hls_segment_filename",
    ])
    .arg(segments)
    .arg(dir.join("index.m3u8"))
    .stdout(Stdio::null());
    // To a file, not a pipe: nobody reads a pipe while the stream runs, and
    // a full one would stall ffmpeg.
    if let Ok(log) = std::fs::File::create(dir.join("ffmpeg.log")) {
        cmd.stderr(log);
    } else {
        cmd.stderr(Stdio::null());
    }
    cmd.spawn()
        .map_err(|_| AppError::Unavailable("服务器没有安装 ffmpeg，暂时不能看直播".into()))
}

/// Tool output with every secret of the source replaced.
pub fn scrub(text: &str, source: &Source) -> String {
    let mut out = text.to_string();
    for secret in source.secrets() {
        out = out.replace(&secret, "***");
    }
    out
}

/// ffmpeg's playlist with each segment pointing at the portal.
fn rewrite_local(list: &str, village: &str, camera_id: i64, token: &str) -> String {
    let mut out = String::with_capacity(list.len() + 512);
    for line in list.lines() {
        if is_segment_name(line) {
            out.push_str(&format!(
                "/tv/v/{village}/cameras/{camera_id}/live/{line}?t={token}"
            ));
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

/// An upstream playlist with each address (segment and variant lines,
/// `URI="..."` attributes) resolved against `base` and passed to `portal`.
fn rewrite_remote(list: &str, base: &str, portal: impl Fn(&str) -> String) -> String {
    let mut out = String::with_capacity(list.len() * 2);
    for line in list.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            out.push('\n');
            continue;
        }
        if trimmed.starts_with('#') {
            if let Some(start) = trimmed.find("URI=\"") {
                let rest = &trimmed[start + 5..];
                if let Some(end) = rest.find('"') {
                    let uri = &rest[..end];
                    out.push_str(&trimmed[..start + 5]);
                    out.push_str(&portal(&resolve(base, uri)));
                    out.push_str(&rest[end..]);
                    out.push('\n');
                    continue;
                }
            }
            out.push_str(trimmed);
        } else {
            out.push_str(&portal(&resolve(base, trimmed)));
        }
        out.push('\n');
    }
    out
}

/// `uri` relative to the playlist at `base` (absolute, host-absolute or relative).
fn resolve(base: &str, uri: &str) -> String {
    if uri.contains("://") {
        return uri.to_string();
    }
    let Some((scheme, rest)) = base.split_once("://") else {
        return uri.to_string();
    };
    let host_end = rest.find('/').unwrap_or(rest.len());
    let origin = format!("{scheme}://{}", &rest[..host_end]);
    if uri.starts_with('/') {
        return format!("{origin}{uri}");
    }
    let path = rest[host_end..].split(['?', '#']).next().unwrap_or("/");
    let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
    format!("{origin}{dir}/{uri}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> Keys {
        Keys::derive(b"a secret of at least thirty-two chars")
    }

    fn at(ts: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(ts, 0)
            .map(|d| d.naive_utc())
            .unwrap_or_default()
    }

    #[test]
    fn tokens_bind_village_camera_and_time() {
        let k = keys();
        let t = token(&k, "gengjing", 3, at(2_000));
        assert!(check_token(&k, "gengjing", 3, &t, at(1_000)).is_ok());
        assert!(
            check_token(&k, "gengjing", 3, &t, at(2_001)).is_err(),
            "expired"
        );
        assert!(
            check_token(&k, "chenzhuang", 3, &t, at(1_000)).is_err(),
            "other village"
        );
        assert!(
            check_token(&k, "gengjing", 4, &t, at(1_000)).is_err(),
            "other camera"
        );
        let forged = format!("9999999999.{}", t.split_once('.').map_or("", |(_, s)| s));
        assert!(
            check_token(&k, "gengjing", 3, &forged, at(1_000)).is_err(),
            "longer life"
        );
        assert!(check_token(&k, "gengjing", 3, "garbage", at(1_000)).is_err());
    }

    #[test]
    fn local_playlists_point_at_the_portal() {
        let list = "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1.0,\nseg00007.ts\n";
        let out = rewrite_local(list, "gengjing", 3, "T");
        assert!(out.contains("/tv/v/gengjing/cameras/3/live/seg00007.ts?t=T\n"));
        assert!(out.starts_with("#EXTM3U\n"));
        assert!(is_segment_name("seg00042.ts"));
        assert!(!is_segment_name("../etc/passwd"));
        assert!(!is_segment_name("seg.ts"));
    }

    #[test]
    fn remote_playlists_hide_the_upstream() {
        let list = "#EXTM3U\n#EXT-X-MAP:URI=\"init.mp4\"\n#EXTINF:2,\nsegment-1.ts\n#EXTINF:2,\n/abs/seg-2.ts\nhttp://other/seg-3.ts\n";
        let out = rewrite_remote(
            list,
            "http://zlm.local:8080/live/cam1/hls.m3u8?secret=s",
            |u| format!("P[{u}]"),
        );
        assert!(out.contains("URI=\"P[http://zlm.local:8080/live/cam1/init.mp4]\""));
        assert!(out.contains("P[http://zlm.local:8080/live/cam1/segment-1.ts]"));
        assert!(out.contains("P[http://zlm.local:8080/abs/seg-2.ts]"));
        assert!(out.contains("P[http://other/seg-3.ts]"));
    }

    #[test]
    fn scrubbing_removes_credentials() {
        let s = Source {
            rtsp: Some("rtsp://cam:s3cret@127.0.0.1:8554/cam".into()),
            ..Source::default()
        };
        let out = scrub("rtsp://cam:s3cret@127.0.0.1:8554/cam: 401 Unauthorized", &s);
        assert!(!out.contains("s3cret"), "{out}");
    }
}
