//! JSON indented and coloured with ANSI escapes, for a terminal: keys blue, strings green,
//! numbers cyan, booleans and null magenta (jq's palette, roughly).

use serde_json::Value;

const KEY: &str = "\x1b[34;1m";
const STRING: &str = "\x1b[32m";
const NUMBER: &str = "\x1b[36m";
const LITERAL: &str = "\x1b[35m";
const RESET: &str = "\x1b[0m";

/// `value` as indented JSON with colours.
pub fn json(value: &Value) -> String {
    let mut out = String::new();
    write(value, 0, &mut out);
    out
}

fn write(v: &Value, indent: usize, out: &mut String) {
    let pad = |n: usize| "  ".repeat(n);
    match v {
        Value::Object(m) if !m.is_empty() => {
            out.push_str("{\n");
            for (i, (k, v)) in m.iter().enumerate() {
                out.push_str(&pad(indent + 1));
                paint(KEY, &Value::String(k.clone()).to_string(), out);
                out.push_str(": ");
                write(v, indent + 1, out);
                out.push_str(if i + 1 < m.len() { ",\n" } else { "\n" });
            }
            out.push_str(&pad(indent));
            out.push('}');
        }
        Value::Array(a) if !a.is_empty() => {
            out.push_str("[\n");
            for (i, v) in a.iter().enumerate() {
                out.push_str(&pad(indent + 1));
                write(v, indent + 1, out);
                out.push_str(if i + 1 < a.len() { ",\n" } else { "\n" });
            }
            out.push_str(&pad(indent));
            out.push(']');
        }
        Value::String(_) => paint(STRING, &v.to_string(), out),
        Value::Number(_) => paint(NUMBER, &v.to_string(), out),
        Value::Bool(_) | Value::Null => paint(LITERAL, &v.to_string(), out),
        empty => out.push_str(&empty.to_string()),
    }
}

fn paint(colour: &str, text: &str, out: &mut String) {
    out.push_str(colour);
    out.push_str(text);
    out.push_str(RESET);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn colours_strip_back_to_the_pretty_json() {
        let v = json!({"a": [1, "x", null, {}], "b": {"c": true}});
        let coloured = json(&v);
        assert!(coloured.contains("\x1b[34;1m\"a\"\x1b[0m"), "{coloured}");
        let plain = coloured
            .split('\x1b')
            .enumerate()
            .map(|(i, s)| {
                if i == 0 {
                    s
                } else {
                    &s[s.find('m').unwrap() + 1..]
                }
            })
            .collect::<String>();
        assert_eq!(plain, serde_json::to_string_pretty(&v).unwrap());
    }
}
