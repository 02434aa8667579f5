//! 我的反映: the household's requests, one request, and its rating.

use super::*;

/// `/voice/mine`: the household's requests and where each stands.
#[get("/tv/v/{village}/voice/mine")]
pub(super) async fn mine_page(
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
    let total = all.len() as i64;
    let paged = crate::pager::Pager::new(crate::web::tv::page_number(query.page.as_deref()), per)
        .within(total);
    let base = ctx.base();
    let shown: Vec<&Request> = all
        .iter()
        .skip(paged.offset() as usize)
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
    let pager = crate::web::Pager::new(paged, total, &format!("{base}/mine?"));
    if pager.pages > 1 {
        res_page.frame = res_page.frame.paged();
        if let Some(prev) = pager.prev {
            res_page.opts.push(Opt::plain("page-prev", prev, "上一页"));
        }
        if let Some(next) = pager.next {
            res_page.opts.push(Opt::plain("page-next", next, "下一页"));
        }
        res_page
            .lines
            .push(format!("第 {}/{} 页", pager.page, pager.pages));
    }
    no_store(crate::web::render(&res_page)?)
}

/// `/voice/mine/{id}`: one request, its reply, and 您满意吗 once closed.
#[get("/tv/v/{village}/voice/mine/{id}")]
pub(super) async fn one_page(
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

pub(super) fn request_id(raw: &str) -> AppResult<i64> {
    raw.trim()
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| AppError::not_found("这条反映"))
}

pub(super) fn detail(ctx: &Ctx<'_>, p: &mut VoicePage, r: &Request) {
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
pub(super) async fn rate_page(
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
