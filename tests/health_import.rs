//! CSV import of readings: the library function the back office calls, and
//! the `import-health` command. Encodings, missing columns, bad lines among
//! good ones, re-imports, audit and permissions.

use std::process::Command;

use diesel::prelude::*;
use village_portal::access::{Actor, Role};
use village_portal::db::schema::{observations, residents};
use village_portal::error::AppError;
use village_portal::health::csv_import::{self, ImportOptions, ImportReport};
use village_portal::health::{self, Observation, Station, Thresholds};

use crate::health_api::count_observations;
use crate::util::TestApp;

const HEADER: &str = "resident_code,kind,value,value2,unit,taken_at,device\n";

fn station(app: &TestApp) -> Station {
    health::station_by_code(&mut app.conn(), "gengjing-hs")
        .expect("query")
        .expect("demo station")
}

fn import_as(app: &TestApp, input: &[u8], actor: Option<&Actor>) -> Result<ImportReport, AppError> {
    let station = station(app);
    let thresholds = Thresholds::default();
    let opts = ImportOptions {
        thresholds: &thresholds,
        offset: app.state.offset,
        actor,
    };
    let mut calls = 0;
    let result = csv_import::import(&mut app.conn(), &station, input, &opts, &mut |p| {
        assert!(p.bytes_done <= p.bytes_total);
        calls += 1;
    });
    if result.is_ok() {
        assert!(calls >= 1, "progress is reported");
    }
    result
}

fn import(app: &TestApp, input: &[u8]) -> ImportReport {
    import_as(app, input, None).expect("import")
}

fn readings_of(app: &TestApp, code: &str, kind: &str) -> Vec<Observation> {
    let id: i64 = residents::table
        .filter(residents::code.eq(code))
        .select(residents::id)
        .first(&mut *app.conn())
        .expect("resident");
    observations::table
        .filter(observations::resident_id.eq(id))
        .filter(observations::code.eq(kind))
        .filter(observations::source.eq("csv"))
        .order(observations::taken_at)
        .select(Observation::as_select())
        .load(&mut *app.conn())
        .expect("readings")
}

#[actix_web::test]
async fn five_bad_lines_among_ten_thousand_good_ones() {
    let app = TestApp::demo();
    let before = count_observations(&app);
    let mut csv = String::from(HEADER);
    let mut bad_lines = Vec::new();
    let mut line = 1;
    for i in 0..10_005 {
        line += 1;
        // Residents R0003..R0202, afternoons (the demo's readings are mornings).
        let resident = format!("R{:04}", 3 + i % 200);
        let day = i / 200;
        let taken = format!(
            "2025-{:02}-{:02} 15:{:02}",
            1 + day / 28 % 12,
            1 + day % 28,
            i % 60
        );
        let row = match i {
            1000 => format!("{resident},weight,abc,,kg,{taken},\n"),
            2000 => format!("{resident},weight,-3,,kg,{taken},\n"),
            3000 => format!("{resident},bp,900,80,mm[Hg],{taken},\n"),
            4000 => format!("{resident},weight,70,,furlongs,{taken},\n"),
            5000 => format!("{resident},weight,70,,kg,2099-01-01 08:00,\n"),
            _ => format!("{resident},weight,{},,kg,{taken},秤\n", 50 + i % 30),
        };
        if [1000, 2000, 3000, 4000, 5000].contains(&i) {
            bad_lines.push(line);
        }
        csv.push_str(&row);
    }
    let report = import(&app, csv.as_bytes());
    assert_eq!(report.rows, 10_005);
    assert_eq!(
        (report.added, report.duplicate, report.rejected),
        (10_000, 0, 5)
    );
    assert_eq!(report.summary(), "added 10000, duplicate 0, rejected 5");
    let lines: Vec<u64> = report.rejected_rows.iter().map(|r| r.line).collect();
    assert_eq!(lines, bad_lines);
    let reasons: Vec<&str> = report
        .rejected_rows
        .iter()
        .map(|r| r.reason.as_str())
        .collect();
    assert!(reasons[0].contains("abc"), "{reasons:?}");
    assert!(reasons[1].contains("负数"), "{reasons:?}");
    assert!(reasons[2].contains("900"), "{reasons:?}");
    assert!(reasons[3].contains("furlongs"), "{reasons:?}");
    assert!(reasons[4].contains("未来"), "{reasons:?}");
    assert_eq!(count_observations(&app), before + 10_000);

    // The rejected file: line, reason, then the row as it was.
    let rejected = String::from_utf8(report.rejected_csv().expect("csv")).expect("utf-8");
    let mut rows = rejected.lines();
    assert_eq!(
        rows.next(),
        Some("line,reason,resident_code,kind,value,value2,unit,taken_at,device")
    );
    let first = rows.next().expect("a row");
    assert!(first.starts_with(&format!("{},", bad_lines[0])), "{first}");
    assert!(first.contains(",abc,"), "{first}");
    assert_eq!(rejected.lines().count(), 6);

    // Importing the same file again adds nothing.
    let again = import(&app, csv.as_bytes());
    assert_eq!(
        (again.added, again.duplicate, again.rejected),
        (0, 10_000, 5)
    );
    assert_eq!(count_observations(&app), before + 10_000);
}

#[actix_web::test]
async fn gbk_files_with_chinese_headers_and_kinds_are_read() {
    let app = TestApp::demo();
    let text = "居民编号,项目,数值,舒张压,单位,测量时间,设备\n\
                R0001,血压,138,88,mmHg,2025-06-01 16:00,鱼跃血压计\n\
                R0001,血糖,108,,mg/dL,2025-06-01 16:05,三诺血糖仪\n\
                R0002,体温,98.6,,[degF],2025-06-01 16:10,额温枪\n\
                R0002,体重,120,,斤,2025-06-01 16:15,\n\
                R0002,血压,126/80,,,2025-06-02 16:00,\n";
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(text);
    assert!(!unmappable);
    assert!(std::str::from_utf8(&gbk).is_err(), "really not UTF-8");
    let report = import(&app, &gbk);
    assert_eq!(report.encoding, "GBK");
    assert_eq!(
        (report.added, report.rejected),
        (5, 0),
        "{:?}",
        report.rejected_rows
    );
    let glucose = readings_of(&app, "R0001", "15074-8");
    assert_eq!(glucose.len(), 1);
    assert_eq!(glucose[0].value, 5.99, "108 mg/dL in mmol/L");
    assert_eq!(glucose[0].device.as_deref(), Some("三诺血糖仪"));
    let temperature = readings_of(&app, "R0002", "8310-5");
    assert_eq!(temperature[0].value, 37.0);
    assert_eq!(temperature[0].unit, "Cel");
    assert_eq!(readings_of(&app, "R0002", "29463-7")[0].value, 60.0);
    let bp = readings_of(&app, "R0002", "85354-9");
    assert_eq!((bp[0].value, bp[0].value2), (126.0, Some(80.0)));
    // Local time 16:00 at +08:00 is 08:00 UTC.
    assert_eq!(bp[0].taken_at.format("%H:%M").to_string(), "08:00");
}

#[actix_web::test]
async fn a_utf8_bom_is_stripped_and_odd_bytes_are_explained() {
    let app = TestApp::demo();
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(HEADER.as_bytes());
    bom.extend_from_slice("R0003,heart_rate,72,,/min,2025-05-05T15:00:00+08:00,\n".as_bytes());
    let report = import(&app, &bom);
    assert_eq!(
        (report.added, report.rejected, report.encoding),
        (1, 0, "UTF-8")
    );

    for (bytes, text) in [
        (&b"\xFF\xFEr\x00e\x00"[..], "UTF-16"),
        (&b"resident_code,kind\n\x80\xFF\xFF"[..], "UTF-8 或 GBK"),
    ] {
        match import_as(&app, bytes, None) {
            Err(AppError::BadRequest(msg)) => assert!(msg.contains(text), "{msg}"),
            other => panic!("expected a clear refusal, got {other:?}"),
        }
    }
}

#[actix_web::test]
async fn missing_columns_are_named_and_nothing_is_stored() {
    let app = TestApp::demo();
    let before = count_observations(&app);
    for (input, missing) in [
        ("resident_code,value,unit\nR0003,70,kg\n", "kind, taken_at"),
        ("R0003,weight,70,,kg,2025-01-01 15:00,\n", "resident_code"),
        ("", "表头"),
    ] {
        match import_as(&app, input.as_bytes(), None) {
            Err(AppError::BadRequest(msg)) => {
                assert!(msg.contains(missing), "{msg}");
                assert!(msg.contains("resident_code,kind,value"), "{msg}");
            }
            other => panic!("expected missing columns, got {other:?}"),
        }
    }
    assert_eq!(count_observations(&app), before);
}

#[actix_web::test]
async fn imports_are_audited_and_only_for_the_own_village() {
    let app = TestApp::demo();
    let body = format!("{HEADER}R0005,spo2,97,,%,2025-04-01 15:00,\n");
    let admin = app.system_actor();
    let report = import_as(&app, body.as_bytes(), Some(&admin)).expect("import");
    assert_eq!(report.added, 1);
    let audit = app.audit("health.import");
    assert_eq!(audit.len(), 1);
    assert!(audit[0].summary.contains("added 1"), "{}", audit[0].summary);
    assert!(
        !audit[0].summary.contains("R0005"),
        "no resident codes in the log"
    );

    // The clerk of chenzhuang may not import into gengjing's station.
    let chenzhuang = app.place_id("chenzhuang");
    let scope = village_portal::places::scope_of(&mut app.conn(), chenzhuang).expect("scope");
    let clerk2 = Actor {
        user_id: Some(app.user("clerk2").id),
        username: "clerk2".into(),
        role: Role::Clerk,
        place: scope,
    };
    let before = count_observations(&app);
    let body = format!("{HEADER}R0005,spo2,96,,%,2025-04-02 15:00,\n");
    assert!(matches!(
        import_as(&app, body.as_bytes(), Some(&clerk2)),
        Err(AppError::Forbidden(_))
    ));
    assert_eq!(count_observations(&app), before);
}

#[test]
fn the_import_health_command_prints_counts_and_writes_rejected_rows() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("portal.db").display());
    let run = |args: &[&str]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_village-portal"));
        for (key, _) in std::env::vars() {
            if key.starts_with("PORTAL_") || key == "DATABASE_URL" || key == "RUST_LOG" {
                cmd.env_remove(key);
            }
        }
        let out = cmd
            .args(args)
            .env("DATABASE_URL", &url)
            .env("PORTAL_DEMO_PASSWORD", crate::util::DEMO_PASSWORD)
            .env("PORTAL_DEMO_TOKEN", "demo-token-0123456789abcdef0123456789")
            .output()
            .expect("run");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, out, err) = run(&["demo"]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("202 residents"), "{out}");
    assert!(
        !out.contains("token of health station"),
        "a given token is not printed: {out}"
    );

    let file = dir.path().join("kiosk.csv");
    std::fs::write(
        &file,
        format!(
            "{HEADER}R0001,bp,150,95,mm[Hg],2025-03-01 15:00,\n\
             R0001,bp,abc,95,mm[Hg],2025-03-02 15:00,\n\
             R0002,glucose,6.8,,mmol/L,2025-03-01 15:05,\n\
             R0002,ldl,3.1,,mmol/L,2025-03-01 15:06,\n"
        ),
    )
    .expect("write csv");
    let path = file.to_str().expect("path");
    let (ok, out, err) = run(&["import-health", path, "--station", "gengjing-hs"]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("added 2, duplicate 0, rejected 2"), "{out}");
    let rejected =
        std::fs::read_to_string(dir.path().join("kiosk.rejected.csv")).expect("rejected file");
    assert!(
        rejected.contains("\n3,"),
        "line 3 is the bad bp: {rejected}"
    );
    assert!(
        rejected.contains("\n5,"),
        "line 5 is the unknown kind: {rejected}"
    );
    assert!(rejected.contains("ldl"), "{rejected}");

    let (ok, out, _) = run(&["import-health", path, "--station", "gengjing-hs"]);
    assert!(ok);
    assert!(out.contains("added 0, duplicate 2, rejected 2"), "{out}");

    let (ok, _, err) = run(&["import-health", path, "--station", "nowhere-hs"]);
    assert!(!ok);
    assert!(err.contains("nowhere-hs"), "{err}");
    let missing = dir.path().join("missing.csv");
    let (ok, _, err) = run(&[
        "import-health",
        missing.to_str().expect("path"),
        "--station",
        "gengjing-hs",
    ]);
    assert!(!ok);
    assert!(err.contains("missing.csv"), "{err}");
}
