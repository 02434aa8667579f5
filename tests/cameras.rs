//! Village cameras against real media parts: a real RTSP server
//! (gst-rtsp-server through python3-gi, with a moving test picture behind a
//! user and password) and Debian's ffmpeg. Snapshots, debounced status,
//! live HLS (one ffmpeg for many boxes, stopped when idle), signed live
//! addresses, credentials that never leak, bad sources, the status API, the
//! back office and permissions.
//!
//! Without ffmpeg or the RTSP server the media tests print "skipped: ..."
//! (straight to the terminal, so plain `cargo test` shows it) and pass,
//! except under `CI=true`, where they fail.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use village_portal::cameras::registry::{self, CameraForm};
use village_portal::cameras::{self, grab::Failure, live, worker, Source, Status};

use crate::util::TestApp;

const USER: &str = "camuser";
const PASSWORD: &str = "Cam-Secret-7731";

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Says a test is skipped where plain `cargo test` shows it (the harness
/// captures `eprintln!`, not writes to the stream itself), or fails in CI.
fn skip(what: &str) {
    let message = format!(
        "skipped: {what} not installed (Debian: apt-get install ffmpeg python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly gstreamer1.0-x)"
    );
    if in_ci() {
        panic!("{message}");
    }
    let _ = writeln!(std::io::stderr(), "{message}");
}

fn have_ffmpeg() -> bool {
    let ok = Command::new("ffmpeg")
        .arg("-version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        skip("ffmpeg");
    }
    ok
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A real RTSP camera on a loopback port; stopped when dropped.
struct RtspCamera {
    port: u16,
    child: Option<Child>,
}

impl RtspCamera {
    /// `None` (after saying why) when gst-rtsp-server cannot run here.
    fn start() -> Option<RtspCamera> {
        if !have_ffmpeg() {
            return None;
        }
        let mut cam = RtspCamera {
            port: free_port(),
            child: None,
        };
        if !cam.resume() {
            skip("the test RTSP server (gst-rtsp-server through python3-gi)");
            return None;
        }
        Some(cam)
    }

    /// Starts the server (again) on the same port; true once it listens.
    fn resume(&mut self) -> bool {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/rtsp_camera.py");
        let Ok(mut child) = Command::new("/usr/bin/python3")
            .args([script, &self.port.to_string(), USER, PASSWORD])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
        else {
            return false;
        };
        let ready = child.stdout.take().is_some_and(|out| {
            BufReader::new(out)
                .lines()
                .map_while(Result::ok)
                .any(|l| l.trim() == "ready")
        });
        self.child = Some(child);
        ready
    }

    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    fn url(&self, user: &str, password: &str) -> String {
        format!("rtsp://{user}:{password}@127.0.0.1:{}/cam", self.port)
    }
}

impl Drop for RtspCamera {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Adds a public camera of gengjing with the given source.
fn add_camera(app: &TestApp, name: &str, source: Source, privacy: &str) -> i64 {
    add_camera_in(app, "gengjing", name, "public", source, privacy)
}

/// Adds a camera of `village` seen by `visibility` ("public" or "officials").
fn add_camera_in(
    app: &TestApp,
    village: &str,
    name: &str,
    visibility: &str,
    source: Source,
    privacy: &str,
) -> i64 {
    let mut conn = app.conn();
    let form = CameraForm {
        village_id: Some(app.place_id(village)),
        name: name.into(),
        spot: "村东口".into(),
        position: "0".into(),
        visibility: visibility.into(),
        privacy: privacy.into(),
        ..CameraForm::default()
    };
    registry::create_from(
        &mut conn,
        &app.system_actor(),
        &app.state.keys,
        &form,
        Some(source),
    )
    .expect("camera added")
    .id
}

/// ffmpeg's own test picture (no camera needed).
fn test_source() -> Source {
    Source {
        test_picture: true,
        ..Source::default()
    }
}

fn rtsp(url: String) -> Source {
    Source {
        rtsp: Some(url),
        ..Source::default()
    }
}

fn grab(app: &TestApp, id: i64) -> Result<(), Failure> {
    let mut conn = app.conn();
    app.state
        .cameras
        .grabber
        .grab_and_record(&mut conn, id)
        .expect("grab recorded")
}

fn camera(app: &TestApp, id: i64) -> cameras::Camera {
    cameras::get(&mut app.conn(), id).expect("camera")
}

/// The ffmpeg processes this test process started that are still there
/// (zombies included), for the given output directory.
fn ffmpeg_processes(needle: &str) -> Vec<String> {
    let me = std::process::id().to_string();
    let out = Command::new("ps")
        .args(["-e", "-o", "ppid=,stat=,args="])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    out.lines()
        .filter(|l| {
            let mut parts = l.split_whitespace();
            parts.next() == Some(&me) && l.contains("ffmpeg") && l.contains(needle)
        })
        .map(str::to_string)
        .collect()
}

fn no_zombie_ffmpeg() {
    let zombies: Vec<String> = ffmpeg_processes("")
        .into_iter()
        .filter(|l| {
            l.split_whitespace()
                .nth(1)
                .is_some_and(|s| s.starts_with('Z'))
        })
        .collect();
    assert!(zombies.is_empty(), "zombie ffmpeg processes: {zombies:?}");
}

#[actix_web::test]
async fn rtsp_snapshot_goes_online_and_reaches_the_tv() {
    let Some(server) = RtspCamera::start() else {
        return;
    };
    let app = TestApp::demo();
    let id = add_camera(&app, "村口", rtsp(server.url(USER, PASSWORD)), "");
    assert_eq!(camera(&app, id).status(), Status::Unknown);
    grab(&app, id).expect("a picture with the right credentials");
    let c = camera(&app, id);
    assert_eq!(c.status(), Status::Online);
    assert!(c.snapshot_at.is_some());

    let mut tv = app.client().await;
    tv.set_cookie("vp_alert_seen", "0");
    let home = tv.get("/tv/v/gengjing").await;
    home.assert_status(200).assert_contains("雪亮监控");
    let list = tv.get("/tv/v/gengjing/cameras").await;
    list.assert_status(200)
        .assert_contains("村口")
        .assert_contains("在线");
    let page = tv.get(&format!("/tv/v/gengjing/cameras/{id}")).await;
    page.assert_status(200)
        .assert_contains("http-equiv=\"refresh\"")
        .assert_contains("看直播");
    let src = page
        .body
        .split("id=\"picture\" src=\"")
        .nth(1)
        .or_else(|| page.body.split("poster=\"").nth(1))
        .and_then(|r| r.split('"').next())
        .expect("a picture on the camera page")
        .replace("&amp;", "&");
    let pic = tv.get(&src).await;
    pic.assert_status(200);
    assert_eq!(pic.header("content-type"), Some("image/jpeg"));
    let img = image::load_from_memory(&pic.bytes).expect("a JPEG");
    assert_eq!((img.width(), img.height()), cameras::picture::LARGE);
    assert!(
        pic.bytes.windows(2).any(|w| w == [0xFF, 0xC0]),
        "baseline JPEG"
    );
    // The wall: one image for the village.
    let wall = tv.get("/tv/v/gengjing/cameras/wall.jpg?s=page").await;
    wall.assert_status(200);
    assert!(image::load_from_memory(&wall.bytes).is_ok());
}

#[actix_web::test]
async fn wrong_password_is_offline_after_three_failures_with_the_reason() {
    let Some(server) = RtspCamera::start() else {
        return;
    };
    let app = TestApp::demo();
    let id = add_camera(&app, "村口", rtsp(server.url(USER, "wrong-password")), "");
    for n in 1..=2 {
        assert_eq!(grab(&app, id), Err(Failure::AuthFailed), "grab {n}");
        assert_ne!(
            camera(&app, id).status(),
            Status::Offline,
            "debounced after {n}"
        );
    }
    assert_eq!(grab(&app, id), Err(Failure::AuthFailed));
    let c = camera(&app, id);
    assert_eq!(c.status(), Status::Offline);
    assert!(c.status_reason.contains("认证失败"), "{}", c.status_reason);
    let events = cameras::events(&mut app.conn(), id, 10).expect("history");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].status, "offline");
    let mut tv = app.client().await;
    tv.set_cookie("vp_alert_seen", "0");
    tv.get("/tv/v/gengjing/cameras")
        .await
        .assert_status(200)
        .assert_contains("离线：认证失败");
}

#[actix_web::test]
async fn a_stopped_server_goes_offline_after_the_debounce_and_back_online() {
    let Some(mut server) = RtspCamera::start() else {
        return;
    };
    let app = TestApp::demo();
    let id = add_camera(&app, "河道", rtsp(server.url(USER, PASSWORD)), "");
    grab(&app, id).expect("online first");
    server.stop();
    assert!(grab(&app, id).is_err());
    assert!(grab(&app, id).is_err());
    assert_eq!(
        camera(&app, id).status(),
        Status::Online,
        "two failures are flapping"
    );
    let third = grab(&app, id).expect_err("still stopped");
    let c = camera(&app, id);
    assert_eq!(c.status(), Status::Offline);
    assert_eq!(c.status_reason, third.reason());
    assert!(server.resume(), "the camera comes back");
    grab(&app, id).expect("a picture again");
    assert_eq!(camera(&app, id).status(), Status::Online);
    let events = cameras::events(&mut app.conn(), id, 10).expect("history");
    let states: Vec<&str> = events.iter().rev().map(|e| e.status.as_str()).collect();
    assert_eq!(states, ["online", "offline", "online"]);
}

#[actix_web::test]
async fn live_view_one_ffmpeg_for_ten_boxes_stopped_when_idle() {
    let Some(server) = RtspCamera::start() else {
        return;
    };
    let app = TestApp::builder()
        .demo()
        .config(|c| c.camera_live_idle_seconds = 5)
        .build();
    let id = add_camera(&app, "文化广场", rtsp(server.url(USER, PASSWORD)), "");
    grab(&app, id).expect("online");
    let state = app.state.clone();
    let village = app.place_id("gengjing");
    let cam = cameras::public_of_village(&mut app.conn(), village, id).expect("public");
    let token = live::token(
        &state.keys,
        "gengjing",
        id,
        village_portal::time::now() + chrono::Duration::minutes(5),
    );

    let started = Instant::now();
    let viewers: Vec<_> = (0..10)
        .map(|_| {
            let (live, cam, token) = (state.cameras.live.clone(), cam.clone(), token.clone());
            std::thread::spawn(move || live.playlist(&cam, "gengjing", &token))
        })
        .collect();
    let lists: Vec<String> = viewers
        .into_iter()
        .map(|v| v.join().expect("viewer").expect("a playlist"))
        .collect();
    let first_playable = started.elapsed();
    assert!(
        first_playable < Duration::from_secs(10),
        "{first_playable:?}"
    );
    let dir = state.cameras.live.dir.join(id.to_string());
    let running = ffmpeg_processes(&dir.display().to_string());
    assert_eq!(running.len(), 1, "one ffmpeg for ten viewers: {running:?}");

    // Through the TV routes: the playlist points at the portal, the
    // segments are MPEG-TS holding H.264.
    let mut tv = app.client().await;
    tv.set_cookie("vp_alert_seen", "0");
    let list = tv
        .get(&format!("/tv/v/gengjing/cameras/{id}/live.m3u8?t={token}"))
        .await;
    list.assert_status(200).assert_contains("#EXTM3U");
    assert!(lists.iter().all(|l| l.contains("#EXTINF")));
    let segment = list
        .body
        .lines()
        .find(|l| l.starts_with("/tv/v/gengjing/cameras/"))
        .expect("a segment line")
        .to_string();
    assert!(!list.body.contains("127.0.0.1") && !list.body.contains(PASSWORD));
    let ts = tv.get(&segment).await;
    ts.assert_status(200);
    assert_eq!(ts.bytes.first(), Some(&0x47), "MPEG-TS sync byte");
    let file = std::env::temp_dir().join(format!("vp-test-seg-{}-{id}.ts", std::process::id()));
    std::fs::write(&file, &ts.bytes).expect("segment file");
    let probe = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=codec_name",
            "-of",
            "csv=p=0",
        ])
        .arg(&file)
        .output()
        .expect("ffprobe");
    let _ = std::fs::remove_file(&file);
    let codecs = String::from_utf8_lossy(&probe.stdout).into_owned();
    let codecs: Vec<&str> = codecs
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    assert!(
        !codecs.is_empty() && codecs.iter().all(|c| *c == "h264"),
        "{codecs:?}"
    );

    // Nobody watches: it stops by itself, leaving no process behind.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !ffmpeg_processes(&dir.display().to_string()).is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(500));
    }
    assert!(
        ffmpeg_processes(&dir.display().to_string()).is_empty(),
        "ffmpeg stopped when idle"
    );
    std::thread::sleep(Duration::from_millis(500));
    assert!(!dir.exists(), "its files are gone");
    no_zombie_ffmpeg();
}

#[actix_web::test]
async fn live_addresses_are_signed_for_the_village_and_expire() {
    let app = TestApp::demo();
    let id = add_camera(&app, "村口", test_source(), "");
    let keys = app.state.keys.clone();
    let now = village_portal::time::now();
    let mut tv = app.client().await;
    tv.set_cookie("vp_alert_seen", "0");
    let expired = live::token(&keys, "gengjing", id, now - chrono::Duration::seconds(1));
    tv.get(&format!(
        "/tv/v/gengjing/cameras/{id}/live.m3u8?t={expired}"
    ))
    .await
    .assert_status(403)
    .assert_contains("已失效");
    let foreign = live::token(&keys, "chenzhuang", id, now + chrono::Duration::minutes(5));
    tv.get(&format!(
        "/tv/v/gengjing/cameras/{id}/live.m3u8?t={foreign}"
    ))
    .await
    .assert_status(403);
    tv.get(&format!(
        "/tv/v/gengjing/cameras/{id}/live/seg00001.ts?t=garbage"
    ))
    .await
    .assert_status(403);
    tv.get(&format!("/tv/v/gengjing/cameras/{id}/live.m3u8"))
        .await
        .assert_status(403);
}

/// Log lines of this process, for checking that none carries a secret.
struct Recorder(Mutex<Vec<String>>);

impl log::Log for Recorder {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        if let Ok(mut lines) = self.0.lock() {
            lines.push(format!("{} {}", record.target(), record.args()));
        }
    }
    fn flush(&self) {}
}

fn recorder() -> &'static Recorder {
    static REC: OnceLock<&'static Recorder> = OnceLock::new();
    REC.get_or_init(|| {
        let rec: &'static Recorder = Box::leak(Box::new(Recorder(Mutex::new(Vec::new()))));
        if log::set_logger(rec).is_ok() {
            log::set_max_level(log::LevelFilter::Info);
        }
        rec
    })
}

#[actix_web::test]
async fn credentials_never_reach_a_page_a_log_line_the_audit_log_or_the_api() {
    let Some(mut server) = RtspCamera::start() else {
        return;
    };
    let rec = recorder();
    let app = TestApp::demo();
    let mut office = app.client().await;
    office.login_as("official").await;
    let gengjing = app.place_id("gengjing").to_string();
    let url = server.url(USER, PASSWORD);
    let created = office
        .submit(
            "/admin/cameras/new",
            "/admin/cameras",
            &[
                ("village_id", &gengjing),
                ("name", "村口"),
                ("spot", "东口"),
                ("position", "1"),
                ("visibility", "public"),
                ("rtsp_url", &url),
                ("snapshot_url", "http://127.0.0.1:9/snap.jpg"),
                ("snapshot_user", "admin"),
                ("snapshot_password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(created.status, 303, "{}", created.body);
    let id = cameras::of_village(&mut app.conn(), app.place_id("gengjing"), false)
        .expect("cameras")
        .into_iter()
        .find(|c| c.name == "村口")
        .expect("created")
        .id;
    // The snapshot address fails (nothing on port 9): the reason, not the address.
    let _ = grab(&app, id);
    server.stop();
    let _ = grab(&app, id);

    let mut seen = Vec::new();
    for path in [
        "/admin/cameras".to_string(),
        format!("/admin/cameras/{id}"),
        "/admin/cameras/wall".into(),
    ] {
        let r = office.get(&path).await;
        r.assert_status(200);
        seen.push((path, r.body));
    }
    let test = office
        .post_signed(&format!("/admin/cameras/{id}/test"), &[])
        .await;
    test.assert_status(200).assert_contains("抓图失败");
    seen.push(("test".into(), test.body));
    // The form shown again after an error does not echo what was typed.
    let bad = office
        .submit(
            &format!("/admin/cameras/{id}"),
            &format!("/admin/cameras/{id}"),
            &[
                ("village_id", &gengjing),
                ("name", ""),
                ("spot", "东口"),
                ("visibility", "public"),
                ("rtsp_url", &url),
            ],
        )
        .await;
    bad.assert_field_error("名称");
    seen.push(("invalid form".into(), bad.body));

    let mut admin = app.client().await;
    admin.login_as("admin").await;
    let audit = admin.get("/admin/audit").await;
    audit.assert_status(200);
    seen.push(("/admin/audit".into(), audit.body));
    let mut tv = app.client().await;
    tv.set_cookie("vp_alert_seen", "0");
    for path in [
        "/tv/v/gengjing".to_string(),
        "/tv/v/gengjing/cameras".into(),
        format!("/tv/v/gengjing/cameras/{id}"),
    ] {
        let r = tv.get(&path).await;
        r.assert_status(200);
        seen.push((path, r.body));
    }
    let system = village_portal::cameras::systems::create(
        &mut app.conn(),
        &app.system_actor(),
        Some(app.place_id("dongying")),
        "平台",
        Some("leak-test-token-0123456789"),
    );
    assert!(system.is_ok());
    let api = tv
        .send(
            actix_web::test::TestRequest::post()
                .uri(&format!("/api/v1/cameras/{id}/status"))
                .insert_header(("authorization", "Bearer leak-test-token-0123456789"))
                .insert_header(("content-type", "application/json"))
                .set_payload(r#"{"online": false, "reason": "断电"}"#),
        )
        .await;
    api.assert_status(200);
    seen.push(("api".into(), api.body));
    for entry in app
        .audit("camera.create")
        .into_iter()
        .chain(app.audit("camera.update"))
    {
        seen.push(("audit".into(), entry.summary));
    }
    let logs = rec.0.lock().map(|l| l.join("\n")).unwrap_or_default();
    seen.push(("log".into(), logs));
    for (where_, text) in &seen {
        assert!(!text.contains(PASSWORD), "the password appears in {where_}");
        assert!(!text.contains(&url), "the RTSP address appears in {where_}");
        assert!(
            !text.contains("127.0.0.1:9/snap"),
            "the snapshot address appears in {where_}"
        );
    }
    // What was stored is sealed: not even the database has it in clear.
    let sealed = cameras::sealed_source(&mut app.conn(), id).expect("sealed");
    assert!(!sealed
        .windows(PASSWORD.len())
        .any(|w| w == PASSWORD.as_bytes()));
}

/// A one-shot HTTP camera: answers every request with `response`, or
/// accepts and never answers when `None`.
fn http_camera(response: Option<Vec<u8>>) -> (String, Arc<Mutex<bool>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("port");
    let addr = listener.local_addr().expect("addr");
    let stop = Arc::new(Mutex::new(false));
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            let mut stream = stream;
            let mut buf = [0u8; 2048];
            let _ = stream.read(&mut buf);
            match &response {
                Some(bytes) => {
                    let _ = stream.write_all(bytes);
                }
                None => held.push(stream),
            }
        }
    });
    (format!("http://{addr}/snapshot.jpg"), stop)
}

fn http_response(content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

#[actix_web::test]
async fn bad_snapshot_sources_get_clear_reasons() {
    let app = TestApp::demo();
    let snap = |url: String| Source {
        snapshot: Some(url),
        ..Source::default()
    };
    let (html, _) = http_camera(Some(http_response(
        "text/html",
        b"<!DOCTYPE html><html><body>login</body></html>",
    )));
    let id = add_camera(&app, "网页", snap(html), "");
    assert_eq!(grab(&app, id), Err(Failure::NotAPicture));

    let big = vec![0xFFu8; 50 * 1024 * 1024];
    let (huge, _) = http_camera(Some(http_response("image/jpeg", &big)));
    let id = add_camera(&app, "五十兆", snap(huge), "");
    assert_eq!(grab(&app, id), Err(Failure::TooLarge));

    // A PNG claiming 30000 x 30000 pixels.
    let mut png = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13];
    png.extend(b"IHDR");
    png.extend(30_000u32.to_be_bytes());
    png.extend(30_000u32.to_be_bytes());
    png.extend([8, 2, 0, 0, 0]);
    let mut crc = flate2::Crc::new();
    crc.update(&png[12..29]);
    png.extend(crc.sum().to_be_bytes());
    png.extend([0, 0, 0, 0]);
    png.extend(b"IDAT");
    let mut crc = flate2::Crc::new();
    crc.update(b"IDAT");
    png.extend(crc.sum().to_be_bytes());
    let (wide, _) = http_camera(Some(http_response("image/png", &png)));
    let id = add_camera(&app, "超大", snap(wide), "");
    assert_eq!(grab(&app, id), Err(Failure::TooLarge));

    let (silent, _) = http_camera(None);
    let id = add_camera(&app, "不回应", snap(silent), "");
    let started = Instant::now();
    assert_eq!(grab(&app, id), Err(Failure::Timeout));
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );

    let (refused_url, _) = {
        let port = free_port();
        (format!("http://127.0.0.1:{port}/snap.jpg"), ())
    };
    let id = add_camera(&app, "拒绝", snap(refused_url), "");
    assert_eq!(grab(&app, id), Err(Failure::Refused));

    // 401 without credentials set: the reason says so.
    let (locked, _) = http_camera(Some(
        b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Digest realm=\"cam\", nonce=\"n\", qop=\"auth\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec(),
    ));
    let id = add_camera(&app, "要密码", snap(locked), "");
    assert_eq!(grab(&app, id), Err(Failure::AuthFailed));
}

#[actix_web::test]
async fn privacy_areas_are_filled_and_such_cameras_offer_no_live_view() {
    if !have_ffmpeg() {
        return;
    }
    let app = TestApp::demo();
    let id = add_camera(&app, "院子", test_source(), "0,0,50,100");
    grab(&app, id).expect("a picture");
    let (_, bytes) = cameras::snapshot(&mut app.conn(), id, cameras::Size::Large)
        .expect("read")
        .expect("stored");
    let img = image::load_from_memory(&bytes).expect("jpeg").to_rgb8();
    // The left half is the mask's flat grey; the right half is colour bars.
    let left: Vec<_> = (0..10).map(|i| img.get_pixel(30 + i * 30, 200).0).collect();
    assert!(
        left.iter()
            .all(|p| p[0].abs_diff(72) < 16 && p[2].abs_diff(84) < 16),
        "{left:?}"
    );
    let mut tv = app.client().await;
    tv.set_cookie("vp_alert_seen", "0");
    let page = tv.get(&format!("/tv/v/gengjing/cameras/{id}")).await;
    page.assert_status(200).assert_contains("隐私遮挡");
    assert!(
        !page.body.contains("live.m3u8"),
        "no live view with privacy areas"
    );
    let token = live::token(
        &app.state.keys,
        "gengjing",
        id,
        village_portal::time::now() + chrono::Duration::minutes(5),
    );
    tv.get(&format!("/tv/v/gengjing/cameras/{id}/live.m3u8?t={token}"))
        .await
        .assert_status(404);
}

#[actix_web::test]
async fn camera_forms_refuse_bad_input_beside_the_field() {
    let app = TestApp::demo();
    let mut office = app.client().await;
    office.login_as("official").await;
    let gengjing = app.place_id("gengjing").to_string();
    let base = |extra: &[(&'static str, &'static str)]| {
        let mut f: Vec<(&str, String)> = vec![
            ("village_id", gengjing.clone()),
            ("name", "村口".into()),
            ("spot", "东口".into()),
            ("visibility", "public".into()),
        ];
        f.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
        f
    };
    for (extra, message) in [
        (vec![("rtsp_url", "http://192.168.1.64/")], "rtsp://"),
        (vec![("rtsp_url", "rtsp://host:99999/x")], "端口"),
        (vec![("snapshot_url", "ftp://x/y.jpg")], "http://"),
        (
            vec![("rtsp_url", "rtsp://h/x"), ("privacy", "90,0,20,10")],
            "超出",
        ),
        (vec![], "至少填写一个画面来源"),
        (
            vec![("rtsp_url", "rtsp://h/x"), ("position", "abc")],
            "顺序",
        ),
    ] {
        let fields = base(&extra);
        let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        office
            .submit("/admin/cameras/new", "/admin/cameras", &refs)
            .await
            .assert_field_error(message);
    }
    assert!(
        cameras::of_village(&mut app.conn(), app.place_id("gengjing"), false)
            .expect("list")
            .is_empty()
    );
    // Another township's village is not the official's to choose.
    let songjia = app.place_id("songjia").to_string();
    let r = office
        .submit(
            "/admin/cameras/new",
            "/admin/cameras",
            &[
                ("village_id", &songjia),
                ("name", "x"),
                ("spot", "y"),
                ("visibility", "public"),
                ("rtsp_url", "rtsp://h/x"),
            ],
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    office.get("/admin/cameras/999999").await.assert_status(404);
}

#[actix_web::test]
async fn roles_see_and_manage_what_is_theirs() {
    let app = TestApp::demo();
    let public = add_camera(&app, "村口", test_source(), "");
    let hidden = add_camera_in(&app, "gengjing", "村委大院", "officials", test_source(), "");
    // TV: the public one is there, the officials-only one is a 404.
    let mut tv = app.client().await;
    tv.set_cookie("vp_alert_seen", "0");
    tv.get(&format!("/tv/v/gengjing/cameras/{public}"))
        .await
        .assert_status(200);
    let list = tv.get("/tv/v/gengjing/cameras").await;
    assert!(!list.body.contains("村委大院"));
    tv.get(&format!("/tv/v/gengjing/cameras/{hidden}"))
        .await
        .assert_status(404);
    tv.get(&format!(
        "/tv/v/gengjing/cameras/{hidden}/picture.jpg?s=large"
    ))
    .await
    .assert_status(404);
    tv.get(&format!("/tv/v/chenzhuang/cameras/{public}"))
        .await
        .assert_status(404);
    tv.get("/tv/v/gengjing/cameras/abc")
        .await
        .assert_status(404);

    // Clerk: own village's list, read only.
    let mut clerk = app.client().await;
    clerk.login_as("clerk").await;
    let l = clerk.get("/admin/cameras").await;
    l.assert_status(200)
        .assert_contains("村委大院")
        .assert_contains("只读");
    clerk.get("/admin/cameras/new").await.assert_status(403);
    clerk
        .get(&format!("/admin/cameras/{public}"))
        .await
        .assert_status(403);
    let r = clerk
        .post_signed(&format!("/admin/cameras/{public}/delete"), &[])
        .await;
    assert_eq!(r.status, 403);
    // Another village's clerk does not see gengjing's cameras.
    let mut clerk2 = app.client().await;
    clerk2.login_as("clerk2").await;
    assert!(!clerk2.get("/admin/cameras").await.body.contains("村委大院"));
    // Auditors see no camera pictures.
    let mut auditor = app.client().await;
    auditor.login_as("auditor").await;
    auditor.get("/admin/cameras").await.assert_status(403);
    // The official manages them, and every write is audited.
    let mut official = app.client().await;
    official.login_as("official").await;
    official
        .get("/admin/cameras/wall")
        .await
        .assert_status(200)
        .assert_contains("村委大院");
    let r = official
        .post_signed(&format!("/admin/cameras/{public}/delete"), &[])
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(app.audit("camera.delete").len(), 1);
    tv.get(&format!("/tv/v/gengjing/cameras/{public}"))
        .await
        .assert_status(404);
}

#[actix_web::test]
async fn the_status_api_checks_token_camera_body_and_township() {
    let app = TestApp::demo();
    let id = add_camera(&app, "村口", test_source(), "");
    let other = add_camera_in(&app, "songjia", "宋家村口", "public", test_source(), "");
    let token = "huanghelu-platform-token-0123456789";
    village_portal::cameras::systems::create(
        &mut app.conn(),
        &app.system_actor(),
        Some(app.place_id("huanghelu")),
        "街道平台",
        Some(token),
    )
    .expect("system");
    let mut api = app.client().await;
    let post = |path: String, auth: Option<String>, body: &'static str| {
        let mut req = actix_web::test::TestRequest::post()
            .uri(&path)
            .insert_header(("content-type", "application/json"))
            .set_payload(body);
        if let Some(a) = auth {
            req = req.insert_header(("authorization", a));
        }
        req
    };
    let bearer = Some(format!("Bearer {token}"));
    let r = api
        .send(post(
            format!("/api/v1/cameras/{id}/status"),
            None,
            r#"{"online":true}"#,
        ))
        .await;
    assert_eq!(r.status, 401);
    assert!(r.json()["error"].is_string());
    let r = api
        .send(post(
            format!("/api/v1/cameras/{id}/status"),
            Some("Bearer nope".into()),
            r#"{"online":true}"#,
        ))
        .await;
    assert_eq!(r.status, 401);
    let r = api
        .send(post(
            "/api/v1/cameras/999999/status".into(),
            bearer.clone(),
            r#"{"online":true}"#,
        ))
        .await;
    assert_eq!(r.status, 404);
    let r = api
        .send(post(
            format!("/api/v1/cameras/{id}/status"),
            bearer.clone(),
            r#"{"online":"yes"}"#,
        ))
        .await;
    assert_eq!(r.status, 400);
    assert!(r.json()["error"].as_str().unwrap_or("").contains("JSON"));
    let r = api
        .send(post(
            format!("/api/v1/cameras/{id}/status"),
            bearer.clone(),
            "not json",
        ))
        .await;
    assert_eq!(r.status, 400);
    let r = api
        .send(post(
            format!("/api/v1/cameras/{other}/status"),
            bearer.clone(),
            r#"{"online":false}"#,
        ))
        .await;
    assert_eq!(r.status, 403, "another township's camera");
    let r = api
        .send(post(
            format!("/api/v1/cameras/{id}/status"),
            bearer.clone(),
            r#"{"online":false,"reason":"断电"}"#,
        ))
        .await;
    r.assert_status(200);
    let c = camera(&app, id);
    assert_eq!(
        (c.status(), c.status_reason.as_str()),
        (Status::Offline, "断电")
    );
    let r = api
        .send(post(
            format!("/api/v1/cameras/{id}/status"),
            bearer.clone(),
            r#"{"online":true}"#,
        ))
        .await;
    r.assert_status(200);
    assert_eq!(camera(&app, id).status(), Status::Online);

    // ZLMediaKit's on_stream_changed, token in the hook address.
    let hook = |regist: bool| {
        format!(
            r#"{{"regist":{regist},"app":"live","stream":"cam{id}","schema":"rtsp","vhost":"__defaultVhost__","mediaServerId":"zlm1"}}"#
        )
    };
    let body = hook(false);
    let r = api
        .send(
            actix_web::test::TestRequest::post()
                .uri(&format!(
                    "/api/v1/hooks/zlmediakit/on_stream_changed?token={token}"
                ))
                .insert_header(("content-type", "application/json"))
                .set_payload(body),
        )
        .await;
    r.assert_status(200);
    assert_eq!(r.json()["code"], 0);
    assert_eq!(camera(&app, id).status(), Status::Offline);
    let r = api
        .send(
            actix_web::test::TestRequest::post()
                .uri("/api/v1/hooks/zlmediakit/on_stream_changed?token=wrong")
                .insert_header(("content-type", "application/json"))
                .set_payload(hook(true)),
        )
        .await;
    assert_eq!(r.status, 401);
    assert_eq!(camera(&app, id).status(), Status::Offline);
}

#[actix_web::test]
async fn one_instance_at_a_time_holds_a_cameras_grab() {
    let app = TestApp::demo();
    let id = add_camera(&app, "村口", test_source(), "");
    let mut conn = app.conn();
    let now = village_portal::time::now();
    let later = now + chrono::Duration::seconds(30);
    assert!(worker::claim(&mut conn, id, worker::GRAB, "a", later, false, now).expect("claim"));
    assert!(
        !worker::claim(&mut conn, id, worker::GRAB, "b", later, false, now).expect("claim"),
        "a holds it"
    );
    assert!(
        !worker::claim(&mut conn, id, worker::GRAB, "b", later, true, now).expect("claim"),
        "b cannot renew a's"
    );
    assert!(worker::claim(&mut conn, id, worker::GRAB, "a", later, true, now).expect("renew"));
    // a dies: once its lease runs out, b takes the camera.
    let after = later + chrono::Duration::seconds(1);
    assert!(worker::claim(
        &mut conn,
        id,
        worker::GRAB,
        "b",
        after + chrono::Duration::seconds(30),
        false,
        after
    )
    .expect("claim"));
}

#[actix_web::test]
async fn demo_cameras_and_lectures_are_live_with_ffmpeg() {
    if !have_ffmpeg() {
        return;
    }
    let app = TestApp::demo();
    let ffmpeg = app.state.cameras.grabber.ffmpeg.clone();
    let report = village_portal::demo::cameras::load(
        &mut app.conn(),
        &app.state.keys,
        ffmpeg.as_ref(),
        None,
    )
    .expect("demo cameras");
    assert_eq!(report.cameras_added, 6);
    assert!(report.generated_token.is_some());
    let again = village_portal::demo::cameras::load(
        &mut app.conn(),
        &app.state.keys,
        ffmpeg.as_ref(),
        None,
    )
    .expect("again");
    assert_eq!(
        (again.cameras_added, again.lectures_added),
        (0, 0),
        "idempotent"
    );
    let gengjing =
        cameras::of_village(&mut app.conn(), app.place_id("gengjing"), false).expect("list");
    assert_eq!(gengjing.len(), 4);
    assert_eq!(gengjing.iter().filter(|c| c.is_public()).count(), 3);
    assert_eq!(
        cameras::of_village(&mut app.conn(), app.place_id("chenzhuang"), true)
            .expect("list")
            .len(),
        2
    );
    grab(&app, gengjing[0].id).expect("the test picture gives a snapshot");

    let mut tv = app.client().await;
    let list = tv.get("/media/video/demo-4/index.m3u8").await;
    list.assert_status(200).assert_contains("#EXT-X-ENDLIST");
    let seg = list
        .body
        .lines()
        .find(|l| l.ends_with(".ts"))
        .expect("a segment");
    let ts = tv.get(&format!("/media/video/demo-4/{seg}")).await;
    ts.assert_status(200);
    assert_eq!(ts.bytes.first(), Some(&0x47));
    tv.get("/media/video/demo-4/../../etc/passwd")
        .await
        .assert_not_server_error();
    tv.get("/media/video/nope/index.m3u8")
        .await
        .assert_status(404);
}

#[actix_web::test]
async fn an_uploaded_mp4_becomes_hls_in_the_background() {
    if !have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().expect("dir");
    let mp4 = dir.path().join("lecture.mp4");
    let made = Command::new("ffmpeg")
        .args([
            "-nostdin",
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=320x180:rate=25",
            "-f",
            "lavfi",
            "-i",
            "sine",
            "-t",
            "6",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-shortest",
        ])
        .arg(&mp4)
        .status()
        .expect("ffmpeg");
    assert!(made.success());
    let bytes = std::fs::read(&mp4).expect("mp4");
    let app = TestApp::demo();
    let mut clerk = app.client().await;
    clerk.login_as("clerk").await;
    let page = clerk.get("/admin/videos").await;
    page.assert_status(200);
    let token = page.csrf().expect("csrf");
    let up = clerk
        .post_multipart(
            "/admin/videos",
            &[("csrf_token", &token)],
            &[("file", "讲座.mp4", "video/mp4", &bytes)],
        )
        .await;
    assert_eq!(up.status, 303, "{}", up.body);
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut done = None;
    while Instant::now() < deadline {
        let jobs = village_portal::lectures::jobs_for(&mut app.conn(), &[app.place_id("gengjing")])
            .expect("jobs");
        if let Some(job) = jobs
            .first()
            .filter(|j| j.state == "done" || j.state == "failed")
        {
            done = Some(job.clone());
            break;
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    let job = done.expect("the conversion finished");
    assert_eq!(job.state, "done", "{}", job.error);
    assert_eq!(job.progress, 100);
    assert!((5..=7).contains(&job.seconds), "{}", job.seconds);
    clerk
        .get("/admin/videos")
        .await
        .assert_contains("已完成")
        .assert_contains(&job.url())
        .assert_contains(&village_portal::time::format_local(
            job.created_at,
            app.state.offset,
        ));
    let list = clerk.get(&job.url()).await;
    list.assert_status(200).assert_contains("#EXTINF");
    assert!(
        job.stream.len() >= 3 + 32,
        "128 random bits: {}",
        job.stream
    );

    // Before review only the back office plays it, and nothing keeps it.
    assert_eq!(list.header("cache-control"), Some("private, no-store"));
    let mut anyone = app.client().await;
    anyone.get(&job.url()).await.assert_status(404);
    let segment = job.url().replace("index.m3u8", "seg000.ts");
    anyone.get(&segment).await.assert_status(404);
    clerk.get(&segment).await.assert_status(200);
    // Once a live article plays it, every box does.
    let made = clerk
        .submit(
            "/admin/articles/new",
            "/admin/articles/new",
            &[
                ("section", "videos"),
                ("scope", "village"),
                ("title", "冬季大棚管理讲座"),
                ("video_url", &job.url()),
            ],
        )
        .await;
    assert_eq!(made.status, 303, "{}", made.body);
    let page = made
        .location()
        .and_then(|l| l.split('?').next())
        .expect("article page")
        .to_string();
    let version = || article_version(&app, &page);
    clerk
        .submit(&page, &format!("{page}/submit"), &[("version", &version())])
        .await
        .assert_status(303);
    anyone.get(&job.url()).await.assert_status(404);
    let mut official = app.client().await;
    official.login_as("official").await;
    official
        .submit(
            &format!("{page}/review"),
            &format!("{page}/approve"),
            &[("version", &version())],
        )
        .await
        .assert_status(303);
    let public = anyone.get(&job.url()).await;
    public.assert_status(200).assert_contains("#EXTINF");
    assert_eq!(
        public.header("cache-control"),
        Some("public, max-age=86400")
    );
    anyone.get(&segment).await.assert_status(200);

    // Not a video: a clear failure, nothing half stored.
    let up = clerk
        .post_multipart(
            "/admin/videos",
            &[("csrf_token", &token)],
            &[("file", "假的.mp4", "video/mp4", b"<html>not a video</html>")],
        )
        .await;
    assert_eq!(up.status, 303, "{}", up.body);
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut failed = None;
    while Instant::now() < deadline {
        let jobs = village_portal::lectures::jobs_for(&mut app.conn(), &[app.place_id("gengjing")])
            .expect("jobs");
        if let Some(job) = jobs
            .first()
            .filter(|j| j.name == "假的.mp4" && j.state == "failed")
        {
            failed = Some(job.clone());
            break;
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    let failed = failed.expect("the bad upload failed");
    assert!(failed.error.contains("视频"), "{}", failed.error);
    assert!(!village_portal::lectures::exists(&mut app.conn(), &failed.stream).expect("exists"));
}

/// The version an article's forms must carry, for the article page `page`.
fn article_version(app: &TestApp, page: &str) -> String {
    use diesel::prelude::*;
    use village_portal::db::schema::articles;
    let id: i64 = page
        .trim_start_matches("/admin/articles/")
        .parse()
        .expect("article id");
    articles::table
        .find(id)
        .select(articles::version)
        .first::<i32>(&mut *app.conn())
        .expect("version")
        .to_string()
}

/// A GET of `path` from a box that has the version `etag`.
fn if_none_match(path: &str, etag: &str) -> actix_web::test::TestRequest {
    actix_web::test::TestRequest::get()
        .uri(path)
        .insert_header((actix_web::http::header::IF_NONE_MATCH, etag))
}

/// A test JPEG of the given colour, as a camera's snapshot address sends it.
fn jpeg_of(rgb: [u8; 3]) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(640, 360, image::Rgb(rgb));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg)
        .expect("a JPEG");
    out.into_inner()
}

#[actix_web::test]
async fn a_new_picture_keeps_its_address_and_the_pages_stay_cached() {
    let app = TestApp::demo();
    let (url, _stop) = http_camera(Some(http_response("image/jpeg", &jpeg_of([200, 40, 40]))));
    let id = add_camera(
        &app,
        "晒场",
        Source {
            snapshot: Some(url),
            ..Source::default()
        },
        "",
    );
    grab(&app, id).expect("a picture");
    let mut tv = app.client().await;
    tv.set_cookie("vp_alert_seen", "1");
    let page_url = format!("/tv/v/gengjing/cameras/{id}");
    let picture_of = |body: &str| {
        body.split("id=\"picture\" src=\"")
            .nth(1)
            .or_else(|| body.split("poster=\"").nth(1))
            .and_then(|r| r.split('"').next())
            .expect("a picture on the camera page")
            .replace("&amp;", "&")
    };
    let first = tv.get(&page_url).await;
    first.assert_status(200);
    tv.get("/tv/v/gengjing/cameras").await.assert_status(200);
    let src = picture_of(&first.body);
    let pic = tv.get(&src).await;
    pic.assert_status(200);
    let etag = pic.header("etag").expect("an etag").to_string();
    let max_age: i64 = pic
        .header("cache-control")
        .and_then(|v| v.strip_prefix("public, max-age="))
        .and_then(|v| v.parse().ok())
        .expect("a max-age");
    let interval = app.state.config.camera_interval_seconds as i64;
    assert!(
        (interval - 5..=interval).contains(&max_age),
        "kept until the next grab, not {max_age}"
    );
    let again = tv.send(if_none_match(&src, &etag)).await;
    again.assert_status(304);
    assert!(again.bytes.is_empty());

    // The next grab (a second later, a new picture) changes neither page.
    std::thread::sleep(Duration::from_millis(1100));
    // (Through the app's own connection: `app.conn()` marks everything changed.)
    let mut conn = app.state.db.get().expect("a connection");
    app.state
        .cameras
        .grabber
        .grab_and_record(&mut conn, id)
        .expect("grab recorded")
        .expect("another picture");
    let misses = app.state.tv_cache.stats().misses;
    let second = tv.get(&page_url).await;
    tv.get("/tv/v/gengjing/cameras").await.assert_status(200);
    assert_eq!(
        app.state.tv_cache.stats().misses,
        misses,
        "both pages came from the page cache"
    );
    assert_eq!(picture_of(&second.body), src, "the same address");
    let renewed = tv.send(if_none_match(&src, &etag)).await;
    renewed.assert_status(200);
    assert_ne!(renewed.header("etag"), Some(etag.as_str()), "a new picture");

    // Going offline does change the pages.
    cameras::status::report(
        &mut conn,
        id,
        false,
        Some("没有画面"),
        village_portal::time::now(),
    )
    .expect("reported");
    // A change made outside a request is seen at the cache's next poll (1 s).
    std::thread::sleep(Duration::from_millis(1100));
    let offline = tv.get(&page_url).await;
    offline.assert_status(200).assert_contains("离线");
}

#[actix_web::test]
async fn one_ffmpeg_grabs_several_cameras_and_a_failing_one_keeps_its_reason() {
    let Some(server) = RtspCamera::start() else {
        return;
    };
    let app = TestApp::demo();
    let ffmpeg = app.state.cameras.grabber.ffmpeg.clone().expect("ffmpeg");
    let good = server.url(USER, PASSWORD);
    let frames = cameras::grab::rtsp_frames(&ffmpeg, &[good.as_str(), good.as_str()]);
    assert_eq!(frames.len(), 2);
    for frame in &frames {
        let bytes = frame.as_ref().expect("a frame of each camera");
        assert!(image::load_from_memory(bytes).is_ok(), "a JPEG");
    }
    no_zombie_ffmpeg();

    let a = add_camera(&app, "村口", rtsp(good.clone()), "");
    let b = add_camera(&app, "广场", rtsp(good), "");
    let c = add_camera(&app, "河道", rtsp(server.url(USER, "wrong")), "");
    let now = village_portal::time::now();
    for id in [a, b, c] {
        let hold = now + chrono::Duration::seconds(60);
        let claimed = worker::claim(
            &mut app.conn(),
            id,
            worker::GRAB,
            "test-instance",
            hold,
            false,
            now,
        );
        assert!(claimed.expect("claim"), "camera {id} is due");
    }
    worker::grab_group(
        &app.state.db,
        &app.state.cameras.grabber,
        "test-instance",
        &[a, b, c],
    )
    .expect("the group is recorded");
    for id in [a, b] {
        let cam = camera(&app, id);
        assert_eq!(cam.status(), Status::Online, "camera {id}");
        assert!(cam.snapshot_at.is_some());
    }
    let failing = camera(&app, c);
    assert_eq!(failing.failures, 1, "asked alone, it failed once");
    assert!(failing.snapshot_at.is_none());
    // The group is due again together, an interval after it started, so it
    // shares one ffmpeg next time too.
    let next = |id: i64| -> chrono::NaiveDateTime {
        use diesel::prelude::*;
        use village_portal::db::schema::camera_leases as l;
        l::table
            .filter(l::camera_id.eq(id))
            .filter(l::kind.eq(worker::GRAB))
            .select(l::expires_at)
            .first(&mut app.state.db.get().expect("conn"))
            .expect("lease")
    };
    assert_eq!(next(a), next(b), "one next grab for the group");
    let interval = app.state.cameras.grabber.interval.as_secs() as i64;
    let ahead = (next(a) - village_portal::time::now()).num_seconds();
    assert!(
        (interval / 2..=interval).contains(&ahead),
        "next grab in {ahead} s (interval {interval} s)"
    );
    for _ in 0..2 {
        worker::grab_group(
            &app.state.db,
            &app.state.cameras.grabber,
            "test-instance",
            &[a, c],
        )
        .expect("recorded");
    }
    let failing = camera(&app, c);
    assert_eq!(failing.status(), Status::Offline);
    assert!(
        failing.status_reason.contains("认证失败"),
        "{}",
        failing.status_reason
    );
    assert_eq!(camera(&app, a).status(), Status::Online);
    no_zombie_ffmpeg();
}
