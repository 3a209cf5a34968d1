//! The declared output types of the tools that call an operation, recorded on its response
//! format ([`Shape`](crate::decode::Shape)) once at load: text formats (xml, csv) carry no
//! types, so a lone XML element declared `type: array` must still decode as an array.

use crate::decode::shape::Declared;
use crate::spec::{Capability, OutputParam};

/// Records, on each called operation with a text format, the typed paths its tools map.
pub(super) fn record(cap: &mut Capability) {
    let mut found: Vec<(usize, Vec<String>, Declared)> = Vec::new();
    for adapter in &cap.exposes {
        for tool in &adapter.tools {
            let Some(index) = tool.call.as_ref().and_then(|c| c.index) else {
                continue;
            };
            let mut push = |path: Vec<String>, d: Declared| found.push((index, path, d));
            for out in &tool.outputs {
                walk(out, &[], &mut push);
            }
        }
    }
    for (index, path, declared) in found {
        if let Some(shape) = cap
            .operations
            .get_mut(index)
            .and_then(|op| op.format.shape_mut())
        {
            shape.declare(path, declared);
        }
    }
}

/// Walks one output parameter whose mapping is relative to `base` (the path of the element
/// it is evaluated on). Only plain `$.a.b` mappings give a path; others are skipped.
fn walk(out: &OutputParam, base: &[String], push: &mut impl FnMut(Vec<String>, Declared)) {
    let here = match &out.mapping {
        Some(q) => match plain_path(q.as_str()) {
            Some(rel) => [base, &rel].concat(),
            None => return,
        },
        None => base.to_vec(),
    };
    if let Some(d) = out.ty.as_deref().and_then(Declared::from_type) {
        if out.mapping.is_some() {
            push(here.clone(), d);
        }
    }
    // Object properties resolve from the same root as the object (upstream semantics).
    for p in &out.properties {
        walk(p, base, push);
    }
    if let Some(items) = &out.items {
        walk_items(items, &here, push);
    }
}

fn walk_items(items: &OutputParam, array: &[String], push: &mut impl FnMut(Vec<String>, Declared)) {
    // Item properties are relative to each element, which sits at the array's path.
    for p in &items.properties {
        walk(p, array, push);
    }
}

/// `$.a.b` (or `$['a'].b`-free dotted form) → `["a", "b"]`; `$` and `$.` → `[]`.
fn plain_path(expr: &str) -> Option<Vec<String>> {
    let rest = expr.strip_prefix('$')?;
    if rest.is_empty() || rest == "." {
        return Some(Vec::new());
    }
    let rest = rest.strip_prefix('.')?;
    let parts: Vec<String> = rest.split('.').map(str::to_string).collect();
    parts
        .iter()
        .all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '@' | '#'))
        })
        .then_some(parts)
}
