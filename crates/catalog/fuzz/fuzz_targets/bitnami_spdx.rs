//! The Bitnami component SPDX document parser: never panics, whatever the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use microscanner_catalog::lang::bitnami;

fuzz_target!(|data: &[u8]| {
    let _ = bitnami::parse(data);
});
