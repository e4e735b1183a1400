//! Integration tests of microscanner-watch: the store, and webhooks against a real HTTP receiver
//! on loopback.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr,
    missing_docs,
    unreachable_pub,
    reason = "test code: a panic is the failure report"
)]

mod receiver;
mod store;
mod webhook;
