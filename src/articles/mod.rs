//! Articles: notices, news, party-building, village affairs and videos.
//!
//! An article has revisions. The *head* revision is what editors work on; the
//! *live* revision is what TVs show. Approving the head makes it live, so an
//! edit of published content waits for review while the old text stays on TV.
//! Whether live content is on air is decided at query time from
//! `publish_at <= now < expire_at`.

pub mod form;
pub mod sanitize;
pub mod screen;
pub mod workflow;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::access::{Action, Actor, PlaceScope};
use crate::db::schema::{article_revisions, articles};
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::pager::Pager;
use crate::places;

pub use form::ArticleForm;

/// The sections that hold articles (the roster, health and cameras are not articles).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Notices,
    News,
    Party,
    Affairs,
    Videos,
}

impl Section {
    pub const ALL: [Section; 5] = [
        Section::Notices,
        Section::News,
        Section::Party,
        Section::Affairs,
        Section::Videos,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Section::Notices => "notices",
            Section::News => "news",
            Section::Party => "party",
            Section::Affairs => "affairs",
            Section::Videos => "videos",
        }
    }

    pub fn parse(s: &str) -> Option<Section> {
        Section::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Section::Notices => "通知公告",
            Section::News => "新闻动态",
            Section::Party => "党建园地",
            Section::Affairs => "村务公开",
            Section::Videos => "点播",
        }
    }
}

/// Categories of the party-building section.
pub const PARTY_CATEGORIES: [(&str, &str); 4] = [
    ("members", "党员风采"),
    ("meetings", "三会一课"),
    ("study", "学习园地"),
    ("organisation", "组织建设"),
];

pub fn category_label(code: &str) -> Option<&'static str> {
    PARTY_CATEGORIES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, l)| *l)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Village,
    Township,
    County,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Village => "village",
            Scope::Township => "township",
            Scope::County => "county",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        [Scope::Village, Scope::Township, Scope::County]
            .into_iter()
            .find(|x| x.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Scope::Village => "本村",
            Scope::Township => "全乡镇",
            Scope::County => "全县",
        }
    }
}

/// The state of a revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevState {
    Draft,
    Pending,
    Published,
    Rejected,
    /// Was live, replaced by a newer approved revision.
    Superseded,
}

impl RevState {
    pub fn as_str(self) -> &'static str {
        match self {
            RevState::Draft => "draft",
            RevState::Pending => "pending",
            RevState::Published => "published",
            RevState::Rejected => "rejected",
            RevState::Superseded => "superseded",
        }
    }

    pub fn parse(s: &str) -> Option<RevState> {
        [
            RevState::Draft,
            RevState::Pending,
            RevState::Published,
            RevState::Rejected,
            RevState::Superseded,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            RevState::Draft => "草稿",
            RevState::Pending => "待审核",
            RevState::Published => "已发布",
            RevState::Rejected => "已退回",
            RevState::Superseded => "旧版本",
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = articles)]
pub struct Article {
    pub id: i64,
    pub place_id: i64,
    pub scope: String,
    pub section: String,
    pub version: i32,
    pub head_revision_id: Option<i64>,
    pub live_revision_id: Option<i64>,
    pub archived: bool,
    pub title: String,
    pub category: Option<String>,
    pub publish_at: Option<NaiveDateTime>,
    pub expire_at: Option<NaiveDateTime>,
    pub pinned: bool,
    pub urgent: bool,
    pub published_at: Option<NaiveDateTime>,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl Article {
    pub fn section(&self) -> Section {
        Section::parse(&self.section).unwrap_or(Section::Notices)
    }

    pub fn scope(&self) -> Scope {
        Scope::parse(&self.scope).unwrap_or(Scope::Village)
    }

    /// Where the live revision stands at `now`, if there is one.
    pub fn air(&self, now: NaiveDateTime) -> Air {
        if self.archived {
            return Air::Archived;
        }
        if self.live_revision_id.is_none() {
            return Air::Never;
        }
        if self.expire_at.is_some_and(|e| e <= now) {
            Air::Expired
        } else if self.publish_at.is_some_and(|p| p > now) {
            Air::Scheduled
        } else {
            Air::OnAir
        }
    }
}

/// Whether an article's live revision is on TV.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Air {
    Never,
    Scheduled,
    OnAir,
    Expired,
    Archived,
}

impl Air {
    pub fn label(self) -> &'static str {
        match self {
            Air::Never => "未发布",
            Air::Scheduled => "定时发布",
            Air::OnAir => "播出中",
            Air::Expired => "已过期",
            Air::Archived => "已下线",
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = article_revisions)]
pub struct Revision {
    pub id: i64,
    pub article_id: i64,
    pub number: i32,
    pub state: String,
    pub section: String,
    pub category: Option<String>,
    pub title: String,
    pub summary: String,
    pub body: String,
    pub video_url: Option<String>,
    pub poster_media_id: Option<i64>,
    pub duration_seconds: Option<i32>,
    pub publish_at: Option<NaiveDateTime>,
    pub expire_at: Option<NaiveDateTime>,
    pub pinned: bool,
    pub urgent: bool,
    pub author_id: Option<i64>,
    pub author_name: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub reviewer_name: Option<String>,
    pub reviewed_at: Option<NaiveDateTime>,
    pub reason: Option<String>,
}

impl Revision {
    pub fn state(&self) -> RevState {
        RevState::parse(&self.state).unwrap_or(RevState::Draft)
    }
}

pub fn get(conn: &mut DbConn, id: i64) -> AppResult<Article> {
    articles::table
        .find(id)
        .select(Article::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("这篇内容"))
}

pub fn revision(conn: &mut DbConn, id: i64) -> AppResult<Revision> {
    article_revisions::table
        .find(id)
        .select(Revision::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("这个版本"))
}

/// The revision editors work on.
pub fn head(conn: &mut DbConn, article: &Article) -> AppResult<Revision> {
    match article.head_revision_id {
        Some(id) => revision(conn, id),
        None => Err(AppError::bug(format!(
            "article {} has no head revision",
            article.id
        ))),
    }
}

/// Every revision of an article, newest first.
pub fn history(conn: &mut DbConn, article_id: i64) -> AppResult<Vec<Revision>> {
    Ok(article_revisions::table
        .filter(article_revisions::article_id.eq(article_id))
        .order(article_revisions::number.desc())
        .select(Revision::as_select())
        .load(conn)?)
}

/// The article's place with its township and county, for permission checks.
pub fn scope_of(conn: &mut DbConn, article: &Article) -> AppResult<PlaceScope> {
    places::scope_of(conn, article.place_id)
}

/// Loads an article the actor may read in the back office.
pub fn get_for(conn: &mut DbConn, actor: &Actor, id: i64) -> AppResult<Article> {
    let article = get(conn, id)?;
    let scope = scope_of(conn, &article)?;
    if actor.may(Action::EditContent, &scope) || actor.may(Action::ReviewContent, &scope) {
        Ok(article)
    } else {
        Err(AppError::forbidden())
    }
}

/// The places whose live articles a village's TVs show: the village, its
/// township and its county.
pub fn audience(village: &PlaceScope) -> Vec<i64> {
    let mut ids = vec![village.id];
    ids.extend(village.township_id);
    ids.extend(village.county_id);
    ids
}

type BoxedArticles = articles::BoxedQuery<'static, <DbConn as Connection>::Backend>;

/// Articles on TV now for a village: its own, its township's and its
/// county's; approved, not archived, `publish_at <= now < expire_at`.
fn on_air_query(village: &PlaceScope, now: NaiveDateTime) -> BoxedArticles {
    articles::table
        .filter(articles::place_id.eq_any(audience(village)))
        .filter(articles::live_revision_id.is_not_null())
        .filter(articles::archived.eq(false))
        .filter(
            articles::publish_at
                .is_null()
                .or(articles::publish_at.le(now)),
        )
        .filter(
            articles::expire_at
                .is_null()
                .or(articles::expire_at.gt(now)),
        )
        .into_boxed()
}

/// One page of the articles on air for a village in a section, pinned first,
/// then newest; and how many there are.
pub fn on_air(
    conn: &mut DbConn,
    village: &PlaceScope,
    section: Section,
    category: Option<&str>,
    now: NaiveDateTime,
    page: i64,
    per_page: i64,
) -> AppResult<(Vec<Article>, i64)> {
    let query = || {
        let mut q = on_air_query(village, now).filter(articles::section.eq(section.as_str()));
        if let Some(c) = category {
            q = q.filter(articles::category.eq(c.to_string()));
        }
        q
    };
    let total: i64 = query().count().get_result(conn)?;
    let pager = Pager::new(page, per_page).within(total);
    let rows = query()
        .order((
            articles::pinned.desc(),
            articles::published_at.desc(),
            articles::id.desc(),
        ))
        .limit(pager.per_page())
        .offset(pager.offset())
        .select(Article::as_select())
        .load(conn)?;
    Ok((rows, total))
}

/// Every article on air for a village (any section), newest first, paged.
pub fn on_air_all(
    conn: &mut DbConn,
    village: &PlaceScope,
    now: NaiveDateTime,
    page: i64,
    per_page: i64,
) -> AppResult<(Vec<(Article, Revision)>, i64)> {
    let query = || on_air_query(village, now);
    let total: i64 = query().count().get_result(conn)?;
    // Not brought within the pages: a page past the last is empty, as the
    // API promises, never page 1 under another number.
    let pager = Pager::new(page, per_page);
    let rows: Vec<Article> = query()
        .order((articles::published_at.desc(), articles::id.desc()))
        .limit(pager.per_page())
        .offset(pager.offset())
        .select(Article::as_select())
        .load(conn)?;
    let mut out = Vec::with_capacity(rows.len());
    for a in rows {
        if let Some(live) = a.live_revision_id {
            let rev = revision(conn, live)?;
            out.push((a, rev));
        }
    }
    Ok((out, total))
}

/// The next moment after `now` an approved article of the village's
/// audience goes on air or expires: TV pages rendered now stay true until then.
pub fn next_change(
    conn: &mut DbConn,
    village: &PlaceScope,
    now: NaiveDateTime,
) -> AppResult<Option<NaiveDateTime>> {
    let live = || {
        articles::table
            .filter(articles::place_id.eq_any(audience(village)))
            .filter(articles::live_revision_id.is_not_null())
            .filter(articles::archived.eq(false))
    };
    let publish: Option<NaiveDateTime> = live()
        .filter(articles::publish_at.gt(now))
        .select(diesel::dsl::min(articles::publish_at))
        .first(conn)?;
    let expire: Option<NaiveDateTime> = live()
        .filter(articles::expire_at.gt(now))
        .select(diesel::dsl::min(articles::expire_at))
        .first(conn)?;
    Ok(publish.into_iter().chain(expire).min())
}

/// Per section, how many articles on air for a village went on air since
/// `since` (the home page's "new this week" counts).
pub fn new_counts(
    conn: &mut DbConn,
    village: &PlaceScope,
    now: NaiveDateTime,
    since: NaiveDateTime,
) -> AppResult<Vec<(String, i64)>> {
    // A week's worth of items: counting them here is simpler than a
    // GROUP BY on the boxed query.
    let sections: Vec<String> = on_air_query(village, now)
        .filter(articles::published_at.ge(since))
        .select(articles::section)
        .load(conn)?;
    let mut counts: Vec<(String, i64)> = Vec::new();
    for s in sections {
        match counts.iter_mut().find(|(c, _)| *c == s) {
            Some((_, n)) => *n += 1,
            None => counts.push((s, 1)),
        }
    }
    Ok(counts)
}

/// The latest urgent or pinned notices on air for a village (the home page).
pub fn highlights(
    conn: &mut DbConn,
    village: &PlaceScope,
    now: NaiveDateTime,
    limit: i64,
) -> AppResult<Vec<Article>> {
    Ok(on_air_query(village, now)
        .filter(articles::section.eq(Section::Notices.as_str()))
        .filter(articles::urgent.eq(true).or(articles::pinned.eq(true)))
        .order((
            articles::urgent.desc(),
            articles::published_at.desc(),
            articles::id.desc(),
        ))
        .limit(limit)
        .select(Article::as_select())
        .load(conn)?)
}

/// A video's poster and length, from its live revision.
#[derive(Debug, Clone, Queryable)]
pub struct VideoDetails {
    pub article_id: i64,
    pub poster_media_id: Option<i64>,
    pub duration_seconds: Option<i32>,
}

/// Poster and length of videos' live revisions (the TV's poster grid;
/// without loading bodies).
pub fn video_details(conn: &mut DbConn, articles: &[Article]) -> AppResult<Vec<VideoDetails>> {
    let live: Vec<i64> = articles.iter().filter_map(|a| a.live_revision_id).collect();
    Ok(article_revisions::table
        .filter(article_revisions::id.eq_any(live))
        .select((
            article_revisions::article_id,
            article_revisions::poster_media_id,
            article_revisions::duration_seconds,
        ))
        .load(conn)?)
}

/// The live revision of an article a village's TV may show now. Another
/// village's article is "not found"; an expired or archived one says so.
pub fn for_tv(
    conn: &mut DbConn,
    village: &PlaceScope,
    id: i64,
    now: NaiveDateTime,
) -> AppResult<(Article, Revision)> {
    let article = get(conn, id)?;
    if !audience(village).contains(&article.place_id) {
        return Err(AppError::not_found("这篇内容"));
    }
    match (article.air(now), article.live_revision_id) {
        (Air::OnAir, Some(live)) => {
            let rev = revision(conn, live)?;
            Ok((article, rev))
        }
        (Air::Expired | Air::Archived, _) => Err(AppError::Gone("这篇内容已过期或已下线".into())),
        _ => Err(AppError::not_found("这篇内容")),
    }
}

/// Filters of the back-office list.
#[derive(Debug, Default, Clone)]
pub struct ListFilter {
    pub section: Option<Section>,
    pub state: Option<RevState>,
    pub archived: bool,
    pub place_id: Option<i64>,
    pub text: Option<String>,
}

/// A row of the back-office list: the article and its head revision.
pub type ListRow = (Article, Revision);

/// The articles an actor may see in the back office, newest first.
pub fn list(
    conn: &mut DbConn,
    visible_places: &[i64],
    filter: &ListFilter,
    page: i64,
    per_page: i64,
) -> AppResult<(Vec<ListRow>, i64)> {
    let query = || {
        let mut q = articles::table
            .inner_join(
                article_revisions::table
                    .on(articles::head_revision_id.eq(article_revisions::id.nullable())),
            )
            .filter(articles::place_id.eq_any(visible_places.to_vec()))
            .filter(articles::archived.eq(filter.archived))
            .into_boxed();
        if let Some(s) = filter.section {
            q = q.filter(articles::section.eq(s.as_str()));
        }
        if let Some(s) = filter.state {
            q = q.filter(article_revisions::state.eq(s.as_str()));
        }
        if let Some(p) = filter.place_id {
            q = q.filter(articles::place_id.eq(p));
        }
        if let Some(t) = &filter.text {
            q = q.filter(
                article_revisions::title
                    .like(format!("%{}%", escape_like(t)))
                    .escape('\\'),
            );
        }
        q
    };
    let total: i64 = query().count().get_result(conn)?;
    let pager = Pager::new(page, per_page).within(total);
    let rows = query()
        .order((articles::updated_at.desc(), articles::id.desc()))
        .limit(pager.per_page())
        .offset(pager.offset())
        .select((Article::as_select(), Revision::as_select()))
        .load(conn)?;
    Ok((rows, total))
}

/// Counts of head states (and archived) among the visible articles.
pub fn state_counts(conn: &mut DbConn, visible_places: &[i64]) -> AppResult<Vec<(String, i64)>> {
    let rows: Vec<(String, bool)> = articles::table
        .inner_join(
            article_revisions::table
                .on(articles::head_revision_id.eq(article_revisions::id.nullable())),
        )
        .filter(articles::place_id.eq_any(visible_places.to_vec()))
        .select((article_revisions::state, articles::archived))
        .load(conn)?;
    let mut counts: Vec<(String, i64)> = Vec::new();
    for (state, archived) in rows {
        let key = if archived {
            "archived".to_string()
        } else {
            state
        };
        match counts.iter_mut().find(|(k, _)| *k == key) {
            Some((_, n)) => *n += 1,
            None => counts.push((key, 1)),
        }
    }
    Ok(counts)
}

/// Pending revisions in the given places, oldest first (the review desk).
pub fn pending(conn: &mut DbConn, places: &[i64]) -> AppResult<Vec<ListRow>> {
    Ok(articles::table
        .inner_join(
            article_revisions::table
                .on(articles::head_revision_id.eq(article_revisions::id.nullable())),
        )
        .filter(articles::place_id.eq_any(places.to_vec()))
        .filter(articles::archived.eq(false))
        .filter(article_revisions::state.eq(RevState::Pending.as_str()))
        .order(article_revisions::updated_at.asc())
        .select((Article::as_select(), Revision::as_select()))
        .load(conn)?)
}

/// Heads in a given state written in the given places, newest first.
pub fn heads_in_state(
    conn: &mut DbConn,
    places: &[i64],
    state: RevState,
    limit: i64,
) -> AppResult<Vec<ListRow>> {
    Ok(articles::table
        .inner_join(
            article_revisions::table
                .on(articles::head_revision_id.eq(article_revisions::id.nullable())),
        )
        .filter(articles::place_id.eq_any(places.to_vec()))
        .filter(articles::archived.eq(false))
        .filter(article_revisions::state.eq(state.as_str()))
        .order(article_revisions::updated_at.desc())
        .limit(limit)
        .select((Article::as_select(), Revision::as_select()))
        .load(conn)?)
}

/// Live articles whose publication time is still ahead.
pub fn scheduled(conn: &mut DbConn, places: &[i64], now: NaiveDateTime) -> AppResult<Vec<Article>> {
    Ok(articles::table
        .filter(articles::place_id.eq_any(places.to_vec()))
        .filter(articles::archived.eq(false))
        .filter(articles::live_revision_id.is_not_null())
        .filter(articles::publish_at.gt(now))
        .order(articles::publish_at.asc())
        .select(Article::as_select())
        .load(conn)?)
}

/// A revision's body as TV pages show it: images at their `page` size, or
/// for an SD (720x576) box at their `sdpage` size, resized on the server.
pub fn tv_body(conn: &mut DbConn, body: &str, sd: bool) -> AppResult<String> {
    let keys = screen::image_keys(body);
    if keys.is_empty() {
        return Ok(body.to_string());
    }
    let sizes = crate::media::page_sizes(conn, &keys, sd)?;
    let kind = crate::media::Rendition::page_for(sd);
    Ok(screen::with_images(body, &sizes, kind.as_str()))
}

fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}
