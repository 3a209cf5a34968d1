//! OpenAPI → capability YAML.

use super::model::{schema_type, ApiOp, ApiParam, OpenApi};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Which capability dialect to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dialect {
    /// The shape of the seed and of the published corpus: `auth`, `{x}` placeholders, typed
    /// parameters with `required` and `description`.
    #[default]
    Published,
    /// What `naftiko-schema-v1.0.0-alpha2.json` accepts: `authentication`, `{{x}}`
    /// placeholders, kebab-case names, parameters with only `name` and `in`.
    Schema,
}

/// What to import and how.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// The consumed namespace; from the title when `None`.
    pub namespace: Option<String>,
    /// The dialect to write.
    pub dialect: Dialect,
    /// Only operations with one of these tags (all when empty).
    pub tags: Vec<String>,
    /// Only paths matching one of these globs (`*` any run of characters; all when empty).
    pub include: Vec<String>,
    /// Leave out paths matching one of these globs.
    pub exclude: Vec<String>,
    /// One `in: body` parameter per top-level property of the request body instead of one
    /// `body` parameter.
    pub flatten_body: bool,
}

/// One operation written by [`import`], with arguments that exercise it.
#[derive(Debug, Clone)]
pub struct ImportedOperation {
    /// The capability operation name.
    pub name: String,
    /// The HTTP method, upper case.
    pub method: String,
    /// The OpenAPI path it came from.
    pub path: String,
    /// Example arguments: from the document's `example`/`examples`/`default`, else
    /// generated from the schema's type. Optional parameters are included when the document
    /// gives an example.
    pub example_args: Value,
}

/// The result of [`import`]: the capability text and what went into it.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The consumed namespace.
    pub namespace: String,
    /// The capability file's text.
    pub yaml: String,
    /// Each operation written, in file order.
    pub operations: Vec<ImportedOperation>,
    /// Bound variables the capability reads (environment names): its authentication's, then
    /// the server variables that have no default or an `enum` of choices.
    pub secrets: Vec<String>,
    /// Operations left out, with why (e.g. a method the schema dialect does not allow).
    pub skipped: Vec<String>,
}

impl Imported {
    /// Loads the written text as a capability.
    pub fn capability(&self) -> Result<crate::Capability, crate::SpecError> {
        crate::Capability::from_str_named(&self.yaml, format!("{}.yaml", self.namespace), None)
    }
}

/// Builds a capability from an OpenAPI document: one consumed namespace, one resource per
/// path, one operation per method. Deterministic: the same document gives the same bytes.
pub fn import(api: &OpenApi, opts: &ImportOptions) -> Result<Imported, super::OpenApiError> {
    let schema = opts.dialect == Dialect::Schema;
    let namespace = opts
        .namespace
        .clone()
        .unwrap_or_else(|| kebab(api.title().unwrap_or("api")));
    let mut skipped = Vec::new();
    let mut resources: Vec<(String, Vec<Value>)> = Vec::new();
    let mut by_path: BTreeMap<String, usize> = BTreeMap::new();
    let mut names = BTreeSet::new();
    let mut operations = Vec::new();
    let mut auth_schemes: Vec<String> = Vec::new();
    for op in api.operations() {
        if !selected(&op, opts) {
            continue;
        }
        if schema && !["GET", "POST", "PUT", "PATCH", "DELETE"].contains(&op.method.as_str()) {
            skipped.push(format!(
                "{} {}: the schema dialect has no {}",
                op.method, op.path, op.method
            ));
            continue;
        }
        for alt in op.security.iter().take(1) {
            for s in alt {
                if !auth_schemes.contains(s) {
                    auth_schemes.push(s.clone());
                }
            }
        }
        let name = unique(&mut names, op_name(&op, schema));
        let (value, example_args) = operation(api, &op, &name, opts);
        operations.push(ImportedOperation {
            name,
            method: op.method.clone(),
            path: op.path.clone(),
            example_args,
        });
        let idx = *by_path.entry(op.path.clone()).or_insert_with(|| {
            resources.push((op.path.clone(), Vec::new()));
            resources.len() - 1
        });
        resources[idx].1.push(value);
    }
    let mut res_names = BTreeSet::new();
    let resources: Vec<Value> = resources
        .into_iter()
        .map(|(path, ops)| {
            let name = unique(&mut res_names, resource_name(&path));
            json!({"name": name, "path": placeholders(&path, schema), "operations": ops})
        })
        .collect();
    let (auth, mut secrets) = authentication(api, auth_schemes.first().map(String::as_str), schema);
    let (base, server_binds) = base_uri(api);
    secrets.extend(server_binds);
    let mut consumer = Map::new();
    consumer.insert("type".into(), "http".into());
    consumer.insert("namespace".into(), namespace.clone().into());
    consumer.insert("baseUri".into(), base.into());
    if let Some(d) = api.info_description().or(api.title()) {
        consumer.insert("description".into(), d.into());
    }
    consumer.insert("resources".into(), Value::Array(resources));
    if let Some(a) = auth {
        consumer.insert(if schema { "authentication" } else { "auth" }.into(), a);
    }
    let doc = document(api, &namespace, consumer, &secrets, schema);
    Ok(Imported {
        namespace,
        yaml: super::yaml::to_yaml(&doc),
        operations,
        secrets,
        skipped,
    })
}

/// The capability document around the one consumer: `info`, and `binds` for the secrets
/// (under `capability` in the schema dialect, at the root in the other).
fn document(
    api: &OpenApi,
    namespace: &str,
    consumer: Map<String, Value>,
    secrets: &[String],
    schema: bool,
) -> Value {
    let mut capability = Map::new();
    let binds = (!secrets.is_empty()).then(|| {
        let keys: Map<String, Value> = secrets
            .iter()
            .map(|s| (s.clone(), Value::from(s.as_str())))
            .collect();
        json!([{"namespace": "env", "keys": keys}])
    });
    if schema {
        if let Some(b) = &binds {
            capability.insert("binds".into(), b.clone());
        }
    }
    capability.insert("consumes".into(), json!([consumer]));
    let title = api.title().unwrap_or(namespace).to_string();
    let mut doc = Map::new();
    doc.insert("naftiko".into(), "1.0.0-alpha2".into());
    doc.insert(
        "info".into(),
        json!({"label": title, "description": api.info_description().unwrap_or(&title)}),
    );
    if !schema {
        if let Some(b) = binds {
            doc.insert("binds".into(), b);
        }
    }
    doc.insert("capability".into(), Value::Object(capability));
    Value::Object(doc)
}

fn selected(op: &ApiOp, opts: &ImportOptions) -> bool {
    (opts.tags.is_empty() || op.tags.iter().any(|t| opts.tags.contains(t)))
        && (opts.include.is_empty() || opts.include.iter().any(|g| glob(g, &op.path)))
        && !opts.exclude.iter().any(|g| glob(g, &op.path))
}

/// `*` matches any run of characters (including `/`); everything else literally.
pub(crate) fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let (first, rest) = parts.split_first().unwrap_or((&"", &[]));
    let Some(mut remaining) = text.strip_prefix(first) else {
        return false;
    };
    let Some((last, middle)) = rest.split_last() else {
        return remaining.is_empty();
    };
    for part in middle {
        match remaining.find(part) {
            Some(i) => remaining = &remaining[i + part.len()..],
            None => return false,
        }
    }
    remaining.ends_with(last)
}

fn unique(seen: &mut BTreeSet<String>, name: String) -> String {
    let mut candidate = name.clone();
    let mut n = 2;
    while !seen.insert(candidate.clone()) {
        candidate = format!("{name}-{n}");
        n += 1;
    }
    candidate
}

fn op_name(op: &ApiOp, schema: bool) -> String {
    match &op.operation_id {
        Some(id) if !schema => id
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "-_".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect(),
        Some(id) => kebab(id),
        None => kebab(&format!("{} {}", op.method.to_ascii_lowercase(), op.path)),
    }
}

/// `listUsers`, `get_user_v2`, `/v2/user/{id}` → `list-users`, `get-user-v2`, `v2-user-id`.
pub(crate) fn kebab(s: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            if c.is_ascii_uppercase() && prev_lower {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        } else {
            if !out.ends_with('-') && !out.is_empty() {
                out.push('-');
            }
            prev_lower = false;
        }
    }
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() {
        "root".into()
    } else {
        out
    }
}

fn resource_name(path: &str) -> String {
    kebab(path)
}

fn placeholders(path: &str, schema: bool) -> String {
    if !schema {
        return path.to_string();
    }
    path.replace('{', "{{").replace('}', "}}")
}

fn operation(api: &OpenApi, op: &ApiOp, name: &str, opts: &ImportOptions) -> (Value, Value) {
    let schema = opts.dialect == Dialect::Schema;
    let mut out = Map::new();
    out.insert("name".into(), name.into());
    out.insert("method".into(), op.method.clone().into());
    let description = match (&op.summary, &op.description) {
        (Some(s), Some(d)) if d != s => Some(format!("{s}\n\n{d}")),
        (Some(s), _) => Some(s.clone()),
        (None, d) => d.clone(),
    };
    if let Some(d) = description {
        out.insert(
            if schema { "label" } else { "description" }.into(),
            d.into(),
        );
    }
    let mut params = Vec::new();
    let mut args = Map::new();
    for p in &op.params {
        params.push(param_entry(api, p, schema));
        if p.required || p.example.is_some() {
            args.insert(
                p.name.clone(),
                example_for(api, p.example.as_ref(), &p.schema),
            );
        }
    }
    let mut template = None;
    if let Some(body) = &op.body {
        let body_schema = api.resolve(&body.schema);
        let props = body_schema.get("properties").and_then(Value::as_object);
        let example = super::model::example(api, &body.schema);
        match props {
            Some(props) if body.media.starts_with("multipart/form-data") => {
                template = Some(multipart_body(
                    api,
                    props,
                    &body.encoding,
                    &example,
                    &mut args,
                ));
            }
            Some(props) if opts.flatten_body => {
                let required: Vec<&str> = body_schema
                    .get("required")
                    .and_then(Value::as_array)
                    .map(|r| r.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                for (k, s) in props {
                    let p = ApiParam {
                        name: k.clone(),
                        location: "body".into(),
                        required: required.contains(&k.as_str()),
                        description: s
                            .get("description")
                            .and_then(Value::as_str)
                            .map(str::to_string),
                        schema: s.clone(),
                        example: None,
                    };
                    params.push(param_entry(api, &p, schema));
                    if let Some(v) = example.get(k) {
                        args.insert(k.clone(), v.clone());
                    }
                }
            }
            _ => {
                let p = ApiParam {
                    name: "body".into(),
                    location: "body".into(),
                    required: body.required,
                    description: Some(
                        body.description
                            .clone()
                            .unwrap_or_else(|| format!("Request body ({}).", body.media)),
                    ),
                    schema: body.schema.clone(),
                    example: None,
                };
                params.push(param_entry(api, &p, schema));
                args.insert("body".into(), example);
            }
        }
    }
    if !params.is_empty() {
        out.insert("inputParameters".into(), Value::Array(params));
    }
    if let Some(t) = template {
        out.insert("body".into(), t);
    }
    if op.json_response {
        out.insert("outputRawFormat".into(), "json".into());
        out.insert(
            "outputParameters".into(),
            json!([{"name": "result", "type": "object", "value": "$."}]),
        );
    }
    (Value::Object(out), Value::Object(args))
}

/// A `multipart/form-data` request body: `{type: multipartForm}` with one part per top-level
/// property, its value the argument of the same name (left out when not passed; an array
/// argument sends one part per element). A binary property (`format: binary`, or an array
/// of them) is a file part: `filename` the property's name, and the `contentType` the
/// media type's `encoding` gives it (its first, when a list), else `application/octet-stream`.
fn multipart_body(
    api: &OpenApi,
    props: &Map<String, Value>,
    encoding: &Value,
    example: &Value,
    args: &mut Map<String, Value>,
) -> Value {
    let binary = |s: &Value| {
        let s = api.resolve(s);
        let item = s.get("items").map(|i| api.resolve(i)).unwrap_or(s);
        item.get("format").and_then(Value::as_str) == Some("binary")
    };
    let mut parts = Vec::new();
    for (k, s) in props {
        let mut part = Map::new();
        part.insert("name".into(), k.clone().into());
        part.insert("value".into(), format!("{{{{{k}}}}}").into());
        let declared = encoding
            .get(k)
            .and_then(|e| e.get("contentType"))
            .and_then(Value::as_str)
            .and_then(|c| c.split(',').next())
            .map(str::trim)
            .filter(|c| !c.is_empty() && !c.contains('*'));
        if binary(s) {
            part.insert("filename".into(), k.clone().into());
            let ct = declared.unwrap_or("application/octet-stream");
            part.insert("contentType".into(), ct.into());
        } else if let Some(ct) = declared {
            part.insert("contentType".into(), ct.into());
        }
        parts.push(Value::Object(part));
        if let Some(v) = example.get(k) {
            args.insert(k.clone(), v.clone());
        }
    }
    json!({"type": "multipartForm", "data": parts})
}

fn param_entry(api: &OpenApi, p: &ApiParam, schema: bool) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), p.name.clone().into());
    m.insert("in".into(), p.location.clone().into());
    if !schema {
        let ty = schema_type(api, &p.schema);
        if ty != "any" {
            m.insert("type".into(), ty.into());
        }
        if let Some(d) = &p.description {
            m.insert("description".into(), d.clone().into());
        }
        m.insert("required".into(), p.required.into());
    }
    Value::Object(m)
}

fn example_for(api: &OpenApi, example: Option<&Value>, schema: &Value) -> Value {
    match example {
        Some(e) => e.clone(),
        None => super::model::example(api, schema),
    }
}

/// The consumer's `baseUri` from `servers[0]` (Swagger 2.0: `schemes`, `host`, `basePath`),
/// and the binds it reads. A server variable with a default and no `enum` is its default; one
/// without a default, or with an `enum` (a choice, e.g. a region), is a bind named after it
/// (`{region}` → `{{REGION}}`). A relative URL, or none, goes under `http://localhost`, for
/// the caller to override with `--base-uri`.
fn base_uri(api: &OpenApi) -> (String, Vec<String>) {
    let mut binds = Vec::new();
    let url = match api.server() {
        Some((url, vars)) => {
            let mut url = url.to_string();
            for (name, var) in vars {
                let default = var.get("default").and_then(Value::as_str);
                let value = match default {
                    Some(d) if var.get("enum").is_none() => d.to_string(),
                    _ => {
                        let bind = screaming(&name);
                        let text = format!("{{{{{bind}}}}}");
                        binds.push(bind);
                        text
                    }
                };
                url = url.replace(&format!("{{{name}}}"), &value);
            }
            url.trim_end_matches('/').to_string()
        }
        None => api.base_uri().unwrap_or_default(),
    };
    let url = if url.starts_with("http") || url.starts_with("{{") {
        url
    } else {
        format!("http://localhost{url}")
    };
    (url, binds)
}

/// The `auth`/`authentication` block for a security scheme, and the variables it reads.
fn authentication(
    api: &OpenApi,
    scheme: Option<&str>,
    schema: bool,
) -> (Option<Value>, Vec<String>) {
    let Some(name) = scheme else {
        return (None, Vec::new());
    };
    let Some(s) = api.security_scheme(name) else {
        return (None, Vec::new());
    };
    let var = screaming(name);
    let reference = |v: &str| -> Value {
        if schema {
            format!("{{{{{v}}}}}").into()
        } else {
            json!({"env": v})
        }
    };
    let value_key = if schema { "value" } else { "valueFrom" };
    let ty = s.get("type").and_then(Value::as_str).unwrap_or("");
    let scheme_kind = s
        .get("scheme")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_ascii_lowercase();
    match (ty, scheme_kind.as_str()) {
        ("apiKey", _) => {
            let key = s.get("name").and_then(Value::as_str).unwrap_or("X-API-Key");
            let placement = s.get("in").and_then(Value::as_str).unwrap_or("header");
            let v = if schema {
                json!({"type": "apikey", "key": key, "value": reference(&var), "placement": placement})
            } else {
                json!({"type": "apiKey", "in": placement, "name": key, value_key: reference(&var)})
            };
            (Some(v), vec![var])
        }
        ("oauth2", _) if !schema && client_credentials(s).is_some() => {
            let (token_url, scopes) = client_credentials(s).unwrap_or_default();
            let (id, secret) = (format!("{var}_CLIENT_ID"), format!("{var}_CLIENT_SECRET"));
            let mut v = json!({
                "type": "oauth2",
                "tokenUrl": token_url,
                "clientId": format!("{{{{{id}}}}}"),
                "clientSecret": format!("{{{{{secret}}}}}"),
            });
            if !scopes.is_empty() {
                v["scopes"] = json!(scopes);
            }
            (Some(v), vec![id, secret])
        }
        // Other oauth2 flows (and, in the schema dialect, whose `oauth2` is the
        // resource-server kind with no client id or secret, client credentials too): a token
        // the caller already has.
        ("http", "bearer") | ("oauth2", _) | ("openIdConnect", _) => {
            let token = format!("{var}_TOKEN");
            let mut v = json!({"type": "bearer", "token": reference(&token)});
            if !schema {
                v = json!({"type": "bearer", "token": format!("{{{{{token}}}}}")});
            }
            (Some(v), vec![token])
        }
        ("http" | "basic", "basic" | "digest" | "") => {
            let (u, p) = (format!("{var}_USERNAME"), format!("{var}_PASSWORD"));
            let kind = if scheme_kind == "digest" {
                "digest"
            } else {
                "basic"
            };
            let v = json!({"type": kind, "username": format!("{{{{{u}}}}}"), "password": format!("{{{{{p}}}}}")});
            (Some(v), vec![u, p])
        }
        _ => (None, Vec::new()),
    }
}

/// An oauth2 scheme's client-credentials flow: its `tokenUrl` and scope names (OpenAPI 3
/// `flows.clientCredentials`; Swagger 2.0 `flow: application`).
fn client_credentials(scheme: &Value) -> Option<(String, Vec<String>)> {
    let flow = match scheme.get("flows") {
        Some(flows) => flows.get("clientCredentials")?,
        None if scheme.get("flow").and_then(Value::as_str) == Some("application") => scheme,
        None => return None,
    };
    let token_url = flow.get("tokenUrl")?.as_str()?.to_string();
    let scopes = flow
        .get("scopes")
        .and_then(Value::as_object)
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    Some((token_url, scopes))
}

/// `apiKeyAuth` → `API_KEY_AUTH`.
fn screaming(s: &str) -> String {
    kebab(s).replace('-', "_").to_ascii_uppercase()
}
