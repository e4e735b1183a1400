//! The Ruby `specifications/*.gemspec` parser: never panics, whatever the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use microscanner_catalog::lang::ruby;

fuzz_target!(|data: &[u8]| {
    let _ = ruby::parse_gemspec(data);
});
