//! `microscanner version`: the tool's version, the database schema it reads, and the database it
//! finds (path, build time, each feed's data date), as `trivy version` does. `microscanner
//! compare-versions` (and its old spelling `version compare`) compares versions the way each
//! ecosystem's own tool does.

use std::cmp::Ordering;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;

use anyhow::Context;
use clap::builder::TypedValueParser;
use microscanner_version::VersionScheme;
use microscanner_vulndb::{Database, SCHEMA_VERSION};

use crate::commands::{Global, db_path};
use crate::exit::Outcome;

/// Arguments of `microscanner version`.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub(crate) struct VersionArgs {
    /// `text` or `json`.
    #[arg(long, short, default_value = "text", value_parser = ["text", "json"])]
    format: String,
    /// The old spelling of `microscanner compare-versions`.
    #[command(subcommand)]
    command: Option<VersionCommand>,
}

/// The subcommands of `microscanner version`.
#[derive(Debug, clap::Subcommand)]
enum VersionCommand {
    /// The same as `microscanner compare-versions` (kept so scripts written for it still work).
    #[command(hide = true)]
    Compare(CompareArgs),
}

/// Arguments of `microscanner compare-versions`.
#[derive(Debug, clap::Args)]
pub(crate) struct CompareArgs {
    /// The version scheme.
    #[arg(value_parser = scheme_parser())]
    scheme: VersionScheme,
    /// The first version.
    #[arg(allow_hyphen_values = true, required_unless_present = "batch", conflicts_with = "batch")]
    a: Option<String>,
    /// The second version.
    #[arg(allow_hyphen_values = true, required_unless_present = "batch", conflicts_with = "batch")]
    b: Option<String>,
    /// Read pairs `A B` from stdin, one per line; a pair that cannot be compared prints an
    /// `error: ...` line in its place.
    #[arg(long)]
    batch: bool,
}

fn scheme_parser() -> impl TypedValueParser<Value = VersionScheme> {
    let names: Vec<&'static str> = VersionScheme::ALL.iter().map(|s| s.name()).collect();
    clap::builder::PossibleValuesParser::new(names).try_map(|name| name.parse::<VersionScheme>())
}

fn symbol(ordering: Ordering) -> &'static [u8] {
    match ordering {
        Ordering::Less => b"<\n",
        Ordering::Equal => b"=\n",
        Ordering::Greater => b">\n",
    }
}

/// Runs `microscanner version`: what this build is and which database it would use.
pub(crate) fn run(global: &Global, args: &VersionArgs) -> anyhow::Result<Outcome> {
    if let Some(VersionCommand::Compare(compare)) = &args.command {
        return run_compare(compare);
    }
    let database = db_path(global).ok().map(|path| database_facts(&path));
    let document = serde_json::json!({
        "version": env!("CARGO_PKG_VERSION"),
        "database_schema_version": SCHEMA_VERSION,
        "database": database,
    });
    let mut out = std::io::stdout().lock();
    if args.format == "json" {
        serde_json::to_writer_pretty(&mut out, &document).context("cannot write to stdout")?;
        writeln!(out).context("cannot write to stdout")?;
    } else {
        out.write_all(version_text(&document).as_bytes()).context("cannot write to stdout")?;
    }
    out.flush().context("cannot write to stdout")?;
    Ok(Outcome::Success)
}

/// What is known of the database at `path`: `{"path", "found": false}` when there is none,
/// `{"path", "found": true, "error"}` when it cannot be read, else its schema version, build time
/// and sources with their data dates.
fn database_facts(path: &Path) -> serde_json::Value {
    if !path.exists() {
        return serde_json::json!({ "path": path, "found": false });
    }
    let read = Database::open(path).and_then(|db| db.metadata());
    match read {
        Ok(meta) => serde_json::json!({
            "path": path,
            "found": true,
            "schema_version": meta.schema_version,
            "built_at": meta.built_at,
            "generator": meta.generator,
            "sources": meta.sources.iter().map(|s| serde_json::json!({
                "name": s.name,
                "kind": s.kind,
                "data_date": s.timestamp,
                "records": s.records,
            })).collect::<Vec<_>>(),
        }),
        Err(e) => serde_json::json!({ "path": path, "found": true, "error": e.to_string() }),
    }
}

/// The text form of the `version` document.
fn version_text(document: &serde_json::Value) -> String {
    use std::fmt::Write as _;
    let text = |v: &serde_json::Value| v.as_str().map_or_else(|| v.to_string(), str::to_owned);
    let mut out = String::new();
    let _ = writeln!(out, "microscanner {}", text(&document["version"]));
    let _ =
        writeln!(out, "Database schema: {} (the version this microscanner reads)", document["database_schema_version"]);
    let db = &document["database"];
    if db.is_null() {
        let _ = writeln!(out, "Database:        none (no --db given and neither XDG_CACHE_HOME nor HOME is set)");
        return out;
    }
    let path = text(&db["path"]);
    if db["found"] != true {
        let _ = writeln!(out, "Database:        none at {path} (run `microscanner db update`, or give --db)");
        return out;
    }
    let _ = writeln!(out, "Database:        {path}");
    if let Some(error) = db["error"].as_str() {
        let _ = writeln!(out, "  cannot be read: {error}");
        return out;
    }
    let _ = writeln!(out, "  Schema version: {}", db["schema_version"]);
    let _ = writeln!(out, "  Built at:       {}", text(&db["built_at"]));
    if let Some(generator) = db["generator"].as_str() {
        let _ = writeln!(out, "  Built by:       {generator}");
    }
    let sources = db["sources"].as_array().map(Vec::as_slice).unwrap_or_default();
    let _ = writeln!(out, "  Data dates (each feed's newest record):");
    let date = |s: &serde_json::Value| s["data_date"].as_str().unwrap_or("-").to_owned();
    let width = sources.iter().map(|s| date(s).len()).max().unwrap_or(0);
    for s in sources {
        let name = s["name"].as_str().unwrap_or("?");
        let _ = writeln!(out, "    {:<width$}  {name} ({} records)", date(s), s["records"]);
    }
    out
}

/// Runs `microscanner compare-versions` (and `version compare`).
pub(crate) fn run_compare(args: &CompareArgs) -> anyhow::Result<Outcome> {
    let stdout = std::io::stdout();
    if args.batch {
        let stdin = std::io::stdin();
        let input = BufReader::with_capacity(1 << 16, stdin.lock());
        let mut output = BufWriter::with_capacity(1 << 16, stdout.lock());
        batch(args.scheme, input, &mut output)?;
        output.flush().context("cannot write to stdout")?;
        return Ok(Outcome::Success);
    }
    let (Some(a), Some(b)) = (&args.a, &args.b) else {
        anyhow::bail!("two versions are needed (or --batch)");
    };
    let ordering = args.scheme.compare(a, b)?;
    let mut out = stdout.lock();
    out.write_all(symbol(ordering)).context("cannot write to stdout")?;
    out.flush().context("cannot write to stdout")?;
    Ok(Outcome::Success)
}

/// Compares each line's pair; one output line per input line, in order.
fn batch(scheme: VersionScheme, mut input: impl BufRead, output: &mut impl Write) -> anyhow::Result<()> {
    let mut line = Vec::with_capacity(256);
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line).context("cannot read stdin")? == 0 {
            return Ok(());
        }
        let text = line.strip_suffix(b"\n").unwrap_or(&line);
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        match compare_line(scheme, text) {
            Ok(ordering) => output.write_all(symbol(ordering)),
            Err(message) => writeln!(output, "error: {message}"),
        }
        .context("cannot write to stdout")?;
    }
}

fn compare_line(scheme: VersionScheme, line: &[u8]) -> Result<Ordering, String> {
    let line = std::str::from_utf8(line).map_err(|_| "line is not UTF-8".to_owned())?;
    let mut fields = line.split_ascii_whitespace();
    match (fields.next(), fields.next(), fields.next()) {
        (Some(a), Some(b), None) => scheme.compare(a, b).map_err(|e| e.to_string()),
        _ => Err(format!("expected two versions separated by whitespace, got {line:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_batch(scheme: VersionScheme, input: &str) -> String {
        let mut out = Vec::new();
        batch(scheme, input.as_bytes(), &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn batch_prints_one_line_per_pair_in_order() {
        let out = run_batch(VersionScheme::Dpkg, "1.0 2.0\n2.0 1.0\r\n1:0 1:0\n\n1.0 2.0 3.0\n1.0 :1\n1~rc1\t1");
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 7, "{out}");
        assert_eq!(&lines[..3], ["<", ">", "="]);
        assert!(lines[3].starts_with("error: expected two versions"), "{}", lines[3]);
        assert!(lines[4].starts_with("error: expected two versions"), "{}", lines[4]);
        assert!(lines[5].starts_with("error: invalid dpkg version \":1\""), "{}", lines[5]);
        assert_eq!(lines[6], "<");
    }

    #[test]
    fn batch_reports_non_utf8() {
        let mut out = Vec::new();
        batch(VersionScheme::Generic, &b"1 \xff\n1 2\n"[..], &mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "error: line is not UTF-8\n<\n");
    }
}
