//! A village's roster page: office hours, weekly shifts, dated changes and
//! its registered office screens (登记, 撤销).

use super::*;

struct DayRow {
    label: String,
    kind: String,
    who: String,
}

#[derive(Template)]
#[template(path = "admin/roster.html")]
struct RosterPage {
    layout: Layout,
    villages: Vec<Place>,
    village: Place,
    cadres: Vec<Cadre>,
    shifts: Vec<Shift>,
    changes: Vec<Change>,
    week: Vec<DayRow>,
    office: OfficeForm,
    shift: ShiftForm,
    change: ChangeForm,
    /// The village's registered office screens.
    screens: Vec<ScreenRow>,
    /// Whether this user registers and revokes them (not the village's clerks).
    may_register: bool,
    /// The registration number typed, shown again beside its message.
    screen_number: String,
    /// Which form failed (`office`, `shift`, `change`, `screen`) and why.
    failed: &'static str,
    errors: FieldErrors,
    kinds: [(&'static str, &'static str); 3],
}

impl RosterPage {
    fn cadre_name(&self, id: &i64) -> String {
        self.cadres
            .iter()
            .find(|c| c.id == *id)
            .map_or_else(|| format!("#{id}"), |c| c.name.clone())
    }
    fn weekday(&self, w: &i32) -> &'static str {
        weekday_label(*w)
    }
    fn time(&self, m: &i32) -> String {
        hhmm(*m)
    }
    fn kind_label(&self, k: &str) -> &'static str {
        duty::change_label(k)
    }
    fn error(&self, form: &str, field: &str) -> Option<&str> {
        (self.failed == form)
            .then(|| self.errors.get(field))
            .flatten()
    }
    fn is_selected(&self, chosen: &Option<i64>, id: &i64) -> bool {
        *chosen == Some(*id)
    }
}

/// A registered office screen, as the duty page lists it.
struct ScreenRow {
    id: i64,
    device: String,
    approved_by: String,
    approved_at: String,
    last_seen: String,
}

struct Forms {
    office: Option<OfficeForm>,
    screen_number: String,
    shift: ShiftForm,
    change: ChangeForm,
    failed: &'static str,
    errors: FieldErrors,
}

impl Forms {
    fn blank() -> Forms {
        Forms {
            office: None,
            screen_number: String::new(),
            shift: ShiftForm {
                weekday: "1".into(),
                starts: "08:30".into(),
                ends: "18:00".into(),
                ..ShiftForm::default()
            },
            change: ChangeForm {
                kind: "leave".into(),
                ..ChangeForm::default()
            },
            failed: "",
            errors: FieldErrors::new(),
        }
    }
}

async fn roster_page(
    state: &AppState,
    me: &CurrentUser,
    village_id: Option<i64>,
    forms: Forms,
) -> AppResult<RosterPage> {
    let actor = me.actor.clone();
    let offset = state.offset;
    let (villages, village, cadres, shifts, changes, week, office) = state
        .db
        .run(move |c| {
            let villages = keepable_villages(c, &actor)?;
            let village = match village_id {
                Some(id) => villages
                    .iter()
                    .find(|v| v.id == id)
                    .cloned()
                    .ok_or_else(AppError::forbidden)?,
                None => villages.first().cloned().ok_or_else(AppError::forbidden)?,
            };
            let today = crate::time::to_local(crate::time::now(), offset).date_naive();
            let monday = duty::week_start(today);
            let cadres = cadres::of_village(c, village.id)?;
            let week = duty::days(c, village.id, monday, monday + Duration::days(6))?
                .into_iter()
                .map(|r| DayRow {
                    label: format!(
                        "{} 周{}",
                        day_str(r.day),
                        weekday_label(chrono::Datelike::weekday(&r.day).number_from_monday() as i32)
                    ),
                    kind: r.holiday.clone().unwrap_or_else(|| r.kind.label().into()),
                    who: r
                        .duties
                        .iter()
                        .map(|d| {
                            let name = cadres
                                .iter()
                                .find(|x| x.id == d.cadre_id)
                                .map_or("?", |x| x.name.as_str());
                            match &d.change {
                                Some(k) => {
                                    format!("{name} {}（{}）", d.time_text(), duty::change_label(k))
                                }
                                None => format!("{name} {}", d.time_text()),
                            }
                        })
                        .collect::<Vec<_>>()
                        .join("；"),
                })
                .collect();
            Ok((
                villages,
                village.clone(),
                cadres,
                duty::pattern(c, village.id)?,
                duty::changes_from(c, village.id, today - Duration::days(7))?,
                week,
                office::get(c, village.id)?,
            ))
        })
        .await?;
    let (actor, village_id) = (me.actor.clone(), village.id);
    let (office_screens, may_register) = state
        .db
        .run(move |c| {
            let scope = places::scope_of(c, village_id)?;
            Ok((
                screens::of_village(c, village_id)?,
                actor.may(Action::RegisterOfficeScreens, &scope),
            ))
        })
        .await?;
    Ok(RosterPage {
        layout: layout(state, me, "值班管理", "/admin/roster").await?,
        villages,
        village,
        cadres,
        shifts,
        changes,
        week,
        office: forms.office.unwrap_or_else(|| OfficeForm::of(&office)),
        screens: office_screens
            .into_iter()
            .map(|s| ScreenRow {
                id: s.id,
                device: s.device,
                approved_by: s.approved_by_name,
                approved_at: crate::time::format_local(s.approved_at, offset),
                last_seen: s.last_seen.map_or_else(
                    || "尚未连接（屏幕刷新后自动启用）".into(),
                    |at| crate::time::format_local(at, offset),
                ),
            })
            .collect(),
        may_register,
        screen_number: forms.screen_number,
        shift: forms.shift,
        change: forms.change,
        failed: forms.failed,
        errors: forms.errors,
        kinds: CHANGE_KINDS,
    })
}

#[get("/admin/roster")]
pub(super) async fn index(
    state: web::Data<AppState>,
    me: CurrentUser,
    q: web::Query<VillageQuery>,
) -> AppResult<HttpResponse> {
    render(&roster_page(&state, &me, q.village, Forms::blank()).await?)
}

/// Back to the village's roster when saved, else the roster page again with
/// the failed form and its messages beside the fields.
async fn saved_or_again<T>(
    state: &AppState,
    me: &CurrentUser,
    village_id: i64,
    saved: AppResult<T>,
    again: impl FnOnce(FieldErrors) -> Forms,
) -> AppResult<HttpResponse> {
    match field_errors(saved)? {
        Ok(_) => Ok(back_to(village_id)),
        Err(errors) => invalid(&roster_page(state, me, Some(village_id), again(errors)).await?),
    }
}

#[post("/admin/roster/{village}/office")]
pub(super) async fn save_office(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<i64>,
    form: CsrfForm<OfficeForm>,
) -> AppResult<HttpResponse> {
    let (village_id, CsrfForm(form)) = (path.into_inner(), form);
    let (actor, submitted) = (me.actor.clone(), form.clone());
    let saved = state
        .db
        .run(move |c| office::save(c, &actor, village_id, &submitted))
        .await;
    saved_or_again(&state, &me, village_id, saved, |errors| Forms {
        office: Some(form),
        failed: "office",
        errors,
        ..Forms::blank()
    })
    .await
}

#[post("/admin/roster/{village}/shifts")]
pub(super) async fn add_shift(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<i64>,
    form: CsrfForm<ShiftForm>,
) -> AppResult<HttpResponse> {
    let (village_id, CsrfForm(form)) = (path.into_inner(), form);
    let (actor, submitted) = (me.actor.clone(), form.clone());
    let saved = state
        .db
        .run(move |c| duty::add_shift(c, &actor, village_id, &submitted))
        .await;
    saved_or_again(&state, &me, village_id, saved, |errors| Forms {
        shift: form,
        failed: "shift",
        errors,
        ..Forms::blank()
    })
    .await
}

#[post("/admin/roster/{village}/changes")]
pub(super) async fn add_change(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<i64>,
    form: CsrfForm<ChangeForm>,
) -> AppResult<HttpResponse> {
    let (village_id, CsrfForm(form)) = (path.into_inner(), form);
    let (actor, submitted) = (me.actor.clone(), form.clone());
    let saved = state
        .db
        .run(move |c| duty::add_change(c, &actor, village_id, &submitted))
        .await;
    saved_or_again(&state, &me, village_id, saved, |errors| Forms {
        change: form,
        failed: "change",
        errors,
        ..Forms::blank()
    })
    .await
}

/// 登记: the office screen showing this registration number becomes one
/// of the village's sign-in screens (a township official or an admin).
#[post("/admin/roster/{village}/screens")]
pub(super) async fn register_screen(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<i64>,
    form: CsrfForm<RegisterForm>,
) -> AppResult<HttpResponse> {
    let (village_id, CsrfForm(form)) = (path.into_inner(), form);
    let (actor, submitted, keys) = (me.actor.clone(), form.clone(), state.keys.clone());
    let saved = state
        .db
        .run(move |c| {
            screens::register(c, &keys, &actor, village_id, &submitted, crate::time::now())
        })
        .await;
    saved_or_again(&state, &me, village_id, saved, |errors| Forms {
        screen_number: crate::text::cut(form.number.trim(), 20),
        failed: "screen",
        errors,
        ..Forms::blank()
    })
    .await
}

/// 撤销 a registered office screen: it shows no code any more.
#[post("/admin/roster/screens/{id}/revoke")]
pub(super) async fn revoke_screen(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<i64>,
    _f: CsrfForm<Empty>,
) -> AppResult<HttpResponse> {
    let (id, actor) = (path.into_inner(), me.actor.clone());
    let village_id = state
        .db
        .run(move |c| screens::revoke(c, &actor, id, crate::time::now()))
        .await?;
    Ok(back_to(village_id))
}

/// 删除 a weekly shift or 撤销 a dated change.
#[post("/admin/roster/{what:shifts|changes}/{id}/delete")]
pub(super) async fn remove(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<(String, i64)>,
    _f: CsrfForm<Empty>,
) -> AppResult<HttpResponse> {
    let ((what, id), actor) = (path.into_inner(), me.actor.clone());
    let what = duty::Removable::parse(&what).ok_or_else(|| AppError::not_found("这个地址"))?;
    let village_id = state
        .db
        .run(move |c| duty::remove(c, &actor, what, id))
        .await?;
    Ok(back_to(village_id))
}
