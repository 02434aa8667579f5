//! A village branch's party members (党员名册): kept in the back office,
//! never shown on a TV.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::access::{Action, Actor};
use crate::audit::{self, Event};
use crate::db::schema::party_members;
use crate::db::{self, DbConn};
use crate::error::AppResult;
use crate::places;
use crate::validate::{self, FieldErrors};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = party_members)]
pub struct Member {
    pub id: i64,
    pub village_id: i64,
    pub name: String,
    /// `formal` (正式党员) or `probationary` (预备党员).
    pub status: String,
    pub voting: bool,
    /// On the branch committee (支委).
    pub committee: bool,
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl Member {
    pub fn status_label(&self) -> &'static str {
        if self.status == "formal" {
            "正式党员"
        } else {
            "预备党员"
        }
    }
}

/// The active members of a village's branch, by name.
pub fn of_village(conn: &mut DbConn, village_id: i64) -> AppResult<Vec<Member>> {
    Ok(party_members::table
        .filter(party_members::village_id.eq(village_id))
        .filter(party_members::active.eq(true))
        .order((party_members::name, party_members::id))
        .select(Member::as_select())
        .load(conn)?)
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct MemberForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub status: String,
    /// Checkboxes: present when ticked.
    #[serde(default)]
    pub voting: Option<String>,
    #[serde(default)]
    pub committee: Option<String>,
}

impl MemberForm {
    /// The form showing a stored member (to edit them).
    pub fn of(m: &Member) -> MemberForm {
        MemberForm {
            name: m.name.clone(),
            status: m.status.clone(),
            voting: m.voting.then(|| "on".into()),
            committee: m.committee.then(|| "on".into()),
        }
    }
}

/// Checks a member form: the status it gives, or a message beside each
/// wrong field. A probationary member has no vote (党章第七条).
fn check(form: &MemberForm) -> AppResult<&'static str> {
    let mut errors = FieldErrors::new();
    errors.check("name", validate::line(form.name.trim(), "姓名", 20));
    let status = match form.status.as_str() {
        "formal" => "formal",
        "probationary" => "probationary",
        _ => {
            errors.add("status", "请选择正式党员或预备党员");
            "formal"
        }
    };
    if status == "probationary" && form.voting.is_some() {
        errors.add("voting", "预备党员没有表决权");
    }
    errors.into_result()?;
    Ok(status)
}

/// A member of the branch (active or not).
pub fn get(conn: &mut DbConn, id: i64) -> AppResult<Member> {
    party_members::table
        .find(id)
        .select(Member::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| crate::error::AppError::not_found("这位党员"))
}

/// A removed member is not changed again (that would audit a second removal).
fn removed_already() -> crate::error::AppError {
    crate::error::AppError::Conflict("这位党员已移出名册，不能再修改或移出".into())
}

/// Inside a write: a member still on the roster, with concurrent changes
/// to the roster held until this commits (so a removal and an edit cannot
/// both pass this check).
fn active(conn: &mut DbConn, id: i64) -> AppResult<Member> {
    db::lock_table(conn, "party_members")?;
    let m = get(conn, id)?;
    if !m.active {
        return Err(removed_already());
    }
    Ok(m)
}

/// Adds a member.
pub fn add(
    conn: &mut DbConn,
    actor: &Actor,
    village_id: i64,
    form: &MemberForm,
) -> AppResult<Member> {
    actor.require(Action::KeepRoster, &places::scope_of(conn, village_id)?)?;
    let status = check(form)?;
    db::write(conn, |conn| {
        let now = crate::time::now();
        diesel::insert_into(party_members::table)
            .values((
                party_members::village_id.eq(village_id),
                party_members::name.eq(form.name.trim()),
                party_members::status.eq(status),
                party_members::voting.eq(form.voting.is_some()),
                party_members::committee.eq(form.committee.is_some()),
                party_members::active.eq(true),
                party_members::created_at.eq(now),
                party_members::updated_at.eq(now),
            ))
            .execute(conn)?;
        let id = db::last_insert_id(conn)?;
        // The summary names no member: the audit log is read more widely.
        audit::record(
            conn,
            actor,
            Event {
                action: "party_member.add",
                target_type: "party_member",
                target_id: Some(id),
                place_id: Some(village_id),
                summary: status.to_string(),
            },
        )?;
        get(conn, id)
    })
}

/// Changes a member's name, status, vote or committee seat.
pub fn update(conn: &mut DbConn, actor: &Actor, id: i64, form: &MemberForm) -> AppResult<Member> {
    let before = get(conn, id)?;
    actor.require(
        Action::KeepRoster,
        &places::scope_of(conn, before.village_id)?,
    )?;
    let status = check(form)?;
    db::write(conn, |conn| {
        let before = active(conn, id)?;
        diesel::update(party_members::table.find(id))
            .set((
                party_members::name.eq(form.name.trim()),
                party_members::status.eq(status),
                party_members::voting.eq(form.voting.is_some()),
                party_members::committee.eq(form.committee.is_some()),
                party_members::updated_at.eq(crate::time::now()),
            ))
            .execute(conn)?;
        let changes = audit::Changes::new()
            .field("status", &before.status, status)
            .field("voting", before.voting, form.voting.is_some())
            .field("committee", before.committee, form.committee.is_some())
            .secret("name", before.name != form.name.trim());
        audit::record(
            conn,
            actor,
            Event {
                action: "party_member.update",
                target_type: "party_member",
                target_id: Some(id),
                place_id: Some(before.village_id),
                summary: changes.summary(),
            },
        )?;
        get(conn, id)
    })
}

/// Takes a member off the roster (转出, 去世 ...): past meetings keep their
/// attendance, later ones no longer count them. Returns the village.
pub fn remove(conn: &mut DbConn, actor: &Actor, id: i64) -> AppResult<i64> {
    let m = get(conn, id)?;
    actor.require(Action::KeepRoster, &places::scope_of(conn, m.village_id)?)?;
    db::write(conn, |conn| {
        let m = active(conn, id)?;
        diesel::update(party_members::table.find(id))
            .set((
                party_members::active.eq(false),
                party_members::updated_at.eq(crate::time::now()),
            ))
            .execute(conn)?;
        audit::record(
            conn,
            actor,
            Event {
                action: "party_member.remove",
                target_type: "party_member",
                target_id: Some(id),
                place_id: Some(m.village_id),
                summary: m.status.clone(),
            },
        )?;
        Ok(m.village_id)
    })
}
