//! Hears other instances' changes on PostgreSQL: `LISTEN` on a connection of
//! its own (never one of the pool's), and a note to the page cache for each
//! notification so the generations are read on the next request.
//!
//! The cache's poll stays the backstop for anything this misses. The
//! connection is checked every `PING_EVERY`, so one that died silently is
//! found within the backstop interval; when it comes back, the cache is
//! flushed, since notifications sent meanwhile were lost.

use std::sync::Weak;
use std::thread;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};

use super::cache::TvCache;
use crate::changes::{parse_payload, CHANNEL};

/// How often pending notifications are collected (the added delay at most).
const WAKE_EVERY: Duration = Duration::from_millis(50);
/// How often the connection is proved alive.
const PING_EVERY: Duration = Duration::from_secs(2);
/// How the listening connection shows in `pg_stat_activity`.
pub const APPLICATION_NAME: &str = "village-portal-listener";
/// Pause between attempts to connect again.
const RETRY_EVERY: Duration = Duration::from_secs(1);

/// Starts the listener for `cache`; it ends by itself once the cache is gone.
pub fn spawn(url: &str, cache: Weak<TvCache>) {
    let url = with_timeouts(url);
    let started = thread::Builder::new()
        .name("tv-listen".into())
        .spawn(move || run(&url, &cache));
    if let Err(e) = started {
        // The poll still brings other instances' changes, only later.
        log::warn!("tv cache: cannot start the change listener: {e}");
    }
}

/// libpq settings that make a dead connection fail instead of hang.
fn with_timeouts(url: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!(
        "{url}{sep}application_name={APPLICATION_NAME}&keepalives=1&keepalives_idle=5&keepalives_interval=2&keepalives_count=2&tcp_user_timeout=5000&connect_timeout=5"
    )
}

fn run(url: &str, cache: &Weak<TvCache>) {
    let mut connected_before = false;
    let mut complained = false;
    loop {
        if cache.strong_count() == 0 {
            return;
        }
        let conn = PgConnection::establish(url).and_then(|mut c| {
            c.batch_execute(&format!("LISTEN {CHANNEL}"))
                .map(|_| c)
                .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))
        });
        let mut conn = match conn {
            Ok(c) => c,
            Err(e) => {
                if !complained {
                    log::warn!("tv cache: change listener cannot connect (polling meanwhile): {e}");
                    complained = true;
                }
                thread::sleep(RETRY_EVERY);
                continue;
            }
        };
        complained = false;
        let Some(strong) = cache.upgrade() else {
            return;
        };
        if connected_before {
            log::info!("tv cache: change listener connected again; flushing the page cache");
            strong.flush();
        }
        strong.set_listening(true);
        strong.mark_dirty();
        drop(strong);
        connected_before = true;
        listen(&mut conn, cache);
        if let Some(strong) = cache.upgrade() {
            strong.set_listening(false);
            log::warn!("tv cache: change listener lost its connection (polling meanwhile)");
        }
    }
}

/// Until the connection fails or the cache is gone.
fn listen(conn: &mut PgConnection, cache: &Weak<TvCache>) {
    let mut pinged = Instant::now();
    loop {
        thread::sleep(WAKE_EVERY);
        let Some(cache) = cache.upgrade() else {
            return;
        };
        let mut heard = false;
        for n in conn.notifications_iter() {
            match n {
                // Anything else on the channel is not ours and changes nothing.
                Ok(n) if n.channel == CHANNEL && parse_payload(&n.payload).is_some() => {
                    heard = true
                }
                Ok(_) => {}
                Err(_) => return,
            }
        }
        if heard {
            cache.mark_dirty();
        }
        if pinged.elapsed() >= PING_EVERY {
            if conn.batch_execute("SELECT 1").is_err() {
                return;
            }
            pinged = Instant::now();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_are_added_to_any_url() {
        assert!(
            with_timeouts("postgres://u@h/db").starts_with("postgres://u@h/db?application_name=")
        );
        assert!(with_timeouts("postgres://u@h/db?sslmode=disable")
            .starts_with("postgres://u@h/db?sslmode=disable&application_name="));
    }
}
