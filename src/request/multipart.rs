//! `multipartForm` bodies (`multipart/form-data`, RFC 7578): the parts an operation's
//! `body: {type: multipartForm, data: [{name, value, filename, contentType}]}` renders, and
//! their bytes.
//!
//! Each request gets a fresh random boundary, checked not to occur in any part (its value,
//! name, file name or content type), so no argument value can end its part or start another.
//! A part's `name` and `filename` are quoted in `Content-Disposition` with `"`, CR and LF
//! percent-encoded, as browsers do (WHATWG HTML, "multipart/form-data encoding algorithm");
//! a value goes into the part's content as it is.

use serde::Serialize;

use super::PrepareError;

/// One part of a [`Multipart`] body, rendered (templates substituted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FormPart {
    /// The form field's name.
    pub name: String,
    /// The file name, for a file part.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
    /// The part's own content type.
    #[serde(rename = "contentType", skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// The part's content.
    pub value: String,
}

/// A `multipart/form-data` body: its parts, in order, and the boundary chosen for this
/// request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Multipart {
    parts: Vec<FormPart>,
    boundary: String,
    content_type: String,
}

impl Multipart {
    /// The body for `parts`, with a random boundary that occurs in none of them.
    pub(crate) fn new(operation: &str, parts: Vec<FormPart>) -> Result<Self, PrepareError> {
        Self::with_boundaries(operation, parts, random_boundary)
    }

    /// As [`Multipart::new`], drawing candidate boundaries from `next` (tests pass their own).
    fn with_boundaries(
        operation: &str,
        parts: Vec<FormPart>,
        mut next: impl FnMut() -> Option<String>,
    ) -> Result<Self, PrepareError> {
        for _ in 0..8 {
            let Some(boundary) = next() else { break };
            if !parts.iter().any(|p| p.contains(&boundary)) {
                let content_type = format!("multipart/form-data; boundary={boundary}");
                return Ok(Multipart {
                    parts,
                    boundary,
                    content_type,
                });
            }
        }
        Err(PrepareError::Unsupported {
            operation: operation.to_string(),
            reason: "no multipart boundary could be chosen that occurs in no part".into(),
        })
    }

    /// The parts, in order.
    pub fn parts(&self) -> &[FormPart] {
        &self.parts
    }

    /// This request's boundary.
    pub fn boundary(&self) -> &str {
        &self.boundary
    }

    /// `multipart/form-data; boundary=…`.
    pub fn content_type(&self) -> &str {
        &self.content_type
    }

    /// The body's bytes, each value written by `shown` (the real value to send, or a redacted
    /// one to display).
    pub(crate) fn render(&self, shown: impl Fn(&str) -> String) -> String {
        let mut out = String::new();
        for p in &self.parts {
            out.push_str("--");
            out.push_str(&self.boundary);
            out.push_str("\r\nContent-Disposition: form-data; name=\"");
            out.push_str(&quoted(&p.name));
            out.push('"');
            if let Some(f) = &p.filename {
                out.push_str("; filename=\"");
                out.push_str(&quoted(&shown(f)));
                out.push('"');
            }
            out.push_str("\r\n");
            if let Some(ct) = &p.content_type {
                out.push_str("Content-Type: ");
                out.push_str(ct);
                out.push_str("\r\n");
            }
            out.push_str("\r\n");
            out.push_str(&shown(&p.value));
            out.push_str("\r\n");
        }
        out.push_str("--");
        out.push_str(&self.boundary);
        out.push_str("--\r\n");
        out
    }
}

impl FormPart {
    /// Whether `boundary` occurs anywhere in what this part writes.
    fn contains(&self, boundary: &str) -> bool {
        quoted(&self.name).contains(boundary)
            || self.value.contains(boundary)
            || (self.filename.as_deref()).is_some_and(|f| quoted(f).contains(boundary))
            || (self.content_type.as_deref()).is_some_and(|c| c.contains(boundary))
    }
}

/// A `Content-Disposition` parameter's text: `"`, CR and LF percent-encoded.
fn quoted(text: &str) -> String {
    text.replace('"', "%22")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// `naftiko-` and 32 random hex digits (128 bits from the system's secure generator).
fn random_boundary() -> Option<String> {
    use ring::rand::SecureRandom as _;
    let mut bytes = [0u8; 16];
    ring::rand::SystemRandom::new().fill(&mut bytes).ok()?;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Some(format!("naftiko-{hex}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(name: &str, value: &str) -> FormPart {
        FormPart {
            name: name.into(),
            filename: None,
            content_type: None,
            value: value.into(),
        }
    }

    #[test]
    fn a_boundary_that_occurs_in_a_part_is_drawn_again() {
        let mut candidates = ["b1", "b2"].into_iter().map(String::from);
        let m =
            Multipart::with_boundaries("api.up", vec![part("f", "x--b1y")], || candidates.next())
                .unwrap();
        assert_eq!(m.boundary(), "b2");
        assert_eq!(m.content_type(), "multipart/form-data; boundary=b2");
    }

    #[test]
    fn no_boundary_left_is_an_error_not_a_broken_body() {
        let err = Multipart::with_boundaries("api.up", vec![part("f", "b1")], || Some("b1".into()))
            .unwrap_err();
        assert!(err.to_string().contains("boundary"), "{err}");
    }

    #[test]
    fn random_boundaries_differ_and_are_rfc_2046_tokens() {
        let (a, b) = (random_boundary().unwrap(), random_boundary().unwrap());
        assert_ne!(a, b);
        assert_eq!(a.len(), 40);
        assert!(a.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-'));
    }

    #[test]
    fn names_and_file_names_are_quoted_with_quotes_and_newlines_encoded() {
        let p = FormPart {
            name: "a\"b".into(),
            filename: Some("x\r\n.txt".into()),
            content_type: Some("text/plain".into()),
            value: "v".into(),
        };
        let m = Multipart::with_boundaries("api.up", vec![p], || Some("B".into())).unwrap();
        assert_eq!(
            m.render(str::to_string),
            "--B\r\nContent-Disposition: form-data; name=\"a%22b\"; filename=\"x%0D%0A.txt\"\r\n\
             Content-Type: text/plain\r\n\r\nv\r\n--B--\r\n"
        );
    }
}
