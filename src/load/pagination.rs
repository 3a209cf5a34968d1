//! An operation's `pagination:` block (README "Pagination"), or the pagination inferred
//! for a GET with `offset` and `limit` query parameters.

use super::{join, At, Loader};
use crate::map::Query;
use crate::spec::{Operation, PageStyle, Pagination, ParamIn};

/// The styles a `pagination:` block may name.
const STYLES: &str = "offset, page, cursor, link, nextUrl";

impl Loader {
    /// The operation's pagination: its block (an error, and `None`, when the block is
    /// wrong), or the inferred offset/limit one.
    pub(super) fn pagination(&mut self, at: At<'_>, op: &Operation) -> Option<Pagination> {
        let Some(node) = at.node.get("pagination") else {
            return inferred(op);
        };
        let path = join(at.path, "pagination");
        let block = At {
            file: at.file,
            node,
            path: &path,
        };
        if node.as_map().is_none() {
            let found = node.kind_name();
            self.fatal(
                block.loc(),
                format!(
                    "operation `{}`: `pagination` should be a mapping, found {found}",
                    op.name
                ),
            );
            return None;
        }
        let style = self.page_style(block, op)?;
        let items = self.page_query(block, op, "items")?;
        let max_pages = self.max_pages(block, op)?;
        if let (
            PageStyle::Page {
                total_pages: None, ..
            },
            None,
        ) = (&style, &items)
        {
            self.fatal(
                block.loc(),
                format!("operation `{}`: pagination style `page` needs `items` or `totalPages` to know when to stop", op.name),
            );
            return None;
        }
        Some(Pagination {
            style,
            items,
            max_pages,
            inferred: false,
        })
    }

    fn page_style(&mut self, at: At<'_>, op: &Operation) -> Option<PageStyle> {
        let style = self.str_field(at, "style").unwrap_or_default();
        let param = |this: &mut Loader, key: &str| this.page_param(at, op, key);
        Some(match style.as_str() {
            "offset" => PageStyle::Offset {
                offset: param(self, "offset")?,
                limit: param(self, "limit")?,
                total: match self.page_query(at, op, "total")? {
                    Some(q) => Some(q),
                    None => Query::compile("$.total").ok(),
                },
            },
            "page" => PageStyle::Page {
                page: param(self, "page")?,
                start: self.page_number(at, op, "start")?.unwrap_or(1),
                total_pages: self.page_query(at, op, "totalPages")?,
            },
            "cursor" => PageStyle::Cursor {
                param: param(self, "cursor")?,
                next: self.required_query(at, op, &style)?,
            },
            "link" => PageStyle::LinkHeader,
            "nextUrl" => PageStyle::NextUrl {
                next: self.required_query(at, op, &style)?,
            },
            _ => {
                let loc = if style.is_empty() {
                    at.loc()
                } else {
                    at.key_loc("style")
                };
                let found = if style.is_empty() {
                    "no `style`".to_string()
                } else {
                    format!("unknown style `{style}`")
                };
                self.fatal(
                    loc,
                    format!(
                        "operation `{}`: pagination has {found}; styles: {STYLES}",
                        op.name
                    ),
                );
                return None;
            }
        })
    }

    /// The parameter a style sets (`key`'s value, by default `key` itself), which must be
    /// an input parameter of the operation.
    fn page_param(&mut self, at: At<'_>, op: &Operation, key: &str) -> Option<String> {
        let name = self.str_field(at, key).unwrap_or_else(|| key.to_string());
        if op.params.iter().any(|p| p.name == name) {
            return Some(name);
        }
        let known: Vec<&str> = op.params.iter().map(|p| p.name.as_str()).collect();
        let loc = match at.node.get(key) {
            Some(_) => at.key_loc(key),
            None => at.loc(),
        };
        self.fatal(
            loc,
            format!(
                "operation `{}`: pagination parameter `{name}` is not an input parameter of the operation; parameters: {}",
                op.name,
                if known.is_empty() { "none".into() } else { known.join(", ") }
            ),
        );
        None
    }

    /// The JSONPath at `key`; `Some(None)` when absent, `None` after an error.
    fn page_query(&mut self, at: At<'_>, op: &Operation, key: &str) -> Option<Option<Query>> {
        let Some(text) = self.str_field(at, key) else {
            return Some(None);
        };
        match Query::compile(&text) {
            Ok(q) => Some(Some(q)),
            Err(e) => {
                let message = format!("operation `{}`: pagination `{key}`: {e}", op.name);
                self.fatal(at.key_loc(key), message);
                None
            }
        }
    }

    /// `next`, which the cursor and nextUrl styles need.
    fn required_query(&mut self, at: At<'_>, op: &Operation, style: &str) -> Option<Query> {
        match self.page_query(at, op, "next")? {
            Some(q) => Some(q),
            None => {
                self.fatal(
                    at.loc(),
                    format!(
                        "operation `{}`: pagination style `{style}` needs `next`, the JSONPath of the next {} in the response",
                        op.name,
                        if style == "cursor" { "cursor" } else { "page's URL" }
                    ),
                );
                None
            }
        }
    }

    fn max_pages(&mut self, at: At<'_>, op: &Operation) -> Option<Option<u32>> {
        let n = self.page_number(at, op, "maxPages")?;
        Some(n.map(|n| n.min(u64::from(u32::MAX)) as u32))
    }

    /// A positive integer at `key`; `Some(None)` when absent, `None` after an error.
    fn page_number(&mut self, at: At<'_>, op: &Operation, key: &str) -> Option<Option<u64>> {
        let Some(node) = at.node.get(key) else {
            return Some(None);
        };
        match node.scalar_text().and_then(|t| t.parse::<u64>().ok()) {
            Some(n) if n > 0 || key == "start" => Some(Some(n)),
            _ => {
                let message = format!(
                    "operation `{}`: pagination `{key}` should be a positive integer, found `{}`",
                    op.name,
                    node.scalar_text()
                        .unwrap_or_else(|| node.kind_name().into())
                );
                self.fatal(at.key_loc(key), message);
                None
            }
        }
    }
}

/// A GET with `offset` and `limit` query parameters pages by offset, to `$.total`.
fn inferred(op: &Operation) -> Option<Pagination> {
    let query =
        |name: &str| (op.params.iter()).any(|p| p.name == name && p.location == ParamIn::Query);
    (op.method == crate::spec::Method::Get && query("offset") && query("limit")).then(|| {
        Pagination {
            style: PageStyle::Offset {
                offset: "offset".into(),
                limit: "limit".into(),
                total: Query::compile("$.total").ok(),
            },
            items: None,
            max_pages: None,
            inferred: true,
        }
    })
}
