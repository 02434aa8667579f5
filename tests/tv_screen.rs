//! The SD profile (720x576 boxes), focus that every engine shows, and
//! titles cut to what a row holds (shared/TV.md "Screen").

use diesel::prelude::*;
use village_portal::articles::{workflow, ArticleForm};
use village_portal::db::schema::households;
use village_portal::users;

use crate::tv::assert_tv_rules;
use crate::util::TestApp;

const HOME: &str = "/tv/v/gengjing";
const KINDS: [&str; 8] = [
    "notices", "news", "party", "affairs", "roster", "health", "cameras", "videos",
];

/// Publishes an article of 耿井村 through the workflow; returns its id.
fn publish(app: &TestApp, section: &str, title: &str) -> i64 {
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
        body: "<p>请各组村民按时到田间看水，注意用电安全。</p>".into(),
        scope: "village".into(),
        place_id: Some(village),
        ..ArticleForm::default()
    };
    let a = workflow::create(&mut conn, &clerk, &form, app.state.offset).expect("created");
    workflow::submit(&mut conn, &clerk, a.id, None).expect("submitted");
    workflow::approve(&mut conn, &official, a.id, None).expect("approved");
    a.id
}

fn count(body: &str, needle: &str) -> usize {
    body.matches(needle).count()
}

#[actix_web::test]
async fn a_box_that_starts_with_screen_sd_gets_sd_pages_everywhere() {
    let app = TestApp::demo();
    for i in 1..=9 {
        publish(&app, "notices", &format!("关于第{i}组春灌放水时间的通知"));
    }
    let mut sd = app.client().await;
    let res = sd.get("/tv?stbid=STB0001&screen=sd").await;
    res.assert_status(302);
    assert_eq!(sd.cookie("vp_screen"), Some("sd"));
    let mut pages = vec![HOME.to_string(), "/tv/villages".into()];
    pages.extend(KINDS.iter().map(|k| format!("{HOME}/{k}")));
    for path in &pages {
        let res = sd.get(path).await;
        res.assert_status(200);
        assert!(res.body.contains("<body class=\"sd"), "{path}: no sd class");
        assert_tv_rules(
            &mut sd,
            &res,
            path,
            if path == "/tv/villages" { path } else { HOME },
        )
        .await;
    }
    // Fewer rows a page: 5 on SD, 8 on HD (the page cache keeps both apart).
    let list = sd.get(&format!("{HOME}/notices")).await;
    assert_eq!(count(&list.body, "class=\"row\""), 5, "{}", list.body);
    let mut hd = app.client().await;
    let list = hd.get(&format!("{HOME}/notices")).await;
    assert!(list.body.contains("content=\"1280*720\""));
    assert_eq!(count(&list.body, "class=\"row\""), 8);
    // The SD copy is still SD after the HD one was kept.
    let again = sd.get(&format!("{HOME}/notices")).await;
    assert!(again.body.contains("content=\"720*576\""));
    // Errors too.
    let missing = sd.get(&format!("{HOME}/nope")).await;
    missing.assert_status(404);
    assert!(missing.body.contains("content=\"720*576\""));
}

#[actix_web::test]
async fn the_households_setting_chooses_sd_unless_the_start_address_says_otherwise() {
    let app = TestApp::demo();
    diesel::update(households::table.filter(households::stb_id.eq("STB0001")))
        .set(households::screen.eq("sd"))
        .execute(&mut *app.conn())
        .expect("household set to SD");
    let mut c = app.client().await;
    c.get("/tv?stbid=STB0001").await.assert_status(302);
    assert_eq!(c.cookie("vp_screen"), Some("sd"));
    c.get(HOME).await.assert_contains("content=\"720*576\"");
    // The box says it is HD: the address wins and the cookie follows.
    c.get("/tv?stbid=STB0001&screen=hd")
        .await
        .assert_status(302);
    assert_eq!(c.cookie("vp_screen"), Some("hd"));
    c.get(HOME).await.assert_contains("content=\"1280*720\"");
}

#[actix_web::test]
async fn the_back_office_sets_a_households_screen() {
    let app = TestApp::demo();
    let (id, number): (i64, String) = households::table
        .filter(households::stb_id.eq("STB0001"))
        .select((households::id, households::number))
        .first(&mut *app.conn())
        .expect("STB0001");
    let village = app.place_id("gengjing").to_string();
    let mut admin = app.client().await;
    admin.login_as("admin").await;
    let form = admin.get(&format!("/admin/households/{id}")).await;
    form.assert_status(200).assert_contains("name=\"screen\"");
    admin
        .submit(
            &format!("/admin/households/{id}"),
            &format!("/admin/households/{id}"),
            &[
                ("village_id", village.as_str()),
                ("number", number.as_str()),
                ("stb_id", "STB0001"),
                ("pin", ""),
                ("screen", "sd"),
            ],
        )
        .await
        .assert_status(303);
    let screen: String = households::table
        .find(id)
        .select(households::screen)
        .first(&mut *app.conn())
        .expect("screen");
    assert_eq!(screen, "sd");
}

#[actix_web::test]
async fn long_titles_are_cut_to_one_row_and_whole_on_the_article_page() {
    let app = TestApp::demo();
    let title = "关于做好今冬明春农田水利基本建设和秸秆综合利用以及森林防火工作的紧急通知（请各村民小组长转告到户）";
    let id = publish(&app, "notices", title);
    let mut c = app.client().await;
    let list = c.get(&format!("{HOME}/notices")).await;
    assert!(
        !list.body.contains(title),
        "the whole title does not fit a row"
    );
    assert!(
        list.body.contains("关于做好今冬明春农田水利"),
        "{}",
        list.body
    );
    assert!(list.body.contains('…'));
    let article = c.get(&format!("{HOME}/a/{id}")).await;
    assert!(article.body.replace("<wbr>", "").contains(title));
}

#[actix_web::test]
async fn every_focus_style_has_a_class_twin_for_engines_without_focus() {
    let app = TestApp::demo();
    let mut c = app.client().await;
    let home = c.get(HOME).await;
    let css_href = home
        .body
        .split("<link rel=\"stylesheet\" href=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("a stylesheet")
        .to_string();
    let raw = c.get(&css_href).await.body;
    // Without comments: only selectors count.
    let mut css = String::new();
    for (i, part) in raw.split("/*").enumerate() {
        css.push_str(if i == 0 {
            part
        } else {
            part.split_once("*/").map_or("", |(_, after)| after)
        });
    }
    for rule in css.split('}') {
        let selectors = rule.split('{').next().unwrap_or("");
        for sel in selectors.split(',').map(str::trim) {
            // `.tile:focus .hint` needs `.tile.focus .hint` in the same rule.
            if sel.contains(":focus") {
                let twin = sel.replace(":focus", ".focus");
                assert!(
                    selectors.split(',').any(|s| s.trim() == twin),
                    "`{sel}` depends on :focus alone (no `{twin}` beside it)"
                );
            }
        }
    }
    let js_href = home
        .body
        .split("<script src=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("tv.js")
        .to_string();
    let js = c.get(&js_href).await.body;
    assert!(js.contains("' focus'"), "tv.js sets the focus class");
}

#[actix_web::test]
async fn a_short_list_shows_the_start_of_its_newest_item() {
    let app = TestApp::demo();
    let mut c = app.client().await;
    // The demo's 通知公告 has fewer rows than a page holds.
    let list = c.get(&format!("{HOME}/notices")).await;
    list.assert_status(200);
    let rows = count(&list.body, "class=\"row\"");
    assert!(rows > 0 && rows < 3, "{rows} rows");
    list.assert_contains("class=\"filler\"")
        .assert_contains("最新一条");
    // A full list has no room for it.
    for i in 1..=9 {
        publish(&app, "news", &format!("第{i}组新闻"));
    }
    let full = c.get(&format!("{HOME}/news")).await;
    assert!(!full.body.contains("class=\"filler\""));
}

/// The first `<img src="...">` address in a page that contains `needle`.
fn img_src(body: &str, needle: &str) -> Option<String> {
    body.split("<img src=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .find(|src| src.contains(needle))
        .map(str::to_string)
}

/// Fetches an image and returns its decoded size and content type.
async fn image_size(
    c: &mut crate::util::Client<impl crate::util::AppService>,
    src: &str,
) -> ((u32, u32), String) {
    let res = c.get(src).await;
    res.assert_status(200);
    let kind = res.header("content-type").unwrap_or_default().to_string();
    let img = image::load_from_memory(&res.bytes).unwrap_or_else(|e| panic!("{src}: {e}"));
    ((img.width(), img.height()), kind)
}

fn kept_renditions(app: &TestApp) -> i64 {
    village_portal::db::schema::media_renditions::table
        .count()
        .get_result(&mut *app.conn())
        .expect("count renditions")
}

#[actix_web::test]
async fn sd_boxes_get_posters_and_images_resized_on_the_server() {
    let app = TestApp::demo();
    let mut sd = app.client().await;
    sd.get("/tv?stbid=STB0001&screen=sd")
        .await
        .assert_status(302);
    let mut hd = app.client().await;

    // The 点播 grid: SD posters at 176x99, HD ones at 224x126.
    let grid = sd.get(&format!("{HOME}/videos")).await;
    grid.assert_status(200);
    let src = img_src(&grid.body, "/sdthumb").unwrap_or_else(|| panic!("{}", grid.body));
    assert!(
        grid.body.contains("width=\"176\" height=\"99\""),
        "{}",
        grid.body
    );
    assert!(
        !grid.body.contains("/thumb\""),
        "an HD poster on an SD page"
    );
    let before = kept_renditions(&app);
    let (size, kind) = image_size(&mut sd, &src).await;
    assert_eq!(size, (176, 99));
    assert_eq!(kind, "image/jpeg");
    // Resized once and kept: asking again stores nothing new.
    assert_eq!(kept_renditions(&app), before + 1);
    let again = sd.get(&src).await;
    again.assert_status(200);
    assert_eq!(kept_renditions(&app), before + 1);
    let etag = again.header("etag").unwrap_or_default().to_string();
    assert!(etag.len() > 60, "{etag}");

    let hd_grid = hd.get(&format!("{HOME}/videos")).await;
    let hd_src = img_src(&hd_grid.body, "/thumb").unwrap_or_else(|| panic!("{}", hd_grid.body));
    assert!(!hd_grid.body.contains("/sdthumb"));
    assert_eq!(image_size(&mut hd, &hd_src).await.0, (224, 126));

    // A video page: the SD player's poster fits its 400x225 box.
    let href = grid
        .body
        .split("href=\"")
        .skip(1)
        .filter_map(|r| r.split('"').next())
        .find(|h| h.starts_with("/tv/v/gengjing/a/"))
        .unwrap_or_else(|| panic!("no video in {}", grid.body))
        .to_string();
    let page = sd.get(&href).await;
    page.assert_status(200);
    // Without a <video> player an engine shows what the element holds: the
    // poster as a picture; the one 播放 link (the stream) is beside it.
    let video = page
        .body
        .split("<video")
        .nth(1)
        .and_then(|v| v.split("</video>").next())
        .unwrap_or_else(|| panic!("no <video> in {}", page.body));
    assert!(video.contains("<img src=\"/media/"), "{video}");
    assert!(
        !video.contains("播放"),
        "a second 播放 inside the player: {video}"
    );
    assert_eq!(page.body.matches("▶ 播放").count(), 1, "{}", page.body);
    let poster = img_src(&page.body, "/sdpage").unwrap_or_else(|| panic!("{}", page.body));
    let (w, h) = image_size(&mut sd, &poster).await.0;
    assert!(w <= 400 && h <= 225 && w >= 300, "{w}x{h}");
    let hd_page = hd.get(&href).await;
    let hd_poster = img_src(&hd_page.body, "/page").unwrap_or_else(|| panic!("{}", hd_page.body));
    assert!(!hd_page.body.contains("/sdpage"));
    let (hw, hh) = image_size(&mut hd, &hd_poster).await.0;
    assert!(
        hw > w && hh > h,
        "HD poster {hw}x{hh} not larger than SD {w}x{h}"
    );

    // Article images: SD pages point at the sdpage rendition with its size.
    let id: i64 = poster
        .trim_start_matches("/media/")
        .split('/')
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{poster}"));
    let body = format!("<p>看图</p><img src=\"/media/{id}/full\" width=\"1152\" height=\"648\">");
    let sd_body = village_portal::articles::tv_body(&mut app.conn(), &body, true).expect("sd body");
    assert!(
        sd_body.contains(&format!(
            "<img src=\"/media/{id}/sdpage\" width=\"{w}\" height=\"{h}\""
        )),
        "{sd_body}"
    );
    let hd_body =
        village_portal::articles::tv_body(&mut app.conn(), &body, false).expect("hd body");
    assert!(
        hd_body.contains(&format!(
            "<img src=\"/media/{id}/page\" width=\"{hw}\" height=\"{hh}\""
        )),
        "{hd_body}"
    );
    // Unknown renditions are still a 404.
    sd.get(&format!("/media/{id}/huge"))
        .await
        .assert_status(404);
}
