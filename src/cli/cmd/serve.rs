//! `naftiko serve`: every declared HTTP adapter on its port (MCP, REST, skill), plus an optional
//! auto-exposed MCP adapter, and the control port (a declared `type: control` adapter or
//! `--control HOST:PORT`). One readiness line per adapter on stdout once it accepts
//! connections; logs on stderr; SIGTERM/SIGINT: readiness goes 503, stop accepting (after
//! `--drain-delay`), finish calls, exit 0.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;
use naftiko::{
    AdapterKind, Control, HttpOptions, McpServer, RestOptions, RestServer, SkillServer, Transport,
};
use tokio_util::sync::CancellationToken;

use super::mcp::{announce, tokio_runtime, ServeCommon};
use crate::cli::{load, Exit, Failure};

pub(crate) const SERVE_HELP: &str = "\
Examples:
  naftiko serve capability.yaml                              # each adapter on its declared port
  naftiko serve capability.yaml --listen shipyard-tools=127.0.0.1:0
  naftiko serve specs/vital/users.yaml --mcp 127.0.0.1:3001   # auto-exposed operations
  naftiko serve capability.yaml --control 127.0.0.1:9090     # + /health/*, /status, /metrics

Each adapter prints one line on stdout when it accepts connections:
  {\"adapter\":\"mcp\",\"namespace\":\"…\",\"url\":\"http://127.0.0.1:PORT/mcp\"}
  {\"adapter\":\"rest\",\"namespace\":\"…\",\"url\":\"http://127.0.0.1:PORT\"}
  {\"adapter\":\"skill\",\"namespace\":\"…\",\"url\":\"http://127.0.0.1:PORT\"}";

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
    /// Serve the control endpoints (/health/live, /health/ready, /status, /metrics) on
    /// HOST:PORT (overrides a declared `type: control` adapter's address)
    #[arg(long, value_name = "HOST:PORT")]
    pub control: Option<String>,
    /// On SIGTERM, keep accepting for SECS seconds with readiness at 503 before closing
    /// the listeners (lets a load balancer notice); calls in flight always finish
    #[arg(long, value_name = "SECS", default_value = "0", value_parser = parse_drain_delay)]
    pub drain_delay: std::time::Duration,
    #[command(flatten)]
    pub common: ServeCommon,
}

enum Server {
    Mcp(McpServer),
    Rest(RestServer),
    Skill(SkillServer),
}

impl Server {
    fn namespace(&self) -> &str {
        match self {
            Server::Mcp(s) => s.namespace(),
            Server::Rest(s) => s.namespace(),
            Server::Skill(s) => s.namespace(),
        }
    }
}

struct Planned {
    server: Server,
    addr: String,
}

struct Plan {
    adapters: Vec<Planned>,
    /// The control port and where it listens.
    control: Option<(Control, String)>,
}

fn plan(a: &ServeArgs) -> Result<Plan, Failure> {
    let cap = load(&a.spec)?;
    let listen = listen_overrides(a, &cap)?;
    let adapters: Vec<naftiko::Adapter> = cap.adapters().to_vec();
    let rt = a.common.runtime(cap, None)?;
    let mut planned = Vec::new();
    let mut control: Option<(&naftiko::Adapter, Option<String>)> = None;
    for ad in &adapters {
        let ns = ad.namespace();
        let over = listen.iter().find(|(n, _)| n == ns).map(|(_, a)| a.clone());
        if *ad.kind() == AdapterKind::Control && control.is_none() {
            let declared = ad
                .port()
                .map(|port| format!("{}:{port}", ad.address().unwrap_or("127.0.0.1")));
            control = Some((ad, over.or(declared)));
            continue;
        }
        if !matches!(
            ad.kind(),
            AdapterKind::Mcp | AdapterKind::Rest | AdapterKind::Skill
        ) {
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
        let server = match ad.kind() {
            AdapterKind::Rest => {
                let mut options = RestOptions::default();
                options.timeout = a.common.options().timeout;
                Server::Rest(RestServer::for_adapter(rt.clone(), options, ad))
            }
            AdapterKind::Skill => Server::Skill(SkillServer::for_adapter(&rt, ad)),
            _ => Server::Mcp(McpServer::for_adapter(rt.clone(), a.common.options(), ad)),
        };
        planned.push(Planned { server, addr });
    }
    if let Some(addr) = &a.mcp {
        let mut options = a.common.options();
        options.auto = true;
        let server = McpServer::new(rt.clone(), options)?;
        planned.push(Planned {
            server: Server::Mcp(server),
            addr: addr.clone(),
        });
    }
    if planned.is_empty() {
        return Err(Failure::invalid(format!(
            "{} declares no MCP, REST or skill adapter served over HTTP",
            a.spec.display()
        ))
        .hint(format!(
            "serve its operations with `naftiko serve {} --mcp 127.0.0.1:3001`",
            a.spec.display()
        )));
    }
    let control = plan_control(control, a.control.as_deref(), rt, planned.len())?;
    Ok(Plan {
        adapters: planned,
        control,
    })
}

/// `--listen NS=HOST:PORT`, each naming an adapter the capability declares.
fn listen_overrides(
    a: &ServeArgs,
    cap: &naftiko::Capability,
) -> Result<Vec<(String, String)>, Failure> {
    let mut listen = Vec::new();
    for l in &a.listen {
        let (ns, addr) = l
            .split_once('=')
            .ok_or_else(|| Failure::invalid(format!("--listen {l}: expected NS=HOST:PORT")))?;
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
        listen.push((ns.to_string(), addr.to_string()));
    }
    Ok(listen)
}

/// The control port: the declared adapter (its address, or `--control`'s), or `--control`
/// alone; `expected` is how many adapters `/health/ready` waits for.
fn plan_control(
    declared: Option<(&naftiko::Adapter, Option<String>)>,
    flag: Option<&str>,
    rt: naftiko::Runtime,
    expected: usize,
) -> Result<Option<(Control, String)>, Failure> {
    Ok(match (declared, flag) {
        (Some((ad, _)), Some(addr)) => Some((Control::for_adapter(rt, expected, ad), addr.into())),
        (Some((ad, Some(addr))), None) => Some((Control::for_adapter(rt, expected, ad), addr)),
        (Some((ad, None)), None) => {
            return Err(Failure::invalid(format!(
                "{}: adapter `{}` declares no port",
                ad.location(),
                ad.namespace()
            ))
            .hint("add `port:` or pass --control 127.0.0.1:9090"))
        }
        (None, Some(addr)) => Some((Control::new(rt, expected), addr.into())),
        (None, None) => None,
    })
}

/// Runs `naftiko serve`.
pub fn run(a: &ServeArgs) -> Result<Exit, Failure> {
    let plan = plan(a)?;
    tokio_runtime(a.common.threads)?.block_on(serve_all(plan, &a.spec, a.drain_delay))
}

/// `--drain-delay`: seconds from 0 to 3600.
fn parse_drain_delay(s: &str) -> Result<std::time::Duration, String> {
    match s.trim().parse::<f64>() {
        Ok(secs) if (0.0..=3600.0).contains(&secs) => Ok(std::time::Duration::from_secs_f64(secs)),
        _ => Err(format!("expected seconds from 0 to 3600, got `{s}`")),
    }
}

/// Binds the control port first (so probes answer 503 while the adapters start).
async fn start_control(
    control: Option<(Control, String)>,
    stop: CancellationToken,
) -> Result<Option<(Control, tokio::task::JoinHandle<std::io::Result<()>>)>, Failure> {
    let Some((control, addr)) = control else {
        return Ok(None);
    };
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .map_err(|e| Failure::invalid(format!("control port: cannot listen on {addr}: {e}")))?;
    let local = listener
        .local_addr()
        .map_err(|e| Failure::invalid(format!("cannot read the listening address: {e}")))?;
    let served = control.clone();
    let task = tokio::spawn(async move { served.serve_until(listener, stop).await });
    ready_line(
        "control",
        "control",
        &format!("http://{}", host_port(local)),
    );
    Ok(Some((control, task)))
}

async fn serve_all(
    plan: Plan,
    file: &std::path::Path,
    drain_delay: std::time::Duration,
) -> Result<Exit, Failure> {
    let shutdown = CancellationToken::new();
    let control_stop = CancellationToken::new();
    tokio::spawn(naftiko::keep_timer_wheel_armed());
    let control = start_control(plan.control, control_stop.clone()).await?;
    let mut tasks = Vec::new();
    for p in plan.adapters {
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
        let stop = shutdown.clone();
        match p.server {
            Server::Mcp(server) => {
                let mut options = HttpOptions::default();
                options.shutdown = shutdown.clone();
                if !local.ip().is_loopback() {
                    // Bound beyond loopback: any Host may reach it (Origin is still checked).
                    options.allowed_hosts = Some(Vec::new());
                }
                announce(&server, file);
                let url = ready(server.namespace(), local);
                if let Some((c, _)) = &control {
                    c.listening("mcp", server.namespace(), &url);
                }
                tasks.push(tokio::spawn(async move {
                    server.serve_http(listener, options).await
                }));
            }
            Server::Rest(server) => {
                announce_rest(&server);
                let url = format!("http://{}", host_port(local));
                ready_line("rest", server.namespace(), &url);
                if let Some((c, _)) = &control {
                    c.listening("rest", server.namespace(), &url);
                }
                tasks.push(tokio::spawn(async move {
                    server.serve_until(listener, stop).await
                }));
            }
            Server::Skill(server) => {
                let url = format!("http://{}", host_port(local));
                eprintln!(
                    "naftiko: skill adapter `{}`: {} skill(s): {}",
                    server.namespace(),
                    server.skills().len(),
                    server.skills().join(", ")
                );
                ready_line("skill", server.namespace(), &url);
                if let Some((c, _)) = &control {
                    c.listening("skill", server.namespace(), &url);
                }
                tasks.push(tokio::spawn(async move {
                    server.serve_until(listener, stop).await
                }));
            }
        }
    }
    signal().await;
    if let Some((c, _)) = &control {
        c.drain();
    }
    if !drain_delay.is_zero() {
        eprintln!(
            "naftiko: draining: readiness is 503; closing the listeners in {:?}",
            drain_delay
        );
        tokio::time::sleep(drain_delay).await;
    }
    eprintln!("naftiko: shutting down: finishing calls in flight");
    shutdown.cancel();
    for t in tasks {
        let _ = t.await;
    }
    control_stop.cancel();
    if let Some((_, t)) = control {
        let _ = t.await;
    }
    Ok(Exit::Ok)
}

/// The start-up notes of a REST adapter: its routes and what cannot be called.
fn announce_rest(server: &RestServer) {
    let routes = server.routes();
    eprintln!(
        "naftiko: REST adapter `{}`: {} route(s), GET /openapi.json",
        server.namespace(),
        routes.len()
    );
    for p in server.problems() {
        eprintln!("naftiko: warning: {p} (answered 501)");
    }
}

/// `HOST:PORT` as a URL authority (`0.0.0.0` shown as 127.0.0.1, IPv6 in brackets).
fn host_port(local: SocketAddr) -> String {
    let host = if local.ip().is_unspecified() {
        "127.0.0.1".to_string()
    } else if local.is_ipv6() {
        format!("[{}]", local.ip())
    } else {
        local.ip().to_string()
    };
    format!("{host}:{}", local.port())
}

/// Prints an MCP adapter's readiness line; returns its URL.
fn ready(namespace: &str, local: SocketAddr) -> String {
    let url = format!("http://{}/mcp", host_port(local));
    ready_line("mcp", namespace, &url);
    url
}

fn ready_line(kind: &str, namespace: &str, url: &str) {
    let line = serde_json::json!({"adapter": kind, "namespace": namespace, "url": url});
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
