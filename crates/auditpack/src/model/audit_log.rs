//! The audit-log summary document: what `auditpack auditlog` prints and what a snapshot
//! stores in `auditLog` (read back by the `audit.log-continuity` check).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{API_VERSION, exact};

/// `kind` of the summary document.
pub const KIND: &str = "AuditLogSummary";

/// `kind` of the detail document (`evidence/audit-log-detail.json`).
pub const DETAIL_KIND: &str = "AuditLogDetail";

/// Most rows each list of the summary holds (`rbacChanges`, `secretAccess`, `execs`,
/// `denied`, `access`); the `…Total` fields count them all, and the detail document
/// holds every aggregate.
pub const MAX_LISTED: usize = 100;

/// A change-monitoring summary of Kubernetes audit logs over a period.
///
/// Counts are of *requests*: the stages of one request (same `auditID`) are counted once.
///
/// Read strictly: an unknown field, or an `apiVersion`/`kind` other than `auditpack/v1`
/// `KIND`, is refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuditLogSummary {
    /// Always `auditpack/v1`.
    #[serde(deserialize_with = "api_version")]
    pub api_version: String,
    /// Always `KIND`.
    #[serde(deserialize_with = "kind")]
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
    /// Creates, updates, patches and deletes of Roles, ClusterRoles, RoleBindings and
    /// ClusterRoleBindings, whatever their outcome: the first [`MAX_LISTED`] read (logs
    /// are read oldest first), in time order. `access` aggregates all of them.
    pub rbac_changes: Vec<RbacChange>,
    /// RBAC changes in all (0 in summaries older than the field: `rbacChanges` is then
    /// complete).
    #[serde(default)]
    pub rbac_changes_total: u64,
    /// Secret accesses, one row per user, verb and Secret (metadata only): the
    /// [`MAX_LISTED`] with the most requests (the detail document has every row).
    pub secret_access: Vec<SecretAccess>,
    /// Secret-access rows in all (0 in older summaries).
    #[serde(default)]
    pub secret_access_total: u64,
    /// `pods/exec` and `pods/attach` requests in time order: the first [`MAX_LISTED`]
    /// read, and every one by a ServiceAccount (each is a finding).
    pub execs: Vec<Exec>,
    /// Exec and attach requests in all (0 in older summaries).
    #[serde(default)]
    pub execs_total: u64,
    /// Requests answered 403, per user: the [`MAX_LISTED`] users with the most.
    pub denied: Vec<Denied>,
    /// Users with denied requests in all (0 in older summaries).
    #[serde(default)]
    pub denied_total: u64,
    /// RBAC changes, Secret access, exec and attach, aggregated by user × verb ×
    /// resource × namespace: the [`MAX_LISTED`] aggregates with the most requests (the
    /// detail document has them all).
    #[serde(default)]
    pub access: Vec<AccessAggregate>,
    /// Aggregates in all.
    #[serde(default)]
    pub access_total: u64,
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

/// Requests of one user with one verb on one resource in one namespace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccessAggregate {
    /// Authenticated user.
    pub user: String,
    /// Impersonated user, when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impersonated_user: Option<String>,
    /// Verb.
    pub verb: String,
    /// `resource[.group][/subresource]` (`rolebindings.rbac.authorization.k8s.io`,
    /// `secrets`, `pods/exec`).
    pub resource: String,
    /// Namespace, absent for cluster-scoped objects and cluster-wide requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Requests.
    pub count: u64,
    /// Of which answered 403.
    pub denied: u64,
    /// First request.
    pub first: DateTime<Utc>,
    /// Last request.
    pub last: DateTime<Utc>,
}

/// Every aggregate the summary caps: `evidence/audit-log-detail.json` of a packet, and
/// `auditpack auditlog --detail FILE`. Read strictly, like the summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuditLogDetail {
    /// Always `auditpack/v1`.
    #[serde(deserialize_with = "api_version")]
    pub api_version: String,
    /// Always `AuditLogDetail`.
    #[serde(deserialize_with = "detail_kind")]
    pub kind: String,
    /// Every aggregate of RBAC changes, Secret access, exec and attach, most requests
    /// first.
    pub access: Vec<AccessAggregate>,
    /// Every Secret-access row (user, verb, Secret), most requests first.
    pub secret_access: Vec<SecretAccess>,
    /// Every user with denied requests, most first.
    pub denied: Vec<Denied>,
}

impl AuditLogDetail {
    /// An empty detail document.
    pub fn new() -> Self {
        AuditLogDetail {
            api_version: API_VERSION.to_string(),
            kind: DETAIL_KIND.to_string(),
            access: Vec::new(),
            secret_access: Vec::new(),
            denied: Vec::new(),
        }
    }
}

impl Default for AuditLogDetail {
    fn default() -> Self {
        Self::new()
    }
}

fn detail_kind<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    exact(d, "kind", DETAIL_KIND)
}

fn api_version<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    exact(d, "apiVersion", API_VERSION)
}

fn kind<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    exact(d, "kind", KIND)
}

impl AuditLogSummary {
    /// A summary of no events over no period, with this gap threshold: what the
    /// summariser starts from.
    pub fn new(gap_threshold_seconds: u64) -> Self {
        AuditLogSummary {
            api_version: API_VERSION.to_string(),
            kind: KIND.to_string(),
            since: None,
            until: None,
            first_event: None,
            last_event: None,
            events: 0,
            outside: 0,
            duplicate_stages: 0,
            gap_threshold_seconds,
            gaps: Vec::new(),
            files: Vec::new(),
            problems: Vec::new(),
            problems_total: 0,
            rbac_changes: Vec::new(),
            rbac_changes_total: 0,
            secret_access: Vec::new(),
            secret_access_total: 0,
            execs: Vec::new(),
            execs_total: 0,
            denied: Vec::new(),
            denied_total: 0,
            access: Vec::new(),
            access_total: 0,
            by_verb: BTreeMap::new(),
            by_resource: BTreeMap::new(),
            by_user: BTreeMap::new(),
        }
    }

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

    /// The summary as a JSON value.
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("summary serializes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> AuditLogSummary {
        let mut s = AuditLogSummary::new(900);
        s.since = Some("2026-10-01T00:00:00Z".parse().unwrap());
        s.until = Some("2026-10-02T00:00:00Z".parse().unwrap());
        s.events = 3;
        s.gaps.push(Gap {
            start: "2026-10-01T03:00:00Z".parse().unwrap(),
            end: "2026-10-01T05:00:00Z".parse().unwrap(),
            seconds: 7200,
        });
        s.by_verb.insert("get".into(), 3);
        s
    }

    #[test]
    fn round_trips_through_its_json() {
        let s = sample();
        let text = s.to_json();
        assert!(text.starts_with(
            "{\n  \"apiVersion\": \"auditpack/v1\",\n  \"kind\": \"AuditLogSummary\","
        ));
        let back: AuditLogSummary = serde_json::from_str(&text).unwrap();
        assert_eq!(back, s);
        assert_eq!(back.to_json(), text);
    }

    /// A summary written before the totals and aggregates existed still reads (its lists
    /// were complete); the detail document is as strict as the summary.
    #[test]
    fn older_summaries_read_and_the_detail_is_strict() {
        let mut v = sample().to_value();
        for f in [
            "rbacChangesTotal",
            "secretAccessTotal",
            "execsTotal",
            "deniedTotal",
            "access",
            "accessTotal",
        ] {
            assert!(v.as_object_mut().unwrap().remove(f).is_some(), "{f}");
        }
        let back: AuditLogSummary = serde_json::from_value(v).unwrap();
        assert_eq!(back, sample());
        let d = AuditLogDetail::new();
        let text = serde_json::to_string(&d).unwrap();
        assert_eq!(serde_json::from_str::<AuditLogDetail>(&text).unwrap(), d);
        let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
        v["kind"] = "AuditLogSummary".into();
        assert!(serde_json::from_value::<AuditLogDetail>(v).is_err());
        let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
        v["rows"] = 1.into();
        let e = serde_json::from_value::<AuditLogDetail>(v)
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown field `rows`"), "{e}");
    }

    #[test]
    fn unknown_fields_and_other_versions_are_refused_by_name() {
        let mut v = sample().to_value();
        v["eventz"] = 3.into();
        let e = serde_json::from_value::<AuditLogSummary>(v)
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown field `eventz`"), "{e}");
        let mut v = sample().to_value();
        v["apiVersion"] = "auditpack/v2".into();
        let e = serde_json::from_value::<AuditLogSummary>(v)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("apiVersion \"auditpack/v2\" is not supported"),
            "{e}"
        );
        let mut v = sample().to_value();
        v["kind"] = "Snapshot".into();
        let e = serde_json::from_value::<AuditLogSummary>(v)
            .unwrap_err()
            .to_string();
        assert!(e.contains("kind \"Snapshot\""), "{e}");
    }
}
