//! The `pubspec.lock` parser: never panics, whatever the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use microscanner_catalog::lang::lockfiles::dart;

fuzz_target!(|data: &[u8]| {
    let _ = dart::parse(data);
});
