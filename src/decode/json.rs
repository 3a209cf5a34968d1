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

/// `body` as text when it is exactly what serde_json writes for the value it parses to
/// (compact, only the escapes serde_json writes, integers of at most 18 digits), so a
/// server can pass it on as that value's JSON without decoding it and writing it again.
/// `None`: decode it. One difference remains: an object with a key twice keeps both here,
/// where the decoded value keeps the last.
pub(crate) fn canonical_text(body: &[u8]) -> Option<&str> {
    let text = std::str::from_utf8(body).ok()?;
    if !canonical_form(body) {
        return None;
    }
    serde_json::from_str::<serde::de::IgnoredAny>(text).ok()?;
    Some(text)
}

/// No whitespace outside strings, no escape serde_json would not write, no fraction,
/// exponent or `-0`, no integer that may not fit in an `i64`/`u64`. (Grammar is the
/// parser's to check.)
fn canonical_form(b: &[u8]) -> bool {
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => match string_end(b, i + 1) {
                Some(end) => i = end,
                None => return false,
            },
            b'-' | b'0'..=b'9' => match integer_end(b, i) {
                Some(end) => i = end,
                None => return false,
            },
            b' ' | b'\t' | b'\n' | b'\r' => return false,
            _ => i += 1,
        }
    }
    true
}

/// The index after the integer at `start`, when serde_json writes it back the same.
fn integer_end(b: &[u8], start: usize) -> Option<usize> {
    let negative = b[start] == b'-';
    let digits = start + usize::from(negative);
    let end = digits
        + b[digits..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
    let fits = (1..=18).contains(&(end - digits));
    let minus_zero = negative && b.get(digits) == Some(&b'0');
    let float = matches!(b.get(end), Some(b'.' | b'e' | b'E'));
    (fits && !minus_zero && !float).then_some(end)
}

/// The index after the closing quote of the string whose content starts at `i`, when each
/// escape in it is one serde_json writes: `\"`, `\\`, the five short ones, and `\u00xx`
/// (lowercase) for the other control characters.
fn string_end(b: &[u8], mut i: usize) -> Option<usize> {
    loop {
        let j = i + memchr::memchr2(b'"', b'\\', b.get(i..)?)?;
        if b[j] == b'"' {
            return Some(j + 1);
        }
        i = match *b.get(j + 1)? {
            b'"' | b'\\' | b'b' | b'f' | b'n' | b'r' | b't' => j + 2,
            b'u' => {
                let hex = b.get(j + 2..j + 6)?;
                let lower = |c: &u8| matches!(c, b'0'..=b'9' | b'a'..=b'f');
                if &hex[..2] != b"00" || !hex[2..].iter().all(lower) {
                    return None;
                }
                let code = u8::from_str_radix(std::str::from_utf8(&hex[2..]).ok()?, 16).ok()?;
                let short = matches!(code, 0x08 | 0x09 | 0x0a | 0x0c | 0x0d);
                if code >= 0x20 || short {
                    return None;
                }
                j + 6
            }
            _ => return None,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::canonical_text;
    use serde_json::Value;

    /// What serde_json writes for the value `text` parses to.
    fn rewritten(text: &str) -> String {
        serde_json::to_string(&serde_json::from_str::<Value>(text).unwrap()).unwrap()
    }

    #[test]
    fn passes_on_exactly_the_texts_serde_json_writes_back_unchanged() {
        let canonical = [
            r#"{"id":"3fa85f64","n":42,"neg":-7,"ok":true,"none":null,"list":[1,"a",{}],"e":[]}"#,
            r#""a \"quoted\" \\ line\nand\ttab \u0001 \u001f é /""#,
            r#"[123456789012345678,-123456789012345678,0]"#,
            r#"{"nested":{"deeper":{"x":[[],[[]]]}}}"#,
            "\"\u{7f}\"",
            "0",
        ];
        for text in canonical {
            assert_eq!(canonical_text(text.as_bytes()), Some(text), "{text}");
            assert_eq!(rewritten(text), text);
        }
        let rewritten_differently = [
            r#"{"a": 1}"#,
            "{\"a\":1}\n",
            r#"{"a":1.0}"#,
            r#"{"a":1e3}"#,
            r#"{"a":-0}"#,
            r#"{"a":1234567890123456789}"#,
            r#""\/""#,
            r#""\u00e9""#,
            r#""\u000a""#,
            r#""\u001F""#,
        ];
        for text in rewritten_differently {
            assert_eq!(canonical_text(text.as_bytes()), None, "{text}");
        }
        let not_json = [
            r#"{"a":1"#,
            r#"{"a":01}"#,
            "[1,]",
            "\"\u{1}\"",
            "tru",
            r#"{"a":-}"#,
        ];
        for text in not_json {
            assert_eq!(canonical_text(text.as_bytes()), None, "{text}");
        }
        assert_eq!(canonical_text(b"\"\xff\""), None, "not UTF-8");
    }

    /// JSON-ish texts: serde_json's own output for random values, then the same with one
    /// byte changed (a space, an escape, a digit, a bracket).
    fn texts() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            "[ -~\u{0}-\u{1f}é☃/\\\\\"]{0,8}".prop_map(Value::String),
        ];
        let value = leaf.prop_recursive(4, 32, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::vec(("[a-z\"\\\\]{0,3}", inner), 0..4)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        });
        let edits = prop_oneof![
            Just(" "),
            Just("\\/"),
            Just("\\u00e9"),
            Just("0"),
            Just("]"),
            Just(".5")
        ];
        (
            value,
            any::<proptest::sample::Index>(),
            proptest::option::of(edits),
        )
            .prop_map(|(v, at, edit)| {
                let mut text = serde_json::to_string(&v).unwrap();
                if let Some(e) = edit {
                    let mut i = at.index(text.len() + 1);
                    while !text.is_char_boundary(i) {
                        i -= 1;
                    }
                    text.insert_str(i, e);
                }
                text
            })
    }

    proptest::proptest! {
        #[test]
        fn what_is_passed_on_is_always_what_serde_json_writes_back(text in texts()) {
            if let Some(t) = canonical_text(text.as_bytes()) {
                proptest::prop_assert_eq!(rewritten(t), t);
            }
        }
    }

    #[test]
    fn every_document_written_compactly_is_passed_on_as_serde_json_would_write_it() {
        let mut passed_on = 0;
        for path in crate::test_files::documents() {
            let text = std::fs::read(&path).unwrap();
            let Ok(value) = crate::decode::decode_as("yaml", &text) else {
                continue;
            };
            let compact = serde_json::to_string(&value).unwrap();
            if let Some(text) = canonical_text(compact.as_bytes()) {
                assert_eq!(rewritten(text), text, "{}", path.display());
                passed_on += 1;
            }
        }
        assert!(passed_on > 50, "only {passed_on} documents passed on");
    }
}
