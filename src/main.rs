//! The `village-portal` command: parse, set up logging, hand over to the library.

use clap::Parser;

fn main() {
    tune_malloc();
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let cli = village_portal::cli::Cli::parse();
    if let Err(message) = village_portal::cli::run(cli) {
        eprintln!("error: {message}");
        std::process::exit(1);
    }
}

/// glibc's malloc, set for a long-running server (measured in
/// `bench/county.sh`: peak RSS 181 MB with mimalloc, 129 MB with glibc's
/// defaults, 84 MB with these):
/// - two arenas instead of up to eight per core: SQLite allocates on every
///   database thread, and each arena keeps what it once held;
/// - a fixed mapping threshold: by default it rises to the size of the
///   largest mapped block freed, so after the first sign-in frees its
///   19 MiB password hash, every later hash comes from an arena and stays.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn tune_malloc() {
    // SAFETY: mallopt only sets the allocator's parameters, and this runs
    // first in main, before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn tune_malloc() {}
