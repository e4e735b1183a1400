//! The Composer `vendor/composer/installed.json` parser: never panics, whatever the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use microscanner_catalog::lang::php;

fuzz_target!(|data: &[u8]| {
    let _ = php::parse_installed(data);
});
