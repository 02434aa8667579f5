//! The article form: what a clerk submits, checked field by field.

use chrono::{FixedOffset, NaiveDateTime};
use serde::Deserialize;

use super::{sanitize, Scope, Section, PARTY_CATEGORIES};
use crate::time::parse_local_input;
use crate::validate::{self, FieldErrors};

pub const TITLE_MAX: usize = 60;
pub const SUMMARY_MAX: usize = 200;
/// Longest body accepted, in bytes of submitted HTML.
pub const BODY_MAX_BYTES: usize = 200 * 1024;

/// The form as submitted (field names fixed by CONTRACT.md).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ArticleForm {
    #[serde(default)]
    pub section: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub publish_at: String,
    #[serde(default)]
    pub expire_at: String,
    #[serde(default)]
    pub scope: String,
    /// The village (or township) the article belongs to; defaults by role.
    #[serde(default, deserialize_with = "validate::optional_id")]
    pub place_id: Option<i64>,
    #[serde(default)]
    pub pinned: Option<String>,
    #[serde(default)]
    pub urgent: Option<String>,
    #[serde(default)]
    pub video_url: String,
    #[serde(default, deserialize_with = "validate::optional_id")]
    pub poster_media_id: Option<i64>,
    /// `MM:SS` or `HH:MM:SS`.
    #[serde(default)]
    pub duration: String,
    /// The article version the editor started from (optimistic locking).
    #[serde(default, deserialize_with = "validate::optional_id")]
    pub version: Option<i64>,
}

/// Checked content, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct Content {
    pub section: Section,
    pub category: Option<String>,
    pub title: String,
    pub summary: String,
    pub body: String,
    pub video_url: Option<String>,
    pub poster_media_id: Option<i64>,
    pub duration_seconds: Option<i32>,
    /// UTC.
    pub publish_at: Option<NaiveDateTime>,
    pub expire_at: Option<NaiveDateTime>,
    pub scope: Scope,
    pub pinned: bool,
    pub urgent: bool,
}

impl ArticleForm {
    /// Checks every field; times are read in the deployment's offset.
    pub fn check(&self, offset: FixedOffset) -> Result<Content, FieldErrors> {
        let mut errors = FieldErrors::new();
        let section = Section::parse(self.section.trim());
        if section.is_none() {
            errors.add(
                "section",
                "请选择栏目：通知公告、新闻动态、党建园地、村务公开或点播",
            );
        }
        let scope = Scope::parse(self.scope.trim());
        if scope.is_none() {
            errors.add("scope", "请选择发布范围：本村、全乡镇或全县");
        }
        let title = self.title.trim().to_string();
        errors.check("title", validate::line(&title, "标题", TITLE_MAX));
        let summary = self.summary.trim().to_string();
        if summary.chars().count() > SUMMARY_MAX {
            errors.add("summary", format!("摘要最多 {SUMMARY_MAX} 个字"));
        }
        let category = match section {
            Some(Section::Party) => {
                let c = self.category.trim();
                if PARTY_CATEGORIES.iter().any(|(code, _)| *code == c) {
                    Some(c.to_string())
                } else {
                    errors.add(
                        "category",
                        "请选择党建分类：党员风采、三会一课、学习园地或组织建设",
                    );
                    None
                }
            }
            _ => None,
        };
        let body = if self.body.len() > BODY_MAX_BYTES {
            errors.add(
                "body",
                format!(
                    "正文太长（{} KB），最多 {} KB；请分成几篇发布",
                    self.body.len() / 1024,
                    BODY_MAX_BYTES / 1024
                ),
            );
            String::new()
        } else {
            sanitize::clean_body(&self.body)
        };
        let is_video = section == Some(Section::Videos);
        if !is_video && sanitize::is_effectively_empty(&body) && self.body.len() <= BODY_MAX_BYTES {
            errors.add("body", "请填写正文");
        }
        let (video_url, duration_seconds) = if is_video {
            let url = self.video_url.trim();
            let portal = crate::lectures::stream_of(url).is_some();
            if !(portal || url.starts_with("http://") || url.starts_with("https://"))
                || url.len() > 500
                || url.chars().any(|c| c.is_whitespace() || c.is_control())
            {
                errors.add(
                    "video_url",
                    "请填写视频地址（http:// 或 https:// 开头的 m3u8 或 mp4 地址，或上传视频后得到的本站地址）",
                );
            }
            let duration = match parse_duration(self.duration.trim()) {
                Ok(d) => d,
                Err(m) => {
                    errors.add("duration", m);
                    None
                }
            };
            (Some(url.to_string()), duration)
        } else {
            (None, None)
        };
        let publish_at = parse_local_input(&self.publish_at, offset).unwrap_or_else(|m| {
            errors.add("publish_at", m);
            None
        });
        let expire_at = parse_local_input(&self.expire_at, offset).unwrap_or_else(|m| {
            errors.add("expire_at", m);
            None
        });
        if let (Some(p), Some(e)) = (publish_at, expire_at) {
            if e <= p {
                errors.add("expire_at", "下线时间必须晚于发布时间");
            }
        }
        match (section, scope, errors.is_empty()) {
            (Some(section), Some(scope), true) => Ok(Content {
                section,
                category,
                title,
                summary,
                body,
                video_url,
                poster_media_id: if is_video { self.poster_media_id } else { None },
                duration_seconds,
                publish_at,
                expire_at,
                scope,
                pinned: self.pinned.is_some(),
                urgent: self.urgent.is_some(),
            }),
            _ => Err(errors),
        }
    }
}

/// A stored UTC time as the form field shows it.
pub fn format_local(utc: Option<NaiveDateTime>, offset: FixedOffset) -> String {
    utc.map(|t| {
        crate::time::to_local(t, offset)
            .format("%Y-%m-%dT%H:%M")
            .to_string()
    })
    .unwrap_or_default()
}

fn parse_duration(s: &str) -> Result<Option<i32>, String> {
    if s.is_empty() {
        return Ok(None);
    }
    let parts: Vec<&str> = s.split(':').collect();
    let nums: Option<Vec<i32>> = parts.iter().map(|p| p.parse::<i32>().ok()).collect();
    let err = || "时长格式应为 分:秒，如 12:30".to_string();
    let nums = nums.ok_or_else(err)?;
    let secs = match nums.as_slice() {
        [m, s] if (0..60).contains(s) && (0..=600).contains(m) => m * 60 + s,
        [h, m, s] if (0..60).contains(s) && (0..60).contains(m) && (0..=10).contains(h) => {
            h * 3600 + m * 60 + s
        }
        _ => return Err(err()),
    };
    Ok(Some(secs))
}

/// `12:30` or `1:02:03`, for lists.
pub fn format_duration(secs: i32) -> String {
    if secs >= 3600 {
        format!("{}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
    } else {
        format!("{}:{:02}", secs / 60, secs % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cst() -> FixedOffset {
        FixedOffset::east_opt(8 * 3600).unwrap()
    }

    fn good() -> ArticleForm {
        ArticleForm {
            section: "notices".into(),
            title: "关于秋季征兵的通知".into(),
            body: "<p>各位村民：</p><p>秋季征兵开始了。</p>".into(),
            scope: "village".into(),
            ..ArticleForm::default()
        }
    }

    fn field_error(form: &ArticleForm, field: &str) -> String {
        match form.check(cst()) {
            Ok(_) => panic!("{field}: accepted"),
            Err(e) => e
                .get(field)
                .unwrap_or_else(|| panic!("no message for {field}: {e}"))
                .to_string(),
        }
    }

    #[test]
    fn a_plain_notice_passes() {
        let c = good().check(cst()).unwrap();
        assert_eq!(c.section, Section::Notices);
        assert_eq!(c.scope, Scope::Village);
        assert!(c.body.contains("秋季征兵"));
        assert!(!c.pinned);
    }

    #[test]
    fn titles() {
        let mut f = good();
        f.title = "".into();
        assert!(field_error(&f, "title").contains("请填写"));
        f.title = "题".repeat(61);
        assert!(field_error(&f, "title").contains("61"));
        f.title = "题".repeat(60);
        assert!(f.check(cst()).is_ok());
    }

    #[test]
    fn bodies() {
        let mut f = good();
        f.body = format!("<p>{}</p>", "字".repeat(100_000));
        assert!(field_error(&f, "body").contains("正文太长"));
        f.body = "<p> </p>".into();
        assert!(field_error(&f, "body").contains("请填写正文"));
        f.body = "<p>好</p><script>alert(1)</script>".into();
        assert!(!f.check(cst()).unwrap().body.contains("script"));
    }

    #[test]
    fn times_are_local_and_ordered() {
        let mut f = good();
        f.publish_at = "2026-12-01T08:00".into();
        f.expire_at = "2026-12-31T18:00".into();
        let c = f.check(cst()).unwrap();
        assert_eq!(c.publish_at.unwrap().to_string(), "2026-12-01 00:00:00");
        assert_eq!(format_local(c.publish_at, cst()), "2026-12-01T08:00");
        f.expire_at = "2026-11-30T08:00".into();
        assert!(field_error(&f, "expire_at").contains("晚于"));
        f.expire_at = "2026/12/31".into();
        assert!(field_error(&f, "expire_at").contains("格式"));
    }

    #[test]
    fn unknown_section_scope_and_missing_category() {
        let mut f = good();
        f.section = "gossip".into();
        assert!(field_error(&f, "section").contains("栏目"));
        let mut f = good();
        f.scope = "world".into();
        assert!(field_error(&f, "scope").contains("范围"));
        let mut f = good();
        f.section = "party".into();
        assert!(field_error(&f, "category").contains("党建分类"));
        f.category = "study".into();
        assert_eq!(f.check(cst()).unwrap().category.as_deref(), Some("study"));
    }

    #[test]
    fn videos_need_an_address() {
        let mut f = good();
        f.section = "videos".into();
        f.body = String::new();
        assert!(field_error(&f, "video_url").contains("视频地址"));
        f.video_url = "javascript:alert(1)".into();
        assert!(field_error(&f, "video_url").contains("视频地址"));
        f.video_url = "https://cdn.example.cn/nongji/01.m3u8".into();
        f.duration = "25:30".into();
        let c = f.check(cst()).unwrap();
        assert_eq!(c.duration_seconds, Some(1530));
        assert_eq!(format_duration(1530), "25:30");
        f.duration = "abc".into();
        assert!(field_error(&f, "duration").contains("时长"));
    }
}
