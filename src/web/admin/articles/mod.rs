//! Writing and reviewing articles: list, editor, workflow buttons, TV
//! preview and revision history.

mod desk;
mod editor;
mod history;
mod list;
mod preview;
mod review;
mod transitions;

pub use desk::{desk, Desk};

use actix_web::web;

use crate::access::{Action, Actor, PlaceKind};
use crate::db::DbConn;
use crate::error::AppResult;
use crate::places::{self, Place};

use desk::review_queue;
use editor::{create, edit_form, new_form, update};
use history::history_page;
use preview::tv_preview;
use review::review_form;
use transitions::{approve, archive, reject, submit};

/// Places whose articles the actor works on (writes or reviews).
fn working_places(conn: &mut DbConn, actor: &Actor) -> AppResult<Vec<Place>> {
    places::where_may(
        conn,
        actor,
        &[PlaceKind::County, PlaceKind::Township, PlaceKind::Village],
        &[
            Action::EditContent,
            Action::ReviewContent,
            Action::PublishDirect,
        ],
    )
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list::list)
        .service(new_form)
        .service(create)
        .service(tv_preview)
        .service(review_form)
        .service(history_page)
        .service(edit_form)
        .service(update)
        .service(review_queue)
        .service(submit)
        .service(approve)
        .service(reject)
        .service(archive);
}
