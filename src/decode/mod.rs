//! Response formats: the [`Format`] an operation declares (`outputRawFormat`) and decoding a
//! body in it to JSON, for output mapping.
//!
//! Each format is one file (`json.rs`, `text.rs`); a later one (xml, csv, …) is one more file
//! behind a cargo feature, one variant of [`Format`] and one arm in [`Format::parse`] and
//! [`Format::decode`]. Until then its name parses as [`Format::Other`]: requests of such an
//! operation can be prepared and sent for their raw body, but not mapped.

mod json;
mod text;

use serde_json::Value;

use crate::map::MapError;

/// The response format an operation declares (`outputRawFormat`, `json` by default).
///
/// ```
/// use naftiko::Format;
/// assert_eq!(Format::parse("JSON"), Format::Json);
/// assert!(Format::parse("text").is_decoded());
/// assert_eq!(Format::parse("xml").as_str(), "xml");
/// assert!(!Format::parse("xml").is_decoded());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Format {
    /// JSON (the default).
    #[default]
    Json,
    /// Text, decoded to a JSON string (invalid UTF-8 replaced).
    Text,
    /// A format this build does not decode, by its declared name in lower case.
    Other(String),
}

impl Format {
    /// The format a name declares, ignoring case. Never fails: an unknown name is
    /// [`Format::Other`].
    pub fn parse(name: &str) -> Format {
        let name = name.to_ascii_lowercase();
        match name.as_str() {
            "json" => Format::Json,
            "text" => Format::Text,
            _ => Format::Other(name),
        }
    }

    /// The format's name in lower case, as capability files write it.
    pub fn as_str(&self) -> &str {
        match self {
            Format::Json => "json",
            Format::Text => "text",
            Format::Other(name) => name,
        }
    }

    /// True when the runtime decodes responses in this format (so they can be mapped).
    pub fn is_decoded(&self) -> bool {
        !matches!(self, Format::Other(_))
    }

    /// Refuses a format the runtime does not decode (the runtime checks before sending).
    pub(crate) fn check(&self, operation: &str) -> Result<(), MapError> {
        match self {
            Format::Other(name) => Err(MapError::UnsupportedFormat {
                operation: operation.to_string(),
                format: name.clone(),
            }),
            Format::Json | Format::Text => Ok(()),
        }
    }

    /// Decodes a response body. An empty (or all-whitespace) body is `null` in every format.
    pub(crate) fn decode(&self, operation: &str, body: &[u8]) -> Result<Value, MapError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Null);
        }
        match self {
            Format::Json => json::decode(operation, body),
            Format::Text => Ok(text::decode(body)),
            Format::Other(_) => self.check(operation).map(|()| Value::Null),
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// True for the response formats the runtime decodes (`json` and `text`); an operation
/// declaring another `outputRawFormat` can only be sent for its raw body. The same as
/// `Format::parse(format).is_decoded()`.
pub fn supports_format(format: &str) -> bool {
    Format::parse(format).is_decoded()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_body_decodes_to_null() {
        assert_eq!(Format::Json.decode("op", b"").unwrap(), Value::Null);
        assert!(Format::Json.decode("op", b"<html>").is_err());
    }

    #[test]
    fn names_parse_in_any_case_and_round_trip() {
        for (name, format) in [
            ("json", Format::Json),
            ("Text", Format::Text),
            ("XML", Format::Other("xml".into())),
        ] {
            assert_eq!(Format::parse(name), format);
            assert_eq!(format.as_str(), name.to_ascii_lowercase());
        }
        assert!(supports_format("json") && supports_format("text") && !supports_format("csv"));
    }

    #[test]
    fn other_formats_are_refused_with_their_name() {
        let e = Format::parse("csv").decode("ns.op", b"a,b").unwrap_err();
        assert_eq!(
            e.to_string(),
            "operation `ns.op`: outputRawFormat `csv` is not supported yet (json and text are)"
        );
        assert_eq!(Format::Text.decode("op", b"hi").unwrap(), Value::from("hi"));
    }
}
