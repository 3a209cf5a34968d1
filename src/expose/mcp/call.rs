//! `tools/call`: a tool's arguments become an operation's (with `with` injection), the
//! response is shaped by the tool's `outputParameters`, and every outcome becomes a result
//! the model can read: success, upstream error, transport failure, bad argument.

use rmcp::model::{CallToolResult, ContentBlock as Content, ErrorData, JsonObject};
use serde_json::{json, Value};

use super::tools::{self, Entry, Kind};
use super::Inner;
use crate::expose::shape::{inject, kind_of, mock, shape, type_ok};
use crate::expose::steps::{self, StepsOutput};
use crate::runtime::Output;
use crate::spec::{OutputParam, Tool as ToolSpec, ToolInput};
use crate::{CallOptions, Error, Format, SendError, TraceParent};
use std::time::Instant;
use tracing::Instrument;

/// Runs one tool. `Err` only for an unknown tool (JSON-RPC −32602); everything else is a
/// result, with `isError` when the call failed.
/// `trace` is the inbound request's W3C trace context, propagated to the upstream call.
/// Each call is counted in the adapter's metrics (per tool: requests, errors, latency).
pub(crate) async fn call(
    inner: &Inner,
    name: &str,
    args: Option<JsonObject>,
    trace: Option<TraceParent>,
) -> Result<Answer, ErrorData> {
    let started = Instant::now();
    let Some(entry) = inner.tools.get(name) else {
        inner.metrics.record(name, 404, started.elapsed());
        return Err(ErrorData::invalid_params(
            format!("Unknown tool: {name}"),
            None,
        ));
    };
    let args = args.unwrap_or_default();
    let opts = CallOptions {
        timeout: inner.options.timeout,
        traceparent: trace,
        ..CallOptions::default()
    };
    let span = tracing::info_span!(
        "naftiko.tool",
        adapter = %inner.metrics_namespace(),
        tool = %name,
        trace_id = trace.as_ref().map(TraceParent::trace_id).unwrap_or_default(),
    );
    let outcome = run(inner, entry, args, &opts).instrument(span).await;
    let answer = finish(inner, outcome);
    let status = if answer.is_error() { 500 } else { 200 };
    inner.metrics.record(name, status, started.elapsed());
    Ok(answer)
}

/// What a call produced before it is turned into a result.
pub(crate) enum Outcome {
    Ok(Value),
    /// A success whose JSON text is the upstream's body as it came
    /// ([`Runtime::call_output`](crate::Runtime)): not decoded unless a secret shows in it.
    Text(String),
    /// A failure the model should read: the JSON explains it.
    Failed(Value),
}

impl Outcome {
    /// The outcome's JSON value, and whether it is a failure.
    pub(crate) fn into_value(self) -> (Value, bool) {
        match self {
            Outcome::Ok(v) => (v, false),
            Outcome::Text(t) => (text_value(&t), false),
            Outcome::Failed(v) => (v, true),
        }
    }
}

async fn run(inner: &Inner, entry: &Entry, args: JsonObject, opts: &CallOptions) -> Outcome {
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
            match inner.rt.call_output(name, Value::Object(args), opts).await {
                Ok(Output::Text(text)) => Outcome::Text(text),
                Ok(Output::Value(v)) => from_result(inner, Ok(v), None),
                Err(e) => from_result(inner, Err(e), None),
            }
        }
        Kind::Declared { spec, target } => declared(inner, spec, target.as_ref(), args, opts).await,
        Kind::Meta => meta(inner, &entry.tool.name, args, opts).await,
    }
}

/// A declared tool (or an MCP resource read through a call): `steps`, or its call with
/// `with` injected and its outputs shaped, or its mock values. `target` is the operation
/// it calls, `None` for a mock.
pub(crate) async fn declared(
    inner: &Inner,
    spec: &ToolSpec,
    target: Option<&(usize, String)>,
    args: JsonObject,
    opts: &CallOptions,
) -> Outcome {
    if let Some(e) = check_inputs(&spec.inputs, &args) {
        return Outcome::Failed(json!({ "error": e }));
    }
    if let Some(o) = &spec.steps {
        return match steps::run(&inner.rt, opts, o, &args).await {
            Ok(StepsOutput::Mapped(v)) => Outcome::Ok(v),
            Ok(StepsOutput::LastCall(v)) => Outcome::Ok(shape(&spec.outputs, &v).unwrap_or(v)),
            Err(e) => step_failed(inner, e),
        };
    }
    let Some((index, op_name)) = target else {
        return Outcome::Ok(mock(&spec.outputs, &args));
    };
    let op = &inner.rt.capability().operations()[*index];
    let mut call_args = args.clone();
    inject(&mut call_args, &spec.with, &args, &|n| {
        inner.rt.bind_value(n)
    });
    if let Some(c) = &spec.call {
        inject(&mut call_args, &c.with, &args, &|n| inner.rt.bind_value(n));
    }
    // Arguments the operation does not take (tool-only inputs) stay behind.
    call_args.retain(|k, _| op.argument_names().iter().any(|n| n == k));
    if spec.outputs.is_empty() {
        let r = inner
            .rt
            .call_with(op_name, Value::Object(call_args), opts)
            .await;
        return from_result(inner, r, None);
    }
    let raw = raw_call(inner, op_name, &op.format, Value::Object(call_args), opts).await;
    from_result(inner, raw, Some(&spec.outputs))
}

/// The decoded body without the operation's own output mapping: the tool shapes it.
async fn raw_call(
    inner: &Inner,
    op: &str,
    format: &Format,
    args: Value,
    opts: &CallOptions,
) -> Result<Value, Error> {
    let req = inner.rt.prepare(op, args)?;
    let response = inner.rt.execute(&req, opts).await?;
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

/// A failed step: its name and the reason; an upstream error status with its body.
fn step_failed(inner: &Inner, e: steps::StepError) -> Outcome {
    let _ = inner;
    match *e.source {
        Error::Send(SendError::Status(h)) => Outcome::Failed(json!({
            "error": format!("step `{}` failed: the API answered HTTP {}", e.step, h.status),
            "step": e.step,
            "status": h.status,
            "body": h.body,
        })),
        ref other => Outcome::Failed(json!({
            "error": format!("step `{}` failed: {other}", e.step),
            "step": e.step,
        })),
    }
}

/// A tool's answer before it is written. The common case keeps its JSON text, so the
/// HTTP fast path writes the reply from that one serialisation (the text block and the
/// structured content are the same JSON); the rmcp transports take [`Answer::into_result`].
pub(crate) enum Answer {
    /// One text block holding `text`, and the same JSON as structured content: `text`
    /// itself, or `{"result": text}` when `wrapped` (structured content is an object).
    Json {
        text: String,
        /// The value, when it was decoded (else the rmcp transports parse `text`).
        structured: Option<Value>,
        wrapped: bool,
        is_error: bool,
    },
    /// Anything else (a result cut at the size cap).
    Result(CallToolResult),
}

impl Answer {
    pub(crate) fn is_error(&self) -> bool {
        match self {
            Answer::Json { is_error, .. } => *is_error,
            Answer::Result(r) => r.is_error == Some(true),
        }
    }

    /// The answer as rmcp's result.
    pub(crate) fn into_result(self) -> CallToolResult {
        match self {
            Answer::Json {
                text,
                structured,
                wrapped,
                is_error,
            } => {
                let structured = structured.unwrap_or_else(|| {
                    let value = text_value(&text);
                    match wrapped {
                        true => json!({ "result": value }),
                        false => value,
                    }
                });
                let mut r = CallToolResult::success(vec![Content::text(text)]);
                r.structured_content = Some(structured);
                r.is_error = Some(is_error);
                r
            }
            Answer::Result(r) => r,
        }
    }
}

fn finish(inner: &Inner, outcome: Outcome) -> Answer {
    let outcome = match outcome {
        // Unless a secret shows in it (then the value is walked, as any other).
        Outcome::Text(text) if !crate::secret::shows_in_json_text(&text, &inner.secrets) => {
            return text_answer(inner, text)
        }
        other => other,
    };
    let (mut value, is_error) = outcome.into_value();
    // The text is the value itself (an array stays an array, as upstream returns it);
    // structured content must be an object, so anything else is wrapped.
    let text = crate::secret::redacted_json_text(&mut value, &inner.secrets, false);
    let cap = inner.options.max_result_bytes;
    if text.len() > cap {
        return Answer::Result(truncated(&text, cap));
    }
    let wrapped = !value.is_object();
    let structured = match value {
        Value::Object(_) => value,
        other => json!({ "result": other }),
    };
    Answer::Json {
        text,
        structured: Some(structured),
        wrapped,
        is_error,
    }
}

/// The value of a text passed on (valid JSON: `canonical_json_text` checked it).
fn text_value(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or(Value::Null)
}

/// A success passed on as its text: capped as any result, structured content left to parse
/// for the transports that need it.
fn text_answer(inner: &Inner, text: String) -> Answer {
    let cap = inner.options.max_result_bytes;
    if text.len() > cap {
        return Answer::Result(truncated(&text, cap));
    }
    Answer::Json {
        wrapped: !text.starts_with('{'),
        text,
        structured: None,
        is_error: false,
    }
}

/// A result over the cap: its first `cap` bytes and a note saying why, as an error.
fn truncated(text: &str, cap: usize) -> CallToolResult {
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
    r
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
async fn meta(inner: &Inner, name: &str, args: JsonObject, opts: &CallOptions) -> Outcome {
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
            Box::pin(run(inner, e, call_args, opts)).await
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
