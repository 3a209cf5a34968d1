//! Authentication: one file per scheme, behind the [`Scheme`] trait.
//!
//! The model of a consumer's authentication is [`spec::Auth`](crate::Auth) (parsed by the
//! loader); this module is what each scheme *does*:
//!
//! * [`Scheme::templates`]: the templates its credential is rendered from, so the runtime
//!   snapshots the variables they read when it is built;
//! * [`Scheme::apply`]: puts the credential on a request being built, through [`Draft`]. Pure,
//!   once per call, like the rest of `prepare`;
//! * [`Scheme::describe`]: where the credential goes and which variables it comes from, never
//!   a value (the `Display` of [`Auth`]);
//! * [`Scheme::signer`]: the hook for schemes that cannot be applied once by a pure function
//!   (see [`Sign`]). Today's schemes have none.
//!
//! `with_scheme!` is the one place an [`Auth`] variant is mapped to its implementation.
//!
//! Where to add a scheme: its variant in `spec::Auth`, its parsing in the loader, a file
//! here implementing [`Scheme`], and its arm in `with_scheme!`.
//!
//! This module does not depend on the request builder (`crate::request` implements
//! [`Draft`]), on `bind` or on `send` (`send` calls [`Sign`]).

mod apikey;
mod basic;
mod bearer;
mod query;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use reqwest::header::HeaderMap;

use crate::secret::Secret;
use crate::spec::{Auth, Method, Template, Var};

/// What an authentication scheme does. Implemented by a borrowed view of each [`Auth`]
/// variant (see `with_scheme!`).
pub(crate) trait Scheme {
    /// Calls `each` with every template the credential is rendered from.
    fn templates(&self, each: &mut dyn FnMut(&Template));

    /// Puts the credential on the request being built.
    fn apply<D: Draft>(&self, draft: &mut D) -> Result<(), D::Error>;

    /// Where the credential goes and which variables it comes from; never a value.
    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result;

    /// The per-attempt hook of a scheme that signs the whole request or fetches a token
    /// with I/O; `None` when [`Scheme::apply`] did everything. Called once per consumer when
    /// the runtime is built, so the signer can keep state (a token cache) across calls.
    fn signer(&self) -> Option<Arc<dyn Sign>> {
        None
    }
}

/// The request being built, as a scheme sees it. The request builder implements it: it
/// owns the call's arguments, the binds and the secrets, and checks and encodes what a
/// scheme places.
pub(crate) trait Draft {
    /// The builder's error ([`crate::PrepareError`]); schemes pass it on untouched.
    type Error;

    /// Renders a credential template: the call's arguments and bound secrets filled in.
    /// `usage` says where the capability uses the variables, for a missing secret's error.
    fn render(&mut self, t: &Template, usage: &dyn Fn() -> String) -> Result<String, Self::Error>;

    /// Makes sure a rendered credential is redacted wherever the request is shown, also
    /// when it is not exactly one bound secret (literal text, or text around variables).
    fn guard(&mut self, credential: &str);

    /// The shell expression that reads the secret whose value is exactly `value`
    /// (`${VITAL_API_KEY}`), or `***` when no secret has that value; for `to_curl`.
    fn shell(&self, value: &str) -> String;

    /// Registers a value derived from credentials (basic's base64) as a secret.
    fn add_secret(&mut self, secret: Secret);

    /// Refuses a header name or value that cannot be sent as it is.
    fn check_header(&self, name: &str, value: &str) -> Result<(), Self::Error>;

    /// Puts a credential on the request, after the parameters of the same kind.
    fn place(&mut self, placed: Placed);
}

/// Where a scheme puts a credential. The builder encodes it for where it goes.
pub(crate) enum Placed {
    /// A header (name in lower case), already checked with [`Draft::check_header`].
    Header { name: String, value: String },
    /// A query parameter.
    Query { name: String, value: String },
    /// A cookie.
    Cookie { name: String, value: String },
    /// A field of the JSON body (which is made an object if there is no body).
    BodyField { name: String, value: String },
}

/// The future [`Sign::sign`] returns (boxed, so that signers can be trait objects).
pub(crate) type SignFuture<'a> = Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>>;

/// Per-attempt work for a scheme that cannot put its credential on the request once, when
/// the pure builder runs:
///
/// * a scheme that signs the request as sent (AWS SigV4, HTTP message signatures): the
///   signature covers a timestamp and the exact headers, so every retry signs again;
/// * a scheme that needs I/O (OAuth2 client credentials): fetch a token, cache it across
///   calls, refresh it when it expires.
///
/// `send` calls [`Sign::sign`] before every attempt, with the headers of that attempt
/// (which the signer may add to) and the body bytes, within the call's deadline; an error
/// ends the call as a transport error (`authentication failed: …`). Today's schemes have
/// no signer: the hook costs one `None` check per attempt.
///
/// What a signer adds is never part of a [`crate::PreparedRequest`] (dry runs and curl
/// exports show the request before signing), so it must mark the headers it adds sensitive
/// (`HeaderValue::set_sensitive`) and keep credentials out of its error messages.
pub(crate) trait Sign: Send + Sync + fmt::Debug {
    /// Signs (or authorizes) one attempt.
    fn sign<'a>(
        &'a self,
        method: Method,
        url: &'a reqwest::Url,
        headers: &'a mut HeaderMap,
        body: Option<&'a [u8]>,
    ) -> SignFuture<'a>;
}

/// A scheme declared in the capability that this runtime does not implement: its
/// operations are refused when the capability loads, so it never applies.
struct Unsupported<'a> {
    kind: &'a str,
    reason: &'a str,
}

impl Scheme for Unsupported<'_> {
    fn templates(&self, _: &mut dyn FnMut(&Template)) {}

    fn apply<D: Draft>(&self, _: &mut D) -> Result<(), D::Error> {
        Ok(())
    }

    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`: not supported yet ({})", self.kind, self.reason)
    }
}

/// Runs `$body` with `$s` bound to the implementation of `$auth`: the one place a
/// [`Auth`] variant is mapped to its scheme. A new scheme adds its arm here.
macro_rules! with_scheme {
    ($auth:expr, |$s:ident| $body:expr) => {
        match $auth {
            Auth::ApiKey {
                placement,
                name,
                value,
            } => {
                let $s = apikey::ApiKey {
                    placement: *placement,
                    name,
                    value,
                };
                $body
            }
            Auth::Bearer { token } => {
                let $s = bearer::Bearer { token };
                $body
            }
            Auth::Basic { username, password } => {
                let $s = basic::Basic { username, password };
                $body
            }
            Auth::QueryParams { params } => {
                let $s = query::QueryParams { params };
                $body
            }
            Auth::Unsupported { kind, reason } => {
                let $s = Unsupported { kind, reason };
                $body
            }
        }
    };
}

/// Calls `each` with every template the credential of `auth` is rendered from.
pub(crate) fn templates(auth: &Auth, each: &mut dyn FnMut(&Template)) {
    with_scheme!(auth, |s| s.templates(each))
}

/// Puts the credential of `auth` on the request being built.
pub(crate) fn apply<D: Draft>(auth: &Auth, draft: &mut D) -> Result<(), D::Error> {
    with_scheme!(auth, |s| s.apply(draft))
}

/// The per-attempt signer of `auth`, if its scheme needs one (none does today).
pub(crate) fn signer(auth: &Auth) -> Option<Arc<dyn Sign>> {
    with_scheme!(auth, |s| s.signer())
}

/// Where the credential goes and which variables it comes from; never a value, not even
/// one written literally in the capability.
///
/// ```
/// let cap = naftiko::Capability::from_path("specs/vital/users.yaml")?;
/// let auth = cap.auth("users").ok_or("no auth")?;
/// assert_eq!(auth.to_string(), "API key in the header `X-Vital-API-Key`, from $VITAL_API_KEY");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
impl fmt::Display for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        with_scheme!(self, |s| s.describe(f))
    }
}

/// Which variables a credential template reads, without showing any literal text (a
/// capability may hard-code a secret).
fn source(t: &Template) -> String {
    let vars: Vec<String> = t
        .vars()
        .map(|v| match v {
            Var::Arg(n) => format!("the argument `{n}`"),
            other => format!("${}", other.name()),
        })
        .collect();
    // `Template::display` writes variables as `{name}`; anything else in it is literal text.
    let only_vars: String = t.vars().map(|v| format!("{{{}}}", v.name())).collect();
    let has_literal = t.display() != only_vars;
    match (vars.is_empty(), has_literal) {
        (true, _) => "a fixed value written in the capability (not shown)".to_string(),
        (false, false) => format!("from {}", vars.join(", ")),
        (false, true) => format!("from a template using {}", vars.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::template::Part;
    use crate::spec::KeyPlacement;

    fn var(name: &str) -> Template {
        Template {
            parts: vec![Part::Var(Var::Env(name.into()))],
        }
    }

    fn lit(text: &str) -> Template {
        Template {
            parts: vec![Part::Lit(text.into())],
        }
    }

    /// The texts `naftiko describe` prints (its snapshots pin them too).
    #[test]
    fn descriptions_name_variables_and_never_values() {
        let cases = [
            (
                Auth::ApiKey {
                    placement: KeyPlacement::Cookie,
                    name: "sid".into(),
                    value: var("SID"),
                },
                "API key in the cookie `sid`, from $SID",
            ),
            (
                Auth::Bearer {
                    token: lit("sk_live_1"),
                },
                "bearer token in the `authorization` header, a fixed value written in the capability (not shown)",
            ),
            (
                Auth::Basic {
                    username: var("USER"),
                    password: Template {
                        parts: vec![Part::Lit("x-".into()), Part::Var(Var::Bind("PW".into()))],
                    },
                },
                "HTTP basic in the `authorization` header: user from $USER; password from a template using $PW",
            ),
            (
                Auth::QueryParams {
                    params: vec![("k".into(), var("K")), ("t".into(), var("T"))],
                },
                "query parameters: `k` from $K; `t` from $T",
            ),
            (
                Auth::Unsupported {
                    kind: "aws-sig-v4".into(),
                    reason: "not implemented".into(),
                },
                "`aws-sig-v4`: not supported yet (not implemented)",
            ),
        ];
        for (auth, text) in cases {
            assert_eq!(auth.to_string(), text);
        }
    }

    #[test]
    fn templates_lists_every_credential_template() {
        let auth = Auth::Basic {
            username: var("USER"),
            password: var("PW"),
        };
        let mut names = Vec::new();
        templates(&auth, &mut |t| names.push(t.display()));
        assert_eq!(names, ["{USER}", "{PW}"]);
    }

    #[test]
    fn no_scheme_has_a_signer_yet() {
        assert!(signer(&Auth::Bearer { token: var("T") }).is_none());
    }
}
