//! Stations: the list, opening one (its token shown once), editing its
//! details and rotating its token.

use actix_web::{get, post, web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{render_no_store, VillageQuery, NAV};
use crate::access::Action;
use crate::error::AppResult;
use crate::health::admin::{self as health, NewStationForm, StationForm, StationRow};
use crate::health::Station;
use crate::places::Place;
use crate::validate::FieldErrors;
use crate::web::admin::{field_errors, invalid, layout, Layout};
use crate::web::auth::{CsrfForm, CurrentUser};
use crate::web::{redirect, render};
use crate::AppState;

#[derive(Template)]
#[template(path = "admin/health_stations.html")]
struct StationsPage {
    layout: Layout,
    rows: Vec<StationRow>,
    can_create: bool,
    notice: Option<&'static str>,
}

#[derive(Deserialize)]
struct SavedQuery {
    saved: Option<String>,
}

#[get("/admin/health")]
pub(super) async fn stations(
    state: web::Data<AppState>,
    me: CurrentUser,
    q: web::Query<SavedQuery>,
) -> AppResult<HttpResponse> {
    let layout = layout(&state, &me, "健康小屋", NAV).await?;
    let actor = me.actor.clone();
    let rows = state
        .db
        .run(move |c| health::visible_stations(c, &actor))
        .await?;
    let own = &me.actor.place;
    render(&StationsPage {
        layout,
        rows,
        can_create: me.actor.may(Action::ManagePlaces, own),
        notice: match q.saved.as_deref() {
            Some("station") => Some("健康小屋信息已保存，电视上的健康小屋页面随即更新"),
            _ => None,
        },
    })
}

#[derive(Template)]
#[template(path = "admin/health_station_form.html")]
struct StationFormPage {
    layout: Layout,
    /// `None` when opening a new station.
    station: Option<Station>,
    villages: Vec<Place>,
    village_id: Option<i64>,
    code: String,
    form: StationForm,
    errors: FieldErrors,
}

impl StationFormPage {
    fn action(&self) -> String {
        match &self.station {
            Some(s) => format!("/admin/health/stations/{}", s.id),
            None => "/admin/health/stations".into(),
        }
    }
}

async fn new_station_page(
    state: &AppState,
    me: &CurrentUser,
    form: NewStationForm,
    errors: FieldErrors,
) -> AppResult<StationFormPage> {
    me.actor.require(Action::ManagePlaces, &me.actor.place)?;
    let actor = me.actor.clone();
    let villages = state
        .db
        .run(move |c| health::station_villages(c, &actor))
        .await?;
    Ok(StationFormPage {
        layout: layout(state, me, "新建健康小屋", NAV).await?,
        station: None,
        villages,
        village_id: form.village_id,
        code: form.code,
        form: form.details,
        errors,
    })
}

#[get("/admin/health/stations/new")]
pub(super) async fn new_station(
    state: web::Data<AppState>,
    me: CurrentUser,
    q: web::Query<VillageQuery>,
) -> AppResult<HttpResponse> {
    let form = NewStationForm {
        village_id: q.village,
        ..NewStationForm::default()
    };
    render(&new_station_page(&state, &me, form, FieldErrors::new()).await?)
}

#[derive(Template)]
#[template(path = "admin/health_token.html")]
struct TokenPage {
    layout: Layout,
    station: Station,
    village: String,
    token: String,
    created: bool,
}

async fn token_page(
    state: &AppState,
    me: &CurrentUser,
    station: Station,
    token: String,
    created: bool,
) -> AppResult<HttpResponse> {
    let village_id = station.village_id;
    let village = state
        .db
        .run(move |c| crate::places::get(c, village_id))
        .await?
        .name;
    let title = if created {
        "健康小屋已开通"
    } else {
        "已更换接口令牌"
    };
    render_no_store(&TokenPage {
        layout: layout(state, me, title, NAV).await?,
        station,
        village,
        token,
        created,
    })
}

/// POST /admin/health/stations: opens a station and shows its token, once.
#[post("/admin/health/stations")]
pub(super) async fn create_station(
    state: web::Data<AppState>,
    me: CurrentUser,
    form: CsrfForm<NewStationForm>,
) -> AppResult<HttpResponse> {
    let CsrfForm(form) = form;
    let (actor, submitted) = (me.actor.clone(), form.clone());
    match field_errors(
        state
            .db
            .run(move |c| health::create_station(c, &actor, &submitted))
            .await,
    )? {
        Ok((station, token)) => token_page(&state, &me, station, token, true).await,
        Err(errors) => invalid(&new_station_page(&state, &me, form, errors).await?),
    }
}

async fn edit_station_page(
    state: &AppState,
    me: &CurrentUser,
    station: Station,
    form: StationForm,
    errors: FieldErrors,
) -> AppResult<StationFormPage> {
    Ok(StationFormPage {
        layout: layout(state, me, "编辑健康小屋", NAV).await?,
        villages: Vec::new(),
        village_id: Some(station.village_id),
        code: station.code.clone(),
        station: Some(station),
        form,
        errors,
    })
}

#[get("/admin/health/stations/{id}")]
pub(super) async fn edit_station(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let (id, actor) = (id.into_inner(), me.actor.clone());
    let station = state
        .db
        .run(move |c| health::station_for(c, &actor, id, Action::ManageStation))
        .await?;
    let form = StationForm::of(&station);
    render(&edit_station_page(&state, &me, station, form, FieldErrors::new()).await?)
}

#[post("/admin/health/stations/{id}")]
pub(super) async fn update_station(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
    form: CsrfForm<StationForm>,
) -> AppResult<HttpResponse> {
    let CsrfForm(form) = form;
    let (id, actor, submitted) = (id.into_inner(), me.actor.clone(), form.clone());
    match field_errors(
        state
            .db
            .run(move |c| health::update_station(c, &actor, id, &submitted))
            .await,
    )? {
        Ok(_) => Ok(redirect("/admin/health?saved=station")),
        Err(errors) => {
            let actor = me.actor.clone();
            let station = state
                .db
                .run(move |c| health::station_for(c, &actor, id, Action::ManageStation))
                .await?;
            invalid(&edit_station_page(&state, &me, station, form, errors).await?)
        }
    }
}

#[derive(Deserialize)]
struct Signed {}

/// POST /admin/health/stations/{id}/token: a new token (admins); the old one
/// stops working at once.
#[post("/admin/health/stations/{id}/token")]
pub(super) async fn rotate_token(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
    _form: CsrfForm<Signed>,
) -> AppResult<HttpResponse> {
    let (id, actor) = (id.into_inner(), me.actor.clone());
    let (station, token) = state
        .db
        .run(move |c| health::rotate_token(c, &actor, id))
        .await?;
    token_page(&state, &me, station, token, false).await
}
