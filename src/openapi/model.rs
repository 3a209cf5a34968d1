//! The document and the normalised view of its operations.

use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Hops a `$ref` chain may take before it counts as a cycle.
const MAX_REF_HOPS: usize = 32;
/// External files one document may pull in through `$ref`s.
const MAX_FILES: usize = 64;

/// Why an OpenAPI document could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenApiError {
    /// The file (or a file a `$ref` names) could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The text is neither JSON nor YAML.
    #[error("{path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What the parser said.
        message: String,
    },
    /// The document has no `openapi` or `swagger` version, or no `paths`.
    #[error("{path}: not an OpenAPI document ({reason})")]
    NotOpenApi {
        /// The file.
        path: PathBuf,
        /// What is missing.
        reason: String,
    },
    /// Too many files are referenced.
    #[error("{path}: more than {MAX_FILES} files referenced through `$ref`")]
    TooManyFiles {
        /// The root file.
        path: PathBuf,
    },
}

/// A parsed OpenAPI 3.0 / 3.1 or Swagger 2.0 document, with its `$ref`s made resolvable.
#[derive(Debug, Clone)]
pub struct OpenApi {
    file: PathBuf,
    root: Value,
    /// Files named by `$ref`s, by the key their rewritten `$ref`s use.
    externals: BTreeMap<String, Value>,
}

fn parse_text(text: &str, path: &Path) -> Result<Value, OpenApiError> {
    let parse_err = |message: String| OpenApiError::Parse {
        path: path.to_path_buf(),
        message,
    };
    if text.trim_start().starts_with('{') {
        return serde_json::from_str(text).map_err(|e| parse_err(e.to_string()));
    }
    crate::load::tree::parse(text)
        .map(|n| n.to_json())
        .map_err(|e| parse_err(format!("{}:{}: {}", e.pos.line, e.pos.col, e.message)))
}

fn read(path: &Path) -> Result<Value, OpenApiError> {
    let text = std::fs::read_to_string(path).map_err(|source| OpenApiError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_text(&text, path)
}

impl OpenApi {
    /// Reads a document and every file its `$ref`s name (relative to the file naming them).
    pub fn from_path(path: impl AsRef<Path>) -> Result<OpenApi, OpenApiError> {
        let path = path.as_ref();
        let root = read(path)?;
        OpenApi::build(root, path)
    }

    /// Parses a document from text; `name` is used in messages and as the base for relative
    /// `$ref`s.
    pub fn from_str_named(text: &str, name: impl AsRef<Path>) -> Result<OpenApi, OpenApiError> {
        let path = name.as_ref();
        OpenApi::build(parse_text(text, path)?, path)
    }

    fn build(mut root: Value, path: &Path) -> Result<OpenApi, OpenApiError> {
        if version_of(&root).is_none() {
            return Err(OpenApiError::NotOpenApi {
                path: path.to_path_buf(),
                reason: "no `openapi` or `swagger` version".into(),
            });
        }
        if !root.get("paths").is_some_and(Value::is_object) {
            return Err(OpenApiError::NotOpenApi {
                path: path.to_path_buf(),
                reason: "no `paths`".into(),
            });
        }
        let mut externals = BTreeMap::new();
        let mut pending = Vec::new();
        let dir = path.parent().unwrap_or(Path::new("")).to_path_buf();
        rewrite_refs(&mut root, &dir, "", &mut pending);
        while let Some(file) = pending.pop() {
            if externals.contains_key(&file) {
                continue;
            }
            if externals.len() >= MAX_FILES {
                return Err(OpenApiError::TooManyFiles {
                    path: path.to_path_buf(),
                });
            }
            let file_path = PathBuf::from(&file);
            let mut doc = read(&file_path)?;
            let dir = file_path.parent().unwrap_or(Path::new("")).to_path_buf();
            rewrite_refs(&mut doc, &dir, &file, &mut pending);
            externals.insert(file, doc);
        }
        Ok(OpenApi {
            file: path.to_path_buf(),
            root,
            externals,
        })
    }

    /// The file it was read from.
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// The declared version (`3.1.0`, `2.0`, …).
    pub fn version(&self) -> &str {
        version_of(&self.root).unwrap_or_default()
    }

    /// The raw document.
    pub fn document(&self) -> &Value {
        &self.root
    }

    pub(crate) fn is_swagger2(&self) -> bool {
        self.root.get("swagger").is_some()
    }

    /// Follows `$ref`s (bounded: a cycle yields the last object reached).
    pub(crate) fn resolve<'a>(&'a self, mut v: &'a Value) -> &'a Value {
        for _ in 0..MAX_REF_HOPS {
            let Some(r) = v.get("$ref").and_then(Value::as_str) else {
                return v;
            };
            match self.lookup(r) {
                Some(next) => v = next,
                None => return v,
            }
        }
        v
    }

    fn lookup(&self, r: &str) -> Option<&Value> {
        let (file, frag) = r.split_once('#').unwrap_or((r, ""));
        let doc = if file.is_empty() {
            &self.root
        } else {
            self.externals.get(file)?
        };
        if frag.is_empty() {
            return Some(doc);
        }
        doc.pointer(&percent_decode(frag))
    }

    /// The title from `info`.
    pub(crate) fn title(&self) -> Option<&str> {
        self.root.pointer("/info/title").and_then(Value::as_str)
    }

    pub(crate) fn info_description(&self) -> Option<&str> {
        self.root
            .pointer("/info/description")
            .and_then(Value::as_str)
    }

    /// The base URI of the first server, variables replaced by their defaults.
    pub(crate) fn base_uri(&self) -> Option<String> {
        if self.is_swagger2() {
            let host = self.root.get("host").and_then(Value::as_str)?;
            let scheme = self
                .root
                .get("schemes")
                .and_then(|s| s.get(0))
                .and_then(Value::as_str)
                .unwrap_or("https");
            let base = self
                .root
                .get("basePath")
                .and_then(Value::as_str)
                .unwrap_or("");
            return Some(format!("{scheme}://{host}{}", base.trim_end_matches('/')));
        }
        let server = self.root.get("servers")?.get(0)?;
        let mut url = server.get("url")?.as_str()?.to_string();
        if let Some(vars) = server.get("variables").and_then(Value::as_object) {
            for (name, var) in vars {
                let default = var.get("default").and_then(Value::as_str).unwrap_or("");
                url = url.replace(&format!("{{{name}}}"), default);
            }
        }
        Some(url.trim_end_matches('/').to_string())
    }

    /// `servers[0]`: its URL template and its variables (OpenAPI 3 only).
    pub(crate) fn server(&self) -> Option<(&str, Map<String, Value>)> {
        if self.is_swagger2() {
            return None;
        }
        let server = self.root.get("servers")?.get(0)?;
        let vars = server.get("variables").and_then(Value::as_object);
        Some((
            server.get("url")?.as_str()?,
            vars.cloned().unwrap_or_default(),
        ))
    }

    /// A security scheme by name.
    pub(crate) fn security_scheme(&self, name: &str) -> Option<&Value> {
        let schemes = if self.is_swagger2() {
            self.root.get("securityDefinitions")
        } else {
            self.root.pointer("/components/securitySchemes")
        };
        schemes.and_then(|s| s.get(name)).map(|s| self.resolve(s))
    }

    /// Every operation, in document order (paths, then methods as written).
    pub(crate) fn operations(&self) -> Vec<ApiOp> {
        let mut out = Vec::new();
        let Some(paths) = self.root.get("paths").and_then(Value::as_object) else {
            return out;
        };
        for (path, item) in paths {
            let item = self.resolve(item);
            let shared = item.get("parameters");
            for (method, op) in item.as_object().into_iter().flatten() {
                if !METHODS.contains(&method.as_str()) {
                    continue;
                }
                out.push(self.normalise(path, method, self.resolve(op), shared));
            }
        }
        out
    }

    fn normalise(&self, path: &str, method: &str, op: &Value, shared: Option<&Value>) -> ApiOp {
        let text = |k: &str| op.get(k).and_then(Value::as_str).map(str::to_string);
        let mut params: Vec<ApiParam> = Vec::new();
        let mut body = None;
        let mut form = Map::new();
        let mut form_required = Vec::new();
        let lists = [shared, op.get("parameters")];
        for p in lists
            .into_iter()
            .flatten()
            .filter_map(Value::as_array)
            .flatten()
        {
            let p = self.resolve(p);
            let (Some(name), Some(loc)) = (
                p.get("name").and_then(Value::as_str),
                p.get("in").and_then(Value::as_str),
            ) else {
                continue;
            };
            let required = p.get("required").and_then(Value::as_bool).unwrap_or(false);
            match loc {
                "body" => {
                    body = Some(ApiBody {
                        encoding: Value::Null,
                        required,
                        schema: p.get("schema").cloned().unwrap_or(Value::Null),
                        media: "application/json".into(),
                        description: str_of(p, "description"),
                    })
                }
                "formData" => {
                    form.insert(name.into(), swagger2_schema(p));
                    if required {
                        form_required.push(Value::from(name));
                    }
                }
                _ => {
                    let schema = match p.get("schema") {
                        Some(s) => s.clone(),
                        None => swagger2_schema(p),
                    };
                    let param = ApiParam {
                        name: name.into(),
                        location: loc.into(),
                        required: required || loc == "path",
                        description: str_of(p, "description"),
                        schema,
                        example: param_example(p),
                    };
                    // An operation's parameter overrides the path item's of the same name and place.
                    params.retain(|q| !(q.name == param.name && q.location == param.location));
                    params.push(param);
                }
            }
        }
        if !form.is_empty() {
            body = Some(self.form_body(op, form, form_required));
        }
        if let Some(rb) = op.get("requestBody").map(|b| self.resolve(b)) {
            body = self.request_body(rb);
        }
        let security = self.security(op);
        ApiOp {
            path: path.into(),
            method: method.to_ascii_uppercase(),
            operation_id: text("operationId"),
            summary: text("summary"),
            description: text("description"),
            tags: op
                .get("tags")
                .and_then(Value::as_array)
                .map(|t| {
                    t.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default(),
            params,
            body,
            security,
            json_response: self.has_json_response(op),
        }
    }

    /// A Swagger 2.0 `formData` body: multipart when the operation (or the document) consumes
    /// `multipart/form-data`, or uploads a `type: file`; else a URL-encoded form.
    fn form_body(&self, op: &Value, form: Map<String, Value>, required: Vec<Value>) -> ApiBody {
        let consumes = op.get("consumes").or_else(|| self.root.get("consumes"));
        let multipart = (consumes.and_then(Value::as_array).into_iter().flatten())
            .any(|c| c.as_str() == Some("multipart/form-data"))
            || form
                .values()
                .any(|s| s.get("format").and_then(Value::as_str) == Some("binary"));
        let mut schema = Map::new();
        schema.insert("type".into(), "object".into());
        schema.insert("properties".into(), Value::Object(form));
        schema.insert("required".into(), Value::Array(required));
        ApiBody {
            encoding: Value::Null,
            required: true,
            schema: Value::Object(schema),
            media: if multipart {
                "multipart/form-data"
            } else {
                "application/x-www-form-urlencoded"
            }
            .into(),
            description: None,
        }
    }

    /// The operation's security requirements (or the document's): each alternative as the
    /// scheme names it combines.
    fn security(&self, op: &Value) -> Vec<Vec<String>> {
        op.get("security")
            .or_else(|| self.root.get("security"))
            .and_then(Value::as_array)
            .map(|reqs| {
                reqs.iter()
                    .map(|r| {
                        r.as_object()
                            .map(|o| o.keys().cloned().collect())
                            .unwrap_or_default()
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    fn request_body(&self, rb: &Value) -> Option<ApiBody> {
        let content = rb.get("content")?.as_object()?;
        let (media, mt) = content
            .iter()
            .find(|(k, _)| k.contains("json"))
            .or_else(|| content.iter().next())?;
        Some(ApiBody {
            encoding: mt.get("encoding").cloned().unwrap_or(Value::Null),
            required: rb.get("required").and_then(Value::as_bool).unwrap_or(false),
            schema: mt.get("schema").cloned().unwrap_or(Value::Null),
            media: media.clone(),
            description: str_of(rb, "description"),
        })
    }

    fn has_json_response(&self, op: &Value) -> bool {
        let Some(responses) = op.get("responses").and_then(Value::as_object) else {
            return false;
        };
        responses.iter().any(|(code, r)| {
            if !code.starts_with('2') {
                return false;
            }
            let r = self.resolve(r);
            if self.is_swagger2() {
                return r.get("schema").is_some();
            }
            r.get("content")
                .and_then(Value::as_object)
                .is_some_and(|c| c.keys().any(|k| k.contains("json")))
        })
    }
}

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

fn version_of(root: &Value) -> Option<&str> {
    root.get("openapi")
        .or_else(|| root.get("swagger"))
        .and_then(Value::as_str)
}

fn str_of(v: &Value, key: &str) -> Option<String> {
    v.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// Swagger 2.0 puts a parameter's schema keywords on the parameter itself.
fn swagger2_schema(p: &Value) -> Value {
    let mut s = Map::new();
    // A Swagger 2.0 upload is OpenAPI 3's binary string.
    if p.get("type").and_then(Value::as_str) == Some("file") {
        s.insert("type".into(), "string".into());
        s.insert("format".into(), "binary".into());
        return Value::Object(s);
    }
    for k in [
        "type", "format", "items", "enum", "default", "minimum", "maximum",
    ] {
        if let Some(v) = p.get(k) {
            s.insert(k.into(), v.clone());
        }
    }
    Value::Object(s)
}

fn param_example(p: &Value) -> Option<Value> {
    if let Some(e) = p.get("example") {
        return Some(e.clone());
    }
    let examples = p.get("examples")?.as_object()?;
    examples.values().find_map(|e| e.get("value").cloned())
}

/// Makes every `$ref` in `v` absolute: `#/x` inside an external file becomes `file#/x`, and
/// `other.yaml#/x` becomes `<dir>/other.yaml#/x` (queued for reading).
fn rewrite_refs(v: &mut Value, dir: &Path, this_file: &str, pending: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get_mut("$ref") {
                let (file, frag) = r.split_once('#').unwrap_or((r.as_str(), ""));
                let key = if file.is_empty() {
                    this_file.to_string()
                } else if file.contains("://") {
                    // Remote references are not fetched: left as they are, they stay unresolved.
                    return;
                } else {
                    let joined = dir.join(file);
                    let key = normalise_path(&joined);
                    pending.push(key.clone());
                    key
                };
                *r = format!("{key}#{frag}");
            }
            for (_, child) in map.iter_mut() {
                rewrite_refs(child, dir, this_file, pending);
            }
        }
        Value::Array(items) => {
            for child in items {
                rewrite_refs(child, dir, this_file, pending);
            }
        }
        _ => {}
    }
}

/// `a/./b/../c` → `a/c`, so one file read twice has one key.
fn normalise_path(p: &Path) -> String {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir
                if matches!(
                    out.components().next_back(),
                    Some(std::path::Component::Normal(_))
                ) =>
            {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out.to_string_lossy().into_owned()
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// One operation of the document, normalised across versions.
#[derive(Debug, Clone)]
pub(crate) struct ApiOp {
    pub path: String,
    /// Upper case.
    pub method: String,
    pub operation_id: Option<String>,
    pub summary: Option<String>,
    pub description: Option<String>,
    pub tags: Vec<String>,
    /// Path, query, header and cookie parameters.
    pub params: Vec<ApiParam>,
    pub body: Option<ApiBody>,
    /// Alternatives, each a list of scheme names; empty: no security.
    pub security: Vec<Vec<String>>,
    pub json_response: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct ApiParam {
    pub name: String,
    /// `path`, `query`, `header` or `cookie`.
    pub location: String,
    pub required: bool,
    pub description: Option<String>,
    pub schema: Value,
    pub example: Option<Value>,
}

#[derive(Debug, Clone)]
pub(crate) struct ApiBody {
    /// The media type's `encoding` (OpenAPI 3: per-property `contentType`), or null.
    pub encoding: Value,
    pub required: bool,
    pub schema: Value,
    pub media: String,
    pub description: Option<String>,
}

/// A schema's JSON type, looking through `$ref`, nullable unions and `allOf`.
pub(crate) fn schema_type(api: &OpenApi, schema: &Value) -> &'static str {
    schema_type_depth(api, schema, 0)
}

fn schema_type_depth(api: &OpenApi, schema: &Value, depth: usize) -> &'static str {
    let s = api.resolve(schema);
    if depth > 8 {
        return "any";
    }
    let known = |t: &str| -> Option<&'static str> {
        ["string", "integer", "number", "boolean", "object", "array"]
            .into_iter()
            .find(|k| *k == t)
    };
    match s.get("type") {
        Some(Value::String(t)) => {
            if let Some(k) = known(t) {
                return k;
            }
        }
        Some(Value::Array(ts)) => {
            if let Some(k) = ts.iter().filter_map(Value::as_str).find_map(known) {
                return k;
            }
        }
        _ => {}
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(alts) = s.get(key).and_then(Value::as_array) {
            for a in alts {
                let t = schema_type_depth(api, a, depth + 1);
                if t != "any" {
                    return t;
                }
            }
        }
    }
    if s.get("properties").is_some() {
        return "object";
    }
    if s.get("enum").is_some() {
        return "string";
    }
    "any"
}

/// A value the schema accepts: its `example`/`examples`/`default`/first `enum` value, else
/// one generated from its type (objects with their required properties). Bounded depth, so
/// recursive schemas end.
pub(crate) fn example(api: &OpenApi, schema: &Value) -> Value {
    example_depth(api, schema, 0)
}

fn example_depth(api: &OpenApi, schema: &Value, depth: usize) -> Value {
    let s = api.resolve(schema);
    if depth > 8 {
        return Value::Null;
    }
    if let Some(v) = s.get("example").or_else(|| s.get("default")) {
        return v.clone();
    }
    if let Some(v) = s
        .get("examples")
        .and_then(Value::as_array)
        .and_then(|a| a.first())
        .or_else(|| {
            s.get("enum")
                .and_then(Value::as_array)
                .and_then(|a| a.first())
        })
        .or_else(|| s.get("const"))
    {
        return v.clone();
    }
    if let Some(all) = s.get("allOf").and_then(Value::as_array) {
        let mut merged = Map::new();
        for part in all {
            match example_depth(api, part, depth + 1) {
                Value::Object(m) => merged.extend(m),
                other if merged.is_empty() && all.len() == 1 => return other,
                _ => {}
            }
        }
        return Value::Object(merged);
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(alts) = s.get(key).and_then(Value::as_array) {
            let non_null = alts
                .iter()
                .find(|a| api.resolve(a).get("type").and_then(Value::as_str) != Some("null"));
            if let Some(a) = non_null.or(alts.first()) {
                return example_depth(api, a, depth + 1);
            }
        }
    }
    match schema_type(api, s) {
        "string" => string_example(s),
        "integer" => number_example(s, true),
        "number" => number_example(s, false),
        "boolean" => Value::Bool(true),
        "array" => {
            let item = s
                .get("items")
                .map_or(Value::from("x"), |i| example_depth(api, i, depth + 1));
            let n = s
                .get("minItems")
                .and_then(Value::as_u64)
                .unwrap_or(1)
                .max(1);
            Value::Array(vec![item; n.min(3) as usize])
        }
        "object" => {
            let mut m = Map::new();
            let required: Vec<&str> = s
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            if let Some(props) = s.get("properties").and_then(Value::as_object) {
                for (k, p) in props {
                    if required.contains(&k.as_str()) {
                        m.insert(k.clone(), example_depth(api, p, depth + 1));
                    }
                }
            }
            Value::Object(m)
        }
        _ => Value::from("x"),
    }
}

fn string_example(s: &Value) -> Value {
    // No regex engine here: patterns of digits (`^\d{5}…`, zip codes and the like) are the
    // ones the corpus needs.
    if let Some(n) = s
        .get("pattern")
        .and_then(Value::as_str)
        .and_then(|p| p.strip_prefix("^\\d{"))
        .and_then(|p| p.split_once('}'))
        .and_then(|(n, _)| n.parse::<usize>().ok())
    {
        return Value::from(
            "1234567890"
                .chars()
                .cycle()
                .take(n.min(32))
                .collect::<String>(),
        );
    }
    let text = match s.get("format").and_then(Value::as_str).unwrap_or("") {
        "date" => "2024-01-01",
        "date-time" => "2024-01-01T00:00:00Z",
        "time" => "00:00:00Z",
        "uuid" => "00000000-0000-4000-8000-000000000000",
        "email" => "user@example.com",
        "uri" | "url" => "https://example.com",
        "ipv4" => "192.0.2.1",
        "byte" => "eA==",
        _ => "x",
    };
    let min = s.get("minLength").and_then(Value::as_u64).unwrap_or(0) as usize;
    if text.len() < min {
        return Value::from("x".repeat(min.min(64)));
    }
    Value::from(text)
}

fn number_example(s: &Value, integer: bool) -> Value {
    let min = s.get("minimum").and_then(Value::as_f64).or_else(|| {
        s.get("exclusiveMinimum")
            .and_then(Value::as_f64)
            .map(|m| m + 1.0)
    });
    let max = s.get("maximum").and_then(Value::as_f64);
    let mut v = min
        .unwrap_or(1.0)
        .max(if min.is_some() { f64::MIN } else { 1.0 });
    if let Some(max) = max {
        v = v.min(max);
    }
    if integer {
        Value::from(v.ceil() as i64)
    } else {
        serde_json::Number::from_f64(v).map_or(Value::from(1), Value::Number)
    }
}
