//! Response formats: the [`Format`] an operation declares (`outputRawFormat`) and decoding a
//! body in it to JSON, for output mapping.
//!
//! Each format is one file behind a default-on cargo feature (`json.rs` and `text.rs` always;
//! `xml.rs`, `yaml.rs`, `csv.rs` for csv/tsv/psv), one variant of [`Format`] and one arm in
//! [`Format::parse`] and [`Format::decode`]. A name this build does not decode parses as
//! [`Format::Other`]: requests of such an operation can be prepared and sent for their raw
//! body, but not mapped.
//!
//! Text formats (xml, csv) carry no types: their values stay strings. An [`Shape`] computed
//! once at load from the declared output types (`type: array`, `number`, `integer`,
//! `boolean` at a plain `$.a.b` mapping) turns a lone XML element into a one-element array
//! where an array is declared, and a numeric string into a number where a number is.

#[cfg(feature = "csv")]
mod csv;
#[cfg(feature = "html")]
mod html;
mod json;
#[cfg(feature = "markdown")]
mod markdown;
pub(crate) mod shape;
mod text;
#[cfg(feature = "xml")]
mod xml;
#[cfg(feature = "yaml")]
mod yaml;

use serde_json::Value;

use crate::map::MapError;

pub(crate) use json::canonical_text as canonical_json_text;
pub use shape::Shape;

/// The response format an operation declares (`outputRawFormat`, `json` by default).
///
/// ```
/// use naftiko::Format;
/// assert_eq!(Format::parse("JSON"), Format::Json);
/// assert!(Format::parse("text").is_decoded());
/// assert_eq!(Format::parse("xml").as_str(), "xml");
/// assert!(!Format::parse("avro").is_decoded());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Format {
    /// JSON (the default).
    #[default]
    Json,
    /// Text, decoded to a JSON string (invalid UTF-8 replaced).
    Text,
    /// XML: the root element dropped, attributes as `@name`, mixed text as `#text`,
    /// repeated (or declared-array) elements as arrays, text as strings.
    #[cfg(feature = "xml")]
    Xml(Shape),
    /// YAML (the first document), typed by the YAML 1.2 core schema.
    #[cfg(feature = "yaml")]
    Yaml,
    /// Delimited text with a header row (`csv` `,`, `tsv` tab, `psv` `|`): an array of
    /// objects keyed by the header, values as strings.
    #[cfg(feature = "csv")]
    Delimited(Delimiter, Shape),
    /// Markdown: `{frontMatter, tables, sections}`; the section filter is the operation's
    /// `outputSchema` (a heading prefix), if any.
    #[cfg(feature = "markdown")]
    Markdown(Option<String>),
    /// HTML: `{tables}`, the tables the operation's `outputSchema` CSS selector picks (all
    /// of the page's without one) as rows keyed by their header cells.
    #[cfg(feature = "html")]
    Html(Option<String>),
    /// A format this build does not decode, by its declared name in lower case.
    Other(String),
}

/// The field separator of a [`Format::Delimited`] body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Delimiter {
    /// `csv`: a comma.
    Comma,
    /// `tsv`: a tab.
    Tab,
    /// `psv`: a pipe.
    Pipe,
}

impl Delimiter {
    /// The separator byte.
    pub fn byte(self) -> u8 {
        match self {
            Delimiter::Comma => b',',
            Delimiter::Tab => b'\t',
            Delimiter::Pipe => b'|',
        }
    }
}

impl Format {
    /// The format a name declares, ignoring case. Never fails: an unknown name (or one this
    /// build was compiled without) is [`Format::Other`].
    pub fn parse(name: &str) -> Format {
        let name = name.to_ascii_lowercase();
        match name.as_str() {
            "json" => Format::Json,
            "text" => Format::Text,
            #[cfg(feature = "xml")]
            "xml" => Format::Xml(Shape::default()),
            #[cfg(feature = "yaml")]
            "yaml" | "yml" => Format::Yaml,
            #[cfg(feature = "csv")]
            "csv" => Format::Delimited(Delimiter::Comma, Shape::default()),
            #[cfg(feature = "csv")]
            "tsv" => Format::Delimited(Delimiter::Tab, Shape::default()),
            #[cfg(feature = "csv")]
            "psv" => Format::Delimited(Delimiter::Pipe, Shape::default()),
            #[cfg(feature = "markdown")]
            "markdown" | "md" => Format::Markdown(None),
            #[cfg(feature = "html")]
            "html" => Format::Html(None),
            _ => Format::Other(name),
        }
    }

    /// The format's name in lower case, as capability files write it.
    pub fn as_str(&self) -> &str {
        match self {
            Format::Json => "json",
            Format::Text => "text",
            #[cfg(feature = "xml")]
            Format::Xml(_) => "xml",
            #[cfg(feature = "yaml")]
            Format::Yaml => "yaml",
            #[cfg(feature = "csv")]
            Format::Delimited(Delimiter::Comma, _) => "csv",
            #[cfg(feature = "csv")]
            Format::Delimited(Delimiter::Tab, _) => "tsv",
            #[cfg(feature = "csv")]
            Format::Delimited(Delimiter::Pipe, _) => "psv",
            #[cfg(feature = "markdown")]
            Format::Markdown(_) => "markdown",
            #[cfg(feature = "html")]
            Format::Html(_) => "html",
            Format::Other(name) => name,
        }
    }

    /// True when the runtime decodes responses in this format (so they can be mapped).
    pub fn is_decoded(&self) -> bool {
        !matches!(self, Format::Other(_))
    }

    /// Sets the operation's `outputSchema` where the format reads one (markdown: the
    /// section filter).
    pub(crate) fn set_schema(&mut self, schema: String) {
        match self {
            #[cfg(feature = "markdown")]
            Format::Markdown(filter) => *filter = Some(schema),
            #[cfg(feature = "html")]
            Format::Html(selector) => *selector = Some(schema),
            _ => {}
        }
    }

    /// The shape hints of a text format (xml, csv), to fill at load.
    pub(crate) fn shape_mut(&mut self) -> Option<&mut Shape> {
        match self {
            #[cfg(feature = "xml")]
            Format::Xml(shape) => Some(shape),
            #[cfg(feature = "csv")]
            Format::Delimited(_, shape) => Some(shape),
            _ => None,
        }
    }

    /// Refuses a format the runtime does not decode (the runtime checks before sending).
    pub(crate) fn check(&self, operation: &str) -> Result<(), MapError> {
        match self {
            Format::Other(name) => Err(MapError::UnsupportedFormat {
                operation: operation.to_string(),
                format: name.clone(),
            }),
            _ => Ok(()),
        }
    }

    /// Decodes a response body. An empty (or all-whitespace) body is `null` in every format.
    pub(crate) fn decode(&self, operation: &str, body: &[u8]) -> Result<Value, MapError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Null);
        }
        let fail = |message: String| MapError::Parse {
            operation: operation.to_string(),
            format: self.as_str().to_string(),
            message,
        };
        match self {
            Format::Json => json::decode(operation, body),
            Format::Text => Ok(text::decode(body)),
            #[cfg(feature = "xml")]
            Format::Xml(shape) => xml::decode(body).map(|v| shape.apply(v)).map_err(fail),
            #[cfg(feature = "yaml")]
            Format::Yaml => yaml::decode(body).map_err(fail),
            #[cfg(feature = "csv")]
            Format::Delimited(d, shape) => csv::decode(body, d.byte())
                .map(|v| shape.apply(v))
                .map_err(fail),
            #[cfg(feature = "markdown")]
            Format::Markdown(filter) => markdown::decode(body, filter.as_deref()).map_err(fail),
            #[cfg(feature = "html")]
            Format::Html(selector) => html::decode(body, selector.as_deref()).map_err(fail),
            Format::Other(_) => self.check(operation).map(|()| Value::Null),
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// True for the response formats this build decodes; an operation declaring another
/// `outputRawFormat` can only be sent for its raw body. The same as
/// `Format::parse(format).is_decoded()`.
pub fn supports_format(format: &str) -> bool {
    Format::parse(format).is_decoded()
}

/// Decodes `body` as the named format, without shape hints: what the fuzz targets and the
/// benchmarks drive. An unknown name is an error.
#[doc(hidden)]
pub fn decode_as(format: &str, body: &[u8]) -> Result<Value, MapError> {
    let format = Format::parse(format);
    format.check("decode")?;
    format.decode("decode", body)
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
        for name in [
            "json", "Text", "XML", "yaml", "CSV", "tsv", "psv", "markdown", "avro",
        ] {
            assert_eq!(Format::parse(name).as_str(), name.to_ascii_lowercase());
        }
        assert!(supports_format("json") && supports_format("csv") && !supports_format("avro"));
    }

    #[test]
    fn other_formats_are_refused_with_their_name() {
        let e = Format::parse("protobuf")
            .decode("ns.op", b"a,b")
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "operation `ns.op`: outputRawFormat `protobuf` is not supported (this build decodes json, text, xml, yaml, csv, tsv, psv, markdown and html)"
        );
        assert_eq!(Format::Text.decode("op", b"hi").unwrap(), Value::from("hi"));
    }
}
