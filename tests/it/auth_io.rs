//! The authentication schemes that need I/O or TLS, over real sockets on 127.0.0.1, each
//! against an independent oracle:
//!
//! * oauth2 client credentials: a wiremock token endpoint that counts its requests, and the
//!   form and `Authorization` header checked as received on the wire;
//! * digest: PyPI `httpbin`'s `/digest-auth` (installed by `scripts/py-digest.sh`; skipped
//!   with a printed reason only when that cannot install it), and a stub that records `nc`;
//! * certificate: a tokio-rustls server that requires a client certificate, with a CA and
//!   certificates generated here by `rcgen`.

use crate::support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use naftiko::{Error, SendError};
use serde_json::{json, Value};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const SECRET: &str = "cs-very-secret-42";

fn oauth2_block(token_url: &str, client_auth: &str) -> String {
    format!(
        "    authentication:\n      type: oauth2\n      tokenUrl: {token_url}\n      clientId: '{{{{CLIENT_ID}}}}'\n      clientSecret: '{{{{CLIENT_SECRET}}}}'\n      scopes: [read, write]\n      audience: https://api.example\n      clientAuthentication: {client_auth}\n"
    )
}

fn oauth2_runtime(server: &MockServer, client_auth: &str, id: &str) -> naftiko::Runtime {
    let cap = support::items::capability(&oauth2_block(
        &format!("{}/token", server.uri()),
        client_auth,
    ));
    support::runtime(
        cap,
        &[("CLIENT_ID", id), ("CLIENT_SECRET", SECRET)],
        Some(("ns", &server.uri())),
    )
}

fn token(value: &str, expires_in: u64) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(
        json!({"access_token": value, "token_type": "Bearer", "expires_in": expires_in}),
    )
}

async fn count(server: &MockServer, p: &str) -> usize {
    let received = server.received_requests().await.unwrap_or_default();
    received.iter().filter(|r| r.url.path() == p).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth2_fifty_concurrent_calls_share_one_token_fetch() {
    let server = MockServer::start().await;
    // Slow enough that the calls overlap while the token is being fetched.
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(token("tok-1", 3600).set_delay(Duration::from_millis(300)))
        .mount(&server)
        .await;
    Mock::given(path("/items"))
        .and(header("authorization", "Bearer tok-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"ok": true})))
        .mount(&server)
        .await;
    let rt = oauth2_runtime(&server, "basic", "app");
    let calls = (0..50).map(|_| {
        let rt = rt.clone();
        tokio::spawn(async move { rt.call("ns.list_items", json!({})).await })
    });
    for c in futures_join(calls).await {
        c.expect("the call succeeds");
    }
    assert_eq!(count(&server, "/token").await, 1);
    assert_eq!(count(&server, "/items").await, 50);
    // Still cached: a later call fetches nothing.
    rt.call("ns.list_items", json!({})).await.unwrap();
    assert_eq!(count(&server, "/token").await, 1);
}

async fn futures_join<T>(handles: impl Iterator<Item = tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut out = Vec::new();
    for h in handles.collect::<Vec<_>>() {
        out.push(h.await.expect("the task ran"));
    }
    out
}

#[tokio::test]
async fn oauth2_an_expired_token_is_fetched_again() {
    let server = MockServer::start().await;
    Mock::given(path("/token"))
        .respond_with(token("tok-short", 0))
        .mount(&server)
        .await;
    Mock::given(path("/items"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .mount(&server)
        .await;
    let rt = oauth2_runtime(&server, "basic", "app");
    for _ in 0..3 {
        rt.call("ns.list_items", json!({})).await.unwrap();
    }
    assert_eq!(count(&server, "/token").await, 3);
}

#[tokio::test]
async fn oauth2_a_401_refreshes_the_token_once_and_resends_once() {
    let server = MockServer::start().await;
    Mock::given(path("/token"))
        .respond_with(token("tok-old", 3600))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(path("/token"))
        .respond_with(token("tok-new", 3600))
        .with_priority(2)
        .mount(&server)
        .await;
    Mock::given(path("/items"))
        .and(header("authorization", "Bearer tok-new"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"fresh": true})))
        .mount(&server)
        .await;
    Mock::given(path("/items"))
        .respond_with(ResponseTemplate::new(401))
        .with_priority(10)
        .mount(&server)
        .await;
    let rt = oauth2_runtime(&server, "basic", "app");
    let out = rt.call("ns.list_items", json!({})).await.unwrap();
    assert_eq!(out["result"], json!({"fresh": true}));
    assert_eq!(count(&server, "/token").await, 2);
    assert_eq!(count(&server, "/items").await, 2);
}

#[tokio::test]
async fn oauth2_an_api_that_keeps_refusing_gets_one_resend_then_the_401() {
    let server = MockServer::start().await;
    Mock::given(path("/token"))
        .respond_with(token("tok", 3600))
        .mount(&server)
        .await;
    Mock::given(path("/items"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    let rt = oauth2_runtime(&server, "basic", "app");
    let err = rt.call("ns.list_items", json!({})).await.unwrap_err();
    assert!(
        matches!(&err, Error::Send(SendError::Status(e)) if e.status == 401),
        "{err}"
    );
    assert_eq!(count(&server, "/items").await, 2);
    assert_eq!(count(&server, "/token").await, 2);
}

fn form(body: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(body);
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(&s.replace('+', " "))
            .decode_utf8_lossy()
            .into_owned()
    };
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn field<'a>(form: &'a [(String, String)], k: &str) -> Option<&'a str> {
    form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
}

/// RFC 6749 §2.3.1: Basic carries the form-encoded id and secret; `post` puts them in the
/// form instead. Checked on the request as the token endpoint received it.
#[tokio::test]
async fn oauth2_client_authentication_basic_and_post_on_the_wire() {
    let id = "app:1 é";
    for client_auth in ["basic", "post"] {
        let server = MockServer::start().await;
        Mock::given(path("/token"))
            .respond_with(token("tok", 3600))
            .mount(&server)
            .await;
        Mock::given(path("/items"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
            .mount(&server)
            .await;
        oauth2_runtime(&server, client_auth, id)
            .call("ns.list_items", json!({}))
            .await
            .unwrap();
        let received = server.received_requests().await.unwrap();
        let t = received.iter().find(|r| r.url.path() == "/token").unwrap();
        assert_eq!(t.method.as_str(), "POST");
        assert_eq!(
            t.headers.get("content-type").unwrap(),
            "application/x-www-form-urlencoded"
        );
        let f = form(&t.body);
        assert_eq!(field(&f, "grant_type"), Some("client_credentials"));
        assert_eq!(field(&f, "scope"), Some("read write"));
        assert_eq!(field(&f, "audience"), Some("https://api.example"));
        let authorization = t.headers.get("authorization").map(|v| v.to_str().unwrap());
        if client_auth == "basic" {
            let b64 = authorization.unwrap().strip_prefix("Basic ").unwrap();
            let pair = String::from_utf8(
                base64::Engine::decode(&base64::engine::general_purpose::STANDARD, b64).unwrap(),
            )
            .unwrap();
            let (u, p) = pair.split_once(':').unwrap();
            let dec = |s: &str| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8()
                    .unwrap()
                    .into_owned()
            };
            assert_eq!((dec(u).as_str(), dec(p).as_str()), (id, SECRET));
            assert_eq!(field(&f, "client_secret"), None);
        } else {
            assert_eq!(authorization, None);
            assert_eq!(field(&f, "client_id"), Some(id));
            assert_eq!(field(&f, "client_secret"), Some(SECRET));
        }
    }
}

#[tokio::test]
async fn oauth2_token_endpoint_errors_say_what_it_answered_without_the_secret() {
    let server = MockServer::start().await;
    Mock::given(path("/token"))
        .respond_with(ResponseTemplate::new(401).set_body_json(
            json!({"error": "invalid_client", "error_description": format!("bad secret {SECRET}")}),
        ))
        .mount(&server)
        .await;
    let rt = oauth2_runtime(&server, "post", "app");
    let err = rt.call("ns.list_items", json!({})).await.unwrap_err();
    let text = err.to_string();
    assert!(text.contains("token endpoint"), "{text}");
    assert!(text.contains("invalid_client"), "{text}");
    assert!(!text.contains(SECRET), "{text}");
    assert!(!format!("{err:?}").contains(SECRET));
    assert_eq!(count(&server, "/items").await, 0);
}

#[test]
fn oauth2_without_a_token_endpoint_names_the_missing_fields_and_the_bearer_alternative() {
    let cap = naftiko::Capability::from_path(
        "tests/fixtures/corpus/microsoft-azure-api-management__ai-gateway-management.yaml",
    )
    .unwrap();
    let op = cap
        .operations()
        .iter()
        .find(|o| o.namespace() == "azure-apim-rest")
        .unwrap()
        .qualified_name();
    let rt = support::runtime(cap, &[], None);
    let text = rt.dry_run(&op, json!({})).unwrap_err().to_string();
    for needle in ["`tokenUrl`", "`clientId`", "`clientSecret`", "type: bearer"] {
        assert!(text.contains(needle), "{needle}: {text}");
    }
}

// ---------------------------------------------------------------------------------------
// digest

/// `httpbin` on a free port of 127.0.0.1, stopped when dropped.
struct Httpbin {
    child: Child,
    port: u16,
}

impl Drop for Httpbin {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The virtual environment's Python, installed once per test process (tests run in
/// parallel; one installs, the others wait).
fn digest_python() -> Option<String> {
    static PYTHON: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    PYTHON
        .get_or_init(|| {
            let out = Command::new("scripts/py-digest.sh")
                .stderr(Stdio::inherit())
                .output()
                .ok()?;
            if !out.status.success() {
                eprintln!(
                    "SKIPPED: scripts/py-digest.sh could not install httpbin (is PyPI reachable?)"
                );
                return None;
            }
            Some(String::from_utf8_lossy(&out.stdout).trim().to_string())
        })
        .clone()
}

/// Starts httpbin, installing it first if needed; `None` (with the reason printed) when
/// the script cannot install it (no registry).
fn httpbin() -> Option<Httpbin> {
    let python = digest_python()?;
    let port = support::free_port();
    let mut child = Command::new(python)
        .args([
            "-m",
            "httpbin.core",
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("httpbin starts");
    // Werkzeug says "Running on http://127.0.0.1:PORT" on stderr once it listens.
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    loop {
        match lines.next() {
            Some(Ok(line)) if line.contains("Running on") => break,
            Some(Ok(_)) => continue,
            _ => panic!("httpbin did not start"),
        }
    }
    std::thread::spawn(move || for _ in lines {});
    Some(Httpbin { child, port })
}

fn digest_capability(path: &str) -> naftiko::Capability {
    let yaml = format!(
        r#"naftiko: 1.0.0-alpha2
info:
  label: Digest test
capability:
  consumes:
  - type: http
    namespace: ns
    baseUri: http://127.0.0.1
    authentication:
      type: digest
      username: '{{{{DIGEST_USER}}}}'
      password: '{{{{DIGEST_PASSWORD}}}}'
    resources:
    - name: r
      path: {path}
      operations:
      - name: get
        method: GET
        outputRawFormat: json
        outputParameters:
        - name: result
          type: object
          value: $.
"#
    );
    naftiko::Capability::from_str_named(&yaml, "digest.yaml", None).unwrap()
}

#[tokio::test]
async fn digest_answers_httpbin_md5_and_sha256_challenges_and_reuses_the_nonce() {
    let Some(bin) = httpbin() else { return };
    let base = format!("http://127.0.0.1:{}", bin.port);
    for algorithm in ["MD5", "SHA-256"] {
        let cap = digest_capability(&format!("/digest-auth/auth/user/passwd/{algorithm}"));
        let rt = support::runtime(
            cap,
            &[("DIGEST_USER", "user"), ("DIGEST_PASSWORD", "passwd")],
            Some(("ns", &base)),
        );
        let req = rt.prepare("ns.get", json!({})).unwrap();
        let first = rt.execute(&req, &Default::default()).await.unwrap();
        // Without credentials, then the challenge answered.
        assert_eq!((first.status, first.attempts), (200, 2), "{algorithm}");
        let body: Value = serde_json::from_slice(&first.body).unwrap();
        assert_eq!(body, json!({"authenticated": true, "user": "user"}));
        // The nonce is reused (nc=2, 3): accepted at once.
        for _ in 0..2 {
            let next = rt.execute(&req, &Default::default()).await.unwrap();
            assert_eq!((next.status, next.attempts), (200, 1), "{algorithm}");
        }
    }
}

#[tokio::test]
async fn digest_a_wrong_password_is_answered_once_then_fails_with_the_401() {
    let Some(bin) = httpbin() else { return };
    let base = format!("http://127.0.0.1:{}", bin.port);
    let cap = digest_capability("/digest-auth/auth/user/passwd/MD5");
    let rt = support::runtime(
        cap,
        &[("DIGEST_USER", "user"), ("DIGEST_PASSWORD", "wrong")],
        Some(("ns", &base)),
    );
    let err = rt.call("ns.get", json!({})).await.unwrap_err();
    match &err {
        Error::Send(SendError::Status(e)) => assert_eq!((e.status, e.attempts), (401, 2)),
        other => panic!("{other}"),
    }
    assert!(!err.to_string().contains("wrong"));
}

/// A digest server stub: challenges requests without credentials, records what it receives,
/// and answers `stale=true` with a new nonce once the first nonce was used `stale_after`
/// times.
struct DigestStub {
    seen: Mutex<Vec<String>>,
    stale_after: u32,
    uses: AtomicU32,
}

impl Respond for DigestStub {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let auth = request
            .headers
            .get("authorization")
            .map(|v| v.to_str().unwrap().to_string());
        let challenge = |nonce: &str, stale: bool| {
            ResponseTemplate::new(401).insert_header(
                "www-authenticate",
                format!(r#"Digest realm="stub", nonce="{nonce}", qop="auth", algorithm=SHA-256, stale={stale}"#),
            )
        };
        let Some(auth) = auth else {
            return challenge("n1", false);
        };
        self.seen.lock().unwrap().push(auth.clone());
        if auth.contains(r#"nonce="n1""#)
            && self.uses.fetch_add(1, Ordering::SeqCst) + 1 > self.stale_after
        {
            return challenge("n2", true);
        }
        ResponseTemplate::new(200).set_body_json(json!({}))
    }
}

fn digest_param(header: &str, key: &str) -> String {
    let start = header.find(&format!("{key}=")).unwrap() + key.len() + 1;
    header[start..]
        .split(',')
        .next()
        .unwrap()
        .trim_matches('"')
        .to_string()
}

#[tokio::test]
async fn digest_nc_increments_across_calls_and_a_stale_nonce_is_replaced() {
    let server = MockServer::start().await;
    let stub = Arc::new(DigestStub {
        seen: Mutex::new(Vec::new()),
        stale_after: 3,
        uses: AtomicU32::new(0),
    });
    struct Shared(Arc<DigestStub>);
    impl Respond for Shared {
        fn respond(&self, r: &Request) -> ResponseTemplate {
            self.0.respond(r)
        }
    }
    Mock::given(path("/x"))
        .respond_with(Shared(stub.clone()))
        .mount(&server)
        .await;
    let rt = support::runtime(
        digest_capability("/x"),
        &[("DIGEST_USER", "u"), ("DIGEST_PASSWORD", "p")],
        Some(("ns", &server.uri())),
    );
    for _ in 0..5 {
        rt.call("ns.get", json!({})).await.unwrap();
    }
    let seen = stub.seen.lock().unwrap().clone();
    let sent: Vec<(String, String)> = seen
        .iter()
        .map(|h| (digest_param(h, "nonce"), digest_param(h, "nc")))
        .collect();
    let expected = [
        ("n1", "00000001"),
        ("n1", "00000002"),
        ("n1", "00000003"),
        ("n1", "00000004"), // refused: stale
        ("n2", "00000001"),
        ("n2", "00000002"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(sent, expected);
    assert!(seen
        .iter()
        .all(|h| h.contains("algorithm=SHA-256") && h.contains("qop=auth")));
}

// ---------------------------------------------------------------------------------------
// certificate

/// A CA, a server certificate for 127.0.0.1 and a client certificate, as PEM files in a
/// fresh directory.
struct Pki {
    dir: PathBuf,
}

impl Pki {
    fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn new(tag: &str) -> Pki {
        use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
        let dir = std::env::temp_dir().join(format!("naftiko-pki-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "naftiko test CA");
        let ca_cert = ca_params.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca_params, ca_key);
        let leaf = |names: Vec<String>| {
            let key = KeyPair::generate().unwrap();
            let cert = CertificateParams::new(names)
                .unwrap()
                .signed_by(&key, &issuer)
                .unwrap();
            (cert, key)
        };
        let (server, server_key) = leaf(vec!["127.0.0.1".into(), "localhost".into()]);
        let (client, client_key) = leaf(vec!["client.example".into()]);
        let write = |n: &str, t: String| std::fs::write(dir.join(n), t).unwrap();
        write("ca.pem", ca_cert.pem());
        write("server.pem", server.pem());
        write("server.key", server_key.serialize_pem());
        write("client.pem", client.pem());
        write("client.key", client_key.serialize_pem());
        // The same identity as PKCS#12, written by p12-keystore (what the runtime reads).
        let chain = p12_keystore::PrivateKeyChain::new(
            b"1".to_vec(),
            p12_keystore::PrivateKey::from_der(client_key.serialized_der()).unwrap(),
            [p12_keystore::Certificate::from_der(client.der()).unwrap()],
        );
        let mut store = p12_keystore::KeyStore::new();
        store.add_entry(
            "client",
            p12_keystore::KeyStoreEntry::PrivateKeyChain(chain),
        );
        std::fs::write(
            dir.join("client.p12"),
            store.writer("p12-pass").write().unwrap(),
        )
        .unwrap();
        Pki { dir }
    }
}

/// An HTTPS server on 127.0.0.1 that requires a client certificate issued by the CA and
/// answers every request `200 {"client": true}`. Returns its port.
async fn mtls_server(pki: &Pki) -> u16 {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_file(pki.file("ca.pem")).unwrap())
        .unwrap();
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .build()
    .unwrap();
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(
            vec![CertificateDer::from_pem_file(pki.file("server.pem")).unwrap()],
            PrivateKeyDer::from_pem_file(pki.file("server.key")).unwrap(),
        )
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let body = r#"{"client":true}"#;
                let response = format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len());
                let _ = tls.write_all(response.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    port
}

fn cert_capability(auth: &str, port: u16) -> naftiko::Capability {
    naftiko::Capability::from_str_named(&cert_capability_yaml(auth, port), "mtls.yaml", None)
        .unwrap()
}

fn pem_auth() -> &'static str {
    "    authentication:\n      type: certificate\n      certPath: '{{CERT}}'\n      keyPath: '{{KEY}}'\n"
}

fn p12_auth() -> &'static str {
    "    authentication:\n      type: certificate\n      certPath: '{{CERT}}'\n      certPassword: '{{CERT_PASSWORD}}'\n"
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

#[tokio::test]
async fn mtls_with_a_pem_or_pkcs12_identity_is_accepted_and_without_one_is_a_named_tls_error() {
    let pki = Pki::new("ok");
    let port = mtls_server(&pki).await;
    let (ca, cert, key, p12) = (
        s(&pki.file("ca.pem")),
        s(&pki.file("client.pem")),
        s(&pki.file("client.key")),
        s(&pki.file("client.p12")),
    );
    let cases: [(&str, Vec<(&str, &str)>); 2] = [
        (pem_auth(), vec![("CERT", &cert), ("KEY", &key)]),
        (
            p12_auth(),
            vec![("CERT", &p12), ("CERT_PASSWORD", "p12-pass")],
        ),
    ];
    for (auth, env) in cases {
        let rt = support::builder(cert_capability(auth, port), &env, None)
            .ca_file("ns", &ca)
            .build()
            .unwrap();
        let out = rt.call("ns.ping", json!({})).await.unwrap();
        assert_eq!(out["result"], json!({"client": true}), "{auth}");
    }
    let rt = support::builder(cert_capability("", port), &[], None)
        .ca_file("ns", &ca)
        .build()
        .unwrap();
    let err = rt.call("ns.ping", json!({})).await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(&err, Error::Send(SendError::Tls { .. })), "{text}");
    assert!(
        text.contains("TLS handshake") && text.contains("Certificate"),
        "{text}"
    );
}

// Multi-threaded: the server keeps serving while the test waits for the CLI process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_ca_is_trusted_through_ca_path_the_builder_or_the_cli_and_not_otherwise() {
    let pki = Pki::new("ca");
    let port = mtls_server(&pki).await;
    let (ca, cert, key) = (
        s(&pki.file("ca.pem")),
        s(&pki.file("client.pem")),
        s(&pki.file("client.key")),
    );
    let env = [
        ("CERT", cert.as_str()),
        ("KEY", key.as_str()),
        ("CA", ca.as_str()),
    ];
    // Not trusted: the server's certificate is refused.
    let rt = support::runtime(cert_capability(pem_auth(), port), &env, None);
    let err = rt.call("ns.ping", json!({})).await.unwrap_err();
    assert!(matches!(&err, Error::Send(SendError::Tls { .. })), "{err}");
    // The consumer's caPath.
    let with_field = format!("{}    caPath: '{{{{CA}}}}'\n", pem_auth());
    let rt = support::runtime(cert_capability(&with_field, port), &env, None);
    rt.call("ns.ping", json!({})).await.unwrap();
    // The builder, for every namespace.
    let rt = support::builder(cert_capability(pem_auth(), port), &env, None)
        .ca_file_all(&ca)
        .build()
        .unwrap();
    rt.call("ns.ping", json!({})).await.unwrap();
    // The CLI.
    let spec = pki.file("mtls.yaml");
    std::fs::write(&spec, cert_capability_yaml(pem_auth(), port)).unwrap();
    for flag in [ca.clone(), format!("ns={ca}")] {
        let out = support::bin::naftiko()
            .args(["call", &s(&spec), "ping", "--ca-file", &flag])
            .env("CERT", &cert)
            .env("KEY", &key)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{flag}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            stdout.contains("\"client\": true") || stdout.contains("\"client\":true"),
            "{stdout}"
        );
    }
}

fn cert_capability_yaml(auth: &str, port: u16) -> String {
    format!(
        "naftiko: 1.0.0-alpha2\ninfo:\n  label: mTLS test\ncapability:\n  consumes:\n  - type: http\n    namespace: ns\n    baseUri: https://127.0.0.1:{port}\n{auth}    resources:\n    - name: r\n      path: /ping\n      operations:\n      - name: ping\n        method: GET\n        outputRawFormat: json\n        outputParameters:\n        - name: result\n          type: object\n          value: $.\n"
    )
}

#[tokio::test]
async fn certificate_problems_are_errors_naming_the_file() {
    let pki = Pki::new("bad");
    let port = support::free_port();
    let (cert, key, p12) = (
        s(&pki.file("client.pem")),
        s(&pki.file("client.key")),
        s(&pki.file("client.p12")),
    );
    let missing = s(&pki.file("missing.key"));
    let cases = [
        (
            p12_auth(),
            vec![("CERT", p12.as_str()), ("CERT_PASSWORD", "nope")],
            p12.as_str(),
            "wrong password",
        ),
        (
            pem_auth(),
            vec![("CERT", cert.as_str()), ("KEY", missing.as_str())],
            missing.as_str(),
            "cannot read",
        ),
        (
            pem_auth(),
            vec![("CERT", key.as_str()), ("KEY", key.as_str())],
            key.as_str(),
            "no PEM certificate",
        ),
    ];
    for (auth, env, file, why) in cases {
        let rt = support::runtime(cert_capability(auth, port), &env, None);
        let text = rt.call("ns.ping", json!({})).await.unwrap_err().to_string();
        assert!(text.contains(file) && text.contains(why), "{why}: {text}");
        assert!(!text.contains("nope"), "{text}");
    }
}

// ---------------------------------------------------------------------------------------
// every scheme

/// With no value for a credential variable, the call fails naming it, and nothing reaches
/// the server (not even a token endpoint).
#[tokio::test]
async fn a_missing_credential_is_named_before_any_request() {
    let server = MockServer::start().await;
    let uri = server.uri();
    let blocks = [
        (oauth2_block(&format!("{uri}/token"), "basic"), "CLIENT_SECRET", vec![("CLIENT_ID", "a")]),
        (
            "    authentication:\n      type: digest\n      username: u\n      password: '{{DIGEST_PASSWORD}}'\n".to_string(),
            "DIGEST_PASSWORD",
            vec![],
        ),
        (p12_auth().to_string(), "CERT_PASSWORD", vec![("CERT", "/nonexistent.p12")]),
    ];
    for (block, variable, env) in blocks {
        let rt = support::runtime(support::items::capability(&block), &env, Some(("ns", &uri)));
        let err = rt.call("ns.list_items", json!({})).await.unwrap_err();
        assert!(matches!(err, Error::Bind(_)), "{variable}: {err}");
        assert!(err.to_string().contains(variable), "{err}");
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}

/// Dry runs and curl exports work without any secret and show none; with secrets set,
/// nothing shows them either.
#[test]
fn secrets_of_these_schemes_never_show_in_dry_runs_curl_or_debug() {
    let blocks = [
        oauth2_block("https://login.example/token", "post"),
        "    authentication:\n      type: digest\n      username: '{{CLIENT_ID}}'\n      password: '{{CLIENT_SECRET}}'\n".to_string(),
        "    authentication:\n      type: certificate\n      certPath: /etc/client.p12\n      certPassword: '{{CLIENT_SECRET}}'\n".to_string(),
    ];
    for block in blocks {
        let cap = support::items::capability(&block);
        let empty = support::runtime(cap.clone(), &[], None);
        empty.dry_run("ns.list_items", json!({})).unwrap();
        let rt = support::runtime(
            cap,
            &[("CLIENT_ID", "app"), ("CLIENT_SECRET", SECRET)],
            None,
        );
        let req = rt.dry_run("ns.list_items", json!({})).unwrap();
        for text in [
            serde_json::to_string(&req).unwrap(),
            req.to_curl(),
            format!("{req:?}"),
            format!("{rt:?}"),
            format!("{:?}", rt.capability().auth("ns")),
            rt.capability().auth("ns").unwrap().to_string(),
        ] {
            assert!(!text.contains(SECRET), "{block}: {text}");
        }
    }
}
