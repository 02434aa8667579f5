//! The villager's voice on the TV, with the remote alone: `/tv/v/{v}/voice`
//! (我要反映, 一键求助, 我的反映, 办好了). Every step is a numbered plain
//! link; what the box chose travels in the address until the confirm link,
//! which carries a one-time signed key. Pages are per box: never cached.
//!
//! The household is the box's (its STB id); a box without one types its
//! household number on a keypad and its requests are marked unverified.
//! 我的反映 opens only on the household's own box.

use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::village::Village;
use super::{alerts, home_url, Frame, Screen};
use crate::error::{AppError, AppResult};
use crate::households::{self, Household};
use crate::voice::filing::{self, Choice, Filed, Filing};
use crate::voice::{self, board, handling, Kind, Request, Satisfaction, State};
use crate::AppState;

mod choose;
mod help;
mod mine;
mod resolved;
mod send;

use choose::*;
use help::*;
use mine::*;
use resolved::*;
use send::*;

/// One numbered option (or a key of the keypad).
struct Opt {
    id: String,
    href: String,
    num: Option<usize>,
    label: String,
    hint: String,
    /// `urgent`, `key`, `ok` or empty.
    class: &'static str,
}

impl Opt {
    fn numbered(n: usize, href: String, label: impl Into<String>, hint: impl Into<String>) -> Opt {
        Opt {
            id: format!("opt-{n}"),
            href,
            num: Some(n),
            label: label.into(),
            hint: hint.into(),
            class: "",
        }
    }

    fn plain(id: &str, href: String, label: &str) -> Opt {
        Opt {
            id: id.into(),
            href,
            num: None,
            label: label.into(),
            hint: String::new(),
            class: "",
        }
    }

    fn class(mut self, class: &'static str) -> Opt {
        self.class = class;
        self
    }
}

#[derive(Template)]
#[template(path = "tv/voice.html")]
struct VoicePage {
    frame: Frame,
    title: String,
    /// What the page says above the options, a line each.
    lines: Vec<String>,
    /// A message and its tone (`ok`, `warn`, `bad`).
    message: Option<(String, &'static str)>,
    opts: Vec<Opt>,
    /// Options in two columns (the nine categories).
    wide: bool,
    /// The digits typed so far on the household keypad.
    keypad: Option<String>,
}

#[derive(Deserialize, Default, Clone)]
pub struct VoiceQuery {
    kind: Option<String>,
    c: Option<String>,
    r: Option<String>,
    call: Option<String>,
    a: Option<String>,
    /// A household number typed on a box without STB id.
    h: Option<String>,
    key: Option<String>,
    page: Option<String>,
    /// The keypad's next step: `help` or the confirm.
    to: Option<String>,
}

impl VoiceQuery {
    fn choice(&self) -> Option<Choice> {
        let kind = Kind::parse(self.kind.as_deref().unwrap_or("report"));
        Some(Choice {
            kind,
            category: self.c.clone()?,
            reason: self.r.as_deref()?.trim().parse().ok()?,
            callback: self.call.as_deref() == Some("1"),
            article_id: match self.a.as_deref() {
                Some(a) => Some(a.trim().parse().ok()?),
                None => None,
            },
        })
    }

    /// The typed household number, when it is one (digits, at most 8).
    fn typed(&self) -> Option<&str> {
        self.h
            .as_deref()
            .map(str::trim)
            .filter(|h| !h.is_empty() && h.len() <= 8 && h.bytes().all(|b| b.is_ascii_digit()))
    }
}

/// The address part that carries a choice (and the typed household).
fn choice_query(c: &Choice, typed: Option<&str>) -> String {
    let mut q = format!(
        "kind={}&c={}&r={}&call={}",
        c.kind.as_str(),
        c.category,
        c.reason,
        u8::from(c.callback)
    );
    if let Some(a) = c.article_id {
        q.push_str(&format!("&a={a}"));
    }
    if let Some(h) = typed {
        q.push_str(&format!("&h={h}"));
    }
    q
}

fn help_choice() -> Choice {
    Choice {
        kind: Kind::Help,
        category: voice::catalog::HELP_KEY.into(),
        reason: 1,
        callback: true,
        article_id: None,
    }
}

/// Whose box this is.
enum Who {
    /// The box's own household (its STB id).
    Box(Household),
    /// A household number typed on a box without STB id.
    Typed(Household),
    /// A box without STB id that has not typed a number yet.
    Unknown,
    /// The typed number is no household of the village.
    NoSuch(String),
}

impl Who {
    fn household(&self) -> Option<(&Household, bool)> {
        match self {
            Who::Box(h) => Some((h, true)),
            Who::Typed(h) => Some((h, false)),
            _ => None,
        }
    }
}

async fn who(
    state: &AppState,
    req: &HttpRequest,
    view: &Village,
    typed: Option<&str>,
) -> AppResult<Who> {
    let stb = super::health::box_stb(req);
    let typed = typed.map(str::to_string);
    let village = view.village.clone();
    state
        .db
        .run(move |conn| {
            if let Some(h) = super::health::household_in(conn, &village, stb.as_deref())? {
                return Ok(Who::Box(h));
            }
            Ok(match typed {
                None => Who::Unknown,
                Some(n) => match households::find_by_number(conn, village.id, &n)? {
                    Some(h) => Who::Typed(h),
                    None => Who::NoSuch(n),
                },
            })
        })
        .await
}

struct Ctx<'a> {
    state: &'a AppState,
    view: &'a Village,
    banner: alerts::Banner,
}

impl Ctx<'_> {
    fn base(&self) -> String {
        format!("/tv/v/{}/voice", self.view.village.code)
    }

    fn frame(&self, title: &str, back: String) -> Frame {
        Frame::village(
            self.state,
            &self.view.village,
            self.view.township.as_ref(),
            title,
            back,
        )
        .with_alert(self.banner.clone())
    }

    fn page(
        &self,
        title: &str,
        back: String,
        build: impl FnOnce(&mut VoicePage),
    ) -> AppResult<HttpResponse> {
        let mut page = VoicePage {
            frame: self.frame(title, back),
            title: title.into(),
            lines: Vec::new(),
            message: None,
            opts: Vec::new(),
            wide: false,
            keypad: None,
        };
        build(&mut page);
        no_store(super::super::render(&page)?)
    }

    fn local_day(&self, at: chrono::NaiveDateTime) -> String {
        crate::time::to_local(at, self.state.offset)
            .format("%-m月%-d日")
            .to_string()
    }
}

fn no_store(mut res: HttpResponse) -> AppResult<HttpResponse> {
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(res)
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(menu_page)
        .service(categories_page)
        .service(reasons_page)
        .service(callback_page)
        .service(household_pad)
        .service(confirm_page)
        .service(send_page)
        .service(help_page)
        .service(help_send_page)
        .service(mine_page)
        .service(one_page)
        .service(rate_page)
        .service(public_board);
}
