//! Adding, changing and removing cameras (officials for their township,
//! admins everywhere). Every write is audited; a source change is recorded
//! as "changed", never with the address.

use diesel::prelude::*;
use serde::Deserialize;

use super::{privacy, source, Camera, Source, Status, Visibility};
use crate::access::{Action, Actor};
use crate::audit::{self, Changes, Event};
use crate::crypto::Keys;
use crate::db::schema::cameras;
use crate::db::{self, DbConn};
use crate::error::{AppError, AppResult};
use crate::places::{self, Place};
use crate::validate::{self, FieldErrors};

/// The camera form. Address fields left empty keep what is stored (the form
/// never shows a stored address back); the `clear_*` boxes remove one.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CameraForm {
    #[serde(default, deserialize_with = "validate::optional_id")]
    pub village_id: Option<i64>,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub spot: String,
    #[serde(default)]
    pub position: String,
    #[serde(default)]
    pub visibility: String,
    #[serde(default)]
    pub rtsp_url: String,
    #[serde(default)]
    pub snapshot_url: String,
    #[serde(default)]
    pub snapshot_user: String,
    #[serde(default)]
    pub snapshot_password: String,
    #[serde(default)]
    pub hls_url: String,
    #[serde(default)]
    pub clear_rtsp: Option<String>,
    #[serde(default)]
    pub clear_snapshot: Option<String>,
    #[serde(default)]
    pub clear_hls: Option<String>,
    #[serde(default)]
    pub privacy: String,
}

impl CameraForm {
    /// The form of a stored camera: everything but its addresses.
    pub fn of(c: &Camera) -> CameraForm {
        CameraForm {
            village_id: Some(c.village_id),
            name: c.name.clone(),
            spot: c.spot.clone(),
            position: c.position.to_string(),
            visibility: c.visibility.clone(),
            privacy: privacy::form_text(&c.areas()),
            ..CameraForm::default()
        }
    }

    /// The form as shown again after an error: addresses are not echoed.
    pub fn without_secrets(&self) -> CameraForm {
        CameraForm {
            rtsp_url: String::new(),
            snapshot_url: String::new(),
            snapshot_user: String::new(),
            snapshot_password: String::new(),
            hls_url: String::new(),
            ..self.clone()
        }
    }
}

/// What a checked form says.
struct Checked {
    village: Place,
    name: String,
    spot: String,
    position: i32,
    visibility: Visibility,
    source: Source,
    areas: Vec<privacy::Area>,
}

fn check(conn: &mut DbConn, form: &CameraForm, stored: Option<Source>) -> AppResult<Checked> {
    let mut errors = FieldErrors::new();
    let name = form.name.trim().to_string();
    let spot = form.spot.trim().to_string();
    errors.check("name", validate::line(&name, "名称", 30));
    errors.check("spot", validate::line(&spot, "位置", 30));
    let position = match form.position.trim() {
        "" => 0,
        p => p
            .parse::<i32>()
            .ok()
            .filter(|n| (0..=999).contains(n))
            .unwrap_or_else(|| {
                errors.add("position", "顺序请填 0 到 999 的整数");
                0
            }),
    };
    let visibility = Visibility::parse(form.visibility.trim()).unwrap_or_else(|| {
        errors.add("visibility", "请选择谁能看到");
        Visibility::Officials
    });
    let areas = privacy::parse_form(&form.privacy).unwrap_or_else(|e| {
        errors.add("privacy", e);
        Vec::new()
    });
    let mut source = stored.unwrap_or_default();
    source.test_picture = source.test_picture && form.clear_rtsp.is_none();
    let mut url = |field: &'static str,
                   value: &str,
                   clear: bool,
                   schemes: &[&str],
                   slot: &mut Option<String>| {
        let value = value.trim();
        if clear {
            *slot = None;
        } else if !value.is_empty() {
            match source::check_url(value, schemes) {
                Ok(()) => *slot = Some(value.to_string()),
                Err(e) => errors.add(field, e),
            }
        }
    };
    url(
        "rtsp_url",
        &form.rtsp_url,
        form.clear_rtsp.is_some(),
        &["rtsp", "rtsps"],
        &mut source.rtsp,
    );
    url(
        "snapshot_url",
        &form.snapshot_url,
        form.clear_snapshot.is_some(),
        &["http", "https"],
        &mut source.snapshot,
    );
    url(
        "hls_url",
        &form.hls_url,
        form.clear_hls.is_some(),
        &["http", "https"],
        &mut source.hls,
    );
    if form.clear_snapshot.is_some() {
        source.snapshot_user = None;
        source.snapshot_password = None;
    }
    let user = form.snapshot_user.trim();
    if !user.is_empty() {
        if user.chars().any(char::is_control) || user.contains(':') || user.len() > 100 {
            errors.add("snapshot_user", "用户名不能含冒号或控制字符");
        } else {
            source.snapshot_user = Some(user.to_string());
        }
    }
    if !form.snapshot_password.is_empty() {
        if form.snapshot_password.chars().any(char::is_control)
            || form.snapshot_password.len() > 100
        {
            errors.add("snapshot_password", "密码不能含控制字符");
        } else {
            source.snapshot_password = Some(form.snapshot_password.clone());
        }
    }
    if source.is_empty() && errors.get("rtsp_url").is_none() {
        errors.add(
            "rtsp_url",
            "请至少填写一个画面来源：RTSP、抓图地址或 HLS 地址",
        );
    }
    let Some(village) = places::chosen_village(conn, form.village_id) else {
        errors.add("village_id", "请选择所在的村");
        return Err(AppError::Invalid(errors));
    };
    errors.into_result()?;
    Ok(Checked {
        village,
        name,
        spot,
        position,
        visibility,
        source,
        areas,
    })
}

pub fn create(
    conn: &mut DbConn,
    actor: &Actor,
    keys: &Keys,
    form: &CameraForm,
) -> AppResult<Camera> {
    create_from(conn, actor, keys, form, None)
}

/// Same, starting from a source set elsewhere (the demo's test picture).
pub fn create_from(
    conn: &mut DbConn,
    actor: &Actor,
    keys: &Keys,
    form: &CameraForm,
    base: Option<Source>,
) -> AppResult<Camera> {
    let c = check(conn, form, base)?;
    actor.require(Action::ManageCameras, &places::scope(conn, &c.village)?)?;
    db::write(conn, |conn| {
        let now = crate::time::now();
        diesel::insert_into(cameras::table)
            .values((
                cameras::village_id.eq(c.village.id),
                cameras::name.eq(&c.name),
                cameras::spot.eq(&c.spot),
                cameras::position.eq(c.position),
                cameras::visibility.eq(c.visibility.as_str()),
                cameras::source_sealed.eq(c.source.seal(keys)),
                cameras::sources.eq(c.source.kinds()),
                cameras::privacy.eq(privacy::store(&c.areas)),
                cameras::status.eq(Status::Unknown.as_str()),
                cameras::status_since.eq(now),
                cameras::status_reason.eq(""),
                cameras::failures.eq(0),
                cameras::created_at.eq(now),
                cameras::updated_at.eq(now),
            ))
            .execute(conn)?;
        let id = db::last_insert_id(conn)?;
        super::worker::create_leases(conn, id, now)?;
        crate::changes::touch(conn, c.village.id)?;
        audit::record(
            conn,
            actor,
            Event {
                action: "camera.create",
                target_type: "camera",
                target_id: Some(id),
                place_id: Some(c.village.id),
                summary: format!(
                    "{} ({}), {}, source: set ({}), privacy areas: {}",
                    c.name,
                    c.spot,
                    c.visibility.as_str(),
                    c.source.kinds(),
                    c.areas.len()
                ),
            },
        )?;
        super::get(conn, id)
    })
}

/// The camera, if the actor may manage it.
pub fn managed(conn: &mut DbConn, actor: &Actor, id: i64) -> AppResult<Camera> {
    let camera = super::get(conn, id)?;
    actor.require(
        Action::ManageCameras,
        &places::scope_of(conn, camera.village_id)?,
    )?;
    Ok(camera)
}

pub fn update(
    conn: &mut DbConn,
    actor: &Actor,
    keys: &Keys,
    id: i64,
    form: &CameraForm,
) -> AppResult<Camera> {
    let before = managed(conn, actor, id)?;
    let stored = Source::open(keys, &super::sealed_source(conn, id)?);
    let c = check(conn, form, stored.clone())?;
    actor.require(Action::ManageCameras, &places::scope(conn, &c.village)?)?;
    let source_changed = stored.as_ref() != Some(&c.source);
    let privacy = privacy::store(&c.areas);
    let changes = Changes::new()
        .field("village", before.village_id, c.village.id)
        .field("name", &before.name, &c.name)
        .field("spot", &before.spot, &c.spot)
        .field("position", before.position, c.position)
        .field("visibility", &before.visibility, c.visibility.as_str())
        .secret("source", source_changed)
        .field("privacy areas", &before.privacy, &privacy);
    if changes.is_empty() {
        return Ok(before);
    }
    db::write(conn, |conn| {
        let now = crate::time::now();
        diesel::update(cameras::table.find(id))
            .set((
                cameras::village_id.eq(c.village.id),
                cameras::name.eq(&c.name),
                cameras::spot.eq(&c.spot),
                cameras::position.eq(c.position),
                cameras::visibility.eq(c.visibility.as_str()),
                cameras::source_sealed.eq(c.source.seal(keys)),
                cameras::sources.eq(c.source.kinds()),
                cameras::privacy.eq(&privacy),
                cameras::updated_at.eq(now),
            ))
            .execute(conn)?;
        if source_changed || before.privacy != privacy {
            // The old picture may show what is now hidden, or another camera.
            diesel::delete(
                crate::db::schema::camera_snapshots::table
                    .filter(crate::db::schema::camera_snapshots::camera_id.eq(id)),
            )
            .execute(conn)?;
            diesel::update(cameras::table.find(id))
                .set((
                    cameras::snapshot_at.eq(None::<chrono::NaiveDateTime>),
                    cameras::failures.eq(0),
                ))
                .execute(conn)?;
            super::worker::due_now(conn, id, now)?;
        }
        crate::changes::touch(conn, before.village_id)?;
        if before.village_id != c.village.id {
            crate::changes::touch(conn, c.village.id)?;
        }
        audit::record(
            conn,
            actor,
            Event {
                action: "camera.update",
                target_type: "camera",
                target_id: Some(id),
                place_id: Some(c.village.id),
                summary: changes.summary(),
            },
        )?;
        super::get(conn, id)
    })
}

pub fn delete(conn: &mut DbConn, actor: &Actor, id: i64) -> AppResult<()> {
    let camera = managed(conn, actor, id)?;
    db::write(conn, |conn| {
        // Children first: not every engine's foreign keys cascade here.
        use crate::db::schema::{
            camera_events, camera_leases, camera_live, camera_segments, camera_snapshots,
        };
        diesel::delete(camera_segments::table.filter(camera_segments::camera_id.eq(id)))
            .execute(conn)?;
        diesel::delete(camera_live::table.filter(camera_live::camera_id.eq(id))).execute(conn)?;
        diesel::delete(camera_leases::table.filter(camera_leases::camera_id.eq(id)))
            .execute(conn)?;
        diesel::delete(camera_events::table.filter(camera_events::camera_id.eq(id)))
            .execute(conn)?;
        diesel::delete(camera_snapshots::table.filter(camera_snapshots::camera_id.eq(id)))
            .execute(conn)?;
        diesel::delete(cameras::table.find(id)).execute(conn)?;
        crate::changes::touch(conn, camera.village_id)?;
        audit::record(
            conn,
            actor,
            Event {
                action: "camera.delete",
                target_type: "camera",
                target_id: Some(id),
                place_id: Some(camera.village_id),
                summary: format!("{} ({})", camera.name, camera.spot),
            },
        )?;
        Ok(())
    })
}

/// Puts a source in place without the form (the demo loader).
pub fn set_source(conn: &mut DbConn, keys: &Keys, id: i64, source: &Source) -> AppResult<()> {
    diesel::update(cameras::table.find(id))
        .set((
            cameras::source_sealed.eq(source.seal(keys)),
            cameras::sources.eq(source.kinds()),
        ))
        .execute(conn)?;
    Ok(())
}
