//! The `node_modules/*/package.json` parser: never panics, whatever the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use microscanner_catalog::lang::npm;

fuzz_target!(|data: &[u8]| {
    let _ = npm::parse_package_json(data);
});
