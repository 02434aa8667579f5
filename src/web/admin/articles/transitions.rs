//! The workflow buttons: submit, approve, reject and archive, each a POST
//! that moves the article on and redirects.

use actix_web::http::StatusCode;
use actix_web::{post, web, HttpResponse};
use serde::Deserialize;

use super::review::review_page;
use crate::articles::{self, workflow};
use crate::error::AppResult;
use crate::web::admin::field_errors;
use crate::web::auth::{CsrfForm, CurrentUser};
use crate::web::redirect;
use crate::AppState;

#[derive(Deserialize)]
struct ActForm {
    #[serde(default, deserialize_with = "crate::validate::optional_id")]
    version: Option<i64>,
    #[serde(default)]
    reason: String,
}

async fn act(
    state: &AppState,
    me: &CurrentUser,
    id: i64,
    what: &'static str,
    form: ActForm,
) -> AppResult<HttpResponse> {
    let actor = me.actor.clone();
    let outcome = state
        .db
        .run(move |c| match what {
            "submit" => workflow::submit(c, &actor, id, form.version),
            "approve" => workflow::approve(c, &actor, id, form.version),
            "reject" => workflow::reject(c, &actor, id, &form.reason, form.version),
            _ => workflow::archive(c, &actor, id, form.version),
        })
        .await;
    match field_errors(outcome)? {
        Ok(a) => {
            let done = if what == "submit"
                && a.live_revision_id.is_some()
                && a.scope() != articles::Scope::Village
            {
                "publish"
            } else {
                what
            };
            let to = if matches!(what, "approve" | "reject") {
                "/admin".to_string()
            } else {
                format!("/admin/articles/{id}")
            };
            Ok(redirect(&format!("{to}?saved={done}")))
        }
        Err(errors) => {
            let message = errors
                .get("reason")
                .unwrap_or("请检查填写的内容")
                .to_string();
            review_page(state, me, id, Some(message), StatusCode::BAD_REQUEST).await
        }
    }
}

macro_rules! transition {
    ($name:ident, $path:literal, $what:literal) => {
        #[post($path)]
        pub(super) async fn $name(
            state: web::Data<AppState>,
            me: CurrentUser,
            id: web::Path<i64>,
            form: CsrfForm<ActForm>,
        ) -> AppResult<HttpResponse> {
            act(&state, &me, id.into_inner(), $what, form.0).await
        }
    };
}

transition!(submit, "/admin/articles/{id}/submit", "submit");
transition!(approve, "/admin/articles/{id}/approve", "approve");
transition!(reject, "/admin/articles/{id}/reject", "reject");
transition!(archive, "/admin/articles/{id}/archive", "archive");
