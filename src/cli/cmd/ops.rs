//! `naftiko ops`: the operations a capability offers, one aligned line each with its
//! description (or JSON), optionally only those matching a filter, and which of them
//! cannot be called and why.

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
    /// Only the operations whose name, path or description contains this text (ignoring
    /// case), e.g. `users`
    pub filter: Option<String>,
    /// Print a JSON array instead of aligned lines
    #[arg(long)]
    pub json: bool,
}

/// Runs `naftiko ops`.
pub fn run(a: &OpsArgs) -> Result<Exit, Failure> {
    let cap = load(&a.spec)?;
    let ops: Vec<&Operation> = cap
        .operations()
        .iter()
        .filter(|op| a.filter.as_deref().is_none_or(|f| matches(&cap, op, f)))
        .collect();
    if a.json {
        let list: Vec<Value> = ops.iter().map(|op| op_json(&cap, op)).collect();
        output::json(&list)?;
        return Ok(Exit::Ok);
    }
    if let (true, Some(f)) = (ops.is_empty(), &a.filter) {
        return Err(Failure::invalid(format!(
            "no operation of {} matches `{f}` in its name, path or description",
            cap.file().display()
        ))
        .hint(format!(
            "`naftiko ops {}` lists them all",
            cap.file().display()
        )));
    }
    let rows: Vec<[String; 5]> = ops
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
                summary(op.description()),
            ]
        })
        .collect();
    print_rows(&rows)?;
    let blocked = ops.iter().filter(|op| not_callable(op).is_some()).count();
    warn(&cap, blocked);
    Ok(Exit::Ok)
}

/// Whether `filter` is in the operation's address, path or description, ignoring case.
fn matches(cap: &Capability, op: &Operation, filter: &str) -> bool {
    let filter = filter.to_lowercase();
    [
        address(cap, op),
        op.path_template(),
        op.description().unwrap_or_default().to_string(),
    ]
    .iter()
    .any(|text| text.to_lowercase().contains(&filter))
}

/// The first line of a description, at most 60 characters.
fn summary(description: Option<&str>) -> String {
    let first = description.unwrap_or_default().lines().next().unwrap_or("");
    let first = first.trim();
    if first.chars().count() > 60 {
        let cut: String = first.chars().take(59).collect();
        format!("{}…", cut.trim_end())
    } else {
        first.to_string()
    }
}

/// The rows, aligned; the last column (the description) is not padded.
fn print_rows(rows: &[[String; 5]]) -> Result<(), Failure> {
    let mut widths = [0usize; 4];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row.iter()) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut text = String::new();
    for [name, method, path, last, description] in rows {
        let line = format!(
            "{name:<w0$}  {method:<w1$}  {path:<w2$}  {last:<w3$}  {description}",
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3]
        );
        let _ = writeln!(text, "{}", line.trim_end());
    }
    output::raw(text.as_bytes())
}

/// On stderr: the capability's errors that may hide operations, and how many listed
/// operations cannot be called.
fn warn(cap: &Capability, blocked: usize) {
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
