//! The village's health station page: where, when, what it measures.

use super::*;

pub struct StationView {
    pub name: String,
    pub address: String,
    pub hours: String,
    pub doctor: String,
    pub phone: String,
    pub checkups: i64,
    pub month: String,
    pub tip: &'static str,
}

#[derive(Template)]
#[template(path = "tv/health.html")]
pub(super) struct StationPage {
    frame: Frame,
    station: Option<StationView>,
    me: String,
}

#[get("/tv/v/{village}/health")]
pub(super) async fn station_page(
    state: web::Data<AppState>,
    path: web::Path<String>,
    banner: Banner,
) -> AppResult<HttpResponse> {
    let code = path.into_inner();
    let (now, offset) = (crate::time::now(), state.offset);
    let (village, township, facts) = state
        .db
        .run(move |conn| {
            let (village, township) = load_village(conn, &code)?;
            let facts = display::station_facts(conn, village.id, now, offset)?;
            Ok((village, township, facts))
        })
        .await?;
    let mut frame = Frame::village(
        &state,
        &village,
        township.as_ref(),
        "健康小屋",
        home_url(&village.code),
    )
    .with_alert(banner);
    frame.heading = format!("{} · 健康小屋", village.name);
    let station = facts.map(|f| StationView {
        name: f.station.name,
        address: f.station.address,
        hours: f.station.hours,
        doctor: f.station.doctor,
        phone: f.station.phone,
        checkups: f.checkups,
        month: f.month,
        tip: f.tip,
    });
    crate::web::render(&StationPage {
        frame,
        station,
        me: me_url(&village.code),
    })
}
