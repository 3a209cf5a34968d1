//! `type: oauth1`: OAuth 1.0a, every attempt signed with a fresh nonce and timestamp.
//!
//! * `RSA-SHA256` (the default, as Mastercard requires): the base string as Mastercard's
//!   official signer libraries build it: the query parameters strictly encoded, the `oauth_*`
//!   values as they are, the sorted `name=value` list percent-encoded once as a whole.
//!   RFC 5849 encodes each value first (so twice); Mastercard's gateway verifies what its
//!   libraries sign, and its consumer keys (`!`) and body hashes (`+/=`) always show the
//!   difference. `oauth_body_hash` is the SHA-256 of the body (of "" without one).
//!   A form body is hashed like any other and its fields stay out of the base string, as
//!   Mastercard's libraries do.
//! * `HMAC-SHA1` / `HMAC-SHA256`: RFC 5849 exactly (§3.4.1 base string, §3.4.2 key
//!   `consumerSecret&tokenSecret`), with `oauth_token` when a `token` is given. The query's
//!   parameters and, for an `application/x-www-form-urlencoded` body, the body's are decoded
//!   as form data (`+` is a space) and sorted with the `oauth_*` ones (§3.4.1.3). A request
//!   with any other non-empty body carries `oauth_body_hash` (the OAuth Request Body Hash
//!   draft: never for a form body; SHA-1 for `HMAC-SHA1`, SHA-256 for `HMAC-SHA256`).
//!
//! The RSA key (`signingKey`) is inline PEM or the path of a file, read and parsed once when
//! the runtime is built: PEM (PKCS#8 `PRIVATE KEY` or PKCS#1 `RSA PRIVATE KEY`) or PKCS#12
//! (`.p12`/`.pfx`, as Mastercard's developer portal issues them: its first private key,
//! opened with `signingKeyPassword`; modern AES files and legacy 3DES ones alike).

use std::fmt;
use std::sync::Arc;

use reqwest::header::HeaderMap;
use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256};

use super::signing::{self, Cred};
use super::{source, Draft, Render, Scheme, Sign, SignFuture, SignerEnv};
use crate::spec::{Method, OAuth1Method, Template};

pub(super) struct OAuth1<'a> {
    pub(super) consumer_key: &'a Template,
    pub(super) signing_key: Option<&'a Template>,
    pub(super) signing_key_password: Option<&'a Template>,
    pub(super) consumer_secret: Option<&'a Template>,
    pub(super) token: Option<&'a Template>,
    pub(super) token_secret: Option<&'a Template>,
    pub(super) method: OAuth1Method,
}

impl Scheme for OAuth1<'_> {
    fn templates(&self, each: &mut dyn FnMut(&Template)) {
        each(self.consumer_key);
        for t in [
            self.signing_key,
            self.signing_key_password,
            self.consumer_secret,
            self.token,
            self.token_secret,
        ]
        .into_iter()
        .flatten()
        {
            each(t);
        }
    }

    fn apply<D: Draft>(&self, d: &mut D) -> Result<(), D::Error> {
        let rsa = self.method == OAuth1Method::RsaSha256;
        signing::check(
            d,
            "oauth1",
            &[
                ("consumerKey", Some(self.consumer_key)),
                ("signingKey", self.signing_key.filter(|_| rsa)),
                (
                    "signingKeyPassword",
                    self.signing_key_password.filter(|_| rsa),
                ),
                ("consumerSecret", self.consumer_secret.filter(|_| !rsa)),
                ("token", self.token),
                ("tokenSecret", self.token_secret.filter(|_| !rsa)),
            ],
        )
    }

    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = method_name(self.method);
        write!(
            f,
            "OAuth 1.0a ({name}) in the `authorization` header, signed per attempt: consumer key {}",
            source(self.consumer_key)
        )?;
        if let Some(t) = self
            .signing_key
            .filter(|_| self.method == OAuth1Method::RsaSha256)
        {
            write!(f, "; signing key {}", source(t))?;
            if let Some(p) = self.signing_key_password {
                write!(f, " (PKCS#12, password {})", source(p))?;
            }
        }
        if let Some(t) = self.consumer_secret {
            write!(f, "; consumer secret {}", source(t))?;
        }
        Ok(())
    }

    fn signer(&self, env: &SignerEnv<'_>) -> Option<Arc<dyn Sign>> {
        let text = |t: &Template| (env.resolve)(t).map(|s| s.expose().to_string());
        let render: Render<'_> = &text;
        let key = match self.method {
            OAuth1Method::RsaSha256 => Key::Rsa(match self.signing_key {
                None => Err("oauth1 has no `signingKey`".into()),
                Some(t) => {
                    let password = (self.signing_key_password)
                        .map(|p| Cred::new("signingKeyPassword", p, render));
                    let from = t
                        .vars()
                        .next()
                        .map(|v| format!(" (`signingKey` is ${})", v.name()));
                    Cred::new("signingKey", t, render).get().and_then(|text| {
                        let password = password.as_ref().map(Cred::get).transpose()?;
                        let key = rsa_key(text, password);
                        key.map(Arc::new)
                            .map_err(|e| e + from.as_deref().unwrap_or_default())
                    })
                }
            }),
            m => Key::Hmac {
                sha1: m == OAuth1Method::HmacSha1,
                consumer_secret: self
                    .consumer_secret
                    .map(|t| Cred::new("consumerSecret", t, render)),
                token_secret: self
                    .token_secret
                    .map(|t| Cred::new("tokenSecret", t, render)),
            },
        };
        Some(Arc::new(OAuth1Signer {
            consumer_key: Cred::new("consumerKey", self.consumer_key, render),
            token: self.token.map(|t| Cred::new("token", t, render)),
            key,
        }))
    }
}

fn method_name(m: OAuth1Method) -> &'static str {
    match m {
        OAuth1Method::RsaSha256 => "RSA-SHA256",
        OAuth1Method::HmacSha1 => "HMAC-SHA1",
        OAuth1Method::HmacSha256 => "HMAC-SHA256",
    }
}

/// Parses inline PEM, or reads the file `text` names: PEM, or else PKCS#12 opened with
/// `password` (none: the empty password). Errors name the file, never the key or password.
fn rsa_key(text: &str, password: Option<&str>) -> Result<RsaKeyPair, String> {
    if text.contains("-----BEGIN") {
        return pem_key(text);
    }
    let path = text.trim();
    // A bound path is redacted wherever the error shows; the file's own name is not.
    let file = std::path::Path::new(path)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(path);
    let data = std::fs::read(path)
        .map_err(|e| format!("cannot read the oauth1 `signingKey` file `{file}`: {e}"))?;
    if data.windows(11).any(|w| w == b"-----BEGIN ") {
        return pem_key(&String::from_utf8_lossy(&data));
    }
    let der =
        super::certificate::pkcs12_key(&data, password.unwrap_or_default()).map_err(|why| {
            let hint = match password {
                None if why == "wrong password" => " (no `signingKeyPassword` is given)",
                _ => "",
            };
            match why.as_str() {
                "not a PKCS#12 file" => {
                    format!("the oauth1 `signingKey` file `{file}` is neither PEM nor PKCS#12")
                }
                _ => format!(
                    "the oauth1 `signingKey` PKCS#12 file `{file}` cannot be opened: {why}{hint}"
                ),
            }
        })?;
    RsaKeyPair::from_pkcs8(&der).map_err(|e| {
        format!("the private key of the PKCS#12 file `{file}` (oauth1 `signingKey`) is not a usable RSA key ({e})")
    })
}

/// The RSA key of PEM text (its first block).
fn pem_key(pem: &str) -> Result<RsaKeyPair, String> {
    let (label, der) = pem_block(pem).ok_or("the oauth1 `signingKey` is not a PEM private key")?;
    let parsed = match label.as_str() {
        "PRIVATE KEY" => RsaKeyPair::from_pkcs8(&der),
        "RSA PRIVATE KEY" => RsaKeyPair::from_der(&der),
        other => {
            return Err(format!(
                "the oauth1 `signingKey` is a PEM `{other}`; an unencrypted `PRIVATE KEY` (PKCS#8) or `RSA PRIVATE KEY` is needed, or the path of a PKCS#12 file with `signingKeyPassword`"
            ))
        }
    };
    parsed.map_err(|e| format!("the oauth1 `signingKey` is not a usable RSA key ({e})"))
}

/// The label and bytes of the first PEM block of `pem`.
fn pem_block(pem: &str) -> Option<(String, Vec<u8>)> {
    use base64::Engine as _;
    let start = pem.find("-----BEGIN ")? + "-----BEGIN ".len();
    let label_end = start + pem[start..].find("-----")?;
    let label = pem[start..label_end].to_string();
    let body_start = label_end + 5;
    let end = body_start + pem[body_start..].find("-----END ")?;
    let b64: String = pem[body_start..end]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let der = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
    Some((label, der))
}

enum Key {
    Rsa(Result<Arc<RsaKeyPair>, String>),
    Hmac {
        sha1: bool,
        consumer_secret: Option<Cred>,
        token_secret: Option<Cred>,
    },
}

struct OAuth1Signer {
    consumer_key: Cred,
    token: Option<Cred>,
    key: Key,
}

/// Shows the shape only: the key material is never printed.
impl fmt::Debug for OAuth1Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let method = match &self.key {
            Key::Rsa(_) => "RSA-SHA256",
            Key::Hmac { sha1: true, .. } => "HMAC-SHA1",
            Key::Hmac { .. } => "HMAC-SHA256",
        };
        f.debug_struct("OAuth1Signer")
            .field("consumer_key", &self.consumer_key)
            .field("method", &method)
            .finish_non_exhaustive()
    }
}

/// `scheme://host[:port]/path`, the base string URI (RFC 5849 §3.4.1.2).
fn base_uri(url: &reqwest::Url) -> String {
    let path = if url.path().is_empty() {
        "/"
    } else {
        url.path()
    };
    format!(
        "{}://{}{path}",
        url.scheme(),
        signing::host(url).to_ascii_lowercase()
    )
}

/// The Mastercard base string: `oauth` values as they are, the query strictly encoded.
fn mastercard_base_string(method: &str, url: &reqwest::Url, oauth: &[(&str, String)]) -> String {
    let mut pairs: Vec<String> = signing::query_pairs(url)
        .iter()
        .map(|(k, v)| format!("{}={}", signing::encode(k), signing::encode(v)))
        .chain(oauth.iter().map(|(k, v)| format!("{k}={v}")))
        .collect();
    pairs.sort();
    format!(
        "{method}&{}&{}",
        signing::encode(&base_uri(url)),
        signing::encode(&pairs.join("&"))
    )
}

/// The RFC 5849 §3.4.1 base string: the query's and the form body's parameters (§3.4.1.3.1)
/// with the `oauth` ones, every name and value encoded, sorted, joined, encoded.
fn rfc_base_string(
    method: &str,
    url: &reqwest::Url,
    form: Option<&[u8]>,
    oauth: &[(&str, String)],
) -> String {
    let query = form_pairs(url.query().unwrap_or_default());
    let body = form_pairs(&String::from_utf8_lossy(form.unwrap_or_default()));
    let mut pairs: Vec<(String, String)> = (query.iter().chain(&body))
        .map(|(k, v)| (signing::encode(k), signing::encode(v)))
        .chain(
            oauth
                .iter()
                .map(|(k, v)| (signing::encode(k), signing::encode(v))),
        )
        .collect();
    pairs.sort();
    let joined: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!(
        "{method}&{}&{}",
        signing::encode(&base_uri(url)),
        signing::encode(&joined.join("&"))
    )
}

/// `application/x-www-form-urlencoded` text as decoded `(name, value)` pairs, in order
/// (`+` is a space; a name without `=` has the empty value).
fn form_pairs(text: &str) -> Vec<(String, String)> {
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(&s.replace('+', " "))
            .decode_utf8_lossy()
            .into_owned()
    };
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// Whether the attempt's body is `application/x-www-form-urlencoded`.
fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|ct| ct.split(';').next())
        .is_some_and(|ct| {
            ct.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

impl OAuth1Signer {
    /// The `Authorization` value for one attempt at `timestamp` with `nonce`.
    /// `body` is the attempt's, `form` whether it is form data.
    fn header(
        &self,
        method: Method,
        url: &reqwest::Url,
        (body, form): (Option<&[u8]>, bool),
        timestamp: u64,
        nonce: &str,
    ) -> Result<String, String> {
        let rsa = matches!(self.key, Key::Rsa(_));
        let mut oauth: Vec<(&str, String)> = vec![
            ("oauth_consumer_key", self.consumer_key.get()?.to_string()),
            ("oauth_nonce", nonce.to_string()),
            ("oauth_timestamp", timestamp.to_string()),
            ("oauth_version", "1.0".to_string()),
        ];
        if let Some(hash) = self.body_hash(body, form) {
            oauth.push(("oauth_body_hash", hash));
        }
        if let Some(t) = &self.token {
            oauth.push(("oauth_token", t.get()?.to_string()));
        }
        let signature = match &self.key {
            Key::Rsa(key) => {
                let key = key.as_ref().map_err(Clone::clone)?;
                oauth.push(("oauth_signature_method", "RSA-SHA256".into()));
                let base = mastercard_base_string(method.as_str(), url, &oauth);
                let mut sig = vec![0u8; key.public().modulus_len()];
                key.sign(
                    &RSA_PKCS1_SHA256,
                    &ring::rand::SystemRandom::new(),
                    base.as_bytes(),
                    &mut sig,
                )
                .map_err(|_| "RSA signing failed".to_string())?;
                signing::base64(&sig)
            }
            Key::Hmac {
                sha1,
                consumer_secret,
                token_secret,
            } => {
                let name = if *sha1 { "HMAC-SHA1" } else { "HMAC-SHA256" };
                oauth.push(("oauth_signature_method", name.into()));
                let secret = |c: &Option<Cred>| -> Result<String, String> {
                    c.as_ref()
                        .map_or(Ok(String::new()), |c| c.get().map(signing::encode))
                };
                let key = format!("{}&{}", secret(consumer_secret)?, secret(token_secret)?);
                let form = body.filter(|_| form);
                let base = rfc_base_string(method.as_str(), url, form, &oauth);
                hmac_sign(*sha1, key.as_bytes(), base.as_bytes())
            }
        };
        oauth.push(("oauth_signature", signature));
        let fields: Vec<String> = oauth
            .iter()
            .map(|(k, v)| {
                // Mastercard's libraries write the values as they are (the signature
                // percent-encoded); RFC 5849 §3.5.1 encodes every value.
                if rsa && *k != "oauth_signature" {
                    format!("{k}=\"{v}\"")
                } else {
                    format!("{k}=\"{}\"", signing::encode(v))
                }
            })
            .collect();
        Ok(format!("OAuth {}", fields.join(",")))
    }
}

impl OAuth1Signer {
    /// `oauth_body_hash`: always with RSA (Mastercard: SHA-256, of "" without a body); with
    /// HMAC for a non-empty body that is not form data, by the signature method's hash.
    fn body_hash(&self, body: Option<&[u8]>, form: bool) -> Option<String> {
        let body = body.unwrap_or_default();
        let algorithm = match self.key {
            Key::Rsa(_) => &ring::digest::SHA256,
            Key::Hmac { .. } if form || body.is_empty() => return None,
            Key::Hmac { sha1: true, .. } => &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
            Key::Hmac { .. } => &ring::digest::SHA256,
        };
        Some(signing::base64(
            ring::digest::digest(algorithm, body).as_ref(),
        ))
    }
}

fn hmac_sign(sha1: bool, key: &[u8], data: &[u8]) -> String {
    let algorithm = if sha1 {
        ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY
    } else {
        ring::hmac::HMAC_SHA256
    };
    let key = ring::hmac::Key::new(algorithm, key);
    signing::base64(ring::hmac::sign(&key, data).as_ref())
}

/// 16 random alphanumeric characters, like Mastercard's libraries.
fn nonce() -> Result<String, String> {
    const CHARS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    Ok(signing::random(16)?
        .iter()
        .map(|b| CHARS[usize::from(*b) % CHARS.len()] as char)
        .collect())
}

impl Sign for OAuth1Signer {
    fn sign<'a>(
        &'a self,
        method: Method,
        url: &'a reqwest::Url,
        headers: &'a mut HeaderMap,
        body: Option<&'a [u8]>,
    ) -> SignFuture<'a> {
        Box::pin(async move {
            let body = (body, is_form(headers));
            let value = self.header(method, url, body, signing::now().as_secs(), &nonce()?)?;
            signing::set(headers, "authorization", &value, true)
        })
    }

    fn preview(&self, _method: Method, _url: &reqwest::Url, headers: &mut HeaderMap) {
        let (method, hash) = match &self.key {
            Key::Rsa(_) => ("RSA-SHA256", ",oauth_body_hash=\"<sha-256 of the body>\""),
            Key::Hmac { sha1: true, .. } => ("HMAC-SHA1", ""),
            Key::Hmac { .. } => ("HMAC-SHA256", ""),
        };
        let token = if self.token.is_some() {
            ",oauth_token=\"***\""
        } else {
            ""
        };
        let shape = format!("OAuth oauth_consumer_key=\"***\",oauth_nonce=\"<random>\",oauth_timestamp=\"<unix time>\",oauth_version=\"1.0\"{hash}{token},oauth_signature_method=\"{method}\",oauth_signature=\"***\"");
        let _ = signing::set(headers, "authorization", &shape, false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 5849 §1.2: the photos example (HMAC-SHA1, no body).
    #[test]
    fn hmac_sha1_matches_the_rfc_5849_example() {
        let url =
            reqwest::Url::parse("http://photos.example.net/photos?file=vacation.jpg&size=original")
                .unwrap();
        let oauth: Vec<(&str, String)> = vec![
            ("oauth_consumer_key", "dpf43f3p2l4k3l03".into()),
            ("oauth_token", "nnch734d00sl2jdk".into()),
            ("oauth_signature_method", "HMAC-SHA1".into()),
            ("oauth_timestamp", "137131202".into()),
            ("oauth_nonce", "chapoH".into()),
        ];
        let base = rfc_base_string("GET", &url, None, &oauth);
        assert_eq!(base, "GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg%26oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3DchapoH%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131202%26oauth_token%3Dnnch734d00sl2jdk%26size%3Doriginal");
        let sig = hmac_sign(true, b"kd94hf93k423kf44&pfkkdhi9sl3r4s00", base.as_bytes());
        assert_eq!(sig, "MdpQcU8iPSUjWoN/UDMsK2sui9I=");
    }

    /// RFC 5849 §3.4.1.1: the form body `c2&a3=2+q` joins the query in the sorted list.
    #[test]
    fn a_form_body_joins_the_base_string_as_in_rfc_5849_section_3_4_1() {
        let url = reqwest::Url::parse("http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b")
            .unwrap();
        let oauth: Vec<(&str, String)> = vec![
            ("oauth_consumer_key", "9djdj82h48djs9d2".into()),
            ("oauth_token", "kkk9d7dh3k39sjv7".into()),
            ("oauth_signature_method", "HMAC-SHA1".into()),
            ("oauth_timestamp", "137131201".into()),
            ("oauth_nonce", "7d8f3e4a".into()),
        ];
        let base = rfc_base_string("POST", &url, Some(b"c2&a3=2+q"), &oauth);
        assert_eq!(
            base,
            concat!(
                "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q",
                "%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_",
                "key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_m",
                "ethod%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk",
                "9d7dh3k39sjv7"
            )
        );
    }

    /// Mastercard encodes the `oauth_*` values once, RFC 5849 twice: `!` and `+/=` show it.
    #[test]
    fn mastercard_base_string_encodes_oauth_values_once() {
        let url = reqwest::Url::parse("https://API.example.com/v1/x?b=1%202&a=3").unwrap();
        let oauth: Vec<(&str, String)> = vec![
            ("oauth_consumer_key", "key!abc".into()),
            (
                "oauth_body_hash",
                "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=".into(),
            ),
        ];
        assert_eq!(
            mastercard_base_string("GET", &url, &oauth),
            "GET&https%3A%2F%2Fapi.example.com%2Fv1%2Fx&a%3D3%26b%3D1%25202%26oauth_body_hash%3D47DEQpj8HBSa%2B%2FTImW%2B5JCeuQeRkm5NMpJWZG3hSuFU%3D%26oauth_consumer_key%3Dkey%21abc"
        );
        assert!(rfc_base_string("GET", &url, None, &oauth).contains("key%2521abc"));
    }

    #[test]
    fn a_missing_key_file_is_named_and_a_non_pem_key_is_not_quoted() {
        let e = rsa_key("/nonexistent/key.pem", None).unwrap_err();
        assert!(e.contains("`key.pem`: No such file"), "{e}");
        let e = rsa_key(
            "-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----",
            None,
        )
        .unwrap_err();
        assert!(!e.contains("c2VjcmV0"), "{e}");
    }

    const KEYS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys/");

    /// A modern (AES) and a legacy (3DES) PKCS#12 file hold the same key as the PEM file.
    #[test]
    fn pkcs12_signing_keys_modern_and_legacy_open_to_the_pem_key() {
        let pem = rsa_key(&format!("{KEYS}oauth1-test-rsa.pem"), None).unwrap();
        for file in ["oauth1-test-aes.p12", "oauth1-test-3des.p12"] {
            let key = rsa_key(&format!("{KEYS}{file}"), Some("keystorepassword"))
                .unwrap_or_else(|e| panic!("{file}: {e}"));
            assert_eq!(key.public().as_ref(), pem.public().as_ref(), "{file}");
        }
    }

    #[test]
    fn pkcs12_errors_name_the_file_and_never_the_password() {
        let cases = [
            (
                "oauth1-test-3des.p12",
                Some("not-the-password"),
                "wrong password",
            ),
            (
                "oauth1-test-aes.p12",
                Some("not-the-password"),
                "wrong password",
            ),
            (
                "oauth1-test-aes.p12",
                None,
                "wrong password (no `signingKeyPassword` is given)",
            ),
            (
                "oauth1-test-nokey.p12",
                Some("keystorepassword"),
                "it holds no private key",
            ),
            (
                "README.md",
                Some("keystorepassword"),
                "is neither PEM nor PKCS#12",
            ),
        ];
        for (file, password, why) in cases {
            let path = format!("{KEYS}{file}");
            let e = rsa_key(&path, password)
                .err()
                .unwrap_or_else(|| panic!("{file} opened"));
            assert!(e.contains(&format!("`{file}`")) && e.ends_with(why), "{e}");
            assert!(password.is_none_or(|p| !e.contains(p)), "{e}");
        }
    }
}
