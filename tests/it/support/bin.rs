//! The `naftiko` binary, as the CLI tests run it.

use std::time::Duration;

/// The binary, run from the crate root, with no Junction key and no proxy in its environment
/// (so a test's calls reach 127.0.0.1 directly), and a 60 s safety timeout.
pub fn naftiko() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("naftiko").expect("the naftiko binary is built");
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    for var in [
        "VITAL_API_KEY",
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ] {
        cmd.env_remove(var);
    }
    cmd.timeout(Duration::from_secs(60));
    cmd
}
