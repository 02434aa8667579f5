//! `GET /api/v1/villages/{village}/articles`: what the village's TVs show,
//! as JSON. Only content on air now; drafts, pending edits and expired
//! content never appear.

use actix_web::{get, web, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::articles::{self, sanitize};
use crate::error::{AppError, AppResult};
use crate::pager::Pager;
use crate::places;
use crate::AppState;

const MAX_PER_PAGE: i64 = 100;

#[derive(Deserialize)]
struct Query {
    page: Option<i64>,
    per_page: Option<i64>,
}

#[derive(Serialize)]
struct Item {
    id: i64,
    section: String,
    category: Option<String>,
    scope: String,
    title: String,
    summary: String,
    /// Sanitised HTML of the live revision.
    body_html: String,
    text: String,
    pinned: bool,
    urgent: bool,
    published_at: Option<String>,
    expire_at: Option<String>,
    video_url: Option<String>,
    tv_url: String,
}

#[derive(Serialize)]
struct Page {
    village: String,
    page: i64,
    per_page: i64,
    total: i64,
    articles: Vec<Item>,
}

#[get("/api/v1/villages/{village}/articles")]
async fn list(
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: web::Query<Query>,
) -> AppResult<HttpResponse> {
    let code = path.into_inner();
    let pager = Pager::new(
        q.page.unwrap_or(1),
        q.per_page.unwrap_or(20).clamp(1, MAX_PER_PAGE),
    );
    let now = crate::time::now();
    let offset = state.offset;
    let lookup = code.clone();
    let (rows, total) = state
        .db
        .run(move |conn| {
            if crate::validate::code(&lookup, "").is_err() {
                return Err(AppError::NotFound(format!("unknown village '{lookup}'")));
            }
            // Only an unknown village is a 404; a database outage stays a 5xx.
            let village = match places::village_by_code(conn, &lookup) {
                Err(AppError::UnknownVillage) => {
                    return Err(AppError::NotFound(format!("unknown village '{lookup}'")))
                }
                other => other?,
            };
            let scope = places::scope(conn, &village)?;
            articles::on_air_all(conn, &scope, now, pager.page(), pager.per_page())
        })
        .await?;
    let time = |t: chrono::NaiveDateTime| crate::time::to_local(t, offset).to_rfc3339();
    let articles = rows
        .into_iter()
        .map(|(a, rev)| Item {
            id: a.id,
            section: a.section.clone(),
            category: a.category.clone(),
            scope: a.scope.clone(),
            title: rev.title.clone(),
            summary: rev.summary.clone(),
            text: sanitize::plain_text(&rev.body),
            body_html: rev.body,
            pinned: a.pinned,
            urgent: a.urgent,
            published_at: a.published_at.map(time),
            expire_at: a.expire_at.map(time),
            video_url: rev.video_url,
            tv_url: format!("/tv/v/{code}/a/{}", a.id),
        })
        .collect();
    Ok(HttpResponse::Ok().json(Page {
        village: code,
        page: pager.page(),
        per_page: pager.per_page(),
        total,
        articles,
    }))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list);
}
