//! The one integration-test binary. Every test gets a fresh database: a
//! temporary SQLite file, or a new PostgreSQL database when
//! `TEST_DATABASE_URL` is set (see `util`).

// Tests may panic on what they arranged themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod util;

mod admin;
mod alerts;
mod articles;
mod auth;
mod branch;
mod browser;
mod cameras;
mod cli;
mod database;
mod demo_scale;
mod errors;
mod hardening;
mod health_admin;
mod health_api;
mod health_import;
mod health_tv;
mod instances;
mod media;
mod office_screens;
mod permissions;
mod roster;
mod smoke;
mod tv;
mod tv_cache;
mod tv_screen;
mod voice;
mod webhooks;
