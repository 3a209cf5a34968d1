//! A blocking API (cargo feature `blocking`), for scripts and programs that do not run
//! tokio: [`Runtime`] wraps the async [`crate::Runtime`] with a private current-thread tokio
//! runtime, and each call blocks the calling thread until it finishes.
//!
//! ```
//! use serde_json::json;
//! let cap = naftiko::Capability::from_path("specs/vital/users.yaml")?;
//! let rt = naftiko::blocking::Runtime::new(
//!     naftiko::Runtime::builder(cap).env([("VITAL_API_KEY", "sk_us_example")]),
//! )?;
//! let req = rt.prepare("get_user_v2_user__user_id__get", json!({"user_id": "u-1"}))?;
//! assert_eq!(req.url(), "https://api.us.junction.com/v2/user/u-1");
//! // let out = rt.call("get_user_v2_user__user_id__get", json!({"user_id": "u-1"}))?;
//! # Ok::<(), naftiko::Error>(())
//! ```
//!
//! Do not use it inside an async runtime (tokio refuses to block one of its threads):
//! there, use [`crate::Runtime`] itself.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::Error;
use crate::request::PreparedRequest;
use crate::runtime::{CallOptions, RuntimeBuilder};
use crate::send::SendError;

/// A [`crate::Runtime`] whose calls block. `Send + Sync`: threads can share it (behind an
/// `Arc`); their calls take turns driving its one I/O thread.
#[derive(Debug)]
pub struct Runtime {
    inner: crate::Runtime,
    tokio: tokio::runtime::Runtime,
}

impl Runtime {
    /// Builds the async runtime from `builder` and the private tokio runtime it runs on.
    pub fn new(builder: RuntimeBuilder) -> Result<Runtime, Error> {
        let tokio = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| SendError::Transport {
                operation: String::new(),
                message: format!("cannot start the blocking API's tokio runtime: {e}"),
                attempts: 0,
            })?;
        Ok(Runtime {
            inner: builder.build()?,
            tokio,
        })
    }

    /// The async runtime this one wraps (its capability, `dry_run`, `execute`, …).
    pub fn runtime(&self) -> &crate::Runtime {
        &self.inner
    }

    /// [`crate::Runtime::prepare`]: builds the request without sending it.
    pub fn prepare(&self, operation: &str, args: Value) -> Result<PreparedRequest, Error> {
        self.inner.prepare(operation, args)
    }

    /// [`crate::Runtime::call`], blocking.
    pub fn call(&self, operation: &str, args: Value) -> Result<Value, Error> {
        self.tokio.block_on(self.inner.call(operation, args))
    }

    /// [`crate::Runtime::call_args`], blocking: the arguments as name/value pairs.
    pub fn call_args(&self, operation: &str, args: &[(&str, Value)]) -> Result<Value, Error> {
        self.tokio.block_on(self.inner.call_args(operation, args))
    }

    /// [`crate::Runtime::call_with`], blocking.
    pub fn call_with(
        &self,
        operation: &str,
        args: Value,
        options: &CallOptions,
    ) -> Result<Value, Error> {
        (self.tokio).block_on(self.inner.call_with(operation, args, options))
    }

    /// [`crate::Runtime::call_as`], blocking.
    pub fn call_as<T: DeserializeOwned>(&self, operation: &str, args: Value) -> Result<T, Error> {
        self.tokio.block_on(self.inner.call_as(operation, args))
    }
}
