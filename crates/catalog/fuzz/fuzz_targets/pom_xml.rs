//! The `pom.xml` parser: never panics, whatever the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use microscanner_catalog::lang::lockfiles::maven;

fuzz_target!(|data: &[u8]| {
    let _ = maven::parse(data);
});
