//! The Debian security tracker: its JSON export (`/tracker/data/json`: per package, per CVE, per
//! release status, urgency, no-dsa/ignored/postponed; `tracker.rs`) and its `data/DSA/list` /
//! `data/DLA/list` text (`list.rs`). Releases become OSV ecosystems (`bookworm` → `Debian:12`).

mod list;
mod tracker;

pub use list::parse_list;
pub(crate) use tracker::{Package, Tracker, looks_like_cve, order};
pub use tracker::{SOURCE_TRACKER, from_tracker_value, looks_like_tracker, parse_tracker_json};

/// The OSV ecosystem of a Debian release code name (`bookworm` → `Debian:12`); unknown code names
/// are kept (`Debian:sid`).
pub fn ecosystem_of(codename: &str) -> String {
    let number = match codename {
        "buzz" => "1.1",
        "rex" => "1.2",
        "bo" => "1.3",
        "hamm" => "2.0",
        "slink" => "2.1",
        "potato" => "2.2",
        "woody" => "3.0",
        "sarge" => "3.1",
        "etch" => "4.0",
        "lenny" => "5.0",
        "squeeze" => "6.0",
        "wheezy" => "7",
        "jessie" => "8",
        "stretch" => "9",
        "buster" => "10",
        "bullseye" => "11",
        "bookworm" => "12",
        "trixie" => "13",
        "forky" => "14",
        "duke" => "15",
        other => other,
    };
    format!("Debian:{number}")
}
