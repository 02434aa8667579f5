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
