//! What the test modules share: the SDK oracle table ([`vital`]), the fault-injecting HTTP
//! server ([`fault_server`]), the capability it serves ([`items`]), representative arguments
//! ([`args`]), the runtime ([`runtime`]) and the binary ([`bin`]).

pub mod args;
pub mod bin;
pub mod fault_server;
pub mod items;
pub mod vital;

/// Insta settings for a snapshot in `tests/snapshots/`: the files keep the names they had
/// when each module was its own test binary, so the caller writes that prefix into the
/// snapshot name (`cli__…`, `requests__…`) and the module path (`it::cli`) is not added.
pub fn snapshots() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings
}
