//! `type: basic`: `Authorization: Basic base64(username:password)`.

use std::fmt;

use base64::Engine as _;

use super::{source, Draft, Placed, Scheme};
use crate::secret::Secret;
use crate::spec::Template;

pub(super) struct Basic<'a> {
    pub(super) username: &'a Template,
    pub(super) password: &'a Template,
}

impl Scheme for Basic<'_> {
    fn templates(&self, each: &mut dyn FnMut(&Template)) {
        each(self.username);
        each(self.password);
    }

    fn apply<D: Draft>(&self, d: &mut D) -> Result<(), D::Error> {
        let user = d.render(self.username, &|| "the basic-auth username".to_string())?;
        let pass = d.render(self.password, &|| "the basic-auth password".to_string())?;
        d.guard(&user);
        d.guard(&pass);
        let encoded = base64(format!("{user}:{pass}").as_bytes());
        // The encoded pair is a secret of its own; curl rebuilds it from the variables.
        let shell = format!(
            "$(printf '%s' \"{}:{}\" | base64 -w0)",
            d.shell(&user),
            d.shell(&pass)
        );
        d.add_secret(Secret::derived("basic", encoded.clone(), shell));
        d.place(Placed::Header {
            name: "authorization".into(),
            value: format!("Basic {encoded}"),
        });
        Ok(())
    }

    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "HTTP basic in the `authorization` header: user {}; password {}",
            source(self.username),
            source(self.password)
        )
    }
}

/// Standard base64 (RFC 4648, with padding).
fn base64(input: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(input)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }
}
