//! What a villager may report from the TV, and how long each kind may take.
//! The catalog is configuration (`voice_catalog`, a TOML file; the built-in
//! one is `catalog.toml`), read once at start.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use serde::Deserialize;

use crate::roster::calendar::{self, Holiday};

/// The built-in catalog.
pub const DEFAULT: &str = include_str!("catalog.toml");

/// Categories and reasons a TV page can number with one digit each.
const MAX_DIGITS: usize = 9;

/// How long a request may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// By the end of the day it was filed.
    Today,
    WorkingDays(u32),
}

impl Limit {
    fn parse(s: &str) -> Option<Limit> {
        match s.trim() {
            "today" => Some(Limit::Today),
            n => n
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=60).contains(n))
                .map(Limit::WorkingDays),
        }
    }

    pub fn label(self) -> String {
        match self {
            Limit::Today => "当天办结".into(),
            Limit::WorkingDays(n) => format!("{n}个工作日"),
        }
    }

    /// The last local day to finish on, for a request filed on `day`:
    /// working days are counted from the day after, skipping weekends and
    /// holidays and counting make-up workdays (the roster's calendar).
    pub fn last_day(self, day: NaiveDate, listed: &[Holiday]) -> NaiveDate {
        let Limit::WorkingDays(n) = self else {
            return day;
        };
        let mut left = n;
        let mut d = day;
        while left > 0 {
            d += Duration::days(1);
            let entry = listed.iter().find(|h| h.day == crate::roster::day_str(d));
            if calendar::kind_of(d, entry).is_workday() {
                left -= 1;
            }
        }
        d
    }

    /// How long before the due time the handlers are reminded.
    pub fn reminder_ahead(self) -> Duration {
        match self {
            Limit::Today => Duration::hours(2),
            Limit::WorkingDays(_) => Duration::hours(24),
        }
    }

    /// The calendar days `last_day` can reach at most (for loading holidays).
    pub fn span_days(self) -> i64 {
        match self {
            Limit::Today => 0,
            Limit::WorkingDays(n) => i64::from(n) * 3 + 30,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Category {
    pub key: String,
    pub name: String,
    pub limit: Limit,
    pub reasons: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Catalog {
    pub categories: Vec<Category>,
    /// 一键求助.
    pub help: Category,
    /// 有疑问 on village affairs.
    pub question: Category,
}

pub const HELP_KEY: &str = "help";
pub const QUESTION_KEY: &str = "question";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCategory {
    key: String,
    name: String,
    limit: String,
    reasons: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHelp {
    name: String,
    limit: String,
    reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuestion {
    name: String,
    limit: String,
    reasons: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatalog {
    category: Vec<RawCategory>,
    help: RawHelp,
    question: RawQuestion,
}

fn category(key: &str, name: &str, limit: &str, reasons: Vec<String>) -> Result<Category, String> {
    let limit = Limit::parse(limit).ok_or_else(|| {
        format!(
            "voice catalog: category '{key}' has limit '{limit}' (\"today\" or 1..60 working days)"
        )
    })?;
    if name.trim().is_empty() || name.chars().count() > 8 {
        return Err(format!(
            "voice catalog: category '{key}' needs a name of 1 to 8 characters"
        ));
    }
    if reasons.is_empty() || reasons.len() > MAX_DIGITS {
        return Err(format!(
            "voice catalog: category '{key}' needs 1 to 9 reasons"
        ));
    }
    if let Some(r) = reasons
        .iter()
        .find(|r| r.trim().is_empty() || r.chars().count() > 12)
    {
        return Err(format!(
            "voice catalog: reason '{r}' of '{key}' needs 1 to 12 characters"
        ));
    }
    Ok(Category {
        key: key.to_string(),
        name: name.trim().to_string(),
        limit,
        reasons: reasons.into_iter().map(|r| r.trim().to_string()).collect(),
    })
}

impl Catalog {
    pub fn parse(text: &str) -> Result<Catalog, String> {
        let raw: RawCatalog =
            toml::from_str(text).map_err(|e| format!("voice catalog: {}", e.message()))?;
        if raw.category.is_empty() || raw.category.len() > MAX_DIGITS {
            return Err("voice catalog: 1 to 9 categories, one digit each on the TV".into());
        }
        let mut categories = Vec::new();
        for c in raw.category {
            let key = c.key.trim();
            if crate::validate::code(key, "key").is_err() || [HELP_KEY, QUESTION_KEY].contains(&key)
            {
                return Err(format!(
                    "voice catalog: '{key}' is not a usable category key"
                ));
            }
            if categories.iter().any(|x: &Category| x.key == key) {
                return Err(format!("voice catalog: category '{key}' appears twice"));
            }
            categories.push(category(key, &c.name, &c.limit, c.reasons)?);
        }
        let help = category(
            HELP_KEY,
            &raw.help.name,
            &raw.help.limit,
            vec![raw.help.reason],
        )?;
        let q = raw.question;
        let question = category(QUESTION_KEY, &q.name, &q.limit, q.reasons)?;
        Ok(Catalog {
            categories,
            help,
            question,
        })
    }

    /// The catalog the settings name: the file, else the built-in one.
    pub fn load(path: Option<&str>) -> Result<Catalog, String> {
        match path.filter(|p| !p.trim().is_empty()) {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .map_err(|e| format!("cannot read the voice catalog {p}: {e}"))?;
                Catalog::parse(&text)
            }
            None => Catalog::parse(DEFAULT),
        }
    }

    /// A category by its key, including help and question.
    pub fn get(&self, key: &str) -> Option<&Category> {
        match key {
            HELP_KEY => Some(&self.help),
            QUESTION_KEY => Some(&self.question),
            _ => self.categories.iter().find(|c| c.key == key),
        }
    }
}

impl Default for Catalog {
    fn default() -> Catalog {
        // The built-in catalog is checked by a test; an empty one would only
        // show 暂无可选项目 on the TV.
        Catalog::parse(DEFAULT).unwrap_or_else(|e| {
            log::error!("{e}");
            Catalog {
                categories: Vec::new(),
                help: Category {
                    key: HELP_KEY.into(),
                    name: "紧急求助".into(),
                    limit: Limit::Today,
                    reasons: vec!["一键求助".into()],
                },
                question: Category {
                    key: QUESTION_KEY.into(),
                    name: "村务公开疑问".into(),
                    limit: Limit::WorkingDays(5),
                    reasons: vec!["其他疑问".into()],
                },
            }
        })
    }
}

/// The due time (UTC) of a request filed at `now` under `limit`: the end of
/// its last local day.
pub fn due_at(
    limit: Limit,
    now: NaiveDateTime,
    offset: chrono::FixedOffset,
    listed: &[Holiday],
) -> NaiveDateTime {
    let today = crate::time::to_local(now, offset).date_naive();
    let last = limit.last_day(today, listed);
    crate::time::local_day_start(last + Duration::days(1), offset) - Duration::seconds(1)
}

/// Loads the holidays `limit` may cross from `now` and returns the due time.
pub fn due_from(
    conn: &mut crate::db::DbConn,
    limit: Limit,
    now: NaiveDateTime,
    offset: chrono::FixedOffset,
) -> crate::error::AppResult<NaiveDateTime> {
    let today = crate::time::to_local(now, offset).date_naive();
    let listed = calendar::between(conn, today, today + Duration::days(limit.span_days()))?;
    Ok(due_at(limit, now, offset, &listed))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        crate::roster::parse_day(s).unwrap_or_default()
    }

    #[test]
    fn the_built_in_catalog_parses_and_fits_the_digits() {
        let c = Catalog::parse(DEFAULT).unwrap();
        assert_eq!(c.categories.len(), 9);
        assert_eq!(c.categories[0].name, "道路路灯");
        assert_eq!(c.get("help").map(|h| h.limit), Some(Limit::Today));
        assert_eq!(
            c.get("policy").map(|h| h.limit),
            Some(Limit::WorkingDays(3))
        );
        assert!(c.get("nope").is_none());
    }

    #[test]
    fn bad_catalogs_say_what_is_wrong() {
        let one = |limit: &str, reasons: &str| {
            format!(
                "[[category]]\nkey = \"road\"\nname = \"道路\"\nlimit = \"{limit}\"\nreasons = [{reasons}]\n\
                 [help]\nname = \"求助\"\nlimit = \"today\"\nreason = \"求助\"\n\
                 [question]\nname = \"疑问\"\nlimit = \"5\"\nreasons = [\"其他\"]\n"
            )
        };
        assert!(Catalog::parse(&one("10", "\"坑\"")).is_ok());
        assert!(Catalog::parse(&one("ten", "\"坑\""))
            .unwrap_err()
            .contains("limit"));
        assert!(Catalog::parse(&one("10", ""))
            .unwrap_err()
            .contains("reasons"));
        assert!(Catalog::parse("nonsense")
            .unwrap_err()
            .starts_with("voice catalog"));
    }

    #[test]
    fn working_days_skip_weekends_and_holidays_and_count_make_up_days() {
        let h = |day: &str, kind: &str| Holiday {
            day: day.into(),
            kind: kind.into(),
            name: "节".into(),
        };
        // Filed Thursday 2026-12-03: 3 working days are Fri, Mon, Tue.
        assert_eq!(
            Limit::WorkingDays(3).last_day(d("2026-12-03"), &[]),
            d("2026-12-08")
        );
        // Filed on a Saturday: Mon, Tue, Wed.
        assert_eq!(
            Limit::WorkingDays(3).last_day(d("2026-12-05"), &[]),
            d("2026-12-09")
        );
        // A holiday on Monday pushes it a day; a make-up Sunday counts.
        let listed = [h("2026-12-07", "holiday"), h("2026-12-06", "workday")];
        assert_eq!(
            Limit::WorkingDays(3).last_day(d("2026-12-03"), &listed),
            d("2026-12-08")
        );
        let listed = [h("2026-12-07", "holiday")];
        assert_eq!(
            Limit::WorkingDays(3).last_day(d("2026-12-03"), &listed),
            d("2026-12-09")
        );
        assert_eq!(Limit::Today.last_day(d("2026-12-05"), &[]), d("2026-12-05"));
        // Due at the end of the last local day (UTC+8): 23:59:59 local.
        let offset = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
        let filed = d("2026-12-03").and_hms_opt(2, 0, 0).unwrap(); // 10:00 local
        let due = due_at(Limit::Today, filed, offset, &[]);
        assert_eq!(due, d("2026-12-03").and_hms_opt(15, 59, 59).unwrap());
    }
}
