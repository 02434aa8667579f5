//! Reading the back office's multipart uploads (images, health CSV files,
//! lecture videos): one field at a time, never past a byte limit. A field
//! over its limit either fails at once or, where the form is shown again
//! with the error, is read on (up to a second limit) and dropped.

use actix_multipart::Field;
use actix_web::http::header;
use actix_web::HttpRequest;
use futures_util::StreamExt;

use crate::error::{AppError, AppResult};

/// The request's declared `Content-Length`, if it has a readable one: a body
/// declared far past a form's limit is refused before any of it is read.
pub(super) fn declared_length(req: &HttpRequest) -> Option<u64> {
    req.headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
}

/// Hands a field's chunks to `sink` as they arrive, failing with `too_big()`
/// as soon as more than `limit` bytes have come (that chunk is not handed
/// on and nothing more is read). Answers the field's length.
pub(super) async fn stream_field(
    field: &mut Field,
    limit: usize,
    too_big: impl FnOnce() -> AppError,
    mut sink: impl FnMut(&[u8]) -> AppResult<()>,
) -> AppResult<usize> {
    let mut seen = 0usize;
    while let Some(chunk) = field.next().await {
        let chunk = chunk.map_err(|_| AppError::BadRequest("上传中断，请重试".into()))?;
        seen += chunk.len();
        if seen > limit {
            return Err(too_big());
        }
        sink(&chunk)?;
    }
    Ok(seen)
}

/// Reads a field whole, failing with `too_big` past `limit` bytes (and
/// reading no further).
pub(super) async fn read_field(
    field: &mut Field,
    limit: usize,
    too_big: AppError,
) -> AppResult<Vec<u8>> {
    let mut data = Vec::new();
    stream_field(
        field,
        limit,
        || too_big,
        |chunk| {
            data.extend_from_slice(chunk);
            Ok(())
        },
    )
    .await?;
    Ok(data)
}

/// Reads a field whole, or answers `None` when it is longer than `limit`
/// bytes. The rest of a too long field is read and dropped (so the browser,
/// still sending, gets the page that says so), failing with
/// `PayloadTooLarge` past `drain_limit` bytes in all.
pub(super) async fn read_field_or_drain(
    field: &mut Field,
    limit: usize,
    drain_limit: usize,
) -> AppResult<Option<Vec<u8>>> {
    let mut data = Vec::new();
    let mut seen = 0usize;
    let len = stream_field(
        field,
        drain_limit,
        || AppError::PayloadTooLarge,
        |chunk| {
            seen += chunk.len();
            if seen > limit {
                // Too long: drop what was kept, go on draining.
                data = Vec::new();
            } else {
                data.extend_from_slice(chunk);
            }
            Ok(())
        },
    )
    .await?;
    Ok((len <= limit).then_some(data))
}
