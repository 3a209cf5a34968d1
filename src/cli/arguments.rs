//! `name=value`, `name:=JSON` and `--body` into the JSON object of call arguments.
//!
//! `name=value` is converted by the parameter's declared type: `integer`, `number` and
//! `boolean` are parsed, `object` and `array` are read as JSON, `string` and untyped
//! parameters stay strings. `name:=JSON` passes JSON as it is (as httpie does). Names the
//! operation does not declare are passed on, so the library reports them with a
//! did-you-mean.

use std::io::Read;

use naftiko::Operation;
use naftiko::{ParamIn, ParamType};
use serde_json::{Map, Value};

use super::Failure;

/// Builds the arguments object of a call.
pub fn parse(op: &Operation, items: &[String], body: Option<&str>) -> Result<Value, Failure> {
    let mut args = Map::new();
    for item in items {
        let (name, value) = parse_item(op, item)?;
        if args.contains_key(&name) {
            return Err(Failure::invalid(format!(
                "argument `{name}` is given more than once"
            )));
        }
        args.insert(name, value);
    }
    if let Some(source) = body {
        let name = body_param(op)?;
        if args.contains_key(&name) {
            return Err(Failure::invalid(format!(
                "the body parameter `{name}` is given both by --body and as an argument"
            )));
        }
        let text = read_source(source)?;
        let value: Value = serde_json::from_str(&text)
            .map_err(|e| Failure::invalid(format!("--body is not valid JSON: {e}")))?;
        args.insert(name, value);
    }
    Ok(Value::Object(args))
}

fn parse_item(op: &Operation, item: &str) -> Result<(String, Value), Failure> {
    let Some(eq) = item.find('=') else {
        return Err(Failure::invalid(format!(
            "argument `{item}` is neither name=value nor name:=JSON"
        ))
        .hint(accepted(op)));
    };
    let (name, raw_json) = match item[..eq].strip_suffix(':') {
        Some(name) => (name, true),
        None => (&item[..eq], false),
    };
    if name.is_empty() {
        return Err(Failure::invalid(format!(
            "argument `{item}` has no name before `=`"
        )));
    }
    let text = &item[eq + 1..];
    let value = if raw_json {
        serde_json::from_str(text).map_err(|e| {
            Failure::invalid(format!(
                "argument `{name}`: the value after `:=` is not valid JSON: {e}"
            ))
        })?
    } else {
        match op.param(name) {
            Some(p) => coerce(&op.qualified_name(), name, p.ty(), text)?,
            None => Value::String(text.to_string()),
        }
    };
    Ok((name.to_string(), value))
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
        .hint(format!(
            "write `{name}:=JSON` to pass a JSON value as it is"
        ))
    })
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
