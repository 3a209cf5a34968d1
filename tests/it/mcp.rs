//! The MCP server, end to end: the built `naftiko` binary (`naftiko mcp` over stdio,
//! `naftiko serve` over streamable HTTP on 127.0.0.1), driven by rmcp's own client and by
//! raw HTTP, against a wiremock upstream that asserts what it received.

#![cfg(feature = "serve")]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use rmcp::model::{CallToolRequestParams, CallToolResult, JsonObject, Tool};
use rmcp::service::RunningService;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::{ConfigureCommandExt, StreamableHttpClientTransport, TokioChildProcess};
use rmcp::{RoleClient, ServiceExt};
use serde_json::{json, Value};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support;

const USERS: &str = "specs/vital/users.yaml";
const KEY: &str = "sk_us_test_secret_9f8e7d";
const SHIPYARD: &str = "tests/fixtures/naftiko/tutorial/step-3-shipyard-auth.yml";
/// `mcp-server-token` in tests/fixtures/naftiko/tutorial/shared/secrets.yaml.
const MCP_TOKEN: &str = "sk-mcp-YYYYYYYYYYYY";

fn install_tls() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

fn args(obj: Value) -> JsonObject {
    match obj {
        Value::Object(m) => m,
        _ => JsonObject::new(),
    }
}

fn command(argv: &[&str]) -> Command {
    let mut cmd = support::bin::command();
    cmd.args(argv);
    cmd
}

/// A `naftiko serve` process, killed when dropped.
struct Served {
    child: Child,
    /// One readiness line per adapter.
    ready: Vec<Value>,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Served {
    fn url(&self, ns: &str) -> String {
        let r = self
            .ready
            .iter()
            .find(|r| r["namespace"] == ns)
            .expect("adapter is ready");
        r["url"].as_str().unwrap().to_string()
    }
}

/// Starts `naftiko serve ARGS` and waits for `adapters` readiness lines (or its exit).
fn serve(argv: &[&str], env: &[(&str, &str)], adapters: usize) -> Result<Served, String> {
    let mut cmd = command(&[&["serve"], argv].concat());
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("naftiko starts");
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut ready = Vec::new();
    while ready.len() < adapters {
        let mut line = String::new();
        if out.read_line(&mut line).unwrap_or(0) == 0 {
            let mut err = String::new();
            let _ = std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err);
            let _ = child.wait();
            return Err(err);
        }
        ready.push(serde_json::from_str::<Value>(&line).expect("a JSON readiness line"));
    }
    Ok(Served { child, ready })
}

async fn http_client(url: &str, token: Option<&str>) -> RunningService<RoleClient, ()> {
    install_tls();
    let mut config = StreamableHttpClientTransportConfig::with_uri(url.to_string());
    if let Some(t) = token {
        config = config.auth_header(t.to_string());
    }
    let transport = StreamableHttpClientTransport::with_client(reqwest::Client::new(), config);
    ().serve(transport).await.expect("the client initialises")
}

async fn stdio_client(argv: &[&str], env: &[(&str, &str)]) -> RunningService<RoleClient, ()> {
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let argv: Vec<String> = argv.iter().map(|s| s.to_string()).collect();
    let cmd = tokio::process::Command::from(command(&[])).configure(move |c| {
        c.args(&argv);
        for (k, v) in &env {
            c.env(k, v);
        }
    });
    let (transport, _stderr) = TokioChildProcess::builder(cmd)
        .stderr(Stdio::null())
        .spawn()
        .expect("naftiko mcp starts");
    ().serve(transport).await.expect("the client initialises")
}

async fn call(client: &RunningService<RoleClient, ()>, name: &str, a: Value) -> CallToolResult {
    client
        .call_tool(CallToolRequestParams::new(name.to_string()).with_arguments(args(a)))
        .await
        .expect("tools/call answers")
}

fn names(tools: &[Tool]) -> Vec<String> {
    tools.iter().map(|t| t.name.to_string()).collect()
}

fn text_of(r: &CallToolResult) -> String {
    serde_json::to_string(r).unwrap()
}

/// A raw POST, the way curl and upstream's tutorial checks send it.
async fn post(
    url: &str,
    headers: &[(&str, &str)],
    body: impl Into<reqwest::Body>,
) -> (u16, String) {
    install_tls();
    let mut req = reqwest::Client::new().post(url).body(body);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let r = req.send().await.expect("the server answers");
    (r.status().as_u16(), r.text().await.unwrap_or_default())
}

/// `naftiko serve` of the seed, auto-exposed on a free port, sending to `upstream` with the key.
fn serve_seed(upstream: &MockServer) -> Served {
    let base = format!("--base-uri={}", upstream.uri());
    serve(
        &[USERS, "--mcp", "127.0.0.1:0", &base],
        &[("VITAL_API_KEY", KEY)],
        1,
    )
    .unwrap()
}

async fn users_upstream() -> MockServer {
    let upstream = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/user/u-1"))
        .and(header("x-vital-api-key", KEY))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"user_id": "u-1", "client_user_id": "c-1"})),
        )
        .expect(1..)
        .mount(&upstream)
        .await;
    upstream
}

#[tokio::test(flavor = "multi_thread")]
async fn stdio_serves_the_seeds_read_only_operations_and_calls_one_with_the_api_key() {
    let upstream = users_upstream().await;
    let base = format!("--base-uri={}", upstream.uri());
    let client = stdio_client(&["mcp", USERS, &base], &[("VITAL_API_KEY", KEY)]).await;
    let tools = client.list_all_tools().await.unwrap();
    assert_eq!(tools.len(), 9, "{:?}", names(&tools));
    for t in &tools {
        let a = t
            .annotations
            .as_ref()
            .expect("annotations are always emitted");
        assert_eq!(a.read_only_hint, Some(true), "{}", t.name);
        assert_eq!(a.open_world_hint, Some(true));
        let re_ok = t.name.len() <= 64
            && t.name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        assert!(re_ok, "{}", t.name);
    }
    let get = tools
        .iter()
        .find(|t| t.name == "get_user_v2_user__user_id__get")
        .unwrap();
    assert_eq!(get.input_schema["required"], json!(["user_id"]));
    assert_eq!(get.input_schema["properties"]["user_id"]["type"], "string");
    let r = call(
        &client,
        "get_user_v2_user__user_id__get",
        json!({"user_id": "u-1"}),
    )
    .await;
    assert_eq!(r.is_error, Some(false), "{}", text_of(&r));
    assert_eq!(
        r.structured_content.as_ref().unwrap()["result"]["client_user_id"],
        "c-1"
    );
    assert!(!text_of(&r).contains(KEY));
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn allow_writes_adds_post_patch_and_delete_with_method_annotations() {
    let client = stdio_client(&["mcp", USERS, "--allow-writes"], &[("VITAL_API_KEY", KEY)]).await;
    let tools = client.list_all_tools().await.unwrap();
    assert_eq!(tools.len(), 19);
    let ann = |n: &str| {
        tools
            .iter()
            .find(|t| t.name == n)
            .unwrap()
            .annotations
            .clone()
            .unwrap()
    };
    let post = ann("create_user_v2_user_post");
    assert_eq!(
        (
            post.read_only_hint,
            post.destructive_hint,
            post.idempotent_hint
        ),
        (Some(false), Some(false), Some(false))
    );
    let del = ann("delete_user_v2_user__user_id__delete");
    assert_eq!(
        (del.destructive_hint, del.idempotent_hint),
        (Some(true), Some(true))
    );
    let patch = ann("patch_user_v2_user__user_id__patch");
    assert_eq!(
        (patch.destructive_hint, patch.idempotent_hint),
        (Some(true), Some(false))
    );
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn tools_globs_filter_the_list() {
    let client = stdio_client(&["mcp", USERS, "--tools", "get_user_v2*,get_teams_*"], &[]).await;
    let mut got = names(&client.list_all_tools().await.unwrap());
    got.sort();
    assert_eq!(
        got,
        [
            "get_teams_metrics_v2_user_metrics_get",
            "get_teams_users_v2_user_get",
            "get_user_v2_user__user_id__get"
        ]
    );
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn http_declared_tools_shape_outputs_and_send_the_upstream_token_not_the_clients() {
    let upstream = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/ships/IMO-1"))
        .and(header("authorization", "Bearer dummy-token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "imo_number": "IMO-1", "vessel_name": "Aurora", "vessel_type": "tanker",
            "flag_code": "NO", "operational_status": "active", "extra": 1
        })))
        .expect(1)
        .mount(&upstream)
        .await;
    let base = format!("registry={}", upstream.uri());
    let s = serve(
        &[
            SHIPYARD,
            "--listen",
            "shipyard-tools=127.0.0.1:0",
            "--base-uri",
            &base,
        ],
        &[],
        1,
    )
    .unwrap();
    let url = s.url("shipyard-tools");
    let client = http_client(&url, Some(MCP_TOKEN)).await;
    let tools = client.list_all_tools().await.unwrap();
    assert_eq!(names(&tools), ["list-ships", "get-ship"]);
    let list = &tools[0];
    assert_eq!(
        list.input_schema.get("required"),
        None,
        "status is optional"
    );
    assert_eq!(tools[1].input_schema["required"], json!(["imo"]));
    assert!(tools[1].output_schema.is_some());
    let r = call(&client, "get-ship", json!({"imo": "IMO-1"})).await;
    assert_eq!(r.is_error, Some(false), "{}", text_of(&r));
    assert_eq!(
        r.structured_content.unwrap(),
        json!({"imo": "IMO-1", "name": "Aurora", "type": "tanker", "flag": "NO", "status": "active"})
    );
    let missing = call(&client, "get-ship", json!({})).await;
    assert_eq!(missing.is_error, Some(true));
    assert!(text_of(&missing).contains("imo"), "{}", text_of(&missing));
    client.cancel().await.unwrap();
    for req in upstream.received_requests().await.unwrap() {
        let seen = format!("{:?}", req.headers);
        assert!(
            !seen.contains(MCP_TOKEN),
            "the client's token reached the upstream"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn adapter_authentication_refuses_missing_and_wrong_tokens_with_401() {
    let s = serve(
        &[SHIPYARD, "--listen", "shipyard-tools=127.0.0.1:0"],
        &[],
        1,
    )
    .unwrap();
    let url = s.url("shipyard-tools");
    let body = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#;
    assert_eq!(post(&url, &[], body).await.0, 401);
    assert_eq!(
        post(&url, &[("authorization", "Bearer sk-mcp-wrong")], body)
            .await
            .0,
        401
    );
    let (code, text) = post(
        &url,
        &[("authorization", &format!("Bearer {MCP_TOKEN}"))],
        body,
    )
    .await;
    assert_eq!(code, 200, "{text}");
    assert!(text.contains("list-ships"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bare_tools_call_post_without_initialize_gets_plain_json_on_mcp_and_root() {
    let upstream = users_upstream().await;
    let s = serve_seed(&upstream);
    assert_eq!(s.ready[0]["adapter"], "mcp");
    assert_eq!(s.ready[0]["namespace"], "auto");
    let url = s.url("auto");
    let body = r#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"get_user_v2_user__user_id__get","arguments":{"user_id":"u-1"}}}"#;
    for target in [url.clone(), url.trim_end_matches("mcp").to_string()] {
        let (code, text) = post(
            &target,
            &[("accept", "*/*"), ("content-type", "application/json")],
            body,
        )
        .await;
        assert_eq!(code, 200, "{target}: {text}");
        let v: Value = serde_json::from_str(&text).expect("plain JSON, not SSE");
        assert_eq!(v["id"], 7);
        assert_eq!(v["result"]["isError"], false, "{v}");
        assert!(!text.contains(KEY));
    }
}

/// Bodies the upstream sends as they are: already serde_json's compact text (passed on
/// without being decoded), and texts serde_json writes differently (decoded and written).
const PASSED_ON_AND_REWRITTEN: &[(&str, &str)] = &[
    ("u-canon", r#"{"user_id":"u-1","z":1,"a":[true,null,"x \"q\" é"],"n":-42}"#),
    ("u-array", r#"[{"b":2,"a":1},"two"]"#),
    (
        "u-pretty",
        "{\n  \"user_id\": \"u\\/1\",\n  \"name\": \"Ren\\u00e9\",\n  \"w\": 1.50,\n  \"big\": 1e3\n}",
    ),
    ("u-huge-int", r#"{"id":123456789012345678901234567890}"#),
];

#[tokio::test(flavor = "multi_thread")]
async fn a_result_is_the_upstream_json_as_serde_json_writes_it_on_every_path() {
    let upstream = MockServer::start().await;
    for (id, body) in PASSED_ON_AND_REWRITTEN {
        Mock::given(method("GET"))
            .and(path(format!("/v2/user/{id}")))
            .respond_with(ResponseTemplate::new(200).set_body_raw(*body, "application/json"))
            .mount(&upstream)
            .await;
    }
    let s = serve_seed(&upstream);
    let url = s.url("auto");
    for (id, body) in PASSED_ON_AND_REWRITTEN {
        // The seed's operations map `result: $.`.
        let value = json!({ "result": serde_json::from_str::<Value>(body).unwrap() });
        let written = serde_json::to_string(&value).unwrap();
        let structured = value;
        let rpc = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": "get_user_v2_user__user_id__get", "arguments": {"user_id": id}}})
        .to_string();
        // The fast path, then rmcp's stateless service (an Origin header sends it there).
        for headers in [vec![], vec![("origin", "http://localhost:1")]] {
            let (code, text) = post(&url, &headers, rpc.clone()).await;
            assert_eq!(code, 200, "{id}: {text}");
            let v: Value = serde_json::from_str(&text).unwrap();
            let result = &v["result"];
            assert_eq!(result["isError"], false, "{id}: {v}");
            assert_eq!(
                result["content"][0]["text"],
                written.as_str(),
                "{id} {headers:?}"
            );
            assert_eq!(result["structuredContent"], structured, "{id} {headers:?}");
        }
    }
    // A body that echoes the key, compact or not, is redacted before it is passed on.
    for (id, body) in [
        ("u-echo", format!(r#"{{"echo":"{KEY}","n":1}}"#)),
        ("u-echo-pretty", format!("{{ \"echo\": \"{KEY}\" }}")),
    ] {
        Mock::given(method("GET"))
            .and(path(format!("/v2/user/{id}")))
            .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
            .mount(&upstream)
            .await;
        let rpc = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": "get_user_v2_user__user_id__get", "arguments": {"user_id": id}}});
        let (code, text) = post(&url, &[], rpc.to_string()).await;
        assert_eq!(code, 200, "{id}: {text}");
        assert!(!text.contains(KEY), "{id}: {text}");
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            v["result"]["structuredContent"]["result"]["echo"], "***",
            "{id}: {v}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn threads_sets_the_worker_count_and_zero_is_refused_by_name() {
    let upstream = users_upstream().await;
    let base = format!("--base-uri={}", upstream.uri());
    let s = serve(
        &[USERS, "--mcp", "127.0.0.1:0", &base, "--threads", "1"],
        &[("VITAL_API_KEY", KEY)],
        1,
    )
    .unwrap();
    let body = r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_user_v2_user__user_id__get","arguments":{"user_id":"u-1"}}}"#;
    let (code, text) = post(
        &s.url("auto"),
        &[("content-type", "application/json")],
        body,
    )
    .await;
    assert_eq!(code, 200, "{text}");
    assert!(text.contains(r#""client_user_id":"c-1""#), "{text}");
    let err = serve(&[USERS, "--mcp", "127.0.0.1:0", "--threads", "0"], &[], 1)
        .err()
        .expect("--threads 0 is refused");
    assert!(err.contains("--threads"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn foreign_origin_oversized_body_malformed_json_and_unknown_tool_are_refused() {
    let s = serve(&[USERS, "--mcp", "127.0.0.1:0"], &[], 1).unwrap();
    let url = s.url("auto");
    let list = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#;
    assert_eq!(
        post(&url, &[("origin", "http://evil.example")], list)
            .await
            .0,
        403
    );
    assert_eq!(
        post(&url, &[("origin", "http://localhost:6274")], list)
            .await
            .0,
        200
    );
    let big = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{{"x":"{}"}}}}"#,
        "a".repeat(5 << 20)
    );
    assert_eq!(post(&url, &[], big).await.0, 413);
    let (code, text) = post(&url, &[], "{not json").await;
    assert_eq!(code, 400);
    assert_eq!(
        serde_json::from_str::<Value>(&text).unwrap()["error"]["code"],
        -32700
    );
    let (_, text) = post(
        &url,
        &[],
        r#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"nope"}}"#,
    )
    .await;
    assert_eq!(
        serde_json::from_str::<Value>(&text).unwrap()["error"]["code"],
        -32602,
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn upstream_500_echoing_the_key_is_an_error_result_and_the_key_never_shows() {
    let upstream = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(500).set_body_json(json!({"detail": format!("bad key {KEY}")})),
        )
        .mount(&upstream)
        .await;
    let s = serve_seed(&upstream);
    let client = http_client(&s.url("auto"), None).await;
    let r = call(
        &client,
        "get_user_v2_user__user_id__get",
        json!({"user_id": "u-9"}),
    )
    .await;
    assert_eq!(r.is_error, Some(true));
    let text = text_of(&r);
    assert!(text.contains("500"), "{text}");
    assert!(!text.contains(KEY), "{text}");
    let tools = serde_json::to_string(&client.list_all_tools().await.unwrap()).unwrap();
    assert!(!tools.contains(KEY));
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn hints_and_labels_become_annotations_and_titles() {
    let s = serve(
        &[
            "tests/fixtures/mcp/mcp-hints-capability.yaml",
            "--listen",
            "hints-mcp=127.0.0.1:0",
        ],
        &[],
        1,
    )
    .unwrap();
    let client = http_client(&s.url("hints-mcp"), None).await;
    let tools = client.list_all_tools().await.unwrap();
    let read = &tools[0];
    assert_eq!(read.title.as_deref(), Some("Read Data"));
    let a = read.annotations.clone().unwrap();
    assert_eq!(
        (a.title.as_deref(), a.read_only_hint, a.open_world_hint),
        (Some("Read Data"), Some(true), Some(true))
    );
    let d = tools[1].annotations.clone().unwrap();
    assert_eq!(
        (
            d.read_only_hint,
            d.destructive_hint,
            d.idempotent_hint,
            d.open_world_hint
        ),
        (Some(false), Some(true), Some(true), Some(false))
    );
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn dynamic_mode_serves_three_meta_tools_that_search_describe_and_call() {
    let upstream = users_upstream().await;
    let base = format!("--base-uri={}", upstream.uri());
    let client = stdio_client(
        &["mcp", USERS, "--dynamic", &base],
        &[("VITAL_API_KEY", KEY)],
    )
    .await;
    let tools = names(&client.list_all_tools().await.unwrap());
    assert_eq!(
        tools,
        ["search_operations", "describe_operation", "call_operation"]
    );
    let found = call(&client, "search_operations", json!({"query": "user get"})).await;
    assert!(text_of(&found).contains("get_user_v2_user__user_id__get"));
    let writes = call(&client, "search_operations", json!({"query": "post"})).await;
    assert!(
        !text_of(&writes).contains("create_user"),
        "read-only rules apply"
    );
    let r = call(
        &client,
        "call_operation",
        json!({"name": "get_user_v2_user__user_id__get", "arguments": {"user_id": "u-1"}}),
    )
    .await;
    assert_eq!(r.is_error, Some(false), "{}", text_of(&r));
    client.cancel().await.unwrap();
}

/// Every corpus file with an MCP adapter starts (`--listen NS=127.0.0.1:0` for each) and
/// lists exactly its declared tools, or fails with a diagnostic naming the file.
#[tokio::test(flavor = "multi_thread")]
async fn every_corpus_file_with_an_mcp_adapter_starts_and_lists_its_declared_tools() {
    let (mut started, mut failed, mut tools_listed, mut uncallable) = (0, 0, 0, 0);
    let mut files: Vec<_> = std::fs::read_dir("tests/fixtures/corpus")
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for file in files {
        if file.extension().and_then(|e| e.to_str()) != Some("yaml") {
            continue;
        }
        let shown = file.display().to_string();
        let Ok(cap) = naftiko::Capability::from_path(&file) else {
            continue;
        };
        let mcp: Vec<&naftiko::Adapter> = cap
            .adapters()
            .iter()
            .filter(|a| {
                *a.kind() == naftiko::AdapterKind::Mcp && a.transport() == naftiko::Transport::Http
            })
            .collect();
        if mcp.is_empty() {
            continue;
        }
        let mut argv = vec![shown.clone()];
        // `serve` also starts the file's REST adapters: on free ports too, one line each.
        let rest: Vec<&naftiko::Adapter> = cap
            .adapters()
            .iter()
            .filter(|a| *a.kind() == naftiko::AdapterKind::Rest)
            .collect();
        for a in mcp.iter().chain(&rest) {
            argv.push("--listen".into());
            argv.push(format!("{}=127.0.0.1:0", a.namespace()));
        }
        let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
        match serve(&argv, &[], mcp.len() + rest.len()) {
            Ok(s) => {
                started += 1;
                for a in &mcp {
                    let (code, text) = post(
                        &s.url(a.namespace()),
                        &[],
                        r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#,
                    )
                    .await;
                    if a.auth().is_some() {
                        assert_eq!(
                            code, 401,
                            "{shown}: adapter with authentication and no credential"
                        );
                        continue;
                    }
                    assert_eq!(code, 200, "{shown}: {text}");
                    let v: Value = serde_json::from_str(&text).unwrap();
                    let listed: Vec<&str> = v["result"]["tools"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|t| t["name"].as_str().unwrap())
                        .collect();
                    let declared: Vec<&str> =
                        a.tools().iter().map(|t| t.name()).take(100).collect();
                    assert_eq!(listed, declared, "{shown}");
                    tools_listed += listed.len();
                    uncallable += a.tools().iter().filter(|t| t.problem().is_some()).count();
                }
            }
            Err(stderr) => {
                failed += 1;
                assert!(
                    stderr.contains("error:") && stderr.contains(&shown),
                    "{shown}: {stderr}"
                );
            }
        }
    }
    println!("corpus MCP adapters: {started} files started, {failed} failed with a diagnostic, {tools_listed} tools listed, {uncallable} of them uncallable with a reason");
    assert!(started >= 40, "{started}");
}

/// Answers like a flaky upstream: every 10th request is a 500 that echoes the key, every 7th
/// is slow (150 ms), the rest are the user.
struct Flaky(std::sync::atomic::AtomicUsize);

impl wiremock::Respond for Flaky {
    fn respond(&self, _: &wiremock::Request) -> ResponseTemplate {
        let n = self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if n % 10 == 9 {
            return ResponseTemplate::new(500)
                .set_body_json(json!({"detail": format!("bad key {KEY}")}));
        }
        let ok = ResponseTemplate::new(200).set_body_json(json!({"user_id": "u-1"}));
        if n % 7 == 6 {
            ok.set_delay(std::time::Duration::from_millis(150))
        } else {
            ok
        }
    }
}

/// The peak resident set of a process, from /proc (Linux), in KiB.
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// 1,000 `tools/call`s in flight at once against a fault-injecting upstream: every one gets a
/// JSON-RPC result (a success or an `isError` result naming the status), none is lost, none
/// hangs, the key never shows. Ignored by default (`cargo test --test mcp -- --ignored`);
/// prints the wall time and the server's peak RSS for BENCHMARKS.md.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "load test: run with --ignored"]
async fn a_thousand_concurrent_tool_calls_against_a_flaky_upstream_all_get_an_answer() {
    install_tls();
    let upstream = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/user/u-1"))
        .respond_with(Flaky(Default::default()))
        .mount(&upstream)
        .await;
    let s = serve_seed(&upstream);
    let url = s.url("auto");
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(1024)
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let calls = (0..1000).map(|id| {
        let (client, url) = (client.clone(), url.clone());
        tokio::spawn(async move {
            let body = json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
                "params": {"name": "get_user_v2_user__user_id__get", "arguments": {"user_id": "u-1"}}});
            let r = client
                .post(&url)
                .header("accept", "application/json, text/event-stream")
                .json(&body)
                .timeout(std::time::Duration::from_secs(60))
                .send()
                .await
                .expect("answered within 60 s");
            let status = r.status().as_u16();
            (id, status, r.text().await.unwrap_or_default())
        })
    });
    let (mut ok, mut errors) = (0, 0);
    for handle in calls.collect::<Vec<_>>() {
        let (id, status, text) = handle.await.expect("the task ends");
        assert_eq!(status, 200, "call {id}: {text}");
        assert!(!text.contains(KEY), "call {id} shows the key: {text}");
        let v: Value = serde_json::from_str(&text).expect("plain JSON");
        assert_eq!(v["id"], id, "{v}");
        match v["result"]["isError"].as_bool() {
            Some(false) => ok += 1,
            Some(true) => {
                assert!(text.contains("500"), "call {id}: {text}");
                errors += 1
            }
            None => panic!("call {id} has no result: {v}"),
        }
    }
    let elapsed = started.elapsed();
    assert_eq!(ok + errors, 1000);
    let seen = upstream.received_requests().await.unwrap_or_default().len();
    assert!(seen >= 1000, "upstream saw {seen} requests");
    eprintln!(
        "1000 concurrent tools/call: {ok} ok, {errors} isError (after retries), {seen} upstream requests, {elapsed:?}, serve peak RSS {:?} KiB",
        peak_rss_kib(s.child.id())
    );
}

const EXTRAS: &str = "tests/fixtures/mcp/resources-prompts.yaml";

/// `naftiko mcp` on the resources-and-prompts fixture, its registry at `upstream`.
async fn extras_client(upstream: &MockServer) -> RunningService<RoleClient, ()> {
    let base = format!("registry={}", upstream.uri());
    stdio_client(&["mcp", EXTRAS, "--base-uri", &base], &[]).await
}

fn read_params(uri: &str) -> rmcp::model::ReadResourceRequestParams {
    rmcp::model::ReadResourceRequestParams::new(uri)
}

#[tokio::test(flavor = "multi_thread")]
async fn resources_list_folder_files_and_concrete_calls_and_templates_apart() {
    let upstream = MockServer::start().await;
    let client = extras_client(&upstream).await;
    let listed: Vec<(String, String, Option<String>)> = client
        .list_all_resources()
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.uri.clone(), r.name.clone(), r.mime_type.clone()))
        .collect();
    assert_eq!(
        listed,
        [
            (
                "docs://fleet/README.md".into(),
                "docs".into(),
                Some("text/markdown".into())
            ),
            (
                "docs://fleet/guides/inspect.md".into(),
                "docs".into(),
                Some("text/markdown".into())
            ),
            (
                "docs://fleet/prompt.md".into(),
                "docs".into(),
                Some("text/markdown".into())
            ),
            (
                "data://schema".into(),
                "schema".into(),
                Some("application/json".into())
            ),
        ]
    );
    let templates = client.list_all_resource_templates().await.unwrap();
    assert_eq!(templates.len(), 1);
    assert_eq!(templates[0].uri_template, "data://users/{userId}/profile");
    assert_eq!(templates[0].title.as_deref(), Some("User profile"));
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn reading_resources_gives_files_call_results_and_template_calls() {
    let upstream = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/schema"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"tables": ["ships"], "x": 1})),
        )
        .mount(&upstream)
        .await;
    Mock::given(method("GET"))
        .and(path("/users/u-7"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "u-7"})))
        .expect(1)
        .mount(&upstream)
        .await;
    let client = extras_client(&upstream).await;
    let text = |r: rmcp::model::ReadResourceResult| match &r.contents[0] {
        rmcp::model::ResourceContents::TextResourceContents { text, .. } => text.clone(),
        other => panic!("not text: {other:?}"),
    };
    let file = client
        .read_resource(read_params("docs://fleet/guides/inspect.md"))
        .await
        .unwrap();
    assert_eq!(text(file), "Inspect the hull first.\n");
    let schema = client
        .read_resource(read_params("data://schema"))
        .await
        .unwrap();
    assert_eq!(text(schema), r#"["ships"]"#);
    let user = client
        .read_resource(read_params("data://users/u-7/profile"))
        .await
        .unwrap();
    assert_eq!(text(user), r#"{"id":"u-7"}"#);
    for bad in [
        "docs://fleet/../secrets.yaml",
        "docs://fleet/missing.md",
        "data://users/a/b/profile",
        "nope://x",
    ] {
        let e = client.read_resource(read_params(bad)).await.unwrap_err();
        assert!(format!("{e:?}").contains("-32602"), "{bad}: {e:?}");
    }
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_resource_call_is_an_error_not_contents() {
    let upstream = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/users/u-0"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"error": "no user"})))
        .mount(&upstream)
        .await;
    let client = extras_client(&upstream).await;
    let e = client
        .read_resource(read_params("data://users/u-0/profile"))
        .await
        .unwrap_err();
    let shown = format!("{e:?}");
    assert!(shown.contains("-32603") && shown.contains("404"), "{shown}");
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn prompts_list_their_arguments_and_substitute_them_once() {
    let upstream = MockServer::start().await;
    let client = extras_client(&upstream).await;
    let prompts = client.list_all_prompts().await.unwrap();
    let names: Vec<&str> = prompts.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["outreach", "from-file"]);
    let args = prompts[0].arguments.as_ref().unwrap();
    assert_eq!(args[0].name, "participant_name");
    assert_eq!(args[0].required, Some(true));
    assert_eq!(args[1].required, Some(false));
    let get = |name: &str, a: Value| {
        let mut p = rmcp::model::GetPromptRequestParams::new(name);
        p.arguments = Some(args_obj(a));
        p
    };
    let missing = client
        .get_prompt(get("outreach", json!({"product_name": "X"})))
        .await
        .unwrap_err();
    assert!(format!("{missing:?}").contains("needs the argument `participant_name`"));
    let got = client
        .get_prompt(get(
            "outreach",
            json!({"participant_name": "{{product_name}}", "product_name": "Naftiko"}),
        ))
        .await
        .unwrap();
    let texts: Vec<String> = got
        .messages
        .iter()
        .map(|m| {
            serde_json::to_value(&m.content).unwrap()["text"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(texts, ["Write to {{product_name}} about Naftiko.", "Sure."]);
    let file = client
        .get_prompt(get("from-file", json!({"topic": "the hull"})))
        .await
        .unwrap();
    let text = serde_json::to_value(&file.messages[0].content).unwrap();
    assert_eq!(text["text"], "Summarise the hull for the crew.\n");
    client.cancel().await.unwrap();
}

fn args_obj(v: Value) -> JsonObject {
    args(v)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_without_resources_or_prompts_says_the_methods_do_not_exist() {
    let client = stdio_client(&["mcp", USERS], &[("VITAL_API_KEY", KEY)]).await;
    let info = client.peer_info().expect("server info");
    assert!(info.capabilities.prompts.is_none() && info.capabilities.resources.is_none());
    for e in [
        format!("{:?}", client.list_all_prompts().await.unwrap_err()),
        format!("{:?}", client.list_all_resources().await.unwrap_err()),
    ] {
        assert!(e.contains("-32601"), "{e}");
    }
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn with_templates_read_bound_variables_and_the_value_never_shows() {
    const KEY: &str = "rk-bound-secret-123";
    let upstream = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/ships/IMO-7"))
        .and(query_param("key", KEY))
        .and(header("label", "ship-IMO-7"))
        // The upstream echoes the key: the tool result must not.
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"imo": "IMO-7", "echo": KEY})),
        )
        .expect(1)
        .mount(&upstream)
        .await;
    let base = format!("registry={}", upstream.uri());
    let s = serve(
        &[
            "tests/fixtures/mcp/with-binds.yaml",
            "--listen",
            "tools=127.0.0.1:0",
            "--base-uri",
            &base,
        ],
        &[("REGISTRY_KEY", KEY)],
        1,
    )
    .unwrap();
    let client = http_client(&s.url("tools"), None).await;
    let r = call(&client, "get-ship", json!({"imo": "IMO-7"})).await;
    assert_eq!(r.is_error, Some(false), "{}", text_of(&r));
    let shown = format!("{:?}", r);
    assert!(shown.contains("IMO-7"), "{shown}");
    assert!(
        !shown.contains(KEY),
        "the bound key reached the tool result: {shown}"
    );
    client.cancel().await.unwrap();
}

/// A POST answered as SSE within a session: the JSON-RPC message with `id`.
async fn session_post(url: &str, session: Option<&str>, body: &str) -> (Option<String>, Value) {
    let mut req = reqwest::Client::new()
        .post(url)
        .header("accept", "application/json, text/event-stream")
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(s) = session {
        req = req.header("mcp-session-id", s);
    }
    let r = req.send().await.expect("the server answers");
    let id = r
        .headers()
        .get("mcp-session-id")
        .map(|v| v.to_str().unwrap().to_string());
    let text = r.text().await.unwrap_or_default();
    let message = text
        .lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .filter_map(|d| serde_json::from_str::<Value>(d.trim()).ok())
        .find(|m| m.get("id").is_some())
        .unwrap_or(Value::Null);
    (id, message)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_stateless_fast_path_answers_like_rmcp_in_a_session_and_statelessly() {
    install_tls();
    let upstream = users_upstream().await;
    let s = serve_seed(&upstream);
    let url = s.url("auto");
    let init = r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#;
    let (session, answer) = session_post(&url, None, init).await;
    assert!(answer.get("result").is_some(), "{answer}");
    let session = session.expect("a session id");
    let initialized = r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#;
    session_post(&url, Some(&session), initialized).await;
    let bodies = [
        r#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"get_user_v2_user__user_id__get","arguments":{"user_id":"u-1"}}}"#,
        r#"{"jsonrpc":"2.0","id":"four","method":"tools/list"}"#,
        r#"{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"nope","arguments":{}}}"#,
        r#"{"jsonrpc":"2.0","id":6,"method":"tools/list","params":{"cursor":"x"}}"#,
        r#"{"jsonrpc":"2.0","id":7,"method":"ping"}"#,
        // A result with `isError` (the required argument is missing), written the same.
        r#"{"jsonrpc":"2.0","id":"eight","method":"tools/call","params":{"name":"get_user_v2_user__user_id__get","arguments":{}}}"#,
    ];
    for body in bodies {
        let (code, text) = post(&url, &[("content-type", "application/json")], body).await;
        assert_eq!(code, 200, "{body}: {text}");
        let fast: Value = serde_json::from_str(&text).expect("plain JSON");
        // An Origin header sends the same request through rmcp's stateless service.
        let (code, text) = post(&url, &[("origin", "http://localhost:1")], body).await;
        assert_eq!(code, 200, "{body}: {text}");
        let stateless: Value = serde_json::from_str(&text).expect("plain JSON");
        let (_, in_session) = session_post(&url, Some(&session), body).await;
        assert_eq!(fast, stateless, "{body}");
        assert_eq!(fast, in_session, "{body}");
        assert!(fast.get("result").is_some() || fast.get("error").is_some());
    }
    let (_, text) = post(&url, &[], bodies[2]).await;
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["error"]["code"], -32602, "{v}");
    assert_eq!(v["error"]["message"], "Unknown tool: nope", "{v}");
}

/// `naftiko mcp` as a child speaking raw lines: what goes in, what comes out.
struct StdioLines {
    child: tokio::process::Child,
    input: tokio::process::ChildStdin,
    output: tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStdout>>,
}

impl StdioLines {
    fn start(argv: &[&str], env: &[(&str, &str)]) -> StdioLines {
        let mut cmd = tokio::process::Command::from(command(argv));
        cmd.envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        let mut child = cmd.spawn().expect("naftiko mcp starts");
        let input = child.stdin.take().unwrap();
        let output = tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(
            child.stdout.take().unwrap(),
        ));
        StdioLines {
            child,
            input,
            output,
        }
    }

    async fn send(&mut self, line: &str) {
        use tokio::io::AsyncWriteExt;
        self.input.write_all(line.as_bytes()).await.unwrap();
        self.input.write_all(b"\n").await.unwrap();
    }

    /// The next line within `secs`, as JSON (`None` on a timeout).
    async fn next(&mut self, secs: f64) -> Option<Value> {
        let wait = std::time::Duration::from_secs_f64(secs);
        let line = tokio::time::timeout(wait, self.output.next_line())
            .await
            .ok()?;
        Some(serde_json::from_str(&line.unwrap().expect("a line")).expect("JSON"))
    }

    /// The answers to `n` requests, by id (they may come in any order).
    async fn answers(&mut self, n: usize) -> std::collections::HashMap<String, Value> {
        let mut by_id = std::collections::HashMap::new();
        for _ in 0..n {
            let mut v = self.next(10.0).await.expect("an answer");
            let id = v["id"].take().to_string();
            by_id.insert(id, v);
        }
        by_id
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn stdio_answers_plain_requests_like_rmcp_and_drops_a_cancelled_call() {
    let upstream = users_upstream().await;
    Mock::given(method("GET"))
        .and(path("/v2/user/slow"))
        .respond_with(ResponseTemplate::new(200).set_delay(std::time::Duration::from_millis(1500)))
        .expect(1)
        .mount(&upstream)
        .await;
    let base = format!("--base-uri={}", upstream.uri());
    let mut s = StdioLines::start(&["mcp", USERS, &base], &[("VITAL_API_KEY", KEY)]);
    s.send(r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#).await;
    let init = s.next(10.0).await.expect("initialize is answered");
    assert_eq!(init["result"]["protocolVersion"], "2025-11-25", "{init}");
    s.send(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
        .await;
    // Each request plain (answered by the fast path) and with `_meta` (left to rmcp).
    let call = r#""name":"get_user_v2_user__user_id__get","arguments":{"user_id":"u-1"}"#;
    let missing = r#""name":"get_user_v2_user__user_id__get","arguments":{}"#;
    let pairs = [
        format!(r#""method":"tools/call","params":{{{call}}}"#),
        format!(r#""method":"tools/call","params":{{{missing}}}"#),
        r#""method":"tools/call","params":{"name":"nope","arguments":{}}"#.to_string(),
        r#""method":"tools/list""#.to_string(),
        r#""method":"tools/list","params":{"cursor":"x"}"#.to_string(),
    ];
    for (i, p) in pairs.iter().enumerate() {
        s.send(&format!(r#"{{"jsonrpc":"2.0","id":"fast-{i}",{p}}}"#))
            .await;
        let with_meta = match p.contains("params") {
            true => p.replacen(
                "\"params\":{",
                "\"params\":{\"_meta\":{\"progressToken\":\"p\"},",
                1,
            ),
            false => format!(r#"{p},"params":{{"_meta":{{"progressToken":"p"}}}}"#),
        };
        s.send(&format!(
            r#"{{"jsonrpc":"2.0","id":"rmcp-{i}",{with_meta}}}"#
        ))
        .await;
    }
    let answers = s.answers(2 * pairs.len()).await;
    for i in 0..pairs.len() {
        let fast = &answers[&format!("\"fast-{i}\"")];
        assert_eq!(fast, &answers[&format!("\"rmcp-{i}\"")], "{}", pairs[i]);
        assert!(fast.get("result").is_some() || fast.get("error").is_some());
    }
    assert_eq!(answers["\"fast-0\""]["result"]["isError"], false);
    assert_eq!(answers["\"fast-2\""]["error"]["code"], -32602);
    // A cancelled call gets no answer; the session goes on.
    s.send(r#"{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"get_user_v2_user__user_id__get","arguments":{"user_id":"slow"}}}"#).await;
    for _ in 0..100 {
        if !upstream
            .received_requests()
            .await
            .unwrap()
            .iter()
            .all(|r| r.url.path() != "/v2/user/slow")
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    s.send(r#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":9}}"#)
        .await;
    s.send(r#"{"jsonrpc":"2.0","id":10,"method":"ping"}"#).await;
    let pong = s.next(10.0).await.expect("ping is answered");
    assert_eq!(pong, json!({"jsonrpc": "2.0", "id": 10, "result": {}}));
    assert_eq!(s.next(2.0).await, None, "the cancelled call was answered");
    // A line past the limit is refused by name and skipped.
    let huge = format!(
        r#"{{"jsonrpc":"2.0","id":11,"method":"ping","params":{{"pad":"{}"}}}}"#,
        "x".repeat(5 << 20)
    );
    s.send(&huge).await;
    let refused = s.next(10.0).await.expect("the long line is answered");
    assert_eq!(refused["error"]["code"], -32600, "{refused}");
    assert!(refused["error"]["message"]
        .as_str()
        .unwrap()
        .contains("longer than"));
    s.send(r#"{"jsonrpc":"2.0","id":12,"method":"ping"}"#).await;
    assert_eq!(s.next(10.0).await.unwrap()["id"], 12);
    drop(s.input);
    let status = tokio::time::timeout(std::time::Duration::from_secs(10), s.child.wait()).await;
    assert!(
        status.unwrap().unwrap().success(),
        "exit 0 when stdin closes"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_http_answers_drops_a_client_that_never_finishes_its_head_and_stops_on_shutdown() {
    use std::time::Duration;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let cap = naftiko::Capability::from_path(USERS).unwrap();
    // Port 9 (discard) on loopback: no call leaves the machine (none is made here).
    let rt = naftiko::Runtime::builder(cap)
        .base_uri("users", "http://127.0.0.1:9")
        .build()
        .unwrap();
    let server = naftiko::McpServer::new(rt, Default::default()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut options = naftiko::HttpOptions::default();
    options.header_timeout = Duration::from_millis(300);
    let stop = options.shutdown.clone();
    let served = tokio::spawn(async move { server.serve_http(listener, options).await });
    let list = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#;
    let url = format!("http://{addr}/mcp");
    let (code, text) = post(&url, &[("content-type", "application/json")], list).await;
    assert_eq!(code, 200, "{text}");
    assert!(text.contains("get_user_v2_user__user_id__get"), "{text}");
    let mut slow = tokio::net::TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .await
        .unwrap();
    let mut buf = Vec::new();
    let ended = tokio::time::timeout(Duration::from_secs(5), slow.read_to_end(&mut buf)).await;
    assert!(ended.is_ok(), "a half-sent head kept its connection open");
    assert!(!String::from_utf8_lossy(&buf).contains("200 OK"));
    stop.cancel();
    let done = tokio::time::timeout(Duration::from_secs(5), served).await;
    assert!(
        matches!(done, Ok(Ok(Ok(())))),
        "serve_http returns once shut down"
    );
}
