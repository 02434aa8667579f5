//! The demo's cameras and lectures. With ffmpeg installed (Debian's
//! `ffmpeg`), the cameras show ffmpeg's moving test picture with the clock
//! and the lectures are short real HLS videos; without it the cameras say
//! that no picture is available and the lectures' play pages say the video
//! cannot be played.

use std::path::Path;

use crate::access::Actor;
use crate::cameras::grab::Ffmpeg;
use crate::cameras::registry::{self, CameraForm};
use crate::cameras::{self, systems, Source};
use crate::crypto::Keys;
use crate::db::DbConn;
use crate::error::AppResult;
use crate::places;

/// (village, name, spot, visibility)
const CAMERAS: &[(&str, &str, &str, &str)] = &[
    ("gengjing", "村口", "村东口主路", "public"),
    ("gengjing", "文化广场", "村委会南侧广场", "public"),
    ("gengjing", "河道", "小清河耿井段", "public"),
    ("gengjing", "村委大院", "村委会院内", "officials"),
    ("chenzhuang", "村口", "村西口路口", "public"),
    ("chenzhuang", "健身广场", "村中心健身广场", "public"),
];

/// The demo lectures: (stream, title) of the videos in `articles`.
const LECTURES: &[(&str, &str)] = &[
    ("demo-1", "冬季肉牛防寒饲养"),
    ("demo-2", "果树冬季修剪"),
    ("demo-4", "小麦宽幅精播技术"),
    ("demo-5", "冬季大棚蔬菜管理"),
];
const LECTURE_SECONDS: u32 = 20;

#[derive(Debug, Default)]
pub struct CameraReport {
    pub cameras_added: usize,
    pub lectures_added: usize,
    /// The camera system's token, when it was made up here.
    pub generated_token: Option<String>,
}

/// Adds the demo cameras (villages without cameras only), the county's
/// camera system, and the lectures' videos. Idempotent.
pub fn load(
    conn: &mut DbConn,
    keys: &Keys,
    ffmpeg: Option<&Ffmpeg>,
    token: Option<&str>,
) -> AppResult<CameraReport> {
    let mut report = CameraReport::default();
    let Some(county) = places::find_by_code(conn, super::COUNTY.0)? else {
        return Ok(report);
    };
    let actor = Actor::system("demo", places::scope(conn, &county)?);
    for (village_code, name, spot, visibility) in CAMERAS {
        let Some(village) = places::find_by_code(conn, village_code)? else {
            continue;
        };
        let existing = cameras::of_village(conn, village.id, false)?;
        if existing.iter().any(|c| c.name == *name) {
            continue;
        }
        let form = CameraForm {
            village_id: Some(village.id),
            name: name.to_string(),
            spot: spot.to_string(),
            position: (existing.len() * 10).to_string(),
            visibility: visibility.to_string(),
            ..CameraForm::default()
        };
        let source = Source {
            test_picture: true,
            ..Source::default()
        };
        registry::create_from(conn, &actor, keys, &form, Some(source))?;
        report.cameras_added += 1;
    }
    if systems::list(conn)?.is_empty() {
        let generated = token.is_none().then(crate::health::new_token);
        let token = token.or(generated.as_deref());
        systems::create(conn, &actor, Some(county.id), "县雪亮工程平台", token)?;
        report.generated_token = generated;
    }
    if let Some(ffmpeg) = ffmpeg {
        for (stream, title) in LECTURES {
            if crate::lectures::exists(conn, stream)? {
                continue;
            }
            let dir = lecture_dir(stream);
            if !dir.join("index.m3u8").exists() {
                if let Err(e) = crate::lectures::make_demo(ffmpeg, title, LECTURE_SECONDS, &dir) {
                    log::warn!("demo lecture {stream}: {e}");
                    continue;
                }
            }
            crate::lectures::store_dir(conn, stream, &dir)?;
            report.lectures_added += 1;
        }
    }
    Ok(report)
}

/// Where a demo lecture is made, kept between loads: making one takes
/// ffmpeg a few seconds, and tests load the demo many times.
fn lecture_dir(stream: &str) -> std::path::PathBuf {
    let version = "v1";
    Path::new(&std::env::temp_dir())
        .join(format!("village-portal-demo-lectures-{version}"))
        .join(stream)
}
