//! "Changes since the previous packet": access gained and lost, statuses that changed.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::PreviousPacket;
use crate::findings::{Findings, Grant, Subject};

/// One subject's access that appeared or disappeared.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct AccessChange {
    /// `ServiceAccount production/task-api-sa`, `User alice`, `Group devs`.
    pub subject: String,
    /// What was gained or lost (`get, list pods in production via RoleBinding ...`).
    pub detail: String,
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
    /// Status in the previous packet (`absent` when it was not there).
    pub before: String,
    /// Status now (`absent` when it is no longer there).
    pub after: String,
}

/// The "changes since the previous packet" section.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Changes {
    /// The previous packet's id, when known.
    pub previous_id: Option<String>,
    /// When the previous snapshot was collected, when known.
    pub previous_collected_at: Option<String>,
    /// What the comparison rests on, for the reader.
    pub basis: String,
    /// Access present now and not before.
    pub access_gained: Vec<AccessChange>,
    /// Access present before and not now.
    pub access_lost: Vec<AccessChange>,
    /// Checks and controls whose status changed.
    pub status_changes: Vec<StatusChange>,
}

/// A subject as one line of text.
pub fn subject_text(s: &Subject) -> String {
    match &s.namespace {
        Some(ns) => format!("{} {}/{}", s.kind, ns, s.name),
        None => format!("{} {}", s.kind, s.name),
    }
}

/// A grant as one line of text.
pub fn grant_text(g: &Grant) -> String {
    let what = if !g.non_resource_urls.is_empty() {
        g.non_resource_urls.join(", ")
    } else {
        let mut r = g.resources.join(", ");
        if !g.resource_names.is_empty() {
            r.push_str(&format!(" (named {})", g.resource_names.join(", ")));
        }
        r
    };
    let scope = match &g.namespace {
        Some(ns) => format!("in {ns}"),
        None => "cluster-wide".to_string(),
    };
    format!("{} {} {} via {}", g.verbs.join(", "), what, scope, g.via)
}

/// Compares the previous packet with this one. Access is compared on the effective-access
/// reviews ([`crate::controls::access_changes`]: a permission that moved from one binding to
/// another is not a change), taken from the previous findings or, when only the previous
/// snapshot is at hand, computed from it; statuses are compared when the previous findings
/// are given.
pub fn compute_changes(prev: &PreviousPacket, findings: &Findings) -> Changes {
    let mut ch = Changes {
        previous_id: prev.id.clone(),
        previous_collected_at: prev.snapshot.as_ref().map(|s| {
            s.collected_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        }),
        ..Changes::default()
    };
    let before = match (&prev.findings, &prev.snapshot) {
        (Some(pf), _) => Some(pf.access_review.clone()),
        (None, Some(ps)) => crate::controls::model::rbac::Model::from_snapshot(ps)
            .ok()
            .map(|m| m.access_review()),
        (None, None) => None,
    };
    let Some(before) = before else {
        ch.basis = "nothing: the previous packet's RBAC evidence was not available, so access changes cannot be shown".into();
        return ch;
    };
    for c in crate::controls::access_changes(&before, &findings.access_review) {
        let row = AccessChange {
            subject: subject_text(&c.subject),
            detail: grant_text(&c.grant),
        };
        match c.change {
            crate::controls::ChangeKind::Granted => ch.access_gained.push(row),
            crate::controls::ChangeKind::Removed => ch.access_lost.push(row),
        }
    }
    if let Some(pf) = &prev.findings {
        ch.basis =
            "the effective-access review and the check and control statuses of both packets".into();
        let checks = |f: &Findings| -> BTreeMap<String, (String, String)> {
            f.checks
                .iter()
                .map(|c| (c.id.clone(), (c.title.clone(), c.status.to_string())))
                .collect()
        };
        diff_status(
            "check",
            &checks(pf),
            &checks(findings),
            &mut ch.status_changes,
        );
        let controls = |f: &Findings| -> BTreeMap<String, (String, String)> {
            f.controls
                .iter()
                .map(|c| {
                    (
                        format!("{} {}", c.framework, c.id),
                        (c.title.clone(), c.status.to_string()),
                    )
                })
                .collect()
        };
        diff_status(
            "control",
            &controls(pf),
            &controls(findings),
            &mut ch.status_changes,
        );
    } else {
        ch.basis = "the effective-access review of both snapshots (the previous findings were not given, so statuses are not compared)".into();
    }
    ch
}

fn diff_status(
    what: &str,
    before: &BTreeMap<String, (String, String)>,
    after: &BTreeMap<String, (String, String)>,
    out: &mut Vec<StatusChange>,
) {
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
