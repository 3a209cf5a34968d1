//! OpenAPI documents: read one (3.0, 3.1 or Swagger 2.0, JSON or YAML), import it as a
//! capability ([`import`]) and check a capability against it ([`drift`]).
//!
//! The document is kept as `serde_json` and read through a small normalised view of what
//! import and drift need (paths, methods, parameters, bodies, security). Neither `openapiv3`
//! (3.0 only) nor `oas3` (3.1 only) reads all three versions, and both model far more than
//! we use, so a typed view over JSON is the lean choice.
//!
//! ```
//! use naftiko::openapi::{import, ImportOptions, OpenApi};
//!
//! let api = OpenApi::from_path("tests/fixtures/openapi/petstore-3.0.yaml")?;
//! let imported = import(&api, &ImportOptions::default())?;
//! let cap = imported.capability()?;
//! assert!(!cap.operations().is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod drift;
mod import;
mod model;
mod yaml;

pub use drift::{drift, Finding, FindingKind};
pub use import::{import, Dialect, ImportOptions, Imported, ImportedOperation};
pub use model::{OpenApi, OpenApiError};
