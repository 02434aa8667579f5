//! Section lists, the video grid, the article reader and the video page.

use actix_web::{get, web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::cache::{cacheable, cacheable_page};
use super::player::Player;
use super::village::{Village, VillageView};
use super::{home_url, page_number, Frame, Screen, Tile};
use crate::articles::{self, screen, Article, Revision, Section};
use crate::error::{AppError, AppResult};
use crate::media::{self, Rendition};
use crate::web::Pager;
use crate::AppState;

/// A party-building category tab.
pub struct Tab {
    pub href: String,
    pub label: &'static str,
    pub active: bool,
}

/// What fills the room under a short list: the start of its newest item.
pub(super) struct Filler {
    title: String,
    /// Breakable HTML, cut to the box.
    text_html: String,
}

/// Lists with fewer rows than this get a [`Filler`] on their first page.
const FILL_BELOW: usize = 3;

#[derive(Template)]
#[template(path = "tv/list.html")]
pub(super) struct ListPage {
    pub(super) frame: Frame,
    pub(super) title: &'static str,
    pub(super) filler: Option<Filler>,
    pub(super) tabs: Vec<Tab>,
    pub(super) rows: Vec<Tile>,
    /// 上一页/下一页 and 第 N/M 页 below the rows.
    pub(super) pager: Pager,
}

/// Whether `cat` names a tab of 党建园地 (an article category or 组织生活).
pub fn is_party_tab(cat: &str) -> bool {
    articles::category_label(cat).is_some() || cat == super::branch::LIFE
}

/// The tabs of 党建园地 at `base` (its address): 全部, the article
/// categories, and 组织生活 (the branch's confirmed meetings); `active` is
/// the `cat` shown.
pub(super) fn party_tabs(base: &str, active: Option<&str>) -> Vec<Tab> {
    let mut tabs = vec![Tab {
        href: base.to_string(),
        label: "全部",
        active: active.is_none(),
    }];
    tabs.extend(articles::PARTY_CATEGORIES.iter().map(|(c, label)| Tab {
        href: format!("{base}?cat={c}"),
        label,
        active: active == Some(*c),
    }));
    tabs.push(Tab {
        href: format!("{base}?cat={}", super::branch::LIFE),
        label: "组织生活",
        active: active == Some(super::branch::LIFE),
    });
    tabs
}

/// A video in the poster grid.
struct VideoTile {
    number: usize,
    href: String,
    title: String,
    /// The title cut to the poster's lines, breakable.
    title_html: String,
    poster: Option<String>,
    duration: String,
}

#[derive(Template)]
#[template(path = "tv/videos.html")]
struct VideosPage {
    frame: Frame,
    videos: Vec<VideoTile>,
    /// The size posters are drawn at.
    poster_w: u32,
    poster_h: u32,
    pager: Pager,
}

#[derive(Deserialize)]
pub struct ListQuery {
    page: Option<String>,
    cat: Option<String>,
}

impl ListQuery {
    pub fn page(&self) -> Option<&str> {
        self.page.as_deref()
    }
}

/// Marks shown before a title in lists.
fn marks(a: &Article) -> String {
    let mut m = String::new();
    if a.urgent {
        m.push_str("【紧急】");
    }
    if a.pinned {
        m.push_str("【置顶】");
    }
    m
}

/// `12:05` or `1:02:03`.
fn duration(seconds: Option<i32>) -> String {
    match seconds {
        Some(s) if s >= 3600 => format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60),
        Some(s) if s > 0 => format!("{}:{:02}", s / 60, s % 60),
        _ => String::new(),
    }
}

/// The list of a section: own village, township and county items on air.
pub async fn section_list(
    state: &AppState,
    view: &VillageView,
    section: Section,
    query: ListQuery,
    banner: super::alerts::Banner,
    screen: Screen,
) -> AppResult<HttpResponse> {
    let asked = page_number(query.page.as_deref());
    if section == Section::Party && query.cat.as_deref() == Some(super::branch::LIFE) {
        return super::branch::life_list(state, view, asked, banner, screen).await;
    }
    // As many as fit above the pager: the tabs of 党建园地 take a row's room.
    let per_page = match section {
        Section::Videos => screen.posters(),
        Section::Party => screen.rows_under_tabs(),
        _ => screen.rows(),
    };
    let category = query
        .cat
        .filter(|c| section == Section::Party && articles::category_label(c).is_some());
    let scope = view.scope;
    let now = crate::time::now();
    let cat = category.clone();
    let (rows, total, videos, newest) = state
        .db
        .run(move |conn| {
            let (rows, total) =
                articles::on_air(conn, &scope, section, cat.as_deref(), now, asked, per_page)?;
            let videos = if section == Section::Videos {
                articles::video_details(conn, &rows)?
            } else {
                Vec::new()
            };
            // A short list leaves the screen empty: show its newest item's start.
            let newest = match rows.first() {
                Some(a) if section != Section::Videos && rows.len() < FILL_BELOW && asked <= 1 => {
                    articles::for_tv(conn, &scope, a.id, now)
                        .ok()
                        .map(|(_, rev)| rev)
                }
                _ => None,
            };
            Ok((rows, total, videos, newest))
        })
        .await?;
    let code = &view.village.code;
    let base = format!("/tv/v/{code}/{}", section.as_str());
    let cat_param = category
        .as_deref()
        .map(|c| format!("cat={c}&"))
        .unwrap_or_default();
    let pager = Pager::new(
        crate::pager::Pager::new(asked, per_page),
        total,
        &format!("{base}?{cat_param}"),
    );
    let page = pager.page;
    let mut frame = Frame::village(
        state,
        &view.village,
        view.township.as_ref(),
        section.label(),
        home_url(code),
    )
    .with_alert(banner)
    .on(screen)
    .paged();
    // The list says which section it is.
    frame.heading = format!("{} · {}", view.village.name, section.label());
    let href = |a: &Article| format!("/tv/v/{code}/a/{}", a.id);
    let res = if section == Section::Videos {
        let videos = rows
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let details = videos.iter().find(|v| v.article_id == a.id);
                VideoTile {
                    number: i + 1,
                    href: href(a),
                    title: a.title.clone(),
                    title_html: crate::text::wbr(&crate::text::cut(
                        &format!("{}{}", marks(a), a.title),
                        screen.poster_columns(),
                    )),
                    poster: details
                        .and_then(|v| v.poster_media_id)
                        .map(|m| media::url(m, Rendition::thumb_for(screen.is_sd()))),
                    duration: duration(details.and_then(|v| v.duration_seconds)),
                }
            })
            .collect();
        let (poster_w, poster_h) = screen.poster_size();
        super::super::render(&VideosPage {
            frame,
            videos,
            poster_w,
            poster_h,
            pager,
        })?
    } else {
        let tabs = if section == Section::Party {
            party_tabs(&base, category.as_deref())
        } else {
            Vec::new()
        };
        let offset = state.offset;
        let rows = rows
            .iter()
            .enumerate()
            .map(|(i, a)| Tile {
                number: i + 1,
                href: href(a),
                // One row each: the article page shows the whole title.
                title: crate::text::cut(&format!("{}{}", marks(a), a.title), screen.row_columns()),
                hint: a
                    .published_at
                    .map(|t| crate::time::to_local(t, offset).format("%m-%d").to_string())
                    .unwrap_or_default(),
            })
            .collect();
        // What fits under the rows (SD: three lines, two under the tabs).
        let columns = match (screen.is_sd(), tabs.is_empty()) {
            (true, true) => 128,
            (true, false) => 96,
            (false, _) => 200,
        };
        let filler = newest.map(|rev| Filler {
            title: crate::text::cut(&rev.title, columns / 3),
            text_html: crate::text::wbr(&crate::text::cut(
                &articles::sanitize::plain_text(&rev.body),
                columns,
            )),
        });
        super::super::render(&ListPage {
            frame,
            title: section.label(),
            filler,
            tabs,
            rows,
            pager,
        })?
    };
    Ok(cacheable_page(res, page, asked, view.until))
}

#[derive(Template)]
#[template(path = "tv/article.html")]
pub struct ArticlePage {
    pub frame: Frame,
    pub title: String,
    /// The title as HTML with line-break opportunities (`crate::text::wbr`).
    pub title_html: String,
    pub meta: String,
    /// Sanitised HTML of this screen page.
    pub body: String,
    pub page: usize,
    pub pages: usize,
    pub percent: usize,
    pub prev: Option<String>,
    pub next: Option<String>,
    /// 有疑问 on a 村务公开 article: where it files the question.
    pub question: Option<String>,
}

/// `2026年11月23日 · 本村`: when and for whom.
fn meta(article: &Article, rev: &Revision, offset: chrono::FixedOffset) -> String {
    let date = article
        .published_at
        .or(rev.publish_at)
        .map(|t| {
            crate::time::to_local(t, offset)
                .format("%Y年%m月%d日")
                .to_string()
        })
        .unwrap_or_else(|| "尚未发布".into());
    format!("{} · {}", date, article.scope().label())
}

impl ArticlePage {
    /// Screen page `p` (1-based, clamped) of a revision; `base` is the
    /// address the page links use (`?p=N` is appended).
    pub fn new(
        frame: Frame,
        article: &Article,
        rev: &Revision,
        p: i64,
        base: &str,
        offset: chrono::FixedOffset,
    ) -> Self {
        let fit = if frame.screen.is_sd() {
            screen::Fit::SD
        } else {
            screen::Fit::HD
        };
        let screens = screen::paginate_to(&rev.body, fit);
        let pages = screens.len();
        let page = (p.max(1) as usize).min(pages);
        let sep = if base.contains('?') { '&' } else { '?' };
        let link = |n: usize| format!("{base}{sep}p={n}");
        ArticlePage {
            frame: frame.paged(),
            title: rev.title.clone(),
            title_html: crate::text::wbr(&rev.title),
            meta: meta(article, rev, offset),
            // Engines without CJK line breaking wrap at the <wbr>s.
            body: crate::text::wbr_html(&screens.into_iter().nth(page - 1).unwrap_or_default()),
            page,
            pages,
            percent: page * 100 / pages,
            prev: (page > 1).then(|| link(page - 1)),
            next: (page < pages).then(|| link(page + 1)),
            question: None,
        }
    }
}

/// A video: the player, and a plain link for boxes whose player opens links.
#[derive(Template)]
#[template(path = "tv/video.html")]
pub struct VideoPage {
    pub frame: Frame,
    /// The player's box on this screen.
    pub player_w: u32,
    pub player_h: u32,
    pub title: String,
    pub title_html: String,
    pub meta: String,
    /// The summary beside the player, cut to fit, as breakable HTML.
    pub summary_html: String,
    pub player: Player,
}

impl VideoPage {
    pub fn new(
        frame: Frame,
        article: &Article,
        rev: &Revision,
        src: &str,
        offset: chrono::FixedOffset,
    ) -> Self {
        let mut meta = meta(article, rev, offset);
        let length = duration(rev.duration_seconds);
        if !length.is_empty() {
            meta = format!("{meta} · 时长 {length}");
        }
        let (player_w, player_h) = frame.screen.player_size();
        let summary_columns = frame.screen.summary_columns();
        // An SD box gets a poster resized for its smaller player.
        let poster = Rendition::page_for(frame.screen.is_sd());
        VideoPage {
            frame,
            player_w,
            player_h,
            title: rev.title.clone(),
            title_html: crate::text::wbr(&rev.title),
            meta,
            // The box beside the player is fixed: cut here, not by CSS.
            summary_html: crate::text::wbr(&crate::text::cut(
                &if rev.summary.trim().is_empty() {
                    // The start of the text says what the video is about.
                    articles::sanitize::plain_text(&rev.body)
                } else {
                    rev.summary.clone()
                },
                summary_columns,
            )),
            player: Player::new(src, rev.poster_media_id.map(|m| media::url(m, poster))),
        }
    }
}

#[derive(Deserialize)]
struct ReadQuery {
    p: Option<String>,
}

#[get("/tv/v/{village}/a/{id}")]
async fn read(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    query: web::Query<ReadQuery>,
    view: Village,
    banner: super::alerts::Banner,
    screen: Screen,
) -> AppResult<HttpResponse> {
    let (_, id) = path.into_inner();
    let id: i64 = id.parse().map_err(|_| AppError::not_found("这篇内容"))?;
    let now = crate::time::now();
    let scope = view.scope;
    let (article, rev) = state
        .db
        .run(move |conn| {
            let (article, mut rev) = articles::for_tv(conn, &scope, id, now)?;
            rev.body = articles::tv_body(conn, &rev.body, screen.is_sd())?;
            Ok((article, rev))
        })
        .await?;
    let code = &view.village.code;
    let back = format!("/tv/v/{code}/{}", article.section);
    let frame = Frame::village(
        &state,
        &view.village,
        view.township.as_ref(),
        &rev.title,
        back,
    )
    .with_alert(banner)
    .on(screen);
    if let (Section::Videos, Some(src)) = (article.section(), rev.video_url.as_deref()) {
        let res = super::super::render(&VideoPage::new(frame, &article, &rev, src, state.offset))?;
        return Ok(cacheable(res, view.until));
    }
    let asked = page_number(query.p.as_deref());
    let base = format!("/tv/v/{code}/a/{}", article.id);
    let mut page = ArticlePage::new(frame, &article, &rev, asked, &base, state.offset);
    // 有疑问: every 村务公开 article can be questioned from the sofa.
    if article.section() == Section::Affairs {
        page.question = Some(format!("/tv/v/{code}/voice/c/question?a={}", article.id));
    }
    let shown = page.page as i64;
    let res = super::super::render(&page)?;
    Ok(cacheable_page(res, shown, asked, view.until))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(read);
}

#[cfg(test)]
mod tests {
    #[test]
    fn durations() {
        assert_eq!(super::duration(Some(725)), "12:05");
        assert_eq!(super::duration(Some(3723)), "1:02:03");
        assert_eq!(super::duration(Some(0)), "");
        assert_eq!(super::duration(None), "");
    }
}
