//! The demo county: places, users, households and content, loaded idempotently.
//! Anything already present (by code, username or STB id) is left as it is.

mod articles;
pub mod cameras;
pub mod county;
pub mod health;
pub mod roster;
mod voice;

use chrono::FixedOffset;

use crate::access::{Actor, PlaceKind};
use crate::db::DbConn;
use crate::error::AppResult;
use crate::households::{self, HouseholdForm};
use crate::places::{self, Place, PlaceForm};
use crate::users::{self, NewUserForm};

const COUNTY: Named = ("dongying", "东营区");

/// (code, name)
type Named = (&'static str, &'static str);

/// Townships and their villages; the first two villages are named in CONTRACT.md.
const TOWNSHIPS: &[(&str, &str, &[Named])] = &[
    (
        "huanghelu",
        "黄河路街道",
        &[
            ("gengjing", "耿井村"),
            ("chenzhuang", "陈庄村"),
            ("beihe", "北河村"),
            ("liujia", "刘家村"),
        ],
    ),
    (
        "shengyuan",
        "胜园街道",
        &[("songjia", "宋家村"), ("mazhuang", "马庄村")],
    ),
    (
        "niuzhuang",
        "牛庄镇",
        &[("wangying", "王营村"), ("dazhang", "大张村")],
    ),
];

/// (username, display name, role, place code)
const USERS: &[(&str, &str, &str, &str)] = &[
    ("admin", "县平台管理员", "admin", "dongying"),
    ("official", "黄河路街道审核员", "official", "huanghelu"),
    ("clerk", "耿井村文书", "clerk", "gengjing"),
    ("clerk2", "陈庄村文书", "clerk", "chenzhuang"),
    // On 耿井村's supervision committee: answers questions on village affairs.
    ("jiandu", "耿井村监委会主任", "clerk", "gengjing"),
    ("auditor", "县审计员", "auditor", "dongying"),
];

/// (STB id, village code, household number, PIN)
const HOUSEHOLDS: &[(&str, &str, &str, &str)] = &[
    ("STB0001", "gengjing", "001", "1234"),
    ("STB0002", "gengjing", "002", "2580"),
    ("STB0003", "gengjing", "003", "1357"),
    ("STB0101", "chenzhuang", "001", "2468"),
    ("STB0102", "chenzhuang", "002", "9753"),
];

/// What the demo loader did, for the command line to print.
#[derive(Debug, Default)]
pub struct Report {
    pub places_added: usize,
    pub users_added: usize,
    pub households_added: usize,
    pub articles_added: usize,
    /// The password of the users added now, when it was generated here.
    pub generated_password: Option<String>,
    /// The health station, its residents and readings.
    pub health: health::HealthReport,
}

/// Loads the demo county; times of demo content are meant in `offset`.
pub fn load(conn: &mut DbConn, password: Option<&str>, offset: FixedOffset) -> AppResult<Report> {
    load_with_token(conn, password, None, offset)
}

/// `load`, with the health station's API token (`PORTAL_DEMO_TOKEN`; a
/// random one is made and reported when `None`).
pub fn load_with_token(
    conn: &mut DbConn,
    password: Option<&str>,
    token: Option<&str>,
    offset: FixedOffset,
) -> AppResult<Report> {
    let mut report = Report::default();
    let county = match places::find_by_code(conn, COUNTY.0)? {
        Some(c) => c,
        None => {
            report.places_added += 1;
            places::create_county(conn, "demo", COUNTY.0, COUNTY.1)?
        }
    };
    let actor = Actor::system("demo", places::scope(conn, &county)?);

    for (code, name, villages) in TOWNSHIPS {
        let township = ensure_place(
            conn,
            &actor,
            &mut report,
            PlaceKind::Township,
            code,
            name,
            &county,
        )?;
        for (vcode, vname) in *villages {
            ensure_place(
                conn,
                &actor,
                &mut report,
                PlaceKind::Village,
                vcode,
                vname,
                &township,
            )?;
        }
    }

    let generated = password.is_none().then(|| crate::crypto::random_hex(8));
    let password = password.or(generated.as_deref()).unwrap_or_default();
    for (username, display, role, place_code) in USERS {
        if users::find_by_username(conn, username)?.is_some() {
            continue;
        }
        let place = places::find_by_code(conn, place_code)?;
        users::create(
            conn,
            &actor,
            &NewUserForm {
                username: username.to_string(),
                display_name: display.to_string(),
                role: role.to_string(),
                place_id: place.map(|p| p.id),
                password: password.to_string(),
            },
        )?;
        report.users_added += 1;
    }
    if report.users_added > 0 {
        report.generated_password = generated;
    }

    for (stb, village, number, pin) in HOUSEHOLDS {
        if households::find_by_stb(conn, stb)?.is_some() {
            continue;
        }
        let village = places::village_by_code(conn, village)?;
        households::create(
            conn,
            &actor,
            &HouseholdForm {
                village_id: Some(village.id),
                stb_id: stb.to_string(),
                number: number.to_string(),
                pin: pin.to_string(),
                screen: String::new(),
            },
        )?;
        report.households_added += 1;
    }

    for (village, clerk) in [("gengjing", "clerk"), ("chenzhuang", "clerk2")] {
        report.articles_added +=
            articles::load_for_village(conn, village, clerk, "official", offset)?;
    }
    report.health = health::load(conn, &actor, token, offset)?;
    roster::load(conn, &actor, offset)?;
    roster::load_branches(conn, &actor, offset)?;
    voice::load(conn, offset)?;
    // Loaded beside a running portal (PostgreSQL): its TVs show it now.
    crate::changes::touch_all(conn)?;
    Ok(report)
}

/// The demo alert's text: how [`renew_alert`] knows the demo's own alert.
pub const ALERT_TEXT: &str =
    "黄河路街道气象预警：未来24小时有大风降温，请关好门窗，收好晾晒的粮食，老人小孩减少外出。";
/// How long the demo alert lasts from its start, and from each renewal.
pub const ALERT_DAYS: i64 = 7;
/// A running `serve --demo` renews the demo alert once less than this is
/// left (it checks at start and then every hour, so it never ends).
pub const ALERT_RENEW_BELOW_DAYS: i64 = 6;

/// Starts the demo's yellow weather alert for 黄河路街道 (7 days) unless the
/// township has one already. Kept apart from `load`: while it is live, every
/// TV page of the township first shows the alert.
pub fn load_alert(conn: &mut DbConn, offset: FixedOffset) -> AppResult<bool> {
    use diesel::prelude::*;
    let (Some(county), Some(township)) = (
        places::find_by_code(conn, COUNTY.0)?,
        places::find_by_code(conn, "huanghelu")?,
    ) else {
        return Ok(false);
    };
    let existing: i64 = crate::db::schema::alerts::table
        .filter(crate::db::schema::alerts::place_id.eq(township.id))
        .count()
        .get_result(conn)?;
    if existing > 0 {
        return Ok(false);
    }
    let actor = Actor::system("demo", places::scope(conn, &county)?);
    let ends = crate::articles::form::format_local(
        Some(crate::time::now() + chrono::Duration::days(ALERT_DAYS)),
        offset,
    );
    crate::alerts::create(
        conn,
        &actor,
        &crate::alerts::AlertForm {
            level: "yellow".into(),
            text: ALERT_TEXT.into(),
            target: township.id.to_string(),
            ends_at: ends,
            ..Default::default()
        },
        offset,
    )?;
    Ok(true)
}

/// Keeps the demo's own alert live while `serve --demo` runs: once it has
/// less than [`ALERT_RENEW_BELOW_DAYS`] left (or has run out), its end is
/// moved to `now` + [`ALERT_DAYS`]. Only the demo's own alert is touched:
/// on 黄河路街道 of a database with the demo county, made by the demo (no
/// user), with the demo's text, for the whole township, and never ended by
/// anyone (an official who ended it early keeps it ended; an alert a user
/// made is never renewed). Returns whether it renewed one; the township's TV
/// pages are touched so kept pages show the new end at once.
pub fn renew_alert(conn: &mut DbConn, now: chrono::NaiveDateTime) -> AppResult<bool> {
    use crate::db::schema::{alert_villages, alerts};
    use diesel::prelude::*;
    let (Some(county), Some(township)) = (
        places::find_by_code(conn, COUNTY.0)?,
        places::find_by_code(conn, "huanghelu")?,
    ) else {
        return Ok(false);
    };
    if township.parent_id != Some(county.id) {
        return Ok(false);
    }
    let renew_below = now + chrono::Duration::days(ALERT_RENEW_BELOW_DAYS);
    let new_end = now + chrono::Duration::days(ALERT_DAYS);
    let scope = places::scope(conn, &county)?;
    crate::db::write(conn, |conn| {
        let ids: Vec<(i64, chrono::NaiveDateTime)> = alerts::table
            .filter(alerts::place_id.eq(township.id))
            .filter(alerts::created_by.is_null())
            .filter(alerts::ended_at.is_null())
            .filter(alerts::text.eq(ALERT_TEXT))
            .filter(alerts::starts_at.le(now))
            .filter(alerts::ends_at.lt(renew_below))
            .filter(diesel::dsl::not(diesel::dsl::exists(
                alert_villages::table.filter(alert_villages::alert_id.eq(alerts::id)),
            )))
            .select((alerts::id, alerts::ends_at))
            .load(conn)?;
        let Some(&(id, old_end)) = ids.first() else {
            return Ok(false);
        };
        diesel::update(alerts::table.find(id))
            .set(alerts::ends_at.eq(new_end))
            .execute(conn)?;
        crate::changes::touch(conn, township.id)?;
        crate::audit::record(
            conn,
            &Actor::system("demo", scope),
            crate::audit::Event {
                action: "alert.renew",
                target_type: "alert",
                target_id: Some(id),
                place_id: Some(township.id),
                summary: format!("demo alert kept live: ends_at {old_end} -> {new_end} (UTC)"),
            },
        )?;
        Ok(true)
    })
}

fn ensure_place(
    conn: &mut DbConn,
    actor: &Actor,
    report: &mut Report,
    kind: PlaceKind,
    code: &str,
    name: &str,
    parent: &Place,
) -> AppResult<Place> {
    if let Some(p) = places::find_by_code(conn, code)? {
        return Ok(p);
    }
    report.places_added += 1;
    places::create(
        conn,
        actor,
        kind,
        &PlaceForm {
            code: code.into(),
            name: name.into(),
            parent_id: Some(parent.id),
        },
    )
}
