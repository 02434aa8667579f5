//! The clerk's queue and the township's supervision of villagers' requests:
//! what is overdue, and by village and by category how many, how fast and
//! how well they were handled.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::{Kind, Request, Satisfaction, State};
use crate::access::{Action, Actor};
use crate::db::schema::voice_requests;
use crate::db::DbConn;
use crate::error::AppResult;
use crate::places::{self, Place};

/// The villages whose requests the actor sees for `action`, by id.
pub fn villages(
    conn: &mut DbConn,
    actor: &Actor,
    action: Action,
) -> AppResult<BTreeMap<i64, Place>> {
    let mut out = BTreeMap::new();
    for (township, villages) in places::visible_villages(conn, actor)? {
        for v in villages {
            let scope =
                crate::access::PlaceScope::village(v.id, Some(township.id), township.parent_id);
            if actor.may(action, &scope) {
                out.insert(v.id, v);
            }
        }
    }
    Ok(out)
}

/// Which requests a queue shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter {
    Open,
    Overdue,
    Closed,
    All,
}

impl Filter {
    pub const ALL: [(Filter, &'static str, &'static str); 4] = [
        (Filter::Open, "open", "待办"),
        (Filter::Overdue, "overdue", "已超期"),
        (Filter::Closed, "closed", "已办结"),
        (Filter::All, "all", "全部"),
    ];

    pub fn parse(s: Option<&str>) -> Filter {
        Filter::ALL
            .iter()
            .find(|f| Some(f.1) == s)
            .map_or(Filter::Open, |f| f.0)
    }

    pub fn as_str(self) -> &'static str {
        Filter::ALL
            .iter()
            .find(|f| f.0 == self)
            .map_or("open", |f| f.1)
    }
}

/// A queue: urgent help first, then by due time.
pub fn queue(
    conn: &mut DbConn,
    village_ids: &[i64],
    filter: Filter,
    now: NaiveDateTime,
    limit: i64,
) -> AppResult<Vec<Request>> {
    let mut q = voice_requests::table
        .filter(voice_requests::village_id.eq_any(village_ids))
        .select(Request::as_select())
        .into_boxed();
    q = match filter {
        Filter::Open => q.filter(voice_requests::state.ne("closed")),
        Filter::Overdue => q
            .filter(voice_requests::state.ne("closed"))
            .filter(voice_requests::due_at.lt(now)),
        Filter::Closed => q.filter(voice_requests::state.eq("closed")),
        Filter::All => q,
    };
    let mut rows: Vec<Request> = match filter {
        Filter::Closed | Filter::All => {
            q.order(voice_requests::id.desc()).limit(limit).load(conn)?
        }
        _ => q
            .order((voice_requests::due_at, voice_requests::id))
            .limit(limit)
            .load(conn)?,
    };
    if matches!(filter, Filter::Open | Filter::Overdue) {
        // Stable: within each group the due order stays.
        rows.sort_by_key(|r| r.kind() != Kind::Help);
    }
    Ok(rows)
}

/// Figures of one row of the supervision table.
#[derive(Debug, Clone, Default)]
pub struct Figures {
    pub total: usize,
    pub open: usize,
    pub overdue: usize,
    pub escalated: usize,
    pub closed: usize,
    /// Hours from filing to 办结, summed over the closed ones.
    close_hours: f64,
    pub rated: usize,
    pub satisfied: usize,
    pub unsatisfied: usize,
}

impl Figures {
    fn add(&mut self, r: &Request, now: NaiveDateTime) {
        self.total += 1;
        if r.state().is_open() {
            self.open += 1;
        }
        if r.overdue(now) {
            self.overdue += 1;
        }
        if r.escalated_at.is_some() {
            self.escalated += 1;
        }
        if let (State::Closed, Some(at)) = (r.state(), r.closed_at) {
            self.closed += 1;
            self.close_hours += (at - r.created_at).num_minutes() as f64 / 60.0;
        }
        if let Some(s) = r.satisfaction() {
            self.rated += 1;
            match s {
                Satisfaction::Satisfied | Satisfaction::Basic => self.satisfied += 1,
                Satisfaction::Unsatisfied => self.unsatisfied += 1,
            }
        }
    }

    /// `1.5 天`, or `—` before anything closed.
    pub fn average_close(&self) -> String {
        if self.closed == 0 {
            return "—".into();
        }
        let hours = self.close_hours / self.closed as f64;
        if hours < 24.0 {
            format!("{hours:.1} 小时")
        } else {
            format!("{:.1} 天", hours / 24.0)
        }
    }

    /// Share of ratings that were 满意 or 基本满意.
    pub fn satisfaction(&self) -> String {
        let n = self.satisfied + self.unsatisfied;
        if n == 0 {
            return "—".into();
        }
        format!("{:.0}%", 100.0 * self.satisfied as f64 / n as f64)
    }
}

pub struct Report {
    pub days: i64,
    pub all: Figures,
    pub by_village: Vec<(Place, Figures)>,
    pub by_category: Vec<(String, Figures)>,
    pub overdue: Vec<Request>,
}

/// The supervision figures of the villages over the last `days` days, and
/// every overdue request whenever it was filed.
pub fn report(
    conn: &mut DbConn,
    villages: &BTreeMap<i64, Place>,
    days: i64,
    now: NaiveDateTime,
) -> AppResult<Report> {
    let ids: Vec<i64> = villages.keys().copied().collect();
    let rows: Vec<Request> = voice_requests::table
        .filter(voice_requests::village_id.eq_any(&ids))
        .filter(voice_requests::created_at.ge(now - Duration::days(days)))
        .select(Request::as_select())
        .load(conn)?;
    let mut all = Figures::default();
    let mut by_village: BTreeMap<i64, Figures> = BTreeMap::new();
    let mut by_category: BTreeMap<String, Figures> = BTreeMap::new();
    for r in &rows {
        all.add(r, now);
        by_village.entry(r.village_id).or_default().add(r, now);
        by_category
            .entry(r.category_label.clone())
            .or_default()
            .add(r, now);
    }
    let overdue = queue(conn, &ids, Filter::Overdue, now, 200)?;
    let mut by_village: Vec<(Place, Figures)> = by_village
        .into_iter()
        .filter_map(|(id, f)| villages.get(&id).map(|v| (v.clone(), f)))
        .collect();
    by_village.sort_by(|a, b| {
        b.1.overdue
            .cmp(&a.1.overdue)
            .then(b.1.total.cmp(&a.1.total))
    });
    let mut by_category: Vec<(String, Figures)> = by_category.into_iter().collect();
    by_category.sort_by_key(|c| std::cmp::Reverse(c.1.total));
    Ok(Report {
        days,
        all,
        by_village,
        by_category,
        overdue,
    })
}

/// What the back office's front page says of the villages' requests.
#[derive(Debug, Clone, Copy, Default)]
pub struct Waiting {
    /// 一键求助 not yet closed.
    pub help: i64,
    pub open: i64,
    pub overdue: i64,
}

pub fn waiting(conn: &mut DbConn, village_ids: &[i64], now: NaiveDateTime) -> AppResult<Waiting> {
    let open = || {
        voice_requests::table
            .filter(voice_requests::village_id.eq_any(village_ids))
            .filter(voice_requests::state.ne("closed"))
    };
    Ok(Waiting {
        help: open()
            .filter(voice_requests::kind.eq("help"))
            .count()
            .get_result(conn)?,
        open: open().count().get_result(conn)?,
        overdue: open()
            .filter(voice_requests::due_at.lt(now))
            .count()
            .get_result(conn)?,
    })
}
