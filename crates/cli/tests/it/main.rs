//! Integration tests of microscanner-cli.
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

mod acceptance_images;
mod cache;
mod ci_experience;
mod ci_recipes;
mod cli_messages;
mod db;
mod db_delta;
mod db_registry;
mod declared_only;
mod distro_scan;
mod engine;
mod examples;
mod freshness;
mod hostile_output;
mod in_image;
mod openapi;
mod output_paths;
mod registry;
mod sbom;
mod scan;
mod service;
#[path = "support/fixture_scan.rs"]
mod support_fixture_scan;
#[path = "support/in_image.rs"]
mod support_in_image;
#[path = "../../../feeds/tests/it/common/server.rs"]
mod support_server;
mod version;
mod watch;
