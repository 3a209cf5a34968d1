//! MCP over stdio: newline-delimited JSON-RPC on stdin/stdout (what an agent's MCP config
//! launches). Nothing else may write to stdout: logs go to stderr.

use rmcp::ServiceExt;

use super::McpServer;

impl McpServer {
    /// Serves MCP on this process's stdin and stdout until the client closes stdin.
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
        let running = self
            .serve(rmcp::transport::stdio_pipes())
            .await
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        running
            .waiting()
            .await
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        Ok(())
    }
}
