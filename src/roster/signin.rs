//! Duty sign-in that proves presence: the office screen shows a code that
//! changes every minute (a QR code of the phone page's address with the
//! code in it, and the 6 digits under it). A cadre signs in or out with it
//! from the back office on a phone. A code is derived from the portal
//! secret, the village and the minute, so every instance shows the same
//! one; it is good for one use, for [`VALID_WINDOWS`] minutes, in its
//! village only.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::cadres::{self, Cadre};
use super::day_str;
use crate::access::Actor;
use crate::audit::{self, Event};
use crate::crypto::Keys;
use crate::db::schema::{duty_code_uses, duty_signins, places as places_table};
use crate::db::{self, DbConn};
use crate::error::{AppError, AppResult};
use crate::places;

pub const WINDOW_SECONDS: i64 = 60;
/// The code shown now and the one before it: about 2 minutes.
pub const VALID_WINDOWS: i64 = 2;
/// How far back a code is still recognised, to say "expired" rather than "wrong".
const RECOGNISED_WINDOWS: i64 = 24 * 60;

/// The number of the minute window `at` falls in.
pub fn window_of(at: NaiveDateTime) -> i64 {
    at.and_utc().timestamp().div_euclid(WINDOW_SECONDS)
}

/// Seconds until the next window starts (when the screen shows a new code).
pub fn seconds_left(at: NaiveDateTime) -> i64 {
    WINDOW_SECONDS - at.and_utc().timestamp().rem_euclid(WINDOW_SECONDS)
}

/// The 6-digit code of a village in a window.
pub fn code(keys: &Keys, village_id: i64, window: i64) -> String {
    let sig = keys.sign(&format!("duty|{village_id}|{window}"));
    let n = u32::from_str_radix(sig.get(..8).unwrap_or("0"), 16).unwrap_or(0);
    format!("{:06}", n % 1_000_000)
}

/// The QR code of `text` as a PNG, `scale` pixels a module, with the quiet zone.
pub fn qr_png(text: &str, scale: u32) -> AppResult<Vec<u8>> {
    let qr = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M)
        .map_err(crate::error::AppError::because("qr code"))?;
    let width = qr.width() as u32;
    let colors = qr.to_colors();
    let quiet = 4;
    let side = (width + 2 * quiet) * scale;
    let img = image::GrayImage::from_fn(side, side, |x, y| {
        let (mx, my) = (x / scale, y / scale);
        let dark = mx >= quiet
            && my >= quiet
            && mx < width + quiet
            && my < width + quiet
            && colors
                .get(((my - quiet) * width + (mx - quiet)) as usize)
                .is_some_and(|c| *c == qrcode::Color::Dark);
        image::Luma([if dark { 0 } else { 255 }])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .map_err(crate::error::AppError::because("qr png"))?;
    Ok(out.into_inner())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    In,
    Out,
}

impl Direction {
    pub fn parse(s: &str) -> Option<Direction> {
        match s {
            "in" => Some(Direction::In),
            "out" => Some(Direction::Out),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::In => "in",
            Direction::Out => "out",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Direction::In => "签到",
            Direction::Out => "签退",
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = duty_signins)]
pub struct Signin {
    pub id: i64,
    pub village_id: i64,
    pub cadre_id: i64,
    pub day: String,
    pub kind: String,
    pub at: NaiveDateTime,
}

/// A village's sign-ins and sign-outs on the days from `from` to `to`.
pub fn between(conn: &mut DbConn, village_id: i64, from: &str, to: &str) -> AppResult<Vec<Signin>> {
    Ok(duty_signins::table
        .filter(duty_signins::village_id.eq(village_id))
        .filter(duty_signins::day.between(from, to))
        .order(duty_signins::at)
        .select(Signin::as_select())
        .load(conn)?)
}

/// What the phone page sends.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct SigninForm {
    /// The village code the QR carried (empty when the code was typed).
    #[serde(default)]
    pub v: String,
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub kind: String,
}

/// Why a code is refused, in words for the cadre.
fn refuse(message: impl Into<String>) -> AppError {
    let mut errors = crate::validate::FieldErrors::new();
    errors.add("code", message);
    AppError::Invalid(errors)
}

/// The window among the recent ones whose code for `village_id` is `given`.
fn find_window(keys: &Keys, village_id: i64, given: &str, now: i64, back: i64) -> Option<i64> {
    (0..back)
        .map(|k| now - k)
        .find(|w| code(keys, village_id, *w) == given)
}

/// Signs the actor's cadre in or out with a code from the office screen.
pub fn sign(
    conn: &mut DbConn,
    keys: &Keys,
    actor: &Actor,
    form: &SigninForm,
    at: NaiveDateTime,
    offset: chrono::FixedOffset,
) -> AppResult<(Cadre, Signin)> {
    let direction = Direction::parse(&form.kind)
        .ok_or_else(|| AppError::BadRequest("请选择签到或签退".into()))?;
    let user_id = actor.user_id.ok_or_else(AppError::forbidden)?;
    let cadre = cadres::of_user(conn, user_id)?
        .filter(|c| c.active)
        .ok_or_else(|| refuse("您的账号没有关联在职的村干部，请联系村文书在“值班管理”里关联"))?;
    let given: String = form.code.chars().filter(|c| !c.is_whitespace()).collect();
    if given.len() != 6 || !given.bytes().all(|b| b.is_ascii_digit()) {
        return Err(refuse("请输入屏幕上的 6 位数字"));
    }
    let now = window_of(at);
    let scope = places::scope_of(conn, cadre.village_id)?;
    // A QR code names its village: another village's is refused outright.
    let named = form.v.trim();
    if !named.is_empty() {
        let own: String = places_table::table
            .find(cadre.village_id)
            .select(places_table::code)
            .first(conn)?;
        if named != own {
            let name =
                places::find_by_code(conn, named)?.map_or_else(|| "其他村".into(), |p| p.name);
            return Err(refuse(format!("这是{name}的签到码，请扫本村村委的签到码")));
        }
    }
    let Some(window) = find_window(keys, cadre.village_id, &given, now, VALID_WINDOWS) else {
        if find_window(keys, cadre.village_id, &given, now, RECOGNISED_WINDOWS).is_some() {
            return Err(refuse("签到码已过期，请用屏幕上最新的签到码（每分钟更换）"));
        }
        // A typed code may be a neighbour's (the same township).
        if let Some(township) = scope.township_id {
            for v in places::children(conn, township)? {
                if v.id != cadre.village_id
                    && find_window(keys, v.id, &given, now, VALID_WINDOWS).is_some()
                {
                    return Err(refuse(format!(
                        "这是{}的签到码，请用本村村委的签到码",
                        v.name
                    )));
                }
            }
        }
        return Err(refuse("签到码不对，请核对屏幕上的 6 位数字"));
    };
    let day = day_str(crate::time::to_local(at, offset).date_naive());
    let signin = db::write(conn, |conn| {
        db::lock_table(conn, "duty_code_uses")?;
        let used: Option<i64> = duty_code_uses::table
            .find((cadre.village_id, window))
            .select(duty_code_uses::window_no)
            .first(conn)
            .optional()?;
        if used.is_some() {
            return Err(refuse(
                "这个签到码已经用过了，请等屏幕换新码（每分钟一次）再签",
            ));
        }
        diesel::insert_into(duty_code_uses::table)
            .values((
                duty_code_uses::village_id.eq(cadre.village_id),
                duty_code_uses::window_no.eq(window),
                duty_code_uses::used_at.eq(at),
            ))
            .execute(conn)?;
        diesel::insert_into(duty_signins::table)
            .values((
                duty_signins::village_id.eq(cadre.village_id),
                duty_signins::cadre_id.eq(cadre.id),
                duty_signins::day.eq(&day),
                duty_signins::kind.eq(direction.as_str()),
                duty_signins::at.eq(at),
            ))
            .execute(conn)?;
        let id = db::last_insert_id(conn)?;
        audit::record(
            conn,
            actor,
            Event {
                action: if direction == Direction::In {
                    "duty.signin"
                } else {
                    "duty.signout"
                },
                target_type: "cadre",
                target_id: Some(cadre.id),
                place_id: Some(cadre.village_id),
                summary: format!("{} {}", cadre.name, crate::time::format_local(at, offset)),
            },
        )?;
        // The home's 今日值班 says who is in.
        crate::changes::touch(conn, cadre.village_id)?;
        Ok::<_, AppError>(
            duty_signins::table
                .find(id)
                .select(Signin::as_select())
                .first(conn)?,
        )
    })?;
    Ok((cadre, signin))
}

/// Removes code uses older than a day (they can no longer be replayed).
pub fn prune(conn: &mut DbConn, at: NaiveDateTime) -> AppResult<usize> {
    let before = at - chrono::Duration::days(1);
    Ok(
        diesel::delete(duty_code_uses::table.filter(duty_code_uses::used_at.lt(before)))
            .execute(conn)?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits_per_village_and_minute() {
        let keys = Keys::derive(b"a secret of at least thirty-two chars");
        let c = code(&keys, 1, 100);
        assert_eq!(c.len(), 6);
        assert!(c.bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(c, code(&keys, 1, 100));
        // Different villages and minutes get different codes (for these inputs).
        assert_ne!(c, code(&keys, 2, 100));
        assert_ne!(c, code(&keys, 1, 101));
        assert_eq!(find_window(&keys, 1, &c, 101, VALID_WINDOWS), Some(100));
        assert_eq!(find_window(&keys, 1, &c, 102, VALID_WINDOWS), None);
    }

    #[test]
    fn the_qr_code_is_a_png() {
        let png = qr_png("http://portal/admin/duty/signin?v=gengjing&code=123456", 6);
        let png = png.unwrap_or_default();
        assert!(png.starts_with(b"\x89PNG"));
        let img = image::load_from_memory(&png).map(|i| (i.width(), i.height()));
        assert!(matches!(img, Ok((w, h)) if w == h && w >= 25 * 6));
    }
}
