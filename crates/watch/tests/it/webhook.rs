//! Webhooks against a real HTTP receiver on loopback: one signed notification, delivered once
//! through two failures; the signature checked by the receiver (and by Python's `hmac`); a
//! tampered body fails the check; a receiver that keeps failing is given up on, and `list` says so.

use std::process::{Command, Stdio};
use std::time::Duration;

use microscanner_model::Severity;
use microscanner_watch::notify::{DELIVERY_HEADER, Notifier, SIGNATURE_HEADER, notify_all, verify};
use microscanner_watch::{DeliveryState, EntryOutcome, NewEntry, WatchStore, Webhook, WebhookFormat};

use crate::receiver::Receiver;
use crate::store::sample_entry_parts;

const SECRET: &[u8] = b"s3cret-for-the-test";

/// A store with one entry `app` whose webhook is `url`, and the outcome of a run that found all of
/// the sample report's findings new.
fn setup(url: &str, format: WebhookFormat) -> (tempfile::TempDir, WatchStore, EntryOutcome) {
    let tmp = tempfile::tempdir().unwrap();
    let store = WatchStore::open(&tmp.path().join("watch.db"), true).unwrap().unwrap();
    let (inventory, findings) = sample_entry_parts();
    let webhook = Webhook { url: url.to_owned(), format, notify_on: Severity::High };
    store
        .remember(&NewEntry {
            name: "app",
            inventory: &inventory,
            findings: &[],
            database_built_at: None,
            webhook: Some(webhook),
            now: "t0",
        })
        .unwrap();
    let outcome = EntryOutcome {
        name: "app".into(),
        image: inventory.image.name.clone(),
        digest: inventory.image.manifest_digest.clone(),
        new_summary: microscanner_model::SeverityCounts::count(&findings),
        new: findings,
        fixed: 0,
        changed: 0,
        findings: 5,
    };
    (tmp, store, outcome)
}

fn notifier(attempts: u32) -> Notifier {
    Notifier::new(Some(SECRET.to_vec()), attempts, Duration::from_millis(20), Duration::from_secs(5))
}

/// HMAC-SHA256 of `body` under `secret` by Python's `hmac` module, when python3 is here.
fn python_hmac(secret: &[u8], body: &[u8]) -> Option<String> {
    let script = "import hmac,hashlib,sys; k=sys.argv[1].encode(); print(hmac.new(k, sys.stdin.buffer.read(), hashlib.sha256).hexdigest())";
    let mut child = Command::new("python3")
        .args(["-c", script, std::str::from_utf8(secret).unwrap()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .ok()?;
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), body).unwrap();
    let out = child.wait_with_output().unwrap();
    Some(String::from_utf8(out.stdout).unwrap().trim().to_owned())
}

#[test]
fn a_receiver_failing_twice_gets_one_signed_notification() {
    let receiver = Receiver::start(vec![503, 503]);
    let (_tmp, store, outcome) = setup(&receiver.url, WebhookFormat::Json);
    let sent =
        notify_all(&store, &notifier(5), std::slice::from_ref(&outcome), &|| "2026-12-07T08:00:00Z".into()).unwrap();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].1.state, DeliveryState::Delivered);
    assert_eq!(sent[0].1.attempts, 3);

    let requests = receiver.requests();
    assert_eq!(requests.iter().map(|r| r.status).collect::<Vec<_>>(), [503, 503, 200]);
    assert_eq!(requests.iter().filter(|r| r.status == 200).count(), 1, "exactly one delivered");
    let ids: Vec<_> = requests.iter().map(|r| r.header(DELIVERY_HEADER).unwrap().to_owned()).collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "one delivery id across attempts: {ids:?}");

    let delivered = &requests[2];
    let signature = delivered.header(SIGNATURE_HEADER).expect("signed");
    assert!(verify(SECRET, &delivered.body, signature), "the receiver's check passes");
    if microscanner_testkit::require(Command::new("python3").arg("-V").output().is_ok(), "python3") {
        let expected = python_hmac(SECRET, &delivered.body).unwrap();
        assert_eq!(signature, format!("sha256={expected}"), "Python's hmac agrees");
    }
    let mut tampered = delivered.body.clone();
    let at = tampered.iter().position(|b| *b == b'1').unwrap();
    tampered[at] = b'2';
    assert!(!verify(SECRET, &tampered, signature), "a tampered body fails the check");
    assert!(!verify(b"another secret", &delivered.body, signature), "another secret fails the check");

    let body: serde_json::Value = serde_json::from_slice(&delivered.body).unwrap();
    assert_eq!(body["name"], "app");
    assert_eq!(body["image"], outcome.image.as_str());
    assert_eq!(body["event"], "new_findings");
    let listed = body["findings"].as_array().unwrap();
    let at_or_above_high = outcome.new.iter().filter(|f| f.severity >= Severity::High).count();
    assert_eq!(listed.len(), at_or_above_high, "only findings at or above the threshold");
    assert!(listed.iter().all(|f| ["critical", "high"].contains(&f["severity"].as_str().unwrap())));
    let text = String::from_utf8_lossy(&delivered.body);
    assert!(!text.contains("http://") && !text.contains("https://"), "link-free: {text}");
    assert!(body["summary"].as_str().unwrap().starts_with(&format!("{at_or_above_high} new findings in app")));

    let entry = store.get("app").unwrap().unwrap();
    let last = entry.last_delivery.unwrap();
    assert_eq!((last.state, last.attempts, last.error), (DeliveryState::Delivered, 3, None));
}

#[test]
fn a_receiver_that_keeps_failing_is_given_up_on_and_list_says_so() {
    let receiver = Receiver::start(vec![500; 10]);
    let (_tmp, store, outcome) = setup(&receiver.url, WebhookFormat::Json);
    let sent = notify_all(&store, &notifier(3), &[outcome], &|| "2026-12-07T08:00:00Z".into()).unwrap();
    assert_eq!(sent[0].1.state, DeliveryState::Failed);
    assert_eq!(receiver.requests().len(), 3, "bounded attempts");
    let last = store.list().unwrap().remove(0).last_delivery.unwrap();
    assert_eq!(last.state, DeliveryState::Failed);
    assert_eq!(last.attempts, 3);
    assert!(last.error.unwrap().contains("500"), "the reason is kept");
}

#[test]
fn a_client_error_is_not_retried() {
    let receiver = Receiver::start(vec![404; 10]);
    let (_tmp, store, outcome) = setup(&receiver.url, WebhookFormat::Json);
    let sent = notify_all(&store, &notifier(5), &[outcome], &|| "t".into()).unwrap();
    assert_eq!((sent[0].1.state, sent[0].1.attempts), (DeliveryState::Failed, 1));
    assert_eq!(receiver.requests().len(), 1);
}

#[test]
fn a_json_webhook_without_a_secret_is_refused_and_slack_is_sent_unsigned() {
    let receiver = Receiver::start(vec![]);
    let (_tmp, store, outcome) = setup(&receiver.url, WebhookFormat::Json);
    let unsigned = Notifier::new(None, 2, Duration::from_millis(1), Duration::from_secs(5));
    let sent = notify_all(&store, &unsigned, std::slice::from_ref(&outcome), &|| "t".into()).unwrap();
    assert_eq!(sent[0].1.state, DeliveryState::Failed);
    assert!(sent[0].1.error.as_deref().unwrap().contains("MICROSCANNER_WEBHOOK_SECRET"));
    assert!(receiver.requests().is_empty(), "nothing unsigned was sent");

    let (_tmp2, slack_store, outcome) = setup(&receiver.url, WebhookFormat::Slack);
    let sent = notify_all(&slack_store, &unsigned, &[outcome], &|| "t".into()).unwrap();
    assert_eq!(sent[0].1.state, DeliveryState::Delivered);
    let got = receiver.requests().remove(0);
    assert!(got.header(SIGNATURE_HEADER).is_none());
    let body: serde_json::Value = serde_json::from_slice(&got.body).unwrap();
    assert!(body["text"].as_str().unwrap().contains("new findings in app"), "{body}");
    assert_eq!(body["blocks"][1]["type"], "section");
    assert!(body["blocks"][1]["text"]["text"].as_str().unwrap().contains("*critical*"), "{body}");
}

#[test]
fn nothing_at_or_above_the_threshold_sends_nothing() {
    let receiver = Receiver::start(vec![]);
    let (_tmp, store, mut outcome) = setup(&receiver.url, WebhookFormat::Json);
    outcome.new.retain(|f| f.severity < Severity::High);
    assert!(!outcome.new.is_empty());
    let sent = notify_all(&store, &notifier(2), &[outcome], &|| "t".into()).unwrap();
    assert!(sent.is_empty());
    assert!(receiver.requests().is_empty());
    assert!(store.get("app").unwrap().unwrap().last_delivery.is_none());
}
