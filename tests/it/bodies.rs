//! Request bodies (`body: {type, data}`) over real HTTP on 127.0.0.1: wiremock records the
//! bytes and the Content-Type the server receives. Property tests check that no argument
//! value can break out of a json, xml, form or multipart body.

use naftiko::{Capability, Runtime};
use proptest::prelude::*;
use serde_json::{json, Value};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

fn capability(body: &str) -> Capability {
    Capability::from_str_named(&capability_text(body), "bodies.yaml", None).expect("loads")
}

fn capability_text(body: &str) -> String {
    format!(
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
    )
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

/// A multipart body with a plain field, a file part and a part whose file name is an
/// argument.
const MULTIPART: &str = "                type: multipartForm
                data:
                  - {name: title, value: 'Report {{v}}'}
                  - {name: file, value: '{{doc}}', filename: report.csv, contentType: text/csv}
                  - {name: meta, value: '{{m}}', filename: '{{f}}'}";

/// One received part: name, file name, content type, value.
type ReceivedPart = (String, Option<String>, Option<String>, String);

/// Parses a `multipart/form-data` body strictly (RFC 7578/2046): the boundary from the
/// content type, then every part's `Content-Disposition` and `Content-Type` and its value.
/// `None` when the body is not exactly a sequence of well-formed parts.
fn multipart_parts(content_type: &str, body: &[u8]) -> Option<Vec<ReceivedPart>> {
    let boundary = content_type.strip_prefix("multipart/form-data; boundary=")?;
    let body = std::str::from_utf8(body).ok()?;
    let delimiter = format!("--{boundary}");
    let mut segments = body.split(&delimiter);
    if !segments.next()?.is_empty() {
        return None;
    }
    let mut segments: Vec<&str> = segments.collect();
    if segments.pop()? != "--\r\n" {
        return None;
    }
    let mut parts = Vec::new();
    for seg in segments {
        let seg = seg.strip_prefix("\r\n")?.strip_suffix("\r\n")?;
        let (head, value) = seg.split_once("\r\n\r\n")?;
        let (mut name, mut filename, mut ct) = (None, None, None);
        for line in head.split("\r\n") {
            let (k, v) = line.split_once(": ")?;
            match k {
                "Content-Disposition" => {
                    let mut params = v.strip_prefix("form-data; ")?;
                    while !params.is_empty() {
                        let (key, rest) = params.split_once("=\"")?;
                        let (val, rest) = rest.split_once('"')?;
                        match key {
                            "name" => name = Some(val.to_string()),
                            "filename" => filename = Some(val.to_string()),
                            _ => return None,
                        }
                        params = rest.strip_prefix("; ").unwrap_or(rest);
                        if !rest.is_empty() && !rest.starts_with("; ") {
                            return None;
                        }
                    }
                }
                "Content-Type" => ct = Some(v.to_string()),
                _ => return None,
            }
        }
        parts.push((name?, filename, ct, value.to_string()));
    }
    Some(parts)
}

#[tokio::test]
async fn a_multipart_body_sends_each_part_with_its_name_file_name_and_content_type() {
    let nasty = "a\"b\r\n--x;\r\n\r\nc";
    let (ct, body) = received(
        MULTIPART,
        json!({"v": nasty, "doc": "id,n\n1,2\n", "m": {"k": [1]}, "f": "my \"notes\".json"}),
    )
    .await;
    assert!(
        ct.starts_with("multipart/form-data; boundary=naftiko-"),
        "{ct}"
    );
    let s = |x: &str| x.to_string();
    assert_eq!(
        multipart_parts(&ct, &body).expect("a well-formed multipart body"),
        vec![
            (s("title"), None, None, format!("Report {nasty}")),
            (
                s("file"),
                Some(s("report.csv")),
                Some(s("text/csv")),
                s("id,n\n1,2\n")
            ),
            (
                s("meta"),
                Some(s("my %22notes%22.json")),
                None,
                s(r#"{"k":[1]}"#)
            ),
        ]
    );
}

#[tokio::test]
async fn each_multipart_request_gets_its_own_boundary() {
    let (a, _) = received(MULTIPART, json!({"v": 1, "doc": "d", "m": "m", "f": "f"})).await;
    let (b, _) = received(MULTIPART, json!({"v": 1, "doc": "d", "m": "m", "f": "f"})).await;
    assert_ne!(a, b);
}

#[test]
fn a_multipart_dry_run_shows_the_parts_and_curl_writes_them_as_form_fields() {
    let rt = runtime(MULTIPART, "http://127.0.0.1:9");
    let args = json!({"v": "x", "doc": "@/etc/passwd", "m": "<m;type=y", "f": "f.json"});
    let req = rt.prepare("api.send", args).unwrap();
    assert!(req
        .content_type()
        .unwrap()
        .starts_with("multipart/form-data; boundary=naftiko-"));
    assert_eq!(
        req.body(),
        json!([
            {"name": "title", "value": "Report x"},
            {"name": "file", "filename": "report.csv", "contentType": "text/csv", "value": "@/etc/passwd"},
            {"name": "meta", "filename": "f.json", "value": "<m;type=y"},
        ])
    );
    // Quoted values: curl reads no file from `@…` or `<…`, and no `;type=` inside a value.
    assert_eq!(
        req.to_curl(),
        "curl -X POST 'http://127.0.0.1:9/things' -F 'title=\"Report x\"' \
         -F 'file=\"@/etc/passwd\";filename=\"report.csv\";type=text/csv' \
         -F 'meta=\"<m;type=y\";filename=\"f.json\"'"
    );
}

#[test]
fn a_multipart_part_without_a_name_is_a_load_error() {
    let yaml = capability_text(
        "                type: multipartForm\n                data:\n                  - {value: x}",
    );
    let cap = Capability::from_str_named(&yaml, "bodies.yaml", None).unwrap();
    let errors: Vec<String> = cap
        .diagnostics()
        .iter()
        .filter(|d| d.severity == naftiko::Severity::Error)
        .map(|d| d.render(false))
        .collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains("bodies.yaml:18:21") && errors[0].contains("needs a `name`"),
        "{errors:?}"
    );
}

/// Values that look like the delimiter: the boundary's prefix, CR LF and dashes.
fn delimiter_like() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        proptest::collection::vec(
            prop_oneof![
                Just("\r\n".to_string()),
                Just("--".to_string()),
                Just("naftiko-".to_string()),
                Just("\"".to_string()),
                "[0-9a-f]{1,8}",
            ],
            0..12
        )
        .prop_map(|v| v.concat()),
    ]
}

/// Over a real socket: whatever the values, the server parses exactly the three parts, each
/// with its value, and the boundary occurs in none of them.
#[test]
fn no_value_breaks_out_of_a_multipart_body() {
    let tokio = tokio::runtime::Runtime::new().unwrap();
    let server = tokio.block_on(MockServer::start());
    tokio.block_on(
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200))
            .mount(&server),
    );
    let rt = runtime(MULTIPART, &server.uri());
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(128));
    let strategy = (delimiter_like(), delimiter_like(), delimiter_like());
    runner
        .run(&strategy, |(v, doc, f)| {
            tokio
                .block_on(rt.call("api.send", json!({"v": v, "doc": doc, "m": "m", "f": f})))
                .unwrap();
            let reqs = tokio.block_on(server.received_requests()).unwrap();
            let req = reqs.last().unwrap();
            let ct = req.headers.get("content-type").unwrap().to_str().unwrap();
            let boundary = ct.split("boundary=").nth(1).unwrap();
            prop_assert!(![&v, &doc].iter().any(|x| x.contains(boundary)));
            let parts = multipart_parts(ct, &req.body);
            let quoted = f
                .replace('"', "%22")
                .replace('\r', "%0D")
                .replace('\n', "%0A");
            prop_assert_eq!(
                parts.map(|p| p
                    .into_iter()
                    .map(|(n, f, _, v)| (n, f, v))
                    .collect::<Vec<_>>()),
                Some(vec![
                    ("title".to_string(), None, format!("Report {v}")),
                    ("file".to_string(), Some("report.csv".to_string()), doc),
                    ("meta".to_string(), Some(quoted), "m".to_string()),
                ])
            );
            Ok(())
        })
        .unwrap();
}

/// A bound secret in a part (a token a form upload carries) is sent, and shown nowhere.
#[test]
fn a_secret_in_a_multipart_part_is_redacted_in_the_dry_run_and_curl() {
    let yaml = r#"
naftiko: 1.0.0-alpha2
binds:
- namespace: env
  keys: {UPLOAD_TOKEN: UPLOAD_TOKEN}
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
              body:
                type: multipartForm
                data:
                  - {name: token, value: '{{UPLOAD_TOKEN}}'}
                  - {name: note, value: '{{v}}'}
"#;
    let cap = Capability::from_str_named(yaml, "secret.yaml", None).unwrap();
    let rt = Runtime::builder(cap)
        .env([("UPLOAD_TOKEN", "tok-s3cr3t-value")])
        .build()
        .unwrap();
    let req = rt.prepare("api.send", json!({"v": "hi"})).unwrap();
    assert_eq!(
        req.body(),
        json!([{"name": "token", "value": "***"}, {"name": "note", "value": "hi"}])
    );
    let curl = req.to_curl();
    assert!(
        curl.contains("${UPLOAD_TOKEN}") && !curl.contains("s3cr3t"),
        "{curl}"
    );
    assert!(!format!("{req:?}").contains("s3cr3t"));
}
