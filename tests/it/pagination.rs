//! Pagination (issue #15): `Runtime::pages` over three pages of each style, served by
//! wiremock on 127.0.0.1; the `pagination:` block's load errors; `call --all`.

use futures_util::StreamExt;
use naftiko::{Capability, Error, Page, PageError, PageOptions, Runtime};
use serde_json::{json, Value};
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support;

const STYLES: &str = "tests/fixtures/pagination/styles.yaml";

fn runtime(server: &MockServer) -> Runtime {
    let cap = Capability::from_path(STYLES).expect("the pagination fixture loads");
    support::runtime(cap, &[], Some(("pages", &server.uri())))
}

/// Serves `body` to GET /items when the query parameter `name` is `value` (`None`: absent).
async fn page(server: &MockServer, name: &str, value: Option<&str>, body: ResponseTemplate) {
    let mock = Mock::given(method("GET")).and(path("/items"));
    let mock = match value {
        Some(v) => mock.and(query_param(name, v)),
        None => mock.and(query_param_is_missing(name)),
    };
    mock.respond_with(body).expect(1).mount(server).await;
}

fn json_body(v: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(v)
}

async fn all_pages(rt: &Runtime, op: &str, args: Value, max: Option<u32>) -> Vec<Page> {
    let options = PageOptions { max_pages: max };
    let pages = rt
        .pages_with(op, args, &options)
        .expect("the operation pages");
    let results: Vec<Result<Page, Error>> = pages.collect().await;
    results.into_iter().map(|p| p.expect("a page")).collect()
}

fn bodies(pages: &[Page]) -> Vec<Value> {
    pages.iter().map(|p| p.body.clone()).collect()
}

#[test]
fn an_operation_without_pagination_is_refused_before_any_request() {
    let cap = Capability::from_path(STYLES).unwrap();
    let rt = support::runtime(cap, &[], None);
    let err = rt.pages("unpaged", json!({})).unwrap_err();
    assert!(
        matches!(err, Error::Page(PageError::NotPaginated { .. })),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "operation `pages.unpaged` does not page: it has no `pagination` block, and no `offset` and `limit` query parameters to infer one from (README \"Pagination\")"
    );
}

#[test]
fn offset_and_limit_query_parameters_infer_offset_pagination() {
    let cap = Capability::from_path(STYLES).unwrap();
    let op = &cap.operations()[0];
    let p = op.pagination().expect("inferred");
    assert!(p.is_inferred());
    assert!(matches!(p.style(), naftiko::PageStyle::Offset { .. }));
    assert!(cap.operations()[5].pagination().is_none(), "unpaged");
    let users = Capability::from_path("specs/vital/users.yaml").unwrap();
    let teams = users.operation("get_teams_users_v2_user_get").unwrap();
    assert!(teams.pagination().is_some_and(|p| p.is_inferred()));
}

#[tokio::test]
async fn offset_pages_step_by_the_limit_until_the_total() {
    let server = MockServer::start().await;
    let items = |ids: &[u32]| json_body(json!({"users": ids, "total": 5}));
    page(&server, "offset", None, items(&[1, 2])).await;
    page(&server, "offset", Some("2"), items(&[3, 4])).await;
    page(&server, "offset", Some("4"), items(&[5])).await;
    let pages = all_pages(&runtime(&server), "by-offset", json!({"limit": 2}), None).await;
    let users: Vec<Value> = pages.iter().map(|p| p.body["users"].clone()).collect();
    assert_eq!(users, [json!([1, 2]), json!([3, 4]), json!([5])]);
    assert_eq!(pages[2].number, 3);
    assert_eq!(
        pages[0].output, pages[0].body,
        "no output mapping: the body"
    );
}

#[tokio::test]
async fn page_numbers_count_up_to_the_total_pages() {
    let server = MockServer::start().await;
    for (value, n) in [(None, 1), (Some("2"), 2), (Some("3"), 3)] {
        page(
            &server,
            "page",
            value,
            json_body(json!({"n": n, "pages": 3})),
        )
        .await;
    }
    let pages = all_pages(&runtime(&server), "by-page", json!({}), None).await;
    let numbers: Vec<&Value> = pages.iter().map(|p| &p.body["n"]).collect();
    assert_eq!(numbers, [1, 2, 3]);
}

#[tokio::test]
async fn a_cursor_is_followed_until_it_is_null() {
    let server = MockServer::start().await;
    page(
        &server,
        "after",
        None,
        json_body(json!({"n": 1, "meta": {"next": "c2"}})),
    )
    .await;
    page(
        &server,
        "after",
        Some("c2"),
        json_body(json!({"n": 2, "meta": {"next": "c3"}})),
    )
    .await;
    page(
        &server,
        "after",
        Some("c3"),
        json_body(json!({"n": 3, "meta": {"next": null}})),
    )
    .await;
    let pages = all_pages(&runtime(&server), "by-cursor", json!({}), Some(10)).await;
    assert_eq!(bodies(&pages).len(), 3);
    assert_eq!(pages[2].body["n"], 3);
}

#[tokio::test]
async fn max_pages_in_the_capability_bounds_a_run() {
    let server = MockServer::start().await;
    let body = |n| json_body(json!({"n": n, "meta": {"next": format!("c{}", n + 1)}}));
    page(&server, "after", None, body(1)).await;
    page(&server, "after", Some("c2"), body(2)).await;
    let pages = all_pages(&runtime(&server), "by-cursor", json!({}), None).await;
    assert_eq!(pages.len(), 2, "maxPages: 2");
}

#[tokio::test]
async fn link_headers_rel_next_are_followed_absolute_or_relative() {
    let server = MockServer::start().await;
    let uri = server.uri();
    let linked = |n: u32, link: Option<String>| {
        let mut t = json_body(json!({"n": n}));
        if let Some(l) = link {
            t = t.insert_header("link", l.as_str());
        }
        t
    };
    let first = format!(r#"<{uri}/items?p=2>; rel="next", <{uri}/items?p=3>; rel="last""#);
    page(&server, "p", None, linked(1, Some(first))).await;
    page(
        &server,
        "p",
        Some("2"),
        linked(2, Some(r#"</items?p=3>; rel="next""#.into())),
    )
    .await;
    page(&server, "p", Some("3"), linked(3, None)).await;
    let pages = all_pages(&runtime(&server), "by-link", json!({}), None).await;
    let numbers: Vec<&Value> = pages.iter().map(|p| &p.body["n"]).collect();
    assert_eq!(numbers, [1, 2, 3]);
}

#[tokio::test]
async fn a_next_url_in_the_body_is_followed_until_absent() {
    let server = MockServer::start().await;
    let uri = server.uri();
    let body = |ids: Value, next: Value| json_body(json!({"items": ids, "next": next}));
    page(
        &server,
        "c",
        None,
        body(json!([1]), json!(format!("{uri}/items?c=2"))),
    )
    .await;
    page(
        &server,
        "c",
        Some("2"),
        body(json!([2]), json!(format!("{uri}/items?c=3"))),
    )
    .await;
    page(&server, "c", Some("3"), body(json!([3]), Value::Null)).await;
    let pages = all_pages(&runtime(&server), "by-next-url", json!({}), None).await;
    let items: Vec<&Value> = pages.iter().map(|p| &p.body["items"]).collect();
    assert_eq!(items, [&json!([1]), &json!([2]), &json!([3])]);
}

#[tokio::test]
async fn a_next_url_on_another_origin_is_not_followed() {
    let server = MockServer::start().await;
    let body = json_body(json!({"items": [1], "next": "http://elsewhere.example/items?c=2"}));
    page(&server, "c", None, body).await;
    let rt = runtime(&server);
    let results: Vec<_> = rt.pages("by-next-url", json!({})).unwrap().collect().await;
    assert_eq!(results.len(), 2, "the first page, then the refusal");
    let err = results[1].as_ref().unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("operation `pages.by-next-url`: the next page is at `http://elsewhere.example/items?c=2`, another origin than `{}`; not followed (the request's credentials would go there)", server.uri())
    );
}

/// The block's mistakes, each reported at load with the operation's name.
#[test]
fn a_wrong_pagination_block_fails_the_load_with_what_is_wrong() {
    let cases = [
        ("{style: pages}", "operation `op`: pagination has unknown style `pages`; styles: offset, page, cursor, link, nextUrl"),
        ("{next: $.n}", "operation `op`: pagination has no `style`; styles: offset, page, cursor, link, nextUrl"),
        ("{style: cursor}", "operation `op`: pagination parameter `cursor` is not an input parameter of the operation; parameters: after"),
        ("{style: cursor, cursor: after}", "operation `op`: pagination style `cursor` needs `next`, the JSONPath of the next cursor in the response"),
        ("{style: nextUrl, next: '$.['}", "operation `op`: pagination `next`: invalid JSONPath `$.[`"),
        ("{style: page, page: after}", "operation `op`: pagination style `page` needs `items` or `totalPages` to know when to stop"),
        ("{style: link, maxPages: 0}", "operation `op`: pagination `maxPages` should be a positive integer, found `0`"),
        ("[link]", "operation `op`: `pagination` should be a mapping, found a list"),
    ];
    for (block, want) in cases {
        let text = format!(
            "naftiko: 1.0.0-alpha2\ncapability:\n  consumes:\n  - type: http\n    namespace: d\n    baseUri: http://127.0.0.1:9\n    resources:\n    - name: r\n      path: /r\n      operations:\n      - name: op\n        inputParameters:\n        - {{name: after, in: query}}\n        pagination: {block}\n"
        );
        let err = Capability::from_str_named(&text, "p.yaml", None).unwrap_err();
        assert!(err.to_string().contains(want), "{block}: {err}");
    }
}

/// `naftiko call STYLES OP --base-uri SERVER ARGS…`.
fn call_all(server: &MockServer, op: &str, args: &[&str]) -> support::bin::Run {
    let uri = server.uri();
    let mut all = vec!["call", STYLES, op, "--base-uri", uri.as_str()];
    all.extend_from_slice(args);
    support::bin::run(all)
}

async fn three_offset_pages(server: &MockServer) {
    let items = |ids: &[u32]| json_body(json!({"users": ids, "total": 5}));
    page(server, "offset", None, items(&[1, 2])).await;
    page(server, "offset", Some("2"), items(&[3, 4])).await;
    page(server, "offset", Some("4"), items(&[5])).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_all_on_an_operation_without_pagination_says_so_and_sends_nothing() {
    let server = MockServer::start().await;
    let run = call_all(&server, "unpaged", &["--all"]);
    assert_eq!(run.code, Some(1), "{}", run.all());
    assert!(
        run.stderr.starts_with(
            "error: operation `pages.unpaged` does not page: it has no `pagination` block"
        ),
        "{}",
        run.all()
    );
    assert!(server.received_requests().await.unwrap().is_empty());
    let run = call_all(&server, "unpaged", &["--ndjson"]);
    assert_eq!(run.code, Some(2), "--ndjson needs --all: {}", run.all());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_all_concatenates_the_items_of_every_page_into_one_array() {
    let server = MockServer::start().await;
    three_offset_pages(&server).await;
    let run = call_all(
        &server,
        "by-offset",
        &["limit=2", "--all", "--items", "$.users[*]"],
    );
    assert_eq!(run.code, Some(0), "{}", run.all());
    assert_eq!(run.json(), json!([1, 2, 3, 4, 5]));
    assert_eq!(
        run.stderr, "",
        "no progress line when stderr is not a terminal"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_all_ndjson_prints_one_item_per_line_within_max_pages() {
    let server = MockServer::start().await;
    let items = |ids: &[u32]| json_body(json!({"users": ids, "total": 5}));
    page(&server, "offset", None, items(&[1, 2])).await;
    page(&server, "offset", Some("2"), items(&[3, 4])).await;
    let run = call_all(
        &server,
        "by-offset",
        &[
            "limit=2",
            "--all",
            "--max-pages",
            "2",
            "--ndjson",
            "--items",
            "$.users[*]",
        ],
    );
    assert_eq!(run.code, Some(0), "{}", run.all());
    assert_eq!(run.stdout, "1\n2\n3\n4\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_all_without_items_prints_each_pages_output() {
    let server = MockServer::start().await;
    three_offset_pages(&server).await;
    let run = call_all(&server, "by-offset", &["limit=2", "--all"]);
    assert_eq!(run.code, Some(0), "{}", run.all());
    let pages = run.json();
    assert_eq!(pages.as_array().map(Vec::len), Some(3));
    assert_eq!(pages[2], json!({"users": [5], "total": 5}));
}
