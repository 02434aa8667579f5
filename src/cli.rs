//! The command line: `serve`, `migrate`, `demo`, `user add`, `backup`.
//! Every failure comes back as one line of text; `main` prints it and exits 1.

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::access::{Actor, PlaceKind};
use crate::config::Config;
use crate::db::Database;
use crate::{places, users, AppState};

#[derive(Parser, Debug)]
#[command(
    name = "village-portal",
    version,
    about = "Smart-village portal for cable-TV set-top boxes"
)]
pub struct Cli {
    /// TOML file with settings (environment variables override it).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the web server (runs pending migrations first).
    Serve {
        /// Address to listen on, e.g. 0.0.0.0:8080 (default 127.0.0.1:8080 or PORTAL_BIND).
        #[arg(long)]
        bind: Option<String>,
        /// Load the demo county first when the database is empty.
        #[arg(long)]
        demo: bool,
    },
    /// Run pending database migrations and exit.
    Migrate,
    /// Load the demo county (safe to run again).
    Demo {
        /// `county` adds, on top of the demo county, 40 townships x 18
        /// villages, 200,000 articles and 90,000 households for measuring.
        #[arg(long, value_enum, default_value_t = DemoScale::Village)]
        scale: DemoScale,
    },
    /// Manage back-office users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Write a consistent copy of the SQLite database to FILE while it is in use.
    Backup { file: PathBuf },
    /// Import health readings from a CSV file (columns: resident_code, kind,
    /// value, value2, unit, taken_at, device); rejected rows go to
    /// FILE.rejected.csv.
    ImportHealth {
        file: PathBuf,
        /// Code of the health station the readings were taken at.
        #[arg(long)]
        station: String,
    },
}

/// How big a demo to load.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DemoScale {
    /// The small demo county of CONTRACT.md.
    Village,
    /// The small demo plus a generated county-scale data set (`demo::county`).
    County,
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Add a user; the password is read from standard input.
    Add {
        #[arg(long)]
        username: String,
        /// admin, official, clerk or auditor.
        #[arg(long)]
        role: String,
        /// Code of the user's county, township or village.
        #[arg(long)]
        place: String,
    },
}

pub fn run(cli: Cli) -> Result<(), String> {
    let mut config = Config::load(cli.config.as_deref())?;
    match cli.command {
        Command::Serve { bind, demo } => {
            if let Some(bind) = bind {
                config.bind = bind;
                config.validate()?;
            }
            let db = Database::open(&config.database_url, config.db_pool_size)?;
            if demo {
                load_demo_if_empty(&db, &config)?;
            }
            let state = AppState::with_db(config, db)?;
            serve(state, demo)
        }
        Command::Migrate => {
            Database::open(&config.database_url, 1)?;
            println!("migrations are up to date");
            Ok(())
        }
        Command::Demo { scale } => {
            let db = Database::open(&config.database_url, 1)?;
            load_demo(&db, &config)?;
            if scale == DemoScale::County {
                let mut conn = db.get().map_err(|e| e.to_string())?;
                crate::demo::county::load_and_print(&mut conn, config.offset()?)?;
            }
            Ok(())
        }
        Command::User {
            command:
                UserCommand::Add {
                    username,
                    role,
                    place,
                },
        } => {
            let db = Database::open(&config.database_url, 1)?;
            add_user(&db, &username, &role, &place)
        }
        Command::Backup { file } => {
            let db = Database::open(&config.database_url, 1)?;
            backup(&db, &file)
        }
        Command::ImportHealth { file, station } => {
            crate::health::csv_import::run_command(&config, &file, &station)
        }
    }
}

fn serve(state: AppState, demo: bool) -> Result<(), String> {
    let bind = state.config.bind.clone();
    if state.config.camera_worker {
        state.start_camera_worker();
    }
    state.start_voice_sweep();
    state.start_webhook_worker();
    if demo {
        state.start_demo_alert_keeper();
    }
    // Database work has threads of its own (`Database::run`); what is left
    // for each worker's blocking pool is pictures, QR codes and uploads.
    let blocking = 2;
    actix_web::rt::System::new().block_on(async move {
        let server = actix_web::HttpServer::new(move || crate::app(state.clone()))
            .worker_max_blocking_threads(blocking)
            .bind(&bind)
            .map_err(|e| format!("cannot listen on {bind}: {e}"))?;
        log::info!("village-portal listening on http://{bind}");
        server
            .run()
            .await
            .map_err(|e| format!("server stopped: {e}"))
    })
}

fn load_demo_if_empty(db: &Database, config: &Config) -> Result<(), String> {
    let mut conn = db.get().map_err(|e| e.to_string())?;
    let empty = places::of_kind(&mut conn, PlaceKind::County)
        .map_err(|e| e.to_string())?
        .is_empty();
    drop(conn);
    if empty {
        load_demo(db, config)
    } else {
        log::info!("database has data; --demo left it as it is");
        Ok(())
    }
}

fn load_demo(db: &Database, config: &Config) -> Result<(), String> {
    let mut conn = db.get().map_err(|e| e.to_string())?;
    let report = crate::demo::load_with_token(
        &mut conn,
        config.demo_password.as_deref(),
        config.demo_token.as_deref(),
        config.offset()?,
    )
    .map_err(|e| e.to_string())?;
    println!(
        "demo county loaded: {} places, {} users, {} households added",
        report.places_added, report.users_added, report.households_added
    );
    println!(
        "demo content loaded: {} articles added",
        report.articles_added
    );
    if crate::demo::load_alert(&mut conn, config.offset()?).map_err(|e| e.to_string())? {
        println!("demo alert: a yellow weather alert for 黄河路街道, live for 7 days");
    }
    println!(
        "demo health station gengjing-hs: {} residents, {} readings added",
        report.health.residents_added, report.health.observations_added
    );
    if let Some(token) = &report.health.generated_token {
        println!("API token of health station gengjing-hs (shown once): {token}");
    }
    let secret = crate::settings::session_secret(&mut conn, config.secret.as_deref())
        .map_err(|e| e.to_string())?;
    let keys = crate::crypto::Keys::derive(secret.as_bytes());
    let ffmpeg = crate::cameras::grab::Ffmpeg::find(&config.ffmpeg, config.offset()?);
    if ffmpeg.is_none() {
        println!("ffmpeg not found: the demo cameras show no picture and its lectures do not play (Debian: apt-get install ffmpeg)");
    }
    let cams = crate::demo::cameras::load(
        &mut conn,
        &keys,
        ffmpeg.as_ref(),
        config.demo_token.as_deref(),
    )
    .map_err(|e| e.to_string())?;
    println!(
        "demo cameras: {} added; demo lectures: {} made",
        cams.cameras_added, cams.lectures_added
    );
    if let Some(token) = &cams.generated_token {
        println!("API token of the camera system 县雪亮工程平台 (shown once): {token}");
    }
    if let Some(password) = report.generated_password {
        println!(
            "password of the demo users (admin, official, clerk, clerk2, auditor): {password}"
        );
    }
    Ok(())
}

/// Reads the password: the first line of standard input (no echo needed; it
/// never reaches a terminal when piped).
fn read_password() -> Result<String, String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprintln!(
            "password (at least {} characters), then Enter:",
            users::PASSWORD_MIN_CHARS
        );
    }
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
    let password = line.trim_end_matches(['\r', '\n']).to_string();
    if password.is_empty() {
        return Err("no password on standard input".into());
    }
    Ok(password)
}

fn add_user(db: &Database, username: &str, role: &str, place_code: &str) -> Result<(), String> {
    let mut conn = db.get().map_err(|e| e.to_string())?;
    // Everything that can be checked without the password is checked before
    // asking for it, with messages in terms of the command's own options.
    users::check_username(&username.trim().to_lowercase())
        .map_err(|e| format!("--username: {e}"))?;
    let parsed_role = crate::access::Role::parse(role)
        .ok_or_else(|| format!("unknown role '{role}': use admin, official, clerk or auditor"))?;
    let place = places::find_by_code(&mut conn, place_code)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("unknown place code '{place_code}'"))?;
    if place.kind() != parsed_role.place_kind() {
        return Err(format!(
            "role '{role}' belongs to a {}, but '{place_code}' is a {}",
            parsed_role.place_kind().as_str(),
            place.kind().as_str()
        ));
    }
    let county_scope = {
        let scope = places::scope(&mut conn, &place).map_err(|e| e.to_string())?;
        let county_id = scope.county_id.ok_or("place has no county")?;
        places::scope_of(&mut conn, county_id).map_err(|e| e.to_string())?
    };
    let password = read_password()?;
    let actor = Actor::system("cli", county_scope);
    let form = users::NewUserForm {
        username: username.to_string(),
        display_name: String::new(),
        role: role.to_string(),
        place_id: Some(place.id),
        password,
    };
    let user = users::create(&mut conn, &actor, &form).map_err(|e| e.to_string())?;
    println!(
        "user {} added ({}, {})",
        user.username, user.role, place.code
    );
    Ok(())
}

fn backup(db: &Database, file: &std::path::Path) -> Result<(), String> {
    if file.exists() {
        return Err(format!(
            "{} exists already; choose a new file name",
            file.display()
        ));
    }
    let mut conn = db.get().map_err(|e| e.to_string())?;
    crate::db::backup_sqlite(&mut conn, file)?;
    println!("backup written to {}", file.display());
    Ok(())
}
