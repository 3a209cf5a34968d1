//! The command line, declared with clap's derive API. The interface is a contract: scripts
//! and tests rely on every name here.

use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgAction, Args, Parser, Subcommand};

/// The exit-code table, as a literal so that `concat!` can reuse it.
macro_rules! exit_codes {
    () => {
        "\
Exit codes:
  0  success
  1  invalid capability, arguments or expression (also: undecodable response)
  2  usage error (unknown flag, missing argument)
  3  the server answered with HTTP status >= 400 (the error body is still printed on stdout)
  4  transport failure (connection refused, DNS, TLS, timeout, body too large, bad redirect)
  5  a bound secret (e.g. VITAL_API_KEY) is not set"
    };
}

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
    Ops(OpsArgs),
    /// Show one operation: method, URL, parameters, auth, output mapping, warnings
    #[command(after_help = EXIT_CODES)]
    Describe(DescribeArgs),
    /// Run an operation and print its mapped output as JSON
    #[command(after_help = CALL_HELP)]
    Call(CallArgs),
    /// Check capability files: `file:line:col: error|warning: message`
    #[command(after_help = EXIT_CODES)]
    Validate(ValidateArgs),
    /// Evaluate a JSONPath (RFC 9535, `$.` = root) on JSON and print the node list
    #[command(after_help = EXIT_CODES)]
    Query(QueryArgs),
    /// Print a shell completion script
    Completions(CompletionsArgs),
    /// Serve the capability's tools to an AI agent over MCP on stdin/stdout
    #[cfg(feature = "serve")]
    #[command(after_help = super::mcp::MCP_HELP)]
    Mcp(super::mcp::McpArgs),
    /// Serve every declared HTTP adapter (MCP now) on its port; `--mcp` adds an auto one
    #[cfg(feature = "serve")]
    #[command(after_help = super::serve::SERVE_HELP)]
    Serve(super::serve::ServeArgs),
    /// Write a capability from an API description (`import openapi SPEC`)
    #[cfg(feature = "openapi")]
    Import(super::import::ImportArgs),
    /// Check a capability against its OpenAPI: `file:line:col: error|warning: ...`
    #[cfg(feature = "openapi")]
    #[command(after_help = super::drift::DRIFT_HELP)]
    Drift(super::drift::DriftArgs),
}

const CALL_HELP: &str = concat!(
    "\
Examples:
  naftiko call specs/vital/users.yaml get_user_v2_user__user_id__get user_id=u-1 --dry-run
  naftiko call specs/vital/users.yaml get_teams_users_v2_user_get limit=5
  naftiko call specs/vital/users.yaml create_user_v2_user_post body:='{\"client_user_id\":\"c-1\"}'
  naftiko call specs/vital/users.yaml create_user_v2_user_post --body @user.json --curl

",
    exit_codes!()
);

/// `naftiko ops`.
#[derive(Debug, Args)]
pub struct OpsArgs {
    /// The capability file (YAML or JSON)
    pub spec: PathBuf,
    /// Print a JSON array instead of aligned lines
    #[arg(long)]
    pub json: bool,
}

/// `naftiko describe`.
#[derive(Debug, Args)]
pub struct DescribeArgs {
    /// The capability file (YAML or JSON)
    pub spec: PathBuf,
    /// The operation: `name`, `namespace.name` or `namespace.resource.name`
    pub operation: String,
    /// Print the JSON Schema of the operation's arguments
    #[arg(long)]
    pub json: bool,
}

/// `naftiko call`.
#[derive(Debug, Args)]
pub struct CallArgs {
    /// The capability file (YAML or JSON)
    pub spec: PathBuf,
    /// The operation: `name`, `namespace.name` or `namespace.resource.name`
    pub operation: String,
    /// Arguments: `name=value` (converted to the parameter's declared type: `limit=5` is
    /// the integer 5, `is_primary=false` the boolean) or `name:=JSON` (raw JSON)
    #[arg(value_name = "ARG")]
    pub args: Vec<String>,
    /// The body parameter's value: JSON text, `@FILE`, or `-` for stdin
    #[arg(long, value_name = "JSON|@FILE|-")]
    pub body: Option<String>,
    /// Send to URL instead of the capability's baseUri; `NAMESPACE=URL` when the
    /// capability consumes several APIs (repeatable)
    #[arg(long = "base-uri", value_name = "[NAMESPACE=]URL")]
    pub base_uri: Vec<String>,
    /// Read binds (e.g. VITAL_API_KEY) from a dotenv file; its values win over the process
    /// environment (repeatable; later files win)
    #[arg(long, value_name = "PATH")]
    pub env_file: Vec<PathBuf>,
    /// Total deadline of the call in seconds, retries included (default 60)
    #[arg(long, value_name = "SECS", value_parser = parse_seconds)]
    pub timeout: Option<Duration>,
    /// Print the undecoded response body instead of the mapped output
    #[arg(long, conflicts_with_all = ["dry_run", "curl"])]
    pub raw: bool,
    /// Send nothing; print the prepared request as one JSON object (secrets as `***`;
    /// works without any secret set)
    #[arg(long, conflicts_with = "curl")]
    pub dry_run: bool,
    /// Send nothing; print an equivalent curl command (secrets as shell variables)
    #[arg(long)]
    pub curl: bool,
}

/// `naftiko validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Capability files (YAML or JSON)
    #[arg(required = true, value_name = "SPEC")]
    pub specs: Vec<PathBuf>,
    /// Also report every deviation from the 1.0.0-alpha2 schema; report everything as an
    /// error
    #[arg(long)]
    pub strict: bool,
}

/// `naftiko query`.
#[derive(Debug, Args)]
pub struct QueryArgs {
    /// The JSONPath expression, e.g. `$.users[*].user_id` (`$.` and `$` are the root)
    pub expr: String,
    /// The JSON document; stdin when absent or `-`
    pub file: Option<PathBuf>,
}

/// `naftiko completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell
    pub shell: clap_complete::Shell,
}

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
