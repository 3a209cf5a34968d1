//! The `naftiko` binary, as the tests run it.

use std::ffi::OsStr;
use std::time::Duration;

use serde_json::Value;

/// The binary, run from the crate root, with no Junction key and no proxy in its environment
/// (so a test's calls reach 127.0.0.1 directly). For a test that drives the process itself
/// (pipes, a child left running); the others use [`naftiko`].
pub fn command() -> std::process::Command {
    // Looked up when run, not compiled in: the binary needs the `cli` feature.
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("naftiko"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    for var in [
        "VITAL_API_KEY",
        "NAFTIKO_SPEC",
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

/// [`command`] with a 60 s safety timeout.
pub fn naftiko() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::from_std(command());
    cmd.timeout(Duration::from_secs(60));
    cmd
}

/// How a run ended and what it printed.
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// stdout as JSON, or a panic showing it.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {:?}", self.stdout))
    }

    /// Both streams, labelled, for a search or a failure message.
    pub fn all(&self) -> String {
        format!("stdout:\n{}\nstderr:\n{}", self.stdout, self.stderr)
    }
}

/// Runs the binary with `args`.
pub fn run<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    run_cmd(naftiko().args(args))
}

/// Runs `cmd` to its end.
pub fn run_cmd(cmd: &mut assert_cmd::Command) -> Run {
    let out = cmd.output().expect("run naftiko");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}
