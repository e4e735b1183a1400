//! EPSS scores as published by FIRST / Empirical Security, in every layout the daily CSV has had:
//!
//! * 2021-04: `cve,epss`
//! * 2021-09: `cve,epss,percentile`
//! * 2022-02 on: a `#model_version:...,score_date:...` comment line, then `cve,epss,percentile`
//!
//! plain or gzip-compressed. Read line by line: memory follows one line and one chunk of scores,
//! not the file.

use std::fs::File;
use std::io::{BufRead, BufReader, Cursor, Read, Seek};

use flate2::bufread::MultiGzDecoder;
use microscanner_model::Diagnostic;
use microscanner_vulndb::{EpssScore, Records};

use crate::{FeedError, Import, Out, Sink};

/// Largest decompressed CSV accepted (the full daily file is about 15 MB); a larger one is refused.
const MAX_CSV: u64 = 512 * 1024 * 1024;
/// Longest line read, in bytes (a row is about 40 bytes, the comment line about 80); a longer one is
/// skipped with a diagnostic.
pub const MAX_LINE: usize = 4096;
/// Unreadable rows reported one by one; the rest are counted in one diagnostic.
const MAX_ROW_DIAGNOSTICS: usize = 100;
/// Bytes of text looked at to recognise the format.
const HEAD: u64 = 256;

/// True when the start of a text (decompressed) looks like an EPSS CSV.
pub fn looks_like_epss(text_start: &[u8]) -> bool {
    let s = String::from_utf8_lossy(&text_start[..text_start.len().min(256)]).to_ascii_lowercase();
    s.starts_with("#model_version") || s.starts_with("cve,epss")
}

/// Imports an EPSS CSV (plain or gzip). The score date comes from the comment line, or else from
/// a `YYYY-MM-DD` in the file name.
pub fn parse(bytes: &[u8], location: &str) -> Result<Import, FeedError> {
    import_lines(Cursor::new(bytes), location, None)
}

/// Imports `bytes` when they are an EPSS CSV (plain or gzip); `Ok(None)` when they are not.
pub(crate) fn import_bytes(bytes: &[u8], location: &str) -> Result<Option<Import>, FeedError> {
    if !looks_like_epss(&head(Cursor::new(bytes), location)?) {
        return Ok(None);
    }
    parse(bytes, location).map(Some)
}

/// Imports the file when it is an EPSS CSV (plain or gzip), line by line, handing its scores to
/// `sink` in chunks; `Ok(None)` when it is not one. The file is read twice: first checked whole
/// (gzip checksum, UTF-8, bounds, header) with nothing kept, because scores handed on cannot be
/// taken back, then imported.
pub(crate) fn import_file(location: &str, mut file: File, sink: &mut dyn Sink) -> Result<Option<Import>, FeedError> {
    let io = |e: std::io::Error| FeedError::Io { location: location.to_owned(), source: e };
    let start = head(BufReader::new(file.try_clone().map_err(io)?), location)?;
    if !looks_like_epss(&start) {
        return Ok(None);
    }
    file.rewind().map_err(io)?;
    import_lines(BufReader::new(file.try_clone().map_err(io)?), location, Some(&mut Discard))?;
    file.rewind().map_err(io)?;
    import_lines(BufReader::new(file), location, Some(sink)).map(Some)
}

/// A sink that keeps nothing (the checking pass).
struct Discard;

impl Sink for Discard {
    fn chunk(&mut self, _: Records) -> Result<(), FeedError> {
        Ok(())
    }
}

/// The first [`HEAD`] bytes of text (decompressed).
fn head<R: BufRead>(reader: R, location: &str) -> Result<Vec<u8>, FeedError> {
    let mut text = Text::open(reader, location)?;
    let mut start = Vec::new();
    let read = (&mut text.reader).take(HEAD).read_to_end(&mut start);
    read.map_err(|e| text.error(e))?;
    Ok(start)
}

/// The text of a CSV file, plain or gzip-compressed, read one bounded line at a time.
struct Text<'r, 'l> {
    reader: Box<dyn BufRead + 'r>,
    gzip: bool,
    location: &'l str,
    /// Bytes of text read so far.
    total: u64,
}

/// One line as read: its bytes (at most [`MAX_LINE`] + 1 of them: more means it is too long) and
/// its whole length, without its end.
struct Line {
    bytes: Vec<u8>,
    len: usize,
}

impl<'r, 'l> Text<'r, 'l> {
    fn open<R: BufRead + 'r>(mut reader: R, location: &'l str) -> Result<Self, FeedError> {
        let io = |e: std::io::Error| FeedError::Io { location: location.to_owned(), source: e };
        let gzip = reader.fill_buf().map_err(io)?.starts_with(&[0x1f, 0x8b]);
        let reader: Box<dyn BufRead + 'r> =
            if gzip { Box::new(BufReader::new(MultiGzDecoder::new(reader))) } else { Box::new(reader) };
        Ok(Self { reader, gzip, location, total: 0 })
    }

    fn error(&self, e: std::io::Error) -> FeedError {
        text_error(self.gzip, self.location, e)
    }

    /// The next line (without its end), or `None` at the end of the text.
    fn next_line(&mut self, line: &mut Line) -> Result<bool, FeedError> {
        line.bytes.clear();
        line.len = 0;
        loop {
            let available = self.reader.fill_buf().map_err(|e| text_error(self.gzip, self.location, e))?;
            if available.is_empty() {
                return Ok(line.len > 0);
            }
            let end = available.iter().position(|b| *b == b'\n');
            let used = end.map_or(available.len(), |at| at + 1);
            let keep = (MAX_LINE + 1).saturating_sub(line.bytes.len()).min(end.unwrap_or(used));
            line.bytes.extend_from_slice(&available[..keep]);
            line.len += end.unwrap_or(used);
            self.reader.consume(used);
            self.total += used as u64;
            if self.total > MAX_CSV {
                let message = format!("more than {MAX_CSV} bytes of text: over the bound; not read");
                return Err(FeedError::malformed(self.location, message));
            }
            if end.is_some() {
                return Ok(true);
            }
        }
    }
}

/// A read error: in a gzip stream it means the file is damaged.
fn text_error(gzip: bool, location: &str, e: std::io::Error) -> FeedError {
    if gzip {
        FeedError::malformed(location, format!("gzip: {e}"))
    } else {
        FeedError::Io { location: location.to_owned(), source: e }
    }
}

/// An EPSS CSV being read.
struct Csv<'l, 'a> {
    out: Out<'a>,
    location: &'l str,
    /// The score date: from the comment line, else from the file name.
    date: Option<String>,
    columns: Option<Columns>,
    /// Unreadable rows so far.
    bad_rows: usize,
}

/// Where the fields of a row are (from the header line).
#[derive(Debug, Clone, Copy)]
struct Columns {
    cve: usize,
    epss: usize,
    percentile: Option<usize>,
}

impl Columns {
    /// The columns named by a header line, if it is one.
    fn find(fields: &[&str]) -> Option<Self> {
        let find = |name: &str| fields.iter().position(|f| f.eq_ignore_ascii_case(name));
        Some(Self { cve: find("cve")?, epss: find("epss")?, percentile: find("percentile") })
    }

    /// The score of a row, if it is a readable one.
    fn score(self, fields: &[&str], date: Option<&str>) -> Option<EpssScore> {
        let cve = fields.get(self.cve).copied().unwrap_or_default();
        let score = fields.get(self.epss).and_then(|s| s.parse::<f64>().ok())?;
        if !cve.starts_with("CVE-") || !(0.0..=1.0).contains(&score) {
            return None;
        }
        let percentile = self.percentile.and_then(|p| fields.get(p)).and_then(|s| s.parse::<f64>().ok());
        Some(EpssScore { cve_id: cve.to_owned(), score, percentile, date: date.map(str::to_owned) })
    }
}

/// Reads a CSV (plain or gzip) line by line, its scores going to `sink` in chunks (`None`: all
/// kept and returned).
fn import_lines<R: BufRead>(reader: R, location: &str, sink: Option<&mut dyn Sink>) -> Result<Import, FeedError> {
    let mut text = Text::open(reader, location)?;
    let mut csv = Csv { out: Out::new(sink), location, date: date_in(location), columns: None, bad_rows: 0 };
    let mut line = Line { bytes: Vec::new(), len: 0 };
    let mut n = 0usize;
    while text.next_line(&mut line)? {
        n += 1;
        csv.line(n, &line)?;
    }
    csv.finish()
}

impl Csv<'_, '_> {
    fn warn(&mut self, n: usize, message: String) {
        self.out.import.diagnostics.push(Diagnostic::warning(format!("{}:{n}", self.location), message));
    }

    fn line(&mut self, n: usize, line: &Line) -> Result<(), FeedError> {
        if line.bytes.len() > MAX_LINE {
            self.warn(n, format!("line of {} bytes, over the bound of {MAX_LINE}; skipped", line.len));
            return Ok(());
        }
        let text = std::str::from_utf8(&line.bytes).map_err(|e| FeedError::malformed(self.location, e))?;
        let text = text.trim();
        if text.is_empty() {
            return Ok(());
        }
        if let Some(comment) = text.strip_prefix('#') {
            self.comment(comment);
            return Ok(());
        }
        let fields: Vec<&str> = text.split(',').map(str::trim).collect();
        let Some(columns) = self.columns else {
            let columns = Columns::find(&fields);
            self.columns = Some(
                columns.ok_or_else(|| FeedError::malformed(self.location, "no cve,epss header: not an EPSS CSV"))?,
            );
            return Ok(());
        };
        match columns.score(&fields, self.date.as_deref()) {
            Some(score) => self.out.import.records.epss.push(score),
            None => self.bad_row(n),
        }
        self.out.record_done()
    }

    /// `#model_version:v2023.03.01,score_date:2023-03-07T00:00:00+0000`: the score date.
    fn comment(&mut self, comment: &str) {
        for field in comment.split(',') {
            if let Some(d) = field.trim().strip_prefix("score_date:") {
                self.date = Some(d.get(..10).unwrap_or(d).to_owned());
            }
        }
    }

    fn bad_row(&mut self, n: usize) {
        self.bad_rows += 1;
        if self.bad_rows <= MAX_ROW_DIAGNOSTICS {
            self.warn(n, "unreadable EPSS row; skipped".to_owned());
        }
    }

    fn finish(mut self) -> Result<Import, FeedError> {
        if self.columns.is_none() {
            return Err(FeedError::malformed(self.location, "empty: not an EPSS CSV"));
        }
        if self.bad_rows > MAX_ROW_DIAGNOSTICS {
            let message = format!("{} more unreadable EPSS rows skipped", self.bad_rows - MAX_ROW_DIAGNOSTICS);
            self.out.import.diagnostics.push(Diagnostic::warning(self.location, message));
        }
        let mut import = self.out.finish();
        import.timestamp = self.date;
        Ok(import)
    }
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
