//! The `naftiko` command-line tool: list, describe, call, dry-run, validate and query any
//! Naftiko capability from the shell, without recompiling. A thin layer over the library;
//! see `naftiko --help`.

#![forbid(unsafe_code)]

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
