//! Why a request could not be prepared.

use crate::bind::BindError;
use crate::spec::{did_you_mean_inline, ParamType};

/// Why a request could not be prepared.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum PrepareError {
    /// The arguments are not a JSON object.
    #[error("operation `{operation}`: arguments must be a JSON object keyed by parameter name, found {found}")]
    NotAnObject {
        /// The operation.
        operation: String,
        /// What was given instead.
        found: &'static str,
    },
    /// An argument the operation does not take.
    #[error("operation `{operation}` has no parameter `{name}`{}; it takes: {}", did_you_mean_inline(suggestion.as_deref()), list_or_none(accepted))]
    UnknownArgument {
        /// The operation.
        operation: String,
        /// The unknown name.
        name: String,
        /// The closest accepted name, if one is close.
        suggestion: Option<String>,
        /// Every accepted name.
        accepted: Vec<String>,
    },
    /// Required arguments were not given.
    #[error("operation `{operation}` is missing required argument(s): {}", names.join(", "))]
    MissingArguments {
        /// The operation.
        operation: String,
        /// The missing names, in declaration order.
        names: Vec<String>,
    },
    /// An argument does not have the declared type.
    #[error("operation `{operation}`: argument `{name}` must be {}, found {found}", article(*expected))]
    WrongType {
        /// The operation.
        operation: String,
        /// The argument.
        name: String,
        /// The declared type.
        expected: ParamType,
        /// What was given (`a string`, `the number 5.5`, …).
        found: String,
    },
    /// A value that cannot be sent where it goes.
    #[error("operation `{operation}`: {location} parameter `{name}` {reason}")]
    InvalidValue {
        /// The operation.
        operation: String,
        /// The parameter (or header) name.
        name: String,
        /// Where it goes (`path`, `header`, …).
        location: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The path has a placeholder that nothing fills.
    #[error("operation `{operation}` cannot be called: its path has the placeholder `{{{placeholder}}}` that no parameter fills (declared at {location})")]
    UnfilledPlaceholder {
        /// The operation.
        operation: String,
        /// The placeholder name.
        placeholder: String,
        /// Where the operation is declared (`file:line:col`).
        location: String,
    },
    /// The operation uses a feature this runtime does not implement yet.
    #[error("operation `{operation}` cannot be called: {reason}")]
    Unsupported {
        /// The operation.
        operation: String,
        /// What is not supported.
        reason: String,
    },
    /// The base URI is missing or invalid.
    #[error("operation `{operation}`: {message}")]
    BaseUri {
        /// The operation.
        operation: String,
        /// What is wrong.
        message: String,
    },
    /// A secret has no value (boxed: it is the largest error and the rarest).
    #[error(transparent)]
    Bind(Box<BindError>),
}

impl From<BindError> for PrepareError {
    fn from(e: BindError) -> PrepareError {
        PrepareError::Bind(Box::new(e))
    }
}

fn list_or_none(names: &[String]) -> String {
    if names.is_empty() {
        "no arguments".into()
    } else {
        names.join(", ")
    }
}

fn article(t: ParamType) -> &'static str {
    match t {
        ParamType::String => "a string",
        ParamType::Integer => "an integer",
        ParamType::Number => "a number",
        ParamType::Boolean => "a boolean (true or false)",
        ParamType::Object => "a JSON object",
        ParamType::Array => "a JSON array",
        ParamType::Any => "any JSON value",
    }
}
