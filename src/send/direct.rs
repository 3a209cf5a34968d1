//! The plain-`http://` transport: hyper-util's pooled client, used straight.
//!
//! reqwest wraps the same client in layers that cost more than the rest of a call on a
//! loopback upstream: every request's URL is printed and parsed again twice (once by its
//! redirect layer, once when the response arrives), and the redirect layer keeps a copy of
//! the request. Measured with callgrind against nginx, one GET and its 574-byte JSON body
//! cost 109.3 k instructions through reqwest and 72.2 k through this client
//! (BENCHMARKS.md). The send loop follows redirects itself ([`super::Attempt::Redirect`]),
//! with the same rules as the reqwest client's policy.
//!
//! reqwest stays the transport for `https://` (its TLS set-up), for a client the library
//! user supplies, and whenever a proxy is configured in the environment (`HTTP_PROXY`,
//! `ALL_PROXY`), which reqwest honours and this client does not.

use std::error::Error as StdError;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::combinators::UnsyncBoxBody;
use hyper_util::client::legacy::connect::HttpConnector;
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, USER_AGENT};

/// A boxed error of a body or a transport.
pub(crate) type BoxError = Box<dyn StdError + Send + Sync>;

const AGENT: &str = concat!("naftiko/", env!("CARGO_PKG_VERSION"));

/// A request body: none, bytes serialised once (re-sent as they are on a retry), or a
/// stream passed through (`forward`).
pub(crate) enum Outgoing {
    Empty,
    Full(Option<Bytes>),
    Stream(UnsyncBoxBody<Bytes, BoxError>),
}

impl Outgoing {
    /// A streamed body (the REST adapter's `forward`).
    pub(crate) fn stream<B>(body: B) -> Outgoing
    where
        B: Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        use http_body_util::BodyExt;
        Outgoing::Stream(body.map_err(Into::into).boxed_unsync())
    }

    /// The same body as reqwest's.
    pub(crate) fn into_reqwest(self) -> reqwest::Body {
        match self {
            Outgoing::Empty => reqwest::Body::from(Bytes::new()),
            Outgoing::Full(b) => reqwest::Body::from(b.unwrap_or_default()),
            Outgoing::Stream(s) => {
                use http_body_util::BodyExt;
                reqwest::Body::wrap_stream(s.into_data_stream())
            }
        }
    }
}

impl Body for Outgoing {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match self.get_mut() {
            Outgoing::Empty => Poll::Ready(None),
            Outgoing::Full(b) => Poll::Ready(b.take().map(|b| Ok(Frame::data(b)))),
            Outgoing::Stream(s) => Pin::new(s).poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Outgoing::Empty => true,
            Outgoing::Full(b) => b.is_none(),
            Outgoing::Stream(s) => s.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Outgoing::Empty => SizeHint::with_exact(0),
            Outgoing::Full(b) => SizeHint::with_exact(b.as_ref().map_or(0, |b| b.len() as u64)),
            Outgoing::Stream(s) => s.size_hint(),
        }
    }
}

/// A response body from either transport.
#[derive(Debug)]
pub(crate) enum Incoming {
    Reqwest(reqwest::Body),
    Direct(hyper::body::Incoming),
}

impl Body for Incoming {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match self.get_mut() {
            Incoming::Reqwest(b) => Pin::new(b).poll_frame(cx).map_err(Into::into),
            Incoming::Direct(b) => Pin::new(b).poll_frame(cx).map_err(Into::into),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Incoming::Reqwest(b) => b.is_end_stream(),
            Incoming::Direct(b) => b.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Incoming::Reqwest(b) => b.size_hint(),
            Incoming::Direct(b) => b.size_hint(),
        }
    }
}

/// hyper-util's pooled HTTP/1 client, set up as reqwest sets it up: `TCP_NODELAY`, the
/// connect timeout, idle connections kept 90 s, the runtime's user agent and `accept: */*`.
#[derive(Clone, Debug)]
pub(crate) struct Client {
    inner: hyper_util::client::legacy::Client<HttpConnector, Outgoing>,
}

impl Client {
    pub(crate) fn new(connect_timeout: Duration) -> Client {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.set_connect_timeout(Some(connect_timeout));
        let inner =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .pool_idle_timeout(Duration::from_secs(90))
                .pool_timer(hyper_util::rt::TokioTimer::new())
                .build(connector);
        Client { inner }
    }

    /// Sends one request (no redirect followed).
    pub(crate) async fn send(
        &self,
        method: reqwest::Method,
        url: &reqwest::Url,
        mut headers: HeaderMap,
        body: Outgoing,
    ) -> Result<http::Response<hyper::body::Incoming>, DirectError> {
        let failed = |source: BoxError, connect| DirectError {
            source,
            connect,
            url: url.as_str().into(),
        };
        let uri = http::Uri::try_from(url.as_str()).map_err(|e| failed(Box::new(e), false))?;
        // reqwest's defaults, in its order (the head on the wire is the same bytes).
        if !headers.contains_key(ACCEPT) {
            headers.insert(ACCEPT, HeaderValue::from_static("*/*"));
        }
        if !headers.contains_key(USER_AGENT) {
            headers.insert(USER_AGENT, HeaderValue::from_static(AGENT));
        }
        let mut request = http::Request::new(body);
        *request.method_mut() = method;
        *request.uri_mut() = uri;
        *request.headers_mut() = headers;
        let response = self.inner.request(request).await;
        response.map_err(|e| {
            let connect = e.is_connect();
            failed(Box::new(e), connect)
        })
    }
}

/// Why the direct client could not exchange a request.
#[derive(Debug)]
pub(crate) struct DirectError {
    source: BoxError,
    /// No connection was made.
    connect: bool,
    /// The request's URL (redacted where the message is shown).
    url: Box<str>,
}

impl DirectError {
    pub(crate) fn is_connect(&self) -> bool {
        self.connect
    }

    /// The connect timeout passed (hyper-util reports it as an I/O `TimedOut`).
    pub(crate) fn is_timeout(&self) -> bool {
        let mut source: Option<&(dyn StdError + 'static)> = Some(&*self.source);
        while let Some(s) = source {
            if s.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
            {
                return true;
            }
            source = s.source();
        }
        false
    }
}

impl std::fmt::Display for DirectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // reqwest's words, so that a message reads the same whichever client sent it.
        write!(f, "error sending request for url ({})", self.url)
    }
}

impl StdError for DirectError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(&*self.source)
    }
}
