//! What the TV pages render, kept in memory by each instance.
//!
//! Two things are kept: each village's [`VillageView`] (the village, its
//! township, its live alert, and when any of that next changes by itself)
//! and each rendered page (its bytes, gzipped bytes and ETag) under its
//! address. Each remembers the generations (`crate::changes`) of its
//! village, township and county it was made from, and is served only while
//! - those generations are still the ones this instance knows: they are
//!   read again on the next request after a write through this instance,
//!   when another instance announces a change (PostgreSQL `NOTIFY`, see
//!   `listen`), and at least every `POLL_EVERY` (`BACKSTOP_EVERY` while the
//!   listener is connected) for anything missed;
//! - its `until` has not passed: a scheduled publish, an expiry, an alert
//!   starting or ending, local midnight (the date on every page), the minute
//!   (the clock on the home page).
//!
//! A change in one village leaves every other village's pages kept.
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
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
use chrono::NaiveDateTime;
use sha2::{Digest, Sha256};
use tokio::sync::watch;

use super::village::{Village, VillageView};
use super::Screen;
use crate::access::PlaceScope;
use crate::error::AppError;
use crate::AppState;

/// How often the generations are read when no listener tells of changes
/// (SQLite, or PostgreSQL while the listening connection is down).
const POLL_EVERY: Duration = Duration::from_secs(1);
/// The backstop poll while the listener is connected.
const BACKSTOP_EVERY: Duration = Duration::from_secs(3);
/// Bytes of pages kept (plain plus gzipped); past it, the least recently
/// used half goes (a county has ~700 villages x a few dozen pages of
/// ~15 KB: the budget holds the busy ones).
const BUDGET_BYTES: usize = 32 * 1024 * 1024;
/// Village views kept at most (each is a few hundred bytes).
const MAX_VIEWS: usize = 4096;
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

/// Keeps a page of a list when the page shown is the one asked for (an
/// out-of-range `?page=` shows the nearest real page, which is kept under
/// its own address).
pub fn cacheable_page(
    res: HttpResponse,
    shown: i64,
    asked: i64,
    until: NaiveDateTime,
) -> HttpResponse {
    if shown == asked {
        cacheable(res, until)
    } else {
        res
    }
}

/// What a kept view or page was made from: the generations of its village,
/// township and county (id 0: none), and the flush it belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deps {
    flush: u64,
    places: [(i64, i64); 3],
}

/// A rendered page as it is served again.
pub struct Page {
    body: web::Bytes,
    gzip: Option<web::Bytes>,
    etag: HeaderValue,
    content_type: HeaderValue,
    until: NaiveDateTime,
    deps: Option<Deps>,
    /// The tick of its last use, for eviction.
    used: AtomicU64,
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
            deps: None,
            used: AtomicU64::new(0),
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
    /// The generations this instance knows; `known` false: none can be
    /// trusted (the last read failed), so nothing is served or kept.
    gens: HashMap<i64, i64>,
    known: bool,
    /// Raised on every change of `gens` and every flush.
    serial: u64,
    flush: u64,
    checked: Option<Instant>,
    views: HashMap<String, Arc<VillageView>>,
    pages: HashMap<String, Arc<Page>>,
    bytes: usize,
    /// Pages being rendered; the receiver wakes when the render ends.
    flights: HashMap<String, watch::Receiver<()>>,
}

impl Inner {
    fn fresh(&self, deps: Option<&Deps>) -> bool {
        let Some(deps) = deps else { return false };
        self.known
            && deps.flush == self.flush
            && deps
                .places
                .iter()
                .all(|(id, g)| *id == 0 || self.gens.get(id).copied().unwrap_or(0) == *g)
    }

    fn deps(&self, scope: &PlaceScope) -> Deps {
        let g = |id: Option<i64>| {
            id.map_or((0, 0), |id| (id, self.gens.get(&id).copied().unwrap_or(0)))
        };
        Deps {
            flush: self.flush,
            places: [g(Some(scope.id)), g(scope.township_id), g(scope.county_id)],
        }
    }

    /// Drops what the current generations no longer allow (frees memory
    /// early; lookups check freshness anyway).
    fn prune(&mut self) {
        let views: Vec<String> = self
            .views
            .iter()
            .filter(|(_, v)| !self.fresh(v.deps.as_ref()))
            .map(|(k, _)| k.clone())
            .collect();
        for k in views {
            self.views.remove(&k);
        }
        let pages: Vec<String> = self
            .pages
            .iter()
            .filter(|(_, p)| !self.fresh(p.deps.as_ref()))
            .map(|(k, _)| k.clone())
            .collect();
        for k in pages {
            if let Some(p) = self.pages.remove(&k) {
                self.bytes = self.bytes.saturating_sub(p.size());
            }
        }
    }

    fn clear(&mut self) {
        self.views.clear();
        self.pages.clear();
        self.bytes = 0;
        self.flush += 1;
        self.serial += 1;
    }
}

/// Counters for tests and the benchmark.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    pub hits: u64,
    pub misses: u64,
    /// Requests that waited for another request's render of their page
    /// (each waits at most once).
    pub waits: u64,
    pub pages: usize,
    pub bytes: usize,
    pub views: usize,
    /// Times everything was dropped at once (listener back, failed read).
    pub flushes: u64,
}

#[derive(Default)]
pub struct TvCache {
    inner: Mutex<Inner>,
    /// Set after a write through this instance or a notification: read the
    /// generations on the next request.
    dirty: AtomicBool,
    /// One request at a time reads the generations.
    checking: AtomicBool,
    /// Whether a listener hears other instances' changes (the poll may be slower).
    listening: AtomicBool,
    hits: AtomicU64,
    misses: AtomicU64,
    waits: AtomicU64,
    tick: AtomicU64,
}

impl TvCache {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves nothing half-done worth
        // refusing service over: the maps are only replaced or cleared.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Something may have changed: read the generations on the next request.
    pub fn mark_dirty(&self) {
        self.dirty.store(true, Ordering::SeqCst);
    }

    /// Forgets everything kept (the listener reconnected: changes may have
    /// gone unheard) and reads the generations on the next request.
    pub fn flush(&self) {
        self.lock().clear();
        self.mark_dirty();
    }

    /// Whether a listener is connected (set by `listen`).
    pub fn set_listening(&self, on: bool) {
        self.listening.store(on, Ordering::SeqCst);
    }

    pub fn listening(&self) -> bool {
        self.listening.load(Ordering::SeqCst)
    }

    pub fn stats(&self) -> Stats {
        let inner = self.lock();
        Stats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            waits: self.waits.load(Ordering::Relaxed),
            pages: inner.pages.len(),
            bytes: inner.bytes,
            views: inner.views.len(),
            flushes: inner.flush,
        }
    }

    fn poll_every(&self) -> Duration {
        if self.listening.load(Ordering::SeqCst) {
            BACKSTOP_EVERY
        } else {
            POLL_EVERY
        }
    }

    /// Reads the generations when due; what they no longer allow is dropped.
    pub async fn sync(&self, db: &crate::db::Database) {
        let every = self.poll_every();
        let due = self.dirty.load(Ordering::SeqCst)
            || self.lock().checked.is_none_or(|at| at.elapsed() >= every);
        if !due || self.checking.swap(true, Ordering::SeqCst) {
            return;
        }
        self.dirty.store(false, Ordering::SeqCst);
        let gens = db.run(|conn| Ok(crate::changes::generations(conn)?)).await;
        self.checking.store(false, Ordering::SeqCst);
        let mut inner = self.lock();
        match gens {
            Ok(gens) => {
                inner.checked = Some(Instant::now());
                if !inner.known || inner.gens != gens {
                    inner.gens = gens;
                    inner.known = true;
                    inner.serial += 1;
                    inner.prune();
                }
            }
            Err(e) => {
                // Unsure what changed: keep nothing and ask again next time.
                log::warn!("tv cache: reading the generations failed: {e}");
                inner.clear();
                inner.known = false;
                inner.checked = None;
            }
        }
    }

    /// The kept view of a village, loading it when missing or out of date.
    /// `None`: no village has that code.
    pub async fn view(
        &self,
        state: &AppState,
        code: &str,
    ) -> Result<Option<Arc<VillageView>>, AppError> {
        let now = crate::time::now();
        let serial = {
            let inner = self.lock();
            if let Some(v) = inner.views.get(code) {
                if now < v.until && inner.fresh(v.deps.as_ref()) {
                    return Ok(Some(v.clone()));
                }
            }
            inner.serial
        };
        let lookup = code.to_string();
        let offset = state.offset;
        let Some(mut view) = state
            .db
            .run(move |conn| VillageView::load(conn, &lookup, now, offset))
            .await?
        else {
            return Ok(None);
        };
        let mut inner = self.lock();
        // Kept only when no generation moved while it loaded: then it is at
        // least as new as the generations it is tagged with.
        if inner.serial == serial && inner.known {
            view.deps = Some(inner.deps(&view.scope));
        }
        let view = Arc::new(view);
        if view.deps.is_some() {
            if inner.views.len() >= MAX_VIEWS {
                inner.views.clear();
            }
            inner.views.insert(code.to_string(), view.clone());
        }
        Ok(Some(view))
    }

    fn page(&self, key: &str, now: NaiveDateTime) -> Option<Arc<Page>> {
        let inner = self.lock();
        let page = inner
            .pages
            .get(key)
            .filter(|p| now < p.until && inner.fresh(p.deps.as_ref()))?;
        page.used
            .store(self.tick.fetch_add(1, Ordering::Relaxed), Ordering::Relaxed);
        Some(page.clone())
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

    fn keep(&self, key: String, page: Arc<Page>) {
        let mut inner = self.lock();
        if !inner.fresh(page.deps.as_ref()) {
            return;
        }
        page.used
            .store(self.tick.fetch_add(1, Ordering::Relaxed), Ordering::Relaxed);
        if inner.bytes + page.size() > BUDGET_BYTES {
            evict(&mut inner);
        }
        inner.bytes += page.size();
        if let Some(old) = inner.pages.insert(key, page) {
            inner.bytes = inner.bytes.saturating_sub(old.size());
        }
    }
}

/// Makes room: drops pages past their time, then the least recently used
/// half of the rest.
fn evict(inner: &mut Inner) {
    let now = crate::time::now();
    inner.pages.retain(|_, p| now < p.until);
    let mut used: Vec<u64> = inner
        .pages
        .values()
        .map(|p| p.used.load(Ordering::Relaxed))
        .collect();
    let total: usize = inner.pages.values().map(|p| p.size()).sum();
    if !used.is_empty() && total > BUDGET_BYTES / 2 {
        let mid = used.len() / 2;
        let median = *used.select_nth_unstable(mid).1;
        inner
            .pages
            .retain(|_, p| p.used.load(Ordering::Relaxed) > median);
    }
    inner.bytes = inner.pages.values().map(|p| p.size()).sum();
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
    // The roster page's week (as `roster::RosterQuery` reads it) and view.
    let mut week = None;
    let mut contacts = false;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap_or_default();
    for (k, v) in pairs {
        match k.as_str() {
            "page" if page.is_none() => page = Some(super::page_number(Some(&v))),
            "p" if p.is_none() => p = Some(super::page_number(Some(&v))),
            "cat" if cat.is_none() && super::articles::is_party_tab(&v) => cat = Some(v),
            "week" if week.is_none() => week = Some(super::roster::week_number(Some(&v))),
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
            cache.hits.fetch_add(1, Ordering::Relaxed);
            let res = respond(req.request(), &page);
            return Ok(req.into_response(res));
        }
        match cache.take_off(&key) {
            Ok(flight) => break Some(flight),
            // Another request renders this page: wait once, then look again
            // (a page that could not be kept is rendered here after all).
            Err(mut landing) if !waited => {
                waited = true;
                cache.waits.fetch_add(1, Ordering::Relaxed);
                let _ = landing.changed().await;
            }
            Err(_) => break None,
        }
    };
    cache.misses.fetch_add(1, Ordering::Relaxed);
    let res = next.call(req).await?;
    // The page is as new as the village view it was rendered with (the
    // gate found it after reading the generations).
    let deps = res
        .request()
        .extensions()
        .get::<Village>()
        .and_then(|v| v.deps);
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
        .map_err(|e| AppError::internal("reading a rendered page", format!("{:?}", e.into())))?;
    let mut page = Page::new(bytes, content_type, until);
    page.deps = deps;
    let page = Arc::new(page);
    cache.keep(key, page.clone());
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
