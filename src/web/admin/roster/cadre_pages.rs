//! The cadres of a village: the new and edit forms.

use super::*;

#[derive(Template)]
#[template(path = "admin/cadre_form.html")]
struct CadrePage {
    layout: Layout,
    cadre: Option<Cadre>,
    villages: Vec<Place>,
    users: Vec<(i64, String)>,
    posts: [&'static str; 8],
    form: CadreForm,
    errors: FieldErrors,
    picker: crate::web::admin::PhotoPicker,
}

impl CadrePage {
    fn action(&self) -> String {
        match &self.cadre {
            Some(c) => format!("/admin/roster/cadres/{}", c.id),
            None => "/admin/roster/cadres".into(),
        }
    }
}

async fn cadre_page(
    state: &AppState,
    me: &CurrentUser,
    cadre: Option<Cadre>,
    form: CadreForm,
    errors: FieldErrors,
) -> AppResult<CadrePage> {
    let actor = me.actor.clone();
    let village_id = form.village_id;
    let chosen: Vec<String> = form.photo_id.iter().map(i64::to_string).collect();
    let (villages, users, picker) = state
        .db
        .run(move |c| {
            let villages = keepable_villages(c, &actor)?;
            let vid = village_id.or(villages.first().map(|v| v.id)).unwrap_or(0);
            let picker = crate::web::admin::PhotoPicker::load(c, vid, &chosen, false)?;
            Ok((villages, cadres::linkable_users(c, vid)?, picker))
        })
        .await?;
    if villages.is_empty() {
        return Err(AppError::forbidden());
    }
    let title = if cadre.is_some() {
        "编辑村干部"
    } else {
        "新增村干部"
    };
    Ok(CadrePage {
        layout: layout(state, me, title, "/admin/roster").await?,
        cadre,
        villages,
        users,
        posts: cadres::POSTS,
        form,
        errors,
        picker,
    })
}

#[get("/admin/roster/cadres/new")]
pub(super) async fn new_cadre(
    state: web::Data<AppState>,
    me: CurrentUser,
    q: web::Query<VillageQuery>,
) -> AppResult<HttpResponse> {
    let form = CadreForm {
        village_id: q.village,
        active: Some("on".into()),
        ..CadreForm::default()
    };
    render(&cadre_page(&state, &me, None, form, FieldErrors::new()).await?)
}

#[post("/admin/roster/cadres")]
pub(super) async fn create_cadre(
    state: web::Data<AppState>,
    me: CurrentUser,
    form: CsrfForm<CadreForm>,
) -> AppResult<HttpResponse> {
    let CsrfForm(form) = form;
    let (actor, submitted) = (me.actor.clone(), form.clone());
    match field_errors(
        state
            .db
            .run(move |c| cadres::create(c, &actor, &submitted))
            .await,
    )? {
        Ok(c) => Ok(back_to(c.village_id)),
        Err(errors) => invalid(&cadre_page(&state, &me, None, form, errors).await?),
    }
}

#[get("/admin/roster/cadres/{id}")]
pub(super) async fn edit_cadre(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let (id, actor) = (path.into_inner(), me.actor.clone());
    let cadre = state
        .db
        .run(move |c| {
            let cadre = cadres::get(c, id)?;
            actor.require(Action::KeepRoster, &places::scope_of(c, cadre.village_id)?)?;
            Ok(cadre)
        })
        .await?;
    let form = CadreForm::of(&cadre);
    render(&cadre_page(&state, &me, Some(cadre), form, FieldErrors::new()).await?)
}

#[post("/admin/roster/cadres/{id}")]
pub(super) async fn update_cadre(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<i64>,
    form: CsrfForm<CadreForm>,
) -> AppResult<HttpResponse> {
    let (id, CsrfForm(form)) = (path.into_inner(), form);
    let (actor, submitted) = (me.actor.clone(), form.clone());
    match field_errors(
        state
            .db
            .run(move |c| cadres::update(c, &actor, id, &submitted))
            .await,
    )? {
        Ok(c) => Ok(back_to(c.village_id)),
        Err(errors) => {
            let cadre = state.db.run(move |c| cadres::get(c, id)).await?;
            invalid(&cadre_page(&state, &me, Some(cadre), form, errors).await?)
        }
    }
}
