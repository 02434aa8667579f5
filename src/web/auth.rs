//! Back-office sign-in: the session cookie, the signed-in user as an
//! extractor, and CSRF tokens on every form.

use std::future::Future;
use std::pin::Pin;

use actix_session::{Session, SessionExt};
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, FromRequest, HttpRequest, HttpResponse};
use askama::Template;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use subtle::ConstantTimeEq;

use crate::access::Actor;
use crate::error::{AppError, AppResult};
use crate::users::{self, throttle, User};
use crate::AppState;

const UID: &str = "uid";
const VERSION: &str = "ver";
const SEEN: &str = "seen";
const CSRF: &str = "csrf";

/// The client's address: the socket peer, or behind `hops` trusted proxies
/// (`PORTAL_TRUST_PROXY`, `PORTAL_TRUSTED_PROXY_HOPS`) the `hops`-th entry of
/// `X-Forwarded-For` from the right: each proxy appends the address it saw,
/// so the entries left of those are whatever the client wrote and prove
/// nothing. A header too short or not an address falls back to the peer.
pub fn client_addr(req: &HttpRequest, trust_proxy: bool, hops: u32) -> String {
    let peer = || {
        req.peer_addr()
            .map(|a| a.ip().to_string())
            .unwrap_or_else(|| "unknown".into())
    };
    if !trust_proxy {
        return peer();
    }
    forwarded_for(req, hops).unwrap_or_else(peer)
}

fn forwarded_for(req: &HttpRequest, hops: u32) -> Option<String> {
    // Several headers are one list, in order (RFC 9110, 5.3).
    let entries: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let hops = usize::try_from(hops.max(1)).ok()?;
    let entry = entries.len().checked_sub(hops).map(|i| entries[i])?;
    entry
        .parse::<std::net::IpAddr>()
        .ok()
        .map(|ip| ip.to_string())
}

fn session_err(e: impl std::fmt::Display) -> AppError {
    AppError::internal("session", e.to_string())
}

/// This session's CSRF token, made on first use.
pub fn csrf_token(session: &Session) -> AppResult<String> {
    if let Some(t) = session.get::<String>(CSRF).map_err(session_err)? {
        return Ok(t);
    }
    let token = crate::crypto::random_hex(32);
    session.insert(CSRF, &token).map_err(session_err)?;
    Ok(token)
}

/// Fails with 403 unless `token` is this session's CSRF token. Every form
/// post goes through it: `CsrfForm` for url-encoded forms, the upload handler
/// for multipart ones.
pub fn check_csrf(session: &Session, token: &str) -> AppResult<()> {
    let expected = session.get::<String>(CSRF).map_err(session_err)?;
    if expected.is_some_and(|t| same(t.as_bytes(), token.as_bytes())) {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "页面已过期或来源不明（安全校验未通过），请返回刷新后再提交".into(),
        ))
    }
}

/// Equal bytes, compared in constant time (a token's length is no secret).
fn same(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// Whether a session last seen at `seen` (unix seconds) has been idle too long
/// at `now`. A `seen` in the future (clock skew between instances) counts as now.
fn idle_too_long(seen: i64, now: i64, idle_minutes: i64) -> bool {
    now - seen.min(now) > idle_minutes * 60
}

/// The signed-in user, loaded fresh on every request so that disabling a user
/// or resetting their password ends their sessions at once.
pub struct CurrentUser {
    pub user: User,
    pub actor: Actor,
    pub csrf: String,
}

impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let session = req.get_session();
        let state = req.app_data::<web::Data<AppState>>().cloned();
        // After signing in, a page that was asked for is shown (a cadre who
        // scanned the office QR code while signed out keeps the code).
        let wanted = (req.method() == actix_web::http::Method::GET)
            .then(|| req.uri().path_and_query().map(|p| p.as_str().to_string()))
            .flatten()
            .filter(|p| p != "/admin" && safe_next(p));
        Box::pin(async move {
            let state = state.ok_or_else(|| AppError::bug("no app state"))?;
            let uid = session.get::<i64>(UID).map_err(session_err)?;
            let version = session.get::<i32>(VERSION).map_err(session_err)?;
            let seen = session.get::<i64>(SEEN).map_err(session_err)?;
            let (Some(uid), Some(version), Some(seen)) = (uid, version, seen) else {
                return Err(AppError::LoginRequired(wanted));
            };
            let now = chrono::Utc::now().timestamp();
            if idle_too_long(seen, now, state.config.session_idle_minutes) {
                session.purge();
                return Err(AppError::LoginRequired(wanted));
            }
            let loaded = state
                .db
                .run(move |conn| {
                    let user = match users::get(conn, uid) {
                        Ok(u) => u,
                        Err(AppError::NotFound(_)) => return Ok(None),
                        Err(e) => return Err(e),
                    };
                    if user.disabled || user.session_version != version {
                        return Ok(None);
                    }
                    let actor = users::actor(conn, &user)?;
                    Ok(Some((user, actor)))
                })
                .await?;
            let Some((user, actor)) = loaded else {
                session.purge();
                return Err(AppError::LoginRequired(wanted));
            };
            session.insert(SEEN, now).map_err(session_err)?;
            let csrf = csrf_token(&session)?;
            Ok(CurrentUser { user, actor, csrf })
        })
    }
}

#[derive(Deserialize)]
struct CsrfField {
    #[serde(default)]
    csrf_token: String,
}

/// A url-encoded form whose `csrf_token` field matched the session's token.
/// Every admin POST takes its form through this, so none can forget the check.
pub struct CsrfForm<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for CsrfForm<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let session = req.get_session();
        let is_form = req
            .headers()
            .get(actix_web::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let body = body
                .await
                .map_err(|e| match e.as_response_error().status_code() {
                    StatusCode::PAYLOAD_TOO_LARGE => AppError::PayloadTooLarge,
                    _ => AppError::BadRequest("无法读取提交的表单".into()),
                })?;
            if !is_form {
                return Err(AppError::BadRequest("表单格式不对".into()));
            }
            let field: CsrfField = serde_urlencoded::from_bytes(&body)
                .map_err(|_| AppError::BadRequest("表单内容无效".into()))?;
            check_csrf(&session, &field.csrf_token)?;
            let form = serde_urlencoded::from_bytes(&body)
                .map_err(|e| AppError::BadRequest(format!("表单内容无效：{e}")))?;
            Ok(CsrfForm(form))
        })
    }
}

#[derive(Template)]
#[template(path = "admin/login.html")]
struct LoginPage {
    css: String,
    csrf: String,
    username: String,
    /// Carried through the form: where to go once signed in.
    next: String,
    error: Option<String>,
}

#[get("/admin/login")]
async fn login_form(session: Session, q: web::Query<LoginQuery>) -> Result<HttpResponse, AppError> {
    let next = q
        .into_inner()
        .next
        .filter(|n| safe_next(n))
        .unwrap_or_default();
    if session.get::<i64>(UID).map_err(session_err)?.is_some() {
        return Ok(super::redirect(if next.is_empty() {
            "/admin"
        } else {
            &next
        }));
    }
    super::render(&LoginPage {
        css: super::assets::url("admin.css"),
        csrf: csrf_token(&session)?,
        username: String::new(),
        next,
        error: None,
    })
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    /// Where to go once signed in (a back-office address).
    #[serde(default)]
    next: String,
}

#[derive(Deserialize)]
struct LoginQuery {
    next: Option<String>,
}

/// A back-office address of this site to go on to after signing in (never
/// another site's, never the sign-in form itself). Printable ASCII only: a
/// control character or space would sign in and then answer 400.
fn safe_next(p: &str) -> bool {
    p.bytes().all(|b| b.is_ascii_graphic())
        && p.starts_with("/admin")
        && !p.starts_with("/admin/login")
        && !p.starts_with("/admin/logout")
        && !p.contains("//")
        && !p.contains('\\')
        && p.len() <= 512
}

#[post("/admin/login")]
async fn login(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    form: CsrfForm<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let CsrfForm(form) = form;
    let client = client_addr(
        &req,
        state.config.trust_proxy,
        state.config.trusted_proxy_hops,
    );
    let shown_name: String = form.username.trim().chars().take(32).collect();
    let next = Some(form.next.clone())
        .filter(|n| safe_next(n))
        .unwrap_or_default();
    let retry = |status: StatusCode, message: String| -> Result<HttpResponse, AppError> {
        super::render_status(
            status,
            &LoginPage {
                css: super::assets::url("admin.css"),
                csrf: csrf_token(&session)?,
                username: shown_name.clone(),
                next: next.clone(),
                error: Some(message),
            },
        )
    };
    // One entry per client address ever seen: forget the quiet ones now and
    // then, so the limiter's memory stays bounded.
    if state.login_bursts.len() > 4096 {
        state.login_bursts.retain_recent();
    }
    if state.login_bursts.check_key(&client).is_err() {
        return retry(
            StatusCode::TOO_MANY_REQUESTS,
            "登录尝试太频繁，请一分钟后再试".into(),
        );
    }
    let limits = throttle::Limits {
        per_user: state.config.login_max_failures_user,
        per_client: state.config.login_max_failures_ip,
        window_minutes: state.config.login_window_minutes,
    };
    let outcome = state
        .db
        .run(move |conn| users::sign_in(conn, &limits, &form.username, &form.password, &client))
        .await;
    match outcome {
        Ok((user, _)) => {
            // A new session id and a new CSRF token at sign-in (no fixation).
            session.renew();
            session.clear();
            session.insert(UID, user.id).map_err(session_err)?;
            session
                .insert(VERSION, user.session_version)
                .map_err(session_err)?;
            session
                .insert(SEEN, chrono::Utc::now().timestamp())
                .map_err(session_err)?;
            csrf_token(&session)?;
            Ok(super::redirect(if next.is_empty() {
                "/admin"
            } else {
                &next
            }))
        }
        Err(AppError::TooManyRequests(m)) => retry(StatusCode::TOO_MANY_REQUESTS, m),
        Err(AppError::BadRequest(m)) => retry(StatusCode::UNAUTHORIZED, m),
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
struct Empty {}

#[post("/admin/logout")]
async fn logout(
    session: Session,
    state: web::Data<AppState>,
    me: Option<CurrentUser>,
    _form: CsrfForm<Empty>,
) -> Result<HttpResponse, AppError> {
    if let Some(me) = me {
        state
            .db
            .run(move |conn| users::sign_out(conn, &me.actor, &me.user))
            .await?;
    }
    session.purge();
    Ok(super::redirect("/admin/login"))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(login_form).service(login).service(logout);
}

#[cfg(test)]
mod tests {
    #[test]
    fn idle_timeout() {
        let idle = |seen, now| super::idle_too_long(seen, now, 30);
        assert!(!idle(1_000, 1_000));
        assert!(!idle(1_000, 1_000 + 30 * 60));
        assert!(idle(1_000, 1_000 + 30 * 60 + 1));
        assert!(!idle(5_000, 1_000), "a future timestamp is not idle");
    }

    #[test]
    fn constant_time_compare() {
        assert!(super::same(b"abc", b"abc"));
        assert!(!super::same(b"abc", b"abd"));
        assert!(!super::same(b"abc", b"ab"));
    }
}
