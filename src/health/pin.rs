//! The household PIN that guards a household's readings on the TV: checking
//! it with a lockout shared by every instance (in the database), and the two
//! small records the web layer keeps in encrypted cookies: the access
//! [`Grant`] after the right PIN, and the on-screen keypad's [`Pad`].
//!
//! Nothing here logs a PIN, a digit or a household's readings.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use crate::db::schema::households as rows;
use crate::db::{self, DbConn};
use crate::error::AppResult;
use crate::households::{self, Household};
use crate::users::throttle;

/// Wrong PINs in a row, from boxes the household has not trusted, that lock
/// the household's PIN for those boxes.
pub const MAX_FAILURES: i32 = 5;
/// How long a locked PIN stays locked.
pub const LOCK_MINUTES: i64 = 15;
/// Wrong PINs one client address, or one box, may type in `LOCK_MINUTES`,
/// whatever households they name (spraying PINs over many households).
pub const MAX_FAILURES_PER_CLIENT: i64 = 10;
/// Wrong PINs a trusted box (see [`Device`]) may type in `LOCK_MINUTES`.
pub const MAX_FAILURES_PER_DEVICE: i64 = 5;
/// A box stays trusted this long after its last right PIN.
pub const DEVICE_DAYS: i64 = 180;
/// Access ends after this long without a page view.
pub const IDLE_MINUTES: i64 = 10;
/// Access ends this long after the PIN at the latest, however busy.
pub const MAX_MINUTES: i64 = 120;
/// The keypad forgets typed digits after this long.
pub const PAD_MINUTES: i64 = 5;
/// The longest PIN (`households::check_pin`).
pub const MAX_DIGITS: usize = 6;
/// Clocks of several instances may differ this much.
const SKEW_SECONDS: i64 = 60;

/// What a PIN attempt came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Granted,
    /// Wrong; `left` more tries before the lock.
    Wrong {
        left: i32,
    },
    /// Locked (now, or by this very attempt) until then (UTC).
    Locked {
        until: NaiveDateTime,
    },
    /// This address or box tried too many wrong PINs; nothing was checked.
    Throttled {
        minutes: i64,
    },
}

/// Where a PIN attempt comes from.
#[derive(Debug, Clone, Default)]
pub struct Source {
    /// The client's address (`web::auth::client_addr`).
    pub client: String,
    /// The STB id of the box's cookie, if any.
    pub stb: Option<String>,
    /// The box's trusted-box record, if it has one.
    pub device: Option<Device>,
}

impl Source {
    /// Whether the box is one the household trusted (see [`Device`]).
    fn trusted_by(&self, h: &Household) -> bool {
        self.device.as_ref().is_some_and(|d| d.trusted_by(h))
    }

    /// The throttle keys and limits an attempt on `h` counts against.
    fn keys(&self, h: &Household) -> Vec<(String, i64)> {
        use crate::users::throttle::clean;
        match &self.device {
            Some(d) if d.trusted_by(h) => vec![(
                format!("pin-dev:{}:{}", h.id, clean(&d.nonce)),
                MAX_FAILURES_PER_DEVICE,
            )],
            _ => {
                let mut keys = vec![(
                    format!("pin-ip:{}", clean(&self.client)),
                    MAX_FAILURES_PER_CLIENT,
                )];
                if let Some(stb) = &self.stb {
                    keys.push((format!("pin-box:{}", clean(stb)), MAX_FAILURES_PER_CLIENT));
                }
                keys
            }
        }
    }
}

/// The lock in force at `now`, if any. It stops boxes the household has not
/// trusted; a trusted box is never stopped by it.
pub fn locked_until(h: &Household, now: NaiveDateTime) -> Option<NaiveDateTime> {
    h.pin_locked_until.filter(|until| *until > now)
}

/// The lock as `source` meets it: none for a box the household trusted.
pub fn locked_for(h: &Household, source: &Source, now: NaiveDateTime) -> Option<NaiveDateTime> {
    locked_until(h, now).filter(|_| !source.trusted_by(h))
}

/// Whole minutes (rounded up) until `until`: what the TV tells the viewer.
pub fn minutes_left(until: NaiveDateTime, now: NaiveDateTime) -> i64 {
    let secs = (until - now).num_seconds().max(0);
    ((secs + 59) / 60).max(1)
}

/// Checks `pin` for the household, from `source`.
///
/// Three limits, so that one address cannot guess its way through the
/// county's households and nobody can lock a household out of its own box:
/// - every attempt from a box the household has not trusted counts against
///   its client address and its box (STB cookie): `MAX_FAILURES_PER_CLIENT`
///   wrong PINs in `LOCK_MINUTES`, across all households;
/// - such attempts also count toward the household's lock: the fifth wrong
///   one in a row locks the PIN for `LOCK_MINUTES`, for untrusted boxes;
/// - a box that has entered the household's right PIN before holds a
///   trusted-box cookie ([`Device`]): it is not stopped by the household's
///   lock or by its address's count (a neighbour's spraying behind the same
///   address), only by its own `MAX_FAILURES_PER_DEVICE`.
///
/// The attempt is counted before the slow hash is checked and withdrawn if
/// the PIN is right (`users::throttle::claim`), so concurrent attempts
/// cannot pass a limit; the household's count and lock are read and written
/// in one write transaction that first takes the household's row.
pub fn check(
    conn: &mut DbConn,
    household_id: i64,
    pin: &str,
    source: &Source,
    now: NaiveDateTime,
) -> AppResult<Outcome> {
    let h = households::get(conn, household_id)?;
    let trusted = source.trusted_by(&h);
    if let Some(until) = locked_for(&h, source, now) {
        return Ok(Outcome::Locked { until });
    }
    let keys = source.keys(&h);
    let keys: Vec<(&str, i64)> = keys.iter().map(|(k, n)| (k.as_str(), *n)).collect();
    let claim = match throttle::claim(conn, LOCK_MINUTES, &keys)? {
        Ok(claim) => claim,
        Err(minutes) => return Ok(Outcome::Throttled { minutes }),
    };
    let right =
        households::check_pin(pin).is_ok() && crate::crypto::verify_secret(&h.pin_hash, pin);
    if right {
        throttle::withdraw(conn, claim)?;
    }
    db::write(conn, |conn| {
        let row = rows::table.find(household_id);
        // A no-op update takes the row lock (PostgreSQL); SQLite's
        // immediate transaction already holds the database's write lock.
        diesel::update(row)
            .set(rows::pin_failures.eq(rows::pin_failures))
            .execute(conn)?;
        let (failures, locked): (i32, Option<NaiveDateTime>) = row
            .select((rows::pin_failures, rows::pin_locked_until))
            .first(conn)?;
        if let Some(until) = locked.filter(|u| *u > now && !trusted) {
            return Ok(Outcome::Locked { until });
        }
        if right {
            // The household is at its box: whatever others caused is lifted.
            if failures != 0 || locked.is_some() {
                diesel::update(row)
                    .set((
                        rows::pin_failures.eq(0),
                        rows::pin_locked_until.eq(None::<NaiveDateTime>),
                    ))
                    .execute(conn)?;
            }
            return Ok(Outcome::Granted);
        }
        if let (true, Some((key, limit))) = (trusted, keys.first()) {
            // Counted against the trusted box's own key only.
            let used = throttle::recent(conn, key, LOCK_MINUTES)?;
            let left = i32::try_from((limit - used).max(0)).unwrap_or(0);
            return Ok(Outcome::Wrong { left });
        }
        let failures = failures.max(0) + 1;
        if failures >= MAX_FAILURES {
            let until = now + Duration::minutes(LOCK_MINUTES);
            diesel::update(row)
                .set((
                    rows::pin_failures.eq(0),
                    rows::pin_locked_until.eq(Some(until)),
                ))
                .execute(conn)?;
            Ok(Outcome::Locked { until })
        } else {
            diesel::update(row)
                .set(rows::pin_failures.eq(failures))
                .execute(conn)?;
            Ok(Outcome::Wrong {
                left: MAX_FAILURES - failures,
            })
        }
    })
}

/// Ends every access grant of the household (退出, a PIN change): grants
/// carry the household's access version, and this bumps it.
pub fn end_access(conn: &mut DbConn, household_id: i64) -> AppResult<()> {
    db::write(conn, |conn| {
        diesel::update(rows::table.find(household_id))
            .set(rows::access_version.eq(rows::access_version + 1))
            .execute(conn)?;
        Ok(())
    })
}

/// A box the household trusts: the box entered the household's right PIN
/// and keeps this in an encrypted cookie (`vp_hbox`) for `DEVICE_DAYS`. A
/// lock caused by other boxes does not stop it (OWASP's "device cookie"
/// answer to lock-out attacks). It names the household and its PIN's tag, so
/// a PIN reset at the village office ends the trust too; the nonce keys the
/// box's own count of wrong PINs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub household_id: i64,
    pub tag: String,
    pub nonce: String,
}

impl Device {
    pub fn new(h: &Household) -> Device {
        Device {
            household_id: h.id,
            tag: pin_tag(&h.pin_hash),
            nonce: crate::crypto::random_hex(12),
        }
    }

    pub fn trusted_by(&self, h: &Household) -> bool {
        self.household_id == h.id && self.tag == pin_tag(&h.pin_hash)
    }

    pub fn encode(&self) -> String {
        format!("d1.{}.{}.{}", self.household_id, self.tag, self.nonce)
    }

    pub fn decode(s: &str) -> Option<Device> {
        let mut parts = s.split('.');
        if parts.next()? != "d1" {
            return None;
        }
        let household_id = parts.next()?.parse().ok()?;
        let tag = parts.next()?.to_string();
        let nonce = parts.next()?.to_string();
        let hex = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_hexdigit());
        if parts.next().is_some() || !hex(&tag) || !hex(&nonce) {
            return None;
        }
        Some(Device {
            household_id,
            tag,
            nonce,
        })
    }
}

/// A short fingerprint of the household's PIN hash: a grant made before
/// the PIN was changed (reset at the village office) stops working.
pub fn pin_tag(pin_hash: &str) -> String {
    hex::encode(&Sha256::digest(pin_hash.as_bytes())[..8])
}

/// Access to one household's readings, kept by the box in an encrypted
/// cookie: the household, its PIN's tag, when the PIN was entered and the
/// last page view (Unix seconds, UTC).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub household_id: i64,
    pub tag: String,
    /// The household's access version when the PIN was entered.
    pub version: i32,
    pub since: i64,
    pub seen: i64,
}

/// Why a grant no longer opens anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// No page view for `IDLE_MINUTES` (or past `MAX_MINUTES`).
    Idle,
    /// 退出, the PIN changed, the household moved or is gone.
    Revoked,
}

fn unix(t: NaiveDateTime) -> i64 {
    t.and_utc().timestamp()
}

impl Grant {
    pub fn new(h: &Household, now: NaiveDateTime) -> Grant {
        Grant {
            household_id: h.id,
            tag: pin_tag(&h.pin_hash),
            version: h.access_version,
            since: unix(now),
            seen: unix(now),
        }
    }

    /// The grant with its last page view at `now`.
    pub fn touched(mut self, now: NaiveDateTime) -> Grant {
        self.seen = unix(now);
        self
    }

    /// Whether the grant still opens household `h`'s pages at `now`.
    pub fn check(&self, h: &Household, now: NaiveDateTime) -> Result<(), Ended> {
        let now = unix(now);
        let future = self.seen > now + SKEW_SECONDS || self.since > self.seen;
        if future || now - self.seen > IDLE_MINUTES * 60 || now - self.since > MAX_MINUTES * 60 {
            return Err(Ended::Idle);
        }
        if h.id != self.household_id
            || pin_tag(&h.pin_hash) != self.tag
            || h.access_version != self.version
        {
            return Err(Ended::Revoked);
        }
        Ok(())
    }

    pub fn encode(&self) -> String {
        format!(
            "g2.{}.{}.{}.{}.{}",
            self.household_id, self.tag, self.version, self.since, self.seen
        )
    }

    pub fn decode(s: &str) -> Option<Grant> {
        let mut parts = s.split('.');
        if parts.next()? != "g2" {
            return None;
        }
        let household_id = parts.next()?.parse().ok()?;
        let tag = parts.next()?.to_string();
        let version = parts.next()?.parse().ok()?;
        let since = parts.next()?.parse().ok()?;
        let seen = parts.next()?.parse().ok()?;
        if parts.next().is_some() || !tag.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        Some(Grant {
            household_id,
            tag,
            version,
            since,
            seen,
        })
    }
}

/// A message the keypad page shows once, after a key press or a PIN attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    None,
    /// 确定 with no digits.
    Empty,
    /// 确定 with too few digits.
    Short,
    Wrong {
        left: i32,
    },
    /// Too many wrong PINs from this address or box.
    Busy {
        minutes: i64,
    },
}

/// The on-screen keypad's state, kept in an encrypted cookie so the digits
/// never appear in an address or a log.
///
/// Keypad links carry a *code*, not the digit: each time the page is drawn
/// it picks a random `shift` and the link of digit d says (d + shift) mod 10.
/// An address in a log or the browser history thus tells nothing about the
/// PIN; the pressed digit is recovered from the code with the shift the
/// cookie kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pad {
    pub digits: String,
    pub shift: u8,
    /// When the first digit was typed (or the pad made), Unix seconds.
    pub since: i64,
    pub notice: Notice,
}

impl Pad {
    pub fn new(shift: u8, now: NaiveDateTime) -> Pad {
        Pad {
            digits: String::new(),
            shift: shift % 10,
            since: unix(now),
            notice: Notice::None,
        }
    }

    /// The code the link of `digit` carries.
    pub fn code_of(&self, digit: u8) -> u8 {
        (digit % 10 + self.shift) % 10
    }

    /// Adds the digit behind `code` (a sixth digit is the last kept).
    pub fn press(&mut self, code: u8) {
        let digit = (code % 10 + 10 - self.shift) % 10;
        if self.digits.len() < MAX_DIGITS {
            self.digits.push(char::from(b'0' + digit));
        }
    }

    pub fn delete(&mut self) {
        self.digits.pop();
    }

    /// Typed digits are forgotten `PAD_MINUTES` after the pad was made.
    pub fn expired(&self, now: NaiveDateTime) -> bool {
        let now = unix(now);
        now - self.since > PAD_MINUTES * 60 || self.since > now + SKEW_SECONDS
    }

    /// The same digits under a new shift, the notice shown and dropped.
    pub fn redrawn(&self, shift: u8) -> Pad {
        Pad {
            digits: self.digits.clone(),
            shift: shift % 10,
            since: self.since,
            notice: Notice::None,
        }
    }

    pub fn encode(&self) -> String {
        let notice = match self.notice {
            Notice::None => "n".to_string(),
            Notice::Empty => "e".to_string(),
            Notice::Short => "s".to_string(),
            Notice::Wrong { left } => format!("w{left}"),
            Notice::Busy { minutes } => format!("b{minutes}"),
        };
        format!(
            "p1.{}.{}.{}.{notice}",
            if self.digits.is_empty() {
                "-"
            } else {
                &self.digits
            },
            self.shift,
            self.since
        )
    }

    pub fn decode(s: &str) -> Option<Pad> {
        let mut parts = s.split('.');
        if parts.next()? != "p1" {
            return None;
        }
        let digits = match parts.next()? {
            "-" => String::new(),
            d if d.len() <= MAX_DIGITS && d.bytes().all(|b| b.is_ascii_digit()) => d.to_string(),
            _ => return None,
        };
        let shift: u8 = parts.next()?.parse().ok().filter(|s| *s < 10)?;
        let since = parts.next()?.parse().ok()?;
        let notice = match parts.next()? {
            "n" => Notice::None,
            "e" => Notice::Empty,
            "s" => Notice::Short,
            b if b.starts_with('b') => Notice::Busy {
                minutes: b.strip_prefix('b')?.parse().ok()?,
            },
            w => Notice::Wrong {
                left: w.strip_prefix('w')?.parse().ok()?,
            },
        };
        if parts.next().is_some() {
            return None;
        }
        Some(Pad {
            digits,
            shift,
            since,
            notice,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minutes: i64) -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 11, 23)
            .and_then(|d| d.and_hms_opt(8, 0, 0))
            .expect("time")
            + Duration::minutes(minutes)
    }

    fn household(pin_hash: &str) -> Household {
        Household {
            id: 7,
            village_id: 3,
            stb_id: "STB0001".into(),
            number: "001".into(),
            pin_hash: pin_hash.into(),
            created_at: at(0),
            updated_at: at(0),
            pin_failures: 0,
            pin_locked_until: None,
            access_version: 0,
            screen: "hd".into(),
        }
    }

    #[test]
    fn grants_end_when_idle_or_when_the_pin_changes() {
        let h = household("$argon2id$hash-one");
        let g = Grant::new(&h, at(0));
        assert_eq!(Grant::decode(&g.encode()), Some(g.clone()));
        assert_eq!(g.check(&h, at(9)), Ok(()));
        assert_eq!(g.check(&h, at(11)), Err(Ended::Idle));
        let g = g.touched(at(9));
        assert_eq!(g.check(&h, at(18)), Ok(()));
        assert_eq!(g.check(&h, at(MAX_MINUTES + 1)), Err(Ended::Idle));
        assert_eq!(
            g.check(&household("$argon2id$hash-two"), at(10)),
            Err(Ended::Revoked)
        );
        let mut other = household("$argon2id$hash-one");
        other.id = 8;
        assert_eq!(g.check(&other, at(10)), Err(Ended::Revoked));
        // A grant from the future is refused.
        assert_eq!(Grant::new(&h, at(30)).check(&h, at(0)), Err(Ended::Idle));
        // 退出 bumps the household's access version.
        let mut left = household("$argon2id$hash-one");
        left.access_version = 1;
        assert_eq!(g.check(&left, at(10)), Err(Ended::Revoked));
        for bad in [
            "",
            "g2",
            "g1.7.ab.1.1",
            "g2.x.ab.0.1.1",
            "g2.7.zz.0.1.1",
            "g2.7.ab.x.1.1",
            "g2.7.ab.0.1.1.1",
        ] {
            assert_eq!(Grant::decode(bad), None, "{bad}");
        }
    }

    #[test]
    fn trusted_boxes_are_the_households_own() {
        let h = household("$argon2id$hash-one");
        let d = Device::new(&h);
        assert_eq!(Device::decode(&d.encode()), Some(d.clone()));
        assert!(d.trusted_by(&h));
        assert!(!d.trusted_by(&household("$argon2id$hash-two")), "PIN reset");
        let mut other = household("$argon2id$hash-one");
        other.id = 8;
        assert!(!d.trusted_by(&other));
        for bad in ["", "d1.7.ab", "d1.7.ab.", "d1.7.ab.zz", "d2.7.ab.cd"] {
            assert_eq!(Device::decode(bad), None, "{bad}");
        }
    }

    #[test]
    fn keypad_codes_hide_the_digits() {
        let mut pad = Pad::new(7, at(0));
        assert_eq!(pad.code_of(3), 0);
        pad.press(pad.code_of(3));
        let pad2 = pad.redrawn(2);
        let mut pad = pad2;
        pad.press(pad.code_of(9));
        assert_eq!(pad.digits, "39");
        pad.delete();
        assert_eq!(pad.digits, "3");
        for d in [1, 2, 3, 4, 5, 6, 7] {
            pad.press(pad.code_of(d));
        }
        assert_eq!(pad.digits.len(), MAX_DIGITS);
        pad.notice = Notice::Wrong { left: 3 };
        assert_eq!(Pad::decode(&pad.encode()), Some(pad.clone()));
        let empty = Pad::new(0, at(0));
        assert_eq!(Pad::decode(&empty.encode()), Some(empty.clone()));
        assert!(!empty.expired(at(PAD_MINUTES)));
        assert!(empty.expired(at(PAD_MINUTES + 1)));
        for bad in [
            "",
            "p1.12a.3.0.n",
            "p1.1234567.3.0.n",
            "p1.12.10.0.n",
            "p1.12.3.0.x",
        ] {
            assert_eq!(Pad::decode(bad), None, "{bad}");
        }
    }

    #[test]
    fn minutes_left_round_up() {
        assert_eq!(minutes_left(at(15), at(0)), 15);
        assert_eq!(minutes_left(at(15), at(0) + Duration::milliseconds(10)), 15);
        assert_eq!(minutes_left(at(1), at(0) + Duration::seconds(59)), 1);
        assert_eq!(minutes_left(at(0), at(5)), 1);
    }
}
