//! The top-level [`Error`]: each layer has its own enum, and this one wraps them.
//!
//! The operation's name is a field of each layer's variants (21 of them) rather than
//! stored once beside the layer's error: the public API matches on the layer's error as
//! the only field of a tuple variant (`Error::Prepare(PrepareError::InvalidValue { .. })`,
//! `Error::Send(SendError::Timeout { attempts: 1, .. })`), each layer's error is displayed
//! on its own with the operation in its message, and `HttpError::operation` is a public
//! field. Storing the operation once would change those patterns.

use crate::bind::BindError;
use crate::map::MapError;
use crate::request::PrepareError;
use crate::send::{HttpError, SendError};
use crate::spec::{did_you_mean, LookupError, PageError, SpecError};

/// Any error the runtime can return. Each layer has its own enum; this one wraps them.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The capability file could not be loaded.
    #[error(transparent)]
    Spec(#[from] SpecError),
    /// A builder option names a namespace the capability does not consume
    /// ([`RuntimeBuilder::base_uri`](crate::RuntimeBuilder::base_uri),
    /// [`RuntimeBuilder::ca_file`](crate::RuntimeBuilder::ca_file),
    /// [`RuntimeBuilder::auth_hook`](crate::RuntimeBuilder::auth_hook)).
    #[error("{option} for unknown namespace `{namespace}`{}; namespaces: {}", did_you_mean(suggestion.as_deref()), known.join(", "))]
    UnknownNamespace {
        /// The option (`base URI override`, `CA file`, …).
        option: &'static str,
        /// The namespace asked for.
        namespace: String,
        /// The closest known namespace, if one is close.
        suggestion: Option<String>,
        /// The capability's namespaces.
        known: Vec<String>,
    },
    /// A base URI override is not an http(s) URL with a host.
    #[error("base URI override for `{namespace}`: {reason}")]
    BaseUri {
        /// The namespace overridden.
        namespace: String,
        /// What is wrong with the URI.
        reason: String,
    },
    /// A server was asked for an adapter the capability does not expose (the MCP, REST and
    /// skill servers' start-up).
    #[error("no {kind} adapter{} in {}; {kind} adapters: {}", namespace.as_ref().map(|n| format!(" `{n}`")).unwrap_or_default(), file.display(), if known.is_empty() { "none".to_string() } else { known.join(", ") })]
    NoAdapter {
        /// `MCP`, `REST` or `skill`.
        kind: &'static str,
        /// The namespace asked for (`None`: the first of its kind).
        namespace: Option<String>,
        /// The capability file.
        file: std::path::PathBuf,
        /// The namespaces of the adapters of that kind it declares.
        known: Vec<String>,
    },
    /// No operation has the name asked for (or several do).
    #[error(transparent)]
    Lookup(#[from] LookupError),
    /// The arguments do not fit the operation, or the request cannot be built.
    #[error(transparent)]
    Prepare(PrepareError),
    /// A bound secret has no value.
    #[error(transparent)]
    Bind(Box<BindError>),
    /// The HTTP exchange failed or the server answered with a status ≥ 400.
    #[error(transparent)]
    Send(#[from] SendError),
    /// The response could not be decoded.
    #[error(transparent)]
    Map(#[from] MapError),
    /// The operation does not page, or its next page cannot be followed.
    #[error(transparent)]
    Page(#[from] PageError),
}

impl From<BindError> for Error {
    fn from(e: BindError) -> Error {
        Error::Bind(Box::new(e))
    }
}

impl From<PrepareError> for Error {
    fn from(e: PrepareError) -> Error {
        match e {
            PrepareError::Bind(b) => Error::Bind(b),
            other => Error::Prepare(other),
        }
    }
}

impl Error {
    /// The HTTP error, if the server answered with a status of 400 or more.
    pub fn http(&self) -> Option<&HttpError> {
        match self {
            Error::Send(SendError::Status(e)) => Some(e),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Errors travel in `Result`s everywhere: keep them small (clippy's limit is 128 bytes).
    #[test]
    fn errors_stay_small() {
        assert!(std::mem::size_of::<PrepareError>() < 128);
        assert!(std::mem::size_of::<Error>() < 128);
    }
}
