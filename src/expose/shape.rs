//! What the MCP and REST adapters share between an inbound request and a consumed
//! operation: `with` injection, `{{x}}` rendering, mock outputs, output shaping
//! (`mapping`/`value`/`properties`/`items`) and JSON type checks.

use serde_json::{Map, Value};

use crate::spec::OutputParam;

/// Arguments by name.
pub(crate) type Args = Map<String, Value>;

// `with` injection and `{{x}}` templates are the step executor's (one implementation).
pub(crate) use super::steps::{inject, render};

/// The outputs of a mock tool or operation: each declared `value`, templates rendered.
pub(crate) fn mock(outputs: &[OutputParam], args: &Args) -> Value {
    let mut m = Map::new();
    for o in outputs {
        m.insert(
            o.name.clone().unwrap_or_else(|| "value".into()),
            mock_one(o, args),
        );
    }
    Value::Object(m)
}

pub(crate) fn mock_one(o: &OutputParam, args: &Args) -> Value {
    if !o.properties.is_empty() {
        return mock(&o.properties, args);
    }
    match &o.value {
        Some(Value::String(s)) => Value::String(render(s, args)),
        Some(v) => v.clone(),
        None => Value::Null,
    }
}

/// Output shaping: the first output parameter whose value is not null wins (upstream).
pub(crate) fn shape(outputs: &[OutputParam], body: &Value) -> Option<Value> {
    outputs
        .iter()
        .map(|o| shape_one(o, body, body))
        .find(|v| !v.is_null())
}

pub(crate) fn shape_one(o: &OutputParam, node: &Value, root: &Value) -> Value {
    if let Some(v) = &o.value {
        return v.clone();
    }
    let selected = o.mapping.as_ref().map(|q| q.extract(node));
    let v = match (o.ty.as_deref(), selected) {
        (Some("array"), Some(Value::Array(items))) => Value::Array(
            items
                .iter()
                .map(|item| match o.items.as_deref() {
                    Some(i) if !i.properties.is_empty() => object(&i.properties, item, item),
                    Some(i) if i.mapping.is_some() => shape_one(i, item, root),
                    _ => item.clone(),
                })
                .collect(),
        ),
        (_, Some(v)) if !o.properties.is_empty() && v.is_object() => object(&o.properties, &v, &v),
        (_, Some(v)) => v,
        (_, None) if !o.properties.is_empty() => object(&o.properties, node, root),
        (_, None) => Value::Null,
    };
    truncate(v, o.max_length)
}

pub(crate) fn object(props: &[OutputParam], node: &Value, root: &Value) -> Value {
    let mut m = Map::new();
    for p in props {
        let name = p.name.clone().unwrap_or_else(|| "value".into());
        m.insert(name, shape_one(p, node, root));
    }
    Value::Object(m)
}

pub(crate) fn truncate(v: Value, max: Option<usize>) -> Value {
    match (v, max) {
        (Value::String(s), Some(n)) if s.chars().count() > n => {
            Value::String(s.chars().take(n).collect())
        }
        (v, _) => v,
    }
}

pub(crate) fn type_ok(ty: &str, v: &Value) -> bool {
    match ty {
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        "array" => v.is_array(),
        "object" => v.is_object(),
        _ => true,
    }
}

pub(crate) fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::WithValue;
    use serde_json::json;

    #[test]
    fn templates_render_arguments_and_drop_missing_ones() {
        let args: Args = serde_json::from_value(json!({"imo": "IMO-1", "n": 3})).unwrap();
        assert_eq!(
            render("ship {{imo}} x{{n}}{{gone}}", &args),
            "ship IMO-1 x3"
        );
    }

    #[test]
    fn with_refs_copy_present_arguments_and_drop_absent_ones() {
        let args: Args = serde_json::from_value(json!({"a": 1})).unwrap();
        let mut out = args.clone();
        inject(
            &mut out,
            &[
                ("x".into(), WithValue::Arg("a".into())),
                ("y".into(), WithValue::Arg("b".into())),
                ("z".into(), WithValue::Literal(json!(5))),
            ],
            &args,
            &|_| None,
        );
        assert_eq!(Value::Object(out), json!({"a": 1, "x": 1, "z": 5}));
    }

    #[test]
    fn with_templates_take_an_argument_first_then_a_bound_variable() {
        let args: Args = serde_json::from_value(json!({"TOKEN": "arg"})).unwrap();
        let binds = |n: &str| (n == "TOKEN" || n == "KEY").then(|| format!("bound-{n}"));
        let mut out = Args::new();
        inject(
            &mut out,
            &[
                ("a".into(), WithValue::Template("{{TOKEN}}".into())),
                ("b".into(), WithValue::Template("k={{KEY}}&{{NONE}}".into())),
            ],
            &args,
            &binds,
        );
        assert_eq!(Value::Object(out), json!({"a": "arg", "b": "k=bound-KEY&"}));
    }
}
