//! The alpha2 schema checks: keys outside the schema, names outside its patterns and values
//! outside its enumerations, reported as deviations (strict validation) and otherwise
//! accepted. What the schema allows is written once, in the tables below; the loader only
//! says which object, name or value it is looking at.

use super::{key_location, At, Loader};
use crate::spec::template::is_env_style;
use crate::spec::Location;

/// The kinds of mapping the schema constrains the keys of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Object {
    Root,
    Info,
    Capability,
    Bind,
    ImportedConsumer,
    Consumer,
    Resource,
    Operation,
    InputParameter,
    OutputParameter,
    ApiKeyAuth,
    BearerAuth,
    BasicAuth,
}

/// One row of [`KEYS`]: an object, how messages name it, the keys the schema allows.
struct KeysRow {
    object: Object,
    what: &'static str,
    keys: &'static [&'static str],
}

/// The keys of each object in the 1.0.0-alpha2 schema.
static KEYS: &[KeysRow] = &[
    KeysRow {
        object: Object::Root,
        what: "the document root",
        keys: &["naftiko", "info", "binds", "consumes", "capability"],
    },
    KeysRow {
        object: Object::Info,
        what: "`info`",
        keys: &[
            "label",
            "description",
            "tags",
            "created",
            "modified",
            "stakeholders",
        ],
    },
    KeysRow {
        object: Object::Capability,
        what: "`capability`",
        keys: &["binds", "exposes", "consumes", "aggregates"],
    },
    KeysRow {
        object: Object::Bind,
        what: "a bind",
        keys: &["namespace", "description", "location", "keys"],
    },
    KeysRow {
        object: Object::ImportedConsumer,
        what: "an imported consumer",
        keys: &["location", "import", "as", "description"],
    },
    KeysRow {
        object: Object::Consumer,
        what: "a consumer",
        keys: &[
            "namespace",
            "type",
            "baseUri",
            "description",
            "inputParameters",
            "authentication",
            "resources",
            // Not a schema key: the dialect's `auth` gets its own message where it is read.
            "auth",
        ],
    },
    KeysRow {
        object: Object::Resource,
        what: "a consumed resource",
        keys: &[
            "name",
            "path",
            "operations",
            "label",
            "description",
            "inputParameters",
        ],
    },
    KeysRow {
        object: Object::Operation,
        what: "a consumed operation",
        keys: &[
            "name",
            "method",
            "label",
            "description",
            "inputParameters",
            "outputRawFormat",
            "outputSchema",
            "outputParameters",
            "body",
        ],
    },
    KeysRow {
        object: Object::InputParameter,
        what: "a consumed input parameter",
        keys: &["name", "in", "value"],
    },
    KeysRow {
        object: Object::OutputParameter,
        what: "a consumed output parameter",
        keys: &["name", "type", "value"],
    },
    KeysRow {
        object: Object::ApiKeyAuth,
        what: "this authentication",
        keys: &["type", "key", "value", "placement"],
    },
    KeysRow {
        object: Object::BearerAuth,
        what: "this authentication",
        keys: &["type", "token"],
    },
    KeysRow {
        object: Object::BasicAuth,
        what: "this authentication",
        keys: &["type", "username", "password"],
    },
];

/// The name patterns of the schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Name {
    /// Namespaces, resource and operation names.
    Kebab,
    /// Input parameter names.
    Parameter,
    /// Bind keys (environment-style variable names).
    EnvVar,
}

impl Name {
    /// The pattern as the schema writes it (shown in the message) and its test.
    fn rule(self) -> (&'static str, fn(&str) -> bool) {
        match self {
            Name::Kebab => ("^[a-zA-Z0-9-]+$", is_kebab),
            Name::Parameter => ("^[a-zA-Z0-9-_*]+$", is_parameter_name),
            Name::EnvVar => ("^[A-Z][A-Z0-9_]*$", is_env_style),
        }
    }
}

/// The enumerated values of the schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Value {
    AuthType,
    Method,
    OutputType,
}

/// The values each enumeration allows, in the order messages list them.
static VALUES: &[(Value, &[&str])] = &[
    (Value::AuthType, &["apikey", "bearer", "basic", "digest"]),
    (Value::Method, &["GET", "POST", "PUT", "PATCH", "DELETE"]),
    (
        Value::OutputType,
        &["string", "number", "boolean", "object", "array"],
    ),
];

/// How messages name an object, and the keys the schema allows in it.
fn allowed_keys(object: Object) -> (&'static str, &'static [&'static str]) {
    KEYS.iter()
        .find(|row| row.object == object)
        .map_or(("this object", &[]), |row| (row.what, row.keys))
}

/// The values an enumeration allows.
fn allowed_values(value: Value) -> &'static [&'static str] {
    VALUES
        .iter()
        .find(|(v, _)| *v == value)
        .map_or(&[], |(_, values)| values)
}

/// The deviation message for a key outside the schema, `None` when the key is allowed.
pub(super) fn unknown_key_message(object: Object, key: &str) -> Option<String> {
    let (what, keys) = allowed_keys(object);
    (!keys.contains(&key))
        .then(|| format!("`{key}` is not a key of {what} in the 1.0.0-alpha2 schema"))
}

/// The deviation message for a name outside its pattern, `None` when it matches.
pub(super) fn name_message(rule: Name, label: &str, name: &str) -> Option<String> {
    let (pattern, ok) = rule.rule();
    (!ok(name)).then(|| format!("{label} `{name}` should match {pattern}"))
}

/// The deviation message for a value outside its enumeration, `None` when it is one.
pub(super) fn value_message(rule: Value, label: &str, value: &str) -> Option<String> {
    let values = allowed_values(rule);
    (!values.contains(&value))
        .then(|| format!("{label} `{value}` is not one of {}", values.join(", ")))
}

impl Loader {
    /// Reports keys outside the schema's keys for `object` as deviations (they are otherwise
    /// ignored, which is said too, so nothing is dropped silently).
    pub(super) fn check_keys(&mut self, at: At<'_>, object: Object) {
        if !self.deviations {
            return;
        }
        let Some(entries) = at.node.as_map() else {
            return;
        };
        for (k, _) in entries {
            if let Some(message) = unknown_key_message(object, &k.name) {
                self.deviation(key_location(at, k), message);
            }
        }
    }

    /// Reports a name outside the schema's pattern; `location` is computed only then.
    pub(super) fn check_name(
        &mut self,
        rule: Name,
        label: &str,
        name: &str,
        location: impl FnOnce() -> Location,
    ) {
        if !self.deviations {
            return;
        }
        if let Some(message) = name_message(rule, label, name) {
            self.deviation(location(), message);
        }
    }

    /// Reports a value outside the schema's enumeration; `location` is computed only then.
    pub(super) fn check_value(
        &mut self,
        rule: Value,
        label: &str,
        value: &str,
        location: impl FnOnce() -> Location,
    ) {
        if !self.deviations {
            return;
        }
        if let Some(message) = value_message(rule, label, value) {
            self.deviation(location(), message);
        }
    }
}

pub(super) fn is_kebab(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

fn is_parameter_name(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '*'))
}
