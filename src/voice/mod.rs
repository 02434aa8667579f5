//! The villager's voice: requests filed from the TV with the remote alone
//! (我要反映, 一键求助, 有疑问 on village affairs), handled in the back office
//! like a 12345 hotline (受理 → 办理 → 回复 → 办结) with time limits,
//! reminders and escalation to the township, and rated by the household.

pub mod board;
pub mod catalog;
pub mod filing;
pub mod handling;
pub mod supervision;
pub mod sweep;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{voice_requests, voice_steps};
use crate::db::DbConn;
use crate::error::{AppError, AppResult};

pub use catalog::Catalog;

/// How a request came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Report,
    Help,
    Question,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Report => "report",
            Kind::Help => "help",
            Kind::Question => "question",
        }
    }

    pub fn parse(s: &str) -> Kind {
        match s {
            "help" => Kind::Help,
            "question" => Kind::Question,
            _ => Kind::Report,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Kind::Report => "我要反映",
            Kind::Help => "一键求助",
            Kind::Question => "村务疑问",
        }
    }
}

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    New,
    Accepted,
    Handling,
    Replied,
    Closed,
}

impl State {
    pub const ALL: [State; 5] = [
        State::New,
        State::Accepted,
        State::Handling,
        State::Replied,
        State::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            State::New => "new",
            State::Accepted => "accepted",
            State::Handling => "handling",
            State::Replied => "replied",
            State::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            State::New => "待受理",
            State::Accepted => "已受理",
            State::Handling => "办理中",
            State::Replied => "已回复",
            State::Closed => "已办结",
        }
    }

    pub fn is_open(self) -> bool {
        self != State::Closed
    }
}

/// The household's answer to 您满意吗.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Satisfaction {
    Satisfied,
    Basic,
    Unsatisfied,
}

impl Satisfaction {
    pub const ALL: [Satisfaction; 3] = [
        Satisfaction::Satisfied,
        Satisfaction::Basic,
        Satisfaction::Unsatisfied,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Satisfaction::Satisfied => "satisfied",
            Satisfaction::Basic => "basic",
            Satisfaction::Unsatisfied => "unsatisfied",
        }
    }

    pub fn parse(s: &str) -> Option<Satisfaction> {
        Satisfaction::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Satisfaction::Satisfied => "满意",
            Satisfaction::Basic => "基本满意",
            Satisfaction::Unsatisfied => "不满意",
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = voice_requests)]
pub struct Request {
    pub id: i64,
    pub village_id: i64,
    pub household_id: i64,
    pub verified: bool,
    pub kind: String,
    pub category: String,
    pub category_label: String,
    pub reason: String,
    pub callback: bool,
    pub article_id: Option<i64>,
    pub state: String,
    pub due_at: NaiveDateTime,
    pub reminded_at: Option<NaiveDateTime>,
    pub escalated_at: Option<NaiveDateTime>,
    pub reply: String,
    pub replied_at: Option<NaiveDateTime>,
    pub closed_at: Option<NaiveDateTime>,
    pub satisfaction: Option<String>,
    pub rated_at: Option<NaiveDateTime>,
    pub reopened: i32,
    pub notified: String,
    pub confirm_key: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl Request {
    pub fn kind(&self) -> Kind {
        Kind::parse(&self.kind)
    }

    pub fn state(&self) -> State {
        // The CHECK constraint keeps `state` to the five values.
        State::parse(&self.state).unwrap_or(State::New)
    }

    pub fn satisfaction(&self) -> Option<Satisfaction> {
        self.satisfaction.as_deref().and_then(Satisfaction::parse)
    }

    pub fn overdue(&self, now: NaiveDateTime) -> bool {
        self.state().is_open() && now > self.due_at
    }

    /// Closed and not yet rated: the TV asks 您满意吗.
    pub fn awaits_rating(&self) -> bool {
        self.state() == State::Closed && self.rated_at.is_none()
    }

    /// `道路路灯 · 路灯不亮`
    pub fn summary(&self) -> String {
        format!("{} · {}", self.category_label, self.reason)
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = voice_steps)]
pub struct Step {
    pub id: i64,
    pub request_id: i64,
    pub at: NaiveDateTime,
    pub actor_name: String,
    pub action: String,
    pub note: String,
}

impl Step {
    pub fn action_label(&self) -> &'static str {
        match self.action.as_str() {
            "filed" => "提交",
            "accepted" => "受理",
            "handling" => "办理",
            "replied" => "回复",
            "closed" => "办结",
            "reminded" => "到期提醒",
            "escalated" => "超期转街道",
            "rated" => "评价",
            "reopened" => "不满意重办",
            _ => "处理",
        }
    }
}

pub fn get(conn: &mut DbConn, id: i64) -> AppResult<Request> {
    voice_requests::table
        .find(id)
        .select(Request::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("这条反映"))
}

/// A household's requests, newest first.
pub fn of_household(conn: &mut DbConn, household_id: i64, limit: i64) -> AppResult<Vec<Request>> {
    Ok(voice_requests::table
        .filter(voice_requests::household_id.eq(household_id))
        .order(voice_requests::id.desc())
        .limit(limit)
        .select(Request::as_select())
        .load(conn)?)
}

/// The household's requests, whatever the address says: another
/// household's id is "not found".
pub fn of_household_get(conn: &mut DbConn, household_id: i64, id: i64) -> AppResult<Request> {
    get(conn, id)
        .ok()
        .filter(|r| r.household_id == household_id)
        .ok_or_else(|| AppError::not_found("这条反映"))
}

/// The household numbers of requests, by household id.
pub fn household_numbers(
    conn: &mut DbConn,
    requests: &[Request],
) -> AppResult<std::collections::HashMap<i64, String>> {
    use crate::db::schema::households;
    let ids: Vec<i64> = requests.iter().map(|r| r.household_id).collect();
    Ok(households::table
        .filter(households::id.eq_any(&ids))
        .select((households::id, households::number))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect())
}

pub fn steps(conn: &mut DbConn, request_id: i64) -> AppResult<Vec<Step>> {
    Ok(voice_steps::table
        .filter(voice_steps::request_id.eq(request_id))
        .order(voice_steps::id)
        .select(Step::as_select())
        .load(conn)?)
}

/// Appends a step; call it inside the transaction that makes the change.
pub fn add_step(
    conn: &mut DbConn,
    request_id: i64,
    actor_name: &str,
    action: &str,
    note: &str,
) -> QueryResult<()> {
    diesel::insert_into(voice_steps::table)
        .values((
            voice_steps::request_id.eq(request_id),
            voice_steps::at.eq(crate::time::now()),
            voice_steps::actor_name.eq(actor_name),
            voice_steps::action.eq(action),
            voice_steps::note.eq(note),
        ))
        .execute(conn)
        .map(|_| ())
}
