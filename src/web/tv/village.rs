//! The village a TV page belongs to, loaded once per request (by the alert
//! gate, from the cache) and handed to the handler as the [`Village`] extractor.

use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use chrono::{Duration, FixedOffset, NaiveDateTime};
use futures_util::future::LocalBoxFuture;

use crate::access::{PlaceKind, PlaceScope};
use crate::alerts::{self, Alert};
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::places::{self, Place};
use crate::{articles, AppState};

/// A village with what every one of its pages shows around the content.
#[derive(Debug)]
pub struct VillageView {
    pub village: Place,
    pub township: Option<Place>,
    pub scope: PlaceScope,
    /// The alert live for the village when the view was made.
    pub alert: Option<Alert>,
    /// When the village's pages may next change without anyone writing: a
    /// scheduled publish or an expiry, an alert starting or ending, or
    /// local midnight (pages show the date).
    pub until: NaiveDateTime,
    /// The generations it was loaded at, set by the cache when it keeps it
    /// (`None`: not kept, and pages rendered with it are not kept either).
    pub deps: Option<super::cache::Deps>,
}

impl VillageView {
    /// `None` when no village has this code.
    pub fn load(
        conn: &mut DbConn,
        code: &str,
        now: NaiveDateTime,
        offset: FixedOffset,
    ) -> AppResult<Option<VillageView>> {
        if crate::validate::code(code, "").is_err() {
            return Ok(None);
        }
        let Some(village) =
            places::find_by_code(conn, code)?.filter(|p| p.kind() == PlaceKind::Village)
        else {
            return Ok(None);
        };
        let township = match village.parent_id {
            Some(id) => Some(places::get(conn, id)?),
            None => None,
        };
        let scope = places::scope(conn, &village)?;
        let alert = alerts::active_for_village(conn, &scope, now)?;
        let midnight = next_local_midnight(now, offset);
        let until = [
            articles::next_change(conn, &scope, now)?,
            alerts::next_change(conn, &scope, now)?,
        ]
        .into_iter()
        .flatten()
        .fold(midnight, NaiveDateTime::min);
        Ok(Some(VillageView {
            village,
            township,
            scope,
            alert,
            until,
            deps: None,
        }))
    }
}

fn next_local_midnight(now: NaiveDateTime, offset: FixedOffset) -> NaiveDateTime {
    let today = crate::time::to_local(now, offset).date_naive();
    crate::time::local_day_start(today + Duration::days(1), offset)
}

/// The extractor: the view the gate found, else loaded here; an unknown
/// village is the TV's 404.
#[derive(Clone)]
pub struct Village(pub Arc<VillageView>);

impl std::ops::Deref for Village {
    type Target = VillageView;
    fn deref(&self) -> &VillageView {
        &self.0
    }
}

impl FromRequest for Village {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Village, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        if let Some(v) = req.extensions().get::<Village>() {
            let v = v.clone();
            return Box::pin(async move { Ok(v) });
        }
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let code = req.match_info().get("village").unwrap_or("").to_string();
        Box::pin(async move {
            let state = state.ok_or_else(|| AppError::bug("no app state"))?;
            state
                .tv_cache
                .view(&state, &code)
                .await?
                .map(Village)
                .ok_or_else(|| AppError::UnknownVillage)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn midnight_is_local() {
        let cst = FixedOffset::east_opt(8 * 3600).unwrap_or(FixedOffset::east_opt(0).unwrap());
        let at = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap_or_default();
        // 23:30 local on the 22nd is 15:30 UTC; local midnight is 16:00 UTC.
        assert_eq!(
            next_local_midnight(at("2026-11-22 15:30"), cst),
            at("2026-11-22 16:00")
        );
        // 00:30 local on the 23rd (16:30 UTC on the 22nd): next is the 24th.
        assert_eq!(
            next_local_midnight(at("2026-11-22 16:30"), cst),
            at("2026-11-23 16:00")
        );
    }
}
