//! Arbitrary JSON arguments for the operations of `specs/vital/users.yaml` and of an inline
//! capability that puts values and secrets in every place (path, query, header, cookie, JSON,
//! text and form bodies; basic, query, cookie, bearer, body, oauth2, digest and certificate
//! authentication).
//!
//! `dry_run` and `prepare` must never panic, and when they succeed:
//! * no secret appears in `serde_json::to_string(&req)`, `req.to_curl()`, `{req:?}`,
//!   `req.url()` or `req.headers()` — neither as written nor percent- or JSON-encoded;
//! * `req.url()` parses with `reqwest::Url` and serializes back unchanged (what the dry run
//!   shows is what is sent).
#![no_main]

use std::sync::OnceLock;

use arbitrary::{Arbitrary, Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use naftiko::{Capability, Runtime};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::{Map, Number, Value};

/// Secrets set in the runtime's environment. The second one has characters that URL, cookie
/// and JSON encodings change (as base64 keys do), so an encoded copy is caught too.
const SECRETS: &[(&str, &str)] = &[
    ("VITAL_API_KEY", "sk_fuzz_SECRET_0xDEADBEEF"),
    ("FUZZ_KEY", "sk_fuzz_SECRET_0xDEADBEEF"),
    ("FUZZ_B64", "sk_fuzz+SECRET/0xDEAD=BEEF\"\\"),
    ("FUZZ_USER", "fuzz-user-0xDEADBEEF"),
];
/// Every secret contains this; arguments that contain it are the caller's own text, so the
/// leak check is skipped for them.
const MARKER: &str = "0xDEAD";

/// Strings that reach the interesting branches of the encoders and validators.
#[rustfmt::skip]
const INTERESTING: &[&str] = &[
    "", ".", "..", "...", "/", "a/b", "../x", "%2e%2e", "%", "%zz", "?", "#", "&", "=", "a b",
    "+", ";", ",", "\"", "'", "\\", "`", "$", "${FUZZ_KEY}", "$(id)", "***", "{{FUZZ_KEY}}",
    "{{env.FUZZ_KEY}}", "{item_id}", "\r\n", "\n", "\t", " x", "x ", "\u{0}", "\u{7f}",
    "\u{85}", "\u{2028}", "é", "日本", "🦀", "sk_fuzz", "fuzz-user", "0xBEEF",
];

const NAMES: &[&str] = &["body", "key", "apiKey", "api_key", "sid", "", "null", "x"];

struct Target {
    rt: Runtime,
    ops: Vec<(String, Vec<String>)>,
}

fn targets() -> &'static [Target] {
    static T: OnceLock<Vec<Target>> = OnceLock::new();
    T.get_or_init(|| {
        let env: Vec<(&str, &str)> = SECRETS.to_vec();
        let sources = [
            (
                "specs/vital/users.yaml",
                include_str!("../../specs/vital/users.yaml"),
                19,
            ),
            ("inline.yaml", include_str!("inline.yaml"), 16),
        ];
        sources
            .iter()
            .map(|(name, text, n)| {
                let cap = match Capability::from_str_named(text, name, None) {
                    Ok(cap) => cap,
                    Err(e) => panic!("harness: {name} does not load: {e}"),
                };
                let errors: Vec<String> = cap
                    .diagnostics()
                    .iter()
                    .filter(|d| d.severity == naftiko::Severity::Error)
                    .map(|d| d.to_string())
                    .collect();
                assert!(errors.is_empty(), "harness: {name}: {errors:?}");
                assert_eq!(cap.operations().len(), *n, "harness: {name}");
                let ops = cap
                    .operations()
                    .iter()
                    .map(|op| (op.qualified_name(), op.argument_names().to_vec()))
                    .collect();
                let rt = match Runtime::builder(cap).env(env.clone()).build() {
                    Ok(rt) => rt,
                    Err(e) => panic!("harness: {name}: {e}"),
                };
                Target { rt, ops }
            })
            .collect()
    })
}

fn string(u: &mut Unstructured<'_>) -> Result<String> {
    Ok(match u.int_in_range(0..=3)? {
        0 => u.choose(INTERESTING)?.to_string(),
        1 => {
            // Concatenations of interesting pieces.
            let mut s = String::new();
            for _ in 0..u.int_in_range(1..=4)? {
                s.push_str(u.choose(INTERESTING)?);
            }
            s
        }
        _ => String::arbitrary(u)?,
    })
}

fn value(u: &mut Unstructured<'_>, depth: u32) -> Result<Value> {
    let max = if depth == 0 { 5 } else { 7 };
    Ok(match u.int_in_range(0..=max)? {
        0 => Value::Null,
        1 => Value::Bool(bool::arbitrary(u)?),
        2 => Value::from(i64::arbitrary(u)?),
        3 => Value::from(u64::arbitrary(u)?),
        4 => Number::from_f64(f64::arbitrary(u)?).map_or(Value::Null, Value::Number),
        5 => Value::String(string(u)?),
        6 => {
            let mut items = Vec::new();
            for _ in 0..u.int_in_range(0..=4)? {
                items.push(value(u, depth - 1)?);
            }
            Value::Array(items)
        }
        _ => {
            let mut map = Map::new();
            for _ in 0..u.int_in_range(0..=4)? {
                let k = if bool::arbitrary(u)? {
                    u.choose(NAMES)?.to_string()
                } else {
                    string(u)?
                };
                map.insert(k, value(u, depth - 1)?);
            }
            Value::Object(map)
        }
    })
}

/// Arguments for an operation: mostly its own parameter names, sometimes another name,
/// sometimes not an object at all.
fn args(u: &mut Unstructured<'_>, names: &[String]) -> Result<Value> {
    if u.ratio(1, 16)? {
        return value(u, 2);
    }
    let mut map = Map::new();
    for _ in 0..u.int_in_range(0..=8)? {
        let k = if !names.is_empty() && !u.ratio(1, 10)? {
            u.choose(names)?.clone()
        } else {
            string(u)?
        };
        map.insert(k, value(u, 3)?);
    }
    Ok(Value::Object(map))
}

/// The forms a secret could leak in: as is, percent-encoded (path, query, form, cookie)
/// and JSON-escaped.
fn needles() -> &'static [String] {
    static N: OnceLock<Vec<String>> = OnceLock::new();
    N.get_or_init(|| {
        const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
            .remove(b'-')
            .remove(b'.')
            .remove(b'_')
            .remove(b'~');
        // prepare.rs's cookie-octet set.
        const COOKIE: &AsciiSet = &percent_encoding::CONTROLS
            .add(b' ')
            .add(b'"')
            .add(b',')
            .add(b';')
            .add(b'\\')
            .add(b'%');
        let mut out = Vec::new();
        for (_, s) in SECRETS {
            out.push(s.to_string());
            out.push(utf8_percent_encode(s, COMPONENT).to_string());
            out.push(utf8_percent_encode(s, NON_ALPHANUMERIC).to_string());
            out.push(utf8_percent_encode(s, COOKIE).to_string());
            let json = serde_json::to_string(s).unwrap_or_default();
            out.push(json.trim_matches('"').to_string());
        }
        out.sort();
        out.dedup();
        out
    })
}

fn check(op: &str, req: &naftiko::PreparedRequest, leak_check: bool) {
    let url = req.url();
    let outputs = [
        (
            "serde_json::to_string",
            serde_json::to_string(req).unwrap_or_default(),
        ),
        ("to_curl", req.to_curl()),
        ("Debug", format!("{req:?}")),
        ("url", url.clone()),
        ("headers", format!("{:?}", req.headers())),
        ("body", req.body().to_string()),
    ];
    if leak_check {
        for (what, text) in &outputs {
            for needle in needles() {
                assert!(
                    !text.contains(needle.as_str()),
                    "{op}: secret leaked in {what} as {needle:?}: {text}"
                );
            }
        }
    }
    match reqwest::Url::parse(&url) {
        Ok(parsed) => assert_eq!(
            parsed.as_str(),
            url,
            "{op}: the URL changes when parsed: {url:?} -> {:?}",
            parsed.as_str()
        ),
        Err(e) => panic!("{op}: prepared URL does not parse ({e}): {url:?}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let targets = targets();
    let Ok(t) = u.choose(targets) else { return };
    let Ok((op, names)) = u.choose(&t.ops) else {
        return;
    };
    let Ok(args) = args(&mut u, names) else {
        return;
    };
    let leak_check = !args.to_string().contains(MARKER);
    for dry in [true, false] {
        let result = if dry {
            t.rt.dry_run(op, args.clone())
        } else {
            t.rt.prepare(op, args.clone())
        };
        match result {
            Ok(req) => check(op, &req, leak_check),
            Err(e) => {
                let text = e.to_string();
                if leak_check {
                    for needle in needles() {
                        assert!(
                            !text.contains(needle.as_str()),
                            "{op}: secret leaked in the error as {needle:?}: {text}"
                        );
                    }
                }
            }
        }
    }
});
