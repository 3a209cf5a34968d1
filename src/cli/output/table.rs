//! An array of objects as a text table (`call -o table`): one column per key, the union of
//! the objects' keys in the order they first appear; nested values as compact JSON.

use serde_json::Value;

/// The table of `value`, or `None` when it is not an array of objects.
pub fn render(value: &Value) -> Option<String> {
    let rows = value.as_array()?;
    let objects: Vec<&serde_json::Map<String, Value>> =
        rows.iter().map(Value::as_object).collect::<Option<_>>()?;
    if objects.is_empty() {
        return None;
    }
    let mut columns: Vec<&str> = Vec::new();
    for o in &objects {
        for k in o.keys() {
            if !columns.contains(&k.as_str()) {
                columns.push(k);
            }
        }
    }
    let cells: Vec<Vec<String>> = objects
        .iter()
        .map(|o| columns.iter().map(|c| cell(o.get(*c))).collect())
        .collect();
    let widths: Vec<usize> = (0..columns.len())
        .map(|i| {
            cells
                .iter()
                .map(|r| r[i].chars().count())
                .chain([columns[i].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let header: Vec<String> = columns.iter().map(|c| c.to_string()).collect();
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&cells) {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(text, w)| format!("{text:<w$}"))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    Some(out)
}

fn cell(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.replace(['\n', '\r', '\t'], " "),
        Some(other) => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn columns_are_the_union_of_keys_in_first_seen_order() {
        let v = json!([{"id": "u-1", "n": 2}, {"id": "u-22", "team": {"a": 1}}]);
        assert_eq!(
            render(&v).unwrap(),
            "id    n  team\nu-1   2\nu-22     {\"a\":1}\n"
        );
    }

    #[test]
    fn what_is_not_an_array_of_objects_is_no_table() {
        for v in [
            json!({"a": 1}),
            json!([1, 2]),
            json!([]),
            json!([{"a": 1}, 3]),
        ] {
            assert_eq!(render(&v), None, "{v}");
        }
    }
}
