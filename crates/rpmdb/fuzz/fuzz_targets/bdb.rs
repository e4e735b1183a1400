//! BerkeleyDB hash page walker, then the header parser on every blob it finds.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(blobs) = microscanner_rpmdb::bdb::read_blobs(data) {
        for b in &blobs.blobs {
            let _ = microscanner_rpmdb::parse_header(b);
        }
    }
});
