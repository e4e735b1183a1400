//! The merge against a model: random layer stacks (files, whiteouts, opaque directories,
//! re-creations) are built as real tar layers, written as an OCI layout, run through the real
//! pipeline (`microscanner_image::open` + `build_inventory`) and compared with a plain model of
//! the same operations, including which layer each surviving package is attributed to.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests: a panic is the failure report

use std::collections::BTreeMap;

use microscanner_catalog::{Analyzer, AnalyzerOutput, CatalogOptions, LayerFiles, Record, build_inventory};
use microscanner_model::{Package, PackageKind};
use microscanner_testkit::{LayerBuilder, TestLayer, write_oci_layout};
use proptest::prelude::*;

/// Directories of the model tree (always directories, never files).
const DIRS: [&str; 4] = ["a", "a/b", "c", "z"];
/// Files of the model tree. Files under `z/` are not wanted by the analyzer: noise.
const FILES: [&str; 8] = ["a/x", "a/y", "a/b/x", "a/b/y", "c/x", "c/y", "z/x", "top"];
/// Contents a file can have.
const CONTENTS: [&str; 3] = ["1", "2", "3"];

/// A test analyzer: wants every file under `a/` and `c/` (and the top-level `top`), emits one
/// package per file whose name is the path and whose version is the content; run inline in the
/// walk, or `beside` it on other threads (`Analyzer::runs_beside_walk`), with the same result.
struct PathAnalyzer {
    beside: bool,
}

fn wanted(path: &str) -> bool {
    path.starts_with("a/") || path.starts_with("c/") || path == "top"
}

impl Analyzer for PathAnalyzer {
    fn id(&self) -> &'static str {
        "test-path"
    }

    fn version(&self) -> u32 {
        1
    }

    fn wants(&self, path: &str, _size: u64) -> bool {
        wanted(path)
    }

    fn runs_beside_walk(&self) -> bool {
        self.beside
    }

    fn analyze(&self, files: &LayerFiles) -> AnalyzerOutput {
        let mut out = AnalyzerOutput::default();
        for (path, bytes) in files {
            let version = String::from_utf8_lossy(bytes).into_owned();
            let package = Package::new(PackageKind::Cargo, path.clone(), version.clone())
                .with_purl(format!("pkg:cargo/{}@{version}", path.replace('/', "%2F")))
                .with_location(format!("/{path}"));
            out.records.push(Record::Packages { path: path.clone(), packages: vec![package] });
        }
        out
    }
}

/// One operation of a layer.
#[derive(Debug, Clone)]
enum Op {
    /// Write `FILES[file]` with `CONTENTS[content]`.
    Write(usize, usize),
    /// Whiteout of a file (`< FILES.len()`) or of a directory (`FILES.len() + DIRS index`).
    Whiteout(usize),
    /// Make `DIRS[dir]` opaque.
    Opaque(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        5 => (0..FILES.len(), 0..CONTENTS.len()).prop_map(|(f, c)| Op::Write(f, c)),
        2 => (0..FILES.len() + DIRS.len()).prop_map(Op::Whiteout),
        1 => (0..DIRS.len()).prop_map(Op::Opaque),
    ]
}

/// One layer as the tar will hold it: at most one write per path, whiteouts and opaque
/// directories without repeats, in the generated order.
#[derive(Debug, Clone, Default)]
struct LayerOps {
    ops: Vec<Op>,
}

impl LayerOps {
    fn from_ops(raw: Vec<Op>) -> Self {
        let mut seen_write = std::collections::HashSet::new();
        let mut seen_other = std::collections::HashSet::new();
        let mut ops = Vec::new();
        // Keep the last write of each path and the first of each deletion.
        for op in raw.into_iter().rev() {
            let keep = match &op {
                Op::Write(f, _) => seen_write.insert(*f),
                Op::Whiteout(t) => seen_other.insert((0, *t)),
                Op::Opaque(d) => seen_other.insert((1, *d)),
            };
            if keep {
                ops.push(op);
            }
        }
        ops.reverse();
        Self { ops }
    }

    fn tar(&self) -> Vec<u8> {
        let mut b = LayerBuilder::new();
        for op in &self.ops {
            b = match *op {
                Op::Write(f, c) => b.file(FILES[f], CONTENTS[c].as_bytes()),
                Op::Whiteout(t) => b.whiteout(target(t)),
                Op::Opaque(d) => b.opaque(DIRS[d]),
            };
        }
        b.build()
    }
}

fn target(t: usize) -> &'static str {
    if t < FILES.len() { FILES[t] } else { DIRS[t - FILES.len()] }
}

fn is_at_or_below(path: &str, top: &str) -> bool {
    path == top || path.strip_prefix(top).is_some_and(|rest| rest.starts_with('/'))
}

/// The model: path → (content, layer that introduced this content at this path). Within a
/// layer, opaque directories and whiteouts apply to the lower layers only (OCI image spec), so
/// they are applied before the layer's own writes. A package's layer is the lowest layer from
/// which the same content sat at the path without a deletion or a different write in between.
fn model(layers: &[LayerOps]) -> BTreeMap<String, (String, usize)> {
    let mut state: BTreeMap<String, (String, usize)> = BTreeMap::new();
    for (index, layer) in layers.iter().enumerate() {
        for op in &layer.ops {
            if let Op::Opaque(d) = op {
                state.retain(|path, _| !(is_at_or_below(path, DIRS[*d]) && path != DIRS[*d]));
            }
        }
        for op in &layer.ops {
            if let Op::Whiteout(t) = op {
                state.retain(|path, _| !is_at_or_below(path, target(*t)));
            }
        }
        for op in &layer.ops {
            if let Op::Write(f, c) = op {
                let content = CONTENTS[*c].to_owned();
                let path = FILES[*f].to_owned();
                match state.get(&path) {
                    Some((old, _)) if *old == content => {}
                    _ => {
                        state.insert(path, (content, index));
                    }
                }
            }
        }
    }
    state.retain(|path, _| wanted(path));
    state
}

/// Runs the real pipeline on `layers` and returns path → (content, attributed layer index): the
/// same whether the analyzer runs in the walk or beside it.
fn pipeline(layers: &[LayerOps]) -> BTreeMap<String, (String, usize)> {
    let inline = pipeline_with(layers, false);
    assert_eq!(pipeline_with(layers, true), inline, "analysed beside the walk");
    inline
}

/// [`pipeline`] with the analyzer in the walk or `beside` it.
fn pipeline_with(layers: &[LayerOps], beside: bool) -> BTreeMap<String, (String, usize)> {
    let dir = tempfile::tempdir().unwrap();
    let test_layers: Vec<TestLayer> = layers
        .iter()
        .enumerate()
        .map(|(i, l)| TestLayer { tar: l.tar(), gzip: i % 2 == 0, created_by: format!("layer {i}") })
        .collect();
    write_oci_layout(dir.path(), &test_layers);
    let options = CatalogOptions::default();
    let image = microscanner_image::open(&format!("oci:{}", dir.path().display()), &options.limits).unwrap();
    let analyzers: Vec<Box<dyn Analyzer>> = vec![Box::new(PathAnalyzer { beside })];
    let inventory = build_inventory(&image, &analyzers, &options, &|_| {}).unwrap();
    assert!(inventory.diagnostics.is_empty(), "{:?}", inventory.diagnostics);
    let mut got = BTreeMap::new();
    for p in inventory.packages {
        let layer = p.layer.as_ref().expect("every package is attributed to a layer");
        assert_eq!(layer.created_by.as_deref(), Some(format!("layer {}", layer.index).as_str()));
        assert_eq!(p.location(), format!("/{}", p.name));
        let previous = got.insert(p.name.to_string(), (p.version.to_string(), layer.index));
        assert!(previous.is_none(), "{} listed twice", p.name);
    }
    got
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn merge_matches_the_model(
        raw in proptest::collection::vec(proptest::collection::vec(op(), 0..8), 1..6),
    ) {
        let layers: Vec<LayerOps> = raw.into_iter().map(LayerOps::from_ops).collect();
        prop_assert_eq!(pipeline(&layers), model(&layers));
    }
}

fn layer(ops: &[Op]) -> LayerOps {
    LayerOps::from_ops(ops.to_vec())
}

fn expect(entries: &[(&str, &str, usize)]) -> BTreeMap<String, (String, usize)> {
    entries.iter().map(|(p, c, l)| ((*p).to_owned(), ((*c).to_owned(), *l))).collect()
}

#[test]
fn rewrites_deletions_and_recreations_are_attributed_as_specified() {
    // FILES: 0 a/x, 1 a/y, 2 a/b/x, 4 c/x, 7 top; DIRS (whiteout index FILES.len() + i): 0 a, 2 c.
    let layers = [
        layer(&[Op::Write(0, 0), Op::Write(1, 0), Op::Write(2, 0), Op::Write(4, 0), Op::Write(7, 0)]),
        // Same content again at a/x (attribution stays at layer 0), new content at a/y.
        layer(&[Op::Write(0, 0), Op::Write(1, 1)]),
        // c/ removed wholesale; a/ made opaque but a/b/x written in the same layer survives.
        layer(&[Op::Whiteout(FILES.len() + 2), Op::Opaque(0), Op::Write(2, 0)]),
        // c/x re-created with its old content: attributed to the re-creation.
        layer(&[Op::Write(4, 0), Op::Write(7, 0)]),
    ];
    let want = expect(&[("a/b/x", "1", 2), ("c/x", "1", 3), ("top", "1", 0)]);
    assert_eq!(model(&layers), want);
    assert_eq!(pipeline(&layers), want);
}

#[test]
fn whiteout_and_rewrite_in_one_layer_keep_the_new_file() {
    let layers = [
        layer(&[Op::Write(0, 0), Op::Write(5, 0)]),
        // `.wh.x` and `x` in the same layer: the whiteout hides the lower file only.
        layer(&[Op::Whiteout(0), Op::Write(0, 0), Op::Whiteout(FILES.len() + 2), Op::Write(5, 1)]),
    ];
    let want = expect(&[("a/x", "1", 1), ("c/y", "2", 1)]);
    assert_eq!(model(&layers), want);
    assert_eq!(pipeline(&layers), want);
}
