//! HTTP: the TV pages, the back office and the JSON API.

pub mod admin;
pub mod api;
pub mod assets;
pub mod auth;
pub mod errors;
pub mod media;
pub mod tv;

use actix_session::config::{BrowserSession, CookieContentSecurity};
use actix_session::storage::CookieSessionStore;
use actix_session::SessionMiddleware;
use actix_web::body::MessageBody;
use actix_web::cookie::SameSite;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::{from_fn, DefaultHeaders, Logger, Next};
use actix_web::{web, App, HttpResponse};
use askama::Template;

use crate::error::AppError;
use crate::AppState;

/// The pager under a list, as templates show it (`templates/admin/_pager.html`
/// and `templates/tv/_pager.html`): numbers and the links to the neighbours.
pub struct Pager {
    pub page: i64,
    pub pages: i64,
    /// Rows in the whole list (the back office shows it).
    pub total: i64,
    pub prev: Option<String>,
    pub next: Option<String>,
}

impl Pager {
    /// `paged` brought within `total` rows; `base` is the list's address
    /// with its other parameters, ending in `?` or `&` (`page=N` follows).
    pub fn new(paged: crate::pager::Pager, total: i64, base: &str) -> Pager {
        let paged = paged.within(total);
        let (prev, next) = paged.neighbours(total);
        let link = |p: i64| format!("{base}page={p}");
        Pager {
            page: paged.page(),
            pages: paged.pages(total),
            total,
            prev: prev.map(link),
            next: next.map(link),
        }
    }
}

/// Renders a template as an HTML response.
pub fn render(t: &impl Template) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(t.render()?))
}

/// Same, with a status other than 200 (forms shown again with their errors).
pub fn render_status(
    status: actix_web::http::StatusCode,
    t: &impl Template,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(t.render()?))
}

pub fn redirect(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to))
        .finish()
}

pub fn app(
    state: AppState,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let limit = state.config.max_body_bytes;
    let session =
        SessionMiddleware::builder(CookieSessionStore::default(), state.session_key.clone())
            .cookie_name("vp_session".into())
            .cookie_http_only(true)
            .cookie_same_site(SameSite::Lax)
            .cookie_secure(state.config.secure_cookies)
            .cookie_content_security(CookieContentSecurity::Private)
            .session_lifecycle(BrowserSession::default())
            .build();
    App::new()
        .app_data(web::Data::new(state))
        .app_data(web::PayloadConfig::new(limit))
        .app_data(
            web::FormConfig::default()
                .limit(limit)
                .error_handler(errors::form_error),
        )
        .app_data(
            web::JsonConfig::default()
                .limit(limit)
                .error_handler(errors::json_error),
        )
        .app_data(web::QueryConfig::default().error_handler(errors::query_error))
        .app_data(web::PathConfig::default().error_handler(errors::path_error))
        // Innermost: sees only requests the checks outside it let through.
        .wrap(from_fn(tv::cache::pages))
        .wrap(from_fn(tv::alerts::gate))
        .wrap(from_fn(refuse_control_characters))
        .wrap(errors::handlers())
        .wrap(session)
        .wrap(from_fn(back_office_headers))
        .wrap(
            DefaultHeaders::new()
                .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
                .add((header::REFERRER_POLICY, "same-origin")),
        )
        .wrap(from_fn(head_as_get))
        // The path only: query strings may carry ids a villager typed.
        .wrap(
            Logger::new("%a \"%{method}xi %U\" %s %b %Dms")
                .custom_request_replace("method", |req| req.method().to_string()),
        )
        .configure(routes)
        .default_service(web::to(not_found))
}

/// The back office's pages: no framing (clickjacking), no caching (they
/// show residents, users and the audit log), and a CSP that lets the pages
/// run only this server's scripts and styles (static/admin.js, editor.js,
/// admin.css: nothing inline). TV pages get none of this: an operator's EPG
/// may frame them, and old set-top box browsers know no CSP anyway.
const ADMIN_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
img-src 'self' data: blob:; connect-src 'self'; frame-src 'self'; object-src 'none'; \
base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
/// The review desk's TV preview (`/admin/articles/{id}/tv`) is a TV page
/// (inline CSS) shown in a frame of the desk: framable by the back office
/// only, and with no script at all.
const PREVIEW_CSP: &str =
    "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
base-uri 'none'; form-action 'none'; frame-ancestors 'self'";

async fn back_office_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let path = req.path();
    let admin = path == "/admin" || path.starts_with("/admin/");
    let preview = admin && path.starts_with("/admin/articles/") && path.ends_with("/tv");
    let mut res = next.call(req).await?;
    if admin {
        let (frame, csp) = if preview {
            ("SAMEORIGIN", PREVIEW_CSP)
        } else {
            ("DENY", ADMIN_CSP)
        };
        let headers = res.headers_mut();
        headers.insert(
            header::X_FRAME_OPTIONS,
            header::HeaderValue::from_static(frame),
        );
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            header::HeaderValue::from_static(csp),
        );
        headers.insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("no-store"),
        );
    }
    Ok(res)
}

/// HEAD is GET without the body (RFC 9110, 9.3.2): monitors and some boxes
/// ask with it. Routes are declared for GET, so HEAD is answered as GET; the
/// HTTP layer, which saw the request's own method, leaves the body out.
async fn head_as_get(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if req.method() == actix_web::http::Method::HEAD {
        req.head_mut().method = actix_web::http::Method::GET;
    }
    next.call(req).await
}

/// A query string carrying a NUL or other control character (raw or
/// %-encoded) is refused with 400 before any handler sees it: no page needs
/// one, and PostgreSQL refuses NUL in text.
async fn refuse_control_characters(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if has_control_characters(req.query_string()) {
        let res = req.error_response(AppError::BadRequest("地址中含有无效字符".into()));
        return Ok(res.map_into_right_body());
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

fn has_control_characters(query: &str) -> bool {
    // An invalid escape is kept as written, so `%0` alone is no control.
    percent_encoding::percent_decode_str(query)
        .any(|b| b.is_ascii_control() && !matches!(b, b'\t' | b'\n' | b'\r'))
}

async fn not_found() -> Result<HttpResponse, AppError> {
    Err(AppError::not_found("这个页面"))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(assets::serve)
        .service(media::serve)
        .service(media::video)
        .configure(api::routes)
        .configure(tv::routes)
        .configure(admin::routes);
}

#[cfg(test)]
mod tests {
    #[test]
    fn control_characters_in_queries() {
        assert!(super::has_control_characters("user=%00"));
        assert!(super::has_control_characters("a=%1b"));
        assert!(super::has_control_characters("a=\u{1}"));
        assert!(!super::has_control_characters("user=admin&page=2"));
        assert!(!super::has_control_characters("q=%E8%80%BF%E4%BA%95&x=%"));
        assert!(
            !super::has_control_characters("q=a%0Ab"),
            "newlines may be typed in search boxes"
        );
    }
}
