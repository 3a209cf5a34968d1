//! Output mapping on large responses (BENCHMARKS.md § 3): decoding a Junction-shaped
//! `PaginatedUsersResponse` of 1 MB and 10 MB and applying `$.` and `$.users[*].user_id`,
//! compared in the same run with plain `serde_json::from_slice::<Value>` of the same bytes.
//! Target: ≤ 1.2× the baseline.
//!
//! `cargo bench --bench map`
//!
//! Measured, each against the same bytes:
//! * `from_slice` — the baseline, `serde_json::from_slice::<Value>`;
//! * `map_response_root` / `map_response_ids` — `Operation::map_response(&bytes)`, the decode +
//!   map step `Runtime::call` runs: `get_teams_users_v2_user_get` of `specs/vital/users.yaml`
//!   (`result: $.`) and a one-operation capability whose output is `$.users[*].user_id`;
//! * `decode+extract_*` — `from_slice` + the public `naftiko::Query::extract` (which
//!   clones what it selects, the whole body for `$.`);
//! * `extract_*_only` — the extraction alone on an already decoded value.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use naftiko::Query;
use serde_json::Value;

#[path = "support/data.rs"]
mod data;
use data::{paginated_users, IDS_SPEC};

fn bench_map(c: &mut Criterion) {
    let users =
        naftiko::Capability::from_path("specs/vital/users.yaml").expect("run from the crate root");
    let op_root = users.operation("get_teams_users_v2_user_get").unwrap();
    let ids_cap = naftiko::Capability::from_str_named(IDS_SPEC, "ids.yaml", None).unwrap();
    let op_ids = ids_cap.operation("user_ids").unwrap();
    let root = Query::compile("$.").unwrap();
    let ids = Query::compile("$.users[*].user_id").unwrap();
    for (label, bytes) in [("1MB", 1 << 20), ("10MB", 10 << 20)] {
        let body = paginated_users(bytes);
        let decoded: Value = serde_json::from_slice(&body).unwrap();
        let n_users = decoded["users"].as_array().unwrap().len();
        assert_eq!(ids.extract(&decoded).as_array().unwrap().len(), n_users);
        assert_eq!(op_root.map_response(&body).unwrap()["result"], decoded);
        assert_eq!(
            op_ids.map_response(&body).unwrap()["ids"]
                .as_array()
                .unwrap()
                .len(),
            n_users
        );
        let mut g = c.benchmark_group(format!("map/{label}"));
        g.throughput(Throughput::Bytes(body.len() as u64));
        if bytes > 2 << 20 {
            g.sample_size(10).measurement_time(Duration::from_secs(4));
        } else {
            g.sample_size(20).measurement_time(Duration::from_secs(3));
        }
        // Baseline: what any client has to do to get a serde_json::Value.
        g.bench_function("from_slice", |b| {
            b.iter(|| serde_json::from_slice::<Value>(black_box(&body)).unwrap())
        });
        g.bench_function("map_response_root", |b| {
            b.iter(|| op_root.map_response(black_box(&body)).unwrap())
        });
        g.bench_function("map_response_ids", |b| {
            b.iter(|| op_ids.map_response(black_box(&body)).unwrap())
        });
        g.bench_function("decode+extract_root", |b| {
            b.iter(|| {
                let v: Value = serde_json::from_slice(black_box(&body)).unwrap();
                root.extract(&v)
            })
        });
        g.bench_function("decode+extract_ids", |b| {
            b.iter(|| {
                let v: Value = serde_json::from_slice(black_box(&body)).unwrap();
                ids.extract(&v)
            })
        });
        g.bench_function("extract_root_only", |b| {
            b.iter(|| root.extract(black_box(&decoded)))
        });
        g.bench_function("extract_ids_only", |b| {
            b.iter(|| ids.extract(black_box(&decoded)))
        });
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_millis(500));
    targets = bench_map
}
criterion_main!(benches);
