//! Serving a capability: its MCP adapters (declared tools) or, for any capability, every
//! consumed operation as a tool; and the control port ([`Control`]: health, status,
//! metrics). The last step of the data flow seen from an agent:
//! **expose** → runtime (spec → bind → prepare → send → map).
//!
//! [`McpServer`] holds the tool table built once at start-up; it implements rmcp's
//! `ServerHandler` and is served over stdio ([`McpServer::serve_stdio`]) or streamable HTTP
//! ([`McpServer::router`], an axum `Router` to mount or serve).

mod control;
mod files;
pub(crate) mod inbound_auth;
pub(crate) mod mcp;
mod rest;
pub(crate) mod shape;
mod skill;
mod steps;

pub use control::Control;

pub use mcp::http::HttpOptions;
pub use mcp::{McpOptions, McpServer};
pub use rest::{RestOptions, RestServer};
pub use skill::SkillServer;
