//! The back office's side of the health stations: station details and tokens,
//! residents, household PIN resets, the monthly figures officials see, and
//! the checks around a CSV upload. Every write goes through `access::may`
//! (via `Actor::require`) and leaves an audit entry in its own transaction.
//!
//! Privacy: resident names and codes never go into the audit log's summaries
//! (only the resident's id and which fields changed), and the statistics
//! carry village names and numbers only.

use chrono::{Datelike, FixedOffset, NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::csv_import::{self, ImportOptions, ImportReport};
use super::{Kind, NewResident, NewStation, Resident, Station, Thresholds};
use crate::access::{Action, Actor, PlaceKind, PlaceScope};
use crate::audit::{self, Changes, Event};
use crate::db::schema::{health_stations, households, observations, residents};
use crate::db::{self, DbConn};
use crate::error::{AppError, AppResult};
use crate::households::{self as hh, Household};
use crate::places::{self, Place};
use crate::validate::{self, FieldErrors};

// ------------------------------------------------------------------ stations

/// A station with the names of its village and township, for lists.
#[derive(Debug, Clone)]
pub struct StationRow {
    pub station: Station,
    pub village: Place,
    pub township: String,
    /// Whether the viewer may edit the details / upload readings.
    pub editable: bool,
    /// Whether the viewer may rotate the token (admins).
    pub rotatable: bool,
}

/// The details a clerk keeps up to date.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct StationForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub hours: String,
    #[serde(default)]
    pub doctor: String,
    #[serde(default)]
    pub phone: String,
}

impl StationForm {
    pub fn of(s: &Station) -> StationForm {
        StationForm {
            name: s.name.clone(),
            address: s.address.clone(),
            hours: s.hours.clone(),
            doctor: s.doctor.clone(),
            phone: s.phone.clone(),
        }
    }

    fn trimmed(&self) -> StationForm {
        StationForm {
            name: self.name.trim().to_string(),
            address: self.address.trim().to_string(),
            hours: self.hours.trim().to_string(),
            doctor: self.doctor.trim().to_string(),
            phone: self.phone.trim().to_string(),
        }
    }

    pub fn check(&self) -> FieldErrors {
        let f = self.trimmed();
        let mut errors = FieldErrors::new();
        errors.check("name", validate::line(&f.name, "名称", 40));
        errors.check("address", validate::line(&f.address, "地址", 80));
        errors.check("hours", validate::line(&f.hours, "开放时间", 60));
        errors.check("doctor", validate::line(&f.doctor, "值班医生", 40));
        errors.check("phone", check_phone(&f.phone));
        errors
    }
}

/// What an admin fills in to open a station.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct NewStationForm {
    #[serde(default, deserialize_with = "crate::validate::optional_id")]
    pub village_id: Option<i64>,
    #[serde(default)]
    pub code: String,
    #[serde(flatten)]
    pub details: StationForm,
}

/// A phone number as a villager would dial it: a mobile (11 digits starting
/// with 1) or a landline with its area code (`0546-8123456`), with an
/// optional extension after `-` or `转`.
pub fn check_phone(phone: &str) -> Result<(), String> {
    const HELP: &str = "请填写手机号（11 位）或带区号的座机号，如 0546-8123456";
    if phone.is_empty() {
        return Err("请填写联系电话".into());
    }
    let allowed = phone
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '-' | ' ' | '+' | '(' | ')' | '转'));
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    if !allowed || phone.chars().count() > 30 || !(5..=20).contains(&digits) {
        return Err(HELP.into());
    }
    let bare: String = phone.chars().filter(char::is_ascii_digit).collect();
    let mobile = bare.len() == 11 && bare.starts_with('1');
    let landline = bare.starts_with('0') && bare.len() >= 10;
    let service = bare.len() <= 8 && !phone.contains('-'); // 12320 hotlines, local numbers
    if mobile || landline || service || phone.starts_with('+') {
        Ok(())
    } else {
        Err(HELP.into())
    }
}

/// The station and the permission scope of its village, after checking `action`.
pub fn station_for(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    action: Action,
) -> AppResult<Station> {
    let station = super::station(conn, id)?;
    actor.require(action, &places::scope_of(conn, station.village_id)?)?;
    Ok(station)
}

/// The villages an actor may `action` in, with their scopes, by township.
fn villages_where(
    conn: &mut DbConn,
    actor: &Actor,
    action: Action,
) -> AppResult<Vec<(Place, Place, PlaceScope)>> {
    let mut out = Vec::new();
    for (township, villages) in places::visible_villages(conn, actor)? {
        for v in villages {
            let scope = PlaceScope {
                id: v.id,
                kind: PlaceKind::Village,
                township_id: Some(township.id),
                county_id: township.parent_id,
            };
            if actor.may(action, &scope) {
                out.push((township.clone(), v, scope));
            }
        }
    }
    Ok(out)
}

/// The stations of the villages the actor may see, by township and village.
pub fn visible_stations(conn: &mut DbConn, actor: &Actor) -> AppResult<Vec<StationRow>> {
    let villages = villages_where(conn, actor, Action::ViewPlace)?;
    let ids: Vec<i64> = villages.iter().map(|(_, v, _)| v.id).collect();
    let stations: Vec<Station> = health_stations::table
        .filter(health_stations::village_id.eq_any(&ids))
        .order(health_stations::code)
        .select(Station::as_select())
        .load(conn)?;
    let mut rows = Vec::new();
    for (township, village, scope) in villages {
        for s in stations.iter().filter(|s| s.village_id == village.id) {
            rows.push(StationRow {
                station: s.clone(),
                village: village.clone(),
                township: township.name.clone(),
                editable: actor.may(Action::ManageStation, &scope),
                rotatable: actor.may(Action::ManagePlaces, &scope),
            });
        }
    }
    Ok(rows)
}

/// The villages an admin may open a station in (for the form's drop-down).
pub fn station_villages(conn: &mut DbConn, actor: &Actor) -> AppResult<Vec<Place>> {
    Ok(villages_where(conn, actor, Action::ManagePlaces)?
        .into_iter()
        .map(|(_, v, _)| v)
        .collect())
}

fn code_taken(conn: &mut DbConn, code: &str) -> AppResult<bool> {
    let n: i64 = health_stations::table
        .filter(health_stations::code.eq(code))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Opens a station (admins). Returns it with its token, which is stored only
/// as a hash: this is the one time anybody sees it.
pub fn create_station(
    conn: &mut DbConn,
    actor: &Actor,
    form: &NewStationForm,
) -> AppResult<(Station, String)> {
    let details = form.details.trimmed();
    let code = form.code.trim().to_string();
    let mut errors = form.details.check();
    errors.check("code", validate::code(&code, "编号"));
    let Some(village) = places::chosen_village(conn, form.village_id) else {
        errors.add("village_id", "请选择所在的村");
        return Err(AppError::Invalid(errors));
    };
    actor.require(Action::ManagePlaces, &places::scope(conn, &village)?)?;
    if errors.get("code").is_none() && code_taken(conn, &code)? {
        errors.add("code", format!("编号 {code} 已被另一个健康小屋使用"));
    }
    errors.into_result()?;
    let token = super::new_token();
    let hash = super::hash_token(&token);
    let station = db::write(conn, |conn| {
        let now = crate::time::now();
        diesel::insert_into(health_stations::table)
            .values(NewStation {
                village_id: village.id,
                code: &code,
                name: &details.name,
                address: &details.address,
                hours: &details.hours,
                doctor: &details.doctor,
                phone: &details.phone,
                token_hash: &hash,
                created_at: now,
                updated_at: now,
            })
            .execute(conn)
            .map_err(|e| {
                if db::is_unique_violation(&e) {
                    let mut errors = FieldErrors::new();
                    errors.add("code", format!("编号 {code} 已被另一个健康小屋使用"));
                    AppError::Invalid(errors)
                } else {
                    e.into()
                }
            })?;
        let id = db::last_insert_id(conn)?;
        // The village's health page shows its station.
        crate::changes::touch(conn, village.id)?;
        audit::record(
            conn,
            actor,
            Event {
                action: "station.create",
                target_type: "health_station",
                target_id: Some(id),
                place_id: Some(village.id),
                summary: format!("{code} {}", details.name),
            },
        )?;
        super::station(conn, id)
    })?;
    Ok((station, token))
}

/// Saves a station's details (clerks of its village, officials above, admins).
pub fn update_station(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    form: &StationForm,
) -> AppResult<Station> {
    let before = station_for(conn, actor, id, Action::ManageStation)?;
    form.check().into_result()?;
    let f = form.trimmed();
    let changes = Changes::new()
        .field("name", &before.name, &f.name)
        .field("address", &before.address, &f.address)
        .field("hours", &before.hours, &f.hours)
        .field("doctor", &before.doctor, &f.doctor)
        .field("phone", &before.phone, &f.phone);
    if changes.is_empty() {
        return Ok(before);
    }
    db::write(conn, |conn| {
        diesel::update(health_stations::table.find(id))
            .set((
                health_stations::name.eq(&f.name),
                health_stations::address.eq(&f.address),
                health_stations::hours.eq(&f.hours),
                health_stations::doctor.eq(&f.doctor),
                health_stations::phone.eq(&f.phone),
                health_stations::updated_at.eq(crate::time::now()),
            ))
            .execute(conn)?;
        crate::changes::touch(conn, before.village_id)?;
        audit::record(
            conn,
            actor,
            Event {
                action: "station.update",
                target_type: "health_station",
                target_id: Some(id),
                place_id: Some(before.village_id),
                summary: changes.summary(),
            },
        )?;
        super::station(conn, id)
    })
}

/// Replaces a station's token (admins): the old one stops working at once.
pub fn rotate_token(conn: &mut DbConn, actor: &Actor, id: i64) -> AppResult<(Station, String)> {
    let station = station_for(conn, actor, id, Action::ManagePlaces)?;
    let token = super::new_token();
    let hash = super::hash_token(&token);
    let station = db::write(conn, |conn| {
        diesel::update(health_stations::table.find(id))
            .set((
                health_stations::token_hash.eq(&hash),
                health_stations::updated_at.eq(crate::time::now()),
            ))
            .execute(conn)?;
        audit::record(
            conn,
            actor,
            Event {
                action: "station.token",
                target_type: "health_station",
                target_id: Some(id),
                place_id: Some(station.village_id),
                summary: Changes::new().secret("token", true).summary(),
            },
        )?;
        super::station(conn, id)
    })?;
    Ok((station, token))
}

// ----------------------------------------------------------------- residents

/// A resident with the number of their household, for the list.
#[derive(Debug, Clone)]
pub struct ResidentRow {
    pub resident: Resident,
    pub household: String,
}

/// The resident form; the year stays text so a typo is shown, not refused.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ResidentForm {
    #[serde(default)]
    pub code: String,
    #[serde(default, deserialize_with = "crate::validate::optional_id")]
    pub household_id: Option<i64>,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub sex: String,
    #[serde(default)]
    pub birth_year: String,
}

impl ResidentForm {
    pub fn of(r: &Resident) -> ResidentForm {
        ResidentForm {
            code: r.code.clone(),
            household_id: Some(r.household_id),
            name: r.name.clone(),
            sex: r.sex.clone(),
            birth_year: r.birth_year.to_string(),
        }
    }

    /// The field checks that need no database; `this_year` is local.
    pub fn check(&self, this_year: i32) -> FieldErrors {
        let mut errors = FieldErrors::new();
        // The importer and the API must accept every code made here.
        errors.check("code", super::ingest::check_resident_code(self.code.trim()));
        errors.check("name", validate::line(self.name.trim(), "姓名", 20));
        if !matches!(self.sex.as_str(), "M" | "F") {
            errors.add("sex", "请选择性别");
        }
        if let Err(e) = parse_birth_year(&self.birth_year, this_year) {
            errors.add("birth_year", e);
        }
        if self.household_id.is_none() {
            errors.add("household_id", "请选择所属住户");
        }
        errors
    }
}

pub fn parse_birth_year(value: &str, this_year: i32) -> Result<i32, String> {
    let value = value.trim();
    if value.is_empty() {
        return Err("请填写出生年份".into());
    }
    match value.parse::<i32>() {
        Ok(y) if (1900..=this_year).contains(&y) => Ok(y),
        _ => Err(format!("出生年份须为 1900 到 {this_year} 之间的四位数字")),
    }
}

/// The village a resident belongs to (through their household).
pub fn resident_village(conn: &mut DbConn, r: &Resident) -> AppResult<i64> {
    Ok(hh::get(conn, r.household_id)?.village_id)
}

/// The resident, after checking the actor manages their village.
pub fn resident_for(conn: &mut DbConn, actor: &Actor, id: i64) -> AppResult<(Resident, i64)> {
    let r = super::resident(conn, id)?;
    let village = resident_village(conn, &r)?;
    actor.require(Action::ManageHouseholds, &places::scope_of(conn, village)?)?;
    Ok((r, village))
}

/// The villages whose residents this actor manages.
pub fn resident_villages(conn: &mut DbConn, actor: &Actor) -> AppResult<Vec<Place>> {
    Ok(villages_where(conn, actor, Action::ManageHouseholds)?
        .into_iter()
        .map(|(_, v, _)| v)
        .collect())
}

/// A village's households by number, for the form's drop-down.
pub fn village_households(conn: &mut DbConn, village_id: i64) -> AppResult<Vec<Household>> {
    Ok(households::table
        .filter(households::village_id.eq(village_id))
        .order(households::number)
        .select(Household::as_select())
        .load(conn)?)
}

/// `%text%` for LIKE, with the wildcards in `text` taken literally.
fn like_pattern(text: &str) -> String {
    let mut p = String::from("%");
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// One page of a village's residents (by code), optionally those whose code
/// or name contains `search`, and how many match.
pub fn resident_page(
    conn: &mut DbConn,
    village_id: i64,
    search: &str,
    page: i64,
    per_page: i64,
) -> AppResult<(Vec<ResidentRow>, i64)> {
    let search = search.trim();
    let query = || {
        let mut q = residents::table
            .inner_join(households::table)
            .filter(households::village_id.eq(village_id))
            .into_boxed();
        if !search.is_empty() {
            let p = like_pattern(search);
            q = q.filter(
                residents::code
                    .like(p.clone())
                    .escape('\\')
                    .or(residents::name.like(p).escape('\\')),
            );
        }
        q
    };
    let total: i64 = query().count().get_result(conn)?;
    let pager = crate::pager::Pager::new(page, per_page).within(total);
    let rows: Vec<(Resident, String)> = query()
        .order(residents::code)
        .limit(pager.per_page())
        .offset(pager.offset())
        .select((Resident::as_select(), households::number))
        .load(conn)?;
    Ok((
        rows.into_iter()
            .map(|(resident, household)| ResidentRow {
                resident,
                household,
            })
            .collect(),
        total,
    ))
}

/// Checks the form against the database: the household exists and lies in
/// a village the actor manages, the code is free. Returns the household's
/// village and the birth year.
fn check_resident(
    conn: &mut DbConn,
    actor: &Actor,
    form: &ResidentForm,
    editing: Option<i64>,
    this_year: i32,
) -> AppResult<(i64, i32)> {
    let mut errors = form.check(this_year);
    let household = match form.household_id {
        Some(id) => households::table
            .find(id)
            .select(Household::as_select())
            .first(conn)
            .optional()?,
        None => None,
    };
    let village = match (&household, form.household_id) {
        (Some(h), _) => {
            actor.require(
                Action::ManageHouseholds,
                &places::scope_of(conn, h.village_id)?,
            )?;
            Some(h.village_id)
        }
        (None, Some(_)) => {
            errors.add("household_id", "所选住户不存在");
            None
        }
        (None, None) => None,
    };
    let code = form.code.trim();
    if errors.get("code").is_none() {
        let taken: Option<i64> = residents::table
            .filter(residents::code.eq(code))
            .filter(residents::id.ne(editing.unwrap_or(0)))
            .select(residents::id)
            .first(conn)
            .optional()?;
        if taken.is_some() {
            errors.add("code", format!("居民编号 {code} 已被使用（全县唯一）"));
        }
    }
    let year = parse_birth_year(&form.birth_year, this_year);
    errors.into_result()?;
    match (village, year) {
        (Some(v), Ok(y)) => Ok((v, y)),
        _ => Err(AppError::bug("resident form passed its checks")),
    }
}

fn resident_code_conflict(e: diesel::result::Error) -> AppError {
    if db::is_unique_violation(&e) {
        let mut errors = FieldErrors::new();
        errors.add("code", "居民编号已被使用（全县唯一）");
        AppError::Invalid(errors)
    } else {
        e.into()
    }
}

pub fn create_resident(
    conn: &mut DbConn,
    actor: &Actor,
    form: &ResidentForm,
    this_year: i32,
) -> AppResult<Resident> {
    let (village, birth_year) = check_resident(conn, actor, form, None, this_year)?;
    let household_id = form.household_id.unwrap_or_default();
    db::write(conn, |conn| {
        let now = crate::time::now();
        diesel::insert_into(residents::table)
            .values(NewResident {
                code: form.code.trim(),
                household_id,
                name: form.name.trim(),
                sex: &form.sex,
                birth_year,
                created_at: now,
                updated_at: now,
            })
            .execute(conn)
            .map_err(resident_code_conflict)?;
        let id = db::last_insert_id(conn)?;
        audit::record(
            conn,
            actor,
            Event {
                action: "resident.create",
                target_type: "resident",
                target_id: Some(id),
                place_id: Some(village),
                summary: format!("household_id {household_id}"),
            },
        )?;
        super::resident(conn, id)
    })
}

pub fn update_resident(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    form: &ResidentForm,
    this_year: i32,
) -> AppResult<Resident> {
    let (before, _) = resident_for(conn, actor, id)?;
    let (village, birth_year) = check_resident(conn, actor, form, Some(id), this_year)?;
    let household_id = form.household_id.unwrap_or(before.household_id);
    let (code, name) = (form.code.trim(), form.name.trim());
    // Names and codes identify a person: the log says only that they changed.
    let changes = Changes::new()
        .secret("code", before.code != code)
        .secret("name", before.name != name)
        .field("household_id", before.household_id, household_id)
        .field("sex", &before.sex, &form.sex)
        .field("birth_year", before.birth_year, birth_year);
    if changes.is_empty() {
        return Ok(before);
    }
    db::write(conn, |conn| {
        diesel::update(residents::table.find(id))
            .set((
                residents::code.eq(code),
                residents::household_id.eq(household_id),
                residents::name.eq(name),
                residents::sex.eq(&form.sex),
                residents::birth_year.eq(birth_year),
                residents::updated_at.eq(crate::time::now()),
            ))
            .execute(conn)
            .map_err(resident_code_conflict)?;
        audit::record(
            conn,
            actor,
            Event {
                action: "resident.update",
                target_type: "resident",
                target_id: Some(id),
                place_id: Some(village),
                summary: changes.summary(),
            },
        )?;
        super::resident(conn, id)
    })
}

// ------------------------------------------------------------ household PINs

/// The household's PIN lock, for the reset page.
pub fn pin_state(conn: &mut DbConn, household_id: i64) -> AppResult<(i32, Option<NaiveDateTime>)> {
    Ok(households::table
        .find(household_id)
        .select((households::pin_failures, households::pin_locked_until))
        .first(conn)?)
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct PinForm {
    #[serde(default)]
    pub pin: String,
}

/// The household, after checking the actor manages its village.
pub fn household_for(conn: &mut DbConn, actor: &Actor, id: i64) -> AppResult<Household> {
    let h = hh::get(conn, id)?;
    actor.require(
        Action::ManageHouseholds,
        &places::scope_of(conn, h.village_id)?,
    )?;
    Ok(h)
}

/// Sets a new PIN and lifts a lockout from wrong PINs (clerks, admins).
pub fn reset_pin(conn: &mut DbConn, actor: &Actor, id: i64, form: &PinForm) -> AppResult<()> {
    let h = household_for(conn, actor, id)?;
    let mut errors = FieldErrors::new();
    errors.check("pin", hh::check_pin(&form.pin));
    errors.into_result()?;
    let hash = crate::crypto::hash_secret(&form.pin)?;
    db::write(conn, |conn| {
        diesel::update(households::table.find(id))
            .set((
                households::pin_hash.eq(&hash),
                households::pin_failures.eq(0),
                households::pin_locked_until.eq(None::<NaiveDateTime>),
                // Ends the household's access on every box (a copied cookie too).
                households::access_version.eq(households::access_version + 1),
                households::updated_at.eq(crate::time::now()),
            ))
            .execute(conn)?;
        audit::record(
            conn,
            actor,
            Event {
                action: "household.pin_reset",
                target_type: "household",
                target_id: Some(id),
                place_id: Some(h.village_id),
                summary: format!("{}: pin reset, lock cleared", h.number),
            },
        )?;
        Ok(())
    })
}

// ---------------------------------------------------------------- statistics

/// One village's (or the total's) figures for one month.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MonthFigures {
    /// Residents measured at least once in the month.
    pub residents: i64,
    /// Readings taken.
    pub readings: i64,
    /// Readings flagged H, HH or L.
    pub flagged: i64,
}

impl MonthFigures {
    /// The flagged share in percent, one decimal (`None` without readings).
    pub fn flagged_percent(&self) -> Option<f64> {
        (self.readings > 0)
            .then(|| (self.flagged as f64 * 1000.0 / self.readings as f64).round() / 10.0)
    }

    /// `12.5%`, for the page.
    pub fn flagged_share(&self) -> Option<String> {
        self.flagged_percent().map(|p| format!("{p}%"))
    }

    /// A share worth a second look (30 % or more of the readings flagged).
    pub fn high_share(&self) -> bool {
        self.flagged_percent().is_some_and(|p| p >= 30.0)
    }

    fn add(&mut self, other: &MonthFigures) {
        self.residents += other.residents;
        self.readings += other.readings;
        self.flagged += other.flagged;
    }
}

#[derive(Debug, Clone)]
pub struct VillageFigures {
    pub village: String,
    pub months: Vec<MonthFigures>,
}

/// Per-village monthly figures; no person appears in them.
#[derive(Debug, Clone)]
pub struct HealthStats {
    /// `2026年11月`, oldest first.
    pub months: Vec<String>,
    pub villages: Vec<VillageFigures>,
    pub total: Vec<MonthFigures>,
}

/// The local months ending with the one holding `now`: (label, UTC start, UTC end).
pub fn last_months(
    now: NaiveDateTime,
    offset: FixedOffset,
    count: u32,
) -> Vec<(String, NaiveDateTime, NaiveDateTime)> {
    let today = crate::time::to_local(now, offset).date_naive();
    let month_index = today.year() * 12 + today.month0() as i32;
    let first = |index: i32| {
        NaiveDate::from_ymd_opt(index.div_euclid(12), index.rem_euclid(12) as u32 + 1, 1)
            .unwrap_or(today)
    };
    (0..count as i32)
        .rev()
        .map(|back| {
            let start = first(month_index - back);
            let end = first(month_index - back + 1);
            (
                format!("{}年{}月", start.year(), start.month()),
                crate::time::local_day_start(start, offset),
                crate::time::local_day_start(end, offset),
            )
        })
        .collect()
}

/// The townships whose figures the actor may see (for the filter).
pub fn stats_townships(conn: &mut DbConn, actor: &Actor) -> AppResult<Vec<Place>> {
    let mut out: Vec<Place> = Vec::new();
    for (township, _, _) in villages_where(conn, actor, Action::ViewHealthStats)? {
        if !out.iter().any(|t| t.id == township.id) {
            out.push(township);
        }
    }
    Ok(out)
}

/// Monthly figures of the villages with a station in `township` the actor
/// may see, for the last `count` months up to `now`.
pub fn monthly_stats(
    conn: &mut DbConn,
    actor: &Actor,
    township_id: i64,
    now: NaiveDateTime,
    offset: FixedOffset,
    count: u32,
    thresholds: &Thresholds,
) -> AppResult<HealthStats> {
    let villages: Vec<Place> = villages_where(conn, actor, Action::ViewHealthStats)?
        .into_iter()
        .filter(|(t, _, _)| t.id == township_id)
        .map(|(_, v, _)| v)
        .collect();
    let ids: Vec<i64> = villages.iter().map(|v| v.id).collect();
    let with_station: Vec<i64> = health_stations::table
        .filter(health_stations::village_id.eq_any(&ids))
        .select(health_stations::village_id)
        .distinct()
        .load(conn)?;
    let villages: Vec<Place> = villages
        .into_iter()
        .filter(|v| with_station.contains(&v.id))
        .collect();
    let ids: Vec<i64> = villages.iter().map(|v| v.id).collect();
    let months = last_months(now, offset, count);
    // Whether a stored reading is flagged (H, HH or L) under the current
    // thresholds, as SQL: flags are judged on read, as the TV pages do
    // (`Thresholds::flag`), so new thresholds change the figures without
    // rewriting readings. Flagged means "at or above high, or below low"
    // (very high lies above high). A blood pressure without diastolic is
    // judged on the systolic alone: a comparison with NULL is not true.
    let t = thresholds;
    let flagged_now = || {
        use observations::{code, value, value2};
        let three = |kind: Kind, low: f64, high: f64| {
            code.eq(kind.loinc()).and(value.ge(high).or(value.lt(low)))
        };
        code.eq(Kind::BloodPressure.loinc())
            .and(
                value
                    .ge(t.bp_high_systolic)
                    .or(value.lt(t.bp_low_systolic))
                    .or(value2.ge(t.bp_high_diastolic))
                    .or(value2.lt(t.bp_low_diastolic)),
            )
            .or(three(Kind::Glucose, t.glucose_low, t.glucose_high))
            .or(three(Kind::Bmi, t.bmi_low, t.bmi_high))
            .or(three(Kind::HeartRate, t.heart_rate_low, t.heart_rate_high))
            .or(three(
                Kind::Temperature,
                t.temperature_low,
                t.temperature_high,
            ))
            .or(code.eq(Kind::SpO2.loinc()).and(value.lt(t.spo2_low)))
    };
    let mut table: Vec<Vec<MonthFigures>> =
        vec![vec![MonthFigures::default(); months.len()]; ids.len()];
    for (m, (_, start, end)) in months.iter().enumerate() {
        let in_month = || {
            observations::table
                .inner_join(health_stations::table)
                .filter(health_stations::village_id.eq_any(&ids))
                .filter(observations::taken_at.ge(*start))
                .filter(observations::taken_at.lt(*end))
        };
        let counts: Vec<(i64, i64, i64)> = in_month()
            .group_by(health_stations::village_id)
            .select((
                health_stations::village_id,
                diesel::dsl::count(observations::resident_id).aggregate_distinct(),
                diesel::dsl::count_star(),
            ))
            .load(conn)?;
        let flagged: Vec<(i64, i64)> = in_month()
            .filter(flagged_now())
            .group_by(health_stations::village_id)
            .select((health_stations::village_id, diesel::dsl::count_star()))
            .load(conn)?;
        for (village, residents, readings) in counts {
            if let Some(i) = ids.iter().position(|id| *id == village) {
                table[i][m].residents = residents;
                table[i][m].readings = readings;
            }
        }
        for (village, n) in flagged {
            if let Some(i) = ids.iter().position(|id| *id == village) {
                table[i][m].flagged = n;
            }
        }
    }
    let mut total = vec![MonthFigures::default(); months.len()];
    for row in &table {
        for (t, f) in total.iter_mut().zip(row) {
            t.add(f);
        }
    }
    Ok(HealthStats {
        months: months.into_iter().map(|(label, _, _)| label).collect(),
        villages: villages
            .into_iter()
            .zip(table)
            .map(|(v, months)| VillageFigures {
                village: v.name,
                months,
            })
            .collect(),
        total,
    })
}

// -------------------------------------------------------------- CSV uploads

/// The largest CSV the back office takes (the command line takes any size).
pub const MAX_CSV_BYTES: usize = 10 * 1024 * 1024;

/// Checks an uploaded file before the importer reads it; the message goes
/// beside the file field.
pub fn check_csv_upload(file_name: &str, bytes: &[u8]) -> Result<(), String> {
    let name = file_name.to_ascii_lowercase();
    if bytes.is_empty() || bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err("文件是空的，请选择健康小屋一体机导出的 CSV 文件".into());
    }
    if bytes.len() > MAX_CSV_BYTES {
        return Err(too_big_message());
    }
    let known_binary: [&[u8]; 6] = [
        b"PK\x03\x04",
        b"\xd0\xcf\x11\xe0",
        b"%PDF",
        b"\x89PNG",
        b"\xff\xd8\xff",
        b"GIF8",
    ];
    if known_binary.iter().any(|m| bytes.starts_with(m)) || bytes.contains(&0) {
        return Err("这不是 CSV 文本文件（像是 Excel、图片或其他文件）。请在 Excel/WPS 中“另存为 CSV UTF-8（逗号分隔）”后再上传".into());
    }
    if !name.is_empty() && !name.ends_with(".csv") && !name.ends_with(".txt") {
        return Err("请上传扩展名为 .csv 的文件".into());
    }
    Ok(())
}

/// The message for a file past `MAX_CSV_BYTES`.
pub fn too_big_message() -> String {
    format!(
        "文件太大，后台一次最多导入 {} MB；更大的文件请用命令行 village-portal import-health 导入",
        MAX_CSV_BYTES / (1024 * 1024)
    )
}

/// Imports an uploaded CSV into the station (after `check_csv_upload`). The
/// importer checks the permission and writes the audit entry; a problem with
/// the file as a whole (its encoding, missing columns) becomes a message
/// beside the file field.
pub fn import_csv(
    conn: &mut DbConn,
    actor: &Actor,
    station: &Station,
    bytes: &[u8],
    thresholds: &Thresholds,
    offset: FixedOffset,
) -> AppResult<ImportReport> {
    let opts = ImportOptions {
        thresholds,
        offset,
        actor: Some(actor),
    };
    csv_import::import(conn, station, bytes, &opts, &mut |_| {}).map_err(|e| match e {
        AppError::BadRequest(message) => {
            let mut errors = FieldErrors::new();
            errors.add("file", message);
            AppError::Invalid(errors)
        }
        other => other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones() {
        for ok in [
            "13805461234",
            "0546-8123456",
            "0546 8123456",
            "05468123456",
            "12320",
            "+86 138 0546 1234",
            "0546-8123456-801",
        ] {
            assert!(check_phone(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "abc",
            "123",
            "1380546123",
            "8123456-12",
            "电话 138",
            &"1".repeat(25),
        ] {
            assert!(check_phone(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn resident_fields() {
        assert_eq!(parse_birth_year(" 1950 ", 2026), Ok(1950));
        for bad in ["", "1899", "2027", "abc", "19.5"] {
            assert!(parse_birth_year(bad, 2026).is_err(), "{bad}");
        }
        let form = ResidentForm {
            code: "R1".into(),
            household_id: None,
            name: " ".into(),
            sex: "X".into(),
            birth_year: "3000".into(),
        };
        let e = form.check(2026);
        for field in ["name", "sex", "birth_year", "household_id"] {
            assert!(e.get(field).is_some(), "{field}");
        }
        assert!(e.get("code").is_none());
    }

    #[test]
    fn months_run_back_across_a_year_in_local_time() {
        let cst = FixedOffset::east_opt(8 * 3600).unwrap();
        // 2027-01-31 20:00 UTC is already February 1st in China.
        let now = NaiveDate::from_ymd_opt(2027, 1, 31)
            .unwrap()
            .and_hms_opt(20, 0, 0)
            .unwrap();
        let months = last_months(now, cst, 6);
        let labels: Vec<&str> = months.iter().map(|(l, _, _)| l.as_str()).collect();
        assert_eq!(
            labels,
            [
                "2026年9月",
                "2026年10月",
                "2026年11月",
                "2026年12月",
                "2027年1月",
                "2027年2月"
            ]
        );
        let (_, start, end) = &months[5];
        assert_eq!(start.to_string(), "2027-01-31 16:00:00");
        assert_eq!(end.to_string(), "2027-02-28 16:00:00");
    }

    #[test]
    fn shares_and_like_patterns() {
        let f = MonthFigures {
            residents: 3,
            readings: 8,
            flagged: 1,
        };
        assert_eq!(f.flagged_percent(), Some(12.5));
        assert_eq!(MonthFigures::default().flagged_percent(), None);
        assert_eq!(like_pattern("a%_b"), "%a\\%\\_b%");
    }

    #[test]
    fn uploads() {
        assert!(check_csv_upload("a.csv", b"").is_err());
        assert!(check_csv_upload("a.csv", b" \n").is_err());
        assert!(check_csv_upload("a.xlsx", b"PK\x03\x04....").is_err());
        assert!(check_csv_upload("a.png", b"resident,code\n").is_err());
        assert!(check_csv_upload("a.csv", b"resident,code\n").is_ok());
        assert!(check_csv_upload("a.csv", &vec![b'a'; MAX_CSV_BYTES + 1]).is_err());
    }
}
