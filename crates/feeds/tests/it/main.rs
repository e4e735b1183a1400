//! Integration tests of microscanner-feeds: the importers on real feeds, hostile feeds, the updater against a real HTTP server.
//!
//! One test binary per crate (`tests/it/`): each file is a module; linking one binary instead of
//! one per file is what keeps `cargo test` fast on a small machine.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "test code: a panic is the failure report, and notes go to the test's output"
)]

mod distro_feeds;
mod fixtures;
mod hostile_feeds;
mod incremental;
mod redhat_vex;
#[path = "common/server.rs"]
mod support_server;
mod update;
