//! Static files embedded in the binary, served under a content-hashed URL
//! (`/static/{hash}/{file}`) so browsers and set-top boxes may keep them a year.

use std::collections::HashMap;
use std::sync::OnceLock;

use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};
use rust_embed::RustEmbed;
use sha2::{Digest, Sha256};

use crate::error::AppError;

#[derive(RustEmbed)]
#[folder = "static/"]
struct Static;

fn hashes() -> &'static HashMap<String, String> {
    static HASHES: OnceLock<HashMap<String, String>> = OnceLock::new();
    HASHES.get_or_init(|| {
        Static::iter()
            .filter_map(|name| {
                let file = Static::get(&name)?;
                let digest = Sha256::digest(&file.data);
                Some((name.to_string(), hex::encode(&digest[..8])))
            })
            .collect()
    })
}

/// The versioned URL of a static file, for templates.
pub fn url(name: &str) -> String {
    match hashes().get(name) {
        Some(hash) => format!("/static/{hash}/{name}"),
        None => format!("/static/missing/{name}"),
    }
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "application/javascript; charset=utf-8",
        Some("png") => "image/png",
        Some("jpg") | Some("jpeg") => "image/jpeg",
        Some("ico") => "image/x-icon",
        _ => "application/octet-stream",
    }
}

#[get("/static/{hash}/{name:.*}")]
pub async fn serve(
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (hash, name) = path.into_inner();
    let current = hashes()
        .get(&name)
        .ok_or_else(|| AppError::not_found("这个文件"))?;
    let file = Static::get(&name).ok_or_else(|| AppError::not_found("这个文件"))?;
    let etag = format!("\"{current}\"");
    // An old hash still gets the current file, but only briefly cached.
    let cache = if &hash == current {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=300"
    };
    let matches = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut res = if matches {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    res.insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, cache));
    if matches {
        return Ok(res.finish());
    }
    Ok(res
        .content_type(content_type(&name))
        .body(file.data.into_owned()))
}
