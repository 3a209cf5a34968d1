//! The Junction Users API request facts: what the official Python and Node SDKs send for
//! each of the 19 operations (../shared/research/vital-oracles.md §2), as test cases.

use naftiko::{Capability, Runtime};
use serde_json::{json, Value};

/// The user id the SDK oracle used.
pub const U: &str = "3fa85f64-5717-4562-b3fc-2c963f66afa6";
/// The device id the SDK oracle used.
pub const D: &str = "1c6f6e9e-8f4a-4b8e-9a43-0b8f8a1d2e3f";
/// The API key the SDK oracle used.
pub const KEY: &str = "sk_us_oracle_test_key_123";

/// `specs/vital/users.yaml` (tests run from the crate root), the capability of these cases.
pub fn capability() -> Capability {
    Capability::from_path("specs/vital/users.yaml").expect("users.yaml loads")
}

/// The Users capability with the oracle's key, sent to `base` when given (a test server).
pub fn runtime(base: Option<&str>) -> Runtime {
    super::runtime(
        capability(),
        &[("VITAL_API_KEY", KEY)],
        base.map(|uri| ("users", uri)),
    )
}

/// One operation call and the request the official SDKs send for it.
pub struct Case {
    pub op: &'static str,
    pub args: Value,
    pub method: &'static str,
    /// Path and query exactly as sent.
    pub target: String,
    /// The JSON body, or `None` when no body is sent.
    pub body: Option<Value>,
}

fn address() -> Value {
    json!({"first_line": "123 Main St", "second_line": "Apt 4", "country": "US", "zip": "10001", "city": "New York", "state": "NY"})
}

/// The 19 cases, in the order of the oracle table (a table: one entry per operation, hence
/// its length).
pub fn cases() -> Vec<Case> {
    let create = json!({"client_user_id": "client-user-42", "fallback_time_zone": "Europe/London", "fallback_birth_date": "1989-09-12", "ingestion_start": "2024-01-01", "ingestion_end": "2024-12-31"});
    let insurance = json!({"payor_code": "AETNA", "member_id": "M123", "group_id": "G1", "relationship": "Self", "insured": {"first_name": "Ada", "last_name": "Lovelace", "gender": "female", "address": address(), "dob": "1990-01-31", "email": "ada@example.com", "phone_number": "+12125550123"}, "is_primary": true});
    let demographics = json!({"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "phone_number": "+12125550123", "gender": "female", "dob": "1990-01-31", "address": address(), "race": "white_caucasian", "ethnicity": "non_hispanic", "sexual_orientation": "heterosexual_or_straight", "gender_identity": "female"});
    let patch = json!({"fallback_time_zone": "America/Los_Angeles", "fallback_birth_date": "1990-01-31", "ingestion_start": "2024-01-01", "ingestion_end": "2024-12-31", "client_user_id": "client-user-43"});
    let portal = json!({"context": "launch", "order_id": "0a4e8a3c-5f1b-4c2d-9e8f-7a6b5c4d3e2f"});
    vec![
        Case {
            op: "get_teams_users_v2_user_get",
            args: json!({"offset": 0, "limit": 2}),
            method: "GET",
            target: "/v2/user?offset=0&limit=2".into(),
            body: None,
        },
        Case {
            op: "create_user_v2_user_post",
            args: json!({"body": create}),
            method: "POST",
            target: "/v2/user".into(),
            body: Some(create),
        },
        Case {
            op: "get_teams_metrics_v2_user_metrics_get",
            args: json!({}),
            method: "GET",
            target: "/v2/user/metrics".into(),
            body: None,
        },
        Case {
            op: "get_connected_providers_v2_user_providers__user_id__get",
            args: json!({"user_id": U}),
            method: "GET",
            target: format!("/v2/user/providers/{U}"),
            body: None,
        },
        Case {
            op: "get_user_demographcis_v2_user__user_id__info_latest_get",
            args: json!({"user_id": U}),
            method: "GET",
            target: format!("/v2/user/{U}/info/latest"),
            body: None,
        },
        Case {
            op: "create_insurance_v2_user__user_id__insurance_post",
            args: json!({"user_id": U, "body": insurance}),
            method: "POST",
            target: format!("/v2/user/{U}/insurance"),
            body: Some(insurance),
        },
        Case {
            op: "get_latest_insurance_v2_user__user_id__insurance_latest_get",
            args: json!({"user_id": U, "is_primary": false}),
            method: "GET",
            target: format!("/v2/user/{U}/insurance/latest?is_primary=false"),
            body: None,
        },
        Case {
            op: "create_user_demographics_v2_user__user_id__info_patch",
            args: json!({"user_id": U, "body": demographics}),
            method: "PATCH",
            target: format!("/v2/user/{U}/info"),
            body: Some(demographics),
        },
        Case {
            op: "get_user_by_client_user_id_v2_user_resolve__client_user_id__get",
            args: json!({"client_user_id": "client-user-42"}),
            method: "GET",
            target: "/v2/user/resolve/client-user-42".into(),
            body: None,
        },
        Case {
            op: "deregister_provider_v2_user__user_id___provider__delete",
            args: json!({"user_id": U, "provider": "oura"}),
            method: "DELETE",
            target: format!("/v2/user/{U}/oura"),
            body: None,
        },
        Case {
            op: "patch_user_v2_user__user_id__patch",
            args: json!({"user_id": U, "body": patch}),
            method: "PATCH",
            target: format!("/v2/user/{U}"),
            body: Some(patch),
        },
        Case {
            op: "delete_user_v2_user__user_id__delete",
            args: json!({"user_id": U}),
            method: "DELETE",
            target: format!("/v2/user/{U}"),
            body: None,
        },
        Case {
            op: "get_user_v2_user__user_id__get",
            args: json!({"user_id": U}),
            method: "GET",
            target: format!("/v2/user/{U}"),
            body: None,
        },
        Case {
            op: "undo_user_delete_v2_user_undo_delete_post",
            args: json!({"user_id": U}),
            method: "POST",
            target: format!("/v2/user/undo_delete?user_id={U}"),
            body: None,
        },
        Case {
            op: "refresh_user_id_v2_user_refresh__user_id__post",
            args: json!({"user_id": U, "timeout": 30}),
            method: "POST",
            target: format!("/v2/user/refresh/{U}?timeout=30"),
            body: None,
        },
        Case {
            op: "get_user_devices_v2_user__user_id__device_get",
            args: json!({"user_id": U}),
            method: "GET",
            target: format!("/v2/user/{U}/device"),
            body: None,
        },
        Case {
            op: "get_user_device_v2_user__user_id__device__device_id__get",
            args: json!({"user_id": U, "device_id": D}),
            method: "GET",
            target: format!("/v2/user/{U}/device/{D}"),
            body: None,
        },
        Case {
            op: "get_user_sign_in_token_v2_user__user_id__sign_in_token_post",
            args: json!({"user_id": U}),
            method: "POST",
            target: format!("/v2/user/{U}/sign_in_token"),
            body: None,
        },
        Case {
            op: "create_user_portal_url_v2_user__user_id__create_portal_url_post",
            args: json!({"user_id": U, "body": portal}),
            method: "POST",
            target: format!("/v2/user/{U}/create_portal_url"),
            body: Some(portal),
        },
    ]
}
