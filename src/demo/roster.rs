//! The demo's village cadres and office duty: gengjing and chenzhuang with
//! cadres, a weekly pattern, a leave with a substitute and a substitute,
//! and 4 weeks of sign-ins (some late, one absent day each), all dated
//! relative to the day the demo loads.

use chrono::{Duration, FixedOffset, NaiveDate};
use diesel::prelude::*;

use crate::access::Actor;
use crate::db::schema::duty_signins;
use crate::db::DbConn;
use crate::error::AppResult;
use crate::places;
use crate::roster::cadres::{self, CadreForm};
use crate::roster::day_str;
use crate::roster::duty::{self, ChangeForm, ShiftForm};
use crate::roster::office::{self, OfficeForm};
use crate::users;

/// (name, post, phone, duty phone, username signing in)
type DemoCadre = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
);

const VILLAGES: [(&str, &str, &[DemoCadre]); 2] = [
    (
        "gengjing",
        "0546-8221000",
        &[
            ("耿志强", "党支部书记", "13805461101", "0546-8221001", None),
            ("李秀兰", "村委会主任", "13805461102", "0546-8221002", None),
            (
                "王建军",
                "村务监督委员会主任",
                "13805461103",
                "",
                Some("jiandu"),
            ),
            ("赵丽", "文书", "13805461104", "", Some("clerk")),
        ],
    ),
    (
        "chenzhuang",
        "0546-8232000",
        &[
            ("陈国栋", "党支部书记", "13905462201", "0546-8232001", None),
            ("陈玉梅", "村委会主任", "13905462202", "", None),
            ("刘海", "文书", "13905462203", "", Some("clerk2")),
        ],
    ),
];

/// Adds the roster of the two villages that have none yet; returns how many got one.
pub fn load(conn: &mut DbConn, actor: &Actor, offset: FixedOffset) -> AppResult<usize> {
    let now = crate::time::now();
    let today = crate::time::to_local(now, offset).date_naive();
    let mut added = 0;
    for (i, (code, phone, people)) in VILLAGES.iter().enumerate() {
        let village = places::village_by_code(conn, code)?;
        if !cadres::of_village(conn, village.id)?.is_empty() {
            continue;
        }
        office::save(
            conn,
            actor,
            village.id,
            &OfficeForm {
                hours: "08:30-12:00, 14:30-18:00".into(),
                phone: phone.to_string(),
                absent_after: "09:30".into(),
            },
        )?;
        let mut ids = Vec::new();
        for (n, (name, post, mobile, duty_phone, username)) in people.iter().enumerate() {
            let user_id = match username {
                Some(u) => users::find_by_username(conn, u)?.map(|u| u.id),
                None => None,
            };
            let c = cadres::create(
                conn,
                actor,
                &CadreForm {
                    village_id: Some(village.id),
                    name: name.to_string(),
                    post: post.to_string(),
                    phone: mobile.to_string(),
                    duty_phone: duty_phone.to_string(),
                    user_id,
                    photo_id: None,
                    position: (n + 1).to_string(),
                    active: Some("on".into()),
                },
            )?;
            ids.push(c.id);
        }
        // Each weekday one cadre in the office; weekends one on call.
        for weekday in 1..=7i32 {
            let cadre = ids[(weekday as usize + i) % ids.len()];
            duty::add_shift(
                conn,
                actor,
                village.id,
                &ShiftForm {
                    weekday: weekday.to_string(),
                    cadre_id: Some(cadre),
                    starts: "08:30".into(),
                    ends: "18:00".into(),
                },
            )?;
        }
        // gengjing: a leave on the next workday, with a substitute.
        // chenzhuang: a substitute last week.
        let (day, reason, kind) = if i == 0 {
            (
                next_workday(conn, village.id, today + Duration::days(1))?,
                "到镇上参加培训",
                "leave",
            )
        } else {
            (
                next_workday(conn, village.id, today - Duration::days(7))?,
                "家中有事",
                "substitute",
            )
        };
        if let Some(day) = day {
            let roster = duty::day(conn, village.id, day)?;
            if let Some(d) = roster.duties.first() {
                let other = ids.iter().copied().find(|id| *id != d.cadre_id);
                duty::add_change(
                    conn,
                    actor,
                    village.id,
                    &ChangeForm {
                        kind: kind.into(),
                        day: day_str(day),
                        cadre_id: Some(d.cadre_id),
                        other_cadre_id: other,
                        other_day: String::new(),
                        reason: reason.into(),
                    },
                )?;
            }
        }
        signins(conn, village.id, i, today, now, offset)?;
        added += 1;
    }
    Ok(added)
}

fn next_workday(
    conn: &mut DbConn,
    village_id: i64,
    from: NaiveDate,
) -> AppResult<Option<NaiveDate>> {
    let rosters = duty::days(conn, village_id, from, from + Duration::days(14))?;
    Ok(rosters
        .into_iter()
        .find(|r| r.kind.is_workday() && !r.duties.is_empty())
        .map(|r| r.day))
}

/// 4 weeks of sign-ins and sign-outs: mostly on time, every fifth workday
/// late, one workday missed; today gengjing's cadre signed in at 08:12
/// (when it is past that), chenzhuang's not yet.
fn signins(
    conn: &mut DbConn,
    village_id: i64,
    nth: usize,
    today: NaiveDate,
    now: chrono::NaiveDateTime,
    offset: FixedOffset,
) -> AppResult<()> {
    let rosters = duty::days(conn, village_id, today - Duration::days(28), today)?;
    let mut rows = Vec::new();
    let mut workday = 0usize;
    for r in rosters.iter().filter(|r| r.kind.is_workday()) {
        workday += 1;
        if r.day == today && nth == 1 {
            continue;
        }
        // One missed workday, about two weeks ago.
        if workday == 10 + nth {
            continue;
        }
        let Some(d) = r.duties.first() else { continue };
        let arrive = if workday % 5 == 3 {
            d.starts + 14
        } else {
            d.starts - 18 + (workday as i32 % 7)
        };
        let arrive = if r.day == today {
            d.starts - 18
        } else {
            arrive
        };
        for (kind, minute) in [("in", arrive), ("out", d.ends + 3)] {
            let at =
                crate::time::local_day_start(r.day, offset) + Duration::minutes(i64::from(minute));
            if at > now {
                continue;
            }
            rows.push((
                duty_signins::village_id.eq(village_id),
                duty_signins::cadre_id.eq(d.cadre_id),
                duty_signins::day.eq(day_str(r.day)),
                duty_signins::kind.eq(kind),
                duty_signins::at.eq(at),
            ));
        }
    }
    crate::db::write(conn, |conn| {
        // One row at a time: MultiConnection has no batch insert.
        for row in &rows {
            diesel::insert_into(duty_signins::table)
                .values(row.clone())
                .execute(conn)?;
        }
        crate::changes::touch(conn, village_id)?;
        Ok::<_, crate::error::AppError>(())
    })
}

/// (name, probationary?, committee?)
type DemoMember = (&'static str, bool, bool);

/// Each village's branch members.
const BRANCHES: [(&str, &[DemoMember]); 2] = [
    (
        "gengjing",
        &[
            ("耿志强", false, true),
            ("李秀兰", false, true),
            ("王建军", false, true),
            ("耿长河", false, false),
            ("耿玉芬", false, false),
            ("张德胜", false, false),
            ("刘春燕", false, false),
            ("耿小军", true, false),
        ],
    ),
    (
        "chenzhuang",
        &[
            ("陈国栋", false, true),
            ("陈玉梅", false, true),
            ("刘海", false, true),
            ("陈老三", false, false),
            ("陈桂英", false, false),
            ("陈磊", true, false),
        ],
    ),
];

/// Party members and 12 months of meeting records; chenzhuang held no 党课,
/// so it shows as overdue. The township confirmed all but this month's
/// records (so TVs show 组织生活 and the review desk has some waiting);
/// each 主题党日 has a photo.
pub fn load_branches(conn: &mut DbConn, actor: &Actor, offset: FixedOffset) -> AppResult<usize> {
    use crate::roster::branch::{self, MemberForm};
    use crate::roster::meetings::{self, MeetingForm};
    use chrono::Datelike;
    let now = crate::time::now();
    let today = crate::time::to_local(now, offset).date_naive();
    let mut added = 0;
    for (code, people) in BRANCHES {
        let village = places::village_by_code(conn, code)?;
        if !branch::of_village(conn, village.id)?.is_empty() {
            continue;
        }
        for (name, probationary, committee) in people {
            branch::add(
                conn,
                actor,
                village.id,
                &MemberForm {
                    name: name.to_string(),
                    status: if *probationary {
                        "probationary"
                    } else {
                        "formal"
                    }
                    .into(),
                    voting: (!probationary).then(|| "on".into()),
                    committee: committee.then(|| "on".into()),
                },
            )?;
        }
        let members = branch::of_village(conn, village.id)?;
        // The size TVs show it at: every test loads the demo.
        let photo = crate::media::ingest(
            conn,
            actor,
            village.id,
            "主题党日.jpg",
            &super::articles::harvest_photo(360, 203, 2)?,
        )?;
        // Everyone but the last formal member, away for work.
        let away = members.iter().rev().find(|m| m.voting).map(|m| m.id);
        let present: Vec<String> = members
            .iter()
            .filter(|m| Some(m.id) != away)
            .map(|m| m.id.to_string())
            .collect();
        // This month's records (last month's before the 10th) wait for the township.
        let newest = u32::from(today.day() < 10);
        for back in (0..12u32).rev() {
            let (mut y, mut m) = (today.year(), today.month() as i32 - back as i32);
            while m < 1 {
                m += 12;
                y -= 1;
            }
            let Some(day) = NaiveDate::from_ymd_opt(y, m as u32, 10).filter(|d| *d <= today) else {
                continue;
            };
            let quarter_end = m % 3 == 0;
            let mut kinds = vec![
                ("committee", "研究本月村务工作"),
                ("group", "学习传达上级精神"),
                ("theme_day", "清洁家园志愿服务"),
            ];
            if quarter_end {
                kinds.push(("congress", "通报季度工作，讨论发展党员"));
                if code == "gengjing" {
                    kinds.push(("lecture", "书记讲乡村振兴与基层治理"));
                }
            }
            if back == 10 {
                kinds.push(("life", "开展批评与自我批评，查摆问题"));
            }
            for (kind, topic) in kinds {
                let mut reasons = std::collections::HashMap::new();
                if let Some(a) = away {
                    reasons.insert(a.to_string(), "外出务工".to_string());
                }
                let record = meetings::record(
                    conn,
                    actor,
                    village.id,
                    &MeetingForm {
                        kind: kind.into(),
                        held_on: day_str(day),
                        place: "村党群服务中心".into(),
                        host: people[0].0.into(),
                        recorder: people[2].0.into(),
                        topics: topic.into(),
                        minutes: format!("<p>{topic}。与会党员逐一发言，形成一致意见。</p>"),
                        photos: if kind == "theme_day" {
                            vec![photo.id.to_string()]
                        } else {
                            Vec::new()
                        },
                        present: present.clone(),
                        reasons,
                    },
                    now,
                    offset,
                )?;
                if back > newest {
                    crate::roster::life::confirm(conn, actor, record.id, now)?;
                }
            }
        }
        added += 1;
    }
    Ok(added)
}
