//! The county-scale demo generator (`demo --scale county`), run at a small
//! scale: what it adds, that a generated village's TV pages show it, and
//! that running it again adds nothing.

use std::collections::HashMap;
use std::process::Command;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use village_portal::db::schema::{article_revisions, articles, households, places};
use village_portal::demo::county::{self, Report, Scale, GENERATED_PIN};

use crate::util::TestApp;

const SMALL: Scale = Scale {
    townships: 2,
    villages_per_township: 3,
    articles: 400,
    households: 40,
};

/// (id, place, section, title, live, head, archived, pinned, publish_at, expire_at, published_at)
type ArticleRow = (
    i64,
    i64,
    String,
    String,
    Option<i64>,
    Option<i64>,
    bool,
    bool,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
);

/// (article, number, state, title, section) of a revision.
type RevRow = (i64, i32, String, String, String);

fn load_articles(app: &TestApp) -> Vec<ArticleRow> {
    articles::table
        .order(articles::id)
        .select((
            articles::id,
            articles::place_id,
            articles::section,
            articles::title,
            articles::live_revision_id,
            articles::head_revision_id,
            articles::archived,
            articles::pinned,
            articles::publish_at,
            articles::expire_at,
            articles::published_at,
        ))
        .load(&mut *app.conn())
        .expect("articles")
}

#[actix_web::test]
async fn a_small_county_is_generated_once_and_shown_on_tv() {
    let app = TestApp::demo();
    let offset = app.state.config.offset().expect("offset");
    let before = load_articles(&app).len();

    let report = county::load(&mut app.conn(), &SMALL, offset).expect("generate");
    assert_eq!(
        report,
        Report {
            townships_added: 2,
            villages_added: 6,
            households_added: 40,
            articles_added: 400,
        }
    );

    // Places: t01, t02 under the county, three villages each.
    let county = app.place_id("dongying");
    let generated: Vec<(String, String, Option<i64>)> = places::table
        .filter(places::code.like("t0%"))
        .order(places::code)
        .select((places::code, places::kind, places::parent_id))
        .load(&mut *app.conn())
        .expect("places");
    let codes: Vec<&str> = generated.iter().map(|p| p.0.as_str()).collect();
    assert_eq!(
        codes,
        ["t01", "t01v01", "t01v02", "t01v03", "t02", "t02v01", "t02v02", "t02v03"]
    );
    for (code, kind, parent) in &generated {
        if code.contains('v') {
            assert_eq!(kind, "village");
            assert_eq!(*parent, Some(app.place_id(&code[..3])), "{code}");
        } else {
            assert_eq!(kind, "township");
            assert_eq!(*parent, Some(county), "{code}");
        }
    }

    // Households C000001..C000040, 6 or 7 a village, all with the one PIN.
    let homes: Vec<(String, i64, String)> = households::table
        .filter(households::stb_id.like("C%"))
        .order(households::stb_id)
        .select((
            households::stb_id,
            households::village_id,
            households::pin_hash,
        ))
        .load(&mut *app.conn())
        .expect("households");
    assert_eq!(homes.len(), 40);
    assert_eq!(homes[0].0, "C000001");
    assert_eq!(homes[39].0, "C000040");
    let mut per_village: HashMap<i64, usize> = HashMap::new();
    for (_, village, _) in &homes {
        *per_village.entry(*village).or_default() += 1;
    }
    assert_eq!(per_village.len(), 6);
    assert!(per_village.values().all(|n| (6..=7).contains(n)));
    assert!(village_portal::crypto::verify_secret(
        &homes[17].2,
        GENERATED_PIN
    ));
    assert!(!village_portal::crypto::verify_secret(&homes[17].2, "0000"));

    // Articles: 400 more, each with one published revision that is both
    // live and head, its listing fields copied onto the article.
    let all = load_articles(&app);
    assert_eq!(all.len(), before + 400);
    let revisions: HashMap<i64, RevRow> = article_revisions::table
        .filter(article_revisions::author_name.eq("demo-county"))
        .select((
            article_revisions::id,
            article_revisions::article_id,
            article_revisions::number,
            article_revisions::state,
            article_revisions::title,
            article_revisions::section,
        ))
        .load::<(i64, i64, i32, String, String, String)>(&mut *app.conn())
        .expect("revisions")
        .into_iter()
        .map(|(id, a, n, s, t, sec)| (id, (a, n, s, t, sec)))
        .collect();
    assert_eq!(revisions.len(), 400);
    let generated_articles: Vec<&ArticleRow> = all
        .iter()
        .filter(|a| a.4.is_some_and(|rev| revisions.contains_key(&rev)))
        .collect();
    assert_eq!(generated_articles.len(), 400);
    for a in &generated_articles {
        let rev = a.4.expect("live revision");
        assert_eq!(a.5, Some(rev), "head = live for article {}", a.0);
        let (article_id, number, state, title, section) = &revisions[&rev];
        assert_eq!(
            (*article_id, *number, state.as_str()),
            (a.0, 1, "published")
        );
        assert_eq!((title, section), (&a.3, &a.2));
        assert!(!a.6);
    }

    // The TV list of t01v01's notices: its own, t01's and the county's
    // notices on air now, pinned first, then newest.
    let village = app.place_id("t01v01");
    let audience = [village, app.place_id("t01"), county];
    let now = chrono::Utc::now().naive_utc();
    let mut expected: Vec<&ArticleRow> = all
        .iter()
        .filter(|a| audience.contains(&a.1) && a.2 == "notices" && a.4.is_some() && !a.6)
        .filter(|a| a.8.is_none_or(|p| p <= now) && a.9.is_none_or(|e| e > now))
        .collect();
    expected.sort_by_key(|a| std::cmp::Reverse((a.7, a.10, a.0)));
    assert!(
        expected.len() > 8,
        "too few notices for t01v01: {}",
        expected.len()
    );
    let pages = expected.len().div_ceil(8);

    let mut client = app.client().await;
    let home = client.get("/tv/v/t01v01").await;
    home.assert_status(200);
    let list = client.get("/tv/v/t01v01/notices").await;
    list.assert_status(200)
        .assert_contains(&format!("第 1/{pages} 页"));
    for a in expected.iter().take(8) {
        list.assert_contains(&a.3);
    }
    let last = client
        .get(&format!("/tv/v/t01v01/notices?page={pages}"))
        .await;
    last.assert_status(200)
        .assert_contains(&format!("第 {pages}/{pages} 页"));
    let oldest = expected.last().expect("a notice");
    last.assert_contains(&oldest.3);
    let article = client
        .get(&format!("/tv/v/t01v01/a/{}", expected[0].0))
        .await;
    article.assert_status(200).assert_contains(&expected[0].3);

    // Running it again adds nothing.
    let again = county::load(&mut app.conn(), &SMALL, offset).expect("generate again");
    assert!(again.nothing_added(), "{again:?}");
    assert_eq!(load_articles(&app).len(), before + 400);
    let homes_now: i64 = households::table
        .filter(households::stb_id.like("C%"))
        .count()
        .get_result(&mut *app.conn())
        .expect("count");
    assert_eq!(homes_now, 40);
}

#[actix_web::test]
async fn the_generator_needs_the_demo_county() {
    let app = TestApp::builder().build();
    let offset = app.state.config.offset().expect("offset");
    let err = county::load(&mut app.conn(), &SMALL, offset).expect_err("no county");
    assert!(err.to_string().contains("village-portal demo"), "{err}");
}

/// `--scale` takes `village` (the default) or `county`, nothing else.
#[test]
fn the_scale_option_is_checked() {
    let dir = tempfile::tempdir().expect("temp dir");
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_village-portal"))
            .args(args)
            .current_dir(dir.path())
            .env(
                "DATABASE_URL",
                format!("sqlite://{}", dir.path().join("portal.db").display()),
            )
            .env("PORTAL_DEMO_PASSWORD", crate::util::DEMO_PASSWORD)
            .env_remove("RUST_LOG")
            .output()
            .expect("run the binary")
    };
    let bad = run(&["demo", "--scale", "planet"]);
    assert!(!bad.status.success());
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        stderr.contains("village") && stderr.contains("county"),
        "{stderr}"
    );
    assert!(!dir.path().join("portal.db").exists());
    let small = run(&["demo", "--scale", "village"]);
    assert!(small.status.success(), "{small:?}");
    let stdout = String::from_utf8_lossy(&small.stdout);
    assert!(stdout.contains("demo county loaded"), "{stdout}");
    assert!(!stdout.contains("county-scale"), "{stdout}");
}
