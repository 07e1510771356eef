//! A managed cluster's cloud description as evidence (`--cloud-evidence FILE`, repeatable).
//!
//! On EKS, GKE and AKS the control plane is not visible from the cluster: whether Secrets
//! are encrypted in etcd, and whether audit logs are written, is a setting of the cloud
//! resource. Its description, as the provider's CLI prints it, is the evidence:
//!
//! - `aws eks describe-cluster --output json`: `cluster.encryptionConfig`,
//!   `cluster.logging.clusterLogging`;
//! - `gcloud container clusters describe --format=json`: `databaseEncryption`,
//!   `loggingConfig`;
//! - `az aks show --output json`: `securityProfile.azureKeyVaultKms`;
//! - `az monitor diagnostic-settings list --resource AKS-ID --output json`: the
//!   `kube-audit` / `kube-audit-admin` log categories and where they go.
//!
//! Which one a file is, is told from its content (JSON, or the YAML `gcloud` prints by
//! default); a file that is none of them is refused, naming it. Each is kept with the
//! SHA-256 of the original bytes, and cut by an allow-list to the fields the checks read
//! (plus the cluster's name and version): endpoints, certificate authority data, role and
//! network settings, tags, identities and everything else are dropped. Key identifiers
//! (a KMS key ARN, a Cloud KMS key name, a Key Vault key id) and log destinations are
//! kept: they are identifiers, not secrets, and they are what an auditor traces.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::CollectError;
use super::files::{EVIDENCE_LIMIT, parse_documents};
use crate::infile;
use crate::snapshot::{CloudEvidence, CloudProvider, ImportedFile, Redaction, Snapshot};

const EXPECTED: &str = "the JSON of `aws eks describe-cluster`, `gcloud container clusters describe --format=json`, `az aks show` or `az monitor diagnostic-settings list`";

/// Reads each `--cloud-evidence` file into the snapshot (see the module docs). A second
/// description of a cluster (or a second diagnostic-settings list) is refused, naming
/// both: the verdict must rest on one.
pub fn add_cloud_evidence(snap: &mut Snapshot, paths: &[PathBuf]) -> Result<(), CollectError> {
    for path in paths {
        let evidence = read(path)?;
        let same = |e: &&CloudEvidence| {
            e.provider == evidence.provider
                || (e.provider.is_cluster() && evidence.provider.is_cluster())
        };
        if let Some(first) = snap.cloud_evidence.iter().find(same) {
            return Err(CollectError::TwoEvidenceFiles {
                what: if evidence.provider.is_cluster() {
                    "cloud cluster description"
                } else {
                    "AKS diagnostic-settings"
                },
                first: first.path.clone(),
                second: evidence.path,
                origin: "given with --cloud-evidence",
            });
        }
        snap.source.files.push(ImportedFile {
            path: evidence.path.clone(),
            sha256: evidence.sha256.clone(),
        });
        snap.redactions.push(Redaction {
            kind: "CloudEvidence".into(),
            namespace: None,
            name: evidence.path.clone(),
            pointer: "every field but those listed in docs/collect.md (Cloud evidence)".into(),
            reason: "cloud descriptions are kept by allow-list: only the encryption and audit-logging settings the checks read, and the cluster's name and version (endpoints, certificate data, identities, network settings and tags are dropped)".into(),
        });
        snap.cloud_evidence.push(evidence);
    }
    snap.normalize();
    Ok(())
}

fn read(path: &Path) -> Result<CloudEvidence, CollectError> {
    let bytes = infile::read_named(path, EVIDENCE_LIMIT, "a cloud cluster description")?;
    let sha256 = hex::encode(Sha256::digest(&bytes));
    let shown = path.display().to_string();
    let wrong = |found: String| CollectError::WrongEvidence {
        path: shown.clone(),
        expected: EXPECTED,
        found,
        hint: "give the provider CLI's JSON output for the cluster, unedited (e.g. `aws eks describe-cluster --name NAME --output json > eks.json`)",
    };
    // gcloud and az write JSON; gcloud's default is YAML. Parse as YAML unless `.json`.
    let mut docs = parse_documents(path, &bytes)?;
    if docs.len() != 1 {
        return Err(wrong(format!("{} documents", docs.len())));
    }
    let (_, doc) = docs.remove(0);
    let provider = classify(&doc).ok_or_else(|| wrong(describe(&doc)))?;
    let document = match provider {
        CloudProvider::Eks => eks(&doc["cluster"]),
        CloudProvider::Gke => gke(&doc),
        CloudProvider::Aks => aks(&doc),
        CloudProvider::AksDiagnosticSettings => diagnostic_settings(settings_list(&doc)),
    };
    Ok(CloudEvidence {
        provider,
        path: shown,
        sha256,
        document,
    })
}

/// What a refused document looks like, in a few words.
fn describe(doc: &Value) -> String {
    match doc {
        Value::Object(m) => {
            let keys: Vec<&str> = m.keys().take(6).map(String::as_str).collect();
            if let (Some(a), Some(k)) = (
                m.get("apiVersion").and_then(Value::as_str),
                m.get("kind").and_then(Value::as_str),
            ) {
                format!("a Kubernetes {k} ({a})")
            } else {
                format!("an object with the fields {}", keys.join(", "))
            }
        }
        Value::Array(a) if a.is_empty() => {
            "an empty list (an empty diagnostic-settings list names no resource: state in the packet that none is configured instead)".into()
        }
        Value::Array(_) => "a list of something else".into(),
        _ => "a single value".into(),
    }
}

fn s<'a>(v: &'a Value, ptr: &str) -> &'a str {
    v.pointer(ptr).and_then(Value::as_str).unwrap_or("")
}

fn contains_ci(haystack: &str, needle: &str) -> bool {
    haystack.to_ascii_lowercase().contains(needle)
}

/// Which description `doc` is, by content.
fn classify(doc: &Value) -> Option<CloudProvider> {
    let c = &doc["cluster"];
    if c.is_object()
        && ((s(c, "/arn").starts_with("arn:aws") && s(c, "/arn").contains(":eks:"))
            || s(c, "/platformVersion").starts_with("eks."))
    {
        return Some(CloudProvider::Eks);
    }
    if doc.is_object()
        && (s(doc, "/selfLink").contains("container.googleapis.com/")
            || (doc.get("currentMasterVersion").is_some() && doc.get("nodePools").is_some()))
    {
        return Some(CloudProvider::Gke);
    }
    if doc.is_object()
        && (s(doc, "/type").eq_ignore_ascii_case("Microsoft.ContainerService/ManagedClusters")
            || (contains_ci(
                s(doc, "/id"),
                "/providers/microsoft.containerservice/managedclusters/",
            ) && !contains_ci(s(doc, "/id"), "/providers/microsoft.insights/")))
    {
        return Some(CloudProvider::Aks);
    }
    let list = settings_list(doc);
    if !list.is_empty()
        && list
            .iter()
            .all(|i| s(i, "/type").eq_ignore_ascii_case("Microsoft.Insights/diagnosticSettings"))
    {
        return Some(CloudProvider::AksDiagnosticSettings);
    }
    None
}

/// The items of a diagnostic-settings list: az prints a bare list, older versions and the
/// REST API `{"value": [...]}`.
fn settings_list(doc: &Value) -> &[Value] {
    match doc {
        Value::Array(a) => a,
        Value::Object(_) => doc
            .get("value")
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice),
        _ => &[],
    }
}

/// The listed fields of `src` that are present and not null.
fn pick(src: &Value, fields: &[&str]) -> Map<String, Value> {
    fields
        .iter()
        .filter_map(|f| {
            src.get(*f)
                .filter(|v| (!v.is_null() && !v.is_object() && !v.is_array()) || is_strings(v))
                .map(|v| (f.to_string(), v.clone()))
        })
        .collect()
}

/// A list of strings (kept whole by [`pick`]).
fn is_strings(v: &Value) -> bool {
    v.as_array().is_some_and(|a| a.iter().all(Value::is_string))
}

fn list_of(src: &Value, ptr: &str, each: impl Fn(&Value) -> Value) -> Option<Value> {
    src.pointer(ptr)
        .and_then(Value::as_array)
        .map(|a| Value::Array(a.iter().map(each).collect()))
}

fn put(m: &mut Map<String, Value>, key: &str, v: Option<Value>) {
    if let Some(v) = v
        && !(v.as_object().is_some_and(Map::is_empty))
    {
        m.insert(key.into(), v);
    }
}

fn eks(c: &Value) -> Value {
    let mut out = pick(c, &["name", "version", "platformVersion", "status"]);
    put(
        &mut out,
        "encryptionConfig",
        list_of(c, "/encryptionConfig", |e| {
            let mut m = pick(e, &["resources"]);
            put(
                &mut m,
                "provider",
                e.get("provider")
                    .map(|p| Value::Object(pick(p, &["keyArn"]))),
            );
            Value::Object(m)
        }),
    );
    put(
        &mut out,
        "logging",
        list_of(c, "/logging/clusterLogging", |l| {
            Value::Object(pick(l, &["types", "enabled"]))
        })
        .map(|l| json!({ "clusterLogging": l })),
    );
    json!({ "cluster": out })
}

fn gke(d: &Value) -> Value {
    let mut out = pick(
        d,
        &["name", "location", "currentMasterVersion", "loggingService"],
    );
    put(
        &mut out,
        "databaseEncryption",
        d.get("databaseEncryption")
            .map(|e| Value::Object(pick(e, &["state", "currentState", "keyName"]))),
    );
    put(
        &mut out,
        "loggingConfig",
        d.pointer("/loggingConfig/componentConfig/enableComponents")
            .filter(|v| is_strings(v))
            .map(|v| json!({ "componentConfig": { "enableComponents": v } })),
    );
    Value::Object(out)
}

fn aks(d: &Value) -> Value {
    let mut out = pick(d, &["name", "kubernetesVersion", "type"]);
    put(
        &mut out,
        "securityProfile",
        d.pointer("/securityProfile/azureKeyVaultKms").map(|k| {
            json!({ "azureKeyVaultKms": pick(k, &["enabled", "keyId", "keyVaultNetworkAccess"]) })
        }),
    );
    Value::Object(out)
}

fn diagnostic_settings(items: &[Value]) -> Value {
    let value: Vec<Value> = items
        .iter()
        .map(|i| {
            let mut m = pick(
                i,
                &[
                    "name",
                    "type",
                    "workspaceId",
                    "storageAccountId",
                    "eventHubName",
                ],
            );
            put(
                &mut m,
                "logs",
                list_of(i, "/logs", |l| {
                    let mut lm = pick(l, &["category", "categoryGroup", "enabled"]);
                    put(
                        &mut lm,
                        "retentionPolicy",
                        l.get("retentionPolicy")
                            .map(|r| Value::Object(pick(r, &["enabled", "days"]))),
                    );
                    Value::Object(lm)
                }),
            );
            Value::Object(m)
        })
        .collect();
    json!({ "value": value })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eks_keeps_only_the_fields_read() {
        let doc = json!({"cluster": {
            "name": "prod", "arn": "arn:aws:eks:eu-west-1:111122223333:cluster/prod",
            "version": "1.30", "endpoint": "https://ABC.gr7.eu-west-1.eks.amazonaws.com",
            "certificateAuthority": {"data": "LS0tLS1CRUdJTi=="},
            "roleArn": "arn:aws:iam::111122223333:role/eks", "tags": {"owner": "x"},
            "encryptionConfig": [{"resources": ["secrets"], "provider": {"keyArn": "arn:aws:kms:eu-west-1:111122223333:key/k", "extra": 1}}],
            "logging": {"clusterLogging": [{"types": ["api", "audit"], "enabled": true}]}
        }});
        assert_eq!(classify(&doc), Some(CloudProvider::Eks));
        let kept = eks(&doc["cluster"]).to_string();
        for gone in [
            "endpoint",
            "LS0t",
            "role/eks",
            "owner",
            "extra",
            "arn:aws:eks",
        ] {
            assert!(!kept.contains(gone), "{gone} kept: {kept}");
        }
        assert!(kept.contains("key/k") && kept.contains("audit"), "{kept}");
    }

    #[test]
    fn other_documents_are_not_cloud_descriptions() {
        for doc in [
            json!({"apiVersion": "v1", "kind": "Pod"}),
            json!([]),
            json!({"cluster": {"name": "x"}}),
            json!([{"type": "Microsoft.Insights/diagnosticSettings"}, {"type": "other"}]),
        ] {
            assert_eq!(classify(&doc), None, "{doc}");
        }
    }
}
