//! Camera systems report status: `POST /api/v1/cameras/{id}/status` with a
//! bearer token and `{"online": bool, "reason": "..."}`, and ZLMediaKit's
//! `on_stream_changed` hook (which cannot send headers, so its token rides
//! in the hook address: `?token=`). A system may report only on the cameras
//! of its own township (or county).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::{bearer, refused, unauthorized};
use crate::cameras::{self, status, systems};
use crate::error::AppResult;
use crate::AppState;

const MAX_BODY_BYTES: usize = 16 * 1024;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusBody {
    online: bool,
    #[serde(default)]
    reason: Option<String>,
}

/// What the route answers when the system may not touch the camera.
enum Refusal {
    Unknown,
    NotYours,
}

/// Applies a reported status, checking the camera belongs to the system.
async fn apply(
    state: &AppState,
    system: systems::System,
    camera_id: i64,
    online: bool,
    reason: Option<String>,
) -> AppResult<Result<cameras::Camera, Refusal>> {
    state
        .db
        .run(move |conn| {
            let Ok(camera) = cameras::get(conn, camera_id) else {
                return Ok(Err(Refusal::Unknown));
            };
            if !systems::covers(conn, &system, camera.village_id)? {
                return Ok(Err(Refusal::NotYours));
            }
            let camera = status::report(
                conn,
                camera_id,
                online,
                reason.as_deref(),
                crate::time::now(),
            )?;
            Ok(Ok(camera))
        })
        .await
}

async fn system_of(state: &AppState, token: String) -> AppResult<Option<systems::System>> {
    state
        .db
        .run(move |conn| systems::by_token(conn, &token))
        .await
}

async fn camera_status(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let Some(token) = bearer(&req) else {
        return Ok(unauthorized(
            "缺少令牌：请在 Authorization 头中提供 Bearer 令牌",
        ));
    };
    let Some(system) = system_of(&state, token).await? else {
        return Ok(unauthorized("令牌无效"));
    };
    let Some(camera_id) = path.parse::<i64>().ok().filter(|n| *n > 0) else {
        return Ok(refused(StatusCode::NOT_FOUND, "没有这个摄像头".into()));
    };
    let body: StatusBody = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => {
            return Ok(refused(
                StatusCode::BAD_REQUEST,
                format!("JSON 格式错误：{e}"),
            ))
        }
    };
    if let Some(reason) = &body.reason {
        if reason.chars().count() > 100 || reason.chars().any(char::is_control) {
            return Ok(refused(
                StatusCode::BAD_REQUEST,
                "reason 最多 100 个字，且不能含控制字符".into(),
            ));
        }
    }
    Ok(
        match apply(&state, system, camera_id, body.online, body.reason).await? {
            Ok(camera) => HttpResponse::Ok().json(json!({
                "id": camera.id,
                "status": camera.status,
                "reason": camera.status_reason,
            })),
            Err(Refusal::Unknown) => refused(StatusCode::NOT_FOUND, "没有这个摄像头".into()),
            Err(Refusal::NotYours) => refused(
                StatusCode::FORBIDDEN,
                "这个摄像头不归这个摄像头系统管".into(),
            ),
        },
    )
}

/// ZLMediaKit's `on_stream_changed` body (the fields used here).
#[derive(Deserialize)]
struct StreamChanged {
    regist: bool,
    #[serde(default)]
    schema: String,
    stream: String,
}

#[derive(Deserialize)]
struct HookQuery {
    token: Option<String>,
}

/// ZLMediaKit answers are `{"code": 0, "msg": "success"}`; anything else it logs.
fn zlm(code: i32, msg: &str, status: StatusCode) -> HttpResponse {
    HttpResponse::build(status).json(json!({"code": code, "msg": msg}))
}

/// `hook.on_stream_changed=http://PORTAL/api/v1/hooks/zlmediakit/on_stream_changed?token=TOKEN`:
/// the stream id names the camera (`42` or `cam42`). ZLMediaKit sends one
/// hook per protocol; the RTSP one (or any, when the schema is missing) counts.
async fn zlm_stream_changed(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<HookQuery>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let token = bearer(&req).or_else(|| query.into_inner().token);
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return Ok(zlm(-1, "缺少令牌（?token=）", StatusCode::UNAUTHORIZED));
    };
    let Some(system) = system_of(&state, token).await? else {
        return Ok(zlm(-1, "令牌无效", StatusCode::UNAUTHORIZED));
    };
    let hook: StreamChanged = match serde_json::from_slice(&body) {
        Ok(h) => h,
        Err(e) => {
            return Ok(zlm(
                -1,
                &format!("JSON 格式错误：{e}"),
                StatusCode::BAD_REQUEST,
            ))
        }
    };
    if !hook.schema.is_empty() && !hook.schema.eq_ignore_ascii_case("rtsp") {
        return Ok(zlm(0, "success", StatusCode::OK));
    }
    let Some(camera_id) = hook
        .stream
        .trim_start_matches("cam")
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
    else {
        return Ok(zlm(
            -1,
            "流名称应为摄像头编号，如 cam42",
            StatusCode::NOT_FOUND,
        ));
    };
    let reason = (!hook.regist).then(|| "媒体服务器报告视频流已断开".to_string());
    Ok(
        match apply(&state, system, camera_id, hook.regist, reason).await? {
            Ok(_) => zlm(0, "success", StatusCode::OK),
            Err(Refusal::Unknown) => zlm(-1, "没有这个摄像头", StatusCode::NOT_FOUND),
            Err(Refusal::NotYours) => {
                zlm(-1, "这个摄像头不归这个摄像头系统管", StatusCode::FORBIDDEN)
            }
        },
    )
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/api/v1/cameras/{id}/status")
            .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
            .route(web::post().to(camera_status)),
    )
    .service(
        web::resource("/api/v1/hooks/zlmediakit/on_stream_changed")
            .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
            .route(web::post().to(zlm_stream_changed)),
    );
}
