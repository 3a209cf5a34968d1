//! MCP over stdio: newline-delimited JSON-RPC on stdin/stdout (what an agent's MCP config
//! launches). Nothing else may write to stdout: logs go to stderr.
//!
//! rmcp's service owns the session (the handshake, notifications, everything but the three
//! plain requests), reading the client's lines from an in-memory pipe. Once the client has
//! initialised a session before the 2026-07-28 lifecycle, a plain `tools/call`,
//! `tools/list` or `ping` line is answered by `fast` on its own task instead, without
//! rmcp's per-message decoding, task hand-offs and channels; a `notifications/cancelled`
//! for such a call aborts it. Both write whole lines to stdout under one lock.

use std::collections::HashMap;
use std::sync::Arc;

use rmcp::ServiceExt;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::Mutex;
use tokio::task::{AbortHandle, JoinSet};
use tokio_util::task::AbortOnDropHandle;

use super::fast::{answered_like_rmcp, Fast};
use super::McpServer;

/// The longest line read (the HTTP transport's default body limit); a longer one is
/// answered with −32600 and skipped.
const MAX_LINE: usize = super::http::DEFAULT_MAX_BODY;

type Out<W> = Arc<Mutex<W>>;

impl McpServer {
    /// Serves MCP on this process's stdin and stdout until the client closes stdin, then
    /// finishes the calls in flight.
    ///
    /// When both are pipes (as MCP clients launch servers) they are read and written on
    /// tokio's IO reactor, not through its blocking thread pool (a thread hand-off per
    /// message); other streams fall back to the blocking handles. Run it in a runtime with
    /// IO enabled (`#[tokio::main]`, or a builder with `enable_all`).
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let cap = naftiko::Capability::from_path("specs/vital/users.yaml")?;
    /// let rt = naftiko::Runtime::builder(cap).build()?;
    /// naftiko::McpServer::new(rt, Default::default())?.serve_stdio().await?;
    /// # Ok(()) }
    /// ```
    pub async fn serve_stdio(self) -> std::io::Result<()> {
        let (input, output) = rmcp::transport::stdio_pipes();
        self.serve_lines(input, output).await
    }

    /// Serves MCP as newline-delimited JSON-RPC over any byte streams (what
    /// [`serve_stdio`](Self::serve_stdio) does with stdin and stdout), until `input` ends;
    /// then finishes the calls in flight and returns. It reads on a task of its own, so a
    /// line and its answer stay on one worker thread wherever this is awaited, and it keeps
    /// tokio's timer wheel armed while it serves
    /// ([`keep_timer_wheel_armed`](crate::keep_timer_wheel_armed)). Dropping the future stops
    /// the session and every task it started.
    ///
    /// ```
    /// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    /// let cap = naftiko::Capability::from_path("specs/vital/users.yaml")?;
    /// let server = naftiko::McpServer::new(naftiko::Runtime::builder(cap).build()?, Default::default())?;
    /// let (client, served) = tokio::io::duplex(1 << 16);
    /// let (input, output) = tokio::io::split(served);
    /// let running = tokio::spawn(server.serve_lines(input, output));
    /// let (from_server, mut to_server) = tokio::io::split(client);
    /// let mut lines = BufReader::new(from_server).lines();
    /// to_server.write_all(br#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"doc","version":"1"}}}
    /// "#).await?;
    /// // A client waits for the initialize result before it says it is initialized.
    /// let init = lines.next_line().await?.ok_or("the server closed its output")?;
    /// assert!(init.contains(r#""protocolVersion":"2025-11-25""#));
    /// to_server.write_all(br#"{"jsonrpc":"2.0","method":"notifications/initialized"}
    /// {"jsonrpc":"2.0","id":2,"method":"ping"}
    /// "#).await?;
    /// let pong = lines.next_line().await?.ok_or("the server closed its output")?;
    /// assert_eq!(pong, r#"{"jsonrpc":"2.0","id":2,"result":{}}"#);
    /// to_server.shutdown().await?;
    /// running.await??;
    /// # Ok(()) }
    /// ```
    pub async fn serve_lines<R, W>(self, input: R, output: W) -> std::io::Result<()>
    where
        R: AsyncRead + Unpin + Send + 'static,
        W: AsyncWrite + Unpin + Send + 'static,
    {
        // Read on a task of the runtime's own, wherever this is awaited: awaited by the main
        // thread's `block_on` (`#[tokio::main]`), every line would otherwise be handed from
        // that thread to a worker and its answer back, a few `futex` calls each.
        // Every task is aborted when its handle drops: all stop with `serve_lines`, even when
        // its future is dropped before the input ends.
        match AbortOnDropHandle::new(tokio::spawn(self.serve_lines_here(input, output))).await {
            Ok(read) => read,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => Err(std::io::Error::other(e)),
        }
    }

    async fn serve_lines_here<R, W>(self, input: R, output: W) -> std::io::Result<()>
    where
        R: AsyncRead + Unpin,
        W: AsyncWrite + Unpin + Send + 'static,
    {
        let _ticker = AbortOnDropHandle::new(tokio::spawn(crate::keep_timer_wheel_armed()));
        let out = Arc::new(Mutex::new(output));
        let (ours, theirs) = tokio::io::duplex(1 << 16);
        let mut session =
            AbortOnDropHandle::new(tokio::spawn(self.clone().serve(tokio::io::split(theirs))));
        let (from_rmcp, mut to_rmcp) = tokio::io::split(ours);
        let mut relay = AbortOnDropHandle::new(tokio::spawn(relay_lines(from_rmcp, out.clone())));
        let mut reader = Reader::new(self, out.clone());
        let read = reader.run(BufReader::new(input), &mut to_rmcp).await;
        // The client is gone: rmcp sees the end of its input, the calls in flight finish.
        let _ = to_rmcp.shutdown().await;
        while reader.calls.join_next().await.is_some() {}
        if let Ok(Ok(running)) = (&mut session).await {
            let _ = running.waiting().await;
        }
        let _ = (&mut relay).await;
        let _ = out.lock().await.flush().await;
        read
    }
}

/// The client's side: lines in, each to `fast` or to rmcp.
struct Reader<W> {
    server: McpServer,
    out: Out<W>,
    /// Set once the client sent `initialize` with a version the fast path answers like rmcp.
    known_version: bool,
    /// Set once that session is initialised: from here plain requests take the fast path.
    fast: bool,
    calls: JoinSet<()>,
    /// The fast calls in flight by their id's JSON text, to abort on `notifications/cancelled`.
    in_flight: HashMap<String, AbortHandle>,
    ids: HashMap<tokio::task::Id, String>,
}

impl<W: AsyncWrite + Unpin + Send + 'static> Reader<W> {
    fn new(server: McpServer, out: Out<W>) -> Self {
        Reader {
            server,
            out,
            known_version: false,
            fast: false,
            calls: JoinSet::new(),
            in_flight: HashMap::new(),
            ids: HashMap::new(),
        }
    }

    async fn run<R: AsyncRead + Unpin>(
        &mut self,
        mut input: BufReader<R>,
        to_rmcp: &mut (impl AsyncWrite + Unpin),
    ) -> std::io::Result<()> {
        let mut line = Vec::new();
        loop {
            line.clear();
            match read_line(&mut input, &mut line).await? {
                Line::End => return Ok(()),
                Line::TooLong => write_line(&self.out, too_long()).await,
                Line::Read => {
                    self.reap();
                    if !self.take(&line) {
                        if line.last() != Some(&b'\n') {
                            line.push(b'\n');
                        }
                        to_rmcp.write_all(&line).await?;
                    }
                }
            }
        }
    }

    /// Answers `line` here when it is the fast path's (`true`); else notes what the session
    /// setup says and leaves it to rmcp.
    fn take(&mut self, line: &[u8]) -> bool {
        if !self.fast {
            self.watch_setup(line);
            return false;
        }
        if let Some(request) = Fast::take(line) {
            self.spawn(request);
            return true;
        }
        self.cancel(line)
    }

    fn watch_setup(&mut self, line: &[u8]) {
        #[derive(serde::Deserialize)]
        struct Setup<'a> {
            #[serde(borrow)]
            method: Option<&'a str>,
            params: Option<InitParams<'a>>,
        }
        #[derive(serde::Deserialize)]
        struct InitParams<'a> {
            #[serde(rename = "protocolVersion", borrow)]
            version: Option<&'a str>,
        }
        let Ok(setup) = serde_json::from_slice::<Setup>(line) else {
            return;
        };
        match setup.method {
            Some("initialize") => {
                let version = setup.params.and_then(|p| p.version);
                self.known_version = version.is_some_and(answered_like_rmcp);
            }
            Some("notifications/initialized") => self.fast = self.known_version,
            _ => {}
        }
    }

    fn spawn(&mut self, request: Fast) {
        let key = request.id().to_string();
        let (server, out) = (self.server.clone(), self.out.clone());
        let handle = self.calls.spawn(async move {
            let mut reply = request.answer(&server, None).await;
            reply.push(b'\n');
            write_line(&out, reply).await;
        });
        self.ids.insert(handle.id(), key.clone());
        self.in_flight.insert(key, handle);
    }

    /// Forgets the calls that have finished.
    fn reap(&mut self) {
        while let Some(done) = self.calls.try_join_next_with_id() {
            let id = match done {
                Ok((id, ())) => id,
                Err(e) => e.id(),
            };
            if let Some(key) = self.ids.remove(&id) {
                self.in_flight.remove(&key);
            }
        }
    }

    /// Aborts the fast call a `notifications/cancelled` names (`true`: handled here).
    fn cancel(&mut self, line: &[u8]) -> bool {
        #[derive(serde::Deserialize)]
        struct Cancelled<'a> {
            #[serde(borrow)]
            method: &'a str,
            params: CancelParams,
        }
        #[derive(serde::Deserialize)]
        struct CancelParams {
            #[serde(rename = "requestId")]
            request_id: Value,
        }
        if memchr::memmem::find(line, b"notifications/cancelled").is_none() {
            return false;
        }
        let Ok(c) = serde_json::from_slice::<Cancelled>(line) else {
            return false;
        };
        if c.method != "notifications/cancelled" {
            return false;
        }
        match self.in_flight.remove(&c.params.request_id.to_string()) {
            Some(handle) => {
                handle.abort();
                true
            }
            None => false,
        }
    }
}

enum Line {
    Read,
    TooLong,
    End,
}

/// One line into `line` (with its `\n`, but for the last), at most [`MAX_LINE`] bytes: a
/// longer one is read to its end and dropped.
async fn read_line<R: AsyncRead + Unpin>(
    input: &mut BufReader<R>,
    line: &mut Vec<u8>,
) -> std::io::Result<Line> {
    let mut too_long = false;
    loop {
        let buf = input.fill_buf().await?;
        if buf.is_empty() {
            return Ok(match (too_long, line.is_empty()) {
                (true, _) => Line::TooLong,
                (false, true) => Line::End,
                (false, false) => Line::Read,
            });
        }
        let (take, done) = match memchr::memchr(b'\n', buf) {
            Some(i) => (i + 1, true),
            None => (buf.len(), false),
        };
        if !too_long && line.len() + take <= MAX_LINE {
            line.extend_from_slice(&buf[..take]);
        } else {
            too_long = true;
            line.clear();
        }
        input.consume(take);
        if done {
            return Ok(if too_long { Line::TooLong } else { Line::Read });
        }
    }
}

fn too_long() -> Vec<u8> {
    let message = format!("message refused: longer than {MAX_LINE} bytes");
    let error = serde_json::json!({
        "jsonrpc": "2.0",
        "id": null,
        "error": {"code": -32600, "message": message},
    });
    let mut bytes = error.to_string().into_bytes();
    bytes.push(b'\n');
    bytes
}

/// rmcp's lines (each ends with `\n`) to the shared output, one at a time.
async fn relay_lines<R: AsyncRead + Unpin, W: AsyncWrite + Unpin>(from_rmcp: R, out: Out<W>) {
    let mut lines = BufReader::new(from_rmcp);
    let mut line = Vec::new();
    loop {
        line.clear();
        match lines.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => write_line(&out, std::mem::take(&mut line)).await,
        }
    }
}

/// Writes one whole line and flushes it. A failed write (the client closed its end) is
/// dropped: nobody is left to read it.
async fn write_line<W: AsyncWrite + Unpin>(out: &Out<W>, line: Vec<u8>) {
    let mut out = out.lock().await;
    if out.write_all(&line).await.is_ok() {
        let _ = out.flush().await;
    }
}

#[cfg(test)]
mod tests {
    use super::Reader;
    use std::sync::Arc;

    fn reader() -> Reader<tokio::io::Sink> {
        let cap = crate::Capability::from_path("specs/vital/users.yaml").unwrap();
        // Port 9 (discard) on loopback: nothing is sent off this machine.
        let rt = crate::Runtime::builder(cap)
            .base_uri("users", "http://127.0.0.1:9")
            .build()
            .unwrap();
        let server = super::McpServer::new(rt, Default::default()).unwrap();
        Reader::new(server, Arc::new(tokio::sync::Mutex::new(tokio::io::sink())))
    }

    fn init(version: &str) -> String {
        format!(
            r#"{{"jsonrpc":"2.0","id":0,"method":"initialize","params":{{"protocolVersion":"{version}","capabilities":{{}},"clientInfo":{{"name":"t","version":"1"}}}}}}"#
        )
    }

    const INITIALIZED: &str = r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#;
    const PING: &str = r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#;

    #[tokio::test]
    async fn dropping_serve_lines_ends_the_session_and_closes_its_output() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let (client, served) = tokio::io::duplex(1 << 16);
        let (input, output) = tokio::io::split(served);
        let serving = reader().server.serve_lines(input, output);
        let (mut from_server, mut to_server) = tokio::io::split(client);
        to_server
            .write_all(init("2025-11-25").as_bytes())
            .await
            .unwrap();
        to_server.write_all(b"\n").await.unwrap();
        let mut first = [0u8; 1];
        tokio::select! {
            _ = serving => panic!("the input is still open"),
            read = from_server.read_exact(&mut first) => { read.unwrap(); }
        }
        // `serving` is dropped: every task it started stops, and the output is released.
        let mut rest = Vec::new();
        let ended = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            from_server.read_to_end(&mut rest),
        );
        ended.await.expect("the output closes").unwrap();
    }

    #[tokio::test]
    async fn plain_requests_take_the_fast_path_only_in_a_session_before_2026_07_28() {
        let mut r = reader();
        assert!(!r.take(PING.as_bytes()), "before initialize: rmcp's");
        assert!(!r.take(init("2025-11-25").as_bytes()));
        assert!(!r.take(PING.as_bytes()), "before initialized: rmcp's");
        assert!(!r.take(INITIALIZED.as_bytes()));
        for fast in [
            PING,
            r#"{"jsonrpc":"2.0","id":"l","method":"tools/list"}"#,
            r#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"nope"}}"#,
        ] {
            assert!(r.take(fast.as_bytes()), "{fast}");
        }
        for to_rmcp in [
            r#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"_meta":{},"name":"nope"}}"#,
            r#"{"jsonrpc":"2.0","id":4,"method":"resources/list"}"#,
            r#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":99}}"#,
            r#"[{"jsonrpc":"2.0","id":5,"method":"ping"}]"#,
        ] {
            assert!(!r.take(to_rmcp.as_bytes()), "{to_rmcp}");
        }
        for version in ["2026-07-28", "1999-01-01"] {
            let mut r = reader();
            r.take(init(version).as_bytes());
            r.take(INITIALIZED.as_bytes());
            assert!(!r.take(PING.as_bytes()), "{version}: rmcp's");
        }
    }

    #[tokio::test]
    async fn a_cancel_naming_a_fast_call_in_flight_aborts_it_here() {
        let mut r = reader();
        r.take(init("2025-06-18").as_bytes());
        r.take(INITIALIZED.as_bytes());
        // On this current-thread runtime the call's task has not run yet when the cancel
        // comes: it is aborted before its first poll.
        let call = r#"{"jsonrpc":"2.0","id":"c","method":"tools/call","params":{"name":"get_user_v2_user__user_id__get","arguments":{"user_id":"u"}}}"#;
        assert!(r.take(call.as_bytes()));
        let cancel =
            r#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"c"}}"#;
        assert!(r.take(cancel.as_bytes()), "the call is ours to cancel");
        let done = r.calls.join_next().await.unwrap();
        assert!(done.unwrap_err().is_cancelled());
        assert!(!r.take(cancel.as_bytes()), "nothing left to cancel");
    }
}
