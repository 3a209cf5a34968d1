//! JSON values as block-style YAML (`call -o yaml`). Strings stay plain when YAML would
//! read them back as the same string, and are double-quoted (JSON escapes, which YAML
//! accepts) otherwise.

use serde_json::Value;

/// The YAML text of `value`, ending in a newline.
pub fn render(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Array(a) if !a.is_empty() => sequence(a, 0, &mut out),
        Value::Object(m) if !m.is_empty() => mapping(m, 0, &mut out),
        other => {
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
    out
}

fn sequence(items: &[Value], indent: usize, out: &mut String) {
    for item in items {
        out.push_str(&" ".repeat(indent));
        out.push('-');
        child(item, indent + 2, true, out);
    }
}

fn mapping(map: &serde_json::Map<String, Value>, indent: usize, out: &mut String) {
    for (k, v) in map {
        out.push_str(&" ".repeat(indent));
        out.push_str(&string(k));
        out.push(':');
        child(v, indent + 2, false, out);
    }
}

/// A value after `-` or `key:`: a scalar or empty collection on the same line; a sequence
/// item's mapping starts on the dash's line, other collections on the next lines.
fn child(v: &Value, indent: usize, in_sequence: bool, out: &mut String) {
    match v {
        Value::Object(m) if !m.is_empty() && in_sequence => {
            let mut nested = String::new();
            mapping(m, indent, &mut nested);
            out.push(' ');
            out.push_str(&nested[indent..]);
        }
        Value::Object(m) if !m.is_empty() => {
            out.push('\n');
            mapping(m, indent, out);
        }
        Value::Array(a) if !a.is_empty() => {
            out.push('\n');
            sequence(a, if in_sequence { indent } else { indent - 2 }, out);
        }
        other => {
            out.push(' ');
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => string(s),
        Value::Array(_) => "[]".into(),
        Value::Object(_) => "{}".into(),
        other => other.to_string(),
    }
}

/// A string, plain when that reads back as the same string.
fn string(s: &str) -> String {
    const RESERVED: [&str; 12] = [
        "true", "false", "null", "yes", "no", "on", "off", "y", "n", "~", "True", "False",
    ];
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | ' ' | '@'))
        && !s.starts_with([' ', '-', '.', '@'])
        && !s.ends_with(' ')
        && !RESERVED.iter().any(|r| r.eq_ignore_ascii_case(s))
        && s.parse::<f64>().is_err();
    if plain {
        s.to_string()
    } else {
        Value::String(s.to_string()).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_values_are_block_yaml() {
        let v = json!({"users": [{"id": "u-1", "num": 2}, {"id": "5"}], "empty": [], "ok": true});
        assert_eq!(
            render(&v),
            "users:\n- id: u-1\n  num: 2\n- id: \"5\"\nempty: []\nok: true\n"
        );
    }

    #[test]
    fn strings_yaml_would_misread_are_quoted() {
        for (s, shown) in [
            ("yes", "\"yes\""),
            ("12", "\"12\""),
            ("a: b", "\"a: b\""),
            ("", "\"\""),
            ("plain text", "plain text"),
        ] {
            assert_eq!(string(s), shown, "{s}");
        }
    }

    #[test]
    fn nested_sequences_and_mappings_indent() {
        let v = json!({"a": {"b": [1, [2, 3]]}});
        assert_eq!(render(&v), "a:\n  b:\n  - 1\n  -\n    - 2\n    - 3\n");
    }
}
