//! Integration tests of microscanner-matcher.
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

mod common;
mod database_reads;
mod debian_tracker;
mod distro_oval;
mod distro_vendors;
mod languages;
mod matcher_reuse;
mod new_ecosystems;
mod os_packages;
mod redhat_vex;
mod threads;
