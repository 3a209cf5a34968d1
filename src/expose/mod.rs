//! Serving a capability: its MCP adapters (declared tools) or, for any capability, every
//! consumed operation as a tool; and the control port ([`Control`]: health, status,
//! metrics). The last step of the data flow seen from an agent:
//! **expose** → runtime (spec → bind → prepare → send → map).
//!
//! [`McpServer`] holds the tool table built once at start-up; it implements rmcp's
//! `ServerHandler` and is served over stdio ([`McpServer::serve_stdio`]) or streamable HTTP
//! ([`McpServer::router`], an axum `Router` to mount or serve).

mod accept;
mod control;
mod files;
pub(crate) mod inbound_auth;
pub(crate) mod mcp;
mod repoll;
mod rest;
pub(crate) mod shape;
mod skill;
mod steps;

pub use control::Control;

pub use mcp::http::HttpOptions;
pub use mcp::{McpOptions, McpServer};
pub use rest::{RestOptions, RestServer};
pub use skill::SkillServer;

/// Keeps a timer due within a second in tokio's timer wheel, forever: spawn it beside the
/// servers of a runtime (`naftiko serve` does; [`McpServer::serve_lines`] runs one while it
/// serves).
///
/// tokio wakes its I/O driver (an event-fd write, then one more `epoll_wait`) whenever a
/// timer is registered earlier than every timer the wheel held when the driver last parked,
/// even from the thread that is running the driver. Without a standing timer that is every
/// call's deadline when calls come one at a time: two wasted syscalls per request (seen with
/// strace and gdb on `forward`). With this one, a deadline of a second or more finds an
/// earlier timer and registers silently; the cost is one wake-up per second.
///
/// ```no_run
/// # async fn run(router: axum::Router, listener: tokio::net::TcpListener) -> std::io::Result<()> {
/// tokio::spawn(naftiko::keep_timer_wheel_armed());
/// axum::serve(listener, router).await
/// # }
/// ```
pub async fn keep_timer_wheel_armed() {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
    loop {
        tick.tick().await;
    }
}
