//! Database benchmarks over the real fixture feeds: build time and file size for all of them,
//! and (ecosystem, name) lookups per second.
//!
//! `cargo bench -p microscanner-feeds --bench db` (also run by `bench/db-bench.sh`).
#![allow(clippy::unwrap_used, clippy::print_stdout, missing_docs)] // a benchmark reports on stdout

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use microscanner_feeds::build::{BuildOptions, NoProgress, build, collect_inputs};
use microscanner_vulndb::Database;

fn bench_db(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("microscanner-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let target = dir.join("bench.db");
    let inputs = collect_inputs(&microscanner_testkit::fixture_feed_paths()).unwrap();

    // Build: a few timed runs (each is seconds long; criterion's minimum of 10 samples is too slow
    // for a 2-core CI machine), reporting the best and the median.
    let mut times = Vec::new();
    let mut report = None;
    for _ in 0..3 {
        let t = Instant::now();
        report = Some(build(&target, &inputs, &BuildOptions::default(), &NoProgress).unwrap());
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    let report = report.unwrap();
    let size = std::fs::metadata(&target).unwrap().len();
    let osv: u64 = report.sources.iter().filter(|s| s.kind == "osv").map(|s| s.records).sum();
    println!(
        "db build: {} files, {osv} OSV records, {} advisories, {} affected entries: best {:.2} s, median {:.2} s; file {:.1} MiB",
        report.files,
        report.written.advisories,
        report.written.affected,
        times[0],
        times[1],
        size as f64 / (1024.0 * 1024.0)
    );

    // Lookups: every distinct (ecosystem, name) in the database, round robin.
    let db = Database::open(&target).unwrap();
    let conn = rusqlite::Connection::open_with_flags(&target, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let mut stmt = conn.prepare("SELECT DISTINCT ecosystem, name FROM affected").unwrap();
    let keys: Vec<(String, String)> =
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect();
    println!("lookup keys: {} distinct (ecosystem, name) pairs", keys.len());
    let t = Instant::now();
    let mut hits = 0usize;
    for (e, n) in &keys {
        hits += db.affected(e, n).unwrap().len();
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "db lookups: {} lookups ({hits} entries decoded) in {secs:.3} s = {:.0} lookups/s",
        keys.len(),
        keys.len() as f64 / secs
    );

    let mut group = c.benchmark_group("vulndb");
    group.throughput(Throughput::Elements(1));
    let mut i = 0usize;
    group.bench_function("affected(ecosystem, name)", |b| {
        b.iter(|| {
            let (e, n) = &keys[i % keys.len()];
            i += 1;
            black_box(db.affected(e, n).unwrap())
        });
    });
    group.bench_function("affected(miss)", |b| b.iter(|| black_box(db.affected("PyPI", "no-such-package").unwrap())));
    group.bench_function("advisory(id)", |b| b.iter(|| black_box(db.advisory("PYSEC-2023-120").unwrap())));
    group.finish();
    drop(db);
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(3));
    targets = bench_db
}
criterion_main!(benches);
