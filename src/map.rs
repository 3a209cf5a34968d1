//! The last step of the data flow (spec → bind → request → send → **map**): applying the
//! operation's `outputParameters` to the decoded body (`crate::decode` decodes it).
//!
//! One JSONPath engine is used everywhere: [`serde_json_path`], which passes all 703 cases of
//! the RFC 9535 compliance suite. Expressions are compiled once, when the capability loads.
//! Naftiko writes `$.` for "the whole body"; it is read as `$` (RFC 9535 rejects `$.`).

use serde_json::Value;
use serde_json_path::JsonPath;

/// Why a response could not be decoded or mapped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MapError {
    /// The response body is not the JSON the operation declares.
    #[error("operation `{operation}`: the response body is not valid JSON ({source}); it starts with {snippet:?}")]
    Decode {
        /// The operation.
        operation: String,
        /// The first bytes of the body, lossily decoded.
        snippet: String,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
    /// The response body is not valid in the (non-JSON) format the operation declares.
    #[error("operation `{operation}`: the response body is not valid {format} ({message})")]
    Parse {
        /// The operation.
        operation: String,
        /// The declared format.
        format: String,
        /// What the parser reported (with its line or byte position).
        message: String,
    },
    /// The mapped output does not deserialize into the type asked of
    /// [`Runtime::call_as`](crate::Runtime::call_as).
    #[error("operation `{operation}`: the output does not fit the type asked for ({message})")]
    Output {
        /// The operation.
        operation: String,
        /// serde's message (with the request's secrets redacted), with its line and column in the output.
        message: String,
    },
    /// The operation declares a response format this runtime does not decode yet.
    #[error("operation `{operation}`: outputRawFormat `{format}` is not supported (this build decodes json, text, xml, yaml, csv, tsv, psv, markdown and html)")]
    UnsupportedFormat {
        /// The operation.
        operation: String,
        /// The declared format.
        format: String,
    },
}

/// An invalid JSONPath expression.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid JSONPath `{expression}`: {message}")]
pub struct PathError {
    /// The expression as written.
    pub expression: String,
    /// What is wrong, with a hint when one helps.
    pub message: String,
}

/// A compiled JSONPath expression.
#[derive(Debug, Clone)]
pub struct Query {
    text: String,
    path: Option<JsonPath>,
    singular: bool,
}

impl Query {
    /// Compiles `expr`. `$.` and `$` both mean the root.
    ///
    /// ```
    /// let q = naftiko::Query::compile("$.data[*].id")?;
    /// let doc = serde_json::json!({"data": [{"id": 1}, {"id": 2}]});
    /// assert_eq!(q.nodes(&doc), vec![&serde_json::json!(1), &serde_json::json!(2)]);
    /// # Ok::<(), naftiko::PathError>(())
    /// ```
    pub fn compile(expr: &str) -> Result<Query, PathError> {
        if expr == "$" || expr == "$." {
            return Ok(Query {
                text: expr.to_string(),
                path: None,
                singular: true,
            });
        }
        let path = JsonPath::parse(expr).map_err(|e| PathError {
            expression: expr.to_string(),
            message: hint(expr, &e.to_string()),
        })?;
        // RFC 9535 only allows singular queries in comparisons, so this parses exactly when
        // `expr` is a singular query (one that can select at most one node).
        let singular = JsonPath::parse(&format!("$[?{expr} == 0]")).is_ok();
        Ok(Query {
            text: expr.to_string(),
            path: Some(path),
            singular,
        })
    }

    /// The expression as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// True when the query can select at most one node (`$.a.b`, `$.a[0]`), false for
    /// wildcards, slices, filters, unions and descendants.
    pub fn is_singular(&self) -> bool {
        self.singular
    }

    /// The selected nodes, in document order.
    pub fn nodes<'v>(&self, value: &'v Value) -> Vec<&'v Value> {
        match &self.path {
            None => vec![value],
            Some(p) => p.query(value).all(),
        }
    }

    /// The mapped value: a singular query gives its node or `null`; any other query gives
    /// the array of its nodes.
    pub fn extract(&self, value: &Value) -> Value {
        match &self.path {
            None => value.clone(),
            Some(p) => {
                let nodes = p.query(value);
                if self.singular {
                    nodes
                        .at_most_one()
                        .ok()
                        .flatten()
                        .cloned()
                        .unwrap_or(Value::Null)
                } else {
                    Value::Array(nodes.all().into_iter().cloned().collect())
                }
            }
        }
    }
}

impl Query {
    /// Like [`Query::extract`], but takes the document and moves the selected value out of
    /// it instead of copying it: `$.` returns the document itself, a singular path the value
    /// at that place. What output mapping uses.
    ///
    /// ```
    /// let q = naftiko::Query::compile("$.data")?;
    /// let doc = serde_json::json!({"data": [1, 2, 3], "other": true});
    /// assert_eq!(q.extract_owned(doc), serde_json::json!([1, 2, 3]));
    /// # Ok::<(), naftiko::PathError>(())
    /// ```
    pub fn extract_owned(&self, mut value: Value) -> Value {
        match &self.path {
            None => value,
            Some(p) if self.singular => {
                let pointer = p
                    .query_located(&value)
                    .at_most_one()
                    .ok()
                    .flatten()
                    .map(|node| node.location().to_json_pointer());
                pointer
                    .and_then(|ptr| value.pointer_mut(&ptr).map(Value::take))
                    .unwrap_or(Value::Null)
            }
            Some(_) => self.extract(&value),
        }
    }
}

fn hint(expr: &str, message: &str) -> String {
    let member_with_space = expr
        .split('.')
        .skip(1)
        .any(|m| m.contains(' ') && !m.contains('[') && !m.contains('\''));
    if member_with_space {
        format!("{message}; member names with spaces need the bracket form, e.g. $['Participation Status']")
    } else {
        message.to_string()
    }
}

/// One output value: a compiled query or a constant.
#[derive(Debug, Clone)]
pub(crate) enum Extract {
    Query(Query),
    Const(Value),
}

impl Extract {
    fn apply_owned(&self, body: Value) -> Value {
        match self {
            Extract::Query(q) => q.extract_owned(body),
            Extract::Const(v) => v.clone(),
        }
    }

    fn apply(&self, body: &Value) -> Value {
        match self {
            Extract::Query(q) => q.extract(body),
            Extract::Const(v) => v.clone(),
        }
    }

    fn describe(&self) -> Value {
        match self {
            Extract::Query(q) => Value::String(q.as_str().to_string()),
            Extract::Const(v) => v.clone(),
        }
    }
}

/// How an operation's response becomes its output.
#[derive(Debug, Clone)]
pub(crate) enum OutputMap {
    /// No `outputParameters`: the decoded body.
    Whole,
    /// One unnamed output parameter: its value.
    Single(Extract),
    /// Named output parameters: an object keyed by name.
    Named(Vec<(String, Extract)>),
}

impl OutputMap {
    pub(crate) fn compile_value(text: &str) -> Result<Extract, PathError> {
        // Capability authors write `value: " $.data "` now and then; the spaces mean nothing.
        let trimmed = text.trim();
        if trimmed.starts_with('$') {
            Query::compile(trimmed).map(Extract::Query)
        } else {
            Ok(Extract::Const(Value::String(text.to_string())))
        }
    }

    /// When the mapping only wraps the whole body, the name it is wrapped in (`Whole` and
    /// one unnamed `$`: `Some(None)`; one output `name` with `value: $`: `Some(Some(name))`).
    /// A body's JSON text then maps to `{"name":text}` without being decoded.
    pub(crate) fn wraps_whole(&self) -> Option<Option<&str>> {
        let root = |e: &Extract| matches!(e, Extract::Query(q) if q.path.is_none());
        match self {
            OutputMap::Whole => Some(None),
            OutputMap::Single(e) if root(e) => Some(None),
            OutputMap::Named(fields) if fields.len() == 1 && root(&fields[0].1) => {
                Some(Some(fields[0].0.as_str()))
            }
            _ => None,
        }
    }

    /// Applies the mapping to a decoded body.
    pub(crate) fn apply(&self, body: Value) -> Value {
        match self {
            OutputMap::Whole => body,
            // One output: the body is moved, not copied (`$.` is the body itself).
            OutputMap::Single(e) => e.apply_owned(body),
            OutputMap::Named(fields) if fields.len() == 1 => {
                let (name, e) = &fields[0];
                let value = e.apply_owned(body);
                let mut out = serde_json::Map::with_capacity(1);
                out.insert(name.clone(), value);
                Value::Object(out)
            }
            OutputMap::Named(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(name, e)| (name.clone(), e.apply(&body)))
                    .collect(),
            ),
        }
    }

    /// What an orchestration step stores: like [`OutputMap::apply`], except that an array
    /// body keeps its elements, each augmented with the named outputs evaluated on it
    /// (upstream's rule; the tutorial's `imo-number ← $.imo_number` lookup relies on it).
    pub(crate) fn project(&self, body: Value) -> Value {
        match (self, body) {
            (OutputMap::Named(fields), Value::Array(items)) => Value::Array(
                items
                    .into_iter()
                    .map(|mut item| {
                        let extra: Vec<(String, Value)> = fields
                            .iter()
                            .map(|(n, e)| (n.clone(), e.apply(&item)))
                            .collect();
                        if let Value::Object(m) = &mut item {
                            m.extend(extra);
                        }
                        item
                    })
                    .collect(),
            ),
            (_, body) => self.apply(body),
        }
    }

    pub(crate) fn describe(&self) -> Value {
        match self {
            OutputMap::Whole => Value::String("$".into()),
            OutputMap::Single(e) => e.describe(),
            OutputMap::Named(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(n, e)| (n.clone(), e.describe()))
                    .collect(),
            ),
        }
    }
}

/// Evaluates a JSONPath expression on a document and returns the node list as a JSON array,
/// with the same engine and `$.` rule as output mapping (what `naftiko query` prints).
///
/// ```
/// let doc = serde_json::json!({"users": [{"user_id": "a"}, {"user_id": "b"}]});
/// let nodes = naftiko::query("$.users[*].user_id", &doc)?;
/// assert_eq!(nodes, serde_json::json!(["a", "b"]));
/// # Ok::<(), naftiko::PathError>(())
/// ```
pub fn query(expr: &str, document: &Value) -> Result<Value, PathError> {
    let q = Query::compile(expr)?;
    Ok(Value::Array(
        q.nodes(document).into_iter().cloned().collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dollar_dot_and_dollar_mean_the_root() {
        let doc = json!({"a": 1});
        assert_eq!(Query::compile("$.").unwrap().extract(&doc), doc);
        assert_eq!(Query::compile("$").unwrap().extract(&doc), doc);
    }

    #[test]
    fn singular_queries_unwrap_and_others_give_arrays() {
        let doc = json!({"a": {"b": [10, 20]}});
        assert!(Query::compile("$.a.b[1]").unwrap().is_singular());
        assert_eq!(Query::compile("$.a.b[1]").unwrap().extract(&doc), json!(20));
        assert!(!Query::compile("$.a.b[*]").unwrap().is_singular());
        assert_eq!(
            Query::compile("$.a.b[*]").unwrap().extract(&doc),
            json!([10, 20])
        );
        assert!(!Query::compile("$..b").unwrap().is_singular());
    }

    #[test]
    fn extract_owned_gives_what_extract_gives() {
        let doc = json!({"a": {"b": [10, {"c": "x"}]}, "l": [1, 2]});
        for expr in [
            "$",
            "$.",
            "$.a",
            "$.a.b[1].c",
            "$.a.b[5]",
            "$.missing",
            "$.l[*]",
            "$..c",
            "$['a']['b'][0]",
        ] {
            let q = Query::compile(expr).unwrap();
            assert_eq!(q.extract_owned(doc.clone()), q.extract(&doc), "{expr}");
        }
    }

    #[test]
    fn a_path_that_matches_nothing_gives_null() {
        assert_eq!(
            Query::compile("$.missing.x").unwrap().extract(&json!({})),
            Value::Null
        );
    }

    #[test]
    fn member_names_with_spaces_get_a_hint() {
        let err = Query::compile("$.properties.Participation Status.name").unwrap_err();
        assert!(err.message.contains("bracket form"), "{}", err.message);
    }

    #[test]
    fn named_outputs_build_an_object() {
        let map = OutputMap::Named(vec![
            ("id".into(), OutputMap::compile_value("$.id").unwrap()),
            ("all".into(), OutputMap::compile_value("$.").unwrap()),
        ]);
        assert_eq!(
            map.apply(json!({"id": 7})),
            json!({"id": 7, "all": {"id": 7}})
        );
    }
}
