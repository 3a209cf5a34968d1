//! Request snapshots (insta): every operation of every spec in `specs/`, prepared without
//! sending. Secrets appear as `***`.

use crate::support;

use naftiko::Capability;
use serde_json::{json, Value};
use support::vital::{self, cases, KEY};

#[test]
fn users_requests_match_the_snapshots_and_hide_the_key() {
    let rt = vital::runtime(None);
    for case in cases() {
        let req = rt.prepare(case.op, case.args.clone()).unwrap();
        let text = serde_json::to_string(&req).unwrap();
        assert!(!text.contains(KEY), "{}: key leaked", case.op);
        assert!(
            !format!("{req:?}").contains(KEY),
            "{}: key leaked in Debug",
            case.op
        );
        support::snapshots().bind(|| {
            insta::assert_json_snapshot!(format!("requests__users__{}", case.op), req);
        });
    }
}

/// Every operation of every spec file, with arguments derived from the declared parameters.
/// An operation that cannot be prepared records its error instead (the two Junction
/// operations whose path has a placeholder no parameter fills, for example).
#[test]
fn every_operation_of_every_spec_prepares_or_says_why() {
    let mut files: Vec<_> = std::fs::read_dir("specs/vital")
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut total_ops = 0;
    let mut prepared = 0;
    for path in &files {
        let cap = Capability::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let rt = support::runtime(cap.clone(), &[], None);
        let mut entries = Vec::new();
        for op in cap.operations() {
            total_ops += 1;
            let args = support::args::for_operation(op);
            let entry = match rt.dry_run(&op.qualified_name(), args.clone()) {
                Ok(req) => {
                    prepared += 1;
                    json!({"operation": op.qualified_name(), "args": args, "request": req})
                }
                Err(e) => {
                    json!({"operation": op.qualified_name(), "args": args, "error": e.to_string()})
                }
            };
            entries.push(entry);
        }
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        support::snapshots().bind(|| {
            insta::assert_json_snapshot!(format!("requests__spec__{name}"), Value::Array(entries));
        });
    }
    assert_eq!(total_ops, 197, "operations in specs/vital");
    assert_eq!(
        prepared, 195,
        "all but the two with an unfillable placeholder"
    );
}
