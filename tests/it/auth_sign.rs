//! The signing schemes (oauth1, hmac, aws-sig-v4) over real HTTP on 127.0.0.1, each request
//! the runtime sent verified by the provider's own library (tests/oracles/verify.py in the
//! venv `scripts/py-oracles.sh` makes): Mastercard's `mastercard-oauth1-signer` (and its
//! PKCS#12 loader), `oauthlib` for RFC 5849's HMAC methods, Veracode's
//! `veracode-api-signing`, AWS's `botocore`. The capabilities are the corpus's own files,
//! except the HMAC oauth1 one (no corpus file uses it).

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use naftiko::{Capability, Runtime};
use serde_json::{json, Value};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support;

const RSA_KEY: &str = "tests/fixtures/keys/oauth1-test-rsa.pem";
const VERACODE: &str = "tests/fixtures/corpus/veracode__devsecops-pipeline.yaml";
const MASTERCARD: &str = "tests/fixtures/corpus/mastercard__bill-payments-and-commercial.yaml";
const AWS: &str =
    "tests/fixtures/corpus/jpmorgan-chase__jpmc-openapi-spec-aggregation-capability.yaml";

/// The oracles' Python, set up once by the project's pinned script; `None` (the test
/// prints why and passes) only when the venv cannot be made (no registry).
fn python() -> Option<&'static Path> {
    static PY: OnceLock<Option<std::path::PathBuf>> = OnceLock::new();
    PY.get_or_init(|| {
        let status = Command::new("scripts/py-oracles.sh").status();
        match status {
            Ok(s) if s.success() => Some(Path::new(".tools/py/bin/python").to_path_buf()),
            other => {
                eprintln!("SKIPPED: scripts/py-oracles.sh could not set up the oracles ({other:?}); is PyPI reachable?");
                None
            }
        }
    })
    .as_deref()
}

/// Runs the oracle on a captured request; returns its answer (`nonce`: what was signed once).
fn verify(scheme: &str, req: &wiremock::Request, creds: Value) -> Value {
    let py = python().expect("checked by the caller");
    let mut headers = serde_json::Map::new();
    for (k, v) in req.headers.iter() {
        headers.insert(k.as_str().to_string(), json!(v.to_str().unwrap()));
    }
    let mut input = json!({
        "scheme": scheme,
        "method": req.method.as_str(),
        "url": req.url.as_str(),
        "headers": headers,
        "body": String::from_utf8(req.body.clone()).unwrap(),
    });
    input
        .as_object_mut()
        .unwrap()
        .extend(creds.as_object().unwrap().clone());
    let mut child = Command::new(py)
        .arg("tests/oracles/verify.py")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let answer: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    assert_eq!(answer["ok"], true, "{scheme}: oracle refused: {answer}");
    answer
}

/// A server that answers `{}` (after `failures` 503s), the runtime pointed at it.
async fn serve(
    file: &str,
    namespace: &str,
    env: &[(&str, &str)],
    failures: u64,
) -> (MockServer, Runtime) {
    let cap = Capability::from_path(file).unwrap();
    serve_capability(cap, namespace, env, failures).await
}

async fn serve_capability(
    cap: Capability,
    namespace: &str,
    env: &[(&str, &str)],
    failures: u64,
) -> (MockServer, Runtime) {
    let server = MockServer::start().await;
    if failures > 0 {
        Mock::given(any())
            .respond_with(ResponseTemplate::new(503))
            .up_to_n_times(failures)
            .mount(&server)
            .await;
    }
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .mount(&server)
        .await;
    let rt = Runtime::builder(cap)
        .env(env.iter().map(|(k, v)| (k.to_string(), v.to_string())))
        .base_uri(namespace, server.uri())
        .build()
        .unwrap();
    (server, rt)
}

async fn call(rt: &Runtime, op: &str) {
    let args = support::args::for_operation(rt.capability().operation(op).unwrap());
    rt.call(op, args).await.unwrap();
}

const VERACODE_ID: &str = "vera01ei-3ddaeeb10ca690df3fee5e3bd1c329fa";
const VERACODE_KEY: &str =
    "vera01ei-8f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8";

#[tokio::test]
async fn veracode_hmac_is_verified_by_veracodes_library_and_a_retry_is_signed_again() {
    if python().is_none() {
        return;
    }
    let env = [
        ("VERACODE_API_ID", VERACODE_ID),
        ("VERACODE_API_KEY", VERACODE_KEY),
    ];
    let (server, rt) = serve(VERACODE, "veracode-applications", &env, 1).await;
    call(&rt, "veracode-applications.list-applications").await;
    let got = server.received_requests().await.unwrap();
    assert_eq!(got.len(), 2, "one 503, one retry");
    let creds = json!({"api_id": VERACODE_ID, "api_key": VERACODE_KEY});
    let first = verify("hmac", &got[0], creds.clone());
    let second = verify("hmac", &got[1], creds);
    assert_ne!(
        first["nonce"], second["nonce"],
        "the retry has a fresh nonce"
    );
}

#[tokio::test]
async fn mastercard_oauth1_rsa_is_verified_over_mastercards_base_string() {
    if python().is_none() {
        return;
    }
    let key = std::fs::read_to_string(RSA_KEY).unwrap();
    // The key as a file path; the consumer key has Mastercard's `!`.
    let consumer = "abc-123!def456";
    let env = [
        ("MASTERCARD_CONSUMER_KEY", consumer),
        ("MASTERCARD_SIGNING_KEY", RSA_KEY),
    ];
    let (server, rt) = serve(MASTERCARD, "bill-pay", &env, 0).await;
    call(&rt, "bill-pay.search-billers").await;
    let got = server.received_requests().await.unwrap();
    verify(
        "oauth1",
        &got[0],
        json!({"consumer_key": consumer, "signing_key": key}),
    );
}

/// The Mastercard file with `signingKeyPassword` added: the key is a PKCS#12 file.
fn mastercard_pkcs12() -> Capability {
    let text = std::fs::read_to_string(MASTERCARD)
        .unwrap()
        .replace(
            "    MASTERCARD_SIGNING_KEY: MASTERCARD_SIGNING_KEY\n",
            "    MASTERCARD_SIGNING_KEY: MASTERCARD_SIGNING_KEY\n    MASTERCARD_KEY_PASSWORD: MASTERCARD_KEY_PASSWORD\n",
        )
        .replace(
            "      signingKey: '{{MASTERCARD_SIGNING_KEY}}'\n",
            "      signingKey: '{{MASTERCARD_SIGNING_KEY}}'\n      signingKeyPassword: '{{MASTERCARD_KEY_PASSWORD}}'\n",
        );
    assert!(text.contains("signingKeyPassword"));
    Capability::from_str_named(&text, MASTERCARD, None).unwrap()
}

/// Both encryptions: OpenSSL 3's default (AES) and the legacy 3DES of Mastercard's portal.
#[tokio::test]
async fn mastercard_oauth1_with_a_pkcs12_key_modern_or_legacy_is_verified_with_mastercards_loader()
{
    if python().is_none() {
        return;
    }
    let consumer = "abc-123!def456";
    for file in [
        "tests/fixtures/keys/oauth1-test-aes.p12",
        "tests/fixtures/keys/oauth1-test-3des.p12",
    ] {
        let env = [
            ("MASTERCARD_CONSUMER_KEY", consumer),
            ("MASTERCARD_SIGNING_KEY", file),
            ("MASTERCARD_KEY_PASSWORD", "keystorepassword"),
        ];
        let (server, rt) = serve_capability(mastercard_pkcs12(), "bill-pay", &env, 0).await;
        call(&rt, "bill-pay.search-billers").await;
        let got = server.received_requests().await.unwrap();
        verify(
            "oauth1",
            &got[0],
            json!({"consumer_key": consumer, "signing_key_p12": file, "signing_key_password": "keystorepassword"}),
        );
    }
}

#[tokio::test]
async fn a_wrong_pkcs12_password_fails_the_call_naming_the_file_before_any_request() {
    let file = "tests/fixtures/keys/oauth1-test-3des.p12";
    let env = [
        ("MASTERCARD_CONSUMER_KEY", "abc-123!def456"),
        ("MASTERCARD_SIGNING_KEY", file),
        ("MASTERCARD_KEY_PASSWORD", "not-the-password"),
    ];
    let (server, rt) = serve_capability(mastercard_pkcs12(), "bill-pay", &env, 0).await;
    let op = "bill-pay.search-billers";
    let args = support::args::for_operation(rt.capability().operation(op).unwrap());
    let e = rt.call(op, args).await.unwrap_err().to_string();
    // The bound path is redacted; the file's name and the variable show.
    let named = "PKCS#12 file `oauth1-test-3des.p12` cannot be opened: wrong password (`signingKey` is $MASTERCARD_SIGNING_KEY)";
    assert!(e.contains(named), "{e}");
    assert!(!e.contains("not-the-password"), "{e}");
    assert!(server.received_requests().await.unwrap().is_empty());
}

/// An oauth1 capability signed with an HMAC method, three operations: a form body with a
/// query, a JSON body, no body.
fn oauth1_hmac(method: &str) -> Capability {
    let yaml = format!(
        r#"
naftiko: 1.0.0-alpha2
binds:
- namespace: env
  keys:
    OAUTH_KEY: OAUTH_KEY
    OAUTH_SECRET: OAUTH_SECRET
    OAUTH_TOKEN: OAUTH_TOKEN
    OAUTH_TOKEN_SECRET: OAUTH_TOKEN_SECRET
capability:
  consumes:
  - type: http
    namespace: api
    baseUri: http://127.0.0.1:9
    authentication:
      type: oauth1
      signatureMethod: {method}
      consumerKey: '{{{{OAUTH_KEY}}}}'
      consumerSecret: '{{{{OAUTH_SECRET}}}}'
      token: '{{{{OAUTH_TOKEN}}}}'
      tokenSecret: '{{{{OAUTH_TOKEN_SECRET}}}}'
    resources:
    - name: items
      path: /items
      operations:
      - name: send-form
        method: POST
        inputParameters:
        - {{name: q, in: query, type: string}}
        body:
          type: formUrlEncoded
          data: {{a3: '{{{{v}}}}', c2: '', b: '2 q+r'}}
      - name: send-json
        method: POST
        body:
          type: json
          data: {{v: '{{{{v}}}}'}}
      - name: list
        method: GET
        inputParameters:
        - {{name: q, in: query, type: string}}
"#
    );
    Capability::from_str_named(&yaml, "oauth1-hmac.yaml", None).unwrap()
}

/// RFC 5849 §3.4.1.3: a form body's fields are signed with the query's, and only a non-form
/// body carries `oauth_body_hash` (SHA-1 under HMAC-SHA1, SHA-256 under HMAC-SHA256).
#[tokio::test]
async fn oauth1_hmac_form_json_and_empty_bodies_are_verified_by_oauthlib() {
    if python().is_none() {
        return;
    }
    let env = [
        ("OAUTH_KEY", "dpf43f3p2l4k3l03"),
        ("OAUTH_SECRET", "kd94hf93k423kf44"),
        ("OAUTH_TOKEN", "nnch734d00sl2jdk"),
        ("OAUTH_TOKEN_SECRET", "pfkkdhi9sl3r4s00"),
    ];
    let args = json!({"q": "1 2+3&x=y", "v": "a b+c&d=e/~!*%"});
    for method in ["HMAC-SHA1", "HMAC-SHA256"] {
        let (server, rt) = serve_capability(oauth1_hmac(method), "api", &env, 0).await;
        for (op, args) in [
            ("api.send-form", &args),
            ("api.send-json", &json!({"v": args["v"]})),
            ("api.list", &json!({"q": args["q"]})),
        ] {
            rt.call(op, args.clone()).await.unwrap();
        }
        let got = server.received_requests().await.unwrap();
        assert_eq!(got.len(), 3);
        for req in &got {
            let creds = json!({"signature_method": method, "consumer_key": env[0].1, "consumer_secret": env[1].1, "token_secret": env[3].1});
            verify("oauth1-hmac", req, creds);
        }
        let form = got[0].headers["authorization"].to_str().unwrap();
        assert!(!form.contains("oauth_body_hash"), "{form}");
        let json_body = got[1].headers["authorization"].to_str().unwrap();
        assert!(json_body.contains("oauth_body_hash"), "{json_body}");
    }
}

#[tokio::test]
async fn aws_sigv4_is_verified_by_botocore_with_a_session_token() {
    if python().is_none() {
        return;
    }
    let env = [
        ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
        (
            "AWS_SECRET_ACCESS_KEY",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        ),
        ("AWS_REGION", "eu-west-1"),
    ];
    let (server, rt) = serve(AWS, "apigateway", &env, 0).await;
    call(&rt, "apigateway.list-rest-apis").await;
    let got = server.received_requests().await.unwrap();
    verify(
        "aws",
        &got[0],
        json!({"access_key_id": "AKIDEXAMPLE", "secret_key": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "region": "eu-west-1", "service": "apigateway"}),
    );
}

#[tokio::test]
async fn a_missing_signing_bind_is_named_before_any_request() {
    let (server, rt) = serve(
        VERACODE,
        "veracode-applications",
        &[("VERACODE_API_ID", "id")],
        0,
    )
    .await;
    let op = "veracode-applications.list-applications";
    let args = support::args::for_operation(rt.capability().operation(op).unwrap());
    let e = rt.call(op, args).await.unwrap_err().to_string();
    assert!(e.contains("VERACODE_API_KEY"), "{e}");
    assert!(server.received_requests().await.unwrap().is_empty());
}

/// Dry run, curl and errors show the signed header's shape, never a key.
#[test]
fn dry_run_and_curl_show_the_signature_shape_without_secrets() {
    let cases = [
        (
            VERACODE,
            "veracode-applications.list-applications",
            "VERACODE-HMAC-SHA-256 id=***",
        ),
        (
            MASTERCARD,
            "bill-pay.search-billers",
            "OAuth oauth_consumer_key=\"***\"",
        ),
        (
            AWS,
            "apigateway.list-rest-apis",
            "AWS4-HMAC-SHA256 Credential=***/",
        ),
    ];
    let secrets = [VERACODE_ID, VERACODE_KEY, "abc-123!def456", "wJalrXUtnFEMI"];
    for (file, op, shape) in cases {
        let cap = Capability::from_path(file).unwrap();
        let args = support::args::for_operation(cap.operation(op).unwrap());
        let env = [
            ("VERACODE_API_ID", VERACODE_ID),
            ("VERACODE_API_KEY", VERACODE_KEY),
            ("MASTERCARD_CONSUMER_KEY", "abc-123!def456"),
            ("MASTERCARD_SIGNING_KEY", RSA_KEY),
            ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
            (
                "AWS_SECRET_ACCESS_KEY",
                "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            ),
            ("AWS_REGION", "eu-west-1"),
        ];
        for with_env in [false, true] {
            let mut b = Runtime::builder(cap.clone());
            b = if with_env {
                b.env(env)
            } else {
                b.env(Vec::<(String, String)>::new())
            };
            let rt = b.build().unwrap();
            let req = rt.dry_run(op, args.clone()).unwrap();
            let auth = req.header("authorization").unwrap_or_default();
            assert!(auth.starts_with(shape), "{op}: {auth}");
            let shown = format!(
                "{} {:?} {}",
                serde_json::to_string(&req).unwrap(),
                req,
                req.to_curl()
            );
            for s in secrets {
                assert!(!shown.contains(s), "{op} shows a secret: {shown}");
            }
        }
    }
}
