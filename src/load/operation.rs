//! One consumed operation: method, parameters, path, body, output and the names a call
//! may pass.

use std::collections::HashSet;

use super::dialect::render_literal;
use super::schema::is_kebab;
use super::{join, At, Loader, Scope};
use crate::map::OutputMap;
use crate::spec::template::{self, RawPart, Template, Var};
use crate::spec::{Auth, BodySpec, Method, Operation, Param, ParamIn, Segment};

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
        self.check_keys(
            at,
            &[
                "name",
                "method",
                "label",
                "description",
                "inputParameters",
                "outputRawFormat",
                "outputSchema",
                "outputParameters",
                "body",
            ],
            "a consumed operation",
        );
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
        if !is_kebab(&name) {
            deviation!(
                self,
                at.key_loc("name"),
                format!("operation name `{name}` should match ^[a-zA-Z0-9-]+$"),
            );
        }
        let method = match self.str_field(at, "method") {
            None => Method::Get,
            Some(m) => match Method::parse(&m) {
                Some(method) => {
                    if !matches!(
                        method,
                        Method::Get | Method::Post | Method::Put | Method::Patch | Method::Delete
                    ) || m != method.as_str()
                    {
                        deviation!(
                            self,
                            at.key_loc("method"),
                            format!("method `{m}` is not one of GET, POST, PUT, PATCH, DELETE"),
                        );
                    }
                    method
                }
                None => {
                    self.error(
                        at.key_loc("method"),
                        format!("operation `{name}` has unknown HTTP method `{m}`; it is skipped"),
                    );
                    return None;
                }
            },
        };

        // Parameters: consumer-level, resource-level, then the operation's own (a later
        // declaration with the same name and location replaces an earlier one).
        let own = match node.get("inputParameters") {
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
        let names: HashSet<String> = raw_params.iter().map(|(p, _)| p.name.clone()).collect();
        let scope = Scope { params: &names };
        let params: Vec<Param> = raw_params
            .into_iter()
            .map(|(mut p, value)| {
                p.value = value.map(|v| self.template(&v, false, &scope));
                p
            })
            .collect();

        // Path: the resource path, the operation's own `path` (seen in the wild), then any
        // declared path parameter that has no placeholder, appended in declaration order.
        let mut path_text = ctx.resource_path.to_string();
        if let Some(extra) = self.str_field(at, "path") {
            path_text.push_str(&extra);
        }
        // Glued to the base URI as written, `users/me` would extend its last segment or even
        // its host or port (`http://h:8080users/me`).
        if !path_text.is_empty() && !path_text.starts_with('/') {
            self.warn(
                at.loc(),
                format!("operation `{name}`: path `{path_text}` does not start with `/`; sending it as `/{path_text}`"),
            );
            path_text.insert(0, '/');
        }
        let mut segments = Vec::new();
        let mut placed: HashSet<String> = HashSet::new();
        let mut unfilled = Vec::new();
        for part in template::split(&path_text, true) {
            match part {
                RawPart::Lit(s) => {
                    segments.push(Segment::Lit(crate::prepare::encode_literal_path(&s)))
                }
                RawPart::Var(raw) => {
                    let var = self.resolve(&raw, &scope);
                    let declared_path = params
                        .iter()
                        .any(|p| p.name == var.name() && p.location == ParamIn::Path);
                    if ctx.auth_path_key == Some(raw.text.as_str()) {
                        if let Some(Auth::ApiKey { value, .. }) = ctx.auth {
                            match value.as_single_var() {
                                Some(v) => segments.push(Segment::Var(v.clone())),
                                None => segments.push(Segment::Lit(
                                    crate::prepare::encode_literal_path(&render_literal(value)),
                                )),
                            }
                        }
                    } else if declared_path || var.is_secret() || names.contains(var.name()) {
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
            segments.push(Segment::Lit("/".into()));
            segments.push(Segment::Var(Var::Arg(name.clone())));
        }
        let mut op = Operation {
            consumer: ctx.consumer_index,
            qualified: format!("{}.{}", ctx.namespace, name).into(),
            namespace: ctx.namespace.to_string(),
            resource: ctx.resource.to_string(),
            name: name.clone(),
            method,
            description: self.str_field(at, "description"),
            segments,
            params,
            body: None,
            output: OutputMap::Whole,
            format: "json".into(),
            unsupported: None,
            arg_names: Vec::new(),
            location: at.loc(),
        };
        if !unplaced.is_empty() {
            let list: Vec<String> = unplaced.iter().map(|p| format!("`{p}`")).collect();
            self.warn(
                at.loc(),
                format!(
                    "operation `{name}`: path parameter(s) {} have no placeholder in `{path_text}`; appending them: {}",
                    list.join(", "),
                    op.path_template()
                ),
            );
        }
        for u in &unfilled {
            self.warn(
                at.loc(),
                format!("operation `{name}`: placeholder `{{{u}}}` in `{path_text}` is filled by no parameter; calls will be refused"),
            );
        }

        // Body.
        let body_params = op
            .params
            .iter()
            .filter(|p| p.location == ParamIn::Body)
            .count();
        if let Some(body) = node.get("body") {
            let p = join(at.path, "body");
            op.body = self.body(
                At {
                    file: at.file,
                    node: body,
                    path: &p,
                },
                &scope,
                &name,
                &mut op.unsupported,
            );
            if body_params > 0 && op.body.is_some() {
                self.warn(
                    at.key_loc("body"),
                    format!("operation `{name}` has both a `body` template and `in: body` parameters; the template is sent and the parameters fill its variables"),
                );
            }
        } else if body_params > 0 {
            op.body = Some(BodySpec::Params);
        }

        // Output.
        if let Some(fmt) = self.str_field(at, "outputRawFormat") {
            op.format = fmt.to_ascii_lowercase();
            if !crate::map::supports_format(&op.format) {
                self.note(
                    at.key_loc("outputRawFormat"),
                    format!("not supported yet: operation `{name}` declares outputRawFormat `{fmt}`; its requests can be prepared, but responses cannot be mapped (use raw output)"),
                );
            }
        }
        if let Some(outputs) = node.get("outputParameters") {
            let p = join(at.path, "outputParameters");
            op.output = self.outputs(At {
                file: at.file,
                node: outputs,
                path: &p,
            })?;
        }
        if let Some(Auth::Unsupported { reason, .. }) = ctx.auth {
            op.unsupported = Some(reason.clone());
        }

        // The names a call may pass.
        let mut args: Vec<String> = op
            .params
            .iter()
            .filter(|p| p.location != ParamIn::Environment)
            .map(|p| p.name.clone())
            .collect();
        let mut template_args = Vec::new();
        for s in &op.segments {
            if let Segment::Var(Var::Arg(n)) = s {
                template_args.push(n.clone());
            }
        }
        for v in ctx.base_uri.vars() {
            if let Var::Arg(n) = v {
                template_args.push(n.clone());
            }
        }
        for p in &op.params {
            if let Some(t) = &p.value {
                template_args.extend(t.vars().filter_map(|v| match v {
                    Var::Arg(n) => Some(n.clone()),
                    _ => None,
                }));
            }
        }
        if let Some(b) = &op.body {
            b.visit_vars(&mut |v| {
                if let Var::Arg(n) = v {
                    template_args.push(n.clone());
                }
            });
        }
        args.extend(template_args);
        args.sort();
        args.dedup();
        op.arg_names = args;
        Some(op)
    }
}

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
