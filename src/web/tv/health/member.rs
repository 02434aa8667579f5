//! One member's readings and their trends (the charts as PNG).

use super::*;

/// A trend picture on the member page.
pub struct TrendImage {
    pub src: String,
    pub width: u32,
    pub height: u32,
}

#[derive(Template)]
#[template(path = "tv/health_member.html")]
pub(super) struct MemberPage {
    frame: Frame,
    readings: Vec<Reading>,
    bp: Option<TrendImage>,
    glucose: Option<TrendImage>,
    span: String,
    bp_line: String,
    glucose_line: String,
    /// What this screen shows: both side by side (HD), or on an SD screen
    /// the readings (with a link to the trends) or the trends alone.
    view: MemberView,
    trends_url: String,
}

/// The parts of a member's page on one screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum MemberView {
    Both,
    Readings,
    Trends,
}

impl MemberView {
    fn readings(&self) -> bool {
        *self != MemberView::Trends
    }
    fn trends(&self) -> bool {
        *self != MemberView::Readings
    }
}

#[derive(Deserialize)]
pub(super) struct MemberQuery {
    show: Option<String>,
}

pub(super) fn resident_id(raw: &str) -> AppResult<i64> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| AppError::not_found("这位家庭成员"))
}

/// A threshold as the caption writes it: `140`, `6.1`.
pub(super) fn figure(v: f64) -> String {
    let s = format!("{v:.1}");
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

#[get("/tv/v/{village}/health/me/{resident}")]
pub(super) async fn member_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    q: web::Query<MemberQuery>,
    banner: Banner,
) -> AppResult<HttpResponse> {
    let (code, rid) = path.into_inner();
    let rid = resident_id(&rid)?;
    // An SD screen has no room for the readings and two charts at once.
    let view = match (banner.1.is_sd(), q.show.as_deref()) {
        (false, _) => MemberView::Both,
        (true, Some("trends")) => MemberView::Trends,
        (true, _) => MemberView::Readings,
    };
    let (now, offset) = (crate::time::now(), state.offset);
    let grant = read_grant(&state, &req);
    let thresholds = state.config.health.clone();
    type Shown = (crate::health::Resident, Vec<Reading>, (usize, usize));
    let (village, township, opened) = state
        .db
        .run(move |conn| {
            let (village, township) = load_village(conn, &code)?;
            let opened: Option<(Grant, Shown)> = match open_grant(conn, &village, grant, now)? {
                Ok((grant, h)) => {
                    let r = display::member(conn, h.id, rid)?;
                    let readings = display::latest(conn, r.id, &thresholds, now, offset)?;
                    let counts = display::trend_counts(conn, r.id, now, offset)?;
                    Some((grant, (r, readings, counts)))
                }
                Err(_) => None,
            };
            Ok((village, township, opened))
        })
        .await?;
    let code = village.code.clone();
    let Some((grant, (resident, readings, (bp_n, glucose_n)))) = opened else {
        // No access (or it ended): the PIN page says why.
        return Ok(see_other(&me_url(&code)));
    };
    let page_url = format!("{}/{}", me_url(&code), resident.id);
    let base = format!("{page_url}/chart");
    let (width, height) = Screen::of(&req).chart_size();
    let image = |trend: Trend| TrendImage {
        src: format!("{base}/{}", trend.file()),
        width,
        height,
    };
    let mut frame = private_frame(
        &state,
        &village,
        township.as_ref(),
        banner,
        "健康档案",
        if view == MemberView::Trends {
            page_url.clone()
        } else {
            me_url(&code)
        },
    );
    frame.title = format!("健康档案 - {}", village.name);
    frame.heading = format!("{}的健康档案", resident.name);
    frame.subheading = format!(
        "{} · 10 分钟不操作自动退出",
        display::about(&resident, now, offset)
    );
    frame.legend = vec![
        (
            "返回",
            if view == MemberView::Trends {
                "最近读数"
            } else {
                "家庭成员"
            },
            "",
        ),
        ("OK", "打开", ""),
        ("红", "首页", "red"),
        ("绿", "通知", "green"),
        ("黄", "健康", "yellow"),
    ];
    let t = &state.config.health;
    let res = crate::web::render(&MemberPage {
        frame,
        readings,
        bp: (bp_n > 0).then(|| image(Trend::BloodPressure)),
        glucose: (glucose_n > 0).then(|| image(Trend::Glucose)),
        span: display::trend_span(now, offset),
        bp_line: format!(
            "{}/{}",
            figure(t.bp_high_systolic),
            figure(t.bp_high_diastolic)
        ),
        glucose_line: figure(t.glucose_high),
        view,
        trends_url: format!("{page_url}?show=trends"),
    });
    with_grant(&state, &code, &grant, res)
}

/// A trend picture; only with access to the resident's household.
#[get("/tv/v/{village}/health/me/{resident}/chart/{file}")]
pub(super) async fn chart_png(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String, String)>,
) -> AppResult<HttpResponse> {
    let (code, rid, file) = path.into_inner();
    let rid = resident_id(&rid)?;
    let trend = Trend::parse(&file).ok_or_else(|| AppError::not_found("这张图"))?;
    let (now, offset) = (crate::time::now(), state.offset);
    let grant = read_grant(&state, &req);
    let thresholds = state.config.health.clone();
    // Drawn at the size the page shows it (an SD box's is smaller).
    let (width, height) = Screen::of(&req).chart_size();
    let png = state
        .db
        .run(move |conn| {
            let (village, _) = load_village(conn, &code)?;
            let Ok((_, h)) = open_grant(conn, &village, grant, now)? else {
                return Err(AppError::Forbidden("请先输入家庭密码".into()));
            };
            let r = display::member(conn, h.id, rid)?;
            let mut chart = display::trend_chart(conn, r.id, trend, &thresholds, now, offset)?;
            chart.width = width;
            chart.height = height;
            chart.png()
        })
        .await?;
    Ok(no_store(
        HttpResponse::Ok().content_type("image/png").body(png),
    ))
}
