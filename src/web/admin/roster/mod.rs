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
use crate::access::{Action, Actor, PlaceKind};
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

mod cadre_pages;
mod holidays;
mod phone;
mod supervision_pages;
mod village;

use cadre_pages::*;
use holidays::*;
use phone::*;
use supervision_pages::*;
use village::*;

#[derive(Deserialize)]
struct Empty {}

/// The villages whose roster this actor keeps.
pub fn keepable_villages(conn: &mut crate::db::DbConn, actor: &Actor) -> AppResult<Vec<Place>> {
    places::where_may(conn, actor, &[PlaceKind::Village], &[Action::KeepRoster])
}

/// Who may see the roster pages (the nav shows them).
pub fn may_keep(actor: &Actor) -> bool {
    actor.may(Action::KeepRoster, &actor.place)
}

pub fn may_supervise(actor: &Actor) -> bool {
    actor.may(Action::SuperviseRoster, &actor.place)
}

#[derive(Deserialize)]
struct VillageQuery {
    village: Option<i64>,
}

fn back_to(village_id: i64) -> HttpResponse {
    redirect(&format!("/admin/roster?village={village_id}"))
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
