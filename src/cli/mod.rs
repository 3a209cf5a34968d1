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
mod complete;
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
    // `COMPLETE=bash naftiko …`: answer the shell's completion request and exit.
    clap_complete::CompleteEnv::with_factory(<Cli as clap::CommandFactory>::command).complete();
    // clap prints its own usage errors and exits with 2 (help and version exit with 0).
    let cli = Cli::parse_from(with_default_spec(std::env::args_os().collect()));
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

/// The commands whose first argument is a capability file.
const SPEC_FIRST: [&str; 5] = ["ops", "list", "describe", "call", "validate"];

/// `NAFTIKO_SPEC`, the default capability file: when it is set and the argument after one
/// of [`SPEC_FIRST`] does not look like a capability file (`-`, a name ending in `.yaml`,
/// `.yml` or `.json`, or an existing file), the default is put in front of it.
fn with_default_spec(mut argv: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    let Some(spec) = std::env::var_os("NAFTIKO_SPEC").filter(|s| !s.is_empty()) else {
        return argv;
    };
    let Some(at) = argv
        .iter()
        .skip(1)
        .position(|a| !a.to_string_lossy().starts_with('-'))
        .map(|i| i + 1)
    else {
        return argv;
    };
    if !SPEC_FIRST.contains(&argv[at].to_string_lossy().as_ref()) {
        return argv;
    }
    let looks_like_spec = argv.get(at + 1).is_some_and(|next| {
        let text = next.to_string_lossy();
        text == "-"
            || [".yaml", ".yml", ".json"]
                .iter()
                .any(|ext| text.to_ascii_lowercase().ends_with(ext))
            || Path::new(next).is_file()
    });
    if !looks_like_spec {
        argv.insert(at + 1, spec);
    }
    argv
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
/// `-` reads it from stdin.
pub(crate) fn load(path: &Path) -> Result<naftiko::Capability, Failure> {
    read_spec(path, &naftiko::LoadOptions::default())?.map_err(|e| Failure::spec(path, &e))
}

/// Reads a capability from `path`, or from stdin when it is `-` (named `stdin` in
/// diagnostics, its imports resolved from the current directory). The outer error: stdin
/// could not be read.
pub(crate) fn read_spec(
    path: &Path,
    options: &naftiko::LoadOptions,
) -> Result<Result<naftiko::Capability, naftiko::SpecError>, Failure> {
    if path.as_os_str() != "-" {
        return Ok(naftiko::Capability::from_path_with(path, options));
    }
    let mut text = String::new();
    std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
        .map_err(|e| Failure::invalid(format!("cannot read the capability from stdin: {e}")))?;
    output::snippet::remember_stdin(&text);
    Ok(naftiko::Capability::from_str_named_with(
        &text,
        "stdin",
        Some(Path::new(".")),
        options,
    ))
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
