//! `type: query` with `parameters[]`: several credentials sent as query parameters.

use std::fmt;

use super::{source, Draft, Placed, Scheme};
use crate::spec::Template;

pub(super) struct QueryParams<'a> {
    pub(super) params: &'a [(String, Template)],
}

impl Scheme for QueryParams<'_> {
    fn templates(&self, each: &mut dyn FnMut(&Template)) {
        self.params.iter().for_each(|(_, t)| each(t));
    }

    fn apply<D: Draft>(&self, d: &mut D) -> Result<(), D::Error> {
        for (name, t) in self.params {
            let text = d.render(t, &|| format!("the query credential `{name}`"))?;
            d.guard(&text);
            d.place(Placed::Query {
                name: name.clone(),
                value: text,
            });
        }
        Ok(())
    }

    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list: Vec<String> = self
            .params
            .iter()
            .map(|(n, v)| format!("`{n}` {}", source(v)))
            .collect();
        write!(f, "query parameters: {}", list.join("; "))
    }
}
