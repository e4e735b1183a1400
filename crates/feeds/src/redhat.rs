//! Red Hat's per-CVE CSAF VEX documents (`https://security.access.redhat.com/data/csaf/v2/vex/`,
//! `2024/cve-2024-10041.json`; the archive `csaf_vex_<date>.tar.zst` that `archive_latest.txt`
//! names holds them all): what each Red Hat product says about one CVE, fixed or not.
//!
//! # Products
//!
//! A status names product ids such as `BaseOS-9.5.0.Z.MAIN:pam-0:1.5.1-21.el9_5.x86_64`: a
//! relationship of the `product_tree` joins a component (`product_reference`, whose
//! `product_identification_helper.purl` is `pkg:rpm/redhat/pam@1.5.1-21.el9_5?arch=x86_64`) to a
//! platform (`relates_to_product_reference`, whose helper's `cpe` is
//! `cpe:/o:redhat:enterprise_linux:9::baseos`). Only rpm components (other purl types, such as
//! container images, are skipped) of the platforms `cpe:/[oa]:redhat:enterprise_linux:N[...]` are
//! kept, and they are keyed by the major release alone: `Red Hat:enterprise_linux:N`, the
//! ecosystem `model::distro` gives RHEL, UBI and CentOS images. A container's rpm database does not
//! record the repository (BaseOS, AppStream, CRB...) a package came from, and an image without
//! Red Hat's content manifests says nothing else, so every repository of a release is one
//! ecosystem (Trivy makes the same simplification when the manifests are missing). Extended
//! support streams (`rhel_eus`, `rhel_aus`, `rhel_e4s`...) and other products are skipped: their
//! fixes are builds of older minor releases.
//!
//! Fixes name binary builds, and rpm images are matched by binary package name. Every other state
//! names the *source* rpm (`pkg:rpm/redhat/ghostscript?arch=src`, no version: all of its builds):
//! such states are kept in the release's source ecosystem, `Red Hat:enterprise_linux:9:source`
//! (`model::distro::redhat_source_ecosystem`), where the matcher looks an rpm up by the name of
//! its `SOURCERPM`; a fix named by a source rpm is not read (the binaries carry it). A component of a module stream (purl qualifier
//! `rpmmod=nodejs:18:9030020231120082734:rhel9`, or, as Red Hat's documents mostly say it, a
//! relationship to the stream's product `AppStream-9.3.0.Z.MAIN:nodejs:18:9030020240301111035:rhel9`,
//! itself the `pkg:rpmmod/redhat/nodejs@18:…` of a RHEL platform) goes to the stream's own ecosystem,
//! `Red Hat:enterprise_linux:9:module:nodejs:18` (`model::distro::redhat_module_ecosystem`), where the matcher
//! looks up a package whose rpm `MODULARITYLABEL` names that stream; a package of no stream is
//! never compared with a modular build, nor the other way round.
//!
//! # States
//!
//! Per product: `product_status.fixed` and a `vendor_fix` remediation are a fix (the version of
//! the component's purl, with its `epoch` qualifier: `1:1.0.0-1.el9`); `known_affected` is
//! unfixed, refined by a remediation's `details`: `none_available` "Affected" stays unfixed,
//! "Deferred" / "Fix deferred" is postponed, `no_fix_planned` "Will not fix" is won't-fix, "Out of
//! support scope" end-of-life (the fix states the Debian importer uses); `known_not_affected` is
//! not affected, and `under_investigation` undetermined. One CVE and package of one ecosystem get
//! one state, the first of: a fix (the highest fixed version, rpm order, when several builds fix
//! it), unfixed, postponed, won't fix, end of life, undetermined, not affected. A fix without a
//! version is skipped with a diagnostic, never guessed.
//!
//! # Records
//!
//! One advisory per document, its id the CVE (so it merges with NVD's and the other feeds' record
//! of the CVE); the errata that fix it (`RHSA-2024:9941`, from the `vendor_fix` URLs) are related
//! ids. Per package and ecosystem: an affected range `introduced 0[, fixed V]` unless not
//! affected, the fix state (its note the remediation's words), Red Hat's impact (`threats` of
//! category `impact`: `Low`, `Moderate`, `Important`, `Critical`) of its products as the vendor's
//! rating, rater [`RATER`] (the most severe, when products differ), and the document's CVSS
//! vectors (`scores`) as Red Hat's CVSS for that ecosystem.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;

use microscanner_model::Diagnostic;
use microscanner_model::distro::{
    REDHAT_SOURCE_SUFFIX, module_stream, redhat_module_ecosystem, redhat_source_ecosystem,
};
use microscanner_version::VersionScheme;
use microscanner_vulndb::{
    Advisory, Affected, FixState, FixStatus, Reference, SeverityKind, SeverityRating, cvss_base_score,
};
use serde::Deserialize;
use serde_json::Value;

use crate::loose::{Loose, Many, Shape};
use crate::xml::token;
use crate::{FeedError, Import, MAX_IDS, Out, Sink, bound_advisory, introduced_zero_range, newest};

/// Source name of the advisories.
pub const SOURCE: &str = "redhat-vex";
/// Who rates: the name stored with the impact words and CVSS vectors.
pub const RATER: &str = "redhat";
/// Largest document read, in bytes (the biggest real ones, CVEs of the kernel or of HTTP/2 that
/// touch every product, are a few tens of MiB).
pub const MAX_DOCUMENT: u64 = 128 * 1024 * 1024;
/// The ecosystem prefix of RHEL releases.
const ECOSYSTEM: &str = "Red Hat:enterprise_linux:";
/// Red Hat's page of a CVE.
const CVE_PAGE: &str = "https://access.redhat.com/security/cve/";
/// Most products one document may name (the biggest real ones name tens of thousands).
const MAX_PRODUCTS: usize = 1_000_000;

/// True when the first bytes of a JSON document are a CSAF document's (`csaf_version`).
pub fn looks_like_csaf(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(head);
    text.contains("\"csaf_version\"")
}

/// True when the first bytes of a CSAF document say it is a VEX document (`csaf_vex`), not an
/// advisory (`csaf_security_advisory`: Red Hat's RHSA documents, whose fixes the VEX documents
/// repeat per CVE).
pub fn looks_like_vex(head: &[u8]) -> bool {
    String::from_utf8_lossy(head).contains("\"csaf_vex\"")
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Csaf {
    document: Shape<Document>,
    product_tree: Shape<ProductTree>,
    vulnerabilities: Many<Vulnerability>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Document {
    category: Loose,
    title: Loose,
    publisher: Shape<Publisher>,
    aggregate_severity: Shape<Words>,
    tracking: Shape<Tracking>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Publisher {
    namespace: Loose,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Words {
    text: Loose,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Tracking {
    current_release_date: Loose,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ProductTree {
    branches: Many<Branch>,
    full_product_names: Many<Product>,
    relationships: Many<Relationship>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Branch {
    product: Shape<Product>,
    branches: Many<Self>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Product {
    product_id: Loose,
    product_identification_helper: Shape<Helper>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Helper {
    cpe: Loose,
    purl: Loose,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Relationship {
    full_product_name: Shape<Product>,
    product_reference: Loose,
    relates_to_product_reference: Loose,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Vulnerability {
    cve: Loose,
    title: Loose,
    cwe: Shape<Cwe>,
    notes: Many<Note>,
    references: Many<Link>,
    release_date: Loose,
    product_status: Shape<ProductStatus>,
    remediations: Many<Remediation>,
    scores: Many<Score>,
    threats: Many<Threat>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Cwe {
    id: Loose,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Note {
    category: Loose,
    text: Loose,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Link {
    url: Loose,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ProductStatus {
    fixed: Loose,
    known_affected: Loose,
    known_not_affected: Loose,
    under_investigation: Loose,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Remediation {
    category: Loose,
    details: Loose,
    product_ids: Loose,
    url: Loose,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Score {
    cvss_v2: Shape<Cvss>,
    cvss_v3: Shape<Cvss>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
#[allow(non_snake_case, reason = "CSAF's own field name")]
struct Cvss {
    vectorString: Loose,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Threat {
    category: Loose,
    details: Loose,
    product_ids: Loose,
}

/// The strings of a list field (`product_ids`, a `product_status` list).
fn ids(field: &Loose) -> &[String] {
    match field {
        Loose::List(items) => items,
        _ => &[],
    }
}

/// A component of a RHEL release, as a status names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Component {
    /// `Red Hat:enterprise_linux:9`, or a module stream's ecosystem.
    ecosystem: String,
    /// The binary rpm name, or the source rpm's for a component of a source ecosystem.
    name: String,
    /// A source rpm (`arch=src`): keyed in the source ecosystem, states only, never a fix.
    source: bool,
    /// `[epoch:]version-release`, when the purl has a version.
    version: Option<String>,
}

/// The product tree, resolved: each full product id to its component, when it is one we keep.
struct Products {
    resolved: HashMap<String, Component>,
}

impl Products {
    fn new(tree: Option<&ProductTree>) -> Result<Self, String> {
        let mut helpers: HashMap<&str, &Helper> = HashMap::new();
        if let Some(tree) = tree {
            let mut stack: Vec<&Branch> = tree.branches.items().iter().collect();
            while let Some(branch) = stack.pop() {
                if let Shape::Object(p) = &branch.product {
                    add_helper(&mut helpers, p);
                }
                stack.extend(branch.branches.items());
                if helpers.len() > MAX_PRODUCTS {
                    return Err(format!("product_tree: more than {MAX_PRODUCTS} products"));
                }
            }
            for p in tree.full_product_names.items() {
                add_helper(&mut helpers, p);
            }
        }
        let relationships = tree.map(|t| t.relationships.items()).unwrap_or_default();
        let purl_of = |id: &str| helpers.get(id).and_then(|h| h.purl.text());
        let release_of = |id: &str| helpers.get(id).and_then(|h| h.cpe.text()).and_then(release_of_cpe);
        // The module streams of a platform (`AppStream-9.3.0.Z.MAIN:nodejs:18:9030020240301111035:rhel9`,
        // a `pkg:rpmmod/redhat/nodejs@18:9030020240301111035:rhel9` of a RHEL platform): their
        // builds relate to that full product id, not to the platform.
        let mut streams: HashMap<&str, (String, String)> = HashMap::new();
        for (id, component, platform) in relationships.iter().filter_map(triple) {
            if let (Some(stream), Some(release)) = (purl_of(component).and_then(stream_of_rpmmod), release_of(platform))
            {
                streams.entry(id).or_insert((release, stream));
            }
        }
        let mut resolved = HashMap::new();
        for (id, component, platform) in relationships.iter().filter_map(triple) {
            let Some(purl) = purl_of(component) else { continue };
            let found = match (release_of(platform), streams.get(platform)) {
                (Some(release), _) => component_of(purl, &release, None),
                (None, Some((release, stream))) => component_of(purl, release, Some(stream)),
                (None, None) => None,
            };
            if let Some(c) = found {
                resolved.entry(id.to_owned()).or_insert(c);
            }
        }
        Ok(Self { resolved })
    }

    fn get(&self, id: &str) -> Option<&Component> {
        self.resolved.get(id)
    }
}

/// (full product id, component, platform) of a relationship, when all three are strings.
fn triple(rel: &Relationship) -> Option<(&str, &str, &str)> {
    let Shape::Object(full) = &rel.full_product_name else { return None };
    Some((full.product_id.text()?, rel.product_reference.text()?, rel.relates_to_product_reference.text()?))
}

/// The stream (`nodejs:18`) of a module build's purl (`pkg:rpmmod/redhat/nodejs@18:9030020240301111035:rhel9`).
fn stream_of_rpmmod(purl: &str) -> Option<String> {
    let rest = purl.strip_prefix("pkg:rpmmod/")?;
    let rest = rest.split(['?', '#']).next().unwrap_or(rest);
    let (name, version) = rest.rsplit('/').next().unwrap_or(rest).split_once('@')?;
    let label = format!("{}:{}", decode(name), decode(version));
    module_stream(&label).filter(|s| token(s)).map(str::to_owned)
}

/// Records a product's helper under its id (the first one wins, as Trivy's reader).
fn add_helper<'a>(helpers: &mut HashMap<&'a str, &'a Helper>, p: &'a Product) {
    if let (Some(id), Shape::Object(h)) = (p.product_id.text(), &p.product_identification_helper) {
        helpers.entry(id).or_insert(h);
    }
}

/// The ecosystem of a RHEL platform's CPE (`cpe:/o:redhat:enterprise_linux:9::baseos`,
/// `cpe:/a:redhat:enterprise_linux:8::appstream`, `cpe:/o:redhat:enterprise_linux:9`):
/// `Red Hat:enterprise_linux:9`. `None` for other products.
fn release_of_cpe(cpe: &str) -> Option<String> {
    let mut parts = cpe.split(':');
    let (prefix, part, vendor, product, version) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let ok = prefix == "cpe" && matches!(part, "/o" | "/a") && vendor == "redhat" && product == "enterprise_linux";
    let major = version.split('.').next().unwrap_or_default();
    let numeric = !major.is_empty() && major.len() <= 3 && major.bytes().all(|b| b.is_ascii_digit());
    (ok && numeric).then(|| format!("{ECOSYSTEM}{major}"))
}

/// The component an rpm purl names in `release` (in the module `stream` its relationship names,
/// or the one of its `rpmmod` qualifier; a source rpm in the source ecosystem of either): `None`
/// for other purl types and names or versions that are not tokens.
fn component_of(purl: &str, release: &str, stream: Option<&str>) -> Option<Component> {
    let rest = purl.strip_prefix("pkg:rpm/")?;
    let rest = rest.split('#').next().unwrap_or(rest);
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let last = path.rsplit('/').next().unwrap_or(path);
    let (name, version) = match last.split_once('@') {
        Some((n, v)) => (decode(n), Some(decode(v))),
        None => (decode(last), None),
    };
    let mut epoch = None;
    let mut module = None;
    let mut source = false;
    for pair in query.split('&') {
        match pair.split_once('=') {
            Some(("arch", "src")) => source = true,
            Some(("epoch", e)) => epoch = Some(decode(e)),
            Some(("rpmmod", m)) => module = Some(decode(m)),
            _ => {}
        }
    }
    let version = version.filter(|v| !v.is_empty()).map(|v| match epoch.filter(|e| e != "0" && !e.is_empty()) {
        Some(e) => format!("{e}:{v}"),
        None => v,
    });
    if !token(&name) || version.as_deref().is_some_and(|v| !token(v)) {
        return None;
    }
    let ecosystem = match stream.or_else(|| module.as_deref().and_then(module_stream)) {
        Some(stream) => redhat_module_ecosystem(release, stream),
        None => release.to_owned(),
    };
    let ecosystem = if source { redhat_source_ecosystem(&ecosystem) } else { ecosystem };
    Some(Component { ecosystem, name, version, source })
}

/// Percent-decodes a purl part (`2.4.37-65.module%2Bel8` → `2.4.37-65.module+el8`); a bad escape
/// is kept as written.
fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (b, hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(v)) => {
                out.push(v);
                i += 3;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What one product says.
#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Fixed(String),
    Open(FixState, Option<String>),
    NotAffected,
}

impl State {
    /// The order one package's states are chosen in (lower first).
    fn rank(&self) -> u8 {
        match self {
            Self::Fixed(_) => 0,
            Self::Open(FixState::Unfixed, _) => 1,
            Self::Open(FixState::Postponed, _) => 2,
            Self::Open(FixState::WontFix, _) => 3,
            Self::Open(FixState::EndOfLife, _) => 4,
            Self::Open(_, _) => 5,
            Self::NotAffected => 6,
        }
    }

    /// The state to keep of two for one package.
    fn better(self, other: Self) -> Self {
        match (self, other) {
            (Self::Fixed(a), Self::Fixed(b)) => {
                let higher = matches!(VersionScheme::Rpm.compare(&b, &a), Ok(std::cmp::Ordering::Greater));
                Self::Fixed(if higher { b } else { a })
            }
            (a, b) => {
                if b.rank() < a.rank() {
                    b
                } else {
                    a
                }
            }
        }
    }
}

/// The state an open remediation's words give (`None`: not a state, such as a workaround).
fn remediation_state(category: &str, details: &str) -> Option<FixState> {
    let d = details.trim().to_ascii_lowercase();
    match category {
        "none_available" if d.contains("defer") => Some(FixState::Postponed),
        "none_available" => Some(FixState::Unfixed),
        "no_fix_planned" if d.contains("out of support") => Some(FixState::EndOfLife),
        "no_fix_planned" => Some(FixState::WontFix),
        _ => None,
    }
}

/// Imports one CSAF VEX document (named `location`) held in memory.
///
/// # Errors
/// [`FeedError::Malformed`] when it is larger than [`MAX_DOCUMENT`], not JSON, or its top-level
/// fields have the wrong JSON type (the message names the field).
pub fn parse(bytes: &[u8], location: &str) -> Result<Import, FeedError> {
    if bytes.len() as u64 > MAX_DOCUMENT {
        return Err(FeedError::malformed(location, format!("larger than the bound of {MAX_DOCUMENT} bytes")));
    }
    let doc: Csaf = serde_json::from_slice(bytes).map_err(|e| FeedError::malformed(location, e))?;
    let field = |name: &str, what: &str| FeedError::malformed(location, format!("{name}: not {what}"));
    let document = match &doc.document {
        Shape::Object(d) => Some(d),
        Shape::Missing => None,
        _ => return Err(field("document", "an object")),
    };
    let tree = match &doc.product_tree {
        Shape::Object(t) => Some(t),
        Shape::Missing => None,
        _ => return Err(field("product_tree", "an object")),
    };
    if !matches!(doc.vulnerabilities, Many::List(..)) {
        return Err(field("vulnerabilities", "a list"));
    }
    let mut import = Import::default();
    // One document is everything Red Hat says about its CVE: a second copy is a duplicate.
    import.records.complete = true;
    if let Some(d) = document {
        if let Some(why) = not_red_hat_vex(d) {
            import.diagnostics.push(Diagnostic::info(location, format!("{why}; not imported")));
            return Ok(import);
        }
        if let Shape::Object(t) = &d.tracking {
            import.timestamp = d_text(&t.current_release_date);
        }
    }
    let products = Products::new(tree).map_err(|why| FeedError::malformed(location, why))?;
    let context = Context { location, document, products: &products };
    for (n, vuln) in doc.vulnerabilities.items().iter().enumerate() {
        context.vulnerability(n, vuln, &mut import);
    }
    if import.records.advisories.is_empty() {
        import.diagnostics.push(Diagnostic::info(location, "no CVE of a RHEL release"));
    }
    Ok(import)
}

/// One member of the archive as the tar reader gives it.
type Member<'a, R> = tar::Entry<'a, zstd::Decoder<'static, std::io::BufReader<R>>>;

/// Most members one archive may hold (Red Hat's holds a few hundred thousand documents).
const MAX_MEMBERS: u64 = 10_000_000;

/// True when a file name is Red Hat's VEX archive (`csaf_vex_2025-12-06.tar.zst`).
pub fn is_archive_name(lower_name: &str) -> bool {
    lower_name.ends_with(".tar.zst")
}

/// Imports Red Hat's archive of every VEX document (`csaf_vex_<date>.tar.zst`, the name
/// `archive_latest.txt` gives), streaming: the archive is read twice, first whole to check that it
/// decompresses and every member fits the bounds (records handed to the sink cannot be taken back,
/// and a damaged download must not be imported in part), then member by member, each `.json`
/// member parsed as one document ([`parse`]) and its records handed to `sink` in chunks. `open`
/// gives the archive's bytes from the start, once per pass. A member over [`MAX_DOCUMENT`] or a
/// document that does not parse is a diagnostic naming it; the rest is imported.
///
/// # Errors
/// [`FeedError::Malformed`] when the archive is not zstd, not tar, truncated, or holds more than
/// ten million members.
pub fn import_archive<R: Read>(
    mut open: impl FnMut() -> Result<R, FeedError>,
    location: &str,
    sink: Option<&mut dyn Sink>,
) -> Result<Import, FeedError> {
    let bad = |e: &dyn std::fmt::Display| FeedError::malformed(location, format!("not a readable tar.zst: {e}"));
    let mut check =
        |entry: &mut tar::Entry<'_, zstd::Decoder<'static, std::io::BufReader<R>>>| -> Result<(), FeedError> {
            std::io::copy(&mut entry.take(MAX_DOCUMENT + 1), &mut std::io::sink()).map(|_| ()).map_err(|e| bad(&e))
        };
    for_each_member(open()?, location, &mut check)?;
    let mut out = Out::new(sink);
    out.import.records.complete = true;
    for_each_member(open()?, location, &mut |entry| {
        let name = entry.path().map(|p| p.display().to_string()).unwrap_or_default();
        let loc = format!("{location}!{name}");
        let mut bytes = Vec::new();
        entry.take(MAX_DOCUMENT + 1).read_to_end(&mut bytes).map_err(|e| bad(&e))?;
        match parse(&bytes, &loc) {
            Ok(import) => out.import.extend(import),
            Err(e) => out.import.diagnostics.push(Diagnostic::warning(loc, e.to_string())),
        }
        out.record_done()
    })?;
    let mut import = out.finish();
    import.records.complete = true;
    Ok(import)
}

/// Calls `f` with each `.json` file member of a tar.zst archive, in order.
fn for_each_member<R: Read>(
    reader: R,
    location: &str,
    f: &mut dyn FnMut(&mut Member<'_, R>) -> Result<(), FeedError>,
) -> Result<(), FeedError> {
    let bad = |e: &dyn std::fmt::Display| FeedError::malformed(location, format!("not a readable tar.zst: {e}"));
    let decoder = zstd::Decoder::new(reader).map_err(|e| bad(&e))?;
    let mut archive = tar::Archive::new(decoder);
    let mut members = 0u64;
    for entry in archive.entries().map_err(|e| bad(&e))? {
        let mut entry = entry.map_err(|e| bad(&e))?;
        members += 1;
        if members > MAX_MEMBERS {
            return Err(FeedError::malformed(location, format!("more than {MAX_MEMBERS} members")));
        }
        let json = entry.path().is_ok_and(|p| p.extension().is_some_and(|x| x.eq_ignore_ascii_case("json")));
        if entry.header().entry_type().is_file() && json {
            f(&mut entry)?;
        }
    }
    Ok(())
}

/// Why a CSAF document is not one of Red Hat's VEX documents, if it is not.
fn not_red_hat_vex(d: &Document) -> Option<String> {
    if let Some(category) = d.category.text().filter(|c| *c != "csaf_vex") {
        return Some(format!("a CSAF document of category {category:?}, not csaf_vex"));
    }
    let namespace = match &d.publisher {
        Shape::Object(p) => p.namespace.text(),
        _ => None,
    };
    match namespace {
        Some(ns) if !ns.contains("redhat.com") => Some(format!("published by {ns:?}, not Red Hat")),
        _ => None,
    }
}

fn d_text(l: &Loose) -> Option<String> {
    l.text().map(str::to_owned)
}

/// What the records of one document share.
struct Context<'a> {
    location: &'a str,
    document: Option<&'a Document>,
    products: &'a Products,
}

impl<'a> Context<'a> {
    /// The records of one vulnerability of the document.
    fn vulnerability(&self, n: usize, v: &'a Vulnerability, import: &mut Import) {
        let warn = |import: &mut Import, message: String| {
            import.diagnostics.push(Diagnostic::warning(self.location, format!("vulnerabilities[{n}]: {message}")));
        };
        let Some(cve) = v.cve.text().map(str::trim).filter(|c| token(c)) else {
            warn(import, "no usable cve; skipped".to_owned());
            return;
        };
        for (name, odd) in [
            ("product_status", !matches!(v.product_status, Shape::Object(_) | Shape::Missing)),
            ("remediations", v.remediations.is_other()),
            ("threats", v.threats.is_other()),
            ("scores", v.scores.is_other()),
        ] {
            if odd {
                warn(import, format!("{cve}: {name} of the wrong JSON type; ignored"));
            }
        }
        let (states, unversioned) = self.states(v);
        if unversioned > 0 {
            warn(import, format!("{cve}: {unversioned} fixed products without a version; skipped"));
        }
        if states.is_empty() {
            return;
        }
        let mut advisory = self.advisory(cve, v);
        bound_advisory(&mut advisory, self.location, &mut import.diagnostics);
        import.records.advisories.push(advisory);
        let impacts = self.impacts(v);
        let vectors = vectors(v);
        let mut ecosystems: Vec<&str> = Vec::new();
        for ((ecosystem, name), state) in &states {
            add_package(&mut import.records, cve, ecosystem, name, state, impacts.get(&(ecosystem, name)).copied());
            if ecosystems.last() != Some(&ecosystem.as_str()) {
                ecosystems.push(ecosystem);
            }
        }
        for ecosystem in ecosystems {
            for (kind, vector) in &vectors {
                import.records.severities.push(SeverityRating {
                    advisory_id: cve.to_owned(),
                    kind: *kind,
                    value: vector.clone(),
                    score: cvss_base_score(vector),
                    source: RATER.to_owned(),
                    scope: ecosystem.to_owned(),
                });
            }
        }
    }

    /// The state of each (ecosystem, package) of the vulnerability, and how many fixed products
    /// had no version.
    fn states(&self, v: &Vulnerability) -> (BTreeMap<(String, String), State>, usize) {
        let products: &'a Products = self.products;
        let mut per_product: HashMap<&'a str, (&'a Component, State)> = HashMap::new();
        let mut unversioned: std::collections::HashSet<&'a str> = std::collections::HashSet::new();
        let mut set = |id: &str, state: Option<State>, per_product: &mut HashMap<&'a str, (&'a Component, State)>| {
            let Some((key, c)) = products.resolved.get_key_value(id) else { return };
            let state = match state {
                Some(s) => s,
                // A source rpm's fix: its binaries carry it.
                None if c.source => return,
                None => match &c.version {
                    Some(v) => State::Fixed(v.clone()),
                    None => {
                        unversioned.insert(key.as_str());
                        return;
                    }
                },
            };
            match per_product.get_mut(key.as_str()) {
                // A remediation's words refine an open state; a fix is never undone.
                Some((_, old @ State::Open(..))) => *old = state,
                Some(_) => {}
                None => {
                    per_product.insert(key.as_str(), (c, state));
                }
            }
        };
        if let Shape::Object(ps) = &v.product_status {
            for id in ids(&ps.fixed) {
                set(id, None, &mut per_product);
            }
            for id in ids(&ps.known_affected) {
                set(id, Some(State::Open(FixState::Unfixed, None)), &mut per_product);
            }
            for id in ids(&ps.known_not_affected) {
                set(id, Some(State::NotAffected), &mut per_product);
            }
            for id in ids(&ps.under_investigation) {
                set(id, Some(State::Open(FixState::Undetermined, None)), &mut per_product);
            }
        }
        for r in v.remediations.items() {
            let category = r.category.text().unwrap_or_default();
            let details = r.details.text().unwrap_or_default();
            let state = match category {
                "vendor_fix" => None,
                c => match remediation_state(c, details) {
                    Some(s) => Some(State::Open(s, Some(details.trim().to_owned()).filter(|d| !d.is_empty()))),
                    None => continue,
                },
            };
            for id in ids(&r.product_ids) {
                set(id, state.clone(), &mut per_product);
            }
        }
        let mut states: BTreeMap<(String, String), State> = BTreeMap::new();
        for (c, state) in per_product.into_values() {
            let key = (c.ecosystem.clone(), c.name.clone());
            let merged = match states.remove(&key) {
                Some(old) => old.better(state),
                None => state,
            };
            states.insert(key, merged);
        }
        (states, unversioned.len())
    }

    /// Red Hat's impact word per (ecosystem, package): the most severe of its products'.
    fn impacts(&self, v: &'a Vulnerability) -> HashMap<(&'a str, &'a str), &'a str> {
        let mut out: HashMap<(&'a str, &'a str), &'a str> = HashMap::new();
        let fallback = self.document.and_then(|d| match &d.aggregate_severity {
            Shape::Object(w) => w.text.text(),
            _ => None,
        });
        for t in v.threats.items().iter().filter(|t| t.category.text() == Some("impact")) {
            let Some(word) = t.details.text().filter(|w| impact_rank(w) > 0) else { continue };
            for id in ids(&t.product_ids) {
                let Some(c) = self.products.get(id) else { continue };
                let slot = out.entry((c.ecosystem.as_str(), c.name.as_str())).or_insert(word);
                if impact_rank(word) > impact_rank(slot) {
                    *slot = word;
                }
            }
        }
        if let Some(word) = fallback.filter(|w| impact_rank(w) > 0) {
            for c in self.products.resolved.values() {
                out.entry((c.ecosystem.as_str(), c.name.as_str())).or_insert(word);
            }
        }
        out
    }

    /// The advisory of the CVE.
    fn advisory(&self, cve: &str, v: &Vulnerability) -> Advisory {
        let note = |category: &str| {
            v.notes.items().iter().find(|n| n.category.text() == Some(category)).and_then(|n| d_text(&n.text))
        };
        let mut references = vec![Reference { kind: "ADVISORY".into(), url: format!("{CVE_PAGE}{cve}") }];
        let mut related = Vec::new();
        for r in v.remediations.items().iter().filter(|r| r.category.text() == Some("vendor_fix")) {
            let Some(url) = r.url.text() else { continue };
            let erratum = url.rsplit('/').next().unwrap_or_default();
            if token(erratum) && erratum.starts_with("RH") && !related.iter().any(|e| e == erratum) {
                related.push(erratum.to_owned());
                references.push(Reference { kind: "ADVISORY".into(), url: url.to_owned() });
            }
        }
        for link in v.references.items() {
            if let Some(url) = link.url.text().filter(|u| !references.iter().any(|r| r.url == *u)) {
                references.push(Reference { kind: "WEB".into(), url: url.to_owned() });
            }
        }
        related.truncate(MAX_IDS);
        let summary = d_text(&v.title)
            .or_else(|| note("summary"))
            .or_else(|| self.document.and_then(|d| d_text(&d.title)))
            .filter(|s| s != cve);
        let modified = self.document.and_then(|d| match &d.tracking {
            Shape::Object(t) => d_text(&t.current_release_date),
            _ => None,
        });
        Advisory {
            id: cve.to_owned(),
            related,
            summary,
            details: note("description"),
            published: d_text(&v.release_date),
            modified: newest(None, modified),
            references,
            cwes: match &v.cwe {
                Shape::Object(c) => c.id.text().map(str::to_owned).into_iter().collect(),
                _ => Vec::new(),
            },
            source: SOURCE.to_owned(),
            ..Advisory::default()
        }
    }
}

/// The CVSS vectors of a vulnerability's scores (v3 and v2), without duplicates.
fn vectors(v: &Vulnerability) -> Vec<(SeverityKind, String)> {
    let mut out: Vec<(SeverityKind, String)> = Vec::new();
    for s in v.scores.items() {
        for (kind, cvss) in [(SeverityKind::CvssV3, &s.cvss_v3), (SeverityKind::CvssV2, &s.cvss_v2)] {
            let Shape::Object(c) = cvss else { continue };
            let Some(vector) = c.vectorString.text().map(str::trim).filter(|x| x.len() <= crate::MAX_SEVERITY) else {
                continue;
            };
            if !out.iter().any(|(_, x)| x == vector) {
                out.push((kind, vector.to_owned()));
            }
        }
    }
    out
}

/// How severe an impact word is (0: not one).
fn impact_rank(word: &str) -> u8 {
    match word.to_ascii_lowercase().as_str() {
        "low" => 1,
        "moderate" => 2,
        "important" => 3,
        "critical" => 4,
        _ => 0,
    }
}

/// The records of one package of one ecosystem: its range (unless not affected), its fix state
/// and Red Hat's impact for it.
fn add_package(
    records: &mut microscanner_vulndb::Records,
    cve: &str,
    ecosystem: &str,
    name: &str,
    state: &State,
    impact: Option<&str>,
) {
    let (state, fixed, note) = match state {
        State::Fixed(v) => (FixState::Fixed, Some(v.clone()), None),
        State::Open(s, note) => (*s, None, note.clone()),
        State::NotAffected => (FixState::NotAffected, None, None),
    };
    if state != FixState::NotAffected {
        records.affected.push(Affected {
            advisory_id: cve.to_owned(),
            ecosystem: ecosystem.to_owned(),
            name: name.to_owned(),
            purl: Some(match ecosystem.ends_with(REDHAT_SOURCE_SUFFIX) {
                true => format!("pkg:rpm/redhat/{name}?arch=src"),
                false => format!("pkg:rpm/redhat/{name}"),
            }),
            ranges: introduced_zero_range(fixed.as_deref()),
            versions: Vec::new(),
            extra: Value::Null,
        });
    }
    if let Some(word) = impact.filter(|_| state != FixState::NotAffected) {
        records.severities.push(SeverityRating {
            advisory_id: cve.to_owned(),
            kind: SeverityKind::Vendor,
            value: word.to_owned(),
            score: None,
            source: RATER.to_owned(),
            scope: format!("{ecosystem}/{name}"),
        });
    }
    records.fix_statuses.push(FixStatus {
        advisory_id: cve.to_owned(),
        ecosystem: ecosystem.to_owned(),
        name: name.to_owned(),
        state,
        fixed_version: fixed,
        urgency: impact.map(str::to_owned),
        note,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rhel_cpes_by_major_release_only() {
        assert_eq!(
            release_of_cpe("cpe:/o:redhat:enterprise_linux:9::baseos").as_deref(),
            Some("Red Hat:enterprise_linux:9")
        );
        assert_eq!(
            release_of_cpe("cpe:/a:redhat:enterprise_linux:8::appstream").as_deref(),
            Some("Red Hat:enterprise_linux:8")
        );
        assert_eq!(release_of_cpe("cpe:/o:redhat:enterprise_linux:7").as_deref(), Some("Red Hat:enterprise_linux:7"));
        assert_eq!(release_of_cpe("cpe:/a:redhat:rhel_eus:9.2::appstream"), None);
        assert_eq!(release_of_cpe("cpe:/a:redhat:openshift:4.14::el9"), None);
        assert_eq!(release_of_cpe("cpe:/o:redhat:enterprise_linux:x"), None);
    }

    #[test]
    fn purls_give_name_epoch_version_and_stream() {
        let r = "Red Hat:enterprise_linux:9";
        let c = component_of("pkg:rpm/redhat/test-package@1.0.0-1.el9?arch=x86_64&epoch=1", r, None).unwrap();
        assert_eq!(
            (c.name.as_str(), c.version.as_deref(), c.ecosystem.as_str()),
            ("test-package", Some("1:1.0.0-1.el9"), r)
        );
        let m = "pkg:rpm/redhat/httpd@2.4.37-65.module%2Bel8.10.0%2B21982%2B14717793?arch=aarch64&rpmmod=httpd:2.4:8100020240612075645:489197e6";
        let c = component_of(m, r, None).unwrap();
        assert_eq!(c.version.as_deref(), Some("2.4.37-65.module+el8.10.0+21982+14717793"));
        assert_eq!(c.ecosystem, "Red Hat:enterprise_linux:9:module:httpd:2.4");
        assert_eq!(component_of("pkg:rpm/redhat/vim-X11", r, None).unwrap().version, None);
        let c = component_of("pkg:rpm/redhat/vim?arch=src", r, None).unwrap();
        assert_eq!(
            (c.name.as_str(), c.ecosystem.as_str(), c.source),
            ("vim", "Red Hat:enterprise_linux:9:source", true)
        );
        let c = component_of("pkg:rpm/redhat/OpenEXR@flatpak?arch=src&rpmmod=gimp:flatpak", r, None).unwrap();
        assert_eq!(c.ecosystem, "Red Hat:enterprise_linux:9:module:gimp:flatpak:source");
        assert_eq!(component_of("pkg:oci/redhat/ubi9@sha256:abc", r, None), None);
        // A build the relationships put in a stream, with no qualifier of its own.
        let c =
            component_of("pkg:rpm/redhat/nodejs@18.19.1-1.module%2Bel9.3.0?arch=x86_64&epoch=1", r, Some("nodejs:18"));
        assert_eq!(c.unwrap().ecosystem, "Red Hat:enterprise_linux:9:module:nodejs:18");
        assert_eq!(
            stream_of_rpmmod("pkg:rpmmod/redhat/nodejs@18:9030020240301111035:rhel9").as_deref(),
            Some("nodejs:18")
        );
        assert_eq!(stream_of_rpmmod("pkg:rpm/redhat/nodejs@18.19.1-1"), None);
        assert_eq!(stream_of_rpmmod("pkg:rpmmod/redhat/nodejs"), None);
        assert_eq!(component_of("pkg:rpm/redhat/a%20b@1-1", r, None), None, "not a token");
    }

    #[test]
    fn a_fix_wins_then_the_highest_fix() {
        let fixed = |v: &str| State::Fixed(v.to_owned());
        let open = |s| State::Open(s, None);
        assert_eq!(fixed("1.0-2.el9").better(fixed("1.0-10.el9")), fixed("1.0-10.el9"));
        assert_eq!(fixed("1:1.0-2.el9").better(fixed("1.0-10.el9")), fixed("1:1.0-2.el9"));
        assert_eq!(open(FixState::WontFix).better(fixed("1-1")), fixed("1-1"));
        assert_eq!(open(FixState::EndOfLife).better(open(FixState::Unfixed)), open(FixState::Unfixed));
        assert_eq!(State::NotAffected.better(open(FixState::Undetermined)), open(FixState::Undetermined));
    }

    #[test]
    fn remediation_words() {
        assert_eq!(remediation_state("none_available", "Affected"), Some(FixState::Unfixed));
        assert_eq!(remediation_state("none_available", "Fix deferred"), Some(FixState::Postponed));
        assert_eq!(remediation_state("no_fix_planned", "Will not fix"), Some(FixState::WontFix));
        assert_eq!(remediation_state("no_fix_planned", "Out of support scope"), Some(FixState::EndOfLife));
        assert_eq!(remediation_state("workaround", "x"), None);
    }
}
