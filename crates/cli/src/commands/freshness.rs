//! How old the vulnerability data is: the age of the *data* (each feed's newest record, recorded
//! at build time as the source's timestamp), not of the file. A database rebuilt today from a
//! mirror that stopped a month ago is a month old. The oldest feed decides: one stale feed hides
//! every advisory published since in its ecosystem.

use microscanner_model::DatabaseInfo;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The default of `--db-max-age`, in days.
pub(crate) const DEFAULT_MAX_AGE_DAYS: u64 = 5;

/// The oldest feed: its name, its data date as recorded, and its age in whole days at `now`.
pub(crate) fn oldest_feed(database: &DatabaseInfo, now: OffsetDateTime) -> Option<(String, String, i64)> {
    database
        .sources
        .iter()
        .filter_map(|s| {
            let stamp = s.timestamp.as_deref()?;
            // A date before OSV, NVD's JSON feeds or any tracker existed is a placeholder (the Go
            // vulndb's zero time, year 1), not a data date.
            let when = parse_date(stamp).filter(|t| t.year() >= 1995)?;
            Some((s.name.clone(), stamp.to_owned(), (now - when).whole_days()))
        })
        .max_by_key(|(_, _, age)| *age)
}

/// RFC 3339, or a bare `YYYY-MM-DD` (midnight UTC).
fn parse_date(text: &str) -> Option<OffsetDateTime> {
    if let Ok(t) = OffsetDateTime::parse(text, &Rfc3339) {
        return Some(t);
    }
    let day = text.get(..10)?;
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(day, &format).ok().map(|d| d.midnight().assume_utc())
}

/// Warns (stderr, through the log) when the oldest feed's data is older than `max_age_days`
/// (`0`: never).
pub(crate) fn warn_if_stale(database: &DatabaseInfo, max_age_days: u64, now: OffsetDateTime) {
    if max_age_days == 0 {
        return;
    }
    if let Some((name, stamp, age)) = oldest_feed(database, now)
        && age > i64::try_from(max_age_days).unwrap_or(i64::MAX)
    {
        tracing::warn!(
            "the vulnerability data is {age} days old (oldest feed: {name}, data of {stamp}): advisories published since are missing; run `microscanner db update` (--db-max-age 0 silences this)"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use microscanner_model::DatabaseSource;

    fn info(stamps: &[(&str, Option<&str>)]) -> DatabaseInfo {
        DatabaseInfo {
            built_at: "2026-12-06T00:00:00Z".into(),
            schema_version: 1,
            sources: stamps
                .iter()
                .map(|(n, t)| DatabaseSource { name: (*n).into(), timestamp: t.map(str::to_owned) })
                .collect(),
        }
    }

    #[test]
    fn the_oldest_feed_decides() {
        let now = OffsetDateTime::parse("2026-12-06T12:00:00Z", &Rfc3339).unwrap();
        let db = info(&[("osv:PyPI", Some("2026-12-05T23:00:00Z")), ("debian-dsa", Some("2026-11-20")), ("kev", None)]);
        let (name, stamp, age) = oldest_feed(&db, now).unwrap();
        assert_eq!((name.as_str(), stamp.as_str(), age), ("debian-dsa", "2026-11-20", 16));
        assert!(oldest_feed(&info(&[("x", None)]), now).is_none());
        assert!(oldest_feed(&info(&[("x", Some("not a date"))]), now).is_none());
        assert!(oldest_feed(&info(&[("go", Some("0001-01-01T00:00:00Z"))]), now).is_none(), "a zero time is no date");
    }
}
