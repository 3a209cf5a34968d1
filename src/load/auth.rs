//! The `authentication` (or dialect `auth`) of a consumer. Unknown or incomplete schemes
//! are kept as [`Auth::Unsupported`] with the reason, so the namespace loads and says why
//! its operations cannot be called.

use super::schema::{Object, Value};
use super::tree::Node;
use super::{At, Loader, Scope};
use crate::spec::template::{self, Template, Var};
use crate::spec::{Auth, ClientAuth, KeyPlacement, OAuth1Method};

impl Loader {
    pub(super) fn auth(&mut self, at: At<'_>, scope: &Scope<'_>) -> Option<Auth> {
        let node = at.node;
        if node.as_map().is_none() {
            self.error(
                at.loc(),
                format!(
                    "authentication should be a mapping, found {}",
                    node.kind_name()
                ),
            );
            return None;
        }
        let declared = self.str_field(at, "type");
        let kind = auth_kind(node, declared.as_deref());
        if let Some(d) = &declared {
            self.check_value(Value::AuthType, "authentication type", d, || {
                at.key_loc("type")
            });
        }
        let object = match kind.as_deref() {
            Some("apikey") => Some(Object::ApiKeyAuth),
            Some("bearer") => Some(Object::BearerAuth),
            Some("basic" | "digest") => Some(Object::BasicAuth),
            _ => None,
        };
        if let Some(object) = object {
            self.check_keys(at, object);
        }
        match kind.as_deref() {
            Some("bearer") => match self.auth_value(at, &["token", "value"], scope) {
                Some(token) => Some(Auth::Bearer { token }),
                None => self.auth_unsupported(
                    at,
                    "bearer".into(),
                    "bearer authentication has no `token`".into(),
                ),
            },
            Some("basic") => {
                let username = self
                    .auth_value(at, &["username", "user"], scope)
                    .unwrap_or_default();
                let password = self
                    .auth_value(at, &["password"], scope)
                    .unwrap_or_default();
                Some(Auth::Basic { username, password })
            }
            Some(k @ ("apikey" | "header")) => self.api_key(at, k == "apikey", scope),
            Some("query") => Some(self.query_auth(at, scope)),
            Some("oauth2") => Some(self.oauth2(at, scope)),
            Some("digest") => Some(self.digest(at, scope)),
            Some("certificate" | "mtls" | "clientcertificate") => Some(self.certificate(at, scope)),
            Some("oauth1") => self.oauth1(at, scope),
            Some("hmac") => self.signing(at, scope, "hmac", &[&["apiId"], &["apiKey"]]),
            Some("awssigv4") => self.signing(
                at,
                scope,
                "aws-sig-v4",
                &[
                    &["accessKeyId"],
                    &["secretKey", "secretAccessKey"],
                    &["region"],
                    &["service"],
                ],
            ),
            Some(other) => {
                let shown = declared.clone().unwrap_or_else(|| other.to_string());
                self.auth_unsupported(
                    at,
                    shown.clone(),
                    format!("authentication type `{shown}` is not supported yet"),
                )
            }
            None => {
                self.auth_unsupported(at, "(none)".into(), "authentication has no `type`".into())
            }
        }
    }

    /// An API key: its name, where it goes and its value. `warn_placement` is false for the
    /// dialect's `type: header`, where the placement goes without saying.
    fn api_key(&mut self, at: At<'_>, warn_placement: bool, scope: &Scope<'_>) -> Option<Auth> {
        let node = at.node;
        let name = ["key", "name", "header"]
            .iter()
            .find_map(|k| node.get(k).and_then(Node::scalar_text));
        let placement_text = self
            .str_field(at, "placement")
            .or_else(|| self.str_field(at, "in"));
        let placement = match placement_text
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None => {
                if warn_placement {
                    self.warn(
                        at.loc(),
                        "API key authentication without `placement`: sending it as a header",
                    );
                }
                KeyPlacement::Header
            }
            Some("header") => KeyPlacement::Header,
            Some("query") => KeyPlacement::Query,
            Some("cookie") => KeyPlacement::Cookie,
            Some("path") => KeyPlacement::Path,
            Some("body") => KeyPlacement::Body,
            Some(other) => {
                return self.auth_unsupported(
                    at,
                    "apikey".into(),
                    format!("API key placement `{other}` is not supported yet"),
                );
            }
        };
        let Some(name) = name else {
            return self.auth_unsupported(
                at,
                "apikey".into(),
                "API key authentication has no `key` (or `name`)".into(),
            );
        };
        match self.auth_value(at, &["value", "valueFrom", "token"], scope) {
            Some(value) => Some(Auth::ApiKey {
                placement,
                name,
                value,
            }),
            None => self.auth_unsupported(
                at,
                "apikey".into(),
                "API key authentication has no `value`".into(),
            ),
        }
    }

    /// The dialect's `type: query`: a list of `{name, value}` query parameters.
    fn query_auth(&mut self, at: At<'_>, scope: &Scope<'_>) -> Auth {
        let mut params = Vec::new();
        for (i, p) in at
            .node
            .get("parameters")
            .and_then(Node::as_seq)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            let path = super::item(at.path, ".parameters", i);
            let pat = At {
                file: at.file,
                node: p,
                path: &path,
            };
            match (
                self.str_field(pat, "name"),
                p.get("value").and_then(Node::scalar_text),
            ) {
                (Some(n), Some(v)) => params.push((n, self.template(&v, false, scope))),
                _ => self.error(
                    pat.loc(),
                    "a query authentication parameter needs `name` and `value`",
                ),
            }
        }
        Auth::QueryParams { params }
    }

    /// The first of `keys` present: `{env: NAME}` (the dialect) or a template. A literal that
    /// looks like a variable name is sent as written, with a warning.
    pub(super) fn auth_value(
        &mut self,
        at: At<'_>,
        keys: &[&str],
        scope: &Scope<'_>,
    ) -> Option<Template> {
        for k in keys {
            let Some(v) = at.node.get(k) else {
                continue;
            };
            if let Some(env) = v.get("env").and_then(Node::scalar_text) {
                let var = if self.is_bound(&env) {
                    Var::Bind(env)
                } else {
                    Var::Env(env)
                };
                return Some(Template::var(var));
            }
            if let Some(text) = v.scalar_text() {
                let t = self.template(&text, false, scope);
                if t.is_literal() && template::is_env_style(&text) {
                    self.warn(
                        at.key_loc(k),
                        format!("`{text}` is sent literally as the credential; did you mean `{{{{{text}}}}}`?"),
                    );
                }
                return Some(t);
            }
        }
        None
    }

    /// `type: oauth2`, client credentials. Without a token endpoint, client id and secret
    /// (the Azure corpus file has only `scopes`) the namespace cannot be called: the note
    /// says which fields are missing and how to pass a token as a bearer bind instead.
    fn oauth2(&mut self, at: At<'_>, scope: &Scope<'_>) -> Auth {
        let token_url = self.auth_value(at, &["tokenUrl", "tokenEndpoint", "token_url"], scope);
        let client_id = self.auth_value(at, &["clientId", "client_id"], scope);
        let client_secret = self.auth_value(at, &["clientSecret", "client_secret"], scope);
        let audience = self.auth_value(at, &["audience"], scope);
        let scopes = match at.node.get("scopes").or_else(|| at.node.get("scope")) {
            Some(n) => match n.as_seq() {
                Some(items) => items.iter().filter_map(Node::scalar_text).collect(),
                None => n
                    .scalar_text()
                    .map(|t| t.split_whitespace().map(str::to_string).collect())
                    .unwrap_or_default(),
            },
            None => Vec::new(),
        };
        let client_auth = match self
            .str_field(at, "clientAuthentication")
            .map(|t| t.to_ascii_lowercase())
            .as_deref()
        {
            None | Some("basic" | "client_secret_basic" | "header") => ClientAuth::Basic,
            Some("post" | "client_secret_post" | "body" | "form") => ClientAuth::Post,
            Some(other) => {
                self.error(
                    at.key_loc("clientAuthentication"),
                    format!("oauth2 `clientAuthentication: {other}` is not `basic` or `post`; using `basic`"),
                );
                ClientAuth::Basic
            }
        };
        let mut missing = Vec::new();
        for (name, field) in [
            ("tokenUrl", &token_url),
            ("clientId", &client_id),
            ("clientSecret", &client_secret),
        ] {
            if field.is_none() {
                missing.push(format!("`{name}`"));
            }
        }
        match (token_url, client_id, client_secret) {
            (Some(token_url), Some(client_id), Some(client_secret)) => Auth::OAuth2 {
                token_url,
                client_id,
                client_secret,
                scopes,
                audience,
                client_auth,
            },
            _ => {
                let why = format!(
                    "oauth2 client credentials need {} (missing: {}); to use a token you already have, declare `type: bearer` with `token: '{{{{OAUTH_TOKEN}}}}'` and bind OAUTH_TOKEN",
                    "`tokenUrl` (or `tokenEndpoint`), `clientId` and `clientSecret`",
                    missing.join(", ")
                );
                self.unsupported(at, "oauth2", why)
            }
        }
    }

    /// `type: digest`: user name and password, like basic.
    fn digest(&mut self, at: At<'_>, scope: &Scope<'_>) -> Auth {
        let username = self.auth_value(at, &["username", "user"], scope);
        let password = self.auth_value(at, &["password"], scope);
        match (username, password) {
            (Some(username), Some(password)) => Auth::Digest { username, password },
            (u, _) => {
                let missing = if u.is_none() {
                    "`username`"
                } else {
                    "`password`"
                };
                let why = format!(
                    "digest authentication needs `username` and `password` (missing: {missing})"
                );
                self.unsupported(at, "digest", why)
            }
        }
    }

    /// `type: certificate`: `certPath` with `certPassword` (PKCS#12) or `keyPath` (PEM).
    fn certificate(&mut self, at: At<'_>, scope: &Scope<'_>) -> Auth {
        let cert_path = self.auth_value(at, &["certPath", "certificatePath", "certFile"], scope);
        let cert_password = self.auth_value(
            at,
            &["certPassword", "certificatePassword", "password"],
            scope,
        );
        let key_path = self.auth_value(at, &["keyPath", "keyFile", "privateKeyPath"], scope);
        match cert_path {
            Some(cert_path) => Auth::Certificate {
                cert_path,
                cert_password,
                key_path,
            },
            None => {
                let why = "certificate authentication needs `certPath` (a PKCS#12 file with `certPassword`, or a PEM certificate with `keyPath`)".to_string();
                self.unsupported(at, "certificate", why)
            }
        }
    }

    /// `type: oauth1`. The RSA method (the default) needs `signingKey`; the HMAC methods a
    /// `consumerSecret`.
    fn oauth1(&mut self, at: At<'_>, scope: &Scope<'_>) -> Option<Auth> {
        let method = match self.str_field(at, "signatureMethod").as_deref() {
            None => OAuth1Method::RsaSha256,
            Some(m) => match m.to_ascii_uppercase().as_str() {
                "RSA-SHA256" => OAuth1Method::RsaSha256,
                "HMAC-SHA1" => OAuth1Method::HmacSha1,
                "HMAC-SHA256" => OAuth1Method::HmacSha256,
                _ => {
                    let why = format!("oauth1 `signatureMethod` `{m}` is not supported (RSA-SHA256, HMAC-SHA1, HMAC-SHA256)");
                    return self.auth_unsupported(at, "oauth1".into(), why);
                }
            },
        };
        let needed: &[&str] = match method {
            OAuth1Method::RsaSha256 => &["consumerKey", "signingKey"],
            _ => &["consumerKey", "consumerSecret"],
        };
        if let Some(missing) = self.missing_fields(at, needed) {
            return self.auth_unsupported(at, "oauth1".into(), missing);
        }
        let mut get = |k: &str| self.auth_value(at, &[k], scope);
        Some(Auth::OAuth1 {
            consumer_key: get("consumerKey").unwrap_or_default(),
            signing_key: get("signingKey"),
            signing_key_password: get("signingKeyPassword"),
            consumer_secret: get("consumerSecret"),
            token: get("token").or_else(|| get("accessToken")),
            token_secret: get("tokenSecret"),
            method,
        })
    }

    /// `hmac` and `aws-sig-v4`: every field of `fields` (each a list of accepted spellings)
    /// is required.
    fn signing(
        &mut self,
        at: At<'_>,
        scope: &Scope<'_>,
        kind: &str,
        fields: &[&[&str]],
    ) -> Option<Auth> {
        let mut values = Vec::new();
        let mut missing = Vec::new();
        for names in fields {
            match self.auth_value(at, names, scope) {
                Some(t) => values.push(t),
                None => missing.push(match names {
                    [one] => format!("`{one}`"),
                    [first, rest @ ..] => format!("`{first}` (or `{}`)", rest.join("`, `")),
                    [] => String::new(),
                }),
            }
        }
        if !missing.is_empty() {
            let why = format!("{kind} authentication has no {}", missing.join(", "));
            return self.auth_unsupported(at, kind.into(), why);
        }
        let mut values = values.into_iter();
        let mut next = || values.next().unwrap_or_default();
        Some(match kind {
            "hmac" => Auth::Hmac {
                api_id: next(),
                api_key: next(),
            },
            _ => Auth::AwsSigV4 {
                access_key_id: next(),
                secret_key: next(),
                region: next(),
                service: next(),
                session_token: self.auth_value(at, &["sessionToken"], scope),
            },
        })
    }

    /// The fields of `names` absent from the scheme's mapping, as a reason (each named), or
    /// `None` when all are there.
    fn missing_fields(&mut self, at: At<'_>, names: &[&str]) -> Option<String> {
        let missing: Vec<String> = (names.iter())
            .filter(|n| at.node.get(n).is_none())
            .map(|n| format!("`{n}`"))
            .collect();
        if missing.is_empty() {
            return None;
        }
        let kind = self.str_field(at, "type").unwrap_or_default();
        Some(format!(
            "{kind} authentication has no {}",
            missing.join(", ")
        ))
    }

    fn auth_unsupported(&mut self, at: At<'_>, kind: String, why: String) -> Option<Auth> {
        Some(self.unsupported(at, &kind, why))
    }

    /// Notes (located) why the namespace cannot be called, and keeps the reason.
    fn unsupported(&mut self, at: At<'_>, kind: &str, why: String) -> Auth {
        self.note(
            at.loc(),
            format!("{why}; the operations of this namespace cannot be called"),
        );
        Auth::Unsupported {
            kind: kind.to_string(),
            reason: why,
        }
    }
}

/// The scheme, normalised (`API_Key`, `api-key` → `apikey`), or guessed from the keys
/// present when no `type` is given (the dialect).
pub(super) fn auth_kind(node: &Node, declared: Option<&str>) -> Option<String> {
    declared
        .map(|t| t.to_ascii_lowercase().replace(['-', '_'], ""))
        .or_else(|| {
            if node.get("token").is_some() {
                Some("bearer".into())
            } else if node.get("username").is_some() {
                Some("basic".into())
            } else if node.get("key").is_some() || node.get("name").is_some() {
                Some("apikey".into())
            } else {
                None
            }
        })
}
