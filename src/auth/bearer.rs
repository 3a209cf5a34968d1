//! `type: bearer`: `Authorization: Bearer <token>`.

use std::fmt;

use super::{source, Draft, Placed, Scheme};
use crate::spec::Template;

pub(super) struct Bearer<'a> {
    pub(super) token: &'a Template,
}

impl Scheme for Bearer<'_> {
    fn templates(&self, each: &mut dyn FnMut(&Template)) {
        each(self.token);
    }

    fn apply<D: Draft>(&self, d: &mut D) -> Result<(), D::Error> {
        let text = d.render(self.token, &|| "the bearer token".to_string())?;
        d.guard(&text);
        // The token itself is checked: `Bearer ` in front would hide leading whitespace.
        d.check_header("authorization", &text)?;
        d.place(Placed::Header {
            name: "authorization".into(),
            value: format!("Bearer {text}"),
        });
        Ok(())
    }

    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "bearer token in the `authorization` header, {}",
            source(self.token)
        )
    }
}
