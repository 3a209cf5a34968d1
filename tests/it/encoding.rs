//! Property tests: any string given as a path, query or header value is either refused with
//! an error, or encoded so that the server receives exactly that value in exactly that place.

use crate::support;

use naftiko::{Capability, Error, PrepareError};
use percent_encoding::percent_decode_str;
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use serde_json::json;
use support::fault_server::{Fault, FaultServer};

const SPEC: &str = r#"
naftiko: 1.0.0-alpha2
capability:
  consumes:
  - type: http
    namespace: t
    baseUri: http://127.0.0.1:9
    resources:
    - name: items
      path: /items/{id}/x
      operations:
      - name: get-item
        method: GET
        inputParameters:
        - {name: id, in: path, type: string}
        - {name: q, in: query, type: string}
        - {name: x-h, in: header, type: string}
"#;

fn capability() -> Capability {
    Capability::from_str_named(SPEC, "encoding.yaml", None).unwrap()
}

fn decoded(s: &str) -> String {
    percent_decode_str(s)
        .decode_utf8()
        .expect("valid UTF-8")
        .into_owned()
}

fn header_refused(v: &str) -> bool {
    v.chars()
        .any(|c| (c.is_control() && c != '\t') || c == '\u{7f}')
        || v.starts_with([' ', '\t'])
        || v.ends_with([' ', '\t'])
}

proptest! {
    // Failures are kept next to this file (encoding.proptest-regressions), as when it was
    // tests/encoding.rs: proptest's default would now find tests/it/main.rs and use
    // tests/proptest-regressions/encoding.txt instead.
    #![proptest_config(ProptestConfig {
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("proptest-regressions"))),
        ..ProptestConfig::with_cases(2000)
    })]

    /// The URL that reqwest will send (it parses the prepared URL with the WHATWG parser)
    /// has the value as exactly one segment and the query value intact.
    #[test]
    fn any_string_stays_one_path_segment_and_one_query_value(value in any::<String>()) {
        let rt = support::runtime(capability(), &[], None);
        match rt.prepare("get-item", json!({"id": value, "q": value})) {
            Err(Error::Prepare(PrepareError::InvalidValue { location: "path", .. })) => {
                prop_assert!(value.is_empty() || value == "." || value == "..");
            }
            Err(e) => prop_assert!(false, "unexpected error: {e}"),
            Ok(req) => {
                let url = reqwest::Url::parse(&req.url()).unwrap();
                let segments: Vec<&str> = url.path_segments().unwrap().collect();
                prop_assert_eq!(segments.len(), 3, "{}", url);
                prop_assert_eq!(segments[0], "items");
                prop_assert_eq!(decoded(segments[1]), value.clone());
                prop_assert_eq!(segments[2], "x");
                let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
                prop_assert_eq!(pairs, vec![("q".to_string(), value.clone())]);
                prop_assert!(url.fragment().is_none());
            }
        }
    }

    #[test]
    fn any_header_value_is_sent_verbatim_or_refused(value in any::<String>()) {
        let rt = support::runtime(capability(), &[], None);
        match rt.prepare("get-item", json!({"id": "1", "x-h": value})) {
            Err(Error::Prepare(PrepareError::InvalidValue { location: "header", .. })) => prop_assert!(header_refused(&value)),
            Err(e) => prop_assert!(false, "unexpected error: {e}"),
            Ok(req) => {
                prop_assert!(!header_refused(&value));
                prop_assert_eq!(req.header("x-h"), Some(value.clone()));
            }
        }
    }
}

/// The same properties end to end: a real server on 127.0.0.1 records what arrives.
#[test]
fn the_server_receives_exactly_the_value_in_exactly_its_place() {
    let tokio = tokio::runtime::Runtime::new().unwrap();
    let server = tokio.block_on(FaultServer::start(|_| Fault::json(200, json!({}))));
    let rt = support::builder(capability(), &[], Some(("t", &server.uri())))
        .retry(naftiko::RetryPolicy::none())
        .build()
        .unwrap();
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(300));
    let strategy = (any::<String>(), any::<String>(), any::<String>());
    runner
        .run(&strategy, |(path_value, header_value, query_value)| {
            let args = json!({"id": path_value, "q": query_value, "x-h": header_value});
            let before = server.requests().len();
            let outcome = tokio.block_on(rt.call("get-item", args));
            match outcome {
                Err(Error::Prepare(PrepareError::InvalidValue { .. })) => {
                    prop_assert!(
                        matches!(path_value.as_str(), "" | "." | "..")
                            || header_refused(&header_value)
                    );
                    prop_assert_eq!(server.requests().len(), before);
                }
                Err(e) => prop_assert!(false, "unexpected error: {e}"),
                Ok(_) => {
                    let got = server.requests().pop().unwrap();
                    let (path, query) = got.target.split_once('?').unwrap_or((&got.target, ""));
                    let segments: Vec<&str> = path.split('/').collect();
                    prop_assert_eq!(segments.len(), 4, "{}", got.target);
                    prop_assert_eq!(decoded(segments[2]), path_value);
                    prop_assert_eq!(decoded(query.strip_prefix("q=").unwrap()), query_value);
                    prop_assert_eq!(got.header("x-h"), Some(header_value.as_str()));
                }
            }
            Ok(())
        })
        .unwrap();
}

/// A capability whose resource path, operation path and appended parameter are given.
fn joined(resource: &str, op_path: Option<&str>, appended: bool) -> Capability {
    let op_path = op_path
        .map(|p| format!("        path: '{p}'\n"))
        .unwrap_or_default();
    let param = if appended {
        "        inputParameters:\n        - {name: id, in: path, type: string}\n"
    } else {
        ""
    };
    let spec = format!(
        "naftiko: 1.0.0-alpha2\ncapability:\n  consumes:\n  - type: http\n    namespace: t\n    baseUri: http://127.0.0.1:9/api/\n    resources:\n    - name: r\n      path: '{resource}'\n      operations:\n      - name: op\n        method: GET\n{op_path}{param}"
    );
    Capability::from_str_named(&spec, "joined.yaml", None).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig {
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("proptest-regressions"))),
        ..ProptestConfig::with_cases(500)
    })]

    /// However the resource path, the operation's own path and an appended path parameter
    /// meet (each with or without a slash at the join), the URL has no empty segment and
    /// keeps every written segment in order.
    #[test]
    fn path_joins_never_double_a_slash(
        resource in proptest::collection::vec("[a-z]{1,5}", 1..4),
        trailing in any::<bool>(),
        op_path in proptest::option::of(("[a-z]{1,5}", any::<bool>())),
        appended in any::<bool>(),
    ) {
        let mut res = format!("/{}", resource.join("/"));
        if trailing {
            res.push('/');
        }
        let op = op_path.as_ref().map(|(seg, lead)| if *lead { format!("/{seg}") } else { seg.clone() });
        let rt = support::runtime(joined(&res, op.as_deref(), appended), &[], None);
        let args = if appended { json!({"id": "5"}) } else { json!({}) };
        let req = rt.prepare("op", args).unwrap();
        let url = reqwest::Url::parse(&req.url()).unwrap();
        let mut want: Vec<String> = std::iter::once("api".to_string()).chain(resource.iter().cloned()).collect();
        if let Some((seg, _)) = &op_path {
            want.push(seg.clone());
        }
        if appended {
            want.push("5".into());
        }
        let got: Vec<&str> = url.path_segments().unwrap().collect();
        // A trailing slash the capability wrote and nothing follows stays (`/items/`).
        let ends_open = trailing && op_path.is_none() && !appended;
        let got_segments: Vec<&str> = if ends_open { got[..got.len() - 1].to_vec() } else { got.clone() };
        prop_assert!(!got_segments.contains(&""), "{}", url);
        prop_assert_eq!(got_segments, want.iter().map(String::as_str).collect::<Vec<_>>(), "{}", url);
        if ends_open {
            prop_assert_eq!(got.last(), Some(&""), "{}", url);
        }
    }
}

/// Found by a new user: `path: /datasource/` with an unplaced `id` went to `/datasource//5`.
#[test]
fn an_appended_path_parameter_after_a_trailing_slash_is_one_segment() {
    let cap =
        Capability::from_path("tests/fixtures/corpus/alation__data-intelligence.yaml").unwrap();
    let op = cap.operation("get-datasource").unwrap();
    assert_eq!(op.path_template(), "/datasource/{id}");
    assert_eq!(op.appended_path_params(), ["id"]);
    let env = [("ALATION_HOST", "alation.test"), ("ALATION_TOKEN", "t0ken")];
    let rt = support::runtime(cap, &env, None);
    let req = rt.prepare("get-datasource", json!({"id": 5})).unwrap();
    assert!(req.url().ends_with("/datasource/5"), "{}", req.url());
}
