//! The model of `capability.exposes`: the adapters a capability serves (MCP tools, REST
//! resources; `control` adapters are parsed into the same shape).
//!
//! Parsed by `load::exposes` after the consumed operations are indexed, so a tool's `call` is
//! resolved to an operation at load time and a tool that calls nothing says why.

use serde_json::Value;

use super::diag::Location;
use super::template::Template;
use crate::map::Query;

/// One `exposes[]` entry.
#[derive(Debug, Clone)]
pub struct Adapter {
    pub(crate) kind: AdapterKind,
    pub(crate) namespace: String,
    pub(crate) transport: Transport,
    /// Bind address (`address`), `None` when not declared (serve on 127.0.0.1).
    pub(crate) address: Option<String>,
    pub(crate) port: Option<u16>,
    pub(crate) description: Option<String>,
    pub(crate) auth: Option<InboundAuth>,
    pub(crate) tools: Vec<Tool>,
    /// For `type: control`: which endpoints it serves.
    pub(crate) control: Option<ControlSettings>,
    /// REST adapters: adapter-level `inputParameters` (apply to every resource).
    pub(crate) rest_inputs: Vec<RestInput>,
    /// REST adapters: the declared resources, in document order.
    pub(crate) resources: Vec<Resource>,
    /// Skill adapters: the declared skills, in document order.
    pub(crate) skills: Vec<Skill>,
    /// MCP adapters: `resources` (static files or dynamic calls), in document order.
    pub(crate) mcp_resources: Vec<McpResource>,
    /// MCP adapters: `prompts`, in document order.
    pub(crate) prompts: Vec<Prompt>,
    /// Why the adapter cannot be served, if it cannot (a missing port, an unknown type).
    pub(crate) problem: Option<String>,
    pub(crate) location: Location,
}

/// What a `type: control` adapter serves: `management.health` (`/health/live`,
/// `/health/ready`), `management.info` (`/status`) and `observability.enabled`
/// (`/metrics`). All on unless turned off.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ControlSettings {
    /// `/health/live` and `/health/ready`.
    pub health: bool,
    /// `/status`.
    pub info: bool,
    /// `/metrics`.
    pub metrics: bool,
}

impl Default for ControlSettings {
    fn default() -> Self {
        ControlSettings {
            health: true,
            info: true,
            metrics: true,
        }
    }
}

/// What kind of adapter an `exposes[]` entry is.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AdapterKind {
    /// `type: mcp`: tools for AI agents.
    Mcp,
    /// `type: rest`: an HTTP API.
    Rest,
    /// `type: control`: the management port (health, status, metrics).
    Control,
    /// `type: skill`: a read-only catalog of agent skills (tool groups and their files).
    Skill,
    /// Any other type, as written (`skill`, `a2a`, …).
    Other(String),
}

impl AdapterKind {
    /// The type as written in capability files.
    pub fn as_str(&self) -> &str {
        match self {
            AdapterKind::Mcp => "mcp",
            AdapterKind::Rest => "rest",
            AdapterKind::Control => "control",
            AdapterKind::Skill => "skill",
            AdapterKind::Other(s) => s,
        }
    }
}

/// One `resources` entry of an MCP adapter.
#[derive(Debug, Clone)]
pub(crate) struct McpResource {
    pub(crate) name: String,
    /// `label` (the listed title), else the name.
    pub(crate) title: String,
    /// As written; `{param}` placeholders make it a template (one path segment each).
    pub(crate) uri: String,
    pub(crate) description: Option<String>,
    pub(crate) mime_type: Option<String>,
    pub(crate) source: ResourceSource,
}

/// Where a resource's contents come from.
#[derive(Debug, Clone)]
pub(crate) enum ResourceSource {
    /// `location`: every file of the folder, as `<uri>/<relative path>`.
    Files(std::path::PathBuf),
    /// `call`/`steps` (with `with` and `outputParameters`): run as a tool, the URI's
    /// placeholders as its arguments.
    Call(Box<Tool>),
}

/// One `prompts` entry of an MCP adapter.
#[derive(Debug, Clone)]
pub(crate) struct Prompt {
    pub(crate) name: String,
    pub(crate) title: Option<String>,
    pub(crate) description: Option<String>,
    /// `(name, description, required)`.
    pub(crate) arguments: Vec<(String, Option<String>, bool)>,
    pub(crate) body: PromptBody,
}

/// A prompt's messages.
#[derive(Debug, Clone)]
pub(crate) enum PromptBody {
    /// `template`: `(role, text)` messages; `role` is `user` or `assistant`.
    Inline(Vec<(String, String)>),
    /// `location`: one `user` message, the file's text (read when the prompt is got).
    File(std::path::PathBuf),
}

/// One skill of a `type: skill` adapter: metadata, its tools, and the folder its files are
/// served from.
#[derive(Debug, Clone)]
pub(crate) struct Skill {
    pub(crate) name: String,
    pub(crate) description: Option<String>,
    /// `license`, `compatibility`, `argument-hint`, `allowed-tools`, `user-invocable`,
    /// `disable-model-invocation`, as written (JSON values), in that order when present.
    pub(crate) fields: Vec<(&'static str, serde_json::Value)>,
    /// `metadata`: string pairs.
    pub(crate) metadata: Vec<(String, String)>,
    /// `location` (a `file://` URI or a path relative to the capability file), resolved
    /// and canonicalised at load; `None` when not declared or not a readable directory
    /// (then a load warning says why).
    pub(crate) location: Option<std::path::PathBuf>,
    pub(crate) tools: Vec<SkillTool>,
}

/// One tool of a skill.
#[derive(Debug, Clone)]
pub(crate) struct SkillTool {
    pub(crate) name: String,
    pub(crate) description: Option<String>,
    pub(crate) kind: SkillToolKind,
}

/// What a skill tool stands for.
#[derive(Debug, Clone)]
pub(crate) enum SkillToolKind {
    /// `from: {sourceNamespace, action}`: a tool or operation of a sibling adapter; `mode`
    /// is that adapter's type (`mcp`, `rest`), `unknown` when no sibling has the namespace.
    Derived {
        namespace: String,
        action: String,
        mode: &'static str,
    },
    /// `instruction`: a file of the skill's folder the agent reads.
    Instruction(String),
    /// `call: ns.op` (real files write it; upstream refuses it): a consumed operation.
    Call(String),
    /// None of those (a load warning says so): listed by name only.
    Unknown,
}

/// How an MCP adapter talks to its client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// Streamable HTTP (the default).
    Http,
    /// Newline-delimited JSON-RPC on stdin/stdout.
    Stdio,
}

/// The credential a client must present to an adapter.
#[derive(Clone)]
#[non_exhaustive]
pub enum InboundAuth {
    /// `Authorization: Bearer <token>`.
    Bearer {
        /// The expected token (normally one bound variable).
        token: Template,
    },
    /// A key in a header (or query parameter).
    ApiKey {
        /// The header or query parameter name (headers lower case).
        name: String,
        /// True for a query parameter.
        in_query: bool,
        /// The expected key.
        value: Template,
    },
    /// `Authorization: Basic base64(username:password)`.
    Basic {
        /// The expected user name.
        username: Template,
        /// The expected password.
        password: Template,
    },
    /// A scheme the server does not check yet: every request is refused (401) rather than
    /// let through unauthenticated.
    Unsupported {
        /// The declared type.
        kind: String,
    },
}

/// Never shows the expected credential, only where it comes from.
impl std::fmt::Debug for InboundAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let vars = |t: &Template| t.vars().map(|v| v.name().to_string()).collect::<Vec<_>>();
        match self {
            InboundAuth::Bearer { token } => write!(f, "Bearer(from {:?})", vars(token)),
            InboundAuth::ApiKey { name, value, .. } => {
                write!(f, "ApiKey({name}, from {:?})", vars(value))
            }
            InboundAuth::Basic { username, password } => {
                write!(f, "Basic(from {:?}, {:?})", vars(username), vars(password))
            }
            InboundAuth::Unsupported { kind } => write!(f, "Unsupported({kind})"),
        }
    }
}

/// One piece of an exposed REST path, split once at load time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PathPart {
    /// A literal segment (already without `/`).
    Lit(String),
    /// `{x}` or `{{x}}`: one segment.
    Var(String),
    /// `{path}` / `{{path}}`: the rest of the path, any number of segments (forward proxies).
    Rest(String),
}

/// Where an exposed REST input parameter is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RestIn {
    Path,
    Query,
    Header,
    Cookie,
    Body,
}

impl RestIn {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            RestIn::Path => "path",
            RestIn::Query => "query",
            RestIn::Header => "header",
            RestIn::Cookie => "cookie",
            RestIn::Body => "body",
        }
    }
}

/// One exposed REST input parameter (adapter, resource or operation level).
#[derive(Debug, Clone)]
pub(crate) struct RestInput {
    pub(crate) name: String,
    /// Header names are lower case.
    pub(crate) wire_name: String,
    pub(crate) location: RestIn,
    /// JSON Schema type (`string` unless declared).
    pub(crate) ty: String,
    pub(crate) description: Option<String>,
    /// Path parameters always; others when `required: true`.
    pub(crate) required: bool,
    /// For `in: body`: the JSONPath of `value: $.x`.
    pub(crate) select: Option<Query>,
    /// A `value` that is not a JSONPath: a static override.
    pub(crate) fixed: Option<String>,
}

/// `forward`: proxy the request to a consumed namespace.
#[derive(Debug, Clone)]
pub(crate) struct Forward {
    pub(crate) target: String,
    /// The consumer's index, when the namespace exists.
    pub(crate) consumer: Option<usize>,
    /// Lower-case header names copied from the inbound request.
    pub(crate) trusted_headers: Vec<String>,
}

/// One exposed REST resource: a path, its operations and/or a forward.
#[derive(Debug, Clone)]
pub struct Resource {
    pub(crate) path: String,
    pub(crate) name: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) inputs: Vec<RestInput>,
    pub(crate) operations: Vec<RestOperation>,
    pub(crate) forward: Option<Forward>,
    /// Why the resource cannot be served (a forward to an unknown namespace), if so.
    pub(crate) problem: Option<String>,
    pub(crate) location: Location,
}

/// One exposed REST operation: a method on a resource (with an optional sub-`path`).
#[derive(Debug, Clone)]
pub struct RestOperation {
    pub(crate) method: super::Method,
    /// The full path (resource path + the operation's own `path`), as written.
    pub(crate) path: String,
    pub(crate) parts: Vec<PathPart>,
    pub(crate) name: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) inputs: Vec<RestInput>,
    pub(crate) call: Option<ToolCall>,
    pub(crate) with: Vec<(String, WithValue)>,
    pub(crate) outputs: Vec<OutputParam>,
    /// `steps` + `mappings`, its own or those of the aggregate function its `ref` names.
    pub(crate) steps: Option<std::sync::Arc<super::Orchestration>>,
    /// Why it cannot be called, if so (answered 501 with this reason).
    pub(crate) problem: Option<String>,
    pub(crate) location: Location,
}

impl Resource {
    /// The path as written.
    pub fn path(&self) -> &str {
        &self.path
    }
    /// Its `name`, if any.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }
    /// Its operations, in document order.
    pub fn operations(&self) -> &[RestOperation] {
        &self.operations
    }
    /// The consumed namespace requests are forwarded to, if any.
    pub fn forward_target(&self) -> Option<&str> {
        self.forward.as_ref().map(|f| f.target.as_str())
    }
    /// Why the resource cannot be served, if so.
    pub fn problem(&self) -> Option<&str> {
        self.problem.as_deref()
    }
    /// Where it is declared.
    pub fn location(&self) -> &Location {
        &self.location
    }
}

impl RestOperation {
    /// The HTTP method.
    pub fn method(&self) -> super::Method {
        self.method
    }
    /// The full path (resource path and the operation's own `path`).
    pub fn path(&self) -> &str {
        &self.path
    }
    /// The operation called, as written, if any.
    pub fn call(&self) -> Option<&str> {
        self.call.as_ref().map(|c| c.operation.as_str())
    }
    /// Why it cannot be called, if so.
    pub fn problem(&self) -> Option<&str> {
        self.problem.as_deref()
    }
    /// Where it is declared.
    pub fn location(&self) -> &Location {
        &self.location
    }
    /// True when it has path parameters.
    pub fn has_path_params(&self) -> bool {
        self.parts.iter().any(|p| !matches!(p, PathPart::Lit(_)))
    }
}

/// Splits `/a/{x}/{{y}}/{{path}}` into parts; `None` for an unclosed brace.
pub(crate) fn split_path(path: &str) -> Result<Vec<PathPart>, String> {
    let mut parts = Vec::new();
    for seg in path.split('/').filter(|s| !s.is_empty()) {
        let inner = seg
            .strip_prefix("{{")
            .and_then(|s| s.strip_suffix("}}"))
            .or_else(|| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')));
        match inner {
            Some(name) if !name.trim().is_empty() && !name.contains(['{', '}']) => {
                let name = name.trim().to_string();
                parts.push(if name == "path" {
                    PathPart::Rest(name)
                } else {
                    PathPart::Var(name)
                });
            }
            _ if seg.contains(['{', '}']) => {
                return Err(format!(
                    "segment `{seg}` of path `{path}`: a placeholder is a whole segment, `{{x}}` or `{{{{x}}}}`"
                ))
            }
            _ => parts.push(PathPart::Lit(seg.to_string())),
        }
    }
    if let Some(i) = parts.iter().position(|p| matches!(p, PathPart::Rest(_))) {
        if i + 1 != parts.len() {
            return Err(format!(
                "path `{path}`: the multi-segment `{{{{path}}}}` must be the last segment"
            ));
        }
    }
    Ok(parts)
}

/// One declared MCP tool.
#[derive(Debug, Clone)]
pub struct Tool {
    pub(crate) name: String,
    pub(crate) label: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) inputs: Vec<ToolInput>,
    pub(crate) call: Option<ToolCall>,
    /// Tool-level `with` (applied before the call's own).
    pub(crate) with: Vec<(String, WithValue)>,
    pub(crate) outputs: Vec<OutputParam>,
    /// `steps` + `mappings` (orchestration), when declared.
    pub(crate) steps: Option<std::sync::Arc<super::Orchestration>>,
    pub(crate) hints: Hints,
    /// Why the tool cannot be called (its `call` names no callable operation), if so.
    pub(crate) problem: Option<String>,
    pub(crate) location: Location,
}

/// `call: ns.op` (or `{operation, with}`), resolved.
#[derive(Debug, Clone)]
pub struct ToolCall {
    /// As written.
    pub(crate) operation: String,
    /// The operation's index in the capability, when it exists.
    pub(crate) index: Option<usize>,
    /// The call object's own `with`.
    pub(crate) with: Vec<(String, WithValue)>,
}

/// A value injected into the operation's arguments.
#[derive(Debug, Clone, PartialEq)]
pub enum WithValue {
    /// `ns.param`: the tool argument of that name; absent argument → key not set.
    Arg(String),
    /// A string with `{{x}}` placeholders, rendered over the arguments.
    Template(String),
    /// A literal (string, number, boolean, …).
    Literal(Value),
}

/// One tool input parameter.
#[derive(Debug, Clone)]
pub struct ToolInput {
    pub(crate) name: String,
    /// JSON Schema type, `string` unless declared.
    pub(crate) ty: String,
    pub(crate) description: Option<String>,
    /// `required` defaults to true.
    pub(crate) required: bool,
    /// For arrays: the `items` schema as written.
    pub(crate) items: Option<Value>,
}

/// One output parameter: how a tool's result is shaped from the response.
#[derive(Debug, Clone)]
pub struct OutputParam {
    pub(crate) name: Option<String>,
    pub(crate) ty: Option<String>,
    pub(crate) mapping: Option<Query>,
    /// A static (or `{{x}}`-templated) value: mock tools.
    pub(crate) value: Option<Value>,
    pub(crate) properties: Vec<OutputParam>,
    pub(crate) items: Option<Box<OutputParam>>,
    pub(crate) max_length: Option<usize>,
}

/// `hints` → MCP tool annotations. Unset hints stay unset.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Hints {
    pub(crate) read_only: Option<bool>,
    pub(crate) destructive: Option<bool>,
    pub(crate) idempotent: Option<bool>,
    pub(crate) open_world: Option<bool>,
}

impl Adapter {
    /// The adapter type.
    pub fn kind(&self) -> &AdapterKind {
        &self.kind
    }
    /// Its namespace.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }
    /// Its transport.
    pub fn transport(&self) -> Transport {
        self.transport
    }
    /// The declared bind address, if any.
    pub fn address(&self) -> Option<&str> {
        self.address.as_deref()
    }
    /// The declared port, if any.
    pub fn port(&self) -> Option<u16> {
        self.port
    }
    /// Its description (MCP: the `instructions` of `initialize`).
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }
    /// The credential clients must present, if any.
    pub fn auth(&self) -> Option<&InboundAuth> {
        self.auth.as_ref()
    }
    /// For a control adapter: the endpoints it serves.
    pub fn control(&self) -> Option<&ControlSettings> {
        self.control.as_ref()
    }
    /// Declared tools, in document order.
    pub fn tools(&self) -> &[Tool] {
        &self.tools
    }
    /// Declared REST resources, in document order.
    pub fn resources(&self) -> &[Resource] {
        &self.resources
    }
    /// Why the adapter cannot be served, if it cannot.
    pub fn problem(&self) -> Option<&str> {
        self.problem.as_deref()
    }
    /// Where it is declared.
    pub fn location(&self) -> &Location {
        &self.location
    }
}

impl Tool {
    /// The tool name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// `label` (MCP `title`).
    pub fn label(&self) -> Option<&str> {
        self.label.as_deref()
    }
    /// The description.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }
    /// The operation called, as written, if any (mock tools call none).
    pub fn call(&self) -> Option<&str> {
        self.call.as_ref().map(|c| c.operation.as_str())
    }
    /// Why the tool cannot be called, if so.
    pub fn problem(&self) -> Option<&str> {
        self.problem.as_deref()
    }
    /// Where it is declared.
    pub fn location(&self) -> &Location {
        &self.location
    }
}
