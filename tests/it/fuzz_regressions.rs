//! Inputs the fuzz targets (`fuzz/`, see fuzz/README.md) found, kept as plain tests so they
//! stay fixed without a fuzzer. Each test is named after the behaviour it pins down.

use naftiko::{Capability, PreparedRequest, Runtime};

use crate::support;
use serde_json::{json, Value};

/// A base64-like key with the characters that percent-encoding and JSON escaping change.
const KEY: &str = "sk_fuzz+SECRET/0xDEAD=BEEF\"\\";

/// Every form in which the key must not appear: as is, percent-encoded (query, form, path,
/// cookie) and JSON-escaped.
const FORMS: &[&str] = &[
    "sk_fuzz+SECRET/0xDEAD=BEEF\"\\",
    "sk_fuzz%2BSECRET%2F0xDEAD%3DBEEF%22%5C",
    "sk_fuzz+SECRET/0xDEAD=BEEF%22%5C",
    "sk_fuzz+SECRET/0xDEAD=BEEF\\\"\\\\",
    // Any fragment that only the key contains.
    "0xDEAD",
];

/// Every public way of showing a prepared request.
fn outputs(req: &PreparedRequest) -> Vec<(&'static str, String)> {
    vec![
        ("serde_json", serde_json::to_string(req).unwrap()),
        ("to_curl", req.to_curl()),
        ("Debug", format!("{req:?}")),
        ("url", req.url()),
        ("headers", format!("{:?}", req.headers())),
        ("body", req.body().to_string()),
    ]
}

fn assert_no_key(op: &str, args: Value, yaml: &str) {
    let cap = Capability::from_str_named(yaml, "fuzz-regression.yaml", None).unwrap();
    let rt = support::runtime(cap, &[("FUZZ_KEY", KEY)], None);
    for req in [
        rt.prepare(op, args.clone()).unwrap(),
        rt.dry_run(op, args.clone()).unwrap(),
    ] {
        for (what, text) in outputs(&req) {
            for form in FORMS {
                assert!(
                    !text.contains(form),
                    "{op}: the key leaks in {what} as {form:?}: {text}"
                );
            }
        }
    }
}

const HEAD: &str = "naftiko: 1.0.0-alpha2
binds:
- namespace: env
  keys:
    FUZZ_KEY: FUZZ_KEY
capability:
  consumes:
";

/// Found by `prepare_args` (first minutes of the first run): an API key placed in a JSON body
/// was JSON-escaped by `to_curl` before redaction, so a key with `"` or `\` was printed
/// (escaped) in the `--data-raw` argument.
#[test]
fn curl_never_prints_a_json_escaped_key_from_the_body() {
    let yaml = format!(
        "{HEAD}  - type: http
    namespace: rpc
    baseUri: https://k.example.com
    authentication:
      type: apikey
      key: apiKey
      value: '{{{{FUZZ_KEY}}}}'
      placement: body
    resources:
    - name: rpc
      path: /rpc
      operations:
      - name: call
        method: POST
"
    );
    assert_no_key("call", json!({}), &yaml);
}

/// Same class, in a body template: a key inside a JSON string of a `body:` template.
#[test]
fn curl_never_prints_a_json_escaped_key_from_a_body_template() {
    let yaml = format!(
        "{HEAD}  - type: http
    namespace: items
    baseUri: https://api.example.com
    resources:
    - name: items
      path: /items
      operations:
      - name: create
        method: POST
        inputParameters:
        - name: name
          in: body
        body: '{{\"name\": \"{{{{name}}}}\", \"auth\": \"key {{{{FUZZ_KEY}}}}!\"}}'
"
    );
    assert_no_key("create", json!({"name": "n"}), &yaml);
}

/// A key filled into a query parameter by a `value:` template was percent-encoded after
/// rendering, and only the raw form was redacted: `url()`, `to_curl()` and the serialized
/// request showed `sk_fuzz%2BSECRET%2F…`.
#[test]
fn a_key_in_a_query_parameter_template_is_redacted_in_its_encoded_form() {
    let yaml = format!(
        "{HEAD}  - type: http
    namespace: items
    baseUri: https://api.example.com
    resources:
    - name: items
      path: /items
      operations:
      - name: list
        inputParameters:
        - name: signature
          in: query
          value: 'sig-{{{{FUZZ_KEY}}}}'
"
    );
    assert_no_key("list", json!({}), &yaml);
}

/// Same for a cookie parameter (cookie-octet encoding) and a form body field.
#[test]
fn a_key_in_a_cookie_or_form_field_is_redacted_in_its_encoded_form() {
    let yaml = format!(
        "{HEAD}  - type: http
    namespace: items
    baseUri: https://api.example.com
    resources:
    - name: items
      path: /items
      operations:
      - name: replace
        method: PUT
        inputParameters:
        - name: auth_cookie
          in: cookie
          value: '{{{{FUZZ_KEY}}}}'
        body:
          type: formUrlEncoded
          data:
            token: 'a {{{{FUZZ_KEY}}}} b'
"
    );
    assert_no_key("replace", json!({}), &yaml);
}

/// An API key in the query with text around it (`value: 'key {{KEY}}'`): the derived
/// encoded secret was only registered when the whole value was the key.
#[test]
fn a_query_api_key_with_surrounding_text_is_redacted_in_its_encoded_form() {
    let yaml = format!(
        "{HEAD}  - type: http
    namespace: items
    baseUri: https://api.example.com
    authentication:
      type: apikey
      key: api_key
      value: 'key {{{{FUZZ_KEY}}}}'
      placement: query
    resources:
    - name: items
      path: /items
      operations:
      - name: list
"
    );
    assert_no_key("list", json!({}), &yaml);
}

/// The two `prepare_args` crash inputs, replayed against the fuzz target's own capability
/// (`fuzz/fuzz_targets/inline.yaml`) and environment. Decoded from the minimised artifacts:
/// * `ff 7f` (2 bytes, found after ~115 executions): `bodykey.call` with `{}` — the body API
///   key, JSON-escaped in `to_curl`'s `--data-raw`;
/// * `5d 00 9e fe f7 2b 09 31 ff 82` (10 bytes, ~16 700 executions, with the `to_curl` check
///   disabled to look past the first bug): `basic.get-item` with `{"item_id": true}` — the
///   `auth_cookie` parameter (`value: '{{FUZZ_B64}}'`), cookie-encoded as
///   `sk_fuzz+SECRET/0xDEAD=BEEF%22%5C` in the `cookie` header.
#[test]
fn fuzz_inputs_for_the_inline_capability_leak_no_key() {
    let cap = Capability::from_str_named(
        include_str!("../../fuzz/fuzz_targets/inline.yaml"),
        "inline.yaml",
        None,
    )
    .unwrap();
    let rt = support::runtime(
        cap,
        &[
            ("FUZZ_KEY", "sk_fuzz_SECRET_0xDEADBEEF"),
            ("FUZZ_B64", KEY),
            ("FUZZ_USER", "fuzz-user-0xDEADBEEF"),
        ],
        None,
    );
    for (op, args) in [
        ("bodykey.call", json!({})),
        ("basic.get-item", json!({"item_id": true})),
        // The schemes that sign per attempt render their credentials at prepare too.
        ("oauth2.get-thing", json!({"thing": "t"})),
        ("digest.find", json!({"q": "x"})),
        ("mtls.add-note", json!({})),
        (
            "oauth1rsa.pay",
            json!({"payment": "p", "q": "a b", "body": {"x": 1}}),
        ),
        ("oauth1hmac.submit", json!({"q": "1", "title": "t"})),
        ("veracode.list-apps", json!({"name": "n"})),
        ("aws.get-api", json!({"api": "a", "position": "2"})),
        ("aws.put-api", json!({"api": "a", "body": "b"})),
    ] {
        // The dry run adds the signers' preview headers.
        for req in [rt.prepare(op, args.clone()), rt.dry_run(op, args)] {
            let req = req.unwrap();
            for (what, text) in outputs(&req) {
                for form in FORMS {
                    assert!(
                        !text.contains(form),
                        "{op}: the key leaks in {what} as {form:?}: {text}"
                    );
                }
            }
        }
    }
}

/// The fuzz target's capability loads without errors, with the 16 operations its harness
/// expects (it panics otherwise, before fuzzing anything), every scheme callable.
#[test]
fn the_fuzz_capability_loads_with_every_scheme_callable() {
    let cap = Capability::from_str_named(
        include_str!("../../fuzz/fuzz_targets/inline.yaml"),
        "inline.yaml",
        None,
    )
    .unwrap();
    let problems: Vec<String> = (cap.diagnostics().iter())
        .filter(|d| {
            d.severity == naftiko::Severity::Error || d.message.contains("cannot be called")
        })
        .map(|d| d.to_string())
        .collect();
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(cap.operations().len(), 16);
}

/// Found by `load_spec` with a URL check (a dry-run URL must parse and serialize back
/// unchanged), from the upstream example `register.capability.yml` (`path: "users/me"` under
/// `baseUri: ".../1.0.0"`): a path without a leading `/` was glued to the base URI, giving
/// `…/1.0.0users/me` — or `http://localhost:8080users/me`, which does not parse at all.
#[test]
fn a_path_without_a_leading_slash_is_joined_with_one() {
    let yaml = "naftiko: 1.0.0-alpha2
capability:
  consumes:
  - type: http
    namespace: notion
    baseUri: http://host.docker.internal:8080/rest/Notion+API/1.0.0
    resources:
    - name: users
      path: users/me
      operations:
      - name: get-my-user
        method: GET
  - type: http
    namespace: local
    baseUri: http://localhost:8080
    resources:
    - name: users
      path: api/users
      operations:
      - name: list-users
";
    let cap = Capability::from_str_named(yaml, "fuzz-regression.yaml", None).unwrap();
    assert!(cap
        .diagnostics()
        .iter()
        .any(|d| d.message.contains("does not start with `/`")));
    let rt = Runtime::builder(cap).build().unwrap();
    let req = rt.dry_run("get-my-user", json!({})).unwrap();
    assert_eq!(
        req.url(),
        "http://host.docker.internal:8080/rest/Notion+API/1.0.0/users/me"
    );
    let req = rt.dry_run("list-users", json!({})).unwrap();
    assert_eq!(req.url(), "http://localhost:8080/api/users");
}

/// The same gap let an argument extend the host: with `path: '{{sub}}'`, the value
/// `.evil.example` made `https://api.example.com.evil.example`, which would have received the
/// API key.
#[test]
fn a_leading_path_argument_cannot_extend_the_host() {
    let yaml = "naftiko: 1.0.0-alpha2
capability:
  consumes:
  - type: http
    namespace: api
    baseUri: https://api.example.com
    authentication:
      type: apikey
      key: x-api-key
      value: '{{API_KEY}}'
      placement: header
    resources:
    - name: things
      path: '{{sub}}'
      operations:
      - name: get
        inputParameters:
        - name: sub
          in: path
";
    let cap = Capability::from_str_named(yaml, "fuzz-regression.yaml", None).unwrap();
    let rt = support::runtime(cap, &[("API_KEY", "k")], None);
    let req = rt.prepare("get", json!({"sub": ".evil.example"})).unwrap();
    assert_eq!(req.url(), "https://api.example.com/.evil.example");
    let url = reqwest::Url::parse(&req.url()).unwrap();
    assert_eq!(url.host_str(), Some("api.example.com"));
}

/// Found the same way: `baseUri: "https:/k/mocs.naftiko.net/..."` (one slash) was accepted;
/// URL parsers read it as host `k`, so the request would not go where the dry run showed.
#[test]
fn a_base_uri_without_the_double_slash_is_refused() {
    let yaml = "naftiko: 1.0.0-alpha2
capability:
  consumes:
  - type: http
    namespace: api
    baseUri: https:/k/mocks.naftiko.net/rest
    resources:
    - name: things
      path: /things
      operations:
      - name: list
";
    let message = match Capability::from_str_named(yaml, "fuzz-regression.yaml", None) {
        Err(e) => e.to_string(),
        Ok(cap) => match Runtime::builder(cap).build() {
            Err(e) => e.to_string(),
            Ok(rt) => rt.dry_run("list", json!({})).unwrap_err().to_string(),
        },
    };
    assert!(message.contains("must start with `https://`"), "{message}");
}

/// Found the same way: a base URI with a fragment or a query (`https://api.factset.co#/wealth`,
/// `https://api.the?ovi%db.org/3`) was only a strict-mode deviation, yet the operation path
/// was appended after the `#` (never sent) or inside the query.
#[test]
fn a_base_uri_with_a_query_or_fragment_is_refused() {
    for base in [
        "https://api.factset.co#/wealth/v3",
        "https://api.example.org/3?v=1",
    ] {
        let yaml = format!(
            "naftiko: 1.0.0-alpha2
capability:
  consumes:
  - type: http
    namespace: api
    baseUri: '{base}'
    resources:
    - name: things
      path: /things
      operations:
      - name: list
"
        );
        let cap = Capability::from_str_named(&yaml, "fuzz-regression.yaml", None).unwrap();
        let rt = Runtime::builder(cap).build().unwrap();
        let message = rt.dry_run("list", json!({})).unwrap_err().to_string();
        assert!(
            message.contains("must not have a query (`?`) or fragment (`#`)"),
            "{message}"
        );
    }
}
