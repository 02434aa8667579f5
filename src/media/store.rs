//! Storing a prepared image: its blobs, its row and its audit entry, in one
//! write transaction.

use super::*;

/// The file name as shown in the library: no folders (some browsers send
/// `C:\fakepath\...`), no control characters, at most 100 characters.
pub fn clean_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let cleaned: String = base.chars().filter(|c| !c.is_control()).take(100).collect();
    let cleaned = cleaned.trim();
    if cleaned.is_empty() {
        "未命名图片".into()
    } else {
        cleaned.to_string()
    }
}

pub(super) fn int(v: u32) -> i32 {
    // Sizes are checked against MAX_SIDE long before they get here.
    i32::try_from(v).unwrap_or(i32::MAX)
}

/// Stores bytes once: an identical rendition already stored is reused.
pub(super) fn put_blob(conn: &mut DbConn, encoded: &Encoded) -> AppResult<i64> {
    let sha = hex::encode(Sha256::digest(&encoded.bytes));
    let size = i64::try_from(encoded.bytes.len()).unwrap_or(i64::MAX);
    let existing = blobs::table
        .filter(blobs::sha256.eq(&sha))
        .filter(blobs::size.eq(size))
        .filter(blobs::content_type.eq(encoded.content_type))
        .select(blobs::id)
        .first::<i64>(conn)
        .optional()?;
    if let Some(id) = existing {
        return Ok(id);
    }
    diesel::insert_into(blobs::table)
        .values(NewBlob {
            sha256: &sha,
            content_type: encoded.content_type,
            size,
            data: &encoded.bytes,
            created_at: crate::time::now(),
        })
        .execute(conn)?;
    Ok(db::last_insert_id(conn)?)
}

/// Stores a prepared upload in the place's library, with its audit entry,
/// in one write transaction. Checks the permission again.
pub fn store(
    conn: &mut DbConn,
    actor: &Actor,
    place_id: i64,
    original_name: &str,
    prepared: &Prepared,
) -> AppResult<Media> {
    authorize(conn, actor, place_id)?;
    let name = clean_name(original_name);
    db::write(conn, |c| {
        let full_blob_id = put_blob(c, &prepared.full)?;
        let tile_blob_id = put_blob(c, &prepared.tile)?;
        let page_blob_id = put_blob(c, &prepared.page)?;
        diesel::insert_into(media::table)
            .values(NewMedia {
                place_id,
                uploaded_by: actor.user_id,
                original_name: &name,
                width: int(prepared.width),
                height: int(prepared.height),
                full_blob_id,
                full_width: int(prepared.full.width),
                full_height: int(prepared.full.height),
                tile_blob_id,
                tile_width: int(prepared.tile.width),
                tile_height: int(prepared.tile.height),
                page_blob_id,
                page_width: int(prepared.page.width),
                page_height: int(prepared.page.height),
                created_at: crate::time::now(),
                token: &crate::crypto::random_hex(TOKEN_HEX / 2),
            })
            .execute(c)?;
        let id = db::last_insert_id(c)?;
        audit::record(
            c,
            actor,
            Event {
                action: "media.upload",
                target_type: "media",
                target_id: Some(id),
                place_id: Some(place_id),
                summary: format!(
                    "{name}: {}x{} -> full {}x{} {}, tile {}x{}",
                    prepared.width,
                    prepared.height,
                    prepared.full.width,
                    prepared.full.height,
                    prepared.full.content_type,
                    prepared.tile.width,
                    prepared.tile.height
                ),
            },
        )?;
        get(c, id)
    })
}

/// Checks, renders and stores an upload for `place_id` in one go.
pub fn ingest(
    conn: &mut DbConn,
    actor: &Actor,
    place_id: i64,
    original_name: &str,
    bytes: &[u8],
) -> AppResult<Media> {
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(AppError::PayloadTooLarge);
    }
    authorize(conn, actor, place_id)?;
    let prepared = prepare(bytes)?;
    store(conn, actor, place_id, original_name, &prepared)
}
