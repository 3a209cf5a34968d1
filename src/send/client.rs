//! The HTTP client: building it (TLS provider, root certificates, the same-origin redirect
//! policy), and reading what its errors mean (a TLS failure, a request never written).

use std::error::Error as StdError;
use std::fmt;
use std::path::PathBuf;
use std::sync::OnceLock;

use super::SendConfig;
use crate::auth::ClientCert;

/// What a consumer's `https://` client trusts and presents beyond the defaults.
#[derive(Debug, Clone, Default)]
pub(crate) struct TlsSettings {
    /// PEM files of certificate authorities trusted besides the system's (`caPath`, the
    /// builder's `ca_file`, the CLI's `--ca-file`).
    pub(crate) ca_files: Vec<PathBuf>,
    /// The client certificate (`type: certificate`).
    pub(crate) identity: Option<ClientCert>,
}

impl TlsSettings {
    /// Whether these are the defaults (the runtime's shared clients serve them).
    pub(crate) fn is_default(&self) -> bool {
        self.ca_files.is_empty() && self.identity.is_none()
    }
}

/// A pooled client: reqwest, or hyper-util's client straight for plain `http://` (see
/// [`super::direct`]).
#[derive(Clone, Debug)]
// One per consumer and scheme, built once: its size does not matter, an indirection would.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Http {
    Reqwest(reqwest::Client),
    Direct(super::direct::Client),
}

/// The pooled clients of one set of TLS settings: one for `http://`, one for `https://`,
/// each built on its first use (dry runs never pay for them).
pub(crate) struct Clients {
    config: SendConfig,
    tls: TlsSettings,
    plain: OnceLock<Result<Http, String>>,
    https: OnceLock<Result<Http, String>>,
    /// reqwest for `http://` beside a direct client there: what authentication schemes send
    /// their own requests with (a token endpoint).
    plain_reqwest: OnceLock<Result<reqwest::Client, String>>,
}

impl fmt::Debug for Clients {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Clients").field("tls", &self.tls).finish()
    }
}

impl Clients {
    /// Clients with these settings, none built yet.
    pub(crate) fn new(config: SendConfig, tls: TlsSettings) -> Clients {
        Clients {
            config,
            tls,
            plain: OnceLock::new(),
            https: OnceLock::new(),
            plain_reqwest: OnceLock::new(),
        }
    }

    /// Clients that are `client` for both schemes (a client the library user built: their
    /// proxies, TLS roots, user agent and redirect policy; only `config`'s deadlines apply).
    pub(crate) fn with_client(config: SendConfig, client: reqwest::Client) -> Clients {
        Clients {
            config,
            tls: TlsSettings::default(),
            plain: OnceLock::from(Ok(Http::Reqwest(client.clone()))),
            https: OnceLock::from(Ok(Http::Reqwest(client))),
            plain_reqwest: OnceLock::new(),
        }
    }

    /// The client for `url` (a plain-http URL never builds the TLS client: loading the
    /// system's root certificates is most of a one-call process's start-up), or why it
    /// cannot be built (the error is kept: every later call reports it too).
    pub(crate) fn get(&self, url: &str) -> Result<&Http, String> {
        let tls = !url.starts_with("http://");
        let slot = if tls { &self.https } else { &self.plain };
        slot.get_or_init(|| {
            if !tls && !proxy_in_env() {
                return Ok(Http::Direct(super::direct::Client::new(
                    self.config.connect_timeout,
                )));
            }
            let settings = tls.then_some(&self.tls);
            build_client(&self.config, tls, settings).map(Http::Reqwest)
        })
        .as_ref()
        .map_err(Clone::clone)
    }

    /// A reqwest client for `url`: the one [`Clients::get`] gives, or beside the direct one.
    pub(crate) fn reqwest(&self, url: &str) -> Result<reqwest::Client, String> {
        match self.get(url)? {
            Http::Reqwest(c) => Ok(c.clone()),
            Http::Direct(_) => self
                .plain_reqwest
                .get_or_init(|| build_client(&self.config, false, None))
                .clone(),
        }
    }
}

/// Whether the environment names a proxy for plain-`http://` requests (reqwest's client,
/// which honours it, then sends them).
fn proxy_in_env() -> bool {
    ["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()))
}

/// reqwest's client builder, ready to build: reqwest is built here without a default TLS
/// crypto provider (ring builds much faster than aws-lc-rs), so this installs ring unless
/// the application installed one. For [`RuntimeBuilder::client`](crate::RuntimeBuilder::client).
pub fn client_builder() -> reqwest::ClientBuilder {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
    reqwest::Client::builder()
}

/// Builds a pooled client. Without `tls` the client has no root certificates: it serves
/// `http://` only (redirects never leave the origin, so never its scheme), and does not pay
/// for loading the system's certificate store. `settings` adds trusted CAs and a client
/// certificate (read from their files here).
pub(crate) fn build_client(
    config: &SendConfig,
    tls: bool,
    settings: Option<&TlsSettings>,
) -> Result<reqwest::Client, String> {
    let builder = client_builder();
    let mut builder = if tls {
        builder
    } else {
        builder.tls_certs_only(std::iter::empty())
    };
    if let Some(settings) = settings {
        let mut roots = Vec::new();
        for path in &settings.ca_files {
            let pem = std::fs::read(path)
                .map_err(|e| format!("cannot read the CA file `{}`: {e}", path.display()))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
                format!(
                    "the CA file `{}` is not PEM: {}",
                    path.display(),
                    error_chain(&e)
                )
            })?;
            if certs.is_empty() {
                return Err(format!(
                    "the CA file `{}` holds no PEM certificate",
                    path.display()
                ));
            }
            roots.extend(certs);
        }
        if !roots.is_empty() {
            builder = builder.tls_certs_merge(roots);
        }
        if let Some(cert) = &settings.identity {
            let pem = cert.identity_pem()?;
            let identity = reqwest::Identity::from_pem(&pem).map_err(|e| {
                format!("the client certificate cannot be used: {}", error_chain(&e))
            })?;
            builder = builder.identity(identity);
        }
    }
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
pub(super) fn never_written(e: &(dyn StdError + 'static)) -> bool {
    let mut source: Option<&(dyn StdError + 'static)> = Some(e);
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
/// The cause of a failed connection in a few words, when it is a common one: `connection
/// refused`, `cannot resolve the host name`; else the whole chain.
pub(super) fn connect_cause(e: &(dyn StdError + 'static)) -> String {
    let mut source: Option<&(dyn StdError + 'static)> = Some(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => return "connection refused".into(),
                std::io::ErrorKind::ConnectionReset => return "connection reset".into(),
                _ => {}
            }
        }
        source = s.source();
    }
    let chain = error_chain(e);
    if chain.contains("dns error") || chain.contains("failed to lookup address") {
        return "cannot resolve the host name".into();
    }
    chain
}

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
