//! Publishing and review over HTTP: clerks write, officials approve, nothing
//! reaches a TV (or the API) unreviewed.

use diesel::prelude::*;
use village_portal::db::schema::{article_revisions, articles};

use crate::util::{Resp, TestApp};

/// The fields of a simple village notice; `extra` overrides or adds fields.
fn notice<'a>(title: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut f = vec![
        ("section", "notices"),
        ("scope", "village"),
        ("title", title),
        (
            "body",
            "<p>各位村民：</p><table><tr><th>时间</th><th>地点</th></tr><tr><td>周六上午</td><td>村委会</td></tr></table>",
        ),
    ];
    for (k, v) in extra {
        f.retain(|(key, _)| key != k);
        f.push((k, v));
    }
    f
}

/// The id of the article a create or save redirected to.
fn created_id(res: &Resp) -> i64 {
    assert_eq!(res.status, 303, "not created:\n{}", res.body);
    let to = res.location().expect("location");
    to.trim_start_matches("/admin/articles/")
        .split('?')
        .next()
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("unexpected redirect {to}"))
}

fn version(app: &TestApp, id: i64) -> String {
    articles::table
        .find(id)
        .select(articles::version)
        .first::<i32>(&mut *app.conn())
        .expect("article")
        .to_string()
}

fn count_articles(app: &TestApp) -> i64 {
    articles::table
        .count()
        .get_result(&mut *app.conn())
        .expect("count")
}

async fn tv_list(app: &TestApp, village: &str, section: &str) -> String {
    let mut tv = app.client().await;
    let res = tv.get(&format!("/tv/v/{village}/{section}")).await;
    res.assert_status(200);
    res.body
}

async fn api_titles(app: &TestApp, village: &str) -> Vec<String> {
    let mut c = app.client().await;
    let res = c
        .get(&format!("/api/v1/villages/{village}/articles?per_page=100"))
        .await;
    res.assert_status(200);
    res.json()["articles"]
        .as_array()
        .expect("articles")
        .iter()
        .map(|a| a["title"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[actix_web::test]
async fn the_whole_story_write_reject_fix_approve() {
    let app = TestApp::demo();
    let title = "关于周六召开村民大会的通知";
    let mut clerk = app.client().await;
    clerk.login_as("clerk").await;
    let id = created_id(
        &clerk
            .submit(
                "/admin/articles/new",
                "/admin/articles/new",
                &notice(title, &[]),
            )
            .await,
    );
    let v = version(&app, id);
    clerk
        .submit(
            &format!("/admin/articles/{id}"),
            &format!("/admin/articles/{id}/submit"),
            &[("version", &v)],
        )
        .await
        .assert_status(303);
    // Pending: not on TV, not in the API.
    assert!(!tv_list(&app, "gengjing", "notices").await.contains(title));
    assert!(!api_titles(&app, "gengjing")
        .await
        .contains(&title.to_string()));

    let mut official = app.client().await;
    official.login_as("official").await;
    let desk = official.get("/admin").await;
    desk.assert_status(200)
        .assert_contains("待审核")
        .assert_contains(title);
    // The preview is the TV page itself.
    official
        .get(&format!("/admin/articles/{id}/tv"))
        .await
        .assert_status(200)
        .assert_contains("page-view-size")
        .assert_contains("周六上午");
    let v = version(&app, id);
    official
        .submit(
            &format!("/admin/articles/{id}/review"),
            &format!("/admin/articles/{id}/reject"),
            &[("version", &v), ("reason", "请写明开会的具体时间")],
        )
        .await
        .assert_status(303);
    clerk
        .get("/admin")
        .await
        .assert_contains("请写明开会的具体时间");
    assert!(!tv_list(&app, "gengjing", "notices").await.contains(title));

    // The clerk fixes and resubmits; the rejected revision stays in history.
    let v = version(&app, id);
    let fixed = notice(
        title,
        &[
            ("body", "<p>本周六上午九点在村委会召开村民大会。</p>"),
            ("version", &v),
        ],
    );
    clerk
        .submit(
            &format!("/admin/articles/{id}"),
            &format!("/admin/articles/{id}"),
            &fixed,
        )
        .await
        .assert_status(303);
    let v = version(&app, id);
    clerk
        .submit(
            &format!("/admin/articles/{id}"),
            &format!("/admin/articles/{id}/submit"),
            &[("version", &v)],
        )
        .await
        .assert_status(303);
    let v = version(&app, id);
    official
        .submit(
            &format!("/admin/articles/{id}/review"),
            &format!("/admin/articles/{id}/approve"),
            &[("version", &v)],
        )
        .await
        .assert_status(303);

    assert!(tv_list(&app, "gengjing", "notices").await.contains(title));
    assert!(api_titles(&app, "gengjing")
        .await
        .contains(&title.to_string()));
    let mut tv = app.client().await;
    tv.get(&format!("/tv/v/gengjing/a/{id}"))
        .await
        .assert_status(200)
        .assert_contains("九点");
    // Another village's TVs do not show gengjing's village notice.
    assert!(!tv_list(&app, "chenzhuang", "notices").await.contains(title));
    tv.get(&format!("/tv/v/chenzhuang/a/{id}"))
        .await
        .assert_status(404);
    let history = clerk.get(&format!("/admin/articles/{id}/history")).await;
    history
        .assert_status(200)
        .assert_contains("请写明开会的具体时间")
        .assert_contains("第 2 版");
    for action in [
        "article.create",
        "article.submit",
        "article.reject",
        "article.update",
        "article.approve",
    ] {
        assert!(!app.audit(action).is_empty(), "no audit row {action}");
    }
}

#[actix_web::test]
async fn bad_input_gets_a_message_beside_the_field_and_stores_nothing() {
    let app = TestApp::demo();
    let mut clerk = app.client().await;
    clerk.login_as("clerk").await;
    let before = count_articles(&app);
    let long_title = "题".repeat(61);
    let big_body = format!("<p>{}</p>", "字".repeat(100 * 1024));
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (notice("", &[]), "请填写标题"),
        (notice(&long_title, &[]), "最多 60 个字"),
        (notice("正文太长", &[("body", &big_body)]), "正文太长"),
        (
            notice(
                "时间",
                &[
                    ("publish_at", "2026-12-10T08:00"),
                    ("expire_at", "2026-12-01T08:00"),
                ],
            ),
            "下线时间必须晚于发布时间",
        ),
        (notice("格式", &[("publish_at", "2026/12/10")]), "时间格式"),
        (notice("栏目", &[("section", "gossip")]), "请选择栏目"),
        (notice("范围", &[("scope", "world")]), "请选择发布范围"),
        (
            notice("乡镇", &[("scope", "township")]),
            "村文书只能发布本村的内容",
        ),
    ];
    for (fields, message) in cases {
        let res = clerk
            .submit("/admin/articles/new", "/admin/articles/new", &fields)
            .await;
        res.assert_status(400)
            .assert_contains("class=\"error\"")
            .assert_contains(message);
    }
    assert_eq!(count_articles(&app), before);
}

#[actix_web::test]
async fn scripts_never_reach_the_tv() {
    let app = TestApp::demo();
    let mut official = app.client().await;
    official.login_as("official").await;
    let body = "<p onclick=\"alert(1)\" style=\"color:red\">通知</p><script>alert(1)</script><img src=x onerror=alert(1)><a href=\"javascript:alert(1)\">点这里</a><iframe src=\"//evil\"></iframe>";
    let fields = notice("乡镇通知", &[("scope", "township"), ("body", body)]);
    let id = created_id(
        &official
            .submit("/admin/articles/new", "/admin/articles/new", &fields)
            .await,
    );
    let v = version(&app, id);
    // Township content by an official is published directly.
    official
        .submit(
            &format!("/admin/articles/{id}"),
            &format!("/admin/articles/{id}/submit"),
            &[("version", &v)],
        )
        .await
        .assert_status(303);
    let mut tv = app.client().await;
    let page = tv.get(&format!("/tv/v/chenzhuang/a/{id}")).await;
    page.assert_status(200).assert_contains("通知");
    let lower = page.body.to_lowercase();
    let start = lower.find("class=\"abody\"").expect("body");
    let main = &lower[start..start + lower[start..].find("</div>").expect("end of body")];
    for bad in [
        "<script",
        "onclick",
        "onerror",
        "javascript:",
        "<iframe",
        "style=\"color",
    ] {
        assert!(!main.contains(bad), "{bad} reached the TV:\n{main}");
    }
}

#[actix_web::test]
async fn clerks_cannot_review_or_touch_other_villages() {
    let app = TestApp::demo();
    let mut clerk = app.client().await;
    clerk.login_as("clerk").await;
    let id = created_id(
        &clerk
            .submit(
                "/admin/articles/new",
                "/admin/articles/new",
                &notice("本村通知", &[]),
            )
            .await,
    );
    let v = version(&app, id);
    clerk
        .submit(
            &format!("/admin/articles/{id}"),
            &format!("/admin/articles/{id}/submit"),
            &[("version", &v)],
        )
        .await
        .assert_status(303);
    let v = version(&app, id);
    // A clerk cannot approve, not even their own.
    clerk
        .submit(
            &format!("/admin/articles/{id}"),
            &format!("/admin/articles/{id}/approve"),
            &[("version", &v)],
        )
        .await
        .assert_status(403);
    // Another village's clerk cannot see or act on it.
    let mut clerk2 = app.client().await;
    clerk2.login_as("clerk2").await;
    clerk2
        .get(&format!("/admin/articles/{id}"))
        .await
        .assert_status(403);
    clerk2
        .submit(
            "/admin",
            &format!("/admin/articles/{id}/archive"),
            &[("version", &v)],
        )
        .await
        .assert_status(403);
    assert_eq!(version(&app, id), v, "nothing changed");
}

#[actix_web::test]
async fn approving_twice_and_rejecting_without_reason_are_refused() {
    let app = TestApp::demo();
    let mut clerk = app.client().await;
    clerk.login_as("clerk").await;
    let id = created_id(
        &clerk
            .submit(
                "/admin/articles/new",
                "/admin/articles/new",
                &notice("审核", &[]),
            )
            .await,
    );
    let v = version(&app, id);
    clerk
        .submit(
            &format!("/admin/articles/{id}"),
            &format!("/admin/articles/{id}/submit"),
            &[("version", &v)],
        )
        .await;
    let mut official = app.client().await;
    official.login_as("official").await;
    let review = format!("/admin/articles/{id}/review");
    let v = version(&app, id);
    official
        .submit(
            &review,
            &format!("/admin/articles/{id}/reject"),
            &[("version", &v), ("reason", "  ")],
        )
        .await
        .assert_status(400)
        .assert_contains("请写明原因");
    official
        .submit(
            &review,
            &format!("/admin/articles/{id}/approve"),
            &[("version", &v)],
        )
        .await
        .assert_status(303);
    // The same click again (stale version, or a fresh one): refused, 409.
    official
        .submit(
            &review,
            &format!("/admin/articles/{id}/approve"),
            &[("version", &v)],
        )
        .await
        .assert_status(409);
    let v = version(&app, id);
    official
        .submit(
            &review,
            &format!("/admin/articles/{id}/approve"),
            &[("version", &v)],
        )
        .await
        .assert_status(409)
        .assert_contains("已经审核通过");
    let approvals = app
        .audit("article.approve")
        .into_iter()
        .filter(|e| e.target_id == Some(id))
        .count();
    assert_eq!(approvals, 1);
}

#[actix_web::test]
async fn a_stale_save_is_refused_and_the_text_is_kept() {
    let app = TestApp::demo();
    let mut a = app.client().await;
    a.login_as("clerk").await;
    let id = created_id(
        &a.submit(
            "/admin/articles/new",
            "/admin/articles/new",
            &notice("并发", &[]),
        )
        .await,
    );
    let v = version(&app, id);
    let page = format!("/admin/articles/{id}");
    a.submit(&page, &page, &notice("第一位的修改", &[("version", &v)]))
        .await
        .assert_status(303);
    // A second editor still holding the old version.
    let res = a
        .submit(
            &page,
            &page,
            &notice(
                "第二位的修改",
                &[("version", &v), ("body", "<p>第二位写的正文</p>")],
            ),
        )
        .await;
    res.assert_status(409)
        .assert_contains("已被")
        .assert_contains("第二位写的正文");
    let title: String = article_revisions::table
        .filter(article_revisions::article_id.eq(id))
        .order(article_revisions::number.desc())
        .select(article_revisions::title)
        .first(&mut *app.conn())
        .expect("revision");
    assert_eq!(title, "第一位的修改");
}

#[actix_web::test]
async fn editing_published_content_keeps_the_old_text_on_tv_until_approved() {
    let app = TestApp::demo();
    let mut official = app.client().await;
    official.login_as("official").await;
    let fields = notice(
        "乡镇公告",
        &[("scope", "township"), ("body", "<p>旧的正文</p>")],
    );
    let id = created_id(
        &official
            .submit("/admin/articles/new", "/admin/articles/new", &fields)
            .await,
    );
    let page = format!("/admin/articles/{id}");
    let v = version(&app, id);
    official
        .submit(&page, &format!("{page}/submit"), &[("version", &v)])
        .await
        .assert_status(303);
    let v = version(&app, id);
    let edit = notice(
        "乡镇公告",
        &[
            ("scope", "township"),
            ("body", "<p>新的正文</p>"),
            ("version", &v),
        ],
    );
    official
        .submit(&page, &page, &edit)
        .await
        .assert_status(303);
    let mut tv = app.client().await;
    let shown = tv.get(&format!("/tv/v/gengjing/a/{id}")).await;
    shown.assert_status(200).assert_contains("旧的正文");
    assert!(!shown.body.contains("新的正文"));
    let v = version(&app, id);
    official
        .submit(&page, &format!("{page}/submit"), &[("version", &v)])
        .await
        .assert_status(303);
    tv.get(&format!("/tv/v/gengjing/a/{id}"))
        .await
        .assert_contains("新的正文");

    // Archive takes it off at once.
    let v = version(&app, id);
    official
        .submit(&page, &format!("{page}/archive"), &[("version", &v)])
        .await
        .assert_status(303);
    tv.get(&format!("/tv/v/gengjing/a/{id}"))
        .await
        .assert_status(410)
        .assert_contains("page-view-size");
    assert!(!tv_list(&app, "gengjing", "notices")
        .await
        .contains("乡镇公告"));
}

#[actix_web::test]
async fn scheduled_and_expired_content_is_decided_at_query_time() {
    let app = TestApp::demo();
    let mut official = app.client().await;
    official.login_as("official").await;
    let offset = app.state.offset;
    let local = |hours: i64| {
        village_portal::time::to_local(
            village_portal::time::now() + chrono::Duration::hours(hours),
            offset,
        )
        .format("%Y-%m-%dT%H:%M")
        .to_string()
    };
    let (later, past, earlier) = (local(3), local(-1), local(-3));
    for (title, publish, expire) in [
        ("将来的通知", later.as_str(), ""),
        ("过期的通知", earlier.as_str(), past.as_str()),
    ] {
        let fields = notice(
            title,
            &[
                ("scope", "township"),
                ("publish_at", publish),
                ("expire_at", expire),
            ],
        );
        let id = created_id(
            &official
                .submit("/admin/articles/new", "/admin/articles/new", &fields)
                .await,
        );
        let v = version(&app, id);
        official
            .submit(
                &format!("/admin/articles/{id}"),
                &format!("/admin/articles/{id}/submit"),
                &[("version", &v)],
            )
            .await
            .assert_status(303);
    }
    let list = tv_list(&app, "gengjing", "notices").await;
    assert!(!list.contains("将来的通知"));
    assert!(!list.contains("过期的通知"));
    let titles = api_titles(&app, "gengjing").await;
    assert!(!titles
        .iter()
        .any(|t| t == "将来的通知" || t == "过期的通知"));
    official.get("/admin").await.assert_contains("定时发布");
}

#[actix_web::test]
async fn the_demo_has_content_in_every_section() {
    let app = TestApp::demo();
    for section in ["notices", "news", "party", "affairs", "videos"] {
        let list = tv_list(&app, "gengjing", section).await;
        assert!(
            list.contains("/tv/v/gengjing/a/"),
            "no {section} on air:\n{list}"
        );
    }
    let mut official = app.client().await;
    official.login_as("official").await;
    official.get("/admin").await.assert_contains("待审核");
    let titles = api_titles(&app, "gengjing").await;
    assert!(titles.len() >= 8, "{titles:?}");
    let mut c = app.client().await;
    c.get("/api/v1/villages/nowhere/articles")
        .await
        .assert_status(404);

    // Every section of both demo villages has published, scheduled,
    // pending and rejected examples.
    let now = village_portal::time::now();
    for village in ["gengjing", "chenzhuang"] {
        let place = app.place_id(village);
        let rows: Vec<(String, String, Option<chrono::NaiveDateTime>)> = articles::table
            .inner_join(
                article_revisions::table
                    .on(articles::head_revision_id.eq(article_revisions::id.nullable())),
            )
            .filter(articles::place_id.eq(place))
            .select((
                articles::section,
                article_revisions::state,
                articles::publish_at,
            ))
            .load(&mut *app.conn())
            .expect("demo articles");
        for section in ["notices", "news", "party", "affairs", "videos"] {
            let has = |state: &str, scheduled: bool| {
                rows.iter().any(|(s, st, p)| {
                    s == section && st == state && p.is_some_and(|p| p > now) == scheduled
                })
            };
            assert!(
                has("published", false),
                "{village} {section}: nothing published"
            );
            assert!(
                has("published", true),
                "{village} {section}: nothing scheduled"
            );
            assert!(
                has("pending", false),
                "{village} {section}: nothing pending"
            );
            assert!(
                has("rejected", false),
                "{village} {section}: nothing rejected"
            );
        }
    }
}
