//! One consumed HTTP API: namespace, base URI, authentication, resources.

use std::collections::HashSet;

use super::operation::OpContext;
use super::schema::{Name, Object};
use super::tree::Node;
use super::{join, At, ConsumerNode, Loader, Scope};
use crate::spec::{
    check_base_uri_text as check_base_uri, Auth, Capability, Consumer, KeyPlacement, Param,
    Template,
};

/// What every operation of one consumer shares.
struct ConsumerShared<'a> {
    index: usize,
    namespace: &'a str,
    params: &'a [(Param, Option<String>)],
    auth: Option<&'a Auth>,
    /// The name of a `placement: path` API key, which fills the placeholder of that name.
    auth_path_key: Option<&'a str>,
}

impl Loader {
    pub(super) fn consumer(&mut self, cn: &ConsumerNode<'_>, cap: &mut Capability) {
        let file = &cn.file;
        let at = At {
            file,
            node: &cn.node,
            path: &cn.path,
        };
        let node = &cn.node;
        self.check_keys(at, Object::Consumer);
        let namespace = self.namespace(cn, at, cap);
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
        let empty = HashSet::new();
        let consumer_scope = Scope { params: &empty };
        let auth = self.consumer_auth(at, &consumer_scope);
        let (base_uri, base_uri_problem) =
            self.consumer_base_uri(at, &namespace, auth.as_ref(), &consumer_scope);
        let ca_path = ["caPath", "caFile", "caCertPath"]
            .iter()
            .find_map(|k| self.auth_value(at, &[k], &consumer_scope));
        cap.consumers.push(Consumer {
            namespace: namespace.clone(),
            base_uri,
            base_uri_problem,
            description,
            auth: auth.clone(),
            ca_path,
            params: consumer_params
                .iter()
                .map(|(p, value)| {
                    let mut p = p.clone();
                    p.value = value
                        .as_ref()
                        .map(|v| self.template(v, false, &consumer_scope));
                    p
                })
                .collect(),
        });

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
        let auth_path_key = match &auth {
            Some(Auth::ApiKey {
                placement: KeyPlacement::Path,
                name,
                ..
            }) => Some(name.as_str()),
            _ => None,
        };
        let shared = ConsumerShared {
            index: consumer_index,
            namespace: &namespace,
            params: &consumer_params,
            auth: auth.as_ref(),
            auth_path_key,
        };
        for (ri, resource) in resources.iter().enumerate() {
            let rpath = super::item(&cn.path, ".resources", ri);
            let rat = At {
                file,
                node: resource,
                path: &rpath,
            };
            self.resource(rat, ri, &shared, cap);
        }
    }

    /// The consumer's namespace: the import's `as`, else its own, else a made-up one.
    fn namespace(&mut self, cn: &ConsumerNode<'_>, at: At<'_>, cap: &Capability) -> String {
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
        self.check_name(Name::Kebab, "namespace", &namespace, || {
            at.key_loc("namespace")
        });
        if cap.consumers.iter().any(|c| c.namespace == namespace) {
            self.error(at.key_loc("namespace"), format!("namespace `{namespace}` is declared twice; use `as` on an import to rename one"));
        }
        namespace
    }

    /// The base URI template, and why it cannot be used as written (if so).
    fn consumer_base_uri(
        &mut self,
        at: At<'_>,
        namespace: &str,
        auth: Option<&Auth>,
        scope: &Scope<'_>,
    ) -> (Template, Option<String>) {
        let base_text = self.str_field(at, "baseUri").unwrap_or_default();
        let mut problem = None;
        if base_text.is_empty() {
            let msg = format!("namespace `{namespace}` has no baseUri; give one with the runtime builder's base_uri or the CLI's --base-uri");
            self.error(at.key_loc("baseUri"), msg.clone());
            problem = Some(msg);
        }
        let mut trimmed = base_text.trim().to_string();
        if trimmed.ends_with('/') && trimmed.len() > 1 {
            deviation!(
                self,
                at.key_loc("baseUri"),
                "baseUri must not end with `/` (the runtime removes it)",
            );
            while trimmed.ends_with('/') {
                trimmed.pop();
            }
        }
        let base_uri = self.base_uri_template(&trimmed, auth, scope);
        if base_uri.is_literal() && !trimmed.is_empty() {
            if let Err(msg) = check_base_uri(&trimmed) {
                let msg = format!("namespace `{namespace}`: {msg}");
                self.error(at.key_loc("baseUri"), msg.clone());
                problem = Some(msg);
            }
        } else if !base_uri.is_literal() {
            deviation!(self, at.key_loc("baseUri"), "baseUri should be a literal http(s) URI without templates (pattern ^https?://[^/]+(/[^{]*)?$)");
        }
        (base_uri, problem)
    }

    /// One resource: its name, path and parameters, then each of its operations.
    fn resource(
        &mut self,
        rat: At<'_>,
        ri: usize,
        shared: &ConsumerShared<'_>,
        cap: &mut Capability,
    ) {
        let resource = rat.node;
        if resource.as_map().is_none() {
            self.error(
                rat.loc(),
                format!(
                    "a resource should be a mapping, found {}",
                    resource.kind_name()
                ),
            );
            return;
        }
        self.check_keys(rat, Object::Resource);
        let resource_name = self
            .str_field(rat, "name")
            .unwrap_or_else(|| format!("resource{ri}"));
        self.check_name(Name::Kebab, "resource name", &resource_name, || {
            rat.key_loc("name")
        });
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
                file: rat.file,
                node: p,
                path: &join(rat.path, "inputParameters"),
            }),
            None => Vec::new(),
        };
        let Some(ops) = resource.get("operations").and_then(Node::as_seq) else {
            self.warn(
                rat.loc(),
                format!("resource `{resource_name}` has no `operations` list"),
            );
            return;
        };
        for (oi, op) in ops.iter().enumerate() {
            let opath = super::item(rat.path, ".operations", oi);
            let oat = At {
                file: rat.file,
                node: op,
                path: &opath,
            };
            let ctx = OpContext {
                consumer_index: shared.index,
                namespace: shared.namespace,
                resource: &resource_name,
                resource_path: &resource_path,
                consumer_params: shared.params,
                resource_params: &resource_params,
                auth: shared.auth,
                auth_path_key: shared.auth_path_key,
                base_uri: &cap.consumers[shared.index].base_uri,
            };
            if let Some(operation) = self.operation(oat, &ctx) {
                cap.operations.push(operation);
            }
        }
    }
}
