//! The REST adapter over real sockets: `RestServer::serve` on 127.0.0.1:0 in front of a
//! wiremock upstream (and `naftiko serve` once, for its readiness line), then the corpus
//! table: every corpus file with a REST adapter starts and answers its GET routes.

use std::time::Duration;

use serde_json::{json, Value};
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const GATEWAY: &str = "tests/fixtures/rest/gateway.yaml";
const TOKEN: &str = "up-stream-token-1";
const API_TOKEN: &str = "inbound-token-2";

/// Serves adapter `ns` of the gateway fixture with the registry at `upstream`; the base URL.
async fn gateway(
    upstream: &str,
    ns: &str,
    tweak: impl FnOnce(&mut naftiko::RestOptions),
) -> String {
    let cap = naftiko::Capability::from_path(GATEWAY).unwrap();
    let rt = naftiko::Runtime::builder(cap)
        .env([("REGISTRY_TOKEN", TOKEN), ("API_TOKEN", API_TOKEN)])
        .base_uri("registry", upstream)
        .retry(naftiko::RetryPolicy::none())
        .build()
        .unwrap();
    let mut options = naftiko::RestOptions::default();
    tweak(&mut options);
    crate::support::serve_rest(rt, Some(ns), options).await
}

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().no_proxy().build().unwrap()
}

async fn problem(r: reqwest::Response) -> (u16, Value) {
    let status = r.status().as_u16();
    let ct = r.headers()["content-type"].to_str().unwrap().to_string();
    assert_eq!(ct, "application/problem+json", "status {status}");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["status"], status);
    (status, body)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_call_gets_its_query_with_injection_credentials_and_shaped_output() {
    let upstream = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/ships"))
        .and(query_param("status", "active"))
        .and(query_param("limit", "5"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(header("x-api-version", "2026-01"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "items": [{"imo_number": "IMO-1", "vessel_name": "Aurora", "extra": 1}]
        })))
        .expect(1)
        .mount(&upstream)
        .await;
    let base = gateway(&upstream.uri(), "fleet", |_| {}).await;
    let r = client()
        .get(format!("{base}/ships?status=active&limit=5"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/json");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body, json!([{"imo": "IMO-1", "name": "Aurora"}]));
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_or_mistyped_parameters_get_a_400_problem_naming_them() {
    let upstream = MockServer::start().await;
    let base = gateway(&upstream.uri(), "fleet", |_| {}).await;
    let c = client();
    let cases: [(&str, &str, Option<Value>, &str, &str); 4] = [
        ("GET", "/ships?limit=ten", None, "limit", "query"),
        (
            "POST",
            "/ships",
            Some(json!({"tonnage": 5})),
            "name",
            "body",
        ),
        ("POST", "/ships", Some(json!({"name": 5})), "name", "body"),
        (
            "POST",
            "/ships",
            Some(json!({"name": "A", "specs": {"tonnage": "heavy"}})),
            "tonnage",
            "body",
        ),
    ];
    for (m, p, body, name, loc) in cases {
        let mut req = c.request(m.parse().unwrap(), format!("{base}{p}"));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let (status, body) = problem(req.send().await.unwrap()).await;
        assert_eq!(status, 400, "{m} {p}: {body}");
        assert_eq!(
            body["parameter"],
            json!({"name": name, "in": loc}),
            "{m} {p}"
        );
        assert!(body["detail"].as_str().unwrap().contains(name), "{body}");
    }
    assert!(upstream.received_requests().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn upstream_statuses_pass_through_with_their_bodies() {
    let upstream = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/ships"))
        .and(body_json(json!({"name": "Aurora", "tonnage": 900.5})))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": "s-1"})))
        .mount(&upstream)
        .await;
    Mock::given(method("GET"))
        .and(path("/ships/IMO-404"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"error": "no such ship"})))
        .mount(&upstream)
        .await;
    Mock::given(method("GET"))
        .and(path("/ships/IMO-500"))
        .respond_with(ResponseTemplate::new(503).set_body_string("down for maintenance"))
        .mount(&upstream)
        .await;
    let base = gateway(&upstream.uri(), "fleet", |_| {}).await;
    let c = client();
    let r = c
        .post(format!("{base}/ships"))
        .json(&json!({"name": "Aurora", "specs": {"tonnage": 900.5}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    assert_eq!(r.json::<Value>().await.unwrap(), json!({"id": "s-1"}));
    let r = c.get(format!("{base}/ships/IMO-404")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"error": "no such ship"})
    );
    let r = c.get(format!("{base}/ships/IMO-500")).send().await.unwrap();
    assert_eq!(r.status(), 503);
    assert_eq!(r.text().await.unwrap(), "down for maintenance");
    let r = c.get(format!("{base}/health")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap(), json!({"status": "ok"}));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_upstream_is_502_and_a_slow_one_504() {
    // A port that was free a moment ago: nothing listens there.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let base = gateway(&closed, "fleet", |_| {}).await;
    let (status, body) = problem(
        client()
            .get(format!("{base}/ships/IMO-1"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 502, "{body}");
    let upstream = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
        .mount(&upstream)
        .await;
    let base = gateway(&upstream.uri(), "fleet", |o| {
        o.timeout = Some(Duration::from_millis(200))
    })
    .await;
    let (status, body) = problem(
        client()
            .get(format!("{base}/ships/IMO-1"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 504, "{body}");
    assert!(!body.to_string().contains(TOKEN));
}

#[tokio::test(flavor = "multi_thread")]
async fn forward_keeps_path_and_query_sends_only_trusted_headers_adds_auth_and_streams_the_body() {
    let upstream = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path("/ships/a/b"))
        .and(query_param("x", "1"))
        .and(query_param("y", "two words"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(header("x-api-version", "2026-01"))
        .and(header("x-request-id", "r-1"))
        .respond_with(|req: &Request| {
            ResponseTemplate::new(202)
                .insert_header("x-upstream", "yes")
                .set_body_bytes(req.body.iter().rev().copied().collect::<Vec<u8>>())
        })
        .expect(1)
        .mount(&upstream)
        .await;
    let base = gateway(&upstream.uri(), "fleet", |_| {}).await;
    let payload: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let r = client()
        .put(format!("{base}/proxy/ships/a/b?x=1&y=two%20words"))
        .header("x-request-id", "r-1")
        .header("x-internal-secret", "do-not-leak")
        .header("authorization", "Bearer client-token")
        .body(payload.clone())
        .send()
        .await
        .unwrap();
    if r.status() != 202 {
        let seen = upstream.received_requests().await.unwrap();
        panic!("{:?} {} {seen:?}", r.status(), r.text().await.unwrap());
    }
    assert_eq!(r.headers()["x-upstream"], "yes");
    let got = r.bytes().await.unwrap();
    assert_eq!(got.len(), payload.len());
    assert!(got.iter().eq(payload.iter().rev()));
    let seen = &upstream.received_requests().await.unwrap()[0];
    assert!(seen.headers.get("x-internal-secret").is_none());
    assert_eq!(seen.headers.get_all("authorization").iter().count(), 1);
}

/// A forwarded GET follows a redirect within the consumed API's origin (as calls do), with
/// the credential; a redirect to another origin is refused with 502 and the other origin sees
/// nothing; a forwarded body is never sent twice, so its redirect goes back to the client.
#[tokio::test(flavor = "multi_thread")]
async fn forward_follows_same_origin_redirects_only_and_never_resends_a_body() {
    let other = MockServer::start().await;
    let upstream = MockServer::start().await;
    let to_other = format!("{}/steal", other.uri());
    for (from, status, location) in [
        ("/ships/old", 302, "/ships/new"),
        ("/ships/away", 302, to_other.as_str()),
        ("/ships/put", 307, "/ships/new"),
    ] {
        Mock::given(path(from))
            .respond_with(ResponseTemplate::new(status).insert_header("location", location))
            .mount(&upstream)
            .await;
    }
    Mock::given(method("GET"))
        .and(path("/ships/new"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"moved": true})))
        .expect(1)
        .mount(&upstream)
        .await;
    let base = gateway(&upstream.uri(), "fleet", |_| {}).await;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let c = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = c
        .get(format!("{base}/proxy/ships/old"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap(), json!({"moved": true}));
    let r = c
        .get(format!("{base}/proxy/ships/away"))
        .send()
        .await
        .unwrap();
    let (status, body) = problem(r).await;
    assert_eq!(status, 502, "{body}");
    assert!(body.to_string().contains("another origin"), "{body}");
    assert!(other.received_requests().await.unwrap().is_empty());
    let r = c
        .put(format!("{base}/proxy/ships/put"))
        .body("payload")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 307);
    assert_eq!(r.headers()["location"], "/ships/new");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_without_the_adapters_credential_gets_401_with_a_challenge() {
    let upstream = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/ships"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&upstream)
        .await;
    let base = gateway(&upstream.uri(), "locked", |_| {}).await;
    let c = client();
    for token in [None, Some("wrong"), Some("inbound-token-")] {
        let mut req = c.get(format!("{base}/ships"));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.headers()["www-authenticate"], "Bearer");
        let (status, body) = problem(r).await;
        assert_eq!(status, 401);
        assert!(!body.to_string().contains(API_TOKEN));
    }
    let r = c
        .get(format!("{base}/ships"))
        .bearer_auth(API_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_paths_are_404_wrong_methods_405_with_allow_and_big_bodies_413() {
    let upstream = MockServer::start().await;
    let base = gateway(&upstream.uri(), "fleet", |o| o.max_body_bytes = 1024).await;
    let c = client();
    let (status, _) = problem(c.get(format!("{base}/nowhere")).send().await.unwrap()).await;
    assert_eq!(status, 404);
    let r = c.delete(format!("{base}/ships")).send().await.unwrap();
    assert_eq!(r.headers()["allow"], "GET, POST");
    assert_eq!(problem(r).await.0, 405);
    let r = c
        .post(format!("{base}/ships"))
        .header("content-type", "application/json")
        .body(vec![b' '; 4096])
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r).await.0, 413);
    // The server keeps serving.
    assert_eq!(
        c.get(format!("{base}/health"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert!(upstream.received_requests().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_path_parameter_cannot_inject_a_header_upstream() {
    let upstream = MockServer::start().await;
    let base = gateway(&upstream.uri(), "fleet", |_| {}).await;
    for evil in ["a%0D%0AX-Injected:%201", "a%0AX-Injected:%201", "a%00b"] {
        let (status, body) = problem(
            client()
                .get(format!("{base}/trace/{evil}"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, 400, "{evil}: {body}");
    }
    assert!(upstream.received_requests().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn openapi_json_is_a_valid_openapi_3_1_document_of_the_routes() {
    let upstream = MockServer::start().await;
    let base = gateway(&upstream.uri(), "fleet", |_| {}).await;
    let doc: Value = client()
        .get(format!("{base}/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string("tests/fixtures/rest/oas-3.1-schema.json").unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/ships",
        "/ships/{imo}",
        "/health",
        "/proxy/{path}",
        "/trace/{id}",
    ] {
        assert!(paths.contains_key(p), "{p}: {:?}", paths.keys());
    }
    let params = &doc["paths"]["/ships"]["get"]["parameters"];
    assert_eq!(
        params[1],
        json!({"name": "limit", "in": "query", "required": false, "schema": {"type": "integer"}, "description": "Page size"})
    );
    // A document the validator refuses, so the check above can fail.
    let mut broken = doc.clone();
    broken["paths"]["/ships"]["get"]["parameters"][0]["in"] = json!("body");
    assert!(!validator.is_valid(&broken));
}

#[tokio::test(flavor = "multi_thread")]
async fn h2c_and_http1_keep_alive_both_answer() {
    let upstream = MockServer::start().await;
    let base = gateway(&upstream.uri(), "fleet", |_| {}).await;
    let h1 = client();
    let h2 = reqwest::Client::builder()
        .no_proxy()
        .http2_prior_knowledge()
        .build()
        .unwrap();
    for (c, version) in [
        (&h2, reqwest::Version::HTTP_2),
        (&h1, reqwest::Version::HTTP_11),
    ] {
        for _ in 0..3 {
            let r = c.get(format!("{base}/health")).send().await.unwrap();
            assert_eq!(r.version(), version);
            assert_eq!(r.json::<Value>().await.unwrap(), json!({"status": "ok"}));
        }
    }
}

#[test]
fn naftiko_serve_prints_a_rest_readiness_line_and_serves_on_the_listen_address() {
    use std::io::BufRead;
    let mut child = crate::support::bin::command()
        .args([
            "serve",
            GATEWAY,
            "--listen",
            "fleet=127.0.0.1:0",
            "--listen",
            "locked=127.0.0.1:0",
        ])
        .env("REGISTRY_TOKEN", TOKEN)
        .env("API_TOKEN", API_TOKEN)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut lines = Vec::new();
    for _ in 0..2 {
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        lines.push(serde_json::from_str::<Value>(&line).unwrap());
    }
    let fleet = lines
        .iter()
        .find(|l| l["namespace"] == "fleet")
        .unwrap()
        .clone();
    assert_eq!(fleet["adapter"], "rest");
    let url = fleet["url"].as_str().unwrap().to_string();
    assert!(
        url.starts_with("http://127.0.0.1:") && !url.ends_with("/mcp"),
        "{url}"
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    let got = rt.block_on(async {
        client()
            .get(format!("{url}/health"))
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()
    });
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(got, json!({"status": "ok"}));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_that_never_finishes_its_request_head_is_disconnected() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let upstream = MockServer::start().await;
    let base = gateway(&upstream.uri(), "fleet", |o| {
        o.header_timeout = Duration::from_millis(300)
    })
    .await;
    let mut s = tokio::net::TcpStream::connect(base.trim_start_matches("http://"))
        .await
        .unwrap();
    s.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let mut buf = Vec::new();
    // Ends (EOF or a reset) instead of waiting forever for the rest of the head.
    let _ = s.read_to_end(&mut buf).await;
    assert!(!String::from_utf8_lossy(&buf).contains("200 OK"));
}

/// Upper-case `{{NAME}}` / `{{env.NAME}}` placeholders of a file: the variables to set.
fn variables(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for chunk in text.split("{{").skip(1) {
        let Some((name, _)) = chunk.split_once("}}") else {
            continue;
        };
        let name = name.trim().trim_start_matches("env.");
        if !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
            && !out.iter().any(|(n, _)| n == name)
        {
            // Values every scheme accepts: hex (hmac keys), a PEM key file (oauth1).
            let value = if name.contains("SIGNING_KEY") || name.contains("PRIVATE_KEY") {
                "tests/fixtures/keys/oauth1-test-rsa.pem".to_string()
            } else {
                "c0ffee00c0ffee00".to_string()
            };
            out.push((name.to_string(), value));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn every_corpus_rest_adapter_starts_and_answers_its_get_routes() {
    let upstream = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"ok": true, "items": []})))
        .mount(&upstream)
        .await;
    let c = client();
    let mut files: Vec<_> = std::fs::read_dir("tests/fixtures/corpus")
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let (mut served, mut routes, mut answered) = (0, 0, 0);
    let mut refused: Vec<String> = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let Ok(cap) = naftiko::Capability::from_path(&file) else {
            continue;
        };
        let rest: Vec<naftiko::Adapter> = cap
            .adapters()
            .iter()
            .filter(|a| *a.kind() == naftiko::AdapterKind::Rest)
            .cloned()
            .collect();
        if rest.is_empty() {
            continue;
        }
        let namespaces: Vec<String> = cap.namespaces().map(str::to_string).collect();
        let mut b = naftiko::Runtime::builder(cap)
            .env(variables(&text))
            .retry(naftiko::RetryPolicy::none());
        for ns in namespaces {
            b = b.base_uri(ns, upstream.uri());
        }
        let rt = b
            .build()
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        for adapter in &rest {
            let server = naftiko::RestServer::for_adapter(rt.clone(), Default::default(), adapter);
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let base = format!("http://{}", listener.local_addr().unwrap());
            let s = server.clone();
            tokio::spawn(async move { s.serve(listener).await });
            served += 1;
            for r in adapter.resources() {
                for op in r.operations() {
                    if op.method() != naftiko::Method::Get || op.has_path_params() {
                        continue;
                    }
                    routes += 1;
                    let resp = c
                        .get(format!("{base}{}", op.path()))
                        .send()
                        .await
                        .unwrap_or_else(|e| panic!("{} {}: {e}", file.display(), op.path()));
                    let status = resp.status().as_u16();
                    if resp.status().is_success() {
                        answered += 1;
                    } else {
                        let body = resp.text().await.unwrap_or_default();
                        let detail = serde_json::from_str::<Value>(&body)
                            .ok()
                            .and_then(|v| v["detail"].as_str().map(str::to_string))
                            .unwrap_or(body);
                        // Only our own refusals, with a reason: a bad request (a required
                        // parameter) or an operation this runtime cannot call (501).
                        assert!(
                            matches!(status, 400 | 501),
                            "{} GET {}: {status} {detail}",
                            file.display(),
                            op.path()
                        );
                        refused.push(format!(
                            "{} GET {}: {status} {detail}",
                            file.file_name().unwrap().to_string_lossy(),
                            op.path()
                        ));
                    }
                }
            }
        }
    }
    println!(
        "corpus REST: {served} adapters served, {routes} GET routes without path parameters, {answered} answered 2xx, {} refused:",
        refused.len()
    );
    for r in &refused {
        println!("  {r}");
    }
    // Figures at the time of writing: 48 adapters, 170 routes, 76 answered; the refusals
    // are the corpus's own (calls to operations it does not declare, ambiguous names,
    // required upstream parameters no exposed input supplies, csv).
    assert!(served >= 45, "{served}");
    assert!(answered >= 70, "{answered}/{routes}");
}

/// Serves the orchestrated fixture's `fleet` adapter against `upstream`; the base URL.
async fn orchestrated(upstream: &str) -> String {
    let cap = naftiko::Capability::from_path("tests/fixtures/rest/orchestrated.yaml").unwrap();
    let rt = naftiko::Runtime::builder(cap)
        .base_uri("registry", upstream)
        .retry(naftiko::RetryPolicy::none())
        .build()
        .unwrap();
    crate::support::serve_rest(rt, Some("fleet"), Default::default()).await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_step_is_a_problem_naming_it_with_the_upstream_4xx() {
    let upstream = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/ships/IMO-0"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"error": "no ship"})))
        .mount(&upstream)
        .await;
    let base = orchestrated(&upstream.uri()).await;
    let r = client()
        .get(format!("{base}/ships/IMO-0/crew"))
        .send()
        .await
        .unwrap();
    let (status, body) = problem(r).await;
    assert_eq!(status, 404);
    let detail = body["detail"].as_str().unwrap();
    assert!(detail.contains("step `get-ship` failed"), "{detail}");
    // The chain stopped: the crew list was never asked for.
    let asked: Vec<String> = upstream
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.url.path().to_string())
        .collect();
    assert_eq!(asked, ["/ships/IMO-0"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn rest_operations_run_inline_steps_and_aggregate_refs() {
    let upstream = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/ships/IMO-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "vessel_name": "Aurora", "assignedCrew": ["C1", "C3"]
        })))
        .mount(&upstream)
        .await;
    Mock::given(method("GET"))
        .and(path("/crew"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"crewId": "C1", "fullName": "Ada", "pay": 1},
            {"crewId": "C2", "fullName": "Bo", "pay": 2},
            {"crewId": "C3", "fullName": "Cy", "pay": 3}
        ])))
        .mount(&upstream)
        .await;
    let base = orchestrated(&upstream.uri()).await;
    let c = client();
    let crew: Value = c
        .get(format!("{base}/ships/IMO-1/crew"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        crew,
        json!({"name": "Aurora", "crew": [{"fullName": "Ada"}, {"fullName": "Cy"}]})
    );
    let r = c
        .get(format!("{base}/ships/IMO-1/summary"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"ship": {"name": "Aurora"}})
    );
}

#[test]
fn a_rest_ref_to_no_aggregate_function_is_a_located_load_error() {
    let text = std::fs::read_to_string("tests/fixtures/rest/orchestrated.yaml")
        .unwrap()
        .replace(
            "ref: crew-resolver.ship-with-crew",
            "ref: crew-resolver.nope",
        );
    let err = naftiko::Capability::from_str_named(&text, "orchestrated.yaml", None).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("operation `GET /ships/{{imo}}/crew`: `ref: crew-resolver.nope` names no aggregate function; functions: crew-resolver.ship-with-crew"),
        "{msg}"
    );
    assert!(msg.starts_with("orchestrated.yaml:61:15: error:"), "{msg}");
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_count_requests_and_errors_per_route_pattern() {
    let upstream = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/ships/IMO-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"imo_number": "IMO-1"})))
        .mount(&upstream)
        .await;
    Mock::given(method("GET"))
        .and(path("/ships/IMO-0"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"error": "no ship"})))
        .mount(&upstream)
        .await;
    let cap = naftiko::Capability::from_path(GATEWAY).unwrap();
    let rt = naftiko::Runtime::builder(cap)
        .env([("REGISTRY_TOKEN", TOKEN), ("API_TOKEN", API_TOKEN)])
        .base_uri("registry", upstream.uri())
        .retry(naftiko::RetryPolicy::none())
        .build()
        .unwrap();
    let control = naftiko::Control::new(rt.clone(), 1).router();
    let base = crate::support::serve_rest(rt, Some("fleet"), Default::default()).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let metrics = format!("http://{}/metrics", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, control).await });
    let c = client();
    for p in ["/ships/IMO-1", "/ships/IMO-1", "/ships/IMO-0", "/nowhere"] {
        c.get(format!("{base}{p}")).send().await.unwrap();
    }
    let text = c.get(metrics).send().await.unwrap().text().await.unwrap();
    let series = |name: &str, route: &str| {
        let key = format!("{name}{{adapter=\"fleet\",type=\"rest\",route=\"{route}\"}} ");
        text.lines()
            .find_map(|l| l.strip_prefix(key.as_str()))
            .unwrap_or_else(|| panic!("no {key} in\n{text}"))
            .trim()
            .to_string()
    };
    assert_eq!(series("naftiko_requests_total", "/ships/{{imo}}"), "3");
    assert_eq!(
        series("naftiko_request_errors_total", "/ships/{{imo}}"),
        "1"
    );
    assert_eq!(series("naftiko_requests_total", "other"), "1");
    assert_eq!(series("naftiko_requests_total", "/ships"), "0");
}
