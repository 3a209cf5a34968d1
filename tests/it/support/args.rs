//! Representative arguments for any operation, derived from its declared parameters.

use naftiko::Operation;
use naftiko::ParamType;
use serde_json::{json, Map, Value};

/// A value of the declared type, recognisable by the parameter's name.
pub fn example(name: &str, ty: ParamType) -> Value {
    match ty {
        ParamType::String | ParamType::Any => Value::String(format!("{name}-1")),
        ParamType::Integer => json!(7),
        ParamType::Number => json!(2.5),
        ParamType::Boolean => json!(true),
        ParamType::Object => json!({"example": name}),
        ParamType::Array => json!([format!("{name}-a"), format!("{name}-b")]),
    }
}

/// Arguments for every name the operation accepts (parameters with their declared type,
/// template variables as strings).
pub fn for_operation(op: &Operation) -> Value {
    let mut args = Map::new();
    for name in op.argument_names() {
        let ty = op.param(name).map_or(ParamType::String, |p| p.ty());
        args.insert(name.clone(), example(name, ty));
    }
    Value::Object(args)
}
