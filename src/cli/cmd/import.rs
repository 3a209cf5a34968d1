//! `naftiko import openapi SPEC`: an OpenAPI document → a capability file.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use naftiko::openapi::{import, Dialect, ImportOptions, OpenApi};

use crate::cli::{output, Exit, Failure};

/// `naftiko import` formats.
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import an OpenAPI 3.0 / 3.1 or Swagger 2.0 document (JSON or YAML)
    #[command(after_help = IMPORT_HELP)]
    Openapi(ImportOpenApiArgs),
}

/// `naftiko import` arguments.
#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(subcommand)]
    pub format: ImportCommand,
}

/// The dialect to write.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DialectArg {
    /// The seed's and the corpus's shape (`auth`, `{x}`, typed parameters)
    Published,
    /// What naftiko-schema-v1.0.0-alpha2.json accepts (`authentication`, `{{x}}`, kebab-case)
    Schema,
}

/// `naftiko import openapi` arguments.
#[derive(Debug, Args)]
pub struct ImportOpenApiArgs {
    /// The OpenAPI document
    pub spec: PathBuf,
    /// Write the capability here instead of stdout
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// The consumed namespace (default: from the title)
    #[arg(long)]
    pub namespace: Option<String>,
    /// The capability dialect
    #[arg(long, value_enum, default_value = "published")]
    pub dialect: DialectArg,
    /// Only operations with one of these tags
    #[arg(long, value_delimiter = ',')]
    pub tags: Vec<String>,
    /// Only paths matching this glob (`*` matches anything; repeatable)
    #[arg(long)]
    pub include: Vec<String>,
    /// Leave out paths matching this glob (repeatable)
    #[arg(long)]
    pub exclude: Vec<String>,
    /// One body parameter per top-level property of the request body
    #[arg(long)]
    pub flatten_body: bool,
    /// Also write example arguments for every operation, as JSON `{operation: {arg: value}}`
    #[arg(long, value_name = "FILE")]
    pub examples: Option<PathBuf>,
}

const IMPORT_HELP: &str = "\
Examples:
  naftiko import openapi openapi.json --namespace vital -o vital.yaml
  naftiko validate vital.yaml
  naftiko call vital.yaml get_user_v2_user__user_id__get user_id=u-1 --dry-run

Exit codes:
  0  success
  1  the document cannot be read, or the written capability does not load";

/// Runs `naftiko import`.
pub fn run(a: &ImportArgs) -> Result<Exit, Failure> {
    let ImportCommand::Openapi(a) = &a.format;
    let api = OpenApi::from_path(&a.spec).map_err(|e| Failure::invalid(e.to_string()))?;
    let opts = ImportOptions {
        namespace: a.namespace.clone(),
        dialect: match a.dialect {
            DialectArg::Published => Dialect::Published,
            DialectArg::Schema => Dialect::Schema,
        },
        tags: a.tags.clone(),
        include: a.include.clone(),
        exclude: a.exclude.clone(),
        flatten_body: a.flatten_body,
    };
    let imported = import(&api, &opts).map_err(|e| Failure::invalid(e.to_string()))?;
    // The written file must load: checked here so a bad import fails before anyone calls it.
    imported
        .capability()
        .map_err(|e| Failure::invalid(format!("the imported capability does not load: {e}")))?;
    match &a.output {
        Some(path) => std::fs::write(path, &imported.yaml)
            .map_err(|e| Failure::invalid(format!("{}: {e}", path.display())))?,
        None => output::raw(imported.yaml.as_bytes())?,
    }
    if let Some(path) = &a.examples {
        let all: serde_json::Map<String, serde_json::Value> = imported
            .operations
            .iter()
            .map(|o| (o.name.clone(), o.example_args.clone()))
            .collect();
        let text = serde_json::to_string_pretty(&all).unwrap_or_default();
        std::fs::write(path, text + "\n")
            .map_err(|e| Failure::invalid(format!("{}: {e}", path.display())))?;
    }
    let mut notes = vec![format!(
        "{} operation(s) imported into namespace `{}`",
        imported.operations.len(),
        imported.namespace
    )];
    notes.extend(imported.skipped.iter().map(|s| format!("skipped: {s}")));
    if !imported.secrets.is_empty() {
        notes.push(format!(
            "set {} before calling",
            imported.secrets.join(", ")
        ));
    }
    output::stderr_lines(notes.iter().map(String::as_str));
    Ok(Exit::Ok)
}
