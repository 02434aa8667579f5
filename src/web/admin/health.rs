//! The back office of the health stations (健康小屋): station details and
//! tokens, residents, household PIN resets, CSV uploads and the monthly
//! figures. Handlers stay thin: the rules live in `crate::health::admin`.

use actix_multipart::{Field, Multipart};
use actix_session::Session;
use actix_web::http::header;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{Datelike, NaiveDateTime};
use futures_util::StreamExt;
use serde::Deserialize;

use super::upload::{declared_length, stream_field};
use super::{field_errors, invalid, layout, Layout, Pager};
use crate::access::Action;
use crate::error::{AppError, AppResult};
use crate::health::admin::{
    self as health, HealthStats, NewStationForm, PinForm, ResidentForm, ResidentRow, StationForm,
    StationRow,
};
use crate::health::csv_import::{ImportReport, RejectedRow};
use crate::health::{Resident, Station};
use crate::households::Household;
use crate::places::Place;
use crate::validate::FieldErrors;
use crate::web::auth::{check_csrf, CsrfForm, CurrentUser};
use crate::web::{redirect, render};
use crate::AppState;

const NAV: &str = "/admin/health";
const NAV_RESIDENTS: &str = "/admin/health/residents";
const NAV_STATS: &str = "/admin/health/stats";
const PER_PAGE: i64 = 20;
/// The statistics cover this many months, the current one included.
const STATS_MONTHS: u32 = 6;
/// Rejected lines listed on the summary page; the rest are counted.
const SHOWN_REJECTS: usize = 100;
/// An upload longer than this is cut off with 413 instead of read to its end.
const DRAIN_LIMIT: usize = 64 * 1024 * 1024;

fn this_year(state: &AppState) -> i32 {
    crate::time::to_local(crate::time::now(), state.offset).year()
}

/// A page that must not be kept by the browser or a proxy (it shows a token).
fn render_no_store(t: &impl Template) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(t.render()?))
}

// ------------------------------------------------------------------ stations

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
async fn stations(
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

#[derive(Deserialize)]
struct VillageQuery {
    village: Option<i64>,
}

#[get("/admin/health/stations/new")]
async fn new_station(
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
async fn create_station(
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
async fn edit_station(
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
async fn update_station(
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
async fn rotate_token(
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

// ---------------------------------------------------------------- CSV upload

#[derive(Template)]
#[template(path = "admin/health_import.html")]
struct ImportPage {
    layout: Layout,
    station: Station,
    max_mb: usize,
    errors: FieldErrors,
}

async fn import_page(
    state: &AppState,
    me: &CurrentUser,
    station: Station,
    errors: FieldErrors,
) -> AppResult<ImportPage> {
    Ok(ImportPage {
        layout: layout(state, me, "导入体检数据", NAV).await?,
        station,
        max_mb: health::MAX_CSV_BYTES / (1024 * 1024),
        errors,
    })
}

#[get("/admin/health/stations/{id}/import")]
async fn import_form(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let (id, actor) = (id.into_inner(), me.actor.clone());
    let station = state
        .db
        .run(move |c| health::station_for(c, &actor, id, Action::ManageStation))
        .await?;
    render(&import_page(&state, &me, station, FieldErrors::new()).await?)
}

#[derive(Template)]
#[template(path = "admin/health_import_summary.html")]
struct SummaryPage {
    layout: Layout,
    station: Station,
    file_name: String,
    report: ImportReport,
    /// The first `SHOWN_REJECTS` rejected lines.
    shown: Vec<RejectedRow>,
    /// How many more were rejected.
    more: usize,
}

/// What the upload form sent: whether the CSRF token was checked, the file.
struct Upload {
    csrf_checked: bool,
    file: Option<(String, Vec<u8>)>,
    too_big: bool,
}

/// Reads a field whole, or `None` when it is longer than `limit` bytes. The
/// rest of a too long field is read and dropped (so the browser, still
/// sending, gets the page that says so), up to `DRAIN_LIMIT` in all.
async fn read_field(field: &mut Field, limit: usize) -> AppResult<Option<Vec<u8>>> {
    let mut data = Vec::new();
    let mut seen = 0usize;
    let len = stream_field(
        field,
        DRAIN_LIMIT,
        || AppError::PayloadTooLarge,
        |chunk| {
            seen += chunk.len();
            if seen > limit {
                // Too long: drop what was kept, go on draining.
                data = Vec::new();
            } else {
                data.extend_from_slice(chunk);
            }
            Ok(())
        },
    )
    .await?;
    Ok((len <= limit).then_some(data))
}

/// Streams the form; the CSRF token comes before the file in the page's
/// form and is checked as soon as it arrives.
async fn read_upload(session: &Session, mut form: Multipart) -> AppResult<Upload> {
    let bad = || AppError::BadRequest("表单内容无效".into());
    let mut upload = Upload {
        csrf_checked: false,
        file: None,
        too_big: false,
    };
    while let Some(field) = form.next().await {
        let mut field = field
            .map_err(|_| AppError::BadRequest("请用表单上传文件（multipart/form-data）".into()))?;
        match field.name().unwrap_or_default() {
            "csrf_token" => {
                let token = read_field(&mut field, 1024).await?.ok_or_else(bad)?;
                let token = String::from_utf8(token).map_err(|_| bad())?;
                check_csrf(session, &token)?;
                upload.csrf_checked = true;
            }
            "file" => {
                if upload.file.is_some() || upload.too_big {
                    return Err(AppError::BadRequest("一次只能上传一个文件".into()));
                }
                let name = field
                    .content_disposition()
                    .and_then(|cd| cd.get_filename())
                    .unwrap_or_default()
                    .chars()
                    .take(100)
                    .collect::<String>();
                match read_field(&mut field, health::MAX_CSV_BYTES).await? {
                    Some(data) => upload.file = Some((name, data)),
                    None => upload.too_big = true,
                }
            }
            _ => {
                read_field(&mut field, 64 * 1024).await?.ok_or_else(bad)?;
            }
        }
    }
    Ok(upload)
}

/// POST /admin/health/stations/{id}/import: the station's readings from a
/// CSV file, then the summary; a bad file is named beside the field.
#[post("/admin/health/stations/{id}/import")]
async fn import(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    me: CurrentUser,
    id: web::Path<i64>,
    form: Multipart,
) -> AppResult<HttpResponse> {
    let (id, actor) = (id.into_inner(), me.actor.clone());
    let station = state
        .db
        .run(move |c| health::station_for(c, &actor, id, Action::ManageStation))
        .await?;
    if declared_length(&req).is_some_and(|n| n > DRAIN_LIMIT as u64) {
        return Err(AppError::PayloadTooLarge);
    }
    let upload = read_upload(&session, form).await?;
    if !upload.csrf_checked {
        check_csrf(&session, "")?;
    }
    let checked = match (upload.file, upload.too_big) {
        (_, true) => Err(health::too_big_message()),
        (None, false) => Err("请选择要导入的 CSV 文件".to_string()),
        (Some((name, bytes)), false) => {
            health::check_csv_upload(&name, &bytes).map(|()| (name, bytes))
        }
    };
    let (file_name, bytes) = match checked {
        Ok(file) => file,
        Err(message) => {
            let mut errors = FieldErrors::new();
            errors.add("file", message);
            return invalid(&import_page(&state, &me, station, errors).await?);
        }
    };
    let (actor, st, thresholds, offset) = (
        me.actor.clone(),
        station.clone(),
        state.config.health.clone(),
        state.offset,
    );
    let outcome = field_errors(
        state
            .db
            .run(move |c| health::import_csv(c, &actor, &st, &bytes, &thresholds, offset))
            .await,
    )?;
    match outcome {
        Ok(report) => render(&SummaryPage {
            layout: layout(&state, &me, "导入结果", NAV).await?,
            shown: report
                .rejected_rows
                .iter()
                .take(SHOWN_REJECTS)
                .cloned()
                .collect(),
            more: report.rejected.saturating_sub(SHOWN_REJECTS),
            station,
            file_name,
            report,
        }),
        Err(errors) => invalid(&import_page(&state, &me, station, errors).await?),
    }
}

// ----------------------------------------------------------------- residents

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

fn pick_village(villages: &[Place], wanted: Option<i64>) -> AppResult<Place> {
    match wanted {
        Some(id) => villages.iter().find(|v| v.id == id).cloned(),
        None => villages.first().cloned(),
    }
    .ok_or_else(AppError::forbidden)
}

#[get("/admin/health/residents")]
async fn residents(
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
        pager: Pager::new(page, PER_PAGE, total, &base),
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
async fn new_resident(
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
async fn create_resident(
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
async fn edit_resident(
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
async fn update_resident(
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

// ------------------------------------------------------------ household PINs

#[derive(Template)]
#[template(path = "admin/health_pin.html")]
struct PinPage {
    layout: Layout,
    household: Household,
    failures: i32,
    locked_until: Option<String>,
    errors: FieldErrors,
}

async fn pin_page(
    state: &AppState,
    me: &CurrentUser,
    id: i64,
    errors: FieldErrors,
) -> AppResult<PinPage> {
    let actor = me.actor.clone();
    let (household, (failures, locked)) = state
        .db
        .run(move |c| {
            let h = health::household_for(c, &actor, id)?;
            Ok((h, health::pin_state(c, id)?))
        })
        .await?;
    let now = crate::time::now();
    let locked_until: Option<NaiveDateTime> = locked.filter(|t| *t > now);
    Ok(PinPage {
        layout: layout(state, me, "重置住户 PIN", "/admin/households").await?,
        household,
        failures,
        locked_until: locked_until.map(|t| crate::time::format_local(t, state.offset)),
        errors,
    })
}

#[get("/admin/households/{id}/pin")]
async fn pin_form(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    render(&pin_page(&state, &me, id.into_inner(), FieldErrors::new()).await?)
}

/// POST /admin/households/{id}/pin: a new PIN, and the lockout from wrong
/// PINs lifted.
#[post("/admin/households/{id}/pin")]
async fn reset_pin(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
    form: CsrfForm<PinForm>,
) -> AppResult<HttpResponse> {
    let CsrfForm(form) = form;
    let (id, actor) = (id.into_inner(), me.actor.clone());
    let done = state
        .db
        .run(move |c| {
            health::reset_pin(c, &actor, id, &form)?;
            Ok(crate::households::get(c, id)?.village_id)
        })
        .await;
    match field_errors(done)? {
        Ok(village) => Ok(redirect(&format!("/admin/households?village={village}"))),
        Err(errors) => invalid(&pin_page(&state, &me, id, errors).await?),
    }
}

// ---------------------------------------------------------------- statistics

#[derive(Template)]
#[template(path = "admin/health_stats.html")]
struct StatsPage {
    layout: Layout,
    townships: Vec<Place>,
    township: Place,
    stats: HealthStats,
}

#[derive(Deserialize)]
struct StatsQuery {
    township: Option<i64>,
}

#[get("/admin/health/stats")]
async fn stats(
    state: web::Data<AppState>,
    me: CurrentUser,
    q: web::Query<StatsQuery>,
) -> AppResult<HttpResponse> {
    let layout = layout(&state, &me, "健康统计", NAV_STATS).await?;
    let (actor, wanted) = (me.actor.clone(), q.township);
    let (offset, thresholds) = (state.offset, state.config.health.clone());
    let (townships, township, stats) = state
        .db
        .run(move |c| {
            let townships = health::stats_townships(c, &actor)?;
            let township = pick_village(&townships, wanted)?;
            let stats = health::monthly_stats(
                c,
                &actor,
                township.id,
                crate::time::now(),
                offset,
                STATS_MONTHS,
                &thresholds,
            )?;
            Ok((townships, township, stats))
        })
        .await?;
    render(&StatsPage {
        layout,
        townships,
        township,
        stats,
    })
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    // `/stations/new` before `/stations/{id}`.
    cfg.service(stations)
        .service(new_station)
        .service(create_station)
        .service(edit_station)
        .service(update_station)
        .service(rotate_token)
        .service(import_form)
        .service(import)
        .service(residents)
        .service(new_resident)
        .service(create_resident)
        .service(edit_resident)
        .service(update_resident)
        .service(pin_form)
        .service(reset_pin)
        .service(stats);
}
