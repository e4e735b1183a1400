//! The store of remembered inventories: one SQLite file, one row per name.
//!
//! A row holds the image's name and digest, its inventory and its last findings (each as
//! zstd-compressed JSON, read back with a size bound), when it was remembered and last evaluated,
//! its webhook, and how the last notification went. The file and its directory are created
//! private to the user (a webhook URL can be a secret, as Slack's are).

use std::path::{Path, PathBuf};
use std::time::Duration;

use microscanner_model::{Finding, Inventory, Severity};
use rusqlite::{Connection, OptionalExtension as _, params};
use serde::{Deserialize, Serialize};

use crate::WatchError;

/// The schema version written in `PRAGMA user_version`.
const SCHEMA_VERSION: i64 = 1;

/// The largest decompressed inventory or findings document read back (a damaged row cannot
/// exhaust memory).
const MAX_DOCUMENT: u64 = 256 << 20;

/// The longest entry name.
const MAX_NAME: usize = 128;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS remembered (
    name TEXT PRIMARY KEY NOT NULL,
    image TEXT NOT NULL,
    digest TEXT,
    remembered_at TEXT NOT NULL,
    inventory BLOB NOT NULL,
    package_count INTEGER NOT NULL,
    findings BLOB NOT NULL,
    finding_count INTEGER NOT NULL,
    evaluated_at TEXT NOT NULL,
    database_built_at TEXT,
    webhook_url TEXT,
    webhook_format TEXT,
    notify_on TEXT,
    delivery_state TEXT,
    delivery_at TEXT,
    delivery_attempts INTEGER,
    delivery_error TEXT
);";

/// Checks a remembered entry's name: 1 to 128 characters of ASCII letters, digits and
/// `. _ - : / @ +` (an image reference fits; nothing that needs escaping in a terminal).
pub fn validate_name(name: &str) -> Result<(), WatchError> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "._-:/@+".contains(c));
    if ok { Ok(()) } else { Err(WatchError::InvalidName(name.chars().take(MAX_NAME).collect())) }
}

/// The payload a webhook is sent in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WebhookFormat {
    /// microscanner's JSON document ([`crate::notify::Notification`]).
    #[default]
    Json,
    /// A Slack incoming-webhook message (`{"text": ..., "blocks": [...]}`).
    Slack,
}

impl WebhookFormat {
    /// The name on the command line and in the store.
    pub fn name(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Slack => "slack",
        }
    }
}

impl std::str::FromStr for WebhookFormat {
    type Err = String;

    /// `json` or `slack`, in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "json" => Ok(Self::Json),
            "slack" => Ok(Self::Slack),
            _ => Err(format!("unknown webhook format {s:?} (expected json or slack)")),
        }
    }
}

/// Where and when a remembered entry's new findings are notified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    /// The URL the notification is POSTed to.
    pub url: String,
    /// The payload's form.
    pub format: WebhookFormat,
    /// The lowest severity of a new finding that is notified (`unknown` notifies every one).
    pub notify_on: Severity,
}

/// How the last notification of an entry went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryState {
    /// The receiver answered 2xx.
    Delivered,
    /// Every attempt failed; the error says the last reason.
    Failed,
}

impl DeliveryState {
    /// The name in the store and in `watch list`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }
}

/// The last notification of an entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// Delivered or failed.
    pub state: DeliveryState,
    /// When the last attempt ended (RFC 3339).
    pub at: String,
    /// How many attempts were made.
    pub attempts: u32,
    /// Why the last attempt failed, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// What `scan --remember NAME` stores.
#[derive(Debug, Clone)]
pub struct NewEntry<'a> {
    /// The name it is remembered under ([`validate_name`]).
    pub name: &'a str,
    /// The inventory (its `image` names the image and its digest).
    pub inventory: &'a Inventory,
    /// The findings at that time: the first "last result".
    pub findings: &'a [Finding],
    /// When the database those findings came from was built, if known.
    pub database_built_at: Option<&'a str>,
    /// Where to notify new findings, if anywhere.
    pub webhook: Option<Webhook>,
    /// Now (RFC 3339).
    pub now: &'a str,
}

/// One remembered entry as `watch list` shows it (the documents are not decoded).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Remembered {
    /// Its name.
    pub name: String,
    /// The image's name.
    pub image: String,
    /// The image's manifest digest, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// When it was remembered (RFC 3339).
    pub remembered_at: String,
    /// How many packages its inventory has.
    pub packages: u64,
    /// How many findings its last result has.
    pub findings: u64,
    /// When it was last evaluated (RFC 3339).
    pub evaluated_at: String,
    /// When the database of the last result was built.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_built_at: Option<String>,
    /// The webhook's URL, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook: Option<String>,
    /// The webhook's payload form, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_format: Option<WebhookFormat>,
    /// The webhook's threshold, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notify_on: Option<Severity>,
    /// How the last notification went, if one was sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_delivery: Option<Delivery>,
}

impl Remembered {
    /// The webhook, when one is set.
    pub fn webhook(&self) -> Option<Webhook> {
        Some(Webhook {
            url: self.webhook.clone()?,
            format: self.webhook_format.unwrap_or_default(),
            notify_on: self.notify_on.unwrap_or(Severity::High),
        })
    }
}

/// The store of remembered inventories.
#[derive(Debug)]
pub struct WatchStore {
    conn: Connection,
    path: PathBuf,
}

impl WatchStore {
    /// Opens the store at `path`, creating it (and its directory, private to the user) when
    /// `create` is true; `Ok(None)` when it does not exist and `create` is false (`db update`
    /// re-evaluates only when something was ever remembered).
    pub fn open(path: &Path, create: bool) -> Result<Option<Self>, WatchError> {
        if !path.exists() {
            if !create {
                return Ok(None);
            }
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                create_private_dir(dir)?;
            }
        }
        let conn = Connection::open(path).map_err(|source| store_error(path, source))?;
        restrict_permissions(path)?;
        let store = Self { conn, path: path.to_owned() };
        store.init()?;
        Ok(Some(store))
    }

    /// The store's file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self) -> impl Fn(rusqlite::Error) -> WatchError + '_ {
        |source| store_error(&self.path, source)
    }

    fn init(&self) -> Result<(), WatchError> {
        self.conn.busy_timeout(Duration::from_secs(30)).map_err(self.err())?;
        // WAL without a sync per commit: a re-evaluation commits once per entry, and 1,000 fsyncs
        // would cost more than the matching; a crash loses at most the last commits (entries
        // evaluated again on the next run), never the file.
        let _mode: String =
            self.conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0)).map_err(self.err())?;
        self.conn.pragma_update(None, "synchronous", "NORMAL").map_err(self.err())?;
        let version: i64 = self.conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(self.err())?;
        if version > SCHEMA_VERSION {
            return Err(WatchError::Corrupt {
                path: self.path.display().to_string(),
                name: String::new(),
                field: "user_version",
                message: format!("schema {version} is newer than this microscanner's ({SCHEMA_VERSION})"),
            });
        }
        self.conn.execute_batch(SCHEMA).map_err(self.err())?;
        self.conn.execute_batch(&format!("PRAGMA user_version = {SCHEMA_VERSION}")).map_err(self.err())?;
        Ok(())
    }

    /// Remembers an inventory under `entry.name`, replacing what was remembered under it (and its
    /// delivery state).
    pub fn remember(&self, entry: &NewEntry<'_>) -> Result<(), WatchError> {
        validate_name(entry.name)?;
        let inventory = self.encode(entry.name, "inventory", entry.inventory)?;
        let findings = self.encode(entry.name, "findings", &compact(entry.findings))?;
        let webhook = entry.webhook.as_ref();
        self.conn
            .execute(
                "INSERT OR REPLACE INTO remembered (name, image, digest, remembered_at, inventory, package_count, \
                 findings, finding_count, evaluated_at, database_built_at, webhook_url, webhook_format, notify_on) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?4, ?9, ?10, ?11, ?12)",
                params![
                    entry.name,
                    entry.inventory.image.name,
                    entry.inventory.image.manifest_digest,
                    entry.now,
                    inventory,
                    entry.inventory.packages.len() as i64,
                    findings,
                    entry.findings.len() as i64,
                    entry.database_built_at,
                    webhook.map(|w| w.url.as_str()),
                    webhook.map(|w| w.format.name()),
                    webhook.map(|w| w.notify_on.as_str()),
                ],
            )
            .map_err(self.err())?;
        Ok(())
    }

    /// Every remembered entry, by name.
    pub fn list(&self) -> Result<Vec<Remembered>, WatchError> {
        self.select("ORDER BY name", [])
    }

    /// The entry remembered under `name`, if any.
    pub fn get(&self, name: &str) -> Result<Option<Remembered>, WatchError> {
        Ok(self.select("WHERE name = ?1", [name])?.pop())
    }

    fn select<P: rusqlite::Params>(&self, tail: &str, params: P) -> Result<Vec<Remembered>, WatchError> {
        let sql = format!(
            "SELECT name, image, digest, remembered_at, package_count, finding_count, evaluated_at, \
             database_built_at, webhook_url, webhook_format, notify_on, delivery_state, delivery_at, \
             delivery_attempts, delivery_error FROM remembered {tail}"
        );
        let mut stmt = self.conn.prepare(&sql).map_err(self.err())?;
        let rows = stmt.query_map(params, |r| Ok(RawRow::read(r))).map_err(self.err())?;
        let mut out = Vec::new();
        for row in rows {
            out.push(row.map_err(self.err())?.map_err(self.err())?.into_remembered(&self.path)?);
        }
        Ok(out)
    }

    /// The names of every entry, in order.
    pub fn names(&self) -> Result<Vec<String>, WatchError> {
        let mut stmt = self.conn.prepare("SELECT name FROM remembered ORDER BY name").map_err(self.err())?;
        let names = stmt.query_map([], |r| r.get(0)).map_err(self.err())?;
        names.collect::<Result<Vec<String>, _>>().map_err(self.err())
    }

    /// The inventory and last findings of `name`.
    pub fn documents(&self, name: &str) -> Result<(Inventory, Vec<Finding>), WatchError> {
        self.stored_documents(name)?.decode()
    }

    /// The inventory and last findings of `name` as stored, not yet decoded: read here, decoded
    /// by [`StoredDocuments::decode`] wherever convenient (a re-evaluation decodes on its worker
    /// threads while this connection reads the next entries).
    pub fn stored_documents(&self, name: &str) -> Result<StoredDocuments, WatchError> {
        let row: Option<(Vec<u8>, Vec<u8>)> = self
            .conn
            .query_row("SELECT inventory, findings FROM remembered WHERE name = ?1", [name], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()
            .map_err(self.err())?;
        let (inventory, findings) = row.ok_or_else(|| WatchError::NotFound(name.to_owned()))?;
        Ok(StoredDocuments { path: self.path.display().to_string(), name: name.to_owned(), inventory, findings })
    }

    /// Forgets `name`; false when nothing was remembered under it.
    pub fn forget(&self, name: &str) -> Result<bool, WatchError> {
        let n = self.conn.execute("DELETE FROM remembered WHERE name = ?1", [name]).map_err(self.err())?;
        Ok(n > 0)
    }

    /// Stores `findings` as the last result of `name` (`None`: the last result stands),
    /// evaluated at `now` against a database built at `database_built_at`.
    pub fn record_evaluation(
        &self,
        name: &str,
        findings: Option<&[Finding]>,
        database_built_at: Option<&str>,
        now: &str,
    ) -> Result<(), WatchError> {
        let Some(findings) = findings else {
            self.conn
                .execute(
                    "UPDATE remembered SET evaluated_at = ?2, database_built_at = ?3 WHERE name = ?1",
                    params![name, now, database_built_at],
                )
                .map_err(self.err())?;
            return Ok(());
        };
        let blob = self.encode(name, "findings", &compact(findings))?;
        self.conn
            .execute(
                "UPDATE remembered SET findings = ?2, finding_count = ?3, evaluated_at = ?4, database_built_at = ?5 \
                 WHERE name = ?1",
                params![name, blob, findings.len() as i64, now, database_built_at],
            )
            .map_err(self.err())?;
        Ok(())
    }

    /// Stores how the last notification of `name` went.
    pub fn record_delivery(&self, name: &str, delivery: &Delivery) -> Result<(), WatchError> {
        self.conn
            .execute(
                "UPDATE remembered SET delivery_state = ?2, delivery_at = ?3, delivery_attempts = ?4, \
                 delivery_error = ?5 WHERE name = ?1",
                params![name, delivery.state.name(), delivery.at, delivery.attempts, delivery.error],
            )
            .map_err(self.err())?;
        Ok(())
    }

    fn encode<T: Serialize + ?Sized>(&self, name: &str, field: &'static str, value: &T) -> Result<Vec<u8>, WatchError> {
        encode_document(value).map_err(|e| self.corrupt(name, field, e))
    }

    fn corrupt(&self, name: &str, field: &'static str, message: String) -> WatchError {
        WatchError::Corrupt { path: self.path.display().to_string(), name: name.to_owned(), field, message }
    }
}

/// One entry's inventory and last findings as stored ([`encode_document`]'s form), with what a
/// decoding error names.
#[derive(Debug, Clone)]
pub struct StoredDocuments {
    path: String,
    name: String,
    inventory: Vec<u8>,
    findings: Vec<u8>,
}

impl StoredDocuments {
    /// The inventory and the last findings, decoded; a damaged document is
    /// [`WatchError::Corrupt`], naming the store, the entry and the field.
    pub fn decode(&self) -> Result<(Inventory, Vec<Finding>), WatchError> {
        let corrupt = |field: &'static str| {
            move |message: String| WatchError::Corrupt {
                path: self.path.clone(),
                name: self.name.clone(),
                field,
                message,
            }
        };
        Ok((
            decode_document(&self.inventory).map_err(corrupt("inventory"))?,
            decode_document(&self.findings).map_err(corrupt("findings"))?,
        ))
    }
}

/// A row of `remembered` as read, before its words are parsed.
struct RawRow {
    name: String,
    image: String,
    digest: Option<String>,
    remembered_at: String,
    packages: i64,
    findings: i64,
    evaluated_at: String,
    database_built_at: Option<String>,
    webhook: Option<String>,
    webhook_format: Option<String>,
    notify_on: Option<String>,
    delivery_state: Option<String>,
    delivery_at: Option<String>,
    delivery_attempts: Option<i64>,
    delivery_error: Option<String>,
}

impl RawRow {
    fn read(r: &rusqlite::Row<'_>) -> Result<Self, rusqlite::Error> {
        Ok(Self {
            name: r.get(0)?,
            image: r.get(1)?,
            digest: r.get(2)?,
            remembered_at: r.get(3)?,
            packages: r.get(4)?,
            findings: r.get(5)?,
            evaluated_at: r.get(6)?,
            database_built_at: r.get(7)?,
            webhook: r.get(8)?,
            webhook_format: r.get(9)?,
            notify_on: r.get(10)?,
            delivery_state: r.get(11)?,
            delivery_at: r.get(12)?,
            delivery_attempts: r.get(13)?,
            delivery_error: r.get(14)?,
        })
    }

    fn into_remembered(self, path: &Path) -> Result<Remembered, WatchError> {
        let corrupt = |field: &'static str, message: String| WatchError::Corrupt {
            path: path.display().to_string(),
            name: self.name.clone(),
            field,
            message,
        };
        let webhook_format = self
            .webhook_format
            .as_deref()
            .map(str::parse::<WebhookFormat>)
            .transpose()
            .map_err(|e| corrupt("webhook_format", e))?;
        let notify_on = self
            .notify_on
            .as_deref()
            .map(str::parse::<Severity>)
            .transpose()
            .map_err(|e| corrupt("notify_on", e.to_string()))?;
        let state = match self.delivery_state.as_deref() {
            None => None,
            Some("delivered") => Some(DeliveryState::Delivered),
            Some("failed") => Some(DeliveryState::Failed),
            Some(other) => return Err(corrupt("delivery_state", format!("unknown state {other:?}"))),
        };
        let last_delivery = state.map(|state| Delivery {
            state,
            at: self.delivery_at.clone().unwrap_or_default(),
            attempts: u32::try_from(self.delivery_attempts.unwrap_or(0)).unwrap_or(0),
            error: self.delivery_error.clone(),
        });
        Ok(Remembered {
            name: self.name,
            image: self.image,
            digest: self.digest,
            remembered_at: self.remembered_at,
            packages: u64::try_from(self.packages).unwrap_or(0),
            findings: u64::try_from(self.findings).unwrap_or(0),
            evaluated_at: self.evaluated_at,
            database_built_at: self.database_built_at,
            webhook: self.webhook,
            webhook_format,
            notify_on,
            last_delivery,
        })
    }
}

/// The findings as a last result keeps them: what the comparison reads (ids, package, severity,
/// fix, KEV, suppression), without the advisory's texts, references and ratings, which a later
/// re-evaluation reads from the database again. A tenth of the size, and of the time to read it
/// back.
pub fn compact(findings: &[Finding]) -> Vec<Finding> {
    findings
        .iter()
        .map(|f| Finding {
            title: None,
            description: None,
            primary_url: None,
            references: Vec::new(),
            cwes: Vec::new(),
            ratings: Vec::new(),
            epss: None,
            ..f.clone()
        })
        .collect()
}

/// A stored document (an inventory, a list of findings): zstd-compressed JSON. The service's
/// store keeps its remembered inventories in the same form.
pub fn encode_document<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, String> {
    let json = serde_json::to_vec(value).map_err(|e| e.to_string())?;
    zstd::bulk::compress(&json, 3).map_err(|e| e.to_string())
}

/// Reads back what [`encode_document`] wrote, decompressing at most 256 MiB (a damaged or
/// hostile blob cannot exhaust memory); the error says what was wrong.
pub fn decode_document<T: serde::de::DeserializeOwned>(blob: &[u8]) -> Result<T, String> {
    use std::io::Read as _;
    let decoder = zstd::stream::Decoder::new(blob).map_err(|e| e.to_string())?;
    let mut json = Vec::new();
    decoder.take(MAX_DOCUMENT + 1).read_to_end(&mut json).map_err(|e| format!("not zstd: {e}"))?;
    if json.len() as u64 > MAX_DOCUMENT {
        return Err(format!("over {MAX_DOCUMENT} bytes"));
    }
    serde_json::from_slice(&json).map_err(|e| e.to_string())
}

fn store_error(path: &Path, source: rusqlite::Error) -> WatchError {
    WatchError::Store { path: path.display().to_string(), source }
}

/// Creates `dir` (and its parents); a directory created here is readable by its owner only.
fn create_private_dir(dir: &Path) -> Result<(), WatchError> {
    let io = |source| WatchError::Io { path: dir.display().to_string(), source };
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(io)
}

/// Makes the store's file readable and writable by its owner only (it may hold webhook URLs
/// that are secrets).
fn restrict_permissions(path: &Path) -> Result<(), WatchError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let io = |source| WatchError::Io { path: path.display().to_string(), source };
        let meta = std::fs::metadata(path).map_err(io)?;
        if meta.permissions().mode() & 0o077 != 0 {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(io)?;
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}
