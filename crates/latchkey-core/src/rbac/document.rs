//! Reading an operator's policy document (JSON, or TOML converted to the same tree) into an
//! [`RbacPolicy`], reporting every unknown key, wrong type and missing field with its path, so a
//! typo such as `permisions` is an error rather than a silently empty list.
//!
//! Accepted: `{roles, resources, scopes}` (each optional), or the body of
//! `GET /v1/b2b/rbac/policy` (`{policy: {...}, request_id, status_code}`) so a served policy can
//! be edited and set again.

use serde_json::{Map, Value};

use super::{Permission, PolicyError, RbacPolicy, RbacScope, Resource, Role};

/// Parses the document tree; all shape errors at once.
pub fn parse_policy_document(doc: &Value) -> Result<RbacPolicy, Vec<PolicyError>> {
    let mut r = Reader::default();
    let doc = unwrap_response(doc);
    let policy = match r.object(doc, "", &["roles", "resources", "scopes"]) {
        Some(top) => RbacPolicy {
            roles: r.list(top, "", "roles", Reader::role),
            resources: r.list(top, "", "resources", Reader::resource),
            scopes: r.list(top, "", "scopes", Reader::scope),
        },
        None => RbacPolicy::default(),
    };
    if r.errors.is_empty() {
        Ok(policy)
    } else {
        Err(r.errors)
    }
}

/// `{policy, request_id, status_code}` → `policy`; anything else unchanged.
fn unwrap_response(doc: &Value) -> &Value {
    match doc.as_object() {
        Some(m)
            if m.contains_key("policy")
                && m.keys()
                    .all(|k| matches!(k.as_str(), "policy" | "request_id" | "status_code")) =>
        {
            &m["policy"]
        }
        _ => doc,
    }
}

fn at(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_owned()
    } else {
        format!("{parent}.{key}")
    }
}

#[derive(Default)]
struct Reader {
    errors: Vec<PolicyError>,
}

impl Reader {
    fn fail(&mut self, path: String, error_type: &'static str, message: String) {
        self.errors
            .push(PolicyError::new(path, error_type, message));
    }

    /// The object at `path`, with unknown keys reported.
    fn object<'a>(
        &mut self,
        v: &'a Value,
        path: &str,
        keys: &[&str],
    ) -> Option<&'a Map<String, Value>> {
        let Some(m) = v.as_object() else {
            let at = if path.is_empty() { "(document)" } else { path };
            self.fail(at.into(), "invalid_field_type", "must be an object".into());
            return None;
        };
        for k in m.keys().filter(|k| !keys.contains(&k.as_str())) {
            self.fail(
                at(path, k),
                "bad_request",
                format!("unknown key {k:?}; expected one of: {}", keys.join(", ")),
            );
        }
        Some(m)
    }

    /// `m[key]` as a list of items read by `item` (absent = empty).
    fn list<T>(
        &mut self,
        m: &Map<String, Value>,
        path: &str,
        key: &str,
        item: fn(&mut Self, &Value, &str) -> Option<T>,
    ) -> Vec<T> {
        let path = at(path, key);
        match m.get(key) {
            None => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .filter_map(|(i, v)| item(self, v, &format!("{path}[{i}]")))
                .collect(),
            Some(_) => {
                self.fail(path, "invalid_field_type", "must be an array".into());
                Vec::new()
            }
        }
    }

    /// A string field; `required` ones report their absence.
    fn string(&mut self, m: &Map<String, Value>, path: &str, key: &str, required: bool) -> String {
        match m.get(key) {
            Some(Value::String(s)) => s.clone(),
            None if !required => String::new(),
            None => {
                self.fail(
                    at(path, key),
                    "missing_required_field",
                    format!("{key} is required"),
                );
                String::new()
            }
            Some(_) => {
                self.fail(
                    at(path, key),
                    "invalid_field_type",
                    "must be a string".into(),
                );
                String::new()
            }
        }
    }

    fn strings(&mut self, m: &Map<String, Value>, path: &str, key: &str) -> Vec<String> {
        let path = at(path, key);
        match m.get(key) {
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .filter_map(|(i, v)| match v {
                    Value::String(s) => Some(s.clone()),
                    _ => {
                        let p = format!("{path}[{i}]");
                        self.fail(p, "invalid_field_type", "must be a string".into());
                        None
                    }
                })
                .collect(),
            None => {
                self.fail(path, "missing_required_field", format!("{key} is required"));
                Vec::new()
            }
            Some(_) => {
                self.fail(
                    path,
                    "invalid_field_type",
                    "must be an array of strings".into(),
                );
                Vec::new()
            }
        }
    }

    fn resource(&mut self, v: &Value, path: &str) -> Option<Resource> {
        let m = self.object(v, path, &["resource_id", "description", "actions"])?;
        Some(Resource {
            resource_id: self.string(m, path, "resource_id", true),
            description: self.string(m, path, "description", false),
            actions: self.strings(m, path, "actions"),
        })
    }

    fn permission(&mut self, v: &Value, path: &str) -> Option<Permission> {
        let m = self.object(v, path, &["resource_id", "actions"])?;
        Some(Permission {
            resource_id: self.string(m, path, "resource_id", true),
            actions: self.strings(m, path, "actions"),
        })
    }

    fn role(&mut self, v: &Value, path: &str) -> Option<Role> {
        let m = self.object(v, path, &["role_id", "description", "permissions"])?;
        Some(Role {
            role_id: self.string(m, path, "role_id", true),
            description: self.string(m, path, "description", false),
            permissions: self.list(m, path, "permissions", Reader::permission),
        })
    }

    fn scope(&mut self, v: &Value, path: &str) -> Option<RbacScope> {
        let m = self.object(v, path, &["scope", "description", "permissions"])?;
        Some(RbacScope {
            scope: self.string(m, path, "scope", true),
            description: self.string(m, path, "description", false),
            permissions: self.list(m, path, "permissions", Reader::permission),
        })
    }
}
