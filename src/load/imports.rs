//! Consumer entries, inline or imported (`location` + `import`) from other files.

use std::path::Path;
use std::sync::Arc;

use super::schema::Object;
use super::tree::{self, Node};
use super::{At, ConsumerNode, Loader, MAX_IMPORT_DEPTH};
use crate::spec::Location;

impl Loader {
    pub(super) fn consumer_nodes<'a>(
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
            let item_path = super::item(path, "", i);
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
                self.check_keys(item_at, Object::ImportedConsumer);
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

    pub(super) fn import(
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
}
