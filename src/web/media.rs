//! The media library's renditions: served from the database with their hash
//! as ETag; public ones (TV pages show them) cached for a year, since the
//! bytes behind an address never change.

use actix_web::http::header;
use actix_web::{get, web, FromRequest, HttpRequest, HttpResponse};

use crate::access::Action;
use crate::error::{AppError, AppResult};
use crate::lectures::Audience;
use crate::media::{self, Rendition};
use crate::places;
use crate::web::auth::CurrentUser;
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
/// A medium no live content uses yet: for the signed-in user only.
const PRIVATE: &str = "private, no-store";

/// A rendition. A medium is public once live content uses it (see
/// `media::make_public`); before that only signed-in back-office users who
/// may see its place get it (the editor, the review desk), everyone else a
/// 404 as for an unknown one. Its own addresses carry a random token, so
/// they cannot be guessed from another's.
#[get("/media/{key}/{kind}")]
pub async fn serve(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (key, kind) = path.into_inner();
    let not_found = || AppError::not_found("这张图片");
    let kind = Rendition::parse(&kind).ok_or_else(not_found)?;
    let key = media::Key::parse(&key).ok_or_else(not_found)?;
    let (id, place_id, public) = state.db.run(move |c| media::visibility(c, &key)).await?;
    if !public && !back_office_sees(&req, &state, place_id).await? {
        return Err(not_found());
    }
    let cache = if public { IMMUTABLE } else { PRIVATE };
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
                .insert_header((header::CACHE_CONTROL, cache))
                .finish());
        }
    }
    let stored = state.db.run(move |c| media::rendition(c, id, kind)).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag_of(&stored.sha256)))
        .insert_header((header::CACHE_CONTROL, cache))
        .content_type(stored.content_type)
        .body(stored.data))
}

/// Whether a signed-in back-office user may see what belongs to `place_id`
/// (media nothing live shows yet). Only then the session is read: public
/// media never touch (or set) it.
async fn back_office_sees(req: &HttpRequest, state: &AppState, place_id: i64) -> AppResult<bool> {
    let Ok(me) = CurrentUser::extract(req).await else {
        return Ok(false);
    };
    state
        .db
        .run(move |c| {
            Ok(me
                .actor
                .may(Action::ViewPlace, &places::scope_of(c, place_id)?))
        })
        .await
}

/// A lecture's HLS files (`lectures`): the playlist and its segments never
/// change once made, so boxes may keep them. An upload no live article
/// plays yet is for the back office only, as images are.
#[get("/media/video/{stream}/{name}")]
pub async fn video(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (stream, name) = path.into_inner();
    let not_found = || AppError::not_found("这个视频");
    let content_type = crate::lectures::content_type(&name);
    let (audience, data) = {
        let stream = stream.clone();
        let name = name.clone();
        state
            .db
            .run(move |c| match crate::lectures::audience(c, &stream)? {
                // One round trip for what boxes play.
                Audience::Everyone => Ok((
                    Audience::Everyone,
                    crate::lectures::file(c, &stream, &name)?,
                )),
                private => Ok((private, None)),
            })
            .await?
    };
    let (cache, data) = match audience {
        Audience::Everyone => ("public, max-age=86400", data),
        Audience::Place(place_id) if back_office_sees(&req, &state, place_id).await? => (
            PRIVATE,
            state
                .db
                .run(move |c| crate::lectures::file(c, &stream, &name))
                .await?,
        ),
        Audience::Place(_) => return Err(not_found()),
    };
    let data = data.ok_or_else(not_found)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, cache))
        .content_type(content_type)
        .body(data))
}
