//! Roadie's integration tests: one binary, one module per capability. Each test starts the real
//! router on a random loopback port against a fresh SQLite file or PostgreSQL database and talks
//! HTTP to it, with fake fediverse servers (`support::peer`) on other ports.

mod support;

mod alerts;
mod api;
mod authorized_fetch;
mod browser;
mod conversations;
mod crash;
mod delivery;
mod discovery;
mod fixtures;
mod follows;
mod hostile;
mod inbox_refusals;
mod interactions;
mod media;
mod moderation;
mod ops;
mod passes;
mod posts;
mod release_pages;
mod releases;
mod s3;
mod shows;
mod startup;
mod web;
mod web_admin;
mod web_artist;
