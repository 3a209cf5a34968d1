//! `naftiko ops`: the operations a capability offers, one aligned line each (or JSON), and
//! which of them cannot be called and why.

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::Args;
use naftiko::{Capability, Diagnostic, Operation, Severity};
use serde_json::{json, Value};

use crate::cli::{load, output, Exit, Failure};

/// `naftiko ops`.
#[derive(Debug, Args)]
pub struct OpsArgs {
    /// The capability file (YAML or JSON)
    pub spec: PathBuf,
    /// Print a JSON array instead of aligned lines
    #[arg(long)]
    pub json: bool,
}

/// Runs `naftiko ops`.
pub fn run(a: &OpsArgs) -> Result<Exit, Failure> {
    let cap = load(&a.spec)?;
    if a.json {
        let list: Vec<Value> = cap
            .operations()
            .iter()
            .map(|op| op_json(&cap, op))
            .collect();
        output::json(&list)?;
        return Ok(Exit::Ok);
    }
    let rows: Vec<[String; 4]> = cap
        .operations()
        .iter()
        .map(|op| {
            let required: Vec<&str> = op.required_params().map(|p| p.name()).collect();
            let mut last = format!("({})", required.join(", "));
            if not_callable(op).is_some() {
                last.push_str("  [not callable]");
            }
            [
                address(&cap, op),
                op.method().to_string(),
                op.path_template(),
                last,
            ]
        })
        .collect();
    let mut widths = [0usize; 3];
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row.iter()) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut text = String::new();
    for [name, method, path, last] in &rows {
        let _ = writeln!(
            text,
            "{name:<w0$}  {method:<w1$}  {path:<w2$}  {last}",
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2]
        );
    }
    output::raw(text.as_bytes())?;
    let blocked = rows
        .iter()
        .filter(|r| r[3].ends_with("[not callable]"))
        .count();
    let errors: Vec<&Diagnostic> = cap
        .diagnostics()
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    if let Some(first) = errors.first() {
        output::stderr_lines([format!(
            "warning: the capability has {} error(s) that may hide operations, the first: {}; `naftiko validate {}` lists them",
            errors.len(),
            first.render(false),
            cap.file().display()
        )
        .as_str()]);
    }
    if blocked > 0 {
        output::stderr_lines([format!(
            "{blocked} operation(s) cannot be called; `naftiko ops --json` or `naftiko describe` says why"
        )
        .as_str()]);
    }
    Ok(Exit::Ok)
}

/// Why an operation cannot be called (decoded), if it cannot.
pub(super) fn not_callable(op: &Operation) -> Option<String> {
    if let Some(reason) = op.unsupported() {
        return Some(reason.to_string());
    }
    let unfilled = op.unfilled_placeholders();
    if !unfilled.is_empty() {
        let names: Vec<String> = unfilled.iter().map(|n| format!("{{{n}}}")).collect();
        return Some(format!(
            "its path has placeholder(s) that no parameter fills: {}",
            names.join(", ")
        ));
    }
    if !op.response_format().is_decoded() {
        return Some(format!(
            "outputRawFormat `{}` is not decoded yet (call --raw prints the body)",
            op.format()
        ));
    }
    None
}

/// The shortest name that addresses the operation: `namespace.name`, or
/// `namespace.resource.name` when the namespace declares the name twice.
pub(super) fn address(cap: &Capability, op: &Operation) -> String {
    let qualified = op.qualified_name();
    if cap.operation(&qualified).is_ok() {
        qualified
    } else {
        format!("{}.{}.{}", op.namespace(), op.resource(), op.name())
    }
}

fn op_json(cap: &Capability, op: &Operation) -> Value {
    let reason = not_callable(op);
    json!({
        "name": op.name(),
        "qualified_name": op.qualified_name(),
        "address": address(cap, op),
        "namespace": op.namespace(),
        "resource": op.resource(),
        "method": op.method().as_str(),
        "path": op.path_template(),
        "required": op.required_params().map(|p| p.name()).collect::<Vec<_>>(),
        "arguments": op.argument_names(),
        "description": op.description(),
        "callable": reason.is_none(),
        "reason": reason,
    })
}
