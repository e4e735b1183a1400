//! The `os-release` parser, and the older release files read beside it: never panic, whatever
//! the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use microscanner_catalog::os;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = os::parse_os_release(&text, "etc/os-release");
    let _ = os::parse_lsb_release(&text, "etc/lsb-release");
    let _ = os::parse_debian_version(&text, "etc/debian_version");
    let _ = os::parse_alpine_release(&text, "etc/alpine-release");
    let _ = os::parse_redhat_release(&text, "etc/redhat-release");
    let _ = os::parse_suse_release(&text, "etc/SuSE-release");
    let _ = os::parse_photon_release(&text, "etc/photon-release");
    let _ = os::parse_mariner_release(&text, "etc/mariner-release");
});
