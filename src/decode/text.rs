//! `outputRawFormat: text`.

use serde_json::Value;

/// The body as a JSON string; invalid UTF-8 is replaced, never an error.
pub(super) fn decode(body: &[u8]) -> Value {
    Value::String(String::from_utf8_lossy(body).into_owned())
}
