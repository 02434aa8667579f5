//! `POST /api/v1/health/observations`: health kiosks push FHIR R4
//! Observations (or a Bundle of them) with their station's bearer token.
//! The answer counts accepted / duplicate / rejected entries, with a reason
//! for each entry that was not stored. Nothing about readings is logged.

use actix_web::{web, HttpRequest, HttpResponse};

use crate::error::AppResult;
use crate::health::{self, fhir, ingest};
use crate::AppState;

use super::{bearer, refused, unauthorized};

/// Largest body this route takes (a day's readings of a kiosk fit many times).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

async fn observations(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let Some(token) = bearer(&req) else {
        return Ok(unauthorized(
            "缺少令牌：请在 Authorization 头中提供 Bearer 令牌",
        ));
    };
    let station = state
        .db
        .run(move |conn| health::station_by_token(conn, &token))
        .await?;
    let Some(station) = station else {
        return Ok(unauthorized("令牌无效"));
    };
    let value: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            return Ok(refused(
                actix_web::http::StatusCode::BAD_REQUEST,
                format!("JSON 格式错误：{e}"),
            ))
        }
    };
    let (now, offset) = (crate::time::now(), state.offset);
    let entries: Vec<Result<ingest::Reading, String>> = match fhir::resources(&value) {
        Ok(resources) => resources
            .into_iter()
            .map(|r| fhir::parse(r, now, offset))
            .collect(),
        Err(e @ fhir::BodyError::TooManyEntries(_)) => {
            return Ok(refused(
                actix_web::http::StatusCode::PAYLOAD_TOO_LARGE,
                e.reason(),
            ))
        }
        Err(e) => {
            return Ok(refused(
                actix_web::http::StatusCode::BAD_REQUEST,
                e.reason(),
            ))
        }
    };
    drop(value);
    let thresholds = state.config.health.clone();
    let code = station.code.clone();
    let report = state
        .db
        .run(move |conn| ingest::store_entries(conn, &station, entries, &thresholds, "api", now))
        .await?;
    log::info!(
        "health api: station {code}: accepted {}, duplicate {}, rejected {}",
        report.accepted,
        report.duplicate,
        report.rejected
    );
    Ok(HttpResponse::Ok().json(report))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/api/v1/health/observations")
            // This route's own limit; a larger body gets 413 (as JSON, like
            // every error under /api).
            .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
            .route(web::post().to(observations)),
    );
}
