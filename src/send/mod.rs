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
//! This file is the send loop (attempts, deadline, what is retried); `client` builds the
//! client and reads its errors, `retry` the policy and its delays, `limits` the body
//! limit, `error` [`SendError`] and [`HttpError`].

mod client;
mod error;
mod forward;
mod limits;
mod retry;

use std::time::{Duration, Instant};

use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE};
use serde_json::Value;

#[cfg(test)]
use client::build_client;
pub use client::client_builder;
use client::{connect_cause, error_chain, never_written, tls_error};
pub(crate) use client::{Clients, TlsSettings};
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
}

/// Sends `req`, retrying as the policy allows, within `timeout`. `signer` is the
/// per-attempt hook of the consumer's authentication scheme (see [`Sign`]); a `401` to a
/// signed attempt is reported to it, and the request is sent once more if it asks.
/// `traceparent` (W3C Trace Context) is added to every attempt.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn send(
    client: &reqwest::Client,
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
    let body = wire_body(req);
    let may_resend = req.method.is_idempotent() || retry.retry_non_idempotent;
    let mut attempts: u32 = 0;
    // Attempts that were resends after a 401 (at most one): not counted as retries.
    let mut auth_resends: u32 = 0;
    loop {
        attempts += 1;
        let remaining = if attempts == 1 {
            timeout
        } else {
            deadline.saturating_duration_since(Instant::now())
        };
        if remaining.is_zero() {
            return Err(SendError::Timeout {
                operation: req.operation.to_string(),
                after: timeout,
                attempts: attempts - 1,
            });
        }
        let url = match parsed.take() {
            Some(u) => u,
            None => parse_url(req, base)?,
        };
        let mut headers = match first_headers.take() {
            Some(h) => h,
            None => header_map_with(req, names)?,
        };
        if let Some(t) = traceparent {
            headers.insert(HeaderName::from_static("traceparent"), t.clone());
        }
        let mut budget = Budget {
            remaining,
            deadline,
            total: timeout,
            attempts,
            keep_headers,
        };
        // What a signed attempt sent, for the signer to compare with a 401's challenge.
        let mut sent = None;
        if let Some(signer) = signer {
            sign(signer, req, &url, &mut headers, body.as_ref(), &budget).await?;
            budget.remaining = deadline.saturating_duration_since(Instant::now());
            sent = Some(headers.clone());
        }
        let outcome = attempt(client, req, url, headers, body.as_ref(), config, budget).await;
        let (error, server_delay) = match outcome {
            Attempt::Done(r) => return Ok(r),
            Attempt::Fatal(e) => return Err(e),
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

async fn attempt(
    client: &reqwest::Client,
    req: &PreparedRequest,
    url: reqwest::Url,
    headers: HeaderMap,
    body: Option<&(Bytes, &str)>,
    config: &SendConfig,
    budget: Budget,
) -> Attempt {
    let method = match req.method {
        Method::Get => reqwest::Method::GET,
        Method::Post => reqwest::Method::POST,
        Method::Put => reqwest::Method::PUT,
        Method::Patch => reqwest::Method::PATCH,
        Method::Delete => reqwest::Method::DELETE,
        Method::Head => reqwest::Method::HEAD,
        Method::Options => reqwest::Method::OPTIONS,
    };
    // The request is built directly (not with a `RequestBuilder`, which would copy every
    // header into a map of its own).
    let mut request = reqwest::Request::new(method, url);
    let typed = headers.contains_key(CONTENT_TYPE);
    *request.headers_mut() = headers;
    match body {
        Some((bytes, content_type)) => {
            // The body's content type is one of the fixed ones, or multipart with the
            // request's own alphanumeric boundary: always a valid header value.
            if let (false, Ok(value)) = (typed, HeaderValue::from_str(content_type)) {
                request.headers_mut().append(CONTENT_TYPE, value);
            }
            *request.body_mut() = Some(bytes.clone().into());
        }
        // A body-less POST/PUT/PATCH says so with `content-length: 0`.
        None if matches!(req.method, Method::Post | Method::Put | Method::Patch) => {
            // hyper omits the header for an empty body; say it explicitly, as the SDKs do.
            (request.headers_mut()).append(
                reqwest::header::CONTENT_LENGTH,
                HeaderValue::from_static("0"),
            );
            *request.body_mut() = Some(Bytes::new().into());
        }
        None => {}
    }
    let attempts = budget.attempts;
    let timeout_error = || SendError::Timeout {
        operation: req.operation.to_string(),
        after: budget.total,
        attempts,
    };
    // One timer bounds the whole exchange: sending, the response head and the body.
    let exchange = exchange(client, request, req, config, &budget);
    let deadline = tokio::time::Instant::from_std(budget.deadline);
    match tokio::time::timeout_at(deadline, exchange).await {
        Err(_) => Attempt::MaybeSent(timeout_error()),
        Ok(Err(e)) => classify(req, &e, attempts, config.connect_timeout, timeout_error),
        Ok(Ok(outcome)) => outcome,
    }
}

/// Sends the request and reads the response; a transport error before the response head
/// is returned for `classify`.
async fn exchange(
    client: &reqwest::Client,
    request: reqwest::Request,
    req: &PreparedRequest,
    config: &SendConfig,
    budget: &Budget,
) -> Result<Attempt, reqwest::Error> {
    let response = client.execute(request).await?;
    let operation = &req.operation;
    let attempts = budget.attempts;
    let status = response.status().as_u16();
    if (300..400).contains(&status) {
        if let Some(location) = response.headers().get(reqwest::header::LOCATION) {
            let target = response.url().join(location.to_str().unwrap_or_default());
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
        }
    }
    let response_headers: Vec<(String, String)> = if budget.keep_headers || status >= 400 {
        response
            .headers()
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
    let challenge = (status == 401).then(|| Box::new(response.headers().clone()));
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_retry_after);
    let body = match read_limited(response, config.max_response_bytes, operation).await {
        Ok(b) => b,
        Err(ReadError::TooLarge(e)) => return Ok(Attempt::Fatal(e)),
        Err(ReadError::Broken(e)) => {
            return Ok(Attempt::MaybeSent(SendError::Transport {
                operation: operation.to_string(),
                message: format!(
                    "the response body broke off: {}",
                    req.redact(&error_chain(&e))
                ),
                attempts,
            }));
        }
    };
    if status >= 400 {
        let mut parsed = if body.iter().all(u8::is_ascii_whitespace) {
            Value::Null
        } else {
            serde_json::from_slice(&body)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()))
        };
        return Ok(Attempt::Status(
            HttpError {
                operation: operation.to_string(),
                status,
                headers: response_headers,
                body: {
                    crate::secret::redact_json_in_place(&mut parsed, req.all_secrets(), false);
                    parsed
                },
                attempts,
            },
            retry_after,
            challenge,
        ));
    }
    Ok(Attempt::Done(Response {
        status,
        headers: response_headers,
        body,
        attempts,
    }))
}

fn classify(
    req: &PreparedRequest,
    e: &reqwest::Error,
    attempts: u32,
    connect_timeout: Duration,
    timeout_error: impl Fn() -> SendError,
) -> Attempt {
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
    if e.is_connect() {
        message = if e.is_timeout() {
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
    if e.is_timeout() {
        return Attempt::MaybeSent(timeout_error());
    }
    if never_written(e) {
        return Attempt::NotSent(SendError::Transport {
            operation: req.operation.to_string(),
            message: format!("the connection closed before the request was sent: {message}"),
            attempts,
        });
    }
    if e.is_redirect() {
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
        let client = build_client(&config, false, None).unwrap();
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
