//! Reading the library: a medium by id or key, whether it is public,
//! a place's images, and what a record's form may pick.

use super::*;

/// The sizes of the images with these keys as a TV article page of this
/// profile shows them (`Rendition::page_for`): (key, id, width, height).
pub fn page_sizes(
    conn: &mut DbConn,
    keys: &[String],
    sd: bool,
) -> AppResult<Vec<(String, i64, i32, i32)>> {
    let (ids, tokens) = split_keys(keys);
    let rows: Vec<(i64, String, i32, i32)> = media::table
        .filter(media::id.eq_any(ids).or(media::token.eq_any(tokens)))
        .select((
            media::id,
            media::token,
            media::page_width,
            media::page_height,
        ))
        .load(conn)?;
    Ok(keys
        .iter()
        .filter_map(|key| {
            let row = match Key::parse(key)? {
                Key::Id(id) => rows.iter().find(|r| r.0 == id),
                Key::Token(t) => rows.iter().find(|r| r.1 == t),
            }?;
            if !sd {
                return Some((key.clone(), row.0, row.2, row.3));
            }
            // What `derive` makes of the page rendition: the same sizes.
            let (w, h) = sd_page_size(row.2, row.3);
            Some((key.clone(), row.0, w, h))
        })
        .collect())
}

pub(super) fn split_keys(keys: &[String]) -> (Vec<i64>, Vec<String>) {
    let mut ids = Vec::new();
    let mut tokens = Vec::new();
    for key in keys.iter().filter_map(|k| Key::parse(k)) {
        match key {
            Key::Id(id) => ids.push(id),
            Key::Token(t) => tokens.push(t),
        }
    }
    (ids, tokens)
}

/// Makes public the media live content now shows: the images of a body
/// (by their keys) and a video's poster. Inside the publishing transaction.
pub fn make_public(conn: &mut DbConn, keys: &[String], poster: Option<i64>) -> AppResult<()> {
    let (mut ids, tokens) = split_keys(keys);
    ids.extend(poster);
    if ids.is_empty() && tokens.is_empty() {
        return Ok(());
    }
    diesel::update(
        media::table
            .filter(media::is_public.eq(false))
            .filter(media::id.eq_any(ids).or(media::token.eq_any(tokens))),
    )
    .set(media::is_public.eq(true))
    .execute(conn)?;
    Ok(())
}

/// Who may see a medium: (id, place, public).
pub fn visibility(conn: &mut DbConn, key: &Key) -> AppResult<(i64, i64, bool)> {
    let q = media::table.select((media::id, media::place_id, media::is_public));
    let row = match key {
        Key::Id(id) => q.filter(media::id.eq(*id)).first(conn).optional()?,
        Key::Token(t) => q.filter(media::token.eq(t)).first(conn).optional()?,
    };
    row.ok_or_else(|| AppError::not_found("这张图片"))
}

pub fn get(conn: &mut DbConn, id: i64) -> AppResult<Media> {
    media::table
        .find(id)
        .select(Media::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("这张图片"))
}

/// Whether `id` is an image of `place_id`'s own library (what a record of
/// that place may show).
pub fn of_place(conn: &mut DbConn, id: i64, place_id: i64) -> AppResult<bool> {
    Ok(media::table
        .filter(media::id.eq(id))
        .filter(media::place_id.eq(place_id))
        .select(media::id)
        .first::<i64>(conn)
        .optional()?
        .is_some())
}

/// How many of a place's newest images a record's form offers to pick from.
pub const CHOICES: i64 = 12;

/// The images a form of a record of `place_id` offers: those `chosen`
/// first, in their order (a form posts them in the order shown), then the
/// place's newest, `CHOICES` in all at least.
pub fn choices(conn: &mut DbConn, place_id: i64, chosen: &[i64]) -> AppResult<Vec<Media>> {
    let mut out: Vec<Media> = Vec::new();
    for id in chosen {
        if !out.iter().any(|m| m.id == *id) && of_place(conn, *id, place_id)? {
            out.push(get(conn, *id)?);
        }
    }
    let (newest, _) = list_for_place(conn, place_id, 1, CHOICES)?;
    for m in newest {
        if !out.iter().any(|o| o.id == m.id) {
            out.push(m);
        }
    }
    Ok(out)
}

/// A page of a place's library, newest first, and the total count. A page
/// past the end gives the last page.
pub fn list_for_place(
    conn: &mut DbConn,
    place_id: i64,
    page: i64,
    per_page: i64,
) -> AppResult<(Vec<Media>, i64)> {
    let per_page = per_page.clamp(1, 500);
    let total: i64 = media::table
        .filter(media::place_id.eq(place_id))
        .count()
        .get_result(conn)?;
    let pager = crate::pager::Pager::new(page, per_page).within(total);
    let rows = media::table
        .filter(media::place_id.eq(place_id))
        .order((media::created_at.desc(), media::id.desc()))
        .limit(pager.per_page())
        .offset(pager.offset())
        .select(Media::as_select())
        .load(conn)?;
    Ok((rows, total))
}

/// The size of the `sdpage` rendition of a page rendition this size.
pub fn sd_page_size(page_width: i32, page_height: i32) -> (i32, i32) {
    let side = |v: i32| u32::try_from(v.max(1)).unwrap_or(1);
    let (w, h) = fit_size(side(page_width), side(page_height), SD_PAGE_BOX);
    (int(w), int(h))
}
