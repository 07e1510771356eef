//! "Changes since the previous packet": access gained and lost, statuses that changed.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

use super::PreviousPacket;
use crate::findings::{Findings, Grant, Subject};
use crate::snapshot::Snapshot;

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

/// Compares the previous packet with this one. With the previous findings, access is
/// compared on the effective-access review and statuses on checks and controls; with only
/// the previous snapshot, access is compared on the subjects of RoleBindings and
/// ClusterRoleBindings.
pub fn compute_changes(prev: &PreviousPacket, snapshot: &Snapshot, findings: &Findings) -> Changes {
    let mut ch = Changes {
        previous_id: prev.id.clone(),
        previous_collected_at: prev.snapshot.as_ref().map(|s| {
            s.collected_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        }),
        ..Changes::default()
    };
    if let Some(pf) = &prev.findings {
        ch.basis =
            "the effective-access review and the check and control statuses of both packets".into();
        let grants = |f: &Findings| -> BTreeSet<(String, String)> {
            f.access_review
                .iter()
                .flat_map(|a| {
                    let s = subject_text(&a.subject);
                    a.grants.iter().map(move |g| (s.clone(), grant_text(g)))
                })
                .collect()
        };
        let (before, after) = (grants(pf), grants(findings));
        ch.access_gained = after
            .difference(&before)
            .map(|(s, d)| AccessChange {
                subject: s.clone(),
                detail: d.clone(),
            })
            .collect();
        ch.access_lost = before
            .difference(&after)
            .map(|(s, d)| AccessChange {
                subject: s.clone(),
                detail: d.clone(),
            })
            .collect();
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
    } else if let Some(ps) = &prev.snapshot {
        match (binding_subjects(ps), binding_subjects(snapshot)) {
            (Some(before), Some(after)) => {
                ch.basis = "the subjects of RoleBindings and ClusterRoleBindings in both snapshots (the previous findings were not given, so statuses are not compared)".into();
                ch.access_gained = after
                    .difference(&before)
                    .map(|(s, d)| AccessChange {
                        subject: s.clone(),
                        detail: d.clone(),
                    })
                    .collect();
                ch.access_lost = before
                    .difference(&after)
                    .map(|(s, d)| AccessChange {
                        subject: s.clone(),
                        detail: d.clone(),
                    })
                    .collect();
            }
            _ => {
                ch.basis = "nothing: RoleBindings or ClusterRoleBindings were not collected in one of the two snapshots, so access changes cannot be shown".into();
            }
        }
    } else {
        ch.basis = "nothing: the previous packet's snapshot and findings were not available".into();
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

/// (subject, "via Kind ns/name → roleRef") for every binding subject, or `None` when the
/// bindings were not collected.
fn binding_subjects(s: &Snapshot) -> Option<BTreeSet<(String, String)>> {
    let mut out = BTreeSet::new();
    for (key, kind) in [
        ("rolebindings.rbac.authorization.k8s.io", "RoleBinding"),
        (
            "clusterrolebindings.rbac.authorization.k8s.io",
            "ClusterRoleBinding",
        ),
    ] {
        let items = s.items(key).ok()?;
        for b in items {
            let (ns, name) = crate::snapshot::object_ref(b);
            let role = b
                .get("roleRef")
                .map(|r| {
                    format!(
                        "{} {}",
                        r.get("kind").and_then(Value::as_str).unwrap_or(""),
                        r.get("name").and_then(Value::as_str).unwrap_or("")
                    )
                })
                .unwrap_or_default();
            let via = if ns.is_empty() {
                format!("{role} via {kind} {name}")
            } else {
                format!("{role} in {ns} via {kind} {ns}/{name}")
            };
            for subj in b
                .get("subjects")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let f = |k: &str| subj.get(k).and_then(Value::as_str).unwrap_or("");
                let who = if f("namespace").is_empty() {
                    format!("{} {}", f("kind"), f("name"))
                } else {
                    format!("{} {}/{}", f("kind"), f("namespace"), f("name"))
                };
                out.insert((who, via.clone()));
            }
        }
    }
    Some(out)
}
