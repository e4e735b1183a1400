//! The time the quota counts by. A trait so tests move the day forward instead of sleeping.

use std::sync::atomic::{AtomicI64, Ordering};

use crate::store::{UnixSeconds, UtcDay};

/// Seconds in a day.
pub const DAY: i64 = 86_400;

/// Where "now" comes from.
pub trait Clock: Send + Sync + std::fmt::Debug + 'static {
    /// Now, in Unix seconds (UTC).
    fn now(&self) -> UnixSeconds;
}

/// The system's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> UnixSeconds {
        time::OffsetDateTime::now_utc().unix_timestamp()
    }
}

/// A clock that only moves when told to (tests: "the count resets at the next UTC day").
#[derive(Debug, Default)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    /// A clock stopped at `now`.
    pub fn new(now: UnixSeconds) -> Self {
        Self(AtomicI64::new(now))
    }

    /// Moves the clock forward (or back) by `seconds`.
    pub fn advance(&self, seconds: i64) {
        self.0.fetch_add(seconds, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> UnixSeconds {
        self.0.load(Ordering::SeqCst)
    }
}

/// The UTC day `t` falls in.
pub fn day_of(t: UnixSeconds) -> UtcDay {
    t.div_euclid(DAY)
}

/// Seconds from `t` to the next UTC midnight (at least 1).
pub fn seconds_to_next_day(t: UnixSeconds) -> i64 {
    (DAY - t.rem_euclid(DAY)).max(1)
}

/// `YYYY-MM-DD` of a day number.
pub fn day_label(day: UtcDay) -> String {
    time::OffsetDateTime::from_unix_timestamp(day * DAY)
        .map(|t| t.date().to_string())
        .unwrap_or_else(|_| day.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_and_resets() {
        // 2026-12-06T23:59:59Z
        let t = 1_796_601_599;
        assert_eq!(day_label(day_of(t)), "2026-12-06");
        assert_eq!(seconds_to_next_day(t), 1);
        assert_eq!(day_of(t + 1), day_of(t) + 1);
        assert_eq!(seconds_to_next_day(t + 1), DAY);
        let c = ManualClock::new(t);
        c.advance(1);
        assert_eq!(day_label(day_of(c.now())), "2026-12-07");
    }
}
