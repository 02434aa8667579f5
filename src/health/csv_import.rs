//! Bulk import of readings from a CSV file (kiosk exports, spreadsheets):
//! the CLI `import-health` and the back-office upload both call [`import`].
//!
//! Columns (header row required, any order, names case-insensitive; the
//! Chinese names in brackets are accepted too):
//!
//! | column | required | meaning |
//! | --- | --- | --- |
//! | `resident_code` (居民编号) | yes | the resident's county-wide code, e.g. `R0001` |
//! | `kind` (项目) | yes | `bp`, `heart_rate`, `spo2`, `temperature`, `height`, `weight`, `bmi`, `waist`, `glucose`, the Chinese label (血压...) or a LOINC code |
//! | `value` (数值) | yes | the number; for blood pressure the systolic (or `128/82`) |
//! | `value2` (舒张压) | for `bp` | the diastolic pressure |
//! | `unit` (单位) | no | UCUM unit (`mm[Hg]`, `mg/dL`, `[lb_av]`, `[degF]`...); empty means the canonical unit |
//! | `taken_at` (测量时间) | yes | `2026-03-01 08:30` (local time) or `2026-03-01T08:30:00+08:00` |
//! | `device` (设备) | no | the device name |
//!
//! The file is UTF-8 (a BOM is stripped) or GBK/GB18030, as Excel and many
//! kiosks in China write it: bytes that are not valid UTF-8 are decoded as
//! GB18030, and a file that is neither is refused saying so. Rows are stored
//! in batches, one write transaction each; re-importing a file adds nothing
//! (the unique rule makes every row a duplicate).

use std::borrow::Cow;

use chrono::{FixedOffset, NaiveDateTime};
use serde::Serialize;

use super::ingest::{self, Quantity, Raw, ResidentIndex};
use super::{units, Kind, NewObservation, Station, Thresholds};
use crate::access::{Action, Actor};
use crate::audit::{self, Event};
use crate::db::{self, DbConn};
use crate::error::{AppError, AppResult};

/// The columns in the order a template file lists them.
pub const COLUMNS: [&str; 7] = [
    "resident_code",
    "kind",
    "value",
    "value2",
    "unit",
    "taken_at",
    "device",
];
const REQUIRED: [&str; 4] = ["resident_code", "kind", "value", "taken_at"];

/// Rows per write transaction.
pub const BATCH_ROWS: usize = 20_000;
/// Rejected rows kept in the report (counts stay exact beyond it).
pub const MAX_REJECTED_KEPT: usize = 100_000;

pub struct ImportOptions<'a> {
    pub thresholds: &'a Thresholds,
    /// Offset of local times without one (the deployment's).
    pub offset: FixedOffset,
    /// Who imports: checked for `ManageStation` and audited. `None` for
    /// trusted callers (the CLI acting as the operator, the demo).
    pub actor: Option<&'a Actor>,
}

/// Progress after each batch.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub bytes_done: u64,
    pub bytes_total: u64,
    pub rows: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct RejectedRow {
    /// Line number in the file (the header is line 1).
    pub line: u64,
    pub reason: String,
    /// The row's cells, as read.
    pub fields: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    pub rows: usize,
    pub added: usize,
    pub duplicate: usize,
    pub rejected: usize,
    /// The first `MAX_REJECTED_KEPT` rejected rows, by line.
    pub rejected_rows: Vec<RejectedRow>,
    /// `UTF-8` or `GBK`.
    pub encoding: &'static str,
    /// The file's header row, as read.
    pub header: Vec<String>,
}

impl ImportReport {
    /// `added N, duplicate N, rejected N`
    pub fn summary(&self) -> String {
        format!(
            "added {}, duplicate {}, rejected {}",
            self.added, self.duplicate, self.rejected
        )
    }

    /// The rejected rows as CSV: `line,reason,` then the row's own cells
    /// (so the file can be fixed and imported again without the first two).
    pub fn rejected_csv(&self) -> AppResult<Vec<u8>> {
        let mut w = csv::WriterBuilder::new()
            .flexible(true)
            .from_writer(Vec::new());
        let io = AppError::because::<csv::Error>("rejected rows csv");
        let mut head = vec!["line".to_string(), "reason".to_string()];
        head.extend(self.header.iter().cloned());
        w.write_record(&head).map_err(io)?;
        for r in &self.rejected_rows {
            let mut rec = vec![r.line.to_string(), r.reason.clone()];
            rec.extend(r.fields.iter().cloned());
            w.write_record(&rec).map_err(io)?;
        }
        w.into_inner()
            .map_err(AppError::because("rejected rows csv"))
    }
}

/// The text of the file: UTF-8 without BOM, or GB18030 decoded.
pub fn decode(input: &[u8]) -> AppResult<(Cow<'_, str>, &'static str)> {
    let bytes = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok((Cow::Borrowed(text), "UTF-8"));
    }
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return Err(AppError::BadRequest(
            "文件是 UTF-16 编码：请另存为 UTF-8 或 GBK 编码的 CSV".into(),
        ));
    }
    let (text, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
    if had_errors {
        return Err(AppError::BadRequest(
            "文件编码无法识别：需要 UTF-8 或 GBK 编码的 CSV".into(),
        ));
    }
    Ok((text, "GBK"))
}

/// Column name (or alias) -> canonical name.
fn column_of(header: &str) -> Option<&'static str> {
    let h = header
        .trim()
        .trim_start_matches('\u{feff}')
        .to_ascii_lowercase();
    Some(match h.as_str() {
        "resident_code" | "resident" | "resident_id" | "patient" | "居民编号" | "编号" => {
            "resident_code"
        }
        "kind" | "code" | "loinc" | "item" | "项目" | "检查项目" => "kind",
        "value" | "systolic" | "数值" | "值" | "收缩压" => "value",
        "value2" | "diastolic" | "舒张压" => "value2",
        "unit" | "单位" => "unit",
        "taken_at" | "time" | "effective" | "datetime" | "测量时间" | "时间" => "taken_at",
        "device" | "设备" => "device",
        _ => return None,
    })
}

struct Columns {
    resident: usize,
    kind: usize,
    value: usize,
    value2: Option<usize>,
    unit: Option<usize>,
    taken_at: usize,
    device: Option<usize>,
}

fn columns(header: &csv::StringRecord) -> AppResult<Columns> {
    let find = |name: &str| header.iter().position(|h| column_of(h) == Some(name));
    let missing: Vec<&str> = REQUIRED.into_iter().filter(|c| find(c).is_none()).collect();
    if !missing.is_empty() {
        return Err(AppError::BadRequest(format!(
            "CSV 缺少列：{}。第一行须是表头，列为 {}（value2、unit、device 可省略）",
            missing.join(", "),
            COLUMNS.join(",")
        )));
    }
    let need = |name: &str| find(name).unwrap_or_default();
    Ok(Columns {
        resident: need("resident_code"),
        kind: need("kind"),
        value: need("value"),
        value2: find("value2"),
        unit: find("unit"),
        taken_at: need("taken_at"),
        device: find("device"),
    })
}

/// One row to a checked reading, or the reason.
fn parse_row(
    rec: &csv::StringRecord,
    cols: &Columns,
    now: NaiveDateTime,
    offset: FixedOffset,
) -> Result<ingest::Reading, String> {
    let cell = |i: usize| rec.get(i).unwrap_or("").trim();
    let opt = |i: Option<usize>| i.map(cell).filter(|s| !s.is_empty());
    let kind_text = cell(cols.kind);
    if kind_text.is_empty() {
        return Err("缺少检查项目（kind）".into());
    }
    let kind = Kind::parse(kind_text).ok_or_else(|| {
        if kind_text.contains('-') && kind_text.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
            format!("未知的检查项目代码 {}", units::shorten(kind_text, 20))
        } else {
            format!("未知的检查项目 {}", units::shorten(kind_text, 20))
        }
    })?;
    let unit = opt(cols.unit).unwrap_or("");
    let value_text = cell(cols.value);
    let (value, value2) = match (kind, value_text.split_once('/')) {
        // "128/82" in one cell, as many kiosks export blood pressure.
        (Kind::BloodPressure, Some((s, d))) if opt(cols.value2).is_none() => (
            units::parse_number(s, "收缩压")?,
            Some(units::parse_number(d, "舒张压")?),
        ),
        _ => (
            units::parse_number(value_text, "数值")?,
            match (kind, opt(cols.value2)) {
                (Kind::BloodPressure, Some(v)) => Some(units::parse_number(v, "舒张压")?),
                _ => None,
            },
        ),
    };
    let taken_at = units::parse_time(cell(cols.taken_at), offset)?;
    Raw {
        resident_code: cell(cols.resident),
        kind,
        value: Quantity { value, unit },
        value2: value2.map(|v| Quantity { value: v, unit }),
        taken_at,
        device: opt(cols.device),
    }
    .check(now, offset)
}

/// Imports a CSV file's readings for `station`. File-level problems (encoding,
/// missing columns) fail the whole import before anything is stored; bad rows
/// are rejected one by one with their line and reason.
pub fn import(
    conn: &mut DbConn,
    station: &Station,
    input: &[u8],
    opts: &ImportOptions<'_>,
    progress: &mut dyn FnMut(Progress),
) -> AppResult<ImportReport> {
    sqlite_tuning(conn, BULK_TUNING);
    let result = import_rows(conn, station, input, opts, progress);
    sqlite_tuning(conn, DEFAULT_TUNING);
    result
}

/// SQLite while importing: a million rows make indexes of tens of MB, and
/// with the default 2 MB page cache every insert re-reads pages; fewer WAL
/// checkpoints mean fewer fsyncs. Both go back to the defaults after.
const BULK_TUNING: &str = "PRAGMA cache_size = -131072; PRAGMA wal_autocheckpoint = 10000;";
const DEFAULT_TUNING: &str = "PRAGMA cache_size = -2000; PRAGMA wal_autocheckpoint = 1000;";

fn sqlite_tuning(conn: &mut DbConn, pragmas: &str) {
    use diesel::connection::SimpleConnection;
    #[allow(unreachable_patterns)]
    match conn {
        #[cfg(feature = "sqlite")]
        DbConn::Sqlite(c) => {
            // Performance settings only: failing to set them changes nothing else.
            let _ = c.batch_execute(pragmas);
        }
        _ => {}
    }
}

fn import_rows(
    conn: &mut DbConn,
    station: &Station,
    input: &[u8],
    opts: &ImportOptions<'_>,
    progress: &mut dyn FnMut(Progress),
) -> AppResult<ImportReport> {
    if let Some(actor) = opts.actor {
        actor.require(
            Action::ManageStation,
            &crate::places::scope_of(conn, station.village_id)?,
        )?;
    }
    let (text, encoding) = decode(input)?;
    let bytes_total = text.len() as u64;
    let delimiter = sniff_delimiter(&text);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(true)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| AppError::BadRequest(format!("CSV 表头无法读取：{e}")))?
        .clone();
    if header.iter().all(|h| h.trim().is_empty()) {
        return Err(AppError::BadRequest(format!(
            "CSV 是空的：第一行须是表头 {}",
            COLUMNS.join(",")
        )));
    }
    let cols = columns(&header)?;
    let mut index = ResidentIndex::for_village(conn, station.village_id)?;
    let now = crate::time::now();
    let mut report = ImportReport {
        encoding,
        header: header.iter().map(str::to_string).collect(),
        ..Default::default()
    };
    let mut batch: Vec<NewObservation> = Vec::with_capacity(BATCH_ROWS);
    let mut rec = csv::StringRecord::new();
    loop {
        let line = reader.position().line();
        let more = match reader.read_record(&mut rec) {
            Ok(more) => more,
            Err(e) => {
                // A broken row (an unclosed quote): reject it and go on,
                // unless the reader cannot move past it.
                reject(&mut report, line, format!("无法读取这一行：{e}"), &rec);
                if reader.position().line() == line {
                    break;
                }
                continue;
            }
        };
        if !more {
            break;
        }
        if rec.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let line = rec.position().map(|p| p.line()).unwrap_or(line);
        report.rows += 1;
        let reading = match parse_row(&rec, &cols, now, opts.offset) {
            Ok(r) => r,
            Err(reason) => {
                reject(&mut report, line, reason, &rec);
                continue;
            }
        };
        match index.resolve(conn, &reading.resident_code)? {
            Ok(id) => batch.push(ingest::new_row(
                &reading,
                id,
                station.id,
                opts.thresholds,
                "csv",
                now,
            )),
            Err(reason) => reject(&mut report, line, reason, &rec),
        }
        if batch.len() >= BATCH_ROWS {
            store_batch(conn, &mut batch, &mut report)?;
            progress(Progress {
                bytes_done: reader.position().byte(),
                bytes_total,
                rows: report.rows,
            });
        }
    }
    store_batch(conn, &mut batch, &mut report)?;
    progress(Progress {
        bytes_done: bytes_total,
        bytes_total,
        rows: report.rows,
    });
    if let Some(actor) = opts.actor {
        db::write(conn, |conn| {
            audit::record(
                conn,
                actor,
                Event {
                    action: "health.import",
                    target_type: "health_station",
                    target_id: Some(station.id),
                    place_id: Some(station.village_id),
                    summary: format!("CSV {}: {}", station.code, report.summary()),
                },
            )
        })?;
    }
    log::info!(
        "health import into station {}: {} rows, {}",
        station.code,
        report.rows,
        report.summary()
    );
    Ok(report)
}

fn reject(report: &mut ImportReport, line: u64, reason: String, rec: &csv::StringRecord) {
    report.rejected += 1;
    if report.rejected_rows.len() < MAX_REJECTED_KEPT {
        report.rejected_rows.push(RejectedRow {
            line,
            reason,
            fields: rec.iter().map(str::to_string).collect(),
        });
    }
}

/// One write transaction for the batch; duplicates are what the unique rule skipped.
fn store_batch(
    conn: &mut DbConn,
    batch: &mut Vec<NewObservation>,
    report: &mut ImportReport,
) -> AppResult<()> {
    if batch.is_empty() {
        return Ok(());
    }
    // In the unique rule's order: inserts touch neighbouring pages. (The
    // station index's order, tried, was a third slower on a time-ordered
    // file.)
    batch.sort_unstable_by(|a, b| {
        (a.resident_id, &a.code, a.taken_at).cmp(&(b.resident_id, &b.code, b.taken_at))
    });
    let added = db::write(conn, |conn| {
        Ok::<_, AppError>(ingest::insert_skipping_duplicates(conn, batch)?)
    })?;
    report.added += added;
    report.duplicate += batch.len() - added;
    batch.clear();
    Ok(())
}

/// Comma, unless the header line has semicolons or tabs and no comma
/// (European Excel and "text" exports).
fn sniff_delimiter(text: &str) -> u8 {
    let first = text.lines().next().unwrap_or("");
    if first.contains(',') {
        b','
    } else if first.contains('\t') {
        b'\t'
    } else if first.contains(';') {
        b';'
    } else {
        b','
    }
}

/// `village-portal import-health FILE.csv --station CODE`: imports with a
/// progress bar on a terminal, prints the summary, and writes the rejected
/// rows to `FILE.rejected.csv` beside the input.
pub fn run_command(
    config: &crate::config::Config,
    file: &std::path::Path,
    station_code: &str,
) -> Result<(), String> {
    use std::io::IsTerminal;
    let db = crate::db::Database::open(&config.database_url, 1)?;
    let mut conn = db.get().map_err(|e| e.to_string())?;
    let station = super::station_by_code(&mut conn, station_code)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("unknown health station code '{station_code}'"))?;
    let input = std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    // The command line acts as the county's admin, and is audited as "cli".
    let county = {
        let scope =
            crate::places::scope_of(&mut conn, station.village_id).map_err(|e| e.to_string())?;
        let county_id = scope
            .county_id
            .ok_or("the station's village has no county")?;
        crate::places::scope_of(&mut conn, county_id).map_err(|e| e.to_string())?
    };
    let actor = Actor::system("cli", county);
    let bar = indicatif::ProgressBar::new(input.len() as u64);
    if std::io::stderr().is_terminal() {
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {msg} ({eta})")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
    } else {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let started = std::time::Instant::now();
    let opts = ImportOptions {
        thresholds: &config.health,
        offset: config.offset()?,
        actor: Some(&actor),
    };
    let report = import(&mut conn, &station, &input, &opts, &mut |p: Progress| {
        bar.set_position(p.bytes_done);
        bar.set_message(format!("{} rows", p.rows));
    });
    bar.finish_and_clear();
    let report = report.map_err(|e| e.public_message())?;
    let seconds = started.elapsed().as_secs_f64().max(1e-9);
    let rejected_path = rejected_path(file);
    if report.rejected > 0 {
        let bytes = report.rejected_csv().map_err(|e| e.to_string())?;
        std::fs::write(&rejected_path, bytes)
            .map_err(|e| format!("cannot write {}: {e}", rejected_path.display()))?;
    } else if rejected_path.exists() {
        // A stale list from an earlier run would mislead.
        let _ = std::fs::remove_file(&rejected_path);
    }
    println!("{}", report.summary());
    println!(
        "{} rows ({}) in {:.1} s, {:.0} rows/s",
        report.rows,
        report.encoding,
        seconds,
        report.rows as f64 / seconds
    );
    if report.rejected > 0 {
        println!(
            "rejected rows with line numbers and reasons: {}",
            rejected_path.display()
        );
    }
    Ok(())
}

/// `data/x.csv` -> `data/x.rejected.csv`.
pub fn rejected_path(file: &std::path::Path) -> std::path::PathBuf {
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "import".into());
    file.with_file_name(format!("{stem}.rejected.csv"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings() {
        let (t, e) = decode(b"\xEF\xBB\xBFresident_code").unwrap();
        assert_eq!((t.as_ref(), e), ("resident_code", "UTF-8"));
        let (gbk, _, _) = encoding_rs::GBK.encode("居民编号,血压");
        let (t, e) = decode(&gbk).unwrap();
        assert_eq!((t.as_ref(), e), ("居民编号,血压", "GBK"));
        assert!(decode(b"\xFF\xFEa\x00").is_err());
    }

    #[test]
    fn missing_columns_are_named() {
        let header = csv::StringRecord::from(vec!["resident_code", "value", "unit"]);
        let Err(AppError::BadRequest(msg)) = columns(&header) else {
            panic!("expected an error")
        };
        assert!(msg.contains("kind, taken_at"), "{msg}");
        let zh = csv::StringRecord::from(vec!["居民编号", "项目", "数值", "测量时间"]);
        assert!(columns(&zh).is_ok());
    }
}
