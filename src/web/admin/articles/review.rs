//! The review page of one article, with the approve and reject buttons.

use actix_web::http::StatusCode;
use actix_web::{get, web, HttpResponse};
use askama::Template;

use crate::articles::{self, workflow, Article, RevState, Revision};
use crate::error::AppResult;
use crate::places;
use crate::web::admin::{layout, Layout};
use crate::web::auth::CurrentUser;
use crate::web::render_status;
use crate::AppState;

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

pub(super) async fn review_page(
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
pub(super) async fn review_form(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    review_page(&state, &me, id.into_inner(), None, StatusCode::OK).await
}
