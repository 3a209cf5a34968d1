//! The `authentication` (or dialect `auth`) of a consumer.

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
}
