//! One consumed HTTP API: namespace, base URI, authentication, resources.

use std::collections::HashSet;

use super::operation::OpContext;
use super::schema::is_kebab;
use super::tree::Node;
use super::{join, At, ConsumerNode, Loader, Scope};
use crate::spec::{
    check_base_uri_text as check_base_uri, Auth, Capability, Consumer, KeyPlacement,
};

impl Loader {
    pub(super) fn consumer(&mut self, cn: &ConsumerNode<'_>, cap: &mut Capability) {
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
}
