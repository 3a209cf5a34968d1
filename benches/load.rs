//! Spec load: parse + validate + index of a capability file (BENCHMARKS.md § 1).
//!
//! `cargo bench --bench load`
//!
//! For each file it measures, in the same run:
//! * `parse_yaml`       — `naftiko::__bench::parse_tree` only (YAML text → positioned tree);
//! * `load_str`         — `Capability::from_str_named` (parse + interpret + index, no file I/O);
//! * `load_path`        — `Capability::from_path` (the same plus reading the file);
//! * `serde_json_value` — baseline: `serde_json::from_str::<Value>` of the same document
//!   converted to JSON (what a JSON-only loader with no positions would pay for the tree).
//!
//! interpret = load_str − parse_yaml.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};

const FILES: &[(&str, &str)] = &[
    ("users", "specs/vital/users.yaml"),
    // The largest spec in specs/ (123 KB).
    ("wearables", "specs/vital/wearables.yaml"),
];

fn bench_load(c: &mut Criterion) {
    for (name, path) in FILES {
        let text = std::fs::read_to_string(path).expect("run from the crate root");
        let json = naftiko::__bench::parse_tree(&text)
            .expect("parses")
            .to_json()
            .to_string();
        let mut g = c.benchmark_group(format!("load/{name}"));
        g.bench_function("parse_yaml", |b| {
            b.iter(|| naftiko::__bench::parse_tree(black_box(&text)).unwrap())
        });
        g.bench_function("load_str", |b| {
            b.iter(|| {
                naftiko::Capability::from_str_named(
                    black_box(&text),
                    path,
                    Some(std::path::Path::new("specs/vital")),
                )
                .unwrap()
            })
        });
        g.bench_function("load_path", |b| {
            b.iter(|| naftiko::Capability::from_path(black_box(path)).unwrap())
        });
        g.bench_function("serde_json_value", |b| {
            b.iter(|| serde_json::from_str::<serde_json::Value>(black_box(&json)).unwrap())
        });
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2)).sample_size(50);
    targets = bench_load
}
criterion_main!(benches);
