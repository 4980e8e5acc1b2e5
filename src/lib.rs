//! Roadie: a federated ActivityPub server for artists.
//!
//! Requests flow one way: [`http`] → [`domain`] (the rules) → [`db`]; [`federation`] speaks
//! ActivityPub on behalf of the domain and [`delivery`] sends what it signs. See
//! `docs/ARCHITECTURE.md` for the map.

pub mod admin;
pub mod app;
pub mod cache;
pub mod config;
pub mod db;
pub mod delivery;
pub mod domain;
pub mod federation;
pub mod geo;
pub mod http;
pub mod media;
pub mod scheduler;
pub mod urls;

pub use app::AppState;
