//! Writing and reviewing articles: list, editor, workflow buttons, TV
//! preview and revision history.

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{layout, Layout, Pager};
use crate::access::{Action, Actor, PlaceKind};
use crate::articles::form::{format_duration, format_local};
use crate::articles::{
    self, workflow, Air, Article, ArticleForm, ListFilter, RevState, Revision, Scope, Section,
};
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::places::{self, Place};
use crate::validate::FieldErrors;
use crate::web::auth::{CsrfForm, CurrentUser};
use crate::web::tv::articles::{ArticlePage, VideoPage};
use crate::web::{redirect, render, render_status};
use crate::AppState;

const PER_PAGE: i64 = 20;

/// Places whose articles the actor works on (writes or reviews).
pub fn working_places(conn: &mut DbConn, actor: &Actor) -> AppResult<Vec<Place>> {
    let mut out = Vec::new();
    for kind in [PlaceKind::County, PlaceKind::Township, PlaceKind::Village] {
        for p in places::of_kind(conn, kind)? {
            let scope = places::scope(conn, &p)?;
            if [
                Action::EditContent,
                Action::ReviewContent,
                Action::PublishDirect,
            ]
            .iter()
            .any(|a| actor.may(*a, &scope))
            {
                out.push(p);
            }
        }
    }
    Ok(out)
}

fn ids(places: &[Place]) -> Vec<i64> {
    places.iter().map(|p| p.id).collect()
}

// ---------------------------------------------------------------- list

#[derive(Deserialize, Default)]
struct ListQuery {
    #[serde(default)]
    section: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    village: String,
    #[serde(default)]
    q: String,
    page: Option<String>,
}

struct Row {
    id: i64,
    title: String,
    section: &'static str,
    place: String,
    state: &'static str,
    air: &'static str,
    updated: String,
    author: String,
    /// The status tag's colour class.
    tag: &'static str,
    can_edit: bool,
}

#[derive(Template)]
#[template(path = "admin/articles.html")]
struct ListPage {
    layout: Layout,
    q: ListQuery,
    sections: Vec<(&'static str, &'static str)>,
    places: Vec<Place>,
    counts: Vec<(&'static str, &'static str, i64)>,
    rows: Vec<Row>,
    pager: Pager,
}

const STATES: [(&str, &str); 5] = [
    ("draft", "草稿"),
    ("pending", "待审核"),
    ("published", "已发布"),
    ("rejected", "已退回"),
    ("archived", "已下线"),
];

#[get("/admin/articles")]
async fn list(
    state: web::Data<AppState>,
    me: CurrentUser,
    q: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    let layout = layout(&state, &me, "内容管理", "/admin/articles").await?;
    let q = q.into_inner();
    let filter = ListFilter {
        section: Section::parse(&q.section),
        state: RevState::parse(&q.state),
        archived: q.state == "archived",
        place_id: q.village.parse().ok(),
        text: Some(q.q.trim().to_string()).filter(|t| !t.is_empty()),
    };
    let page: i64 = q.page.as_deref().and_then(|p| p.parse().ok()).unwrap_or(1);
    let actor = me.actor.clone();
    let offset = state.offset;
    let (places, rows, total, counts) = state
        .db
        .run(move |c| {
            let places = working_places(c, &actor)?;
            if places.is_empty() {
                return Err(AppError::forbidden());
            }
            let visible = ids(&places);
            let (rows, total) = articles::list(c, &visible, &filter, page, PER_PAGE)?;
            let mut shown = Vec::with_capacity(rows.len());
            for (a, h) in rows {
                let scope = articles::scope_of(c, &a)?;
                let can_edit = actor.may(workflow::edit_action(a.scope()), &scope);
                shown.push((a, h, can_edit));
            }
            let counts = articles::state_counts(c, &visible)?;
            Ok((places, shown, total, counts))
        })
        .await?;
    let now = crate::time::now();
    let name_of = |id: i64| {
        places
            .iter()
            .find(|p| p.id == id)
            .map_or(String::new(), |p| p.name.clone())
    };
    let rows = rows
        .into_iter()
        .map(|(a, h, can_edit)| {
            let expired = h.state() == RevState::Published && a.air(now) == Air::Expired;
            let (state, tag) = if expired {
                (Air::Expired.label(), "st-expired")
            } else {
                (h.state().label(), tag_class(h.state()))
            };
            Row {
                id: a.id,
                title: h.title.clone(),
                section: a.section().label(),
                place: name_of(a.place_id),
                state,
                air: a.air(now).label(),
                updated: crate::time::format_local(h.updated_at, offset),
                author: h.author_name,
                tag,
                can_edit,
            }
        })
        .collect();
    let counts = STATES
        .iter()
        .map(|(code, label)| {
            let n = counts
                .iter()
                .find(|(k, _)| k == code)
                .map_or(0, |(_, n)| *n);
            (*code, *label, n)
        })
        .collect();
    let base = format!(
        "/admin/articles?section={}&state={}&village={}&q={}&",
        enc(&q.section),
        enc(&q.state),
        enc(&q.village),
        enc(&q.q)
    );
    render(&ListPage {
        layout,
        pager: Pager::new(page, PER_PAGE, total, &base),
        q,
        sections: Section::ALL
            .iter()
            .map(|s| (s.as_str(), s.label()))
            .collect(),
        places,
        counts,
        rows,
    })
}

fn enc(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .map(|s| s.trim_start_matches('=').to_string())
        .unwrap_or_default()
}

// ---------------------------------------------------------------- editor

#[derive(Template)]
#[template(path = "admin/article_form.html")]
struct FormPage {
    layout: Layout,
    article: Option<Article>,
    head: Option<Revision>,
    form: ArticleForm,
    errors: FieldErrors,
    conflict: Option<String>,
    notice: Option<String>,
    sections: Vec<(&'static str, &'static str)>,
    categories: Vec<(&'static str, &'static str)>,
    scopes: Vec<(&'static str, &'static str)>,
    places: Vec<Place>,
    /// Editing: where the content is published (发布范围 stays visible).
    scope_shown: Option<String>,
    editor_js: String,
    can_submit: bool,
    can_review: bool,
    can_archive: bool,
    air: &'static str,
}

impl FormPage {
    fn action(&self) -> String {
        match &self.article {
            Some(a) => format!("/admin/articles/{}", a.id),
            None => "/admin/articles/new".into(),
        }
    }

    fn is_checked(v: &Option<String>) -> bool {
        v.is_some()
    }
}

/// The form filled from a revision.
fn form_from(article: &Article, rev: &Revision, offset: chrono::FixedOffset) -> ArticleForm {
    ArticleForm {
        section: rev.section.clone(),
        category: rev.category.clone().unwrap_or_default(),
        title: rev.title.clone(),
        summary: rev.summary.clone(),
        body: rev.body.clone(),
        publish_at: format_local(rev.publish_at, offset),
        expire_at: format_local(rev.expire_at, offset),
        scope: article.scope.clone(),
        place_id: Some(article.place_id),
        pinned: rev.pinned.then(|| "on".into()),
        urgent: rev.urgent.then(|| "on".into()),
        video_url: rev.video_url.clone().unwrap_or_default(),
        poster_media_id: rev.poster_media_id,
        duration: rev
            .duration_seconds
            .map(format_duration)
            .unwrap_or_default(),
        version: Some(article.version as i64),
    }
}

struct PageParts {
    form: ArticleForm,
    errors: FieldErrors,
    conflict: Option<String>,
    notice: Option<String>,
}

async fn form_page(
    state: &AppState,
    me: &CurrentUser,
    id: Option<i64>,
    parts: PageParts,
) -> AppResult<FormPage> {
    let actor = me.actor.clone();
    let (places, loaded) = state
        .db
        .run(move |c| {
            let places = working_places(c, &actor)?;
            let loaded = match id {
                Some(id) => {
                    let a = articles::get_for(c, &actor, id)?;
                    let h = articles::head(c, &a)?;
                    let scope = articles::scope_of(c, &a)?;
                    let place = places::get(c, a.place_id)?.name;
                    Some((a, h, scope, place))
                }
                None => None,
            };
            Ok((places, loaded))
        })
        .await?;
    let title = if id.is_some() {
        "编辑内容"
    } else {
        "写新内容"
    };
    let now = crate::time::now();
    let scope_shown = loaded.as_ref().map(|(a, _, _, place)| {
        let label = match a.scope() {
            Scope::Village => "本村",
            Scope::Township => "全乡镇",
            Scope::County => "全县",
        };
        format!("{label} · {place}")
    });
    let (article, head, can_submit, can_review, can_archive, air) = match loaded {
        Some((a, h, scope, _)) => {
            let can_edit = me.actor.may(workflow::edit_action(a.scope()), &scope);
            let can_review = me.actor.may(workflow::review_action(a.scope()), &scope);
            (
                Some(a.clone()),
                Some(h.clone()),
                can_edit && h.state() == RevState::Draft,
                can_review && h.state() == RevState::Pending,
                (can_edit || can_review) && !a.archived,
                a.air(now).label(),
            )
        }
        None => (None, None, false, false, false, ""),
    };
    Ok(FormPage {
        layout: layout(state, me, title, "/admin/articles").await?,
        article,
        head,
        form: parts.form,
        errors: parts.errors,
        conflict: parts.conflict,
        notice: parts.notice,
        sections: Section::ALL
            .iter()
            .map(|s| (s.as_str(), s.label()))
            .collect(),
        categories: articles::PARTY_CATEGORIES.to_vec(),
        scopes: scopes_for(&me.actor),
        places,
        scope_shown,
        editor_js: crate::web::assets::url("editor.js"),
        can_submit,
        can_review,
        can_archive,
        air,
    })
}

/// The scopes the actor may publish in: a clerk only their village.
/// The colour class of a status tag (admin.css).
fn tag_class(state: RevState) -> &'static str {
    match state {
        RevState::Draft => "st-draft",
        RevState::Pending => "st-pending",
        RevState::Published => "st-published",
        RevState::Rejected => "st-rejected",
        RevState::Superseded => "st-superseded",
    }
}

fn scopes_for(actor: &Actor) -> Vec<(&'static str, &'static str)> {
    let mut scopes = vec![("village", "本村")];
    if actor.may(Action::PublishDirect, &actor.place) {
        scopes.push(("township", "全乡镇"));
        if actor.place.kind == PlaceKind::County {
            scopes.push(("county", "全县"));
        }
    }
    scopes
}

#[derive(Deserialize)]
struct NewQuery {
    section: Option<String>,
}

#[get("/admin/articles/new")]
async fn new_form(
    state: web::Data<AppState>,
    me: CurrentUser,
    q: web::Query<NewQuery>,
) -> AppResult<HttpResponse> {
    let form = ArticleForm {
        section: q
            .section
            .clone()
            .filter(|s| Section::parse(s).is_some())
            .unwrap_or_else(|| "notices".into()),
        scope: if me.actor.place.kind == PlaceKind::Village {
            "village"
        } else {
            "township"
        }
        .into(),
        ..ArticleForm::default()
    };
    let parts = PageParts {
        form,
        errors: FieldErrors::new(),
        conflict: None,
        notice: None,
    };
    render(&form_page(&state, &me, None, parts).await?)
}

#[post("/admin/articles/new")]
async fn create(
    state: web::Data<AppState>,
    me: CurrentUser,
    form: CsrfForm<ArticleForm>,
) -> AppResult<HttpResponse> {
    let CsrfForm(form) = form;
    let (actor, submitted, offset) = (me.actor.clone(), form.clone(), state.offset);
    match state
        .db
        .run(move |c| workflow::create(c, &actor, &submitted, offset))
        .await
    {
        Ok(a) => Ok(redirect(&format!("/admin/articles/{}?saved=1", a.id))),
        Err(AppError::Invalid(errors)) => {
            let parts = PageParts {
                form,
                errors,
                conflict: None,
                notice: None,
            };
            render_status(
                StatusCode::BAD_REQUEST,
                &form_page(&state, &me, None, parts).await?,
            )
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
struct Saved {
    saved: Option<String>,
}

fn notice_for(saved: Option<&str>) -> Option<String> {
    match saved? {
        "submit" => Some("已提交审核，乡镇审核通过后才会在电视上显示".into()),
        "approve" => Some("已审核通过".into()),
        "reject" => Some("已退回".into()),
        "archive" => Some("已下线，电视上不再显示".into()),
        "publish" => Some("已发布".into()),
        _ => Some("已保存".into()),
    }
}

#[get("/admin/articles/{id}")]
async fn edit_form(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
    q: web::Query<Saved>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let actor = me.actor.clone();
    let (a, h) = state
        .db
        .run(move |c| {
            let a = articles::get_for(c, &actor, id)?;
            let h = articles::head(c, &a)?;
            Ok((a, h))
        })
        .await?;
    let parts = PageParts {
        form: form_from(&a, &h, state.offset),
        errors: FieldErrors::new(),
        conflict: None,
        notice: notice_for(q.saved.as_deref()),
    };
    render(&form_page(&state, &me, Some(id), parts).await?)
}

#[post("/admin/articles/{id}")]
async fn update(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
    form: CsrfForm<ArticleForm>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let CsrfForm(form) = form;
    let (actor, submitted, offset) = (me.actor.clone(), form.clone(), state.offset);
    let outcome = state
        .db
        .run(move |c| workflow::update(c, &actor, id, &submitted, offset))
        .await;
    // On a refusal the user's text is shown again as they wrote it.
    let (status, parts) = match outcome {
        Ok(_) => return Ok(redirect(&format!("/admin/articles/{id}?saved=1"))),
        Err(AppError::Invalid(errors)) => (
            StatusCode::BAD_REQUEST,
            PageParts {
                form,
                errors,
                conflict: None,
                notice: None,
            },
        ),
        Err(AppError::Conflict(message)) => (
            StatusCode::CONFLICT,
            PageParts {
                form,
                errors: FieldErrors::new(),
                conflict: Some(message),
                notice: None,
            },
        ),
        Err(e) => return Err(e),
    };
    render_status(status, &form_page(&state, &me, Some(id), parts).await?)
}

// ---------------------------------------------------------------- transitions

#[derive(Deserialize)]
struct ActForm {
    #[serde(default, deserialize_with = "crate::validate::optional_id")]
    version: Option<i64>,
    #[serde(default)]
    reason: String,
}

async fn act(
    state: &AppState,
    me: &CurrentUser,
    id: i64,
    what: &'static str,
    form: ActForm,
) -> AppResult<HttpResponse> {
    let actor = me.actor.clone();
    let outcome = state
        .db
        .run(move |c| match what {
            "submit" => workflow::submit(c, &actor, id, form.version),
            "approve" => workflow::approve(c, &actor, id, form.version),
            "reject" => workflow::reject(c, &actor, id, &form.reason, form.version),
            _ => workflow::archive(c, &actor, id, form.version),
        })
        .await;
    match outcome {
        Ok(a) => {
            let done = if what == "submit"
                && a.live_revision_id.is_some()
                && a.scope() != articles::Scope::Village
            {
                "publish"
            } else {
                what
            };
            let to = if matches!(what, "approve" | "reject") {
                "/admin".to_string()
            } else {
                format!("/admin/articles/{id}")
            };
            Ok(redirect(&format!("{to}?saved={done}")))
        }
        Err(AppError::Invalid(errors)) => {
            let message = errors
                .get("reason")
                .unwrap_or("请检查填写的内容")
                .to_string();
            review_page(state, me, id, Some(message), StatusCode::BAD_REQUEST).await
        }
        Err(e) => Err(e),
    }
}

macro_rules! transition {
    ($name:ident, $path:literal, $what:literal) => {
        #[post($path)]
        async fn $name(
            state: web::Data<AppState>,
            me: CurrentUser,
            id: web::Path<i64>,
            form: CsrfForm<ActForm>,
        ) -> AppResult<HttpResponse> {
            act(&state, &me, id.into_inner(), $what, form.0).await
        }
    };
}

transition!(submit, "/admin/articles/{id}/submit", "submit");
transition!(approve, "/admin/articles/{id}/approve", "approve");
transition!(reject, "/admin/articles/{id}/reject", "reject");
transition!(archive, "/admin/articles/{id}/archive", "archive");

// ---------------------------------------------------------------- preview, review, history

#[derive(Deserialize)]
struct PreviewQuery {
    rev: Option<i64>,
    p: Option<String>,
}

/// The TV page of a revision (the head by default), exactly as a box shows it.
#[get("/admin/articles/{id}/tv")]
async fn tv_preview(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
    q: web::Query<PreviewQuery>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let actor = me.actor.clone();
    let rev_id = q.rev;
    let (a, rev, village, township) = state
        .db
        .run(move |c| {
            let a = articles::get_for(c, &actor, id)?;
            let rev = match rev_id {
                Some(r) => articles::revision(c, r)
                    .ok()
                    .filter(|r| r.article_id == a.id)
                    .ok_or_else(|| AppError::not_found("这个版本"))?,
                None => articles::head(c, &a)?,
            };
            // Shown as in the article's own place (for township content, its township).
            let mut rev = rev;
            rev.body = articles::tv_body(c, &rev.body, false)?;
            let place = places::get(c, a.place_id)?;
            let parent = match place.parent_id {
                Some(p) => Some(places::get(c, p)?),
                None => None,
            };
            Ok((a, rev, place, parent))
        })
        .await?;
    let p = q.p.as_deref().and_then(|p| p.parse().ok()).unwrap_or(1);
    let frame =
        crate::web::tv::Frame::village(&state, &village, township.as_ref(), &rev.title, "#".into());
    // A video is reviewed on the page boxes will play it from.
    if let (Some(Section::Videos), Some(src)) =
        (Section::parse(&rev.section), rev.video_url.as_deref())
    {
        return render(&VideoPage::new(frame, &a, &rev, src, state.offset));
    }
    let base = match q.rev {
        Some(r) => format!("/admin/articles/{id}/tv?rev={r}"),
        None => format!("/admin/articles/{id}/tv"),
    };
    render(&ArticlePage::new(frame, &a, &rev, p, &base, state.offset))
}

#[derive(Template)]
#[template(path = "admin/article_review.html")]
struct ReviewPage {
    layout: Layout,
    article: Article,
    head: Revision,
    place: String,
    can_review: bool,
    can_edit: bool,
    error: Option<String>,
}

async fn review_page(
    state: &AppState,
    me: &CurrentUser,
    id: i64,
    error: Option<String>,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let actor = me.actor.clone();
    let (article, head, place, can_review, can_edit) = state
        .db
        .run(move |c| {
            let a = articles::get_for(c, &actor, id)?;
            let h = articles::head(c, &a)?;
            let scope = articles::scope_of(c, &a)?;
            let place = places::get(c, a.place_id)?.name;
            let may_review = actor.may(workflow::review_action(a.scope()), &scope);
            let may_edit = actor.may(workflow::edit_action(a.scope()), &scope);
            Ok((a, h, place, may_review, may_edit))
        })
        .await?;
    let page = ReviewPage {
        layout: layout(state, me, "审核预览", "/admin/review").await?,
        can_edit,
        can_review: can_review && head.state() == RevState::Pending,
        article,
        head,
        place,
        error,
    };
    render_status(status, &page)
}

#[get("/admin/articles/{id}/review")]
async fn review_form(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    review_page(&state, &me, id.into_inner(), None, StatusCode::OK).await
}

struct HistoryRow {
    id: i64,
    number: i32,
    state: &'static str,
    title: String,
    author: String,
    at: String,
    reviewer: String,
    reviewed_at: String,
    reason: String,
    live: bool,
}

#[derive(Template)]
#[template(path = "admin/article_history.html")]
struct HistoryPage {
    layout: Layout,
    article: Article,
    rows: Vec<HistoryRow>,
}

#[get("/admin/articles/{id}/history")]
async fn history_page(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let actor = me.actor.clone();
    let (article, revs) = state
        .db
        .run(move |c| {
            let a = articles::get_for(c, &actor, id)?;
            let revs = articles::history(c, id)?;
            Ok((a, revs))
        })
        .await?;
    let offset = state.offset;
    let rows = revs
        .into_iter()
        .map(|r| HistoryRow {
            id: r.id,
            number: r.number,
            state: r.state().label(),
            title: r.title.clone(),
            author: r.author_name.clone(),
            at: crate::time::format_local(r.updated_at, offset),
            reviewer: r.reviewer_name.clone().unwrap_or_default(),
            reviewed_at: r
                .reviewed_at
                .map(|t| crate::time::format_local(t, offset))
                .unwrap_or_default(),
            reason: r.reason.clone().unwrap_or_default(),
            live: article.live_revision_id == Some(r.id),
        })
        .collect();
    render(&HistoryPage {
        layout: layout(&state, &me, "历史版本", "/admin/articles").await?,
        article,
        rows,
    })
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list)
        .service(new_form)
        .service(create)
        .service(tv_preview)
        .service(review_form)
        .service(history_page)
        .service(edit_form)
        .service(update)
        .service(review_queue)
        .service(submit)
        .service(approve)
        .service(reject)
        .service(archive);
}

// ---------------------------------------------------------------- the review queue

#[derive(Template)]
#[template(path = "admin/review.html")]
struct QueuePage {
    layout: Layout,
    desk: Desk,
}

/// 审核: what waits for the reviewer, newest first, and what they sent back.
#[get("/admin/review")]
async fn review_queue(state: web::Data<AppState>, me: CurrentUser) -> AppResult<HttpResponse> {
    let mut desk = desk(&state, &me).await?;
    desk.pending.reverse();
    render(&QueuePage {
        layout: layout(&state, &me, "审核", "/admin/review").await?,
        desk,
    })
}

// ---------------------------------------------------------------- the desk on the dashboard

pub struct DeskRow {
    pub id: i64,
    pub title: String,
    pub place: String,
    pub author: String,
    pub when: String,
    pub reason: String,
    /// The viewer may edit it (else no 修改 link).
    pub can_edit: bool,
}

/// What waits for the user: pending items to review (oldest first), their
/// own rejected items with the reason, and scheduled publications.
#[derive(Default)]
pub struct Desk {
    pub pending: Vec<DeskRow>,
    pub rejected: Vec<DeskRow>,
    pub scheduled: Vec<DeskRow>,
    /// Branch meeting records (三会一课) waiting for the township's
    /// confirmation before TVs show them; the link opens the record.
    pub meetings: Vec<DeskRow>,
}

pub async fn desk(state: &AppState, me: &CurrentUser) -> AppResult<Desk> {
    let actor = me.actor.clone();
    let offset = state.offset;
    state
        .db
        .run(move |c| {
            let places = working_places(c, &actor)?;
            let mut review = Vec::new();
            let mut write = Vec::new();
            for p in &places {
                let scope = places::scope(c, p)?;
                if actor.may(Action::ReviewContent, &scope) {
                    review.push(p.id);
                }
                if actor.may(Action::EditContent, &scope) {
                    write.push(p.id);
                }
            }
            let name = |id: i64| {
                places
                    .iter()
                    .find(|p| p.id == id)
                    .map_or(String::new(), |p| p.name.clone())
            };
            let editable = |c: &mut crate::db::DbConn, a: &Article| -> AppResult<bool> {
                let scope = articles::scope_of(c, a)?;
                Ok(actor.may(workflow::edit_action(a.scope()), &scope))
            };
            let row = |a: &Article, h: &Revision, when, can_edit| DeskRow {
                id: a.id,
                title: h.title.clone(),
                place: name(a.place_id),
                author: h.author_name.clone(),
                when: crate::time::format_local(when, offset),
                reason: h.reason.clone().unwrap_or_default(),
                can_edit,
            };
            let now = crate::time::now();
            let mut pending = Vec::new();
            if actor.role != crate::access::Role::Clerk {
                for (a, h) in articles::pending(c, &review)? {
                    let e = editable(c, &a)?;
                    pending.push(row(&a, &h, h.updated_at, e));
                }
            }
            // Rejected: what the writer must fix, and for a reviewer what
            // they sent back.
            let mut places_rejected = write.clone();
            places_rejected.extend(review.iter().filter(|p| !write.contains(p)));
            let mut rejected = Vec::new();
            for (a, h) in articles::heads_in_state(c, &places_rejected, RevState::Rejected, 20)? {
                let e = editable(c, &a)?;
                rejected.push(row(&a, &h, h.reviewed_at.unwrap_or(h.updated_at), e));
            }
            let mut scheduled = Vec::new();
            for a in articles::scheduled(c, &write, now)? {
                let h = articles::head(c, &a)?;
                let e = editable(c, &a)?;
                scheduled.push(row(&a, &h, a.publish_at.unwrap_or(now), e));
            }
            let mut meetings = Vec::new();
            if actor.role != crate::access::Role::Clerk {
                for m in crate::roster::life::unconfirmed(c, &review)? {
                    meetings.push(DeskRow {
                        id: m.id,
                        title: crate::text::cut(&format!("{} · {}", m.kind_label(), m.topics), 40),
                        place: name(m.village_id),
                        author: m.recorder.clone(),
                        when: m.held_on.clone(),
                        reason: String::new(),
                        can_edit: false,
                    });
                }
            }
            Ok(Desk {
                pending,
                rejected,
                scheduled,
                meetings,
            })
        })
        .await
}
