//! What the load driver (`naftiko-loadgen`) and the profile binary (`naftiko-profile`)
//! share: the loopback server, and the benchmark data of `benches/map.rs`.

pub mod server;

#[path = "../../../benches/support/data.rs"]
pub mod data;

/// The repository root: the binaries address the capability (`specs/vital/users.yaml`), the
/// chart and the results from there, whatever the working directory.
pub fn repo_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}
