//! The tool table, built once at start-up: declared tools of an MCP adapter, or every
//! callable consumed operation (auto-exposure), or the three dynamic meta-tools.

use std::collections::HashSet;
use std::sync::Arc;

use rmcp::model::{JsonObject, Tool, ToolAnnotations};
use serde_json::{json, Map, Value};

use super::McpOptions;
use crate::spec::{Adapter, Method, Operation, OutputParam, ParamType, Tool as ToolSpec};
use crate::Runtime;

/// The meta-tools of `--dynamic`.
pub(crate) const SEARCH: &str = "search_operations";
pub(crate) const DESCRIBE: &str = "describe_operation";
pub(crate) const CALL: &str = "call_operation";

#[derive(Debug)]
pub(crate) struct Table {
    pub(crate) entries: Vec<Entry>,
    /// Auto-exposable operations behind the meta-tools (dynamic mode), same rules as tools.
    pub(crate) hidden: Vec<Entry>,
}

#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) tool: Tool,
    pub(crate) kind: Kind,
    /// Why the tool cannot be called, if so (it is still listed).
    pub(crate) problem: Option<String>,
}

#[derive(Debug)]
pub(crate) enum Kind {
    /// One consumed operation, arguments passed as they are.
    Operation { index: usize, name: String },
    /// A declared tool; `target` is the operation it calls (`None`: a mock tool).
    Declared {
        spec: Box<ToolSpec>,
        target: Option<(usize, String)>,
    },
    /// `search_operations`, `describe_operation`, `call_operation`.
    Meta,
}

impl Table {
    pub(crate) fn build(rt: &Runtime, options: &McpOptions, adapter: Option<&Adapter>) -> Table {
        let wanted = |name: &str| {
            options.tools.is_empty() || options.tools.iter().any(|g| super::glob(g, name))
        };
        let mut entries = match adapter {
            Some(a) => a
                .tools
                .iter()
                .map(|t| declared(rt, t))
                .filter(|e| wanted(&e.tool.name))
                .collect(),
            None => auto(rt, options.allow_writes)
                .into_iter()
                .filter(|e| wanted(&e.tool.name))
                .collect::<Vec<_>>(),
        };
        let mut hidden = Vec::new();
        if options.dynamic {
            hidden = std::mem::take(&mut entries);
            entries = meta_tools();
        }
        Table { entries, hidden }
    }

    pub(crate) fn get(&self, name: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.tool.name == name)
    }
}

fn object(v: Value) -> Arc<JsonObject> {
    match v {
        Value::Object(m) => Arc::new(m),
        _ => Arc::new(JsonObject::new()),
    }
}

/// The name that addresses the operation uniquely in `Runtime::call`.
pub(crate) fn call_name(rt: &Runtime, index: usize) -> String {
    let op = &rt.capability().operations()[index];
    let q = op.qualified_name();
    match rt.capability().operation_index(&q) {
        Ok(i) if i == index => q,
        _ => format!("{}.{}.{}", op.namespace(), op.resource(), op.name()),
    }
}

/// Annotations from the HTTP method: what a client may assume about the call.
fn method_annotations(m: Method) -> ToolAnnotations {
    let read = matches!(m, Method::Get | Method::Head | Method::Options);
    ToolAnnotations::new()
        .read_only(read)
        .destructive(matches!(m, Method::Put | Method::Patch | Method::Delete))
        .idempotent(!matches!(m, Method::Post | Method::Patch))
        .open_world(true)
}

/// `^[A-Za-z0-9_-]{1,64}$`: the strictest clients refuse anything else.
fn valid_name(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn sanitize(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.is_empty() {
        out.push_str("op");
    }
    out
}

/// A stable short hash (FNV-1a), so a cut name stays the same across runs.
fn short_hash(s: &str) -> String {
    let mut h: u32 = 0x811c_9dc5;
    for b in s.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    format!("{h:08x}")
}

fn fit(base: &str, key: &str) -> String {
    if base.len() <= 64 {
        return base.to_string();
    }
    // 55 bytes of the name, `_`, 8 hex digits: unique and stable.
    let mut cut = 55;
    while !base.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}_{}", &base[..cut], short_hash(key))
}

/// Tool names for operations: the operation name when valid and unique, else
/// `namespace_name` made valid, cut to 64 with a hash when longer.
fn auto_names(ops: &[&Operation]) -> Vec<String> {
    let mut count = std::collections::HashMap::new();
    for op in ops {
        *count.entry(op.name()).or_insert(0) += 1;
    }
    let mut used = HashSet::new();
    ops.iter()
        .map(|op| {
            let mut name = if count[op.name()] == 1 && valid_name(op.name()) {
                op.name().to_string()
            } else if count[op.name()] == 1 {
                fit(&sanitize(op.name()), &op.qualified_name())
            } else {
                fit(
                    &sanitize(&format!("{}_{}", op.namespace(), op.name())),
                    &format!("{}.{}.{}", op.namespace(), op.resource(), op.name()),
                )
            };
            let mut n = 2;
            while !used.insert(name.clone()) {
                name = fit(
                    &format!("{}_{n}", sanitize(op.name())),
                    &format!("{}#{n}", op.qualified_name()),
                );
                n += 1;
            }
            name
        })
        .collect()
}

/// The input schema of an operation: each argument with its type and description, arrays
/// with `items`, `required` = the parameters the operation requires (and gives no default).
pub(crate) fn operation_schema(op: &Operation) -> Value {
    let mut props = Map::new();
    for name in op.argument_names() {
        let mut prop = Map::new();
        match op.param(name) {
            Some(p) => {
                if p.ty() != ParamType::Any {
                    prop.insert("type".into(), Value::from(p.ty().as_str()));
                }
                if p.ty() == ParamType::Array {
                    prop.insert("items".into(), json!({}));
                }
                if let Some(d) = p.description() {
                    prop.insert("description".into(), Value::from(d));
                }
            }
            None => {
                prop.insert(
                    "description".into(),
                    Value::from("Used by a template of the operation."),
                );
            }
        }
        props.insert(name.clone(), Value::Object(prop));
    }
    let required: Vec<&str> = op.required_params().map(|p| p.name()).collect();
    json!({"type": "object", "properties": props, "required": required})
}

fn auto(rt: &Runtime, allow_writes: bool) -> Vec<Entry> {
    let cap = rt.capability();
    let indices: Vec<usize> = cap
        .operations()
        .iter()
        .enumerate()
        .filter(|(_, op)| {
            op.unsupported().is_none()
                && op.unfilled_placeholders().is_empty()
                && crate::supports_format(op.format())
                && (allow_writes || matches!(op.method(), Method::Get | Method::Head))
        })
        .map(|(i, _)| i)
        .collect();
    let ops: Vec<&Operation> = indices.iter().map(|&i| &cap.operations()[i]).collect();
    let names = auto_names(&ops);
    indices
        .iter()
        .zip(names)
        .map(|(&index, name)| {
            let op = &cap.operations()[index];
            let description = op
                .description()
                .map(str::to_string)
                .unwrap_or_else(|| format!("{} {}", op.method(), op.path_template()));
            let tool = Tool::new(name, description, object(operation_schema(op)))
                .with_annotations(method_annotations(op.method()));
            Entry {
                tool,
                kind: Kind::Operation {
                    index,
                    name: call_name(rt, index),
                },
                problem: None,
            }
        })
        .collect()
}

fn declared_schema(t: &ToolSpec) -> Value {
    let mut props = Map::new();
    let mut required = Vec::new();
    for i in &t.inputs {
        let mut prop = Map::new();
        prop.insert("type".into(), Value::from(i.ty.as_str()));
        if let Some(d) = &i.description {
            prop.insert("description".into(), Value::from(d.as_str()));
        }
        if i.ty == "array" {
            prop.insert("items".into(), i.items.clone().unwrap_or_else(|| json!({})));
        }
        props.insert(i.name.clone(), Value::Object(prop));
        if i.required {
            required.push(Value::from(i.name.as_str()));
        }
    }
    let mut schema = Map::new();
    schema.insert("type".into(), "object".into());
    schema.insert("properties".into(), Value::Object(props));
    if !required.is_empty() {
        schema.insert("required".into(), Value::Array(required));
    }
    Value::Object(schema)
}

/// A JSON Schema for one output parameter, `null` allowed (a mapping may find nothing);
/// `None` when it declares no type.
fn output_schema(o: &OutputParam) -> Option<Value> {
    let ty = o.ty.as_deref()?;
    let mut s = Map::new();
    s.insert("type".into(), json!([ty, "null"]));
    if ty == "object" && !o.properties.is_empty() {
        let mut props = Map::new();
        for p in &o.properties {
            let name = p.name.clone().unwrap_or_else(|| "value".into());
            props.insert(name, output_schema(p).unwrap_or_else(|| json!({})));
        }
        s.insert("properties".into(), Value::Object(props));
    }
    if ty == "array" {
        if let Some(items) = o.items.as_deref() {
            s.insert(
                "items".into(),
                output_schema(items).unwrap_or_else(|| json!({})),
            );
        }
    }
    Some(Value::Object(s))
}

/// The tool's `outputSchema`: the first output parameter's schema, wrapped as
/// `{"result": …}` unless it is an object (structured content is always an object).
fn tool_output_schema(t: &ToolSpec) -> Option<Value> {
    if t.steps.is_some() {
        // Orchestrated outputs name the fields the mappings build: an object.
        let mut props = Map::new();
        for o in &t.outputs {
            let name = o.name.clone()?;
            // Item specs of orchestrated outputs are documentation (upstream writes a list
            // of fields): only scalars are typed.
            let schema = match o.ty.as_deref() {
                Some("array") => json!({"type": ["array", "null"]}),
                Some("object") => json!({"type": ["object", "null"]}),
                _ => output_schema(o).unwrap_or_else(|| json!({})),
            };
            props.insert(name, schema);
        }
        return (!props.is_empty()).then(|| json!({"type": "object", "properties": props}));
    }
    let first = t.outputs.first()?;
    let inner = output_schema(first)?;
    if first.ty.as_deref() == Some("object") && !first.properties.is_empty() {
        let mut s = inner;
        s["type"] = Value::from("object");
        Some(s)
    } else {
        Some(json!({"type": "object", "properties": {"result": inner}}))
    }
}

fn declared(rt: &Runtime, t: &ToolSpec) -> Entry {
    let target = t
        .call
        .as_ref()
        .and_then(|c| c.index)
        .map(|i| (i, call_name(rt, i)));
    let description = t.description.clone().unwrap_or_else(|| t.name.clone());
    let mut tool = Tool::new(t.name.clone(), description, object(declared_schema(t)));
    // Declared hints win; the rest come from the method (always emitted: some clients
    // refuse tools without annotations). A mock tool calls nothing: read-only.
    let method = target.as_ref().map_or(Method::Get, |(i, _)| {
        rt.capability().operations()[*i].method()
    });
    let mut ann = method_annotations(method);
    let h = t.hints;
    ann.read_only_hint = h.read_only.or(ann.read_only_hint);
    ann.destructive_hint = h.destructive.or(ann.destructive_hint);
    ann.idempotent_hint = h.idempotent.or(ann.idempotent_hint);
    ann.open_world_hint = h.open_world.or(ann.open_world_hint);
    if let Some(label) = &t.label {
        tool = tool.with_title(label.clone());
        ann.title = Some(label.clone());
    }
    tool = tool.with_annotations(ann);
    if let Some(schema) = tool_output_schema(t) {
        tool = tool.with_raw_output_schema(object(schema));
    }
    Entry {
        tool,
        kind: Kind::Declared {
            spec: Box::new(t.clone()),
            target,
        },
        problem: t.problem.clone(),
    }
}

fn meta_tools() -> Vec<Entry> {
    let read = ToolAnnotations::new()
        .read_only(true)
        .destructive(false)
        .idempotent(true)
        .open_world(false);
    let mk = |name: &str, description: &str, schema: Value, ann: ToolAnnotations| Entry {
        tool: Tool::new(name.to_string(), description.to_string(), object(schema))
            .with_annotations(ann),
        kind: Kind::Meta,
        problem: None,
    };
    vec![
        mk(
            SEARCH,
            "Search the API's operations by words in their name, path and description. Returns names to use with describe_operation and call_operation.",
            json!({"type": "object", "properties": {"query": {"type": "string", "description": "Words to look for; empty lists every operation."}}}),
            read.clone(),
        ),
        mk(
            DESCRIBE,
            "Describe one operation: its description and the JSON Schema of its arguments.",
            json!({"type": "object", "properties": {"name": {"type": "string", "description": "An operation name from search_operations."}}, "required": ["name"]}),
            read,
        ),
        mk(
            CALL,
            "Call one operation by name with its arguments.",
            json!({"type": "object", "properties": {"name": {"type": "string", "description": "An operation name from search_operations."}, "arguments": {"type": "object", "description": "The operation's arguments, as describe_operation gives them."}}, "required": ["name"]}),
            ToolAnnotations::new().open_world(true),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_or_dotted_names_become_valid_and_stable() {
        let long = "a".repeat(80);
        let f = fit(&sanitize(&long), "ns.x");
        assert!(valid_name(&f) && f.len() <= 64);
        assert_eq!(f, fit(&sanitize(&long), "ns.x"));
        assert_eq!(sanitize("users.get.me"), "users_get_me");
    }
}
