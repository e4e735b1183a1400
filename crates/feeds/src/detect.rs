//! Recognising a feed file by its name and content, and sending it to its importer.

use std::io::{Read, Seek};
use std::path::Path;

use serde_json::Value;

use crate::{
    FeedError, Import, Sink, alpine, amazon, debian, epss, kev, mariner, nvd, oracle, osv, oval, photon, redhat, stream,
};

/// Bytes read from the start of a file to recognise it.
const HEAD: u64 = 4096;

/// The feed formats this crate reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Format {
    /// OSV JSON: one record or a list.
    OsvJson,
    /// osv.dev's per-ecosystem `all.zip`.
    OsvZip,
    /// Debian security tracker JSON export.
    DebianTracker,
    /// Debian tracker `data/DSA/list`, `data/DLA/list`, `data/DTSA/list`.
    DebianList,
    /// Alpine secdb JSON.
    AlpineSecdb,
    /// A rolling apk distribution's secdb JSON (Wolfi, Chainguard, MinimOS: no `distroversion`).
    VendorSecdb,
    /// Amazon Linux ALAS `updateinfo.xml` (plain or gzip).
    AmazonUpdateinfo,
    /// Oracle Linux ELSA OVAL (`com.oracle.elsa-*.xml`).
    OracleOval,
    /// CBL-Mariner / Azure Linux OVAL (`cbl-mariner-2.0-oval.xml`, `azurelinux-3.0-oval.xml`).
    MarinerOval,
    /// Photon OS CVE metadata (`cve_data_photon<N>.json`).
    PhotonCve,
    /// Red Hat's per-CVE CSAF VEX documents (`cve-2024-10041.json`).
    RedHatVex,
    /// NVD CVE API 2.0 JSON.
    Nvd,
    /// CISA KEV JSON.
    Kev,
    /// EPSS CSV (plain or gzip).
    Epss,
}

impl Format {
    /// Short name (`osv`, `debian-tracker`, ...), as stored in the database's sources table.
    pub fn kind(self) -> &'static str {
        match self {
            Self::OsvJson | Self::OsvZip => "osv",
            Self::DebianTracker => "debian-tracker",
            Self::DebianList => "debian-list",
            Self::AlpineSecdb => "alpine-secdb",
            Self::VendorSecdb => "vendor-secdb",
            Self::AmazonUpdateinfo => "amazon-updateinfo",
            Self::OracleOval => "oracle-oval",
            Self::MarinerOval => "azurelinux-oval",
            Self::PhotonCve => "photon-cve",
            Self::RedHatVex => "redhat-vex",
            Self::Nvd => "nvd",
            Self::Kev => "kev",
            Self::Epss => "epss",
        }
    }
}

/// True when a file name could be a feed file at all (walks skip everything else quietly:
/// licences, manifests, YAML twins, binaries).
pub fn is_candidate(path: &Path) -> bool {
    let name = path.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    if name == "list" {
        return path
            .parent()
            .and_then(Path::file_name)
            .is_some_and(|d| matches!(d.to_string_lossy().as_ref(), "DSA" | "DLA" | "DTSA"));
    }
    name.ends_with(".json")
        || name.ends_with(".zip")
        || name.ends_with(".csv")
        || name.ends_with(".csv.gz")
        || amazon::is_updateinfo_name(&name)
        || oracle::is_elsa_name(&name)
        || mariner::is_mariner_name(&name)
        || redhat::is_archive_name(&name)
}

/// The first bytes of a bzip2 stream (`BZh` and the block size digit follows).
const BZIP2_MAGIC: &[u8] = b"BZh";

/// The most a bzip2 file held in memory ([`import_bytes`]) may decompress to; a file on disk
/// ([`import_file`]) is decompressed as it is read instead, bounded by the OVAL reader.
const MAX_BZIP2_IN_MEMORY: u64 = 512 * 1024 * 1024;

/// A bzip2 file held in memory, decompressed: at most [`MAX_BZIP2_IN_MEMORY`] bytes, else an
/// error naming the file.
fn decompress_bzip2(location: &str, bytes: &[u8]) -> Result<Vec<u8>, FeedError> {
    let mut out = Vec::new();
    bzip2::read::MultiBzDecoder::new(bytes)
        .take(MAX_BZIP2_IN_MEMORY + 1)
        .read_to_end(&mut out)
        .map_err(|e| FeedError::Malformed { location: location.to_owned(), message: format!("bzip2: {e}") })?;
    if out.len() as u64 > MAX_BZIP2_IN_MEMORY {
        return Err(FeedError::Malformed {
            location: location.to_owned(),
            message: format!("bzip2: decompresses to more than {MAX_BZIP2_IN_MEMORY} bytes"),
        });
    }
    Ok(out)
}

/// A bzip2-compressed OVAL document (Oracle publishes its ELSA OVAL only so:
/// `com.oracle.elsa-all.xml.bz2`), decompressed as the OVAL reader reads it: that reader's own
/// bounds ([`oval::MAX_XML`] bytes, its element and depth bounds) bound the output, so a bzip2
/// bomb costs reading time up to that bound, never memory. Anything but Oracle's or Microsoft's
/// OVAL inside is refused, naming the file.
fn import_bzip2_oval(
    location: &str,
    file: std::fs::File,
    sink: &mut dyn Sink,
) -> Result<Option<(Format, Import)>, FeedError> {
    let bad = |message: String| FeedError::Malformed { location: location.to_owned(), message };
    let mut decoder = bzip2::read::MultiBzDecoder::new(std::io::BufReader::new(file));
    let mut head = Vec::new();
    (&mut decoder).take(HEAD).read_to_end(&mut head).map_err(|e| bad(format!("bzip2: {e}")))?;
    let lower = location.to_ascii_lowercase();
    let inner = lower.strip_suffix(".bz2").unwrap_or(&lower);
    let reader = std::io::Cursor::new(head.clone()).chain(decoder);
    match oval_vendor(inner, &head) {
        Some(Format::OracleOval) => oracle::import_file(location, reader, sink).map(|i| Some((Format::OracleOval, i))),
        Some(_) => mariner::import_file(location, reader, sink).map(|i| Some((Format::MarinerOval, i))),
        None => {
            Err(bad("a bzip2 file that is not Oracle's or Microsoft's OVAL (the only feeds read compressed so)".into()))
        }
    }
}

/// Which vendor's OVAL a document is, from its name and first bytes: `None` for OVAL of another
/// vendor (Red Hat, SUSE, Debian, Ubuntu: not read here) or not OVAL at all.
fn oval_vendor(lower_name: &str, head: &[u8]) -> Option<Format> {
    if oracle::is_elsa_name(lower_name) {
        return Some(Format::OracleOval);
    }
    if mariner::is_mariner_name(lower_name) {
        return Some(Format::MarinerOval);
    }
    if !oval::looks_like_oval(head) {
        return None;
    }
    let text = String::from_utf8_lossy(&head[..head.len().min(HEAD as usize)]);
    if text.contains("Oracle Errata System") || text.contains("oval:com.oracle.elsa:") {
        Some(Format::OracleOval)
    } else if text.contains("oval:com.microsoft.cbl-mariner:")
        || text.contains("oval:com.microsoft.azurelinux:")
        || text.contains("CBL-Mariner OVAL")
        || text.contains("Azure Linux OVAL")
    {
        Some(Format::MarinerOval)
    } else {
        None
    }
}

/// Detects the format of `bytes` (named `location`) and imports it. `Ok(None)` means "not a feed
/// format this crate reads" (JSON of some other shape); `Err` means it looked like a feed but
/// could not be read as a whole.
pub fn import_bytes(location: &str, bytes: &[u8]) -> Result<Option<(Format, Import)>, FeedError> {
    let lower = location.to_ascii_lowercase();
    if bytes.starts_with(BZIP2_MAGIC) {
        return import_bytes(location, &decompress_bzip2(location, bytes)?);
    }
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") || lower.ends_with(".zip") {
        return osv::parse_zip(bytes, location).map(|i| Some((Format::OsvZip, i)));
    }
    if amazon::is_updateinfo_name(&lower) || amazon::looks_like_updateinfo(bytes) {
        return amazon::parse(bytes, location).map(|i| Some((Format::AmazonUpdateinfo, i)));
    }
    if photon::release_of_name(&lower).is_some() {
        return photon::parse(bytes, location).map(|i| Some((Format::PhotonCve, i)));
    }
    if redhat::is_archive_name(&lower) {
        let open = || Ok(std::io::Cursor::new(bytes));
        return redhat::import_archive(open, location, None).map(|i| Some((Format::RedHatVex, i)));
    }
    let head = &bytes[..bytes.len().min(HEAD as usize)];
    if redhat::looks_like_csaf(head) {
        return csaf(location, head, || Ok(bytes.to_vec()));
    }
    match oval_vendor(&lower, bytes) {
        Some(Format::OracleOval) => return oracle::parse(bytes, location).map(|i| Some((Format::OracleOval, i))),
        Some(_) => return mariner::parse(bytes, location).map(|i| Some((Format::MarinerOval, i))),
        None if oval::looks_like_oval(bytes) => return Ok(None),
        None => {}
    }
    if bytes.starts_with(&[0x1f, 0x8b]) || lower.ends_with(".csv") || lower.ends_with(".csv.gz") {
        return epss::import_bytes(bytes, location).map(|i| i.map(|i| (Format::Epss, i)));
    }
    let start = first_non_space(bytes);
    if start == Some(b'[') && looks_like_list_text(bytes) {
        return debian::parse_list(bytes, location).map(|i| Some((Format::DebianList, i)));
    }
    if !matches!(start, Some(b'{' | b'[')) {
        if epss::looks_like_epss(bytes) {
            return epss::parse(bytes, location).map(|i| Some((Format::Epss, i)));
        }
        return Ok(None);
    }
    // Lists of records are read element by element, never as one `Value` (see `stream`).
    stream::import_slice(location, bytes)
}

/// Detects the format of the file at `path` (named `location`) and imports it, streaming: an
/// `all.zip` member by member, a JSON list of records element by element, the Debian tracker
/// export CVE entry by CVE entry, an EPSS CSV line by line, their records handed to `sink` in
/// chunks of at most [`CHUNK_RECORDS`](crate::CHUNK_RECORDS) records while the file is read. The
/// [`Import`] returned holds the rest (the last chunk, diagnostics, timestamp). Formats that are
/// not streamed (Debian lists, an Alpine secdb, a single record) are read whole and returned, as
/// [`import_bytes`] does.
///
/// Results are those of [`import_bytes`], except that an advisory id given twice in one file is
/// merged when both copies fall in the same chunk and skipped (first one wins) when they do not,
/// as between two files.
pub fn import_file(location: &str, path: &Path, sink: &mut dyn Sink) -> Result<Option<(Format, Import)>, FeedError> {
    let io = |e: std::io::Error| FeedError::Io { location: location.to_owned(), source: e };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut head = Vec::new();
    (&mut file).take(HEAD).read_to_end(&mut head).map_err(io)?;
    file.rewind().map_err(io)?;
    let lower = location.to_ascii_lowercase();
    if head.starts_with(BZIP2_MAGIC) {
        return import_bzip2_oval(location, file, sink);
    }
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") || lower.ends_with(".zip") {
        let reader = std::io::BufReader::new(file);
        return osv::import_zip(reader, location, Some(sink)).map(|i| Some((Format::OsvZip, i)));
    }
    if amazon::is_updateinfo_name(&lower) || amazon::looks_like_updateinfo(&head) {
        return amazon::import_file(location, file, sink).map(|i| Some((Format::AmazonUpdateinfo, i)));
    }
    if photon::release_of_name(&lower).is_some() {
        // read whole: the release's files are a few MiB, and the advisories group entries by CVE
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(io)?;
        return photon::parse(&bytes, location).map(|i| Some((Format::PhotonCve, i)));
    }
    if redhat::is_archive_name(&lower) {
        let open = || std::fs::File::open(path).map_err(io);
        return redhat::import_archive(open, location, Some(sink)).map(|i| Some((Format::RedHatVex, i)));
    }
    if redhat::looks_like_csaf(&head) {
        // read whole, bounded: one document is one CVE
        return csaf(location, &head, || {
            let mut bytes = Vec::new();
            file.take(redhat::MAX_DOCUMENT + 1).read_to_end(&mut bytes).map_err(io)?;
            Ok(bytes)
        });
    }
    match oval_vendor(&lower, &head) {
        Some(Format::OracleOval) => {
            return oracle::import_file(location, file, sink).map(|i| Some((Format::OracleOval, i)));
        }
        Some(_) => return mariner::import_file(location, file, sink).map(|i| Some((Format::MarinerOval, i))),
        None if oval::looks_like_oval(&head) => return Ok(None),
        None => {}
    }
    let csv = head.starts_with(&[0x1f, 0x8b]) || lower.ends_with(".csv") || lower.ends_with(".csv.gz");
    if csv || epss::looks_like_epss(&head) {
        return epss::import_file(location, file, sink).map(|i| i.map(|i| (Format::Epss, i)));
    }
    let start = first_non_space(&head);
    if matches!(start, Some(b'{' | b'[')) && !(start == Some(b'[') && looks_like_list_text(&head)) {
        return stream::import_file(location, file, sink);
    }
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).map_err(io)?;
    import_bytes(location, &bytes)
}

/// Dispatches an already parsed JSON document (the whole-document path; [`import_bytes`] and
/// [`import_file`] stream lists of records instead, with the same results).
pub fn import_json(location: &str, value: Value) -> Result<Option<(Format, Import)>, FeedError> {
    if kev::looks_like_kev(&value) {
        return kev::from_value(&value, location).map(|i| Some((Format::Kev, i)));
    }
    if nvd::looks_like_nvd(&value) {
        return Ok(Some((Format::Nvd, nvd::from_value(&value, location))));
    }
    if alpine::looks_like_secdb(&value) {
        return alpine::from_value(&value, location).map(|i| Some((Format::AlpineSecdb, i)));
    }
    if alpine::looks_like_vendor_secdb(&value) {
        return alpine::from_value(&value, location).map(|i| Some((Format::VendorSecdb, i)));
    }
    let osv_like = match &value {
        Value::Array(items) => items.first().is_some_and(osv::looks_like_record),
        Value::Object(map) => {
            osv::looks_like_record(&value)
                || ["vulns", "vulnerabilities"].iter().any(|k| {
                    map.get(*k).and_then(Value::as_array).is_some_and(|a| a.first().is_some_and(osv::looks_like_record))
                })
        }
        _ => false,
    };
    if osv_like {
        return Ok(Some((Format::OsvJson, osv::from_value(value, location))));
    }
    if debian::looks_like_tracker(&value) {
        return debian::from_tracker_value(&value, location).map(|i| Some((Format::DebianTracker, i)));
    }
    Ok(None)
}

/// A CSAF document: Red Hat's VEX documents are imported, CSAF advisories (RHSA documents, whose
/// fixes the VEX documents repeat per CVE) recognised and skipped.
fn csaf(
    location: &str,
    head: &[u8],
    read: impl FnOnce() -> Result<Vec<u8>, FeedError>,
) -> Result<Option<(Format, Import)>, FeedError> {
    if !redhat::looks_like_vex(head) {
        return Ok(None);
    }
    redhat::parse(&read()?, location).map(|i| Some((Format::RedHatVex, i)))
}

fn first_non_space(bytes: &[u8]) -> Option<u8> {
    bytes.iter().copied().find(|b| !b.is_ascii_whitespace())
}

/// `[29 Mar 2023] DSA-...`: a tracker list, not a JSON array.
fn looks_like_list_text(bytes: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(64)]);
    let head = head.trim_start();
    head.len() > 14 && head.as_bytes().get(1).is_some_and(u8::is_ascii_digit) && head.contains("] D")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dispatch() {
        let f = |loc: &str, b: &[u8]| import_bytes(loc, b).unwrap().map(|(f, _)| f);
        assert_eq!(f("a.json", br#"{"id":"X-1","summary":"s"}"#), Some(Format::OsvJson));
        assert_eq!(f("a.json", br#"[{"id":"X-1","modified":"2020"}]"#), None, "an index, not records");
        assert_eq!(f("k.json", br#"{"catalogVersion":"1","vulnerabilities":[]}"#), Some(Format::Kev));
        assert_eq!(f("s.json", br#"{"distroversion":"v3.1","packages":[]}"#), Some(Format::AlpineSecdb));
        let wolfi = br#"{"apkurl":"x","urlprefix":"https://packages.wolfi.dev","packages":[]}"#;
        assert_eq!(f("security.json", wolfi), Some(Format::VendorSecdb));
        assert_eq!(
            f("updateinfo.xml", b"<?xml version=\"1.0\"?>\n<updates></updates>"),
            Some(Format::AmazonUpdateinfo)
        );
        assert_eq!(f("x.xml", b"<updates>\n</updates>"), Some(Format::AmazonUpdateinfo));
        assert!(is_candidate(Path::new("al2023/updateinfo.xml.gz")));
        assert!(is_candidate(Path::new("repodata/0123abcd-updateinfo.xml.gz")));
        assert!(!is_candidate(Path::new("repodata/repomd.xml")));
        assert_eq!(f("d.json", br#"{"pkg":{"CVE-1":{"releases":{}}}}"#), Some(Format::DebianTracker));
        assert_eq!(f("list", b"[01 Apr 2023] DLA-1-1 foo - x\n"), Some(Format::DebianList));
        assert_eq!(f("e.csv", b"cve,epss\nCVE-1-1,0.1\n"), Some(Format::Epss));
        assert_eq!(f("o.json", br#"{"something":"else"}"#), None);
        assert!(import_bytes("bad.json", b"{oops").is_err());
        assert!(is_candidate(Path::new("x/DSA/list")));
        assert!(!is_candidate(Path::new("x/other/list")));
        assert!(!is_candidate(Path::new("x/main.yaml")));
    }
}
