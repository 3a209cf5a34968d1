//! The MCP server: tool table ([`tools`]), calls ([`call`]), the rmcp handler
//! ([`handler`]), and its transports ([`http`], [`stdio`]).

mod call;
mod extras;
mod fast;
mod handler;
pub(crate) mod http;
mod stdio;
mod tools;

use std::sync::Arc;
use std::time::Duration;

use crate::metrics::AdapterMetrics;
use crate::spec::{Adapter, AdapterKind};
use crate::{Error, Runtime};

/// What an [`McpServer`] serves and how.
///
/// ```
/// let mut options = naftiko::McpOptions::default();
/// options.allow_writes = true;
/// options.tools = vec!["get_*".into()];
/// assert_eq!(options.page_size, 100);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct McpOptions {
    /// Serve this declared MCP adapter (by namespace) instead of the first one.
    pub adapter: Option<String>,
    /// Serve every callable consumed operation as a tool, even when the capability
    /// declares MCP adapters (a capability without any is always auto-exposed).
    pub auto: bool,
    /// Also auto-expose POST, PUT, PATCH and DELETE operations (default: GET and HEAD only).
    pub allow_writes: bool,
    /// Only tools whose name matches one of these globs (`*` and `?`); empty: all.
    pub tools: Vec<String>,
    /// Three meta-tools (search, describe, call the operations) instead of one tool per
    /// operation, for APIs too large for a client's tool list.
    pub dynamic: bool,
    /// The largest tool result sent, in bytes of JSON text (default 1 MiB); a larger one
    /// is cut, and flagged as an error with a note saying so.
    pub max_result_bytes: usize,
    /// Tools per `tools/list` page (default 100); later pages follow `nextCursor`.
    pub page_size: usize,
    /// The deadline of one tool call (default: the runtime's).
    pub timeout: Option<Duration>,
}

impl Default for McpOptions {
    fn default() -> Self {
        McpOptions {
            adapter: None,
            auto: false,
            allow_writes: false,
            tools: Vec::new(),
            dynamic: false,
            max_result_bytes: 1 << 20,
            page_size: 100,
            timeout: None,
        }
    }
}

/// An MCP server for one capability: the tools of a declared `type: mcp` adapter, or every
/// callable consumed operation. Cheap to clone.
///
/// ```
/// let cap = naftiko::Capability::from_path("specs/vital/users.yaml")?;
/// let rt = naftiko::Runtime::builder(cap).env([("VITAL_API_KEY", "sk_test")]).build()?;
/// let server = naftiko::McpServer::new(rt, naftiko::McpOptions::default())?;
/// assert_eq!(server.namespace(), "auto");
/// assert!(server.tool_names().contains(&"get_user_v2_user__user_id__get"));
/// // server.router(Default::default()) is an axum Router serving /mcp;
/// // server.serve_stdio().await serves stdin/stdout.
/// # Ok::<(), naftiko::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct McpServer {
    pub(crate) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) rt: Runtime,
    pub(crate) options: McpOptions,
    /// The adapter served, `None` when auto-exposed.
    pub(crate) adapter: Option<Adapter>,
    pub(crate) tools: tools::Table,
    /// Secret values to redact from every result (an upstream may echo a key).
    pub(crate) secrets: Vec<crate::Secret>,
    /// Requests and errors per tool (`/metrics` on the control port).
    pub(crate) metrics: Arc<AdapterMetrics>,
}

impl Inner {
    /// The namespace the metrics and spans name (`auto` when auto-exposed).
    pub(crate) fn metrics_namespace(&self) -> &str {
        self.adapter
            .as_ref()
            .map_or("auto", |a| a.namespace.as_str())
    }
}

impl McpServer {
    /// Builds the tool table. Fails when `options.adapter` names no MCP adapter.
    pub fn new(rt: Runtime, options: McpOptions) -> Result<McpServer, Error> {
        let cap = rt.capability();
        let mcp: Vec<&Adapter> = cap
            .adapters()
            .iter()
            .filter(|a| a.kind == AdapterKind::Mcp)
            .collect();
        let adapter = match &options.adapter {
            Some(ns) => Some(
                mcp.iter()
                    .find(|a| a.namespace == *ns)
                    .copied()
                    .cloned()
                    .ok_or_else(|| Error::NoAdapter {
                        kind: "MCP",
                        namespace: Some(ns.clone()),
                        file: cap.file().to_path_buf(),
                        known: mcp.iter().map(|a| a.namespace.clone()).collect(),
                    })?,
            ),
            None if options.auto => None,
            None => mcp.first().copied().cloned(),
        };
        Ok(Self::build(rt, options, adapter))
    }

    /// A server for one declared adapter (what `naftiko serve` starts for each).
    pub fn for_adapter(rt: Runtime, options: McpOptions, adapter: &Adapter) -> McpServer {
        Self::build(rt, options, Some(adapter.clone()))
    }

    fn build(rt: Runtime, options: McpOptions, adapter: Option<Adapter>) -> McpServer {
        let tools = tools::Table::build(&rt, &options, adapter.as_ref());
        let secrets = rt.known_secrets();
        let namespace = adapter.as_ref().map_or("auto", |a| a.namespace.as_str());
        let names = tools.entries.iter().map(|e| &*e.tool.name);
        let metrics = rt.metrics().adapter("mcp", namespace, names);
        McpServer {
            inner: Arc::new(Inner {
                metrics,
                rt,
                options,
                adapter,
                tools,
                secrets,
            }),
        }
    }

    /// The served adapter's namespace (`auto` when auto-exposed).
    pub fn namespace(&self) -> &str {
        self.inner
            .adapter
            .as_ref()
            .map_or("auto", |a| a.namespace.as_str())
    }

    /// The names of the tools served, in list order.
    pub fn tool_names(&self) -> Vec<&str> {
        self.inner
            .tools
            .entries
            .iter()
            .map(|e| &*e.tool.name)
            .collect()
    }

    /// Tools that are listed but cannot be called, with the reason (shown at start-up).
    pub fn tool_problems(&self) -> Vec<(&str, &str)> {
        self.inner
            .tools
            .entries
            .iter()
            .filter_map(|e| Some((&*e.tool.name, e.problem.as_deref()?)))
            .collect()
    }

    /// The served adapter, if a declared one.
    pub fn adapter(&self) -> Option<&Adapter> {
        self.inner.adapter.as_ref()
    }
}

/// `*` and `?` glob match (no character classes).
pub(crate) fn glob(pattern: &str, name: &str) -> bool {
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    let (mut pi, mut ni, mut star, mut mark) = (0, 0, None, 0);
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ni;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ni = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn glob_matches_stars_and_question_marks() {
        assert!(glob("get_*", "get_user"));
        assert!(glob("*user*", "get_user_v2"));
        assert!(glob("a?c", "abc"));
        assert!(!glob("get_*", "post_user"));
        assert!(glob("*", ""));
    }
}
