//! The alpha2 schema checks: keys outside the schema and names outside its patterns,
//! reported as deviations (strict validation) and otherwise ignored.

use super::{key_location, At, Loader};

impl Loader {
    /// Reports keys outside `allowed` as schema deviations (they are otherwise ignored,
    /// which is said too, so nothing is dropped silently).
    pub(super) fn check_keys(&mut self, at: At<'_>, allowed: &[&str], what: &str) {
        if !self.deviations {
            return;
        }
        let Some(entries) = at.node.as_map() else {
            return;
        };
        for (k, _) in entries {
            if !allowed.contains(&k.name.as_str()) {
                deviation!(
                    self,
                    key_location(at, k),
                    format!(
                        "`{}` is not a key of {what} in the 1.0.0-alpha2 schema",
                        k.name
                    ),
                );
            }
        }
    }
}

pub(super) fn is_kebab(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}
