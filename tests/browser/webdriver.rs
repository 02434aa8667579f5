//! A minimal W3C WebDriver client for the browser tests: JSON over HTTP/1.1
//! on a plain `TcpStream` to a `chromedriver` this module starts, driving
//! Chromium headless at 1280x720. Just what the tests use: open an address,
//! press keys (Actions API), run a script, take a screenshot.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{json, Value};

/// Screen size of a set-top box (shared/TV.md).
pub const WIDTH: u32 = 1280;
pub const HEIGHT: u32 = 720;

/// WebDriver key codes (W3C "Keyboard actions"); Chrome gives them the
/// usual DOM `keyCode`s: ArrowLeft 37, Up 38, Right 39, Down 40, Enter 13,
/// Backspace 8, Tab 9, PageDown 34.
pub mod key {
    pub const LEFT: &str = "\u{E012}";
    pub const UP: &str = "\u{E013}";
    pub const RIGHT: &str = "\u{E014}";
    pub const DOWN: &str = "\u{E015}";
    pub const ENTER: &str = "\u{E007}";
    pub const BACKSPACE: &str = "\u{E003}";
    pub const TAB: &str = "\u{E004}";
    pub const PAGE_DOWN: &str = "\u{E00F}";
}

/// The first of `names` found in `PATH` (or as given, when absolute).
pub fn find_program(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    names.iter().find_map(|name| {
        let p = Path::new(name);
        if p.is_absolute() {
            return p.is_file().then(|| p.to_path_buf());
        }
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|full| full.is_file())
    })
}

fn free_port() -> Result<u16, String> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    Ok(l.local_addr().map_err(|e| e.to_string())?.port())
}

/// One request to chromedriver; the answer's `value`, or its error message.
fn call(port: u16, method: &str, path: &str, body: Option<&Value>) -> Result<Value, String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))
        .map_err(|e| format!("chromedriver on port {port}: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .map_err(|e| e.to_string())?;
    let payload = body.map(Value::to_string).unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\
         Content-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{payload}",
        payload.len()
    );
    stream
        .write_all(request.as_bytes())
        .map_err(|e| format!("{method} {path}: {e}"))?;
    // chromedriver may keep the connection open: read the header, then
    // exactly the body it announces.
    let mut reader = BufReader::new(stream);
    let mut head = String::new();
    loop {
        let mut line = String::new();
        let n = reader
            .read_line(&mut line)
            .map_err(|e| format!("{method} {path}: reading the answer: {e}"))?;
        if n == 0 || line == "\r\n" {
            break;
        }
        head.push_str(&line.to_ascii_lowercase());
    }
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("{method} {path}: bad status line in {head:?}"))?;
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok());
    let mut body = Vec::new();
    let read = match length {
        Some(n) => {
            body.resize(n, 0);
            reader.read_exact(&mut body)
        }
        None if head.contains("transfer-encoding: chunked") => read_chunked(&mut reader, &mut body),
        None => reader.read_to_end(&mut body).map(drop),
    };
    read.map_err(|e| format!("{method} {path}: reading the body: {e}"))?;
    let json: Value = serde_json::from_slice(&body).map_err(|e| {
        format!(
            "{method} {path}: answer is not JSON ({e}): {}",
            String::from_utf8_lossy(&body)
        )
    })?;
    let value = json.get("value").cloned().unwrap_or(Value::Null);
    if status >= 400 {
        return Err(format!(
            "{method} {path} -> {status} {}: {}",
            value["error"].as_str().unwrap_or("?"),
            value["message"].as_str().unwrap_or("")
        ));
    }
    Ok(value)
}

/// Reads a `Transfer-Encoding: chunked` body.
fn read_chunked(reader: &mut impl BufRead, out: &mut Vec<u8>) -> std::io::Result<()> {
    loop {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let size = usize::from_str_radix(line.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        let mut chunk = vec![0; size + 2];
        reader.read_exact(&mut chunk)?;
        if size == 0 {
            return Ok(());
        }
        out.extend_from_slice(&chunk[..size]);
    }
}

/// A chromedriver process and one Chromium session in it. Dropping it ends
/// the session (Chromium quits) and then kills chromedriver.
pub struct Browser {
    driver: Child,
    port: u16,
    session: String,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium at 1280x720, with
    /// JavaScript on or off.
    pub fn start(
        chromedriver: &Path,
        chromium: &Path,
        javascript: bool,
    ) -> Result<Browser, String> {
        let port = free_port()?;
        let driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", chromedriver.display()))?;
        let profile = tempfile::tempdir().map_err(|e| format!("profile dir: {e}"))?;
        // From here on `Drop` cleans up, even when the session fails to start.
        let mut browser = Browser {
            driver,
            port,
            session: String::new(),
            _profile: profile,
        };
        let started = Instant::now();
        while call(port, "GET", "/status", None).is_err() {
            if started.elapsed() > Duration::from_secs(15) {
                return Err(format!(
                    "chromedriver did not answer on port {port} within 15 s"
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let mut options = json!({
            "binary": chromium.display().to_string(),
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                // Back reloads the page, as on a set-top box: focus must
                // come back through `#f=`, not from a cached page.
                "--disable-features=BackForwardCache",
                format!("--window-size={WIDTH},{HEIGHT}"),
                format!("--user-data-dir={}", browser._profile.path().display()),
            ],
        });
        if !javascript {
            // What a box without scripting does: the page's scripts never run
            // (WebDriver's own scripts still do, to look at the page).
            options["prefs"] = json!({ "profile.managed_default_content_settings.javascript": 2 });
        }
        let caps = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": options,
        }}});
        let session = call(port, "POST", "/session", Some(&caps))
            .map_err(|e| format!("cannot start Chromium ({}): {e}", chromium.display()))?;
        browser.session = session["sessionId"]
            .as_str()
            .ok_or_else(|| format!("no sessionId in {session}"))?
            .to_string();
        // The viewport, not the window, must be exactly the TV's screen.
        browser.cmd(
            "POST",
            "/goog/cdp/execute",
            json!({ "cmd": "Emulation.setDeviceMetricsOverride", "params": {
                "width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": false,
            }}),
        );
        Ok(browser)
    }

    /// Sets the viewport to another screen (an SD box's 720x576).
    #[track_caller]
    pub fn resize(&self, width: u32, height: u32) {
        self.cmd(
            "POST",
            "/goog/cdp/execute",
            json!({ "cmd": "Emulation.setDeviceMetricsOverride", "params": {
                "width": width, "height": height, "deviceScaleFactor": 1, "mobile": false,
            }}),
        );
    }

    /// A command of this session; panics with the driver's message on error.
    #[track_caller]
    pub fn cmd(&self, method: &str, path: &str, body: Value) -> Value {
        let body = (method != "GET").then_some(&body);
        call(
            self.port,
            method,
            &format!("/session/{}{path}", self.session),
            body,
        )
        .unwrap_or_else(|e| panic!("WebDriver: {e}"))
    }

    /// Opens an address and waits for it to load.
    #[track_caller]
    pub fn go(&self, url: &str) {
        self.cmd("POST", "/url", json!({ "url": url }));
    }

    /// Runs `script` (a function body; `arguments[i]` are `args`) in the page.
    #[track_caller]
    pub fn exec(&self, script: &str, args: Value) -> Value {
        self.cmd(
            "POST",
            "/execute/sync",
            json!({ "script": script, "args": args }),
        )
    }

    /// Presses and releases each key in turn, as a remote control does.
    #[track_caller]
    pub fn press(&self, keys: &[&str]) {
        let actions: Vec<Value> = keys
            .iter()
            .flat_map(|k| {
                [
                    json!({ "type": "keyDown", "value": k }),
                    json!({ "type": "keyUp", "value": k }),
                ]
            })
            .collect();
        self.cmd(
            "POST",
            "/actions",
            json!({ "actions": [{ "type": "key", "id": "remote", "actions": actions }] }),
        );
    }

    /// Saves a PNG of the screen.
    #[track_caller]
    pub fn screenshot(&self, path: &Path) {
        let b64 = self.cmd("GET", "/screenshot", Value::Null);
        let png = base64::engine::general_purpose::STANDARD
            .decode(b64.as_str().unwrap_or_default())
            .expect("the screenshot is base64");
        assert!(png.starts_with(b"\x89PNG"), "the screenshot is not a PNG");
        std::fs::write(path, png)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = call(
                self.port,
                "DELETE",
                &format!("/session/{}", self.session),
                None,
            );
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
