//! The apk `installed` database parser: never panics, whatever the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use microscanner_catalog::apk;

fuzz_target!(|data: &[u8]| {
    let _ = apk::parse(data);
});
