//! Test data shared by the `map` bench and the profile binary (tools/loadgen).
#![allow(dead_code)]

use serde_json::Value;

/// A `PaginatedUsersResponse` (`{"users": [ClientFacingUser…], "total", "offset", "limit"}`)
/// of at least `min_bytes`, built from `tools/peers/user.json` with distinct ids.
pub fn paginated_users(min_bytes: usize) -> Vec<u8> {
    let user: Value = serde_json::from_str(include_str!("../../tools/peers/user.json")).unwrap();
    let mut users = Vec::new();
    let mut size = 64;
    let mut i: u64 = 0;
    while size < min_bytes {
        let mut u = user.clone();
        u["user_id"] = Value::String(format!("{:08x}-5717-4562-b3fc-{:012x}", i, i * 7919));
        u["client_user_id"] = Value::String(format!("client-user-{i}"));
        size += serde_json::to_vec(&u).unwrap().len() + 1;
        users.push(u);
        i += 1;
    }
    let n = users.len();
    serde_json::to_vec(&serde_json::json!({"users": users, "total": n, "offset": 0, "limit": n}))
        .unwrap()
}

/// A one-operation capability whose output is `$.users[*].user_id`.
pub const IDS_SPEC: &str = r#"
naftiko: 1.0.0-alpha2
info:
  label: map bench
capability:
  consumes:
  - type: http
    namespace: bench
    baseUri: http://127.0.0.1:9
    resources:
    - name: v2-user
      path: /v2/user
      operations:
      - name: user_ids
        method: GET
        outputRawFormat: json
        outputParameters:
        - name: ids
          type: array
          value: $.users[*].user_id
"#;
