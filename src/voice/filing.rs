//! Filing a request from the TV: what the box chose, checked against the
//! catalog; a one-time confirm key; the household's daily limit; and, for
//! 一键求助, who is told at once.

use chrono::{Duration, FixedOffset, NaiveDateTime};
use diesel::prelude::*;

use super::catalog::{self, Catalog, Category};
use super::{add_step, get, Kind, Request};
use crate::access::Actor;
use crate::audit::{self, Event};
use crate::crypto::Keys;
use crate::db::schema::{users, voice_requests};
use crate::db::{self, DbConn};
use crate::error::{AppError, AppResult};
use crate::households::Household;
use crate::places::Place;

/// What a box asks to file: checked against the catalog before any page
/// offers to confirm it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub kind: Kind,
    pub category: String,
    /// 1-based, as numbered on the TV.
    pub reason: usize,
    pub callback: bool,
    /// The 村务公开 article a question is about.
    pub article_id: Option<i64>,
}

impl Choice {
    /// The category and reason text, or `None` when the catalog has no such
    /// choice (an edited address).
    pub fn resolve<'c>(&self, catalog: &'c Catalog) -> Option<(&'c Category, &'c str)> {
        let expected = match self.kind {
            Kind::Help => catalog::HELP_KEY,
            Kind::Question => catalog::QUESTION_KEY,
            Kind::Report
                if [catalog::HELP_KEY, catalog::QUESTION_KEY].contains(&self.category.as_str()) =>
            {
                ""
            }
            Kind::Report => self.category.as_str(),
        };
        if self.category != expected {
            return None;
        }
        let c = catalog.get(&self.category)?;
        let reason = c.reasons.get(self.reason.checked_sub(1)?)?;
        Some((c, reason.as_str()))
    }

    fn message(&self, village_id: i64, household_id: i64, nonce: &str) -> String {
        format!(
            "voice|{village_id}|{household_id}|{}|{}|{}|{}|{}|{nonce}",
            self.kind.as_str(),
            self.category,
            self.reason,
            u8::from(self.callback),
            self.article_id.unwrap_or(0)
        )
    }

    /// A fresh confirm key for this choice and household: `nonce.signature`.
    pub fn confirm_key(&self, keys: &Keys, village_id: i64, household_id: i64) -> String {
        let nonce = crate::crypto::random_hex(8);
        let sig = keys.sign(&self.message(village_id, household_id, &nonce));
        format!("{nonce}.{sig}")
    }

    /// The key's nonce when the key was made for exactly this choice.
    pub fn check_key<'k>(
        &self,
        keys: &Keys,
        village_id: i64,
        household_id: i64,
        key: &'k str,
    ) -> Option<&'k str> {
        let (nonce, sig) = key.split_once('.')?;
        if nonce.len() != 16 || !nonce.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        keys.verify(&self.message(village_id, household_id, nonce), sig)
            .then_some(nonce)
    }
}

/// What happened to a confirm.
#[derive(Debug)]
pub enum Filed {
    New(Request),
    /// The same confirm came again (Back and OK, a reload): the request it
    /// filed the first time.
    Again(Request),
    /// The household filed its daily number already.
    LimitReached,
}

/// Who is told of 一键求助: the cadres on duty today, else the village's
/// clerks; as `姓名（职务）电话` lines.
pub fn help_recipients(
    conn: &mut DbConn,
    village_id: i64,
    now: NaiveDateTime,
    offset: FixedOffset,
) -> AppResult<Vec<String>> {
    let mut told = Vec::new();
    if crate::roster::board::has_roster(conn, village_id)? {
        let today = crate::roster::board::today(conn, village_id, now, offset)?;
        for d in &today.duties {
            let line = if d.cadre.phone.is_empty() {
                format!("{}（{}）", d.cadre.name, d.cadre.post)
            } else {
                format!("{}（{}）{}", d.cadre.name, d.cadre.post, d.cadre.phone)
            };
            if !told.contains(&line) {
                told.push(line);
            }
        }
    }
    if told.is_empty() {
        let clerks: Vec<String> = users::table
            .filter(users::place_id.eq(village_id))
            .filter(users::role.eq("clerk"))
            .filter(users::disabled.eq(false))
            .order(users::id)
            .select(users::display_name)
            .load(conn)?;
        told.extend(clerks.into_iter().map(|n| format!("{n}（村文书）")));
    }
    Ok(told)
}

/// The start of the household's local day (the daily limit counts from it).
fn day_start(now: NaiveDateTime, offset: FixedOffset) -> NaiveDateTime {
    let today = crate::time::to_local(now, offset).date_naive();
    crate::time::local_day_start(today, offset)
}

pub struct Filing<'a> {
    pub village: &'a Place,
    pub household: &'a Household,
    pub verified: bool,
    pub choice: &'a Choice,
    /// The nonce of a checked confirm key.
    pub nonce: &'a str,
}

/// Files the request once: a replayed nonce finds the first one; past the
/// daily limit nothing is stored.
pub fn file(
    conn: &mut DbConn,
    catalog: &Catalog,
    offset: FixedOffset,
    daily_limit: i64,
    f: Filing<'_>,
) -> AppResult<Filed> {
    let (category, reason) = f
        .choice
        .resolve(catalog)
        .ok_or_else(|| AppError::not_found("这个选项"))?;
    let now = crate::time::now();
    db::write(conn, |conn| {
        // One confirm at a time per database: the limit and the replay check
        // must see every request before this one.
        db::lock_table(conn, "voice_requests")?;
        let earlier: Option<i64> = voice_requests::table
            .filter(voice_requests::confirm_key.eq(f.nonce))
            .select(voice_requests::id)
            .first(conn)
            .optional()?;
        if let Some(id) = earlier {
            return Ok(Filed::Again(get(conn, id)?));
        }
        let today: i64 = voice_requests::table
            .filter(voice_requests::household_id.eq(f.household.id))
            .filter(voice_requests::created_at.ge(day_start(now, offset)))
            .count()
            .get_result(conn)?;
        if today >= daily_limit {
            return Ok(Filed::LimitReached);
        }
        let due = catalog::due_from(conn, category.limit, now, offset)?;
        let notified = match f.choice.kind {
            Kind::Help => help_recipients(conn, f.village.id, now, offset)?.join("；"),
            _ => String::new(),
        };
        diesel::insert_into(voice_requests::table)
            .values((
                voice_requests::village_id.eq(f.village.id),
                voice_requests::household_id.eq(f.household.id),
                voice_requests::verified.eq(f.verified),
                voice_requests::kind.eq(f.choice.kind.as_str()),
                voice_requests::category.eq(&category.key),
                voice_requests::category_label.eq(&category.name),
                voice_requests::reason.eq(reason),
                voice_requests::callback.eq(f.choice.callback),
                voice_requests::article_id.eq(f.choice.article_id),
                voice_requests::state.eq("new"),
                voice_requests::due_at.eq(due),
                voice_requests::reply.eq(""),
                voice_requests::reopened.eq(0),
                voice_requests::notified.eq(&notified),
                voice_requests::confirm_key.eq(f.nonce),
                voice_requests::created_at.eq(now),
                voice_requests::updated_at.eq(now),
            ))
            .execute(conn)?;
        let id = db::last_insert_id(conn)?;
        let who = tv_name(f.household);
        let note = if f.verified {
            format!("{}，户号 {}", reason, f.household.number)
        } else {
            format!(
                "{}，户号 {}（机顶盒未登记，户号由电视上选择）",
                reason, f.household.number
            )
        };
        add_step(conn, id, &who, "filed", &note)?;
        let scope = crate::places::scope(conn, f.village)?;
        audit::record(
            conn,
            &Actor::system(&who, scope),
            Event {
                action: "voice.file",
                target_type: "voice_request",
                target_id: Some(id),
                place_id: Some(f.village.id),
                summary: format!("{} {} · {}", f.choice.kind.label(), category.name, reason),
            },
        )?;
        let request = get(conn, id)?;
        if f.choice.kind == Kind::Help {
            super::sweep::tell_township(conn, f.village, "voice.help", &request, f.household)?;
        }
        Ok(Filed::New(request))
    })
}

/// How the TV appears in the steps and the audit log.
pub fn tv_name(h: &Household) -> String {
    format!("电视（户号 {}）", h.number)
}

/// Requests filed by the household today, for the TV's "还可以反映 N 次".
pub fn filed_today(conn: &mut DbConn, household_id: i64, offset: FixedOffset) -> AppResult<i64> {
    let since = day_start(crate::time::now(), offset);
    Ok(voice_requests::table
        .filter(voice_requests::household_id.eq(household_id))
        .filter(voice_requests::created_at.ge(since))
        .count()
        .get_result(conn)?)
}

/// The newest closed request of the household still waiting for its rating
/// (closed in the last 30 days), among `list` (the household's requests).
pub fn awaiting_in(list: &[Request], now: NaiveDateTime) -> Option<&Request> {
    list.iter()
        .filter(|r| r.awaits_rating())
        .filter(|r| r.closed_at.is_some_and(|at| at > now - Duration::days(30)))
        .max_by_key(|r| r.closed_at)
}

/// The same, loaded: through the household's index, never a scan of every
/// closed request of the county.
pub fn awaiting_rating(conn: &mut DbConn, household_id: i64) -> AppResult<Option<Request>> {
    let list = super::of_household(conn, household_id, MINE_MAX)?;
    Ok(awaiting_in(&list, crate::time::now()).cloned())
}

/// At most this many of a household's requests are listed (newest first).
pub const MINE_MAX: i64 = 200;
