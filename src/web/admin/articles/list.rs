//! The article list: filters by section, state, village and words, one page
//! at a time, with each article's status tag.

use actix_web::{get, web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::working_places;
use crate::articles::{self, workflow, Air, ListFilter, RevState, Section};
use crate::error::{AppError, AppResult};
use crate::places::Place;
use crate::web::admin::{layout, Layout};
use crate::web::auth::CurrentUser;
use crate::web::render;
use crate::web::Pager;
use crate::AppState;

const PER_PAGE: i64 = 20;

fn ids(places: &[Place]) -> Vec<i64> {
    places.iter().map(|p| p.id).collect()
}

#[derive(Deserialize, Default)]
struct ListQuery {
    #[serde(default)]
    section: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    village: String,
    #[serde(default)]
    q: String,
    page: Option<String>,
}

struct Row {
    id: i64,
    title: String,
    section: &'static str,
    place: String,
    state: &'static str,
    air: &'static str,
    updated: String,
    author: String,
    /// The status tag's colour class.
    tag: &'static str,
    can_edit: bool,
}

#[derive(Template)]
#[template(path = "admin/articles.html")]
struct ListPage {
    layout: Layout,
    q: ListQuery,
    sections: Vec<(&'static str, &'static str)>,
    places: Vec<Place>,
    counts: Vec<(&'static str, &'static str, i64)>,
    rows: Vec<Row>,
    pager: Pager,
}

const STATES: [(&str, &str); 5] = [
    ("draft", "草稿"),
    ("pending", "待审核"),
    ("published", "已发布"),
    ("rejected", "已退回"),
    ("archived", "已下线"),
];

#[get("/admin/articles")]
pub(super) async fn list(
    state: web::Data<AppState>,
    me: CurrentUser,
    q: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    let layout = layout(&state, &me, "内容管理", "/admin/articles").await?;
    let q = q.into_inner();
    let filter = ListFilter {
        section: Section::parse(&q.section),
        state: RevState::parse(&q.state),
        archived: q.state == "archived",
        place_id: q.village.parse().ok(),
        text: Some(q.q.trim().to_string()).filter(|t| !t.is_empty()),
    };
    let page: i64 = q.page.as_deref().and_then(|p| p.parse().ok()).unwrap_or(1);
    let actor = me.actor.clone();
    let offset = state.offset;
    let (places, rows, total, counts) = state
        .db
        .run(move |c| {
            let places = working_places(c, &actor)?;
            if places.is_empty() {
                return Err(AppError::forbidden());
            }
            let visible = ids(&places);
            let (rows, total) = articles::list(c, &visible, &filter, page, PER_PAGE)?;
            let mut shown = Vec::with_capacity(rows.len());
            for (a, h) in rows {
                let scope = articles::scope_of(c, &a)?;
                let can_edit = actor.may(workflow::edit_action(a.scope()), &scope);
                shown.push((a, h, can_edit));
            }
            let counts = articles::state_counts(c, &visible)?;
            Ok((places, shown, total, counts))
        })
        .await?;
    let now = crate::time::now();
    let name_of = |id: i64| {
        places
            .iter()
            .find(|p| p.id == id)
            .map_or(String::new(), |p| p.name.clone())
    };
    let rows = rows
        .into_iter()
        .map(|(a, h, can_edit)| {
            let expired = h.state() == RevState::Published && a.air(now) == Air::Expired;
            let (state, tag) = if expired {
                (Air::Expired.label(), "st-expired")
            } else {
                (h.state().label(), tag_class(h.state()))
            };
            Row {
                id: a.id,
                title: h.title.clone(),
                section: a.section().label(),
                place: name_of(a.place_id),
                state,
                air: a.air(now).label(),
                updated: crate::time::format_local(h.updated_at, offset),
                author: h.author_name,
                tag,
                can_edit,
            }
        })
        .collect();
    let counts = STATES
        .iter()
        .map(|(code, label)| {
            let n = counts
                .iter()
                .find(|(k, _)| k == code)
                .map_or(0, |(_, n)| *n);
            (*code, *label, n)
        })
        .collect();
    let base = format!(
        "/admin/articles?{}&",
        form_urlencoded::Serializer::new(String::new())
            .append_pair("section", &q.section)
            .append_pair("state", &q.state)
            .append_pair("village", &q.village)
            .append_pair("q", &q.q)
            .finish()
    );
    render(&ListPage {
        layout,
        pager: Pager::new(crate::pager::Pager::new(page, PER_PAGE), total, &base),
        q,
        sections: Section::ALL
            .iter()
            .map(|s| (s.as_str(), s.label()))
            .collect(),
        places,
        counts,
        rows,
    })
}

/// The colour class of a status tag (admin.css).
fn tag_class(state: RevState) -> &'static str {
    match state {
        RevState::Draft => "st-draft",
        RevState::Pending => "st-pending",
        RevState::Published => "st-published",
        RevState::Rejected => "st-rejected",
        RevState::Superseded => "st-superseded",
    }
}
