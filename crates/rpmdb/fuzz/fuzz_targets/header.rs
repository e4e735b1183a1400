//! The rpm header blob parser.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = microscanner_rpmdb::parse_header(data) {
        let _ = p.evr();
        let _ = p.source_nvr();
    }
});
