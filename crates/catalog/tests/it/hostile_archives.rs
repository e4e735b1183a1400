//! Archives that multiply (issue 23, item 2): a small jar whose central directory lists one
//! stored inner jar many times, nested deep, must not become millions of packages. Overlapping
//! entries are read once, the same inner bytes are read once, and the whole nesting of one outer
//! file shares one budget of depth, entries, archives and inflated bytes; hitting a bound is a
//! warning. A hang guard (no timing assert) keeps a regression from hanging the suite.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests: a panic is the failure report

use std::io::{Cursor, Write as _};
use std::sync::mpsc;
use std::time::Duration;

use microscanner_catalog::lang::ParseResult;
use microscanner_catalog::lang::java::{Limits, parse_with_limits};
use microscanner_catalog::lang::parse_file;
use microscanner_model::DiagnosticLevel;
use zip::write::SimpleFileOptions;

/// Runs `f` on another thread and fails if it has not finished within a generous bound.
fn finishes<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(300)).expect("the parse did not finish: archives multiply")
}

/// CRC-32 (IEEE), bitwise: the test builds zips by hand.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// A zip whose central directory lists every name of `names`, all of them pointing at the one
/// stored local entry holding `data`: the overlapping-entries trick of zip quines.
fn one_entry_listed_as(names: &[String], data: &[u8]) -> Vec<u8> {
    let crc = crc32(data);
    let size = u32::try_from(data.len()).unwrap();
    let local_name = names[0].as_bytes();
    let mut out = Vec::new();
    // local file header
    out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
    push_entry_fields(&mut out, crc, size, local_name);
    out.extend_from_slice(&0u16.to_le_bytes()); // extra length
    out.extend_from_slice(local_name);
    out.extend_from_slice(data);
    let cd_start = u32::try_from(out.len()).unwrap();
    for name in names {
        let name = name.as_bytes();
        out.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        out.extend_from_slice(&20u16.to_le_bytes()); // version made by
        push_entry_fields(&mut out, crc, size, name);
        out.extend_from_slice(&0u16.to_le_bytes()); // extra
        out.extend_from_slice(&0u16.to_le_bytes()); // comment
        out.extend_from_slice(&0u16.to_le_bytes()); // disk
        out.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
        out.extend_from_slice(&0u32.to_le_bytes()); // external attributes
        out.extend_from_slice(&0u32.to_le_bytes()); // local header offset: all the same
        out.extend_from_slice(name);
    }
    let cd_size = u32::try_from(out.len()).unwrap() - cd_start;
    let count = u16::try_from(names.len()).unwrap();
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&cd_size.to_le_bytes());
    out.extend_from_slice(&cd_start.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

/// The fields a local file header and a central-directory entry share, in the same order: version
/// needed, flags, method (stored), time and date, CRC, both sizes, and the name's length.
fn push_entry_fields(out: &mut Vec<u8>, crc: u32, size: u32, name: &[u8]) {
    out.extend_from_slice(&20u16.to_le_bytes()); // version needed
    out.extend_from_slice(&0u16.to_le_bytes()); // flags
    out.extend_from_slice(&0u16.to_le_bytes()); // stored
    out.extend_from_slice(&0u32.to_le_bytes()); // time, date
    out.extend_from_slice(&crc.to_le_bytes());
    out.extend_from_slice(&size.to_le_bytes()); // compressed
    out.extend_from_slice(&size.to_le_bytes()); // uncompressed
    out.extend_from_slice(&u16::try_from(name.len()).unwrap().to_le_bytes());
}

/// A zip of `entries`, stored, through the zip crate.
fn zip_of(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, data) in entries {
        w.start_file(name.as_str(), opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// The innermost jar: one Maven artifact.
fn leaf() -> Vec<u8> {
    zip_of(&[("META-INF/maven/g/leaf/pom.properties".into(), b"groupId=g\nartifactId=leaf\nversion=1.0\n".to_vec())])
}

/// The quine-like jar: each level lists the level below `fan_out` times, as one stored entry.
fn quine(levels: usize, fan_out: usize) -> Vec<u8> {
    let mut jar = leaf();
    for level in 0..levels {
        let names: Vec<String> = (0..fan_out).map(|i| format!("lib/inner-{level}-{i}-1.0.jar")).collect();
        jar = one_entry_listed_as(&names, &jar);
    }
    jar
}

fn warnings(result: &ParseResult) -> Vec<&str> {
    result.1.iter().filter(|d| d.level == DiagnosticLevel::Warning).map(|d| d.message.as_str()).collect()
}

#[test]
fn quine_jar_sixteen_wide_six_deep_is_read_once_per_level() {
    let jar = quine(6, 16);
    assert!(jar.len() < 16 << 10, "a small file: {}", jar.len());
    let result = finishes(move || parse_file("app/quine.jar", &jar).unwrap());
    // one artifact per level at most (the leaf's pom, and the file-name fallbacks)
    assert!(result.0.len() <= 10, "{} packages", result.0.len());
    assert!(result.0.iter().any(|p| p.name == "g:leaf"), "the real artifact is still found");
    assert!(warnings(&result).iter().any(|m| m.contains("overlap")), "{:#?}", result.1);
    assert!(result.1.iter().all(|d| d.location.starts_with("/app/quine.jar")), "{:#?}", result.1);
}

/// The same inner jar stored separately (no overlap), four times per level, five deep: the same
/// bytes are read once.
#[test]
fn repeated_inner_jars_are_read_once() {
    let mut jar = leaf();
    for level in 0..5 {
        let entries: Vec<(String, Vec<u8>)> =
            (0..4).map(|i| (format!("lib/copy-{level}-{i}-1.0.jar"), jar.clone())).collect();
        jar = zip_of(&entries);
    }
    let result = finishes(move || parse_file("app/copies.jar", &jar).unwrap());
    assert!(result.0.len() <= 10, "{} packages", result.0.len());
    assert!(result.0.iter().any(|p| p.name == "g:leaf"));
    assert!(result.1.iter().any(|d| d.message.contains("repeat the bytes")), "{:#?}", result.1);
}

/// Distinct jars nested deep and wide hit the whole-nesting bounds, each with a warning.
#[test]
fn whole_nesting_budgets_are_shared_across_levels() {
    // 3 levels of 6 distinct jars each: 6 + 36 + 216 archives
    fn tree(level: usize, id: &str) -> Vec<u8> {
        let mut entries = vec![(
            format!("META-INF/maven/g/a{id}/pom.properties"),
            format!("groupId=g\nartifactId=a{id}\nversion=1\n").into_bytes(),
        )];
        if level > 0 {
            for i in 0..6 {
                entries.push((format!("lib/n{id}-{i}.jar"), tree(level - 1, &format!("{id}-{i}"))));
            }
        }
        zip_of(&entries)
    }
    let jar = tree(3, "x");
    let unbounded = parse_with_limits(&jar, "x.jar", Limits::default());
    assert_eq!(unbounded.0.len(), 1 + 6 + 36 + 216);
    assert!(warnings(&unbounded).is_empty(), "{:#?}", unbounded.1);

    let few_archives = parse_with_limits(&jar, "x.jar", Limits { max_archives: 20, ..Limits::default() });
    assert!(few_archives.0.len() <= 21, "{}", few_archives.0.len());
    assert!(
        warnings(&few_archives).iter().any(|m| m.contains("more than 20 nested archives")),
        "{:#?}",
        few_archives.1
    );

    let few_entries = parse_with_limits(&jar, "x.jar", Limits { max_total_entries: 50, ..Limits::default() });
    assert!(few_entries.0.len() <= 50, "{}", few_entries.0.len());
    assert!(warnings(&few_entries).iter().any(|m| m.contains("more than 50 entries in all")), "{:#?}", few_entries.1);

    let shallow = parse_with_limits(&jar, "x.jar", Limits { max_depth: 1, ..Limits::default() });
    assert_eq!(shallow.0.len(), 1 + 6);
    assert!(warnings(&shallow).iter().any(|m| m.contains("nest deeper than 1")), "{:#?}", shallow.1);
}
