//! The call's items and `--body` into the JSON object of call arguments and the request's
//! additions, written as httpie writes them:
//!
//! * `name=value` is converted by the parameter's declared type: `integer`, `number` and
//!   `boolean` are parsed, `object` and `array` are read as JSON, `string` and untyped
//!   parameters stay strings. A name that is no parameter but a path placeholder no parameter
//!   fills (`/{appId}`) fills that placeholder; other undeclared names are passed on, so the
//!   library reports them with a did-you-mean.
//! * `name:=JSON` passes JSON as it is.
//! * `name==value` adds a query pair, declared or not.
//! * `Name:value` (and `-H 'Name: value'`) adds a header.
//!
//! The first separator in the item decides (`a=b:c` is an argument, `X-A:b=c` a header).

use std::io::Read;

use naftiko::{Method, Operation};
use naftiko::{ParamIn, ParamType};
use serde_json::{Map, Value};

use super::Failure;

/// What the command line gives a call: its arguments and what it adds to the request.
#[derive(Debug, Default)]
pub struct Inputs {
    /// The arguments object.
    pub args: Value,
    /// `Name:value` items and `-H` headers.
    pub headers: Vec<(String, String)>,
    /// `name==value` items.
    pub query: Vec<(String, String)>,
    /// Values of path placeholders no parameter fills.
    pub path: Vec<(String, String)>,
    /// `--body` for an operation without a body parameter: the whole body.
    pub body: Option<Value>,
}

/// One item, by its first separator.
enum Item<'a> {
    Arg(&'a str, &'a str),
    Json(&'a str, &'a str),
    Query(&'a str, &'a str),
    Header(&'a str, &'a str),
}

/// Builds the arguments and additions of a call from its items, `-H` headers and `--body`.
pub fn parse(
    op: &Operation,
    items: &[String],
    headers: &[String],
    body: Option<&str>,
) -> Result<Inputs, Failure> {
    let mut inputs = Inputs::default();
    for h in headers {
        inputs.headers.push(header_flag(h)?);
    }
    let mut args = Map::new();
    for item in items {
        let (name, value) = match split_item(op, item)? {
            Item::Query(k, v) => {
                inputs.query.push((k.to_string(), v.to_string()));
                continue;
            }
            Item::Header(k, v) => {
                inputs.headers.push((k.to_string(), v.trim().to_string()));
                continue;
            }
            Item::Arg(k, v) if op.param(k).is_none() && is_placeholder(op, k) => {
                inputs.path.push((k.to_string(), v.to_string()));
                continue;
            }
            Item::Arg(k, v) => (k, arg_value(op, k, v)?),
            Item::Json(k, v) => (k, json_value(k, v)?),
        };
        if args.contains_key(name) {
            return Err(Failure::invalid(format!(
                "argument `{name}` is given more than once"
            )));
        }
        args.insert(name.to_string(), value);
    }
    if let Some(source) = body {
        add_body(op, &mut args, &mut inputs, source)?;
    }
    inputs.args = Value::Object(args);
    Ok(inputs)
}

/// `--body`: the value of the one body parameter, or, for a POST, PUT or PATCH that
/// declares none, the whole body.
fn add_body(
    op: &Operation,
    args: &mut Map<String, Value>,
    inputs: &mut Inputs,
    source: &str,
) -> Result<(), Failure> {
    let name = match body_param(op) {
        Ok(name) => Some(name),
        Err(_)
            if !has_body_param(op)
                && matches!(op.method(), Method::Post | Method::Put | Method::Patch) =>
        {
            None
        }
        Err(e) => return Err(e),
    };
    if let Some(name) = &name {
        if args.contains_key(name) {
            return Err(Failure::invalid(format!(
                "the body parameter `{name}` is given both by --body and as an argument"
            )));
        }
    }
    let text = read_source(source)?;
    let value: Value = serde_json::from_str(&text)
        .map_err(|e| Failure::invalid(format!("--body is not valid JSON: {e}")))?;
    match name {
        Some(name) => {
            args.insert(name, value);
        }
        None => inputs.body = Some(value),
    }
    Ok(())
}

/// `-H 'Name: value'`.
fn header_flag(text: &str) -> Result<(String, String), Failure> {
    match text.split_once(':') {
        Some((name, value)) if !name.trim().is_empty() => {
            Ok((name.trim().to_string(), value.trim().to_string()))
        }
        _ => Err(
            Failure::invalid(format!("-H `{text}` is not `Name: value`"))
                .hint("write -H 'X-Request-Id: 42'"),
        ),
    }
}

fn is_placeholder(op: &Operation, name: &str) -> bool {
    op.unfilled_placeholders().contains(&name)
}

/// Splits an item at its first separator (`==`, `:=`, `=` or `:`).
fn split_item<'a>(op: &Operation, item: &'a str) -> Result<Item<'a>, Failure> {
    let Some(at) = item.find(['=', ':']) else {
        return Err(Failure::invalid(format!(
            "argument `{item}` is neither name=value, name:=JSON, name==value nor Name:value"
        ))
        .hint(accepted(op)));
    };
    let (name, rest) = item.split_at(at);
    if name.is_empty() {
        return Err(Failure::invalid(format!(
            "argument `{item}` has no name before `{}`",
            &rest[..1]
        )));
    }
    Ok(if let Some(v) = rest.strip_prefix("==") {
        Item::Query(name, v)
    } else if let Some(v) = rest.strip_prefix(":=") {
        Item::Json(name, v)
    } else if let Some(v) = rest.strip_prefix('=') {
        Item::Arg(name, v)
    } else {
        Item::Header(name, &rest[1..])
    })
}

fn json_value(name: &str, text: &str) -> Result<Value, Failure> {
    serde_json::from_str(text).map_err(|e| {
        Failure::invalid(format!(
            "argument `{name}`: the value after `:=` is not valid JSON: {e}"
        ))
    })
}

fn arg_value(op: &Operation, name: &str, text: &str) -> Result<Value, Failure> {
    match op.param(name) {
        Some(p) => coerce(&op.qualified_name(), name, p.ty(), text),
        None => Ok(Value::String(text.to_string())),
    }
}

/// Converts `text` to the declared type, or says which parameter expected what.
fn coerce(operation: &str, name: &str, ty: ParamType, text: &str) -> Result<Value, Failure> {
    let value = match ty {
        ParamType::String | ParamType::Any => return Ok(Value::String(text.to_string())),
        ParamType::Integer => text
            .parse::<i64>()
            .map(Value::from)
            .or_else(|_| text.parse::<u64>().map(Value::from))
            .ok(),
        ParamType::Number => match serde_json::from_str::<Value>(text) {
            Ok(v @ Value::Number(_)) if !text.trim().is_empty() => Some(v),
            _ => None,
        },
        ParamType::Boolean => match text.to_ascii_lowercase().as_str() {
            "true" => Some(Value::Bool(true)),
            "false" => Some(Value::Bool(false)),
            _ => None,
        },
        ParamType::Object => serde_json::from_str::<Value>(text)
            .ok()
            .filter(Value::is_object),
        ParamType::Array => serde_json::from_str::<Value>(text)
            .ok()
            .filter(Value::is_array),
    };
    value.ok_or_else(|| {
        let whole = ty == ParamType::Integer
            && !text.is_empty()
            && text
                .trim_start_matches(['-', '+'])
                .bytes()
                .all(|b| b.is_ascii_digit());
        let why = if whole {
            ", which is out of the 64-bit integer range"
        } else {
            ""
        };
        Failure::invalid(format!(
            "operation `{operation}`: argument `{name}` must be {}, found `{text}`{why}",
            expected(ty)
        ))
        .hint(format!("for example `{}`", example(name, ty)))
    })
}

/// An argument of type `ty` as it would be accepted.
fn example(name: &str, ty: ParamType) -> String {
    match ty {
        ParamType::Integer => format!("{name}=5"),
        ParamType::Number => format!("{name}=2.5"),
        ParamType::Boolean => format!("{name}=true"),
        ParamType::Object => format!("{name}:='{{\"key\":\"value\"}}'"),
        ParamType::Array => format!("{name}:='[\"a\",\"b\"]'"),
        _ => format!("{name}=text"),
    }
}

fn expected(ty: ParamType) -> &'static str {
    match ty {
        ParamType::Integer => "an integer",
        ParamType::Number => "a number",
        ParamType::Boolean => "a boolean (true or false)",
        ParamType::Object => "a JSON object",
        ParamType::Array => "a JSON array",
        ParamType::String => "a string",
        _ => "a JSON value",
    }
}

fn has_body_param(op: &Operation) -> bool {
    op.params().iter().any(|p| p.location() == ParamIn::Body)
}

/// The one `in: body` parameter that `--body` sets.
fn body_param(op: &Operation) -> Result<String, Failure> {
    let body: Vec<&str> = op
        .params()
        .iter()
        .filter(|p| p.location() == ParamIn::Body)
        .map(|p| p.name())
        .collect();
    match body.as_slice() {
        [one] => Ok(one.to_string()),
        [] => Err(Failure::invalid(format!(
            "operation `{}` has no body parameter, so --body cannot be used",
            op.qualified_name()
        ))
        .hint(accepted(op))),
        many => Err(Failure::invalid(format!(
            "operation `{}` has several body parameters ({}), so --body is ambiguous",
            op.qualified_name(),
            many.join(", ")
        ))
        .hint("give each one as name:=JSON")),
    }
}

/// `--body` text: literal JSON, `@FILE` or `-` (stdin).
fn read_source(source: &str) -> Result<String, Failure> {
    if source == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| Failure::invalid(format!("cannot read the body from stdin: {e}")))?;
        Ok(text)
    } else if let Some(path) = source.strip_prefix('@') {
        std::fs::read_to_string(path)
            .map_err(|e| Failure::invalid(format!("cannot read the body file {path}: {e}")))
    } else {
        Ok(source.to_string())
    }
}

fn accepted(op: &Operation) -> String {
    let names = op.argument_names();
    if names.is_empty() {
        format!("operation `{}` takes no arguments", op.qualified_name())
    } else {
        format!(
            "operation `{}` takes: {}",
            op.qualified_name(),
            names.join(", ")
        )
    }
}
