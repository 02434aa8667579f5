//! The demo's villagers' requests in 耿井村: one in every state, one overdue
//! and escalated, an urgent help today, ratings (one 不满意, reopened), a
//! question on a 村务公开 article; all dated back from the day `demo` runs.

use chrono::{Duration, FixedOffset, NaiveDateTime};
use diesel::prelude::*;

use crate::access::Actor;
use crate::db::schema::{articles, voice_requests, voice_steps};
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::voice::filing::{self, Choice, Filed, Filing};
use crate::voice::handling::{self, Step};
use crate::voice::{self, catalog, Catalog, Kind, Satisfaction};
use crate::{households, places, users};

/// How far a demo request got.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Reached {
    New,
    Accepted,
    Handling,
    Replied,
    Closed,
}

/// (household, kind, category, reason, days ago, reached, reply, rating)
type Demo = (
    &'static str,
    Kind,
    &'static str,
    usize,
    i64,
    Reached,
    &'static str,
    Option<Satisfaction>,
);

const REQUESTS: [Demo; 9] = [
    (
        "002",
        Kind::Report,
        "road",
        1,
        12,
        Reached::Closed,
        "村东头路灯已更换灯泡，晚上已经亮了。",
        Some(Satisfaction::Satisfied),
    ),
    (
        "003",
        Kind::Report,
        "sanitation",
        1,
        9,
        Reached::Closed,
        "已联系保洁公司，垃圾箱改为每天清运一次。",
        Some(Satisfaction::Basic),
    ),
    (
        "001",
        Kind::Report,
        "water",
        2,
        6,
        Reached::Closed,
        "供水站已调整加压泵，水压恢复正常。",
        None,
    ),
    (
        "003",
        Kind::Report,
        "security",
        3,
        8,
        Reached::Closed,
        "已提醒夜间经营的商户注意音量。",
        Some(Satisfaction::Unsatisfied),
    ),
    (
        "001",
        Kind::Report,
        "sanitation",
        1,
        3,
        Reached::Replied,
        "垃圾清运车本周四起每天上午来一次。",
        None,
    ),
    (
        "002",
        Kind::Report,
        "dispute",
        2,
        2,
        Reached::Handling,
        "",
        None,
    ),
    (
        "003",
        Kind::Report,
        "policy",
        1,
        1,
        Reached::Accepted,
        "",
        None,
    ),
    (
        "001",
        Kind::Report,
        "suggestion",
        2,
        0,
        Reached::New,
        "",
        None,
    ),
    // Filed 20 days ago and still open: overdue, the sweep escalates it.
    (
        "002",
        Kind::Report,
        "power",
        3,
        20,
        Reached::Accepted,
        "",
        None,
    ),
];

fn at(now: NaiveDateTime, days_ago: i64, hours: i64) -> NaiveDateTime {
    now - Duration::days(days_ago) + Duration::hours(hours)
}

/// Files one request as the TV would, then moves it back in time.
fn file(
    conn: &mut DbConn,
    catalog: &Catalog,
    offset: FixedOffset,
    village: &places::Place,
    number: &str,
    choice: Choice,
    filed_at: NaiveDateTime,
) -> AppResult<voice::Request> {
    let household = households::find_by_number(conn, village.id, number)?
        .ok_or_else(|| AppError::bug("demo household missing"))?;
    let nonce = crate::crypto::random_hex(8);
    let filing = Filing {
        village,
        household: &household,
        verified: true,
        choice: &choice,
        nonce: &nonce,
    };
    let Filed::New(r) = filing::file(conn, catalog, offset, 100, filing)? else {
        return Err(AppError::bug("demo request not filed"));
    };
    let limit = catalog
        .get(&choice.category)
        .map_or(catalog::Limit::Today, |c| c.limit);
    let due = catalog::due_from(conn, limit, filed_at, offset)?;
    diesel::update(voice_requests::table.find(r.id))
        .set((
            voice_requests::created_at.eq(filed_at),
            voice_requests::updated_at.eq(filed_at),
            voice_requests::due_at.eq(due),
        ))
        .execute(conn)?;
    voice::get(conn, r.id)
}

/// Spreads a request's steps (and its reply and close times) from its
/// filing to `until`, as if they happened over those days.
fn date_steps(
    conn: &mut DbConn,
    id: i64,
    from: NaiveDateTime,
    until: NaiveDateTime,
) -> AppResult<()> {
    let steps: Vec<i64> = voice_steps::table
        .filter(voice_steps::request_id.eq(id))
        .order(voice_steps::id)
        .select(voice_steps::id)
        .load(conn)?;
    let n = steps.len().max(1) as i32;
    let span = until - from;
    for (k, step) in steps.iter().enumerate() {
        let t = from + span * k as i32 / n;
        diesel::update(voice_steps::table.find(step))
            .set(voice_steps::at.eq(t))
            .execute(conn)?;
    }
    let r = voice::get(conn, id)?;
    let last = from + span * (n - 1) / n;
    diesel::update(voice_requests::table.find(id))
        .set((
            voice_requests::replied_at.eq(r.replied_at.map(|_| last.min(until))),
            voice_requests::closed_at.eq(r.closed_at.map(|_| last)),
            voice_requests::updated_at.eq(last),
        ))
        .execute(conn)?;
    Ok(())
}

/// Loads the requests unless 耿井村 has some already; returns how many.
pub fn load(conn: &mut DbConn, offset: FixedOffset) -> AppResult<usize> {
    let village = places::village_by_code(conn, "gengjing")?;
    let any: i64 = voice_requests::table
        .filter(voice_requests::village_id.eq(village.id))
        .count()
        .get_result(conn)?;
    if any > 0 {
        return Ok(0);
    }
    let catalog = Catalog::default();
    let clerk = match users::find_by_username(conn, "clerk")? {
        Some(u) => users::actor(conn, &u)?,
        None => return Ok(0),
    };
    let now = crate::time::now();
    let mut added = 0;
    for (number, kind, category, reason, days, reached, reply, rating) in REQUESTS {
        let filed_at = at(now, days, -2);
        let choice = Choice {
            kind,
            category: category.into(),
            reason,
            callback: reason % 2 == 1,
            article_id: None,
        };
        let r = file(conn, &catalog, offset, &village, number, choice, filed_at)?;
        advance(conn, &clerk, r.id, reached, reply)?;
        let done = if days == 0 { now } else { at(now, days / 2, 0) };
        date_steps(conn, r.id, filed_at, done.min(now))?;
        if let Some(answer) = rating {
            let h = households::get(conn, r.household_id)?;
            handling::rate(conn, &catalog, offset, &h, r.id, answer)?;
        }
        added += 1;
    }
    // An urgent help an hour ago, and a question on a 村务公开 article.
    let help = Choice {
        kind: Kind::Help,
        category: catalog::HELP_KEY.into(),
        reason: 1,
        callback: true,
        article_id: None,
    };
    file(
        conn,
        &catalog,
        offset,
        &village,
        "002",
        help,
        now - Duration::hours(1),
    )?;
    added += 1;
    let affairs: Option<i64> = articles::table
        .filter(articles::place_id.eq(village.id))
        .filter(articles::section.eq("affairs"))
        .filter(articles::live_revision_id.is_not_null())
        .order(articles::id)
        .select(articles::id)
        .first(conn)
        .optional()?;
    if let Some(article_id) = affairs {
        let question = Choice {
            kind: Kind::Question,
            category: catalog::QUESTION_KEY.into(),
            reason: 1,
            callback: true,
            article_id: Some(article_id),
        };
        file(
            conn,
            &catalog,
            offset,
            &village,
            "003",
            question,
            now - Duration::hours(5),
        )?;
        added += 1;
    }
    voice::sweep::run(conn, &catalog, now)?;
    // 耿井村 shows what it resolved on the TV (办好了).
    voice::board::set(conn, &clerk, village.id, true)?;
    Ok(added)
}

fn advance(
    conn: &mut DbConn,
    clerk: &Actor,
    id: i64,
    reached: Reached,
    reply: &str,
) -> AppResult<()> {
    if reached >= Reached::Accepted {
        handling::take(conn, clerk, id, &Step::Accept)?;
    }
    if reached >= Reached::Handling {
        let note = "已派村委委员现场查看".to_string();
        handling::take(conn, clerk, id, &Step::Start { note })?;
    }
    if reached >= Reached::Replied {
        handling::take(conn, clerk, id, &Step::Reply { text: reply.into() })?;
    }
    if reached >= Reached::Closed {
        handling::take(conn, clerk, id, &Step::Close)?;
    }
    Ok(())
}
