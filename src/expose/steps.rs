//! Orchestration: runs a tool's (or an aggregate function's, or a REST operation's)
//! `steps` over one step context, then its `mappings`. Steps that do not read each other
//! run concurrently; the outcome is that of running them in declaration order. Shared by every adapter:
//! nothing here knows about MCP.
//!
//! * a `call` step's decoded response, projected by the consumed operation's own
//!   `outputParameters` (onto each element of an array body), is stored under the step's
//!   name; later `with` values and templates see it (`{{get-ship.imo_number}}`);
//! * a `lookup` step finds the entries of an earlier step whose `match` field equals the
//!   `lookupValue` (each item of it when it is an array) and keeps the listed fields;
//! * `mappings` build the result (`route.from` → nested objects) from JSONPaths into the
//!   context; without mappings, or when none resolves, the caller shapes the last call's
//!   output with its own `outputParameters`.
//!
//! A failing step stops the chain with [`StepError`] naming it (upstream carries on past
//! 4xx answers and maps whatever it got: a half-built result that looks like success).

use futures_util::stream::{FuturesUnordered, StreamExt};
use rmcp::model::JsonObject;
use serde_json::{Map, Value};

use crate::spec::{LookupValue, Orchestration, StepKind, StepMapping, WithValue};
use crate::{CallOptions, Error, Runtime};

/// What the steps produced.
#[derive(Debug)]
pub(crate) enum StepsOutput {
    /// The mappings resolved to this (non-empty) object.
    Mapped(Value),
    /// No mapping resolved: the last call step's output, for the caller to shape.
    LastCall(Value),
}

/// A step that failed, and why; the chain stopped there.
#[derive(Debug, thiserror::Error)]
#[error("step `{step}` failed: {source}")]
pub(crate) struct StepError {
    /// The step's name.
    pub(crate) step: String,
    /// What went wrong.
    pub(crate) source: Box<Error>,
}

/// How many steps of one chain may wait for an answer at once.
const MAX_IN_FLIGHT: usize = 8;

/// Runs `o` with the caller's `args`, each step as soon as the steps it reads from have
/// answered (see [`Step::dependencies`](crate::spec::Step)), at most [`MAX_IN_FLIGHT`] at
/// once. The outcome is that of running them one after another in declaration order.
pub(crate) async fn run(
    rt: &Runtime,
    options: &CallOptions,
    o: &Orchestration,
    args: &JsonObject,
) -> Result<StepsOutput, StepError> {
    run_bounded(rt, options, o, args, MAX_IN_FLIGHT).await
}

/// What a step left in the step context.
enum Done {
    /// A call step's projected output (templates and `with` see it too).
    Call(Value),
    /// A lookup's matches; `None`: it matched nothing and stores nothing.
    Lookup(Option<Value>),
}

/// [`run`] with at most `limit` steps in flight: 1 runs them one after another (the
/// measurement's baseline).
pub(crate) async fn run_bounded(
    rt: &Runtime,
    options: &CallOptions,
    o: &Orchestration,
    args: &JsonObject,
    limit: usize,
) -> Result<StepsOutput, StepError> {
    let done = schedule(rt, options, o, args, limit.max(1)).await?;
    let mut context = Map::new();
    let mut last = Value::Null;
    for (step, d) in o.steps.iter().zip(done) {
        match d {
            Some(Done::Call(v)) => {
                context.insert(step.name.clone(), v.clone());
                last = v;
            }
            Some(Done::Lookup(Some(v))) => {
                context.insert(step.name.clone(), v);
            }
            Some(Done::Lookup(None)) | None => {}
        }
    }
    let mapped = map(&o.mappings, &Value::Object(context));
    Ok(match mapped {
        Some(v) => StepsOutput::Mapped(v),
        None => StepsOutput::LastCall(last),
    })
}

/// Starts each step (in declaration order) whose dependencies are done, while fewer than
/// `limit` are in flight; lookups run at once. After a failure only earlier steps still
/// start, so the error is the one the first failing step in declaration order gives.
async fn schedule(
    rt: &Runtime,
    options: &CallOptions,
    o: &Orchestration,
    args: &JsonObject,
    limit: usize,
) -> Result<Vec<Option<Done>>, StepError> {
    let steps = &o.steps;
    let mut done: Vec<Option<Done>> = steps.iter().map(|_| None).collect();
    let mut started = vec![false; steps.len()];
    let mut failed: Option<(usize, Error)> = None;
    let mut in_flight = FuturesUnordered::new();
    loop {
        let mut i = 0;
        while i < failed.as_ref().map_or(steps.len(), |(k, _)| *k) && in_flight.len() < limit {
            let step = &steps[i];
            if started[i] || !step.after.iter().all(|&d| done[d].is_some()) {
                i += 1;
                continue;
            }
            started[i] = true;
            let (params, context) = inputs(args, o, &done, &step.after);
            match &step.kind {
                StepKind::Call {
                    operation,
                    index,
                    with,
                } => in_flight.push(async move {
                    (i, call(rt, options, operation, *index, with, &params).await)
                }),
                StepKind::Lookup {
                    index,
                    key,
                    value,
                    fields,
                } => {
                    let needle = match value {
                        LookupValue::Path(q) => q.extract(&Value::Object(context.clone())),
                        LookupValue::Template(t) => Value::String(render(t, &params)),
                    };
                    let table = context.get(index).cloned().unwrap_or(Value::Null);
                    done[i] = Some(Done::Lookup(lookup(&table, key, &needle, fields)));
                    // It may have made later steps ready: look again from the start.
                    i = 0;
                    continue;
                }
            }
            i += 1;
        }
        let Some((i, r)) = in_flight.next().await else {
            break;
        };
        match r {
            Ok(v) => done[i] = Some(Done::Call(v)),
            Err(e) if failed.as_ref().is_none_or(|(k, _)| i < *k) => failed = Some((i, e)),
            Err(_) => {}
        }
    }
    match failed {
        Some((k, e)) => Err(StepError {
            step: steps[k].name.clone(),
            source: Box::new(e),
        }),
        None => Ok(done),
    }
}

/// What a step sees: the inputs with each call dependency's output by name (what templates
/// and `with` read), and the context of its dependencies (what lookups read).
fn inputs(
    args: &JsonObject,
    o: &Orchestration,
    done: &[Option<Done>],
    after: &[usize],
) -> (JsonObject, Map<String, Value>) {
    let mut params = args.clone();
    let mut context = Map::new();
    for &d in after {
        let name = &o.steps[d].name;
        match &done[d] {
            Some(Done::Call(v)) => {
                params.insert(name.clone(), v.clone());
                context.insert(name.clone(), v.clone());
            }
            Some(Done::Lookup(Some(v))) => {
                context.insert(name.clone(), v.clone());
            }
            Some(Done::Lookup(None)) | None => {}
        }
    }
    (params, context)
}

async fn call(
    rt: &Runtime,
    options: &CallOptions,
    operation: &str,
    index: usize,
    with: &[(String, WithValue)],
    params: &JsonObject,
) -> Result<Value, Error> {
    let op = &rt.capability().operations()[index];
    let mut call_args = params.clone();
    inject(&mut call_args, with, params, &|n| rt.bind_value(n));
    call_args.retain(|k, _| op.argument_names().iter().any(|n| n == k));
    let req = rt.prepare(operation, Value::Object(call_args))?;
    let response = rt.execute(&req, options).await?;
    let body = op.format.decode(operation, &response.body)?;
    Ok(op.output.project(body))
}

fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// The entries of `table` whose `key` equals `needle` (each item of it, when an array),
/// each reduced to `fields` (missing → null). `None`: a single value matched nothing.
fn lookup(table: &Value, key: &str, needle: &Value, fields: &[String]) -> Option<Value> {
    let entries = table.as_array().map(Vec::as_slice).unwrap_or_default();
    let pick = |v: &Value| {
        let want = as_text(v)?;
        let e = entries
            .iter()
            .find(|e| e.get(key).and_then(as_text).as_deref() == Some(want.as_str()))?;
        if fields.is_empty() {
            return Some(e.clone());
        }
        let mut out = Map::new();
        for f in fields {
            out.insert(f.clone(), e.get(f).cloned().unwrap_or(Value::Null));
        }
        Some(Value::Object(out))
    };
    match needle {
        Value::Array(items) => Some(Value::Array(items.iter().filter_map(pick).collect())),
        v => pick(v),
    }
}

/// The mappings over the step context: `None` when there are none or none resolved.
fn map(mappings: &[StepMapping], context: &Value) -> Option<Value> {
    let mut out = Map::new();
    for m in mappings {
        let v = m.value.extract(context);
        if v.is_null() {
            continue;
        }
        set(&mut out, &m.target, v);
    }
    (!out.is_empty()).then_some(Value::Object(out))
}

fn set(out: &mut Map<String, Value>, path: &[String], v: Value) {
    match path {
        [] => {}
        [last] => {
            out.insert(last.clone(), v);
        }
        [head, rest @ ..] => {
            let slot = out
                .entry(head.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            if !slot.is_object() {
                *slot = Value::Object(Map::new());
            }
            if let Value::Object(m) = slot {
                set(m, rest, v);
            }
        }
    }
}

/// `with` injection: `ns.param` copies the argument (dropped when absent), templates are
/// rendered over the arguments and then the capability's binds (`binds` gives a bound
/// variable's value: [`Runtime::bind_value`]), literals are set as written. A bound value
/// injected this way reaches only the consumed request: the adapters redact every known
/// secret from what they answer.
pub(crate) fn inject(
    out: &mut JsonObject,
    with: &[(String, WithValue)],
    args: &JsonObject,
    binds: &dyn Fn(&str) -> Option<String>,
) {
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
                out.insert(key.clone(), Value::String(render_over(t, args, binds)));
            }
            WithValue::Literal(l) => {
                out.insert(key.clone(), l.clone());
            }
        }
    }
}

/// `{{x}}` over the arguments: strings as they are, other values as JSON, missing → empty.
/// A dotted name walks into an earlier step's output (`{{get-ship.imo_number}}`); else its
/// last segment names an argument (`{{ns.imo}}`).
pub(crate) fn render(t: &str, args: &JsonObject) -> String {
    render_over(t, args, &|_| None)
}

/// [`render`], with a name that is no argument looked up in `binds` (a bound variable).
fn render_over(t: &str, args: &JsonObject, binds: &dyn Fn(&str) -> Option<String>) -> String {
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
        match resolve(name, args) {
            Some(Value::String(s)) => out.push_str(s),
            Some(v) => out.push_str(&v.to_string()),
            None => out.push_str(&binds(name).unwrap_or_default()),
        }
        rest = &after[close + 2..];
    }
    out.push_str(rest);
    out
}

fn resolve<'a>(name: &str, args: &'a JsonObject) -> Option<&'a Value> {
    if let Some(v) = args.get(name) {
        return Some(v);
    }
    let mut parts = name.split('.');
    let walked = args.get(parts.next()?).and_then(|head| {
        parts.try_fold(head, |v, p| match v {
            Value::Array(a) => a.get(p.parse::<usize>().ok()?),
            other => other.get(p),
        })
    });
    walked.or_else(|| args.get(name.rsplit('.').next()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn templates_walk_into_earlier_steps_and_fall_back_to_the_last_segment() {
        let args: JsonObject =
            serde_json::from_value(json!({"imo": "IMO-1", "get-ship": {"crew": ["a", "b"]}}))
                .unwrap();
        assert_eq!(
            render("{{get-ship.crew.1}} {{tools.imo}} {{gone.x}}", &args),
            "b IMO-1 "
        );
    }

    #[test]
    fn a_lookup_over_an_array_collects_each_match_with_only_the_listed_fields() {
        let table = json!([
            {"crewId": "C1", "fullName": "Ann", "role": "captain", "x": 1},
            {"crewId": "C2", "fullName": "Bo", "role": "cook"},
        ]);
        let fields = vec!["fullName".to_string(), "role".to_string()];
        assert_eq!(
            lookup(&table, "crewId", &json!(["C2", "C9", "C1"]), &fields),
            Some(
                json!([{"fullName": "Bo", "role": "cook"}, {"fullName": "Ann", "role": "captain"}])
            )
        );
        assert_eq!(lookup(&table, "crewId", &json!("C9"), &fields), None);
    }

    #[test]
    fn dotted_targets_build_nested_objects_and_unresolved_values_are_skipped() {
        let q = |s: &str| crate::map::Query::compile(s).unwrap();
        let m = |t: &str, v: &str| StepMapping {
            target: t.split('.').map(String::from).collect(),
            value: q(v),
        };
        let ctx = json!({"v": {"from": "Oslo", "to": "Rio"}});
        let out = map(
            &[
                m("route.from", "$.v.from"),
                m("route.to", "$.v.to"),
                m("x", "$.v.none"),
            ],
            &ctx,
        );
        assert_eq!(out, Some(json!({"route": {"from": "Oslo", "to": "Rio"}})));
        assert_eq!(map(&[m("x", "$.none")], &ctx), None);
    }
}

#[cfg(test)]
mod concurrency;
