//! Branch records in the back office: the party members, meeting records
//! with attendance and quorum, what is due; and the township's table of
//! villages x meeting types.

use actix_web::{get, post, web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{field_errors, invalid, layout, Layout};
use crate::error::{AppError, AppResult};
use crate::places::Place;
use crate::roster::branch::{self, Member, MemberForm};
use crate::roster::meetings::{self, Meeting, MeetingForm};
use crate::roster::rhythm::{self, Due, Rhythm};
use crate::validate::FieldErrors;
use crate::web::auth::{CsrfForm, CurrentUser};
use crate::web::{redirect, render};
use crate::AppState;

fn rhythm_of(state: &AppState) -> Rhythm {
    // Validated at start (`Config::validate`).
    Rhythm::parse(&state.config.meeting_rhythm).unwrap_or_default()
}

fn today(state: &AppState) -> chrono::NaiveDate {
    crate::time::to_local(crate::time::now(), state.offset).date_naive()
}

#[derive(Template)]
#[template(path = "admin/branch.html")]
struct BranchPage {
    layout: Layout,
    villages: Vec<Place>,
    village: Place,
    members: Vec<Member>,
    meetings: Vec<Meeting>,
    due: Vec<(&'static str, Due)>,
    kinds: [(&'static str, &'static str); 6],
    member: MemberForm,
    meeting: MeetingForm,
    failed: &'static str,
    errors: FieldErrors,
    editor_js: String,
    picker: super::PhotoPicker,
}

impl BranchPage {
    fn error(&self, form: &str, field: &str) -> Option<&str> {
        (self.failed == form)
            .then(|| self.errors.get(field))
            .flatten()
    }
    fn kind_label(&self, k: &str) -> &'static str {
        rhythm::kind_label(k)
    }
}

struct Forms {
    member: MemberForm,
    meeting: MeetingForm,
    failed: &'static str,
    errors: FieldErrors,
}

impl Forms {
    fn blank() -> Forms {
        Forms {
            member: MemberForm {
                status: "formal".into(),
                voting: Some("on".into()),
                ..MemberForm::default()
            },
            meeting: MeetingForm {
                kind: "congress".into(),
                ..MeetingForm::default()
            },
            failed: "",
            errors: FieldErrors::new(),
        }
    }
}

async fn branch_page(
    state: &AppState,
    me: &CurrentUser,
    village_id: Option<i64>,
    forms: Forms,
) -> AppResult<BranchPage> {
    let actor = me.actor.clone();
    let (rhythm, today) = (rhythm_of(state), today(state));
    let chosen = forms.meeting.photos.clone();
    let (villages, village, members, meetings, due, picker) = state
        .db
        .run(move |c| {
            let villages = super::roster::keepable_villages(c, &actor)?;
            let village = match village_id {
                Some(id) => villages
                    .iter()
                    .find(|v| v.id == id)
                    .cloned()
                    .ok_or_else(AppError::forbidden)?,
                None => villages.first().cloned().ok_or_else(AppError::forbidden)?,
            };
            let members = branch::of_village(c, village.id)?;
            let meetings = meetings::of_village(c, village.id, 30)?;
            let due = meetings::due_of_village(c, village.id, &rhythm, today)?;
            let picker = super::PhotoPicker::load(c, village.id, &chosen, true)?;
            Ok((villages, village, members, meetings, due, picker))
        })
        .await?;
    Ok(BranchPage {
        layout: layout(state, me, "三会一课", "/admin/branch").await?,
        villages,
        village,
        members,
        meetings,
        due,
        kinds: rhythm::KINDS,
        member: forms.member,
        meeting: forms.meeting,
        failed: forms.failed,
        errors: forms.errors,
        editor_js: crate::web::assets::url("editor.js"),
        picker,
    })
}

#[derive(Deserialize)]
struct VillageQuery {
    village: Option<i64>,
}

#[get("/admin/branch")]
async fn index(
    state: web::Data<AppState>,
    me: CurrentUser,
    q: web::Query<VillageQuery>,
) -> AppResult<HttpResponse> {
    render(&branch_page(&state, &me, q.village, Forms::blank()).await?)
}

#[post("/admin/branch/{village}/members")]
async fn add_member(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<i64>,
    form: CsrfForm<MemberForm>,
) -> AppResult<HttpResponse> {
    let (village_id, CsrfForm(form)) = (path.into_inner(), form);
    let (actor, submitted) = (me.actor.clone(), form.clone());
    match field_errors(
        state
            .db
            .run(move |c| branch::add(c, &actor, village_id, &submitted))
            .await,
    )? {
        Ok(_) => Ok(redirect(&format!("/admin/branch?village={village_id}"))),
        Err(errors) => {
            let forms = Forms {
                member: form,
                failed: "member",
                errors,
                ..Forms::blank()
            };
            invalid(&branch_page(&state, &me, Some(village_id), forms).await?)
        }
    }
}

/// A meeting form as posted or, when the whole form is over the request
/// size limit (10 MB of minutes pasted in), the reason beside the minutes
/// field: nothing is read, nothing stored.
pub(super) fn posted_meeting(
    form: Result<CsrfForm<Vec<(String, String)>>, AppError>,
) -> AppResult<Result<MeetingForm, FieldErrors>> {
    match form {
        Ok(CsrfForm(pairs)) => Ok(Ok(MeetingForm::from_pairs(&pairs))),
        Err(AppError::PayloadTooLarge) => {
            let mut errors = FieldErrors::new();
            errors.add(
                "minutes",
                format!(
                    "会议记录太长，整张表单超过了上传上限，没有保存。会议记录最多 {} 字，请精简或分次整理后再保存",
                    meetings::MAX_MINUTES
                ),
            );
            Ok(Err(errors))
        }
        Err(e) => Err(e),
    }
}

#[post("/admin/branch/{village}/meetings")]
async fn record_meeting(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<i64>,
    form: Result<CsrfForm<Vec<(String, String)>>, AppError>,
) -> AppResult<HttpResponse> {
    let village_id = path.into_inner();
    let form = match posted_meeting(form)? {
        Ok(form) => form,
        Err(errors) => {
            let forms = Forms {
                failed: "meeting",
                errors,
                ..Forms::blank()
            };
            return invalid(&branch_page(&state, &me, Some(village_id), forms).await?);
        }
    };
    let (actor, submitted, offset) = (me.actor.clone(), form.clone(), state.offset);
    let result = state
        .db
        .run(move |c| {
            meetings::record(
                c,
                &actor,
                village_id,
                &submitted,
                crate::time::now(),
                offset,
            )
        })
        .await;
    match field_errors(result)? {
        Ok(_) => Ok(redirect(&format!("/admin/branch?village={village_id}"))),
        Err(errors) => {
            let forms = Forms {
                meeting: form,
                failed: "meeting",
                errors,
                ..Forms::blank()
            };
            invalid(&branch_page(&state, &me, Some(village_id), forms).await?)
        }
    }
}

#[derive(Template)]
#[template(path = "admin/branch_due.html")]
struct DuePage {
    layout: Layout,
    kinds: Vec<&'static str>,
    rows: Vec<meetings::DueRow>,
}

/// The township's table: villages x meeting types, done / due / due soon / overdue.
#[get("/admin/branch/due")]
async fn due_table(state: web::Data<AppState>, me: CurrentUser) -> AppResult<HttpResponse> {
    let actor = me.actor.clone();
    let (rhythm, today) = (rhythm_of(&state), today(&state));
    let kinds = rhythm
        .0
        .iter()
        .map(|(k, _)| rhythm::kind_label(k))
        .collect();
    let rows = state
        .db
        .run(move |c| {
            if !super::roster::may_supervise(&actor) {
                return Err(AppError::forbidden());
            }
            meetings::due_table(c, &actor, &rhythm, today)
        })
        .await?;
    render(&DuePage {
        layout: layout(&state, &me, "三会一课督查", "/admin/branch/due").await?,
        kinds,
        rows,
    })
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(due_table)
        .service(index)
        .service(add_member)
        .service(record_meeting);
}
