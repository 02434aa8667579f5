//! The cadres of a village's committee (村两委干部), kept by its clerk and by
//! officials and admins above.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::access::{Action, Actor, PlaceKind};
use crate::audit::{self, Changes, Event};
use crate::db::schema::{cadres, users};
use crate::db::{self, DbConn};
use crate::error::{AppError, AppResult};
use crate::places::{self, Place};
use crate::validate::{self, FieldErrors};

/// Posts offered in the form (others may be typed).
pub const POSTS: [&str; 8] = [
    "党支部书记",
    "村委会主任",
    "党支部副书记",
    "村委会副主任",
    "委员",
    "文书",
    "会计",
    // Questions on village affairs go to this committee's members.
    "村务监督委员会主任",
];

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = cadres)]
pub struct Cadre {
    pub id: i64,
    pub village_id: i64,
    pub name: String,
    pub post: String,
    /// Private: the back office only.
    pub phone: String,
    /// The work phone a TV may show (empty: the office phone).
    pub duty_phone: String,
    pub photo_id: Option<i64>,
    pub user_id: Option<i64>,
    pub active: bool,
    pub position: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct CadreForm {
    #[serde(default, deserialize_with = "crate::validate::optional_id")]
    pub village_id: Option<i64>,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub post: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub duty_phone: String,
    #[serde(default, deserialize_with = "crate::validate::optional_id")]
    pub user_id: Option<i64>,
    #[serde(default, deserialize_with = "crate::validate::optional_id")]
    pub photo_id: Option<i64>,
    #[serde(default)]
    pub position: String,
    /// A checkbox: present when ticked.
    #[serde(default)]
    pub active: Option<String>,
}

impl CadreForm {
    pub fn of(c: &Cadre) -> CadreForm {
        CadreForm {
            village_id: Some(c.village_id),
            name: c.name.clone(),
            post: c.post.clone(),
            phone: c.phone.clone(),
            duty_phone: c.duty_phone.clone(),
            user_id: c.user_id,
            photo_id: c.photo_id,
            position: c.position.to_string(),
            active: c.active.then(|| "on".into()),
        }
    }
}

/// A phone number as villages write them: digits, `-`, spaces, 5 to 20 long.
pub fn check_phone(value: &str, label: &str, required: bool) -> Result<(), String> {
    let v = value.trim();
    if v.is_empty() {
        return if required {
            Err(format!("请填写{label}"))
        } else {
            Ok(())
        };
    }
    let digits = v.bytes().filter(u8::is_ascii_digit).count();
    if v.len() > 20
        || !(5..=15).contains(&digits)
        || !v
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'-' || b == b' ')
    {
        return Err(format!("{label}须为 5 到 15 位数字，可带 -"));
    }
    Ok(())
}

pub fn get(conn: &mut DbConn, id: i64) -> AppResult<Cadre> {
    cadres::table
        .find(id)
        .select(Cadre::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("这位村干部"))
}

/// A village's cadres in their order, the inactive ones last.
pub fn of_village(conn: &mut DbConn, village_id: i64) -> AppResult<Vec<Cadre>> {
    Ok(cadres::table
        .filter(cadres::village_id.eq(village_id))
        .order((cadres::active.desc(), cadres::position, cadres::id))
        .select(Cadre::as_select())
        .load(conn)?)
}

/// The cadre a back-office account signs in for duty as.
pub fn of_user(conn: &mut DbConn, user_id: i64) -> AppResult<Option<Cadre>> {
    Ok(cadres::table
        .filter(cadres::user_id.eq(user_id))
        .select(Cadre::as_select())
        .first(conn)
        .optional()?)
}

/// A cadre of `village_id` by id, or the message a form shows beside the field.
pub fn of_village_by_id(
    conn: &mut DbConn,
    village_id: i64,
    id: Option<i64>,
) -> AppResult<Result<Cadre, String>> {
    let Some(id) = id else {
        return Ok(Err("请选择一位村干部".into()));
    };
    let found = cadres::table
        .find(id)
        .filter(cadres::village_id.eq(village_id))
        .select(Cadre::as_select())
        .first(conn)
        .optional()?;
    Ok(match found {
        None => Err("找不到这位村干部（须是本村的村干部）".into()),
        Some(c) if !c.active => Err(format!("{} 已不在职", c.name)),
        Some(c) => Ok(c),
    })
}

/// The accounts a cadre of the village may be linked to: the village's users.
pub fn linkable_users(conn: &mut DbConn, village_id: i64) -> AppResult<Vec<(i64, String)>> {
    Ok(users::table
        .filter(users::place_id.eq(village_id))
        .order(users::username)
        .select((users::id, users::username))
        .load(conn)?)
}

struct Checked {
    village: Place,
    position: i32,
}

fn check(
    conn: &mut DbConn,
    actor: &Actor,
    form: &CadreForm,
    editing: Option<i64>,
) -> AppResult<Checked> {
    let mut errors = FieldErrors::new();
    let village = match form.village_id {
        Some(id) => places::get(conn, id)
            .ok()
            .filter(|p| p.kind() == PlaceKind::Village),
        None => None,
    };
    let Some(village) = village else {
        errors.add("village_id", "请选择所属的村");
        return Err(AppError::Invalid(errors));
    };
    actor.require(Action::KeepRoster, &places::scope(conn, &village)?)?;
    errors.check("name", validate::line(form.name.trim(), "姓名", 20));
    errors.check("post", validate::line(form.post.trim(), "职务", 20));
    errors.check("phone", check_phone(&form.phone, "手机号", true));
    errors.check(
        "duty_phone",
        check_phone(&form.duty_phone, "值班电话", false),
    );
    let position = match form.position.trim() {
        "" => 0,
        p => match p.parse::<i32>() {
            Ok(n) if (0..=999).contains(&n) => n,
            _ => {
                errors.add("position", "排序须为 0 到 999 的整数");
                0
            }
        },
    };
    if let Some(user_id) = form.user_id {
        let on_place: Option<i64> = users::table
            .find(user_id)
            .filter(users::place_id.eq(village.id))
            .select(users::id)
            .first(conn)
            .optional()?;
        let taken: Option<i64> = cadres::table
            .filter(cadres::user_id.eq(user_id))
            .filter(cadres::id.ne(editing.unwrap_or(0)))
            .select(cadres::id)
            .first(conn)
            .optional()?;
        if on_place.is_none() {
            errors.add("user_id", "请选择本村的后台账号");
        } else if taken.is_some() {
            errors.add("user_id", "这个账号已关联了另一位村干部");
        }
    }
    if let Some(photo) = form.photo_id {
        if !crate::media::of_place(conn, photo, village.id)? {
            errors.add("photo_id", "找不到这张图片（须是本村图片库中的图片）");
        }
    }
    errors.into_result()?;
    Ok(Checked { village, position })
}

pub fn create(conn: &mut DbConn, actor: &Actor, form: &CadreForm) -> AppResult<Cadre> {
    let checked = check(conn, actor, form, None)?;
    db::write(conn, |conn| {
        let now = crate::time::now();
        diesel::insert_into(cadres::table)
            .values((
                cadres::village_id.eq(checked.village.id),
                cadres::name.eq(form.name.trim()),
                cadres::post.eq(form.post.trim()),
                cadres::phone.eq(form.phone.trim()),
                cadres::duty_phone.eq(form.duty_phone.trim()),
                cadres::photo_id.eq(form.photo_id),
                cadres::user_id.eq(form.user_id),
                cadres::active.eq(true),
                cadres::position.eq(checked.position),
                cadres::created_at.eq(now),
                cadres::updated_at.eq(now),
            ))
            .execute(conn)?;
        let id = db::last_insert_id(conn)?;
        audit::record(
            conn,
            actor,
            Event {
                action: "cadre.create",
                target_type: "cadre",
                target_id: Some(id),
                place_id: Some(checked.village.id),
                summary: format!("{} {}", form.name.trim(), form.post.trim()),
            },
        )?;
        crate::changes::touch(conn, checked.village.id)?;
        get(conn, id)
    })
}

pub fn update(conn: &mut DbConn, actor: &Actor, id: i64, form: &CadreForm) -> AppResult<Cadre> {
    let before = get(conn, id)?;
    actor.require(
        Action::KeepRoster,
        &places::scope_of(conn, before.village_id)?,
    )?;
    let checked = check(conn, actor, form, Some(id))?;
    let active = form.active.is_some();
    let changes = Changes::new()
        .field("village_id", before.village_id, checked.village.id)
        .field("name", &before.name, form.name.trim())
        .field("post", &before.post, form.post.trim())
        .secret("phone", before.phone != form.phone.trim())
        .field("duty_phone", &before.duty_phone, form.duty_phone.trim())
        .field("user_id", fmt_id(before.user_id), fmt_id(form.user_id))
        .field("photo_id", fmt_id(before.photo_id), fmt_id(form.photo_id))
        .field("position", before.position, checked.position)
        .field("active", before.active, active);
    if changes.is_empty() {
        return Ok(before);
    }
    db::write(conn, |conn| {
        diesel::update(cadres::table.find(id))
            .set((
                cadres::village_id.eq(checked.village.id),
                cadres::name.eq(form.name.trim()),
                cadres::post.eq(form.post.trim()),
                cadres::phone.eq(form.phone.trim()),
                cadres::duty_phone.eq(form.duty_phone.trim()),
                cadres::photo_id.eq(form.photo_id),
                cadres::user_id.eq(form.user_id),
                cadres::active.eq(active),
                cadres::position.eq(checked.position),
                cadres::updated_at.eq(crate::time::now()),
            ))
            .execute(conn)?;
        audit::record(
            conn,
            actor,
            Event {
                action: "cadre.update",
                target_type: "cadre",
                target_id: Some(id),
                place_id: Some(checked.village.id),
                summary: changes.summary(),
            },
        )?;
        crate::changes::touch(conn, before.village_id)?;
        crate::changes::touch(conn, checked.village.id)?;
        get(conn, id)
    })
}

fn fmt_id(id: Option<i64>) -> String {
    id.map_or_else(|| "-".into(), |i| i.to_string())
}
