//! The fourth step of the data flow (spec → bind → request → **send** → map): HTTP with a
//! deadline, safe retries, a response size limit and a redirect policy that never carries
//! a credential to another origin.
//!
//! * **Timeouts**: a total deadline per call (default 60 s, like the official Junction SDKs)
//!   that bounds every attempt and every backoff together, and a connect timeout (10 s).
//! * **Retries** (default 2): on 408, 429, 500, 502, 503, 504 and on transport failures,
//!   with exponential backoff and jitter, honouring `Retry-After` (seconds or HTTP-date,
//!   at most 60 s; a longer wait is not retried). A request that may have reached the server
//!   is retried only if its method is idempotent (GET, HEAD, PUT, DELETE, OPTIONS) or the
//!   caller opted in; a connection that failed before the request was written (refused,
//!   or reset before hyper started writing, see `never_written`) is always retried.
//! * **Limits**: the response body is streamed and refused beyond 32 MiB (configurable).
//! * **Redirects**: followed (up to 10) within the same origin; a redirect to another origin
//!   is refused, so no header, query key or cookie ever reaches a host the capability did
//!   not name.
//!
//! This file is the send loop (attempts, deadline, what is retried, the direct client's
//! redirects); `client` builds the clients and reads their errors, `direct` is the
//! plain-http transport (hyper-util's client without reqwest's layers), `retry` the policy
//! and its delays, `limits` the body limit, `error` [`SendError`] and [`HttpError`].

mod client;
mod direct;
mod error;
mod forward;
mod limits;
mod retry;

use std::time::{Duration, Instant};

use bytes::Bytes;
use reqwest::header::{
    HeaderMap, HeaderName, HeaderValue, CONTENT_LENGTH, CONTENT_TYPE, LOCATION, RETRY_AFTER,
};
use serde_json::Value;

pub use client::client_builder;
use client::{connect_cause, error_chain, never_written, tls_error};
pub(crate) use client::{Clients, Http, TlsSettings};
pub(crate) use direct::{Incoming, Outgoing};
pub use error::{HttpError, SendError};
pub(crate) use forward::{forward, hop_by_hop, Forwarded};
use limits::{read_limited, ReadError};
pub use retry::RetryPolicy;
use retry::{backoff, parse_retry_after, retryable_status};

use crate::auth::Sign;
use crate::request::PreparedRequest;
use crate::spec::Method;

/// Transport settings of a runtime.
#[derive(Debug, Clone)]
pub(crate) struct SendConfig {
    pub(crate) timeout: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) max_response_bytes: usize,
    pub(crate) retry: RetryPolicy,
}

impl Default for SendConfig {
    fn default() -> SendConfig {
        SendConfig {
            timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            max_response_bytes: 32 * 1024 * 1024,
            retry: RetryPolicy::default(),
        }
    }
}

/// A successful (status < 400) response, undecoded.
#[derive(Debug, Clone)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// Headers, names in lower case.
    pub headers: Vec<(String, String)>,
    /// The body bytes.
    pub body: Bytes,
    /// Attempts made.
    pub attempts: u32,
}

/// How one attempt ended.
enum Attempt {
    Done(Response),
    /// A status of 400 or more, the server's `Retry-After`, and the response headers of a
    /// `401` (for the signer, see [`Sign::unauthorized`]).
    Status(HttpError, Option<Duration>, Option<Box<HeaderMap>>),
    /// Failed before the request was written: always safe to retry.
    NotSent(SendError),
    /// Failed after the request may have been written.
    MaybeSent(SendError),
    /// Not worth retrying.
    Fatal(SendError),
    /// A redirect within the origin, for the send loop to follow (the direct client's; reqwest
    /// follows them itself): the next URL, and whether the next request is a body-less GET.
    Redirect(reqwest::Url, bool),
}

/// The most redirects a call follows (the reqwest client's policy says the same).
const MAX_REDIRECTS: u32 = 10;

/// Sends `req`, retrying as the policy allows, within `timeout`. `signer` is the
/// per-attempt hook of the consumer's authentication scheme (see [`Sign`]); a `401` to a
/// signed attempt is reported to it, and the request is sent once more if it asks.
/// `traceparent` (W3C Trace Context) is added to every attempt.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn send(
    client: &Http,
    req: &PreparedRequest,
    signer: Option<&dyn Sign>,
    config: &SendConfig,
    timeout: Duration,
    retry: &RetryPolicy,
    keep_headers: bool,
    traceparent: Option<&HeaderValue>,
    started: Instant,
    Prepared { names, base }: Prepared<'_>,
) -> Result<Response, SendError> {
    // `started` is the caller's clock reading (its latency metric): no second one here.
    let deadline = started + timeout;
    // Parsed once; the first attempt takes it, a retry parses it again.
    let mut parsed = Some(parse_url(req, base)?);
    // Built once; the first attempt takes it, a retry builds it again.
    let mut first_headers = Some(header_map_with(req, names)?);
    let mut body = wire_body(req);
    let mut method = req.method;
    let mut redirects: u32 = 0;
    let may_resend = req.method.is_idempotent() || retry.retry_non_idempotent;
    let mut attempts: u32 = 0;
    // Attempts that were resends after a 401 (at most one): not counted as retries.
    let mut auth_resends: u32 = 0;
    loop {
        attempts += 1;
        let first = attempts == 1 && redirects == 0;
        let mut budget = Budget::new(req, deadline, timeout, first, attempts, keep_headers)?;
        let url = match parsed.take() {
            Some(u) => u,
            None => parse_url(req, base)?,
        };
        let mut headers = attempt_headers(req, names, first_headers.take(), traceparent)?;
        // What a signed attempt sent, for the signer to compare with a 401's challenge.
        let mut sent = None;
        if let Some(signer) = signer {
            sign(signer, req, &url, &mut headers, body.as_ref(), &budget).await?;
            budget.remaining = deadline.saturating_duration_since(Instant::now());
            sent = Some(headers.clone());
        }
        let sending = (method, headers, body.as_ref());
        let outcome = attempt(client, req, url, sending, config, budget).await;
        let (error, server_delay) = match outcome {
            Attempt::Done(r) => return Ok(r),
            Attempt::Fatal(e) => return Err(e),
            Attempt::Redirect(next, to_get) => {
                redirects += 1;
                if redirects > MAX_REDIRECTS {
                    return Err(too_many_redirects(req, &next, attempts));
                }
                parsed = Some(next);
                if to_get {
                    (method, body) = (Method::Get, None);
                }
                // A redirect is not an attempt.
                attempts -= 1;
                continue;
            }
            Attempt::Status(e, _, Some(challenge))
                if auth_resends == 0
                    && signer
                        .zip(sent.as_ref())
                        .is_some_and(|(s, sent)| s.unauthorized(sent, &challenge)) =>
            {
                // Answer the challenge / use the fresh token: once, at once.
                tracing::debug!(operation = %req.operation, attempt = attempts, status = e.status, "resending with new credentials");
                auth_resends += 1;
                continue;
            }
            Attempt::Status(e, delay, _) => {
                let retryable = retryable_status(e.status) && may_resend;
                if !retryable {
                    return Err(SendError::Status(Box::new(e)));
                }
                (SendError::Status(Box::new(e)), delay)
            }
            Attempt::NotSent(e) => (e, None),
            Attempt::MaybeSent(e) => {
                if !may_resend {
                    return Err(e);
                }
                (e, None)
            }
        };
        let Some(delay) = retry_delay(retry, attempts - auth_resends, server_delay, deadline)
        else {
            return Err(error);
        };
        tracing::debug!(operation = %req.operation, attempt = attempts, delay_ms = delay.as_millis() as u64, "retrying");
        tokio::time::sleep(delay).await;
    }
}

/// An attempt's headers: the first attempt's, built ahead, or built again; with the trace
/// context.
fn attempt_headers(
    req: &PreparedRequest,
    names: &HeaderNames,
    first: Option<HeaderMap>,
    traceparent: Option<&HeaderValue>,
) -> Result<HeaderMap, SendError> {
    let mut headers = match first {
        Some(h) => h,
        None => header_map_with(req, names)?,
    };
    if let Some(t) = traceparent {
        headers.insert(HeaderName::from_static("traceparent"), t.clone());
    }
    Ok(headers)
}

/// The error of a redirect past the [`MAX_REDIRECTS`]th, `url` the one it leads to.
fn too_many_redirects(req: &PreparedRequest, url: &reqwest::Url, attempts: u32) -> SendError {
    SendError::Transport {
        operation: req.operation.to_string(),
        message: format!(
            "error following redirect for url ({}): too many redirects (more than {MAX_REDIRECTS})",
            req.redact(url.as_str())
        ),
        attempts,
    }
}

/// The request's URL, parsed: from the consumer's parsed base when it starts with it.
fn parse_url(req: &PreparedRequest, base: Option<&BaseUrl>) -> Result<reqwest::Url, SendError> {
    if let Some(url) = base.and_then(|b| b.join(req.expose_url())) {
        return Ok(url);
    }
    reqwest::Url::parse(req.expose_url()).map_err(|e| SendError::InvalidUrl {
        operation: req.operation.to_string(),
        message: format!("{} ({e})", req.url()),
    })
}

/// A consumer's base URL parsed once, when the runtime is built (an override, or a base URI
/// without variables). A request's URL that is this base followed by a path and a query is
/// the parsed base with that path and query set: its scheme, host (IDNA mapping included)
/// and port are not parsed again on every call.
#[derive(Clone, Debug)]
pub(crate) struct BaseUrl {
    text: String,
    url: reqwest::Url,
}

impl BaseUrl {
    /// `text` parsed, when it is a plain base: no query, no fragment, not a `data:`-like URL.
    pub(crate) fn new(text: &str) -> Option<BaseUrl> {
        // The text as the request builder writes it: a base without a trailing `/`.
        let text = text.trim_end_matches('/');
        let url = reqwest::Url::parse(text).ok()?;
        // A path that parsing turned into one ending in `/` (`/a/.`) would not join as
        // the whole URL parses: such a base is parsed whole every time.
        let plain = !url.cannot_be_a_base()
            && !text.contains(['?', '#'])
            && (url.path() == "/" || !url.path().ends_with('/'));
        plain.then(|| BaseUrl {
            text: text.to_string(),
            url,
        })
    }

    /// `full` parsed, when it is this base, then nothing or a path from `/`, then a query;
    /// `None` (parse it whole) for anything else.
    fn join(&self, full: &str) -> Option<reqwest::Url> {
        let rest = full.strip_prefix(self.text.as_str())?;
        if !(rest.is_empty() || rest.starts_with(['/', '?'])) || rest.contains('#') {
            return None;
        }
        let (path, query) = match rest.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (rest, None),
        };
        let mut url = self.url.clone();
        if !path.is_empty() {
            match self.url.path() {
                "/" => url.set_path(path),
                prefix => url.set_path(&[prefix, path].concat()),
            }
        }
        url.set_query(query);
        Some(url)
    }
}

/// The origin of the request's URL, for messages and the redirect check (parsed again: the
/// attempt's parsed URL went into the request, and only these rarer paths need it).
fn reparse_url(req: &PreparedRequest) -> Option<reqwest::Url> {
    reqwest::Url::parse(req.expose_url()).ok()
}

/// The body's bytes and content type, serialised once for every attempt.
fn wire_body(req: &PreparedRequest) -> Option<(Bytes, &str)> {
    req.wire_body()
}

/// How long to wait before the next attempt, or `None` when there is none: the retries are
/// spent (`tries` counts attempts that were not 401 resends), the server asks for more than
/// the policy waits, or the wait would pass the deadline.
fn retry_delay(
    retry: &RetryPolicy,
    tries: u32,
    server_delay: Option<Duration>,
    deadline: Instant,
) -> Option<Duration> {
    if tries > retry.max_retries {
        return None;
    }
    let delay = match server_delay {
        Some(d) if d > retry.max_retry_after => return None,
        Some(d) => d,
        None => backoff(retry, tries),
    };
    (Instant::now() + delay < deadline).then_some(delay)
}

/// Runs the authentication scheme's per-attempt hook within the attempt's budget.
async fn sign(
    signer: &dyn Sign,
    req: &PreparedRequest,
    url: &reqwest::Url,
    headers: &mut HeaderMap,
    body: Option<&(Bytes, &str)>,
    budget: &Budget,
) -> Result<(), SendError> {
    // The signer sees the headers as they are sent, the body's content type included (oauth1
    // signs a form body's fields).
    if let Some((_, content_type)) = body {
        if let Ok(value) = HeaderValue::from_str(content_type) {
            (headers.entry(CONTENT_TYPE)).or_insert(value);
        }
    }
    let signing = signer.sign(req.method, url, headers, body.map(|(b, _)| &b[..]));
    match tokio::time::timeout(budget.remaining, signing).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(message)) => Err(SendError::Transport {
            operation: req.operation.to_string(),
            message: format!("authentication failed: {}", req.redact(&message)),
            attempts: budget.attempts,
        }),
        Err(_) => Err(SendError::Timeout {
            operation: req.operation.to_string(),
            after: budget.total,
            attempts: budget.attempts,
        }),
    }
}

impl Budget {
    /// The budget of attempt number `attempts` (the `first` one has the whole timeout: no
    /// second clock reading), or the timeout error when no time is left.
    fn new(
        req: &PreparedRequest,
        deadline: Instant,
        total: Duration,
        first: bool,
        attempts: u32,
        keep_headers: bool,
    ) -> Result<Budget, SendError> {
        let remaining = if first {
            total
        } else {
            deadline.saturating_duration_since(Instant::now())
        };
        if remaining.is_zero() {
            return Err(SendError::Timeout {
                operation: req.operation.to_string(),
                after: total,
                attempts: attempts - 1,
            });
        }
        Ok(Budget {
            remaining,
            deadline,
            total,
            attempts,
            keep_headers,
        })
    }
}

/// What one attempt may spend, and what it reports.
struct Budget {
    /// Time left before the call's deadline.
    remaining: Duration,
    /// The call's deadline.
    deadline: Instant,
    /// The call's whole deadline (for messages).
    total: Duration,
    /// This attempt's number, from 1.
    attempts: u32,
    /// Copy (and redact) the response headers: only `execute` and errors need them.
    keep_headers: bool,
}

/// What one attempt sends: the method (a `303` makes it GET), headers and body.
type Sending<'a> = (Method, HeaderMap, Option<&'a (Bytes, &'a str)>);

async fn attempt(
    client: &Http,
    req: &PreparedRequest,
    url: reqwest::Url,
    (method, mut headers, body): Sending<'_>,
    config: &SendConfig,
    budget: Budget,
) -> Attempt {
    let typed = headers.contains_key(CONTENT_TYPE);
    let bytes = match body {
        Some((bytes, content_type)) => {
            // The body's content type is one of the fixed ones, or multipart with the
            // request's own alphanumeric boundary: always a valid header value.
            if let (false, Ok(value)) = (typed, HeaderValue::from_str(content_type)) {
                headers.append(CONTENT_TYPE, value);
            }
            Some(bytes.clone())
        }
        // A body-less POST/PUT/PATCH says so with `content-length: 0`.
        None if matches!(method, Method::Post | Method::Put | Method::Patch) => {
            // hyper omits the header for an empty body; say it explicitly, as the SDKs do.
            headers.append(CONTENT_LENGTH, HeaderValue::from_static("0"));
            Some(Bytes::new())
        }
        None => None,
    };
    let attempts = budget.attempts;
    let timeout_error = || SendError::Timeout {
        operation: req.operation.to_string(),
        after: budget.total,
        attempts,
    };
    // One timer bounds the whole exchange: sending, the response head and the body.
    let request = (wire_method(method), url, headers, bytes);
    let exchange = exchange(client, request, req, config, &budget);
    let deadline = tokio::time::Instant::from_std(budget.deadline);
    match tokio::time::timeout_at(deadline, exchange).await {
        Err(_) => Attempt::MaybeSent(timeout_error()),
        Ok(Err(e)) => classify(req, &e, attempts, config.connect_timeout, timeout_error),
        Ok(Ok(outcome)) => outcome,
    }
}

/// The method as sent.
pub(crate) fn wire_method(method: Method) -> reqwest::Method {
    match method {
        Method::Get => reqwest::Method::GET,
        Method::Post => reqwest::Method::POST,
        Method::Put => reqwest::Method::PUT,
        Method::Patch => reqwest::Method::PATCH,
        Method::Delete => reqwest::Method::DELETE,
        Method::Head => reqwest::Method::HEAD,
        Method::Options => reqwest::Method::OPTIONS,
    }
}

/// A request as the transports take it.
type WireRequest = (reqwest::Method, reqwest::Url, HeaderMap, Option<Bytes>);

/// A response head and its body, from either transport: status, headers, the URL that
/// answered (only for a redirect: where `Location` is resolved from) and the body.
pub(crate) struct Received {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) url: Option<reqwest::Url>,
    pub(crate) body: Incoming,
}

/// Sends one request on `client`: reqwest follows redirects within the origin itself; the
/// direct client answers them to the send loop.
pub(crate) async fn transmit(
    client: &Http,
    (method, url, headers, body): (reqwest::Method, reqwest::Url, HeaderMap, Option<Outgoing>),
) -> Result<Received, TransportError> {
    match client {
        Http::Reqwest(c) => {
            let mut request = reqwest::Request::new(method, url);
            *request.headers_mut() = headers;
            *request.body_mut() = body.map(Outgoing::into_reqwest);
            let response = c.execute(request).await.map_err(TransportError::Reqwest)?;
            let status = response.status().as_u16();
            let url = (300..400).contains(&status).then(|| response.url().clone());
            let (parts, body) = http::Response::from(response).into_parts();
            Ok(Received {
                status,
                headers: parts.headers,
                url,
                body: Incoming::Reqwest(body),
            })
        }
        Http::Direct(c) => {
            let body = body.unwrap_or(Outgoing::Empty);
            let response = c.send(method, &url, headers, body).await;
            let (parts, body) = response.map_err(TransportError::Direct)?.into_parts();
            let status = parts.status.as_u16();
            Ok(Received {
                status,
                headers: parts.headers,
                url: (300..400).contains(&status).then_some(url),
                body: Incoming::Direct(body),
            })
        }
    }
}

/// Why a transport could not exchange a request.
#[derive(Debug)]
pub(crate) enum TransportError {
    Reqwest(reqwest::Error),
    Direct(direct::DirectError),
}

impl TransportError {
    fn is_connect(&self) -> bool {
        match self {
            TransportError::Reqwest(e) => e.is_connect(),
            TransportError::Direct(e) => e.is_connect(),
        }
    }

    fn is_timeout(&self) -> bool {
        match self {
            TransportError::Reqwest(e) => e.is_timeout(),
            TransportError::Direct(e) => e.is_timeout(),
        }
    }

    fn is_redirect(&self) -> bool {
        matches!(self, TransportError::Reqwest(e) if e.is_redirect())
    }

    pub(crate) fn error(&self) -> &(dyn std::error::Error + 'static) {
        match self {
            TransportError::Reqwest(e) => e,
            TransportError::Direct(e) => e,
        }
    }
}

/// Where a redirect within the origin leads, and whether the next request is a body-less
/// GET (`303`; `301`/`302` to a POST), as reqwest's redirect layer decides; `None` for any
/// other status, or a `Location` that does not parse.
fn redirect_to(
    status: u16,
    method: &reqwest::Method,
    target: &reqwest::Url,
) -> Option<(reqwest::Url, bool)> {
    let to_get = match status {
        301 | 302 => *method == reqwest::Method::POST,
        303 => *method != reqwest::Method::HEAD,
        307 | 308 => false,
        _ => return None,
    };
    Some((target.clone(), to_get))
}

/// Sends the request and reads the response; a transport error before the response head
/// is returned for `classify`.
async fn exchange(
    client: &Http,
    (method, url, headers, body): WireRequest,
    req: &PreparedRequest,
    config: &SendConfig,
    budget: &Budget,
) -> Result<Attempt, TransportError> {
    let direct = matches!(client, Http::Direct(_));
    let sent_method = direct.then(|| method.clone());
    let response = transmit(
        client,
        (method, url, headers, body.map(|b| Outgoing::Full(Some(b)))),
    )
    .await?;
    let operation = &req.operation;
    let attempts = budget.attempts;
    let status = response.status;
    if let (Some(location), Some(answered)) = (response.headers.get(LOCATION), &response.url) {
        let target = answered.join(location.to_str().unwrap_or_default());
        let from = reparse_url(req).map(|u| u.origin());
        let other_origin = match (&target, &from) {
            (Ok(t), Some(from)) => t.origin() != *from,
            _ => true,
        };
        if other_origin {
            let to = target.map_or_else(
                |_| "an invalid location".to_string(),
                |t| t.origin().ascii_serialization(),
            );
            return Ok(Attempt::Fatal(SendError::CrossOriginRedirect {
                operation: operation.to_string(),
                status,
                from: from.map(|o| o.ascii_serialization()).unwrap_or_default(),
                to: req.redact(&to).into_owned(),
            }));
        }
        if let (Some(m), Ok(t)) = (&sent_method, &target) {
            if let Some((next, to_get)) = redirect_to(status, m, t) {
                return Ok(Attempt::Redirect(next, to_get));
            }
        }
    }
    let headers = &response.headers;
    let response_headers: Vec<(String, String)> = if budget.keep_headers || status >= 400 {
        headers
            .iter()
            .map(|(k, v)| {
                // A server may echo the key in a header value, or even use it as a header name.
                (
                    req.redact(k.as_str()).into_owned(),
                    req.redact(&String::from_utf8_lossy(v.as_bytes()))
                        .into_owned(),
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    let challenge = (status == 401).then(|| Box::new(headers.clone()));
    let retry_after = headers
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_retry_after);
    let body = match read_limited(response.body, config.max_response_bytes, operation).await {
        Ok(b) => b,
        Err(ReadError::TooLarge(e)) => return Ok(Attempt::Fatal(e)),
        Err(ReadError::Broken(e)) => {
            return Ok(Attempt::MaybeSent(SendError::Transport {
                operation: operation.to_string(),
                message: format!(
                    "the response body broke off: {}",
                    req.redact(&error_chain(&*e))
                ),
                attempts,
            }));
        }
    };
    Ok(finish(
        req,
        status,
        response_headers,
        body,
        retry_after,
        challenge,
        attempts,
    ))
}

/// The attempt's outcome once its body is read: done, or a status of 400 or more.
fn finish(
    req: &PreparedRequest,
    status: u16,
    headers: Vec<(String, String)>,
    body: Bytes,
    retry_after: Option<Duration>,
    challenge: Option<Box<HeaderMap>>,
    attempts: u32,
) -> Attempt {
    if status >= 400 {
        let mut parsed = if body.iter().all(u8::is_ascii_whitespace) {
            Value::Null
        } else {
            serde_json::from_slice(&body)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()))
        };
        crate::secret::redact_json_in_place(&mut parsed, req.all_secrets(), false);
        return Attempt::Status(
            HttpError {
                operation: req.operation.to_string(),
                status,
                headers,
                body: parsed,
                attempts,
            },
            retry_after,
            challenge,
        );
    }
    Attempt::Done(Response {
        status,
        headers,
        body,
        attempts,
    })
}

fn classify(
    req: &PreparedRequest,
    failure: &TransportError,
    attempts: u32,
    connect_timeout: Duration,
    timeout_error: impl Fn() -> SendError,
) -> Attempt {
    let e = failure.error();
    let mut message = req.redact(&error_chain(e)).into_owned();
    if let Some(tls) = tls_error(e) {
        return Attempt::Fatal(SendError::Tls {
            operation: req.operation.to_string(),
            origin: origin_text(req),
            message: req.redact(&tls).into_owned(),
        });
    }
    // Before `is_timeout`: a connect timeout is a connection that was never made (so the
    // request was not sent and may be retried), not the call's deadline.
    if failure.is_connect() {
        message = if failure.is_timeout() {
            format!(
                "no connection within the connect timeout of {} ms",
                connect_timeout.as_millis()
            )
        } else {
            req.redact(&connect_cause(e)).into_owned()
        };
        let error = SendError::Connect {
            operation: req.operation.to_string(),
            origin: origin_text(req),
            message,
            attempts,
        };
        // Certificate problems do not go away by retrying.
        if error_chain(e).contains("certificate") {
            return Attempt::Fatal(error);
        }
        return Attempt::NotSent(error);
    }
    if failure.is_timeout() {
        return Attempt::MaybeSent(timeout_error());
    }
    if never_written(e) {
        return Attempt::NotSent(SendError::Transport {
            operation: req.operation.to_string(),
            message: format!("the connection closed before the request was sent: {message}"),
            attempts,
        });
    }
    if failure.is_redirect() {
        return Attempt::Fatal(SendError::Transport {
            operation: req.operation.to_string(),
            message,
            attempts,
        });
    }
    Attempt::MaybeSent(SendError::Transport {
        operation: req.operation.to_string(),
        message,
        attempts,
    })
}

/// The origin of the request's URL as text (empty if it cannot be parsed, which a sent
/// request's can).
fn origin_text(req: &PreparedRequest) -> String {
    reparse_url(req)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default()
}

/// What the runtime parsed once for the requests of a consumer: header names, base URL.
#[derive(Clone, Copy)]
pub(crate) struct Prepared<'a> {
    pub(crate) names: &'a HeaderNames,
    pub(crate) base: Option<&'a BaseUrl>,
}

/// The header names a capability sends, parsed once when the runtime is built (parsing a
/// custom name allocates it): header parameters, API-key headers, default headers.
pub(crate) type HeaderNames = rustc_hash::FxHashMap<Box<str>, HeaderName>;

/// The request's headers as sent; `names` holds names parsed ahead.
fn header_map_with(req: &PreparedRequest, names: &HeaderNames) -> Result<HeaderMap, SendError> {
    // Room for what the client adds to the same map (user agent, accept), so it never grows.
    let mut map = HeaderMap::with_capacity(req.headers.len() + 4);
    for (i, (k, v)) in req.headers.iter().enumerate() {
        let name = match names.get(k.as_str()) {
            Some(n) => Ok(n.clone()),
            None => HeaderName::from_bytes(k.as_bytes()),
        };
        let value = HeaderValue::from_bytes(v.as_bytes());
        let value_text: &str = v;
        match (name, value) {
            (Ok(n), Ok(mut v)) => {
                // Where the builder wrote a secret, or wherever one shows (an argument).
                if matches!(
                    n.as_str(),
                    "authorization" | "cookie" | "proxy-authorization"
                ) || req.spots.headers.iter().any(|(h, _)| *h == i)
                    || req
                        .secrets
                        .iter()
                        .any(|s| !s.expose().is_empty() && value_text.contains(s.expose()))
                {
                    v.set_sensitive(true);
                }
                map.append(n, v);
            }
            _ => {
                return Err(SendError::InvalidUrl {
                    operation: req.operation.to_string(),
                    message: format!("header `{k}` cannot be sent"),
                })
            }
        }
    }
    Ok(map)
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_url_joined_to_its_parsed_base_is_the_url_parsed_whole() {
        let bases = [
            "http://127.0.0.1:19080",
            "http://127.0.0.1:19080/",
            "https://API.Example.com/v2",
            "https://user:pw@api.example.com:8443/a b/c%2Fd",
            "http://[::1]:3000/api/",
            "http://bücher.example/base",
            "http://h/a\\b",
        ];
        let rests = [
            "",
            "/",
            "/v2/user/3fa85f64-5717-4562-b3fc-2c963f66afa6",
            "/users?limit=5&offset=0",
            "?only=query",
            "/p?",
            "/a%2Fb/%E2%98%83/x y",
            "/../up/./here",
            "/q?a=b?c&d=%20e f",
            "/é?ü=1",
        ];
        for base in bases {
            let parsed = BaseUrl::new(base).expect(base);
            for rest in rests {
                let full = format!("{}{rest}", base.trim_end_matches('/'));
                let joined = parsed.join(&full).expect(&full);
                let whole = reqwest::Url::parse(&full).unwrap();
                assert_eq!(joined.as_str(), whole.as_str(), "{full}");
            }
        }
        let plain = BaseUrl::new("http://h/v2").unwrap();
        for other in [
            "http://h/v20/x",
            "http://other/v2",
            "http://h/v2#frag",
            "http://h/v2x",
        ] {
            assert!(plain.join(other).is_none(), "{other}");
        }
        for not_a_base in ["http://h/a/.", "http://h/?q=1", "mailto:x@y", "not a url"] {
            assert!(BaseUrl::new(not_a_base).is_none(), "{not_a_base}");
        }
    }
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::OnceLock;

    use wiremock::matchers::header;
    use wiremock::{Mock, MockServer, ResponseTemplate};

    use super::*;
    use crate::auth::SignFuture;

    /// A signer that numbers the attempts in a header.
    #[derive(Debug, Default)]
    struct Numbering(AtomicU32);

    impl Sign for Numbering {
        fn sign<'a>(
            &'a self,
            _: Method,
            _: &'a reqwest::Url,
            headers: &'a mut HeaderMap,
            _: Option<&'a [u8]>,
        ) -> SignFuture<'a> {
            Box::pin(async move {
                let n = self.0.fetch_add(1, Ordering::Relaxed) + 1;
                headers.insert("x-attempt", HeaderValue::from(n));
                Ok(())
            })
        }
    }

    #[tokio::test]
    async fn a_signer_signs_every_attempt_again() {
        let server = MockServer::start().await;
        Mock::given(header("x-attempt", "1"))
            .respond_with(ResponseTemplate::new(503))
            .mount(&server)
            .await;
        Mock::given(header("x-attempt", "2"))
            .respond_with(ResponseTemplate::new(200))
            .mount(&server)
            .await;
        let req = PreparedRequest {
            operation: "ns.op".into(),
            index: 0,
            method: Method::Get,
            url: format!("{}/x", server.uri()),
            headers: Vec::new(),
            body: None,
            secrets: Vec::new(),
            spots: Default::default(),
            redaction: OnceLock::new(),
        };
        let config = SendConfig::default();
        let client = Http::Direct(direct::Client::new(config.connect_timeout));
        let retry = RetryPolicy {
            initial_backoff: Duration::from_millis(1),
            ..RetryPolicy::default()
        };
        let signer = Numbering::default();
        let timeout = Duration::from_secs(10);
        let response = send(
            &client,
            &req,
            Some(&signer),
            &config,
            timeout,
            &retry,
            false,
            None,
            Instant::now(),
            Prepared {
                names: &HeaderNames::default(),
                base: None,
            },
        )
        .await
        .unwrap();
        assert_eq!((response.status, response.attempts), (200, 2));
        assert_eq!(signer.0.load(Ordering::Relaxed), 2);
    }
}
