//! NDB slot/blob reader, then the header parser on every blob it finds.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(blobs) = microscanner_rpmdb::ndb::read_blobs(data) {
        for b in &blobs.blobs {
            let _ = microscanner_rpmdb::parse_header(b);
        }
    }
});
