//! The JSON API for machines (health kiosks, camera systems) and monitors.

mod articles;
mod cameras;
mod health;

use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};
use diesel::connection::SimpleConnection;
use serde_json::json;

use crate::error::AppError;
use crate::AppState;

/// 200 `{"status":"ok"}` when the database answers, 503 with the reason otherwise.
#[get("/healthz")]
async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    let probe = state
        .db
        .run(|conn| {
            conn.batch_execute("SELECT 1")
                .map_err(|e| AppError::Unavailable(e.to_string()))
        })
        .await;
    match probe {
        Ok(()) => HttpResponse::Ok().json(serde_json::json!({"status": "ok"})),
        Err(e) => {
            log::error!("health check failed: {e}");
            HttpResponse::ServiceUnavailable()
                .json(serde_json::json!({"status": "error", "reason": "database unavailable"}))
        }
    }
}

pub(super) fn unauthorized(reason: &str) -> HttpResponse {
    HttpResponse::Unauthorized()
        .insert_header((header::WWW_AUTHENTICATE, "Bearer"))
        .json(json!({"error": reason, "status": 401}))
}

pub(super) fn refused(status: actix_web::http::StatusCode, reason: String) -> HttpResponse {
    HttpResponse::build(status).json(json!({"error": reason, "status": status.as_u16()}))
}

/// The token of `Authorization: Bearer <token>`.
pub(super) fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
        .filter(|t| !t.is_empty())
}

/// This instance's TV page cache counters, for monitors and the benchmark
/// (hit rate, bytes kept); no content, nothing secret.
#[get("/healthz/cache")]
async fn cache_stats(state: web::Data<AppState>) -> HttpResponse {
    let s = state.tv_cache.stats();
    HttpResponse::Ok().json(serde_json::json!({
        "hits": s.hits,
        "stale": s.stale,
        "misses": s.misses,
        "waits": s.waits,
        "pages": s.pages,
        "bytes": s.bytes,
        "views": s.views,
        "flushes": s.flushes,
    }))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(healthz)
        .service(cache_stats)
        .configure(articles::routes)
        .configure(health::routes)
        .configure(cameras::routes);
}
