//! Inbound parameters: the adapter-, resource- and operation-level `inputParameters` (a
//! later level wins by name) read from the path, query, headers, cookies or JSON body, and
//! typed. A missing required parameter or a value of the wrong type is a 400 naming it.

use axum::http::HeaderMap;
use serde_json::Value;

use super::problem::Problem;
use crate::expose::shape::{kind_of, type_ok, Args};
use crate::spec::{Operation, RestIn, RestInput};

/// What a request carries, split once per request.
pub(crate) struct Inbound<'a> {
    pub(crate) captures: &'a [(&'a str, String)],
    pub(crate) query: Vec<(String, String)>,
    pub(crate) headers: &'a HeaderMap,
    /// The JSON body, `None` when absent or not JSON.
    pub(crate) body: Option<Value>,
}

impl Inbound<'_> {
    fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(axum::http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .find_map(|pair| {
                let (k, v) = pair.trim().split_once('=')?;
                (k == name).then(|| {
                    percent_encoding::percent_decode_str(v)
                        .decode_utf8_lossy()
                        .into_owned()
                })
            })
    }
}

/// Splits and decodes a query string (`+` is a space, as browsers send forms).
pub(crate) fn parse_query(q: Option<&str>) -> Vec<(String, String)> {
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(&s.replace('+', " "))
            .decode_utf8_lossy()
            .into_owned()
    };
    q.unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// The arguments of an exposed operation: path captures, then each declared input, then
/// the query parameters the consumed operation takes that no input declares (typed by the
/// operation's declaration).
pub(crate) fn collect(
    levels: &[&[RestInput]],
    inbound: &Inbound<'_>,
    consumed: Option<&Operation>,
) -> Result<Args, Problem> {
    let mut args = Args::new();
    for (name, value) in inbound.captures {
        args.insert((*name).to_string(), Value::String(value.clone()));
    }
    let mut declared: Vec<&RestInput> = Vec::new();
    for level in levels {
        for input in level.iter() {
            declared.retain(|d| d.name != input.name);
            declared.push(input);
        }
    }
    for input in &declared {
        if let Some(v) = read(input, inbound)? {
            args.insert(input.name.clone(), v);
        } else if input.required {
            return Err(Problem::parameter(
                &input.name,
                input.location.as_str(),
                format!(
                    "missing required {} parameter `{}`",
                    input.location.as_str(),
                    input.name
                ),
            ));
        }
    }
    if let Some(op) = consumed {
        for (k, v) in &inbound.query {
            if args.contains_key(k) || declared.iter().any(|d| d.name == *k) {
                continue;
            }
            if let Some(p) = op.param(k) {
                let typed = coerce(p.ty().as_str(), v).map_err(|why| {
                    Problem::parameter(k, "query", format!("query parameter `{k}` {why}"))
                })?;
                args.insert(k.clone(), typed);
            }
        }
    }
    Ok(args)
}

fn read(input: &RestInput, inbound: &Inbound<'_>) -> Result<Option<Value>, Problem> {
    let loc = input.location.as_str();
    let text: Option<String> = if let Some(fixed) = &input.fixed {
        Some(fixed.clone())
    } else {
        match input.location {
            RestIn::Path => inbound
                .captures
                .iter()
                .find(|(k, _)| *k == input.name)
                .map(|(_, v)| v.clone()),
            RestIn::Query => {
                if input.ty == "array" {
                    let all: Vec<Value> = inbound
                        .query
                        .iter()
                        .filter(|(k, _)| *k == input.name)
                        .map(|(_, v)| Value::String(v.clone()))
                        .collect();
                    return Ok((!all.is_empty()).then_some(Value::Array(all)));
                }
                inbound.query(&input.name).map(str::to_string)
            }
            RestIn::Header => inbound
                .headers
                .get(&input.wire_name)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()),
            RestIn::Cookie => inbound.cookie(&input.name),
            RestIn::Body => return body_value(input, inbound),
        }
    };
    let Some(text) = text else { return Ok(None) };
    coerce(&input.ty, &text).map(Some).map_err(|why| {
        Problem::parameter(
            &input.name,
            loc,
            format!("{loc} parameter `{}` {why}", input.name),
        )
    })
}

/// `in: body`: the JSONPath of `value`, else the top-level field of that name, else the
/// whole body (upstream's rule); typed as declared.
fn body_value(input: &RestInput, inbound: &Inbound<'_>) -> Result<Option<Value>, Problem> {
    let Some(body) = &inbound.body else {
        return Ok(None);
    };
    let v = match (&input.select, body) {
        (Some(q), _) => q.extract(body),
        (None, Value::Object(m)) if m.contains_key(&input.name) => m[&input.name].clone(),
        (None, whole) => whole.clone(),
    };
    if v.is_null() {
        return Ok(None);
    }
    if !type_ok(&input.ty, &v) {
        return Err(Problem::parameter(
            &input.name,
            "body",
            format!(
                "body parameter `{}` should be of type {}, found {}",
                input.name,
                input.ty,
                kind_of(&v)
            ),
        ));
    }
    Ok(Some(v))
}

/// Text from a URL, header or cookie as the declared type.
pub(crate) fn coerce(ty: &str, text: &str) -> Result<Value, String> {
    let bad = |what: &str| format!("should be {what}, found `{}`", text.escape_debug());
    match ty {
        "integer" => text
            .trim()
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| bad("an integer")),
        "number" => text
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| bad("a number")),
        "boolean" => match text.trim() {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(bad("`true` or `false`")),
        },
        "array" => Ok(Value::Array(
            text.split(',')
                .map(|s| Value::String(s.to_string()))
                .collect(),
        )),
        "object" => match serde_json::from_str::<Value>(text) {
            Ok(v @ Value::Object(_)) => Ok(v),
            _ => Err(bad("a JSON object")),
        },
        _ => Ok(Value::String(text.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_typed_as_declared_or_refused() {
        let cases: [(&str, &str, Result<Value, ()>); 8] = [
            ("integer", "42", Ok(Value::from(42))),
            ("integer", "4.2", Err(())),
            ("number", "4.5", Ok(serde_json::json!(4.5))),
            ("boolean", "true", Ok(Value::Bool(true))),
            ("boolean", "yes", Err(())),
            ("array", "a,b", Ok(serde_json::json!(["a", "b"]))),
            ("object", "[1]", Err(())),
            ("string", "x y", Ok(Value::from("x y"))),
        ];
        for (ty, text, want) in cases {
            assert_eq!(coerce(ty, text).map_err(|_| ()), want, "{ty} {text}");
        }
    }

    #[test]
    fn query_strings_are_split_and_decoded() {
        assert_eq!(
            parse_query(Some("a=1&b=x+y&c=%2F&d")),
            vec![
                ("a".into(), "1".into()),
                ("b".into(), "x y".into()),
                ("c".into(), "/".into()),
                ("d".into(), "".into())
            ]
        );
    }
}
