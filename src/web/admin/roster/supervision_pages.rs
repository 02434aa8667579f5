//! The township's supervision tables (today and by month) and their CSV.

use super::*;

struct TodayRow {
    village: String,
    on_duty: String,
    signed_in: String,
    status: &'static str,
    missed: bool,
}

struct MonthRow {
    village: String,
    name: String,
    post: String,
    t: supervision::Tally,
    total: bool,
}

#[derive(Template)]
#[template(path = "admin/roster_supervision.html")]
struct SupervisionPage {
    layout: Layout,
    today: Vec<TodayRow>,
    month: String,
    months: Vec<MonthRow>,
    csv: String,
}

#[derive(Deserialize)]
struct MonthQuery {
    month: Option<String>,
}

fn month_of(q: &MonthQuery, offset: chrono::FixedOffset) -> NaiveDate {
    let today = crate::time::to_local(crate::time::now(), offset).date_naive();
    q.month
        .as_deref()
        .and_then(|m| crate::roster::parse_day(&format!("{}-01", m.trim())))
        .unwrap_or(today)
}

async fn load_months(
    state: &AppState,
    me: &CurrentUser,
    month: NaiveDate,
) -> AppResult<(Vec<VillageToday>, Vec<VillageMonth>)> {
    let (actor, offset) = (me.actor.clone(), state.offset);
    state
        .db
        .run(move |c| {
            if !may_supervise(&actor) {
                return Err(AppError::forbidden());
            }
            let now = crate::time::now();
            let today = supervision::today(c, &actor, now, offset)?;
            let mut months = Vec::new();
            for v in supervision::villages_in_reach(c, &actor)? {
                months.push(supervision::village_month(c, v, month, now, offset)?);
            }
            Ok((today, months))
        })
        .await
}

#[get("/admin/roster/supervision")]
pub(super) async fn supervision_page(
    state: web::Data<AppState>,
    me: CurrentUser,
    q: web::Query<MonthQuery>,
) -> AppResult<HttpResponse> {
    let month = month_of(&q, state.offset);
    let (today, months) = load_months(&state, &me, month).await?;
    let offset = state.offset;
    let today = today
        .into_iter()
        .map(|v| TodayRow {
            village: v.village.name.clone(),
            on_duty: v
                .on_duty
                .iter()
                .map(|c| format!("{}（{}）", c.name, c.post))
                .collect::<Vec<_>>()
                .join("、"),
            signed_in: v
                .first_in
                .map(|t| crate::time::to_local(t, offset).format("%H:%M").to_string())
                .unwrap_or_default(),
            status: v.presence.label(),
            missed: v.presence.missed(),
        })
        .collect();
    let mut rows = Vec::new();
    for m in months {
        rows.push(MonthRow {
            village: m.village.name.clone(),
            name: "全村合计".into(),
            post: String::new(),
            t: m.total.clone(),
            total: true,
        });
        for c in m.cadres {
            rows.push(MonthRow {
                village: m.village.name.clone(),
                name: c.cadre.name,
                post: c.cadre.post,
                t: c.tally,
                total: false,
            });
        }
    }
    let label = month.format("%Y-%m").to_string();
    render(&SupervisionPage {
        layout: layout(&state, &me, "值班督查", "/admin/roster/supervision").await?,
        today,
        csv: format!("/admin/roster/supervision.csv?month={label}"),
        month: label,
        months: rows,
    })
}

#[get("/admin/roster/supervision.csv")]
pub(super) async fn supervision_csv(
    state: web::Data<AppState>,
    me: CurrentUser,
    q: web::Query<MonthQuery>,
) -> AppResult<HttpResponse> {
    let month = month_of(&q, state.offset);
    let (_, months) = load_months(&state, &me, month).await?;
    let body = supervision::month_csv(&months, month)?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"duty-{}.csv\"",
                month.format("%Y-%m")
            ),
        ))
        .body(body))
}
