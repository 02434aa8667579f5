//! The village office's sign-in screens: only a screen someone above the
//! village registered shows the duty sign-in code, so a code read off it
//! proves the cadre stood in the office (a cadre at home who opens the
//! office address sees no code).
//!
//! An unregistered screen is given a random secret in its cookie and shows
//! an 8-digit registration number derived from it (good for
//! [`PAIRING_MINUTES`]). A township official of the village's township, or
//! an admin, types the number into the village's duty page; the screen, on
//! its next reload, trades its secret for a long-lived random token (in the
//! same HttpOnly cookie). Only hashes are stored: SHA-256 of the secret and
//! of the token, the number keyed with the portal secret. Registration and
//! revocation are audited; a revoked screen asks to be registered again.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::access::{Action, Actor};
use crate::audit::{self, Event};
use crate::crypto::{self, Keys};
use crate::db::schema::{office_pairings, office_screens};
use crate::db::{self, DbConn};
use crate::error::{AppError, AppResult};
use crate::places;

/// The cookie a screen keeps its pairing secret, then its token, in.
pub const COOKIE: &str = "vp_office";
/// How long a registration number is good for.
pub const PAIRING_MINUTES: i64 = 15;
/// How long the cookie of a waiting screen lives: beyond the number's
/// expiry, so a screen registered in its last minute still trades it.
pub const PAIRING_COOKIE_MINUTES: i64 = 60;
/// How long a registered screen's cookie lives (it is revoked, not expired).
pub const TOKEN_DAYS: i64 = 3650;
/// Digits of a registration number.
pub const NUMBER_DIGITS: usize = 8;
/// Waiting screens per village; beyond it a new screen waits its turn.
const MAX_PENDING: i64 = 50;
/// `last_seen` is written at most this often (the screen reloads each minute).
const SEEN_EVERY_MINUTES: i64 = 5;

/// A registered screen, as the duty page lists it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = office_screens)]
pub struct OfficeScreen {
    pub id: i64,
    pub village_id: i64,
    pub issued: bool,
    pub device: String,
    pub approved_by_name: String,
    pub approved_at: NaiveDateTime,
    pub last_seen: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = office_pairings)]
struct Pairing {
    id: i64,
    village_id: i64,
    secret_hash: String,
    device: String,
    expires_at: NaiveDateTime,
}

/// What an office screen is, as its cookie says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Visit {
    /// A registered screen of the village. `new_token`: the cookie to set
    /// (the first visit after registration trades the secret for it).
    Registered { new_token: Option<String> },
    /// Not registered: show `number`. `new_secret`: the cookie to set (a
    /// screen without a waiting secret, or whose number expired).
    Unregistered {
        number: String,
        new_secret: Option<String>,
    },
}

/// A well-formed cookie value: 64 lowercase hex digits (32 random bytes).
pub fn well_formed(value: &str) -> bool {
    value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit())
}

fn hash(secret: &str) -> String {
    crypto::digest_hex(secret.as_bytes())
}

/// The registration number a pairing secret shows.
pub fn number_of(keys: &Keys, secret: &str) -> String {
    let sig = keys.sign(&format!("office-pair|{secret}"));
    let n = u64::from_str_radix(sig.get(..12).unwrap_or("0"), 16).unwrap_or(0);
    format!("{:08}", n % 100_000_000)
}

/// The stored form of a registration number (keyed: 8 digits are few).
fn number_hash(keys: &Keys, number: &str) -> String {
    keys.sign(&format!("office-pair-number|{number}"))
}

/// The active screen of `village_id` whose token (or, before it was
/// issued, pairing secret) is `value`.
fn screen_of(conn: &mut DbConn, village_id: i64, value: &str) -> AppResult<Option<OfficeScreen>> {
    Ok(office_screens::table
        .filter(office_screens::token_hash.eq(hash(value)))
        .filter(office_screens::village_id.eq(village_id))
        .filter(office_screens::revoked_at.is_null())
        .select(OfficeScreen::as_select())
        .first(conn)
        .optional()?)
}

/// Whether the cookie `value` is that of a registered screen of the village
/// (the QR code's image asks, without touching anything).
pub fn is_registered(conn: &mut DbConn, village_id: i64, value: Option<&str>) -> AppResult<bool> {
    match value.filter(|v| well_formed(v)) {
        Some(v) => Ok(screen_of(conn, village_id, v)?.is_some()),
        None => Ok(false),
    }
}

/// The office screen of `village_id` opened with cookie `value` (if any)
/// from a device that says it is `device` (its User-Agent).
pub fn visit(
    conn: &mut DbConn,
    keys: &Keys,
    village_id: i64,
    value: Option<&str>,
    device: &str,
    now: NaiveDateTime,
) -> AppResult<Visit> {
    if let Some(value) = value.filter(|v| well_formed(v)) {
        if let Some(screen) = screen_of(conn, village_id, value)? {
            if !screen.issued {
                let token = crypto::random_hex(32);
                // Only the screen holding the secret gets here; a second
                // request racing it finds the token changed and no row.
                let traded = db::write(conn, |conn| {
                    diesel::update(
                        office_screens::table
                            .find(screen.id)
                            .filter(office_screens::issued.eq(false))
                            .filter(office_screens::revoked_at.is_null()),
                    )
                    .set((
                        office_screens::token_hash.eq(hash(&token)),
                        office_screens::issued.eq(true),
                        office_screens::last_seen.eq(Some(now)),
                    ))
                    .execute(conn)
                })?;
                // 0: a request of the same screen racing this one traded it.
                return Ok(Visit::Registered {
                    new_token: (traded == 1).then_some(token),
                });
            } else {
                let stale = screen
                    .last_seen
                    .is_none_or(|at| at <= now - Duration::minutes(SEEN_EVERY_MINUTES));
                if stale {
                    diesel::update(office_screens::table.find(screen.id))
                        .set(office_screens::last_seen.eq(Some(now)))
                        .execute(conn)?;
                }
                return Ok(Visit::Registered { new_token: None });
            }
        }
        let waiting: Option<i64> = office_pairings::table
            .filter(office_pairings::secret_hash.eq(hash(value)))
            .filter(office_pairings::village_id.eq(village_id))
            .filter(office_pairings::expires_at.gt(now))
            .select(office_pairings::id)
            .first(conn)
            .optional()?;
        if waiting.is_some() {
            return Ok(Visit::Unregistered {
                number: number_of(keys, value),
                new_secret: None,
            });
        }
    }
    let device = match crate::text::cut(device.trim(), 120) {
        d if d.is_empty() => "未知设备".to_string(),
        d => d,
    };
    db::write(conn, |conn| {
        db::lock_table(conn, "office_pairings")?;
        prune_pairings(conn, now)?;
        // A village's waiting screens are bounded, and a number shown on a
        // screen is never dropped for a newer one (a flood of requests would
        // take the real screen's number away): past the bound, wait.
        let waiting: i64 = office_pairings::table
            .filter(office_pairings::village_id.eq(village_id))
            .filter(office_pairings::expires_at.gt(now))
            .count()
            .get_result(conn)?;
        if waiting >= MAX_PENDING {
            return Err(AppError::TooManyRequests(format!(
                "本村等待登记的屏幕太多，请 {PAIRING_MINUTES} 分钟后再试"
            )));
        }
        // A number means one screen: draw again on the rare clash.
        for _ in 0..8 {
            let secret = crypto::random_hex(32);
            let number = number_of(keys, &secret);
            let number_hash = number_hash(keys, &number);
            let taken: i64 = office_pairings::table
                .filter(office_pairings::number_hash.eq(&number_hash))
                .count()
                .get_result(conn)?;
            if taken > 0 {
                continue;
            }
            diesel::insert_into(office_pairings::table)
                .values((
                    office_pairings::village_id.eq(village_id),
                    office_pairings::secret_hash.eq(hash(&secret)),
                    office_pairings::number_hash.eq(number_hash),
                    office_pairings::device.eq(&device),
                    office_pairings::created_at.eq(now),
                    office_pairings::expires_at.eq(now + Duration::minutes(PAIRING_MINUTES)),
                ))
                .execute(conn)?;
            return Ok(Visit::Unregistered {
                number,
                new_secret: Some(secret),
            });
        }
        Err(AppError::bug("no free office registration number"))
    })
}

/// What the duty page's 登记 sends.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct RegisterForm {
    #[serde(default)]
    pub number: String,
}

fn refuse(message: impl Into<String>) -> AppError {
    let mut errors = crate::validate::FieldErrors::new();
    errors.add("number", message);
    AppError::Invalid(errors)
}

/// Registers the screen showing the form's number as an office screen of
/// `village_id` (a township official of its township, or an admin).
pub fn register(
    conn: &mut DbConn,
    keys: &Keys,
    actor: &Actor,
    village_id: i64,
    form: &RegisterForm,
    now: NaiveDateTime,
) -> AppResult<OfficeScreen> {
    let scope = places::scope_of(conn, village_id)?;
    if scope.kind != crate::access::PlaceKind::Village {
        return Err(AppError::not_found("这个村"));
    }
    actor.require(Action::RegisterOfficeScreens, &scope)?;
    let number: String = form
        .number
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    if number.is_empty() {
        return Err(refuse("请输入办公室电视屏幕上显示的 8 位登记号"));
    }
    if number.len() != NUMBER_DIGITS || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(refuse("登记号是 8 位数字，请核对办公室电视屏幕"));
    }
    let wanted = number_hash(keys, &number);
    db::write(conn, |conn| {
        db::lock_table(conn, "office_pairings")?;
        let found: Option<Pairing> = office_pairings::table
            .filter(office_pairings::number_hash.eq(&wanted))
            .order(office_pairings::created_at.desc())
            .select(Pairing::as_select())
            .first(conn)
            .optional()?;
        let Some(p) = found else {
            return Err(refuse("没有这个登记号，请核对办公室电视屏幕上的 8 位数字"));
        };
        if p.village_id != village_id {
            let name = places::get(conn, p.village_id).map_or_else(|_| "其他村".into(), |v| v.name);
            return Err(refuse(format!(
                "这是{name}的屏幕登记号，不能登记为本村的办公室屏幕"
            )));
        }
        if p.expires_at <= now {
            return Err(refuse(
                "这个登记号已过期，请用办公室电视屏幕上新显示的登记号",
            ));
        }
        diesel::delete(office_pairings::table.find(p.id)).execute(conn)?;
        diesel::insert_into(office_screens::table)
            .values((
                office_screens::village_id.eq(village_id),
                office_screens::token_hash.eq(&p.secret_hash),
                office_screens::issued.eq(false),
                office_screens::device.eq(&p.device),
                office_screens::approved_by.eq(actor.user_id),
                office_screens::approved_by_name.eq(&actor.username),
                office_screens::approved_at.eq(now),
            ))
            .execute(conn)?;
        let id = db::last_insert_id(conn)?;
        audit::record(
            conn,
            actor,
            Event {
                action: "office_screen.register",
                target_type: "office_screen",
                target_id: Some(id),
                place_id: Some(village_id),
                summary: format!("登记办公室签到屏幕 #{id}（{}）", p.device),
            },
        )?;
        Ok(office_screens::table
            .find(id)
            .select(OfficeScreen::as_select())
            .first(conn)?)
    })
}

/// 撤销: the screen shows no code any more (it asks to be registered
/// again). Returns the screen's village.
pub fn revoke(
    conn: &mut DbConn,
    actor: &Actor,
    screen_id: i64,
    now: NaiveDateTime,
) -> AppResult<i64> {
    let screen: OfficeScreen = office_screens::table
        .find(screen_id)
        .select(OfficeScreen::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("这块屏幕"))?;
    actor.require(
        Action::RegisterOfficeScreens,
        &places::scope_of(conn, screen.village_id)?,
    )?;
    db::write(conn, |conn| {
        let changed = diesel::update(
            office_screens::table
                .find(screen_id)
                .filter(office_screens::revoked_at.is_null()),
        )
        .set((
            office_screens::revoked_at.eq(Some(now)),
            office_screens::revoked_by_name.eq(Some(actor.username.as_str())),
        ))
        .execute(conn)?;
        // Already revoked (a second click): nothing more to record.
        if changed == 1 {
            audit::record(
                conn,
                actor,
                Event {
                    action: "office_screen.revoke",
                    target_type: "office_screen",
                    target_id: Some(screen_id),
                    place_id: Some(screen.village_id),
                    summary: format!(
                        "撤销办公室签到屏幕 #{screen_id}（{} 登记于 {}）",
                        screen.approved_by_name,
                        screen.approved_at.format("%Y-%m-%d %H:%M")
                    ),
                },
            )?;
        }
        Ok::<_, AppError>(())
    })?;
    Ok(screen.village_id)
}

/// A village's registered screens (not revoked), newest first.
pub fn of_village(conn: &mut DbConn, village_id: i64) -> AppResult<Vec<OfficeScreen>> {
    Ok(office_screens::table
        .filter(office_screens::village_id.eq(village_id))
        .filter(office_screens::revoked_at.is_null())
        .order((
            office_screens::approved_at.desc(),
            office_screens::id.desc(),
        ))
        .select(OfficeScreen::as_select())
        .load(conn)?)
}

/// Forgets registration numbers a day past their expiry (until then a
/// typed one is "expired", not "unknown").
fn prune_pairings(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(
        office_pairings::table.filter(office_pairings::expires_at.lt(now - Duration::days(1))),
    )
    .execute(conn)
}

/// The hourly sweep's part.
pub fn prune(conn: &mut DbConn, now: NaiveDateTime) -> AppResult<usize> {
    Ok(prune_pairings(conn, now)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_eight_digits_derived_from_the_secret() {
        let keys = Keys::derive(b"a secret of at least thirty-two chars");
        let secret = crypto::random_hex(32);
        let n = number_of(&keys, &secret);
        assert_eq!(n.len(), NUMBER_DIGITS);
        assert!(n.bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(n, number_of(&keys, &secret));
        assert_ne!(n, number_of(&keys, &crypto::random_hex(32)));
        assert!(well_formed(&secret));
        assert!(!well_formed("short"));
        assert!(!well_formed(&format!("{}zz", &secret[..62])));
        // The stored forms reveal neither.
        assert!(!number_hash(&keys, &n).contains(&n));
        assert_ne!(hash(&secret), secret);
    }
}
