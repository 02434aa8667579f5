//! The publishing workflow: draft -> pending -> published (scheduled while
//! `publish_at` is ahead, expired after `expire_at`); pending -> rejected
//! (with a reason) -> draft. Every change is checked with `access::may`,
//! bumps the article's version and is audited in the same transaction.

use chrono::{FixedOffset, NaiveDateTime};
use diesel::prelude::*;

use super::form::{ArticleForm, Content};
use super::{get, head, Article, RevState, Revision, Scope};
use crate::access::{Action, Actor, PlaceKind, PlaceScope, Role};
use crate::audit::{self, Changes, Event};
use crate::db::schema::{article_revisions, articles};
use crate::db::{self, DbConn};
use crate::error::{AppError, AppResult};
use crate::places;
use crate::validate::FieldErrors;

pub const REASON_MAX: usize = 200;

/// What one may do to articles of a scope: village content is edited by its
/// clerk and reviewed by the township; township and county content is
/// published directly by whoever may publish there.
pub fn edit_action(scope: Scope) -> Action {
    match scope {
        Scope::Village => Action::EditContent,
        Scope::Township | Scope::County => Action::PublishDirect,
    }
}

pub fn review_action(scope: Scope) -> Action {
    match scope {
        Scope::Village => Action::ReviewContent,
        Scope::Township | Scope::County => Action::PublishDirect,
    }
}

fn one_error(field: &'static str, message: impl Into<String>) -> AppError {
    let mut e = FieldErrors::new();
    e.add(field, message);
    AppError::Invalid(e)
}

/// The place a new article belongs to, from its scope and the chosen place.
fn target_place(
    conn: &mut DbConn,
    actor: &Actor,
    scope: Scope,
    chosen: Option<i64>,
) -> AppResult<PlaceScope> {
    let want = match scope {
        Scope::Village => PlaceKind::Village,
        Scope::Township => PlaceKind::Township,
        Scope::County => PlaceKind::County,
    };
    let refuse_scope = || {
        let message = match actor.role {
            Role::Clerk => "村文书只能发布本村的内容".to_string(),
            _ => format!("您不能在这里发布{}范围的内容", scope.label()),
        };
        one_error("scope", message)
    };
    // Township and county content needs the right to publish directly.
    if scope != Scope::Village && !actor.may(Action::PublishDirect, &actor.place) {
        return Err(refuse_scope());
    }
    let place = match chosen {
        Some(id) => places::scope_of(conn, id).map_err(AppError::if_not_found(|| {
            one_error("place_id", "所选地点不存在")
        }))?,
        None if actor.place.kind == want => actor.place,
        None if want == PlaceKind::County => match actor.place.county_id {
            Some(c) => places::scope_of(conn, c)?,
            None => return Err(one_error("place_id", "请选择发布到哪里")),
        },
        None => {
            return Err(one_error(
                "place_id",
                format!("请选择发布到哪个{}", want.label()),
            ))
        }
    };
    if place.kind != want {
        return Err(one_error(
            "place_id",
            format!("{}范围的内容须选择一个{}", scope.label(), want.label()),
        ));
    }
    if !actor.may(edit_action(scope), &place) {
        return Err(refuse_scope());
    }
    Ok(place)
}

#[derive(Insertable)]
#[diesel(table_name = article_revisions)]
struct NewRevision<'a> {
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
}

impl<'a> NewRevision<'a> {
    fn draft(
        article_id: i64,
        number: i32,
        c: &'a Content,
        actor: &'a Actor,
        author_name: &'a str,
        now: NaiveDateTime,
    ) -> Self {
        NewRevision {
            article_id,
            number,
            state: RevState::Draft.as_str(),
            section: c.section.as_str(),
            category: c.category.as_deref(),
            title: &c.title,
            summary: &c.summary,
            body: &c.body,
            video_url: c.video_url.as_deref(),
            poster_media_id: c.poster_media_id,
            duration_seconds: c.duration_seconds,
            publish_at: c.publish_at,
            expire_at: c.expire_at,
            pinned: c.pinned,
            urgent: c.urgent,
            author_id: actor.user_id,
            author_name,
            created_at: now,
            updated_at: now,
        }
    }
}

fn record(
    conn: &mut DbConn,
    actor: &Actor,
    action: &str,
    a: &Article,
    summary: String,
) -> QueryResult<()> {
    audit::record(
        conn,
        actor,
        Event {
            action,
            target_type: "article",
            target_id: Some(a.id),
            place_id: Some(a.place_id),
            summary,
        },
    )
}

/// Creates an article with its first revision as a draft.
pub fn create(
    conn: &mut DbConn,
    actor: &Actor,
    form: &ArticleForm,
    offset: FixedOffset,
) -> AppResult<Article> {
    let content = form.check(offset).map_err(AppError::Invalid)?;
    let place = target_place(conn, actor, content.scope, form.place_id)?;
    let name = shown_name(conn, actor)?;
    db::write(conn, |conn| {
        let now = crate::time::now();
        diesel::insert_into(articles::table)
            .values((
                articles::place_id.eq(place.id),
                articles::scope.eq(content.scope.as_str()),
                articles::section.eq(content.section.as_str()),
                articles::version.eq(1),
                articles::archived.eq(false),
                articles::title.eq(&content.title),
                articles::category.eq(content.category.as_deref()),
                articles::pinned.eq(false),
                articles::urgent.eq(false),
                articles::created_by.eq(actor.user_id),
                articles::created_at.eq(now),
                articles::updated_at.eq(now),
            ))
            .execute(conn)?;
        let id = db::last_insert_id(conn)?;
        diesel::insert_into(article_revisions::table)
            .values(NewRevision::draft(id, 1, &content, actor, &name, now))
            .execute(conn)?;
        let rev = db::last_insert_id(conn)?;
        diesel::update(articles::table.find(id))
            .set(articles::head_revision_id.eq(rev))
            .execute(conn)?;
        let article = get(conn, id)?;
        record(
            conn,
            actor,
            "article.create",
            &article,
            format!("{} 《{}》", content.section.label(), content.title),
        )?;
        Ok(article)
    })
}

/// The name the back office shows for the actor: the user's display name
/// (耿井村文书), not the login; the command line's name for the system.
fn shown_name(conn: &mut DbConn, actor: &Actor) -> AppResult<String> {
    match actor.user_id {
        Some(id) => Ok(crate::users::get(conn, id)?.display_name),
        None => Ok(actor.username.clone()),
    }
}

/// The message when someone else saved first; the caller keeps the user's text.
fn stale(conn: &mut DbConn, article: &Article) -> AppError {
    let by = head(conn, article)
        .map(|h| h.author_name)
        .unwrap_or_default();
    AppError::Conflict(format!(
        "这篇内容在您打开之后已被 {by} 修改并保存（现在是第 {} 版）。您的文字没有丢失，仍在下面的表单里；请先复制保存，再打开最新版本合并修改。",
        article.version
    ))
}

/// Saves an edit. A draft (or pending) head is changed in place (pending goes
/// back to draft); a published or rejected head gets a new draft revision,
/// so what is on TV stays until the edit is approved.
pub fn update(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    form: &ArticleForm,
    offset: FixedOffset,
) -> AppResult<Article> {
    let article = get(conn, id)?;
    let place = super::scope_of(conn, &article)?;
    actor.require(edit_action(article.scope()), &place)?;
    // Scope and place are fixed once created.
    let form = ArticleForm {
        scope: article.scope.clone(),
        ..form.clone()
    };
    let content = form.check(offset).map_err(AppError::Invalid)?;
    if form.version != Some(article.version as i64) {
        return Err(stale(conn, &article));
    }
    let current = head(conn, &article)?;
    let name = shown_name(conn, actor)?;
    db::write(conn, |conn| {
        let now = crate::time::now();
        // Re-read inside the transaction: another save may have won the race.
        let fresh = get(conn, id)?;
        if fresh.version != article.version {
            return Err(stale(conn, &fresh));
        }
        let changes = Changes::new()
            .field("title", &current.title, &content.title)
            .field("section", &current.section, content.section.as_str())
            .field(
                "body",
                body_digest(&current.body),
                body_digest(&content.body),
            )
            .field(
                "publish_at",
                fmt_time(current.publish_at),
                fmt_time(content.publish_at),
            )
            .field(
                "expire_at",
                fmt_time(current.expire_at),
                fmt_time(content.expire_at),
            )
            .field("pinned", current.pinned, content.pinned)
            .field("urgent", current.urgent, content.urgent);
        match current.state() {
            RevState::Draft | RevState::Pending => {
                diesel::update(article_revisions::table.find(current.id))
                    .set((
                        article_revisions::state.eq(RevState::Draft.as_str()),
                        article_revisions::section.eq(content.section.as_str()),
                        article_revisions::category.eq(content.category.as_deref()),
                        article_revisions::title.eq(&content.title),
                        article_revisions::summary.eq(&content.summary),
                        article_revisions::body.eq(&content.body),
                        article_revisions::video_url.eq(content.video_url.as_deref()),
                        article_revisions::poster_media_id.eq(content.poster_media_id),
                        article_revisions::duration_seconds.eq(content.duration_seconds),
                        article_revisions::publish_at.eq(content.publish_at),
                        article_revisions::expire_at.eq(content.expire_at),
                        article_revisions::pinned.eq(content.pinned),
                        article_revisions::urgent.eq(content.urgent),
                        article_revisions::author_id.eq(actor.user_id),
                        article_revisions::author_name.eq(&name),
                        article_revisions::updated_at.eq(now),
                    ))
                    .execute(conn)?;
            }
            RevState::Published | RevState::Rejected | RevState::Superseded => {
                diesel::insert_into(article_revisions::table)
                    .values(NewRevision::draft(
                        id,
                        current.number + 1,
                        &content,
                        actor,
                        &name,
                        now,
                    ))
                    .execute(conn)?;
                let rev = db::last_insert_id(conn)?;
                diesel::update(articles::table.find(id))
                    .set(articles::head_revision_id.eq(rev))
                    .execute(conn)?;
            }
        }
        finish(conn, actor, id, now, "article.update", changes.summary())
    })
}

/// The end of every change to an article: bump its version (so stale forms
/// are refused), reload it and audit the change, inside the caller's transaction.
fn finish(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    now: NaiveDateTime,
    action: &str,
    summary: String,
) -> AppResult<Article> {
    diesel::update(articles::table.find(id))
        .set((
            articles::version.eq(articles::version + 1),
            articles::updated_at.eq(now),
        ))
        .execute(conn)?;
    let article = get(conn, id)?;
    record(conn, actor, action, &article, summary)?;
    Ok(article)
}

fn body_digest(body: &str) -> String {
    format!("{} 字", super::sanitize::plain_text(body).chars().count())
}

fn fmt_time(t: Option<NaiveDateTime>) -> String {
    t.map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| "-".into())
}

/// The version the user acted on must still be current (a double click, or
/// two reviewers at once, must not act twice).
fn check_version(article: &Article, seen: Option<i64>) -> AppResult<()> {
    match seen {
        Some(v) if v != article.version as i64 => Err(AppError::Conflict(
            "这篇内容刚刚被修改过，请刷新页面后再操作".into(),
        )),
        _ => Ok(()),
    }
}

/// Sends the head draft for review. Township and county content, sent by
/// someone who may publish there, is published at once.
pub fn submit(conn: &mut DbConn, actor: &Actor, id: i64, seen: Option<i64>) -> AppResult<Article> {
    let article = get(conn, id)?;
    let place = super::scope_of(conn, &article)?;
    actor.require(edit_action(article.scope()), &place)?;
    check_version(&article, seen)?;
    let current = head(conn, &article)?;
    if current.state() != RevState::Draft {
        return Err(AppError::Conflict(format!(
            "只有草稿可以提交，这篇内容现在是「{}」",
            current.state().label()
        )));
    }
    if article.scope() != Scope::Village {
        return publish(conn, actor, &article, &current, "article.publish");
    }
    db::write(conn, |conn| {
        let now = crate::time::now();
        diesel::update(article_revisions::table.find(current.id))
            .set((
                article_revisions::state.eq(RevState::Pending.as_str()),
                article_revisions::updated_at.eq(now),
            ))
            .execute(conn)?;
        finish(
            conn,
            actor,
            id,
            now,
            "article.submit",
            format!("《{}》 draft -> pending", current.title),
        )
    })
}

/// Approves the pending head: it becomes what TVs show.
pub fn approve(conn: &mut DbConn, actor: &Actor, id: i64, seen: Option<i64>) -> AppResult<Article> {
    let article = get(conn, id)?;
    let place = super::scope_of(conn, &article)?;
    actor.require(review_action(article.scope()), &place)?;
    check_version(&article, seen)?;
    let current = head(conn, &article)?;
    match current.state() {
        RevState::Pending => publish(conn, actor, &article, &current, "article.approve"),
        RevState::Published => Err(AppError::Conflict("这篇内容已经审核通过了".into())),
        other => Err(AppError::Conflict(format!(
            "只有待审核的内容可以通过，这篇现在是「{}」",
            other.label()
        ))),
    }
}

fn publish(
    conn: &mut DbConn,
    actor: &Actor,
    article: &Article,
    rev: &Revision,
    action: &str,
) -> AppResult<Article> {
    db::write(conn, |conn| {
        let now = crate::time::now();
        if let Some(old) = article.live_revision_id.filter(|old| *old != rev.id) {
            diesel::update(article_revisions::table.find(old))
                .set(article_revisions::state.eq(RevState::Superseded.as_str()))
                .execute(conn)?;
        }
        diesel::update(article_revisions::table.find(rev.id))
            .set((
                article_revisions::state.eq(RevState::Published.as_str()),
                article_revisions::reviewer_name.eq(shown_name(conn, actor)?),
                article_revisions::reviewed_at.eq(now),
                article_revisions::reason.eq(None::<String>),
                article_revisions::updated_at.eq(now),
            ))
            .execute(conn)?;
        // What live content shows is public from now on (see `media::serve`).
        crate::media::make_public(
            conn,
            &super::screen::image_keys(&rev.body),
            rev.poster_media_id,
        )?;
        diesel::update(articles::table.find(article.id))
            .set((
                articles::live_revision_id.eq(rev.id),
                articles::archived.eq(false),
                articles::section.eq(&rev.section),
                articles::title.eq(&rev.title),
                articles::category.eq(&rev.category),
                articles::publish_at.eq(rev.publish_at),
                articles::expire_at.eq(rev.expire_at),
                articles::pinned.eq(rev.pinned),
                articles::urgent.eq(rev.urgent),
                articles::published_at.eq(rev.publish_at.unwrap_or(now)),
            ))
            .execute(conn)?;
        // On air now (or at its publish time): the place's TVs change.
        crate::changes::touch(conn, article.place_id)?;
        finish(
            conn,
            actor,
            article.id,
            now,
            action,
            format!("《{}》 第 {} 版 -> published", rev.title, rev.number),
        )
    })
}

/// Sends the pending head back to its author with a reason.
pub fn reject(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    reason: &str,
    seen: Option<i64>,
) -> AppResult<Article> {
    let article = get(conn, id)?;
    let place = super::scope_of(conn, &article)?;
    actor.require(review_action(article.scope()), &place)?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(one_error("reason", "退回时请写明原因，方便村里修改"));
    }
    if reason.chars().count() > REASON_MAX {
        return Err(one_error("reason", format!("原因最多 {REASON_MAX} 个字")));
    }
    check_version(&article, seen)?;
    let current = head(conn, &article)?;
    if current.state() != RevState::Pending {
        return Err(AppError::Conflict(format!(
            "只有待审核的内容可以退回，这篇现在是「{}」",
            current.state().label()
        )));
    }
    db::write(conn, |conn| {
        let now = crate::time::now();
        diesel::update(article_revisions::table.find(current.id))
            .set((
                article_revisions::state.eq(RevState::Rejected.as_str()),
                article_revisions::reviewer_name.eq(shown_name(conn, actor)?),
                article_revisions::reviewed_at.eq(now),
                article_revisions::reason.eq(reason),
                article_revisions::updated_at.eq(now),
            ))
            .execute(conn)?;
        finish(
            conn,
            actor,
            id,
            now,
            "article.reject",
            format!("《{}》 pending -> rejected: {reason}", current.title),
        )
    })
}

/// Takes an article off TV at once (its revisions stay for the record).
pub fn archive(conn: &mut DbConn, actor: &Actor, id: i64, seen: Option<i64>) -> AppResult<Article> {
    let article = get(conn, id)?;
    let place = super::scope_of(conn, &article)?;
    if !(actor.may(edit_action(article.scope()), &place)
        || actor.may(review_action(article.scope()), &place))
    {
        return Err(AppError::forbidden());
    }
    check_version(&article, seen)?;
    if article.archived {
        return Err(AppError::Conflict("这篇内容已经下线了".into()));
    }
    db::write(conn, |conn| {
        let now = crate::time::now();
        diesel::update(articles::table.find(id))
            .set(articles::archived.eq(true))
            .execute(conn)?;
        crate::changes::touch(conn, article.place_id)?;
        finish(
            conn,
            actor,
            id,
            now,
            "article.archive",
            format!("《{}》 -> archived", article.title),
        )
    })
}
