//! The `naftiko` binary, run for real: every command, every exit code, `--dry-run` snapshots
//! of the 19 Users operations, `--curl` redaction, and `call` against a mock server on
//! 127.0.0.1 (wiremock). No test sends anything to any other address.

use crate::support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{json, Value};
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const USERS: &str = "specs/vital/users.yaml";
const PROD: &str = "https://api.us.junction.com";

use support::bin::{naftiko, run, run_cmd};
use support::vital::{self, KEY, U};

fn tmp_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("cli")
        .join(name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

// ---------------------------------------------------------------------------------------
// The 19 Users operations of the SDK oracle (`support::vital`), as command lines.

/// One oracle case as `naftiko call` arguments.
struct Case {
    op: &'static str,
    args: Vec<String>,
    method: &'static str,
    target: String,
    body: Value,
}

/// The order id the `--dry-run` snapshots were recorded with (the oracle table has another;
/// both are arbitrary UUIDs). Kept so that the snapshots stay as recorded.
const SNAPSHOT_ORDER_ID: &str = "0a4e8a3c-5b6d-4e7f-8a9b-0c1d2e3f4a5b";

fn users_cases() -> Vec<Case> {
    vital::cases()
        .into_iter()
        .map(|c| {
            let mut body = c.body.unwrap_or(Value::Null);
            if let Some(id) = body.get_mut("order_id") {
                *id = json!(SNAPSHOT_ORDER_ID);
            }
            let mut args: Vec<String> = Vec::new();
            for (name, value) in c.args.as_object().expect("the arguments are an object") {
                match value {
                    _ if name == "body" => {}
                    Value::String(text) => args.push(format!("{name}={text}")),
                    other => args.push(format!("{name}={other}")),
                }
            }
            // Bodies go in as `--body JSON` for create/patch and as `body:=JSON` for the
            // others, so both spellings are covered by the snapshots.
            if !body.is_null() {
                if c.op.starts_with("create_user_v2") || c.op.starts_with("patch_user") {
                    args.push("--body".into());
                    args.push(body.to_string());
                } else {
                    args.push(format!("body:={body}"));
                }
            }
            Case {
                op: c.op,
                args,
                method: c.method,
                target: c.target,
                body,
            }
        })
        .collect()
}

fn call_args<'a>(c: &'a Case, extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec!["call", USERS, c.op];
    v.extend(c.args.iter().map(String::as_str));
    v.extend_from_slice(extra);
    v
}

#[test]
fn dry_run_prints_one_json_object_per_users_operation_matching_the_sdk_oracle() {
    let cases = users_cases();
    assert_eq!(cases.len(), 19);
    for c in &cases {
        let without_key = run(call_args(c, &["--dry-run"]));
        assert_eq!(
            without_key.code,
            Some(0),
            "{}: {}",
            c.op,
            without_key.stderr
        );
        assert_eq!(
            without_key.stdout.lines().count(),
            1,
            "one compact JSON line when not a TTY"
        );
        let req = without_key.json();

        // The SDK oracle: method, target and body.
        assert_eq!(req["method"], c.method, "{}", c.op);
        assert_eq!(req["url"], format!("{PROD}{}", c.target), "{}", c.op);
        assert_eq!(req["body"], c.body, "{}", c.op);
        assert_eq!(req["headers"]["x-vital-api-key"], "***", "{}", c.op);

        // With the key set, the output is the same bytes: the key never shows.
        let with_key = run_cmd(
            naftiko()
                .args(call_args(c, &["--dry-run"]))
                .env("VITAL_API_KEY", KEY),
        );
        assert_eq!(with_key.code, Some(0), "{}: {}", c.op, with_key.stderr);
        assert_eq!(with_key.stdout, without_key.stdout, "{}", c.op);
        assert!(!with_key.stdout.contains(KEY) && !with_key.stderr.contains(KEY));

        let command_line = format!("naftiko {}", call_args(c, &["--dry-run"]).join(" "));
        let mut settings = support::snapshots();
        settings.set_description(command_line);
        settings.set_omit_expression(true);
        settings.bind(|| {
            insta::assert_json_snapshot!(format!("cli__dry_run_{}", c.op), req);
        });
    }
}

#[test]
fn curl_never_contains_the_key_value_only_a_shell_variable() {
    for c in users_cases() {
        let out = run_cmd(
            naftiko()
                .args(call_args(&c, &["--curl"]))
                .env("VITAL_API_KEY", KEY),
        );
        assert_eq!(out.code, Some(0), "{}: {}", c.op, out.stderr);
        assert!(
            !out.stdout.contains(KEY) && !out.stderr.contains(KEY),
            "{}: key leaked",
            c.op
        );
        assert!(
            out.stdout.contains("${VITAL_API_KEY}"),
            "{}: {}",
            c.op,
            out.stdout
        );
        assert!(out.stdout.starts_with("curl "), "{}", out.stdout);
        assert!(out.stdout.contains(&c.target), "{}: {}", c.op, out.stdout);
    }
    let get = run([
        "call",
        USERS,
        "get_user_v2_user__user_id__get",
        &format!("user_id={U}"),
        "--curl",
    ]);
    assert_eq!(
        get.stdout,
        format!("curl '{PROD}/v2/user/{U}' -H \"x-vital-api-key: ${{VITAL_API_KEY}}\"\n")
    );
}

// ---------------------------------------------------------------------------------------
// `call` over real HTTP, against wiremock on 127.0.0.1.

async fn server() -> MockServer {
    let s = MockServer::start().await;
    assert!(s.uri().starts_with("http://127.0.0.1:"), "{}", s.uri());
    s
}

fn user() -> Value {
    json!({"user_id": U, "team_id": "56bd81c9-6219-4000-a775-ae85526eba18", "client_user_id": "client-user-42",
           "created_on": "2024-01-01T00:00:00+00:00", "connected_sources": [], "fallback_time_zone": null,
           "fallback_birth_date": null, "ingestion_start": null, "ingestion_end": null})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_prints_the_mapped_output_of_a_successful_call() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path(format!("/v2/user/{U}")))
        .and(header("x-vital-api-key", KEY))
        .respond_with(ResponseTemplate::new(200).set_body_json(user()))
        .expect(1)
        .mount(&s)
        .await;
    let out = run_cmd(
        naftiko()
            .args([
                "call",
                USERS,
                "get_user_v2_user__user_id__get",
                &format!("user_id={U}"),
                "--base-uri",
                &s.uri(),
            ])
            .env("VITAL_API_KEY", KEY),
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.json(), json!({"result": user()}));
    assert_eq!(
        out.stdout.lines().count(),
        1,
        "compact JSON when stdout is not a TTY"
    );
    assert_eq!(out.stderr, "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http_422_exits_3_and_still_prints_the_error_body_on_stdout() {
    let s = server().await;
    let detail = json!({"detail": [{"type": "missing", "loc": ["body", "client_user_id"], "msg": "Field required", "input": {}}]});
    Mock::given(method("POST"))
        .and(path("/v2/user"))
        .respond_with(ResponseTemplate::new(422).set_body_json(detail.clone()))
        .expect(2)
        .mount(&s)
        .await;
    let out = run_cmd(
        naftiko()
            .args([
                "call",
                USERS,
                "create_user_v2_user_post",
                "body:={}",
                "--base-uri",
                &s.uri(),
            ])
            .env("VITAL_API_KEY", KEY),
    );
    assert_eq!(out.code, Some(3), "{}", out.stderr);
    assert_eq!(out.json(), detail);
    assert!(
        out.stderr
            .starts_with("error: operation `users.create_user_v2_user_post`: HTTP 422"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("body.client_user_id: Field required"),
        "{}",
        out.stderr
    );

    // The same with -v (the path that sends a prepared request itself): the status line
    // goes to stderr, the body still to stdout, the exit code is still 3.
    let verbose = run_cmd(
        naftiko()
            .args(["call", USERS, "create_user_v2_user_post", "body:={}", "-v"])
            .args(["--base-uri", &s.uri()])
            .env("VITAL_API_KEY", KEY),
    );
    assert_eq!(verbose.code, Some(3), "{}", verbose.stderr);
    assert_eq!(verbose.json(), detail);
    assert!(
        verbose
            .stderr
            .contains("> {}\n< 422 Unprocessable Entity\n"),
        "{}",
        verbose.stderr
    );
}

#[test]
fn base_uri_needs_a_namespace_when_the_capability_consumes_several_apis() {
    let dir = tmp_dir("two-namespaces");
    std::fs::write(
        dir.join("two.yaml"),
        "naftiko: 1.0.0-alpha2\ncapability:\n  consumes:\n  - type: http\n    namespace: alpha\n    baseUri: https://alpha.example\n    resources:\n    - name: things\n      path: /things\n      operations:\n      - name: list_things\n        method: GET\n  - type: http\n    namespace: beta\n    baseUri: https://beta.example\n    resources:\n    - name: items\n      path: /items\n      operations:\n      - name: list_items\n        method: GET\n",
    )
    .unwrap();
    let plain = run_cmd(naftiko().current_dir(&dir).args([
        "call",
        "two.yaml",
        "list_items",
        "--dry-run",
        "--base-uri",
        "http://127.0.0.1:9",
    ]));
    assert_eq!(plain.code, Some(1));
    assert!(
        plain
            .stderr
            .contains("names no namespace, and the capability consumes several: alpha, beta"),
        "{}",
        plain.stderr
    );
    let named = run_cmd(naftiko().current_dir(&dir).args([
        "call",
        "two.yaml",
        "list_items",
        "--dry-run",
        "--base-uri",
        "beta=http://127.0.0.1:9/v1",
        "--base-uri",
        "alpha=http://127.0.0.1:8",
    ]));
    assert_eq!(named.code, Some(0), "{}", named.stderr);
    assert_eq!(named.json()["url"], "http://127.0.0.1:9/v1/items");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_204_prints_a_null_result() {
    let s = server().await;
    Mock::given(method("PATCH"))
        .and(path(format!("/v2/user/{U}")))
        .and(body_json(json!({"client_user_id": "client-user-43"})))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&s)
        .await;
    let out = run_cmd(
        naftiko()
            .args([
                "call",
                USERS,
                "patch_user_v2_user__user_id__patch",
                &format!("user_id={U}"),
                "--body",
                r#"{"client_user_id":"client-user-43"}"#,
                "--base-uri",
                &s.uri(),
            ])
            .env("VITAL_API_KEY", KEY),
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.stdout, "{\"result\":null}\n");
}

#[test]
fn a_refused_connection_exits_4_in_one_sentence_with_a_hint_and_the_attempts() {
    let bad = run([
        "call",
        USERS,
        "get_teams_users_v2_user_get",
        "--retries",
        "x",
    ]);
    assert_eq!(bad.code, Some(2), "{}", bad.all());
    let both = run([
        "call",
        USERS,
        "get_teams_users_v2_user_get",
        "--retries",
        "1",
        "--no-retry",
    ]);
    assert_eq!(both.code, Some(2), "{}", both.all());

    let port = support::free_port();
    let origin = format!("http://127.0.0.1:{port}");
    for (flags, attempts) in [
        (&[][..], "3 attempts"),
        (&["--no-retry"][..], "1 attempt"),
        (&["--retries", "1"][..], "2 attempts"),
    ] {
        let out = run_cmd(
            naftiko()
                .args([
                    "call",
                    USERS,
                    "get_teams_metrics_v2_user_metrics_get",
                    "--base-uri",
                    &origin,
                ])
                .args(flags)
                .env("VITAL_API_KEY", KEY),
        );
        assert_eq!(out.code, Some(4), "{}", out.stderr);
        assert_eq!(
            out.stderr,
            format!("error: operation `users.get_teams_metrics_v2_user_metrics_get`: connection refused at {origin}: is the server running? ({attempts})\n"),
            "{flags:?}"
        );
        assert_eq!(out.stdout, "");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deadline_passed_exits_4_with_timeout() {
    let s = server().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
        .mount(&s)
        .await;
    let started = std::time::Instant::now();
    let out = run_cmd(
        naftiko()
            .args([
                "call",
                USERS,
                "get_teams_metrics_v2_user_metrics_get",
                "--timeout",
                "0.3",
                "--base-uri",
                &s.uri(),
            ])
            .env("VITAL_API_KEY", KEY),
    );
    assert_eq!(out.code, Some(4), "{}", out.stderr);
    assert!(out.stderr.contains("timed out"), "{}", out.stderr);
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "the --timeout deadline was not applied"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_key_exits_5_and_sends_nothing() {
    let s = server().await;
    let out = run_cmd(
        naftiko()
            .args([
                "call",
                USERS,
                "get_user_v2_user__user_id__get",
                &format!("user_id={U}"),
                "--base-uri",
                &s.uri(),
            ])
            .env_remove("VITAL_API_KEY"),
    );
    assert_eq!(out.code, Some(5), "{}", out.stderr);
    assert!(
        out.stderr.starts_with("error: operation `users.get_user_v2_user__user_id__get` needs the environment variable `VITAL_API_KEY`"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("hint: export VITAL_API_KEY"),
        "{}",
        out.stderr
    );
    assert_eq!(s.received_requests().await.unwrap().len(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn env_file_values_win_over_the_process_environment() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path("/v2/user/metrics"))
        .and(header("x-vital-api-key", "sk_from_the_file"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"team_id": "t"})))
        .expect(2)
        .mount(&s)
        .await;
    let dir = tmp_dir("env-file");
    let env_file = dir.join("vital.env");
    std::fs::write(
        &env_file,
        "# Junction sandbox\nexport VITAL_API_KEY=\"sk_from_the_file\"\n",
    )
    .unwrap();
    let out = run_cmd(
        naftiko()
            .args([
                "call",
                USERS,
                "get_teams_metrics_v2_user_metrics_get",
                "--base-uri",
                &s.uri(),
                "--env-file",
            ])
            .arg(&env_file)
            .env("VITAL_API_KEY", "sk_from_the_process"),
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.json(), json!({"result": {"team_id": "t"}}));

    // Without the process variable, the file alone is enough.
    let out = run_cmd(
        naftiko()
            .args([
                "call",
                USERS,
                "get_teams_metrics_v2_user_metrics_get",
                "--base-uri",
                &s.uri(),
                "--env-file",
            ])
            .arg(&env_file),
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);

    let missing = run([
        "call",
        USERS,
        "get_teams_metrics_v2_user_metrics_get",
        "--env-file",
        "no/such.env",
    ]);
    assert_eq!(missing.code, Some(1));
    assert!(
        missing
            .stderr
            .starts_with("error: cannot read the env file no/such.env"),
        "{}",
        missing.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn base_uri_takes_a_url_or_namespace_equals_url() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path("/v2/user/metrics"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"n": 1})))
        .expect(2)
        .mount(&s)
        .await;
    for base in [s.uri(), format!("users={}", s.uri())] {
        let out = run_cmd(
            naftiko()
                .args([
                    "call",
                    USERS,
                    "get_teams_metrics_v2_user_metrics_get",
                    "--base-uri",
                    &base,
                ])
                .env("VITAL_API_KEY", KEY),
        );
        assert_eq!(out.code, Some(0), "{base}: {}", out.stderr);
        assert_eq!(out.json(), json!({"result": {"n": 1}}));
    }
    let dry = run([
        "call",
        USERS,
        "get_teams_metrics_v2_user_metrics_get",
        "--dry-run",
        "--base-uri",
        "users=https://api.eu.junction.com/",
    ]);
    assert_eq!(
        dry.json()["url"],
        "https://api.eu.junction.com/v2/user/metrics"
    );

    let unknown = run([
        "call",
        USERS,
        "get_teams_metrics_v2_user_metrics_get",
        "--dry-run",
        "--base-uri",
        "user=http://127.0.0.1:9",
    ]);
    assert_eq!(unknown.code, Some(1));
    assert!(
        unknown
            .stderr
            .contains("unknown namespace `user`; did you mean `users`?"),
        "{}",
        unknown.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn name_value_arguments_are_converted_by_the_declared_type() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path("/v2/user"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"users": [], "total": 0, "offset": 0, "limit": 5})),
        )
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v2/user/{U}/insurance/latest")))
        .and(query_param("is_primary", "false"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"is_primary": false})))
        .expect(1)
        .mount(&s)
        .await;
    let users = run_cmd(
        naftiko()
            .args([
                "call",
                USERS,
                "get_teams_users_v2_user_get",
                "limit=5",
                "offset=0",
                "--base-uri",
                &s.uri(),
            ])
            .env("VITAL_API_KEY", KEY),
    );
    assert_eq!(users.code, Some(0), "{}", users.stderr);
    let insurance = run_cmd(
        naftiko()
            .args([
                "call",
                USERS,
                "get_latest_insurance_v2_user__user_id__insurance_latest_get",
                &format!("user_id={U}"),
                "is_primary=false",
                "--base-uri",
                &s.uri(),
            ])
            .env("VITAL_API_KEY", KEY),
    );
    assert_eq!(insurance.code, Some(0), "{}", insurance.stderr);
    let received = s.received_requests().await.unwrap();
    // Declaration order (offset, limit), integers as written.
    assert_eq!(received[0].url.query(), Some("offset=0&limit=5"));
    assert_eq!(received[1].url.query(), Some("is_primary=false"));

    // A string parameter stays a string even when it looks like a number.
    let dry = run([
        "call",
        USERS,
        "get_user_v2_user__user_id__get",
        "user_id=123",
        "--dry-run",
    ]);
    assert_eq!(dry.json()["url"], format!("{PROD}/v2/user/123"));
    // A number keeps its fraction.
    let dry = run([
        "call",
        USERS,
        "refresh_user_id_v2_user_refresh__user_id__post",
        "user_id=u",
        "timeout=12.5",
        "--dry-run",
    ]);
    assert_eq!(
        dry.json()["url"],
        format!("{PROD}/v2/user/refresh/u?timeout=12.5")
    );
}

#[test]
fn a_value_that_does_not_fit_the_declared_type_exits_1_naming_the_parameter() {
    let out = run([
        "call",
        USERS,
        "get_teams_users_v2_user_get",
        "limit=five",
        "--dry-run",
    ]);
    assert_eq!(out.code, Some(1));
    assert_eq!(
        out.stderr.lines().next().unwrap(),
        "error: operation `users.get_teams_users_v2_user_get`: argument `limit` must be an integer, found `five`"
    );
    let out = run([
        "call",
        USERS,
        "get_latest_insurance_v2_user__user_id__insurance_latest_get",
        "user_id=u",
        "is_primary=maybe",
        "--dry-run",
    ]);
    assert_eq!(out.code, Some(1));
    assert!(
        out.stderr.contains("`is_primary`")
            && out
                .stderr
                .contains("a boolean (true or false), found `maybe`"),
        "{}",
        out.stderr
    );
    let out = run([
        "call",
        USERS,
        "create_user_v2_user_post",
        "body=not-json",
        "--dry-run",
    ]);
    assert_eq!(out.code, Some(1));
    assert!(
        out.stderr.contains("argument `body`") && out.stderr.contains("must be a JSON object"),
        "{}",
        out.stderr
    );
    let out = run([
        "call",
        USERS,
        "create_user_v2_user_post",
        "body:={oops",
        "--dry-run",
    ]);
    assert_eq!(out.code, Some(1));
    assert!(
        out.stderr
            .contains("the value after `:=` is not valid JSON"),
        "{}",
        out.stderr
    );
}

#[test]
fn unknown_names_exit_1_with_did_you_mean() {
    let op = run([
        "call",
        USERS,
        "get_user_v2_user__user_id__gett",
        "user_id=u",
        "--dry-run",
    ]);
    assert_eq!(op.code, Some(1));
    assert!(
        op.stderr
            .contains("did you mean `get_user_v2_user__user_id__get`?"),
        "{}",
        op.stderr
    );

    let param = run([
        "call",
        USERS,
        "get_teams_users_v2_user_get",
        "limt=5",
        "--dry-run",
    ]);
    assert_eq!(param.code, Some(1));
    assert!(
        param
            .stderr
            .contains("has no parameter `limt` (did you mean `limit`?)"),
        "{}",
        param.stderr
    );

    let missing = run(["call", USERS, "get_user_v2_user__user_id__get", "--dry-run"]);
    assert_eq!(missing.code, Some(1));
    assert!(
        missing
            .stderr
            .contains("missing required argument(s): user_id"),
        "{}",
        missing.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_json_body_goes_in_with_colon_equals_or_body_from_a_file_or_stdin() {
    let s = server().await;
    Mock::given(method("POST"))
        .and(path("/v2/user"))
        .and(body_json(json!({"client_user_id": "c-1"})))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"user_id": U, "client_user_id": "c-1"})),
        )
        .expect(3)
        .mount(&s)
        .await;
    let dir = tmp_dir("body");
    let file = dir.join("user.json");
    std::fs::write(&file, r#"{"client_user_id": "c-1"}"#).unwrap();
    let file_arg = format!("@{}", file.display());
    let variants: Vec<(Vec<&str>, Option<&str>)> = vec![
        (vec![r#"body:={"client_user_id":"c-1"}"#], None),
        (vec!["--body", &file_arg], None),
        (vec!["--body", "-"], Some(r#"{"client_user_id":"c-1"}"#)),
    ];
    for (extra, stdin) in variants {
        let mut cmd = naftiko();
        cmd.args([
            "call",
            USERS,
            "create_user_v2_user_post",
            "--base-uri",
            &s.uri(),
        ])
        .args(&extra)
        .env("VITAL_API_KEY", KEY);
        if let Some(input) = stdin {
            cmd.write_stdin(input);
        }
        let out = run_cmd(&mut cmd);
        assert_eq!(out.code, Some(0), "{extra:?}: {}", out.stderr);
        assert_eq!(
            out.json(),
            json!({"result": {"user_id": U, "client_user_id": "c-1"}})
        );
    }
    let received = s.received_requests().await.unwrap();
    assert!(received.iter().all(
        |r| r.headers.get("content-type").map(|v| v.to_str().unwrap()) == Some("application/json")
    ));

    let no_body = run([
        "call",
        USERS,
        "get_user_v2_user__user_id__get",
        "user_id=u",
        "--body",
        "{}",
        "--dry-run",
    ]);
    assert_eq!(no_body.code, Some(1));
    assert!(
        no_body.stderr.contains("has no body parameter"),
        "{}",
        no_body.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_prints_the_undecoded_body() {
    let s = server().await;
    let body = "{ \"team_id\" :  \"t\" }\n";
    Mock::given(method("GET"))
        .and(path("/v2/user/metrics"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
        .mount(&s)
        .await;
    let out = run_cmd(
        naftiko()
            .args([
                "call",
                USERS,
                "get_teams_metrics_v2_user_metrics_get",
                "--raw",
                "--base-uri",
                &s.uri(),
            ])
            .env("VITAL_API_KEY", KEY),
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.stdout, body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verbose_shows_the_redacted_request_and_the_response_status_on_stderr() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path(format!("/v2/user/{U}")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(user())
                .insert_header("x-request-id", "r-1"),
        )
        .mount(&s)
        .await;
    let out = run_cmd(
        naftiko()
            .args([
                "call",
                USERS,
                "get_user_v2_user__user_id__get",
                &format!("user_id={U}"),
                "-v",
                "--base-uri",
                &s.uri(),
            ])
            .env("VITAL_API_KEY", KEY),
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(
        out.json(),
        json!({"result": user()}),
        "-v prints the same mapped output"
    );
    assert!(
        out.stderr
            .contains(&format!("> GET {}/v2/user/{U}\n", s.uri())),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("> x-vital-api-key: ***\n"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("< 200 OK\n"), "{}", out.stderr);
    assert!(
        out.stderr.contains("< x-request-id: r-1\n"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains(KEY) && !out.stdout.contains(KEY));

    // -vv adds the runtime's tracing span, still without the key.
    let out = run_cmd(
        naftiko()
            .args([
                "call",
                USERS,
                "get_user_v2_user__user_id__get",
                &format!("user_id={U}"),
                "-vv",
                "--base-uri",
                &s.uri(),
            ])
            .env("VITAL_API_KEY", KEY),
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stderr.contains("naftiko.call"), "{}", out.stderr);
    assert!(!out.stderr.contains(KEY));
}

// ---------------------------------------------------------------------------------------
// ops, describe, validate, query, completions, usage.

#[test]
fn ops_lists_one_aligned_line_per_operation() {
    let out = run(["ops", USERS]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 19);
    let get_user = lines
        .iter()
        .find(|l| l.starts_with("users.get_user_v2_user__user_id__get "))
        .expect("get_user listed");
    let cols: Vec<&str> = get_user.split_whitespace().collect();
    assert_eq!(
        cols,
        [
            "users.get_user_v2_user__user_id__get",
            "GET",
            "/v2/user/{user_id}",
            "(user_id)",
            "Get",
            "User"
        ]
    );
    let deregister = lines
        .iter()
        .find(|l| l.contains("deregister_provider"))
        .unwrap();
    assert!(
        deregister.contains(" (user_id, provider) ")
            && deregister.ends_with("  Deregister Provider"),
        "{deregister}"
    );
    assert!(
        deregister.contains(" DELETE  /v2/user/{user_id}/{provider} "),
        "{deregister}"
    );
    // Aligned: the method column starts at the same place on every line.
    let method_column = |l: &str| {
        let end_of_name = l.find(' ').unwrap();
        end_of_name + l[end_of_name..].find(|c: char| c != ' ').unwrap()
    };
    assert!(
        lines
            .iter()
            .all(|l| method_column(l) == method_column(lines[0])),
        "{}",
        out.stdout
    );

    let json = run(["ops", USERS, "--json"]).json();
    let ops = json.as_array().unwrap();
    assert_eq!(ops.len(), 19);
    let metrics = ops
        .iter()
        .find(|o| o["name"] == "get_teams_metrics_v2_user_metrics_get")
        .unwrap();
    assert_eq!(
        metrics,
        &json!({"name": "get_teams_metrics_v2_user_metrics_get", "qualified_name": "users.get_teams_metrics_v2_user_metrics_get",
                "address": "users.get_teams_metrics_v2_user_metrics_get", "namespace": "users", "resource": metrics["resource"], "method": "GET", "path": "/v2/user/metrics",
                "required": [], "arguments": [], "description": "Get Teams Metrics", "callable": true, "reason": null})
    );
    assert!(ops.iter().all(|o| o["callable"] == true));
}

#[test]
fn ops_lists_a_name_declared_twice_in_a_namespace_by_its_resource() {
    let dir = tmp_dir("same-name");
    std::fs::write(
        dir.join("cap.yaml"),
        "naftiko: 1.0.0-alpha2\ncapability:\n  consumes:\n  - type: http\n    namespace: a\n    baseUri: https://a.example\n    resources:\n    - name: r1\n      path: /one\n      operations:\n      - name: get\n        method: GET\n    - name: r2\n      path: /two\n      operations:\n      - name: get\n        method: GET\n",
    )
    .unwrap();
    let ops = run_cmd(naftiko().current_dir(&dir).args(["ops", "cap.yaml"]));
    let names: Vec<&str> = ops
        .stdout
        .lines()
        .map(|l| l.split(' ').next().unwrap())
        .collect();
    assert_eq!(names, ["a.r1.get", "a.r2.get"]);
    let json = run_cmd(
        naftiko()
            .current_dir(&dir)
            .args(["ops", "cap.yaml", "--json"]),
    )
    .json();
    assert_eq!(json[1]["address"], "a.r2.get");
    let dry =
        run_cmd(
            naftiko()
                .current_dir(&dir)
                .args(["call", "cap.yaml", "a.r2.get", "--dry-run"]),
        );
    assert_eq!(dry.json()["url"], "https://a.example/two");
    let ambiguous = run_cmd(
        naftiko()
            .current_dir(&dir)
            .args(["describe", "cap.yaml", "get"]),
    );
    assert_eq!(ambiguous.code, Some(1));
    assert!(
        ambiguous.stderr.contains("use one of a.r1.get, a.r2.get"),
        "{}",
        ambiguous.stderr
    );
}

#[test]
fn ops_marks_operations_that_cannot_be_called_and_says_why_in_json() {
    let dir = tmp_dir("unfilled");
    std::fs::write(
        dir.join("cap.yaml"),
        "naftiko: 1.0.0-alpha2\ncapability:\n  consumes:\n  - type: http\n    namespace: api\n    baseUri: https://example.invalid\n    resources:\n    - name: items\n      path: /items/{item_id}/parts\n      operations:\n      - name: list_parts\n        method: GET\n",
    )
    .unwrap();
    let out = run_cmd(naftiko().current_dir(&dir).args(["ops", "cap.yaml"]));
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stdout
            .contains("api.list_parts  GET  /items/{item_id}/parts  ()  [not callable]"),
        "{}",
        out.stdout
    );
    let json = run_cmd(
        naftiko()
            .current_dir(&dir)
            .args(["ops", "cap.yaml", "--json"]),
    )
    .json();
    assert_eq!(json[0]["callable"], false);
    assert!(
        json[0]["reason"].as_str().unwrap().contains("{item_id}"),
        "{json}"
    );
    let call = run_cmd(
        naftiko()
            .current_dir(&dir)
            .args(["call", "cap.yaml", "list_parts"]),
    );
    assert_eq!(call.code, Some(1));
    assert!(
        call.stderr.contains("placeholder `{item_id}`"),
        "{}",
        call.stderr
    );
}

#[test]
fn describe_shows_method_url_parameters_auth_output_and_warnings() {
    let out = run([
        "describe",
        USERS,
        "deregister_provider_v2_user__user_id___provider__delete",
    ]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let text = &out.stdout;
    assert!(
        text.contains(&format!("DELETE {PROD}/v2/user/{{user_id}}/{{provider}}")),
        "{text}"
    );
    assert!(
        text.contains("  user_id   path  string  required\n"),
        "{text}"
    );
    assert!(text.contains("  provider  path  string  required  Provider slug. e.g., `oura`, `fitbit`, `garmin`.\n"), "{text}");
    assert!(
        text.contains("API key in the header `X-Vital-API-Key`, from $VITAL_API_KEY"),
        "{text}"
    );
    assert!(
        text.contains("Output (json):\n  {\"result\":\"$.\"}"),
        "{text}"
    );
    assert!(
        text.contains("specs/vital/users.yaml:59:9: warning: operation `deregister_provider"),
        "{text}"
    );

    let limit = run(["describe", USERS, "get_teams_users_v2_user_get"]).stdout;
    assert!(
        limit.contains("  limit   query  integer  optional"),
        "{limit}"
    );
    assert!(!limit.contains("Warnings:"), "{limit}");

    // The key never shows, even when it is set.
    let keyed = run_cmd(
        naftiko()
            .args(["describe", USERS, "get_user_v2_user__user_id__get"])
            .env("VITAL_API_KEY", KEY),
    );
    assert!(!keyed.stdout.contains(KEY));
}

#[test]
fn describe_json_is_the_json_schema_of_the_arguments() {
    let out = run(["describe", USERS, "get_teams_users_v2_user_get", "--json"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let cap =
        naftiko::Capability::from_path(Path::new(env!("CARGO_MANIFEST_DIR")).join(USERS)).unwrap();
    let expected = cap
        .operation("get_teams_users_v2_user_get")
        .unwrap()
        .args_schema();
    let schema = out.json();
    assert_eq!(schema, expected);
    assert_eq!(schema["properties"]["limit"]["type"], "integer");
    assert_eq!(schema["additionalProperties"], false);
}

/// The finding lines of `validate`'s text output, without the source lines shown under each
/// (`  |`, `12 | …`).
fn findings(stdout: &str) -> impl Iterator<Item = &str> {
    stdout.lines().filter(|l| {
        let gutter = l.trim_start_matches(|c: char| c.is_ascii_digit() || c == ' ');
        !gutter.starts_with('|')
    })
}

#[test]
fn validate_reports_a_syntax_error_with_file_line_and_column() {
    let dir = tmp_dir("validate-syntax");
    std::fs::write(
        dir.join("broken.yaml"),
        "naftiko: 1.0.0-alpha2\ncapability:\n  consumes:\n    - namespace: x: y\n",
    )
    .unwrap();
    let out = run_cmd(
        naftiko()
            .current_dir(&dir)
            .args(["validate", "broken.yaml"]),
    );
    assert_eq!(out.code, Some(1));
    // The finding, then its source line with a caret under the column (rustc style).
    assert_eq!(
        out.stdout,
        "broken.yaml:4:19: error: mapping values are not allowed in this context\n  |\n4 |     - namespace: x: y\n  |                   ^\n"
    );
    assert_eq!(out.stderr, "1 file: 1 error, 0 warnings\n");

    // Other commands refuse the file with one sentence and the same diagnostic.
    let ops = run_cmd(naftiko().current_dir(&dir).args(["ops", "broken.yaml"]));
    assert_eq!(ops.code, Some(1));
    assert_eq!(
        ops.stderr,
        "error: cannot load the capability broken.yaml: 1 error(s)\nbroken.yaml:4:19: error: mapping values are not allowed in this context\n  |\n4 |     - namespace: x: y\n  |                   ^\n"
    );
}

#[test]
fn a_spec_on_stdin_with_an_unclosed_bracket_shows_the_end_of_its_last_line() {
    let out = run_cmd(
        naftiko()
            .args(["validate", "-"])
            .write_stdin("naftiko: 1.0.0-alpha2\ncapability:\n  consumes: [a, b\n\n"),
    );
    assert_eq!(out.code, Some(1));
    assert_eq!(
        out.stdout,
        "stdin:5:1: error: while parsing a flow sequence, expected ',' or ']'\n  |\n3 |   consumes: [a, b\n  |                  ^\n"
    );
}

#[test]
fn validate_reports_a_duplicate_key_with_file_line_and_column() {
    let dir = tmp_dir("validate-duplicate");
    std::fs::write(
        dir.join("dup.yaml"),
        "naftiko: 1.0.0-alpha2\ninfo:\n  label: a\n  label: b\ncapability:\n  consumes: []\n",
    )
    .unwrap();
    let out = run_cmd(naftiko().current_dir(&dir).args(["validate", "dup.yaml"]));
    assert_eq!(out.code, Some(1));
    assert_eq!(
        out.stdout,
        "dup.yaml:4:3: error: duplicate mapping key `label`\n  |\n4 |   label: b\n  |   ^^^^^\n"
    );
}

#[test]
fn validate_of_a_missing_file_counts_as_an_error() {
    let out = run(["validate", USERS, "specs/vital/nope.yaml"]);
    assert_eq!(out.code, Some(1));
    assert!(
        out.stdout
            .contains("specs/vital/nope.yaml:1:1: error: cannot read file"),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr.starts_with("2 files: 1 error, 5 warnings"),
        "{}",
        out.stderr
    );
}

#[test]
fn validate_passes_the_seed_spec_with_warnings_and_strict_fails_it_on_deviations() {
    let plain = run(["validate", USERS]);
    assert_eq!(plain.code, Some(0), "{}", plain.stdout);
    assert!(
        findings(&plain.stdout).all(|l| l.contains(": warning: ")),
        "{}",
        plain.stdout
    );
    assert!(plain.stdout.contains(
        "specs/vital/users.yaml:111:9: warning: operation `get_user_v2_user__user_id__get`: path parameter(s) `user_id` have no placeholder in `/v2/user`; appending them: /v2/user/{user_id}\n"
    ));
    assert_eq!(findings(&plain.stdout).count(), 5);
    assert_eq!(plain.stderr, "1 file: 0 errors, 5 warnings\n");

    let strict = run(["validate", "--strict", USERS]);
    assert_eq!(strict.code, Some(1));
    assert!(
        findings(&strict.stdout).all(|l| l.contains(": error: ")),
        "{}",
        strict.stdout
    );
    // The `auth` deviation and the unplaced path parameters are errors.
    assert!(strict
        .stdout
        .contains("specs/vital/users.yaml:373:5: error: `auth` is not a schema key: the schema calls it `authentication`\n"));
    assert!(strict.stdout.contains(
        "specs/vital/users.yaml:111:9: error: operation `get_user_v2_user__user_id__get`: path parameter(s) `user_id` have no placeholder"
    ));
    assert!(
        strict.stdout.contains("should match ^[a-zA-Z0-9-]+$"),
        "`_` in names"
    );
    assert!(
        strict.stdout.contains(
            "`type` is not a key of a consumed input parameter in the 1.0.0-alpha2 schema"
        ),
        "typed consumed parameters"
    );
    assert!(strict.stderr.ends_with("(strict)\n"), "{}", strict.stderr);
}

#[test]
fn query_evaluates_rfc_9535_selectors_on_stdin_or_a_file() {
    let doc = r#"{"store": {"book": [
        {"title": "A", "price": 8, "tags": ["x"]},
        {"title": "B", "price": 12},
        {"title": "C", "price": 5}
    ], "bicycle": {"price": 20}}}"#;
    let cases = [
        ("$.store.book[*].title", json!(["A", "B", "C"])),
        ("$.store.book[?@.price < 10].title", json!(["A", "C"])),
        ("$..price", json!([8, 12, 5, 20])),
        ("$.store.book[-1:].title", json!(["C"])),
        ("$.store.book[0:3:2].title", json!(["A", "C"])),
        ("$['store']['bicycle']", json!([{"price": 20}])),
        ("$.store.book[?length(@.tags) == 1].title", json!(["A"])),
        ("$.nothing", json!([])),
    ];
    for (expr, expected) in cases {
        let out = run_cmd(naftiko().args(["query", expr]).write_stdin(doc));
        assert_eq!(out.code, Some(0), "{expr}: {}", out.stderr);
        assert_eq!(out.json(), expected, "{expr}");
    }
    // `$.` is the root, as in output mappings.
    let root = run_cmd(naftiko().args(["query", "$."]).write_stdin(r#"{"a":1}"#));
    assert_eq!(root.stdout, "[{\"a\":1}]\n");

    let dir = tmp_dir("query");
    std::fs::write(dir.join("doc.json"), doc).unwrap();
    let file =
        run_cmd(
            naftiko()
                .current_dir(&dir)
                .args(["query", "$.store.bicycle.price", "doc.json"]),
        );
    assert_eq!(file.stdout, "[20]\n");
    let dash = run_cmd(
        naftiko()
            .args(["query", "$.a", "-"])
            .write_stdin(r#"{"a":[1]}"#),
    );
    assert_eq!(dash.stdout, "[[1]]\n");
}

#[test]
fn query_exits_1_on_an_invalid_expression_or_invalid_json() {
    let bad_expr = run_cmd(naftiko().args(["query", "$.store[?"]).write_stdin("{}"));
    assert_eq!(bad_expr.code, Some(1));
    assert!(
        bad_expr
            .stderr
            .starts_with("error: invalid JSONPath `$.store[?`"),
        "{}",
        bad_expr.stderr
    );
    let spaces = run_cmd(
        naftiko()
            .args(["query", "$.Participation Status"])
            .write_stdin("{}"),
    );
    assert_eq!(spaces.code, Some(1));
    assert!(spaces.stderr.contains("bracket form"), "{}", spaces.stderr);

    let bad_json = run_cmd(naftiko().args(["query", "$"]).write_stdin("{not json"));
    assert_eq!(bad_json.code, Some(1));
    assert!(
        bad_json
            .stderr
            .starts_with("error: stdin is not valid JSON: "),
        "{}",
        bad_json.stderr
    );
    assert!(
        bad_json.stderr.contains("line 1 column 2"),
        "{}",
        bad_json.stderr
    );
}

#[test]
fn completions_print_a_script_for_bash_zsh_and_fish() {
    for shell in ["bash", "zsh", "fish"] {
        let out = run(["completions", shell]);
        assert_eq!(out.code, Some(0), "{shell}: {}", out.stderr);
        assert!(out.stdout.contains("naftiko"), "{shell}");
        assert!(
            out.stdout.contains("dry-run"),
            "{shell}: completes call flags"
        );
    }
    assert_eq!(run(["completions", "tcsh"]).code, Some(2));
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        vec!["call", USERS],
        vec!["frobnicate"],
        vec!["ops", USERS, "--no-such-flag"],
        vec![
            "call",
            USERS,
            "get_teams_metrics_v2_user_metrics_get",
            "--dry-run",
            "--curl",
        ],
        vec![
            "call",
            USERS,
            "get_teams_metrics_v2_user_metrics_get",
            "--timeout",
            "soon",
        ],
        vec!["validate"],
    ] {
        let out = run(&args);
        assert_eq!(out.code, Some(2), "{args:?}: {}", out.stderr);
        assert!(
            out.stderr.starts_with("error: "),
            "{args:?}: {}",
            out.stderr
        );
        assert_eq!(out.stdout, "");
    }
}

#[test]
fn help_documents_the_exit_codes() {
    for args in [vec!["--help"], vec!["call", "--help"]] {
        let out = run(&args);
        assert_eq!(out.code, Some(0));
        assert!(out.stdout.contains("Exit codes:"), "{args:?}");
        for line in [
            "  3  the server answered with HTTP status >= 400",
            "  4  transport failure",
            "  5  a bound secret",
        ] {
            assert!(out.stdout.contains(line), "{args:?}: {line}");
        }
    }
    assert_eq!(
        run(["--version"]).stdout,
        format!("naftiko {}\n", env!("CARGO_PKG_VERSION"))
    );
}

// ---------------------------------------------------------------------------------------
// Every shipped spec.

/// A value of the declared type, for filling required arguments.
fn sample(p: &naftiko::Param) -> Value {
    use naftiko::ParamType;
    match p.ty() {
        ParamType::Integer => json!(1),
        ParamType::Number => json!(1.5),
        ParamType::Boolean => json!(true),
        ParamType::Object => json!({}),
        ParamType::Array => json!([]),
        _ => json!("x-1"),
    }
}

#[test]
fn every_command_works_on_every_shipped_spec() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut specs: Vec<PathBuf> = std::fs::read_dir(root.join("specs/vital"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    specs.sort();
    assert_eq!(specs.len(), 8);
    let (mut described, mut dry_runs, mut refused) = (0, 0, 0);
    for spec in &specs {
        let rel = spec
            .strip_prefix(root)
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        let cap = naftiko::Capability::from_path(spec).unwrap();
        assert_eq!(run(["validate", &rel]).code, Some(0), "{rel}");
        let ops = run(["ops", &rel]);
        assert_eq!(ops.code, Some(0), "{rel}: {}", ops.stderr);
        assert_eq!(ops.stdout.lines().count(), cap.operations().len(), "{rel}");
        assert_eq!(
            run(["ops", &rel, "--json"])
                .json()
                .as_array()
                .unwrap()
                .len(),
            cap.operations().len()
        );

        // One process per operation and command: run them on every core.
        let threads = std::thread::available_parallelism()
            .map_or(2, |n| n.get())
            .min(4);
        let chunk = cap.operations().len().div_ceil(threads).max(1);
        let counts: Vec<(usize, usize, usize)> = std::thread::scope(|scope| {
            let handles: Vec<_> = cap
                .operations()
                .chunks(chunk)
                .map(|ops| scope.spawn(|| check_ops(&rel, ops)))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for (d, r, f) in counts {
            described += d;
            dry_runs += r;
            refused += f;
        }
    }
    println!(
        "{} specs: {described} operations described, {dry_runs} dry runs, {refused} refused",
        specs.len()
    );
    assert_eq!(described, 197);
    assert_eq!(
        refused, 2,
        "the two operations whose placeholder no parameter fills"
    );
}

/// Describes and dry-runs each operation (required arguments filled with a value of their
/// type); an operation that cannot be called is still dry-run, saying why beside the
/// request, and a real call of it is refused with exit 1 before anything is sent.
/// Returns (described, dry runs, refused).
fn check_ops(rel: &str, ops: &[naftiko::Operation]) -> (usize, usize, usize) {
    let (mut described, mut dry_runs, mut refused) = (0, 0, 0);
    for op in ops {
        let name = op.qualified_name();
        let d = run(["describe", rel, &name]);
        assert_eq!(d.code, Some(0), "{rel} {name}: {}", d.stderr);
        assert!(d.stdout.starts_with(&format!("{name}\n")), "{rel} {name}");
        described += 1;

        let mut args = vec![
            "call".to_string(),
            rel.to_string(),
            name.clone(),
            "--dry-run".into(),
        ];
        for a in op.argument_names() {
            match op.param(a) {
                Some(p) if p.required() && !p.has_default() => {
                    args.push(format!("{a}:={}", sample(p)))
                }
                Some(_) => {}
                None => args.push(format!("{a}=x-1")),
            }
        }
        let out = run(&args);
        if op.unfilled_placeholders().is_empty() && op.unsupported().is_none() {
            assert_eq!(out.code, Some(0), "{rel} {name}: {}", out.stderr);
            let req = out.json();
            assert_eq!(req["method"], op.method().as_str());
            assert!(
                req["url"].as_str().unwrap().starts_with("https://"),
                "{req}"
            );
            dry_runs += 1;
        } else {
            assert_eq!(out.code, Some(0), "{rel} {name}: {}", out.stderr);
            assert!(out.json()["not_callable"].is_string(), "{}", out.stdout);
            assert!(
                out.stderr
                    .starts_with("warning: this request cannot be sent yet: "),
                "{}",
                out.stderr
            );
            args.retain(|a| a != "--dry-run");
            let call = run(&args);
            assert_eq!(call.code, Some(1), "{rel} {name}: refused with exit 1");
            assert!(
                call.stderr
                    .starts_with(&format!("error: operation `{name}` cannot be called")),
                "{}",
                call.stderr
            );
            refused += 1;
        }
    }
    (described, dry_runs, refused)
}

// ---------------------------------------------------------------------------------------
// Issue #15, the CLI: headers, query items, placeholders, bodies, output styles.

const HUBSPOT: &str = "tests/fixtures/corpus/hubspot__automation-and-integration.yaml";

#[test]
fn malformed_header_items_exit_1_and_say_how_to_write_them() {
    for (args, expected) in [
        (vec!["-H", "X-Trace"], "-H `X-Trace` is not `Name: value`"),
        (vec!["-H", ": v"], "-H `: v` is not `Name: value`"),
        (vec![":v"], "argument `:v` has no name before `:`"),
        (
            vec!["limit"],
            "neither name=value, name:=JSON, name==value nor Name:value",
        ),
        (
            vec!["-H", "X-A: a\u{1}b"],
            "header parameter `X-A` contains the control character U+0001",
        ),
    ] {
        let mut argv = vec!["call", USERS, "get_teams_users_v2_user_get", "--dry-run"];
        argv.extend(args.iter().copied());
        let out = run(&argv);
        assert_eq!(out.code, Some(1), "{args:?}: {}", out.all());
        assert!(out.stderr.contains(expected), "{args:?}: {}", out.stderr);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_and_query_items_are_sent_even_when_no_parameter_declares_them() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path("/v2/user"))
        .and(header("x-trace", "t 1"))
        .and(header("x-b", "2=3"))
        .and(header("x-vital-api-key", KEY))
        .and(query_param("debug", "a b"))
        .and(query_param("limit", "5"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"users": []})))
        .expect(1)
        .mount(&s)
        .await;
    let args = [
        "call",
        USERS,
        "get_teams_users_v2_user_get",
        "limit=5",
        "-H",
        "X-Trace:  t 1 ",
        "X-B:2=3",
        "debug==a b",
    ];
    let dry = run(args.iter().copied().chain(["--dry-run"]));
    assert_eq!(dry.code, Some(0), "{}", dry.all());
    let req = dry.json();
    assert_eq!(req["url"], format!("{PROD}/v2/user?limit=5&debug=a%20b"));
    assert_eq!(req["headers"]["x-trace"], "t 1");
    assert_eq!(req["headers"]["x-vital-api-key"], "***");
    let curl = run(args.iter().copied().chain(["--curl"]));
    assert!(curl.stdout.contains("-H 'x-b: 2=3'"), "{}", curl.stdout);

    let out = run_cmd(
        naftiko()
            .args(args)
            .args(["--base-uri", &s.uri()])
            .env("VITAL_API_KEY", KEY),
    );
    assert_eq!(out.code, Some(0), "{}", out.all());
}

#[test]
fn a_header_given_replaces_the_declared_one_and_bound_secrets_stay_redacted() {
    let out = run_cmd(
        naftiko()
            .args(["call", USERS, "get_teams_users_v2_user_get", "--dry-run"])
            .args(["-H", &format!("X-Vital-Api-Key: {KEY}"), "-H", "X-Other: x"])
            .env("VITAL_API_KEY", KEY),
    );
    assert_eq!(out.code, Some(0), "{}", out.all());
    let headers = out.json()["headers"].clone();
    assert_eq!(headers["x-vital-api-key"], "***", "{headers}");
    assert_eq!(headers["x-other"], "x");
    assert!(!out.stdout.contains(KEY), "{}", out.stdout);
    assert_eq!(
        out.stdout.matches("x-vital-api-key").count(),
        1,
        "{}",
        out.stdout
    );
}

#[test]
fn an_undeclared_path_placeholder_is_filled_by_its_name() {
    let missing = run(["call", HUBSPOT, "getactiondefinitionbyid"]);
    assert_eq!(missing.code, Some(1), "{}", missing.all());
    assert!(
        missing
            .stderr
            .contains("the placeholder `{appId}` that no parameter fills"),
        "{}",
        missing.stderr
    );
    assert!(
        missing
            .stderr
            .contains("hint: give its value by name: `appId=VALUE`"),
        "{}",
        missing.stderr
    );
    let empty = run([
        "call",
        HUBSPOT,
        "getactiondefinitionbyid",
        "appId=",
        "--dry-run",
    ]);
    assert_eq!(empty.code, Some(1), "{}", empty.all());
    assert!(
        empty.stderr.contains("`appId` is empty"),
        "{}",
        empty.stderr
    );

    let out = run([
        "call",
        HUBSPOT,
        "getactiondefinitionbyid",
        "appId=a/1",
        "--dry-run",
    ]);
    assert_eq!(out.code, Some(0), "{}", out.all());
    assert_eq!(out.json()["url"], "https://api.hubapi.com/a%2F1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn body_is_the_whole_body_of_a_post_put_or_patch_without_a_body_parameter() {
    let get = run([
        "call",
        HUBSPOT,
        "listactiondefinitions",
        "--body",
        "{}",
        "--dry-run",
    ]);
    assert_eq!(get.code, Some(1), "{}", get.all());
    assert!(
        get.stderr.contains("has no body parameter"),
        "{}",
        get.stderr
    );

    let s = server().await;
    Mock::given(method("PATCH"))
        .and(path("/42"))
        .and(header("content-type", "application/json"))
        .and(header("authorization", "Bearer tok"))
        .and(body_json(json!({"published": true})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "42"})))
        .expect(1)
        .mount(&s)
        .await;
    let args = [
        "call",
        HUBSPOT,
        "updateactiondefinitionbyid",
        "appId=42",
        "--body",
        r#"{"published":true}"#,
    ];
    let dry = run(args.iter().copied().chain(["--dry-run"]));
    assert_eq!(
        dry.json()["body"],
        json!({"published": true}),
        "{}",
        dry.all()
    );
    let out = run_cmd(
        naftiko()
            .args(args)
            .arg("--base-uri")
            .arg(format!("custom-workflow-actions-api={}", s.uri()))
            .env("HUBSPOT_ACCESS_TOKEN", "tok"),
    );
    assert_eq!(out.code, Some(0), "{}", out.all());
    assert_eq!(out.json(), json!({"result": {"id": "42"}}));
}

async fn users_server() -> MockServer {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path("/v2/user"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "users": [{"user_id": "u-1", "team_id": "t"}, {"user_id": "u-22", "client_user_id": "c"}],
            "total": 2, "offset": 0, "limit": 50
        })))
        .mount(&s)
        .await;
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_prints_the_nodes_a_jsonpath_selects_in_the_output() {
    let bad = run([
        "call",
        USERS,
        "get_teams_users_v2_user_get",
        "--query",
        "$.[",
        "--base-uri",
        "http://127.0.0.1:1",
    ]);
    assert_eq!(bad.code, Some(1), "{}", bad.all());
    assert!(bad.stderr.contains("--query:"), "{}", bad.stderr);

    let s = users_server().await;
    let out = run_cmd(
        naftiko()
            .args([
                "call",
                USERS,
                "get_teams_users_v2_user_get",
                "--base-uri",
                &s.uri(),
            ])
            .args(["--query", "$.result.users[*].user_id"])
            .env("VITAL_API_KEY", KEY),
    );
    assert_eq!(out.code, Some(0), "{}", out.all());
    assert_eq!(out.json(), json!(["u-1", "u-22"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn output_prints_yaml_or_a_table_of_the_union_of_keys() {
    let bad = run(["call", USERS, "get_teams_users_v2_user_get", "-o", "xml"]);
    assert_eq!(bad.code, Some(2), "{}", bad.all());
    assert!(
        bad.stderr.contains("[possible values: json, yaml, table]"),
        "{}",
        bad.stderr
    );

    let s = users_server().await;
    let call = |extra: &[&str]| {
        run_cmd(
            naftiko()
                .args([
                    "call",
                    USERS,
                    "get_teams_users_v2_user_get",
                    "--base-uri",
                    &s.uri(),
                ])
                .args(extra)
                .env("VITAL_API_KEY", KEY),
        )
    };
    let table = call(&["--query", "$.result.users[*]", "-o", "table"]);
    assert_eq!(table.code, Some(0), "{}", table.all());
    assert_eq!(
        table.stdout,
        "user_id  team_id  client_user_id\nu-1      t\nu-22              c\n"
    );
    let yaml = call(&["-o", "yaml"]);
    assert_eq!(
        yaml.stdout,
        "result:\n  users:\n  - user_id: u-1\n    team_id: t\n  - user_id: u-22\n    client_user_id: c\n  total: 2\n  offset: 0\n  limit: 50\n",
        "{}",
        yaml.all()
    );
    // Not an array of objects: a table falls back to YAML.
    let not_rows = call(&["-o", "table", "--query", "$.result.total"]);
    assert_eq!(not_rows.stdout, "- 2\n");
    // Not a terminal: no colour, whatever NO_COLOR says.
    assert!(!call(&[]).stdout.contains('\x1b'));
}

#[test]
fn ops_filters_by_name_path_or_description_and_says_when_nothing_matches() {
    let none = run(["ops", USERS, "invoices"]);
    assert_eq!(none.code, Some(1), "{}", none.all());
    assert!(
        none.stderr
            .contains("no operation of specs/vital/users.yaml matches `invoices`"),
        "{}",
        none.stderr
    );
    // `metrics` is in a name and a path, `Deregister` in a description (any case).
    for (filter, expected) in [
        (
            "metrics",
            vec!["users.get_teams_metrics_v2_user_metrics_get"],
        ),
        (
            "DEREGISTER",
            vec!["users.deregister_provider_v2_user__user_id___provider__delete"],
        ),
        (
            "/{provider}",
            vec!["users.deregister_provider_v2_user__user_id___provider__delete"],
        ),
    ] {
        let out = run(["ops", USERS, filter]);
        assert_eq!(out.code, Some(0), "{filter}: {}", out.all());
        let names: Vec<&str> = out
            .stdout
            .lines()
            .map(|l| l.split_whitespace().next().unwrap())
            .collect();
        assert_eq!(names, expected, "{filter}: {}", out.stdout);
        let json = run(["ops", USERS, filter, "--json"]).json();
        assert_eq!(json.as_array().unwrap().len(), expected.len(), "{filter}");
    }
    let metrics = run(["ops", USERS, "metrics"]);
    assert!(
        metrics.stdout.trim_end().ends_with("  Get Teams Metrics"),
        "{}",
        metrics.stdout
    );
}

#[test]
fn a_partial_or_misspelled_operation_name_gets_a_did_you_mean() {
    for (given, meant) in [
        ("get_teams", Some("get_teams_users_v2_user_get")),
        ("teams_users", Some("get_teams_users_v2_user_get")),
        (
            "GET_TEAMS_METRICS",
            Some("get_teams_metrics_v2_user_metrics_get"),
        ),
        (
            "gte_user_v2_user__user_id__get",
            Some("get_user_v2_user__user_id__get"),
        ),
        ("zzzz", None),
    ] {
        let out = run(["call", USERS, given, "--dry-run"]);
        assert_eq!(out.code, Some(1), "{given}: {}", out.all());
        let first = out.stderr.lines().next().unwrap();
        match meant {
            Some(m) => assert!(
                first.ends_with(&format!("did you mean `{m}`?")),
                "{given}: {first}"
            ),
            None => assert!(!first.contains("did you mean"), "{given}: {first}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_and_verbose_show_every_header_that_is_sent() {
    let s = server().await;
    Mock::given(method("POST"))
        .and(path("/v2/user"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"user_id": U})))
        .mount(&s)
        .await;
    let args = [
        "call",
        USERS,
        "create_user_v2_user_post",
        "--body",
        r#"{"client_user_id":"c-1"}"#,
        "-H",
        "X-Trace: 7",
    ];
    let dry = run(args.iter().copied().chain(["--dry-run"]));
    let shown = dry.json()["headers"].clone();
    let out = run_cmd(
        naftiko()
            .args(args)
            .args(["-v", "--base-uri", &s.uri()])
            .env("VITAL_API_KEY", KEY),
    );
    assert_eq!(out.code, Some(0), "{}", out.all());
    let verbose: Vec<(String, String)> = out
        .stderr
        .lines()
        .filter_map(|l| l.strip_prefix("> ")?.split_once(": "))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let received = &s.received_requests().await.unwrap()[0];
    let mut sent: Vec<(String, String)> = received
        .headers
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "host" | "content-length"))
        .map(|(k, v)| {
            let v = v.to_str().unwrap();
            let v = if v == KEY { "***" } else { v };
            (k.to_string(), v.to_string())
        })
        .collect();
    sent.sort();
    let mut printed = verbose.clone();
    printed.sort();
    assert_eq!(printed, sent, "{}", out.stderr);
    for (k, v) in &verbose {
        assert_eq!(
            shown[k],
            json!(v),
            "the dry run shows {k} as -v does: {shown}"
        );
    }
    assert_eq!(shown.as_object().unwrap().len(), verbose.len(), "{shown}");
    for name in ["content-type", "accept", "user-agent", "x-trace"] {
        assert!(shown.get(name).is_some(), "{name}: {shown}");
    }
}

#[test]
fn dry_run_shows_an_operation_that_cannot_be_called_and_says_why() {
    // Sent for real, it is refused before anything is sent (exit 1, no network).
    let call = run([
        "call",
        HUBSPOT,
        "archiveactiondefinitionbyid",
        "--base-uri",
        "custom-workflow-actions-api=http://127.0.0.1:1",
    ]);
    assert_eq!(call.code, Some(1), "{}", call.all());

    let dry = run(["call", HUBSPOT, "archiveactiondefinitionbyid", "--dry-run"]);
    assert_eq!(dry.code, Some(0), "{}", dry.all());
    let req = dry.json();
    assert_eq!(req["method"], "DELETE");
    assert_eq!(req["url"], "https://api.hubapi.com/{appId}");
    let why = "its path has placeholder(s) that no parameter fills: {appId}; give each by name (`appId=VALUE`)";
    assert_eq!(req["not_callable"], why);
    assert_eq!(
        dry.stderr,
        format!("warning: this request cannot be sent yet: {why}\n")
    );

    let curl = run(["call", HUBSPOT, "archiveactiondefinitionbyid", "--curl"]);
    assert_eq!(curl.code, Some(0), "{}", curl.all());
    assert!(
        curl.stdout
            .starts_with("curl -X DELETE 'https://api.hubapi.com/{appId}'"),
        "{}",
        curl.stdout
    );
    assert!(
        curl.stderr.contains("cannot be sent yet"),
        "{}",
        curl.stderr
    );

    // Filled by name, it can: nothing more is said.
    let filled = run([
        "call",
        HUBSPOT,
        "archiveactiondefinitionbyid",
        "appId=7",
        "--dry-run",
    ]);
    assert_eq!(filled.json().get("not_callable"), None, "{}", filled.stdout);
    assert_eq!(filled.stderr, "");
}

#[test]
fn a_base_uri_bind_no_credential_uses_shows_by_name_and_a_secret_one_as_stars() {
    // The key is in the base URI and in the credential: a secret, shown as ***.
    let dir = tmp_dir("named-binds");
    std::fs::write(
        dir.join("cap.yaml"),
        "naftiko: 1.0.0-alpha2\nbinds:\n- namespace: env\n  keys:\n    HOST: HOST\n    KEY: KEY\ncapability:\n  consumes:\n  - type: http\n    namespace: api\n    baseUri: https://{{HOST}}/k/{{KEY}}\n    authentication:\n      type: bearer\n      token: '{{KEY}}'\n    resources:\n    - name: items\n      path: /items\n      operations:\n      - name: list\n        method: GET\n",
    )
    .unwrap();
    let secret = run_cmd(
        naftiko()
            .current_dir(&dir)
            .args(["call", "cap.yaml", "list", "--dry-run"])
            .env("HOST", "h.example")
            .env("KEY", "k-secret-1"),
    );
    assert_eq!(secret.code, Some(0), "{}", secret.all());
    assert_eq!(secret.json()["url"], "https://$HOST/k/***/items");

    let alation = "tests/fixtures/corpus/alation__data-intelligence.yaml";
    for host in [None, Some("alation.example.com")] {
        let mut cmd = naftiko();
        cmd.args(["call", alation, "list-datasources", "--dry-run"]);
        if let Some(h) = host {
            cmd.env("ALATION_HOST", h);
        }
        let out = run_cmd(&mut cmd);
        assert_eq!(out.code, Some(0), "{}", out.all());
        assert_eq!(
            out.json()["url"],
            "https://$ALATION_HOST/integration/v2/datasource/",
            "{host:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_secret_warns_on_stderr_and_a_set_one_does_not() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path("/v2/user/metrics"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .mount(&s)
        .await;
    let warning = "warning: VITAL_API_KEY is set but empty; the request goes with an empty value\n";
    for (value, extra, expected) in [
        ("", &["--dry-run"][..], warning),
        ("", &[][..], warning),
        ("", &["-v"][..], warning),
        (KEY, &[][..], ""),
    ] {
        let out = run_cmd(
            naftiko()
                .args([
                    "call",
                    USERS,
                    "get_teams_metrics_v2_user_metrics_get",
                    "--base-uri",
                    &s.uri(),
                ])
                .args(extra)
                .env("VITAL_API_KEY", value),
        );
        assert_eq!(out.code, Some(0), "{extra:?}: {}", out.all());
        let warned: String = out
            .stderr
            .lines()
            .filter(|l| l.starts_with("warning:"))
            .map(|l| format!("{l}\n"))
            .collect();
        assert_eq!(warned, expected, "{value:?} {extra:?}: {}", out.stderr);
    }
}

#[test]
fn validate_format_json_and_github_annotations() {
    let bad = run(["validate", USERS, "--format", "xml"]);
    assert_eq!(bad.code, Some(2), "{}", bad.all());

    let text = run(["validate", USERS]);
    let json = run(["validate", USERS, "--format", "json"]);
    assert_eq!(json.code, Some(0), "{}", json.all());
    assert_eq!(json.stderr, text.stderr, "the same summary");
    let list = json.json();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), findings(&text.stdout).count());
    assert_eq!(
        list[0],
        json!({"file": USERS, "line": 59, "column": 9, "severity": "warning",
               "message": text.stdout.lines().next().unwrap().split(": warning: ").nth(1).unwrap()})
    );

    let github = run(["validate", USERS, "--format", "github"]);
    assert_eq!(github.code, Some(0), "{}", github.all());
    let first = github.stdout.lines().next().unwrap();
    assert!(
        first.starts_with(
            "::warning file=specs/vital/users.yaml,line=59,col=9::operation `deregister_provider"
        ),
        "{first}"
    );
    // Errors fail the job, and `%`, newlines, `:` and `,` are escaped as the runner wants.
    let dir = tmp_dir("github-format");
    std::fs::write(
        dir.join("a,b:c.yaml"),
        "naftiko: 1.0.0-alpha2\ncapability:\n  consumes: 5%\n",
    )
    .unwrap();
    let out =
        run_cmd(
            naftiko()
                .current_dir(&dir)
                .args(["validate", "a,b:c.yaml", "--format", "github"]),
        );
    assert_eq!(out.code, Some(1), "{}", out.all());
    assert!(
        out.stdout.contains(
            "::error file=a%2Cb%3Ac.yaml,line=3,col=13::`consumes` should be a list, found a string\n"
        ),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .lines()
            .all(|l| l.starts_with("::error file=a%2Cb%3Ac.yaml,")
                || l.starts_with("::warning file=a%2Cb%3Ac.yaml,")),
        "{}",
        out.stdout
    );
}

#[test]
fn a_spec_from_stdin_or_naftiko_spec() {
    let spec = std::fs::read(USERS).unwrap();
    let ops = run_cmd(
        naftiko()
            .args(["ops", "-", "metrics"])
            .write_stdin(spec.clone()),
    );
    assert_eq!(ops.code, Some(0), "{}", ops.all());
    assert!(
        ops.stdout
            .starts_with("users.get_teams_metrics_v2_user_metrics_get "),
        "{}",
        ops.stdout
    );
    let broken = run_cmd(
        naftiko()
            .args(["validate", "-"])
            .write_stdin("naftiko: 1.0.0-alpha2\ncapability:\n\tx: 1\n"),
    );
    assert_eq!(broken.code, Some(1), "{}", broken.all());
    assert!(broken.stdout.starts_with("stdin:3:"), "{}", broken.stdout);

    // Without NAFTIKO_SPEC the spec is required; with it, it may be left out.
    let without = run(["ops"]);
    assert_eq!(without.code, Some(2), "{}", without.all());
    let with = |args: &[&str]| run_cmd(naftiko().args(args).env("NAFTIKO_SPEC", USERS));
    let call = with(&[
        "call",
        "get_teams_users_v2_user_get",
        "limit=2",
        "--dry-run",
    ]);
    assert_eq!(call.code, Some(0), "{}", call.all());
    assert_eq!(call.json()["url"], format!("{PROD}/v2/user?limit=2"));
    assert_eq!(
        with(&["ops", "--json"]).json().as_array().unwrap().len(),
        19
    );
    assert_eq!(
        with(&["-v", "describe", "get_teams_users_v2_user_get"]).code,
        Some(0)
    );
    // A spec on the command line wins.
    let other = with(&["ops", "tests/fixtures/errors/api.yaml"]);
    assert!(
        other.stdout.starts_with("demo.list-items "),
        "{}",
        other.stdout
    );
}

#[test]
fn validate_groups_many_warnings_of_one_kind_with_a_count() {
    let mailchimp = "tests/fixtures/corpus/mailchimp__email-marketing.yaml";
    let all = run(["validate", mailchimp, "--all"]);
    assert_eq!(all.code, Some(0), "{}", all.all());
    assert_eq!(findings(&all.stdout).count(), 11, "{}", all.stdout);
    let grouped = run(["validate", mailchimp]);
    assert_eq!(
        grouped.stderr, all.stderr,
        "the summary counts every warning"
    );
    let lines: Vec<&str> = findings(&grouped.stdout).collect();
    assert_eq!(
        &lines[..3],
        &findings(&all.stdout).take(3).collect::<Vec<_>>()[..]
    );
    assert_eq!(
        lines[3..],
        [format!(
            "{mailchimp}: warning: … and 8 more like this one (`--all` lists them)"
        )]
    );
    // Five of a kind are all listed (the seed), and machine formats list everything.
    assert_eq!(findings(&run(["validate", USERS]).stdout).count(), 5);
    let json = run(["validate", mailchimp, "--format", "json"]).json();
    assert_eq!(json.as_array().unwrap().len(), 11);
}

/// Runs the binary with `args` on a pseudo-terminal (util-linux `script`), with `NO_COLOR`
/// set to `no_color` or unset; returns what the terminal showed.
fn on_a_terminal(args: &str, no_color: Option<&str>) -> String {
    let bin = assert_cmd::cargo::cargo_bin("naftiko");
    let mut cmd = std::process::Command::new("script");
    cmd.args(["-qec", &format!("{} {args}", bin.display()), "/dev/null"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("NO_COLOR");
    if let Some(v) = no_color {
        cmd.env("NO_COLOR", v);
    }
    let out = cmd.output().expect("util-linux script runs");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n")
}

#[test]
fn json_is_coloured_on_a_terminal_unless_no_color_is_set() {
    let file = tmp_dir("colour").join("doc.json");
    std::fs::write(&file, r#"{"a": [1, "x", true]}"#).unwrap();
    let args = format!("query '$.a' {}", file.display());
    let plain = "[\n  [\n    1,\n    \"x\",\n    true\n  ]\n]\n";
    // Not a terminal: compact, never coloured.
    let piped = run(["query", "$.a", file.to_str().unwrap()]);
    assert_eq!(piped.stdout, "[[1,\"x\",true]]\n");
    assert_eq!(on_a_terminal(&args, Some("1")), plain);
    // An empty NO_COLOR does not count (no-color.org).
    for no_color in [None, Some("")] {
        let shown = on_a_terminal(&args, no_color);
        assert!(shown.contains("\x1b[32m\"x\"\x1b[0m"), "{shown:?}");
        let stripped = shown
            .split('\x1b')
            .enumerate()
            .map(|(i, s)| {
                if i == 0 {
                    s
                } else {
                    &s[s.find('m').unwrap() + 1..]
                }
            })
            .collect::<String>();
        assert_eq!(stripped, plain);
    }
}

#[test]
fn a_value_of_the_wrong_type_hints_a_value_that_would_work() {
    for (arg, hint) in [
        ("limit=five", "hint: for example `limit=5`"),
        ("active=maybe", "hint: for example `active=true`"),
    ] {
        let out = run(["call", "tests/fixtures/errors/api.yaml", "list-items", arg]);
        assert_eq!(out.code, Some(1), "{}", out.all());
        assert_eq!(out.stderr.lines().nth(1), Some(hint), "{}", out.stderr);
        // What the hint says works.
        let fixed = hint
            .trim_start_matches("hint: for example `")
            .trim_end_matches('`');
        let ok = run([
            "call",
            "tests/fixtures/errors/api.yaml",
            "list-items",
            fixed,
            "--dry-run",
        ]);
        assert_eq!(ok.code, Some(0), "{fixed}: {}", ok.all());
    }
}

/// What the binary answers bash's completion request for `words` (the cursor on the last).
fn completions_for(words: &[&str]) -> Vec<String> {
    let out = run_cmd(
        naftiko()
            .env("COMPLETE", "bash")
            .env("_CLAP_COMPLETE_INDEX", (words.len() - 1).to_string())
            .env("_CLAP_COMPLETE_COMP_TYPE", "9")
            .env("_CLAP_COMPLETE_SPACE", "true")
            .env_remove("NAFTIKO_SPEC")
            .arg("--")
            .args(words),
    );
    assert_eq!(out.code, Some(0), "{}", out.all());
    out.stdout
        .split(['\u{b}', '\n'])
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn dynamic_completion_offers_the_specs_operations_and_the_operations_arguments() {
    let ops = completions_for(&["naftiko", "call", USERS, "get_user_dev"]);
    assert_eq!(
        ops,
        [
            "get_user_devices_v2_user__user_id__device_get",
            "get_user_device_v2_user__user_id__device__device_id__get"
        ]
    );
    let qualified = completions_for(&["naftiko", "describe", USERS, "users.get_teams"]);
    assert!(
        qualified.iter().all(|o| o.starts_with("users.get_teams")),
        "{qualified:?}"
    );
    assert!(!qualified.is_empty());
    let args = completions_for(&[
        "naftiko",
        "call",
        USERS,
        "get_user_device_v2_user__user_id__device__device_id__get",
        "user_id=1",
        "",
    ]);
    let args: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    assert_eq!(
        args,
        ["device_id="],
        "user_id is given already (flags are offered too)"
    );
    // No spec on the line (and none in NAFTIKO_SPEC): nothing to offer, and no error.
    assert!(completions_for(&["naftiko", "call", "nope.yaml", "get"]).is_empty());
    // The shell's registration script names the binary.
    let script = run_cmd(naftiko().env("COMPLETE", "bash"));
    assert!(
        script.stdout.contains("_clap_complete_naftiko"),
        "{}",
        script.stdout
    );
}

/// Plain-http calls go out on hyper's client directly, but a proxy named in the
/// environment is still honoured (reqwest's client then sends them): the request reaches
/// the proxy in absolute form, and the upstream (a closed port) is never contacted.
#[tokio::test]
async fn a_proxy_in_the_environment_carries_plain_http_calls() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let upstream = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    for var in ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"] {
        let proxy = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path(format!("/v2/user/{U}")))
            .and(header("x-vital-api-key", KEY))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"user_id": U})))
            .expect(1)
            .mount(&proxy)
            .await;
        let out = run_cmd(
            naftiko()
                .args(["call", USERS, "get_user_v2_user__user_id__get"])
                .arg(format!("user_id={U}"))
                .args(["--base-uri", &upstream])
                .env("VITAL_API_KEY", KEY)
                .env(var, proxy.uri()),
        );
        assert_eq!(out.code, Some(0), "{var}: {}", out.all());
        assert_eq!(out.json()["result"]["user_id"], U, "{var}");
        let sent = proxy.received_requests().await.unwrap();
        // Absolute form: the request names the upstream, as a proxy needs.
        assert_eq!(
            sent[0].url.as_str(),
            format!("{upstream}/v2/user/{U}"),
            "{var}"
        );
    }
}
