//! The holes of issue 12, each closed: throttles that hold under concurrency
//! and behind a proxy, PIN spraying and lock-outs, household access that ends
//! at 退出, the back office's headers, HEAD on TV pages, pages that cannot
//! overflow, media that stay private until live content uses them, FHIR
//! status codes, and SQLite writes that survive power loss.

use actix_web::http::header;
use actix_web::test::TestRequest;
use serde_json::json;
use village_portal::error::AppError;
use village_portal::users::{self, throttle};

use crate::util::{AppService, Client, Resp, TestApp, DEMO_PASSWORD};

const WRONG_PASSWORD: &str = "not-the-password-0000";
const ME: &str = "/tv/v/gengjing/health/me";

// ------------------------------------------------------------ 1. sign-in race

#[actix_web::test]
async fn concurrent_wrong_passwords_are_checked_no_more_often_than_the_limit() {
    let app = TestApp::builder()
        .config(|c| c.db_pool_size = 8)
        .demo()
        .build();
    let limits = throttle::Limits {
        per_user: 5,
        per_client: 20,
        window_minutes: 15,
    };
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(20));
    let handles: Vec<_> = (0..20)
        .map(|i| {
            let db = app.state.db.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                let mut conn = db.get().expect("connection");
                let client = format!("198.51.100.{i}");
                users::sign_in(&mut conn, &limits, "clerk", WRONG_PASSWORD, &client)
            })
        })
        .collect();
    let (mut checked, mut refused) = (0, 0);
    for h in handles {
        match h.join().expect("thread") {
            Err(AppError::BadRequest(_)) => checked += 1,
            Err(AppError::TooManyRequests(_)) => refused += 1,
            other => panic!("unexpected outcome: {:?}", other.map(|_| ())),
        }
    }
    assert_eq!(
        (checked, refused),
        (5, 15),
        "at most 5 wrong passwords may reach the password check"
    );
    // And the right password is refused too now.
    let mut c = app.client().await;
    c.login("clerk", DEMO_PASSWORD).await.assert_status(429);
}

// ------------------------------------------------------------ 2. proxies

async fn login_via_proxy(
    c: &mut Client<impl AppService>,
    forwarded_for: &str,
    username: &str,
) -> Resp {
    let token = c.get("/admin/login").await.csrf().expect("csrf");
    let body = serde_urlencoded::to_string([
        ("csrf_token", token.as_str()),
        ("username", username),
        ("password", WRONG_PASSWORD),
    ])
    .expect("form");
    c.send(
        TestRequest::post()
            .uri("/admin/login")
            .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
            .insert_header(("x-forwarded-for", forwarded_for))
            .set_payload(body),
    )
    .await
}

#[actix_web::test]
async fn behind_a_proxy_the_address_is_the_one_the_proxy_appended() {
    let app = TestApp::builder()
        .config(|c| {
            c.trust_proxy = true;
            c.login_max_failures_ip = 3;
        })
        .demo()
        .build();
    let mut c = app.client().await;
    // The client writes a new first entry every time; the proxy appends
    // the address it saw (203.0.113.9).
    for (i, user) in ["u1", "u2", "u3"].iter().enumerate() {
        login_via_proxy(&mut c, &format!("10.9.9.{i}, 203.0.113.9"), user)
            .await
            .assert_status(401);
    }
    login_via_proxy(&mut c, "10.9.9.77, 203.0.113.9", "u4")
        .await
        .assert_status(429);
    // Another address behind the same proxy is not limited.
    login_via_proxy(&mut c, "10.9.9.1, 203.0.113.10", "u5")
        .await
        .assert_status(401);
}

#[actix_web::test]
async fn two_proxy_hops_take_the_second_entry_from_the_right() {
    let app = TestApp::builder()
        .config(|c| {
            c.trust_proxy = true;
            c.trusted_proxy_hops = 2;
            c.login_max_failures_ip = 2;
        })
        .demo()
        .build();
    let mut c = app.client().await;
    for (i, user) in ["u1", "u2"].iter().enumerate() {
        login_via_proxy(&mut c, &format!("6.6.6.{i}, 203.0.113.9, 10.0.0.2"), user)
            .await
            .assert_status(401);
    }
    login_via_proxy(&mut c, "6.6.6.9, 203.0.113.9, 10.0.0.2", "u3")
        .await
        .assert_status(429);
}

// ------------------------------------------------------------ 3. PIN spraying

/// A box arriving with its STB id (the cookie), alerts out of the way.
async fn arrive(c: &mut Client<impl AppService>, stb: &str) {
    let res = c.get(&format!("/tv?stbid={stb}")).await;
    assert_eq!(res.status, 302, "{}", res.body);
    for _ in 0..3 {
        let res = c.get("/tv/v/gengjing").await;
        match res.location() {
            Some(to) if to.contains("/alert/") => {
                let id = to
                    .split("/alert/")
                    .nth(1)
                    .and_then(|r| r.split(['?', '/']).next())
                    .unwrap_or_default()
                    .to_string();
                c.get(&format!("/tv/v/gengjing/alert/{id}/ok")).await;
            }
            _ => return,
        }
    }
}

/// A PIN typed for a household named by its STB id (a box without its own).
async fn pin_for(c: &mut Client<impl AppService>, stb: &str, pin: &str) -> Resp {
    c.post_form(ME, &[("pin", pin), ("household", stb)]).await
}

fn household_stbs(app: &TestApp, n: usize) -> Vec<String> {
    use diesel::prelude::*;
    use village_portal::db::schema::{households, places};
    let village = app.place_id("gengjing");
    let mut conn = app.conn();
    let existing: Vec<String> = households::table
        .filter(households::village_id.eq(village))
        .select(households::stb_id)
        .load(&mut *conn)
        .expect("households");
    let hash = village_portal::crypto::hash_secret("8080").expect("hash");
    let now = village_portal::time::now();
    for i in existing.len()..n {
        diesel::insert_into(households::table)
            .values((
                households::village_id.eq(village),
                households::stb_id.eq(format!("SPRAY{i:04}")),
                households::number.eq(format!("9{i:02}")),
                households::pin_hash.eq(&hash),
                households::created_at.eq(now),
                households::updated_at.eq(now),
                households::pin_failures.eq(0),
            ))
            .execute(&mut *conn)
            .expect("household");
    }
    let _ = places::table;
    households::table
        .filter(households::village_id.eq(village))
        .order(households::id)
        .select(households::stb_id)
        .limit(n as i64)
        .load(&mut *conn)
        .expect("households")
}

#[actix_web::test]
async fn one_address_cannot_spray_wrong_pins_over_many_households() {
    let app = TestApp::demo();
    let stbs = household_stbs(&app, 14);
    let mut sprayer = app.client().await;
    sprayer.set_peer("192.0.2.50:1000");
    let mut refused = 0;
    for (i, stb) in stbs.iter().enumerate() {
        // Two wrong PINs per household: never the household's own limit.
        for pin in ["0000", "0001"] {
            let res = pin_for(&mut sprayer, stb, pin).await;
            res.assert_not_server_error();
            if res.body.contains("尝试太多") {
                refused += 1;
                assert!(i * 2 >= 10, "refused too early, at household {i}");
            }
        }
    }
    assert!(
        refused > 0,
        "20+ wrong PINs from one address were never limited"
    );
    // The right PIN of a household it never tried is refused as well ...
    let res = pin_for(&mut sprayer, "STB0003", "1357").await;
    assert_ne!(res.status, 303, "the sprayer got in");
    // ... but not for a box elsewhere.
    let mut other = app.client().await;
    other.set_peer("192.0.2.51:1000");
    assert_eq!(pin_for(&mut other, "STB0003", "1357").await.status, 303);
}

#[actix_web::test]
async fn a_lock_out_caused_by_others_does_not_stop_the_households_own_box() {
    let app = TestApp::demo();
    // The household's own box has entered its PIN before, then left.
    let mut own = app.client().await;
    own.set_peer("192.0.2.10:1000");
    arrive(&mut own, "STB0001").await;
    let res = own.post_form(ME, &[("pin", "1234")]).await;
    assert_eq!(res.status, 303, "{}", res.body);
    own.get("/tv/v/gengjing/health/me/exit?to=").await;
    assert!(own.cookie("vp_health").is_none());

    // Others lock the household out with wrong PINs, from several addresses.
    for (n, peer) in ["192.0.2.20:1", "192.0.2.21:1"].iter().enumerate() {
        let mut other = app.client().await;
        other.set_peer(peer);
        for i in 0..5 {
            pin_for(&mut other, "STB0001", &format!("9{n}0{i}")).await;
        }
    }
    let mut stranger = app.client().await;
    stranger.set_peer("192.0.2.22:1");
    let res = pin_for(&mut stranger, "STB0001", "1234").await;
    assert_ne!(res.status, 303, "a locked household opened for a stranger");

    // The own box still gets in with the right PIN.
    let res = own.post_form(ME, &[("pin", "1234")]).await;
    assert_eq!(res.status, 303, "the own box was locked out:\n{}", res.body);
}

// ------------------------------------------------------------ 4. 退出

#[actix_web::test]
async fn a_copied_household_cookie_stops_working_at_exit_and_at_a_pin_change() {
    let app = TestApp::demo();
    let mut c = app.client().await;
    arrive(&mut c, "STB0001").await;
    assert_eq!(c.post_form(ME, &[("pin", "1234")]).await.status, 303);
    let copy = c.cookie("vp_health").expect("grant").to_string();
    c.get(ME)
        .await
        .assert_status(200)
        .assert_contains("家庭成员");

    c.get("/tv/v/gengjing/health/me/exit?to=").await;
    let mut thief = app.client().await;
    thief.set_cookie("vp_health", &copy);
    let res = thief.get(ME).await;
    assert!(
        !res.body.contains("请选择家庭成员"),
        "a copied cookie still opens the household after 退出"
    );

    // Again, and this time a clerk changes the PIN.
    assert_eq!(c.post_form(ME, &[("pin", "1234")]).await.status, 303);
    let copy = c.cookie("vp_health").expect("grant").to_string();
    let h = app.household("STB0001");
    let mut clerk = app.client().await;
    clerk.login_as("clerk").await;
    let path = format!("/admin/households/{}/pin", h.id);
    let res = clerk.submit(&path, &path, &[("pin", "8642")]).await;
    assert_eq!(res.status, 303, "{}", res.body);
    let mut thief = app.client().await;
    thief.set_cookie("vp_health", &copy);
    assert!(!thief.get(ME).await.body.contains("请选择家庭成员"));
}

// ------------------------------------------------------------ 5. headers

#[actix_web::test]
async fn back_office_pages_refuse_frames_and_caches_and_carry_a_csp() {
    let app = TestApp::demo();
    let mut c = app.client().await;
    let login = c.get("/admin/login").await;
    c.login_as("clerk").await;
    for res in [
        &login,
        &c.get("/admin").await,
        &c.get("/admin/articles/new").await,
    ] {
        res.assert_status(200);
        assert_eq!(res.header("x-frame-options"), Some("DENY"));
        assert_eq!(res.header("cache-control"), Some("no-store"));
        let csp = res.header("content-security-policy").expect("a CSP");
        for part in [
            "frame-ancestors 'none'",
            "default-src 'self'",
            "object-src 'none'",
        ] {
            assert!(csp.contains(part), "{part} missing in {csp}");
        }
        assert!(!csp.contains("'unsafe-eval'"), "{csp}");
    }
    // TV pages may be framed by an operator's EPG.
    let tv = c.get("/tv/v/gengjing").await;
    tv.assert_status(200);
    assert_eq!(tv.header("x-frame-options"), None);
}

/// The editor's page loads its script from the same origin and has no inline
/// script or event handler a CSP without 'unsafe-inline' would block.
#[actix_web::test]
async fn back_office_pages_have_no_inline_scripts() {
    let app = TestApp::demo();
    let mut c = app.client().await;
    c.login_as("clerk").await;
    for path in [
        "/admin",
        "/admin/articles/new",
        "/admin/articles",
        "/admin/media",
    ] {
        let res = c.get(path).await;
        res.assert_status(200);
        for tag in res.body.split("<script").skip(1) {
            let open = tag.split('>').next().unwrap_or_default();
            assert!(
                open.contains("src="),
                "inline script on {path}: <script{open}>"
            );
        }
        for handler in [
            " onclick=",
            " onload=",
            " onchange=",
            " onsubmit=",
            "javascript:",
        ] {
            assert!(!res.body.contains(handler), "{handler} on {path}");
        }
    }
}

// ------------------------------------------------------------ 6. HEAD

#[actix_web::test]
async fn head_on_tv_pages_answers_like_get() {
    let app = TestApp::demo();
    let mut c = app.client().await;
    arrive(&mut c, "STB0001").await;
    for path in ["/tv/v/gengjing", "/tv/v/gengjing/notices", "/tv/villages"] {
        let get = c.get(path).await;
        get.assert_status(200);
        let head = c
            .send(
                TestRequest::default()
                    .method(actix_web::http::Method::HEAD)
                    .uri(path),
            )
            .await;
        assert_eq!(head.status, 200, "HEAD {path}: {}", head.body);
        assert_eq!(head.header("content-type"), get.header("content-type"));
    }
}

// ------------------------------------------------------------ 7. pages

#[actix_web::test]
async fn an_enormous_api_page_is_empty_not_page_one() {
    let app = TestApp::demo();
    let mut c = app.client().await;
    let first = c
        .get("/api/v1/villages/gengjing/articles?per_page=100")
        .await;
    first.assert_status(200);
    assert!(!first.json()["articles"]
        .as_array()
        .expect("articles")
        .is_empty());
    for page in ["9223372036854775807", "92233720368547758", "1000000000000"] {
        let res = c
            .get(&format!(
                "/api/v1/villages/gengjing/articles?page={page}&per_page=100"
            ))
            .await;
        res.assert_not_server_error();
        if res.status == 200 {
            let v = res.json();
            assert_eq!(
                v["articles"].as_array().map(Vec::len),
                Some(0),
                "page {page} answered with articles: {}",
                res.body
            );
        }
    }
}

#[test]
fn the_pager_never_overflows() {
    use village_portal::pager::Pager;
    let p = Pager::new(i64::MAX, 100);
    assert!(p.offset() >= 0);
    let p = Pager::new(-5, 0);
    assert_eq!((p.page(), p.per_page(), p.offset()), (1, 1, 0));
    assert_eq!(Pager::new(3, 20).offset(), 40);
    assert_eq!(Pager::new(3, 20).pages(41), 3);
    assert_eq!(Pager::new(3, 20).pages(0), 1);
    assert_eq!(Pager::new(i64::MAX, 20).pages(i64::MAX), i64::MAX / 20 + 1);
}

// ------------------------------------------------------------ 8. media

fn small_jpeg() -> Vec<u8> {
    let img = image::RgbImage::from_fn(64, 36, |x, y| image::Rgb([x as u8 * 3, y as u8 * 5, 90]));
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(
            &mut std::io::Cursor::new(&mut out),
            image::ImageFormat::Jpeg,
        )
        .expect("jpeg");
    out
}

#[actix_web::test]
async fn an_upload_stays_private_until_live_content_uses_it() {
    let app = TestApp::demo();
    let mut clerk = app.client().await;
    clerk.login_as("clerk").await;
    let token = clerk.get("/admin").await.csrf().expect("csrf");
    let res = clerk
        .post_multipart(
            "/admin/media",
            &[("csrf_token", token.as_str())],
            &[("file", "村口.jpg", "image/jpeg", &small_jpeg())],
        )
        .await;
    res.assert_status(200);
    let v = res.json();
    let id = v["id"].as_i64().expect("id");
    let url = v["url"].as_str().expect("url").to_string();
    assert!(
        !url.starts_with(&format!("/media/{id}/")),
        "a sequential address: {url}"
    );

    // Nobody outside gets it, under its address or its id ...
    let mut anyone = app.client().await;
    for path in [
        url.clone(),
        format!("/media/{id}/full"),
        format!("/media/{id}/tile"),
    ] {
        anyone.get(&path).await.assert_status(404);
    }
    // ... its uploader does, and no cache keeps it.
    let mine = clerk.get(&url).await;
    mine.assert_status(200);
    assert_eq!(mine.header("cache-control"), Some("private, no-store"));

    // Once the article that shows it is approved, it is public.
    let body = format!("<p>村口新修的路</p><img src=\"{url}\">");
    let res = clerk
        .submit(
            "/admin/articles/new",
            "/admin/articles/new",
            &[
                ("section", "news"),
                ("scope", "village"),
                ("title", "村口的路修好了"),
                ("body", &body),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let article: i64 = res
        .location()
        .and_then(|l| {
            l.trim_start_matches("/admin/articles/")
                .split('?')
                .next()?
                .parse()
                .ok()
        })
        .expect("article id");
    let version = |app: &TestApp| -> String {
        use diesel::prelude::*;
        use village_portal::db::schema::articles;
        articles::table
            .find(article)
            .select(articles::version)
            .first::<i32>(&mut *app.conn())
            .expect("version")
            .to_string()
    };
    let v = version(&app);
    let page = format!("/admin/articles/{article}");
    clerk
        .submit(&page, &format!("{page}/submit"), &[("version", &v)])
        .await
        .assert_status(303);
    anyone.get(&url).await.assert_status(404);
    let mut official = app.client().await;
    official.login_as("official").await;
    let v = version(&app);
    official
        .submit(
            &format!("{page}/review"),
            &format!("{page}/approve"),
            &[("version", &v)],
        )
        .await
        .assert_status(303);
    let public = anyone.get(&url).await;
    public.assert_status(200);
    assert!(public
        .header("cache-control")
        .is_some_and(|c| c.starts_with("public")));
}

// ------------------------------------------------------------ 9. FHIR status

#[actix_web::test]
async fn fhir_status_must_be_an_r4_code() {
    let app = crate::health_api::demo_with_token();
    let obs = |status: serde_json::Value| {
        json!({
            "resourceType": "Observation",
            "status": status,
            "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7"}]},
            "subject": {"identifier": {"value": "R0001"}},
            "effectiveDateTime": "2026-03-01T08:30:00+08:00",
            "valueQuantity": {"value": 61.5, "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"}
        })
    };
    for (status, ok) in [
        (json!("NaN"), false),
        (json!("FINAL"), false),
        (json!(""), false),
        (json!(7), false),
        (json!("final"), true),
        (json!("amended"), true),
    ] {
        let res = crate::health_api::post(
            &app,
            Some(crate::health_api::TOKEN),
            obs(status.clone()).to_string(),
        )
        .await;
        let v = res.json();
        let result = &v["results"][0];
        if ok {
            assert!(
                result["status"] == "accepted" || result["status"] == "duplicate",
                "{status}: {}",
                res.body
            );
        } else {
            assert_eq!(result["status"], "rejected", "{status}: {}", res.body);
            assert!(
                result["reason"]
                    .as_str()
                    .is_some_and(|r| r.contains("status")),
                "{}",
                res.body
            );
        }
    }
}

// ------------------------------------------------------------ 10. power loss

#[test]
fn sqlite_commits_are_synced_to_disk() {
    use diesel::prelude::*;
    use diesel::sql_types::Integer;
    if crate::util::on_postgres() {
        return;
    }
    #[derive(QueryableByName)]
    struct Sync {
        #[diesel(sql_type = Integer)]
        synchronous: i32,
    }
    let app = TestApp::builder().build();
    let mut conn = app.conn();
    let rows: Vec<Sync> = diesel::sql_query("PRAGMA synchronous")
        .load(&mut *conn)
        .expect("pragma");
    // 2 = FULL: in WAL mode each commit syncs the WAL before it returns.
    assert_eq!(rows.first().map(|r| r.synchronous), Some(2));
}

// ------------------------------------------------------------ the back office

#[actix_web::test]
async fn the_review_queue_names_villages_and_authors_and_tags_have_colours() {
    let app = TestApp::demo();
    let mut official = app.client().await;
    official.login_as("official").await;
    let dash = official.get("/admin").await;
    dash.assert_contains("href=\"/admin/review\"");
    let queue = official.get("/admin/review").await;
    queue.assert_status(200).assert_contains("id=\"queue\"");
    // The demo's pending items were written by the clerk of 耿井村.
    queue
        .assert_contains("耿井村文书")
        .assert_contains("耿井村");
    assert!(
        !queue.body.contains("<td>clerk</td>"),
        "a login shown as author"
    );

    let mut clerk = app.client().await;
    clerk.login_as("clerk").await;
    let list = clerk.get("/admin/articles").await;
    for class in ["st-published", "st-pending"] {
        list.assert_contains(class);
    }
    // The households list shows local times with the deployment's offset.
    let h = clerk.get("/admin/households").await;
    h.assert_status(200);
    let today = village_portal::time::format_local(village_portal::time::now(), app.state.offset);
    assert!(
        h.body.contains(&today[..10]),
        "no local date in the households list"
    );

    // So do the camera systems and the uploaded videos: to the minute,
    // never the stored UTC with its seconds.
    let mut admin = app.client().await;
    admin.login_as("admin").await;
    let local_now =
        || village_portal::time::format_local(village_portal::time::now(), app.state.offset);
    let before = local_now();
    let township = app.place_id("huanghelu").to_string();
    let systems = admin
        .submit(
            "/admin/camera-systems",
            "/admin/camera-systems",
            &[("name", "黄河路雪亮平台"), ("place_id", &township)],
        )
        .await;
    systems.assert_status(200).assert_contains("黄河路雪亮平台");
    let after = local_now();
    assert!(
        systems.body.contains(&before) || systems.body.contains(&after),
        "no local time in the camera systems list"
    );
    let utc = village_portal::time::now()
        .format("%Y-%m-%d %H:%M:")
        .to_string();
    assert!(!systems.body.contains(&utc), "a UTC time with seconds");
}
