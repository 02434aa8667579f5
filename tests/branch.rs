//! Branch records (三会一课): members, meeting records with quorum, bad
//! input beside the field, due states at a quarter's edge in the
//! deployment's time zone, the township's table, and the TV showing no
//! member's name.

use chrono::{Duration, FixedOffset, NaiveDateTime};
use diesel::prelude::*;
use village_portal::db::schema::{branch_meetings, meeting_attendance};
use village_portal::roster::branch::{self, MemberForm};
use village_portal::roster::meetings::{self, MeetingForm};
use village_portal::roster::parse_day;
use village_portal::roster::rhythm::{Due, Rhythm};

use crate::util::TestApp;

fn utc(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("a time")
}

fn counts(app: &TestApp) -> (i64, i64) {
    let mut conn = app.conn();
    (
        branch_meetings::table
            .count()
            .get_result(&mut *conn)
            .expect("count"),
        meeting_attendance::table
            .count()
            .get_result(&mut *conn)
            .expect("count"),
    )
}

#[actix_web::test]
async fn a_meeting_without_quorum_or_with_bad_input_is_refused_and_nothing_is_stored() {
    let app = TestApp::demo();
    let gengjing = app.place_id("gengjing");
    let members = branch::of_village(&mut app.conn(), gengjing).expect("members");
    let ids: Vec<String> = members.iter().map(|m| m.id.to_string()).collect();
    let before = counts(&app);
    let mut c = app.client().await;
    c.login_as("clerk").await;
    let page = format!("/admin/branch?village={gengjing}");
    let action = format!("/admin/branch/{gengjing}/meetings");
    c.get(&page)
        .await
        .assert_status(200)
        .assert_contains("党员名册");
    let base = |kind: &'static str, day: String| -> Vec<(&'static str, String)> {
        vec![
            ("kind", kind.to_string()),
            ("held_on", day),
            ("place", "村党群服务中心".into()),
            ("host", "耿志强".into()),
            ("recorder", "王建军".into()),
            ("topics", "测试议题".into()),
            ("minutes", "<p>记录</p>".into()),
        ]
    };
    let send = |fields: Vec<(&'static str, String)>| fields;
    let today = village_portal::time::to_local(
        village_portal::time::now(),
        FixedOffset::east_opt(8 * 3600).expect("offset"),
    )
    .date_naive();
    let day = |d: chrono::NaiveDate| d.format("%Y-%m-%d").to_string();
    // 党员大会 with 2 of the 7 voting members: no quorum.
    let mut f = send(base("congress", day(today)));
    f.push(("present", ids[0].clone()));
    f.push(("present", ids[1].clone()));
    let refs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    c.submit(&page, &action, &refs)
        .await
        .assert_field_error("不足法定人数");
    // Dated tomorrow.
    let mut f = send(base("lecture", day(today + Duration::days(1))));
    f.push(("present", ids[0].clone()));
    let refs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    c.submit(&page, &action, &refs)
        .await
        .assert_field_error("不能晚于今天");
    // An attendee who is not on the roster (attendance above the roster).
    let mut f = send(base("lecture", day(today)));
    f.push(("present", "999999".into()));
    let refs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    c.submit(&page, &action, &refs)
        .await
        .assert_field_error("党员名册");
    // Minutes too long (within the request size limit).
    let mut f = send(base("lecture", day(today)));
    f.retain(|(k, _)| *k != "minutes");
    f.push(("minutes", format!("<p>{}</p>", "x".repeat(100_100))));
    let refs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    c.submit(&page, &action, &refs)
        .await
        .assert_field_error("会议记录最多");
    // A 10 MB body is refused before it is read.
    let mut f = send(base("lecture", day(today)));
    f.retain(|(k, _)| *k != "minutes");
    f.push(("minutes", "x".repeat(10 * 1024 * 1024)));
    let refs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(c.submit(&page, &action, &refs).await.status, 413);
    assert_eq!(counts(&app), before, "nothing stored");
    // With quorum it is kept, attendance and all.
    let mut f = send(base("congress", day(today)));
    for id in &ids {
        f.push(("present", id.clone()));
    }
    let refs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(c.submit(&page, &action, &refs).await.status, 303);
    assert_eq!(counts(&app), (before.0 + 1, before.1 + ids.len() as i64));
    // A probationary member cannot be given a vote.
    c.submit(
        &page,
        &format!("/admin/branch/{gengjing}/members"),
        &[
            ("name", "新党员"),
            ("status", "probationary"),
            ("voting", "on"),
        ],
    )
    .await
    .assert_field_error("预备党员没有表决权");
}

#[actix_web::test]
async fn due_states_turn_at_the_quarters_last_local_midnight() {
    let app = TestApp::demo();
    let actor = app.system_actor();
    let songjia = app.place_id("songjia");
    let offset = FixedOffset::east_opt(8 * 3600).expect("offset");
    let m = branch::add(
        &mut app.conn(),
        &actor,
        songjia,
        &MemberForm {
            name: "宋党员".into(),
            status: "formal".into(),
            voting: Some("on".into()),
            committee: Some("on".into()),
        },
    )
    .expect("member");
    meetings::record(
        &mut app.conn(),
        &actor,
        songjia,
        &MeetingForm {
            kind: "congress".into(),
            held_on: "2026-09-20".into(),
            place: "村委".into(),
            host: "宋".into(),
            recorder: "宋".into(),
            topics: "季度会".into(),
            minutes: String::new(),
            present: vec![m.id.to_string()],
            reasons: Default::default(),
        },
        utc("2026-09-20 02:00"),
        offset,
    )
    .expect("a congress in Q3");
    let rhythm = Rhythm::parse("congress=quarter").expect("rhythm");
    let state = |at: &str| {
        let today = village_portal::time::to_local(utc(at), offset).date_naive();
        meetings::due_of_village(&mut app.conn(), songjia, &rhythm, today).expect("due")[0].1
    };
    let d = |s: &str| parse_day(s).expect("day");
    // 23:59 on 31 December in +08:00 is 15:59 UTC: still due soon.
    assert_eq!(state("2026-12-31 15:59"), Due::Soon(d("2026-12-31")));
    // One minute later it is 1 January there: the fourth quarter was missed.
    assert_eq!(state("2026-12-31 16:00"), Due::Overdue(d("2026-12-31")));
    assert_eq!(state("2026-10-02 04:00"), Due::Open(d("2026-12-31")));
}

#[actix_web::test]
async fn the_township_sees_what_is_due_and_the_tv_no_member() {
    let app = TestApp::demo();
    let mut c = app.client().await;
    c.login_as("official").await;
    let page = c.get("/admin/branch/due").await;
    page.assert_status(200).assert_contains("党课");
    let row = |village: &str| -> String {
        page.body
            .split(&format!("<td>{village}</td>"))
            .nth(1)
            .and_then(|r| r.split("</tr>").next())
            .unwrap_or_default()
            .to_string()
    };
    // The demo's chenzhuang never held a 党课.
    assert!(row("陈庄村").contains("已逾期"), "{}", row("陈庄村"));
    assert!(!row("耿井村").contains("已逾期"), "{}", row("耿井村"));
    assert!(!page.body.contains("宋家村"), "another township");
    for (role, status) in [("clerk", 403), ("auditor", 200), ("admin", 200)] {
        let mut c = app.client().await;
        c.login_as(role).await;
        assert_eq!(c.get("/admin/branch/due").await.status, status, "{role}");
    }
    // Member names (a member who is no cadre) never reach a TV page.
    let mut tv = app.client().await;
    for path in [
        "/tv/v/gengjing",
        "/tv/v/gengjing/party",
        "/tv/v/gengjing/roster",
        "/tv/v/gengjing/office",
    ] {
        let res = tv.get(path).await;
        res.assert_status(200);
        assert!(!res.body.contains("耿长河"), "{path} names a party member");
        assert!(
            !res.body.contains("外出务工"),
            "{path} shows an absentee's reason"
        );
    }
}
