//! Integration tests of microscanner-catalog: analyzers on real fixtures, hostile archives and evidence, the real test images.
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

mod apk;
mod coverage_doc;
mod dpkg;
mod graph_images;
mod hostile_archives;
mod hostile_evidence;
mod lang_fixtures;
mod lang_hostile;
mod lang_images;
mod lang_peer_fixtures;
mod lang_trivy_formats;
mod license_images;
mod merge_model;
mod os;
mod rpm;
