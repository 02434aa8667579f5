//! Who may open and change what, enforced over HTTP. (`access::may` itself is
//! unit-tested beside the code; here each role meets each page and each write.)

use crate::util::{AppService, Client, TestApp};

const ROLES: [&str; 4] = ["admin", "official", "clerk", "auditor"];

/// A back-office page and the status each of `ROLES` gets for it.
struct Expect {
    path: String,
    status: [u16; 4],
}

fn expect(path: impl Into<String>, status: [u16; 4]) -> Expect {
    Expect {
        path: path.into(),
        status,
    }
}

/// Every back-office page in the demo county, by role: admin, official, clerk, auditor.
fn page_matrix(app: &TestApp) -> Vec<Expect> {
    let gengjing = app.place_id("gengjing");
    let clerk = app.user("clerk").id;
    let own = app.household("STB0001").id;
    let sibling = app.household("STB0101").id;
    let station = village_portal::health::station_by_code(&mut app.conn(), "gengjing-hs")
        .expect("query")
        .expect("the demo station")
        .id;
    vec![
        expect("/admin", [200, 200, 200, 200]),
        expect("/admin/places", [200, 403, 403, 403]),
        expect("/admin/places/new?kind=village", [200, 403, 403, 403]),
        expect(format!("/admin/places/{gengjing}"), [200, 403, 403, 403]),
        expect("/admin/users", [200, 403, 403, 403]),
        expect("/admin/users/new", [200, 403, 403, 403]),
        expect(format!("/admin/users/{clerk}"), [200, 403, 403, 403]),
        expect("/admin/households", [200, 403, 200, 403]),
        expect(
            format!("/admin/households?village={gengjing}"),
            [200, 403, 200, 403],
        ),
        expect(
            format!("/admin/households?village={}", app.place_id("chenzhuang")),
            [200, 403, 403, 403],
        ),
        expect(
            format!("/admin/households?village={}", app.place_id("songjia")),
            [200, 403, 403, 403],
        ),
        expect("/admin/households/new", [200, 403, 200, 403]),
        expect(format!("/admin/households/{own}"), [200, 403, 200, 403]),
        expect(format!("/admin/households/{sibling}"), [200, 403, 403, 403]),
        expect("/admin/audit", [200, 403, 403, 200]),
        expect("/admin/alerts", [200, 200, 403, 403]),
        expect("/admin/alerts/new", [200, 200, 403, 403]),
        expect("/admin/health", [200, 200, 200, 200]),
        expect("/admin/health/stations/new", [200, 403, 403, 403]),
        expect(
            format!("/admin/health/stations/{station}"),
            [200, 200, 200, 403],
        ),
        expect(
            format!("/admin/health/stations/{station}/import"),
            [200, 200, 200, 403],
        ),
        expect("/admin/health/residents", [200, 403, 200, 403]),
        expect(
            format!(
                "/admin/health/residents?village={}",
                app.place_id("chenzhuang")
            ),
            [200, 403, 403, 403],
        ),
        expect("/admin/health/residents/new", [200, 403, 200, 403]),
        expect("/admin/health/stats", [200, 200, 403, 200]),
        expect(format!("/admin/households/{own}/pin"), [200, 403, 200, 403]),
        expect(
            format!("/admin/households/{sibling}/pin"),
            [200, 403, 403, 403],
        ),
    ]
}

#[actix_web::test]
async fn each_role_opens_exactly_its_pages() {
    let app = TestApp::demo();
    let matrix = page_matrix(&app);
    for (i, role) in ROLES.into_iter().enumerate() {
        let mut c = app.client().await;
        c.login_as(role).await;
        for e in &matrix {
            let res = c.get(&e.path).await;
            assert_eq!(
                res.status, e.status[i],
                "{role} GET {}: {}",
                e.path, res.body
            );
        }
    }
}

/// The links of the back office's side navigation.
fn nav_links(body: &str) -> Vec<String> {
    let nav = body
        .split("<nav class=\"side\">")
        .nth(1)
        .and_then(|rest| rest.split("</nav>").next())
        .expect("side navigation");
    nav.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_string)
        .collect()
}

#[actix_web::test]
async fn the_navigation_shows_each_role_only_what_it_may_open() {
    let app = TestApp::demo();
    let expected: [(&str, &[&str]); 4] = [
        (
            "admin",
            &[
                "/admin",
                "/admin/articles",
                "/admin/review",
                "/admin/alerts",
                "/admin/media",
                "/admin/videos",
                "/admin/places",
                "/admin/households",
                "/admin/health",
                "/admin/health/residents",
                "/admin/health/stats",
                "/admin/roster",
                "/admin/roster/supervision",
                "/admin/branch",
                "/admin/branch/due",
                "/admin/roster/holidays",
                "/admin/voice",
                "/admin/voice/supervision",
                "/admin/cameras",
                "/admin/webhooks",
                "/admin/users",
                "/admin/audit",
            ],
        ),
        (
            "official",
            &[
                "/admin",
                "/admin/articles",
                "/admin/review",
                "/admin/alerts",
                "/admin/media",
                "/admin/videos",
                "/admin/health",
                "/admin/health/stats",
                "/admin/roster",
                "/admin/roster/supervision",
                "/admin/branch",
                "/admin/branch/due",
                "/admin/voice",
                "/admin/voice/supervision",
                "/admin/cameras",
                "/admin/webhooks",
            ],
        ),
        (
            "clerk",
            &[
                "/admin",
                "/admin/articles",
                "/admin/media",
                "/admin/videos",
                "/admin/households",
                "/admin/health",
                "/admin/health/residents",
                "/admin/roster",
                "/admin/branch",
                "/admin/voice",
                "/admin/cameras",
            ],
        ),
        (
            "auditor",
            &[
                "/admin",
                "/admin/health",
                "/admin/health/stats",
                "/admin/roster/supervision",
                "/admin/branch/due",
                "/admin/voice/supervision",
                "/admin/webhooks",
                "/admin/audit",
            ],
        ),
    ];
    for (role, links) in expected {
        let mut c = app.client().await;
        c.login_as(role).await;
        let nav = nav_links(&c.get("/admin").await.body);
        assert_eq!(nav, links, "navigation of {role}");
        for link in nav {
            c.get(&link).await.assert_status(200);
        }
    }
}

/// Writes only an admin may make, with fields that would otherwise succeed.
fn admin_only_writes(app: &TestApp) -> Vec<(String, Vec<(&'static str, String)>)> {
    let id = |code: &str| app.place_id(code).to_string();
    let clerk2 = app.user("clerk2").id;
    let own = |s: &str| s.to_string();
    vec![
        (
            "/admin/places?kind=township".into(),
            vec![
                ("code", own("xinzhen")),
                ("name", own("新镇")),
                ("parent_id", id("dongying")),
            ],
        ),
        (
            "/admin/places?kind=village".into(),
            vec![
                ("code", own("xincun")),
                ("name", own("新村")),
                ("parent_id", id("huanghelu")),
            ],
        ),
        (
            format!("/admin/places/{}", id("gengjing")),
            vec![("name", own("改名村")), ("parent_id", id("huanghelu"))],
        ),
        (
            "/admin/users".into(),
            vec![
                ("username", own("intruder")),
                ("role", own("admin")),
                ("place_id", id("dongying")),
                ("password", own("a-long-enough-password")),
            ],
        ),
        (
            format!("/admin/users/{clerk2}"),
            vec![
                ("display_name", own("改名")),
                ("role", own("admin")),
                ("place_id", id("dongying")),
            ],
        ),
        (
            format!("/admin/users/{clerk2}/password"),
            vec![("password", own("taken-over-password-1"))],
        ),
    ]
}

/// Household writes aimed at `village`: a new household there, and an
/// existing household (gengjing's own, else chenzhuang's) saved into it.
fn household_writes(app: &TestApp, village: &str) -> Vec<(String, Vec<(&'static str, String)>)> {
    let village_id = app.place_id(village).to_string();
    let existing = match village {
        "gengjing" => app.household("STB0001"),
        _ => app.household("STB0101"),
    };
    vec![
        (
            "/admin/households".into(),
            vec![
                ("village_id", village_id.clone()),
                ("stb_id", format!("NEW-{village}")),
                ("number", "988".into()),
                ("pin", "4321".into()),
            ],
        ),
        (
            format!("/admin/households/{}", existing.id),
            vec![
                ("village_id", village_id),
                ("stb_id", existing.stb_id.clone()),
                ("number", "777".into()),
                ("pin", "0000".into()),
            ],
        ),
    ]
}

/// Posts each write with a valid CSRF token, expects 403 for every one, and
/// checks that the stored data did not change.
async fn assert_all_forbidden(
    app: &TestApp,
    c: &mut Client<impl AppService>,
    who: &str,
    writes: Vec<(String, Vec<(&'static str, String)>)>,
) {
    let before = app.snapshot();
    for (action, fields) in writes {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let res = c.post_signed(&action, &fields).await;
        assert_eq!(res.status, 403, "{who} POST {action}: {}", res.body);
    }
    assert_eq!(
        app.snapshot(),
        before,
        "a forbidden write by {who} changed data"
    );
}

#[actix_web::test]
async fn non_admins_cannot_make_admin_writes() {
    let app = TestApp::demo();
    for role in ["official", "clerk", "auditor"] {
        let mut c = app.client().await;
        c.login_as(role).await;
        assert_all_forbidden(&app, &mut c, role, admin_only_writes(&app)).await;
    }
}

#[actix_web::test]
async fn officials_and_auditors_cannot_touch_households() {
    let app = TestApp::demo();
    for role in ["official", "auditor"] {
        let mut c = app.client().await;
        c.login_as(role).await;
        for village in ["gengjing", "chenzhuang", "songjia"] {
            assert_all_forbidden(&app, &mut c, role, household_writes(&app, village)).await;
        }
    }
}

#[actix_web::test]
async fn a_clerk_manages_the_households_of_their_own_village_only() {
    let app = TestApp::demo();
    let mut c = app.client().await;
    c.login_as("clerk").await;

    let list = c.get("/admin/households").await;
    list.assert_status(200).assert_contains("STB0001");
    assert!(
        !list.body.contains("STB0101"),
        "another village's household"
    );

    // Other villages, of the same township and of another one: refused.
    for village in ["chenzhuang", "songjia"] {
        assert_all_forbidden(&app, &mut c, "clerk", household_writes(&app, village)).await;
    }
    // Moving an own household into another village is refused too.
    let own = app.household("STB0001");
    let moved = [
        ("village_id", app.place_id("chenzhuang").to_string()),
        ("stb_id", own.stb_id.clone()),
        ("number", own.number.clone()),
    ];
    let moved: Vec<(&str, &str)> = moved.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let before = app.snapshot();
    c.post_signed(&format!("/admin/households/{}", own.id), &moved)
        .await
        .assert_status(403);
    assert_eq!(app.snapshot(), before);

    // The own village: both writes go through.
    let gengjing = app.place_id("gengjing");
    for (action, fields) in household_writes(&app, "gengjing") {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let res = c.post_signed(&action, &fields).await;
        assert_eq!(res.status, 303, "POST {action}: {}", res.body);
        assert_eq!(
            res.location(),
            Some(format!("/admin/households?village={gengjing}").as_str())
        );
    }
    assert_eq!(app.household("NEW-gengjing").village_id, gengjing);
    assert_eq!(app.household("STB0001").number, "777");
    let created = app.audit("household.create");
    assert_eq!(created.last().map(|e| e.actor_name.as_str()), Some("clerk"));
}
