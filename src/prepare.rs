//! The third step of the data flow (spec → bind → **prepare** → send → map): a pure function
//! from an operation and its arguments to a [`PreparedRequest`]. No I/O happens here.
//!
//! Encoding rules:
//! * a path value is percent-encoded as exactly one RFC 3986 segment (only unreserved
//!   characters stay as they are), and `.`, `..` and the empty string are refused, because
//!   URL parsers would remove or merge such segments;
//! * query names and values are percent-encoded (`%20`, not `+`), in declaration order, unset
//!   ones omitted, arrays as repeated keys, booleans as `true`/`false`, integers without `.0`;
//! * header values with CR, LF or other control characters are refused;
//! * a JSON body is built structurally: values are inserted as JSON, never spliced into text.

use std::borrow::Cow;
use std::fmt;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::ser::SerializeMap;
use serde_json::{Map, Value};

use crate::bind::{BindError, Binds};
use crate::secret::{self, Secret, REDACTED};
use crate::spec::template::Part;
use crate::spec::{
    closest, did_you_mean_inline, Auth, BodySpec, Consumer, JsonTemplate, KeyPlacement, Method,
    Operation, ParamIn, ParamType, Segment, Template, Var,
};

/// RFC 3986 unreserved characters stay; everything else in a path segment or query
/// component is percent-encoded.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Literal path text from the capability keeps its structure (`/`, `:`, `@`, …) but
/// characters that are never valid in a URL path are encoded.
const LITERAL_PATH: &AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'<')
    .add(b'>')
    .add(b'\\')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}')
    .add(b'#')
    .add(b'?');

/// Characters outside RFC 6265 `cookie-octet` are percent-encoded in cookie values.
const COOKIE: &AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b',')
    .add(b';')
    .add(b'\\')
    .add(b'%');

/// Why a request could not be prepared.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum PrepareError {
    /// The arguments are not a JSON object.
    #[error("operation `{operation}`: arguments must be a JSON object keyed by parameter name, found {found}")]
    NotAnObject {
        /// The operation.
        operation: String,
        /// What was given instead.
        found: &'static str,
    },
    /// An argument the operation does not take.
    #[error("operation `{operation}` has no parameter `{name}`{}; it takes: {}", did_you_mean_inline(suggestion.as_deref()), list_or_none(accepted))]
    UnknownArgument {
        /// The operation.
        operation: String,
        /// The unknown name.
        name: String,
        /// The closest accepted name, if one is close.
        suggestion: Option<String>,
        /// Every accepted name.
        accepted: Vec<String>,
    },
    /// Required arguments were not given.
    #[error("operation `{operation}` is missing required argument(s): {}", names.join(", "))]
    MissingArguments {
        /// The operation.
        operation: String,
        /// The missing names, in declaration order.
        names: Vec<String>,
    },
    /// An argument does not have the declared type.
    #[error("operation `{operation}`: argument `{name}` must be {}, found {found}", article(*expected))]
    WrongType {
        /// The operation.
        operation: String,
        /// The argument.
        name: String,
        /// The declared type.
        expected: ParamType,
        /// What was given (`a string`, `the number 5.5`, …).
        found: String,
    },
    /// A value that cannot be sent where it goes.
    #[error("operation `{operation}`: {location} parameter `{name}` {reason}")]
    InvalidValue {
        /// The operation.
        operation: String,
        /// The parameter (or header) name.
        name: String,
        /// Where it goes (`path`, `header`, …).
        location: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The path has a placeholder that nothing fills.
    #[error("operation `{operation}` cannot be called: its path has the placeholder `{{{placeholder}}}` that no parameter fills (declared at {location})")]
    UnfilledPlaceholder {
        /// The operation.
        operation: String,
        /// The placeholder name.
        placeholder: String,
        /// Where the operation is declared (`file:line:col`).
        location: String,
    },
    /// The operation uses a feature this runtime does not implement yet.
    #[error("operation `{operation}` cannot be called: {reason}")]
    Unsupported {
        /// The operation.
        operation: String,
        /// What is not supported.
        reason: String,
    },
    /// The base URI is missing or invalid.
    #[error("operation `{operation}`: {message}")]
    BaseUri {
        /// The operation.
        operation: String,
        /// What is wrong.
        message: String,
    },
    /// A secret has no value (boxed: it is the largest error and the rarest).
    #[error(transparent)]
    Bind(Box<BindError>),
}

impl From<BindError> for PrepareError {
    fn from(e: BindError) -> PrepareError {
        PrepareError::Bind(Box::new(e))
    }
}

fn list_or_none(names: &[String]) -> String {
    if names.is_empty() {
        "no arguments".into()
    } else {
        names.join(", ")
    }
}

fn article(t: ParamType) -> &'static str {
    match t {
        ParamType::String => "a string",
        ParamType::Integer => "an integer",
        ParamType::Number => "a number",
        ParamType::Boolean => "a boolean (true or false)",
        ParamType::Object => "a JSON object",
        ParamType::Array => "a JSON array",
        ParamType::Any => "any JSON value",
    }
}

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
    pub(crate) operation: std::sync::Arc<str>,
    /// The operation's index in its capability (set by the runtime).
    pub(crate) index: usize,
    pub(crate) method: Method,
    pub(crate) url: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Option<Body>,
    pub(crate) secrets: Vec<Secret>,
    /// `secrets` plus their encoded forms, derived on first use (display paths only).
    pub(crate) redaction: std::sync::OnceLock<Vec<Secret>>,
}

impl PreparedRequest {
    /// Every secret of the request in every form it may be written in (raw, percent-encoded,
    /// cookie-encoded, JSON-escaped), for redaction. Computed once, on first display.
    pub(crate) fn all_secrets(&self) -> &[Secret] {
        self.redaction.get_or_init(|| {
            let mut all = self.secrets.clone();
            add_encoded_forms(&mut all);
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

    /// An equivalent `curl` command line. Secrets are written as shell variable references
    /// (`"${VITAL_API_KEY}"`), never as their values.
    pub fn to_curl(&self) -> String {
        let shell = |text: &str| -> String {
            let replaced = secret::redact_with(text, self.all_secrets(), |s| s.shell());
            if replaced.contains('$')
                && self
                    .all_secrets()
                    .iter()
                    .any(|s| replaced.contains(s.shell()))
            {
                // Double quotes so the shell expands the variable; escape what double quotes interpret
                // except the variable references themselves.
                let mut out = String::from("\"");
                let mut rest: &str = &replaced;
                'outer: while !rest.is_empty() {
                    for s in self.all_secrets() {
                        if let Some(after) = rest.strip_prefix(s.shell()) {
                            out.push_str(s.shell());
                            rest = after;
                            continue 'outer;
                        }
                    }
                    let c = rest.chars().next().unwrap_or_default();
                    if matches!(c, '"' | '\\' | '$' | '`') {
                        out.push('\\');
                    }
                    out.push(c);
                    rest = &rest[c.len_utf8()..];
                }
                out.push('"');
                out
            } else {
                format!("'{}'", replaced.replace('\'', r"'\''"))
            }
        };
        let mut parts = vec!["curl".to_string()];
        if self.method != Method::Get {
            parts.push("-X".into());
            parts.push(self.method.as_str().into());
        }
        parts.push(shell(&self.url));
        for (k, v) in &self.headers {
            parts.push("-H".into());
            parts.push(shell(&format!("{k}: {v}")));
        }
        match &self.body {
            Some(Body::Json(v)) => {
                parts.push("-H".into());
                parts.push("'content-type: application/json'".into());
                parts.push("--data-raw".into());
                parts.push(shell(&v.to_string()));
            }
            Some(Body::Text { content_type, text }) => {
                parts.push("-H".into());
                parts.push(shell(&format!("content-type: {content_type}")));
                parts.push("--data-raw".into());
                parts.push(shell(text));
            }
            None => {}
        }
        parts.join(" ")
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

/// What to do with a bound variable that has no value.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unset {
    /// Fail with [`BindError`].
    Fail,
    /// Use a placeholder (dry runs).
    Placeholder,
}

struct Ctx<'a> {
    qualified: &'a str,
    args: &'a Map<String, Value>,
    binds: &'a Binds,
    unset: Unset,
    secrets: Vec<Secret>,
}

impl Ctx<'_> {
    fn secret(&mut self, var: &Var, usage: &dyn Fn() -> String) -> Result<Secret, PrepareError> {
        let s = match self.binds.lookup(var, self.qualified, usage) {
            Ok(s) => s,
            Err(_) if self.unset == Unset::Placeholder => Binds::placeholder(var),
            Err(e) => return Err(e.into()),
        };
        if !self.secrets.contains(&s) {
            self.secrets.push(s.clone());
        }
        Ok(s)
    }

    /// Makes sure a credential is redacted wherever it shows. A credential that is not
    /// exactly one bound secret (written literally in the capability, or mixing text and
    /// variables) is registered as a secret of its own. Encoded forms (percent, cookie,
    /// JSON) of every secret are derived when the request is displayed.
    fn guard_credential(&mut self, text: &str) {
        if text.is_empty() || self.secrets.iter().any(|s| s.expose() == text) {
            return;
        }
        let shell = if secret::redact(text, &self.secrets) == text {
            REDACTED.to_string()
        } else {
            secret::redact_with(text, &self.secrets, |s| s.shell()).into_owned()
        };
        self.secrets
            .push(Secret::derived("credential", text.to_string(), shell));
    }

    /// An argument's value, or `None` if unset (null counts as unset).
    fn arg(&self, name: &str) -> Option<&Value> {
        self.args.get(name).filter(|v| !v.is_null())
    }

    /// Renders a template to text. `encode` is applied to argument values only.
    fn render(
        &mut self,
        t: &Template,
        usage: &dyn Fn() -> String,
        encode: Option<&'static AsciiSet>,
    ) -> Result<String, PrepareError> {
        let mut out = String::new();
        for p in &t.parts {
            match p {
                Part::Lit(s) => out.push_str(s),
                Part::Var(Var::Arg(name)) => match self.arg(name) {
                    Some(v) => {
                        let text = scalar_text(v);
                        match encode {
                            Some(set) => out.extend(utf8_percent_encode(&text, set)),
                            None => out.push_str(&text),
                        }
                    }
                    None => {
                        return Err(PrepareError::MissingArguments {
                            operation: self.qualified.to_string(),
                            names: vec![name.clone()],
                        })
                    }
                },
                Part::Var(var) => {
                    let s = self.secret(var, usage)?;
                    out.push_str(s.expose());
                }
            }
        }
        Ok(out)
    }
}

/// Text of a JSON value as it goes into a URL or header: strings as they are, numbers in
/// their shortest form (integers without `.0`), booleans as `true`/`false`, others as JSON.
fn scalar_text(v: &Value) -> Cow<'_, str> {
    match v {
        Value::String(s) => Cow::Borrowed(s),
        Value::Number(n) => Cow::Owned(match n.as_f64() {
            Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 9.0e15 => {
                format!("{}", f as i64)
            }
            _ => n.to_string(),
        }),
        Value::Bool(true) => Cow::Borrowed("true"),
        Value::Bool(false) => Cow::Borrowed("false"),
        Value::Null => Cow::Borrowed(""),
        other => Cow::Owned(other.to_string()),
    }
}

fn describe_value(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) if n.is_f64() && n.as_f64().is_some_and(|f| f.fract() == 0.0) => {
            format!("the number {n}, too large to be sent exactly")
        }
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => {
            let shown: String = s.chars().take(40).collect();
            format!("the string {shown:?}")
        }
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

fn type_matches(t: ParamType, v: &Value) -> bool {
    match t {
        ParamType::Any => true,
        ParamType::String => v.is_string(),
        // A float is an integer only if it is whole and exactly representable (|f| ≤ 2^53):
        // `99999999999999999999` parses as 1e20, which cannot be sent as an integer.
        ParamType::Integer => {
            v.is_i64()
                || v.is_u64()
                || v.as_f64()
                    .is_some_and(|f| f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0)
        }
        ParamType::Number => v.is_number(),
        ParamType::Boolean => v.is_boolean(),
        ParamType::Object => v.is_object(),
        ParamType::Array => v.is_array(),
    }
}

/// Builds the request for `op` with `args`.
pub(crate) fn prepare(
    op: &Operation,
    consumer: &Consumer,
    base_override: Option<&str>,
    args: &Value,
    binds: &Binds,
    unset: Unset,
) -> Result<PreparedRequest, PrepareError> {
    let qualified: &str = &op.qualified;
    let empty = Map::new();
    let args = match args {
        Value::Object(m) => m,
        Value::Null => &empty,
        other => {
            return Err(PrepareError::NotAnObject {
                operation: qualified.to_string(),
                found: match other {
                    Value::Array(_) => "an array",
                    Value::String(_) => "a string",
                    Value::Number(_) => "a number",
                    _ => "a boolean",
                },
            })
        }
    };

    // 1. Arguments: names, required, types — all before anything else.
    for name in args.keys() {
        if op.arg_names.binary_search(name).is_err() {
            return Err(PrepareError::UnknownArgument {
                operation: qualified.to_string(),
                name: name.clone(),
                suggestion: closest(name, op.arg_names.iter().map(String::as_str)),
                accepted: op.arg_names.clone(),
            });
        }
    }
    let missing: Vec<String> = op
        .params
        .iter()
        .filter(|p| p.required && p.value.is_none() && p.location != ParamIn::Environment)
        .filter(|p| args.get(&p.name).is_none_or(Value::is_null))
        .map(|p| p.name.clone())
        .collect();
    if !missing.is_empty() {
        return Err(PrepareError::MissingArguments {
            operation: qualified.to_string(),
            names: missing,
        });
    }
    for p in &op.params {
        if let Some(v) = args.get(&p.name).filter(|v| !v.is_null()) {
            if !type_matches(p.ty, v) {
                return Err(PrepareError::WrongType {
                    operation: qualified.to_string(),
                    name: p.name.clone(),
                    expected: p.ty,
                    found: describe_value(v),
                });
            }
        }
    }
    if let Some(reason) = &op.unsupported {
        return Err(PrepareError::Unsupported {
            operation: qualified.to_string(),
            reason: reason.clone(),
        });
    }
    if let Some(placeholder) = op.unfilled_placeholders().first() {
        return Err(PrepareError::UnfilledPlaceholder {
            operation: qualified.to_string(),
            placeholder: placeholder.to_string(),
            location: op.location.to_string(),
        });
    }

    let mut ctx = Ctx {
        qualified,
        args,
        binds,
        unset,
        secrets: Vec::new(),
    };

    // 2. URL.
    let mut url = match base_override {
        Some(base) => base.trim_end_matches('/').to_string(),
        None => {
            if let Some(problem) = &consumer.base_uri_problem {
                return Err(PrepareError::BaseUri {
                    operation: ctx.qualified.to_string(),
                    message: problem.clone(),
                });
            }
            let ns = consumer.namespace.clone();
            let base = ctx.render(
                &consumer.base_uri,
                &|| format!("the base URI of namespace `{ns}`"),
                Some(COMPONENT),
            )?;
            let base = base.trim_end_matches('/').to_string();
            // A dry run's placeholders need not form a valid URL; real values must.
            if !consumer.base_uri.is_literal() && unset == Unset::Fail {
                if let Err(message) = crate::spec::check_base_uri_text(&base) {
                    return Err(PrepareError::BaseUri {
                        operation: ctx.qualified.to_string(),
                        message: secret::redact(&message, &ctx.secrets).into_owned(),
                    });
                }
            }
            base
        }
    };
    for seg in &op.segments {
        match seg {
            Segment::Lit(text) => url.push_str(text),
            Segment::Var(Var::Arg(name)) => {
                let value = ctx.arg(name).map(scalar_text);
                let Some(value) = value else {
                    return Err(PrepareError::MissingArguments {
                        operation: ctx.qualified.to_string(),
                        names: vec![name.clone()],
                    });
                };
                check_segment(ctx.qualified, name, &value)?;
                url.extend(utf8_percent_encode(&value, COMPONENT));
            }
            Segment::Var(var) => {
                let s = ctx.secret(var, &|| "a path segment".to_string())?;
                check_segment(ctx.qualified, var.name(), s.expose())?;
                url.extend(utf8_percent_encode(s.expose(), COMPONENT));
            }
            Segment::Unfilled(_) => {}
        }
    }

    // 3. Query, headers, cookies, body parameters: values are borrowed from the arguments
    // wherever they can be.
    let mut query: Vec<(&str, Cow<'_, str>)> = Vec::new();
    let mut headers: Vec<(String, String)> = Vec::with_capacity(4);
    let mut cookies: Vec<(&str, String)> = Vec::new();
    let mut body_values: Vec<(&str, ParamType, Value)> = Vec::new();
    for p in &op.params {
        if matches!(p.location, ParamIn::Path | ParamIn::Environment) {
            continue;
        }
        let given = args.get(&p.name).filter(|v| !v.is_null());
        let rendered: String;
        let text: Cow<'_, str> = match (given, &p.value) {
            (Some(Value::Array(items)), _) if p.location == ParamIn::Query => {
                for item in items.iter().filter(|i| !i.is_null()) {
                    query.push((&p.name, scalar_text(item)));
                }
                continue;
            }
            (Some(v), _) if p.location == ParamIn::Body => {
                body_values.push((&p.name, p.ty, v.clone()));
                continue;
            }
            (Some(v), _) => scalar_text(v),
            (None, Some(t)) => {
                let loc = p.location.as_str();
                let name = &p.name;
                rendered = ctx.render(t, &|| format!("the {loc} parameter `{name}`"), None)?;
                if p.location == ParamIn::Body {
                    body_values.push((&p.name, p.ty, Value::String(rendered)));
                    continue;
                }
                Cow::Owned(rendered)
            }
            (None, None) => continue,
        };
        match p.location {
            ParamIn::Query => query.push((&p.name, text)),
            ParamIn::Header => {
                check_header(ctx.qualified, &p.name, &text)?;
                headers.push((p.wire_name.clone(), text.into_owned()));
            }
            ParamIn::Cookie => {
                cookies.push((&p.name, utf8_percent_encode(&text, COOKIE).to_string()));
            }
            ParamIn::Path | ParamIn::Environment | ParamIn::Body => {}
        }
    }

    // 4. Authentication.
    let mut body_auth: Option<(String, Secret)> = None;
    match &consumer.auth {
        None | Some(Auth::Unsupported { .. }) => {}
        Some(Auth::ApiKey {
            placement,
            name,
            value,
        }) => {
            let n = name.clone();
            let usage = move || format!("the API key `{n}`");
            let text = ctx.render(value, &usage, None)?;
            ctx.guard_credential(&text);
            match placement {
                KeyPlacement::Header => {
                    check_header(ctx.qualified, name, &text)?;
                    headers.push((name.to_ascii_lowercase(), text));
                }
                KeyPlacement::Query => {
                    ctx.guard_credential(&text);
                    query.push((name, Cow::Owned(text)));
                }
                KeyPlacement::Cookie => {
                    ctx.guard_credential(&text);
                    let encoded = utf8_percent_encode(&text, COOKIE).to_string();
                    cookies.push((name, encoded));
                }
                KeyPlacement::Path => {} // placed in the URL at load time
                KeyPlacement::Body => {
                    body_auth = Some((name.clone(), Secret::new(name.as_str(), text)));
                }
            }
        }
        Some(Auth::Bearer { token }) => {
            let text = ctx.render(token, &|| "the bearer token".to_string(), None)?;
            ctx.guard_credential(&text);
            check_header(ctx.qualified, "authorization", &text)?;
            headers.push(("authorization".into(), format!("Bearer {text}")));
        }
        Some(Auth::Basic { username, password }) => {
            let user = ctx.render(username, &|| "the basic-auth username".to_string(), None)?;
            let pass = ctx.render(password, &|| "the basic-auth password".to_string(), None)?;
            ctx.guard_credential(&user);
            ctx.guard_credential(&pass);
            let encoded = base64(format!("{user}:{pass}").as_bytes());
            let shell_user = secret_shell(&ctx.secrets, &user);
            let shell_pass = secret_shell(&ctx.secrets, &pass);
            ctx.secrets.push(Secret::derived(
                "basic",
                encoded.clone(),
                format!("$(printf '%s' \"{shell_user}:{shell_pass}\" | base64 -w0)"),
            ));
            headers.push(("authorization".into(), format!("Basic {encoded}")));
        }
        Some(Auth::QueryParams { params }) => {
            for (name, t) in params {
                let n = name.clone();
                let text = ctx.render(t, &move || format!("the query credential `{n}`"), None)?;
                ctx.guard_credential(&text);
                query.push((name, Cow::Owned(text)));
            }
        }
    }

    if !query.is_empty() {
        url.push(if url.contains('?') { '&' } else { '?' });
        for (i, (k, v)) in query.iter().enumerate() {
            if i > 0 {
                url.push('&');
            }
            url.extend(utf8_percent_encode(k, COMPONENT));
            url.push('=');
            url.extend(utf8_percent_encode(v, COMPONENT));
        }
    }
    if !cookies.is_empty() {
        let joined: Vec<String> = cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
        headers.push(("cookie".into(), joined.join("; ")));
    }

    // 5. Body.
    let mut body = match &op.body {
        None => None,
        Some(BodySpec::Params) => body_from_params(body_values),
        Some(BodySpec::Json(t)) => render_json(&mut ctx, t)?.map(Body::Json),
        Some(BodySpec::Text(t, content_type)) => Some(Body::Text {
            content_type,
            text: ctx.render(t, &|| "the request body".to_string(), None)?,
        }),
        Some(BodySpec::Form(fields)) => {
            let mut pairs = Vec::new();
            for (k, t) in fields {
                let k2 = k.clone();
                let v = ctx.render(t, &move || format!("the form field `{k2}`"), None)?;
                pairs.push(format!(
                    "{}={}",
                    utf8_percent_encode(k, COMPONENT),
                    utf8_percent_encode(&v, COMPONENT)
                ));
            }
            Some(Body::Text {
                content_type: "application/x-www-form-urlencoded",
                text: pairs.join("&"),
            })
        }
    };
    if let Some((name, s)) = body_auth {
        let value = Value::String(s.expose().to_string());
        match &mut body {
            Some(Body::Json(Value::Object(map))) => {
                map.insert(name, value);
            }
            None => {
                let mut map = Map::new();
                map.insert(name, value);
                body = Some(Body::Json(Value::Object(map)));
            }
            Some(_) => {
                return Err(PrepareError::Unsupported {
                    operation: ctx.qualified.to_string(),
                    reason: "an API key placed in the body needs a JSON object body".into(),
                })
            }
        }
    }

    Ok(PreparedRequest {
        operation: op.qualified.clone(),
        index: usize::MAX,
        method: op.method,
        url,
        headers,
        body,
        secrets: ctx.secrets,
        redaction: std::sync::OnceLock::new(),
    })
}

/// A secret also travels percent-encoded (query, form, cookie, path) and JSON-escaped (the
/// body text `to_curl` prints), possibly inside a larger value: those encodings work
/// character by character, so redacting each encoded form of the whole secret redacts it
/// wherever it sits.
fn add_encoded_forms(secrets: &mut Vec<Secret>) {
    let originals = secrets.clone();
    for s in &originals {
        let value = s.expose();
        let json = serde_json::to_string(value).unwrap_or_default();
        let forms = [
            utf8_percent_encode(value, COMPONENT).to_string(),
            utf8_percent_encode(value, COOKIE).to_string(),
            json.strip_prefix('"')
                .and_then(|j| j.strip_suffix('"'))
                .unwrap_or(value)
                .to_string(),
        ];
        for form in forms {
            if form != value && !secrets.iter().any(|x| x.expose() == form) {
                secrets.push(Secret::derived(s.name(), form, s.shell().to_string()));
            }
        }
    }
}

fn secret_shell(secrets: &[Secret], value: &str) -> String {
    match secrets.iter().find(|s| s.expose() == value) {
        Some(s) => s.shell().to_string(),
        None => REDACTED.to_string(),
    }
}

/// Literal path text from a capability, encoded once at load: its structure (`/`, `:`, `@`)
/// stays, characters never valid in a URL path are percent-encoded.
pub(crate) fn encode_literal_path(text: &str) -> String {
    utf8_percent_encode(text, LITERAL_PATH).to_string()
}

/// One `in: body` parameter named `body` (or typed object/array) is the whole body;
/// otherwise the given parameters become the fields of one object.
fn body_from_params(values: Vec<(&str, ParamType, Value)>) -> Option<Body> {
    if values.is_empty() {
        return None;
    }
    if let [(name, ty, _)] = values.as_slice() {
        if *name == "body" || matches!(ty, ParamType::Object | ParamType::Array) {
            return values.into_iter().next().map(|(_, _, v)| Body::Json(v));
        }
    }
    let mut map = Map::new();
    for (name, _, v) in values {
        map.insert(name.to_string(), v);
    }
    Some(Body::Json(Value::Object(map)))
}

fn render_json(ctx: &mut Ctx<'_>, t: &JsonTemplate) -> Result<Option<Value>, PrepareError> {
    Ok(match t {
        JsonTemplate::Lit(v) => Some(v.clone()),
        JsonTemplate::Var(Var::Arg(name)) => ctx.arg(name).cloned(),
        JsonTemplate::Var(var) => {
            let s = ctx.secret(var, &|| "the request body".to_string())?;
            Some(Value::String(s.expose().to_string()))
        }
        JsonTemplate::Str(t) => {
            // A string mixing text and variables: an unset argument leaves the field out.
            let all_set = t
                .vars()
                .all(|v| !matches!(v, Var::Arg(n) if ctx.arg(n).is_none()));
            if all_set {
                Some(Value::String(ctx.render(
                    t,
                    &|| "the request body".to_string(),
                    None,
                )?))
            } else {
                None
            }
        }
        JsonTemplate::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for i in items {
                out.push(render_json(ctx, i)?.unwrap_or(Value::Null));
            }
            Some(Value::Array(out))
        }
        JsonTemplate::Object(fields) => {
            let mut out = Map::new();
            for (k, v) in fields {
                if let Some(v) = render_json(ctx, v)? {
                    out.insert(k.clone(), v);
                }
            }
            Some(Value::Object(out))
        }
    })
}

fn check_segment(operation: &str, name: &str, value: &str) -> Result<(), PrepareError> {
    let reason = match value {
        "" => "is empty; an empty path segment would change the URL",
        "." | ".." => "cannot be `.` or `..`: URL parsers treat such a segment as a relative step",
        _ => return Ok(()),
    };
    Err(PrepareError::InvalidValue {
        operation: operation.to_string(),
        name: name.to_string(),
        location: "path",
        reason: reason.to_string(),
    })
}

fn check_header(operation: &str, name: &str, value: &str) -> Result<(), PrepareError> {
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
    {
        return Err(PrepareError::InvalidValue {
            operation: operation.to_string(),
            name: name.to_string(),
            location: "header",
            reason: "is not a valid header name".into(),
        });
    }
    if value.starts_with([' ', '\t']) || value.ends_with([' ', '\t']) {
        return Err(PrepareError::InvalidValue {
            operation: operation.to_string(),
            name: name.to_string(),
            location: "header",
            reason: "has leading or trailing whitespace, which HTTP would strip; refused".into(),
        });
    }
    if let Some(c) = value
        .chars()
        .find(|c| (c.is_control() && *c != '\t') || *c == '\u{7f}')
    {
        let what = match c {
            '\r' => "a carriage return (CR)".to_string(),
            '\n' => "a line feed (LF)".to_string(),
            other => format!("the control character U+{:04X}", other as u32),
        };
        return Err(PrepareError::InvalidValue {
            operation: operation.to_string(),
            name: name.to_string(),
            location: "header",
            reason: format!("contains {what}, which could split the header; refused"),
        });
    }
    Ok(())
}

/// Standard base64 (RFC 4648, with padding), for basic authentication.
fn base64(input: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        out.push(TABLE[(n >> 18) as usize & 63] as char);
        out.push(TABLE[(n >> 12) as usize & 63] as char);
        out.push(if chunk.len() > 1 {
            TABLE[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if chunk.len() > 2 {
            TABLE[n as usize & 63] as char
        } else {
            '='
        });
    }
    out
}

/// Secret variables a body template uses (for the environment snapshot).
pub(crate) fn body_secret_vars(body: &BodySpec, out: &mut Vec<String>) {
    fn walk(t: &JsonTemplate, out: &mut Vec<String>) {
        match t {
            JsonTemplate::Var(Var::Env(n) | Var::Bind(n)) => out.push(n.clone()),
            JsonTemplate::Str(t) => push_template(t, out),
            JsonTemplate::Array(items) => items.iter().for_each(|i| walk(i, out)),
            JsonTemplate::Object(fields) => fields.iter().for_each(|(_, v)| walk(v, out)),
            _ => {}
        }
    }
    fn push_template(t: &Template, out: &mut Vec<String>) {
        for v in t.vars() {
            if let Var::Env(n) | Var::Bind(n) = v {
                out.push(n.clone());
            }
        }
    }
    match body {
        BodySpec::Json(t) => walk(t, out),
        BodySpec::Text(t, _) => push_template(t, out),
        BodySpec::Form(fields) => fields.iter().for_each(|(_, t)| push_template(t, out)),
        BodySpec::Params => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn numbers_render_without_trailing_zero() {
        assert_eq!(scalar_text(&serde_json::json!(5)), "5");
        assert_eq!(scalar_text(&serde_json::json!(5.0)), "5");
        assert_eq!(scalar_text(&serde_json::json!(12.5)), "12.5");
        assert_eq!(scalar_text(&serde_json::json!(true)), "true");
    }

    #[test]
    fn header_values_with_newlines_are_refused() {
        assert!(check_header("op", "x-a", "v\r\nx-b: 1").is_err());
        assert!(check_header("op", "x-a", "tab\tok").is_ok());
    }

    #[test]
    fn dot_segments_are_refused() {
        assert!(check_segment("op", "id", "..").is_err());
        assert!(check_segment("op", "id", "").is_err());
        assert!(check_segment("op", "id", "...").is_ok());
    }
}
