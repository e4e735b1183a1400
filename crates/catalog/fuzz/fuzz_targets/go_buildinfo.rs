//! Go build info: the blob finder, both string forms and the module-info text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use microscanner_catalog::lang::gobinary;

fuzz_target!(|data: &[u8]| {
    // as a whole file, and as the blob alone behind a fake ELF magic (reaches the inline form quickly)
    let _ = gobinary::parse(data);
    let mut framed = b"\x7fELF".to_vec();
    framed.resize(16, 0);
    framed.extend_from_slice(b"\xff Go buildinf:");
    framed.extend_from_slice(data);
    let _ = gobinary::parse(&framed);
    let text = String::from_utf8_lossy(data);
    let info = gobinary::parse_modinfo("go1.22.1", &text);
    let _ = gobinary::packages(&info);
});
