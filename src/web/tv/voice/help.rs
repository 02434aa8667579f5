//! 一键求助: the confirm page and the call for help.

use super::*;

/// `/voice/help`: one more OK and the cadre on duty is told.
#[get("/tv/v/{village}/voice/help")]
pub(super) async fn help_page(
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
pub(super) async fn help_send_page(
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
pub(super) async fn own_household(
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
