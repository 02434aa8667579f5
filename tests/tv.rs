//! The set-top box pages against the rules of shared/TV.md, the village home's
//! content, and the embedded static files' caching.

use actix_web::http::header;
use actix_web::test::TestRequest;
use chrono::{Datelike, FixedOffset, Utc};
use village_portal::access::PlaceKind;
use village_portal::places::{self, PlaceForm};

use crate::util::{AppService, Client, Resp, TestApp};

const SECTIONS: [&str; 8] = [
    "notices", "news", "party", "affairs", "roster", "health", "cameras", "videos",
];
const HTML_BUDGET: usize = 40 * 1024;

/// An `<a>` on a page: its attributes' text, href and inner text.
#[derive(Debug)]
struct Link {
    tag: String,
    href: String,
    text: String,
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let marker = format!(" {name}=\"");
    let at = tag.find(&marker)? + marker.len();
    Some(tag[at..].split('"').next()?.to_string())
}

/// The opening tags `<name ...>` on a page.
fn tags<'a>(body: &'a str, name: &str) -> Vec<&'a str> {
    body.split(&format!("<{name}"))
        .skip(1)
        .filter(|rest| rest.starts_with([' ', '>', '/']))
        .filter_map(|rest| rest.split('>').next())
        .collect()
}

fn links(body: &str) -> Vec<Link> {
    body.split("<a ")
        .skip(1)
        .filter_map(|rest| {
            let (tag, after) = rest.split_once('>')?;
            let inner = after.split("</a>").next()?;
            // The text without inner tags.
            let mut text = String::new();
            let mut in_tag = false;
            for ch in inner.chars() {
                match ch {
                    '<' => in_tag = true,
                    '>' => in_tag = false,
                    c if !in_tag => text.push(c),
                    _ => {}
                }
            }
            Some(Link {
                tag: tag.to_string(),
                href: attr(&format!(" {tag}"), "href")?,
                text,
            })
        })
        .collect()
}

/// CSS a set-top box browser cannot be trusted with (TV.md "Markup and style").
fn forbidden_css(text: &str) -> Vec<String> {
    let compact: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    let mut found: Vec<String> = [
        "display:flex",
        "display:inline-flex",
        "display:grid",
        "display:inline-grid",
        "grid-template",
        "grid-area",
        "calc(",
        "var(--",
        "@font-face",
    ]
    .into_iter()
    .filter(|bad| compact.contains(bad))
    .map(str::to_string)
    .collect();
    // Viewport units: a number followed by vw, vh, vmin or vmax.
    let bytes = compact.as_bytes();
    for unit in ["vw", "vh", "vmin", "vmax"] {
        for (at, _) in compact.match_indices(unit) {
            let after = bytes.get(at + unit.len());
            let number_before = at > 0 && (bytes[at - 1].is_ascii_digit() || bytes[at - 1] == b'.');
            if number_before && !after.is_some_and(u8::is_ascii_alphanumeric) {
                found.push(compact[at.saturating_sub(8)..at + unit.len()].to_string());
            }
        }
    }
    found
}

/// The stylesheets and scripts a page loads from `/static/`.
fn assets(body: &str) -> Vec<String> {
    let mut out: Vec<String> = tags(body, "link")
        .into_iter()
        .filter(|t| t.contains("rel=\"stylesheet\""))
        .filter_map(|t| attr(t, "href"))
        .collect();
    out.extend(
        tags(body, "script")
            .into_iter()
            .filter_map(|t| attr(t, "src")),
    );
    out
}

/// Checks a served TV page against TV.md; `home` is where its home link leads.
pub(crate) async fn assert_tv_rules(
    c: &mut Client<impl AppService>,
    res: &Resp,
    path: &str,
    home: &str,
) {
    let body = &res.body;
    // The box's profile, as its cookie holds it (HD without one).
    let (w, h) = match c.cookie("vp_screen") {
        Some("sd") => (720, 576),
        _ => (1280, 720),
    };
    assert!(
        body.contains(&format!("<meta name=\"viewport\" content=\"width={w}\">")),
        "{path}: viewport"
    );
    assert!(
        body.contains(&format!(
            "<meta name=\"page-view-size\" content=\"{w}*{h}\">"
        )),
        "{path}: page-view-size"
    );
    assert!(
        body.len() <= HTML_BUDGET,
        "{path}: {} bytes of HTML",
        body.len()
    );
    assert_eq!(forbidden_css(body), Vec::<String>::new(), "{path}");
    for img in tags(body, "img") {
        assert!(
            attr(img, "width").is_some() && attr(img, "height").is_some(),
            "{path}: <img{img}> without width and height"
        );
        let src = attr(img, "src").unwrap_or_default().to_ascii_lowercase();
        for bad in [".webp", ".svg", ".avif", ".gif"] {
            assert!(!src.contains(bad), "{path}: {src}");
        }
    }
    let links = links(body);
    assert!(
        links
            .iter()
            .any(|l| l.text.trim() == "返回" && !l.href.is_empty()),
        "{path}: no 返回 link in {links:?}"
    );
    assert!(
        links.iter().any(|l| l.href == home),
        "{path}: no link to {home} in {links:?}"
    );
    assert!(
        links.iter().all(|l| !l.href.starts_with("javascript:")),
        "{path}: every action is a plain link"
    );
    assert!(body.contains("id=\"legend\""), "{path}: no key legend");

    let sheets: Vec<String> = assets(body)
        .into_iter()
        .filter(|a| a.ends_with(".css"))
        .collect();
    for sheet in sheets {
        let css = c.get(&sheet).await;
        css.assert_status(200);
        assert_eq!(forbidden_css(&css.body), Vec::<String>::new(), "{sheet}");
    }
}

#[actix_web::test]
async fn every_kind_of_tv_page_follows_the_tv_rules() {
    let app = TestApp::demo();
    let mut c = app.client().await;
    let mut pages = vec![
        ("/tv/v/gengjing".to_string(), 200, "/tv/v/gengjing"),
        ("/tv/villages".into(), 200, "/tv/villages"),
        ("/tv/v/nowhere".into(), 404, "/tv/villages"),
        ("/tv/v/gengjing/nope".into(), 404, "/tv/v/gengjing"),
        ("/tv?stbid=UNKNOWN".into(), 404, "/tv/villages"),
    ];
    for s in SECTIONS {
        pages.push((format!("/tv/v/gengjing/{s}"), 200, "/tv/v/gengjing"));
    }
    // The villager's voice, from a box without STB id (the keypad) too.
    for v in [
        "",
        "/report",
        "/c/road",
        "/c/road/1",
        "/confirm?kind=report&c=road&r=1&call=1",
        "/household?kind=report&c=road&r=1&call=1&h=00",
        "/help",
        "/mine",
        "/board",
    ] {
        pages.push((format!("/tv/v/gengjing/voice{v}"), 200, "/tv/v/gengjing"));
    }
    for (path, status, home) in pages {
        let res = c.get(&path).await;
        res.assert_status(status);
        assert_tv_rules(&mut c, &res, &path, home).await;
    }
}

/// Today in the deployment's +08:00, as the TV writes it: `2026年11月23日 星期一`.
fn chinese_today() -> String {
    let local = Utc::now().with_timezone(&FixedOffset::east_opt(8 * 3600).expect("offset"));
    let weekday =
        ["一", "二", "三", "四", "五", "六", "日"][local.weekday().num_days_from_monday() as usize];
    format!(
        "{}年{}月{}日 星期{weekday}",
        local.year(),
        local.month(),
        local.day()
    )
}

#[actix_web::test]
async fn the_village_home_names_the_village_township_and_today() {
    let app = TestApp::demo();
    let mut c = app.client().await;
    let before = chinese_today();
    let res = c.get("/tv/v/gengjing").await;
    let after = chinese_today();
    res.assert_status(200)
        .assert_contains("耿井村")
        .assert_contains("黄河路街道");
    assert!(
        res.body.contains(&before) || res.body.contains(&after),
        "expected {before} in:\n{}",
        res.body
    );
    let other = c.get("/tv/v/wangying").await;
    other.assert_contains("王营村").assert_contains("牛庄镇");
}

/// The numbers and addresses of the section tiles of a village home.
async fn home_tiles(
    c: &mut Client<impl crate::util::AppService>,
    village: &str,
) -> Vec<(String, String)> {
    let res = c.get(&format!("/tv/v/{village}")).await;
    res.assert_status(200);
    links(&res.body)
        .into_iter()
        .filter(|l| {
            attr(&format!(" {}", l.tag), "class").is_some_and(|c| c.split(' ').any(|c| c == "tile"))
        })
        .map(|l| {
            (
                l.text.chars().take_while(char::is_ascii_digit).collect(),
                l.href,
            )
        })
        .collect()
}

fn numbered(village: &str, sections: &[&str]) -> Vec<(String, String)> {
    sections
        .iter()
        .enumerate()
        .map(|(i, s)| ((i + 1).to_string(), format!("/tv/v/{village}/{s}")))
        .collect()
}

#[actix_web::test]
async fn the_village_home_numbers_the_sections_that_have_something_to_show() {
    let app = TestApp::demo();
    let mut c = app.client().await;
    // Gengjing has a health station and a duty roster; the cameras are
    // not loaded here, so their tile waits. 村民之声 is always last.
    let tiles = home_tiles(&mut c, "gengjing").await;
    assert_eq!(
        tiles,
        numbered(
            "gengjing",
            &["notices", "news", "party", "affairs", "roster", "health", "videos", "voice"]
        )
    );
    for (_, href) in &tiles {
        c.get(href).await.assert_status(200);
    }
    // No station in chenzhuang: no health tile, and the numbers stay in order.
    assert_eq!(
        home_tiles(&mut c, "chenzhuang").await,
        numbered(
            "chenzhuang",
            &["notices", "news", "party", "affairs", "roster", "videos", "voice"]
        )
    );
}

#[actix_web::test]
async fn the_home_counts_this_weeks_items_and_shows_urgent_notices() {
    let app = TestApp::demo();
    let mut c = app.client().await;
    let res = c.get("/tv/v/gengjing").await;
    let tile = |body: &str, section: &str| -> String {
        body.split(&format!("href=\"/tv/v/gengjing/{section}\""))
            .nth(1)
            .and_then(|rest| rest.split("</a>").next())
            .unwrap_or_default()
            .to_string()
    };
    // The demo's notices went on air today.
    assert!(
        tile(&res.body, "notices").contains("本周新增"),
        "{}",
        res.body
    );
    // The urgent demo notice is on the home page and opens.
    let urgent = res
        .body
        .split("class=\"hl urgent\"")
        .nth(1)
        .and_then(|rest| attr(rest, "href"))
        .expect("an urgent notice on the home page");
    c.get(&urgent)
        .await
        .assert_status(200)
        .assert_contains("紧急");

    // Items older than a week are not new.
    {
        use diesel::prelude::*;
        use village_portal::db::schema::articles;
        let old = village_portal::time::now() - chrono::Duration::days(8);
        diesel::update(articles::table)
            .set(articles::published_at.eq(Some(old)))
            .execute(&mut *app.conn())
            .expect("age the articles");
    }
    let res = c.get("/tv/v/gengjing").await;
    assert!(!res.body.contains("本周新增"), "{}", res.body);
    assert!(!res.body.contains("class=\"new\""));
}

#[actix_web::test]
async fn the_village_chooser_shows_eight_villages_a_page() {
    let app = TestApp::demo();
    {
        let actor = app.system_actor();
        let township = app.place_id("niuzhuang");
        let mut conn = app.conn();
        for i in 1..=3 {
            let form = PlaceForm {
                code: format!("xincun{i}"),
                name: format!("新村{i}"),
                parent_id: Some(township),
            };
            places::create(&mut conn, &actor, PlaceKind::Village, &form).expect("village");
        }
    }
    let mut c = app.client().await;
    let first = c.get("/tv/villages").await;
    first.assert_status(200).assert_contains("第 1/2 页");
    let rows = |res: &Resp| {
        links(&res.body)
            .into_iter()
            .filter(|l| l.href.starts_with("/tv/v/"))
            .count()
    };
    assert_eq!(rows(&first), 8);
    assert!(first
        .body
        .contains("rel=\"next\" href=\"/tv/villages?page=2\""));

    let second = c.get("/tv/villages?page=2").await;
    second.assert_status(200).assert_contains("第 2/2 页");
    assert_eq!(rows(&second), 3);
    assert!(second
        .body
        .contains("rel=\"prev\" href=\"/tv/villages?page=1\""));
    assert_tv_rules(&mut c, &second, "/tv/villages?page=2", "/tv/villages").await;

    for (page, shown) in [
        ("abc", "第 1/2 页"),
        ("0", "第 1/2 页"),
        ("99", "第 2/2 页"),
    ] {
        c.get(&format!("/tv/villages?page={page}"))
            .await
            .assert_status(200)
            .assert_contains(shown);
    }
}

#[actix_web::test]
async fn static_files_are_cached_for_a_year_under_their_hashed_url() {
    let app = TestApp::demo();
    let mut c = app.client().await;
    let mut urls = assets(&c.get("/tv/v/gengjing").await.body);
    c.login_as("clerk").await;
    urls.extend(assets(&c.get("/admin").await.body));
    assert!(urls.iter().any(|u| u.ends_with("/tv.css")), "{urls:?}");
    assert!(urls.iter().any(|u| u.ends_with("/admin.css")), "{urls:?}");

    for url in &urls {
        assert!(url.starts_with("/static/"), "{url}");
        let res = c.get(url).await;
        res.assert_status(200);
        assert!(!res.bytes.is_empty(), "{url} is empty");
        let cache = res.header("cache-control").unwrap_or_default();
        assert!(cache.contains("max-age=31536000"), "{url}: {cache}");
        let content_type = res.header("content-type").unwrap_or_default();
        let want = if url.ends_with(".css") {
            "text/css"
        } else {
            "javascript"
        };
        assert!(content_type.contains(want), "{url}: {content_type}");
        let etag = res.header("etag").expect("an ETag").to_string();

        let again = c
            .send(
                TestRequest::get()
                    .uri(url)
                    .insert_header((header::IF_NONE_MATCH, etag.as_str())),
            )
            .await;
        assert_eq!(again.status, 304, "{url}");
        assert!(again.bytes.is_empty());
        assert_eq!(again.header("etag"), Some(etag.as_str()));
        let stale = c
            .send(
                TestRequest::get()
                    .uri(url)
                    .insert_header((header::IF_NONE_MATCH, "\"not-the-etag\"")),
            )
            .await;
        assert_eq!(stale.status, 200, "{url}");
    }
}

#[actix_web::test]
async fn unknown_or_outdated_static_urls() {
    let app = TestApp::demo();
    let mut c = app.client().await;
    let css = assets(&c.get("/tv/v/gengjing").await.body)
        .into_iter()
        .find(|u| u.ends_with("/tv.css"))
        .expect("the TV stylesheet");
    let hash = css.split('/').nth(2).expect("hash segment");
    for missing in [
        format!("/static/{hash}/nope.css"),
        format!("/static/{hash}/../Cargo.toml"),
        format!("/static/{hash}/%2e%2e/Cargo.toml"),
        "/static/tv.css".to_string(),
    ] {
        let res = c.get(&missing).await;
        assert_eq!(res.status, 404, "{missing}: {}", res.body);
    }
    // An old hash still gets the current file, but not for a year.
    let old = c.get("/static/0000000000000000/tv.css").await;
    old.assert_status(200);
    let cache = old.header("cache-control").unwrap_or_default();
    assert!(!cache.contains("31536000"), "{cache}");
}
