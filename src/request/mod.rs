//! The third step of the data flow (spec → bind → **request** → send → map): a pure function
//! from an operation and its arguments to a [`PreparedRequest`]. No I/O happens here.
//!
//! * `build`: the builder ([`prepare`]), in the order its errors are reported;
//! * `encode`: the RFC 3986 encoding rules (see there);
//! * `curl`: [`PreparedRequest::to_curl`];
//! * `error`: [`PrepareError`].
//!
//! Header values with CR, LF or other control characters are refused; a JSON body is built
//! structurally: values are inserted as JSON, never spliced into text. Credentials are put
//! on the request by [`crate::auth`].

mod build;
mod curl;

mod error;

use std::borrow::Cow;
use std::fmt;
use std::sync::{Arc, OnceLock};

use serde::ser::SerializeMap;
use serde_json::Value;

pub(crate) use crate::spec::check_base_uri_text as check_base_uri;
pub(crate) use build::prepare;

pub use error::PrepareError;

use crate::secret::{self, Secret};
use crate::spec::Method;

/// The body of a [`PreparedRequest`].
#[derive(Clone, PartialEq)]
pub enum Body {
    /// A JSON document, sent as `application/json`.
    Json(Value),
    /// Text with its content type.
    Text {
        /// The content type.
        content_type: &'static str,
        /// The text.
        text: String,
    },
}

/// A request ready to send: method, full URL, headers and body.
///
/// It is pure data: serializing or printing it never reveals a secret (API keys, tokens and
/// any other bound value appear as `***`), so it can be snapshot-tested with `insta`.
///
/// ```
/// use serde_json::json;
/// let cap = naftiko::Capability::from_path("specs/vital/users.yaml")?;
/// let rt = naftiko::Runtime::builder(cap)
///     .env([("VITAL_API_KEY", "sk_us_example")])
///     .build()?;
/// let req = rt.prepare("get_user_v2_user__user_id__get", json!({"user_id": "u-1"}))?;
/// assert_eq!(req.url(), "https://api.us.junction.com/v2/user/u-1");
/// assert_eq!(req.header("x-vital-api-key").as_deref(), Some("***"));
/// # Ok::<(), naftiko::Error>(())
/// ```
#[derive(Clone)]
pub struct PreparedRequest {
    pub(crate) operation: Arc<str>,
    /// The operation's index in its capability (set by the runtime).
    pub(crate) index: usize,
    pub(crate) method: Method,
    pub(crate) url: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Option<Body>,
    pub(crate) secrets: Vec<Secret>,
    /// `secrets` plus their encoded forms, derived on first use (display paths only).
    pub(crate) redaction: OnceLock<Vec<Secret>>,
}

/// What to do with a bound variable that has no value.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unset {
    /// Fail with [`crate::BindError`].
    Fail,
    /// Use a placeholder (dry runs).
    Placeholder,
}

impl PreparedRequest {
    /// Every secret of the request in every form it may be written in (raw, percent-encoded,
    /// cookie-encoded, JSON-escaped), for redaction. Computed once, on first display.
    pub(crate) fn all_secrets(&self) -> &[Secret] {
        self.redaction.get_or_init(|| {
            let mut all = self.secrets.clone();
            for s in &self.secrets {
                for form in crate::encode::encoded_forms(s.expose()) {
                    if form != s.expose() && !all.iter().any(|x| x.expose() == form) {
                        all.push(Secret::derived(s.name(), form, s.shell().to_string()));
                    }
                }
            }
            all
        })
    }

    /// The operation's qualified name (`namespace.name`).
    pub fn operation(&self) -> &str {
        &self.operation
    }
    /// The HTTP method.
    pub fn method(&self) -> Method {
        self.method
    }
    /// The full URL, with secrets shown as `***`.
    pub fn url(&self) -> String {
        secret::redact(&self.url, self.all_secrets()).into_owned()
    }
    /// The headers (names in lower case), with secrets shown as `***`.
    pub fn headers(&self) -> Vec<(String, String)> {
        self.headers
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    secret::redact(v, self.all_secrets()).into_owned(),
                )
            })
            .collect()
    }
    /// One header's value (secrets shown as `***`).
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| secret::redact(v, self.all_secrets()).into_owned())
    }
    /// The body as JSON (text bodies as a JSON string), with secrets shown as `***`;
    /// `null` when there is no body.
    pub fn body(&self) -> Value {
        match &self.body {
            None => Value::Null,
            Some(Body::Json(v)) => secret::redact_json(v, self.all_secrets()),
            Some(Body::Text { text, .. }) => {
                Value::String(secret::redact(text, self.all_secrets()).into_owned())
            }
        }
    }

    /// The real URL (with secrets), for the HTTP layer only.
    pub(crate) fn expose_url(&self) -> &str {
        &self.url
    }

    /// Replaces every secret of this request (in every form it is sent in) with `***` in
    /// any text, e.g. a message built from what a server sent back, which may echo the key.
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        secret::redact(text, self.all_secrets())
    }
}

impl serde::Serialize for PreparedRequest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Headers<'a>(&'a PreparedRequest);
        impl serde::Serialize for Headers<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut map = s.serialize_map(Some(self.0.headers.len()))?;
                for (k, v) in &self.0.headers {
                    map.serialize_entry(k, &secret::redact(v, self.0.all_secrets()))?;
                }
                map.end()
            }
        }
        let mut map = s.serialize_map(Some(4))?;
        map.serialize_entry("method", self.method.as_str())?;
        map.serialize_entry("url", &self.url())?;
        map.serialize_entry("headers", &Headers(self))?;
        map.serialize_entry("body", &self.body())?;
        map.end()
    }
}

impl fmt::Debug for PreparedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PreparedRequest")
            .field("operation", &self.operation)
            .field("method", &self.method)
            .field("url", &self.url())
            .field("headers", &self.headers())
            .field("body", &self.body())
            .finish()
    }
}
