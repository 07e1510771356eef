//! What changed between two snapshots: access granted and removed, bindings and roles,
//! NetworkPolicies, Pod Security labels, workloads.
//!
//! A kind that was not collected on either side is never reported as "unchanged": it is
//! listed in [`Diff::not_compared`].

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::changes::{Evidence, changes};
use crate::controls::{AccessChange, ChangeKind};
pub use crate::snapshot::Category;
use crate::snapshot::{Items, KINDS, Snapshot, kinds};

/// Everything that changed between two snapshots.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Diff {
    /// The older snapshot.
    pub old: Side,
    /// The newer snapshot.
    pub new: Side,
    /// Permissions granted and removed, per subject (from the effective-access reviews);
    /// a permission that moved from one binding to another is not a change of access.
    pub access: Vec<AccessChange>,
    /// Objects added, removed or changed, by category.
    pub objects: Vec<ObjectChange>,
    /// Pod Security Standards labels changed on namespaces.
    pub pss_labels: Vec<LabelChange>,
    /// Kinds that could not be compared because one side did not collect them.
    pub not_compared: Vec<String>,
}

/// Which snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Side {
    /// Collection time (RFC 3339).
    pub collected_at: String,
    /// Cluster or server, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
}

/// Added, removed or changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Change {
    /// Present only in the newer snapshot.
    Added,
    /// Present only in the older snapshot.
    Removed,
    /// Present in both, different.
    Changed,
}

/// One object that changed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectChange {
    /// Category.
    pub category: Category,
    /// Snapshot kind key.
    pub kind: String,
    /// Namespace, for namespaced objects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Name.
    pub name: String,
    /// What happened.
    pub change: Change,
    /// JSON pointers of the parts that differ (changed objects only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
}

/// A Pod Security label that changed on a namespace.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LabelChange {
    /// Namespace.
    pub namespace: String,
    /// Label key (`pod-security.kubernetes.io/enforce`).
    pub label: String,
    /// Old value (`None`: absent).
    pub old: Option<String>,
    /// New value (`None`: removed).
    pub new: Option<String>,
}

const PSS_PREFIX: &str = "pod-security.kubernetes.io/";

/// Compares two snapshots. Access is compared with `super::changes()` on the
/// effective-access reviews computed from each snapshot's RBAC: moving a permission from
/// one binding to another is not a change of access, and when RBAC was not collected in
/// both, access is listed in [`Diff::not_compared`].
pub fn diff(old: &Snapshot, new: &Snapshot) -> Diff {
    let (objects, pss_labels, mut not_compared) = object_changes(old, new);
    let access = changes(&Evidence::snapshot(old), &Evidence::snapshot(new))
        .access
        .unwrap_or_else(|| {
            not_compared.push("effective access (RBAC was not collected in both)".into());
            Vec::new()
        });
    Diff {
        old: side(old),
        new: side(new),
        access,
        objects,
        pss_labels,
        not_compared,
    }
}

/// The objects and Pod Security labels that changed (sorted), and the kinds that could
/// not be compared.
fn object_changes(
    old: &Snapshot,
    new: &Snapshot,
) -> (Vec<ObjectChange>, Vec<LabelChange>, Vec<String>) {
    let mut objects = Vec::new();
    let mut not_compared = Vec::new();
    let mut pss_labels = Vec::new();
    // Each compared kind, grouped by category (the order of `notCompared`).
    let compared = Category::ALL.into_iter().flat_map(|c| {
        KINDS
            .iter()
            .filter(move |k| k.category == Some(c))
            .map(move |k| (k.key, c))
    });
    for (key, category) in compared {
        let (a, b) = match (old.collected(key), new.collected(key)) {
            (Ok(a), Ok(b)) => (a, b),
            _ => {
                let either_has_it =
                    old.resources.contains_key(key) || new.resources.contains_key(key);
                if either_has_it {
                    not_compared.push(key.to_string());
                }
                continue;
            }
        };
        // Each object parsed once, into the form compared (no copy kept with the snapshot).
        let index = |items: &Items| -> BTreeMap<(String, String), Value> {
            items
                .iter()
                .map(|o| {
                    let id = (o.namespace().to_string(), o.name().to_string());
                    (id, comparable(o.value()))
                })
                .collect()
        };
        let (a, b) = (index(a), index(b));
        for (id, obj) in &a {
            match b.get(id) {
                None => objects.push(change(category, key, id, Change::Removed, Vec::new())),
                Some(other) if other != obj => objects.push(change(
                    category,
                    key,
                    id,
                    Change::Changed,
                    changed_fields(obj, other),
                )),
                Some(_) => {}
            }
            if key == kinds::NAMESPACES.key {
                pss_labels.extend(label_changes(&id.1, obj, b.get(id)));
            }
        }
        for (id, obj) in &b {
            if !a.contains_key(id) {
                objects.push(change(category, key, id, Change::Added, Vec::new()));
                if key == kinds::NAMESPACES.key {
                    pss_labels.extend(label_changes(&id.1, &Value::Null, Some(obj)));
                }
            }
        }
    }
    objects.sort();
    pss_labels.sort();
    (objects, pss_labels, not_compared)
}

fn side(s: &Snapshot) -> Side {
    Side {
        collected_at: s
            .collected_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        cluster: s.source.cluster.clone().or_else(|| s.source.server.clone()),
    }
}

fn change(
    category: Category,
    key: &str,
    id: &(String, String),
    change: Change,
    fields: Vec<String>,
) -> ObjectChange {
    ObjectChange {
        category,
        kind: key.to_string(),
        namespace: (!id.0.is_empty()).then(|| id.0.clone()),
        name: id.1.clone(),
        change,
        fields,
    }
}

/// The object without what changes on every write (resourceVersion, uid, timestamps,
/// generation, status), so only meaningful edits count.
fn comparable(mut o: Value) -> Value {
    if let Some(m) = o.as_object_mut() {
        m.remove("status");
        if let Some(meta) = m.get_mut("metadata").and_then(Value::as_object_mut) {
            for noise in [
                "resourceVersion",
                "uid",
                "creationTimestamp",
                "generation",
                "managedFields",
                "selfLink",
            ] {
                meta.remove(noise);
            }
            if let Some(ann) = meta.get_mut("annotations").and_then(Value::as_object_mut) {
                ann.remove("deployment.kubernetes.io/revision");
                if ann.is_empty() {
                    meta.remove("annotations");
                }
            }
        }
    }
    o
}

/// Pointers to the parts that differ: two levels deep (`/spec/podSelector`, `/rules`).
fn changed_fields(a: &Value, b: &Value) -> Vec<String> {
    let mut out = BTreeSet::new();
    let empty = serde_json::Map::new();
    let (ma, mb) = (
        a.as_object().unwrap_or(&empty),
        b.as_object().unwrap_or(&empty),
    );
    for key in ma.keys().chain(mb.keys()) {
        let (va, vb) = (ma.get(key), mb.get(key));
        if va == vb {
            continue;
        }
        match (va.and_then(Value::as_object), vb.and_then(Value::as_object)) {
            (Some(ia), Some(ib)) if key == "spec" || key == "metadata" => {
                for sub in ia.keys().chain(ib.keys()) {
                    if ia.get(sub) != ib.get(sub) {
                        out.insert(format!("/{}/{}", escape(key), escape(sub)));
                    }
                }
            }
            _ => {
                out.insert(format!("/{}", escape(key)));
            }
        }
    }
    out.into_iter().collect()
}

fn escape(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

fn label_changes(namespace: &str, old: &Value, new: Option<&Value>) -> Vec<LabelChange> {
    let pss = |o: Option<&Value>| -> BTreeMap<String, String> {
        o.and_then(|o| o.pointer("/metadata/labels"))
            .and_then(Value::as_object)
            .map(|l| {
                l.iter()
                    .filter(|(k, _)| k.starts_with(PSS_PREFIX))
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                    .collect()
            })
            .unwrap_or_default()
    };
    let (a, b) = (pss(Some(old)), pss(new));
    let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .map(|k| LabelChange {
            namespace: namespace.to_string(),
            label: k.clone(),
            old: a.get(k).cloned(),
            new: b.get(k).cloned(),
        })
        .collect()
}

fn object_text(c: &ObjectChange) -> String {
    let id = match &c.namespace {
        Some(ns) => format!("{} {}/{}", c.kind, ns, c.name),
        None => format!("{} {}", c.kind, c.name),
    };
    if c.fields.is_empty() {
        id
    } else {
        format!("{id} ({})", c.fields.join(", "))
    }
}

fn label_text(l: &LabelChange) -> String {
    format!(
        "namespace {}: {} {} -> {}",
        l.namespace,
        l.label,
        l.old.as_deref().unwrap_or("(unset)"),
        l.new.as_deref().unwrap_or("(unset)")
    )
}

const CATEGORY_TITLES: &[(Category, &str)] = &[
    (Category::Access, "Bindings, roles and ServiceAccounts"),
    (Category::Network, "Network policies"),
    (Category::Workload, "Workloads"),
    (Category::Platform, "Namespaces and admission control"),
];

impl Diff {
    /// True when nothing changed and everything could be compared.
    pub fn is_empty(&self) -> bool {
        self.access.is_empty()
            && self.objects.is_empty()
            && self.pss_labels.is_empty()
            && self.not_compared.is_empty()
    }

    /// Plain text, one change per line.
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "changes from {} to {}\n",
            self.old.collected_at, self.new.collected_at
        );
        for d in [ChangeKind::Granted, ChangeKind::Removed] {
            for c in self.access.iter().filter(|c| c.change == d) {
                let verb = if d == ChangeKind::Granted {
                    "granted"
                } else {
                    "removed"
                };
                let _ = writeln!(out, "access {verb}: {}: {}", c.subject, c.grant);
            }
        }
        for c in &self.objects {
            let verb = match c.change {
                Change::Added => "added",
                Change::Removed => "removed",
                Change::Changed => "changed",
            };
            let _ = writeln!(out, "{verb}: {}", object_text(c));
        }
        for l in &self.pss_labels {
            let _ = writeln!(out, "pod security label: {}", label_text(l));
        }
        for k in &self.not_compared {
            let _ = writeln!(out, "not compared: {k} (not collected in both snapshots)");
        }
        if self.is_empty() {
            out.push_str("no changes\n");
        }
        out
    }

    /// Markdown, with a section per kind of change.
    pub fn to_markdown(&self) -> String {
        let mut out = format!(
            "## Changes since the previous snapshot\n\nFrom {} to {}.\n\n",
            self.old.collected_at, self.new.collected_at
        );
        if self.is_empty() {
            out.push_str("No changes.\n");
            return out;
        }
        let md = |s: &str| crate::history::escape_markdown(s);
        for (d, title) in [
            (ChangeKind::Granted, "Access granted"),
            (ChangeKind::Removed, "Access removed"),
        ] {
            let rows: Vec<&AccessChange> = self.access.iter().filter(|c| c.change == d).collect();
            if rows.is_empty() {
                continue;
            }
            let _ = writeln!(
                out,
                "### {title}\n\n| Subject | Permission |\n| --- | --- |"
            );
            for c in rows {
                let _ = writeln!(
                    out,
                    "| {} | {} |",
                    md(&c.subject.to_string()),
                    md(&c.grant.to_string())
                );
            }
            out.push('\n');
        }
        for (cat, title) in CATEGORY_TITLES {
            let rows: Vec<&ObjectChange> =
                self.objects.iter().filter(|c| c.category == *cat).collect();
            if rows.is_empty() {
                continue;
            }
            let _ = writeln!(out, "### {title}\n\n| Change | Object |\n| --- | --- |");
            for c in rows {
                let verb = match c.change {
                    Change::Added => "added",
                    Change::Removed => "removed",
                    Change::Changed => "changed",
                };
                let _ = writeln!(out, "| {verb} | {} |", md(&object_text(c)));
            }
            out.push('\n');
        }
        if !self.pss_labels.is_empty() {
            out.push_str("### Pod Security labels\n\n| Namespace | Label | Before | After |\n| --- | --- | --- | --- |\n");
            for l in &self.pss_labels {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} |",
                    md(&l.namespace),
                    md(&l.label),
                    md(l.old.as_deref().unwrap_or("(unset)")),
                    md(l.new.as_deref().unwrap_or("(unset)"))
                );
            }
            out.push('\n');
        }
        if !self.not_compared.is_empty() {
            out.push_str("### Not compared\n\nThese kinds were not collected in both snapshots, so their changes are unknown:\n\n");
            for k in &self.not_compared {
                let _ = writeln!(out, "- {}", md(k));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::Source;
    use chrono::{TimeZone, Utc};
    use serde_json::json;

    fn snap(objects: Vec<Value>) -> Snapshot {
        let mut s = Snapshot::new(
            Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
            Source::default(),
        );
        for k in crate::snapshot::KINDS {
            s.mark_collected(k.key);
        }
        for o in objects {
            s.add_object(o);
        }
        s
    }

    fn rb(name: &str, subject: &str, rv: &str) -> Value {
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
               "metadata": {"name": name, "namespace": "production", "resourceVersion": rv},
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r"},
               "subjects": [{"kind": "User", "name": subject}]})
    }

    #[test]
    fn bindings_added_removed_and_changed_are_listed_and_noise_is_not() {
        let old = snap(vec![
            rb("keep", "a", "1"),
            rb("gone", "b", "1"),
            rb("edit", "c", "1"),
        ]);
        let new = snap(vec![
            rb("keep", "a", "2"),
            rb("edit", "d", "2"),
            rb("fresh", "e", "2"),
        ]);
        let d = diff(&old, &new);
        let got: Vec<(String, Change)> = d
            .objects
            .iter()
            .map(|c| (c.name.clone(), c.change))
            .collect();
        assert_eq!(
            got,
            vec![
                ("edit".into(), Change::Changed),
                ("fresh".into(), Change::Added),
                ("gone".into(), Change::Removed)
            ]
        );
        assert_eq!(d.objects[0].fields, vec!["/subjects".to_string()]);
        // Comparing parses each object once and keeps no parsed copy with either snapshot.
        for s in [&old, &new] {
            assert!(s.resources.values().all(|c| !c.items.is_parsed()));
        }
    }

    #[test]
    fn pss_label_changes_are_reported_per_label() {
        let ns = |enforce: Option<&str>| {
            let mut labels = serde_json::Map::new();
            if let Some(e) = enforce {
                labels.insert("pod-security.kubernetes.io/enforce".into(), json!(e));
            }
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "production", "labels": labels}})
        };
        let d = diff(
            &snap(vec![ns(Some("restricted"))]),
            &snap(vec![ns(Some("baseline"))]),
        );
        assert_eq!(d.pss_labels.len(), 1);
        assert_eq!(d.pss_labels[0].old.as_deref(), Some("restricted"));
        assert_eq!(d.pss_labels[0].new.as_deref(), Some("baseline"));
        let d = diff(&snap(vec![ns(Some("restricted"))]), &snap(vec![ns(None)]));
        assert_eq!(d.pss_labels[0].new, None);
    }

    #[test]
    fn a_kind_missing_on_one_side_is_not_compared_rather_than_unchanged() {
        let old = snap(vec![rb("x", "a", "1")]);
        let mut new = snap(vec![]);
        new.mark(
            kinds::ROLE_BINDINGS.key,
            crate::snapshot::CollectionStatus::Forbidden,
            "403",
        );
        let d = diff(&old, &new);
        assert!(d.objects.iter().all(|c| c.kind != kinds::ROLE_BINDINGS.key));
        // Without the bindings there is no effective-access review to compare either.
        assert_eq!(
            d.not_compared,
            vec![
                kinds::ROLE_BINDINGS.key.to_string(),
                "effective access (RBAC was not collected in both)".to_string()
            ]
        );
        assert!(d.access.is_empty());
        assert!(d.to_text().contains("not compared: rolebindings"));
    }
}
