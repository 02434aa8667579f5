//! A township's webhook in the back office: the receiver's address (shown
//! masked), the secret (shown once, when the portal makes it), the test
//! button and the delivery log with re-sends. Officials keep their own
//! township's, admins any; auditors read the log; clerks see nothing.

use actix_web::{get, post, web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{field_errors, invalid, layout, Layout};
use crate::error::{AppError, AppResult};
use crate::places::Place;
use crate::validate::FieldErrors;
use crate::web::auth::{CsrfForm, CurrentUser};
use crate::web::{redirect, render};
use crate::webhooks::{self, Delivery, WebhookForm};
use crate::AppState;

/// Whether the nav shows the page: somebody who may read some township's.
pub fn may_open(actor: &crate::access::Actor) -> bool {
    use crate::access::Action;
    actor.may(Action::ManageWebhooks, &actor.place) || actor.may(Action::ViewAudit, &actor.place)
}

struct Row {
    d: Delivery,
    created: String,
    next: String,
    status: String,
}

#[derive(Template)]
#[template(path = "admin/webhooks.html")]
struct WebhooksPage {
    layout: Layout,
    townships: Vec<Place>,
    township: Place,
    may_manage: bool,
    configured: bool,
    active: bool,
    /// The address as the form shows it (masked).
    url: String,
    updated: String,
    errors: FieldErrors,
    /// A secret the portal just made: shown on this page only.
    new_secret: Option<String>,
    notice: Option<&'static str>,
    rows: Vec<Row>,
}

impl WebhooksPage {
    fn event_label<'a>(&self, event: &'a str) -> &'a str {
        webhooks::event_label(event)
    }
}

#[derive(Deserialize)]
struct PageQuery {
    #[serde(default, deserialize_with = "crate::validate::optional_id")]
    township: Option<i64>,
    saved: Option<String>,
}

#[derive(Deserialize)]
struct Empty {}

/// What the page shows besides the form's own state.
struct Shown {
    errors: FieldErrors,
    url: Option<String>,
    active: Option<bool>,
    new_secret: Option<String>,
    notice: Option<&'static str>,
}

impl Shown {
    fn plain(notice: Option<&'static str>) -> Shown {
        Shown {
            errors: FieldErrors::new(),
            url: None,
            active: None,
            new_secret: None,
            notice,
        }
    }
}

async fn page(
    state: &AppState,
    me: &CurrentUser,
    township_id: Option<i64>,
    shown: Shown,
) -> AppResult<WebhooksPage> {
    if !may_open(&me.actor) {
        return Err(AppError::forbidden());
    }
    let layout = layout(state, me, "事件推送", "/admin/webhooks").await?;
    let actor = me.actor.clone();
    let offset = state.offset;
    let (townships, township, may_manage, hook, rows) = state
        .db
        .run(move |c| {
            let townships = webhooks::readable_townships(c, &actor)?;
            let township = match township_id {
                Some(id) => {
                    let scope = webhooks::township_scope(c, id)?;
                    if !webhooks::may_read(&actor, &scope) {
                        return Err(AppError::forbidden());
                    }
                    crate::places::get(c, id)?
                }
                None => townships
                    .iter()
                    .find(|t| t.id == actor.place.id)
                    .or_else(|| townships.first())
                    .cloned()
                    .ok_or_else(|| AppError::not_found("可以设置推送的乡镇街道"))?,
            };
            let scope = crate::places::scope(c, &township)?;
            let may_manage = webhooks::may_manage(&actor, &scope);
            let hook = webhooks::get(c, township.id)?;
            let rows = webhooks::log(c, township.id, webhooks::LOG_LIMIT)?
                .into_iter()
                .map(|d| Row {
                    created: seconds(d.created_at, offset),
                    next: if d.state == webhooks::PENDING {
                        seconds(d.next_at, offset)
                    } else {
                        String::new()
                    },
                    status: d.last_status.map(|s| s.to_string()).unwrap_or_default(),
                    d,
                })
                .collect();
            Ok((townships, township, may_manage, hook, rows))
        })
        .await?;
    let url = shown.url.unwrap_or_else(|| {
        hook.as_ref()
            .map(|h| webhooks::masked_url(&h.url))
            .unwrap_or_default()
    });
    Ok(WebhooksPage {
        layout,
        townships,
        township,
        may_manage,
        configured: hook.is_some(),
        active: shown
            .active
            .unwrap_or_else(|| hook.as_ref().is_none_or(|h| h.active)),
        url,
        updated: hook
            .as_ref()
            .map(|h| crate::time::format_local(h.updated_at, offset))
            .unwrap_or_default(),
        errors: shown.errors,
        new_secret: shown.new_secret,
        notice: shown.notice,
        rows,
    })
}

/// Deliveries come seconds apart: the log shows the seconds.
fn seconds(utc: chrono::NaiveDateTime, offset: chrono::FixedOffset) -> String {
    crate::time::to_local(utc, offset)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

fn notice(saved: Option<&str>) -> Option<&'static str> {
    match saved {
        Some("test") => Some("测试推送已排队，几秒钟后在下方记录里可以看到结果"),
        Some("resend") => Some("已重新排队发送"),
        _ => None,
    }
}

#[get("/admin/webhooks")]
async fn show(
    state: web::Data<AppState>,
    me: CurrentUser,
    q: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let shown = Shown::plain(notice(q.saved.as_deref()));
    render(&page(&state, &me, q.township, shown).await?)
}

#[derive(Deserialize)]
struct TownshipQuery {
    township: i64,
}

#[post("/admin/webhooks")]
async fn save(
    state: web::Data<AppState>,
    me: CurrentUser,
    q: web::Query<TownshipQuery>,
    form: CsrfForm<WebhookForm>,
) -> AppResult<HttpResponse> {
    let CsrfForm(form) = form;
    let (township_id, actor, submitted) = (q.township, me.actor.clone(), form.clone());
    let saved = field_errors(
        state
            .db
            .run(move |c| webhooks::save(c, &actor, township_id, &submitted))
            .await,
    )?;
    match saved {
        Ok(saved) => {
            let shown = Shown {
                new_secret: saved.new_secret,
                ..Shown::plain(Some("已保存"))
            };
            render(&page(&state, &me, Some(township_id), shown).await?)
        }
        Err(errors) => {
            // What was typed comes back masked: a password typed into the
            // address is not echoed into the page.
            let shown = Shown {
                errors,
                url: Some(webhooks::shown_back(form.url.trim())),
                active: Some(form.active.is_some()),
                ..Shown::plain(None)
            };
            invalid(&page(&state, &me, Some(township_id), shown).await?)
        }
    }
}

#[post("/admin/webhooks/test")]
async fn test(
    state: web::Data<AppState>,
    me: CurrentUser,
    q: web::Query<TownshipQuery>,
    _form: CsrfForm<Empty>,
) -> AppResult<HttpResponse> {
    let (township_id, actor) = (q.township, me.actor.clone());
    state
        .db
        .run(move |c| webhooks::test_event(c, &actor, township_id))
        .await?;
    Ok(redirect(&format!(
        "/admin/webhooks?township={township_id}&saved=test"
    )))
}

#[post("/admin/webhooks/deliveries/{id}/resend")]
async fn resend(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
    _form: CsrfForm<Empty>,
) -> AppResult<HttpResponse> {
    let (id, actor) = (id.into_inner(), me.actor.clone());
    let delivery = state
        .db
        .run(move |c| webhooks::resend(c, &actor, id))
        .await?;
    Ok(redirect(&format!(
        "/admin/webhooks?township={}&saved=resend",
        delivery.township_id
    )))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(show)
        .service(save)
        .service(test)
        .service(resend);
}
