//! Templates, parsed once at load time.
//!
//! Capabilities in the wild write variables as `{{NAME}}`, `{{env.NAME}}`, `{{tools.name}}`,
//! `valueFrom: {env: NAME}`, and (in paths and base URIs) OpenAPI-style `{name}`.
//! All of them become a [`Template`]: literal text and [`Var`] references.

/// Where a template variable takes its value from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Var {
    /// An argument of the call (a declared parameter or a name a template uses).
    Arg(String),
    /// A bound variable (`binds[].keys`): a secret, resolved from the environment or a bind file.
    Bind(String),
    /// An environment variable that no `binds` entry declares (`{{env.NAME}}` or `{{NAME}}`).
    /// Treated exactly like a bind: its value is a secret.
    Env(String),
}

impl Var {
    /// The variable's name as a user would write it.
    pub fn name(&self) -> &str {
        match self {
            Var::Arg(n) | Var::Bind(n) | Var::Env(n) => n,
        }
    }

    /// True for binds and environment variables, whose values are secrets.
    pub fn is_secret(&self) -> bool {
        !matches!(self, Var::Arg(_))
    }
}

/// One piece of a [`Template`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// Text sent as written.
    Lit(String),
    /// A variable.
    Var(Var),
}

/// A string with variables, parsed once.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Template {
    /// The pieces, in order.
    pub parts: Vec<Part>,
}

impl Template {
    /// A template that is only literal text.
    pub fn literal(text: impl Into<String>) -> Template {
        let text = text.into();
        if text.is_empty() {
            return Template::default();
        }
        Template {
            parts: vec![Part::Lit(text)],
        }
    }

    /// A template that is exactly one variable.
    pub fn var(var: Var) -> Template {
        Template {
            parts: vec![Part::Var(var)],
        }
    }

    /// If the template is exactly one variable, that variable.
    pub fn as_single_var(&self) -> Option<&Var> {
        match self.parts.as_slice() {
            [Part::Var(v)] => Some(v),
            _ => None,
        }
    }

    /// The variables used, in order.
    pub fn vars(&self) -> impl Iterator<Item = &Var> {
        self.parts.iter().filter_map(|p| match p {
            Part::Var(v) => Some(v),
            Part::Lit(_) => None,
        })
    }

    /// True when the template has no variables.
    pub fn is_literal(&self) -> bool {
        self.parts.iter().all(|p| matches!(p, Part::Lit(_)))
    }

    /// The text of a template without variables; `None` when it has one.
    pub fn literal_text(&self) -> Option<String> {
        let mut text = String::new();
        for p in &self.parts {
            match p {
                Part::Lit(t) => text.push_str(t),
                Part::Var(_) => return None,
            }
        }
        Some(text)
    }

    /// The template written back with `{name}` placeholders (for display).
    pub fn display(&self) -> String {
        let mut out = String::new();
        for p in &self.parts {
            match p {
                Part::Lit(s) => out.push_str(s),
                Part::Var(v) => {
                    out.push('{');
                    out.push_str(v.name());
                    out.push('}');
                }
            }
        }
        out
    }
}

/// A raw variable reference as written between braces, before it is resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawVar {
    /// The text between the braces, trimmed (`env.NAME`, `tools.x`, `user_id`).
    pub text: String,
    /// True for `{name}` (OpenAPI style), false for `{{name}}`.
    pub single: bool,
}

/// A template before its variables are resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawPart {
    /// Literal text.
    Lit(String),
    /// A variable reference.
    Var(RawVar),
}

/// Splits `text` into literal text and `{{…}}` references; with `single_braces`, `{…}` too.
///
/// Unbalanced braces are kept as literal text.
pub fn split(text: &str, single_braces: bool) -> Vec<RawPart> {
    let mut parts = Vec::new();
    let mut lit = String::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let (before, from_brace) = rest.split_at(open);
        lit.push_str(before);
        if let Some(inner) = from_brace.strip_prefix("{{") {
            if let Some(close) = inner.find("}}") {
                let name = inner[..close].trim();
                if is_var_name(name) {
                    flush(&mut parts, &mut lit);
                    parts.push(RawPart::Var(RawVar {
                        text: name.to_string(),
                        single: false,
                    }));
                    rest = &inner[close + 2..];
                    continue;
                }
            }
        } else if single_braces {
            let inner = &from_brace[1..];
            if let Some(close) = inner.find('}') {
                let name = inner[..close].trim();
                if is_var_name(name) {
                    flush(&mut parts, &mut lit);
                    parts.push(RawPart::Var(RawVar {
                        text: name.to_string(),
                        single: true,
                    }));
                    rest = &inner[close + 1..];
                    continue;
                }
            }
        }
        lit.push('{');
        rest = &from_brace[1..];
    }
    lit.push_str(rest);
    flush(&mut parts, &mut lit);
    parts
}

fn flush(parts: &mut Vec<RawPart>, lit: &mut String) {
    if !lit.is_empty() {
        parts.push(RawPart::Lit(std::mem::take(lit)));
    }
}

/// Names we accept between braces: letters, digits, `_`, `-`, `.`, `[`, `]`, `$`, `*`.
fn is_var_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '[' | ']' | '$' | '*'))
}

/// True for names written as environment constants: `^[A-Z][A-Z0-9_]*$`.
pub fn is_env_style(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_uppercase())
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(s: &str) -> RawPart {
        RawPart::Lit(s.into())
    }
    fn var(s: &str, single: bool) -> RawPart {
        RawPart::Var(RawVar {
            text: s.into(),
            single,
        })
    }

    #[test]
    fn splits_double_and_single_braces() {
        assert_eq!(
            split("/v2/user/{user_id}/x/{{ env.KEY }}", true),
            vec![
                lit("/v2/user/"),
                var("user_id", true),
                lit("/x/"),
                var("env.KEY", false)
            ]
        );
    }

    #[test]
    fn single_braces_are_text_outside_paths() {
        assert_eq!(split("a {b} c", false), vec![lit("a {b} c")]);
    }

    #[test]
    fn unbalanced_braces_stay_literal() {
        assert_eq!(split("a {{b", true), vec![lit("a {{b")]);
        assert_eq!(split("{\"json\": 1}", true), vec![lit("{\"json\": 1}")]);
    }

    #[test]
    fn env_style_names() {
        assert!(is_env_style("VITAL_API_KEY"));
        assert!(!is_env_style("user_id"));
        assert!(!is_env_style("_X"));
    }
}
