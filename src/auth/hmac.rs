//! `type: hmac`: Veracode's HMAC, as its `veracode-api-signing` library signs:
//! `Authorization: VERACODE-HMAC-SHA-256 id=…,ts=…,nonce=…,sig=…`, where the key is
//! derived through HMAC-SHA256 chain nonce → timestamp (ms) → `vcode_request_version_1`
//! and signs `id=…&host=…&url=…&method=…` (`url` is the path and query). A region prefix
//! (`vera01ei-`) of the id and key is dropped, as the library does.

use std::fmt;
use std::sync::Arc;

use reqwest::header::HeaderMap;

use super::signing::{self, Cred};
use super::{source, Draft, Render, Scheme, Sign, SignFuture, SignerEnv};
use crate::spec::{Method, Template};

pub(super) struct Hmac<'a> {
    pub(super) api_id: &'a Template,
    pub(super) api_key: &'a Template,
}

impl Scheme for Hmac<'_> {
    fn templates(&self, each: &mut dyn FnMut(&Template)) {
        each(self.api_id);
        each(self.api_key);
    }

    fn apply<D: Draft>(&self, d: &mut D) -> Result<(), D::Error> {
        signing::check(
            d,
            "hmac",
            &[("apiId", Some(self.api_id)), ("apiKey", Some(self.api_key))],
        )
    }

    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Veracode HMAC (VERACODE-HMAC-SHA-256) in the `authorization` header, signed per attempt: id {}; key {}",
            source(self.api_id),
            source(self.api_key)
        )
    }

    fn signer(&self, env: &SignerEnv<'_>) -> Option<Arc<dyn Sign>> {
        let text = |t: &Template| (env.resolve)(t).map(|s| s.expose().to_string());
        let render: Render<'_> = &text;
        Some(Arc::new(HmacSigner {
            api_id: Cred::new("apiId", self.api_id, render),
            api_key: Cred::new("apiKey", self.api_key, render),
        }))
    }
}

#[derive(Debug)]
struct HmacSigner {
    api_id: Cred,
    api_key: Cred,
}

/// What one header is computed from.
struct Request<'a> {
    id: &'a str,
    key_hex: &'a str,
    host: &'a str,
    path_and_query: &'a str,
    method: &'a str,
    timestamp_ms: u128,
    nonce_hex: &'a str,
}

/// The header value for `r`.
fn header(r: &Request<'_>) -> Result<String, String> {
    let id = unprefixed(r.id);
    let key = decode_hex(unprefixed(r.key_hex)).ok_or("the hmac `apiKey` is not hexadecimal")?;
    let nonce = decode_hex(r.nonce_hex).ok_or("nonce")?;
    let data = format!(
        "id={}&host={}&url={}&method={}",
        id.to_ascii_lowercase(),
        r.host.to_ascii_lowercase(),
        r.path_and_query,
        r.method.to_ascii_uppercase()
    );
    let key_nonce = signing::hmac_sha256(&key, &nonce);
    let key_date = signing::hmac_sha256(&key_nonce, r.timestamp_ms.to_string().as_bytes());
    let signature_key = signing::hmac_sha256(&key_date, b"vcode_request_version_1");
    let sig = signing::hex(&signing::hmac_sha256(&signature_key, data.as_bytes()));
    Ok(format!(
        "VERACODE-HMAC-SHA-256 id={id},ts={},nonce={},sig={sig}",
        r.timestamp_ms, r.nonce_hex
    ))
}

/// Drops a region prefix (`vera01ei-…`).
fn unprefixed(credential: &str) -> &str {
    credential.rsplit('-').next().unwrap_or(credential)
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

fn path_and_query(url: &reqwest::Url) -> String {
    match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    }
}

impl Sign for HmacSigner {
    fn sign<'a>(
        &'a self,
        method: Method,
        url: &'a reqwest::Url,
        headers: &'a mut HeaderMap,
        _body: Option<&'a [u8]>,
    ) -> SignFuture<'a> {
        Box::pin(async move {
            let nonce = signing::hex(&signing::random(16)?);
            let value = header(&Request {
                id: self.api_id.get()?,
                key_hex: self.api_key.get()?,
                host: url.host_str().unwrap_or_default(),
                path_and_query: &path_and_query(url),
                method: method.as_str(),
                timestamp_ms: signing::now().as_millis(),
                nonce_hex: &nonce,
            })?;
            signing::set(headers, "authorization", &value, true)
        })
    }

    fn preview(&self, _method: Method, _url: &reqwest::Url, headers: &mut HeaderMap) {
        let shape = "VERACODE-HMAC-SHA-256 id=***,ts=<ms>,nonce=<random>,sig=***";
        let _ = signing::set(headers, "authorization", shape, false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fixed request, signed; the integration test checks the live header against
    /// Veracode's own library.
    #[test]
    fn the_header_has_id_timestamp_nonce_and_a_hex_signature() {
        let r = Request {
            id: "vera01ei-3ddaeeb10ca690df3fee5e3bd1c329fa",
            key_hex: "vera01ei-0123456789abcdef0123456789abcdef",
            host: "API.veracode.com",
            path_and_query: "/appsec/v1/applications?page=0",
            method: "get",
            timestamp_ms: 1_445_452_792_746,
            nonce_hex: "3b1974fbaa7c97cc3b1974fbaa7c97cc",
        };
        let h = header(&r).unwrap();
        assert!(h.starts_with("VERACODE-HMAC-SHA-256 id=3ddaeeb10ca690df3fee5e3bd1c329fa,ts=1445452792746,nonce=3b1974fbaa7c97cc3b1974fbaa7c97cc,sig="), "{h}");
        assert_eq!(
            h.rsplit("sig=").next().unwrap(),
            "5df391b263b001ee21c07e012d5674da4627f0bbb7014a64bbff589657baa581",
            "computed by veracode-api-signing 26.5.0"
        );
    }

    #[test]
    fn a_key_that_is_not_hex_is_a_clear_error_without_the_key() {
        let r = Request {
            id: "id",
            key_hex: "not-hex-zz",
            host: "h",
            path_and_query: "/",
            method: "GET",
            timestamp_ms: 1,
            nonce_hex: "00",
        };
        let e = header(&r).unwrap_err();
        assert_eq!(e, "the hmac `apiKey` is not hexadecimal");
    }
}
