//! The dpkg database parsers (`status`, a distroless `status.d` entry, an `info/*.list`): never
//! panic, whatever the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use microscanner_catalog::dpkg;

fuzz_target!(|data: &[u8]| {
    let _ = dpkg::parse_status(data, "/var/lib/dpkg/status", true);
    let _ = dpkg::parse_status(data, "/var/lib/dpkg/status.d/fuzz", false);
    let _ = dpkg::parse_list(data);
});
