//! A kept page: its bytes, gzipped bytes and ETag, the address it is kept
//! under, and how it is answered (304, gzip or plain).

use std::io::Write;
use std::sync::atomic::AtomicU64;

use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDateTime;
use sha2::{Digest, Sha256};

use super::super::Screen;
use super::Deps;

/// Pages shorter than this are not worth compressing.
const GZIP_FROM: usize = 1024;

/// A rendered page as it is served again.
pub struct Page {
    pub(super) body: web::Bytes,
    pub(super) gzip: Option<web::Bytes>,
    pub(super) etag: HeaderValue,
    pub(super) content_type: HeaderValue,
    pub(super) until: NaiveDateTime,
    pub(super) deps: Option<Deps>,
    /// The tick of its last use, for eviction.
    pub(super) used: AtomicU64,
}

impl Page {
    pub(super) fn new(body: web::Bytes, content_type: HeaderValue, until: NaiveDateTime) -> Page {
        let digest = Sha256::digest(&body);
        let etag = format!("\"{}\"", hex::encode(&digest[..10]));
        let gzip = (body.len() >= GZIP_FROM)
            .then(|| gzip(&body))
            .flatten()
            .map(web::Bytes::from);
        Page {
            etag: HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"0\"")),
            gzip,
            body,
            content_type,
            until,
            deps: None,
            used: AtomicU64::new(0),
        }
    }

    pub(super) fn size(&self) -> usize {
        self.body.len() + self.gzip.as_ref().map_or(0, |g| g.len())
    }
}

fn gzip(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).ok()?;
    enc.finish().ok()
}

/// The cache key of a TV address: the path and the query parameters TV
/// pages read, in the form the handlers read them (so `?page=abc` and
/// `?page=1` share page 1, and other parameters are ignored as the
/// handlers ignore them), and the box's screen profile (an SD box gets
/// its own copy of every page).
pub(super) fn page_key(path: &str, query: &str, screen: Screen) -> String {
    let mut page = None;
    let mut p = None;
    let mut cat = None;
    // The roster page's week (as `roster::RosterQuery` reads it) and view.
    let mut week = None;
    let mut contacts = false;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap_or_default();
    for (k, v) in pairs {
        match k.as_str() {
            "page" if page.is_none() => page = Some(super::super::page_number(Some(&v))),
            "p" if p.is_none() => p = Some(super::super::page_number(Some(&v))),
            "cat" if cat.is_none() && super::super::articles::is_party_tab(&v) => cat = Some(v),
            "week" if week.is_none() => week = Some(super::super::roster::week_number(Some(&v))),
            "show" if !contacts => contacts = v == "contacts",
            _ => {}
        }
    }
    let mut key = String::with_capacity(path.len() + 28);
    key.push_str(screen.as_str());
    key.push(':');
    key.push_str(path);
    key.push('?');
    if let Some(c) = cat {
        key.push_str("cat=");
        key.push_str(&c);
    }
    if let Some(n) = page {
        key.push_str(&format!("&page={n}"));
    }
    if let Some(n) = p {
        key.push_str(&format!("&p={n}"));
    }
    if let Some(w) = week.filter(|w| *w != 0) {
        key.push_str(&format!("&week={w}"));
    }
    if contacts {
        key.push_str("&show=contacts");
    }
    key
}

/// Whether the client takes gzip (`Accept-Encoding`, without `q=0`).
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';').map(str::trim);
            let name = parts.next().unwrap_or("");
            let refused = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
        })
}

/// Whether `If-None-Match` names this ETag (garbage matches nothing).
fn not_modified(headers: &HeaderMap, etag: &HeaderValue) -> bool {
    let want = etag.as_bytes();
    headers
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag).as_bytes() == want)
}

pub(super) fn respond(req: &HttpRequest, page: &Page) -> HttpResponse {
    let headers = req.headers();
    let unchanged = not_modified(headers, &page.etag);
    let mut res = if unchanged {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    res.insert_header((header::ETAG, page.etag.clone()))
        // Boxes ask again every time; an unchanged page costs a 304.
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::VARY, "Accept-Encoding"));
    if unchanged {
        return res.finish();
    }
    res.insert_header((header::CONTENT_TYPE, page.content_type.clone()));
    match &page.gzip {
        Some(gz) if accepts_gzip(headers) => res
            .insert_header((header::CONTENT_ENCODING, "gzip"))
            .body(gz.clone()),
        _ => res.body(page.body.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(name: header::HeaderName, value: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(name, HeaderValue::from_static(value));
        h
    }

    #[test]
    fn keys_follow_what_handlers_read() {
        let k = |q| page_key("/tv/v/g/notices", q, Screen::Hd);
        assert_eq!(k(""), "hd:/tv/v/g/notices?");
        assert_ne!(
            page_key("/tv/v/g/notices", "", Screen::Sd),
            k(""),
            "SD boxes get their own pages"
        );
        assert_eq!(k("page=1"), k("page=abc"));
        assert_eq!(k("page=2"), k("page=02&utm=x"));
        assert_ne!(k("page=2"), k("page=3"));
        assert_eq!(k("cat=members&page=2"), k("page=2&cat=members"));
        assert_eq!(k("cat=nonsense"), k(""), "unknown categories are ignored");
        assert_ne!(k("cat=life"), k(""), "组织生活 is a page of its own");
        assert_ne!(k("p=2"), k("page=2"));
        let long = format!("x={}", "a".repeat(4096));
        assert_eq!(k(&long), k(""));
        // The roster's week and contacts view.
        let r = |q| page_key("/tv/v/g/roster", q, Screen::Hd);
        assert_eq!(r("week=0"), r(""));
        assert_eq!(r("week=abc"), r(""));
        assert_ne!(r("week=1"), r(""));
        assert_eq!(r("week=9"), r("week=4"));
        assert_ne!(r("show=contacts"), r(""));
        assert_eq!(r("show=other"), r(""));
    }

    #[test]
    fn gzip_only_when_asked() {
        let ae = |v| accepts_gzip(&headers(header::ACCEPT_ENCODING, v));
        assert!(ae("gzip, deflate, br"));
        assert!(ae("br;q=1.0, gzip;q=0.8"));
        assert!(ae("*"));
        assert!(!ae("gzip;q=0"));
        assert!(!ae("identity"));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }

    #[test]
    fn etags_match_exactly() {
        let etag = HeaderValue::from_static("\"abc\"");
        let inm = |v| not_modified(&headers(header::IF_NONE_MATCH, v), &etag);
        assert!(inm("\"abc\""));
        assert!(inm("W/\"abc\""));
        assert!(inm("\"x\", \"abc\""));
        assert!(inm("*"));
        assert!(!inm("abc"));
        assert!(!inm("\"abd\""));
        assert!(!inm("garbage;;,,\"\""));
    }

    #[test]
    fn pages_are_compressed_and_tagged() {
        let body = web::Bytes::from("耿井村".repeat(500));
        let until = crate::time::now();
        let page = Page::new(body.clone(), HeaderValue::from_static("text/html"), until);
        let gz = page.gzip.clone().unwrap_or_default();
        assert!(!gz.is_empty() && gz.len() < body.len() / 10);
        let mut out = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&gz[..]), &mut out)
            .unwrap_or_default();
        assert_eq!(out.as_bytes(), &body[..]);
        let same = Page::new(body, HeaderValue::from_static("text/html"), until);
        assert_eq!(page.etag, same.etag);
        let small = Page::new(web::Bytes::from("hi"), HeaderValue::from_static("x"), until);
        assert!(small.gzip.is_none());
        assert_ne!(small.etag, page.etag);
    }
}
