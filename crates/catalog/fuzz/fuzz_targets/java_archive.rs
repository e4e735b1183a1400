//! The Java archive parser: never panics, whatever the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use microscanner_catalog::lang::java;

fuzz_target!(|data: &[u8]| {
    let _ = java::parse_named(data, "fuzz");
});
