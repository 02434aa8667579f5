//! The health station (健康小屋) on the TV, and a household's own readings
//! behind its PIN.
//!
//! - `/tv/v/{village}/health`: the station's facts and 我的健康档案. Nothing
//!   private: no reading, name or resident code.
//! - `/tv/v/{village}/health/me`: the PIN page until the PIN is right, then
//!   the household's members. The PIN goes in by digit keys into a focused
//!   input (a form POST, field `pin`, optional `household` = STB id when the
//!   box arrived without one), or by an on-screen keypad of plain links that
//!   works with OK only and JavaScript off.
//! - `/tv/v/{village}/health/me/{resident}`: one member's latest readings
//!   and trend pictures (`.../chart/bp.png`, `.../chart/glucose.png`).
//! - `/tv/v/{village}/health/me/exit?to=`: ends access and goes on.
//!
//! Cookies (all HttpOnly, SameSite=Strict, path `/tv/v/{village}/health/me`,
//! encrypted and authenticated with the app's `session_key` through actix's
//! private cookie jar, so a box can neither read nor forge them):
//! - `vp_health`: the access grant (household, PIN tag, time of the PIN and
//!   of the last page view). Access ends after 10 minutes without a page
//!   view, checked on the server from the time inside the cookie (the
//!   cookie's Max-Age says the same to the browser), when the PIN changes,
//!   or through `exit` (which also bumps the household's access version, so
//!   a copy of the cookie ends too): the 返回 and 首页 links and the colour
//!   keys of the household's pages all go through it.
//! - `vp_hbox`: the trusted-box record after a right PIN (`health::pin::Device`):
//!   a lock caused by other boxes does not stop this one.
//! - `vp_pinpad`: the keypad's typed digits (never in an address: a key's
//!   link carries the digit shifted by a random number drawn per page, see
//!   `health::pin::Pad`), forgotten after 5 minutes.
//!
//! CSRF: TV pages carry no CSRF token. The PIN POST is refused when the
//! browser says it comes from another site (`Sec-Fetch-Site: cross-site`,
//! or an `Origin`, else `Referer`, naming another host); old set-top box
//! browsers that send none of these are let through. The cookies are
//! SameSite=Strict, so a cross-site request never carries the grant or the
//! keypad state, and the keypad's GET links do nothing without that cookie.
//! The worst a forged POST can do is count wrong PINs toward the lock,
//! which anyone can do by typing wrong PINs at a box; the lock expires
//! after 15 minutes and never stops the household's trusted box.

use actix_web::cookie::{time::Duration as CookieDuration, Cookie, CookieJar, SameSite};
use actix_web::http::header;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::NaiveDateTime;
use rand::Rng;
use serde::Deserialize;

use super::alerts::Banner;
use super::{home_url, load_village, Frame, PageQuery, Screen, Tile, SECTIONS, STB_COOKIE};
use crate::error::{AppError, AppResult};
use crate::health::display::{self, Reading, Trend};
use crate::health::pin::{self, Ended, Grant, Notice, Outcome, Pad};
use crate::households::{self, Household};
use crate::places::Place;
use crate::AppState;

/// The household's access grant.
pub const GRANT_COOKIE: &str = "vp_health";
/// The on-screen keypad's digits.
pub const PAD_COOKIE: &str = "vp_pinpad";
/// The trusted-box record (`health::pin::Device`).
pub const DEVICE_COOKIE: &str = "vp_hbox";

pub fn station_url(village: &str) -> String {
    format!("/tv/v/{village}/health")
}

pub fn me_url(village: &str) -> String {
    format!("/tv/v/{village}/health/me")
}

/// Ends access, then goes to the village's page `to` (`` = home, or a
/// section path such as `/health`); tv.js's colour keys append theirs.
pub fn exit_url(village: &str, to: &str) -> String {
    format!("/tv/v/{village}/health/me/exit?to={to}")
}

fn no_store(mut res: HttpResponse) -> HttpResponse {
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    res
}

fn see_other(to: &str) -> HttpResponse {
    no_store(
        HttpResponse::SeeOther()
            .insert_header((header::LOCATION, to))
            .finish(),
    )
}

/// An encrypted, authenticated cookie for the household pages of a village.
fn seal(
    state: &AppState,
    village: &str,
    name: &'static str,
    value: String,
    minutes: i64,
) -> Cookie<'static> {
    let cookie = Cookie::build(name, value)
        .path(me_url(village))
        .http_only(true)
        .secure(state.config.secure_cookies)
        .same_site(SameSite::Strict)
        .max_age(CookieDuration::minutes(minutes))
        .finish();
    let mut jar = CookieJar::new();
    jar.private_mut(&state.session_key).add(cookie.clone());
    jar.get(name).cloned().unwrap_or(cookie)
}

/// The decrypted value of one of those cookies; `None` if absent or forged.
fn unseal(state: &AppState, req: &HttpRequest, name: &'static str) -> Option<String> {
    let cookie = req.cookie(name)?;
    let mut jar = CookieJar::new();
    jar.add_original(cookie);
    jar.private(&state.session_key)
        .get(name)
        .map(|c| c.value().to_string())
}

fn removal(village: &str, name: &'static str) -> Cookie<'static> {
    let mut c = Cookie::build(name, "")
        .path(me_url(village))
        .http_only(true)
        .same_site(SameSite::Strict)
        .finish();
    c.make_removal();
    c
}

/// The STB id the box arrived with (`/tv?stbid=`), if well formed.
pub(super) fn box_stb(req: &HttpRequest) -> Option<String> {
    req.cookie(STB_COOKIE)
        .map(|c| c.value().to_string())
        .filter(|s| households::check_stb_id(s).is_ok())
}

/// The household with this STB id in this village.
pub(super) fn household_in(
    conn: &mut crate::db::DbConn,
    village: &Place,
    stb: Option<&str>,
) -> AppResult<Option<Household>> {
    match stb {
        Some(s) if households::check_stb_id(s).is_ok() => {
            Ok(households::find_by_stb(conn, s)?.filter(|h| h.village_id == village.id))
        }
        _ => Ok(None),
    }
}

/// The grant's household, if the grant still opens it.
fn open_grant(
    conn: &mut crate::db::DbConn,
    village: &Place,
    grant: Option<Grant>,
    now: NaiveDateTime,
) -> AppResult<Result<(Grant, Household), Option<Ended>>> {
    let Some(grant) = grant else {
        return Ok(Err(None));
    };
    let h = match households::get(conn, grant.household_id) {
        Ok(h) => h,
        Err(AppError::NotFound(_)) => return Ok(Err(Some(Ended::Revoked))),
        Err(e) => return Err(e),
    };
    // A lock caused by wrong PINs elsewhere does not end access already given.
    if h.village_id != village.id {
        return Ok(Err(Some(Ended::Revoked)));
    }
    match grant.check(&h, now) {
        Ok(()) => Ok(Ok((grant.touched(now), h))),
        Err(e) => Ok(Err(Some(e))),
    }
}

fn read_grant(state: &AppState, req: &HttpRequest) -> Option<Grant> {
    unseal(state, req, GRANT_COOKIE).and_then(|v| Grant::decode(&v))
}

/// Where a PIN attempt comes from: address, box, trusted-box record.
fn source(state: &AppState, req: &HttpRequest) -> pin::Source {
    pin::Source {
        client: crate::web::auth::client_addr(
            req,
            state.config.trust_proxy,
            state.config.trusted_proxy_hops,
        ),
        stb: box_stb(req),
        device: unseal(state, req, DEVICE_COOKIE).and_then(|v| pin::Device::decode(&v)),
    }
}

fn read_pad(state: &AppState, req: &HttpRequest, now: NaiveDateTime) -> Option<Pad> {
    unseal(state, req, PAD_COOKIE)
        .and_then(|v| Pad::decode(&v))
        .filter(|p| !p.expired(now))
}

/// The POST comes from this site, as far as the browser tells (see the
/// module's notes on CSRF).
fn same_site_post(req: &HttpRequest) -> bool {
    let text = |name: header::HeaderName| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    if text(header::HeaderName::from_static("sec-fetch-site")).as_deref() == Some("cross-site") {
        return false;
    }
    let Some(from) = text(header::ORIGIN).or_else(|| text(header::REFERER)) else {
        return true;
    };
    let authority = from
        .split_once("://")
        .and_then(|(_, rest)| rest.split(['/', '?', '#']).next())
        .map(str::to_ascii_lowercase);
    let host = req.connection_info().host().to_ascii_lowercase();
    authority.is_some_and(|a| a == host)
}

// ---------------------------------------------------------------- station

pub struct StationView {
    pub name: String,
    pub address: String,
    pub hours: String,
    pub doctor: String,
    pub phone: String,
    pub checkups: i64,
    pub month: String,
    pub tip: &'static str,
}

#[derive(Template)]
#[template(path = "tv/health.html")]
struct StationPage {
    frame: Frame,
    station: Option<StationView>,
    me: String,
}

#[get("/tv/v/{village}/health")]
async fn station_page(
    state: web::Data<AppState>,
    path: web::Path<String>,
    banner: Banner,
) -> AppResult<HttpResponse> {
    let code = path.into_inner();
    let (now, offset) = (crate::time::now(), state.offset);
    let (village, township, facts) = state
        .db
        .run(move |conn| {
            let (village, township) = load_village(conn, &code)?;
            let facts = display::station_facts(conn, village.id, now, offset)?;
            Ok((village, township, facts))
        })
        .await?;
    let mut frame = Frame::village(
        &state,
        &village,
        township.as_ref(),
        "健康小屋",
        home_url(&village.code),
    )
    .with_alert(banner);
    frame.heading = format!("{} · 健康小屋", village.name);
    let station = facts.map(|f| StationView {
        name: f.station.name,
        address: f.station.address,
        hours: f.station.hours,
        doctor: f.station.doctor,
        phone: f.station.phone,
        checkups: f.checkups,
        month: f.month,
        tip: f.tip,
    });
    super::super::render(&StationPage {
        frame,
        station,
        me: me_url(&village.code),
    })
}

// ---------------------------------------------------------------- PIN page

/// A key of the on-screen keypad.
pub struct PadKey {
    pub id: String,
    pub label: &'static str,
    pub href: String,
    /// Digit keys: the remote's digit that jumps to (presses) it.
    pub num: Option<u8>,
    pub wide: bool,
}

#[derive(Template)]
#[template(path = "tv/health_pin.html")]
struct PinPage {
    frame: Frame,
    action: String,
    station: String,
    /// Shown in a box above the form.
    message: Option<String>,
    /// `warn` for wrong PINs and locks, `info` otherwise.
    tone: &'static str,
    locked: bool,
    /// Ask for the STB id (the box came without one, or not of this village).
    ask_household: bool,
    household: String,
    keys: Vec<PadKey>,
    /// ● per digit typed on the keypad.
    dots: String,
}

const KEY_LABELS: [&str; 10] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

/// Why the PIN page is shown (beyond asking for the PIN).
enum Why {
    Ask,
    Ended(Ended),
    Wrong(i32),
    Message(String),
}

fn locked_message(until: NaiveDateTime, now: NaiveDateTime) -> String {
    format!(
        "密码输错次数较多，请 {} 分钟后再试，或到村委会重置。",
        pin::minutes_left(until, now)
    )
}

fn busy_message(minutes: i64) -> String {
    format!("这台机顶盒的密码尝试太多，请 {minutes} 分钟后再试。")
}

fn wrong_message(left: i32) -> String {
    format!("密码不对，请再试一次。还可以试 {left} 次。")
}

/// Renders the PIN page with a fresh keypad (new random key codes, digits
/// typed so far kept) and clears an ended grant.
#[allow(clippy::too_many_arguments)]
fn pin_page(
    state: &AppState,
    req: &HttpRequest,
    village: &Place,
    township: Option<&Place>,
    banner: Banner,
    household: Option<&Household>,
    typed_household: &str,
    why: Why,
    now: NaiveDateTime,
) -> AppResult<HttpResponse> {
    let code = &village.code;
    let mut frame = Frame::village(state, village, township, "我的健康档案", station_url(code))
        .with_alert(banner);
    frame.heading = format!("{} · 我的健康档案", village.name);
    frame.legend = vec![
        ("数字键", "输入密码", ""),
        ("OK", "确定", ""),
        ("方向键", "选择按键", ""),
        ("返回", "删除/上一级", ""),
        ("红", "首页", "red"),
        ("黄", "健康", "yellow"),
    ];
    let from = source(state, req);
    let locked_until = household.and_then(|h| pin::locked_for(h, &from, now));
    let pad_before = read_pad(state, req, now);
    let shift: u8 = rand::thread_rng().gen_range(0..10);
    let pad = match &pad_before {
        Some(p) => p.redrawn(shift),
        None => Pad::new(shift, now),
    };
    let notice = pad_before.map(|p| p.notice).unwrap_or(Notice::None);
    let (message, tone) = match (locked_until, why) {
        (Some(until), _) => (Some(locked_message(until, now)), "warn"),
        (None, Why::Wrong(left)) => (Some(wrong_message(left)), "warn"),
        (None, Why::Message(m)) => (Some(m), "warn"),
        (None, Why::Ended(Ended::Idle)) => (
            Some("为了保护隐私，10 分钟没有操作已自动退出，请重新输入密码。".to_string()),
            "info",
        ),
        (None, Why::Ended(Ended::Revoked)) => (Some("请重新输入家庭密码。".to_string()), "info"),
        (None, Why::Ask) => match notice {
            Notice::None => (None, "info"),
            Notice::Empty => (Some("请先按数字键输入密码。".to_string()), "info"),
            Notice::Short => (Some("家庭密码是 4 到 6 位数字。".to_string()), "warn"),
            Notice::Wrong { left } => (Some(wrong_message(left)), "warn"),
            Notice::Busy { minutes } => (Some(busy_message(minutes)), "warn"),
        },
    };
    let me = me_url(code);
    let keypad = household.is_some() && locked_until.is_none();
    let mut keys = Vec::new();
    if keypad {
        for d in [1u8, 2, 3, 4, 5, 6, 7, 8, 9] {
            keys.push(PadKey {
                id: format!("key-{d}"),
                label: KEY_LABELS[d as usize],
                href: format!("{me}/key/{}", pad.code_of(d)),
                num: Some(d),
                wide: false,
            });
        }
        keys.push(PadKey {
            id: "key-del".into(),
            label: "删除",
            href: format!("{me}/key/del"),
            num: None,
            wide: false,
        });
        keys.push(PadKey {
            id: "key-0".into(),
            label: "0",
            href: format!("{me}/key/{}", pad.code_of(0)),
            num: Some(0),
            wide: false,
        });
        keys.push(PadKey {
            id: "key-ok".into(),
            label: "确定",
            href: format!("{me}/key/ok"),
            num: None,
            wide: true,
        });
    }
    let page = PinPage {
        frame,
        action: me.clone(),
        station: station_url(code),
        message,
        tone,
        locked: locked_until.is_some(),
        ask_household: household.is_none(),
        household: typed_household.to_string(),
        keys,
        dots: "●".repeat(pad.digits.len()),
    };
    let mut res = super::super::render(&page)?;
    let pad_cookie = seal(state, code, PAD_COOKIE, pad.encode(), pin::PAD_MINUTES);
    res.add_cookie(&pad_cookie)
        .map_err(AppError::because("cookie"))?;
    if read_grant(state, req).is_some() {
        res.add_cookie(&removal(code, GRANT_COOKIE))
            .map_err(AppError::because("cookie"))?;
    }
    Ok(no_store(res))
}

// ---------------------------------------------------------------- members

#[derive(Template)]
#[template(path = "tv/health_members.html")]
struct MembersPage {
    frame: Frame,
    tiles: Vec<Tile>,
    page: i64,
    pages: i64,
    prev: Option<String>,
    next: Option<String>,
}

/// The frame of the pages behind the PIN: every way out ends access.
fn private_frame(
    state: &AppState,
    village: &Place,
    township: Option<&Place>,
    banner: Banner,
    title: &str,
    back: String,
) -> Frame {
    let code = &village.code;
    let mut frame = Frame::village(state, village, township, title, back).with_alert(banner);
    frame.home = exit_url(code, "");
    // tv.js appends the colour key's section ("/notices") to this.
    frame.village_home = Some(exit_url(code, ""));
    frame
}

fn with_grant(
    state: &AppState,
    village: &str,
    grant: &Grant,
    res: AppResult<HttpResponse>,
) -> AppResult<HttpResponse> {
    let mut res = res?;
    let cookie = seal(
        state,
        village,
        GRANT_COOKIE,
        grant.encode(),
        pin::IDLE_MINUTES,
    );
    res.add_cookie(&cookie)
        .map_err(AppError::because("cookie"))?;
    Ok(no_store(res))
}

enum MePage {
    Members {
        grant: Grant,
        members: Vec<display::Member>,
    },
    Pin {
        household: Option<Household>,
        ended: Option<Ended>,
    },
}

#[get("/tv/v/{village}/health/me")]
async fn me_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<PageQuery>,
    banner: Banner,
) -> AppResult<HttpResponse> {
    let code = path.into_inner();
    let (now, offset) = (crate::time::now(), state.offset);
    let grant = read_grant(&state, &req);
    let stb = box_stb(&req);
    let (village, township, page) = state
        .db
        .run(move |conn| {
            let (village, township) = load_village(conn, &code)?;
            let page = match open_grant(conn, &village, grant, now)? {
                Ok((grant, h)) => MePage::Members {
                    grant,
                    members: display::members(conn, h.id, now, offset)?,
                },
                Err(ended) => MePage::Pin {
                    household: household_in(conn, &village, stb.as_deref())?,
                    ended,
                },
            };
            Ok((village, township, page))
        })
        .await?;
    let (grant, members) = match page {
        MePage::Members { grant, members } => (grant, members),
        MePage::Pin { household, ended } => {
            let why = ended.map(Why::Ended).unwrap_or(Why::Ask);
            return pin_page(
                &state,
                &req,
                &village,
                township.as_ref(),
                banner,
                household.as_ref(),
                "",
                why,
                now,
            );
        }
    };
    let code = village.code.clone();
    let per = Screen::of(&req).tiles();
    let total = members.len() as i64;
    let paged = crate::pager::Pager::new(query.number(), per).within(total);
    let (page, pages) = (paged.page(), paged.pages(total));
    let tiles: Vec<Tile> = members
        .into_iter()
        .skip(paged.offset() as usize)
        .take(per as usize)
        .enumerate()
        .map(|(i, m)| Tile {
            number: i + 1,
            href: format!("{}/{}", me_url(&code), m.id),
            title: m.name,
            hint: m.about,
        })
        .collect();
    let mut frame = private_frame(
        &state,
        &village,
        township.as_ref(),
        banner,
        "我的健康档案",
        exit_url(&code, "/health"),
    );
    frame.heading = format!("{} · 我的健康档案", village.name);
    frame.subheading = "请选择家庭成员 · 10 分钟不操作自动退出".into();
    frame.legend = vec![
        ("方向键", "选择", ""),
        ("OK", "打开", ""),
        ("数字", "直达", ""),
        ("返回", "退出档案", ""),
        ("红", "首页", "red"),
        ("黄", "健康", "yellow"),
    ];
    if pages > 1 {
        frame.legend.insert(3, ("翻页键", "翻页", ""));
    }
    let link = |p: i64| format!("{}?page={p}", me_url(&code));
    let res = super::super::render(&MembersPage {
        frame,
        tiles,
        page,
        pages,
        prev: (page > 1).then(|| link(page - 1)),
        next: (page < pages).then(|| link(page + 1)),
    });
    with_grant(&state, &code, &grant, res)
}

// ---------------------------------------------------------------- PIN in

#[derive(Deserialize)]
struct PinForm {
    #[serde(default)]
    pin: String,
    #[serde(default)]
    household: Option<String>,
}

#[post("/tv/v/{village}/health/me")]
async fn enter_pin(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<PinForm>,
    banner: Banner,
) -> AppResult<HttpResponse> {
    if !same_site_post(&req) {
        return Err(AppError::Forbidden("请在电视页面上输入密码".into()));
    }
    let code = path.into_inner();
    let form = form.into_inner();
    let now = crate::time::now();
    let typed = form
        .household
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    let from_box = box_stb(&req);
    let from = source(&state, &req);
    let pin = form.pin.trim().to_string();
    let (village, township, household, outcome) = state
        .db
        .run(move |conn| {
            let (village, township) = load_village(conn, &code)?;
            let mut household = household_in(conn, &village, from_box.as_deref())?;
            if household.is_none() {
                household = household_in(conn, &village, typed.as_deref())?;
            }
            let outcome = match &household {
                Some(h) if households::check_pin(&pin).is_ok() => {
                    Some(pin::check(conn, h.id, &pin, &from, now)?)
                }
                _ => None,
            };
            // Reload: the check may have locked it.
            let household = match household {
                Some(h) => Some(households::get(conn, h.id)?),
                None => None,
            };
            Ok((village, township, household, outcome))
        })
        .await?;
    let typed = form.household.unwrap_or_default();
    let typed = typed.trim();
    let show = |why: Why| {
        pin_page(
            &state,
            &req,
            &village,
            township.as_ref(),
            banner.clone(),
            household.as_ref(),
            typed,
            why,
            now,
        )
    };
    let Some(h) = household.as_ref() else {
        let m = if typed.is_empty() {
            "请输入机顶盒号和家庭密码。"
        } else {
            "没有找到这个机顶盒号的登记，请核对后再试。"
        };
        return show(Why::Message(m.into()));
    };
    match outcome {
        None => show(Why::Message(
            "家庭密码是 4 到 6 位数字，请重新输入。".into(),
        )),
        Some(Outcome::Granted) => Ok(granted(&state, &village.code, h, now)?),
        Some(Outcome::Wrong { left }) => show(Why::Wrong(left)),
        Some(Outcome::Throttled { minutes }) => show(Why::Message(busy_message(minutes))),
        // The reloaded household carries the lock: the page says so.
        Some(Outcome::Locked { .. }) => show(Why::Ask),
    }
}

/// The right PIN: the grant cookie, the keypad forgotten, on to the members.
fn granted(
    state: &AppState,
    village: &str,
    h: &Household,
    now: NaiveDateTime,
) -> AppResult<HttpResponse> {
    let grant = Grant::new(h, now);
    let mut res = see_other(&me_url(village));
    let cookie = seal(
        state,
        village,
        GRANT_COOKIE,
        grant.encode(),
        pin::IDLE_MINUTES,
    );
    let device = seal(
        state,
        village,
        DEVICE_COOKIE,
        pin::Device::new(h).encode(),
        pin::DEVICE_DAYS * 24 * 60,
    );
    for c in [cookie, device, removal(village, PAD_COOKIE)] {
        res.add_cookie(&c).map_err(AppError::because("cookie"))?;
    }
    Ok(res)
}

/// A key of the on-screen keypad: `0`-`9` (a code, see `Pad`), `del`, `ok`.
#[get("/tv/v/{village}/health/me/key/{key}")]
async fn key_press(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (code, key) = path.into_inner();
    if crate::validate::code(&code, "").is_err() {
        return Err(AppError::UnknownVillage);
    }
    let valid = matches!(key.as_str(), "del" | "ok")
        || (key.len() == 1 && key.as_bytes()[0].is_ascii_digit());
    if !valid {
        return Err(AppError::not_found("这个按键"));
    }
    let me = me_url(&code);
    let now = crate::time::now();
    // Without the keypad's cookie (expired, or a request from elsewhere)
    // a key does nothing but show the PIN page again.
    let Some(mut pad) = read_pad(&state, &req, now) else {
        return Ok(see_other(&me));
    };
    pad.notice = Notice::None;
    let to = match key.as_str() {
        "del" => {
            pad.delete();
            format!("{me}#f=key-del")
        }
        "ok" => return keypad_ok(&state, &req, code, pad, now).await,
        k => {
            let Some(c) = k.parse::<u8>().ok().filter(|c| *c < 10) else {
                return Err(AppError::not_found("这个按键"));
            };
            pad.press(c);
            let digit = pad.digits.bytes().last().map(|b| b - b'0').unwrap_or(0);
            format!("{me}#f=key-{digit}")
        }
    };
    let mut res = see_other(&to);
    res.add_cookie(&seal(
        &state,
        &code,
        PAD_COOKIE,
        pad.encode(),
        pin::PAD_MINUTES,
    ))
    .map_err(AppError::because("cookie"))?;
    Ok(res)
}

/// 确定 on the keypad: checks the typed digits as the form would.
async fn keypad_ok(
    state: &AppState,
    req: &HttpRequest,
    code: String,
    mut pad: Pad,
    now: NaiveDateTime,
) -> AppResult<HttpResponse> {
    let me = me_url(&code);
    let stb = box_stb(req);
    let from = source(state, req);
    let digits = pad.digits.clone();
    let village_code = code.clone();
    let checked = state
        .db
        .run(move |conn| {
            let (village, _) = load_village(conn, &village_code)?;
            let Some(h) = household_in(conn, &village, stb.as_deref())? else {
                return Ok(None);
            };
            if households::check_pin(&digits).is_err() {
                return Ok(Some((h, None)));
            }
            let outcome = pin::check(conn, h.id, &digits, &from, now)?;
            Ok(Some((h, Some(outcome))))
        })
        .await?;
    let Some((h, outcome)) = checked else {
        return Ok(see_other(&me));
    };
    match outcome {
        Some(Outcome::Granted) => return granted(state, &code, &h, now),
        Some(Outcome::Wrong { left }) => {
            pad.digits.clear();
            pad.notice = Notice::Wrong { left };
        }
        Some(Outcome::Locked { .. }) => pad.digits.clear(),
        Some(Outcome::Throttled { minutes }) => {
            pad.digits.clear();
            pad.notice = Notice::Busy { minutes };
        }
        None if pad.digits.is_empty() => pad.notice = Notice::Empty,
        None => pad.notice = Notice::Short,
    }
    let mut res = see_other(&me);
    res.add_cookie(&seal(
        state,
        &code,
        PAD_COOKIE,
        pad.encode(),
        pin::PAD_MINUTES,
    ))
    .map_err(AppError::because("cookie"))?;
    Ok(res)
}

#[derive(Deserialize)]
struct ExitQuery {
    to: Option<String>,
}

/// Ends access (返回, 首页, colour keys of the household's pages) and goes on
/// to the village page named by `to`: `` (home) or a section (`/health`).
#[get("/tv/v/{village}/health/me/exit")]
async fn exit_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<ExitQuery>,
) -> AppResult<HttpResponse> {
    let code = path.into_inner();
    if crate::validate::code(&code, "").is_err() {
        return Err(AppError::UnknownVillage);
    }
    // Ends the access on the server too, so a copy of the cookie stops
    // working. Only a grant that still opens the household counts: the
    // cookie is SameSite=Strict, so a link from elsewhere ends nothing.
    if let Some(grant) = read_grant(&state, &req) {
        let (now, village_code) = (crate::time::now(), code.clone());
        state
            .db
            .run(move |conn| {
                let (village, _) = load_village(conn, &village_code)?;
                if let Ok((_, h)) = open_grant(conn, &village, Some(grant), now)? {
                    pin::end_access(conn, h.id)?;
                }
                Ok(())
            })
            .await?;
    }
    let to = query.to.as_deref().unwrap_or("").trim_start_matches('/');
    let target = match SECTIONS.iter().find(|s| s.slug == to) {
        Some(s) => format!("{}/{}", home_url(&code), s.slug),
        None => home_url(&code),
    };
    let mut res = see_other(&target);
    for c in [removal(&code, GRANT_COOKIE), removal(&code, PAD_COOKIE)] {
        res.add_cookie(&c).map_err(AppError::because("cookie"))?;
    }
    Ok(res)
}

// ---------------------------------------------------------------- a member

/// A trend picture on the member page.
pub struct TrendImage {
    pub src: String,
    pub width: u32,
    pub height: u32,
}

#[derive(Template)]
#[template(path = "tv/health_member.html")]
struct MemberPage {
    frame: Frame,
    readings: Vec<Reading>,
    bp: Option<TrendImage>,
    glucose: Option<TrendImage>,
    span: String,
    bp_line: String,
    glucose_line: String,
    /// What this screen shows: both side by side (HD), or on an SD screen
    /// the readings (with a link to the trends) or the trends alone.
    view: MemberView,
    trends_url: String,
}

/// The parts of a member's page on one screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MemberView {
    Both,
    Readings,
    Trends,
}

impl MemberView {
    fn readings(&self) -> bool {
        *self != MemberView::Trends
    }
    fn trends(&self) -> bool {
        *self != MemberView::Readings
    }
}

#[derive(Deserialize)]
struct MemberQuery {
    show: Option<String>,
}

fn resident_id(raw: &str) -> AppResult<i64> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| AppError::not_found("这位家庭成员"))
}

/// A threshold as the caption writes it: `140`, `6.1`.
fn figure(v: f64) -> String {
    let s = format!("{v:.1}");
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

#[get("/tv/v/{village}/health/me/{resident}")]
async fn member_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    q: web::Query<MemberQuery>,
    banner: Banner,
) -> AppResult<HttpResponse> {
    let (code, rid) = path.into_inner();
    let rid = resident_id(&rid)?;
    // An SD screen has no room for the readings and two charts at once.
    let view = match (banner.1.is_sd(), q.show.as_deref()) {
        (false, _) => MemberView::Both,
        (true, Some("trends")) => MemberView::Trends,
        (true, _) => MemberView::Readings,
    };
    let (now, offset) = (crate::time::now(), state.offset);
    let grant = read_grant(&state, &req);
    let thresholds = state.config.health.clone();
    type Shown = (crate::health::Resident, Vec<Reading>, (usize, usize));
    let (village, township, opened) = state
        .db
        .run(move |conn| {
            let (village, township) = load_village(conn, &code)?;
            let opened: Option<(Grant, Shown)> = match open_grant(conn, &village, grant, now)? {
                Ok((grant, h)) => {
                    let r = display::member(conn, h.id, rid)?;
                    let readings = display::latest(conn, r.id, &thresholds, now, offset)?;
                    let counts = display::trend_counts(conn, r.id, now, offset)?;
                    Some((grant, (r, readings, counts)))
                }
                Err(_) => None,
            };
            Ok((village, township, opened))
        })
        .await?;
    let code = village.code.clone();
    let Some((grant, (resident, readings, (bp_n, glucose_n)))) = opened else {
        // No access (or it ended): the PIN page says why.
        return Ok(see_other(&me_url(&code)));
    };
    let page_url = format!("{}/{}", me_url(&code), resident.id);
    let base = format!("{page_url}/chart");
    let (width, height) = Screen::of(&req).chart_size();
    let image = |trend: Trend| TrendImage {
        src: format!("{base}/{}", trend.file()),
        width,
        height,
    };
    let mut frame = private_frame(
        &state,
        &village,
        township.as_ref(),
        banner,
        "健康档案",
        if view == MemberView::Trends {
            page_url.clone()
        } else {
            me_url(&code)
        },
    );
    frame.title = format!("健康档案 - {}", village.name);
    frame.heading = format!("{}的健康档案", resident.name);
    frame.subheading = format!(
        "{} · 10 分钟不操作自动退出",
        display::about(&resident, now, offset)
    );
    frame.legend = vec![
        (
            "返回",
            if view == MemberView::Trends {
                "最近读数"
            } else {
                "家庭成员"
            },
            "",
        ),
        ("OK", "打开", ""),
        ("红", "首页", "red"),
        ("绿", "通知", "green"),
        ("黄", "健康", "yellow"),
    ];
    let t = &state.config.health;
    let res = super::super::render(&MemberPage {
        frame,
        readings,
        bp: (bp_n > 0).then(|| image(Trend::BloodPressure)),
        glucose: (glucose_n > 0).then(|| image(Trend::Glucose)),
        span: display::trend_span(now, offset),
        bp_line: format!(
            "{}/{}",
            figure(t.bp_high_systolic),
            figure(t.bp_high_diastolic)
        ),
        glucose_line: figure(t.glucose_high),
        view,
        trends_url: format!("{page_url}?show=trends"),
    });
    with_grant(&state, &code, &grant, res)
}

/// A trend picture; only with access to the resident's household.
#[get("/tv/v/{village}/health/me/{resident}/chart/{file}")]
async fn chart_png(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String, String)>,
) -> AppResult<HttpResponse> {
    let (code, rid, file) = path.into_inner();
    let rid = resident_id(&rid)?;
    let trend = Trend::parse(&file).ok_or_else(|| AppError::not_found("这张图"))?;
    let (now, offset) = (crate::time::now(), state.offset);
    let grant = read_grant(&state, &req);
    let thresholds = state.config.health.clone();
    // Drawn at the size the page shows it (an SD box's is smaller).
    let (width, height) = Screen::of(&req).chart_size();
    let png = state
        .db
        .run(move |conn| {
            let (village, _) = load_village(conn, &code)?;
            let Ok((_, h)) = open_grant(conn, &village, grant, now)? else {
                return Err(AppError::Forbidden("请先输入家庭密码".into()));
            };
            let r = display::member(conn, h.id, rid)?;
            let mut chart = display::trend_chart(conn, r.id, trend, &thresholds, now, offset)?;
            chart.width = width;
            chart.height = height;
            chart.png()
        })
        .await?;
    Ok(no_store(
        HttpResponse::Ok().content_type("image/png").body(png),
    ))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    // Fixed addresses before the ones with a resident id.
    cfg.service(station_page)
        .service(exit_page)
        .service(key_press)
        .service(me_page)
        .service(enter_pin)
        .service(chart_png)
        .service(member_page);
}
