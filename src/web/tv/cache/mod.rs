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
//!   listener is connected) for anything missed; requests that arrive while
//!   they are read wait for that read;
//! - its `until` has not passed: a scheduled publish, an expiry, an alert
//!   starting or ending, local midnight (the date on every page), the minute
//!   (the clock on the home page).
//!
//! A change in one village leaves every other village's pages kept.
//! A handler opts a response in with [`cacheable`]; nothing else is kept.
//! Single flight: while one request loads a village's view or renders a
//! page, others asking for the same wait for it instead of repeating it.
//! A county-wide change makes every village's pages old at once; then
//! (see `serve`) a box asking for a page whose older copy is kept gets that
//! copy while the page is rendered anew, when someone else renders it
//! already, when `BUSY_RENDERS` renders are under way or while renders are
//! paced (see `PACE`; the new copy replaces it soon after), so a county
//! notice neither queues a county's boxes behind renders nor takes the
//! cores from them.
//! Pages that differ per box (the household's health readings, the alert
//! page) never opt in.

mod page;
mod serve;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use actix_web::{web, HttpResponse};
use chrono::NaiveDateTime;
use tokio::sync::{watch, Semaphore};

use super::village::VillageView;
use crate::access::PlaceScope;
use crate::error::AppError;
use crate::AppState;
use page::Page;
pub use serve::pages;

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
/// Renders under way past which a page with an older copy is answered from
/// that copy and rendered in the background.
const BUSY_RENDERS: usize = 4;
/// Background renders at once (the rest queue, in the order asked: the
/// most watched pages first).
const BACKGROUND_RENDERS: usize = 1;
/// Village views loaded in the background at once: a county notice makes
/// every view old, and loading them all together took every database
/// thread, so the next read of the generations (which every TV request
/// waits for) queued behind them (p99 ~100 ms on PostgreSQL).
const BACKGROUND_VIEWS: usize = 2;
/// Pages waiting for a background render at most; past it, an old page's
/// older copy answers and the page is claimed again by a later request
/// (each waiting render holds its request).
const BACKGROUND_QUEUE: usize = 64;
/// Renders of pages that have an older copy to answer with are paced: after
/// one that took `t` (wall time: a busier instance pauses longer), the next
/// waits `PACE * t`, in the background while boxes get the older copy. So
/// a county notice that makes every page old takes at most a third of one
/// core, and hits keep the rest. Only while the instance is busy (more than
/// `BUSY_ASKS` page requests in the last 100 to 200 ms): a quiet instance
/// renders a changed page for the box that asks, which sees it at once.
const PACE: u32 = 2;
const BUSY_ASKS: u32 = 200;
const ASK_WINDOW: Duration = Duration::from_millis(100);

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

impl Deps {
    fn at(gens: &HashMap<i64, i64>, flush: u64, scope: &PlaceScope) -> Deps {
        let g = |id: Option<i64>| id.map_or((0, 0), |id| (id, gens.get(&id).copied().unwrap_or(0)));
        Deps {
            flush,
            places: [g(Some(scope.id)), g(scope.township_id), g(scope.county_id)],
        }
    }
}

/// A panic while holding the lock leaves nothing half-done worth refusing
/// service over: the maps are only replaced or cleared.
fn lock(inner: &Mutex<Inner>) -> MutexGuard<'_, Inner> {
    inner.lock().unwrap_or_else(|e| e.into_inner())
}

#[derive(Default)]
struct Inner {
    /// The generations this instance knows; `known` false: none can be
    /// trusted (the last read failed), so nothing is served or kept.
    gens: Arc<HashMap<i64, i64>>,
    known: bool,
    flush: u64,
    checked: Option<Instant>,
    views: HashMap<String, Arc<VillageView>>,
    /// Pages kept, fresh or older copies (see `serve`), within `BUDGET_BYTES`.
    pages: HashMap<String, Arc<Page>>,
    bytes: usize,
    /// Views being loaded and pages being rendered; the receiver wakes when
    /// the work ends.
    flights: HashMap<String, watch::Receiver<()>>,
    asks: Asks,
    /// Until when renders of pages with an older copy wait (see `PACE`).
    paced: Option<Instant>,
}

/// Page requests in this `ASK_WINDOW` and the one before.
#[derive(Default)]
struct Asks {
    since: Option<Instant>,
    now: u32,
    before: u32,
}

impl Asks {
    /// Counts a request; the requests of the two windows, this one included.
    fn count(&mut self, at: Instant) -> u32 {
        match self.since.map(|s| at.saturating_duration_since(s)) {
            Some(gone) if gone < ASK_WINDOW => {}
            Some(gone) if gone < ASK_WINDOW * 2 => {
                self.before = self.now;
                self.now = 0;
                self.since = self.since.map(|s| s + ASK_WINDOW);
            }
            _ => {
                *self = Asks {
                    since: Some(at),
                    ..Asks::default()
                };
            }
        }
        self.now += 1;
        self.now + self.before
    }

    /// The requests of the two windows up to `at`, without counting one.
    fn peek(&self, at: Instant) -> u32 {
        match self.since.map(|s| at.saturating_duration_since(s)) {
            Some(gone) if gone < ASK_WINDOW => self.now + self.before,
            Some(gone) if gone < ASK_WINDOW * 2 => self.now,
            _ => 0,
        }
    }
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

    /// How long renders of pages with an older copy still wait at `at`, if at all.
    fn pacing(&self, at: Instant) -> Option<Duration> {
        self.paced
            .and_then(|until| until.checked_duration_since(at))
            .filter(|d| !d.is_zero())
    }

    fn clear(&mut self) {
        self.views.clear();
        self.pages.clear();
        self.bytes = 0;
        self.flush += 1;
    }
}

/// Counters for tests and the benchmark.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Requests answered from a fresh kept page.
    pub hits: u64,
    /// Requests answered from an older copy while the page was rendered anew.
    pub stale: u64,
    /// Pages rendered (in the request or in the background).
    pub misses: u64,
    /// Requests that waited for another request's render of their page
    /// (each waits at most once).
    pub waits: u64,
    /// Village views loaded from the database (counted when loaded).
    pub view_loads: u64,
    pub pages: usize,
    pub bytes: usize,
    pub views: usize,
    /// Times everything was dropped at once (listener back, failed read).
    pub flushes: u64,
}

pub struct TvCache {
    /// Shared with the flights, which outlive a request when a page is
    /// rendered in the background.
    inner: Arc<Mutex<Inner>>,
    /// Set after a write through this instance or a notification: read the
    /// generations on the next request.
    dirty: AtomicBool,
    /// Set while the generations are read; `read` announces each read's end.
    reading: AtomicBool,
    read: watch::Sender<u64>,
    /// Whether a listener hears other instances' changes (the poll may be slower).
    listening: AtomicBool,
    /// Renders under way, and the background renders' turns.
    rendering: AtomicUsize,
    background: Semaphore,
    background_views: Semaphore,
    /// Background renders waiting or under way.
    queued: AtomicUsize,
    hits: AtomicU64,
    stale: AtomicU64,
    misses: AtomicU64,
    waits: AtomicU64,
    view_loads: AtomicU64,
    tick: AtomicU64,
}

impl Default for TvCache {
    fn default() -> TvCache {
        TvCache {
            inner: Arc::default(),
            dirty: AtomicBool::new(false),
            reading: AtomicBool::new(false),
            read: watch::Sender::new(0),
            listening: AtomicBool::new(false),
            rendering: AtomicUsize::new(0),
            background: Semaphore::new(BACKGROUND_RENDERS),
            background_views: Semaphore::new(BACKGROUND_VIEWS),
            queued: AtomicUsize::new(0),
            hits: AtomicU64::new(0),
            stale: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            waits: AtomicU64::new(0),
            view_loads: AtomicU64::new(0),
            tick: AtomicU64::new(0),
        }
    }
}

impl TvCache {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        lock(&self.inner)
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
            stale: self.stale.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            waits: self.waits.load(Ordering::Relaxed),
            view_loads: self.view_loads.load(Ordering::Relaxed),
            pages: inner.pages.len(),
            bytes: inner.bytes,
            views: inner.views.len(),
            flushes: inner.flush,
        }
    }

    fn due(&self) -> bool {
        let every = if self.listening.load(Ordering::SeqCst) {
            BACKSTOP_EVERY
        } else {
            POLL_EVERY
        };
        self.dirty.load(Ordering::SeqCst)
            || self.lock().checked.is_none_or(|at| at.elapsed() >= every)
    }

    /// Reads the generations when due; what they no longer allow is dropped.
    /// Requests that arrive while a read is under way wait for it (a
    /// handful of microseconds) rather than answer from generations about
    /// to change, and none waits for more than one read.
    pub async fn sync(&self, db: &crate::db::Database) {
        if !self.reading.load(Ordering::SeqCst) && !self.due() {
            return;
        }
        // Subscribed before claiming the read, so its end is not missed.
        let mut read = self.read.subscribe();
        if self.reading.swap(true, Ordering::SeqCst) {
            let _ = read.changed().await;
            return;
        }
        self.dirty.store(false, Ordering::SeqCst);
        let gens = db.run(|conn| Ok(crate::changes::generations(conn)?)).await;
        {
            let mut inner = self.lock();
            match gens {
                Ok(gens) => {
                    inner.checked = Some(Instant::now());
                    if !inner.known || *inner.gens != gens {
                        inner.gens = Arc::new(gens);
                        inner.known = true;
                        // Old views stay: they answer while the new ones
                        // load on a busy instance (see `view`).
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
        self.reading.store(false, Ordering::SeqCst);
        self.read.send_modify(|n| *n += 1);
    }

    /// The kept view of a village, loading it when missing or out of date
    /// (one load at a time per village). `None`: no village has that code.
    /// While the instance is busy (a county notice makes every view old at
    /// once) a box gets the older view and the view is loaded behind it, so
    /// boxes do not queue on the database; pages rendered with an older view
    /// are not kept (their generations are old).
    pub async fn view(
        &self,
        state: &web::Data<AppState>,
        code: &str,
    ) -> Result<Option<Arc<VillageView>>, AppError> {
        let mut waited = false;
        let flight = loop {
            let now = crate::time::now();
            let older = {
                let inner = self.lock();
                match inner.views.get(code) {
                    Some(v) if now < v.until && inner.fresh(v.deps.as_ref()) => {
                        return Ok(Some(v.clone()));
                    }
                    Some(v) if self.busy() || inner.asks.peek(Instant::now()) > BUSY_ASKS => {
                        Some(v.clone())
                    }
                    _ => None,
                }
            };
            // Keyed apart from pages (theirs start with the screen profile).
            match (self.take_off(&format!("view:{code}")), older) {
                (Ok(flight), Some(older)) => {
                    let state = state.clone();
                    let code = code.to_string();
                    actix_web::rt::spawn(async move {
                        // The semaphore is never closed; without a turn it loads anyway.
                        let _turn = state.tv_cache.background_views.acquire().await.ok();
                        if let Err(e) = state.tv_cache.load_view(&state, &code).await {
                            log::warn!("tv cache: loading the view of {code} failed: {e}");
                        }
                        drop(flight);
                    });
                    return Ok(Some(older));
                }
                (Err(_), Some(older)) => return Ok(Some(older)),
                (Ok(flight), None) => break Some(flight),
                (Err(mut landing), None) if !waited => {
                    waited = true;
                    let _ = landing.changed().await;
                }
                // Loaded by another but not kept: load it here after all.
                (Err(_), None) => break None,
            }
        };
        let view = self.load_view(state, code).await;
        drop(flight);
        view
    }

    /// Loads a village's view and keeps it if nothing changed meanwhile.
    async fn load_view(
        &self,
        state: &AppState,
        code: &str,
    ) -> Result<Option<Arc<VillageView>>, AppError> {
        // The generations before the load: what it reads is at least as new.
        let (gens, flush, known) = {
            let inner = self.lock();
            (inner.gens.clone(), inner.flush, inner.known)
        };
        let lookup = code.to_string();
        let offset = state.offset;
        let now = crate::time::now();
        let Some(mut view) = state
            .db
            .run(move |conn| VillageView::load(conn, &lookup, now, offset))
            .await?
        else {
            return Ok(None);
        };
        self.view_loads.fetch_add(1, Ordering::Relaxed);
        if known {
            view.deps = Some(Deps::at(&gens, flush, &view.scope));
        }
        let view = Arc::new(view);
        let mut inner = self.lock();
        if inner.fresh(view.deps.as_ref()) {
            if inner.views.len() >= MAX_VIEWS && !inner.views.contains_key(code) {
                inner.views.clear();
            }
            inner.views.insert(code.to_string(), view.clone());
        }
        Ok(Some(view))
    }

    /// What to do for a request of the page under `key`, decided in one
    /// step: answer a kept copy, render, or wait for another's render (once:
    /// a request that `waited` renders after all). `view` is the village
    /// view the gate found: an older one (its new one loading, see `view`)
    /// means a page rendered now would not be kept, so an older page
    /// answers and nothing is claimed.
    fn claim(
        &self,
        key: &str,
        now: NaiveDateTime,
        waited: bool,
        view: Option<&VillageView>,
    ) -> Claim {
        // Read the clock before the lock: every page request passes here.
        let at = Instant::now();
        let mut inner = self.lock();
        let asks = inner.asks.count(at);
        let older = match inner.pages.get(key) {
            Some(page) => {
                page.used
                    .store(self.tick.fetch_add(1, Ordering::Relaxed), Ordering::Relaxed);
                if now < page.until && inner.fresh(page.deps.as_ref()) {
                    self.hits.fetch_add(1, Ordering::Relaxed);
                    return Claim::Fresh(page.clone());
                }
                Some(page.clone())
            }
            None => None,
        };
        // Being rendered already, or the village's view is older (a page
        // rendered now would not be kept): the older copy answers.
        let landing = inner.flights.get(key).cloned();
        let answer_older = landing.is_some() || view.is_some_and(|v| !inner.fresh(v.deps.as_ref()));
        match (landing, older) {
            (_, Some(older)) if answer_older => {
                self.stale.fetch_add(1, Ordering::Relaxed);
                Claim::Older(older)
            }
            (Some(landing), None) if !waited => {
                self.waits.fetch_add(1, Ordering::Relaxed);
                Claim::Wait(landing)
            }
            (Some(_), _) => Claim::Render(None, None),
            (None, Some(older))
                if self.busy() || (asks > BUSY_ASKS && inner.pacing(at).is_some()) =>
            {
                self.stale.fetch_add(1, Ordering::Relaxed);
                if self.enqueue() {
                    Claim::Refresh(take_off(&self.inner, &mut inner, key), older)
                } else {
                    Claim::Older(older)
                }
            }
            (None, older) => Claim::Render(Some(take_off(&self.inner, &mut inner, key)), older),
        }
    }

    /// Claims the work under `key` (a view's load), or says whose work to
    /// wait for.
    fn take_off(&self, key: &str) -> Result<Flight, watch::Receiver<()>> {
        let mut inner = self.lock();
        if let Some(landing) = inner.flights.get(key) {
            return Err(landing.clone());
        }
        Ok(take_off(&self.inner, &mut inner, key))
    }

    /// Whether so many renders are under way that pages with an older copy
    /// are better rendered in the background.
    fn busy(&self) -> bool {
        self.rendering.load(Ordering::SeqCst) >= BUSY_RENDERS
    }

    /// Takes a place in the background queue if there is room; the
    /// background render gives it back (`Queued`).
    fn enqueue(&self) -> bool {
        self.queued
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < BACKGROUND_QUEUE).then_some(n + 1)
            })
            .is_ok()
    }

    /// How long renders of pages with an older copy still wait, if at all.
    fn pacing(&self) -> Option<Duration> {
        self.lock().pacing(Instant::now())
    }

    /// A render of a page with an older copy took `took`: the next waits
    /// `PACE` times that, after any wait already set.
    fn paced_after(&self, took: Duration) {
        let now = Instant::now();
        let mut inner = self.lock();
        inner.paced = Some(inner.paced.map_or(now, |until| until.max(now)) + took * PACE);
    }

    /// Counts a render while the guard lives.
    fn rendering(&self) -> Rendering<'_> {
        self.rendering.fetch_add(1, Ordering::SeqCst);
        self.misses.fetch_add(1, Ordering::Relaxed);
        Rendering(self)
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

    /// Drops the older copy `old` of a page whose new render could not be
    /// kept (gone, failed, or no longer the same for every box).
    fn forget(&self, key: &str, old: &Arc<Page>) {
        let mut inner = self.lock();
        if inner.pages.get(key).is_some_and(|p| Arc::ptr_eq(p, old)) {
            inner.pages.remove(key);
            inner.bytes = inner.bytes.saturating_sub(old.size());
        }
    }
}

/// What a request of a page does (see `TvCache::claim`).
enum Claim {
    /// Answer the kept page.
    Fresh(Arc<Page>),
    /// Another request renders it: answer the older copy.
    Older(Arc<Page>),
    /// Answer the older copy and render the page in the background.
    Refresh(Flight, Arc<Page>),
    /// Render it here (under the flight unless it waited already); the older
    /// copy goes if the new one cannot be kept.
    Render(Option<Flight>, Option<Arc<Page>>),
    /// Wait for another request's render, then claim again.
    Wait(watch::Receiver<()>),
}

fn take_off(shared: &Arc<Mutex<Inner>>, inner: &mut Inner, key: &str) -> Flight {
    let (done, landing) = watch::channel(());
    inner.flights.insert(key.to_string(), landing);
    Flight {
        inner: shared.clone(),
        key: key.to_string(),
        _done: done,
    }
}

/// Makes room: drops pages past their time or made from older generations,
/// then the least recently used half of the rest.
fn evict(inner: &mut Inner) {
    let now = crate::time::now();
    let old: Vec<String> = inner
        .pages
        .iter()
        .filter(|(_, p)| now >= p.until || !inner.fresh(p.deps.as_ref()))
        .map(|(k, _)| k.clone())
        .collect();
    for k in old {
        inner.pages.remove(&k);
    }
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

/// Work in progress under a key. Dropping it (done, failed or not kept)
/// wakes the requests waiting for it: the entry goes first, then the
/// sender, whose drop is the wake-up.
struct Flight {
    inner: Arc<Mutex<Inner>>,
    key: String,
    _done: watch::Sender<()>,
}

impl Drop for Flight {
    fn drop(&mut self) {
        lock(&self.inner).flights.remove(&self.key);
    }
}

struct Rendering<'a>(&'a TvCache);

/// A background render's place in the queue, given back when it ends.
struct Queued<'a>(&'a TvCache);

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        self.0.queued.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Drop for Rendering<'_> {
    fn drop(&mut self) {
        self.0.rendering.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> NaiveDateTime {
        crate::time::now()
    }

    /// A cache that knows village 1 at generation `g`, with a page of that
    /// village kept under `key`.
    fn cache_with(key: &str, g: i64) -> TvCache {
        let cache = TvCache::default();
        {
            let mut inner = cache.lock();
            inner.gens = Arc::new(HashMap::from([(1, g)]));
            inner.known = true;
        }
        let until = now() + chrono::Duration::hours(1);
        let mut page = Page::new(
            actix_web::web::Bytes::from("耿井村"),
            actix_web::http::header::HeaderValue::from_static("text/html"),
            until,
        );
        page.deps = Some(Deps {
            flush: 0,
            places: [(1, g), (0, 0), (0, 0)],
        });
        cache.keep(key.to_string(), Arc::new(page));
        cache
    }

    fn village_changes(cache: &TvCache) {
        let mut inner = cache.lock();
        let g = inner.gens.get(&1).copied().unwrap_or(0);
        inner.gens = Arc::new(HashMap::from([(1, g + 1)]));
    }

    #[actix_web::test]
    async fn one_render_at_a_time_per_page() {
        let cache = TvCache::default();
        let Claim::Render(Some(flight), None) = cache.claim("hd:/tv/v/g?", now(), false, None)
        else {
            panic!("the first request renders");
        };
        let Claim::Wait(mut landing) = cache.claim("hd:/tv/v/g?", now(), false, None) else {
            panic!("a second request of the same page waits");
        };
        assert!(
            matches!(
                cache.claim("hd:/tv/v/other?", now(), false, None),
                Claim::Render(Some(_), None)
            ),
            "other pages do not wait"
        );
        assert!(
            matches!(
                cache.claim("hd:/tv/v/g?", now(), true, None),
                Claim::Render(None, None)
            ),
            "nobody waits twice"
        );
        drop(flight);
        // The render ended: the waiter wakes, and the page may be claimed again.
        assert!(landing.changed().await.is_err());
        assert!(matches!(
            cache.claim("hd:/tv/v/g?", now(), true, None),
            Claim::Render(Some(_), None)
        ));
        assert_eq!(cache.stats().waits, 1);
    }

    #[test]
    fn older_copies_answer_while_the_page_renders_anew() {
        let key = "hd:/tv/v/g/notices?";
        let cache = cache_with(key, 1);
        assert!(matches!(
            cache.claim(key, now(), false, None),
            Claim::Fresh(_)
        ));
        village_changes(&cache);
        // Quiet: the first request renders the new page itself (a publish
        // shows at once); those arriving meanwhile get the older copy.
        let Claim::Render(Some(flight), Some(_)) = cache.claim(key, now(), false, None) else {
            panic!("the first request after a change renders");
        };
        assert!(matches!(
            cache.claim(key, now(), false, None),
            Claim::Older(_)
        ));
        drop(flight);
        // Past its time, a page is older too.
        let later = now() + chrono::Duration::hours(2);
        assert!(matches!(
            cache.claim(key, later, false, None),
            Claim::Render(Some(_), Some(_))
        ));
        let stats = cache.stats();
        assert_eq!((stats.hits, stats.stale, stats.waits), (1, 1, 0));
    }

    /// A view as the gate would find it, loaded at `deps`.
    fn view_at(deps: Option<Deps>) -> VillageView {
        let place = crate::places::Place {
            id: 1,
            code: "g".into(),
            name: "耿井村".into(),
            kind: "village".into(),
            parent_id: None,
            created_at: now(),
            updated_at: now(),
        };
        VillageView {
            village: place,
            township: None,
            scope: crate::access::PlaceScope::village(1, None, None),
            alert: None,
            until: now() + chrono::Duration::hours(1),
            deps,
        }
    }

    #[test]
    fn with_an_older_view_the_older_page_answers_and_nothing_is_claimed() {
        let key = "hd:/tv/v/g/news?";
        let cache = cache_with(key, 1);
        let older_view = view_at(Some(Deps {
            flush: 0,
            places: [(1, 1), (0, 0), (0, 0)],
        }));
        village_changes(&cache);
        let busy: Vec<Rendering<'_>> = (0..BUSY_RENDERS).map(|_| cache.rendering()).collect();
        for view in [older_view, view_at(None)] {
            assert!(matches!(
                cache.claim(key, now(), false, Some(&view)),
                Claim::Older(_)
            ));
        }
        assert!(cache.lock().flights.is_empty(), "no render claimed");
        assert_eq!(
            cache.queued.load(Ordering::SeqCst),
            0,
            "no queue place taken"
        );
        // With the new view the page renders behind its older copy.
        let new_view = view_at(Some(Deps {
            flush: 0,
            places: [(1, 2), (0, 0), (0, 0)],
        }));
        assert!(matches!(
            cache.claim(key, now(), false, Some(&new_view)),
            Claim::Refresh(..)
        ));
        drop(busy);
    }

    #[test]
    fn in_a_rush_pages_render_in_the_background() {
        let key = "hd:/tv/v/g/news?";
        let cache = cache_with(key, 1);
        village_changes(&cache);
        let busy: Vec<Rendering<'_>> = (0..BUSY_RENDERS).map(|_| cache.rendering()).collect();
        let Claim::Refresh(flight, _) = cache.claim(key, now(), false, None) else {
            panic!("in a rush the older copy answers and the page renders behind it");
        };
        assert!(matches!(
            cache.claim(key, now(), false, None),
            Claim::Older(_)
        ));
        // A page never kept before is rendered for the box that asked.
        assert!(matches!(
            cache.claim("hd:/tv/v/g/party?", now(), false, None),
            Claim::Render(Some(_), None)
        ));
        drop(flight);
        // A full queue takes no more: the older copy answers, nothing waits.
        cache.queued.store(BACKGROUND_QUEUE, Ordering::SeqCst);
        assert!(matches!(
            cache.claim(key, now(), false, None),
            Claim::Older(_)
        ));
        assert!(cache.lock().flights.is_empty());
        cache.queued.store(0, Ordering::SeqCst);
        drop(busy);
        assert!(matches!(
            cache.claim(key, now(), false, None),
            Claim::Render(Some(_), Some(_))
        ));
        assert_eq!(cache.stats().stale, 3);
    }

    #[test]
    fn renders_of_old_pages_are_paced_behind_their_older_copies() {
        let key = "hd:/tv/v/g/affairs?";
        let cache = cache_with(key, 1);
        village_changes(&cache);
        // A render of an old page took 5 ms: the next waits 10 ms.
        cache.paced_after(Duration::from_millis(5));
        // A quiet instance renders the page for the box that asks.
        let Claim::Render(Some(flight), Some(_)) = cache.claim(key, now(), false, None) else {
            panic!("quiet: the box that asks gets the new page");
        };
        drop(flight);
        cache.lock().asks = Asks {
            since: Some(Instant::now()),
            now: BUSY_ASKS,
            before: 0,
        };
        let wait = cache.pacing().expect("paced");
        assert!(wait <= Duration::from_millis(5) * PACE, "{wait:?}");
        let Claim::Refresh(flight, _) = cache.claim(key, now(), false, None) else {
            panic!("while paced the older copy answers and the page renders behind it");
        };
        drop(flight);
        // Pages never kept are not paced: the box has nothing else to see.
        assert!(matches!(
            cache.claim("hd:/tv/v/g/videos?", now(), false, None),
            Claim::Render(Some(_), None)
        ));
        std::thread::sleep(wait + Duration::from_millis(1));
        assert!(cache.pacing().is_none());
        assert!(matches!(
            cache.claim(key, now(), false, None),
            Claim::Render(Some(_), Some(_))
        ));
    }

    #[test]
    fn requests_are_counted_over_the_last_two_windows() {
        let t = Instant::now();
        let mut asks = Asks::default();
        assert_eq!(asks.count(t), 1);
        assert_eq!(asks.count(t + ASK_WINDOW / 2), 2);
        // The next window keeps the last one's count.
        assert_eq!(asks.count(t + ASK_WINDOW + ASK_WINDOW / 2), 3);
        // Past both, counting starts again.
        assert_eq!(asks.count(t + ASK_WINDOW * 4), 1);
    }

    #[test]
    fn an_older_copy_goes_when_its_new_render_cannot_be_kept() {
        let key = "hd:/tv/v/g/a/7?";
        let cache = cache_with(key, 1);
        village_changes(&cache);
        let Claim::Render(_, Some(older)) = cache.claim(key, now(), false, None) else {
            panic!("renders");
        };
        cache.forget(key, &older);
        assert!(matches!(
            cache.claim(key, now(), false, None),
            Claim::Render(Some(_), None)
        ));
        assert_eq!(cache.stats().pages, 0);
    }
}
