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
    split_path, Adapter, AdapterKind, Aggregate, ControlSettings, Forward, Function, Hints,
    InboundAuth, LookupValue, Method, Orchestration, OutputParam, Resource, RestIn, RestInput,
    RestOperation, Semantics, Step, StepKind, StepMapping, Tool, ToolCall, ToolInput, Transport,
    WithValue,
};
use crate::spec::{Diagnostic, Location, Severity};

pub(super) struct Ctx<'a> {
    pub(super) file: &'a Arc<Path>,
    cap: &'a Capability,
    out: &'a mut Vec<Diagnostic>,
    /// Set by an error that makes the capability unloadable (an unknown `ref`, a step
    /// this runtime cannot run): serving it would silently drop the tool.
    fatal: &'a mut bool,
    /// Each declared adapter's namespace and type (`mcp`, `rest`), for skills' `from`.
    pub(super) modes: Vec<(String, &'static str)>,
}

/// Parses `capability.aggregates` (before the adapters: tools `ref` its functions).
pub(super) fn load_aggregates(
    file: &Arc<Path>,
    list: &Node,
    cap: &Capability,
    out: &mut Vec<Diagnostic>,
    fatal: &mut bool,
) -> Vec<Aggregate> {
    let mut ctx = Ctx {
        file,
        cap,
        out,
        fatal,
        modes: Vec::new(),
    };
    let mut aggregates = Vec::new();
    for (i, a) in list.as_seq().unwrap_or_default().iter().enumerate() {
        let path = format!("capability.aggregates[{i}]");
        let Some(namespace) = text(a, "namespace") else {
            let loc = ctx.loc(a, &path);
            ctx.push(
                Severity::Error,
                loc,
                "an aggregate needs a `namespace`".into(),
            );
            continue;
        };
        let mut functions = Vec::new();
        for (j, f) in a
            .get("functions")
            .and_then(Node::as_seq)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            let Some(body) = tool(&mut ctx, &namespace, f, &format!("{path}.functions[{j}]"))
            else {
                continue;
            };
            let semantics = f
                .get("semantics")
                .map_or(Semantics::default(), |s| Semantics {
                    safe: bool_hint(s, "safe"),
                    idempotent: bool_hint(s, "idempotent"),
                    cacheable: bool_hint(s, "cacheable"),
                });
            functions.push(Arc::new(Function { body, semantics }));
        }
        aggregates.push(Aggregate {
            namespace,
            functions,
        });
    }
    aggregates
}

impl Ctx<'_> {
    pub(super) fn loc(&self, node: &Node, path: &str) -> Location {
        Location {
            file: self.file.clone(),
            pos: node.pos,
            path: path.to_string(),
        }
    }
    pub(super) fn fatal(&mut self, location: Location, message: String) {
        *self.fatal = true;
        self.push(Severity::Error, location, message);
    }
    pub(super) fn push(&mut self, severity: Severity, location: Location, message: String) {
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
    fatal: &mut bool,
) -> Vec<Adapter> {
    let modes = list
        .as_seq()
        .unwrap_or_default()
        .iter()
        .filter_map(|a| {
            let mode = match text(a, "type").as_deref() {
                Some("mcp") => "mcp",
                Some("rest") => "rest",
                _ => return None,
            };
            Some((text(a, "namespace")?, mode))
        })
        .collect();
    let mut ctx = Ctx {
        file,
        cap,
        out,
        fatal,
        modes,
    };
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

pub(super) fn text(node: &Node, key: &str) -> Option<String> {
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
        Some("skill") => AdapterKind::Skill,
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
    let problem = adapter_problem(&kind, transport, port, node);
    let control = (kind == AdapterKind::Control).then(|| control_settings(ctx, node, path));
    if let Some(p) = &problem {
        let severity = match kind {
            AdapterKind::Control => Severity::Note,
            _ => Severity::Warning,
        };
        let loc = Location {
            pos: node.key_pos(if port.is_none() { "port" } else { "type" }),
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
                let at = format!("{path}.tools[{i}]");
                if let Some(tool) = tool(ctx, &namespace, t, &at) {
                    tools.push(tool);
                }
            }
        }
    }
    let (mut rest_inputs, mut resources) = (Vec::new(), Vec::new());
    if kind == AdapterKind::Rest {
        rest_inputs = rest_inputs_of(ctx, node, path);
        if let Some(list) = node.get("resources").and_then(Node::as_seq) {
            for (i, r) in list.iter().enumerate() {
                if let Some(r) = resource(ctx, &namespace, r, &format!("{path}.resources[{i}]")) {
                    resources.push(r);
                }
            }
        }
    }
    let skills = match kind {
        AdapterKind::Skill => super::skills::skills(ctx, node, path),
        _ => Vec::new(),
    };
    let (mcp_resources, prompts) = match kind {
        AdapterKind::Mcp => (
            super::mcp_extras::resources(ctx, &namespace, node, path),
            super::mcp_extras::prompts(ctx, node, path),
        ),
        _ => (Vec::new(), Vec::new()),
    };
    Adapter {
        kind,
        namespace,
        transport,
        address: text(node, "address"),
        port,
        description: text(node, "description"),
        auth,
        tools,
        control,
        rest_inputs,
        resources,
        skills,
        mcp_resources,
        prompts,
        problem,
        location,
    }
}

/// Why an adapter cannot be served: no or an unknown `type`, or an HTTP one without a
/// usable `port`.
fn adapter_problem(
    kind: &AdapterKind,
    transport: Transport,
    port: Option<u16>,
    node: &Node,
) -> Option<String> {
    let mut problem = None;
    match kind {
        AdapterKind::Other(t) if t.is_empty() => {
            problem = Some("the adapter has no `type`".to_string());
        }
        AdapterKind::Other(t) => {
            problem = Some(format!(
                "unknown adapter type `{t}` (this runtime serves `mcp`, `rest`, `skill` and `control`)"
            ));
        }
        AdapterKind::Mcp | AdapterKind::Rest | AdapterKind::Control | AdapterKind::Skill => {}
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
    problem
}

/// `management.health`, `management.info` and `observability.enabled` of a control
/// adapter; a value that is not a boolean is a located warning (and the endpoint stays on).
/// Trace sampling, propagation formats and exporters are noted as not supported.
fn control_settings(ctx: &mut Ctx<'_>, node: &Node, path: &str) -> ControlSettings {
    let flag = |ctx: &mut Ctx<'_>, section: &str, key: &str| -> bool {
        let Some(v) = node.get(section).and_then(|s| s.get(key)) else {
            return true;
        };
        match v.kind {
            Kind::Bool(b) => b,
            _ => {
                let loc = ctx.loc(v, &format!("{path}.{section}.{key}"));
                let found = v.kind_name();
                ctx.push(
                    Severity::Warning,
                    loc,
                    format!("`{section}.{key}` should be true or false, found {found}; the endpoint stays on"),
                );
                true
            }
        }
    };
    let settings = ControlSettings {
        health: flag(ctx, "management", "health"),
        info: flag(ctx, "management", "info"),
        metrics: flag(ctx, "observability", "enabled"),
    };
    if let Some(obs) = node.get("observability") {
        for key in ["traces", "exporters"] {
            if let Some(v) = obs.get(key) {
                let loc = ctx.loc(v, &format!("{path}.observability.{key}"));
                ctx.push(
                    Severity::Note,
                    loc,
                    format!("`observability.{key}` is not supported: spans go to stderr (`naftiko -vv`), traceparent is propagated upstream, nothing is exported"),
                );
            }
        }
    }
    settings
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
        "basic" => match (
            value_of(ctx, &["username", "user"]),
            value_of(ctx, &["password"]),
        ) {
            (Some(username), Some(password)) => Some(InboundAuth::Basic { username, password }),
            _ => None,
        },
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
                "inbound authentication `{ty}` is not checked by this runtime (bearer, apikey and basic are): every request to this adapter is refused with 401"
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

pub(super) fn tool(ctx: &mut Ctx<'_>, ns: &str, node: &Node, path: &str) -> Option<Tool> {
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
    let call = node
        .get("call")
        .and_then(|c| tool_call(ctx, c, |w| with_map(w, ns, &input_names)));
    let steps = match node.get("steps") {
        Some(list) if call.is_none() => orchestration(ctx, ns, node, list, path, &input_names),
        _ => Ok(None),
    };
    if let Some(r) = node
        .get("ref")
        .filter(|_| call.is_none() && node.get("steps").is_none())
    {
        let reference = r.scalar_text().unwrap_or_default();
        return resolve_ref(ctx, node, path, &reference, name, inputs, hints);
    }
    let (steps, steps_problem) = match steps {
        Ok(s) => (s, None),
        Err(p) => (None, Some(p)),
    };
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
        None if node.get("steps").is_some() => steps_problem,
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
        steps: steps.map(Arc::new),
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

/// `steps` + `mappings`. A `script` step is a load error (not run by this runtime); a step
/// whose `call` names no operation makes the tool uncallable (`Err`: the reason).
fn orchestration(
    ctx: &mut Ctx<'_>,
    ns: &str,
    node: &Node,
    list: &Node,
    path: &str,
    inputs: &[&str],
) -> Result<Option<Orchestration>, String> {
    let mut steps = Vec::new();
    let mut problem = None;
    for (i, s) in list.as_seq().unwrap_or_default().iter().enumerate() {
        let spath = format!("{path}.steps[{i}]");
        let location = ctx.loc(s, &spath);
        let name = text(s, "name").unwrap_or_else(|| format!("step {}", i + 1));
        let ty = text(s, "type").unwrap_or_else(|| {
            if s.get("index").is_some() {
                "lookup".into()
            } else {
                "call".into()
            }
        });
        let kind = match ty.as_str() {
            "call" => {
                let operation = text(s, "call").unwrap_or_default();
                match ctx.cap.operation_index(&operation) {
                    Ok(index) => StepKind::Call {
                        operation,
                        index,
                        with: with_map(s.get("with"), ns, inputs),
                    },
                    Err(e) => {
                        problem.get_or_insert(format!(
                            "step `{name}`: its call `{operation}` names no callable operation: {e}"
                        ));
                        continue;
                    }
                }
            }
            "lookup" => match lookup_step(s, &name, &steps) {
                Ok(kind) => kind,
                Err(msg) => {
                    ctx.fatal(location.clone(), msg.clone());
                    problem.get_or_insert(msg);
                    continue;
                }
            },
            other => {
                let msg = format!(
                    "step `{name}`: `{other}` steps are not supported by this runtime (only `call` and `lookup`); it would not run"
                );
                ctx.fatal(location.clone(), msg.clone());
                problem.get_or_insert(msg);
                continue;
            }
        };
        let after = step_dependencies(ctx.cap, &kind, &steps);
        steps.push(Step { name, kind, after });
    }
    let mappings = step_mappings(ctx, node, path);
    match problem {
        Some(p) => Err(p),
        None => Ok(Some(Orchestration { steps, mappings })),
    }
}

/// What a step waits for (see [`Step::dependencies`]): the called operation's argument
/// names and whether it writes come from the capability.
fn step_dependencies(cap: &Capability, kind: &StepKind, earlier: &[Step]) -> Vec<usize> {
    let (args, write) = match kind {
        StepKind::Call { index, .. } => {
            let op = &cap.operations()[*index];
            let read = matches!(op.method, Method::Get | Method::Head | Method::Options);
            (op.argument_names(), !read)
        }
        StepKind::Lookup { .. } => (&[][..], false),
    };
    Step::dependencies(kind, earlier, args, write)
}

/// A `lookup` step: `index` names an earlier step, `lookupValue` is a path into the step
/// context or a template. `Err`: the load error.
fn lookup_step(s: &Node, name: &str, earlier: &[Step]) -> Result<StepKind, String> {
    let index = text(s, "index").unwrap_or_default();
    if !earlier.iter().any(|p| p.name == index) {
        return Err(format!(
            "lookup step `{name}`: `index: {index}` names no earlier step"
        ));
    }
    let raw = text(s, "lookupValue").unwrap_or_default();
    let value = match raw.trim().starts_with('$') {
        true => LookupValue::Path(
            step_path(raw.trim()).map_err(|e| format!("lookup step `{name}`: {e}"))?,
        ),
        false => LookupValue::Template(raw),
    };
    let fields = s
        .get("outputParameters")
        .and_then(Node::as_seq)
        .unwrap_or_default()
        .iter()
        .filter_map(|f| f.scalar_text().or_else(|| text(f, "name")))
        .collect();
    Ok(StepKind::Lookup {
        index,
        key: text(s, "match").unwrap_or_default(),
        value,
        fields,
    })
}

/// `mappings`: each `targetName` (dotted) takes the value at a step-context path.
fn step_mappings(ctx: &mut Ctx<'_>, node: &Node, path: &str) -> Vec<StepMapping> {
    let mut mappings = Vec::new();
    for (i, m) in node
        .get("mappings")
        .and_then(Node::as_seq)
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let (Some(target), Some(value)) = (text(m, "targetName"), text(m, "value")) else {
            continue;
        };
        match step_path(value.trim()) {
            Ok(q) => mappings.push(StepMapping {
                target: target.split('.').map(String::from).collect(),
                value: q,
            }),
            Err(e) => {
                let loc = ctx.loc(m, &format!("{path}.mappings[{i}]"));
                ctx.fatal(loc, format!("mapping `{target}`: {e}"));
            }
        }
    }
    mappings
}

/// A JSONPath into the step context. Upstream writes `$.get-ship.field`, whose `-` RFC 9535
/// does not allow in dot notation: such a simple dotted path is read in bracket notation.
fn step_path(expr: &str) -> Result<Query, String> {
    Query::compile(expr).or_else(|first| {
        let rest = expr.strip_prefix("$.").ok_or_else(|| first.to_string())?;
        if rest.contains(['[', ']', '\'', '"', '*', '?', '@']) {
            return Err(first.to_string());
        }
        let bracketed: String = rest.split('.').map(|seg| format!("['{seg}']")).collect();
        Query::compile(&format!("${bracketed}")).map_err(|_| first.to_string())
    })
}

/// A tool with `ref: aggregate.function`: the function's body under the tool's name, its
/// description and inputs unless the tool has its own, hints from `semantics` unless the
/// tool sets them. An unknown ref is a load error.
#[allow(clippy::too_many_arguments)]
fn resolve_ref(
    ctx: &mut Ctx<'_>,
    node: &Node,
    path: &str,
    reference: &str,
    name: String,
    inputs: Vec<ToolInput>,
    hints: Hints,
) -> Option<Tool> {
    let location = ctx.loc(node, path);
    let function = find_function(ctx, node, path, reference, &format!("tool `{name}`"))?;
    let mut tool = function.body.clone();
    tool.name = name;
    tool.location = location;
    if let Some(d) = text(node, "description") {
        tool.description = Some(d);
    }
    if let Some(l) = text(node, "label") {
        tool.label = Some(l);
    }
    if !inputs.is_empty() {
        tool.inputs = inputs;
    }
    tool.hints = function.semantics.hints(hints);
    Some(tool)
}

/// The aggregate function `ref: namespace.function` names; an unknown one is a load error
/// (`what` names the referrer: "tool `x`").
fn find_function(
    ctx: &mut Ctx<'_>,
    node: &Node,
    path: &str,
    reference: &str,
    what: &str,
) -> Option<Arc<Function>> {
    let cap = ctx.cap;
    let aggregates = &cap.aggregates;
    let found = reference.split_once('.').and_then(|(ns, f)| {
        aggregates
            .iter()
            .find(|a| a.namespace == ns)
            .and_then(|a| a.functions.iter().find(|x| x.body.name == f))
    });
    if let Some(f) = found {
        return Some(f.clone());
    }
    let known: Vec<String> = aggregates
        .iter()
        .flat_map(|a| {
            a.functions
                .iter()
                .map(move |f| format!("{}.{}", a.namespace, f.body.name))
        })
        .collect();
    let loc = Location {
        pos: node.key_pos("ref"),
        ..ctx.loc(node, path)
    };
    ctx.fatal(
        loc,
        format!(
            "{what}: `ref: {reference}` names no aggregate function; functions: {}",
            if known.is_empty() {
                "none".into()
            } else {
                known.join(", ")
            }
        ),
    );
    None
}

/// `inputParameters` of a REST adapter, resource or operation.
fn rest_inputs_of(ctx: &mut Ctx<'_>, node: &Node, path: &str) -> Vec<RestInput> {
    let Some(list) = node.get("inputParameters").and_then(Node::as_seq) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, p) in list.iter().enumerate() {
        let at = format!("{path}.inputParameters[{i}]");
        let Some(name) = text(p, "name") else {
            let loc = ctx.loc(p, &at);
            ctx.push(
                Severity::Warning,
                loc,
                "an input parameter without a `name` is ignored".into(),
            );
            continue;
        };
        let location = match text(p, "in").map(|s| s.to_ascii_lowercase()).as_deref() {
            Some("path") => RestIn::Path,
            Some("query") => RestIn::Query,
            Some("header") => RestIn::Header,
            Some("cookie") => RestIn::Cookie,
            None | Some("body") => RestIn::Body,
            Some(other) => {
                let loc = Location {
                    pos: p.key_pos("in"),
                    ..ctx.loc(p, &at)
                };
                ctx.push(
                    Severity::Warning,
                    loc,
                    format!("input parameter `{name}`: unknown `in: {other}` (path, query, header, cookie or body); it is read from the body"),
                );
                RestIn::Body
            }
        };
        let value = text(p, "value").or_else(|| text(p, "template"));
        let (select, fixed) = match value {
            Some(v) if v.starts_with('$') => match Query::compile(&v) {
                Ok(q) => (Some(q), None),
                Err(e) => {
                    let loc = Location {
                        pos: p.key_pos("value"),
                        ..ctx.loc(p, &at)
                    };
                    ctx.push(
                        Severity::Warning,
                        loc,
                        format!("input parameter `{name}`: `value` is not a JSONPath: {e}"),
                    );
                    (None, None)
                }
            },
            other => (None, other),
        };
        let required = match p.get("required").map(|r| &r.kind) {
            Some(Kind::Bool(b)) => *b,
            _ => location == RestIn::Path,
        };
        out.push(RestInput {
            wire_name: if location == RestIn::Header {
                name.to_ascii_lowercase()
            } else {
                name.clone()
            },
            name,
            location,
            ty: text(p, "type").unwrap_or_else(|| "string".into()),
            description: text(p, "description"),
            required,
            select,
            fixed,
        });
    }
    out
}

fn resource(ctx: &mut Ctx<'_>, ns: &str, node: &Node, path: &str) -> Option<Resource> {
    let location = ctx.loc(node, path);
    let Some(rpath) = text(node, "path") else {
        ctx.push(
            Severity::Warning,
            location,
            "a resource without a `path` is not served".into(),
        );
        return None;
    };
    let inputs = rest_inputs_of(ctx, node, path);
    let mut problem = None;
    let forward = node.get("forward").map(|f| {
        let target = text(f, "targetNamespace").unwrap_or_default();
        let consumer = ctx.cap.consumers.iter().position(|c| c.namespace == target);
        if consumer.is_none() {
            let known: Vec<&str> = ctx.cap.consumers.iter().map(|c| c.namespace.as_str()).collect();
            problem = Some(format!(
                "its forward `targetNamespace: {target}` names no consumed namespace (consumed: {})",
                if known.is_empty() { "none".to_string() } else { known.join(", ") }
            ));
        }
        let trusted_headers = f
            .get("trustedHeaders")
            .and_then(Node::as_seq)
            .unwrap_or_default()
            .iter()
            .filter_map(Node::scalar_text)
            .map(|h| h.to_ascii_lowercase())
            .collect();
        Forward {
            target,
            consumer,
            trusted_headers,
        }
    });
    if let Err(e) = split_path(&rpath) {
        problem = Some(e);
    }
    if let Some(p) = &problem {
        let loc = location.clone();
        ctx.push(
            Severity::Warning,
            loc,
            format!("resource `{rpath}` is not served: {p}"),
        );
    }
    let mut operations = Vec::new();
    if problem.is_none() {
        if let Some(list) = node.get("operations").and_then(Node::as_seq) {
            for (i, o) in list.iter().enumerate() {
                if let Some(op) =
                    rest_operation(ctx, ns, &rpath, o, &format!("{path}.operations[{i}]"))
                {
                    operations.push(op);
                }
            }
        }
    }
    Some(Resource {
        path: rpath,
        name: text(node, "name"),
        description: text(node, "description"),
        inputs,
        operations,
        forward,
        problem,
        location,
    })
}

fn rest_operation(
    ctx: &mut Ctx<'_>,
    ns: &str,
    resource_path: &str,
    node: &Node,
    path: &str,
) -> Option<RestOperation> {
    let location = ctx.loc(node, path);
    let method_text = text(node, "method").unwrap_or_else(|| "GET".into());
    let Some(method) = Method::parse(&method_text) else {
        let loc = Location {
            pos: node.key_pos("method"),
            ..location
        };
        ctx.push(
            Severity::Warning,
            loc,
            format!(
                "operation on `{resource_path}`: unknown method `{method_text}`; it is not served"
            ),
        );
        return None;
    };
    let full = match text(node, "path") {
        Some(sub) => format!(
            "{}/{}",
            resource_path.trim_end_matches('/'),
            sub.trim_start_matches('/')
        ),
        None => resource_path.to_string(),
    };
    let parts = match split_path(&full) {
        Ok(p) => p,
        Err(e) => {
            ctx.push(
                Severity::Warning,
                location,
                format!("operation `{method_text} {full}` is not served: {e}"),
            );
            return None;
        }
    };
    let inputs = rest_inputs_of(ctx, node, path);
    let input_names: Vec<&str> = inputs.iter().map(|i| i.name.as_str()).collect();
    let mut body = Body {
        with: with_map_rest(node.get("with"), ns, &input_names),
        outputs: outputs(node.get("outputParameters")),
        call: node
            .get("call")
            .and_then(|c| tool_call(ctx, c, |w| with_map_rest(w, ns, &input_names))),
        steps: None,
        problem: None,
    };
    let label = format!("operation `{method_text} {full}`");
    if body.call.is_none() {
        if let Some(list) = node.get("steps") {
            match orchestration(ctx, ns, node, list, path, &input_names) {
                Ok(o) => body.steps = o.map(Arc::new),
                Err(p) => body.problem = Some(p),
            }
        } else if let Some(r) = node.get("ref") {
            let reference = r.scalar_text().unwrap_or_default();
            let function = find_function(ctx, node, path, &reference, &label)?;
            body.take_function(&function.body);
        }
    }
    let Body {
        with,
        outputs,
        call,
        steps,
        problem,
    } = body;
    let problem = problem.or_else(|| call_problem(ctx, call.as_ref(), steps.is_some(), &outputs));
    if let Some(p) = &problem {
        let loc = Location {
            pos: node.key_pos("call"),
            ..location.clone()
        };
        ctx.push(
            Severity::Warning,
            loc,
            format!("operation `{method_text} {full}` is served but cannot be called (501): {p}"),
        );
    }
    Some(RestOperation {
        method,
        path: full,
        parts,
        name: text(node, "name"),
        description: text(node, "description"),
        inputs,
        call,
        with,
        outputs,
        steps,
        problem,
        location,
    })
}

/// What a REST operation runs: its own `call`/`with`/`outputParameters`, or its `steps`, or
/// those of the aggregate function its `ref` names.
struct Body {
    with: Vec<(String, WithValue)>,
    outputs: Vec<OutputParam>,
    call: Option<ToolCall>,
    steps: Option<Arc<Orchestration>>,
    problem: Option<String>,
}

impl Body {
    /// A `ref`: the function's call, steps and problem; its `with` and outputs unless the
    /// operation has its own.
    fn take_function(&mut self, f: &Tool) {
        self.call = f.call.clone();
        self.steps = f.steps.clone();
        self.problem = f.problem.clone();
        if self.with.is_empty() {
            self.with = f.with.clone();
        }
        if self.outputs.is_empty() {
            self.outputs = f.outputs.clone();
        }
    }
}

/// Why a tool or REST operation cannot run, if so.
fn call_problem(
    ctx: &Ctx<'_>,
    call: Option<&ToolCall>,
    has_steps: bool,
    outputs: &[OutputParam],
) -> Option<String> {
    match call {
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
        None if has_steps => None,
        None if outputs.iter().any(has_value) => None,
        None => Some("it has no `call` (and no output `value`s to return)".into()),
    }
}

/// `with:` of a REST operation: as for tools, and `rest.x` (what corpus files write).
fn with_map_rest(node: Option<&Node>, ns: &str, inputs: &[&str]) -> Vec<(String, WithValue)> {
    with_map(node, ns, inputs)
        .into_iter()
        .map(|(k, v)| match v {
            WithValue::Literal(Value::String(s)) => {
                match s.strip_prefix("rest.").filter(|a| is_arg_name(a)) {
                    Some(arg) => (k, WithValue::Arg(arg.to_string())),
                    None => (k, WithValue::Literal(Value::String(s))),
                }
            }
            other => (k, other),
        })
        .collect()
}

/// A `call:` (a name, or `{operation, with}`) resolved to its operation, with `with_of`
/// reading the nested `with` (tools and REST operations read it alike, but for `rest.x`).
fn tool_call(
    ctx: &Ctx<'_>,
    c: &Node,
    with_of: impl Fn(Option<&Node>) -> Vec<(String, WithValue)>,
) -> Option<ToolCall> {
    let (operation, with) = match &c.kind {
        Kind::Map(_) => (text(c, "operation")?, with_of(c.get("with"))),
        _ => (c.scalar_text()?, Vec::new()),
    };
    let index = ctx.cap.operation_index(&operation).ok();
    Some(ToolCall {
        operation,
        index,
        with,
    })
}
