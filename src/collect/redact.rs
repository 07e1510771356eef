//! Redaction: the one function that removes secret material from every object before it
//! enters a snapshot, used by both the live collector and the import.
//!
//! What is removed, and recorded as a [`Redaction`]:
//! - Secret `data` and `stringData` (each key), keeping `type` when the object has one;
//! - ConfigMap `data` and `binaryData` (each key);
//! - literal `env[].value` of every container, init container and ephemeral container,
//!   wherever a pod spec sits (Pods, pod templates of workloads, CronJob job templates,
//!   and any custom kind that embeds `containers`): the value is replaced by
//!   [`REDACTED`], the variable's name is kept so checks can still see it exists;
//! - the `kubectl.kubernetes.io/last-applied-configuration` annotation, in any
//!   `metadata` of the object (it repeats the object as it was applied, Secret data
//!   included);
//! - EncryptionConfiguration key `secret`s (key names and provider settings stay).
//!
//! `metadata.managedFields` is dropped as noise; that is not a redaction and is not listed.

use serde_json::{Map, Value};

use crate::snapshot::Redaction;

/// The marker that replaces a literal environment variable value.
pub const REDACTED: &str = "<redacted by auditpack>";

/// The annotation `kubectl apply` writes, which repeats the whole applied object.
pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Removes secret material and noise from one object in place, and returns what was
/// removed. `key` is the snapshot kind key the object is filed under (used in the
/// returned redactions).
pub fn redact_object(object: &mut Value, key: &str) -> Vec<Redaction> {
    let (namespace, name) = {
        let (ns, name) = crate::snapshot::object_ref(object);
        ((!ns.is_empty()).then(|| ns.to_string()), name.to_string())
    };
    let kind = object
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let group = object
        .get("apiVersion")
        .and_then(Value::as_str)
        .and_then(|v| v.rsplit_once('/'))
        .map_or("", |(g, _)| g)
        .to_string();
    let mut found: Vec<(String, &'static str)> = Vec::new();

    if let Some(map) = object.as_object_mut() {
        match (group.as_str(), kind.as_str()) {
            ("", "Secret") => {
                drop_map_field(map, "data", "/data", "secret data", &mut found);
                drop_map_field(map, "stringData", "/stringData", "secret data", &mut found);
            }
            ("", "ConfigMap") => {
                drop_map_field(map, "data", "/data", "configmap data", &mut found);
                drop_map_field(
                    map,
                    "binaryData",
                    "/binaryData",
                    "configmap data",
                    &mut found,
                );
            }
            ("apiserver.config.k8s.io" | "", "EncryptionConfiguration" | "EncryptionConfig") => {
                found.extend(
                    strip_encryption_keys(object)
                        .into_iter()
                        .map(|p| (p, "encryption key material")),
                );
            }
            _ => {}
        }
    }
    walk(object, &mut String::new(), &mut found);

    found
        .into_iter()
        .map(|(pointer, reason)| Redaction {
            kind: key.to_string(),
            namespace: namespace.clone(),
            name: name.clone(),
            pointer,
            reason: reason.to_string(),
        })
        .collect()
}

/// Removes the `secret` of every key of every provider of an EncryptionConfiguration
/// document, returning the JSON pointers of what was removed. Provider names, key names,
/// KMS names and endpoints stay: they are what an auditor needs to see.
pub fn strip_encryption_keys(document: &mut Value) -> Vec<String> {
    let mut removed = Vec::new();
    let Some(resources) = document.get_mut("resources").and_then(Value::as_array_mut) else {
        return removed;
    };
    for (ri, rule) in resources.iter_mut().enumerate() {
        let Some(providers) = rule.get_mut("providers").and_then(Value::as_array_mut) else {
            continue;
        };
        for (pi, provider) in providers.iter_mut().enumerate() {
            let Some(provider) = provider.as_object_mut() else {
                continue;
            };
            for (pname, settings) in provider.iter_mut() {
                let Some(keys) = settings.get_mut("keys").and_then(Value::as_array_mut) else {
                    continue;
                };
                for (ki, k) in keys.iter_mut().enumerate() {
                    if let Some(k) = k.as_object_mut()
                        && k.remove("secret").is_some()
                    {
                        removed.push(format!(
                            "/resources/{ri}/providers/{pi}/{}/keys/{ki}/secret",
                            escape(pname)
                        ));
                    }
                }
            }
        }
    }
    removed
}

fn drop_map_field(
    map: &mut Map<String, Value>,
    field: &str,
    pointer: &str,
    reason: &'static str,
    found: &mut Vec<(String, &'static str)>,
) {
    match map.remove(field) {
        Some(Value::Object(entries)) => {
            for k in entries.keys() {
                found.push((format!("{pointer}/{}", escape(k)), reason));
            }
        }
        Some(Value::Null) | None => {}
        Some(_) => found.push((pointer.to_string(), reason)),
    }
}

/// Walks the whole object: cleans every `metadata` map and every container list.
fn walk(value: &mut Value, path: &mut String, found: &mut Vec<(String, &'static str)>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                let len = path.len();
                path.push('/');
                path.push_str(&escape(k));
                match k.as_str() {
                    "metadata" => clean_metadata(v, path, found),
                    "containers" | "initContainers" | "ephemeralContainers" => {
                        redact_containers(v, path, found)
                    }
                    _ => {}
                }
                walk(v, path, found);
                path.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter_mut().enumerate() {
                let len = path.len();
                path.push('/');
                path.push_str(&i.to_string());
                walk(v, path, found);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

fn clean_metadata(meta: &mut Value, path: &str, found: &mut Vec<(String, &'static str)>) {
    let Some(meta) = meta.as_object_mut() else {
        return;
    };
    meta.remove("managedFields");
    let now_empty = match meta.get_mut("annotations").and_then(Value::as_object_mut) {
        Some(annotations) => {
            if annotations.remove(LAST_APPLIED).is_some() {
                found.push((
                    format!("{path}/annotations/{}", escape(LAST_APPLIED)),
                    "last-applied-configuration annotation",
                ));
            }
            annotations.is_empty()
        }
        None => false,
    };
    if now_empty {
        meta.remove("annotations");
    }
}

fn redact_containers(list: &mut Value, path: &str, found: &mut Vec<(String, &'static str)>) {
    let Some(containers) = list.as_array_mut() else {
        return;
    };
    for (ci, c) in containers.iter_mut().enumerate() {
        let Some(env) = c.get_mut("env").and_then(Value::as_array_mut) else {
            continue;
        };
        for (ei, var) in env.iter_mut().enumerate() {
            let Some(var) = var.as_object_mut() else {
                continue;
            };
            match var.get("value") {
                Some(Value::String(s)) if s.is_empty() || s == REDACTED => {}
                None | Some(Value::Null) => {}
                Some(_) => {
                    var.insert("value".into(), Value::String(REDACTED.into()));
                    found.push((format!("{path}/{ci}/env/{ei}/value"), "literal env value"));
                }
            }
        }
    }
}

/// RFC 6901 escaping of one pointer segment.
fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secret_keeps_type_and_names_but_not_data() {
        let mut s = json!({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": "db", "namespace": "prod", "managedFields": [{"x": 1}],
                "annotations": {LAST_APPLIED: "{\"data\":{\"p\":\"c2VjcmV0\"}}", "team": "a"}},
            "data": {"p": "c2VjcmV0", "a/b": "eA=="}, "stringData": {"q": "plain"}});
        let r = redact_object(&mut s, "secrets");
        assert_eq!(
            s,
            json!({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                "metadata": {"name": "db", "namespace": "prod", "annotations": {"team": "a"}}})
        );
        let pointers: Vec<_> = r.iter().map(|r| r.pointer.as_str()).collect();
        assert!(pointers.contains(&"/data/p"));
        assert!(pointers.contains(&"/data/a~1b"));
        assert!(pointers.contains(&"/stringData/q"));
        assert!(
            pointers.contains(
                &"/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration"
            )
        );
        assert_eq!(r.len(), 4);
        assert!(
            r.iter()
                .all(|r| r.name == "db" && r.namespace.as_deref() == Some("prod"))
        );
    }

    #[test]
    fn env_values_in_every_pod_template_are_replaced_names_kept() {
        let mut cj = json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c"},
            "spec": {"jobTemplate": {"spec": {"template": {
                "metadata": {"annotations": {LAST_APPLIED: "x"}},
                "spec": {
                "initContainers": [{"name": "i", "env": [{"name": "A", "value": "s1"}]}],
                "containers": [{"name": "m", "env": [
                    {"name": "B", "value": "s2"},
                    {"name": "C", "valueFrom": {"secretKeyRef": {"name": "x", "key": "y"}}},
                    {"name": "D", "value": ""}]}],
                "ephemeralContainers": [{"name": "e", "env": [{"name": "E", "value": "s3"}]}]}}}}}});
        let r = redact_object(&mut cj, "cronjobs.batch");
        let text = cj.to_string();
        for s in ["\"s1\"", "\"s2\"", "\"s3\""] {
            assert!(!text.contains(s), "{s} left in {text}");
        }
        let spec = &cj["spec"]["jobTemplate"]["spec"]["template"]["spec"];
        assert_eq!(spec["containers"][0]["env"][0]["name"], "B");
        assert_eq!(spec["containers"][0]["env"][0]["value"], REDACTED);
        assert!(spec["containers"][0]["env"][1].get("valueFrom").is_some());
        assert_eq!(spec["containers"][0]["env"][2]["value"], "");
        let pointers: Vec<_> = r.iter().map(|r| r.pointer.as_str()).collect();
        assert!(
            pointers.contains(&"/spec/jobTemplate/spec/template/spec/containers/0/env/0/value")
        );
        assert!(
            pointers.contains(&"/spec/jobTemplate/spec/template/spec/initContainers/0/env/0/value")
        );
        assert!(
            pointers.contains(
                &"/spec/jobTemplate/spec/template/spec/ephemeralContainers/0/env/0/value"
            )
        );
        assert_eq!(r.len(), 4, "{r:?}");
    }

    #[test]
    fn configmap_data_dropped() {
        let mut cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"},
            "data": {"k": "v"}, "binaryData": {"b": "AA=="}});
        let r = redact_object(&mut cm, "configmaps");
        assert!(cm.get("data").is_none() && cm.get("binaryData").is_none());
        assert_eq!(r.len(), 2);
    }

    #[test]
    fn encryption_keys_removed_names_and_kms_kept() {
        let mut doc = json!({"kind": "EncryptionConfiguration", "apiVersion": "apiserver.config.k8s.io/v1",
            "resources": [{"resources": ["secrets"], "providers": [
                {"aescbc": {"keys": [{"name": "key1", "secret": "c2VjcmV0"}]}},
                {"kms": {"name": "vault", "endpoint": "unix:///kms.sock"}},
                {"identity": {}}]}]});
        let removed = strip_encryption_keys(&mut doc);
        assert_eq!(
            removed,
            vec!["/resources/0/providers/0/aescbc/keys/0/secret"]
        );
        assert_eq!(
            doc["resources"][0]["providers"][0]["aescbc"]["keys"][0],
            json!({"name": "key1"})
        );
        assert_eq!(
            doc["resources"][0]["providers"][1]["kms"]["endpoint"],
            "unix:///kms.sock"
        );
    }

    #[test]
    fn plain_objects_are_untouched_except_managed_fields() {
        let mut rb = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": {"name": "r", "managedFields": []}, "subjects": [], "roleRef": {"name": "x"}});
        let r = redact_object(&mut rb, "rolebindings.rbac.authorization.k8s.io");
        assert!(r.is_empty());
        assert!(rb["metadata"].get("managedFields").is_none());
    }
}
