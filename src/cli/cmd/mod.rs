//! One module per command, each with its clap arguments (`XxxArgs`) and its `run`. See the
//! parent module for how to add one.

pub mod call;
pub mod completions;
pub mod describe;
#[cfg(feature = "openapi")]
pub mod drift;
#[cfg(feature = "openapi")]
pub mod import;
#[cfg(feature = "serve")]
pub mod mcp;
pub mod ops;
pub mod query;
#[cfg(feature = "serve")]
pub mod serve;
pub mod validate;
