//! The `Package.resolved` parser: never panics, whatever the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use microscanner_catalog::lang::lockfiles::swift;

fuzz_target!(|data: &[u8]| {
    let _ = swift::parse(data);
});
