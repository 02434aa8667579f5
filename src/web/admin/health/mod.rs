//! The back office of the health stations (健康小屋): station details and
//! tokens, residents, household PIN resets, CSV uploads and the monthly
//! figures. Handlers stay thin: the rules live in `crate::health::admin`.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::Datelike;
use serde::Deserialize;

use crate::error::{AppError, AppResult};
use crate::places::Place;
use crate::AppState;

mod import;
mod pins;
mod residents;
mod stations;
mod stats;

const NAV: &str = "/admin/health";

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

#[derive(Deserialize)]
struct VillageQuery {
    village: Option<i64>,
}

fn pick_village(villages: &[Place], wanted: Option<i64>) -> AppResult<Place> {
    match wanted {
        Some(id) => villages.iter().find(|v| v.id == id).cloned(),
        None => villages.first().cloned(),
    }
    .ok_or_else(AppError::forbidden)
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    // `/stations/new` before `/stations/{id}`.
    cfg.service(stations::stations)
        .service(stations::new_station)
        .service(stations::create_station)
        .service(stations::edit_station)
        .service(stations::update_station)
        .service(stations::rotate_token)
        .service(import::import_form)
        .service(import::import)
        .service(residents::residents)
        .service(residents::new_resident)
        .service(residents::create_resident)
        .service(residents::edit_resident)
        .service(residents::update_resident)
        .service(pins::pin_form)
        .service(pins::reset_pin)
        .service(stats::stats);
}
