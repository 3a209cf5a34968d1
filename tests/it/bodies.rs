//! Request bodies (`body: {type, data}`) over real HTTP on 127.0.0.1: wiremock records the
//! bytes and the Content-Type the server receives. Property tests check that no argument
//! value can break out of a json, xml or form body.

use naftiko::{Capability, Runtime};
use proptest::prelude::*;
use serde_json::{json, Value};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

fn capability(body: &str) -> Capability {
    let yaml = format!(
        r#"
naftiko: 1.0.0-alpha2
capability:
  consumes:
    - type: http
      namespace: api
      baseUri: http://127.0.0.1:9
      resources:
        - name: things
          path: /things
          operations:
            - name: send
              method: POST
              outputRawFormat: text
              body:
{body}
"#
    );
    Capability::from_str_named(&yaml, "bodies.yaml", None).expect("loads")
}

fn runtime(body: &str, base: &str) -> Runtime {
    Runtime::builder(capability(body))
        .base_uri("api", base)
        .build()
        .expect("runtime")
}

/// What the server received: (content type, body bytes).
async fn received(body: &str, args: Value) -> (String, Vec<u8>) {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    runtime(body, &server.uri())
        .call("api.send", args)
        .await
        .expect("call");
    let reqs = server.received_requests().await.expect("recorded");
    let req = &reqs[0];
    let ct = req
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (ct, req.body.clone())
}

#[tokio::test]
async fn each_body_kind_sends_its_bytes_with_its_content_type() {
    let nasty = "a\"b<c>&d'e f=g&h\\i\nj";
    for (spec, want_ct, want_body) in [
        (
            "                type: json\n                data: {name: \"{{v}}\", tags: \"{{t}}\", n: 1}",
            "application/json",
            serde_json::to_string(&json!({"name": nasty, "tags": ["x", "y"], "n": 1})).unwrap(),
        ),
        (
            "                type: xml\n                data: \"<q a='{{v}}'>{{v}}</q>\"",
            "application/xml",
            "<q a='a&quot;b&lt;c&gt;&amp;d&apos;e f=g&amp;h\\i\nj'>a&quot;b&lt;c&gt;&amp;d&apos;e f=g&amp;h\\i\nj</q>".to_string(),
        ),
        (
            "                type: sparql\n                data: \"SELECT * WHERE {{ ?s ?p \\\"{{v}}\\\" }}\"",
            "application/sparql-query",
            "SELECT * WHERE {{ ?s ?p \"a\\\"b<c>&d\\'e f=g&h\\\\i\\nj\" }}".to_string(),
        ),
        (
            "                type: formUrlEncoded\n                data: {q: \"{{v}}\", page: 2}",
            "application/x-www-form-urlencoded",
            "q=a%22b%3Cc%3E%26d%27e%20f%3Dg%26h%5Ci%0Aj&page=2".to_string(),
        ),
        (
            "                type: text\n                data: \"hello {{v}}\"",
            "text/plain; charset=utf-8",
            format!("hello {nasty}"),
        ),
    ] {
        let mut args = json!({"v": nasty});
        if spec.contains("{{t}}") {
            args["t"] = json!(["x", "y"]);
        }
        let (ct, body) = received(spec, args).await;
        assert_eq!(ct, want_ct, "{spec}");
        assert_eq!(String::from_utf8(body).unwrap(), want_body, "{spec}");
    }
}

/// A `content-type` the operation declares replaces the body kind's, sent once (not both).
#[tokio::test]
async fn a_declared_content_type_header_is_sent_once_instead_of_the_body_kinds() {
    let yaml = r#"
naftiko: 1.0.0-alpha2
capability:
  consumes:
    - type: http
      namespace: api
      baseUri: http://127.0.0.1:9
      resources:
        - name: things
          path: /things
          operations:
            - name: send
              method: POST
              outputRawFormat: text
              inputParameters:
                - name: Content-Type
                  in: header
                  value: application/vnd.api+json
              body:
                type: json
                data: {a: 1}
"#;
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let cap = Capability::from_str_named(yaml, "ct.yaml", None).unwrap();
    let rt = Runtime::builder(cap)
        .base_uri("api", server.uri())
        .build()
        .unwrap();
    rt.call("api.send", json!({})).await.unwrap();
    let reqs = server.received_requests().await.unwrap();
    let sent: Vec<_> = reqs[0].headers.get_all("content-type").iter().collect();
    assert_eq!(sent, ["application/vnd.api+json"]);
}

#[test]
fn a_value_xml_cannot_carry_is_refused_naming_the_parameter() {
    let rt = runtime(
        "                type: xml\n                data: \"<q>{{v}}</q>\"",
        "http://127.0.0.1:9",
    );
    let e = rt.prepare("api.send", json!({"v": "a\u{0}b"})).unwrap_err();
    let e = e.to_string();
    assert!(e.contains("`v`") && e.contains("U+0000"), "{e}");
}

fn xml_text(body: &str) -> Option<String> {
    // The one element's text, unescaped: a value that broke out would add markup.
    let inner = body.strip_prefix("<q>")?.strip_suffix("</q>")?;
    if inner.contains('<') || inner.contains('>') {
        return None;
    }
    Some(
        inner
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&"),
    )
}

fn form_pairs(body: &str) -> Vec<(String, String)> {
    body.split('&')
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn no_value_breaks_out_of_a_json_body(v in any::<String>()) {
        let rt = runtime("                type: json\n                data: {a: \"x{{v}}\", b: \"{{v}}\"}", "http://127.0.0.1:9");
        let req = rt.prepare("api.send", json!({"v": v})).unwrap();
        prop_assert_eq!(req.body(), json!({"a": format!("x{v}"), "b": v}));
    }

    #[test]
    fn no_value_breaks_out_of_an_xml_body(v in "[^\u{0}-\u{8}\u{b}\u{c}\u{e}-\u{1f}\u{fffe}\u{ffff}]*") {
        let rt = runtime("                type: xml\n                data: \"<q>{{v}}</q>\"", "http://127.0.0.1:9");
        let req = rt.prepare("api.send", json!({"v": v})).unwrap();
        let body = req.body();
        prop_assert_eq!(xml_text(body.as_str().unwrap()), Some(v));
    }

    #[test]
    fn no_value_breaks_out_of_a_form_body(v in any::<String>(), w in any::<String>()) {
        let rt = runtime("                type: formUrlEncoded\n                data: {a: \"{{v}}\", b: \"{{w}}\"}", "http://127.0.0.1:9");
        let req = rt.prepare("api.send", json!({"v": v, "w": w})).unwrap();
        let body = req.body();
        prop_assert_eq!(
            form_pairs(body.as_str().unwrap()),
            vec![("a".to_string(), v), ("b".to_string(), w)]
        );
    }
}
