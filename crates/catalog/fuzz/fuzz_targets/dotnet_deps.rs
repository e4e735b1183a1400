//! The .NET `*.deps.json` parser: never panics, whatever the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use microscanner_catalog::lang::dotnet;

fuzz_target!(|data: &[u8]| {
    let _ = dotnet::parse_deps_json(data);
});
