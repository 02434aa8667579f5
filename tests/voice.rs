//! The villager's voice: the TV flow with links alone (once, by household,
//! within the daily limit), time limits, reminders and escalation, the
//! rating that reopens, privacy between households, the back office's
//! steps, bad replies and permissions per role.

use chrono::Duration;
use diesel::prelude::*;
use village_portal::db::schema::{voice_requests, voice_steps};
use village_portal::roster::calendar::{self, HolidayForm};
use village_portal::voice::catalog::{self, Limit};
use village_portal::voice::{self, sweep, Request};

use crate::util::{Resp, TestApp};

/// The `href` of the element with this id, unescaped.
fn href(res: &Resp, id: &str) -> String {
    let marker = format!("id=\"{id}\" href=\"");
    let at = res
        .body
        .find(&marker)
        .unwrap_or_else(|| panic!("no #{id} in {}", res.body))
        + marker.len();
    res.body[at..]
        .split('"')
        .next()
        .unwrap_or_default()
        .replace("&amp;", "&")
        .replace("&#38;", "&")
}

fn count(app: &TestApp) -> i64 {
    voice_requests::table
        .count()
        .get_result(&mut *app.state.db.get().unwrap())
        .unwrap()
}

fn latest(app: &TestApp) -> Request {
    voice_requests::table
        .order(voice_requests::id.desc())
        .select(Request::as_select())
        .first(&mut *app.state.db.get().unwrap())
        .unwrap()
}

fn request_of(app: &TestApp, number: &str, village: &str) -> Request {
    let h = village_portal::households::find_by_number(
        &mut app.state.db.get().unwrap(),
        app.place_id(village),
        number,
    )
    .unwrap()
    .unwrap();
    voice::of_household(&mut app.state.db.get().unwrap(), h.id, 1)
        .unwrap()
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("household {number} of {village} has a request"))
}

#[actix_web::test]
async fn the_tv_flow_files_once_with_links_alone() {
    let app = TestApp::demo();
    let mut c = app.client().await;
    c.set_cookie("vp_stb", "STB0101");
    let home = c.get("/tv/v/chenzhuang").await;
    home.assert_status(200).assert_contains("村民之声");
    // 一键求助 is on the home: OK opens its confirm page.
    assert_eq!(href(&home, "help"), "/tv/v/chenzhuang/voice/help");
    let menu = c.get("/tv/v/chenzhuang/voice").await;
    menu.assert_status(200).assert_contains("本机户号 001");
    assert_eq!(
        menu.header("cache-control"),
        Some("no-store"),
        "per box, never cached"
    );
    let cats = c.get(&href(&menu, "opt-1")).await;
    cats.assert_contains("道路路灯").assert_contains("邻里纠纷");
    let reasons = c.get(&href(&cats, "opt-1")).await;
    reasons.assert_contains("路灯不亮");
    let call = c.get(&href(&reasons, "opt-1")).await;
    call.assert_contains("需要村里给您回电话吗");
    let confirm = c.get(&href(&call, "opt-1")).await;
    confirm
        .assert_status(200)
        .assert_contains("道路路灯 · 路灯不亮")
        .assert_contains("需要回电")
        .assert_contains("前答复");
    let send = href(&confirm, "opt-1");
    assert_eq!(count(&app), 11, "the demo's requests");
    let before = count(&app);
    let done = c.get(&send).await;
    done.assert_status(200).assert_contains("提交成功");
    assert_eq!(count(&app), before + 1);
    let r = latest(&app);
    assert_eq!(
        (
            r.category.as_str(),
            r.reason.as_str(),
            r.callback,
            r.verified
        ),
        ("road", "路灯不亮", true, true)
    );
    assert_eq!(r.state, "new");
    assert_eq!(app.household("STB0101").id, r.household_id);
    // The same confirm again (Back and OK, a reload): nothing new.
    c.get(&send)
        .await
        .assert_status(200)
        .assert_contains("已经提交过了");
    assert_eq!(count(&app), before + 1);
    // The key is for exactly that choice: another category with it is refused.
    let forged = send.replace("c=road", "c=water");
    c.get(&forged).await.assert_contains("确认链接不对");
    let no_key = send.split("&key=").next().unwrap().to_string();
    c.get(&no_key).await.assert_contains("确认链接不对");
    assert_eq!(count(&app), before + 1);
    // Choices not in the catalog: a friendly TV page, never a 500.
    for bad in [
        "/tv/v/chenzhuang/voice/c/nope",
        "/tv/v/chenzhuang/voice/c/road/99",
        "/tv/v/chenzhuang/voice/c/road/x",
        "/tv/v/chenzhuang/voice/confirm?kind=report&c=road&r=0&call=1",
        "/tv/v/chenzhuang/voice/confirm?kind=report&c=help&r=1&call=1",
        "/tv/v/chenzhuang/voice/c/question?a=999999",
    ] {
        c.get(bad)
            .await
            .assert_status(404)
            .assert_contains("回到首页");
    }
    // 我的反映 shows it with its state.
    let mine = c.get("/tv/v/chenzhuang/voice/mine").await;
    mine.assert_contains("道路路灯 · 路灯不亮")
        .assert_contains("待受理");
}

#[actix_web::test]
async fn a_box_without_stb_id_types_its_household_and_is_unverified() {
    let app = TestApp::demo();
    let mut c = app.client().await;
    let confirm = "/tv/v/chenzhuang/voice/confirm?kind=report&c=water&r=1&call=0";
    let pad = c.get(confirm).await;
    pad.assert_status(200)
        .assert_contains("请按数字键输入您家的户号");
    // Digits build the number in the address; 确定 goes on.
    let one = c.get(&href(&pad, "key-0")).await;
    let two = c.get(&href(&one, "key-0")).await;
    let three = c.get(&href(&two, "key-2")).await;
    three.assert_contains("002");
    let shown = c.get(&href(&three, "key-ok")).await;
    shown
        .assert_contains("户号 002（手动输入）")
        .assert_contains("用水 · 停水");
    let before = count(&app);
    c.get(&href(&shown, "opt-1"))
        .await
        .assert_contains("提交成功");
    let r = latest(&app);
    assert!(!r.verified, "typed numbers are marked unverified");
    assert_eq!(r.household_id, app.household("STB0102").id);
    assert_eq!(count(&app), before + 1);
    // A number that is no household of the village: asked again.
    c.get(&format!("{confirm}&h=999"))
        .await
        .assert_contains("本村没有户号 999");
    // 我的反映 needs the household's own box.
    c.get("/tv/v/chenzhuang/voice/mine")
        .await
        .assert_contains("只能在本户登记过的机顶盒上查看");
}

#[actix_web::test]
async fn the_daily_limit_says_so_and_stores_nothing() {
    let app = TestApp::builder()
        .demo()
        .config(|c| c.voice_daily_limit = 2)
        .build();
    let mut c = app.client().await;
    c.set_cookie("vp_stb", "STB0101");
    let file = |reason: u32| {
        format!("/tv/v/chenzhuang/voice/confirm?kind=report&c=road&r={reason}&call=0")
    };
    for r in [1, 2] {
        let confirm = c.get(&file(r)).await;
        c.get(&href(&confirm, "opt-1"))
            .await
            .assert_contains("提交成功");
    }
    let before = count(&app);
    let confirm = c.get(&file(3)).await;
    let refused = c.get(&href(&confirm, "opt-1")).await;
    refused
        .assert_status(200)
        .assert_contains("每户每天最多反映 2 次")
        .assert_contains("0546-8232000");
    assert_eq!(count(&app), before);
    c.get("/tv/v/chenzhuang/voice")
        .await
        .assert_contains("今天已经反映了 2 件事");
    // Another household of the village still may.
    c.set_cookie("vp_stb", "STB0102");
    let confirm = c.get(&file(3)).await;
    c.get(&href(&confirm, "opt-1"))
        .await
        .assert_contains("提交成功");
}

#[actix_web::test]
async fn help_reaches_the_cadre_on_duty_in_two_presses() {
    let app = TestApp::demo();
    let mut c = app.client().await;
    c.set_cookie("vp_stb", "STB0001");
    let help = c.get("/tv/v/gengjing/voice/help").await;
    help.assert_status(200).assert_contains("马上通知");
    let offset = app.state.offset;
    let told = voice::filing::help_recipients(
        &mut app.state.db.get().unwrap(),
        app.place_id("gengjing"),
        village_portal::time::now(),
        offset,
    )
    .unwrap();
    assert!(!told.is_empty(), "the roster has someone on duty");
    help.assert_contains(&told[0]);
    let done = c.get(&href(&help, "opt-1")).await;
    done.assert_contains("求助已发出").assert_contains(&told[0]);
    let r = latest(&app);
    assert_eq!((r.kind.as_str(), r.state.as_str()), ("help", "new"));
    assert_eq!(r.notified.split('；').next(), Some(told[0].as_str()));
    // Due the same day; first in the clerk's queue, with the household.
    let local = |t| village_portal::time::to_local(t, offset).date_naive();
    assert_eq!(local(r.due_at), local(r.created_at));
    let mut clerk = app.client().await;
    clerk.login_as("clerk").await;
    let queue = clerk.get("/admin/voice").await;
    queue.assert_status(200).assert_contains("紧急求助");
    let rows: Vec<&str> = queue.body.split("<tr class=").skip(1).collect();
    assert!(rows[0].contains("紧急求助"), "help first: {}", rows[0]);
    let row = rows
        .iter()
        .find(|row| row.contains(&format!("<td>{}</td>", r.id)))
        .expect("the help in the queue");
    assert!(row.contains("紧急求助") && row.contains("<td>001"), "{row}");
    // The front page says so at once; chenzhuang's clerk sees none of it.
    clerk
        .get("/admin")
        .await
        .assert_contains("紧急求助 2 条待处理");
    let mut other = app.client().await;
    other.login_as("clerk2").await;
    assert!(!other.get("/admin").await.body.contains("紧急求助"));
}

#[actix_web::test]
async fn working_days_follow_the_rosters_holidays() {
    let app = TestApp::demo();
    let admin = app.system_actor();
    let offset = app.state.offset;
    // Filed on Thursday 2026-12-03 at 10:00 local; Monday the 7th a holiday.
    let filed = calendar_day("2026-12-03") + Duration::hours(2);
    let mut conn = app.conn();
    let due = catalog::due_from(&mut conn, Limit::WorkingDays(3), filed, offset).unwrap();
    assert_eq!(local_day(due, offset), "2026-12-08");
    calendar::save(
        &mut conn,
        &admin,
        &HolidayForm {
            day: "2026-12-07".into(),
            kind: "holiday".into(),
            name: "测试假日".into(),
        },
    )
    .unwrap();
    let due = catalog::due_from(&mut conn, Limit::WorkingDays(3), filed, offset).unwrap();
    assert_eq!(local_day(due, offset), "2026-12-09");
    // Same day: by the end of the local day.
    let due = catalog::due_from(&mut conn, Limit::Today, filed, offset).unwrap();
    assert_eq!(
        village_portal::time::to_local(due, offset)
            .format("%Y-%m-%d %H:%M:%S")
            .to_string(),
        "2026-12-03 23:59:59"
    );
}

fn calendar_day(day: &str) -> chrono::NaiveDateTime {
    village_portal::roster::parse_day(day)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap()
}

fn local_day(t: chrono::NaiveDateTime, offset: chrono::FixedOffset) -> String {
    village_portal::time::to_local(t, offset)
        .format("%Y-%m-%d")
        .to_string()
}

fn steps_of(app: &TestApp, id: i64) -> Vec<String> {
    voice_steps::table
        .filter(voice_steps::request_id.eq(id))
        .order(voice_steps::id)
        .select(voice_steps::action)
        .load(&mut *app.state.db.get().unwrap())
        .unwrap()
}

#[actix_web::test]
async fn near_due_reminds_overdue_escalates_and_unsatisfied_reopens() {
    let app = TestApp::demo();
    // The demo already escalated its 20-day-old request.
    let old = request_of(&app, "002", "gengjing");
    let escalated: Vec<Request> = voice_requests::table
        .filter(voice_requests::escalated_at.is_not_null())
        .select(Request::as_select())
        .load(&mut *app.state.db.get().unwrap())
        .unwrap();
    assert!(escalated.iter().any(|r| r.category == "power"), "{old:?}");
    // A fresh request from chenzhuang's 001.
    let mut c = app.client().await;
    c.set_cookie("vp_stb", "STB0101");
    let confirm = c
        .get("/tv/v/chenzhuang/voice/confirm?kind=report&c=policy&r=1&call=1")
        .await;
    c.get(&href(&confirm, "opt-1")).await;
    let r = latest(&app);
    let catalog = app.state.voice.clone();
    let now = village_portal::time::now();
    // Nothing to do yet; within a day of its due time: reminded, once;
    // past it: escalated to the township, once.
    let mut conn = app.state.db.get().unwrap();
    sweep::run(&mut conn, &catalog, now).unwrap();
    assert_eq!(steps_of(&app, r.id), ["filed"]);
    let near = r.due_at - Duration::hours(3);
    assert!(sweep::run(&mut conn, &catalog, near).unwrap().reminded >= 1);
    sweep::run(&mut conn, &catalog, near).unwrap();
    assert_eq!(steps_of(&app, r.id), ["filed", "reminded"]);
    let late = r.due_at + Duration::hours(1);
    assert!(sweep::run(&mut conn, &catalog, late).unwrap().escalated >= 1);
    sweep::run(&mut conn, &catalog, late).unwrap();
    drop(conn);
    assert_eq!(steps_of(&app, r.id), ["filed", "reminded", "escalated"]);
    // The township's page lists it as overdue... once its due time passed.
    diesel::update(voice_requests::table.find(r.id))
        .set(voice_requests::due_at.eq(now - Duration::hours(1)))
        .execute(&mut *app.state.db.get().unwrap())
        .unwrap();
    let mut official = app.client().await;
    official.login_as("official").await;
    let page = official.get("/admin/voice/supervision").await;
    page.assert_status(200)
        .assert_contains("超期未办结")
        .assert_contains("政策咨询 · 养老保险")
        .assert_contains("陈庄村");
    // The clerk replies and closes it; the TV asks 您满意吗.
    let mut clerk = app.client().await;
    clerk.login_as("clerk2").await;
    let page = format!("/admin/voice/{}", r.id);
    let action = format!("/admin/voice/{}/step", r.id);
    for (step, text) in [
        ("accept", ""),
        ("reply", "已为您查询：养老保险每年 1 月缴费。"),
        ("close", ""),
    ] {
        let res = clerk
            .submit(&page, &action, &[("step", step), ("text", text)])
            .await;
        assert_eq!(res.status, 303, "{step}: {}", res.body);
    }
    let closed = voice::get(&mut app.state.db.get().unwrap(), r.id).unwrap();
    assert_eq!(closed.state, "closed");
    let menu = c.get("/tv/v/chenzhuang/voice").await;
    let detail = c.get(&href(&menu, "rate")).await;
    detail
        .assert_contains("您满意吗")
        .assert_contains("养老保险每年 1 月缴费");
    // 不满意 reopens it for the township with a new time limit.
    let answer = c.get(&href(&detail, "opt-3")).await;
    answer.assert_contains("街道会督促村里重新办理");
    let reopened = voice::get(&mut app.state.db.get().unwrap(), r.id).unwrap();
    assert_eq!(
        (reopened.state.as_str(), reopened.reopened),
        ("handling", 1)
    );
    assert_eq!(reopened.satisfaction.as_deref(), Some("unsatisfied"));
    assert!(reopened.due_at > now, "a fresh time limit");
    assert!(reopened.escalated_at.is_some());
    // A second answer changes nothing.
    c.get(&format!(
        "/tv/v/chenzhuang/voice/mine/{}/rate/satisfied",
        r.id
    ))
    .await
    .assert_status(200);
    let again = voice::get(&mut app.state.db.get().unwrap(), r.id).unwrap();
    assert_eq!(again.satisfaction.as_deref(), Some("unsatisfied"));
    // Every step is audited.
    assert!(app.audit("voice.step").len() >= 3);
    assert!(!app.audit("voice.rate").is_empty());
}

#[actix_web::test]
async fn no_household_reads_or_rates_anothers_requests() {
    let app = TestApp::demo();
    let theirs = request_of(&app, "001", "gengjing");
    let mut c = app.client().await;
    c.set_cookie("vp_stb", "STB0002");
    for path in [
        format!("/tv/v/gengjing/voice/mine/{}", theirs.id),
        format!("/tv/v/gengjing/voice/mine/{}/rate/unsatisfied", theirs.id),
    ] {
        c.get(&path).await.assert_status(404);
    }
    // In another village the box is no household at all.
    let elsewhere = c
        .get(&format!("/tv/v/chenzhuang/voice/mine/{}", theirs.id))
        .await;
    elsewhere.assert_contains("只能在本户登记过的机顶盒上查看");
    assert!(!elsewhere.body.contains(&theirs.reason));
    let after = voice::get(&mut app.state.db.get().unwrap(), theirs.id).unwrap();
    assert_eq!(after.satisfaction, theirs.satisfaction);
    assert_eq!(after.state, theirs.state);
    // Their own list shows only their own.
    let mine = c.get("/tv/v/gengjing/voice/mine").await;
    assert!(!mine.body.contains(&format!("/mine/{}\"", theirs.id)));
    c.set_cookie("vp_stb", "STB0001");
    let own = c.get("/tv/v/gengjing/voice/mine").await;
    assert!(own.body.contains(&format!("/mine/{}\"", theirs.id)));
}

#[actix_web::test]
async fn each_role_handles_and_supervises_its_own_villages() {
    let app = TestApp::demo();
    let ours = request_of(&app, "002", "gengjing");
    let mut c = app.client().await;
    c.set_cookie("vp_stb", "STB0101");
    let confirm = c
        .get("/tv/v/chenzhuang/voice/confirm?kind=report&c=road&r=2&call=0")
        .await;
    c.get(&href(&confirm, "opt-1")).await;
    let theirs = latest(&app);
    let mut clerk = app.client().await;
    clerk.login_as("clerk").await;
    clerk.get("/admin/voice").await.assert_status(200);
    clerk
        .get(&format!("/admin/voice/{}", ours.id))
        .await
        .assert_status(200);
    clerk
        .get(&format!("/admin/voice/{}", theirs.id))
        .await
        .assert_status(404);
    let refused = clerk
        .post_signed(
            &format!("/admin/voice/{}/step", theirs.id),
            &[("step", "accept")],
        )
        .await;
    assert!(matches!(refused.status, 403 | 404), "{}", refused.status);
    clerk
        .get("/admin/voice/supervision")
        .await
        .assert_status(403);
    let mut official = app.client().await;
    official.login_as("official").await;
    let queue = official.get("/admin/voice").await;
    queue.assert_contains("耿井村").assert_contains("陈庄村");
    official
        .get("/admin/voice/supervision")
        .await
        .assert_status(200);
    let mut auditor = app.client().await;
    auditor.login_as("auditor").await;
    auditor.get("/admin/voice").await.assert_status(403);
    auditor
        .get(&format!("/admin/voice/{}", ours.id))
        .await
        .assert_status(404);
    auditor
        .get("/admin/voice/supervision")
        .await
        .assert_status(200)
        .assert_contains("按类别");
    // A question on village affairs: the clerk reads, the committee answers.
    let question: Request = voice_requests::table
        .filter(voice_requests::kind.eq("question"))
        .select(Request::as_select())
        .first(&mut *app.state.db.get().unwrap())
        .unwrap();
    let page = format!("/admin/voice/{}", question.id);
    clerk
        .get(&page)
        .await
        .assert_status(200)
        .assert_contains("村务监督委员会");
    let res = clerk
        .post_signed(
            &format!("/admin/voice/{}/step", question.id),
            &[("step", "accept")],
        )
        .await;
    assert_eq!(res.status, 403);
    let mut jiandu = app.client().await;
    jiandu.login_as("jiandu").await;
    let res = jiandu
        .submit(
            &page,
            &format!("/admin/voice/{}/step", question.id),
            &[
                ("step", "reply"),
                ("text", "已核对，账目无误，明细已补充公开。"),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
}

#[actix_web::test]
async fn bad_steps_and_replies_are_refused_beside_the_field() {
    let app = TestApp::demo();
    let r = request_of(&app, "001", "gengjing");
    assert_eq!(r.state, "new");
    let mut clerk = app.client().await;
    clerk.login_as("clerk").await;
    let page = format!("/admin/voice/{}", r.id);
    let action = format!("/admin/voice/{}/step", r.id);
    let before = voice::steps(&mut app.state.db.get().unwrap(), r.id)
        .unwrap()
        .len();
    for (step, text, message) in [
        ("reply", "<script>alert(1)</script>", "不能含有"),
        ("reply", "", "请写下给村民的回复"),
        ("reply", &"长".repeat(301), "最多 300 字"),
        ("fly", "", "请选择一个处理步骤"),
        ("close", "", "不能再这样处理"),
    ] {
        let res = clerk
            .submit(&page, &action, &[("step", step), ("text", text)])
            .await;
        assert_eq!(res.status, 400, "{step} {text}: {}", res.body);
        res.assert_contains(message);
        res.assert_not_server_error();
    }
    let after = voice::get(&mut app.state.db.get().unwrap(), r.id).unwrap();
    assert_eq!(after.state, r.state);
    assert_eq!(after.reply, r.reply);
    assert_eq!(
        voice::steps(&mut app.state.db.get().unwrap(), r.id)
            .unwrap()
            .len(),
        before
    );
}
