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

/// Adds a member. A probationary member has no vote (党章第七条).
pub fn add(
    conn: &mut DbConn,
    actor: &Actor,
    village_id: i64,
    form: &MemberForm,
) -> AppResult<Member> {
    actor.require(Action::KeepRoster, &places::scope_of(conn, village_id)?)?;
    let mut errors = FieldErrors::new();
    errors.check("name", validate::line(form.name.trim(), "姓名", 20));
    let status = match form.status.as_str() {
        s @ ("formal" | "probationary") => s,
        _ => {
            errors.add("status", "请选择正式党员或预备党员");
            "formal"
        }
    };
    if status == "probationary" && form.voting.is_some() {
        errors.add("voting", "预备党员没有表决权");
    }
    errors.into_result()?;
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
        Ok(party_members::table
            .find(id)
            .select(Member::as_select())
            .first(conn)?)
    })
}
