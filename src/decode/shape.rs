//! Declared output types applied to an untyped decoded body (xml, csv).

use std::sync::Arc;

use serde_json::Value;

/// What the output parameters declare at a path of object keys (array indices skipped):
/// computed once at load, applied after decoding a text format.
///
/// A path declared `type: array` whose value is not an array becomes a one-element array
/// (a lone XML element that could repeat); one declared `number`, `integer` or `boolean`
/// whose value is a string that reads as such becomes that JSON value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Shape {
    rules: Arc<Vec<(Vec<String>, Declared)>>,
}

/// A declared output type that changes a decoded value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Declared {
    Array,
    Number,
    Integer,
    Boolean,
}

impl Declared {
    /// The output type name (`type:`) this applies to, if any.
    pub(crate) fn from_type(ty: &str) -> Option<Declared> {
        Some(match ty {
            "array" => Declared::Array,
            "number" => Declared::Number,
            "integer" => Declared::Integer,
            "boolean" => Declared::Boolean,
            _ => return None,
        })
    }
}

impl Shape {
    /// True when nothing is declared.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Records a declared type at a path of object keys (deduplicated).
    pub(crate) fn declare(&mut self, path: Vec<String>, declared: Declared) {
        if !self.rules.iter().any(|(p, d)| *p == path && *d == declared) {
            Arc::make_mut(&mut self.rules).push((path, declared));
        }
    }

    /// Applies the rules to a decoded value.
    pub(crate) fn apply(&self, mut value: Value) -> Value {
        if !self.rules.is_empty() {
            let mut path = Vec::new();
            self.walk(&mut value, &mut path);
        }
        value
    }

    fn walk<'v>(&self, value: &'v mut Value, path: &mut Vec<&'v str>) {
        match value {
            Value::Array(items) => {
                for item in items {
                    // Each element sits at the array's own path.
                    let mut inner: Vec<&str> = path.clone();
                    self.walk(item, &mut inner);
                }
            }
            Value::Object(map) => {
                for (key, child) in map.iter_mut() {
                    path.push(key.as_str());
                    self.fix(child, path);
                    self.walk(child, path);
                    path.pop();
                }
            }
            _ => {}
        }
    }

    fn fix(&self, value: &mut Value, path: &[&str]) {
        for (p, declared) in self.rules.iter() {
            if p.len() != path.len() || p.iter().zip(path).any(|(a, b)| a != b) {
                continue;
            }
            match (declared, &*value) {
                (Declared::Array, Value::Array(_)) => {}
                (Declared::Array, _) => *value = Value::Array(vec![value.take()]),
                (Declared::Number, Value::String(s)) => {
                    if let Ok(n) = s.trim().parse::<serde_json::Number>() {
                        *value = Value::Number(n);
                    }
                }
                (Declared::Integer, Value::String(s)) => {
                    if let Ok(n) = s.trim().parse::<i64>() {
                        *value = Value::from(n);
                    }
                }
                (Declared::Boolean, Value::String(s)) => match s.trim() {
                    "true" => *value = Value::Bool(true),
                    "false" => *value = Value::Bool(false),
                    _ => {}
                },
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn declared_array_wraps_a_lone_value_and_numbers_are_read() {
        let mut s = Shape::default();
        s.declare(vec!["vessel".into()], Declared::Array);
        s.declare(vec!["vessel".into(), "tons".into()], Declared::Integer);
        let v = s.apply(json!({"vessel": {"code": "A", "tons": "12"}}));
        assert_eq!(v, json!({"vessel": [{"code": "A", "tons": 12}]}));
        let v = s.apply(json!({"vessel": [{"tons": "x"}, {"tons": "3"}]}));
        assert_eq!(v, json!({"vessel": [{"tons": "x"}, {"tons": 3}]}));
    }
}
