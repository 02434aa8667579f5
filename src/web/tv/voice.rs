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

/// `/voice`: what the villager can do, and a closed request to rate.
#[get("/tv/v/{village}/voice")]
async fn menu_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    view: Village,
    banner: alerts::Banner,
) -> AppResult<HttpResponse> {
    let ctx = Ctx {
        state: &state,
        view: &view,
        banner,
    };
    let who = who(&state, &req, &view, None).await?;
    let (village_id, offset) = (view.village.id, state.offset);
    let household = who.household().map(|(h, _)| h.id);
    let (rate, mine, today, has_board) = state
        .db
        .run(move |c| {
            let (rate, mine, today) = match household {
                Some(h) => {
                    let list = voice::of_household(c, h, filing::MINE_MAX)?;
                    let rate = filing::awaiting_in(&list, crate::time::now()).cloned();
                    (rate, list.len(), filing::filed_today(c, h, offset)?)
                }
                None => (None, 0, 0),
            };
            Ok((rate, mine, today, board::enabled(c, village_id)?))
        })
        .await?;
    let base = ctx.base();
    let limit = state.config.voice_daily_limit;
    ctx.page("村民之声", home_url(&view.village.code), |p| {
        p.lines.push(match &who {
            Who::Box(h) => format!("本机户号 {}。有事请说，村里按时限办理、答复。", h.number),
            _ => "本机顶盒还没有登记户号，提交时请输入您家的户号。".into(),
        });
        if let Some(r) = &rate {
            p.opts.push(
                Opt::plain(
                    "rate",
                    format!("{base}/mine/{}", r.id),
                    &format!("请评价：{}", r.summary()),
                )
                .class("urgent"),
            );
        }
        p.opts.push(Opt::numbered(
            1,
            format!("{base}/report"),
            "我要反映",
            "路灯 用水 环境 纠纷 建议…",
        ));
        p.opts.push(
            Opt::numbered(
                2,
                format!("{base}/help"),
                "一键求助",
                "马上通知今天值班的村干部",
            )
            .class("urgent"),
        );
        p.opts.push(Opt::numbered(
            3,
            format!("{base}/mine"),
            "我的反映",
            if household.is_some() {
                format!("共 {mine} 条")
            } else {
                "需用本户机顶盒查看".into()
            },
        ));
        if has_board {
            p.opts.push(Opt::numbered(
                4,
                format!("{base}/board"),
                "办好了",
                "村里办结的事",
            ));
        }
        if household.is_some() && today >= limit {
            p.message = Some((
                format!("今天已经反映了 {today} 件事，明天还可以再反映。"),
                "warn",
            ));
        }
    })
}

/// `/voice/report`: the categories, one digit each.
#[get("/tv/v/{village}/voice/report")]
async fn categories_page(
    state: web::Data<AppState>,
    view: Village,
    banner: alerts::Banner,
    query: web::Query<VoiceQuery>,
) -> AppResult<HttpResponse> {
    let ctx = Ctx {
        state: &state,
        view: &view,
        banner,
    };
    let base = ctx.base();
    let typed = query.typed().map(|h| format!("?h={h}")).unwrap_or_default();
    ctx.page("我要反映", base.clone(), |p| {
        p.lines.push("您要反映哪一类事？按数字键选择。".into());
        p.wide = true;
        for (i, c) in state.voice.categories.iter().enumerate() {
            p.opts.push(Opt::numbered(
                i + 1,
                format!("{base}/c/{}{typed}", c.key),
                c.name.clone(),
                c.limit.label(),
            ));
        }
    })
}

/// `/voice/c/{category}`: its reasons (`question` with `a`: about an article).
#[get("/tv/v/{village}/voice/c/{category}")]
async fn reasons_page(
    state: web::Data<AppState>,
    view: Village,
    banner: alerts::Banner,
    path: web::Path<(String, String)>,
    query: web::Query<VoiceQuery>,
) -> AppResult<HttpResponse> {
    let (_, key) = path.into_inner();
    let ctx = Ctx {
        state: &state,
        view: &view,
        banner,
    };
    let category = state
        .voice
        .get(&key)
        .filter(|c| c.key != voice::catalog::HELP_KEY)
        .ok_or_else(|| AppError::not_found("这一类"))?;
    let question = key == voice::catalog::QUESTION_KEY;
    let article = if question {
        Some(question_article(&state, &view, query.a.as_deref()).await?)
    } else {
        None
    };
    let base = ctx.base();
    let mut tail = String::new();
    if let Some((id, _)) = &article {
        tail.push_str(&format!("&a={id}"));
    }
    if let Some(h) = query.typed() {
        tail.push_str(&format!("&h={h}"));
    }
    let tail = tail
        .strip_prefix('&')
        .map(|t| format!("?{t}"))
        .unwrap_or_default();
    let back = match &article {
        Some((id, _)) => format!("/tv/v/{}/a/{id}", view.village.code),
        None => format!("{base}/report"),
    };
    ctx.page(&category.name, back, |p| {
        match &article {
            Some((_, title)) => {
                p.lines
                    .push(format!("对“{}”有什么疑问？", crate::text::cut(title, 16)));
                p.lines.push("村务监督委员会会核实并答复您。".into());
            }
            None => p
                .lines
                .push(format!("{}：是什么情况？按数字键选择。", category.name)),
        }
        for (i, r) in category.reasons.iter().enumerate() {
            p.opts.push(Opt::numbered(
                i + 1,
                format!("{base}/c/{key}/{}{tail}", i + 1),
                r.clone(),
                "",
            ));
        }
    })
}

/// The 村务公开 article a question is about: on air in this village.
async fn question_article(
    state: &AppState,
    view: &Village,
    raw: Option<&str>,
) -> AppResult<(i64, String)> {
    let id: i64 = raw
        .and_then(|a| a.trim().parse().ok())
        .ok_or_else(|| AppError::not_found("这篇村务公开"))?;
    let scope = view.scope;
    let now = crate::time::now();
    let (article, rev) = state
        .db
        .run(move |c| crate::articles::for_tv(c, &scope, id, now))
        .await?;
    if article.section != "affairs" {
        return Err(AppError::not_found("这篇村务公开"));
    }
    Ok((article.id, rev.title))
}

/// `/voice/c/{category}/{reason}`: 需要村里给您回电吗？
#[get("/tv/v/{village}/voice/c/{category}/{reason}")]
async fn callback_page(
    state: web::Data<AppState>,
    view: Village,
    banner: alerts::Banner,
    path: web::Path<(String, String, String)>,
    query: web::Query<VoiceQuery>,
) -> AppResult<HttpResponse> {
    let (_, key, reason) = path.into_inner();
    let ctx = Ctx {
        state: &state,
        view: &view,
        banner,
    };
    let kind = if key == voice::catalog::QUESTION_KEY {
        Kind::Question
    } else {
        Kind::Report
    };
    let mut choice = Choice {
        kind,
        category: key,
        reason: reason
            .trim()
            .parse()
            .map_err(|_| AppError::not_found("这个选项"))?,
        callback: false,
        article_id: query.a.as_deref().and_then(|a| a.trim().parse().ok()),
    };
    let (_, reason_text) = choice
        .resolve(&state.voice)
        .ok_or_else(|| AppError::not_found("这个选项"))?;
    let reason_text = reason_text.to_string();
    if kind == Kind::Question {
        question_article(&state, &view, query.a.as_deref()).await?;
    }
    let base = ctx.base();
    let typed = query.typed();
    let yes = choice_query(
        &Choice {
            callback: true,
            ..choice.clone()
        },
        typed,
    );
    choice.callback = false;
    let no = choice_query(&choice, typed);
    let back = format!("{base}/c/{}", choice.category);
    ctx.page("需要回电吗", back, |p| {
        p.lines.push(format!("您选了：{reason_text}"));
        p.lines.push("需要村里给您回电话吗？".into());
        p.opts.push(Opt::numbered(
            1,
            format!("{base}/confirm?{yes}"),
            "需要回电",
            "村干部会打电话问清楚",
        ));
        p.opts.push(Opt::numbered(
            2,
            format!("{base}/confirm?{no}"),
            "不用回电",
            "办好后在电视上答复",
        ));
    })
}

/// The household keypad of a box without STB id.
fn keypad(ctx: &Ctx<'_>, query: &VoiceQuery, message: Option<String>) -> AppResult<HttpResponse> {
    let base = ctx.base();
    let digits = query.typed().unwrap_or("").to_string();
    let (to, rest) = match (query.to.as_deref(), query.choice()) {
        (Some("help"), _) | (_, None) => ("help", "to=help".to_string()),
        (_, Some(c)) => ("confirm", choice_query(&c, None)),
    };
    let here = |h: &str| {
        if h.is_empty() {
            format!("{base}/household?{rest}")
        } else {
            format!("{base}/household?{rest}&h={h}")
        }
    };
    let next = if to == "help" {
        format!("{base}/help?h={digits}")
    } else {
        format!("{base}/confirm?{rest}&h={digits}")
    };
    ctx.page("输入户号", base.clone(), |p| {
        p.lines
            .push("本机顶盒未登记，请按数字键输入您家的户号。".into());
        p.message = message.map(|m| (m, "bad"));
        p.keypad = Some(digits.clone());
        let key = |d: u32| {
            let mut o = Opt::plain(
                &format!("key-{d}"),
                here(&format!("{digits}{d}")),
                &d.to_string(),
            );
            o.num = Some(d as usize);
            o.class("key")
        };
        p.opts.extend((1..=9).map(key));
        // The last row as on a phone: 删除 0 确定.
        let fewer = digits.get(..digits.len().saturating_sub(1)).unwrap_or("");
        p.opts
            .push(Opt::plain("key-del", here(fewer), "删除").class("key"));
        p.opts.push(key(0));
        if !digits.is_empty() {
            p.opts.push(Opt::plain("key-ok", next, "确定").class("ok"));
        }
    })
}

#[get("/tv/v/{village}/voice/household")]
async fn household_pad(
    state: web::Data<AppState>,
    view: Village,
    banner: alerts::Banner,
    query: web::Query<VoiceQuery>,
) -> AppResult<HttpResponse> {
    let ctx = Ctx {
        state: &state,
        view: &view,
        banner,
    };
    keypad(&ctx, &query, None)
}

/// Who the box is, or the keypad page that asks.
async fn household_or_pad(
    ctx: &Ctx<'_>,
    req: &HttpRequest,
    query: &VoiceQuery,
) -> AppResult<Result<(Household, bool), HttpResponse>> {
    match who(ctx.state, req, ctx.view, query.typed()).await? {
        Who::Box(h) => Ok(Ok((h, true))),
        Who::Typed(h) => Ok(Ok((h, false))),
        Who::Unknown => Ok(Err(keypad(ctx, query, None)?)),
        Who::NoSuch(n) => {
            let q = VoiceQuery {
                h: None,
                ..query.without_key()
            };
            Ok(Err(keypad(
                ctx,
                &q,
                Some(format!("本村没有户号 {n}，请重新输入。")),
            )?))
        }
    }
}

impl VoiceQuery {
    /// The choice so far, for the keypad's links: a confirm key or a page
    /// number belongs to the page it was made for.
    fn without_key(&self) -> VoiceQuery {
        VoiceQuery {
            key: None,
            page: None,
            ..self.clone()
        }
    }
}

/// `/voice/confirm`: what will be filed, and the one link that files it.
#[get("/tv/v/{village}/voice/confirm")]
async fn confirm_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    view: Village,
    banner: alerts::Banner,
    query: web::Query<VoiceQuery>,
) -> AppResult<HttpResponse> {
    let ctx = Ctx {
        state: &state,
        view: &view,
        banner,
    };
    let choice = query
        .choice()
        .ok_or_else(|| AppError::not_found("这个选项"))?;
    let (category, reason) = choice
        .resolve(&state.voice)
        .ok_or_else(|| AppError::not_found("这个选项"))?;
    if choice.kind == Kind::Help {
        return Err(AppError::not_found("这个选项"));
    }
    if choice.kind == Kind::Question {
        question_article(&state, &view, query.a.as_deref()).await?;
    }
    let (household, verified) = match household_or_pad(&ctx, &req, &query).await? {
        Ok(h) => h,
        Err(pad) => return Ok(pad),
    };
    let key = choice.confirm_key(&state.keys, view.village.id, household.id);
    let typed = (!verified).then_some(household.number.as_str());
    let base = ctx.base();
    let send = format!("{base}/send?{}&key={key}", choice_query(&choice, typed));
    let due = {
        let limit = category.limit;
        let now = crate::time::now();
        let offset = state.offset;
        state
            .db
            .run(move |c| voice::catalog::due_from(c, limit, now, offset))
            .await?
    };
    let back = format!("{base}/c/{}/{}", choice.category, choice.reason);
    let (category, reason) = (category.clone(), reason.to_string());
    ctx.page("请确认", back, |p| {
        p.lines.push(format!("{} · {}", category.name, reason));
        p.lines.push(format!(
            "户号 {}{} · {}",
            household.number,
            if verified { "" } else { "（手动输入）" },
            if choice.callback {
                "需要回电"
            } else {
                "不用回电"
            }
        ));
        p.lines.push(format!(
            "{}，最晚 {} 前答复。",
            category.limit.label(),
            ctx.local_day(due)
        ));
        p.opts
            .push(Opt::numbered(1, send, "确认提交", "按 OK 提交").class("ok"));
        p.opts
            .push(Opt::numbered(2, format!("{base}/report"), "重新选择", ""));
    })
}

/// `/voice/send`: files the request once, then says what happens next.
#[get("/tv/v/{village}/voice/send")]
async fn send_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    view: Village,
    banner: alerts::Banner,
    query: web::Query<VoiceQuery>,
) -> AppResult<HttpResponse> {
    let ctx = Ctx {
        state: &state,
        view: &view,
        banner,
    };
    let choice = query
        .choice()
        .ok_or_else(|| AppError::not_found("这个选项"))?;
    if choice.kind == Kind::Question {
        question_article(&state, &view, query.a.as_deref()).await?;
    }
    let (household, verified) = match household_or_pad(&ctx, &req, &query).await? {
        Ok(h) => h,
        Err(pad) => return Ok(pad),
    };
    file_and_answer(&ctx, household, verified, choice, query.key.as_deref()).await
}

async fn file_and_answer(
    ctx: &Ctx<'_>,
    household: Household,
    verified: bool,
    choice: Choice,
    key: Option<&str>,
) -> AppResult<HttpResponse> {
    let state = ctx.state;
    let base = ctx.base();
    let village = ctx.view.village.clone();
    let Some(nonce) = key.and_then(|k| choice.check_key(&state.keys, village.id, household.id, k))
    else {
        return ctx.page("没有提交", base.clone(), |p| {
            p.message = Some(("这个确认链接不对或已过期，请从头再选一次。".into(), "bad"));
            p.opts
                .push(Opt::numbered(1, format!("{base}/report"), "重新反映", ""));
        });
    };
    let nonce = nonce.to_string();
    let (catalog, offset, limit) = (
        state.voice.clone(),
        state.offset,
        state.config.voice_daily_limit,
    );
    let help = choice.kind == Kind::Help;
    let (filed, office_phone) = state
        .db
        .run(move |c| {
            let filed = filing::file(
                c,
                &catalog,
                offset,
                limit,
                Filing {
                    village: &village,
                    household: &household,
                    verified,
                    choice: &choice,
                    nonce: &nonce,
                },
            )?;
            let phone = crate::roster::office::get(c, village.id)?.phone;
            Ok((filed, phone))
        })
        .await?;
    state.tv_cache.mark_dirty();
    match filed {
        Filed::LimitReached => ctx.page("今天反映得多了", base.clone(), |p| {
            p.message = Some((
                format!("每户每天最多反映 {limit} 次，今天已经满了。"),
                "warn",
            ));
            if help || !office_phone.is_empty() {
                p.lines.push(if office_phone.is_empty() {
                    "有急事请直接拨打 110（治安）或 120（急救）。".into()
                } else {
                    format!("有急事请直接拨打村委电话 {office_phone}，或 110、120。")
                });
            }
            p.opts.push(Opt::numbered(
                1,
                format!("{base}/mine"),
                "我的反映",
                "看看办得怎么样",
            ));
        }),
        Filed::New(r) => done_page(ctx, &r, false),
        Filed::Again(r) => done_page(ctx, &r, true),
    }
}

fn done_page(ctx: &Ctx<'_>, r: &Request, again: bool) -> AppResult<HttpResponse> {
    let base = ctx.base();
    let help = r.kind() == Kind::Help;
    let title = if help { "已经求助" } else { "已经提交" };
    ctx.page(title, base.clone(), |p| {
        p.message = Some((
            if again {
                format!("这件事已经提交过了（编号 {}），不会重复提交。", r.id)
            } else if help {
                format!("求助已发出（编号 {}）。", r.id)
            } else {
                format!("提交成功，编号 {}。", r.id)
            },
            "ok",
        ));
        if help {
            if r.notified.is_empty() {
                p.lines.push("已通知村委。".into());
            } else {
                p.lines.push("已经通知：".into());
                p.lines.extend(r.notified.split('；').map(str::to_string));
            }
            p.lines
                .push("请保持电话畅通。危急情况请直接拨打 110 或 120。".into());
        } else {
            p.lines.push(r.summary());
            p.lines.push(format!(
                "村里会在 {} 前答复，答复会显示在“我的反映”里。",
                ctx.local_day(r.due_at)
            ));
        }
        p.opts
            .push(Opt::numbered(1, format!("{base}/mine"), "我的反映", ""));
        p.opts.push(Opt::numbered(
            2,
            home_url(&ctx.view.village.code),
            "回到首页",
            "",
        ));
    })
}

/// `/voice/help`: one more OK and the cadre on duty is told.
#[get("/tv/v/{village}/voice/help")]
async fn help_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    view: Village,
    banner: alerts::Banner,
    query: web::Query<VoiceQuery>,
) -> AppResult<HttpResponse> {
    let ctx = Ctx {
        state: &state,
        view: &view,
        banner,
    };
    let q = VoiceQuery {
        to: Some("help".into()),
        ..query.without_key()
    };
    let (household, verified) = match household_or_pad(&ctx, &req, &q).await? {
        Ok(h) => h,
        Err(pad) => return Ok(pad),
    };
    let choice = help_choice();
    let key = choice.confirm_key(&state.keys, view.village.id, household.id);
    let (village_id, offset) = (view.village.id, state.offset);
    let told = state
        .db
        .run(move |c| filing::help_recipients(c, village_id, crate::time::now(), offset))
        .await?;
    let base = ctx.base();
    let typed = if verified {
        String::new()
    } else {
        format!("&h={}", household.number)
    };
    let send = format!("{base}/help/send?key={key}{typed}");
    ctx.page("一键求助", base.clone(), |p| {
        p.lines.push("按 OK 立即求助，马上通知：".into());
        if told.is_empty() {
            p.lines.push("村委（今天没有排班）".into());
        }
        p.lines.extend(told.iter().take(3).cloned());
        p.lines.push(format!("户号 {}", household.number));
        p.opts
            .push(Opt::numbered(1, send, "立即求助", "按 OK 发出").class("urgent"));
        p.opts.push(Opt::numbered(2, base.clone(), "不求助了", ""));
    })
}

#[get("/tv/v/{village}/voice/help/send")]
async fn help_send_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    view: Village,
    banner: alerts::Banner,
    query: web::Query<VoiceQuery>,
) -> AppResult<HttpResponse> {
    let ctx = Ctx {
        state: &state,
        view: &view,
        banner,
    };
    let q = VoiceQuery {
        to: Some("help".into()),
        ..query.without_key()
    };
    let (household, verified) = match household_or_pad(&ctx, &req, &q).await? {
        Ok(h) => h,
        Err(pad) => return Ok(pad),
    };
    file_and_answer(
        &ctx,
        household,
        verified,
        help_choice(),
        query.key.as_deref(),
    )
    .await
}

/// The box's own household, or the page that says 我的反映 needs it.
async fn own_household(
    ctx: &Ctx<'_>,
    req: &HttpRequest,
) -> AppResult<Result<Household, HttpResponse>> {
    match who(ctx.state, req, ctx.view, None).await? {
        Who::Box(h) => Ok(Ok(h)),
        _ => {
            let base = ctx.base();
            Ok(Err(ctx.page("我的反映", base.clone(), |p| {
                p.message = Some(("“我的反映”只能在本户登记过的机顶盒上查看。".into(), "warn"));
                p.lines
                    .push("请联系村委登记机顶盒，或拨打村委电话询问办理情况。".into());
                p.opts
                    .push(Opt::numbered(1, base.clone(), "返回村民之声", ""));
            })?))
        }
    }
}

/// `/voice/mine`: the household's requests and where each stands.
#[get("/tv/v/{village}/voice/mine")]
async fn mine_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    view: Village,
    banner: alerts::Banner,
    query: web::Query<VoiceQuery>,
    screen: Screen,
) -> AppResult<HttpResponse> {
    let ctx = Ctx {
        state: &state,
        view: &view,
        banner,
    };
    let household = match own_household(&ctx, &req).await? {
        Ok(h) => h,
        Err(page) => return Ok(page),
    };
    let id = household.id;
    let all = state
        .db
        .run(move |c| voice::of_household(c, id, filing::MINE_MAX))
        .await?;
    let per = (screen.rows() - 1).max(3);
    let pages = ((all.len() as i64 + per - 1) / per).max(1);
    let page = super::page_number(query.page.as_deref()).clamp(1, pages);
    let base = ctx.base();
    let shown: Vec<&Request> = all
        .iter()
        .skip(((page - 1) * per) as usize)
        .take(per as usize)
        .collect();
    let mut res_page = VoicePage {
        frame: ctx.frame("我的反映", base.clone()),
        title: "我的反映".into(),
        lines: Vec::new(),
        message: None,
        opts: Vec::new(),
        wide: false,
        keypad: None,
    };
    if all.is_empty() {
        res_page.lines.push("您家还没有反映过事情。".into());
        res_page
            .opts
            .push(Opt::numbered(1, format!("{base}/report"), "我要反映", ""));
    }
    for (i, r) in shown.iter().enumerate() {
        let hint = if r.awaits_rating() {
            "已办结 · 请评价".to_string()
        } else {
            format!("{} · {}", ctx.local_day(r.created_at), r.state().label())
        };
        let o = Opt::numbered(
            i + 1,
            format!("{base}/mine/{}", r.id),
            crate::text::cut(&r.summary(), if screen.is_sd() { 20 } else { 28 }),
            hint,
        );
        res_page.opts.push(if r.awaits_rating() {
            o.class("urgent")
        } else {
            o
        });
    }
    if pages > 1 {
        res_page.frame = res_page.frame.paged();
        if page > 1 {
            res_page.opts.push(Opt::plain(
                "page-prev",
                format!("{base}/mine?page={}", page - 1),
                "上一页",
            ));
        }
        if page < pages {
            res_page.opts.push(Opt::plain(
                "page-next",
                format!("{base}/mine?page={}", page + 1),
                "下一页",
            ));
        }
        res_page.lines.push(format!("第 {page}/{pages} 页"));
    }
    no_store(super::super::render(&res_page)?)
}

/// `/voice/mine/{id}`: one request, its reply, and 您满意吗 once closed.
#[get("/tv/v/{village}/voice/mine/{id}")]
async fn one_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    view: Village,
    banner: alerts::Banner,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let ctx = Ctx {
        state: &state,
        view: &view,
        banner,
    };
    let household = match own_household(&ctx, &req).await? {
        Ok(h) => h,
        Err(page) => return Ok(page),
    };
    let id = request_id(&path.1)?;
    let hid = household.id;
    let r = state
        .db
        .run(move |c| voice::of_household_get(c, hid, id))
        .await?;
    let base = ctx.base();
    ctx.page("我的反映", format!("{base}/mine"), |p| {
        detail(&ctx, p, &r)
    })
}

fn request_id(raw: &str) -> AppResult<i64> {
    raw.trim()
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| AppError::not_found("这条反映"))
}

fn detail(ctx: &Ctx<'_>, p: &mut VoicePage, r: &Request) {
    let base = ctx.base();
    p.lines.push(format!("{}（编号 {}）", r.summary(), r.id));
    p.lines.push(format!(
        "{} 提交 · {}{}",
        ctx.local_day(r.created_at),
        r.state().label(),
        if r.state().is_open() {
            format!("，最晚 {} 前答复", ctx.local_day(r.due_at))
        } else {
            String::new()
        }
    ));
    if !r.reply.is_empty() {
        p.lines
            .push(format!("村里答复：{}", crate::text::cut(&r.reply, 90)));
    }
    if r.awaits_rating() {
        p.message = Some(("这件事办结了，您满意吗？按数字键回答。".into(), "ok"));
        for (i, s) in Satisfaction::ALL.iter().enumerate() {
            p.opts.push(Opt::numbered(
                i + 1,
                format!("{base}/mine/{}/rate/{}", r.id, s.as_str()),
                s.label(),
                if *s == Satisfaction::Unsatisfied {
                    "街道会督促重办"
                } else {
                    ""
                },
            ));
        }
    } else if let Some(s) = r.satisfaction().filter(|_| r.state() == State::Closed) {
        p.lines.push(format!("您的评价：{}", s.label()));
    } else if r.reopened > 0 {
        p.lines.push("您不满意，街道正在督促重办。".into());
    }
    if !r.awaits_rating() {
        p.opts.push(Opt::plain(
            "to-mine",
            format!("{base}/mine"),
            "返回我的反映",
        ));
    }
}

/// `/voice/mine/{id}/rate/{answer}`: the household's answer (counted once).
#[get("/tv/v/{village}/voice/mine/{id}/rate/{answer}")]
async fn rate_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    view: Village,
    banner: alerts::Banner,
    path: web::Path<(String, String, String)>,
) -> AppResult<HttpResponse> {
    let ctx = Ctx {
        state: &state,
        view: &view,
        banner,
    };
    let household = match own_household(&ctx, &req).await? {
        Ok(h) => h,
        Err(page) => return Ok(page),
    };
    let (_, id, answer) = path.into_inner();
    let id = request_id(&id)?;
    let answer = Satisfaction::parse(&answer).ok_or_else(|| AppError::not_found("这个选项"))?;
    let (catalog, offset) = (state.voice.clone(), state.offset);
    let r = state
        .db
        .run(move |c| handling::rate(c, &catalog, offset, &household, id, answer))
        .await?;
    state.tv_cache.mark_dirty();
    let base = ctx.base();
    ctx.page("谢谢您的评价", format!("{base}/mine"), |p| {
        p.message = Some((
            if r.reopened > 0 && r.state().is_open() {
                "已记下您不满意，街道会督促村里重新办理。".to_string()
            } else {
                format!(
                    "已记下：{}。谢谢您！",
                    r.satisfaction().map_or("", |s| s.label())
                )
            },
            "ok",
        ));
        p.opts
            .push(Opt::numbered(1, format!("{base}/mine"), "我的反映", ""));
        p.opts.push(Opt::numbered(
            2,
            home_url(&ctx.view.village.code),
            "回到首页",
            "",
        ));
    })
}

/// `/voice/board`: 办好了, when the village shows it.
#[get("/tv/v/{village}/voice/board")]
async fn public_board(
    state: web::Data<AppState>,
    view: Village,
    banner: alerts::Banner,
    screen: Screen,
) -> AppResult<HttpResponse> {
    let ctx = Ctx {
        state: &state,
        view: &view,
        banner,
    };
    let village_id = view.village.id;
    let rows = screen.rows();
    let list = state
        .db
        .run(move |c| {
            if !board::enabled(c, village_id)? {
                return Err(AppError::not_found("办结公示"));
            }
            board::resolved(c, village_id, crate::time::now(), rows)
        })
        .await?;
    let base = ctx.base();
    ctx.page("办好了", base.clone(), |p| {
        if list.is_empty() {
            p.lines.push("近三个月还没有办结的事。".into());
        }
        for (i, r) in list.iter().enumerate() {
            p.lines.push(format!(
                "{}. {} · {}：{}（{}天办结）",
                i + 1,
                r.category,
                r.reason,
                crate::text::cut(&r.reply, 18),
                r.days
            ));
        }
        p.opts
            .push(Opt::plain("to-voice", base.clone(), "返回村民之声"));
    })
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
