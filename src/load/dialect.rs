//! The two dialects: the published one (`{var}` in paths and base URIs, dotted `ns.VAR`
//! references, `auth`) and the schema's (`{{var}}`, `authentication`), both read into one
//! model. (Typed parameters and `{env: NAME}` values are read where they occur: params.rs
//! and auth.rs.)

use super::{join, At, Loader, Scope};
use crate::spec::template::{self, Part, RawPart, RawVar, Template, Var};
use crate::spec::{Auth, KeyPlacement};

impl Loader {
    /// Resolves a variable reference to an argument, a bind or an environment variable.
    pub(super) fn resolve(&self, raw: &RawVar, scope: &Scope<'_>) -> Var {
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

    pub(super) fn template(&self, text: &str, single_braces: bool, scope: &Scope<'_>) -> Template {
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

    pub(super) fn base_uri_template(
        &self,
        text: &str,
        auth: Option<&Auth>,
        scope: &Scope<'_>,
    ) -> Template {
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

    /// The schema's `authentication` or the dialect's `auth` (the schema's wins).
    pub(super) fn consumer_auth(&mut self, at: At<'_>, scope: &Scope<'_>) -> Option<Auth> {
        let node = at.node;
        let (key, n) = match (node.get("authentication"), node.get("auth")) {
            (Some(a), Some(_)) => {
                self.warn(
                    at.key_loc("auth"),
                    "both `authentication` and `auth` are given; using `authentication`",
                );
                ("authentication", a)
            }
            (Some(a), None) => ("authentication", a),
            (None, Some(a)) => {
                deviation!(
                    self,
                    at.key_loc("auth"),
                    "`auth` is not a schema key: the schema calls it `authentication`",
                );
                ("auth", a)
            }
            (None, None) => return None,
        };
        let p = join(at.path, key);
        self.auth(
            At {
                file: at.file,
                node: n,
                path: &p,
            },
            scope,
        )
    }
}

pub(super) fn render_literal(t: &Template) -> String {
    t.parts
        .iter()
        .map(|p| match p {
            Part::Lit(s) => s.as_str(),
            Part::Var(_) => "",
        })
        .collect()
}
