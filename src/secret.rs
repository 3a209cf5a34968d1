//! The one type that holds a secret value. Its `Debug`, `Display` and `Serialize` never show it.

use std::fmt;
use std::sync::Arc;

/// A secret value (an API key, a token, a password) with the name it is known by.
///
/// ```
/// let key = naftiko::Secret::new("VITAL_API_KEY", "sk_live_123");
/// assert_eq!(format!("{key}"), "***");
/// assert_eq!(format!("{key:?}"), "Secret(VITAL_API_KEY=***)");
/// assert_eq!(serde_json::to_string(&key)?, "\"***\"");
/// assert_eq!(key.expose(), "sk_live_123");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Secret {
    name: Arc<str>,
    value: Arc<str>,
    /// How a shell reads the value (`$VITAL_API_KEY`), for curl export.
    shell: Arc<str>,
}

/// What every redacted secret is shown as.
pub const REDACTED: &str = "***";

impl Secret {
    /// A secret known as `name` (normally its environment variable).
    pub fn new(name: impl Into<Arc<str>>, value: impl Into<Arc<str>>) -> Secret {
        let name = name.into();
        let shell = if name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            format!("${{{name}}}")
        } else {
            "${SECRET}".to_string()
        };
        Secret {
            name,
            value: value.into(),
            shell: shell.into(),
        }
    }

    /// A derived secret (an encoded form of others) with an explicit shell expression.
    pub(crate) fn derived(name: &str, value: String, shell: String) -> Secret {
        Secret {
            name: name.into(),
            value: value.into(),
            shell: shell.into(),
        }
    }

    /// The variable the value came from.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The value itself. Only the HTTP layer should need this.
    pub fn expose(&self) -> &str {
        &self.value
    }

    /// A shell expression that reads the value (`${VITAL_API_KEY}`).
    pub fn shell(&self) -> &str {
        &self.shell
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({}={REDACTED})", self.name)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl serde::Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(REDACTED)
    }
}

/// Secrets shorter than this (in characters) are redacted only where the request builder
/// substituted them: replaced by value everywhere, a one-letter password `s` would turn
/// `https` into `http***`.
pub(crate) const DISTINCTIVE: usize = 6;

/// Replaces every occurrence of any secret's value in `text`.
pub(crate) fn redact_with<'a>(
    text: &'a str,
    secrets: &[Secret],
    replacement: impl Fn(&Secret) -> &str,
) -> std::borrow::Cow<'a, str> {
    replace_values(text, secrets, 1, replacement)
}

/// Replaces every occurrence of the value of each secret at least `min_chars` long.
pub(crate) fn replace_values<'a>(
    text: &'a str,
    secrets: &[Secret],
    min_chars: usize,
    replacement: impl Fn(&Secret) -> &str,
) -> std::borrow::Cow<'a, str> {
    replace_ordered(text, &longest_first(secrets, min_chars), replacement)
}

/// The secrets at least `min_chars` long, longest first, so a secret that contains another
/// is replaced whole.
fn longest_first(secrets: &[Secret], min_chars: usize) -> Vec<&Secret> {
    let mut order: Vec<&Secret> = secrets
        .iter()
        .filter(|s| !s.value.is_empty() && s.value.chars().count() >= min_chars)
        .collect();
    order.sort_by_key(|s| std::cmp::Reverse(s.value.len()));
    order
}

/// Replaces the values of `order` (from [`longest_first`]) in `text`, in that order.
fn replace_ordered<'a>(
    text: &'a str,
    order: &[&Secret],
    replacement: impl Fn(&Secret) -> &str,
) -> std::borrow::Cow<'a, str> {
    let mut out = std::borrow::Cow::Borrowed(text);
    for s in order {
        if out.contains(&*s.value) {
            out = std::borrow::Cow::Owned(out.replace(&*s.value, replacement(s)));
        }
    }
    out
}

/// Replaces every occurrence of any secret's value in `text` with `***`: for text known to
/// hold a secret (a value the builder substituted one into).
pub(crate) fn redact<'a>(text: &'a str, secrets: &[Secret]) -> std::borrow::Cow<'a, str> {
    redact_with(text, secrets, |_| REDACTED)
}

/// Replaces the values of the [`DISTINCTIVE`] secrets with `***`: for text that may hold a
/// secret nobody placed there (an argument, a server's answer).
pub(crate) fn redact_distinctive<'a>(
    text: &'a str,
    secrets: &[Secret],
) -> std::borrow::Cow<'a, str> {
    replace_values(text, secrets, DISTINCTIVE, |_| REDACTED)
}

/// Redacts every string in a JSON value: every secret when `all`, else the distinctive ones.
pub(crate) fn redact_json(
    value: &serde_json::Value,
    secrets: &[Secret],
    all: bool,
) -> serde_json::Value {
    let mut value = value.clone();
    redact_json_in_place(&mut value, secrets, all);
    value
}

/// [`redact_json`] on a value the caller owns: strings and keys are replaced only where they
/// hold a secret, so a value with none is neither copied nor rebuilt (the common case: an
/// API's answer, on every call of a server).
pub(crate) fn redact_json_in_place(value: &mut serde_json::Value, secrets: &[Secret], all: bool) {
    let order = longest_first(secrets, if all { 1 } else { DISTINCTIVE });
    if !order.is_empty() {
        redact_value(value, &order);
    }
}

/// The JSON text of `value` once [`redact_json_in_place`] has run on it, walking the value
/// only when the text shows a secret. A string or key that holds a secret writes it into the
/// text (JSON escaping changes only `"`, `\\` and control characters, and a secret with one
/// of those is always walked for), so a text without any means there is nothing to redact:
/// one serialisation and a search, where the walk would visit every string.
pub(crate) fn redacted_json_text(
    value: &mut serde_json::Value,
    secrets: &[Secret],
    all: bool,
) -> String {
    let text = serde_json::to_string(value).unwrap_or_default();
    if !shows_secret(&text, secrets, all) {
        return text;
    }
    let min_chars = if all { 1 } else { DISTINCTIVE };
    redact_value(value, &longest_first(secrets, min_chars));
    serde_json::to_string(value).unwrap_or_default()
}

/// Whether JSON text as serde_json writes it may show one of `secrets`, as
/// [`redacted_json_text`] would redact it (without `all`): searched before anything is
/// sorted or allocated, since the common answer holds no secret.
pub(crate) fn shows_in_json_text(text: &str, secrets: &[Secret]) -> bool {
    shows_secret(text, secrets, false)
}

fn shows_secret(text: &str, secrets: &[Secret], all: bool) -> bool {
    let min_chars = if all { 1 } else { DISTINCTIVE };
    // A secret JSON escapes is not found as it is in the text: such a value is walked.
    let escaped = |s: &str| s.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20);
    secrets.iter().any(|s: &Secret| {
        !s.value.is_empty()
            && (escaped(&s.value) || text.contains(&*s.value))
            && s.value.chars().count() >= min_chars
    })
}

fn redact_value(value: &mut serde_json::Value, order: &[&Secret]) {
    use serde_json::Value;
    match value {
        Value::String(s) => {
            if let std::borrow::Cow::Owned(r) = replace_ordered(s, order, |_| REDACTED) {
                *s = r;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| redact_value(v, order)),
        Value::Object(map) => {
            let key_holds_one = |k: &String| order.iter().any(|s| k.contains(&*s.value));
            if map.keys().any(key_holds_one) {
                *map = std::mem::take(map)
                    .into_iter()
                    .map(|(k, mut v)| {
                        redact_value(&mut v, order);
                        (replace_ordered(&k, order, |_| REDACTED).into_owned(), v)
                    })
                    .collect();
            } else {
                map.values_mut().for_each(|v| redact_value(v, order));
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_redaction_in_place_reaches_nested_strings_and_keys_and_leaves_the_rest() {
        let s = [Secret::new("K", "sk_live_123"), Secret::new("P", "abc")];
        let mut v = serde_json::json!({
            "a": [1, "x sk_live_123 y", {"sk_live_123": true}],
            "abc": "abc is short, kept",
            "n": null
        });
        redact_json_in_place(&mut v, &s, false);
        assert_eq!(
            v,
            serde_json::json!({
                "a": [1, "x *** y", {"***": true}],
                "abc": "abc is short, kept",
                "n": null
            })
        );
        let mut all = v.clone();
        redact_json_in_place(&mut all, &s, true);
        assert_eq!(all["***"], "*** is short, kept");
    }

    #[test]
    fn redacted_json_text_is_the_text_of_the_value_redacted_in_place() {
        let s = [
            Secret::new("K", "sk_live_123"),
            Secret::new("Q", "tok\"en\\x"),
            Secret::new("C", "line\nbreak"),
        ];
        let cases = [
            serde_json::json!({"a": "nothing secret here", "n": [1, 2.5, null]}),
            serde_json::json!({"a": ["x sk_live_123 y"], "sk_live_123": {"k": "sk_live_123"}}),
            serde_json::json!({"q": "say tok\"en\\x twice: tok\"en\\x"}),
            serde_json::json!({"c": "line\nbreak", "d": "line break"}),
            serde_json::json!("sk_live_123"),
            serde_json::json!({"number": 12345678901_u64, "é": "ünïcode sk_live_123"}),
        ];
        for all in [false, true] {
            for case in &cases {
                let mut walked = case.clone();
                redact_json_in_place(&mut walked, &s, all);
                let mut v = case.clone();
                let text = redacted_json_text(&mut v, &s, all);
                assert_eq!(text, serde_json::to_string(&walked).unwrap(), "{case}");
                assert_eq!(v, walked, "{case}");
                assert!(!text.contains("sk_live_123"), "{text}");
            }
        }
    }

    #[test]
    fn redaction_replaces_every_occurrence() {
        let s = [Secret::new("K", "abc"), Secret::new("L", "abcdef")];
        assert_eq!(redact("x abcdef y abc", &s), "x *** y ***");
    }

    #[test]
    fn short_secrets_are_left_to_structural_redaction() {
        let s = [Secret::new("P", "s"), Secret::new("K", "sk_live_1")];
        assert_eq!(
            redact_distinctive("https://sk_live_1.s", &s),
            "https://***.s"
        );
        assert_eq!(redact("s", &s), "***");
    }

    #[test]
    fn empty_secrets_are_not_redacted_everywhere() {
        let s = [Secret::new("K", "")];
        assert_eq!(redact("text", &s), "text");
    }
}
