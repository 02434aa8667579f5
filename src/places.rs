//! The county > township > village tree.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::access::{Action, Actor, PlaceKind, PlaceScope};
use crate::audit::{self, Changes, Event};
use crate::db::schema::places;
use crate::db::{self, DbConn};
use crate::error::{AppError, AppResult};
use crate::validate::{self, FieldErrors};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = places)]
pub struct Place {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub parent_id: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl Place {
    pub fn kind(&self) -> PlaceKind {
        // The CHECK constraint keeps `kind` to the three values.
        PlaceKind::parse(&self.kind).unwrap_or(PlaceKind::Village)
    }
}

#[derive(Insertable)]
#[diesel(table_name = places)]
struct NewPlace<'a> {
    code: &'a str,
    name: &'a str,
    kind: &'a str,
    parent_id: Option<i64>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// What the place form submits. `code` is fixed once created: TV addresses
/// and set-top box settings contain it.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct PlaceForm {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub name: String,
    #[serde(default, deserialize_with = "crate::validate::optional_id")]
    pub parent_id: Option<i64>,
}

pub fn get(conn: &mut DbConn, id: i64) -> AppResult<Place> {
    places::table
        .find(id)
        .select(Place::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("该地点"))
}

pub fn find_by_code(conn: &mut DbConn, code: &str) -> AppResult<Option<Place>> {
    Ok(places::table
        .filter(places::code.eq(code))
        .select(Place::as_select())
        .first(conn)
        .optional()?)
}

/// The village with this code, or a 404 that names it as a village.
pub fn village_by_code(conn: &mut DbConn, code: &str) -> AppResult<Place> {
    find_by_code(conn, code)?
        .filter(|p| p.kind() == PlaceKind::Village)
        .ok_or_else(|| AppError::UnknownVillage)
}

/// The village a form chose by id; `None` for no choice, an unknown id or a
/// place that is not a village (the form then says so beside its field).
pub fn chosen_village(conn: &mut DbConn, id: Option<i64>) -> Option<Place> {
    id.and_then(|id| get(conn, id).ok())
        .filter(|p| p.kind() == PlaceKind::Village)
}

/// The place with the ids of its township and county, for permission checks.
pub fn scope(conn: &mut DbConn, place: &Place) -> AppResult<PlaceScope> {
    let grandparent = match (place.kind(), place.parent_id) {
        (PlaceKind::Village, Some(id)) => get(conn, id)?.parent_id,
        _ => None,
    };
    Ok(scope_with(place, grandparent))
}

/// The scope of a place whose parent's parent is known.
fn scope_with(place: &Place, grandparent: Option<i64>) -> PlaceScope {
    match place.kind() {
        PlaceKind::County => PlaceScope::county(place.id),
        PlaceKind::Township => PlaceScope::township(place.id, place.parent_id),
        PlaceKind::Village => PlaceScope::village(place.id, place.parent_id, grandparent),
    }
}

/// The places of `kinds` where the actor may do any of `actions`: counties,
/// then townships, then villages, each kind by its parent's code and its
/// own. One query for the whole tree: asking `scope` place by place costs a
/// query each, ~700 at county scale, on every page that offers a choice.
pub fn where_may(
    conn: &mut DbConn,
    actor: &Actor,
    kinds: &[PlaceKind],
    actions: &[Action],
) -> AppResult<Vec<Place>> {
    let all: Vec<Place> = places::table.select(Place::as_select()).load(conn)?;
    let by_id: std::collections::HashMap<i64, &Place> = all.iter().map(|p| (p.id, p)).collect();
    let parent = |p: &Place| p.parent_id.and_then(|id| by_id.get(&id).copied());
    let rank = |k: PlaceKind| match k {
        PlaceKind::County => 0,
        PlaceKind::Township => 1,
        PlaceKind::Village => 2,
    };
    let mut out: Vec<&Place> = all
        .iter()
        .filter(|p| kinds.contains(&p.kind()))
        .filter(|p| {
            let scope = scope_with(p, parent(p).and_then(|t| t.parent_id));
            actions.iter().any(|a| actor.may(*a, &scope))
        })
        .collect();
    out.sort_by_cached_key(|p| {
        let parent_code = parent(p).map(|t| t.code.clone()).unwrap_or_default();
        (rank(p.kind()), parent_code, p.code.clone())
    });
    Ok(out.into_iter().cloned().collect())
}

pub fn scope_of(conn: &mut DbConn, id: i64) -> AppResult<PlaceScope> {
    let place = get(conn, id)?;
    scope(conn, &place)
}

pub fn of_kind(conn: &mut DbConn, kind: PlaceKind) -> AppResult<Vec<Place>> {
    Ok(places::table
        .filter(places::kind.eq(kind.as_str()))
        .order(places::code)
        .select(Place::as_select())
        .load(conn)?)
}

pub fn children(conn: &mut DbConn, parent_id: i64) -> AppResult<Vec<Place>> {
    Ok(places::table
        .filter(places::parent_id.eq(parent_id))
        .order(places::code)
        .select(Place::as_select())
        .load(conn)?)
}

/// Villages an actor may see, each with its township, grouped by township.
pub fn visible_villages(conn: &mut DbConn, actor: &Actor) -> AppResult<Vec<(Place, Vec<Place>)>> {
    let mut tree = Vec::new();
    for township in of_kind(conn, PlaceKind::Township)? {
        let villages: Vec<Place> = children(conn, township.id)?
            .into_iter()
            .filter(|v| {
                let s = PlaceScope::village(v.id, Some(township.id), township.parent_id);
                actor.may(Action::ViewPlace, &s)
            })
            .collect();
        let tscope = PlaceScope::township(township.id, township.parent_id);
        if !villages.is_empty() || actor.may(Action::ViewPlace, &tscope) {
            tree.push((township, villages));
        }
    }
    Ok(tree)
}

/// Checks name and parent, adding messages to `errors`; returns the parent.
fn check_form(
    conn: &mut DbConn,
    kind: PlaceKind,
    form: &PlaceForm,
    errors: &mut FieldErrors,
) -> AppResult<Option<Place>> {
    errors.check("name", validate::line(&form.name, "名称", 40));
    let parent = match (kind.parent_kind(), form.parent_id) {
        (None, _) => None,
        (Some(_), None) => {
            errors.add("parent_id", "请选择上级");
            None
        }
        (Some(want), Some(id)) => match places::table
            .find(id)
            .select(Place::as_select())
            .first(conn)
            .optional()?
        {
            Some(p) if p.kind() == want => Some(p),
            _ => {
                errors.add("parent_id", format!("上级必须是一个{}", want.label()));
                None
            }
        },
    };
    Ok(parent)
}

/// Creates a township or village under a parent the actor manages.
pub fn create(
    conn: &mut DbConn,
    actor: &Actor,
    kind: PlaceKind,
    form: &PlaceForm,
) -> AppResult<Place> {
    let code = form.code.trim().to_string();
    let mut errors = FieldErrors::new();
    errors.check("code", validate::code(&code, "代码"));
    let parent = check_form(conn, kind, form, &mut errors)?;
    errors.into_result()?;
    // Counties come only from the command line (`create_county`).
    let Some(parent) = parent else {
        return Err(AppError::BadRequest("只能在已有的上级下新建地点".into()));
    };
    actor.require(Action::ManagePlaces, &scope(conn, &parent)?)?;
    let name = form.name.trim();
    db::write(conn, |conn| {
        let now = crate::time::now();
        diesel::insert_into(places::table)
            .values(NewPlace {
                code: &code,
                name,
                kind: kind.as_str(),
                parent_id: Some(parent.id),
                created_at: now,
                updated_at: now,
            })
            .execute(conn)
            .map_err(db::unique_to_field("code", format!("代码 {code} 已被使用")))?;
        let id = db::last_insert_id(conn)?;
        audit::record(
            conn,
            actor,
            Event {
                action: "place.create",
                target_type: "place",
                target_id: Some(id),
                place_id: Some(id),
                summary: format!("{} {code} {name}", kind.label()),
            },
        )?;
        get(conn, id)
    })
}

/// Creates the deployment's county; only the command line does this.
pub fn create_county(conn: &mut DbConn, by: &str, code: &str, name: &str) -> AppResult<Place> {
    let mut errors = FieldErrors::new();
    errors.check("code", validate::code(code, "代码"));
    errors.check("name", validate::line(name, "名称", 40));
    errors.into_result()?;
    db::write(conn, |conn| {
        let now = crate::time::now();
        diesel::insert_into(places::table)
            .values(NewPlace {
                code,
                name,
                kind: PlaceKind::County.as_str(),
                parent_id: None,
                created_at: now,
                updated_at: now,
            })
            .execute(conn)?;
        let id = db::last_insert_id(conn)?;
        let place = get(conn, id)?;
        let actor = Actor::system(by, scope(conn, &place)?);
        audit::record(
            conn,
            &actor,
            Event {
                action: "place.create",
                target_type: "place",
                target_id: Some(id),
                place_id: Some(id),
                summary: format!("{} {code} {name}", PlaceKind::County.label()),
            },
        )?;
        Ok(place)
    })
}

/// Renames a place or moves a village to another township.
pub fn update(conn: &mut DbConn, actor: &Actor, id: i64, form: &PlaceForm) -> AppResult<Place> {
    let before = get(conn, id)?;
    let before_scope = scope(conn, &before)?;
    actor.require(Action::ManagePlaces, &before_scope)?;
    let mut errors = FieldErrors::new();
    let parent = check_form(conn, before.kind(), form, &mut errors)?;
    errors.into_result()?;
    if let Some(p) = &parent {
        actor.require(Action::ManagePlaces, &scope(conn, p)?)?;
    }
    let name = form.name.trim();
    let parent_id = parent.as_ref().map(|p| p.id);
    db::write(conn, |conn| {
        let changes = Changes::new().field("name", &before.name, name).field(
            "parent_id",
            fmt_opt(before.parent_id),
            fmt_opt(parent_id),
        );
        if changes.is_empty() {
            return Ok(before.clone());
        }
        diesel::update(places::table.find(id))
            .set((
                places::name.eq(name),
                places::parent_id.eq(parent_id),
                places::updated_at.eq(crate::time::now()),
            ))
            .execute(conn)?;
        // The name shows on its pages (a township's and county's on their
        // villages' pages); a moved village's view reloads its new township.
        crate::changes::touch(conn, id)?;
        audit::record(
            conn,
            actor,
            Event {
                action: "place.update",
                target_type: "place",
                target_id: Some(id),
                place_id: Some(id),
                summary: changes.summary(),
            },
        )?;
        get(conn, id)
    })
}

fn fmt_opt(v: Option<i64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_else(|| "-".into())
}
