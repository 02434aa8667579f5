//! Residents (居民档案): the list of a village's residents and the form
//! that registers or edits one.

use actix_web::{get, post, web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{pick_village, this_year, VillageQuery};
use crate::error::AppResult;
use crate::health::admin::{self as health, ResidentForm, ResidentRow};
use crate::health::Resident;
use crate::households::Household;
use crate::places::Place;
use crate::validate::FieldErrors;
use crate::web::admin::{field_errors, invalid, layout, Layout};
use crate::web::auth::{CsrfForm, CurrentUser};
use crate::web::Pager;
use crate::web::{redirect, render};
use crate::AppState;

const NAV_RESIDENTS: &str = "/admin/health/residents";
const PER_PAGE: i64 = 20;

#[derive(Template)]
#[template(path = "admin/health_residents.html")]
struct ResidentsPage {
    layout: Layout,
    villages: Vec<Place>,
    village: Place,
    search: String,
    rows: Vec<ResidentRow>,
    pager: Pager,
}

#[derive(Deserialize)]
struct ResidentsQuery {
    village: Option<i64>,
    q: Option<String>,
    page: Option<i64>,
}

#[get("/admin/health/residents")]
pub(super) async fn residents(
    state: web::Data<AppState>,
    me: CurrentUser,
    q: web::Query<ResidentsQuery>,
) -> AppResult<HttpResponse> {
    let layout = layout(&state, &me, "居民档案", NAV_RESIDENTS).await?;
    let actor = me.actor.clone();
    let q = q.into_inner();
    let search: String = q.q.unwrap_or_default().trim().chars().take(40).collect();
    let page = q.page.unwrap_or(1);
    let wanted = q.village;
    let term = search.clone();
    let (villages, village, rows, total) = state
        .db
        .run(move |c| {
            let villages = health::resident_villages(c, &actor)?;
            let village = pick_village(&villages, wanted)?;
            let (rows, total) = health::resident_page(c, village.id, &term, page, PER_PAGE)?;
            Ok((villages, village, rows, total))
        })
        .await?;
    let base = format!(
        "/admin/health/residents?{}&",
        form_urlencoded::Serializer::new(String::new())
            .append_pair("village", &village.id.to_string())
            .append_pair("q", &search)
            .finish()
    );
    render(&ResidentsPage {
        layout,
        pager: Pager::new(crate::pager::Pager::new(page, PER_PAGE), total, &base),
        villages,
        village,
        search,
        rows,
    })
}

#[derive(Template)]
#[template(path = "admin/health_resident_form.html")]
struct ResidentFormPage {
    layout: Layout,
    resident: Option<Resident>,
    village: Place,
    households: Vec<Household>,
    form: ResidentForm,
    this_year: i32,
    errors: FieldErrors,
}

impl ResidentFormPage {
    fn action(&self) -> String {
        match &self.resident {
            Some(r) => format!("/admin/health/residents/{}", r.id),
            None => "/admin/health/residents".into(),
        }
    }
}

/// The form for a resident of `village_id` (a village the actor manages).
async fn resident_page(
    state: &AppState,
    me: &CurrentUser,
    resident: Option<Resident>,
    village_id: Option<i64>,
    form: ResidentForm,
    errors: FieldErrors,
) -> AppResult<ResidentFormPage> {
    let actor = me.actor.clone();
    let household = form.household_id;
    let (village, households) = state
        .db
        .run(move |c| {
            let villages = health::resident_villages(c, &actor)?;
            // The village of the chosen household, else the one asked for.
            let of_household = match household {
                Some(h) => crate::households::get(c, h).ok().map(|h| h.village_id),
                None => None,
            };
            let village = pick_village(&villages, of_household.or(village_id))
                .or_else(|_| pick_village(&villages, village_id))?;
            let households = health::village_households(c, village.id)?;
            Ok((village, households))
        })
        .await?;
    let title = if resident.is_some() {
        "编辑居民"
    } else {
        "登记居民"
    };
    Ok(ResidentFormPage {
        layout: layout(state, me, title, NAV_RESIDENTS).await?,
        resident,
        village,
        households,
        form,
        this_year: this_year(state),
        errors,
    })
}

#[get("/admin/health/residents/new")]
pub(super) async fn new_resident(
    state: web::Data<AppState>,
    me: CurrentUser,
    q: web::Query<VillageQuery>,
) -> AppResult<HttpResponse> {
    let page = resident_page(
        &state,
        &me,
        None,
        q.village,
        ResidentForm::default(),
        FieldErrors::new(),
    )
    .await?;
    render(&page)
}

fn residents_of(village: i64) -> String {
    format!("/admin/health/residents?village={village}")
}

#[post("/admin/health/residents")]
pub(super) async fn create_resident(
    state: web::Data<AppState>,
    me: CurrentUser,
    form: CsrfForm<ResidentForm>,
) -> AppResult<HttpResponse> {
    let CsrfForm(form) = form;
    let (actor, submitted, year) = (me.actor.clone(), form.clone(), this_year(&state));
    let created = state
        .db
        .run(move |c| {
            let r = health::create_resident(c, &actor, &submitted, year)?;
            health::resident_village(c, &r)
        })
        .await;
    match field_errors(created)? {
        Ok(village) => Ok(redirect(&residents_of(village))),
        Err(errors) => invalid(&resident_page(&state, &me, None, None, form, errors).await?),
    }
}

#[get("/admin/health/residents/{id}")]
pub(super) async fn edit_resident(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let (id, actor) = (id.into_inner(), me.actor.clone());
    let (r, village) = state
        .db
        .run(move |c| health::resident_for(c, &actor, id))
        .await?;
    let form = ResidentForm::of(&r);
    let page = resident_page(
        &state,
        &me,
        Some(r),
        Some(village),
        form,
        FieldErrors::new(),
    )
    .await?;
    render(&page)
}

#[post("/admin/health/residents/{id}")]
pub(super) async fn update_resident(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
    form: CsrfForm<ResidentForm>,
) -> AppResult<HttpResponse> {
    let CsrfForm(form) = form;
    let id = id.into_inner();
    let (actor, submitted, year) = (me.actor.clone(), form.clone(), this_year(&state));
    let saved = state
        .db
        .run(move |c| {
            let r = health::update_resident(c, &actor, id, &submitted, year)?;
            health::resident_village(c, &r)
        })
        .await;
    match field_errors(saved)? {
        Ok(village) => Ok(redirect(&residents_of(village))),
        Err(errors) => {
            let actor = me.actor.clone();
            let (r, village) = state
                .db
                .run(move |c| health::resident_for(c, &actor, id))
                .await?;
            let page = resident_page(&state, &me, Some(r), Some(village), form, errors).await?;
            invalid(&page)
        }
    }
}
