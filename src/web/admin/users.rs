//! Users: create, edit role/place/disabled, reset password (admins only).

use actix_web::{get, post, web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{field_errors, invalid, layout, Layout};
use crate::access::{Action, Role};
use crate::error::AppResult;
use crate::places::{self, Place};
use crate::users::{self, EditUserForm, NewUserForm, User};
use crate::validate::FieldErrors;
use crate::web::auth::{CsrfForm, CurrentUser};
use crate::web::{redirect, render};
use crate::AppState;

fn require_admin(me: &CurrentUser) -> AppResult<()> {
    me.actor.require(Action::ManageUsers, &me.actor.place)
}

/// Every place, county first, for the place drop-down.
async fn all_places(state: &AppState) -> AppResult<Vec<Place>> {
    state
        .db
        .run(|c| {
            let mut out = Vec::new();
            for kind in [
                crate::access::PlaceKind::County,
                crate::access::PlaceKind::Township,
                crate::access::PlaceKind::Village,
            ] {
                out.extend(places::of_kind(c, kind)?);
            }
            Ok(out)
        })
        .await
}

pub struct RoleOption {
    pub value: &'static str,
    pub label: &'static str,
}

fn role_options() -> Vec<RoleOption> {
    Role::ALL
        .iter()
        .map(|r| RoleOption {
            value: r.as_str(),
            label: r.label(),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "admin/users.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<(User, Place)>,
}

impl ListPage {
    fn role_label(&self, role: &str) -> &'static str {
        Role::parse(role).map_or("?", Role::label)
    }
}

#[get("/admin/users")]
async fn list(state: web::Data<AppState>, me: CurrentUser) -> AppResult<HttpResponse> {
    require_admin(&me)?;
    let layout = layout(&state, &me, "用户管理", "/admin/users").await?;
    let rows = state.db.run(users::list).await?;
    render(&ListPage { layout, rows })
}

#[derive(Template)]
#[template(path = "admin/user_new.html")]
struct NewPage {
    layout: Layout,
    form: NewUserForm,
    places: Vec<Place>,
    roles: Vec<RoleOption>,
    errors: FieldErrors,
}

#[get("/admin/users/new")]
async fn new_form(state: web::Data<AppState>, me: CurrentUser) -> AppResult<HttpResponse> {
    require_admin(&me)?;
    render(&NewPage {
        layout: layout(&state, &me, "新建用户", "/admin/users").await?,
        form: NewUserForm::default(),
        places: all_places(&state).await?,
        roles: role_options(),
        errors: FieldErrors::new(),
    })
}

#[post("/admin/users")]
async fn create(
    state: web::Data<AppState>,
    me: CurrentUser,
    form: CsrfForm<NewUserForm>,
) -> AppResult<HttpResponse> {
    require_admin(&me)?;
    let CsrfForm(form) = form;
    let (actor, submitted) = (me.actor.clone(), form.clone());
    match field_errors(
        state
            .db
            .run(move |c| users::create(c, &actor, &submitted))
            .await,
    )? {
        Ok(_) => Ok(redirect("/admin/users")),
        Err(errors) => invalid(&NewPage {
            layout: layout(&state, &me, "新建用户", "/admin/users").await?,
            form: NewUserForm {
                password: String::new(),
                username: form.username.chars().take(64).collect(),
                ..form
            },
            places: all_places(&state).await?,
            roles: role_options(),
            errors,
        }),
    }
}

#[derive(Template)]
#[template(path = "admin/user_edit.html")]
struct EditPage {
    layout: Layout,
    user: User,
    form: EditUserForm,
    places: Vec<Place>,
    roles: Vec<RoleOption>,
    errors: FieldErrors,
    password_errors: FieldErrors,
    notice: Option<&'static str>,
}

async fn edit_page(
    state: &AppState,
    me: &CurrentUser,
    id: i64,
    form: Option<EditUserForm>,
    errors: FieldErrors,
    password_errors: FieldErrors,
    notice: Option<&'static str>,
) -> AppResult<EditPage> {
    let user = state.db.run(move |c| users::get(c, id)).await?;
    let form = form.unwrap_or_else(|| EditUserForm {
        display_name: user.display_name.clone(),
        role: user.role.clone(),
        place_id: Some(user.place_id),
        disabled: user.disabled.then(|| "on".into()),
    });
    Ok(EditPage {
        layout: layout(state, me, "编辑用户", "/admin/users").await?,
        user,
        form,
        places: all_places(state).await?,
        roles: role_options(),
        errors,
        password_errors,
        notice,
    })
}

#[derive(Deserialize)]
struct Notice {
    saved: Option<String>,
}

#[get("/admin/users/{id}")]
async fn edit_form(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
    q: web::Query<Notice>,
) -> AppResult<HttpResponse> {
    require_admin(&me)?;
    let notice = match q.saved.as_deref() {
        Some("password") => Some("密码已重置，该用户需用新密码重新登录"),
        Some(_) => Some("已保存"),
        None => None,
    };
    render(
        &edit_page(
            &state,
            &me,
            id.into_inner(),
            None,
            FieldErrors::new(),
            FieldErrors::new(),
            notice,
        )
        .await?,
    )
}

#[post("/admin/users/{id}")]
async fn update(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
    form: CsrfForm<EditUserForm>,
) -> AppResult<HttpResponse> {
    require_admin(&me)?;
    let id = id.into_inner();
    let CsrfForm(form) = form;
    let (actor, submitted) = (me.actor.clone(), form.clone());
    match field_errors(
        state
            .db
            .run(move |c| users::update(c, &actor, id, &submitted))
            .await,
    )? {
        Ok(_) => Ok(redirect(&format!("/admin/users/{id}?saved=1"))),
        Err(errors) => invalid(
            &edit_page(
                &state,
                &me,
                id,
                Some(form),
                errors,
                FieldErrors::new(),
                None,
            )
            .await?,
        ),
    }
}

#[derive(Deserialize)]
struct PasswordForm {
    #[serde(default)]
    password: String,
}

#[post("/admin/users/{id}/password")]
async fn reset_password(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
    form: CsrfForm<PasswordForm>,
) -> AppResult<HttpResponse> {
    require_admin(&me)?;
    let id = id.into_inner();
    let CsrfForm(form) = form;
    let actor = me.actor.clone();
    match field_errors(
        state
            .db
            .run(move |c| users::reset_password(c, &actor, id, &form.password))
            .await,
    )? {
        Ok(()) => Ok(redirect(&format!("/admin/users/{id}?saved=password"))),
        Err(errors) => {
            invalid(&edit_page(&state, &me, id, None, FieldErrors::new(), errors, None).await?)
        }
    }
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list)
        .service(new_form)
        .service(create)
        .service(edit_form)
        .service(update)
        .service(reset_password);
}
