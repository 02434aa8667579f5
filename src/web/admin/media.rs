//! The media library in the back office: the upload endpoint (multipart in,
//! JSON out), the library page, and the JSON list the editor's picker reads.
//!
//! The upload answers JSON in every case, errors included, so a script can
//! show the reason; it builds those responses itself (the error middleware
//! would style a plain-text error under `/admin` as an HTML page).

use actix_multipart::{Field, Multipart};
use actix_session::Session;
use actix_web::http::{header, StatusCode};
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::json;

use super::upload::{declared_length, read_field};
use super::{layout, Layout};
use crate::access::{Action, Actor, PlaceScope};
use crate::error::{AppError, AppResult};
use crate::media::{self, Media};
use crate::places::{self, Place};
use crate::web::auth::{check_csrf, CurrentUser};
use crate::web::render;
use crate::web::Pager;
use crate::AppState;

const PER_PAGE: i64 = 24;
/// The picker's list: one page of the newest images.
const PICKER_PER_PAGE: i64 = 200;
/// Room for the multipart framing and the small fields around the file.
const FORM_OVERHEAD: usize = 64 * 1024;
/// The most bytes of a text field (`csrf_token`, `place_id`).
const MAX_TEXT_FIELD: usize = 1024;

/// An error as the upload's JSON: `{"error": reason}` with its status.
fn json_error(e: &AppError) -> HttpResponse {
    let (status, message) = match e {
        AppError::PayloadTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, media::TOO_LARGE.into()),
        AppError::LoginRequired(_) => (StatusCode::UNAUTHORIZED, "请先登录".into()),
        other => {
            let status = actix_web::ResponseError::status_code(other);
            if status.is_server_error() {
                log::error!("media: {other}");
            }
            (status, other.public_message())
        }
    };
    HttpResponse::build(status).json(json!({ "error": message }))
}

fn media_json(m: &Media) -> serde_json::Value {
    json!({
        "id": m.id,
        "url": m.url(),
        "tile_url": m.tile_url(),
        "width": m.full_width,
        "height": m.full_height,
        "tile_width": m.tile_width,
        "tile_height": m.tile_height,
        "name": m.original_name,
    })
}

/// What the upload form sent.
#[derive(Default)]
struct Upload {
    csrf_checked: bool,
    place_id: Option<String>,
    file: Option<(String, Vec<u8>)>,
}

async fn read_text(field: &mut Field) -> AppResult<String> {
    let bytes = read_field(
        field,
        MAX_TEXT_FIELD,
        AppError::BadRequest("表单内容无效".into()),
    )
    .await?;
    String::from_utf8(bytes).map_err(|_| AppError::BadRequest("表单内容无效".into()))
}

/// Streams the form: the file is capped at 20 MB (reading stops there), and
/// the CSRF token is checked as soon as it arrives (before the file, in the
/// page's form), so a forged post is refused before its file is read.
async fn read_upload(session: &Session, mut form: Multipart) -> AppResult<Upload> {
    let mut upload = Upload::default();
    let mut other_bytes = 0usize;
    while let Some(field) = form.next().await {
        let mut field = field
            .map_err(|_| AppError::BadRequest("请用表单上传文件（multipart/form-data）".into()))?;
        let name = field.name().unwrap_or_default().to_string();
        match name.as_str() {
            "csrf_token" => {
                let token = read_text(&mut field).await?;
                check_csrf(session, &token)?;
                upload.csrf_checked = true;
            }
            "place_id" => upload.place_id = Some(read_text(&mut field).await?),
            "file" => {
                if upload.file.is_some() {
                    return Err(AppError::BadRequest("一次只能上传一个文件".into()));
                }
                let file_name = field
                    .content_disposition()
                    .and_then(|cd| cd.get_filename())
                    .unwrap_or_default()
                    .to_string();
                let data = read_field(
                    &mut field,
                    media::MAX_UPLOAD_BYTES,
                    AppError::PayloadTooLarge,
                )
                .await?;
                upload.file = Some((file_name, data));
            }
            _ => {
                // Fields this form does not have: read (a little) and ignore.
                let data = read_field(
                    &mut field,
                    FORM_OVERHEAD,
                    AppError::BadRequest("表单内容无效".into()),
                )
                .await?;
                other_bytes += data.len();
                if other_bytes > FORM_OVERHEAD {
                    return Err(AppError::BadRequest("表单内容无效".into()));
                }
            }
        }
    }
    Ok(upload)
}

/// POST /admin/media: one image into a place's library (the user's own
/// place unless `place_id` names another they may edit).
#[post("/admin/media")]
async fn upload_media(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    me: Option<CurrentUser>,
    form: Multipart,
) -> HttpResponse {
    match upload_inner(req, session, state, me, form).await {
        Ok(m) => HttpResponse::Ok().json(media_json(&m)),
        Err(e) => json_error(&e),
    }
}

async fn upload_inner(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    me: Option<CurrentUser>,
    form: Multipart,
) -> AppResult<Media> {
    let me = me.ok_or(AppError::LoginRequired(None))?;
    // A declared length far past the limit is refused before reading.
    if declared_length(&req).is_some_and(|n| n > (media::MAX_UPLOAD_BYTES + FORM_OVERHEAD) as u64) {
        return Err(AppError::PayloadTooLarge);
    }
    let upload = read_upload(&session, form).await?;
    if !upload.csrf_checked {
        check_csrf(&session, "")?;
    }
    let Some((file_name, bytes)) = upload.file else {
        return Err(AppError::BadRequest("没有收到文件（表单字段 file）".into()));
    };
    let place_id = match upload.place_id.as_deref().map(str::trim) {
        None | Some("") => me.user.place_id,
        Some(s) => s
            .parse::<i64>()
            .map_err(|_| AppError::BadRequest("place_id 无效".into()))?,
    };
    // Permission first (cheap); then the decoding, without holding a
    // database connection; then one write transaction.
    let actor = me.actor.clone();
    state
        .db
        .run(move |c| media::authorize(c, &actor, place_id).map(|_| ()))
        .await?;
    let prepared = web::block(move || media::prepare(&bytes))
        .await
        .map_err(AppError::because("image task failed"))??;
    let actor = me.actor;
    state
        .db
        .run(move |c| media::store(c, &actor, place_id, &file_name, &prepared))
        .await
}

/// The places whose library this actor may add to: their own place and the
/// townships and villages under it, where allowed.
fn editable_places(conn: &mut crate::db::DbConn, actor: &Actor) -> AppResult<Vec<Place>> {
    let mut out: Vec<Place> = Vec::new();
    let add = |place: Place, scope: PlaceScope, out: &mut Vec<Place>| {
        if actor.may(Action::EditContent, &scope) && !out.iter().any(|p| p.id == place.id) {
            out.push(place);
        }
    };
    add(places::get(conn, actor.place.id)?, actor.place, &mut out);
    for (township, villages) in places::visible_villages(conn, actor)? {
        let tscope = PlaceScope::township(township.id, township.parent_id);
        add(township.clone(), tscope, &mut out);
        for v in villages {
            let scope = PlaceScope::village(v.id, Some(township.id), township.parent_id);
            add(v, scope, &mut out);
        }
    }
    Ok(out)
}

#[derive(Deserialize)]
struct ListQuery {
    place: Option<i64>,
    page: Option<i64>,
}

struct Row {
    media: Media,
    uploaded: String,
}

#[derive(Template)]
#[template(path = "admin/media.html")]
struct LibraryPage {
    layout: Layout,
    place: Place,
    choices: Vec<Place>,
    rows: Vec<Row>,
    pager: Pager,
    max_bytes: usize,
}

/// GET /admin/media: a place's images as tiles, with the upload form.
#[get("/admin/media")]
async fn library(
    state: web::Data<AppState>,
    me: CurrentUser,
    q: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    let layout = layout(&state, &me, "图片库", "/admin/media").await?;
    let actor = me.actor.clone();
    let place_id = q.place.unwrap_or(me.user.place_id);
    let page = q.page.unwrap_or(1);
    let (place, choices, rows, total) = state
        .db
        .run(move |c| {
            media::authorize(c, &actor, place_id)?;
            let place = places::get(c, place_id)?;
            let choices = editable_places(c, &actor)?;
            let (rows, total) = media::list_for_place(c, place_id, page, PER_PAGE)?;
            Ok((place, choices, rows, total))
        })
        .await?;
    let offset = state.offset;
    let rows = rows
        .into_iter()
        .map(|m| Row {
            uploaded: crate::time::format_local(m.created_at, offset),
            media: m,
        })
        .collect();
    let base = format!("/admin/media?place={}&", place.id);
    render(&LibraryPage {
        layout,
        pager: Pager::new(crate::pager::Pager::new(page, PER_PAGE), total, &base),
        place,
        choices,
        rows,
        max_bytes: media::MAX_UPLOAD_BYTES,
    })
}

/// GET /admin/media.json?place=ID: the newest images of a place for the
/// editor's picker, as a JSON array (`?page=N` for older ones; the total is
/// in `X-Total-Count`).
#[get("/admin/media.json")]
async fn picker_list(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: Option<CurrentUser>,
) -> HttpResponse {
    let Some(me) = me else {
        return json_error(&AppError::LoginRequired(None));
    };
    let Ok(q) = web::Query::<ListQuery>::from_query(req.query_string()) else {
        return json_error(&AppError::BadRequest("地址中的参数无效".into()));
    };
    let actor = me.actor.clone();
    let place_id = q.place.unwrap_or(me.user.place_id);
    let page = q.page.unwrap_or(1);
    let listed = state
        .db
        .run(move |c| {
            media::authorize(c, &actor, place_id)?;
            media::list_for_place(c, place_id, page, PICKER_PER_PAGE)
        })
        .await;
    match listed {
        Ok((rows, total)) => HttpResponse::Ok()
            .insert_header(("X-Total-Count", total.to_string()))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(rows.iter().map(media_json).collect::<Vec<_>>()),
        Err(e) => json_error(&e),
    }
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(upload_media)
        .service(library)
        .service(picker_list);
}
