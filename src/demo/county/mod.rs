//! The county-scale demo, for measuring (`village-portal demo --scale county`).
//!
//! On top of the small demo county it adds generated townships `t01`.. with
//! villages `t01v01`.., published articles of the last two years in every
//! section (for the villages, their townships and the county), and TV
//! households `C000001`.. . Rows go straight into the tables with multi-row
//! inserts, in exactly the shape the publishing workflow leaves behind
//! (`articles::workflow::publish`: one revision, published, live and head,
//! its listing fields copied onto the article), because 200,000 articles
//! through the workflow one by one would take hours.
//!
//! Text comes from phrase lists and a seeded generator: the same scale gives
//! the same places, titles and bodies (dates are relative to now). It creates
//! no emergency alerts, so the generated villages' TV pages are never
//! redirected to an alert page.
//!
//! Running it again adds what is missing and nothing else: places by code,
//! households by STB id, articles by how many generated ones exist (each
//! chunk of articles is written with its revisions in one transaction).

use chrono::FixedOffset;

use crate::access::{Actor, PlaceKind};
use crate::audit::{self, Event};
use crate::db::{self, DbConn};
use crate::error::{AppError, AppResult};

/// Runs `$body` on the engine's own connection: the multi-row inserts go
/// straight to the driver, one statement per chunk on either engine.
macro_rules! on_inner {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            #[cfg(feature = "sqlite")]
            DbConn::Sqlite($c) => $body,
            #[cfg(feature = "postgres")]
            DbConn::Pg($c) => $body,
        }
    };
}

// After the macro, so that it is in scope in them.
mod articles;
mod households;
mod phrases;
mod places;
mod rng;
mod text;

use articles::ensure_articles;
use households::ensure_households;
use places::{ensure_places, Owner};

/// How much to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scale {
    /// Generated townships, `t01`.. (at most 99).
    pub townships: usize,
    /// Villages in each generated township, `t01v01`.. (at most 99).
    pub villages_per_township: usize,
    /// Published articles, spread over the generated villages, their
    /// townships and the county.
    pub articles: usize,
    /// TV households `C000001`.., spread evenly over the generated villages.
    pub households: usize,
}

impl Scale {
    /// A county as DESIGN.md describes it: ~700 villages in ~40 townships.
    pub const COUNTY: Scale = Scale {
        townships: 40,
        villages_per_township: 18,
        articles: 200_000,
        households: 90_000,
    };

    fn check(&self) -> AppResult<()> {
        let ok = (1..=99).contains(&self.townships)
            && (1..=99).contains(&self.villages_per_township)
            && self.articles <= 10_000_000
            && self.households <= 999_999;
        if ok {
            Ok(())
        } else {
            Err(AppError::BadRequest(format!(
                "county demo scale out of range: {self:?} (townships and villages per township 1 to 99, households at most 999999)"
            )))
        }
    }
}

/// The PIN of every generated household.
pub const GENERATED_PIN: &str = "1234";

/// Author and reviewer of the generated revisions, and the audit actor. The
/// loader counts revisions by this name to know how far an earlier run got.
const AUTHOR: &str = "demo-county";

const COUNTY_CODE: &str = "dongying";

/// Rows per insert statement, under SQLite's 32,766 bound variables
/// (PostgreSQL allows 65,535): revisions have 24 columns, articles 18,
/// households 6, places 6. One write transaction per chunk.
const ARTICLE_CHUNK: usize = 1_000;
const HOUSEHOLD_CHUNK: usize = 5_000;
const PLACE_CHUNK: usize = 2_000;
const _: () = assert!(ARTICLE_CHUNK * 24 <= 32_766);
const _: () = assert!(HOUSEHOLD_CHUNK * 6 <= 32_766);
const _: () = assert!(PLACE_CHUNK * 6 <= 32_766);

/// What the generator did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    pub townships_added: usize,
    pub villages_added: usize,
    pub households_added: usize,
    pub articles_added: usize,
}

impl Report {
    /// True when everything was there already.
    pub fn nothing_added(&self) -> bool {
        *self == Report::default()
    }
}

/// Generates the county-scale data on top of the demo county (which must be
/// loaded first); times of the content are meant in `offset`.
pub fn load(conn: &mut DbConn, scale: &Scale, offset: FixedOffset) -> AppResult<Report> {
    scale.check()?;
    let county = crate::places::find_by_code(conn, COUNTY_CODE)?
        .filter(|p| p.kind() == PlaceKind::County)
        .ok_or_else(|| {
            AppError::BadRequest(
                "the demo county is missing: run `village-portal demo` first".into(),
            )
        })?;
    let mut report = Report::default();
    let tree = ensure_places(conn, county.id, scale, &mut report)?;
    report.households_added = ensure_households(conn, &tree, scale)?;
    let county_place = Owner {
        id: county.id,
        name: county.name.clone(),
        kind: PlaceKind::County,
    };
    report.articles_added = ensure_articles(conn, &county_place, &tree, scale, offset)?;
    if !report.nothing_added() {
        // One audit entry for the whole run; it also renews the stamp the TV
        // page caches compare.
        let actor = Actor::system(AUTHOR, crate::places::scope(conn, &county)?);
        db::write(conn, |conn| {
            audit::record(
                conn,
                &actor,
                Event {
                    action: "demo.county",
                    target_type: "place",
                    target_id: Some(county.id),
                    place_id: Some(county.id),
                    summary: format!(
                        "县级规模演示数据：新增 {} 个乡镇、{} 个村、{} 户、{} 篇内容",
                        report.townships_added,
                        report.villages_added,
                        report.households_added,
                        report.articles_added
                    ),
                },
            )
        })?;
    }
    crate::changes::touch_all(conn)?;
    db::analyze(conn)?;
    Ok(report)
}

/// What `demo --scale county` runs after the small demo: generates, times and
/// prints.
pub fn load_and_print(conn: &mut DbConn, offset: FixedOffset) -> Result<(), String> {
    let scale = Scale::COUNTY;
    let started = std::time::Instant::now();
    let report = load(conn, &scale, offset).map_err(|e| e.to_string())?;
    let took = started.elapsed().as_secs_f64();
    if report.nothing_added() {
        println!(
            "county-scale demo data is already there ({} townships x {} villages, {} articles, {} households); nothing to do",
            scale.townships, scale.villages_per_township, scale.articles, scale.households
        );
        return Ok(());
    }
    println!(
        "county-scale demo loaded in {took:.1} s: {} townships, {} villages, {} households, {} articles added",
        report.townships_added,
        report.villages_added,
        report.households_added,
        report.articles_added
    );
    println!(
        "generated villages t01v01..t{:02}v{:02} (no emergency alerts), e.g. /tv/v/t01v01",
        scale.townships, scale.villages_per_township
    );
    if report.households_added > 0 {
        println!(
            "generated households C000001..C{:06} all have PIN {GENERATED_PIN}: it was hashed once and the same hash is stored for each (argon2 per household would take far too long at this scale)",
            scale.households
        );
    }
    Ok(())
}
