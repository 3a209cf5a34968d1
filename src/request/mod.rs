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
mod multipart;

mod error;

use std::borrow::Cow;
use std::fmt;
use std::sync::{Arc, OnceLock};

use serde::ser::SerializeMap;
use serde_json::Value;

pub(crate) use crate::spec::check_base_uri_text as check_base_uri;
pub(crate) use build::{prepare, prepare_forward, Args};

/// What a caller adds to an operation's request beyond its declared parameters (the
/// escape hatches of [`crate::CallOptions`]): headers, query pairs, values for path
/// placeholders no parameter fills, and a JSON body.
#[derive(Clone, Copy, Default)]
pub(crate) struct Extras<'a> {
    /// Headers; a name the operation also sets replaces its value.
    pub(crate) headers: &'a [(String, String)],
    /// Query pairs appended after the operation's.
    pub(crate) query: &'a [(String, String)],
    /// Values of unfilled path placeholders, by placeholder name.
    pub(crate) path: &'a [(String, String)],
    /// A JSON body sent instead of the one the operation builds.
    pub(crate) body: Option<&'a Value>,
    /// Build a dry run's request even for an operation that cannot be called: a placeholder
    /// nothing fills stays `{name}`, an unsupported feature is not refused.
    pub(crate) preview: bool,
}

pub use error::PrepareError;
pub use multipart::{FormPart, Multipart};

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
    /// A `multipart/form-data` body (`multipartForm`), sent with its boundary.
    Multipart(Multipart),
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
    /// Where the builder wrote secrets, so that they are redacted there however short.
    pub(crate) spots: Spots,
    /// `secrets` plus their encoded forms, derived on first use (display paths only).
    pub(crate) redaction: OnceLock<Vec<Secret>>,
}

/// Where the builder wrote secrets into a request. Shown, a request is redacted in two ways:
/// structurally, at these spots, whatever the secret's length; and by value, anywhere, for
/// secrets long enough to be distinctive ([`secret::DISTINCTIVE`]), which catches a secret
/// that arrived another way (as an argument). By value alone, a one-letter password would
/// turn `https` into `http***`.
#[derive(Clone, Default, Debug)]
pub(crate) struct Spots {
    /// Byte ranges of the URL holding a secret, with its index in `secrets`, or
    /// [`UNKNOWN`] for a value that holds secrets among other text.
    pub(crate) url: Vec<Span>,
    /// The headers (by index) whose value holds a secret, one entry per byte range there
    /// (in order), as for the URL: flat, so a credential header costs no list of its own.
    pub(crate) headers: Vec<(usize, Span)>,
    /// Whether the body holds a secret.
    pub(crate) body: bool,
    /// The secrets (by index) that are shown by their variable's name (`$ALATION_HOST`)
    /// in the URL rather than as `***`: binds of the base URI that no credential uses.
    pub(crate) named: Vec<usize>,
}

/// Where a secret was written: a byte range, and the secret's index in the request's
/// secrets (or [`UNKNOWN`]).
pub(crate) type Span = (std::ops::Range<usize>, usize);

/// The index of no single secret: the spot holds secrets among other text.
pub(crate) const UNKNOWN: usize = usize::MAX;

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
    /// A bind of the base URI that no credential uses (a host name) is shown by its
    /// variable's name, `$ALATION_HOST`.
    pub fn url(&self) -> String {
        self.shown_spans(
            &self.url,
            &self.spots.url,
            |_| secret::REDACTED,
            &self.spots.named,
        )
    }

    /// The URL with each secret written as `shown` gives it (`***`, or a shell variable).
    pub(crate) fn shown_url(&self, shown: fn(&Secret) -> &str) -> String {
        self.shown_spans(&self.url, &self.spots.url, shown, &[])
    }

    /// `text` with the secrets at `spans` written as `shown` gives them (those in `by_name`
    /// as `$NAME`), then the distinctive secrets wherever they are.
    fn shown_spans(
        &self,
        text: &str,
        spans: &[Span],
        shown: fn(&Secret) -> &str,
        by_name: &[usize],
    ) -> String {
        let all = self.all_secrets();
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for (range, index) in spans {
            out.push_str(&text[at..range.start]);
            match self.secrets.get(*index) {
                Some(s) if by_name.contains(index) => {
                    out.push('$');
                    out.push_str(s.name());
                }
                Some(s) => out.push_str(shown(s)),
                None => out.push_str(&secret::redact_with(&text[range.clone()], all, shown)),
            }
            at = range.end;
        }
        out.push_str(&text[at..]);
        secret::replace_values(&out, all, secret::DISTINCTIVE, shown).into_owned()
    }

    /// The headers (names in lower case), with secrets shown as `***`; with a body, its
    /// `content-type` too (last, unless a declared header sets it), as it is sent.
    pub fn headers(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = (0..self.headers.len())
            .map(|i| {
                (
                    self.headers[i].0.clone(),
                    self.header_value(i, |_| secret::REDACTED),
                )
            })
            .collect();
        if let Some(ct) = self.body_content_type() {
            out.push(("content-type".into(), ct.into()));
        }
        out
    }

    /// One header's value (secrets shown as `***`); `content-type` is the body's when no
    /// declared header sets it.
    pub fn header(&self, name: &str) -> Option<String> {
        let Some(i) = self
            .headers
            .iter()
            .position(|(k, _)| k.eq_ignore_ascii_case(name))
        else {
            return (name.eq_ignore_ascii_case("content-type"))
                .then(|| self.body_content_type())
                .flatten()
                .map(str::to_string);
        };
        Some(self.header_value(i, |_| secret::REDACTED))
    }

    /// The content type the body is sent with, when no declared header sets one.
    fn body_content_type(&self) -> Option<&str> {
        if self.headers.iter().any(|(k, _)| k == "content-type") {
            return None;
        }
        self.content_type()
    }

    /// Header `i`'s value with each secret written as `shown` gives it.
    pub(crate) fn header_value(&self, i: usize, shown: fn(&Secret) -> &str) -> String {
        let spans: Vec<Span> = (self.spots.headers.iter())
            .filter(|(h, _)| *h == i)
            .map(|(_, span)| span.clone())
            .collect();
        self.shown_spans(&self.headers[i].1, &spans, shown, &[])
    }

    /// The body as JSON (text bodies as a JSON string, a multipart body as its array of
    /// parts `{name, filename, contentType, value}`), with secrets shown as `***`; `null`
    /// when there is no body.
    pub fn body(&self) -> Value {
        match &self.body {
            None => Value::Null,
            Some(Body::Json(v)) => secret::redact_json(v, self.all_secrets(), self.spots.body),
            Some(Body::Text { text, .. }) => {
                Value::String(self.body_text(text, |_| secret::REDACTED))
            }
            Some(Body::Multipart(m)) => {
                let parts = serde_json::to_value(m.parts()).unwrap_or_default();
                secret::redact_json(&parts, self.all_secrets(), self.spots.body)
            }
        }
    }

    /// The bytes the body is sent as (secrets included: for the HTTP layer only).
    pub(crate) fn wire_body(&self) -> Option<(bytes::Bytes, &str)> {
        let ct = self.content_type()?;
        Some((
            match self.body.as_ref()? {
                Body::Json(v) => bytes::Bytes::from(serde_json::to_vec(v).unwrap_or_default()),
                Body::Text { text, .. } => bytes::Bytes::from(text.clone()),
                Body::Multipart(m) => bytes::Bytes::from(m.render(str::to_string)),
            },
            ct,
        ))
    }

    /// A text body with each secret written as `shown` gives it.
    pub(crate) fn body_text(&self, text: &str, shown: fn(&Secret) -> &str) -> String {
        let min = if self.spots.body {
            1
        } else {
            secret::DISTINCTIVE
        };
        secret::replace_values(text, self.all_secrets(), min, shown).into_owned()
    }

    /// The names of the variables this request uses whose value is empty
    /// (`VITAL_API_KEY=`): almost always a mistake, which a server answers with a 401.
    pub fn empty_secrets(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .secrets
            .iter()
            .filter(|s| s.expose().is_empty())
            .map(|s| s.name())
            .collect();
        names.dedup();
        names
    }

    /// The content type the body is sent with (`application/json` for a JSON body,
    /// `multipart/form-data; boundary=…` for a multipart one), if there is a body.
    pub fn content_type(&self) -> Option<&str> {
        match &self.body {
            None => None,
            Some(Body::Json(_)) => Some("application/json"),
            Some(Body::Text { content_type, .. }) => Some(content_type),
            Some(Body::Multipart(m)) => Some(m.content_type()),
        }
    }

    /// The real URL (with secrets), for the HTTP layer only.
    pub(crate) fn expose_url(&self) -> &str {
        &self.url
    }

    /// Replaces every secret of this request (in every form it is sent in) with `***` in
    /// any text, e.g. a message built from what a server sent back, which may echo the key.
    /// Secrets shorter than six characters are not replaced: found by value in text nobody
    /// placed them in, they would corrupt it (see [`PreparedRequest`]'s redaction notes).
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        secret::redact_distinctive(text, self.all_secrets())
    }
}

impl serde::Serialize for PreparedRequest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Headers<'a>(&'a PreparedRequest);
        impl serde::Serialize for Headers<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let headers = self.0.headers();
                let mut map = s.serialize_map(Some(headers.len()))?;
                for (k, v) in &headers {
                    map.serialize_entry(k, v)?;
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
