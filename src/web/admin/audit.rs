//! The audit log page (admins and auditors): filters and pages.

use actix_web::{get, web, HttpResponse};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;

use super::{layout, Layout};
use crate::access::Action;
use crate::audit::{self, Entry, Filter};
use crate::error::{AppError, AppResult};
use crate::places::{self, Place};
use crate::web::auth::CurrentUser;
use crate::web::render;
use crate::web::Pager;
use crate::AppState;

const PER_PAGE: i64 = 50;

/// The filter form as submitted; blank fields mean "any".
#[derive(Debug, Default, Deserialize)]
struct Query {
    #[serde(default)]
    user: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    place: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    page: Option<String>,
}

/// One row as shown: times in local time, place by name.
struct Row {
    at: String,
    actor: String,
    action: String,
    target: String,
    place: String,
    summary: String,
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    layout: Layout,
    q: Query,
    /// (action, its Chinese name)
    actions: Vec<(String, String)>,
    places: Vec<Place>,
    rows: Vec<Row>,
    pager: Pager,
    date_error: Option<&'static str>,
}

fn parse_day(s: &str) -> Result<Option<NaiveDate>, ()> {
    match s.trim() {
        "" => Ok(None),
        d => NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| ()),
    }
}

fn encode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .map(|s| s.trim_start_matches('=').to_string())
        .unwrap_or_default()
}

#[get("/admin/audit")]
async fn page(
    state: web::Data<AppState>,
    me: CurrentUser,
    q: web::Query<Query>,
) -> AppResult<HttpResponse> {
    me.actor.require(Action::ViewAudit, &me.actor.place)?;
    let layout = layout(&state, &me, "审计日志", "/admin/audit").await?;
    let q = q.into_inner();
    // PostgreSQL refuses a NUL byte in text; no filter value needs any control character.
    if [&q.user, &q.action, &q.place, &q.from, &q.to]
        .iter()
        .any(|v| v.chars().any(char::is_control))
    {
        return Err(AppError::BadRequest("筛选条件含有无效的字符".into()));
    }
    let offset = state.offset;
    let (from, to) = (parse_day(&q.from), parse_day(&q.to));
    let date_error = (from.is_err() || to.is_err()).then_some("日期格式应为 2026-01-31");
    let filter = Filter {
        actor_name: Some(q.user.trim().to_string()).filter(|s| !s.is_empty()),
        action: Some(q.action.trim().to_string()).filter(|s| !s.is_empty()),
        place_id: q.place.trim().parse().ok(),
        from: from
            .ok()
            .flatten()
            .map(|d| crate::time::local_day_start(d, offset)),
        until: to
            .ok()
            .flatten()
            .and_then(|d| d.succ_opt())
            .map(|d| crate::time::local_day_start(d, offset)),
    };
    let page: i64 = q
        .page
        .as_deref()
        .and_then(|p| p.parse().ok())
        .unwrap_or(1)
        .max(1);
    let (entries, total, actions, places) = state
        .db
        .run(move |c| {
            let (entries, total) = audit::search(c, &filter, page, PER_PAGE)?;
            let mut places = places::of_kind(c, crate::access::PlaceKind::County)?;
            places.extend(places::of_kind(c, crate::access::PlaceKind::Township)?);
            places.extend(places::of_kind(c, crate::access::PlaceKind::Village)?);
            let actions = audit::actions(c)?
                .into_iter()
                .map(|a| {
                    let label = audit::action_label(&a).to_string();
                    (a, label)
                })
                .collect::<Vec<_>>();
            Ok((entries, total, actions, places))
        })
        .await?;
    let place_name = |id: Option<i64>| {
        id.and_then(|id| places.iter().find(|p| p.id == id))
            .map_or(String::new(), |p| p.name.clone())
    };
    let rows = entries
        .into_iter()
        .map(|e: Entry| Row {
            at: crate::time::format_local(e.at, offset),
            actor: e.actor_name,
            action: audit::action_label(&e.action).to_string(),
            target: match e.target_id {
                Some(id) => format!("{} #{id}", e.target_type),
                None => e.target_type,
            },
            place: place_name(e.place_id),
            summary: e.summary,
        })
        .collect();
    let base = format!(
        "/admin/audit?user={}&action={}&place={}&from={}&to={}&",
        encode(&q.user),
        encode(&q.action),
        encode(&q.place),
        encode(&q.from),
        encode(&q.to)
    );
    render(&AuditPage {
        layout,
        pager: Pager::new(crate::pager::Pager::new(page, PER_PAGE), total, &base),
        q,
        actions,
        places,
        rows,
        date_error,
    })
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(page);
}
