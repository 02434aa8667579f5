//! The media library: uploads through `POST /admin/media` with real images
//! made here, the renditions served under `/media/{id}/{full|tile}`, bad
//! uploads refused with a JSON reason and nothing stored, and who may see
//! which library.

use std::io::Cursor;

use diesel::prelude::*;
use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, GenericImageView, ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};
use village_portal::db::schema::{blobs, media};

use crate::util::{AppService, Client, Resp, TestApp};

// ---------------------------------------------------------------- images

/// A photo-like picture: smooth gradients with some texture.
fn photo(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        let noise = ((x.wrapping_mul(7919) ^ y.wrapping_mul(104_729)) % 23) as u8;
        Rgb([
            ((x * 255 / w.max(1)) as u8).saturating_add(noise),
            ((y * 255 / h.max(1)) as u8).saturating_add(noise / 2),
            (((x + y) % 200) as u8).saturating_add(30),
        ])
    })
}

fn jpeg_of(img: &RgbImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(img)
        .expect("encode JPEG");
    out
}

fn encode(img: DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), format)
        .expect("encode");
    out
}

/// A picture with a transparent hole in the middle.
fn png_with_alpha(w: u32, h: u32) -> Vec<u8> {
    let img = RgbaImage::from_fn(w, h, |x, y| {
        let hole = x > w / 3 && x < 2 * w / 3 && y > h / 3 && y < 2 * h / 3;
        Rgba([
            200,
            (x % 256) as u8,
            (y % 256) as u8,
            if hole { 0 } else { 255 },
        ])
    });
    encode(DynamicImage::ImageRgba8(img), ImageFormat::Png)
}

fn crc32(data: &[u8]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for &b in data {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
    }
    !c
}

/// A 1x1 PNG whose header declares 50000x50000 pixels, with a valid CRC so
/// only the size is wrong.
fn png_bomb() -> Vec<u8> {
    let mut p = encode(
        DynamicImage::ImageRgb8(RgbImage::new(1, 1)),
        ImageFormat::Png,
    );
    // Signature (8), IHDR length (4), "IHDR" (4), width, height, ..., CRC.
    assert_eq!(&p[12..16], b"IHDR");
    p[16..20].copy_from_slice(&50_000u32.to_be_bytes());
    p[20..24].copy_from_slice(&50_000u32.to_be_bytes());
    let crc = crc32(&p[12..29]);
    p[29..33].copy_from_slice(&crc.to_be_bytes());
    p
}

/// The latitude 37° 26' 12.34" as the GPS IFD stores it: easy to look for.
const GPS_LATITUDE: [u8; 24] = [
    0, 0, 0, 37, 0, 0, 0, 1, 0, 0, 0, 26, 0, 0, 0, 1, 0, 0, 0x04, 0xD2, 0, 0, 0, 100,
];

/// A big-endian EXIF block: Make "SECRETPHONE", Orientation = 6 (rotate 90°
/// clockwise to show), and a GPS IFD with a latitude.
fn exif_block() -> Vec<u8> {
    fn entry(out: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: [u8; 4]) {
        out.extend_from_slice(&tag.to_be_bytes());
        out.extend_from_slice(&kind.to_be_bytes());
        out.extend_from_slice(&count.to_be_bytes());
        out.extend_from_slice(&value);
    }
    const ASCII: u16 = 2;
    const SHORT: u16 = 3;
    const LONG: u16 = 4;
    const RATIONAL: u16 = 5;
    // IFD0 at 8: 2 + 3*12 + 4 = 42 bytes; Make at 50 (12 bytes); GPS IFD at
    // 62: 2 + 2*12 + 4 = 30 bytes; latitude at 92 (24 bytes).
    let mut t = b"MM\x00\x2A\x00\x00\x00\x08".to_vec();
    t.extend_from_slice(&3u16.to_be_bytes());
    entry(&mut t, 0x010F, ASCII, 12, 50u32.to_be_bytes());
    entry(&mut t, 0x0112, SHORT, 1, [0, 6, 0, 0]);
    entry(&mut t, 0x8825, LONG, 1, 62u32.to_be_bytes());
    t.extend_from_slice(&0u32.to_be_bytes());
    assert_eq!(t.len(), 50);
    t.extend_from_slice(b"SECRETPHONE\0");
    assert_eq!(t.len(), 62);
    t.extend_from_slice(&2u16.to_be_bytes());
    entry(&mut t, 0x0001, ASCII, 2, *b"N\0\0\0");
    entry(&mut t, 0x0002, RATIONAL, 3, 92u32.to_be_bytes());
    t.extend_from_slice(&0u32.to_be_bytes());
    assert_eq!(t.len(), 92);
    t.extend_from_slice(&GPS_LATITUDE);
    let mut app1 = vec![0xFF, 0xE1];
    app1.extend_from_slice(&((2 + 6 + t.len()) as u16).to_be_bytes());
    app1.extend_from_slice(b"Exif\0\0");
    app1.extend_from_slice(&t);
    app1
}

/// A 400x200 JPEG, red on the left half and blue on the right, whose EXIF
/// says to rotate it 90° clockwise (as a phone held upright writes it).
fn rotated_phone_photo() -> Vec<u8> {
    let img = RgbImage::from_fn(400, 200, |x, _| {
        if x < 200 {
            Rgb([220, 20, 20])
        } else {
            Rgb([20, 20, 220])
        }
    });
    let plain = jpeg_of(&img, 90);
    let mut out = plain[..2].to_vec();
    out.extend_from_slice(&exif_block());
    out.extend_from_slice(&plain[2..]);
    out
}

/// The marker codes of a JPEG's segments up to the first scan.
fn jpeg_markers(b: &[u8]) -> Vec<u8> {
    assert_eq!(&b[..2], &[0xFF, 0xD8], "not a JPEG");
    let mut i = 2;
    let mut out = Vec::new();
    while i + 4 <= b.len() {
        assert_eq!(b[i], 0xFF, "segment expected at {i}");
        let code = b[i + 1];
        out.push(code);
        if code == 0xDA {
            break;
        }
        let len = usize::from(u16::from_be_bytes([b[i + 2], b[i + 3]]));
        i += 2 + len;
    }
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

// ---------------------------------------------------------------- helpers

async fn signed_in<'a>(app: &'a TestApp, user: &str) -> Client<impl AppService + 'a> {
    let mut c = app.client().await;
    c.login_as(user).await;
    c
}

async fn token(c: &mut Client<impl AppService>) -> String {
    c.get("/admin")
        .await
        .csrf()
        .expect("csrf token on the dashboard")
}

/// Uploads one file with this session's CSRF token and extra fields.
async fn upload_with(
    c: &mut Client<impl AppService>,
    extra: &[(&str, &str)],
    name: &str,
    content_type: &str,
    bytes: &[u8],
) -> Resp {
    let token = token(c).await;
    let mut fields = vec![("csrf_token", token.as_str())];
    fields.extend_from_slice(extra);
    c.post_multipart(
        "/admin/media",
        &fields,
        &[("file", name, content_type, bytes)],
    )
    .await
}

async fn upload(c: &mut Client<impl AppService>, name: &str, ct: &str, bytes: &[u8]) -> Resp {
    upload_with(c, &[], name, ct, bytes).await
}

/// A 200 JSON answer to an upload; returns it.
#[track_caller]
fn uploaded(res: &Resp) -> serde_json::Value {
    res.assert_status(200);
    assert_json(res);
    let v = res.json();
    v["id"].as_i64().expect("id");
    // The addresses carry the medium's random token, not its id.
    let url = v["url"].as_str().expect("url");
    let token = url
        .strip_prefix("/media/")
        .and_then(|rest| rest.strip_suffix("/full"))
        .expect("a /media/{token}/full address");
    assert_eq!(token.len(), 32, "{url}");
    assert_eq!(v["tile_url"], format!("/media/{token}/tile"));
    v
}

#[track_caller]
fn assert_json(res: &Resp) {
    assert!(
        res.header("content-type")
            .is_some_and(|ct| ct.starts_with("application/json")),
        "not JSON ({:?}): {}",
        res.header("content-type"),
        res.body
    );
}

/// A JSON error with this status whose reason contains `reason`.
#[track_caller]
fn assert_refused(res: &Resp, status: u16, reason: &str) {
    res.assert_status(status);
    assert_json(res);
    let v = res.json();
    let error = v["error"].as_str().expect("an error reason");
    assert!(error.contains(reason), "expected {reason:?} in {error:?}");
}

fn count_rows(app: &TestApp) -> (i64, i64) {
    let mut conn = app.conn();
    let m: i64 = media::table.count().get_result(&mut *conn).expect("count");
    let b: i64 = blobs::table.count().get_result(&mut *conn).expect("count");
    (m, b)
}

/// The demo county with its media library emptied (the demo's own photos,
/// the videos' posters, the meetings' photos and their audit rows removed), so counts here start
/// from zero.
fn empty_library() -> TestApp {
    let app = TestApp::demo();
    {
        let mut conn = app.conn();
        diesel::update(village_portal::db::schema::article_revisions::table)
            .set(village_portal::db::schema::article_revisions::poster_media_id.eq(None::<i64>))
            .execute(&mut *conn)
            .expect("forget posters");
        {
            use village_portal::db::schema::{
                branch_meetings, cadres, media_renditions, meeting_photos,
            };
            diesel::delete(meeting_photos::table)
                .execute(&mut *conn)
                .expect("forget meeting photos");
            diesel::update(branch_meetings::table)
                .set(branch_meetings::photo_id.eq(None::<i64>))
                .execute(&mut *conn)
                .expect("forget meeting photos");
            diesel::update(cadres::table)
                .set(cadres::photo_id.eq(None::<i64>))
                .execute(&mut *conn)
                .expect("forget cadre photos");
            diesel::delete(media_renditions::table)
                .execute(&mut *conn)
                .expect("clear derived renditions");
        }
        diesel::delete(media::table)
            .execute(&mut *conn)
            .expect("clear media");
        diesel::delete(blobs::table)
            .execute(&mut *conn)
            .expect("clear blobs");
        diesel::delete(
            village_portal::db::schema::audit_log::table
                .filter(village_portal::db::schema::audit_log::action.eq("media.upload")),
        )
        .execute(&mut *conn)
        .expect("clear audit");
    }
    app
}

fn stored_place(app: &TestApp, id: i64) -> i64 {
    media::table
        .find(id)
        .select(media::place_id)
        .first(&mut *app.conn())
        .expect("media row")
}

/// The random token in a medium's addresses.
fn app_token(app: &TestApp, id: i64) -> String {
    use village_portal::db::schema::media;
    media::table
        .find(id)
        .select(media::token)
        .first(&mut *app.conn())
        .expect("media row")
}

/// Fetches a rendition, checks its caching headers, decodes it.
async fn fetch(c: &mut Client<impl AppService>, url: &str) -> (Resp, DynamicImage) {
    let res = c.get(url).await;
    res.assert_status(200);
    // Not yet used by live content: for the signed-in uploader only, never
    // kept by a cache (hardening::an_upload_stays_private_until_live_content_uses_it).
    assert_eq!(res.header("cache-control"), Some("private, no-store"));
    let etag = res.header("etag").expect("ETag").to_string();
    assert_eq!(etag.len(), 66, "ETag is the quoted sha256: {etag}");
    let img = image::load_from_memory(&res.bytes).expect("the rendition decodes");
    (res, img)
}

#[track_caller]
fn assert_baseline_jpeg(res: &Resp) {
    assert_eq!(res.header("content-type"), Some("image/jpeg"));
    let markers = jpeg_markers(&res.bytes);
    assert!(markers.contains(&0xC0), "SOF0 (baseline) in {markers:x?}");
    assert!(!markers.contains(&0xC2), "no SOF2 (progressive)");
    assert!(!contains(&res.bytes, &[0xFF, 0xC2]));
}

// ---------------------------------------------------------------- uploads

#[actix_web::test]
async fn a_clerk_uploads_a_photo_into_their_village_and_the_tv_gets_renditions() {
    let app = empty_library();
    let mut c = signed_in(&app, "clerk").await;
    let photo = jpeg_of(&photo(3000, 2000), 90);
    let res = upload(&mut c, "村口大槐树.jpg", "image/jpeg", &photo).await;
    let v = uploaded(&res);
    let id = v["id"].as_i64().expect("id");
    assert_eq!(
        (v["width"].as_i64(), v["height"].as_i64()),
        (Some(972), Some(648))
    );
    assert_eq!(v["name"], "村口大槐树.jpg");
    assert_eq!(stored_place(&app, id), app.place_id("gengjing"));

    // Full: within 1152x648, keeping 3:2; tile: exactly 360x203. Both baseline.
    let (full, img) = fetch(&mut c, &format!("/media/{id}/full")).await;
    assert_eq!(img.dimensions(), (972, 648));
    assert_baseline_jpeg(&full);
    let (tile, img) = fetch(&mut c, &format!("/media/{id}/tile")).await;
    assert_eq!(img.dimensions(), (360, 203));
    assert_baseline_jpeg(&tile);

    // Revalidation: 304 with no body; another tag gets the bytes.
    let etag = full.header("etag").expect("etag").to_string();
    let again = c
        .send(
            actix_web::test::TestRequest::get()
                .uri(&format!("/media/{id}/full"))
                .insert_header(("If-None-Match", etag.as_str())),
        )
        .await;
    again.assert_status(304);
    assert!(again.bytes.is_empty());
    assert_eq!(again.header("etag"), Some(etag.as_str()));
    let other = c
        .send(
            actix_web::test::TestRequest::get()
                .uri(&format!("/media/{id}/full"))
                .insert_header(("If-None-Match", "\"something-else\"")),
        )
        .await;
    other.assert_status(200);
    assert_eq!(other.bytes, full.bytes);

    // Nobody without a session gets it before live content uses it
    // (hardening::an_upload_stays_private_until_live_content_uses_it).
    let mut tv = app.client().await;
    tv.get(&format!("/media/{id}/tile"))
        .await
        .assert_status(404);

    // The audit log has the upload, by the clerk, in gengjing.
    let entries = app.audit("media.upload");
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].actor_name, "clerk");
    assert_eq!(entries[0].target_id, Some(id));
    assert_eq!(entries[0].place_id, Some(app.place_id("gengjing")));

    // The library page shows the tile with its size; the picker lists it.
    c.get("/admin/media")
        .await
        .assert_status(200)
        .assert_contains("/tile\" width=\"360\" height=\"203\"")
        .assert_contains(&format!("编号 {id} "))
        .assert_contains("村口大槐树.jpg")
        .assert_contains("enctype=\"multipart/form-data\"")
        .assert_contains("href=\"/admin/media\"");
    let list = c.get("/admin/media.json").await;
    list.assert_status(200);
    let items = list.json();
    assert_eq!(items[0]["id"], id);
    let token = app_token(&app, id);
    assert_eq!(items[0]["url"], format!("/media/{token}/full"));
    assert_eq!(items[0]["tile_url"], format!("/media/{token}/tile"));
    assert_eq!(items[0]["width"], 972);
    assert_eq!(items[0]["height"], 648);
    assert_eq!(items[0]["name"], "村口大槐树.jpg");
}

#[actix_web::test]
async fn transparency_keeps_png_and_other_formats_become_baseline_jpeg() {
    let app = empty_library();
    let mut c = signed_in(&app, "clerk").await;

    // PNG with a transparent hole: both renditions stay PNG with alpha.
    let v = uploaded(&upload(&mut c, "logo.png", "image/png", &png_with_alpha(1600, 900)).await);
    assert_eq!(
        (v["width"].as_i64(), v["height"].as_i64()),
        (Some(1152), Some(648))
    );
    for kind in ["url", "tile_url"] {
        let (res, img) = fetch(&mut c, v[kind].as_str().expect("url")).await;
        assert_eq!(res.header("content-type"), Some("image/png"), "{kind}");
        assert!(img.color().has_alpha(), "{kind} keeps alpha");
        let rgba = img.to_rgba8();
        assert!(rgba.pixels().any(|p| p.0[3] == 0), "{kind} keeps the hole");
        assert!(
            rgba.pixels().any(|p| p.0[3] == 255),
            "{kind} keeps the rest"
        );
    }

    // An opaque GIF (sent with a misleading name) becomes a JPEG.
    let gif = encode(DynamicImage::ImageRgb8(photo(300, 200)), ImageFormat::Gif);
    let v = uploaded(&upload(&mut c, "anim.png", "image/png", &gif).await);
    assert_eq!(
        (v["width"].as_i64(), v["height"].as_i64()),
        (Some(300), Some(200))
    );
    let (res, img) = fetch(&mut c, v["url"].as_str().expect("url")).await;
    assert_baseline_jpeg(&res);
    assert_eq!(
        img.dimensions(),
        (300, 200),
        "small pictures are not enlarged"
    );
    let (_, tile) = fetch(&mut c, v["tile_url"].as_str().expect("url")).await;
    assert_eq!(tile.dimensions(), (360, 203), "the tile is always exact");

    // A (lossless) WebP becomes a JPEG too.
    let webp = encode(DynamicImage::ImageRgb8(photo(1300, 700)), ImageFormat::WebP);
    let v = uploaded(&upload(&mut c, "photo.webp", "image/webp", &webp).await);
    assert_eq!(
        (v["width"].as_i64(), v["height"].as_i64()),
        (Some(1152), Some(620))
    );
    let (res, img) = fetch(&mut c, v["url"].as_str().expect("url")).await;
    assert_baseline_jpeg(&res);
    assert_eq!(img.dimensions(), (1152, 620));
}

#[actix_web::test]
async fn exif_orientation_is_applied_and_all_metadata_dropped() {
    let app = empty_library();
    let mut c = signed_in(&app, "clerk").await;
    let input = rotated_phone_photo();
    assert!(contains(&input, b"Exif") && contains(&input, &GPS_LATITUDE));
    let v = uploaded(&upload(&mut c, "IMG_0001.JPG", "image/jpeg", &input).await);
    let id = v["id"].as_i64().expect("id");
    // 400x200 turned a quarter clockwise: portrait, the left (red) half on top.
    assert_eq!(
        (v["width"].as_i64(), v["height"].as_i64()),
        (Some(200), Some(400))
    );
    let (full, img) = fetch(&mut c, &format!("/media/{id}/full")).await;
    assert_eq!(img.dimensions(), (200, 400));
    let rgb = img.to_rgb8();
    let top = rgb.get_pixel(100, 40).0;
    let bottom = rgb.get_pixel(100, 360).0;
    assert!(top[0] > 150 && top[2] < 100, "top is red: {top:?}");
    assert!(
        bottom[2] > 150 && bottom[0] < 100,
        "bottom is blue: {bottom:?}"
    );

    // Nothing of the EXIF block survives in any stored byte.
    let (tile, _) = fetch(&mut c, &format!("/media/{id}/tile")).await;
    let stored: Vec<Vec<u8>> = blobs::table
        .select(blobs::data)
        .load(&mut *app.conn())
        .expect("blobs");
    assert_eq!(stored.len(), 3, "full, tile and page");
    for bytes in stored.iter().chain([&full.bytes, &tile.bytes]) {
        assert!(!contains(bytes, b"Exif"));
        assert!(!contains(bytes, b"SECRETPHONE"));
        assert!(!contains(bytes, &GPS_LATITUDE));
        let markers = jpeg_markers(bytes);
        assert!(
            markers
                .iter()
                .all(|m| !(0xE1..=0xEF).contains(m) && *m != 0xFE),
            "only APP0 and image segments: {markers:x?}"
        );
    }
}

// ---------------------------------------------------------------- bad input

#[actix_web::test]
async fn bad_uploads_get_a_json_reason_and_nothing_is_stored() {
    let app = empty_library();
    let mut c = signed_in(&app, "clerk").await;
    let good = jpeg_of(&photo(600, 400), 85);
    let truncated = good[..good.len() * 6 / 10].to_vec();
    let mut bmp = b"BM".to_vec();
    bmp.extend_from_slice(&[0u8; 60]);
    let cases: Vec<(&str, &str, Vec<u8>, u16, &str)> = vec![
        (
            "photo.jpg",
            "image/jpeg",
            b"Dear clerk, this is a text file.\n".to_vec(),
            400,
            "文件不是图片",
        ),
        ("scan.bmp", "image/bmp", bmp, 400, "文件不是图片"),
        ("cut.jpg", "image/jpeg", truncated, 400, "图片文件已损坏"),
        (
            "half.gif",
            "image/gif",
            b"GIF89a\x10\x00\x10\x00\x80\x00\x00".to_vec(),
            400,
            "图片文件已损坏",
        ),
        (
            "bomb.png",
            "image/png",
            png_bomb(),
            400,
            "图片太大：50000×50000 像素，最多 4000 万像素",
        ),
        ("empty.jpg", "image/jpeg", Vec::new(), 400, "文件是空的"),
        // Declared far too long: refused before reading.
        (
            "huge.jpg",
            "image/jpeg",
            vec![0u8; 25 * 1024 * 1024],
            413,
            "文件超过 20 MB",
        ),
        // Just over: refused while streaming.
        (
            "big.jpg",
            "image/jpeg",
            vec![0u8; 20 * 1024 * 1024 + 1],
            413,
            "文件超过 20 MB",
        ),
    ];
    for (name, ct, bytes, status, reason) in &cases {
        let res = upload(&mut c, name, ct, bytes).await;
        assert!(res.status < 500, "{name}: server error {}", res.body);
        assert_refused(&res, *status, reason);
        assert_eq!(count_rows(&app), (0, 0), "{name}: nothing stored");
    }

    // No CSRF token, or a wrong one: 403, whatever the file.
    let res = c
        .post_multipart(
            "/admin/media",
            &[],
            &[("file", "a.jpg", "image/jpeg", &good)],
        )
        .await;
    assert_refused(&res, 403, "安全校验未通过");
    let res = c
        .post_multipart(
            "/admin/media",
            &[("csrf_token", "not-the-token")],
            &[("file", "a.jpg", "image/jpeg", &good)],
        )
        .await;
    assert_refused(&res, 403, "安全校验未通过");

    // No `file` field; two files; a bad place id.
    let t = token(&mut c).await;
    let res = c
        .post_multipart("/admin/media", &[("csrf_token", &t)], &[])
        .await;
    assert_refused(&res, 400, "没有收到文件");
    let res = c
        .post_multipart(
            "/admin/media",
            &[("csrf_token", &t)],
            &[
                ("file", "a.jpg", "image/jpeg", &good),
                ("file", "b.jpg", "image/jpeg", &good),
            ],
        )
        .await;
    assert_refused(&res, 400, "一次只能上传一个文件");
    let res = upload_with(&mut c, &[("place_id", "abc")], "a.jpg", "image/jpeg", &good).await;
    assert_refused(&res, 400, "place_id");
    let res = upload_with(
        &mut c,
        &[("place_id", "999999")],
        "a.jpg",
        "image/jpeg",
        &good,
    )
    .await;
    assert_refused(&res, 404, "找不到");

    // Not a multipart body at all.
    let res = c
        .post_form("/admin/media", &[("csrf_token", t.as_str())])
        .await;
    assert!(res.status == 400 || res.status == 403, "{}", res.status);
    assert_json(&res);

    assert_eq!(count_rows(&app), (0, 0));
    assert!(app.audit("media.upload").is_empty());

    // And the good file still goes in afterwards.
    uploaded(&upload(&mut c, "good.jpg", "image/jpeg", &good).await);
    assert_eq!(count_rows(&app), (1, 3));
}

#[actix_web::test]
async fn renditions_of_unknown_media_are_404() {
    let app = empty_library();
    let mut c = app.client().await;
    for path in [
        "/media/1/full",
        "/media/1/orig",
        "/media/abc/full",
        "/media/-1/tile",
    ] {
        c.get(path).await.assert_status(404);
    }
}

// ---------------------------------------------------------------- permissions

#[actix_web::test]
async fn each_library_is_for_its_own_place() {
    let app = empty_library();
    let gengjing = app.place_id("gengjing").to_string();
    let chenzhuang = app.place_id("chenzhuang").to_string();
    let good = jpeg_of(&photo(480, 270), 85);

    // The official uploads for both villages of the township.
    let mut official = signed_in(&app, "official").await;
    let g = uploaded(
        &upload_with(
            &mut official,
            &[("place_id", &gengjing)],
            "g.jpg",
            "image/jpeg",
            &good,
        )
        .await,
    );
    let h = uploaded(
        &upload_with(
            &mut official,
            &[("place_id", &chenzhuang)],
            "h.jpg",
            "image/jpeg",
            &good,
        )
        .await,
    );
    let (g, h) = (g["id"].as_i64().expect("id"), h["id"].as_i64().expect("id"));
    assert_eq!(stored_place(&app, g), app.place_id("gengjing"));
    assert_eq!(stored_place(&app, h), app.place_id("chenzhuang"));
    official
        .get(&format!("/admin/media?place={chenzhuang}"))
        .await
        .assert_status(200)
        .assert_contains(&format!("编号 {h}"));

    // clerk2 (chenzhuang) sees only chenzhuang's library.
    let mut clerk2 = signed_in(&app, "clerk2").await;
    let own = clerk2.get("/admin/media").await;
    own.assert_status(200)
        .assert_contains(&format!("编号 {h} "));
    assert!(!own.body.contains(&format!("编号 {g} ")));
    clerk2
        .get(&format!("/admin/media?place={gengjing}"))
        .await
        .assert_status(403);
    let res = clerk2
        .get(&format!("/admin/media.json?place={gengjing}"))
        .await;
    assert_refused(&res, 403, "没有权限");
    let before = count_rows(&app);
    let res = upload_with(
        &mut clerk2,
        &[("place_id", &gengjing)],
        "x.jpg",
        "image/jpeg",
        &good,
    )
    .await;
    assert_refused(&res, 403, "没有权限");
    assert_eq!(count_rows(&app), before);

    // The auditor changes nothing and has no library.
    let mut auditor = signed_in(&app, "auditor").await;
    assert_refused(
        &upload(&mut auditor, "x.jpg", "image/jpeg", &good).await,
        403,
        "没有权限",
    );
    auditor.get("/admin/media").await.assert_status(403);
    assert!(!auditor
        .get("/admin")
        .await
        .body
        .contains("href=\"/admin/media\""));
    assert_eq!(count_rows(&app), before);

    // Signed out: the upload and the picker answer 401 JSON, the page sends
    // the browser to the sign-in form.
    let mut anon = app.client().await;
    assert_refused(
        &anon
            .post_multipart(
                "/admin/media",
                &[],
                &[("file", "x.jpg", "image/jpeg", &good)],
            )
            .await,
        401,
        "请先登录",
    );
    assert_refused(&anon.get("/admin/media.json").await, 401, "请先登录");
    assert_eq!(
        anon.get("/admin/media").await.location(),
        Some("/admin/login?next=%2Fadmin%2Fmedia")
    );
    assert_eq!(count_rows(&app), before);
}

#[actix_web::test]
async fn those_who_write_content_find_the_library_in_their_navigation() {
    let app = empty_library();
    for user in ["admin", "official", "clerk", "clerk2"] {
        let mut c = signed_in(&app, user).await;
        c.get("/admin")
            .await
            .assert_contains("<a href=\"/admin/media\"");
        c.get("/admin/media")
            .await
            .assert_status(200)
            .assert_contains("name=\"csrf_token\"")
            .assert_contains("<a href=\"/admin/media\" class=\"active\">");
        c.get("/admin/media.json").await.assert_status(200);
    }
}

#[actix_web::test]
async fn the_library_pages_and_identical_renditions_are_stored_once() {
    let app = empty_library();
    let gengjing = app.place_id("gengjing");
    let png = encode(DynamicImage::ImageRgb8(photo(64, 48)), ImageFormat::Png);
    {
        let actor = app.system_actor();
        let mut conn = app.conn();
        for n in 0..25 {
            village_portal::media::ingest(
                &mut conn,
                &actor,
                gengjing,
                &format!("第{n}张.png"),
                &png,
            )
            .expect("ingest");
        }
    }
    // 25 library entries, but the same renditions underneath: two blobs, as
    // a small picture's full and page renditions are the same bytes.
    assert_eq!(count_rows(&app), (25, 2));
    assert_eq!(app.audit("media.upload").len(), 25);

    let mut c = signed_in(&app, "clerk").await;
    let first = c.get("/admin/media").await;
    first
        .assert_status(200)
        .assert_contains("共 25 张")
        .assert_contains("第24张.png");
    assert_eq!(first.body.matches("<figure>").count(), 24);
    assert!(!first.body.contains("第0张.png"), "the oldest is on page 2");
    let second = c
        .get(&format!("/admin/media?place={gengjing}&page=2"))
        .await;
    second.assert_status(200).assert_contains("第0张.png");
    assert_eq!(second.body.matches("<figure>").count(), 1);
    // Past the end: the last page.
    let past = c
        .get(&format!("/admin/media?place={gengjing}&page=99"))
        .await;
    assert_eq!(past.body.matches("<figure>").count(), 1);

    let list = c.get("/admin/media.json").await;
    list.assert_status(200);
    assert_eq!(list.header("x-total-count"), Some("25"));
    let items = list.json();
    let items = items.as_array().expect("an array");
    assert_eq!(items.len(), 25);
    assert_eq!(items[0]["name"], "第24张.png");
    assert_eq!(items[0]["width"], 64);
    assert_eq!(items[0]["height"], 48);
}
