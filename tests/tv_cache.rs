//! TV page caching: ETag and 304, gzip, and every way a kept page stops
//! being true (a write here, a write through another instance, a scheduled
//! publish or an expiry passing); odd page numbers and headers.

use std::io::Read;

use actix_web::http::header;
use actix_web::test::TestRequest;
use diesel::prelude::*;
use village_portal::db::schema::articles;
use village_portal::db::Database;
use village_portal::AppState;

use crate::util::{AppService, Client, Resp, TestApp};

/// Publishes a township-wide notice as the official (published directly);
/// returns its id.
async fn township_notice(
    official: &mut Client<impl AppService>,
    app: &TestApp,
    title: &str,
) -> i64 {
    let res = official
        .submit(
            "/admin/articles/new",
            "/admin/articles/new",
            &[
                ("section", "notices"),
                ("scope", "township"),
                ("title", title),
                ("body", "<p>请各位村民相互转告。</p>"),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "not created:\n{}", res.body);
    let id: i64 = res
        .location()
        .and_then(|to| to.trim_start_matches("/admin/articles/").split('?').next())
        .and_then(|id| id.parse().ok())
        .expect("article id");
    let version = articles::table
        .find(id)
        .select(articles::version)
        .first::<i32>(&mut *app.conn())
        .expect("article")
        .to_string();
    official
        .submit(
            &format!("/admin/articles/{id}"),
            &format!("/admin/articles/{id}/submit"),
            &[("version", &version)],
        )
        .await
        .assert_status(303);
    id
}

async fn get_with(
    tv: &mut Client<impl AppService>,
    path: &str,
    name: header::HeaderName,
    value: &str,
) -> Resp {
    tv.send(TestRequest::get().uri(path).insert_header((name, value)))
        .await
}

#[actix_web::test]
async fn pages_carry_an_etag_answer_304_and_gzip() {
    let app = TestApp::demo();
    let mut tv = app.client().await;
    for path in [
        "/tv/v/gengjing",
        "/tv/v/gengjing/notices",
        "/tv/v/gengjing/party?cat=study",
    ] {
        let first = tv.get(path).await;
        first.assert_status(200);
        let etag = first.header("etag").expect("etag").to_string();
        assert_eq!(first.header("cache-control"), Some("no-cache"));
        let again = tv.get(path).await;
        assert_eq!(again.header("etag"), Some(etag.as_str()), "{path}");
        assert_eq!(
            again.body, first.body,
            "{path}: served again, the same bytes"
        );

        let not_modified = get_with(&mut tv, path, header::IF_NONE_MATCH, &etag).await;
        not_modified.assert_status(304);
        assert!(not_modified.bytes.is_empty());
        for garbage in ["garbage", "\"nope\"", "W/", ",,;\"", "*x"] {
            get_with(&mut tv, path, header::IF_NONE_MATCH, garbage)
                .await
                .assert_status(200)
                .assert_contains("返回");
        }

        let zipped = get_with(&mut tv, path, header::ACCEPT_ENCODING, "gzip, deflate").await;
        zipped.assert_status(200);
        assert_eq!(zipped.header("content-encoding"), Some("gzip"), "{path}");
        assert!(zipped.bytes.len() < first.bytes.len(), "{path}: compressed");
        let mut plain = Vec::new();
        flate2::read::GzDecoder::new(&zipped.bytes[..])
            .read_to_end(&mut plain)
            .expect("gunzip");
        assert_eq!(plain, first.bytes, "{path}: gzip holds the same page");
        let refused = get_with(&mut tv, path, header::ACCEPT_ENCODING, "gzip;q=0").await;
        assert_eq!(refused.header("content-encoding"), None);
    }
}

#[actix_web::test]
async fn a_publish_shows_at_once_on_every_kept_page() {
    let app = TestApp::demo();
    let mut tv = app.client().await;
    let list = tv.get("/tv/v/gengjing/notices").await;
    let home = tv.get("/tv/v/gengjing").await;
    assert!(!list.body.contains("停水通知"));

    let mut official = app.client().await;
    official.login_as("official").await;
    township_notice(&mut official, &app, "周三全乡镇停水通知").await;
    let list_after = tv.get("/tv/v/gengjing/notices").await;
    list_after.assert_contains("周三全乡镇停水通知");
    assert_ne!(list_after.header("etag"), list.header("etag"));
    let home_after = tv.get("/tv/v/gengjing").await;
    assert_ne!(home_after.header("etag"), home.header("etag"));
    // A village of another township never had it.
    let elsewhere = tv.get("/tv/v/wangying/notices").await;
    elsewhere.assert_status(200);
    assert!(!elsewhere.body.contains("停水通知"));
}

#[actix_web::test]
async fn boxes_opening_a_page_together_wait_for_one_render() {
    let app = TestApp::demo();
    let tv = app.client().await;
    let before = app.state.tv_cache.stats();
    let answers = tv.get_together(&["/tv/v/gengjing/notices"; 20]).await;
    let after = app.state.tv_cache.stats();
    assert!(answers.iter().all(|(status, _)| *status == 200));
    assert!(
        answers.iter().all(|(_, body)| *body == answers[0].1),
        "every box got the same page"
    );
    assert_eq!(after.misses - before.misses, 1, "rendered once");
    assert_eq!(after.hits - before.hits, 19, "the others got the kept page");
    assert!(after.waits - before.waits <= 19, "none waited twice");
}

/// Many boxes open a village's pages together right after a change: each
/// page is rendered once (those that find it rendering wait for it or get
/// its older copy), and then every page shows the change.
#[actix_web::test]
async fn a_rush_after_a_change_renders_each_page_once() {
    let app = TestApp::demo();
    let mut tv = app.client().await;
    let paths = [
        "/tv/v/gengjing",
        "/tv/v/gengjing/news",
        "/tv/v/gengjing/party",
        "/tv/v/gengjing/affairs",
        "/tv/v/gengjing/videos",
        "/tv/v/gengjing/party?cat=study",
        "/tv/v/gengjing/notices",
    ];
    for path in paths {
        tv.get(path).await.assert_status(200);
    }
    let mut official = app.client().await;
    official.login_as("official").await;
    township_notice(&mut official, &app, "周五全乡镇停电通知").await;

    let before = app.state.tv_cache.stats();
    let rush: Vec<&str> = paths.iter().flat_map(|p| [*p; 5]).collect();
    let answers = tv.get_together(&rush).await;
    assert!(answers.iter().all(|(status, _)| *status == 200));
    for (path, (_, body)) in rush.iter().zip(&answers) {
        assert!(body.contains("耿井村"), "{path}: a whole page");
    }
    // Renders behind older copies finish by themselves.
    for _ in 0..100 {
        if app.state.tv_cache.stats().misses - before.misses >= paths.len() as u64 {
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let rendered = app.state.tv_cache.stats();
    assert_eq!(
        rendered.misses - before.misses,
        paths.len() as u64,
        "each page rendered once"
    );
    tv.get("/tv/v/gengjing/notices")
        .await
        .assert_contains("周五全乡镇停电通知");
    for path in paths {
        tv.get(path).await.assert_status(200);
    }
    let after = app.state.tv_cache.stats();
    assert_eq!(after.misses, rendered.misses, "all kept");
}

/// A busy instance (a county's evening) answers a changed village with its
/// older view and older pages while the new view loads once behind them:
/// no box queues on the database, and the change shows right after.
#[actix_web::test]
async fn a_busy_instance_answers_with_the_older_view_while_the_new_one_loads() {
    let app = TestApp::demo();
    let mut tv = app.client().await;
    let paths = ["/tv/v/gengjing/notices", "/tv/v/gengjing/news"];
    for path in paths.iter().chain(&["/tv/v/songjia"]) {
        tv.get(path).await.assert_status(200);
    }
    let mut official = app.client().await;
    official.login_as("official").await;
    township_notice(&mut official, &app, "周六全乡镇检修线路").await;
    // Reads the new generations; 宋家村 is of another township, still kept.
    tv.get("/tv/v/songjia").await.assert_status(200);

    let before = app.state.tv_cache.stats();
    // Hundreds of boxes of another village make the instance busy, then
    // boxes of the changed village ask.
    let mut rush = vec!["/tv/v/songjia"; 300];
    rush.extend(paths.iter().flat_map(|p| [*p; 5]));
    let answers = tv.get_together(&rush).await;
    assert!(answers.iter().all(|(status, _)| *status == 200));
    let changed = &answers[300..];
    assert!(changed.iter().all(|(_, body)| body.contains("耿井村")));
    assert!(
        !changed[0].1.contains("周六全乡镇检修线路"),
        "the first box of the changed village gets the older page"
    );
    for _ in 0..100 {
        if app.state.tv_cache.stats().view_loads > before.view_loads {
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(
        app.state.tv_cache.stats().view_loads - before.view_loads,
        1,
        "the changed village's view loaded once, behind the older one"
    );
    // Quiet again (two counting windows later), the new page renders at once.
    actix_web::rt::time::sleep(std::time::Duration::from_millis(250)).await;
    tv.get("/tv/v/gengjing/notices")
        .await
        .assert_contains("周六全乡镇检修线路");
}

#[actix_web::test]
async fn scheduled_publish_and_expiry_change_kept_pages_when_their_time_comes() {
    let app = TestApp::demo();
    let mut official = app.client().await;
    official.login_as("official").await;
    let soon = township_notice(&mut official, &app, "马上播出的通知").await;
    let leaving = township_notice(&mut official, &app, "马上过期的通知").await;
    let now = village_portal::time::now();
    {
        let mut conn = app.conn();
        diesel::update(articles::table.find(soon))
            .set(articles::publish_at.eq(Some(now + chrono::Duration::seconds(2))))
            .execute(&mut *conn)
            .expect("schedule");
        diesel::update(articles::table.find(leaving))
            .set(articles::expire_at.eq(Some(now + chrono::Duration::seconds(2))))
            .execute(&mut *conn)
            .expect("expire");
    }
    let mut tv = app.client().await;
    let before = tv.get("/tv/v/gengjing/notices").await;
    assert!(!before.body.contains("马上播出的通知"));
    before.assert_contains("马上过期的通知");
    // Kept: the same page again, nothing written in between.
    assert_eq!(tv.get("/tv/v/gengjing/notices").await.body, before.body);
    actix_web::rt::time::sleep(std::time::Duration::from_millis(2300)).await;
    let after = tv.get("/tv/v/gengjing/notices").await;
    after.assert_contains("马上播出的通知");
    assert!(!after.body.contains("马上过期的通知"));
    tv.get(&format!("/tv/v/gengjing/a/{leaving}"))
        .await
        .assert_status(410);
}

#[actix_web::test]
async fn a_write_through_another_instance_shows_within_a_second() {
    let app = TestApp::demo();
    // A second instance on the same database, as behind a load balancer.
    let db = Database::open(&app.database_url, 2).expect("second pool");
    let other = AppState::with_db((*app.state.config).clone(), db).expect("second instance");
    let mut tv = app.client().await;
    tv.get("/tv/v/gengjing/notices").await.assert_status(200);

    let mut official = crate::util::client_of(&other).await;
    official.login_as("official").await;
    township_notice(&mut official, &app, "另一台服务器发布的通知").await;
    actix_web::rt::time::sleep(std::time::Duration::from_millis(1200)).await;
    tv.get("/tv/v/gengjing/notices")
        .await
        .assert_contains("另一台服务器发布的通知");
}

#[actix_web::test]
async fn odd_page_numbers_and_queries_show_the_nearest_real_page() {
    let app = TestApp::demo();
    let mut tv = app.client().await;
    let first = tv.get("/tv/v/gengjing/notices").await;
    let long = format!("/tv/v/gengjing/notices?x={}", "a".repeat(4096));
    for path in [
        "/tv/v/gengjing/notices?page=abc",
        "/tv/v/gengjing/notices?page=-1",
        "/tv/v/gengjing/notices?page=0",
        "/tv/v/gengjing/notices?page=%20",
        long.as_str(),
    ] {
        let res = tv.get(path).await;
        res.assert_status(200).assert_contains("第 1/");
        assert_eq!(res.body, first.body, "{path}");
    }
    let last = tv.get("/tv/v/gengjing/notices?page=99999").await;
    last.assert_status(200);
    let pages = first
        .body
        .split("第 1/")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .expect("page count")
        .to_string();
    last.assert_contains(&format!("第 {pages}/{pages} 页"));

    // An article of the list, at odd screen pages.
    let id = first
        .body
        .split("/tv/v/gengjing/a/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("an article")
        .to_string();
    for p in ["-1", "0", "abc", "99999", "1e9"] {
        tv.get(&format!("/tv/v/gengjing/a/{id}?p={p}"))
            .await
            .assert_status(200)
            .assert_contains("class=\"atitle\"");
    }
    for (path, status) in [
        ("/tv/v/nowhere", 404),
        ("/tv/v/nowhere/notices", 404),
        ("/tv/v/gengjing/a/999999", 404),
        ("/tv/v/gengjing/a/abc", 404),
        ("/tv/v/gengjing/nosuchsection", 404),
    ] {
        tv.get(path)
            .await
            .assert_status(status)
            .assert_contains("首页");
    }
}

/// The article a create redirected to.
fn created(res: &Resp) -> i64 {
    assert_eq!(res.status, 303, "not created:\n{}", res.body);
    res.location()
        .and_then(|to| to.trim_start_matches("/admin/articles/").split('?').next())
        .and_then(|id| id.parse().ok())
        .expect("article id")
}

fn version_of(app: &TestApp, id: i64) -> String {
    articles::table
        .find(id)
        .select(articles::version)
        .first::<i32>(&mut *app.state.db.get().expect("connection"))
        .expect("article")
        .to_string()
}

/// Writes a notice as `who` in scope `scope` and sends it on (submitted for
/// review, or published when `who` may publish there).
async fn write_and_submit(
    who: &mut Client<impl AppService>,
    app: &TestApp,
    scope: &str,
    title: &str,
) -> i64 {
    let id = created(
        &who.submit(
            "/admin/articles/new",
            "/admin/articles/new",
            &[
                ("section", "notices"),
                ("scope", scope),
                ("title", title),
                ("body", "<p>请各位村民相互转告。</p>"),
            ],
        )
        .await,
    );
    let v = version_of(app, id);
    who.submit(
        &format!("/admin/articles/{id}"),
        &format!("/admin/articles/{id}/submit"),
        &[("version", &v)],
    )
    .await
    .assert_status(303);
    id
}

/// Pages of villages in two townships (gengjing and chenzhuang in
/// 黄河路街道, wangying elsewhere); lists only, whose time does not run
/// out during a test (the home page's clock changes every minute).
const PAGES: [&str; 4] = [
    "/tv/v/gengjing/notices",
    "/tv/v/gengjing/news",
    "/tv/v/chenzhuang/notices",
    "/tv/v/wangying/notices",
];

/// Which of `PAGES` were served from the cache (no render).
async fn kept(tv: &mut Client<impl AppService>, app: &TestApp) -> Vec<bool> {
    let mut out = Vec::new();
    for path in PAGES {
        let before = app.state.tv_cache.stats().misses;
        tv.get(path).await.assert_status(200);
        out.push(app.state.tv_cache.stats().misses == before);
    }
    out
}

fn generations(app: &TestApp) -> std::collections::HashMap<i64, i64> {
    village_portal::changes::generations(&mut app.state.db.get().expect("connection"))
        .expect("generations")
}

async fn warm(tv: &mut Client<impl AppService>, app: &TestApp) {
    kept(tv, app).await;
    assert_eq!(kept(tv, app).await, [true; 4], "warm pages are served kept");
}

#[actix_web::test]
async fn drafts_sign_ins_rejections_and_readings_keep_every_page() {
    let app = TestApp::demo();
    crate::health_api::set_token(&app);
    let mut tv = app.client().await;
    warm(&mut tv, &app).await;
    let etags: Vec<Option<String>> = {
        let mut e = Vec::new();
        for path in PAGES {
            e.push(tv.get(path).await.header("etag").map(str::to_string));
        }
        e
    };

    let before = generations(&app);

    let mut clerk = app.client().await;
    clerk.login_as("clerk").await;
    let id = write_and_submit(&mut clerk, &app, "village", "一篇还在审核的通知").await;
    let mut official = app.client().await;
    official.login_as("official").await;
    let v = version_of(&app, id);
    official
        .submit(
            &format!("/admin/articles/{id}/review"),
            &format!("/admin/articles/{id}/reject"),
            &[("version", &v), ("reason", "请补充时间")],
        )
        .await
        .assert_status(303);
    let reading =
        crate::health_api::post(&app, Some(crate::health_api::TOKEN), crate::health_api::BP).await;
    assert_eq!(reading.json()["accepted"], 1, "{}", reading.body);
    official
        .post_signed("/admin/logout", &[])
        .await
        .assert_not_server_error();

    assert_eq!(
        kept(&mut tv, &app).await,
        [true; 4],
        "nothing any TV shows changed: every page stays kept"
    );
    for (path, etag) in PAGES.iter().zip(etags) {
        let res = get_with(
            &mut tv,
            path,
            header::IF_NONE_MATCH,
            etag.as_deref().unwrap_or(""),
        )
        .await;
        res.assert_status(304);
    }
    assert_eq!(
        generations(&app),
        before,
        "no generation moved for writes TVs do not show"
    );
}

#[actix_web::test]
async fn an_approval_drops_its_village_a_township_notice_its_villages_a_county_notice_all() {
    let app = TestApp::demo();
    let mut tv = app.client().await;
    warm(&mut tv, &app).await;

    let mut clerk = app.client().await;
    clerk.login_as("clerk").await;
    let id = write_and_submit(&mut clerk, &app, "village", "耿井村的新通知").await;
    assert_eq!(
        kept(&mut tv, &app).await,
        [true; 4],
        "pending changes nothing"
    );
    let mut official = app.client().await;
    official.login_as("official").await;
    let v = version_of(&app, id);
    official
        .submit(
            &format!("/admin/articles/{id}/review"),
            &format!("/admin/articles/{id}/approve"),
            &[("version", &v)],
        )
        .await
        .assert_status(303);
    assert_eq!(
        kept(&mut tv, &app).await,
        [false, false, true, true],
        "an approval in gengjing drops gengjing's pages only"
    );
    tv.get("/tv/v/gengjing/notices")
        .await
        .assert_contains("耿井村的新通知");

    write_and_submit(&mut official, &app, "township", "黄河路街道的通知").await;
    assert_eq!(
        kept(&mut tv, &app).await,
        [false, false, false, true],
        "a township notice drops the pages of its villages"
    );
    tv.get("/tv/v/chenzhuang/notices")
        .await
        .assert_contains("黄河路街道的通知");

    let mut admin = app.client().await;
    admin.login_as("admin").await;
    write_and_submit(&mut admin, &app, "county", "全区的通知").await;
    assert_eq!(
        kept(&mut tv, &app).await,
        [false; 4],
        "a county notice drops every village's pages"
    );
    tv.get("/tv/v/wangying/notices")
        .await
        .assert_contains("全区的通知");
    assert_eq!(
        kept(&mut tv, &app).await,
        [true; 4],
        "and they are kept again"
    );
}

/// Notifications that are not ours or come in a flood change nothing; a
/// listener whose connection is cut connects again and flushes the cache.
#[cfg(feature = "postgres")]
#[actix_web::test]
async fn the_listener_ignores_strangers_and_flushes_when_it_comes_back() {
    use std::io::Write;
    use std::time::{Duration, Instant};
    if !crate::util::on_postgres() {
        let _ = writeln!(
            std::io::stderr(),
            "skipped: tv_cache::the_listener_ignores_strangers_and_flushes_when_it_comes_back runs on PostgreSQL only"
        );
        return;
    }
    let app = TestApp::demo();
    let cache = app.state.tv_cache.clone();
    let until = |what: &str, ok: &dyn Fn() -> bool| {
        let deadline = Instant::now() + Duration::from_secs(8);
        while !ok() {
            assert!(Instant::now() < deadline, "{what} within 8 s");
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    until("the listener connects", &|| cache.listening());
    let mut tv = app.client().await;
    warm(&mut tv, &app).await;

    let mut conn = app.state.db.get().expect("connection");
    let channel = village_portal::changes::CHANNEL;
    for payload in ["not-a-place", "", "-3", "1;DROP TABLE places"] {
        diesel::sql_query(format!("SELECT pg_notify('{channel}', '{payload}')"))
            .execute(&mut *conn)
            .expect("notify");
    }
    // A flood of well-formed ones whose generations did not move.
    diesel::sql_query(format!(
        "SELECT pg_notify('{channel}', g::text) FROM generate_series(1, 2000) AS g"
    ))
    .execute(&mut *conn)
    .expect("flood");
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(kept(&mut tv, &app).await, [true; 4], "nothing changed");

    let flushes = cache.stats().flushes;
    diesel::sql_query(format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE application_name = '{}' AND datname = current_database()",
        village_portal::web::tv::listen::APPLICATION_NAME
    ))
    .execute(&mut *conn)
    .expect("cut the listener");
    until("the listener connects again and flushes", &|| {
        cache.stats().flushes > flushes && cache.listening()
    });
    assert_eq!(
        kept(&mut tv, &app).await,
        [false; 4],
        "flushed on reconnect"
    );
    assert_eq!(kept(&mut tv, &app).await, [true; 4]);

    // And kept pages follow changes again.
    drop(conn);
    let mut official = app.client().await;
    official.login_as("official").await;
    write_and_submit(&mut official, &app, "township", "重新连上之后的通知").await;
    tv.get("/tv/v/gengjing/notices")
        .await
        .assert_contains("重新连上之后的通知");
}
