//! The county's holiday table: public holidays and make-up workdays (调休上班).

use super::*;

#[derive(Template)]
#[template(path = "admin/holidays.html")]
struct HolidaysPage {
    layout: Layout,
    year: i32,
    days: Vec<Holiday>,
    form: HolidayForm,
    errors: FieldErrors,
}

#[derive(Deserialize)]
struct YearQuery {
    year: Option<i32>,
}

async fn holidays_page(
    state: &AppState,
    me: &CurrentUser,
    year: i32,
    form: HolidayForm,
    errors: FieldErrors,
) -> AppResult<HolidaysPage> {
    let actor = me.actor.clone();
    let days = state
        .db
        .run(move |c| {
            actor.require(Action::ManagePlaces, &actor.place)?;
            calendar::of_year(c, year)
        })
        .await?;
    Ok(HolidaysPage {
        layout: layout(state, me, "节假日安排", "/admin/roster/holidays").await?,
        year,
        days,
        form,
        errors,
    })
}

fn this_year(state: &AppState) -> i32 {
    chrono::Datelike::year(&crate::time::to_local(crate::time::now(), state.offset))
}

#[get("/admin/roster/holidays")]
pub(super) async fn holidays(
    state: web::Data<AppState>,
    me: CurrentUser,
    q: web::Query<YearQuery>,
) -> AppResult<HttpResponse> {
    let year = q
        .year
        .filter(|y| (2000..=2100).contains(y))
        .unwrap_or_else(|| this_year(&state));
    let form = HolidayForm {
        kind: "holiday".into(),
        ..HolidayForm::default()
    };
    render(&holidays_page(&state, &me, year, form, FieldErrors::new()).await?)
}

#[post("/admin/roster/holidays")]
pub(super) async fn save_holiday(
    state: web::Data<AppState>,
    me: CurrentUser,
    form: CsrfForm<HolidayForm>,
) -> AppResult<HttpResponse> {
    let CsrfForm(form) = form;
    let (actor, submitted) = (me.actor.clone(), form.clone());
    match field_errors(
        state
            .db
            .run(move |c| calendar::save(c, &actor, &submitted))
            .await,
    )? {
        Ok(day) => Ok(redirect(&format!(
            "/admin/roster/holidays?year={}",
            chrono::Datelike::year(&day)
        ))),
        Err(errors) => {
            let year = this_year(&state);
            invalid(&holidays_page(&state, &me, year, form, errors).await?)
        }
    }
}

#[post("/admin/roster/holidays/{day}/delete")]
pub(super) async fn remove_holiday(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<String>,
    _f: CsrfForm<Empty>,
) -> AppResult<HttpResponse> {
    let (day, actor) = (path.into_inner(), me.actor.clone());
    let year = day.get(..4).unwrap_or("").to_string();
    state
        .db
        .run(move |c| calendar::remove(c, &actor, &day))
        .await?;
    Ok(redirect(&format!("/admin/roster/holidays?year={year}")))
}
