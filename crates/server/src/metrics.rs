//! `GET /metrics`: Prometheus text exposition (format 0.0.4) of requests by route and status,
//! a latency histogram per route, scans, quota rejections, registrations, mail failures and the
//! database's age.
//!
//! Written here rather than with a metrics crate: the label sets are fixed and few, the text
//! format is a dozen lines, and one mutex-guarded map per request costs well under a microsecond.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds (seconds) of the latency histogram's buckets.
const BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];

#[derive(Debug, Default, Clone)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// The service's counters.
#[derive(Debug, Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, u16), u64>>,
    latency: Mutex<BTreeMap<String, Histogram>>,
    /// Scans answered with a report.
    pub scans: AtomicU64,
    /// Scans refused because the token's quota was used up.
    pub quota_rejections: AtomicU64,
    /// Registrations that issued a token.
    pub registrations: AtomicU64,
    /// Registrations refused by the per-address or per-client limit.
    pub registrations_throttled: AtomicU64,
    /// Mails that could not be sent.
    pub mail_failures: AtomicU64,
    /// The re-evaluation of remembered inventories.
    pub watch: WatchMetrics,
}

/// The re-evaluation's counters and its progress.
#[derive(Debug, Default)]
pub struct WatchMetrics {
    /// Inventories remembered (or replaced) by a scan.
    pub remembered: AtomicU64,
    /// Remembered inventories evaluated by this replica.
    pub evaluations: AtomicU64,
    /// New findings those evaluations found.
    pub new_findings: AtomicU64,
    /// Notifications delivered.
    pub delivered: AtomicU64,
    /// Notifications given up on.
    pub failed: AtomicU64,
    /// Remembered inventories not yet evaluated against the loaded database (at the last look).
    pub pending: AtomicU64,
    /// Remembered inventories in all (at the last look).
    pub total: AtomicU64,
}

impl Metrics {
    /// Records one answered request.
    pub fn observe(&self, route: &str, status: u16, elapsed: Duration) {
        if let Ok(mut requests) = self.requests.lock() {
            *requests.entry((route.to_owned(), status)).or_default() += 1;
        }
        let seconds = elapsed.as_secs_f64();
        if let Ok(mut latency) = self.latency.lock() {
            let h = latency.entry(route.to_owned()).or_default();
            for (slot, bound) in h.counts.iter_mut().zip(BUCKETS) {
                if seconds <= bound {
                    *slot += 1;
                }
            }
            h.count += 1;
            h.sum += seconds;
        }
    }

    /// The exposition text; `database_age` is the loaded database's age in seconds, if any.
    pub fn render(&self, database_age: Option<f64>) -> String {
        let mut out = String::new();
        out.push_str("# HELP microscanner_http_requests_total Requests answered, by route and status code.\n");
        out.push_str("# TYPE microscanner_http_requests_total counter\n");
        if let Ok(requests) = self.requests.lock() {
            for ((route, code), n) in requests.iter() {
                let _ = writeln!(out, "microscanner_http_requests_total{{route=\"{route}\",code=\"{code}\"}} {n}");
            }
        }
        out.push_str("# HELP microscanner_http_request_duration_seconds Time to answer, by route.\n");
        out.push_str("# TYPE microscanner_http_request_duration_seconds histogram\n");
        if let Ok(latency) = self.latency.lock() {
            for (route, h) in latency.iter() {
                let name = "microscanner_http_request_duration_seconds";
                for (bound, n) in BUCKETS.iter().zip(h.counts) {
                    let _ = writeln!(out, "{name}_bucket{{route=\"{route}\",le=\"{bound}\"}} {n}");
                }
                let _ = writeln!(out, "{name}_bucket{{route=\"{route}\",le=\"+Inf\"}} {}", h.count);
                let _ = writeln!(out, "{name}_sum{{route=\"{route}\"}} {}", h.sum);
                let _ = writeln!(out, "{name}_count{{route=\"{route}\"}} {}", h.count);
            }
        }
        counter(&mut out, "microscanner_scans_total", "Scans answered with a report.", &self.scans);
        counter(
            &mut out,
            "microscanner_quota_rejections_total",
            "Scans refused with 429: the token's daily quota was used up.",
            &self.quota_rejections,
        );
        counter(&mut out, "microscanner_registrations_total", "Tokens issued by registration.", &self.registrations);
        counter(
            &mut out,
            "microscanner_registrations_throttled_total",
            "Registrations refused by the per-address or per-client limit.",
            &self.registrations_throttled,
        );
        counter(&mut out, "microscanner_mail_failures_total", "Mails that could not be sent.", &self.mail_failures);
        let w = &self.watch;
        counter(&mut out, "microscanner_watch_remembered_total", "Inventories remembered by a scan.", &w.remembered);
        counter(
            &mut out,
            "microscanner_watch_evaluations_total",
            "Remembered inventories re-evaluated by this replica.",
            &w.evaluations,
        );
        counter(
            &mut out,
            "microscanner_watch_new_findings_total",
            "New findings re-evaluations found.",
            &w.new_findings,
        );
        counter(&mut out, "microscanner_watch_notifications_delivered_total", "Notifications delivered.", &w.delivered);
        counter(&mut out, "microscanner_watch_notifications_failed_total", "Notifications given up on.", &w.failed);
        gauge(
            &mut out,
            "microscanner_watch_pending",
            "Remembered inventories not yet evaluated against the loaded database.",
            &w.pending,
        );
        gauge(&mut out, "microscanner_watch_inventories", "Remembered inventories in all.", &w.total);
        out.push_str("# HELP microscanner_database_loaded Whether a vulnerability database is loaded.\n");
        out.push_str("# TYPE microscanner_database_loaded gauge\n");
        let _ = writeln!(out, "microscanner_database_loaded {}", u8::from(database_age.is_some()));
        if let Some(age) = database_age {
            out.push_str("# HELP microscanner_database_age_seconds Seconds since the loaded database was built.\n");
            out.push_str("# TYPE microscanner_database_age_seconds gauge\n");
            let _ = writeln!(out, "microscanner_database_age_seconds {age}");
        }
        out
    }
}

fn gauge(out: &mut String, name: &str, help: &str, value: &AtomicU64) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {}", value.load(Ordering::Relaxed));
}

fn counter(out: &mut String, name: &str, help: &str, value: &AtomicU64) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}", value.load(Ordering::Relaxed));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counts_and_buckets() {
        let m = Metrics::default();
        m.observe("/api/v1/scan", 200, Duration::from_millis(3));
        m.observe("/api/v1/scan", 429, Duration::from_millis(30));
        m.scans.fetch_add(1, Ordering::Relaxed);
        let text = m.render(Some(42.0));
        assert!(text.contains("microscanner_http_requests_total{route=\"/api/v1/scan\",code=\"429\"} 1"));
        assert!(
            text.contains("microscanner_http_request_duration_seconds_bucket{route=\"/api/v1/scan\",le=\"0.005\"} 1")
        );
        assert!(
            text.contains("microscanner_http_request_duration_seconds_bucket{route=\"/api/v1/scan\",le=\"0.05\"} 2")
        );
        assert!(text.contains("microscanner_scans_total 1"));
        assert!(text.contains("microscanner_database_age_seconds 42"));
    }
}
