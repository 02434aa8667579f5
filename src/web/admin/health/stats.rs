//! The monthly figures of a township's stations.

use actix_web::{get, web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::pick_village;
use crate::error::AppResult;
use crate::health::admin::{self as health, HealthStats};
use crate::places::Place;
use crate::web::admin::{layout, Layout};
use crate::web::auth::CurrentUser;
use crate::web::render;
use crate::AppState;

const NAV_STATS: &str = "/admin/health/stats";
/// The statistics cover this many months, the current one included.
const STATS_MONTHS: u32 = 6;

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
pub(super) async fn stats(
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
