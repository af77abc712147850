//! Stytch's rules for a project policy, checked all at once so an operator can fix every
//! problem in one pass. Error types are Stytch's (docs/stytch-errors.md §6); the limits are
//! latchkey's (Stytch documents none).
//!
//! - resources: non-empty unique ids not starting with `stytch` (Stytch's own defaults may be
//!   repeated unchanged, as in a served policy, and are then dropped), at least one action,
//!   actions unique and never `*`;
//! - roles: non-empty unique ids; `stytch_member` / `stytch_admin` may only gain permissions
//!   (their descriptions are Stytch's); other ids may not start with `stytch`; custom roles need
//!   at least one permission;
//! - scopes: RFC 6749 scope tokens, not a built-in scope, unique, with at least one permission;
//! - permissions (of roles and scopes): a known resource, listed once, with known actions, or
//!   `*` alone.

use std::collections::{BTreeMap, BTreeSet};

use super::{default_policy, Permission, PolicyError, RbacPolicy, RbacScope, Resource, Role};
use super::{STYTCH_ADMIN_ROLE, STYTCH_MEMBER_ROLE, WILDCARD_ACTION};
use crate::oauth::scope::{BuiltinScope, Scope};

/// Longest id, action or scope, in characters.
pub const MAX_ID_CHARS: usize = 128;
/// Longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 1024;

/// Checks an operator's policy; returns it normalized (unchanged copies of Stytch's default
/// resources dropped, default role descriptions cleared) or every error found.
pub fn validate_policy(input: &RbacPolicy) -> Result<RbacPolicy, Vec<PolicyError>> {
    let defaults = default_policy();
    let mut v = Validator::default();
    let resources = v.resources(&input.resources, &defaults.resources);
    // First definition wins, so a duplicate does not also break the permissions using it.
    let mut known: BTreeMap<&str, &[String]> = BTreeMap::new();
    let custom = input
        .resources
        .iter()
        .filter(|r| !r.resource_id.starts_with("stytch"));
    for r in defaults.resources.iter().chain(custom) {
        known.entry(&r.resource_id).or_insert(&r.actions);
    }
    let out = RbacPolicy {
        roles: v.roles(&input.roles, &defaults.roles, &known),
        resources,
        scopes: v.scopes(&input.scopes, &known),
    };
    if v.errors.is_empty() {
        Ok(out)
    } else {
        Err(v.errors)
    }
}

/// Checks an organization's custom roles (`PUT /v1/b2b/rbac/organizations/{organization_id}`,
/// `org_policy.roles`) against the project's effective policy: ids non-empty, unique, not a
/// project role and not `stytch`-prefixed; at least one permission each, on the policy's
/// resources and actions.
pub fn validate_org_roles(policy: &RbacPolicy, roles: &[Role]) -> Result<(), Vec<PolicyError>> {
    let known: BTreeMap<&str, &[String]> = policy
        .resources
        .iter()
        .map(|r| (r.resource_id.as_str(), r.actions.as_slice()))
        .collect();
    let mut v = Validator::default();
    let mut seen = BTreeSet::new();
    for (i, r) in roles.iter().enumerate() {
        let path = format!("org_policy.roles[{i}]");
        let id = r.role_id.as_str();
        if id.is_empty() {
            v.fail(
                path.clone(),
                "empty_rbac_role_id",
                "role_id is empty".into(),
            );
        } else if id.starts_with("stytch") || policy.roles.iter().any(|p| p.role_id == id) {
            let msg =
                format!("role {id:?} is a project role; organization roles need ids of their own");
            v.fail(path.clone(), "rbac_role_duplicate", msg);
        } else if too_long(id, MAX_ID_CHARS) {
            let msg = format!("role_id is longer than {MAX_ID_CHARS} characters");
            v.fail(path.clone(), "rbac_role_id_too_long", msg);
        } else if !seen.insert(id) {
            v.fail(
                path.clone(),
                "rbac_role_duplicate",
                format!("role {id:?} is defined twice"),
            );
        }
        v.description(&path, &r.description);
        if r.permissions.is_empty() {
            let msg = "a role needs at least one permission".into();
            v.fail(
                format!("{path}.permissions"),
                "rbac_role_missing_permissions",
                msg,
            );
        }
        v.permissions(&path, &r.permissions, &known);
    }
    if v.errors.is_empty() {
        Ok(())
    } else {
        Err(v.errors)
    }
}

fn too_long(s: &str, max: usize) -> bool {
    s.chars().count() > max
}

fn list(items: &[String]) -> String {
    items.join(", ")
}

#[derive(Default)]
struct Validator {
    errors: Vec<PolicyError>,
}

impl Validator {
    fn fail(&mut self, path: String, error_type: &'static str, message: String) {
        self.errors
            .push(PolicyError::new(path, error_type, message));
    }

    fn description(&mut self, path: &str, d: &str) {
        if too_long(d, MAX_DESCRIPTION_CHARS) {
            let msg = format!("description is longer than {MAX_DESCRIPTION_CHARS} characters");
            self.fail(
                format!("{path}.description"),
                "rbac_description_too_long",
                msg,
            );
        }
    }

    fn resources(&mut self, input: &[Resource], defaults: &[Resource]) -> Vec<Resource> {
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for (i, r) in input.iter().enumerate() {
            let path = format!("resources[{i}]");
            let id = r.resource_id.as_str();
            if defaults.contains(r) {
                continue; // a served policy set back: Stytch's default, unchanged.
            }
            if id.is_empty() {
                self.fail(
                    path.clone(),
                    "empty_rbac_resource_id",
                    "resource_id is empty".into(),
                );
            } else if id.starts_with("stytch") {
                let msg = format!("resource_id {id:?}: ids starting with \"stytch\" are reserved for Stytch's default resources, which are always present and cannot be changed; rename it or leave it out");
                self.fail(path.clone(), "invalid_stytch_prefixed_resource", msg);
            } else if too_long(id, MAX_ID_CHARS) {
                let msg = format!("resource_id is longer than {MAX_ID_CHARS} characters");
                self.fail(path.clone(), "rbac_resource_id_too_long", msg);
            } else if !seen.insert(id) {
                let msg = format!("resource {id:?} is defined twice");
                self.fail(path.clone(), "rbac_resource_duplicate", msg);
            }
            self.description(&path, &r.description);
            self.resource_actions(&path, r);
            out.push(r.clone());
        }
        out
    }

    fn resource_actions(&mut self, path: &str, r: &Resource) {
        if r.actions.is_empty() {
            let msg = "a resource needs at least one action".into();
            self.fail(
                format!("{path}.actions"),
                "rbac_resource_missing_actions",
                msg,
            );
        }
        let mut seen = BTreeSet::new();
        for (j, a) in r.actions.iter().enumerate() {
            let path = format!("{path}.actions[{j}]");
            if a.is_empty() {
                self.fail(path, "invalid_permission_action", "action is empty".into());
            } else if a.contains(WILDCARD_ACTION) {
                let msg = format!("action {a:?}: \"*\" is reserved (it means every action) and cannot be part of a defined action");
                self.fail(path, "invalid_wildcard_action", msg);
            } else if too_long(a, MAX_ID_CHARS) {
                let msg = format!("action is longer than {MAX_ID_CHARS} characters");
                self.fail(path, "rbac_action_too_long", msg);
            } else if !seen.insert(a) {
                let msg = format!("action {a:?} is listed twice");
                self.fail(path, "rbac_action_duplicate", msg);
            }
        }
    }

    fn roles(
        &mut self,
        input: &[Role],
        defaults: &[Role],
        known: &BTreeMap<&str, &[String]>,
    ) -> Vec<Role> {
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for (i, r) in input.iter().enumerate() {
            let path = format!("roles[{i}]");
            let id = r.role_id.as_str();
            let default = defaults.iter().find(|d| d.role_id == id);
            if id.is_empty() {
                self.fail(
                    path.clone(),
                    "empty_rbac_role_id",
                    "role_id is empty".into(),
                );
            } else if !seen.insert(id) {
                self.fail(
                    path.clone(),
                    "rbac_role_duplicate",
                    format!("role {id:?} is defined twice"),
                );
            } else if default.is_none() && id.starts_with("stytch") {
                let msg = format!("role_id {id:?}: ids starting with \"stytch\" are reserved; only {STYTCH_MEMBER_ROLE} and {STYTCH_ADMIN_ROLE} may be listed (to add permissions to them)");
                self.fail(path.clone(), "invalid_rbac_custom_role", msg);
            } else if too_long(id, MAX_ID_CHARS) {
                let msg = format!("role_id is longer than {MAX_ID_CHARS} characters");
                self.fail(path.clone(), "rbac_role_id_too_long", msg);
            }
            let mut role = r.clone();
            match default {
                Some(d) => {
                    if !(r.description.is_empty() || r.description == d.description) {
                        let msg = format!("the description of Stytch's default role {id} cannot be changed; leave it out");
                        self.fail(
                            format!("{path}.description"),
                            "invalid_rbac_stytch_role_edit",
                            msg,
                        );
                    }
                    role.description.clear();
                }
                None => {
                    self.description(&path, &r.description);
                    if r.permissions.is_empty() && !id.is_empty() {
                        let msg = "a role needs at least one permission".into();
                        self.fail(
                            format!("{path}.permissions"),
                            "rbac_role_missing_permissions",
                            msg,
                        );
                    }
                }
            }
            self.permissions(&path, &r.permissions, known);
            out.push(role);
        }
        out
    }

    fn scopes(&mut self, input: &[RbacScope], known: &BTreeMap<&str, &[String]>) -> Vec<RbacScope> {
        let mut seen = BTreeSet::new();
        for (i, s) in input.iter().enumerate() {
            let path = format!("scopes[{i}]");
            let name = s.scope.as_str();
            if name.is_empty() {
                self.fail(path.clone(), "empty_rbac_scope", "scope is empty".into());
            } else if Scope::parse(name).is_err() {
                let msg = format!("scope {name:?} must be one OAuth scope token: printable ASCII without spaces, '\"' or '\\' (RFC 6749 §3.3)");
                self.fail(path.clone(), "invalid_rbac_scope", msg);
            } else if BuiltinScope::parse(name).is_some() {
                let msg = format!("scope {name:?} is built in (openid, profile, email, phone, offline_access, full_access) and cannot be redefined");
                self.fail(path.clone(), "rbac_reserved_scope", msg);
            } else if too_long(name, MAX_ID_CHARS) {
                let msg = format!("scope is longer than {MAX_ID_CHARS} characters");
                self.fail(path.clone(), "rbac_scope_too_long", msg);
            } else if !seen.insert(name) {
                self.fail(
                    path.clone(),
                    "rbac_scope_duplicate",
                    format!("scope {name:?} is defined twice"),
                );
            }
            self.description(&path, &s.description);
            if s.permissions.is_empty() {
                let msg = "a scope needs at least one permission".into();
                self.fail(
                    format!("{path}.permissions"),
                    "rbac_scope_missing_permissions",
                    msg,
                );
            }
            self.permissions(&path, &s.permissions, known);
        }
        input.to_vec()
    }

    fn permissions(&mut self, path: &str, perms: &[Permission], known: &BTreeMap<&str, &[String]>) {
        let mut seen = BTreeSet::new();
        for (j, p) in perms.iter().enumerate() {
            let path = format!("{path}.permissions[{j}]");
            let id = p.resource_id.as_str();
            let Some(actions) = known.get(id) else {
                let names: Vec<String> = known.keys().map(|k| (*k).to_owned()).collect();
                let msg = format!(
                    "resource {id:?} is not defined; define it under resources or use one of: {}",
                    list(&names)
                );
                self.fail(
                    format!("{path}.resource_id"),
                    "invalid_permission_resource",
                    msg,
                );
                continue;
            };
            if !seen.insert(id) {
                let msg = format!("resource {id:?} appears in two permissions here; merge their actions into one entry");
                self.fail(
                    format!("{path}.resource_id"),
                    "invalid_permission_resource",
                    msg,
                );
            }
            self.permission_actions(&path, p, actions);
        }
    }

    fn permission_actions(&mut self, path: &str, p: &Permission, defined: &[String]) {
        if p.actions.is_empty() {
            let msg = "a permission needs at least one action (\"*\" for all)".into();
            self.fail(
                format!("{path}.actions"),
                "rbac_permission_missing_actions",
                msg,
            );
        }
        if p.actions.len() > 1 && p.actions.iter().any(|a| a == WILDCARD_ACTION) {
            let msg = "\"*\" already means every action; list it alone".into();
            self.fail(
                format!("{path}.actions"),
                "cannot_specify_wildcard_with_other_actions",
                msg,
            );
        }
        let mut seen = BTreeSet::new();
        for (k, a) in p.actions.iter().enumerate() {
            let path = format!("{path}.actions[{k}]");
            if a == WILDCARD_ACTION {
                continue;
            }
            if a.contains(WILDCARD_ACTION) {
                let msg = format!(
                    "action {a:?}: \"*\" must be the whole action (every action of the resource)"
                );
                self.fail(path, "invalid_wildcard_action", msg);
            } else if !defined.contains(a) {
                let msg = format!(
                    "{a:?} is not an action of resource {:?}; its actions are: {}",
                    p.resource_id,
                    list(defined)
                );
                self.fail(path, "invalid_permission_action", msg);
            } else if !seen.insert(a) {
                self.fail(
                    path,
                    "rbac_action_duplicate",
                    format!("action {a:?} is listed twice"),
                );
            }
        }
    }
}
