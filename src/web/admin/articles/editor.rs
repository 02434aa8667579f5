//! The article editor: the form for a new article and for the head revision
//! of an existing one, and saving it.

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::working_places;
use crate::access::{Action, Actor, PlaceKind};
use crate::articles::form::{format_duration, format_local};
use crate::articles::{self, workflow, Article, ArticleForm, RevState, Revision, Scope, Section};
use crate::error::{AppError, AppResult};
use crate::places::{self, Place};
use crate::validate::FieldErrors;
use crate::web::admin::{field_errors, invalid, layout, Layout};
use crate::web::auth::{CsrfForm, CurrentUser};
use crate::web::{redirect, render, render_status};
use crate::AppState;

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
pub(super) async fn new_form(
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
pub(super) async fn create(
    state: web::Data<AppState>,
    me: CurrentUser,
    form: CsrfForm<ArticleForm>,
) -> AppResult<HttpResponse> {
    let CsrfForm(form) = form;
    let (actor, submitted, offset) = (me.actor.clone(), form.clone(), state.offset);
    let created = state
        .db
        .run(move |c| workflow::create(c, &actor, &submitted, offset))
        .await;
    match field_errors(created)? {
        Ok(a) => Ok(redirect(&format!("/admin/articles/{}?saved=1", a.id))),
        Err(errors) => {
            let parts = PageParts {
                form,
                errors,
                conflict: None,
                notice: None,
            };
            invalid(&form_page(&state, &me, None, parts).await?)
        }
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
pub(super) async fn edit_form(
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
pub(super) async fn update(
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
