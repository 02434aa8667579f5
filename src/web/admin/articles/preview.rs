//! The TV preview of a revision, rendered as a box shows it.

use actix_web::{get, web, HttpResponse};
use serde::Deserialize;

use crate::articles::{self, Section};
use crate::error::{AppError, AppResult};
use crate::places;
use crate::web::auth::CurrentUser;
use crate::web::render;
use crate::web::tv::articles::{ArticlePage, VideoPage};
use crate::AppState;

#[derive(Deserialize)]
struct PreviewQuery {
    rev: Option<i64>,
    p: Option<String>,
}

/// The TV page of a revision (the head by default), exactly as a box shows it.
#[get("/admin/articles/{id}/tv")]
pub(super) async fn tv_preview(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
    q: web::Query<PreviewQuery>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let actor = me.actor.clone();
    let rev_id = q.rev;
    let (a, rev, village, township) = state
        .db
        .run(move |c| {
            let a = articles::get_for(c, &actor, id)?;
            let rev = match rev_id {
                Some(r) => articles::revision(c, r)
                    .ok()
                    .filter(|r| r.article_id == a.id)
                    .ok_or_else(|| AppError::not_found("这个版本"))?,
                None => articles::head(c, &a)?,
            };
            // Shown as in the article's own place (for township content, its township).
            let mut rev = rev;
            rev.body = articles::tv_body(c, &rev.body, false)?;
            let place = places::get(c, a.place_id)?;
            let parent = match place.parent_id {
                Some(p) => Some(places::get(c, p)?),
                None => None,
            };
            Ok((a, rev, place, parent))
        })
        .await?;
    let p = q.p.as_deref().and_then(|p| p.parse().ok()).unwrap_or(1);
    let frame =
        crate::web::tv::Frame::village(&state, &village, township.as_ref(), &rev.title, "#".into());
    // A video is reviewed on the page boxes will play it from.
    if let (Some(Section::Videos), Some(src)) =
        (Section::parse(&rev.section), rev.video_url.as_deref())
    {
        return render(&VideoPage::new(frame, &a, &rev, src, state.offset));
    }
    let base = match q.rev {
        Some(r) => format!("/admin/articles/{id}/tv?rev={r}"),
        None => format!("/admin/articles/{id}/tv"),
    };
    render(&ArticlePage::new(frame, &a, &rev, p, &base, state.offset))
}
