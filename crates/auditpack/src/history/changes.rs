//! The one "what changed" engine: access granted and removed, and check and control
//! statuses, between an older and a newer point of a series. The packet's "changes since
//! the previous packet" section and `auditpack diff` both read it.
//!
//! Each side gives whatever evidence is at hand ([`Evidence`]); what cannot be compared
//! on both sides is `None`, never an empty list that would read as "nothing changed".

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::controls::{AccessChange, access_changes};
use crate::findings::{Findings, SubjectAccess};
use crate::snapshot::Snapshot;

/// One side of a comparison: its snapshot, its findings, or both.
#[derive(Debug, Clone, Copy, Default)]
pub struct Evidence<'a> {
    /// The snapshot (its RBAC gives the effective-access review when no findings are given).
    pub snapshot: Option<&'a Snapshot>,
    /// The findings (their access review and statuses).
    pub findings: Option<&'a Findings>,
}

impl<'a> Evidence<'a> {
    /// A side known only by its snapshot.
    pub fn snapshot(s: &'a Snapshot) -> Self {
        Evidence {
            snapshot: Some(s),
            findings: None,
        }
    }

    /// The effective-access review: from the findings, else computed from the snapshot's
    /// RBAC; `None` when neither holds it (RBAC was not collected).
    fn access_review(&self) -> Option<Cow<'a, [SubjectAccess]>> {
        if let Some(f) = self.findings {
            return Some(Cow::Borrowed(&f.access_review));
        }
        let s = self.snapshot?;
        crate::controls::model::rbac::Model::from_snapshot(s)
            .ok()
            .map(|m| Cow::Owned(m.access_review()))
    }
}

/// A check or control whose status changed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct StatusChange {
    /// `check` or `control`.
    pub what: String,
    /// Check id, or `framework control-id`.
    pub id: String,
    /// Title.
    pub title: String,
    /// Status before (`absent` when it was not there).
    pub before: String,
    /// Status now (`absent` when it is no longer there).
    pub after: String,
}

/// What changed between two sides.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    /// Permissions granted and removed ([`access_changes`]: a permission that moved from
    /// one binding to another is not a change); `None` when a side holds no access review.
    pub access: Option<Vec<AccessChange>>,
    /// Checks, then controls, whose status changed; `None` unless both sides have findings.
    pub statuses: Option<Vec<StatusChange>>,
}

/// Compares two sides.
pub fn changes(old: &Evidence, new: &Evidence) -> Changes {
    let access = match (old.access_review(), new.access_review()) {
        (Some(a), Some(b)) => Some(access_changes(&a, &b)),
        _ => None,
    };
    let statuses = match (old.findings, new.findings) {
        (Some(a), Some(b)) => Some(status_changes(a, b)),
        _ => None,
    };
    Changes { access, statuses }
}

/// Id → (title, status).
type Statuses = BTreeMap<String, (String, String)>;

fn status_changes(old: &Findings, new: &Findings) -> Vec<StatusChange> {
    let checks = |f: &Findings| -> Statuses {
        f.checks
            .iter()
            .map(|c| (c.id.clone(), (c.title.clone(), c.status.to_string())))
            .collect()
    };
    let controls = |f: &Findings| -> Statuses {
        f.controls
            .iter()
            .map(|c| {
                let id = format!("{} {}", c.framework, c.id);
                (id, (c.title.clone(), c.status.to_string()))
            })
            .collect()
    };
    let mut out = Vec::new();
    diff_status("check", &checks(old), &checks(new), &mut out);
    diff_status("control", &controls(old), &controls(new), &mut out);
    out
}

fn diff_status(what: &str, before: &Statuses, after: &Statuses, out: &mut Vec<StatusChange>) {
    let ids: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    for id in ids {
        let b = before.get(id);
        let a = after.get(id);
        let bs = b.map_or("absent", |x| x.1.as_str());
        let as_ = a.map_or("absent", |x| x.1.as_str());
        if bs != as_ {
            out.push(StatusChange {
                what: what.into(),
                id: id.clone(),
                title: a.or(b).map(|x| x.0.clone()).unwrap_or_default(),
                before: bs.into(),
                after: as_.into(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::controls::ChangeKind;
    use crate::findings::{CheckResult, Grant, Status, Subject};

    fn findings(status: Status, grants: Vec<Grant>) -> Findings {
        let mut f: Findings = serde_json::from_value(serde_json::json!({
            "apiVersion": "auditpack/v1", "kind": "Findings",
            "snapshotCollectedAt": "2026-01-01T00:00:00Z",
            "frameworks": [], "checks": [], "controls": [], "accessReview": []
        }))
        .unwrap();
        let mut check: CheckResult = serde_json::from_value(serde_json::json!({
            "id": "rbac.x", "title": "X", "resource": "Roles", "status": "pass",
            "explanation": "", "observations": []
        }))
        .unwrap();
        check.status = status;
        f.checks.push(check);
        f.access_review.push(SubjectAccess {
            subject: Subject {
                kind: "User".into(),
                name: "alice".into(),
                namespace: None,
            },
            grants,
            flags: vec![],
        });
        f
    }

    fn grant(verb: &str, via: &str) -> Grant {
        Grant {
            namespace: Some("production".into()),
            verbs: vec![verb.into()],
            api_groups: vec!["".into()],
            resources: vec!["pods".into()],
            resource_names: vec![],
            non_resource_urls: vec![],
            via: via.into(),
        }
    }

    #[test]
    fn findings_on_both_sides_give_access_and_status_changes() {
        let old = findings(Status::Pass, vec![grant("get", "a"), grant("list", "a")]);
        let new = findings(Status::Fail, vec![grant("get", "b"), grant("delete", "b")]);
        let c = changes(
            &Evidence {
                snapshot: None,
                findings: Some(&old),
            },
            &Evidence {
                snapshot: None,
                findings: Some(&new),
            },
        );
        let access: Vec<(ChangeKind, String)> = c
            .access
            .unwrap()
            .iter()
            .map(|a| (a.change, a.grant.verbs[0].clone()))
            .collect();
        // `get` moved from binding a to b: not a change.
        assert_eq!(
            access,
            vec![
                (ChangeKind::Granted, "delete".into()),
                (ChangeKind::Removed, "list".into())
            ]
        );
        let st = c.statuses.unwrap();
        assert_eq!(st.len(), 1);
        assert_eq!(
            (
                st[0].what.as_str(),
                st[0].before.as_str(),
                st[0].after.as_str()
            ),
            ("check", "pass", "fail")
        );
    }

    #[test]
    fn a_side_without_findings_or_rbac_is_not_compared_rather_than_unchanged() {
        let new = findings(Status::Pass, vec![]);
        let nothing = Evidence::default();
        let with = Evidence {
            snapshot: None,
            findings: Some(&new),
        };
        let c = changes(&nothing, &with);
        assert_eq!(c.access, None);
        assert_eq!(c.statuses, None);
        // A snapshot without RBAC collected holds no access review either.
        let s = Snapshot::new(chrono::Utc::now(), crate::snapshot::Source::default());
        let c = changes(&Evidence::snapshot(&s), &with);
        assert_eq!(c.access, None);
        assert_eq!(c.statuses, None);
    }
}
