//! Orchestration: the `steps` and `mappings` of a tool or aggregate function, and the
//! aggregates themselves. Data only; `expose::steps` runs it.

use std::sync::Arc;

use super::exposes::{Hints, Tool, WithValue};
use crate::map::Query;

/// `steps` + `mappings`, resolved at load (operations indexed, paths compiled).
#[derive(Debug, Clone)]
pub struct Orchestration {
    pub(crate) steps: Vec<Step>,
    pub(crate) mappings: Vec<StepMapping>,
}

/// One step; its result is stored under `name` in the step context.
#[derive(Debug, Clone)]
pub struct Step {
    pub(crate) name: String,
    pub(crate) kind: StepKind,
    /// The earlier steps (indices, ascending) that must have answered before this one
    /// starts: see [`Step::dependencies`].
    pub(crate) after: Vec<usize>,
}

impl Step {
    /// The earlier steps a step of `kind` must wait for, computed once at load:
    ///
    /// * those whose name it reads: a `with` argument (`ns.name`), a template variable
    ///   (whole, its first segment `{{get-ship.imo_number}}` or its last `{{ns.get-ship}}`,
    ///   as `render` resolves them), an argument of the called operation (the step's
    ///   arguments start as a copy of the context), a lookup's `index`, the first segment of
    ///   a `lookupValue` path (one with wildcards, descendants or filters reads them all);
    /// * the first step, always: a chain whose first call fails (an unknown id) sends nothing
    ///   else, as when steps ran one after another;
    /// * every earlier step, for a call that is not a read (`GET`, `HEAD`, `OPTIONS`): a
    ///   write never goes out ahead of a step that could still fail.
    pub(crate) fn dependencies(
        kind: &StepKind,
        earlier: &[Step],
        arg_names: &[String],
        write: bool,
    ) -> Vec<usize> {
        if write {
            return (0..earlier.len()).collect();
        }
        let reads = |name: &str| match kind {
            StepKind::Call { with, .. } => {
                arg_names.iter().any(|a| a == name) || with.iter().any(|(_, v)| v.reads(name))
            }
            StepKind::Lookup { index, value, .. } => {
                index == name
                    || match value {
                        LookupValue::Path(q) => path_reads(q.as_str(), name),
                        LookupValue::Template(t) => template_reads(t, name),
                    }
            }
        };
        (0..earlier.len())
            .filter(|&i| i == 0 || reads(&earlier[i].name))
            .collect()
    }
}

impl WithValue {
    /// Whether this value reads the context entry `name` (an argument or a step's output).
    fn reads(&self, name: &str) -> bool {
        match self {
            WithValue::Arg(a) => a == name,
            WithValue::Template(t) => template_reads(t, name),
            WithValue::Literal(_) => false,
        }
    }
}

/// Whether a JSONPath into the step context may read the entry `name`: its first segment
/// (`$.get-ship.x`, `$['get-ship']`), or any entry for descendants, wildcards, filters,
/// unions and slices.
fn path_reads(path: &str, name: &str) -> bool {
    if path.contains("..") || path.contains(['*', '?', ',', ':']) {
        return true;
    }
    path.split(['$', '.', '[', ']', '\'', '"'])
        .find(|seg| !seg.is_empty())
        == Some(name)
}

/// Whether a `{{x}}` variable of `t` may resolve to the context entry `name`: the whole
/// variable, its first segment or its last (see `expose::steps::render`).
fn template_reads(t: &str, name: &str) -> bool {
    t.split("{{")
        .skip(1)
        .filter_map(|v| v.split_once("}}"))
        .any(|(v, _)| {
            let v = v.trim();
            v == name || v.split('.').next() == Some(name) || v.rsplit('.').next() == Some(name)
        })
}

/// What a step does.
#[derive(Debug, Clone)]
pub enum StepKind {
    /// `call: ns.op` with its `with` (over the inputs and earlier steps).
    Call {
        operation: String,
        index: usize,
        with: Vec<(String, WithValue)>,
    },
    /// `lookup`: the entries of step `index` whose `match` field equals `value` (each item
    /// when it is an array), projected onto `fields`.
    Lookup {
        index: String,
        key: String,
        value: LookupValue,
        fields: Vec<String>,
    },
}

/// `lookupValue`: a path into the step context, or a `{{x}}` template.
#[derive(Debug, Clone)]
pub enum LookupValue {
    Path(Query),
    Template(String),
}

/// `targetName` (dotted: nested objects) ← `value` (a JSONPath into the step context).
#[derive(Debug, Clone)]
pub struct StepMapping {
    pub(crate) target: Vec<String>,
    pub(crate) value: Query,
}

/// `capability.aggregates[]`: a namespace of reusable functions.
#[derive(Debug, Clone)]
pub struct Aggregate {
    pub(crate) namespace: String,
    pub(crate) functions: Vec<Arc<Function>>,
}

/// One aggregate function: a tool-shaped body (call, steps or mock outputs) and its
/// `semantics`.
#[derive(Debug, Clone)]
pub struct Function {
    pub(crate) body: Tool,
    pub(crate) semantics: Semantics,
}

/// `semantics {safe, idempotent, cacheable}`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Semantics {
    pub(crate) safe: Option<bool>,
    pub(crate) idempotent: Option<bool>,
    /// No MCP hint carries it; kept in the model for adapters that can (REST caching).
    #[allow(dead_code)]
    pub(crate) cacheable: Option<bool>,
}

impl Semantics {
    /// The MCP hints they imply: `safe` → read-only and not destructive; `idempotent`
    /// copied; `cacheable` has no hint. `tool` overrides field by field.
    pub(crate) fn hints(&self, tool: Hints) -> Hints {
        Hints {
            read_only: tool.read_only.or(self.safe),
            destructive: tool
                .destructive
                .or(self.safe.and_then(|s| s.then_some(false))),
            idempotent: tool.idempotent.or(self.idempotent),
            open_world: tool.open_world,
        }
    }
}
