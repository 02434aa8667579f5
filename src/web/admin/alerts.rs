//! Emergency alerts (应急广播) in the back office: the list with each alert's
//! state, the form, and 提前结束. Officials alert their township; admins the
//! county, a township, or villages ticked in the form.

use actix_web::{get, post, web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{field_errors, invalid, layout, Layout};
use crate::access::{Action, PlaceKind, Role};
use crate::alerts::{self, AlertForm, Level, Listed, State, TARGET_VILLAGES};
use crate::error::{AppError, AppResult};
use crate::places::{self, Place};
use crate::validate::FieldErrors;
use crate::web::auth::{CsrfForm, CurrentUser};
use crate::web::{redirect, render};
use crate::AppState;

/// Opening any alert page needs `PublishDirect` on one's own place
/// (officials and admins); clerks and auditors get 403.
fn require(me: &CurrentUser) -> AppResult<()> {
    me.actor.require(Action::PublishDirect, &me.actor.place)
}

// ---------------------------------------------------------------- list

struct Row {
    id: i64,
    level: &'static str,
    label: &'static str,
    text: String,
    target: String,
    starts: String,
    ends: String,
    state: &'static str,
    live: bool,
    can_end: bool,
    author: String,
}

#[derive(Template)]
#[template(path = "admin/alerts.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<Row>,
    notice: Option<&'static str>,
}

#[derive(Deserialize)]
struct Saved {
    saved: Option<String>,
}

#[get("/admin/alerts")]
async fn list(
    state: web::Data<AppState>,
    me: CurrentUser,
    q: web::Query<Saved>,
) -> AppResult<HttpResponse> {
    require(&me)?;
    let layout = layout(&state, &me, "应急广播", "/admin/alerts").await?;
    let actor = me.actor.clone();
    let listed = state.db.run(move |c| alerts::list_for(c, &actor)).await?;
    let now = crate::time::now();
    let offset = state.offset;
    let rows = listed
        .into_iter()
        .map(|l: Listed| {
            let a = &l.alert;
            let st = a.state(now);
            Row {
                id: a.id,
                level: a.level().as_str(),
                label: a.level().label(),
                text: a.text.clone(),
                target: l.target.clone(),
                starts: crate::time::format_local(a.starts_at, offset),
                ends: crate::time::format_local(a.until(), offset),
                state: if st == State::Ended && a.ended_at.is_some_and(|e| e < a.ends_at) {
                    "已提前结束"
                } else {
                    st.label()
                },
                live: st == State::Live,
                can_end: l.can_end && st != State::Ended,
                author: l.author.clone(),
            }
        })
        .collect();
    let notice = match q.saved.as_deref() {
        Some("create") => Some("预警已发布，到开始时间后所有目标村的电视都会显示"),
        Some("end") => Some("预警已结束，电视上不再显示"),
        _ => None,
    };
    render(&ListPage {
        layout,
        rows,
        notice,
    })
}

// ---------------------------------------------------------------- form

/// A township with its villages, for the check boxes.
struct Group {
    township: Place,
    villages: Vec<Place>,
    /// Open when one of its villages is ticked.
    open: bool,
}

#[derive(Template)]
#[template(path = "admin/alert_form.html")]
struct FormPage {
    layout: Layout,
    form: AlertForm,
    errors: FieldErrors,
    levels: Vec<(&'static str, &'static str)>,
    /// Admins: the county and townships to choose from (value, label).
    areas: Vec<(String, String)>,
    /// Officials: their township, fixed.
    fixed: Option<(i64, String)>,
    groups: Vec<Group>,
}

impl FormPage {
    fn is_ticked(&self, id: &i64) -> bool {
        self.form.village_ids.contains(id)
    }
}

async fn form_page(
    state: &AppState,
    me: &CurrentUser,
    form: AlertForm,
    errors: FieldErrors,
) -> AppResult<FormPage> {
    let actor = me.actor.clone();
    let (own, townships, tree) = state
        .db
        .run(move |c| {
            let own = places::get(c, actor.place.id)?;
            let mut townships = Vec::new();
            for t in places::of_kind(c, PlaceKind::Township)? {
                if actor.may(Action::PublishDirect, &places::scope(c, &t)?) {
                    townships.push(t);
                }
            }
            let tree = if actor.role == Role::Official {
                Vec::new()
            } else {
                places::visible_villages(c, &actor)?
            };
            Ok((own, townships, tree))
        })
        .await?;
    let (areas, fixed) = if own.kind() == PlaceKind::Township {
        (Vec::new(), Some((own.id, own.name.clone())))
    } else {
        let mut areas = vec![(own.id.to_string(), format!("全县（{}）", own.name))];
        areas.extend(
            townships
                .iter()
                .map(|t| (t.id.to_string(), format!("{}（全部村）", t.name))),
        );
        areas.push((TARGET_VILLAGES.into(), "只发给下面勾选的村".into()));
        (areas, None)
    };
    let groups = tree
        .into_iter()
        .filter(|(_, vs)| !vs.is_empty())
        .map(|(township, villages)| Group {
            open: villages.iter().any(|v| form.village_ids.contains(&v.id)),
            township,
            villages,
        })
        .collect();
    Ok(FormPage {
        layout: layout(state, me, "发布应急广播", "/admin/alerts").await?,
        form,
        errors,
        levels: Level::ALL.iter().map(|l| (l.as_str(), l.label())).collect(),
        areas,
        fixed,
        groups,
    })
}

#[get("/admin/alerts/new")]
async fn new_form(state: web::Data<AppState>, me: CurrentUser) -> AppResult<HttpResponse> {
    require(&me)?;
    // A day from now, to the minute, as a starting suggestion.
    let tomorrow = crate::time::now() + chrono::Duration::hours(24);
    let form = AlertForm {
        level: Level::Yellow.as_str().into(),
        target: me.actor.place.id.to_string(),
        ends_at: crate::articles::form::format_local(Some(tomorrow), state.offset),
        ..AlertForm::default()
    };
    render(&form_page(&state, &me, form, FieldErrors::new()).await?)
}

/// The submitted fields. Ticked villages arrive as repeated `village_ids`
/// fields (one per check box), which a struct cannot take, so the form is
/// read as name/value pairs.
fn form_from(pairs: Vec<(String, String)>) -> AppResult<AlertForm> {
    let mut form = AlertForm::default();
    for (name, value) in pairs {
        match name.as_str() {
            "level" => form.level = value,
            "text" => form.text = value,
            "target" => form.target = value,
            "starts_at" => form.starts_at = value,
            "ends_at" => form.ends_at = value,
            "village_ids" => form.village_ids.push(
                value
                    .trim()
                    .parse()
                    .map_err(|_| AppError::BadRequest("勾选的村无效".into()))?,
            ),
            _ => {}
        }
    }
    Ok(form)
}

#[post("/admin/alerts")]
async fn create(
    state: web::Data<AppState>,
    me: CurrentUser,
    form: CsrfForm<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    require(&me)?;
    let form = form_from(form.0)?;
    let (actor, submitted, offset) = (me.actor.clone(), form.clone(), state.offset);
    let created = state
        .db
        .run(move |c| alerts::create(c, &actor, &submitted, offset))
        .await;
    match field_errors(created)? {
        Ok(_) => Ok(redirect("/admin/alerts?saved=create")),
        Err(errors) => invalid(&form_page(&state, &me, form, errors).await?),
    }
}

#[derive(Deserialize)]
struct Empty {}

#[post("/admin/alerts/{id}/end")]
async fn end(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
    _form: CsrfForm<Empty>,
) -> AppResult<HttpResponse> {
    require(&me)?;
    let id = id.into_inner();
    let actor = me.actor.clone();
    state
        .db
        .run(move |c| alerts::end_early(c, &actor, id))
        .await?;
    Ok(redirect("/admin/alerts?saved=end"))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list)
        .service(new_form)
        .service(create)
        .service(end);
}
