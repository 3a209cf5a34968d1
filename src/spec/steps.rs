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
