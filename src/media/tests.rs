//! The media pipeline and library, unit by unit.

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
