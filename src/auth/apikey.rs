//! `type: apikey`: a key in a header, a query parameter, a cookie, a path placeholder or a
//! field of the JSON body.

use std::fmt;

use super::{source, Draft, Placed, Scheme};
use crate::spec::{KeyPlacement, Template};

pub(super) struct ApiKey<'a> {
    pub(super) placement: KeyPlacement,
    pub(super) name: &'a str,
    pub(super) value: &'a Template,
}

impl Scheme for ApiKey<'_> {
    fn templates(&self, each: &mut dyn FnMut(&Template)) {
        each(self.value);
    }

    fn apply<D: Draft>(&self, d: &mut D) -> Result<(), D::Error> {
        let name = self.name;
        let text = d.render(self.value, &|| format!("the API key `{name}`"))?;
        d.guard(&text);
        match self.placement {
            KeyPlacement::Header => {
                d.check_header(name, &text)?;
                d.place(Placed::Header {
                    name: name.to_ascii_lowercase(),
                    value: text,
                });
            }
            KeyPlacement::Query => d.place(Placed::Query {
                name: name.to_string(),
                value: text,
            }),
            KeyPlacement::Cookie => d.place(Placed::Cookie {
                name: name.to_string(),
                value: text,
            }),
            // The loader put the key in the URL: the base URI or path has a placeholder
            // of its name.
            KeyPlacement::Path => {}
            KeyPlacement::Body => d.place(Placed::BodyField {
                name: name.to_string(),
                value: text,
            }),
        }
        Ok(())
    }

    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let place = match self.placement {
            KeyPlacement::Header => "header",
            KeyPlacement::Query => "query parameter",
            KeyPlacement::Cookie => "cookie",
            KeyPlacement::Path => "URL placeholder",
            KeyPlacement::Body => "body field",
        };
        write!(
            f,
            "API key in the {place} `{}`, {}",
            self.name,
            source(self.value)
        )
    }
}
