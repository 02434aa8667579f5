//! Residents: the paged list by village, the form and its checks, adding
//! and editing (names and codes stay out of the audit summaries).

use diesel::prelude::*;

use super::villages_where;
use crate::access::{Action, Actor};
use crate::audit::{self, Changes, Event};
use crate::db::schema::{households, residents};
use crate::db::{self, DbConn};
use crate::error::{AppError, AppResult};
use crate::health::{NewResident, Resident};
use crate::households::{self as hh, Household};
use crate::places::{self, Place};
use crate::validate::{self, FieldErrors};

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
        errors.check(
            "code",
            crate::health::ingest::check_resident_code(self.code.trim()),
        );
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
    let r = crate::health::resident(conn, id)?;
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
    db::unique_to_field("code", "居民编号已被使用（全县唯一）")(e)
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
        crate::health::resident(conn, id)
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
        crate::health::resident(conn, id)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn like_patterns() {
        assert_eq!(like_pattern("a%_b"), "%a\\%\\_b%");
    }
}
