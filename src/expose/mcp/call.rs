//! `tools/call`: a tool's arguments become an operation's (with `with` injection), the
//! response is shaped by the tool's `outputParameters`, and every outcome becomes a result
//! the model can read: success, upstream error, transport failure, bad argument.

use rmcp::model::{CallToolResult, ContentBlock as Content, ErrorData, JsonObject};
use serde_json::{json, Map, Value};

use super::tools::{self, Entry, Kind};
use super::Inner;
use crate::spec::{OutputParam, ToolInput, WithValue};
use crate::{CallOptions, Error, Format, SendError};

/// Runs one tool. `Err` only for an unknown tool (JSON-RPC −32602); everything else is a
/// result, with `isError` when the call failed.
pub(crate) async fn call(
    inner: &Inner,
    name: &str,
    args: Option<JsonObject>,
) -> Result<CallToolResult, ErrorData> {
    let Some(entry) = inner.tools.get(name) else {
        return Err(ErrorData::invalid_params(
            format!("Unknown tool: {name}"),
            None,
        ));
    };
    let args = args.unwrap_or_default();
    let outcome = run(inner, entry, args).await;
    Ok(finish(inner, outcome))
}

/// What a call produced before it is turned into a result.
enum Outcome {
    Ok(Value),
    /// A failure the model should read: the JSON explains it.
    Failed(Value),
}

async fn run(inner: &Inner, entry: &Entry, args: JsonObject) -> Outcome {
    if let Some(p) = &entry.problem {
        return Outcome::Failed(
            json!({"error": format!("tool `{}` cannot be called: {p}", entry.tool.name)}),
        );
    }
    match &entry.kind {
        Kind::Operation { index, name } => {
            if let Some(e) = check_schema(&entry.tool.input_schema, &args) {
                return Outcome::Failed(json!({ "error": e }));
            }
            let _ = index;
            from_result(
                inner,
                inner
                    .rt
                    .call_with(name, Value::Object(args), &options(inner))
                    .await,
                None,
            )
        }
        Kind::Declared { spec, target } => {
            if let Some(e) = check_inputs(&spec.inputs, &args) {
                return Outcome::Failed(json!({ "error": e }));
            }
            let Some((index, op_name)) = target else {
                return Outcome::Ok(mock(&spec.outputs, &args));
            };
            let op = &inner.rt.capability().operations()[*index];
            let mut call_args = args.clone();
            inject(&mut call_args, &spec.with, &args);
            if let Some(c) = &spec.call {
                inject(&mut call_args, &c.with, &args);
            }
            // Arguments the operation does not take (tool-only inputs) stay behind.
            call_args.retain(|k, _| op.argument_names().iter().any(|n| n == k));
            if spec.outputs.is_empty() {
                let r = inner
                    .rt
                    .call_with(op_name, Value::Object(call_args), &options(inner))
                    .await;
                return from_result(inner, r, None);
            }
            let raw = raw_call(inner, op_name, &op.format, Value::Object(call_args)).await;
            from_result(inner, raw, Some(&spec.outputs))
        }
        Kind::Meta => meta(inner, &entry.tool.name, args).await,
    }
}

fn options(inner: &Inner) -> CallOptions {
    CallOptions {
        timeout: inner.options.timeout,
        ..CallOptions::default()
    }
}

/// The decoded body without the operation's own output mapping: the tool shapes it.
async fn raw_call(inner: &Inner, op: &str, format: &Format, args: Value) -> Result<Value, Error> {
    let req = inner.rt.prepare(op, args)?;
    let response = inner.rt.execute(&req, &options(inner)).await?;
    format.decode(op, &response.body).map_err(Error::from)
}

fn from_result(inner: &Inner, r: Result<Value, Error>, outputs: Option<&[OutputParam]>) -> Outcome {
    let shape = |v: Value| match outputs {
        Some(o) => shape(o, &v).unwrap_or(v),
        None => v,
    };
    match r {
        Ok(v) => Outcome::Ok(shape(v)),
        Err(Error::Send(SendError::Status(e))) => Outcome::Failed(json!({
            "error": format!("the API answered HTTP {}", e.status),
            "status": e.status,
            "body": shape(e.body),
        })),
        Err(e) => {
            let _ = inner;
            Outcome::Failed(json!({ "error": e.to_string() }))
        }
    }
}

fn finish(inner: &Inner, outcome: Outcome) -> CallToolResult {
    let (value, is_error) = match outcome {
        Outcome::Ok(v) => (v, false),
        Outcome::Failed(v) => (v, true),
    };
    let value = crate::secret::redact_json(&value, &inner.secrets);
    let structured = match value {
        Value::Object(_) => value,
        other => json!({ "result": other }),
    };
    let text = structured.to_string();
    let cap = inner.options.max_result_bytes;
    if text.len() > cap {
        let mut cut = cap;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        let note = format!(
            "[result truncated: {} bytes of JSON is over the {cap}-byte limit; ask for less (filters, a smaller limit)]",
            text.len()
        );
        let mut r = CallToolResult::error(vec![Content::text(&text[..cut]), Content::text(note)]);
        r.is_error = Some(true);
        return r;
    }
    let mut r = CallToolResult::success(vec![Content::text(text)]);
    r.structured_content = Some(structured);
    r.is_error = Some(is_error);
    r
}

/// `with` injection: `ns.param` copies the argument (dropped when absent), templates are
/// rendered over the arguments, literals are set as written.
fn inject(out: &mut JsonObject, with: &[(String, WithValue)], args: &JsonObject) {
    for (key, v) in with {
        match v {
            WithValue::Arg(name) => match args.get(name) {
                Some(a) => {
                    out.insert(key.clone(), a.clone());
                }
                None => {
                    out.remove(key);
                }
            },
            WithValue::Template(t) => {
                out.insert(key.clone(), Value::String(render(t, args)));
            }
            WithValue::Literal(l) => {
                out.insert(key.clone(), l.clone());
            }
        }
    }
}

/// `{{x}}` over the arguments: strings as they are, other values as JSON, missing → empty.
fn render(t: &str, args: &JsonObject) -> String {
    let mut out = String::new();
    let mut rest = t;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else {
            out.push_str(&rest[open..]);
            return out;
        };
        let name = after[..close].trim();
        let name = name.rsplit('.').next().unwrap_or(name);
        match args.get(name) {
            Some(Value::String(s)) => out.push_str(s),
            Some(v) => out.push_str(&v.to_string()),
            None => {}
        }
        rest = &after[close + 2..];
    }
    out.push_str(rest);
    out
}

fn mock(outputs: &[OutputParam], args: &JsonObject) -> Value {
    let mut m = Map::new();
    for o in outputs {
        m.insert(
            o.name.clone().unwrap_or_else(|| "value".into()),
            mock_one(o, args),
        );
    }
    Value::Object(m)
}

fn mock_one(o: &OutputParam, args: &JsonObject) -> Value {
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
fn shape(outputs: &[OutputParam], body: &Value) -> Option<Value> {
    outputs
        .iter()
        .map(|o| shape_one(o, body, body))
        .find(|v| !v.is_null())
}

fn shape_one(o: &OutputParam, node: &Value, root: &Value) -> Value {
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

fn object(props: &[OutputParam], node: &Value, root: &Value) -> Value {
    let mut m = Map::new();
    for p in props {
        let name = p.name.clone().unwrap_or_else(|| "value".into());
        m.insert(name, shape_one(p, node, root));
    }
    Value::Object(m)
}

fn truncate(v: Value, max: Option<usize>) -> Value {
    match (v, max) {
        (Value::String(s), Some(n)) if s.chars().count() > n => {
            Value::String(s.chars().take(n).collect())
        }
        (v, _) => v,
    }
}

fn type_ok(ty: &str, v: &Value) -> bool {
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

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A missing or mistyped argument, named so the model can correct itself.
fn check_inputs(inputs: &[ToolInput], args: &JsonObject) -> Option<String> {
    for i in inputs {
        match args.get(&i.name) {
            None | Some(Value::Null) if i.required => {
                return Some(format!("missing required argument `{}`", i.name))
            }
            Some(v) if !v.is_null() && !type_ok(&i.ty, v) => {
                return Some(format!(
                    "argument `{}` should be {} {}, found {}",
                    i.name,
                    if i.ty.starts_with(['a', 'i', 'o']) {
                        "an"
                    } else {
                        "a"
                    },
                    i.ty,
                    kind_of(v)
                ))
            }
            _ => {}
        }
    }
    None
}

/// The same check against an auto-exposed tool's input schema.
fn check_schema(schema: &JsonObject, args: &JsonObject) -> Option<String> {
    let props = schema.get("properties").and_then(Value::as_object);
    for r in schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(name) = r.as_str() {
            if args.get(name).is_none_or(Value::is_null) {
                return Some(format!("missing required argument `{name}`"));
            }
        }
    }
    for (name, v) in args {
        let ty = props
            .and_then(|p| p.get(name))
            .and_then(|p| p.get("type"))
            .and_then(Value::as_str);
        if let Some(ty) = ty {
            if !v.is_null() && !type_ok(ty, v) {
                return Some(format!(
                    "argument `{name}` should be of type {ty}, found {}",
                    kind_of(v)
                ));
            }
        }
    }
    None
}

/// The dynamic meta-tools, over the hidden table (read-only rules already applied).
async fn meta(inner: &Inner, name: &str, args: JsonObject) -> Outcome {
    let hidden = &inner.tools.hidden;
    let arg = |k: &str| {
        args.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    match name {
        tools::SEARCH => {
            let words: Vec<String> = arg("query")
                .split_whitespace()
                .map(str::to_lowercase)
                .collect();
            let found: Vec<Value> = hidden
                .iter()
                .filter(|e| {
                    let hay = haystack(inner, e);
                    words.iter().all(|w| hay.contains(w.as_str()))
                })
                .take(50)
                .map(|e| json!({"name": e.tool.name, "description": e.tool.description}))
                .collect();
            Outcome::Ok(json!({ "operations": found }))
        }
        tools::DESCRIBE => match hidden.iter().find(|e| e.tool.name == arg("name")) {
            Some(e) => Outcome::Ok(json!({
                "name": e.tool.name,
                "description": e.tool.description,
                "inputSchema": Value::Object((*e.tool.input_schema).clone()),
                "annotations": e.tool.annotations,
            })),
            None => Outcome::Failed(
                json!({"error": format!("no operation `{}`; use search_operations", arg("name"))}),
            ),
        },
        _ => {
            let Some(e) = hidden.iter().find(|e| e.tool.name == arg("name")) else {
                return Outcome::Failed(
                    json!({"error": format!("no operation `{}`; use search_operations", arg("name"))}),
                );
            };
            let call_args = args
                .get("arguments")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            Box::pin(run(inner, e, call_args)).await
        }
    }
}

fn haystack(inner: &Inner, e: &Entry) -> String {
    let mut hay = format!(
        "{} {}",
        e.tool.name,
        e.tool.description.as_deref().unwrap_or_default()
    );
    if let Kind::Operation { index, .. } = &e.kind {
        let op = &inner.rt.capability().operations()[*index];
        hay.push(' ');
        hay.push_str(&op.path_template());
        hay.push(' ');
        hay.push_str(op.method().as_str());
    }
    hay.to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_render_arguments_and_drop_missing_ones() {
        let args: JsonObject = serde_json::from_value(json!({"imo": "IMO-1", "n": 3})).unwrap();
        assert_eq!(
            render("ship {{imo}} x{{n}}{{gone}}", &args),
            "ship IMO-1 x3"
        );
    }

    #[test]
    fn with_refs_copy_present_arguments_and_drop_absent_ones() {
        let args: JsonObject = serde_json::from_value(json!({"a": 1})).unwrap();
        let mut out = args.clone();
        inject(
            &mut out,
            &[
                ("x".into(), WithValue::Arg("a".into())),
                ("y".into(), WithValue::Arg("b".into())),
                ("z".into(), WithValue::Literal(json!(5))),
            ],
            &args,
        );
        assert_eq!(Value::Object(out), json!({"a": 1, "x": 1, "z": 5}));
    }
}
