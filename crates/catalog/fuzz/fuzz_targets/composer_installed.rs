//! `Format::ComposerInstalled` parser: never panics, whatever the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use microscanner_catalog::lang::Format;

fuzz_target!(|data: &[u8]| {
    let _ = Format::ComposerInstalled.parse("fuzz", data);
});
