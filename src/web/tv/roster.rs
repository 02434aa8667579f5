//! The duty roster on the TV: 今日值班 on the home, `/tv/v/{v}/roster`
//! (this week and the cadres' contacts) and the village office's sign-in
//! screen `/tv/v/{v}/office` with its rotating QR code (on a screen the
//! township registered; any other shows a registration number instead).

use actix_web::cookie::time::Duration as CookieDuration;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{Datelike, Duration, FixedOffset, NaiveDate};
use serde::Deserialize;

use super::village::{Village, VillageView};
use super::{alerts, home_url, Frame, Screen};
use crate::error::AppResult;
use crate::roster::board::{self, Board, BoardDay, OnDuty, PublicCadre};
use crate::roster::screens::{self, Visit};
use crate::roster::{signin, weekday_label};
use crate::AppState;

/// `12月1日 周二`
fn day_label(day: NaiveDate) -> String {
    format!(
        "{}月{}日 周{}",
        day.month(),
        day.day(),
        weekday_label(day.weekday().number_from_monday() as i32)
    )
}

/// `在岗 08:12 签到` / `暂未到岗` / `值班电话 ...`
pub fn status_text(d: &OnDuty, offset: FixedOffset) -> String {
    if d.on_call {
        return "休息日值班".into();
    }
    match d.signed_in {
        Some(at) => format!(
            "在岗（{} 签到）",
            crate::time::to_local(at, offset).format("%H:%M")
        ),
        None => "暂未到岗".into(),
    }
}

/// The home's 今日值班 box.
pub struct HomeDuty {
    pub href: String,
    /// The first cadre on duty and how many more.
    pub who: Option<(PublicCadre, usize)>,
    pub status: String,
    pub rest_day: bool,
}

impl HomeDuty {
    pub fn of(code: &str, today: &BoardDay, offset: FixedOffset) -> HomeDuty {
        let first = today.duties.first();
        HomeDuty {
            href: format!("/tv/v/{code}/roster"),
            who: first.map(|d| (d.cadre.clone(), today.duties.len() - 1)),
            status: match first {
                None => "今日未排班".into(),
                Some(_) if !today.kind.is_workday() => format!("今日{}", today.kind.label()),
                // Anyone on duty who signed in makes the office staffed.
                Some(d) => today
                    .duties
                    .iter()
                    .find(|x| x.signed_in.is_some())
                    .map_or_else(|| status_text(d, offset), |x| status_text(x, offset)),
            },
            rest_day: !today.kind.is_workday(),
        }
    }
}

/// Loads what the home needs: `None` when the village keeps no roster.
pub fn home_duty(
    conn: &mut crate::db::DbConn,
    village_id: i64,
    code: &str,
    offset: FixedOffset,
) -> AppResult<Option<HomeDuty>> {
    if !board::has_roster(conn, village_id)? {
        return Ok(None);
    }
    let today = board::today(conn, village_id, crate::time::now(), offset)?;
    Ok(Some(HomeDuty::of(code, &today, offset)))
}

struct WeekRow {
    label: String,
    kind: String,
    today: bool,
    who: String,
}

#[derive(Template)]
#[template(path = "tv/roster.html")]
struct RosterPage {
    frame: Frame,
    contacts: bool,
    week_href: String,
    contacts_href: String,
    rows: Vec<WeekRow>,
    cadres: Vec<PublicCadre>,
    office_phone: String,
    hours: String,
    prev: Option<String>,
    next: Option<String>,
    week_title: String,
}

#[derive(Deserialize)]
pub struct RosterQuery {
    /// Weeks from this one (-1 last week, 1 next week).
    week: Option<String>,
    show: Option<String>,
}

/// The week asked for, lenient like page numbers: -4 to 4, else this week.
pub fn week_number(raw: Option<&str>) -> i64 {
    raw.and_then(|w| w.trim().parse::<i64>().ok())
        .unwrap_or(0)
        .clamp(-4, 4)
}

fn who_text(d: &BoardDay) -> String {
    if d.duties.is_empty() {
        return "未排班".into();
    }
    let mut names: Vec<String> = Vec::new();
    for x in &d.duties {
        let n = if x.covering {
            format!("{}（代班）", x.cadre.name)
        } else {
            x.cadre.name.clone()
        };
        if !names.contains(&n) {
            names.push(n);
        }
    }
    names.join("、")
}

/// `/tv/v/{v}/roster`: this week's roster, or the cadres' contacts.
pub async fn roster_page(
    state: &AppState,
    view: &VillageView,
    query: RosterQuery,
    banner: alerts::Banner,
) -> AppResult<HttpResponse> {
    let offset = state.offset;
    let now = crate::time::now();
    let today = crate::time::to_local(now, offset).date_naive();
    let week = week_number(query.week.as_deref());
    let contacts = query.show.as_deref() == Some("contacts");
    let monday = crate::roster::duty::week_start(today) + Duration::weeks(week);
    let village_id = view.village.id;
    let board: Board = state
        .db
        .run(move |c| {
            board::load(
                c,
                village_id,
                monday,
                monday + Duration::days(6),
                now,
                offset,
            )
        })
        .await?;
    let code = &view.village.code;
    let link = |w: i64| format!("/tv/v/{code}/roster?week={w}");
    let rows = board
        .days
        .iter()
        .map(|d| WeekRow {
            label: day_label(d.day),
            kind: d.holiday.clone().unwrap_or_else(|| d.kind.label().into()),
            today: d.day == today,
            who: crate::text::cut(&who_text(d), 14),
        })
        .collect();
    let frame = Frame::village(
        state,
        &view.village,
        view.township.as_ref(),
        "值班表",
        home_url(code),
    )
    .with_alert(banner)
    .paged();
    let res = super::super::render(&RosterPage {
        frame,
        contacts,
        week_href: format!("/tv/v/{code}/roster"),
        contacts_href: format!("/tv/v/{code}/roster?show=contacts"),
        rows,
        cadres: board.cadres.into_iter().take(8).collect(),
        office_phone: board.office_phone,
        hours: board.hours,
        prev: (!contacts && week > -4).then(|| link(week - 1)),
        next: (!contacts && week < 4).then(|| link(week + 1)),
        week_title: match week {
            0 => "本周值班".into(),
            1 => "下周值班".into(),
            -1 => "上周值班".into(),
            _ => format!("{} 起一周", day_label(monday)),
        },
    })?;
    Ok(super::cache::cacheable(res, view.until))
}

#[derive(Template)]
#[template(path = "tv/office.html")]
struct OfficePage {
    frame: Frame,
    qr: String,
    qr_size: u32,
    code: String,
    refresh: i64,
    duties: Vec<(String, String, String)>,
    kind: String,
}

/// Pixels a QR module on each screen.
fn qr_scale(screen: Screen) -> u32 {
    if screen.is_sd() {
        5
    } else {
        8
    }
}

fn signin_url(req: &HttpRequest, village: &str, code: &str) -> String {
    let info = req.connection_info();
    format!(
        "{}://{}/admin/duty/signin?v={village}&code={code}",
        info.scheme(),
        info.host()
    )
}

#[derive(Template)]
#[template(path = "tv/office_unregistered.html")]
struct UnregisteredPage {
    frame: Frame,
    number: String,
    refresh: i64,
    reload: String,
    status_html: String,
    ask_html: String,
    note_html: String,
}

/// The office screen's cookie: its pairing secret, then its token; sent
/// to this village's office pages only.
fn office_cookie(state: &AppState, village: &str, value: String, age: Duration) -> Cookie<'static> {
    Cookie::build(screens::COOKIE, value)
        .path(format!("/tv/v/{village}/office"))
        .http_only(true)
        .secure(state.config.secure_cookies)
        .same_site(SameSite::Lax)
        .max_age(CookieDuration::seconds(age.num_seconds()))
        .finish()
}

fn no_store(mut res: HttpResponse) -> HttpResponse {
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    res
}

/// The office screen: never kept in the page cache (its code changes each
/// minute); it reloads itself when the code changes, JavaScript or not.
/// Only a screen registered by the township shows the code; any other asks
/// to be registered (`roster::screens`).
#[get("/tv/v/{village}/office")]
async fn office_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    view: Village,
    banner: alerts::Banner,
    screen: Screen,
) -> AppResult<HttpResponse> {
    let now = crate::time::now();
    let village_id = view.village.id;
    let vcode = view.village.code.clone();
    let held = req.cookie(screens::COOKIE).map(|c| c.value().to_string());
    let device = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    // A screen without its cookie is given a new number, a write: a few a
    // minute from one address.
    if !held.as_deref().is_some_and(screens::well_formed) {
        if state.office_bursts.len() > 4096 {
            state.office_bursts.retain_recent();
        }
        let client = crate::web::auth::client_addr(
            &req,
            state.config.trust_proxy,
            state.config.trusted_proxy_hops,
        );
        if state.office_bursts.check_key(&client).is_err() {
            return Err(crate::error::AppError::TooManyRequests(
                "刷新太频繁，请一分钟后再试".into(),
            ));
        }
    }
    let keys = state.keys.clone();
    let visit = state
        .db
        .run(move |c| screens::visit(c, &keys, village_id, held.as_deref(), &device, now))
        .await?;
    let mut frame = Frame::village(
        &state,
        &view.village,
        view.township.as_ref(),
        "村委值班签到",
        home_url(&vcode),
    )
    .with_alert(banner)
    .on(screen);
    frame.heading = format!("{} 村委值班签到", view.village.name);
    let new_token = match visit {
        Visit::Registered { new_token } => new_token,
        Visit::Unregistered { number, new_secret } => {
            let township = view
                .township
                .as_ref()
                .map_or_else(|| "乡镇".to_string(), |t| format!("乡镇（{}）", t.name));
            let mut res = no_store(super::super::render(&UnregisteredPage {
                frame,
                number,
                refresh: signin::seconds_left(now) + 1,
                reload: format!("/tv/v/{vcode}/office"),
                status_html: crate::text::wbr(
                    "这块屏幕还没有登记为本村村委办公室的签到屏幕，暂不显示签到码。",
                ),
                ask_html: crate::text::wbr(&format!(
                    "请{township}审核员在后台“值班管理”本村页面的“办公室屏幕登记号”处登记这个号码。"
                )),
                note_html: crate::text::wbr(&format!(
                    "登记号 {} 分钟内有效，过期自动更换；登记后 1 分钟内显示签到码。",
                    screens::PAIRING_MINUTES
                )),
            })?);
            if let Some(secret) = new_secret {
                let age = Duration::minutes(screens::PAIRING_COOKIE_MINUTES);
                res.add_cookie(&office_cookie(&state, &vcode, secret, age))
                    .map_err(crate::error::AppError::because("office cookie"))?;
            }
            return Ok(res);
        }
    };
    let window = signin::window_of(now);
    let code = signin::code(&state.keys, village_id, window);
    let offset = state.offset;
    let today = state
        .db
        .run(move |c| board::today(c, village_id, now, offset))
        .await?;
    // The image is as large as the QR code of this address is.
    let modules = qrcode::QrCode::new(signin_url(&req, &vcode, &code).as_bytes())
        .map(|q| q.width() as u32)
        .unwrap_or(33);
    let qr_size = (modules + 8) * qr_scale(screen);
    let mut res = no_store(super::super::render(&OfficePage {
        frame,
        qr: format!("/tv/v/{vcode}/office/qr.png?w={window}"),
        qr_size,
        code,
        refresh: signin::seconds_left(now) + 1,
        duties: today
            .duties
            .iter()
            .map(|d| {
                (
                    d.cadre.name.clone(),
                    d.cadre.post.clone(),
                    status_text(d, offset),
                )
            })
            .collect(),
        kind: today
            .holiday
            .clone()
            .unwrap_or_else(|| today.kind.label().into()),
    })?);
    if let Some(token) = new_token {
        let age = Duration::days(screens::TOKEN_DAYS);
        res.add_cookie(&office_cookie(&state, &vcode, token, age))
            .map_err(crate::error::AppError::because("office cookie"))?;
    }
    Ok(res)
}

#[derive(Deserialize)]
struct QrQuery {
    w: Option<i64>,
}

/// The QR code of the window asked for (the current or the one before),
/// else of the current one.
#[get("/tv/v/{village}/office/qr.png")]
async fn office_qr(
    req: HttpRequest,
    state: web::Data<AppState>,
    view: Village,
    screen: Screen,
    q: web::Query<QrQuery>,
) -> AppResult<HttpResponse> {
    // Only a registered office screen gets the code's picture.
    let held = req.cookie(screens::COOKIE).map(|c| c.value().to_string());
    let village_id = view.village.id;
    let registered = state
        .db
        .run(move |c| screens::is_registered(c, village_id, held.as_deref()))
        .await?;
    if !registered {
        return Ok(HttpResponse::Forbidden()
            .content_type("text/plain; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body("这块屏幕没有登记为村委办公室的签到屏幕"));
    }
    let now = signin::window_of(crate::time::now());
    let window =
        q.w.filter(|w| *w <= now && now - *w < signin::VALID_WINDOWS)
            .unwrap_or(now);
    let code = signin::code(&state.keys, view.village.id, window);
    let url = signin_url(&req, &view.village.code, &code);
    let scale = qr_scale(screen);
    let png = web::block(move || signin::qr_png(&url, scale))
        .await
        .map_err(crate::error::AppError::because("qr"))??;
    Ok(HttpResponse::Ok()
        .content_type("image/png")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(png))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(office_qr).service(office_page);
}
