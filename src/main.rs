//! The `village-portal` command: parse, set up logging, hand over to the library.

use clap::Parser;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let cli = village_portal::cli::Cli::parse();
    if let Err(message) = village_portal::cli::run(cli) {
        eprintln!("error: {message}");
        std::process::exit(1);
    }
}
