fn main() {
    for dir in std::env::args().skip(1) {
        let mut entries: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
        entries.sort();
        for p in entries {
            if !matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml" | "json")) { continue; }
            match naftiko::Capability::from_path(&p) {
                Ok(c) => {
                    let errs = c.diagnostics().iter().filter(|d| d.severity == naftiko::Severity::Error).count();
                    let warns = c.diagnostics().iter().filter(|d| d.severity == naftiko::Severity::Warning).count();
                    println!("OK   {} ops={} errors={} warnings={}", p.display(), c.operations().len(), errs, warns);
                }
                Err(e) => println!("FAIL {}: {}", p.display(), e.to_string().lines().next().unwrap_or("")),
            }
        }
    }
}
