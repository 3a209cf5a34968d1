//! # naftiko
//!
//! A runtime for [Naftiko](https://naftiko.io) capabilities: load any capability file (YAML or
//! JSON) at start-up and run its consumed HTTP operations by name. No per-operation code, no
//! code generation: a new capability works without recompiling.
//!
//! A call flows through five steps, one module each:
//! **`spec`** (load and index the capability, once) → **`bind`** (secrets from the
//! environment or a bind file) → **`request`** (a pure, serializable [`PreparedRequest`],
//! credentials put on by **`auth`**) → **`send`** (HTTP with deadline, safe retries and
//! limits) → **`decode`** and **`map`** (decode the body in its [`Format`] and apply the
//! `outputParameters` JSONPath).
//!
//! ```
//! use serde_json::json;
//!
//! let cap = naftiko::Capability::from_path("specs/vital/users.yaml")?;
//! let rt = naftiko::Runtime::builder(cap)
//!     .env([("VITAL_API_KEY", "sk_us_example")])
//!     .build()?;
//!
//! // Build the request without sending it: method, URL, headers and body, secrets redacted.
//! let req = rt.prepare("get_user_v2_user__user_id__get", json!({"user_id": "u-1"}))?;
//! assert_eq!(req.method().as_str(), "GET");
//! assert_eq!(req.url(), "https://api.us.junction.com/v2/user/u-1");
//! assert_eq!(
//!     serde_json::to_value(&req)?,
//!     json!({
//!         "method": "GET",
//!         "url": "https://api.us.junction.com/v2/user/u-1",
//!         "headers": {"x-vital-api-key": "***"},
//!         "body": null
//!     })
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Sending is `rt.call(name, args).await`, which returns the mapped JSON output or a typed
//! [`Error`].

#![forbid(unsafe_code)]
#![deny(missing_docs)]

// Every module is private: the public API is what this file re-exports, one path per item.
mod auth;
mod bind;
#[cfg(feature = "blocking")]
pub mod blocking;
mod decode;
mod encode;
mod error;
#[cfg(feature = "serve")]
mod expose;
mod hook;
mod load;
mod map;
mod metrics;
#[cfg(feature = "openapi")]
pub mod openapi;
mod paginate;
mod request;
mod runtime;
mod secret;
mod send;
mod spec;
mod trace;

pub use bind::BindError;
pub use decode::{supports_format, Format};
pub use error::Error;
#[cfg(feature = "serve")]
pub use expose::{
    keep_timer_wheel_armed, Control, HttpOptions, McpOptions, McpServer, RestOptions, RestServer,
    SkillServer,
};
pub use hook::{AuthContext, AuthHook};
pub use map::{query, MapError, PathError, Query};
pub use paginate::{Page, PageOptions, Pages, DEFAULT_MAX_PAGES};
pub use request::{Body, PrepareError, PreparedRequest};
/// The HTTP client crate this one is built on, for [`RuntimeBuilder::client`],
/// [`RuntimeBuilder::default_headers`] and [`RuntimeBuilder::auth_hook`] without a version
/// to keep in step.
pub use reqwest;
pub use runtime::{CallOptions, Runtime, RuntimeBuilder};
pub use secret::Secret;
pub use send::{client_builder, HttpError, Response, RetryPolicy, SendError};
pub use spec::{
    Adapter, AdapterKind, Auth, Bind, Capability, ClientAuth, Consumer, ControlSettings,
    Diagnostic, Hints, InboundAuth, KeyPlacement, LoadOptions, Location, LookupError, Method,
    OAuth1Method, Operation, PageError, PageStyle, Pagination, Param, ParamIn, ParamType, Part,
    Resource, RestOperation, Severity, SpecError, Template, Tool, Transport, Var,
};
pub use trace::TraceParent;

/// Internals exposed only for the project's own benchmarks; not part of the API.
#[doc(hidden)]
pub mod __bench {
    pub use crate::decode::decode_as;
    pub use crate::load::tree::parse as parse_tree;
}

/// The examples in README.md are compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

/// The YAML and JSON documents under `specs/` and `tests/fixtures/`, for tests that run
/// over every real file.
#[cfg(test)]
pub(crate) mod test_files {
    use std::path::{Path, PathBuf};

    pub(crate) fn documents() -> Vec<PathBuf> {
        let mut found = Vec::new();
        for dir in ["specs", "tests/fixtures"] {
            walk(Path::new(dir), &mut found);
        }
        found
    }

    fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, found);
            } else if path
                .extension()
                .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
            {
                found.push(path);
            }
        }
    }
}
