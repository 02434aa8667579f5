//! 党建园地 · 组织生活: the branch's confirmed meeting records (type, day,
//! topics, attendance count, a photo). Never minutes or anyone's name:
//! `roster::life` reads only the public columns.

use actix_web::{get, web, HttpResponse};
use askama::Template;

use super::articles::{party_tabs, ListPage};
use super::cache::{cacheable, cacheable_page};
use super::village::{Village, VillageView};
use super::{home_url, Frame, Screen, Tile};
use crate::error::AppResult;
use crate::media::{self, Rendition, TILE_SIZE};
use crate::roster::life::{self, PublicMeeting};
use crate::web::Pager;
use crate::AppState;

/// The tab's `cat` value on `/tv/v/{village}/party`.
pub const LIFE: &str = "life";
const TITLE: &str = "组织生活";

/// `2026年07月12日` of a stored `YYYY-MM-DD` (as stored if it is not one).
fn day_label(held_on: &str) -> String {
    crate::roster::parse_day(held_on)
        .map(|d| d.format("%Y年%m月%d日").to_string())
        .unwrap_or_else(|| held_on.to_string())
}

fn attendance(m: &PublicMeeting) -> String {
    format!("应到 {} 人，实到 {} 人", m.expected, m.present)
}

/// The 组织生活 tab: one row a confirmed meeting, newest first.
pub async fn life_list(
    state: &AppState,
    view: &VillageView,
    asked: i64,
    banner: super::alerts::Banner,
    screen: Screen,
) -> AppResult<HttpResponse> {
    let per_page = screen.rows_under_tabs();
    let village_id = view.village.id;
    let (rows, total) = state
        .db
        .run(move |c| life::on_tv(c, village_id, asked, per_page))
        .await?;
    let code = &view.village.code;
    let base = format!("/tv/v/{code}/party");
    let pager = Pager::new(
        crate::pager::Pager::new(asked, per_page),
        total,
        &format!("{base}?cat={LIFE}&"),
    );
    let page = pager.page;
    let mut frame = Frame::village(
        state,
        &view.village,
        view.township.as_ref(),
        TITLE,
        home_url(code),
    )
    .with_alert(banner)
    .on(screen)
    .paged();
    frame.heading = format!("{} · 党建园地", view.village.name);
    let rows = rows
        .iter()
        .enumerate()
        .map(|(i, m)| Tile {
            number: i + 1,
            href: format!("/tv/v/{code}/life/{}", m.id),
            title: crate::text::cut(
                &format!("{} · {}", m.kind_label(), m.topics),
                screen.row_columns().saturating_sub(8),
            ),
            hint: format!(
                "{} 到会{}人{}",
                m.held_on.get(5..).unwrap_or(&m.held_on),
                m.present,
                // SD rows have no room for it.
                if m.photo_id.is_some() && !screen.is_sd() {
                    " 有照片"
                } else {
                    ""
                }
            ),
        })
        .collect();
    let res = super::super::render(&ListPage {
        frame,
        title: TITLE,
        filler: None,
        tabs: party_tabs(&base, Some(LIFE)),
        rows,
        pager,
    })?;
    Ok(cacheable_page(res, page, asked, view.until))
}

#[derive(Template)]
#[template(path = "tv/meeting.html")]
struct MeetingPage {
    frame: Frame,
    kind: &'static str,
    day: String,
    topics_html: String,
    attendance: String,
    photo: Option<String>,
    photo_w: u32,
    photo_h: u32,
}

/// One confirmed meeting: its photo beside type, day, topics and how many came.
#[get("/tv/v/{village}/life/{id}")]
async fn meeting_page(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    view: Village,
    banner: super::alerts::Banner,
    screen: Screen,
) -> AppResult<HttpResponse> {
    let id: i64 = path
        .1
        .parse()
        .map_err(|_| crate::error::AppError::not_found("这条组织生活记录"))?;
    let village_id = view.village.id;
    let m = state
        .db
        .run(move |c| life::one_on_tv(c, village_id, id))
        .await?;
    let code = &view.village.code;
    let mut frame = Frame::village(
        &state,
        &view.village,
        view.township.as_ref(),
        m.kind_label(),
        format!("/tv/v/{code}/party?cat={LIFE}"),
    )
    .with_alert(banner)
    .on(screen);
    frame.heading = format!("{} · 组织生活", view.village.name);
    let res = super::super::render(&MeetingPage {
        frame,
        kind: m.kind_label(),
        day: day_label(&m.held_on),
        // Topics are short (200 characters at most): cut for the box anyway.
        topics_html: crate::text::wbr(&crate::text::cut(&m.topics, 120)),
        attendance: attendance(&m),
        photo: m.photo_id.map(|p| media::url(p, Rendition::Tile)),
        photo_w: TILE_SIZE.0,
        photo_h: TILE_SIZE.1,
    })?;
    Ok(cacheable(res, view.until))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(meeting_page);
}
