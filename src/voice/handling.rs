//! The back office's steps on a request: 受理 → 办理 → 回复 → 办结, and the
//! household's rating from the TV (不满意 reopens it for the township).

use chrono::FixedOffset;
use diesel::prelude::*;

use super::{add_step, get, Catalog, Kind, Request, Satisfaction, State};
use crate::access::{Action, Actor, Role};
use crate::audit::{self, Event};
use crate::db::schema::{cadres, voice_requests};
use crate::db::{self, DbConn};
use crate::error::{AppError, AppResult};
use crate::households::Household;
use crate::places;
use crate::validate::FieldErrors;

/// A step the back office takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Accept,
    Start { note: String },
    Reply { text: String },
    Close,
}

impl Step {
    /// From the form's `step` field and text.
    pub fn parse(step: &str, text: &str) -> Option<Step> {
        match step {
            "accept" => Some(Step::Accept),
            "start" => Some(Step::Start {
                note: text.trim().to_string(),
            }),
            "reply" => Some(Step::Reply {
                text: text.trim().to_string(),
            }),
            "close" => Some(Step::Close),
            _ => None,
        }
    }

    fn action(&self) -> &'static str {
        match self {
            Step::Accept => "accepted",
            Step::Start { .. } => "handling",
            Step::Reply { .. } => "replied",
            Step::Close => "closed",
        }
    }

    /// The states it may be taken from.
    fn from(&self) -> &'static [State] {
        match self {
            Step::Accept => &[State::New],
            Step::Start { .. } => &[State::New, State::Accepted],
            Step::Reply { .. } => &[State::New, State::Accepted, State::Handling, State::Replied],
            Step::Close => &[State::Replied],
        }
    }

    fn to(&self) -> State {
        match self {
            Step::Accept => State::Accepted,
            Step::Start { .. } => State::Handling,
            Step::Reply { .. } => State::Replied,
            Step::Close => State::Closed,
        }
    }
}

/// A reply the TV shows: plain text, 2 to 300 characters. Markup is refused
/// rather than cleaned, so what the clerk sees is what the household reads.
pub fn check_reply(text: &str) -> Result<(), String> {
    let n = text.chars().count();
    if n < 2 {
        return Err("请写下给村民的回复".into());
    }
    if n > 300 {
        return Err(format!("回复最多 300 字，现在 {n} 字"));
    }
    if text.contains('<') || text.contains('>') {
        return Err("回复只能是文字，不能含有 < > 等网页代码".into());
    }
    Ok(())
}

/// Whether the actor may take steps on the request. Questions on village
/// affairs go to the village's supervision committee (村务监督委员会: a
/// cadre whose post says 监督, linked to the user), not to the clerks who
/// published the affairs; the township and admins may always.
pub fn may_handle(conn: &mut DbConn, actor: &Actor, r: &Request) -> AppResult<bool> {
    let scope = places::scope_of(conn, r.village_id)?;
    if !actor.may(Action::HandleRequests, &scope) {
        return Ok(false);
    }
    if r.kind() != Kind::Question || actor.role != Role::Clerk {
        return Ok(true);
    }
    committee_member(conn, actor, r.village_id)
}

/// Is the actor on the village's supervision committee?
pub fn committee_member(conn: &mut DbConn, actor: &Actor, village_id: i64) -> AppResult<bool> {
    let Some(user_id) = actor.user_id else {
        return Ok(false);
    };
    let posts: Vec<String> = cadres::table
        .filter(cadres::village_id.eq(village_id))
        .filter(cadres::user_id.eq(user_id))
        .filter(cadres::active.eq(true))
        .select(cadres::post)
        .load(conn)?;
    Ok(posts.iter().any(|p| p.contains("监督")))
}

/// Takes a step; a state that no longer allows it (another clerk was
/// quicker) says so instead of writing.
pub fn take(conn: &mut DbConn, actor: &Actor, id: i64, step: &Step) -> AppResult<Request> {
    let before = get(conn, id)?;
    if !may_handle(conn, actor, &before)? {
        return Err(AppError::forbidden());
    }
    let mut errors = FieldErrors::new();
    match step {
        Step::Reply { text } => errors.check("reply", check_reply(text)),
        Step::Start { note } if note.chars().count() > 200 => {
            errors.add("note", "办理说明最多 200 字");
        }
        _ => {}
    }
    errors.into_result()?;
    let now = crate::time::now();
    db::write(conn, |conn| {
        let current = get(conn, id)?;
        if !step.from().contains(&current.state()) {
            let mut e = FieldErrors::new();
            e.add(
                "step",
                format!(
                    "这条反映现在是“{}”，不能再这样处理",
                    current.state().label()
                ),
            );
            return Err(e.into_result().err().unwrap_or_else(AppError::forbidden));
        }
        let changed = diesel::update(
            voice_requests::table
                .find(id)
                .filter(voice_requests::state.eq(current.state().as_str())),
        );
        let to = step.to().as_str();
        match step {
            Step::Reply { text } => changed
                .set((
                    voice_requests::state.eq(to),
                    voice_requests::reply.eq(text),
                    voice_requests::replied_at.eq(now),
                    voice_requests::updated_at.eq(now),
                ))
                .execute(conn)?,
            Step::Close => changed
                .set((
                    voice_requests::state.eq(to),
                    voice_requests::closed_at.eq(now),
                    voice_requests::updated_at.eq(now),
                ))
                .execute(conn)?,
            _ => changed
                .set((
                    voice_requests::state.eq(to),
                    voice_requests::updated_at.eq(now),
                ))
                .execute(conn)?,
        };
        let note = match step {
            Step::Reply { text } => text.clone(),
            Step::Start { note } => note.clone(),
            _ => String::new(),
        };
        add_step(conn, id, &actor.username, step.action(), &note)?;
        audit::record(
            conn,
            actor,
            Event {
                action: "voice.step",
                target_type: "voice_request",
                target_id: Some(id),
                place_id: Some(current.village_id),
                summary: format!("{} → {}", current.state().label(), step.to().label()),
            },
        )?;
        // The public board shows closed requests.
        if step.to() == State::Closed {
            crate::changes::touch(conn, current.village_id)?;
        }
        get(conn, id)
    })
}

/// The household's rating of a closed request (once). 不满意 reopens it
/// for the township with a fresh time limit.
pub fn rate(
    conn: &mut DbConn,
    catalog: &Catalog,
    offset: FixedOffset,
    household: &Household,
    id: i64,
    answer: Satisfaction,
) -> AppResult<Request> {
    let now = crate::time::now();
    db::write(conn, |conn| {
        let r = super::of_household_get(conn, household.id, id)?;
        if !r.awaits_rating() {
            // Rated already (a second press, a replay): nothing changes.
            return Ok(r);
        }
        let who = super::filing::tv_name(household);
        diesel::update(voice_requests::table.find(id))
            .set((
                voice_requests::satisfaction.eq(answer.as_str()),
                voice_requests::rated_at.eq(now),
                voice_requests::updated_at.eq(now),
            ))
            .execute(conn)?;
        add_step(conn, id, &who, "rated", answer.label())?;
        let scope = places::scope_of(conn, r.village_id)?;
        if answer == Satisfaction::Unsatisfied {
            let limit = catalog
                .get(&r.category)
                .map_or(super::catalog::Limit::WorkingDays(10), |c| c.limit);
            let due = super::catalog::due_from(conn, limit, now, offset)?;
            diesel::update(voice_requests::table.find(id))
                .set((
                    voice_requests::state.eq(State::Handling.as_str()),
                    voice_requests::closed_at.eq(None::<chrono::NaiveDateTime>),
                    voice_requests::rated_at.eq(None::<chrono::NaiveDateTime>),
                    voice_requests::escalated_at.eq(now),
                    voice_requests::reminded_at.eq(None::<chrono::NaiveDateTime>),
                    voice_requests::reopened.eq(r.reopened + 1),
                    voice_requests::due_at.eq(due),
                ))
                .execute(conn)?;
            add_step(conn, id, &who, "reopened", "村民不满意，转街道督办")?;
            let reopened = get(conn, id)?;
            let village = places::get(conn, r.village_id)?;
            super::sweep::tell_township(conn, &village, "voice.escalated", &reopened, household)?;
        }
        audit::record(
            conn,
            &crate::access::Actor::system(&who, scope),
            Event {
                action: "voice.rate",
                target_type: "voice_request",
                target_id: Some(id),
                place_id: Some(r.village_id),
                summary: answer.label().to_string(),
            },
        )?;
        crate::changes::touch(conn, r.village_id)?;
        get(conn, id)
    })
}
