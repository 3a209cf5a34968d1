//! `naftiko mcp`: MCP over stdio. stdout carries only JSON-RPC; every log line goes to stderr.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use naftiko::{Capability, McpOptions, McpServer, Runtime};

use super::call::{base_uris, environment, with_ca_files};
use crate::cli::args::parse_seconds;
use crate::cli::{load, Exit, Failure};

pub(crate) const MCP_HELP: &str = "\
Examples:
  naftiko mcp specs/vital/users.yaml                   # GET/HEAD operations as tools
  naftiko mcp specs/vital/users.yaml --allow-writes    # also POST/PUT/PATCH/DELETE
  naftiko mcp capability.yaml --adapter shipyard-tools # a declared MCP adapter's tools

A file that declares `type: mcp` adapters serves the first one's tools (or --adapter's);
a file with none, or --auto, serves every callable consumed operation.";

/// `naftiko mcp`.
#[derive(Debug, Args)]
pub struct McpArgs {
    /// The capability file (YAML or JSON)
    pub spec: PathBuf,
    /// Serve this declared MCP adapter (by namespace) instead of the first
    #[arg(long, value_name = "NS", conflicts_with = "auto")]
    pub adapter: Option<String>,
    #[command(flatten)]
    pub common: ServeCommon,
    /// Serve every callable consumed operation, even when MCP adapters are declared
    #[arg(long)]
    pub auto: bool,
    /// Total deadline of one tool call in seconds, retries included (default 60)
    #[arg(long, value_name = "SECS", value_parser = parse_seconds)]
    pub timeout: Option<Duration>,
}

/// Flags `mcp` and `serve` share.
#[derive(Debug, Args)]
pub struct ServeCommon {
    /// Also expose POST, PUT, PATCH and DELETE operations (default: GET and HEAD only)
    #[arg(long)]
    pub allow_writes: bool,
    /// Only tools whose name matches one of these globs (`*`, `?`), comma-separated
    #[arg(long, value_name = "GLOB[,GLOB]", value_delimiter = ',')]
    pub tools: Vec<String>,
    /// Three meta-tools (search, describe, call operations) instead of one per operation
    #[arg(long)]
    pub dynamic: bool,
    /// Send to URL instead of the capability's baseUri; `NAMESPACE=URL` when the
    /// capability consumes several APIs (repeatable)
    #[arg(long = "base-uri", value_name = "[NAMESPACE=]URL")]
    pub base_uri: Vec<String>,
    /// Trust the certificate authorities in this PEM file for https calls, besides the
    /// system's (a private CA); `NAMESPACE=PATH` for one namespace only (repeatable)
    #[arg(long = "ca-file", value_name = "[NAMESPACE=]PATH")]
    pub ca_file: Vec<String>,
    /// Read binds (e.g. VITAL_API_KEY) from a dotenv file (repeatable; later files win)
    #[arg(long, value_name = "PATH")]
    pub env_file: Vec<PathBuf>,
    /// Worker threads answering requests (default: one per core the process may use).
    /// `--threads 1` can lower the latency of one call at a time a little when replicas
    /// share the cores (docs/deploy.md); more threads give one process more throughput
    #[arg(long, value_name = "N", env = "NAFTIKO_THREADS", value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub threads: Option<u16>,
}

impl ServeCommon {
    pub(crate) fn options(&self) -> McpOptions {
        let mut o = McpOptions::default();
        o.allow_writes = self.allow_writes;
        o.tools = self
            .tools
            .iter()
            .filter(|t| !t.is_empty())
            .cloned()
            .collect();
        o.dynamic = self.dynamic;
        o
    }

    /// The runtime every served adapter shares.
    pub(crate) fn runtime(
        &self,
        cap: Capability,
        timeout: Option<Duration>,
    ) -> Result<Runtime, Failure> {
        let uris = base_uris(&cap, &self.base_uri)?;
        let mut builder = Runtime::builder(cap);
        if !self.env_file.is_empty() {
            builder = builder.env(environment(&self.env_file)?);
        }
        for (ns, uri) in uris {
            builder = builder.base_uri(ns, uri);
        }
        builder = with_ca_files(builder, &self.ca_file);
        if let Some(t) = timeout {
            builder = builder.timeout(t);
        }
        Ok(builder.build()?)
    }
}

/// Says on stderr what is served and which tools cannot be called (never silently).
pub(crate) fn announce(server: &McpServer, file: &std::path::Path) {
    eprintln!(
        "naftiko: MCP adapter `{}` of {}: {} tool(s)",
        server.namespace(),
        file.display(),
        server.tool_names().len()
    );
    for (tool, why) in server.tool_problems() {
        eprintln!("naftiko: warning: tool `{tool}` is listed but cannot be called: {why}");
    }
}

/// The servers' async runtime: `threads` workers, else tokio's default (one per core the
/// process may use, or `TOKIO_WORKER_THREADS`).
pub(crate) fn tokio_runtime(threads: Option<u16>) -> Result<tokio::runtime::Runtime, Failure> {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = threads {
        builder.worker_threads(usize::from(n));
    }
    builder
        .enable_all()
        .build()
        .map_err(|e| Failure::invalid(format!("cannot start the async runtime: {e}")))
}

/// Runs `naftiko mcp`.
pub fn run(a: &McpArgs) -> Result<Exit, Failure> {
    let cap = load(&a.spec)?;
    let rt = a.common.runtime(cap, a.timeout)?;
    let mut options = a.common.options();
    options.adapter = a.adapter.clone();
    options.auto = a.auto;
    options.timeout = a.timeout;
    let server = McpServer::new(rt, options)?;
    announce(&server, &a.spec);
    tokio_runtime(a.common.threads)?
        .block_on(server.serve_stdio())
        .map_err(|e| Failure::invalid(format!("MCP over stdio failed: {e}")))?;
    Ok(Exit::Ok)
}
