//! The microscanner service (`microscanner serve`): tokens registered by email, a daily quota per
//! token, and scans of package inventories (never file contents) against the vulnerability
//! database; plus the client that registers and sends inventories ([`client`]).
//!
//! The pieces: [`token`] (what a token is), [`store`] (tokens and counters, SQLite or
//! PostgreSQL), [`database`] (the vulnerability database, switched when its file changes),
//! [`api`] (the HTTP routes), [`serve`] (the accept loop, TLS, signals), [`report`] (inventory →
//! report, shared with the local scan).

pub mod api;
pub mod client;
pub mod clock;
pub mod config;
pub mod database;
pub mod inventory;
pub mod mail;
pub mod metrics;
pub mod report;
pub mod serve;
pub mod store;
pub mod token;
pub mod watch;
