//! Back-office users: roles, passwords, disabling, and signing in.

pub mod throttle;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::access::{Action, Actor, Role};
use crate::audit::{self, Changes, Event};
use crate::crypto;
use crate::db::schema::users;
use crate::db::{self, DbConn};
use crate::error::{AppError, AppResult};
use crate::places::{self, Place};
use crate::validate::FieldErrors;

pub const PASSWORD_MIN_CHARS: usize = 12;
pub const PASSWORD_MAX_CHARS: usize = 128;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub place_id: i64,
    pub password_hash: String,
    pub disabled: bool,
    pub session_version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl User {
    pub fn role(&self) -> Role {
        // The CHECK constraint keeps `role` to the four values.
        Role::parse(&self.role).unwrap_or(Role::Auditor)
    }
}

#[derive(Insertable)]
#[diesel(table_name = users)]
struct NewUser<'a> {
    username: &'a str,
    display_name: &'a str,
    role: &'a str,
    place_id: i64,
    password_hash: &'a str,
    disabled: bool,
    session_version: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// The new-user form (also used by `user add` and the demo).
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct NewUserForm {
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub role: String,
    #[serde(default, deserialize_with = "crate::validate::optional_id")]
    pub place_id: Option<i64>,
    #[serde(default)]
    pub password: String,
}

/// The edit-user form. `disabled` is a checkbox: present means on.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct EditUserForm {
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub role: String,
    #[serde(default, deserialize_with = "crate::validate::optional_id")]
    pub place_id: Option<i64>,
    #[serde(default)]
    pub disabled: Option<String>,
}

pub fn check_username(name: &str) -> Result<(), String> {
    let ok = (2..=32).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
        && name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err("用户名须为 2 到 32 位小写字母、数字或 . _ -，以字母或数字开头".into())
    }
}

pub fn check_password_rules(password: &str) -> Result<(), String> {
    let n = password.chars().count();
    if n < PASSWORD_MIN_CHARS {
        return Err(format!("密码至少 {PASSWORD_MIN_CHARS} 个字符"));
    }
    if n > PASSWORD_MAX_CHARS {
        return Err(format!("密码最多 {PASSWORD_MAX_CHARS} 个字符"));
    }
    if password.trim().is_empty() || password.contains('\0') {
        return Err("密码不能全是空格或含有控制字符".into());
    }
    Ok(())
}

pub fn get(conn: &mut DbConn, id: i64) -> AppResult<User> {
    users::table
        .find(id)
        .select(User::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("该用户"))
}

pub fn find_by_username(conn: &mut DbConn, username: &str) -> AppResult<Option<User>> {
    Ok(users::table
        .filter(users::username.eq(username))
        .select(User::as_select())
        .first(conn)
        .optional()?)
}

/// All users with their places, for the admin list.
pub fn list(conn: &mut DbConn) -> AppResult<Vec<(User, Place)>> {
    Ok(users::table
        .inner_join(crate::db::schema::places::table)
        .order(users::username)
        .select((User::as_select(), Place::as_select()))
        .load(conn)?)
}

/// The actor a signed-in user acts as.
pub fn actor(conn: &mut DbConn, user: &User) -> AppResult<Actor> {
    Ok(Actor {
        user_id: Some(user.id),
        username: user.username.clone(),
        role: user.role(),
        place: places::scope_of(conn, user.place_id)?,
    })
}

/// Checks role and place together; returns the place's scope.
fn check_role_place(
    conn: &mut DbConn,
    role: &str,
    place_id: Option<i64>,
    errors: &mut FieldErrors,
) -> AppResult<Option<(Role, crate::access::PlaceScope)>> {
    let Some(role) = Role::parse(role) else {
        errors.add("role", "请选择角色：admin、official、clerk 或 auditor");
        return Ok(None);
    };
    let Some(place_id) = place_id else {
        errors.add("place_id", "请选择所属地点");
        return Ok(None);
    };
    let place = match places::get(conn, place_id) {
        Ok(p) => p,
        Err(AppError::NotFound(_)) => {
            errors.add("place_id", "所属地点不存在");
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    if place.kind() != role.place_kind() {
        errors.add(
            "place_id",
            format!("{}必须属于一个{}", role.label(), role.place_kind().label()),
        );
        return Ok(None);
    }
    Ok(Some((role, places::scope(conn, &place)?)))
}

pub fn create(conn: &mut DbConn, actor: &Actor, form: &NewUserForm) -> AppResult<User> {
    let username = form.username.trim().to_lowercase();
    let display_name = match form.display_name.trim() {
        "" => username.clone(),
        name => name.to_string(),
    };
    let mut errors = FieldErrors::new();
    errors.check("username", check_username(&username));
    errors.check(
        "display_name",
        crate::validate::line(&display_name, "姓名", 40),
    );
    errors.check("password", check_password_rules(&form.password));
    let role_place = check_role_place(conn, &form.role, form.place_id, &mut errors)?;
    errors.into_result()?;
    let Some((role, scope)) = role_place else {
        return Err(AppError::BadRequest("角色或地点无效".into()));
    };
    actor.require(Action::ManageUsers, &scope)?;
    let hash = crypto::hash_secret(&form.password)?;
    db::write(conn, |conn| {
        let now = crate::time::now();
        diesel::insert_into(users::table)
            .values(NewUser {
                username: &username,
                display_name: &display_name,
                role: role.as_str(),
                place_id: scope.id,
                password_hash: &hash,
                disabled: false,
                session_version: 1,
                created_at: now,
                updated_at: now,
            })
            .execute(conn)
            .map_err(db::unique_to_field(
                "username",
                format!("用户名 {username} 已存在"),
            ))?;
        let id = db::last_insert_id(conn)?;
        audit::record(
            conn,
            actor,
            Event {
                action: "user.create",
                target_type: "user",
                target_id: Some(id),
                place_id: Some(scope.id),
                summary: format!("{username} ({})", role.as_str()),
            },
        )?;
        get(conn, id)
    })
}

/// Changes name, role, place or disabled. Role, place or disabling changes
/// end the user's sessions.
pub fn update(conn: &mut DbConn, actor: &Actor, id: i64, form: &EditUserForm) -> AppResult<User> {
    let before = get(conn, id)?;
    actor.require(
        Action::ManageUsers,
        &places::scope_of(conn, before.place_id)?,
    )?;
    let mut errors = FieldErrors::new();
    let display_name = form.display_name.trim();
    errors.check(
        "display_name",
        crate::validate::line(display_name, "姓名", 40),
    );
    let role_place = check_role_place(conn, &form.role, form.place_id, &mut errors)?;
    let disabled = form.disabled.is_some();
    if disabled && actor.user_id == Some(id) {
        errors.add("disabled", "不能停用自己的账号");
    }
    errors.into_result()?;
    let Some((role, scope)) = role_place else {
        return Err(AppError::BadRequest("角色或地点无效".into()));
    };
    actor.require(Action::ManageUsers, &scope)?;
    let changes = Changes::new()
        .field("display_name", &before.display_name, display_name)
        .field("role", &before.role, role.as_str())
        .field("place_id", before.place_id, scope.id)
        .field("disabled", before.disabled, disabled);
    if changes.is_empty() {
        return Ok(before);
    }
    let ends_sessions = before.role != role.as_str()
        || before.place_id != scope.id
        || (disabled && !before.disabled);
    db::write(conn, |conn| {
        diesel::update(users::table.find(id))
            .set((
                users::display_name.eq(display_name),
                users::role.eq(role.as_str()),
                users::place_id.eq(scope.id),
                users::disabled.eq(disabled),
                users::session_version.eq(before.session_version + i32::from(ends_sessions)),
                users::updated_at.eq(crate::time::now()),
            ))
            .execute(conn)?;
        audit::record(
            conn,
            actor,
            Event {
                action: "user.update",
                target_type: "user",
                target_id: Some(id),
                place_id: Some(scope.id),
                summary: format!("{}: {}", before.username, changes.summary()),
            },
        )?;
        get(conn, id)
    })
}

/// Sets a new password and ends the user's sessions.
pub fn reset_password(conn: &mut DbConn, actor: &Actor, id: i64, password: &str) -> AppResult<()> {
    let user = get(conn, id)?;
    actor.require(Action::ManageUsers, &places::scope_of(conn, user.place_id)?)?;
    let mut errors = FieldErrors::new();
    errors.check("password", check_password_rules(password));
    errors.into_result()?;
    let hash = crypto::hash_secret(password)?;
    db::write(conn, |conn| {
        diesel::update(users::table.find(id))
            .set((
                users::password_hash.eq(&hash),
                users::session_version.eq(user.session_version + 1),
                users::updated_at.eq(crate::time::now()),
            ))
            .execute(conn)?;
        audit::record(
            conn,
            actor,
            Event {
                action: "user.password_reset",
                target_type: "user",
                target_id: Some(id),
                place_id: Some(user.place_id),
                summary: format!(
                    "{}: {}",
                    user.username,
                    Changes::new().secret("password", true).summary()
                ),
            },
        )
        .map_err(AppError::from)
    })
}

/// Ends every session of the user: the session lives in a signed cookie, so
/// a copy of it must stop working too (this also signs out other devices).
pub fn sign_out(conn: &mut DbConn, actor: &Actor, user: &User) -> AppResult<()> {
    db::write(conn, |conn| {
        diesel::update(users::table.find(user.id))
            .set(users::session_version.eq(users::session_version + 1))
            .execute(conn)?;
        audit::record(
            conn,
            actor,
            Event {
                action: "session.sign_out",
                target_type: "user",
                target_id: Some(user.id),
                place_id: Some(user.place_id),
                summary: String::new(),
            },
        )
        .map_err(AppError::from)
    })
}

/// Checks a username and password, throttling repeated failures per username
/// and per client address. The error never tells whether the user exists.
pub fn sign_in(
    conn: &mut DbConn,
    limits: &throttle::Limits,
    username: &str,
    password: &str,
    client: &str,
) -> AppResult<(User, Actor)> {
    let username = username.trim().to_lowercase();
    let keys = throttle::keys(&username, client);
    // Counted as a failure before the (slow) password check, in the same
    // step that found the keys under their limits: concurrent attempts
    // cannot all slip past the limit.
    let claim = match throttle::claim(
        conn,
        limits.window_minutes,
        &[
            (&keys.user, limits.per_user),
            (&keys.client, limits.per_client),
        ],
    )? {
        Ok(claim) => claim,
        Err(minutes) => {
            return Err(AppError::TooManyRequests(format!(
                "登录失败次数过多，请 {minutes} 分钟后再试"
            )))
        }
    };
    // Only well-formed names can exist; others still pay for a hash check.
    let user = match check_username(&username) {
        Ok(()) => find_by_username(conn, &username)?,
        Err(_) => None,
    };
    let hash = user
        .as_ref()
        .map_or(crypto::dummy_hash(), |u| u.password_hash.as_str());
    let password_ok = crypto::verify_secret(hash, password);
    match user {
        Some(user) if password_ok && !user.disabled => {
            throttle::withdraw(conn, claim)?;
            throttle::clear(conn, &keys.user)?;
            let actor = actor(conn, &user)?;
            db::write(conn, |conn| {
                audit::record(
                    conn,
                    &actor,
                    Event {
                        action: "session.sign_in",
                        target_type: "user",
                        target_id: Some(user.id),
                        place_id: Some(user.place_id),
                        summary: format!("from {client}"),
                    },
                )
            })?;
            Ok((user, actor))
        }
        _ => {
            log::info!("failed sign-in from {client}");
            Err(AppError::BadRequest(
                "用户名或密码不正确，或账号已停用".into(),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn username_rules() {
        for ok in ["admin", "clerk2", "wang.li", "a_b-c"] {
            assert!(check_username(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "a",
            "Admin",
            "王",
            ".x",
            "a b",
            &"a".repeat(33),
            &"a".repeat(100_000),
        ] {
            assert!(check_username(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn password_rules() {
        assert!(check_password_rules("short").is_err());
        assert!(check_password_rules("exactly12chr").is_ok());
        assert!(check_password_rules(&"长".repeat(64)).is_ok());
        assert!(check_password_rules(&"x".repeat(129)).is_err());
        assert!(check_password_rules(&" ".repeat(20)).is_err());
    }
}
