//! The CSV upload of a station's readings: the form, the streamed upload
//! and the summary of what was imported.

use actix_multipart::Multipart;
use actix_session::Session;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use futures_util::StreamExt;

use super::NAV;
use crate::access::Action;
use crate::error::{AppError, AppResult};
use crate::health::admin as health;
use crate::health::csv_import::{ImportReport, RejectedRow};
use crate::health::Station;
use crate::validate::FieldErrors;
use crate::web::admin::upload::{declared_length, read_field_or_drain};
use crate::web::admin::{field_errors, invalid, layout, Layout};
use crate::web::auth::{check_csrf, CurrentUser};
use crate::web::render;
use crate::AppState;

/// Rejected lines listed on the summary page; the rest are counted.
const SHOWN_REJECTS: usize = 100;
/// An upload longer than this is cut off with 413 instead of read to its end.
const DRAIN_LIMIT: usize = 64 * 1024 * 1024;

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
pub(super) async fn import_form(
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
                let token = read_field_or_drain(&mut field, 1024, DRAIN_LIMIT)
                    .await?
                    .ok_or_else(bad)?;
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
                match read_field_or_drain(&mut field, health::MAX_CSV_BYTES, DRAIN_LIMIT).await? {
                    Some(data) => upload.file = Some((name, data)),
                    None => upload.too_big = true,
                }
            }
            _ => {
                read_field_or_drain(&mut field, 64 * 1024, DRAIN_LIMIT)
                    .await?
                    .ok_or_else(bad)?;
            }
        }
    }
    Ok(upload)
}

/// POST /admin/health/stations/{id}/import: the station's readings from a
/// CSV file, then the summary; a bad file is named beside the field.
#[post("/admin/health/stations/{id}/import")]
pub(super) async fn import(
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
