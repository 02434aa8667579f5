//! 我要反映 step by step: the 村民之声 page, a category, a reason, whether to call back.

use super::*;

/// `/voice`: what the villager can do, and a closed request to rate.
#[get("/tv/v/{village}/voice")]
pub(super) async fn menu_page(
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
pub(super) async fn categories_page(
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
pub(super) async fn reasons_page(
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
pub(super) async fn question_article(
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
pub(super) async fn callback_page(
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
pub(super) fn keypad(
    ctx: &Ctx<'_>,
    query: &VoiceQuery,
    message: Option<String>,
) -> AppResult<HttpResponse> {
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
