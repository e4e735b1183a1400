//! The `template` report format: a user's [minijinja](https://docs.rs/minijinja) template
//! (Jinja2 syntax). The context is the report as the `json` format writes it, so a template uses
//! the same names: `findings`, `suppressed`, `summary`, `image`, `os`, `database`, `policy`,
//! `coverage`, `packages`, `diagnostics`, `created_at`... Fields the JSON leaves out are
//! undefined (test them with `is defined`, or use `default`). No HTML escaping is applied, but
//! every value a `{{ ... }}` writes has its control and bidi characters shown visibly
//! ([`escape_controls`]: a line break in a value is `\n`, an escape character `\x1b`); the
//! template's own text is written as it is.
//!
//! Extra filters:
//! - `severity_upper`: `"high"` → `"HIGH"`.
//! - `fix_text`: a finding's `fix` → `"2.2.3"`, `"not fixed"`, `"won't fix"`...
//! - `csv`: quotes a value as a CSV field (RFC 4180) when it needs quoting (a line break in it is
//!   then written as `\n`, like any value's).
//! - `md`: escapes a value for a Markdown table cell (one line).

use std::collections::BTreeMap;

use microscanner_model::{Fix, FixState, Report};
use minijinja::value::Value;
use minijinja::{Environment, Error, ErrorKind};

use super::{RenderError, RenderOptions};
use crate::text::{escape_controls, one_line};

pub(super) fn render(report: &Report, options: &RenderOptions) -> Result<Vec<u8>, RenderError> {
    let source = options.template.as_deref().ok_or(RenderError::NoTemplate)?;
    let json = serde_json::to_value(report)
        .map_err(|e| RenderError::Serialize { format: "template", message: e.to_string() })?;
    let context = to_value(&json);

    let mut env = Environment::new();
    env.add_filter("severity_upper", |s: &str| s.to_ascii_uppercase());
    env.add_filter("fix_text", fix_filter);
    env.add_filter("csv", csv_field);
    env.add_filter("md", markdown_cell);
    // Values come from the image and the database: no control character of theirs reaches the
    // output raw (what minijinja would write, `none` for none, "" for undefined, escaped).
    env.set_formatter(|out, _state, value| out.write_str(&escape_controls(&value.to_string())).map_err(Error::from));
    let text = env.render_str(source, context).map_err(|e| RenderError::Template(describe(&e)))?;
    Ok(text.into_bytes())
}

/// One line: `line 3: syntax error: unexpected end of input`.
fn describe(e: &Error) -> String {
    let mut message = e.kind().to_string();
    if let Some(detail) = e.detail() {
        message = format!("{message}: {detail}");
    }
    match e.line() {
        Some(line) => format!("line {line}: {message}"),
        None => message,
    }
}

/// serde_json → minijinja (minijinja's own serde support is a feature this crate does not enable).
fn to_value(json: &serde_json::Value) -> Value {
    match json {
        serde_json::Value::Null => Value::from(()),
        serde_json::Value::Bool(b) => Value::from(*b),
        serde_json::Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                Value::from(u)
            } else if let Some(i) = n.as_i64() {
                Value::from(i)
            } else {
                Value::from(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        serde_json::Value::String(s) => Value::from(s.as_str()),
        serde_json::Value::Array(items) => items.iter().map(to_value).collect(),
        serde_json::Value::Object(map) => {
            Value::from_object(map.iter().map(|(k, v)| (k.clone(), to_value(v))).collect::<BTreeMap<String, Value>>())
        }
    }
}

/// `{{ finding.fix | fix_text }}`.
fn fix_filter(fix: Value) -> Result<String, Error> {
    let state = fix.get_attr("state")?;
    let state = state.as_str().ok_or_else(|| Error::new(ErrorKind::InvalidOperation, "fix_text needs a `fix`"))?;
    let state = [
        FixState::Fixed,
        FixState::NotFixed,
        FixState::WontFix,
        FixState::Postponed,
        FixState::EndOfLife,
        FixState::Undetermined,
    ]
    .into_iter()
    .find(|s| s.as_str() == state)
    .ok_or_else(|| Error::new(ErrorKind::InvalidOperation, format!("unknown fix state {state:?}")))?;
    let versions = fix.get_attr("versions")?;
    let versions: Vec<String> = match versions.try_iter() {
        Ok(iter) => iter.map(|v| v.to_string()).collect(),
        Err(_) => Vec::new(),
    };
    Ok(super::table::fix_text(&Fix { state, versions, note: None }))
}

/// RFC 4180: quoted (with doubled quotes) when the value holds a comma, quote or line break.
fn csv_field(value: Value) -> String {
    let text = if value.is_none() || value.is_undefined() { String::new() } else { value.to_string() };
    if text.contains([',', '"', '\n', '\r']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text }
}

/// One line ([`one_line`]), `|` escaped: safe in a Markdown table cell.
fn markdown_cell(value: Value) -> String {
    let text = if value.is_none() || value.is_undefined() { String::new() } else { value.to_string() };
    one_line(&text).replace('|', "\\|")
}
