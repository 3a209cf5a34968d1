//! Diagnostics and load errors, each pointing at a file, line, column and document path.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A 1-based line and column in a source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    /// Line, starting at 1.
    pub line: usize,
    /// Column, starting at 1.
    pub col: usize,
}

impl std::fmt::Display for Pos {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// A place in a capability document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file the capability (or an imported part of it) came from.
    pub file: Arc<Path>,
    /// Line and column (1-based).
    pub pos: Pos,
    /// The path inside the document, e.g. `capability.consumes[0].resources[2].operations[1]`.
    pub path: String,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}",
            self.file.display(),
            self.pos.line,
            self.pos.col
        )
    }
}

/// How serious a [`Diagnostic`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Part of the capability cannot work as written (an import that cannot be found, two
    /// operations with the same name, …). A fatal error stops the load.
    Error,
    /// The runtime had to interpret something the schema does not allow either (a path
    /// parameter without a placeholder, a placeholder nothing fills, …). Strict validation
    /// reports it as an error.
    Warning,
    /// Information: a feature that is valid but not supported yet (exposes, non-JSON
    /// formats, exotic authentication). Never an error.
    Note,
    /// A deviation from the `1.0.0-alpha2` schema that the runtime accepts (`auth` instead
    /// of `authentication`, `_` in names, typed consumed parameters, …). Shown only by strict
    /// validation, as an error.
    Deviation,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
            Severity::Deviation => "deviation",
        })
    }
}

/// One finding about a capability document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// How serious it is.
    pub severity: Severity,
    /// Where it is.
    pub location: Location,
    /// What it is, in one sentence.
    pub message: String,
}

impl Diagnostic {
    /// Renders the diagnostic as `file:line:col: error|warning: message`. With `strict`,
    /// warnings and schema deviations are errors. Notes are rendered as warnings.
    pub fn render(&self, strict: bool) -> String {
        let severity = if self.is_error(strict) {
            "error"
        } else {
            "warning"
        };
        format!("{}: {}: {}", self.location, severity, self.message)
    }

    /// True if validation reports it as an error (with `strict`, warnings and schema
    /// deviations too; notes never).
    pub fn is_error(&self, strict: bool) -> bool {
        match self.severity {
            Severity::Error => true,
            Severity::Warning | Severity::Deviation => strict,
            Severity::Note => false,
        }
    }

    /// True if validation shows it: schema deviations only with `strict`.
    pub fn is_shown(&self, strict: bool) -> bool {
        strict || self.severity != Severity::Deviation
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(false))
    }
}

/// Why a capability could not be loaded at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SpecError {
    /// The file (or an imported file) could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid YAML or JSON.
    #[error("{}:{}:{}: error: {message}", file.display(), pos.line, pos.col)]
    Syntax {
        /// The file.
        file: Arc<Path>,
        /// Where the parser stopped.
        pos: Pos,
        /// What the parser found.
        message: String,
    },
    /// The document parsed but cannot be turned into a runnable capability.
    /// Every fatal problem found is listed, with the non-fatal ones.
    #[error("{}", render_invalid(diagnostics))]
    Invalid {
        /// All diagnostics; at least one is fatal.
        diagnostics: Vec<Diagnostic>,
    },
}

fn render_invalid(diagnostics: &[Diagnostic]) -> String {
    let fatal: Vec<String> = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| d.render(false))
        .collect();
    fatal.join("\n")
}

impl SpecError {
    /// The diagnostics behind this error, as `file:line:col: error: message` lines.
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        match self {
            SpecError::Invalid { diagnostics } => diagnostics.clone(),
            SpecError::Syntax { file, pos, message } => vec![Diagnostic {
                severity: Severity::Error,
                location: Location {
                    file: file.clone(),
                    pos: *pos,
                    path: String::new(),
                },
                message: message.clone(),
            }],
            SpecError::Read { path, source } => vec![Diagnostic {
                severity: Severity::Error,
                location: Location {
                    file: Arc::from(path.as_path()),
                    pos: Pos { line: 1, col: 1 },
                    path: String::new(),
                },
                message: format!("cannot read file: {source}"),
            }],
        }
    }
}
