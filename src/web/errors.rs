//! Every error response, whoever produced it (a handler, an extractor, the
//! router), is shown in the style of where it happened: a TV page under
//! `/tv`, a back-office page under `/admin`, JSON under `/api`.

use actix_web::body::BoxBody;
use actix_web::dev::ServiceResponse;
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError, UrlencodedError};
use actix_web::http::{header, StatusCode};
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

use crate::error::{AppError, ErrorInfo};

pub fn handlers<B: 'static>() -> ErrorHandlers<B> {
    ErrorHandlers::new().default_handler(restyle)
}

fn default_message(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "请求有误",
        401 => "未授权",
        403 => "您没有权限访问这里",
        404 => "找不到这个页面",
        405 => "不支持这种请求方式",
        413 => "提交的内容太大",
        414 | 431 => "地址太长",
        429 => "操作太频繁，请稍后再试",
        _ if status.is_server_error() => "服务器出了点问题，请稍后再试",
        _ => "请求没有成功",
    }
}

fn restyle<B>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let already_styled = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/html") || ct.starts_with("application/json"));
    if already_styled {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let info = res
        .response()
        .extensions()
        .get::<ErrorInfo>()
        .cloned()
        .unwrap_or_else(|| ErrorInfo {
            message: default_message(status).to_string(),
            unknown_village: false,
        });
    if status.is_server_error() {
        if let Some(e) = res.response().error() {
            log::error!("{status} on {}: {e}", res.request().path());
        }
    }
    let keep: Vec<_> = res
        .headers()
        .iter()
        .filter(|(name, _)| {
            *name == header::WWW_AUTHENTICATE
                || *name == header::RETRY_AFTER
                || *name == header::ALLOW
        })
        .map(|(n, v)| (n.clone(), v.clone()))
        .collect();
    let (req, _) = res.into_parts();
    let mut styled = page_for(&req, status, &info);
    for (name, value) in keep {
        styled.headers_mut().insert(name, value);
    }
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, styled).map_into_right_body::<B>(),
    ))
}

fn page_for(req: &HttpRequest, status: StatusCode, info: &ErrorInfo) -> HttpResponse<BoxBody> {
    let (path, message) = (req.path(), info.message.as_str());
    let html = |body: Result<String, askama::Error>| match body {
        Ok(body) => HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(body),
        Err(e) => {
            log::error!("error template: {e}");
            HttpResponse::build(status)
                .content_type("text/plain; charset=utf-8")
                .body(message.to_string())
        }
    };
    if path.starts_with("/api/") || path == "/healthz" {
        HttpResponse::build(status).json(serde_json::json!({
            "error": message,
            "status": status.as_u16(),
        }))
    } else if path.starts_with("/admin") {
        html(super::admin::ErrorPage::new(status, message).render())
    } else {
        html(super::tv::ErrorPage::new(req, status, message, info.unknown_village).render())
    }
}

pub fn form_error(e: UrlencodedError, _: &HttpRequest) -> actix_web::Error {
    match e {
        UrlencodedError::Overflow { .. } => AppError::PayloadTooLarge.into(),
        UrlencodedError::ContentType => AppError::BadRequest("表单格式不对".into()).into(),
        other => {
            // serde's words are English and name no field: the log has them.
            log::info!("form refused: {:?}", other.to_string());
            AppError::BadRequest("表单内容无效，请返回重新填写".into()).into()
        }
    }
}

pub fn json_error(e: JsonPayloadError, _: &HttpRequest) -> actix_web::Error {
    match e {
        JsonPayloadError::OverflowKnownLength { .. } | JsonPayloadError::Overflow { .. } => {
            AppError::PayloadTooLarge.into()
        }
        JsonPayloadError::ContentType => {
            AppError::BadRequest("Content-Type must be application/json".into()).into()
        }
        other => AppError::BadRequest(format!("invalid JSON: {other}")).into(),
    }
}

pub fn query_error(e: QueryPayloadError, req: &HttpRequest) -> actix_web::Error {
    log::info!("query refused on {:?}: {:?}", req.path(), e.to_string());
    AppError::BadRequest("地址中的参数无效，请从页面上的链接重新进入".into()).into()
}

pub fn path_error(_: PathError, _: &HttpRequest) -> actix_web::Error {
    AppError::not_found("这个页面").into()
}
