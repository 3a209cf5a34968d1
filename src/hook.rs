//! The authentication hook a library user adds in code ([`RuntimeBuilder::auth_hook`]):
//! a closure run before every attempt of a namespace's calls, on top of the capability's
//! own scheme. It is one more [`Sign`]: `send` runs it where it runs the oauth2 and
//! digest signers, within the call's deadline, and again on each retry.
//!
//! [`RuntimeBuilder::auth_hook`]: crate::RuntimeBuilder::auth_hook

use std::fmt;
use std::sync::Arc;

use reqwest::header::{HeaderMap, HeaderValue};

use crate::auth::{Sign, SignFuture};
use crate::spec::Method;

/// What the hook is told about the attempt it authenticates.
#[derive(Debug)]
pub struct AuthContext<'a> {
    /// The consumed namespace the call goes to.
    pub namespace: &'a str,
    /// The request's method.
    pub method: Method,
    /// The full URL, query included.
    pub url: &'a reqwest::Url,
}

/// The closure given to [`RuntimeBuilder::auth_hook`](crate::RuntimeBuilder::auth_hook):
/// adds or replaces headers of one attempt; an `Err` fails the call ("authentication
/// failed: …", not retried).
pub type AuthHook = dyn Fn(&AuthContext<'_>, &mut HeaderMap) -> Result<(), String> + Send + Sync;

/// A consumer's signer with the user's hook run after it (so the hook can override what
/// the capability's scheme set).
pub(crate) struct Hooked {
    pub(crate) namespace: String,
    pub(crate) scheme: Option<Arc<dyn Sign>>,
    pub(crate) hook: Arc<AuthHook>,
}

impl fmt::Debug for Hooked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hooked")
            .field("namespace", &self.namespace)
            .field("scheme", &self.scheme)
            .finish_non_exhaustive()
    }
}

impl Sign for Hooked {
    fn sign<'a>(
        &'a self,
        method: Method,
        url: &'a reqwest::Url,
        headers: &'a mut HeaderMap,
        body: Option<&'a [u8]>,
    ) -> SignFuture<'a> {
        Box::pin(async move {
            if let Some(scheme) = &self.scheme {
                scheme.sign(method, url, headers, body).await?;
            }
            let cx = AuthContext {
                namespace: &self.namespace,
                method,
                url,
            };
            (self.hook)(&cx, headers)
        })
    }

    /// The scheme's preview, then the headers the hook sets, their values shown as `***`
    /// (a hook's headers are taken for credentials).
    fn preview(&self, method: Method, url: &reqwest::Url, headers: &mut HeaderMap) {
        if let Some(scheme) = &self.scheme {
            scheme.preview(method, url, headers);
        }
        let cx = AuthContext {
            namespace: &self.namespace,
            method,
            url,
        };
        let mut set = HeaderMap::new();
        if (self.hook)(&cx, &mut set).is_ok() {
            for name in set.keys() {
                headers.insert(name.clone(), HeaderValue::from_static("***"));
            }
        }
    }

    fn unauthorized(&self, sent: &HeaderMap, response: &HeaderMap) -> bool {
        self.scheme
            .as_ref()
            .is_some_and(|s| s.unauthorized(sent, response))
    }
}
