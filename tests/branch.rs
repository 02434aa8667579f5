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
    // A 10 MB body is over the request limit: not read, a message beside
    // the minutes field (not a 413 page).
    let mut f = send(base("lecture", day(today)));
    f.retain(|(k, _)| *k != "minutes");
    f.push(("minutes", "x".repeat(10 * 1024 * 1024)));
    let refs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = c.submit(&page, &action, &refs).await;
    res.assert_field_error("会议记录太长");
    // Beside the minutes field, in the form the rich editor edits.
    let at = res.body.find("会议记录太长").expect("message");
    let editor = res.body.find("id=\"minutes\"").expect("minutes field");
    assert!(
        editor > at && editor - at < 600,
        "the message sits by the field"
    );
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
            photos: Vec::new(),
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
        "/tv/v/gengjing/party?cat=life",
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

/// A small JPEG for a meeting's photo.
fn photo_bytes() -> Vec<u8> {
    let img = image::RgbImage::from_fn(400, 300, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Jpeg)
        .expect("jpeg");
    out.into_inner()
}

#[actix_web::test]
async fn the_tv_shows_a_meeting_only_after_the_township_confirms_it_and_never_names() {
    let app = TestApp::demo();
    let gengjing = app.place_id("gengjing");
    let actor = app.system_actor();
    let members = branch::of_village(&mut app.conn(), gengjing).expect("members");
    let absent = &members[0];
    let photo = village_portal::media::ingest(
        &mut app.conn(),
        &actor,
        gengjing,
        "党课.jpg",
        &photo_bytes(),
    )
    .expect("photo");
    // A second photo, the sign-in sheet: it names people, so it stays off air.
    let sheet = village_portal::media::ingest(
        &mut app.conn(),
        &actor,
        gengjing,
        "签到表.jpg",
        &photo_bytes(),
    )
    .expect("photo");
    let offset = FixedOffset::east_opt(8 * 3600).expect("offset");
    let now = village_portal::time::now();
    let today = village_portal::time::to_local(now, offset).date_naive();
    let mut reasons = std::collections::HashMap::new();
    reasons.insert(absent.id.to_string(), "赴县城探亲".to_string());
    let meeting = meetings::record(
        &mut app.conn(),
        &actor,
        gengjing,
        &MeetingForm {
            kind: "lecture".into(),
            held_on: today.format("%Y-%m-%d").to_string(),
            place: "村党群服务中心".into(),
            host: "耿志强".into(),
            recorder: "王建军".into(),
            topics: "学习新修订的村规民约".into(),
            minutes: "<p>会议记录之机密细节</p>".into(),
            photos: vec![photo.id.to_string(), sheet.id.to_string()],
            present: members.iter().skip(1).map(|m| m.id.to_string()).collect(),
            reasons,
        },
        now,
        offset,
    )
    .expect("recorded");
    let list = "/tv/v/gengjing/party?cat=life";
    let detail = format!("/tv/v/gengjing/life/{}", meeting.id);
    let picture = format!("/media/{}/tile", photo.id);
    let mut tv = app.client().await;
    // Before confirmation (and kept in the page cache): neither listed nor
    // open. The 全部 tab, kept first, is a page of its own.
    tv.get("/tv/v/gengjing/party").await.assert_status(200);
    let before = tv.get(list).await;
    before
        .assert_status(200)
        .assert_contains("class=\"tab on\" href=\"/tv/v/gengjing/party?cat=life\"");
    assert!(!before.body.contains("学习新修订的村规民约"));
    assert_eq!(tv.get(&detail).await.status, 404);
    assert_eq!(
        tv.get(&picture).await.status,
        404,
        "the photo is not public yet"
    );

    // The clerk cannot confirm; the official finds it on the review desk.
    let confirm = format!("/admin/branch/meetings/{}/confirm", meeting.id);
    let mut clerk = app.client().await;
    clerk.login_as("clerk").await;
    assert_eq!(clerk.post_signed(&confirm, &[]).await.status, 403);
    let mut official = app.client().await;
    official.login_as("official").await;
    let desk = official.get("/admin/review").await;
    desk.assert_status(200)
        .assert_contains("待确认的组织生活记录")
        .assert_contains(&format!("/admin/branch/meetings/{}", meeting.id));
    let record = format!("/admin/branch/meetings/{}", meeting.id);
    official
        .get(&record)
        .await
        .assert_status(200)
        .assert_contains("确认这条记录")
        .assert_contains("会议记录之机密细节")
        .assert_contains("赴县城探亲");
    assert_eq!(official.submit(&record, &confirm, &[]).await.status, 303);
    assert_eq!(
        official.post_signed(&confirm, &[]).await.status,
        409,
        "confirmed once"
    );
    let audited = app.audit("meeting.confirm");
    assert!(audited.iter().any(|e| e.target_id == Some(meeting.id)));
    assert!(!official
        .get("/admin/review")
        .await
        .body
        .contains(&format!("/admin/branch/meetings/{}\"", meeting.id)));

    // Now the TV lists it (the cached page was dropped) and opens it with
    // its photo, and shows no minutes, no absentee and no member's name.
    let after = tv.get(list).await;
    after
        .assert_status(200)
        .assert_contains("学习新修订的村规民约")
        .assert_contains(&detail);
    let page = tv.get(&detail).await;
    page.assert_status(200)
        .assert_contains("党课")
        .assert_contains("学习新修订的村规民约")
        .assert_contains(&format!("实到 {} 人", members.len() - 1))
        .assert_contains(&picture);
    assert_eq!(
        tv.get(&picture).await.status,
        200,
        "the photo is public now"
    );
    assert_eq!(
        tv.get(&format!("/media/{}/tile", sheet.id)).await.status,
        404,
        "only the cover goes on air"
    );
    assert!(!page.body.contains(&format!("/media/{}/", sheet.id)));
    for res in [&after, &page] {
        for secret in [
            "会议记录之机密细节",
            "赴县城探亲",
            "外出务工",
            "村党群服务中心",
        ] {
            assert!(!res.body.contains(secret), "the TV shows {secret}");
        }
        for m in &members {
            assert!(!res.body.contains(&m.name), "the TV names {}", m.name);
        }
    }
    crate::tv::assert_tv_rules(&mut tv, &after, list, "/tv/v/gengjing").await;
    crate::tv::assert_tv_rules(&mut tv, &page, &detail, "/tv/v/gengjing").await;
    // Another village's address does not open it.
    assert_eq!(
        tv.get(&format!("/tv/v/chenzhuang/life/{}", meeting.id))
            .await
            .status,
        404
    );
}

#[actix_web::test]
async fn members_and_meetings_are_edited_and_deleted_by_their_keepers_only() {
    let app = TestApp::demo();
    let gengjing = app.place_id("gengjing");
    let members = branch::of_village(&mut app.conn(), gengjing).expect("members");
    let member = &members[1];
    let mut clerk = app.client().await;
    clerk.login_as("clerk").await;
    let mut other = app.client().await;
    other.login_as("clerk2").await;
    let page = format!("/admin/branch/members/{}", member.id);
    assert_eq!(
        other.get(&page).await.status,
        403,
        "another village's clerk"
    );
    clerk
        .get(&page)
        .await
        .assert_status(200)
        .assert_contains(&member.name);
    // Bad input: beside the field, nothing changed.
    clerk
        .submit(&page, &page, &[("name", " "), ("status", "formal")])
        .await
        .assert_field_error("请填写姓名");
    clerk
        .submit(
            &page,
            &page,
            &[
                ("name", "改名党员"),
                ("status", "probationary"),
                ("voting", "on"),
            ],
        )
        .await
        .assert_field_error("预备党员没有表决权");
    let unchanged = branch::get(&mut app.conn(), member.id).expect("member");
    assert_eq!(unchanged.name, member.name);
    assert_eq!(unchanged.status, member.status);
    assert_eq!(
        clerk
            .submit(
                &page,
                &page,
                &[("name", "改名党员"), ("status", "probationary")]
            )
            .await
            .status,
        303
    );
    let changed = branch::get(&mut app.conn(), member.id).expect("member");
    assert_eq!((changed.name.as_str(), changed.voting), ("改名党员", false));
    let updates = app.audit("party_member.update");
    let entry = updates.last().expect("audited");
    assert!(
        !entry.summary.contains("改名党员"),
        "the audit names no member"
    );
    // Taken off the roster: no longer among the members.
    let remove = format!("/admin/branch/members/{}/remove", member.id);
    assert_eq!(other.post_signed(&remove, &[]).await.status, 403);
    assert_eq!(clerk.post_signed(&remove, &[]).await.status, 303);
    let now: Vec<i64> = branch::of_village(&mut app.conn(), gengjing)
        .expect("members")
        .iter()
        .map(|m| m.id)
        .collect();
    assert!(!now.contains(&member.id));
    assert_eq!(app.audit("party_member.remove").len(), 1);
    // Once removed, neither a second removal nor an edit goes through.
    let again = clerk.post_signed(&remove, &[]).await;
    assert_eq!(again.status, 409);
    assert!(again.body.contains("已移出名册"), "{}", again.body);
    let edit_removed = clerk
        .post_signed(&page, &[("name", "又改名"), ("status", "formal")])
        .await;
    assert_eq!(edit_removed.status, 409);
    assert_eq!(app.audit("party_member.remove").len(), 1);
    assert_eq!(app.audit("party_member.update").len(), updates.len());
    let still = branch::get(&mut app.conn(), member.id).expect("member");
    assert_eq!(still.name, "改名党员");

    // A confirmed demo meeting: a bad edit changes nothing; a good one sends
    // it back to the township, off the TV.
    let confirmed: i64 = branch_meetings::table
        .filter(branch_meetings::village_id.eq(gengjing))
        .filter(branch_meetings::kind.eq("group"))
        .filter(branch_meetings::confirmed_at.is_not_null())
        .select(branch_meetings::id)
        .first(&mut *app.conn())
        .expect("a confirmed meeting");
    // The record keeps its own roster: the member removed above is still on
    // its form (marked as removed), one who joined since is not, and saving
    // it keeps 应到 as it was.
    let expected_before: i32 = branch_meetings::table
        .find(confirmed)
        .select(branch_meetings::expected)
        .first(&mut *app.conn())
        .expect("meeting");
    assert_eq!(
        clerk
            .submit(
                "/admin/branch",
                &format!("/admin/branch/{gengjing}/members"),
                &[("name", "新入党员"), ("status", "probationary")],
            )
            .await
            .status,
        303
    );
    let newcomer = branch::of_village(&mut app.conn(), gengjing)
        .expect("members")
        .into_iter()
        .find(|m| m.name == "新入党员")
        .expect("added");
    let tv_page = format!("/tv/v/gengjing/life/{confirmed}");
    let mut tv = app.client().await;
    tv.get(&tv_page).await.assert_status(200);
    let edit = format!("/admin/branch/meetings/{confirmed}/edit");
    assert_eq!(other.get(&edit).await.status, 403);
    let form = clerk.get(&edit).await;
    form.assert_status(200).assert_contains("data-editor");
    form.assert_contains("改名党员")
        .assert_contains("已移出名册")
        .assert_contains("id=\"photo-picker\"");
    assert!(
        !form
            .body
            .contains(&format!("name=\"reason_{}\"", newcomer.id)),
        "a member who joined later is not on an old record's form"
    );

    let fields = |day: &str| -> Vec<(&'static str, String)> {
        vec![
            ("kind", "group".into()),
            ("held_on", day.to_string()),
            ("place", "村党群服务中心".into()),
            ("host", "耿志强".into()),
            ("recorder", "王建军".into()),
            ("topics", "改过的议题".into()),
            (
                "minutes",
                "<p>改过的记录</p><script>alert(1)</script>".into(),
            ),
            ("photo_id", "999999".into()),
        ]
    };
    let bad = fields("2099-01-01");
    let bad: Vec<(&str, &str)> = bad.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = clerk.submit(&edit, &edit, &bad).await;
    res.assert_field_error("不能晚于今天");
    res.assert_field_error("本村图片库");
    let before: (String, bool) = branch_meetings::table
        .find(confirmed)
        .select((
            branch_meetings::topics,
            branch_meetings::confirmed_at.is_not_null(),
        ))
        .first(&mut *app.conn())
        .expect("meeting");
    assert!(before.1, "a refused edit leaves it confirmed");
    assert_ne!(before.0, "改过的议题");
    let mut good = fields("2026-01-05");
    good.retain(|(k, _)| *k != "photo_id");
    let good: Vec<(&str, &str)> = good.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(clerk.submit(&edit, &edit, &good).await.status, 303);
    let (topics, minutes, is_confirmed): (String, String, bool) = branch_meetings::table
        .find(confirmed)
        .select((
            branch_meetings::topics,
            branch_meetings::minutes,
            branch_meetings::confirmed_at.is_not_null(),
        ))
        .first(&mut *app.conn())
        .expect("meeting");
    assert_eq!(topics, "改过的议题");
    assert!(
        minutes.contains("改过的记录") && !minutes.contains("script"),
        "{minutes}"
    );
    assert!(!is_confirmed, "edited: the township confirms it again");
    let (expected_after, rows): (i32, i64) = (
        branch_meetings::table
            .find(confirmed)
            .select(branch_meetings::expected)
            .first(&mut *app.conn())
            .expect("meeting"),
        meeting_attendance::table
            .filter(meeting_attendance::meeting_id.eq(confirmed))
            .filter(meeting_attendance::member_id.eq(member.id))
            .count()
            .get_result(&mut *app.conn())
            .expect("count"),
    );
    assert_eq!(expected_after, expected_before, "应到 is the record's own");
    assert_eq!(rows, 1, "the removed member's attendance is kept");
    // Marking the newcomer present at the old meeting is refused.
    let mut late = fields("2026-01-05");
    late.retain(|(k, _)| *k != "photo_id");
    late.push(("present", newcomer.id.to_string()));
    let late: Vec<(&str, &str)> = late.iter().map(|(k, v)| (*k, v.as_str())).collect();
    clerk
        .submit(&edit, &edit, &late)
        .await
        .assert_field_error("出席人员须是本支部党员名册中的党员");

    assert_eq!(
        tv.get(&tv_page).await.status,
        404,
        "off the TV until confirmed"
    );
    assert_eq!(app.audit("meeting.update").len(), 1);
    // Deleted, attendance and all.
    let delete = format!("/admin/branch/meetings/{confirmed}/delete");
    assert_eq!(other.post_signed(&delete, &[]).await.status, 403);
    assert_eq!(clerk.post_signed(&delete, &[]).await.status, 303);
    let left: i64 = meeting_attendance::table
        .filter(meeting_attendance::meeting_id.eq(confirmed))
        .count()
        .get_result(&mut *app.conn())
        .expect("count");
    assert_eq!(left, 0);
    assert_eq!(
        clerk
            .get(&format!("/admin/branch/meetings/{confirmed}"))
            .await
            .status,
        404
    );
    assert_eq!(app.audit("meeting.delete").len(), 1);
}

#[actix_web::test]
async fn meeting_and_cadre_forms_offer_the_villages_own_photos_to_pick() {
    let app = TestApp::demo();
    let actor = app.system_actor();
    let (gengjing, chenzhuang) = (app.place_id("gengjing"), app.place_id("chenzhuang"));
    let ingest = |place: i64, name: &str| {
        village_portal::media::ingest(&mut app.conn(), &actor, place, name, &photo_bytes())
            .expect("photo")
    };
    let ours = ingest(gengjing, "支部活动.jpg");
    let theirs = ingest(chenzhuang, "别村活动.jpg");
    let choice = |id: i64| format!("name=\"photo_id\" value=\"{id}\"");
    let mut clerk = app.client().await;
    clerk.login_as("clerk").await;
    for page in [
        format!("/admin/branch?village={gengjing}"),
        format!("/admin/roster/cadres/new?village={gengjing}"),
    ] {
        let res = clerk.get(&page).await;
        res.assert_status(200)
            .assert_contains("id=\"photo-picker\"")
            .assert_contains(&choice(ours.id))
            .assert_contains("支部活动.jpg");
        assert!(
            !res.body.contains(&choice(theirs.id)),
            "{page} offers another village's photo"
        );
        assert!(
            !res.body.contains(" checked><img"),
            "{page}: a photo is chosen"
        );
    }
    // A cadre has one photo (radio buttons, 不附照片 chosen); a meeting
    // several (checkboxes).
    clerk
        .get(&format!("/admin/roster/cadres/new?village={gengjing}"))
        .await
        .assert_contains("type=\"radio\" name=\"photo_id\" value=\"\" checked");
    clerk
        .get(&format!("/admin/branch?village={gengjing}"))
        .await
        .assert_contains(&format!("type=\"checkbox\" {}", choice(ours.id)));
    // A meeting's edit form has its own photo chosen.
    let meeting: i64 = branch_meetings::table
        .filter(branch_meetings::village_id.eq(gengjing))
        .select(branch_meetings::id)
        .first(&mut *app.conn())
        .expect("a meeting");
    let edit = format!("/admin/branch/meetings/{meeting}/edit");
    let form = clerk.get(&edit).await;
    form.assert_status(200);
    // Two photos, the older one first: it is the cover, the TV's picture.
    let older = ingest(gengjing, "签到表.jpg");
    let newer = ingest(gengjing, "会场.jpg");
    let stored = meetings::editing(&mut app.conn(), &actor, meeting)
        .expect("the record")
        .stored;
    let mut fields: Vec<(String, String)> = vec![
        ("kind".into(), stored.kind.clone()),
        ("held_on".into(), stored.held_on.clone()),
        ("place".into(), stored.place.clone()),
        ("host".into(), stored.host.clone()),
        ("recorder".into(), stored.recorder.clone()),
        ("topics".into(), stored.topics.clone()),
        ("minutes".into(), stored.minutes.clone()),
    ];
    fields.extend(
        stored
            .present
            .iter()
            .map(|p| ("present".to_string(), p.clone())),
    );
    fields.push(("photo_id".into(), older.id.to_string()));
    fields.push(("photo_id".into(), newer.id.to_string()));
    let refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(clerk.submit(&edit, &edit, &refs).await.status, 303);
    let cover: Option<i64> = branch_meetings::table
        .find(meeting)
        .select(branch_meetings::photo_id)
        .first(&mut *app.conn())
        .expect("meeting");
    assert_eq!(cover, Some(older.id));
    assert_eq!(
        meetings::photos_of(&mut app.conn(), meeting).expect("photos"),
        vec![older.id, newer.id]
    );
    // The record's page shows both; its edit form has both ticked, in order.
    let page = clerk
        .get(&format!("/admin/branch/meetings/{meeting}"))
        .await;
    page.assert_contains(&format!("/media/{}/tile", older.token))
        .assert_contains(&format!("/media/{}/tile", newer.token));
    let again = clerk.get(&edit).await;
    let (a, b) = (
        again.body.find(&format!("{} checked", choice(older.id))),
        again.body.find(&format!("{} checked", choice(newer.id))),
    );
    assert!(a.is_some() && b.is_some() && a < b, "{a:?} {b:?}");
    // Seven photos are too many: beside the field, nothing changed.
    let mut seven = fields.clone();
    seven.retain(|(k, _)| k != "photo_id");
    for n in 0..7 {
        let p = ingest(gengjing, &format!("照片{n}.jpg"));
        seven.push(("photo_id".into(), p.id.to_string()));
    }
    let refs: Vec<(&str, &str)> = seven
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    clerk
        .submit(&edit, &edit, &refs)
        .await
        .assert_field_error("最多附 6 张照片");
    assert_eq!(
        meetings::photos_of(&mut app.conn(), meeting).expect("photos"),
        vec![older.id, newer.id]
    );
}
