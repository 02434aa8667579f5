//! From uploaded bytes to renditions, without the database: checking the
//! size before decoding, decoding under a memory limit and a slot, turning
//! the picture upright, fitting and encoding.

use super::*;

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
    let _slot = DECODING.take(DECODE_SLOTS);
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

pub(super) fn render(bytes: &[u8], format: ImageFormat) -> AppResult<Prepared> {
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
pub(super) fn check_dimensions(width: u32, height: u32) -> AppResult<()> {
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

pub(super) fn image_error(e: ImageError) -> AppError {
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
pub(super) fn has_transparency(picture: &DynamicImage) -> bool {
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
pub(super) fn fit(picture: &DynamicImage, bounds: (u32, u32)) -> DynamicImage {
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
pub(super) fn tile_source<'a>(
    original: &'a DynamicImage,
    full: &'a DynamicImage,
) -> &'a DynamicImage {
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
pub(super) fn encode(picture: &DynamicImage, transparent: bool) -> AppResult<Encoded> {
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
static DECODING: crate::slots::Slots = crate::slots::Slots::new();
