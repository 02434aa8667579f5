//! FHIR R4 Observations (and Bundles of them) as kiosks and HL7's own
//! examples write them, read leniently from `serde_json::Value`: whatever a
//! body holds, the answer is a reading or a reason, never a panic.

use chrono::{FixedOffset, NaiveDateTime};
use serde_json::Value;

use super::ingest::{Quantity, Raw, Reading};
use super::{units, Kind};

pub const LOINC: &str = "http://loinc.org";
pub const UCUM: &str = "http://unitsofmeasure.org";
pub const SYSTOLIC: &str = "8480-6";
pub const DIASTOLIC: &str = "8462-4";

/// Most entries one request may carry; larger Bundles are refused whole
/// (a kiosk sends a day's readings at most; a batch job should split).
pub const MAX_ENTRIES: usize = 1000;

/// Why a body as a whole cannot be taken.
#[derive(Debug, Clone, PartialEq)]
pub enum BodyError {
    TooManyEntries(usize),
    Invalid(String),
}

impl BodyError {
    pub fn reason(&self) -> String {
        match self {
            BodyError::TooManyEntries(n) => {
                format!("Bundle 有 {n} 个条目，一次最多 {MAX_ENTRIES} 个，请分批提交")
            }
            BodyError::Invalid(reason) => reason.clone(),
        }
    }
}

/// The resources a body carries: the Observation itself, or each entry's
/// `resource` of a Bundle (`Null` where an entry has none).
pub fn resources(body: &Value) -> Result<Vec<&Value>, BodyError> {
    let kind = body.get("resourceType").and_then(Value::as_str);
    match kind {
        Some("Observation") => Ok(vec![body]),
        Some("Bundle") => {
            let bundle_type = body.get("type").and_then(Value::as_str).unwrap_or("");
            if !matches!(bundle_type, "transaction" | "batch" | "collection") {
                return Err(BodyError::Invalid(format!(
                    "不支持的 Bundle 类型 \"{}\"：需要 transaction、batch 或 collection",
                    units::shorten(bundle_type, 40)
                )));
            }
            let entries = match body.get("entry") {
                None | Some(Value::Null) => return Ok(Vec::new()),
                Some(Value::Array(entries)) => entries,
                Some(_) => return Err(BodyError::Invalid("Bundle 的 entry 必须是数组".into())),
            };
            if entries.len() > MAX_ENTRIES {
                return Err(BodyError::TooManyEntries(entries.len()));
            }
            Ok(entries
                .iter()
                .map(|e| e.get("resource").unwrap_or(&Value::Null))
                .collect())
        }
        Some(other) => Err(BodyError::Invalid(format!(
            "不支持的 resourceType \"{}\"：需要 Observation 或 Bundle",
            units::shorten(other, 40)
        ))),
        None => Err(BodyError::Invalid(
            "需要 FHIR Observation 或 Bundle（缺少 resourceType）".into(),
        )),
    }
}

/// The R4 ObservationStatus codes of a result worth storing
/// (https://hl7.org/fhir/R4/valueset-observation-status.html).
const STORED_STATUSES: [&str; 5] = ["registered", "preliminary", "final", "amended", "corrected"];
/// The other codes of that value set: known, but nothing to keep.
const DROPPED_STATUSES: [&str; 3] = ["cancelled", "entered-in-error", "unknown"];

/// `status` is required in R4 and must be one of its codes (case matters).
fn status(value: Option<&Value>) -> Result<(), String> {
    let Some(value) = value else {
        return Err("缺少 status（应为 final 等 FHIR 观测状态）".into());
    };
    let Some(status) = value.as_str() else {
        return Err("status 应为文字，如 final".into());
    };
    if STORED_STATUSES.contains(&status) {
        Ok(())
    } else if DROPPED_STATUSES.contains(&status) {
        Err(format!("status 为 {status} 的观测不保存"))
    } else {
        Err(format!(
            "status \"{}\" 不是 FHIR 观测状态（应为 {} 之一）",
            units::shorten(status, 40),
            STORED_STATUSES.join("、")
        ))
    }
}

/// One Observation to a checked reading in canonical units, or the reason.
pub fn parse(obs: &Value, now: NaiveDateTime, offset: FixedOffset) -> Result<Reading, String> {
    match obs.get("resourceType").and_then(Value::as_str) {
        Some("Observation") => {}
        _ if obs.is_null() => return Err("条目缺少 resource".into()),
        Some(other) => {
            return Err(format!(
                "条目不是 Observation（resourceType 为 \"{}\"）",
                units::shorten(other, 40)
            ))
        }
        None => return Err("条目不是 Observation（缺少 resourceType）".into()),
    }
    status(obs.get("status"))?;
    let kind = kind_of(obs.get("code"))?;
    let resident_code = subject(obs)?;
    let taken_at = effective(obs, offset)?;
    let (value, value2) = if kind == Kind::BloodPressure {
        let sys = component(obs, SYSTOLIC, "收缩压")?;
        let dia = component(obs, DIASTOLIC, "舒张压")?;
        (sys, Some(dia))
    } else {
        (value_quantity(obs)?, None)
    };
    Raw {
        resident_code,
        kind,
        value: Quantity {
            value: value.0,
            unit: value.1,
        },
        value2: value2.map(|(v, u)| Quantity { value: v, unit: u }),
        taken_at,
        device: device(obs),
    }
    .check(now, offset)
}

/// The LOINC codes of a CodeableConcept (codings with the LOINC system, or
/// with no system at all).
fn loinc_codes(concept: Option<&Value>) -> Vec<&str> {
    concept
        .and_then(|c| c.get("coding"))
        .and_then(Value::as_array)
        .map(|codings| {
            codings
                .iter()
                .filter(|c| match c.get("system") {
                    None => true,
                    Some(s) => s.as_str() == Some(LOINC),
                })
                .filter_map(|c| c.get("code").and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default()
}

fn kind_of(code: Option<&Value>) -> Result<Kind, String> {
    let codes = loinc_codes(code);
    if let Some(kind) = codes.iter().find_map(|c| Kind::from_code(c)) {
        return Ok(kind);
    }
    match codes.first() {
        Some(unknown) => Err(format!(
            "未知的检查项目代码 {}",
            units::shorten(unknown, 40)
        )),
        None => Err(format!(
            "缺少 LOINC 检查项目代码（code.coding[].system 应为 {LOINC}）"
        )),
    }
}

/// The resident code: `subject.identifier.value`, or the id of a
/// `Patient/<code>` reference (relative, absolute or versioned).
fn subject(obs: &Value) -> Result<&str, String> {
    let subject = obs.get("subject");
    if let Some(code) = subject
        .and_then(|s| s.get("identifier"))
        .and_then(|i| i.get("value"))
        .and_then(Value::as_str)
        .filter(|v| !v.trim().is_empty())
    {
        return Ok(code);
    }
    let reference = subject
        .and_then(|s| s.get("reference"))
        .and_then(Value::as_str);
    match reference {
        Some(r) => r
            .rsplit_once("Patient/")
            .map(|(_, id)| id.split('/').next().unwrap_or(id))
            .filter(|id| !id.is_empty())
            .ok_or_else(|| {
                format!(
                    "subject.reference \"{}\" 不是 Patient/居民编号",
                    units::shorten(r, 60)
                )
            }),
        None => Err(
            "缺少居民：需要 subject.identifier.value 或 subject.reference（Patient/居民编号）"
                .into(),
        ),
    }
}

fn effective(obs: &Value, offset: FixedOffset) -> Result<NaiveDateTime, String> {
    let text = obs
        .get("effectiveDateTime")
        .or_else(|| obs.get("effectiveInstant"))
        .or_else(|| obs.get("effectivePeriod").and_then(|p| p.get("start")))
        .and_then(Value::as_str);
    match text {
        Some(t) => units::parse_time(t, offset),
        None => Err(
            "缺少测量时间（effectiveDateTime、effectiveInstant 或 effectivePeriod.start）".into(),
        ),
    }
}

/// A Quantity's number and unit (the UCUM code when given, else the display unit).
fn quantity<'a>(q: &'a Value, label: &str) -> Result<(f64, &'a str), String> {
    if let Some(cmp) = q.get("comparator").and_then(Value::as_str) {
        return Err(format!(
            "{label}带比较符 {}（只保存确切的测量值）",
            units::shorten(cmp, 4)
        ));
    }
    let value = match q.get("value") {
        Some(Value::Number(n)) => n
            .as_f64()
            .filter(|v| v.is_finite())
            .ok_or_else(|| format!("{label}不是有效的数字"))?,
        Some(Value::String(s)) => units::parse_number(s, label)?,
        Some(Value::Null) | None => return Err(format!("缺少{label}（valueQuantity.value）")),
        Some(other) => {
            return Err(format!(
                "{label} {} 不是数字",
                units::shorten(&other.to_string(), 20)
            ))
        }
    };
    let ucum_code = q.get("code").and_then(Value::as_str).filter(|_| {
        q.get("system")
            .and_then(Value::as_str)
            .is_none_or(|s| s == UCUM)
    });
    let unit = ucum_code
        .or_else(|| q.get("unit").and_then(Value::as_str))
        .unwrap_or("");
    Ok((value, unit))
}

fn value_quantity(obs: &Value) -> Result<(f64, &str), String> {
    if let Some(q) = obs.get("valueQuantity") {
        return quantity(q, "数值");
    }
    if obs.get("dataAbsentReason").is_some() {
        return Err("没有测量值（dataAbsentReason）".into());
    }
    let other = [
        "valueString",
        "valueInteger",
        "valueCodeableConcept",
        "valueBoolean",
    ]
    .into_iter()
    .find(|k| obs.get(*k).is_some());
    match other {
        Some(k) => Err(format!("不支持 {k}：数值须放在 valueQuantity 中")),
        None => Err("缺少测量值 valueQuantity".into()),
    }
}

fn component<'a>(obs: &'a Value, code: &str, label: &str) -> Result<(f64, &'a str), String> {
    let found = obs
        .get("component")
        .and_then(Value::as_array)
        .and_then(|cs| {
            cs.iter()
                .find(|c| loinc_codes(c.get("code")).contains(&code))
        });
    match found.and_then(|c| c.get("valueQuantity")) {
        Some(q) => quantity(q, label),
        None => Err(format!("血压缺少{label}（component {code}）")),
    }
}

fn device(obs: &Value) -> Option<&str> {
    let d = obs.get("device")?;
    d.get("display")
        .or_else(|| d.get("identifier").and_then(|i| i.get("value")))
        .or_else(|| d.get("reference"))
        .and_then(Value::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn now() -> NaiveDateTime {
        NaiveDateTime::parse_from_str("2026-06-01 00:00:00", "%Y-%m-%d %H:%M:%S").unwrap()
    }

    fn cst() -> FixedOffset {
        FixedOffset::east_opt(8 * 3600).unwrap()
    }

    fn bp(sys: Value, dia: Value) -> Value {
        json!({
            "resourceType": "Observation",
            "status": "final",
            "code": {"coding": [{"system": LOINC, "code": "85354-9"}]},
            "subject": {"reference": "Patient/R0001"},
            "effectiveDateTime": "2026-05-01T08:00:00+08:00",
            "component": [
                {"code": {"coding": [{"system": LOINC, "code": SYSTOLIC}]},
                 "valueQuantity": {"value": sys, "unit": "mmHg", "system": UCUM, "code": "mm[Hg]"}},
                {"code": {"coding": [{"system": LOINC, "code": DIASTOLIC}]},
                 "valueQuantity": {"value": dia, "unit": "mmHg", "system": UCUM, "code": "mm[Hg]"}}
            ]
        })
    }

    #[test]
    fn blood_pressure_panel() {
        let r = parse(&bp(json!(132), json!(85)), now(), cst()).unwrap();
        assert_eq!(r.kind, Kind::BloodPressure);
        assert_eq!((r.value, r.value2), (132.0, Some(85.0)));
        assert_eq!(r.resident_code, "R0001");
        let err = parse(&bp(json!(900), json!(85)), now(), cst()).unwrap_err();
        assert!(err.contains("900"), "{err}");
        let err = parse(&bp(json!("abc"), json!(85)), now(), cst()).unwrap_err();
        assert!(err.contains("abc"), "{err}");
    }

    #[test]
    fn odd_shapes_get_reasons_not_panics() {
        for v in [
            json!(null),
            json!([]),
            json!({"resourceType": "Observation"}),
            json!({"resourceType": "Observation", "code": "x", "subject": 1, "component": {}}),
            json!({"resourceType": "Observation", "code": {"coding": [{"system": LOINC, "code": "29463-7"}]},
                   "subject": {"reference": "Patient/"}, "valueQuantity": {"value": [1]}}),
        ] {
            assert!(parse(&v, now(), cst()).is_err(), "{v}");
        }
        assert!(resources(&json!({"resourceType": "Bundle", "type": "searchset"})).is_err());
        assert!(resources(&json!(42)).is_err());
        let big =
            json!({"resourceType": "Bundle", "type": "batch", "entry": vec![json!({}); 1001]});
        assert_eq!(resources(&big), Err(BodyError::TooManyEntries(1001)));
    }

    #[test]
    fn subjects() {
        let with = |s: Value| json!({"subject": s});
        assert_eq!(
            subject(&with(json!({"reference": "Patient/R0002"}))),
            Ok("R0002")
        );
        assert_eq!(
            subject(&with(
                json!({"reference": "http://x/fhir/Patient/R3/_history/2"})
            )),
            Ok("R3")
        );
        assert_eq!(
            subject(&with(json!({"identifier": {"value": "R9"}}))),
            Ok("R9")
        );
        assert!(subject(&with(json!({"reference": "Group/1"}))).is_err());
    }
}
