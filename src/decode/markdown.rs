//! `outputRawFormat: markdown` (feature `markdown`; pulldown-cmark's parser, GFM tables on).
//! The body becomes `{frontMatter, tables, sections}`, the shape upstream's engine gives:
//!
//! * `frontMatter`: the YAML between a leading `---` line and the next `---` line (an
//!   object; `{}` when there is none or it is not a mapping);
//! * `tables`: each top-level table as an array of row objects keyed by its header cells
//!   (values as strings, a missing cell `""`); a table whose headers are all blank is left out;
//! * `sections`: each heading with its `level` and the text of the top-level blocks up to
//!   the next heading (`content`, blocks and list items joined by newlines — upstream runs
//!   list items together — tables not included). The
//!   operation's `outputSchema`, when set, keeps only the sections whose heading starts
//!   with it.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use serde_json::{json, Map, Value};

/// A top-level block being read.
enum Block {
    Heading(u8, String),
    Table(Table),
    Other(String),
}

#[derive(Default)]
struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
    in_head: bool,
    cell: String,
}

/// The sections collected so far and the one being read.
struct Sections<'f> {
    filter: Option<&'f str>,
    done: Vec<Value>,
    current: Option<(String, u8, Vec<String>)>,
}

impl Sections<'_> {
    fn close(&mut self) {
        if let Some((heading, level, content)) = self.current.take() {
            if self.filter.is_none_or(|f| heading.starts_with(f)) {
                let content = content.join("\n");
                self.done
                    .push(json!({"heading": heading, "level": level, "content": content.trim()}));
            }
        }
    }
}

pub(super) fn decode(body: &[u8], filter: Option<&str>) -> Result<Value, String> {
    let text = std::str::from_utf8(body).map_err(|e| format!("not UTF-8: {e}"))?;
    let text = text.replace("\r\n", "\n");
    let (front, body) = front_matter(&text)?;
    let mut tables = Vec::new();
    let mut sections = Sections {
        filter: filter.filter(|f| !f.trim().is_empty()),
        done: Vec::new(),
        current: None,
    };
    let mut depth = 0usize;
    let mut block: Option<Block> = None;
    for event in Parser::new_ext(body, Options::ENABLE_TABLES) {
        match event {
            Event::Start(tag) => {
                if depth == 0 {
                    block = Some(match tag {
                        Tag::Heading { level, .. } => Block::Heading(level as u8, String::new()),
                        Tag::Table(_) => Block::Table(Table::default()),
                        _ => Block::Other(String::new()),
                    });
                }
                depth += 1;
                if let Some(Block::Table(t)) = &mut block {
                    table_start(t, &tag);
                }
            }
            Event::End(tag) => {
                depth = depth.saturating_sub(1);
                if let Some(Block::Table(t)) = &mut block {
                    table_end(t, tag);
                } else if depth > 0 && matches!(tag, TagEnd::Paragraph | TagEnd::Item) {
                    // Nested blocks (list items) stay apart: one per line.
                    push_text(&mut block, "\n");
                }
                if depth == 0 {
                    if let Some(b) = block.take() {
                        finish(b, &mut sections, &mut tables);
                    }
                }
            }
            Event::Text(s) | Event::Code(s) => push_text(&mut block, &s),
            Event::SoftBreak => push_text(&mut block, " "),
            Event::HardBreak => push_text(&mut block, "\n"),
            _ => {}
        }
    }
    sections.close();
    Ok(json!({"frontMatter": front, "tables": tables, "sections": sections.done}))
}

/// The front matter (as JSON) and the rest of the document.
fn front_matter(text: &str) -> Result<(Value, &str), String> {
    let empty = Value::Object(Map::new());
    let Some(rest) = text.strip_prefix("---\n") else {
        return Ok((empty, text));
    };
    let Some(end) = rest.find("\n---\n") else {
        return Ok((empty, text));
    };
    let yaml = rest[..end].trim();
    let body = &rest[end + 5..];
    if yaml.is_empty() {
        return Ok((empty, body));
    }
    let parsed = super::yaml::decode(yaml.as_bytes()).map_err(|e| format!("front matter: {e}"))?;
    Ok((if parsed.is_object() { parsed } else { empty }, body))
}

fn push_text(block: &mut Option<Block>, s: &str) {
    match block {
        Some(Block::Heading(_, t) | Block::Other(t)) => t.push_str(s),
        Some(Block::Table(t)) => t.cell.push_str(s),
        None => {}
    }
}

fn table_start(t: &mut Table, tag: &Tag<'_>) {
    match tag {
        Tag::TableHead => t.in_head = true,
        Tag::TableRow => t.rows.push(Vec::new()),
        Tag::TableCell => t.cell.clear(),
        _ => {}
    }
}

fn table_end(t: &mut Table, tag: TagEnd) {
    match tag {
        TagEnd::TableHead => t.in_head = false,
        TagEnd::TableCell => {
            let cell = t.cell.trim().to_string();
            if t.in_head {
                t.headers.push(cell);
            } else if let Some(row) = t.rows.last_mut() {
                row.push(cell);
            }
        }
        _ => {}
    }
}

fn finish(block: Block, sections: &mut Sections<'_>, tables: &mut Vec<Value>) {
    match block {
        Block::Heading(level, text) => {
            sections.close();
            sections.current = Some((text.trim().to_string(), level, Vec::new()));
        }
        Block::Table(t) => {
            if t.headers.iter().any(|h| !h.is_empty()) {
                tables.push(rows(&t));
            }
        }
        Block::Other(text) => {
            let text = text.trim();
            if let Some((_, _, content)) = &mut sections.current {
                if !text.is_empty() {
                    content.push(text.to_string());
                }
            }
        }
    }
}

fn rows(t: &Table) -> Value {
    let rows = t.rows.iter().map(|row| {
        let obj: Map<String, Value> = t
            .headers
            .iter()
            .enumerate()
            .map(|(i, h)| {
                (
                    h.clone(),
                    Value::from(row.get(i).cloned().unwrap_or_default()),
                )
            })
            .collect();
        Value::Object(obj)
    });
    Value::Array(rows.collect())
}

#[cfg(test)]
mod tests {
    use super::decode;
    use serde_json::json;

    const DOC: &str = "---\ntitle: Guide\nversion: 2\n---\n# Intro\n\nHello *world* and `code`.\nNext line.\n\n## Features\n\n| Feature | Status |\n|---|---|\n| Tables | done |\n| Lists |\n\nAfter the table.\n\n- one\n- two\n";

    #[test]
    fn front_matter_tables_and_sections_come_apart() {
        let v = decode(DOC.as_bytes(), None).unwrap();
        assert_eq!(
            v,
            json!({
                "frontMatter": {"title": "Guide", "version": 2},
                "tables": [[{"Feature": "Tables", "Status": "done"}, {"Feature": "Lists", "Status": ""}]],
                "sections": [
                    {"heading": "Intro", "level": 1, "content": "Hello world and code. Next line."},
                    {"heading": "Features", "level": 2, "content": "After the table.\none\ntwo"}
                ]
            })
        );
    }

    #[test]
    fn the_section_filter_keeps_headings_that_start_with_it() {
        let v = decode(DOC.as_bytes(), Some("Feat")).unwrap();
        assert_eq!(v["sections"].as_array().unwrap().len(), 1);
        assert_eq!(v["sections"][0]["heading"], "Features");
    }

    #[test]
    fn no_front_matter_is_an_empty_object_and_crlf_is_read() {
        let v = decode(b"# A\r\ntext\r\n", None).unwrap();
        assert_eq!(v["frontMatter"], json!({}));
        assert_eq!(
            v["sections"],
            json!([{"heading": "A", "level": 1, "content": "text"}])
        );
        assert!(decode(b"\xff", None).is_err());
    }
}
