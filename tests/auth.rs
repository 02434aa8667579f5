//! Signing in and out of the back office: the answer to a failed sign-in,
//! throttling, the session cookie, sign-out, sessions ended by an admin, and
//! the CSRF token every admin POST must carry.

use crate::util::{AppService, Client, Resp, TestApp, DEMO_PASSWORD};

const WRONG_PASSWORD: &str = "not-the-password-0000";

/// The demo users and the role label the back office shows for each.
const DEMO_USERS: [(&str, &str); 5] = [
    ("admin", "县级管理员"),
    ("official", "乡镇审核员"),
    ("clerk", "村文书"),
    ("clerk2", "村文书"),
    ("auditor", "审计员"),
];

/// The message of the sign-in form's error box.
#[track_caller]
fn login_error(res: &Resp) -> &str {
    let marker = "id=\"login-error\">";
    let at = res.body.find(marker).unwrap_or_else(|| {
        panic!(
            "no sign-in error on the page ({}):\n{}",
            res.status, res.body
        )
    });
    let rest = &res.body[at + marker.len()..];
    &rest[..rest.find("</div>").expect("end of the error box")]
}

/// The attributes of a `Set-Cookie` header, lowercased (`httponly`, `samesite=lax`, ...).
fn cookie_attributes(set_cookie: &str) -> Vec<String> {
    set_cookie
        .split(';')
        .skip(1)
        .map(|a| a.trim().to_ascii_lowercase())
        .collect()
}

#[track_caller]
fn assert_redirects_to_login(res: &Resp) {
    assert_eq!(res.status, 303, "expected a redirect; body:\n{}", res.body);
    let to = res.location().unwrap_or_default();
    assert!(
        to == "/admin/login" || to.starts_with("/admin/login?next=%2Fadmin"),
        "redirected to {to}"
    );
}

#[actix_web::test]
async fn every_demo_user_signs_in_and_sees_their_role() {
    let app = TestApp::demo();
    for (username, role_label) in DEMO_USERS {
        let mut c = app.client().await;
        c.login_as(username).await;
        c.get("/admin")
            .await
            .assert_status(200)
            .assert_contains(role_label);
        // A signed-in user asking for the form goes straight to the dashboard.
        let again = c.get("/admin/login").await;
        assert_eq!(again.status, 303);
        assert_eq!(again.location(), Some("/admin"));
    }
    assert_eq!(app.audit("session.sign_in").len(), DEMO_USERS.len());
}

#[actix_web::test]
async fn a_failed_sign_in_never_tells_whether_the_username_exists() {
    let app = TestApp::demo();
    let mut c = app.client().await;
    let wrong_password = c.login("clerk", WRONG_PASSWORD).await;
    wrong_password.assert_status(401);
    let expected = login_error(&wrong_password).to_string();
    assert!(!expected.is_empty());

    let long_name = "x".repeat(100_000);
    for unknown in ["nobody", "no such user", "a\u{0}b", long_name.as_str()] {
        let res = c.login(unknown, WRONG_PASSWORD).await;
        assert_eq!(res.status, 401, "for {:.20}: {}", unknown, res.body);
        assert_eq!(login_error(&res), expected, "for {unknown:.20}");
        assert!(res.body.len() < 20_000, "the form echoes a huge username");
    }
    assert_redirects_to_login(&c.get("/admin").await);
}

#[actix_web::test]
async fn five_failures_lock_a_username_even_against_the_right_password() {
    let app = TestApp::demo();
    let mut c = app.client().await;
    for _ in 0..5 {
        c.login("clerk", WRONG_PASSWORD).await.assert_status(401);
    }
    let locked = c.login("clerk", DEMO_PASSWORD).await;
    locked.assert_status(429);
    assert!(login_error(&locked).contains("分钟"), "{}", locked.body);
    assert_redirects_to_login(&c.get("/admin").await);

    // The lock is on the username, wherever the next attempt comes from ...
    let mut elsewhere = app.client().await;
    elsewhere.set_peer("10.20.30.40:5000");
    elsewhere
        .login("clerk", DEMO_PASSWORD)
        .await
        .assert_status(429);
    // ... and other users of the same address are not locked out.
    c.login_as("clerk2").await;
}

#[actix_web::test]
async fn unknown_usernames_are_locked_out_the_same_way() {
    let app = TestApp::demo();
    let mut c = app.client().await;
    for _ in 0..5 {
        c.login("ghost", WRONG_PASSWORD).await.assert_status(401);
    }
    let locked = c.login("ghost", WRONG_PASSWORD).await;
    locked.assert_status(429);
    assert!(login_error(&locked).contains("分钟"));
}

#[actix_web::test]
async fn failures_from_one_address_are_limited_across_usernames() {
    let app = TestApp::builder()
        .config(|c| c.login_max_failures_ip = 3)
        .demo()
        .build();
    let mut c = app.client().await;
    c.set_peer("192.0.2.7:4000");
    for username in ["clerk", "clerk2", "official"] {
        c.login(username, WRONG_PASSWORD).await.assert_status(401);
    }
    // A fourth username, with its right password, from the same address.
    let res = c.login("admin", DEMO_PASSWORD).await;
    res.assert_status(429);
    assert!(login_error(&res).contains("分钟"), "{}", res.body);
    assert_redirects_to_login(&c.get("/admin").await);

    let mut other = app.client().await;
    other.set_peer("192.0.2.8:4000");
    other.login_as("admin").await;
}

#[actix_web::test]
async fn the_session_cookie_is_http_only_and_same_site_lax() {
    let app = TestApp::demo();
    let mut c = app.client().await;
    let res = c.login("clerk", DEMO_PASSWORD).await;
    let cookie = res
        .set_cookie("vp_session")
        .expect("sign-in sets the session cookie");
    let attrs = cookie_attributes(cookie);
    assert!(attrs.iter().any(|a| a == "httponly"), "{cookie}");
    assert!(attrs.iter().any(|a| a == "samesite=lax"), "{cookie}");
    assert!(!attrs.iter().any(|a| a == "secure"), "{cookie}");
}

#[actix_web::test]
async fn the_session_cookie_is_secure_when_served_over_https() {
    let app = TestApp::builder()
        .config(|c| c.secure_cookies = true)
        .demo()
        .build();
    let mut c = app.client().await;
    let res = c.login("clerk", DEMO_PASSWORD).await;
    let cookie = res.set_cookie("vp_session").expect("session cookie");
    let attrs = cookie_attributes(cookie);
    assert!(attrs.iter().any(|a| a == "secure"), "{cookie}");
    assert!(attrs.iter().any(|a| a == "httponly"), "{cookie}");
}

#[actix_web::test]
async fn signing_in_renews_the_session_and_its_csrf_token() {
    let app = TestApp::demo();
    let mut c = app.client().await;
    let form = c.get("/admin/login").await;
    let old_token = form.csrf().expect("token on the sign-in form");
    let old_cookie = c.cookie("vp_session").expect("session cookie").to_string();

    let res = c
        .post_form(
            "/admin/login",
            &[
                ("csrf_token", &old_token),
                ("username", "clerk"),
                ("password", DEMO_PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let new_cookie = c.cookie("vp_session").expect("session cookie").to_string();
    assert_ne!(old_cookie, new_cookie);
    let new_token = c.get("/admin").await.csrf().expect("token");
    assert_ne!(old_token, new_token);

    // The token from before sign-in is no good any more.
    c.post_form("/admin/logout", &[("csrf_token", &old_token)])
        .await
        .assert_status(403);
    c.get("/admin").await.assert_status(200);

    // A copy of the cookie taken before sign-in is not signed in.
    let mut fixer = app.client().await;
    fixer.set_cookie("vp_session", &old_cookie);
    assert_redirects_to_login(&fixer.get("/admin").await);
}

#[actix_web::test]
async fn logout_needs_the_csrf_token() {
    let app = TestApp::demo();
    let mut c = app.client().await;
    c.login_as("clerk").await;

    c.post_form("/admin/logout", &[]).await.assert_status(403);
    c.post_form("/admin/logout", &[("csrf_token", &"0".repeat(64))])
        .await
        .assert_status(403);
    c.get("/admin").await.assert_status(200);
    assert!(app.audit("session.sign_out").is_empty());

    let res = c.post_signed("/admin/logout", &[]).await;
    assert_redirects_to_login(&res);
    assert_eq!(
        c.cookie("vp_session"),
        None,
        "the session cookie is removed"
    );
    assert_redirects_to_login(&c.get("/admin").await);
    let out = app.audit("session.sign_out");
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].actor_name, "clerk");
}

#[actix_web::test]
async fn a_copy_of_the_session_cookie_stops_working_at_sign_out() {
    let app = TestApp::demo();
    let mut c = app.client().await;
    c.login_as("clerk").await;
    let copied = c.cookie("vp_session").expect("session cookie").to_string();
    assert_redirects_to_login(&c.post_signed("/admin/logout", &[]).await);

    let mut thief = app.client().await;
    thief.set_cookie("vp_session", &copied);
    assert_redirects_to_login(&thief.get("/admin").await);
}

#[actix_web::test]
async fn without_a_valid_session_admin_pages_lead_to_sign_in() {
    let app = TestApp::demo();
    let mut signed_in = app.client().await;
    signed_in.login_as("admin").await;
    let genuine = signed_in.cookie("vp_session").expect("cookie").to_string();
    // One character changed in the middle of a genuine cookie.
    let mut tampered: Vec<char> = genuine.chars().collect();
    let mid = tampered.len() / 2;
    tampered[mid] = if tampered[mid] == 'A' { 'B' } else { 'A' };
    let tampered: String = tampered.into_iter().collect();

    for path in ["/admin", "/admin/users", "/admin/audit", "/admin/places"] {
        let mut c = app.client().await;
        assert_redirects_to_login(&c.get(path).await);
        for cookie in ["garbage", "", tampered.as_str()] {
            c.set_cookie("vp_session", cookie);
            let res = c.get(path).await;
            assert_redirects_to_login(&res);
        }
    }
    // The sign-in form itself still works after a garbage cookie ...
    let mut c = app.client().await;
    c.set_cookie("vp_session", "garbage");
    c.login_as("clerk").await;
    c.get("/admin").await.assert_status(200);
    // ... and a browser that drops its cookies is signed out.
    c.forget_cookies();
    assert_redirects_to_login(&c.get("/admin").await);
}

/// Posts as the admin to disable (or enable) the clerk.
async fn set_clerk_disabled(app: &TestApp, admin: &mut Client<impl AppService>, disabled: bool) {
    let id = app.user("clerk").id;
    let village = app.place_id("gengjing").to_string();
    let mut fields = vec![
        ("display_name", "耿井村文书"),
        ("role", "clerk"),
        ("place_id", village.as_str()),
    ];
    if disabled {
        fields.push(("disabled", "on"));
    }
    let page = format!("/admin/users/{id}");
    let res = admin.submit(&page, &page, &fields).await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(app.user("clerk").disabled, disabled);
}

#[actix_web::test]
async fn a_disabled_user_is_signed_out_on_the_next_request() {
    let app = TestApp::demo();
    let mut clerk = app.client().await;
    clerk.login_as("clerk").await;
    clerk.get("/admin/households").await.assert_status(200);
    let mut admin = app.client().await;
    admin.login_as("admin").await;

    set_clerk_disabled(&app, &mut admin, true).await;
    assert_redirects_to_login(&clerk.get("/admin/households").await);

    // Signing in again fails with the same words as a wrong password.
    let refused = clerk.login("clerk", DEMO_PASSWORD).await;
    refused.assert_status(401);
    let mut other = app.client().await;
    other.set_peer("10.1.1.1:1000");
    let wrong = other.login("clerk2", WRONG_PASSWORD).await;
    assert_eq!(login_error(&refused), login_error(&wrong));

    // Enabled again (the checkbox left out), the clerk signs in.
    set_clerk_disabled(&app, &mut admin, false).await;
    clerk.login_as("clerk").await;
    admin.get("/admin").await.assert_status(200);
}

#[actix_web::test]
async fn a_password_reset_ends_the_users_sessions() {
    let app = TestApp::demo();
    let mut clerk = app.client().await;
    clerk.login_as("clerk").await;
    let mut admin = app.client().await;
    admin.login_as("admin").await;

    let new_password = "brand-new-password-5678";
    let id = app.user("clerk").id;
    let page = format!("/admin/users/{id}");
    let res = admin
        .submit(
            &page,
            &format!("/admin/users/{id}/password"),
            &[("password", new_password)],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(
        res.location(),
        Some(format!("/admin/users/{id}?saved=password").as_str())
    );

    assert_redirects_to_login(&clerk.get("/admin").await);
    admin.get("/admin").await.assert_status(200);
    clerk.login("clerk", DEMO_PASSWORD).await.assert_status(401);
    let res = clerk.login("clerk", new_password).await;
    assert_eq!(res.status, 303, "{}", res.body);

    let resets = app.audit("user.password_reset");
    assert_eq!(resets.len(), 1);
    assert_eq!(resets[0].actor_name, "admin");
    assert!(resets[0].summary.contains("password: changed"));
    assert!(!resets[0].summary.contains(new_password));
}

#[actix_web::test]
async fn a_password_reset_too_short_is_refused_beside_the_field() {
    let app = TestApp::demo();
    let mut admin = app.client().await;
    admin.login_as("admin").await;
    let before = app.snapshot();
    let id = app.user("clerk").id;
    let page = format!("/admin/users/{id}");
    admin
        .submit(
            &page,
            &format!("/admin/users/{id}/password"),
            &[("password", "short")],
        )
        .await
        .assert_field_error("至少 12");
    assert_eq!(app.snapshot(), before);
}

/// Every back-office POST, with fields that succeed when the token is right.
fn every_admin_post(app: &TestApp) -> Vec<(String, Vec<(&'static str, String)>)> {
    let id = |code: &str| app.place_id(code).to_string();
    let clerk2 = app.user("clerk2").id;
    let stb1 = app.household("STB0001").id;
    let fields = |pairs: &[(&'static str, &str)]| -> Vec<(&'static str, String)> {
        pairs.iter().map(|(k, v)| (*k, v.to_string())).collect()
    };
    vec![
        (
            "/admin/places?kind=township".into(),
            fields(&[
                ("code", "xinzhen"),
                ("name", "新镇"),
                ("parent_id", &id("dongying")),
            ]),
        ),
        (
            "/admin/places?kind=village".into(),
            fields(&[
                ("code", "xincun"),
                ("name", "新村"),
                ("parent_id", &id("huanghelu")),
            ]),
        ),
        (
            format!("/admin/places/{}", id("gengjing")),
            fields(&[("name", "耿井新村"), ("parent_id", &id("huanghelu"))]),
        ),
        (
            "/admin/households".into(),
            fields(&[
                ("village_id", &id("gengjing")),
                ("stb_id", "STB0999"),
                ("number", "099"),
                ("pin", "4321"),
            ]),
        ),
        (
            format!("/admin/households/{stb1}"),
            fields(&[
                ("village_id", &id("gengjing")),
                ("stb_id", "STB0001"),
                ("number", "001"),
                ("pin", "9999"),
            ]),
        ),
        (
            "/admin/users".into(),
            fields(&[
                ("username", "newclerk"),
                ("display_name", "新文书"),
                ("role", "clerk"),
                ("place_id", &id("beihe")),
                ("password", "a-long-enough-password"),
            ]),
        ),
        (
            format!("/admin/users/{clerk2}"),
            fields(&[
                ("display_name", "陈庄村新文书"),
                ("role", "clerk"),
                ("place_id", &id("chenzhuang")),
                ("disabled", "on"),
            ]),
        ),
        (
            format!("/admin/users/{clerk2}/password"),
            fields(&[("password", "another-password-1")]),
        ),
        (
            "/admin/login".into(),
            fields(&[("username", "clerk"), ("password", DEMO_PASSWORD)]),
        ),
        ("/admin/logout".into(), vec![]),
    ]
}

#[actix_web::test]
async fn every_admin_post_without_a_valid_csrf_token_is_refused_and_changes_nothing() {
    let app = TestApp::demo();
    let mut c = app.client().await;
    c.login_as("admin").await;
    // A genuine token, but of somebody else's session.
    let mut other = app.client().await;
    let foreign = other.get("/admin/login").await.csrf().expect("token");

    for (action, fields) in every_admin_post(&app) {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let before = app.snapshot();
        let mut bad_tokens = vec![None, Some(""), Some("0123abcd"), Some(foreign.as_str())];
        bad_tokens.push(Some("\u{0}"));
        for token in bad_tokens {
            let mut sent = fields.clone();
            if let Some(t) = token {
                sent.insert(0, ("csrf_token", t));
            }
            let res = c.post_form(&action, &sent).await;
            assert_eq!(
                res.status, 403,
                "POST {action} with token {token:?}: {}",
                res.body
            );
        }
        assert_eq!(app.snapshot(), before, "POST {action} changed data");
        c.get("/admin").await.assert_status(200);

        // The same request with the right token goes through.
        let res = c.post_signed(&action, &fields).await;
        assert_eq!(
            res.status, 303,
            "POST {action} with its token: {}",
            res.body
        );
    }
}

#[actix_web::test]
async fn a_next_address_with_control_characters_is_dropped_at_sign_in() {
    let app = TestApp::demo();
    for bad in [
        "/admin/x\n",
        "/admin/x\r\nSet-Cookie: a=b",
        "/admin/x\t",
        "/admin/x y",
    ] {
        let mut c = app.client().await;
        let res = c
            .submit(
                "/admin/login",
                "/admin/login",
                &[
                    ("username", "clerk"),
                    ("password", DEMO_PASSWORD),
                    ("next", bad),
                ],
            )
            .await;
        assert_eq!(res.status, 303, "{bad:?}: {}", res.body);
        assert_eq!(res.location(), Some("/admin"), "{bad:?}");
        c.get("/admin").await.assert_status(200);
    }
    // The form does not carry such an address either.
    let mut c = app.client().await;
    let form = c.get("/admin/login?next=/admin/x%0A").await;
    form.assert_status(200);
    assert!(!form.body.contains("value=\"/admin/x"), "{}", form.body);
    // A plain one still goes through.
    let res = c
        .submit(
            "/admin/login",
            "/admin/login",
            &[
                ("username", "clerk"),
                ("password", DEMO_PASSWORD),
                ("next", "/admin/duty"),
            ],
        )
        .await;
    assert_eq!(res.location(), Some("/admin/duty"));
}
