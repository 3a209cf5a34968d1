//! Table-driven tests of the loader's pieces: one line per case. The whole documents are
//! YAML flow mappings so that a case fits on a line.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::schema::{name_message, unknown_key_message, value_message, Name, Object, Value};
use super::tree::parse;
use super::{auth::auth_kind, Loader, Scope};
use crate::spec::{Bind, LoadOptions, Part, SpecError, Template, Var};

/// A capability with one operation: `top` and `consumer` are spliced into their mappings,
/// `op` is the operation's (see [`op`]).
fn doc(top: &str, consumer: &str, op: &str) -> String {
    format!(
        "{{naftiko: 1.0.0-alpha2{top}, capability: {{consumes: [{{namespace: api, type: http, \
         baseUri: 'https://example.com'{consumer}, resources: [{{name: items, path: /items, \
         operations: [{{{op}}}]}}]}}]}}}}"
    )
}

/// The operation mapping `name: list, method: GET` and `extra`.
fn op(extra: &str) -> String {
    format!("name: list, method: GET{extra}")
}

const OP: &str = "capability.consumes[0].resources[0].operations[0]";
const CONSUMER: &str = "capability.consumes[0]";

/// Every diagnostic of a load, as `severity path: message`, in the order reported.
fn diagnostics_at(text: &str, file: &Path, strict: bool) -> Vec<String> {
    let options = LoadOptions {
        schema_deviations: strict,
    };
    let diagnostics = match super::from_text(text, file, file.parent(), &options) {
        Ok(cap) => cap.diagnostics,
        Err(SpecError::Invalid { diagnostics }) => diagnostics,
        Err(e) => return vec![format!("load error: {e}")],
    };
    diagnostics
        .iter()
        .map(|d| format!("{} {}: {}", d.severity, d.location.path, d.message))
        .collect()
}

fn diagnostics(text: &str) -> Vec<String> {
    diagnostics_at(text, Path::new("t.yaml"), true)
}

/// Asserts that loading `text` strictly reports `expected` (one `severity path: message`).
#[track_caller]
fn reports(text: &str, expected: &str) {
    let found = diagnostics(text);
    assert!(
        found.iter().any(|d| d == expected),
        "expected `{expected}` in {found:#?}\nfor {text}"
    );
}

#[test]
fn schema_checks_report_each_deviation_with_its_path() {
    let cases: &[(String, String)] = &[
        (doc("", "", &op(", bogus: 1")), format!("deviation {OP}.bogus: `bogus` is not a key of a consumed operation in the 1.0.0-alpha2 schema")),
        (doc("", ", extra: 1", &op("")), format!("deviation {CONSUMER}.extra: `extra` is not a key of a consumer in the 1.0.0-alpha2 schema")),
        (doc(", personas: []", "", &op("")), "deviation personas: `personas` is not a key of the document root in the 1.0.0-alpha2 schema".into()),
        (doc(", info: {label: x, title: y}", "", &op("")), "deviation info.title: `title` is not a key of `info` in the 1.0.0-alpha2 schema".into()),
        (doc("", "", "name: list_all, method: GET"), format!("deviation {OP}.name: operation name `list_all` should match ^[a-zA-Z0-9-]+$")),
        (doc("", "", "name: list, method: get"), format!("deviation {OP}.method: method `get` is not one of GET, POST, PUT, PATCH, DELETE")),
        (doc("", "", "name: list, method: HEAD"), format!("deviation {OP}.method: method `HEAD` is not one of GET, POST, PUT, PATCH, DELETE")),
        (doc("", "", "name: list, method: FETCH"), format!("error {OP}.method: operation `list` has unknown HTTP method `FETCH`; it is skipped")),
        (doc("", "", &op(", inputParameters: [{name: 'a b', in: query}]")), format!("deviation {OP}.inputParameters[0].name: parameter name `a b` should match ^[a-zA-Z0-9-_*]+$")),
        (doc("", "", &op(", inputParameters: [{name: a, in: query, type: string}]")), format!("deviation {OP}.inputParameters[0].type: `type` is not a key of a consumed input parameter in the 1.0.0-alpha2 schema")),
        (doc("", "", &op(", outputParameters: [{name: a, type: integer, value: $.a}]")), format!("deviation {OP}.outputParameters[0].type: output type `integer` is not one of string, number, boolean, object, array")),
        (doc(", binds: [{namespace: s, keys: {token: T}}]", "", &op("")), "deviation binds[0].token: bind key `token` should match ^[A-Z][A-Z0-9_]*$".into()),
        (doc(", binds: [{namespace: s, keys: {T: T}, where: x}]", "", &op("")), "deviation binds[0].where: `where` is not a key of a bind in the 1.0.0-alpha2 schema".into()),
        (doc("", ", authentication: {type: oauth2}", &op("")), format!("deviation {CONSUMER}.authentication.type: authentication type `oauth2` is not one of apikey, bearer, basic, digest")),
        (doc("", ", authentication: {type: bearer, token: t, value: v}", &op("")), format!("deviation {CONSUMER}.authentication.value: `value` is not a key of this authentication in the 1.0.0-alpha2 schema")),
        (doc("", ", authentication: {type: apikey, key: k, value: v, in: query}", &op("")), format!("deviation {CONSUMER}.authentication.in: `in` is not a key of this authentication in the 1.0.0-alpha2 schema")),
        (doc("", ", auth: {type: bearer, token: t}", &op("")), format!("deviation {CONSUMER}.auth: `auth` is not a schema key: the schema calls it `authentication`")),
        (doc("", "", &op("")).replace("name: items", "name: my_items"), format!("deviation {CONSUMER}.resources[0].name: resource name `my_items` should match ^[a-zA-Z0-9-]+$")),
        (doc("", "", &op("")).replace("namespace: api", "namespace: my.api"), format!("deviation {CONSUMER}.namespace: namespace `my.api` should match ^[a-zA-Z0-9-]+$")),
        (doc("", "", &op("")).replace("1.0.0-alpha2", "1.0.0-alpha1"), "deviation naftiko: naftiko version `1.0.0-alpha1` is not 1.0.0-alpha2".into()),
        (doc("", "", &op("")).replace("1.0.0-alpha2", "2.0.0"), "error naftiko: unsupported naftiko version `2.0.0`: this runtime reads 1.0.0-alpha1, 1.0.0-alpha2, 1.0.0-alpha3".into()),
    ];
    for (text, expected) in cases {
        reports(text, expected);
    }
}

#[test]
fn schema_conforming_documents_have_no_deviation_and_lenient_loads_record_none() {
    let clean = doc(
        ", info: {label: x}",
        ", authentication: {type: bearer, token: '{{TOKEN}}'}",
        &op(", inputParameters: [{name: q, in: query}]"),
    );
    assert_eq!(diagnostics(&clean), Vec::<String>::new());
    let deviant = doc(
        ", personas: []",
        ", auth: {token: t}",
        "name: a_b, method: get",
    );
    let lenient = diagnostics_at(&deviant, Path::new("t.yaml"), false);
    assert!(
        lenient.iter().all(|d| !d.starts_with("deviation")),
        "{lenient:#?}"
    );
}

#[test]
fn key_tables_cover_every_object() {
    use Object::*;
    for object in [
        Root,
        Info,
        Capability,
        Bind,
        ImportedConsumer,
        Consumer,
        Resource,
        Operation,
        InputParameter,
        OutputParameter,
        ApiKeyAuth,
        BearerAuth,
        BasicAuth,
    ] {
        // A key no object allows is reported with the object's own name, not the fallback.
        let message = unknown_key_message(object, "nope").unwrap_or_default();
        assert!(!message.contains("this object"), "{object:?}: {message}");
    }
    let cases: &[(Object, &str, bool)] = &[
        (Object::Operation, "outputRawFormat", true),
        (Object::Operation, "path", false),
        (Object::Consumer, "auth", true),
        (Object::Resource, "operations", true),
        (Object::BearerAuth, "value", false),
        (Object::BasicAuth, "password", true),
    ];
    for &(object, key, allowed) in cases {
        assert_eq!(
            unknown_key_message(object, key).is_none(),
            allowed,
            "{object:?}.{key}"
        );
    }
}

#[test]
fn name_and_value_rules() {
    let names: &[(Name, &str, bool)] = &[
        (Name::Kebab, "get-user-2", true),
        (Name::Kebab, "get_user", false),
        (Name::Kebab, "", false),
        (Name::Parameter, "x-api_key*", true),
        (Name::Parameter, "a.b", false),
        (Name::EnvVar, "API_KEY2", true),
        (Name::EnvVar, "2KEY", false),
        (Name::EnvVar, "api_key", false),
    ];
    for &(rule, name, ok) in names {
        assert_eq!(
            name_message(rule, "n", name).is_none(),
            ok,
            "{rule:?} {name:?}"
        );
    }
    let values: &[(Value, &str, bool)] = &[
        (Value::Method, "PATCH", true),
        (Value::Method, "Patch", false),
        (Value::AuthType, "digest", true),
        (Value::AuthType, "apiKey", false),
        (Value::OutputType, "array", true),
        (Value::OutputType, "integer", false),
    ];
    for &(rule, value, ok) in values {
        assert_eq!(
            value_message(rule, "v", value).is_none(),
            ok,
            "{rule:?} {value:?}"
        );
    }
}

/// Renders a template with its variables resolved: `<arg:x>`, `<env:X>`, `<bind:X>`.
fn render(t: &Template) -> String {
    t.parts
        .iter()
        .map(|p| match p {
            Part::Lit(s) => s.clone(),
            Part::Var(Var::Arg(n)) => format!("<arg:{n}>"),
            Part::Var(Var::Env(n)) => format!("<env:{n}>"),
            Part::Var(Var::Bind(n)) => format!("<bind:{n}>"),
        })
        .collect()
}

#[test]
fn dialect_variables_resolve_to_one_kind_of_var() {
    let loader = Loader {
        deviations: false,
        base_dir: PathBuf::new(),
        diagnostics: Vec::new(),
        fatal: false,
        binds: vec![Bind {
            namespace: "vault".into(),
            file: None,
            keys: vec![("TOKEN".into(), "TOKEN".into())],
            unsupported: None,
        }],
    };
    let params: HashSet<String> = ["user_id".to_string(), "LIMIT".to_string()].into();
    let scope = Scope { params: &params };
    // (text, single braces as in paths and base URIs, rendered)
    let cases: &[(&str, bool, &str)] = &[
        ("/users/{user_id}", true, "/users/<arg:user_id>"),
        ("/users/{{user_id}}", true, "/users/<arg:user_id>"),
        ("/users/{user_id}", false, "/users/{user_id}"),
        ("Bearer {{TOKEN}}", false, "Bearer <bind:TOKEN>"),
        ("{{API_KEY}}", false, "<env:API_KEY>"),
        ("{{env.TOKEN}}", false, "<bind:TOKEN>"),
        ("{{env.OTHER}}", false, "<env:OTHER>"),
        ("{{vault.TOKEN}}", false, "<bind:TOKEN>"),
        ("{{vault.MISSING}}", false, "<env:MISSING>"),
        ("{{user.profile.id}}", false, "<arg:id>"),
        ("{{LIMIT}}", false, "<arg:LIMIT>"),
        ("{{page}}", false, "<arg:page>"),
        ("{{unclosed", false, "{{unclosed"),
    ];
    for &(text, single, expected) in cases {
        assert_eq!(
            render(&loader.template(text, single, &scope)),
            expected,
            "{text:?}"
        );
    }
}

#[test]
fn auth_scheme_is_normalised_or_guessed_from_its_keys() {
    // (the authentication mapping, the scheme the loader dispatches on)
    let cases: &[(&str, Option<&str>)] = &[
        ("{type: API_Key, key: k}", Some("apikey")),
        ("{type: api-key}", Some("apikey")),
        ("{type: Bearer}", Some("bearer")),
        ("{type: oauth2, token: t}", Some("oauth2")),
        ("{token: t}", Some("bearer")),
        ("{username: u, password: p}", Some("basic")),
        ("{name: X-Key, value: v}", Some("apikey")),
        ("{password: p}", None),
    ];
    for &(text, expected) in cases {
        let node = parse(text).unwrap_or_else(|e| panic!("{text}: {}", e.message));
        let declared = node.get("type").and_then(|t| t.scalar_text());
        assert_eq!(
            auth_kind(&node, declared.as_deref()).as_deref(),
            expected,
            "{text}"
        );
    }
}

#[test]
fn dialect_auth_builds_the_same_model_as_the_schema() {
    let cases: &[(&str, &str)] = &[
        (
            ", authentication: {type: bearer, token: '{{TOKEN}}'}",
            ", auth: {token: {env: TOKEN}}",
        ),
        (
            ", authentication: {type: apikey, key: X-Key, value: '{{KEY}}', placement: header}",
            ", auth: {type: header, name: X-Key, value: {env: KEY}}",
        ),
        (
            ", authentication: {type: basic, username: u, password: '{{PASS}}'}",
            ", auth: {type: basic, user: u, password: {env: PASS}}",
        ),
    ];
    for &(schema, dialect) in cases {
        let load = |c: &str| {
            let text = doc("", c, &op(""));
            match super::from_text(&text, Path::new("t.yaml"), None, &LoadOptions::default()) {
                Ok(cap) => format!("{:?}", cap.consumers[0].auth),
                Err(e) => format!("{e}"),
            }
        };
        assert_eq!(load(schema), load(dialect), "{schema} vs {dialect}");
    }
}

/// A file's name and text.
type File<'a> = (&'a str, &'a str);

/// A fresh directory with `files` written into it.
fn dir_with(case: &str, files: &[File]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("naftiko-load-{}-{case}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    dir
}

#[test]
fn import_errors_say_what_is_missing_where() {
    let main = "{naftiko: 1.0.0-alpha2, capability: {consumes: [{location: './shared.yaml', import: pets}]}}";
    let shared_other =
        "{consumes: [{namespace: cats, type: http, baseUri: 'https://c.example', resources: []}]}";
    let looping = "{consumes: [{namespace: pets, location: './shared.yaml', import: pets}]}";
    // (case, files beside the capability, start of the expected diagnostic)
    let cases: &[(&str, &[File], &str)] = &[
        (
            "missing",
            &[],
            "error capability.consumes[0].location: cannot import `pets` from ",
        ),
        (
            "no-namespace",
            &[("shared.yaml", shared_other)],
            "error capability.consumes[0].import: ",
        ),
        ("syntax", &[("shared.yaml", "{consumes: [")], "error : "),
        (
            "cycle",
            &[("shared.yaml", looping)],
            "error consumes[0]: imports nest deeper than 8 levels (a cycle?)",
        ),
    ];
    for &(case, files, expected) in cases {
        let dir = dir_with(case, files);
        let found = diagnostics_at(main, &dir.join("main.yaml"), false);
        let _ = std::fs::remove_dir_all(&dir);
        assert!(
            found.iter().any(|d| d.starts_with(expected)),
            "{case}: expected `{expected}…` in {found:#?}"
        );
        match case {
            "missing" | "no-namespace" => assert!(
                found
                    .iter()
                    .any(|d| d.ends_with("its operations are unavailable")),
                "{case}: {found:#?}"
            ),
            "syntax" => assert!(
                found.iter().any(|d| d.contains("(imported from ")),
                "{case}: {found:#?}"
            ),
            _ => {}
        }
    }
}

#[test]
fn imports_bring_the_consumer_under_its_alias() {
    let shared = "{consumes: [{namespace: pets, type: http, baseUri: 'https://p.example', resources: [{name: pets, path: /pets, operations: [{name: list}]}]}]}";
    let main = "{naftiko: 1.0.0-alpha2, capability: {consumes: [{location: './shared.yaml', import: pets, as: animals}]}}";
    let dir = dir_with("alias", &[("shared.yaml", shared)]);
    let loaded = super::from_text(
        main,
        &dir.join("main.yaml"),
        Some(&dir),
        &LoadOptions::strict(),
    );
    let _ = std::fs::remove_dir_all(&dir);
    let cap = loaded.unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<&str> = cap.operations.iter().map(|o| &*o.qualified).collect();
    assert_eq!(names, ["animals.list"]);
    let found: Vec<String> = cap.diagnostics.iter().map(|d| d.message.clone()).collect();
    assert_eq!(found, Vec::<String>::new());
}

/// Renders a body template: JSON with `<arg:x>` for variables, or `text(content type): …`.
fn render_body(body: &crate::spec::BodySpec) -> String {
    use crate::spec::{BodySpec, JsonTemplate};
    fn json(t: &JsonTemplate) -> String {
        match t {
            JsonTemplate::Lit(v) => v.to_string(),
            JsonTemplate::Var(v) => render(&Template::var(v.clone())),
            JsonTemplate::Str(t) => format!("\"{}\"", render(t)),
            JsonTemplate::Array(items) => {
                format!("[{}]", items.iter().map(json).collect::<Vec<_>>().join(","))
            }
            JsonTemplate::Object(fields) => {
                let fields: Vec<String> = fields
                    .iter()
                    .map(|(k, v)| format!("{k}:{}", json(v)))
                    .collect();
                format!("{{{}}}", fields.join(","))
            }
        }
    }
    match body {
        BodySpec::Json(t) => json(t),
        BodySpec::Text(t, ct) => format!("text({ct}): {}", render(t)),
        BodySpec::Form(_) => "form".into(),
        BodySpec::Multipart(_) => "multipart".into(),
        BodySpec::Params => "params".into(),
    }
}

#[test]
fn string_bodies_compile_json_with_placeholders_structurally() {
    let mut loader = Loader {
        deviations: false,
        base_dir: PathBuf::new(),
        diagnostics: Vec::new(),
        fatal: false,
        binds: Vec::new(),
    };
    let params = HashSet::new();
    let scope = Scope { params: &params };
    // (the body as written, the template it compiles to)
    let cases: &[(&str, &str)] = &[
        (r#"{"n": {{count}}}"#, "{n:<arg:count>}"),
        (r#"{"id": "u-{{id}}"}"#, r#"{id:"u-<arg:id>"}"#),
        (r#"{"id": "{{id}}"}"#, "{id:<arg:id>}"),
        (r#"{"q": "a \"{{x}}\" b"}"#, r#"{q:"a "<arg:x>" b"}"#),
        (r#"[{{a}}, 2, "{{TOKEN}}"]"#, "[<arg:a>,2,<env:TOKEN>]"),
        (
            "name={{n}}",
            "text(text/plain; charset=utf-8): name=<arg:n>",
        ),
        (
            r#"{"broken": {{x}}"#,
            r#"text(text/plain; charset=utf-8): {"broken": <arg:x>"#,
        ),
    ];
    for &(text, expected) in cases {
        let body = loader.string_body(text, &scope);
        assert_eq!(render_body(&body), expected, "{text}");
    }
}

#[test]
fn arg_names_gather_every_argument_a_template_uses() {
    // (operation mapping extras, resource path, the names a call may pass)
    let cases: &[(&str, &str, &[&str])] = &[
        ("", "/items", &[]),
        // A placeholder no parameter fills is refused at call time, not an argument.
        ("", "/items/{id}", &[]),
        (
            ", inputParameters: [{name: id, in: path}]",
            "/items/{id}",
            &["id"],
        ),
        (
            ", inputParameters: [{name: id, in: path}]",
            "/items",
            &["id"],
        ),
        (
            ", inputParameters: [{name: q, in: query}, {name: E, in: environment}]",
            "/items",
            &["q"],
        ),
        (
            ", body: '{\"a\": {{a}}, \"t\": \"{{TOKEN}}\", \"s\": \"x-{{b}}\"}'",
            "/items",
            &["a", "b"],
        ),
        (
            ", body: {type: text, data: 'hi {{who}}'}",
            "/items",
            &["who"],
        ),
        (
            ", body: {type: formUrlEncoded, data: {k: '{{v}}'}}",
            "/items",
            &["v"],
        ),
        (
            ", inputParameters: [{name: h, in: header, value: '{{z}}'}]",
            "/items",
            &["h", "z"],
        ),
    ];
    for &(extra, path, expected) in cases {
        let text = doc("", "", &op(extra)).replace("path: /items", &format!("path: '{path}'"));
        let cap = super::from_text(&text, Path::new("t.yaml"), None, &LoadOptions::default())
            .unwrap_or_else(|e| panic!("{extra}: {e}"));
        assert_eq!(cap.operations[0].arg_names, expected, "{extra} {path}");
    }
}
