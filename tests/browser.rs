//! The TV pages in a real browser, as a villager with a remote uses them
//! (shared/TV.md "Testing like a villager"): the app on a loopback port,
//! Chromium headless at 1280x720 driven over WebDriver by chromedriver.
//! Keys are pressed and the focused element and the page reached are
//! asserted; a second run with JavaScript off uses Tab and Enter. A PNG of
//! every kind of TV page is saved under `target/tv-screenshots/`.
//!
//! Without `chromium` and `chromedriver` the tests print "skipped: ..." and
//! pass, except under `CI=true`, where they fail.

mod webdriver;

use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::Utc;
use serde::Deserialize;
use serde_json::json;
use village_portal::alerts::{self, AlertForm};
use village_portal::articles::{workflow, ArticleForm};
use village_portal::users;
use village_portal::AppState;

use crate::util::TestApp;
use webdriver::{key, Browser};

/// How long a page may take to load or focus to move.
const TIMEOUT: Duration = Duration::from_secs(15);

/// One browser at a time: Chromium is heavy and CI has two cores.
static ONE_BROWSER: Mutex<()> = Mutex::new(());

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Missing tools fail the run under `CI=true`; elsewhere the test is skipped.
fn missing(what: &str) {
    if in_ci() {
        panic!("browser tests need {what} (Debian: apt-get install chromium chromium-driver fonts-wqy-microhei)");
    }
    // Straight to stderr, past the test harness's capture: a plain
    // `cargo test` shows the skip instead of a silent `ok`.
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED browser test: {what} not installed (Debian: apt-get install chromium chromium-driver fonts-wqy-microhei)"
    );
}

/// Paths of chromedriver and Chromium, or `None` (after saying why) to skip.
fn tools() -> Option<(PathBuf, PathBuf)> {
    let driver = webdriver::find_program(&["chromedriver", "/usr/lib/chromium/chromedriver"]);
    let chromium = webdriver::find_program(&["chromium", "chromium-browser", "google-chrome"]);
    match (driver, chromium) {
        (Some(d), Some(c)) => Some((d, c)),
        (None, Some(_)) => {
            missing("chromedriver");
            None
        }
        (Some(_), None) => {
            missing("chromium");
            None
        }
        (None, None) => {
            missing("chromium and chromedriver");
            None
        }
    }
}

/// The real app on a loopback port, in its own thread with its own actix
/// system; dropping it stops the server.
struct Server {
    base: String,
    handle: actix_web::dev::ServerHandle,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    fn start(state: AppState) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port for the app");
        let base = format!(
            "http://{}",
            listener.local_addr().expect("the app's address")
        );
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = actix_web::HttpServer::new(move || village_portal::app(state.clone()))
                    .workers(2)
                    .disable_signals()
                    .listen(listener)
                    .expect("the app listens")
                    .run();
                let _ = tx.send(server.handle());
                if let Err(e) = server.await {
                    eprintln!("app server stopped: {e}");
                }
            })
        });
        let handle = rx.recv().expect("the app server started");
        Server {
            base,
            handle,
            thread: Some(thread),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // `stop` sends the command at once; the future only waits for it.
        drop(self.handle.stop(false));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The focused element.
#[derive(Debug, Deserialize, Default, Clone, PartialEq)]
struct Focus {
    id: String,
    href: String,
    text: String,
}

/// What the screen shows, as far as the tests care.
#[derive(Debug, Deserialize)]
struct Page {
    /// Path and query.
    path: String,
    hash: String,
    ready: String,
    /// The `<h1>` (village name, section) and the first `<h2>` (article or
    /// notice title).
    h1: String,
    h2: String,
    /// "第 N/M 页" of lists and articles.
    pageno: String,
    alert_banner: bool,
    focus: Option<Focus>,
}

impl Page {
    fn focus_id(&self) -> &str {
        self.focus.as_ref().map_or("", |f| f.id.as_str())
    }
}

const PAGE_SCRIPT: &str = r#"
var d = document, a = d.activeElement;
function text(x) { return x ? (x.textContent || '').replace(/\s+/g, ' ').replace(/^ | $/g, '') : ''; }
function first(sel) { return d.querySelector(sel); }
return {
  path: location.pathname + location.search, hash: location.hash, ready: d.readyState,
  h1: text(first('h1')), h2: text(first('h2')),
  pageno: text(first('.pager, .pageno')).replace(/^.*(第 \d+\/\d+ 页).*$/, '$1'),
  alert_banner: !!d.getElementById('alertbar'),
  focus: a && a !== d.body ? { id: a.id || '', href: a.getAttribute('href') || '', text: text(a) } : null
};"#;

/// A browser on the app: the villager's television.
struct Tv {
    browser: Browser,
    base: String,
}

impl Tv {
    fn page(&self) -> Page {
        let v = self.browser.exec(PAGE_SCRIPT, json!([]));
        serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("page state {v}: {e}"))
    }

    /// Polls until `ok` accepts the page; panics with the last page seen.
    #[track_caller]
    fn wait(&self, what: &str, ok: impl Fn(&Page) -> bool) -> Page {
        let start = Instant::now();
        loop {
            let page = self.page();
            if page.ready == "complete" && ok(&page) {
                return page;
            }
            if start.elapsed() > TIMEOUT {
                panic!("waited {TIMEOUT:?} for {what}; the browser shows {page:#?}");
            }
            std::thread::sleep(Duration::from_millis(40));
        }
    }

    /// Waits until the page at `path` (path and query) has loaded.
    #[track_caller]
    fn arrive(&self, path: &str) -> Page {
        self.wait(&format!("the page {path}"), |p| p.path == path)
    }

    /// Waits until the element with this id has the focus.
    #[track_caller]
    fn focused(&self, id: &str) -> Page {
        self.wait(&format!("focus on #{id}"), |p| p.focus_id() == id)
    }

    #[track_caller]
    fn open(&self, path: &str) -> Page {
        self.browser.go(&format!("{}{path}", self.base));
        self.arrive(path)
    }

    #[track_caller]
    fn press(&self, k: &str) {
        self.browser.press(&[k]);
    }

    /// A remote's colour key (red 403, green 404, yellow 405, blue 406).
    /// WebDriver can only press keys a PC keyboard has, and none has these
    /// keyCodes; so the keydown a set-top box sends is dispatched from a
    /// script to the focused element, from where it reaches tv.js's handler
    /// on `document` like a real key's event.
    #[track_caller]
    fn colour_key(&self, code: u32) {
        self.browser.exec(
            "var e = document.createEvent('Event');\
             e.initEvent('keydown', true, true);\
             e.keyCode = arguments[0]; e.which = arguments[0];\
             (document.activeElement || document.body).dispatchEvent(e);",
            json!([code]),
        );
    }

    /// Presses Tab until `want` accepts the focused element (JavaScript off).
    #[track_caller]
    fn tab_to(&self, what: &str, want: impl Fn(&Focus) -> bool) -> Focus {
        for _ in 0..60 {
            if let Some(f) = self.page().focus.filter(|f| want(f)) {
                return f;
            }
            self.press(key::TAB);
        }
        panic!(
            "Tab never reached {what}; the browser shows {:#?}",
            self.page()
        );
    }

    /// Tab to the element with this id, then Enter; waits for `to`.
    #[track_caller]
    fn tab_enter(&self, id: &str, to: &str) -> Page {
        self.tab_to(&format!("#{id}"), |f| f.id == id);
        self.press(key::ENTER);
        self.arrive(to)
    }

    /// Tab to the link to `href`, then Enter.
    #[track_caller]
    fn tab_enter_href(&self, href: &str) -> Page {
        self.tab_to(&format!("a link to {href}"), |f| f.href == href);
        self.press(key::ENTER);
        self.arrive(href)
    }

    /// The boxes of the elements matching `selector`: (id, left, top, right, bottom).
    fn rects(&self, selector: &str) -> Vec<(String, f64, f64, f64, f64)> {
        let v = self.browser.exec(
            "var out = [], all = document.querySelectorAll(arguments[0]);\
             for (var i = 0; i < all.length; i++) { var r = all[i].getBoundingClientRect();\
               out.push([all[i].id, r.left, r.top, r.right, r.bottom]); }\
             return out;",
            json!([selector]),
        );
        serde_json::from_value(v).expect("element boxes")
    }

    /// The `href`s of the links matching `selector`.
    fn hrefs(&self, selector: &str) -> Vec<String> {
        let v = self.browser.exec(
            "var out = [], all = document.querySelectorAll(arguments[0]);\
             for (var i = 0; i < all.length; i++) { out.push(all[i].getAttribute('href')); }\
             return out;",
            json!([selector]),
        );
        serde_json::from_value(v).expect("hrefs")
    }

    /// The section name a home tile shows (its text without number and counts).
    fn tile_name(&self, tile: &Focus) -> String {
        let v = self.browser.exec(
            "var n = document.getElementById(arguments[0]).getElementsByClassName('name')[0];\
             return n ? n.textContent : '';",
            json!([tile.id]),
        );
        let name = v.as_str().unwrap_or_default().trim().to_string();
        assert!(!name.is_empty(), "no .name in {tile:?}");
        name
    }

    fn shot(&self, dir: &Path, name: &str) {
        self.browser.screenshot(&dir.join(format!("{name}.png")));
    }
}

/// The demo county served on a real port, and a browser looking at it.
/// Fields drop in order: browser, then server, then the database.
struct Setup {
    tv: Tv,
    _server: Server,
    app: TestApp,
    _one: std::sync::MutexGuard<'static, ()>,
}

impl Setup {
    /// `None` when the browser tools are missing (and this is not CI).
    fn start(javascript: bool, arrange: impl FnOnce(&TestApp)) -> Option<Setup> {
        let (driver, chromium) = tools()?;
        let app = TestApp::demo();
        arrange(&app);
        let one = ONE_BROWSER.lock().unwrap_or_else(|e| e.into_inner());
        let server = Server::start(app.state.clone());
        let browser = Browser::start(&driver, &chromium, javascript)
            .unwrap_or_else(|e| panic!("the browser did not start: {e}"));
        Some(Setup {
            tv: Tv {
                browser,
                base: server.base.clone(),
            },
            _server: server,
            app,
            _one: one,
        })
    }
}

const HOME: &str = "/tv/v/gengjing";
const NOTICES: &str = "/tv/v/gengjing/notices";

/// Publishes an article of 耿井村 through the real workflow (the clerk
/// writes and submits, the official approves); returns its id.
fn publish(app: &TestApp, section: &str, title: &str, body: &str) -> i64 {
    let village = app.place_id("gengjing");
    let mut conn = app.conn();
    let mut actor = |name: &str| {
        let user = users::find_by_username(&mut conn, name)
            .expect("user query")
            .unwrap_or_else(|| panic!("no demo user {name}"));
        users::actor(&mut conn, &user).expect("actor")
    };
    let (clerk, official) = (actor("clerk"), actor("official"));
    let form = ArticleForm {
        section: section.into(),
        title: title.into(),
        body: body.into(),
        scope: "village".into(),
        place_id: Some(village),
        ..ArticleForm::default()
    };
    let a = workflow::create(&mut conn, &clerk, &form, app.state.offset).expect("article created");
    workflow::submit(&mut conn, &clerk, a.id, None).expect("article submitted");
    workflow::approve(&mut conn, &official, a.id, None).expect("article approved");
    a.id
}

/// Enough notices for a second list page.
fn many_notices(app: &TestApp) {
    for i in 1..=9 {
        publish(
            app,
            "notices",
            &format!("关于第{i}组春灌放水时间的通知"),
            "<p>请各组村民按时到田间看水，注意用电安全。</p>",
        );
    }
}

/// A notice that takes several screen pages; returns its id.
fn long_notice(app: &TestApp) -> i64 {
    let para =
        "<p>为做好今年春季农田灌溉工作，村委会决定分组分时段放水。请各户提前平整田埂、疏通垄沟，\
                放水期间安排专人看护，发现跑水漏水及时报告。浇地时注意用电安全，不要私拉乱接电线，\
                老人和孩子不要靠近机井和变压器。</p>";
    publish(app, "notices", "春灌安排和用电安全提示", &para.repeat(12))
}

/// Nearest element of `rects` in direction `dir` from `from`, as a person
/// sees the screen: in the same row (Right) or the next row down, nearest
/// column (Down).
fn neighbour(rects: &[(String, f64, f64, f64, f64)], from: &str, dir: char) -> String {
    let &(_, l, t, r, b) = rects
        .iter()
        .find(|x| x.0 == from)
        .unwrap_or_else(|| panic!("no #{from} on the page"));
    let centre = |x: &(String, f64, f64, f64, f64)| (x.1 + x.3) / 2.0;
    let mut candidates: Vec<_> = rects
        .iter()
        .filter(|x| match dir {
            'r' => (x.2 - t).abs() < 1.0 && x.1 >= r,
            'd' => x.2 >= b,
            _ => unreachable!("only Right and Down"),
        })
        .collect();
    candidates.sort_by(|x, y| {
        let key = |z: &(String, f64, f64, f64, f64)| match dir {
            'r' => z.1,
            _ => z.2 * 10_000.0 + (centre(z) - (l + r) / 2.0).abs(),
        };
        key(x).total_cmp(&key(y))
    });
    candidates
        .first()
        .unwrap_or_else(|| panic!("nothing in direction {dir} of #{from}: {rects:?}"))
        .0
        .clone()
}

/// On the home: arrows move focus by the lrud-spatial rule, OK opens a
/// tile, Back returns to it (`#f=`), a digit opens its tile.
fn home_journey(tv: &Tv) {
    let home = tv.open(HOME);
    assert_eq!(home.h1, "耿井村");
    // tv.js focuses the first tile of the main group on load.
    tv.focused("tile-1");

    // Which tiles there are depends on the village's content; the demo
    // has at least two rows of them.
    let tiles = tv.rects(".tile");
    assert!(tiles.len() >= 4, "tiles: {tiles:?}");
    let right = neighbour(&tiles, "tile-1", 'r');
    let below = neighbour(&tiles, "tile-1", 'd');
    assert_eq!(right, "tile-2", "tiles are numbered along the row");
    tv.press(key::RIGHT);
    tv.focused(&right);
    tv.press(key::LEFT);
    tv.focused("tile-1");
    tv.press(key::DOWN);
    let p = tv.focused(&below);
    assert_eq!(
        p.hash,
        format!("#f={below}"),
        "the focus is kept in the address"
    );
    tv.press(key::UP);
    tv.focused("tile-1");

    // Right twice to tile 3, OK opens it.
    let third = neighbour(&tiles, "tile-2", 'r');
    assert_eq!(third, "tile-3", "tiles are numbered along the row");
    tv.press(key::RIGHT);
    tv.press(key::RIGHT);
    let p = tv.focused("tile-3");
    assert_eq!(p.hash, "#f=tile-3");
    let tile3 = p.focus.expect("a focused tile");
    let name = tv.tile_name(&tile3);
    tv.press(key::ENTER);
    let opened = tv.arrive(&tile3.href);
    assert!(
        opened.h1.contains(&name) || opened.h2.contains(&name),
        "tile 3 ({name}) opened {opened:?}"
    );

    // Back (8) returns home with the focus on tile 3 again (#f= memory).
    tv.press(key::BACKSPACE);
    let back = tv.wait("home again", |p| p.path == HOME);
    assert_eq!(back.hash, "#f=tile-3");
    tv.focused("tile-3");

    // A digit opens the tile with that number; Back comes back to it.
    let last = tiles.len();
    let href = tv
        .hrefs(&format!("#tile-{last}"))
        .pop()
        .expect("the last tile");
    tv.press(&last.to_string());
    tv.arrive(&href);
    tv.press(key::BACKSPACE);
    tv.arrive(HOME);
    tv.focused(&format!("tile-{last}"));
}

/// On a list (two pages of notices): Down moves through the rows,
/// PageDown turns the page, a digit opens that row, Back returns to it.
fn list_journey(tv: &Tv) {
    let list = tv.open(NOTICES);
    assert!(list.h1.contains("通知公告"), "{list:?}");
    assert!(list.pageno.starts_with("第 1/"), "{list:?}");
    tv.focused("row-1");
    // A full list page (eight rows and the pager) for people to look at.
    tv.shot(&screenshot_dir(), "tv-notices-full");
    for row in ["row-2", "row-3", "row-4"] {
        tv.press(key::DOWN);
        tv.focused(row);
    }
    tv.press(key::UP);
    tv.focused("row-3");

    // PageDown (34) follows rel="next".
    tv.press(key::PAGE_DOWN);
    let second = tv.arrive("/tv/v/gengjing/notices?page=2");
    assert!(second.pageno.starts_with("第 2/"), "{second:?}");
    tv.focused("row-1");

    // On page 1, digit 4 opens the fourth row.
    tv.open(NOTICES);
    let rows = tv.hrefs(".row");
    assert_eq!(rows.len(), 8, "a full first page: {rows:?}");
    let row4 = tv
        .browser
        .exec(
            "return document.getElementById('row-4').textContent;",
            json!([]),
        )
        .as_str()
        .map(str::to_string)
        .expect("row 4's text");
    tv.press("4");
    let article = tv.arrive(&rows[3]);
    assert!(
        !article.h2.is_empty() && row4.contains(&article.h2),
        "row 4 {row4:?} opened {article:?}"
    );
    // Back returns to the list with row 4 focused.
    tv.press(key::BACKSPACE);
    let back = tv.wait("the list again", |p| p.path == NOTICES);
    assert_eq!(back.hash, "#f=row-4");
    tv.focused("row-4");
}

/// In an article of several screen pages (notice `id`): PageDown turns
/// pages, Back returns to the list; then the colour keys.
fn article_journey(tv: &Tv, id: i64) {
    let first = format!("/tv/v/gengjing/a/{id}");
    // Reached from the list, as a villager would: Down to its row, OK.
    tv.open(NOTICES);
    tv.focused("row-1");
    for _ in 0..8 {
        if tv.page().focus.is_some_and(|f| f.href == first) {
            break;
        }
        tv.press(key::DOWN);
    }
    assert_eq!(tv.page().focus.map(|f| f.href), Some(first.clone()));
    tv.press(key::ENTER);
    let p1 = tv.arrive(&first);
    assert_eq!(p1.h2, "春灌安排和用电安全提示");
    let pages: u32 = p1
        .pageno
        .trim_start_matches("第 1/")
        .trim_end_matches(" 页")
        .parse()
        .unwrap_or_else(|_| panic!("page number in {p1:?}"));
    assert!(pages >= 3, "a long notice takes several screens: {p1:?}");

    tv.press(key::PAGE_DOWN);
    let p2 = tv.arrive(&format!("{first}?p=2"));
    assert!(p2.pageno.starts_with("第 2/"), "{p2:?}");
    tv.press(key::PAGE_DOWN);
    let p3 = tv.arrive(&format!("{first}?p=3"));
    assert!(p3.pageno.starts_with("第 3/"), "{p3:?}");

    // Back (8) follows the page's 返回 link: the notices list.
    tv.press(key::BACKSPACE);
    let list = tv.arrive(NOTICES);
    assert!(list.h1.contains("通知公告"), "{list:?}");

    // Colour keys: red home, green notices, yellow health, blue cameras.
    tv.colour_key(403);
    tv.arrive(HOME);
    tv.colour_key(404);
    tv.arrive(NOTICES);
    tv.colour_key(405);
    tv.arrive("/tv/v/gengjing/health");
    tv.colour_key(406);
    tv.arrive("/tv/v/gengjing/cameras");
    tv.colour_key(403);
    tv.arrive(HOME);
    tv.focused("tile-1");
}

#[test]
fn remote_keys_move_focus_open_pages_and_back_returns_to_the_same_item() {
    let mut id = 0;
    let Some(s) = Setup::start(true, |app| {
        many_notices(app);
        id = long_notice(app);
    }) else {
        return;
    };
    home_journey(&s.tv);
    list_journey(&s.tv);
    article_journey(&s.tv, id);
}

#[test]
fn with_javascript_off_tab_and_enter_reach_every_kind_of_page() {
    let mut id = 0;
    let Some(s) = Setup::start(false, |app| {
        many_notices(app);
        id = long_notice(app);
    }) else {
        return;
    };
    let tv = &s.tv;
    let article = format!("/tv/v/gengjing/a/{id}");
    let home = tv.open(HOME);
    // Nothing focused and no #f=: tv.js did not run.
    assert_eq!(home.focus, None, "tv.js ran with JavaScript off? {home:?}");
    assert_eq!(home.hash, "");

    // Home -> a list -> its second page -> an article there.
    tv.tab_enter_href(NOTICES);
    tv.tab_enter("page-next", "/tv/v/gengjing/notices?page=2");
    let row = tv.tab_to("row-1", |f| f.id == "row-1");
    tv.press(key::ENTER);
    let opened = tv.arrive(&row.href);
    assert!(
        !opened.h2.is_empty() && row.text.contains(&opened.h2),
        "{opened:?}"
    );

    // The long article from page 1, its next screen page, back to the list.
    tv.tab_enter("nav-back", NOTICES);
    tv.tab_enter_href(&article);
    let p2 = tv.tab_enter("page-next", &format!("{article}?p=2"));
    assert!(p2.pageno.starts_with("第 2/"), "{p2:?}");
    tv.tab_enter("page-prev", &format!("{article}?p=1"));
    tv.tab_enter("nav-back", NOTICES);

    // Party with its category tabs, home again.
    tv.tab_enter("nav-home", HOME);
    tv.tab_enter_href("/tv/v/gengjing/party");
    let tab = tv.tab_to("a category tab", |f| f.href.contains("?cat="));
    tv.press(key::ENTER);
    let cat = tv.arrive(&tab.href);
    assert!(cat.h1.contains("党建园地"), "{cat:?}");
    tv.tab_enter("nav-home", HOME);
    // Each of these lists, its first item (a video's page for 点播), and back up.
    for section in ["news", "affairs", "videos"] {
        let list = format!("/tv/v/gengjing/{section}");
        tv.tab_enter_href(&list);
        let item = tv.tab_to("an item", |f| f.href.starts_with("/tv/v/gengjing/a/"));
        tv.press(key::ENTER);
        tv.arrive(&item.href);
        tv.tab_enter("nav-back", &list);
        tv.tab_enter("nav-back", HOME);
    }

    // Home's 返回 stays home (a box with its STB id has no use for the
    // chooser); the chooser is its own address.
    assert_eq!(tv.hrefs("#nav-back"), vec![HOME.to_string()]);
    tv.open("/tv/villages");
    tv.tab_enter_href("/tv/v/chenzhuang");
    let other = tv.page();
    assert_eq!(other.h1, "陈庄村", "{other:?}");

    // The 404 page leads home.
    let missing = tv.open("/tv/v/gengjing/nope");
    assert!(missing.h2.contains("没有找到"), "{missing:?}");
    tv.tab_enter("error-home", HOME);

    // An alert starts: the next page opened is the alert; 我知道了 goes on
    // to where the box was going, which now carries the banner.
    let alert = red_alert(&s.app);
    tv.browser.go(&format!("{}{NOTICES}", tv.base));
    let page = tv.wait("the alert page", |p| {
        p.path.starts_with(&format!("/tv/v/gengjing/alert/{alert}"))
    });
    assert!(page.h2.contains("红色预警"), "{page:?}");
    let list = tv.tab_enter("alert-ok", NOTICES);
    assert!(list.alert_banner, "{list:?}");
}

/// Issue 4 (article reader): "left/right and page keys turn pages"; OK on a
/// turned page reads on (下一页 has the focus).
#[test]
fn in_an_article_right_and_left_turn_pages() {
    let mut id = 0;
    let Some(s) = Setup::start(true, |app| id = long_notice(app)) else {
        return;
    };
    let tv = &s.tv;
    let first = format!("/tv/v/gengjing/a/{id}");
    tv.open(&first);
    tv.press(key::RIGHT);
    let p2 = tv.arrive(&format!("{first}?p=2"));
    assert!(p2.pageno.starts_with("第 2/"), "{p2:?}");
    tv.press(key::ENTER);
    let p3 = tv.arrive(&format!("{first}?p=3"));
    assert!(p3.pageno.starts_with("第 3/"), "{p3:?}");
    tv.press(key::LEFT);
    tv.arrive(&format!("{first}?p=2"));
    tv.press(key::LEFT);
    let p1 = tv.arrive(&format!("{first}?p=1"));
    assert!(p1.pageno.starts_with("第 1/"), "{p1:?}");
}

/// Starts a red alert for 耿井村 through the domain code; returns its id.
fn red_alert(app: &TestApp) -> i64 {
    let actor = app.system_actor();
    let ends = (Utc::now() + chrono::Duration::hours(6))
        .with_timezone(&app.state.offset)
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let form = AlertForm {
        level: "red".into(),
        text: "黄河水位快速上涨，沿河低洼地带的村民请立即转移到村委会大院，听从村干部统一安排。"
            .into(),
        target: app.place_id("gengjing").to_string(),
        ends_at: ends,
        ..AlertForm::default()
    };
    alerts::create(&mut app.conn(), &actor, &form, app.state.offset)
        .expect("alert created")
        .id
}

/// `$CARGO_TARGET_DIR/tv-screenshots` (default `target/`), created.
fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .filter(|v| !v.is_empty())
        .map_or_else(|| PathBuf::from("target"), PathBuf::from);
    let target = if target.is_relative() {
        Path::new(env!("CARGO_MANIFEST_DIR")).join(target)
    } else {
        target
    };
    let dir = target.join("tv-screenshots");
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    dir
}

/// Chinese text needs a CJK font in the browser (TV.md); without one the
/// screenshots show boxes.
fn check_cjk_font() {
    let found = std::process::Command::new("fc-list")
        .arg(":lang=zh")
        .output()
        .is_ok_and(|o| !o.stdout.is_empty());
    if !found {
        let msg =
            "no Chinese font for the screenshots (Debian: apt-get install fonts-wqy-microhei)";
        assert!(!in_ci(), "{msg}");
        eprintln!("warning: {msg}");
    }
}

#[test]
fn screenshots_of_every_kind_of_tv_page() {
    let Some(s) = Setup::start(true, |_| {}) else {
        return;
    };
    check_cjk_font();
    let dir = screenshot_dir();
    let tv = &s.tv;
    let mut shots = Vec::new();
    let mut shoot = |tv: &Tv, name: &str| {
        tv.shot(&dir, name);
        shots.push(name.to_string());
    };

    tv.open(HOME);
    tv.focused("tile-1");
    shoot(tv, "tv-home");
    tv.open("/tv/villages");
    shoot(tv, "tv-villages");
    for section in [
        "notices", "news", "party", "affairs", "roster", "health", "cameras", "videos",
    ] {
        tv.open(&format!("/tv/v/gengjing/{section}"));
        shoot(tv, &format!("tv-{section}"));
    }
    tv.open("/tv/v/gengjing/party?cat=meetings");
    shoot(tv, "tv-party-tab");

    // The first video of the list, if the demo has one.
    tv.open("/tv/v/gengjing/videos");
    if let Some(video) = tv.hrefs(".row, .tile, .poster").into_iter().next() {
        tv.open(&video);
        shoot(tv, "tv-video");
    }

    // An article with several screen pages from the demo: its first and a later page.
    let mut long = None;
    'find: for section in ["news", "affairs", "notices", "party"] {
        tv.open(&format!("/tv/v/gengjing/{section}"));
        for href in tv.hrefs(".row") {
            let p = tv.open(&href);
            if p.pageno.starts_with("第 1/") && !p.pageno.starts_with("第 1/1 ") {
                long = Some(href);
                break 'find;
            }
        }
    }
    let long = long.unwrap_or_else(|| {
        let id = long_notice(&s.app);
        format!("/tv/v/gengjing/a/{id}")
    });
    tv.open(&long);
    shoot(tv, "tv-article-1");
    tv.open(&format!("{long}?p=2"));
    shoot(tv, "tv-article-2");

    // The first screen of every news and village-affairs item (text, photo, tables).
    for section in ["news", "affairs"] {
        tv.open(&format!("/tv/v/gengjing/{section}"));
        for (i, href) in tv.hrefs(".row").into_iter().enumerate() {
            tv.open(&href);
            shoot(tv, &format!("tv-{section}-{}", i + 1));
        }
    }

    let missing = tv.open("/tv/v/gengjing/nope");
    assert!(missing.h2.contains("没有找到"), "{missing:?}");
    shoot(tv, "tv-not-found");

    // A live alert: the full-screen page first, then the banner on every page.
    let id = red_alert(&s.app);
    tv.browser.go(&format!("{}{HOME}", tv.base));
    tv.wait("the alert page", |p| {
        p.path.starts_with(&format!("/tv/v/gengjing/alert/{id}"))
    });
    tv.focused("alert-ok");
    shoot(tv, "tv-alert");
    // OK dismisses it; the banner stays while the alert is live.
    tv.press(key::ENTER);
    let home = tv.arrive(HOME);
    assert!(home.alert_banner, "{home:?}");
    tv.focused("tile-1");
    shoot(tv, "tv-home-alert");
    tv.open(NOTICES);
    shoot(tv, "tv-notices-alert");
    tv.open(&long);
    shoot(tv, "tv-article-alert");

    eprintln!("screenshots in {}: {}", dir.display(), shots.join(", "));
}

/// The demo's cameras (ffmpeg's test picture), each with a first picture.
fn demo_cameras(app: &TestApp) -> Vec<i64> {
    let mut conn = app.conn();
    let ffmpeg = app.state.cameras.grabber.ffmpeg.clone();
    village_portal::demo::cameras::load(&mut conn, &app.state.keys, ffmpeg.as_ref(), None)
        .expect("demo cameras");
    let ids: Vec<i64> =
        village_portal::cameras::of_village(&mut conn, app.place_id("gengjing"), true)
            .expect("cameras")
            .into_iter()
            .map(|c| c.id)
            .collect();
    for id in &ids {
        // Without ffmpeg the cameras stay without a picture: pages say so.
        let _ = app.state.cameras.grabber.grab_and_record(&mut conn, *id);
    }
    ids
}

/// Marks the document, to tell when the page has been loaded anew.
fn mark(tv: &Tv) {
    tv.browser
        .exec("document.body.setAttribute('data-mark', '1');", json!([]));
}

fn reloaded(tv: &Tv) -> bool {
    tv.browser
        .exec(
            "return document.readyState === 'complete' && document.body && !document.body.getAttribute('data-mark');",
            json!([]),
        )
        .as_bool()
        .unwrap_or(false)
}

#[test]
fn cameras_by_remote_blue_key_left_right_and_a_refresh_that_keeps_focus() {
    let mut ids = Vec::new();
    let Some(s) = Setup::start(true, |app| ids = demo_cameras(app)) else {
        return;
    };
    let tv = &s.tv;
    assert_eq!(ids.len(), 3, "gengjing's three public cameras");
    tv.open(HOME);
    tv.focused("tile-1");
    tv.colour_key(406);
    tv.arrive("/tv/v/gengjing/cameras");
    tv.focused("row-1");
    assert_eq!(tv.hrefs("#row-1"), ["/tv/v/gengjing/cameras/wall"]);
    tv.press(key::RIGHT);
    tv.focused("row-2");
    tv.press(key::ENTER);
    let first = format!("/tv/v/gengjing/cameras/{}", ids[0]);
    let second = format!("/tv/v/gengjing/cameras/{}", ids[1]);
    tv.arrive(&first);
    // Right from the buttons beside the picture: nothing that way, so the
    // next camera; left goes back to the first.
    let page = tv.wait("focus on the camera page", |p| p.focus.is_some());
    assert!(page.h2.contains("村口"), "{page:?}");
    tv.press(key::RIGHT);
    tv.arrive(&second);
    tv.wait("focus", |p| p.focus.is_some());
    tv.press(key::LEFT);
    tv.arrive(&first);
    tv.wait("focus", |p| p.focus.is_some());
    tv.press(key::RIGHT);
    tv.arrive(&second);
    // Move the focus to 下一个, then let the page refresh itself: the
    // focus comes back to the same button.
    for _ in 0..3 {
        if tv.wait("focus", |p| p.focus.is_some()).focus_id() == "cam-next" {
            break;
        }
        tv.press(key::DOWN);
        std::thread::sleep(Duration::from_millis(200));
    }
    tv.focused("cam-next");
    mark(tv);
    let deadline = Instant::now() + Duration::from_secs(30);
    while !reloaded(tv) {
        assert!(
            Instant::now() < deadline,
            "the camera page did not refresh itself"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let after = tv.focused("cam-next");
    assert_eq!(after.path, second);
    // Back leads to the list.
    tv.press(key::BACKSPACE);
    tv.wait("the cameras list", |p| {
        p.path.starts_with("/tv/v/gengjing/cameras") && !p.path.contains("/cameras/")
    });
    let dir = screenshot_dir();
    tv.open(&format!("/tv/v/gengjing/cameras/{}", ids[2]));
    tv.shot(&dir, "tv-camera");
    tv.open("/tv/v/gengjing/cameras/wall");
    tv.shot(&dir, "tv-camera-wall");
}

#[test]
fn with_javascript_off_the_camera_page_refreshes_itself() {
    let mut ids = Vec::new();
    let Some(s) = Setup::start(false, |app| ids = demo_cameras(app)) else {
        return;
    };
    let tv = &s.tv;
    let page = format!("/tv/v/gengjing/cameras/{}", ids[0]);
    tv.open(&page);
    mark(tv);
    let deadline = Instant::now() + Duration::from_secs(30);
    while !reloaded(tv) {
        assert!(Instant::now() < deadline, "no refresh without JavaScript");
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(tv.page().path, page);
    // Tab and Enter reach the next camera and the list.
    let second = format!("/tv/v/gengjing/cameras/{}", ids[1]);
    tv.tab_enter("cam-next", &second);
    tv.tab_enter_href("/tv/v/gengjing/cameras");
}

/// The addresses of every kind of TV page of 耿井村 (for the SD and the
/// QtWebKit runs): (name, path).
fn page_kinds(app: &TestApp) -> Vec<(String, String)> {
    let mut out = vec![
        ("home".to_string(), HOME.to_string()),
        ("villages".into(), "/tv/villages".into()),
        (
            "party-tab".into(),
            "/tv/v/gengjing/party?cat=meetings".into(),
        ),
        ("pin".into(), "/tv/v/gengjing/health/me".into()),
        ("not-found".into(), "/tv/v/gengjing/nope".into()),
        // Unregistered: the registration number, no code.
        ("office-unregistered".into(), "/tv/v/gengjing/office".into()),
    ];
    for section in [
        "notices", "news", "party", "affairs", "roster", "health", "cameras", "videos",
    ] {
        out.push((section.into(), format!("/tv/v/gengjing/{section}")));
    }
    // 组织生活: the list and a confirmed meeting with its photo.
    out.push(("party-life".into(), "/tv/v/gengjing/party?cat=life".into()));
    let meeting: Option<i64> = {
        use diesel::prelude::*;
        use village_portal::db::schema::branch_meetings;
        branch_meetings::table
            .filter(branch_meetings::village_id.eq(app.place_id("gengjing")))
            .filter(branch_meetings::confirmed_at.is_not_null())
            .filter(branch_meetings::photo_id.is_not_null())
            .order(branch_meetings::held_on.desc())
            .select(branch_meetings::id)
            .first(&mut *app.conn())
            .ok()
    };
    if let Some(id) = meeting {
        out.push(("meeting".into(), format!("/tv/v/gengjing/life/{id}")));
    }
    let long = long_notice(app);
    out.push(("article".into(), format!("/tv/v/gengjing/a/{long}")));
    out.push(("article-2".into(), format!("/tv/v/gengjing/a/{long}?p=2")));
    let video: Option<i64> = {
        use diesel::prelude::*;
        use village_portal::db::schema::articles;
        articles::table
            .filter(articles::section.eq("videos"))
            .select(articles::id)
            .first(&mut *app.conn())
            .ok()
    };
    if let Some(id) = video {
        out.push(("video".into(), format!("/tv/v/gengjing/a/{id}")));
    }
    // A camera in the middle of the list (with both 上一个 and 下一个) and the wall.
    let village = app.place_id("gengjing");
    let cameras =
        village_portal::cameras::of_village(&mut app.conn(), village, true).unwrap_or_default();
    if let Some(c) = cameras.get(1) {
        out.push(("camera".into(), format!("/tv/v/gengjing/cameras/{}", c.id)));
    }
    out.push(("camera-wall".into(), "/tv/v/gengjing/cameras/wall".into()));
    // The villager's voice: each step, 我的反映 and the rating question.
    let v = "/tv/v/gengjing/voice";
    let choice = "kind=report&c=road&r=1&call=1";
    for (name, path) in [
        ("voice", String::new()),
        ("voice-report", "/report".into()),
        ("voice-reasons", "/c/road".into()),
        ("voice-callback", "/c/road/1".into()),
        ("voice-confirm", format!("/confirm?{choice}")),
        ("voice-keypad", format!("/household?{choice}&h=00")),
        ("voice-help", "/help".into()),
        ("voice-mine", "/mine".into()),
        ("voice-board", "/board".into()),
    ] {
        out.push((name.into(), format!("{v}{path}")));
    }
    let household = app.household("STB0001").id;
    if let Some(r) = village_portal::voice::filing::awaiting_rating(&mut app.conn(), household)
        .ok()
        .flatten()
    {
        out.push(("voice-rate".into(), format!("{v}/mine/{}", r.id)));
    }
    out
}

/// Issue 14: 我要反映 by digits alone, then 一键求助 from the home in two
/// presses; with JavaScript off, Tab and Enter file one too.
#[test]
fn a_villager_reports_and_calls_for_help_with_the_remote() {
    let Some(s) = Setup::start(true, |_| {}) else {
        return;
    };
    let tv = &s.tv;
    let count = || -> i64 {
        use diesel::prelude::*;
        village_portal::db::schema::voice_requests::table
            .count()
            .get_result(&mut *s.app.state.db.get().unwrap())
            .unwrap()
    };
    tv.browser.go(&format!("{}/tv?stbid=STB0001", tv.base));
    tv.arrive(HOME);
    tv.focused("tile-1");
    // The last tile is 村民之声; its digit opens it.
    let last = tv.rects(".tile").len();
    let voice = tv.hrefs(&format!("#tile-{last}")).pop().unwrap();
    assert_eq!(voice, "/tv/v/gengjing/voice");
    tv.press(&last.to_string());
    tv.arrive(&voice);
    // 1 我要反映, 1 道路路灯, 1 路灯不亮, 2 不用回电: the confirm page,
    // with 确认提交 focused; OK files it.
    tv.press("1");
    tv.arrive("/tv/v/gengjing/voice/report");
    tv.press("1");
    tv.arrive("/tv/v/gengjing/voice/c/road");
    tv.press("1");
    tv.arrive("/tv/v/gengjing/voice/c/road/1");
    let at = |prefix: &str| tv.wait(prefix, |p| p.path.starts_with(prefix));
    tv.press("2");
    at("/tv/v/gengjing/voice/confirm?");
    tv.focused("opt-1");
    let before = count();
    tv.press(key::ENTER);
    let done = at("/tv/v/gengjing/voice/send?");
    assert!(done.h2.contains("已经提交"), "{done:?}");
    assert_eq!(count(), before + 1);
    // Back leads to 村民之声, filing nothing more.
    tv.press(key::BACKSPACE);
    tv.arrive("/tv/v/gengjing/voice");
    assert_eq!(count(), before + 1);

    // 一键求助: from the home, right to the red box, OK, OK.
    tv.open(HOME);
    tv.focused("tile-1");
    for _ in 0..3 {
        tv.press(key::RIGHT);
    }
    tv.focused("help");
    tv.press(key::ENTER);
    tv.arrive("/tv/v/gengjing/voice/help");
    tv.focused("opt-1");
    tv.press(key::ENTER);
    let sent = at("/tv/v/gengjing/voice/help/send?");
    assert!(sent.h2.contains("已经求助"), "{sent:?}");
    assert_eq!(count(), before + 2);
    drop(s);

    // JavaScript off: Tab and Enter through the same steps.
    let Some(s) = Setup::start(false, |_| {}) else {
        return;
    };
    let tv = &s.tv;
    tv.browser.go(&format!("{}/tv?stbid=STB0002", tv.base));
    tv.arrive(HOME);
    tv.tab_enter_href("/tv/v/gengjing/voice");
    tv.tab_enter_href("/tv/v/gengjing/voice/report");
    tv.tab_enter_href("/tv/v/gengjing/voice/c/water");
    tv.tab_enter_href("/tv/v/gengjing/voice/c/water/1");
    let at = |prefix: &str| tv.wait(prefix, |p| p.path.starts_with(prefix));
    let yes = tv.tab_to("需要回电", |f| f.id == "opt-1");
    tv.press(key::ENTER);
    at("/tv/v/gengjing/voice/confirm?");
    assert!(yes.href.contains("call=1"), "{yes:?}");
    let send = tv.tab_to("确认提交", |f| f.id == "opt-1");
    tv.press(key::ENTER);
    let done = at("/tv/v/gengjing/voice/send?");
    assert!(done.h2.contains("已经提交"), "{done:?} after {send:?}");
}

#[test]
fn an_sd_box_gets_pages_that_fit_720x576_and_focus_that_stays_on_screen() {
    let Some(s) = Setup::start(true, many_notices) else {
        return;
    };
    check_cjk_font();
    let dir = screenshot_dir();
    let tv = &s.tv;
    tv.browser.resize(720, 576);
    tv.browser
        .go(&format!("{}/tv?stbid=STB0001&screen=sd", tv.base));
    tv.arrive(HOME);
    tv.focused("tile-1");
    tv.press(key::RIGHT);
    tv.focused("tile-2");
    let fit = |tv: &Tv| -> (f64, f64, f64, String) {
        let v = tv.browser.exec(
            "var e = document.documentElement, f = document.getElementsByClassName('focus');\
             return [e.scrollWidth, e.scrollHeight, window.scrollX + window.scrollY,\
                     f.length === 1 ? f[0].id : 'focus classes: ' + f.length];",
            json!([]),
        );
        serde_json::from_value(v).expect("sizes")
    };
    let (w, h, scrolled, focus_class) = fit(tv);
    assert!(w <= 720.0 && h <= 576.0, "the SD home is {w}x{h}");
    assert_eq!(scrolled, 0.0, "focus scrolled the window");
    assert_eq!(
        focus_class, "tile-2",
        "tv.js marks the focused tile (and only it)"
    );
    // A list holds 5 rows on SD and still pages on.
    let list = tv.open(NOTICES);
    assert!(list.pageno.starts_with("第 1/"), "{list:?}");
    assert_eq!(tv.hrefs(".row").len(), 5);
    for (name, path) in page_kinds(&s.app) {
        tv.open(&path);
        let (w, h, scrolled, _) = fit(tv);
        assert!(
            w <= 720.0 && h <= 576.0,
            "{path}: {w}x{h} on a 720x576 screen"
        );
        assert_eq!(scrolled, 0.0, "{path}: scrolled");
        // Every key of the page is on the screen, none cut off by the frame.
        assert_eq!(keys_cut_off(tv), "", "{path}: keys outside the screen");
        tv.shot(&dir, &format!("tv-sd-{name}"));
    }
}

/// The links of `#main` that its frame cuts off (below or right of it),
/// by their text, joined with " | ".
fn keys_cut_off(tv: &Tv) -> String {
    let cut = tv.browser.exec(
        "var m = document.getElementById('main'), out = [];\
         if (m) { var b = m.getBoundingClientRect(), a = m.getElementsByTagName('a');\
           for (var i = 0; i < a.length; i++) { var r = a[i].getBoundingClientRect();\
             if (r.height > 0 && (r.bottom > b.bottom + 1 || r.right > b.right + 1))\
               out.push(a[i].textContent.trim()); } }\
         return out.join(' | ');",
        json!([]),
    );
    cut.as_str().unwrap_or("(not a string)").to_string()
}

/// At 1280x720 too, every key of every page kind is inside `#main`: the
/// home's nine tiles (eight sections and 村民之声) once had a third row
/// hidden under the legend.
#[test]
fn every_key_of_every_hd_page_is_on_the_screen() {
    let Some(s) = Setup::start(true, |_| {}) else {
        return;
    };
    let tv = &s.tv;
    let home = tv.open(HOME);
    assert_eq!(home.h1, "耿井村");
    // Seven or more tiles take a third row.
    assert!(
        tv.rects(".tile").len() >= 7,
        "the demo home has three rows of tiles"
    );
    for (_, path) in page_kinds(&s.app) {
        tv.open(&path);
        assert_eq!(keys_cut_off(tv), "", "{path}: keys outside the screen");
    }
}

/// Where Debian's wkhtmltopdf puts QtWebKit's renderer.
fn wkhtmltoimage() -> Option<PathBuf> {
    webdriver::find_program(&["wkhtmltoimage", "/usr/bin/wkhtmltoimage"])
}

/// Every kind of TV page in an old engine (QtWebKit 5.212 through
/// `wkhtmltoimage`), at 1280x720 and as an SD box at 720x576: the render
/// needs no scrolling (its height is the screen's) and is not blank. The
/// PNGs go next to Chromium's (`qtwebkit-…`).
#[test]
fn every_kind_of_tv_page_fits_the_screen_in_qtwebkit_at_both_sizes() {
    let Some(tool) = wkhtmltoimage() else {
        if in_ci() {
            panic!("the engine test needs wkhtmltoimage (Debian: apt-get install wkhtmltopdf)");
        }
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED engine test: wkhtmltoimage not installed (Debian: apt-get install wkhtmltopdf)"
        );
        return;
    };
    let app = TestApp::demo();
    let kinds = page_kinds(&app);
    // The demo's alert has been seen: the pages show its banner.
    let seen: i64 = {
        use diesel::prelude::*;
        use village_portal::db::schema::alerts;
        alerts::table
            .order(alerts::id.desc())
            .select(alerts::id)
            .first(&mut *app.conn())
            .unwrap_or(0)
    };
    let _one = ONE_BROWSER.lock().unwrap_or_else(|e| e.into_inner());
    let server = Server::start(app.state.clone());
    let dir = screenshot_dir();
    let mut kinds = kinds;
    kinds.push(("alert".into(), format!("/tv/v/gengjing/alert/{seen}")));
    for (screen, width, height) in [("hd", 1280u32, 720u32), ("sd", 720, 576)] {
        for (name, path) in &kinds {
            let png = dir.join(format!("qtwebkit-{screen}-{name}.png"));
            let out = std::process::Command::new(&tool)
                .env("QT_QPA_PLATFORM", "offscreen")
                .args(["-q", "--width", &width.to_string(), "--disable-smart-width"])
                .args(["--cookie", "vp_screen", screen])
                .args(["--cookie", "vp_alert_seen", &seen.to_string()])
                .args(["--cookie", "vp_stb", "STB0001"])
                .arg(format!("{}{path}", server.base))
                .arg(&png)
                .output()
                .unwrap_or_else(|e| panic!("{}: {e}", tool.display()));
            assert!(
                png.exists(),
                "{path}: wkhtmltoimage made no picture: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let img = image::open(&png)
                .unwrap_or_else(|e| panic!("{}: {e}", png.display()))
                .to_rgb8();
            assert!(
                img.height() <= height,
                "{path} ({screen}): QtWebKit drew {}x{}, taller than {width}x{height}",
                img.width(),
                img.height()
            );
            // Not blank: a good share of the screen is not the background.
            let background = *img.get_pixel(0, 0);
            let drawn = img.pixels().filter(|p| **p != background).count();
            let total = (img.width() * img.height()) as usize;
            assert!(
                drawn * 50 > total,
                "{path} ({screen}): almost blank ({drawn} of {total} pixels drawn)"
            );
        }
    }
    drop(server);
}

/// Whether the page is wider than the viewport (it would scroll sideways).
fn overflows_sideways(tv: &Tv) -> (f64, f64) {
    let v = tv.browser.exec(
        "return [document.documentElement.scrollWidth, window.innerWidth];",
        json!([]),
    );
    serde_json::from_value(v).expect("widths")
}

#[test]
fn the_office_screen_shows_a_code_that_a_signed_out_phone_at_360_px_signs_in_with() {
    let Some(s) = Setup::start(true, |_| {}) else {
        return;
    };
    let dir = screenshot_dir();
    let tv = &s.tv;
    // An unregistered screen shows a registration number and no code.
    tv.open("/tv/v/gengjing/office");
    let v = tv.browser.exec(
        "var n = document.getElementById('office-pair');\
         return [n ? n.textContent.trim() : '', !!document.getElementById('office-code'),\
                 document.querySelectorAll('.office-qr img').length];",
        json!([]),
    );
    let (number, has_code, images): (String, bool, usize) =
        serde_json::from_value(v).expect("the unregistered screen");
    assert!(
        number.len() == 8 && !has_code && images == 0,
        "{number:?} {has_code} {images}"
    );
    tv.shot(&dir, "office-unregistered");
    // The township official registers it (as on the village's duty page).
    {
        let mut conn = s.app.conn();
        let user = users::find_by_username(&mut conn, "official")
            .expect("user query")
            .expect("the demo official");
        let official = users::actor(&mut conn, &user).expect("actor");
        village_portal::roster::screens::register(
            &mut conn,
            &s.app.state.keys,
            &official,
            s.app.place_id("gengjing"),
            &village_portal::roster::screens::RegisterForm { number },
            village_portal::time::now(),
        )
        .expect("registered");
    }
    // The office screen at 1280x720, reloaded: the QR code drawn, the code
    // beside it, all on screen.
    tv.open("/tv/v/gengjing/office");
    let v = tv.browser.exec(
        "var img = document.querySelector('.office-qr img'), r = img.getBoundingClientRect();\
         return [img.complete && img.naturalWidth > 0, document.getElementById('office-code').textContent.trim(),\
                 r.left, r.top, r.right, r.bottom];",
        json!([]),
    );
    let (drawn, code, left, top, right, bottom): (bool, String, f64, f64, f64, f64) =
        serde_json::from_value(v).expect("the office screen");
    assert!(drawn, "the QR code PNG did not load");
    assert!(
        code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()),
        "code {code:?}"
    );
    assert!(left >= 0.0 && top >= 0.0 && right <= 1280.0 && bottom <= 720.0);
    tv.shot(&dir, "office-screen");

    // The cadre's phone, signed out, opens the QR code's address.
    tv.browser.resize(360, 640);
    let wanted = format!("/admin/duty/signin?v=gengjing&code={code}");
    tv.browser.go(&format!("{}{wanted}", tv.base));
    let login = tv.wait("the sign-in form", |p| {
        p.path.starts_with("/admin/login?next=")
    });
    assert!(login.path.contains("code%3D"), "{}", login.path);
    tv.browser.exec(
        "document.getElementById('username').value = 'clerk';\
         document.getElementById('password').value = arguments[0];\
         document.querySelector('form.login').submit();",
        json!([crate::util::DEMO_PASSWORD]),
    );
    tv.arrive(&wanted);
    let v = tv
        .browser
        .exec("return document.getElementById('code').value;", json!([]));
    assert_eq!(v.as_str(), Some(code.as_str()), "the code was kept");
    let (scroll, inner) = overflows_sideways(tv);
    assert!(
        scroll <= inner,
        "the phone page is {scroll} px wide at {inner} px"
    );
    let v = tv.browser.exec(
        "var b = document.getElementById('sign-in').getBoundingClientRect();\
         return [b.right, b.bottom - b.top];",
        json!([]),
    );
    let (right, height): (f64, f64) = serde_json::from_value(v).expect("the button");
    assert!(
        right <= 360.0 && height >= 40.0,
        "签到 is {height} px tall, ends at {right}"
    );
    tv.shot(&dir, "phone-signin");
    tv.browser
        .exec("document.getElementById('sign-in').click();", json!([]));
    let done = tv.wait("the signed-in message", |p| p.path.contains("done="));
    let text = tv
        .browser
        .exec("return document.body.textContent;", json!([]));
    assert!(
        text.as_str().unwrap_or_default().contains("签到成功"),
        "{done:?}: {text}"
    );
    tv.shot(&dir, "phone-signed-in");
}

/// A clerk pastes minutes far past the limit (10 MB) into the rich editor
/// and saves: the page stays, the reason shows under the editor, and what
/// was typed in the other fields is still there (the form was not sent).
#[test]
fn minutes_past_the_limit_are_stopped_in_the_editor_with_the_form_kept() {
    use diesel::prelude::*;
    use village_portal::db::schema::branch_meetings;
    let Some(s) = Setup::start(true, |_| {}) else {
        return;
    };
    let tv = &s.tv;
    let gengjing = s.app.place_id("gengjing");
    let (id, topics_before): (i64, String) = branch_meetings::table
        .filter(branch_meetings::village_id.eq(gengjing))
        .select((branch_meetings::id, branch_meetings::topics))
        .first(&mut *s.app.conn())
        .expect("a demo meeting");
    let edit = format!("/admin/branch/meetings/{id}/edit");
    tv.browser.resize(1366, 768);
    tv.browser.go(&format!(
        "{}/admin/login?next={}",
        tv.base,
        form_urlencoded::byte_serialize(edit.as_bytes()).collect::<String>()
    ));
    tv.wait("the sign-in form", |p| p.path.starts_with("/admin/login"));
    tv.browser.exec(
        "document.getElementById('username').value = 'clerk';\
         document.getElementById('password').value = arguments[0];\
         document.querySelector('form.login').submit();",
        json!([crate::util::DEMO_PASSWORD]),
    );
    tv.arrive(&edit);
    let v = tv.browser.exec(
        "var area = document.querySelector('.editor-area');\
         if (!area) { return 'no editor'; }\
         document.getElementById('topics').value = '新打的议题';\
         area.innerHTML = '<p>' + '会'.repeat(10 * 1024 * 1024 / 3) + '</p>';\
         document.getElementById('save').click();\
         return 'saved';",
        json!([]),
    );
    assert_eq!(v.as_str(), Some("saved"), "{v}");
    std::thread::sleep(std::time::Duration::from_millis(500));
    let v = tv.browser.exec(
        "var m = document.querySelector('.editor-msg');\
         return [location.pathname, m ? m.textContent : '', m ? m.getBoundingClientRect().height : 0,\
                 document.getElementById('topics').value];",
        json!([]),
    );
    let (path, message, height, topics): (String, String, f64, String) =
        serde_json::from_value(v).expect("the form");
    assert_eq!(path, edit, "the form was sent");
    assert!(message.contains("会议记录最多"), "{message:?}");
    assert!(height > 0.0, "the message is not shown");
    assert_eq!(topics, "新打的议题", "the typed topics were lost");
    let stored: String = branch_meetings::table
        .find(id)
        .select(branch_meetings::topics)
        .first(&mut *s.app.conn())
        .expect("meeting");
    assert_eq!(stored, topics_before, "nothing was stored");
    tv.shot(&screenshot_dir(), "admin-minutes-too-long");
}
