//! Errors in the style of where they happen (a TV page under `/tv`, a back
//! office page under `/admin`, JSON under `/api`), with the right status,
//! and bad input of every kind answered without a server error.

use actix_web::http::{header, Method};
use actix_web::test::TestRequest;

use crate::util::{Resp, TestApp};

/// A TV-styled error page with a 返回 link and a way to `home`.
#[track_caller]
fn assert_tv_error(res: &Resp, status: u16, home: &str) {
    res.assert_status(status)
        .assert_contains("name=\"page-view-size\"")
        .assert_contains("返回</a>")
        .assert_contains(&format!("href=\"{home}\""));
    assert!(
        res.header("content-type")
            .is_some_and(|ct| ct.starts_with("text/html")),
        "{:?}",
        res.header("content-type")
    );
}

/// A back-office-styled error page.
#[track_caller]
fn assert_admin_error(res: &Resp, status: u16) {
    res.assert_status(status)
        .assert_contains("管理后台")
        .assert_contains("id=\"error-message\"");
    assert!(
        !res.body.contains("page-view-size"),
        "a TV page under /admin"
    );
}

#[actix_web::test]
async fn an_unknown_village_gets_a_tv_404_leading_to_the_village_chooser() {
    let app = TestApp::demo();
    let mut c = app.client().await;
    for path in ["/tv/v/nowhere", "/tv/v/nowhere/notices", "/tv/v/NOT_A_CODE"] {
        let res = c.get(path).await;
        assert_tv_error(&res, 404, "/tv/villages");
    }
    // A township is not a village.
    assert_tv_error(&c.get("/tv/v/huanghelu").await, 404, "/tv/villages");
    c.get("/tv/villages").await.assert_status(200);
}

#[actix_web::test]
async fn an_unknown_section_gets_a_tv_404_leading_to_the_village_home() {
    let app = TestApp::demo();
    let mut c = app.client().await;
    assert_tv_error(&c.get("/tv/v/gengjing/nope").await, 404, "/tv/v/gengjing");
    assert_tv_error(
        &c.get("/tv/v/gengjing/notices/a/b/c").await,
        404,
        "/tv/v/gengjing",
    );
}

#[actix_web::test]
async fn an_unknown_stb_id_gets_a_tv_404() {
    let app = TestApp::demo();
    let mut c = app.client().await;
    let long = "S".repeat(4096);
    // A NUL byte is refused before any lookup.
    assert_tv_error(&c.get("/tv?stbid=%00").await, 400, "/tv/villages");
    for query in ["stbid=UNKNOWN", "stbid=a%20b", &format!("stbid={long}")] {
        let res = c.get(&format!("/tv?{query}")).await;
        assert_tv_error(&res, 404, "/tv/villages");
        assert_eq!(c.cookie("vp_village"), None, "{query} remembered a village");
    }
    // Once a box has found its village, errors lead back to it.
    c.get("/tv?stbid=STB0101").await;
    assert_tv_error(&c.get("/tv?stbid=UNKNOWN").await, 404, "/tv/v/chenzhuang");
}

#[actix_web::test]
async fn nul_bytes_and_odd_queries_never_cause_a_server_error() {
    let app = TestApp::demo();
    let mut c = app.client().await;
    c.login_as("admin").await;
    let long = "x".repeat(4096);
    let paths = [
        "/tv?stbid=%00".to_string(),
        "/tv/villages?page=%00".into(),
        "/tv/v/gengjing?page=%00".into(),
        "/tv/v/%00".into(),
        "/admin/audit?user=%00".into(),
        "/admin/audit?action=%00&place=%00&from=%00&to=%00&page=%00".into(),
        "/admin/households?village=%00".into(),
        "/admin/households?village=abc".into(),
        "/admin/places/new?kind=%00".into(),
        "/admin/users/abc".into(),
        "/admin/users/99999999999999999999999".into(),
        "/admin/places/-1".into(),
        format!("/admin/audit?user={long}"),
        format!("/tv/villages?q={long}"),
        format!("/api/v1/nope?{long}"),
    ];
    for path in &paths {
        c.get(path).await.assert_not_server_error();
    }
    // A NUL in an audit filter is refused plainly, on every database.
    assert_admin_error(&c.get("/admin/audit?user=%00").await, 400);
    assert_admin_error(&c.get("/admin/audit?user=a%0Ab").await, 400);
    c.get("/admin/audit").await.assert_status(200);
}

#[actix_web::test]
async fn api_errors_are_json() {
    let app = TestApp::demo();
    let mut c = app.client().await;
    for path in ["/api/v1/nope", "/api/v1/villages/nowhere/nope"] {
        let res = c.get(path).await;
        res.assert_status(404);
        let json = res.json();
        assert!(
            json["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{json}"
        );
        assert_eq!(json["status"], 404);
    }
}

#[actix_web::test]
async fn admin_errors_are_back_office_pages() {
    let app = TestApp::demo();
    let mut c = app.client().await;
    c.login_as("clerk").await;
    assert_admin_error(&c.get("/admin/nope").await, 404);
    assert_admin_error(&c.get("/admin/users").await, 403);
    let missing = app.place_id("gengjing") + 100_000;
    assert_admin_error(&c.get(&format!("/admin/households/{missing}")).await, 404);
    let bad_query = c.get("/admin/households?village=abc").await;
    assert_admin_error(&bad_query, 400);
    // In the clerk's words; serde's English stays in the log.
    bad_query.assert_contains("地址中的参数无效");
    for english in ["deserialize", "invalid digit"] {
        assert!(!bad_query.body.contains(english), "{}", bad_query.body);
    }
}

#[actix_web::test]
async fn an_oversized_body_is_refused_with_413_and_changes_nothing() {
    let app = TestApp::builder()
        .config(|c| c.max_body_bytes = 4096)
        .demo()
        .build();
    let mut c = app.client().await;
    c.login_as("admin").await;
    let before = app.snapshot();
    let big = "名".repeat(10 * 1024 / 3);
    let county = app.place_id("dongying").to_string();
    let res = c
        .post_signed(
            "/admin/places?kind=township",
            &[("code", "xinzhen"), ("name", &big), ("parent_id", &county)],
        )
        .await;
    assert_admin_error(&res, 413);
    res.assert_contains("太大");
    assert_eq!(app.snapshot(), before);

    // Also before signing in.
    let mut stranger = app.client().await;
    let res = stranger
        .post_form("/admin/login", &[("username", &big), ("password", "x")])
        .await;
    assert_admin_error(&res, 413);

    // A body under the limit still goes through.
    let res = c
        .post_signed(
            "/admin/places?kind=township",
            &[
                ("code", "xinzhen"),
                ("name", "新镇"),
                ("parent_id", &county),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
}

#[actix_web::test]
async fn a_wrong_method_is_a_client_error() {
    let app = TestApp::demo();
    let mut c = app.client().await;
    c.login_as("admin").await;
    let cases = [
        (Method::GET, "/admin/logout"),
        (Method::PUT, "/admin/login"),
        (Method::DELETE, "/admin/users"),
        (Method::PATCH, "/admin/places"),
        (Method::POST, "/healthz"),
        (Method::POST, "/tv/v/gengjing"),
        (Method::DELETE, "/tv/villages"),
        (Method::PUT, "/api/v1/villages/gengjing/articles"),
    ];
    for (method, path) in cases {
        let res = c
            .send(TestRequest::default().method(method.clone()).uri(path))
            .await;
        assert!(
            (400..500).contains(&res.status),
            "{method} {path}: {} {}",
            res.status,
            res.body
        );
    }
    // Still signed in: GET /admin/logout did not sign out.
    c.get("/admin").await.assert_status(200);
}

#[actix_web::test]
async fn a_form_that_is_not_a_form_is_a_400() {
    let app = TestApp::demo();
    let mut c = app.client().await;
    c.login_as("admin").await;
    let before = app.snapshot();
    let token = c.get("/admin").await.csrf().expect("token");
    let json = TestRequest::post()
        .uri("/admin/places?kind=township")
        .insert_header((header::CONTENT_TYPE, "application/json"))
        .set_payload(format!(
            "{{\"csrf_token\":\"{token}\",\"code\":\"xinzhen\"}}"
        ));
    assert_admin_error(&c.send(json).await, 400);
    let broken = TestRequest::post()
        .uri("/admin/places?kind=township")
        .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
        .set_payload(b"csrf_token=\xff\xfe&code=%%%".to_vec());
    let res = c.send(broken).await;
    assert!(
        matches!(res.status, 400 | 403),
        "{} {}",
        res.status,
        res.body
    );
    assert_eq!(app.snapshot(), before);
}

#[actix_web::test]
async fn an_unreadable_page_number_on_the_tv_means_page_one() {
    let app = TestApp::demo();
    let mut c = app.client().await;
    for page in ["abc", "-1", "0", "", "99999999999999999999", "1.5"] {
        c.get(&format!("/tv/villages?page={page}"))
            .await
            .assert_status(200)
            .assert_contains("第 1/1 页");
    }
}

#[actix_web::test]
async fn healthz_answers_json() {
    let app = TestApp::demo();
    let mut c = app.client().await;
    let res = c.get("/healthz").await;
    res.assert_status(200);
    assert!(res
        .header("content-type")
        .is_some_and(|ct| ct.starts_with("application/json")));
    assert_eq!(res.json(), serde_json::json!({"status": "ok"}));
}
