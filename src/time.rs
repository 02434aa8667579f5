//! Times are stored as UTC `NaiveDateTime` and shown in the deployment's offset.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};

/// Now, as stored in the database.
pub fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

/// A stored UTC time in the deployment's offset.
pub fn to_local(utc: NaiveDateTime, offset: FixedOffset) -> DateTime<FixedOffset> {
    offset.from_utc_datetime(&utc)
}

/// `2026-11-23 18:05`, for lists in the back office.
pub fn format_local(utc: NaiveDateTime, offset: FixedOffset) -> String {
    to_local(utc, offset).format("%Y-%m-%d %H:%M").to_string()
}

const WEEKDAYS: [&str; 7] = ["一", "二", "三", "四", "五", "六", "日"];

/// `2026年11月23日 星期一`, for the TV.
pub fn chinese_date(utc: NaiveDateTime, offset: FixedOffset) -> String {
    let d = to_local(utc, offset);
    format!(
        "{}年{}月{}日 星期{}",
        d.year(),
        d.month(),
        d.day(),
        WEEKDAYS[d.weekday().num_days_from_monday() as usize]
    )
}

/// The UTC instant at which a local calendar day starts.
pub fn local_day_start(day: NaiveDate, offset: FixedOffset) -> NaiveDateTime {
    let local_midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    local_midnight - chrono::Duration::seconds(offset.local_minus_utc() as i64)
}

/// `YYYY-MM-DDTHH:MM` (what `<input type="datetime-local">` sends) in local
/// time to UTC; empty means none. The error is the message for the field.
pub fn parse_local_input(s: &str, offset: FixedOffset) -> Result<Option<NaiveDateTime>, String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let local = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
        .ok_or_else(|| "时间格式应为 2026-01-31T08:00".to_string())?;
    Ok(Some(
        local - chrono::Duration::seconds(offset.local_minus_utc() as i64),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_dates() {
        let cst = FixedOffset::east_opt(8 * 3600).unwrap();
        let utc = NaiveDate::from_ymd_opt(2026, 11, 22)
            .unwrap()
            .and_hms_opt(17, 30, 0)
            .unwrap();
        assert_eq!(chinese_date(utc, cst), "2026年11月23日 星期一");
        assert_eq!(format_local(utc, cst), "2026-11-23 01:30");
        let start = local_day_start(NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(), cst);
        assert_eq!(
            start,
            NaiveDate::from_ymd_opt(2026, 11, 22)
                .unwrap()
                .and_hms_opt(16, 0, 0)
                .unwrap()
        );
    }
    #[test]
    fn local_form_input() {
        let cst = FixedOffset::east_opt(8 * 3600).unwrap();
        let utc = NaiveDate::from_ymd_opt(2026, 11, 30)
            .unwrap()
            .and_hms_opt(16, 0, 0)
            .unwrap();
        for s in [
            "2026-12-01T00:00",
            " 2026-12-01T00:00:00 ",
            "2026-12-01 00:00",
        ] {
            assert_eq!(parse_local_input(s, cst), Ok(Some(utc)));
        }
        assert_eq!(parse_local_input("  ", cst), Ok(None));
        assert!(parse_local_input("2026/12/01", cst)
            .unwrap_err()
            .contains("格式"));
    }
}
