//! Exit codes and failures: the one place where an error becomes an exit code.

use std::path::Path;

use naftiko::{BindError, Error, PrepareError, SendError, Severity, SpecError};

/// The process exit code (a contract: scripts rely on it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    /// Success.
    Ok = 0,
    /// Invalid capability, arguments or expression, or an undecodable response.
    Invalid = 1,
    /// Usage error. clap exits with it on its own; listed for completeness.
    #[allow(dead_code)]
    Usage = 2,
    /// The server answered with a status of 400 or more.
    Http = 3,
    /// Transport failure: connect, timeout, broken connection, body too large, redirect.
    Transport = 4,
    /// A bound secret has no value.
    MissingBind = 5,
}

/// The exit code for a library error.
pub fn exit_for(e: &Error) -> Exit {
    match e {
        Error::Bind(_) | Error::Prepare(PrepareError::Bind(_)) => Exit::MissingBind,
        Error::Send(SendError::Status(_)) => Exit::Http,
        Error::Send(_) => Exit::Transport,
        // Spec, NoAdapter, Lookup, Prepare, Map, and anything a later library version adds.
        _ => Exit::Invalid,
    }
}

/// A command that failed: what to print on stderr and which code to exit with.
#[derive(Debug)]
pub struct Failure {
    /// The exit code.
    pub exit: Exit,
    /// One sentence, printed after `error: `.
    pub message: String,
    /// Further lines (diagnostics, hints), printed as they are.
    pub detail: Vec<String>,
}

impl Failure {
    /// A failure with exit code 1.
    pub fn invalid(message: impl Into<String>) -> Failure {
        Failure {
            exit: Exit::Invalid,
            message: message.into(),
            detail: Vec::new(),
        }
    }

    /// Adds a `hint: …` line.
    pub fn hint(mut self, hint: impl AsRef<str>) -> Failure {
        self.detail.push(format!("hint: {}", hint.as_ref()));
        self
    }

    /// A capability that cannot be loaded: one sentence, then its fatal diagnostics
    /// (`file:line:col: error: message`).
    pub fn spec(path: &Path, e: &SpecError) -> Failure {
        match e {
            SpecError::Read { .. } => Failure::invalid(e.to_string()),
            _ => {
                let diagnostics: Vec<String> = e
                    .diagnostics()
                    .iter()
                    .filter(|d| d.severity == Severity::Error)
                    .map(|d| d.render(false) + &super::output::snippet::under(&d.location))
                    .collect();
                Failure {
                    exit: Exit::Invalid,
                    message: format!(
                        "cannot load the capability {}: {} error(s)",
                        path.display(),
                        diagnostics.len()
                    ),
                    detail: diagnostics,
                }
            }
        }
    }

    /// Writes the failure to stderr.
    pub fn print(&self) {
        use std::io::Write;
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "error: {}", self.message);
        for line in &self.detail {
            let _ = writeln!(err, "{line}");
        }
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        let exit = exit_for(&e);
        let mut failure = match &e {
            Error::Spec(spec) => {
                let path = spec
                    .diagnostics()
                    .first()
                    .map(|d| d.location.file.to_path_buf())
                    .unwrap_or_default();
                return Failure::spec(&path, spec);
            }
            _ => Failure {
                exit,
                message: e.to_string(),
                detail: Vec::new(),
            },
        };
        match &e {
            Error::Bind(b) | Error::Prepare(PrepareError::Bind(b)) => {
                let hint = match &**b {
                    BindError::Missing { source_key, .. } => format!(
                        "export {source_key} (or put it in a file given with --env-file); --dry-run and --curl work without it"
                    ),
                    BindError::MissingInFile { path, source_key, .. } => format!(
                        "add `{source_key}: …` to the bind file {}; --dry-run and --curl work without it",
                        path.display()
                    ),
                    BindError::UnreadableFile { path, .. } => format!(
                        "create or fix the bind file {} (a flat YAML or JSON mapping); --dry-run and --curl work without it",
                        path.display()
                    ),
                    _ => "change the bind's `location` to a file:/// path, or remove it to read the environment; --dry-run and --curl work without it".to_string(),
                };
                failure = failure.hint(hint);
            }
            Error::Lookup(_) => {
                failure = failure.hint("`naftiko ops SPEC` lists the operations");
            }
            Error::Prepare(
                PrepareError::UnknownArgument { .. } | PrepareError::MissingArguments { .. },
            ) => {
                failure = failure.hint("`naftiko describe SPEC OP` lists the parameters");
            }
            Error::Prepare(PrepareError::UnfilledPlaceholder { placeholder, .. }) => {
                failure = failure.hint(format!("give its value by name: `{placeholder}=VALUE`"));
            }
            _ => {}
        }
        failure
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_transport_failure_exits_with_4_and_a_status_with_3() {
        let connect = Error::Send(SendError::Connect {
            operation: "o".into(),
            origin: "http://127.0.0.1:1".into(),
            message: "refused".into(),
            attempts: 1,
        });
        assert_eq!(exit_for(&connect), Exit::Transport);
        let timeout = Error::Send(SendError::Timeout {
            operation: "o".into(),
            after: std::time::Duration::from_secs(1),
            attempts: 1,
        });
        assert_eq!(exit_for(&timeout), Exit::Transport);
        let status = Error::Send(SendError::Status(Box::new(naftiko::HttpError {
            operation: "o".into(),
            status: 422,
            headers: vec![],
            body: serde_json::Value::Null,
            attempts: 1,
        })));
        assert_eq!(exit_for(&status), Exit::Http);
        let no_adapter = Error::NoAdapter {
            kind: "MCP",
            namespace: None,
            file: "f.yaml".into(),
            known: Vec::new(),
        };
        assert_eq!(exit_for(&no_adapter), Exit::Invalid);
    }
}
