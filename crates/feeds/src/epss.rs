//! EPSS scores as published by FIRST / Empirical Security, in every layout the daily CSV has had:
//!
//! * 2021-04: `cve,epss`
//! * 2021-09: `cve,epss,percentile`
//! * 2022-02 on: a `#model_version:...,score_date:...` comment line, then `cve,epss,percentile`
//!
//! plain or gzip-compressed.

use std::io::Read;

use microscanner_model::Diagnostic;
use microscanner_vulndb::EpssScore;

use crate::{FeedError, Import};

/// Largest decompressed CSV accepted (the full daily file is about 15 MB).
const MAX_CSV: u64 = 512 * 1024 * 1024;

/// True when bytes (possibly gzip) look like an EPSS CSV.
pub fn looks_like_epss(text_start: &[u8]) -> bool {
    let s = String::from_utf8_lossy(&text_start[..text_start.len().min(256)]).to_ascii_lowercase();
    s.starts_with("#model_version") || s.starts_with("cve,epss")
}

/// Decompresses gzip if the bytes start with its magic; else returns them as they are.
pub fn maybe_gunzip(bytes: &[u8], location: &str) -> Result<Vec<u8>, FeedError> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(bytes)
            .take(MAX_CSV)
            .read_to_end(&mut out)
            .map_err(|e| FeedError::malformed(location, format!("gzip: {e}")))?;
        Ok(out)
    } else {
        Ok(bytes.to_vec())
    }
}

/// Imports an EPSS CSV (plain or gzip). The score date comes from the comment line, or else from
/// a `YYYY-MM-DD` in the file name.
pub fn parse(bytes: &[u8], location: &str) -> Result<Import, FeedError> {
    let data = maybe_gunzip(bytes, location)?;
    let text = std::str::from_utf8(&data).map_err(|e| FeedError::malformed(location, e))?;
    let mut import = Import::default();
    let mut date = date_in(location);
    let mut columns: Option<(usize, usize, Option<usize>)> = None;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if let Some(comment) = line.strip_prefix('#') {
            for field in comment.split(',') {
                if let Some(d) = field.trim().strip_prefix("score_date:") {
                    date = Some(d.get(..10).unwrap_or(d).to_owned());
                }
            }
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let Some((cve_at, epss_at, pct_at)) = columns else {
            let find = |name: &str| fields.iter().position(|f| f.eq_ignore_ascii_case(name));
            match (find("cve"), find("epss")) {
                (Some(c), Some(e)) => columns = Some((c, e, find("percentile"))),
                _ => return Err(FeedError::malformed(location, "no cve,epss header: not an EPSS CSV")),
            }
            continue;
        };
        let cve = fields.get(cve_at).copied().unwrap_or_default();
        let score = fields.get(epss_at).and_then(|s| s.parse::<f64>().ok());
        match score {
            Some(score) if cve.starts_with("CVE-") && (0.0..=1.0).contains(&score) => {
                let percentile = pct_at.and_then(|p| fields.get(p)).and_then(|s| s.parse::<f64>().ok());
                import.records.epss.push(EpssScore { cve_id: cve.to_owned(), score, percentile, date: date.clone() });
            }
            _ => import
                .diagnostics
                .push(Diagnostic::warning(format!("{location}:{}", n + 1), "unreadable EPSS row; skipped")),
        }
    }
    if columns.is_none() {
        return Err(FeedError::malformed(location, "empty: not an EPSS CSV"));
    }
    import.timestamp = date;
    Ok(import)
}

/// The first `YYYY-MM-DD` in a string.
fn date_in(s: &str) -> Option<String> {
    let b = s.as_bytes();
    (0..b.len().saturating_sub(9)).find_map(|i| {
        let w = &b[i..i + 10];
        let ok = w.iter().enumerate().all(|(j, c)| if j == 4 || j == 7 { *c == b'-' } else { c.is_ascii_digit() });
        ok.then(|| String::from_utf8_lossy(w).into_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts() {
        let old = parse(b"cve,epss\nCVE-2020-5902,0.65117\nbad,row\n", "epss_scores-2021-04-14.csv").unwrap();
        assert_eq!(old.records.epss[0].score, 0.65117);
        assert_eq!(old.records.epss[0].percentile, None);
        assert_eq!(old.records.epss[0].date.as_deref(), Some("2021-04-14"));
        assert_eq!(old.diagnostics.len(), 1);
        let new = parse(
            b"#model_version:v2023.03.01,score_date:2023-03-07T00:00:00+0000\ncve,epss,percentile\nCVE-1-1,0.5,0.9\n",
            "x.csv",
        )
        .unwrap();
        assert_eq!(new.records.epss[0].percentile, Some(0.9));
        assert_eq!(new.timestamp.as_deref(), Some("2023-03-07"));
        assert!(parse(b"a,b\n1,2\n", "x").is_err());
        assert!(parse(b"\x1f\x8bnot gzip", "x").is_err());
    }
}
