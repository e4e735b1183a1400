//! The `mix.lock` parser: never panics, whatever the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use microscanner_catalog::lang::lockfiles::elixir;

fuzz_target!(|data: &[u8]| {
    let _ = elixir::parse(data);
});
