//! The phone sign-in page the office screen's QR code opens.

use super::*;

#[derive(Template)]
#[template(path = "admin/duty_signin.html")]
struct SigninPage {
    css: String,
    csrf: String,
    user_name: String,
    cadre: Option<Cadre>,
    form: SigninForm,
    error: Option<String>,
    done: Option<String>,
}

#[derive(Deserialize)]
struct SigninQuery {
    v: Option<String>,
    code: Option<String>,
    done: Option<String>,
}

async fn signin_page(
    state: &AppState,
    me: &CurrentUser,
    form: SigninForm,
    error: Option<String>,
    done: Option<String>,
) -> AppResult<SigninPage> {
    let user_id = me.user.id;
    let cadre = state.db.run(move |c| cadres::of_user(c, user_id)).await?;
    Ok(SigninPage {
        css: crate::web::assets::url("admin.css"),
        csrf: me.csrf.clone(),
        user_name: me.user.display_name.clone(),
        cadre,
        form,
        error,
        done,
    })
}

/// The page the office screen's QR code opens on the cadre's phone.
#[get("/admin/duty/signin")]
pub(super) async fn signin_form(
    state: web::Data<AppState>,
    me: CurrentUser,
    q: web::Query<SigninQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let form = SigninForm {
        v: q.v
            .filter(|v| crate::validate::code(v, "").is_ok())
            .unwrap_or_default(),
        code: q
            .code
            .filter(|c| c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit()))
            .unwrap_or_default(),
        kind: "in".into(),
    };
    let done = match q.done.as_deref() {
        Some(d) if d.len() <= 40 => Some(d.to_string()),
        _ => None,
    };
    render(&signin_page(&state, &me, form, None, done).await?)
}

#[post("/admin/duty/signin")]
pub(super) async fn signin_post(
    state: web::Data<AppState>,
    me: CurrentUser,
    form: CsrfForm<SigninForm>,
) -> AppResult<HttpResponse> {
    let CsrfForm(form) = form;
    let (actor, submitted, offset) = (me.actor.clone(), form.clone(), state.offset);
    let keys = state.keys.clone();
    let result = state
        .db
        .run(move |c| signin::sign(c, &keys, &actor, &submitted, crate::time::now(), offset))
        .await;
    match field_errors(result)? {
        Ok((cadre, s)) => {
            let what = if s.kind == "in" { "签到" } else { "签退" };
            let done = format!(
                "{} {}成功 {}",
                cadre.name,
                what,
                crate::time::to_local(s.at, offset).format("%H:%M")
            );
            let query = serde_urlencoded::to_string([("done", done)]).unwrap_or_default();
            Ok(redirect(&format!("/admin/duty/signin?{query}")))
        }
        Err(errors) => {
            let error = errors.get("code").map(str::to_string);
            let form = SigninForm {
                code: String::new(),
                ..form
            };
            let page = signin_page(&state, &me, form, error, None).await?;
            invalid(&page)
        }
    }
}
