//! The `naftiko` command-line tool: list, describe, call, dry-run, validate and query any
//! Naftiko capability from the shell, without recompiling. A thin layer over the library;
//! see `naftiko --help`.

#![forbid(unsafe_code)]

mod cli;

/// The binary's allocator: the servers allocate per request, and mimalloc's thread-local
/// free lists cost less than glibc's arenas there (BENCHMARKS.md "Server instructions per request").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cli::main()
}
