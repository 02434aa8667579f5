//! The media library's renditions, public (TV pages show them): served from
//! the database with their hash as ETag and cached for a year, since the
//! bytes behind an address never change.

use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};

use crate::error::{AppError, AppResult};
use crate::media::{self, Rendition};
use crate::AppState;

/// Whether an `If-None-Match` header names this ETag (or `*`).
fn matches(req: &HttpRequest, etag: &str) -> bool {
    req.headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .map(|t| t.trim().trim_start_matches("W/"))
                .any(|t| t == etag || t == "*")
        })
}

fn etag_of(sha: &str) -> String {
    format!("\"{sha}\"")
}

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

#[get("/media/{id}/{kind}")]
pub async fn serve(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(i64, String)>,
) -> AppResult<HttpResponse> {
    let (id, kind) = path.into_inner();
    let kind = Rendition::parse(&kind).ok_or_else(|| AppError::not_found("这张图片"))?;
    // A revalidation needs only the hash, not the bytes.
    if req.headers().contains_key(header::IF_NONE_MATCH) {
        let sha = state
            .db
            .run(move |c| media::rendition_sha(c, id, kind))
            .await?;
        let etag = etag_of(&sha);
        if matches(&req, &etag) {
            return Ok(HttpResponse::NotModified()
                .insert_header((header::ETAG, etag))
                .insert_header((header::CACHE_CONTROL, IMMUTABLE))
                .finish());
        }
    }
    let stored = state.db.run(move |c| media::rendition(c, id, kind)).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag_of(&stored.sha256)))
        .insert_header((header::CACHE_CONTROL, IMMUTABLE))
        .content_type(stored.content_type)
        .body(stored.data))
}

/// A lecture's HLS files (`lectures`): the playlist and its segments never
/// change once made, so boxes may keep them.
#[get("/media/video/{stream}/{name}")]
pub async fn video(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (stream, name) = path.into_inner();
    let content_type = crate::lectures::content_type(&name);
    let data = state
        .db
        .run(move |c| crate::lectures::file(c, &stream, &name))
        .await?
        .ok_or_else(|| AppError::not_found("这个视频"))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .content_type(content_type)
        .body(data))
}
