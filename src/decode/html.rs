//! `outputRawFormat: html` (feature `html`; the scraper crate: html5ever and CSS
//! selectors). The body becomes `{tables: [[row, …], …]}`, the shape upstream's engine
//! gives: every `<table>` of the page, or those the operation's `outputSchema` CSS selector
//! picks (a selected element that is not a table contributes the tables inside it). Each
//! table's header cells (`thead`'s first row of `th`, else the first row's `th`) key its
//! rows; rows with a `th` are headers and skipped; a missing cell is `""`; cell text has
//! its whitespace collapsed. A table without header cells is left out.

use scraper::{ElementRef, Html, Selector};
use serde_json::{json, Map, Value};

pub(super) fn decode(body: &[u8], selector: Option<&str>) -> Result<Value, String> {
    let text = String::from_utf8_lossy(body);
    let doc = Html::parse_document(&text);
    let table = css("table")?;
    let mut picked: Vec<ElementRef<'_>> = Vec::new();
    match selector.map(str::trim).filter(|s| !s.is_empty()) {
        None => picked.extend(doc.select(&table)),
        Some(s) => {
            let scope = Selector::parse(s)
                .map_err(|e| format!("outputSchema `{s}` is not a CSS selector: {e}"))?;
            for el in doc.select(&scope) {
                if el.value().name() == "table" {
                    picked.push(el);
                } else {
                    picked.extend(el.select(&table));
                }
            }
        }
    }
    let mut tables = Vec::new();
    for t in picked {
        let headers = headers(t)?;
        if headers.iter().all(String::is_empty) {
            continue;
        }
        tables.push(rows(t, &headers)?);
    }
    Ok(json!({ "tables": tables }))
}

fn css(s: &str) -> Result<Selector, String> {
    Selector::parse(s).map_err(|e| format!("selector `{s}`: {e}"))
}

fn cell_text(el: ElementRef<'_>) -> String {
    el.text()
        .flat_map(str::split_whitespace)
        .collect::<Vec<_>>()
        .join(" ")
}

fn headers(table: ElementRef<'_>) -> Result<Vec<String>, String> {
    let mut cells: Vec<String> = table
        .select(&css("thead tr:first-child th")?)
        .map(cell_text)
        .collect();
    if cells.is_empty() {
        cells = table
            .select(&css("tr:first-child th")?)
            .map(cell_text)
            .collect();
    }
    Ok(cells)
}

fn rows(table: ElementRef<'_>, headers: &[String]) -> Result<Value, String> {
    let (th, td) = (css("th")?, css("td")?);
    let mut rows: Vec<ElementRef<'_>> = table.select(&css("tbody tr")?).collect();
    if rows.is_empty() {
        rows = table.select(&css("tr")?).collect();
    }
    let mut out = Vec::new();
    for row in rows {
        if row.select(&th).next().is_some() {
            continue;
        }
        let cells: Vec<String> = row.select(&td).map(cell_text).collect();
        if cells.is_empty() {
            continue;
        }
        let obj: Map<String, Value> = headers
            .iter()
            .enumerate()
            .map(|(i, h)| {
                (
                    h.clone(),
                    Value::from(cells.get(i).cloned().unwrap_or_default()),
                )
            })
            .collect();
        out.push(Value::Object(obj));
    }
    Ok(Value::Array(out))
}

#[cfg(test)]
mod tests {
    use super::decode;
    use serde_json::json;

    const PAGE: &str = "<table id=a><tr><th>K</th><th>V</th></tr><tr><td> one\n two </td></tr></table>\
        <div class=x><table><thead><tr><th>N</th></tr></thead><tbody><tr><td>n1</td></tr></tbody></table></div>\
        <table><tr><td>no header</td></tr></table>";

    #[test]
    fn every_table_with_headers_becomes_rows() {
        assert_eq!(
            decode(PAGE.as_bytes(), None).unwrap(),
            json!({"tables": [[{"K": "one two", "V": ""}], [{"N": "n1"}]]})
        );
    }

    #[test]
    fn the_selector_picks_tables_or_the_tables_inside_what_it_picks() {
        assert_eq!(
            decode(PAGE.as_bytes(), Some("div.x")).unwrap(),
            json!({"tables": [[{"N": "n1"}]]})
        );
        assert_eq!(
            decode(PAGE.as_bytes(), Some("table#a")).unwrap()["tables"][0][0]["K"],
            "one two"
        );
        assert!(decode(PAGE.as_bytes(), Some("div["))
            .unwrap_err()
            .contains("not a CSS selector"));
    }
}
