//! The command-line interface: argument parsing ([`args`]), one module per command, and the
//! single place where errors become exit codes ([`exit`]).

mod args;
mod arguments;
mod call;
mod dotenv;
#[cfg(feature = "openapi")]
mod drift;
mod exit;
#[cfg(feature = "openapi")]
mod import;
mod inspect;
#[cfg(feature = "serve")]
mod mcp;
mod output;
mod query;
#[cfg(feature = "serve")]
mod serve;
mod validate;

use std::path::Path;
use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use args::{Cli, Command};
pub(crate) use exit::{Exit, Failure};

/// Parses the command line, runs the command and turns its outcome into an exit code.
pub fn main() -> ExitCode {
    // clap prints its own usage errors and exits with 2 (help and version exit with 0).
    let cli = Cli::parse();
    if cli.verbose >= 2 {
        init_tracing(cli.verbose);
    }
    let outcome = match cli.command {
        Command::Ops(a) => inspect::ops(&a),
        Command::Describe(a) => inspect::describe(&a),
        Command::Call(a) => call::run(&a, cli.verbose),
        Command::Validate(a) => validate::run(&a),
        Command::Query(a) => query::run(&a),
        Command::Completions(a) => completions(a.shell),
        #[cfg(feature = "serve")]
        Command::Mcp(a) => mcp::run(&a),
        #[cfg(feature = "serve")]
        Command::Serve(a) => serve::run(&a),
        #[cfg(feature = "openapi")]
        Command::Import(a) => import::run(&a),
        #[cfg(feature = "openapi")]
        Command::Drift(a) => drift::run(&a),
    };
    let exit = match outcome {
        Ok(exit) => exit,
        Err(failure) => {
            failure.print();
            failure.exit
        }
    };
    ExitCode::from(exit as u8)
}

/// An operation that cannot be found. When the capability itself has errors (an import
/// that could not be read, say), the operation may be missing because of them: say so.
pub(crate) fn lookup_failure(cap: &naftiko::Capability, e: naftiko::LookupError) -> Failure {
    let mut failure = Failure::from(naftiko::Error::from(e));
    let errors: Vec<&naftiko::Diagnostic> = cap
        .diagnostics()
        .iter()
        .filter(|d| d.severity == naftiko::Severity::Error)
        .collect();
    if let Some(first) = errors.first() {
        failure = failure.hint(format!(
            "the capability has {} error(s) that may hide operations, the first: {}; `naftiko validate {}` lists them",
            errors.len(),
            first.render(false),
            cap.file().display()
        ));
    }
    failure
}

/// Loads a capability, or explains in one sentence (plus its diagnostics) why it cannot.
pub(crate) fn load(path: &Path) -> Result<naftiko::Capability, Failure> {
    naftiko::Capability::from_path(path).map_err(|e| Failure::spec(path, &e))
}

fn completions(shell: clap_complete::Shell) -> Result<Exit, Failure> {
    let mut cmd = Cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cmd, "naftiko", &mut buf);
    output::raw(&buf)?;
    Ok(Exit::Ok)
}

/// `-vv` shows the library's tracing (one span per call: operation, method, status,
/// attempts, latency; never a secret) on stderr; `-vvv` adds trace-level events.
fn init_tracing(verbose: u8) {
    use tracing_subscriber::filter::{LevelFilter, Targets};
    use tracing_subscriber::fmt::format::FmtSpan;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;

    let level = if verbose >= 3 {
        LevelFilter::TRACE
    } else {
        LevelFilter::DEBUG
    };
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_span_events(FmtSpan::CLOSE);
    let _ = tracing_subscriber::registry()
        .with(fmt)
        .with(Targets::new().with_target("naftiko", level))
        .try_init();
}
