//! Arbitrary bytes as a capability file: loading, rendering diagnostics, building a runtime and
//! dry-running every operation must never panic (errors are fine).
#![no_main]

use libfuzzer_sys::fuzz_target;
use naftiko::{Capability, Runtime};
use serde_json::json;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // A JSON-looking input is also loaded under a `.json` name (which may be parsed strictly).
    if text.trim_start().starts_with('{') {
        if let Err(e) = Capability::from_str_named(text, "fuzz.json", None) {
            let _ = e.to_string();
        }
    }
    let cap = match Capability::from_str_named(text, "fuzz.yaml", None) {
        Ok(cap) => cap,
        Err(e) => {
            // Every rendering of a load error.
            let _ = e.to_string();
            for d in e.diagnostics() {
                let _ = d.render(true);
            }
            return;
        }
    };
    for d in cap.diagnostics() {
        let _ = d.render(false);
        let _ = d.render(true);
        let _ = d.to_string();
    }
    // Everything `describe`/`ops` show about an operation.
    let mut names = Vec::new();
    let mut bases = Vec::new();
    for op in cap.operations() {
        let _ = op.path_template();
        let _ = op.args_schema();
        let _ = op.output_mapping();
        let _ = op.unfilled_placeholders();
        let _ = op.required_params().count();
        names.push(op.qualified_name());
        // A namespace declared twice (an error diagnostic) makes `base_uri` ambiguous.
        let unique = cap.namespaces().filter(|n| *n == op.namespace()).count() == 1;
        bases.push(cap.base_uri(op.namespace()).filter(|_| unique));
    }
    for ns in cap.namespaces() {
        let _ = cap.base_uri(ns);
    }
    let rt = match Runtime::builder(cap)
        .env(std::iter::empty::<(String, String)>())
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    for (name, base) in names.iter().zip(&bases) {
        match rt.dry_run(name, json!({})) {
            Ok(req) => {
                if let Some(base) = base {
                    same_origin(name, base, &req.url());
                }
                let _ = serde_json::to_string(&req);
                let _ = req.to_curl();
                let _ = format!("{req:?}");
            }
            Err(e) => {
                let _ = e.to_string();
            }
        }
    }
});

/// A request prepared for a literal base URI goes to that base URI's scheme, host and port,
/// whatever the operation's path (found: `path: users/me` made `http://h:8080users/me`), and
/// has no fragment (found: `baseUri: https://h#/v3`).
fn same_origin(op: &str, base: &str, url: &str) {
    if base.contains('{') {
        return; // a template: checked when its values are known
    }
    let Ok(b) = reqwest::Url::parse(base) else {
        return; // refused at load; the dry run cannot have succeeded with it
    };
    // Redaction replaces a secret's text wherever it occurs, also inside the host when the
    // base URI happens to contain it (a dry-run placeholder `naftiko-unset-X`, a literal
    // credential): display only, the request itself keeps the real text.
    let redacted = url.contains("***");
    let u = match reqwest::Url::parse(url) {
        Ok(u) => u,
        Err(_) if redacted => return,
        Err(e) => panic!("{op}: the prepared URL {url:?} does not parse ({e}); base URI {base:?}"),
    };
    if redacted && u.host_str().is_some_and(|h| h.contains('*')) {
        return;
    }
    assert_eq!(
        (u.scheme(), u.host_str(), u.port()),
        (b.scheme(), b.host_str(), b.port()),
        "{op}: {url:?} does not go to the base URI {base:?}"
    );
    assert!(u.fragment().is_none(), "{op}: {url:?} has a fragment");
}
