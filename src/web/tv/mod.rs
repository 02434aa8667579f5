//! Set-top box pages. Every page follows shared/TV.md: 1280x720, no scrolling,
//! plain links, a 返回 link, a key legend.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::{header, StatusCode};
use actix_web::{get, web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

pub mod alerts;
pub mod articles;
pub mod branch;
pub mod cache;
pub mod cameras;
pub mod health;
#[cfg(feature = "postgres")]
pub mod listen;
pub mod player;
pub mod roster;
pub mod screen;
pub mod village;
pub mod voice;

use crate::access::PlaceKind;
use crate::error::{AppError, AppResult};
use crate::places::{self, Place};
use crate::{households, AppState};
use chrono::Timelike;
pub use screen::{Screen, SCREEN_COOKIE};
use village::Village;

/// Remembers which village a box belongs to, so error pages and `/tv` lead home.
const VILLAGE_COOKIE: &str = "vp_village";
/// The STB id the box arrived with (household pages read it).
pub const STB_COOKIE: &str = "vp_stb";

/// A section of the village portal: address segment, number on the home
/// page (digit keys jump to it) and title.
pub struct Section {
    pub slug: &'static str,
    pub title: &'static str,
    pub hint: &'static str,
}

pub const SECTIONS: [Section; 8] = [
    Section {
        slug: "notices",
        title: "通知公告",
        hint: "村里的通知",
    },
    Section {
        slug: "news",
        title: "新闻动态",
        hint: "身边的新鲜事",
    },
    Section {
        slug: "party",
        title: "党建园地",
        hint: "党员风采 三会一课",
    },
    Section {
        slug: "affairs",
        title: "村务公开",
        hint: "财务 决策 公示",
    },
    Section {
        slug: "roster",
        title: "值班表",
        hint: "今天谁在村委",
    },
    Section {
        slug: "health",
        title: "健康小屋",
        hint: "血压 血糖 档案",
    },
    Section {
        slug: "cameras",
        title: "雪亮监控",
        hint: "村口 广场 画面",
    },
    Section {
        slug: "videos",
        title: "点播",
        hint: "农技课堂 视频",
    },
];

/// What every TV page shows around its content.
pub struct Frame {
    pub css: String,
    pub title: String,
    /// Heading at the top left (the village name on village pages).
    pub heading: String,
    /// Smaller line beside it (township, date).
    pub subheading: String,
    pub back: String,
    pub home: String,
    /// Set on pages of a village: the colour keys lead to its sections.
    pub village_home: Option<String>,
    pub legend: Vec<Key>,
    pub js: String,
    /// The live emergency alert of the village: a banner on top of the page.
    pub alert: Option<alerts::AlertBanner>,
    /// The box's screen profile: the page's size and its `<body>` class.
    pub screen: Screen,
}

/// One entry of the key legend: the key's label, what it does, its CSS class.
pub type Key = (&'static str, &'static str, &'static str);

const LEGEND_VILLAGE: [Key; 8] = [
    ("方向键", "选择", ""),
    ("OK", "打开", ""),
    ("返回", "上一级", ""),
    ("数字", "直达", ""),
    ("红", "首页", "red"),
    ("绿", "通知", "green"),
    ("黄", "健康", "yellow"),
    ("蓝", "监控", "blue"),
];

/// The legend of pages that turn (lists, the article reader).
const LEGEND_PAGED: [Key; 8] = [
    ("方向键", "选择", ""),
    ("OK", "打开", ""),
    ("翻页键", "翻页", ""),
    ("返回", "上一级", ""),
    ("红", "首页", "red"),
    ("绿", "通知", "green"),
    ("黄", "健康", "yellow"),
    ("蓝", "监控", "blue"),
];

impl Frame {
    /// For pages with 上一页/下一页: the legend names the page keys.
    pub fn paged(mut self) -> Self {
        self.legend = LEGEND_PAGED.to_vec();
        self
    }

    pub fn village(
        state: &AppState,
        village: &Place,
        township: Option<&Place>,
        title: &str,
        back: String,
    ) -> Frame {
        let date = crate::time::chinese_date(crate::time::now(), state.offset);
        Frame {
            css: super::assets::url("tv.css"),
            title: format!("{title} - {}", village.name),
            heading: village.name.clone(),
            subheading: match township {
                Some(t) => format!("{} · {date}", t.name),
                None => date,
            },
            back,
            home: home_url(&village.code),
            village_home: Some(home_url(&village.code)),
            legend: LEGEND_VILLAGE.to_vec(),
            js: super::assets::url("tv.js"),
            alert: None,
            screen: Screen::Hd,
        }
    }

    /// Lays the page out for the box's screen (the [`Screen`] extractor).
    pub fn on(mut self, screen: Screen) -> Self {
        self.screen = screen;
        self
    }

    /// Adds the village's live alert (from the `alerts::Banner` extractor).
    /// It also lays the page out for the box's screen (the banner carries it).
    pub fn with_alert(mut self, banner: alerts::Banner) -> Frame {
        self.alert = banner.0;
        self.screen = banner.1;
        self
    }

    /// A page outside any village (the chooser, errors before a village is known).
    fn plain(
        title: &str,
        heading: &str,
        subheading: String,
        home: String,
        legend: Vec<Key>,
    ) -> Frame {
        Frame {
            css: super::assets::url("tv.css"),
            title: title.into(),
            heading: heading.into(),
            subheading,
            back: home.clone(),
            home,
            village_home: None,
            legend,
            js: super::assets::url("tv.js"),
            alert: None,
            screen: Screen::Hd,
        }
    }
}

pub fn home_url(village: &str) -> String {
    format!("/tv/v/{village}")
}

/// A page number as TV pages read it from a query parameter, lenient:
/// anything unreadable is page 1. Callers clamp it to the pages there are
/// (the page cache keys on this same reading).
pub fn page_number(raw: Option<&str>) -> i64 {
    raw.and_then(|p| p.trim().parse::<i64>().ok()).unwrap_or(1)
}

#[derive(Deserialize)]
pub struct PageQuery {
    page: Option<String>,
}

impl PageQuery {
    pub fn number(&self) -> i64 {
        page_number(self.page.as_deref()).max(1)
    }
}

/// A numbered link on a TV page.
pub struct Tile {
    pub number: usize,
    pub href: String,
    pub title: String,
    pub hint: String,
}

/// A section tile of the home page.
pub struct HomeTile {
    pub tile: Tile,
    /// Items that went on air in the last 7 days.
    pub new: i64,
}

/// An urgent or pinned notice on the home page.
pub struct Highlight {
    pub href: String,
    /// Cut to the box, as breakable HTML.
    pub title_html: String,
    pub urgent: bool,
    pub date: String,
}

#[derive(Template)]
#[template(path = "tv/home.html")]
struct HomePage {
    frame: Frame,
    tiles: Vec<HomeTile>,
    highlights: Vec<Highlight>,
    /// 今日值班, when the village keeps a roster.
    duty: Option<roster::HomeDuty>,
    /// 一键求助: two presses from the home.
    help: String,
    /// Room for highlights is left (SD boxes with a roster have none).
    room: bool,
}

/// "New" on the home page means on air for less than this.
const NEW_DAYS: i64 = 7;

#[derive(Template)]
#[template(path = "tv/section.html")]
struct SectionPage {
    frame: Frame,
    title: &'static str,
}

#[derive(Template)]
#[template(path = "tv/villages.html")]
struct VillagesPage {
    frame: Frame,
    tiles: Vec<Tile>,
    pager: crate::web::Pager,
}

#[derive(Template)]
#[template(path = "tv/error.html")]
pub struct ErrorPage {
    frame: Frame,
    status: u16,
    message: String,
}

impl ErrorPage {
    /// A friendly page with a way home: the village's home when the address
    /// names a known village, else the village chooser.
    pub fn new(
        req: &HttpRequest,
        status: StatusCode,
        message: &str,
        unknown_village: bool,
    ) -> ErrorPage {
        let from_path = req
            .path()
            .strip_prefix("/tv/v/")
            .and_then(|rest| rest.split('/').next())
            .filter(|code| !unknown_village && crate::validate::code(code, "").is_ok())
            .map(str::to_string);
        let remembered = req
            .cookie(VILLAGE_COOKIE)
            .map(|c| c.value().to_string())
            .filter(|code| crate::validate::code(code, "").is_ok());
        let way_home = from_path
            .or(remembered)
            .map(|v| home_url(&v))
            .unwrap_or_else(|| "/tv/villages".into());
        ErrorPage {
            frame: Frame::plain(
                "提示",
                "智慧乡村",
                String::new(),
                way_home,
                vec![("OK", "打开", ""), ("返回", "回首页", "")],
            )
            .on(Screen::of(req)),
            status: status.as_u16(),
            message: message.to_string(),
        }
    }
}

fn tv_cookie(name: &'static str, value: String) -> Cookie<'static> {
    Cookie::build(name, value)
        .path("/tv")
        .http_only(true)
        .same_site(SameSite::Lax)
        .max_age(actix_web::cookie::time::Duration::days(365))
        .finish()
}

#[derive(Deserialize)]
struct EntryQuery {
    stbid: Option<String>,
    /// `sd` for a 720x576 box, `hd` for 1280x720; unset: the household's setting.
    screen: Option<String>,
}

/// `/tv?stbid=ID`: the box's household decides the village.
#[get("/tv")]
async fn entry(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<EntryQuery>,
) -> AppResult<HttpResponse> {
    let query = query.into_inner();
    let asked = query.screen.as_deref().and_then(Screen::parse);
    let Some(stb) = query.stbid.filter(|s| !s.is_empty()) else {
        let to = match req.cookie(VILLAGE_COOKIE) {
            Some(c) if crate::validate::code(c.value(), "").is_ok() => home_url(c.value()),
            _ => "/tv/villages".into(),
        };
        let mut res = HttpResponse::Found();
        res.insert_header((header::LOCATION, to));
        if let Some(screen) = asked {
            res.cookie(tv_cookie(SCREEN_COOKIE, screen.as_str().into()));
        }
        return Ok(res.finish());
    };
    if households::check_stb_id(&stb).is_err() {
        return Err(AppError::NotFound("找不到这台机顶盒的住户信息".into()));
    }
    let lookup = stb.clone();
    let village = state
        .db
        .run(move |conn| {
            let Some(h) = households::find_by_stb(conn, &lookup)? else {
                return Ok(None);
            };
            let setting = Screen::parse(&h.screen).unwrap_or_default();
            Ok(Some((places::get(conn, h.village_id)?, setting)))
        })
        .await?
        .ok_or_else(|| AppError::NotFound("找不到这台机顶盒的住户信息，请联系村委登记".into()))?;
    let (village, setting) = village;
    // The start address wins over the household's setting: the box knows
    // its screen, the back office may not have been told.
    let screen = asked.unwrap_or(setting);
    Ok(HttpResponse::Found()
        .insert_header((header::LOCATION, home_url(&village.code)))
        .cookie(tv_cookie(VILLAGE_COOKIE, village.code.clone()))
        .cookie(tv_cookie(STB_COOKIE, stb))
        .cookie(tv_cookie(SCREEN_COOKIE, screen.as_str().into()))
        .finish())
}

/// Loads a village and its township, or the TV 404.
fn load_village(conn: &mut crate::db::DbConn, code: &str) -> AppResult<(Place, Option<Place>)> {
    if crate::validate::code(code, "").is_err() {
        return Err(AppError::UnknownVillage);
    }
    let village = places::village_by_code(conn, code)?;
    let township = match village.parent_id {
        Some(id) => Some(places::get(conn, id)?),
        None => None,
    };
    Ok((village, township))
}

#[get("/tv/v/{village}")]
async fn home_page(
    state: web::Data<AppState>,
    view: Village,
    banner: alerts::Banner,
    screen: Screen,
) -> AppResult<HttpResponse> {
    let now = crate::time::now();
    let scope = view.scope;
    let village_id = view.village.id;
    let since = now - chrono::Duration::days(NEW_DAYS);
    let (offset, code) = (state.offset, view.village.code.clone());
    let (counts, highlights, has_station, has_cameras, duty) = state
        .db
        .run(move |conn| {
            let duty = roster::home_duty(conn, village_id, &code, offset)?;
            // The duty box and 一键求助 take the place of highlights.
            let rows = (screen.highlights() - i64::from(duty.is_some()) - 1).max(0);
            Ok((
                crate::articles::new_counts(conn, &scope, now, since)?,
                crate::articles::highlights(conn, &scope, now, rows)?,
                crate::health::station_of_village(conn, village_id)?.is_some(),
                crate::cameras::count_public(conn, village_id)? > 0,
                duty,
            ))
        })
        .await?;
    let code = &view.village.code;
    // Sections another issue builds show once they have something to show.
    let shown = |slug: &str| match slug {
        "roster" => duty.is_some(),
        "health" => has_station,
        "cameras" => has_cameras,
        _ => true,
    };
    let mut tiles: Vec<HomeTile> = SECTIONS
        .iter()
        .filter(|s| shown(s.slug))
        .enumerate()
        .map(|(i, s)| HomeTile {
            tile: Tile {
                number: i + 1,
                href: format!("/tv/v/{code}/{}", s.slug),
                title: s.title.into(),
                hint: s.hint.into(),
            },
            new: counts
                .iter()
                .find(|(slug, _)| slug == s.slug)
                .map_or(0, |(_, n)| *n),
        })
        .collect();
    // The way back: requests, help and answers (`voice`), last.
    tiles.push(HomeTile {
        tile: Tile {
            number: tiles.len() + 1,
            href: format!("/tv/v/{code}/voice"),
            title: "村民之声".into(),
            hint: "反映 求助 答复".into(),
        },
        new: 0,
    });
    let highlights = highlights
        .into_iter()
        .map(|a| Highlight {
            href: format!("/tv/v/{code}/a/{}", a.id),
            title_html: crate::text::wbr(&crate::text::cut(&a.title, screen.highlight_columns())),
            urgent: a.urgent,
            date: a
                .published_at
                .map(|t| {
                    crate::time::to_local(t, offset)
                        .format("%m月%d日")
                        .to_string()
                })
                .unwrap_or_default(),
        })
        .collect();
    let mut frame = Frame::village(
        &state,
        &view.village,
        view.township.as_ref(),
        "首页",
        // 返回 on the home stays there: a box that came with its STB id
        // has no use for the chooser (tv.js says 已在首页).
        home_url(&view.village.code),
    )
    .with_alert(banner)
    .on(screen);
    frame.title = format!("{} 智慧乡村", view.village.name);
    let local = crate::time::to_local(now, offset);
    frame.subheading = format!("{} {}", frame.subheading, local.format("%H:%M"));
    // The clock on the page is right until the next minute.
    let next_minute = now + chrono::Duration::seconds(60 - i64::from(local.second()));
    let room = screen.highlights() - i64::from(duty.is_some()) - 1 > 0;
    let res = super::render(&HomePage {
        frame,
        tiles,
        highlights,
        duty,
        help: format!("/tv/v/{code}/voice/help"),
        room,
    })?;
    Ok(cache::cacheable(res, view.until.min(next_minute)))
}

#[get("/tv/v/{village}/{section}")]
async fn section(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    query: web::Query<articles::ListQuery>,
    roster_query: web::Query<roster::RosterQuery>,
    view: Village,
    banner: alerts::Banner,
    screen: Screen,
) -> AppResult<HttpResponse> {
    let (_, slug) = path.into_inner();
    let section = SECTIONS
        .iter()
        .find(|s| s.slug == slug)
        .ok_or_else(|| AppError::not_found("这个栏目"))?;
    if let Some(listed) = crate::articles::Section::parse(section.slug) {
        return articles::section_list(&state, &view, listed, query.into_inner(), banner, screen)
            .await;
    }
    if section.slug == "cameras" {
        return cameras::list_page(&state, &view, query.page(), banner).await;
    }
    if section.slug == "roster" {
        return roster::roster_page(&state, &view, roster_query.into_inner(), banner).await;
    }
    let frame = Frame::village(
        &state,
        &view.village,
        view.township.as_ref(),
        section.title,
        home_url(&view.village.code),
    )
    .with_alert(banner)
    .on(screen);
    super::render(&SectionPage {
        frame,
        title: section.title,
    })
}

/// Choose a village (boxes that arrive without an STB id).
#[get("/tv/villages")]
async fn villages(
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
    screen: Screen,
) -> AppResult<HttpResponse> {
    let per_page = screen.rows();
    let all = state
        .db
        .run(|conn| {
            let townships = places::of_kind(conn, PlaceKind::Township)?;
            let mut out = Vec::new();
            for t in townships {
                for v in places::children(conn, t.id)? {
                    out.push((v, t.name.clone()));
                }
            }
            Ok(out)
        })
        .await?;
    let total = all.len() as i64;
    let paged = crate::pager::Pager::new(query.number(), per_page).within(total);
    let tiles = all
        .into_iter()
        .skip(paged.offset() as usize)
        .take(per_page as usize)
        .enumerate()
        .map(|(i, (v, township))| Tile {
            number: i + 1,
            href: home_url(&v.code),
            title: v.name,
            hint: township,
        })
        .collect();
    let frame = Frame::plain(
        "选择村庄",
        "选择您的村庄",
        crate::time::chinese_date(crate::time::now(), state.offset),
        "/tv/villages".into(),
        vec![
            ("方向键", "选择", ""),
            ("OK", "进入", ""),
            ("数字", "直达", ""),
            ("翻页键", "翻页", ""),
        ],
    )
    .on(screen);
    super::render(&VillagesPage {
        frame,
        tiles,
        pager: crate::web::Pager::new(paged, total, "/tv/villages?"),
    })
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    // The alert pages first: their addresses must not fall to a wider pattern.
    cfg.configure(alerts::routes)
        .configure(articles::routes)
        .configure(branch::routes)
        .configure(health::routes)
        .configure(cameras::routes)
        .configure(roster::routes)
        .configure(voice::routes)
        .service(entry)
        .service(villages)
        .service(home_page)
        .service(section);
}
