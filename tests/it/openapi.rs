//! OpenAPI import and drift: Junction's OpenAPI imported in both dialects, loaded and
//! dry-run operation by operation; upstream's fixtures round-tripped; the schema dialect
//! validated against the alpha2 JSON Schema; drift pinned for `specs/vital/users.yaml`.
#![cfg(feature = "openapi")]

use naftiko::openapi::{drift, import, Dialect, FindingKind, ImportOptions, Imported, OpenApi};
use naftiko::{Capability, Runtime};
use serde_json::Value;

const JUNCTION: &str = "tests/fixtures/openapi/junction.json";
const FIXTURES: [&str; 7] = [
    "complex-api.yaml",
    "no-operation-ids.yaml",
    "no-servers.yaml",
    "petstore-2.0.yaml",
    "petstore-3.0.yaml",
    "petstore-3.1.yaml",
    "petstore-swagger2-full.json",
];

fn opts(dialect: Dialect) -> ImportOptions {
    ImportOptions {
        dialect,
        ..ImportOptions::default()
    }
}

fn import_file(path: &str, dialect: Dialect) -> Imported {
    let api = OpenApi::from_path(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    import(&api, &opts(dialect)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Loads the imported text, then prepares every operation with its example arguments.
/// Returns the number of operations.
fn round_trip(imported: &Imported, label: &str) -> usize {
    let cap = imported
        .capability()
        .unwrap_or_else(|e| panic!("{label}: {e}\n{}", imported.yaml));
    let errors: Vec<String> = cap
        .diagnostics()
        .iter()
        .filter(|d| d.severity == naftiko::Severity::Error)
        .map(|d| d.render(false))
        .collect();
    assert!(errors.is_empty(), "{label}: {errors:#?}");
    assert_eq!(cap.operations().len(), imported.operations.len(), "{label}");
    let env: Vec<(String, String)> = imported
        .secrets
        .iter()
        .map(|s| (s.clone(), "test-secret".to_string()))
        .collect();
    let rt = Runtime::builder(cap)
        .env(env)
        .build()
        .unwrap_or_else(|e| panic!("{label}: {e}"));
    for op in &imported.operations {
        let req = rt
            .prepare(&op.name, op.example_args.clone())
            .unwrap_or_else(|e| panic!("{label}: {} {} ({}): {e}", op.method, op.path, op.name));
        assert_eq!(req.method().as_str(), op.method, "{label}: {}", op.name);
        assert!(
            !req.url().contains('{'),
            "{label}: {}: {}",
            op.name,
            req.url()
        );
    }
    imported.operations.len()
}

#[test]
fn junction_round_trips_in_both_dialects() {
    for dialect in [Dialect::Published, Dialect::Schema] {
        let imported = import_file(JUNCTION, dialect);
        assert_eq!(round_trip(&imported, "junction"), 203, "{dialect:?}");
        assert!(imported.skipped.is_empty(), "{:?}", imported.skipped);
    }
}

#[test]
fn junction_import_is_deterministic_and_keeps_descriptions() {
    let a = import_file(JUNCTION, Dialect::Published);
    let b = import_file(JUNCTION, Dialect::Published);
    assert_eq!(a.yaml, b.yaml);
    assert!(
        a.yaml.starts_with("naftiko: 1.0.0-alpha2\n"),
        "{}",
        &a.yaml[..200]
    );
    assert!(a
        .yaml
        .contains("description: Provider slug. e.g., `oura`, `fitbit`, `garmin`."));
    let cap = a.capability().unwrap();
    let op = cap.operation("get_user_v2_user__user_id__get").unwrap();
    assert_eq!(op.path_template(), "/v2/user/{user_id}");
    assert_eq!(
        cap.base_uri(op.namespace()).as_deref(),
        Some("https://api.us.junction.com")
    );
}

#[test]
fn upstream_fixtures_round_trip() {
    let mut counts = Vec::new();
    for f in FIXTURES {
        let path = format!("tests/fixtures/openapi/{f}");
        for dialect in [Dialect::Published, Dialect::Schema] {
            let imported = import_file(&path, dialect);
            let n = round_trip(&imported, &path);
            assert!(n > 0, "{path}");
            if dialect == Dialect::Published {
                counts.push(format!("{f}: {n}"));
            }
        }
    }
    crate::support::snapshots().bind(|| {
        insta::assert_snapshot!("openapi__upstream_fixtures_round_trip", counts.join("\n"))
    });
}

#[test]
fn imported_capability_reads_like_the_seed() {
    let imported = import_file(
        "tests/fixtures/openapi/petstore-3.0.yaml",
        Dialect::Published,
    );
    crate::support::snapshots().bind(|| {
        insta::assert_snapshot!(
            "openapi__imported_capability_reads_like_the_seed",
            imported.yaml
        )
    });
}

#[test]
fn schema_dialect_validates_against_the_alpha2_schema() {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string("tests/fixtures/naftiko-schema-v1.0.0-alpha2.json").unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let mut files: Vec<String> = FIXTURES
        .iter()
        .map(|f| format!("tests/fixtures/openapi/{f}"))
        .collect();
    files.push(JUNCTION.into());
    for path in files {
        let imported = import_file(&path, Dialect::Schema);
        let doc = naftiko::__bench::parse_tree(&imported.yaml)
            .unwrap()
            .to_json();
        let errors: Vec<String> = validator
            .iter_errors(&doc)
            .take(5)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{path}: {errors:#?}");
    }
}

fn users_drift() -> Vec<naftiko::openapi::Finding> {
    let cap = Capability::from_path("specs/vital/users.yaml").unwrap();
    let api = OpenApi::from_path(JUNCTION).unwrap();
    drift(&cap, &api)
}

#[test]
fn drift_pins_users_yaml() {
    let lines: Vec<String> = users_drift().iter().map(ToString::to_string).collect();
    crate::support::snapshots()
        .bind(|| insta::assert_snapshot!("openapi__drift_pins_users_yaml", lines.join("\n")));
}

#[test]
fn drift_summary_over_the_eight_junction_capabilities() {
    let api = OpenApi::from_path(JUNCTION).unwrap();
    let mut rows = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir("specs/vital")
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for f in files {
        let cap = Capability::from_path(&f).unwrap();
        let findings = drift(&cap, &api);
        let mut by_kind = std::collections::BTreeMap::<String, usize>::new();
        for x in &findings {
            *by_kind.entry(format!("{:?}", x.kind)).or_default() += 1;
        }
        rows.push(format!(
            "{}: {by_kind:?}",
            f.file_name().unwrap().to_string_lossy()
        ));
        let _ = FindingKind::NotInApi;
    }
    crate::support::snapshots().bind(|| {
        insta::assert_snapshot!(
            "openapi__drift_summary_over_the_eight_junction_capabilities",
            rows.join("\n")
        )
    });
}

#[test]
fn cli_import_then_drift() {
    let dir = std::env::temp_dir().join(format!("naftiko-openapi-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("petstore.yaml");
    let bin = env!("CARGO_BIN_EXE_naftiko");
    let run = std::process::Command::new(bin)
        .args([
            "import",
            "openapi",
            "tests/fixtures/openapi/petstore-3.0.yaml",
            "--dialect",
            "schema",
            "-o",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let drift_run = |cap: &str, extra: &[&str]| {
        std::process::Command::new(bin)
            .args(["drift", cap, "tests/fixtures/openapi/junction.json"])
            .args(extra)
            .output()
            .unwrap()
    };
    // An imported capability has no drift against its own document.
    let own = std::process::Command::new(bin)
        .arg("drift")
        .arg(&out)
        .arg("tests/fixtures/openapi/petstore-3.0.yaml")
        .output()
        .unwrap();
    assert_eq!(
        own.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&own.stdout)
    );
    // users.yaml has warnings only: clean by default, failing with --fail-on warning.
    assert_eq!(
        drift_run("specs/vital/users.yaml", &[]).status.code(),
        Some(0)
    );
    let strict = drift_run(
        "specs/vital/users.yaml",
        &["--fail-on", "warning", "--json"],
    );
    assert_eq!(strict.status.code(), Some(1));
    let findings: Value = serde_json::from_slice(&strict.stdout).unwrap();
    assert_eq!(findings.as_array().map(Vec::len), Some(6));
    assert_eq!(
        drift_run("specs/vital/lab-testing.yaml", &[]).status.code(),
        Some(1)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn imported_junction_has_no_drift_against_itself() {
    let api = OpenApi::from_path(JUNCTION).unwrap();
    for dialect in [Dialect::Published, Dialect::Schema] {
        let cap = import(&api, &opts(dialect)).unwrap().capability().unwrap();
        // The schema dialect's parameters carry no `required` (the schema has no such
        // field): only warnings about that are expected there.
        let findings: Vec<String> = drift(&cap, &api)
            .iter()
            .filter(|f| dialect == Dialect::Published || f.severity == naftiko::Severity::Error)
            .map(ToString::to_string)
            .collect();
        assert!(findings.is_empty(), "{dialect:?}: {findings:#?}");
    }
}

#[test]
fn refs_across_files_and_cycles_resolve() {
    let imported = import_file("tests/fixtures/openapi/refs/api.yaml", Dialect::Published);
    assert_eq!(round_trip(&imported, "refs"), 2);
    let cap = imported.capability().unwrap();
    assert_eq!(
        cap.base_uri("refs").as_deref(),
        Some("https://refs.example.com/v1")
    );
    let get = cap.operation("getItem").unwrap();
    assert_eq!(get.path_template(), "/items/{id}");
    assert_eq!(get.param("limit").map(|p| p.ty().as_str()), Some("integer"));
    assert_eq!(imported.operations[0].example_args["limit"], 5);
    // The recursive body schema yields a finite example.
    assert!(imported.operations[1].example_args["body"]["child"].is_object());
}

/// An API with what the Junction document lacks: server variables, oauth2 client
/// credentials, a multipart body, tags and a flattenable body.
const GAPS: &str = r#"
openapi: 3.0.3
info: {title: Gaps, version: "1"}
servers:
  - url: https://{region}.example.com/{version}
    variables:
      region: {default: us, enum: [us, eu]}
      version: {default: v2}
components:
  securitySchemes:
    cc:
      type: oauth2
      flows:
        clientCredentials:
          tokenUrl: https://auth.example.com/token
          scopes: {read: Read things, write: Write things}
security: [{cc: [read]}]
paths:
  /things:
    get:
      operationId: listThings
      tags: [things]
      responses: {"200": {description: ok}}
    post:
      operationId: createThing
      tags: [things]
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [name]
              properties:
                name: {type: string, example: bolt}
                size: {type: integer}
      responses: {"201": {description: created}}
  /admin/files:
    post:
      operationId: uploadFile
      tags: [admin]
      requestBody:
        required: true
        content:
          multipart/form-data:
            schema:
              type: object
              required: [file, owner]
              properties:
                file: {type: array, items: {type: string, format: binary}}
                owner: {type: string, example: ana}
                note: {type: string}
            encoding:
              file: {contentType: "image/png, image/jpeg"}
      responses: {"201": {description: created}}
"#;

fn gaps() -> OpenApi {
    OpenApi::from_str_named(GAPS, "gaps.yaml").unwrap()
}

#[test]
fn import_writes_oauth2_client_credentials_with_binds_named_after_the_scheme() {
    let imported = import(&gaps(), &opts(Dialect::Published)).unwrap();
    assert!(
        imported.yaml.contains(
            "    auth:\n      type: oauth2\n      tokenUrl: https://auth.example.com/token\n      \
             clientId: \"{{CC_CLIENT_ID}}\"\n      clientSecret: \"{{CC_CLIENT_SECRET}}\"\n      \
             scopes:\n      - read\n      - write\n"
        ),
        "{}",
        imported.yaml
    );
    let cap = imported.capability().unwrap();
    assert!(matches!(
        cap.auth("gaps"),
        Some(naftiko::Auth::OAuth2 { .. })
    ));
    // The schema dialect's `oauth2` is the resource-server kind (no client id or secret):
    // there the token is a bearer bind.
    let schema = import(&gaps(), &opts(Dialect::Schema)).unwrap();
    assert!(schema.yaml.contains("type: bearer"), "{}", schema.yaml);
    assert!(schema.secrets.contains(&"CC_TOKEN".to_string()));
}

#[test]
fn server_variables_with_a_choice_become_binds_and_the_others_their_defaults() {
    let imported = import(&gaps(), &opts(Dialect::Published)).unwrap();
    assert_eq!(
        imported.secrets,
        ["CC_CLIENT_ID", "CC_CLIENT_SECRET", "REGION"]
    );
    let cap = imported.capability().unwrap();
    assert_eq!(
        cap.base_uri("gaps").as_deref(),
        Some("https://{REGION}.example.com/v2")
    );
    let rt = Runtime::builder(cap)
        .env([
            ("REGION", "eu"),
            ("CC_CLIENT_ID", "id"),
            ("CC_CLIENT_SECRET", "s"),
        ])
        .build()
        .unwrap();
    let req = rt.prepare("listThings", serde_json::json!({})).unwrap();
    assert_eq!(req.url(), "https://$REGION.example.com/v2/things");
}

#[test]
fn a_multipart_request_body_is_imported_as_a_multipart_form() {
    let imported = import(&gaps(), &opts(Dialect::Schema)).unwrap();
    assert!(
        imported.yaml.contains(
            "        body:\n          type: multipartForm\n          data:\n          \
             - name: file\n            value: \"{{file}}\"\n            filename: file\n            \
             contentType: image/png\n          - name: owner\n            \
             value: \"{{owner}}\"\n          - name: note\n            value: \"{{note}}\"\n"
        ),
        "{}",
        imported.yaml
    );
    let op = imported
        .operations
        .iter()
        .find(|o| o.name == "upload-file")
        .unwrap();
    let cap = imported.capability().unwrap();
    let rt = Runtime::builder(cap)
        .env([("CC_TOKEN", "t"), ("REGION", "us")])
        .build()
        .unwrap();
    let req = rt.prepare("upload-file", op.example_args.clone()).unwrap();
    assert!(req
        .content_type()
        .unwrap()
        .starts_with("multipart/form-data; boundary="));
    // An array of files is one part per element; the optional `note` not given is left out.
    let names: Vec<Value> = req
        .body()
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].clone())
        .collect();
    assert_eq!(names, ["file", "owner"]);
    assert!(
        drift(&imported.capability().unwrap(), &gaps())
            .iter()
            .all(|f| f.kind != FindingKind::BodyMismatch
                && f.kind != FindingKind::BodyPropertyMissing)
    );
}

#[test]
fn a_swagger_2_upload_form_is_imported_as_a_multipart_form() {
    let api = OpenApi::from_str_named(
        r#"
swagger: "2.0"
info: {title: Up, version: "1"}
host: up.example.com
paths:
  /pets/{id}/image:
    post:
      operationId: uploadImage
      consumes: [multipart/form-data]
      parameters:
        - {name: id, in: path, required: true, type: string}
        - {name: image, in: formData, required: true, type: file}
        - {name: caption, in: formData, type: string}
      responses: {"200": {description: ok}}
"#,
        "up.yaml",
    )
    .unwrap();
    let imported = import(&api, &opts(Dialect::Published)).unwrap();
    assert!(
        imported.yaml.contains(
            "        body:\n          type: multipartForm\n          data:\n          \
             - name: image\n            value: \"{{image}}\"\n            filename: image\n            \
             contentType: application/octet-stream\n          - name: caption\n"
        ),
        "{}",
        imported.yaml
    );
    let cap = imported.capability().unwrap();
    assert!(drift(&cap, &api).is_empty(), "{:?}", drift(&cap, &api));
}

#[test]
fn tags_include_exclude_and_flatten_body_select_and_shape_the_operations() {
    let api = gaps();
    let names = |o: ImportOptions| -> Vec<String> {
        let imported = import(&api, &o).unwrap();
        imported.operations.into_iter().map(|op| op.name).collect()
    };
    let base = opts(Dialect::Published);
    let with = |f: &dyn Fn(&mut ImportOptions)| {
        let mut o = base.clone();
        f(&mut o);
        o
    };
    assert_eq!(
        names(with(&|o| o.tags = vec!["admin".into()])),
        ["uploadFile"]
    );
    assert_eq!(
        names(with(&|o| o.include = vec!["/things*".into()])),
        ["listThings", "createThing"]
    );
    assert_eq!(
        names(with(&|o| o.exclude = vec!["/admin/*".into()])),
        ["listThings", "createThing"]
    );
    let flat = import(&api, &with(&|o| o.flatten_body = true)).unwrap();
    let cap = flat.capability().unwrap();
    let create = cap.operation("createThing").unwrap();
    let params: Vec<(&str, bool)> = create
        .params()
        .iter()
        .map(|p| (p.name(), p.required()))
        .collect();
    assert_eq!(params, [("name", true), ("size", false)]);
    let create_args = &flat.operations[1].example_args;
    assert_eq!(create_args, &serde_json::json!({"name": "bolt"}));
}

#[test]
fn every_import_is_the_same_bytes_twice() {
    let files = FIXTURES
        .iter()
        .map(|f| format!("tests/fixtures/openapi/{f}"));
    for path in files.chain([JUNCTION.to_string()]) {
        for dialect in [Dialect::Published, Dialect::Schema] {
            let (a, b) = (import_file(&path, dialect), import_file(&path, dialect));
            assert_eq!(a.yaml, b.yaml, "{path} {dialect:?}");
        }
    }
    let gaps = || import(&gaps(), &opts(Dialect::Published)).unwrap().yaml;
    assert_eq!(gaps(), gaps());
}

#[test]
fn drift_reports_every_finding_kind() {
    let cap = Capability::from_path("tests/fixtures/openapi/drift/cap.yaml").unwrap();
    let api = OpenApi::from_path("tests/fixtures/openapi/drift/api.yaml").unwrap();
    let found: Vec<String> = drift(&cap, &api)
        .iter()
        .map(|f| {
            let sev = if f.severity == naftiko::Severity::Error {
                "error"
            } else {
                "warning"
            };
            format!("{} {sev} {}: {}", f.operation, f.kind.as_str(), f.message)
        })
        .collect();
    let found = found.join("\n");
    crate::support::snapshots()
        .bind(|| insta::assert_snapshot!("openapi__drift_reports_every_finding_kind", found));
    for kind in [
        "not-in-api",
        "unfilled-placeholder",
        "unplaced-path-param",
        "missing-param",
        "unknown-param",
        "in-mismatch",
        "required-mismatch",
        "type-mismatch",
        "body-mismatch",
        "body-property-missing",
        "auth-mismatch",
    ] {
        assert!(found.contains(&format!(" {kind}: ")), "no {kind}:\n{found}");
    }
    assert!(!found.contains("d.upload "), "{found}");
}
