//! The [`Runtime`]: a loaded capability, its resolved binds and one pooled HTTP client,
//! running operations by name.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderValue};
use serde::de::DeserializeOwned;
use serde_json::Value;
use tracing::Instrument;

use crate::auth::{self, Sign};
use crate::bind::{Binds, Env};
use crate::error::Error;
use crate::hook::{AuthContext, AuthHook, Hooked};
use crate::map::MapError;
use crate::metrics::Metrics;
use crate::request::{self, PreparedRequest, Unset};
use crate::secret::Secret;
use crate::send::{self, Clients, Response, RetryPolicy, SendConfig, SendError, TlsSettings};
use crate::spec::{closest, Capability, Part, Template, Var};
use crate::trace::TraceParent;

/// Per-call settings that override the runtime's.
#[derive(Debug, Clone, Default)]
pub struct CallOptions {
    /// The total deadline for this call (all attempts).
    pub timeout: Option<Duration>,
    /// Retries after the first attempt.
    pub max_retries: Option<u32>,
    /// Retry this call even if its method is not idempotent (POST, PATCH) after the request
    /// may have reached the server. Only safe when the server de-duplicates.
    pub retry_non_idempotent: Option<bool>,
    /// The inbound request's W3C trace context: the upstream call carries the same trace
    /// id with a new span id (`traceparent` header).
    pub traceparent: Option<TraceParent>,
    /// Headers to send besides the operation's, `(name, value)`; each replaces any header of
    /// the same name the operation or its authentication would send. Bound secrets in them
    /// are still redacted wherever they show.
    pub headers: Vec<(String, String)>,
    /// Query pairs appended after the operation's, even names no parameter declares.
    pub query: Vec<(String, String)>,
    /// Values for path placeholders that no declared parameter fills (`/{appId}`), by
    /// placeholder name; each is percent-encoded as one segment.
    pub path: Vec<(String, String)>,
    /// A JSON body sent instead of the one the operation builds (for a POST, PUT or PATCH
    /// that declares no body parameter, say).
    pub body: Option<Value>,
    /// For [`Runtime::dry_run_with`] only: build the request of an operation that cannot be
    /// called yet, to show it (a path placeholder nothing fills stays `{name}`, a feature
    /// this runtime does not support is not refused). Ignored by every call that sends.
    pub preview: bool,
}

impl CallOptions {
    /// What these options add to a request.
    fn extras(&self) -> request::Extras<'_> {
        request::Extras {
            headers: &self.headers,
            query: &self.query,
            path: &self.path,
            body: self.body.as_ref(),
            preview: self.preview,
        }
    }
}

/// Builds a [`Runtime`].
///
/// ```
/// use std::time::Duration;
/// let cap = naftiko::Capability::from_path("specs/vital/users.yaml")?;
/// let rt = naftiko::Runtime::builder(cap)
///     .env([("VITAL_API_KEY", "sk_us_test")])          // instead of the process environment
///     .base_uri("users", "https://api.sandbox.us.junction.com")
///     .timeout(Duration::from_secs(10))
///     .build()?;
/// # Ok::<(), naftiko::Error>(())
/// ```
pub struct RuntimeBuilder {
    cap: Capability,
    env: Option<HashMap<String, String>>,
    base_uris: Vec<(String, String)>,
    config: SendConfig,
    retry_non_idempotent_ops: Vec<String>,
    /// `(namespace, path)`; `None`: every namespace.
    ca_files: Vec<(Option<String>, PathBuf)>,
    /// The user's client, in place of the shared default one.
    client: Option<reqwest::Client>,
    /// Headers added to every request that does not set them.
    default_headers: HeaderMap,
    /// `(namespace, hook)`; `None`: every namespace.
    hooks: Vec<(Option<String>, Arc<AuthHook>)>,
}

/// Shows the names of the environment values, never the values (they are secrets).
impl std::fmt::Debug for RuntimeBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let env_names = self.env.as_ref().map(|m| {
            let mut names: Vec<&String> = m.keys().collect();
            names.sort();
            names
        });
        f.debug_struct("RuntimeBuilder")
            .field("cap", &self.cap)
            .field("env", &env_names)
            .field("base_uris", &self.base_uris)
            .field("config", &self.config)
            .field("retry_non_idempotent_ops", &self.retry_non_idempotent_ops)
            .field("ca_files", &self.ca_files)
            .field("client", &self.client.is_some())
            .field(
                "default_headers",
                &self.default_headers.keys().collect::<Vec<_>>(),
            )
            .field(
                "hooks",
                &self.hooks.iter().map(|h| &h.0).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl RuntimeBuilder {
    /// Takes environment values (binds and `{{env.X}}` variables) from this map instead of
    /// the process environment.
    pub fn env<K: Into<String>, V: Into<String>>(
        mut self,
        vars: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.env = Some(
            vars.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        );
        self
    }

    /// Sends the operations of `namespace` to `uri` instead of the capability's baseUri
    /// (sandbox, another region, a test server).
    pub fn base_uri(mut self, namespace: impl Into<String>, uri: impl Into<String>) -> Self {
        self.base_uris.push((namespace.into(), uri.into()));
        self
    }

    /// The total deadline of a call, all retries included (default 60 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.config.timeout = timeout;
        self
    }

    /// The connect timeout of one attempt (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.config.connect_timeout = timeout;
        self
    }

    /// The largest response body accepted, in bytes (default 32 MiB).
    pub fn max_response_bytes(mut self, limit: usize) -> Self {
        self.config.max_response_bytes = limit;
        self
    }

    /// The retry policy (default: 2 retries, idempotent methods only).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.config.retry = policy;
        self
    }

    /// Lets this operation be retried like an idempotent one even though its method is POST
    /// or PATCH (for operations the server de-duplicates).
    pub fn retry_non_idempotent(mut self, operation: impl Into<String>) -> Self {
        self.retry_non_idempotent_ops.push(operation.into());
        self
    }

    /// Trusts the certificate authorities in the PEM file at `path` for the `https://` calls
    /// of `namespace`, besides the system's (a private CA; like the consumer's `caPath`).
    /// The file is read when the namespace's client is first built.
    ///
    /// ```
    /// let cap = naftiko::Capability::from_path("specs/vital/users.yaml")?;
    /// let rt = naftiko::Runtime::builder(cap)
    ///     .ca_file("users", "/etc/ssl/internal-ca.pem")
    ///     .build()?;
    /// # Ok::<(), naftiko::Error>(())
    /// ```
    pub fn ca_file(mut self, namespace: impl Into<String>, path: impl Into<PathBuf>) -> Self {
        self.ca_files.push((Some(namespace.into()), path.into()));
        self
    }

    /// Sends with `client` (your proxies, TLS roots, connection pool, user agent) instead of
    /// the runtime's shared default client. Consumers with TLS settings of their own (a
    /// `caPath`, a client certificate, [`RuntimeBuilder::ca_file`]) keep their own client.
    /// The runtime's deadlines and retries still apply; the client's redirect policy is
    /// yours (the default client follows same-origin redirects only).
    ///
    /// Start from [`client_builder`](crate::client_builder) (reqwest's builder, with the
    /// TLS crypto provider this crate uses installed).
    ///
    /// ```
    /// let cap = naftiko::Capability::from_path("specs/vital/users.yaml")?;
    /// let client = naftiko::client_builder().user_agent("my-app/1.0").build()?;
    /// let rt = naftiko::Runtime::builder(cap).client(client).build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn client(mut self, client: reqwest::Client) -> Self {
        self.client = Some(client);
        self
    }

    /// Adds these headers to every request, unless the operation or its authentication
    /// sets the same header. They are shown by `prepare` and dry runs as they are: put
    /// credentials in [`RuntimeBuilder::auth_hook`] instead, which is redacted.
    ///
    /// ```
    /// use reqwest::header::{HeaderMap, HeaderValue};
    /// let mut headers = HeaderMap::new();
    /// headers.insert("x-team", HeaderValue::from_static("data"));
    /// let cap = naftiko::Capability::from_path("specs/vital/users.yaml")?;
    /// let rt = naftiko::Runtime::builder(cap)
    ///     .env([("VITAL_API_KEY", "k")])
    ///     .default_headers(headers)
    ///     .build()?;
    /// let req = rt.prepare("get_user_v2_user__user_id__get", serde_json::json!({"user_id": "u"}))?;
    /// assert_eq!(req.header("x-team").as_deref(), Some("data"));
    /// # Ok::<(), naftiko::Error>(())
    /// ```
    pub fn default_headers(mut self, headers: HeaderMap) -> Self {
        self.default_headers.extend(headers);
        self
    }

    /// Runs `hook` before every attempt of the calls to `namespace` (retries included),
    /// after the capability's own authentication, to add or override headers: a token
    /// from your own store, a signature of your own. An `Err` fails the call
    /// (`authentication failed: …`). Dry runs and `-v` show the headers it sets as `***`
    /// (the hook is run on an empty header map to learn their names).
    ///
    /// ```
    /// use reqwest::header::HeaderValue;
    /// let cap = naftiko::Capability::from_path("specs/vital/users.yaml")?;
    /// let rt = naftiko::Runtime::builder(cap)
    ///     .env([("VITAL_API_KEY", "unused")])
    ///     .auth_hook("users", |cx, headers| {
    ///         let token = format!("Bearer token-for-{}", cx.namespace);
    ///         let value = HeaderValue::from_str(&token).map_err(|e| e.to_string())?;
    ///         headers.insert("authorization", value);
    ///         Ok(())
    ///     })
    ///     .build()?;
    /// # Ok::<(), naftiko::Error>(())
    /// ```
    pub fn auth_hook<F>(mut self, namespace: impl Into<String>, hook: F) -> Self
    where
        F: Fn(&AuthContext<'_>, &mut HeaderMap) -> Result<(), String> + Send + Sync + 'static,
    {
        self.hooks.push((Some(namespace.into()), Arc::new(hook)));
        self
    }

    /// [`RuntimeBuilder::auth_hook`] for every namespace of the capability.
    pub fn auth_hook_all<F>(mut self, hook: F) -> Self
    where
        F: Fn(&AuthContext<'_>, &mut HeaderMap) -> Result<(), String> + Send + Sync + 'static,
    {
        self.hooks.push((None, Arc::new(hook)));
        self
    }

    /// The namespaces of the capability being built (for options given per namespace).
    pub fn namespaces(&self) -> impl Iterator<Item = &str> {
        self.cap.namespaces()
    }

    /// [`RuntimeBuilder::ca_file`] for every namespace of the capability.
    pub fn ca_file_all(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_files.push((None, path.into()));
        self
    }

    /// Resolves binds, checks the overrides and returns the runtime. No connection is made.
    pub fn build(self) -> Result<Runtime, Error> {
        let env = match self.env {
            Some(map) => Env::Map(map),
            None => Env::Process,
        };
        let binds = Binds::resolve(&self.cap, &env);
        let mut base_overrides = vec![None; self.cap.consumers.len()];
        for (ns, uri) in self.base_uris {
            let i = consumer_index(&self.cap, &ns, "base URI override")?;
            let trimmed = uri.trim().trim_end_matches('/').to_string();
            request::check_base_uri(&trimmed).map_err(|reason| Error::BaseUri {
                namespace: ns.clone(),
                reason,
            })?;
            base_overrides[i] = Some(trimmed);
        }
        let mut retry_ops = vec![false; self.cap.operations.len()];
        for name in &self.retry_non_idempotent_ops {
            retry_ops[self.cap.operation_index(name)?] = true;
        }
        let mut ca_files = vec![Vec::new(); self.cap.consumers.len()];
        for (ns, path) in self.ca_files {
            match ns {
                None => ca_files.iter_mut().for_each(|f| f.push(path.clone())),
                Some(ns) => ca_files[consumer_index(&self.cap, &ns, "CA file")?].push(path),
            }
        }
        let resolve = |t: &Template| render_secret(&binds, t);
        let shared = Arc::new(match self.client {
            Some(client) => Clients::with_client(self.config.clone(), client),
            None => Clients::new(self.config.clone(), TlsSettings::default()),
        });
        let mut hooks = vec![None; self.cap.consumers.len()];
        for (ns, hook) in self.hooks {
            match ns {
                None => hooks.iter_mut().for_each(|h| *h = Some(hook.clone())),
                Some(ns) => hooks[consumer_index(&self.cap, &ns, "auth hook")?] = Some(hook),
            }
        }
        let mut clients = Vec::new();
        let mut signers = Vec::new();
        for ((c, extra_cas), hook) in self.cap.consumers.iter().zip(ca_files).zip(hooks) {
            let mut tls = TlsSettings {
                ca_files: extra_cas,
                identity: None,
            };
            if let Some(ca) = c.ca_path.as_ref().and_then(&resolve) {
                tls.ca_files.insert(0, PathBuf::from(ca.expose()));
            }
            let env = |client: Arc<Clients>| auth::SignerEnv {
                resolve: &resolve,
                client: auth::HttpClient(Arc::new(move |url| client.reqwest(url))),
            };
            if let Some(auth) = &c.auth {
                tls.identity = auth::client_cert(auth, &env(shared.clone()));
            }
            let own = if tls.is_default() {
                shared.clone()
            } else {
                Arc::new(Clients::new(self.config.clone(), tls))
            };
            let scheme = (c.auth.as_ref()).and_then(|a| auth::signer(a, &env(own.clone())));
            signers.push(match hook {
                None => scheme,
                Some(hook) => Some(Arc::new(Hooked {
                    namespace: c.namespace.clone(),
                    scheme,
                    hook,
                }) as Arc<dyn Sign>),
            });
            clients.push(own);
        }
        let header_names = header_names(&self.cap, &self.default_headers);
        let base_urls = base_urls(&self.cap, &base_overrides);
        let metrics = Arc::new(Metrics::new(
            (self.cap.operations.iter())
                .map(|o| o.qualified.to_string())
                .collect(),
        ));
        Ok(Runtime {
            inner: Arc::new(Inner {
                metrics,
                cap: self.cap,
                binds,
                base_overrides,
                config: self.config,
                retry_ops,
                signers,
                clients,
                header_names,
                base_urls,
                default_headers: header_pairs(&self.default_headers),
            }),
        })
    }
}

/// Each consumer's base URL parsed once: its override, else its base URI when that has no
/// variables (`None` when neither: such URLs are parsed whole on every call).
fn base_urls(cap: &Capability, overrides: &[Option<String>]) -> Vec<Option<send::BaseUrl>> {
    (cap.consumers.iter().zip(overrides))
        .map(|(c, o)| {
            let text = match o {
                Some(o) => Some(o.clone()),
                None if c.base_uri_problem.is_none() => c.base_uri.literal_text(),
                None => None,
            };
            text.and_then(|t| send::BaseUrl::new(&t))
        })
        .collect()
}

/// Every header name the capability sends (header parameters of the consumers and the
/// operations, API-key headers) and the default headers, parsed once.
fn header_names(cap: &Capability, defaults: &HeaderMap) -> send::HeaderNames {
    let mut names = send::HeaderNames::default();
    let mut add = |name: &str| {
        if let Ok(parsed) = reqwest::header::HeaderName::from_bytes(name.as_bytes()) {
            names.insert(name.into(), parsed);
        }
    };
    let params = (cap.consumers.iter().flat_map(|c| &c.params))
        .chain(cap.operations.iter().flat_map(|o| &o.params));
    for p in params.filter(|p| p.location == crate::spec::ParamIn::Header) {
        add(&p.wire_name);
    }
    for c in &cap.consumers {
        if let Some(crate::spec::Auth::ApiKey {
            placement: crate::spec::KeyPlacement::Header,
            name,
            ..
        }) = &c.auth
        {
            add(&name.to_ascii_lowercase());
        }
    }
    for name in defaults.keys() {
        add(name.as_str());
    }
    names
}

/// A header map as `(lower-case name, value)` pairs (a value that is not UTF-8 lossily).
fn header_pairs(headers: &HeaderMap) -> Vec<(String, String)> {
    (headers.iter())
        .map(|(k, v)| {
            let value = String::from_utf8_lossy(v.as_bytes()).into_owned();
            (k.as_str().to_string(), value)
        })
        .collect()
}

/// The index of the consumer `ns`, or an error naming what was asked for it.
fn consumer_index(cap: &Capability, ns: &str, option: &'static str) -> Result<usize, Error> {
    cap.consumers
        .iter()
        .position(|c| c.namespace == ns)
        .ok_or_else(|| Error::UnknownNamespace {
            option,
            namespace: ns.to_string(),
            suggestion: closest(ns, cap.consumers.iter().map(|c| c.namespace.as_str())),
            known: cap.namespaces().map(str::to_string).collect(),
        })
}

/// A credential template's text from the binds (literal text and bound variables); `None`
/// when a variable has no value or is a call argument.
fn render_secret(binds: &Binds, t: &Template) -> Option<Secret> {
    let mut out = String::new();
    let mut name = None;
    for p in &t.parts {
        match p {
            Part::Lit(s) => out.push_str(s),
            Part::Var(Var::Arg(_)) => return None,
            Part::Var(v) => {
                let s = binds.lookup(v, "", &String::new).ok()?;
                name.get_or_insert_with(|| s.name().to_string());
                out.push_str(s.expose());
            }
        }
    }
    Some(Secret::new(
        name.unwrap_or_else(|| "credential".into()),
        out,
    ))
}

/// Runs the operations of one capability. Cheap to clone (shared state behind an `Arc`).
///
/// ```no_run
/// # async fn run() -> Result<(), naftiko::Error> {
/// use serde_json::json;
/// let cap = naftiko::Capability::from_path("specs/vital/users.yaml")?;
/// let rt = naftiko::Runtime::builder(cap).build()?;      // binds from the process environment
/// let out = rt.call("users.get_teams_users_v2_user_get", json!({"limit": 5})).await?;
/// println!("{}", out["result"]["total"]);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Runtime {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// Counters per operation and per served adapter (`/metrics`).
    metrics: Arc<Metrics>,
    cap: Capability,
    binds: Binds,
    base_overrides: Vec<Option<String>>,
    config: SendConfig,
    retry_ops: Vec<bool>,
    /// Per consumer: its HTTP clients. Consumers without TLS settings of their own (a
    /// private CA, a client certificate) share one.
    clients: Vec<Arc<Clients>>,
    /// Per consumer: its authentication scheme's per-attempt hook (oauth2, digest), and
    /// the user's [`RuntimeBuilder::auth_hook`].
    signers: Vec<Option<Arc<dyn Sign>>>,
    /// [`RuntimeBuilder::default_headers`], names in lower case.
    default_headers: Vec<(String, String)>,
    /// The header names the capability sends, parsed once.
    header_names: send::HeaderNames,
    /// Each consumer's base URL, parsed once (see `base_urls`).
    base_urls: Vec<Option<send::BaseUrl>>,
}

impl Inner {
    /// What was parsed at build time for consumer number `consumer`'s requests.
    fn prepared(&self, consumer: usize) -> send::Prepared<'_> {
        send::Prepared {
            names: &self.header_names,
            base: self.base_urls[consumer].as_ref(),
        }
    }
}

impl Runtime {
    /// The counters of this runtime and of the adapters serving it (shared by clones).
    pub(crate) fn metrics(&self) -> &Arc<Metrics> {
        &self.inner.metrics
    }

    /// Starts building a runtime for `cap`.
    pub fn builder(cap: Capability) -> RuntimeBuilder {
        RuntimeBuilder {
            cap,
            env: None,
            base_uris: Vec::new(),
            config: SendConfig::default(),
            retry_non_idempotent_ops: Vec::new(),
            ca_files: Vec::new(),
            client: None,
            default_headers: HeaderMap::new(),
            hooks: Vec::new(),
        }
    }

    /// The capability.
    pub fn capability(&self) -> &Capability {
        &self.inner.cap
    }

    /// The value of a credential template (literal text and bound secrets), for checking
    /// what a client of a served adapter presents; `None` when a secret has no value.
    /// (mcp helper hook, used by `expose`.)
    pub(crate) fn secret_text(&self, t: &crate::spec::Template) -> Option<String> {
        render_secret(&self.inner.binds, t).map(|s| s.expose().to_string())
    }

    /// The value of a bound variable (a `binds` key, or an environment variable the
    /// capability names), for `{{NAME}}` in an exposed `with`; `None` when it has none.
    /// (helper hook, used by `expose`.)
    pub(crate) fn bind_value(&self, name: &str) -> Option<String> {
        let var = crate::spec::Var::Bind(name.to_string());
        let s = self.inner.binds.lookup(&var, "", &String::new).ok()?;
        Some(s.expose().to_string())
    }

    /// Every secret value this runtime knows (binds and environment variables the
    /// capability uses), for redacting text that did not come through a request.
    /// (mcp helper hook, used by `expose`.)
    pub(crate) fn known_secrets(&self) -> Vec<crate::Secret> {
        let mut out = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let cap = &self.inner.cap;
        let mut vars: Vec<crate::spec::Var> = Vec::new();
        for c in &cap.consumers {
            vars.extend(c.base_uri.vars().cloned());
            if let Some(a) = &c.auth {
                auth::templates(a, &mut |t| vars.extend(t.vars().cloned()));
            }
        }
        for b in &cap.binds {
            for (k, _) in &b.keys {
                if let Ok(s) =
                    self.inner
                        .binds
                        .lookup(&crate::spec::Var::Bind(k.clone()), "", &String::new)
                {
                    if seen.insert(s.name().to_string()) {
                        out.push(s);
                    }
                }
            }
        }
        for v in vars.into_iter().filter(|v| v.is_secret()) {
            if let Ok(s) = self.inner.binds.lookup(&v, "", &String::new) {
                if seen.insert(s.name().to_string()) {
                    out.push(s);
                }
            }
        }
        out
    }

    /// Builds the request for an operation without sending it. Pure: no I/O.
    /// A missing secret is an error ([`Error::Bind`]).
    pub fn prepare(&self, operation: &str, args: Value) -> Result<PreparedRequest, Error> {
        self.prepare_with(operation, &args, Unset::Fail, &CallOptions::default())
    }

    /// [`Runtime::prepare`] with the headers, query pairs, path placeholders and body of
    /// `options` added.
    pub fn prepare_with_options(
        &self,
        operation: &str,
        args: Value,
        options: &CallOptions,
    ) -> Result<PreparedRequest, Error> {
        self.prepare_with(operation, &args, Unset::Fail, options)
    }

    /// [`Runtime::dry_run`] with the additions of `options`, as
    /// [`Runtime::prepare_with_options`].
    pub fn dry_run_with(
        &self,
        operation: &str,
        args: Value,
        options: &CallOptions,
    ) -> Result<PreparedRequest, Error> {
        let req = self.prepare_with(operation, &args, Unset::Placeholder, options)?;
        Ok(self.with_signing_preview(&req))
    }

    /// Like [`Runtime::prepare`], but a secret without a value becomes a placeholder (shown as
    /// `***`, exported to curl as `${NAME}`), so requests can be inspected without any secret.
    /// The result must not be sent.
    ///
    /// A scheme that signs each attempt (oauth1, hmac, aws-sig-v4) adds the headers it would
    /// send, their secret parts (keys, signatures) shown as `***` and the per-attempt parts
    /// (nonce, timestamp) as `<…>`; see [`Runtime::with_signing_preview`].
    pub fn dry_run(&self, operation: &str, args: Value) -> Result<PreparedRequest, Error> {
        let req = self.prepare_with(
            operation,
            &args,
            Unset::Placeholder,
            &CallOptions::default(),
        )?;
        Ok(self.with_signing_preview(&req))
    }

    /// `req` with the headers its consumer's signing scheme adds when it is sent, in their
    /// shape only (secret parts `***`): what `-v` and `--curl` show. A request without such a
    /// scheme is returned as it is. Sending the result sends fresh signatures in their place.
    pub fn with_signing_preview(&self, req: &PreparedRequest) -> PreparedRequest {
        let mut out = req.clone();
        let Ok(index) = self.index_of(req) else {
            return out;
        };
        let consumer = self.inner.cap.operations[index].consumer;
        let (Some(signer), Ok(url)) = (
            self.inner.signers[consumer].as_deref(),
            reqwest::Url::parse(req.expose_url()),
        ) else {
            return out;
        };
        let mut headers = reqwest::header::HeaderMap::new();
        signer.preview(req.method, &url, &mut headers);
        for (name, value) in &headers {
            let value = value.to_str().unwrap_or_default().to_string();
            // Replaced in place: the secret spots of the other headers keep their indices.
            match out.headers.iter().position(|(k, _)| k == name.as_str()) {
                Some(i) => {
                    out.headers[i].1 = value;
                    out.spots.headers.retain(|(h, _)| *h != i);
                }
                None => out.headers.push((name.as_str().to_string(), value)),
            }
        }
        out
    }

    fn prepare_with(
        &self,
        operation: &str,
        args: &Value,
        unset: Unset,
        options: &CallOptions,
    ) -> Result<PreparedRequest, Error> {
        let i = self.inner.cap.operation_index(operation)?;
        self.prepare_index(i, args, unset, options)
    }

    pub(crate) fn prepare_index(
        &self,
        i: usize,
        args: &Value,
        unset: Unset,
        options: &CallOptions,
    ) -> Result<PreparedRequest, Error> {
        self.prepare_args(i, request::Args::Json(args), unset, options)
    }

    fn prepare_args(
        &self,
        i: usize,
        args: request::Args<'_>,
        unset: Unset,
        options: &CallOptions,
    ) -> Result<PreparedRequest, Error> {
        let cap = &self.inner.cap;
        let op = &cap.operations[i];
        let consumer = &cap.consumers[op.consumer];
        let base = self.inner.base_overrides[op.consumer].as_deref();
        let binds = &self.inner.binds;
        let mut extras = options.extras();
        // Only a dry run may build what cannot be sent.
        extras.preview &= unset == Unset::Placeholder;
        let mut req = request::prepare(op, consumer, base, args, binds, unset, extras)?;
        req.index = i;
        for (name, value) in &self.inner.default_headers {
            if !req.headers.iter().any(|(k, _)| k == name) {
                req.headers.push((name.clone(), value.clone()));
            }
        }
        Ok(req)
    }

    /// Runs an operation: prepares, sends (with retries), decodes and maps the response.
    pub async fn call(&self, operation: &str, args: Value) -> Result<Value, Error> {
        self.call_with(operation, args, &CallOptions::default())
            .await
    }

    /// [`Runtime::call`] with the arguments as name/value pairs: the same checks and the
    /// same output, without a JSON object to build for them (a map whose every key is
    /// hashed). A name given twice counts once, with its last value.
    ///
    /// ```no_run
    /// # async fn run(rt: naftiko::Runtime) -> Result<(), naftiko::Error> {
    /// let op = "get_user_v2_user__user_id__get";
    /// let user = rt.call_args(op, &[("user_id", "u-1".into())]).await?;
    /// println!("{}", user["result"]["user_id"]);
    /// # Ok(()) }
    /// ```
    pub async fn call_args(&self, operation: &str, args: &[(&str, Value)]) -> Result<Value, Error> {
        let args = request::Args::Pairs(args);
        let options = CallOptions::default();
        Ok(self.call_request(operation, args, &options).await?.0)
    }

    /// [`Runtime::call`], its output deserialized into `T` (a struct of yours). An output
    /// that does not fit is [`MapError::Output`], with serde's message.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), naftiko::Error> {
    /// #[derive(serde::Deserialize)]
    /// struct Users { total: u64 }
    /// let rt = naftiko::Runtime::builder(naftiko::Capability::from_path("specs/vital/users.yaml")?).build()?;
    /// let users: Users = rt.call_as("get_teams_users_v2_user_get", serde_json::json!({})).await?;
    /// println!("{}", users.total);
    /// # Ok(()) }
    /// ```
    pub async fn call_as<T: DeserializeOwned>(
        &self,
        operation: &str,
        args: Value,
    ) -> Result<T, Error> {
        let (value, req) = self
            .call_request(
                operation,
                request::Args::Json(&args),
                &CallOptions::default(),
            )
            .await?;
        serde_json::from_value(value).map_err(|e| {
            Error::Map(MapError::Output {
                operation: req.operation.to_string(),
                message: req.redact(&e.to_string()).into_owned(),
            })
        })
    }

    /// [`Runtime::call`] with per-call options.
    pub async fn call_with(
        &self,
        operation: &str,
        args: Value,
        options: &CallOptions,
    ) -> Result<Value, Error> {
        let args = request::Args::Json(&args);
        Ok(self.call_request(operation, args, options).await?.0)
    }

    /// A call's mapped output, and the request that was sent (to redact what is made of
    /// the output).
    async fn call_request(
        &self,
        operation: &str,
        args: request::Args<'_>,
        options: &CallOptions,
    ) -> Result<(Value, PreparedRequest), Error> {
        let (i, req, response) = self.send_call(operation, args, options).await?;
        let value = self.output_of(i, &req, &response.body)?;
        Ok((value, req))
    }

    /// [`Runtime::call_with`] for a caller that writes the output as JSON (the MCP server):
    /// when the operation maps nothing and its JSON body is already the text serde_json
    /// would write for it, that text as it came, neither decoded nor written again.
    pub(crate) async fn call_output(
        &self,
        operation: &str,
        args: Value,
        options: &CallOptions,
    ) -> Result<Output, Error> {
        let args = request::Args::Json(&args);
        let (i, req, response) = self.send_call(operation, args, options).await?;
        let op = &self.inner.cap.operations[i];
        let json = matches!(op.format, crate::decode::Format::Json);
        let wrap = op.output.wraps_whole().filter(|_| json);
        let text =
            wrap.and_then(|w| Some((w, crate::decode::canonical_json_text(&response.body)?)));
        match text {
            Some((None, text)) => Ok(Output::Text(text.to_string())),
            Some((Some(name), text)) => {
                // What serde_json writes for `{name: value}`: the name as a JSON string.
                let name = Value::String(name.to_string()).to_string();
                Ok(Output::Text(format!("{{{name}:{text}}}")))
            }
            None => self.output_of(i, &req, &response.body).map(Output::Value),
        }
    }

    /// Prepares and sends a call: the operation's index, the request sent and the answer.
    async fn send_call(
        &self,
        operation: &str,
        args: request::Args<'_>,
        options: &CallOptions,
    ) -> Result<(usize, PreparedRequest, Response), Error> {
        let cap = &self.inner.cap;
        let i = cap.operation_index(operation)?;
        let op = &cap.operations[i];
        op.format.check(&op.qualified)?;
        let req = self.prepare_args(i, args, Unset::Fail, options)?;
        let response = self.execute_op(i, &req, options, false).await?;
        Ok((i, req, response))
    }

    /// The body decoded by the operation's format, its output mapping applied; a decode
    /// error quotes the start of the body with secrets redacted.
    fn output_of(&self, index: usize, req: &PreparedRequest, body: &[u8]) -> Result<Value, Error> {
        let op = &self.inner.cap.operations[index];
        let value = op
            .format
            .decode(&req.operation, body)
            .map_err(|e| redact_snippet(e, req, body))?;
        Ok(op.output.apply(value))
    }

    /// Decodes a response body to `req` and applies the operation's output mapping: what
    /// [`Runtime::call`] returns, for a body obtained with [`Runtime::execute`]. An empty
    /// body is `null`. A decode error quotes the start of the body with secrets redacted
    /// (a server may echo the key).
    pub fn map_response(&self, req: &PreparedRequest, body: &[u8]) -> Result<Value, Error> {
        self.output_of(self.index_of(req)?, req, body)
    }

    /// The operation a prepared request belongs to: the index recorded by `prepare`
    /// (names can be ambiguous), or a lookup by name for a request from another runtime.
    fn index_of(&self, req: &PreparedRequest) -> Result<usize, Error> {
        let cap = &self.inner.cap;
        Ok(match cap.operations.get(req.index) {
            Some(op) if op.qualified == req.operation => req.index,
            _ => cap.operation_index(&req.operation)?,
        })
    }

    /// Sends `req` (a request of operation number `index`) and decodes its body: the
    /// decoded body, before the output mapping, and the response headers. For `paginate`.
    pub(crate) async fn fetch(
        &self,
        index: usize,
        req: &PreparedRequest,
    ) -> Result<(Value, Vec<(String, String)>), Error> {
        let op = &self.inner.cap.operations[index];
        op.format.check(&op.qualified)?;
        let response = (self.execute_op(index, req, &CallOptions::default(), true)).await?;
        let value = (op.format)
            .decode(&req.operation, &response.body)
            .map_err(|e| redact_snippet(e, req, &response.body))?;
        Ok((value, response.headers))
    }

    /// Sends a prepared request and returns the undecoded response (status < 400).
    pub async fn execute(
        &self,
        req: &PreparedRequest,
        options: &CallOptions,
    ) -> Result<Response, Error> {
        let i = self.index_of(req)?;
        self.execute_op(i, req, options, true).await
    }

    async fn execute_op(
        &self,
        index: usize,
        req: &PreparedRequest,
        options: &CallOptions,
        keep_headers: bool,
    ) -> Result<Response, Error> {
        let inner = &self.inner;
        let consumer = inner.cap.operations[index].consumer;
        let client = match inner.clients[consumer].get(req.expose_url()) {
            Ok(c) => c,
            Err(e) => {
                return Err(SendError::Transport {
                    operation: req.operation.to_string(),
                    message: format!("cannot build the HTTP client: {e}"),
                    attempts: 0,
                }
                .into())
            }
        };
        let mut retry = inner.config.retry.clone();
        if let Some(n) = options.max_retries {
            retry.max_retries = n;
        }
        retry.retry_non_idempotent = options
            .retry_non_idempotent
            .unwrap_or(retry.retry_non_idempotent || inner.retry_ops[index]);
        let timeout = options.timeout.unwrap_or(inner.config.timeout);
        let span = tracing::info_span!("naftiko.call", operation = %req.operation, method = %req.method, status = tracing::field::Empty, attempts = tracing::field::Empty, latency_ms = tracing::field::Empty, trace_id = tracing::field::Empty, span_id = tracing::field::Empty);
        let signer = inner.signers[consumer].as_deref();
        let trace = options.traceparent.map(|t| t.child());
        let trace_header = trace.and_then(|t| HeaderValue::from_str(&t.to_string()).ok());
        let started = Instant::now();
        let sending = send::send(
            client,
            req,
            signer,
            &inner.config,
            timeout,
            &retry,
            keep_headers,
            trace_header.as_ref(),
            started,
            inner.prepared(consumer),
        );
        let stats = inner.metrics.op(index);
        let _in_flight = stats.start();
        if span.is_disabled() {
            // No subscriber wants the span: skip its bookkeeping (the counters stay).
            let result = sending.await;
            stats.finish(started.elapsed(), attempts(&result), result.is_err());
            return Ok(result?);
        }
        if let Some(t) = &trace {
            span.record("trace_id", t.trace_id());
            span.record("span_id", t.span_id());
        }
        let result = sending.instrument(span.clone()).await;
        let elapsed = started.elapsed();
        stats.finish(elapsed, attempts(&result), result.is_err());
        let latency = elapsed.as_secs_f64() * 1000.0;
        match &result {
            Ok(r) => {
                span.record("status", r.status);
                span.record("attempts", r.attempts);
            }
            Err(SendError::Status(e)) => {
                span.record("status", e.status);
                span.record("attempts", e.attempts);
            }
            Err(_) => {}
        }
        span.record("latency_ms", latency);
        tracing::debug!(parent: &span, outcome = if result.is_ok() { "ok" } else { "error" }, "call finished");
        Ok(result?)
    }
}

/// Attempts a call made, whatever its outcome.
fn attempts(result: &Result<Response, SendError>) -> u32 {
    match result {
        Ok(r) => r.attempts,
        Err(e) => e.attempts(),
    }
}

impl Runtime {
    /// Forwards a request to consumed namespace number `consumer` (`forward` on a REST
    /// adapter): see `request::prepare_forward` for the URL and headers, `send::forward` for
    /// the streamed exchange. Used by `expose`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn forward(
        &self,
        consumer: usize,
        method: crate::spec::Method,
        path: &str,
        query: Option<&str>,
        headers: Vec<(String, String)>,
        body: Option<send::Outgoing>,
        timeout: Option<Duration>,
    ) -> Result<send::Forwarded, Error> {
        let inner = &self.inner;
        let c = &inner.cap.consumers[consumer];
        let label: Arc<str> = format!("forward to `{}`", c.namespace).into();
        let req = request::prepare_forward(
            &label,
            c,
            inner.base_overrides[consumer].as_deref(),
            method,
            path,
            query,
            headers,
            &inner.binds,
        )?;
        let client =
            inner.clients[consumer]
                .get(req.expose_url())
                .map_err(|e| SendError::Transport {
                    operation: label.to_string(),
                    message: format!("cannot build the HTTP client: {e}"),
                    attempts: 0,
                })?;
        let timeout = timeout.unwrap_or(inner.config.timeout);
        let span = tracing::info_span!("naftiko.forward", target = %c.namespace, method = %method.as_str());
        let prepared = inner.prepared(consumer);
        Ok(
            send::forward(client, &req, body, &inner.config, timeout, prepared)
                .instrument(span)
                .await?,
        )
    }
}

/// What [`Runtime::call_output`] gives.
pub(crate) enum Output {
    /// The output's JSON text, exactly as serde_json writes it (compact): the body as sent.
    Text(String),
    /// The output.
    Value(Value),
}

/// A body that is not JSON may echo the key (a proxy's error page, a debug endpoint): the
/// snippet in the error is cut from the redacted body, so not even part of a key shows.
fn redact_snippet(e: MapError, req: &PreparedRequest, body: &[u8]) -> MapError {
    match e {
        MapError::Decode {
            operation, source, ..
        } => {
            let head = String::from_utf8_lossy(&body[..body.len().min(4096)]);
            MapError::Decode {
                operation,
                snippet: req.redact(&head).chars().take(80).collect(),
                source,
            }
        }
        other => other,
    }
}
