//! The command line, declared with clap's derive API: the global flags and one variant per
//! command (its arguments are declared next to its code, in `cmd/`). The interface is a
//! contract: scripts and tests rely on every name here and there.

use std::time::Duration;

use clap::{ArgAction, Parser, Subcommand};

use super::cmd::{call, completions, describe, ops, query, validate};
#[cfg(feature = "openapi")]
use super::cmd::{drift, import};
#[cfg(feature = "serve")]
use super::cmd::{mcp, serve};

/// The exit-code table, as a literal so that `concat!` can reuse it.
macro_rules! exit_codes {
    () => {
        "\
Exit codes:
  0  success
  1  invalid capability, arguments or expression (also: undecodable response;
     drift: findings at or above --fail-on)
  2  usage error (unknown flag, missing argument)
  3  the server answered with HTTP status >= 400 (the error body is still printed on stdout)
  4  transport failure (connection refused, DNS, TLS, timeout, body too large, bad redirect)
  5  a bound secret (e.g. VITAL_API_KEY) is not set"
    };
}

pub(crate) use exit_codes;

/// Exit codes, shown at the end of `--help` (and documented in the README).
pub const EXIT_CODES: &str = exit_codes!();

/// Explore and call the HTTP operations of any Naftiko capability file, without recompiling.
#[derive(Debug, Parser)]
#[command(name = "naftiko", version, propagate_version = true, after_help = EXIT_CODES)]
pub struct Cli {
    /// -v: print the request and the response status and headers on stderr (secrets
    /// redacted); -vv: also the runtime's tracing spans
    #[arg(short, long, action = ArgAction::Count, global = true)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the operations: `namespace.name  METHOD  /path  (required params)`
    #[command(visible_alias = "list", after_help = EXIT_CODES)]
    Ops(ops::OpsArgs),
    /// Show one operation: method, URL, parameters, auth, output mapping, warnings
    #[command(after_help = EXIT_CODES)]
    Describe(describe::DescribeArgs),
    /// Run an operation and print its mapped output as JSON
    #[command(after_help = call::CALL_HELP)]
    Call(call::CallArgs),
    /// Check capability files: `file:line:col: error|warning: message`
    #[command(after_help = EXIT_CODES)]
    Validate(validate::ValidateArgs),
    /// Evaluate a JSONPath (RFC 9535, `$.` = root) on JSON and print the node list
    #[command(after_help = EXIT_CODES)]
    Query(query::QueryArgs),
    /// Print a shell completion script
    Completions(completions::CompletionsArgs),
    /// Serve the capability's tools to an AI agent over MCP on stdin/stdout
    #[cfg(feature = "serve")]
    #[command(after_help = mcp::MCP_HELP)]
    Mcp(mcp::McpArgs),
    /// Serve every declared HTTP adapter (MCP now) on its port; `--mcp` adds an auto one
    #[cfg(feature = "serve")]
    #[command(after_help = serve::SERVE_HELP)]
    Serve(serve::ServeArgs),
    /// Write a capability from an API description (`import openapi SPEC`)
    #[cfg(feature = "openapi")]
    Import(import::ImportArgs),
    /// Check a capability against its OpenAPI: `file:line:col: error|warning: ...`
    #[cfg(feature = "openapi")]
    #[command(after_help = drift::DRIFT_HELP)]
    Drift(drift::DriftArgs),
}

/// A number of seconds (`--timeout` of `call` and `mcp`), at least 1 ms.
pub(crate) fn parse_seconds(s: &str) -> Result<Duration, String> {
    let secs: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a number of seconds"))?;
    if secs.is_nan() || secs < 0.001 {
        return Err(format!(
            "the timeout must be at least 0.001 seconds (1 ms), got `{s}`"
        ));
    }
    Duration::try_from_secs_f64(secs).map_err(|_| format!("`{s}` seconds is too long"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn timeouts_are_positive_seconds() {
        assert_eq!(parse_seconds("1.5"), Ok(Duration::from_millis(1500)));
        assert!(parse_seconds("0").is_err());
        assert!(parse_seconds("-1").is_err());
        assert!(parse_seconds("NaN").is_err());
        assert!(parse_seconds("abc").is_err());
    }
}
