//! Lecture videos (点播) uploaded by clerks: an MP4 is streamed to a
//! temporary file (never held in memory), turned into HLS by ffmpeg in the
//! background, and listed with its progress; once done, its address goes
//! into a video article's 视频地址 field.

use std::io::Write;

use actix_multipart::Multipart;
use actix_session::Session;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use futures_util::StreamExt;

use super::upload::{declared_length, read_field, stream_field};
use super::{layout, Layout};
use crate::access::Action;
use crate::error::{AppError, AppResult};
use crate::lectures::{self, Job};
use crate::places;
use crate::web::auth::{check_csrf, CurrentUser};
use crate::web::{redirect, render};
use crate::AppState;

#[derive(Template)]
#[template(path = "admin/videos.html")]
struct VideosPage {
    layout: Layout,
    jobs: Vec<Job>,
    max_mb: usize,
    ffmpeg_missing: bool,
    running: bool,
}

fn require(me: &CurrentUser) -> AppResult<()> {
    me.actor.require(Action::EditContent, &me.actor.place)
}

#[get("/admin/videos")]
async fn list(state: web::Data<AppState>, me: CurrentUser) -> AppResult<HttpResponse> {
    require(&me)?;
    let layout = layout(&state, &me, "视频上传", "/admin/videos").await?;
    let actor = me.actor.clone();
    let jobs = state
        .db
        .run(move |c| {
            let ids: Vec<i64> = std::iter::once(actor.place.id)
                .chain(
                    places::visible_villages(c, &actor)?
                        .into_iter()
                        .flat_map(|(t, vs)| std::iter::once(t).chain(vs))
                        .map(|p| p.id),
                )
                .collect();
            lectures::jobs_for(c, &ids)
        })
        .await?;
    let running = jobs
        .iter()
        .any(|j| j.state == "queued" || j.state == "running");
    render(&VideosPage {
        layout,
        jobs,
        max_mb: state.config.max_video_bytes / (1024 * 1024),
        ffmpeg_missing: state.cameras.grabber.ffmpeg.is_none(),
        running,
    })
}

/// POST /admin/videos (multipart: `csrf_token`, then `file`).
#[post("/admin/videos")]
async fn upload(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    me: CurrentUser,
    mut form: Multipart,
) -> AppResult<HttpResponse> {
    require(&me)?;
    let max = state.config.max_video_bytes;
    let too_big = move || {
        AppError::BadRequest(format!(
            "视频超过 {} MB，请压缩后再上传",
            max / (1024 * 1024)
        ))
    };
    if declared_length(&req).is_some_and(|n| n > (max + 64 * 1024) as u64) {
        return Err(too_big());
    }
    let bad = || AppError::BadRequest("表单内容无效".into());
    let mut csrf_checked = false;
    let mut saved: Option<(String, std::path::PathBuf)> = None;
    while let Some(field) = form.next().await {
        let mut field = field.map_err(|_| AppError::BadRequest("请用表单上传文件".into()))?;
        match field.name().unwrap_or_default() {
            "csrf_token" => {
                let token = read_field(&mut field, 256, bad()).await?;
                check_csrf(&session, &String::from_utf8_lossy(&token))?;
                csrf_checked = true;
            }
            "file" if csrf_checked => {
                let name = field
                    .content_disposition()
                    .and_then(|cd| cd.get_filename())
                    .map(crate::media::clean_name)
                    .filter(|n| !n.is_empty())
                    .unwrap_or_else(|| "视频.mp4".into());
                let path = std::env::temp_dir()
                    .join(format!("vp-upload-{}.mp4", crate::crypto::random_hex(8)));
                let mut file =
                    std::fs::File::create(&path).map_err(AppError::because("upload temp file"))?;
                // Straight to disk: a video is never held in memory. A full
                // disk is reported like a too large video.
                let size = stream_field(&mut field, max, too_big, |chunk| {
                    file.write_all(chunk).map_err(|_| too_big())
                })
                .await
                .inspect_err(|_| {
                    let _ = std::fs::remove_file(&path);
                })?;
                if size == 0 {
                    let _ = std::fs::remove_file(&path);
                    return Err(AppError::BadRequest("没有选择文件，或文件是空的".into()));
                }
                saved = Some((name, path));
            }
            _ => {
                // Fields this form does not have (or a file before the
                // token): read and ignore.
                stream_field(&mut field, usize::MAX, bad, |_| Ok(())).await?;
            }
        }
    }
    if !csrf_checked {
        check_csrf(&session, "")?;
    }
    let Some((name, path)) = saved else {
        return Err(AppError::BadRequest("没有收到文件（表单字段 file）".into()));
    };
    let (db, actor, ffmpeg) = (
        state.db.clone(),
        me.actor.clone(),
        state.cameras.grabber.ffmpeg.clone(),
    );
    let place_id = me.user.place_id;
    web::block(move || lectures::start_job(&db, &actor, place_id, &name, path, ffmpeg))
        .await
        .map_err(AppError::because("video job"))??;
    Ok(redirect("/admin/videos"))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list).service(upload);
}
