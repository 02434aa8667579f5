//! Household PINs: a household's failed tries and lockout, and the reset
//! that sets a new PIN and lifts the lockout.

use actix_web::{get, post, web, HttpResponse};
use askama::Template;
use chrono::NaiveDateTime;

use crate::error::AppResult;
use crate::health::admin::{self as health, PinForm};
use crate::households::Household;
use crate::validate::FieldErrors;
use crate::web::admin::{field_errors, invalid, layout, Layout};
use crate::web::auth::{CsrfForm, CurrentUser};
use crate::web::{redirect, render};
use crate::AppState;

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
pub(super) async fn pin_form(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    render(&pin_page(&state, &me, id.into_inner(), FieldErrors::new()).await?)
}

/// POST /admin/households/{id}/pin: a new PIN, and the lockout from wrong
/// PINs lifted.
#[post("/admin/households/{id}/pin")]
pub(super) async fn reset_pin(
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
