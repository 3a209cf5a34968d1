//! Resilience, proven against a fault-injecting server on 127.0.0.1: retries (how many, on
//! what, for which methods), `Retry-After`, deadlines, the response size limit, the redirect
//! policy and cancellation. Every test asserts the exact number of requests the server saw.
//!
//! Backoffs are shortened (10 ms) so the whole file runs in a few seconds; the waits that are
//! the point of a test (`Retry-After: 1`, deadlines) are real.

use crate::support::{self, items};

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::time::{Duration, Instant, SystemTime};

use naftiko::{CallOptions, Error, RetryPolicy, Runtime, RuntimeBuilder, SendError};
use serde_json::{json, Value};
use support::fault_server::{Fault, FaultServer};

const KEY: &str = "k-secret-123";

// ---------------------------------------------------------------------------------------------
// A counting allocator, to prove that a huge response is never buffered.
//
// It counts per thread: the whole test binary shares this allocator, and the other modules'
// tests run alongside. A `#[tokio::test]` here runs on a current-thread runtime, so the
// client, its connection task and the fault server all allocate on the test's own thread.

struct Counting;

thread_local! {
    static CURRENT: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

/// Adds `by` bytes to this thread's count. (`try_with` never fails for these constant,
/// drop-free cells; it keeps the allocator from panicking if that ever changed.)
fn count(by: isize) {
    let _ = CURRENT.try_with(|current| {
        let now = current.get() + by;
        current.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

// SAFETY: every call is forwarded to the system allocator unchanged; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            count(layout.size() as isize);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        count(-(layout.size() as isize));
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = System.realloc(ptr, layout, new_size);
        if !p.is_null() {
            count(new_size as isize - layout.size() as isize);
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Runs `f` and returns its output with the peak heap growth (bytes) of this thread while it
/// ran.
async fn peak_growth<T>(f: impl std::future::Future<Output = T>) -> (T, usize) {
    let base = CURRENT.with(Cell::get);
    PEAK.with(|peak| peak.set(base));
    let out = f.await;
    let grown = PEAK.with(Cell::get) - base;
    (out, grown.max(0) as usize)
}

// ---------------------------------------------------------------------------------------------
// The capability under test.

/// Short backoffs so retries cost milliseconds.
fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(40),
        ..RetryPolicy::default()
    }
}

fn builder_for(uri: &str) -> RuntimeBuilder {
    items::builder(&items::api_key_auth("header", "X-Api-Key"), KEY, uri).retry(fast_retry())
}

fn builder(server: &FaultServer) -> RuntimeBuilder {
    builder_for(&server.uri())
}

fn runtime(server: &FaultServer) -> Runtime {
    builder(server).build().expect("runtime")
}

async fn get(rt: &Runtime) -> Result<Value, Error> {
    rt.call("list_items", json!({})).await
}

async fn post(rt: &Runtime) -> Result<Value, Error> {
    rt.call("create_item", json!({"body": {"name": "n"}})).await
}

async fn post_with(rt: &Runtime, options: &CallOptions) -> Result<Value, Error> {
    rt.call_with("create_item", json!({"body": {"name": "n"}}), options)
        .await
}

fn ok_json() -> Fault {
    Fault::json(200, json!({"ok": true}))
}

/// The HTTP status and attempts of an `Error::Send(SendError::Status)`, or a panic.
fn status_of(result: &Result<Value, Error>) -> (u16, u32) {
    match result {
        Err(e) => match e.http() {
            Some(h) => (h.status, h.attempts),
            None => panic!("expected an HTTP status error, got {e:?}"),
        },
        Ok(v) => panic!("expected an HTTP status error, got Ok({v})"),
    }
}

// ---------------------------------------------------------------------------------------------
// Status codes and Retry-After.

#[tokio::test]
async fn get_503_without_retry_after_is_tried_three_times_then_fails_with_503() {
    let server = FaultServer::start(|_| Fault::status_retry_after(503, None)).await;
    let result = get(&runtime(&server)).await;
    assert_eq!(status_of(&result), (503, 3));
    assert_eq!(server.count("GET", "/items"), 3);
}

#[tokio::test]
async fn get_503_with_retry_after_one_second_waits_a_second_then_succeeds() {
    let server = FaultServer::start(|r| {
        if r.attempt == 1 {
            Fault::status_retry_after(503, Some("1"))
        } else {
            ok_json()
        }
    })
    .await;
    let started = Instant::now();
    let out = get(&runtime(&server))
        .await
        .expect("second attempt succeeds");
    let elapsed = started.elapsed();
    assert_eq!(out, json!({"result": {"ok": true}}));
    assert_eq!(server.count("GET", "/items"), 2);
    assert!(
        elapsed >= Duration::from_millis(900),
        "waited only {elapsed:?}"
    );
    assert!(elapsed < Duration::from_secs(3), "waited {elapsed:?}");
}

#[tokio::test]
async fn get_503_with_http_date_retry_after_waits_until_that_date() {
    // HTTP-dates have a resolution of one second: "now + 2 s" is 1 to 2 s away.
    let when = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(2));
    let server = FaultServer::start(move |r| {
        if r.attempt == 1 {
            Fault::status_retry_after(503, Some(&when))
        } else {
            ok_json()
        }
    })
    .await;
    let started = Instant::now();
    get(&runtime(&server))
        .await
        .expect("second attempt succeeds");
    let elapsed = started.elapsed();
    assert_eq!(server.count("GET", "/items"), 2);
    assert!(
        elapsed >= Duration::from_millis(900),
        "waited only {elapsed:?}"
    );
    assert!(elapsed < Duration::from_secs(4), "waited {elapsed:?}");
}

#[tokio::test]
async fn retry_after_beyond_the_cap_is_not_retried() {
    let server = FaultServer::start(|_| Fault::status_retry_after(503, Some("3600"))).await;
    let started = Instant::now();
    let result = get(&runtime(&server)).await;
    assert_eq!(status_of(&result), (503, 1));
    assert_eq!(server.count("GET", "/items"), 1);
    assert!(started.elapsed() < Duration::from_secs(1));
    // The header reaches the caller, so it can decide when to come back.
    let http = result.as_ref().err().and_then(Error::http).expect("http");
    assert!(http
        .headers
        .iter()
        .any(|(k, v)| k == "retry-after" && v == "3600"));
}

#[tokio::test]
async fn get_429_is_retried_until_it_succeeds() {
    let server = FaultServer::start(|r| {
        if r.attempt < 3 {
            Fault::status_retry_after(429, Some("0"))
        } else {
            ok_json()
        }
    })
    .await;
    get(&runtime(&server))
        .await
        .expect("third attempt succeeds");
    assert_eq!(server.count("GET", "/items"), 3);
}

#[tokio::test]
async fn get_429_every_time_fails_after_three_attempts() {
    let server = FaultServer::start(|_| Fault::status_retry_after(429, None)).await;
    assert_eq!(status_of(&get(&runtime(&server)).await), (429, 3));
    assert_eq!(server.count("GET", "/items"), 3);
}

#[tokio::test]
async fn get_404_and_422_are_never_retried() {
    for status in [404u16, 422] {
        let server = FaultServer::start(move |_| {
            Fault::json(
                status,
                json!({"detail": [{"loc": ["query", "x"], "msg": "bad"}]}),
            )
        })
        .await;
        let result = get(&runtime(&server)).await;
        assert_eq!(status_of(&result), (status, 1));
        assert_eq!(server.count("GET", "/items"), 1, "status {status}");
    }
}

#[tokio::test]
async fn retries_can_be_switched_off_per_runtime_and_per_call() {
    let server = FaultServer::start(|_| Fault::status_retry_after(503, None)).await;
    let rt = builder(&server)
        .retry(RetryPolicy::none())
        .build()
        .expect("rt");
    assert_eq!(status_of(&get(&rt).await), (503, 1));
    assert_eq!(server.count("GET", "/items"), 1);

    let rt = runtime(&server);
    let once = CallOptions {
        max_retries: Some(0),
        ..CallOptions::default()
    };
    assert_eq!(
        status_of(&rt.call_with("list_items", json!({}), &once).await),
        (503, 1)
    );
    assert_eq!(server.count("GET", "/items"), 2);
}

// ---------------------------------------------------------------------------------------------
// Non-idempotent requests.

#[tokio::test]
async fn post_answered_503_is_not_resent() {
    let server = FaultServer::start(|_| Fault::status_retry_after(503, Some("0"))).await;
    assert_eq!(status_of(&post(&runtime(&server)).await), (503, 1));
    assert_eq!(server.count("POST", "/items"), 1);
}

#[tokio::test]
async fn post_reset_after_the_server_read_it_is_not_resent() {
    let server = FaultServer::start(|_| Fault::ResetAfterRead).await;
    let result = post(&runtime(&server)).await;
    assert!(
        matches!(
            result,
            Err(Error::Send(SendError::Transport { attempts: 1, .. }))
        ),
        "{result:?}"
    );
    assert_eq!(server.count("POST", "/items"), 1);
}

#[tokio::test]
async fn post_stalled_past_the_deadline_is_not_resent() {
    let server = FaultServer::start(|_| Fault::Stall(Duration::from_secs(10))).await;
    let rt = builder(&server)
        .timeout(Duration::from_millis(400))
        .build()
        .expect("rt");
    let started = Instant::now();
    let result = post(&rt).await;
    assert!(
        matches!(
            result,
            Err(Error::Send(SendError::Timeout { attempts: 1, .. }))
        ),
        "{result:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(server.count("POST", "/items"), 1);
}

#[tokio::test]
async fn post_stalled_past_a_per_call_deadline_is_not_resent_even_with_time_left_for_retries() {
    // 300 ms per attempt would leave time for more attempts within 3 s; none is made.
    let server = FaultServer::start(|r| {
        if r.attempt == 1 {
            Fault::Stall(Duration::from_millis(600))
        } else {
            Fault::json(201, json!({"id": 2}))
        }
    })
    .await;
    let rt = builder(&server)
        .timeout(Duration::from_millis(300))
        .build()
        .expect("rt");
    let result = post(&rt).await;
    assert!(
        matches!(result, Err(Error::Send(SendError::Timeout { .. }))),
        "{result:?}"
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(server.count("POST", "/items"), 1);
}

#[tokio::test]
async fn post_answered_503_is_retried_when_the_call_opts_in() {
    let server = FaultServer::start(|_| Fault::status_retry_after(503, None)).await;
    let opt_in = CallOptions {
        retry_non_idempotent: Some(true),
        ..CallOptions::default()
    };
    assert_eq!(
        status_of(&post_with(&runtime(&server), &opt_in).await),
        (503, 3)
    );
    assert_eq!(server.count("POST", "/items"), 3);
}

#[tokio::test]
async fn post_reset_after_read_is_retried_when_the_operation_opts_in() {
    let server = FaultServer::start(|r| {
        if r.attempt == 1 {
            Fault::ResetAfterRead
        } else {
            Fault::json(201, json!({"id": 1}))
        }
    })
    .await;
    let rt = builder(&server)
        .retry_non_idempotent("create_item")
        .build()
        .expect("rt");
    let out = post(&rt).await.expect("second attempt succeeds");
    assert_eq!(out, json!({"result": {"id": 1}}));
    assert_eq!(server.count("POST", "/items"), 2);

    // A call can still refuse what the operation allows.
    let no = CallOptions {
        retry_non_idempotent: Some(false),
        ..CallOptions::default()
    };
    let server = FaultServer::start(|_| Fault::ResetAfterRead).await;
    let rt = builder(&server)
        .retry_non_idempotent("create_item")
        .build()
        .expect("rt");
    assert!(post_with(&rt, &no).await.is_err());
    assert_eq!(server.count("POST", "/items"), 1);
}

/// A reset before the server read anything surfaces from reqwest as `is_request()`, exactly
/// like a reset after the server read the request. The library tells them apart with
/// hyper's own signal (`hyper::Error::is_canceled`: the request was never written, see
/// `never_written` in src/send.rs), so this POST is retried on a new connection, and sent
/// exactly once.
#[tokio::test]
async fn post_whose_connection_was_reset_before_the_request_was_read_is_retried() {
    let server = FaultServer::start_with_conn_faults(
        |n| (n == 1).then_some(Fault::ResetBeforeRead),
        |_| Fault::json(201, json!({"id": 7})),
    )
    .await;
    let out = post(&runtime(&server))
        .await
        .expect("retried on a new connection");
    assert_eq!(out, json!({"result": {"id": 7}}));
    assert_eq!(server.connections(), 2);
    assert_eq!(server.count("POST", "/items"), 1);
}

#[tokio::test]
async fn post_to_a_refused_port_is_retried_then_fails_with_connect() {
    let port = support::free_port();
    let rt = builder_for(&format!("http://127.0.0.1:{port}"))
        .build()
        .expect("rt");
    let result = post(&rt).await;
    match &result {
        Err(Error::Send(SendError::Connect {
            attempts, origin, ..
        })) => {
            assert_eq!(*attempts, 3);
            assert_eq!(origin, &format!("http://127.0.0.1:{port}"));
        }
        other => panic!("expected Connect, got {other:?}"),
    }
}

#[tokio::test]
async fn post_is_retried_after_a_refused_connection_and_sent_once() {
    // The first attempt finds nothing listening; the server comes up during the backoff.
    let port = support::free_port();
    let rt = builder_for(&format!("http://127.0.0.1:{port}"))
        .retry(RetryPolicy {
            initial_backoff: Duration::from_millis(300),
            max_backoff: Duration::from_millis(300),
            ..RetryPolicy::default()
        })
        .build()
        .expect("rt");
    let server = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        FaultServer::start_on_port(port, |_| Fault::json(201, json!({"id": 9}))).await
    });
    let out = post(&rt).await.expect("retried after the refusal");
    assert_eq!(out, json!({"result": {"id": 9}}));
    let server = server.await.expect("server task");
    // Any second connection would be a duplicate.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(server.connections(), 1, "a second connection was made");
    assert_eq!(server.count("POST", "/items"), 1);
    assert_eq!(server.requests().len(), 1);
}

// ---------------------------------------------------------------------------------------------
// Transport failures on GET.

#[tokio::test]
async fn get_to_a_refused_port_fails_with_connect_after_three_attempts() {
    let port = support::free_port();
    let rt = builder_for(&format!("http://127.0.0.1:{port}"))
        .build()
        .expect("rt");
    let result = get(&rt).await;
    assert!(
        matches!(
            result,
            Err(Error::Send(SendError::Connect { attempts: 3, .. }))
        ),
        "{result:?}"
    );
}

#[tokio::test]
async fn get_reset_after_read_is_retried() {
    let server = FaultServer::start(|r| {
        if r.attempt < 3 {
            Fault::ResetAfterRead
        } else {
            ok_json()
        }
    })
    .await;
    get(&runtime(&server))
        .await
        .expect("third attempt succeeds");
    assert_eq!(server.count("GET", "/items"), 3);
}

#[tokio::test]
async fn get_reset_every_time_fails_with_transport_after_three_attempts() {
    let server = FaultServer::start(|_| Fault::ResetAfterRead).await;
    let result = get(&runtime(&server)).await;
    assert!(
        matches!(
            result,
            Err(Error::Send(SendError::Transport { attempts: 3, .. }))
        ),
        "{result:?}"
    );
    assert_eq!(server.count("GET", "/items"), 3);
}

// ---------------------------------------------------------------------------------------------
// Deadlines.

#[tokio::test]
async fn runtime_timeout_ends_a_stalled_get_at_the_deadline() {
    let server = FaultServer::start(|_| Fault::Stall(Duration::from_secs(30))).await;
    let rt = builder(&server)
        .timeout(Duration::from_millis(500))
        .build()
        .expect("rt");
    let started = Instant::now();
    let result = get(&rt).await;
    let elapsed = started.elapsed();
    match result {
        Err(Error::Send(SendError::Timeout {
            after, attempts, ..
        })) => {
            assert_eq!(after, Duration::from_millis(500));
            // The stall used the whole deadline: no time was left for a second attempt.
            assert_eq!(attempts, 1);
        }
        other => panic!("expected Timeout, got {other:?}"),
    }
    assert!(elapsed >= Duration::from_millis(490), "{elapsed:?}");
    assert!(elapsed < Duration::from_millis(1500), "{elapsed:?}");
    assert_eq!(server.count("GET", "/items"), 1);
}

#[tokio::test]
async fn call_timeout_overrides_the_runtime_timeout() {
    let server = FaultServer::start(|_| Fault::Stall(Duration::from_secs(30))).await;
    let rt = builder(&server)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("rt");
    let short = CallOptions {
        timeout: Some(Duration::from_millis(300)),
        ..CallOptions::default()
    };
    let started = Instant::now();
    let result = rt.call_with("list_items", json!({}), &short).await;
    let elapsed = started.elapsed();
    assert!(
        matches!(
            result,
            Err(Error::Send(SendError::Timeout { after, attempts: 1, .. })) if after == Duration::from_millis(300)
        ),
        "{result:?}"
    );
    assert!(
        elapsed >= Duration::from_millis(290) && elapsed < Duration::from_millis(1300),
        "{elapsed:?}"
    );
    assert_eq!(server.count("GET", "/items"), 1);
}

#[tokio::test]
async fn a_stall_shorter_than_the_deadline_is_waited_for() {
    let server = FaultServer::start(|_| Fault::Stall(Duration::from_millis(300))).await;
    let rt = builder(&server)
        .timeout(Duration::from_secs(5))
        .build()
        .expect("rt");
    let out = get(&rt).await.expect("answered after the stall");
    assert_eq!(out, json!({"result": {}}));
    assert_eq!(server.count("GET", "/items"), 1);
}

#[tokio::test]
async fn deadline_is_not_spent_waiting_for_a_retry_after_that_ends_past_it() {
    let server = FaultServer::start(|_| Fault::status_retry_after(503, Some("2"))).await;
    let rt = builder(&server)
        .timeout(Duration::from_secs(1))
        .build()
        .expect("rt");
    let started = Instant::now();
    let result = get(&rt).await;
    let elapsed = started.elapsed();
    assert_eq!(status_of(&result), (503, 1));
    assert!(elapsed < Duration::from_millis(1100), "{elapsed:?}");
    assert_eq!(server.count("GET", "/items"), 1);
}

#[tokio::test]
async fn deadline_bounds_attempts_and_backoffs_together() {
    // Backoff 525..700 ms (700 ms with jitter): after the second attempt (at ≥ 525 ms) the next
    // backoff would end past the 1 s deadline, so the call returns at once with 2 attempts,
    // although the policy allows 10 retries.
    let server = FaultServer::start(|_| Fault::status_retry_after(503, None)).await;
    let rt = builder(&server)
        .timeout(Duration::from_secs(1))
        .retry(RetryPolicy {
            max_retries: 10,
            initial_backoff: Duration::from_millis(700),
            max_backoff: Duration::from_millis(700),
            ..RetryPolicy::default()
        })
        .build()
        .expect("rt");
    let started = Instant::now();
    let result = get(&rt).await;
    let elapsed = started.elapsed();
    assert_eq!(status_of(&result), (503, 2));
    assert_eq!(server.count("GET", "/items"), 2);
    assert!(
        elapsed >= Duration::from_millis(500) && elapsed < Duration::from_secs(1),
        "{elapsed:?}"
    );
}

/// The connect timeout (default 10 s, `RuntimeBuilder::connect_timeout`) bounds the TCP (and
/// TLS) handshake of one attempt. A connection that times out was never made, so it is a
/// `Connect` error and retried, even for a POST. To make a connect hang on 127.0.0.1, a
/// listener with the smallest backlog is filled and never accepts: the kernel then drops
/// further SYNs.
#[tokio::test]
async fn connect_timeout_is_a_connect_error_and_retried() {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket
        .bind("127.0.0.1:0".parse().expect("addr"))
        .expect("bind");
    let listener = socket.listen(1).expect("listen");
    let addr = listener.local_addr().expect("addr");
    // Fill the accept queue (never accepted).
    let mut fillers = Vec::new();
    for _ in 0..8 {
        match tokio::time::timeout(
            Duration::from_millis(200),
            tokio::net::TcpStream::connect(addr),
        )
        .await
        {
            Ok(Ok(s)) => fillers.push(s),
            _ => break,
        }
    }
    let rt = builder_for(&format!("http://{addr}"))
        .connect_timeout(Duration::from_millis(200))
        .timeout(Duration::from_secs(10))
        .build()
        .expect("rt");
    let started = Instant::now();
    let result = post(&rt).await;
    let elapsed = started.elapsed();
    match &result {
        Err(Error::Send(SendError::Connect {
            attempts, message, ..
        })) => {
            assert_eq!(*attempts, 3, "{message}");
            assert!(
                message.contains("no connection within the connect timeout of 200 ms"),
                "{message}"
            );
        }
        other => panic!("expected Connect, got {other:?}"),
    }
    // 3 × 200 ms plus short backoffs, far below the 10 s deadline.
    assert!(
        elapsed >= Duration::from_millis(590) && elapsed < Duration::from_secs(3),
        "{elapsed:?}"
    );
    drop(fillers);
    drop(listener);
}

// ---------------------------------------------------------------------------------------------
// Response size limit.

const MIB: usize = 1024 * 1024;

#[tokio::test]
async fn huge_body_with_content_length_is_refused_without_reading_it() {
    let server = FaultServer::start(|_| Fault::HugeBody { len: 512 * MIB }).await;
    let rt = builder(&server)
        .max_response_bytes(MIB)
        .build()
        .expect("rt");
    let started = Instant::now();
    let (result, growth) = peak_growth(get(&rt)).await;
    assert!(
        matches!(
            result,
            Err(Error::Send(SendError::BodyTooLarge { limit, .. })) if limit == MIB
        ),
        "{result:?}"
    );
    assert!(growth < 16 * MIB, "heap grew by {growth} bytes");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(server.count("GET", "/items"), 1);
}

#[tokio::test]
async fn huge_chunked_body_is_refused_at_the_limit_with_bounded_memory() {
    let server = FaultServer::start(|_| Fault::HugeChunked { len: 512 * MIB }).await;
    let rt = builder(&server)
        .max_response_bytes(MIB)
        .build()
        .expect("rt");
    let (result, growth) = peak_growth(get(&rt)).await;
    assert!(
        matches!(
            result,
            Err(Error::Send(SendError::BodyTooLarge { limit, .. })) if limit == MIB
        ),
        "{result:?}"
    );
    assert!(growth < 16 * MIB, "heap grew by {growth} bytes");
    assert_eq!(server.count("GET", "/items"), 1);
}

#[tokio::test]
async fn body_of_exactly_the_limit_is_accepted_and_one_byte_more_is_not() {
    for chunked in [false, true] {
        let limit = 256 * 1024;
        let server = FaultServer::start(move |r| {
            let len = if r.attempt == 1 { limit } else { limit + 1 };
            if chunked {
                Fault::HugeChunked { len }
            } else {
                Fault::HugeBody { len }
            }
        })
        .await;
        let rt = builder(&server)
            .max_response_bytes(limit)
            .build()
            .expect("rt");
        let out = get(&rt).await.expect("a body of exactly the limit");
        let text = out["result"].as_str().expect("a JSON string");
        assert_eq!(text.len(), limit - 2, "chunked: {chunked}");
        let result = get(&rt).await;
        assert!(
            matches!(result, Err(Error::Send(SendError::BodyTooLarge { .. }))),
            "chunked: {chunked}: {result:?}"
        );
        assert_eq!(server.count("GET", "/items"), 2);
    }
}

#[tokio::test]
async fn announced_length_is_not_allocated_before_the_bytes_arrive() {
    // 30 MiB announced (within the default 32 MiB limit), 2 chunks sent, then the
    // connection closes: memory must follow what arrived, not what was announced.
    let server = FaultServer::start(|_| Fault::TruncatedBody {
        declared: 30 * MIB,
        sent: vec![b' '; 64 * 1024],
    })
    .await;
    let rt = builder(&server)
        .retry(RetryPolicy::none())
        .build()
        .expect("rt");
    let (result, growth) = peak_growth(get(&rt)).await;
    assert!(
        matches!(
            result,
            Err(Error::Send(SendError::Transport { attempts: 1, .. }))
        ),
        "{result:?}"
    );
    assert!(growth < 8 * MIB, "heap grew by {growth} bytes");
    assert_eq!(server.count("GET", "/items"), 1);
}

#[tokio::test]
async fn body_that_stalls_midway_is_ended_by_the_deadline() {
    let server = FaultServer::start(|_| Fault::StalledBody {
        declared: 100,
        sent: br#"{"a":"#.to_vec(),
    })
    .await;
    let rt = builder(&server)
        .timeout(Duration::from_millis(500))
        .build()
        .expect("rt");
    let started = Instant::now();
    let result = get(&rt).await;
    let elapsed = started.elapsed();
    assert!(
        matches!(
            result,
            Err(Error::Send(SendError::Timeout { attempts: 1, .. }))
        ),
        "{result:?}"
    );
    assert!(
        elapsed >= Duration::from_millis(490) && elapsed < Duration::from_millis(1500),
        "{elapsed:?}"
    );
    assert_eq!(server.count("GET", "/items"), 1);
}

#[tokio::test]
async fn truncated_body_is_a_transport_error_and_a_get_is_retried() {
    let server = FaultServer::start(|_| Fault::TruncatedBody {
        declared: 100,
        sent: b"{\"partial\":".to_vec(),
    })
    .await;
    let result = get(&runtime(&server)).await;
    match &result {
        Err(Error::Send(SendError::Transport {
            attempts, message, ..
        })) => {
            assert_eq!(*attempts, 3);
            assert!(message.contains("broke off"), "{message}");
        }
        other => panic!("expected Transport, got {other:?}"),
    }
    assert_eq!(server.count("GET", "/items"), 3);
}

#[tokio::test]
async fn truncated_body_on_a_post_is_not_resent() {
    let server = FaultServer::start(|_| Fault::TruncatedBody {
        declared: 100,
        sent: b"{\"id\":".to_vec(),
    })
    .await;
    let result = post(&runtime(&server)).await;
    assert!(
        matches!(
            result,
            Err(Error::Send(SendError::Transport { attempts: 1, .. }))
        ),
        "{result:?}"
    );
    assert_eq!(server.count("POST", "/items"), 1);
}

// ---------------------------------------------------------------------------------------------
// Redirects.

#[tokio::test]
async fn same_origin_redirect_is_followed_with_the_key() {
    let server = FaultServer::start(|r| match r.path() {
        "/items" => Fault::redirect(302, "/moved"),
        _ => ok_json(),
    })
    .await;
    let out = get(&runtime(&server)).await.expect("followed");
    assert_eq!(out, json!({"result": {"ok": true}}));
    assert_eq!(server.count("GET", "/items"), 1);
    assert_eq!(server.count("GET", "/moved"), 1);
    let moved = server
        .requests()
        .into_iter()
        .find(|r| r.path() == "/moved")
        .expect("the second request");
    assert_eq!(moved.header("x-api-key"), Some(KEY));
}

/// What a redirect within the origin does to the method and body, as browsers (and
/// reqwest's redirect layer) do: 307/308 send the same request again, 303 turns it into a
/// body-less GET, 301/302 turn a POST into a GET. The key goes along each time.
#[tokio::test]
async fn same_origin_redirect_keeps_or_drops_the_method_and_body_by_status() {
    for (status, method, body) in [
        (307u16, "POST", true),
        (308, "POST", true),
        (303, "GET", false),
        (302, "GET", false),
        (301, "GET", false),
    ] {
        let server = FaultServer::start(move |r| match r.path() {
            "/items" => Fault::redirect(status, "/moved"),
            _ => ok_json(),
        })
        .await;
        let out = post(&runtime(&server)).await;
        assert_eq!(
            out.expect("followed"),
            json!({"result": {"ok": true}}),
            "{status}"
        );
        let sent = server.requests();
        let moved = sent
            .iter()
            .find(|r| r.path() == "/moved")
            .expect("followed");
        assert_eq!(moved.method, method, "{status}");
        assert_eq!(moved.header("x-api-key"), Some(KEY), "{status}");
        let expected = body.then(|| json!({"name": "n"}));
        assert_eq!(moved.body_json(), expected, "{status}");
        assert_eq!(moved.header("content-type").is_some(), body, "{status}");
    }
}

/// A redirect to another origin (here: another port on 127.0.0.1) is refused for every key
/// placement: the other origin sees no connection at all, let alone the key.
#[tokio::test]
async fn cross_origin_redirect_is_refused_and_the_other_origin_sees_nothing() {
    for (placement, name) in [
        ("header", "X-Api-Key"),
        ("query", "api_key"),
        ("cookie", "session"),
    ] {
        for status in [301u16, 302, 303, 307, 308] {
            let other = FaultServer::start(|_| ok_json()).await;
            let target = other.url("/steal?x=1");
            let server = FaultServer::start(move |_| Fault::redirect(status, &target)).await;
            let rt = items::builder(&items::api_key_auth(placement, name), KEY, &server.uri())
                .retry(fast_retry())
                .build()
                .expect("rt");
            for result in [get(&rt).await, post(&rt).await] {
                match &result {
                    Err(Error::Send(SendError::CrossOriginRedirect {
                        status: s,
                        from,
                        to,
                        ..
                    })) => {
                        assert_eq!(*s, status);
                        assert_eq!(from, &server.uri());
                        assert_eq!(to, &other.uri());
                    }
                    other => {
                        panic!("{placement} {status}: expected CrossOriginRedirect, got {other:?}")
                    }
                }
            }
            // The key did reach the origin the capability names, once per call.
            let sent = server.requests();
            assert_eq!(sent.len(), 2, "{placement} {status}");
            let carries_key = |r: &support::fault_server::Recorded| match placement {
                "header" => r.header("x-api-key") == Some(KEY),
                "query" => r.query() == Some(&format!("api_key={KEY}")),
                _ => r.header("cookie") == Some(&format!("session={KEY}")),
            };
            assert!(sent.iter().all(carries_key), "{placement}: {sent:?}");
            assert_eq!(other.requests().len(), 0, "{placement} {status}");
            assert_eq!(other.connections(), 0, "{placement} {status}");
        }
    }
}

#[tokio::test]
async fn same_origin_hop_then_cross_origin_redirect_is_refused() {
    let other = FaultServer::start(|_| ok_json()).await;
    let target = other.url("/steal");
    let server = FaultServer::start(move |r| match r.path() {
        "/items" => Fault::redirect(307, "/hop"),
        _ => Fault::redirect(307, &target),
    })
    .await;
    let result = get(&runtime(&server)).await;
    assert!(
        matches!(
            result,
            Err(Error::Send(SendError::CrossOriginRedirect { .. }))
        ),
        "{result:?}"
    );
    assert_eq!(server.count("GET", "/items"), 1);
    assert_eq!(server.count("GET", "/hop"), 1);
    assert_eq!(other.connections(), 0);
}

#[tokio::test]
async fn redirect_loop_within_the_origin_ends_with_an_error() {
    let server = FaultServer::start(|_| Fault::redirect(302, "/items")).await;
    let result = get(&runtime(&server)).await;
    assert!(
        matches!(
            result,
            Err(Error::Send(SendError::Transport { attempts: 1, .. }))
        ),
        "{result:?}"
    );
    // The first request and 10 redirects, then the policy stops it; not retried.
    assert_eq!(server.count("GET", "/items"), 11);
}

// ---------------------------------------------------------------------------------------------
// Cancellation.

/// A server whose first connection reads one request and never answers (until the client
/// closes it); every later connection gets `200 {"ok":true}` answers.
async fn staller() -> FaultServer {
    FaultServer::start_with_conn_faults(
        |n| (n == 1).then_some(Fault::Stall(Duration::from_secs(3600))),
        |_| ok_json(),
    )
    .await
}

fn alive_tasks() -> usize {
    tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks()
}

/// Waits (up to 2 s) until the number of live tasks is back to `baseline`; returns it.
async fn settle_tasks(baseline: usize) -> usize {
    let until = Instant::now() + Duration::from_secs(2);
    loop {
        let now = alive_tasks();
        if now <= baseline || Instant::now() > until {
            return now;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn dropping_a_call_future_closes_its_connection_and_leaks_nothing() {
    let server = staller().await;
    let rt = builder(&server).build().expect("rt");
    let baseline = alive_tasks();
    let dropped_at = tokio::select! {
        result = get(&rt) => panic!("the stalled call returned: {result:?}"),
        _ = server.requests_reached(1) => Instant::now(),
    };
    // The call future is dropped here: the server must see the connection close.
    tokio::time::timeout(Duration::from_secs(2), server.closed_reached(1))
        .await
        .expect("the server saw the connection close within 2 s");
    let closed_at = Instant::now();
    assert!(closed_at.duration_since(dropped_at) < Duration::from_secs(1));
    assert_eq!(settle_tasks(baseline).await, baseline, "tasks left behind");
    // The runtime still works, on a new connection.
    let out = get(&rt).await.expect("the runtime is still usable");
    assert_eq!(out, json!({"result": {"ok": true}}));
}

#[tokio::test]
async fn a_call_abandoned_by_an_outer_timeout_is_cancelled() {
    let server = staller().await;
    let rt = builder(&server).build().expect("rt");
    let baseline = alive_tasks();
    let outer = tokio::time::timeout(Duration::from_millis(300), post(&rt)).await;
    assert!(outer.is_err(), "the outer timeout fired first");
    server.requests_reached(1).await; // the request had arrived
    tokio::time::timeout(Duration::from_secs(2), server.closed_reached(1))
        .await
        .expect("the server saw the connection close within 2 s");
    assert_eq!(settle_tasks(baseline).await, baseline, "tasks left behind");
    // Not resent by anything left running, and the runtime is still usable.
    let out = get(&rt).await.expect("the runtime is still usable");
    assert_eq!(out, json!({"result": {"ok": true}}));
}
