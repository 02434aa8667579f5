//! The back office's side of a township's webhook: the form (address
//! checked and shown masked, the secret made when left empty), the test
//! delivery and re-sends. Every write is audited.

use diesel::prelude::*;
use serde::Deserialize;

use super::{delivery, enqueue, get, may_manage, township_scope, Delivery, Webhook};
use super::{FAILED, PENDING, TEST_EVENT};
use crate::access::Actor;
use crate::audit::{self, Changes, Event};
use crate::db::schema::{township_webhooks, webhook_deliveries};
use crate::db::{self, DbConn};
use crate::error::{AppError, AppResult};
use crate::places;
use crate::validate::FieldErrors;

/// What the webhook form submits.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct WebhookForm {
    #[serde(default)]
    pub url: String,
    /// Empty: keep the current secret, or make one for a new webhook.
    #[serde(default)]
    pub secret: String,
    /// Checkbox: make a new secret even though one is set.
    pub new_secret: Option<String>,
    pub active: Option<String>,
}

/// A saved webhook, and the secret when the portal made a new one (shown once).
pub struct Saved {
    pub webhook: Webhook,
    pub new_secret: Option<String>,
}

/// An address as the back office shows it: any `user:password@` and the
/// values of the query (access tokens of chat-bot webhooks) are masked.
pub fn masked_url(url: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else {
        return String::new();
    };
    if !parsed.username().is_empty() || parsed.password().is_some() {
        let _ = parsed.set_username("***");
        let _ = parsed.set_password(None);
    }
    let pairs: Vec<(String, String)> = parsed
        .query_pairs()
        .map(|(k, v)| {
            let v = if v.is_empty() {
                String::new()
            } else {
                "***".into()
            };
            (k.into_owned(), v)
        })
        .collect();
    if !pairs.is_empty() {
        parsed.query_pairs_mut().clear().extend_pairs(pairs);
    }
    parsed.set_fragment(None);
    parsed.to_string()
}

/// A typed address shown again in the form after a refusal: masked when it
/// parses; dropped when it does not and may hold a `user:password@`.
pub fn shown_back(typed: &str) -> String {
    match url::Url::parse(typed) {
        Ok(_) => masked_url(typed),
        Err(_) if typed.contains('@') => String::new(),
        Err(_) => typed.to_string(),
    }
}

/// Checks a receiver's address; the message never repeats the address.
pub fn check_url(url: &str) -> Result<(), String> {
    if url.is_empty() {
        return Err("请填写接收地址".into());
    }
    crate::cameras::source::check_url(url, &["http", "https"])?;
    let parsed = url::Url::parse(url).map_err(|_| "地址格式不对".to_string())?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err("地址应以 http:// 或 https:// 开头".into());
    }
    Ok(())
}

fn check_secret(secret: &str) -> Result<(), String> {
    if !(16..=200).contains(&secret.len()) {
        return Err("密钥须为 16 到 200 个字符（留空则自动生成）".into());
    }
    if !secret.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("密钥只能含英文字母、数字和符号，不能有空格".into());
    }
    Ok(())
}

/// Saves the township's webhook from the form (creating it the first time).
pub fn save(
    conn: &mut DbConn,
    actor: &Actor,
    township_id: i64,
    form: &WebhookForm,
) -> AppResult<Saved> {
    let township = township_scope(conn, township_id)?;
    if !may_manage(actor, &township) {
        return Err(AppError::forbidden());
    }
    let existing = get(conn, township_id)?;
    let typed = form.url.trim();
    // The form shows the stored address masked; sent back unchanged, it
    // means "keep the address" (with the credentials the mask hides).
    let url = match &existing {
        Some(w) if typed == masked_url(&w.url) => w.url.clone(),
        _ => typed.to_string(),
    };
    let mut errors = FieldErrors::new();
    errors.check("url", check_url(&url));
    let typed_secret = form.secret.trim();
    if !typed_secret.is_empty() {
        errors.check("secret", check_secret(typed_secret));
    }
    errors.into_result()?;
    let (secret, new_secret) = match (&existing, typed_secret, form.new_secret.is_some()) {
        (_, typed, _) if !typed.is_empty() => (typed.to_string(), None),
        (Some(w), _, false) => (w.secret.clone(), None),
        _ => {
            let made = crate::crypto::random_hex(32);
            (made.clone(), Some(made))
        }
    };
    let active = form.active.is_some();
    let place = places::get(conn, township_id)?;
    db::write(conn, |conn| {
        let now = crate::time::now();
        let before = get(conn, township_id)?;
        let changes = Changes::new()
            .field(
                "url",
                before
                    .as_ref()
                    .map(|w| masked_url(&w.url))
                    .unwrap_or_default(),
                masked_url(&url),
            )
            .field("active", before.as_ref().is_some_and(|w| w.active), active)
            .secret("secret", before.as_ref().is_none_or(|w| w.secret != secret));
        if before.is_some() {
            diesel::update(township_webhooks::table.find(township_id))
                .set((
                    township_webhooks::url.eq(&url),
                    township_webhooks::secret.eq(&secret),
                    township_webhooks::active.eq(active),
                    township_webhooks::updated_at.eq(now),
                ))
                .execute(conn)?;
        } else {
            diesel::insert_into(township_webhooks::table)
                .values((
                    township_webhooks::township_id.eq(township_id),
                    township_webhooks::url.eq(&url),
                    township_webhooks::secret.eq(&secret),
                    township_webhooks::active.eq(active),
                    township_webhooks::updated_at.eq(now),
                ))
                .execute(conn)
                .map_err(|e| {
                    if db::is_unique_violation(&e) {
                        AppError::Conflict("别人刚刚保存了这个乡镇的推送设置，请刷新后再改".into())
                    } else {
                        e.into()
                    }
                })?;
        }
        audit::record(
            conn,
            actor,
            Event {
                action: "webhook.update",
                target_type: "township_webhook",
                target_id: Some(township_id),
                place_id: Some(township_id),
                summary: format!("{}: {}", place.name, changes.summary()),
            },
        )?;
        let webhook = get(conn, township_id)?
            .ok_or_else(|| AppError::bug("webhook vanished while being saved"))?;
        Ok(Saved {
            webhook,
            new_secret: new_secret.clone(),
        })
    })
}

/// Queues a `webhook.test` delivery to the township's active webhook.
pub fn test_event(conn: &mut DbConn, actor: &Actor, township_id: i64) -> AppResult<i64> {
    let township = township_scope(conn, township_id)?;
    if !may_manage(actor, &township) {
        return Err(AppError::forbidden());
    }
    db::write(conn, |conn| {
        let payload = serde_json::json!({
            "message": "这是一条测试推送",
            "by": actor.username,
        });
        let id = enqueue(conn, township_id, TEST_EVENT, &payload)?
            .ok_or_else(|| AppError::Conflict("请先填写接收地址并启用推送".into()))?;
        audit::record(
            conn,
            actor,
            Event {
                action: "webhook.test",
                target_type: "webhook_delivery",
                target_id: Some(id),
                place_id: Some(township_id),
                summary: format!("test delivery {id} queued"),
            },
        )?;
        Ok(id)
    })
}

/// Sends a failed delivery again: pending now, with a fresh count of tries.
pub fn resend(conn: &mut DbConn, actor: &Actor, delivery_id: i64) -> AppResult<Delivery> {
    let delivery = delivery(conn, delivery_id)?;
    let township = township_scope(conn, delivery.township_id)?;
    if !may_manage(actor, &township) {
        return Err(AppError::forbidden());
    }
    db::write(conn, |conn| {
        let updated = diesel::update(
            webhook_deliveries::table
                .find(delivery_id)
                .filter(webhook_deliveries::state.eq(FAILED)),
        )
        .set((
            webhook_deliveries::state.eq(PENDING),
            webhook_deliveries::attempts.eq(0),
            webhook_deliveries::next_at.eq(crate::time::now()),
        ))
        .execute(conn)?;
        if updated == 0 {
            return Err(AppError::Conflict("只有发送失败的推送才能重新发送".into()));
        }
        audit::record(
            conn,
            actor,
            Event {
                action: "webhook.resend",
                target_type: "webhook_delivery",
                target_id: Some(delivery_id),
                place_id: Some(delivery.township_id),
                summary: format!(
                    "{} delivery {delivery_id}: failed -> pending",
                    delivery.event
                ),
            },
        )?;
        super::delivery(conn, delivery_id)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_credentials_and_tokens() {
        assert_eq!(
            masked_url("https://bot:pw@example.org/hook?access_token=abc&x=#frag"),
            "https://***@example.org/hook?access_token=***&x="
        );
        assert_eq!(
            masked_url("http://10.0.0.5:8080/in"),
            "http://10.0.0.5:8080/in"
        );
    }

    #[test]
    fn addresses_are_checked() {
        assert!(check_url("https://example.org/hook").is_ok());
        assert!(check_url("http://127.0.0.1:9000/").is_ok());
        for bad in [
            "",
            "ftp://x/",
            "example.org",
            "http://",
            "http://a b/",
            "http://x:99999/",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
    }
}
