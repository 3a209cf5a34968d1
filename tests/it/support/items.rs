//! The capability the resilience, secrets and load tests run against a fault server:
//! `ns.list_items` (GET /items, optional integer query `n`) and `ns.create_item`
//! (POST /items, optional JSON body), authenticated as `auth` says.

use naftiko::{Capability, RuntimeBuilder};

/// The capability's YAML; `auth` is the consumer's authentication block, written at the
/// consumer's indentation (4 spaces), e.g. `"    auth:\n      type: bearer\n      token: '{{T}}'\n"`.
pub fn yaml(auth: &str) -> String {
    format!(
        r#"naftiko: 1.0.0-alpha2
info:
  label: Items test
capability:
  consumes:
  - type: http
    namespace: ns
    baseUri: https://api.example.invalid
    resources:
    - name: items
      path: /items
      operations:
      - name: list_items
        method: GET
        outputRawFormat: json
        outputParameters:
        - name: result
          type: object
          value: $.
        inputParameters:
        - name: n
          in: query
          type: integer
          required: false
      - name: create_item
        method: POST
        outputRawFormat: json
        outputParameters:
        - name: result
          type: object
          value: $.
        inputParameters:
        - name: body
          in: body
          type: object
          required: false
{auth}"#
    )
}

/// The API key in `TEST_KEY`, sent `in` a header, the query or a cookie as `name`.
pub fn api_key_auth(placement: &str, name: &str) -> String {
    format!("    auth:\n      type: apiKey\n      in: {placement}\n      name: {name}\n      valueFrom:\n        env: TEST_KEY\n")
}

/// The capability, loaded.
pub fn capability(auth: &str) -> Capability {
    Capability::from_str_named(&yaml(auth), "test.yaml", None).expect("the test capability loads")
}

/// The runtime builder for `capability(auth)`: the key `TEST_KEY` is `key`, and `ns` is sent
/// to `uri` (a fault server).
pub fn builder(auth: &str, key: &str, uri: &str) -> RuntimeBuilder {
    super::builder(capability(auth), &[("TEST_KEY", key)], Some(("ns", uri)))
}
