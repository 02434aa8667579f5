//! The database layer: migrations match across engines, writes are atomic,
//! and a broken database gives a styled 500, not a crash.

use std::collections::BTreeSet;
use std::path::Path;

use diesel::prelude::*;
use village_portal::db::{self, schema, Database};
use village_portal::error::AppError;

use crate::util::TestApp;

fn migration_names(engine: &str) -> BTreeSet<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(engine);
    std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| {
            e.expect("dir entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

#[test]
fn both_engines_have_the_same_migrations() {
    let sqlite = migration_names("sqlite");
    let postgres = migration_names("postgres");
    assert!(!sqlite.is_empty());
    assert_eq!(
        sqlite, postgres,
        "migrations/sqlite and migrations/postgres differ"
    );
    for engine in ["sqlite", "postgres"] {
        for name in &sqlite {
            for file in ["up.sql", "down.sql"] {
                let path = Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("migrations")
                    .join(engine)
                    .join(name)
                    .join(file);
                assert!(path.is_file(), "{} is missing", path.display());
            }
        }
    }
}

#[test]
fn opening_again_runs_no_migration_twice() {
    let app = TestApp::builder().build();
    // A second open of the same database (a restart) must find nothing to do.
    let again = Database::open(&app.database_url, 1).expect("reopen");
    let mut conn = again.get().expect("connection");
    assert_eq!(db::run_migrations(&mut conn).expect("migrations"), 0);
}

#[test]
fn a_failed_write_leaves_nothing_behind() {
    let app = TestApp::builder().build();
    let mut conn = app.conn();
    let result: Result<(), AppError> = db::write(&mut conn, |c| {
        diesel::insert_into(schema::settings::table)
            .values((
                schema::settings::key.eq("probe"),
                schema::settings::value.eq("x"),
            ))
            .execute(c)?;
        Err(AppError::BadRequest("stop".into()))
    });
    assert!(result.is_err());
    let left: i64 = schema::settings::table
        .filter(schema::settings::key.eq("probe"))
        .count()
        .get_result(&mut *conn)
        .expect("count");
    assert_eq!(left, 0, "the insert was not rolled back");
    // The connection is usable afterwards (no transaction left open).
    db::write(&mut conn, |c| {
        diesel::insert_into(schema::settings::table)
            .values((
                schema::settings::key.eq("probe"),
                schema::settings::value.eq("y"),
            ))
            .execute(c)
    })
    .expect("second write");
}

#[test]
fn last_insert_id_names_the_new_row() {
    let app = TestApp::demo();
    let mut conn = app.conn();
    let before: i64 = schema::places::table
        .select(diesel::dsl::max(schema::places::id))
        .first::<Option<i64>>(&mut *conn)
        .expect("max")
        .expect("rows");
    let id = db::write(&mut conn, |c| {
        let now = village_portal::time::now();
        diesel::insert_into(schema::places::table)
            .values((
                schema::places::code.eq("probe-village"),
                schema::places::name.eq("试验村"),
                schema::places::kind.eq("village"),
                schema::places::created_at.eq(now),
                schema::places::updated_at.eq(now),
            ))
            .execute(c)?;
        db::last_insert_id(c)
    })
    .expect("insert");
    assert!(id > before);
    let code: String = schema::places::table
        .find(id)
        .select(schema::places::code)
        .first(&mut *conn)
        .expect("row");
    assert_eq!(code, "probe-village");
}

#[actix_web::test]
async fn a_broken_database_gives_a_styled_500_without_details() {
    let app = TestApp::demo();
    // Readings, residents and requests first: they refer to households.
    for table in [
        "observations",
        "residents",
        "voice_steps",
        "voice_requests",
        "households",
    ] {
        diesel::sql_query(format!("DROP TABLE {table}"))
            .execute(&mut *app.conn())
            .expect("drop");
    }
    let mut c = app.client().await;
    let res = c.get("/tv?stbid=STB0001").await;
    res.assert_status(500);
    res.assert_contains("page-view-size")
        .assert_contains("回到首页");
    assert!(
        !res.body.contains("households"),
        "internal detail leaked:\n{}",
        res.body
    );
    // The rest of the portal still answers.
    c.get("/healthz").await.assert_status(200);
}
