//! `type: digest`: HTTP Digest access authentication (RFC 7616), `qop=auth`.
//!
//! The first request goes without credentials; the server's `401` carries a
//! `WWW-Authenticate: Digest` challenge, which is answered once (the request is sent again
//! with an `Authorization: Digest` header). The nonce is then reused by later calls with an
//! incrementing `nc`, for as long as the server accepts it; a `401` with `stale=true` (or a
//! new nonce) is answered with the new nonce. Algorithms: `MD5`, `SHA-256` and their `-sess`
//! variants; when a server offers several challenges, SHA-256 is preferred. A server that
//! offers only `qop=auth-int` is not answered; one that sends no `qop` gets the RFC 2069
//! response.

use std::fmt;
use std::sync::{Arc, Mutex};

use md5::Md5;
use reqwest::header::{HeaderMap, AUTHORIZATION, WWW_AUTHENTICATE};
use sha2::{Digest as _, Sha256};

use super::{hex, sensitive, source, Draft, Scheme, Sign, SignFuture, SignerEnv};
use crate::secret::Secret;
use crate::spec::{Method, Template};

pub(super) struct Digest<'a> {
    pub(super) username: &'a Template,
    pub(super) password: &'a Template,
}

impl Scheme for Digest<'_> {
    fn templates(&self, each: &mut dyn FnMut(&Template)) {
        each(self.username);
        each(self.password);
    }

    fn apply<D: Draft>(&self, d: &mut D) -> Result<(), D::Error> {
        // Nothing is placed: the challenge is answered per attempt. Rendering here reports a
        // missing variable before any I/O.
        let user = d.render(self.username, &|| "the digest username".to_string())?;
        let pass = d.render(self.password, &|| "the digest password".to_string())?;
        d.guard(&user);
        d.guard(&pass);
        Ok(())
    }

    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "HTTP digest in the `authorization` header, answering the server's challenge: user {}; password {}",
            source(self.username),
            source(self.password)
        )
    }

    fn signer(&self, env: &SignerEnv<'_>) -> Option<Arc<dyn Sign>> {
        Some(Arc::new(DigestSigner {
            username: (env.resolve)(self.username),
            password: (env.resolve)(self.password),
            challenge: Mutex::new(None),
        }))
    }
}

/// A hash algorithm of RFC 7616 §3.3.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Algorithm {
    Md5,
    Sha256,
}

impl Algorithm {
    fn hash(self, data: &str) -> String {
        match self {
            Algorithm::Md5 => hex(&Md5::digest(data.as_bytes())),
            Algorithm::Sha256 => hex(&Sha256::digest(data.as_bytes())),
        }
    }
}

/// A server's challenge, and how many requests have answered it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Challenge {
    realm: String,
    nonce: String,
    opaque: Option<String>,
    algorithm: Algorithm,
    sess: bool,
    /// `qop=auth` offered (else the RFC 2069 response, without `nc` and `cnonce`).
    qop_auth: bool,
    stale: bool,
    /// The algorithm as the server spelled it, echoed back.
    algorithm_text: Option<String>,
    /// Requests sent with this nonce so far (`nc`).
    count: u32,
}

/// Answers one consumer's digest challenges.
pub(super) struct DigestSigner {
    username: Option<Secret>,
    password: Option<Secret>,
    challenge: Mutex<Option<Challenge>>,
}

/// Shows no credential.
impl fmt::Debug for DigestSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DigestSigner").finish_non_exhaustive()
    }
}

impl Sign for DigestSigner {
    fn sign<'a>(
        &'a self,
        method: Method,
        url: &'a reqwest::Url,
        headers: &'a mut HeaderMap,
        _body: Option<&'a [u8]>,
    ) -> SignFuture<'a> {
        Box::pin(async move {
            // The next `nc` for the current nonce, taken under the lock so that concurrent
            // calls never send the same one.
            let challenge = {
                let mut current = self.challenge.lock().unwrap_or_else(|p| p.into_inner());
                let Some(c) = current.as_mut() else {
                    return Ok(()); // no challenge yet: the first request goes without
                };
                c.count += 1;
                c.clone()
            };
            let (Some(user), Some(pass)) = (&self.username, &self.password) else {
                return Err("the digest username or password has no value".into());
            };
            let uri = request_uri(url);
            let header = authorization(
                &challenge,
                user.expose(),
                pass.expose(),
                method.as_str(),
                &uri,
                &cnonce(),
            );
            headers.insert(AUTHORIZATION, sensitive(&header)?);
            Ok(())
        })
    }

    fn preview(&self, _method: Method, _url: &reqwest::Url, headers: &mut HeaderMap) {
        let shape = r#"Digest username="***", realm="…", nonce="…", uri="…", response="***" (after the server's 401 challenge)"#;
        if let Ok(v) = reqwest::header::HeaderValue::from_str(shape) {
            headers.insert(AUTHORIZATION, v);
        }
    }

    fn unauthorized(&self, sent: &HeaderMap, response: &HeaderMap) -> bool {
        let Some(new) = best_challenge(response) else {
            return false;
        };
        let sent_nonce = sent
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Digest "))
            .and_then(|v| param(&parse_params(v), "nonce"));
        // The credentials themselves were refused with this very nonce: resending would
        // be refused too.
        if sent_nonce.as_deref() == Some(new.nonce.as_str()) && !new.stale {
            return false;
        }
        *self.challenge.lock().unwrap_or_else(|p| p.into_inner()) = Some(new);
        true
    }
}

/// The request target of `url`: its path and query (RFC 7616 `uri`).
fn request_uri(url: &reqwest::Url) -> String {
    match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    }
}

/// A fresh client nonce: 16 random bytes, hex.
fn cnonce() -> String {
    let mut bytes = [0u8; 16];
    let provider = rustls::crypto::ring::default_provider();
    if provider.secure_random.fill(&mut bytes).is_err() {
        // ring's generator does not fail on supported platforms; fall back to the clock.
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        bytes[..16].copy_from_slice(&now.as_nanos().to_le_bytes());
    }
    hex(&bytes)
}

/// The `response` of RFC 7616 §3.4.1.
pub(crate) fn response(
    c: &Challenge,
    user: &str,
    pass: &str,
    method: &str,
    uri: &str,
    cnonce: &str,
) -> String {
    let h = |s: &str| c.algorithm.hash(s);
    let mut ha1 = h(&format!("{user}:{}:{pass}", c.realm));
    if c.sess {
        ha1 = h(&format!("{ha1}:{}:{cnonce}", c.nonce));
    }
    let ha2 = h(&format!("{method}:{uri}"));
    if c.qop_auth {
        h(&format!(
            "{ha1}:{}:{:08x}:{cnonce}:auth:{ha2}",
            c.nonce, c.count
        ))
    } else {
        h(&format!("{ha1}:{}:{ha2}", c.nonce))
    }
}

/// The `Authorization: Digest …` value answering `c` (RFC 7616 §3.4).
pub(crate) fn authorization(
    c: &Challenge,
    user: &str,
    pass: &str,
    method: &str,
    uri: &str,
    cnonce: &str,
) -> String {
    let digest = response(c, user, pass, method, uri, cnonce);
    let mut out = format!(
        r#"Digest username="{}", realm="{}", nonce="{}", uri="{}""#,
        quote(user),
        quote(&c.realm),
        quote(&c.nonce),
        quote(uri)
    );
    if let Some(a) = &c.algorithm_text {
        out.push_str(&format!(", algorithm={a}"));
    }
    if c.qop_auth {
        out.push_str(&format!(
            r#", qop=auth, nc={:08x}, cnonce="{}""#,
            c.count,
            quote(cnonce)
        ));
    }
    out.push_str(&format!(r#", response="{digest}""#));
    if let Some(o) = &c.opaque {
        out.push_str(&format!(r#", opaque="{}""#, quote(o)));
    }
    out
}

/// A quoted-string's content, with `"` and `\` escaped.
fn quote(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

/// The challenge to answer among a response's `WWW-Authenticate` headers: a supported
/// Digest challenge, SHA-256 before MD5.
pub(crate) fn best_challenge(headers: &HeaderMap) -> Option<Challenge> {
    let mut found: Vec<Challenge> = Vec::new();
    for value in headers.get_all(WWW_AUTHENTICATE) {
        let Ok(text) = value.to_str() else { continue };
        for part in digest_challenges(text) {
            if let Some(c) = parse_challenge(&part) {
                found.push(c);
            }
        }
    }
    found.sort_by_key(|c| c.algorithm != Algorithm::Sha256);
    found.into_iter().next()
}

/// The parameter text of each `Digest` challenge in one header value (a header may list
/// several schemes: `Basic realm="x", Digest realm="y", …`).
fn digest_challenges(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let lower = text.to_ascii_lowercase();
    let mut start = 0;
    while let Some(i) = lower[start..].find("digest ") {
        let at = start + i;
        // Only at the start or after a comma (not inside a quoted value).
        let before = text[..at].trim_end();
        if before.is_empty() || before.ends_with(',') {
            let rest = &text[at + "digest ".len()..];
            out.push(rest.to_string());
        }
        start = at + 1;
    }
    out
}

/// `key=value` pairs (values tokens or quoted strings), up to the next scheme.
fn parse_params(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c == ',' || c.is_whitespace() {
                break;
            }
            key.push(c);
            chars.next();
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if key.is_empty() || chars.peek() != Some(&'=') {
            break; // the end, or the next scheme's name
        }
        chars.next();
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ',' || c.is_whitespace() {
                    break;
                }
                value.push(c);
                chars.next();
            }
        }
        out.push((key.to_ascii_lowercase(), value));
    }
    out
}

fn param(params: &[(String, String)], key: &str) -> Option<String> {
    params
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
}

/// A challenge from its parameters; `None` for an unsupported algorithm or `qop`.
pub(crate) fn parse_challenge(text: &str) -> Option<Challenge> {
    let params = parse_params(text);
    let realm = param(&params, "realm").unwrap_or_default();
    let nonce = param(&params, "nonce")?;
    let algorithm_text = param(&params, "algorithm");
    let (algorithm, sess) = match algorithm_text
        .as_deref()
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        None | Some("MD5") => (Algorithm::Md5, false),
        Some("MD5-SESS") => (Algorithm::Md5, true),
        Some("SHA-256") => (Algorithm::Sha256, false),
        Some("SHA-256-SESS") => (Algorithm::Sha256, true),
        Some(_) => return None,
    };
    let qop_auth = match param(&params, "qop") {
        None => false,
        Some(q) => {
            if !q.split(',').any(|o| o.trim().eq_ignore_ascii_case("auth")) {
                return None; // auth-int only
            }
            true
        }
    };
    Some(Challenge {
        realm,
        nonce,
        opaque: param(&params, "opaque"),
        algorithm,
        sess,
        qop_auth,
        stale: param(&params, "stale").is_some_and(|s| s.eq_ignore_ascii_case("true")),
        algorithm_text,
        count: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7616 §3.9.1: the same request answered with MD5 and with SHA-256.
    #[test]
    fn rfc_7616_example_responses() {
        let cases = [
            ("MD5", "8ca523f5e9506fed4657c9700eebdbec"),
            (
                "SHA-256",
                "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
            ),
        ];
        for (algorithm, expected) in cases {
            let text = format!(
                r#"realm="http-auth@example.org", qop="auth, auth-int", algorithm={algorithm}, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS""#
            );
            let mut c = parse_challenge(&text).unwrap();
            c.count = 1;
            let cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
            let header = authorization(
                &c,
                "Mufasa",
                "Circle of Life",
                "GET",
                "/dir/index.html",
                cnonce,
            );
            assert!(
                header.contains(&format!(r#"response="{expected}""#)),
                "{algorithm}: {header}"
            );
            assert!(header.contains("nc=00000001"), "{header}");
            assert!(header.contains(r#"opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS""#));
        }
    }

    /// RFC 2617 §3.5 (MD5, qop=auth): the response the older RFC publishes.
    #[test]
    fn rfc_2617_example_response() {
        let c = Challenge {
            realm: "testrealm@host.com".into(),
            nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093".into(),
            opaque: None,
            algorithm: Algorithm::Md5,
            sess: false,
            qop_auth: true,
            stale: false,
            algorithm_text: None,
            count: 1,
        };
        let r = response(
            &c,
            "Mufasa",
            "Circle Of Life",
            "GET",
            "/dir/index.html",
            "0a4f113b",
        );
        assert_eq!(r, "6629fae49393a05397450978507c4ef1");
    }

    #[test]
    fn challenges_are_picked_from_several_schemes_sha256_first() {
        let mut h = HeaderMap::new();
        h.append(
            WWW_AUTHENTICATE,
            r#"Basic realm="x", Digest realm="r", nonce="n1", algorithm=MD5, qop="auth""#
                .parse()
                .unwrap(),
        );
        h.append(
            WWW_AUTHENTICATE,
            r#"Digest realm="r", nonce="n2", algorithm=SHA-256-sess, qop="auth", stale=TRUE"#
                .parse()
                .unwrap(),
        );
        let c = best_challenge(&h).unwrap();
        assert_eq!(
            (c.nonce.as_str(), c.algorithm, c.sess, c.stale),
            ("n2", Algorithm::Sha256, true, true)
        );
    }

    #[test]
    fn unsupported_challenges_are_not_answered() {
        for text in [
            r#"realm="r", nonce="n", algorithm=SHA-512-256"#,
            r#"realm="r", nonce="n", qop="auth-int""#,
            r#"realm="r""#,
        ] {
            assert!(parse_challenge(text).is_none(), "{text}");
        }
    }

    #[test]
    fn quoted_values_keep_escaped_quotes_and_commas() {
        let p = parse_params(r#"realm="a \"b\", c", nonce=xyz"#);
        assert_eq!(param(&p, "realm").as_deref(), Some(r#"a "b", c"#));
        assert_eq!(param(&p, "nonce").as_deref(), Some("xyz"));
    }

    #[test]
    fn a_refused_nonce_is_not_answered_twice_unless_stale() {
        let signer = DigestSigner {
            username: Some(Secret::new("U", "u")),
            password: Some(Secret::new("P", "p")),
            challenge: Mutex::new(None),
        };
        let challenge = |stale: bool| {
            let mut h = HeaderMap::new();
            let text = format!(r#"Digest realm="r", nonce="n1", qop="auth", stale={stale}"#);
            h.insert(WWW_AUTHENTICATE, text.parse().unwrap());
            h
        };
        assert!(signer.unauthorized(&HeaderMap::new(), &challenge(false)));
        let mut sent = HeaderMap::new();
        sent.insert(
            AUTHORIZATION,
            r#"Digest username="u", nonce="n1""#.parse().unwrap(),
        );
        assert!(!signer.unauthorized(&sent, &challenge(false)));
        assert!(signer.unauthorized(&sent, &challenge(true)));
    }
}
