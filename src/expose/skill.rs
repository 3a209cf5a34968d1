//! The skill adapter (`type: skill`): a read-only catalog of agent skills over HTTP.
//!
//! * `GET /skills` — `{count, skills: [{name, description, license?, tools: [names]}]}`;
//! * `GET /skills/{name}` — the skill's metadata and tools: `from` tools are `derived`
//!   with an `invocationRef` (`targetNamespace`, `action`, `mode`: the sibling adapter's
//!   type), `instruction` tools name their file, `call` tools their operation;
//! * `GET /skills/{name}/contents` — `{name, files: [{path, size, type}]}` of its folder;
//! * `GET /skills/{name}/contents/{file…}` — one file, with its media type;
//! * `GET /skills/{name}/download` — the folder as a zip archive.
//!
//! Files come only from the skill's `location` folder: each requested segment must be
//! `[A-Za-z0-9._-]+` and not `.` or `..` (else 400), and the resolved path, symlinks
//! followed, must stay inside the folder (else 404, as for a missing file); a listing skips
//! entries that leave it the same way. Bounded: 16 MiB per file, 10 000 files per listing,
//! 64 MiB per archive. Errors are problem+json bodies.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::Response;
use axum::routing::any;
use axum::Router;
use serde_json::{json, Map, Value};

use super::files;
use super::inbound_auth::Gate;
use super::rest::{problem::Problem, unauthorized};
use crate::metrics::AdapterMetrics;
use crate::spec::{Adapter, AdapterKind, Skill, SkillToolKind};
use crate::{Error, Runtime};

const MAX_FILE: u64 = 16 << 20;
const MAX_ARCHIVE: u64 = 64 << 20;
/// The routes, as counted by the control port's metrics.
const ROUTES: [&str; 5] = ["catalog", "detail", "contents", "file", "download"];

/// A skill server for one declared `type: skill` adapter. Cheap to clone.
///
/// ```
/// let cap = naftiko::Capability::from_path("tests/fixtures/skills/skills.yaml")?;
/// let rt = naftiko::Runtime::builder(cap).build()?;
/// let server = naftiko::SkillServer::new(rt, None)?;
/// assert_eq!(server.namespace(), "fleet-skills");
/// assert_eq!(server.skills(), ["fleet-ops", "voyage-ops"]);
/// // server.router() is an axum Router serving /skills, /skills/{name}, …/contents,
/// // …/contents/{file} and …/download.
/// # Ok::<(), naftiko::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct SkillServer {
    inner: Arc<Inner>,
}

struct Inner {
    adapter: Adapter,
    gate: Gate,
    metrics: Arc<AdapterMetrics>,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SkillServer")
            .field("namespace", &self.adapter.namespace)
            .finish_non_exhaustive()
    }
}

impl SkillServer {
    /// A server for the skill adapter of that namespace (`None`: the first one). Fails
    /// when the capability has no such adapter.
    pub fn new(rt: Runtime, namespace: Option<&str>) -> Result<SkillServer, Error> {
        let cap = rt.capability();
        let skill: Vec<&Adapter> = cap
            .adapters()
            .iter()
            .filter(|a| a.kind == AdapterKind::Skill)
            .collect();
        let found = skill
            .iter()
            .find(|a| namespace.is_none_or(|ns| a.namespace == ns));
        let Some(adapter) = found.map(|a| (*a).clone()) else {
            return Err(Error::NoAdapter {
                kind: "skill",
                namespace: namespace.map(str::to_string),
                file: cap.file().to_path_buf(),
                known: skill.iter().map(|a| a.namespace.clone()).collect(),
            });
        };
        Ok(Self::for_adapter(&rt, &adapter))
    }

    /// A server for one declared adapter (what `naftiko serve` starts for each).
    pub fn for_adapter(rt: &Runtime, adapter: &Adapter) -> SkillServer {
        SkillServer {
            inner: Arc::new(Inner {
                adapter: adapter.clone(),
                gate: Gate::new(rt, adapter.auth.as_ref(), &adapter.namespace),
                metrics: rt.metrics().adapter("skill", &adapter.namespace, ROUTES),
            }),
        }
    }

    /// The adapter's namespace.
    pub fn namespace(&self) -> &str {
        &self.inner.adapter.namespace
    }

    /// The names of the skills served, in document order.
    pub fn skills(&self) -> Vec<&str> {
        self.inner
            .adapter
            .skills
            .iter()
            .map(|s| s.name.as_str())
            .collect()
    }

    /// An axum router serving the catalog (serve it with [`SkillServer::serve_until`], or
    /// nest it in your own router).
    pub fn router(&self) -> Router {
        Router::new()
            .fallback(any(handle))
            .with_state(self.inner.clone())
    }

    /// Serves the catalog on `listener` until `shutdown` is cancelled, then lets requests
    /// in flight finish; served as the REST adapter is (a 10 s request-head timeout, h2c).
    pub async fn serve_until(
        &self,
        listener: tokio::net::TcpListener,
        shutdown: tokio_util::sync::CancellationToken,
    ) -> std::io::Result<()> {
        let timeout = crate::expose::accept::DEFAULT_HEADER_TIMEOUT;
        crate::expose::accept::serve_router(listener, self.router(), timeout, shutdown).await
    }
}

/// What a request asks for.
enum Route<'a> {
    Catalog,
    Detail(&'a Skill),
    Contents(&'a Skill),
    File(&'a Skill, Vec<String>),
    Download(&'a Skill),
}

impl Route<'_> {
    fn name(&self) -> &'static str {
        match self {
            Route::Catalog => ROUTES[0],
            Route::Detail(_) => ROUTES[1],
            Route::Contents(_) => ROUTES[2],
            Route::File(..) => ROUTES[3],
            Route::Download(_) => ROUTES[4],
        }
    }
}

async fn handle(State(inner): State<Arc<Inner>>, req: Request) -> Response {
    let started = Instant::now();
    let (head, _) = req.into_parts();
    let (route, response) = answer(&inner, &head).await;
    let status = response.status().as_u16();
    inner.metrics.record(route, status, started.elapsed());
    response
}

async fn answer(inner: &Inner, req: &Parts) -> (&'static str, Response) {
    if !inner.gate.admits(&req.headers, req.uri.query()) {
        return ("other", unauthorized(&inner.gate));
    }
    let route = match route(&inner.adapter.skills, req.uri.path()) {
        Ok(r) => r,
        Err(p) => return ("other", p.into_response()),
    };
    let name = route.name();
    if req.method != Method::GET && req.method != Method::HEAD {
        let p = Problem::new(
            StatusCode::METHOD_NOT_ALLOWED,
            format!(
                "the skill catalog is read-only: `{}` is not allowed",
                req.method
            ),
        )
        .header(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return (name, p.into_response());
    }
    let response = match route {
        Route::Catalog => json(&catalog(&inner.adapter.skills)),
        Route::Detail(s) => json(&detail(s)),
        Route::Contents(s) => blocking(s, move |root| contents(&root)).await,
        Route::File(s, rel) => blocking(s, move |root| file(&root, &rel)).await,
        Route::Download(s) => blocking(s, move |root| download(&root)).await,
    };
    (name, response)
}

/// The route of `path`; unknown paths and skills are 404, unsafe file segments 400.
fn route<'a>(skills: &'a [Skill], path: &str) -> Result<Route<'a>, Problem> {
    let segments: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect();
    let not_found = || Problem::new(StatusCode::NOT_FOUND, format!("no resource at `{path}`"));
    let (first, rest) = segments.split_first().ok_or_else(not_found)?;
    if first != "skills" {
        return Err(not_found());
    }
    let Some((name, rest)) = rest.split_first() else {
        return Ok(Route::Catalog);
    };
    let skill = skills.iter().find(|s| s.name == *name).ok_or_else(|| {
        let known: Vec<&str> = skills.iter().map(|s| s.name.as_str()).collect();
        Problem::new(
            StatusCode::NOT_FOUND,
            format!("no skill `{name}`; skills: {}", known.join(", ")),
        )
    })?;
    match rest {
        [] => Ok(Route::Detail(skill)),
        [d] if d == "download" => Ok(Route::Download(skill)),
        [c] if c == "contents" => Ok(Route::Contents(skill)),
        [c, file @ ..] if c == "contents" => {
            if let Some(bad) = file.iter().find(|s| !files::safe_segment(s)) {
                return Err(Problem::new(
                    StatusCode::BAD_REQUEST,
                    format!("unsafe path segment `{bad}`: only letters, digits, `.`, `_` and `-`, and not `.` or `..`"),
                ));
            }
            Ok(Route::File(skill, file.to_vec()))
        }
        _ => Err(not_found()),
    }
}

fn catalog(skills: &[Skill]) -> Value {
    let list: Vec<Value> = skills
        .iter()
        .map(|s| {
            let mut entry = Map::new();
            entry.insert("name".into(), json!(s.name));
            entry.insert("description".into(), json!(s.description));
            if let Some((_, license)) = s.fields.iter().find(|(k, _)| *k == "license") {
                entry.insert("license".into(), license.clone());
            }
            let tools: Vec<&str> = s.tools.iter().map(|t| t.name.as_str()).collect();
            entry.insert("tools".into(), json!(tools));
            Value::Object(entry)
        })
        .collect();
    json!({"count": list.len(), "skills": list})
}

fn detail(s: &Skill) -> Value {
    let mut out = Map::new();
    out.insert("name".into(), json!(s.name));
    out.insert("description".into(), json!(s.description));
    for (k, v) in &s.fields {
        out.insert((*k).into(), v.clone());
    }
    if !s.metadata.is_empty() {
        let meta: Map<String, Value> = s
            .metadata
            .iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect();
        out.insert("metadata".into(), Value::Object(meta));
    }
    let tools: Vec<Value> = s
        .tools
        .iter()
        .map(|t| {
            let mut e = json!({"name": t.name, "description": t.description});
            match &t.kind {
                SkillToolKind::Derived {
                    namespace,
                    action,
                    mode,
                } => {
                    e["type"] = json!("derived");
                    e["invocationRef"] =
                        json!({"targetNamespace": namespace, "action": action, "mode": mode});
                }
                SkillToolKind::Instruction(file) => {
                    e["type"] = json!("instruction");
                    e["instruction"] = json!(file);
                }
                SkillToolKind::Call(op) => {
                    e["type"] = json!("call");
                    e["call"] = json!(op);
                }
                SkillToolKind::Unknown => {}
            }
            e
        })
        .collect();
    out.insert("tools".into(), Value::Array(tools));
    Value::Object(out)
}

/// Runs a file-system answer off the async threads, on the skill's canonical folder.
async fn blocking(
    s: &Skill,
    f: impl FnOnce(PathBuf) -> Result<Response, Problem> + Send + 'static,
) -> Response {
    let Some(location) = s.location.clone() else {
        return Problem::new(
            StatusCode::NOT_FOUND,
            format!("skill `{}` has no `location`: it has no files", s.name),
        )
        .into_response();
    };
    let name = s.name.clone();
    let work = move || {
        let root = std::fs::canonicalize(&location).map_err(|e| {
            tracing::warn!(skill = %name, folder = %location.display(), error = %e, "the skill's folder cannot be read");
            Problem::new(
                StatusCode::NOT_FOUND,
                format!("the folder of skill `{name}` cannot be read"),
            )
        })?;
        f(root)
    };
    match tokio::task::spawn_blocking(work).await {
        Ok(Ok(r)) => r,
        Ok(Err(p)) => p.into_response(),
        Err(_) => {
            Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "the file task failed").into_response()
        }
    }
}

/// The folder's files, or 413 when there are too many.
fn listing(root: &Path) -> Result<Vec<(String, PathBuf, u64)>, Problem> {
    files::walk(root).map_err(|_| {
        Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the skill's folder holds over {} files", files::MAX_FILES),
        )
    })
}

fn contents(root: &Path) -> Result<Response, Problem> {
    let files: Vec<Value> = listing(root)?
        .into_iter()
        .map(
            |(path, _, size)| json!({"path": path, "size": size, "type": files::media_type(&path)}),
        )
        .collect();
    let name = root
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(json(&json!({"name": name, "files": files})))
}

fn file(root: &Path, rel: &[String]) -> Result<Response, Problem> {
    let wanted = rel.join("/");
    let missing = || Problem::new(StatusCode::NOT_FOUND, format!("no file `{wanted}`"));
    // A symlink that leads out of the folder is treated as absent.
    let (real, size) = files::resolve(root, rel).map_err(|_| missing())?;
    if size > MAX_FILE {
        return Err(Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("`{wanted}` is over the {MAX_FILE}-byte limit"),
        ));
    }
    let bytes = std::fs::read(&real).map_err(|_| missing())?;
    Ok(with_type(Body::from(bytes), files::media_type(&wanted)))
}

fn download(root: &Path) -> Result<Response, Problem> {
    let files = listing(root)?;
    let total: u64 = files.iter().map(|(_, _, size)| size).sum();
    if total > MAX_ARCHIVE {
        return Err(Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the skill's files total {total} bytes, over the {MAX_ARCHIVE}-byte archive limit"
            ),
        ));
    }
    let failed = |e: &dyn std::fmt::Display| {
        tracing::warn!(error = %e, "building a skill archive failed");
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the archive could not be built",
        )
    };
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (rel, real, _) in &files {
        let bytes = std::fs::read(real).map_err(|e| failed(&e))?;
        zip.start_file(rel.as_str(), options)
            .map_err(|e| failed(&e))?;
        zip.write_all(&bytes).map_err(|e| failed(&e))?;
    }
    let bytes = zip.finish().map_err(|e| failed(&e))?.into_inner();
    let mut r = with_type(Body::from(bytes), "application/zip");
    let name = root
        .file_name()
        .map(|n| n.to_string_lossy().replace(['"', '\\'], "_"))
        .unwrap_or_else(|| "skill".into());
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}.zip\"")) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(r)
}

fn with_type(body: Body, content_type: &'static str) -> Response {
    let mut r = Response::new(body);
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

fn json(v: &Value) -> Response {
    with_type(Body::from(v.to_string()), "application/json")
}
