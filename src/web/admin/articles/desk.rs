//! What waits for a user: the desk on the dashboard and the review queue
//! (审核) built from it.

use actix_web::{get, web, HttpResponse};
use askama::Template;

use super::working_places;
use crate::access::{Action, PlaceKind};
use crate::articles::{self, workflow, Article, RevState, Revision};
use crate::error::AppResult;
use crate::places;
use crate::web::admin::{layout, Layout};
use crate::web::auth::CurrentUser;
use crate::web::render;
use crate::AppState;

#[derive(Template)]
#[template(path = "admin/review.html")]
struct QueuePage {
    layout: Layout,
    desk: Desk,
}

/// 审核: what waits for the reviewer, newest first, and what they sent back.
#[get("/admin/review")]
pub(super) async fn review_queue(
    state: web::Data<AppState>,
    me: CurrentUser,
) -> AppResult<HttpResponse> {
    let mut desk = desk(&state, &me).await?;
    desk.pending.reverse();
    render(&QueuePage {
        layout: layout(&state, &me, "审核", "/admin/review").await?,
        desk,
    })
}

// ---------------------------------------------------------------- the desk on the dashboard

pub struct DeskRow {
    pub id: i64,
    pub title: String,
    pub place: String,
    pub author: String,
    pub when: String,
    pub reason: String,
    /// The viewer may edit it (else no 修改 link).
    pub can_edit: bool,
}

/// What waits for the user: pending items to review (oldest first), their
/// own rejected items with the reason, and scheduled publications.
#[derive(Default)]
pub struct Desk {
    pub pending: Vec<DeskRow>,
    pub rejected: Vec<DeskRow>,
    pub scheduled: Vec<DeskRow>,
    /// Branch meeting records (三会一课) waiting for the township's
    /// confirmation before TVs show them; the link opens the record.
    pub meetings: Vec<DeskRow>,
}

pub async fn desk(state: &AppState, me: &CurrentUser) -> AppResult<Desk> {
    let actor = me.actor.clone();
    let offset = state.offset;
    state
        .db
        .run(move |c| {
            let places = working_places(c, &actor)?;
            let ids = |c: &mut crate::db::DbConn, action| -> AppResult<Vec<i64>> {
                let kinds = [PlaceKind::County, PlaceKind::Township, PlaceKind::Village];
                Ok(places::where_may(c, &actor, &kinds, &[action])?
                    .iter()
                    .map(|p| p.id)
                    .collect())
            };
            let review = ids(c, Action::ReviewContent)?;
            let write = ids(c, Action::EditContent)?;
            let name = |id: i64| {
                places
                    .iter()
                    .find(|p| p.id == id)
                    .map_or(String::new(), |p| p.name.clone())
            };
            let editable = |c: &mut crate::db::DbConn, a: &Article| -> AppResult<bool> {
                let scope = articles::scope_of(c, a)?;
                Ok(actor.may(workflow::edit_action(a.scope()), &scope))
            };
            let row = |a: &Article, h: &Revision, when, can_edit| DeskRow {
                id: a.id,
                title: h.title.clone(),
                place: name(a.place_id),
                author: h.author_name.clone(),
                when: crate::time::format_local(when, offset),
                reason: h.reason.clone().unwrap_or_default(),
                can_edit,
            };
            let now = crate::time::now();
            let mut pending = Vec::new();
            if actor.role != crate::access::Role::Clerk {
                for (a, h) in articles::pending(c, &review)? {
                    let e = editable(c, &a)?;
                    pending.push(row(&a, &h, h.updated_at, e));
                }
            }
            // Rejected: what the writer must fix, and for a reviewer what
            // they sent back.
            let mut places_rejected = write.clone();
            places_rejected.extend(review.iter().filter(|p| !write.contains(p)));
            let mut rejected = Vec::new();
            for (a, h) in articles::heads_in_state(c, &places_rejected, RevState::Rejected, 20)? {
                let e = editable(c, &a)?;
                rejected.push(row(&a, &h, h.reviewed_at.unwrap_or(h.updated_at), e));
            }
            let mut scheduled = Vec::new();
            for a in articles::scheduled(c, &write, now)? {
                let h = articles::head(c, &a)?;
                let e = editable(c, &a)?;
                scheduled.push(row(&a, &h, a.publish_at.unwrap_or(now), e));
            }
            let mut meetings = Vec::new();
            if actor.role != crate::access::Role::Clerk {
                for m in crate::roster::life::unconfirmed(c, &review)? {
                    meetings.push(DeskRow {
                        id: m.id,
                        title: crate::text::cut(&format!("{} · {}", m.kind_label(), m.topics), 40),
                        place: name(m.village_id),
                        author: m.recorder.clone(),
                        when: m.held_on.clone(),
                        reason: String::new(),
                        can_edit: false,
                    });
                }
            }
            Ok(Desk {
                pending,
                rejected,
                scheduled,
                meetings,
            })
        })
        .await
}
