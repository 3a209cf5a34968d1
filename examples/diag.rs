fn main() {
    for p in std::env::args().skip(1) {
        match naftiko::Capability::from_path(&p) {
            Ok(c) => for d in c.diagnostics() { if d.severity != naftiko::Severity::Deviation { println!("{d}"); } },
            Err(e) => println!("FAIL {e}"),
        }
    }
}
