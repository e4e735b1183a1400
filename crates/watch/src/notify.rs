//! Notifications: the new findings of a re-evaluation POSTed to the entry's webhook.
//!
//! The body is microscanner's JSON ([`Notification`]: the image, the new findings at or above
//! the entry's threshold, a one-line summary without links) or a Slack incoming-webhook message.
//! It is signed with HMAC-SHA256 under a shared secret, hex in the `X-Microscanner-Signature:
//! sha256=<hex>` header (as GitHub signs its webhooks), so the receiver can check that it comes
//! from us and was not changed on the way ([`verify`]). `X-Microscanner-Delivery` is one id per
//! notification, the same on every attempt, so a receiver can drop a repeat.
//!
//! A failed attempt (no answer, a 5xx, 408 or 429) is retried after a delay that doubles each
//! time, up to a bound of attempts; any other 4xx is not retried. The outcome is stored with the
//! entry ([`crate::WatchStore::record_delivery`]) and shown by `watch list`; the findings stay
//! the entry's last result either way, so a notification that could not be delivered is not
//! repeated by the next run (it is logged, and visible in `watch list`).

use std::time::Duration;

use hmac::{Hmac, KeyInit as _, Mac as _};
use microscanner_model::{Finding, PackageKind, Severity, SeverityCounts};
use microscanner_report::text::one_line;
use serde::Serialize;
use sha2_v011::Sha256;

use crate::evaluate::EntryOutcome;
use crate::store::{Delivery, DeliveryState, WatchStore, Webhook, WebhookFormat};

/// The header carrying the signature, `sha256=<hex of HMAC-SHA256(secret, body)>`.
pub const SIGNATURE_HEADER: &str = "X-Microscanner-Signature";

/// The header carrying the notification's id (the same on every attempt).
pub const DELIVERY_HEADER: &str = "X-Microscanner-Delivery";

/// The version of the [`Notification`] document.
pub const NOTIFICATION_SCHEMA_VERSION: &str = "1.0";

/// The most findings a Slack message lists (the rest are counted).
const SLACK_LISTED: usize = 20;

/// The longest title carried for a finding, in characters.
const MAX_TITLE: usize = 200;

type HmacSha256 = Hmac<Sha256>;

/// `sha256=<hex>`: the signature of `body` under `secret`.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    // HMAC takes a key of any length: this cannot fail.
    let Ok(mut mac) = HmacSha256::new_from_slice(secret) else {
        return String::new();
    };
    mac.update(body);
    let code = mac.finalize().into_bytes();
    let mut out = String::from("sha256=");
    for b in code.iter() {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// Whether `header` (the `X-Microscanner-Signature` value) is the signature of `body` under
/// `secret`, compared in constant time: what a receiver checks.
pub fn verify(secret: &[u8], body: &[u8], header: &str) -> bool {
    let Some(hex) = header.trim().strip_prefix("sha256=") else {
        return false;
    };
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return false;
    }
    let expected: Vec<u8> = (0..32).filter_map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()).collect();
    let Ok(mut mac) = HmacSha256::new_from_slice(secret) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

/// One new finding as a notification carries it: what it is and where, no links.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotifiedFinding {
    /// The vulnerability's primary id.
    pub id: String,
    /// Its other ids.
    pub aliases: Vec<String>,
    /// Its severity.
    pub severity: Severity,
    /// The package's name.
    pub package: String,
    /// The installed version.
    pub version: String,
    /// The package's kind (ecosystem).
    pub kind: PackageKind,
    /// Where in the image it was found.
    pub location: String,
    /// Versions that fix it, lowest first (empty: none known).
    pub fixed_in: Vec<String>,
    /// A one-line title, cut to 200 characters (empty when the advisory has none).
    pub title: String,
}

impl NotifiedFinding {
    fn of(f: &Finding) -> Self {
        Self {
            id: f.id.clone(),
            aliases: f.aliases.clone(),
            severity: f.severity,
            package: f.package.name.clone(),
            version: f.package.version.clone(),
            kind: f.package.kind,
            location: f.package.location.clone(),
            fixed_in: f.fix.versions.clone(),
            title: one_line(f.title.as_deref().unwrap_or_default()).chars().take(MAX_TITLE).collect(),
        }
    }
}

/// The JSON body of a notification (`--webhook-format json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notification {
    /// [`NOTIFICATION_SCHEMA_VERSION`].
    pub schema_version: String,
    /// Always `new_findings`.
    pub event: String,
    /// The remembered entry's name.
    pub name: String,
    /// On the service: the public id of the token that remembered it (so the operator's
    /// receiver can route the notification); absent locally.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// The image's name.
    pub image: String,
    /// The image's manifest digest, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// When the re-evaluation ran (RFC 3339): a receiver may refuse old ones.
    pub evaluated_at: String,
    /// The lowest severity notified.
    pub notify_on: Severity,
    /// One line for people, without links: `2 new findings in app (ghcr.io/acme/app:1.4): 1
    /// critical, 1 high`.
    pub summary: String,
    /// The findings listed, by severity.
    pub counts: SeverityCounts,
    /// The new findings at or above `notify_on`, most severe first.
    pub findings: Vec<NotifiedFinding>,
}

/// The notification of `outcome` for `webhook`, evaluated at `now`: `None` when no new finding
/// is at or above the webhook's threshold (nothing to say).
pub fn notification(outcome: &EntryOutcome, webhook: &Webhook, now: &str) -> Option<Notification> {
    let findings: Vec<&Finding> = outcome.new.iter().filter(|f| f.severity >= webhook.notify_on).collect();
    if findings.is_empty() {
        return None;
    }
    let counts = SeverityCounts::count(findings.iter().copied());
    Some(Notification {
        schema_version: NOTIFICATION_SCHEMA_VERSION.to_owned(),
        event: "new_findings".to_owned(),
        name: outcome.name.clone(),
        token: None,
        image: outcome.image.clone(),
        digest: outcome.digest.clone(),
        evaluated_at: now.to_owned(),
        notify_on: webhook.notify_on,
        summary: summary(&outcome.name, &outcome.image, &counts),
        counts,
        findings: findings.into_iter().map(NotifiedFinding::of).collect(),
    })
}

/// `3 new findings in NAME (IMAGE): 1 critical, 2 high`, on one line.
fn summary(name: &str, image: &str, c: &SeverityCounts) -> String {
    let noun = if c.total == 1 { "finding" } else { "findings" };
    one_line(&format!("{} new {noun} in {name} ({image}): {}", c.total, c.breakdown()))
}

/// The bytes POSTed for `n` in `format`.
pub fn body(n: &Notification, format: WebhookFormat) -> Vec<u8> {
    let value = match format {
        WebhookFormat::Json => serde_json::to_value(n).unwrap_or_default(),
        WebhookFormat::Slack => slack(n),
    };
    serde_json::to_vec(&value).unwrap_or_default()
}

/// A Slack incoming-webhook message: the summary as `text` (the notification's fallback) and a
/// section listing the findings.
fn slack(n: &Notification) -> serde_json::Value {
    let mut lines: Vec<String> = n
        .findings
        .iter()
        .take(SLACK_LISTED)
        .map(|f| {
            let fix =
                if f.fixed_in.is_empty() { String::new() } else { format!(", fixed in {}", f.fixed_in.join(", ")) };
            format!("• *{}* {} in `{} {}`{fix}", f.severity.as_str(), f.id, f.package, f.version)
        })
        .collect();
    if n.findings.len() > SLACK_LISTED {
        lines.push(format!("… and {} more", n.findings.len() - SLACK_LISTED));
    }
    serde_json::json!({
        "text": slack_escape(&n.summary),
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": slack_escape(&format!("*{}*", n.summary))}},
            {"type": "section", "text": {"type": "mrkdwn", "text": slack_escape(&lines.join("\n"))}},
        ],
    })
}

/// Slack's mrkdwn escaping: `&`, `<` and `>` (so no text from a feed becomes a link or mention).
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// How notifications are sent: the secret they are signed with, and the retry bounds. Holds no
/// connection: each [`Notifier::deliver`] makes its own blocking HTTP client, so a notifier can
/// be kept and dropped anywhere, an async runtime's threads included (call `deliver` itself off
/// them).
#[derive(Debug, Clone)]
pub struct Notifier {
    secret: Option<Vec<u8>>,
    /// Attempts per notification, the first included (at least 1).
    pub attempts: u32,
    /// The delay after the first failed attempt, doubled after each further one.
    pub backoff: Duration,
    /// The most one attempt may take.
    pub timeout: Duration,
}

/// The delay between two attempts is never longer than this.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

impl Notifier {
    /// A notifier signing with `secret` (`MICROSCANNER_WEBHOOK_SECRET`), making `attempts`
    /// attempts with a first delay of `backoff`, each attempt bounded by `timeout`.
    pub fn new(secret: Option<Vec<u8>>, attempts: u32, backoff: Duration, timeout: Duration) -> Self {
        Self { secret: secret.filter(|s| !s.is_empty()), attempts: attempts.max(1), backoff, timeout }
    }

    fn client(&self) -> Result<reqwest::blocking::Client, reqwest::Error> {
        reqwest::blocking::Client::builder()
            .timeout(self.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("microscanner/", env!("CARGO_PKG_VERSION")))
            .build()
    }

    /// Sends `n` to `webhook`, retrying as the module says; `now` is called for the time the
    /// last attempt ended.
    pub fn deliver(&self, n: &Notification, webhook: &Webhook, now: &dyn Fn() -> String) -> Delivery {
        let failed = |attempts: u32, error: String| Delivery {
            state: DeliveryState::Failed,
            at: now(),
            attempts,
            error: Some(error),
        };
        if self.secret.is_none() && webhook.format == WebhookFormat::Json {
            return failed(
                0,
                "MICROSCANNER_WEBHOOK_SECRET is not set: a JSON notification is always signed".to_owned(),
            );
        }
        let client = match self.client() {
            Ok(c) => c,
            Err(e) => return failed(0, format!("making the HTTP client: {}", error_chain(&e))),
        };
        let body = body(n, webhook.format);
        let id = uuid::Uuid::new_v4().to_string();
        let mut delay = self.backoff;
        let mut last_error = String::new();
        for attempt in 1..=self.attempts {
            match self.attempt(&client, &webhook.url, &body, &id) {
                Ok(()) => {
                    return Delivery { state: DeliveryState::Delivered, at: now(), attempts: attempt, error: None };
                }
                Err((error, retry)) => {
                    tracing::warn!(
                        "webhook {} for {:?}: attempt {attempt} of {}: {error}",
                        webhook.url,
                        n.name,
                        self.attempts
                    );
                    last_error = error;
                    if !retry {
                        return failed(attempt, last_error);
                    }
                }
            }
            if attempt < self.attempts {
                std::thread::sleep(delay);
                delay = (delay * 2).min(MAX_BACKOFF);
            }
        }
        failed(self.attempts, last_error)
    }

    /// One POST: `Err((why, worth retrying))` unless the receiver answered 2xx.
    fn attempt(
        &self,
        client: &reqwest::blocking::Client,
        url: &str,
        body: &[u8],
        id: &str,
    ) -> Result<(), (String, bool)> {
        let mut request =
            client.post(url).header("Content-Type", "application/json").header(DELIVERY_HEADER, id).body(body.to_vec());
        if let Some(secret) = &self.secret {
            request = request.header(SIGNATURE_HEADER, sign(secret, body));
        }
        let response = request.send().map_err(|e| (one_line(&error_chain(&e)), true))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let retry = status.is_server_error() || status.as_u16() == 408 || status.as_u16() == 429;
        Err((format!("the receiver answered {status}"), retry))
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = s.source();
    }
    text
}

/// Notifies every outcome whose entry has a webhook and new findings at or above its threshold,
/// and stores how each delivery went. Returns (entry name, delivery) for each notification sent.
pub fn notify_all(
    store: &WatchStore,
    notifier: &Notifier,
    outcomes: &[EntryOutcome],
    now: &dyn Fn() -> String,
) -> Result<Vec<(String, Delivery)>, crate::WatchError> {
    let mut sent = Vec::new();
    for outcome in outcomes.iter().filter(|o| !o.new.is_empty()) {
        let Some(webhook) = store.get(&outcome.name)?.and_then(|e| e.webhook()) else {
            continue;
        };
        let Some(n) = notification(outcome, &webhook, &now()) else {
            continue;
        };
        let delivery = notifier.deliver(&n, &webhook, now);
        store.record_delivery(&outcome.name, &delivery)?;
        sent.push((outcome.name.clone(), delivery));
    }
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4231, test case 2.
    #[test]
    fn signature_is_rfc_4231_hmac_sha256() {
        assert_eq!(
            sign(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        let header = sign(b"Jefe", b"body");
        assert!(verify(b"Jefe", b"body", &header));
        assert!(!verify(b"Jefe", b"Body", &header), "a changed body fails");
        assert!(!verify(b"jefe", b"body", &header), "another secret fails");
        assert!(!verify(b"Jefe", b"body", "sha256=zz"), "garbage fails");
        assert!(!verify(b"Jefe", b"body", header.trim_start_matches("sha256=")), "the prefix is required");
    }

    #[test]
    fn slack_text_cannot_make_links_or_mentions() {
        assert_eq!(
            slack_escape("<https://evil|click> <!channel> & co"),
            "&lt;https://evil|click&gt; &lt;!channel&gt; &amp; co"
        );
    }
}
