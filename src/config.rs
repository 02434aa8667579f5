//! Settings: defaults, then an optional TOML file, then `PORTAL_*` / `DATABASE_URL`
//! environment variables. Validated once at start; passed around in `AppState`.
//!
//! Each setting is declared once, in the `settings!` table below: its field
//! and type, its default, its environment variable (the TOML key is the
//! field's name) and its doc.

use std::net::SocketAddr;
use std::path::Path;

use chrono::FixedOffset;
use serde::Deserialize;

/// A setting's value read from an environment variable.
trait FromEnv: Sized {
    fn from_env(text: &str) -> Option<Self>;
}

impl FromEnv for String {
    fn from_env(text: &str) -> Option<Self> {
        Some(text.to_string())
    }
}

impl FromEnv for Option<String> {
    fn from_env(text: &str) -> Option<Self> {
        Some(Some(text.to_string()))
    }
}

macro_rules! from_env_by_parse {
    ($($ty:ty),*) => {$(
        impl FromEnv for $ty {
            fn from_env(text: &str) -> Option<Self> {
                text.trim().parse().ok()
            }
        }
    )*};
}
from_env_by_parse!(bool, i64, u32, u64, usize, f64);

macro_rules! settings {
    (
        $( $(#[doc = $doc:literal])* $field:ident: $ty:ty = $default:expr, $env:literal; )*
        @health { $( $hkey:ident => $hname:literal ),* $(,)? }
    ) => {
        #[derive(Debug, Clone)]
        pub struct Config {
            $( $(#[doc = $doc])* pub $field: $ty, )*
            /// Health flag thresholds (`health_*` keys, `PORTAL_HEALTH_*` variables).
            pub health: crate::health::Thresholds,
        }

        impl Default for Config {
            fn default() -> Self {
                Config {
                    $( $field: $default, )*
                    health: crate::health::Thresholds::default(),
                }
            }
        }

        /// The TOML file: every key optional, unknown keys refused (typos surface).
        #[derive(Debug, Default, Deserialize)]
        #[serde(deny_unknown_fields)]
        struct FileConfig {
            $( $field: Option<$ty>, )*
            // One key per `Thresholds` field (a test checks the lists agree).
            $( $hkey: Option<f64>, )*
        }

        impl FileConfig {
            fn apply(self, c: &mut Config) {
                $( if let Some(v) = self.$field { c.$field = v; } )*
                $( if let Some(v) = self.$hkey { c.health.set($hname, v); } )*
            }
        }

        /// Sets what the environment sets; the message names the variable.
        fn apply_env(c: &mut Config, text: &impl Fn(&str) -> Option<String>) -> Result<(), String> {
            $(
                if let Some(v) = text($env) {
                    c.$field = FromEnv::from_env(&v)
                        .ok_or_else(|| format!("{} has an invalid value '{v}'", $env))?;
                }
            )*
            Ok(())
        }
    };
}

settings! {
    database_url: String = "sqlite://data/portal.db".into(), "DATABASE_URL";
    bind: String = "127.0.0.1:8080".into(), "PORTAL_BIND";
    /// Cookie signing key material; generated and stored in the database when unset.
    secret: Option<String> = None, "PORTAL_SECRET";
    /// Mark the session cookie `Secure` (set when served over HTTPS).
    secure_cookies: bool = false, "PORTAL_SECURE_COOKIES";
    session_idle_minutes: i64 = 30, "PORTAL_SESSION_IDLE_MINUTES";
    /// Offset the deployment shows times in, e.g. `+08:00`.
    utc_offset: String = "+08:00".into(), "PORTAL_UTC_OFFSET";
    db_pool_size: u32 = 8, "PORTAL_DB_POOL_SIZE";
    demo_password: Option<String> = None, "PORTAL_DEMO_PASSWORD";
    demo_token: Option<String> = None, "PORTAL_DEMO_TOKEN";
    /// Sign-in throttling: failures per username.
    login_max_failures_user: i64 = 5, "PORTAL_LOGIN_MAX_FAILURES_USER";
    /// Sign-in throttling: failures per client address.
    login_max_failures_ip: i64 = 20, "PORTAL_LOGIN_MAX_FAILURES_IP";
    /// Sign-in throttling: the window the failures count in.
    login_window_minutes: i64 = 15, "PORTAL_LOGIN_WINDOW_MINUTES";
    /// Take the client address from `X-Forwarded-For` (only behind a trusted proxy).
    trust_proxy: bool = false, "PORTAL_TRUST_PROXY";
    /// How many proxies of one's own stand in front (each appends to
    /// `X-Forwarded-For`); the client is the entry this far from the right.
    trusted_proxy_hops: u32 = 1, "PORTAL_TRUSTED_PROXY_HOPS";
    /// Largest accepted form or JSON body, in bytes.
    max_body_bytes: usize = 1024 * 1024, "PORTAL_MAX_BODY_BYTES";
    /// The ffmpeg program (a name on PATH or a path).
    ffmpeg: String = "ffmpeg".into(), "PORTAL_FFMPEG";
    /// How often each branch meeting is due (`crate::roster::rhythm`):
    /// `congress=quarter,committee=month,...`.
    meeting_rhythm: String = crate::roster::rhythm::DEFAULT_RHYTHM.into(), "PORTAL_MEETING_RHYTHM";
    /// A TOML file with what villagers may report from the TV (categories,
    /// reasons, time limits); unset: the built-in `src/voice/catalog.toml`.
    voice_catalog: Option<String> = None, "PORTAL_VOICE_CATALOG";
    /// Requests one household may file from the TV in a day.
    voice_daily_limit: i64 = 5, "PORTAL_VOICE_DAILY_LIMIT";
    /// Seconds between two pictures of a camera.
    camera_interval_seconds: u64 = 30, "PORTAL_CAMERA_INTERVAL_SECONDS";
    /// Live camera streams at once in the deployment; past it boxes get
    /// the refreshing picture.
    camera_max_live: usize = 8, "PORTAL_CAMERA_MAX_LIVE";
    /// A live stream stops this long after the last box asked for it.
    camera_live_idle_seconds: u64 = 30, "PORTAL_CAMERA_LIVE_IDLE_SECONDS";
    /// Run the background camera worker in this process.
    camera_worker: bool = true, "PORTAL_CAMERA_WORKER";
    /// Largest lecture video a clerk may upload, in bytes.
    max_video_bytes: usize = 500 * 1024 * 1024, "PORTAL_MAX_VIDEO_BYTES";
    /// Seconds before a failed webhook delivery is tried again; doubles
    /// after each failure, at most an hour.
    webhook_retry_seconds: u64 = 30, "PORTAL_WEBHOOK_RETRY_SECONDS";
    /// Tries of a webhook delivery before it is marked failed.
    webhook_max_attempts: u32 = 8, "PORTAL_WEBHOOK_MAX_ATTEMPTS";
    @health {
        health_bp_high_systolic => "bp_high_systolic",
        health_bp_high_diastolic => "bp_high_diastolic",
        health_bp_very_high_systolic => "bp_very_high_systolic",
        health_bp_very_high_diastolic => "bp_very_high_diastolic",
        health_bp_low_systolic => "bp_low_systolic",
        health_bp_low_diastolic => "bp_low_diastolic",
        health_glucose_low => "glucose_low",
        health_glucose_high => "glucose_high",
        health_glucose_very_high => "glucose_very_high",
        health_bmi_low => "bmi_low",
        health_bmi_high => "bmi_high",
        health_bmi_very_high => "bmi_very_high",
        health_heart_rate_low => "heart_rate_low",
        health_heart_rate_high => "heart_rate_high",
        health_heart_rate_very_high => "heart_rate_very_high",
        health_spo2_low => "spo2_low",
        health_temperature_low => "temperature_low",
        health_temperature_high => "temperature_high",
        health_temperature_very_high => "temperature_very_high",
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
            f.apply(&mut c);
        }
        let text = |key: &str| env(key).filter(|v| !v.is_empty());
        apply_env(&mut c, &text)?;
        for key in crate::health::Thresholds::KEYS {
            let var = format!("PORTAL_HEALTH_{}", key.to_ascii_uppercase());
            if let Some(v) = text(&var) {
                let value =
                    f64::from_env(&v).ok_or_else(|| format!("{var} has an invalid value '{v}'"))?;
                c.health.set(key, value);
            }
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
        crate::voice::Catalog::load(self.voice_catalog.as_deref())?;
        if !(1..=50).contains(&self.voice_daily_limit) {
            return Err("voice daily limit must be between 1 and 50 requests".into());
        }
        if !(1..=3600).contains(&self.webhook_retry_seconds) {
            return Err("webhook retry time must be between 1 and 3600 seconds".into());
        }
        if !(1..=50).contains(&self.webhook_max_attempts) {
            return Err("webhook max attempts must be between 1 and 50".into());
        }
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
