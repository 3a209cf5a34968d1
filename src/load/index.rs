//! The operation index (by name, namespace.name and namespace.resource.name) and duplicate names.

use std::collections::HashSet;

use super::Loader;
use crate::spec::Capability;

impl Loader {
    pub(super) fn index(&mut self, cap: &mut Capability) {
        let mut index: rustc_hash::FxHashMap<Box<str>, Vec<usize>> = Default::default();
        for (i, op) in cap.operations.iter().enumerate() {
            for key in [
                Box::from(op.name.as_str()),
                Box::from(&*op.qualified),
                format!("{}.{}.{}", op.namespace, op.resource, op.name).into_boxed_str(),
            ] {
                let entry = index.entry(key).or_default();
                if !entry.contains(&i) {
                    entry.push(i);
                }
            }
        }
        let mut reported = HashSet::new();
        for (i, op) in cap.operations.iter().enumerate() {
            let qualified = op.qualified.to_string();
            if let Some(list) = index.get(qualified.as_str()) {
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
