//! The generated published articles: what each one is (section, place,
//! dates, text) and the article and revision rows written for it.

use chrono::{Datelike, Duration, FixedOffset, NaiveDateTime};
use diesel::prelude::*;

use super::places::{Owner, Township};
use super::rng::Rng;
use super::text::{clip, Writer};
use super::{Scale, ARTICLE_CHUNK, AUTHOR};
use crate::access::PlaceKind;
use crate::db::schema::{article_revisions, articles};
use crate::db::{self, DbConn};
use crate::error::AppResult;

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

pub(super) fn ensure_articles(
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

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::super::places::place_plan;
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
}
