//! Where a camera's picture comes from. Addresses often carry a user and
//! password (`rtsp://admin:pass@10.0.0.5/...`), so a [`Source`] is stored
//! sealed (`crate::crypto::Keys`), is never formatted into a page, a log line
//! or the audit log, and its `Debug` shows only which kinds are set.

use serde::{Deserialize, Serialize};

use crate::crypto::Keys;

#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// `rtsp://[user:pass@]host[:port]/path` (Hikvision, Dahua, a GB28181 gateway).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rtsp: Option<String>,
    /// `http(s)://host/...` answering one JPEG.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<String>,
    /// Credentials of the snapshot address (basic or digest, as it asks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_password: Option<String>,
    /// `http(s)://media-server/.../index.m3u8` of an existing media server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hls: Option<String>,
    /// The demo's camera: ffmpeg's own test picture with a clock.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub test_picture: bool,
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Source({})", self.kinds())
    }
}

impl Source {
    /// The kinds set, e.g. `rtsp,snapshot` (stored beside the sealed source).
    pub fn kinds(&self) -> String {
        let mut kinds = Vec::new();
        if self.rtsp.is_some() {
            kinds.push("rtsp");
        }
        if self.snapshot.is_some() {
            kinds.push("snapshot");
        }
        if self.hls.is_some() {
            kinds.push("hls");
        }
        if self.test_picture {
            kinds.push("test");
        }
        kinds.join(",")
    }

    pub fn is_empty(&self) -> bool {
        self.kinds().is_empty()
    }

    /// Every secret string in the source, for scrubbing tool output.
    pub fn secrets(&self) -> Vec<String> {
        let mut out = Vec::new();
        for url in [&self.rtsp, &self.snapshot, &self.hls]
            .into_iter()
            .flatten()
        {
            out.push(url.clone());
            if let Some((user, pass)) = userinfo(url) {
                out.push(format!("{user}:{pass}"));
                if pass.len() >= 3 {
                    out.push(pass);
                }
            }
        }
        if let Some(p) = self.snapshot_password.as_ref().filter(|p| p.len() >= 3) {
            out.push(p.clone());
        }
        out
    }

    pub fn seal(&self, keys: &Keys) -> Vec<u8> {
        keys.seal(&serde_json::to_vec(self).unwrap_or_default())
    }

    /// `None` when the sealed bytes do not open (another portal secret).
    pub fn open(keys: &Keys, sealed: &[u8]) -> Option<Source> {
        serde_json::from_slice(&keys.open(sealed)?).ok()
    }
}

/// The `user:password` of an address, percent-decoded.
fn userinfo(url: &str) -> Option<(String, String)> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let (info, _) = authority.rsplit_once('@')?;
    let (user, pass) = info.split_once(':').unwrap_or((info, ""));
    // `+` stays as is: this is an address, not a form.
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8_lossy()
            .into_owned()
    };
    Some((decode(user), decode(pass)))
}

/// Checks an address typed into the camera form: the scheme it must have, a
/// host, no spaces or control characters. The message never repeats the
/// address (it may hold a password).
pub fn check_url(url: &str, schemes: &[&str]) -> Result<(), String> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(format!("地址应以 {}:// 开头", schemes.join(":// 或 ")));
    };
    if !schemes.iter().any(|s| s.eq_ignore_ascii_case(scheme)) {
        return Err(format!("地址应以 {}:// 开头", schemes.join(":// 或 ")));
    }
    if url.len() > 1000 {
        return Err("地址太长".into());
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("地址里不能有空格或控制字符".into());
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        host_port.split(':').next().unwrap_or("")
    };
    if host.is_empty() {
        return Err("地址里缺少主机名或 IP".into());
    }
    if let Some(port) = host_port.rsplit_once("]:").map(|(_, p)| p).or_else(|| {
        (!host_port.starts_with('['))
            .then(|| host_port.split_once(':').map(|(_, p)| p))
            .flatten()
    }) {
        if port.parse::<u16>().map_or(true, |p| p == 0) {
            return Err("地址里的端口号不对".into());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_no_address() {
        let s = Source {
            rtsp: Some("rtsp://admin:hunter2@10.0.0.5/ch1".into()),
            ..Source::default()
        };
        assert_eq!(format!("{s:?}"), "Source(rtsp)");
    }

    #[test]
    fn secrets_cover_addresses_and_passwords() {
        let s = Source {
            rtsp: Some("rtsp://admin:hun%40ter2@10.0.0.5/ch1".into()),
            snapshot: Some("http://10.0.0.5/snap.jpg".into()),
            snapshot_user: Some("admin".into()),
            snapshot_password: Some("pa55word".into()),
            ..Source::default()
        };
        let secrets = s.secrets();
        assert!(secrets.contains(&"hun@ter2".to_string()));
        assert!(secrets.contains(&"pa55word".to_string()));
        assert!(secrets.contains(&"rtsp://admin:hun%40ter2@10.0.0.5/ch1".to_string()));
    }

    #[test]
    fn sealed_round_trip() {
        let keys = Keys::derive(b"a secret of at least thirty-two chars");
        let s = Source {
            hls: Some("http://zlm:80/live/cam1/hls.m3u8".into()),
            ..Source::default()
        };
        assert_eq!(Source::open(&keys, &s.seal(&keys)), Some(s));
        assert_eq!(
            Source::open(&keys, b"garbage that is long enough to try"),
            None
        );
    }

    #[test]
    fn urls_are_checked() {
        let rtsp = |u| check_url(u, &["rtsp", "rtsps"]);
        assert!(rtsp("rtsp://admin:x@192.168.1.64:554/Streaming/Channels/101").is_ok());
        assert!(rtsp("rtsp://[::1]:8554/cam").is_ok());
        assert!(rtsp("http://192.168.1.64/").is_err());
        assert!(rtsp("rtsp:///path").is_err());
        assert!(rtsp("rtsp://host:99999/x").is_err());
        assert!(rtsp("rtsp://host:abc/x").is_err());
        assert!(rtsp("rtsp://ho st/x").is_err());
        assert!(rtsp("192.168.1.64").is_err());
        let err = rtsp("rtsp://admin:secret@host:0/").unwrap_err();
        assert!(!err.contains("secret"));
    }
}
