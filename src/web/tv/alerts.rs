//! Emergency alerts on the TV: the banner every page of a village carries
//! while an alert is live, and the full-screen alert page a box sees first.
//!
//! `gate` (a middleware on every `/tv/v/{village}...` request) finds the
//! village and its live alert once per request (from `cache`). A box whose `vp_alert_seen` cookie does not hold
//! that alert's id is sent (302) to the alert page, with `next` = where it
//! was going; 我知道了 sets the cookie and continues there. Otherwise the
//! alert rides along in the request's extensions as a `Banner` for the
//! handler to put into its `Frame`. Plain links and cookies: works with
//! JavaScript off.

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method};
use actix_web::middleware::Next;
use actix_web::{get, web, FromRequest, HttpMessage, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::village::Village;
use super::{home_url, load_village, tv_cookie, Frame, Screen};
use crate::alerts::{self, Alert, State};
use crate::error::{AppError, AppResult};
use crate::places;
use crate::AppState;

/// The id of the alert this box has dismissed.
pub const SEEN_COOKIE: &str = "vp_alert_seen";
/// Columns of the alert text the banner shows on one line beside the
/// level (a CJK character counts two); longer texts end in "…", and the
/// banner is a link to the alert page, which shows all of it.
const BANNER_COLUMNS: usize = 68;
const BANNER_COLUMNS_SD: usize = 38;
/// Longest `next` address kept.
const NEXT_MAX: usize = 1024;

/// The strip in the alert's colour at the top of every page of the village.
#[derive(Debug, Clone)]
pub struct AlertBanner {
    /// `blue`, `yellow`, `orange` or `red` (the CSS class `lv-…`).
    pub level: &'static str,
    /// 黄色预警
    pub label: &'static str,
    /// The whole text (the banner shows [`AlertBanner::text_for`]).
    pub text: String,
    /// The alert page (OK there leads back to the village home).
    pub href: String,
}

impl AlertBanner {
    pub fn new(alert: &Alert, village: &str) -> AlertBanner {
        let level = alert.level();
        AlertBanner {
            level: level.as_str(),
            label: level.label(),
            text: alert.text.clone(),
            href: alert_url(village, alert.id, &home_url(village)),
        }
    }

    /// The text as one line of the banner on this screen holds it.
    pub fn text_for(&self, screen: &Screen) -> String {
        let columns = if screen.is_sd() {
            BANNER_COLUMNS_SD
        } else {
            BANNER_COLUMNS
        };
        crate::text::cut(&self.text, columns)
    }
}

/// What every village page's frame takes from the request (an extractor):
/// the village's live alert as the gate found it (`None` outside village
/// pages or when nothing is live), and the box's screen profile, so a
/// handler that calls `Frame::with_alert(banner)` is laid out for SD boxes
/// without asking for the [`Screen`] itself.
#[derive(Debug, Clone, Default)]
pub struct Banner(pub Option<AlertBanner>, pub Screen);

impl FromRequest for Banner {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Banner, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let mut banner = req
            .extensions()
            .get::<Banner>()
            .cloned()
            .unwrap_or_default();
        banner.1 = Screen::of(req);
        std::future::ready(Ok(banner))
    }
}

/// The village code of a `/tv/v/{village}...` path, unless the path is one
/// of the alert pages themselves.
fn gated_village(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/tv/v/")?;
    let (code, tail) = rest.split_once('/').unwrap_or((rest, ""));
    if tail == "alert" || tail.starts_with("alert/") {
        return None;
    }
    crate::validate::code(code, "").ok().map(|_| code)
}

/// Addresses of pictures and live streams under a village.
fn is_media(path: &str) -> bool {
    path.ends_with(".jpg") || path.ends_with(".m3u8") || path.contains("/live/")
}

/// `?next=` for an address: its path and query.
fn next_query(next: &str) -> String {
    serde_urlencoded::to_string([("next", next)]).unwrap_or_default()
}

pub fn alert_url(village: &str, id: i64, next: &str) -> String {
    format!("/tv/v/{village}/alert/{id}?{}", next_query(next))
}

pub fn ok_url(village: &str, id: i64, next: &str) -> String {
    format!("/tv/v/{village}/alert/{id}/ok?{}", next_query(next))
}

/// `next` if it is a TV address of this site, else the village home. Bytes
/// outside ASCII are %-encoded again so the address fits a `Location` header.
pub fn safe_next(next: Option<&str>, village: &str) -> String {
    let ok = |n: &str| {
        n.starts_with("/tv/")
            && n.len() <= NEXT_MAX
            && !n.contains("//")
            && !n.contains('\\')
            && !n.split(['/', '?']).any(|seg| seg == ".." || seg == ".")
            && !n.contains("/alert/")
            && !n.chars().any(|c| c.is_control() || c.is_whitespace())
    };
    match next {
        // `ok` let no control character through, so CONTROLS escapes
        // exactly the bytes outside ASCII.
        Some(n) if ok(n) => {
            percent_encoding::utf8_percent_encode(n, percent_encoding::CONTROLS).to_string()
        }
        _ => home_url(village),
    }
}

/// Middleware: finds the village's live alert once per request; sends a box
/// that has not dismissed it to the alert page (GET and HEAD only, so a
/// submitted PIN is never lost), else leaves a `Banner` for the handler.
pub async fn gate(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let Some(code) = gated_village(req.path()).map(str::to_string) else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    };
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    };
    state.tv_cache.sync(&state.db).await;
    let alert = match state.tv_cache.view(&state, &code).await {
        Ok(Some(view)) => {
            let alert = view.alert.clone();
            req.extensions_mut().insert(Village(view));
            alert
        }
        Ok(None) => None,
        Err(e) => {
            // The page itself may still work (or fail with its own message).
            log::warn!("village lookup for {code}: {e}");
            None
        }
    };
    if let Some(alert) = alert {
        let seen = req
            .cookie(SEEN_COOKIE)
            .and_then(|c| c.value().parse::<i64>().ok());
        // Pictures and streams are not navigations: a redirect would only
        // break the image or the player of the page that asked.
        let navigating =
            matches!(*req.method(), Method::GET | Method::HEAD) && !is_media(req.path());
        if navigating && seen != Some(alert.id) {
            let wanted = match req.query_string() {
                "" => req.path().to_string(),
                q => format!("{}?{q}", req.path()),
            };
            let to = alert_url(&code, alert.id, &safe_next(Some(&wanted), &code));
            let res = HttpResponse::Found()
                .insert_header((header::LOCATION, to))
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .finish();
            return Ok(req.into_response(res).map_into_right_body());
        }
        req.extensions_mut()
            .insert(Banner(Some(AlertBanner::new(&alert, &code)), Screen::Hd));
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

#[derive(Template)]
#[template(path = "tv/alert.html")]
struct AlertPage {
    frame: Frame,
    level: &'static str,
    label: &'static str,
    /// The whole text, breakable for engines without CJK line breaking.
    text_html: String,
    issuer: String,
    starts: String,
    ends: String,
    over: bool,
    ok: String,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

fn alert_id(raw: &str) -> AppResult<i64> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| AppError::not_found("这条预警"))
}

/// The full-screen alert: level, text, times, and 我知道了.
#[get("/tv/v/{village}/alert/{id}")]
async fn alert_page(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    query: web::Query<NextQuery>,
    screen: Screen,
) -> AppResult<HttpResponse> {
    let (code, id) = path.into_inner();
    let id = alert_id(&id)?;
    let (village, township, alert, issuer) = state
        .db
        .run(move |conn| {
            let (village, township) = load_village(conn, &code)?;
            let scope = places::scope(conn, &village)?;
            let alert = alerts::get_for_village(conn, &scope, id)?;
            let issuer = places::get(conn, alert.place_id)?.name;
            Ok((village, township, alert, issuer))
        })
        .await?;
    let next = safe_next(query.next.as_deref(), &village.code);
    let ok = ok_url(&village.code, alert.id, &next);
    let level = alert.level();
    let mut frame =
        Frame::village(&state, &village, township.as_ref(), "应急广播", ok.clone()).on(screen);
    // Every way out dismisses the alert; colour keys stay off until then.
    frame.home = ok_url(&village.code, alert.id, &home_url(&village.code));
    frame.village_home = None;
    frame.legend = vec![("OK", "我知道了", ""), ("返回", "我知道了", "")];
    let offset = state.offset;
    let res = super::super::render(&AlertPage {
        frame,
        level: level.as_str(),
        label: level.label(),
        text_html: crate::text::wbr(&alert.text),
        issuer,
        starts: crate::time::format_local(alert.starts_at, offset),
        ends: crate::time::format_local(alert.until(), offset),
        over: alert.state(crate::time::now()) == State::Ended,
        ok,
    })?;
    Ok(no_store(res))
}

fn no_store(mut res: HttpResponse) -> HttpResponse {
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    res
}

/// 我知道了: remembers the alert for this box and continues to `next`.
#[get("/tv/v/{village}/alert/{id}/ok")]
async fn dismiss(
    path: web::Path<(String, String)>,
    query: web::Query<NextQuery>,
) -> AppResult<HttpResponse> {
    let (code, id) = path.into_inner();
    if crate::validate::code(&code, "").is_err() {
        return Err(AppError::UnknownVillage);
    }
    let id = alert_id(&id)?;
    let to = safe_next(query.next.as_deref(), &code);
    Ok(no_store(
        HttpResponse::Found()
            .insert_header((header::LOCATION, to))
            .cookie(tv_cookie(SEEN_COOKIE, id.to_string()))
            .finish(),
    ))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(dismiss).service(alert_page);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_village_pages_other_than_the_alert_pages_are_gated() {
        assert_eq!(gated_village("/tv/v/gengjing"), Some("gengjing"));
        assert_eq!(gated_village("/tv/v/gengjing/notices"), Some("gengjing"));
        assert_eq!(gated_village("/tv/v/gengjing/a/5"), Some("gengjing"));
        assert_eq!(gated_village("/tv/v/gengjing/alert/5"), None);
        assert_eq!(gated_village("/tv/v/gengjing/alert/5/ok"), None);
        assert_eq!(gated_village("/tv/villages"), None);
        assert_eq!(gated_village("/tv"), None);
        assert_eq!(gated_village("/admin"), None);
        assert_eq!(gated_village("/tv/v/Bad Code/x"), None);
    }

    #[test]
    fn next_must_be_a_local_tv_address() {
        let home = "/tv/v/gengjing";
        assert_eq!(
            safe_next(Some("/tv/v/gengjing/notices?page=2"), "gengjing"),
            "/tv/v/gengjing/notices?page=2"
        );
        for bad in [
            "https://evil.example/",
            "//evil.example/tv/",
            "/tv//evil.example",
            "/admin",
            "/tv/../admin",
            "/tv/v/x/alert/3",
            "/tv/\\evil",
            "/tv/v/x y",
            "",
        ] {
            assert_eq!(safe_next(Some(bad), "gengjing"), home, "{bad}");
        }
        assert_eq!(safe_next(None, "gengjing"), home);
        assert_eq!(safe_next(Some("/tv/v/g?q=耿"), "g"), "/tv/v/g?q=%E8%80%BF");
    }

    #[test]
    fn long_texts_are_cut_for_the_banner() {
        let mut a = Alert {
            id: 1,
            place_id: 1,
            level: "orange".into(),
            text: "雨".repeat(BANNER_COLUMNS / 2),
            starts_at: crate::time::now(),
            ends_at: crate::time::now(),
            ended_at: None,
            created_by: None,
            created_at: crate::time::now(),
        };
        let b = AlertBanner::new(&a, "gengjing");
        assert_eq!(b.text_for(&Screen::Hd), a.text);
        assert!(
            b.href.starts_with("/tv/v/gengjing/alert/1?next="),
            "{}",
            b.href
        );
        a.text = "雨".repeat(200);
        let b = AlertBanner::new(&a, "gengjing");
        let hd = b.text_for(&Screen::Hd);
        assert!(crate::text::columns(&hd) <= BANNER_COLUMNS && hd.ends_with('…'));
        let sd = b.text_for(&Screen::Sd);
        assert!(crate::text::columns(&sd) <= BANNER_COLUMNS_SD && sd.ends_with('…'));
        assert_eq!(b.text, a.text, "the whole text stays for the alert page");
        assert_eq!((b.level, b.label), ("orange", "橙色预警"));
    }
}
