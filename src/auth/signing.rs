//! What the signing schemes (`oauth1`, `hmac`, `aws-sig-v4`) share: their credentials
//! checked when a call is prepared, taken from the binds once when the runtime is built,
//! and the primitives they sign with (ring, already in the tree through rustls).

use std::time::{SystemTime, UNIX_EPOCH};

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use ring::{digest, hmac, rand::SecureRandom as _};

use super::{Draft, Render};
use crate::secret::Secret;
use crate::spec::{Template, Var};

/// RFC 3986 unreserved characters stay, everything else is percent-encoded (RFC 5849
/// §3.6, AWS SigV4 `UriEncode`).
pub(super) const STRICT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// RFC 3986 encoding of `text` ([`STRICT`]).
pub(super) fn encode(text: &str) -> String {
    utf8_percent_encode(text, STRICT).to_string()
}

/// Renders each credential template while the call is prepared: a missing bind fails here,
/// naming the variable, before any I/O; every rendered value is redacted wherever the
/// request is shown. Nothing is placed: the signer adds its headers per attempt.
pub(super) fn check<D: Draft>(
    d: &mut D,
    kind: &str,
    fields: &[(&str, Option<&Template>)],
) -> Result<(), D::Error> {
    for (field, t) in fields {
        if let Some(t) = t {
            let text = d.render(t, &|| format!("the {kind} `{field}`"))?;
            d.guard(&text);
        }
    }
    Ok(())
}

/// A credential taken from the binds when the runtime is built: the secret, or the name of
/// the variable that had no value (for the error if a request is signed anyway).
#[derive(Debug, Clone)]
pub(super) struct Cred(Result<Secret, String>);

impl Cred {
    /// `field`'s template rendered by `render`.
    pub(super) fn new(field: &str, t: &Template, render: Render<'_>) -> Cred {
        let name = t.vars().next().map(Var::name).unwrap_or(field).to_string();
        Cred(match render(t) {
            Some(text) => Ok(Secret::new(name, text)),
            None => Err(format!("`{field}` has no value (${name} is not set)")),
        })
    }

    /// The clear text, or why there is none.
    pub(super) fn get(&self) -> Result<&str, String> {
        match &self.0 {
            Ok(s) => Ok(s.expose()),
            Err(e) => Err(e.clone()),
        }
    }
}

/// HMAC-SHA256 of `data` under `key`.
pub(super) fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    let key = hmac::Key::new(hmac::HMAC_SHA256, key);
    hmac::sign(&key, data).as_ref().to_vec()
}

/// SHA-256 of `data`.
pub(super) fn sha256(data: &[u8]) -> Vec<u8> {
    digest::digest(&digest::SHA256, data).as_ref().to_vec()
}

/// Lower-case hex.
pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Standard base64 with padding.
pub(super) fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// `n` random bytes from the system's secure generator.
pub(super) fn random(n: usize) -> Result<Vec<u8>, String> {
    let mut out = vec![0u8; n];
    ring::rand::SystemRandom::new()
        .fill(&mut out)
        .map_err(|_| "the system random generator failed".to_string())?;
    Ok(out)
}

/// Now, as a duration since the Unix epoch.
pub(super) fn now() -> std::time::Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

/// Sets (replacing any earlier value, e.g. a dry run's preview) a header the signer adds;
/// marked sensitive when it carries a signature or a token.
pub(super) fn set(
    headers: &mut HeaderMap,
    name: &'static str,
    value: &str,
    sensitive: bool,
) -> Result<(), String> {
    let mut v = HeaderValue::from_str(value).map_err(|_| {
        format!("the `{name}` header cannot be sent (a credential has control characters)")
    })?;
    v.set_sensitive(sensitive);
    headers.insert(HeaderName::from_static(name), v);
    Ok(())
}

/// The `host` header value of `url`: the host, with the port when it is not the default.
pub(super) fn host(url: &reqwest::Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    }
}

/// The query of `url` as decoded `(name, value)` pairs, in order.
pub(super) fn query_pairs(url: &reqwest::Url) -> Vec<(String, String)> {
    match url.query() {
        None | Some("") => Vec::new(),
        Some(q) => q
            .split('&')
            .map(|pair| {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                (decode(k), decode(v))
            })
            .collect(),
    }
}

fn decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_encoding_keeps_only_unreserved_characters() {
        assert_eq!(encode("a b+c/~-._!*"), "a%20b%2Bc%2F~-._%21%2A");
    }

    #[test]
    fn hmac_sha256_matches_rfc4231_case_2() {
        assert_eq!(
            hex(&hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
