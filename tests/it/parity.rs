//! Upstream's tutorial suite (`tests/fixtures/naftiko/parity/tests.yml`, the 33 cases
//! naftiko/framework's CI runs on its own engine), one test per case. Each case starts
//! `naftiko serve` on the tutorial capability (unchanged: the consumed APIs are pointed at the
//! local Microcks stand-in with `--base-uri`, where upstream patches `baseUri` with yq),
//! makes the call the case names, and evaluates every `jq` assertion with jaq, as
//! `jq -e` would (the last output must be neither `false` nor `null`).
//!
//! An MCP case runs twice: through rmcp's client (initialize, session, `tools/call`), and
//! as upstream's CI sends it: one bare JSON-RPC POST on `/`, `Accept: */*`, no initialize,
//! no session. Both must give a result without `isError` whose first text is the JSON the
//! assertions read.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};

use rmcp::model::CallToolRequestParams;
use rmcp::service::RunningService;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::{RoleClient, ServiceExt};
use serde_json::Value;

use crate::support::bin::command;
use crate::support::microcks::Microcks;

const TUTORIAL: &str = "tests/fixtures/naftiko/tutorial";
const CASES: &str = "tests/fixtures/naftiko/parity/tests.yml";
/// `mcp-server-token` in the tutorial's `shared/secrets.yaml`.
const MCP_TOKEN: &str = "sk-mcp-YYYYYYYYYYYY";
/// Consumed namespace → the mocked API upstream's CI points it at.
const APIS: [(&str, &str); 2] = [
    ("registry", "naftiko-shipyard-maritime-registry-api"),
    ("legacy", "naftiko-shipyard-legacy-dockyard-api"),
];

fn case(name: &str) -> Value {
    let text = std::fs::read_to_string(CASES).expect("run from the crate root");
    let all = naftiko::__bench::parse_tree(&text).unwrap().to_json();
    all["tests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no case `{name}` in {CASES}"))
        .clone()
}

struct Served {
    child: Child,
    ready: Vec<Value>,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Served {
    /// The `/mcp` URL the readiness line of adapter `ns` announces.
    fn url(&self, ns: &str) -> String {
        let r = self.ready.iter().find(|r| r["namespace"] == ns);
        r.unwrap_or_else(|| panic!("adapter `{ns}` is not ready: {:?}", self.ready))["url"]
            .as_str()
            .unwrap()
            .to_string()
    }
}

/// `naftiko serve FILE` with every HTTP adapter (MCP, REST, skill, control) on a free port and every consumed API on
/// the mock; waits for one readiness line per served adapter.
fn serve(file: &str, mock: &Microcks) -> Served {
    let path = format!("{TUTORIAL}/{file}");
    let cap = naftiko::Capability::from_path(&path).expect("the tutorial file loads");
    let mut args = vec!["serve".to_string(), path];
    let mut adapters = 0;
    for a in cap.adapters() {
        // Every served adapter on a free port (tests run in parallel on the same files).
        use naftiko::AdapterKind::{Control, Mcp, Rest, Skill};
        if a.transport() == naftiko::Transport::Http
            && matches!(a.kind(), Mcp | Rest | Control | Skill)
        {
            args.push(format!("--listen={}=127.0.0.1:0", a.namespace()));
            adapters += 1;
        }
    }
    for ns in cap.namespaces() {
        let (_, title) = APIS.iter().find(|(n, _)| *n == ns).expect("a mocked API");
        args.push(format!("--base-uri={ns}={}", mock.base_uri(title)));
    }
    let mut cmd = command();
    cmd.args(&args).stdout(Stdio::piped()).stderr(Stdio::null());
    let mut child = cmd.spawn().expect("naftiko starts");
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut ready = Vec::new();
    while ready.len() < adapters {
        let mut line = String::new();
        assert!(
            out.read_line(&mut line).unwrap_or(0) > 0,
            "naftiko serve {args:?} exited before it was ready"
        );
        ready.push(serde_json::from_str::<Value>(&line).expect("a JSON readiness line"));
    }
    Served { child, ready }
}

/// `jq -e RULE` over `data`: true when the last output is neither `false` nor `null`.
fn jq(rule: &str, data: &Value) -> bool {
    use jaq_core::load::{Arena, File, Loader};
    use jaq_core::{data as jdata, unwrap_valr, Compiler, Ctx, Vars};
    use jaq_json::{read, Val};

    let input = read::parse_single(data.to_string().as_bytes()).expect("JSON for jaq");
    let defs = jaq_core::defs()
        .chain(jaq_std::defs())
        .chain(jaq_json::defs());
    let funs = jaq_core::funs()
        .chain(jaq_std::funs())
        .chain(jaq_json::funs());
    let arena = Arena::default();
    let modules = Loader::new(defs)
        .load(
            &arena,
            File {
                code: rule,
                path: (),
            },
        )
        .unwrap_or_else(|e| panic!("jq rule `{rule}` does not parse: {e:?}"));
    let filter = Compiler::default()
        .with_funs(funs)
        .compile(modules)
        .unwrap_or_else(|e| panic!("jq rule `{rule}` does not compile: {e:?}"));
    let ctx = Ctx::<jdata::JustLut<Val>>::new(&filter.lut, Vars::new([]));
    let mut last = None;
    for v in filter.id.run((ctx, input)).map(unwrap_valr) {
        last = Some(v.unwrap_or_else(|e| panic!("jq rule `{rule}` fails on {data}: {e:?}")));
    }
    matches!(last, Some(v) if v != Val::Null && v != Val::from(false))
}

fn check(case: &Value, data: &Value, how: &str) {
    for v in case["validations"].as_array().unwrap() {
        let rule = v["jq"].as_str().unwrap();
        assert!(
            jq(rule, data),
            "{} ({how}): `{rule}` does not hold on {data}",
            case["name"]
        );
    }
}

/// The data the CI reads from a tool result: `isError` must be false, and the first
/// content block's text, parsed as JSON.
fn tool_data(result: &Value, how: &str) -> Value {
    assert_ne!(result["isError"], true, "{how}: the tool failed: {result}");
    let text = result["content"][0]["text"]
        .as_str()
        .unwrap_or_else(|| panic!("{how}: no text content: {result}"));
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{how}: not JSON ({e}): {text}"))
}

async fn rmcp_client(url: &str) -> RunningService<RoleClient, ()> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let config =
        StreamableHttpClientTransportConfig::with_uri(url.to_string()).auth_header(MCP_TOKEN);
    let transport = StreamableHttpClientTransport::with_client(reqwest::Client::new(), config);
    ().serve(transport).await.expect("the client initialises")
}

async fn run_mcp(case: &Value) {
    let mock = Microcks::start().await;
    let served = serve(case["file"].as_str().unwrap(), &mock);
    let url = served.url("shipyard-tools");
    let tool = case["tool"].as_str().unwrap().to_string();
    let args = case["args"].as_object().cloned().unwrap_or_default();

    // 1. A real MCP client.
    let client = rmcp_client(&url).await;
    let result = client
        .call_tool(CallToolRequestParams::new(tool.clone()).with_arguments(args.clone()))
        .await
        .expect("tools/call answers");
    let result = serde_json::to_value(&result).unwrap();
    check(case, &tool_data(&result, "rmcp client"), "rmcp client");
    client.cancel().await.unwrap();

    // 2. As upstream's CI: one bare POST on `/`.
    let root = url.trim_end_matches("/mcp").to_string() + "/";
    let body = serde_json::json!({
        "jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": tool, "arguments": args},
    });
    let response = reqwest::Client::new()
        .post(&root)
        .header("content-type", "application/json")
        .header("accept", "*/*")
        .bearer_auth(MCP_TOKEN)
        .body(body.to_string())
        .send()
        .await
        .expect("the bare POST is answered");
    assert!(response.status().is_success(), "{}", response.status());
    let answer: Value = response.json().await.expect("a JSON-RPC answer");
    check(
        case,
        &tool_data(&answer["result"], "bare JSON-RPC POST"),
        "bare JSON-RPC POST",
    );
    drop(served);
}

async fn run_rest(case: &Value) {
    let mock = Microcks::start().await;
    let file = case["file"].as_str().unwrap();
    let served = serve(file, &mock);
    // The adapter the case's port names in the file (it is served on a free port).
    let port = case["port"].as_u64().unwrap();
    let cap = naftiko::Capability::from_path(format!("{TUTORIAL}/{file}")).unwrap();
    let ns = cap
        .adapters()
        .iter()
        .find(|a| a.port().map(u64::from) == Some(port))
        .unwrap_or_else(|| panic!("no adapter declares port {port} in {file}"))
        .namespace();
    let base = served.url(ns).trim_end_matches('/').to_string();
    let url = format!("{base}{}", case["path"].as_str().unwrap());
    let client = reqwest::Client::new();
    let response = match case["method"].as_str().unwrap() {
        "GET" => client.get(&url).send().await,
        m => {
            client
                .request(m.parse().unwrap(), &url)
                .header("content-type", "application/json")
                .body(case["body"].to_string())
                .send()
                .await
        }
    }
    .expect("the REST adapter answers");
    let data: Value = response.json().await.expect("a JSON body");
    check(case, &data, "REST");
}

async fn run(name: &str) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let c = case(name);
    match c["type"].as_str().unwrap_or("mcp") {
        "rest" => run_rest(&c).await,
        _ => run_mcp(&c).await,
    }
}

macro_rules! parity {
    ($($(#[$attr:meta])* $test:ident = $name:literal;)*) => {$(
        $(#[$attr])*
        #[tokio::test(flavor = "multi_thread")]
        async fn $test() {
            run($name).await;
        }
    )*};
}

parity! {
    step1_get_ship = "step1-get-ship";
    step2_list_ships = "step2-list-ships";
    step2_list_ships_filter = "step2-list-ships-filter";
    step2_get_ship = "step2-get-ship";
    step3_list_ships = "step3-list-ships";
    step3_get_ship = "step3-get-ship";
    step4_get_ship_shaped = "step4-get-ship-shaped";
    step5_list_ships = "step5-list-ships";
    step5_list_legacy_vessels = "step5-list-legacy-vessels";
    step6_list_ships = "step6-list-ships";
    step6_list_legacy_vessels = "step6-list-legacy-vessels";
    step6_create_voyage = "step6-create-voyage";
    step7_get_ship_with_crew = "step7-get-ship-with-crew";
    step7_create_voyage = "step7-create-voyage";
    step8_list_ships = "step8-list-ships";
    step8_get_ship_with_crew = "step8-get-ship-with-crew";
    step8_create_voyage = "step8-create-voyage";
    step8_skill_fleet_ops = "step8-skill-fleet-ops";
    step9_list_ships = "step9-list-ships";
    step9_get_ship_with_crew = "step9-get-ship-with-crew";
    step9_create_voyage = "step9-create-voyage";
    step10_mcp_list_ships = "step10-mcp-list-ships";
    step10_rest_list_ships = "step10-rest-list-ships";
    step10_rest_get_ship = "step10-rest-get-ship";
    step10_rest_get_ship_with_crew = "step10-rest-get-ship-with-crew";
    step10_rest_list_legacy_vessels = "step10-rest-list-legacy-vessels";
    step10_rest_create_voyage = "step10-rest-create-voyage";
    step11_mcp_list_ships = "step11-mcp-list-ships";
    step11_mcp_get_voyage_manifest = "step11-mcp-get-voyage-manifest";
    step11_rest_list_ships = "step11-rest-list-ships";
    step11_rest_get_ship = "step11-rest-get-ship";
    step11_rest_create_voyage = "step11-rest-create-voyage";
    step11_rest_voyage_manifest = "step11-rest-voyage-manifest";
}

/// The mock itself: dispatch as Microcks does, so a parity failure is the runtime's.
#[tokio::test(flavor = "multi_thread")]
async fn the_microcks_stand_in_dispatches_by_query_path_segment_and_script() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mock = Microcks::start().await;
    let reg = mock.base_uri("naftiko-shipyard-maritime-registry-api");
    let legacy = mock.base_uri("naftiko-shipyard-legacy-dockyard-api");
    let c = reqwest::Client::new();
    let get = |u: String| {
        let c = c.clone();
        async move { c.get(u).send().await.unwrap() }
    };
    let all: Value = get(format!("{reg}/ships")).await.json().await.unwrap();
    assert_eq!(all.as_array().unwrap().len(), 2);
    let active: Value = get(format!("{reg}/ships?status=active"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(active[0]["imo_number"], "IMO-9321483");
    assert_eq!(active.as_array().unwrap().len(), 1);
    let ship: Value = get(format!("{reg}/ships/IMO-9456781"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ship["gross_tonnage"], 55000);
    assert_eq!(get(format!("{reg}/ships/IMO-0")).await.status(), 404);
    let created = c
        .post(format!("{reg}/voyages"))
        .body(r#"{"shipImo":"IMO-1","departurePort":"Oslo"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["shipImo"], "IMO-1");
    assert_eq!(created["departurePort"], "Oslo");
    assert_eq!(created["voyageId"], "VOY-2026-042");
    let vessels = get(format!("{legacy}/vessels")).await;
    assert_eq!(vessels.headers()["content-type"], "application/xml");
    assert!(vessels.text().await.unwrap().contains("LEGACY-2087"));
    let seen = mock.seen();
    assert_eq!(seen.len(), 6);
    assert_eq!(
        (seen[4].method.as_str(), seen[4].uri.as_str()),
        (
            "POST",
            "/rest/naftiko-shipyard-maritime-registry-api/1.0.0-alpha2/voyages"
        )
    );
    assert!(seen[4].headers.get("authorization").is_none());
    assert_eq!(
        seen[4].body,
        br#"{"shipImo":"IMO-1","departurePort":"Oslo"}"#
    );
}

async fn call_bare(url: &str, tool: &str, args: Value) -> Value {
    let root = url.trim_end_matches("/mcp").to_string() + "/";
    let body = serde_json::json!({
        "jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": tool, "arguments": args},
    });
    let _ = rustls::crypto::ring::default_provider().install_default();
    let r = reqwest::Client::new()
        .post(&root)
        .header("content-type", "application/json")
        .bearer_auth(MCP_TOKEN)
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    r.json::<Value>().await.unwrap()["result"].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_step_stops_the_chain_with_an_error_naming_the_step() {
    let mock = Microcks::start().await;
    let served = serve("step-7-shipyard-orchestrated-lookup.yml", &mock);
    let r = call_bare(
        &served.url("shipyard-tools"),
        "get-ship-with-crew",
        serde_json::json!({"imo": "IMO-0000000"}),
    )
    .await;
    assert_eq!(r["isError"], true, "{r}");
    let data: Value = serde_json::from_str(r["content"][0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(
        data["error"], "step `get-ship` failed: the API answered HTTP 404",
        "{data}"
    );
    assert_eq!(data["step"], "get-ship");
    assert_eq!(data["body"]["error"], "not_found");
    // The chain stopped: the crew was never listed.
    let seen = mock.seen();
    assert!(seen.iter().all(|s| !s.uri.ends_with("/crew")), "{seen:?}");
    assert_eq!(seen.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn lookups_and_dotted_mappings_assemble_the_voyage_manifest_from_four_calls() {
    let mock = Microcks::start().await;
    let served = serve("step-11-shipyard-fleet-manifest.yml", &mock);
    let r = call_bare(
        &served.url("shipyard-tools"),
        "get-voyage-manifest",
        serde_json::json!({"voyageId": "VOY-2026-042"}),
    )
    .await;
    let data = tool_data(&r, "bare");
    assert_eq!(
        data["route"],
        serde_json::json!({"from": "Oslo", "to": "Singapore"})
    );
    // `resolve-ship` matches `imo-number`, which exists only because the consumed
    // `list-ships` projects it onto every element of the array.
    assert_eq!(
        data["ship"],
        serde_json::json!({"name": "Northern Star", "type": "cargo", "flag": "NO"})
    );
    let crew: Vec<&str> = data["crew"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["fullName"].as_str().unwrap())
        .collect();
    assert_eq!(crew.len(), 2, "{data}");
    assert_eq!(
        data["crew"][0].as_object().unwrap().len(),
        2,
        "only the listed fields"
    );
    assert_eq!(data["cargo"][0]["description"], "Electronics components");
    let paths: Vec<String> = mock.seen().iter().map(|s| s.uri.clone()).collect();
    assert_eq!(paths.len(), 4, "{paths:?}");
    assert!(paths[0].ends_with("/voyages/VOY-2026-042"), "{paths:?}");
    // The upstream's bearer token (from the binds file) reached every call.
    for s in mock.seen() {
        assert_eq!(s.headers["authorization"], "Bearer REGISTRY_TOKEN");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_ref_tool_takes_the_functions_inputs_and_its_semantics_as_hints() {
    let mock = Microcks::start().await;
    let served = serve("step-9-shipyard-aggregates.yml", &mock);
    let client = rmcp_client(&served.url("shipyard-tools")).await;
    let tools = client.list_all_tools().await.unwrap();
    let t = tools
        .iter()
        .find(|t| t.name == "get-ship-with-crew")
        .unwrap();
    let a = t.annotations.as_ref().unwrap();
    // safe: true → read-only, not destructive; idempotent copied.
    assert_eq!(
        (a.read_only_hint, a.destructive_hint, a.idempotent_hint),
        (Some(true), Some(false), Some(true))
    );
    assert_eq!(t.input_schema["required"], serde_json::json!(["imo"]));
    client.cancel().await.unwrap();
}

#[test]
fn an_unknown_ref_and_a_script_step_are_located_load_errors() {
    for (file, line, words) in [
        (
            "tests/fixtures/naftiko/test-resources/aggregates/aggregate-invalid-ref.yaml",
            ":32:11: error: ",
            "tool `bad-tool`: `ref: unknown.nonexistent` names no aggregate function; functions: data.read-items",
        ),
        (
            "tests/fixtures/naftiko/examples/script-step.yml",
            ":53:15: error: ",
            "step `filter-active`: `script` steps are not supported by this runtime",
        ),
    ] {
        let e = naftiko::Capability::from_path(file).unwrap_err().to_string();
        assert!(e.contains(&format!("{file}{line}{words}")), "{e}");
    }
}
