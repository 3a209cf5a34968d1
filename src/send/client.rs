//! The HTTP client: building it (TLS provider, root certificates, the same-origin redirect
//! policy), and reading what its errors mean (a TLS failure, a request never written).

use std::error::Error as StdError;

use super::SendConfig;

/// Builds a pooled client. Called once per runtime and scheme, on the first call of that
/// scheme (dry runs never pay for it). Without `tls` the client has no root certificates:
/// it serves `http://` only (redirects never leave the origin, so never its scheme), and
/// does not pay for loading the system's certificate store.
pub(crate) fn build_client(config: &SendConfig, tls: bool) -> Result<reqwest::Client, String> {
    // reqwest is built without a default crypto provider (ring builds much faster than
    // aws-lc-rs); install ring unless the application installed one.
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
    let builder = reqwest::Client::builder();
    let builder = if tls {
        builder
    } else {
        builder.tls_certs_only(std::iter::empty())
    };
    builder
        .user_agent(concat!("naftiko/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(config.connect_timeout)
        .redirect(reqwest::redirect::Policy::custom(|attempt| {
            let same_origin = attempt
                .previous()
                .first()
                .is_some_and(|first| first.origin() == attempt.url().origin());
            if !same_origin {
                attempt.stop()
            } else if attempt.previous().len() > 10 {
                attempt.error("too many redirects (more than 10)")
            } else {
                attempt.follow()
            }
        }))
        .build()
        .map_err(|e| error_chain(&e))
}

/// Whether hyper reports that the request was never written to the connection.
///
/// reqwest says `is_request()`, not `is_connect()`, when a freshly opened connection is
/// reset before the request goes out (a server that accepts and closes at once, an
/// overloaded proxy): from reqwest's flags alone it looks exactly like a reset after the
/// server read the request. hyper does know the difference: its HTTP/1 dispatcher cancels a
/// request it has not started writing when the connection fails, and reports
/// `hyper::Error::is_canceled()` ("the message was never even started, so it's safe to tell
/// the user that the request was completely canceled"); hyper-util hands the request back
/// and reqwest wraps that error. A request that was written, even partly, is never
/// reported as canceled, so retrying a POST on this signal cannot duplicate it. When the
/// reset races with the write and the request did go out, the error is an ordinary
/// transport error and a POST is not retried. (When the reset arrives during the TCP
/// handshake itself, reqwest reports `is_connect()`, also handled as not sent.)
pub(super) fn never_written(e: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn StdError + 'static)> = e.source();
    while let Some(s) = source {
        if s.downcast_ref::<hyper::Error>()
            .is_some_and(hyper::Error::is_canceled)
        {
            return true;
        }
        source = s.source();
    }
    false
}

/// The rustls error behind a failed connection, if TLS is what failed.
pub(super) fn tls_error(e: &(dyn StdError + 'static)) -> Option<String> {
    let mut current: Option<&(dyn StdError + 'static)> = Some(e);
    while let Some(err) = current {
        if let Some(tls) = err.downcast_ref::<rustls::Error>() {
            return Some(tls.to_string());
        }
        // io::Error skips its payload in `source()` (it returns the payload's source):
        // step into the payload instead, which may be another io::Error.
        current = match err
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
        {
            Some(inner) => Some(inner as &(dyn StdError + 'static)),
            None => err.source(),
        };
    }
    None
}

/// The error and its causes, joined (reqwest's own message is often just "error sending request").
pub(super) fn error_chain(e: &(dyn StdError + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}
