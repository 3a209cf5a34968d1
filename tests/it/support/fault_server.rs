//! A fault-injecting HTTP/1.1 server for integration tests.
//!
//! [`FaultServer`] listens on `127.0.0.1` on a random port and is written
//! directly on [`tokio::net::TcpListener`]: it parses requests itself
//! (request line, headers, `Content-Length` body), supports keep-alive
//! (several requests per connection, `Connection: close` honoured) and answers
//! each request with whatever [`Fault`] the test's script picks for it.
//!
//! It exists to prove retry, timeout and size-limit behaviour of an HTTP
//! client: it can reset connections before or after reading the request,
//! stall, send truncated or stalled bodies, stream huge bodies and answer a
//! TLS hello with plain bytes, which a mock server built on a conforming HTTP
//! stack cannot do. (Tests of ordinary exchanges use wiremock.) It can listen
//! on a port chosen in advance ([`FaultServer::start_on_port`]), and a test can
//! wait for requests to arrive and connections to close
//! ([`FaultServer::requests_reached`], [`FaultServer::closed_reached`]).
//!
//! Every request that parses is recorded (see [`Recorded`]) before the script
//! runs, so a test can assert on what the client sent and how often. Malformed
//! requests are answered with a `4xx`/`5xx` status and the connection is
//! closed; they are not recorded. The server never panics on its input, runs
//! one task per connection (so a [`Fault::Stall`] never blocks other
//! connections) and ignores write errors caused by a client that went away.
//!
//! ```ignore
//! let hits = Arc::new(AtomicUsize::new(0));
//! let seen = hits.clone();
//! let server = FaultServer::start(move |req| {
//!     seen.fetch_add(1, Ordering::SeqCst);
//!     if req.attempt < 3 {
//!         Fault::status_retry_after(503, Some("1"))
//!     } else {
//!         Fault::json(200, serde_json::json!({"ok": true}))
//!     }
//! })
//! .await;
//! let url = format!("{}/things?page=2", server.uri());
//! ```

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;

/// Largest request head (request line plus headers) accepted; larger gets 431.
const MAX_HEAD: usize = 64 * 1024;
/// Largest request body accepted; larger gets 413.
const MAX_BODY: usize = 64 * 1024 * 1024;
/// Size of the pieces in which huge bodies are streamed.
const CHUNK: usize = 16 * 1024;
/// Size of a single socket read.
const READ_BUF: usize = 8 * 1024;

type Script = dyn Fn(&Recorded) -> Fault + Send + Sync;
type ConnScript = dyn Fn(usize) -> Option<Fault> + Send + Sync;

/// One request as the server received it.
#[derive(Clone, Debug)]
pub struct Recorded {
    /// The method exactly as sent (e.g. `GET`).
    pub method: String,
    /// The request target as sent: `path?query`.
    pub target: String,
    /// Headers in the order sent; names are lower-cased, values with optional whitespace (SP, HTAB) trimmed, as HTTP says.
    pub headers: Vec<(String, String)>,
    /// The request body (`Content-Length` bytes).
    pub body: Vec<u8>,
    /// 1-based number of requests seen so far (this one included) for the
    /// same method and path (the target without its query).
    pub attempt: usize,
}

impl Recorded {
    /// The target without its query string.
    pub fn path(&self) -> &str {
        path_of(&self.target)
    }

    /// The query string (without `?`), if the target has one.
    pub fn query(&self) -> Option<&str> {
        self.target.split_once('?').map(|(_, q)| q)
    }

    /// The value of the first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON, if it is JSON.
    pub fn body_json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// What the server does with a request (or, for
/// [`FaultServer::start_with_conn_faults`], with a whole connection).
#[derive(Clone, Debug)]
pub enum Fault {
    /// Answer normally. A `content-length` header is added unless `headers`
    /// already has one (or a `transfer-encoding`), or the status has no body
    /// (1xx, 204, 304). The body is not sent to a `HEAD` request.
    Respond {
        /// Status code.
        status: u16,
        /// Response headers, written as given.
        headers: Vec<(String, String)>,
        /// Response body.
        body: Vec<u8>,
    },
    /// Close the connection with a TCP reset (`SO_LINGER` 0) without reading
    /// anything. Meant for the connection hook of
    /// [`FaultServer::start_with_conn_faults`]; when a request script returns
    /// it, the request has already been read, so it behaves like
    /// [`Fault::ResetAfterRead`].
    ResetBeforeRead,
    /// Read (and record) the full request, then close the connection with a
    /// TCP reset (`SO_LINGER` 0) without responding.
    ResetAfterRead,
    /// Read (and record) the request, then wait this long before answering
    /// `200` with the JSON body `{}`. Stops early, without answering, when the
    /// client closes the connection (e.g. after its own timeout).
    Stall(Duration),
    /// Answer `200` (`content-type: application/json`) with
    /// `Content-Length: declared`, write only `sent`, then close the
    /// connection (FIN, not reset).
    TruncatedBody {
        /// The length announced in `Content-Length`.
        declared: usize,
        /// The bytes actually written; meant to be shorter than `declared`.
        sent: Vec<u8>,
    },
    /// Answer `200` (`content-type: application/json`, `Content-Length: len`)
    /// and stream a JSON string `"aaaa…"` of `len` bytes in total (quotes
    /// included, so valid JSON when `len >= 2`) in 16 KiB pieces, without
    /// allocating it at once.
    HugeBody {
        /// Total body length in bytes.
        len: usize,
    },
    /// Like [`Fault::HugeBody`], but with `Transfer-Encoding: chunked` and no
    /// `Content-Length`.
    HugeChunked {
        /// Total body length in bytes (chunk framing not counted).
        len: usize,
    },
    /// Like [`Fault::TruncatedBody`], but the connection then stays open, with
    /// nothing more written, until the client closes it: a body that stalls
    /// midway.
    StalledBody {
        /// The length announced in `Content-Length`.
        declared: usize,
        /// The bytes written before the stall; meant to be shorter than `declared`.
        sent: Vec<u8>,
    },
    /// Write these bytes as they are, then close the connection. Meant for the
    /// connection hook of [`FaultServer::start_with_conn_faults`], where it
    /// waits only for the first bytes of the connection, whatever they are (a
    /// TLS hello, which never ends a request head, gets a plain-HTTP answer at
    /// once); returned by a request script, it answers the request read.
    RawReply(Vec<u8>),
}

impl Fault {
    /// `status` with `content-type: application/json` and `body` serialized.
    pub fn json(status: u16, body: serde_json::Value) -> Fault {
        Fault::Respond {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: serde_json::to_vec(&body).unwrap_or_default(),
        }
    }

    /// `status` (e.g. `503` or `429`) with an empty body and, when given, a
    /// `Retry-After` header with that exact value: delay seconds (`"1"`) or an
    /// HTTP-date (`"Wed, 21 Oct 2015 07:28:00 GMT"`).
    pub fn status_retry_after(status: u16, retry_after: Option<&str>) -> Fault {
        Fault::Respond {
            status,
            headers: retry_after
                .map(|v| vec![("retry-after".to_string(), v.to_string())])
                .unwrap_or_default(),
            body: Vec::new(),
        }
    }

    /// A redirect (`301`, `302`, `303`, `307`, `308`) to `location`, with an
    /// empty body.
    pub fn redirect(status: u16, location: &str) -> Fault {
        Fault::Respond {
            status,
            headers: vec![("location".into(), location.into())],
            body: Vec::new(),
        }
    }
}

/// A running fault-injecting server. Dropping it stops the server: the accept
/// task is aborted, and with it every connection task.
pub struct FaultServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept_task: JoinHandle<()>,
}

struct Shared {
    log: Mutex<Log>,
    connections: AtomicUsize,
    /// Connections whose task has ended (the socket is closed).
    closed: AtomicUsize,
    /// Woken whenever a request is recorded or a connection is closed.
    changed: Notify,
    script: Box<Script>,
    conn_fault: Box<ConnScript>,
}

#[derive(Default)]
struct Log {
    requests: Vec<Recorded>,
    attempts: HashMap<(String, String), usize>,
}

impl Shared {
    fn log(&self) -> MutexGuard<'_, Log> {
        // A panic elsewhere never leaves the log half-updated; keep going.
        self.log
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl FaultServer {
    /// Starts a server on `127.0.0.1` on a random port.
    ///
    /// `script` decides the fault for each request: it sees the request
    /// (already recorded, with its attempt number). It may keep its own state
    /// (e.g. an `Arc<AtomicUsize>`). If it panics, the request is answered
    /// `500` and the connection closed.
    ///
    /// For [`Fault::ResetBeforeRead`] the script cannot see the request; use
    /// [`FaultServer::start_with_conn_faults`] for that.
    pub async fn start(script: impl Fn(&Recorded) -> Fault + Send + Sync + 'static) -> FaultServer {
        Self::start_with_conn_faults(|_| None, script).await
    }

    /// Like [`FaultServer::start`], with a connection-level hook.
    ///
    /// `conn_fault(n)` is consulted for the n-th accepted connection (1-based)
    /// before anything is read from it. `Some(Fault::ResetBeforeRead)` resets
    /// the connection at once; any other `Some(fault)` is used instead of
    /// `script` for the first request on that connection (which is still read
    /// and recorded); `None` leaves the connection to `script`.
    pub async fn start_with_conn_faults(
        conn_fault: impl Fn(usize) -> Option<Fault> + Send + Sync + 'static,
        script: impl Fn(&Recorded) -> Fault + Send + Sync + 'static,
    ) -> FaultServer {
        Self::listen(0, Box::new(conn_fault), Box::new(script)).await
    }

    /// A server that answers every connection with `bytes` as soon as anything
    /// arrives ([`Fault::RawReply`]), then closes it.
    pub async fn start_raw(bytes: &[u8]) -> FaultServer {
        let reply = Fault::RawReply(bytes.to_vec());
        let answer = reply.clone();
        Self::start_with_conn_faults(move |_| Some(reply.clone()), move |_| answer.clone()).await
    }

    /// Like [`FaultServer::start`], on `127.0.0.1:port`: a port a client was
    /// already sent to (from [`super::free_port`]), for a server that comes up late.
    pub async fn start_on_port(
        port: u16,
        script: impl Fn(&Recorded) -> Fault + Send + Sync + 'static,
    ) -> FaultServer {
        Self::listen(port, Box::new(|_| None), Box::new(script)).await
    }

    async fn listen(port: u16, conn_fault: Box<ConnScript>, script: Box<Script>) -> FaultServer {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap_or_else(|e| panic!("fault server: bind 127.0.0.1:{port}: {e}"));
        let addr = listener
            .local_addr()
            .expect("fault server: listener address");
        let shared = Arc::new(Shared {
            log: Mutex::new(Log::default()),
            connections: AtomicUsize::new(0),
            closed: AtomicUsize::new(0),
            changed: Notify::new(),
            script,
            conn_fault,
        });
        let accept_task = tokio::spawn(accept_loop(listener, shared.clone()));
        FaultServer {
            addr,
            shared,
            accept_task,
        }
    }

    /// The base URI, `http://127.0.0.1:PORT` (no trailing slash).
    pub fn uri(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `uri()` followed by `path` (which should start with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every request received (and parsed), in order of arrival.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.log().requests.clone()
    }

    /// How many requests were received for `method` (case-insensitive) and
    /// `path` (compared without any query string).
    pub fn count(&self, method: &str, path: &str) -> usize {
        let path = path_of(path);
        self.shared
            .log()
            .requests
            .iter()
            .filter(|r| r.method.eq_ignore_ascii_case(method) && r.path() == path)
            .count()
    }

    /// How many connections were accepted so far.
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// Waits until `n` requests have been recorded.
    pub async fn requests_reached(&self, n: usize) {
        self.wait_until(|| self.shared.log().requests.len() >= n)
            .await
    }

    /// Waits until `n` connections have been closed (by either side) and their
    /// tasks have ended.
    pub async fn closed_reached(&self, n: usize) {
        self.wait_until(|| self.shared.closed.load(Ordering::SeqCst) >= n)
            .await
    }

    async fn wait_until(&self, done: impl Fn() -> bool) {
        loop {
            // Registered before the check, so a change between the two is not missed.
            let changed = self.shared.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if done() {
                return;
            }
            changed.await;
        }
    }
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        self.accept_task.abort();
    }
}

impl std::fmt::Debug for FaultServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaultServer")
            .field("addr", &self.addr)
            .field("connections", &self.connections())
            .finish_non_exhaustive()
    }
}

fn path_of(target: &str) -> &str {
    target.split('?').next().unwrap_or(target)
}

/// Accepts connections until aborted; the connection tasks live in a
/// `JoinSet` owned by this task, so aborting it aborts them too.
async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut tasks = JoinSet::new();
    loop {
        while tasks.try_join_next().is_some() {}
        match listener.accept().await {
            Ok((stream, _peer)) => {
                let n = shared.connections.fetch_add(1, Ordering::SeqCst) + 1;
                let shared = shared.clone();
                tasks.spawn(async move {
                    serve_connection(stream, n, shared.clone()).await;
                    shared.closed.fetch_add(1, Ordering::SeqCst);
                    shared.changed.notify_waiters();
                });
            }
            // E.g. too many open files: back off instead of spinning.
            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

/// A parsed request plus what the connection needs to know about it.
struct Request {
    recorded: Recorded,
    keep_alive: bool,
    head_only: bool,
}

enum ReadOutcome {
    Request(Request),
    /// The client closed the connection (or it failed) between requests.
    Closed,
    /// Malformed request: answer this status and close.
    Bad(u16, &'static str),
}

async fn serve_connection(mut stream: TcpStream, n: usize, shared: Arc<Shared>) {
    let _ = stream.set_nodelay(true);
    let mut first_fault = match catch_unwind(AssertUnwindSafe(|| (shared.conn_fault)(n))) {
        Ok(Some(Fault::ResetBeforeRead)) => return reset(stream),
        Ok(Some(Fault::RawReply(bytes))) => return raw_reply(stream, &bytes).await,
        Ok(other) => other,
        Err(_) => {
            return close_with(&mut stream, 500, "fault server: connection hook panicked").await
        }
    };

    let mut buf = Vec::with_capacity(READ_BUF);
    loop {
        let mut request = match read_request(&mut stream, &mut buf).await {
            ReadOutcome::Request(request) => request,
            ReadOutcome::Closed => return,
            ReadOutcome::Bad(status, message) => {
                return close_with(&mut stream, status, message).await
            }
        };

        {
            let mut log = shared.log();
            let key = (
                request.recorded.method.clone(),
                request.recorded.path().to_string(),
            );
            let attempt = log.attempts.entry(key).or_insert(0);
            *attempt += 1;
            request.recorded.attempt = *attempt;
            log.requests.push(request.recorded.clone());
        }
        shared.changed.notify_waiters();

        let fault = match first_fault.take() {
            Some(fault) => fault,
            None => match catch_unwind(AssertUnwindSafe(|| (shared.script)(&request.recorded))) {
                Ok(fault) => fault,
                Err(_) => {
                    return close_with(&mut stream, 500, "fault server: script panicked").await
                }
            },
        };

        let keep_alive = request.keep_alive;
        let head_only = request.head_only;
        let outcome = match fault {
            Fault::Respond {
                status,
                headers,
                body,
            } => write_response(&mut stream, status, &headers, &body, head_only, !keep_alive).await,
            Fault::ResetBeforeRead | Fault::ResetAfterRead => return reset(stream),
            Fault::Stall(duration) => {
                if !stall(&mut stream, &mut buf, duration).await {
                    return;
                }
                let headers = [("content-type".to_string(), "application/json".to_string())];
                write_response(&mut stream, 200, &headers, b"{}", head_only, !keep_alive).await
            }
            Fault::HugeBody { len } => {
                write_huge(&mut stream, len, false, head_only, !keep_alive).await
            }
            Fault::HugeChunked { len } => {
                write_huge(&mut stream, len, true, head_only, !keep_alive).await
            }
            last @ (Fault::TruncatedBody { .. }
            | Fault::StalledBody { .. }
            | Fault::RawReply(_)) => return finish(stream, last, head_only).await,
        };

        if outcome.is_err() {
            return;
        }
        if !keep_alive {
            let _ = stream.shutdown().await;
            return;
        }
    }
}

/// The faults after which the connection is over: their bytes, then a FIN (truncated body,
/// raw reply) or, for a stalled body, a wait until the client goes away.
async fn finish(mut stream: TcpStream, fault: Fault, head_only: bool) {
    let (out, then_stall) = match fault {
        Fault::TruncatedBody { declared, sent } => (truncated(declared, &sent, head_only), false),
        Fault::StalledBody { declared, sent } => (truncated(declared, &sent, head_only), true),
        Fault::RawReply(bytes) => (bytes, false),
        _ => return,
    };
    if stream.write_all(&out).await.is_err() || stream.flush().await.is_err() {
        return;
    }
    if then_stall {
        // A stall of a year stands for forever.
        let year = Duration::from_secs(365 * 24 * 60 * 60);
        stall(&mut stream, &mut Vec::new(), year).await;
    } else {
        let _ = stream.shutdown().await;
    }
}

/// A `200` JSON response head announcing `declared` bytes, followed by `sent`.
fn truncated(declared: usize, sent: &[u8], head_only: bool) -> Vec<u8> {
    let head = response_head(
        200,
        &[
            ("content-type", "application/json"),
            ("content-length", &declared.to_string()),
        ],
        false,
    );
    let mut out = head.into_bytes();
    if !head_only {
        out.extend_from_slice(sent);
    }
    out
}

/// [`Fault::RawReply`] as a connection fault: one read, whatever arrives, then `bytes`.
async fn raw_reply(mut stream: TcpStream, bytes: &[u8]) {
    let mut first = [0u8; READ_BUF];
    let _ = stream.read(&mut first).await;
    if stream.write_all(bytes).await.is_ok() {
        let _ = stream.shutdown().await;
    }
}

/// Closes the connection with a TCP reset where the platform allows it.
fn reset(stream: TcpStream) {
    let _ = stream.set_zero_linger();
    drop(stream);
}

/// Answers `status` with a plain-text `message`, then closes the connection.
///
/// The close is a "lingering" one: after sending FIN, whatever the client
/// still sends is read and discarded for a short while, since closing a socket
/// with unread input makes the kernel send a reset that can destroy the
/// response before the client reads it.
async fn close_with(stream: &mut TcpStream, status: u16, message: &str) {
    let headers = [("content-type".to_string(), "text/plain".to_string())];
    if write_response(stream, status, &headers, message.as_bytes(), false, true)
        .await
        .is_err()
    {
        return;
    }
    if stream.shutdown().await.is_err() {
        return;
    }
    let drain = async {
        let mut chunk = [0u8; READ_BUF];
        let mut budget = MAX_BODY;
        while let Ok(n @ 1..) = stream.read(&mut chunk).await {
            budget = budget.saturating_sub(n);
            if budget == 0 {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_millis(500), drain).await;
}

/// Waits `duration`, buffering anything the client sends meanwhile. Returns
/// `false` if the client went away (or misbehaved) before the time was up.
async fn stall(stream: &mut TcpStream, buf: &mut Vec<u8>, duration: Duration) -> bool {
    let now = Instant::now();
    let deadline = now
        .checked_add(duration)
        .unwrap_or_else(|| now + Duration::from_secs(365 * 24 * 60 * 60));
    let mut chunk = [0u8; READ_BUF];
    loop {
        tokio::select! {
            _ = tokio::time::sleep_until(deadline) => return true,
            read = stream.read(&mut chunk) => match read {
                Ok(0) | Err(_) => return false,
                Ok(n) => {
                    buf.extend_from_slice(&chunk[..n]);
                    if buf.len() > MAX_HEAD + MAX_BODY {
                        return false;
                    }
                }
            },
        }
    }
}

/// Reads more bytes into `buf`; `false` when the connection is closed or failed.
async fn fill(stream: &mut TcpStream, buf: &mut Vec<u8>) -> bool {
    let mut chunk = [0u8; READ_BUF];
    match stream.read(&mut chunk).await {
        Ok(0) | Err(_) => false,
        Ok(n) => {
            buf.extend_from_slice(&chunk[..n]);
            true
        }
    }
}

/// Finds the end of the request head (index just past the empty line),
/// accepting both CRLF and bare LF line endings.
fn find_head_end(buf: &[u8]) -> Option<usize> {
    buf.iter().enumerate().find_map(|(i, &b)| {
        if b != b'\n' {
            return None;
        }
        match (buf.get(i + 1), buf.get(i + 2)) {
            (Some(b'\n'), _) => Some(i + 2),
            (Some(b'\r'), Some(b'\n')) => Some(i + 3),
            _ => None,
        }
    })
}

/// Reads one full request (head and `Content-Length` body) from the
/// connection, leaving any bytes past it in `buf` for the next request.
///
/// One pass in the order RFC 9112 reads a request (request line, header
/// fields, framing, body); split up, each step would take most of the others'
/// locals, hence its length.
async fn read_request(stream: &mut TcpStream, buf: &mut Vec<u8>) -> ReadOutcome {
    let head_end = loop {
        // Tolerate empty lines before a request line (RFC 9112 §2.2).
        let blank = buf
            .iter()
            .take_while(|b| matches!(b, b'\r' | b'\n'))
            .count();
        buf.drain(..blank);
        if let Some(end) = find_head_end(buf) {
            break end;
        }
        if buf.len() > MAX_HEAD {
            return ReadOutcome::Bad(431, "request head too large");
        }
        if !fill(stream, buf).await {
            return ReadOutcome::Closed;
        }
    };
    if head_end > MAX_HEAD {
        return ReadOutcome::Bad(431, "request head too large");
    }

    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));

    let request_line = lines.next().unwrap_or_default();
    let parts: Vec<&str> = request_line.split(' ').collect();
    let [method, target, version] = parts[..] else {
        return ReadOutcome::Bad(400, "malformed request line");
    };
    let method_ok = !method.is_empty() && method.bytes().all(|b| b.is_ascii_alphabetic());
    if !method_ok || target.is_empty() || !version.starts_with("HTTP/") {
        return ReadOutcome::Bad(400, "malformed request line");
    }
    let http10 = match version {
        "HTTP/1.1" => false,
        "HTTP/1.0" => true,
        _ => return ReadOutcome::Bad(505, "HTTP version not supported"),
    };

    let mut headers = Vec::new();
    for line in lines.filter(|l| !l.is_empty()) {
        if line.starts_with([' ', '\t']) {
            return ReadOutcome::Bad(400, "obsolete header line folding");
        }
        let Some((name, value)) = line.split_once(':') else {
            return ReadOutcome::Bad(400, "malformed header line");
        };
        if name.is_empty()
            || name
                .bytes()
                .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
        {
            return ReadOutcome::Bad(400, "malformed header name");
        }
        headers.push((
            name.to_ascii_lowercase(),
            value.trim_matches([' ', '\t']).to_string(),
        ));
    }

    if headers.iter().any(|(n, _)| n == "transfer-encoding") {
        return ReadOutcome::Bad(400, "transfer-encoding request bodies are not supported");
    }
    let mut content_length: Option<usize> = None;
    for (_, value) in headers.iter().filter(|(n, _)| n == "content-length") {
        match (value.parse::<usize>(), content_length) {
            (Ok(len), None) => content_length = Some(len),
            (Ok(len), Some(previous)) if len == previous => {}
            _ => return ReadOutcome::Bad(400, "invalid content-length"),
        }
    }
    let content_length = content_length.unwrap_or(0);
    if content_length > MAX_BODY {
        return ReadOutcome::Bad(413, "request body too large");
    }

    let header_has = |name: &str, token: &str| {
        headers
            .iter()
            .filter(|(n, _)| n == name)
            .flat_map(|(_, v)| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    };
    let keep_alive = if header_has("connection", "close") {
        false
    } else {
        !http10 || header_has("connection", "keep-alive")
    };

    let total = head_end + content_length;
    let wants_continue = buf.len() < total && !http10 && header_has("expect", "100-continue");
    if wants_continue
        && stream
            .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
            .await
            .is_err()
    {
        return ReadOutcome::Closed;
    }
    while buf.len() < total {
        if !fill(stream, buf).await {
            return ReadOutcome::Closed;
        }
    }
    let body = buf[head_end..total].to_vec();
    buf.drain(..total);

    ReadOutcome::Request(Request {
        head_only: method == "HEAD",
        keep_alive,
        recorded: Recorded {
            method: method.to_string(),
            target: target.to_string(),
            headers,
            body,
            attempt: 0,
        },
    })
}

/// Whether a response with this status may carry a body.
fn status_has_body(status: u16) -> bool {
    !(100..200).contains(&status) && status != 204 && status != 304
}

/// The status line and headers, ending with the empty line.
fn response_head(status: u16, headers: &[(&str, &str)], close: bool) -> String {
    let mut head = format!("HTTP/1.1 {} {}\r\n", status, reason(status));
    for (name, value) in headers {
        head.push_str(name);
        head.push_str(": ");
        head.push_str(value);
        head.push_str("\r\n");
    }
    if close {
        head.push_str("connection: close\r\n");
    }
    head.push_str("\r\n");
    head
}

async fn write_response(
    stream: &mut TcpStream,
    status: u16,
    headers: &[(String, String)],
    body: &[u8],
    head_only: bool,
    close: bool,
) -> io::Result<()> {
    let has_body = status_has_body(status);
    let framed = headers.iter().any(|(n, _)| {
        n.eq_ignore_ascii_case("content-length") || n.eq_ignore_ascii_case("transfer-encoding")
    });
    let length = body.len().to_string();
    let mut all: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    if has_body && !framed {
        all.push(("content-length", &length));
    }
    let mut out = response_head(status, &all, close).into_bytes();
    if has_body && !head_only {
        out.extend_from_slice(body);
    }
    stream.write_all(&out).await?;
    stream.flush().await
}

/// Streams a `len`-byte JSON string body, either with `Content-Length` or
/// chunked.
async fn write_huge(
    stream: &mut TcpStream,
    len: usize,
    chunked: bool,
    head_only: bool,
    close: bool,
) -> io::Result<()> {
    let length = len.to_string();
    let framing = if chunked {
        ("transfer-encoding", "chunked")
    } else {
        ("content-length", length.as_str())
    };
    let head = response_head(200, &[("content-type", "application/json"), framing], close);
    stream.write_all(head.as_bytes()).await?;
    if head_only {
        return stream.flush().await;
    }

    let mut piece = Vec::with_capacity(CHUNK + 16);
    let mut offset = 0;
    while offset < len {
        let size = CHUNK.min(len - offset);
        piece.clear();
        if chunked {
            piece.extend_from_slice(format!("{size:x}\r\n").as_bytes());
        }
        let start = piece.len();
        piece.resize(start + size, b'a');
        if offset == 0 {
            piece[start] = b'"';
        }
        if offset + size == len {
            piece[start + size - 1] = b'"';
        }
        if chunked {
            piece.extend_from_slice(b"\r\n");
        }
        stream.write_all(&piece).await?;
        offset += size;
    }
    if chunked {
        stream.write_all(b"0\r\n\r\n").await?;
    }
    stream.flush().await
}

fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        206 => "Partial Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        413 => "Content Too Large",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Content",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        _ => "Status",
    }
}
