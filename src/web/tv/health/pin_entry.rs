//! The household's PIN: the page that asks for it, typing it with the
//! remote, checking it (with its lockout) and leaving.

use super::*;

/// A key of the on-screen keypad.
pub struct PadKey {
    pub id: String,
    pub label: &'static str,
    pub href: String,
    /// Digit keys: the remote's digit that jumps to (presses) it.
    pub num: Option<u8>,
    pub wide: bool,
}

#[derive(Template)]
#[template(path = "tv/health_pin.html")]
pub(super) struct PinPage {
    frame: Frame,
    action: String,
    station: String,
    /// Shown in a box above the form.
    message: Option<String>,
    /// `warn` for wrong PINs and locks, `info` otherwise.
    tone: &'static str,
    locked: bool,
    /// Ask for the STB id (the box came without one, or not of this village).
    ask_household: bool,
    household: String,
    keys: Vec<PadKey>,
    /// ● per digit typed on the keypad.
    dots: String,
}

pub(super) const KEY_LABELS: [&str; 10] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

/// Why the PIN page is shown (beyond asking for the PIN).
pub(super) enum Why {
    Ask,
    Ended(Ended),
    Wrong(i32),
    Message(String),
}

pub(super) fn locked_message(until: NaiveDateTime, now: NaiveDateTime) -> String {
    format!(
        "密码输错次数较多，请 {} 分钟后再试，或到村委会重置。",
        pin::minutes_left(until, now)
    )
}

pub(super) fn busy_message(minutes: i64) -> String {
    format!("这台机顶盒的密码尝试太多，请 {minutes} 分钟后再试。")
}

pub(super) fn wrong_message(left: i32) -> String {
    format!("密码不对，请再试一次。还可以试 {left} 次。")
}

/// What the PIN page shows: the village, the household the box belongs to
/// (if known) and why it is shown.
pub(super) struct PinScreen<'a> {
    pub village: &'a Place,
    pub township: Option<&'a Place>,
    pub banner: Banner,
    pub household: Option<&'a Household>,
    /// The STB id as typed into the form, shown again.
    pub typed_household: &'a str,
    pub why: Why,
    pub now: NaiveDateTime,
}

/// Renders the PIN page with a fresh keypad (new random key codes, digits
/// typed so far kept) and clears an ended grant.
pub(super) fn pin_page(
    state: &AppState,
    req: &HttpRequest,
    screen: PinScreen<'_>,
) -> AppResult<HttpResponse> {
    let PinScreen {
        village,
        township,
        banner,
        household,
        typed_household,
        why,
        now,
    } = screen;
    let code = &village.code;
    let mut frame = Frame::village(state, village, township, "我的健康档案", station_url(code))
        .with_alert(banner);
    frame.heading = format!("{} · 我的健康档案", village.name);
    frame.legend = vec![
        ("数字键", "输入密码", ""),
        ("OK", "确定", ""),
        ("方向键", "选择按键", ""),
        ("返回", "删除/上一级", ""),
        ("红", "首页", "red"),
        ("黄", "健康", "yellow"),
    ];
    let from = source(state, req);
    let locked_until = household.and_then(|h| pin::locked_for(h, &from, now));
    let pad_before = read_pad(state, req, now);
    let shift: u8 = rand::thread_rng().gen_range(0..10);
    let pad = match &pad_before {
        Some(p) => p.redrawn(shift),
        None => Pad::new(shift, now),
    };
    let notice = pad_before.map(|p| p.notice).unwrap_or(Notice::None);
    let (message, tone) = match (locked_until, why) {
        (Some(until), _) => (Some(locked_message(until, now)), "warn"),
        (None, Why::Wrong(left)) => (Some(wrong_message(left)), "warn"),
        (None, Why::Message(m)) => (Some(m), "warn"),
        (None, Why::Ended(Ended::Idle)) => (
            Some("为了保护隐私，10 分钟没有操作已自动退出，请重新输入密码。".to_string()),
            "info",
        ),
        (None, Why::Ended(Ended::Revoked)) => (Some("请重新输入家庭密码。".to_string()), "info"),
        (None, Why::Ask) => match notice {
            Notice::None => (None, "info"),
            Notice::Empty => (Some("请先按数字键输入密码。".to_string()), "info"),
            Notice::Short => (Some("家庭密码是 4 到 6 位数字。".to_string()), "warn"),
            Notice::Wrong { left } => (Some(wrong_message(left)), "warn"),
            Notice::Busy { minutes } => (Some(busy_message(minutes)), "warn"),
        },
    };
    let me = me_url(code);
    let keypad = household.is_some() && locked_until.is_none();
    let mut keys = Vec::new();
    if keypad {
        for d in [1u8, 2, 3, 4, 5, 6, 7, 8, 9] {
            keys.push(PadKey {
                id: format!("key-{d}"),
                label: KEY_LABELS[d as usize],
                href: format!("{me}/key/{}", pad.code_of(d)),
                num: Some(d),
                wide: false,
            });
        }
        keys.push(PadKey {
            id: "key-del".into(),
            label: "删除",
            href: format!("{me}/key/del"),
            num: None,
            wide: false,
        });
        keys.push(PadKey {
            id: "key-0".into(),
            label: "0",
            href: format!("{me}/key/{}", pad.code_of(0)),
            num: Some(0),
            wide: false,
        });
        keys.push(PadKey {
            id: "key-ok".into(),
            label: "确定",
            href: format!("{me}/key/ok"),
            num: None,
            wide: true,
        });
    }
    let page = PinPage {
        frame,
        action: me.clone(),
        station: station_url(code),
        message,
        tone,
        locked: locked_until.is_some(),
        ask_household: household.is_none(),
        household: typed_household.to_string(),
        keys,
        dots: "●".repeat(pad.digits.len()),
    };
    let mut res = crate::web::render(&page)?;
    let pad_cookie = seal(state, code, PAD_COOKIE, pad.encode(), pin::PAD_MINUTES);
    res.add_cookie(&pad_cookie)
        .map_err(AppError::because("cookie"))?;
    if read_grant(state, req).is_some() {
        res.add_cookie(&removal(code, GRANT_COOKIE))
            .map_err(AppError::because("cookie"))?;
    }
    Ok(no_store(res))
}

#[derive(Deserialize)]
pub(super) struct PinForm {
    #[serde(default)]
    pin: String,
    #[serde(default)]
    household: Option<String>,
}

#[post("/tv/v/{village}/health/me")]
pub(super) async fn enter_pin(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<PinForm>,
    banner: Banner,
) -> AppResult<HttpResponse> {
    if !same_site_post(&req) {
        return Err(AppError::Forbidden("请在电视页面上输入密码".into()));
    }
    let code = path.into_inner();
    let form = form.into_inner();
    let now = crate::time::now();
    let typed = form
        .household
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    let from_box = box_stb(&req);
    let from = source(&state, &req);
    let pin = form.pin.trim().to_string();
    let (village, township, household, outcome) = state
        .db
        .run(move |conn| {
            let (village, township) = load_village(conn, &code)?;
            let mut household = household_in(conn, &village, from_box.as_deref())?;
            if household.is_none() {
                household = household_in(conn, &village, typed.as_deref())?;
            }
            let outcome = match &household {
                Some(h) if households::check_pin(&pin).is_ok() => {
                    Some(pin::check(conn, h.id, &pin, &from, now)?)
                }
                _ => None,
            };
            // Reload: the check may have locked it.
            let household = match household {
                Some(h) => Some(households::get(conn, h.id)?),
                None => None,
            };
            Ok((village, township, household, outcome))
        })
        .await?;
    let typed = form.household.unwrap_or_default();
    let typed = typed.trim();
    let show = |why: Why| {
        pin_page(
            &state,
            &req,
            PinScreen {
                village: &village,
                township: township.as_ref(),
                banner: banner.clone(),
                household: household.as_ref(),
                typed_household: typed,
                why,
                now,
            },
        )
    };
    let Some(h) = household.as_ref() else {
        let m = if typed.is_empty() {
            "请输入机顶盒号和家庭密码。"
        } else {
            "没有找到这个机顶盒号的登记，请核对后再试。"
        };
        return show(Why::Message(m.into()));
    };
    match outcome {
        None => show(Why::Message(
            "家庭密码是 4 到 6 位数字，请重新输入。".into(),
        )),
        Some(Outcome::Granted) => Ok(granted(&state, &village.code, h, now)?),
        Some(Outcome::Wrong { left }) => show(Why::Wrong(left)),
        Some(Outcome::Throttled { minutes }) => show(Why::Message(busy_message(minutes))),
        // The reloaded household carries the lock: the page says so.
        Some(Outcome::Locked { .. }) => show(Why::Ask),
    }
}

/// The right PIN: the grant cookie, the keypad forgotten, on to the members.
pub(super) fn granted(
    state: &AppState,
    village: &str,
    h: &Household,
    now: NaiveDateTime,
) -> AppResult<HttpResponse> {
    let grant = Grant::new(h, now);
    let mut res = see_other(&me_url(village));
    let cookie = seal(
        state,
        village,
        GRANT_COOKIE,
        grant.encode(),
        pin::IDLE_MINUTES,
    );
    let device = seal(
        state,
        village,
        DEVICE_COOKIE,
        pin::Device::new(h).encode(),
        pin::DEVICE_DAYS * 24 * 60,
    );
    for c in [cookie, device, removal(village, PAD_COOKIE)] {
        res.add_cookie(&c).map_err(AppError::because("cookie"))?;
    }
    Ok(res)
}

/// A key of the on-screen keypad: `0`-`9` (a code, see `Pad`), `del`, `ok`.
#[get("/tv/v/{village}/health/me/key/{key}")]
pub(super) async fn key_press(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (code, key) = path.into_inner();
    if crate::validate::code(&code, "").is_err() {
        return Err(AppError::UnknownVillage);
    }
    let valid = matches!(key.as_str(), "del" | "ok")
        || (key.len() == 1 && key.as_bytes()[0].is_ascii_digit());
    if !valid {
        return Err(AppError::not_found("这个按键"));
    }
    let me = me_url(&code);
    let now = crate::time::now();
    // Without the keypad's cookie (expired, or a request from elsewhere)
    // a key does nothing but show the PIN page again.
    let Some(mut pad) = read_pad(&state, &req, now) else {
        return Ok(see_other(&me));
    };
    pad.notice = Notice::None;
    let to = match key.as_str() {
        "del" => {
            pad.delete();
            format!("{me}#f=key-del")
        }
        "ok" => return keypad_ok(&state, &req, code, pad, now).await,
        k => {
            let Some(c) = k.parse::<u8>().ok().filter(|c| *c < 10) else {
                return Err(AppError::not_found("这个按键"));
            };
            pad.press(c);
            let digit = pad.digits.bytes().last().map(|b| b - b'0').unwrap_or(0);
            format!("{me}#f=key-{digit}")
        }
    };
    let mut res = see_other(&to);
    res.add_cookie(&seal(
        &state,
        &code,
        PAD_COOKIE,
        pad.encode(),
        pin::PAD_MINUTES,
    ))
    .map_err(AppError::because("cookie"))?;
    Ok(res)
}

/// 确定 on the keypad: checks the typed digits as the form would.
pub(super) async fn keypad_ok(
    state: &AppState,
    req: &HttpRequest,
    code: String,
    mut pad: Pad,
    now: NaiveDateTime,
) -> AppResult<HttpResponse> {
    let me = me_url(&code);
    let stb = box_stb(req);
    let from = source(state, req);
    let digits = pad.digits.clone();
    let village_code = code.clone();
    let checked = state
        .db
        .run(move |conn| {
            let (village, _) = load_village(conn, &village_code)?;
            let Some(h) = household_in(conn, &village, stb.as_deref())? else {
                return Ok(None);
            };
            if households::check_pin(&digits).is_err() {
                return Ok(Some((h, None)));
            }
            let outcome = pin::check(conn, h.id, &digits, &from, now)?;
            Ok(Some((h, Some(outcome))))
        })
        .await?;
    let Some((h, outcome)) = checked else {
        return Ok(see_other(&me));
    };
    match outcome {
        Some(Outcome::Granted) => return granted(state, &code, &h, now),
        Some(Outcome::Wrong { left }) => {
            pad.digits.clear();
            pad.notice = Notice::Wrong { left };
        }
        Some(Outcome::Locked { .. }) => pad.digits.clear(),
        Some(Outcome::Throttled { minutes }) => {
            pad.digits.clear();
            pad.notice = Notice::Busy { minutes };
        }
        None if pad.digits.is_empty() => pad.notice = Notice::Empty,
        None => pad.notice = Notice::Short,
    }
    let mut res = see_other(&me);
    res.add_cookie(&seal(
        state,
        &code,
        PAD_COOKIE,
        pad.encode(),
        pin::PAD_MINUTES,
    ))
    .map_err(AppError::because("cookie"))?;
    Ok(res)
}

#[derive(Deserialize)]
pub(super) struct ExitQuery {
    to: Option<String>,
}

/// Ends access (返回, 首页, colour keys of the household's pages) and goes on
/// to the village page named by `to`: `` (home) or a section (`/health`).
#[get("/tv/v/{village}/health/me/exit")]
pub(super) async fn exit_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<ExitQuery>,
) -> AppResult<HttpResponse> {
    let code = path.into_inner();
    if crate::validate::code(&code, "").is_err() {
        return Err(AppError::UnknownVillage);
    }
    // Ends the access on the server too, so a copy of the cookie stops
    // working. Only a grant that still opens the household counts: the
    // cookie is SameSite=Strict, so a link from elsewhere ends nothing.
    if let Some(grant) = read_grant(&state, &req) {
        let (now, village_code) = (crate::time::now(), code.clone());
        state
            .db
            .run(move |conn| {
                let (village, _) = load_village(conn, &village_code)?;
                if let Ok((_, h)) = open_grant(conn, &village, Some(grant), now)? {
                    pin::end_access(conn, h.id)?;
                }
                Ok(())
            })
            .await?;
    }
    let to = query.to.as_deref().unwrap_or("").trim_start_matches('/');
    let target = match SECTIONS.iter().find(|s| s.slug == to) {
        Some(s) => format!("{}/{}", home_url(&code), s.slug),
        None => home_url(&code),
    };
    let mut res = see_other(&target);
    for c in [removal(&code, GRANT_COOKIE), removal(&code, PAD_COOKIE)] {
        res.add_cookie(&c).map_err(AppError::because("cookie"))?;
    }
    Ok(res)
}
