//! `outputRawFormat: json`.

use serde_json::Value;

use crate::map::MapError;

/// Parses a JSON body; the error quotes its first bytes (the runtime redacts them).
pub(super) fn decode(operation: &str, body: &[u8]) -> Result<Value, MapError> {
    serde_json::from_slice(body).map_err(|source| MapError::Decode {
        operation: operation.to_string(),
        snippet: String::from_utf8_lossy(&body[..body.len().min(80)]).into_owned(),
        source,
    })
}
