//! Fuzzes OSV `affected` parsing and evaluation: never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use microscanner_version::VersionScheme;
use microscanner_version::osv::{Affected, is_affected};

fuzz_target!(|data: &[u8]| {
    // First line: the installed version; the rest: an `affected` entry as JSON.
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (version, json) = text.split_once('\n').unwrap_or((text, "{}"));
    let Ok(affected) = serde_json::from_str::<Affected>(json) else { return };
    let ecosystem = affected.package.as_ref().map(|p| p.ecosystem.clone()).unwrap_or_default();
    let scheme = VersionScheme::from_osv_ecosystem(&ecosystem);
    let _ = is_affected(scheme, &affected, version);
    for scheme in VersionScheme::ALL {
        let _ = is_affected(scheme, &affected, version);
    }
});
