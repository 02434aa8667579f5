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

use std::collections::{HashMap, HashSet};

use chrono::{Datelike, Duration, FixedOffset, NaiveDateTime};
use diesel::prelude::*;

use crate::access::{Actor, PlaceKind};
use crate::audit::{self, Event};
use crate::db::schema::{article_revisions, articles, households, places};
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

// ---------------------------------------------------------------------------
// Places

/// A place content belongs to.
#[derive(Debug, Clone)]
struct Owner {
    id: i64,
    name: String,
    kind: PlaceKind,
}

#[derive(Debug)]
struct Township {
    place: Owner,
    villages: Vec<Owner>,
}

#[derive(Insertable)]
#[diesel(table_name = places)]
#[diesel(treat_none_as_null = true)]
struct NewPlace<'a> {
    code: &'a str,
    name: &'a str,
    kind: &'a str,
    parent_id: Option<i64>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// (code, name) of a place.
type CodeName = (String, String);

/// The generated places: (code, name) of each township with its villages.
fn place_plan(scale: &Scale) -> Vec<(CodeName, Vec<CodeName>)> {
    let mut rng = Rng::new(0x7069_6c6c_6167_6573);
    // Names of the small demo's villages stay unique too.
    let mut used: HashSet<String> = super::TOWNSHIPS
        .iter()
        .flat_map(|(_, _, villages)| villages.iter().map(|(_, name)| name.to_string()))
        .collect();
    (0..scale.townships)
        .map(|t| {
            let base = TOWNSHIP_NAMES[t % TOWNSHIP_NAMES.len()];
            let name = match t / TOWNSHIP_NAMES.len() {
                0 => base.to_string(),
                n => format!("{base}{}", n + 1),
            };
            let villages = (0..scale.villages_per_township)
                .map(|v| {
                    (
                        format!("t{:02}v{:02}", t + 1, v + 1),
                        village_name(&mut rng, &mut used),
                    )
                })
                .collect();
            ((format!("t{:02}", t + 1), name), villages)
        })
        .collect()
}

fn village_name(rng: &mut Rng, used: &mut HashSet<String>) -> String {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let name = match rng.below(10) {
            0..=4 => format!("{}{}村", rng.pick(SURNAMES), rng.pick(VILLAGE_SUFFIXES)),
            5..=6 => format!("{}{}村", rng.pick(DIRECTIONS), rng.pick(SURNAMES)),
            7 => format!(
                "{}{}{}村",
                rng.pick(DIRECTIONS),
                rng.pick(SURNAMES),
                rng.pick(&["庄", "家", "营", "集"])
            ),
            _ => format!("{}{}村", rng.pick(DIRECTIONS), rng.pick(LANDMARKS)),
        };
        // Past a few thousand tries the lists are exhausted: number the name.
        let name = if attempt > 5_000 {
            format!("{}{}村", name.trim_end_matches('村'), attempt)
        } else {
            name
        };
        if used.insert(name.clone()) {
            return name;
        }
    }
}

fn ensure_places(
    conn: &mut DbConn,
    county_id: i64,
    scale: &Scale,
    report: &mut Report,
) -> AppResult<Vec<Township>> {
    let plan = place_plan(scale);
    let existing = |conn: &mut DbConn| -> AppResult<HashMap<String, i64>> {
        Ok(places::table
            .filter(places::code.like("t%"))
            .select((places::code, places::id))
            .load::<(String, i64)>(conn)?
            .into_iter()
            .collect())
    };
    let now = crate::time::now();
    let have = existing(conn)?;
    let missing: Vec<NewPlace> = plan
        .iter()
        .filter(|((code, _), _)| !have.contains_key(code))
        .map(|((code, name), _)| NewPlace {
            code,
            name,
            kind: PlaceKind::Township.as_str(),
            parent_id: Some(county_id),
            created_at: now,
            updated_at: now,
        })
        .collect();
    report.townships_added = missing.len();
    insert_places(conn, &missing)?;
    let have = existing(conn)?;
    let mut missing = Vec::new();
    for ((tcode, _), villages) in &plan {
        let parent = have.get(tcode).copied();
        for (code, name) in villages {
            if !have.contains_key(code) {
                missing.push(NewPlace {
                    code,
                    name,
                    kind: PlaceKind::Village.as_str(),
                    parent_id: parent,
                    created_at: now,
                    updated_at: now,
                });
            }
        }
    }
    report.villages_added = missing.len();
    insert_places(conn, &missing)?;

    let have = existing(conn)?;
    let id_of = |code: &str| {
        have.get(code)
            .copied()
            .ok_or_else(|| AppError::bug(format!("generated place {code} is missing")))
    };
    plan.iter()
        .map(|((tcode, tname), villages)| {
            Ok(Township {
                place: Owner {
                    id: id_of(tcode)?,
                    name: tname.clone(),
                    kind: PlaceKind::Township,
                },
                villages: villages
                    .iter()
                    .map(|(code, name)| {
                        Ok(Owner {
                            id: id_of(code)?,
                            name: name.clone(),
                            kind: PlaceKind::Village,
                        })
                    })
                    .collect::<AppResult<_>>()?,
            })
        })
        .collect()
}

fn insert_places(conn: &mut DbConn, rows: &[NewPlace]) -> AppResult<()> {
    for chunk in rows.chunks(PLACE_CHUNK) {
        db::write(conn, |conn| {
            on_inner!(conn, |c| diesel::insert_into(places::table)
                .values(chunk)
                .execute(c))
        })?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Households

#[derive(Insertable)]
#[diesel(table_name = households)]
struct NewHousehold<'a> {
    village_id: i64,
    stb_id: String,
    number: String,
    pin_hash: &'a str,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

fn ensure_households(conn: &mut DbConn, tree: &[Township], scale: &Scale) -> AppResult<usize> {
    let villages: Vec<i64> = tree
        .iter()
        .flat_map(|t| t.villages.iter().map(|v| v.id))
        .collect();
    if villages.is_empty() || scale.households == 0 {
        return Ok(0);
    }
    let have: HashSet<String> = households::table
        .filter(households::stb_id.like("C%"))
        .select(households::stb_id)
        .load::<String>(conn)?
        .into_iter()
        .collect();
    // Contiguous STB ids per village, numbered 0001.. within it.
    let (per, extra) = (
        scale.households / villages.len(),
        scale.households % villages.len(),
    );
    let mut plan = Vec::new();
    let mut k = 0usize;
    for (j, village_id) in villages.iter().enumerate() {
        for number in 1..=per + usize::from(j < extra) {
            k += 1;
            let stb = format!("C{k:06}");
            if !have.contains(&stb) {
                plan.push((*village_id, stb, format!("{number:04}")));
            }
        }
    }
    if plan.is_empty() {
        return Ok(0);
    }
    // Argon2 with the portal's parameters costs tens of milliseconds a hash:
    // one per household would take about an hour for 90,000. The PIN is
    // hashed once and that same hash string is stored for every generated
    // household (demo data only; real households each get their own salt).
    let pin_hash = crate::crypto::hash_secret(GENERATED_PIN)?;
    let now = crate::time::now();
    let rows: Vec<NewHousehold> = plan
        .into_iter()
        .map(|(village_id, stb_id, number)| NewHousehold {
            village_id,
            stb_id,
            number,
            pin_hash: &pin_hash,
            created_at: now,
            updated_at: now,
        })
        .collect();
    for chunk in rows.chunks(HOUSEHOLD_CHUNK) {
        db::write(conn, |conn| {
            on_inner!(conn, |c| diesel::insert_into(households::table)
                .values(chunk)
                .execute(c))
        })?;
    }
    Ok(rows.len())
}

// ---------------------------------------------------------------------------
// Articles

/// One generated article, before it has ids.
#[derive(Debug, Clone, PartialEq)]
struct Generated {
    place_id: i64,
    scope: &'static str,
    section: &'static str,
    category: Option<&'static str>,
    title: String,
    summary: String,
    body: String,
    video_url: Option<String>,
    duration_seconds: Option<i32>,
    publish_at: Option<NaiveDateTime>,
    expire_at: Option<NaiveDateTime>,
    pinned: bool,
    urgent: bool,
    /// When it reached TVs: `publish_at`, or the approval when unscheduled.
    published_at: NaiveDateTime,
    created_at: NaiveDateTime,
    /// When it was approved (and its rows last updated).
    reviewed_at: NaiveDateTime,
}

/// The columns `workflow::create` + `publish` leave on an article.
#[derive(Insertable)]
#[diesel(table_name = articles)]
#[diesel(treat_none_as_null = true)]
struct NewArticle<'a> {
    id: i64,
    place_id: i64,
    scope: &'a str,
    section: &'a str,
    version: i32,
    head_revision_id: Option<i64>,
    live_revision_id: Option<i64>,
    archived: bool,
    title: &'a str,
    category: Option<&'a str>,
    publish_at: Option<NaiveDateTime>,
    expire_at: Option<NaiveDateTime>,
    pinned: bool,
    urgent: bool,
    published_at: Option<NaiveDateTime>,
    created_by: Option<i64>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// A published first revision, as `NewRevision::draft` + `publish` leave it.
#[derive(Insertable)]
#[diesel(table_name = article_revisions)]
#[diesel(treat_none_as_null = true)]
struct NewRevision<'a> {
    id: i64,
    article_id: i64,
    number: i32,
    state: &'a str,
    section: &'a str,
    category: Option<&'a str>,
    title: &'a str,
    summary: &'a str,
    body: &'a str,
    video_url: Option<&'a str>,
    poster_media_id: Option<i64>,
    duration_seconds: Option<i32>,
    publish_at: Option<NaiveDateTime>,
    expire_at: Option<NaiveDateTime>,
    pinned: bool,
    urgent: bool,
    author_id: Option<i64>,
    author_name: &'a str,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    reviewer_name: Option<&'a str>,
    reviewed_at: Option<NaiveDateTime>,
    reason: Option<&'a str>,
}

fn ensure_articles(
    conn: &mut DbConn,
    county: &Owner,
    tree: &[Township],
    scale: &Scale,
    offset: FixedOffset,
) -> AppResult<usize> {
    let done: i64 = article_revisions::table
        .filter(article_revisions::author_name.eq(AUTHOR))
        .count()
        .get_result(conn)?;
    let done = usize::try_from(done).unwrap_or(0);
    if done >= scale.articles || tree.iter().all(|t| t.villages.is_empty()) {
        return Ok(0);
    }
    let ctx = Ctx {
        county,
        tree,
        offset,
        now: crate::time::now(),
    };
    let mut start = done;
    while start < scale.articles {
        let end = (start + ARTICLE_CHUNK).min(scale.articles);
        let batch: Vec<Generated> = (start..end).map(|i| generate(i, &ctx)).collect();
        db::write(conn, |conn| insert_articles(conn, &batch))?;
        if end / 20_000 > start / 20_000 || end == scale.articles {
            log::info!("county demo: {end} of {} articles written", scale.articles);
        }
        start = end;
    }
    Ok(scale.articles - done)
}

/// Writes articles and their revisions; run it inside a write transaction.
fn insert_articles(conn: &mut DbConn, batch: &[Generated]) -> AppResult<()> {
    let article_ids = reserve_ids(conn, "articles", batch.len())?;
    let revision_ids = reserve_ids(conn, "article_revisions", batch.len())?;
    let rows = batch.iter().zip(article_ids.iter().zip(&revision_ids));
    let new_articles: Vec<NewArticle> = rows
        .clone()
        .map(|(g, (&id, &rev))| NewArticle {
            id,
            place_id: g.place_id,
            scope: g.scope,
            section: g.section,
            // create (1), submit (2), approve (3); township and county
            // content is published directly on submit.
            version: if g.scope == "village" { 3 } else { 2 },
            head_revision_id: Some(rev),
            live_revision_id: Some(rev),
            archived: false,
            title: &g.title,
            category: g.category,
            publish_at: g.publish_at,
            expire_at: g.expire_at,
            pinned: g.pinned,
            urgent: g.urgent,
            published_at: Some(g.published_at),
            created_by: None,
            created_at: g.created_at,
            updated_at: g.reviewed_at,
        })
        .collect();
    let new_revisions: Vec<NewRevision> = rows
        .map(|(g, (&article_id, &id))| NewRevision {
            id,
            article_id,
            number: 1,
            state: crate::articles::RevState::Published.as_str(),
            section: g.section,
            category: g.category,
            title: &g.title,
            summary: &g.summary,
            body: &g.body,
            video_url: g.video_url.as_deref(),
            poster_media_id: None,
            duration_seconds: g.duration_seconds,
            publish_at: g.publish_at,
            expire_at: g.expire_at,
            pinned: g.pinned,
            urgent: g.urgent,
            author_id: None,
            author_name: AUTHOR,
            created_at: g.created_at,
            updated_at: g.reviewed_at,
            reviewer_name: Some(AUTHOR),
            reviewed_at: Some(g.reviewed_at),
            reason: None,
        })
        .collect();
    on_inner!(conn, |c| diesel::insert_into(articles::table)
        .values(&new_articles)
        .execute(c))?;
    on_inner!(conn, |c| diesel::insert_into(article_revisions::table)
        .values(&new_revisions)
        .execute(c))?;
    Ok(())
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    v: i64,
}

/// `n` fresh ids of `table` for rows inserted with explicit ids (there is no
/// RETURNING on MultiConnection, and the articles must know their revisions'
/// ids). SQLite: past the largest id ever used, which is safe because the
/// caller holds the write lock (`BEGIN IMMEDIATE`); PostgreSQL: taken from the
/// table's sequence, so concurrent writers never collide.
fn reserve_ids(conn: &mut DbConn, table: &'static str, n: usize) -> QueryResult<Vec<i64>> {
    match conn {
        #[cfg(feature = "sqlite")]
        DbConn::Sqlite(c) => {
            let top = diesel::sql_query(format!(
                "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = '{table}'), 0), \
                 COALESCE((SELECT MAX(id) FROM {table}), 0)) AS v"
            ))
            .get_result::<IdRow>(c)?
            .v;
            Ok((1..=n as i64).map(|k| top + k).collect())
        }
        #[cfg(feature = "postgres")]
        DbConn::Pg(c) => {
            let mut ids: Vec<i64> = diesel::sql_query(format!(
                "SELECT nextval(pg_get_serial_sequence('{table}', 'id')) AS v FROM generate_series(1, {n})"
            ))
            .load::<IdRow>(c)?
            .into_iter()
            .map(|r| r.v)
            .collect();
            ids.sort_unstable();
            Ok(ids)
        }
    }
}

struct Ctx<'a> {
    county: &'a Owner,
    tree: &'a [Township],
    offset: FixedOffset,
    now: NaiveDateTime,
}

impl Ctx<'_> {
    /// A UTC time from a local date `days` from today and minutes after midnight.
    fn local_day(&self, days: i64, minute: usize) -> NaiveDateTime {
        let today = crate::time::to_local(self.now, self.offset).date_naive();
        let local = (today + Duration::days(days)).and_time(chrono::NaiveTime::MIN)
            + Duration::minutes(minute as i64);
        local - Duration::seconds(i64::from(self.offset.local_minus_utc()))
    }

    fn local(&self, utc: NaiveDateTime) -> NaiveDateTime {
        crate::time::to_local(utc, self.offset).naive_local()
    }
}

/// 07:30 local, in minutes: the earliest a generated article is approved.
const DAY_START: usize = 7 * 60 + 30;

/// Article `i` of the generated county; depends only on `i`, the place
/// tree and the clock.
fn generate(i: usize, ctx: &Ctx) -> Generated {
    let mut rng = Rng::new(0x6172_7469_636c_6573 ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    // 1% county, 9% township, 90% village content.
    let township = rng.pick(ctx.tree);
    let owner = match rng.below(100) {
        0 => ctx.county,
        1..=9 => &township.place,
        _ => match township.villages.as_slice() {
            [] => &township.place,
            villages => rng.pick(villages),
        },
    };
    let section = match rng.below(100) {
        0..=29 => "notices",
        30..=57 => "news",
        58..=74 => "party",
        75..=89 => "affairs",
        _ => "videos",
    };

    // When: approved some day of the last two years, 07:30 to 21:00 local.
    let now = ctx.now;
    let fate = rng.below(1000);
    let scheduled_ahead = fate < 10;
    let expired = (10..40).contains(&fate);
    let expires_later = (40..100).contains(&fate);
    let scheduled_past = (100..200).contains(&fate);
    let days_back = if expired {
        2 + rng.below(728)
    } else {
        rng.below(730)
    } as i64;
    let mut approved = ctx.local_day(-days_back, DAY_START + rng.below(13 * 60 + 30));
    if approved > now - Duration::minutes(10) {
        approved = now - Duration::minutes(10 + rng.below(600) as i64);
    }
    let (publish_at, published_at, reviewed_at) = if scheduled_ahead {
        let at = ctx
            .local_day(1 + rng.below(30) as i64, DAY_START + rng.below(13 * 60))
            .max(now + Duration::hours(1));
        let reviewed = now - Duration::minutes(30 + rng.below(72 * 60) as i64);
        (Some(at), at, reviewed)
    } else if scheduled_past {
        // Approved ahead of a publish time that has come.
        let reviewed = approved - Duration::minutes(60 + rng.below(72 * 60) as i64);
        (Some(approved), approved, reviewed)
    } else {
        (None, approved, approved)
    };
    let created_at = reviewed_at - Duration::minutes(20 + rng.below(48 * 60) as i64);
    let expire_at = if expired {
        let room = (now - published_at).num_minutes() - 60;
        let span = room.clamp(2, 90 * 24 * 60) as usize;
        Some(published_at + Duration::minutes(1 + rng.below(span - 1) as i64))
    } else if expires_later {
        Some(ctx.local_day(1 + rng.below(90) as i64, 18 * 60))
    } else {
        None
    };
    let recent = days_back < 45 && !expired;
    let pinned = match section {
        "notices" => recent && rng.below(10) == 0,
        _ => recent && rng.below(50) == 0,
    };
    let urgent = section == "notices" && ((recent && rng.below(8) == 0) || rng.below(200) == 0);

    let local = ctx.local(published_at);
    let mut w = Writer {
        rng,
        owner,
        township: &township.place,
        county: ctx.county,
        year: local.year(),
        month: local.month(),
        day: local.day(),
        i,
    };
    let text = match section {
        "notices" => w.notice(urgent),
        "news" => w.news(),
        "party" => w.party(),
        "affairs" => w.affairs(),
        _ => w.video(),
    };
    Generated {
        place_id: owner.id,
        scope: match owner.kind {
            PlaceKind::County => "county",
            PlaceKind::Township => "township",
            PlaceKind::Village => "village",
        },
        section,
        category: text.category,
        title: clip(&text.title, crate::articles::form::TITLE_MAX),
        summary: clip(&text.summary, crate::articles::form::SUMMARY_MAX),
        body: text.body,
        video_url: text.video.as_ref().map(|v| v.0.clone()),
        duration_seconds: text.video.map(|v| v.1),
        publish_at,
        expire_at,
        pinned,
        urgent,
        published_at,
        created_at,
        reviewed_at,
    }
}

/// The text up to and with the first 。 (at most 80 characters).
fn first_sentence(s: &str) -> String {
    let end = s.find('。').map(|i| i + '。'.len_utf8()).unwrap_or(s.len());
    clip(&s[..end], 80)
}

fn clip(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

// ---------------------------------------------------------------------------
// Text

struct Text {
    category: Option<&'static str>,
    title: String,
    summary: String,
    body: String,
    /// (address, seconds) for videos.
    video: Option<(String, i32)>,
}

struct Writer<'a> {
    rng: Rng,
    owner: &'a Owner,
    township: &'a Owner,
    county: &'a Owner,
    year: i32,
    month: u32,
    day: u32,
    i: usize,
}

fn paragraphs(ps: &[String]) -> String {
    ps.iter()
        .map(|p| format!("<p>{p}</p>"))
        .collect::<Vec<_>>()
        .join("\n")
}

impl Writer<'_> {
    fn place(&self) -> &str {
        &self.owner.name
    }

    /// Who signs: 村民委员会, 人民政府 or 办事处.
    fn org(&self) -> String {
        let name = self.place();
        match self.owner.kind {
            PlaceKind::Village => format!("{name}村民委员会"),
            PlaceKind::Township if name.ends_with("街道") => format!("{name}办事处"),
            _ => format!("{name}人民政府"),
        }
    }

    fn party_org(&self) -> String {
        let name = self.place();
        match self.owner.kind {
            PlaceKind::Village => format!("{name}党支部"),
            PlaceKind::Township if name.ends_with("街道") => format!("{name}党工委"),
            PlaceKind::Township => format!("{name}党委"),
            PlaceKind::County => format!("中共{}委", name.trim_end_matches('区')),
        }
    }

    fn addressee(&self) -> &'static str {
        match self.owner.kind {
            PlaceKind::Village => "各位村民：",
            PlaceKind::Township => "各村（社区）、各有关单位：",
            PlaceKind::County => "各镇（街道），区直各部门、单位：",
        }
    }

    fn hall(&self) -> String {
        match self.owner.kind {
            PlaceKind::Village => "村委会便民服务室".into(),
            PlaceKind::Township => format!("{}便民服务中心", self.place()),
            PlaceKind::County => "各镇（街道）便民服务中心".into(),
        }
    }

    fn season(&self) -> usize {
        match self.month {
            12 | 1 | 2 => 0,
            3..=5 => 1,
            6..=8 => 2,
            _ => 3,
        }
    }

    fn date(&self) -> String {
        format!("{}月{}日", self.month, self.day)
    }

    /// A date `days` after the publication, as 月日.
    fn date_after(&self, days: i64) -> String {
        let d = chrono::NaiveDate::from_ymd_opt(self.year, self.month, self.day)
            .map(|d| d + Duration::days(days));
        match d {
            Some(d) => format!("{}月{}日", d.month(), d.day()),
            None => self.date(),
        }
    }

    fn signature(&self) -> [String; 2] {
        [
            self.org(),
            format!("{}年{}月{}日", self.year, self.month, self.day),
        ]
    }

    fn phone(&mut self) -> String {
        format!("0546-8{:06}", self.rng.below(1_000_000))
    }

    fn person(&mut self) -> String {
        format!("{}{}", self.rng.pick(SURNAMES), self.rng.pick(GIVEN_NAMES))
    }

    fn num(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.rng.below(hi - lo + 1)
    }

    fn pick_fill(&mut self, pool: &[&str], vars: &[(&str, &str)]) -> String {
        let template = *self.rng.pick(pool);
        self.fill(template, vars)
    }

    /// `n` distinct sentences from `pool` with the placeholders filled.
    fn sentences(&mut self, pool: &[&str], n: usize, vars: &[(&str, &str)]) -> String {
        let mut picked: Vec<usize> = Vec::with_capacity(n);
        while picked.len() < n.min(pool.len()) {
            let k = self.rng.below(pool.len());
            if !picked.contains(&k) {
                picked.push(k);
            }
        }
        picked.iter().map(|&k| self.fill(pool[k], vars)).collect()
    }

    /// Replaces `{name}` by its value: `place`, `date`, numbers `n`/`m`/`p`,
    /// a `person`, then the caller's `vars`.
    fn fill(&mut self, template: &str, vars: &[(&str, &str)]) -> String {
        let mut out = String::with_capacity(template.len() + 32);
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let Some(close) = after.find('}') else {
                out.push_str(&rest[open..]);
                return out;
            };
            let key = &after[..close];
            let value = match key {
                "place" => self.place().to_string(),
                "township" => self.township.name.clone(),
                "county" => self.county.name.clone(),
                "date" => self.date(),
                "year" => self.year.to_string(),
                "person" => self.person(),
                "n" => self.num(30, 300).to_string(),
                "m" => self.num(1_500, 9_000).to_string(),
                "p" => self.num(5, 35).to_string(),
                "phone" => self.phone(),
                other => vars
                    .iter()
                    .find(|(k, _)| *k == other)
                    .map(|(_, v)| v.to_string())
                    .unwrap_or_default(),
            };
            out.push_str(&value);
            rest = &after[close + 1..];
        }
        out.push_str(rest);
        out
    }

    fn notice(&mut self, urgent: bool) -> Text {
        let season = self.season();
        let topic = if self.rng.below(2) == 0 {
            *self.rng.pick(SEASON_TOPICS[season])
        } else {
            *self.rng.pick(NOTICE_TOPICS)
        };
        let vars = [
            ("topic", topic),
            ("addressee", self.addressee()),
            ("upper", upper_of(self.owner.kind)),
        ];
        let title_pool = if urgent { URGENT_TITLES } else { NOTICE_TITLES };
        let title = self.pick_fill(title_pool, &vars);
        let opening = self.pick_fill(NOTICE_OPENINGS, &vars);
        let hall = self.hall();
        let days = self.num(7, 30) as i64;
        let (from, to) = (self.date_after(1), self.date_after(days));
        let time = format!("时间安排：{from}至{to}，每天上午8:30至11:30、下午2:00至5:00。");
        let place_line = format!("办理地点：{hall}。");
        let mut detail = vec![time, place_line];
        let extra = self.num(1, 2);
        detail.push(self.sentences(NOTICE_DETAILS, extra, &vars));
        let mut ps = vec![vars[1].1.to_string(), opening, detail.concat()];
        let mut body = String::new();
        if self.rng.below(3) == 0 {
            let items: Vec<String> = {
                let pool = REMINDERS[season];
                let mut picked = Vec::new();
                while picked.len() < 3 {
                    let r = *self.rng.pick(pool);
                    if !picked.contains(&r) {
                        picked.push(r);
                    }
                }
                picked.iter().map(|r| format!("<li>{r}</li>")).collect()
            };
            ps.push("请大家特别注意以下几点：".into());
            body = format!("\n<ul>{}</ul>", items.concat());
        }
        let phone = self.phone();
        let closing = format!(
            "如有疑问，请拨打咨询电话：{phone}。{}",
            if urgent {
                "请大家相互转告，务必高度重视！"
            } else {
                "特此通知。"
            }
        );
        let sig = self.signature();
        let summary = format!("{}，请{}", title, self.rng.pick(SUMMARY_TAILS));
        let head = paragraphs(&ps);
        Text {
            category: None,
            title,
            summary,
            body: format!(
                "{head}{body}\n{}",
                paragraphs(&[closing, sig[0].clone(), sig[1].clone()])
            ),
            video: None,
        }
    }

    fn news(&mut self) -> Text {
        let event = *self.rng.pick(EVENTS);
        let industry = *self.rng.pick(INDUSTRIES);
        let facility = *self.rng.pick(FACILITIES);
        let work = SEASON_WORK[self.season()];
        let vars = [
            ("event", event),
            ("industry", industry),
            ("facility", facility),
            ("work", work),
        ];
        let kind = self.rng.below(NEWS_TITLES.len());
        let title = self.fill(NEWS_TITLES[kind], &vars);
        let lead = self.fill(NEWS_LEADS[kind], &vars);
        let mut ps = vec![lead];
        let more = self.num(1, 2);
        for _ in 0..more {
            let n = self.num(2, 3);
            ps.push(self.sentences(NEWS_SENTENCES, n, &vars));
        }
        ps.push(self.pick_fill(NEWS_ENDINGS, &vars));
        let summary = first_sentence(&ps[0]);
        Text {
            category: None,
            title,
            summary,
            body: paragraphs(&ps),
            video: None,
        }
    }

    fn party(&mut self) -> Text {
        let porg = self.party_org();
        let study = *self.rng.pick(STUDY_TOPICS);
        let quarter = ["一", "二", "三", "四"][(self.month as usize - 1) / 3];
        let month = self.month.to_string();
        let vars = [
            ("porg", porg.as_str()),
            ("study", study),
            ("quarter", quarter),
            ("month", month.as_str()),
        ];
        let (category, titles, leads) = match self.rng.below(4) {
            0 => ("members", MEMBER_TITLES, MEMBER_LEADS),
            1 => ("meetings", MEETING_TITLES, MEETING_LEADS),
            2 => ("study", STUDY_TITLES, STUDY_LEADS),
            _ => ("organisation", ORG_TITLES, ORG_LEADS),
        };
        // The person of a title is the person of the story.
        let person = self.person();
        let vars: Vec<(&str, &str)> = vars
            .iter()
            .copied()
            .chain([("who", person.as_str())])
            .collect();
        let title = self.pick_fill(titles, &vars);
        let mut ps = vec![self.pick_fill(leads, &vars)];
        let n = self.num(2, 3);
        ps.push(self.sentences(PARTY_SENTENCES, n, &vars));
        ps.push(self.pick_fill(PARTY_ENDINGS, &vars));
        let summary = first_sentence(&ps[0]);
        Text {
            category: Some(category),
            title,
            summary,
            body: paragraphs(&ps),
            video: None,
        }
    }

    fn affairs(&mut self) -> Text {
        let quarter_no = (self.month as usize - 1) / 3 + 1;
        // The quarter just ended (a Q1 report is published in April).
        let (year, quarter) = match quarter_no {
            1 => (self.year - 1, 4),
            q => (self.year, q - 1),
        };
        let project = *self.rng.pick(PROJECTS);
        let year_s = year.to_string();
        let quarter_s = ["", "一", "二", "三", "四"][quarter].to_string();
        let vars = [
            ("project", project),
            ("y", year_s.as_str()),
            ("q", quarter_s.as_str()),
        ];
        let village = self.owner.kind == PlaceKind::Village;
        let kind = self.rng.below(if village { 5 } else { 3 });
        let sig = self.signature();
        let phone = self.phone();
        let supervise = if village {
            format!("公示期七天。如有异议，请向村务监督委员会反映，电话：{phone}。")
        } else {
            format!("欢迎社会各界监督，监督电话：{phone}。")
        };
        let (title, mut ps, table) = match kind {
            0 => {
                let title = self.fill("{place}{y}年第{q}季度财务收支公开", &vars);
                let lead = self.fill("根据村务（政务）公开有关规定，现将{place}{y}年第{q}季度财务收支情况公布如下，请群众监督。", &vars);
                (title, vec![lead], Some(self.finance_table()))
            }
            1 => {
                let title = self.fill("{place}{project}项目建设情况公开", &vars);
                let budget = self.num(20, 380);
                let days = self.num(20, 90);
                let lead = self.fill(
                    "经研究决定，{place}实施{project}项目。现将项目有关情况公开如下：",
                    &vars,
                );
                let detail = format!(
                    "项目预算{budget}万元，资金来源为上级奖补资金和集体自筹资金，计划工期{days}天，施工单位经公开招标确定。工程质量和资金使用接受全程监督。"
                );
                (title, vec![lead, detail], None)
            }
            2 => {
                let title = self.fill("{place}{y}年耕地地力保护补贴发放情况公示", &vars);
                let acres = self.num(800, 6000);
                let money = self.num(100, 130);
                let lead = self.fill(
                    "根据上级有关文件要求，现将{place}{y}年耕地地力保护补贴发放情况公示如下。",
                    &vars,
                );
                let detail = format!(
                    "本次补贴面积共计{acres}亩，补贴标准为每亩{money}元，补贴资金通过“一卡通”直接发放到户。请各户核对本人补贴面积和金额。"
                );
                (title, vec![lead, detail], None)
            }
            3 => {
                let title = self.fill("{place}{y}年低保评议结果公示", &vars);
                let lead = "经户主申请、入户调查、村民代表民主评议，拟将以下家庭纳入（退出）最低生活保障，现予公示。".to_string();
                let mut rows = String::new();
                for k in 0..self.num(2, 4) {
                    let who = format!("{}某某", self.rng.pick(SURNAMES));
                    let group = self.num(1, 9);
                    let change = if k == 0 && self.rng.below(3) == 0 {
                        "退出"
                    } else {
                        "纳入"
                    };
                    let people = self.num(1, 4);
                    rows.push_str(&format!(
                        "<tr><td>第{group}组</td><td>{who}</td><td>{people}</td><td>{change}</td></tr>"
                    ));
                }
                let table = format!(
                    "<table><tbody><tr><th>组别</th><th>户主</th><th>人数</th><th>类别</th></tr>{rows}</tbody></table>"
                );
                (title, vec![lead], Some(table))
            }
            _ => {
                let title = self.fill("{place}村民代表会议决议公开", &vars);
                let present = self.num(25, 40);
                let agree = present - self.num(0, 4);
                let before = self.num(3, 10) as i64;
                let date = self.date_after(-before);
                let lead = self.fill(
                    "{mdate}，{place}召开村民代表会议，对{project}项目实施方案进行表决。",
                    &[("mdate", date.as_str()), ("project", project)],
                );
                let detail = format!(
                    "应到代表{}人，实到{present}人，同意{agree}人，会议表决通过。决议内容已张贴在村务公开栏。",
                    present + self.num(0, 5)
                );
                (title, vec![lead, detail], None)
            }
        };
        let mut body = paragraphs(&ps);
        if let Some(t) = table {
            body.push('\n');
            body.push_str(&t);
        }
        ps = vec![supervise, sig[0].clone(), sig[1].clone()];
        body.push('\n');
        body.push_str(&paragraphs(&ps));
        let summary = format!("{title}，欢迎群众监督。");
        Text {
            category: None,
            title,
            summary,
            body,
            video: None,
        }
    }

    fn finance_table(&mut self) -> String {
        let mut rows = String::new();
        let mut total: i64 = 0;
        let n_in = self.num(2, 3);
        let n_out = self.num(3, 5);
        let mut picked: Vec<usize> = Vec::new();
        for _ in 0..n_in {
            let k = self.rng.below(INCOME.len());
            if picked.contains(&k) {
                continue;
            }
            picked.push(k);
            let amount = self.num(8, 160) as i64 * 1000 + self.num(0, 9) as i64 * 100;
            total += amount;
            rows.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                INCOME[k].0,
                money(amount),
                INCOME[k].1
            ));
        }
        let mut picked: Vec<usize> = Vec::new();
        for _ in 0..n_out {
            let k = self.rng.below(SPENDING.len());
            if picked.contains(&k) {
                continue;
            }
            picked.push(k);
            let amount = self.num(1, 40) as i64 * 1000 + self.num(0, 99) as i64 * 10;
            total -= amount;
            rows.push_str(&format!(
                "<tr><td>{}</td><td>-{}</td><td>{}</td></tr>",
                SPENDING[k].0,
                money(amount),
                SPENDING[k].1
            ));
        }
        let sign = if total < 0 { "-" } else { "" };
        rows.push_str(&format!(
            "<tr><td>本季度结余</td><td>{sign}{}</td><td>存入集体账户</td></tr>",
            money(total.abs())
        ));
        format!("<table><tbody><tr><th>项目</th><th>金额（元）</th><th>说明</th></tr>{rows}</tbody></table>")
    }

    fn video(&mut self) -> Text {
        let (kind, dir, topics, expert) = *self.rng.pick(VIDEO_KINDS);
        let topic = *self.rng.pick(topics);
        let title = format!("{kind}：{topic}");
        let vars = [("topic", topic), ("kind", kind), ("expert", expert)];
        let mut ps = vec![self.pick_fill(VIDEO_LEADS, &vars)];
        if self.rng.below(2) == 0 {
            ps.push(self.pick_fill(VIDEO_MORE, &vars));
        }
        let ext = if self.rng.below(3) == 0 {
            "mp4"
        } else {
            "m3u8"
        };
        let url = format!(
            "https://media.dongying.example.cn/{dir}/{:06}.{ext}",
            self.i
        );
        let seconds = self.num(5 * 60, 45 * 60) as i32;
        let summary = format!("本期{kind}讲解{topic}，时长约{}分钟。", seconds / 60);
        Text {
            category: None,
            title,
            summary,
            body: paragraphs(&ps),
            video: Some((url, seconds)),
        }
    }
}

fn upper_of(kind: PlaceKind) -> &'static str {
    match kind {
        PlaceKind::Village => "镇（街道）",
        PlaceKind::Township => "区委区政府",
        PlaceKind::County => "市委市政府",
    }
}

/// `124,500`
fn money(amount: i64) -> String {
    let digits = amount.to_string();
    let mut out = String::new();
    for (k, ch) in digits.chars().enumerate() {
        if k > 0 && (digits.len() - k).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

// ---------------------------------------------------------------------------
// A small seeded generator (SplitMix64): the same everywhere and forever,
// unlike `rand`'s StdRng, whose algorithm may change between versions.

struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        ((self.next() >> 11) % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

// ---------------------------------------------------------------------------
// Phrase lists

const TOWNSHIP_NAMES: &[&str] = &[
    "辛店街道",
    "龙居镇",
    "史口镇",
    "六户镇",
    "胜坨镇",
    "郝家镇",
    "陈官镇",
    "仙河镇",
    "孤岛镇",
    "新户镇",
    "下镇乡",
    "大王镇",
    "稻庄镇",
    "丁庄镇",
    "李鹊镇",
    "花官镇",
    "西宋乡",
    "大码头镇",
    "乐安街道",
    "盐窝镇",
    "汀罗镇",
    "永安镇",
    "黄河口镇",
    "垦东街道",
    "董集镇",
    "陈庄镇",
    "麻湾镇",
    "明集乡",
    "北宋镇",
    "佛头寺镇",
    "滨海镇",
    "义和镇",
    "渤海街道",
    "东城街道",
    "文汇街道",
    "广南镇",
    "石村镇",
    "吕家乡",
    "三岔镇",
    "许家镇",
    "付窝乡",
    "纪冯镇",
    "崔家镇",
    "孙武街道",
];

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林",
    "何", "郭", "马", "罗", "梁", "宋", "郑", "谢", "韩", "唐", "冯", "于", "董", "程", "曹", "袁",
    "邓", "许", "傅", "沈", "曾", "彭", "吕", "苏", "卢", "蒋", "蔡", "贾", "丁", "魏", "薛", "叶",
    "阎", "潘", "杜", "戴", "夏", "田", "任", "姜", "范", "方", "石", "姚", "谭", "邹", "孔", "白",
    "崔", "康", "毛", "秦", "史", "顾", "侯", "邵", "孟", "武", "乔", "贺", "耿", "牛", "葛", "焦",
];

const VILLAGE_SUFFIXES: &[&str] = &[
    "庄",
    "家",
    "集",
    "营",
    "屯",
    "店",
    "楼",
    "寨",
    "桥",
    "洼",
    "坊",
    "官庄",
    "家庄",
    "家屋子",
    "家洼",
    "家河",
    "家寨",
    "家岭",
];

const DIRECTIONS: &[&str] = &["东", "西", "南", "北", "前", "后", "大", "小", "新", "中"];

const LANDMARKS: &[&str] = &[
    "营", "河", "岭", "洼", "坝", "口", "湖", "坨", "林", "滩", "堤", "园", "沟", "店", "桥",
];

const GIVEN_NAMES: &[&str] = &[
    "建国", "秀英", "长青", "玉兰", "志强", "桂芝", "德明", "海燕", "春生", "凤英", "立新", "红梅",
    "永刚", "淑珍", "国华", "美玲", "文学", "金花", "保国", "丽娟", "振华", "秀云", "庆海", "翠兰",
    "学军", "晓东", "爱民", "春燕", "广田", "兰芳",
];

const NOTICE_TOPICS: &[&str] = &[
    "城乡居民医保缴费",
    "城乡居民养老保险缴费",
    "耕地地力保护补贴申报",
    "高龄津贴资格认证",
    "农村危房改造摸底",
    "残疾人两项补贴申报",
    "防范电信网络诈骗",
    "农村人居环境整治",
    "生活垃圾分类",
    "老年人免费健康体检",
    "适龄儿童疫苗接种",
    "农业保险投保",
    "村内道路清扫保洁",
    "自来水管网改造",
    "农村户厕改造",
    "文明家庭评选",
    "户籍信息核对",
    "安全生产大检查",
    "困难群众临时救助申报",
    "医保电子凭证激活",
];

const SEASON_TOPICS: [&[&str]; 4] = [
    &[
        "冬季森林防火",
        "冬季清洁取暖",
        "燃气使用安全",
        "雨雪冰冻天气防范",
        "春节期间安全生产",
        "冬季用电安全",
    ],
    &[
        "春耕备耕",
        "春季植树造林",
        "小麦返青期管理",
        "清明节文明祭扫",
        "春季动物防疫",
        "春季森林防火",
    ],
    &[
        "防汛备汛",
        "夏季防溺水",
        "三夏麦收安全",
        "高温天气防暑降温",
        "秸秆禁烧",
        "汛期安全防范",
    ],
    &[
        "三秋生产",
        "秋季征兵报名",
        "玉米机收减损",
        "小麦秋种",
        "秋冬季防火",
        "秋季动物防疫",
    ],
];

const NOTICE_TITLES: &[&str] = &[
    "关于{topic}的通知",
    "关于做好{topic}工作的通知",
    "关于开展{topic}工作的通知",
    "{place}关于{topic}的公告",
    "{topic}温馨提示",
    "关于{topic}有关事项的通知",
];

const URGENT_TITLES: &[&str] = &["关于{topic}的紧急通知", "紧急提醒：切实做好{topic}工作"];

const NOTICE_OPENINGS: &[&str] = &[
    "为切实做好{topic}工作，保障群众切身利益，根据上级有关要求，结合{place}实际，现将有关事项通知如下。",
    "按照{upper}统一部署，{place}将于近期开展{topic}工作。为确保工作顺利进行，现将有关事项通知如下。",
    "近期{topic}工作进入关键阶段，为进一步提高群众知晓率，现将有关要求通知如下，请大家相互转告。",
    "{topic}事关千家万户，为把好事办好、实事办实，经研究，现将有关事项通知如下。",
];

const NOTICE_DETAILS: &[&str] = &[
    "请携带本人身份证、户口簿原件，代办的还需携带代办人身份证。",
    "行动不便的老人可提前与网格员联系，工作人员将上门办理。",
    "各户要主动配合工作人员入户登记，如实提供相关信息。",
    "外出务工人员可通过手机“爱山东”客户端办理，不会操作的可请家人协助。",
    "逾期未办理的，将影响后续相关待遇，请大家抓紧时间。",
    "工作中发现的问题将建立台账，逐一整改销号。",
    "请各网格员做好宣传发动，确保不漏一户、不落一人。",
    "办理过程中不收取任何费用，请谨防冒充工作人员的诈骗行为。",
];

const REMINDERS: [&[&str]; 4] = [
    &[
        "不私拉乱接电线，电暖器不用时及时断电。",
        "使用煤炉取暖要保持通风，安装烟囱和一氧化碳报警器。",
        "不在田间地头焚烧秸秆、垃圾，上坟祭祀不烧纸、不放鞭炮。",
        "雨雪天气减少外出，出行注意防滑，老人小孩尽量不要单独出门。",
        "燃气灶具用完及时关闭阀门，发现漏气立即开窗，不要开关电器。",
    ],
    &[
        "春季风大物燥，严禁野外用火。",
        "清明祭扫提倡鲜花祭奠、网上祭扫，文明低碳过节。",
        "购买种子、化肥、农药要到正规农资店，保存好购货凭证。",
        "家禽家畜按时免疫，发现病死畜禽及时报告，不随意丢弃。",
        "植树后及时浇水，看护好新栽树苗。",
    ],
    &[
        "不到河道、坑塘、水库游泳，家长看护好孩子。",
        "雷雨天气不在大树下、电线杆旁避雨。",
        "麦收期间严禁焚烧秸秆，收割机作业远离高压线。",
        "高温时段减少户外劳动，备好防暑药品，多喝水。",
        "汛期检查房屋、围墙，发现险情及时撤离并报告。",
    ],
    &[
        "收获的玉米不在公路上晾晒，以免影响交通安全。",
        "农机作业前检查车况，无证人员不得驾驶农机。",
        "秋冬季天干物燥，严禁焚烧秸秆和落叶。",
        "适龄青年积极报名应征，依法履行兵役义务。",
        "秋种时做好测土配方施肥，选用良种。",
    ],
];

const SUMMARY_TAILS: &[&str] = &[
    "大家相互转告。",
    "各户按时办理。",
    "群众周知并配合。",
    "有关人员按要求办理。",
];

const EVENTS: &[&str] = &[
    "农民丰收节庆祝活动",
    "广场舞比赛",
    "敬老爱老志愿服务活动",
    "法律知识讲座",
    "农业技术培训班",
    "送医下乡义诊活动",
    "文艺汇演",
    "趣味运动会",
    "移风易俗宣讲",
    "消防安全演练",
    "好媳妇好婆婆评选",
    "书香家庭读书会",
    "电商直播培训",
    "农机手技能比武",
    "邻里节",
];

const INDUSTRIES: &[&str] = &[
    "冬枣",
    "大棚蔬菜",
    "黄河口大米",
    "芦笋",
    "蜜桃",
    "西瓜",
    "食用菌",
    "肉牛养殖",
    "黄河口大闸蟹",
    "南美白对虾",
    "莲藕",
    "中药材",
];

const FACILITIES: &[&str] = &[
    "村级文化广场",
    "老年幸福食堂",
    "村卫生室",
    "农家书屋",
    "光伏电站",
    "污水处理站",
    "冷链仓储中心",
    "便民服务站",
    "儿童之家",
    "健身步道",
];

const SEASON_WORK: [&str; 4] = ["冬季清洁取暖改造", "春耕生产", "三夏生产", "秋收秋种"];

/// Titles and their first paragraphs, pairwise.
const NEWS_TITLES: &[&str] = &[
    "{place}举办{event}",
    "{industry}产业成为{place}群众增收“金钥匙”",
    "{place}新建{facility}投入使用",
    "{place}人居环境整治见成效",
    "{place}{work}有序推进",
    "{place}开展{event}",
];

const NEWS_LEADS: &[&str] = &[
    "{date}，{place}{event}在文化广场举行，{n}余名群众参加，现场气氛热烈。",
    "走进{place}，一排排{industry}基地映入眼帘。近年来，{place}立足资源优势，把{industry}作为富民主导产业来抓，走出了一条增收致富的新路子。",
    "{date}，{place}{facility}正式投入使用，进一步完善了公共服务设施，受到群众普遍欢迎。",
    "如今的{place}，道路干净整洁，房前屋后绿树成荫，处处是一幅幅美丽的乡村画卷。",
    "连日来，{place}抢抓农时，组织党员干部和农机手深入一线，全力推进{work}工作。",
    "为丰富群众精神文化生活，{date}，{place}开展{event}，吸引了{n}余名群众参与。",
];

const NEWS_SENTENCES: &[&str] = &[
    "“现在的日子越过越有奔头了！”村民{person}笑着说。",
    "据统计，今年{place}{industry}种植养殖面积达{n}亩，亩均收入{m}元，比去年增长{p}%。",
    "活动由{place}新时代文明实践站组织，志愿者们早早来到现场做准备。",
    "村党支部书记{person}介绍，这些年村里坚持党建引领，集体经济收入逐年增加。",
    "合作社统一提供种苗、技术和销售服务，解决了群众的后顾之忧。",
    "为了办好这件实事，村里多次召开村民代表会议，广泛听取群众意见。",
    "不少在外务工的年轻人也回到村里，在家门口就业创业。",
    "现场还设置了政策咨询台，工作人员为群众解答医保、养老等方面的问题。",
    "通过直播带货，{place}的农产品卖到了全国各地，网上订单不断。",
    "下一步，{place}将继续加大投入，让群众的获得感、幸福感更加充实。",
    "{person}是村里的种植能手，他家今年的收入比去年多了两万多元。",
    "村里还组织志愿者为独居老人送去米面油等慰问品。",
    "工作人员逐户上门讲解政策，确保每一户都知晓。",
    "整个过程井然有序，群众纷纷点赞。",
];

const NEWS_ENDINGS: &[&str] = &[
    "下一步，{place}将坚持以人民为中心，持续推进乡村振兴，让乡亲们的日子越过越红火。",
    "据了解，{place}将以此为契机，进一步完善长效机制，推动各项工作再上新台阶。",
    "{township}有关负责人表示，将及时总结经验，在全镇（街道）推广。",
    "活动的开展，进一步增强了群众的凝聚力，营造了文明和谐的乡村新风尚。",
];

const STUDY_TOPICS: &[&str] = &[
    "党的二十届四中全会精神",
    "《中国共产党农村基层组织工作条例》",
    "《中华人民共和国乡村振兴促进法》",
    "《中国共产党章程》",
    "《中国共产党纪律处分条例》",
    "新时代“枫桥经验”",
    "黄河流域生态保护和高质量发展",
    "《中华人民共和国村民委员会组织法》",
];

const MEMBER_TITLES: &[&str] = &[
    "党员风采：{who}的三十年坚守",
    "身边的榜样：老党员{who}",
    "党员风采：{who}带领乡亲闯新路",
    "“领头雁”{who}：把党员责任扛在肩上",
];

const MEMBER_LEADS: &[&str] = &[
    "{who}是{place}的一名老党员，几十年如一日扎根基层，哪里有困难，哪里就有他的身影。",
    "说起{who}，{place}的群众都竖起大拇指。入党多年来，他始终把群众的事当作自己的事。",
    "今年六十多岁的{who}，是远近闻名的“热心人”。村里修路、调解纠纷、照顾孤寡老人，样样都少不了他。",
];

const MEETING_TITLES: &[&str] = &[
    "{porg}开展{month}月份主题党日活动",
    "{porg}召开第{quarter}季度党员大会",
    "{porg}开展“三会一课”专题党课",
    "{porg}召开专题组织生活会",
];

const MEETING_LEADS: &[&str] = &[
    "{date}，{porg}组织全体党员开展主题党日活动。党员们重温入党誓词，集中学习了{study}。",
    "{date}，{porg}召开党员大会，通报近期重点工作，研究部署下一阶段任务。",
    "{date}，{porg}书记以“学思想、强党性、重实践、建新功”为题，为全体党员讲授专题党课。",
];

const STUDY_TITLES: &[&str] = &["学习园地：{study}", "学习园地：深入学习{study}"];

const STUDY_LEADS: &[&str] = &[
    "本期学习园地围绕{study}，梳理了主要内容和基层党员需要把握的要点，请党员同志认真学习。",
    "为推动党员学习常态化，{porg}将{study}列入本月学习计划，现将学习要点刊发如下。",
];

const ORG_TITLES: &[&str] = &[
    "关于发展{who}等同志为预备党员的公示",
    "{porg}开展党员积分制管理",
    "{porg}开展“党员联系户”活动",
    "{porg}规范党费收缴工作",
];

const ORG_LEADS: &[&str] = &[
    "经支部委员会研究，拟发展{who}等同志为中共预备党员，现予以公示，公示期为五个工作日。",
    "为进一步加强党员教育管理，{porg}在全体党员中推行积分制管理，积分结果与评先树优挂钩。",
    "{porg}组织每名党员联系若干户群众，定期走访，倾听群众呼声，帮助解决实际困难。",
    "{porg}对照有关规定，对党费收缴情况进行了全面检查，确保按月足额交纳。",
];

const PARTY_SENTENCES: &[&str] = &[
    "大家结合工作实际，踊跃发言，交流学习体会。",
    "党员们纷纷表示，要立足本职岗位，发挥先锋模范作用。",
    "会议强调，要把学习成果转化为推动乡村振兴的实际行动。",
    "会后，党员志愿者分成几个小组，走访慰问困难群众和独居老人。",
    "通过学习，党员们进一步坚定了理想信念，增强了为民服务的本领。",
    "支部还对照问题清单，逐项明确整改措施和完成时限。",
    "年轻党员{person}说：“作为一名党员，就要在群众最需要的时候站出来。”",
    "他带头流转土地发展特色种植，带动了{n}户群众增收。",
    "每逢汛期和防火期，他都主动报名参加值守，从不叫苦叫累。",
];

const PARTY_ENDINGS: &[&str] = &[
    "{porg}表示，将持续加强党的建设，以高质量党建引领乡村振兴。",
    "联系人：{person}，电话：{phone}。",
    "下一步，{porg}将把学习教育与为民办实事结合起来，推动各项工作落地见效。",
];

const PROJECTS: &[&str] = &[
    "村内道路硬化",
    "农田水利设施改造",
    "村级文化广场建设",
    "路灯安装",
    "生活污水治理",
    "高标准农田建设",
    "坑塘整治",
    "村委会办公场所改造",
    "农村供水管网更新",
    "村庄绿化提升",
];

const INCOME: &[(&str, &str)] = &[
    ("上级转移支付", "村级组织运转经费"),
    ("集体土地发包收入", "承包费"),
    ("合作社分红", "合作社经营收益"),
    ("集体房屋出租收入", "门市房、仓库租金"),
    ("光伏发电收益", "并网电费结算"),
];

const SPENDING: &[(&str, &str)] = &[
    ("道路维修", "生产路修补"),
    ("路灯电费", "本季度"),
    ("保洁员工资", "保洁员劳务费"),
    ("办公费用", "纸张、打印"),
    ("困难群众慰问", "走访慰问"),
    ("绿化管护", "苗木补植、浇水"),
    ("水电维修", "机井、管道维修"),
];

/// (kind, folder of the address, topics, who explains).
type VideoKind = (
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static str,
);

const VIDEO_KINDS: &[VideoKind] = &[
    (
        "农技课堂",
        "nongji",
        &[
            "冬枣病虫害绿色防控",
            "小麦宽幅精播技术",
            "玉米密植高产栽培",
            "大棚蔬菜冬季管理",
            "肉牛育肥饲养要点",
            "果树冬季修剪",
            "水稻旱直播技术",
            "盐碱地改良技术",
            "南美白对虾标准化养殖",
        ],
        "区农业技术推广中心专家",
    ),
    (
        "健康讲座",
        "jiankang",
        &[
            "高血压的日常管理",
            "糖尿病饮食指导",
            "冬季心脑血管病预防",
            "老年人防跌倒",
            "儿童近视防控",
            "合理膳食与慢病预防",
        ],
        "区人民医院医生",
    ),
    (
        "法治课堂",
        "fazhi",
        &[
            "防范养老诈骗",
            "土地承包经营权常识",
            "民法典与农村生活",
            "未成年人保护",
            "农民工工资权益保护",
        ],
        "区司法局律师",
    ),
    (
        "戏曲欣赏",
        "xiqu",
        &[
            "吕剧《李二嫂改嫁》选段",
            "吕剧《小姑贤》",
            "吕剧《墙头记》",
            "吕剧《姊妹易嫁》",
            "吕剧《王小赶脚》",
        ],
        "区吕剧团演员",
    ),
];

const VIDEO_LEADS: &[&str] = &[
    "本期{kind}邀请{expert}讲解{topic}，内容通俗易懂，欢迎大家收看。",
    "{kind}：{topic}。由{expert}主讲，结合实例讲清楚群众关心的问题。",
    "{topic}是大家常问的话题。本期节目中，{expert}一一作了解答。",
];

const VIDEO_MORE: &[&str] = &[
    "节目可随时点播，遥控器左右键快进快退。",
    "如有问题，可到村委会咨询，或拨打{phone}。",
    "往期节目可在点播栏目中查看。",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> (Owner, Vec<Township>) {
        let county = Owner {
            id: 1,
            name: "东营区".into(),
            kind: PlaceKind::County,
        };
        let plan = place_plan(&Scale {
            townships: 3,
            villages_per_township: 4,
            articles: 0,
            households: 0,
        });
        let mut id = 100;
        let tree = plan
            .into_iter()
            .map(|((_, tname), villages)| {
                id += 1;
                Township {
                    place: Owner {
                        id,
                        name: tname,
                        kind: PlaceKind::Township,
                    },
                    villages: villages
                        .into_iter()
                        .map(|(_, name)| {
                            id += 1;
                            Owner {
                                id,
                                name,
                                kind: PlaceKind::Village,
                            }
                        })
                        .collect(),
                }
            })
            .collect();
        (county, tree)
    }

    #[test]
    fn the_county_plan_has_unique_codes_and_names() {
        let plan = place_plan(&Scale::COUNTY);
        assert_eq!(plan.len(), 40);
        let mut codes = HashSet::new();
        let mut names = HashSet::new();
        for ((code, name), villages) in &plan {
            assert!(codes.insert(code.clone()));
            assert!(names.insert(name.clone()), "{name}");
            assert_eq!(villages.len(), 18);
            for (code, name) in villages {
                assert!(crate::validate::code(code, "代码").is_ok(), "{code}");
                assert!(codes.insert(code.clone()));
                assert!(names.insert(name.clone()), "{name}");
                assert!(name.ends_with('村') && name.chars().count() <= 6, "{name}");
            }
        }
        assert_eq!(plan[0].1[0].0, "t01v01");
        // The same plan every time.
        assert_eq!(place_plan(&Scale::COUNTY)[7].1[5], plan[7].1[5]);
    }

    #[test]
    fn generated_articles_are_what_the_editor_would_store() {
        let (county, tree) = tree();
        let ctx = Ctx {
            county: &county,
            tree: &tree,
            offset: FixedOffset::east_opt(8 * 3600).unwrap(),
            now: crate::time::now(),
        };
        let mut sections = HashSet::new();
        let mut scopes = HashSet::new();
        let (mut scheduled, mut expired, mut pinned) = (0, 0, 0);
        for i in 0..2_000 {
            let g = generate(i, &ctx);
            assert_eq!(g, generate(i, &ctx), "article {i} is not deterministic");
            sections.insert(g.section);
            scopes.insert(g.scope);
            // Bodies are already in the sanitiser's canonical form.
            assert_eq!(
                crate::articles::sanitize::clean_body(&g.body),
                g.body,
                "article {i}"
            );
            let form = crate::articles::ArticleForm {
                section: g.section.into(),
                category: g.category.unwrap_or_default().into(),
                title: g.title.clone(),
                summary: g.summary.clone(),
                body: g.body.clone(),
                scope: g.scope.into(),
                video_url: g.video_url.clone().unwrap_or_default(),
                ..Default::default()
            };
            let content = form
                .check(ctx.offset)
                .unwrap_or_else(|e| panic!("{i}: {e}"));
            assert_eq!(content.title, g.title);
            assert!(!g.title.contains(['<', '&', '"']), "{}", g.title);
            assert!(
                !g.title.contains('{') && !g.body.contains('{'),
                "{}",
                g.body
            );
            assert!(g.created_at <= g.reviewed_at);
            assert!(g.published_at >= g.reviewed_at || g.publish_at.is_none());
            if let Some(e) = g.expire_at {
                assert!(e > g.published_at);
                expired += usize::from(e <= ctx.now);
            }
            scheduled += usize::from(g.published_at > ctx.now);
            pinned += usize::from(g.pinned);
            assert!(g.published_at > ctx.now - Duration::days(732));
            assert_eq!(g.section == "party", g.category.is_some());
            assert_eq!(g.section == "videos", g.video_url.is_some());
        }
        assert_eq!(sections.len(), 5);
        assert_eq!(scopes.len(), 3);
        assert!(
            scheduled > 5 && expired > 20 && pinned > 0,
            "{scheduled} {expired} {pinned}"
        );
    }

    #[test]
    fn money_has_thousands_separators() {
        assert_eq!(money(0), "0");
        assert_eq!(money(999), "999");
        assert_eq!(money(124500), "124,500");
        assert_eq!(money(1234567), "1,234,567");
    }
}
