//! What the TV pages render, kept in memory by each instance.
//!
//! Two things are kept: each village's [`VillageView`] (the village, its
//! township, its live alert, and when any of that next changes by itself)
//! and each rendered page (its bytes, gzipped bytes and ETag) under its
//! address. Both are dropped when
//! - the change stamp (`crate::changes`) moves: checked on the next request
//!   after a write through this instance, and at most `CHECK_EVERY` late for
//!   writes through another instance (several instances on PostgreSQL);
//! - their `until` passes: a scheduled publish, an expiry, an alert starting
//!   or ending, local midnight (the date on every page), the minute (the
//!   clock on the home page).
//!
//! A handler opts a response in with [`cacheable`]; nothing else is kept.
//! While one request renders a page, others asking for it wait for that
//! render instead of repeating it (a county's boxes all open the home page
//! when its clock turns over).
//! Pages that differ per box (the household's health readings, the alert
//! page) never opt in.

use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use actix_web::body::{self, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDateTime;
use sha2::{Digest, Sha256};
use tokio::sync::watch;

use super::village::VillageView;
use super::Screen;
use crate::error::AppError;
use crate::AppState;

/// How stale a page may be after a change made through another instance.
const CHECK_EVERY: Duration = Duration::from_secs(1);
/// Bytes of pages kept (plain plus gzipped); past it, expired pages go
/// first, then everything (a county has ~700 villages x a few dozen pages of
/// ~15 KB: the budget holds the busy ones).
const BUDGET_BYTES: usize = 48 * 1024 * 1024;
/// Pages shorter than this are not worth compressing.
const GZIP_FROM: usize = 1024;

/// Marks a response as the same for every box of the village until `until`.
#[derive(Debug, Clone, Copy)]
pub struct Cacheable(pub NaiveDateTime);

/// Opts a rendered page into the cache.
pub fn cacheable(mut res: HttpResponse, until: NaiveDateTime) -> HttpResponse {
    res.extensions_mut().insert(Cacheable(until));
    res
}

/// A rendered page as it is served again.
pub struct Page {
    body: web::Bytes,
    gzip: Option<web::Bytes>,
    etag: HeaderValue,
    content_type: HeaderValue,
    until: NaiveDateTime,
}

impl Page {
    fn new(body: web::Bytes, content_type: HeaderValue, until: NaiveDateTime) -> Page {
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
        }
    }

    fn size(&self) -> usize {
        self.body.len() + self.gzip.as_ref().map_or(0, |g| g.len())
    }
}

fn gzip(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).ok()?;
    enc.finish().ok()
}

#[derive(Default)]
struct Inner {
    /// The change stamp everything kept belongs to.
    stamp: Option<String>,
    checked: Option<Instant>,
    views: HashMap<String, Arc<VillageView>>,
    pages: HashMap<String, Arc<Page>>,
    bytes: usize,
    /// Pages being rendered; the receiver wakes when the render ends.
    flights: HashMap<String, watch::Receiver<()>>,
}

impl Inner {
    fn clear(&mut self) {
        self.views.clear();
        self.pages.clear();
        self.bytes = 0;
    }
}

#[derive(Default)]
pub struct TvCache {
    inner: Mutex<Inner>,
    /// Set after a write through this instance: check the stamp now.
    dirty: AtomicBool,
    /// One request at a time asks the database for the stamp.
    checking: AtomicBool,
    /// Counts clears: a page rendered from data older than the last clear
    /// is not kept.
    epoch: AtomicU64,
}

impl TvCache {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves nothing half-done worth
        // refusing service over: the maps are only replaced or cleared.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Something may have changed: check the stamp on the next request.
    pub fn mark_dirty(&self) {
        self.dirty.store(true, Ordering::SeqCst);
    }

    fn clear(&self, inner: &mut Inner) {
        inner.clear();
        self.epoch.fetch_add(1, Ordering::SeqCst);
    }

    /// Compares the change stamp when due, dropping everything on a change.
    pub async fn sync(&self, db: &crate::db::Database) {
        let due = self.dirty.load(Ordering::SeqCst)
            || self
                .lock()
                .checked
                .is_none_or(|at| at.elapsed() >= CHECK_EVERY);
        if !due || self.checking.swap(true, Ordering::SeqCst) {
            return;
        }
        self.dirty.store(false, Ordering::SeqCst);
        let stamp = db.run(crate::changes::current).await;
        self.checking.store(false, Ordering::SeqCst);
        let mut inner = self.lock();
        match stamp {
            Ok(stamp) => {
                inner.checked = Some(Instant::now());
                if inner.stamp.as_ref() != Some(&stamp) {
                    self.clear(&mut inner);
                    inner.stamp = Some(stamp);
                }
            }
            Err(e) => {
                // Unsure what changed: keep nothing and ask again next time.
                log::warn!("tv cache: reading the change stamp failed: {e}");
                self.clear(&mut inner);
                inner.stamp = None;
                inner.checked = None;
            }
        }
    }

    fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::SeqCst)
    }

    /// The kept view of a village, loading it when missing or out of date.
    /// `None`: no village has that code.
    pub async fn view(
        &self,
        state: &AppState,
        code: &str,
    ) -> Result<Option<Arc<VillageView>>, AppError> {
        let now = crate::time::now();
        if let Some(v) = self.lock().views.get(code) {
            if now < v.until {
                return Ok(Some(v.clone()));
            }
        }
        let epoch = self.epoch();
        let lookup = code.to_string();
        let offset = state.offset;
        let Some(view) = state
            .db
            .run(move |conn| VillageView::load(conn, &lookup, now, offset))
            .await?
        else {
            return Ok(None);
        };
        let view = Arc::new(view);
        let mut inner = self.lock();
        if self.epoch() == epoch {
            inner.views.insert(code.to_string(), view.clone());
        }
        Ok(Some(view))
    }

    fn page(&self, key: &str, now: NaiveDateTime) -> Option<Arc<Page>> {
        self.lock()
            .pages
            .get(key)
            .filter(|p| now < p.until)
            .cloned()
    }

    /// Claims the render of a page, or says whose render to wait for.
    fn take_off(&self, key: &str) -> Result<Flight<'_>, watch::Receiver<()>> {
        let mut inner = self.lock();
        if let Some(landing) = inner.flights.get(key) {
            return Err(landing.clone());
        }
        let (done, landing) = watch::channel(());
        inner.flights.insert(key.to_string(), landing);
        Ok(Flight {
            cache: self,
            key: key.to_string(),
            _done: done,
        })
    }

    fn keep(&self, key: String, page: Arc<Page>, epoch: u64) {
        let mut inner = self.lock();
        if self.epoch() != epoch {
            return;
        }
        if inner.bytes + page.size() > BUDGET_BYTES {
            let now = crate::time::now();
            inner.pages.retain(|_, p| now < p.until);
            inner.bytes = inner.pages.values().map(|p| p.size()).sum();
            if inner.bytes + page.size() > BUDGET_BYTES {
                inner.pages.clear();
                inner.bytes = 0;
            }
        }
        inner.bytes += page.size();
        if let Some(old) = inner.pages.insert(key, page) {
            inner.bytes = inner.bytes.saturating_sub(old.size());
        }
    }
}

/// A render in progress. Dropping it (rendered, failed or not cacheable)
/// wakes the requests waiting for the same page: the entry goes first, then
/// the sender, whose drop is the wake-up.
struct Flight<'a> {
    cache: &'a TvCache,
    key: String,
    _done: watch::Sender<()>,
}

impl Drop for Flight<'_> {
    fn drop(&mut self) {
        self.cache.lock().flights.remove(&self.key);
    }
}

/// The cache key of a TV address: the path and the query parameters TV
/// pages read, in the form the handlers read them (so `?page=abc` and
/// `?page=1` share page 1, and other parameters are ignored as the
/// handlers ignore them), and the box's screen profile (an SD box gets
/// its own copy of every page).
fn page_key(path: &str, query: &str, screen: Screen) -> String {
    let mut page = None;
    let mut p = None;
    let mut cat = None;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap_or_default();
    for (k, v) in pairs {
        match k.as_str() {
            "page" if page.is_none() => page = Some(super::page_number(Some(&v))),
            "p" if p.is_none() => p = Some(super::page_number(Some(&v))),
            "cat" if cat.is_none() && crate::articles::category_label(&v).is_some() => {
                cat = Some(v)
            }
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

fn respond(req: &HttpRequest, page: &Page) -> HttpResponse {
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

/// Middleware (inside the alert gate): serves kept TV pages, keeps those
/// handlers mark [`Cacheable`], and notes writes so the stamp is checked.
pub async fn pages(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let Some(state) = state else {
        return next.call(req).await.map(|r| r.map_into_boxed_body());
    };
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        let res = next.call(req).await;
        state.tv_cache.mark_dirty();
        return res.map(|r| r.map_into_boxed_body());
    }
    if *req.method() != Method::GET || !req.path().starts_with("/tv/v/") {
        return next.call(req).await.map(|r| r.map_into_boxed_body());
    }
    let cache = &state.tv_cache;
    // The gate has synced the stamp already for village pages.
    let key = page_key(req.path(), req.query_string(), Screen::of(req.request()));
    let mut waited = false;
    let _flight = loop {
        if let Some(page) = cache.page(&key, crate::time::now()) {
            let res = respond(req.request(), &page);
            return Ok(req.into_response(res));
        }
        match cache.take_off(&key) {
            Ok(flight) => break Some(flight),
            // Another request renders this page: wait once, then look again
            // (a page that could not be kept is rendered here after all).
            Err(mut landing) if !waited => {
                waited = true;
                let _ = landing.changed().await;
            }
            Err(_) => break None,
        }
    };
    let epoch = cache.epoch();
    let res = next.call(req).await?;
    let Some(Cacheable(until)) = res.response().extensions().get::<Cacheable>().copied() else {
        return Ok(res.map_into_boxed_body());
    };
    let headers = res.headers();
    if res.status() != StatusCode::OK || headers.contains_key(header::SET_COOKIE) {
        return Ok(res.map_into_boxed_body());
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .cloned()
        .unwrap_or(HeaderValue::from_static("text/html; charset=utf-8"));
    let (req, res) = res.into_parts();
    let bytes = body::to_bytes(res.into_body())
        .await
        .map_err(|_| AppError::Internal("reading a rendered page failed".into()))?;
    let page = Arc::new(Page::new(bytes, content_type, until));
    cache.keep(key, page.clone(), epoch);
    let res = respond(&req, &page);
    Ok(ServiceResponse::new(req, res))
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
        assert_ne!(k("p=2"), k("page=2"));
        let long = format!("x={}", "a".repeat(4096));
        assert_eq!(k(&long), k(""));
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

    #[actix_web::test]
    async fn one_render_at_a_time_per_page() {
        let cache = TvCache::default();
        let flight = cache.take_off("/tv/v/g?").ok();
        assert!(flight.is_some());
        let Err(mut landing) = cache.take_off("/tv/v/g?") else {
            panic!("a second render of the same page must wait");
        };
        assert!(
            cache.take_off("/tv/v/other?").is_ok(),
            "other pages do not wait"
        );
        drop(flight);
        // The render ended: the waiter wakes, and the page may be claimed again.
        assert!(landing.changed().await.is_err());
        assert!(cache.take_off("/tv/v/g?").is_ok());
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
