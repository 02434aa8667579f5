//! Households of a village: STB ids and PINs.

use actix_web::{get, post, web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{field_errors, invalid, layout, Layout};
use crate::access::{Action, Actor, PlaceKind};
use crate::error::{AppError, AppResult};
use crate::households::{self, Household, HouseholdForm};
use crate::places::{self, Place};
use crate::validate::FieldErrors;
use crate::web::auth::{CsrfForm, CurrentUser};
use crate::web::Pager;
use crate::web::{redirect, render};
use crate::AppState;

const PER_PAGE: i64 = 20;

/// The villages whose households this actor manages.
fn manageable_villages(conn: &mut crate::db::DbConn, actor: &Actor) -> AppResult<Vec<Place>> {
    places::where_may(
        conn,
        actor,
        &[PlaceKind::Village],
        &[Action::ManageHouseholds],
    )
}

#[derive(Template)]
#[template(path = "admin/households.html")]
struct ListPage {
    layout: Layout,
    villages: Vec<Place>,
    village: Option<Place>,
    rows: Vec<Household>,
    pager: Pager,
}

#[derive(Deserialize)]
struct ListQuery {
    village: Option<i64>,
    page: Option<i64>,
}

#[get("/admin/households")]
async fn list(
    state: web::Data<AppState>,
    me: CurrentUser,
    q: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    let layout = layout(&state, &me, "住户管理", "/admin/households").await?;
    let actor = me.actor.clone();
    let q = q.into_inner();
    let (villages, village, rows, total) = state
        .db
        .run(move |c| {
            let villages = manageable_villages(c, &actor)?;
            if villages.is_empty() {
                return Err(AppError::forbidden());
            }
            let village = match q.village {
                Some(id) => villages
                    .iter()
                    .find(|v| v.id == id)
                    .cloned()
                    .ok_or_else(AppError::forbidden)?,
                None => villages[0].clone(),
            };
            let (rows, total) =
                households::page_of_village(c, village.id, q.page.unwrap_or(1), PER_PAGE)?;
            Ok((villages, Some(village), rows, total))
        })
        .await?;
    let base = format!(
        "/admin/households?village={}&",
        village.as_ref().map_or(0, |v| v.id)
    );
    render(&ListPage {
        layout,
        villages,
        village,
        rows,
        pager: Pager::new(
            crate::pager::Pager::new(q.page.unwrap_or(1), PER_PAGE),
            total,
            &base,
        ),
    })
}

#[derive(Template)]
#[template(path = "admin/household_form.html")]
struct FormPage {
    layout: Layout,
    household: Option<Household>,
    villages: Vec<Place>,
    form: HouseholdForm,
    errors: FieldErrors,
}

impl FormPage {
    fn action(&self) -> String {
        match &self.household {
            Some(h) => format!("/admin/households/{}", h.id),
            None => "/admin/households".into(),
        }
    }
}

async fn form_page(
    state: &AppState,
    me: &CurrentUser,
    household: Option<Household>,
    form: HouseholdForm,
    errors: FieldErrors,
) -> AppResult<FormPage> {
    let actor = me.actor.clone();
    let villages = state
        .db
        .run(move |c| manageable_villages(c, &actor))
        .await?;
    if villages.is_empty() {
        return Err(AppError::forbidden());
    }
    let title = if household.is_some() {
        "编辑住户"
    } else {
        "新建住户"
    };
    Ok(FormPage {
        layout: layout(state, me, title, "/admin/households").await?,
        household,
        villages,
        form,
        errors,
    })
}

#[derive(Deserialize)]
struct NewQuery {
    village: Option<i64>,
}

#[get("/admin/households/new")]
async fn new_form(
    state: web::Data<AppState>,
    me: CurrentUser,
    q: web::Query<NewQuery>,
) -> AppResult<HttpResponse> {
    let form = HouseholdForm {
        village_id: q.village,
        ..HouseholdForm::default()
    };
    render(&form_page(&state, &me, None, form, FieldErrors::new()).await?)
}

#[post("/admin/households")]
async fn create(
    state: web::Data<AppState>,
    me: CurrentUser,
    form: CsrfForm<HouseholdForm>,
) -> AppResult<HttpResponse> {
    let CsrfForm(form) = form;
    let (actor, submitted) = (me.actor.clone(), form.clone());
    match field_errors(
        state
            .db
            .run(move |c| households::create(c, &actor, &submitted))
            .await,
    )? {
        Ok(h) => Ok(redirect(&format!(
            "/admin/households?village={}",
            h.village_id
        ))),
        Err(errors) => {
            let form = HouseholdForm {
                pin: String::new(),
                ..form
            };
            invalid(&form_page(&state, &me, None, form, errors).await?)
        }
    }
}

#[get("/admin/households/{id}")]
async fn edit_form(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let actor = me.actor.clone();
    let h = state
        .db
        .run(move |c| {
            let h = households::get(c, id)?;
            actor.require(
                Action::ManageHouseholds,
                &places::scope_of(c, h.village_id)?,
            )?;
            Ok(h)
        })
        .await?;
    let form = HouseholdForm {
        village_id: Some(h.village_id),
        stb_id: h.stb_id.clone(),
        number: h.number.clone(),
        pin: String::new(),
        screen: h.screen.clone(),
    };
    render(&form_page(&state, &me, Some(h), form, FieldErrors::new()).await?)
}

#[post("/admin/households/{id}")]
async fn update(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
    form: CsrfForm<HouseholdForm>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let CsrfForm(form) = form;
    let (actor, submitted) = (me.actor.clone(), form.clone());
    match field_errors(
        state
            .db
            .run(move |c| households::update(c, &actor, id, &submitted))
            .await,
    )? {
        Ok(h) => Ok(redirect(&format!(
            "/admin/households?village={}",
            h.village_id
        ))),
        Err(errors) => {
            let h = state.db.run(move |c| households::get(c, id)).await?;
            let form = HouseholdForm {
                pin: String::new(),
                ..form
            };
            invalid(&form_page(&state, &me, Some(h), form, errors).await?)
        }
    }
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list)
        .service(new_form)
        .service(create)
        .service(edit_form)
        .service(update);
}
