//! How often each kind of branch meeting is due (三会一课), and whether a
//! branch has held it this period. The rhythm is configuration
//! (`meeting_rhythm`), not code; periods are calendar months, quarters and
//! years in the deployment's time zone.

use chrono::{Datelike, Duration, NaiveDate};

/// The kinds of branch meeting, with their names in the back office.
pub const KINDS: [(&str, &str); 6] = [
    ("congress", "支部党员大会"),
    ("committee", "支委会"),
    ("group", "党小组会"),
    ("lecture", "党课"),
    ("theme_day", "主题党日"),
    ("life", "组织生活会"),
];

/// The branch work rules' usual rhythm (FIELD.md).
pub const DEFAULT_RHYTHM: &str =
    "congress=quarter,committee=month,group=month,lecture=quarter,theme_day=month,life=year";

pub fn kind_label(kind: &str) -> &'static str {
    KINDS.iter().find(|k| k.0 == kind).map_or("会议", |k| k.1)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Month,
    Quarter,
    Year,
}

impl Period {
    fn parse(s: &str) -> Option<Period> {
        match s.trim() {
            "month" => Some(Period::Month),
            "quarter" => Some(Period::Quarter),
            "year" => Some(Period::Year),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Period::Month => "每月",
            Period::Quarter => "每季度",
            Period::Year => "每年",
        }
    }

    /// Days before a period's end from which it is "due soon".
    fn warning_days(self) -> i64 {
        match self {
            Period::Month => 7,
            Period::Quarter => 15,
            Period::Year => 30,
        }
    }

    /// The first and last day of the period `day` lies in.
    pub fn bounds(self, day: NaiveDate) -> (NaiveDate, NaiveDate) {
        let (y, m) = (day.year(), day.month());
        let (first_month, months) = match self {
            Period::Month => (m, 1),
            Period::Quarter => ((m - 1) / 3 * 3 + 1, 3),
            Period::Year => (1, 12),
        };
        let start = NaiveDate::from_ymd_opt(y, first_month, 1).unwrap_or(day);
        let next = first_month + months;
        let end = if next > 12 {
            NaiveDate::from_ymd_opt(y + 1, next - 12, 1)
        } else {
            NaiveDate::from_ymd_opt(y, next, 1)
        }
        .and_then(|n| n.pred_opt())
        .unwrap_or(day);
        (start, end)
    }
}

/// Which kinds are due how often.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rhythm(pub Vec<(&'static str, Period)>);

impl Rhythm {
    /// `congress=quarter,committee=month,...`; kinds left out are not tracked.
    pub fn parse(text: &str) -> Result<Rhythm, String> {
        let mut out = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (kind, period) = part
                .split_once('=')
                .ok_or_else(|| format!("meeting rhythm: '{part}' is not kind=period"))?;
            let kind = KINDS
                .iter()
                .map(|k| k.0)
                .find(|k| *k == kind.trim())
                .ok_or_else(|| format!("meeting rhythm: unknown kind '{}'", kind.trim()))?;
            let period = Period::parse(period).ok_or_else(|| {
                format!(
                    "meeting rhythm: '{}' is not month, quarter or year",
                    period.trim()
                )
            })?;
            out.push((kind, period));
        }
        Ok(Rhythm(out))
    }
}

impl Default for Rhythm {
    fn default() -> Rhythm {
        Rhythm::parse(DEFAULT_RHYTHM).unwrap_or(Rhythm(Vec::new()))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// Held this period.
    Done,
    /// Not yet held; the period ends on the day given.
    Open(NaiveDate),
    /// Not yet held and the period ends soon.
    Soon(NaiveDate),
    /// The last period passed without one (and none yet this period).
    Overdue(NaiveDate),
}

impl Due {
    pub fn label(self) -> String {
        match self {
            Due::Done => "本期已开".into(),
            Due::Open(end) => format!("待开展（{} 前）", end.format("%m-%d")),
            Due::Soon(end) => format!("即将到期（{} 前）", end.format("%m-%d")),
            Due::Overdue(since) => format!("已逾期（应于 {} 前）", since.format("%Y-%m-%d")),
        }
    }

    pub fn class(self) -> &'static str {
        match self {
            Due::Done => "done",
            Due::Open(_) => "open",
            Due::Soon(_) => "soon",
            Due::Overdue(_) => "overdue",
        }
    }
}

/// The state on the local day `today` of a kind held last on `last`.
pub fn due(period: Period, today: NaiveDate, last: Option<NaiveDate>) -> Due {
    let (start, end) = period.bounds(today);
    if last.is_some_and(|l| l >= start && l <= today) {
        return Due::Done;
    }
    let previous_end = start - Duration::days(1);
    let (previous_start, _) = period.bounds(previous_end);
    if last.is_none_or(|l| l < previous_start) {
        return Due::Overdue(previous_end);
    }
    if (end - today).num_days() < period.warning_days() {
        Due::Soon(end)
    } else {
        Due::Open(end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        super::super::parse_day(s).unwrap_or_default()
    }

    #[test]
    fn periods_have_their_calendar_edges() {
        assert_eq!(
            Period::Quarter.bounds(d("2026-12-31")),
            (d("2026-10-01"), d("2026-12-31"))
        );
        assert_eq!(
            Period::Quarter.bounds(d("2027-01-01")),
            (d("2027-01-01"), d("2027-03-31"))
        );
        assert_eq!(
            Period::Month.bounds(d("2026-02-10")),
            (d("2026-02-01"), d("2026-02-28"))
        );
        assert_eq!(
            Period::Year.bounds(d("2026-06-30")),
            (d("2026-01-01"), d("2026-12-31"))
        );
    }

    #[test]
    fn due_states_at_the_end_of_a_quarter() {
        let q = Period::Quarter;
        // Held in Q3, not yet in Q4: due soon on the quarter's last day...
        assert_eq!(
            due(q, d("2026-12-31"), Some(d("2026-09-20"))),
            Due::Soon(d("2026-12-31"))
        );
        // ...and overdue the next day (Q4 passed without one).
        assert_eq!(
            due(q, d("2027-01-01"), Some(d("2026-09-20"))),
            Due::Overdue(d("2026-12-31"))
        );
        // Held on the last day: done that day, open (not overdue) the next.
        assert_eq!(due(q, d("2026-12-31"), Some(d("2026-12-31"))), Due::Done);
        assert_eq!(
            due(q, d("2027-01-01"), Some(d("2026-12-31"))),
            Due::Open(d("2027-03-31"))
        );
        // Early in a quarter with the last one held: open.
        assert_eq!(
            due(q, d("2026-10-05"), Some(d("2026-08-01"))),
            Due::Open(d("2026-12-31"))
        );
        // Never held: overdue.
        assert_eq!(
            due(Period::Month, d("2026-12-05"), None),
            Due::Overdue(d("2026-11-30"))
        );
    }

    #[test]
    fn the_rhythm_is_read_from_configuration() {
        let r = Rhythm::default();
        assert_eq!(r.0.len(), 6);
        assert!(r.0.contains(&("congress", Period::Quarter)));
        assert_eq!(
            Rhythm::parse("lecture=month").map(|r| r.0),
            Ok(vec![("lecture", Period::Month)])
        );
        assert!(Rhythm::parse("party=month").is_err());
        assert!(Rhythm::parse("congress=weekly").is_err());
    }
}
