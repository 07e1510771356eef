//! The summary document: what `auditpack auditlog` prints and what a snapshot stores in
//! `auditLog`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// `kind` of the summary document.
pub const KIND: &str = "AuditLogSummary";

/// A change-monitoring summary of Kubernetes audit logs over a period.
///
/// Counts are of *requests*: the stages of one request (same `auditID`) are counted once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// Always `auditpack/v1`.
    pub api_version: String,
    /// Always [`KIND`].
    pub kind: String,
    /// Start of the period (inclusive), if one was given.
    pub since: Option<DateTime<Utc>>,
    /// End of the period (exclusive), if one was given.
    pub until: Option<DateTime<Utc>>,
    /// Time of the first request in the period.
    pub first_event: Option<DateTime<Utc>>,
    /// Time of the last request in the period.
    pub last_event: Option<DateTime<Utc>>,
    /// Requests in the period (stages of one request counted once).
    pub events: u64,
    /// Requests read whose time lies outside the period (not summarised).
    pub outside: u64,
    /// Event objects folded into another stage of the same request (same `auditID`).
    pub duplicate_stages: u64,
    /// Gaps longer than this many seconds are reported.
    pub gap_threshold_seconds: u64,
    /// Stretches of the period longer than the threshold with no event.
    pub gaps: Vec<Gap>,
    /// Every file read, in reading order.
    pub files: Vec<FileStat>,
    /// Lines or objects that could not be summarised (capped; see `problemsTotal`).
    pub problems: Vec<Problem>,
    /// Number of problems, including those beyond the cap.
    pub problems_total: u64,
    /// Every create/update/patch/delete of a Role, ClusterRole, RoleBinding or
    /// ClusterRoleBinding, in time order, whatever its outcome.
    pub rbac_changes: Vec<RbacChange>,
    /// Secret accesses, one row per user, verb and Secret (metadata only).
    pub secret_access: Vec<SecretAccess>,
    /// Every `pods/exec` and `pods/attach`, in time order.
    pub execs: Vec<Exec>,
    /// Requests answered 403, per user.
    pub denied: Vec<Denied>,
    /// Requests per verb.
    pub by_verb: BTreeMap<String, u64>,
    /// Requests per resource (`resource[.group][/subresource]`, `(non-resource)` for URLs
    /// like `/healthz`).
    pub by_resource: BTreeMap<String, u64>,
    /// Requests per acting user: the impersonated user when present, else the
    /// authenticated user.
    pub by_user: BTreeMap<String, u64>,
}

/// A stretch of time with no audit event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Gap {
    /// Last event before the gap (or the start of the period).
    pub start: DateTime<Utc>,
    /// First event after the gap (or the end of the period).
    pub end: DateTime<Utc>,
    /// Length in whole seconds.
    pub seconds: u64,
}

/// One input file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileStat {
    /// Path as given (or as a glob expanded it).
    pub path: String,
    /// Lowercase hex SHA-256 of the file's bytes on disk (compressed bytes for gzip).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Whether the file was gzip-compressed (detected by its magic bytes).
    pub gzip: bool,
    /// `lines` (one event per line, as the log backend writes) or `document` (one JSON
    /// document: an `EventList`, a single event, or an array of events).
    pub format: String,
    /// Lines read (of the decompressed text).
    pub lines: u64,
    /// Event objects read and summarised or counted as outside the period.
    pub events: u64,
    /// Lines or objects that were not events (see `problems`).
    pub malformed: u64,
}

/// Something in the input that could not be summarised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    /// File path.
    pub file: String,
    /// 1-based line number (for an `EventList`, the line where the document starts).
    pub line: u64,
    /// What is wrong.
    pub reason: String,
}

/// One change to RBAC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RbacChange {
    /// When the request was received.
    pub time: DateTime<Utc>,
    /// Authenticated user.
    pub user: String,
    /// Impersonated user, when the request used impersonation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impersonated_user: Option<String>,
    /// `create`, `update`, `patch`, `delete` or `deletecollection`.
    pub verb: String,
    /// `roles`, `clusterroles`, `rolebindings` or `clusterrolebindings`.
    pub resource: String,
    /// Namespace (namespaced kinds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Object name (absent for some creates and collection deletes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// HTTP response code, when the log has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<i32>,
    /// The request's `auditID`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_id: Option<String>,
}

/// Accesses of one Secret (or Secret collection) by one user with one verb.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretAccess {
    /// Authenticated user.
    pub user: String,
    /// Impersonated user, when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impersonated_user: Option<String>,
    /// Verb.
    pub verb: String,
    /// Namespace, absent for cluster-wide lists and watches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Secret name, absent for lists and watches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Requests.
    pub count: u64,
    /// Of which answered 403.
    pub denied: u64,
    /// First request.
    pub first: DateTime<Utc>,
    /// Last request.
    pub last: DateTime<Utc>,
}

/// One `pods/exec` or `pods/attach`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Exec {
    /// When the request was received.
    pub time: DateTime<Utc>,
    /// Authenticated user.
    pub user: String,
    /// Impersonated user, when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impersonated_user: Option<String>,
    /// `exec` or `attach`.
    pub subresource: String,
    /// Namespace of the pod.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Pod name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod: Option<String>,
    /// HTTP response code (101 = the stream was opened).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<i32>,
}

/// Requests of one user answered 403 Forbidden.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Denied {
    /// Authenticated user.
    pub user: String,
    /// Impersonated user, when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impersonated_user: Option<String>,
    /// Requests denied.
    pub count: u64,
    /// First denied request.
    pub first: DateTime<Utc>,
    /// Last denied request.
    pub last: DateTime<Utc>,
}

impl Summary {
    /// True when events were found in the period and no gap was found: the evidence of
    /// continuous logging. Without `since`/`until` it speaks only for the span between the
    /// first and last event.
    pub fn is_continuous(&self) -> bool {
        self.events > 0 && self.gaps.is_empty()
    }

    /// Pretty JSON with a trailing newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("summary serializes");
        s.push('\n');
        s
    }

    /// The summary as a JSON value, for `Snapshot.audit_log`.
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("summary serializes")
    }
}
