//! Roadie: a federated ActivityPub server for artists.

pub mod config;
pub mod db;
