//! The service's re-evaluation of remembered inventories (`POST /api/v1/scan?remember=NAME`,
//! docs/watch.md): once per database generation, shared between replicas.
//!
//! Every replica runs [`worker`]: every `poll` it looks at the database file (loading a new one
//! as a request would) and claims, one at a time, the entries whose last findings are not of the
//! loaded generation ([`Store::claim_remembered`](crate::store::Store::claim_remembered): one
//! atomic statement, `FOR UPDATE SKIP LOCKED` on PostgreSQL, so two replicas never take the same
//! entry). It matches the entry's inventory again, compares the result with the last one by the
//! diff's finding identity ([`microscanner_watch::outcome`]), notifies the operator's webhook
//! when something new is at or above its threshold, and stores the new result with the
//! generation, releasing the lease. So each entry is evaluated and notified once per generation,
//! whatever the number of replicas. A replica that dies holding a lease leaves the entry to
//! another once the lease (5 minutes) has passed.
//!
//! A generation is named by the sha256 of the database file
//! ([`Generation::watch_key`]): replicas loading the same file agree on it, and the same
//! content loaded again is not evaluated again.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use microscanner_model::{Finding, Inventory};
use microscanner_watch::notify::{Notifier, notification};
use microscanner_watch::{DeliveryState, decode_document, encode_document};

use crate::api::AppState;
use crate::database::Generation;
use crate::store::{RememberedRecord, StoreError};

/// Why a round of re-evaluation stopped.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A blocking task failed.
    #[error("re-evaluation task failed: {0}")]
    Task(String),
}

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Round {
    /// Entries evaluated by this replica.
    pub evaluated: u64,
    /// Notifications delivered.
    pub delivered: u64,
    /// Entries of any replica not yet evaluated against the loaded generation, after the round.
    pub pending: u64,
}

/// Runs rounds every `config.watch.poll`, forever (the caller aborts it at shutdown); `owner`
/// names this replica in the leases it takes.
pub async fn worker(state: Arc<AppState>, owner: String) {
    let notifier = notifier(&state);
    loop {
        if let Err(e) = round(&state, &owner, &notifier).await {
            tracing::warn!("watch: re-evaluation round failed (tried again in {:?}): {e}", state.config.watch.poll);
        }
        tokio::time::sleep(state.config.watch.poll).await;
    }
}

/// The notifier of the service's webhook settings.
pub fn notifier(state: &AppState) -> Notifier {
    let w = &state.config.watch;
    Notifier::new(w.secret.clone(), w.attempts, w.backoff, std::time::Duration::from_secs(10))
}

/// One round: claims and evaluates entries until none is left for the loaded generation.
pub async fn round(state: &Arc<AppState>, owner: &str, notifier: &Notifier) -> Result<Round, WatchError> {
    let handle = Arc::clone(&state.database);
    let generation =
        tokio::task::spawn_blocking(move || handle.current()).await.map_err(|e| WatchError::Task(e.to_string()))?;
    let Some(generation) = generation else {
        return Ok(Round::default());
    };
    let keyed = Arc::clone(&generation);
    let key =
        tokio::task::spawn_blocking(move || keyed.watch_key()).await.map_err(|e| WatchError::Task(e.to_string()))?;
    let lease = i64::try_from(state.config.watch.lease.as_secs()).unwrap_or(i64::MAX);
    let mut done = Round::default();
    while let Some(entry) = state.store.claim_remembered(&key, owner, state.clock.now(), lease).await? {
        let delivered = evaluate_one(state, &generation, entry, owner, &key, notifier).await?;
        done.evaluated += 1;
        done.delivered += u64::from(delivered);
    }
    let (pending, total) = state.store.remembered_progress(&key).await?;
    state.metrics.watch.pending.store(pending, Ordering::Relaxed);
    state.metrics.watch.total.store(total, Ordering::Relaxed);
    done.pending = pending;
    Ok(done)
}

/// Evaluates one claimed entry against `generation` (named `key`), notifies, stores the result;
/// whether a notification was delivered.
async fn evaluate_one(
    state: &Arc<AppState>,
    generation: &Arc<Generation>,
    entry: RememberedRecord,
    owner: &str,
    key: &str,
    notifier: &Notifier,
) -> Result<bool, WatchError> {
    let (state2, generation, notifier, entry2) =
        (Arc::clone(state), Arc::clone(generation), notifier.clone(), entry.clone());
    let (findings, delivered) =
        tokio::task::spawn_blocking(move || evaluate_blocking(&state2, &generation, &entry2, &notifier))
            .await
            .map_err(|e| WatchError::Task(e.to_string()))?;
    let now = state.clock.now();
    if !state.store.finish_remembered(&entry.token_id, &entry.name, owner, key, &findings, now).await? {
        tracing::warn!("watch: the lease on {}/{} passed to another replica meanwhile", entry.token_id, entry.name);
    }
    Ok(delivered)
}

/// The blocking part: match, compare, notify. Returns the findings to store (the old ones when
/// the entry could not be read or matched: it is logged and not retried until the next
/// generation) and whether a notification was delivered.
fn evaluate_blocking(
    state: &AppState,
    generation: &Arc<Generation>,
    entry: &RememberedRecord,
    notifier: &Notifier,
) -> (Vec<u8>, bool) {
    let who = format!("{}/{}", entry.token_id, entry.name);
    let matched = rematch(generation, entry);
    let (last, current) = match matched {
        Ok(pair) => pair,
        Err(e) => {
            tracing::error!("watch: {who} not re-evaluated: {e}");
            return (entry.findings.clone(), false);
        }
    };
    let outcome = microscanner_watch::outcome(&entry.name, &entry.image, entry.digest.as_deref(), &last, &current);
    let m = &state.metrics.watch;
    m.evaluations.fetch_add(1, Ordering::Relaxed);
    m.new_findings.fetch_add(outcome.new.len() as u64, Ordering::Relaxed);
    let delivered = notify(state, &outcome, &entry.token_id, notifier);
    let stored = encode_document(&microscanner_watch::compact(&current)).unwrap_or_else(|e| {
        tracing::error!("watch: {who}: storing the findings: {e}");
        entry.findings.clone()
    });
    (stored, delivered)
}

/// The entry's last findings and its findings against `generation`.
fn rematch(generation: &Arc<Generation>, entry: &RememberedRecord) -> Result<(Vec<Finding>, Vec<Finding>), String> {
    let inventory: Inventory = decode_document(&entry.inventory).map_err(|e| format!("inventory: {e}"))?;
    let last: Vec<Finding> = decode_document(&entry.findings).map_err(|e| format!("findings: {e}"))?;
    let lease = generation.lease().map_err(|e| e.to_string())?;
    let current = microscanner_watch::evaluate(lease.db(), &entry.name, &inventory).map_err(|e| e.to_string())?;
    Ok((last, current))
}

/// Notifies the webhook of `outcome` when one is set and something new is at or above its
/// threshold; whether it was delivered.
fn notify(state: &AppState, outcome: &microscanner_watch::EntryOutcome, token_id: &str, notifier: &Notifier) -> bool {
    let Some(webhook) = &state.config.watch.webhook else {
        return false;
    };
    let now = || crate::api::rfc3339(state.clock.now());
    let Some(mut n) = notification(outcome, webhook, &now()) else {
        return false;
    };
    n.token = Some(token_id.to_owned());
    let delivery = notifier.deliver(&n, webhook, &now);
    let m = &state.metrics.watch;
    match delivery.state {
        DeliveryState::Delivered => {
            m.delivered.fetch_add(1, Ordering::Relaxed);
            true
        }
        DeliveryState::Failed => {
            m.failed.fetch_add(1, Ordering::Relaxed);
            tracing::error!(
                "watch: notifying {token_id}/{} failed after {} attempt(s): {}",
                outcome.name,
                delivery.attempts,
                delivery.error.unwrap_or_default()
            );
            false
        }
    }
}
