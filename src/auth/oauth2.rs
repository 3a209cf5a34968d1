//! `type: oauth2`: OAuth 2.0 client credentials (RFC 6749 §4.4).
//!
//! The token is fetched from the token endpoint on the first call, with the runtime's HTTP
//! client and within that call's deadline, and sent as `Authorization: Bearer`. It is shared
//! by every call of the consumer: concurrent calls that find no valid token wait for one
//! fetch (single flight) instead of each fetching. It is kept until shortly before its
//! `expires_in` (a tenth of its lifetime, at most a minute), and dropped when the API answers
//! `401` to it: the call is then sent once more with a fresh token.
//!
//! The client authenticates with HTTP Basic (`clientAuthentication: basic`, the default,
//! RFC 6749 §2.3.1: id and secret form-encoded, then base64) or in the form
//! (`clientAuthentication: post`).

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use reqwest::header::{HeaderMap, ACCEPT, AUTHORIZATION, CONTENT_TYPE};

use super::{sensitive, source, Draft, HttpClient, Scheme, Sign, SignFuture, SignerEnv};
use crate::secret::{self, Secret};
use crate::spec::{ClientAuth, Method, Template};

/// The largest token response read (a token response is a few kilobytes at most).
const MAX_TOKEN_RESPONSE: usize = 256 * 1024;

pub(super) struct OAuth2<'a> {
    pub(super) token_url: &'a Template,
    pub(super) client_id: &'a Template,
    pub(super) client_secret: &'a Template,
    pub(super) scopes: &'a [String],
    pub(super) audience: Option<&'a Template>,
    pub(super) client_auth: ClientAuth,
}

impl Scheme for OAuth2<'_> {
    fn templates(&self, each: &mut dyn FnMut(&Template)) {
        each(self.token_url);
        each(self.client_id);
        each(self.client_secret);
        if let Some(a) = self.audience {
            each(a);
        }
    }

    fn apply<D: Draft>(&self, d: &mut D) -> Result<(), D::Error> {
        // Nothing is placed: the token is added per attempt. Rendering here reports a
        // missing variable before any I/O, and registers the secret for redaction.
        d.render(self.token_url, &|| "the oauth2 token URL".to_string())?;
        d.render(self.client_id, &|| "the oauth2 client id".to_string())?;
        let secret = d.render(self.client_secret, &|| {
            "the oauth2 client secret".to_string()
        })?;
        d.guard(&secret);
        if let Some(a) = self.audience {
            d.render(a, &|| "the oauth2 audience".to_string())?;
        }
        Ok(())
    }

    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let url = if self.token_url.vars().next().is_none() {
            format!("`{}`", self.token_url.display())
        } else {
            format!(
                "the URL {}",
                source(self.token_url).trim_start_matches("from ")
            )
        };
        write!(
            f,
            "OAuth 2.0 client credentials: a bearer token from {url}; client id {}; client secret {} (sent {})",
            source(self.client_id),
            source(self.client_secret),
            match self.client_auth {
                ClientAuth::Basic => "as HTTP basic",
                ClientAuth::Post => "in the form",
            }
        )?;
        if !self.scopes.is_empty() {
            write!(f, "; scopes `{}`", self.scopes.join(" "))?;
        }
        Ok(())
    }

    fn signer(&self, env: &SignerEnv<'_>) -> Option<Arc<dyn Sign>> {
        Some(Arc::new(TokenSigner {
            token_url: (env.resolve)(self.token_url),
            client_id: (env.resolve)(self.client_id),
            client_secret: (env.resolve)(self.client_secret),
            scope: self.scopes.join(" "),
            audience: self.audience.and_then(|a| (env.resolve)(a)),
            client_auth: self.client_auth,
            client: env.client.clone(),
            current: Mutex::new(None),
            fetching: tokio::sync::Mutex::new(()),
        }))
    }
}

/// A cached access token (its `Debug` shows `***`: the value is a [`Secret`]).
#[derive(Clone, Debug)]
struct Token {
    value: Secret,
    /// When to fetch a new one; `None`: until the API refuses it.
    refresh_at: Option<Instant>,
}

impl Token {
    fn fresh(&self) -> bool {
        self.refresh_at.is_none_or(|t| Instant::now() < t)
    }
}

/// Fetches, caches and sends the token of one consumer.
pub(super) struct TokenSigner {
    token_url: Option<Secret>,
    client_id: Option<Secret>,
    client_secret: Option<Secret>,
    scope: String,
    audience: Option<Secret>,
    client_auth: ClientAuth,
    client: HttpClient,
    /// The token in use (a short lock: read or replaced, never held across I/O).
    current: Mutex<Option<Token>>,
    /// Held while a token is fetched: the single flight.
    fetching: tokio::sync::Mutex<()>,
}

/// Never shows a credential or the token.
impl fmt::Debug for TokenSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSigner")
            .field("token_url", &self.token_url.as_ref().map(Secret::name))
            .field("client_auth", &self.client_auth)
            .finish_non_exhaustive()
    }
}

impl Sign for TokenSigner {
    fn sign<'a>(
        &'a self,
        _method: Method,
        _url: &'a reqwest::Url,
        headers: &'a mut HeaderMap,
        _body: Option<&'a [u8]>,
    ) -> SignFuture<'a> {
        Box::pin(async move {
            let token = self.token().await?;
            headers.insert(
                AUTHORIZATION,
                sensitive(&format!("Bearer {}", token.expose()))?,
            );
            Ok(())
        })
    }

    fn preview(&self, _method: Method, _url: &reqwest::Url, headers: &mut HeaderMap) {
        if let Ok(v) = reqwest::header::HeaderValue::from_str("Bearer ***") {
            headers.insert(AUTHORIZATION, v);
        }
    }

    fn unauthorized(&self, sent: &HeaderMap, _response: &HeaderMap) -> bool {
        let Some(sent) = sent.get(AUTHORIZATION).and_then(|v| v.to_str().ok()) else {
            return false;
        };
        let mut current = self.current.lock().unwrap_or_else(|p| p.into_inner());
        // Drop the token only if it is the one refused (another call may have replaced it).
        if current
            .as_ref()
            .is_some_and(|t| sent == format!("Bearer {}", t.value.expose()))
        {
            *current = None;
        }
        true
    }
}

impl TokenSigner {
    fn cached(&self) -> Option<Secret> {
        let current = self.current.lock().unwrap_or_else(|p| p.into_inner());
        current
            .as_ref()
            .filter(|t| t.fresh())
            .map(|t| t.value.clone())
    }

    /// The token to send: the cached one, or one fetched by this call or by a concurrent
    /// one (single flight).
    async fn token(&self) -> Result<Secret, String> {
        if let Some(t) = self.cached() {
            return Ok(t);
        }
        let _gate = self.fetching.lock().await;
        if let Some(t) = self.cached() {
            return Ok(t);
        }
        let token = self.fetch().await?;
        let value = token.value.clone();
        *self.current.lock().unwrap_or_else(|p| p.into_inner()) = Some(token);
        Ok(value)
    }

    fn secrets(&self) -> Vec<Secret> {
        [&self.client_id, &self.client_secret]
            .into_iter()
            .flatten()
            .cloned()
            .collect()
    }

    /// Hides the client credentials in a message built from what the endpoint sent.
    fn redact(&self, text: &str) -> String {
        secret::redact(text, &self.secrets()).into_owned()
    }

    async fn fetch(&self) -> Result<Token, String> {
        let (Some(url), Some(id), Some(secret)) =
            (&self.token_url, &self.client_id, &self.client_secret)
        else {
            return Err("the oauth2 token URL, client id or client secret has no value".into());
        };
        let url = url.expose();
        let client = self.client.get(url)?;
        let mut form = vec![("grant_type", "client_credentials")];
        if !self.scope.is_empty() {
            form.push(("scope", &self.scope));
        }
        if let Some(a) = &self.audience {
            form.push(("audience", a.expose()));
        }
        let mut request = client
            .post(url)
            .header(ACCEPT, "application/json")
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded");
        match self.client_auth {
            ClientAuth::Basic => {
                let pair = format!(
                    "{}:{}",
                    form_encode(id.expose()),
                    form_encode(secret.expose())
                );
                let encoded = base64::engine::general_purpose::STANDARD.encode(pair);
                request = request.header(AUTHORIZATION, sensitive(&format!("Basic {encoded}"))?);
            }
            ClientAuth::Post => {
                form.push(("client_id", id.expose()));
                form.push(("client_secret", secret.expose()));
            }
        }
        let body: Vec<String> = form
            .iter()
            .map(|(k, v)| format!("{k}={}", form_encode(v)))
            .collect();
        let endpoint = format!("the token endpoint {url}");
        let response = request
            .body(body.join("&"))
            .send()
            .await
            .map_err(|e| self.redact(&format!("cannot reach {endpoint}: {}", chain(&e))))?;
        let status = response.status().as_u16();
        let text = read_limited(response)
            .await
            .map_err(|e| self.redact(&format!("{endpoint}: {e}")))?;
        if status >= 400 {
            return Err(self.redact(&format!(
                "{endpoint} answered {status}: {}",
                error_text(&text)
            )));
        }
        parse_token(&text).map_err(|e| format!("{endpoint}: {e}"))
    }
}

/// `application/x-www-form-urlencoded` (RFC 6749 Appendix B): unreserved characters as they
/// are, everything else percent-encoded.
fn form_encode(text: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(text, SET).to_string()
}

/// Reads a response body up to [`MAX_TOKEN_RESPONSE`].
async fn read_limited(mut response: reqwest::Response) -> Result<String, String> {
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| format!("the response broke off: {}", chain(&e)))?
    {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_TOKEN_RESPONSE {
            return Err(format!(
                "the response is larger than {MAX_TOKEN_RESPONSE} bytes"
            ));
        }
    }
    Ok(String::from_utf8_lossy(&body).into_owned())
}

/// `error` and `error_description` of an RFC 6749 §5.2 error response, or the start of the
/// body.
fn error_text(body: &str) -> String {
    let parsed: Option<serde_json::Value> = serde_json::from_str(body).ok();
    let field = |k: &str| {
        parsed
            .as_ref()
            .and_then(|v| v.get(k))
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    match (field("error"), field("error_description")) {
        (Some(e), Some(d)) => format!("{e}: {d}"),
        (Some(e), None) => e,
        _ if body.trim().is_empty() => "an empty body".to_string(),
        _ => body.chars().take(200).collect(),
    }
}

/// An RFC 6749 §5.1 token response: `access_token`, `expires_in` (a number, or a string
/// as some providers send it).
fn parse_token(body: &str) -> Result<Token, String> {
    let value: serde_json::Value =
        serde_json::from_str(body).map_err(|e| format!("the token response is not JSON ({e})"))?;
    let Some(access) = value.get("access_token").and_then(|v| v.as_str()) else {
        return Err("the token response has no `access_token`".into());
    };
    if access.is_empty() {
        return Err("the token response has an empty `access_token`".into());
    }
    let expires_in = match value.get("expires_in") {
        Some(serde_json::Value::Number(n)) => n.as_f64(),
        Some(serde_json::Value::String(s)) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    let refresh_at = expires_in.map(|secs| {
        let lifetime = Duration::from_secs_f64(secs.clamp(0.0, 10.0 * 365.0 * 86_400.0));
        let margin = (lifetime / 10).min(Duration::from_secs(60));
        Instant::now() + (lifetime - margin)
    });
    Ok(Token {
        value: Secret::new("oauth2 token", access),
        refresh_at,
    })
}

/// The error and its causes, joined.
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_responses_are_read_with_numeric_or_string_lifetimes() {
        let cases = [
            (r#"{"access_token":"t1","expires_in":3600}"#, Some(true)),
            (r#"{"access_token":"t2","expires_in":"3599"}"#, Some(true)),
            (r#"{"access_token":"t3","expires_in":0}"#, Some(false)),
            (r#"{"access_token":"t4"}"#, None),
        ];
        for (body, fresh) in cases {
            let t = parse_token(body).unwrap();
            assert_eq!(t.refresh_at.map(|_| t.fresh()), fresh, "{body}");
        }
        assert!(parse_token(r#"{"token":"x"}"#)
            .unwrap_err()
            .contains("access_token"));
    }

    #[test]
    fn error_responses_show_the_rfc_6749_fields() {
        assert_eq!(
            error_text(r#"{"error":"invalid_client","error_description":"bad secret"}"#),
            "invalid_client: bad secret"
        );
        assert_eq!(error_text(""), "an empty body");
    }

    #[test]
    fn form_encoding_keeps_only_unreserved_characters() {
        assert_eq!(form_encode("a b+c/d~e"), "a%20b%2Bc%2Fd~e");
    }
}
