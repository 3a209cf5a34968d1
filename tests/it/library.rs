//! The library's own surface (issue #15): typed calls, a client and default headers of the
//! user's, the authentication hook, `Send + Sync`, the blocking API. Real HTTP on 127.0.0.1.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use naftiko::reqwest::header::{HeaderMap, HeaderValue};
use naftiko::{Error, MapError, RetryPolicy, Runtime};
use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{self, vital};

const USERS: &str = "get_teams_users_v2_user_get";

/// The runtime is shared between tasks and threads (servers clone it into every handler).
const _: fn() = || {
    fn send_sync<T: Send + Sync + 'static>() {}
    send_sync::<Runtime>();
    send_sync::<naftiko::RuntimeBuilder>();
    #[cfg(feature = "blocking")]
    send_sync::<naftiko::blocking::Runtime>();
};

fn builder(server: &MockServer) -> naftiko::RuntimeBuilder {
    support::builder(
        vital::capability(),
        &[("VITAL_API_KEY", vital::KEY)],
        Some(("users", &server.uri())),
    )
}

async fn serve_users(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/v2/user"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "users": [{"user_id": "u-1"}], "total": 1, "offset": 0, "limit": 50
        })))
        .mount(server)
        .await;
}

#[derive(serde::Deserialize, Debug)]
struct Output {
    result: Users,
}

#[derive(serde::Deserialize, Debug)]
struct Users {
    total: u64,
    users: Vec<User>,
}

#[derive(serde::Deserialize, Debug)]
struct User {
    user_id: String,
}

#[tokio::test]
async fn call_as_deserializes_the_mapped_output_into_the_callers_type() {
    let server = MockServer::start().await;
    serve_users(&server).await;
    let rt = builder(&server).build().unwrap();
    let out: Output = rt.call_as(USERS, json!({})).await.unwrap();
    assert_eq!(out.result.total, 1);
    assert_eq!(out.result.users[0].user_id, "u-1");
}

#[tokio::test]
async fn call_as_names_the_operation_when_the_output_does_not_fit() {
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Wrong {
        result: Vec<u8>,
    }
    let server = MockServer::start().await;
    serve_users(&server).await;
    let rt = builder(&server).build().unwrap();
    let err = rt.call_as::<Wrong>(USERS, json!({})).await.unwrap_err();
    assert!(
        matches!(err, Error::Map(MapError::Output { .. })),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.starts_with("operation `users.get_teams_users_v2_user_get`: the output does not fit the type asked for (invalid type: map, expected a sequence"),
        "{text}"
    );
}

#[tokio::test]
async fn a_client_of_the_users_replaces_the_default_one() {
    let server = MockServer::start().await;
    Mock::given(header("user-agent", "my-app/1.0"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"total": 0})))
        .mount(&server)
        .await;
    let client = naftiko::client_builder()
        .user_agent("my-app/1.0")
        .build()
        .unwrap();
    let rt = builder(&server).client(client).build().unwrap();
    let out = rt.call(USERS, json!({})).await.unwrap();
    assert_eq!(out, json!({"result": {"total": 0}}));
}

#[tokio::test]
async fn default_headers_are_sent_and_never_replace_the_operations_own() {
    let server = MockServer::start().await;
    serve_users(&server).await;
    let mut headers = HeaderMap::new();
    headers.insert("x-team", HeaderValue::from_static("data"));
    headers.insert("x-vital-api-key", HeaderValue::from_static("not-the-key"));
    let rt = builder(&server).default_headers(headers).build().unwrap();
    let req = rt.prepare(USERS, json!({})).unwrap();
    assert_eq!(req.header("x-team").as_deref(), Some("data"));
    rt.call(USERS, json!({})).await.unwrap();
    let got = &server.received_requests().await.unwrap()[0];
    assert_eq!(got.headers.get("x-team").unwrap(), "data");
    let keys: Vec<_> = got.headers.get_all("x-vital-api-key").iter().collect();
    assert_eq!(keys, [vital::KEY], "the declared key header, once");
}

/// A hook that counts its calls and sets `authorization` (and replaces the scheme's key).
fn counting_hook(
    calls: Arc<AtomicUsize>,
) -> impl Fn(&naftiko::AuthContext<'_>, &mut HeaderMap) -> Result<(), String> + Send + Sync {
    move |cx, headers| {
        let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
        let token = format!("Bearer {}-{n}", cx.namespace);
        headers.insert("authorization", HeaderValue::from_str(&token).unwrap());
        headers.insert("x-vital-api-key", HeaderValue::from_static("from-hook"));
        Ok(())
    }
}

#[tokio::test]
async fn the_auth_hook_runs_before_every_attempt_and_overrides_the_scheme() {
    let server = MockServer::start().await;
    Mock::given(header("authorization", "Bearer users-1"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    Mock::given(header("authorization", "Bearer users-2"))
        .and(header("x-vital-api-key", "from-hook"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"total": 2})))
        .mount(&server)
        .await;
    let calls = Arc::new(AtomicUsize::new(0));
    let retry = RetryPolicy {
        initial_backoff: std::time::Duration::from_millis(1),
        ..RetryPolicy::default()
    };
    let rt = (builder(&server).retry(retry))
        .auth_hook("users", counting_hook(calls.clone()))
        .build()
        .unwrap();
    let out = rt.call(USERS, json!({})).await.unwrap();
    assert_eq!(out, json!({"result": {"total": 2}}));
    assert_eq!(calls.load(Ordering::SeqCst), 2, "once per attempt");
    let dry = rt.dry_run(USERS, json!({})).unwrap();
    assert_eq!(dry.header("authorization").as_deref(), Some("***"));
}

#[tokio::test]
async fn an_auth_hook_error_fails_the_call_without_sending_it() {
    let server = MockServer::start().await;
    serve_users(&server).await;
    let rt = (builder(&server))
        .auth_hook_all(|_, _| Err("no token in the keyring".into()))
        .build()
        .unwrap();
    let err = rt.call(USERS, json!({})).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("authentication failed: no token in the keyring"),
        "{err}"
    );
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[test]
fn an_auth_hook_for_an_unknown_namespace_is_refused_with_the_known_ones() {
    let err = Runtime::builder(vital::capability())
        .auth_hook("user", |_, _| Ok(()))
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::UnknownNamespace { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "auth hook for unknown namespace `user`; did you mean `users`?; namespaces: users"
    );
}

#[test]
fn prepared_headers_include_the_content_type_of_the_body() {
    let rt = vital::runtime(None);
    let post = rt
        .prepare(
            "create_user_v2_user_post",
            json!({"body": {"client_user_id": "c"}}),
        )
        .unwrap();
    assert_eq!(
        post.header("content-type").as_deref(),
        Some("application/json")
    );
    assert!(post
        .headers()
        .contains(&("content-type".into(), "application/json".into())));
    let get = rt.prepare(USERS, json!({})).unwrap();
    assert_eq!(get.header("content-type"), None, "no body, no content type");
}

#[cfg(feature = "blocking")]
#[test]
fn the_blocking_runtime_calls_without_an_async_caller() {
    let server_rt = tokio::runtime::Runtime::new().unwrap();
    let server = server_rt.block_on(async {
        let server = MockServer::start().await;
        serve_users(&server).await;
        server
    });
    let rt = naftiko::blocking::Runtime::new(builder(&server)).unwrap();
    let out: Output = rt.call_as(USERS, json!({})).unwrap();
    assert_eq!(out.result.total, 1);
    let value = rt.call(USERS, json!({})).unwrap();
    assert_eq!(value["result"]["users"][0]["user_id"], "u-1");
    let by_pairs = rt.call_args(USERS, &[("offset", json!(0))]).unwrap();
    assert_eq!(by_pairs, value);
    let req = rt.prepare(USERS, json!({"limit": 2})).unwrap();
    assert!(req.url().ends_with("/v2/user?limit=2"), "{}", req.url());
}

#[tokio::test]
async fn a_consumer_with_its_own_ca_keeps_its_own_client_beside_a_users_client() {
    let server = MockServer::start().await;
    serve_users(&server).await;
    let https = server.uri().replace("http://", "https://");
    let client = naftiko::client_builder().build().unwrap();
    let rt = support::builder(
        vital::capability(),
        &[("VITAL_API_KEY", vital::KEY)],
        Some(("users", &https)),
    )
    .client(client)
    .ca_file("users", "tests/fixtures/no-such-ca.pem")
    .build()
    .unwrap();
    let err = rt.call(USERS, json!({})).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("cannot read the CA file `tests/fixtures/no-such-ca.pem`"),
        "the consumer's own client (with its CA) was used: {err}"
    );
}

async fn serve_users_page(server: &MockServer, limit: &str) {
    Mock::given(method("GET"))
        .and(path("/v2/user"))
        .and(wiremock::matchers::query_param("limit", limit))
        .and(header("x-vital-api-key", vital::KEY))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "users": [{"user_id": "u-1"}], "total": 1, "offset": 0, "limit": limit
        })))
        .mount(server)
        .await;
}

#[tokio::test]
async fn call_args_sends_what_call_sends_and_gives_the_same_output() {
    let server = MockServer::start().await;
    serve_users_page(&server, "5").await;
    let rt = builder(&server).build().unwrap();
    let by_json = rt.call(USERS, json!({"offset": 0, "limit": 5})).await;
    let pairs = [("offset", json!(0)), ("limit", json!(5))];
    let by_pairs = rt.call_args(USERS, &pairs).await;
    assert_eq!(by_pairs.unwrap(), by_json.unwrap());
}

#[tokio::test]
async fn call_args_refuses_what_call_refuses_with_the_same_message() {
    let server = MockServer::start().await;
    serve_users(&server).await;
    let rt = builder(&server).build().unwrap();
    for (pairs, object) in [
        (vec![("limt", json!(5))], json!({"limt": 5})),
        (vec![("limit", json!("five"))], json!({"limit": "five"})),
    ] {
        let by_pairs = rt.call_args(USERS, &pairs).await.unwrap_err();
        let by_json = rt.call(USERS, object).await.unwrap_err();
        assert_eq!(by_pairs.to_string(), by_json.to_string());
    }
    assert_eq!(server.received_requests().await.unwrap().len(), 0);
}

#[tokio::test]
async fn call_args_takes_the_last_value_of_a_name_given_twice() {
    let server = MockServer::start().await;
    serve_users_page(&server, "7").await;
    let rt = builder(&server).build().unwrap();
    let pairs = [("limit", json!(5)), ("limit", json!(7))];
    let out = rt.call_args(USERS, &pairs).await.unwrap();
    assert_eq!(out["result"]["limit"], "7");
}
