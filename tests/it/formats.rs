//! Response formats over real HTTP on 127.0.0.1 (wiremock): each upstream formats fixture
//! loads, its sample document is served with its content type, the consumed operation is
//! called with `Runtime::call`, and the fixture's own expose mapping finds what upstream's
//! matching test asserts.

use naftiko::{Capability, Query, Runtime};
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const FORMATS: &str = "tests/fixtures/naftiko/test-resources/formats";
const SAMPLES: &str = "tests/fixtures/naftiko/test-resources/schemas";

async fn serve(route: &str, sample: &str, content_type: &str) -> MockServer {
    let server = MockServer::start().await;
    let body = std::fs::read(format!("{SAMPLES}/{sample}")).expect("sample document");
    Mock::given(method("GET"))
        .and(path(route))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, content_type))
        .mount(&server)
        .await;
    server
}

async fn call(cap: Capability, namespace: &str, op: &str, server: &MockServer) -> Value {
    let rt = Runtime::builder(cap)
        .base_uri(namespace, server.uri())
        .build()
        .expect("runtime");
    rt.call(op, json!({})).await.expect("call")
}

fn users(list: &Value) -> Vec<(String, String, String)> {
    list.as_array()
        .expect("an array of users")
        .iter()
        .map(|u| {
            let f = |k: &str| u[k].as_str().unwrap_or("<not a string>").to_string();
            (f("id"), f("name"), f("email"))
        })
        .collect()
}

fn three_users() -> Vec<(String, String, String)> {
    [
        ("1", "Alice Smith", "alice@example.com"),
        ("2", "Bob Johnson", "bob@example.com"),
        ("3", "Carol White", "carol@example.com"),
    ]
    .map(|(a, b, c)| (a.into(), b.into(), c.into()))
    .to_vec()
}

/// xml, yaml and csv fixtures: (fixture, namespace, path, sample, content type, mapping).
#[tokio::test]
async fn each_upstream_formats_fixture_decodes_its_sample_and_maps_the_three_users() {
    for (fixture, ns, route, sample, ct, mapping) in [
        (
            "xml",
            "mock-xml",
            "/api/users",
            "sample-users.xml",
            "application/xml",
            "$.user",
        ),
        (
            "yaml",
            "mock-yaml",
            "/api/users",
            "sample-users.yaml",
            "application/yaml",
            "$.users",
        ),
        (
            "csv",
            "mock-csv",
            "/api/users",
            "sample-users.csv",
            "text/csv",
            "$",
        ),
    ] {
        let cap = Capability::from_path(format!("{FORMATS}/{fixture}-capability.yaml"))
            .unwrap_or_else(|e| panic!("{fixture}: {e}"));
        let op = cap.operations()[0].qualified_name();
        assert_eq!(cap.operations()[0].response_format().as_str(), fixture);
        let server = serve(route, sample, ct).await;
        let body = call(cap, ns, &op, &server).await;
        let list = Query::compile(mapping).expect("mapping").extract(&body);
        assert_eq!(users(&list), three_users(), "{fixture}: {body}");
    }
}

/// Upstream's xml fixture maps `$.root.user`; the root element is dropped (its own engine
/// never matches that path either), and we do not special-case it.
#[tokio::test]
async fn the_xml_root_element_is_dropped_so_upstreams_root_user_mapping_finds_nothing() {
    let cap = Capability::from_path(format!("{FORMATS}/xml-capability.yaml")).unwrap();
    let server = serve("/api/users", "sample-users.xml", "application/xml").await;
    let body = call(cap, "mock-xml", "mock-xml.get-users", &server).await;
    assert_eq!(
        Query::compile("$.root.user").unwrap().extract(&body),
        Value::Null
    );
    assert_eq!(body["user"][2]["name"], "Carol White");
}

/// tsv and psv (no upstream fixture: the csv one with the format swapped) decode the same
/// users as csv.
#[tokio::test]
async fn tsv_and_psv_bodies_decode_to_the_same_rows_as_csv() {
    let text = std::fs::read_to_string(format!("{FORMATS}/csv-capability.yaml")).unwrap();
    for (format, sample) in [("tsv", "sample-users.tsv"), ("psv", "sample-users.psv")] {
        let yaml = text.replace(
            "outputRawFormat: \"csv\"",
            &format!("outputRawFormat: \"{format}\""),
        );
        let cap = Capability::from_str_named(&yaml, format!("{format}.yaml"), None).unwrap();
        assert_eq!(cap.operations()[0].response_format().as_str(), format);
        let server = serve("/api/users", sample, "text/plain").await;
        let body = call(cap, "mock-csv", "mock-csv.get-users", &server).await;
        assert_eq!(users(&body), three_users(), "{format}");
    }
}

const LEGACY: &str = r#"
naftiko: 1.0.0-alpha2
capability:
  exposes:
    - type: mcp
      port: 3001
      namespace: tools
      tools:
        - name: list-legacy-vessels
          description: Legacy vessels
          call: legacy.list-vessels
          outputParameters:
            - type: array
              mapping: "$.vessel"
              items:
                type: object
                properties:
                  vesselCode: {type: string, mapping: "$.vesselCode"}
                  tons: {type: integer, mapping: "$.tons"}
  consumes:
    - type: http
      namespace: legacy
      baseUri: http://127.0.0.1:9
      resources:
        - name: vessels
          path: /vessels
          operations:
            - name: list-vessels
              method: GET
              outputRawFormat: xml
"#;

/// A repeated element is an array even when it occurs once, unlike upstream: the tool that
/// calls the operation declares `type: array` at `$.vessel`. Declared numbers are read.
#[tokio::test]
async fn a_lone_xml_element_declared_as_an_array_decodes_as_a_one_element_array() {
    for (xml, want) in [
        (
            "<vessels><vessel><vesselCode>LEGACY-4012</vesselCode><tons>12</tons></vessel></vessels>",
            json!({"vessel": [{"vesselCode": "LEGACY-4012", "tons": 12}]}),
        ),
        (
            "<vessels><vessel><vesselCode>A</vesselCode><tons>x</tons></vessel><vessel><vesselCode>B</vesselCode><tons>3</tons></vessel></vessels>",
            json!({"vessel": [{"vesselCode": "A", "tons": "x"}, {"vesselCode": "B", "tons": 3}]}),
        ),
    ] {
        let cap = Capability::from_str_named(LEGACY, "legacy.yaml", None).unwrap();
        let server = MockServer::start().await;
        Mock::given(path("/vessels"))
            .respond_with(ResponseTemplate::new(200).set_body_raw(xml, "application/xml"))
            .mount(&server)
            .await;
        assert_eq!(call(cap, "legacy", "legacy.list-vessels", &server).await, want);
    }
}

/// Avro and Protobuf load with a note saying they are not decoded, and a call says so.
#[tokio::test]
async fn avro_and_protobuf_fixtures_load_with_a_not_supported_note_and_calls_are_refused() {
    for (fixture, ns, format) in [
        ("avro", "mock-avro", "avro"),
        ("proto", "mock-proto", "protobuf"),
    ] {
        let cap = Capability::from_path(format!("{FORMATS}/{fixture}-capability.yaml")).unwrap();
        assert!(
            cap.diagnostics()
                .iter()
                .any(|d| d.message.contains(&format!("outputRawFormat `{format}`"))),
            "{fixture}: {:?}",
            cap.diagnostics()
        );
        let server = MockServer::start().await;
        let rt = Runtime::builder(cap)
            .base_uri(ns, server.uri())
            .build()
            .unwrap();
        let e = rt
            .call(&format!("{ns}.get-records"), json!({}))
            .await
            .unwrap_err();
        assert!(e.to_string().contains("is not supported"), "{e}");
    }
}

/// A body that is not valid in its declared format is an error naming the operation and
/// the format, not a panic or a silent null.
#[tokio::test]
async fn malformed_bodies_are_errors_naming_the_operation_and_format() {
    for (format, body) in [
        ("xml", "<a><b></a>"),
        ("yaml", "a: [1"),
        ("csv", "a\n\u{0}\"x"),
    ] {
        let yaml = LEGACY.replace(
            "outputRawFormat: xml",
            &format!("outputRawFormat: {format}"),
        );
        let cap = Capability::from_str_named(&yaml, "bad.yaml", None).unwrap();
        let server = MockServer::start().await;
        Mock::given(path("/vessels"))
            .respond_with(ResponseTemplate::new(200).set_body_string(body))
            .mount(&server)
            .await;
        let rt = Runtime::builder(cap)
            .base_uri("legacy", server.uri())
            .build()
            .unwrap();
        match rt.call("legacy.list-vessels", json!({})).await {
            Err(e) => {
                let e = e.to_string();
                assert!(
                    e.contains("legacy.list-vessels") && e.contains(format),
                    "{e}"
                );
            }
            Ok(v) if format == "csv" => assert!(v.is_array(), "{v}"),
            Ok(v) => panic!("{format}: decoded {v}"),
        }
    }
}

#[cfg(all(feature = "markdown", feature = "serve"))]
#[tokio::test(flavor = "multi_thread")]
async fn markdown_front_matter_tables_and_sections_reach_the_rest_adapters_mapping() {
    let server = serve("/api/readme", "sample-readme.md", "text/markdown").await;
    let cap = Capability::from_path(format!("{FORMATS}/markdown-capability.yaml")).unwrap();
    let rt = Runtime::builder(cap)
        .base_uri("mock-markdown", server.uri())
        .build()
        .unwrap();
    let raw = rt.call("get-readme", json!({})).await.unwrap();
    assert_eq!(
        raw["frontMatter"],
        json!({"title": "Product Release Notes", "version": "2.1.0"})
    );
    assert_eq!(raw["sections"][0]["heading"], "Overview");
    assert_eq!(
        raw["sections"][0]["content"],
        "This release introduces table extraction for markdown."
    );
    let base = crate::support::serve_rest(rt, None, Default::default()).await;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let features: Value = reqwest::get(format!("{base}/markdown/features"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        features,
        json!([
            {"feature": "HTML support", "status": "GA"},
            {"feature": "Markdown support", "status": "Beta"}
        ])
    );
}

#[cfg(all(feature = "html", feature = "serve"))]
#[tokio::test(flavor = "multi_thread")]
async fn html_tables_picked_by_the_css_selector_reach_the_rest_adapters_mapping() {
    let server = serve("/api/products", "sample-products.html", "text/html").await;
    let cap = Capability::from_path(format!("{FORMATS}/html-capability.yaml")).unwrap();
    let rt = Runtime::builder(cap)
        .base_uri("mock-html", server.uri())
        .build()
        .unwrap();
    let base = crate::support::serve_rest(rt, None, Default::default()).await;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let products: Value = reqwest::get(format!("{base}/html/products"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        products,
        json!([
            {"name": "Widget", "price": "$42", "stock": "150"},
            {"name": "Gadget", "price": "$99", "stock": "30"}
        ])
    );
}
