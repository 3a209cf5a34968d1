//! `inputParameters` at consumer, resource and operation level.

use super::schema::{Name, Object};
use super::tree::Kind;
use super::{At, Loader};
use crate::spec::{Param, ParamIn, ParamType};

impl Loader {
    pub(super) fn param_nodes(&mut self, at: At<'_>) -> Vec<(Param, Option<String>)> {
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
            let path = super::item(at.path, "", i);
            let pat = At {
                file: at.file,
                node: item,
                path: &path,
            };
            if let Some(param) = self.param(pat) {
                out.push(param);
            }
        }
        out
    }

    /// One parameter and the text of its value (or default), `None` (after an error) when
    /// it cannot be used.
    fn param(&mut self, pat: At<'_>) -> Option<(Param, Option<String>)> {
        let item = pat.node;
        if item.as_map().is_none() {
            self.error(
                pat.loc(),
                format!(
                    "a parameter should be a mapping, found {}",
                    item.kind_name()
                ),
            );
            return None;
        }
        self.check_keys(pat, Object::InputParameter);
        let Some(name) = self.str_field(pat, "name") else {
            self.error(pat.loc(), "a parameter has no `name`; it is ignored");
            return None;
        };
        self.check_name(Name::Parameter, "parameter name", &name, || {
            pat.key_loc("name")
        });
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
                return None;
            }
            None => {
                self.error(
                    pat.loc(),
                    format!("parameter `{name}` has no `in`; it is ignored"),
                );
                return None;
            }
        };
        let ty = self.param_type(pat, &name);
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
        let value_text = item
            .get("value")
            .or_else(|| item.get("default"))
            .and_then(|v| match &v.kind {
                Kind::Null => None,
                Kind::Map(_) | Kind::Seq(_) => Some(v.to_json().to_string()),
                _ => v.scalar_text(),
            });
        Some((
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
        ))
    }

    /// The JSON type a parameter declares (any value when none or an unknown one).
    fn param_type(&mut self, pat: At<'_>, name: &str) -> ParamType {
        match pat.node.get("type") {
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
        }
    }
}
