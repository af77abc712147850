//! Identifier formats (Stytch §1.3): `<kind>-<env>-<uuid>`, where env is `test` or `live`,
//! taken from the project the resource belongs to.

use uuid::Uuid;

/// A project's environment, read from its id prefix (`project-test-` / `project-live-`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Test,
    Live,
}

impl Environment {
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Test => "test",
            Environment::Live => "live",
        }
    }

    /// The environment of a project id; anything not `project-live-` is test.
    pub fn of_project(project_id: &str) -> Self {
        if project_id.starts_with("project-live-") {
            Environment::Live
        } else {
            Environment::Test
        }
    }
}

/// Builds `<kind>-<env>-<uuid>`.
pub fn make_id(kind: &str, env: Environment, uuid: Uuid) -> String {
    format!("{kind}-{}-{}", env.as_str(), uuid.hyphenated())
}

/// True when `s` looks like an id of `kind` (any environment). Used to decide whether a path
/// segment is an id or a slug / external id.
pub fn is_id_of_kind(s: &str, kind: &str) -> bool {
    let Some(rest) = s.strip_prefix(kind).and_then(|r| r.strip_prefix('-')) else {
        return false;
    };
    let uuid = rest
        .strip_prefix("test-")
        .or_else(|| rest.strip_prefix("live-"));
    uuid.is_some_and(|u| Uuid::parse_str(u).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        let u = Uuid::nil();
        let id = make_id("organization", Environment::Test, u);
        assert_eq!(id, "organization-test-00000000-0000-0000-0000-000000000000");
        assert!(is_id_of_kind(&id, "organization"));
        assert!(!is_id_of_kind(&id, "member"));
        assert!(!is_id_of_kind("organization-test-acme", "organization"));
        assert_eq!(Environment::of_project("project-live-x"), Environment::Live);
    }
}
