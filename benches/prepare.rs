//! `Runtime::prepare` for each of the 19 operations of `specs/vital/users.yaml`, with
//! representative arguments (BENCHMARKS.md § 2). Target: ≤ 2 µs median per call.
//!
//! `cargo bench --bench prepare`
//!
//! The timed routine is `rt.prepare(name, args)` and the drop of the returned request (and
//! of the consumed arguments); building the `args` value is not timed (`iter_batched`).

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use serde_json::{json, Value};

const UID: &str = "3fa85f64-5717-4562-b3fc-2c963f66afa6";

/// Every Users operation with the arguments a caller would typically pass.
pub fn cases() -> Vec<(&'static str, Value)> {
    let user_body = json!({"client_user_id": "client-user-42", "fallback_time_zone": "Europe/London", "fallback_birth_date": "1990-01-01"});
    vec![
        (
            "get_teams_users_v2_user_get",
            json!({"offset": 0, "limit": 100}),
        ),
        ("create_user_v2_user_post", json!({"body": user_body})),
        (
            "deregister_provider_v2_user__user_id___provider__delete",
            json!({"user_id": UID, "provider": "oura"}),
        ),
        (
            "patch_user_v2_user__user_id__patch",
            json!({"user_id": UID, "body": {"fallback_time_zone": "Europe/Paris"}}),
        ),
        (
            "delete_user_v2_user__user_id__delete",
            json!({"user_id": UID}),
        ),
        ("get_user_v2_user__user_id__get", json!({"user_id": UID})),
        ("get_teams_metrics_v2_user_metrics_get", json!({})),
        (
            "get_connected_providers_v2_user_providers__user_id__get",
            json!({"user_id": UID}),
        ),
        (
            "get_user_demographcis_v2_user__user_id__info_latest_get",
            json!({"user_id": UID}),
        ),
        (
            "create_insurance_v2_user__user_id__insurance_post",
            json!({"user_id": UID, "body": {"payor_code": "AETNA", "member_id": "W123456789", "relationship": "Self", "is_primary": true,
                   "insured": {"first_name": "Ada", "last_name": "Lovelace", "gender": "female", "dob": "1990-01-01"}}}),
        ),
        (
            "get_latest_insurance_v2_user__user_id__insurance_latest_get",
            json!({"user_id": UID, "is_primary": true}),
        ),
        (
            "create_user_demographics_v2_user__user_id__info_patch",
            json!({"user_id": UID, "body": {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "phone_number": "+15555550100"}}),
        ),
        (
            "get_user_by_client_user_id_v2_user_resolve__client_user_id__get",
            json!({"client_user_id": "client-user-42"}),
        ),
        (
            "undo_user_delete_v2_user_undo_delete_post",
            json!({"user_id": UID}),
        ),
        (
            "refresh_user_id_v2_user_refresh__user_id__post",
            json!({"user_id": UID, "timeout": 10}),
        ),
        (
            "get_user_devices_v2_user__user_id__device_get",
            json!({"user_id": UID}),
        ),
        (
            "get_user_device_v2_user__user_id__device__device_id__get",
            json!({"user_id": UID, "device_id": "dev-1"}),
        ),
        (
            "get_user_sign_in_token_v2_user__user_id__sign_in_token_post",
            json!({"user_id": UID}),
        ),
        (
            "create_user_portal_url_v2_user__user_id__create_portal_url_post",
            json!({"user_id": UID, "body": {"context": "connect", "order_id": "ord-1"}}),
        ),
    ]
}

fn bench_prepare(c: &mut Criterion) {
    let cap =
        naftiko::Capability::from_path("specs/vital/users.yaml").expect("run from the crate root");
    let rt = naftiko::Runtime::builder(cap)
        .env([("VITAL_API_KEY", "sk_bench")])
        .build()
        .unwrap();
    let cases = cases();
    assert_eq!(cases.len(), 19, "one case per Users operation");
    assert_eq!(rt.capability().operations().len(), 19);
    let mut g = c.benchmark_group("prepare");
    for (op, args) in &cases {
        rt.prepare(op, args.clone())
            .unwrap_or_else(|e| panic!("{op}: {e}"));
        g.bench_function(*op, |b| {
            b.iter_batched(
                || args.clone(),
                |a| {
                    let r = rt.prepare(black_box(op), a).unwrap();
                    black_box(&r);
                },
                BatchSize::SmallInput,
            )
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_millis(300)).measurement_time(Duration::from_secs(1)).sample_size(50);
    targets = bench_prepare
}
criterion_main!(benches);
