//! A small, deterministic YAML writer for the JSON values import builds: block style, keys in
//! insertion order, strings plain when YAML reads them back as the same string.

use serde_json::Value;

/// Renders `v` (an object) as a YAML document.
pub(crate) fn to_yaml(v: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, v, 0, false);
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

fn indent(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

/// Writes `v` after a key (or a `- `): scalars inline, collections on the next lines.
fn write_value(out: &mut String, v: &Value, level: usize, after_key: bool) {
    match v {
        Value::Object(map) if !map.is_empty() => {
            if after_key {
                out.push('\n');
            }
            for (i, (k, child)) in map.iter().enumerate() {
                if i > 0 || after_key {
                    indent(out, level);
                }
                out.push_str(&scalar(k));
                out.push(':');
                write_child(out, child, level + 2);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            if after_key {
                out.push('\n');
            }
            for (i, item) in items.iter().enumerate() {
                if i > 0 || after_key {
                    indent(out, level);
                }
                out.push_str("- ");
                match item {
                    Value::Object(m) if !m.is_empty() => write_value(out, item, level + 2, false),
                    Value::Array(a) if !a.is_empty() => {
                        write_value(out, item, level + 2, true);
                    }
                    _ => {
                        out.push_str(&inline(item, level + 2));
                        out.push('\n');
                    }
                }
            }
        }
        _ => {
            out.push_str(&inline(v, level));
            out.push('\n');
        }
    }
}

fn write_child(out: &mut String, child: &Value, level: usize) {
    match child {
        Value::Object(m) if !m.is_empty() => write_value(out, child, level, true),
        // Sequences under a key sit at the key's own indentation, as the corpus writes them.
        Value::Array(a) if !a.is_empty() => write_value(out, child, level - 2, true),
        _ => {
            out.push(' ');
            out.push_str(&inline(child, level));
            out.push('\n');
        }
    }
}

fn inline(v: &Value, level: usize) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => string(s, level),
        Value::Array(_) => "[]".into(),
        Value::Object(_) => "{}".into(),
    }
}

/// A multi-line description reads best as a literal block; anything else that is not plain
/// is written JSON-quoted (a JSON string is a valid YAML double-quoted scalar).
fn string(s: &str, level: usize) -> String {
    let block_ok = s.contains('\n')
        && !s.starts_with([' ', '\t', '\n'])
        && !s.ends_with([' ', '\t', '\n'])
        && !s.lines().any(|l| l.ends_with([' ', '\t']))
        && s.chars().all(|c| c == '\n' || !c.is_control());
    if block_ok {
        let mut out = String::from("|-");
        for line in s.split('\n') {
            out.push('\n');
            if !line.is_empty() {
                out.extend(std::iter::repeat_n(' ', level));
                out.push_str(line);
            }
        }
        return out;
    }
    scalar(s)
}

fn scalar(s: &str) -> String {
    if is_plain(s) {
        s.to_string()
    } else {
        serde_json::to_string(s).unwrap_or_default()
    }
}

fn is_plain(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    // `-x` is plain; `-`, `- x` and `---` are not.
    let dash_ok = first == '-' && s.len() > 1 && !s.starts_with("- ") && !s.starts_with("---");
    if "-?:,[]{}#&*!|>'\"%@`~ \t".contains(first) && !dash_ok {
        return false;
    }
    if s.ends_with([' ', '\t', ':']) || s.contains(": ") || s.contains(" #") {
        return false;
    }
    if s.chars().any(|c| c.is_control() || c == '\u{feff}') {
        return false;
    }
    let lower = s.to_ascii_lowercase();
    let reserved = [
        "null", "~", "true", "false", "yes", "no", "on", "off", "y", "n",
    ];
    if reserved.contains(&lower.as_str()) {
        return false;
    }
    // Anything a YAML reader could take for a number or a date stays quoted.
    let special = [".inf", "-.inf", "+.inf", ".nan"];
    let bytes = s.as_bytes();
    let date_like = bytes.len() >= 10
        && bytes[..4].iter().all(u8::is_ascii_digit)
        && bytes[4] == b'-'
        && bytes[7] == b'-';
    if s.parse::<f64>().is_ok()
        || special.contains(&lower.as_str())
        || lower.starts_with("0x")
        || lower.starts_with("0o")
        || date_like
        || (s.contains(':')
            && s.chars()
                .all(|c| c.is_ascii_digit() || c == ':' || c == '.'))
    {
        return false;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn round_trips_through_the_parser() {
        let v = json!({
            "a": "plain text",
            "b": ["x", {"k": "v", "n": 1}, [1, 2]],
            "c": {"d": "", "e": "true", "f": "1.0", "g": "a: b", "h": "line one\nline two", "i": "-x", "j": "$."},
            "k": [],
            "l": {},
            "m": "- item",
            "n": "2024-01-01",
            "o": " lead", "r": "1.0.0-alpha2", "s": "1e3", "t": "0x1F", "u": "12:30",
            "p": "x\n\n  y",
            "q": "ends\n",
        });
        let text = to_yaml(&v);
        let back = crate::load::tree::parse(&text).map(|n| n.to_json());
        assert_eq!(back.ok(), Some(v), "{text}");
    }
}
