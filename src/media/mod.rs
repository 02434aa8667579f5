//! The media library: images a clerk or official uploads for their place.
//!
//! An upload is proven to be an image by decoding it (its name and content
//! type are never trusted). Its size is checked from the header before any
//! pixel is decoded, so a small file declaring a huge picture (a
//! decompression bomb) costs nothing. The decoded picture is turned upright
//! (EXIF orientation) and re-encoded into two renditions for the TV: `full`
//! (fits 1152x648) and `tile` (360x203, cropped to fill), as baseline JPEG, or
//! PNG when the picture has transparent pixels. Re-encoding drops every piece
//! of metadata (phones put GPS positions there). The bytes live in the
//! `blobs` table, so every app instance serves the same files.
//!
//! The work is split so the web layer need not hold a database connection
//! while decoding: `authorize` (database), `prepare` (pure CPU work), `store`
//! (one write transaction, with the audit entry). `ingest` does all three.
//! Here: the kinds, sizes and rows; `pipeline` decodes and encodes, `store`
//! writes, `library` reads, `renditions` derives sizes on demand.

use std::io::Cursor;
use std::panic::{catch_unwind, AssertUnwindSafe};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::imageops::FilterType;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader, Limits};
use sha2::{Digest, Sha256};

use crate::access::{Action, Actor, PlaceScope};
use crate::audit::{self, Event};
use crate::db::schema::{blobs, media, media_renditions};
use crate::db::{self, DbConn};
use crate::error::{AppError, AppResult};
use crate::places;

mod library;
mod pipeline;
mod renditions;
mod store;
#[cfg(test)]
mod tests;

pub use library::*;
pub use pipeline::*;
pub use renditions::*;
pub use store::*;

/// The largest upload accepted, in bytes.
pub const MAX_UPLOAD_BYTES: usize = 20 * 1024 * 1024;
/// The most pixels a picture may have (40 megapixels).
pub const MAX_PIXELS: u64 = 40_000_000;
/// The longest side a picture may have, in pixels.
pub const MAX_SIDE: u32 = 20_000;
/// The box the `full` rendition fits in (never enlarged).
pub const FULL_BOX: (u32, u32) = (1152, 648);
/// The box the `page` rendition fits in: an image on a TV article page
/// below its title (760*380*4 bytes decoded, within TV.md's 2,000,000 per page).
pub const PAGE_BOX: (u32, u32) = (760, 380);
/// The exact size of the `tile` rendition.
pub const TILE_SIZE: (u32, u32) = (360, 203);
/// The exact size of the `thumb` rendition.
pub const THUMB_SIZE: (u32, u32) = (224, 126);
/// The exact size of the `sdthumb` rendition: a video poster in the SD
/// profile's grid (`Screen::poster_size`).
pub const SD_THUMB_SIZE: (u32, u32) = (176, 99);
/// The box the `sdpage` rendition fits in: the SD profile's player and the
/// images of its article pages (under its 480 px text column).
pub const SD_PAGE_BOX: (u32, u32) = (400, 225);
/// The most pictures decoded at once by this process: each may take a few
/// hundred MB while it is being decoded and resized.
const DECODE_SLOTS: usize = 2;
const JPEG_QUALITY: u8 = 82;
/// The most bytes a decoder may allocate: 40 megapixels at 16 bits per
/// channel with alpha, plus headroom for the decoder's own tables.
const MAX_DECODE_ALLOC: u64 = MAX_PIXELS * 8 + 64 * 1024 * 1024;

pub const NOT_AN_IMAGE: &str = "文件不是图片（支持 JPEG、PNG、GIF、WebP）";
pub const CORRUPT: &str = "图片文件已损坏，无法读取";
pub const TOO_LARGE: &str = "文件超过 20 MB";
pub const EMPTY: &str = "没有选择文件，或文件是空的";
const UNSUPPORTED: &str = "暂不支持这种图片编码，请另存为普通的 JPEG 或 PNG 后再上传";

/// Which stored version of an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rendition {
    /// Fits 1152x648, for an article page.
    Full,
    /// Exactly 360x203, for lists and pickers.
    Tile,
    /// Fits 760x380, for an image inside a TV article page.
    Page,
    /// Exactly 224x126, for video posters in a TV grid (eight fit a page
    /// with two lines of title each). Made from the tile when first asked
    /// for, then kept.
    Thumb,
    /// Exactly 176x99: a video poster in an SD (720x576) grid. Made from
    /// the tile when first asked for, then kept.
    SdThumb,
    /// Fits 400x225: the SD profile's player poster and article images.
    /// Made from the page rendition when first asked for, then kept.
    SdPage,
}

/// How a derived rendition is made from a stored one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// Scaled and cropped to exactly this size.
    Exact(u32, u32),
    /// Shrunk to fit this box, keeping its aspect.
    Fit(u32, u32),
}

impl Rendition {
    pub fn as_str(self) -> &'static str {
        match self {
            Rendition::Full => "full",
            Rendition::Tile => "tile",
            Rendition::Page => "page",
            Rendition::Thumb => "thumb",
            Rendition::SdThumb => "sdthumb",
            Rendition::SdPage => "sdpage",
        }
    }

    /// For a rendition made on demand: the stored one it is made from and
    /// how. `None` for those made at upload.
    fn derived(self) -> Option<(Rendition, Shape)> {
        match self {
            Rendition::Full | Rendition::Tile | Rendition::Page => None,
            Rendition::Thumb => Some((Rendition::Tile, Shape::Exact(THUMB_SIZE.0, THUMB_SIZE.1))),
            Rendition::SdThumb => Some((
                Rendition::Tile,
                Shape::Exact(SD_THUMB_SIZE.0, SD_THUMB_SIZE.1),
            )),
            Rendition::SdPage => Some((Rendition::Page, Shape::Fit(SD_PAGE_BOX.0, SD_PAGE_BOX.1))),
        }
    }

    /// The rendition of article images on a TV page of this profile.
    pub fn page_for(sd: bool) -> Rendition {
        if sd {
            Rendition::SdPage
        } else {
            Rendition::Page
        }
    }

    /// The rendition of a video poster in a TV grid of this profile.
    pub fn thumb_for(sd: bool) -> Rendition {
        if sd {
            Rendition::SdThumb
        } else {
            Rendition::Thumb
        }
    }

    pub fn parse(s: &str) -> Option<Rendition> {
        match s {
            "full" => Some(Rendition::Full),
            "tile" => Some(Rendition::Tile),
            "page" => Some(Rendition::Page),
            "thumb" => Some(Rendition::Thumb),
            "sdthumb" => Some(Rendition::SdThumb),
            "sdpage" => Some(Rendition::SdPage),
            _ => None,
        }
    }
}

/// The address a rendition of a public medium is served at (TV pages show
/// only live content, whose media are public). A medium's own addresses,
/// [`Media::url`], carry its unguessable token instead.
pub fn url(id: i64, kind: Rendition) -> String {
    format!("/media/{id}/{}", kind.as_str())
}

/// How a `/media/{key}/…` address names a medium.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    /// 32 hex digits of randomness, made at upload.
    Token(String),
    /// The row id: older addresses, and TV pages' addresses of public media.
    Id(i64),
}

impl Key {
    pub fn parse(s: &str) -> Option<Key> {
        if s.len() == TOKEN_HEX && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Some(Key::Token(s.to_string()));
        }
        if s.is_empty() || s.len() > 18 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse().ok().map(Key::Id)
    }
}

const TOKEN_HEX: usize = 32;

/// One image of a place's library.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = media)]
pub struct Media {
    pub id: i64,
    pub place_id: i64,
    pub uploaded_by: Option<i64>,
    pub original_name: String,
    /// Size of the uploaded picture, upright.
    pub width: i32,
    pub height: i32,
    pub full_blob_id: i64,
    pub full_width: i32,
    pub full_height: i32,
    pub tile_blob_id: i64,
    pub tile_width: i32,
    pub tile_height: i32,
    pub page_blob_id: i64,
    pub page_width: i32,
    pub page_height: i32,
    pub created_at: NaiveDateTime,
    /// The unguessable part of the medium's addresses.
    pub token: String,
    /// Shown to anyone: live content uses it. Until then only back-office
    /// users who may see its place get it.
    pub is_public: bool,
}

impl Media {
    pub fn url(&self) -> String {
        format!("/media/{}/{}", self.token, Rendition::Full.as_str())
    }

    pub fn tile_url(&self) -> String {
        format!("/media/{}/{}", self.token, Rendition::Tile.as_str())
    }
}

#[derive(Insertable)]
#[diesel(table_name = media)]
struct NewMedia<'a> {
    place_id: i64,
    uploaded_by: Option<i64>,
    original_name: &'a str,
    width: i32,
    height: i32,
    full_blob_id: i64,
    full_width: i32,
    full_height: i32,
    tile_blob_id: i64,
    tile_width: i32,
    tile_height: i32,
    page_blob_id: i64,
    page_width: i32,
    page_height: i32,
    created_at: NaiveDateTime,
    token: &'a str,
}

#[derive(Insertable)]
#[diesel(table_name = blobs)]
struct NewBlob<'a> {
    sha256: &'a str,
    content_type: &'a str,
    size: i64,
    data: &'a [u8],
    created_at: NaiveDateTime,
}

/// An encoded rendition, ready to store.
#[derive(Debug, Clone)]
pub struct Encoded {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
    pub width: u32,
    pub height: u32,
}

/// An upload that passed every check, with its renditions.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The picture's size, upright.
    pub width: u32,
    pub height: u32,
    pub full: Encoded,
    pub tile: Encoded,
    pub page: Encoded,
}

/// A rendition's stored bytes.
#[derive(Debug, Clone)]
pub struct StoredRendition {
    pub data: Vec<u8>,
    pub content_type: String,
    /// Hex SHA-256 of `data`: the ETag.
    pub sha256: String,
}

// ------------------------------------------------------------ permissions

/// Fails with 403 unless the actor may add media to this place.
pub fn authorize(conn: &mut DbConn, actor: &Actor, place_id: i64) -> AppResult<PlaceScope> {
    let scope = places::scope_of(conn, place_id)?;
    actor.require(Action::EditContent, &scope)?;
    Ok(scope)
}
