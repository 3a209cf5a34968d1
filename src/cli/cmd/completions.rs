//! `naftiko completions`: a completion script for a shell, generated from the clap
//! definitions.

use clap::{Args, CommandFactory};

use crate::cli::args::Cli;
use crate::cli::{output, Exit, Failure};

/// `naftiko completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell
    pub shell: clap_complete::Shell,
}

/// Runs `naftiko completions`.
pub fn run(a: &CompletionsArgs) -> Result<Exit, Failure> {
    let mut cmd = Cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(a.shell, &mut cmd, "naftiko", &mut buf);
    output::raw(&buf)?;
    Ok(Exit::Ok)
}
