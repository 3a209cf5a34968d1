//! The operation index (by name, namespace.name and namespace.resource.name) and duplicate names.

use std::collections::HashSet;
use std::sync::Arc;

use super::Loader;
use crate::spec::{Capability, OpIds};

impl Loader {
    pub(super) fn index(&mut self, cap: &mut Capability) {
        let mut index: rustc_hash::FxHashMap<Arc<str>, OpIds> = Default::default();
        index.reserve(3 * cap.operations.len());
        for (i, op) in cap.operations.iter().enumerate() {
            for key in [
                Arc::from(op.name.as_str()),
                op.qualified.clone(),
                Arc::from([&*op.namespace, ".", &op.resource, ".", &op.name].concat()),
            ] {
                index
                    .entry(key)
                    .and_modify(|ids| ids.add(i))
                    .or_insert(OpIds::One(i));
            }
        }
        let mut reported = HashSet::new();
        for (i, op) in cap.operations.iter().enumerate() {
            let qualified = &op.qualified;
            if let Some(list) = index.get(qualified).map(OpIds::as_slice) {
                if list.len() > 1 && list[0] != i && reported.insert((qualified.clone(), i)) {
                    let first = &cap.operations[list[0]];
                    self.error(
                        op.location.clone(),
                        format!(
                            "duplicate operation name `{qualified}` (first declared at {}); address them as `{}.{}.{}` and `{}.{}.{}`",
                            first.location, first.namespace, first.resource, first.name, op.namespace, op.resource, op.name
                        ),
                    );
                }
            }
        }
        cap.index = index;
    }
}
