//! The middleware that answers TV pages from the cache and keeps what the
//! handlers mark [`Cacheable`](super::Cacheable).

use std::sync::Arc;
use std::time::Instant;

use actix_web::body::{self, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, HttpRequest};

use super::super::village::Village;
use super::super::Screen;
use super::page::{page_key, respond, Page};
use super::{Cacheable, Claim, Flight, Queued, TvCache};
use crate::error::AppError;
use crate::AppState;

/// Middleware (inside the alert gate): serves kept TV pages, keeps those
/// handlers mark [`Cacheable`], and notes writes so the generations are read.
pub async fn pages(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let Some(state) = state else {
        return next.call(req).await.map(|r| r.map_into_boxed_body());
    };
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        let res = next.call(req).await;
        state.tv_cache.mark_dirty();
        return res.map(|r| r.map_into_boxed_body());
    }
    if *req.method() != Method::GET || !req.path().starts_with("/tv/v/") {
        return next.call(req).await.map(|r| r.map_into_boxed_body());
    }
    let cache = &state.tv_cache;
    // The gate has read the generations already for village pages.
    let key = page_key(req.path(), req.query_string(), Screen::of(req.request()));
    // The view the gate found (pages of a village depend on it).
    let view = req.extensions().get::<Village>().map(|v| v.0.clone());
    let mut waited = false;
    let (flight, older) = loop {
        match cache.claim(&key, crate::time::now(), waited, view.as_deref()) {
            Claim::Fresh(page) => {
                let res = respond(req.request(), &page);
                return Ok(req.into_response(res));
            }
            Claim::Older(older) => {
                let res = respond(req.request(), &older);
                return Ok(req.into_response(res));
            }
            // Many pages render at once (a county notice): this box gets the
            // copy it would have got a moment ago; the new one is rendered in
            // the background and replaces it.
            Claim::Refresh(flight, older) => {
                let http = req.request().clone();
                let res = respond(&http, &older);
                actix_web::rt::spawn(refresh(state.clone(), next, req, key, flight, older));
                return Ok(ServiceResponse::new(http, res));
            }
            Claim::Render(flight, older) => break (flight, older),
            Claim::Wait(mut landing) => {
                waited = true;
                let _ = landing.changed().await;
            }
        }
    };
    let res = render(cache, &key, older.as_ref(), next, req).await?;
    drop(flight);
    Ok(match res {
        Rendered::Kept(req, page) => {
            let res = respond(&req, &page);
            ServiceResponse::new(req, res)
        }
        Rendered::Passed(res) => res,
    })
}

/// A page rendered anew in the background while its older copy is served:
/// `BACKGROUND_RENDERS` at a time, each after the pause renders are paced
/// by, so hits keep the cores.
async fn refresh(
    state: web::Data<AppState>,
    next: Next<impl MessageBody + 'static>,
    req: ServiceRequest,
    key: String,
    flight: Flight,
    older: Arc<Page>,
) {
    let cache = &state.tv_cache;
    let _queued = Queued(cache);
    let Ok(_turn) = cache.background.acquire().await else {
        return;
    };
    while let Some(wait) = cache.pacing() {
        actix_web::rt::time::sleep(wait).await;
    }
    if let Err(e) = render(cache, &key, Some(&older), next, req).await {
        log::warn!("tv cache: rendering {key} again failed: {e}");
    }
    drop(flight);
}

enum Rendered {
    /// Kept: answer it.
    Kept(HttpRequest, Arc<Page>),
    /// Not for keeping (an error, a cookie, a page per box): as it is.
    Passed(ServiceResponse<BoxBody>),
}

/// Renders the page and keeps it when it is for keeping; else the older
/// copy, if any, is dropped (the page is gone, failed, or now per box).
async fn render(
    cache: &TvCache,
    key: &str,
    older: Option<&Arc<Page>>,
    next: Next<impl MessageBody + 'static>,
    req: ServiceRequest,
) -> Result<Rendered, actix_web::Error> {
    let started = Instant::now();
    let rendered = render_page(cache, key, next, req).await;
    if let Some(older) = older {
        cache.paced_after(started.elapsed());
        if let Ok(Rendered::Passed(_)) | Err(_) = &rendered {
            cache.forget(key, older);
        }
    }
    rendered
}

async fn render_page(
    cache: &TvCache,
    key: &str,
    next: Next<impl MessageBody + 'static>,
    req: ServiceRequest,
) -> Result<Rendered, actix_web::Error> {
    let _rendering = cache.rendering();
    let res = next.call(req).await?;
    // The page is as new as the village view it was rendered with (the
    // gate found it after reading the generations).
    let deps = res
        .request()
        .extensions()
        .get::<Village>()
        .and_then(|v| v.deps);
    let Some(Cacheable(until)) = res.response().extensions().get::<Cacheable>().copied() else {
        return Ok(Rendered::Passed(res.map_into_boxed_body()));
    };
    let headers = res.headers();
    if res.status() != StatusCode::OK || headers.contains_key(header::SET_COOKIE) {
        return Ok(Rendered::Passed(res.map_into_boxed_body()));
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .cloned()
        .unwrap_or(HeaderValue::from_static("text/html; charset=utf-8"));
    let (req, res) = res.into_parts();
    let bytes = body::to_bytes(res.into_body())
        .await
        .map_err(|e| AppError::internal("reading a rendered page", format!("{:?}", e.into())))?;
    let mut page = Page::new(bytes, content_type, until);
    page.deps = deps;
    let page = Arc::new(page);
    cache.keep(key.to_string(), page.clone());
    Ok(Rendered::Kept(req, page))
}
