//! The document root: version, `info`, binds, then the consumers and the exposed adapters.

use std::path::Path;
use std::sync::Arc;

use super::schema::Object;
use super::tree::{Kind, Node};
use super::{key_location, At, ConsumerNode, Loader, KNOWN_VERSIONS};
use crate::spec::Capability;

impl Loader {
    pub(super) fn capability(&mut self, file: &Arc<Path>, root: &Node) -> Capability {
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
            aggregates: Vec::new(),
        };
        if !self.is_capability(at) {
            return cap;
        }
        self.version(at, &mut cap);
        self.check_keys(at, Object::Root);
        for (k, _) in root.as_map().unwrap_or_default() {
            if matches!(k.name.as_str(), "import" | "imports" | "personas") {
                self.note(
                    key_location(at, k),
                    format!("not supported yet: top-level `{}` is ignored", k.name),
                );
            }
        }
        if let Some(info) = root.get("info") {
            self.info(
                At {
                    file,
                    node: info,
                    path: "info",
                },
                &mut cap,
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
            if !self.capability_section(cap_at) {
                return cap;
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
        // The served adapters, once the operations they call are indexed.
        if let Some(list) = capability.and_then(|c| c.get("aggregates")) {
            cap.aggregates = super::exposes::load_aggregates(
                file,
                list,
                &cap,
                &mut self.diagnostics,
                &mut self.fatal,
            );
        }
        if let Some(list) = capability.and_then(|c| c.get("exposes")) {
            let adapters =
                super::exposes::load(file, list, &cap, &mut self.diagnostics, &mut self.fatal);
            cap.exposes = adapters;
            super::shape::record(&mut cap);
        }
        cap
    }

    /// Whether the document looks like a capability at all (a fatal error if not).
    fn is_capability(&mut self, at: At<'_>) -> bool {
        let root = at.node;
        let Some(entries) = root.as_map() else {
            self.fatal(
                at.loc(),
                format!(
                    "not a Naftiko capability: the document is {}, expected a mapping with `naftiko` and `capability` keys",
                    root.kind_name()
                ),
            );
            return false;
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
            return false;
        }
        true
    }

    /// `info`: the label (or the dialect's `title`/`name`) and description.
    fn info(&mut self, info_at: At<'_>, cap: &mut Capability) {
        cap.label = self
            .str_field(info_at, "label")
            .or_else(|| self.str_field(info_at, "title"))
            .or_else(|| self.str_field(info_at, "name"));
        cap.description = self.str_field(info_at, "description");
        self.check_keys(info_at, Object::Info);
    }

    /// `capability`: its binds, and a note for each part this runtime does not run. False
    /// (after a fatal error) when it is not a mapping.
    fn capability_section(&mut self, cap_at: At<'_>) -> bool {
        let cap_node = cap_at.node;
        if cap_node.as_map().is_none() {
            self.fatal(
                cap_at.loc(),
                format!(
                    "`capability` should be a mapping, found {}",
                    cap_node.kind_name()
                ),
            );
            return false;
        }
        if let Some(binds) = cap_node.get("binds") {
            self.binds(At {
                file: cap_at.file,
                node: binds,
                path: "capability.binds",
            });
        }
        self.check_keys(cap_at, Object::Capability);
        for (k, _) in cap_node.as_map().unwrap_or_default() {
            // `exposes` is parsed by load::exposes.
            if !matches!(
                k.name.as_str(),
                "binds" | "consumes" | "exposes" | "aggregates"
            ) {
                self.note(
                    key_location(cap_at, k),
                    format!(
                        "not supported yet: `capability.{}` is not run by this runtime; the consumed operations are callable",
                        k.name
                    ),
                );
            }
        }
        true
    }

    pub(super) fn version(&mut self, at: At<'_>, cap: &mut Capability) {
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
}
