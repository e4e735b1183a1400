//! Settings from outside the command line, as Trivy users expect: every flag can also be given as
//! an environment variable `MICROSCANNER_<FLAG>` (`--fail-on` → `MICROSCANNER_FAIL_ON`) and in a
//! config file (`--config FILE`, else `./microscanner.yaml` when it exists).
//!
//! Precedence, highest first: the command line, the environment, the config file, the built-in
//! default. Both are applied to clap's own description of the command line, so `--help` shows
//! every variable as `[env: ...]` and a value from either is checked exactly as a flag's is.
//!
//! The config file is a YAML mapping of long flag names to values; a mapping under a command's
//! name applies to that command only and wins over the top level:
//!
//! ```yaml
//! fail-on: high,unknown        # every command that has --fail-on
//! severity: [HIGH, CRITICAL]   # a list for a flag that takes several values
//! scan:
//!   ignore-unfixed: true
//!   format: sarif
//! ```

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use clap::{Arg, Command};

/// The config file read from the working directory when `--config` is not given.
pub(crate) const DEFAULT_CONFIG_FILE: &str = "microscanner.yaml";

/// The environment variable of a long flag: `fail-on` → `MICROSCANNER_FAIL_ON`.
pub(crate) fn env_name(long: &str) -> String {
    format!("MICROSCANNER_{}", long.to_ascii_uppercase().replace('-', "_"))
}

/// A value of the config file: one word, or a list for a flag that takes several.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Setting {
    /// One value (numbers and booleans as written: `5m`, `true`).
    One(String),
    /// Several values.
    Many(Vec<String>),
}

/// The config file, read: top-level settings and per-command sections.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Config {
    /// Settings for every command that has the flag.
    pub(crate) global: BTreeMap<String, Setting>,
    /// Settings for one command (`scan:`), winning over `global`.
    pub(crate) commands: BTreeMap<String, BTreeMap<String, Setting>>,
}

/// The file `--config` names in `args` (`--config F`, `--config=F`), else `./microscanner.yaml`
/// when it exists.
pub(crate) fn config_path(args: &[OsString]) -> Option<PathBuf> {
    let mut words = args.iter().map(|a| a.to_string_lossy());
    while let Some(word) = words.next() {
        if word == "--" {
            break;
        }
        if word == "--config" {
            return words.next().map(|w| PathBuf::from(w.as_ref()));
        }
        if let Some(path) = word.strip_prefix("--config=") {
            return Some(PathBuf::from(path));
        }
    }
    Some(PathBuf::from(DEFAULT_CONFIG_FILE)).filter(|p| p.is_file())
}

/// Reads a config file: a one-line error naming the file and the key when it is not one.
pub(crate) fn read_config(path: &Path) -> Result<Config, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    parse_config(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Parses the text of a config file.
pub(crate) fn parse_config(text: &str) -> Result<Config, String> {
    if text.lines().all(|l| l.trim().is_empty() || l.trim_start().starts_with('#')) {
        return Ok(Config::default());
    }
    let raw: BTreeMap<String, serde_json::Value> =
        serde_saphyr::from_str(text).map_err(|e| format!("not a YAML mapping of flags to values: {e}"))?;
    let mut config = Config::default();
    for (key, value) in raw {
        match value {
            serde_json::Value::Object(section) => {
                let mut settings = BTreeMap::new();
                for (flag, value) in section {
                    let setting = setting(&value).ok_or_else(|| format!("{key}.{flag}: expected a value or a list"))?;
                    settings.insert(flag, setting);
                }
                config.commands.insert(key, settings);
            }
            other => {
                let setting = setting(&other).ok_or_else(|| format!("{key}: expected a value or a list"))?;
                config.global.insert(key, setting);
            }
        }
    }
    Ok(config)
}

fn setting(value: &serde_json::Value) -> Option<Setting> {
    fn word(value: &serde_json::Value) -> Option<String> {
        match value {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            serde_json::Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }
    match value {
        serde_json::Value::Array(items) => items.iter().map(word).collect::<Option<Vec<_>>>().map(Setting::Many),
        other => word(other).map(Setting::One),
    }
}

/// `command` with an environment variable on every flag that has none, and the config file's
/// values as defaults. A key of the config file that no command has is an error naming it.
pub(crate) fn apply(command: Command, config: &Config) -> Result<Command, String> {
    let mut known: Vec<String> = Vec::new();
    collect_longs(&command, &mut known);
    let commands: Vec<String> = command.get_subcommands().map(|c| c.get_name().to_owned()).collect();
    for key in config.global.keys() {
        if !known.contains(key) {
            return Err(format!("unknown setting `{key}`: no command has --{key}"));
        }
    }
    for (name, settings) in &config.commands {
        let Some(sub) = command.find_subcommand(name) else {
            return Err(format!("unknown command `{name}` (commands: {})", commands.join(", ")));
        };
        let mut longs = Vec::new();
        collect_longs(sub, &mut longs);
        if let Some(key) = settings.keys().find(|k| !longs.contains(k)) {
            return Err(format!("unknown setting `{name}.{key}`: `microscanner {name}` has no --{key}"));
        }
    }
    Ok(decorate(command, config, None, true))
}

/// Every long flag of `command` and its subcommands.
fn collect_longs(command: &Command, out: &mut Vec<String>) {
    out.extend(command.get_arguments().filter_map(Arg::get_long).map(str::to_owned));
    for sub in command.get_subcommands() {
        collect_longs(sub, out);
    }
}

/// Adds the environment variables and defaults to `command` and, recursively, its subcommands;
/// `section` is the config section of the top-level command being decorated (`None` at the
/// root).
fn decorate(command: Command, config: &Config, section: Option<&BTreeMap<String, Setting>>, root: bool) -> Command {
    let command = command.mut_args(|arg| {
        let Some(long) = arg.get_long().map(str::to_owned) else { return arg };
        if matches!(long.as_str(), "help" | "version" | "config") {
            return arg;
        }
        let arg = if arg.get_env().is_none() { arg.env(env_name(&long)) } else { arg };
        match section.and_then(|s| s.get(&long)).or_else(|| config.global.get(&long)) {
            Some(Setting::One(v)) => arg.default_value(v.clone()),
            Some(Setting::Many(vs)) => arg.default_values(vs.clone()),
            None => arg,
        }
    });
    command.mut_subcommands(|sub| {
        let own = if root { config.commands.get(sub.get_name()) } else { section };
        decorate(sub, config, own, false)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_name_their_variables() {
        assert_eq!(env_name("fail-on"), "MICROSCANNER_FAIL_ON");
        assert_eq!(env_name("db-max-age"), "MICROSCANNER_DB_MAX_AGE");
    }

    #[test]
    fn the_file_is_read_with_sections_and_lists() {
        let config =
            parse_config("fail-on: high,unknown\nseverity: [HIGH, CRITICAL]\nscan:\n  ignore-unfixed: true\n").unwrap();
        assert_eq!(config.global["fail-on"], Setting::One("high,unknown".into()));
        assert_eq!(config.global["severity"], Setting::Many(vec!["HIGH".into(), "CRITICAL".into()]));
        assert_eq!(config.commands["scan"]["ignore-unfixed"], Setting::One("true".into()));
        assert!(parse_config("- a\n- b\n").is_err(), "a list is not a mapping");
        assert_eq!(parse_config("# nothing yet\n").unwrap(), Config::default());
    }

    #[test]
    fn the_config_path_comes_from_the_flag() {
        let args = |v: &[&str]| v.iter().map(OsString::from).collect::<Vec<_>>();
        assert_eq!(config_path(&args(&["scan", "--config", "ci.yaml", "x"])), Some(PathBuf::from("ci.yaml")));
        assert_eq!(config_path(&args(&["--config=ci.yaml", "scan"])), Some(PathBuf::from("ci.yaml")));
    }
}
