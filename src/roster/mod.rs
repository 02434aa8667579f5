//! Village cadres and their office duty (坐班值班): who is on duty on which
//! day (computed from the weekly pattern, the dated changes and the holiday
//! table, never stored per day), sign-in with the office screen's rotating
//! code, and the township's supervision figures.
//!
//! What a TV may show of this: a cadre's name, post and work phone, the
//! office phone, who is on duty and whether they signed in. A cadre's
//! private phone never leaves the back office.

pub mod board;
pub mod branch;
pub mod cadres;
pub mod calendar;
pub mod duty;
pub mod life;
pub mod meetings;
pub mod office;
pub mod rhythm;
pub mod screens;
pub mod signin;
pub mod supervision;

use chrono::NaiveDate;

/// A local calendar day as stored (`YYYY-MM-DD`).
pub fn day_str(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

/// A stored or typed day, strictly `YYYY-MM-DD`.
pub fn parse_day(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    if s.len() != 10 {
        return None;
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

/// A minute of the day as people write it (`08:30`).
pub fn hhmm(minute: i32) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

/// `08:30` (or `8:30`) as a minute of the day; `24:00` is the day's end.
pub fn parse_hhmm(s: &str) -> Option<i32> {
    let (h, m) = s.trim().split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    let minute = h * 60 + m;
    ((0..24).contains(&h) && (0..60).contains(&m) || minute == 24 * 60).then_some(minute)
}

/// `一` .. `日` for weekday 1 (Monday) .. 7.
pub fn weekday_label(weekday: i32) -> &'static str {
    ["一", "二", "三", "四", "五", "六", "日"]
        .get((weekday - 1).clamp(0, 6) as usize)
        .copied()
        .unwrap_or("一")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_days_parse_strictly() {
        assert_eq!(parse_hhmm("08:30"), Some(510));
        assert_eq!(parse_hhmm("8:30"), Some(510));
        assert_eq!(parse_hhmm("24:00"), Some(1440));
        assert_eq!(parse_hhmm("24:01"), None);
        assert_eq!(parse_hhmm("12:60"), None);
        assert_eq!(parse_hhmm("0830"), None);
        assert_eq!(parse_hhmm("8:3"), None);
        assert_eq!(hhmm(870), "14:30");
        assert_eq!(
            parse_day("2026-10-01"),
            NaiveDate::from_ymd_opt(2026, 10, 1)
        );
        assert_eq!(parse_day("2026-2-30"), None);
        assert_eq!(parse_day("2026-02-30"), None);
    }
}
