//! The household number (a box without an STB id types it), the confirm page and filing.

use super::*;

#[get("/tv/v/{village}/voice/household")]
pub(super) async fn household_pad(
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
pub(super) async fn household_or_pad(
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
    pub(super) fn without_key(&self) -> VoiceQuery {
        VoiceQuery {
            key: None,
            page: None,
            ..self.clone()
        }
    }
}

/// `/voice/confirm`: what will be filed, and the one link that files it.
#[get("/tv/v/{village}/voice/confirm")]
pub(super) async fn confirm_page(
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
pub(super) async fn send_page(
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

pub(super) async fn file_and_answer(
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

pub(super) fn done_page(ctx: &Ctx<'_>, r: &Request, again: bool) -> AppResult<HttpResponse> {
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
