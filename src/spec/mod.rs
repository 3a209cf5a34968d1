//! The capability model (loaded by `crate::load`): the first step of the data flow
//! (**spec** → bind → prepare → send → map).
//!
//! A [`Capability`] is loaded once, from YAML or JSON, in either dialect found in the wild
//! (the schema's `authentication`/`{{var}}`/kebab names, or the published `auth`/`{var}`/typed
//! parameters). Everything that can be decided without the call's arguments is decided here:
//! templates are parsed, JSONPath expressions compiled, imports resolved and operations indexed.

mod base_uri;
mod diag;
mod exposes;
mod pagination;
mod steps;
pub(crate) mod template;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub(crate) use base_uri::check_base_uri as check_base_uri_text;
pub use diag::Pos;
pub use diag::{Diagnostic, Location, Severity, SpecError};
pub(crate) use exposes::{
    split_path, Forward, McpResource, PathPart, Prompt, PromptBody, ResourceSource, RestIn,
    RestInput, Skill, SkillTool, SkillToolKind, ToolCall,
};
pub use exposes::{
    Adapter, AdapterKind, ControlSettings, Hints, InboundAuth, OutputParam, Resource,
    RestOperation, Tool, ToolInput, Transport, WithValue,
};
pub use pagination::{PageError, PageStyle, Pagination};
pub(crate) use steps::{
    Aggregate, Function, LookupValue, Orchestration, Semantics, Step, StepKind, StepMapping,
};
pub use template::{Part, Template, Var};

use crate::map::OutputMap;

/// A loaded capability: its consumed HTTP operations, binds and diagnostics.
///
/// ```
/// let cap = naftiko::Capability::from_path("specs/vital/users.yaml")?;
/// assert_eq!(cap.operations().len(), 19);
/// let op = cap.operation("get_user_v2_user__user_id__get")?;
/// assert_eq!(op.path_template(), "/v2/user/{user_id}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Capability {
    pub(crate) file: Arc<Path>,
    pub(crate) version: Option<String>,
    pub(crate) label: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) consumers: Vec<Consumer>,
    pub(crate) operations: Vec<Operation>,
    /// `name`, `namespace.name` and `namespace.resource.name` → operation indices.
    pub(crate) index: rustc_hash::FxHashMap<std::sync::Arc<str>, OpIds>,
    pub(crate) binds: Vec<Bind>,
    pub(crate) diagnostics: Vec<Diagnostic>,
    /// `capability.exposes` (mcp helper hook).
    pub(crate) exposes: Vec<Adapter>,
    /// `capability.aggregates` (functions tools `ref`).
    pub(crate) aggregates: Vec<Aggregate>,
}

/// One consumed HTTP API (`consumes[]` entry).
#[derive(Debug, Clone)]
pub struct Consumer {
    pub(crate) namespace: String,
    pub(crate) base_uri: Template,
    pub(crate) base_uri_problem: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) auth: Option<Auth>,
    /// `caPath`: a PEM file of certificate authorities trusted for this API besides the
    /// system's (a private CA).
    pub(crate) ca_path: Option<Template>,
    /// Consumer-level `inputParameters` (also merged into each operation), for `forward`.
    pub(crate) params: Vec<Param>,
}

/// How a consumed API authenticates.
///
/// Its `Debug` shows where each credential comes from (`{VITAL_API_KEY}`), and `***` for any
/// credential text written literally in the capability.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Auth {
    /// A key sent in a header, query parameter, cookie, path placeholder or body field.
    ApiKey {
        /// Where the key goes.
        placement: KeyPlacement,
        /// The header, parameter, cookie, placeholder or field name.
        name: String,
        /// The key's value (normally one bound variable).
        value: Template,
    },
    /// `Authorization: Bearer <token>`.
    Bearer {
        /// The token.
        token: Template,
    },
    /// `Authorization: Basic base64(username:password)`.
    Basic {
        /// The user name.
        username: Template,
        /// The password.
        password: Template,
    },
    /// Several query parameters (`type: query` with `parameters[]`).
    QueryParams {
        /// Name and value of each parameter.
        params: Vec<(String, Template)>,
    },
    /// An authentication scheme this runtime does not implement yet, or one declared
    /// without what it needs.
    Unsupported {
        /// The declared type, e.g. `aws-sig-v4`.
        kind: String,
        /// Why it cannot be used, in a few words.
        reason: String,
    },
    /// OAuth 2.0 client credentials (RFC 6749 §4.4): a token fetched from `token_url`,
    /// cached, sent as `Authorization: Bearer`.
    OAuth2 {
        /// The token endpoint (`tokenUrl` or `tokenEndpoint`).
        token_url: Template,
        /// The client id.
        client_id: Template,
        /// The client secret.
        client_secret: Template,
        /// The scopes asked for (sent space-separated; none when empty).
        scopes: Vec<String>,
        /// The `audience` form field some providers ask for.
        audience: Option<Template>,
        /// How the client authenticates to the token endpoint.
        client_auth: ClientAuth,
    },
    /// HTTP Digest (RFC 7616): the server's challenge answered with a hash of the password.
    Digest {
        /// The user name.
        username: Template,
        /// The password.
        password: Template,
    },
    /// A TLS client certificate (mutual TLS): a PKCS#12 file with its password, or a PEM
    /// certificate (chain) with a PEM private key.
    Certificate {
        /// The certificate file (`certPath`): PKCS#12 when `cert_password` is given, else PEM.
        cert_path: Template,
        /// The PKCS#12 password (`certPassword`).
        cert_password: Option<Template>,
        /// The PEM private key (`keyPath`), when the certificate is PEM.
        key_path: Option<Template>,
    },
    /// OAuth 1.0a (`type: oauth1`): every attempt signed with a fresh nonce and timestamp.
    OAuth1 {
        /// `oauth_consumer_key`.
        consumer_key: Template,
        /// The RSA private key (inline PEM, or the path of a PEM or PKCS#12 file), for
        /// `RSA-SHA256`.
        signing_key: Option<Template>,
        /// The password of a PKCS#12 `signingKey` (`signingKeyPassword`).
        signing_key_password: Option<Template>,
        /// `consumerSecret`, for the HMAC methods.
        consumer_secret: Option<Template>,
        /// `oauth_token`, optional.
        token: Option<Template>,
        /// `tokenSecret`, for the HMAC methods.
        token_secret: Option<Template>,
        /// The signature method.
        method: OAuth1Method,
    },
    /// Veracode HMAC (`type: hmac`): `Authorization: VERACODE-HMAC-SHA-256 id=…,ts=…,nonce=…,sig=…`.
    Hmac {
        /// The API key id.
        api_id: Template,
        /// The API key secret (hex).
        api_key: Template,
    },
    /// AWS Signature Version 4 (`type: aws-sig-v4`).
    AwsSigV4 {
        /// The access key id.
        access_key_id: Template,
        /// The secret access key.
        secret_key: Template,
        /// The region (`us-east-1`).
        region: Template,
        /// The service (`execute-api`, `apigateway`).
        service: Template,
        /// A session token (temporary credentials), sent as `x-amz-security-token`.
        session_token: Option<Template>,
    },
}

/// How an OAuth 2.0 client authenticates to its token endpoint (RFC 6749 §2.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClientAuth {
    /// HTTP Basic with the URL-encoded client id and secret (`client_secret_basic`).
    #[default]
    Basic,
    /// `client_id` and `client_secret` in the form body (`client_secret_post`).
    Post,
}

/// The `signatureMethod` of OAuth 1.0a.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuth1Method {
    /// RSA PKCS#1 v1.5 over SHA-256, Mastercard's base string (the default).
    RsaSha256,
    /// HMAC-SHA1, RFC 5849.
    HmacSha1,
    /// HMAC-SHA256, RFC 5849 with SHA-256.
    HmacSha256,
}

/// A credential template with its literal text hidden (for `Auth`'s `Debug`).
struct Masked<'a>(&'a Template);

impl std::fmt::Debug for Masked<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut out = String::new();
        for p in &self.0.parts {
            match p {
                template::Part::Lit(_) => out.push_str(crate::secret::REDACTED),
                template::Part::Var(v) => {
                    out.push('{');
                    out.push_str(v.name());
                    out.push('}');
                }
            }
        }
        write!(f, "{out:?}")
    }
}

impl std::fmt::Debug for Auth {
    // Over 100 lines: one arm per scheme, each listing its fields with every credential
    // masked; flat and exhaustive on purpose (a new scheme does not compile until it says
    // what it hides).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::ApiKey {
                placement,
                name,
                value,
            } => f
                .debug_struct("ApiKey")
                .field("placement", placement)
                .field("name", name)
                .field("value", &Masked(value))
                .finish(),
            Auth::Bearer { token } => f
                .debug_struct("Bearer")
                .field("token", &Masked(token))
                .finish(),
            Auth::Basic { username, password } => f
                .debug_struct("Basic")
                .field("username", &Masked(username))
                .field("password", &Masked(password))
                .finish(),
            Auth::QueryParams { params } => f
                .debug_struct("QueryParams")
                .field(
                    "params",
                    &params
                        .iter()
                        .map(|(n, t)| (n, Masked(t)))
                        .collect::<Vec<_>>(),
                )
                .finish(),
            Auth::Unsupported { kind, reason } => f
                .debug_struct("Unsupported")
                .field("kind", kind)
                .field("reason", reason)
                .finish(),
            Auth::OAuth2 {
                token_url,
                client_id,
                client_secret,
                scopes,
                audience,
                client_auth,
            } => f
                .debug_struct("OAuth2")
                .field("token_url", &Masked(token_url))
                .field("client_id", &Masked(client_id))
                .field("client_secret", &Masked(client_secret))
                .field("scopes", scopes)
                .field("audience", &audience.as_ref().map(Masked))
                .field("client_auth", client_auth)
                .finish(),
            Auth::Digest { username, password } => f
                .debug_struct("Digest")
                .field("username", &Masked(username))
                .field("password", &Masked(password))
                .finish(),
            Auth::Certificate {
                cert_path,
                cert_password,
                key_path,
            } => f
                .debug_struct("Certificate")
                .field("cert_path", &Masked(cert_path))
                .field("cert_password", &cert_password.as_ref().map(Masked))
                .field("key_path", &key_path.as_ref().map(Masked))
                .finish(),
            Auth::OAuth1 {
                consumer_key,
                signing_key,
                signing_key_password,
                method,
                ..
            } => f
                .debug_struct("OAuth1")
                .field("consumer_key", &Masked(consumer_key))
                .field("signing_key", &signing_key.as_ref().map(Masked))
                .field(
                    "signing_key_password",
                    &signing_key_password.as_ref().map(Masked),
                )
                .field("method", method)
                .finish_non_exhaustive(),
            Auth::Hmac { api_id, api_key } => f
                .debug_struct("Hmac")
                .field("api_id", &Masked(api_id))
                .field("api_key", &Masked(api_key))
                .finish(),
            Auth::AwsSigV4 {
                access_key_id,
                secret_key,
                region,
                service,
                session_token,
            } => f
                .debug_struct("AwsSigV4")
                .field("access_key_id", &Masked(access_key_id))
                .field("secret_key", &Masked(secret_key))
                .field("region", &Masked(region))
                .field("service", &Masked(service))
                .field("session_token", &session_token.as_ref().map(Masked))
                .finish(),
        }
    }
}

/// Where an API key goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyPlacement {
    /// A request header.
    Header,
    /// A query parameter.
    Query,
    /// A cookie.
    Cookie,
    /// A placeholder of the same name in the base URI or path.
    Path,
    /// A field of the JSON request body.
    Body,
}

/// A bind: where template variables take their secret values from.
#[derive(Debug, Clone)]
pub struct Bind {
    pub(crate) namespace: String,
    /// `None`: the environment. `Some(path)`: a flat YAML or JSON file.
    pub(crate) file: Option<PathBuf>,
    /// Template variable → key at the source.
    pub(crate) keys: Vec<(String, String)>,
    /// Why the bind's source cannot be read (an unsupported location scheme).
    pub(crate) unsupported: Option<String>,
}

/// Where a parameter goes in the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ParamIn {
    /// A path segment.
    Path,
    /// A query parameter.
    Query,
    /// A header.
    Header,
    /// A cookie.
    Cookie,
    /// The JSON body (the whole body or one of its fields).
    Body,
    /// Not sent: read from the environment (schema's `in: environment`).
    Environment,
}

impl ParamIn {
    /// The lower-case name used in capability files.
    pub fn as_str(self) -> &'static str {
        match self {
            ParamIn::Path => "path",
            ParamIn::Query => "query",
            ParamIn::Header => "header",
            ParamIn::Cookie => "cookie",
            ParamIn::Body => "body",
            ParamIn::Environment => "environment",
        }
    }
}

/// The declared JSON type of a parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ParamType {
    /// A JSON string.
    String,
    /// A JSON number without a fractional part.
    Integer,
    /// Any JSON number.
    Number,
    /// `true` or `false`.
    Boolean,
    /// A JSON object.
    Object,
    /// A JSON array.
    Array,
    /// Any JSON value (no `type`, or a type this runtime does not know).
    Any,
}

impl ParamType {
    /// The name used in capability files and JSON Schema.
    pub fn as_str(self) -> &'static str {
        match self {
            ParamType::String => "string",
            ParamType::Integer => "integer",
            ParamType::Number => "number",
            ParamType::Boolean => "boolean",
            ParamType::Object => "object",
            ParamType::Array => "array",
            ParamType::Any => "any",
        }
    }
}

/// An input parameter of an operation (from the consumer, the resource or the operation).
#[derive(Debug, Clone)]
pub struct Param {
    pub(crate) name: String,
    /// The name as sent: lower case for headers (HTTP names are case-insensitive).
    pub(crate) wire_name: String,
    pub(crate) location: ParamIn,
    pub(crate) ty: ParamType,
    pub(crate) required: bool,
    pub(crate) description: Option<String>,
    /// A fixed or templated value sent when the caller gives none.
    pub(crate) value: Option<Template>,
    pub(crate) source: Location,
}

impl Param {
    /// The parameter's name (the argument key).
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Where it goes.
    pub fn location(&self) -> ParamIn {
        self.location
    }
    /// Its declared type.
    pub fn ty(&self) -> ParamType {
        self.ty
    }
    /// Whether the call must give it.
    pub fn required(&self) -> bool {
        self.required
    }
    /// Its description, if any.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref().filter(|d| !d.is_empty())
    }
    /// True when the capability gives it a fixed or templated value.
    pub fn has_default(&self) -> bool {
        self.value.is_some()
    }
    /// Where it is declared.
    pub fn source(&self) -> &Location {
        &self.source
    }
}

/// A piece of the URL path after the base URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Segment {
    /// Literal path text, percent-encoded at load where a URL path needs it.
    Lit(String),
    /// A variable whose value becomes exactly one percent-encoded path segment.
    Var(Var),
    /// A placeholder nothing can fill: the operation is refused at call time.
    Unfilled(String),
}

/// The request body an operation sends.
#[derive(Debug, Clone)]
pub(crate) enum BodySpec {
    /// Built from `in: body` parameters: one object-typed (or `body`) parameter is the whole
    /// body, several become the fields of one object.
    Params,
    /// A JSON template (`body: {type: json, data: …}` or a JSON string template), rendered
    /// structurally: values are inserted as JSON, never spliced into text.
    Json(JsonTemplate),
    /// A text template with its content type (`text`, `xml`, `sparql`).
    Text(Template, &'static str),
    /// `formUrlEncoded`: field name → value template.
    Form(Vec<(String, Template)>),
    /// `multipartForm`: the parts, in order (`multipart/form-data`, a boundary per request).
    Multipart(Vec<PartSpec>),
}

/// One part of a `multipartForm` body: `name` and `contentType` are literal, `value` and
/// `filename` templates (an argument's text goes into the part as it is, never into its headers
/// unescaped).
#[derive(Debug, Clone)]
pub(crate) struct PartSpec {
    /// The form field's name (`Content-Disposition: form-data; name="…"`).
    pub(crate) name: String,
    /// The part's content.
    pub(crate) value: Template,
    /// A file name: the part is a file upload.
    pub(crate) filename: Option<Template>,
    /// The part's own `Content-Type`.
    pub(crate) content_type: Option<String>,
}

/// A JSON value with variables in it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum JsonTemplate {
    /// A value without variables.
    Lit(serde_json::Value),
    /// A string that is exactly one variable: replaced by the variable's JSON value
    /// (an unset optional argument removes the field).
    Var(Var),
    /// A string mixing text and variables: rendered as a string.
    Str(Template),
    /// An array.
    Array(Vec<JsonTemplate>),
    /// An object.
    Object(Vec<(String, JsonTemplate)>),
}

/// HTTP methods an operation may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    /// GET
    Get,
    /// POST
    Post,
    /// PUT
    Put,
    /// PATCH
    Patch,
    /// DELETE
    Delete,
    /// HEAD
    Head,
    /// OPTIONS
    Options,
}

impl BodySpec {
    /// Calls `f` on every variable of the body template, in document order: the one walk
    /// behind both the argument names a call may pass and the secrets a body needs.
    pub(crate) fn visit_vars(&self, f: &mut impl FnMut(&Var)) {
        match self {
            BodySpec::Json(t) => t.visit_vars(f),
            BodySpec::Text(t, _) => t.vars().for_each(&mut *f),
            BodySpec::Form(fields) => fields.iter().for_each(|(_, t)| t.vars().for_each(&mut *f)),
            BodySpec::Multipart(parts) => {
                for p in parts {
                    p.value.vars().for_each(&mut *f);
                    p.filename.iter().for_each(|t| t.vars().for_each(&mut *f));
                }
            }
            BodySpec::Params => {}
        }
    }
}

impl JsonTemplate {
    fn visit_vars(&self, f: &mut impl FnMut(&Var)) {
        match self {
            JsonTemplate::Lit(_) => {}
            JsonTemplate::Var(v) => f(v),
            JsonTemplate::Str(t) => t.vars().for_each(&mut *f),
            JsonTemplate::Array(items) => items.iter().for_each(|i| i.visit_vars(f)),
            JsonTemplate::Object(fields) => fields.iter().for_each(|(_, v)| v.visit_vars(f)),
        }
    }
}

impl Method {
    /// The upper-case method name.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
            Method::Head => "HEAD",
            Method::Options => "OPTIONS",
        }
    }

    /// Idempotent methods (RFC 9110 §9.2.2) may be retried after the request reached the server.
    pub fn is_idempotent(self) -> bool {
        !matches!(self, Method::Post | Method::Patch)
    }

    pub(crate) fn parse(s: &str) -> Option<Method> {
        Some(match s.to_ascii_uppercase().as_str() {
            "GET" => Method::Get,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "PATCH" => Method::Patch,
            "DELETE" => Method::Delete,
            "HEAD" => Method::Head,
            "OPTIONS" => Method::Options,
            _ => return None,
        })
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The operations one index key names: almost always one, kept inline (no allocation per key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OpIds {
    /// The only operation with this key.
    One(usize),
    /// Several (an ambiguous short name), in declaration order.
    Many(Vec<usize>),
}

impl OpIds {
    pub(crate) fn as_slice(&self) -> &[usize] {
        match self {
            OpIds::One(i) => std::slice::from_ref(i),
            OpIds::Many(v) => v,
        }
    }

    /// Adds `i` unless it is there already.
    pub(crate) fn add(&mut self, i: usize) {
        match self {
            OpIds::One(first) if *first != i => *self = OpIds::Many(vec![*first, i]),
            OpIds::Many(v) if !v.contains(&i) => v.push(i),
            _ => {}
        }
    }
}

/// A consumed HTTP operation, ready to be prepared.
#[derive(Debug, Clone)]
pub struct Operation {
    pub(crate) consumer: usize,
    /// `namespace.name`, computed once.
    pub(crate) qualified: std::sync::Arc<str>,
    pub(crate) namespace: String,
    pub(crate) resource: String,
    pub(crate) name: String,
    pub(crate) method: Method,
    pub(crate) description: Option<String>,
    pub(crate) segments: Vec<Segment>,
    /// Declared path parameters the capability placed nowhere, appended to the path.
    pub(crate) appended: Vec<String>,
    pub(crate) params: Vec<Param>,
    pub(crate) body: Option<BodySpec>,
    pub(crate) output: OutputMap,
    /// Response format declared by `outputRawFormat`.
    pub(crate) format: crate::decode::Format,
    /// Why the operation cannot be called yet, if it cannot.
    pub(crate) unsupported: Option<String>,
    /// Names the call accepts as arguments (parameters and template variables), sorted.
    pub(crate) arg_names: Vec<String>,
    /// How to fetch every page (`pagination:`, or inferred from offset and limit).
    pub(crate) pagination: Option<Pagination>,
    pub(crate) location: Location,
}

impl Operation {
    /// The operation's name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The consumer namespace it belongs to.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }
    /// The resource it is declared under.
    pub fn resource(&self) -> &str {
        &self.resource
    }
    /// `namespace.name`: the name that always addresses this operation unless the
    /// namespace itself declares the name twice.
    pub fn qualified_name(&self) -> String {
        self.qualified.to_string()
    }
    /// The HTTP method.
    pub fn method(&self) -> Method {
        self.method
    }
    /// How to fetch every page, if the operation pages ([`Runtime::pages`](crate::Runtime::pages)).
    pub fn pagination(&self) -> Option<&Pagination> {
        self.pagination.as_ref()
    }
    /// The description, if any.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref().filter(|d| !d.is_empty())
    }
    /// Declared path parameters that have no placeholder in the path, in declaration order:
    /// the runtime appends them as trailing segments (the loader warns about each).
    pub fn appended_path_params(&self) -> &[String] {
        &self.appended
    }
    /// The path after the base URI, with `{name}` placeholders, as the runtime will build it
    /// (path parameters that the capability did not place are appended).
    pub fn path_template(&self) -> String {
        let mut out = String::new();
        for s in &self.segments {
            match s {
                Segment::Lit(t) => out.push_str(t),
                Segment::Var(v) => {
                    out.push('{');
                    out.push_str(v.name());
                    out.push('}');
                }
                Segment::Unfilled(n) => {
                    out.push('{');
                    out.push_str(n);
                    out.push('}');
                }
            }
        }
        out
    }
    /// Every parameter the operation takes: consumer-level, resource-level, then its own.
    pub fn params(&self) -> &[Param] {
        &self.params
    }
    /// The names of the required parameters that have no default value.
    pub fn required_params(&self) -> impl Iterator<Item = &Param> {
        self.params
            .iter()
            .filter(|p| p.required && p.value.is_none())
    }
    /// The declared response format (`json` unless the capability says otherwise).
    pub fn format(&self) -> &str {
        self.format.as_str()
    }
    /// The declared response format, parsed: whether the runtime decodes it is
    /// [`Format::is_decoded`](crate::Format::is_decoded).
    pub fn response_format(&self) -> &crate::decode::Format {
        &self.format
    }
    /// The output mapping, written as the capability declares it (`{"result": "$."}`, …).
    pub fn output_mapping(&self) -> serde_json::Value {
        self.output.describe()
    }
    /// Why the operation cannot be called yet, if it cannot.
    pub fn unsupported(&self) -> Option<&str> {
        self.unsupported.as_deref()
    }
    /// Placeholders in the path that no parameter or bind fills; such operations are refused.
    pub fn unfilled_placeholders(&self) -> Vec<&str> {
        self.segments
            .iter()
            .filter_map(|s| match s {
                Segment::Unfilled(n) => Some(n.as_str()),
                _ => None,
            })
            .collect()
    }
    /// Where the operation is declared.
    pub fn location(&self) -> &Location {
        &self.location
    }
    /// Decodes a response body in the operation's format and applies its output mapping:
    /// what [`Runtime::call`](crate::Runtime::call) returns, for a body obtained with
    /// [`Runtime::execute`](crate::Runtime::execute). An empty body is `null`.
    ///
    /// ```
    /// let cap = naftiko::Capability::from_path("specs/vital/users.yaml")?;
    /// let op = cap.operation("get_user_v2_user__user_id__get")?;
    /// assert_eq!(op.map_response(br#"{"user_id": "u-1"}"#)?, serde_json::json!({"result": {"user_id": "u-1"}}));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn map_response(&self, body: &[u8]) -> Result<serde_json::Value, crate::MapError> {
        let value = self.format.decode(&self.qualified, body)?;
        Ok(self.output.apply(value))
    }
    /// Every argument name a call accepts: the parameters, plus the variables that templates
    /// (body, base URI, parameter values) take from the arguments. Sorted.
    pub fn argument_names(&self) -> &[String] {
        &self.arg_names
    }
    /// The declared parameter behind an argument name, if it is a parameter.
    pub fn param(&self, name: &str) -> Option<&Param> {
        self.params.iter().find(|p| p.name == name)
    }
    /// A JSON Schema (draft 2020-12) of the call's arguments: one property per argument,
    /// typed when the capability declares a type, `required` for required parameters
    /// without a default, and no other properties.
    ///
    /// ```
    /// let cap = naftiko::Capability::from_path("specs/vital/users.yaml")?;
    /// let schema = cap.operation("get_teams_users_v2_user_get")?.args_schema();
    /// assert_eq!(schema["properties"]["limit"]["type"], "integer");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn args_schema(&self) -> serde_json::Value {
        use serde_json::{json, Map, Value};
        let mut properties = Map::new();
        for name in &self.arg_names {
            let mut prop = Map::new();
            match self.param(name) {
                Some(p) => {
                    if p.ty != ParamType::Any {
                        prop.insert("type".into(), Value::from(p.ty.as_str()));
                    }
                    if let Some(d) = p.description() {
                        prop.insert("description".into(), Value::from(d));
                    }
                    prop.insert("x-naftiko-in".into(), Value::from(p.location.as_str()));
                }
                None => {
                    prop.insert(
                        "description".into(),
                        Value::from("Used by a template of the operation."),
                    );
                }
            }
            properties.insert(name.clone(), Value::Object(prop));
        }
        let required: Vec<&str> = self.required_params().map(|p| p.name.as_str()).collect();
        json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": self.qualified_name(),
            "description": self.description().unwrap_or_default(),
            "type": "object",
            "properties": properties,
            "required": required,
            "additionalProperties": false
        })
    }
}

/// Why an operation name could not be found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LookupError {
    /// No operation has this name.
    #[error("unknown operation `{name}` in {file}{}", did_you_mean(suggestion.as_deref()))]
    Unknown {
        /// The name asked for.
        name: String,
        /// The capability file.
        file: String,
        /// The closest existing name, if any is close.
        suggestion: Option<String>,
    },
    /// Several operations have this name; a qualified name is needed.
    #[error("operation name `{name}` is ambiguous in {file}: use one of {}", candidates.join(", "))]
    Ambiguous {
        /// The name asked for.
        name: String,
        /// The capability file.
        file: String,
        /// Names that address each candidate uniquely.
        candidates: Vec<String>,
    },
}

pub(crate) fn did_you_mean(s: Option<&str>) -> String {
    s.map(|s| format!("; did you mean `{s}`?"))
        .unwrap_or_default()
}

/// ` (did you mean `x`?)`, for messages that go on after the suggestion.
pub(crate) fn did_you_mean_inline(s: Option<&str>) -> String {
    s.map(|s| format!(" (did you mean `{s}`?)"))
        .unwrap_or_default()
}

/// The closest candidate by Jaro-Winkler similarity, if it is close enough to be a likely typo.
pub(crate) fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<String> {
    candidates
        .map(|c| (strsim::jaro_winkler(name, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c.to_string())
}

/// The operation name a mistyped or partial `name` most likely means: the shortest name
/// it begins (`get_teams` → `get_teams_users_v2_user_get`), else the shortest name that
/// contains it (`teams_users`), case-insensitively; else the closest by spelling.
fn closest_operation<'a>(
    name: &str,
    names: impl Iterator<Item = &'a str> + Clone,
) -> Option<String> {
    let lower = name.to_lowercase();
    let shortest = |keep: &dyn Fn(&str) -> bool| {
        names
            .clone()
            .filter(|n| keep(&n.to_lowercase()))
            .min_by_key(|n| (n.len(), *n))
            .map(str::to_string)
    };
    if lower.is_empty() {
        return None;
    }
    shortest(&|n| n.starts_with(&lower))
        .or_else(|| shortest(&|n| n.contains(&lower)))
        .or_else(|| closest(name, names))
}

/// How a capability is loaded.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct LoadOptions {
    /// Also record every deviation from the `1.0.0-alpha2` schema
    /// ([`Severity::Deviation`]), as strict validation reports them. Off by default: running
    /// a capability does not need them, and finding them costs a fifth of a load.
    pub schema_deviations: bool,
}

impl LoadOptions {
    /// Options for strict validation: deviations from the schema are recorded.
    pub fn strict() -> LoadOptions {
        LoadOptions {
            schema_deviations: true,
        }
    }
}

impl Capability {
    // The constructors (`from_path`, `from_path_with`, `from_str_named`) are in
    // `crate::load`, beside the code they run: the model does not depend on its loader.

    /// The file the capability was loaded from.
    pub fn file(&self) -> &Path {
        &self.file
    }
    /// The declared `naftiko` version, if any.
    pub fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }
    /// `info.label`.
    pub fn label(&self) -> Option<&str> {
        self.label.as_deref()
    }
    /// `info.description`.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }
    /// Every consumed operation, in document order.
    pub fn operations(&self) -> &[Operation] {
        &self.operations
    }
    /// The consumer namespaces, in document order.
    pub fn namespaces(&self) -> impl Iterator<Item = &str> {
        self.consumers.iter().map(|c| c.namespace.as_str())
    }
    /// The base URI template of a namespace, as written.
    pub fn base_uri(&self, namespace: &str) -> Option<String> {
        self.consumers
            .iter()
            .find(|c| c.namespace == namespace)
            .map(|c| c.base_uri.display())
    }
    /// The description of a namespace, if any.
    pub fn namespace_description(&self, namespace: &str) -> Option<&str> {
        self.consumers
            .iter()
            .find(|c| c.namespace == namespace)
            .and_then(|c| c.description.as_deref())
    }
    /// The authentication of a namespace.
    pub fn auth(&self, namespace: &str) -> Option<&Auth> {
        self.consumers
            .iter()
            .find(|c| c.namespace == namespace)
            .and_then(|c| c.auth.as_ref())
    }
    /// Everything the loader noticed: errors that make part of the capability unusable,
    /// warnings, and (for strict validation) deviations from the schema.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// The served adapters (`capability.exposes`), in document order.
    pub fn adapters(&self) -> &[Adapter] {
        &self.exposes
    }

    /// Finds an operation by `name` (when unique), `namespace.name`, or
    /// `namespace.resource.name`.
    pub fn operation(&self, name: &str) -> Result<&Operation, LookupError> {
        self.operation_index(name).map(|i| &self.operations[i])
    }

    pub(crate) fn operation_index(&self, name: &str) -> Result<usize, LookupError> {
        match self.index.get(name).map(OpIds::as_slice) {
            Some([one]) => Ok(*one),
            Some(many) if !many.is_empty() => Err(LookupError::Ambiguous {
                name: name.to_string(),
                file: self.file.display().to_string(),
                candidates: many
                    .iter()
                    .map(|&i| {
                        let op = &self.operations[i];
                        let qualified = op.qualified_name();
                        if self
                            .index
                            .get(qualified.as_str())
                            .is_some_and(|v| v.as_slice().len() == 1)
                        {
                            qualified
                        } else {
                            format!("{}.{}.{}", op.namespace, op.resource, op.name)
                        }
                    })
                    .collect(),
            }),
            _ => Err(LookupError::Unknown {
                name: name.to_string(),
                file: self.file.display().to_string(),
                suggestion: closest_operation(name, self.index.keys().map(|k| &**k)),
            }),
        }
    }
}
