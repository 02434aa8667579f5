//! The portal starts on a fresh database and answers on each surface.

use crate::util::TestApp;

#[actix_web::test]
async fn healthz_answers_ok() {
    let app = TestApp::builder().build();
    let mut c = app.client().await;
    let res = c.get("/healthz").await;
    res.assert_status(200);
    assert_eq!(res.json(), serde_json::json!({"status": "ok"}));
}

#[actix_web::test]
async fn demo_user_signs_in_and_sees_the_dashboard() {
    let app = TestApp::demo();
    let mut c = app.client().await;
    c.login_as("admin").await;
    c.get("/admin")
        .await
        .assert_status(200)
        .assert_contains("工作台");
}

#[actix_web::test]
async fn stb_redirects_to_its_village_home() {
    let app = TestApp::demo();
    let mut c = app.client().await;
    let res = c.get("/tv?stbid=STB0001").await;
    assert_eq!(res.status, 302);
    assert_eq!(res.location(), Some("/tv/v/gengjing"));
    c.get("/tv/v/gengjing")
        .await
        .assert_status(200)
        .assert_contains("耿井村")
        .assert_contains("黄河路街道");
}
