//! Health stations: the list by village, the details form, opening a
//! station and rotating its token.

use diesel::prelude::*;

use super::villages_where;
use crate::access::{Action, Actor};
use crate::audit::{self, Changes, Event};
use crate::db::schema::health_stations;
use crate::db::{self, DbConn};
use crate::error::{AppError, AppResult};
use crate::health::{NewStation, Station};
use crate::places::{self, Place};
use crate::validate::{self, FieldErrors};

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
    let station = crate::health::station(conn, id)?;
    actor.require(action, &places::scope_of(conn, station.village_id)?)?;
    Ok(station)
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
    let token = crate::health::new_token();
    let hash = crate::health::hash_token(&token);
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
            .map_err(db::unique_to_field(
                "code",
                format!("编号 {code} 已被另一个健康小屋使用"),
            ))?;
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
        crate::health::station(conn, id)
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
        crate::health::station(conn, id)
    })
}

/// Replaces a station's token (admins): the old one stops working at once.
pub fn rotate_token(conn: &mut DbConn, actor: &Actor, id: i64) -> AppResult<(Station, String)> {
    let station = station_for(conn, actor, id, Action::ManagePlaces)?;
    let token = crate::health::new_token();
    let hash = crate::health::hash_token(&token);
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
        crate::health::station(conn, id)
    })?;
    Ok((station, token))
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
}
