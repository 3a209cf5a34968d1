//! `binds`: where secrets come from (the environment or a file), decided before any
//! template is resolved.

use std::path::PathBuf;

use super::schema::{Name, Object};
use super::tree::Kind;
use super::{key_location, At, Loader};
use crate::spec::Bind;

impl Loader {
    pub(super) fn binds(&mut self, at: At<'_>) {
        let Some(items) = at.node.as_seq() else {
            self.error(
                at.loc(),
                format!("`binds` should be a list, found {}", at.node.kind_name()),
            );
            return;
        };
        for (i, item) in items.iter().enumerate() {
            let path = super::item(at.path, "", i);
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
            self.check_keys(item_at, Object::Bind);
            let namespace = self
                .str_field(item_at, "namespace")
                .unwrap_or_else(|| "env".into());
            let (file, unsupported) = self.bind_location(item_at);
            let mut keys = Vec::new();
            match item.get("keys").map(|k| &k.kind) {
                Some(Kind::Map(entries)) => {
                    for (k, v) in entries {
                        self.check_name(Name::EnvVar, "bind key", &k.name, || {
                            key_location(item_at, k)
                        });
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

    /// A bind's `location`: the file it names (relative to the capability unless four
    /// slashes make it absolute), or why it cannot be read.
    fn bind_location(&mut self, item_at: At<'_>) -> (Option<PathBuf>, Option<String>) {
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
        (file, unsupported)
    }

    pub(super) fn is_bound(&self, var: &str) -> bool {
        self.binds
            .iter()
            .any(|b| b.keys.iter().any(|(k, _)| k == var))
    }

    pub(super) fn is_bind_namespace(&self, ns: &str) -> bool {
        self.binds.iter().any(|b| b.namespace == ns)
    }
}
