//! Findings: what `evaluate` writes and `render` reads.
//!
//! The unit of evaluation is a *check* (one Kubernetes control, such as "namespaces have a
//! default-deny NetworkPolicy"). Framework catalogs map their controls (`CC6.6`,
//! `164.312(b)`) onto checks, so a control's verdict is derived from its checks' verdicts
//! and the control matrix has one row per check with a column per framework.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The verdict of a check or a control.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// The evidence shows the control in place.
    Pass,
    /// The evidence shows the control missing or broken.
    Fail,
    /// In place for some of what it covers, not all.
    Partial,
    /// Needs a human attestation (e.g. a managed cloud's encryption at rest).
    Manual,
    /// Does not apply to this cluster.
    NotApplicable,
    /// The evidence it needs was not collected: never read this as passing.
    NotCollected,
}

impl Status {
    /// The kebab-case name used in every output.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Partial => "partial",
            Status::Manual => "manual",
            Status::NotApplicable => "not-applicable",
            Status::NotCollected => "not-collected",
        }
    }

    /// Combines the statuses of the checks behind one control, as an auditor reads them:
    /// the worst applicable status wins, in the order
    /// `fail` > `not-collected` > `partial` > `manual` > `pass`.
    ///
    /// - One failing check makes the control `fail`, whatever else passes.
    /// - A check whose evidence is missing makes it `not-collected` (incomplete), even
    ///   beside passing checks: missing evidence is never hidden behind a pass.
    /// - `partial` comes only from a check that is itself partial; `manual` from one that
    ///   needs a human attestation (a partial check outranks it: it is a finding).
    /// - `not-applicable` checks are ignored, unless every check is not applicable; a
    ///   control with no checks at all is `not-collected`.
    pub fn combine(statuses: impl IntoIterator<Item = Status>) -> Status {
        let mut any = false;
        let mut worst: Option<Status> = None;
        for s in statuses {
            any = true;
            if s == Status::NotApplicable {
                continue;
            }
            if worst.is_none_or(|w| s.severity() > w.severity()) {
                worst = Some(s);
            }
        }
        match worst {
            Some(s) => s,
            None if any => Status::NotApplicable,
            None => Status::NotCollected,
        }
    }

    /// How much a status weighs against a control in [`Status::combine`] (higher is worse).
    fn severity(self) -> u8 {
        match self {
            Status::NotApplicable => 0,
            Status::Pass => 1,
            Status::Manual => 2,
            Status::Partial => 3,
            Status::NotCollected => 4,
            Status::Fail => 5,
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A pointer to the evidence a result rests on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EvidenceRef {
    /// Snapshot kind key (`rolebindings.rbac.authorization.k8s.io`) or evidence file kind.
    pub kind: String,
    /// Namespace, for namespaced objects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Object name.
    pub name: String,
    /// JSON pointer (RFC 6901) into the object.
    #[serde(default)]
    pub pointer: String,
}

/// One problem (or one confirmation) a check found, tied to its evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Observation {
    /// Whether this observation supports or undermines the control.
    pub status: Status,
    /// Plain-language statement, naming the object.
    pub message: String,
    /// Where it is.
    pub evidence: EvidenceRef,
}

/// The result of one check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckResult {
    /// Stable id (`rbac.least-privilege`).
    pub id: String,
    /// Short title ("Least privilege").
    pub title: String,
    /// The Kubernetes resources this control lives in ("Roles, ClusterRoles and their bindings").
    pub resource: String,
    /// Verdict.
    pub status: Status,
    /// Plain-language explanation of the verdict for an auditor.
    pub explanation: String,
    /// What to do when it is not `pass`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remediation: Option<String>,
    /// The objects the verdict rests on, with what each shows.
    #[serde(default)]
    pub observations: Vec<Observation>,
    /// Commands that reproduce the evidence (`kubectl get ... -o yaml`).
    #[serde(default)]
    pub commands: Vec<String>,
}

/// A framework control's verdict, derived from its checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ControlResult {
    /// Framework id (`soc2`).
    pub framework: String,
    /// Control id (`CC6.1`).
    pub id: String,
    /// Control title.
    pub title: String,
    /// Requirement text.
    pub requirement: String,
    /// Combined status of its checks ([`Status::combine`]).
    pub status: Status,
    /// Ids of the checks that support it.
    pub checks: Vec<String>,
    /// `Required` or `Addressable` (HIPAA implementation specifications), when the
    /// catalog marks it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    /// Why a check supports this control, by check id, as the catalog states it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub rationale: BTreeMap<String, String>,
}

/// A framework that was evaluated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FrameworkInfo {
    /// Id (`soc2`, `hipaa`, `pci-dss`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Where its catalog came from (`built-in` or a file path).
    pub source: String,
    /// The edition of the criteria its mapping follows, when the catalog names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// A subject that holds permissions.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Subject {
    /// `User`, `Group` or `ServiceAccount`.
    pub kind: String,
    /// Name.
    pub name: String,
    /// Namespace (ServiceAccounts only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

/// One permission a subject holds, and through which binding.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Grant {
    /// Namespace the grant applies in; `None` means cluster-wide.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Verbs (`*` kept as is).
    pub verbs: Vec<String>,
    /// API groups.
    #[serde(default)]
    pub api_groups: Vec<String>,
    /// Resources, with subresources as `pods/exec`.
    #[serde(default)]
    pub resources: Vec<String>,
    /// Restricting resource names, if any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resource_names: Vec<String>,
    /// Non-resource URLs, if any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub non_resource_urls: Vec<String>,
    /// The binding (kind/namespace/name) and role it comes through.
    pub via: String,
}

impl std::fmt::Display for Subject {
    /// `ServiceAccount production/task-api-sa`, `User alice`: the one way a subject is
    /// written in the packet and in `auditpack diff`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{} {}/{}", self.kind, ns, self.name),
            None => write!(f, "{} {}", self.kind, self.name),
        }
    }
}

impl std::fmt::Display for Grant {
    /// `get, list pods, configmaps (named a, b) in production via RoleBinding/...`, or
    /// `get /healthz, /livez cluster-wide via ...`: the one way a grant is written in the
    /// packet and in `auditpack diff`. API groups are not shown (they are in the JSON).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ", self.verbs.join(", "))?;
        if self.non_resource_urls.is_empty() {
            f.write_str(&self.resources.join(", "))?;
            if !self.resource_names.is_empty() {
                write!(f, " (named {})", self.resource_names.join(", "))?;
            }
        } else {
            f.write_str(&self.non_resource_urls.join(", "))?;
        }
        match &self.namespace {
            Some(ns) => write!(f, " in {ns}")?,
            None => f.write_str(" cluster-wide")?,
        }
        write!(f, " via {}", self.via)
    }
}

/// The effective access of one subject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubjectAccess {
    /// Who.
    pub subject: Subject,
    /// What they hold.
    pub grants: Vec<Grant>,
    /// Risky powers (`cluster-admin`, `wildcard`, `read-secrets`, `escalate`, `bind`,
    /// `impersonate`, `pods-exec`, `default-service-account`).
    #[serde(default)]
    pub flags: Vec<String>,
}

/// Everything `evaluate` writes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Findings {
    /// Always `auditpack/v1`.
    pub api_version: String,
    /// Always `Findings`.
    pub kind: String,
    /// The snapshot's collection time (RFC 3339): findings carry no clock of their own,
    /// so the same snapshot always evaluates to the same bytes.
    pub snapshot_collected_at: String,
    /// Frameworks evaluated, in the order selected.
    pub frameworks: Vec<FrameworkInfo>,
    /// Every check that any selected control uses, in catalog order.
    pub checks: Vec<CheckResult>,
    /// Every control of every selected framework.
    pub controls: Vec<ControlResult>,
    /// The effective-access review, sorted by subject.
    pub access_review: Vec<SubjectAccess>,
}

#[cfg(test)]
mod tests {
    use super::Status::{self, *};
    use super::{Grant, Subject};

    fn grant(namespace: Option<&str>) -> Grant {
        Grant {
            namespace: namespace.map(str::to_string),
            verbs: vec!["get".into(), "list".into()],
            api_groups: vec!["".into()],
            resources: vec!["pods".into(), "configmaps".into()],
            resource_names: vec![],
            non_resource_urls: vec![],
            via: "RoleBinding/production/rb -> Role/r".into(),
        }
    }

    #[test]
    fn a_subject_is_written_kind_then_namespace_and_name() {
        let sa = Subject {
            kind: "ServiceAccount".into(),
            name: "task-api-sa".into(),
            namespace: Some("production".into()),
        };
        assert_eq!(sa.to_string(), "ServiceAccount production/task-api-sa");
        let user = Subject {
            kind: "User".into(),
            name: "alice".into(),
            namespace: None,
        };
        assert_eq!(user.to_string(), "User alice");
    }

    #[test]
    fn a_grant_is_written_verbs_resources_scope_and_binding() {
        assert_eq!(
            grant(Some("production")).to_string(),
            "get, list pods, configmaps in production via RoleBinding/production/rb -> Role/r"
        );
        let mut named = grant(None);
        named.resource_names = vec!["a".into(), "b".into()];
        assert_eq!(
            named.to_string(),
            "get, list pods, configmaps (named a, b) cluster-wide via RoleBinding/production/rb -> Role/r"
        );
        let mut urls = grant(None);
        urls.non_resource_urls = vec!["/healthz".into(), "/livez".into()];
        assert_eq!(
            urls.to_string(),
            "get, list /healthz, /livez cluster-wide via RoleBinding/production/rb -> Role/r"
        );
    }

    #[test]
    fn combine_never_hides_a_failure_or_missing_evidence_behind_a_pass() {
        assert_eq!(Status::combine([Pass, Pass]), Pass);
        assert_eq!(Status::combine([Pass, NotApplicable]), Pass);
        // A passing check beside a not-collected one is incomplete, not partial.
        assert_eq!(Status::combine([Pass, NotCollected]), NotCollected);
        assert_eq!(Status::combine([NotCollected]), NotCollected);
        // One failing check fails the control, however many pass (CC6.1 with 5 of 7).
        assert_eq!(Status::combine([Pass, Fail]), Fail);
        assert_eq!(
            Status::combine([Fail, Pass, Fail, Fail, Pass, Fail, Fail]),
            Fail
        );
        assert_eq!(Status::combine([Pass, Partial, Fail]), Fail);
        assert_eq!(Status::combine([Fail, NotCollected]), Fail);
        assert_eq!(Status::combine([Pass, NotCollected, Partial]), NotCollected);
        // Partial only from a partial check.
        assert_eq!(Status::combine([Pass, Partial]), Partial);
        assert_eq!(Status::combine([Manual, Partial]), Partial);
        assert_eq!(Status::combine([Manual, Pass]), Manual);
        assert_eq!(Status::combine([NotApplicable, Manual]), Manual);
        assert_eq!(
            Status::combine([NotApplicable, NotApplicable]),
            NotApplicable
        );
        assert_eq!(Status::combine([NotApplicable]), NotApplicable);
        assert_eq!(Status::combine([]), NotCollected);
    }
}
