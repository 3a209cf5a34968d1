//! One consumed operation: method, parameters, path, body, output and the names a call
//! may pass.

use std::collections::HashSet;

use super::dialect::render_literal;
use super::schema::{Name, Object, Value};
use super::{join, At, Loader, Scope};
use crate::map::OutputMap;
use crate::spec::template::{self, RawPart, Template, Var};
use crate::spec::{Auth, BodySpec, Method, Operation, Param, ParamIn, Segment};

/// The operation's path, compiled: what is sent, and what could not be placed.
struct PathParts {
    /// The path as written (resource path, then the operation's own), with a leading `/`.
    text: String,
    segments: Vec<Segment>,
    /// Declared path parameters with no placeholder, appended in declaration order.
    unplaced: Vec<String>,
    /// Placeholders filled by no parameter.
    unfilled: Vec<String>,
}

impl Loader {
    pub(super) fn operation(&mut self, at: At<'_>, ctx: &OpContext<'_>) -> Option<Operation> {
        let node = at.node;
        if node.as_map().is_none() {
            self.error(
                at.loc(),
                format!(
                    "an operation should be a mapping, found {}",
                    node.kind_name()
                ),
            );
            return None;
        }
        self.check_keys(at, Object::Operation);
        let name = match self
            .str_field(at, "name")
            .or_else(|| self.str_field(at, "id"))
        {
            Some(n) => n,
            None => {
                self.error(
                    at.loc(),
                    "an operation has neither `name` nor `id`; it cannot be called and is skipped",
                );
                return None;
            }
        };
        self.check_name(Name::Kebab, "operation name", &name, || at.key_loc("name"));
        let method = self.method(at, &name)?;
        let params = self.op_params(at, ctx);
        let names: HashSet<String> = params.iter().map(|(p, _)| p.name.clone()).collect();
        let scope = Scope { params: &names };
        let params: Vec<Param> = params
            .into_iter()
            .map(|(mut p, value)| {
                p.value = value.map(|v| self.template(&v, false, &scope));
                p
            })
            .collect();
        let path = self.path(at, ctx, &name, &params, &scope);
        let mut op = Operation {
            consumer: ctx.consumer_index,
            qualified: [ctx.namespace, ".", &name].concat().into(),
            namespace: ctx.namespace.to_string(),
            resource: ctx.resource.to_string(),
            name: name.clone(),
            method,
            description: self.str_field(at, "description"),
            segments: path.segments,
            appended: path.unplaced.clone(),
            params,
            body: None,
            output: OutputMap::Whole,
            format: crate::decode::Format::Json,
            unsupported: None,
            arg_names: Vec::new(),
            pagination: None,
            location: at.loc(),
        };
        if !path.unplaced.is_empty() {
            let list: Vec<String> = path.unplaced.iter().map(|p| format!("`{p}`")).collect();
            self.warn(
                at.loc(),
                format!(
                    "operation `{name}`: path parameter(s) {} have no placeholder in `{}`; appending them: {}",
                    list.join(", "),
                    path.text,
                    op.path_template()
                ),
            );
        }
        for u in &path.unfilled {
            self.warn(
                at.loc(),
                format!(
                    "operation `{name}`: placeholder `{{{u}}}` in `{}` is filled by no parameter; calls will be refused",
                    path.text
                ),
            );
        }
        self.op_body(at, &scope, &mut op);
        self.op_output(at, &mut op)?;
        if let Some(Auth::Unsupported { reason, .. }) = ctx.auth {
            op.unsupported = Some(reason.clone());
        }
        op.arg_names = arg_names(&op, ctx.base_uri);
        op.pagination = self.pagination(at, &op);
        Some(op)
    }

    /// The HTTP method (GET when not given); `None` (after an error) when it is not one.
    fn method(&mut self, at: At<'_>, name: &str) -> Option<Method> {
        let Some(m) = self.str_field(at, "method") else {
            return Some(Method::Get);
        };
        match Method::parse(&m) {
            Some(method) => {
                self.check_value(Value::Method, "method", &m, || at.key_loc("method"));
                Some(method)
            }
            None => {
                self.error(
                    at.key_loc("method"),
                    format!("operation `{name}` has unknown HTTP method `{m}`; it is skipped"),
                );
                None
            }
        }
    }

    /// Parameters: consumer-level, resource-level, then the operation's own (a later
    /// declaration with the same name and location replaces an earlier one).
    fn op_params(&mut self, at: At<'_>, ctx: &OpContext<'_>) -> Vec<(Param, Option<String>)> {
        let own = match at.node.get("inputParameters") {
            Some(p) => self.param_nodes(At {
                file: at.file,
                node: p,
                path: &join(at.path, "inputParameters"),
            }),
            None => Vec::new(),
        };
        let mut raw_params: Vec<(Param, Option<String>)> = Vec::new();
        for p in ctx
            .consumer_params
            .iter()
            .chain(ctx.resource_params.iter())
            .chain(own.iter())
        {
            if let Some(existing) = raw_params
                .iter_mut()
                .find(|(e, _)| e.name == p.0.name && e.location == p.0.location)
            {
                *existing = p.clone();
            } else {
                raw_params.push(p.clone());
            }
        }
        raw_params
    }

    /// Path: the resource path, the operation's own `path` (seen in the wild), then any
    /// declared path parameter that has no placeholder, appended in declaration order.
    fn path(
        &mut self,
        at: At<'_>,
        ctx: &OpContext<'_>,
        name: &str,
        params: &[Param],
        scope: &Scope<'_>,
    ) -> PathParts {
        let mut text = ctx.resource_path.to_string();
        if let Some(extra) = self.str_field(at, "path") {
            join_path(&mut text, &extra);
        }
        // Glued to the base URI as written, `users/me` would extend its last segment or even
        // its host or port (`http://h:8080users/me`).
        if !text.is_empty() && !text.starts_with('/') {
            self.warn(
                at.loc(),
                format!("operation `{name}`: path `{text}` does not start with `/`; sending it as `/{text}`"),
            );
            text.insert(0, '/');
        }
        let mut segments = Vec::new();
        let mut placed: HashSet<String> = HashSet::new();
        let mut unfilled = Vec::new();
        for part in template::split(&text, true) {
            match part {
                RawPart::Lit(s) => {
                    segments.push(Segment::Lit(crate::encode::encode_literal_path(&s)))
                }
                RawPart::Var(raw) => {
                    let var = self.resolve(&raw, scope);
                    let declared_path = params
                        .iter()
                        .any(|p| p.name == var.name() && p.location == ParamIn::Path);
                    if ctx.auth_path_key == Some(raw.text.as_str()) {
                        if let Some(Auth::ApiKey { value, .. }) = ctx.auth {
                            match value.as_single_var() {
                                Some(v) => segments.push(Segment::Var(v.clone())),
                                None => segments.push(Segment::Lit(
                                    crate::encode::encode_literal_path(&render_literal(value)),
                                )),
                            }
                        }
                    } else if declared_path || var.is_secret() || scope.params.contains(var.name())
                    {
                        placed.insert(var.name().to_string());
                        segments.push(Segment::Var(var));
                    } else {
                        unfilled.push(raw.text.clone());
                        segments.push(Segment::Unfilled(raw.text));
                    }
                }
            }
        }
        let unplaced: Vec<String> = params
            .iter()
            .filter(|p| p.location == ParamIn::Path && !placed.contains(&p.name))
            .map(|p| p.name.clone())
            .collect();
        for name in &unplaced {
            // `/datasource/` + `id` is `/datasource/{id}`, not `/datasource//{id}`.
            if !matches!(segments.last(), Some(Segment::Lit(l)) if l.ends_with('/')) {
                segments.push(Segment::Lit("/".into()));
            }
            segments.push(Segment::Var(Var::Arg(name.clone())));
        }
        PathParts {
            text,
            segments,
            unplaced,
            unfilled,
        }
    }

    /// The request body: the `body` template, else the `in: body` parameters as an object.
    fn op_body(&mut self, at: At<'_>, scope: &Scope<'_>, op: &mut Operation) {
        let body_params = op
            .params
            .iter()
            .filter(|p| p.location == ParamIn::Body)
            .count();
        if let Some(body) = at.node.get("body") {
            let p = join(at.path, "body");
            op.body = self.body(
                At {
                    file: at.file,
                    node: body,
                    path: &p,
                },
                scope,
                &op.name,
                &mut op.unsupported,
            );
            if body_params > 0 && op.body.is_some() {
                self.warn(
                    at.key_loc("body"),
                    format!("operation `{}` has both a `body` template and `in: body` parameters; the template is sent and the parameters fill its variables", op.name),
                );
            }
        } else if body_params > 0 {
            op.body = Some(BodySpec::Params);
        }
    }

    /// The response format and output mapping; `None` when the mapping is fatally wrong.
    fn op_output(&mut self, at: At<'_>, op: &mut Operation) -> Option<()> {
        if let Some(fmt) = self.str_field(at, "outputRawFormat") {
            op.format = crate::decode::Format::parse(&fmt);
            if let Some(schema) = at.node.get("outputSchema").and_then(|n| n.scalar_text()) {
                op.format.set_schema(schema);
            }
            if !op.format.is_decoded() {
                self.note(
                    at.key_loc("outputRawFormat"),
                    format!("not supported yet: operation `{}` declares outputRawFormat `{fmt}`; its requests can be prepared, but responses cannot be mapped (use raw output)", op.name),
                );
            }
        }
        if let Some(outputs) = at.node.get("outputParameters") {
            let p = join(at.path, "outputParameters");
            op.output = self.outputs(At {
                file: at.file,
                node: outputs,
                path: &p,
            })?;
        }
        Some(())
    }
}

/// The names a call may pass: declared parameters (not environment ones) and every argument
/// a template refers to (path, base URI, parameter values, body), sorted and deduplicated.
fn arg_names(op: &Operation, base_uri: &Template) -> Vec<String> {
    let mut args: Vec<String> = op
        .params
        .iter()
        .filter(|p| p.location != ParamIn::Environment)
        .map(|p| p.name.clone())
        .collect();
    let mut push = |v: &Var| {
        if let Var::Arg(n) = v {
            args.push(n.clone());
        }
    };
    for s in &op.segments {
        if let Segment::Var(v) = s {
            push(v);
        }
    }
    base_uri.vars().for_each(&mut push);
    for p in &op.params {
        if let Some(t) = &p.value {
            t.vars().for_each(&mut push);
        }
    }
    if let Some(b) = &op.body {
        b.visit_vars(&mut push);
    }
    args.sort();
    args.dedup();
    args
}

/// What an operation takes from its consumer and resource.
pub(super) struct OpContext<'a> {
    pub(super) consumer_index: usize,
    pub(super) namespace: &'a str,
    pub(super) resource: &'a str,
    pub(super) resource_path: &'a str,
    pub(super) consumer_params: &'a [(Param, Option<String>)],
    pub(super) resource_params: &'a [(Param, Option<String>)],
    pub(super) auth: Option<&'a Auth>,
    pub(super) auth_path_key: Option<&'a str>,
    pub(super) base_uri: &'a Template,
}

/// Appends an operation's own path to its resource's, with one `/` between them whichever
/// of the two writes it (`/datasource/` + `/{id}` is `/datasource/{id}`).
fn join_path(text: &mut String, extra: &str) {
    match (text.ends_with('/'), extra.starts_with('/')) {
        (true, true) => text.push_str(&extra[1..]),
        (false, false) if !text.is_empty() && !extra.is_empty() => {
            text.push('/');
            text.push_str(extra);
        }
        _ => text.push_str(extra),
    }
}
