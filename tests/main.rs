//! The one integration-test binary. Every test gets a fresh database: a
//! temporary SQLite file, or a new PostgreSQL database when
//! `TEST_DATABASE_URL` is set (see `util`).

mod util;

mod admin;
mod alerts;
mod articles;
mod auth;
mod cli;
mod database;
mod errors;
mod media;
mod permissions;
mod smoke;
mod tv;
