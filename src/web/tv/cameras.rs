//! The village's cameras on the TV: the list (a wall of every picture, then
//! a tile per camera), the wall, one camera with its picture and live view,
//! and the pictures and live streams themselves. Only public cameras exist
//! here; an officials-only camera is a 404 like a camera that is not there.

use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::NaiveDateTime;
use serde::Deserialize;

use super::cache::{cacheable, cacheable_page};
use super::village::{Village, VillageView};
use super::{home_url, page_number, Frame};
use crate::cameras::{self, live, wall, Camera, Size, Status};
use crate::error::{AppError, AppResult};
use crate::AppState;

/// Tiles a page, the wall included.
/// The camera page reloads itself this often (its picture stays current
/// without JavaScript).
pub const REFRESH_SECONDS: u32 = 12;

pub struct CameraTile {
    pub number: usize,
    pub href: String,
    pub name: String,
    pub spot: String,
    pub picture: Option<String>,
    pub offline: bool,
    pub status: String,
    pub age: String,
}

#[derive(Template)]
#[template(path = "tv/cameras.html")]
struct ListPage {
    frame: Frame,
    tile_w: u32,
    tile_h: u32,
    wall: Option<String>,
    wall_href: String,
    tiles: Vec<CameraTile>,
    every: String,
    pager: crate::web::Pager,
}

#[derive(Template)]
#[template(path = "tv/camera_wall.html")]
struct WallPage {
    frame: Frame,
    wall: Option<String>,
    width: u32,
    height: u32,
    count: usize,
    online: usize,
    every: String,
}

#[derive(Template)]
#[template(path = "tv/camera.html")]
struct CameraPage {
    frame: Frame,
    camera: Camera,
    picture: Option<String>,
    status: String,
    offline: bool,
    age: String,
    live: Option<String>,
    live_note: &'static str,
    prev: Option<String>,
    next: Option<String>,
    position: usize,
    count: usize,
    refresh: u32,
    /// The picture's size on this box's screen.
    pw: u32,
    ph: u32,
}

impl CameraPage {
    /// The stream to play in the page: only with a picture, which engines
    /// without a player show in its place (a black box otherwise).
    fn in_page(&self) -> Option<&str> {
        self.picture.as_ref().and(self.live.as_deref())
    }
}

#[derive(Deserialize)]
pub struct PictureQuery {
    s: Option<String>,
}

#[derive(Deserialize)]
pub struct LiveQuery {
    t: Option<String>,
}

fn camera_href(village: &str, id: i64) -> String {
    format!("/tv/v/{village}/cameras/{id}")
}

/// A picture's address. It stays the same from grab to grab, so a new
/// picture does not change the page that shows it (and the page stays in
/// the page cache); the picture itself is cached only until the next grab.
fn picture_url(village: &str, id: i64, size: &str) -> String {
    format!("/tv/v/{village}/cameras/{id}/picture.jpg?s={size}")
}

/// The status line of a camera, e.g. "在线" or "离线：连接超时（12月1日 20:30起）".
fn status_line(state: &AppState, c: &Camera) -> String {
    match c.status() {
        Status::Offline => {
            let since =
                crate::time::to_local(c.status_since, state.offset).format("%-m月%-d日 %H:%M");
            if c.status_reason.is_empty() {
                format!("离线（{since}起）")
            } else {
                format!("离线：{}（{since}起）", c.status_reason)
            }
        }
        s => s.label().to_string(),
    }
}

/// The status on a tile, short enough for one line: "离线：连接超时".
fn tile_status(c: &Camera) -> String {
    match c.status() {
        Status::Offline => {
            let reason = c.status_reason.split('（').next().unwrap_or("");
            let reason: String = reason.chars().take(6).collect();
            if reason.is_empty() {
                "离线".into()
            } else {
                format!("离线：{reason}")
            }
        }
        s => s.label().to_string(),
    }
}

/// "每 30 秒" or "每 2 分钟": how often pictures are renewed.
fn every(state: &AppState) -> String {
    match state.config.camera_interval_seconds {
        s if s < 120 => format!("每 {s} 秒"),
        s => format!("每 {} 分钟", s / 60),
    }
}

/// When the village's camera pages next change by themselves: the next
/// change of an age in words ("刚刚" → "1分钟前"). New pictures keep their
/// addresses and status changes touch the village, so neither counts here.
fn next_change(list: &[Camera], now: NaiveDateTime) -> NaiveDateTime {
    list.iter()
        .filter_map(|c| c.snapshot_at)
        .map(|t| cameras::age_changes_at(t, now))
        .fold(now + chrono::Duration::hours(1), NaiveDateTime::min)
}

/// How long a box may keep a picture taken at `taken`: until the next grab
/// is due ("cacheable for its age").
fn keep_for(state: &AppState, taken: NaiveDateTime, now: NaiveDateTime) -> i64 {
    let interval = state.config.camera_interval_seconds as i64;
    (interval - (now - taken).num_seconds()).clamp(0, interval)
}

fn frame(
    state: &AppState,
    view: &VillageView,
    title: &str,
    back: String,
    banner: super::alerts::Banner,
) -> Frame {
    Frame::village(state, &view.village, view.township.as_ref(), title, back).with_alert(banner)
}

/// The wall's address, if any camera of the wall has a picture; like a
/// picture's, it stays the same from grab to grab.
fn wall_url(village: &str, list: &[Camera], size: &str) -> Option<String> {
    list.iter()
        .take(wall::MAX)
        .any(|c| c.snapshot_at.is_some())
        .then(|| format!("/tv/v/{village}/cameras/wall.jpg?s={size}"))
}

pub async fn list_page(
    state: &AppState,
    view: &VillageView,
    page: Option<&str>,
    banner: super::alerts::Banner,
) -> AppResult<HttpResponse> {
    let village_id = view.village.id;
    let list = state
        .db
        .run(move |conn| cameras::of_village(conn, village_id, true))
        .await?;
    let code = &view.village.code;
    let now = crate::time::now();
    let frame = frame(state, view, "雪亮监控", home_url(code), banner).paged();
    // Tiles as many and as large as the screen's video posters; the wall
    // takes the first tile of the first page: it is paged as one tile more,
    // before the cameras (which start a tile later).
    let per = frame.screen.posters();
    let (tile_w, tile_h) = frame.screen.poster_size();
    let total = list.len() as i64 + 1;
    let asked = page_number(page);
    let paged = crate::pager::Pager::new(asked, per).within(total);
    let page = paged.page();
    let skip = (paged.offset() - 1).max(0) as usize;
    let take = if page == 1 { per - 1 } else { per };
    let first_number = if page == 1 { 2 } else { 1 };
    let tiles = list
        .iter()
        .skip(skip)
        .take(take as usize)
        .enumerate()
        .map(|(i, c)| CameraTile {
            number: i + first_number,
            href: camera_href(code, c.id),
            name: c.name.clone(),
            spot: c.spot.clone(),
            picture: c.snapshot_at.map(|_| picture_url(code, c.id, "small")),
            offline: c.status() == Status::Offline,
            status: tile_status(c),
            age: c
                .snapshot_at
                .map(|t| format!("画面：{}", cameras::age_in_words(t, now)))
                .unwrap_or_else(|| "暂无画面".into()),
        })
        .collect();
    let res = super::super::render(&ListPage {
        frame,
        tile_w,
        tile_h,
        wall: (page == 1).then(|| wall_url(code, &list, "tile")).flatten(),
        wall_href: format!("/tv/v/{code}/cameras/wall"),
        tiles,
        every: every(state),
        pager: crate::web::Pager::new(paged, total, &format!("/tv/v/{code}/cameras?")),
    })?;
    let until = view.until.min(next_change(&list, now));
    Ok(cacheable_page(res, page, asked, until))
}

#[get("/tv/v/{village}/cameras/wall")]
async fn wall_page(
    state: web::Data<AppState>,
    view: Village,
    banner: super::alerts::Banner,
) -> AppResult<HttpResponse> {
    let village_id = view.village.id;
    let list = state
        .db
        .run(move |conn| cameras::of_village(conn, village_id, true))
        .await?;
    let code = &view.village.code;
    let shown: Vec<Camera> = list.iter().take(wall::MAX).cloned().collect();
    // An SD box shows the same picture in its player's smaller box.
    let (width, height) = if banner.1.is_sd() {
        banner.1.player_size()
    } else {
        wall::SIZE
    };
    let res = super::super::render(&WallPage {
        frame: frame(
            &state,
            &view,
            "监控画面墙",
            format!("/tv/v/{code}/cameras"),
            banner,
        ),
        wall: wall_url(code, &list, "page"),
        width,
        height,
        count: shown.len(),
        online: shown
            .iter()
            .filter(|c| c.status() == Status::Online)
            .count(),
        every: every(&state),
    })?;
    let until = view.until.min(next_change(&list, crate::time::now()));
    Ok(cacheable(res, until))
}

/// The wall as one JPEG: `s=page` (the wall page) or `s=tile` (the list).
#[get("/tv/v/{village}/cameras/wall.jpg")]
async fn wall_picture(
    req: HttpRequest,
    state: web::Data<AppState>,
    view: Village,
    query: web::Query<PictureQuery>,
) -> AppResult<HttpResponse> {
    let size = match query.s.as_deref() {
        Some("tile") => cameras::picture::SMALL,
        _ => wall::SIZE,
    };
    let village_id = view.village.id;
    let mut list = state
        .db
        .run(move |conn| cameras::of_village(conn, village_id, true))
        .await?;
    list.truncate(wall::MAX);
    let etag = format!(
        "\"w{}\"",
        &crate::crypto::digest_hex(
            format!(
                "{size:?}{}",
                list.iter()
                    .map(|c| format!("{}:{:?}:{}:{};", c.id, c.snapshot_at, c.status, c.name))
                    .collect::<String>()
            )
            .as_bytes()
        )[..20]
    );
    let now = crate::time::now();
    let max_age = list
        .iter()
        .filter_map(|c| c.snapshot_at)
        .map(|t| keep_for(&state, t, now))
        .min()
        .unwrap_or(0);
    if etag_matches(&req, &etag) {
        return Ok(jpeg_response(&req, &etag, max_age, Vec::new()));
    }
    let ids: Vec<i64> = list.iter().map(|c| c.id).collect();
    let pictures = state
        .db
        .run(move |conn| {
            ids.iter()
                .map(|id| Ok(cameras::snapshot(conn, *id, Size::Large)?.map(|(_, b)| b)))
                .collect::<AppResult<Vec<_>>>()
        })
        .await?;
    let bytes = web::block(move || {
        let cells: Vec<wall::Cell<'_>> = list
            .iter()
            .zip(&pictures)
            .map(|(c, p)| wall::Cell {
                name: &c.name,
                picture: p.as_deref(),
                offline: c.status() == Status::Offline,
            })
            .collect();
        wall::compose(&cells, size)
    })
    .await
    .map_err(AppError::because("wall"))?
    .map_err(|f| AppError::bug(format!("wall: {}", f.reason())))?;
    Ok(jpeg_response(&req, &etag, max_age, bytes))
}

#[get("/tv/v/{village}/cameras/{id}")]
async fn camera_page(
    state: web::Data<AppState>,
    view: Village,
    path: web::Path<(String, String)>,
    banner: super::alerts::Banner,
) -> AppResult<HttpResponse> {
    let id = parse_id(&path.1)?;
    let village_id = view.village.id;
    let live_state = state.cameras.live.clone();
    let (list, room) = state
        .db
        .run(move |conn| {
            let list = cameras::of_village(conn, village_id, true)?;
            let room = live_state.has_room(conn, id)?;
            Ok((list, room))
        })
        .await?;
    let index = list
        .iter()
        .position(|c| c.id == id)
        .ok_or_else(|| AppError::not_found("这个摄像头"))?;
    let camera = list[index].clone();
    let code = view.village.code.clone();
    let now = crate::time::now();
    let offers_live = camera.offers_live() && camera.status() != Status::Offline;
    let live = (offers_live && room).then(|| {
        let token = live::token(&state.keys, &code, camera.id, now + live::TOKEN_TTL);
        format!("/tv/v/{code}/cameras/{}/live.m3u8?t={token}", camera.id)
    });
    let live_note = if offers_live && !room {
        live::BUSY
    } else if live.is_some() {
        "实时画面约有十秒延迟。"
    } else if !camera.privacy.is_empty() {
        "这个摄像头设有隐私遮挡，只提供定时刷新的画面。"
    } else {
        ""
    };
    let neighbour = |i: usize| camera_href(&code, list[i].id);
    let prev = (index > 0).then(|| neighbour(index - 1));
    let next = (index + 1 < list.len()).then(|| neighbour(index + 1));
    let mut frame = frame(
        &state,
        &view,
        &camera.name,
        format!("/tv/v/{code}/cameras"),
        banner,
    )
    .paged();
    frame.title = format!("{} - 雪亮监控 - {}", camera.name, view.village.name);
    let (pw, ph) = frame.screen.player_size();
    let res = super::super::render(&CameraPage {
        frame,
        picture: camera
            .snapshot_at
            .map(|_| picture_url(&code, camera.id, "large")),
        status: status_line(&state, &camera),
        offline: camera.status() == Status::Offline,
        age: camera
            .snapshot_at
            .map(|t| format!("画面拍摄于{}", cameras::age_in_words(t, now)))
            .unwrap_or_else(|| "暂时没有画面".into()),
        live,
        live_note,
        prev,
        next,
        position: index + 1,
        count: list.len(),
        camera,
        refresh: REFRESH_SECONDS,
        pw,
        ph,
    })?;
    // Live tokens in the page last two hours: kept pages are renewed well before.
    let until = view
        .until
        .min(next_change(&list, now))
        .min(now + chrono::Duration::minutes(10));
    Ok(cacheable(res, until))
}

/// A camera's latest picture (`s=large` for its page, `s=small` for tiles).
#[get("/tv/v/{village}/cameras/{id}/picture.jpg")]
async fn picture(
    req: HttpRequest,
    state: web::Data<AppState>,
    view: Village,
    path: web::Path<(String, String)>,
    query: web::Query<PictureQuery>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&path.1)?;
    let size = match query.s.as_deref() {
        Some("small") => Size::Small,
        _ => Size::Large,
    };
    let village_id = view.village.id;
    let stored = state
        .db
        .run(move |conn| {
            cameras::public_of_village(conn, village_id, id)?;
            cameras::snapshot(conn, id, size)
        })
        .await?;
    let (taken, bytes) = stored.ok_or_else(|| AppError::not_found("这个画面"))?;
    let etag = format!(
        "\"p{}{}\"",
        taken.and_utc().timestamp(),
        if size == Size::Small { "s" } else { "l" }
    );
    let max_age = keep_for(&state, taken, crate::time::now());
    Ok(jpeg_response(&req, &etag, max_age, bytes))
}

#[get("/tv/v/{village}/cameras/{id}/live.m3u8")]
async fn live_playlist(
    state: web::Data<AppState>,
    view: Village,
    path: web::Path<(String, String)>,
    query: web::Query<LiveQuery>,
) -> AppResult<HttpResponse> {
    let (camera, token) = live_camera(&state, &view, &path.1, query.t.as_deref()).await?;
    let (live, code) = (state.cameras.live.clone(), view.village.code.clone());
    live_answer("no-cache", move || {
        let list = live.playlist(&camera, &code, &token)?;
        Ok((list.into_bytes(), "application/vnd.apple.mpegurl"))
    })
    .await
}

#[get("/tv/v/{village}/cameras/{id}/live/{name}")]
async fn live_segment(
    state: web::Data<AppState>,
    view: Village,
    path: web::Path<(String, String, String)>,
    query: web::Query<LiveQuery>,
) -> AppResult<HttpResponse> {
    let (camera, _) = live_camera(&state, &view, &path.1, query.t.as_deref()).await?;
    let (live, name) = (state.cameras.live.clone(), path.2.clone());
    live_answer("private, max-age=60", move || {
        Ok((live.segment(camera.id, &name)?, "video/mp2t"))
    })
    .await
}

/// A file of a proxied HLS source (its address sealed in the path).
#[get("/tv/v/{village}/cameras/{id}/live/x/{sealed}")]
async fn live_proxied(
    state: web::Data<AppState>,
    view: Village,
    path: web::Path<(String, String, String)>,
    query: web::Query<LiveQuery>,
) -> AppResult<HttpResponse> {
    let (camera, token) = live_camera(&state, &view, &path.1, query.t.as_deref()).await?;
    let live = state.cameras.live.clone();
    let (code, sealed) = (view.village.code.clone(), path.2.clone());
    live_answer("no-cache", move || {
        live.proxied(camera.id, &code, &token, &sealed)
    })
    .await
}

/// Runs live work (files, ffmpeg, another media server: all blocking) off
/// the request threads and answers with its bytes and content type.
async fn live_answer<F>(cache: &'static str, work: F) -> AppResult<HttpResponse>
where
    F: FnOnce() -> AppResult<(Vec<u8>, &'static str)> + Send + 'static,
{
    let (bytes, content_type) = web::block(work)
        .await
        .map_err(AppError::because("live"))??;
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, cache))
        .body(bytes))
}

/// The camera of a live address, once its token is checked.
async fn live_camera(
    state: &AppState,
    view: &VillageView,
    id: &str,
    token: Option<&str>,
) -> AppResult<(Camera, String)> {
    let id = parse_id(id)?;
    let token = token.unwrap_or("").to_string();
    live::check_token(
        &state.keys,
        &view.village.code,
        id,
        &token,
        crate::time::now(),
    )?;
    let village_id = view.village.id;
    let camera = state
        .db
        .run(move |conn| cameras::public_of_village(conn, village_id, id))
        .await?;
    if !camera.offers_live() {
        return Err(AppError::not_found("直播画面"));
    }
    Ok((camera, token))
}

fn parse_id(raw: &str) -> AppResult<i64> {
    raw.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| AppError::not_found("这个摄像头"))
}

fn etag_matches(req: &HttpRequest, etag: &str) -> bool {
    req.headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim().trim_start_matches("W/") == etag)
        })
}

/// A picture for a box that asks with `etag`, or a 304 when it has it;
/// either may be kept for `max_age` seconds, the time left to the next grab.
fn jpeg_response(req: &HttpRequest, etag: &str, max_age: i64, bytes: Vec<u8>) -> HttpResponse {
    let fresh = etag_matches(req, etag);
    let mut res = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    res.insert_header((header::ETAG, etag.to_string()))
        .insert_header((header::CACHE_CONTROL, format!("public, max-age={max_age}")));
    if fresh {
        res.finish()
    } else {
        res.content_type("image/jpeg").body(bytes)
    }
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    // The wall before `{id}`: its address would match that pattern too.
    cfg.service(wall_page)
        .service(wall_picture)
        .service(camera_page)
        .service(picture)
        .service(live_playlist)
        .service(live_proxied)
        .service(live_segment);
}
