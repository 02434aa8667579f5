//! The revision history of an article.

use actix_web::{get, web, HttpResponse};
use askama::Template;

use crate::articles::{self, Article};
use crate::error::AppResult;
use crate::web::admin::{layout, Layout};
use crate::web::auth::CurrentUser;
use crate::web::render;
use crate::AppState;

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
pub(super) async fn history_page(
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
