//! Settings: defaults, then an optional TOML file, then `PORTAL_*` / `DATABASE_URL`
//! environment variables. Validated once at start; passed around in `AppState`.

use std::net::SocketAddr;
use std::path::Path;

use chrono::FixedOffset;
use serde::Deserialize;

#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    pub bind: String,
    /// Cookie signing key material; generated and stored in the database when unset.
    pub secret: Option<String>,
    /// Mark the session cookie `Secure` (set when served over HTTPS).
    pub secure_cookies: bool,
    pub session_idle_minutes: i64,
    /// Offset the deployment shows times in, e.g. `+08:00`.
    pub utc_offset: String,
    pub db_pool_size: u32,
    pub demo_password: Option<String>,
    pub demo_token: Option<String>,
    /// Sign-in throttling: failures per username, per client address, and the window.
    pub login_max_failures_user: i64,
    pub login_max_failures_ip: i64,
    pub login_window_minutes: i64,
    /// Take the client address from `X-Forwarded-For` (only behind a trusted proxy).
    pub trust_proxy: bool,
    /// How many proxies of one's own stand in front (each appends to
    /// `X-Forwarded-For`); the client is the entry this far from the right.
    pub trusted_proxy_hops: u32,
    /// Largest accepted form or JSON body, in bytes.
    pub max_body_bytes: usize,
    /// Health flag thresholds (`health_*` keys, `PORTAL_HEALTH_*` variables).
    pub health: crate::health::Thresholds,
    /// The ffmpeg program (a name on PATH or a path).
    pub ffmpeg: String,
    /// How often each branch meeting is due (`crate::roster::rhythm`):
    /// `congress=quarter,committee=month,...`.
    pub meeting_rhythm: String,
    /// Seconds between two pictures of a camera.
    pub camera_interval_seconds: u64,
    /// Live camera streams at once in the deployment; past it boxes get
    /// the refreshing picture.
    pub camera_max_live: usize,
    /// A live stream stops this long after the last box asked for it.
    pub camera_live_idle_seconds: u64,
    /// Run the background camera worker in this process.
    pub camera_worker: bool,
    /// Largest lecture video a clerk may upload, in bytes.
    pub max_video_bytes: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            database_url: "sqlite://data/portal.db".into(),
            bind: "127.0.0.1:8080".into(),
            secret: None,
            secure_cookies: false,
            session_idle_minutes: 30,
            utc_offset: "+08:00".into(),
            db_pool_size: 8,
            demo_password: None,
            demo_token: None,
            login_max_failures_user: 5,
            login_max_failures_ip: 20,
            login_window_minutes: 15,
            trust_proxy: false,
            trusted_proxy_hops: 1,
            max_body_bytes: 1024 * 1024,
            health: crate::health::Thresholds::default(),
            ffmpeg: "ffmpeg".into(),
            meeting_rhythm: crate::roster::rhythm::DEFAULT_RHYTHM.into(),
            camera_interval_seconds: 30,
            camera_max_live: 8,
            camera_live_idle_seconds: 30,
            camera_worker: true,
            max_video_bytes: 500 * 1024 * 1024,
        }
    }
}

/// The TOML file: every key optional, unknown keys refused (typos surface).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    database_url: Option<String>,
    bind: Option<String>,
    secret: Option<String>,
    secure_cookies: Option<bool>,
    session_idle_minutes: Option<i64>,
    utc_offset: Option<String>,
    db_pool_size: Option<u32>,
    demo_password: Option<String>,
    demo_token: Option<String>,
    login_max_failures_user: Option<i64>,
    login_max_failures_ip: Option<i64>,
    login_window_minutes: Option<i64>,
    trust_proxy: Option<bool>,
    trusted_proxy_hops: Option<u32>,
    max_body_bytes: Option<usize>,
    ffmpeg: Option<String>,
    meeting_rhythm: Option<String>,
    camera_interval_seconds: Option<u64>,
    camera_max_live: Option<usize>,
    camera_live_idle_seconds: Option<u64>,
    camera_worker: Option<bool>,
    max_video_bytes: Option<usize>,
    // Health thresholds: one key per `Thresholds` field, listed for
    // `deny_unknown_fields` (a test checks the two lists agree).
    health_bp_high_systolic: Option<f64>,
    health_bp_high_diastolic: Option<f64>,
    health_bp_very_high_systolic: Option<f64>,
    health_bp_very_high_diastolic: Option<f64>,
    health_bp_low_systolic: Option<f64>,
    health_bp_low_diastolic: Option<f64>,
    health_glucose_low: Option<f64>,
    health_glucose_high: Option<f64>,
    health_glucose_very_high: Option<f64>,
    health_bmi_low: Option<f64>,
    health_bmi_high: Option<f64>,
    health_bmi_very_high: Option<f64>,
    health_heart_rate_low: Option<f64>,
    health_heart_rate_high: Option<f64>,
    health_heart_rate_very_high: Option<f64>,
    health_spo2_low: Option<f64>,
    health_temperature_low: Option<f64>,
    health_temperature_high: Option<f64>,
    health_temperature_very_high: Option<f64>,
}

impl FileConfig {
    /// The `health_*` values the file sets, by threshold name.
    fn health(&self) -> Vec<(&'static str, f64)> {
        macro_rules! pairs {
            ($($key:literal => $field:ident),*) => {
                [$( ($key, self.$field) ),*].into_iter().filter_map(|(k, v)| v.map(|v| (k, v))).collect()
            };
        }
        pairs!(
            "bp_high_systolic" => health_bp_high_systolic,
            "bp_high_diastolic" => health_bp_high_diastolic,
            "bp_very_high_systolic" => health_bp_very_high_systolic,
            "bp_very_high_diastolic" => health_bp_very_high_diastolic,
            "bp_low_systolic" => health_bp_low_systolic,
            "bp_low_diastolic" => health_bp_low_diastolic,
            "glucose_low" => health_glucose_low,
            "glucose_high" => health_glucose_high,
            "glucose_very_high" => health_glucose_very_high,
            "bmi_low" => health_bmi_low,
            "bmi_high" => health_bmi_high,
            "bmi_very_high" => health_bmi_very_high,
            "heart_rate_low" => health_heart_rate_low,
            "heart_rate_high" => health_heart_rate_high,
            "heart_rate_very_high" => health_heart_rate_very_high,
            "spo2_low" => health_spo2_low,
            "temperature_low" => health_temperature_low,
            "temperature_high" => health_temperature_high,
            "temperature_very_high" => health_temperature_very_high
        )
    }
}

impl Config {
    /// Loads from the optional TOML file and the process environment.
    pub fn load(file: Option<&Path>) -> Result<Config, String> {
        Self::load_from(file, |key| std::env::var(key).ok())
    }

    /// Same as `load`, reading variables through `env` (tests pass a map).
    pub fn load_from(
        file: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, String> {
        let mut c = Config::default();
        if let Some(path) = file {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read config file {}: {e}", path.display()))?;
            let f: FileConfig = toml::from_str(&text).map_err(|e| {
                format!("config file {}: {}", path.display(), toml_error(&text, &e))
            })?;
            for (key, value) in f.health() {
                c.health.set(key, value);
            }
            macro_rules! take {
                ($($field:ident),*) => { $( if let Some(v) = f.$field { c.$field = v; } )* };
            }
            take!(
                database_url,
                bind,
                secure_cookies,
                session_idle_minutes,
                utc_offset,
                db_pool_size,
                login_max_failures_user,
                login_max_failures_ip,
                login_window_minutes,
                trust_proxy,
                trusted_proxy_hops,
                max_body_bytes,
                ffmpeg,
                meeting_rhythm,
                camera_interval_seconds,
                camera_max_live,
                camera_live_idle_seconds,
                camera_worker,
                max_video_bytes
            );
            c.secret = f.secret.or(c.secret);
            c.demo_password = f.demo_password.or(c.demo_password);
            c.demo_token = f.demo_token.or(c.demo_token);
        }
        let text = |key: &str| env(key).filter(|v| !v.is_empty());
        if let Some(v) = text("DATABASE_URL") {
            c.database_url = v;
        }
        if let Some(v) = text("PORTAL_BIND") {
            c.bind = v;
        }
        if let Some(v) = text("PORTAL_SECRET") {
            c.secret = Some(v);
        }
        if let Some(v) = text("PORTAL_UTC_OFFSET") {
            c.utc_offset = v;
        }
        if let Some(v) = text("PORTAL_DEMO_PASSWORD") {
            c.demo_password = Some(v);
        }
        if let Some(v) = text("PORTAL_DEMO_TOKEN") {
            c.demo_token = Some(v);
        }
        parse_env(&text, "PORTAL_SECURE_COOKIES", &mut c.secure_cookies)?;
        parse_env(&text, "PORTAL_TRUST_PROXY", &mut c.trust_proxy)?;
        parse_env(
            &text,
            "PORTAL_TRUSTED_PROXY_HOPS",
            &mut c.trusted_proxy_hops,
        )?;
        parse_env(
            &text,
            "PORTAL_SESSION_IDLE_MINUTES",
            &mut c.session_idle_minutes,
        )?;
        parse_env(&text, "PORTAL_DB_POOL_SIZE", &mut c.db_pool_size)?;
        parse_env(
            &text,
            "PORTAL_LOGIN_MAX_FAILURES_USER",
            &mut c.login_max_failures_user,
        )?;
        parse_env(
            &text,
            "PORTAL_LOGIN_MAX_FAILURES_IP",
            &mut c.login_max_failures_ip,
        )?;
        parse_env(
            &text,
            "PORTAL_LOGIN_WINDOW_MINUTES",
            &mut c.login_window_minutes,
        )?;
        parse_env(&text, "PORTAL_MAX_BODY_BYTES", &mut c.max_body_bytes)?;
        if let Some(v) = text("PORTAL_FFMPEG") {
            c.ffmpeg = v;
        }
        if let Some(v) = text("PORTAL_MEETING_RHYTHM") {
            c.meeting_rhythm = v;
        }
        parse_env(
            &text,
            "PORTAL_CAMERA_INTERVAL_SECONDS",
            &mut c.camera_interval_seconds,
        )?;
        parse_env(&text, "PORTAL_CAMERA_MAX_LIVE", &mut c.camera_max_live)?;
        parse_env(
            &text,
            "PORTAL_CAMERA_LIVE_IDLE_SECONDS",
            &mut c.camera_live_idle_seconds,
        )?;
        parse_env(&text, "PORTAL_CAMERA_WORKER", &mut c.camera_worker)?;
        parse_env(&text, "PORTAL_MAX_VIDEO_BYTES", &mut c.max_video_bytes)?;
        for key in crate::health::Thresholds::KEYS {
            let var = format!("PORTAL_HEALTH_{}", key.to_ascii_uppercase());
            let mut value = c.health.get(key).unwrap_or_default();
            parse_env(&text, &var, &mut value)?;
            c.health.set(key, value);
        }
        c.validate()?;
        Ok(c)
    }

    /// Checks every setting; the message names the setting and what is wrong.
    pub fn validate(&self) -> Result<(), String> {
        crate::db::DbUrl::parse(&self.database_url)?;
        self.bind.parse::<SocketAddr>().map_err(|_| {
            format!(
                "bind address '{}' is not HOST:PORT (e.g. 127.0.0.1:8080)",
                self.bind
            )
        })?;
        if let Some(secret) = &self.secret {
            if secret.len() < 32 {
                return Err("PORTAL_SECRET must be at least 32 characters".into());
            }
        }
        self.offset()?;
        if !(1..=24 * 60).contains(&self.session_idle_minutes) {
            return Err("session idle timeout must be between 1 and 1440 minutes".into());
        }
        if !(1..=64).contains(&self.db_pool_size) {
            return Err("database pool size must be between 1 and 64".into());
        }
        if self.login_max_failures_user < 1
            || self.login_max_failures_ip < 1
            || self.login_window_minutes < 1
        {
            return Err("sign-in throttling limits must be at least 1".into());
        }
        if !(1..=8).contains(&self.trusted_proxy_hops) {
            return Err("trusted proxy hops must be between 1 and 8".into());
        }
        if self.max_body_bytes < 1024 {
            return Err("max body size must be at least 1024 bytes".into());
        }
        self.health.validate()?;
        if !(5..=3600).contains(&self.camera_interval_seconds) {
            return Err("camera interval must be between 5 and 3600 seconds".into());
        }
        if self.camera_max_live > 256 {
            return Err("camera max live streams must be at most 256".into());
        }
        if !(5..=3600).contains(&self.camera_live_idle_seconds) {
            return Err("camera live idle time must be between 5 and 3600 seconds".into());
        }
        if self.ffmpeg.trim().is_empty() {
            return Err("ffmpeg program must not be empty".into());
        }
        crate::roster::rhythm::Rhythm::parse(&self.meeting_rhythm)?;
        if let Some(p) = &self.demo_password {
            crate::users::check_password_rules(p)
                .map_err(|e| format!("PORTAL_DEMO_PASSWORD: {e}"))?;
        }
        Ok(())
    }

    /// The deployment's UTC offset, parsed from `+HH:MM`.
    pub fn offset(&self) -> Result<FixedOffset, String> {
        parse_offset(&self.utc_offset)
            .ok_or_else(|| format!("UTC offset '{}' is not like +08:00", self.utc_offset))
    }
}

/// A TOML error on one line: `line L: message` (the parser's own text spans
/// several lines with a source excerpt).
fn toml_error(text: &str, e: &toml::de::Error) -> String {
    let mut message = e.message().split_whitespace().collect::<Vec<_>>().join(" ");
    // serde lists every known key after an unknown one: too long for one line.
    if let Some((head, _)) = message.split_once(", expected one of ") {
        message = format!("{head} (the settings are listed in README, Configuration)");
    }
    match e.span() {
        Some(span) => {
            let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
            format!("line {line}: {message}")
        }
        None => message,
    }
}

fn parse_env<T: std::str::FromStr>(
    text: &impl Fn(&str) -> Option<String>,
    key: &str,
    slot: &mut T,
) -> Result<(), String> {
    if let Some(v) = text(key) {
        *slot = v
            .trim()
            .parse()
            .map_err(|_| format!("{key} has an invalid value '{v}'"))?;
    }
    Ok(())
}

fn parse_offset(s: &str) -> Option<FixedOffset> {
    let s = s.trim();
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let (h, m) = rest.split_once(':')?;
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    if h > 14 || m > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(vars: &[(&str, &str)]) -> Result<Config, String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::load_from(None, |k| map.get(k).cloned())
    }

    #[test]
    fn defaults_are_valid() {
        let c = load(&[]).unwrap();
        assert_eq!(c.bind, "127.0.0.1:8080");
        assert_eq!(c.database_url, "sqlite://data/portal.db");
        assert_eq!(c.offset().unwrap().local_minus_utc(), 8 * 3600);
    }

    #[test]
    fn env_overrides_and_validation() {
        let c = load(&[
            ("PORTAL_BIND", "0.0.0.0:9000"),
            ("PORTAL_SESSION_IDLE_MINUTES", "10"),
        ])
        .unwrap();
        assert_eq!(c.bind, "0.0.0.0:9000");
        assert_eq!(c.session_idle_minutes, 10);
        assert!(load(&[("PORTAL_BIND", "nonsense")])
            .unwrap_err()
            .contains("bind address"));
        assert!(load(&[("PORTAL_SESSION_IDLE_MINUTES", "abc")])
            .unwrap_err()
            .contains("PORTAL_SESSION_IDLE_MINUTES"));
        assert!(load(&[("DATABASE_URL", "mysql://x/y")])
            .unwrap_err()
            .contains("unknown scheme"));
        assert!(load(&[("PORTAL_SECRET", "short")]).is_err());
        assert!(load(&[("PORTAL_UTC_OFFSET", "8")]).is_err());
        assert!(load(&[("PORTAL_DEMO_PASSWORD", "short")]).is_err());
    }

    #[test]
    fn toml_file_is_read_and_typos_refused() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("good.toml");
        std::fs::write(
            &good,
            "bind = \"127.0.0.1:9999\"\nsession_idle_minutes = 5\n",
        )
        .unwrap();
        let c = Config::load_from(Some(&good), |_| None).unwrap();
        assert_eq!(c.bind, "127.0.0.1:9999");
        assert_eq!(c.session_idle_minutes, 5);
        let env_wins = Config::load_from(Some(&good), |k| {
            (k == "PORTAL_BIND").then(|| "127.0.0.1:1".to_string())
        })
        .unwrap();
        assert_eq!(env_wins.bind, "127.0.0.1:1");
        let typo = dir.path().join("typo.toml");
        std::fs::write(&typo, "bind = \"x:1\"\n\nbnid = \"x\"\n").unwrap();
        let err = Config::load_from(Some(&typo), |_| None).unwrap_err();
        assert!(err.contains("line 3: unknown field `bnid`"), "{err}");
        assert!(!err.contains('\n'), "one line: {err}");
    }

    #[test]
    fn health_thresholds_from_file_and_env() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("h.toml");
        let mut text = String::new();
        for (i, key) in crate::health::Thresholds::KEYS.iter().enumerate() {
            // Every key the file may carry is listed in FileConfig.
            text.push_str(&format!("health_{key} = {}\n", 1000.0 + i as f64));
        }
        std::fs::write(&file, &text).unwrap();
        let err = Config::load_from(Some(&file), |_| None).unwrap_err();
        assert!(err.starts_with("health_"), "{err}");
        std::fs::write(&file, "health_glucose_high = 6.5\n").unwrap();
        let c = Config::load_from(Some(&file), |k| {
            (k == "PORTAL_HEALTH_BP_HIGH_SYSTOLIC").then(|| "135".to_string())
        })
        .unwrap();
        assert_eq!(c.health.glucose_high, 6.5);
        assert_eq!(c.health.bp_high_systolic, 135.0);
        assert!(load(&[("PORTAL_HEALTH_SPO2_LOW", "abc")])
            .unwrap_err()
            .contains("PORTAL_HEALTH_SPO2_LOW"));
        assert!(load(&[("PORTAL_HEALTH_GLUCOSE_HIGH", "9")])
            .unwrap_err()
            .contains("health_glucose_high"));
    }

    #[test]
    fn offsets() {
        assert_eq!(
            parse_offset("-05:30").unwrap().local_minus_utc(),
            -(5 * 3600 + 30 * 60)
        );
        assert!(parse_offset("+25:00").is_none());
        assert!(parse_offset("08:00").is_none());
    }
}
