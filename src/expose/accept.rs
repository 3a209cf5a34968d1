//! The accept loop every HTTP adapter is served by: HTTP/1.1 with keep-alive and a
//! request-head timeout (a client that never finishes its head is dropped, not waited for),
//! and h2c (HTTP/2 with prior knowledge) on the same port; connections watched for a
//! graceful shutdown. One hyper connection task per client, which runs the router's future
//! itself: no other task takes part in a request, and the task's wake-ups of itself do not
//! send it to another thread ([`repoll`]).

use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio_util::sync::CancellationToken;

use super::repoll::repoll;

/// How long a client may take to send a request's head (every adapter's default).
pub(crate) const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves `app` on `listener` until `shutdown` is cancelled, then lets the requests in
/// flight finish.
pub(crate) async fn serve_router(
    listener: tokio::net::TcpListener,
    app: Router,
    header_timeout: Duration,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .keep_alive(true);
    builder.http2().timer(TokioTimer::new());
    let graceful = GracefulShutdown::new();
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = shutdown.cancelled() => break,
        };
        let service = TowerToHyperService::new(app.clone());
        let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
        let conn = graceful.watch(conn.into_owned());
        tokio::spawn(repoll(async move {
            let _ = conn.await;
        }));
    }
    graceful.shutdown().await;
    Ok(())
}
