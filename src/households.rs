//! TV households: a village's homes with their set-top box id and a PIN that
//! guards the household's private pages.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::access::{Action, Actor};
use crate::audit::{self, Changes, Event};
use crate::crypto;
use crate::db::schema::households;
use crate::db::{self, DbConn};
use crate::error::{AppError, AppResult};
use crate::places::{self, Place};
use crate::validate::{self, FieldErrors};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = households)]
pub struct Household {
    pub id: i64,
    pub village_id: i64,
    pub stb_id: String,
    pub number: String,
    pub pin_hash: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Wrong TV PINs in a row; reset by the right PIN.
    pub pin_failures: i32,
    /// The TV PIN is refused until then (UTC).
    pub pin_locked_until: Option<NaiveDateTime>,
    /// Bumped by 退出 and a PIN change: access grants of an older version end.
    pub access_version: i32,
    /// The box's screen: `hd` or `sd` (see [`SCREENS`]).
    pub screen: String,
}

/// The screens a household's box may have: value and label.
pub const SCREENS: [(&str, &str); 2] = [("hd", "高清 1280×720"), ("sd", "标清 720×576")];

#[derive(Insertable)]
#[diesel(table_name = households)]
struct NewHousehold<'a> {
    village_id: i64,
    stb_id: &'a str,
    number: &'a str,
    pin_hash: &'a str,
    screen: &'a str,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// The household form. On edit an empty `pin` keeps the current PIN.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct HouseholdForm {
    #[serde(default, deserialize_with = "crate::validate::optional_id")]
    pub village_id: Option<i64>,
    #[serde(default)]
    pub stb_id: String,
    #[serde(default)]
    pub number: String,
    #[serde(default)]
    pub pin: String,
    /// `hd` or `sd`; empty means `hd`.
    #[serde(default)]
    pub screen: String,
}

impl HouseholdForm {
    /// The screen as stored (an empty field is HD).
    pub fn screen_value(&self) -> &str {
        match self.screen.trim() {
            "" => "hd",
            s => s,
        }
    }

    pub fn screen_is(&self, value: &str) -> bool {
        self.screen_value() == value
    }
}

pub fn check_pin(pin: &str) -> Result<(), String> {
    if (4..=6).contains(&pin.len()) && pin.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err("PIN 须为 4 到 6 位数字".into())
    }
}

pub fn check_stb_id(stb: &str) -> Result<(), String> {
    let ok = (1..=64).contains(&stb.len())
        && stb
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_:.".contains(&b));
    if ok {
        Ok(())
    } else {
        Err("机顶盒号须为 1 到 64 位字母、数字或 - _ : .".into())
    }
}

pub fn get(conn: &mut DbConn, id: i64) -> AppResult<Household> {
    households::table
        .find(id)
        .select(Household::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("该住户"))
}

/// The village's household with this number (户号), as typed on a TV.
pub fn find_by_number(
    conn: &mut DbConn,
    village_id: i64,
    number: &str,
) -> AppResult<Option<Household>> {
    Ok(households::table
        .filter(households::village_id.eq(village_id))
        .filter(households::number.eq(number))
        .select(Household::as_select())
        .first(conn)
        .optional()?)
}

pub fn find_by_stb(conn: &mut DbConn, stb_id: &str) -> AppResult<Option<Household>> {
    Ok(households::table
        .filter(households::stb_id.eq(stb_id))
        .select(Household::as_select())
        .first(conn)
        .optional()?)
}

/// One page of a village's households, by number, and how many there are.
/// A page past the end gives the last page (as the pager shows it).
pub fn page_of_village(
    conn: &mut DbConn,
    village_id: i64,
    page: i64,
    per_page: i64,
) -> AppResult<(Vec<Household>, i64)> {
    let total: i64 = households::table
        .filter(households::village_id.eq(village_id))
        .count()
        .get_result(conn)?;
    let pager = crate::pager::Pager::new(page, per_page).within(total);
    let rows = households::table
        .filter(households::village_id.eq(village_id))
        .order(households::number)
        .limit(pager.per_page())
        .offset(pager.offset())
        .select(Household::as_select())
        .load(conn)?;
    Ok((rows, total))
}

/// Checks the form's fields; the PIN is required for a new household.
fn check_form(
    conn: &mut DbConn,
    form: &HouseholdForm,
    pin_required: bool,
) -> AppResult<(Place, FieldErrors)> {
    let mut errors = FieldErrors::new();
    errors.check("stb_id", check_stb_id(form.stb_id.trim()));
    errors.check("number", validate::line(form.number.trim(), "户号", 20));
    if pin_required || !form.pin.is_empty() {
        errors.check("pin", check_pin(&form.pin));
    }
    if !SCREENS.iter().any(|(v, _)| *v == form.screen_value()) {
        errors.add("screen", "请选择高清或标清");
    }
    match places::chosen_village(conn, form.village_id) {
        Some(v) => Ok((v, errors)),
        None => {
            errors.add("village_id", "请选择所属的村");
            Err(AppError::Invalid(errors))
        }
    }
}

/// Adds messages for an STB id or household number already in use
/// (`editing`: the household being edited, which may keep its own).
fn check_taken(
    conn: &mut DbConn,
    form: &HouseholdForm,
    village_id: i64,
    editing: Option<i64>,
    errors: &mut FieldErrors,
) -> AppResult<()> {
    let (stb, number) = (form.stb_id.trim(), form.number.trim());
    let others = || households::table.filter(households::id.ne(editing.unwrap_or(0)));
    let stb_taken: Option<i64> = others()
        .filter(households::stb_id.eq(stb))
        .select(households::id)
        .first(conn)
        .optional()?;
    if stb_taken.is_some() {
        errors.add("stb_id", format!("机顶盒号 {stb} 已登记在另一户"));
    }
    let number_taken: Option<i64> = others()
        .filter(households::village_id.eq(village_id))
        .filter(households::number.eq(number))
        .select(households::id)
        .first(conn)
        .optional()?;
    if number_taken.is_some() {
        errors.add("number", format!("本村已有户号 {number}"));
    }
    Ok(())
}

/// A unique violation that slipped past `check_form` (two clerks at once).
fn insert_error(e: diesel::result::Error) -> AppError {
    db::unique_to_field("stb_id", "机顶盒号已被使用，或本村已有这个户号")(e)
}

pub fn create(conn: &mut DbConn, actor: &Actor, form: &HouseholdForm) -> AppResult<Household> {
    let (village, mut errors) = check_form(conn, form, true)?;
    actor.require(Action::ManageHouseholds, &places::scope(conn, &village)?)?;
    check_taken(conn, form, village.id, None, &mut errors)?;
    errors.into_result()?;
    let pin_hash = crypto::hash_secret(&form.pin)?;
    let (stb_id, number) = (form.stb_id.trim(), form.number.trim());
    db::write(conn, |conn| {
        let now = crate::time::now();
        diesel::insert_into(households::table)
            .values(NewHousehold {
                village_id: village.id,
                stb_id,
                number,
                pin_hash: &pin_hash,
                screen: form.screen_value(),
                created_at: now,
                updated_at: now,
            })
            .execute(conn)
            .map_err(insert_error)?;
        let id = db::last_insert_id(conn)?;
        audit::record(
            conn,
            actor,
            Event {
                action: "household.create",
                target_type: "household",
                target_id: Some(id),
                place_id: Some(village.id),
                summary: format!("{number} STB {stb_id}"),
            },
        )?;
        get(conn, id)
    })
}

pub fn update(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    form: &HouseholdForm,
) -> AppResult<Household> {
    let before = get(conn, id)?;
    actor.require(
        Action::ManageHouseholds,
        &places::scope_of(conn, before.village_id)?,
    )?;
    let (village, mut errors) = check_form(conn, form, false)?;
    actor.require(Action::ManageHouseholds, &places::scope(conn, &village)?)?;
    check_taken(conn, form, village.id, Some(id), &mut errors)?;
    errors.into_result()?;
    let pin_hash = match form.pin.as_str() {
        "" => before.pin_hash.clone(),
        pin => crypto::hash_secret(pin)?,
    };
    let (stb_id, number) = (form.stb_id.trim(), form.number.trim());
    let changes = Changes::new()
        .field("village_id", before.village_id, village.id)
        .field("stb_id", &before.stb_id, stb_id)
        .field("number", &before.number, number)
        .field("screen", &before.screen, form.screen_value())
        .secret("pin", !form.pin.is_empty());
    if changes.is_empty() {
        return Ok(before);
    }
    db::write(conn, |conn| {
        diesel::update(households::table.find(id))
            .set((
                households::village_id.eq(village.id),
                households::stb_id.eq(stb_id),
                households::number.eq(number),
                households::pin_hash.eq(&pin_hash),
                households::screen.eq(form.screen_value()),
                households::updated_at.eq(crate::time::now()),
            ))
            .execute(conn)
            .map_err(insert_error)?;
        audit::record(
            conn,
            actor,
            Event {
                action: "household.update",
                target_type: "household",
                target_id: Some(id),
                place_id: Some(village.id),
                summary: changes.summary(),
            },
        )?;
        get(conn, id)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_and_stb_ids() {
        assert!(check_pin("1234").is_ok());
        assert!(check_pin("123456").is_ok());
        for bad in ["123", "1234567", "12a4", "", "１２３４"] {
            assert!(check_pin(bad).is_err(), "{bad}");
        }
        assert!(check_stb_id("STB0001").is_ok());
        assert!(check_stb_id("00:1A:2B:3C").is_ok());
        assert!(check_stb_id("").is_err());
        assert!(check_stb_id("a b").is_err());
    }
}
