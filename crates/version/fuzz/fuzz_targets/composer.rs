//! Fuzzes the composer parser and comparator: never panics, and orders consistently.
#![no_main]

use libfuzzer_sys::fuzz_target;
use microscanner_version::VersionScheme;

#[path = "common.rs"]
mod checks;

fuzz_target!(|data: &[u8]| {
    checks::check(VersionScheme::Composer, data);
});
