//! Comparisons per second, per scheme, on real version strings from the fixtures.
//!
//! `cargo bench -p microscanner-version --bench compare`; criterion reports each scheme's
//! throughput in comparisons ("elements") per second.

#![allow(
    missing_docs,
    unreachable_pub,
    clippy::panic,
    clippy::expect_used,
    reason = "bench code: a panic is the failure report"
)]

#[path = "../tests/it/common/mod.rs"]
mod common;

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use microscanner_version::VersionScheme;

fn compare(c: &mut Criterion) {
    let mut group = c.benchmark_group("compare");
    for scheme in VersionScheme::ALL {
        let corpus: Vec<String> = common::corpus(scheme).into_iter().filter(|v| scheme.validate(v).is_ok()).collect();
        let pairs = common::pairs(&corpus, 4096, 7);
        group.throughput(Throughput::Elements(pairs.len() as u64));
        group.bench_function(scheme.name(), |b| {
            b.iter(|| {
                let mut less = 0usize;
                for (x, y) in &pairs {
                    if scheme.compare(black_box(x), black_box(y)).is_ok_and(|o| o.is_lt()) {
                        less += 1;
                    }
                }
                less
            });
        });
    }
    group.finish();
}

criterion_group!(benches, compare);
criterion_main!(benches);
