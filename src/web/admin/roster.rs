//! Office duty in the back office: a village's cadres, office hours, weekly
//! pattern and dated changes; its registered office screens (登记, 撤销);
//! the phone sign-in page; the township's
//! supervision tables (and CSV); the holiday table.

use actix_web::http::header;
use actix_web::{get, post, web, HttpResponse};
use askama::Template;
use chrono::{Duration, NaiveDate};
use serde::Deserialize;

use super::{field_errors, invalid, layout, Layout};
use crate::access::{Action, Actor};
use crate::error::{AppError, AppResult};
use crate::places::{self, Place};
use crate::roster::cadres::{self, Cadre, CadreForm};
use crate::roster::calendar::{self, Holiday, HolidayForm};
use crate::roster::duty::{self, Change, ChangeForm, Shift, ShiftForm, CHANGE_KINDS};
use crate::roster::office::{self, OfficeForm};
use crate::roster::screens::{self, RegisterForm};
use crate::roster::signin::{self, SigninForm};
use crate::roster::supervision::{self, VillageMonth, VillageToday};
use crate::roster::{day_str, hhmm, weekday_label};
use crate::validate::FieldErrors;
use crate::web::auth::{CsrfForm, CurrentUser};
use crate::web::{redirect, render};
use crate::AppState;

#[derive(Deserialize)]
struct Empty {}

/// The villages whose roster this actor keeps.
pub fn keepable_villages(conn: &mut crate::db::DbConn, actor: &Actor) -> AppResult<Vec<Place>> {
    let mut out = Vec::new();
    for (_, villages) in places::visible_villages(conn, actor)? {
        for v in villages {
            if actor.may(Action::KeepRoster, &places::scope(conn, &v)?) {
                out.push(v);
            }
        }
    }
    Ok(out)
}

/// Who may see the roster pages (the nav shows them).
pub fn may_keep(actor: &Actor) -> bool {
    actor.may(Action::KeepRoster, &actor.place)
}

pub fn may_supervise(actor: &Actor) -> bool {
    actor.may(Action::SuperviseRoster, &actor.place)
}

struct DayRow {
    label: String,
    kind: String,
    who: String,
}

#[derive(Template)]
#[template(path = "admin/roster.html")]
struct RosterPage {
    layout: Layout,
    villages: Vec<Place>,
    village: Place,
    cadres: Vec<Cadre>,
    shifts: Vec<Shift>,
    changes: Vec<Change>,
    week: Vec<DayRow>,
    office: OfficeForm,
    shift: ShiftForm,
    change: ChangeForm,
    /// The village's registered office screens.
    screens: Vec<ScreenRow>,
    /// Whether this user registers and revokes them (not the village's clerks).
    may_register: bool,
    /// The registration number typed, shown again beside its message.
    screen_number: String,
    /// Which form failed (`office`, `shift`, `change`, `screen`) and why.
    failed: &'static str,
    errors: FieldErrors,
    kinds: [(&'static str, &'static str); 3],
}

impl RosterPage {
    fn cadre_name(&self, id: &i64) -> String {
        self.cadres
            .iter()
            .find(|c| c.id == *id)
            .map_or_else(|| format!("#{id}"), |c| c.name.clone())
    }
    fn weekday(&self, w: &i32) -> &'static str {
        weekday_label(*w)
    }
    fn time(&self, m: &i32) -> String {
        hhmm(*m)
    }
    fn kind_label(&self, k: &str) -> &'static str {
        duty::change_label(k)
    }
    fn error(&self, form: &str, field: &str) -> Option<&str> {
        (self.failed == form)
            .then(|| self.errors.get(field))
            .flatten()
    }
    fn is_selected(&self, chosen: &Option<i64>, id: &i64) -> bool {
        *chosen == Some(*id)
    }
}

/// A registered office screen, as the duty page lists it.
struct ScreenRow {
    id: i64,
    device: String,
    approved_by: String,
    approved_at: String,
    last_seen: String,
}

struct Forms {
    office: Option<OfficeForm>,
    screen_number: String,
    shift: ShiftForm,
    change: ChangeForm,
    failed: &'static str,
    errors: FieldErrors,
}

impl Forms {
    fn blank() -> Forms {
        Forms {
            office: None,
            screen_number: String::new(),
            shift: ShiftForm {
                weekday: "1".into(),
                starts: "08:30".into(),
                ends: "18:00".into(),
                ..ShiftForm::default()
            },
            change: ChangeForm {
                kind: "leave".into(),
                ..ChangeForm::default()
            },
            failed: "",
            errors: FieldErrors::new(),
        }
    }
}

async fn roster_page(
    state: &AppState,
    me: &CurrentUser,
    village_id: Option<i64>,
    forms: Forms,
) -> AppResult<RosterPage> {
    let actor = me.actor.clone();
    let offset = state.offset;
    let (villages, village, cadres, shifts, changes, week, office) = state
        .db
        .run(move |c| {
            let villages = keepable_villages(c, &actor)?;
            let village = match village_id {
                Some(id) => villages
                    .iter()
                    .find(|v| v.id == id)
                    .cloned()
                    .ok_or_else(AppError::forbidden)?,
                None => villages.first().cloned().ok_or_else(AppError::forbidden)?,
            };
            let today = crate::time::to_local(crate::time::now(), offset).date_naive();
            let monday = duty::week_start(today);
            let cadres = cadres::of_village(c, village.id)?;
            let week = duty::days(c, village.id, monday, monday + Duration::days(6))?
                .into_iter()
                .map(|r| DayRow {
                    label: format!(
                        "{} 周{}",
                        day_str(r.day),
                        weekday_label(chrono::Datelike::weekday(&r.day).number_from_monday() as i32)
                    ),
                    kind: r.holiday.clone().unwrap_or_else(|| r.kind.label().into()),
                    who: r
                        .duties
                        .iter()
                        .map(|d| {
                            let name = cadres
                                .iter()
                                .find(|x| x.id == d.cadre_id)
                                .map_or("?", |x| x.name.as_str());
                            match &d.change {
                                Some(k) => {
                                    format!("{name} {}（{}）", d.time_text(), duty::change_label(k))
                                }
                                None => format!("{name} {}", d.time_text()),
                            }
                        })
                        .collect::<Vec<_>>()
                        .join("；"),
                })
                .collect();
            Ok((
                villages,
                village.clone(),
                cadres,
                duty::pattern(c, village.id)?,
                duty::changes_from(c, village.id, today - Duration::days(7))?,
                week,
                office::get(c, village.id)?,
            ))
        })
        .await?;
    let (actor, village_id) = (me.actor.clone(), village.id);
    let (office_screens, may_register) = state
        .db
        .run(move |c| {
            let scope = places::scope_of(c, village_id)?;
            Ok((
                screens::of_village(c, village_id)?,
                actor.may(Action::RegisterOfficeScreens, &scope),
            ))
        })
        .await?;
    Ok(RosterPage {
        layout: layout(state, me, "值班管理", "/admin/roster").await?,
        villages,
        village,
        cadres,
        shifts,
        changes,
        week,
        office: forms.office.unwrap_or_else(|| OfficeForm::of(&office)),
        screens: office_screens
            .into_iter()
            .map(|s| ScreenRow {
                id: s.id,
                device: s.device,
                approved_by: s.approved_by_name,
                approved_at: crate::time::format_local(s.approved_at, offset),
                last_seen: s.last_seen.map_or_else(
                    || "尚未连接（屏幕刷新后自动启用）".into(),
                    |at| crate::time::format_local(at, offset),
                ),
            })
            .collect(),
        may_register,
        screen_number: forms.screen_number,
        shift: forms.shift,
        change: forms.change,
        failed: forms.failed,
        errors: forms.errors,
        kinds: CHANGE_KINDS,
    })
}

#[derive(Deserialize)]
struct VillageQuery {
    village: Option<i64>,
}

#[get("/admin/roster")]
async fn index(
    state: web::Data<AppState>,
    me: CurrentUser,
    q: web::Query<VillageQuery>,
) -> AppResult<HttpResponse> {
    render(&roster_page(&state, &me, q.village, Forms::blank()).await?)
}

fn back_to(village_id: i64) -> HttpResponse {
    redirect(&format!("/admin/roster?village={village_id}"))
}

/// Back to the village's roster when saved, else the roster page again with
/// the failed form and its messages beside the fields.
async fn saved_or_again<T>(
    state: &AppState,
    me: &CurrentUser,
    village_id: i64,
    saved: AppResult<T>,
    again: impl FnOnce(FieldErrors) -> Forms,
) -> AppResult<HttpResponse> {
    match field_errors(saved)? {
        Ok(_) => Ok(back_to(village_id)),
        Err(errors) => invalid(&roster_page(state, me, Some(village_id), again(errors)).await?),
    }
}

#[post("/admin/roster/{village}/office")]
async fn save_office(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<i64>,
    form: CsrfForm<OfficeForm>,
) -> AppResult<HttpResponse> {
    let (village_id, CsrfForm(form)) = (path.into_inner(), form);
    let (actor, submitted) = (me.actor.clone(), form.clone());
    let saved = state
        .db
        .run(move |c| office::save(c, &actor, village_id, &submitted))
        .await;
    saved_or_again(&state, &me, village_id, saved, |errors| Forms {
        office: Some(form),
        failed: "office",
        errors,
        ..Forms::blank()
    })
    .await
}

#[post("/admin/roster/{village}/shifts")]
async fn add_shift(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<i64>,
    form: CsrfForm<ShiftForm>,
) -> AppResult<HttpResponse> {
    let (village_id, CsrfForm(form)) = (path.into_inner(), form);
    let (actor, submitted) = (me.actor.clone(), form.clone());
    let saved = state
        .db
        .run(move |c| duty::add_shift(c, &actor, village_id, &submitted))
        .await;
    saved_or_again(&state, &me, village_id, saved, |errors| Forms {
        shift: form,
        failed: "shift",
        errors,
        ..Forms::blank()
    })
    .await
}

#[post("/admin/roster/{village}/changes")]
async fn add_change(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<i64>,
    form: CsrfForm<ChangeForm>,
) -> AppResult<HttpResponse> {
    let (village_id, CsrfForm(form)) = (path.into_inner(), form);
    let (actor, submitted) = (me.actor.clone(), form.clone());
    let saved = state
        .db
        .run(move |c| duty::add_change(c, &actor, village_id, &submitted))
        .await;
    saved_or_again(&state, &me, village_id, saved, |errors| Forms {
        change: form,
        failed: "change",
        errors,
        ..Forms::blank()
    })
    .await
}

/// 登记: the office screen showing this registration number becomes one
/// of the village's sign-in screens (a township official or an admin).
#[post("/admin/roster/{village}/screens")]
async fn register_screen(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<i64>,
    form: CsrfForm<RegisterForm>,
) -> AppResult<HttpResponse> {
    let (village_id, CsrfForm(form)) = (path.into_inner(), form);
    let (actor, submitted, keys) = (me.actor.clone(), form.clone(), state.keys.clone());
    let saved = state
        .db
        .run(move |c| {
            screens::register(c, &keys, &actor, village_id, &submitted, crate::time::now())
        })
        .await;
    saved_or_again(&state, &me, village_id, saved, |errors| Forms {
        screen_number: crate::text::cut(form.number.trim(), 20),
        failed: "screen",
        errors,
        ..Forms::blank()
    })
    .await
}

/// 撤销 a registered office screen: it shows no code any more.
#[post("/admin/roster/screens/{id}/revoke")]
async fn revoke_screen(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<i64>,
    _f: CsrfForm<Empty>,
) -> AppResult<HttpResponse> {
    let (id, actor) = (path.into_inner(), me.actor.clone());
    let village_id = state
        .db
        .run(move |c| screens::revoke(c, &actor, id, crate::time::now()))
        .await?;
    Ok(back_to(village_id))
}

/// 删除 a weekly shift or 撤销 a dated change.
#[post("/admin/roster/{what:shifts|changes}/{id}/delete")]
async fn remove(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<(String, i64)>,
    _f: CsrfForm<Empty>,
) -> AppResult<HttpResponse> {
    let ((what, id), actor) = (path.into_inner(), me.actor.clone());
    let what = duty::Removable::parse(&what).ok_or_else(|| AppError::not_found("这个地址"))?;
    let village_id = state
        .db
        .run(move |c| duty::remove(c, &actor, what, id))
        .await?;
    Ok(back_to(village_id))
}

// ------------------------------------------------------------ cadres

#[derive(Template)]
#[template(path = "admin/cadre_form.html")]
struct CadrePage {
    layout: Layout,
    cadre: Option<Cadre>,
    villages: Vec<Place>,
    users: Vec<(i64, String)>,
    posts: [&'static str; 8],
    form: CadreForm,
    errors: FieldErrors,
    picker: super::PhotoPicker,
}

impl CadrePage {
    fn action(&self) -> String {
        match &self.cadre {
            Some(c) => format!("/admin/roster/cadres/{}", c.id),
            None => "/admin/roster/cadres".into(),
        }
    }
}

async fn cadre_page(
    state: &AppState,
    me: &CurrentUser,
    cadre: Option<Cadre>,
    form: CadreForm,
    errors: FieldErrors,
) -> AppResult<CadrePage> {
    let actor = me.actor.clone();
    let village_id = form.village_id;
    let chosen: Vec<String> = form.photo_id.iter().map(i64::to_string).collect();
    let (villages, users, picker) = state
        .db
        .run(move |c| {
            let villages = keepable_villages(c, &actor)?;
            let vid = village_id.or(villages.first().map(|v| v.id)).unwrap_or(0);
            let picker = super::PhotoPicker::load(c, vid, &chosen, false)?;
            Ok((villages, cadres::linkable_users(c, vid)?, picker))
        })
        .await?;
    if villages.is_empty() {
        return Err(AppError::forbidden());
    }
    let title = if cadre.is_some() {
        "编辑村干部"
    } else {
        "新增村干部"
    };
    Ok(CadrePage {
        layout: layout(state, me, title, "/admin/roster").await?,
        cadre,
        villages,
        users,
        posts: cadres::POSTS,
        form,
        errors,
        picker,
    })
}

#[get("/admin/roster/cadres/new")]
async fn new_cadre(
    state: web::Data<AppState>,
    me: CurrentUser,
    q: web::Query<VillageQuery>,
) -> AppResult<HttpResponse> {
    let form = CadreForm {
        village_id: q.village,
        active: Some("on".into()),
        ..CadreForm::default()
    };
    render(&cadre_page(&state, &me, None, form, FieldErrors::new()).await?)
}

#[post("/admin/roster/cadres")]
async fn create_cadre(
    state: web::Data<AppState>,
    me: CurrentUser,
    form: CsrfForm<CadreForm>,
) -> AppResult<HttpResponse> {
    let CsrfForm(form) = form;
    let (actor, submitted) = (me.actor.clone(), form.clone());
    match field_errors(
        state
            .db
            .run(move |c| cadres::create(c, &actor, &submitted))
            .await,
    )? {
        Ok(c) => Ok(back_to(c.village_id)),
        Err(errors) => invalid(&cadre_page(&state, &me, None, form, errors).await?),
    }
}

#[get("/admin/roster/cadres/{id}")]
async fn edit_cadre(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let (id, actor) = (path.into_inner(), me.actor.clone());
    let cadre = state
        .db
        .run(move |c| {
            let cadre = cadres::get(c, id)?;
            actor.require(Action::KeepRoster, &places::scope_of(c, cadre.village_id)?)?;
            Ok(cadre)
        })
        .await?;
    let form = CadreForm::of(&cadre);
    render(&cadre_page(&state, &me, Some(cadre), form, FieldErrors::new()).await?)
}

#[post("/admin/roster/cadres/{id}")]
async fn update_cadre(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<i64>,
    form: CsrfForm<CadreForm>,
) -> AppResult<HttpResponse> {
    let (id, CsrfForm(form)) = (path.into_inner(), form);
    let (actor, submitted) = (me.actor.clone(), form.clone());
    match field_errors(
        state
            .db
            .run(move |c| cadres::update(c, &actor, id, &submitted))
            .await,
    )? {
        Ok(c) => Ok(back_to(c.village_id)),
        Err(errors) => {
            let cadre = state.db.run(move |c| cadres::get(c, id)).await?;
            invalid(&cadre_page(&state, &me, Some(cadre), form, errors).await?)
        }
    }
}

// ------------------------------------------------------------ the phone page

#[derive(Template)]
#[template(path = "admin/duty_signin.html")]
struct SigninPage {
    css: String,
    csrf: String,
    user_name: String,
    cadre: Option<Cadre>,
    form: SigninForm,
    error: Option<String>,
    done: Option<String>,
}

#[derive(Deserialize)]
struct SigninQuery {
    v: Option<String>,
    code: Option<String>,
    done: Option<String>,
}

async fn signin_page(
    state: &AppState,
    me: &CurrentUser,
    form: SigninForm,
    error: Option<String>,
    done: Option<String>,
) -> AppResult<SigninPage> {
    let user_id = me.user.id;
    let cadre = state.db.run(move |c| cadres::of_user(c, user_id)).await?;
    Ok(SigninPage {
        css: crate::web::assets::url("admin.css"),
        csrf: me.csrf.clone(),
        user_name: me.user.display_name.clone(),
        cadre,
        form,
        error,
        done,
    })
}

/// The page the office screen's QR code opens on the cadre's phone.
#[get("/admin/duty/signin")]
async fn signin_form(
    state: web::Data<AppState>,
    me: CurrentUser,
    q: web::Query<SigninQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let form = SigninForm {
        v: q.v
            .filter(|v| crate::validate::code(v, "").is_ok())
            .unwrap_or_default(),
        code: q
            .code
            .filter(|c| c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit()))
            .unwrap_or_default(),
        kind: "in".into(),
    };
    let done = match q.done.as_deref() {
        Some(d) if d.len() <= 40 => Some(d.to_string()),
        _ => None,
    };
    render(&signin_page(&state, &me, form, None, done).await?)
}

#[post("/admin/duty/signin")]
async fn signin_post(
    state: web::Data<AppState>,
    me: CurrentUser,
    form: CsrfForm<SigninForm>,
) -> AppResult<HttpResponse> {
    let CsrfForm(form) = form;
    let (actor, submitted, offset) = (me.actor.clone(), form.clone(), state.offset);
    let keys = state.keys.clone();
    let result = state
        .db
        .run(move |c| signin::sign(c, &keys, &actor, &submitted, crate::time::now(), offset))
        .await;
    match field_errors(result)? {
        Ok((cadre, s)) => {
            let what = if s.kind == "in" { "签到" } else { "签退" };
            let done = format!(
                "{} {}成功 {}",
                cadre.name,
                what,
                crate::time::to_local(s.at, offset).format("%H:%M")
            );
            let query = serde_urlencoded::to_string([("done", done)]).unwrap_or_default();
            Ok(redirect(&format!("/admin/duty/signin?{query}")))
        }
        Err(errors) => {
            let error = errors.get("code").map(str::to_string);
            let form = SigninForm {
                code: String::new(),
                ..form
            };
            let page = signin_page(&state, &me, form, error, None).await?;
            invalid(&page)
        }
    }
}

// ------------------------------------------------------------ supervision

struct TodayRow {
    village: String,
    on_duty: String,
    signed_in: String,
    status: &'static str,
    missed: bool,
}

struct MonthRow {
    village: String,
    name: String,
    post: String,
    t: supervision::Tally,
    total: bool,
}

#[derive(Template)]
#[template(path = "admin/roster_supervision.html")]
struct SupervisionPage {
    layout: Layout,
    today: Vec<TodayRow>,
    month: String,
    months: Vec<MonthRow>,
    csv: String,
}

#[derive(Deserialize)]
struct MonthQuery {
    month: Option<String>,
}

fn month_of(q: &MonthQuery, offset: chrono::FixedOffset) -> NaiveDate {
    let today = crate::time::to_local(crate::time::now(), offset).date_naive();
    q.month
        .as_deref()
        .and_then(|m| crate::roster::parse_day(&format!("{}-01", m.trim())))
        .unwrap_or(today)
}

async fn load_months(
    state: &AppState,
    me: &CurrentUser,
    month: NaiveDate,
) -> AppResult<(Vec<VillageToday>, Vec<VillageMonth>)> {
    let (actor, offset) = (me.actor.clone(), state.offset);
    state
        .db
        .run(move |c| {
            if !may_supervise(&actor) {
                return Err(AppError::forbidden());
            }
            let now = crate::time::now();
            let today = supervision::today(c, &actor, now, offset)?;
            let mut months = Vec::new();
            for v in supervision::villages_in_reach(c, &actor)? {
                months.push(supervision::village_month(c, v, month, now, offset)?);
            }
            Ok((today, months))
        })
        .await
}

#[get("/admin/roster/supervision")]
async fn supervision_page(
    state: web::Data<AppState>,
    me: CurrentUser,
    q: web::Query<MonthQuery>,
) -> AppResult<HttpResponse> {
    let month = month_of(&q, state.offset);
    let (today, months) = load_months(&state, &me, month).await?;
    let offset = state.offset;
    let today = today
        .into_iter()
        .map(|v| TodayRow {
            village: v.village.name.clone(),
            on_duty: v
                .on_duty
                .iter()
                .map(|c| format!("{}（{}）", c.name, c.post))
                .collect::<Vec<_>>()
                .join("、"),
            signed_in: v
                .first_in
                .map(|t| crate::time::to_local(t, offset).format("%H:%M").to_string())
                .unwrap_or_default(),
            status: v.presence.label(),
            missed: v.presence.missed(),
        })
        .collect();
    let mut rows = Vec::new();
    for m in months {
        rows.push(MonthRow {
            village: m.village.name.clone(),
            name: "全村合计".into(),
            post: String::new(),
            t: m.total.clone(),
            total: true,
        });
        for c in m.cadres {
            rows.push(MonthRow {
                village: m.village.name.clone(),
                name: c.cadre.name,
                post: c.cadre.post,
                t: c.tally,
                total: false,
            });
        }
    }
    let label = month.format("%Y-%m").to_string();
    render(&SupervisionPage {
        layout: layout(&state, &me, "值班督查", "/admin/roster/supervision").await?,
        today,
        csv: format!("/admin/roster/supervision.csv?month={label}"),
        month: label,
        months: rows,
    })
}

#[get("/admin/roster/supervision.csv")]
async fn supervision_csv(
    state: web::Data<AppState>,
    me: CurrentUser,
    q: web::Query<MonthQuery>,
) -> AppResult<HttpResponse> {
    let month = month_of(&q, state.offset);
    let (_, months) = load_months(&state, &me, month).await?;
    let body = supervision::month_csv(&months, month)?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"duty-{}.csv\"",
                month.format("%Y-%m")
            ),
        ))
        .body(body))
}

// ------------------------------------------------------------ holidays

#[derive(Template)]
#[template(path = "admin/holidays.html")]
struct HolidaysPage {
    layout: Layout,
    year: i32,
    days: Vec<Holiday>,
    form: HolidayForm,
    errors: FieldErrors,
}

#[derive(Deserialize)]
struct YearQuery {
    year: Option<i32>,
}

async fn holidays_page(
    state: &AppState,
    me: &CurrentUser,
    year: i32,
    form: HolidayForm,
    errors: FieldErrors,
) -> AppResult<HolidaysPage> {
    let actor = me.actor.clone();
    let days = state
        .db
        .run(move |c| {
            actor.require(Action::ManagePlaces, &actor.place)?;
            calendar::of_year(c, year)
        })
        .await?;
    Ok(HolidaysPage {
        layout: layout(state, me, "节假日安排", "/admin/roster/holidays").await?,
        year,
        days,
        form,
        errors,
    })
}

fn this_year(state: &AppState) -> i32 {
    chrono::Datelike::year(&crate::time::to_local(crate::time::now(), state.offset))
}

#[get("/admin/roster/holidays")]
async fn holidays(
    state: web::Data<AppState>,
    me: CurrentUser,
    q: web::Query<YearQuery>,
) -> AppResult<HttpResponse> {
    let year = q
        .year
        .filter(|y| (2000..=2100).contains(y))
        .unwrap_or_else(|| this_year(&state));
    let form = HolidayForm {
        kind: "holiday".into(),
        ..HolidayForm::default()
    };
    render(&holidays_page(&state, &me, year, form, FieldErrors::new()).await?)
}

#[post("/admin/roster/holidays")]
async fn save_holiday(
    state: web::Data<AppState>,
    me: CurrentUser,
    form: CsrfForm<HolidayForm>,
) -> AppResult<HttpResponse> {
    let CsrfForm(form) = form;
    let (actor, submitted) = (me.actor.clone(), form.clone());
    match field_errors(
        state
            .db
            .run(move |c| calendar::save(c, &actor, &submitted))
            .await,
    )? {
        Ok(day) => Ok(redirect(&format!(
            "/admin/roster/holidays?year={}",
            chrono::Datelike::year(&day)
        ))),
        Err(errors) => {
            let year = this_year(&state);
            invalid(&holidays_page(&state, &me, year, form, errors).await?)
        }
    }
}

#[post("/admin/roster/holidays/{day}/delete")]
async fn remove_holiday(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<String>,
    _f: CsrfForm<Empty>,
) -> AppResult<HttpResponse> {
    let (day, actor) = (path.into_inner(), me.actor.clone());
    let year = day.get(..4).unwrap_or("").to_string();
    state
        .db
        .run(move |c| calendar::remove(c, &actor, &day))
        .await?;
    Ok(redirect(&format!("/admin/roster/holidays?year={year}")))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    // Fixed addresses before `{village}` / `{id}` patterns.
    cfg.service(signin_form)
        .service(signin_post)
        .service(supervision_csv)
        .service(supervision_page)
        .service(holidays)
        .service(save_holiday)
        .service(remove_holiday)
        .service(new_cadre)
        .service(create_cadre)
        .service(edit_cadre)
        .service(update_cadre)
        .service(remove)
        .service(revoke_screen)
        .service(index)
        .service(save_office)
        .service(add_shift)
        .service(add_change)
        .service(register_screen);
}
