//! The second step of the data flow (spec → **bind** → prepare → send → map): where the
//! secret values of template variables come from.
//!
//! A `binds` entry without `location` reads the environment; `location: file:///…` reads a
//! flat YAML or JSON file (relative paths resolve against the capability's directory).
//! Values are read once, when the runtime is built. A variable that has no value is reported
//! only when an operation that needs it is prepared, so listing, describing and dry runs work
//! without any secret.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use crate::secret::Secret;
use crate::spec::{BodySpec, Capability, Template, Var};

/// Why a bound variable has no value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BindError {
    /// The environment variable is not set.
    #[error("operation `{operation}` needs the environment variable `{source_key}`{} for {usage}, but it is not set", via(variable, source_key))]
    Missing {
        /// The operation being prepared.
        operation: String,
        /// The template variable (`VITAL_API_KEY`).
        variable: String,
        /// The environment variable read (usually the same name).
        source_key: String,
        /// Where the capability uses it ("the `x-vital-api-key` header", …).
        usage: String,
    },
    /// The bind file has no such key.
    #[error("operation `{operation}` needs `{variable}` for {usage}, but the bind file {} has no key `{source_key}`", path.display())]
    MissingInFile {
        /// The operation being prepared.
        operation: String,
        /// The template variable.
        variable: String,
        /// The key looked up in the file.
        source_key: String,
        /// The bind file.
        path: Box<std::path::Path>,
        /// Where the capability uses it.
        usage: String,
    },
    /// The bind's `location` uses a scheme this runtime cannot read (`vault://`, …).
    #[error("operation `{operation}` needs `{variable}` for {usage}, but {message}")]
    UnsupportedLocation {
        /// The operation being prepared.
        operation: String,
        /// The template variable.
        variable: String,
        /// Why the location cannot be read.
        message: String,
        /// Where the capability uses it.
        usage: String,
    },
    /// The bind file could not be read or parsed.
    #[error("operation `{operation}` needs `{variable}` for {usage}, but the bind file {} cannot be read: {message}", path.display())]
    UnreadableFile {
        /// The operation being prepared.
        operation: String,
        /// The template variable.
        variable: String,
        /// The bind file.
        path: Box<std::path::Path>,
        /// Why it cannot be read.
        message: String,
        /// Where the capability uses it.
        usage: String,
    },
}

fn via(variable: &str, source: &str) -> String {
    if variable == source {
        String::new()
    } else {
        format!(" (bound as `{variable}`)")
    }
}

impl BindError {
    /// The name of the environment variable (or file key) that has no value.
    pub fn variable(&self) -> &str {
        match self {
            BindError::Missing { source_key, .. } | BindError::MissingInFile { source_key, .. } => {
                source_key
            }
            BindError::UnreadableFile { variable, .. }
            | BindError::UnsupportedLocation { variable, .. } => variable,
        }
    }
}

/// Where a variable's value is read from.
#[derive(Debug, Clone)]
enum Source {
    Env(String),
    File { path: PathBuf, key: String },
    Unsupported(String),
}

/// Resolved binds: a snapshot of every value the capability can use.
#[derive(Clone, Default)]
pub(crate) struct Binds {
    /// Template variable → where it comes from.
    sources: HashMap<String, Source>,
    /// Environment snapshot (only the variables the capability names).
    env: HashMap<String, Secret>,
    /// Every variable that has a value, resolved once: what `prepare` looks up per call.
    resolved: rustc_hash::FxHashMap<Box<str>, Secret>,
    /// Bind files: path → parsed contents or the reason they cannot be read.
    files: HashMap<PathBuf, Result<HashMap<String, String>, String>>,
}

impl std::fmt::Debug for Binds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Binds")
            .field("variables", &self.sources.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// Where environment values come from.
pub(crate) enum Env {
    Process,
    Map(HashMap<String, String>),
}

impl Env {
    fn get(&self, key: &str) -> Option<String> {
        match self {
            Env::Process => std::env::var(key).ok(),
            Env::Map(m) => m.get(key).cloned(),
        }
    }
}

impl Binds {
    pub(crate) fn resolve(cap: &Capability, env: &Env) -> Binds {
        let mut binds = Binds::default();
        for bind in &cap.binds {
            for (var, key) in &bind.keys {
                let source = match &bind.file {
                    None if bind.unsupported.is_some() => {
                        Source::Unsupported(bind.unsupported.clone().unwrap_or_default())
                    }
                    None => Source::Env(key.clone()),
                    Some(path) => {
                        binds
                            .files
                            .entry(path.clone())
                            .or_insert_with(|| read_file(path));
                        Source::File {
                            path: path.clone(),
                            key: key.clone(),
                        }
                    }
                };
                binds.sources.entry(var.clone()).or_insert(source);
            }
        }
        // Snapshot every environment variable the capability can read.
        let mut wanted: Vec<String> = binds
            .sources
            .values()
            .filter_map(|s| match s {
                Source::Env(k) => Some(k.clone()),
                Source::File { .. } | Source::Unsupported(_) => None,
            })
            .collect();
        for var in cap_env_vars(cap) {
            wanted.push(var);
        }
        for key in &wanted {
            if let Some(value) = env.get(key) {
                binds
                    .env
                    .insert(key.clone(), Secret::new(key.as_str(), value));
            }
        }
        // Resolve every variable the capability names once, so a call looks each up once.
        let names: Vec<String> = binds.sources.keys().cloned().chain(wanted).collect();
        for name in names {
            if let Ok(secret) = binds.lookup_slow(&Var::Env(name.clone()), "", &String::new) {
                binds.resolved.insert(name.into_boxed_str(), secret);
            }
        }
        binds
    }

    /// The secret value of a bind or environment variable.
    pub(crate) fn lookup(
        &self,
        var: &Var,
        operation: &str,
        usage: &dyn Fn() -> String,
    ) -> Result<Secret, BindError> {
        if let Some(found) = self.resolved.get(var.name()) {
            return Ok(found.clone());
        }
        self.lookup_slow(var, operation, usage)
    }

    /// Where a variable's value comes from, read from the sources (and why it has none).
    fn lookup_slow(
        &self,
        var: &Var,
        operation: &str,
        usage: &dyn Fn() -> String,
    ) -> Result<Secret, BindError> {
        let (variable, source) = match var {
            Var::Bind(name) => match self.sources.get(name) {
                Some(s) => (name.as_str(), s.clone()),
                None => (name.as_str(), Source::Env(name.clone())),
            },
            Var::Env(name) => (
                name.as_str(),
                self.sources
                    .get(name)
                    .cloned()
                    .unwrap_or_else(|| Source::Env(name.clone())),
            ),
            Var::Arg(name) => (name.as_str(), Source::Env(name.clone())),
        };
        match source {
            Source::Unsupported(message) => Err(BindError::UnsupportedLocation {
                operation: operation.to_string(),
                variable: variable.to_string(),
                message,
                usage: usage(),
            }),
            Source::Env(key) => self
                .env
                .get(&key)
                .cloned()
                .ok_or_else(|| BindError::Missing {
                    operation: operation.to_string(),
                    variable: variable.to_string(),
                    source_key: key,
                    usage: usage(),
                }),
            Source::File { path, key } => match self.files.get(&path) {
                Some(Ok(map)) => map
                    .get(&key)
                    .map(|v| Secret::new(variable, v.as_str()))
                    .ok_or_else(|| BindError::MissingInFile {
                        operation: operation.to_string(),
                        variable: variable.to_string(),
                        source_key: key,
                        path: path.as_path().into(),
                        usage: usage(),
                    }),
                Some(Err(message)) => Err(BindError::UnreadableFile {
                    operation: operation.to_string(),
                    variable: variable.to_string(),
                    path: path.as_path().into(),
                    message: message.clone(),
                    usage: usage(),
                }),
                None => Err(BindError::UnreadableFile {
                    operation: operation.to_string(),
                    variable: variable.to_string(),
                    path: path.as_path().into(),
                    message: "not loaded".into(),
                    usage: usage(),
                }),
            },
        }
    }

    /// A placeholder secret for a variable without a value (dry runs): shown as `***`,
    /// exported to curl as `${NAME}`.
    pub(crate) fn placeholder(var: &Var) -> Secret {
        let name = var.name();
        Secret::new(name, Arc::<str>::from(format!("naftiko-unset-{name}")))
    }
}

/// Every `Env` variable any template of the capability uses.
fn cap_env_vars(cap: &Capability) -> Vec<String> {
    let mut out = Vec::new();
    fn push_into(out: &mut Vec<String>, t: &Template) {
        for v in t.vars() {
            if let Var::Env(n) | Var::Bind(n) = v {
                out.push(n.clone());
            }
        }
    }
    for c in &cap.consumers {
        push_into(&mut out, &c.base_uri);
        if let Some(ca) = &c.ca_path {
            push_into(&mut out, ca);
        }
        if let Some(auth) = &c.auth {
            crate::auth::templates(auth, &mut |t| push_into(&mut out, t));
        }
    }
    for op in &cap.operations {
        for p in &op.params {
            if let Some(t) = &p.value {
                push_into(&mut out, t);
            }
        }
        for s in &op.segments {
            if let crate::spec::Segment::Var(Var::Env(n) | Var::Bind(n)) = s {
                out.push(n.clone());
            }
        }
        if let Some(body) = &op.body {
            body_secret_vars(body, &mut out);
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Secret variables a body template uses (for the environment snapshot).
// The same walk as the loader's `collect_body_args` (which collects the argument
// variables); the two become one walk on `BodySpec` in src/spec when the loader moves.
fn body_secret_vars(body: &BodySpec, out: &mut Vec<String>) {
    body.visit_vars(&mut |v| {
        if let Var::Env(n) | Var::Bind(n) = v {
            out.push(n.clone());
        }
    });
}

fn read_file(path: &std::path::Path) -> Result<HashMap<String, String>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let node = crate::load::tree::parse_file(&text, path)
        .map_err(|e| format!("{}:{}: {}", e.pos.line, e.pos.col, e.message))?;
    let Some(entries) = node.as_map() else {
        return Err(format!(
            "expected a flat mapping of keys to values, found {}",
            node.kind_name()
        ));
    };
    let mut map = HashMap::new();
    for (k, v) in entries {
        match v.scalar_text() {
            Some(text) => {
                map.insert(k.name.clone(), text);
            }
            None => {
                return Err(format!(
                    "key `{}` at line {} is {}, expected a scalar value",
                    k.name,
                    k.pos.line,
                    v.kind_name()
                ))
            }
        }
    }
    Ok(map)
}
