//! The back office (PC browser, 1366x768): layout, navigation by role, and
//! the pages for places, households, users and the audit log.

mod alerts;
mod articles;
mod audit;
mod branch;
mod branch_records;
mod cameras;
mod health;
mod households;
mod media;
mod places;
mod roster;
mod upload;
mod users;
mod videos;
mod voice;
mod webhooks;

use actix_web::http::StatusCode;
use actix_web::{get, web, HttpResponse};
use askama::Template;

use super::auth::CurrentUser;
use crate::access::{Action, Role};
use crate::error::{AppError, AppResult};
use crate::validate::FieldErrors;
use crate::AppState;

pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub active: bool,
}

/// What every back-office page shows around its content.
pub struct Layout {
    pub css: String,
    /// `static/admin.js`: the pages' behaviour, kept out of the markup for the CSP.
    pub js: String,
    pub title: String,
    pub user_name: String,
    pub role_label: &'static str,
    pub place_name: String,
    pub nav: Vec<NavItem>,
    pub csrf: String,
    /// The deployment's offset: every time a page shows is local.
    pub offset: chrono::FixedOffset,
}

impl Layout {
    pub fn new(
        me: &CurrentUser,
        place_name: String,
        title: &str,
        active: &str,
        offset: chrono::FixedOffset,
    ) -> Layout {
        let role = me.actor.role;
        let mut nav = vec![("/admin", "工作台")];
        if [
            Action::EditContent,
            Action::ReviewContent,
            Action::PublishDirect,
        ]
        .into_iter()
        .any(|a| may_anywhere(me, a))
        {
            nav.push(("/admin/articles", "内容管理"));
        }
        if may_anywhere(me, Action::ReviewContent) {
            nav.push(("/admin/review", "审核"));
        }
        if may_anywhere(me, Action::PublishDirect) {
            nav.push(("/admin/alerts", "应急广播"));
        }
        if may_anywhere(me, Action::EditContent) {
            nav.push(("/admin/media", "图片库"));
            nav.push(("/admin/videos", "视频上传"));
        }
        if may_anywhere(me, Action::ManagePlaces) {
            nav.push(("/admin/places", "地点管理"));
        }
        if may_anywhere(me, Action::ManageHouseholds) {
            nav.push(("/admin/households", "住户管理"));
        }
        // Every role sees its villages' stations (auditors read only).
        if may_anywhere(me, Action::ViewPlace) {
            nav.push(("/admin/health", "健康小屋"));
        }
        if may_anywhere(me, Action::ManageHouseholds) {
            nav.push(("/admin/health/residents", "居民档案"));
        }
        if may_anywhere(me, Action::ViewHealthStats) {
            nav.push(("/admin/health/stats", "健康统计"));
        }
        if roster::may_keep(&me.actor) {
            nav.push(("/admin/roster", "值班管理"));
        }
        if roster::may_supervise(&me.actor) {
            nav.push(("/admin/roster/supervision", "值班督查"));
        }
        if roster::may_keep(&me.actor) {
            nav.push(("/admin/branch", "三会一课"));
        }
        if roster::may_supervise(&me.actor) {
            nav.push(("/admin/branch/due", "三会一课督查"));
        }
        if role == Role::Admin {
            nav.push(("/admin/roster/holidays", "节假日安排"));
        }
        if voice::may_handle(&me.actor) {
            nav.push(("/admin/voice", "村民反映"));
        }
        if voice::may_supervise(&me.actor) {
            nav.push(("/admin/voice/supervision", "反映督办"));
        }
        if cameras::may_view(&me.actor) {
            nav.push(("/admin/cameras", "雪亮监控"));
        }
        if webhooks::may_open(&me.actor) {
            nav.push(("/admin/webhooks", "事件推送"));
        }
        if role == Role::Admin {
            nav.push(("/admin/users", "用户管理"));
        }
        if may_anywhere(me, Action::ViewAudit) {
            nav.push(("/admin/audit", "审计日志"));
        }
        Layout {
            offset,
            css: super::assets::url("admin.css"),
            js: super::assets::url("admin.js"),
            title: title.to_string(),
            user_name: me.user.display_name.clone(),
            role_label: role.label(),
            place_name,
            nav: nav
                .into_iter()
                .map(|(href, label)| NavItem {
                    href,
                    label,
                    active: href == active,
                })
                .collect(),
            csrf: me.csrf.clone(),
        }
    }
}

/// Whether the user may do `action` on their own place (and so sees its page).
fn may_anywhere(me: &CurrentUser, action: Action) -> bool {
    me.actor.may(action, &me.actor.place)
}

/// Builds the layout, loading the name of the user's place.
pub async fn layout(
    state: &AppState,
    me: &CurrentUser,
    title: &str,
    active: &str,
) -> AppResult<Layout> {
    let place_id = me.user.place_id;
    let place = state
        .db
        .run(move |c| crate::places::get(c, place_id))
        .await?;
    Ok(Layout::new(me, place.name, title, active, state.offset))
}

impl Layout {
    /// A stored (UTC) time in the deployment's offset, as pages show it.
    pub fn local(&self, t: &chrono::NaiveDateTime) -> String {
        crate::time::format_local(*t, self.offset)
    }
}

/// A form page shown again after a failed submit: 400 with the messages.
pub fn invalid(t: &impl Template) -> AppResult<HttpResponse> {
    super::render_status(StatusCode::BAD_REQUEST, t)
}

/// Splits a domain result into the field errors a form shows and everything else.
pub fn field_errors<T>(r: AppResult<T>) -> AppResult<Result<T, FieldErrors>> {
    match r {
        Ok(v) => Ok(Ok(v)),
        Err(AppError::Invalid(e)) => Ok(Err(e)),
        Err(e) => Err(e),
    }
}

/// The photo field of a record's form: the place's newest images as
/// choices, so a clerk picks pictures instead of typing their numbers. One
/// photo (a cadre: radio buttons) or several in order (a meeting:
/// checkboxes, the first ticked is the cover).
pub struct PhotoPicker {
    pub place_id: i64,
    /// (image id, thumbnail address, file name)
    pub choices: Vec<(i64, String, String)>,
    /// The form's values, as posted or stored.
    pub chosen: Vec<String>,
    pub multiple: bool,
}

impl PhotoPicker {
    pub fn load(
        conn: &mut crate::db::DbConn,
        place_id: i64,
        chosen: &[String],
        multiple: bool,
    ) -> AppResult<Self> {
        let chosen: Vec<String> = chosen
            .iter()
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty())
            .collect();
        // No more than a record may carry are looked up (a refused form may hold many).
        let ids: Vec<i64> = chosen
            .iter()
            .filter_map(|c| c.parse().ok())
            .take(crate::roster::meetings::MAX_PHOTOS)
            .collect();
        let choices = crate::media::choices(conn, place_id, &ids)?
            .into_iter()
            .map(|m| (m.id, m.tile_url(), m.original_name))
            .collect();
        Ok(PhotoPicker {
            place_id,
            choices,
            chosen,
            multiple,
        })
    }

    pub fn is_chosen(&self, id: &i64) -> bool {
        self.chosen.contains(&id.to_string())
    }
}

#[derive(Template)]
#[template(path = "admin/dashboard.html")]
struct Dashboard {
    layout: Layout,
    role: &'static str,
    counts: Vec<(&'static str, i64)>,
    desk: articles::Desk,
    notice: Option<&'static str>,
    /// Villagers' requests waiting, for those who handle them.
    waiting: Option<crate::voice::supervision::Waiting>,
}

#[derive(serde::Deserialize)]
struct DashboardQuery {
    saved: Option<String>,
}

#[get("/admin")]
async fn dashboard(
    state: web::Data<AppState>,
    me: CurrentUser,
    q: web::Query<DashboardQuery>,
) -> AppResult<HttpResponse> {
    let layout = layout(&state, &me, "工作台", "/admin").await?;
    let counts = state
        .db
        .run(|conn| {
            use crate::db::schema::{health_stations, households, places, residents, users};
            use diesel::prelude::*;
            let villages: i64 = places::table
                .filter(places::kind.eq("village"))
                .count()
                .get_result(conn)?;
            let townships: i64 = places::table
                .filter(places::kind.eq("township"))
                .count()
                .get_result(conn)?;
            let hh: i64 = households::table.count().get_result(conn)?;
            let us: i64 = users::table.count().get_result(conn)?;
            let stations: i64 = health_stations::table.count().get_result(conn)?;
            let people: i64 = residents::table.count().get_result(conn)?;
            Ok(vec![
                ("乡镇街道", townships),
                ("村", villages),
                ("住户", hh),
                ("用户", us),
                ("健康小屋", stations),
                ("建档居民", people),
            ])
        })
        .await?;
    let desk = if may_anywhere(&me, Action::EditContent) || may_anywhere(&me, Action::ReviewContent)
    {
        articles::desk(&state, &me).await?
    } else {
        articles::Desk::default()
    };
    let waiting = if voice::may_handle(&me.actor) {
        let actor = me.actor.clone();
        let w = state
            .db
            .run(move |c| {
                let villages =
                    crate::voice::supervision::villages(c, &actor, Action::HandleRequests)?;
                let ids: Vec<i64> = villages.keys().copied().collect();
                crate::voice::supervision::waiting(c, &ids, crate::time::now())
            })
            .await?;
        Some(w)
    } else {
        None
    };
    let notice = match q.saved.as_deref() {
        Some("approve") => Some("已审核通过，内容将按发布时间出现在电视上"),
        Some("reject") => Some("已退回，村里会看到退回原因"),
        _ => None,
    };
    super::render(&Dashboard {
        layout,
        role: me.actor.role.as_str(),
        counts,
        desk,
        notice,
        waiting,
    })
}

#[derive(Template)]
#[template(path = "admin/error.html")]
pub struct ErrorPage {
    css: String,
    status: u16,
    message: String,
}

impl ErrorPage {
    pub fn new(status: StatusCode, message: &str) -> ErrorPage {
        ErrorPage {
            css: super::assets::url("admin.css"),
            status: status.as_u16(),
            message: message.to_string(),
        }
    }
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.configure(super::auth::routes)
        .service(dashboard)
        .configure(alerts::routes)
        .configure(articles::routes)
        .configure(places::routes)
        .configure(households::routes)
        .configure(health::routes)
        .configure(cameras::routes)
        .configure(roster::routes)
        .configure(branch::routes)
        .configure(branch_records::routes)
        .configure(voice::routes)
        .configure(media::routes)
        .configure(videos::routes)
        .configure(webhooks::routes)
        .configure(users::routes)
        .configure(audit::routes);
}
