//! Units on the way in: every value is converted to its kind's canonical
//! UCUM unit, and checked to be a plausible human reading. Reasons are in
//! Chinese: they go back to the kiosk operator or the clerk who uploaded.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};

use super::Kind;

/// mg/dL of glucose per mmol/L (molar mass 180.16 g/mol).
pub const GLUCOSE_MG_DL_PER_MMOL_L: f64 = 18.016;
const KG_PER_LB: f64 = 0.453_592_37;
const CM_PER_INCH: f64 = 2.54;
const MMHG_PER_KPA: f64 = 7.500_617;

/// How far ahead of the server's clock a reading's time may be (kiosk clocks drift).
pub const FUTURE_SLACK_HOURS: i64 = 24;

/// Converts `value` in `unit` to the kind's canonical unit. An empty unit
/// means the canonical one.
pub fn to_canonical(kind: Kind, value: f64, unit: &str) -> Result<f64, String> {
    let u = unit.trim();
    let lower = u.to_ascii_lowercase();
    let same = |v: f64| Ok(v);
    if u.is_empty() || u == kind.unit() {
        return same(value);
    }
    let converted = match kind {
        Kind::BloodPressure => match lower.as_str() {
            "mmhg" | "mm hg" | "mm[hg]" => Some(value),
            "kpa" => Some(value * MMHG_PER_KPA),
            _ => None,
        },
        Kind::HeartRate => match lower.as_str() {
            "/min" | "1/min" | "{beats}/min" | "{beat}/min" | "bpm" | "beats/min" | "次/分" => {
                Some(value)
            }
            _ => None,
        },
        Kind::SpO2 => match lower.as_str() {
            "%" | "percent" => Some(value),
            _ => None,
        },
        Kind::Temperature => match lower.as_str() {
            "cel" | "°c" | "℃" | "c" | "degc" => Some(value),
            "[degf]" | "°f" | "℉" | "f" | "degf" => Some((value - 32.0) * 5.0 / 9.0),
            _ => None,
        },
        Kind::Height | Kind::Waist => match lower.as_str() {
            "cm" | "厘米" => Some(value),
            "m" | "米" => Some(value * 100.0),
            "mm" => Some(value / 10.0),
            "[in_i]" | "[in_us]" | "in" | "inch" | "inches" => Some(value * CM_PER_INCH),
            _ => None,
        },
        Kind::Weight => match lower.as_str() {
            "kg" | "公斤" | "千克" => Some(value),
            "g" => Some(value / 1000.0),
            "[lb_av]" | "lb" | "lbs" | "[lb_us]" => Some(value * KG_PER_LB),
            "斤" => Some(value / 2.0),
            _ => None,
        },
        Kind::Bmi => match lower.as_str() {
            "kg/m2" | "kg/m^2" | "kg/m²" => Some(value),
            _ => None,
        },
        Kind::Glucose => match lower.as_str() {
            "mmol/l" => Some(value),
            "mg/dl" => Some(value / GLUCOSE_MG_DL_PER_MMOL_L),
            _ => None,
        },
    };
    converted.ok_or_else(|| {
        format!(
            "无法识别的单位 {}（{}应使用 {}）",
            shorten(u, 40),
            kind.label(),
            accepted_units(kind)
        )
    })
}

fn accepted_units(kind: Kind) -> &'static str {
    match kind {
        Kind::BloodPressure => "mm[Hg] 或 kPa",
        Kind::HeartRate => "/min",
        Kind::SpO2 => "%",
        Kind::Temperature => "Cel 或 [degF]",
        Kind::Height | Kind::Waist => "cm、m 或 [in_i]",
        Kind::Weight => "kg、g 或 [lb_av]",
        Kind::Bmi => "kg/m2",
        Kind::Glucose => "mmol/L 或 mg/dL",
    }
}

/// The plausible range of a reading in the canonical unit: outside it the
/// device or the typist made a mistake.
pub fn plausible_range(kind: Kind) -> (f64, f64) {
    match kind {
        Kind::BloodPressure => (40.0, 300.0),
        Kind::HeartRate => (20.0, 250.0),
        Kind::SpO2 => (50.0, 100.0),
        Kind::Temperature => (30.0, 45.0),
        Kind::Height => (30.0, 250.0),
        Kind::Weight => (2.0, 300.0),
        Kind::Bmi => (8.0, 80.0),
        Kind::Waist => (30.0, 200.0),
        Kind::Glucose => (1.0, 35.0),
    }
}

const DIASTOLIC_RANGE: (f64, f64) = (20.0, 200.0);

fn in_range(label: &str, value: f64, (low, high): (f64, f64), unit: &str) -> Result<(), String> {
    if !value.is_finite() {
        return Err(format!("{label}不是有效的数字"));
    }
    if value < 0.0 {
        return Err(format!("{label} {} 不能为负数", number(value)));
    }
    if value < low || value > high {
        return Err(format!(
            "{label} {} {unit} 不合理，应在 {} 到 {} 之间",
            number(value),
            number(low),
            number(high)
        ));
    }
    Ok(())
}

/// Checks a canonical value (and the diastolic for blood pressure).
pub fn check_plausible(kind: Kind, value: f64, value2: Option<f64>) -> Result<(), String> {
    match kind {
        Kind::BloodPressure => {
            in_range("收缩压", value, plausible_range(kind), "mmHg")?;
            let Some(dia) = value2 else {
                return Err("血压缺少舒张压".into());
            };
            in_range("舒张压", dia, DIASTOLIC_RANGE, "mmHg")?;
            if dia >= value {
                return Err(format!(
                    "舒张压 {} 不低于收缩压 {}，请检查",
                    number(dia),
                    number(value)
                ));
            }
            Ok(())
        }
        _ => in_range(kind.label(), value, plausible_range(kind), kind.unit()),
    }
}

/// A number as a reason quotes it: no trailing zeros.
fn number(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A user-supplied string cut to `max` characters for quoting in a reason.
pub fn shorten(s: &str, max: usize) -> String {
    let mut out: String = s.chars().take(max).collect();
    if s.chars().count() > max {
        out.push('…');
    }
    out
}

/// Parses a number cell: `72`, `72.5`, ` 72 `; never NaN or infinity.
pub fn parse_number(s: &str, label: &str) -> Result<f64, String> {
    let t = s.trim();
    if t.is_empty() {
        return Err(format!("缺少{label}"));
    }
    match t.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(format!("{label} \"{}\" 不是数字", shorten(t, 20))),
    }
}

/// Parses a reading's time to UTC. Accepts RFC 3339 with an offset
/// (`2026-03-01T08:30:00+08:00`, as FHIR writes it), a local date-time
/// without offset (`2026-03-01 08:30[:00]`, also with `/` or `T`), or a
/// date alone (midnight local time); local means the deployment's offset.
pub fn parse_time(s: &str, offset: FixedOffset) -> Result<NaiveDateTime, String> {
    let t = s.trim();
    if t.is_empty() {
        return Err("缺少测量时间".into());
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Ok(dt.naive_utc());
    }
    let normal = t.replace('/', "-");
    let local = [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(&normal, f).ok())
    .or_else(|| {
        NaiveDate::parse_from_str(&normal, "%Y-%m-%d")
            .ok()
            .map(|d| d.and_time(NaiveTime::MIN))
    });
    match local.and_then(|l| offset.from_local_datetime(&l).single()) {
        Some(dt) => Ok(dt.naive_utc()),
        None => Err(format!(
            "测量时间 \"{}\" 无法识别，请用 2026-03-01T08:30:00+08:00 或 2026-03-01 08:30 的格式",
            shorten(t, 40)
        )),
    }
}

/// A reading's time must not lie in the future (beyond clock drift) nor
/// before 2000.
pub fn check_time(
    taken_at: NaiveDateTime,
    now: NaiveDateTime,
    offset: FixedOffset,
) -> Result<(), String> {
    let shown = || {
        offset
            .from_utc_datetime(&taken_at)
            .format("%Y-%m-%d %H:%M")
            .to_string()
    };
    if taken_at > now + chrono::Duration::hours(FUTURE_SLACK_HOURS) {
        return Err(format!("测量时间 {} 在未来，请检查设备时钟", shown()));
    }
    let floor = NaiveDate::from_ymd_opt(2000, 1, 1)
        .map(|d| d.and_time(NaiveTime::MIN))
        .unwrap_or_default();
    if taken_at < floor {
        return Err(format!("测量时间 {} 太早，请检查设备时钟", shown()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cst() -> FixedOffset {
        FixedOffset::east_opt(8 * 3600).unwrap()
    }

    #[test]
    fn conversions_to_canonical_units() {
        let close = |a: f64, b: f64| (a - b).abs() < 1e-6;
        assert!(close(
            to_canonical(Kind::Glucose, 180.16, "mg/dL").unwrap(),
            10.0
        ));
        assert!(close(
            to_canonical(Kind::Weight, 185.0, "[lb_av]").unwrap(),
            83.914_588_45
        ));
        assert!(close(
            to_canonical(Kind::Temperature, 98.6, "[degF]").unwrap(),
            37.0
        ));
        assert!(close(
            to_canonical(Kind::Height, 70.0, "[in_i]").unwrap(),
            177.8
        ));
        assert_eq!(
            to_canonical(Kind::BloodPressure, 120.0, "mmHg").unwrap(),
            120.0
        );
        assert_eq!(to_canonical(Kind::Glucose, 6.3, "mmol/l").unwrap(), 6.3);
        assert_eq!(to_canonical(Kind::Bmi, 22.0, "").unwrap(), 22.0);
        let err = to_canonical(Kind::Weight, 3.0, "furlongs").unwrap_err();
        assert!(err.contains("furlongs"), "{err}");
        assert!(to_canonical(Kind::Glucose, 5.0, "kg").is_err());
    }

    #[test]
    fn implausible_values_are_refused() {
        assert!(check_plausible(Kind::BloodPressure, 120.0, Some(80.0)).is_ok());
        let err = check_plausible(Kind::BloodPressure, 900.0, Some(80.0)).unwrap_err();
        assert!(err.contains("收缩压 900"), "{err}");
        assert!(check_plausible(Kind::BloodPressure, 120.0, None).is_err());
        assert!(check_plausible(Kind::BloodPressure, 80.0, Some(120.0)).is_err());
        let err = check_plausible(Kind::Weight, -5.0, None).unwrap_err();
        assert!(err.contains("负数"), "{err}");
        assert!(check_plausible(Kind::Glucose, f64::NAN, None).is_err());
        assert!(parse_number("abc", "数值").unwrap_err().contains("abc"));
        assert!(parse_number("inf", "数值").is_err());
        assert_eq!(parse_number(" 72.5 ", "数值").unwrap(), 72.5);
    }

    #[test]
    fn times_with_and_without_offsets() {
        let utc = |s| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap();
        assert_eq!(
            parse_time("2013-04-02T09:30:10+01:00", cst()).unwrap(),
            utc("2013-04-02 08:30:10")
        );
        assert_eq!(
            parse_time("2026-03-01 08:30", cst()).unwrap(),
            utc("2026-03-01 00:30:00")
        );
        assert_eq!(
            parse_time("2026/03/01 08:30:00", cst()).unwrap(),
            utc("2026-03-01 00:30:00")
        );
        assert_eq!(
            parse_time("2012-09-17", cst()).unwrap(),
            utc("2012-09-16 16:00:00")
        );
        assert!(parse_time("yesterday", cst()).is_err());
        assert!(parse_time("2012-09", cst()).is_err());
        let now = utc("2026-06-01 00:00:00");
        assert!(check_time(utc("2026-06-01 12:00:00"), now, cst()).is_ok());
        let err = check_time(utc("2099-01-01 00:00:00"), now, cst()).unwrap_err();
        assert!(err.contains("未来"), "{err}");
        assert!(check_time(utc("1999-01-01 00:00:00"), now, cst()).is_err());
    }
}
