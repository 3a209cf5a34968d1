//! `naftiko drift CAPABILITY OPENAPI`: where a capability and its API disagree.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use naftiko::openapi::{drift, OpenApi};
use naftiko::Severity;

use crate::cli::{output, Exit, Failure};

/// The lowest severity that fails the command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Only errors fail
    Error,
    /// Warnings fail too
    Warning,
}

/// `naftiko drift` arguments.
#[derive(Debug, Args)]
pub struct DriftArgs {
    /// The capability file
    pub capability: PathBuf,
    /// The OpenAPI document it consumes
    pub openapi: PathBuf,
    /// Print the findings as a JSON array
    #[arg(long)]
    pub json: bool,
    /// Exit with 1 when a finding at or above this severity is found
    #[arg(long, value_enum, default_value = "error")]
    pub fail_on: FailOn,
}

pub const DRIFT_HELP: &str = "\
Each finding is `file:line:col: error|warning: operation [kind]: message`; a summary goes
to stderr.

Exit codes:
  0  no finding at or above --fail-on
  1  findings at or above --fail-on, or a file cannot be read";

/// Runs `naftiko drift`.
pub fn run(a: &DriftArgs) -> Result<Exit, Failure> {
    let cap = crate::cli::load(&a.capability)?;
    let api = OpenApi::from_path(&a.openapi).map_err(|e| Failure::invalid(e.to_string()))?;
    let findings = drift(&cap, &api);
    if a.json {
        let all: Vec<serde_json::Value> = findings.iter().map(|f| f.to_json()).collect();
        output::json(&all)?;
    } else {
        let text: String = findings.iter().map(|f| format!("{f}\n")).collect();
        output::raw(text.as_bytes())?;
    }
    let errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let warnings = findings.len() - errors;
    let summary = format!(
        "{} operation(s) checked: {errors} error(s), {warnings} warning(s)",
        cap.operations().len()
    );
    output::stderr_lines([summary.as_str()]);
    let failing = match a.fail_on {
        FailOn::Error => errors,
        FailOn::Warning => errors + warnings,
    };
    Ok(if failing > 0 { Exit::Invalid } else { Exit::Ok })
}
