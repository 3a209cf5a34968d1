//! RFC 3986 percent-encoding: the sets for path segments, query components and cookies, and
//! literal path text (encoded once at load). A leaf module: the loader and the request builder
//! both use it.
//!
//! * a path value is percent-encoded as exactly one segment and a query name or value, a
//!   form field or a cookie value as one component: only unreserved characters stay;
//! * literal path text from the capability keeps its structure (`/`, `:`, `@`, …) and is
//!   encoded once, at load;
//! * cookie values are encoded outside RFC 6265 `cookie-octet`.

use percent_encoding::{utf8_percent_encode, AsciiSet, PercentEncode, NON_ALPHANUMERIC};

/// RFC 3986 unreserved characters stay; everything else in a path segment or query
/// component is percent-encoded.
pub(super) const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Literal path text from the capability keeps its structure (`/`, `:`, `@`, …) but
/// characters that are never valid in a URL path are encoded.
const LITERAL_PATH: &AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'<')
    .add(b'>')
    .add(b'\\')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}')
    .add(b'#')
    .add(b'?');

/// Characters outside RFC 6265 `cookie-octet` are percent-encoded in cookie values.
const COOKIE: &AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b',')
    .add(b';')
    .add(b'\\')
    .add(b'%');

/// One path segment, query name or value or form field, encoded.
pub(super) fn component(text: &str) -> PercentEncode<'_> {
    utf8_percent_encode(text, COMPONENT)
}

/// A cookie value, encoded.
pub(super) fn cookie(text: &str) -> String {
    utf8_percent_encode(text, COOKIE).to_string()
}

/// Literal path text from a capability, encoded once at load: its structure (`/`, `:`, `@`)
/// stays, characters never valid in a URL path are percent-encoded.
pub(crate) fn encode_literal_path(text: &str) -> String {
    utf8_percent_encode(text, LITERAL_PATH).to_string()
}

/// The forms other than itself a value may be written in on the wire or in a display:
/// percent-encoded (query, form, path), cookie-encoded, and JSON-escaped (the body text
/// `to_curl` prints). They work character by character, so redacting each form of a whole
/// secret redacts it wherever it sits inside a larger value.
pub(super) fn encoded_forms(value: &str) -> [String; 3] {
    let json = serde_json::to_string(value).unwrap_or_default();
    [
        component(value).to_string(),
        cookie(value),
        json.strip_prefix('"')
            .and_then(|j| j.strip_suffix('"'))
            .unwrap_or(value)
            .to_string(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_keep_only_unreserved_characters() {
        assert_eq!(
            component("a b/c?d=e&f~g.h-i_j").to_string(),
            "a%20b%2Fc%3Fd%3De%26f~g.h-i_j"
        );
        assert_eq!(cookie("a b;c%"), "a%20b%3Bc%25");
        assert_eq!(encode_literal_path("/v1/a b:c@d"), "/v1/a%20b:c@d");
    }
}
