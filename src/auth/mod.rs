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
//!   (see [`Sign`]): `oauth2` (a token fetched and cached) and `digest` (a challenge
//!   answered). It is built once per consumer when the runtime is built, from the
//!   credentials resolved from the binds ([`SignerEnv`]);
//! * [`Scheme::client_cert`]: a TLS client certificate (`certificate`), which the runtime
//!   gives the consumer's own HTTP client.
//!
//! `apply` still renders the credentials of every scheme, signers included: a missing bind
//! is reported there, naming the variable, before any I/O, and a dry run gets placeholders.
//!
//! ## 401: answering a challenge, refreshing a token
//!
//! `send` calls [`Sign::unauthorized`] when an attempt signed by a signer gets a `401`, with
//! the headers the attempt sent and the response's headers. The signer updates its state
//! (digest stores the new challenge; oauth2 drops the rejected token) and says whether to
//! resend. `send` resends at most once per call, at once and signed again, whatever the
//! method: a `401` means the server did not act on the request. The resend does not count
//! against the retry policy.
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
mod certificate;
mod digest;
mod oauth2;
mod query;

mod aws_sigv4;
mod hmac;
mod oauth1;
mod signing;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use reqwest::header::HeaderMap;

use crate::secret::Secret;
use crate::spec::{Auth, Method, Template, Var};

pub(crate) use certificate::ClientCert;

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
    fn signer(&self, _env: &SignerEnv<'_>) -> Option<Arc<dyn Sign>> {
        None
    }

    /// The TLS client certificate the consumer's HTTP client presents, if the scheme is one
    /// (its files are read when that client is first built).
    fn client_cert(&self, _env: &SignerEnv<'_>) -> Option<ClientCert> {
        None
    }
}

/// What a signer is built from, once per consumer, when the runtime is built.
pub(crate) struct SignerEnv<'a> {
    /// Renders a credential template from the binds (literal text and bound variables):
    /// `None` when a variable has no value or is a call argument (the call's `apply`
    /// reports those before anything is sent).
    pub(crate) resolve: &'a dyn Fn(&Template) -> Option<Secret>,
    /// The consumer's HTTP client for a URL (its TLS settings included), for a signer's own
    /// requests (a token endpoint).
    pub(crate) client: HttpClient,
}

/// Returns the client for a URL, or why it cannot be built.
pub(crate) type ClientFn = dyn Fn(&str) -> Result<reqwest::Client, String> + Send + Sync;

/// Gives the HTTP client to use for a URL (built on first use; cheap to clone).
#[derive(Clone)]
pub(crate) struct HttpClient(pub(crate) Arc<ClientFn>);

impl HttpClient {
    /// The client for `url`, or why it cannot be built.
    pub(crate) fn get(&self, url: &str) -> Result<reqwest::Client, String> {
        (self.0)(url)
    }
}

impl fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HttpClient")
    }
}

/// A credential template's text from the runtime's binds; `None` when a variable it reads
/// has no value (or is a call argument).
pub(crate) type Render<'a> = &'a dyn Fn(&Template) -> Option<String>;

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
/// (which the signer may add to; the body's `content-type` among them) and the body bytes,
/// within the call's deadline; an error
/// ends the call as a transport error (`authentication failed: …`). A `401` is reported to
/// [`Sign::unauthorized`], which decides whether the call is resent once (see the module
/// docs). Schemes without a signer cost one `None` check per attempt.
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

    /// Adds the headers this signer would add, every secret part replaced by `***`, so a dry
    /// run or a curl export shows their shape. Default: nothing.
    fn preview(&self, _method: Method, _url: &reqwest::Url, _headers: &mut HeaderMap) {}

    /// Told that an attempt which sent `sent` was answered `401` with the headers
    /// `response`; returns whether to send the request again (signed again by
    /// [`Sign::sign`]). `send` asks at most once per call. Default: never.
    fn unauthorized(&self, _sent: &HeaderMap, _response: &HeaderMap) -> bool {
        false
    }
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
            Auth::OAuth2 {
                token_url,
                client_id,
                client_secret,
                scopes,
                audience,
                client_auth,
            } => {
                let $s = oauth2::OAuth2 {
                    token_url,
                    client_id,
                    client_secret,
                    scopes,
                    audience: audience.as_ref(),
                    client_auth: *client_auth,
                };
                $body
            }
            Auth::Digest { username, password } => {
                let $s = digest::Digest { username, password };
                $body
            }
            Auth::Certificate {
                cert_path,
                cert_password,
                key_path,
            } => {
                let $s = certificate::Certificate {
                    cert_path,
                    cert_password: cert_password.as_ref(),
                    key_path: key_path.as_ref(),
                };
                $body
            }
            Auth::OAuth1 {
                consumer_key,
                signing_key,
                signing_key_password,
                consumer_secret,
                token,
                token_secret,
                method,
            } => {
                let $s = oauth1::OAuth1 {
                    consumer_key,
                    signing_key: signing_key.as_ref(),
                    signing_key_password: signing_key_password.as_ref(),
                    consumer_secret: consumer_secret.as_ref(),
                    token: token.as_ref(),
                    token_secret: token_secret.as_ref(),
                    method: *method,
                };
                $body
            }
            Auth::Hmac { api_id, api_key } => {
                let $s = hmac::Hmac { api_id, api_key };
                $body
            }
            Auth::AwsSigV4 {
                access_key_id,
                secret_key,
                region,
                service,
                session_token,
            } => {
                let $s = aws_sigv4::AwsSigV4 {
                    access_key_id,
                    secret_key,
                    region,
                    service,
                    session_token: session_token.as_ref(),
                };
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

/// The per-attempt signer of `auth`, if its scheme needs one (oauth1, hmac, aws-sig-v4,
/// oauth2, digest), its credentials taken from the binds once.
pub(crate) fn signer(auth: &Auth, env: &SignerEnv<'_>) -> Option<Arc<dyn Sign>> {
    with_scheme!(auth, |s| s.signer(env))
}

/// The TLS client certificate of `auth`, if it is `certificate`.
pub(crate) fn client_cert(auth: &Auth, env: &SignerEnv<'_>) -> Option<ClientCert> {
    with_scheme!(auth, |s| s.client_cert(env))
}

/// Marks a header value the signer adds sensitive (hyper then never logs it).
fn sensitive(text: &str) -> Result<reqwest::header::HeaderValue, String> {
    let mut v = reqwest::header::HeaderValue::from_str(text)
        .map_err(|_| "the credential cannot be sent in a header".to_string())?;
    v.set_sensitive(true);
    Ok(v)
}

/// Lower-case hexadecimal.
fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
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
    fn only_schemes_that_need_io_have_a_signer() {
        let env = SignerEnv {
            resolve: &|_| None,
            client: HttpClient(Arc::new(|_| Err("no client".to_string()))),
        };
        assert!(signer(&Auth::Bearer { token: var("T") }, &env).is_none());
        let digest = Auth::Digest {
            username: var("U"),
            password: var("P"),
        };
        assert!(signer(&digest, &env).is_some());
        let hmac = Auth::Hmac {
            api_id: var("ID"),
            api_key: var("KEY"),
        };
        assert!(signer(&hmac, &env).is_some());
    }
}
