//! [`PreparedRequest::to_curl`]: the request as a `curl` command line that reads its secrets
//! from shell variables.

use super::{Body, FormPart, PreparedRequest};
#[cfg(test)]
use crate::secret;
use crate::secret::Secret;
use crate::spec::Method;

impl PreparedRequest {
    /// An equivalent `curl` command line. Secrets are written as shell variable references
    /// (`"${VITAL_API_KEY}"`), never as their values.
    pub fn to_curl(&self) -> String {
        let secrets = self.all_secrets();
        let word = |text: &str| quote(text, secrets);
        let shell: fn(&Secret) -> &str = Secret::shell;
        let mut parts = vec!["curl".to_string()];
        if self.method != Method::Get {
            parts.push("-X".into());
            parts.push(self.method.as_str().into());
        }
        parts.push(word(&self.shown_url(shell)));
        for (i, (k, _)) in self.headers.iter().enumerate() {
            parts.push("-H".into());
            parts.push(word(&format!("{k}: {}", self.header_value(i, shell))));
        }
        match &self.body {
            Some(Body::Json(v)) => {
                parts.push("-H".into());
                parts.push("'content-type: application/json'".into());
                parts.push("--data-raw".into());
                parts.push(word(&self.body_text(&v.to_string(), shell)));
            }
            Some(Body::Text { content_type, text }) => {
                parts.push("-H".into());
                parts.push(word(&format!("content-type: {content_type}")));
                parts.push("--data-raw".into());
                parts.push(word(&self.body_text(text, shell)));
            }
            Some(Body::Multipart(m)) => {
                // One `-F` per part (curl picks its own boundary); a name or content type curl
                // cannot write there (`=`, `"`, `;`) falls back to the exact bytes.
                if m.parts().iter().all(curl_form_part) {
                    for p in m.parts() {
                        parts.push("-F".into());
                        parts.push(word(&self.form_arg(p, shell)));
                    }
                } else {
                    parts.push("-H".into());
                    parts.push(word(&format!("content-type: {}", m.content_type())));
                    parts.push("--data-binary".into());
                    parts.push(word(&m.render(|v| self.body_text(v, shell))));
                }
            }
            None => {}
        }
        parts.join(" ")
    }

    /// A multipart part as curl's `-F` argument: `name="value";filename="…";type=…`, the
    /// value and file name quoted so that curl reads no `@file`, `<file` or `;` in them.
    fn form_arg(&self, p: &FormPart, shell: fn(&Secret) -> &str) -> String {
        let quoted = |v: &str| {
            let v = self.body_text(v, shell);
            format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))
        };
        let mut arg = format!("{}={}", p.name, quoted(&p.value));
        if let Some(f) = &p.filename {
            arg.push_str(";filename=");
            arg.push_str(&quoted(f));
        }
        if let Some(ct) = &p.content_type {
            arg.push_str(";type=");
            arg.push_str(ct);
        }
        arg
    }
}

/// Whether curl's `-F name=…;type=…` can carry this part's name and content type as they are.
fn curl_form_part(p: &FormPart) -> bool {
    let plain =
        |t: &str| !t.contains(['=', '"', ';', ',', '@', '<']) && !t.chars().any(char::is_control);
    !p.name.is_empty() && plain(&p.name) && p.content_type.as_deref().is_none_or(plain)
}

/// One shell word for `text`, its secrets replaced by variable references: in single quotes
/// when it has none, in double quotes (so the shell expands them) when it has some.
#[cfg(test)]
fn shell_word(text: &str, secrets: &[Secret]) -> String {
    quote(&secret::redact_with(text, secrets, |s| s.shell()), secrets)
}

/// One shell word for `replaced`, whose secrets are already variable references: in single
/// quotes when it has none, in double quotes (so the shell expands them) when it has some.
fn quote(replaced: &str, secrets: &[Secret]) -> String {
    if !(replaced.contains('$') && secrets.iter().any(|s| replaced.contains(s.shell()))) {
        return format!("'{}'", replaced.replace('\'', r"'\''"));
    }
    // Escape what double quotes interpret, except the variable references themselves.
    let mut out = String::from("\"");
    let mut rest: &str = replaced;
    'outer: while !rest.is_empty() {
        for s in secrets {
            if let Some(after) = rest.strip_prefix(s.shell()) {
                out.push_str(s.shell());
                rest = after;
                continue 'outer;
            }
        }
        let c = rest.chars().next().unwrap_or_default();
        if matches!(c, '"' | '\\' | '$' | '`') {
            out.push('\\');
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_without_secrets_are_single_quoted() {
        assert_eq!(shell_word("it's", &[]), r"'it'\''s'");
    }

    #[test]
    fn secrets_become_variable_references_in_double_quotes() {
        let s = [Secret::new("KEY", "sk_1")];
        assert_eq!(shell_word("x-key: sk_1 \"$", &s), r#""x-key: ${KEY} \"\$""#);
    }
}
