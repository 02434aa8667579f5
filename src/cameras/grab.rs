//! Getting one picture from a camera: its JPEG address over HTTP (basic or
//! digest credentials), or one frame of its RTSP or HLS stream through
//! ffmpeg (Debian's). Every step has a time limit and a size limit, and a
//! failure comes back as a reason a clerk understands, never as tool output
//! (which would carry the address and its password).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use wait_timeout::ChildExt;

use super::source::Source;

/// The most bytes a snapshot may have (a 4K JPEG is ~2 MB).
pub const MAX_BYTES: usize = 8 * 1024 * 1024;
/// Connecting, and each read after it.
const IO_TIMEOUT: Duration = Duration::from_secs(5);
/// The whole grab, whatever the camera does (a stream that sends no
/// keyframe, a server that trickles bytes).
pub const GRAB_TIMEOUT: Duration = Duration::from_secs(15);

/// Why no picture came.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    Timeout,
    AuthFailed,
    Refused,
    NotFound,
    UnknownHost,
    Unreachable,
    NotAPicture,
    TooLarge,
    NoPicture,
    NoSource,
    NoFfmpeg,
    /// Reported by the camera system over the API.
    Reported(String),
}

impl Failure {
    /// In plain Chinese, for the status line and the history.
    pub fn reason(&self) -> String {
        match self {
            Failure::Timeout => "连接超时".into(),
            Failure::AuthFailed => "认证失败（用户名或密码不对）".into(),
            Failure::Refused => "连接被拒绝".into(),
            Failure::NotFound => "找不到视频流或图片地址".into(),
            Failure::UnknownHost => "地址无法解析".into(),
            Failure::Unreachable => "网络不通".into(),
            Failure::NotAPicture => "收到的不是图片".into(),
            Failure::TooLarge => "图片太大".into(),
            Failure::NoPicture => "没有画面".into(),
            Failure::NoSource => "没有设置画面来源".into(),
            Failure::NoFfmpeg => "服务器没有安装 ffmpeg，无法读取视频流".into(),
            Failure::Reported(r) => r.clone(),
        }
    }
}

/// Where ffmpeg is, once known to run.
#[derive(Debug, Clone)]
pub struct Ffmpeg {
    pub path: PathBuf,
    /// `TZ` for ffmpeg, so the demo's clock shows the deployment's time.
    pub tz: Option<String>,
}

impl Ffmpeg {
    /// `Some` when `program` (a name on PATH or a path) runs `-version`.
    pub fn find(program: &str, offset: chrono::FixedOffset) -> Option<Ffmpeg> {
        let ok = Command::new(program)
            .arg("-version")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        // POSIX TZ counts west of Greenwich: +08:00 is "UTC-08:00".
        let east = offset.local_minus_utc();
        let sign = if east >= 0 { '-' } else { '+' };
        let tz = format!(
            "UTC{sign}{:02}:{:02}",
            east.abs() / 3600,
            east.abs() % 3600 / 60
        );
        ok.then(|| Ffmpeg {
            path: PathBuf::from(program),
            tz: Some(tz),
        })
    }

    pub fn command(&self) -> Command {
        let mut c = Command::new(&self.path);
        c.args(["-nostdin", "-hide_banner", "-loglevel", "error"])
            .stdin(Stdio::null());
        if let Some(tz) = &self.tz {
            c.env("TZ", tz);
        }
        c
    }
}

/// One picture from the camera: the JPEG address first (cheapest for the
/// camera), else a frame of the RTSP stream, else of the HLS stream.
pub fn grab(source: &Source, ffmpeg: Option<&Ffmpeg>) -> Result<Vec<u8>, Failure> {
    if let Some(url) = &source.snapshot {
        return http_jpeg(
            url,
            source.snapshot_user.as_deref(),
            source.snapshot_password.as_deref(),
        );
    }
    let ffmpeg = ffmpeg.ok_or(Failure::NoFfmpeg);
    if let Some(url) = &source.rtsp {
        return frame(ffmpeg?, &rtsp_input(url), source);
    }
    if let Some(url) = &source.hls {
        return frame(ffmpeg?, &http_input(url), source);
    }
    if source.test_picture {
        return frame(ffmpeg?, &test_input(false), source);
    }
    Err(Failure::NoSource)
}

/// ffmpeg's input options for an RTSP address: TCP (cameras behind NAT and
/// firewalls lose UDP), a socket timeout in microseconds, and probing that
/// stops after the first packets: the SDP carries the stream's parameters,
/// else the decoder finds them in the stream. A full probe waits for a
/// keyframe: a live view started a second later, and a batch of eight
/// pictures opened its cameras one after the other for ~10 s instead of ~2 s.
pub fn rtsp_input(url: &str) -> Vec<String> {
    let timeout = IO_TIMEOUT.as_micros().to_string();
    [
        "-rtsp_transport",
        "tcp",
        "-timeout",
        &timeout,
        "-probesize",
        "2048",
        "-analyzeduration",
        "0",
        "-i",
        url,
    ]
    .map(String::from)
    .to_vec()
}

/// Decoder options for one picture: keyframes only (the first arrives
/// within a GOP), on one thread (a keyframe every half minute needs no
/// thread pool per camera: a third less CPU).
const ONE_PICTURE: [&str; 4] = ["-skip_frame", "nokey", "-threads", "1"];

/// Cameras one ffmpeg takes a frame of at once. Starting Debian's ffmpeg
/// (200+ shared libraries) costs ~0.08 s of CPU, most of a grab's; one
/// start for eight cameras cuts the worker's CPU to about a third.
pub const BATCH: usize = 8;

/// One frame (JPEG) of each RTSP address from a single ffmpeg. `None` for
/// an address that gave none; if one address cannot be opened ffmpeg gives
/// up on all, so the caller asks those alone, which also names the reason.
pub fn rtsp_frames(ffmpeg: &Ffmpeg, urls: &[&str]) -> Vec<Option<Vec<u8>>> {
    let none = || urls.iter().map(|_| None).collect();
    let Ok(dir) = tempfile::tempdir() else {
        return none();
    };
    let mut cmd = ffmpeg.command();
    for url in urls {
        cmd.args(ONE_PICTURE).args(rtsp_input(url));
    }
    for k in 0..urls.len() {
        cmd.args(["-map", &format!("{k}:v:0")])
            .args(["-frames:v", "1", "-an", "-c:v", "mjpeg", "-q:v", "3"])
            .args(["-f", "image2", "-update", "1"])
            .arg(dir.path().join(format!("{k}.jpg")));
    }
    cmd.stdout(Stdio::null()).stderr(Stdio::piped());
    let Ok(child) = cmd.spawn() else {
        return none();
    };
    // ffmpeg opens its inputs one after the other.
    let deadline = GRAB_TIMEOUT + IO_TIMEOUT * urls.len() as u32;
    if !matches!(run_bounded(child, deadline, 0), Ok((true, _, _))) {
        return none();
    }
    (0..urls.len())
        .map(|k| {
            let path = dir.path().join(format!("{k}.jpg"));
            let len = std::fs::metadata(&path).map_or(0, |m| m.len() as usize);
            (1..=MAX_BYTES)
                .contains(&len)
                .then(|| std::fs::read(&path).ok())
                .flatten()
        })
        .collect()
}

pub fn http_input(url: &str) -> Vec<String> {
    let timeout = IO_TIMEOUT.as_micros().to_string();
    ["-rw_timeout", &timeout, "-i", url]
        .map(String::from)
        .to_vec()
}

/// ffmpeg's own moving test picture with the time on it (the demo's
/// cameras). `live`: at its real rate, as a stream is watched.
pub fn test_input(live: bool) -> Vec<String> {
    let mut input = String::from("testsrc2=size=640x360:rate=25");
    if let Some(font) = font_file() {
        input.push_str(&format!(
            ",drawtext=fontfile={}:text='%{{localtime\\:%Y-%m-%d %X}}':x=20:y=h-48:fontsize=28:fontcolor=white:box=1:boxcolor=black@0.5",
            font.display()
        ));
    }
    let mut args = Vec::new();
    if live {
        args.push("-re".to_string());
    }
    args.extend(["-f", "lavfi", "-i"].map(String::from));
    args.push(input);
    args
}

/// A font for the demo's clock and the wall's names (Debian's
/// fonts-wqy-microhei, else DejaVu), if installed.
pub fn font_file() -> Option<&'static Path> {
    [
        "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
        "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    ]
    .into_iter()
    .map(Path::new)
    .find(|p| p.exists())
}

/// One frame as JPEG from ffmpeg, killed when the whole grab runs over.
fn frame(ffmpeg: &Ffmpeg, input: &[String], source: &Source) -> Result<Vec<u8>, Failure> {
    let mut cmd = ffmpeg.command();
    cmd.args(ONE_PICTURE)
        .args(input)
        .args([
            "-frames:v",
            "1",
            "-an",
            "-f",
            "image2pipe",
            "-c:v",
            "mjpeg",
            "-q:v",
            "3",
            "pipe:1",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = cmd.spawn().map_err(|_| Failure::NoFfmpeg)?;
    let (status, stdout, stderr) = run_bounded(child, GRAB_TIMEOUT, MAX_BYTES)?;
    if stdout.len() > MAX_BYTES {
        return Err(Failure::TooLarge);
    }
    if status && !stdout.is_empty() {
        return Ok(stdout);
    }
    let _ = source;
    Err(classify(&stderr))
}

/// Runs a child to its end or the deadline (then kills it: no process is
/// left behind), reading at most `max` bytes of its output. Returns whether
/// it succeeded, its output and its error output.
pub fn run_bounded(
    mut child: Child,
    deadline: Duration,
    max: usize,
) -> Result<(bool, Vec<u8>, String), Failure> {
    let out = child.stdout.take().map(|s| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = s.take(max as u64 + 1).read_to_end(&mut buf);
            buf
        })
    });
    let err = child.stderr.take().map(|s| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = s.take(64 * 1024).read_to_end(&mut buf);
            String::from_utf8_lossy(&buf).into_owned()
        })
    });
    let status = match child.wait_timeout(deadline) {
        Ok(Some(status)) => status.success(),
        _ => {
            let _ = child.kill();
            let _ = child.wait();
            // The readers end with the pipes.
            if let Some(t) = out {
                let _ = t.join();
            }
            if let Some(t) = err {
                let _ = t.join();
            }
            return Err(Failure::Timeout);
        }
    };
    let stdout = out.and_then(|t| t.join().ok()).unwrap_or_default();
    let stderr = err.and_then(|t| t.join().ok()).unwrap_or_default();
    Ok((status, stdout, stderr))
}

/// What ffmpeg's error output means, in the reasons above.
pub fn classify(stderr: &str) -> Failure {
    let s = stderr.to_ascii_lowercase();
    if s.contains("401") || s.contains("unauthorized") || s.contains("authorization failed") {
        Failure::AuthFailed
    } else if s.contains("connection refused") {
        Failure::Refused
    } else if s.contains("timed out") || s.contains("timeout") {
        Failure::Timeout
    } else if s.contains("404") || s.contains("not found") {
        Failure::NotFound
    } else if s.contains("name or service not known")
        || s.contains("failed to resolve")
        || s.contains("temporary failure in name resolution")
    {
        Failure::UnknownHost
    } else if s.contains("no route to host") || s.contains("network is unreachable") {
        Failure::Unreachable
    } else {
        Failure::NoPicture
    }
}

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout_connect(IO_TIMEOUT)
        .timeout_read(IO_TIMEOUT)
        .timeout(GRAB_TIMEOUT)
        .redirects(2)
        .build()
}

/// A JPEG from the camera's snapshot address. Credentials go the way the
/// camera asks for them (`WWW-Authenticate`: Digest or Basic).
fn http_jpeg(url: &str, user: Option<&str>, password: Option<&str>) -> Result<Vec<u8>, Failure> {
    let agent = agent();
    let first = agent.get(url).call();
    let response = match first {
        Ok(r) => r,
        Err(ureq::Error::Status(401, r)) => {
            let (Some(user), Some(password)) = (user, password) else {
                return Err(Failure::AuthFailed);
            };
            let challenge = r.header("www-authenticate").unwrap_or("").to_string();
            let header = authorization(url, &challenge, user, password)?;
            match agent.get(url).set("Authorization", &header).call() {
                Ok(r) => r,
                Err(e) => return Err(http_failure(e)),
            }
        }
        Err(e) => return Err(http_failure(e)),
    };
    let declared = response
        .header("content-length")
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BYTES) {
        return Err(Failure::TooLarge);
    }
    let mut bytes = Vec::new();
    response
        .into_reader()
        .take(MAX_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::TimedOut
                || e.kind() == std::io::ErrorKind::WouldBlock
            {
                Failure::Timeout
            } else {
                Failure::NoPicture
            }
        })?;
    if bytes.len() > MAX_BYTES {
        return Err(Failure::TooLarge);
    }
    Ok(bytes)
}

/// The `Authorization` header answering the camera's challenge.
fn authorization(
    url: &str,
    challenge: &str,
    user: &str,
    password: &str,
) -> Result<String, Failure> {
    if challenge
        .trim_start()
        .to_ascii_lowercase()
        .starts_with("digest")
    {
        let path = url
            .split_once("://")
            .and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..]))
            .unwrap_or("/");
        let mut prompt = digest_auth::parse(challenge).map_err(|_| Failure::AuthFailed)?;
        let context = digest_auth::AuthContext::new(user, password, path);
        let answer = prompt.respond(&context).map_err(|_| Failure::AuthFailed)?;
        Ok(answer.to_header_string())
    } else {
        use base64::Engine;
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        Ok(format!("Basic {token}"))
    }
}

fn http_failure(e: ureq::Error) -> Failure {
    match e {
        ureq::Error::Status(401 | 403, _) => Failure::AuthFailed,
        ureq::Error::Status(404, _) => Failure::NotFound,
        ureq::Error::Status(_, _) => Failure::NoPicture,
        ureq::Error::Transport(t) => {
            let text = t.to_string().to_ascii_lowercase();
            match t.kind() {
                ureq::ErrorKind::Dns => Failure::UnknownHost,
                ureq::ErrorKind::ConnectionFailed if text.contains("refused") => Failure::Refused,
                ureq::ErrorKind::ConnectionFailed if text.contains("timed out") => Failure::Timeout,
                ureq::ErrorKind::ConnectionFailed => Failure::Unreachable,
                ureq::ErrorKind::Io
                    if text.contains("timed out") || text.contains("would block") =>
                {
                    Failure::Timeout
                }
                ureq::ErrorKind::InvalidUrl | ureq::ErrorKind::UnknownScheme => Failure::NotFound,
                _ => Failure::NoPicture,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ffmpeg_errors_read_as_reasons() {
        let c = classify;
        assert_eq!(
            c("rtsp://u:p@h/cam: Server returned 401 Unauthorized (authorization failed)"),
            Failure::AuthFailed
        );
        assert_eq!(
            c("Connection to tcp://127.0.0.1:1 failed: Connection refused"),
            Failure::Refused
        );
        assert_eq!(c("Connection timed out"), Failure::Timeout);
        assert_eq!(
            c("method DESCRIBE failed: 404 Not Found"),
            Failure::NotFound
        );
        assert_eq!(
            c("Failed to resolve hostname x: Name or service not known"),
            Failure::UnknownHost
        );
        assert_eq!(
            c("Invalid data found when processing input"),
            Failure::NoPicture
        );
        assert!(!Failure::AuthFailed.reason().is_empty());
    }

    #[test]
    fn basic_credentials_when_asked_for_basic() {
        let h = authorization("http://cam/snap.jpg", "Basic realm=\"cam\"", "admin", "pw").unwrap();
        assert_eq!(h, "Basic YWRtaW46cHc=");
        let d = authorization(
            "http://cam/ISAPI/Streaming/channels/101/picture",
            "Digest realm=\"IP Camera\", nonce=\"abc\", qop=\"auth\"",
            "admin",
            "pw",
        )
        .unwrap();
        assert!(
            d.starts_with("Digest ") && d.contains("uri=\"/ISAPI/Streaming/channels/101/picture\"")
        );
    }
}
