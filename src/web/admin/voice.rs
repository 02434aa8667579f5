//! Villagers' requests in the back office: the queue of the villages one
//! handles (urgent help first, then by due time), one request with its
//! steps and the forms for the next one, and the township's supervision.

use std::collections::{BTreeMap, HashMap};

use actix_web::{get, post, web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{field_errors, invalid, layout, Layout};
use crate::access::{Action, Actor};
use crate::error::{AppError, AppResult};
use crate::places::Place;
use crate::validate::FieldErrors;
use crate::voice::handling::{self, Step as Take};
use crate::voice::supervision::{self, Filter, Report};
use crate::voice::{self, board, Request, Step};
use crate::web::auth::{CsrfForm, CurrentUser};
use crate::web::{redirect, render};
use crate::AppState;

pub fn may_handle(actor: &Actor) -> bool {
    actor.may(Action::HandleRequests, &actor.place)
}

pub fn may_supervise(actor: &Actor) -> bool {
    actor.may(Action::SuperviseRequests, &actor.place)
}

/// A request as a row of the queue.
struct Row {
    r: Request,
    village: String,
    household: String,
    due: String,
    /// `overdue`, `soon` or empty.
    class: &'static str,
}

fn local(state: &AppState, at: chrono::NaiveDateTime) -> String {
    crate::time::to_local(at, state.offset)
        .format("%m-%d %H:%M")
        .to_string()
}

fn rows(
    state: &AppState,
    (list, numbers): (Vec<Request>, HashMap<i64, String>),
    villages: &BTreeMap<i64, Place>,
) -> Vec<Row> {
    let now = crate::time::now();
    list.into_iter()
        .map(|r| Row {
            household: numbers.get(&r.household_id).cloned().unwrap_or_default(),
            village: villages
                .get(&r.village_id)
                .map_or_else(String::new, |v| v.name.clone()),
            due: local(state, r.due_at),
            class: if r.overdue(now) {
                "overdue"
            } else if r.state().is_open() && r.reminded_at.is_some() {
                "soon"
            } else {
                ""
            },
            r,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "admin/voice.html")]
struct QueuePage {
    layout: Layout,
    filters: Vec<(&'static str, &'static str, bool)>,
    villages: Vec<Place>,
    /// The village chosen in the filter (0: all).
    village: i64,
    rows: Vec<Row>,
    boards: Vec<(Place, bool)>,
}

#[derive(Deserialize)]
struct QueueQuery {
    f: Option<String>,
    village: Option<String>,
}

/// Brings reminders and escalations up to date before a page reads them.
fn swept(conn: &mut crate::db::DbConn, catalog: &voice::Catalog) -> AppResult<()> {
    voice::sweep::run(conn, catalog, crate::time::now()).map(|_| ())
}

#[get("/admin/voice")]
async fn queue(
    state: web::Data<AppState>,
    me: CurrentUser,
    q: web::Query<QueueQuery>,
) -> AppResult<HttpResponse> {
    if !may_handle(&me.actor) {
        return Err(AppError::forbidden());
    }
    let filter = Filter::parse(q.f.as_deref());
    let wanted = q
        .village
        .as_deref()
        .and_then(|v| v.trim().parse::<i64>().ok());
    let (actor, catalog) = (me.actor.clone(), state.voice.clone());
    let (villages, list, boards) = state
        .db
        .run(move |c| {
            swept(c, &catalog)?;
            let villages = supervision::villages(c, &actor, Action::HandleRequests)?;
            let ids: Vec<i64> = match wanted.filter(|id| villages.contains_key(id)) {
                Some(id) => vec![id],
                None => villages.keys().copied().collect(),
            };
            let list = supervision::queue(c, &ids, filter, crate::time::now(), 200)?;
            let numbers = voice::household_numbers(c, &list)?;
            let list = (list, numbers);
            let mut boards = Vec::new();
            for v in villages.values().take(20) {
                boards.push((v.clone(), board::enabled(c, v.id)?));
            }
            Ok((villages, list, boards))
        })
        .await?;
    let page = QueuePage {
        layout: layout(&state, &me, "村民反映", "/admin/voice").await?,
        filters: Filter::ALL
            .iter()
            .map(|(f, key, label)| (*key, *label, *f == filter))
            .collect(),
        rows: rows(&state, list, &villages),
        villages: villages.values().cloned().collect(),
        village: wanted.unwrap_or(0),
        boards,
    };
    render(&page)
}

#[derive(Template)]
#[template(path = "admin/voice_request.html")]
struct RequestPage {
    layout: Layout,
    r: Request,
    village: String,
    household: String,
    article: Option<(i64, String)>,
    created: String,
    due: String,
    overdue: bool,
    steps: Vec<(String, Step)>,
    may_take: bool,
    /// Why a clerk may not take steps on it (a question for the committee).
    read_only: Option<&'static str>,
    reply: String,
    note: String,
    errors: FieldErrors,
}

impl RequestPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field)
    }
    fn can(&self, step: &str) -> bool {
        use voice::State::*;
        let s = self.r.state();
        self.may_take
            && match step {
                "accept" => s == New,
                "start" => matches!(s, New | Accepted),
                "reply" => matches!(s, New | Accepted | Handling | Replied),
                "close" => s == Replied,
                _ => false,
            }
    }
}

async fn request_page(
    state: &AppState,
    me: &CurrentUser,
    id: i64,
    reply: String,
    note: String,
    errors: FieldErrors,
) -> AppResult<RequestPage> {
    let (actor, catalog) = (me.actor.clone(), state.voice.clone());
    let (r, village, household, article, steps, may_take) = state
        .db
        .run(move |c| {
            swept(c, &catalog)?;
            let r = voice::get(c, id)?;
            let scope = crate::places::scope_of(c, r.village_id)?;
            // Who may not handle it may not see it either (auditors: the
            // supervision page has the figures).
            if !actor.may(Action::HandleRequests, &scope) {
                return Err(AppError::not_found("这条反映"));
            }
            let village = crate::places::get(c, r.village_id)?.name;
            let household = crate::households::get(c, r.household_id)?.number;
            let article = match r.article_id {
                Some(a) => {
                    let article = crate::articles::get(c, a)?;
                    Some((a, crate::articles::head(c, &article)?.title))
                }
                None => None,
            };
            let steps = voice::steps(c, id)?;
            let may_take = handling::may_handle(c, &actor, &r)?;
            Ok((r, village, household, article, steps, may_take))
        })
        .await?;
    let now = crate::time::now();
    Ok(RequestPage {
        layout: layout(state, me, &format!("反映 #{}", r.id), "/admin/voice").await?,
        village,
        household,
        article,
        created: local(state, r.created_at),
        due: local(state, r.due_at),
        overdue: r.overdue(now),
        steps: steps.into_iter().map(|s| (local(state, s.at), s)).collect(),
        read_only: (!may_take)
            .then_some("村务公开的疑问由村务监督委员会成员或街道答复，您可以查看。"),
        may_take,
        reply: if reply.is_empty() {
            r.reply.clone()
        } else {
            reply
        },
        note,
        errors,
        r,
    })
}

#[get("/admin/voice/{id}")]
async fn show(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = path
        .trim()
        .parse::<i64>()
        .map_err(|_| AppError::not_found("这条反映"))?;
    render(
        &request_page(
            &state,
            &me,
            id,
            String::new(),
            String::new(),
            FieldErrors::new(),
        )
        .await?,
    )
}

#[derive(Deserialize, Clone, Default)]
struct StepForm {
    #[serde(default)]
    step: String,
    #[serde(default)]
    text: String,
}

#[post("/admin/voice/{id}/step")]
async fn take(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<String>,
    form: CsrfForm<StepForm>,
) -> AppResult<HttpResponse> {
    let id = path
        .trim()
        .parse::<i64>()
        .map_err(|_| AppError::not_found("这条反映"))?;
    let CsrfForm(form) = form;
    let Some(step) = Take::parse(form.step.trim(), &form.text) else {
        let mut e = FieldErrors::new();
        e.add("step", "请选择一个处理步骤");
        return invalid(&request_page(&state, &me, id, String::new(), String::new(), e).await?);
    };
    let actor = me.actor.clone();
    let result = state
        .db
        .run(move |c| handling::take(c, &actor, id, &step))
        .await;
    match field_errors(result)? {
        Ok(_) => {
            state.tv_cache.mark_dirty();
            Ok(redirect(&format!("/admin/voice/{id}")))
        }
        Err(errors) => {
            let (reply, note) = match form.step.trim() {
                "reply" => (form.text.clone(), String::new()),
                _ => (String::new(), form.text.clone()),
            };
            invalid(&request_page(&state, &me, id, reply, note, errors).await?)
        }
    }
}

#[derive(Deserialize, Clone, Default)]
struct BoardForm {
    #[serde(default, deserialize_with = "crate::validate::optional_id")]
    village_id: Option<i64>,
    #[serde(default)]
    on: Option<String>,
}

#[post("/admin/voice/board")]
async fn set_board(
    state: web::Data<AppState>,
    me: CurrentUser,
    form: CsrfForm<BoardForm>,
) -> AppResult<HttpResponse> {
    let CsrfForm(form) = form;
    let village_id = form
        .village_id
        .ok_or_else(|| AppError::not_found("这个村"))?;
    let on = form.on.is_some();
    let actor = me.actor.clone();
    state
        .db
        .run(move |c| board::set(c, &actor, village_id, on))
        .await?;
    state.tv_cache.mark_dirty();
    Ok(redirect("/admin/voice"))
}

#[derive(Template)]
#[template(path = "admin/voice_supervision.html")]
struct SupervisionPage {
    layout: Layout,
    report: Report,
    overdue: Vec<Row>,
    days: i64,
}

#[derive(Deserialize)]
struct DaysQuery {
    days: Option<String>,
}

#[get("/admin/voice/supervision")]
async fn supervision_page(
    state: web::Data<AppState>,
    me: CurrentUser,
    q: web::Query<DaysQuery>,
) -> AppResult<HttpResponse> {
    if !may_supervise(&me.actor) {
        return Err(AppError::forbidden());
    }
    let days = q
        .days
        .as_deref()
        .and_then(|d| d.trim().parse::<i64>().ok())
        .filter(|d| [7, 30, 90, 365].contains(d))
        .unwrap_or(30);
    let (actor, catalog) = (me.actor.clone(), state.voice.clone());
    let (villages, (report, overdue)) = state
        .db
        .run(move |c| {
            swept(c, &catalog)?;
            let villages = supervision::villages(c, &actor, Action::SuperviseRequests)?;
            let mut report = supervision::report(c, &villages, days, crate::time::now())?;
            let overdue = std::mem::take(&mut report.overdue);
            let numbers = voice::household_numbers(c, &overdue)?;
            Ok((villages, (report, (overdue, numbers))))
        })
        .await?;
    let overdue = rows(&state, overdue, &villages);
    render(&SupervisionPage {
        layout: layout(&state, &me, "村民反映督办", "/admin/voice/supervision").await?,
        report,
        overdue,
        days,
    })
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    // The fixed addresses first: `{id}` would take them.
    cfg.service(supervision_page)
        .service(set_board)
        .service(queue)
        .service(show)
        .service(take);
}
