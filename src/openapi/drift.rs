//! Capability ↔ OpenAPI drift: each consumed operation against the API operation it calls.

use super::model::{schema_type, ApiOp, ApiParam, OpenApi};
use crate::spec::template::Part;
use crate::spec::{BodySpec, JsonTemplate};
use crate::{
    Auth, Capability, KeyPlacement, Location, Operation, Param, ParamIn, ParamType, Severity,
};
use serde_json::{json, Value};
use std::collections::HashMap;

/// What a drift finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum FindingKind {
    /// The operation (method + path) is not in the API (error).
    NotInApi,
    /// A path placeholder no parameter fills (error).
    UnfilledPlaceholder,
    /// A path parameter the path lacks; the runtime appends it (warning).
    UnplacedPathParam,
    /// A parameter the API has and the capability lacks (error when the API requires it).
    MissingParam,
    /// A parameter the capability has and the API does not (error).
    UnknownParam,
    /// The parameter goes somewhere else in the API (error).
    InMismatch,
    /// `required` differs (warning).
    RequiredMismatch,
    /// The declared types differ (error).
    TypeMismatch,
    /// A request body on one side only.
    BodyMismatch,
    /// A property the API's body schema requires is not a body parameter (warning).
    BodyPropertyMissing,
    /// The authentication differs from the API's security requirements.
    AuthMismatch,
}

impl FindingKind {
    /// Kebab-case name, as in `--json` output.
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::NotInApi => "not-in-api",
            FindingKind::UnfilledPlaceholder => "unfilled-placeholder",
            FindingKind::UnplacedPathParam => "unplaced-path-param",
            FindingKind::MissingParam => "missing-param",
            FindingKind::UnknownParam => "unknown-param",
            FindingKind::InMismatch => "in-mismatch",
            FindingKind::RequiredMismatch => "required-mismatch",
            FindingKind::TypeMismatch => "type-mismatch",
            FindingKind::BodyMismatch => "body-mismatch",
            FindingKind::BodyPropertyMissing => "body-property-missing",
            FindingKind::AuthMismatch => "auth-mismatch",
        }
    }
}

/// One difference between a capability and its API.
#[derive(Debug, Clone)]
pub struct Finding {
    /// [`Severity::Error`] or [`Severity::Warning`].
    pub severity: Severity,
    /// What kind.
    pub kind: FindingKind,
    /// Where in the capability (the operation, or the parameter).
    pub location: Location,
    /// The operation's qualified name.
    pub operation: String,
    /// One sentence.
    pub message: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sev = if self.severity == Severity::Error {
            "error"
        } else {
            "warning"
        };
        write!(
            f,
            "{}: {sev}: {} [{}]: {}",
            self.location,
            self.operation,
            self.kind.as_str(),
            self.message
        )
    }
}

impl Finding {
    /// The finding as JSON (`--json`).
    pub fn to_json(&self) -> Value {
        json!({
            "file": self.location.file.display().to_string(),
            "line": self.location.pos.line,
            "col": self.location.pos.col,
            "severity": if self.severity == Severity::Error { "error" } else { "warning" },
            "kind": self.kind.as_str(),
            "operation": self.operation,
            "message": self.message,
        })
    }
}

/// `/v2/user/{user_id}/` → `/v2/user/{}`: placeholders' names do not matter for matching.
fn shape(path: &str) -> String {
    let mut out = String::new();
    let mut depth = 0;
    for c in path.chars() {
        match c {
            '{' => {
                if depth == 0 {
                    out.push_str("{}");
                }
                depth += 1;
            }
            '}' => depth = (depth - 1_i32).max(0),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    let trimmed = out.trim_end_matches('/');
    if trimmed.is_empty() {
        "/".into()
    } else {
        trimmed.to_string()
    }
}

/// The path part of a base URI (`https://h/v1` → `/v1`).
fn base_path(uri: &str) -> &str {
    let rest = uri.split_once("://").map_or(uri, |(_, r)| r);
    rest.find('/')
        .map_or("", |i| rest[i..].trim_end_matches('/'))
}

/// Compares every consumed operation with the API operation it calls.
pub fn drift(cap: &Capability, api: &OpenApi) -> Vec<Finding> {
    let api_ops = api.operations();
    let api_base = api.base_uri().unwrap_or_default();
    let api_base = base_path(&api_base).to_string();
    let mut index: HashMap<(String, String), &ApiOp> = HashMap::new();
    for op in &api_ops {
        index.insert(
            (op.method.clone(), shape(&format!("{api_base}{}", op.path))),
            op,
        );
    }
    let mut out = Vec::new();
    for op in cap.operations() {
        let mut f = Check { op, out: &mut out };
        for u in op.unfilled_placeholders() {
            f.push(
                Severity::Error,
                FindingKind::UnfilledPlaceholder,
                op.location(),
                format!("placeholder `{{{u}}}` is filled by no parameter"),
            );
        }
        for p in op.appended_path_params() {
            f.push(
                Severity::Warning,
                FindingKind::UnplacedPathParam,
                op.location(),
                format!(
                    "path parameter `{p}` has no placeholder; the request goes to `{}`",
                    op.path_template()
                ),
            );
        }
        let base = cap.base_uri(op.namespace()).unwrap_or_default();
        let full = format!("{}{}", base_path(&base), op.path_template());
        let key = (op.method().as_str().to_string(), shape(&full));
        let Some(api_op) = index.get(&key) else {
            f.push(
                Severity::Error,
                FindingKind::NotInApi,
                op.location(),
                format!("`{} {full}` is not in the API", op.method()),
            );
            continue;
        };
        f.params(api, api_op, cap.auth(op.namespace()));
        f.body(api, api_op);
        f.auth(api, api_op, cap.auth(op.namespace()));
    }
    out
}

struct Check<'a> {
    op: &'a Operation,
    out: &'a mut Vec<Finding>,
}

fn compatible(cap: ParamType, api: &str) -> bool {
    matches!(
        (cap, api),
        (ParamType::Any, _) | (_, "any") | (ParamType::Number, "integer")
    ) || cap.as_str() == api
}

impl Check<'_> {
    fn push(&mut self, severity: Severity, kind: FindingKind, at: &Location, message: String) {
        self.out.push(Finding {
            severity,
            kind,
            location: at.clone(),
            operation: self.op.qualified_name(),
            message,
        });
    }

    fn params(&mut self, api: &OpenApi, api_op: &ApiOp, auth: Option<&Auth>) {
        let op = self.op;
        let same = |a: &str, b: &str, header: bool| {
            if header {
                a.eq_ignore_ascii_case(b)
            } else {
                a == b
            }
        };
        let auth_key = match auth {
            Some(Auth::ApiKey { name, .. }) => Some(name.as_str()),
            _ => None,
        };
        let sent: Vec<_> = op
            .params()
            .iter()
            .filter(|p| !matches!(p.location(), ParamIn::Body | ParamIn::Environment))
            .collect();
        for ap in &api_op.params {
            let header = ap.location == "header";
            if header && auth_key.is_some_and(|k| k.eq_ignore_ascii_case(&ap.name)) {
                continue;
            }
            let found = sent.iter().find(|p| {
                same(
                    p.name(),
                    &ap.name,
                    header || p.location() == ParamIn::Header,
                )
            });
            let Some(p) = found else {
                let (sev, what) = if ap.required {
                    (Severity::Error, "required")
                } else {
                    (Severity::Warning, "optional")
                };
                self.push(
                    sev,
                    FindingKind::MissingParam,
                    op.location(),
                    format!(
                        "the API's {what} {} parameter `{}` is missing",
                        ap.location, ap.name
                    ),
                );
                continue;
            };
            self.compare_param(api, p, ap);
        }
        for p in sent {
            let header = p.location() == ParamIn::Header;
            if api_op
                .params
                .iter()
                .any(|ap| same(p.name(), &ap.name, header || ap.location == "header"))
            {
                continue;
            }
            self.push(
                Severity::Error,
                FindingKind::UnknownParam,
                p.source(),
                format!(
                    "`{}` (in: {}) is not a parameter of `{} {}`",
                    p.name(),
                    p.location().as_str(),
                    api_op.method,
                    api_op.path
                ),
            );
        }
    }

    /// A parameter both declare: its location, whether it is required, its type.
    fn compare_param(&mut self, api: &OpenApi, p: &Param, ap: &ApiParam) {
        if p.location().as_str() != ap.location {
            self.push(
                Severity::Error,
                FindingKind::InMismatch,
                p.source(),
                format!(
                    "`{}` is `in: {}` here, `in: {}` in the API",
                    p.name(),
                    p.location().as_str(),
                    ap.location
                ),
            );
        }
        let cap_required = p.required() || p.has_default();
        if cap_required != ap.required && ap.location != "path" {
            self.push(
                Severity::Warning,
                FindingKind::RequiredMismatch,
                p.source(),
                format!(
                    "`{}` is {} here, {} in the API",
                    p.name(),
                    if cap_required { "required" } else { "optional" },
                    if ap.required { "required" } else { "optional" }
                ),
            );
        }
        let choices = api
            .resolve(&ap.schema)
            .get("enum")
            .and_then(Value::as_array);
        if let (Some(choices), Some(value)) = (choices, literal_value(p)) {
            let text = |v: &Value| v.as_str().map_or_else(|| v.to_string(), str::to_string);
            if !choices.iter().any(|c| text(c) == value) {
                let list: Vec<String> = choices.iter().map(text).collect();
                self.push(
                    Severity::Error,
                    FindingKind::TypeMismatch,
                    p.source(),
                    format!(
                        "`{}` is sent as `{value}`, not one of the API's values ({})",
                        p.name(),
                        list.join(", ")
                    ),
                );
            }
        }
        let api_ty = schema_type(api, &ap.schema);
        if !compatible(p.ty(), api_ty) {
            self.push(
                Severity::Error,
                FindingKind::TypeMismatch,
                p.source(),
                format!(
                    "`{}` is {} here, {api_ty} in the API",
                    p.name(),
                    p.ty().as_str()
                ),
            );
        }
    }

    fn body(&mut self, api: &OpenApi, api_op: &ApiOp) {
        let op = self.op;
        let params: Vec<_> = op
            .params()
            .iter()
            .filter(|p| p.location() == ParamIn::Body)
            .collect();
        let at = params.first().map_or(op.location(), |p| p.source());
        match (&api_op.body, body_fields(op)) {
            (Some(b), None) => self.push(
                if b.required {
                    Severity::Error
                } else {
                    Severity::Warning
                },
                FindingKind::BodyMismatch,
                op.location(),
                format!(
                    "the API takes a {} request body ({}); the operation sends none",
                    if b.required { "required" } else { "optional" },
                    b.media
                ),
            ),
            (None, Some(_)) => self.push(
                Severity::Error,
                FindingKind::BodyMismatch,
                at,
                format!(
                    "the operation sends a body; `{} {}` takes none",
                    api_op.method, api_op.path
                ),
            ),
            // The whole body is one value (a `body` parameter, a template variable): its
            // properties are the caller's.
            (Some(_), Some(None)) | (None, None) => {}
            (Some(b), Some(Some(fields))) => {
                let schema = api.resolve(&b.schema);
                let required = schema
                    .get("required")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                for r in required.iter().filter_map(Value::as_str) {
                    if !fields.iter().any(|f| f == r) {
                        self.push(
                            Severity::Warning,
                            FindingKind::BodyPropertyMissing,
                            op.location(),
                            format!("the API's body requires `{r}`; the operation's body does not give it"),
                        );
                    }
                }
            }
        }
    }

    fn auth(&mut self, api: &OpenApi, api_op: &ApiOp, auth: Option<&Auth>) {
        let op = self.op;
        let wanted: Vec<&Value> = api_op
            .security
            .iter()
            .flatten()
            .filter_map(|s| api.security_scheme(s))
            .collect();
        let Some(auth) = auth else {
            if !wanted.is_empty() {
                let names = security_names(api_op);
                self.push(
                    Severity::Error,
                    FindingKind::AuthMismatch,
                    op.location(),
                    format!(
                        "the API requires {}; the capability declares no authentication",
                        names.join(" or ")
                    ),
                );
            }
            return;
        };
        if api_op.security.is_empty() || api_op.security.iter().any(Vec::is_empty) {
            return;
        }
        let fits = |s: &Value| {
            let ty = s.get("type").and_then(Value::as_str).unwrap_or("");
            let scheme = s
                .get("scheme")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_ascii_lowercase();
            match auth {
                Auth::ApiKey {
                    placement, name, ..
                } => {
                    let place = match placement {
                        KeyPlacement::Header => "header",
                        KeyPlacement::Query => "query",
                        KeyPlacement::Cookie => "cookie",
                        _ => "",
                    };
                    ty == "apiKey"
                        && s.get("in").and_then(Value::as_str) == Some(place)
                        && s.get("name").and_then(Value::as_str).is_some_and(|n| {
                            if place == "header" {
                                n.eq_ignore_ascii_case(name)
                            } else {
                                n == name
                            }
                        })
                }
                Auth::Bearer { .. } => {
                    (ty == "http" && scheme == "bearer") || ty == "oauth2" || ty == "openIdConnect"
                }
                Auth::Basic { .. } => (ty == "http" && scheme == "basic") || ty == "basic",
                Auth::Digest { .. } => ty == "http" && scheme == "digest",
                Auth::OAuth2 { .. } => ty == "oauth2",
                _ => true,
            }
        };
        if !wanted.iter().any(|s| fits(s)) {
            let names = security_names(api_op);
            self.push(
                Severity::Error,
                FindingKind::AuthMismatch,
                op.location(),
                format!(
                    "the capability's authentication does not match the API's {}",
                    names.join(" or ")
                ),
            );
        }
    }
}

/// What an operation's body sends: `None` without a body; `Some(None)` when it is one
/// value whose fields are the caller's (a `body` parameter, a template that is a variable,
/// text); else the names of its top-level fields (body parameters, a JSON template's keys,
/// form fields, multipart parts).
fn body_fields(op: &Operation) -> Option<Option<Vec<String>>> {
    let names = |it: &mut dyn Iterator<Item = &str>| Some(Some(it.map(str::to_string).collect()));
    match op.body.as_ref()? {
        BodySpec::Params => {
            let body: Vec<&Param> = op
                .params()
                .iter()
                .filter(|p| p.location() == ParamIn::Body)
                .collect();
            let whole = body.len() == 1
                && matches!(body[0].ty(), ParamType::Object | ParamType::Any)
                && body[0].name() == "body";
            if whole {
                Some(None)
            } else {
                names(&mut body.iter().map(|p| p.name()))
            }
        }
        BodySpec::Json(JsonTemplate::Object(fields)) => {
            names(&mut fields.iter().map(|(k, _)| k.as_str()))
        }
        BodySpec::Form(fields) => names(&mut fields.iter().map(|(k, _)| k.as_str())),
        BodySpec::Multipart(parts) => names(&mut parts.iter().map(|p| p.name.as_str())),
        BodySpec::Json(_) | BodySpec::Text(..) => Some(None),
    }
}

/// A parameter's fixed value, when the capability gives it one without variables.
fn literal_value(p: &Param) -> Option<String> {
    let t = p.value.as_ref().filter(|t| t.is_literal())?;
    Some(
        t.parts
            .iter()
            .map(|part| match part {
                Part::Lit(s) => s.as_str(),
                Part::Var(_) => "",
            })
            .collect(),
    )
}

/// The names of the security schemes an API operation accepts, for messages.
fn security_names(api_op: &ApiOp) -> Vec<&str> {
    api_op
        .security
        .iter()
        .flatten()
        .map(String::as_str)
        .collect()
}
