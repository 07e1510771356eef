//! The Snapshot: the one data shape every stage shares.
//!
//! A snapshot is what `collect` writes and what `evaluate`, `render` and `diff` read. Each
//! resource kind is either collected (its items, in the API's own shape minus noise) or
//! carries an honest reason why not. A kind that was not collected must never be evaluated
//! as passing: [`Snapshot::items`] returns an error for it, so checks cannot forget.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

mod items;
pub mod kinds;
pub mod plural;

pub use items::{Item, Items};
pub use kinds::{Category, Checklist, KINDS, KindInfo};

/// `apiVersion` of every document auditpack writes.
pub use crate::model::API_VERSION;

/// Looks a kind up by its snapshot key.
pub fn kind_by_key(key: &str) -> Option<&'static KindInfo> {
    KINDS.iter().copied().find(|k| k.key == key)
}

/// Looks a kind up by an object's `apiVersion` (any version of the group) and `kind`.
pub fn kind_for_object(api_version: &str, kind: &str) -> Option<&'static KindInfo> {
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    KINDS
        .iter()
        .copied()
        .find(|k| k.kind == kind && k.group == group)
}

/// The snapshot key of an object's kind: the [`KINDS`] key when auditpack knows the kind,
/// else `plural.group` (what [`Snapshot::add_object`] files it under).
pub fn object_key(api_version: &str, kind: &str) -> String {
    match kind_for_object(api_version, kind) {
        Some(info) => info.key.to_string(),
        None => fallback_key(api_version, kind),
    }
}

/// The whole snapshot document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot {
    /// Always `API_VERSION`.
    pub api_version: String,
    /// Always `Snapshot`.
    pub kind: String,
    /// When collection started (UTC).
    pub collected_at: DateTime<Utc>,
    /// Where the evidence came from.
    pub source: Source,
    /// Who collected it, as the API server saw them (SelfSubjectReview).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collected_by: Option<Identity>,
    /// Why `collected_by` is missing (SelfSubjectReview not allowed or not served).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collected_by_reason: Option<String>,
    /// One entry per kind key of [`KINDS`] (and any other kind an import contained).
    pub resources: BTreeMap<String, Collection>,
    /// The EncryptionConfiguration given with `--encryption-config`, key material removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption_config: Option<EvidenceFile>,
    /// The audit Policy given with `--audit-policy`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_policy: Option<EvidenceFile>,
    /// The cloud provider's description of a managed cluster (`--cloud-evidence`: `aws eks
    /// describe-cluster`, `gcloud container clusters describe`, `az aks show`, `az monitor
    /// diagnostic-settings list`), cut to the fields the checks read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cloud_evidence: Vec<CloudEvidence>,
    /// The audit-log summary given with `--audit-log` (see the `auditlog` module).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_log: Option<crate::model::AuditLogSummary>,
    /// Every aggregate the audit-log summary's lists are capped from; a packet holds it
    /// as `evidence/audit-log-detail.json`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_log_detail: Option<crate::model::audit_log::AuditLogDetail>,
    /// Every piece of secret material that was removed, and where from.
    #[serde(default)]
    pub redactions: Vec<Redaction>,
}

/// Where the evidence came from.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Source {
    /// `live` or `files`.
    pub mode: SourceMode,
    /// API server URL (live).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    /// kubeconfig context (live).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// Cluster name as the kubeconfig or the user names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// `gitVersion` from `/version`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubernetes_version: Option<String>,
    /// Namespaces the collection was limited to; empty means all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub namespaces: Vec<String>,
    /// Imported files with their SHA-256 (files mode, and extra evidence files).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<ImportedFile>,
    /// Live collection with `insecure-skip-tls-verify`: the API server's certificate was
    /// not checked, so the server's identity was not verified (a weakness of the evidence).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub server_identity_unverified: bool,
}

/// How a snapshot was collected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceMode {
    /// Read from a cluster's API.
    #[default]
    Live,
    /// Imported from `kubectl get -o yaml` exports.
    Files,
}

/// A file that was read, and its digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportedFile {
    /// Path as given (relative to the import folder when imported from one).
    pub path: String,
    /// Lowercase hex SHA-256 of the file's bytes.
    pub sha256: String,
}

/// The identity that collected the snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    /// User name.
    pub username: String,
    /// User UID, when the server reports one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    /// Groups.
    #[serde(default)]
    pub groups: Vec<String>,
}

/// One kind's items, or why there are none.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Collection {
    /// Whether the items are complete evidence.
    pub status: CollectionStatus,
    /// Why the kind was not collected (error text, HTTP status), for the reader.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The objects, in the API's shape, sorted by namespace then name.
    #[serde(default)]
    pub items: Items,
}

/// Whether a kind was collected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CollectionStatus {
    /// Every object of the kind (in scope) is in `items`.
    Collected,
    /// The API does not serve this kind (its CRD is not installed): evidence of absence.
    Absent,
    /// The collector may not read the kind (HTTP 403).
    Forbidden,
    /// Reading failed after retries (timeout, 5xx, broken response).
    Failed,
    /// Not requested, or not present in the imported files.
    #[default]
    NotCollected,
}

impl CollectionStatus {
    /// True when the items are complete evidence (including evidence of absence).
    pub fn is_evidence(self) -> bool {
        matches!(self, Self::Collected | Self::Absent)
    }
}

/// A piece of evidence given as a file (EncryptionConfiguration, audit Policy).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EvidenceFile {
    /// Path as given on the command line.
    pub path: String,
    /// SHA-256 of the original file's bytes (before redaction).
    pub sha256: String,
    /// The parsed document, with key material removed.
    pub document: Value,
}

/// A cloud provider's description of a managed cluster, given with `--cloud-evidence`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CloudEvidence {
    /// Which description it is (told from its content).
    pub provider: CloudProvider,
    /// Path as given on the command line.
    pub path: String,
    /// SHA-256 of the original file's bytes (before the allow-list).
    pub sha256: String,
    /// The document, with only the fields the checks read (see `collect::cloud`).
    pub document: Value,
}

/// Which cloud description a [`CloudEvidence`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CloudProvider {
    /// `aws eks describe-cluster --output json`.
    Eks,
    /// `gcloud container clusters describe --format=json`.
    Gke,
    /// `az aks show --output json`.
    Aks,
    /// `az monitor diagnostic-settings list --resource AKS-ID --output json`.
    AksDiagnosticSettings,
}

impl CloudProvider {
    /// The command that writes this description.
    pub fn command(self) -> &'static str {
        match self {
            CloudProvider::Eks => "aws eks describe-cluster --name NAME --output json",
            CloudProvider::Gke => "gcloud container clusters describe NAME --format=json",
            CloudProvider::Aks => "az aks show -g GROUP -n NAME --output json",
            CloudProvider::AksDiagnosticSettings => {
                "az monitor diagnostic-settings list --resource AKS-RESOURCE-ID --output json"
            }
        }
    }

    /// Whether it describes the cluster itself (one per snapshot), not a setting of it.
    pub fn is_cluster(self) -> bool {
        !matches!(self, CloudProvider::AksDiagnosticSettings)
    }
}

/// One removal of secret material.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Redaction {
    /// Kind key or evidence file kind (`EncryptionConfiguration`).
    pub kind: String,
    /// Namespace of the object, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Object name, or the evidence file's path.
    pub name: String,
    /// JSON pointer (RFC 6901) to what was removed or replaced.
    pub pointer: String,
    /// Why (`secret data`, `configmap data`, `literal env value`, ...).
    pub reason: String,
}

/// A kind that was not collected, returned when a check asks for its items.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key} was not collected ({status:?}){}", reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default())]
pub struct NotCollected {
    /// Kind key.
    pub key: String,
    /// Its status.
    pub status: CollectionStatus,
    /// Its reason, if any.
    pub reason: Option<String>,
}

impl Snapshot {
    /// An empty snapshot: every known kind `not-collected`.
    pub fn new(collected_at: DateTime<Utc>, source: Source) -> Self {
        let resources = KINDS
            .iter()
            .map(|k| (k.key.to_string(), Collection::default()))
            .collect();
        Snapshot {
            api_version: API_VERSION.to_string(),
            kind: "Snapshot".to_string(),
            collected_at,
            source,
            collected_by: None,
            collected_by_reason: None,
            resources,
            encryption_config: None,
            audit_policy: None,
            cloud_evidence: Vec::new(),
            audit_log: None,
            audit_log_detail: None,
            redactions: Vec::new(),
        }
    }

    /// The items of a kind, parsed, or `NotCollected` when they are not complete evidence.
    /// A kind that is `absent` (CRD not installed) yields an empty slice. The parsed
    /// values are kept with the snapshot (see `Items::values`); code that reads a large
    /// snapshot once should use [`Snapshot::collected`] and parse as it goes.
    pub fn items(&self, key: impl AsRef<str>) -> Result<&[Value], NotCollected> {
        self.collected(key).map(Items::values)
    }

    /// The compact items of a kind, or `NotCollected` when they are not complete
    /// evidence.
    pub fn collected(&self, key: impl AsRef<str>) -> Result<&Items, NotCollected> {
        let key = key.as_ref();
        match self.resources.get(key) {
            Some(c) if c.status.is_evidence() => Ok(&c.items),
            Some(c) => Err(NotCollected {
                key: key.to_string(),
                status: c.status,
                reason: c.reason.clone(),
            }),
            None => Err(NotCollected {
                key: key.to_string(),
                status: CollectionStatus::NotCollected,
                reason: None,
            }),
        }
    }

    /// Adds an already-redacted object under its kind, marking the kind collected.
    /// Objects of kinds auditpack does not know are kept under `plural.group` of their kind.
    pub fn add_object(&mut self, object: Value) {
        let api_version = object
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or("");
        let kind = object.get("kind").and_then(Value::as_str).unwrap_or("");
        let key = match kind_for_object(api_version, kind) {
            Some(info) => info.key.to_string(),
            None => fallback_key(api_version, kind),
        };
        let c = self.resources.entry(key).or_default();
        c.status = CollectionStatus::Collected;
        c.items.push_value(&object);
    }

    /// Marks a kind collected even when it has no items (the list was empty).
    pub fn mark_collected(&mut self, key: impl AsRef<str>) {
        self.resources
            .entry(key.as_ref().to_string())
            .or_default()
            .status = CollectionStatus::Collected;
    }

    /// Records that a kind was not collected, and why.
    pub fn mark(
        &mut self,
        key: impl AsRef<str>,
        status: CollectionStatus,
        reason: impl Into<String>,
    ) {
        let c = self.resources.entry(key.as_ref().to_string()).or_default();
        c.status = status;
        c.reason = Some(reason.into());
        c.items.clear();
    }

    /// Sorts every kind's items by namespace then name, and the redactions, so that the
    /// same cluster always gives the same bytes.
    pub fn normalize(&mut self) {
        for c in self.resources.values_mut() {
            c.items.sort();
        }
        self.redactions.sort();
        self.redactions.dedup();
    }

    /// Reads a snapshot from JSON text, checking its `apiVersion` and `kind`.
    pub fn from_json(text: &str) -> Result<Self, SnapshotError> {
        let snap: Snapshot = serde_json::from_str(text).map_err(|e| SnapshotError::Parse {
            line: e.line(),
            column: e.column(),
            source: e,
        })?;
        if snap.api_version != API_VERSION || snap.kind != "Snapshot" {
            return Err(SnapshotError::WrongKind {
                api_version: snap.api_version,
                kind: snap.kind,
            });
        }
        Ok(snap)
    }

    /// Reads a snapshot file.
    pub fn read(path: &std::path::Path) -> Result<Self, SnapshotError> {
        let text = std::fs::read_to_string(path).map_err(|source| SnapshotError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_json(&text).map_err(|e| e.at(path))
    }

    /// Pretty JSON with a trailing newline: the file form.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("snapshot serializes");
        s.push('\n');
        s
    }
}

/// Errors reading a snapshot.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SnapshotError {
    /// The file could not be read.
    #[error("cannot read snapshot {path}")]
    Io {
        /// Path.
        path: String,
        /// Cause.
        source: std::io::Error,
    },
    /// Not valid snapshot JSON.
    #[error(
        "snapshot is not valid JSON at line {line}, column {column}: is it a file written by `auditpack collect`?"
    )]
    Parse {
        /// Line.
        line: usize,
        /// Column.
        column: usize,
        /// Cause.
        source: serde_json::Error,
    },
    /// Some other document.
    #[error(
        "expected apiVersion auditpack/v1 kind Snapshot, found {api_version} {kind}: give the file written by `auditpack collect`"
    )]
    WrongKind {
        /// Found apiVersion.
        api_version: String,
        /// Found kind.
        kind: String,
    },
    /// An error with the file it came from.
    #[error("{path}")]
    InFile {
        /// Path.
        path: String,
        /// Cause.
        source: Box<SnapshotError>,
    },
}

impl SnapshotError {
    fn at(self, path: &std::path::Path) -> Self {
        match self {
            e @ SnapshotError::Io { .. } => e,
            e => SnapshotError::InFile {
                path: path.display().to_string(),
                source: Box::new(e),
            },
        }
    }
}

/// `(namespace, name)` of an object, empty strings when absent.
pub fn object_ref(object: &Value) -> (&str, &str) {
    let meta = object.get("metadata");
    let field = |f: &str| {
        meta.and_then(|m| m.get(f))
            .and_then(Value::as_str)
            .unwrap_or("")
    };
    (field("namespace"), field("name"))
}

fn fallback_key(api_version: &str, kind: &str) -> String {
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    let plural = plural::plural(group, kind);
    if group.is_empty() {
        plural
    } else {
        format!("{plural}.{group}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn uncollected_kind_is_an_error_not_an_empty_list() {
        let snap = Snapshot::new(Utc::now(), Source::default());
        let err = snap.items(kinds::PODS.key).unwrap_err();
        assert_eq!(err.status, CollectionStatus::NotCollected);
    }

    #[test]
    fn add_object_files_by_group_and_kind() {
        let mut snap = Snapshot::new(Utc::now(), Source::default());
        snap.add_object(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "r", "namespace": "a"}}));
        snap.add_object(
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}),
        );
        assert_eq!(snap.items(kinds::ROLES.key).unwrap().len(), 1);
        assert_eq!(snap.items("configmaps").unwrap().len(), 1);
        assert!(snap.items(kinds::CLUSTER_ROLES.key).is_err());
    }

    #[test]
    fn round_trips_through_json() {
        let mut snap = Snapshot::new(Utc::now(), Source::default());
        snap.mark(kinds::SECRETS.key, CollectionStatus::Forbidden, "403");
        let back = Snapshot::from_json(&snap.to_json()).unwrap();
        assert_eq!(back, snap);
    }
}
