//! The command-line interface: a separate binary over the library's public API (the crate
//! root's re-exports, nothing else). [`args`] declares the global flags and the list of
//! commands, `cmd/` holds one file per command, and [`exit`] is the single place where
//! errors become exit codes; [`output`], [`arguments`] and [`dotenv`] are what several
//! commands share.
//!
//! Adding a command `naftiko foo` takes one file, one clap variant and one match arm:
//! 1. `cmd/foo.rs` with `pub struct FooArgs` (`#[derive(clap::Args)]`, its doc comments are
//!    the help text) and `pub fn run(a: &FooArgs) -> Result<Exit, Failure>`, declared in
//!    `cmd/mod.rs` (behind its feature, if it has one);
//! 2. one variant in [`args::Command`]: `Foo(foo::FooArgs)`, whose doc comment is the
//!    one-line summary in `naftiko --help`;
//! 3. one arm in [`main`]: `Command::Foo(a) => cmd::foo::run(&a)`.
//!
//! A command returns the exit code of what it did (`Exit::Ok`; `validate` returns
//! `Exit::Invalid` when it found errors) or a [`Failure`], which prints itself and carries
//! its exit code. It writes through [`output`], so a closed stdout or a write error is
//! reported the same way by every command.

mod args;
mod arguments;
mod cmd;
mod dotenv;
mod exit;
mod output;

use std::path::Path;
use std::process::ExitCode;

use clap::Parser;

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
        Command::Ops(a) => cmd::ops::run(&a),
        Command::Describe(a) => cmd::describe::run(&a),
        Command::Call(a) => cmd::call::run(&a, cli.verbose),
        Command::Validate(a) => cmd::validate::run(&a),
        Command::Query(a) => cmd::query::run(&a),
        Command::Completions(a) => cmd::completions::run(&a),
        #[cfg(feature = "serve")]
        Command::Mcp(a) => cmd::mcp::run(&a),
        #[cfg(feature = "serve")]
        Command::Serve(a) => cmd::serve::run(&a),
        #[cfg(feature = "openapi")]
        Command::Import(a) => cmd::import::run(&a),
        #[cfg(feature = "openapi")]
        Command::Drift(a) => cmd::drift::run(&a),
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
