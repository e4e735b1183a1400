//! OpenVEX documents (`--vex FILE`, repeatable): statements by a vendor or by the image's
//! authors that a vulnerability does or does not affect a package.
//!
//! Read: OpenVEX 0.2.0 JSON (and the 0.0.x forms where `vulnerability` is a string and products
//! and subcomponents are plain id strings). The document needs an OpenVEX `@context` and a
//! `statements` array; each statement needs a `vulnerability` (with `name` or `@id`), at least
//! one product, and a `status`; a `not_affected` statement needs a `justification` (one of the
//! five labels) or an `impact_statement`. Unknown fields are ignored (JSON-LD documents may
//! extend the vocabulary); fields of the wrong type are errors naming the field.
//!
//! How statements are matched to findings is described on [`VexDocument`].

use microscanner_model::Finding;
use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::PolicyError;
use super::purl::ParsedPurl;

/// The impact status of a VEX statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VexStatus {
    /// `not_affected`: no remediation needed (hides the finding).
    NotAffected,
    /// `affected`: the finding stands.
    Affected,
    /// `fixed`: this version contains a fix (hides the finding).
    Fixed,
    /// `under_investigation`: not known yet (the finding stands).
    UnderInvestigation,
}

impl VexStatus {
    /// The OpenVEX label.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotAffected => "not_affected",
            Self::Affected => "affected",
            Self::Fixed => "fixed",
            Self::UnderInvestigation => "under_investigation",
        }
    }

    /// True for the statuses that hide a finding (`not_affected`, `fixed`).
    pub fn hides(self) -> bool {
        matches!(self, Self::NotAffected | Self::Fixed)
    }

    fn parse(s: &str) -> Option<Self> {
        [Self::NotAffected, Self::Affected, Self::Fixed, Self::UnderInvestigation].into_iter().find(|v| v.as_str() == s)
    }
}

/// The justification labels OpenVEX allows for `not_affected`.
pub const JUSTIFICATIONS: [&str; 5] = [
    "component_not_present",
    "vulnerable_code_not_present",
    "vulnerable_code_not_in_execute_path",
    "vulnerable_code_cannot_be_controlled_by_adversary",
    "inline_mitigations_already_exist",
];

/// A product (or the packages inside it) a statement is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VexProduct {
    /// The product's `@id` and `identifiers.purl`, when they are purls.
    pub purls: Vec<String>,
    /// The purls of its `subcomponents` (the packages the statement is about, when the product
    /// is an image or an application).
    pub subcomponents: Vec<String>,
}

impl VexProduct {
    /// True when this product entry names `package`: one of its own purls or one of its
    /// subcomponents' purls covers the package's purl, or it is a whole image (`pkg:oci/...`,
    /// `pkg:docker/...`) listed without subcomponents (then it is about every package in it).
    fn applies_to(&self, package: &ParsedPurl) -> bool {
        let covers = |p: &String| ParsedPurl::parse(p).is_some_and(|p| p.covers(package));
        self.purls.iter().any(covers)
            || self.subcomponents.iter().any(covers)
            || (self.subcomponents.is_empty()
                && self.purls.iter().filter_map(|p| ParsedPurl::parse(p)).any(|p| p.is_image()))
    }
}

/// One statement: a vulnerability, the products it is about, and their status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VexStatement {
    /// Every id of the vulnerability: `name`, `aliases`, `@id` (and the last path segment of
    /// an `@id` URL such as `https://nvd.nist.gov/vuln/detail/CVE-2019-17571`).
    pub vulnerability: Vec<String>,
    /// The products.
    pub products: Vec<VexProduct>,
    /// The status.
    pub status: VexStatus,
    /// The justification label (`not_affected`).
    pub justification: Option<String>,
    /// Why the product is not affected, in words.
    pub impact_statement: Option<String>,
    /// What to do about it (`affected`).
    pub action_statement: Option<String>,
    /// How the status was determined.
    pub status_notes: Option<String>,
    /// When the statement was made: its `last_updated`, else its `timestamp`, else the
    /// document's `timestamp` (OpenVEX inheritance).
    pub timestamp: Option<OffsetDateTime>,
}

impl VexStatement {
    /// True when this statement is about `finding`: one of its vulnerability ids equals one of
    /// the finding's ids (case-insensitive) and one of its products names the finding's package.
    pub fn applies_to(&self, finding: &Finding) -> bool {
        // the cheap id comparison first: most statements are about other vulnerabilities
        self.vulnerability.iter().any(|v| finding.ids().any(|id| id.eq_ignore_ascii_case(v)))
            && ParsedPurl::parse(&finding.package.purl)
                .is_some_and(|package| self.products.iter().any(|p| p.applies_to(&package)))
    }
}

/// A parsed OpenVEX document.
///
/// Matching: a statement applies to a finding when its vulnerability (`name`, `@id` or one of
/// its `aliases`) equals one of the finding's ids or aliases, and one of its products names the
/// finding's package. Purls are compared by type, namespace and name (case-insensitive), by
/// version only when the statement gives one, and by the qualifiers both purls carry (a
/// qualifier only one of them has is ignored). A product with `subcomponents` is about those
/// subcomponents (an image `pkg:oci/...` with the packages it holds) as well as about itself; an
/// image product (`pkg:oci/...`, `pkg:docker/...`) without subcomponents is about every package
/// of the scanned image (the document was given for this scan; its digest is not checked). Any
/// other product without subcomponents is only about the package it names: a statement about
/// `pkg:golang/example.com/app` does not cover the modules compiled into that app. Products
/// identified only by CPEs, hashes or non-purl IRIs never match.
///
/// When several statements (from every document given) apply to one finding, the latest one
/// wins (see [`VexStatement::timestamp`]; statements without any timestamp are the oldest; on
/// equal times the later document or statement wins). The finding is hidden when the winner says
/// `not_affected` or `fixed`, and shown when it says `affected` or `under_investigation`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VexDocument {
    /// The file it was read from (for messages and `Suppression::source`).
    pub source: String,
    /// The document's `@id`.
    pub id: Option<String>,
    /// Its `author`.
    pub author: Option<String>,
    /// Its `timestamp`.
    pub timestamp: Option<OffsetDateTime>,
    /// Its statements, in document order.
    pub statements: Vec<VexStatement>,
}

/// Builds the error for `path` in `file`.
fn invalid(file: &str, path: &str, message: impl std::fmt::Display) -> PolicyError {
    PolicyError::Vex { file: file.to_owned(), message: format!("{path}: {message}") }
}

/// JSON type name, for messages.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Reads JSON values for one file, naming the field in every error.
struct Reader<'a> {
    file: &'a str,
}

impl Reader<'_> {
    fn object<'v>(&self, v: &'v Value, path: &str) -> Result<&'v Map<String, Value>, PolicyError> {
        v.as_object().ok_or_else(|| invalid(self.file, path, format!("expected an object, found {}", kind(v))))
    }

    fn array<'v>(&self, v: &'v Value, path: &str) -> Result<&'v Vec<Value>, PolicyError> {
        v.as_array().ok_or_else(|| invalid(self.file, path, format!("expected an array, found {}", kind(v))))
    }

    /// An optional string field (`null` counts as absent; empty strings too).
    fn string(&self, obj: &Map<String, Value>, key: &str, path: &str) -> Result<Option<String>, PolicyError> {
        match obj.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.trim().to_owned())),
            Some(v) => {
                Err(invalid(self.file, &format!("{path}{key}"), format!("expected a string, found {}", kind(v))))
            }
        }
    }

    fn time(&self, obj: &Map<String, Value>, key: &str, path: &str) -> Result<Option<OffsetDateTime>, PolicyError> {
        let Some(s) = self.string(obj, key, path)? else {
            return Ok(None);
        };
        OffsetDateTime::parse(&s, &Rfc3339).map(Some).map_err(|e| {
            invalid(self.file, &format!("{path}{key}"), format!("{s:?} is not an RFC 3339 date-time ({e})"))
        })
    }

    /// The purls naming one component (`@id` and `identifiers.purl`), or the string itself in
    /// the 0.0.x form.
    fn component_purls(&self, v: &Value, path: &str) -> Result<Vec<String>, PolicyError> {
        let mut purls = Vec::new();
        let mut push = |s: String, field: &str| {
            if s.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("pkg:")) {
                if ParsedPurl::parse(&s).is_none() {
                    return Err(invalid(self.file, field, format!("{s:?} is not a valid package URL")));
                }
                purls.push(s);
            }
            Ok(())
        };
        match v {
            Value::String(s) => push(s.trim().to_owned(), path)?,
            Value::Object(obj) => {
                if let Some(id) = self.string(obj, "@id", &format!("{path}."))? {
                    push(id, &format!("{path}.@id"))?;
                }
                if let Some(ids) = obj.get("identifiers").filter(|v| !v.is_null()) {
                    let ids_path = format!("{path}.identifiers");
                    let ids = self.object(ids, &ids_path)?;
                    if let Some(purl) = self.string(ids, "purl", &format!("{ids_path}."))? {
                        push(purl, &format!("{ids_path}.purl"))?;
                    }
                }
            }
            other => return Err(invalid(self.file, path, format!("expected an object, found {}", kind(other)))),
        }
        Ok(purls)
    }

    fn product(&self, v: &Value, path: &str) -> Result<VexProduct, PolicyError> {
        let purls = self.component_purls(v, path)?;
        let mut subcomponents = Vec::new();
        if let Some(subs) = v.as_object().and_then(|o| o.get("subcomponents")).filter(|v| !v.is_null()) {
            let subs_path = format!("{path}.subcomponents");
            for (i, sub) in self.array(subs, &subs_path)?.iter().enumerate() {
                subcomponents.extend(self.component_purls(sub, &format!("{subs_path}[{i}]"))?);
            }
        }
        Ok(VexProduct { purls, subcomponents })
    }

    fn vulnerability(&self, v: Option<&Value>, path: &str) -> Result<Vec<String>, PolicyError> {
        let path = format!("{path}vulnerability");
        let mut ids = Vec::new();
        match v {
            None | Some(Value::Null) => return Err(invalid(self.file, &path, "missing")),
            Some(Value::String(s)) => ids.push(s.trim().to_owned()),
            Some(Value::Object(obj)) => {
                let prefix = format!("{path}.");
                ids.extend(self.string(obj, "name", &prefix)?);
                if let Some(iri) = self.string(obj, "@id", &prefix)? {
                    if let Some((_, last)) = iri.trim_end_matches('/').rsplit_once('/') {
                        ids.push(last.to_owned());
                    }
                    ids.push(iri);
                }
                if let Some(aliases) = obj.get("aliases").filter(|v| !v.is_null()) {
                    let aliases_path = format!("{path}.aliases");
                    for (i, alias) in self.array(aliases, &aliases_path)?.iter().enumerate() {
                        match alias {
                            Value::String(s) => ids.push(s.trim().to_owned()),
                            other => {
                                let at = format!("{aliases_path}[{i}]");
                                return Err(invalid(
                                    self.file,
                                    &at,
                                    format!("expected a string, found {}", kind(other)),
                                ));
                            }
                        }
                    }
                }
            }
            Some(other) => return Err(invalid(self.file, &path, format!("expected an object, found {}", kind(other)))),
        }
        ids.retain(|id| !id.is_empty());
        if ids.is_empty() {
            return Err(invalid(self.file, &path, "names no vulnerability (give `name` or `@id`)"));
        }
        Ok(ids)
    }

    fn statement(
        &self,
        v: &Value,
        path: &str,
        document_time: Option<OffsetDateTime>,
    ) -> Result<VexStatement, PolicyError> {
        let obj = self.object(v, path)?;
        let prefix = format!("{path}.");
        let vulnerability = self.vulnerability(obj.get("vulnerability"), &prefix)?;
        let products_path = format!("{prefix}products");
        let products = match obj.get("products").filter(|v| !v.is_null()) {
            Some(list) => self
                .array(list, &products_path)?
                .iter()
                .enumerate()
                .map(|(i, p)| self.product(p, &format!("{products_path}[{i}]")))
                .collect::<Result<Vec<_>, _>>()?,
            None => Vec::new(),
        };
        if products.is_empty() {
            return Err(invalid(self.file, &products_path, "missing: a statement must name the products it is about"));
        }
        let status_path = format!("{prefix}status");
        let status_text =
            self.string(obj, "status", &prefix)?.ok_or_else(|| invalid(self.file, &status_path, "missing"))?;
        let status = VexStatus::parse(&status_text).ok_or_else(|| {
            invalid(
                self.file,
                &status_path,
                format!(
                    "unknown status {status_text:?} (expected not_affected, affected, fixed or under_investigation)"
                ),
            )
        })?;
        let justification = self.string(obj, "justification", &prefix)?;
        if let Some(j) = &justification
            && !JUSTIFICATIONS.contains(&j.as_str())
        {
            let message = format!("unknown justification {j:?} (expected one of {})", JUSTIFICATIONS.join(", "));
            return Err(invalid(self.file, &format!("{prefix}justification"), message));
        }
        let impact_statement = self.string(obj, "impact_statement", &prefix)?;
        if status == VexStatus::NotAffected && justification.is_none() && impact_statement.is_none() {
            return Err(invalid(
                self.file,
                &format!("{prefix}justification"),
                "missing: a not_affected statement needs a justification or an impact_statement",
            ));
        }
        let timestamp = self.time(obj, "timestamp", &prefix)?;
        let last_updated = self.time(obj, "last_updated", &prefix)?;
        Ok(VexStatement {
            vulnerability,
            products,
            status,
            justification,
            impact_statement,
            action_statement: self.string(obj, "action_statement", &prefix)?,
            status_notes: self.string(obj, "status_notes", &prefix)?,
            timestamp: last_updated.or(timestamp).or(document_time),
        })
    }
}

impl VexDocument {
    /// Parses an OpenVEX JSON document read from `source` (a file name, for messages). Errors
    /// name the file and the field (`app.vex.json: statements[1].status: unknown status ...`).
    pub fn parse(bytes: &[u8], source: &str) -> Result<Self, PolicyError> {
        let root: Value = serde_json::from_slice(bytes)
            .map_err(|e| PolicyError::Vex { file: source.to_owned(), message: format!("not valid JSON: {e}") })?;
        let r = Reader { file: source };
        let obj = r.object(&root, "document")?;
        match obj.get("@context") {
            Some(Value::String(c)) if c.contains("openvex.dev/ns") => {}
            Some(Value::String(c)) => {
                return Err(invalid(
                    source,
                    "@context",
                    format!("{c:?} is not an OpenVEX context (https://openvex.dev/ns/v0.2.0)"),
                ));
            }
            Some(other) => {
                return Err(invalid(source, "@context", format!("expected a string, found {}", kind(other))));
            }
            None => return Err(invalid(source, "@context", "missing: not an OpenVEX document")),
        }
        let timestamp = r.time(obj, "timestamp", "")?;
        let statements = obj.get("statements").ok_or_else(|| invalid(source, "statements", "missing"))?;
        let statements = r
            .array(statements, "statements")?
            .iter()
            .enumerate()
            .map(|(i, s)| r.statement(s, &format!("statements[{i}]"), timestamp))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            source: source.to_owned(),
            id: r.string(obj, "@id", "")?,
            author: r.string(obj, "author", "")?,
            timestamp,
            statements,
        })
    }
}

/// The statement that decides `finding` among all `documents`: the latest one that applies.
pub(crate) fn decide<'a>(
    documents: &'a [VexDocument],
    finding: &Finding,
) -> Option<(&'a VexDocument, &'a VexStatement)> {
    documents
        .iter()
        .enumerate()
        .flat_map(|(d, doc)| doc.statements.iter().enumerate().map(move |(s, st)| (d, s, doc, st)))
        .filter(|(_, _, _, st)| st.applies_to(finding))
        .max_by_key(|(d, s, _, st)| (st.timestamp, *d, *s))
        .map(|(_, _, doc, st)| (doc, st))
}
