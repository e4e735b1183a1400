//! The `pnpm-lock.yaml` parser: never panics, whatever the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use microscanner_catalog::lang::lockfiles::pnpm;

fuzz_target!(|data: &[u8]| {
    let _ = pnpm::parse(data);
});
