//! One connection type over SQLite and PostgreSQL, chosen from the URL scheme.
//!
//! Everything backend-specific (pragmas, WAL, immediate transactions, ids of
//! inserted rows) lives in this module so the domain code stays portable.

pub mod schema;
mod stamp;
mod workers;

pub use stamp::Stamp;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::error::AppError;

#[cfg(feature = "postgres")]
use diesel::PgConnection;
#[cfg(feature = "sqlite")]
use diesel::SqliteConnection;

#[cfg(not(any(feature = "sqlite", feature = "postgres")))]
compile_error!("enable at least one of the features `sqlite` and `postgres`");

#[cfg(all(feature = "sqlite", feature = "postgres"))]
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Sqlite(SqliteConnection),
    Pg(PgConnection),
}

#[cfg(all(feature = "sqlite", not(feature = "postgres")))]
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Sqlite(SqliteConnection),
}

#[cfg(all(feature = "postgres", not(feature = "sqlite")))]
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Pg(PgConnection),
}

#[cfg(feature = "sqlite")]
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
#[cfg(feature = "postgres")]
const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// SQLite's `synchronous` setting. `Full` (the default) syncs the WAL at
/// every commit, so an acknowledged write survives an OS crash or power
/// cut; `Normal` syncs only at checkpoints and may lose the last commits
/// then (never on a mere process crash). Chosen with `?synchronous=normal`
/// on a SQLite `DATABASE_URL`; README, "Durability", has the measurements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Synchronous {
    Full,
    Normal,
}

impl Synchronous {
    fn pragma(self) -> &'static str {
        match self {
            Synchronous::Full => "FULL",
            Synchronous::Normal => "NORMAL",
        }
    }
}

/// Splits `?synchronous=...` off a SQLite URL (the only option it takes).
fn split_options(url: &str) -> Result<(&str, Synchronous), String> {
    let is_pg = url.starts_with("postgres://") || url.starts_with("postgresql://");
    let Some((base, query)) = url.split_once('?').filter(|_| !is_pg) else {
        return Ok((url, Synchronous::Full));
    };
    match query {
        "synchronous=full" | "synchronous=FULL" => Ok((base, Synchronous::Full)),
        "synchronous=normal" | "synchronous=NORMAL" => Ok((base, Synchronous::Normal)),
        _ => {
            Err("a SQLite DATABASE_URL takes only ?synchronous=full or ?synchronous=normal".into())
        }
    }
}

/// Which engine a `DATABASE_URL` names, with what the driver needs to open it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl DbUrl {
    /// `sqlite://path`, `sqlite:path` or a bare path pick SQLite; `postgres://`
    /// or `postgresql://` pick PostgreSQL; any other scheme is refused.
    pub fn parse(url: &str) -> Result<DbUrl, String> {
        let (url, _) = split_options(url.trim())?;
        if url.is_empty() {
            return Err("DATABASE_URL is empty".into());
        }
        if url.contains('\0') {
            return Err("DATABASE_URL contains a NUL byte".into());
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DbUrl::Postgres(url.to_string()));
        }
        let path = if let Some(rest) = url.strip_prefix("sqlite://") {
            rest
        } else if let Some(rest) = url.strip_prefix("sqlite:") {
            rest
        } else if let Some((scheme, _)) = url.split_once("://") {
            return Err(format!(
                "DATABASE_URL has unknown scheme '{scheme}': use sqlite://PATH or postgres://USER@HOST/DB"
            ));
        } else if url.contains(':') && url != ":memory:" && !is_windows_path(url) {
            // Not a URL this portal knows, and a bare file path with colons is
            // far more likely a mistyped URL than a wanted file name. The value
            // itself is not echoed: it may hold a password.
            return Err(
                "DATABASE_URL is not sqlite://PATH or postgres://USER@HOST/DB (a bare file path may not contain ':')"
                    .into(),
            );
        } else {
            url
        };
        if path.is_empty() {
            return Err("DATABASE_URL names no SQLite file".into());
        }
        Ok(DbUrl::Sqlite(PathBuf::from(path)))
    }

    pub fn engine(&self) -> &'static str {
        match self {
            DbUrl::Sqlite(_) => "sqlite",
            DbUrl::Postgres(_) => "postgres",
        }
    }
}

/// `C:\data\portal.db` or `C:/data/portal.db`: a drive letter, a colon, a separator.
fn is_windows_path(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() > 2 && b[0].is_ascii_alphabetic() && b[1] == b':' && (b[2] == b'\\' || b[2] == b'/')
}

/// Opens connections of the engine the URL names; never guesses by trying each.
#[derive(Debug, Clone)]
pub struct Manager {
    url: DbUrl,
    synchronous: Synchronous,
}

impl Manager {
    pub fn new(url: DbUrl, synchronous: Synchronous) -> Self {
        Manager { url, synchronous }
    }

    fn open(&self) -> Result<DbConn, String> {
        match &self.url {
            #[cfg(feature = "sqlite")]
            DbUrl::Sqlite(path) => {
                let path = path.to_str().ok_or("SQLite path is not valid UTF-8")?;
                let mut conn = SqliteConnection::establish(path).map_err(|e| e.to_string())?;
                // Per connection: wait for the writer instead of failing, enforce
                // foreign keys, and sync commits as `Synchronous` says.
                conn.batch_execute(&format!(
                    "PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON; PRAGMA synchronous = {};",
                    self.synchronous.pragma()
                ))
                .map_err(|e| e.to_string())?;
                Ok(DbConn::Sqlite(conn))
            }
            #[cfg(feature = "postgres")]
            DbUrl::Postgres(url) => PgConnection::establish(url)
                .map(DbConn::Pg)
                .map_err(|e| one_line(&e.to_string())),
            #[allow(unreachable_patterns)]
            other => Err(format!(
                "this build has no {} support; rebuild with `--features {}`",
                other.engine(),
                other.engine()
            )),
        }
    }
}

/// libpq's messages span lines (and repeat themselves when it tries twice):
/// the command line shows errors on one line.
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
fn one_line(message: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in message.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if !parts.contains(&part) {
            parts.push(part);
        }
    }
    parts.join(" ")
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConnError(String);

impl ManageConnection for Manager {
    type Connection = DbConn;
    type Error = ConnError;

    fn connect(&self) -> Result<DbConn, ConnError> {
        self.open().map_err(ConnError)
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), ConnError> {
        conn.batch_execute("SELECT 1")
            .map_err(|e| ConnError(e.to_string()))
    }

    fn has_broken(&self, conn: &mut DbConn) -> bool {
        // A connection left inside a transaction must not go back to the pool.
        !matches!(
            <DbConn as Connection>::TransactionManager::transaction_manager_status_mut(conn)
                .transaction_depth(),
            Ok(None)
        )
    }
}

pub type Pool = r2d2::Pool<Manager>;
pub type PooledConn = r2d2::PooledConnection<Manager>;

/// The shared handle: a pool plus which engine it talks to.
#[derive(Clone)]
pub struct Database {
    pool: Pool,
    url: DbUrl,
    /// When a request last failed because no connection could be made (not
    /// because all were busy): while the database is down, requests fail fast
    /// instead of each waiting the full connection timeout.
    down_at: Arc<Mutex<Option<Instant>>>,
    /// One thread per pooled connection does the work (see `workers`).
    workers: workers::Workers,
}

/// How long a failed connect keeps requests in the fast-fail mode.
const DOWN_FOR: Duration = Duration::from_secs(2);
/// How long a request waits for a connection in that mode: enough to connect
/// to a database that is back.
const DOWN_WAIT: Duration = Duration::from_millis(300);

impl Database {
    /// Opens the database, runs pending migrations, then builds the pool.
    pub fn open(url: &str, pool_size: u32) -> Result<Database, String> {
        let (_, synchronous) = split_options(url.trim())?;
        let url = DbUrl::parse(url)?;
        if let DbUrl::Sqlite(path) = &url {
            prepare_sqlite_dir(path)?;
        }
        let manager = Manager::new(url.clone(), synchronous);
        {
            let mut conn = manager
                .open()
                .map_err(|e| format!("cannot open the {} database: {e}", url.engine()))?;
            run_migrations(&mut conn)?;
        }
        let pool = r2d2::Pool::builder()
            .max_size(pool_size.max(1))
            // While the database is down a request waits this long for a
            // connection before its 503 (TVs and load balancers ask again).
            .connection_timeout(Duration::from_secs(5))
            .build(manager)
            .map_err(|e| format!("cannot open the {} database: {e}", url.engine()))?;
        let workers = workers::Workers::start(pool.max_size() as usize, "db")
            .map_err(|e| format!("cannot start the database threads: {e}"))?;
        Ok(Database {
            workers,
            pool,
            url,
            down_at: Arc::default(),
        })
    }

    pub fn url(&self) -> &DbUrl {
        &self.url
    }

    pub fn get(&self) -> Result<PooledConn, AppError> {
        // The lock only guards an `Option<Instant>`; a poisoned one is still whole.
        let down_at = || self.down_at.lock().unwrap_or_else(|e| e.into_inner());
        let recently_down = down_at().is_some_and(|at| at.elapsed() < DOWN_FOR);
        let got = if recently_down {
            self.pool.get_timeout(DOWN_WAIT)
        } else {
            self.pool.get()
        };
        match got {
            Ok(conn) => {
                if recently_down {
                    *down_at() = None;
                }
                Ok(conn)
            }
            Err(e) => {
                // Fewer connections than allowed: the pool tried to open one
                // and could not. A full pool is load, not an outage.
                if self.pool.state().connections < self.pool.max_size() {
                    *down_at() = Some(Instant::now());
                }
                Err(AppError::Unavailable(format!("database pool: {e}")))
            }
        }
    }

    /// Runs blocking database work on the database's own threads.
    pub async fn run<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
    {
        let db = self.clone();
        self.workers
            .run(move || {
                let mut conn = db.get()?;
                f(&mut conn)
            })
            .await
            .map_err(AppError::because("database work"))?
    }
}

fn prepare_sqlite_dir(path: &Path) -> Result<(), String> {
    if path.as_os_str() == ":memory:" {
        return Ok(());
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create data folder {}: {e}", dir.display()))?;
        let probe = dir.join(".write-test");
        std::fs::write(&probe, b"")
            .and_then(|_| std::fs::remove_file(&probe))
            .map_err(|e| format!("data folder {} is not writable: {e}", dir.display()))?;
    }
    Ok(())
}

/// Gathers the planner's statistics after a bulk load (the county demo).
/// PostgreSQL plans from them and its autovacuum gathers them only minutes
/// later: until then a county-scale TV page rendered in ~40 ms instead of
/// ~5. SQLite's plans here need none.
pub fn analyze(conn: &mut DbConn) -> diesel::QueryResult<()> {
    match conn {
        #[cfg(feature = "postgres")]
        DbConn::Pg(c) => diesel::RunQueryDsl::execute(diesel::sql_query("ANALYZE"), c).map(|_| ()),
        #[cfg(feature = "sqlite")]
        DbConn::Sqlite(_) => Ok(()),
    }
}

/// Runs the embedded migrations of the connection's engine.
pub fn run_migrations(conn: &mut DbConn) -> Result<usize, String> {
    let migrations = match conn {
        #[cfg(feature = "sqlite")]
        DbConn::Sqlite(c) => {
            // WAL is a property of the file: set it once, outside any transaction.
            c.batch_execute("PRAGMA journal_mode = WAL;")
                .map_err(|e| format!("cannot enable WAL: {e}"))?;
            SQLITE_MIGRATIONS
        }
        #[cfg(feature = "postgres")]
        DbConn::Pg(_) => PG_MIGRATIONS,
    };
    let applied = conn
        .run_pending_migrations(migrations)
        .map_err(|e| format!("migrations failed: {e}"))?;
    for m in &applied {
        log::info!("applied migration {m}");
    }
    Ok(applied.len())
}

/// Runs `f` in a write transaction. On SQLite it is `BEGIN IMMEDIATE`, so two
/// writers queue on the busy timeout instead of failing on lock upgrade.
pub fn write<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    match conn {
        #[cfg(feature = "sqlite")]
        DbConn::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?,
        #[cfg(feature = "postgres")]
        DbConn::Pg(c) => AnsiTransactionManager::begin_transaction(c)?,
    }
    match f(conn) {
        Ok(value) => {
            <DbConn as Connection>::TransactionManager::commit_transaction(conn)?;
            Ok(value)
        }
        Err(e) => {
            <DbConn as Connection>::TransactionManager::rollback_transaction(conn)?;
            Err(e)
        }
    }
}

/// Inside a `write` transaction: makes concurrent writers of `table` wait
/// for this transaction, so a read-then-write on it is one step. PostgreSQL
/// needs the lock (SHARE ROW EXCLUSIVE conflicts with itself, not with
/// readers); SQLite's `BEGIN IMMEDIATE` already holds the database's write lock.
pub fn lock_table(conn: &mut DbConn, table: &'static str) -> QueryResult<()> {
    match conn {
        #[cfg(feature = "sqlite")]
        DbConn::Sqlite(_) => {
            let _ = table;
            Ok(())
        }
        #[cfg(feature = "postgres")]
        DbConn::Pg(c) => {
            c.batch_execute(&format!("LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE"))
        }
    }
}

/// The id of the row this connection inserted last (MultiConnection has no RETURNING).
pub fn last_insert_id(conn: &mut DbConn) -> QueryResult<i64> {
    use diesel::dsl::sql;
    use diesel::sql_types::BigInt;
    match conn {
        #[cfg(feature = "sqlite")]
        DbConn::Sqlite(c) => diesel::select(sql::<BigInt>("last_insert_rowid()")).get_result(c),
        #[cfg(feature = "postgres")]
        DbConn::Pg(c) => diesel::select(sql::<BigInt>("lastval()")).get_result(c),
    }
}

/// True when the error is a unique-constraint violation on either engine.
pub fn is_unique_violation(err: &diesel::result::Error) -> bool {
    matches!(
        err,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}

/// Maps a unique violation to `message` beside the form's `field` (another
/// user saved the same key between the form's checks and the insert); any
/// other database error stays what it is.
pub fn unique_to_field(
    field: &'static str,
    message: impl Into<String>,
) -> impl FnOnce(diesel::result::Error) -> AppError {
    move |e| {
        if is_unique_violation(&e) {
            let mut errors = crate::validate::FieldErrors::new();
            errors.add(field, message);
            AppError::Invalid(errors)
        } else {
            e.into()
        }
    }
}

/// A consistent online copy of a SQLite database (`VACUUM INTO`).
pub fn backup_sqlite(conn: &mut DbConn, target: &Path) -> Result<(), String> {
    match conn {
        #[cfg(feature = "sqlite")]
        DbConn::Sqlite(c) => {
            let target = target.to_str().ok_or("backup path is not valid UTF-8")?;
            diesel::sql_query("VACUUM INTO ?")
                .bind::<diesel::sql_types::Text, _>(target)
                .execute(c)
                .map(|_| ())
                .map_err(|e| format!("backup failed: {e}"))
        }
        #[cfg(feature = "postgres")]
        DbConn::Pg(_) => Err("backup copies SQLite databases; for PostgreSQL use pg_dump".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_scheme_picks_the_engine() {
        assert_eq!(
            DbUrl::parse("sqlite://data/portal.db"),
            Ok(DbUrl::Sqlite("data/portal.db".into()))
        );
        assert_eq!(
            DbUrl::parse("/var/lib/portal.db"),
            Ok(DbUrl::Sqlite("/var/lib/portal.db".into()))
        );
        assert_eq!(
            DbUrl::parse("postgres://u@h/db"),
            Ok(DbUrl::Postgres("postgres://u@h/db".into()))
        );
        assert_eq!(
            DbUrl::parse("postgresql://u@h/db"),
            Ok(DbUrl::Postgres("postgresql://u@h/db".into()))
        );
    }

    #[test]
    fn sqlite_urls_take_the_synchronous_option() {
        assert_eq!(
            split_options("sqlite://d/p.db?synchronous=normal"),
            Ok(("sqlite://d/p.db", Synchronous::Normal))
        );
        assert_eq!(
            split_options("sqlite://d/p.db"),
            Ok(("sqlite://d/p.db", Synchronous::Full))
        );
        assert!(split_options("sqlite://d/p.db?sync=off").is_err());
        assert_eq!(
            DbUrl::parse("sqlite://d/p.db?synchronous=full"),
            Ok(DbUrl::Sqlite("d/p.db".into()))
        );
        // PostgreSQL URLs keep their own options.
        assert_eq!(
            split_options("postgres://u@h/db?sslmode=require"),
            Ok(("postgres://u@h/db?sslmode=require", Synchronous::Full))
        );
    }

    #[test]
    fn driver_messages_become_one_line() {
        let libpq = "connection to server at \"h\", port 5432 failed: FATAL:  no\nconnection to server at \"h\", port 5432 failed: FATAL:  no\n";
        assert_eq!(
            one_line(libpq),
            "connection to server at \"h\", port 5432 failed: FATAL:  no"
        );
        assert_eq!(
            one_line("refused\n\tIs the server running?\n"),
            "refused Is the server running?"
        );
    }

    #[test]
    fn unknown_schemes_are_refused() {
        let err = DbUrl::parse("mysql://u@h/db").unwrap_err();
        assert!(err.contains("unknown scheme 'mysql'"), "{err}");
        assert!(DbUrl::parse("").is_err());
        assert!(DbUrl::parse("sqlite://").is_err());
        assert!(DbUrl::parse("a\0b").is_err());
        // Garbage that is no URL is not taken for a file name either.
        for garbage in ["::::", "mysql:x", "postgres:/u:pw@h/db"] {
            let err = DbUrl::parse(garbage).unwrap_err();
            assert!(err.contains("sqlite://PATH"), "{garbage}: {err}");
            assert!(!err.contains("pw"), "{err}");
        }
        assert_eq!(
            DbUrl::parse("C:\\data\\portal.db"),
            Ok(DbUrl::Sqlite("C:\\data\\portal.db".into()))
        );
        assert_eq!(
            DbUrl::parse(":memory:"),
            Ok(DbUrl::Sqlite(":memory:".into()))
        );
    }
}
