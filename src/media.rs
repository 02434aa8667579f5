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

use std::io::Cursor;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Condvar, Mutex};

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

// ------------------------------------------------------------ the pipeline

/// Checks, decodes and renders an upload (pure CPU work, no database).
/// Every refusal carries the reason to show the uploader.
pub fn prepare(bytes: &[u8]) -> AppResult<Prepared> {
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(AppError::PayloadTooLarge);
    }
    if bytes.is_empty() {
        return Err(AppError::BadRequest(EMPTY.into()));
    }
    let format = sniff(bytes)?;
    if format == ImageFormat::Jpeg && !jpeg_is_complete(bytes) {
        return Err(AppError::BadRequest(CORRUPT.into()));
    }
    let _slot = DecodeSlot::take();
    // The decoders are third-party code fed with untrusted bytes: a panic in
    // one must become a refusal, not a dead worker.
    match catch_unwind(AssertUnwindSafe(|| render(bytes, format))) {
        Ok(result) => result,
        Err(_) => {
            log::error!("image decoder panicked on an upload ({format:?})");
            Err(AppError::BadRequest(CORRUPT.into()))
        }
    }
}

fn render(bytes: &[u8], format: ImageFormat) -> AppResult<Prepared> {
    let picture = decode(bytes, format)?;
    let transparent = has_transparency(&picture);
    let (width, height) = (picture.width(), picture.height());
    let full = fit(&picture, FULL_BOX);
    let tile = fill(tile_source(&picture, &full), TILE_SIZE);
    let page = fit(&full, PAGE_BOX);
    // The source is no longer needed; free it before encoding.
    drop(picture);
    Ok(Prepared {
        width,
        height,
        full: encode(&full, transparent)?,
        tile: encode(&tile, transparent)?,
        page: encode(&page, transparent)?,
    })
}

/// The format the bytes are in, from their first bytes only.
pub(crate) fn sniff(bytes: &[u8]) -> AppResult<ImageFormat> {
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| AppError::BadRequest(NOT_AN_IMAGE.into()))?;
    match reader.format() {
        Some(f @ (ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::Gif | ImageFormat::WebP)) => {
            Ok(f)
        }
        _ => Err(AppError::BadRequest(NOT_AN_IMAGE.into())),
    }
}

/// Refuses pictures with too many pixels or too long a side.
fn check_dimensions(width: u32, height: u32) -> AppResult<()> {
    if width == 0 || height == 0 {
        return Err(AppError::BadRequest(CORRUPT.into()));
    }
    let pixels = u64::from(width) * u64::from(height);
    if pixels > MAX_PIXELS {
        return Err(AppError::BadRequest(format!(
            "图片太大：{width}×{height} 像素，最多 4000 万像素"
        )));
    }
    if width > MAX_SIDE || height > MAX_SIDE {
        return Err(AppError::BadRequest(format!(
            "图片太大：{width}×{height} 像素，长和宽最多 {MAX_SIDE} 像素"
        )));
    }
    Ok(())
}

fn image_error(e: ImageError) -> AppError {
    match e {
        ImageError::Limits(_) => AppError::BadRequest("图片太大，无法处理".into()),
        ImageError::Unsupported(_) => AppError::BadRequest(UNSUPPORTED.into()),
        _ => AppError::BadRequest(CORRUPT.into()),
    }
}

/// Decodes the picture and turns it upright. The size comes from the header
/// and is checked before any pixel is decoded.
pub(crate) fn decode(bytes: &[u8], format: ImageFormat) -> AppResult<DynamicImage> {
    // Reading the header needs little memory whatever size it declares.
    let mut header_limits = Limits::default();
    header_limits.max_image_width = None;
    header_limits.max_image_height = None;
    header_limits.max_alloc = Some(64 * 1024 * 1024);
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(header_limits);
    let mut decoder = reader.into_decoder().map_err(image_error)?;
    let (width, height) = decoder.dimensions();
    check_dimensions(width, height)?;

    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    decoder.set_limits(limits).map_err(image_error)?;
    if decoder.total_bytes() > MAX_DECODE_ALLOC {
        return Err(AppError::BadRequest("图片太大，无法处理".into()));
    }
    // Unreadable EXIF is no reason to refuse a picture: it stays as stored.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut picture = DynamicImage::from_decoder(decoder).map_err(image_error)?;
    picture.apply_orientation(orientation);
    // 8 bits per channel from here on (16-bit PNGs, grey, palette...).
    Ok(if picture.color().has_alpha() {
        DynamicImage::ImageRgba8(picture.into_rgba8())
    } else {
        DynamicImage::ImageRgb8(picture.into_rgb8())
    })
}

/// Whether any pixel is less than fully opaque.
fn has_transparency(picture: &DynamicImage) -> bool {
    match picture {
        DynamicImage::ImageRgba8(buf) => buf.pixels().any(|p| p.0[3] < u8::MAX),
        other if other.color().has_alpha() => other.to_rgba8().pixels().any(|p| p.0[3] < u8::MAX),
        _ => false,
    }
}

/// The size that fits `width`x`height` inside the box keeping its aspect,
/// never larger than it is; each side at least 1.
pub fn fit_size(width: u32, height: u32, (max_w, max_h): (u32, u32)) -> (u32, u32) {
    if width <= max_w && height <= max_h {
        return (width, height);
    }
    let (w, h) = (u64::from(width), u64::from(height));
    let (mw, mh) = (u64::from(max_w), u64::from(max_h));
    // Limited by the width when w/h >= mw/mh.
    let (nw, nh) = if w * mh >= h * mw {
        (mw, ((h * mw + w / 2) / w).max(1))
    } else {
        (((w * mh + h / 2) / h).max(1), mh)
    };
    (
        u32::try_from(nw).unwrap_or(max_w),
        u32::try_from(nh).unwrap_or(max_h),
    )
}

/// Shrinks a picture (never enlarges) to fit the box.
fn fit(picture: &DynamicImage, bounds: (u32, u32)) -> DynamicImage {
    let (w, h) = fit_size(picture.width(), picture.height(), bounds);
    if (w, h) == (picture.width(), picture.height()) {
        return picture.clone();
    }
    // Shrinking by half or more: area averaging is fast (a 12 MP photo in a
    // tenth of a second) and does not alias. Closer to the original size it
    // would; a Lanczos filter does better there and is cheap on such sizes.
    if picture.width() >= 2 * w && picture.height() >= 2 * h {
        picture.thumbnail_exact(w, h)
    } else {
        picture.resize_exact(w, h, FilterType::Lanczos3)
    }
}

/// Scales and crops the picture to exactly `size`, keeping its centre.
pub(crate) fn fill(picture: &DynamicImage, (w, h): (u32, u32)) -> DynamicImage {
    if (picture.width(), picture.height()) == (w, h) {
        return picture.clone();
    }
    picture.resize_to_fill(w, h, FilterType::Lanczos3)
}

/// The smaller picture that still covers the tile: the full rendition
/// usually (cheaper), the original when the full one became too small (a
/// long panorama).
fn tile_source<'a>(original: &'a DynamicImage, full: &'a DynamicImage) -> &'a DynamicImage {
    let (tw, th) = TILE_SIZE;
    let covers = |p: &DynamicImage| p.width() >= tw && p.height() >= th;
    if covers(full) || !covers(original) {
        full
    } else {
        original
    }
}

/// Baseline JPEG, or PNG when the picture has transparent pixels. Nothing
/// but pixels is written: no EXIF, no GPS, no comments.
fn encode(picture: &DynamicImage, transparent: bool) -> AppResult<Encoded> {
    let mut bytes = Vec::new();
    let content_type = if transparent {
        picture
            .to_rgba8()
            .write_with_encoder(PngEncoder::new(&mut bytes))
            .map_err(AppError::because("PNG encoding"))?;
        "image/png"
    } else {
        // image's JPEG encoder writes baseline (SOF0) JPEG, which every
        // set-top box decodes.
        JpegEncoder::new_with_quality(&mut bytes, JPEG_QUALITY)
            .encode_image(&picture.to_rgb8())
            .map_err(AppError::because("JPEG encoding"))?;
        "image/jpeg"
    };
    Ok(Encoded {
        bytes,
        content_type,
        width: picture.width(),
        height: picture.height(),
    })
}

/// Whether a JPEG file runs to its end-of-image marker. The decoder fills a
/// cut-off picture with grey instead of failing, so a truncated upload is
/// caught here: the segments are walked (an EXIF thumbnail's own end marker
/// lies inside its segment and is skipped), then the entropy-coded data of
/// each scan, up to EOI.
pub fn jpeg_is_complete(b: &[u8]) -> bool {
    if !b.starts_with(&[0xFF, 0xD8]) {
        return false;
    }
    let mut i = 2;
    loop {
        // A marker: 0xFF (any number of fill bytes), then its code.
        if b.get(i) != Some(&0xFF) {
            return false;
        }
        while b.get(i) == Some(&0xFF) {
            i += 1;
        }
        let Some(&code) = b.get(i) else {
            return false;
        };
        i += 1;
        match code {
            0xD9 => return true,
            // Markers without a length: TEM and restart markers.
            0x01 | 0xD0..=0xD7 => continue,
            0x00 => return false,
            _ => {}
        }
        let (Some(&hi), Some(&lo)) = (b.get(i), b.get(i + 1)) else {
            return false;
        };
        let len = usize::from(u16::from_be_bytes([hi, lo]));
        if len < 2 || i + len > b.len() {
            return false;
        }
        i += len;
        if code == 0xDA {
            // Entropy-coded data runs to the next marker that is neither a
            // stuffed 0xFF00 nor a restart marker.
            loop {
                let Some(skip) = b
                    .get(i..)
                    .and_then(|rest| rest.iter().position(|&x| x == 0xFF))
                else {
                    return false;
                };
                i += skip;
                match b.get(i + 1) {
                    Some(0x00 | 0xD0..=0xD7) => i += 2,
                    Some(0xFF) => i += 1,
                    Some(_) => break,
                    None => return false,
                }
            }
        }
    }
}

/// At most `DECODE_SLOTS` pictures are decoded at once; others wait.
struct DecodeSlot;

static BUSY: Mutex<usize> = Mutex::new(0);
static FREED: Condvar = Condvar::new();

impl DecodeSlot {
    fn take() -> DecodeSlot {
        let mut busy = BUSY.lock().unwrap_or_else(|e| e.into_inner());
        while *busy >= DECODE_SLOTS {
            busy = FREED.wait(busy).unwrap_or_else(|e| e.into_inner());
        }
        *busy += 1;
        DecodeSlot
    }
}

impl Drop for DecodeSlot {
    fn drop(&mut self) {
        let mut busy = BUSY.lock().unwrap_or_else(|e| e.into_inner());
        *busy = busy.saturating_sub(1);
        FREED.notify_one();
    }
}

// ------------------------------------------------------------ storage

/// The file name as shown in the library: no folders (some browsers send
/// `C:\fakepath\...`), no control characters, at most 100 characters.
pub fn clean_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let cleaned: String = base.chars().filter(|c| !c.is_control()).take(100).collect();
    let cleaned = cleaned.trim();
    if cleaned.is_empty() {
        "未命名图片".into()
    } else {
        cleaned.to_string()
    }
}

fn int(v: u32) -> i32 {
    // Sizes are checked against MAX_SIDE long before they get here.
    i32::try_from(v).unwrap_or(i32::MAX)
}

/// Stores bytes once: an identical rendition already stored is reused.
fn put_blob(conn: &mut DbConn, encoded: &Encoded) -> AppResult<i64> {
    let sha = hex::encode(Sha256::digest(&encoded.bytes));
    let size = i64::try_from(encoded.bytes.len()).unwrap_or(i64::MAX);
    let existing = blobs::table
        .filter(blobs::sha256.eq(&sha))
        .filter(blobs::size.eq(size))
        .filter(blobs::content_type.eq(encoded.content_type))
        .select(blobs::id)
        .first::<i64>(conn)
        .optional()?;
    if let Some(id) = existing {
        return Ok(id);
    }
    diesel::insert_into(blobs::table)
        .values(NewBlob {
            sha256: &sha,
            content_type: encoded.content_type,
            size,
            data: &encoded.bytes,
            created_at: crate::time::now(),
        })
        .execute(conn)?;
    Ok(db::last_insert_id(conn)?)
}

/// Stores a prepared upload in the place's library, with its audit entry,
/// in one write transaction. Checks the permission again.
pub fn store(
    conn: &mut DbConn,
    actor: &Actor,
    place_id: i64,
    original_name: &str,
    prepared: &Prepared,
) -> AppResult<Media> {
    authorize(conn, actor, place_id)?;
    let name = clean_name(original_name);
    db::write(conn, |c| {
        let full_blob_id = put_blob(c, &prepared.full)?;
        let tile_blob_id = put_blob(c, &prepared.tile)?;
        let page_blob_id = put_blob(c, &prepared.page)?;
        diesel::insert_into(media::table)
            .values(NewMedia {
                place_id,
                uploaded_by: actor.user_id,
                original_name: &name,
                width: int(prepared.width),
                height: int(prepared.height),
                full_blob_id,
                full_width: int(prepared.full.width),
                full_height: int(prepared.full.height),
                tile_blob_id,
                tile_width: int(prepared.tile.width),
                tile_height: int(prepared.tile.height),
                page_blob_id,
                page_width: int(prepared.page.width),
                page_height: int(prepared.page.height),
                created_at: crate::time::now(),
                token: &crate::crypto::random_hex(TOKEN_HEX / 2),
            })
            .execute(c)?;
        let id = db::last_insert_id(c)?;
        audit::record(
            c,
            actor,
            Event {
                action: "media.upload",
                target_type: "media",
                target_id: Some(id),
                place_id: Some(place_id),
                summary: format!(
                    "{name}: {}x{} -> full {}x{} {}, tile {}x{}",
                    prepared.width,
                    prepared.height,
                    prepared.full.width,
                    prepared.full.height,
                    prepared.full.content_type,
                    prepared.tile.width,
                    prepared.tile.height
                ),
            },
        )?;
        get(c, id)
    })
}

/// Checks, renders and stores an upload for `place_id` in one go.
pub fn ingest(
    conn: &mut DbConn,
    actor: &Actor,
    place_id: i64,
    original_name: &str,
    bytes: &[u8],
) -> AppResult<Media> {
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(AppError::PayloadTooLarge);
    }
    authorize(conn, actor, place_id)?;
    let prepared = prepare(bytes)?;
    store(conn, actor, place_id, original_name, &prepared)
}

// ------------------------------------------------------------ reading

/// The sizes of the images with these keys as a TV article page of this
/// profile shows them (`Rendition::page_for`): (key, id, width, height).
pub fn page_sizes(
    conn: &mut DbConn,
    keys: &[String],
    sd: bool,
) -> AppResult<Vec<(String, i64, i32, i32)>> {
    let (ids, tokens) = split_keys(keys);
    let rows: Vec<(i64, String, i32, i32)> = media::table
        .filter(media::id.eq_any(ids).or(media::token.eq_any(tokens)))
        .select((
            media::id,
            media::token,
            media::page_width,
            media::page_height,
        ))
        .load(conn)?;
    Ok(keys
        .iter()
        .filter_map(|key| {
            let row = match Key::parse(key)? {
                Key::Id(id) => rows.iter().find(|r| r.0 == id),
                Key::Token(t) => rows.iter().find(|r| r.1 == t),
            }?;
            if !sd {
                return Some((key.clone(), row.0, row.2, row.3));
            }
            // What `derive` makes of the page rendition: the same sizes.
            let (w, h) = sd_page_size(row.2, row.3);
            Some((key.clone(), row.0, w, h))
        })
        .collect())
}

fn split_keys(keys: &[String]) -> (Vec<i64>, Vec<String>) {
    let mut ids = Vec::new();
    let mut tokens = Vec::new();
    for key in keys.iter().filter_map(|k| Key::parse(k)) {
        match key {
            Key::Id(id) => ids.push(id),
            Key::Token(t) => tokens.push(t),
        }
    }
    (ids, tokens)
}

/// Makes public the media live content now shows: the images of a body
/// (by their keys) and a video's poster. Inside the publishing transaction.
pub fn make_public(conn: &mut DbConn, keys: &[String], poster: Option<i64>) -> AppResult<()> {
    let (mut ids, tokens) = split_keys(keys);
    ids.extend(poster);
    if ids.is_empty() && tokens.is_empty() {
        return Ok(());
    }
    diesel::update(
        media::table
            .filter(media::is_public.eq(false))
            .filter(media::id.eq_any(ids).or(media::token.eq_any(tokens))),
    )
    .set(media::is_public.eq(true))
    .execute(conn)?;
    Ok(())
}

/// Who may see a medium: (id, place, public).
pub fn visibility(conn: &mut DbConn, key: &Key) -> AppResult<(i64, i64, bool)> {
    let q = media::table.select((media::id, media::place_id, media::is_public));
    let row = match key {
        Key::Id(id) => q.filter(media::id.eq(*id)).first(conn).optional()?,
        Key::Token(t) => q.filter(media::token.eq(t)).first(conn).optional()?,
    };
    row.ok_or_else(|| AppError::not_found("这张图片"))
}

pub fn get(conn: &mut DbConn, id: i64) -> AppResult<Media> {
    media::table
        .find(id)
        .select(Media::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("这张图片"))
}

/// Whether `id` is an image of `place_id`'s own library (what a record of
/// that place may show).
pub fn of_place(conn: &mut DbConn, id: i64, place_id: i64) -> AppResult<bool> {
    Ok(media::table
        .filter(media::id.eq(id))
        .filter(media::place_id.eq(place_id))
        .select(media::id)
        .first::<i64>(conn)
        .optional()?
        .is_some())
}

/// How many of a place's newest images a record's form offers to pick from.
pub const CHOICES: i64 = 12;

/// The images a form of a record of `place_id` offers: those `chosen`
/// first, in their order (a form posts them in the order shown), then the
/// place's newest, `CHOICES` in all at least.
pub fn choices(conn: &mut DbConn, place_id: i64, chosen: &[i64]) -> AppResult<Vec<Media>> {
    let mut out: Vec<Media> = Vec::new();
    for id in chosen {
        if !out.iter().any(|m| m.id == *id) && of_place(conn, *id, place_id)? {
            out.push(get(conn, *id)?);
        }
    }
    let (newest, _) = list_for_place(conn, place_id, 1, CHOICES)?;
    for m in newest {
        if !out.iter().any(|o| o.id == m.id) {
            out.push(m);
        }
    }
    Ok(out)
}

/// A page of a place's library, newest first, and the total count. A page
/// past the end gives the last page.
pub fn list_for_place(
    conn: &mut DbConn,
    place_id: i64,
    page: i64,
    per_page: i64,
) -> AppResult<(Vec<Media>, i64)> {
    let per_page = per_page.clamp(1, 500);
    let total: i64 = media::table
        .filter(media::place_id.eq(place_id))
        .count()
        .get_result(conn)?;
    let pager = crate::pager::Pager::new(page, per_page).within(total);
    let rows = media::table
        .filter(media::place_id.eq(place_id))
        .order((media::created_at.desc(), media::id.desc()))
        .limit(pager.per_page())
        .offset(pager.offset())
        .select(Media::as_select())
        .load(conn)?;
    Ok((rows, total))
}

/// The size of the `sdpage` rendition of a page rendition this size.
pub fn sd_page_size(page_width: i32, page_height: i32) -> (i32, i32) {
    let side = |v: i32| u32::try_from(v.max(1)).unwrap_or(1);
    let (w, h) = fit_size(side(page_width), side(page_height), SD_PAGE_BOX);
    (int(w), int(h))
}

/// The blob of a rendition made at upload.
fn stored_blob_id(conn: &mut DbConn, id: i64, kind: Rendition) -> AppResult<i64> {
    let (full, tile, page) = media::table
        .find(id)
        .select((
            media::full_blob_id,
            media::tile_blob_id,
            media::page_blob_id,
        ))
        .first::<(i64, i64, i64)>(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("这张图片"))?;
    Ok(match kind {
        Rendition::Full => full,
        Rendition::Tile | Rendition::Thumb | Rendition::SdThumb => tile,
        Rendition::Page | Rendition::SdPage => page,
    })
}

/// The blob of any rendition: a derived one is made and kept the first
/// time it is asked for, so it is resized once for every instance.
fn blob_id(conn: &mut DbConn, id: i64, kind: Rendition) -> AppResult<i64> {
    let Some((source, shape)) = kind.derived() else {
        return stored_blob_id(conn, id, kind);
    };
    if let Some(blob) = kept_blob_id(conn, id, kind)? {
        return Ok(blob);
    }
    let source_blob = stored_blob_id(conn, id, source)?;
    let (data, content_type) = blobs::table
        .find(source_blob)
        .select((blobs::data, blobs::content_type))
        .first::<(Vec<u8>, String)>(conn)?;
    let encoded = derive(id, &data, &content_type, shape)?;
    let kept = db::write(conn, |c| -> AppResult<i64> {
        if let Some(blob) = kept_blob_id(c, id, kind)? {
            return Ok(blob);
        }
        let blob = put_blob(c, &encoded)?;
        diesel::insert_into(media_renditions::table)
            .values((
                media_renditions::media_id.eq(id),
                media_renditions::kind.eq(kind.as_str()),
                media_renditions::blob_id.eq(blob),
                media_renditions::width.eq(int(encoded.width)),
                media_renditions::height.eq(int(encoded.height)),
                media_renditions::created_at.eq(crate::time::now()),
            ))
            .execute(c)?;
        Ok(blob)
    });
    match kept {
        Ok(blob) => Ok(blob),
        // Another instance kept it first (PostgreSQL): use theirs.
        Err(e) => kept_blob_id(conn, id, kind)?.ok_or(e),
    }
}

fn kept_blob_id(conn: &mut DbConn, id: i64, kind: Rendition) -> AppResult<Option<i64>> {
    Ok(media_renditions::table
        .find((id, kind.as_str()))
        .select(media_renditions::blob_id)
        .first::<i64>(conn)
        .optional()?)
}

/// Resizes a stored rendition's bytes into a derived one.
fn derive(id: i64, data: &[u8], content_type: &str, shape: Shape) -> AppResult<Encoded> {
    let format = if content_type == "image/png" {
        ImageFormat::Png
    } else {
        ImageFormat::Jpeg
    };
    let source = image::load_from_memory_with_format(data, format)
        .map_err(|e| AppError::internal(format!("stored rendition of {id} does not decode"), e))?;
    let resized = match shape {
        Shape::Exact(w, h) if (source.width(), source.height()) == (w, h) => source,
        Shape::Exact(w, h) => source.resize_to_fill(w, h, FilterType::Triangle),
        Shape::Fit(w, h) => fit(&source, (w, h)),
    };
    encode(&resized, format == ImageFormat::Png)
}

/// The hex SHA-256 of a rendition (its ETag), without loading its bytes.
pub fn rendition_sha(conn: &mut DbConn, id: i64, kind: Rendition) -> AppResult<String> {
    let blob = blob_id(conn, id, kind)?;
    Ok(blobs::table.find(blob).select(blobs::sha256).first(conn)?)
}

/// A rendition's bytes, content type and hash.
pub fn rendition(conn: &mut DbConn, id: i64, kind: Rendition) -> AppResult<StoredRendition> {
    let blob = blob_id(conn, id, kind)?;
    let (data, content_type, sha256) = blobs::table
        .find(blob)
        .select((blobs::data, blobs::content_type, blobs::sha256))
        .first::<(Vec<u8>, String, String)>(conn)?;
    Ok(StoredRendition {
        data,
        content_type,
        sha256,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageEncoder, Rgb, RgbImage, Rgba, RgbaImage};

    fn jpeg(w: u32, h: u32) -> Vec<u8> {
        let img = RgbImage::from_fn(w, h, |x, y| Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
        let mut out = Vec::new();
        JpegEncoder::new_with_quality(&mut out, 80)
            .encode_image(&img)
            .unwrap();
        out
    }

    fn png_rgba(w: u32, h: u32, alpha: u8) -> Vec<u8> {
        let img = RgbaImage::from_pixel(w, h, Rgba([10, 200, 30, alpha]));
        let mut out = Vec::new();
        PngEncoder::new(&mut out)
            .write_image(img.as_raw(), w, h, image::ExtendedColorType::Rgba8)
            .unwrap();
        out
    }

    #[test]
    fn fit_keeps_aspect_and_never_enlarges() {
        assert_eq!(fit_size(3000, 2000, FULL_BOX), (972, 648));
        assert_eq!(fit_size(4000, 1000, FULL_BOX), (1152, 288));
        assert_eq!(fit_size(1920, 1080, FULL_BOX), (1152, 648));
        assert_eq!(fit_size(200, 400, FULL_BOX), (200, 400));
        assert_eq!(fit_size(1152, 648, FULL_BOX), (1152, 648));
        assert_eq!(fit_size(20000, 1, FULL_BOX), (1152, 1));
        assert_eq!(fit_size(1, 20000, FULL_BOX), (1, 648));
    }

    #[test]
    fn dimension_limits() {
        assert!(check_dimensions(8000, 5000).is_ok());
        assert!(check_dimensions(20000, 2000).is_ok());
        let err = check_dimensions(50000, 50000).unwrap_err().to_string();
        assert!(
            err.contains("50000×50000") && err.contains("4000 万"),
            "{err}"
        );
        let err = check_dimensions(20001, 10).unwrap_err().to_string();
        assert!(err.contains("20000"), "{err}");
        assert!(check_dimensions(0, 10).is_err());
    }

    #[test]
    fn sniffing_looks_at_bytes_only() {
        assert_eq!(sniff(&jpeg(8, 8)).unwrap(), ImageFormat::Jpeg);
        assert_eq!(sniff(&png_rgba(2, 2, 255)).unwrap(), ImageFormat::Png);
        assert_eq!(sniff(b"GIF89a\x01\x00\x01\x00").unwrap(), ImageFormat::Gif);
        for bad in [
            &b"hello, this is text"[..],
            b"BM\0\0\0\0",
            b"%PDF-1.4",
            b"\0",
        ] {
            assert_eq!(sniff(bad).unwrap_err().to_string(), NOT_AN_IMAGE);
        }
    }

    #[test]
    fn truncated_jpegs_are_caught() {
        let full = jpeg(64, 48);
        assert!(jpeg_is_complete(&full));
        let mut trailing = full.clone();
        trailing.extend_from_slice(b"junk after the end");
        assert!(jpeg_is_complete(&trailing));
        for cut in [2, 10, full.len() / 2, full.len() - 1, full.len() - 2] {
            assert!(!jpeg_is_complete(&full[..cut]), "cut at {cut}");
        }
        assert!(!jpeg_is_complete(b"\xFF\xD8\xFF\xE0\x00"));
        assert!(!jpeg_is_complete(b"not a jpeg"));
    }

    #[test]
    fn transparency_decides_the_format() {
        let opaque = prepare(&png_rgba(40, 30, 255)).unwrap();
        assert_eq!(opaque.full.content_type, "image/jpeg");
        let clear = prepare(&png_rgba(40, 30, 128)).unwrap();
        assert_eq!(clear.full.content_type, "image/png");
        assert_eq!(clear.tile.content_type, "image/png");
        assert_eq!((clear.full.width, clear.full.height), (40, 30));
        assert_eq!((clear.tile.width, clear.tile.height), TILE_SIZE);
    }

    #[test]
    fn renditions_have_their_sizes() {
        let p = prepare(&jpeg(2000, 1000)).unwrap();
        assert_eq!((p.width, p.height), (2000, 1000));
        assert_eq!((p.full.width, p.full.height), (1152, 576));
        assert_eq!((p.tile.width, p.tile.height), TILE_SIZE);
        let back = image::load_from_memory(&p.full.bytes).unwrap();
        assert_eq!((back.width(), back.height()), (1152, 576));
        // A long panorama: the tile comes from the original, still exact.
        let p = prepare(&jpeg(4000, 250)).unwrap();
        assert_eq!((p.full.width, p.full.height), (1152, 72));
        assert_eq!((p.tile.width, p.tile.height), TILE_SIZE);
    }

    #[test]
    fn bad_bytes_get_reasons() {
        assert_eq!(prepare(b"").unwrap_err().to_string(), EMPTY);
        assert_eq!(
            prepare(b"plain text, not a picture")
                .unwrap_err()
                .to_string(),
            NOT_AN_IMAGE
        );
        let j = jpeg(64, 64);
        assert_eq!(prepare(&j[..j.len() / 2]).unwrap_err().to_string(), CORRUPT);
        let p = png_rgba(64, 64, 255);
        assert_eq!(
            prepare(&p[..p.len() - 20]).unwrap_err().to_string(),
            CORRUPT
        );
        let big = vec![0u8; MAX_UPLOAD_BYTES + 1];
        assert!(matches!(prepare(&big), Err(AppError::PayloadTooLarge)));
    }

    #[test]
    fn derived_renditions_have_their_sizes() {
        let p = prepare(&jpeg(2000, 1000)).unwrap();
        let thumb = derive(1, &p.tile.bytes, p.tile.content_type, Shape::Exact(176, 99)).unwrap();
        assert_eq!((thumb.width, thumb.height), SD_THUMB_SIZE);
        let back = image::load_from_memory(&thumb.bytes).unwrap();
        assert_eq!((back.width(), back.height()), SD_THUMB_SIZE);
        let (bw, bh) = SD_PAGE_BOX;
        let sd = derive(1, &p.page.bytes, p.page.content_type, Shape::Fit(bw, bh)).unwrap();
        let expect = sd_page_size(int(p.page.width), int(p.page.height));
        assert_eq!((int(sd.width), int(sd.height)), expect);
        assert_eq!(expect, (400, 200));
        // Small pictures are never enlarged.
        assert_eq!(sd_page_size(120, 80), (120, 80));
        let clear = prepare(&png_rgba(40, 30, 128)).unwrap();
        let sd = derive(
            1,
            &clear.page.bytes,
            clear.page.content_type,
            Shape::Fit(bw, bh),
        )
        .unwrap();
        assert_eq!(sd.content_type, "image/png");
        assert!(derive(1, b"junk", "image/jpeg", Shape::Fit(bw, bh)).is_err());
    }

    #[test]
    fn names_are_cleaned() {
        assert_eq!(clean_name("C:\\fakepath\\照片.jpg"), "照片.jpg");
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("a\0b\nc.png"), "abc.png");
        assert_eq!(clean_name("  "), "未命名图片");
        assert_eq!(clean_name(&"长".repeat(300)).chars().count(), 100);
    }

    #[test]
    fn rendition_names() {
        assert_eq!(Rendition::parse("full"), Some(Rendition::Full));
        assert_eq!(Rendition::parse("tile"), Some(Rendition::Tile));
        assert_eq!(Rendition::parse("orig"), None);
        for kind in [
            Rendition::Full,
            Rendition::Tile,
            Rendition::Page,
            Rendition::Thumb,
            Rendition::SdThumb,
            Rendition::SdPage,
        ] {
            assert_eq!(Rendition::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(url(7, Rendition::Tile), "/media/7/tile");
    }
}
