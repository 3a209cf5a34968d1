//! `outputRawFormat: csv`, `tsv` and `psv` (feature `csv`).
//!
//! The first row is the header; every later row is an object keyed by it, values as strings
//! (RFC 4180 quoting). A row shorter than the header leaves its last keys out; cells beyond
//! the header are dropped; a UTF-8 byte-order mark is skipped.

use serde_json::{Map, Value};

pub(super) fn decode(body: &[u8], delimiter: u8) -> Result<Value, String> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(true)
        .from_reader(body);
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| e.to_string())?
        .iter()
        .map(str::to_string)
        .collect();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| e.to_string())?;
        let row: Map<String, Value> = headers
            .iter()
            .zip(record.iter())
            .map(|(k, v)| (k.clone(), Value::String(v.to_string())))
            .collect();
        rows.push(Value::Object(row));
    }
    Ok(Value::Array(rows))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rows_are_objects_keyed_by_the_header_with_string_values() {
        for (text, sep, want) in [
            (
                "id,name\n1,Ann\n",
                b',',
                json!([{"id": "1", "name": "Ann"}]),
            ),
            (
                "id\tname\n2\t\"B, c\"\n",
                b'\t',
                json!([{"id": "2", "name": "B, c"}]),
            ),
            (
                "\u{feff}a|b\n1\n3|4|5\n",
                b'|',
                json!([{"a": "1"}, {"a": "3", "b": "4"}]),
            ),
            ("a,b\n", b',', json!([])),
        ] {
            assert_eq!(decode(text.as_bytes(), sep).unwrap(), want, "{text:?}");
        }
        assert!(decode(b"a\n\xff\n", b',').is_err());
    }
}
