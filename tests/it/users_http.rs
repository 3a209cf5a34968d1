//! The 19 Junction Users operations over real HTTP on 127.0.0.1 (wiremock): what the server
//! receives must match what the official SDKs send, and the output mapping must apply.

use crate::support;

use naftiko::{Error, PrepareError, Runtime, SendError};
use serde_json::{json, Value};
use support::vital::{self, cases, D, KEY, U};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

fn runtime(server: &MockServer) -> Runtime {
    vital::runtime(Some(&server.uri()))
}

fn header<'a>(req: &'a wiremock::Request, name: &str) -> Option<&'a str> {
    req.headers.get(name).and_then(|v| v.to_str().ok())
}

fn target(req: &wiremock::Request) -> String {
    match req.url.query() {
        Some(q) => format!("{}?{}", req.url.path(), q),
        None => req.url.path().to_string(),
    }
}

#[tokio::test]
async fn every_users_operation_sends_what_the_official_sdks_send() {
    let server = MockServer::start().await;
    let answer = json!({"ok": true, "user_id": U});
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(&answer))
        .mount(&server)
        .await;
    let rt = runtime(&server);
    let all = cases();
    assert_eq!(all.len(), 19);
    for case in &all {
        let out = rt
            .call(case.op, case.args.clone())
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", case.op));
        assert_eq!(out, json!({"result": answer}), "{}: mapped output", case.op);
    }
    let received = server.received_requests().await.expect("recording is on");
    assert_eq!(received.len(), 19);
    for (case, req) in all.iter().zip(&received) {
        assert_eq!(req.method.as_str(), case.method, "{}", case.op);
        assert_eq!(target(req), case.target, "{}", case.op);
        assert_eq!(header(req, "x-vital-api-key"), Some(KEY), "{}", case.op);
        assert!(
            header(req, "user-agent").is_some_and(|ua| ua.starts_with("naftiko/")),
            "{}",
            case.op
        );
        match &case.body {
            Some(body) => {
                let sent: Value = serde_json::from_slice(&req.body).expect("JSON body");
                assert_eq!(&sent, body, "{}: body", case.op);
                assert_eq!(
                    header(req, "content-type"),
                    Some("application/json"),
                    "{}",
                    case.op
                );
            }
            None => {
                assert!(req.body.is_empty(), "{}: no body", case.op);
                assert_eq!(
                    header(req, "content-type"),
                    None,
                    "{}: no content-type without a body",
                    case.op
                );
                if case.method == "POST" {
                    assert_eq!(
                        header(req, "content-length"),
                        Some("0"),
                        "{}: body-less POST",
                        case.op
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn a_float_query_value_keeps_its_fraction_and_an_integer_has_none() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(202).set_body_json(json!({"success": true})))
        .mount(&server)
        .await;
    let rt = runtime(&server);
    rt.call(
        "refresh_user_id_v2_user_refresh__user_id__post",
        json!({"user_id": U, "timeout": 12.5}),
    )
    .await
    .unwrap();
    rt.call(
        "refresh_user_id_v2_user_refresh__user_id__post",
        json!({"user_id": U, "timeout": 30.0}),
    )
    .await
    .unwrap();
    let received = server.received_requests().await.unwrap();
    assert_eq!(received[0].url.query(), Some("timeout=12.5"));
    assert_eq!(received[1].url.query(), Some("timeout=30"));
}

#[tokio::test]
async fn a_204_response_maps_to_null() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let rt = runtime(&server);
    let out = rt
        .call(
            "patch_user_v2_user__user_id__patch",
            json!({"user_id": U, "body": {}}),
        )
        .await
        .unwrap();
    assert_eq!(out, json!({"result": null}));
    let received = server.received_requests().await.unwrap();
    assert_eq!(received[0].body, b"{}");
}

async fn status_error(status: u16, body: ResponseTemplate) -> naftiko::HttpError {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(body.set_delay(std::time::Duration::ZERO))
        .mount(&server)
        .await;
    let rt = runtime(&server);
    let err = rt
        .call("get_user_v2_user__user_id__get", json!({"user_id": U}))
        .await
        .unwrap_err();
    let http = err
        .http()
        .unwrap_or_else(|| panic!("expected an HTTP error, got {err}"))
        .clone();
    assert_eq!(http.status, status);
    // 4xx are never retried.
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
    http
}

#[tokio::test]
async fn a_422_with_an_array_detail_is_a_typed_error_with_the_parsed_body() {
    let detail = json!([{"type": "missing", "loc": ["body", "client_user_id"], "msg": "Field required", "input": {}}]);
    let e = status_error(
        422,
        ResponseTemplate::new(422).set_body_json(json!({"detail": detail})),
    )
    .await;
    assert_eq!(e.detail(), Some(&detail));
    assert_eq!(
        e.to_string(),
        "operation `users.get_user_v2_user__user_id__get`: HTTP 422 Unprocessable Entity: body.client_user_id: Field required"
    );
}

#[tokio::test]
async fn a_404_with_a_string_detail_is_a_typed_error() {
    let e = status_error(
        404,
        ResponseTemplate::new(404).set_body_json(json!({"detail": "User not found"})),
    )
    .await;
    assert_eq!(e.detail(), Some(&json!("User not found")));
    assert!(
        e.to_string()
            .ends_with("HTTP 404 Not Found: User not found"),
        "{e}"
    );
}

#[tokio::test]
async fn a_400_with_an_object_detail_is_a_typed_error() {
    let detail = json!({"error_type": "INVALID_REQUEST", "error_message": "Client user id already exists.", "user_id": U});
    let e = status_error(
        400,
        ResponseTemplate::new(400).set_body_json(json!({"detail": detail})),
    )
    .await;
    assert_eq!(e.detail(), Some(&detail));
    assert!(
        e.to_string().ends_with(": Client user id already exists."),
        "{e}"
    );
}

#[tokio::test]
async fn a_non_json_error_body_is_kept_as_text() {
    let e = status_error(400, ResponseTemplate::new(400).set_body_string("oops")).await;
    assert_eq!(e.body, json!("oops"));
    assert_eq!(e.detail(), None);
}

#[tokio::test]
async fn an_invalid_json_success_body_is_a_decode_error() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>not json</html>"))
        .mount(&server)
        .await;
    let err = runtime(&server)
        .call("get_user_v2_user__user_id__get", json!({"user_id": U}))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Map(naftiko::MapError::Decode { .. })),
        "{err:?}"
    );
    assert!(err.to_string().contains("not valid JSON"), "{err}");
    assert!(err.to_string().contains("<html>"), "{err}");
}

#[tokio::test]
async fn a_missing_key_is_refused_before_any_request_and_names_the_variable() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let rt = support::runtime(vital::capability(), &[], Some(("users", &server.uri())));
    let err = rt
        .call("get_user_v2_user__user_id__get", json!({"user_id": U}))
        .await
        .unwrap_err();
    let Error::Bind(bind) = &err else {
        panic!("expected a bind error, got {err:?}")
    };
    assert_eq!(bind.variable(), "VITAL_API_KEY");
    assert_eq!(
        err.to_string(),
        "operation `users.get_user_v2_user__user_id__get` needs the environment variable `VITAL_API_KEY` for the API key `X-Vital-API-Key`, but it is not set"
    );
    assert!(server.received_requests().await.unwrap().is_empty());
    // Listing and dry runs still work without the secret.
    let dry = rt
        .dry_run("get_user_v2_user__user_id__get", json!({"user_id": U}))
        .unwrap();
    assert_eq!(dry.header("x-vital-api-key").as_deref(), Some("***"));
}

#[tokio::test]
async fn an_unknown_operation_suggests_the_closest_name() {
    let server = MockServer::start().await;
    let err = runtime(&server)
        .call("get_user_v2_user__user_id__gett", json!({}))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Lookup(_)));
    assert!(
        err.to_string()
            .contains("did you mean `get_user_v2_user__user_id__get`?"),
        "{err}"
    );
}

#[tokio::test]
async fn operations_are_addressed_by_name_or_namespace_dot_name() {
    let server = MockServer::start().await;
    let rt = runtime(&server);
    let a = rt
        .prepare(
            "users.get_user_v2_user__user_id__get",
            json!({"user_id": U}),
        )
        .unwrap();
    let b = rt
        .prepare("get_user_v2_user__user_id__get", json!({"user_id": U}))
        .unwrap();
    assert_eq!(a.url(), b.url());
}

#[tokio::test]
async fn bad_arguments_are_refused_before_any_request() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let rt = runtime(&server);
    let wrong_type = rt
        .call("get_teams_users_v2_user_get", json!({"limit": "five"}))
        .await
        .unwrap_err();
    assert_eq!(
        wrong_type.to_string(),
        "operation `users.get_teams_users_v2_user_get`: argument `limit` must be an integer, found the string \"five\""
    );
    let fraction = rt
        .call("get_teams_users_v2_user_get", json!({"limit": 5.5}))
        .await
        .unwrap_err();
    assert!(
        matches!(fraction, Error::Prepare(PrepareError::WrongType { .. })),
        "{fraction:?}"
    );
    let boolean = rt
        .call(
            "get_latest_insurance_v2_user__user_id__insurance_latest_get",
            json!({"user_id": U, "is_primary": "no"}),
        )
        .await
        .unwrap_err();
    assert!(
        boolean.to_string().contains("must be a boolean"),
        "{boolean}"
    );
    let body = rt
        .call("create_user_v2_user_post", json!({"body": "x"}))
        .await
        .unwrap_err();
    assert!(body.to_string().contains("must be a JSON object"), "{body}");
    let unknown = rt
        .call("get_teams_users_v2_user_get", json!({"limt": 5}))
        .await
        .unwrap_err();
    assert!(
        unknown
            .to_string()
            .contains("has no parameter `limt` (did you mean `limit`?)"),
        "{unknown}"
    );
    let missing = rt
        .call(
            "get_user_device_v2_user__user_id__device__device_id__get",
            json!({"user_id": U}),
        )
        .await
        .unwrap_err();
    assert_eq!(
        missing.to_string(),
        "operation `users.get_user_device_v2_user__user_id__device__device_id__get` is missing required argument(s): device_id"
    );
    let not_object = rt
        .call("get_teams_users_v2_user_get", json!([1]))
        .await
        .unwrap_err();
    assert!(
        not_object.to_string().contains("must be a JSON object"),
        "{not_object}"
    );
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn path_injection_attempts_stay_inside_one_segment() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .mount(&server)
        .await;
    let rt = runtime(&server);
    let op = "get_user_by_client_user_id_v2_user_resolve__client_user_id__get";
    let attempts = [
        ("a b/c", "/v2/user/resolve/a%20b%2Fc"),
        ("../../admin", "/v2/user/resolve/..%2F..%2Fadmin"),
        ("x?admin=1#frag", "/v2/user/resolve/x%3Fadmin%3D1%23frag"),
        ("100%", "/v2/user/resolve/100%25"),
        ("ünï", "/v2/user/resolve/%C3%BCn%C3%AF"),
        ("%2e%2e", "/v2/user/resolve/%252e%252e"),
    ];
    for (value, _) in &attempts {
        rt.call(op, json!({"client_user_id": value})).await.unwrap();
    }
    let received = server.received_requests().await.unwrap();
    for ((value, path), req) in attempts.iter().zip(&received) {
        assert_eq!(req.url.path(), *path, "{value}");
        assert_eq!(req.url.query(), None, "{value}");
        let segments: Vec<&str> = req.url.path_segments().unwrap().collect();
        assert_eq!(segments.len(), 4, "{value} must stay one segment");
    }
    for dots in ["..", ".", ""] {
        let err = rt
            .call(op, json!({"client_user_id": dots}))
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::Prepare(PrepareError::InvalidValue { .. })),
            "{dots:?}: {err:?}"
        );
    }
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        attempts.len()
    );
}

#[tokio::test]
async fn a_connection_refused_is_a_transport_error() {
    let refused = format!("http://127.0.0.1:{}", support::free_port());
    let rt = support::builder(
        vital::capability(),
        &[("VITAL_API_KEY", KEY)],
        Some(("users", &refused)),
    )
    .retry(naftiko::RetryPolicy::none())
    .build()
    .unwrap();
    let err = rt
        .call("get_user_v2_user__user_id__get", json!({"user_id": D}))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Send(SendError::Connect { .. })),
        "{err:?}"
    );
    assert!(!err.to_string().contains(KEY));
}
