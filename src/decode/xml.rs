//! `outputRawFormat: xml` (feature `xml`, quick-xml).
//!
//! The convention, the same for every document:
//! - the root element is dropped: the result is its content (`<vessels><vessel>…` maps as
//!   `$.vessel`);
//! - an element with only text is a string (`<id>1</id>` → `"1"`, `<id/>` → `""`): values
//!   stay strings, [`Shape`](super::Shape) reads numbers where the output type says so;
//! - an element with attributes or child elements is an object: attributes as `@name`,
//!   children by name, non-blank text beside them as `#text`;
//! - an element name that occurs more than once among its siblings is an array of them in
//!   document order; one declared `type: array` is an array even when it occurs once.
//!
//! Names are kept as written (with a namespace prefix, if any); comments, processing
//! instructions and the DOCTYPE are skipped; only the five predefined entities and
//! character references are expanded (no DTD entities, so no entity expansion attacks).

use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};
use serde_json::{Map, Value};

/// How deep elements may nest before the document is refused.
const MAX_DEPTH: usize = 256;

/// One open element: its attributes and children so far, and its text.
struct Open {
    fields: Map<String, Value>,
    text: String,
    name: String,
}

pub(super) fn decode(body: &[u8]) -> Result<Value, String> {
    let text = std::str::from_utf8(body).map_err(|e| format!("not UTF-8: {e}"))?;
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<Open> = Vec::new();
    let mut root: Option<Value> = None;
    loop {
        let at = reader.buffer_position();
        let event = reader
            .read_event()
            .map_err(|e| format!("at byte {at}: {e}"))?;
        match event {
            Event::Start(start) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(format!("elements nest deeper than {MAX_DEPTH} levels"));
                }
                check_single_root(&root, &stack, at)?;
                stack.push(open(&start, at)?);
            }
            Event::Empty(start) => {
                check_single_root(&root, &stack, at)?;
                let element = open(&start, at)?;
                close(element, &mut stack, &mut root);
            }
            Event::End(_) => {
                let Some(element) = stack.pop() else {
                    return Err(format!(
                        "at byte {at}: a closing tag without an opening one"
                    ));
                };
                close(element, &mut stack, &mut root);
            }
            Event::Text(t) => push_text(&mut stack, &t.xml10_content(), at)?,
            Event::CData(t) => push_text(&mut stack, &t.xml10_content(), at)?,
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    Ok(None) => {
                        let name = r.into_inner();
                        match resolve_predefined_entity(&name) {
                            Some(s) => s.to_string(),
                            None => return Err(format!("at byte {at}: unknown entity `&{name};`")),
                        }
                    }
                    Err(e) => return Err(format!("at byte {at}: {e}")),
                };
                push_text(&mut stack, &resolved, at)?;
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if let Some(open) = stack.last() {
        return Err(format!("the document ends inside <{}>", open.name));
    }
    root.ok_or_else(|| "no root element".to_string())
}

fn check_single_root(root: &Option<Value>, stack: &[Open], at: u64) -> Result<(), String> {
    if root.is_some() && stack.is_empty() {
        return Err(format!("at byte {at}: a second root element"));
    }
    Ok(())
}

fn open(start: &BytesStart<'_>, at: u64) -> Result<Open, String> {
    let mut fields = Map::new();
    for attr in start.attributes() {
        let attr = attr.map_err(|e| format!("at byte {at}: {e}"))?;
        let value = attr
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|e| format!("at byte {at}: {e}"))?;
        fields.insert(
            format!("@{}", attr.key.into_inner()),
            Value::String(value.into_owned()),
        );
    }
    Ok(Open {
        fields,
        text: String::new(),
        name: start.name().into_inner().to_string(),
    })
}

fn push_text(stack: &mut [Open], text: &str, at: u64) -> Result<(), String> {
    match stack.last_mut() {
        Some(open) => {
            open.text.push_str(text);
            Ok(())
        }
        None if text.trim().is_empty() => Ok(()),
        None => Err(format!("at byte {at}: text outside the root element")),
    }
}

/// Turns a closed element into its value and adds it to its parent (or makes it the root).
fn close(element: Open, stack: &mut [Open], root: &mut Option<Value>) {
    let Open {
        mut fields,
        text,
        name,
    } = element;
    let value = if fields.is_empty() {
        Value::String(text)
    } else {
        if !text.trim().is_empty() {
            fields.insert("#text".into(), Value::String(text.trim().to_string()));
        }
        Value::Object(fields)
    };
    let Some(parent) = stack.last_mut() else {
        // The root element is dropped: its content is the document. A root with only text is
        // that text.
        *root = Some(value);
        return;
    };
    match parent.fields.get_mut(&name) {
        // An element's own value is never an array: an array here was made by repetition.
        Some(Value::Array(items)) => items.push(value),
        Some(existing) => {
            let first = existing.take();
            *existing = Value::Array(vec![first, value]);
        }
        None => {
            parent.fields.insert(name, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn xml_maps_by_the_documented_convention() {
        for (xml, want) in [
            ("<r><id>1</id></r>", json!({"id": "1"})),
            (
                "<r><a/><b>x</b><b>y</b></r>",
                json!({"a": "", "b": ["x", "y"]}),
            ),
            (
                r#"<r><v code="A &amp; B">t</v></r>"#,
                json!({"v": {"@code": "A & B", "#text": "t"}}),
            ),
            ("<r>&lt;&#65;<![CDATA[<x>]]></r>", json!("<A<x>")),
            (
                "<?xml version=\"1.0\"?><!-- c --><r><a><b>1</b></a></r>",
                json!({"a": {"b": "1"}}),
            ),
        ] {
            assert_eq!(decode(xml.as_bytes()).unwrap(), want, "{xml}");
        }
    }

    #[test]
    fn malformed_xml_is_an_error_naming_the_problem() {
        for (xml, part) in [
            ("<r><a></r>", "byte"),
            ("<r>", "ends inside <r>"),
            ("<r/><s/>", "second root"),
            ("<r>&bogus;</r>", "unknown entity `&bogus;`"),
        ] {
            let e = decode(xml.as_bytes()).unwrap_err();
            assert!(e.contains(part), "{xml}: {e}");
        }
        let deep = "<a>".repeat(MAX_DEPTH + 1);
        assert!(decode(deep.as_bytes()).unwrap_err().contains("deeper"));
    }
}
