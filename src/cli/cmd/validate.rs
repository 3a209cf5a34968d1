//! `naftiko validate`: every diagnostic as `file:line:col: error|warning: message`.

use std::path::PathBuf;

use clap::Args;
use naftiko::LoadOptions;
use naftiko::{Capability, Diagnostic};

use crate::cli::{output, Exit, Failure};

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

/// Runs `naftiko validate`. Plain: errors, warnings and notes are shown (notes as
/// warnings), errors fail. Strict: schema deviations are shown too, and warnings and
/// deviations are errors; notes (valid features not supported yet) stay warnings.
pub fn run(a: &ValidateArgs) -> Result<Exit, Failure> {
    let (mut errors, mut warnings) = (0usize, 0usize);
    let mut text = String::new();
    for path in &a.specs {
        let options = if a.strict {
            LoadOptions::strict()
        } else {
            LoadOptions::default()
        };
        let mut diagnostics: Vec<Diagnostic> = match Capability::from_path_with(path, &options) {
            Ok(cap) => cap.diagnostics().to_vec(),
            Err(e) => e.diagnostics(),
        };
        // In document order (stable: same-place findings keep the loader's order); imported
        // files keep their place after the file that imports them.
        diagnostics.sort_by_key(|d| {
            (
                d.location.file.as_ref() != path.as_path(),
                d.location.pos.line,
                d.location.pos.col,
            )
        });
        for d in diagnostics {
            if !d.is_shown(a.strict) {
                continue;
            }
            if d.is_error(a.strict) {
                errors += 1;
            } else {
                warnings += 1;
            }
            text.push_str(&d.render(a.strict));
            text.push('\n');
        }
    }
    output::raw(text.as_bytes())?;
    let files = a.specs.len();
    let summary = format!(
        "{files} file{}: {errors} error{}, {warnings} warning{}{}",
        plural(files),
        plural(errors),
        plural(warnings),
        if a.strict { " (strict)" } else { "" }
    );
    output::stderr_lines([summary.as_str()]);
    Ok(if errors > 0 { Exit::Invalid } else { Exit::Ok })
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
