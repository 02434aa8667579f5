//! The household's members, once the PIN opened them.

use super::*;

#[derive(Template)]
#[template(path = "tv/health_members.html")]
pub(super) struct MembersPage {
    frame: Frame,
    tiles: Vec<Tile>,
    pager: crate::web::Pager,
}

/// The frame of the pages behind the PIN: every way out ends access.
pub(super) fn private_frame(
    state: &AppState,
    village: &Place,
    township: Option<&Place>,
    banner: Banner,
    title: &str,
    back: String,
) -> Frame {
    let code = &village.code;
    let mut frame = Frame::village(state, village, township, title, back).with_alert(banner);
    frame.home = exit_url(code, "");
    // tv.js appends the colour key's section ("/notices") to this.
    frame.village_home = Some(exit_url(code, ""));
    frame
}

pub(super) fn with_grant(
    state: &AppState,
    village: &str,
    grant: &Grant,
    res: AppResult<HttpResponse>,
) -> AppResult<HttpResponse> {
    let mut res = res?;
    let cookie = seal(
        state,
        village,
        GRANT_COOKIE,
        grant.encode(),
        pin::IDLE_MINUTES,
    );
    res.add_cookie(&cookie)
        .map_err(AppError::because("cookie"))?;
    Ok(no_store(res))
}

pub(super) enum MePage {
    Members {
        grant: Grant,
        members: Vec<display::Member>,
    },
    Pin {
        household: Option<Household>,
        ended: Option<Ended>,
    },
}

#[get("/tv/v/{village}/health/me")]
pub(super) async fn me_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<PageQuery>,
    banner: Banner,
) -> AppResult<HttpResponse> {
    let code = path.into_inner();
    let (now, offset) = (crate::time::now(), state.offset);
    let grant = read_grant(&state, &req);
    let stb = box_stb(&req);
    let (village, township, page) = state
        .db
        .run(move |conn| {
            let (village, township) = load_village(conn, &code)?;
            let page = match open_grant(conn, &village, grant, now)? {
                Ok((grant, h)) => MePage::Members {
                    grant,
                    members: display::members(conn, h.id, now, offset)?,
                },
                Err(ended) => MePage::Pin {
                    household: household_in(conn, &village, stb.as_deref())?,
                    ended,
                },
            };
            Ok((village, township, page))
        })
        .await?;
    let (grant, members) = match page {
        MePage::Members { grant, members } => (grant, members),
        MePage::Pin { household, ended } => {
            let why = ended.map(Why::Ended).unwrap_or(Why::Ask);
            return pin_page(
                &state,
                &req,
                PinScreen {
                    village: &village,
                    township: township.as_ref(),
                    banner,
                    household: household.as_ref(),
                    typed_household: "",
                    why,
                    now,
                },
            );
        }
    };
    let code = village.code.clone();
    let per = Screen::of(&req).tiles();
    let total = members.len() as i64;
    let paged = crate::pager::Pager::new(query.number(), per).within(total);
    let tiles: Vec<Tile> = members
        .into_iter()
        .skip(paged.offset() as usize)
        .take(per as usize)
        .enumerate()
        .map(|(i, m)| Tile {
            number: i + 1,
            href: format!("{}/{}", me_url(&code), m.id),
            title: m.name,
            hint: m.about,
        })
        .collect();
    let mut frame = private_frame(
        &state,
        &village,
        township.as_ref(),
        banner,
        "我的健康档案",
        exit_url(&code, "/health"),
    );
    frame.heading = format!("{} · 我的健康档案", village.name);
    frame.subheading = "请选择家庭成员 · 10 分钟不操作自动退出".into();
    frame.legend = vec![
        ("方向键", "选择", ""),
        ("OK", "打开", ""),
        ("数字", "直达", ""),
        ("返回", "退出档案", ""),
        ("红", "首页", "red"),
        ("黄", "健康", "yellow"),
    ];
    let pager = crate::web::Pager::new(paged, total, &format!("{}?", me_url(&code)));
    if pager.pages > 1 {
        frame.legend.insert(3, ("翻页键", "翻页", ""));
    }
    let res = crate::web::render(&MembersPage {
        frame,
        tiles,
        pager,
    });
    with_grant(&state, &code, &grant, res)
}
