//! `outputRawFormat: yaml` (feature `yaml`; the saphyr parser the loader uses, no extra
//! crate). The first document, scalars typed by the YAML 1.2 core schema (quoted scalars are
//! strings), aliases expanded within a node budget, mapping keys as their text.

use saphyr_parser::{Event, Parser, ScalarStyle};
use serde_json::{Map, Number, Value};

const MAX_DEPTH: usize = 256;
/// Nodes a document may expand to (aliases included): a "billion laughs" stops here.
const MAX_NODES: usize = 1_000_000;

enum Frame {
    Seq(Vec<Value>, usize),
    Map(Map<String, Value>, Option<String>, usize),
}

pub(super) fn decode(body: &[u8]) -> Result<Value, String> {
    let text = std::str::from_utf8(body).map_err(|e| format!("not UTF-8: {e}"))?;
    let mut parser = Parser::new_from_str(text);
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: Vec<(usize, Value, usize)> = Vec::new();
    // Nodes made so far, aliases counted at their full size; the subtree size of each open
    // collection (what an alias to it would add).
    let mut nodes = 0usize;
    let mut sizes: Vec<usize> = Vec::new();
    let mut root = None;
    while let Some(next) = parser.next_event() {
        let (event, _) = next.map_err(|e| {
            format!(
                "line {} column {}: {}",
                e.marker().line(),
                e.marker().col() + 1,
                e.info()
            )
        })?;
        let done: Option<(Value, usize, usize)> = match event {
            Event::DocumentStart(_) if root.is_some() => break,
            Event::Scalar(v, style, anchor, tag) => {
                let tag = tag.as_ref().map(|t| t.suffix.as_str());
                nodes += 1;
                Some((scalar(&v, style, tag), anchor, 1))
            }
            Event::Alias(id) => {
                let Some((_, v, size)) = anchors.iter().rev().find(|(a, _, _)| *a == id) else {
                    return Err("an alias refers to an unknown anchor".into());
                };
                nodes = nodes.saturating_add(*size);
                if nodes > MAX_NODES {
                    return Err(format!("the document expands beyond {MAX_NODES} nodes"));
                }
                Some((v.clone(), 0, *size))
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _)
                if stack.len() >= MAX_DEPTH =>
            {
                let _ = anchor;
                return Err(format!("nesting deeper than {MAX_DEPTH} levels"));
            }
            Event::SequenceStart(anchor, _) => {
                stack.push(Frame::Seq(Vec::new(), anchor));
                nodes += 1;
                sizes.push(1);
                None
            }
            Event::MappingStart(anchor, _) => {
                stack.push(Frame::Map(Map::new(), None, anchor));
                nodes += 1;
                sizes.push(1);
                None
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let size = sizes.pop().unwrap_or(1);
                match stack.pop() {
                    Some(Frame::Seq(items, anchor)) => Some((Value::Array(items), anchor, size)),
                    Some(Frame::Map(map, _, anchor)) => Some((Value::Object(map), anchor, size)),
                    None => None,
                }
            }
            _ => None,
        };
        if nodes > MAX_NODES {
            return Err(format!("the document expands beyond {MAX_NODES} nodes"));
        }
        let Some((value, anchor, size)) = done else {
            continue;
        };
        if let Some(parent) = sizes.last_mut() {
            *parent = parent.saturating_add(size);
        }
        if anchor > 0 {
            anchors.push((anchor, value.clone(), size));
        }
        match stack.last_mut() {
            None => root = Some(value),
            Some(Frame::Seq(items, _)) => items.push(value),
            Some(Frame::Map(map, key, _)) => match key.take() {
                None => *key = Some(key_text(value)),
                Some(k) => {
                    map.insert(k, value);
                }
            },
        }
    }
    Ok(root.unwrap_or(Value::Null))
}

fn key_text(key: Value) -> String {
    match key {
        Value::String(s) => s,
        other => other.to_string(),
    }
}

/// The YAML 1.2 core schema for plain scalars; quoted and block scalars are strings.
fn scalar(text: &str, style: ScalarStyle, tag: Option<&str>) -> Value {
    if tag == Some("str") || style != ScalarStyle::Plain {
        return Value::String(text.to_string());
    }
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(i) = text.parse::<i64>() {
            return Value::from(i);
        }
    }
    let float_like = digits
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'))
        && digits.bytes().any(|b| b.is_ascii_digit());
    if float_like {
        if let Some(n) = text.parse::<f64>().ok().and_then(Number::from_f64) {
            return Value::Number(n);
        }
    }
    Value::String(text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn yaml_documents_decode_with_core_schema_types() {
        let doc = "users:\n  - id: \"1\"\n    n: 2\n    ok: true\n    x: ~\n    f: 1.5\n  - &a {k: v}\n  - *a\n";
        assert_eq!(
            decode(doc.as_bytes()).unwrap(),
            json!({"users": [{"id": "1", "n": 2, "ok": true, "x": null, "f": 1.5}, {"k": "v"}, {"k": "v"}]})
        );
        assert!(decode(b"a: [1").unwrap_err().contains("line"));
        let deep = "[".repeat(MAX_DEPTH + 1);
        assert!(decode(deep.as_bytes()).is_err());
    }

    #[test]
    fn an_alias_counts_every_node_it_repeats_so_a_billion_laughs_stops_early() {
        let bomb = std::fs::read("tests/fixtures/errors/alias-bomb.yaml").unwrap();
        // Before, an alias to a collection counted as one node: this took all the memory.
        let e = decode(&bomb).unwrap_err();
        assert!(e.contains("expands beyond 1000000 nodes"), "{e}");
        // Nested anchors within the budget still expand in full.
        let ok = "a: &a [1, 2]\nb: &b [*a, *a]\nc: [*b, *b]\n";
        assert_eq!(
            decode(ok.as_bytes()).unwrap(),
            json!({"a": [1, 2], "b": [[1, 2], [1, 2]], "c": [[[1, 2], [1, 2]], [[1, 2], [1, 2]]]})
        );
    }
}
