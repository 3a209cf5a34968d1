//! `outputParameters`: the JSONPath output mapping, compiled once at load.

use super::schema::{Object, Value};
use super::{At, Loader};
use crate::map::OutputMap;

impl Loader {
    pub(super) fn outputs(&mut self, at: At<'_>) -> Option<OutputMap> {
        let Some(items) = at.node.as_seq() else {
            self.error(
                at.loc(),
                format!(
                    "`outputParameters` should be a list, found {}",
                    at.node.kind_name()
                ),
            );
            return Some(OutputMap::Whole);
        };
        let mut named = Vec::new();
        let mut unnamed = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let path = super::item(at.path, "", i);
            let oat = At {
                file: at.file,
                node: item,
                path: &path,
            };
            self.check_keys(oat, Object::OutputParameter);
            let value_key = if item.get("value").is_some() {
                "value"
            } else {
                "mapping"
            };
            let Some(text) = self.str_field(oat, value_key) else {
                self.error(
                    oat.loc(),
                    "an output parameter needs a `value` (a JSONPath such as `$.data`)",
                );
                continue;
            };
            if let Some(t) = self.str_field(oat, "type") {
                self.check_value(Value::OutputType, "output type", &t, || oat.key_loc("type"));
            }
            match OutputMap::compile_value(&text) {
                Ok(extract) => match self.str_field(oat, "name") {
                    Some(n) => named.push((n, extract)),
                    None => unnamed.push(extract),
                },
                Err(e) => {
                    // A bad expression is fatal: it would otherwise fail on every call.
                    let mut loc = oat.key_loc(value_key);
                    if let Some(v) = item.get(value_key) {
                        loc.pos = v.pos;
                    }
                    self.fatal(loc, e.to_string());
                }
            }
        }
        Some(if !named.is_empty() {
            if !unnamed.is_empty() {
                self.warn(
                    at.loc(),
                    "unnamed output parameters are ignored when named ones are present",
                );
            }
            OutputMap::Named(named)
        } else if let Some(first) = unnamed.into_iter().next() {
            OutputMap::Single(first)
        } else {
            OutputMap::Whole
        })
    }
}
