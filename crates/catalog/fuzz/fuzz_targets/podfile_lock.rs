//! The `Podfile.lock` parser: never panics, whatever the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use microscanner_catalog::lang::lockfiles::cocoapods;

fuzz_target!(|data: &[u8]| {
    let _ = cocoapods::parse(data);
});
