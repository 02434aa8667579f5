//! 办好了: the village's closed reports, anonymised.

use super::*;

/// `/voice/board`: 办好了, when the village shows it.
#[get("/tv/v/{village}/voice/board")]
pub(super) async fn public_board(
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
