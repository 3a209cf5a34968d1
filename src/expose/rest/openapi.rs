//! `GET /openapi.json`: an OpenAPI 3.1 description of the adapter, generated once from the
//! capability — every route with its method, path/query/header/cookie parameters (typed),
//! a JSON request body when parameters are read from it, the response shaped by
//! `outputParameters`, problem responses, and the inbound security scheme.

use serde_json::{json, Map, Value};

use super::routes::Table;
use crate::spec::{Adapter, Capability, InboundAuth, OutputParam, PathPart, RestIn, RestInput};

/// The document.
pub(crate) fn document(cap: &Capability, adapter: &Adapter, routes: &Table) -> Value {
    let mut paths = Map::new();
    let mut ids: Vec<String> = Vec::new();
    for route in &routes.routes {
        let template = template(&route.parts);
        let mut item = Map::new();
        for &(method, ri, oi) in &route.operations {
            let resource = &adapter.resources[ri];
            let op = &resource.operations[oi];
            let mut levels: Vec<&RestInput> = Vec::new();
            for i in adapter
                .rest_inputs
                .iter()
                .chain(&resource.inputs)
                .chain(&op.inputs)
            {
                levels.retain(|l| l.name != i.name);
                levels.push(i);
            }
            let base = op.name.clone().unwrap_or_else(|| {
                format!("{}{}", method.as_str().to_lowercase(), slug(&template))
            });
            let mut id = base.clone();
            let mut n = 2;
            while ids.contains(&id) {
                id = format!("{base}-{n}");
                n += 1;
            }
            ids.push(id.clone());
            let mut o = json!({
                "operationId": id,
                "parameters": parameters(&route.parts, &levels),
                "responses": responses(&op.outputs),
            });
            if let Some(d) = op.description.as_ref().or(resource.description.as_ref()) {
                o["description"] = json!(d);
            }
            if let Some(body) = request_body(&levels) {
                o["requestBody"] = body;
            }
            item.insert(method.as_str().to_lowercase(), o);
        }
        if let Some(ri) = route.forward {
            forwarded(adapter, ri, &route.parts, &template, &mut item, &mut ids);
        }
        paths.insert(template, Value::Object(item));
    }
    let mut doc = json!({
        "openapi": "3.1.0",
        "info": {
            "title": cap.label().unwrap_or(&adapter.namespace),
            "version": cap.version().unwrap_or("0.0.0"),
        },
        "paths": paths,
        "components": {
            "schemas": {
                "Problem": {
                    "type": "object",
                    "description": "RFC 9457 problem details.",
                    "properties": {
                        "type": {"type": "string"},
                        "title": {"type": "string"},
                        "status": {"type": "integer"},
                        "detail": {"type": "string"},
                        "parameter": {"type": "object", "properties": {"name": {"type": "string"}, "in": {"type": "string"}}}
                    }
                }
            }
        }
    });
    if let Some(d) = adapter.description.as_ref().or(cap.description.as_ref()) {
        doc["info"]["description"] = json!(d);
    }
    if let Some(scheme) = adapter.auth.as_ref().and_then(security) {
        doc["components"]["securitySchemes"] = json!({"inbound": scheme});
        doc["security"] = json!([{"inbound": []}]);
    }
    doc
}

/// The JSON request body of an operation whose inputs read it, if any do.
fn request_body(levels: &[&RestInput]) -> Option<Value> {
    let body: Vec<&&RestInput> = levels
        .iter()
        .filter(|i| i.location == RestIn::Body && i.fixed.is_none())
        .collect();
    if body.is_empty() {
        return None;
    }
    let mut props = Map::new();
    for i in &body {
        props.insert(i.name.clone(), schema_of(&i.ty, i.description.as_deref()));
    }
    let required: Vec<&str> = body
        .iter()
        .filter(|i| i.required)
        .map(|i| i.name.as_str())
        .collect();
    let mut schema = json!({"type": "object", "properties": props});
    if !required.is_empty() {
        schema["required"] = json!(required);
    }
    Some(json!({
        "required": !required.is_empty(),
        "content": {"application/json": {"schema": schema}}
    }))
}

/// A forward route's methods (those no declared operation takes): the upstream answers.
fn forwarded(
    adapter: &Adapter,
    ri: usize,
    parts: &[PathPart],
    template: &str,
    item: &mut Map<String, Value>,
    ids: &mut Vec<String>,
) {
    let target = adapter.resources[ri]
        .forward
        .as_ref()
        .map(|f| f.target.clone())
        .unwrap_or_default();
    for m in ["get", "post", "put", "patch", "delete"] {
        if item.contains_key(m) {
            continue;
        }
        let id = format!("forward-{m}{}", slug(template));
        ids.push(id.clone());
        item.insert(
            m.to_string(),
            json!({
                "operationId": id,
                "description": format!("Forwarded to the consumed API `{target}` (path, query string, body and trusted headers)."),
                "parameters": parameters(parts, &[]),
                "responses": {"default": {"description": "The upstream's answer, as it came."}}
            }),
        );
    }
}

fn template(parts: &[PathPart]) -> String {
    if parts.is_empty() {
        return "/".into();
    }
    parts
        .iter()
        .map(|p| match p {
            PathPart::Lit(l) => format!("/{l}"),
            PathPart::Var(v) | PathPart::Rest(v) => format!("/{{{v}}}"),
        })
        .collect()
}

fn slug(template: &str) -> String {
    template
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|s| !s.is_empty())
        .fold(String::new(), |acc, s| acc + "-" + s)
}

fn parameters(parts: &[PathPart], inputs: &[&RestInput]) -> Value {
    let mut out = Vec::new();
    for p in parts {
        if let PathPart::Var(name) | PathPart::Rest(name) = p {
            let declared = inputs
                .iter()
                .find(|i| i.name == *name && i.location == RestIn::Path);
            let mut param = json!({
                "name": name,
                "in": "path",
                "required": true,
                "schema": schema_of(declared.map_or("string", |d| d.ty.as_str()), None),
            });
            if let Some(d) = declared.and_then(|d| d.description.as_ref()) {
                param["description"] = json!(d);
            }
            out.push(param);
        }
    }
    for i in inputs {
        let location = match i.location {
            RestIn::Query => "query",
            RestIn::Header => "header",
            RestIn::Cookie => "cookie",
            RestIn::Path | RestIn::Body => continue,
        };
        if i.fixed.is_some() {
            continue;
        }
        let mut param = json!({
            "name": i.name,
            "in": location,
            "required": i.required,
            "schema": schema_of(&i.ty, None),
        });
        if let Some(d) = &i.description {
            param["description"] = json!(d);
        }
        out.push(param);
    }
    Value::Array(out)
}

fn schema_of(ty: &str, description: Option<&str>) -> Value {
    let mut s = match ty {
        "string" | "integer" | "number" | "boolean" | "object" => json!({"type": ty}),
        "array" => json!({"type": "array", "items": {}}),
        _ => json!({}),
    };
    if let Some(d) = description {
        s["description"] = json!(d);
    }
    s
}

fn output_schema(o: &OutputParam) -> Value {
    let mut s = match o.ty.as_deref() {
        Some(t @ ("string" | "integer" | "number" | "boolean" | "object" | "array")) => {
            json!({"type": t})
        }
        _ => json!({}),
    };
    if !o.properties.is_empty() {
        let mut props = Map::new();
        for p in &o.properties {
            props.insert(
                p.name.clone().unwrap_or_else(|| "value".into()),
                output_schema(p),
            );
        }
        s["type"] = json!("object");
        s["properties"] = Value::Object(props);
    }
    if let Some(i) = &o.items {
        s["items"] = output_schema(i);
    } else if s["type"] == "array" {
        s["items"] = json!({});
    }
    s
}

fn responses(outputs: &[OutputParam]) -> Value {
    let problem = |d: &str| json!({"description": d, "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}});
    let ok = match outputs.first() {
        Some(o) => json!({
            "description": "The consumed operation's answer, shaped by the capability (its status is passed through).",
            "content": {"application/json": {"schema": output_schema(o)}}
        }),
        None => {
            json!({"description": "The consumed operation's answer, as it came (its status is passed through)."})
        }
    };
    json!({
        "200": ok,
        "400": problem("A missing or mistyped parameter (named in the problem)."),
        "401": problem("No valid credential."),
        "502": problem("The upstream could not be reached or answered something unreadable."),
        "504": problem("The upstream did not answer in time."),
        "default": {"description": "The upstream's error status and body, passed through."}
    })
}

fn security(auth: &InboundAuth) -> Option<Value> {
    Some(match auth {
        InboundAuth::Bearer { .. } => json!({"type": "http", "scheme": "bearer"}),
        InboundAuth::Basic { .. } => json!({"type": "http", "scheme": "basic"}),
        InboundAuth::ApiKey { name, in_query, .. } => {
            json!({"type": "apiKey", "name": name, "in": if *in_query { "query" } else { "header" }})
        }
        InboundAuth::Unsupported { .. } => return None,
    })
}
