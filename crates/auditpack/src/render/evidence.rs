//! The evidence folder and the evidence excerpts shown under each check.
//!
//! Objects are indexed once by (kind key, namespace, name), so that looking up the
//! objects behind each observation costs the same whatever the size of the cluster.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::RenderError;
use crate::snapshot::{Item, Items, Snapshot};

/// Every object of the snapshot by (kind key, namespace, name).
pub struct ObjectIndex<'a> {
    map: HashMap<(&'a str, &'a str, &'a str), Item<'a>>,
}

impl<'a> ObjectIndex<'a> {
    /// Indexes every object of every kind (collected or not, items are what they are).
    pub fn new(snapshot: &'a Snapshot) -> Self {
        let mut map = HashMap::new();
        for (key, c) in &snapshot.resources {
            for item in c.items.iter() {
                map.insert((key.as_str(), item.namespace(), item.name()), item);
            }
        }
        ObjectIndex { map }
    }

    /// The object, if the snapshot holds it (compact: [`Item::value`] parses it).
    pub fn get(&self, kind: &str, namespace: Option<&str>, name: &str) -> Option<Item<'a>> {
        self.map
            .get(&(kind, namespace.unwrap_or(""), name))
            .copied()
    }
}

/// File name (under `evidence/`) for a kind key, or `None` for a key that cannot be a
/// safe file name.
pub fn evidence_file_name(key: &str) -> Option<String> {
    let ok = !key.is_empty()
        && !key.starts_with('.')
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-');
    ok.then(|| format!("{key}.yaml"))
}

/// Serializes a JSON value as YAML.
pub fn to_yaml(v: &Value) -> Result<String, RenderError> {
    serde_saphyr::to_string(v).map_err(|e| RenderError::Serialize {
        what: "YAML".into(),
        message: e.to_string(),
    })
}

/// A `kind: List` as `kubectl get -o yaml` prints it (keys in kubectl's order), streaming
/// each item from its compact text (no parsed copy of the kind).
fn list_yaml(items: &Items) -> Result<String, RenderError> {
    #[derive(serde::Serialize)]
    #[serde(rename_all = "camelCase")]
    struct List<'a> {
        api_version: &'static str,
        items: &'a Items,
        kind: &'static str,
        metadata: ListMeta,
    }
    #[derive(serde::Serialize)]
    #[serde(rename_all = "camelCase")]
    struct ListMeta {
        resource_version: &'static str,
    }
    serde_saphyr::to_string(&List {
        api_version: "v1",
        items,
        kind: "List",
        metadata: ListMeta {
            resource_version: "",
        },
    })
    .map_err(|e| RenderError::Serialize {
        what: "YAML".into(),
        message: e.to_string(),
    })
}

/// `evidence/` files: one `kubectl get KIND -A -o yaml`-shaped List per kind that is
/// evidence (collected, or absent), plus the EncryptionConfiguration and audit Policy
/// given as files. Names are relative to `evidence/`.
pub fn evidence_files(
    snapshot: &Snapshot,
    emit: &mut dyn FnMut(String, Vec<u8>) -> Result<(), RenderError>,
) -> Result<(), RenderError> {
    for (key, c) in &snapshot.resources {
        if !c.status.is_evidence() {
            continue;
        }
        let Some(name) = evidence_file_name(key) else {
            continue;
        };
        emit(name, list_yaml(&c.items)?.into_bytes())?;
    }
    if let Some(f) = &snapshot.encryption_config {
        emit(
            "encryption-configuration.yaml".into(),
            to_yaml(&f.document)?.into_bytes(),
        )?;
    }
    if let Some(f) = &snapshot.audit_policy {
        emit(
            "audit-policy.yaml".into(),
            to_yaml(&f.document)?.into_bytes(),
        )?;
    }
    if !snapshot.cloud_evidence.is_empty() {
        let all =
            serde_json::to_value(&snapshot.cloud_evidence).map_err(|e| RenderError::Serialize {
                what: "cloud evidence".into(),
                message: e.to_string(),
            })?;
        emit("cloud-evidence.yaml".into(), to_yaml(&all)?.into_bytes())?;
    }
    if let Some(d) = &snapshot.audit_log_detail {
        let mut bytes = serde_json::to_vec_pretty(d).map_err(|e| RenderError::Serialize {
            what: "audit-log detail".into(),
            message: e.to_string(),
        })?;
        bytes.push(b'\n');
        emit("audit-log-detail.json".into(), bytes)?;
    }
    Ok(())
}

const NOISY_METADATA: &[&str] = &[
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "managedFields",
    "selfLink",
    "ownerReferences",
];

fn trimmed_metadata(obj: &Value, keep_all: bool) -> Value {
    let mut m = Map::new();
    if let Some(meta) = obj.get("metadata").and_then(Value::as_object) {
        for (k, v) in meta {
            let keep = if keep_all {
                !NOISY_METADATA.contains(&k.as_str())
            } else {
                k == "name" || k == "namespace"
            };
            if keep {
                m.insert(k.clone(), v.clone());
            }
        }
    }
    Value::Object(m)
}

/// The part of `obj` a JSON pointer refers to, kept in place with the object's identity
/// (`apiVersion`, `kind`, `metadata.name/namespace`) and, inside lists, each element's
/// `name`. An empty or unresolvable pointer gives the whole object without `status` and
/// bookkeeping metadata.
pub fn excerpt(obj: &Value, pointer: &str) -> Value {
    let tokens: Vec<String> = if pointer.is_empty() || pointer == "/" {
        Vec::new()
    } else {
        pointer
            .trim_start_matches('/')
            .split('/')
            .map(|t| t.replace("~1", "/").replace("~0", "~"))
            .collect()
    };
    let whole = |obj: &Value| {
        let mut m = Map::new();
        if let Some(o) = obj.as_object() {
            for (k, v) in o {
                match k.as_str() {
                    "status" => {}
                    "metadata" => {
                        m.insert(k.clone(), trimmed_metadata(obj, true));
                    }
                    _ => {
                        m.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        Value::Object(m)
    };
    if tokens.is_empty() || obj.pointer(pointer).is_none() {
        return whole(obj);
    }
    let mut root = Map::new();
    for k in ["apiVersion", "kind"] {
        if let Some(v) = obj.get(k) {
            root.insert(k.into(), v.clone());
        }
    }
    if tokens[0] == "metadata" {
        // The pointer is inside metadata: keep name/namespace and the pointed-to part.
        let mut meta = trimmed_metadata(obj, false);
        if let (Some(src), Some(dst)) = (obj.get("metadata"), meta.as_object_mut())
            && tokens.len() > 1
        {
            let sub = sparse(src, &tokens[1..]);
            if let Some(so) = sub.as_object() {
                for (k, v) in so {
                    dst.insert(k.clone(), v.clone());
                }
            }
        }
        root.insert("metadata".into(), meta);
    } else {
        root.insert("metadata".into(), trimmed_metadata(obj, false));
        let sub = sparse(obj, &tokens);
        if let Some(so) = sub.as_object() {
            for (k, v) in so {
                root.insert(k.clone(), v.clone());
            }
        }
        // A binding's subject means nothing without the role it is bound to.
        if matches!(
            obj.get("kind").and_then(Value::as_str),
            Some("RoleBinding" | "ClusterRoleBinding")
        ) && let Some(r) = obj.get("roleRef")
        {
            root.insert("roleRef".into(), r.clone());
        }
    }
    Value::Object(root)
}

/// A copy of `v` holding only the path `tokens` (array elements keep their `name`).
fn sparse(v: &Value, tokens: &[String]) -> Value {
    let Some((head, rest)) = tokens.split_first() else {
        return v.clone();
    };
    match v {
        Value::Object(o) => {
            let mut m = Map::new();
            if let Some(child) = o.get(head) {
                m.insert(head.clone(), sparse(child, rest));
            }
            Value::Object(m)
        }
        Value::Array(a) => {
            let Some(child) = head.parse::<usize>().ok().and_then(|i| a.get(i)) else {
                return Value::Array(Vec::new());
            };
            let mut elem = sparse(child, rest);
            if let (Some(eo), Some(name)) = (elem.as_object_mut(), child.get("name"))
                && !eo.contains_key("name")
            {
                let mut with_name = Map::new();
                with_name.insert("name".into(), name.clone());
                with_name.extend(std::mem::take(eo));
                *eo = with_name;
            }
            Value::Array(vec![elem])
        }
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::kinds;
    use serde_json::json;

    #[test]
    fn excerpt_keeps_only_the_pointed_part() {
        let pod = json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p", "namespace": "n", "uid": "u", "labels": {"a": "b"}},
            "spec": {"hostNetwork": false, "containers": [
                {"name": "a", "image": "x", "securityContext": {"privileged": false}},
                {"name": "b", "image": "y", "securityContext": {"privileged": true}}]},
            "status": {"phase": "Running"}});
        let e = excerpt(&pod, "/spec/containers/1/securityContext");
        assert_eq!(
            e,
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "n"},
                "spec": {"containers": [{"name": "b", "securityContext": {"privileged": true}}]}})
        );
        let e = excerpt(&pod, "/metadata/labels");
        assert_eq!(e["metadata"]["labels"], json!({"a": "b"}));
        assert!(e.get("spec").is_none());
        let whole = excerpt(&pod, "/no/such/path");
        assert!(whole.get("status").is_none());
        assert!(whole["metadata"].get("uid").is_none());
        assert_eq!(whole["spec"]["hostNetwork"], json!(false));
    }

    #[test]
    fn a_binding_subject_excerpt_keeps_the_role_it_is_bound_to() {
        let rb = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": {"name": "sre-view", "namespace": "production"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
            "subjects": [{"kind": "Group", "name": "oncall"}, {"kind": "User", "name": "sre"}]});
        let e = excerpt(&rb, "/subjects/1");
        assert_eq!(e["roleRef"]["name"], json!("view"));
        assert_eq!(e["subjects"], json!([{"kind": "User", "name": "sre"}]));
    }

    #[test]
    fn evidence_file_names_are_safe() {
        assert_eq!(
            evidence_file_name(kinds::ROLES.key).as_deref(),
            Some("roles.rbac.authorization.k8s.io.yaml")
        );
        assert_eq!(evidence_file_name("../etc"), None);
        assert_eq!(evidence_file_name("a/b"), None);
    }
}
