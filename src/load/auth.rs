//! The `authentication` (or dialect `auth`) of a consumer. Unknown or incomplete schemes
//! are kept as [`Auth::Unsupported`] with the reason, so the namespace loads and says why
//! its operations cannot be called.

use super::schema::{Object, Value};
use super::tree::Node;
use super::{At, Loader, Scope};
use crate::spec::template::{self, Template, Var};
use crate::spec::{Auth, KeyPlacement};

impl Loader {
    pub(super) fn auth(&mut self, at: At<'_>, scope: &Scope<'_>) -> Option<Auth> {
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
        let kind = auth_kind(node, declared.as_deref());
        if let Some(d) = &declared {
            self.check_value(Value::AuthType, "authentication type", d, || {
                at.key_loc("type")
            });
        }
        let object = match kind.as_deref() {
            Some("apikey") => Some(Object::ApiKeyAuth),
            Some("bearer") => Some(Object::BearerAuth),
            Some("basic" | "digest") => Some(Object::BasicAuth),
            _ => None,
        };
        if let Some(object) = object {
            self.check_keys(at, object);
        }
        match kind.as_deref() {
            Some("bearer") => match self.auth_value(at, &["token", "value"], scope) {
                Some(token) => Some(Auth::Bearer { token }),
                None => self.auth_unsupported(
                    at,
                    "bearer".into(),
                    "bearer authentication has no `token`".into(),
                ),
            },
            Some("basic") => {
                let username = self
                    .auth_value(at, &["username", "user"], scope)
                    .unwrap_or_default();
                let password = self
                    .auth_value(at, &["password"], scope)
                    .unwrap_or_default();
                Some(Auth::Basic { username, password })
            }
            Some(k @ ("apikey" | "header")) => self.api_key(at, k == "apikey", scope),
            Some("query") => Some(self.query_auth(at, scope)),
            Some(other) => {
                let shown = declared.clone().unwrap_or_else(|| other.to_string());
                self.auth_unsupported(
                    at,
                    shown.clone(),
                    format!("authentication type `{shown}` is not supported yet"),
                )
            }
            None => {
                self.auth_unsupported(at, "(none)".into(), "authentication has no `type`".into())
            }
        }
    }

    /// An API key: its name, where it goes and its value. `warn_placement` is false for the
    /// dialect's `type: header`, where the placement goes without saying.
    fn api_key(&mut self, at: At<'_>, warn_placement: bool, scope: &Scope<'_>) -> Option<Auth> {
        let node = at.node;
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
                if warn_placement {
                    self.warn(
                        at.loc(),
                        "API key authentication without `placement`: sending it as a header",
                    );
                }
                KeyPlacement::Header
            }
            Some("header") => KeyPlacement::Header,
            Some("query") => KeyPlacement::Query,
            Some("cookie") => KeyPlacement::Cookie,
            Some("path") => KeyPlacement::Path,
            Some("body") => KeyPlacement::Body,
            Some(other) => {
                return self.auth_unsupported(
                    at,
                    "apikey".into(),
                    format!("API key placement `{other}` is not supported yet"),
                );
            }
        };
        let Some(name) = name else {
            return self.auth_unsupported(
                at,
                "apikey".into(),
                "API key authentication has no `key` (or `name`)".into(),
            );
        };
        match self.auth_value(at, &["value", "valueFrom", "token"], scope) {
            Some(value) => Some(Auth::ApiKey {
                placement,
                name,
                value,
            }),
            None => self.auth_unsupported(
                at,
                "apikey".into(),
                "API key authentication has no `value`".into(),
            ),
        }
    }

    /// The dialect's `type: query`: a list of `{name, value}` query parameters.
    fn query_auth(&mut self, at: At<'_>, scope: &Scope<'_>) -> Auth {
        let mut params = Vec::new();
        for (i, p) in at
            .node
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
        Auth::QueryParams { params }
    }

    /// The first of `keys` present: `{env: NAME}` (the dialect) or a template. A literal that
    /// looks like a variable name is sent as written, with a warning.
    fn auth_value(&mut self, at: At<'_>, keys: &[&str], scope: &Scope<'_>) -> Option<Template> {
        for k in keys {
            let Some(v) = at.node.get(k) else {
                continue;
            };
            if let Some(env) = v.get("env").and_then(Node::scalar_text) {
                let var = if self.is_bound(&env) {
                    Var::Bind(env)
                } else {
                    Var::Env(env)
                };
                return Some(Template::var(var));
            }
            if let Some(text) = v.scalar_text() {
                let t = self.template(&text, false, scope);
                if t.is_literal() && template::is_env_style(&text) {
                    self.warn(
                        at.key_loc(k),
                        format!("`{text}` is sent literally as the credential; did you mean `{{{{{text}}}}}`?"),
                    );
                }
                return Some(t);
            }
        }
        None
    }

    fn auth_unsupported(&mut self, at: At<'_>, kind: String, why: String) -> Option<Auth> {
        self.note(
            at.loc(),
            format!("{why}; the operations of this namespace cannot be called"),
        );
        Some(Auth::Unsupported { kind, reason: why })
    }
}

/// The scheme, normalised (`API_Key`, `api-key` → `apikey`), or guessed from the keys
/// present when no `type` is given (the dialect).
pub(super) fn auth_kind(node: &Node, declared: Option<&str>) -> Option<String> {
    declared
        .map(|t| t.to_ascii_lowercase().replace(['-', '_'], ""))
        .or_else(|| {
            if node.get("token").is_some() {
                Some("bearer".into())
            } else if node.get("username").is_some() {
                Some("basic".into())
            } else if node.get("key").is_some() || node.get("name").is_some() {
                Some("apikey".into())
            } else {
                None
            }
        })
}
