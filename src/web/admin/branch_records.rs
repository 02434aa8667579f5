//! One branch record at a time: a meeting's page (where the township
//! official confirms it for the TV), editing and deleting meeting records,
//! editing party members and taking them off the roster.

use actix_web::{get, post, web, HttpResponse};
use askama::Template;

use super::{field_errors, invalid, layout, Layout};
use crate::access::Action;
use crate::error::AppResult;
use crate::places::{self, Place};
use crate::roster::branch::{self, Member, MemberForm};
use crate::roster::meetings::{self, MeetingForm};
use crate::roster::rhythm;
use crate::validate::FieldErrors;
use crate::web::auth::{CsrfForm, CurrentUser};
use crate::web::{redirect, render};
use crate::AppState;

fn to_branch(village_id: i64) -> HttpResponse {
    redirect(&format!("/admin/branch?village={village_id}"))
}

// ------------------------------------------------------------ a meeting's page

#[derive(Template)]
#[template(path = "admin/meeting.html")]
struct MeetingPage {
    layout: Layout,
    record: meetings::Record,
    confirmed_at: String,
}

/// A meeting record: details, attendance, minutes, photo; the township
/// official confirms it here (the review desk links to this page).
#[get("/admin/branch/meetings/{id}")]
async fn meeting_page(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let (id, actor) = (id.into_inner(), me.actor.clone());
    let record = state
        .db
        .run(move |c| meetings::get_for(c, &actor, id))
        .await?;
    let confirmed_at = record
        .meeting
        .confirmed_at
        .map(|t| crate::time::format_local(t, state.offset))
        .unwrap_or_default();
    render(&MeetingPage {
        layout: layout(&state, &me, "会议记录", "/admin/branch").await?,
        record,
        confirmed_at,
    })
}

#[post("/admin/branch/meetings/{id}/confirm")]
async fn confirm_meeting(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
    _form: CsrfForm<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    let (id, actor) = (id.into_inner(), me.actor.clone());
    state
        .db
        .run(move |c| crate::roster::life::confirm(c, &actor, id, crate::time::now()))
        .await?;
    Ok(redirect(&format!("/admin/branch/meetings/{id}")))
}

// ------------------------------------------------------------ editing a meeting

#[derive(Template)]
#[template(path = "admin/meeting_form.html")]
struct MeetingFormPage {
    layout: Layout,
    id: i64,
    village: Place,
    members: Vec<Member>,
    kinds: [(&'static str, &'static str); 6],
    meeting: MeetingForm,
    errors: FieldErrors,
    editor_js: String,
    picker: super::PhotoPicker,
}

impl MeetingFormPage {
    /// The shared fields ask by form; this page has only the one.
    fn error(&self, _form: &str, field: &str) -> Option<&str> {
        self.errors.get(field)
    }
}

/// The edit form of record `id`: as stored, or as `submitted`, with `errors`.
async fn meeting_form(
    state: &AppState,
    me: &CurrentUser,
    id: i64,
    submitted: Option<MeetingForm>,
    errors: FieldErrors,
) -> AppResult<MeetingFormPage> {
    let actor = me.actor.clone();
    let (editing, meeting, picker) = state
        .db
        .run(move |c| {
            let editing = meetings::editing(c, &actor, id)?;
            let meeting = submitted.unwrap_or_else(|| editing.stored.clone());
            let picker = super::PhotoPicker::load(c, editing.village.id, &meeting.photos, true)?;
            Ok((editing, meeting, picker))
        })
        .await?;
    let meetings::Editing {
        village,
        roster: members,
        ..
    } = editing;
    Ok(MeetingFormPage {
        layout: layout(state, me, "修改会议记录", "/admin/branch").await?,
        id,
        village,
        members,
        kinds: rhythm::KINDS,
        meeting,
        errors,
        editor_js: crate::web::assets::url("editor.js"),
        picker,
    })
}

#[get("/admin/branch/meetings/{id}/edit")]
async fn edit_meeting(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    render(&meeting_form(&state, &me, id.into_inner(), None, FieldErrors::new()).await?)
}

#[post("/admin/branch/meetings/{id}/edit")]
async fn update_meeting(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
    form: Result<CsrfForm<Vec<(String, String)>>, crate::error::AppError>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let form = match super::branch::posted_meeting(form)? {
        Ok(form) => form,
        Err(errors) => return invalid(&meeting_form(&state, &me, id, None, errors).await?),
    };
    let (actor, submitted, offset) = (me.actor.clone(), form.clone(), state.offset);
    let result = state
        .db
        .run(move |c| meetings::update(c, &actor, id, &submitted, crate::time::now(), offset))
        .await;
    match field_errors(result)? {
        Ok(_) => Ok(redirect(&format!("/admin/branch/meetings/{id}"))),
        Err(errors) => invalid(&meeting_form(&state, &me, id, Some(form), errors).await?),
    }
}

#[post("/admin/branch/meetings/{id}/delete")]
async fn delete_meeting(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
    _form: CsrfForm<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    let (id, actor) = (id.into_inner(), me.actor.clone());
    let village_id = state
        .db
        .run(move |c| meetings::delete(c, &actor, id))
        .await?;
    Ok(to_branch(village_id))
}

// ------------------------------------------------------------ editing a member

#[derive(Template)]
#[template(path = "admin/member_form.html")]
struct MemberFormPage {
    layout: Layout,
    id: i64,
    village: Place,
    member: MemberForm,
    errors: FieldErrors,
}

impl MemberFormPage {
    fn error(&self, _form: &str, field: &str) -> Option<&str> {
        self.errors.get(field)
    }
}

async fn member_form(
    state: &AppState,
    me: &CurrentUser,
    id: i64,
    submitted: Option<(MemberForm, FieldErrors)>,
) -> AppResult<MemberFormPage> {
    let actor = me.actor.clone();
    let (village, stored) = state
        .db
        .run(move |c| {
            let m = branch::get(c, id)?;
            actor.require(Action::KeepRoster, &places::scope_of(c, m.village_id)?)?;
            if !m.active {
                return Err(crate::error::AppError::not_found("这位党员"));
            }
            Ok((places::get(c, m.village_id)?, MemberForm::of(&m)))
        })
        .await?;
    let (member, errors) = submitted.unwrap_or((stored, FieldErrors::new()));
    Ok(MemberFormPage {
        layout: layout(state, me, "修改党员信息", "/admin/branch").await?,
        id,
        village,
        member,
        errors,
    })
}

#[get("/admin/branch/members/{id}")]
async fn edit_member(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    render(&member_form(&state, &me, id.into_inner(), None).await?)
}

#[post("/admin/branch/members/{id}")]
async fn update_member(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
    form: CsrfForm<MemberForm>,
) -> AppResult<HttpResponse> {
    let (id, CsrfForm(form)) = (id.into_inner(), form);
    let (actor, submitted) = (me.actor.clone(), form.clone());
    match field_errors(
        state
            .db
            .run(move |c| branch::update(c, &actor, id, &submitted))
            .await,
    )? {
        Ok(m) => Ok(to_branch(m.village_id)),
        Err(errors) => invalid(&member_form(&state, &me, id, Some((form, errors))).await?),
    }
}

#[post("/admin/branch/members/{id}/remove")]
async fn remove_member(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
    _form: CsrfForm<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    let (id, actor) = (id.into_inner(), me.actor.clone());
    let village_id = state.db.run(move |c| branch::remove(c, &actor, id)).await?;
    Ok(to_branch(village_id))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(edit_meeting)
        .service(update_meeting)
        .service(delete_meeting)
        .service(confirm_meeting)
        .service(meeting_page)
        .service(edit_member)
        .service(update_member)
        .service(remove_member);
}
