//! `naftiko describe`: one operation — method, URL, parameters, auth, output mapping and
//! warnings — without any secret.

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::Args;
use naftiko::Auth;
use naftiko::{Capability, Diagnostic, Operation, Severity};

use super::ops::{address, not_callable};
use crate::cli::{load, lookup_failure, output, Exit, Failure};

/// `naftiko describe`.
#[derive(Debug, Args)]
pub struct DescribeArgs {
    /// The capability file (YAML or JSON)
    pub spec: PathBuf,
    /// The operation: `name`, `namespace.name` or `namespace.resource.name`
    #[arg(add = clap_complete::ArgValueCompleter::new(crate::cli::complete::operations))]
    pub operation: String,
    /// Print the JSON Schema of the operation's arguments
    #[arg(long)]
    pub json: bool,
}

/// Runs `naftiko describe`.
pub fn run(a: &DescribeArgs) -> Result<Exit, Failure> {
    let cap = load(&a.spec)?;
    let op = cap
        .operation(&a.operation)
        .map_err(|e| lookup_failure(&cap, e))?;
    if a.json {
        output::json(&op.args_schema())?;
        return Ok(Exit::Ok);
    }
    output::raw(describe_text(&cap, op).as_bytes())?;
    Ok(Exit::Ok)
}

fn describe_text(cap: &Capability, op: &Operation) -> String {
    let mut t = String::new();
    let _ = writeln!(t, "{}", address(cap, op));
    if let Some(d) = op.description() {
        let _ = writeln!(t, "  {}", one_line(d));
    }
    let base = cap.base_uri(op.namespace()).unwrap_or_default();
    let _ = writeln!(t, "\n  {} {}{}", op.method(), base, op.path_template());
    if let Some(reason) = not_callable(op) {
        let _ = writeln!(t, "\n  Cannot be called: {reason}");
    }

    let _ = writeln!(t, "\nParameters:");
    if op.params().is_empty() {
        let _ = writeln!(t, "  (none)");
    }
    let rows: Vec<[String; 5]> = op
        .params()
        .iter()
        .map(|p| {
            let need = if p.required() && !p.has_default() {
                "required"
            } else if p.has_default() {
                "has default"
            } else {
                "optional"
            };
            [
                p.name().to_string(),
                p.location().as_str().to_string(),
                p.ty().as_str().to_string(),
                need.to_string(),
                p.description().map(one_line).unwrap_or_default(),
            ]
        })
        .collect();
    let mut widths = [0usize; 4];
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row.iter()) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for [name, location, ty, need, desc] in &rows {
        let line = format!(
            "  {name:<w0$}  {location:<w1$}  {ty:<w2$}  {need:<w3$}  {desc}",
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3]
        );
        let _ = writeln!(t, "{}", line.trim_end());
    }
    let others: Vec<&str> = op
        .argument_names()
        .iter()
        .map(String::as_str)
        .filter(|n| op.param(n).is_none())
        .collect();
    if !others.is_empty() {
        let _ = writeln!(t, "  also used by templates: {}", others.join(", "));
    }

    let _ = writeln!(t, "\nAuth:\n  {}", auth_text(cap.auth(op.namespace())));
    let _ = writeln!(t, "\nOutput ({}):\n  {}", op.format(), op.output_mapping());

    let warnings: Vec<&Diagnostic> = cap
        .diagnostics()
        .iter()
        .filter(|d| d.severity != Severity::Deviation && concerns(d, op))
        .collect();
    if !warnings.is_empty() {
        let _ = writeln!(t, "\nWarnings:");
        for d in warnings {
            let _ = writeln!(t, "  {}", d.render(false));
        }
    }
    t
}

/// True when the diagnostic is about this operation (its document path is inside it).
fn concerns(d: &Diagnostic, op: &Operation) -> bool {
    let own = &op.location().path;
    match d.location.path.strip_prefix(own.as_str()) {
        Some(rest) => own.is_empty() || rest.is_empty() || rest.starts_with(['.', '[']),
        None => false,
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Where the credential goes and which variable it comes from; never a value.
fn auth_text(auth: Option<&Auth>) -> String {
    // The library describes every scheme (src/auth/); the CLI only names the absence.
    auth.map_or_else(|| "none".to_string(), Auth::to_string)
}
