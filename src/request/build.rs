//! The pure `prepare`: an operation and its arguments in, a [`PreparedRequest`] out.
//!
//! The steps run in the order their errors are reported: the arguments (names, required,
//! types) before anything else, then the URL, the parameters, the credentials and the body.

use std::borrow::Cow;
use std::sync::OnceLock;

use percent_encoding::{utf8_percent_encode, AsciiSet};
use serde_json::{Map, Value};

use super::{
    Body, Extras, FormPart, Multipart, PrepareError, PreparedRequest, Span, Spots, Unset, UNKNOWN,
};
use crate::auth::{self, Draft, Placed};
use crate::bind::Binds;
use crate::encode::{self, COMPONENT};
use crate::secret::{self, Secret, REDACTED};
use crate::spec::template::Part;
use crate::spec::{
    closest, BodySpec, Consumer, JsonTemplate, Operation, ParamIn, ParamType, PartSpec, Segment,
    Template, Var,
};

/// Builds the request for `op` with `args`, plus what the caller adds (`extras`).
pub(crate) fn prepare(
    op: &Operation,
    consumer: &Consumer,
    base_override: Option<&str>,
    args: Args<'_>,
    binds: &Binds,
    unset: Unset,
    extras: Extras<'_>,
) -> Result<PreparedRequest, PrepareError> {
    let args = check_args(op, args, extras)?;
    let mut ctx = Ctx {
        qualified: &op.qualified,
        args,
        binds,
        unset,
        secrets: Vec::new(),
        spans: Vec::new(),
    };
    let mut spots = Spots::default();
    let url = url(
        &mut ctx,
        &mut spots,
        op,
        consumer,
        base_override,
        extras.path,
    )?;
    let mut b = Builder {
        ctx,
        url,
        spots,
        query: Vec::new(),
        headers: Vec::with_capacity(4),
        cookies: Vec::new(),
        body_values: Vec::new(),
        body_field: None,
        rendered: Vec::new(),
    };
    b.params(op)?;
    if let Some(auth) = &consumer.auth {
        auth::apply(auth, &mut b)?;
    }
    b.extras(extras)?;
    b.finish_query_and_cookies();
    let Builder {
        mut ctx,
        url,
        mut spots,
        headers,
        body_values,
        body_field,
        ..
    } = b;
    let used = ctx.spans.len();
    spots.body |= body_field.is_some();
    let body = match extras.body {
        Some(v) => Some(Body::Json(v.clone())),
        None => body(&mut ctx, op.body.as_ref(), body_values)?,
    };
    spots.body |= ctx.spans.len() > used;
    let body = add_body_field(ctx.qualified, body, body_field)?;
    Ok(PreparedRequest {
        operation: op.qualified.clone(),
        index: usize::MAX,
        method: op.method,
        url,
        headers,
        body,
        secrets: ctx.secrets,
        spots,
        redaction: OnceLock::new(),
    })
}

/// Builds a forwarded request (`forward` on a REST adapter) to `consumer`: its base URI,
/// then `path` (the rest of the inbound path, already percent-encoded as received) and the
/// inbound `query` as received, then the consumer's own parameters with values and its
/// authentication. `headers` are the trusted inbound headers; a header the consumer sets
/// replaces one of the same name. The body is streamed by the caller, not built here.
#[allow(clippy::too_many_arguments)]
pub(crate) fn prepare_forward(
    label: &std::sync::Arc<str>,
    consumer: &Consumer,
    base_override: Option<&str>,
    method: crate::spec::Method,
    path: &str,
    query: Option<&str>,
    headers: Vec<(String, String)>,
    binds: &Binds,
) -> Result<PreparedRequest, PrepareError> {
    let mut ctx = Ctx {
        qualified: label,
        args: ArgMap::Pairs(&[]),
        binds,
        unset: Unset::Fail,
        secrets: Vec::new(),
        spans: Vec::new(),
    };
    let mut spots = Spots::default();
    let mut url = match base_override {
        Some(base) => base.trim_end_matches('/').to_string(),
        None => {
            let base = base_uri(&mut ctx, consumer)?;
            spots.url.append(&mut ctx.spans);
            base
        }
    };
    for seg in path.split('/').filter(|s| !s.is_empty()) {
        let decoded = percent_encoding::percent_decode_str(seg).decode_utf8_lossy();
        check_segment(label, "path", &decoded)?;
        url.push('/');
        url.push_str(seg);
    }
    if path.ends_with('/') && !path.trim_matches('/').is_empty() {
        url.push('/');
    }
    if let Some(q) = query.filter(|q| !q.is_empty()) {
        url.push('?');
        url.push_str(q);
    }
    let mut b = Builder {
        ctx,
        url,
        spots,
        query: Vec::new(),
        headers: Vec::with_capacity(4),
        cookies: Vec::new(),
        body_values: Vec::new(),
        body_field: None,
        rendered: Vec::new(),
    };
    b.consumer_params(consumer)?;
    if let Some(auth) = &consumer.auth {
        auth::apply(auth, &mut b)?;
    }
    b.finish_query_and_cookies();
    if b.body_field.is_some() {
        return Err(PrepareError::Unsupported {
            operation: label.to_string(),
            reason: "its credential goes in a body field, which a forwarded body cannot carry"
                .into(),
        });
    }
    let Builder {
        ctx,
        url,
        mut spots,
        headers: own,
        ..
    } = b;
    let mut all: Vec<(String, String)> = headers
        .into_iter()
        .filter(|(k, _)| !own.iter().any(|(o, _)| o.eq_ignore_ascii_case(k)))
        .collect();
    // The consumer's own headers go after the inbound ones: their spots move with them.
    for (i, _) in &mut spots.headers {
        *i += all.len();
    }
    all.extend(own);
    Ok(PreparedRequest {
        operation: label.clone(),
        index: usize::MAX,
        method,
        url,
        headers: all,
        body: None,
        secrets: ctx.secrets,
        spots,
        redaction: OnceLock::new(),
    })
}

/// Step 1: the arguments as an object, checked before anything else (no unknown name, every
/// required one given, each of its declared type), then whether the operation can be
/// called at all. `null` counts as no arguments.
fn check_args<'a>(
    op: &Operation,
    args: Args<'a>,
    extras: Extras<'_>,
) -> Result<ArgMap<'a>, PrepareError> {
    let qualified: &str = &op.qualified;
    let args = match args {
        Args::Json(Value::Object(m)) => ArgMap::Json(m),
        Args::Json(Value::Null) => ArgMap::Pairs(&[]),
        Args::Pairs(pairs) => ArgMap::Pairs(pairs),
        Args::Json(other) => {
            return Err(PrepareError::NotAnObject {
                operation: qualified.to_string(),
                found: match other {
                    Value::Array(_) => "an array",
                    Value::String(_) => "a string",
                    Value::Number(_) => "a number",
                    _ => "a boolean",
                },
            })
        }
    };
    for name in args.names() {
        if op
            .arg_names
            .binary_search_by(|n| n.as_str().cmp(name))
            .is_err()
        {
            return Err(PrepareError::UnknownArgument {
                operation: qualified.to_string(),
                name: name.to_string(),
                suggestion: closest(name, op.arg_names.iter().map(String::as_str)),
                accepted: op.arg_names.clone(),
            });
        }
    }
    let missing: Vec<String> = op
        .params
        .iter()
        .filter(|p| p.required && p.value.is_none() && p.location != ParamIn::Environment)
        .filter(|p| args.get(&p.name).is_none_or(Value::is_null))
        .map(|p| p.name.clone())
        .collect();
    if !missing.is_empty() {
        return Err(PrepareError::MissingArguments {
            operation: qualified.to_string(),
            names: missing,
        });
    }
    for p in &op.params {
        if let Some(v) = args.get(&p.name).filter(|v| !v.is_null()) {
            if !type_matches(p.ty, v) {
                return Err(PrepareError::WrongType {
                    operation: qualified.to_string(),
                    name: p.name.clone(),
                    expected: p.ty,
                    found: describe_value(v),
                });
            }
        }
    }
    if extras.preview {
        return Ok(args);
    }
    if let Some(reason) = &op.unsupported {
        return Err(PrepareError::Unsupported {
            operation: qualified.to_string(),
            reason: reason.clone(),
        });
    }
    let unfilled = op.unfilled_placeholders();
    if let Some(placeholder) = unfilled
        .iter()
        .find(|p| !extras.path.iter().any(|(n, _)| n == *p))
    {
        return Err(PrepareError::UnfilledPlaceholder {
            operation: qualified.to_string(),
            placeholder: placeholder.to_string(),
            location: op.location.to_string(),
        });
    }
    Ok(args)
}

/// A call's arguments as given: a JSON value (an object, or `null` for none), or name/value
/// pairs ([`crate::Runtime::call_args`]: no map to build, no key to hash).
#[derive(Clone, Copy)]
pub(crate) enum Args<'a> {
    Json(&'a Value),
    Pairs(&'a [(&'a str, Value)]),
}

/// The arguments once checked to be an object (or pairs).
#[derive(Clone, Copy)]
enum ArgMap<'a> {
    Json(&'a Map<String, Value>),
    /// A name given twice counts once, with its last value (as in a JSON object).
    Pairs(&'a [(&'a str, Value)]),
}

impl<'a> ArgMap<'a> {
    fn get(self, name: &str) -> Option<&'a Value> {
        match self {
            ArgMap::Json(m) => m.get(name),
            ArgMap::Pairs(pairs) => pairs.iter().rev().find(|(k, _)| *k == name).map(|(_, v)| v),
        }
    }

    fn names(self) -> impl Iterator<Item = &'a str> {
        let (json, pairs) = match self {
            ArgMap::Json(m) => (Some(m), None),
            ArgMap::Pairs(pairs) => (None, Some(pairs)),
        };
        let json = json.into_iter().flat_map(|m| m.keys().map(String::as_str));
        json.chain(pairs.into_iter().flatten().map(|(k, _)| *k))
    }
}

/// Step 2: the base URI (the runtime's override, or the consumer's, rendered), then the
/// path, each variable percent-encoded as exactly one segment.
fn url(
    ctx: &mut Ctx<'_>,
    spots: &mut Spots,
    op: &Operation,
    consumer: &Consumer,
    base_override: Option<&str>,
    filled: &[(String, String)],
) -> Result<String, PrepareError> {
    let mut url = match base_override {
        Some(base) => {
            // Room for the path, so it is written without growing.
            let base = base.trim_end_matches('/');
            let mut url = String::with_capacity(base.len() + 96);
            url.push_str(base);
            url
        }
        None => {
            let base = base_uri(ctx, consumer)?;
            // The secrets substituted into the base URI, where they are (the trailing `/`
            // trimmed may have cut one short).
            let spans = ctx.spans.drain(..).filter(|(r, _)| r.start < base.len());
            spots
                .url
                .extend(spans.map(|(r, i)| (r.start..r.end.min(base.len()), i)));
            spots.named = named_binds(consumer, &ctx.secrets, &spots.url);
            base
        }
    };
    for seg in &op.segments {
        match seg {
            Segment::Lit(text) => url.push_str(text),
            Segment::Var(Var::Arg(name)) => {
                let value = ctx.arg(name).map(scalar_text);
                let Some(value) = value else {
                    return Err(PrepareError::MissingArguments {
                        operation: ctx.qualified.to_string(),
                        names: vec![name.clone()],
                    });
                };
                check_segment(ctx.qualified, name, &value)?;
                url.extend(encode::component(&value));
            }
            Segment::Var(var) => {
                let s = ctx.secret(var, &|| "a path segment".to_string())?;
                check_segment(ctx.qualified, var.name(), s.expose())?;
                let start = url.len();
                url.extend(encode::component(s.expose()));
                spots.url.push((start..url.len(), ctx.index_of(s.expose())));
            }
            Segment::Unfilled(name) => {
                // `check_args` made sure the caller filled it, unless this is a preview.
                match filled.iter().find(|(n, _)| n == name) {
                    Some((_, value)) => {
                        check_segment(ctx.qualified, name, value)?;
                        url.extend(encode::component(value));
                    }
                    None => {
                        url.push('{');
                        url.push_str(name);
                        url.push('}');
                    }
                }
            }
        }
    }
    Ok(url)
}

/// The secrets at `spans` of the base URI that are shown by name: those of its variables
/// that no credential of the consumer uses (a host name, a region), so not secret.
fn named_binds(consumer: &Consumer, secrets: &[Secret], spans: &[Span]) -> Vec<usize> {
    let mut credential_vars: Vec<String> = Vec::new();
    if let Some(a) = &consumer.auth {
        auth::templates(a, &mut |t| {
            credential_vars.extend(t.vars().map(|v| v.name().to_string()))
        });
    }
    let base_vars: Vec<&str> = consumer.base_uri.vars().map(Var::name).collect();
    spans
        .iter()
        .map(|(_, i)| *i)
        .filter(|i| {
            secrets.get(*i).is_some_and(|s| {
                base_vars.contains(&s.name()) && !credential_vars.iter().any(|c| c == s.name())
            })
        })
        .collect()
}

/// The consumer's base URI, its variables filled in, without a trailing `/`.
fn base_uri(ctx: &mut Ctx<'_>, consumer: &Consumer) -> Result<String, PrepareError> {
    if let Some(problem) = &consumer.base_uri_problem {
        return Err(PrepareError::BaseUri {
            operation: ctx.qualified.to_string(),
            message: problem.clone(),
        });
    }
    let ns = consumer.namespace.as_str();
    let base = ctx.render(
        &consumer.base_uri,
        &|| format!("the base URI of namespace `{ns}`"),
        Some(COMPONENT),
    )?;
    let base = base.trim_end_matches('/').to_string();
    // A dry run's placeholders need not form a valid URL; real values must.
    if !consumer.base_uri.is_literal() && ctx.unset == Unset::Fail {
        if let Err(message) = super::check_base_uri(&base) {
            return Err(PrepareError::BaseUri {
                operation: ctx.qualified.to_string(),
                message: secret::redact(&message, &ctx.secrets).into_owned(),
            });
        }
    }
    Ok(base)
}

/// The request between step 2 and step 5: the URL so far, and the query, headers, cookies
/// and body values that steps 3 and 4 add. Values are borrowed from the operation and the
/// arguments wherever they can be.
struct Builder<'a> {
    ctx: Ctx<'a>,
    url: String,
    /// Where secrets were written so far.
    spots: Spots,
    /// Query pairs, each with the secret its value is (`UNKNOWN`: holds one among other
    /// text), if any.
    query: Vec<(Cow<'a, str>, Cow<'a, str>, Option<usize>)>,
    headers: Vec<(String, String)>,
    /// Cookies (value encoded), each with the secret its value is, if any (as `query`).
    cookies: Vec<(Cow<'a, str>, String, Option<usize>)>,
    /// `in: body` parameters, for a body built from parameters.
    body_values: Vec<(&'a str, ParamType, Value)>,
    /// A credential that goes in a field of the JSON body.
    body_field: Option<(String, String)>,
    /// What the authentication scheme rendered, with where its secrets are.
    rendered: Vec<(String, Vec<Span>)>,
}

impl<'a> Builder<'a> {
    /// A consumer's own parameters that have a value (a forwarded request's extra query
    /// pairs, headers and cookies).
    fn consumer_params(&mut self, consumer: &'a Consumer) -> Result<(), PrepareError> {
        for p in &consumer.params {
            let Some(t) = &p.value else { continue };
            let (loc, name) = (p.location.as_str(), &p.name);
            let used = self.ctx.spans.len();
            let text = self
                .ctx
                .render(t, &|| format!("the {loc} parameter `{name}`"), None)?;
            let secret = (self.ctx.spans.len() > used).then(|| self.ctx.index_of(&text));
            let spans: Vec<Span> = self.ctx.spans.drain(used..).collect();
            match p.location {
                ParamIn::Query => {
                    self.query
                        .push((Cow::Borrowed(&p.name), Cow::Owned(text), secret))
                }
                ParamIn::Header => {
                    check_header(self.ctx.qualified, &p.name, &text)?;
                    let at = self.headers.len();
                    (self.spots.headers).extend(spans.into_iter().map(|span| (at, span)));
                    self.headers.push((p.wire_name.clone(), text));
                }
                ParamIn::Cookie => {
                    self.cookies
                        .push((Cow::Borrowed(&p.name), encode::cookie(&text), secret))
                }
                ParamIn::Path | ParamIn::Environment | ParamIn::Body => {}
            }
        }
        Ok(())
    }

    /// Step 3: the query, header, cookie and body parameters, given or defaulted.
    fn params(&mut self, op: &'a Operation) -> Result<(), PrepareError> {
        for p in &op.params {
            if matches!(p.location, ParamIn::Path | ParamIn::Environment) {
                continue;
            }
            let used = self.ctx.spans.len();
            let text: Cow<'a, str> = match (self.ctx.arg(&p.name), &p.value) {
                (Some(Value::Array(items)), _) if p.location == ParamIn::Query => {
                    for item in items.iter().filter(|i| !i.is_null()) {
                        self.query
                            .push((Cow::Borrowed(&p.name), scalar_text(item), None));
                    }
                    continue;
                }
                (Some(v), _) if p.location == ParamIn::Body => {
                    self.body_values.push((&p.name, p.ty, v.clone()));
                    continue;
                }
                (Some(v), _) => scalar_text(v),
                (None, Some(t)) => {
                    let (loc, name) = (p.location.as_str(), &p.name);
                    let rendered =
                        self.ctx
                            .render(t, &|| format!("the {loc} parameter `{name}`"), None)?;
                    if p.location == ParamIn::Body {
                        self.spots.body |= self.ctx.spans.len() > used;
                        self.ctx.spans.truncate(used);
                        self.body_values
                            .push((&p.name, p.ty, Value::String(rendered)));
                        continue;
                    }
                    Cow::Owned(rendered)
                }
                (None, None) => continue,
            };
            let secret = (self.ctx.spans.len() > used).then(|| self.ctx.index_of(&text));
            // A header value is sent as rendered, so the spans stay where they are.
            let spans: Vec<_> = self.ctx.spans.drain(used..).collect();
            match p.location {
                ParamIn::Query => self.query.push((Cow::Borrowed(&p.name), text, secret)),
                ParamIn::Header => {
                    check_header(self.ctx.qualified, &p.name, &text)?;
                    let at = self.headers.len();
                    (self.spots.headers).extend(spans.into_iter().map(|span| (at, span)));
                    self.headers.push((p.wire_name.clone(), text.into_owned()));
                }
                ParamIn::Cookie => {
                    let encoded = encode::cookie(&text);
                    self.cookies.push((Cow::Borrowed(&p.name), encoded, secret));
                }
                ParamIn::Path | ParamIn::Environment | ParamIn::Body => {}
            }
        }
        Ok(())
    }

    /// The caller's own headers (names in lower case, as the operation's), each replacing
    /// any header of that name (the credential's too), and query pairs.
    fn extras(&mut self, extras: Extras<'a>) -> Result<(), PrepareError> {
        for (name, value) in extras.headers {
            check_header(self.ctx.qualified, name, value)?;
            let name = name.to_ascii_lowercase();
            while let Some(i) = self.headers.iter().position(|(k, _)| *k == name) {
                self.remove_header(i);
            }
            self.headers.push((name, value.clone()));
        }
        for (name, value) in extras.query {
            self.query
                .push((Cow::Borrowed(name), Cow::Borrowed(value), None));
        }
        Ok(())
    }

    /// Removes header `i`, and the record of where its secrets were.
    fn remove_header(&mut self, i: usize) {
        self.headers.remove(i);
        self.spots.headers.retain(|(h, _)| *h != i);
        for (h, _) in &mut self.spots.headers {
            if *h > i {
                *h -= 1;
            }
        }
    }

    /// Appends the query to the URL and joins the cookies into one header.
    fn finish_query_and_cookies(&mut self) {
        let url = &mut self.url;
        if !self.query.is_empty() {
            url.push(if url.contains('?') { '&' } else { '?' });
            for (i, (k, v, secret)) in self.query.iter().enumerate() {
                if i > 0 {
                    url.push('&');
                }
                url.extend(encode::component(k));
                url.push('=');
                let start = url.len();
                url.extend(encode::component(v));
                if let Some(secret) = secret {
                    self.spots.url.push((start..url.len(), *secret));
                }
            }
        }
        if !self.cookies.is_empty() {
            let mut joined = String::new();
            let mut spans = Vec::new();
            for (k, v, secret) in &self.cookies {
                if !joined.is_empty() {
                    joined.push_str("; ");
                }
                joined.push_str(k);
                joined.push('=');
                let start = joined.len();
                joined.push_str(v);
                if let Some(secret) = secret {
                    spans.push((start..joined.len(), *secret));
                }
            }
            let at = self.headers.len();
            (self.spots.headers).extend(spans.into_iter().map(|span| (at, span)));
            self.headers.push(("cookie".into(), joined));
        }
    }
}

impl Builder<'_> {
    /// Where the secret is in a credential header a scheme placed: the whole value (an API
    /// key), or what follows an authorization scheme's name (`Bearer …`, `Basic …`); else
    /// the whole value, redacted by value.
    fn credential_span(&self, value: &str) -> Span {
        let whole = self.ctx.index_of(value);
        if whole != UNKNOWN {
            return (0..value.len(), whole);
        }
        if let Some((scheme, rest)) = value.split_once(' ') {
            let index = self.ctx.index_of(rest);
            if index != UNKNOWN {
                return (scheme.len() + 1..value.len(), index);
            }
        }
        (0..value.len(), UNKNOWN)
    }
}

/// Step 4: what an authentication scheme (`crate::auth`) sees of the request being built.
impl Draft for Builder<'_> {
    type Error = PrepareError;

    fn render(&mut self, t: &Template, usage: &dyn Fn() -> String) -> Result<String, PrepareError> {
        // What a scheme renders is a credential: `place` marks where it goes, `guard`
        // reads where its secrets are.
        // A credential that is one bound variable (the common API key): its value, with no
        // spans to record (`guard` has nothing to do for an exact secret).
        if let [Part::Var(var)] = &t.parts[..] {
            if !matches!(var, Var::Arg(_)) {
                return Ok(self.ctx.secret(var, usage)?.expose().to_string());
            }
        }
        let used = self.ctx.spans.len();
        let text = self.ctx.render(t, usage, None)?;
        // Exactly one bound secret: `guard` has nothing to do for it, so nothing to keep.
        if let [(range, index)] = &self.ctx.spans[used..] {
            let whole = *range == (0..text.len());
            if whole
                && self
                    .ctx
                    .secrets
                    .get(*index)
                    .is_some_and(|s| s.expose() == text)
            {
                self.ctx.spans.truncate(used);
                return Ok(text);
            }
        }
        let spans = self.ctx.spans.drain(used..).collect();
        self.rendered.push((text.clone(), spans));
        Ok(text)
    }

    fn guard(&mut self, credential: &str) {
        // A credential that is exactly a bound secret is guarded already (the common case:
        // no spans to copy).
        if credential.is_empty() || self.ctx.secrets.iter().any(|s| s.expose() == credential) {
            return;
        }
        let spans = self.rendered.iter().rev().find(|(t, _)| t == credential);
        let spans = spans.map(|(_, s)| s.clone()).unwrap_or_default();
        self.ctx.guard_credential(credential, &spans);
    }

    fn shell(&self, value: &str) -> String {
        match self.ctx.secrets.iter().find(|s| s.expose() == value) {
            Some(s) => s.shell().to_string(),
            None => REDACTED.to_string(),
        }
    }

    fn add_secret(&mut self, secret: Secret) {
        self.ctx.secrets.push(secret);
    }

    fn check_header(&self, name: &str, value: &str) -> Result<(), PrepareError> {
        check_header(self.ctx.qualified, name, value)
    }

    fn place(&mut self, placed: Placed) {
        match placed {
            Placed::Header { name, value } => {
                let span = self.credential_span(&value);
                self.spots.headers.push((self.headers.len(), span));
                self.headers.push((name, value));
            }
            Placed::Query { name, value } => {
                let secret = self.ctx.index_of(&value);
                self.query
                    .push((Cow::Owned(name), Cow::Owned(value), Some(secret)));
            }
            Placed::Cookie { name, value } => {
                let secret = self.ctx.index_of(&value);
                let encoded = encode::cookie(&value);
                self.cookies.push((Cow::Owned(name), encoded, Some(secret)));
            }
            Placed::BodyField { name, value } => self.body_field = Some((name, value)),
        }
    }
}

/// Step 5: the body, from its template or from the `in: body` parameters.
fn body(
    ctx: &mut Ctx<'_>,
    spec: Option<&BodySpec>,
    values: Vec<(&str, ParamType, Value)>,
) -> Result<Option<Body>, PrepareError> {
    Ok(match spec {
        None => None,
        Some(BodySpec::Params) => body_from_params(values),
        Some(BodySpec::Json(t)) => render_json(ctx, t)?.map(Body::Json),
        Some(BodySpec::Text(t, content_type)) => Some(Body::Text {
            content_type,
            text: match *content_type {
                XML => ctx.render_escaped(t, escape_xml)?,
                SPARQL => ctx.render_escaped(t, escape_sparql)?,
                _ => ctx.render(t, &|| "the request body".to_string(), None)?,
            },
        }),
        Some(BodySpec::Form(fields)) => {
            let mut pairs = Vec::new();
            for (k, t) in fields {
                let v = ctx.render(t, &|| format!("the form field `{k}`"), None)?;
                pairs.push(format!(
                    "{}={}",
                    encode::component(k),
                    encode::component(&v)
                ));
            }
            Some(Body::Text {
                content_type: "application/x-www-form-urlencoded",
                text: pairs.join("&"),
            })
        }
        Some(BodySpec::Multipart(parts)) => {
            let rendered = multipart_parts(ctx, parts)?;
            Some(Body::Multipart(Multipart::new(ctx.qualified, rendered)?))
        }
    })
}

/// The parts of a `multipartForm` body. As in a JSON body, a part whose value needs an
/// argument the call does not pass is left out (a file name that does, is); a value that is
/// exactly one array argument becomes one part per element, as forms send several files.
fn multipart_parts(ctx: &mut Ctx<'_>, parts: &[PartSpec]) -> Result<Vec<FormPart>, PrepareError> {
    let unset = |ctx: &Ctx<'_>, t: &Template| {
        t.vars()
            .any(|v| matches!(v, Var::Arg(n) if ctx.arg(n).is_none()))
    };
    let mut rendered = Vec::with_capacity(parts.len());
    for p in parts {
        if unset(ctx, &p.value) {
            continue;
        }
        let usage = || format!("the multipart part `{}`", p.name);
        let filename = match &p.filename {
            Some(t) if !unset(ctx, t) => Some(ctx.render(t, &usage, None)?),
            _ => None,
        };
        let values = match p.value.as_single_var() {
            Some(Var::Arg(n)) => match ctx.arg(n) {
                Some(Value::Array(items)) => {
                    items.iter().map(|i| scalar_text(i).into_owned()).collect()
                }
                _ => vec![ctx.render(&p.value, &usage, None)?],
            },
            _ => vec![ctx.render(&p.value, &usage, None)?],
        };
        for value in values {
            rendered.push(FormPart {
                name: p.name.clone(),
                filename: filename.clone(),
                content_type: p.content_type.clone(),
                value,
            });
        }
    }
    Ok(rendered)
}

/// Inserts a credential into the JSON body (making one when there is none).
fn add_body_field(
    operation: &str,
    mut body: Option<Body>,
    field: Option<(String, String)>,
) -> Result<Option<Body>, PrepareError> {
    let Some((name, value)) = field else {
        return Ok(body);
    };
    let value = Value::String(value);
    match &mut body {
        Some(Body::Json(Value::Object(map))) => {
            map.insert(name, value);
        }
        None => {
            let mut map = Map::new();
            map.insert(name, value);
            body = Some(Body::Json(Value::Object(map)));
        }
        Some(_) => {
            return Err(PrepareError::Unsupported {
                operation: operation.to_string(),
                reason: "an API key placed in the body needs a JSON object body".into(),
            })
        }
    }
    Ok(body)
}

/// What rendering needs: the call's arguments and binds, and the secrets used so far.
struct Ctx<'a> {
    qualified: &'a str,
    args: ArgMap<'a>,
    binds: &'a Binds,
    unset: Unset,
    secrets: Vec<Secret>,
    /// Where `render` wrote a secret into its output, with the secret's index in `secrets`;
    /// each caller that keeps them takes them, the others truncate.
    spans: Vec<Span>,
}

impl<'a> Ctx<'a> {
    /// The index of the secret whose value is exactly `value`, else `UNKNOWN` (the value
    /// holds a secret among other text).
    fn index_of(&self, value: &str) -> usize {
        self.secrets
            .iter()
            .position(|s| s.expose() == value)
            .unwrap_or(UNKNOWN)
    }

    fn secret(&mut self, var: &Var, usage: &dyn Fn() -> String) -> Result<Secret, PrepareError> {
        let s = match self.binds.lookup(var, self.qualified, usage) {
            Ok(s) => s,
            Err(_) if self.unset == Unset::Placeholder => Binds::placeholder(var),
            Err(e) => return Err(e.into()),
        };
        if !self.secrets.contains(&s) {
            self.secrets.push(s.clone());
        }
        Ok(s)
    }

    /// Makes sure a credential is redacted wherever it shows. A credential that is not
    /// exactly one bound secret (written literally in the capability, or mixing text and
    /// variables) is registered as a secret of its own. Encoded forms (percent, cookie,
    /// JSON) of every secret are derived when the request is displayed.
    fn guard_credential(&mut self, text: &str, spans: &[Span]) {
        if text.is_empty() || self.secrets.iter().any(|s| s.expose() == text) {
            return;
        }
        // The shell expression rebuilds it from the variables where they were rendered;
        // literal text alone may be a secret written in the capability.
        let shell = if spans.is_empty() {
            REDACTED.to_string()
        } else {
            let mut shell = String::new();
            let mut at = 0;
            for (range, index) in spans {
                shell.push_str(&text[at..range.start]);
                shell.push_str(self.secrets.get(*index).map_or(REDACTED, |s| s.shell()));
                at = range.end;
            }
            shell.push_str(&text[at..]);
            shell
        };
        self.secrets
            .push(Secret::derived("credential", text.to_string(), shell));
    }

    /// An argument's value, or `None` if unset (null counts as unset).
    fn arg(&self, name: &str) -> Option<&'a Value> {
        self.args.get(name).filter(|v| !v.is_null())
    }

    /// Renders a template to text. `encode` is applied to argument values only.
    /// Renders a body template with every value (arguments and bound secrets) escaped for
    /// the body's syntax; a value the syntax cannot carry is refused, naming the variable.
    fn render_escaped(
        &mut self,
        t: &Template,
        escape: fn(&str, &mut String) -> Result<(), String>,
    ) -> Result<String, PrepareError> {
        let mut out = String::new();
        for p in &t.parts {
            let (name, text) = match p {
                Part::Lit(s) => {
                    out.push_str(s);
                    continue;
                }
                Part::Var(Var::Arg(name)) => match self.arg(name) {
                    Some(v) => (name.clone(), scalar_text(v).into_owned()),
                    None => {
                        return Err(PrepareError::MissingArguments {
                            operation: self.qualified.to_string(),
                            names: vec![name.clone()],
                        })
                    }
                },
                Part::Var(var) => {
                    let s = self.secret(var, &|| "the request body".to_string())?;
                    (var.name().to_string(), s.expose().to_string())
                }
            };
            escape(&text, &mut out)
                .map_err(|reason| invalid(self.qualified, &name, "body", reason))?;
        }
        Ok(out)
    }

    fn render(
        &mut self,
        t: &Template,
        usage: &dyn Fn() -> String,
        encode: Option<&'static AsciiSet>,
    ) -> Result<String, PrepareError> {
        let mut out = String::new();
        for p in &t.parts {
            match p {
                Part::Lit(s) => out.push_str(s),
                Part::Var(Var::Arg(name)) => match self.arg(name) {
                    Some(v) => {
                        let text = scalar_text(v);
                        match encode {
                            Some(set) => out.extend(utf8_percent_encode(&text, set)),
                            None => out.push_str(&text),
                        }
                    }
                    None => {
                        return Err(PrepareError::MissingArguments {
                            operation: self.qualified.to_string(),
                            names: vec![name.clone()],
                        })
                    }
                },
                Part::Var(var) => {
                    let s = self.secret(var, usage)?;
                    let start = out.len();
                    out.push_str(s.expose());
                    let index = self.index_of(s.expose());
                    self.spans.push((start..out.len(), index));
                }
            }
        }
        Ok(out)
    }
}

/// The content type of `type: xml` bodies, whose values are XML-escaped.
pub(crate) const XML: &str = "application/xml";
/// The content type of `type: sparql` bodies, whose values are escaped as the content of a
/// SPARQL string literal.
pub(crate) const SPARQL: &str = "application/sparql-query";

/// Escapes text for XML character data or an attribute value (either quote). A character
/// XML 1.0 cannot carry at all (U+0000, most C0 controls) is refused, not dropped.
pub(crate) fn escape_xml(text: &str, out: &mut String) -> Result<(), String> {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {
                return Err(format!(
                    "contains U+{:04X}, which XML 1.0 cannot carry; refused",
                    c as u32
                ))
            }
            c => out.push(c),
        }
    }
    Ok(())
}

/// Escapes text as the content of a SPARQL string literal (`"…"` or `'…'`, SPARQL 1.1
/// §19.7 ECHAR): the value can never end the literal it is written in.
pub(crate) fn escape_sparql(text: &str, out: &mut String) -> Result<(), String> {
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c => out.push(c),
        }
    }
    Ok(())
}

/// Text of a JSON value as it goes into a URL or header: strings as they are, numbers in
/// their shortest form (integers without `.0`), booleans as `true`/`false`, others as JSON.
fn scalar_text(v: &Value) -> Cow<'_, str> {
    match v {
        Value::String(s) => Cow::Borrowed(s),
        Value::Number(n) => Cow::Owned(match n.as_f64() {
            Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 9.0e15 => {
                format!("{}", f as i64)
            }
            _ => n.to_string(),
        }),
        Value::Bool(true) => Cow::Borrowed("true"),
        Value::Bool(false) => Cow::Borrowed("false"),
        Value::Null => Cow::Borrowed(""),
        other => Cow::Owned(other.to_string()),
    }
}

fn describe_value(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) if n.is_f64() && n.as_f64().is_some_and(|f| f.fract() == 0.0) => {
            format!("the number {n}, too large to be sent exactly")
        }
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => {
            let shown: String = s.chars().take(40).collect();
            format!("the string {shown:?}")
        }
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

fn type_matches(t: ParamType, v: &Value) -> bool {
    match t {
        ParamType::Any => true,
        ParamType::String => v.is_string(),
        // A float is an integer only if it is whole and exactly representable (|f| ≤ 2^53):
        // `99999999999999999999` parses as 1e20, which cannot be sent as an integer.
        ParamType::Integer => {
            v.is_i64()
                || v.is_u64()
                || v.as_f64()
                    .is_some_and(|f| f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0)
        }
        ParamType::Number => v.is_number(),
        ParamType::Boolean => v.is_boolean(),
        ParamType::Object => v.is_object(),
        ParamType::Array => v.is_array(),
    }
}

/// One `in: body` parameter named `body` (or typed object/array) is the whole body;
/// otherwise the given parameters become the fields of one object.
fn body_from_params(values: Vec<(&str, ParamType, Value)>) -> Option<Body> {
    if values.is_empty() {
        return None;
    }
    if let [(name, ty, _)] = values.as_slice() {
        if *name == "body" || matches!(ty, ParamType::Object | ParamType::Array) {
            return values.into_iter().next().map(|(_, _, v)| Body::Json(v));
        }
    }
    let mut map = Map::new();
    for (name, _, v) in values {
        map.insert(name.to_string(), v);
    }
    Some(Body::Json(Value::Object(map)))
}

fn render_json(ctx: &mut Ctx<'_>, t: &JsonTemplate) -> Result<Option<Value>, PrepareError> {
    Ok(match t {
        JsonTemplate::Lit(v) => Some(v.clone()),
        JsonTemplate::Var(Var::Arg(name)) => ctx.arg(name).cloned(),
        JsonTemplate::Var(var) => {
            let s = ctx.secret(var, &|| "the request body".to_string())?;
            ctx.spans.push((0..0, UNKNOWN));
            Some(Value::String(s.expose().to_string()))
        }
        JsonTemplate::Str(t) => {
            // A string mixing text and variables: an unset argument leaves the field out.
            let all_set = t
                .vars()
                .all(|v| !matches!(v, Var::Arg(n) if ctx.arg(n).is_none()));
            if all_set {
                Some(Value::String(ctx.render(
                    t,
                    &|| "the request body".to_string(),
                    None,
                )?))
            } else {
                None
            }
        }
        JsonTemplate::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for i in items {
                out.push(render_json(ctx, i)?.unwrap_or(Value::Null));
            }
            Some(Value::Array(out))
        }
        JsonTemplate::Object(fields) => {
            let mut out = Map::new();
            for (k, v) in fields {
                if let Some(v) = render_json(ctx, v)? {
                    out.insert(k.clone(), v);
                }
            }
            Some(Value::Object(out))
        }
    })
}

fn check_segment(operation: &str, name: &str, value: &str) -> Result<(), PrepareError> {
    let reason = match value {
        "" => "is empty; an empty path segment would change the URL",
        "." | ".." => "cannot be `.` or `..`: URL parsers treat such a segment as a relative step",
        _ => return Ok(()),
    };
    Err(invalid(operation, name, "path", reason.to_string()))
}

/// The bytes of an HTTP token (a header name), RFC 9110 § 5.6.2.
const TOKEN: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'!' | b'#'
                    | b'$'
                    | b'%'
                    | b'&'
                    | b'\''
                    | b'*'
                    | b'+'
                    | b'-'
                    | b'.'
                    | b'^'
                    | b'_'
                    | b'`'
                    | b'|'
                    | b'~'
            );
        b += 1;
    }
    t
};

fn check_header(operation: &str, name: &str, value: &str) -> Result<(), PrepareError> {
    // The common case in one pass each: a token name and a value of visible ASCII only
    // (no whitespace at all, so none at either end, and no control character).
    if !name.is_empty()
        && name.bytes().all(|b| TOKEN[usize::from(b)])
        && value.bytes().all(|b| (0x21..0x7f).contains(&b))
    {
        return Ok(());
    }
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
    {
        return Err(invalid(
            operation,
            name,
            "header",
            "is not a valid header name".into(),
        ));
    }
    if value.starts_with([' ', '\t']) || value.ends_with([' ', '\t']) {
        return Err(invalid(
            operation,
            name,
            "header",
            "has leading or trailing whitespace, which HTTP would strip; refused".into(),
        ));
    }
    if let Some(c) = value
        .chars()
        .find(|c| (c.is_control() && *c != '\t') || *c == '\u{7f}')
    {
        let what = match c {
            '\r' => "a carriage return (CR)".to_string(),
            '\n' => "a line feed (LF)".to_string(),
            other => format!("the control character U+{:04X}", other as u32),
        };
        return Err(invalid(
            operation,
            name,
            "header",
            format!("contains {what}, which could split the header; refused"),
        ));
    }
    Ok(())
}

fn invalid(operation: &str, name: &str, location: &'static str, reason: String) -> PrepareError {
    PrepareError::InvalidValue {
        operation: operation.to_string(),
        name: name.to_string(),
        location,
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_render_without_trailing_zero() {
        assert_eq!(scalar_text(&serde_json::json!(5)), "5");
        assert_eq!(scalar_text(&serde_json::json!(5.0)), "5");
        assert_eq!(scalar_text(&serde_json::json!(12.5)), "12.5");
        assert_eq!(scalar_text(&serde_json::json!(true)), "true");
    }

    #[test]
    fn header_values_with_newlines_are_refused() {
        assert!(check_header("op", "x-a", "v\r\nx-b: 1").is_err());
        assert!(check_header("op", "x-a", "tab\tok").is_ok());
    }

    #[test]
    fn dot_segments_are_refused() {
        assert!(check_segment("op", "id", "..").is_err());
        assert!(check_segment("op", "id", "").is_err());
        assert!(check_segment("op", "id", "...").is_ok());
    }
}
