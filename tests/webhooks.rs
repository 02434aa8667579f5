//! Township webhooks: deliveries queued in the writer's transaction, sent
//! signed by the worker with retries and bounded timeouts, and the back
//! office page (address checks beside the field, the secret shown once,
//! permissions per role). Receivers are small HTTP/1.1 servers in the test.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use village_portal::db::schema::webhook_deliveries;
use village_portal::webhooks::{self, Delivery, Policy, WebhookForm};

use crate::util::TestApp;

/// One request a receiver got.
#[derive(Debug, Clone)]
struct Received {
    headers: HashMap<String, String>,
    body: String,
}

/// A receiver on a local port answering with `statuses` in turn (the last
/// one for ever after); status 0 reads the request and never answers.
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    fn start(statuses: &[u16]) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let got = Arc::new(Mutex::new(Vec::new()));
        let (seen, statuses) = (got.clone(), statuses.to_vec());
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for (n, stream) in listener.incoming().enumerate() {
                let Ok(mut stream) = stream else { continue };
                let Some(received) = read_request(&mut stream) else {
                    continue;
                };
                seen.lock().unwrap().push(received);
                let status = statuses[n.min(statuses.len() - 1)];
                if status == 0 {
                    held.push(stream);
                    continue;
                }
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
                );
            }
        });
        Receiver { url, got }
    }

    fn got(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }
}

fn read_request(stream: &mut TcpStream) -> Option<Received> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut headers = HashMap::new();
    loop {
        line.clear();
        reader.read_line(&mut line).ok()?;
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        let (k, v) = l.split_once(':')?;
        headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
    }
    let len: usize = headers.get("content-length")?.parse().ok()?;
    let mut body = vec![0; len];
    reader.read_exact(&mut body).ok()?;
    Some(Received {
        headers,
        body: String::from_utf8(body).ok()?,
    })
}

fn app() -> TestApp {
    TestApp::builder()
        .config(|c| {
            c.webhook_retry_seconds = 1;
            c.webhook_max_attempts = 3;
        })
        .demo()
        .build()
}

fn policy(app: &TestApp) -> Policy {
    Policy::from_config(&app.state.config)
}

/// Sets the township's webhook as the system would; returns the secret.
fn set_webhook(app: &TestApp, township: &str, url: &str, active: bool) -> String {
    let saved = webhooks::save(
        &mut app.conn(),
        &app.system_actor(),
        app.place_id(township),
        &WebhookForm {
            url: url.into(),
            secret: String::new(),
            new_secret: None,
            active: active.then(|| "on".into()),
        },
    )
    .unwrap();
    saved.webhook.secret
}

fn enqueue(app: &TestApp, township: &str, event: &str) -> Option<i64> {
    let payload = serde_json::json!({"request_id": 7, "village": "gengjing"});
    let township_id = app.place_id(township);
    village_portal::db::write(&mut app.conn(), |c| {
        webhooks::enqueue(c, township_id, event, &payload)
    })
    .unwrap()
}

fn delivery(app: &TestApp, id: i64) -> Delivery {
    webhooks::delivery(&mut app.conn(), id).unwrap()
}

fn count(app: &TestApp) -> i64 {
    webhook_deliveries::table
        .count()
        .get_result(&mut *app.conn())
        .unwrap()
}

fn later(now: NaiveDateTime, seconds: i64) -> NaiveDateTime {
    now + chrono::Duration::seconds(seconds)
}

/// The secret shown once on the page after saving.
fn shown_secret(body: &str) -> Option<String> {
    let at = body.find("id=\"secret\"")?;
    let rest = &body[at..];
    let start = rest.find("<code>")? + "<code>".len();
    let end = rest[start..].find("</code>")?;
    Some(rest[start..start + end].to_string())
}

#[actix_web::test]
async fn failures_are_retried_until_delivered_and_the_signature_verifies() {
    let app = app();
    let receiver = Receiver::start(&[500, 500, 200]);
    // Set through the form, as an official: the secret is shown once.
    let township_id = app.place_id("huanghelu");
    let mut client = app.client().await;
    client.login_as("official").await;
    let action = format!("/admin/webhooks?township={township_id}");
    let res = client
        .submit(
            "/admin/webhooks",
            &action,
            &[("url", &receiver.url), ("secret", ""), ("active", "on")],
        )
        .await;
    res.assert_status(200);
    let secret = shown_secret(&res.body).expect("the new secret is shown");
    assert_eq!(secret.len(), 64, "a 256-bit secret");
    let again = client.get("/admin/webhooks").await;
    again.assert_status(200);
    assert!(
        !again.body.contains(&secret),
        "the secret is shown only once"
    );
    let audit = app.audit("webhook.update");
    assert_eq!(audit.len(), 1);
    assert!(audit[0].summary.contains("secret: changed"));
    assert!(!audit[0].summary.contains(&secret));

    let id = enqueue(&app, "huanghelu", "voice.help").expect("queued");
    let policy = policy(&app);
    let now = village_portal::time::now();
    assert_eq!(
        webhooks::deliver_due(&app.state.db, &policy, now).unwrap(),
        1
    );
    let d = delivery(&app, id);
    assert_eq!(
        (d.state.as_str(), d.attempts, d.last_status),
        ("pending", 1, Some(500))
    );
    assert!(d.last_error.contains("500"), "{}", d.last_error);
    // Not due again before the backoff (1 s, then 2 s).
    assert_eq!(
        webhooks::deliver_due(&app.state.db, &policy, now).unwrap(),
        0
    );
    assert_eq!(
        webhooks::deliver_due(&app.state.db, &policy, later(now, 2)).unwrap(),
        1
    );
    assert_eq!(delivery(&app, id).attempts, 2);
    assert_eq!(
        webhooks::deliver_due(&app.state.db, &policy, later(now, 3)).unwrap(),
        0
    );
    assert_eq!(
        webhooks::deliver_due(&app.state.db, &policy, later(now, 6)).unwrap(),
        1
    );
    let d = delivery(&app, id);
    assert_eq!(
        (d.state.as_str(), d.attempts, d.last_status),
        ("delivered", 3, Some(200))
    );
    assert!(d.delivered_at.is_some());
    assert_eq!(
        webhooks::deliver_due(&app.state.db, &policy, later(now, 100)).unwrap(),
        0
    );

    let got = receiver.got();
    assert_eq!(got.len(), 3, "three attempts");
    for r in &got {
        let h = |name: &str| r.headers.get(name).cloned().unwrap_or_default();
        assert_eq!(h("content-type"), "application/json");
        assert_eq!(h("x-portal-event"), "voice.help");
        assert_eq!(h("x-portal-delivery"), id.to_string());
        assert_eq!(r.body, d.body, "the same body every time");
        // The receiver's check, done independently of the portal's code.
        let timestamp = h("x-portal-timestamp");
        assert!(timestamp.parse::<i64>().is_ok(), "{timestamp}");
        let signature = h("x-portal-signature");
        let hex_sig = signature.strip_prefix("sha256=").expect("sha256=");
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{timestamp}.{}", r.body).as_bytes());
        mac.verify_slice(&hex::decode(hex_sig).unwrap())
            .expect("the signature verifies with the secret");
    }
    let body: serde_json::Value = serde_json::from_str(&got[0].body).unwrap();
    assert_eq!(body["event"], "voice.help");
    assert_eq!(body["township"], "huanghelu");
    assert_eq!(body["data"]["request_id"], 7);
    assert!(body["occurred_at"].as_str().unwrap().ends_with('Z'));

    let page = client.get("/admin/webhooks").await;
    page.assert_status(200)
        .assert_contains("一键求助")
        .assert_contains("已送达");
}

#[actix_web::test]
async fn a_receiver_that_never_answers_is_bounded_then_failed() {
    let app = app();
    let receiver = Receiver::start(&[0]);
    set_webhook(&app, "huanghelu", &receiver.url, true);
    let township_id = app.place_id("huanghelu");
    let mut client = app.client().await;
    client.login_as("official").await;
    // Queuing (here: the test button) answers at once: no network in the request.
    let started = Instant::now();
    let res = client
        .post_signed(&format!("/admin/webhooks/test?township={township_id}"), &[])
        .await;
    res.assert_status(303);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(app.audit("webhook.test").len(), 1);
    assert_eq!(count(&app), 1);
    let id: i64 = webhook_deliveries::table
        .select(webhook_deliveries::id)
        .first(&mut *app.conn())
        .unwrap();

    let defaults = policy(&app);
    assert_eq!(defaults.connect_timeout, Duration::from_secs(3));
    assert_eq!(defaults.read_timeout, Duration::from_secs(10));
    assert_eq!(defaults.send_timeout(), Duration::from_secs(13));
    // Shorter here, to keep the test quick; the bound is the same sum.
    let policy = Policy {
        connect_timeout: Duration::from_secs(1),
        read_timeout: Duration::from_secs(1),
        ..defaults
    };
    let now = village_portal::time::now();
    let started = Instant::now();
    assert_eq!(
        webhooks::deliver_due(&app.state.db, &policy, now).unwrap(),
        1
    );
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(900) && took < policy.send_timeout() + Duration::from_secs(1),
        "bounded by the timeouts: {took:?}"
    );
    let d = delivery(&app, id);
    assert_eq!(
        (d.state.as_str(), d.attempts, d.last_status),
        ("pending", 1, None)
    );
    assert!(d.last_error.contains("超时"), "{}", d.last_error);
    for at in [10, 20] {
        webhooks::deliver_due(&app.state.db, &policy, later(now, at)).unwrap();
    }
    let d = delivery(&app, id);
    assert_eq!(
        (d.state.as_str(), d.attempts),
        ("failed", 3),
        "max attempts 3"
    );
    assert_eq!(receiver.got().len(), 3);
    assert_eq!(
        webhooks::deliver_due(&app.state.db, &policy, later(now, 9999)).unwrap(),
        0
    );

    // 重新发送: pending again with a fresh count, and audited.
    let page = client.get("/admin/webhooks").await;
    page.assert_status(200)
        .assert_contains("失败")
        .assert_contains("重新发送");
    let res = client
        .post_signed(&format!("/admin/webhooks/deliveries/{id}/resend"), &[])
        .await;
    res.assert_status(303);
    let d = delivery(&app, id);
    assert_eq!((d.state.as_str(), d.attempts), ("pending", 0));
    assert_eq!(app.audit("webhook.resend").len(), 1);
    // A delivery that has not failed is not re-sent.
    let res = client
        .post_signed(&format!("/admin/webhooks/deliveries/{id}/resend"), &[])
        .await;
    assert_eq!(res.status, 409, "{}", res.body);
}

#[actix_web::test]
async fn bad_addresses_are_refused_beside_the_field_without_echoing_credentials() {
    let app = app();
    let township_id = app.place_id("huanghelu");
    let mut client = app.client().await;
    client.login_as("official").await;
    let action = format!("/admin/webhooks?township={township_id}");
    for (url, message) in [
        ("", "请填写接收地址"),
        ("ftp://example.org/hook", "http://"),
        ("example.org/hook", "http://"),
        ("https://bob:hunter2@exa mple.org/hook", "空格"),
        ("http://example.org:99999/", "端口"),
    ] {
        let res = client
            .submit(
                "/admin/webhooks",
                &action,
                &[("url", url), ("active", "on")],
            )
            .await;
        res.assert_field_error(message);
        assert!(!res.body.contains("hunter2"), "{url}: password echoed");
    }
    let res = client
        .submit(
            "/admin/webhooks",
            &action,
            &[("url", "https://example.org/h"), ("secret", "short")],
        )
        .await;
    res.assert_field_error("16");
    assert!(webhooks::get(&mut app.conn(), township_id)
        .unwrap()
        .is_none());
    assert!(app.audit("webhook.update").is_empty());

    // A stored address with credentials is shown masked and kept when the
    // masked text comes back unchanged.
    let url = "https://bob:hunter2@example.org/hook?access_token=tok123";
    set_webhook(&app, "huanghelu", url, true);
    let page = client.get("/admin/webhooks").await;
    page.assert_status(200)
        .assert_contains("https://***@example.org/hook?access_token=***");
    assert!(!page.body.contains("hunter2") && !page.body.contains("tok123"));
    let res = client
        .submit(
            "/admin/webhooks",
            &action,
            &[("url", "https://***@example.org/hook?access_token=***")],
        )
        .await;
    res.assert_status(200);
    assert!(shown_secret(&res.body).is_none(), "the secret is kept");
    let hook = webhooks::get(&mut app.conn(), township_id)
        .unwrap()
        .unwrap();
    assert_eq!(hook.url, url);
    assert!(!hook.active, "unticked: paused");
}

#[actix_web::test]
async fn each_role_sees_and_changes_only_what_it_may() {
    let app = app();
    let own = app.place_id("huanghelu");
    let other = app.place_id("shengyuan");
    // A local port nobody listens on: refused at once, no network needed.
    let closed = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/hook", l.local_addr().unwrap())
    };
    let form = [("url", closed.as_str()), ("active", "on")];

    // An official: not another township's.
    let mut official = app.client().await;
    official.login_as("official").await;
    official
        .get("/admin")
        .await
        .assert_contains("/admin/webhooks");
    official
        .get(&format!("/admin/webhooks?township={other}"))
        .await
        .assert_status(403);
    let res = official
        .post_signed(&format!("/admin/webhooks?township={other}"), &form)
        .await;
    res.assert_status(403);
    let res = official
        .post_signed(&format!("/admin/webhooks/test?township={other}"), &[])
        .await;
    res.assert_status(403);

    // A clerk: nothing.
    let mut clerk = app.client().await;
    clerk.login_as("clerk").await;
    assert!(!clerk.get("/admin").await.body.contains("/admin/webhooks"));
    clerk.get("/admin/webhooks").await.assert_status(403);
    let res = clerk
        .post_signed(&format!("/admin/webhooks?township={own}"), &form)
        .await;
    res.assert_status(403);

    // An admin: any township, through the chooser.
    let mut admin = app.client().await;
    admin.login_as("admin").await;
    let page = admin.get("/admin/webhooks").await;
    page.assert_status(200).assert_contains("胜园街道");
    let res = admin
        .submit(
            "/admin/webhooks",
            &format!("/admin/webhooks?township={other}"),
            &form,
        )
        .await;
    res.assert_status(200);
    assert!(webhooks::get(&mut app.conn(), other).unwrap().is_some());
    let id = enqueue(&app, "shengyuan", "voice.escalated").unwrap();
    webhooks::deliver_due(
        &app.state.db,
        &Policy {
            max_attempts: 1,
            ..policy(&app)
        },
        village_portal::time::now(),
    )
    .unwrap();
    let d = delivery(&app, id);
    assert_eq!(d.state, "failed");
    assert!(d.last_error.contains("连接"), "{}", d.last_error);

    // An auditor: reads the log, changes nothing, sees no form.
    let mut auditor = app.client().await;
    auditor.login_as("auditor").await;
    let page = auditor
        .get(&format!("/admin/webhooks?township={other}"))
        .await;
    page.assert_status(200).assert_contains("反映超期上报");
    assert!(!page.body.contains("name=\"url\""), "no form for auditors");
    assert!(!page.body.contains("重新发送"));
    for action in [
        format!("/admin/webhooks?township={other}"),
        format!("/admin/webhooks/test?township={other}"),
        format!("/admin/webhooks/deliveries/{id}/resend"),
    ] {
        auditor.post_signed(&action, &form).await.assert_status(403);
    }
    // The official may not re-send another township's delivery either.
    official
        .post_signed(&format!("/admin/webhooks/deliveries/{id}/resend"), &[])
        .await
        .assert_status(403);
    assert_eq!(delivery(&app, id).state, "failed");
    assert!(app.audit("webhook.resend").is_empty());
}

#[actix_web::test]
async fn nothing_is_queued_without_an_active_webhook() {
    let app = app();
    assert_eq!(enqueue(&app, "huanghelu", "voice.help"), None);
    set_webhook(&app, "huanghelu", "https://example.org/hook", false);
    assert_eq!(enqueue(&app, "huanghelu", "voice.help"), None, "paused");
    assert_eq!(count(&app), 0);
    // The test button says why instead of queuing.
    let mut client = app.client().await;
    client.login_as("official").await;
    let township_id = app.place_id("huanghelu");
    let res = client
        .post_signed(&format!("/admin/webhooks/test?township={township_id}"), &[])
        .await;
    assert_eq!(res.status, 409, "{}", res.body);
    assert_eq!(count(&app), 0);

    // Active: a village's event goes to its township, inside the writer's
    // transaction (rolled back with it).
    set_webhook(&app, "huanghelu", "https://example.org/hook", true);
    let village = app.place_id("gengjing");
    let payload = serde_json::json!({"x": 1});
    let id = village_portal::db::write(&mut app.conn(), |c| {
        webhooks::enqueue_for_village(c, village, "voice.help", &payload)
    })
    .unwrap();
    assert!(id.is_some());
    let rolled_back: Result<(), village_portal::error::AppError> =
        village_portal::db::write(&mut app.conn(), |c| {
            webhooks::enqueue_for_village(c, village, "voice.help", &payload)?;
            Err(village_portal::error::AppError::Conflict("abandon".into()))
        });
    assert!(rolled_back.is_err());
    assert_eq!(count(&app), 1);
    // Other townships' villages have no webhook.
    let songjia = app.place_id("songjia");
    let none = village_portal::db::write(&mut app.conn(), |c| {
        webhooks::enqueue_for_village(c, songjia, "voice.help", &payload)
    })
    .unwrap();
    assert_eq!(none, None);
}

#[actix_web::test]
async fn two_instances_send_a_delivery_once() {
    let app = app();
    let receiver = Receiver::start(&[200]);
    set_webhook(&app, "huanghelu", &receiver.url, true);
    let ids: Vec<i64> = (0..5)
        .map(|_| enqueue(&app, "huanghelu", "voice.help").unwrap())
        .collect();
    let policy = policy(&app);
    let now = village_portal::time::now();
    let (a, b) = (app.state.db.clone(), app.state.db.clone());
    let (pa, pb) = (policy.clone(), policy.clone());
    let one = std::thread::spawn(move || webhooks::deliver_due(&a, &pa, now).unwrap());
    let two = std::thread::spawn(move || webhooks::deliver_due(&b, &pb, now).unwrap());
    let tried = one.join().unwrap() + two.join().unwrap();
    assert_eq!(tried, 5);
    assert_eq!(receiver.got().len(), 5, "each delivery sent once");
    for id in ids {
        assert_eq!(delivery(&app, id).state, "delivered");
    }
}

/// Issue 14: 一键求助 from a TV and an escalation by the clock reach the
/// township's gateway, signed, with the household number and the village.
#[actix_web::test]
async fn help_and_escalation_reach_the_townships_gateway() {
    let app = app();
    let receiver = Receiver::start(&[200]);
    let secret = set_webhook(&app, "huanghelu", &receiver.url, true);
    let mut c = app.client().await;
    c.set_cookie("vp_stb", "STB0101");
    let help = c.get("/tv/v/chenzhuang/voice/help").await;
    let marker = "id=\"opt-1\" href=\"";
    let at = help.body.find(marker).expect("the help link") + marker.len();
    let send = help.body[at..]
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&");
    let started = Instant::now();
    c.get(&send).await.assert_contains("求助已发出");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "no network in the request"
    );
    let policy = policy(&app);
    let now = village_portal::time::now();
    assert_eq!(
        webhooks::deliver_due(&app.state.db, &policy, now).unwrap(),
        1
    );
    let got = receiver.got();
    let body: serde_json::Value = serde_json::from_str(&got[0].body).unwrap();
    assert_eq!(body["event"], "voice.help");
    assert_eq!(body["data"]["village"]["code"], "chenzhuang");
    assert_eq!(body["data"]["household"]["number"], "001");
    let sig = got[0].headers["x-portal-signature"].clone();
    let ts = got[0].headers["x-portal-timestamp"].clone();
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{ts}.{}", got[0].body).as_bytes());
    assert_eq!(
        sig,
        format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
    );
    // Past its due time the help is escalated: a second event.
    let catalog = app.state.voice.clone();
    let late = now + chrono::Duration::days(2);
    let swept = village_portal::voice::sweep::run(&mut app.state.db.get().unwrap(), &catalog, late)
        .unwrap();
    assert!(swept.escalated >= 1);
    webhooks::deliver_due(&app.state.db, &policy, later(now, 1)).unwrap();
    let events: Vec<String> = receiver
        .got()
        .iter()
        .map(|r| serde_json::from_str::<serde_json::Value>(&r.body).unwrap()["event"].to_string())
        .collect();
    assert!(
        events.iter().any(|e| e == "\"voice.escalated\""),
        "{events:?}"
    );
}
