//! Every capability we have — `specs/`, the upstream examples and the 67 real-world files —
//! loads or fails with a clear diagnostic, and nothing panics: not loading, not preparing
//! any operation with arguments derived from its parameters.

use crate::support;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use naftiko::{Capability, Runtime, Severity};
use serde_json::json;

/// What a file must do.
enum Expect {
    /// Loads with this many operations.
    Loads(usize),
    /// Fails to load with a message containing this text (and a file:line:col prefix).
    Fails(&'static str),
}
use Expect::{Fails, Loads};

const NOT_NAFTIKO: &str = "not a Naftiko capability";

fn table() -> Vec<(&'static str, Expect)> {
    vec![
        ("specs/vital/lab-report-parser.yaml", Loads(2)),
        ("specs/vital/lab-testing.yaml", Loads(56)),
        ("specs/vital/link.yaml", Loads(14)),
        ("specs/vital/management.yaml", Loads(0)),
        ("specs/vital/sense.yaml", Loads(3)),
        ("specs/vital/team.yaml", Loads(8)),
        ("specs/vital/users.yaml", Loads(19)),
        ("specs/vital/wearables.yaml", Loads(95)),
        (
            "corpus/2020-police-brutality__2020-police-brutality-incident-research.yaml",
            Loads(3),
        ),
        ("corpus/akri__edge-device-monitoring.yaml", Loads(1)),
        ("corpus/alation__data-intelligence.yaml", Loads(22)),
        ("corpus/aligned-news__ai-news-intelligence.yaml", Loads(0)),
        (
            "corpus/amazon-firewall-manager__amazon-firewall-manager-security-governance.yaml",
            Loads(0),
        ),
        (
            "corpus/amc-entertainment-holdings__loyalty-management.yaml",
            Loads(29),
        ),
        (
            "corpus/apache-ranger__ranger-workflow.yaml",
            Fails(NOT_NAFTIKO),
        ),
        ("corpus/apipark__platform-management.yaml", Loads(0)),
        ("corpus/autodesk__autodesk-capability.yaml", Loads(12)),
        ("corpus/bbandt-corp__open-banking.yaml", Loads(0)),
        ("corpus/convoy__convoy-delivery-attempts.yaml", Loads(2)),
        ("corpus/epidemic-sound__users.yaml", Loads(2)),
        ("corpus/factset__open-marketplace-ofs.yaml", Loads(22)),
        ("corpus/factset__real-time-quotes-notation.yaml", Loads(40)),
        (
            "corpus/freedom-of-information-act__freedom-of-information-act-capability.yaml",
            Loads(5),
        ),
        ("corpus/freshworks__freshworks-capability.yaml", Loads(13)),
        (
            "corpus/google-analytics__audience-management.yaml",
            Loads(36),
        ),
        (
            "corpus/google-analytics__management-api-v3-management.yaml",
            Loads(81),
        ),
        ("corpus/google-analytics__shared-admin-api.yaml", Loads(26)),
        ("corpus/hubspot__automation-and-integration.yaml", Loads(40)),
        (
            "corpus/jpmorgan-chase__jpmc-openapi-spec-aggregation-capability.yaml",
            Loads(3),
        ),
        (
            "corpus/jpmorgan-chase__jpmorgan-chase-capability.yaml",
            Loads(1),
        ),
        ("corpus/knock-app__management.yaml", Loads(65)),
        (
            "corpus/konbiniapi__content-research.yaml",
            Fails(NOT_NAFTIKO),
        ),
        ("corpus/konbiniapi__konbiniapi-instagram.yaml", Loads(10)),
        (
            "corpus/konbiniapi__shared-konbiniapi.yaml",
            Fails(NOT_NAFTIKO),
        ),
        ("corpus/lichess__users.yaml", Loads(13)),
        ("corpus/logz-io__alerts.yaml", Loads(1)),
        ("corpus/mailchimp__email-marketing.yaml", Loads(32)),
        (
            "corpus/mastercard__bill-payments-and-commercial.yaml",
            Loads(7),
        ),
        ("corpus/mastercard__loyalty-and-offers.yaml", Loads(0)),
        (
            "corpus/microsoft-azure-api-management__ai-gateway-management.yaml",
            Loads(31),
        ),
        (
            "corpus/microsoft-azure-api-management__shared-ai-gateway.yaml",
            Loads(4),
        ),
        (
            "corpus/mobileapi-dev__ai-device-recommendation.yaml",
            Loads(0),
        ),
        ("corpus/netbox__netbox-capability.yaml", Loads(60)),
        ("corpus/new-relic__application-monitoring.yaml", Loads(0)),
        ("corpus/new-relic__incident-response.yaml", Loads(0)),
        (
            "corpus/office-of-the-federal-register__office-of-the-federal-register-capability.yaml",
            Loads(13),
        ),
        ("corpus/pluralsight__channels-graphql.yaml", Loads(1)),
        (
            "corpus/rackspace-technology__cloud-account-operations.yaml",
            Loads(14),
        ),
        ("corpus/servicenow__contact-contact.yaml", Loads(3)),
        (
            "corpus/servicenow__itsm-operations.yaml",
            Fails("1036:1: error:"),
        ),
        ("corpus/shopify__commerce-management.yaml", Loads(0)),
        ("corpus/sitefinity-cms__content-management.yaml", Loads(6)),
        ("corpus/snowflake__data-management.yaml", Loads(0)),
        (
            "corpus/snowflake__integrations-and-connectors.yaml",
            Loads(0),
        ),
        ("corpus/snowflake__security-and-access.yaml", Loads(0)),
        ("corpus/snowflake__shared-api-integration.yaml", Loads(4)),
        (
            "corpus/snowflake__shared-catalog-integration.yaml",
            Loads(4),
        ),
        (
            "corpus/snowflake__shared-notification-integration.yaml",
            Loads(4),
        ),
        ("corpus/stackone__customer-engagement.yaml", Loads(20)),
        ("corpus/stackone__stackone-accounts.yaml", Loads(6)),
        ("corpus/telegram__bot-messaging.yaml", Loads(14)),
        ("corpus/tmdb__tmdb-api-certifications.yaml", Loads(2)),
        ("corpus/tmdb__tmdb-api-tv-series.yaml", Loads(48)),
        ("corpus/umami__web-analytics.yaml", Loads(0)),
        ("corpus/upbound__platform-engineering.yaml", Loads(12)),
        ("corpus/ups__shipping-and-logistics.yaml", Loads(8)),
        ("corpus/vantage__cloud-cost-management.yaml", Loads(79)),
        ("corpus/veracode__devsecops-pipeline.yaml", Loads(11)),
        ("corpus/vital-io__management.yaml", Loads(0)),
        ("corpus/vital-io__users.yaml", Loads(19)),
        ("corpus/vital-io__wearables.yaml", Loads(95)),
        ("corpus/waxell__agent-governance.yaml", Loads(0)),
        (
            "corpus/western-union__international-payments.yaml",
            Loads(9),
        ),
        (
            "corpus/workday-benefits__benefits-administration.yaml",
            Loads(0),
        ),
        ("corpus/xweather__lightning-safety.yaml", Loads(10)),
        (
            "naftiko/examples/script-step.yml",
            Fails("`script` steps are not supported by this runtime"),
        ),
        (
            "naftiko/parity/naftiko-shipyard-legacy-dockyard-api.yaml",
            Fails(NOT_NAFTIKO),
        ),
        (
            "naftiko/parity/naftiko-shipyard-maritime-registry-api.yaml",
            Fails(NOT_NAFTIKO),
        ),
        ("naftiko/parity/tests.yml", Fails(NOT_NAFTIKO)),
        (
            "naftiko/parity/validate-tuto-examples.yml",
            Fails(NOT_NAFTIKO),
        ),
        (
            "naftiko/test-resources/aggregates/aggregate-basic.yaml",
            Loads(1),
        ),
        (
            "naftiko/test-resources/aggregates/aggregate-hints-override.yaml",
            Loads(2),
        ),
        (
            "naftiko/test-resources/aggregates/aggregate-invalid-ref.yaml",
            Fails("`ref: unknown.nonexistent` names no aggregate function"),
        ),
        (
            "naftiko/test-resources/aggregates/aggregate-shared-mock.yaml",
            Loads(0),
        ),
        (
            "naftiko/test-resources/aggregates/aggregate-step-with-namespace.yaml",
            Loads(1),
        ),
        (
            "naftiko/test-resources/formats/avro-capability.yaml",
            Loads(1),
        ),
        (
            "naftiko/test-resources/formats/csv-capability.yaml",
            Loads(1),
        ),
        (
            "naftiko/test-resources/formats/html-capability.yaml",
            Loads(1),
        ),
        (
            "naftiko/test-resources/formats/markdown-capability.yaml",
            Loads(1),
        ),
        (
            "naftiko/test-resources/formats/proto-capability.yaml",
            Loads(1),
        ),
        (
            "naftiko/test-resources/formats/xml-capability.yaml",
            Loads(1),
        ),
        (
            "naftiko/test-resources/formats/yaml-capability.yaml",
            Loads(1),
        ),
        (
            "naftiko/test-resources/schemas/sample-users.yaml",
            Fails(NOT_NAFTIKO),
        ),
        (
            "naftiko/test-resources/http/http-body-capability.yaml",
            Loads(1),
        ),
        (
            "naftiko/test-resources/http/http-header-query-capability.yaml",
            Loads(1),
        ),
        ("naftiko/test-resources/mcp/mcp-capability.yaml", Loads(1)),
        (
            "naftiko/test-resources/mcp/mcp-step-with-namespace-capability.yaml",
            Loads(1),
        ),
        (
            "naftiko/test-resources/nested-object-output-capability.yaml",
            Loads(1),
        ),
        ("naftiko/test-resources/register.capability.yml", Loads(1)),
        ("naftiko/tutorial/shared/legacy-consumes.yaml", Loads(1)),
        ("naftiko/tutorial/shared/registry-consumes.yaml", Loads(3)),
        ("naftiko/tutorial/shared/secrets.yaml", Fails(NOT_NAFTIKO)),
        (
            "naftiko/tutorial/shared/step11-registry-consumes.yml",
            Loads(6),
        ),
        (
            "naftiko/tutorial/shared/step5-registry-consumes.yaml",
            Loads(2),
        ),
        (
            "naftiko/tutorial/shared/step6-registry-consumes.yaml",
            Loads(3),
        ),
        (
            "naftiko/tutorial/shared/step7-registry-consumes.yml",
            Loads(4),
        ),
        ("naftiko/tutorial/step-1-shipyard-mock.yml", Loads(0)),
        (
            "naftiko/tutorial/step-10-shipyard-rest-adapter.yml",
            Loads(5),
        ),
        (
            "naftiko/tutorial/step-11-shipyard-fleet-manifest.yml",
            Loads(7),
        ),
        ("naftiko/tutorial/step-2-shipyard-wiring.yml", Loads(2)),
        ("naftiko/tutorial/step-3-shipyard-auth.yml", Loads(2)),
        (
            "naftiko/tutorial/step-4-shipyard-output-shaping.yml",
            Loads(2),
        ),
        (
            "naftiko/tutorial/step-5-shipyard-multi-source.yml",
            Loads(3),
        ),
        (
            "naftiko/tutorial/step-6-shipyard-write-operations.yml",
            Loads(4),
        ),
        (
            "naftiko/tutorial/step-7-shipyard-orchestrated-lookup.yml",
            Loads(5),
        ),
        (
            "naftiko/tutorial/step-8-shipyard-skill-groups.yml",
            Loads(5),
        ),
        ("naftiko/tutorial/step-9-shipyard-aggregates.yml", Loads(5)),
    ]
}

fn resolve(entry: &str) -> PathBuf {
    if entry.starts_with("specs/") {
        PathBuf::from(entry)
    } else {
        Path::new("tests/fixtures").join(entry)
    }
}

/// Every capability file on disk is in the table, so a new fixture cannot be forgotten.
#[test]
fn the_table_covers_every_fixture() {
    let mut on_disk = Vec::new();
    for dir in [
        "specs/vital",
        "tests/fixtures/corpus",
        "tests/fixtures/naftiko",
    ] {
        collect(Path::new(dir), &mut on_disk);
    }
    on_disk.retain(|p| !p.ends_with("rules/naftiko-rules.yml"));
    let listed: Vec<PathBuf> = table().iter().map(|(p, _)| resolve(p)).collect();
    for p in &on_disk {
        assert!(listed.contains(p), "{} is not in the table", p.display());
    }
    assert_eq!(on_disk.len(), listed.len());
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            collect(&p, out);
        } else if matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")) {
            out.push(p);
        }
    }
}

#[test]
fn every_capability_loads_or_fails_with_a_located_diagnostic_and_nothing_panics() {
    let mut loaded = 0;
    let mut operations = 0;
    let mut prepared = 0;
    let mut refused = 0;
    let mut auth_refusals: std::collections::BTreeMap<String, usize> = Default::default();
    for (entry, expect) in table() {
        let path = resolve(entry);
        let result = catch_unwind(|| Capability::from_path(&path))
            .unwrap_or_else(|_| panic!("{entry}: loading panicked"));
        match (expect, result) {
            (Loads(n), Ok(cap)) => {
                assert_eq!(cap.operations().len(), n, "{entry}: operations");
                loaded += 1;
                operations += n;
                for d in cap.diagnostics() {
                    assert!(d.location.pos.line >= 1, "{entry}: {d}");
                    assert!(
                        d.render(false)
                            .starts_with(&d.location.file.display().to_string()),
                        "{entry}: {d}"
                    );
                }
                // Prepare every operation (without secrets): Ok or a clear error, never a panic.
                let rt = Runtime::builder(cap.clone())
                    .env(Vec::<(String, String)>::new())
                    .build()
                    .unwrap();
                for op in cap.operations() {
                    let args = support::args::for_operation(op);
                    let name = op.qualified_name();
                    let outcome =
                        catch_unwind(AssertUnwindSafe(|| rt.dry_run(&name, args.clone())))
                            .unwrap_or_else(|_| panic!("{entry}: preparing {name} panicked"));
                    match outcome {
                        Ok(req) => {
                            prepared += 1;
                            assert!(
                                // A whole base URI bound: a secret (`***`) or, used by no
                                // credential, shown by name (`$API_BASE`).
                                req.url().starts_with("http")
                                    || req.url().starts_with("***")
                                    || req.url().starts_with('$'),
                                "{entry}: {name}: {}",
                                req.url()
                            );
                        }
                        Err(e) => {
                            refused += 1;
                            eprintln!("REFUSED {entry}: {e}");
                            let text = e.to_string();
                            if let Some(reason) = auth_reason(&text) {
                                *auth_refusals.entry(reason).or_default() += 1;
                            }
                            assert!(
                                text.contains(op.name()) || text.contains(&name),
                                "{entry}: error must name the operation: {text}"
                            );
                        }
                    }
                }
            }
            (Fails(text), Err(e)) => {
                let message = e.to_string();
                assert!(message.contains(text), "{entry}: {message}");
                let first = e.diagnostics().into_iter().next().expect("a diagnostic");
                assert!(
                    first.render(false).contains(":1") || first.location.pos.line > 1,
                    "{entry}: {first}"
                );
                assert!(
                    message.starts_with(&path.display().to_string()),
                    "{entry}: names the file: {message}"
                );
            }
            (Loads(_), Err(e)) => panic!("{entry} should load: {e}"),
            (Fails(_), Ok(_)) => panic!("{entry} should fail to load"),
        }
    }
    println!("{loaded} files loaded, {operations} operations, {prepared} prepared, {refused} refused with a reason");
    assert!(prepared > 1000, "{prepared}");
    // Operations not callable because of their authentication, by reason. oauth2, digest and
    // certificate, oauth1, hmac and aws-sig-v4 work: only the Azure file's oauth2, which
    // lacks the fields client credentials need, is left.
    println!("not callable because of authentication: {auth_refusals:#?}");
    let expected: Vec<(&str, usize)> = vec![(
        "oauth2 without a token endpoint, client id and secret (the file lacks them)",
        27,
    )];
    let found: Vec<(&str, usize)> = auth_refusals
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect();
    assert_eq!(found, expected);
}

/// Why an operation is not callable because of its authentication, from the error text.
fn auth_reason(text: &str) -> Option<String> {
    if text.contains("oauth2 client credentials need") {
        return Some(
            "oauth2 without a token endpoint, client id and secret (the file lacks them)".into(),
        );
    }
    let rest = text.split("authentication type `").nth(1)?;
    let kind = rest.split('`').next()?;
    Some(format!("{kind} not supported yet"))
}

#[test]
fn the_two_junction_placeholder_bugs_are_refused_at_call_time_and_named() {
    let cap = Capability::from_path("specs/vital/lab-testing.yaml").unwrap();
    let unfilled: Vec<(String, Vec<&str>)> = cap
        .operations()
        .iter()
        .filter(|op| !op.unfilled_placeholders().is_empty())
        .map(|op| (op.name().to_string(), op.unfilled_placeholders()))
        .collect();
    assert_eq!(
        unfilled,
        vec![
            (
                "get_markers_by_provider_id_v3_lab_tests__lab_id__markers__provider_id__get"
                    .to_string(),
                vec!["lab_test_id"]
            ),
            ("create_order_v3_order_post".to_string(), vec!["order_id"]),
        ]
    );
}

#[test]
fn unplaced_path_parameters_are_appended_in_declaration_order_with_a_warning() {
    let cap = Capability::from_path("specs/vital/users.yaml").unwrap();
    let path = |name: &str| cap.operation(name).unwrap().path_template();
    assert_eq!(path("get_user_v2_user__user_id__get"), "/v2/user/{user_id}");
    assert_eq!(
        path("deregister_provider_v2_user__user_id___provider__delete"),
        "/v2/user/{user_id}/{provider}"
    );
    assert_eq!(
        path("get_user_device_v2_user__user_id__device__device_id__get"),
        "/v2/user/{user_id}/device/{device_id}"
    );
    let warnings: Vec<String> = cap
        .diagnostics()
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .map(|d| d.to_string())
        .collect();
    assert!(warnings.contains(
        &"specs/vital/users.yaml:315:9: warning: operation `get_user_device_v2_user__user_id__device__device_id__get`: path parameter(s) `device_id` have no placeholder in `/v2/user/{user_id}/device`; appending them: /v2/user/{user_id}/device/{device_id}".to_string()
    ), "{warnings:#?}");
}

#[test]
fn bind_files_resolve_relative_to_the_capability_and_feed_auth_and_headers() {
    let cap =
        Capability::from_path("tests/fixtures/naftiko/tutorial/step-3-shipyard-auth.yml").unwrap();
    let rt = Runtime::builder(cap)
        .env(Vec::<(String, String)>::new())
        .build()
        .unwrap();
    // `prepare` (not a dry run): the values come from shared/secrets.yaml, no environment needed.
    let req = rt
        .prepare("registry.get-ship", json!({"imo_number": "IMO-9321483"}))
        .unwrap();
    assert_eq!(req.url(), "https://mocks.naftiko.net/rest/naftiko-shipyard-maritime-registry-api/1.0.0-alpha2/ships/IMO-9321483".replace("1.0.0-alpha2", "***"));
    assert_eq!(req.header("authorization").as_deref(), Some("Bearer ***"));
    assert_eq!(req.header("registry-version").as_deref(), Some("***"));
    assert!(!req.to_curl().contains("dummy-token"));
}

#[test]
fn imports_resolve_relative_to_the_importing_file() {
    let cap =
        Capability::from_path("tests/fixtures/naftiko/tutorial/step-5-shipyard-multi-source.yml")
            .unwrap();
    let names: Vec<String> = cap
        .operations()
        .iter()
        .map(|o| o.qualified_name())
        .collect();
    assert!(
        names.iter().any(|n| n.starts_with("registry.")),
        "{names:?}"
    );
    assert!(names.iter().any(|n| n.starts_with("legacy.")), "{names:?}");
}

#[test]
fn omap_documents_load_as_ordinary_mappings() {
    let cap =
        Capability::from_path("tests/fixtures/corpus/tmdb__tmdb-api-certifications.yaml").unwrap();
    assert_eq!(cap.operations().len(), 2);
    let rt = Runtime::builder(cap.clone())
        .env([("TMDB_BEARER_TOKEN", "tok-123")])
        .build()
        .unwrap();
    let op = cap.operations()[0].qualified_name();
    let req = rt.prepare(&op, json!({})).unwrap();
    assert_eq!(req.header("authorization").as_deref(), Some("Bearer ***"));
}

#[test]
fn api_key_placements_in_the_wild_are_honoured() {
    // Telegram: the key fills the `{token}` placeholder of the base URI.
    let cap = Capability::from_path("tests/fixtures/corpus/telegram__bot-messaging.yaml").unwrap();
    let rt = Runtime::builder(cap)
        .env([("TELEGRAM_BOT_TOKEN", "123:abc")])
        .build()
        .unwrap();
    let req = rt.prepare("get-me", json!({})).unwrap();
    assert_eq!(req.url(), "https://api.telegram.org/bot***/getMe");
    assert!(
        req.to_curl().contains("${TELEGRAM_BOT_TOKEN}"),
        "{}",
        req.to_curl()
    );
    // NetBox: the key is a cookie.
    let cap =
        Capability::from_path("tests/fixtures/corpus/netbox__netbox-capability.yaml").unwrap();
    let rt = Runtime::builder(cap)
        .env([("NETBOX_TOKEN", "nb-secret")])
        .base_uri("netbox", "https://netbox.example.test")
        .build()
        .unwrap();
    let req = rt
        .prepare("authentication-check-retrieve", json!({}))
        .unwrap();
    assert_eq!(req.header("cookie").as_deref(), Some("sessionid=***"));
    // Xweather: two query credentials.
    let cap =
        Capability::from_path("tests/fixtures/corpus/xweather__lightning-safety.yaml").unwrap();
    let rt = Runtime::builder(cap.clone())
        .env([
            ("XWEATHER_CLIENT_ID", "id-1"),
            ("XWEATHER_CLIENT_SECRET", "s e/cret"),
        ])
        .build()
        .unwrap();
    let op = cap.operations()[0].qualified_name();
    let args = support::args::for_operation(&cap.operations()[0]);
    let req = rt.prepare(&op, args).unwrap();
    assert!(
        req.url().contains("client_id=***&client_secret=***"),
        "{}",
        req.url()
    );
    assert!(!req.url().contains("s%20e%2Fcret"), "{}", req.url());
}
