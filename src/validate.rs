//! Field-level validation: messages a form shows beside the field it is about.
//! It knows nothing of the error type: `crate::error` wraps a
//! [`FieldErrors`] (and gives it `into_result`), not the other way round.

use std::fmt;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FieldErrors(Vec<(&'static str, String)>);

impl FieldErrors {
    pub fn new() -> Self {
        FieldErrors::default()
    }

    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.push((field, message.into()));
    }

    /// The first message about `field`, for the template.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Records the outcome of a single-field check.
    pub fn check(&mut self, field: &'static str, result: Result<(), String>) {
        if let Err(message) = result {
            self.add(field, message);
        }
    }
}

impl fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        f.write_str(&parts.join("; "))
    }
}

/// Deserializes an optional id from a form field: a drop-down's empty
/// "please choose" option (`name=`) means none, so the form can say
/// "请选择..." beside the field instead of refusing the whole request.
pub fn optional_id<'de, D>(d: D) -> Result<Option<i64>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    use serde::Deserialize;
    match Option::<String>::deserialize(d)? {
        None => Ok(None),
        Some(s) if s.trim().is_empty() => Ok(None),
        Some(s) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| serde::de::Error::custom(format!("'{s:.20}' is not an id"))),
    }
}

/// A required single-line text of `1..=max` characters without control characters.
pub fn line(value: &str, label: &str, max: usize) -> Result<(), String> {
    let count = value.chars().count();
    if value.trim().is_empty() {
        return Err(format!("请填写{label}"));
    }
    if count > max {
        return Err(format!("{label}最多 {max} 个字，现在是 {count} 个"));
    }
    if value.chars().any(char::is_control) {
        return Err(format!("{label}含有不可见的控制字符"));
    }
    Ok(())
}

/// A code used in addresses: lowercase letters, digits and `-`, 2 to 32 long.
pub fn code(value: &str, label: &str) -> Result<(), String> {
    let ok_chars = value
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    let starts_ok = value
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphanumeric());
    if !(2..=32).contains(&value.len()) || !ok_chars || !starts_ok {
        return Err(format!(
            "{label}须为 2 到 32 位小写字母、数字或 -，以字母或数字开头"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_codes() {
        assert!(line("耿井村", "名称", 10).is_ok());
        assert!(line("  ", "名称", 10).unwrap_err().contains("请填写"));
        assert!(line(&"村".repeat(11), "名称", 10)
            .unwrap_err()
            .contains("11"));
        assert!(line("a\0b", "名称", 10).is_err());
        assert!(code("gengjing", "代码").is_ok());
        assert!(code("geng-jing2", "代码").is_ok());
        for bad in ["G", "Gengjing", "-x", "耿井", "a b", &"a".repeat(33)] {
            assert!(code(bad, "代码").is_err(), "{bad}");
        }
    }

    #[test]
    fn empty_ids_are_none() {
        #[derive(serde::Deserialize)]
        struct F {
            #[serde(default, deserialize_with = "optional_id")]
            id: Option<i64>,
        }
        let parse = |q: &str| serde_urlencoded::from_str::<F>(q).map(|f| f.id);
        assert_eq!(parse("id=").unwrap(), None);
        assert_eq!(parse("").unwrap(), None);
        assert_eq!(parse("id=42").unwrap(), Some(42));
        assert!(parse("id=abc").is_err());
    }

    #[test]
    fn errors_collect_per_field() {
        let mut e = FieldErrors::new();
        assert!(e.clone().into_result().is_ok());
        e.add("name", "请填写名称");
        assert_eq!(e.get("name"), Some("请填写名称"));
        assert_eq!(e.get("code"), None);
        assert!(matches!(
            e.into_result(),
            Err(crate::error::AppError::Invalid(_))
        ));
    }
}
