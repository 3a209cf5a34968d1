//! The model of `capability.exposes`: the adapters a capability serves (MCP now; REST and
//! `control` adapters are parsed into the same shape so their servers can be added next).
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
    /// Why the adapter cannot be served, if it cannot (a missing port, an unknown type).
    pub(crate) problem: Option<String>,
    pub(crate) location: Location,
}

/// What kind of adapter an `exposes[]` entry is.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AdapterKind {
    /// `type: mcp`: tools for AI agents.
    Mcp,
    /// `type: rest`: an HTTP API (not served yet).
    Rest,
    /// `type: control`: the management port (not served yet).
    Control,
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
            AdapterKind::Other(s) => s,
        }
    }
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
            InboundAuth::Unsupported { kind } => write!(f, "Unsupported({kind})"),
        }
    }
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
    /// Declared tools, in document order.
    pub fn tools(&self) -> &[Tool] {
        &self.tools
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
