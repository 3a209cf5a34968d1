//! Text → model: parses a capability file into a positioned tree ([`tree`]) and lowers it
//! into a [`Capability`], accepting both dialects and reporting everything it had to
//! interpret, with its position. Nothing here runs per call, and nothing after loading
//! imports this module (the model is in `crate::spec`).
//!
//! One file per part of the document: [`capability`] (the root, `info`), [`binds`],
//! [`imports`] (consumer entries, inline or from other files), [`consumer`], [`auth`],
//! [`params`], [`operation`], [`body`], [`outputs`], [`index`] and [`exposes`]. Two cut
//! across them: [`dialect`] (variable references and the published dialect's spellings) and
//! [`schema`] (the alpha2 checks, as tables), which only records deviations.

/// Records a schema deviation, computing its location and message only when deviations are
/// wanted (strict validation): most loads do not need them.
macro_rules! deviation {
    ($loader:expr, $location:expr, $message:expr $(,)?) => {
        if $loader.deviations {
            $loader.deviation($location, $message)
        }
    };
}

mod auth;
mod binds;
mod body;
mod capability;
mod consumer;
mod dialect;
pub(crate) mod exposes;
mod imports;
mod index;
mod mcp_extras;
mod operation;
mod outputs;
mod pagination;
mod params;
mod schema;
mod shape;
mod skills;
#[cfg(test)]
mod tests;
pub(crate) mod tree;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::spec::{Bind, Capability, Diagnostic, LoadOptions, Location, Severity, SpecError};
use tree::{Key, Kind, Node};

/// Versions this runtime reads. alpha1 and alpha3 differ from alpha2 only in ways the
/// lenient loader already accepts.
const KNOWN_VERSIONS: &[&str] = &["1.0.0-alpha1", "1.0.0-alpha2", "1.0.0-alpha3"];
/// How deep imports may nest (a file importing a file importing …).
const MAX_IMPORT_DEPTH: usize = 8;

impl Capability {
    /// Loads a capability from a YAML or JSON file. Imports and bind files resolve relative
    /// to the file's directory. Schema deviations are not recorded (see
    /// [`Capability::from_path_with`]).
    pub fn from_path(path: impl AsRef<Path>) -> Result<Capability, SpecError> {
        from_path(path.as_ref(), &LoadOptions::default())
    }

    /// [`Capability::from_path`] with options, e.g. [`LoadOptions::strict`] to record every
    /// deviation from the schema.
    ///
    /// ```
    /// use naftiko::{LoadOptions, Severity};
    /// let cap = naftiko::Capability::from_path_with("specs/vital/users.yaml", &LoadOptions::strict())?;
    /// assert!(cap.diagnostics().iter().any(|d| d.severity == Severity::Deviation));
    /// # Ok::<(), naftiko::SpecError>(())
    /// ```
    pub fn from_path_with(
        path: impl AsRef<Path>,
        options: &LoadOptions,
    ) -> Result<Capability, SpecError> {
        from_path(path.as_ref(), options)
    }

    /// Loads a capability from text; `name` is used in diagnostics and `base_dir`
    /// (if any) to resolve imports.
    pub fn from_str_named(
        text: &str,
        name: impl AsRef<Path>,
        base_dir: Option<&Path>,
    ) -> Result<Capability, SpecError> {
        from_text(text, name.as_ref(), base_dir, &LoadOptions::default())
    }

    /// [`Capability::from_str_named`] with options (as [`Capability::from_path_with`]).
    pub fn from_str_named_with(
        text: &str,
        name: impl AsRef<Path>,
        base_dir: Option<&Path>,
        options: &LoadOptions,
    ) -> Result<Capability, SpecError> {
        from_text(text, name.as_ref(), base_dir, options)
    }
}

pub(crate) fn from_path(path: &Path, options: &LoadOptions) -> Result<Capability, SpecError> {
    let text = std::fs::read_to_string(path).map_err(|source| SpecError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    from_text(&text, path, path.parent(), options)
}

pub(crate) fn from_text(
    text: &str,
    name: &Path,
    base_dir: Option<&Path>,
    options: &LoadOptions,
) -> Result<Capability, SpecError> {
    let file: Arc<Path> = Arc::from(name);
    let root = tree::parse_file(text, name).map_err(|e| SpecError::Syntax {
        file: file.clone(),
        pos: e.pos,
        message: e.message,
    })?;
    let mut loader = Loader {
        base_dir: base_dir.map(Path::to_path_buf).unwrap_or_default(),
        diagnostics: Vec::new(),
        fatal: false,
        binds: Vec::new(),
        deviations: options.schema_deviations,
    };
    let cap = loader.capability(&file, &root);
    if loader.fatal {
        return Err(SpecError::Invalid {
            diagnostics: loader.diagnostics,
        });
    }
    let mut cap = cap;
    let mut diagnostics = loader.diagnostics;
    // Document order (imported files after the capability, each in its own order). Most
    // diagnostics share the capability's file: compare pointers before paths.
    let key = |d: &Diagnostic| {
        let own = Arc::ptr_eq(&d.location.file, &cap.file);
        (!own, d.location.pos.line, d.location.pos.col)
    };
    if !diagnostics.windows(2).all(|w| key(&w[0]) <= key(&w[1])) {
        diagnostics.sort_by(|a, b| {
            key(a)
                .0
                .cmp(&key(b).0)
                .then_with(|| {
                    if key(a).0 {
                        a.location.file.cmp(&b.location.file)
                    } else {
                        std::cmp::Ordering::Equal
                    }
                })
                .then_with(|| key(a).cmp(&key(b)))
        });
    }
    cap.diagnostics = diagnostics;
    Ok(cap)
}

/// A node with the file and document path it was found at.
#[derive(Clone, Copy)]
struct At<'a> {
    file: &'a Arc<Path>,
    node: &'a Node,
    path: &'a str,
}

impl<'a> At<'a> {
    fn loc(&self) -> Location {
        Location {
            file: self.file.clone(),
            pos: self.node.pos,
            path: self.path.to_string(),
        }
    }
    fn key_loc(&self, key: &str) -> Location {
        Location {
            file: self.file.clone(),
            pos: self.node.key_pos(key),
            path: join(self.path, key),
        }
    }
}

/// `path.key`, or `key` at the root. Document paths are built for every node visited (the
/// diagnostics point at them), so they are assembled at their exact size, without `format!`.
fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        [path, ".", key].concat()
    }
}

/// `path` followed by `suffix` and `[i]`: `items[2]`, `x.resources[0]` (as [`join`], no `format!`).
fn item(path: &str, suffix: &str, i: usize) -> String {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut n = i;
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let digits = std::str::from_utf8(&digits[at..]).unwrap_or_default();
    [path, suffix, "[", digits, "]"].concat()
}

struct Loader {
    /// Record deviations from the schema (strict validation).
    deviations: bool,
    base_dir: PathBuf,
    diagnostics: Vec<Diagnostic>,
    fatal: bool,
    binds: Vec<Bind>,
}

/// A consumer entry with the file it came from (imports come from other files).
struct ConsumerNode<'a> {
    file: Arc<Path>,
    /// Borrowed from the capability's tree; owned when imported from another file.
    node: std::borrow::Cow<'a, Node>,
    path: String,
    rename: Option<String>,
}

/// Context for resolving the variables of one operation.
struct Scope<'a> {
    params: &'a HashSet<String>,
}

impl Loader {
    fn push(&mut self, severity: Severity, location: Location, message: impl Into<String>) {
        self.diagnostics.push(Diagnostic {
            severity,
            location,
            message: message.into(),
        });
    }
    fn fatal(&mut self, location: Location, message: impl Into<String>) {
        self.fatal = true;
        self.push(Severity::Error, location, message);
    }
    fn error(&mut self, location: Location, message: impl Into<String>) {
        self.push(Severity::Error, location, message);
    }
    fn warn(&mut self, location: Location, message: impl Into<String>) {
        self.push(Severity::Warning, location, message);
    }
    fn note(&mut self, location: Location, message: impl Into<String>) {
        self.push(Severity::Note, location, message);
    }
    fn deviation(&mut self, location: Location, message: impl Into<String>) {
        self.push(Severity::Deviation, location, message);
    }

    fn str_field(&mut self, at: At<'_>, key: &str) -> Option<String> {
        let node = at.node.get(key)?;
        match node.scalar_text() {
            Some(s) => Some(s),
            None if matches!(node.kind, Kind::Null) => None,
            None => {
                self.error(
                    at.key_loc(key),
                    format!("`{key}` should be a string, found {}", node.kind_name()),
                );
                None
            }
        }
    }
}

fn key_location(at: At<'_>, k: &Key) -> Location {
    Location {
        file: at.file.clone(),
        pos: k.pos,
        path: join(at.path, &k.name),
    }
}
