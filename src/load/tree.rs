//! A positioned document tree: YAML 1.2 (and therefore JSON) parsed into nodes that
//! remember their line and column, so every later diagnostic can point at the source.
//!
//! Built directly on `saphyr-parser` events, which lets the loader
//! * reject duplicate mapping keys (YAML says they are an error; libyaml-based loaders keep the last),
//! * bound alias expansion (a "billion laughs" document is refused, not expanded),
//! * honour `!!omap` (ordered maps written as sequences of one-key maps), and
//! * resolve plain scalars with the YAML 1.2 core schema (`yes`/`on` stay strings).

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

mod input;

/// The largest number of nodes a document may expand to (aliases included).
const MAX_NODES: usize = 1_000_000;
/// The deepest nesting accepted.
const MAX_DEPTH: usize = 128;

pub use crate::spec::Pos;

/// A document node with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Where the node starts.
    pub pos: Pos,
    /// What the node holds.
    pub kind: Kind,
}

/// The value of a [`Node`].
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// `null`, `~` or an empty value.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// An integer that fits in `i64`.
    Int(i64),
    /// A floating point number.
    Float(f64),
    /// A string.
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in document order; keys are strings.
    Map(Vec<(Key, Node)>),
}

/// A mapping key and its position.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    /// The key text.
    pub name: String,
    /// Where the key is written.
    pub pos: Pos,
}

/// A syntax error with its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// Where the problem is.
    pub pos: Pos,
    /// What is wrong.
    pub message: String,
}

impl Node {
    /// Returns the mapping entry for `key`, if this node is a mapping that has it.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.kind {
            Kind::Map(entries) => entries.iter().find(|(k, _)| k.name == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The position of `key` within this mapping, or the mapping's own position.
    pub fn key_pos(&self, key: &str) -> Pos {
        match &self.kind {
            Kind::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.name == key)
                .map_or(self.pos, |(k, _)| k.pos),
            _ => self.pos,
        }
    }

    /// The string value, if this is a string scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Str(s) => Some(s),
            _ => None,
        }
    }

    /// A scalar written as text: strings as they are, numbers and booleans in their canonical form.
    pub fn scalar_text(&self) -> Option<String> {
        match &self.kind {
            Kind::Str(s) => Some(s.clone()),
            Kind::Int(i) => Some(i.to_string()),
            Kind::Float(f) => Some(f.to_string()),
            Kind::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// The entries, if this is a mapping.
    pub fn as_map(&self) -> Option<&[(Key, Node)]> {
        match &self.kind {
            Kind::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The items, if this is a sequence.
    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.kind {
            Kind::Seq(s) => Some(s),
            _ => None,
        }
    }

    /// A short name for the node's kind, for messages ("a mapping", "a string", …).
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            Kind::Null => "null",
            Kind::Bool(_) => "a boolean",
            Kind::Int(_) | Kind::Float(_) => "a number",
            Kind::Str(_) => "a string",
            Kind::Seq(_) => "a list",
            Kind::Map(_) => "a mapping",
        }
    }

    /// Converts the node to JSON (positions are dropped).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match &self.kind {
            Kind::Null => Value::Null,
            Kind::Bool(b) => Value::Bool(*b),
            Kind::Int(i) => Value::from(*i),
            Kind::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
            Kind::Str(s) => Value::String(s.clone()),
            Kind::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            Kind::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.name.clone(), v.to_json()))
                    .collect(),
            ),
        }
    }
}

fn pos_of(span: &Span) -> Pos {
    Pos {
        line: span.start.line(),
        col: span.start.col() + 1,
    }
}

enum Frame {
    Seq {
        pos: Pos,
        items: Vec<Node>,
        anchor: usize,
        omap: bool,
        /// Nodes below, aliases expanded (for the alias budget).
        size: usize,
    },
    Map {
        pos: Pos,
        entries: Vec<(Key, Node)>,
        pending_key: Option<Key>,
        anchor: usize,
        /// Nodes below, aliases expanded.
        size: usize,
    },
}

/// Parses a file's text: YAML, or strict JSON when `path` ends in `.json` (YAML would also
/// accept JSON with trailing commas or comments, which JSON tools then reject).
pub fn parse_file(text: &str, path: &std::path::Path) -> Result<Node, SyntaxError> {
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
    {
        if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(text) {
            return Err(SyntaxError {
                pos: Pos {
                    line: e.line().max(1),
                    col: e.column().max(1),
                },
                message: format!("invalid JSON: {e}")
                    .split(" at line ")
                    .next()
                    .unwrap_or_default()
                    .to_string(),
            });
        }
    }
    parse(text)
}

/// Where a scanner error is: the parser's position, except for a tab, which the scanner
/// may report at the end of the line before it: then the tab's own line and column.
fn scan_error_pos(text: &str, line: usize, col: usize, info: &str) -> Pos {
    let at = Pos { line, col };
    if !info.contains("tab") {
        return at;
    }
    let Some(here) = text.lines().nth(line.saturating_sub(1)) else {
        return at;
    };
    if here.chars().skip(col.saturating_sub(1)).any(|c| c == '\t') {
        return at;
    }
    // The first tab in the lines that follow, if nothing but whitespace comes before it.
    for (i, l) in text.lines().enumerate().skip(line) {
        let lead: String = l.chars().take_while(|c| c.is_whitespace()).collect();
        if let Some(c) = lead.chars().position(|c| c == '\t') {
            return Pos {
                line: i + 1,
                col: c + 1,
            };
        }
        if !l.trim().is_empty() {
            break;
        }
    }
    at
}

/// Parses the first document of `text` into a `Node` tree.
///
/// An empty document gives a `Null` node.
// Over 100 lines: one event loop over the YAML parser whose arms share the frame stack,
// the anchor table and the node budget; split, each arm would take all of them as arguments.
pub fn parse(text: &str) -> Result<Node, SyntaxError> {
    let mut parser = Parser::new(input::Text::new(text));
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: Vec<(usize, Node, usize)> = Vec::new();
    let mut total_nodes: usize = 0;
    let mut root: Option<Node> = None;
    let mut in_document = false;

    while let Some(next) = parser.next_event() {
        let (event, span) = next.map_err(|e| SyntaxError {
            pos: scan_error_pos(text, e.marker().line(), e.marker().col() + 1, e.info()),
            message: e.info().to_string(),
        })?;
        let pos = pos_of(&span);
        let finished: Option<(Node, usize, usize)> = match event {
            Event::StreamStart | Event::Nothing => None,
            Event::StreamEnd => break,
            Event::DocumentStart(_) => {
                if root.is_some() {
                    // Only the first document is read; say so rather than dropping the rest silently.
                    return Err(SyntaxError {
                        pos,
                        message:
                            "more than one YAML document in the file; a capability is one document"
                                .into(),
                    });
                }
                in_document = true;
                None
            }
            Event::DocumentEnd => {
                in_document = false;
                None
            }
            Event::Alias(id) => {
                let Some((_, node, size)) = anchors.iter().rev().find(|(a, _, _)| *a == id) else {
                    return Err(SyntaxError {
                        pos,
                        message: "alias refers to an unknown anchor".into(),
                    });
                };
                total_nodes = total_nodes.saturating_add(*size);
                if total_nodes > MAX_NODES {
                    return Err(SyntaxError {
                        pos,
                        message: format!(
                            "aliases expand the document beyond {MAX_NODES} nodes (a \"billion laughs\" document?)"
                        ),
                    });
                }
                let mut copy = node.clone();
                copy.pos = pos;
                Some((copy, 0, *size))
            }
            Event::Scalar(value, style, anchor, tag) => {
                total_nodes += 1;
                let tag_suffix = tag.as_ref().map(|t| t.suffix.as_str());
                let kind = resolve_scalar(value, style, tag_suffix);
                Some((Node { pos, kind }, anchor, 1))
            }
            Event::SequenceStart(anchor, tag) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(SyntaxError {
                        pos,
                        message: format!("nesting deeper than {MAX_DEPTH} levels"),
                    });
                }
                let omap = tag
                    .as_ref()
                    .is_some_and(|t| t.suffix == "omap" || t.suffix == "pairs");
                stack.push(Frame::Seq {
                    pos,
                    items: Vec::new(),
                    anchor,
                    omap,
                    size: 0,
                });
                None
            }
            Event::MappingStart(anchor, _tag) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(SyntaxError {
                        pos,
                        message: format!("nesting deeper than {MAX_DEPTH} levels"),
                    });
                }
                stack.push(Frame::Map {
                    pos,
                    entries: Vec::new(),
                    pending_key: None,
                    anchor,
                    size: 0,
                });
                None
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Frame::Seq {
                    pos,
                    items,
                    anchor,
                    omap,
                    size,
                }) => {
                    total_nodes += 1;
                    let size = 1 + size;
                    let node = if omap {
                        omap_to_map(pos, items)?
                    } else {
                        Node {
                            pos,
                            kind: Kind::Seq(items),
                        }
                    };
                    Some((node, anchor, size))
                }
                _ => None,
            },
            Event::MappingEnd => match stack.pop() {
                Some(Frame::Map {
                    pos,
                    entries,
                    anchor,
                    size,
                    ..
                }) => {
                    total_nodes += 1;
                    let size = 1 + size;
                    Some((
                        Node {
                            pos,
                            kind: Kind::Map(entries),
                        },
                        anchor,
                        size,
                    ))
                }
                _ => None,
            },
        };
        if total_nodes > MAX_NODES {
            return Err(SyntaxError {
                pos,
                message: format!("document has more than {MAX_NODES} nodes"),
            });
        }
        if let Some((mut node, anchor, size)) = finished {
            if anchor != 0 {
                anchors.push((anchor, node.clone(), size));
            }
            match stack.last_mut() {
                None => {
                    if in_document || root.is_none() {
                        root = Some(node);
                    }
                }
                Some(Frame::Seq {
                    items, size: below, ..
                }) => {
                    *below += size;
                    items.push(node);
                }
                Some(Frame::Map {
                    entries,
                    pending_key,
                    size: below,
                    ..
                }) => match pending_key.take() {
                    None => {
                        let name = match node.kind {
                            Kind::Str(ref mut text) => std::mem::take(text),
                            _ => match node.scalar_text() {
                                Some(t) => t,
                                None if matches!(node.kind, Kind::Null) => String::new(),
                                None => {
                                    return Err(SyntaxError {
                                        pos: node.pos,
                                        message: format!(
                                            "mapping keys must be scalars, found {}",
                                            node.kind_name()
                                        ),
                                    })
                                }
                            },
                        };
                        if entries.iter().any(|(k, _)| k.name == name) {
                            return Err(SyntaxError {
                                pos: node.pos,
                                message: format!("duplicate mapping key `{name}`"),
                            });
                        }
                        *pending_key = Some(Key {
                            name,
                            pos: node.pos,
                        });
                    }
                    Some(key) => {
                        *below += size;
                        entries.push((key, node));
                    }
                },
            }
        }
    }
    Ok(root.unwrap_or(Node {
        pos: Pos { line: 1, col: 1 },
        kind: Kind::Null,
    }))
}

/// `!!omap` / `!!pairs`: a sequence of one-key mappings becomes one mapping.
fn omap_to_map(pos: Pos, items: Vec<Node>) -> Result<Node, SyntaxError> {
    let mut entries: Vec<(Key, Node)> = Vec::with_capacity(items.len());
    for item in items {
        match item.kind {
            Kind::Map(mut pair) if pair.len() == 1 => {
                let (key, value) = pair.remove(0);
                if entries.iter().any(|(k, _)| k.name == key.name) {
                    return Err(SyntaxError {
                        pos: key.pos,
                        message: format!("duplicate key `{}` in !!omap", key.name),
                    });
                }
                entries.push((key, value));
            }
            _ => {
                return Err(SyntaxError {
                    pos: item.pos,
                    message: "an !!omap entry must be a mapping with exactly one key".into(),
                })
            }
        }
    }
    Ok(Node {
        pos,
        kind: Kind::Map(entries),
    })
}

/// Resolves a scalar with the YAML 1.2 core schema (plain scalars only; quoted ones are strings).
fn resolve_scalar(text: std::borrow::Cow<'_, str>, style: ScalarStyle, tag: Option<&str>) -> Kind {
    match tag {
        Some("str") => return Kind::Str(text.into_owned()),
        Some("null") => return Kind::Null,
        _ => {}
    }
    if style != ScalarStyle::Plain {
        return Kind::Str(text.into_owned());
    }
    let value: &str = &text;
    match value {
        "" | "~" | "null" | "Null" | "NULL" => return Kind::Null,
        "true" | "True" | "TRUE" => return Kind::Bool(true),
        "false" | "False" | "FALSE" => return Kind::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Kind::Float(f64::INFINITY)
        }
        "-.inf" | "-.Inf" | "-.INF" => return Kind::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Kind::Float(f64::NAN),
        _ => {}
    }
    let bytes = value.as_bytes();
    let digits_from = usize::from(matches!(bytes.first(), Some(b'-' | b'+')));
    if bytes.len() > digits_from && bytes[digits_from..].iter().all(u8::is_ascii_digit) {
        if let Ok(i) = value.parse::<i64>() {
            return Kind::Int(i);
        }
    }
    if let Some(oct) = value.strip_prefix("0o") {
        if let Ok(i) = i64::from_str_radix(oct, 8) {
            return Kind::Int(i);
        }
    }
    if let Some(hex) = value.strip_prefix("0x") {
        if let Ok(i) = i64::from_str_radix(hex, 16) {
            return Kind::Int(i);
        }
    }
    if is_core_float(value) {
        if let Ok(f) = value.parse::<f64>() {
            return Kind::Float(f);
        }
    }
    Kind::Str(text.into_owned())
}

/// `[-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?`
fn is_core_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'-' | b'+')));
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let int_digits = i - int_start;
    let mut frac_digits = 0;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let f = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        frac_digits = i - f;
    }
    if int_digits == 0 && frac_digits == 0 {
        return false;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
            i += 1;
        }
        let e = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == e {
            return false;
        }
    }
    i == b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_keys_are_an_error_with_position() {
        let err = parse("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert_eq!(err.pos, Pos { line: 3, col: 1 });
        assert!(err.message.contains("duplicate mapping key `a`"));
    }

    #[test]
    fn alias_bomb_is_refused() {
        let mut doc = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let p = i - 1;
            doc.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let err = parse(&doc).unwrap_err();
        assert!(err.message.contains("billion laughs"), "{}", err.message);
    }

    #[test]
    fn core_schema_keeps_yaml11_booleans_as_strings() {
        let n = parse("a: yes\nb: on\nc: true\nd: 017\ne: 1.5\nf: '5'\ng: ~\n").unwrap();
        assert_eq!(n.get("a").unwrap().kind, Kind::Str("yes".into()));
        assert_eq!(n.get("b").unwrap().kind, Kind::Str("on".into()));
        assert_eq!(n.get("c").unwrap().kind, Kind::Bool(true));
        assert_eq!(n.get("d").unwrap().kind, Kind::Int(17));
        assert_eq!(n.get("e").unwrap().kind, Kind::Float(1.5));
        assert_eq!(n.get("f").unwrap().kind, Kind::Str("5".into()));
        assert_eq!(n.get("g").unwrap().kind, Kind::Null);
    }

    #[test]
    fn omap_becomes_a_mapping() {
        let n = parse("!!omap\n- a: 1\n- b: !!omap\n  - c: x\n").unwrap();
        assert_eq!(n.get("a").unwrap().kind, Kind::Int(1));
        assert_eq!(n.get("b").unwrap().get("c").unwrap().as_str(), Some("x"));
    }

    #[test]
    fn positions_are_one_based() {
        let n = parse("root:\n  child: value\n").unwrap();
        let child = n.get("root").unwrap();
        assert_eq!(child.key_pos("child"), Pos { line: 2, col: 3 });
        assert_eq!(child.get("child").unwrap().pos, Pos { line: 2, col: 10 });
    }

    #[test]
    fn json_documents_parse() {
        let n = parse(r#"{"a": [1, 2.5, "x", null, true]}"#).unwrap();
        assert_eq!(
            n.to_json(),
            serde_json::json!({"a": [1, 2.5, "x", null, true]})
        );
    }

    #[test]
    fn a_tab_is_reported_at_its_own_line() {
        // The scanner reports this one at the end of line 2.
        let err = parse("a:\n  b: x\n\tc: y\n").unwrap_err();
        assert!(err.message.contains("tab"), "{}", err.message);
        assert_eq!((err.pos.line, err.pos.col), (3, 1), "{}", err.message);
        let err = parse("a:\n- b: x\n  c: y\n\td: z\n").unwrap_err();
        assert_eq!((err.pos.line, err.pos.col), (4, 1), "{}", err.message);
    }

    #[test]
    fn syntax_errors_have_positions() {
        let err = parse("a: 'unclosed\nb: 2\n").unwrap_err();
        assert!(err.pos.line >= 1);
        assert!(!err.message.is_empty());
    }
}
