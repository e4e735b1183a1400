//! Reading the largest fixture database of each format, in total and per package.

#![allow(missing_docs, clippy::unwrap_used)]

#[path = "../tests/it/support/bdb_writer.rs"]
mod bdb_writer;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/fixtures");

/// The largest real database of each format in the shared fixtures.
const DATABASES: [(&str, &str); 3] = [
    ("bdb", "pkgdb-go-rpmdb/pkg/testdata/libuuid/Packages"),
    ("ndb", "pkgdb-go-rpmdb/pkg/testdata/sle15-bci/Packages.db"),
    ("sqlite", "pkgdb-go-rpmdb/pkg/testdata/cbl-mariner-2.0/rpmdb.sqlite"),
];

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("rpmdb");
    for (format, rel) in DATABASES {
        let bytes = std::fs::read(format!("{FIXTURES}/{rel}")).unwrap();
        let n = microscanner_rpmdb::read(&bytes).unwrap().packages.len();
        // Throughput in elements = packages: criterion prints packages/s, i.e. time per package.
        group.throughput(Throughput::Elements(n as u64));
        group.bench_function(format!("{format} ({n} packages, {} bytes)", bytes.len()), |b| {
            b.iter(|| microscanner_rpmdb::read(std::hint::black_box(&bytes)).unwrap())
        });
    }
    // The BerkeleyDB fixtures hold one package each: also time a 35-package BerkeleyDB built from
    // the SUSE database's real header blobs (the real rpm reads it the same: tests/synth_bdb.rs).
    let ndb = std::fs::read(format!("{FIXTURES}/{}", DATABASES[1].1)).unwrap();
    let bdb = bdb_writer::write(&microscanner_rpmdb::ndb::read_blobs(&ndb).unwrap().blobs);
    group.throughput(Throughput::Elements(35));
    group.bench_function(format!("bdb-synthetic (35 packages, {} bytes)", bdb.len()), |b| {
        b.iter(|| microscanner_rpmdb::read(std::hint::black_box(&bdb)).unwrap())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
