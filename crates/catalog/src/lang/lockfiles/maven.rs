//! Maven `pom.xml`, read with quick-xml: the project itself and its declared `<dependencies>`,
//! at the versions the file itself gives. A version may be literal or use `${property}`s defined
//! in the same file (`<properties>`, `project.version`, `project.groupId`, `project.parent.*`),
//! and a dependency without a version may take one from the same file's
//! `<dependencyManagement>`. Nothing else is resolved: no parent POM, BOM import, repository or
//! settings is read, so a version that needs one, or a range (`[1.0,2.0)`), is skipped with a
//! diagnostic, never guessed. `test` and `provided` dependencies are left out (not shipped), as
//! Trivy does.

use std::collections::BTreeMap;

use microscanner_model::{Evidence, PackageKind};
use quick_xml::events::Event;

use crate::lang::{ParseResult, dedup, lang_package, warn};

/// Deepest element nesting read (a POM is a few levels deep).
const MAX_DEPTH: usize = 64;
/// Most property expansions for one value (nested `${a}` → `${b}` → ...).
const MAX_EXPANSIONS: usize = 32;
/// Longest value a property expansion may produce.
const MAX_VALUE: usize = 1024;

#[derive(Default, Clone)]
struct Dependency {
    group: String,
    artifact: String,
    version: String,
    scope: String,
}

#[derive(Default)]
struct Pom {
    group: String,
    artifact: String,
    version: String,
    parent_group: String,
    parent_version: String,
    properties: BTreeMap<String, String>,
    dependencies: Vec<Dependency>,
    managed: Vec<Dependency>,
}

/// Where the element being read sits: the names from `project` down.
fn path_is(stack: &[String], want: &[&str]) -> bool {
    stack.len() == want.len() && stack.iter().zip(want).all(|(a, b)| a == b)
}

/// Reads the parts of a POM we use, or the XML error.
fn read_pom(bytes: &[u8]) -> Result<Pom, String> {
    let mut reader = quick_xml::Reader::from_reader(bytes);
    let mut pom = Pom::default();
    let mut stack: Vec<String> = Vec::new();
    let mut text = String::new();
    let mut dep = Dependency::default();
    loop {
        let event = reader.read_event().map_err(|e| format!("at byte {}: {e}", reader.buffer_position()))?;
        match event {
            Event::Start(e) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(format!("elements nested deeper than {MAX_DEPTH}"));
                }
                stack.push(String::from_utf8_lossy(e.local_name().as_ref()).into_owned());
                text.clear();
                if stack.last().is_some_and(|n| n == "dependency") {
                    dep = Dependency::default();
                }
            }
            Event::Text(t) => text.push_str(&t.xml10_content().map_err(|e| e.to_string())?),
            Event::CData(t) => text.push_str(&t.xml10_content().map_err(|e| e.to_string())?),
            Event::GeneralRef(r) => {
                let c = match r.resolve_char_ref().map_err(|e| e.to_string())? {
                    Some(c) => Some(c),
                    None => match &*r {
                        b"lt" => Some('<'),
                        b"gt" => Some('>'),
                        b"amp" => Some('&'),
                        b"apos" => Some('\''),
                        b"quot" => Some('"'),
                        _ => None,
                    },
                };
                if let Some(c) = c {
                    text.push(c);
                }
            }
            Event::End(_) => {
                take_value(&mut pom, &stack, &mut dep, text.trim());
                text.clear();
                stack.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err("the document ends inside an element".into());
    }
    if pom.artifact.is_empty() && pom.dependencies.is_empty() {
        return Err("no <project> with an artifactId or dependencies".into());
    }
    Ok(pom)
}

/// Stores the text of the element that just ended, by where it was.
fn take_value(pom: &mut Pom, stack: &[String], dep: &mut Dependency, value: &str) {
    let Some((first, rest)) = stack.split_first() else { return };
    if first != "project" {
        return;
    }
    let rest: Vec<&str> = rest.iter().map(String::as_str).collect();
    match rest.as_slice() {
        ["groupId"] => pom.group = value.to_owned(),
        ["artifactId"] => pom.artifact = value.to_owned(),
        ["version"] => pom.version = value.to_owned(),
        ["parent", "groupId"] => pom.parent_group = value.to_owned(),
        ["parent", "version"] => pom.parent_version = value.to_owned(),
        ["properties", key] => {
            pom.properties.insert((*key).to_owned(), value.to_owned());
        }
        ["dependencies", "dependency", field] | ["dependencyManagement", "dependencies", "dependency", field] => {
            match *field {
                "groupId" => dep.group = value.to_owned(),
                "artifactId" => dep.artifact = value.to_owned(),
                "version" => dep.version = value.to_owned(),
                "scope" => dep.scope = value.to_owned(),
                _ => {}
            }
        }
        _ if path_is(stack, &["project", "dependencies", "dependency"]) => pom.dependencies.push(std::mem::take(dep)),
        _ if path_is(stack, &["project", "dependencyManagement", "dependencies", "dependency"]) => {
            pom.managed.push(std::mem::take(dep));
        }
        _ => {}
    }
}

impl Pom {
    /// The value of property `key` as this file defines it.
    fn property(&self, key: &str) -> Option<&str> {
        let v = match key {
            "project.version" | "pom.version" | "version" => self.effective_version(),
            "project.groupId" | "pom.groupId" | "groupId" => self.effective_group(),
            "project.artifactId" | "pom.artifactId" | "artifactId" => self.artifact.as_str(),
            "project.parent.version" | "parent.version" => self.parent_version.as_str(),
            "project.parent.groupId" | "parent.groupId" => self.parent_group.as_str(),
            _ => return self.properties.get(key).map(String::as_str),
        };
        (!v.is_empty()).then_some(v)
    }

    fn effective_version(&self) -> &str {
        if self.version.is_empty() { &self.parent_version } else { &self.version }
    }

    fn effective_group(&self) -> &str {
        if self.group.is_empty() { &self.parent_group } else { &self.group }
    }

    /// `value` with every `${property}` replaced by this file's definition, or the name of the
    /// first property it cannot resolve here.
    fn resolve(&self, value: &str) -> Result<String, String> {
        let mut out = value.to_owned();
        for _ in 0..MAX_EXPANSIONS {
            let Some(start) = out.find("${") else { return Ok(out) };
            let Some(len) = out[start..].find('}') else { return Err(out) };
            let key = &out[start + 2..start + len];
            let Some(v) = self.property(key) else { return Err(key.to_owned()) };
            let next = format!("{}{v}{}", &out[..start], &out[start + len + 1..]);
            if next.len() > MAX_VALUE {
                return Err(key.to_owned());
            }
            out = next;
        }
        Err(format!("{value} (more than {MAX_EXPANSIONS} expansions)"))
    }
}

/// A version that names one release: not a range (`[1.0,2.0)`), an unresolved `${x}`, or a
/// resource-filtering placeholder (`@example.version@`, filled in by maven-invoker-plugin).
fn is_literal(version: &str) -> bool {
    let placeholder = version.len() > 1 && version.starts_with('@') && version.ends_with('@');
    !version.is_empty() && !placeholder && !version.contains(['[', ']', '(', ')', ',', '$'])
}

/// Parses a `pom.xml`.
pub fn parse(bytes: &[u8]) -> ParseResult {
    let pom = match read_pom(bytes) {
        Ok(p) => p,
        Err(e) => return (Vec::new(), vec![warn(format!("cannot parse pom.xml: {e}"))]),
    };
    let mut pkgs = Vec::new();
    let mut diags = Vec::new();
    let mut add = |group: &str, artifact: &str, version: &str, what: &str, diags: &mut Vec<_>| {
        let name = match (pom.resolve(group), pom.resolve(artifact)) {
            (Ok(g), Ok(a)) if !g.is_empty() && !a.is_empty() => format!("{g}:{a}"),
            _ => {
                diags.push(warn(format!("pom.xml: {what} {group}:{artifact} has no resolvable name; skipped")));
                return;
            }
        };
        match pom.resolve(version) {
            Ok(v) if is_literal(&v) => pkgs.push(lang_package(PackageKind::Maven, &name, &v, Evidence::Declared)),
            Ok(v) if v.is_empty() => {
                diags.push(warn(format!("pom.xml: {what} {name} has no version in this file; skipped")));
            }
            Ok(v) => {
                diags.push(warn(format!("pom.xml: {what} {name} has version {v:?}, not a single release; skipped")))
            }
            Err(key) => diags
                .push(warn(format!("pom.xml: {what} {name}: property {key:?} is not defined in this file; skipped"))),
        }
    };
    if !pom.artifact.is_empty() {
        add(pom.effective_group(), &pom.artifact, pom.effective_version(), "project", &mut diags);
    }
    for d in &pom.dependencies {
        if matches!(d.scope.as_str(), "test" | "provided") {
            continue;
        }
        let version = if d.version.is_empty() {
            // the same file's dependencyManagement may pin it
            pom.managed.iter().find(|m| m.group == d.group && m.artifact == d.artifact).map_or("", |m| &m.version)
        } else {
            &d.version
        };
        add(&d.group, &d.artifact, version, "dependency", &mut diags);
    }
    dedup(&mut pkgs);
    (pkgs, diags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_resolve_in_file_only() {
        let pom = br#"<project><groupId>g</groupId><artifactId>a</artifactId><version>1.0</version>
            <properties><x.version>2.${minor}</x.version><minor>3</minor><loop>${loop}</loop></properties>
            <dependencies>
              <dependency><groupId>h</groupId><artifactId>b</artifactId><version>${x.version}</version></dependency>
              <dependency><groupId>h</groupId><artifactId>c</artifactId><version>${project.version}</version></dependency>
              <dependency><groupId>h</groupId><artifactId>d</artifactId><version>${parent.x}</version></dependency>
              <dependency><groupId>h</groupId><artifactId>e</artifactId><version>${loop}</version></dependency>
              <dependency><groupId>h</groupId><artifactId>f</artifactId><version>[1.0,2.0)</version></dependency>
              <dependency><groupId>h</groupId><artifactId>t</artifactId><version>1</version><scope>test</scope></dependency>
              <dependency><groupId>h</groupId><artifactId>m</artifactId></dependency>
            </dependencies>
            <dependencyManagement><dependencies>
              <dependency><groupId>h</groupId><artifactId>m</artifactId><version>4&#46;0</version></dependency>
            </dependencies></dependencyManagement></project>"#;
        let (pkgs, diags) = parse(pom);
        let got: Vec<String> = pkgs.iter().map(|p| format!("{} {}", p.name, p.version)).collect();
        assert_eq!(got, ["g:a 1.0", "h:b 2.3", "h:c 1.0", "h:m 4.0"]);
        assert_eq!(diags.len(), 3, "{diags:?}");
    }
}
