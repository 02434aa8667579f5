//! Emergency alerts (应急广播): a level, a short text, a target area and a
//! time window. Officials alert their whole township; admins the county, a
//! township, or villages they pick. An alert goes live at its start without
//! review (publishing one is itself the privileged act, `PublishDirect`),
//! and can be ended early. Whether an alert is live is decided at query time:
//! `starts_at <= now < min(ends_at, ended_at)`.
//!
//! Targeting: an alert's `place_id` is the area it lies in. Without rows in
//! `alert_villages` it covers every village of that place; with rows it
//! covers only the villages listed (its place is then their smallest common
//! area, so the township official of that area can see and end it).

use std::collections::{HashMap, HashSet};

use chrono::{FixedOffset, NaiveDateTime};
use diesel::prelude::*;

use crate::access::{Action, Actor, PlaceKind, PlaceScope};
use crate::audit::{self, Event};
use crate::db::schema::{alert_villages, alerts};
use crate::db::{self, DbConn};
use crate::error::{AppError, AppResult};
use crate::places::{self, Place};
use crate::time::parse_local_input;
use crate::validate::{self, FieldErrors};

/// Longest alert text, in characters.
pub const TEXT_MAX: usize = 200;
/// The `target` value that means "the villages in `village_ids`".
pub const TARGET_VILLAGES: &str = "villages";
/// How many alerts the back-office list shows.
pub const LIST_MAX: i64 = 200;

/// Warning levels, least severe first (so `Ord` is severity).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Blue,
    Yellow,
    Orange,
    Red,
}

impl Level {
    /// Most severe first, as the form offers them.
    pub const ALL: [Level; 4] = [Level::Red, Level::Orange, Level::Yellow, Level::Blue];

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Blue => "blue",
            Level::Yellow => "yellow",
            Level::Orange => "orange",
            Level::Red => "red",
        }
    }

    pub fn parse(s: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Level::Blue => "蓝色预警",
            Level::Yellow => "黄色预警",
            Level::Orange => "橙色预警",
            Level::Red => "红色预警",
        }
    }
}

/// Where an alert is in its time window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Scheduled,
    Live,
    Ended,
}

impl State {
    pub fn label(self) -> &'static str {
        match self {
            State::Scheduled => "未开始",
            State::Live => "生效中",
            State::Ended => "已结束",
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = alerts)]
pub struct Alert {
    pub id: i64,
    pub place_id: i64,
    pub level: String,
    pub text: String,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    /// Set when ended early.
    pub ended_at: Option<NaiveDateTime>,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
}

impl Alert {
    pub fn level(&self) -> Level {
        // The CHECK constraint keeps `level` to the four values.
        Level::parse(&self.level).unwrap_or(Level::Red)
    }

    /// When it stops being live: its end, or the moment it was ended early.
    pub fn until(&self) -> NaiveDateTime {
        self.ended_at.map_or(self.ends_at, |e| e.min(self.ends_at))
    }

    pub fn state(&self, now: NaiveDateTime) -> State {
        if now >= self.until() {
            State::Ended
        } else if now < self.starts_at {
            State::Scheduled
        } else {
            State::Live
        }
    }

    pub fn is_live(&self, now: NaiveDateTime) -> bool {
        self.state(now) == State::Live
    }
}

/// What the alert form submits (also what the demo and the CLI build).
/// Times are `YYYY-MM-DDTHH:MM` in the deployment's offset.
#[derive(Debug, Clone, Default)]
pub struct AlertForm {
    /// `blue`, `yellow`, `orange` or `red`.
    pub level: String,
    pub text: String,
    /// A place id (county, township or village), `villages` for the villages
    /// in `village_ids`, or empty for the actor's own place.
    pub target: String,
    pub village_ids: Vec<i64>,
    /// Empty means now.
    pub starts_at: String,
    pub ends_at: String,
}

/// Whom a checked form targets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The actor's own place.
    Own,
    Place(i64),
    Villages(Vec<i64>),
}

/// A checked form, ready to store. Times in UTC.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAlert {
    pub level: Level,
    pub text: String,
    pub target: Target,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
}

impl AlertForm {
    /// Checks every field; `now` (UTC) fills an empty start.
    pub fn check(&self, offset: FixedOffset, now: NaiveDateTime) -> Result<NewAlert, FieldErrors> {
        let mut errors = FieldErrors::new();
        let level = Level::parse(self.level.trim());
        if level.is_none() {
            errors.add("level", "请选择预警级别：蓝色、黄色、橙色或红色");
        }
        // One line on the TV: line breaks and runs of spaces become one space.
        let text = self.text.split_whitespace().collect::<Vec<_>>().join(" ");
        errors.check("text", validate::line(&text, "预警内容", TEXT_MAX));
        let target = match self.target.trim() {
            "" if self.village_ids.is_empty() => Some(Target::Own),
            TARGET_VILLAGES => {
                let mut ids = self.village_ids.clone();
                ids.sort_unstable();
                ids.dedup();
                if ids.is_empty() {
                    errors.add("village_ids", "请至少勾选一个村");
                    None
                } else {
                    Some(Target::Villages(ids))
                }
            }
            _ if !self.village_ids.is_empty() => {
                errors.add("village_ids", "勾选了村时，发布范围请选“只发给勾选的村”");
                None
            }
            t => match t.parse::<i64>() {
                Ok(id) => Some(Target::Place(id)),
                Err(_) => {
                    errors.add("target", "请选择发布范围");
                    None
                }
            },
        };
        let starts_at = parse_local_input(&self.starts_at, offset).unwrap_or_else(|m| {
            errors.add("starts_at", m);
            None
        });
        let ends_at = match parse_local_input(&self.ends_at, offset) {
            Ok(Some(t)) => Some(t),
            Ok(None) => {
                errors.add("ends_at", "请填写结束时间");
                None
            }
            Err(m) => {
                errors.add("ends_at", m);
                None
            }
        };
        let starts_at_or_now = starts_at.unwrap_or(now);
        if let Some(end) = ends_at {
            if end <= starts_at_or_now {
                errors.add("ends_at", "结束时间必须晚于开始时间");
            } else if end <= now {
                errors.add("ends_at", "结束时间已经过去了");
            }
        }
        match (level, target, ends_at, errors.is_empty()) {
            (Some(level), Some(target), Some(ends_at), true) => Ok(NewAlert {
                level,
                text,
                target,
                starts_at: starts_at_or_now,
                ends_at,
            }),
            _ => Err(errors),
        }
    }
}

fn one_error(field: &'static str, message: impl Into<String>) -> AppError {
    let mut e = FieldErrors::new();
    e.add(field, message);
    AppError::Invalid(e)
}

pub fn get(conn: &mut DbConn, id: i64) -> AppResult<Alert> {
    alerts::table
        .find(id)
        .select(Alert::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("这条预警"))
}

/// The villages an alert is narrowed to (empty: all of its place).
pub fn listed_villages(conn: &mut DbConn, alert_id: i64) -> AppResult<Vec<i64>> {
    Ok(alert_villages::table
        .filter(alert_villages::alert_id.eq(alert_id))
        .order(alert_villages::village_id)
        .select(alert_villages::village_id)
        .load(conn)?)
}

/// The smallest area holding all these villages.
fn common_area(villages: &[PlaceScope]) -> Option<i64> {
    let first = villages.first()?;
    if villages.iter().all(|v| v.id == first.id) {
        Some(first.id)
    } else if villages.iter().all(|v| v.township_id == first.township_id) {
        first.township_id
    } else {
        first.county_id
    }
}

/// Creates an alert; it goes live at its start without review. Checks the
/// form (400 with field messages), then `PublishDirect` on the target place
/// and on every chosen village (403), then stores and audits in one
/// transaction.
pub fn create(
    conn: &mut DbConn,
    actor: &Actor,
    form: &AlertForm,
    offset: FixedOffset,
) -> AppResult<Alert> {
    let now = crate::time::now();
    let new = form.check(offset, now).map_err(AppError::Invalid)?;
    let (place, villages): (Place, Vec<Place>) = match &new.target {
        Target::Own => (places::get(conn, actor.place.id)?, Vec::new()),
        Target::Place(id) => (
            places::get(conn, *id).map_err(AppError::if_not_found(|| {
                one_error("target", "所选的发布范围不存在")
            }))?,
            Vec::new(),
        ),
        Target::Villages(ids) => {
            let mut villages = Vec::new();
            let mut scopes = Vec::new();
            for id in ids {
                let v = places::get(conn, *id)
                    .ok()
                    .filter(|p| p.kind() == PlaceKind::Village)
                    .ok_or_else(|| one_error("village_ids", "勾选的村不存在"))?;
                let scope = places::scope(conn, &v)?;
                actor.require(Action::PublishDirect, &scope)?;
                scopes.push(scope);
                villages.push(v);
            }
            let area =
                common_area(&scopes).ok_or_else(|| one_error("village_ids", "请至少勾选一个村"))?;
            (places::get(conn, area)?, villages)
        }
    };
    let scope = places::scope(conn, &place)?;
    actor.require(Action::PublishDirect, &scope)?;
    let target = describe_target(&place, &villages);
    db::write(conn, |conn| {
        diesel::insert_into(alerts::table)
            .values((
                alerts::place_id.eq(place.id),
                alerts::level.eq(new.level.as_str()),
                alerts::text.eq(&new.text),
                alerts::starts_at.eq(new.starts_at),
                alerts::ends_at.eq(new.ends_at),
                alerts::created_by.eq(actor.user_id),
                alerts::created_at.eq(now),
            ))
            .execute(conn)?;
        let id = db::last_insert_id(conn)?;
        for v in &villages {
            diesel::insert_into(alert_villages::table)
                .values((
                    alert_villages::alert_id.eq(id),
                    alert_villages::village_id.eq(v.id),
                ))
                .execute(conn)?;
        }
        // The banner shows on the villages it lists, else on every village
        // of its place.
        if villages.is_empty() {
            crate::changes::touch(conn, place.id)?;
        }
        for v in &villages {
            crate::changes::touch(conn, v.id)?;
        }
        audit::record(
            conn,
            actor,
            Event {
                action: "alert.create",
                target_type: "alert",
                target_id: Some(id),
                place_id: Some(place.id),
                summary: format!(
                    "{} {target} {} ~ {}: {}",
                    new.level.label(),
                    crate::time::format_local(new.starts_at, offset),
                    crate::time::format_local(new.ends_at, offset),
                    new.text
                ),
            },
        )?;
        get(conn, id)
    })
}

/// Ends a live or scheduled alert now; ending one that is over is a 409.
pub fn end_early(conn: &mut DbConn, actor: &Actor, id: i64) -> AppResult<Alert> {
    let alert = get(conn, id)?;
    let scope = places::scope_of(conn, alert.place_id)?;
    actor.require(Action::PublishDirect, &scope)?;
    db::write(conn, |conn| {
        // Read again inside the transaction: two clicks end it once.
        let alert = get(conn, id)?;
        let now = crate::time::now();
        if alert.state(now) == State::Ended {
            return Err(AppError::Conflict("这条预警已经结束了".into()));
        }
        let was = alert.state(now).label();
        diesel::update(alerts::table.find(id))
            .set(alerts::ended_at.eq(now))
            .execute(conn)?;
        let listed: Vec<i64> = alert_villages::table
            .filter(alert_villages::alert_id.eq(id))
            .select(alert_villages::village_id)
            .load(conn)?;
        if listed.is_empty() {
            crate::changes::touch(conn, alert.place_id)?;
        }
        for v in listed {
            crate::changes::touch(conn, v)?;
        }
        audit::record(
            conn,
            actor,
            Event {
                action: "alert.end",
                target_type: "alert",
                target_id: Some(id),
                place_id: Some(alert.place_id),
                summary: format!(
                    "{} ({was} -> 已结束): {}",
                    alert.level().label(),
                    alert.text
                ),
            },
        )?;
        get(conn, id)
    })
}

/// Whether the alert reaches the village, given the villages it lists.
fn reaches(alert: &Alert, listed: &[i64], village: &PlaceScope) -> bool {
    if listed.is_empty() {
        [Some(village.id), village.township_id, village.county_id].contains(&Some(alert.place_id))
    } else {
        listed.contains(&village.id)
    }
}

/// The alert a village's TVs show now: the most severe live alert reaching
/// it (red > orange > yellow > blue), the newest among equals.
pub fn active_for_village(
    conn: &mut DbConn,
    village: &PlaceScope,
    now: NaiveDateTime,
) -> AppResult<Option<Alert>> {
    let listing: Vec<i64> = alert_villages::table
        .filter(alert_villages::village_id.eq(village.id))
        .select(alert_villages::alert_id)
        .load(conn)?;
    let areas: Vec<i64> = [Some(village.id), village.township_id, village.county_id]
        .into_iter()
        .flatten()
        .collect();
    let candidates: Vec<Alert> = alerts::table
        .filter(alerts::starts_at.le(now))
        .filter(alerts::ends_at.gt(now))
        .filter(alerts::ended_at.is_null().or(alerts::ended_at.gt(now)))
        .filter(
            alerts::place_id
                .eq_any(&areas)
                .or(alerts::id.eq_any(&listing)),
        )
        .select(Alert::as_select())
        .load(conn)?;
    if candidates.is_empty() {
        return Ok(None);
    }
    // Alerts of these areas that are narrowed to other villages do not count.
    let ids: Vec<i64> = candidates.iter().map(|a| a.id).collect();
    let narrowed: HashSet<i64> = alert_villages::table
        .filter(alert_villages::alert_id.eq_any(&ids))
        .select(alert_villages::alert_id)
        .distinct()
        .load::<i64>(conn)?
        .into_iter()
        .collect();
    Ok(candidates
        .into_iter()
        .filter(|a| listing.contains(&a.id) || !narrowed.contains(&a.id))
        .max_by_key(|a| (a.level(), a.starts_at, a.id)))
}

/// The next moment after `now` an alert of the village's areas starts or
/// ends: until then, what its TV pages show of alerts cannot change by itself.
/// Alerts narrowed to other villages count too (a harmless early refresh).
pub fn next_change(
    conn: &mut DbConn,
    village: &PlaceScope,
    now: NaiveDateTime,
) -> AppResult<Option<NaiveDateTime>> {
    let listing: Vec<i64> = alert_villages::table
        .filter(alert_villages::village_id.eq(village.id))
        .select(alert_villages::alert_id)
        .load(conn)?;
    let areas: Vec<i64> = [Some(village.id), village.township_id, village.county_id]
        .into_iter()
        .flatten()
        .collect();
    let upcoming: Vec<(NaiveDateTime, NaiveDateTime, Option<NaiveDateTime>)> = alerts::table
        .filter(alerts::ends_at.gt(now))
        .filter(alerts::ended_at.is_null().or(alerts::ended_at.gt(now)))
        .filter(
            alerts::place_id
                .eq_any(&areas)
                .or(alerts::id.eq_any(&listing)),
        )
        .select((alerts::starts_at, alerts::ends_at, alerts::ended_at))
        .load(conn)?;
    Ok(upcoming
        .into_iter()
        .flat_map(|(s, e, ended)| [Some(s), Some(e), ended])
        .flatten()
        .filter(|t| *t > now)
        .min())
}

/// An alert that reaches the village (live or not), for its TV page; else 404.
pub fn get_for_village(conn: &mut DbConn, village: &PlaceScope, id: i64) -> AppResult<Alert> {
    let alert = get(conn, id)?;
    let listed = listed_villages(conn, id)?;
    if reaches(&alert, &listed, village) {
        Ok(alert)
    } else {
        Err(AppError::not_found("这条预警"))
    }
}

/// An alert as the back office lists it.
#[derive(Debug, Clone)]
pub struct Listed {
    pub alert: Alert,
    pub place: Place,
    /// The villages it is narrowed to (empty: all of `place`).
    pub villages: Vec<Place>,
    /// 全县 / 黄河路街道 / 耿井村、宋家村
    pub target: String,
    /// Display name of who created it (`系统` for the command line or demo).
    pub author: String,
    /// Whether the actor may end it.
    pub can_end: bool,
}

fn describe_target(place: &Place, villages: &[Place]) -> String {
    if villages.is_empty() {
        match place.kind() {
            PlaceKind::County => format!("全县（{}）", place.name),
            PlaceKind::Township => format!("{}全部村", place.name),
            PlaceKind::Village => place.name.clone(),
        }
    } else {
        villages
            .iter()
            .map(|v| v.name.as_str())
            .collect::<Vec<_>>()
            .join("、")
    }
}

/// The alerts the actor may see, newest first (at most `LIST_MAX`): those in
/// their area, those narrowed to a village in it, and those of a wider area
/// that cover it (a county alert, for an official).
pub fn list_for(conn: &mut DbConn, actor: &Actor) -> AppResult<Vec<Listed>> {
    let rows: Vec<Alert> = alerts::table
        .order((alerts::created_at.desc(), alerts::id.desc()))
        .limit(LIST_MAX)
        .select(Alert::as_select())
        .load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|a| a.id).collect();
    let mut listed: HashMap<i64, Vec<i64>> = HashMap::new();
    for (alert_id, village_id) in alert_villages::table
        .filter(alert_villages::alert_id.eq_any(&ids))
        .order((alert_villages::alert_id, alert_villages::village_id))
        .select((alert_villages::alert_id, alert_villages::village_id))
        .load::<(i64, i64)>(conn)?
    {
        listed.entry(alert_id).or_default().push(village_id);
    }
    let mut places_seen: HashMap<i64, (Place, PlaceScope)> = HashMap::new();
    let mut place = |conn: &mut DbConn, id: i64| -> AppResult<(Place, PlaceScope)> {
        if let Some(p) = places_seen.get(&id) {
            return Ok(p.clone());
        }
        let p = places::get(conn, id)?;
        let s = places::scope(conn, &p)?;
        places_seen.insert(id, (p.clone(), s));
        Ok((p, s))
    };
    let mut authors: HashMap<i64, String> = HashMap::new();
    let mut out = Vec::new();
    for alert in rows {
        let (area, area_scope) = place(conn, alert.place_id)?;
        let mut villages = Vec::new();
        let mut any_village_mine = false;
        for id in listed.get(&alert.id).map(Vec::as_slice).unwrap_or_default() {
            let (v, vs) = place(conn, *id)?;
            any_village_mine |= actor.may(Action::ViewPlace, &vs);
            villages.push(v);
        }
        let visible = actor.may(Action::ViewPlace, &area_scope)
            || any_village_mine
            || (villages.is_empty() && area_scope.contains(&actor.place));
        if !visible {
            continue;
        }
        let author = match alert.created_by {
            None => "系统".to_string(),
            Some(uid) => match authors.get(&uid) {
                Some(name) => name.clone(),
                None => {
                    let name = crate::users::get(conn, uid)
                        .map(|u| u.display_name)
                        .unwrap_or_else(|_| "?".into());
                    authors.insert(uid, name.clone());
                    name
                }
            },
        };
        out.push(Listed {
            target: describe_target(&area, &villages),
            can_end: actor.may(Action::PublishDirect, &area_scope),
            alert,
            place: area,
            villages,
            author,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn cst() -> FixedOffset {
        FixedOffset::east_opt(8 * 3600).unwrap()
    }

    /// 2026-12-01 00:00 UTC = 08:00 in +08:00.
    fn now() -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 12, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
    }

    fn good() -> AlertForm {
        AlertForm {
            level: "yellow".into(),
            text: "今天下午有七级大风，请收好晾晒的粮食，不要在河边逗留。".into(),
            target: String::new(),
            village_ids: Vec::new(),
            starts_at: String::new(),
            ends_at: "2026-12-01T20:00".into(),
        }
    }

    fn error(form: &AlertForm, field: &str) -> String {
        match form.check(cst(), now()) {
            Ok(_) => panic!("{field}: accepted"),
            Err(e) => e
                .get(field)
                .unwrap_or_else(|| panic!("no message for {field}: {e}"))
                .to_string(),
        }
    }

    #[test]
    fn severity_orders_the_levels() {
        assert!(Level::Red > Level::Orange);
        assert!(Level::Orange > Level::Yellow);
        assert!(Level::Yellow > Level::Blue);
        for l in Level::ALL {
            assert_eq!(Level::parse(l.as_str()), Some(l));
        }
        assert_eq!(Level::parse("purple"), None);
        assert_eq!(Level::Yellow.label(), "黄色预警");
    }

    #[test]
    fn an_empty_start_is_now_and_times_are_local() {
        let a = good().check(cst(), now()).unwrap();
        assert_eq!(a.starts_at, now());
        assert_eq!(a.ends_at.to_string(), "2026-12-01 12:00:00");
        assert_eq!(a.level, Level::Yellow);
        assert_eq!(a.target, Target::Own);
    }

    #[test]
    fn text_is_required_short_and_one_line() {
        let mut f = good();
        f.text = "  \n ".into();
        assert!(error(&f, "text").contains("请填写"));
        f.text = "风".repeat(201);
        assert!(error(&f, "text").contains("201"));
        f.text = "风".repeat(200);
        assert!(f.check(cst(), now()).is_ok());
        f.text = "第一行\r\n第二行".into();
        assert_eq!(f.check(cst(), now()).unwrap().text, "第一行 第二行");
    }

    #[test]
    fn levels_and_times_are_checked() {
        let mut f = good();
        f.level = "purple".into();
        assert!(error(&f, "level").contains("预警级别"));
        let mut f = good();
        f.ends_at = String::new();
        assert!(error(&f, "ends_at").contains("请填写"));
        f.ends_at = "2026/12/01".into();
        assert!(error(&f, "ends_at").contains("格式"));
        f.starts_at = "2026-12-01T18:00".into();
        f.ends_at = "2026-12-01T17:00".into();
        assert!(error(&f, "ends_at").contains("晚于"));
        f.starts_at = "2026-11-30T06:00".into();
        f.ends_at = "2026-12-01T07:00".into();
        assert!(error(&f, "ends_at").contains("已经过去"));
    }

    #[test]
    fn targets() {
        let mut f = good();
        f.target = "villages".into();
        assert!(error(&f, "village_ids").contains("勾选"));
        f.village_ids = vec![7, 3, 7];
        assert_eq!(
            f.check(cst(), now()).unwrap().target,
            Target::Villages(vec![3, 7])
        );
        f.target = "12".into();
        assert!(error(&f, "village_ids").contains("只发给勾选的村"));
        f.village_ids.clear();
        assert_eq!(f.check(cst(), now()).unwrap().target, Target::Place(12));
        f.target = "abc".into();
        assert!(error(&f, "target").contains("发布范围"));
    }

    #[test]
    fn state_follows_the_window_and_an_early_end() {
        let mut a = Alert {
            id: 1,
            place_id: 1,
            level: "red".into(),
            text: "t".into(),
            starts_at: now(),
            ends_at: now() + chrono::Duration::hours(2),
            ended_at: None,
            created_by: None,
            created_at: now(),
        };
        assert_eq!(
            a.state(now() - chrono::Duration::minutes(1)),
            State::Scheduled
        );
        assert_eq!(a.state(now()), State::Live);
        assert_eq!(a.state(now() + chrono::Duration::hours(2)), State::Ended);
        a.ended_at = Some(now() + chrono::Duration::hours(1));
        assert_eq!(a.state(now() + chrono::Duration::minutes(59)), State::Live);
        assert_eq!(a.state(now() + chrono::Duration::hours(1)), State::Ended);
    }

    #[test]
    fn reach_of_area_and_listed_alerts() {
        let village = PlaceScope::village(11, Some(10), Some(1));
        let alert = |place_id| Alert {
            id: 1,
            place_id,
            level: "red".into(),
            text: "t".into(),
            starts_at: now(),
            ends_at: now(),
            ended_at: None,
            created_by: None,
            created_at: now(),
        };
        assert!(reaches(&alert(1), &[], &village));
        assert!(reaches(&alert(10), &[], &village));
        assert!(reaches(&alert(11), &[], &village));
        assert!(!reaches(&alert(20), &[], &village));
        assert!(reaches(&alert(1), &[11, 21], &village));
        assert!(!reaches(&alert(1), &[12, 21], &village));
    }

    #[test]
    fn the_common_area_of_chosen_villages() {
        let v = |id, t| PlaceScope::village(id, Some(t), Some(1));
        assert_eq!(common_area(&[v(11, 10)]), Some(11));
        assert_eq!(common_area(&[v(11, 10), v(12, 10)]), Some(10));
        assert_eq!(common_area(&[v(11, 10), v(21, 20)]), Some(1));
        assert_eq!(common_area(&[]), None);
    }
}
