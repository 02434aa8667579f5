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

mod member;
mod members;
mod pin_entry;
mod station;

use member::*;
use members::*;
use pin_entry::*;
use station::*;

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
