//! Cameras in the back office: the list and the camera wall (everyone who
//! may see the villages; clerks read only), the form with privacy areas
//! drawn on the latest picture, a test grab, the status history, and the
//! camera systems' tokens (admins). Stored addresses are never shown back.

use actix_web::http::header;
use actix_web::{get, post, web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{field_errors, invalid, layout, Layout};
use crate::access::{Action, PlaceKind, Role};
use crate::cameras::registry::{self, CameraForm};
use crate::cameras::{self, privacy, systems, Camera, Size, Status};
use crate::error::{AppError, AppResult};
use crate::places::{self, Place};
use crate::validate::FieldErrors;
use crate::web::auth::{CsrfForm, CurrentUser};
use crate::web::{redirect, render};
use crate::AppState;

/// Who sees camera pictures in the back office: everyone with villages to
/// look after (clerks read only), but not auditors: pictures of people are
/// no part of an audit.
pub fn may_view(actor: &crate::access::Actor) -> bool {
    actor.role != Role::Auditor && actor.may(Action::ViewPlace, &actor.place)
}

fn require_view(me: &CurrentUser) -> AppResult<()> {
    if may_view(&me.actor) {
        Ok(())
    } else {
        Err(AppError::forbidden())
    }
}

/// A camera with what its row shows.
struct Row {
    camera: Camera,
    village: String,
    status: String,
    since: String,
    picture: Option<String>,
    age: String,
    editable: bool,
}

impl Row {
    fn offline(&self) -> bool {
        self.camera.status() == Status::Offline
    }
}

#[derive(Template)]
#[template(path = "admin/cameras.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<Row>,
    may_add: bool,
    is_admin: bool,
    ffmpeg_missing: bool,
    notice: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "admin/camera_wall.html")]
struct WallPage {
    layout: Layout,
    rows: Vec<Row>,
    online: usize,
}

#[derive(Deserialize)]
struct Saved {
    saved: Option<String>,
}

/// The villages the user may see, and the cameras in them.
async fn rows(state: &AppState, me: &CurrentUser) -> AppResult<Vec<Row>> {
    let actor = me.actor.clone();
    let (villages, list, scopes) = state
        .db
        .run(move |c| {
            let villages: Vec<Place> = places::visible_villages(c, &actor)?
                .into_iter()
                .flat_map(|(_, v)| v)
                .collect();
            let ids: Vec<i64> = villages.iter().map(|v| v.id).collect();
            let list = cameras::of_villages(c, &ids)?;
            let mut scopes = Vec::new();
            for v in &villages {
                scopes.push((
                    v.id,
                    actor.may(Action::ManageCameras, &places::scope(c, v)?),
                ));
            }
            Ok((villages, list, scopes))
        })
        .await?;
    let now = crate::time::now();
    Ok(list
        .into_iter()
        .map(|c| Row {
            village: villages
                .iter()
                .find(|v| v.id == c.village_id)
                .map(|v| v.name.clone())
                .unwrap_or_default(),
            status: if c.status_reason.is_empty() {
                c.status().label().to_string()
            } else {
                format!("{}：{}", c.status().label(), c.status_reason)
            },
            since: crate::time::format_local(c.status_since, state.offset),
            picture: c.snapshot_at.map(|t| {
                format!(
                    "/admin/cameras/{}/picture.jpg?v={}",
                    c.id,
                    t.and_utc().timestamp()
                )
            }),
            age: c
                .snapshot_at
                .map(|t| cameras::age_in_words(t, now))
                .unwrap_or_else(|| "暂无画面".into()),
            editable: scopes.iter().any(|(id, may)| *id == c.village_id && *may),
            camera: c,
        })
        .collect())
}

#[get("/admin/cameras")]
async fn list_page(
    state: web::Data<AppState>,
    me: CurrentUser,
    q: web::Query<Saved>,
) -> AppResult<HttpResponse> {
    require_view(&me)?;
    let layout = layout(&state, &me, "雪亮监控", "/admin/cameras").await?;
    let rows = rows(&state, &me).await?;
    let notice = match q.saved.as_deref() {
        Some("create") => Some("摄像头已添加，几秒钟后会抓取第一张画面"),
        Some("update") => Some("已保存"),
        Some("delete") => Some("摄像头已删除"),
        _ => None,
    };
    render(&ListPage {
        layout,
        rows,
        may_add: me.actor.may(Action::ManageCameras, &me.actor.place),
        is_admin: me.actor.role == Role::Admin,
        ffmpeg_missing: state.cameras.grabber.ffmpeg.is_none(),
        notice,
    })
}

/// All cameras the user may see, as pictures, refreshing by itself.
#[get("/admin/cameras/wall")]
async fn wall(state: web::Data<AppState>, me: CurrentUser) -> AppResult<HttpResponse> {
    require_view(&me)?;
    let layout = layout(&state, &me, "监控画面墙", "/admin/cameras/wall").await?;
    let rows = rows(&state, &me).await?;
    let online = rows
        .iter()
        .filter(|r| r.camera.status() == Status::Online)
        .count();
    render(&WallPage {
        layout,
        rows,
        online,
    })
}

/// The latest picture of any camera the user may see (officials-only ones too).
#[get("/admin/cameras/{id}/picture.jpg")]
async fn picture(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    require_view(&me)?;
    let (id, actor) = (id.into_inner(), me.actor.clone());
    let stored = state
        .db
        .run(move |c| {
            let camera = cameras::get(c, id)?;
            actor.require(Action::ViewPlace, &places::scope_of(c, camera.village_id)?)?;
            cameras::snapshot(c, id, Size::Large)
        })
        .await?;
    let (_, bytes) = stored.ok_or_else(|| AppError::not_found("这个画面"))?;
    Ok(HttpResponse::Ok()
        .content_type("image/jpeg")
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(bytes))
}

// ---------------------------------------------------------------- the form

#[derive(Template)]
#[template(path = "admin/camera_form.html")]
struct FormPage {
    layout: Layout,
    camera: Option<Camera>,
    form: CameraForm,
    errors: FieldErrors,
    villages: Vec<Place>,
    picture: Option<String>,
    areas: Vec<privacy::Area>,
    events: Vec<(String, &'static str, String)>,
    test: Option<(bool, String)>,
    ffmpeg_missing: bool,
}

impl FormPage {
    fn action(&self) -> String {
        match &self.camera {
            Some(c) => format!("/admin/cameras/{}", c.id),
            None => "/admin/cameras".into(),
        }
    }

    fn has(&self, kind: &str) -> bool {
        self.camera.as_ref().is_some_and(|c| c.has_kind(kind))
    }
}

async fn form_page(
    state: &AppState,
    me: &CurrentUser,
    camera: Option<Camera>,
    form: CameraForm,
    errors: FieldErrors,
    test: Option<(bool, String)>,
) -> AppResult<FormPage> {
    let title = if camera.is_some() {
        "修改摄像头"
    } else {
        "添加摄像头"
    };
    let layout = layout(state, me, title, "/admin/cameras").await?;
    let actor = me.actor.clone();
    let camera_id = camera.as_ref().map(|c| c.id);
    let (villages, events) = state
        .db
        .run(move |c| {
            let villages =
                places::where_may(c, &actor, &[PlaceKind::Village], &[Action::ManageCameras])?;
            let events = match camera_id {
                Some(id) => cameras::events(c, id, 20)?,
                None => Vec::new(),
            };
            Ok((villages, events))
        })
        .await?;
    let offset = state.offset;
    Ok(FormPage {
        layout,
        picture: camera.as_ref().and_then(|c| {
            c.snapshot_at.map(|t| {
                format!(
                    "/admin/cameras/{}/picture.jpg?v={}",
                    c.id,
                    t.and_utc().timestamp()
                )
            })
        }),
        areas: privacy::parse_form(&form.privacy).unwrap_or_default(),
        events: events
            .into_iter()
            .map(|e| {
                (
                    crate::time::format_local(e.at, offset),
                    Status::parse(&e.status).label(),
                    e.reason,
                )
            })
            .collect(),
        camera,
        form: form.without_secrets(),
        errors,
        villages,
        test,
        ffmpeg_missing: state.cameras.grabber.ffmpeg.is_none(),
    })
}

#[get("/admin/cameras/new")]
async fn new_form(state: web::Data<AppState>, me: CurrentUser) -> AppResult<HttpResponse> {
    me.actor.require(Action::ManageCameras, &me.actor.place)?;
    let form = CameraForm {
        visibility: "public".into(),
        ..CameraForm::default()
    };
    render(&form_page(&state, &me, None, form, FieldErrors::new(), None).await?)
}

#[post("/admin/cameras")]
async fn create(
    state: web::Data<AppState>,
    me: CurrentUser,
    form: CsrfForm<CameraForm>,
) -> AppResult<HttpResponse> {
    let CsrfForm(form) = form;
    let (actor, keys, submitted) = (me.actor.clone(), state.keys.clone(), form.clone());
    match field_errors(
        state
            .db
            .run(move |c| registry::create(c, &actor, &keys, &submitted))
            .await,
    )? {
        Ok(_) => Ok(redirect("/admin/cameras?saved=create")),
        Err(errors) => invalid(&form_page(&state, &me, None, form, errors, None).await?),
    }
}

#[get("/admin/cameras/{id}")]
async fn edit_form(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let (id, actor) = (id.into_inner(), me.actor.clone());
    let camera = state
        .db
        .run(move |c| registry::managed(c, &actor, id))
        .await?;
    let form = CameraForm::of(&camera);
    render(&form_page(&state, &me, Some(camera), form, FieldErrors::new(), None).await?)
}

#[post("/admin/cameras/{id}")]
async fn update(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
    form: CsrfForm<CameraForm>,
) -> AppResult<HttpResponse> {
    let CsrfForm(form) = form;
    let id = id.into_inner();
    let (actor, keys, submitted) = (me.actor.clone(), state.keys.clone(), form.clone());
    match field_errors(
        state
            .db
            .run(move |c| registry::update(c, &actor, &keys, id, &submitted))
            .await,
    )? {
        Ok(_) => Ok(redirect("/admin/cameras?saved=update")),
        Err(errors) => {
            let actor = me.actor.clone();
            let camera = state
                .db
                .run(move |c| registry::managed(c, &actor, id))
                .await?;
            invalid(&form_page(&state, &me, Some(camera), form, errors, None).await?)
        }
    }
}

#[derive(Deserialize)]
struct Signed {}

#[post("/admin/cameras/{id}/delete")]
async fn delete(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
    _form: CsrfForm<Signed>,
) -> AppResult<HttpResponse> {
    let (id, actor) = (id.into_inner(), me.actor.clone());
    state
        .db
        .run(move |c| registry::delete(c, &actor, id))
        .await?;
    Ok(redirect("/admin/cameras?saved=delete"))
}

/// 测试抓图: grabs a picture now and shows the outcome on the form.
#[post("/admin/cameras/{id}/test")]
async fn test_grab(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
    _form: CsrfForm<Signed>,
) -> AppResult<HttpResponse> {
    let (id, actor) = (id.into_inner(), me.actor.clone());
    let grabber = state.cameras.grabber.clone();
    let outcome = state
        .db
        .run(move |c| {
            registry::managed(c, &actor, id)?;
            grabber.grab_and_record(c, id)
        })
        .await?;
    let test = match outcome {
        Ok(()) => (true, "抓图成功，下面是刚拍到的画面。".to_string()),
        Err(f) => (false, format!("抓图失败：{}", f.reason())),
    };
    let actor = me.actor.clone();
    let camera = state
        .db
        .run(move |c| registry::managed(c, &actor, id))
        .await?;
    let form = CameraForm::of(&camera);
    render(
        &form_page(
            &state,
            &me,
            Some(camera),
            form,
            FieldErrors::new(),
            Some(test),
        )
        .await?,
    )
}

// ---------------------------------------------------------------- camera systems

#[derive(Template)]
#[template(path = "admin/camera_systems.html")]
struct SystemsPage {
    layout: Layout,
    systems: Vec<(systems::System, String)>,
    places: Vec<Place>,
    token: Option<(String, String)>,
    errors: FieldErrors,
    name: String,
}

#[derive(Deserialize)]
struct SystemForm {
    #[serde(default)]
    name: String,
    #[serde(default, deserialize_with = "crate::validate::optional_id")]
    place_id: Option<i64>,
}

async fn systems_page(
    state: &AppState,
    me: &CurrentUser,
    token: Option<(String, String)>,
    errors: FieldErrors,
    name: String,
) -> AppResult<SystemsPage> {
    if me.actor.role != Role::Admin {
        return Err(AppError::forbidden());
    }
    let layout = layout(state, me, "摄像头系统", "/admin/cameras").await?;
    let (systems, places) = state
        .db
        .run(|c| {
            let mut places = places::of_kind(c, crate::access::PlaceKind::County)?;
            places.extend(places::of_kind(c, crate::access::PlaceKind::Township)?);
            let mut out = Vec::new();
            for s in systems::list(c)? {
                let name = places
                    .iter()
                    .find(|p| p.id == s.place_id)
                    .map(|p| p.name.clone())
                    .unwrap_or_default();
                out.push((s, name));
            }
            Ok((out, places))
        })
        .await?;
    Ok(SystemsPage {
        layout,
        systems,
        places,
        token,
        errors,
        name,
    })
}

#[get("/admin/camera-systems")]
async fn systems_list(state: web::Data<AppState>, me: CurrentUser) -> AppResult<HttpResponse> {
    render(&systems_page(&state, &me, None, FieldErrors::new(), String::new()).await?)
}

#[post("/admin/camera-systems")]
async fn systems_create(
    state: web::Data<AppState>,
    me: CurrentUser,
    form: CsrfForm<SystemForm>,
) -> AppResult<HttpResponse> {
    let CsrfForm(form) = form;
    let actor = me.actor.clone();
    let (name, place_id) = (form.name.clone(), form.place_id);
    match field_errors(
        state
            .db
            .run(move |c| systems::create(c, &actor, place_id, &name, None))
            .await,
    )? {
        Ok((system, token)) => render(
            &systems_page(
                &state,
                &me,
                Some((system.name, token)),
                FieldErrors::new(),
                String::new(),
            )
            .await?,
        ),
        Err(errors) => invalid(&systems_page(&state, &me, None, errors, form.name).await?),
    }
}

#[post("/admin/camera-systems/{id}/token")]
async fn systems_rotate(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
    _form: CsrfForm<Signed>,
) -> AppResult<HttpResponse> {
    let (id, actor) = (id.into_inner(), me.actor.clone());
    let (system, token) = state
        .db
        .run(move |c| systems::rotate(c, &actor, id))
        .await?;
    render(
        &systems_page(
            &state,
            &me,
            Some((system.name, token)),
            FieldErrors::new(),
            String::new(),
        )
        .await?,
    )
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    // Fixed addresses before `{id}`.
    cfg.service(list_page)
        .service(wall)
        .service(new_form)
        .service(create)
        .service(systems_list)
        .service(systems_create)
        .service(systems_rotate)
        .service(picture)
        .service(edit_form)
        .service(update)
        .service(delete)
        .service(test_grab);
}
