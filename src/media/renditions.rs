//! Renditions derived on demand (thumbnails, SD pages), kept once made.

use super::*;

/// The blob of a rendition made at upload.
pub(super) fn stored_blob_id(conn: &mut DbConn, id: i64, kind: Rendition) -> AppResult<i64> {
    let (full, tile, page) = media::table
        .find(id)
        .select((
            media::full_blob_id,
            media::tile_blob_id,
            media::page_blob_id,
        ))
        .first::<(i64, i64, i64)>(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("这张图片"))?;
    Ok(match kind {
        Rendition::Full => full,
        Rendition::Tile | Rendition::Thumb | Rendition::SdThumb => tile,
        Rendition::Page | Rendition::SdPage => page,
    })
}

/// The blob of any rendition: a derived one is made and kept the first
/// time it is asked for, so it is resized once for every instance.
pub(super) fn blob_id(conn: &mut DbConn, id: i64, kind: Rendition) -> AppResult<i64> {
    let Some((source, shape)) = kind.derived() else {
        return stored_blob_id(conn, id, kind);
    };
    if let Some(blob) = kept_blob_id(conn, id, kind)? {
        return Ok(blob);
    }
    let source_blob = stored_blob_id(conn, id, source)?;
    let (data, content_type) = blobs::table
        .find(source_blob)
        .select((blobs::data, blobs::content_type))
        .first::<(Vec<u8>, String)>(conn)?;
    let encoded = derive(id, &data, &content_type, shape)?;
    let kept = db::write(conn, |c| -> AppResult<i64> {
        if let Some(blob) = kept_blob_id(c, id, kind)? {
            return Ok(blob);
        }
        let blob = put_blob(c, &encoded)?;
        diesel::insert_into(media_renditions::table)
            .values((
                media_renditions::media_id.eq(id),
                media_renditions::kind.eq(kind.as_str()),
                media_renditions::blob_id.eq(blob),
                media_renditions::width.eq(int(encoded.width)),
                media_renditions::height.eq(int(encoded.height)),
                media_renditions::created_at.eq(crate::time::now()),
            ))
            .execute(c)?;
        Ok(blob)
    });
    match kept {
        Ok(blob) => Ok(blob),
        // Another instance kept it first (PostgreSQL): use theirs.
        Err(e) => kept_blob_id(conn, id, kind)?.ok_or(e),
    }
}

pub(super) fn kept_blob_id(conn: &mut DbConn, id: i64, kind: Rendition) -> AppResult<Option<i64>> {
    Ok(media_renditions::table
        .find((id, kind.as_str()))
        .select(media_renditions::blob_id)
        .first::<i64>(conn)
        .optional()?)
}

/// Resizes a stored rendition's bytes into a derived one.
pub(super) fn derive(id: i64, data: &[u8], content_type: &str, shape: Shape) -> AppResult<Encoded> {
    let format = if content_type == "image/png" {
        ImageFormat::Png
    } else {
        ImageFormat::Jpeg
    };
    let source = image::load_from_memory_with_format(data, format)
        .map_err(|e| AppError::internal(format!("stored rendition of {id} does not decode"), e))?;
    let resized = match shape {
        Shape::Exact(w, h) if (source.width(), source.height()) == (w, h) => source,
        Shape::Exact(w, h) => source.resize_to_fill(w, h, FilterType::Triangle),
        Shape::Fit(w, h) => fit(&source, (w, h)),
    };
    encode(&resized, format == ImageFormat::Png)
}

/// The hex SHA-256 of a rendition (its ETag), without loading its bytes.
pub fn rendition_sha(conn: &mut DbConn, id: i64, kind: Rendition) -> AppResult<String> {
    let blob = blob_id(conn, id, kind)?;
    Ok(blobs::table.find(blob).select(blobs::sha256).first(conn)?)
}

/// A rendition's bytes, content type and hash.
pub fn rendition(conn: &mut DbConn, id: i64, kind: Rendition) -> AppResult<StoredRendition> {
    let blob = blob_id(conn, id, kind)?;
    let (data, content_type, sha256) = blobs::table
        .find(blob)
        .select((blobs::data, blobs::content_type, blobs::sha256))
        .first::<(Vec<u8>, String, String)>(conn)?;
    Ok(StoredRendition {
        data,
        content_type,
        sha256,
    })
}
