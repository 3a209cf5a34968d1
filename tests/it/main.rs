//! The integration tests, as one test binary: linking the crate once instead of once per
//! file is most of what `cargo test` spends on two cores. Each module was one file of
//! `tests/`; `support` is what they share (the SDK oracle table, the fault-injecting server,
//! the runtime and binary helpers).

mod support;

mod auth_io;
mod auth_sign;
mod bodies;
mod cli;
mod control;
mod corpus;
mod cts;
mod encoding;
mod errors;
mod formats;
mod function_length;
mod fuzz_regressions;
mod library;
mod load;
mod mcp;
#[cfg(feature = "openapi")]
mod openapi;
mod pagination;
mod parity;
mod requests;
mod resilience;
#[cfg(feature = "serve")]
mod rest;
mod secrets;
#[cfg(feature = "serve")]
mod skill;
mod the_module_graph;
mod users_http;
