//! The command line, run as the real binary: each test gets its own temporary
//! folder and SQLite file, a clean environment, and checks the exit status,
//! what was printed and what was stored. No run may panic.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use village_portal::access::PlaceKind;
use village_portal::db::schema::{audit_log, settings, users as users_table};
use village_portal::db::{Database, DbConn};
use village_portal::{crypto, households, places, users};

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_village-portal");
const DEMO_PASSWORD: &str = crate::util::DEMO_PASSWORD;
/// Longest a command that does not serve may take.
const RUN_TIMEOUT: Duration = Duration::from_secs(60);

/// Variables that would leak the caller's settings into the child.
pub(crate) fn leaky(key: &str) -> bool {
    key.starts_with("PORTAL_")
        || key == "DATABASE_URL"
        || key == "RUST_LOG"
        || key == "RUST_BACKTRACE"
}

/// A temporary folder holding the test's database, and the binary run in it.
struct Env {
    dir: tempfile::TempDir,
    url: String,
}

impl Env {
    fn new() -> Env {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("portal.db").display());
        Env { dir, url }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn db_file(&self) -> PathBuf {
        self.path("portal.db")
    }

    /// The binary with a clean environment, run in the test's folder, with
    /// this test's database.
    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        for (key, _) in std::env::vars_os() {
            if key.to_str().is_some_and(leaky) {
                cmd.env_remove(&key);
            }
        }
        cmd.args(args)
            .current_dir(self.dir.path())
            .env("DATABASE_URL", &self.url);
        cmd
    }

    fn run(&self, args: &[&str]) -> Out {
        self.run_with(args, &[], None)
    }

    fn run_with(&self, args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Out {
        let mut cmd = self.command(args);
        cmd.envs(env.iter().copied());
        run_command(cmd, stdin, RUN_TIMEOUT)
    }

    fn demo(&self) -> Out {
        self.run_with(&["demo"], &[("PORTAL_DEMO_PASSWORD", DEMO_PASSWORD)], None)
            .success()
    }

    fn add_user(&self, username: &str, role: &str, place: &str, stdin: &str) -> Out {
        self.run_with(
            &[
                "user",
                "add",
                "--username",
                username,
                "--role",
                role,
                "--place",
                place,
            ],
            &[],
            Some(stdin),
        )
    }

    /// The test's database, opened as the portal opens it.
    fn db(&self) -> Database {
        Database::open(&self.url, 1).expect("open the database the binary wrote")
    }

    /// Names in the test's folder (to show that a refused run created nothing).
    fn files(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.dir.path())
            .expect("read temp dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

/// What a finished run left behind.
struct Out {
    status: ExitStatus,
    stdout: String,
    stderr: String,
    took: Duration,
}

impl Out {
    #[track_caller]
    fn success(self) -> Self {
        assert!(
            self.status.success(),
            "expected success, got {}\nstdout:\n{}\nstderr:\n{}",
            self.status,
            self.stdout,
            self.stderr
        );
        self
    }

    /// Asserts a plain failure (exit 1) and returns its one `error:` line.
    #[track_caller]
    fn error(&self) -> String {
        assert_eq!(
            self.status.code(),
            Some(1),
            "expected exit 1\nstdout:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
        let errors: Vec<&str> = self
            .stderr
            .lines()
            .filter(|l| l.starts_with("error:"))
            .collect();
        assert_eq!(
            errors.len(),
            1,
            "expected one error line on stderr:\n{}",
            self.stderr
        );
        assert!(
            errors[0].len() < 400,
            "the error line is not short: {}",
            errors[0]
        );
        errors[0].to_string()
    }

    /// Asserts a failure whose one error line contains every fragment.
    #[track_caller]
    fn fails_with(&self, fragments: &[&str]) -> String {
        let line = self.error();
        for f in fragments {
            assert!(line.contains(f), "expected {f:?} in the error: {line}");
        }
        line
    }

    fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

#[track_caller]
fn assert_no_panic(stdout: &str, stderr: &str) {
    for text in [stdout, stderr] {
        assert!(
            !text.contains("panicked") && !text.contains("RUST_BACKTRACE"),
            "the binary panicked:\nstdout:\n{stdout}\nstderr:\n{stderr}"
        );
    }
}

/// Spawns a reader thread for a child's pipe.
fn drain(pipe: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut p) = pipe {
            let _ = p.read_to_end(&mut bytes);
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// Runs a command to its end (killing it after `timeout`), feeding `stdin`.
fn run_command(mut cmd: Command, stdin: Option<&str>, timeout: Duration) -> Out {
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = cmd.spawn().expect("start the binary");
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        let text = text.to_string();
        // The child may exit before reading; a broken pipe is fine then.
        std::thread::spawn(move || {
            let _ = pipe.write_all(text.as_bytes());
        });
    }
    let out = drain(child.stdout.take());
    let err = drain(child.stderr.take());
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the binary") {
            break status;
        }
        if started.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "the binary did not finish within {timeout:?}; stderr:\n{}",
                err.join().unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let took = started.elapsed();
    let stdout = out.join().expect("stdout");
    let stderr = err.join().expect("stderr");
    assert_no_panic(&stdout, &stderr);
    Out {
        status,
        stdout,
        stderr,
        took,
    }
}

/// A port nobody listens on right now.
pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

// ---------------------------------------------------------------- HTTP

/// A response of the running server, read whole.
pub(crate) struct HttpResp {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: String,
}

impl HttpResp {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One HTTP/1.0 request on a fresh connection.
pub(crate) fn http(
    port: u16,
    method: &str,
    path: &str,
    cookies: &str,
    form: Option<&str>,
) -> HttpResp {
    try_http(port, method, path, cookies, form).unwrap_or_else(|e| panic!("{method} {path}: {e}"))
}

pub(crate) fn try_http(
    port: u16,
    method: &str,
    path: &str,
    cookies: &str,
    form: Option<&str>,
) -> std::io::Result<HttpResp> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut req = format!("{method} {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n");
    if !cookies.is_empty() {
        req.push_str(&format!("Cookie: {cookies}\r\n"));
    }
    let body = form.unwrap_or("");
    if form.is_some() {
        req.push_str("Content-Type: application/x-www-form-urlencoded\r\n");
        req.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes())?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw
        .split_once("\r\n\r\n")
        .ok_or_else(|| std::io::Error::other(format!("no end of headers in {raw:?}")))?;
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("no status line in {head:?}")))?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Ok(HttpResp {
        status,
        headers,
        body: body.to_string(),
    })
}

/// A browser's worth of state for talking to the running server.
#[derive(Default)]
pub(crate) struct Jar(HashMap<String, String>);

impl Jar {
    fn header(&self) -> String {
        self.0
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub(crate) fn request(
        &mut self,
        port: u16,
        method: &str,
        path: &str,
        form: Option<&str>,
    ) -> HttpResp {
        let res = http(port, method, path, &self.header(), form);
        for (k, v) in &res.headers {
            if !k.eq_ignore_ascii_case("set-cookie") {
                continue;
            }
            let pair = v.split(';').next().unwrap_or_default();
            if let Some((name, value)) = pair.split_once('=') {
                let expired = value.is_empty() || v.to_ascii_lowercase().contains("max-age=0");
                if expired {
                    self.0.remove(name.trim());
                } else {
                    self.0
                        .insert(name.trim().to_string(), value.trim().to_string());
                }
            }
        }
        res
    }

    /// Signs in through the real form; returns the answer to the POST.
    pub(crate) fn login(&mut self, port: u16, username: &str, password: &str) -> HttpResp {
        let page = self.request(port, "GET", "/admin/login", None);
        assert_eq!(page.status, 200, "{}", page.body);
        let marker = "name=\"csrf_token\" value=\"";
        let at = page.body.find(marker).expect("csrf_token on the form") + marker.len();
        let end = page.body[at..].find('"').expect("end of csrf_token");
        let token = page.body[at..at + end].to_string();
        let form = serde_urlencoded::to_string([
            ("csrf_token", token.as_str()),
            ("username", username),
            ("password", password),
        ])
        .expect("form");
        self.request(port, "POST", "/admin/login", Some(&form))
    }
}

// ---------------------------------------------------------------- servers

/// A running `serve`; killed when dropped, so a failing test leaves no server.
pub(crate) struct Server {
    child: Child,
    pub(crate) port: u16,
    stdout: PathBuf,
    stderr: PathBuf,
}

impl Server {
    /// Starts `serve ARGS` with output going to files in `logs`, and waits
    /// until `/healthz` answers on `port`.
    pub(crate) fn start(mut cmd: Command, port: u16, logs: &Path, name: &str) -> Server {
        let stdout = logs.join(format!("{name}.out"));
        let stderr = logs.join(format!("{name}.err"));
        cmd.stdin(Stdio::null())
            .stdout(std::fs::File::create(&stdout).expect("stdout file"))
            .stderr(std::fs::File::create(&stderr).expect("stderr file"));
        let child = cmd.spawn().expect("start the server");
        let mut server = Server {
            child,
            port,
            stdout,
            stderr,
        };
        server.wait_healthy();
        server
    }

    fn wait_healthy(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(res) = try_http(self.port, "GET", "/healthz", "", None) {
                assert_eq!(res.status, 200, "healthz: {}", res.body);
                let json: serde_json::Value =
                    serde_json::from_str(&res.body).expect("healthz answers JSON");
                assert_eq!(json, serde_json::json!({"status": "ok"}));
                return;
            }
            if let Some(status) = self.child.try_wait().expect("server status") {
                panic!(
                    "the server exited ({status}) before answering:\n{}",
                    self.logs().1
                );
            }
            assert!(
                Instant::now() < deadline,
                "no answer on port {} within 20 s:\n{}",
                self.port,
                self.logs().1
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub(crate) fn logs(&self) -> (String, String) {
        let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
        (read(&self.stdout), read(&self.stderr))
    }

    /// Kills the process at once (SIGKILL), as a crash would.
    pub(crate) fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Stops the server; returns its stdout and stderr.
    fn stop(mut self) -> (String, String) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let (out, err) = self.logs();
        assert_no_panic(&out, &err);
        (out, err)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------- data

fn place(conn: &mut DbConn, code: &str) -> places::Place {
    places::find_by_code(conn, code)
        .expect("query places")
        .unwrap_or_else(|| panic!("no place {code}"))
}

fn user(conn: &mut DbConn, username: &str) -> users::User {
    users::find_by_username(conn, username)
        .expect("query users")
        .unwrap_or_else(|| panic!("no user {username}"))
}

fn count_users(conn: &mut DbConn) -> i64 {
    users_table::table
        .count()
        .get_result(conn)
        .expect("count users")
}

fn count_audit(conn: &mut DbConn) -> i64 {
    audit_log::table
        .count()
        .get_result(conn)
        .expect("count audit entries")
}

fn session_secret(conn: &mut DbConn) -> Option<String> {
    settings::table
        .find("session_secret")
        .select(settings::value)
        .first(conn)
        .optional()
        .expect("query settings")
}

/// The counts of a `demo county loaded: N places, N users, N households added` line.
fn demo_counts(stdout: &str) -> (usize, usize, usize) {
    let line = stdout
        .lines()
        .find(|l| l.starts_with("demo county loaded:"))
        .unwrap_or_else(|| panic!("no counts in:\n{stdout}"));
    let numbers: Vec<usize> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    assert_eq!(numbers.len(), 3, "{line}");
    (numbers[0], numbers[1], numbers[2])
}

/// Checks what CONTRACT.md promises of the demo county.
fn assert_demo_data(conn: &mut DbConn, password: &str) {
    let county = place(conn, "dongying");
    assert_eq!(county.kind(), PlaceKind::County);
    assert_eq!(county.name, "东营区");
    let township = place(conn, "huanghelu");
    assert_eq!(township.kind(), PlaceKind::Township);
    assert_eq!(township.parent_id, Some(county.id));
    for (code, name) in [("gengjing", "耿井村"), ("chenzhuang", "陈庄村")] {
        let village = place(conn, code);
        assert_eq!(village.kind(), PlaceKind::Village);
        assert_eq!(village.name, name);
        assert_eq!(village.parent_id, Some(township.id));
    }
    for (username, role, code) in [
        ("admin", "admin", "dongying"),
        ("official", "official", "huanghelu"),
        ("clerk", "clerk", "gengjing"),
        ("clerk2", "clerk", "chenzhuang"),
        ("auditor", "auditor", "dongying"),
    ] {
        let u = user(conn, username);
        assert_eq!(u.role, role, "{username}");
        assert_eq!(u.place_id, place(conn, code).id, "{username}");
        assert!(!u.disabled, "{username}");
        assert!(
            crypto::verify_secret(&u.password_hash, password),
            "{username}'s password is not the demo password"
        );
    }
    let household = households::find_by_stb(conn, "STB0001")
        .expect("query households")
        .expect("household STB0001");
    assert_eq!(household.village_id, place(conn, "gengjing").id);
    assert!(crypto::verify_secret(&household.pin_hash, "1234"));
}

// ================================================================ tests

#[test]
fn help_lists_the_commands_and_their_options() {
    let env = Env::new();
    let out = env.run(&["--help"]).success();
    for command in ["serve", "migrate", "demo", "user", "backup"] {
        assert!(
            out.stdout.contains(command),
            "{command} missing:\n{}",
            out.stdout
        );
    }
    assert!(out.stdout.contains("--config"), "{}", out.stdout);

    let out = env.run(&["user", "add", "--help"]).success();
    for option in ["--username", "--role", "--place"] {
        assert!(out.stdout.contains(option), "{option}:\n{}", out.stdout);
    }
    assert!(
        out.stdout.contains("clerk"),
        "roles are listed:\n{}",
        out.stdout
    );

    let out = env.run(&["serve", "--help"]).success();
    for option in ["--bind", "--demo"] {
        assert!(out.stdout.contains(option), "{option}:\n{}", out.stdout);
    }

    // Usage errors: clap's exit code 2 and a usage message, no panic.
    for args in [
        &[][..],
        &["frobnicate"],
        &["user", "add", "--username", "x"],
    ] {
        let out = env.run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains("Usage"), "{args:?}: {}", out.stderr);
    }
    assert!(env.files().is_empty(), "help created {:?}", env.files());
}

#[test]
fn migrate_creates_the_database_and_can_run_again() {
    let env = Env::new();
    assert!(!env.db_file().exists());
    let out = env.run(&["migrate"]).success();
    assert!(
        out.stdout.contains("migrations are up to date"),
        "{}",
        out.stdout
    );
    assert!(env.db_file().is_file());
    env.run(&["migrate"]).success();
    {
        let mut conn = env.db().get().expect("connection");
        assert!(places::of_kind(&mut conn, PlaceKind::County)
            .expect("query places")
            .is_empty());
    }

    // Folders on the way to the file are created.
    let nested = env.path("data/nested/portal.db");
    let url = format!("sqlite://{}", nested.display());
    env.run_with(&["migrate"], &[("DATABASE_URL", &url)], None)
        .success();
    assert!(nested.is_file());

    // Without DATABASE_URL the default sqlite://data/portal.db is used,
    // relative to the working folder.
    let mut cmd = env.command(&["migrate"]);
    cmd.env_remove("DATABASE_URL");
    run_command(cmd, None, RUN_TIMEOUT).success();
    assert!(env.path("data/portal.db").is_file());
}

#[test]
fn unknown_database_scheme_is_one_clear_line() {
    let env = Env::new();
    let out = env.run_with(&["migrate"], &[("DATABASE_URL", "mysql://x/y")], None);
    out.fails_with(&["DATABASE_URL", "mysql"]);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert_eq!(
        out.stderr.lines().count(),
        1,
        "one line on stderr:\n{}",
        out.stderr
    );
    assert!(env.files().is_empty(), "created {:?}", env.files());
}

#[test]
fn an_unreachable_postgres_is_one_line_without_the_password() {
    let env = Env::new();
    for url in [
        "postgres://portal:hunter2@127.0.0.1:1/portal",
        "postgresql://portal:hunter2@127.0.0.1:1/portal?sslmode=disable",
        "postgres://portal:hunter2@::::/portal",
    ] {
        let out = env.run_with(&["migrate"], &[("DATABASE_URL", url)], None);
        let line = out.fails_with(&["postgres"]);
        assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
        assert!(
            !out.all().contains("hunter2"),
            "the password is echoed: {line}"
        );
    }
    assert!(env.files().is_empty(), "created {:?}", env.files());
}

#[test]
fn garbage_database_urls_are_refused_without_creating_anything() {
    let env = Env::new();
    for url in [
        "::::",
        "sqlite://",
        "sqlite:",
        "   ",
        "mysql:x",
        "://",
        "postgres:/admin:hunter2@db/portal",
    ] {
        for command in ["migrate", "demo", "serve"] {
            let out = env.run_with(&[command], &[("DATABASE_URL", url)], None);
            let line = out.fails_with(&["DATABASE_URL"]);
            assert!(!line.contains("hunter2"), "the password is echoed: {line}");
        }
    }
    assert!(env.files().is_empty(), "created {:?}", env.files());
}

#[test]
fn unusable_data_folders_are_named() {
    let env = Env::new();
    let out = env.run_with(
        &["migrate"],
        &[("DATABASE_URL", "sqlite:///proc/nope/portal.db")],
        None,
    );
    out.fails_with(&["/proc/nope"]);

    // A folder whose path runs through a regular file.
    std::fs::write(env.path("plain-file"), b"not a folder").expect("write file");
    let folder = env.path("plain-file/data");
    let url = format!("sqlite://{}/portal.db", folder.display());
    for command in ["migrate", "demo", "serve"] {
        let out = env.run_with(&[command], &[("DATABASE_URL", &url)], None);
        out.fails_with(&[&folder.display().to_string()]);
    }
    assert_eq!(
        std::fs::read(env.path("plain-file")).expect("read file"),
        b"not a folder"
    );

    // The database path is a folder.
    std::fs::create_dir(env.path("a-folder")).expect("mkdir");
    let url = format!("sqlite://{}", env.path("a-folder").display());
    env.run_with(&["migrate"], &[("DATABASE_URL", &url)], None)
        .fails_with(&["sqlite"]);

    // A file that is no SQLite database is refused and left as it was.
    let junk: Vec<u8> = (0..4096u32).map(|i| (i * 7 + 3) as u8).collect();
    std::fs::write(env.path("junk.db"), &junk).expect("write junk");
    let url = format!("sqlite://{}", env.path("junk.db").display());
    env.run_with(&["migrate"], &[("DATABASE_URL", &url)], None)
        .fails_with(&["database"]);
    assert_eq!(std::fs::read(env.path("junk.db")).expect("read junk"), junk);
}

#[test]
fn bad_bind_addresses_fail_fast_without_serving() {
    let env = Env::new();
    for (args, env_vars, shown) in [
        (&["serve", "--bind", "nonsense"][..], &[][..], "nonsense"),
        (
            &["serve", "--bind", "127.0.0.1:99999"],
            &[],
            "127.0.0.1:99999",
        ),
        (&["serve", "--bind", ""], &[], "bind address"),
        (&["serve"], &[("PORTAL_BIND", "bad")], "bad"),
        (
            &["serve", "--demo"],
            &[("PORTAL_BIND", "localhost")],
            "localhost",
        ),
        // Every command validates the settings, not just serve.
        (&["migrate"], &[("PORTAL_BIND", "bad")], "bad"),
    ] {
        let mut cmd = env.command(args);
        cmd.envs(env_vars.iter().copied());
        let out = run_command(cmd, None, Duration::from_secs(20));
        out.fails_with(&["bind address", shown]);
        assert!(
            out.took < Duration::from_secs(10),
            "{args:?} took {:?}",
            out.took
        );
    }
    // Settings are checked before the database is touched.
    assert!(env.files().is_empty(), "created {:?}", env.files());
}

#[test]
fn a_port_in_use_is_a_clear_error() {
    let env = Env::new();
    let taken = TcpListener::bind("127.0.0.1:0").expect("listen");
    let addr = taken.local_addr().expect("address").to_string();
    let mut cmd = env.command(&["serve", "--bind", &addr]);
    cmd.env("RUST_LOG", "warn");
    let out = run_command(cmd, None, Duration::from_secs(20));
    out.fails_with(&["cannot listen", &addr]);
}

#[test]
fn demo_with_a_password_is_idempotent() {
    let env = Env::new();
    let out = env.demo();
    let (places_added, users_added, households_added) = demo_counts(&out.stdout);
    assert!(places_added >= 4, "{}", out.stdout);
    assert_eq!(users_added, 6, "{}", out.stdout);
    assert!(households_added >= 1, "{}", out.stdout);
    assert!(
        !out.all().contains(DEMO_PASSWORD),
        "the given password is printed:\n{}",
        out.all()
    );
    assert!(!out.stdout.contains("password of the demo users"));

    let again = env.demo();
    assert_eq!(demo_counts(&again.stdout), (0, 0, 0), "{}", again.stdout);
    assert!(!again.all().contains(DEMO_PASSWORD));

    let db = env.db();
    let mut conn = db.get().expect("connection");
    assert_demo_data(&mut conn, DEMO_PASSWORD);
    assert_eq!(count_users(&mut conn), 6);
    drop(conn);

    // The users are really there: adding one again is refused.
    env.add_user("clerk", "clerk", "gengjing", "another-password-1\n")
        .fails_with(&["clerk"]);
}

#[test]
fn demo_without_a_password_prints_one_that_signs_in() {
    let env = Env::new();
    let out = env.run(&["demo"]).success();
    let line = out
        .stdout
        .lines()
        .find(|l| l.starts_with("password of the demo users"))
        .unwrap_or_else(|| panic!("no generated password in:\n{}", out.stdout));
    let password = line
        .rsplit(": ")
        .next()
        .expect("password")
        .trim()
        .to_string();
    assert!(password.chars().count() >= 12, "{password:?}");
    assert!(
        !out.stderr.contains(&password),
        "the password reached the log:\n{}",
        out.stderr
    );

    let db = env.db();
    let mut conn = db.get().expect("connection");
    assert_demo_data(&mut conn, &password);
    let limits = users::throttle::Limits {
        per_user: 5,
        per_client: 20,
        window_minutes: 15,
    };
    let (signed_in, _) = users::sign_in(&mut conn, &limits, "clerk", &password, "127.0.0.1")
        .expect("the printed password signs in");
    assert_eq!(signed_in.username, "clerk");
    assert!(users::sign_in(&mut conn, &limits, "clerk", "not-the-password", "127.0.0.1").is_err());
    drop(conn);

    // A second run adds nothing, prints no new password, and the first one
    // still works.
    let again = env.run(&["demo"]).success();
    assert_eq!(demo_counts(&again.stdout), (0, 0, 0));
    assert!(!again.stdout.contains("password"), "{}", again.stdout);
    let mut conn = db.get().expect("connection");
    assert!(crypto::verify_secret(
        &user(&mut conn, "admin").password_hash,
        &password
    ));
}

#[test]
fn demo_password_too_short_is_refused() {
    let env = Env::new();
    let out = env.run_with(&["demo"], &[("PORTAL_DEMO_PASSWORD", "tiny-pw")], None);
    let line = out.fails_with(&["PORTAL_DEMO_PASSWORD", "12"]);
    assert!(!line.contains("tiny-pw"), "the password is echoed: {line}");
    assert!(!env.db_file().exists(), "nothing is created");
}

#[test]
fn user_add_creates_a_clerk_from_the_password_on_stdin() {
    let env = Env::new();
    env.demo();
    let password = "wang-secret-pass-1";
    let out = env
        .add_user("wang", "clerk", "gengjing", &format!("{password}\n"))
        .success();
    assert!(out.stdout.contains("wang"), "{}", out.stdout);
    assert!(
        !out.all().contains(password),
        "the password is printed:\n{}",
        out.all()
    );

    // Windows line endings are not part of the password.
    let other = "li-secret-pass-22";
    env.add_user("li", "official", "huanghelu", &format!("{other}\r\n"))
        .success();
    // A county user.
    env.add_user("zhao", "auditor", "dongying", "zhao-secret-pass-3")
        .success();

    let db = env.db();
    let mut conn = db.get().expect("connection");
    let wang = user(&mut conn, "wang");
    assert_eq!(wang.role, "clerk");
    assert_eq!(wang.place_id, place(&mut conn, "gengjing").id);
    assert!(!wang.disabled);
    assert!(crypto::verify_secret(&wang.password_hash, password));
    assert!(!wang.password_hash.contains(password));
    let li = user(&mut conn, "li");
    assert_eq!(li.role, "official");
    assert!(crypto::verify_secret(&li.password_hash, other));
    assert_eq!(user(&mut conn, "zhao").role, "auditor");

    // Recorded in the audit log, without the password.
    let summaries: Vec<String> = audit_log::table
        .filter(audit_log::action.eq("user.create"))
        .filter(audit_log::target_id.eq(wang.id))
        .select(audit_log::summary)
        .load(&mut conn)
        .expect("audit entries");
    assert_eq!(summaries.len(), 1, "{summaries:?}");
    assert!(!summaries[0].contains(password));
}

#[test]
fn user_add_refuses_bad_input_and_stores_nothing() {
    let env = Env::new();
    env.demo();
    let (users_before, audit_before) = {
        let mut conn = env.db().get().expect("connection");
        (count_users(&mut conn), count_audit(&mut conn))
    };
    let good = "a-good-password-1\n";
    let huge = "a".repeat(100 * 1024);
    let cases: &[(&str, &str, &str, &str, &[&str])] = &[
        ("wang", "boss", "gengjing", good, &["role", "boss"]),
        ("wang", "", "gengjing", good, &["role"]),
        ("wang", "clerk", "nowhere", good, &["nowhere"]),
        ("wang", "clerk", "", good, &["place"]),
        // Role and place of different levels.
        (
            "wang",
            "official",
            "gengjing",
            good,
            &["official", "gengjing"],
        ),
        ("wang", "clerk", "huanghelu", good, &["clerk", "huanghelu"]),
        ("wang", "admin", "gengjing", good, &["admin", "gengjing"]),
        ("wang", "clerk", "gengjing", "short-pw\n", &["12"]),
        ("wang", "clerk", "gengjing", "", &["password"]),
        ("wang", "clerk", "gengjing", "\n", &["password"]),
        ("wang", "clerk", "gengjing", &"x".repeat(200), &["128"]),
        ("clerk", "clerk", "gengjing", good, &["clerk"]),
        ("admin", "admin", "dongying", good, &["admin"]),
        (&huge, "clerk", "gengjing", good, &["username"]),
        ("王", "clerk", "gengjing", good, &["username"]),
        ("", "clerk", "gengjing", good, &["username"]),
    ];
    for (username, role, place_code, stdin, expected) in cases {
        let out = env.add_user(username, role, place_code, stdin);
        let line = out.fails_with(expected);
        assert!(
            !out.all().contains("a-good-password-1"),
            "the password is printed: {line}"
        );
    }
    // Nothing stored, nothing recorded.
    let mut conn = env.db().get().expect("connection");
    assert_eq!(count_users(&mut conn), users_before);
    assert_eq!(count_audit(&mut conn), audit_before);

    // On an empty database the place is unknown.
    let empty = Env::new();
    empty
        .add_user("wang", "clerk", "gengjing", good)
        .fails_with(&["gengjing"]);
}

#[test]
fn backup_writes_a_consistent_copy_and_never_overwrites() {
    let env = Env::new();
    env.demo();
    let file = env.path("backup.db");
    let out = env
        .run(&["backup", file.to_str().expect("utf-8 path")])
        .success();
    assert!(out.stdout.contains("backup.db"), "{}", out.stdout);
    assert!(file.is_file());

    {
        // A sound SQLite file...
        let mut raw =
            SqliteConnection::establish(file.to_str().expect("utf-8")).expect("open the backup");
        #[derive(QueryableByName)]
        struct Check {
            #[diesel(sql_type = diesel::sql_types::Text)]
            integrity_check: String,
        }
        let check: Vec<Check> = diesel::sql_query("PRAGMA integrity_check")
            .load(&mut raw)
            .expect("integrity check");
        assert_eq!(check.len(), 1);
        assert_eq!(check[0].integrity_check, "ok");
    }
    // ... holding the demo county.
    let copy = Database::open(&format!("sqlite://{}", file.display()), 1).expect("open the copy");
    let mut conn = copy.get().expect("connection");
    assert_demo_data(&mut conn, DEMO_PASSWORD);
    drop(conn);
    drop(copy);

    // An existing file is never overwritten.
    let precious = env.path("precious.db");
    std::fs::write(&precious, b"keep me").expect("write");
    env.run(&["backup", precious.to_str().expect("utf-8")])
        .fails_with(&["precious.db", "exists"]);
    assert_eq!(std::fs::read(&precious).expect("read"), b"keep me");
    env.run(&["backup", file.to_str().expect("utf-8")])
        .fails_with(&["backup.db"]);

    // A folder that is not there.
    let nowhere = env.path("no/such/folder/b.db");
    env.run(&["backup", nowhere.to_str().expect("utf-8")])
        .fails_with(&["backup"]);
    assert!(!nowhere.exists());
}

#[test]
fn serve_demo_answers_and_keeps_secrets_out_of_the_log() {
    let env = Env::new();
    let port = free_port();
    let mut cmd = env.command(&["serve", "--demo", "--bind", &format!("127.0.0.1:{port}")]);
    cmd.env("PORTAL_DEMO_PASSWORD", DEMO_PASSWORD)
        .env("RUST_LOG", "debug");
    let server = Server::start(cmd, port, env.dir.path(), "serve");

    let res = http(port, "GET", "/tv?stbid=STB0001", "", None);
    assert_eq!(res.status, 302, "{}", res.body);
    assert_eq!(res.header("location"), Some("/tv/v/gengjing"));
    // The demo's weather alert is shown first; then the village home.
    let home = http(port, "GET", "/tv/v/gengjing", "", None);
    assert_eq!(home.status, 302, "{}", home.body);
    let alert = home.header("location").expect("alert page").to_string();
    assert!(alert.starts_with("/tv/v/gengjing/alert/"), "{alert}");
    let page = http(port, "GET", &alert, "", None);
    assert_eq!(page.status, 200);
    // `<wbr>` marks where the TV may break the line.
    assert!(
        page.body.replace("<wbr>", "").contains("大风降温"),
        "{}",
        page.body
    );

    // The demo password signs in; a wrong one does not.
    let mut browser = Jar::default();
    let res = browser.login(port, "clerk", DEMO_PASSWORD);
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(res.header("location"), Some("/admin"));
    assert_eq!(browser.request(port, "GET", "/admin", None).status, 200);
    let mut stranger = Jar::default();
    let res = stranger.login(port, "admin", "wrong-password-42");
    assert_ne!(res.status, 303);
    let cookies: Vec<String> = browser.0.values().cloned().collect();

    let (stdout, stderr) = server.stop();
    assert_eq!(demo_counts(&stdout).1, 6, "{stdout}");
    assert!(stderr.contains("listening"), "{stderr}");
    let secret = {
        let mut conn = env.db().get().expect("connection");
        session_secret(&mut conn).expect("a generated session secret")
    };
    for (what, value) in [
        ("demo password", DEMO_PASSWORD),
        ("wrong password", "wrong-password-42"),
        ("session secret", secret.as_str()),
    ] {
        assert!(
            !stdout.contains(value) && !stderr.contains(value),
            "the {what} is in the output:\n{stdout}\n{stderr}"
        );
    }
    for cookie in cookies {
        assert!(
            !stderr.contains(&cookie),
            "a cookie is in the log:\n{stderr}"
        );
    }
}

#[test]
fn a_restart_keeps_the_session_secret_and_the_sessions() {
    let env = Env::new();
    let port = free_port();
    let bind = format!("127.0.0.1:{port}");
    let start = |name: &str| {
        let mut cmd = env.command(&["serve", "--demo", "--bind", &bind]);
        cmd.env("PORTAL_DEMO_PASSWORD", DEMO_PASSWORD);
        Server::start(cmd, port, env.dir.path(), name)
    };

    let first = start("first");
    let mut browser = Jar::default();
    assert_eq!(browser.login(port, "admin", DEMO_PASSWORD).status, 303);
    assert_eq!(browser.request(port, "GET", "/admin", None).status, 200);
    let (stdout, _) = first.stop();
    assert_eq!(demo_counts(&stdout).1, 6);
    let secret = {
        let mut conn = env.db().get().expect("connection");
        session_secret(&mut conn).expect("a generated session secret")
    };
    assert!(secret.len() >= 32);

    let second = start("second");
    // Still signed in with the cookie the first instance set.
    let res = browser.request(port, "GET", "/admin", None);
    assert_eq!(res.status, 200, "the session did not survive the restart");
    let (stdout, _) = second.stop();
    assert!(
        !stdout.contains("demo county loaded"),
        "--demo on a database with data loads nothing:\n{stdout}"
    );
    let mut conn = env.db().get().expect("connection");
    assert_eq!(session_secret(&mut conn).as_deref(), Some(secret.as_str()));
}

#[test]
fn config_file_is_honoured_and_checked() {
    let env = Env::new();
    let port = free_port();
    let db_file = env.path("from-config/portal.db");
    let config = env.path("portal.toml");
    std::fs::write(
        &config,
        format!(
            "bind = \"127.0.0.1:{port}\"\ndatabase_url = \"sqlite://{}\"\n",
            db_file.display()
        ),
    )
    .expect("write config");
    let config_arg = config.to_str().expect("utf-8");

    let mut cmd = env.command(&["--config", config_arg, "serve"]);
    cmd.env_remove("DATABASE_URL");
    let server = Server::start(cmd, port, env.dir.path(), "config");
    server.stop();
    assert!(db_file.is_file(), "the configured database is used");
    assert!(!env.db_file().exists());

    // `--config` also works after the subcommand; the environment wins over the file.
    env.run(&["migrate", "--config", config_arg]).success();
    assert!(env.db_file().is_file(), "DATABASE_URL overrides the file");

    // A typo is named.
    std::fs::write(env.path("typo.toml"), "bnid = \"127.0.0.1:1\"\n").expect("write");
    env.run(&[
        "--config",
        env.path("typo.toml").to_str().expect("utf-8"),
        "migrate",
    ])
    .fails_with(&["bnid", "typo.toml"]);
    // A bad value in the file is checked like the environment's.
    std::fs::write(env.path("bad.toml"), "bind = \"nowhere\"\n").expect("write");
    env.run(&[
        "--config",
        env.path("bad.toml").to_str().expect("utf-8"),
        "serve",
    ])
    .fails_with(&["bind address", "nowhere"]);
    // Not TOML at all, or not there.
    std::fs::write(env.path("junk.toml"), "this is = = not toml [[\n").expect("write");
    env.run(&[
        "--config",
        env.path("junk.toml").to_str().expect("utf-8"),
        "migrate",
    ])
    .fails_with(&["junk.toml"]);
    env.run(&[
        "--config",
        env.path("missing.toml").to_str().expect("utf-8"),
        "migrate",
    ])
    .fails_with(&["missing.toml"]);
}

/// The same commands against a fresh PostgreSQL database, when one is given.
#[cfg(feature = "postgres")]
#[test]
fn migrate_and_demo_on_postgres_are_idempotent() {
    if !crate::util::on_postgres() {
        return;
    }
    let (url, _guard) = crate::util::fresh_database();
    let env = Env::new();
    let with_url = [("DATABASE_URL", url.as_str())];
    env.run_with(&["migrate"], &with_url, None).success();
    env.run_with(&["migrate"], &with_url, None).success();

    let with_password = [
        ("DATABASE_URL", url.as_str()),
        ("PORTAL_DEMO_PASSWORD", DEMO_PASSWORD),
    ];
    let out = env.run_with(&["demo"], &with_password, None).success();
    assert_eq!(demo_counts(&out.stdout).1, 6, "{}", out.stdout);
    let again = env.run_with(&["demo"], &with_password, None).success();
    assert_eq!(demo_counts(&again.stdout), (0, 0, 0));

    let mut cmd = env.command(&[
        "user",
        "add",
        "--username",
        "wang",
        "--role",
        "clerk",
        "--place",
        "gengjing",
    ]);
    cmd.env("DATABASE_URL", &url);
    run_command(cmd, Some("wang-secret-pass-1\n"), RUN_TIMEOUT).success();

    // Backup is for SQLite; on PostgreSQL it says so.
    let file = env.path("pg-backup.db");
    let mut cmd = env.command(&["backup", file.to_str().expect("utf-8")]);
    cmd.env("DATABASE_URL", &url);
    run_command(cmd, None, RUN_TIMEOUT).fails_with(&["pg_dump"]);
    assert!(!file.exists());

    let db = Database::open(&url, 1).expect("open the PostgreSQL database");
    let mut conn = db.get().expect("connection");
    assert_demo_data(&mut conn, DEMO_PASSWORD);
    assert_eq!(count_users(&mut conn), 7);
    assert_eq!(user(&mut conn, "wang").role, "clerk");
    assert!(matches!(&*conn, DbConn::Pg(_)));
    drop(conn);
    drop(db);
    // Nothing was written to the SQLite default.
    assert!(env.files().is_empty(), "created {:?}", env.files());
}
