//! `naftiko serve`: every declared HTTP adapter on its port (MCP now), plus an optional
//! auto-exposed MCP adapter. One readiness line per adapter on stdout once it accepts
//! connections; logs on stderr; SIGTERM/SIGINT stop accepting, finish calls, exit 0.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;
use naftiko::{AdapterKind, HttpOptions, McpServer, Transport};
use tokio_util::sync::CancellationToken;

use super::mcp::{announce, tokio_runtime, ServeCommon};
use crate::cli::{load, Exit, Failure};

pub(crate) const SERVE_HELP: &str = "\
Examples:
  naftiko serve capability.yaml                              # each adapter on its declared port
  naftiko serve capability.yaml --listen shipyard-tools=127.0.0.1:0
  naftiko serve specs/vital/users.yaml --mcp 127.0.0.1:3001   # auto-exposed operations

Each adapter prints one line on stdout when it accepts connections:
  {\"adapter\":\"mcp\",\"namespace\":\"…\",\"url\":\"http://127.0.0.1:PORT/mcp\"}";

/// `naftiko serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The capability file (YAML or JSON)
    pub spec: PathBuf,
    /// Serve adapter NS on HOST:PORT instead of its declared address and port (port 0:
    /// any free port; repeatable)
    #[arg(long, value_name = "NS=HOST:PORT")]
    pub listen: Vec<String>,
    /// Also serve every callable consumed operation as MCP tools on HOST:PORT (namespace
    /// `auto`)
    #[arg(long, value_name = "HOST:PORT")]
    pub mcp: Option<String>,
    #[command(flatten)]
    pub common: ServeCommon,
}

struct Planned {
    server: McpServer,
    addr: String,
}

fn plan(a: &ServeArgs) -> Result<Vec<Planned>, Failure> {
    let cap = load(&a.spec)?;
    let mut listen = Vec::new();
    for l in &a.listen {
        let (ns, addr) = l
            .split_once('=')
            .ok_or_else(|| Failure::invalid(format!("--listen {l}: expected NS=HOST:PORT")))?;
        listen.push((ns.to_string(), addr.to_string()));
    }
    for (ns, _) in &listen {
        if !cap.adapters().iter().any(|ad| ad.namespace() == ns) {
            let known: Vec<&str> = cap.adapters().iter().map(|ad| ad.namespace()).collect();
            return Err(Failure::invalid(format!(
                "--listen {ns}=…: no adapter `{ns}` in {}; adapters: {}",
                a.spec.display(),
                if known.is_empty() {
                    "none".into()
                } else {
                    known.join(", ")
                }
            )));
        }
    }
    let adapters: Vec<naftiko::Adapter> = cap.adapters().to_vec();
    let rt = a.common.runtime(cap, None)?;
    let mut planned = Vec::new();
    for ad in &adapters {
        let ns = ad.namespace();
        let over = listen.iter().find(|(n, _)| n == ns).map(|(_, a)| a.clone());
        if *ad.kind() != AdapterKind::Mcp {
            eprintln!(
                "naftiko: note: adapter `{ns}` (type {}) is not served yet",
                ad.kind().as_str()
            );
            continue;
        }
        if ad.transport() == Transport::Stdio {
            eprintln!(
                "naftiko: note: adapter `{ns}` uses stdio: run `naftiko mcp {} --adapter {ns}`",
                a.spec.display()
            );
            continue;
        }
        let addr = match (over, ad.port()) {
            (Some(addr), _) => addr,
            (None, Some(port)) => format!("{}:{port}", ad.address().unwrap_or("127.0.0.1")),
            (None, None) => {
                return Err(Failure::invalid(format!(
                    "{}: adapter `{ns}` declares no port",
                    ad.location()
                ))
                .hint(format!("add `port:` or pass --listen {ns}=127.0.0.1:0")))
            }
        };
        let server = McpServer::for_adapter(rt.clone(), a.common.options(), ad);
        planned.push(Planned { server, addr });
    }
    if let Some(addr) = &a.mcp {
        let mut options = a.common.options();
        options.auto = true;
        let server = McpServer::new(rt.clone(), options)?;
        planned.push(Planned {
            server,
            addr: addr.clone(),
        });
    }
    if planned.is_empty() {
        return Err(Failure::invalid(format!(
            "{} declares no MCP adapter served over HTTP",
            a.spec.display()
        ))
        .hint(format!(
            "serve its operations with `naftiko serve {} --mcp 127.0.0.1:3001`",
            a.spec.display()
        )));
    }
    Ok(planned)
}

/// Runs `naftiko serve`.
pub fn run(a: &ServeArgs) -> Result<Exit, Failure> {
    let planned = plan(a)?;
    tokio_runtime()?.block_on(serve_all(planned, &a.spec))
}

async fn serve_all(planned: Vec<Planned>, file: &std::path::Path) -> Result<Exit, Failure> {
    let shutdown = CancellationToken::new();
    let mut tasks = Vec::new();
    for p in planned {
        let listener = tokio::net::TcpListener::bind(&p.addr).await.map_err(|e| {
            Failure::invalid(format!(
                "adapter `{}`: cannot listen on {}: {e}",
                p.server.namespace(),
                p.addr
            ))
        })?;
        let local = listener
            .local_addr()
            .map_err(|e| Failure::invalid(format!("cannot read the listening address: {e}")))?;
        let mut options = HttpOptions::default();
        options.shutdown = shutdown.clone();
        if !local.ip().is_loopback() {
            // Bound beyond loopback: any Host may reach it (Origin is still checked).
            options.allowed_hosts = Some(Vec::new());
        }
        announce(&p.server, file);
        let app = p.server.router(options);
        ready(p.server.namespace(), local);
        let stop = shutdown.clone();
        tasks.push(tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(stop.cancelled_owned())
                .await
        }));
    }
    signal().await;
    eprintln!("naftiko: shutting down: finishing calls in flight");
    shutdown.cancel();
    for t in tasks {
        let _ = t.await;
    }
    Ok(Exit::Ok)
}

fn ready(namespace: &str, local: SocketAddr) {
    let host = if local.ip().is_unspecified() {
        "127.0.0.1".to_string()
    } else if local.is_ipv6() {
        format!("[{}]", local.ip())
    } else {
        local.ip().to_string()
    };
    let line = serde_json::json!({
        "adapter": "mcp",
        "namespace": namespace,
        "url": format!("http://{host}:{}/mcp", local.port()),
    });
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

async fn signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
