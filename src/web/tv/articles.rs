//! Section lists and the article reader on the TV.

use actix_web::{get, web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{home_url, load_village, Frame, Tile};
use crate::access::PlaceScope;
use crate::articles::{self, screen, Article, Revision, Section};
use crate::error::AppResult;
use crate::places::{self, Place};
use crate::AppState;

pub const PER_PAGE: i64 = 8;

/// A party-building category tab.
pub struct Tab {
    pub href: String,
    pub label: &'static str,
    pub active: bool,
}

#[derive(Template)]
#[template(path = "tv/list.html")]
struct ListPage {
    frame: Frame,
    title: &'static str,
    tabs: Vec<Tab>,
    rows: Vec<Tile>,
    page: i64,
    pages: i64,
    prev: Option<String>,
    next: Option<String>,
}

#[derive(Deserialize)]
pub struct ListQuery {
    page: Option<String>,
    cat: Option<String>,
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

/// The list of a section: own village, township and county items on air.
pub async fn section_list(
    state: &AppState,
    village: Place,
    township: Option<Place>,
    section: Section,
    query: ListQuery,
    banner: super::alerts::Banner,
) -> AppResult<HttpResponse> {
    let page = query
        .page
        .as_deref()
        .and_then(|p| p.trim().parse::<i64>().ok())
        .unwrap_or(1);
    let category = query
        .cat
        .filter(|c| section == Section::Party && articles::category_label(c).is_some());
    let vid = village.id;
    let now = crate::time::now();
    let cat = category.clone();
    let (rows, total) = state
        .db
        .run(move |conn| {
            let scope = places::scope_of(conn, vid)?;
            articles::on_air(conn, &scope, section, cat.as_deref(), now, page, PER_PAGE)
        })
        .await?;
    let pages = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
    let page = page.clamp(1, pages);
    let offset = state.offset;
    let base = format!("/tv/v/{}/{}", village.code, section.as_str());
    let cat_param = category
        .as_deref()
        .map(|c| format!("cat={c}&"))
        .unwrap_or_default();
    let link = |p: i64| format!("{base}?{cat_param}page={p}");
    let tabs = if section == Section::Party {
        let mut tabs = vec![Tab {
            href: base.clone(),
            label: "全部",
            active: category.is_none(),
        }];
        tabs.extend(articles::PARTY_CATEGORIES.iter().map(|(code, label)| Tab {
            href: format!("{base}?cat={code}"),
            label,
            active: category.as_deref() == Some(*code),
        }));
        tabs
    } else {
        Vec::new()
    };
    let rows = rows
        .into_iter()
        .enumerate()
        .map(|(i, a)| Tile {
            number: i + 1,
            href: format!("/tv/v/{}/a/{}", village.code, a.id),
            title: format!("{}{}", marks(&a), a.title),
            hint: a
                .published_at
                .map(|t| crate::time::to_local(t, offset).format("%m-%d").to_string())
                .unwrap_or_default(),
        })
        .collect();
    let mut frame = Frame::village(
        state,
        &village,
        township.as_ref(),
        section.label(),
        home_url(&village.code),
    )
    .with_alert(banner)
    .paged();
    // The list says which section it is.
    frame.heading = format!("{} · {}", village.name, section.label());
    super::super::render(&ListPage {
        frame,
        title: section.label(),
        tabs,
        rows,
        page,
        pages,
        prev: (page > 1).then(|| link(page - 1)),
        next: (page < pages).then(|| link(page + 1)),
    })
}

#[derive(Template)]
#[template(path = "tv/article.html")]
pub struct ArticlePage {
    pub frame: Frame,
    pub title: String,
    pub meta: String,
    /// Sanitised HTML of this screen page.
    pub body: String,
    pub page: usize,
    pub pages: usize,
    pub percent: usize,
    pub prev: Option<String>,
    pub next: Option<String>,
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
        let screens = screen::paginate(&rev.body);
        let pages = screens.len();
        let page = (p.max(1) as usize).min(pages);
        let sep = if base.contains('?') { '&' } else { '?' };
        let link = |n: usize| format!("{base}{sep}p={n}");
        let date = article
            .published_at
            .or(rev.publish_at)
            .map(|t| {
                crate::time::to_local(t, offset)
                    .format("%Y年%m月%d日")
                    .to_string()
            })
            .unwrap_or_else(|| "尚未发布".into());
        ArticlePage {
            frame: frame.paged(),
            title: rev.title.clone(),
            meta: format!("{} · {}", date, article.scope().label()),
            body: screens.into_iter().nth(page - 1).unwrap_or_default(),
            page,
            pages,
            percent: page * 100 / pages,
            prev: (page > 1).then(|| link(page - 1)),
            next: (page < pages).then(|| link(page + 1)),
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
    banner: super::alerts::Banner,
) -> AppResult<HttpResponse> {
    let (code, id) = path.into_inner();
    let id: i64 = id
        .parse()
        .map_err(|_| crate::error::AppError::not_found("这篇内容"))?;
    let now = crate::time::now();
    let (village, township, article, rev) = state
        .db
        .run(move |conn| {
            let (village, township) = load_village(conn, &code)?;
            let scope: PlaceScope = places::scope(conn, &village)?;
            let (article, mut rev) = articles::for_tv(conn, &scope, id, now)?;
            rev.body = articles::tv_body(conn, &rev.body)?;
            Ok((village, township, article, rev))
        })
        .await?;
    let p = query
        .p
        .as_deref()
        .and_then(|p| p.trim().parse::<i64>().ok())
        .unwrap_or(1);
    let back = format!("/tv/v/{}/{}", village.code, article.section);
    let frame =
        Frame::village(&state, &village, township.as_ref(), &rev.title, back).with_alert(banner);
    let base = format!("/tv/v/{}/a/{}", village.code, article.id);
    super::super::render(&ArticlePage::new(
        frame,
        &article,
        &rev,
        p,
        &base,
        state.offset,
    ))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(read);
}
