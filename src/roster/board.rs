//! What a TV shows of the roster (the village's 值班牌): names, posts, work
//! phones, the office phone, who is on duty and whether they signed in.
//! Built here so that nothing private (a cadre's own phone) can reach a page.

use chrono::{FixedOffset, NaiveDate, NaiveDateTime};

use super::cadres::{self, Cadre};
use super::calendar::DayKind;
use super::{day_str, duty, office, signin};
use crate::db::DbConn;
use crate::error::AppResult;

/// One cadre as a TV may show them.
#[derive(Debug, Clone)]
pub struct PublicCadre {
    pub id: i64,
    pub name: String,
    pub post: String,
    /// The cadre's work phone, else the office's.
    pub phone: String,
}

impl PublicCadre {
    fn of(c: &Cadre, office_phone: &str) -> PublicCadre {
        PublicCadre {
            id: c.id,
            name: c.name.clone(),
            post: c.post.clone(),
            phone: if c.duty_phone.is_empty() {
                office_phone.to_string()
            } else {
                c.duty_phone.clone()
            },
        }
    }
}

/// One duty of a day, as shown.
#[derive(Debug, Clone)]
pub struct OnDuty {
    pub cadre: PublicCadre,
    pub time: String,
    pub on_call: bool,
    /// Taking over another cadre's duty (代班).
    pub covering: bool,
    /// Signed in today at (UTC), when they did and have not signed out since.
    pub signed_in: Option<NaiveDateTime>,
}

/// A day of the roster as shown.
#[derive(Debug, Clone)]
pub struct BoardDay {
    pub day: NaiveDate,
    pub kind: DayKind,
    pub holiday: Option<String>,
    pub duties: Vec<OnDuty>,
}

/// What TVs show: the office phone and hours, the cadres, the days asked for.
#[derive(Debug, Clone)]
pub struct Board {
    pub office_phone: String,
    pub hours: String,
    pub cadres: Vec<PublicCadre>,
    pub days: Vec<BoardDay>,
}

/// The board for the days from `from` to `to`; sign-ins are read for the
/// local day of `now` only.
pub fn load(
    conn: &mut DbConn,
    village_id: i64,
    from: NaiveDate,
    to: NaiveDate,
    now: NaiveDateTime,
    offset: FixedOffset,
) -> AppResult<Board> {
    let office = office::get(conn, village_id)?;
    let all: Vec<Cadre> = cadres::of_village(conn, village_id)?
        .into_iter()
        .filter(|c| c.active)
        .collect();
    let public: Vec<PublicCadre> = all
        .iter()
        .map(|c| PublicCadre::of(c, &office.phone))
        .collect();
    let today = crate::time::to_local(now, offset).date_naive();
    let key = day_str(today);
    let signins = signin::between(conn, village_id, &key, &key)?;
    let present = |cadre_id: i64| {
        // The latest event of the cadre today decides.
        signins
            .iter()
            .filter(|s| s.cadre_id == cadre_id)
            .max_by_key(|s| s.at)
            .filter(|s| s.kind == "in")
            .map(|s| {
                signins
                    .iter()
                    .filter(|x| x.cadre_id == cadre_id && x.kind == "in")
                    .map(|x| x.at)
                    .min()
                    .unwrap_or(s.at)
            })
    };
    let days = duty::days(conn, village_id, from, to)?
        .into_iter()
        .map(|r| BoardDay {
            day: r.day,
            kind: r.kind,
            holiday: r.holiday.clone(),
            duties: r
                .duties
                .iter()
                .filter_map(|d| {
                    let cadre = public.iter().find(|c| c.id == d.cadre_id)?.clone();
                    Some(OnDuty {
                        signed_in: if r.day == today {
                            present(d.cadre_id)
                        } else {
                            None
                        },
                        cadre,
                        time: d.time_text(),
                        on_call: d.on_call,
                        covering: d.covering.is_some(),
                    })
                })
                .collect(),
        })
        .collect();
    Ok(Board {
        office_phone: office.phone.clone(),
        hours: office.hours_text(),
        cadres: public,
        days,
    })
}

/// Today's board (the home page, the office screen).
pub fn today(
    conn: &mut DbConn,
    village_id: i64,
    now: NaiveDateTime,
    offset: FixedOffset,
) -> AppResult<BoardDay> {
    let today = crate::time::to_local(now, offset).date_naive();
    let mut board = load(conn, village_id, today, today, now, offset)?;
    Ok(board.days.pop().unwrap_or(BoardDay {
        day: today,
        kind: DayKind::Workday,
        holiday: None,
        duties: Vec::new(),
    }))
}

/// Whether the village has any active cadre (the home shows the roster then).
pub fn has_roster(conn: &mut DbConn, village_id: i64) -> AppResult<bool> {
    Ok(cadres::of_village(conn, village_id)?
        .iter()
        .any(|c| c.active))
}
