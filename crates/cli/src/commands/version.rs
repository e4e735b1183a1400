//! `microscanner version`: compare versions the way each ecosystem's own tool does.

use std::cmp::Ordering;
use std::io::{BufRead, BufReader, BufWriter, Write};

use anyhow::Context;
use clap::builder::TypedValueParser;
use microscanner_version::VersionScheme;

use crate::commands::Global;
use crate::exit::Outcome;

/// Arguments of `microscanner version`.
#[derive(Debug, clap::Args)]
pub(crate) struct VersionArgs {
    /// What to do.
    #[command(subcommand)]
    command: VersionCommand,
}

/// The subcommands of `microscanner version`.
#[derive(Debug, clap::Subcommand)]
enum VersionCommand {
    /// Compare two versions and print `<`, `=` or `>`; or, with `--batch`, compare the pairs
    /// `A B` read one per line from stdin and print one result per line.
    Compare(CompareArgs),
}

/// Arguments of `microscanner version compare`.
#[derive(Debug, clap::Args)]
struct CompareArgs {
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

/// Runs `microscanner version`.
pub(crate) fn run(_global: &Global, args: &VersionArgs) -> anyhow::Result<Outcome> {
    match &args.command {
        VersionCommand::Compare(compare) => run_compare(compare),
    }
}

fn run_compare(args: &CompareArgs) -> anyhow::Result<Outcome> {
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
