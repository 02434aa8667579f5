//! Townships and villages.

use actix_web::{get, post, web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{field_errors, invalid, layout, Layout};
use crate::access::{Action, PlaceKind};
use crate::error::{AppError, AppResult};
use crate::places::{self, Place, PlaceForm};
use crate::validate::FieldErrors;
use crate::web::auth::{CsrfForm, CurrentUser};
use crate::web::{redirect, render};
use crate::AppState;

#[derive(Template)]
#[template(path = "admin/places.html")]
struct ListPage {
    layout: Layout,
    tree: Vec<(Place, Vec<Place>)>,
}

#[get("/admin/places")]
async fn list(state: web::Data<AppState>, me: CurrentUser) -> AppResult<HttpResponse> {
    me.actor.require(Action::ManagePlaces, &me.actor.place)?;
    let layout = layout(&state, &me, "地点管理", "/admin/places").await?;
    let actor = me.actor.clone();
    let tree = state
        .db
        .run(move |c| places::visible_villages(c, &actor))
        .await?;
    render(&ListPage { layout, tree })
}

#[derive(Template)]
#[template(path = "admin/place_form.html")]
struct FormPage {
    layout: Layout,
    /// `None` when creating.
    place: Option<Place>,
    kind: PlaceKind,
    form: PlaceForm,
    parents: Vec<Place>,
    errors: FieldErrors,
}

impl FormPage {
    fn action(&self) -> String {
        match &self.place {
            Some(p) => format!("/admin/places/{}", p.id),
            None => format!("/admin/places?kind={}", self.kind.as_str()),
        }
    }
}

#[derive(Deserialize)]
struct KindQuery {
    kind: Option<String>,
}

fn kind_of(q: &KindQuery) -> AppResult<PlaceKind> {
    match q.kind.as_deref().and_then(PlaceKind::parse) {
        Some(k @ (PlaceKind::Township | PlaceKind::Village)) => Ok(k),
        _ => Err(AppError::BadRequest(
            "请指明新建乡镇（township）还是村（village）".into(),
        )),
    }
}

async fn parents(state: &AppState, kind: PlaceKind) -> AppResult<Vec<Place>> {
    match kind.parent_kind() {
        Some(pk) => state.db.run(move |c| places::of_kind(c, pk)).await,
        None => Ok(Vec::new()),
    }
}

#[get("/admin/places/new")]
async fn new_form(
    state: web::Data<AppState>,
    me: CurrentUser,
    q: web::Query<KindQuery>,
) -> AppResult<HttpResponse> {
    me.actor.require(Action::ManagePlaces, &me.actor.place)?;
    let kind = kind_of(&q)?;
    render(&FormPage {
        layout: layout(
            &state,
            &me,
            &format!("新建{}", kind.label()),
            "/admin/places",
        )
        .await?,
        place: None,
        kind,
        form: PlaceForm::default(),
        parents: parents(&state, kind).await?,
        errors: FieldErrors::new(),
    })
}

#[post("/admin/places")]
async fn create(
    state: web::Data<AppState>,
    me: CurrentUser,
    q: web::Query<KindQuery>,
    form: CsrfForm<PlaceForm>,
) -> AppResult<HttpResponse> {
    let kind = kind_of(&q)?;
    let CsrfForm(form) = form;
    let (actor, submitted) = (me.actor.clone(), form.clone());
    match field_errors(
        state
            .db
            .run(move |c| places::create(c, &actor, kind, &submitted))
            .await,
    )? {
        Ok(_) => Ok(redirect("/admin/places")),
        Err(errors) => invalid(&FormPage {
            layout: layout(
                &state,
                &me,
                &format!("新建{}", kind.label()),
                "/admin/places",
            )
            .await?,
            place: None,
            kind,
            form,
            parents: parents(&state, kind).await?,
            errors,
        }),
    }
}

#[get("/admin/places/{id}")]
async fn edit_form(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let actor = me.actor.clone();
    let place = state
        .db
        .run(move |c| {
            let p = places::get(c, id)?;
            actor.require(Action::ManagePlaces, &places::scope(c, &p)?)?;
            Ok(p)
        })
        .await?;
    let kind = place.kind();
    render(&FormPage {
        layout: layout(
            &state,
            &me,
            &format!("编辑{}", kind.label()),
            "/admin/places",
        )
        .await?,
        form: PlaceForm {
            code: place.code.clone(),
            name: place.name.clone(),
            parent_id: place.parent_id,
        },
        place: Some(place),
        kind,
        parents: parents(&state, kind).await?,
        errors: FieldErrors::new(),
    })
}

#[post("/admin/places/{id}")]
async fn update(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
    form: CsrfForm<PlaceForm>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let CsrfForm(form) = form;
    let (actor, submitted) = (me.actor.clone(), form.clone());
    match field_errors(
        state
            .db
            .run(move |c| places::update(c, &actor, id, &submitted))
            .await,
    )? {
        Ok(_) => Ok(redirect("/admin/places")),
        Err(errors) => {
            let place = state.db.run(move |c| places::get(c, id)).await?;
            let kind = place.kind();
            invalid(&FormPage {
                layout: layout(
                    &state,
                    &me,
                    &format!("编辑{}", kind.label()),
                    "/admin/places",
                )
                .await?,
                form: PlaceForm {
                    code: place.code.clone(),
                    ..form
                },
                place: Some(place),
                kind,
                parents: parents(&state, kind).await?,
                errors,
            })
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
