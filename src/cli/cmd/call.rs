//! `naftiko call`: dry run, curl, or a real call and its mapped output.
//!
//! Nothing here builds an HTTP client or an async runtime unless a request is sent: a dry
//! run or a curl line is pure.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use naftiko::{
    CallOptions, Capability, Error, MapError, Method, PreparedRequest, Query, Runtime,
    RuntimeBuilder,
};
use serde_json::Value;

use crate::cli::args::{exit_codes, parse_seconds};
use crate::cli::{arguments, dotenv, load, lookup_failure, output, Exit, Failure};

pub(crate) const CALL_HELP: &str = concat!(
    "\
Examples:
  naftiko call specs/vital/users.yaml get_user_v2_user__user_id__get user_id=u-1 --dry-run
  naftiko call specs/vital/users.yaml get_teams_users_v2_user_get limit=5
  naftiko call specs/vital/users.yaml create_user_v2_user_post body:='{\"client_user_id\":\"c-1\"}'
  naftiko call specs/vital/users.yaml create_user_v2_user_post --body @user.json --curl
  naftiko call specs/vital/users.yaml get_teams_users_v2_user_get -H 'X-Trace: 1' debug==1 --dry-run
  naftiko call specs/vital/users.yaml get_teams_users_v2_user_get --query '$.users[*].user_id'
  naftiko call specs/vital/users.yaml get_teams_users_v2_user_get -o table

",
    exit_codes!()
);

/// `naftiko call`.
#[derive(Debug, Args)]
pub struct CallArgs {
    /// The capability file (YAML or JSON)
    pub spec: PathBuf,
    /// The operation: `name`, `namespace.name` or `namespace.resource.name`
    #[arg(add = clap_complete::ArgValueCompleter::new(crate::cli::complete::operations))]
    pub operation: String,
    /// Arguments: `name=value` (converted to the parameter's declared type: `limit=5` is
    /// the integer 5, `is_primary=false` the boolean; a path placeholder no parameter fills,
    /// `appId=42`, takes it too), `name:=JSON` (raw JSON), `name==value` (a query pair,
    /// declared or not) or `Name:value` (a header)
    #[arg(value_name = "ARG", add = clap_complete::ArgValueCompleter::new(crate::cli::complete::arguments))]
    pub args: Vec<String>,
    /// The body parameter's value: JSON text, `@FILE`, or `-` for stdin; for a POST, PUT or
    /// PATCH without a body parameter, the whole body
    #[arg(long, value_name = "JSON|@FILE|-")]
    pub body: Option<String>,
    /// Send this header too (repeatable); it replaces a declared header of the same name
    #[arg(short = 'H', long = "header", value_name = "'NAME: VALUE'")]
    pub header: Vec<String>,
    /// Print only the nodes this JSONPath selects in the output, as a JSON array
    /// (e.g. `$.users[*].user_id`)
    #[arg(long, value_name = "JSONPATH", conflicts_with_all = ["raw", "dry_run", "curl"])]
    pub query: Option<String>,
    /// The output format: json (default), yaml, or table (an array of objects, one column
    /// per key)
    #[arg(short = 'o', long = "output", value_enum, default_value_t = output::Style::Json)]
    pub output: output::Style,
    /// Retries after the first attempt (default: the runtime's, 2)
    #[arg(long, value_name = "N", conflicts_with = "no_retry")]
    pub retries: Option<u32>,
    /// Do not retry: one attempt only (`--retries 0`)
    #[arg(long)]
    pub no_retry: bool,
    /// Send to URL instead of the capability's baseUri; `NAMESPACE=URL` when the
    /// capability consumes several APIs (repeatable)
    #[arg(long = "base-uri", value_name = "[NAMESPACE=]URL")]
    pub base_uri: Vec<String>,
    /// Trust the certificate authorities in this PEM file for https calls, besides the
    /// system's (a private CA); `NAMESPACE=PATH` for one namespace only (repeatable)
    #[arg(long = "ca-file", value_name = "[NAMESPACE=]PATH")]
    pub ca_file: Vec<String>,
    /// Read binds (e.g. VITAL_API_KEY) from a dotenv file; its values win over the process
    /// environment (repeatable; later files win)
    #[arg(long, value_name = "PATH")]
    pub env_file: Vec<PathBuf>,
    /// Total deadline of the call in seconds, retries included (default 60)
    #[arg(long, value_name = "SECS", value_parser = parse_seconds)]
    pub timeout: Option<Duration>,
    /// Print the undecoded response body instead of the mapped output
    #[arg(long, conflicts_with_all = ["dry_run", "curl"])]
    pub raw: bool,
    /// Send nothing; print the prepared request as one JSON object (secrets as `***`;
    /// works without any secret set)
    #[arg(long, conflicts_with = "curl")]
    pub dry_run: bool,
    /// Send nothing; print an equivalent curl command (secrets as shell variables)
    #[arg(long)]
    pub curl: bool,
    /// `--all`, `--max-pages`, `--items`, `--ndjson`: every page of a paginated operation.
    #[command(flatten)]
    pub pages: PageArgs,
}

/// `call --all`: every page, its items concatenated (README "Pagination").
#[derive(Debug, Args)]
pub struct PageArgs {
    /// Fetch every page (the operation's `pagination`, or offset/limit inferred) and print
    /// their items as one JSON array
    #[arg(long, conflicts_with_all = ["dry_run", "curl", "raw"])]
    pub all: bool,
    /// With --all: fetch at most N pages (default: the operation's `maxPages`, else 100)
    #[arg(long, value_name = "N", requires = "all")]
    pub max_pages: Option<u32>,
    /// With --all: the items of a page, a JSONPath into the response body (default: each
    /// page's mapped output is one item)
    #[arg(long, value_name = "JSONPATH", requires = "all")]
    pub items: Option<String>,
    /// With --all: print one item per line (NDJSON) as pages arrive, instead of one array
    #[arg(long, requires = "all")]
    pub ndjson: bool,
}

/// Runs `naftiko call`.
pub fn run(a: &CallArgs, verbose: u8) -> Result<Exit, Failure> {
    if a.spec.as_os_str() == "-" && a.body.as_deref() == Some("-") {
        return Err(
            Failure::invalid("the capability and --body cannot both be read from stdin")
                .hint("give one of them as a file (--body @FILE)"),
        );
    }
    let cap = load(&a.spec)?;
    let op = cap
        .operation(&a.operation)
        .map_err(|e| lookup_failure(&cap, e))?;
    let inputs = arguments::parse(op, &a.args, &a.header, a.body.as_deref())?;
    let query = output_query(a)?;
    let format = op.format().to_string();
    let base_uris = base_uris(&cap, &a.base_uri)?;

    let mut builder = Runtime::builder(cap);
    if !a.env_file.is_empty() {
        builder = builder.env(environment(&a.env_file)?);
    }
    for (namespace, uri) in base_uris {
        builder = builder.base_uri(namespace, uri);
    }
    builder = with_ca_files(builder, &a.ca_file);
    if let Some(t) = a.timeout {
        builder = builder.timeout(t);
    }
    let rt = builder.build()?;
    let name = a.operation.as_str();
    let (call_args, options) = call_options(a, inputs);

    if a.dry_run || a.curl {
        return preview(&rt, name, call_args, options, a.curl);
    }

    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::invalid(format!("cannot start the async runtime: {e}")))?;
    if a.pages.all {
        return all_pages(&tokio, &rt, name, call_args, &a.pages);
    }

    if !a.raw && verbose == 0 {
        // Prepared once more only to warn of an empty secret (pure and cheap).
        if let Ok(req) = rt.prepare_with_options(name, call_args.clone(), &options) {
            warn_empty_secrets(&req);
        }
        // The common path: the library prepares, sends, decodes and maps.
        return match tokio.block_on(rt.call_with(name, call_args, &options)) {
            Ok(out) => {
                show(a, query.as_ref(), &out)?;
                Ok(Exit::Ok)
            }
            Err(e) => Err(failed(e, false)),
        };
    }

    // --raw or -v: the response itself is needed, so prepare and send separately.
    let op = rt
        .capability()
        .operation(name)
        .map_err(|e| lookup_failure(rt.capability(), e))?;
    if !a.raw && !op.response_format().is_decoded() {
        return Err(Error::from(MapError::UnsupportedFormat {
            operation: op.qualified_name(),
            format,
        })
        .into());
    }
    let req = rt.prepare_with_options(name, call_args, &options)?;
    warn_empty_secrets(&req);
    if verbose > 0 {
        print_request(&rt.with_signing_preview(&req));
    }
    match tokio.block_on(rt.execute(&req, &options)) {
        Ok(resp) => {
            if verbose > 0 {
                print_status(resp.status, &resp.headers);
            }
            if a.raw {
                output::raw(&resp.body)?;
            } else {
                show(a, query.as_ref(), &rt.map_response(&req, &resp.body)?)?;
            }
            Ok(Exit::Ok)
        }
        Err(e) => {
            if let (true, Some(h)) = (verbose > 0, e.http()) {
                print_status(h.status, &h.headers);
            }
            Err(failed(e, a.raw))
        }
    }
}

/// `call --all`: fetches the pages in order, printing NDJSON as they arrive or one array at
/// the end; a `\r` counter on stderr when it is a terminal.
fn all_pages(
    tokio: &tokio::runtime::Runtime,
    rt: &Runtime,
    name: &str,
    args: Value,
    p: &PageArgs,
) -> Result<Exit, Failure> {
    use futures_util::StreamExt;
    use std::io::IsTerminal;
    let items = match &p.items {
        Some(expr) => Some(
            naftiko::Query::compile(expr).map_err(|e| Failure::invalid(format!("--items: {e}")))?,
        ),
        None => None,
    };
    let options = naftiko::PageOptions {
        max_pages: p.max_pages,
    };
    let mut pages = rt.pages_with(name, args, &options)?;
    let progress = std::io::stderr().is_terminal();
    let mut all = Vec::new();
    let (mut count, mut fetched) = (0usize, 0u32);
    let outcome = tokio.block_on(async {
        while let Some(page) = pages.next().await {
            let page = page.map_err(Err)?;
            fetched = page.number;
            let found = match &items {
                Some(q) => q.nodes(&page.body).into_iter().cloned().collect(),
                None => vec![page.output],
            };
            count += found.len();
            if progress {
                eprint!("\rfetched {fetched} page(s), {count} item(s)");
            }
            if p.ndjson {
                for item in &found {
                    output::line(&item.to_string()).map_err(Ok)?;
                }
            } else {
                all.extend(found);
            }
        }
        Ok::<(), Result<Failure, Error>>(())
    });
    if progress && fetched > 0 {
        eprintln!();
    }
    match outcome {
        Ok(()) if p.ndjson => Ok(Exit::Ok),
        Ok(()) => output::json(&all).map(|()| Exit::Ok),
        Err(Ok(f)) => Err(f),
        Err(Err(e)) => Err(failed(e, false)),
    }
}

/// The per-call options the command line gives: its additions to the request and
/// `--retries`/`--no-retry`.
fn call_options(a: &CallArgs, inputs: arguments::Inputs) -> (Value, CallOptions) {
    let options = CallOptions {
        max_retries: if a.no_retry { Some(0) } else { a.retries },
        headers: inputs.headers,
        query: inputs.query,
        path: inputs.path,
        body: inputs.body,
        ..CallOptions::default()
    };
    (inputs.args, options)
}

/// `--dry-run` and `--curl`: the request, even of an operation that cannot be called yet;
/// then why it cannot is said beside it (`not_callable` in the JSON, and on stderr).
fn preview(
    rt: &Runtime,
    name: &str,
    args: Value,
    mut options: CallOptions,
    curl: bool,
) -> Result<Exit, Failure> {
    options.preview = true;
    let req = rt.dry_run_with(name, args, &options)?;
    warn_empty_secrets(&req);
    let why = rt
        .capability()
        .operation(name)
        .ok()
        .and_then(|op| cannot_send(op, &options));
    if curl {
        output::line(&req.to_curl())?;
    } else {
        let mut out = dry_run_json(&req);
        if let Some(why) = &why {
            out["not_callable"] = Value::String(why.clone());
        }
        output::json(&out)?;
    }
    if let Some(why) = why {
        output::stderr_lines([format!("warning: this request cannot be sent yet: {why}").as_str()]);
    }
    Ok(Exit::Ok)
}

/// On stderr: each variable the request uses that is set but empty.
fn warn_empty_secrets(req: &PreparedRequest) {
    for name in req.empty_secrets() {
        output::stderr_lines([format!(
            "warning: {name} is set but empty; the request goes with an empty value"
        )
        .as_str()]);
    }
}

/// Why `op` cannot be sent with these options, if it cannot.
fn cannot_send(op: &naftiko::Operation, options: &CallOptions) -> Option<String> {
    if let Some(reason) = op.unsupported() {
        return Some(reason.to_string());
    }
    let unfilled: Vec<&str> = op
        .unfilled_placeholders()
        .into_iter()
        .filter(|p| !options.path.iter().any(|(n, _)| n == p))
        .collect();
    let first = unfilled.first()?;
    let names: Vec<String> = unfilled.iter().map(|n| format!("{{{n}}}")).collect();
    Some(format!(
        "its path has placeholder(s) that no parameter fills: {}; give each by name (`{first}=VALUE`)",
        names.join(", ")
    ))
}

/// `--query`, compiled before anything is sent.
fn output_query(a: &CallArgs) -> Result<Option<Query>, Failure> {
    a.query
        .as_deref()
        .map(|q| Query::compile(q).map_err(|e| Failure::invalid(format!("--query: {e}"))))
        .transpose()
}

/// Prints a call's output: the nodes `--query` selects, if given, in the `-o` style.
fn show(a: &CallArgs, query: Option<&Query>, out: &Value) -> Result<(), Failure> {
    match query {
        Some(q) => {
            let nodes: Vec<Value> = q.nodes(out).into_iter().cloned().collect();
            output::styled(a.output, &Value::Array(nodes))
        }
        None => output::styled(a.output, out),
    }
}

/// A failed call. For an HTTP status ≥ 400 the error body still goes to stdout (as JSON,
/// or as text with `--raw` when it is not JSON), so scripts can read `detail`.
fn failed(e: Error, raw: bool) -> Failure {
    if let Some(h) = e.http() {
        let printed = match (&h.body, raw) {
            (Value::String(text), true) => output::line(text),
            (body, _) => output::json(body),
        };
        if let Err(f) = printed {
            return f;
        }
    }
    Failure::from(e)
}

/// The environment for binds: the process environment, overlaid with the env files
/// (later files win).
pub(crate) fn environment(
    files: &[std::path::PathBuf],
) -> Result<HashMap<String, String>, Failure> {
    let mut env: HashMap<String, String> = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect();
    for f in files {
        env.extend(dotenv::read(f)?);
    }
    Ok(env)
}

/// `--ca-file PATH` (every namespace) or `--ca-file NAMESPACE=PATH`: the text before the
/// first `=` is a namespace only if the capability has one of that name, so a path may
/// contain `=`.
pub(crate) fn with_ca_files(mut builder: RuntimeBuilder, items: &[String]) -> RuntimeBuilder {
    let namespaces: Vec<String> = builder.namespaces().map(str::to_string).collect();
    for item in items {
        match item.split_once('=') {
            Some((ns, path)) if namespaces.iter().any(|n| n == ns) => {
                builder = builder.ca_file(ns, path);
            }
            _ => builder = builder.ca_file_all(item),
        }
    }
    builder
}

/// `--base-uri URL` (the only namespace) or `--base-uri NAMESPACE=URL`.
pub(crate) fn base_uris(
    cap: &Capability,
    items: &[String],
) -> Result<Vec<(String, String)>, Failure> {
    let namespaces: Vec<&str> = cap.namespaces().collect();
    items
        .iter()
        .map(|item| {
            if let Some((ns, url)) = item.split_once('=') {
                if !ns.is_empty() && !ns.contains([':', '/']) {
                    return Ok((ns.to_string(), url.to_string()));
                }
            }
            match namespaces.as_slice() {
                [only] => Ok((only.to_string(), item.clone())),
                [] => Err(Failure::invalid(format!(
                    "--base-uri {item}: the capability {} consumes no API",
                    cap.file().display()
                ))),
                many => Err(Failure::invalid(format!(
                    "--base-uri {item} names no namespace, and the capability consumes several: {}",
                    many.join(", ")
                ))
                .hint(format!("write --base-uri {}={item}", many[0]))),
            }
        })
        .collect()
}

/// The `User-Agent` the runtime's HTTP client sends (the library is this package).
const USER_AGENT: &str = concat!("naftiko/", env!("CARGO_PKG_VERSION"));

/// Every header the request is sent with (secrets as `***`): its own, then those the HTTP
/// layer adds unless the request sets them: `content-type` (or `content-length: 0` for a
/// POST, PUT or PATCH without a body), `accept` and `user-agent`. `host` is the URL's.
fn wire_headers(req: &PreparedRequest) -> Vec<(String, String)> {
    let mut headers = req.headers();
    let body_less = matches!(req.method(), Method::Post | Method::Put | Method::Patch);
    let added = [
        ("content-type", req.content_type()),
        (
            "content-length",
            (body_less && req.content_type().is_none()).then_some("0"),
        ),
        ("accept", Some("*/*")),
        ("user-agent", Some(USER_AGENT)),
    ];
    for (name, value) in added {
        if let (Some(value), false) = (value, headers.iter().any(|(k, _)| k == name)) {
            headers.push((name.to_string(), value.to_string()));
        }
    }
    headers
}

/// `--dry-run`: the prepared request as JSON, with every header it is sent with.
fn dry_run_json(req: &PreparedRequest) -> Value {
    let headers: serde_json::Map<String, Value> = wire_headers(req)
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    let mut out = serde_json::to_value(req).unwrap_or(Value::Null);
    out["headers"] = Value::Object(headers);
    out
}

/// `-v`: the request on stderr, curl-style, secrets as `***`.
fn print_request(req: &PreparedRequest) {
    let mut lines = vec![format!("> {} {}", req.method(), req.url())];
    lines.extend(
        wire_headers(req)
            .into_iter()
            .map(|(k, v)| format!("> {k}: {v}")),
    );
    let body = req.body();
    if !body.is_null() {
        lines.push(">".into());
        lines.push(format!("> {body}"));
    }
    output::stderr_lines(lines.iter().map(String::as_str));
}

/// `-v`: the response status and headers on stderr.
fn print_status(status: u16, headers: &[(String, String)]) {
    let reason = reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("");
    let mut lines = vec![format!("< {status} {reason}").trim_end().to_string()];
    lines.extend(headers.iter().map(|(k, v)| format!("< {k}: {v}")));
    output::stderr_lines(lines.iter().map(String::as_str));
}
