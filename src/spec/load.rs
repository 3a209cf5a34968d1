//! Turns a document tree into a [`Capability`], accepting both dialects and reporting
//! everything it had to interpret, with its position.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::diag::{Diagnostic, Location, Severity, SpecError};
use super::template::{self, Part, RawPart, RawVar, Template, Var};
use super::tree::{self, Key, Kind, Node};
use super::{
    Auth, Bind, BodySpec, Capability, Consumer, JsonTemplate, KeyPlacement, LoadOptions, Method,
    Operation, Param, ParamIn, ParamType, Segment,
};
use crate::map::OutputMap;

/// Versions this runtime reads. alpha1 and alpha3 differ from alpha2 only in ways the
/// lenient loader already accepts.
const KNOWN_VERSIONS: &[&str] = &["1.0.0-alpha1", "1.0.0-alpha2", "1.0.0-alpha3"];
/// How deep imports may nest (a file importing a file importing …).
const MAX_IMPORT_DEPTH: usize = 8;

/// Records a schema deviation, computing its location and message only when deviations are
/// wanted (strict validation): most loads do not need them.
macro_rules! deviation {
    ($loader:expr, $location:expr, $message:expr $(,)?) => {
        if $loader.deviations {
            $loader.deviation($location, $message)
        }
    };
}

pub(super) fn from_path(path: &Path, options: &LoadOptions) -> Result<Capability, SpecError> {
    let text = std::fs::read_to_string(path).map_err(|source| SpecError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    from_text(&text, path, path.parent(), options)
}

pub(super) fn from_text(
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

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
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

    /// Reports keys outside `allowed` as schema deviations (they are otherwise ignored,
    /// which is said too, so nothing is dropped silently).
    fn check_keys(&mut self, at: At<'_>, allowed: &[&str], what: &str) {
        if !self.deviations {
            return;
        }
        let Some(entries) = at.node.as_map() else {
            return;
        };
        for (k, _) in entries {
            if !allowed.contains(&k.name.as_str()) {
                deviation!(
                    self,
                    key_location(at, k),
                    format!(
                        "`{}` is not a key of {what} in the 1.0.0-alpha2 schema",
                        k.name
                    ),
                );
            }
        }
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

    fn capability(&mut self, file: &Arc<Path>, root: &Node) -> Capability {
        let at = At {
            file,
            node: root,
            path: "",
        };
        let mut cap = Capability {
            file: file.clone(),
            version: None,
            label: None,
            description: None,
            consumers: Vec::new(),
            operations: Vec::new(),
            index: Default::default(),
            binds: Vec::new(),
            diagnostics: Vec::new(),
            exposes: Vec::new(),
        };
        let Some(entries) = root.as_map() else {
            self.fatal(
                at.loc(),
                format!(
                    "not a Naftiko capability: the document is {}, expected a mapping with `naftiko` and `capability` keys",
                    root.kind_name()
                ),
            );
            return cap;
        };
        let has_capability = root.get("capability").is_some();
        let has_consumes = root.get("consumes").is_some();
        if !has_capability && !has_consumes {
            let keys: Vec<&str> = entries.iter().map(|(k, _)| k.name.as_str()).collect();
            self.fatal(
                at.loc(),
                format!(
                    "not a Naftiko capability: no `capability` or `consumes` section (top-level keys: {})",
                    keys.join(", ")
                ),
            );
            return cap;
        }
        self.version(at, &mut cap);
        self.check_keys(
            at,
            &["naftiko", "info", "binds", "consumes", "capability"],
            "the document root",
        );
        for (k, _) in entries {
            if matches!(k.name.as_str(), "import" | "imports" | "personas") {
                self.note(
                    key_location(at, k),
                    format!("not supported yet: top-level `{}` is ignored", k.name),
                );
            }
        }
        if let Some(info) = root.get("info") {
            let info_at = At {
                file,
                node: info,
                path: "info",
            };
            cap.label = self
                .str_field(info_at, "label")
                .or_else(|| self.str_field(info_at, "title"))
                .or_else(|| self.str_field(info_at, "name"));
            cap.description = self.str_field(info_at, "description");
            self.check_keys(
                info_at,
                &[
                    "label",
                    "description",
                    "tags",
                    "created",
                    "modified",
                    "stakeholders",
                ],
                "`info`",
            );
        }

        // Binds first: they decide how template variables resolve.
        if let Some(binds) = root.get("binds") {
            self.binds(At {
                file,
                node: binds,
                path: "binds",
            });
        }
        let capability = root.get("capability");
        if let Some(cap_node) = capability {
            let cap_at = At {
                file,
                node: cap_node,
                path: "capability",
            };
            if cap_node.as_map().is_none() {
                self.fatal(
                    cap_at.loc(),
                    format!(
                        "`capability` should be a mapping, found {}",
                        cap_node.kind_name()
                    ),
                );
                return cap;
            }
            if let Some(binds) = cap_node.get("binds") {
                self.binds(At {
                    file,
                    node: binds,
                    path: "capability.binds",
                });
            }
            self.check_keys(
                cap_at,
                &["binds", "exposes", "consumes", "aggregates"],
                "`capability`",
            );
            for (k, v) in cap_node.as_map().unwrap_or_default() {
                // `exposes` is parsed by exposes_load (mcp helper hook).
                if !matches!(k.name.as_str(), "binds" | "consumes" | "exposes") {
                    let detail = match (&v.kind, k.name.as_str()) {
                        (Kind::Seq(items), "exposes") => {
                            let types: Vec<String> = items
                                .iter()
                                .map(|i| {
                                    i.get("type")
                                        .and_then(Node::scalar_text)
                                        .unwrap_or_else(|| "?".into())
                                })
                                .collect();
                            format!(" ({} adapter(s): {})", items.len(), types.join(", "))
                        }
                        _ => String::new(),
                    };
                    self.note(
                        key_location(cap_at, k),
                        format!(
                            "not supported yet: `capability.{}`{detail} is not run by this runtime; the consumed operations are callable",
                            k.name
                        ),
                    );
                }
            }
        }
        cap.binds = self.binds.clone();

        // Collect consumer entries: root `consumes` (a shared consumes file) and `capability.consumes`.
        let mut nodes: Vec<ConsumerNode<'_>> = Vec::new();
        if let Some(list) = root.get("consumes") {
            self.consumer_nodes(file, list, "consumes", &mut nodes, 0);
        }
        if let Some(list) = capability.and_then(|c| c.get("consumes")) {
            self.consumer_nodes(file, list, "capability.consumes", &mut nodes, 0);
        }
        if nodes.is_empty() && !self.fatal {
            self.note(
                at.loc(),
                "the capability consumes no HTTP API: there is no operation to run",
            );
        }
        for cn in &nodes {
            self.consumer(cn, &mut cap);
        }
        self.index(&mut cap);
        // mcp helper hook: the served adapters, once the operations they call are indexed.
        if let Some(list) = capability.and_then(|c| c.get("exposes")) {
            let adapters = super::exposes_load::load(file, list, &cap, &mut self.diagnostics);
            cap.exposes = adapters;
        }
        cap
    }

    fn version(&mut self, at: At<'_>, cap: &mut Capability) {
        let Some(node) = at.node.get("naftiko") else {
            self.warn(
                at.loc(),
                "the document has no `naftiko` version; reading it as 1.0.0-alpha2",
            );
            return;
        };
        let loc = at.key_loc("naftiko");
        let version = match &node.kind {
            Kind::Str(s) => Some(s.clone()),
            Kind::Map(_) => {
                let v = node.get("version").and_then(Node::scalar_text);
                deviation!(
                    self,
                    loc.clone(),
                    "`naftiko` should be a version string, found a mapping",
                );
                if v.is_none() {
                    self.warn(
                        loc.clone(),
                        "`naftiko` gives no version; reading it as 1.0.0-alpha2",
                    );
                }
                v
            }
            _ => node.scalar_text(),
        };
        if let Some(v) = &version {
            if !KNOWN_VERSIONS.contains(&v.as_str()) {
                self.fatal(
                    loc,
                    format!(
                        "unsupported naftiko version `{v}`: this runtime reads {}",
                        KNOWN_VERSIONS.join(", ")
                    ),
                );
            } else if v != "1.0.0-alpha2" {
                deviation!(
                    self,
                    loc,
                    format!("naftiko version `{v}` is not 1.0.0-alpha2")
                );
            }
        }
        cap.version = version;
    }

    fn binds(&mut self, at: At<'_>) {
        let Some(items) = at.node.as_seq() else {
            self.error(
                at.loc(),
                format!("`binds` should be a list, found {}", at.node.kind_name()),
            );
            return;
        };
        for (i, item) in items.iter().enumerate() {
            let path = format!("{}[{i}]", at.path);
            let item_at = At {
                file: at.file,
                node: item,
                path: &path,
            };
            if let Some(name) = item.scalar_text() {
                // `- SOME_TOKEN`: a bare variable name, read from the environment.
                deviation!(
                    self,
                    item_at.loc(),
                    "a bind should be a mapping with `namespace` and `keys`, found a string",
                );
                self.binds.push(Bind {
                    namespace: "env".into(),
                    file: None,
                    keys: vec![(name.clone(), name)],
                    unsupported: None,
                });
                continue;
            }
            if item.as_map().is_none() {
                self.error(
                    item_at.loc(),
                    format!("a bind should be a mapping, found {}", item.kind_name()),
                );
                continue;
            }
            self.check_keys(
                item_at,
                &["namespace", "description", "location", "keys"],
                "a bind",
            );
            let namespace = self
                .str_field(item_at, "namespace")
                .unwrap_or_else(|| "env".into());
            let mut unsupported = None;
            let file = match self.str_field(item_at, "location") {
                None => None,
                Some(loc) => match loc.strip_prefix("file://") {
                    Some(p) => {
                        // `file:///./x.yaml` and `file:///x.yaml` are relative to the capability;
                        // `file:////etc/x.yaml` (four slashes) is absolute.
                        let relative = p.strip_prefix("/./").or_else(|| p.strip_prefix("./"));
                        let p = match relative {
                            Some(r) => PathBuf::from(r),
                            None => PathBuf::from(p),
                        };
                        Some(if p.is_absolute() && relative.is_none() {
                            p
                        } else {
                            self.base_dir.join(p.strip_prefix("/").unwrap_or(&p))
                        })
                    }
                    None => {
                        let message = format!("bind location `{loc}` is not supported: only file:/// locations and the environment are");
                        self.error(item_at.key_loc("location"), message.clone());
                        unsupported = Some(message);
                        None
                    }
                },
            };
            let mut keys = Vec::new();
            match item.get("keys").map(|k| &k.kind) {
                Some(Kind::Map(entries)) => {
                    for (k, v) in entries {
                        if !template::is_env_style(&k.name) {
                            deviation!(
                                self,
                                key_location(item_at, k),
                                format!("bind key `{}` should match ^[A-Z][A-Z0-9_]*$", k.name),
                            );
                        }
                        let source = v.scalar_text().unwrap_or_else(|| k.name.clone());
                        keys.push((k.name.clone(), source));
                    }
                }
                _ => self.error(
                    item_at.loc(),
                    "a bind needs `keys`: a mapping from variable name to source key",
                ),
            }
            self.binds.push(Bind {
                namespace,
                file,
                keys,
                unsupported,
            });
        }
    }

    fn is_bound(&self, var: &str) -> bool {
        self.binds
            .iter()
            .any(|b| b.keys.iter().any(|(k, _)| k == var))
    }

    fn is_bind_namespace(&self, ns: &str) -> bool {
        self.binds.iter().any(|b| b.namespace == ns)
    }

    /// Resolves a variable reference to an argument, a bind or an environment variable.
    fn resolve(&self, raw: &RawVar, scope: &Scope<'_>) -> Var {
        let text = raw.text.as_str();
        if let Some((ns, rest)) = text.split_once('.') {
            if ns == "env" || self.is_bind_namespace(ns) {
                return if self.is_bound(rest) {
                    Var::Bind(rest.into())
                } else {
                    Var::Env(rest.into())
                };
            }
            let last = text.rsplit('.').next().unwrap_or(text);
            return Var::Arg(last.to_string());
        }
        if self.is_bound(text) {
            Var::Bind(text.into())
        } else if scope.params.contains(text) {
            Var::Arg(text.into())
        } else if template::is_env_style(text) {
            Var::Env(text.into())
        } else {
            Var::Arg(text.into())
        }
    }

    fn template(&self, text: &str, single_braces: bool, scope: &Scope<'_>) -> Template {
        Template {
            parts: template::split(text, single_braces)
                .into_iter()
                .map(|p| match p {
                    RawPart::Lit(s) => Part::Lit(s),
                    RawPart::Var(v) => Part::Var(self.resolve(&v, scope)),
                })
                .collect(),
        }
    }

    fn consumer_nodes<'a>(
        &mut self,
        file: &Arc<Path>,
        list: &'a Node,
        path: &str,
        out: &mut Vec<ConsumerNode<'a>>,
        depth: usize,
    ) {
        let at = At {
            file,
            node: list,
            path,
        };
        let Some(items) = list.as_seq() else {
            self.error(
                at.loc(),
                format!("`consumes` should be a list, found {}", list.kind_name()),
            );
            return;
        };
        for (i, item) in items.iter().enumerate() {
            let item_path = format!("{path}[{i}]");
            let item_at = At {
                file,
                node: item,
                path: &item_path,
            };
            if item.as_map().is_none() {
                self.error(
                    item_at.loc(),
                    format!(
                        "a `consumes` entry should be a mapping, found {}",
                        item.kind_name()
                    ),
                );
                continue;
            }
            if let (Some(location), Some(import)) = (item.get("location"), item.get("import")) {
                self.check_keys(
                    item_at,
                    &["location", "import", "as", "description"],
                    "an imported consumer",
                );
                let (Some(location), Some(import)) = (location.scalar_text(), import.scalar_text())
                else {
                    self.error(item_at.loc(), "`location` and `import` should be strings");
                    continue;
                };
                let rename = self.str_field(item_at, "as");
                self.import(item_at, &location, &import, rename, out, depth);
                continue;
            }
            let refs: Vec<&str> = ["ref", "openapi", "location"]
                .into_iter()
                .filter(|k| item.get(k).is_some())
                .collect();
            if item.get("resources").is_none() && !refs.is_empty() {
                self.warn(
                    item_at.loc(),
                    format!(
                        "not supported yet: a consumer given by `{}` (not `location` + `import`) is skipped",
                        refs.join("` + `")
                    ),
                );
                continue;
            }
            out.push(ConsumerNode {
                file: file.clone(),
                node: std::borrow::Cow::Borrowed(item),
                path: item_path.clone(),
                rename: None,
            });
        }
    }

    fn import(
        &mut self,
        at: At<'_>,
        location: &str,
        namespace: &str,
        rename: Option<String>,
        out: &mut Vec<ConsumerNode<'_>>,
        depth: usize,
    ) {
        if depth >= MAX_IMPORT_DEPTH {
            self.error(
                at.loc(),
                format!("imports nest deeper than {MAX_IMPORT_DEPTH} levels (a cycle?)"),
            );
            return;
        }
        let relative = location.strip_prefix("file://").unwrap_or(location);
        let relative = relative.strip_prefix("./").unwrap_or(relative);
        let dir = at
            .file
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| self.base_dir.clone(), Path::to_path_buf);
        let path = dir.join(relative);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                self.error(
                    at.key_loc("location"),
                    format!(
                        "cannot import `{namespace}` from {}: {e}; its operations are unavailable",
                        path.display()
                    ),
                );
                return;
            }
        };
        let file: Arc<Path> = Arc::from(path.as_path());
        let root = match tree::parse_file(&text, &path) {
            Ok(r) => r,
            Err(e) => {
                self.error(
                    Location {
                        file,
                        pos: e.pos,
                        path: String::new(),
                    },
                    format!("{} (imported from {})", e.message, at.loc()),
                );
                return;
            }
        };
        let found = root
            .get("consumes")
            .or_else(|| root.get("capability").and_then(|c| c.get("consumes")))
            .and_then(Node::as_seq)
            .and_then(|items| {
                items
                    .iter()
                    .position(|c| c.get("namespace").and_then(Node::as_str) == Some(namespace))
                    .map(|i| (i, &items[i]))
            });
        match found {
            Some((i, node)) => {
                if node.get("location").is_some() && node.get("import").is_some() {
                    let p = format!("consumes[{i}]");
                    let nested = At { file: &file, node, path: &p };
                    let loc = node.get("location").and_then(Node::scalar_text).unwrap_or_default();
                    let ns = node.get("import").and_then(Node::scalar_text).unwrap_or_default();
                    self.import(nested, &loc, &ns, rename, out, depth + 1);
                } else {
                    out.push(ConsumerNode {
                        file: file.clone(),
                        node: std::borrow::Cow::Owned(node.clone()),
                        path: format!("consumes[{i}]"),
                        rename,
                    });
                }
            }
            None => self.error(
                at.key_loc("import"),
                format!("{} has no consumer with namespace `{namespace}`; its operations are unavailable", path.display()),
            ),
        }
    }

    fn consumer(&mut self, cn: &ConsumerNode<'_>, cap: &mut Capability) {
        let file = &cn.file;
        let at = At {
            file,
            node: &cn.node,
            path: &cn.path,
        };
        let node = &cn.node;
        self.check_keys(
            at,
            &[
                "namespace",
                "type",
                "baseUri",
                "description",
                "inputParameters",
                "authentication",
                "resources",
                // `auth` gets its own message below.
                "auth",
            ],
            "a consumer",
        );
        let namespace = match (cn.rename.clone(), self.str_field(at, "namespace")) {
            (Some(alias), _) => alias,
            (None, Some(ns)) => ns,
            (None, None) => {
                let fallback = format!("consumes{}", cap.consumers.len());
                self.error(
                    at.loc(),
                    format!("a consumer has no `namespace`; calling it `{fallback}`"),
                );
                fallback
            }
        };
        if !is_kebab(&namespace) {
            deviation!(
                self,
                at.key_loc("namespace"),
                format!("namespace `{namespace}` should match ^[a-zA-Z0-9-]+$"),
            );
        }
        if cap.consumers.iter().any(|c| c.namespace == namespace) {
            self.error(at.key_loc("namespace"), format!("namespace `{namespace}` is declared twice; use `as` on an import to rename one"));
        }
        match self.str_field(at, "type").as_deref() {
            Some("http") => {}
            None => deviation!(self, at.loc(), "a consumer should say `type: http`"),
            Some(other) => {
                self.note(at.key_loc("type"), format!("not supported yet: consumer type `{other}`; namespace `{namespace}` is skipped"));
                return;
            }
        }
        let consumer_index = cap.consumers.len();
        let description = self.str_field(at, "description");

        // Consumer-level parameters apply to every operation.
        let consumer_params = match node.get("inputParameters") {
            Some(p) => self.param_nodes(At {
                file,
                node: p,
                path: &join(&cn.path, "inputParameters"),
            }),
            None => Vec::new(),
        };

        let auth_node = match (node.get("authentication"), node.get("auth")) {
            (Some(a), Some(_)) => {
                self.warn(
                    at.key_loc("auth"),
                    "both `authentication` and `auth` are given; using `authentication`",
                );
                Some(("authentication", a))
            }
            (Some(a), None) => Some(("authentication", a)),
            (None, Some(a)) => {
                deviation!(
                    self,
                    at.key_loc("auth"),
                    "`auth` is not a schema key: the schema calls it `authentication`",
                );
                Some(("auth", a))
            }
            (None, None) => None,
        };
        let empty = HashSet::new();
        let consumer_scope = Scope { params: &empty };
        let auth = auth_node.and_then(|(key, n)| {
            let p = join(&cn.path, key);
            self.auth(
                At {
                    file,
                    node: n,
                    path: &p,
                },
                &consumer_scope,
            )
        });

        let base_text = self.str_field(at, "baseUri").unwrap_or_default();
        let mut base_uri_problem = None;
        if base_text.is_empty() {
            let msg = format!("namespace `{namespace}` has no baseUri; give one with the runtime builder's base_uri or the CLI's --base-uri");
            self.error(at.key_loc("baseUri"), msg.clone());
            base_uri_problem = Some(msg);
        }
        let mut base_trimmed = base_text.trim().to_string();
        if base_trimmed.ends_with('/') && base_trimmed.len() > 1 {
            deviation!(
                self,
                at.key_loc("baseUri"),
                "baseUri must not end with `/` (the runtime removes it)",
            );
            while base_trimmed.ends_with('/') {
                base_trimmed.pop();
            }
        }
        let auth_path_key = match &auth {
            Some(Auth::ApiKey {
                placement: KeyPlacement::Path,
                name,
                ..
            }) => Some(name.clone()),
            _ => None,
        };
        let base_uri = self.base_uri_template(&base_trimmed, auth.as_ref(), &consumer_scope);
        if base_uri.is_literal() && !base_trimmed.is_empty() {
            if let Err(msg) = check_base_uri(&base_trimmed) {
                let msg = format!("namespace `{namespace}`: {msg}");
                self.error(at.key_loc("baseUri"), msg.clone());
                base_uri_problem = Some(msg);
            }
        } else if !base_uri.is_literal() {
            deviation!(self, at.key_loc("baseUri"), "baseUri should be a literal http(s) URI without templates (pattern ^https?://[^/]+(/[^{]*)?$)");
        }

        let consumer = Consumer {
            namespace: namespace.clone(),
            base_uri,
            base_uri_problem,
            description,
            auth: auth.clone(),
        };
        cap.consumers.push(consumer);

        let Some(resources) = node.get("resources") else {
            self.warn(
                at.loc(),
                format!("namespace `{namespace}` has no `resources`: no operation to run"),
            );
            return;
        };
        let Some(resources) = resources.as_seq() else {
            self.error(
                at.key_loc("resources"),
                format!(
                    "`resources` should be a list, found {}",
                    resources.kind_name()
                ),
            );
            return;
        };
        for (ri, resource) in resources.iter().enumerate() {
            let rpath = format!("{}.resources[{ri}]", cn.path);
            let rat = At {
                file,
                node: resource,
                path: &rpath,
            };
            if resource.as_map().is_none() {
                self.error(
                    rat.loc(),
                    format!(
                        "a resource should be a mapping, found {}",
                        resource.kind_name()
                    ),
                );
                continue;
            }
            self.check_keys(
                rat,
                &[
                    "name",
                    "path",
                    "operations",
                    "label",
                    "description",
                    "inputParameters",
                ],
                "a consumed resource",
            );
            let resource_name = self
                .str_field(rat, "name")
                .unwrap_or_else(|| format!("resource{ri}"));
            if !is_kebab(&resource_name) {
                deviation!(
                    self,
                    rat.key_loc("name"),
                    format!("resource name `{resource_name}` should match ^[a-zA-Z0-9-]+$"),
                );
            }
            let resource_path = self.str_field(rat, "path").unwrap_or_default();
            if resource_path.contains('?') {
                deviation!(
                    self,
                    rat.key_loc("path"),
                    "a resource path should not carry a query string",
                );
            }
            let resource_params = match resource.get("inputParameters") {
                Some(p) => self.param_nodes(At {
                    file,
                    node: p,
                    path: &join(&rpath, "inputParameters"),
                }),
                None => Vec::new(),
            };
            let Some(ops) = resource.get("operations").and_then(Node::as_seq) else {
                self.warn(
                    rat.loc(),
                    format!("resource `{resource_name}` has no `operations` list"),
                );
                continue;
            };
            for (oi, op) in ops.iter().enumerate() {
                let opath = format!("{rpath}.operations[{oi}]");
                let oat = At {
                    file,
                    node: op,
                    path: &opath,
                };
                let ctx = OpContext {
                    consumer_index,
                    namespace: &namespace,
                    resource: &resource_name,
                    resource_path: &resource_path,
                    consumer_params: &consumer_params,
                    resource_params: &resource_params,
                    auth: auth.as_ref(),
                    auth_path_key: auth_path_key.as_deref(),
                    base_uri: &cap.consumers[consumer_index].base_uri,
                };
                if let Some(operation) = self.operation(oat, &ctx) {
                    cap.operations.push(operation);
                }
            }
        }
    }

    fn base_uri_template(&self, text: &str, auth: Option<&Auth>, scope: &Scope<'_>) -> Template {
        let mut t = self.template(text, true, scope);
        // `placement: path` auth keys fill the placeholder of the same name.
        if let Some(Auth::ApiKey {
            placement: KeyPlacement::Path,
            name,
            value,
        }) = auth
        {
            let mut parts = Vec::new();
            for p in t.parts {
                match p {
                    Part::Var(Var::Arg(n)) if &n == name => {
                        parts.extend(value.parts.iter().cloned())
                    }
                    other => parts.push(other),
                }
            }
            t = Template { parts };
        }
        t
    }

    fn auth(&mut self, at: At<'_>, scope: &Scope<'_>) -> Option<Auth> {
        let node = at.node;
        if node.as_map().is_none() {
            self.error(
                at.loc(),
                format!(
                    "authentication should be a mapping, found {}",
                    node.kind_name()
                ),
            );
            return None;
        }
        let declared = self.str_field(at, "type");
        let ty = declared
            .as_deref()
            .map(|t| t.to_ascii_lowercase().replace(['-', '_'], ""));
        let value_of = |this: &mut Loader, keys: &[&str]| -> Option<Template> {
            for k in keys {
                if let Some(v) = node.get(k) {
                    if let Some(env) = v.get("env").and_then(Node::scalar_text) {
                        let var = if this.is_bound(&env) {
                            Var::Bind(env)
                        } else {
                            Var::Env(env)
                        };
                        return Some(Template::var(var));
                    }
                    if let Some(text) = v.scalar_text() {
                        let t = this.template(&text, false, scope);
                        if t.is_literal() && template::is_env_style(&text) {
                            this.warn(
                                at.key_loc(k),
                                format!("`{text}` is sent literally as the credential; did you mean `{{{{{text}}}}}`?"),
                            );
                        }
                        return Some(t);
                    }
                }
            }
            None
        };
        let kind = ty.clone().or_else(|| {
            if node.get("token").is_some() {
                Some("bearer".into())
            } else if node.get("username").is_some() {
                Some("basic".into())
            } else if node.get("key").is_some() || node.get("name").is_some() {
                Some("apikey".into())
            } else {
                None
            }
        });
        let unsupported = |this: &mut Loader, kind: String, why: String| {
            this.note(
                at.loc(),
                format!("{why}; the operations of this namespace cannot be called"),
            );
            Some(Auth::Unsupported { kind, reason: why })
        };
        if let Some(d) = &declared {
            if !matches!(d.as_str(), "apikey" | "bearer" | "basic" | "digest") {
                deviation!(
                    self,
                    at.key_loc("type"),
                    format!(
                        "authentication type `{d}` is not one of apikey, bearer, basic, digest"
                    ),
                );
            }
        }
        let allowed: &[&str] = match kind.as_deref() {
            Some("apikey") => &["type", "key", "value", "placement"],
            Some("bearer") => &["type", "token"],
            Some("basic" | "digest") => &["type", "username", "password"],
            _ => &[],
        };
        if !allowed.is_empty() {
            self.check_keys(at, allowed, "this authentication");
        }
        match kind.as_deref() {
            Some("bearer") => match value_of(self, &["token", "value"]) {
                Some(token) => Some(Auth::Bearer { token }),
                None => unsupported(
                    self,
                    "bearer".into(),
                    "bearer authentication has no `token`".into(),
                ),
            },
            Some("basic") => {
                let username = value_of(self, &["username", "user"]).unwrap_or_default();
                let password = value_of(self, &["password"]).unwrap_or_default();
                Some(Auth::Basic { username, password })
            }
            Some("apikey" | "header") => {
                let name = ["key", "name", "header"]
                    .iter()
                    .find_map(|k| node.get(k).and_then(Node::scalar_text));
                let placement_text = self
                    .str_field(at, "placement")
                    .or_else(|| self.str_field(at, "in"));

                let placement = match placement_text
                    .as_deref()
                    .map(str::to_ascii_lowercase)
                    .as_deref()
                {
                    None => {
                        if kind.as_deref() == Some("apikey") {
                            self.warn(at.loc(), "API key authentication without `placement`: sending it as a header");
                        }
                        KeyPlacement::Header
                    }
                    Some("header") => KeyPlacement::Header,
                    Some("query") => KeyPlacement::Query,
                    Some("cookie") => KeyPlacement::Cookie,
                    Some("path") => KeyPlacement::Path,
                    Some("body") => KeyPlacement::Body,
                    Some(other) => {
                        return unsupported(
                            self,
                            "apikey".into(),
                            format!("API key placement `{other}` is not supported yet"),
                        );
                    }
                };
                let Some(name) = name else {
                    return unsupported(
                        self,
                        "apikey".into(),
                        "API key authentication has no `key` (or `name`)".into(),
                    );
                };
                match value_of(self, &["value", "valueFrom", "token"]) {
                    Some(value) => Some(Auth::ApiKey {
                        placement,
                        name,
                        value,
                    }),
                    None => unsupported(
                        self,
                        "apikey".into(),
                        "API key authentication has no `value`".into(),
                    ),
                }
            }
            Some("query") => {
                let mut params = Vec::new();
                for (i, p) in node
                    .get("parameters")
                    .and_then(Node::as_seq)
                    .unwrap_or_default()
                    .iter()
                    .enumerate()
                {
                    let path = format!("{}.parameters[{i}]", at.path);
                    let pat = At {
                        file: at.file,
                        node: p,
                        path: &path,
                    };
                    match (
                        self.str_field(pat, "name"),
                        p.get("value").and_then(Node::scalar_text),
                    ) {
                        (Some(n), Some(v)) => params.push((n, self.template(&v, false, scope))),
                        _ => self.error(
                            pat.loc(),
                            "a query authentication parameter needs `name` and `value`",
                        ),
                    }
                }
                Some(Auth::QueryParams { params })
            }
            Some(other) => {
                let shown = declared.clone().unwrap_or_else(|| other.to_string());
                unsupported(
                    self,
                    shown.clone(),
                    format!("authentication type `{shown}` is not supported yet"),
                )
            }
            None => unsupported(self, "(none)".into(), "authentication has no `type`".into()),
        }
    }

    fn param_nodes(&mut self, at: At<'_>) -> Vec<(Param, Option<String>)> {
        let Some(items) = at.node.as_seq() else {
            self.error(
                at.loc(),
                format!(
                    "`inputParameters` should be a list, found {}",
                    at.node.kind_name()
                ),
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let path = format!("{}[{i}]", at.path);
            let pat = At {
                file: at.file,
                node: item,
                path: &path,
            };
            if item.as_map().is_none() {
                self.error(
                    pat.loc(),
                    format!(
                        "a parameter should be a mapping, found {}",
                        item.kind_name()
                    ),
                );
                continue;
            }
            self.check_keys(pat, &["name", "in", "value"], "a consumed input parameter");
            let Some(name) = self.str_field(pat, "name") else {
                self.error(pat.loc(), "a parameter has no `name`; it is ignored");
                continue;
            };
            if !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '*'))
            {
                deviation!(
                    self,
                    pat.key_loc("name"),
                    format!("parameter name `{name}` should match ^[a-zA-Z0-9-_*]+$"),
                );
            }
            let location = match self
                .str_field(pat, "in")
                .map(|s| s.to_ascii_lowercase())
                .as_deref()
            {
                Some("path") => ParamIn::Path,
                Some("query") => ParamIn::Query,
                Some("header") => ParamIn::Header,
                Some("cookie") => ParamIn::Cookie,
                Some("body") => ParamIn::Body,
                Some("environment") => ParamIn::Environment,
                Some(other) => {
                    self.error(
                        pat.key_loc("in"),
                        format!("parameter `{name}` has `in: {other}`, which is not path, query, header, cookie, body or environment; it is ignored"),
                    );
                    continue;
                }
                None => {
                    self.error(
                        pat.loc(),
                        format!("parameter `{name}` has no `in`; it is ignored"),
                    );
                    continue;
                }
            };
            let ty = match item.get("type") {
                None => ParamType::Any,
                Some(t) => match t.scalar_text().map(|s| s.to_ascii_lowercase()).as_deref() {
                    Some("string") => ParamType::String,
                    Some("integer") => ParamType::Integer,
                    Some("number") => ParamType::Number,
                    Some("boolean") => ParamType::Boolean,
                    Some("object") => ParamType::Object,
                    Some("array") => ParamType::Array,
                    other => {
                        self.warn(
                                pat.key_loc("type"),
                                format!("parameter `{name}` has type `{}`, which is not a JSON type; any value is accepted", other.unwrap_or("?")),
                            );
                        ParamType::Any
                    }
                },
            };
            let required = match item.get("required").map(|r| &r.kind) {
                None => location == ParamIn::Path,
                Some(Kind::Bool(b)) => *b,
                Some(_) => {
                    self.error(
                        pat.key_loc("required"),
                        "`required` should be true or false",
                    );
                    location == ParamIn::Path
                }
            };
            let description = self.str_field(pat, "description");
            let value_text =
                item.get("value")
                    .or_else(|| item.get("default"))
                    .and_then(|v| match &v.kind {
                        Kind::Null => None,
                        Kind::Map(_) | Kind::Seq(_) => Some(v.to_json().to_string()),
                        _ => v.scalar_text(),
                    });
            out.push((
                Param {
                    wire_name: if location == ParamIn::Header {
                        name.to_ascii_lowercase()
                    } else {
                        name.clone()
                    },
                    name,
                    location,
                    ty,
                    required,
                    description,
                    value: None,
                    source: pat.loc(),
                },
                value_text,
            ));
        }
        out
    }

    fn operation(&mut self, at: At<'_>, ctx: &OpContext<'_>) -> Option<Operation> {
        let node = at.node;
        if node.as_map().is_none() {
            self.error(
                at.loc(),
                format!(
                    "an operation should be a mapping, found {}",
                    node.kind_name()
                ),
            );
            return None;
        }
        self.check_keys(
            at,
            &[
                "name",
                "method",
                "label",
                "description",
                "inputParameters",
                "outputRawFormat",
                "outputSchema",
                "outputParameters",
                "body",
            ],
            "a consumed operation",
        );
        let name = match self
            .str_field(at, "name")
            .or_else(|| self.str_field(at, "id"))
        {
            Some(n) => n,
            None => {
                self.error(
                    at.loc(),
                    "an operation has neither `name` nor `id`; it cannot be called and is skipped",
                );
                return None;
            }
        };
        if !is_kebab(&name) {
            deviation!(
                self,
                at.key_loc("name"),
                format!("operation name `{name}` should match ^[a-zA-Z0-9-]+$"),
            );
        }
        let method = match self.str_field(at, "method") {
            None => Method::Get,
            Some(m) => match Method::parse(&m) {
                Some(method) => {
                    if !matches!(
                        method,
                        Method::Get | Method::Post | Method::Put | Method::Patch | Method::Delete
                    ) || m != method.as_str()
                    {
                        deviation!(
                            self,
                            at.key_loc("method"),
                            format!("method `{m}` is not one of GET, POST, PUT, PATCH, DELETE"),
                        );
                    }
                    method
                }
                None => {
                    self.error(
                        at.key_loc("method"),
                        format!("operation `{name}` has unknown HTTP method `{m}`; it is skipped"),
                    );
                    return None;
                }
            },
        };

        // Parameters: consumer-level, resource-level, then the operation's own (a later
        // declaration with the same name and location replaces an earlier one).
        let own = match node.get("inputParameters") {
            Some(p) => self.param_nodes(At {
                file: at.file,
                node: p,
                path: &join(at.path, "inputParameters"),
            }),
            None => Vec::new(),
        };
        let mut raw_params: Vec<(Param, Option<String>)> = Vec::new();
        for p in ctx
            .consumer_params
            .iter()
            .chain(ctx.resource_params.iter())
            .chain(own.iter())
        {
            if let Some(existing) = raw_params
                .iter_mut()
                .find(|(e, _)| e.name == p.0.name && e.location == p.0.location)
            {
                *existing = p.clone();
            } else {
                raw_params.push(p.clone());
            }
        }
        let names: HashSet<String> = raw_params.iter().map(|(p, _)| p.name.clone()).collect();
        let scope = Scope { params: &names };
        let params: Vec<Param> = raw_params
            .into_iter()
            .map(|(mut p, value)| {
                p.value = value.map(|v| self.template(&v, false, &scope));
                p
            })
            .collect();

        // Path: the resource path, the operation's own `path` (seen in the wild), then any
        // declared path parameter that has no placeholder, appended in declaration order.
        let mut path_text = ctx.resource_path.to_string();
        if let Some(extra) = self.str_field(at, "path") {
            path_text.push_str(&extra);
        }
        // Glued to the base URI as written, `users/me` would extend its last segment or even
        // its host or port (`http://h:8080users/me`).
        if !path_text.is_empty() && !path_text.starts_with('/') {
            self.warn(
                at.loc(),
                format!("operation `{name}`: path `{path_text}` does not start with `/`; sending it as `/{path_text}`"),
            );
            path_text.insert(0, '/');
        }
        let mut segments = Vec::new();
        let mut placed: HashSet<String> = HashSet::new();
        let mut unfilled = Vec::new();
        for part in template::split(&path_text, true) {
            match part {
                RawPart::Lit(s) => {
                    segments.push(Segment::Lit(crate::prepare::encode_literal_path(&s)))
                }
                RawPart::Var(raw) => {
                    let var = self.resolve(&raw, &scope);
                    let declared_path = params
                        .iter()
                        .any(|p| p.name == var.name() && p.location == ParamIn::Path);
                    if ctx.auth_path_key == Some(raw.text.as_str()) {
                        if let Some(Auth::ApiKey { value, .. }) = ctx.auth {
                            match value.as_single_var() {
                                Some(v) => segments.push(Segment::Var(v.clone())),
                                None => segments.push(Segment::Lit(
                                    crate::prepare::encode_literal_path(&render_literal(value)),
                                )),
                            }
                        }
                    } else if declared_path || var.is_secret() || names.contains(var.name()) {
                        placed.insert(var.name().to_string());
                        segments.push(Segment::Var(var));
                    } else {
                        unfilled.push(raw.text.clone());
                        segments.push(Segment::Unfilled(raw.text));
                    }
                }
            }
        }
        let unplaced: Vec<String> = params
            .iter()
            .filter(|p| p.location == ParamIn::Path && !placed.contains(&p.name))
            .map(|p| p.name.clone())
            .collect();
        for name in &unplaced {
            segments.push(Segment::Lit("/".into()));
            segments.push(Segment::Var(Var::Arg(name.clone())));
        }
        let mut op = Operation {
            consumer: ctx.consumer_index,
            qualified: format!("{}.{}", ctx.namespace, name).into(),
            namespace: ctx.namespace.to_string(),
            resource: ctx.resource.to_string(),
            name: name.clone(),
            method,
            description: self.str_field(at, "description"),
            segments,
            params,
            body: None,
            output: OutputMap::Whole,
            format: crate::decode::Format::Json,
            unsupported: None,
            arg_names: Vec::new(),
            location: at.loc(),
        };
        if !unplaced.is_empty() {
            let list: Vec<String> = unplaced.iter().map(|p| format!("`{p}`")).collect();
            self.warn(
                at.loc(),
                format!(
                    "operation `{name}`: path parameter(s) {} have no placeholder in `{path_text}`; appending them: {}",
                    list.join(", "),
                    op.path_template()
                ),
            );
        }
        for u in &unfilled {
            self.warn(
                at.loc(),
                format!("operation `{name}`: placeholder `{{{u}}}` in `{path_text}` is filled by no parameter; calls will be refused"),
            );
        }

        // Body.
        let body_params = op
            .params
            .iter()
            .filter(|p| p.location == ParamIn::Body)
            .count();
        if let Some(body) = node.get("body") {
            let p = join(at.path, "body");
            op.body = self.body(
                At {
                    file: at.file,
                    node: body,
                    path: &p,
                },
                &scope,
                &name,
                &mut op.unsupported,
            );
            if body_params > 0 && op.body.is_some() {
                self.warn(
                    at.key_loc("body"),
                    format!("operation `{name}` has both a `body` template and `in: body` parameters; the template is sent and the parameters fill its variables"),
                );
            }
        } else if body_params > 0 {
            op.body = Some(BodySpec::Params);
        }

        // Output.
        if let Some(fmt) = self.str_field(at, "outputRawFormat") {
            op.format = crate::decode::Format::parse(&fmt);
            if !op.format.is_decoded() {
                self.note(
                    at.key_loc("outputRawFormat"),
                    format!("not supported yet: operation `{name}` declares outputRawFormat `{fmt}`; its requests can be prepared, but responses cannot be mapped (use raw output)"),
                );
            }
        }
        if let Some(outputs) = node.get("outputParameters") {
            let p = join(at.path, "outputParameters");
            op.output = self.outputs(At {
                file: at.file,
                node: outputs,
                path: &p,
            })?;
        }
        if let Some(Auth::Unsupported { reason, .. }) = ctx.auth {
            op.unsupported = Some(reason.clone());
        }

        // The names a call may pass.
        let mut args: Vec<String> = op
            .params
            .iter()
            .filter(|p| p.location != ParamIn::Environment)
            .map(|p| p.name.clone())
            .collect();
        let mut template_args = Vec::new();
        for s in &op.segments {
            if let Segment::Var(Var::Arg(n)) = s {
                template_args.push(n.clone());
            }
        }
        for v in ctx.base_uri.vars() {
            if let Var::Arg(n) = v {
                template_args.push(n.clone());
            }
        }
        for p in &op.params {
            if let Some(t) = &p.value {
                template_args.extend(t.vars().filter_map(|v| match v {
                    Var::Arg(n) => Some(n.clone()),
                    _ => None,
                }));
            }
        }
        if let Some(b) = &op.body {
            collect_body_args(b, &mut template_args);
        }
        args.extend(template_args);
        args.sort();
        args.dedup();
        op.arg_names = args;
        Some(op)
    }

    fn body(
        &mut self,
        at: At<'_>,
        scope: &Scope<'_>,
        op: &str,
        unsupported: &mut Option<String>,
    ) -> Option<BodySpec> {
        let node = at.node;
        match &node.kind {
            Kind::Null => None,
            Kind::Str(text) => Some(self.string_body(text, scope)),
            Kind::Map(_) if node.get("type").is_some() || node.get("data").is_some() => {
                let ty = self.str_field(at, "type").unwrap_or_else(|| "json".into());
                let data = node.get("data");
                match ty.as_str() {
                    "json" => Some(match data {
                        Some(d) if d.as_str().is_some() => {
                            self.string_body(d.as_str().unwrap_or_default(), scope)
                        }
                        Some(d) => BodySpec::Json(self.json_template(d, scope)),
                        None => BodySpec::Json(JsonTemplate::Lit(serde_json::Value::Null)),
                    }),
                    "text" | "xml" | "sparql" => {
                        let text = data.and_then(Node::scalar_text).unwrap_or_default();
                        let ct = match ty.as_str() {
                            "xml" => "application/xml",
                            "sparql" => "application/sparql-query",
                            _ => "text/plain; charset=utf-8",
                        };
                        Some(BodySpec::Text(self.template(&text, false, scope), ct))
                    }
                    "formUrlEncoded" => {
                        let mut fields = Vec::new();
                        match data.map(|d| &d.kind) {
                            Some(Kind::Map(entries)) => {
                                for (k, v) in entries {
                                    let text =
                                        v.scalar_text().unwrap_or_else(|| v.to_json().to_string());
                                    fields
                                        .push((k.name.clone(), self.template(&text, false, scope)));
                                }
                            }
                            Some(Kind::Str(s)) => {
                                for pair in s.split('&').filter(|p| !p.is_empty()) {
                                    let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                                    fields.push((k.to_string(), self.template(v, false, scope)));
                                }
                            }
                            _ => {}
                        }
                        Some(BodySpec::Form(fields))
                    }
                    other => {
                        self.note(at.loc(), format!("not supported yet: operation `{op}` has a `{other}` body; it cannot be called"));
                        *unsupported =
                            Some(format!("request body type `{other}` is not supported yet"));
                        None
                    }
                }
            }
            _ => {
                deviation!(
                    self,
                    at.loc(),
                    "a body should be a string template or `{type, data}`",
                );
                Some(BodySpec::Json(self.json_template(node, scope)))
            }
        }
    }

    /// A string body: a JSON text with `{{var}}` placeholders is compiled into a structural
    /// JSON template (placeholders inside strings stay inside strings; bare ones become values).
    /// Anything that is not JSON is sent as text.
    fn string_body(&mut self, text: &str, scope: &Scope<'_>) -> BodySpec {
        const MARK: &str = "\u{1}naftiko-var-";
        let parts = template::split(text, false);
        let mut json_text = String::with_capacity(text.len());
        let mut vars = Vec::new();
        let mut in_string = false;
        let mut escaped = false;
        for part in &parts {
            match part {
                RawPart::Lit(s) => {
                    for c in s.chars() {
                        if in_string {
                            if escaped {
                                escaped = false;
                            } else if c == '\\' {
                                escaped = true;
                            } else if c == '"' {
                                in_string = false;
                            }
                        } else if c == '"' {
                            in_string = true;
                        }
                    }
                    json_text.push_str(s);
                }
                RawPart::Var(v) => {
                    let i = vars.len();
                    vars.push(self.resolve(v, scope));
                    if in_string {
                        json_text.push_str(&format!("{MARK}{i}\u{1}"));
                    } else {
                        json_text.push_str(&format!("\"{MARK}{i}\u{1}\""));
                    }
                }
            }
        }
        let json_text = json_text.replace('\u{1}', "\\u0001");
        match serde_json::from_str::<serde_json::Value>(&json_text) {
            Ok(value) => BodySpec::Json(json_with_marks(&value, &vars)),
            Err(_) => BodySpec::Text(
                self.template(text, false, scope),
                "text/plain; charset=utf-8",
            ),
        }
    }

    fn json_template(&mut self, node: &Node, scope: &Scope<'_>) -> JsonTemplate {
        match &node.kind {
            Kind::Str(s) => {
                let t = self.template(s, false, scope);
                if t.is_literal() {
                    JsonTemplate::Lit(serde_json::Value::String(s.clone()))
                } else if let Some(v) = t.as_single_var() {
                    JsonTemplate::Var(v.clone())
                } else {
                    JsonTemplate::Str(t)
                }
            }
            Kind::Seq(items) => {
                JsonTemplate::Array(items.iter().map(|i| self.json_template(i, scope)).collect())
            }
            Kind::Map(entries) => JsonTemplate::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.name.clone(), self.json_template(v, scope)))
                    .collect(),
            ),
            _ => JsonTemplate::Lit(node.to_json()),
        }
    }

    fn outputs(&mut self, at: At<'_>) -> Option<OutputMap> {
        let Some(items) = at.node.as_seq() else {
            self.error(
                at.loc(),
                format!(
                    "`outputParameters` should be a list, found {}",
                    at.node.kind_name()
                ),
            );
            return Some(OutputMap::Whole);
        };
        let mut named = Vec::new();
        let mut unnamed = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let path = format!("{}[{i}]", at.path);
            let oat = At {
                file: at.file,
                node: item,
                path: &path,
            };
            self.check_keys(
                oat,
                &["name", "type", "value"],
                "a consumed output parameter",
            );
            let value_key = if item.get("value").is_some() {
                "value"
            } else {
                "mapping"
            };
            let Some(text) = self.str_field(oat, value_key) else {
                self.error(
                    oat.loc(),
                    "an output parameter needs a `value` (a JSONPath such as `$.data`)",
                );
                continue;
            };
            if let Some(t) = self.str_field(oat, "type") {
                if !matches!(
                    t.as_str(),
                    "string" | "number" | "boolean" | "object" | "array"
                ) {
                    deviation!(self, oat.key_loc("type"), format!("output type `{t}` is not one of string, number, boolean, object, array"));
                }
            }
            match OutputMap::compile_value(&text) {
                Ok(extract) => match self.str_field(oat, "name") {
                    Some(n) => named.push((n, extract)),
                    None => unnamed.push(extract),
                },
                Err(e) => {
                    // A bad expression is fatal: it would otherwise fail on every call.
                    let mut loc = oat.key_loc(value_key);
                    if let Some(v) = item.get(value_key) {
                        loc.pos = v.pos;
                    }
                    self.fatal(loc, e.to_string());
                }
            }
        }
        Some(if !named.is_empty() {
            if !unnamed.is_empty() {
                self.warn(
                    at.loc(),
                    "unnamed output parameters are ignored when named ones are present",
                );
            }
            OutputMap::Named(named)
        } else if let Some(first) = unnamed.into_iter().next() {
            OutputMap::Single(first)
        } else {
            OutputMap::Whole
        })
    }

    fn index(&mut self, cap: &mut Capability) {
        let mut index: rustc_hash::FxHashMap<Box<str>, Vec<usize>> = Default::default();
        for (i, op) in cap.operations.iter().enumerate() {
            for key in [
                Box::from(op.name.as_str()),
                Box::from(&*op.qualified),
                format!("{}.{}.{}", op.namespace, op.resource, op.name).into_boxed_str(),
            ] {
                let entry = index.entry(key).or_default();
                if !entry.contains(&i) {
                    entry.push(i);
                }
            }
        }
        let mut reported = HashSet::new();
        for (i, op) in cap.operations.iter().enumerate() {
            let qualified = op.qualified.to_string();
            if let Some(list) = index.get(qualified.as_str()) {
                if list.len() > 1 && list[0] != i && reported.insert((qualified.clone(), i)) {
                    let first = &cap.operations[list[0]];
                    self.error(
                        op.location.clone(),
                        format!(
                            "duplicate operation name `{qualified}` (first declared at {}); address them as `{}.{}.{}` and `{}.{}.{}`",
                            first.location, first.namespace, first.resource, first.name, op.namespace, op.resource, op.name
                        ),
                    );
                }
            }
        }
        cap.index = index;
    }
}

struct OpContext<'a> {
    consumer_index: usize,
    namespace: &'a str,
    resource: &'a str,
    resource_path: &'a str,
    consumer_params: &'a [(Param, Option<String>)],
    resource_params: &'a [(Param, Option<String>)],
    auth: Option<&'a Auth>,
    auth_path_key: Option<&'a str>,
    base_uri: &'a Template,
}

fn key_location(at: At<'_>, k: &Key) -> Location {
    Location {
        file: at.file.clone(),
        pos: k.pos,
        path: join(at.path, &k.name),
    }
}

fn is_kebab(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

fn render_literal(t: &Template) -> String {
    t.parts
        .iter()
        .map(|p| match p {
            Part::Lit(s) => s.as_str(),
            Part::Var(_) => "",
        })
        .collect()
}

/// Checks a literal base URI: an absolute http(s) URL with a host.
pub(crate) fn check_base_uri(text: &str) -> Result<(), String> {
    match reqwest::Url::parse(text) {
        // `https:/host` and `https:host` parse (the parser guesses the host), but what is
        // sent would not be what is written.
        Ok(url)
            if matches!(url.scheme(), "http" | "https")
                && !text
                    .get(url.scheme().len()..)
                    .is_some_and(|rest| rest.starts_with("://")) =>
        {
            Err(format!(
                "baseUri `{text}` must start with `{}://`",
                url.scheme()
            ))
        }
        // The operation's path is appended to the base: after a `?` or `#` it would land in
        // the query or the fragment (never sent).
        Ok(url) if url.query().is_some() || url.fragment().is_some() => Err(format!(
            "baseUri `{text}` must not have a query (`?`) or fragment (`#`): the operation path would be appended after it"
        )),
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Ok(()),
        Ok(url) => Err(format!(
            "baseUri `{text}` must be an http(s) URL with a host, found scheme `{}`",
            url.scheme()
        )),
        Err(e) => Err(format!("baseUri `{text}` is not a valid URL ({e})")),
    }
}

fn json_with_marks(value: &serde_json::Value, vars: &[Var]) -> JsonTemplate {
    use serde_json::Value;
    const MARK: &str = "\u{1}naftiko-var-";
    match value {
        Value::String(s) if s.contains(MARK) => {
            let mut parts = Vec::new();
            let mut rest = s.as_str();
            while let Some(start) = rest.find(MARK) {
                if start > 0 {
                    parts.push(Part::Lit(rest[..start].to_string()));
                }
                let after = &rest[start + MARK.len()..];
                let end = after.find('\u{1}').unwrap_or(after.len());
                let var = after[..end].parse::<usize>().ok().and_then(|i| vars.get(i));
                if let Some(v) = var {
                    parts.push(Part::Var(v.clone()));
                }
                rest = after.get(end + 1..).unwrap_or("");
            }
            if !rest.is_empty() {
                parts.push(Part::Lit(rest.to_string()));
            }
            let t = Template { parts };
            match t.as_single_var() {
                Some(v) => JsonTemplate::Var(v.clone()),
                None => JsonTemplate::Str(t),
            }
        }
        Value::Array(items) => {
            JsonTemplate::Array(items.iter().map(|i| json_with_marks(i, vars)).collect())
        }
        Value::Object(map) => JsonTemplate::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), json_with_marks(v, vars)))
                .collect(),
        ),
        other => JsonTemplate::Lit(other.clone()),
    }
}

fn collect_body_args(body: &BodySpec, out: &mut Vec<String>) {
    fn walk(t: &JsonTemplate, out: &mut Vec<String>) {
        match t {
            JsonTemplate::Var(Var::Arg(n)) => out.push(n.clone()),
            JsonTemplate::Str(t) => out.extend(t.vars().filter_map(|v| match v {
                Var::Arg(n) => Some(n.clone()),
                _ => None,
            })),
            JsonTemplate::Array(items) => items.iter().for_each(|i| walk(i, out)),
            JsonTemplate::Object(fields) => fields.iter().for_each(|(_, v)| walk(v, out)),
            _ => {}
        }
    }
    match body {
        BodySpec::Json(t) => walk(t, out),
        BodySpec::Text(t, _) => out.extend(t.vars().filter_map(|v| match v {
            Var::Arg(n) => Some(n.clone()),
            _ => None,
        })),
        BodySpec::Form(fields) => {
            for (_, t) in fields {
                out.extend(t.vars().filter_map(|v| match v {
                    Var::Arg(n) => Some(n.clone()),
                    _ => None,
                }));
            }
        }
        BodySpec::Params => {}
    }
}
