//! The Python `METADATA`/`PKG-INFO` parser: never panics, whatever the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use microscanner_catalog::lang::python;

fuzz_target!(|data: &[u8]| {
    let _ = python::parse_metadata(data);
});
