//! Request body templates: a JSON (or text) string, `{type, data}`, or an inline mapping.

use super::tree::{Kind, Node};
use super::{At, Loader, Scope};
use crate::spec::template::{self, Part, RawPart, Template, Var};
use crate::spec::{BodySpec, JsonTemplate, PartSpec};

impl Loader {
    pub(super) fn body(
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
                    "multipartForm" => Some(self.multipart_body(at, scope)),
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

    /// `{type: multipartForm, data: [{name, value, filename, contentType}]}`: each part needs
    /// a `name` and a `value`; a `contentType` with a control character is refused.
    fn multipart_body(&mut self, at: At<'_>, scope: &Scope<'_>) -> BodySpec {
        let mut parts = Vec::new();
        let path = [at.path, ".data"].concat();
        let items = match at.node.get("data").map(|d| &d.kind) {
            Some(Kind::Seq(items)) => items,
            _ => {
                self.error(
                    at.key_loc("data"),
                    "a `multipartForm` body needs `data`: a list of parts `{name, value, filename, contentType}`",
                );
                return BodySpec::Multipart(parts);
            }
        };
        for (i, item) in items.iter().enumerate() {
            let path = super::item(&path, "", i);
            let part = At {
                file: at.file,
                node: item,
                path: &path,
            };
            let name = self.str_field(part, "name");
            let value = match item.get("value") {
                Some(v) => v.scalar_text().unwrap_or_else(|| v.to_json().to_string()),
                None => {
                    self.error(part.loc(), "a multipart part needs a `value`");
                    String::new()
                }
            };
            let Some(name) = name else {
                self.error(part.loc(), "a multipart part needs a `name`");
                continue;
            };
            let filename = self.str_field(part, "filename");
            let content_type = self.str_field(part, "contentType");
            if let Some(ct) = &content_type {
                if ct.chars().any(char::is_control) {
                    self.error(
                        part.key_loc("contentType"),
                        format!("the part `{name}`'s `contentType` has a control character"),
                    );
                    continue;
                }
            }
            parts.push(PartSpec {
                name,
                value: self.template(&value, false, scope),
                filename: filename.map(|f| self.template(&f, false, scope)),
                content_type,
            });
        }
        BodySpec::Multipart(parts)
    }

    /// A string body: a JSON text with `{{var}}` placeholders is compiled into a structural
    /// JSON template (placeholders inside strings stay inside strings; bare ones become values).
    /// Anything that is not JSON is sent as text.
    pub(super) fn string_body(&mut self, text: &str, scope: &Scope<'_>) -> BodySpec {
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

    pub(super) fn json_template(&mut self, node: &Node, scope: &Scope<'_>) -> JsonTemplate {
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
