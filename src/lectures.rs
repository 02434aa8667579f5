//! Lectures (点播) the portal serves itself: HLS (MPEG-TS, H.264, AAC) made
//! by ffmpeg from an uploaded MP4 in the background, or, for the demo, from
//! ffmpeg's test sources with a title card. The files live in the database
//! (`video_files`) so every instance serves them.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Stdio;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::access::{Action, Actor};
use crate::audit::{self, Event};
use crate::cameras::grab::Ffmpeg;
use crate::db::schema::{article_revisions, articles, video_files, video_jobs};
use crate::db::{self, Database, DbConn};
use crate::error::{AppError, AppResult};

/// The address boxes play a stream at.
pub fn url(stream: &str) -> String {
    format!("/media/video/{stream}/index.m3u8")
}

/// The stream an address of [`url`]'s form names.
pub fn stream_of(url: &str) -> Option<&str> {
    url.strip_prefix("/media/video/")?
        .strip_suffix("/index.m3u8")
        .filter(|s| is_stream_name(s))
}

fn is_stream_name(s: &str) -> bool {
    (1..=40).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Whether a file name is one ffmpeg was told to write.
fn is_file_name(s: &str) -> bool {
    s == "index.m3u8"
        || s.strip_prefix("seg")
            .and_then(|r| r.strip_suffix(".ts"))
            .is_some_and(|n| !n.is_empty() && n.len() <= 6 && n.bytes().all(|b| b.is_ascii_digit()))
}

pub fn content_type(name: &str) -> &'static str {
    if name.ends_with(".m3u8") {
        "application/vnd.apple.mpegurl"
    } else {
        "video/mp2t"
    }
}

/// A file of a stream, or `None`.
pub fn file(conn: &mut DbConn, stream: &str, name: &str) -> AppResult<Option<Vec<u8>>> {
    if !is_stream_name(stream) || !is_file_name(name) {
        return Ok(None);
    }
    Ok(video_files::table
        .find((stream, name))
        .select(video_files::data)
        .first(conn)
        .optional()?)
}

/// Who may watch a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// A live article plays it, or the operator made it (the demo's).
    Everyone,
    /// An upload nothing live plays yet: the back office of its place.
    Place(i64),
}

/// An upload is public only while a live article plays it, as images are
/// (see `media::serve`): before review nobody outside sees it.
pub fn audience(conn: &mut DbConn, stream: &str) -> AppResult<Audience> {
    let place: Option<i64> = video_jobs::table
        .filter(video_jobs::stream.eq(stream))
        .select(video_jobs::place_id)
        .first(conn)
        .optional()?;
    let Some(place) = place else {
        return Ok(Audience::Everyone);
    };
    let live = articles::table
        .inner_join(
            article_revisions::table
                .on(articles::live_revision_id.eq(article_revisions::id.nullable())),
        )
        .filter(articles::archived.eq(false))
        .filter(article_revisions::video_url.eq(url(stream)))
        .select(articles::id)
        .first::<i64>(conn)
        .optional()?
        .is_some();
    Ok(if live {
        Audience::Everyone
    } else {
        Audience::Place(place)
    })
}

pub fn exists(conn: &mut DbConn, stream: &str) -> AppResult<bool> {
    Ok(file_count(conn, stream)? > 0)
}

fn file_count(conn: &mut DbConn, stream: &str) -> AppResult<i64> {
    Ok(video_files::table
        .filter(video_files::stream.eq(stream))
        .filter(video_files::name.eq("index.m3u8"))
        .count()
        .get_result(conn)?)
}

/// Copies what ffmpeg wrote in `dir` into the database, as one stream.
pub fn store_dir(conn: &mut DbConn, stream: &str, dir: &Path) -> AppResult<()> {
    let io = AppError::because::<std::io::Error>("reading HLS output");
    let playlist = std::fs::read_to_string(dir.join("index.m3u8")).map_err(io)?;
    let names: Vec<&str> = playlist.lines().filter(|l| is_file_name(l)).collect();
    if names.is_empty() {
        return Err(AppError::bug("ffmpeg wrote no segments"));
    }
    let mut files = vec![("index.m3u8".to_string(), playlist.clone().into_bytes())];
    for name in names {
        files.push((name.to_string(), std::fs::read(dir.join(name)).map_err(io)?));
    }
    db::write(conn, |conn| {
        diesel::delete(video_files::table.filter(video_files::stream.eq(stream))).execute(conn)?;
        for (name, data) in &files {
            diesel::insert_into(video_files::table)
                .values((
                    video_files::stream.eq(stream),
                    video_files::name.eq(name),
                    video_files::content_type.eq(content_type(name)),
                    video_files::data.eq(data),
                ))
                .execute(conn)?;
        }
        Ok::<_, AppError>(())
    })
}

/// ffmpeg's output options for VOD HLS of MPEG-TS segments (what boxes play).
fn hls_output(cmd: &mut std::process::Command, dir: &Path) {
    cmd.args([
        "-f",
        "hls",
        "-hls_time",
        "4",
        "-hls_playlist_type",
        "vod",
        "-hls_segment_filename",
    ])
    .arg(dir.join("seg%03d.ts"))
    .arg(dir.join("index.m3u8"));
}

/// Makes a demo lecture: a title card over ffmpeg's test picture with a
/// tone, `seconds` long, as HLS in `dir`.
pub fn make_demo(ffmpeg: &Ffmpeg, title: &str, seconds: u32, dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let mut video = "testsrc2=size=640x360:rate=25".to_string();
    if let Some(font) = crate::cameras::grab::font_file() {
        // The title goes through a file: no escaping of the text is needed.
        let title_file = dir.join("title.txt");
        std::fs::write(&title_file, title).map_err(|e| e.to_string())?;
        video.push_str(&format!(
            ",drawbox=x=0:y=120:w=iw:h=120:color=black@0.6:t=fill,drawtext=fontfile={}:textfile={}:x=(w-text_w)/2:y=150:fontsize=40:fontcolor=white,drawtext=fontfile={}:text='农技课堂':x=(w-text_w)/2:y=200:fontsize=24:fontcolor=white",
            font.display(),
            title_file.display(),
            font.display()
        ));
    }
    let mut cmd = ffmpeg.command();
    cmd.args([
        "-f",
        "lavfi",
        "-i",
        &video,
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:sample_rate=44100",
    ])
    .args(["-t", &seconds.to_string()])
    .args([
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-profile:v",
        "main",
        "-pix_fmt",
        "yuv420p",
        "-g",
        "50",
        "-b:v",
        "300k",
        "-c:a",
        "aac",
        "-b:a",
        "64k",
    ]);
    hls_output(&mut cmd, dir);
    let out = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "ffmpeg: {}",
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or("failed")
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------- uploads

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = video_jobs)]
pub struct Job {
    pub id: i64,
    pub place_id: i64,
    pub user_id: i64,
    pub name: String,
    pub state: String,
    pub progress: i32,
    pub error: String,
    pub stream: String,
    pub seconds: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl Job {
    pub fn state_label(&self) -> &'static str {
        match self.state.as_str() {
            "queued" => "排队中",
            "running" => "转换中",
            "done" => "已完成",
            _ => "失败",
        }
    }

    pub fn url(&self) -> String {
        url(&self.stream)
    }
}

pub fn jobs_for(conn: &mut DbConn, place_ids: &[i64]) -> AppResult<Vec<Job>> {
    Ok(video_jobs::table
        .filter(video_jobs::place_id.eq_any(place_ids))
        .order(video_jobs::id.desc())
        .limit(50)
        .select(Job::as_select())
        .load(conn)?)
}

pub fn job(conn: &mut DbConn, id: i64) -> AppResult<Job> {
    video_jobs::table
        .find(id)
        .select(Job::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("这个视频"))
}

/// Records an upload (already saved to `input`) and starts its conversion
/// on a background thread.
pub fn start_job(
    db: &Database,
    actor: &Actor,
    place_id: i64,
    name: &str,
    input: PathBuf,
    ffmpeg: Option<Ffmpeg>,
) -> AppResult<Job> {
    let mut conn = db.get()?;
    let scope = crate::places::scope_of(&mut conn, place_id)?;
    actor.require(Action::EditContent, &scope)?;
    let Some(ffmpeg) = ffmpeg else {
        let _ = std::fs::remove_file(&input);
        return Err(AppError::Unavailable(
            "服务器没有安装 ffmpeg，暂时不能转换视频".into(),
        ));
    };
    let user_id = actor.user_id.ok_or_else(AppError::forbidden)?;
    // 128 random bits: an address nobody guesses.
    let stream = format!("up-{}", crate::crypto::random_hex(16));
    let job = db::write(&mut conn, |conn| {
        let now = crate::time::now();
        diesel::insert_into(video_jobs::table)
            .values((
                video_jobs::place_id.eq(place_id),
                video_jobs::user_id.eq(user_id),
                video_jobs::name.eq(name),
                video_jobs::state.eq("queued"),
                video_jobs::progress.eq(0),
                video_jobs::error.eq(""),
                video_jobs::stream.eq(&stream),
                video_jobs::seconds.eq(0),
                video_jobs::created_at.eq(now),
                video_jobs::updated_at.eq(now),
            ))
            .execute(conn)?;
        let id = db::last_insert_id(conn)?;
        audit::record(
            conn,
            actor,
            Event {
                action: "video.upload",
                target_type: "video",
                target_id: Some(id),
                place_id: Some(place_id),
                summary: name.to_string(),
            },
        )?;
        job(conn, id)
    })?;
    let (worker_db, id) = (db.clone(), job.id);
    let spawned = std::thread::Builder::new()
        .name(format!("video-job-{id}"))
        .spawn(move || {
            let result = convert(&worker_db, &ffmpeg, id, &input);
            let _ = std::fs::remove_file(&input);
            if let Err(message) = result {
                log::warn!("video job {id} failed: {message}");
                let _ = set_job(&worker_db, id, "failed", None, Some(&message), None);
            }
        });
    if spawned.is_err() {
        set_job(db, id, "failed", None, Some("无法启动转换"), None)?;
    }
    Ok(job)
}

fn set_job(
    db: &Database,
    id: i64,
    state: &str,
    progress: Option<i32>,
    error: Option<&str>,
    seconds: Option<i32>,
) -> AppResult<()> {
    let mut conn = db.get()?;
    diesel::update(video_jobs::table.find(id))
        .set((
            video_jobs::state.eq(state),
            video_jobs::updated_at.eq(crate::time::now()),
        ))
        .execute(&mut conn)?;
    if let Some(p) = progress {
        diesel::update(video_jobs::table.find(id))
            .set(video_jobs::progress.eq(p))
            .execute(&mut conn)?;
    }
    if let Some(e) = error {
        diesel::update(video_jobs::table.find(id))
            .set(video_jobs::error.eq(e))
            .execute(&mut conn)?;
    }
    if let Some(s) = seconds {
        diesel::update(video_jobs::table.find(id))
            .set(video_jobs::seconds.eq(s))
            .execute(&mut conn)?;
    }
    Ok(())
}

/// Probes the upload, converts it (H.264 is copied, anything else is
/// encoded), reporting progress from ffmpeg's `-progress` output.
fn convert(db: &Database, ffmpeg: &Ffmpeg, id: i64, input: &Path) -> Result<(), String> {
    let seconds = probe_seconds(ffmpeg, input).ok_or("文件不是能读取的视频（请上传 MP4）")?;
    let h264 = probe_video_codec(ffmpeg, input).as_deref() == Some("h264");
    set_job(
        db,
        id,
        "running",
        Some(0),
        None,
        Some(seconds.round() as i32),
    )
    .map_err(|e| e.to_string())?;
    let dir = std::env::temp_dir().join(format!(
        "village-portal-video-{id}-{}",
        crate::crypto::random_hex(4)
    ));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let mut cmd = ffmpeg.command();
    cmd.arg("-i")
        .arg(input)
        .args(["-map", "0:v:0", "-map", "0:a:0?"]);
    if h264 {
        cmd.args(["-c:v", "copy", "-bsf:v", "h264_mp4toannexb"]);
    } else {
        cmd.args([
            "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
        ]);
    }
    cmd.args([
        "-c:a",
        "aac",
        "-b:a",
        "96k",
        "-progress",
        "pipe:1",
        "-nostats",
    ]);
    hls_output(&mut cmd, &dir);
    cmd.stdout(Stdio::piped()).stderr(Stdio::null());
    let mut child = cmd.spawn().map_err(|e| e.to_string())?;
    if let Some(out) = child.stdout.take() {
        let mut last = -1;
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            // `out_time_us=12345678`: how far the output has got.
            if let Some(us) = line
                .strip_prefix("out_time_us=")
                .and_then(|v| v.trim().parse::<f64>().ok())
            {
                let pct = ((us / 1e6) / seconds.max(0.1) * 100.0).clamp(0.0, 99.0) as i32;
                if pct != last {
                    last = pct;
                    let _ = set_job(db, id, "running", Some(pct), None, None);
                }
            }
        }
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    if !status.success() {
        let _ = std::fs::remove_dir_all(&dir);
        return Err("视频转换失败，请确认文件是完整的 MP4".into());
    }
    let mut conn = db.get().map_err(|e| e.to_string())?;
    let stream = job(&mut conn, id).map_err(|e| e.to_string())?.stream;
    let stored = store_dir(&mut conn, &stream, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    stored.map_err(|e| e.to_string())?;
    set_job(db, id, "done", Some(100), None, None).map_err(|e| e.to_string())
}

fn probe(ffmpeg: &Ffmpeg, input: &Path, entries: &str, stream: Option<&str>) -> Option<String> {
    let probe = ffmpeg.path.with_file_name("ffprobe");
    let program = if probe.is_absolute() {
        probe
    } else {
        PathBuf::from("ffprobe")
    };
    let mut cmd = std::process::Command::new(program);
    cmd.args(["-v", "error"]);
    if let Some(s) = stream {
        cmd.args(["-select_streams", s]);
    }
    let out = cmd
        .args([
            "-show_entries",
            entries,
            "-of",
            "default=noprint_wrappers=1:nokey=1",
        ])
        .arg(input)
        .stdin(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| {
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .next()
                .unwrap_or("")
                .trim()
                .to_string()
        })
        .filter(|s| !s.is_empty())
}

fn probe_seconds(ffmpeg: &Ffmpeg, input: &Path) -> Option<f64> {
    probe(ffmpeg, input, "format=duration", None)?
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s > 0.0)
}

fn probe_video_codec(ffmpeg: &Ffmpeg, input: &Path) -> Option<String> {
    probe(ffmpeg, input, "stream=codec_name", Some("v:0"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_addresses() {
        assert_eq!(stream_of(&url("demo-1")), Some("demo-1"));
        assert_eq!(stream_of("/media/video/../x/index.m3u8"), None);
        assert_eq!(stream_of("https://example/x.m3u8"), None);
        assert!(is_file_name("seg007.ts"));
        assert!(is_file_name("index.m3u8"));
        assert!(!is_file_name("title.txt"));
        assert!(!is_file_name("seg.ts"));
    }
}
