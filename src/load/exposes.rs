//! Parses `capability.exposes` into [`Adapter`]s over the positioned tree, after the
//! consumed operations are indexed (a tool's `call` is resolved here).
//!
//! Nothing here is fatal: a bad adapter or tool is kept with the reason it cannot be served
//! (and a located warning), so `serve` can list it and `validate` can show it.

use std::path::Path;
use std::sync::Arc;

use serde_json::Value;

use super::tree::{Kind, Node};
use crate::map::Query;
use crate::spec::template::{self, Part, RawPart, Template, Var};
use crate::spec::Capability;
use crate::spec::{
    Adapter, AdapterKind, Hints, InboundAuth, OutputParam, Tool, ToolCall, ToolInput, Transport,
    WithValue,
};
use crate::spec::{Diagnostic, Location, Severity};

struct Ctx<'a> {
    file: &'a Arc<Path>,
    cap: &'a Capability,
    out: &'a mut Vec<Diagnostic>,
}

impl Ctx<'_> {
    fn loc(&self, node: &Node, path: &str) -> Location {
        Location {
            file: self.file.clone(),
            pos: node.pos,
            path: path.to_string(),
        }
    }
    fn push(&mut self, severity: Severity, location: Location, message: String) {
        self.out.push(Diagnostic {
            severity,
            location,
            message,
        });
    }
}

/// Parses the `exposes` list. Diagnostics go to `out`.
pub(super) fn load(
    file: &Arc<Path>,
    list: &Node,
    cap: &Capability,
    out: &mut Vec<Diagnostic>,
) -> Vec<Adapter> {
    let mut ctx = Ctx { file, cap, out };
    let Some(items) = list.as_seq() else {
        let loc = ctx.loc(list, "capability.exposes");
        ctx.push(
            Severity::Error,
            loc,
            format!("`exposes` should be a list, found {}", list.kind_name()),
        );
        return Vec::new();
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| adapter(&mut ctx, item, &format!("capability.exposes[{i}]")))
        .collect()
}

fn text(node: &Node, key: &str) -> Option<String> {
    node.get(key)
        .and_then(Node::scalar_text)
        .filter(|s| !s.is_empty())
}

fn adapter(ctx: &mut Ctx<'_>, node: &Node, path: &str) -> Adapter {
    let location = ctx.loc(node, path);
    let kind = match text(node, "type").as_deref() {
        Some("mcp") => AdapterKind::Mcp,
        Some("rest") => AdapterKind::Rest,
        Some("control") => AdapterKind::Control,
        Some(other) => AdapterKind::Other(other.to_string()),
        None => AdapterKind::Other(String::new()),
    };
    let namespace = text(node, "namespace").unwrap_or_else(|| kind.as_str().to_string());
    let transport = match text(node, "transport").as_deref() {
        Some("stdio") => Transport::Stdio,
        _ => Transport::Http,
    };
    let port = node.get("port").and_then(|p| match &p.kind {
        Kind::Int(n) => u16::try_from(*n).ok(),
        Kind::Str(s) => s.trim().parse().ok(),
        _ => None,
    });
    let mut problem = None;
    match &kind {
        AdapterKind::Other(t) if t.is_empty() => {
            problem = Some("the adapter has no `type`".to_string());
        }
        AdapterKind::Other(t) => {
            problem = Some(format!(
                "unknown adapter type `{t}` (this runtime serves `mcp`; `rest` and `control` are parsed)"
            ));
        }
        AdapterKind::Rest | AdapterKind::Control => {
            problem = Some(format!("`{}` adapters are not served yet", kind.as_str()));
        }
        AdapterKind::Mcp => {}
    }
    if problem.is_none() && transport == Transport::Http && port.is_none() {
        problem = Some(match node.get("port") {
            Some(p) => format!(
                "`port` should be a number from 0 to 65535, found {}",
                p.kind_name()
            ),
            None => "an http adapter needs a `port` (or `naftiko serve --listen NS=HOST:PORT`)"
                .to_string(),
        });
    }
    if let Some(p) = &problem {
        let severity = match kind {
            AdapterKind::Rest | AdapterKind::Control => Severity::Note,
            _ => Severity::Warning,
        };
        let loc = Location {
            pos: node.key_pos(if port.is_none() && kind == AdapterKind::Mcp {
                "port"
            } else {
                "type"
            }),
            ..location.clone()
        };
        ctx.push(severity, loc, format!("adapter `{namespace}`: {p}"));
    }
    let auth = node
        .get("authentication")
        .map(|a| inbound_auth(ctx, a, &format!("{path}.authentication")));
    let mut tools = Vec::new();
    if kind == AdapterKind::Mcp {
        if let Some(list) = node.get("tools").and_then(Node::as_seq) {
            for (i, t) in list.iter().enumerate() {
                if let Some(tool) = tool(ctx, &namespace, t, &format!("{path}.tools[{i}]")) {
                    tools.push(tool);
                }
            }
        }
    }
    Adapter {
        kind,
        namespace,
        transport,
        address: text(node, "address"),
        port,
        description: text(node, "description"),
        auth,
        tools,
        problem,
        location,
    }
}

/// A credential template: `{{NAME}}` and `{{env.NAME}}` are secrets (binds or environment).
fn secret_template(ctx: &Ctx<'_>, text: &str) -> Template {
    let parts = template::split(text, false)
        .into_iter()
        .map(|p| match p {
            RawPart::Lit(s) => Part::Lit(s),
            RawPart::Var(v) => {
                let name = v.text.strip_prefix("env.").unwrap_or(&v.text).to_string();
                let bound = ctx
                    .cap
                    .binds
                    .iter()
                    .any(|b| b.keys.iter().any(|(k, _)| *k == name));
                Part::Var(if bound {
                    Var::Bind(name)
                } else {
                    Var::Env(name)
                })
            }
        })
        .collect();
    Template { parts }
}

fn inbound_auth(ctx: &mut Ctx<'_>, node: &Node, path: &str) -> InboundAuth {
    let ty = text(node, "type").unwrap_or_default().to_ascii_lowercase();
    let value_of = |ctx: &Ctx<'_>, keys: &[&str]| {
        keys.iter()
            .find_map(|k| text(node, k))
            .map(|t| secret_template(ctx, &t))
    };
    let auth = match ty.as_str() {
        "bearer" => value_of(ctx, &["token", "value"]).map(|token| InboundAuth::Bearer { token }),
        "apikey" | "api-key" | "api_key" => {
            let in_query = text(node, "placement")
                .or_else(|| text(node, "in"))
                .is_some_and(|p| p.eq_ignore_ascii_case("query"));
            let name = text(node, "key")
                .or_else(|| text(node, "name"))
                .unwrap_or_else(|| "x-api-key".into());
            let name = if in_query {
                name
            } else {
                name.to_ascii_lowercase()
            };
            value_of(ctx, &["value", "token"]).map(|value| InboundAuth::ApiKey {
                name,
                in_query,
                value,
            })
        }
        _ => None,
    };
    auth.unwrap_or_else(|| {
        let loc = ctx.loc(node, path);
        ctx.push(
            Severity::Warning,
            loc,
            format!(
                "inbound authentication `{ty}` is not checked by this runtime (bearer and apikey are): every request to this adapter is refused with 401"
            ),
        );
        InboundAuth::Unsupported { kind: ty }
    })
}

fn bool_hint(node: &Node, key: &str) -> Option<bool> {
    match node.get(key).map(|n| &n.kind) {
        Some(Kind::Bool(b)) => Some(*b),
        _ => None,
    }
}

fn tool(ctx: &mut Ctx<'_>, ns: &str, node: &Node, path: &str) -> Option<Tool> {
    let location = ctx.loc(node, path);
    let Some(name) = text(node, "name") else {
        ctx.push(
            Severity::Warning,
            location,
            "a tool without a `name` is not served".into(),
        );
        return None;
    };
    let inputs: Vec<ToolInput> = node
        .get("inputParameters")
        .and_then(Node::as_seq)
        .unwrap_or_default()
        .iter()
        .filter_map(|p| {
            Some(ToolInput {
                name: text(p, "name")?,
                ty: text(p, "type").unwrap_or_else(|| "string".into()),
                description: text(p, "description"),
                required: !matches!(p.get("required").map(|r| &r.kind), Some(Kind::Bool(false))),
                items: p.get("items").map(Node::to_json),
            })
        })
        .collect();
    let input_names: Vec<&str> = inputs.iter().map(|i| i.name.as_str()).collect();
    let with = with_map(node.get("with"), ns, &input_names);
    let hints = node.get("hints").map_or(Hints::default(), |h| Hints {
        read_only: bool_hint(h, "readOnly"),
        destructive: bool_hint(h, "destructive"),
        idempotent: bool_hint(h, "idempotent"),
        open_world: bool_hint(h, "openWorld"),
    });
    let outputs = outputs(node.get("outputParameters"));
    let call = node.get("call").and_then(|c| {
        let (operation, with) = match &c.kind {
            Kind::Map(_) => (
                text(c, "operation")?,
                with_map(c.get("with"), ns, &input_names),
            ),
            _ => (c.scalar_text()?, Vec::new()),
        };
        let index = ctx.cap.operation_index(&operation).ok();
        Some(ToolCall {
            operation,
            index,
            with,
        })
    });
    let problem = match &call {
        Some(c) if c.index.is_none() => Some(match ctx.cap.operation_index(&c.operation) {
            Err(e) => format!(
                "its call `{}` names no callable operation: {e}",
                c.operation
            ),
            Ok(_) => format!("its call `{}` names no callable operation", c.operation),
        }),
        Some(c) => c
            .index
            .and_then(|i| ctx.cap.operations[i].unsupported.clone())
            .map(|why| format!("operation `{}` cannot be called: {why}", c.operation)),
        None if node.get("steps").is_some() => {
            Some("`steps` orchestration is not supported yet".into())
        }
        None if node.get("ref").is_some() => {
            Some("`ref` to an aggregate function is not supported yet".into())
        }
        None if outputs.iter().any(has_value) => None,
        None => Some("the tool has no `call` (and no output `value`s to return)".into()),
    };
    if let Some(p) = &problem {
        let loc = Location {
            pos: node.key_pos("call"),
            ..location.clone()
        };
        ctx.push(
            Severity::Warning,
            loc,
            format!("tool `{name}` is listed but cannot be called: {p}"),
        );
    }
    Some(Tool {
        name,
        label: text(node, "label"),
        description: text(node, "description"),
        inputs,
        call,
        with,
        outputs,
        hints,
        problem,
        location,
    })
}

fn has_value(o: &OutputParam) -> bool {
    o.value.is_some() || o.properties.iter().any(has_value)
}

/// `with:` entries. A string `X.name` is a reference to argument `name` when `X` is the
/// adapter namespace (upstream's rule), `$this.<ns>`, or `tools` (what generated corpus
/// files write), or when `name` is a declared input; other strings with `{{` are templates.
fn with_map(node: Option<&Node>, ns: &str, inputs: &[&str]) -> Vec<(String, WithValue)> {
    let Some(entries) = node.and_then(Node::as_map) else {
        return Vec::new();
    };
    entries
        .iter()
        .map(|(k, v)| {
            let value = match &v.kind {
                Kind::Str(s) => with_string(s, ns, inputs),
                _ => WithValue::Literal(v.to_json()),
            };
            (k.name.clone(), value)
        })
        .collect()
}

fn with_string(s: &str, ns: &str, inputs: &[&str]) -> WithValue {
    let s = s.trim();
    let bare = s.strip_prefix("$this.").unwrap_or(s);
    for prefix in [ns, "tools"] {
        if let Some(arg) = bare.strip_prefix(prefix).and_then(|r| r.strip_prefix('.')) {
            if is_arg_name(arg) {
                return WithValue::Arg(arg.to_string());
            }
        }
    }
    if let Some((head, arg)) = bare.split_once('.') {
        if inputs.contains(&arg) && is_arg_name(head) {
            return WithValue::Arg(arg.to_string());
        }
    }
    if s.contains("{{") {
        WithValue::Template(s.to_string())
    } else {
        WithValue::Literal(Value::from(s))
    }
}

fn is_arg_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-'))
}

fn outputs(node: Option<&Node>) -> Vec<OutputParam> {
    match node.map(|n| &n.kind) {
        Some(Kind::Seq(items)) => items.iter().map(|i| output(i, None)).collect(),
        // `properties` written as a map: name → spec.
        Some(Kind::Map(entries)) => entries
            .iter()
            .map(|(k, v)| output(v, Some(k.name.clone())))
            .collect(),
        _ => Vec::new(),
    }
}

fn output(node: &Node, name: Option<String>) -> OutputParam {
    let mut mapping = text(node, "mapping");
    let mut value = node.get("value").map(Node::to_json);
    // Upstream's deserializer reads a `value` starting with `$` as a mapping.
    if mapping.is_none() {
        if let Some(Value::String(s)) = &value {
            if s.starts_with('$') {
                mapping = Some(s.clone());
                value = None;
            }
        }
    }
    let items = match node.get("items").map(|n| &n.kind) {
        Some(Kind::Seq(list)) => list.first().map(|i| Box::new(output(i, None))),
        Some(Kind::Map(_)) => node.get("items").map(|i| Box::new(output(i, None))),
        _ => None,
    };
    OutputParam {
        name: name.or_else(|| text(node, "name")),
        ty: text(node, "type"),
        mapping: mapping.and_then(|m| Query::compile(&m).ok()),
        value,
        properties: outputs(node.get("properties")),
        items,
        max_length: node.get("maxLength").and_then(|m| match m.kind {
            Kind::Int(n) => usize::try_from(n).ok(),
            _ => None,
        }),
    }
}
