//! `naftiko query`: a JSONPath over a JSON document, with the engine and the `$.` rule of
//! output mapping, printed as the JSON array of selected nodes.

use std::io::Read;
use std::path::PathBuf;

use clap::Args;
use naftiko::Query;
use serde_json::Value;

use crate::cli::{output, Exit, Failure};

/// `naftiko query`.
#[derive(Debug, Args)]
pub struct QueryArgs {
    /// The JSONPath expression, e.g. `$.users[*].user_id` (`$.` and `$` are the root)
    pub expr: String,
    /// The JSON document; stdin when absent or `-`
    pub file: Option<PathBuf>,
}

/// Runs `naftiko query`.
pub fn run(a: &QueryArgs) -> Result<Exit, Failure> {
    // The expression is checked first, so a bad one fails without waiting for stdin.
    let query = Query::compile(&a.expr).map_err(|e| Failure::invalid(e.to_string()))?;
    let (name, text) = match a.file.as_deref() {
        Some(p) if p.as_os_str() != "-" => (
            p.display().to_string(),
            std::fs::read_to_string(p)
                .map_err(|e| Failure::invalid(format!("cannot read {}: {e}", p.display())))?,
        ),
        _ => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| Failure::invalid(format!("cannot read stdin: {e}")))?;
            ("stdin".to_string(), text)
        }
    };
    let document: Value = serde_json::from_str(&text)
        .map_err(|e| Failure::invalid(format!("{name} is not valid JSON: {e}")))?;
    let nodes: Vec<&Value> = query.nodes(&document);
    output::json(&nodes)?;
    Ok(Exit::Ok)
}
