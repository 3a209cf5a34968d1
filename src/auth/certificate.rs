//! `type: certificate`: mutual TLS with a client certificate.
//!
//! * `certPath` + `certPassword`: a PKCS#12 (`.p12`/`.pfx`) file. rustls reads PEM only, so
//!   its key and certificate chain are converted (with `p12-keystore`) when the consumer's
//!   client is built;
//! * `certPath` + `keyPath`: a PEM certificate (chain) and a PEM private key (PKCS#8,
//!   PKCS#1 or SEC1);
//! * `certPath` alone: a PEM file holding both, or a PKCS#12 file without a password.
//!
//! Nothing is put on the request: the consumer gets an HTTP client of its own that presents
//! the certificate. The files are read once, when that client is first built (the first
//! `https://` call of the namespace); a missing file or a wrong password fails that call
//! (and every later one) with an error naming the file.

use std::fmt;
use std::path::PathBuf;

use base64::Engine as _;

use super::{source, Draft, Scheme, SignerEnv};
use crate::secret::Secret;
use crate::spec::Template;

pub(super) struct Certificate<'a> {
    pub(super) cert_path: &'a Template,
    pub(super) cert_password: Option<&'a Template>,
    pub(super) key_path: Option<&'a Template>,
}

impl Scheme for Certificate<'_> {
    fn templates(&self, each: &mut dyn FnMut(&Template)) {
        each(self.cert_path);
        if let Some(p) = self.cert_password {
            each(p);
        }
        if let Some(k) = self.key_path {
            each(k);
        }
    }

    fn apply<D: Draft>(&self, d: &mut D) -> Result<(), D::Error> {
        // Nothing is placed (TLS carries the certificate); rendering reports a missing
        // variable before any I/O.
        d.render(self.cert_path, &|| {
            "the client certificate path".to_string()
        })?;
        if let Some(p) = self.cert_password {
            let pass = d.render(p, &|| "the client certificate password".to_string())?;
            d.guard(&pass);
        }
        if let Some(k) = self.key_path {
            d.render(k, &|| "the client certificate's key path".to_string())?;
        }
        Ok(())
    }

    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = |t: &Template| {
            if t.vars().next().is_none() {
                format!("`{}`", t.display())
            } else {
                source(t).trim_start_matches("from ").to_string()
            }
        };
        match (self.cert_password, self.key_path) {
            (_, Some(k)) => write!(
                f,
                "TLS client certificate (PEM) {}, key {}",
                path(self.cert_path),
                path(k)
            ),
            (Some(p), None) => write!(
                f,
                "TLS client certificate (PKCS#12) {}, password {}",
                path(self.cert_path),
                source(p)
            ),
            (None, None) => write!(f, "TLS client certificate {}", path(self.cert_path)),
        }
    }

    fn client_cert(&self, env: &SignerEnv<'_>) -> Option<ClientCert> {
        Some(ClientCert {
            cert: (env.resolve)(self.cert_path).map(|s| PathBuf::from(s.expose())),
            password: self.cert_password.map(|p| (env.resolve)(p)),
            key: self
                .key_path
                .map(|k| (env.resolve)(k).map(|s| PathBuf::from(s.expose()))),
        })
    }
}

/// A consumer's client certificate, its paths and password resolved from the binds (`None`
/// where a variable has no value: the call's `apply` has reported it already).
#[derive(Clone)]
pub(crate) struct ClientCert {
    cert: Option<PathBuf>,
    /// `Some` when `certPassword` is declared.
    password: Option<Option<Secret>>,
    /// `Some` when `keyPath` is declared.
    key: Option<Option<PathBuf>>,
}

/// Shows the paths, never the password.
impl fmt::Debug for ClientCert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCert")
            .field("cert", &self.cert)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl ClientCert {
    /// Reads the files and returns the identity the client presents, as PEM (key first,
    /// then the certificate chain).
    pub(crate) fn identity_pem(&self) -> Result<Vec<u8>, String> {
        let Some(cert) = &self.cert else {
            return Err("the client certificate path has no value".into());
        };
        let data = read(cert, "client certificate")?;
        let is_pem = data.starts_with(b"-----") || find(&data, b"-----BEGIN ");
        match (&self.key, &self.password) {
            (Some(key), _) => {
                let Some(key) = key else {
                    return Err("the client certificate's key path has no value".into());
                };
                let key_data = read(key, "client certificate key")?;
                if !find(&key_data, b"PRIVATE KEY-----") {
                    return Err(format!(
                        "the key file `{}` holds no PEM private key",
                        key.display()
                    ));
                }
                if !find(&data, b"-----BEGIN CERTIFICATE-----") {
                    return Err(format!(
                        "the client certificate `{}` holds no PEM certificate",
                        cert.display()
                    ));
                }
                let mut pem = key_data;
                pem.push(b'\n');
                pem.extend_from_slice(&data);
                Ok(pem)
            }
            (None, None) if is_pem => {
                if !find(&data, b"PRIVATE KEY-----") {
                    return Err(format!(
                        "the client certificate `{}` is PEM without a private key; give the key file as `keyPath`",
                        cert.display()
                    ));
                }
                Ok(data)
            }
            (None, password) => {
                let password = match password {
                    Some(Some(p)) => p.expose().to_string(),
                    Some(None) => return Err("the client certificate password has no value".into()),
                    None => String::new(),
                };
                pkcs12_to_pem(&data, &password).map_err(|why| {
                    format!(
                        "the PKCS#12 file `{}` cannot be opened: {why}",
                        cert.display()
                    )
                })
            }
        }
    }
}

fn read(path: &std::path::Path, what: &str) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read the {what} `{}`: {e}", path.display()))
}

fn find(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The first key and its certificate chain of a PKCS#12 archive, as PEM.
fn pkcs12_to_pem(data: &[u8], password: &str) -> Result<Vec<u8>, String> {
    let store = p12_keystore::KeyStore::from_pkcs12(
        data,
        password,
        p12_keystore::Pkcs12ImportPolicy::Relaxed,
    )
    .map_err(pkcs12_error)?;
    let Some((_, chain)) = store.private_key_chain() else {
        return Err("it holds no private key".into());
    };
    if chain.certs().is_empty() {
        return Err("it holds no certificate for its private key".into());
    }
    let mut pem = pem_block("PRIVATE KEY", chain.key().as_der());
    for c in chain.certs() {
        pem.push_str(&pem_block("CERTIFICATE", c.as_der()));
    }
    Ok(pem.into_bytes())
}

/// The first private key of a PKCS#12 archive (PKCS#8 DER), certificates or not: the
/// oauth1 signing key. Modern (PBES2, AES) and legacy (PBES1, 3DES or RC2) files alike.
pub(super) fn pkcs12_key(data: &[u8], password: &str) -> Result<Vec<u8>, String> {
    let archive = p12_keystore::Pkcs12Archive::from_pkcs12(data, password).map_err(pkcs12_error)?;
    match archive.keys.first() {
        Some(bag) => Ok(bag.key.as_der().to_vec()),
        None => Err("it holds no private key".into()),
    }
}

/// Why a PKCS#12 archive cannot be opened, in the user's terms (never the password).
fn pkcs12_error(e: p12_keystore::error::Error) -> String {
    match e {
        p12_keystore::error::Error::MacError(_) => "wrong password".to_string(),
        p12_keystore::error::Error::DerError(_) | p12_keystore::error::Error::InvalidVersion => {
            "not a PKCS#12 file".to_string()
        }
        // A wrong password also shows as undecryptable (unpadded) content.
        p12_keystore::error::Error::UnpadError => "wrong password".to_string(),
        other => other.to_string(),
    }
}

fn pem_block(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}
