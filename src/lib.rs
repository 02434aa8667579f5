//! village-portal: a smart-village portal for cable-TV set-top boxes, with a
//! back office for village clerks and township officials.

pub mod access;
pub mod alerts;
pub mod articles;
pub mod audit;
pub mod cameras;
pub mod changes;
pub mod cli;
pub mod config;
pub mod crypto;
pub mod db;
pub mod demo;
pub mod error;
pub mod health;
pub mod households;
pub mod lectures;
pub mod media;
pub mod pager;
pub mod places;
pub mod roster;
pub mod settings;
pub mod slots;
pub mod text;
pub mod time;
pub mod users;
pub mod validate;
pub mod voice;
pub mod web;
pub mod webhooks;

use std::num::NonZeroU32;
use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::cookie::Key;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::App;
use chrono::FixedOffset;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::Config;
use crate::db::Database;

/// Shared by every request; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: Database,
    pub offset: FixedOffset,
    pub session_key: Key,
    /// Bursts of sign-in attempts per client address, per instance. It bounds
    /// the password-hashing work one address can cause; the lasting
    /// throttle is `users::throttle`, in the database.
    pub login_bursts: Arc<DefaultKeyedRateLimiter<String>>,
    /// New office-screen registration numbers per client address (each is
    /// a write, asked for without signing in).
    pub office_bursts: Arc<DefaultKeyedRateLimiter<String>>,
    /// Rendered TV pages and village views, per instance.
    pub tv_cache: Arc<web::tv::cache::TvCache>,
    /// Keys derived from the portal secret (camera sources, signed addresses).
    pub keys: Arc<crypto::Keys>,
    /// Camera pictures and live views (this instance's side of them).
    pub cameras: Arc<Cameras>,
    /// What villagers may report from the TV (configuration, read at start).
    pub voice: Arc<voice::Catalog>,
}

/// What the camera pages and the worker share in one instance.
pub struct Cameras {
    pub grabber: cameras::worker::Grabber,
    pub live: Arc<cameras::live::Live>,
    /// This instance, as named in leases.
    pub holder: String,
}

impl Cameras {
    fn new(
        config: &Config,
        db: &Database,
        keys: &Arc<crypto::Keys>,
        offset: FixedOffset,
    ) -> Cameras {
        let ffmpeg = cameras::grab::Ffmpeg::find(&config.ffmpeg, offset);
        let holder = crypto::random_hex(6);
        let grabber = cameras::worker::Grabber {
            keys: keys.clone(),
            ffmpeg: ffmpeg.clone(),
            interval: std::time::Duration::from_secs(config.camera_interval_seconds),
        };
        let live = cameras::live::Live::new(
            db.clone(),
            keys.clone(),
            ffmpeg,
            holder.clone(),
            config.camera_max_live,
            std::time::Duration::from_secs(config.camera_live_idle_seconds),
        );
        Cameras {
            grabber,
            live: Arc::new(live),
            holder,
        }
    }
}

impl AppState {
    /// Opens the database (running migrations) and prepares the session key.
    pub fn open(config: Config) -> Result<AppState, String> {
        config.validate()?;
        let db = Database::open(&config.database_url, config.db_pool_size)?;
        AppState::with_db(config, db)
    }

    pub fn with_db(config: Config, db: Database) -> Result<AppState, String> {
        let offset = config.offset()?;
        let secret = {
            let mut conn = db.get().map_err(|e| e.to_string())?;
            settings::session_secret(&mut conn, config.secret.as_deref())
                .map_err(|e| e.to_string())?
        };
        if secret.len() < 32 {
            return Err("session secret must be at least 32 characters".into());
        }
        let session_key = Key::derive_from(secret.as_bytes());
        let keys = Arc::new(crypto::Keys::derive(secret.as_bytes()));
        let cameras = Arc::new(Cameras::new(&config, &db, &keys, offset));
        let voice = Arc::new(voice::Catalog::load(config.voice_catalog.as_deref())?);
        let per_minute = NonZeroU32::new(10).unwrap_or(NonZeroU32::MIN);
        let tv_cache = Arc::new(web::tv::cache::TvCache::default());
        // Other instances on the same PostgreSQL announce their changes.
        #[cfg(feature = "postgres")]
        if let db::DbUrl::Postgres(url) = db.url() {
            web::tv::listen::spawn(url, Arc::downgrade(&tv_cache));
        }
        Ok(AppState {
            config: Arc::new(config),
            db,
            offset,
            session_key,
            login_bursts: Arc::new(RateLimiter::keyed(Quota::per_minute(per_minute))),
            office_bursts: Arc::new(RateLimiter::keyed(Quota::per_minute(per_minute))),
            tv_cache,
            keys,
            cameras,
            voice,
        })
    }
}

impl AppState {
    /// Starts the minute loop (`serve` does; every instance may: each step
    /// is taken once): it reminds and escalates villagers' requests by the
    /// clock, and each hour forgets duty sign-in code uses older than a day
    /// and office screens' registration numbers a day past their expiry.
    pub fn start_voice_sweep(&self) {
        let (db, catalog) = (self.db.clone(), self.voice.clone());
        std::thread::spawn(move || {
            for minute in 1u64.. {
                std::thread::sleep(std::time::Duration::from_secs(60));
                let swept = db
                    .get()
                    .and_then(|mut c| voice::sweep::run(&mut c, &catalog, time::now()));
                if let Err(e) = swept {
                    log::warn!("voice sweep: {e}");
                }
                if minute % 60 == 1 {
                    let pruned = db
                        .get()
                        .and_then(|mut c| roster::signin::prune(&mut c, time::now()));
                    if let Err(e) = pruned {
                        log::warn!("sign-in code prune: {e}");
                    }
                    let pruned = db
                        .get()
                        .and_then(|mut c| roster::screens::prune(&mut c, time::now()));
                    if let Err(e) = pruned {
                        log::warn!("office registration number prune: {e}");
                    }
                }
            }
        });
    }

    /// Keeps the demo's own alert live (`serve --demo`): renews it now and
    /// then checks every hour (`demo::renew_alert` decides; it renews only
    /// the demo's untouched alert of a demo database).
    pub fn start_demo_alert_keeper(&self) {
        let (db, cache) = (self.db.clone(), self.tv_cache.clone());
        let renew = move || {
            let renewed = db
                .get()
                .and_then(|mut c| demo::renew_alert(&mut c, time::now()));
            match renewed {
                Ok(true) => {
                    cache.mark_dirty();
                    log::info!("demo alert renewed for {} days", demo::ALERT_DAYS);
                }
                Ok(false) => {}
                Err(e) => log::warn!("demo alert renewal: {e}"),
            }
        };
        renew();
        std::thread::spawn(move || loop {
            std::thread::sleep(std::time::Duration::from_secs(3600));
            renew();
        });
    }

    /// Starts this instance's camera worker (`serve` does, when configured).
    pub fn start_camera_worker(&self) {
        cameras::worker::start(
            self.db.clone(),
            self.cameras.grabber.clone(),
            self.cameras.holder.clone(),
        );
    }

    /// Starts this instance's webhook delivery worker (`serve` does).
    pub fn start_webhook_worker(&self) {
        webhooks::start(self.db.clone(), webhooks::Policy::from_config(&self.config));
    }
}

/// The whole application: middleware, extractor limits and routes.
pub fn app(
    state: AppState,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    web::app(state)
}
