//! The checks around a CSV upload in the back office, and the import it
//! runs.

use chrono::FixedOffset;

use crate::access::Actor;
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::health::csv_import::{self, ImportOptions, ImportReport};
use crate::health::{Station, Thresholds};
use crate::validate::FieldErrors;

/// The largest CSV the back office takes (the command line takes any size).
pub const MAX_CSV_BYTES: usize = 10 * 1024 * 1024;

/// Checks an uploaded file before the importer reads it; the message goes
/// beside the file field.
pub fn check_csv_upload(file_name: &str, bytes: &[u8]) -> Result<(), String> {
    let name = file_name.to_ascii_lowercase();
    if bytes.is_empty() || bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err("文件是空的，请选择健康小屋一体机导出的 CSV 文件".into());
    }
    if bytes.len() > MAX_CSV_BYTES {
        return Err(too_big_message());
    }
    let known_binary: [&[u8]; 6] = [
        b"PK\x03\x04",
        b"\xd0\xcf\x11\xe0",
        b"%PDF",
        b"\x89PNG",
        b"\xff\xd8\xff",
        b"GIF8",
    ];
    if known_binary.iter().any(|m| bytes.starts_with(m)) || bytes.contains(&0) {
        return Err("这不是 CSV 文本文件（像是 Excel、图片或其他文件）。请在 Excel/WPS 中“另存为 CSV UTF-8（逗号分隔）”后再上传".into());
    }
    if !name.is_empty() && !name.ends_with(".csv") && !name.ends_with(".txt") {
        return Err("请上传扩展名为 .csv 的文件".into());
    }
    Ok(())
}

/// The message for a file past `MAX_CSV_BYTES`.
pub fn too_big_message() -> String {
    format!(
        "文件太大，后台一次最多导入 {} MB；更大的文件请用命令行 village-portal import-health 导入",
        MAX_CSV_BYTES / (1024 * 1024)
    )
}

/// Imports an uploaded CSV into the station (after `check_csv_upload`). The
/// importer checks the permission and writes the audit entry; a problem with
/// the file as a whole (its encoding, missing columns) becomes a message
/// beside the file field.
pub fn import_csv(
    conn: &mut DbConn,
    actor: &Actor,
    station: &Station,
    bytes: &[u8],
    thresholds: &Thresholds,
    offset: FixedOffset,
) -> AppResult<ImportReport> {
    let opts = ImportOptions {
        thresholds,
        offset,
        actor: Some(actor),
    };
    csv_import::import(conn, station, bytes, &opts, &mut |_| {}).map_err(|e| match e {
        AppError::BadRequest(message) => {
            let mut errors = FieldErrors::new();
            errors.add("file", message);
            AppError::Invalid(errors)
        }
        other => other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uploads() {
        assert!(check_csv_upload("a.csv", b"").is_err());
        assert!(check_csv_upload("a.csv", b" \n").is_err());
        assert!(check_csv_upload("a.xlsx", b"PK\x03\x04....").is_err());
        assert!(check_csv_upload("a.png", b"resident,code\n").is_err());
        assert!(check_csv_upload("a.csv", b"resident,code\n").is_ok());
        assert!(check_csv_upload("a.csv", &vec![b'a'; MAX_CSV_BYTES + 1]).is_err());
    }
}
