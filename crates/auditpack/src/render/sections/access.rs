//! "Effective-access review": who holds which permissions after RBAC aggregation and
//! bindings are resolved, and the powers an auditor should question.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::findings::{Findings, SubjectAccess};

pub const TEMPLATE: &str = r##"## Appendix B. Effective-access review {{ "access-review" | anchor }}

Who holds which permissions, after RBAC aggregation and bindings are resolved. Flags mark
powers an auditor should question: cluster-admin, wildcards, reading Secrets, escalate,
bind, impersonate, pods/exec, use of a namespace's default ServiceAccount.

| Subject | Scope | Key permissions | Flags |
|---|---|---|---|
{% for a in access_review | slice(end=20) %}| {{ a.subject }} | {{ a.scope }} | {% for p in a.permissions %}{{ p }}{% if not loop.last %}; {% endif %}{% endfor %}{% if a.more_permissions > 0 %}; and {{ a.more_permissions }} more{% endif %} | {% for f in a.flags %}**{{ f }}**{% if not loop.last %}, {% endif %}{% else %}—{% endfor %} |
{% else %}| no subjects in the access review | | | |
{% endfor %}{% if access_review | length > 20 %}
… and {{ access_review | length - 20 }} more subjects: every one is in [`findings.json`](findings.json) (`accessReview`).
{% endif %}

"##;

/// At most this many permissions are listed per subject (then "and N more").
const MAX_PERMISSIONS: usize = 3;
/// At most this many namespaces are named in a subject's scope.
const MAX_SCOPE_NAMESPACES: usize = 5;

#[derive(Debug, Clone, Serialize)]
pub struct AccessRow {
    pub subject: String,
    pub kind: String,
    pub scope: String,
    /// Every namespace the subject holds a namespaced grant in (sorted).
    pub namespaces: Vec<String>,
    pub permissions: Vec<String>,
    pub more_permissions: usize,
    pub flags: Vec<String>,
}

/// One row per subject of the findings' access review.
pub fn build(f: &Findings) -> Vec<AccessRow> {
    let mut rows: Vec<AccessRow> = f.access_review.iter().map(row).collect();
    // Flagged subjects first: the table lists a bounded number of rows.
    rows.sort_by_key(|r| r.flags.is_empty());
    rows
}

fn row(a: &SubjectAccess) -> AccessRow {
    let cluster_wide = a.grants.iter().any(|g| g.namespace.is_none());
    let nss: BTreeSet<&str> = a
        .grants
        .iter()
        .filter_map(|g| g.namespace.as_deref())
        .collect();
    let mut perms: Vec<String> = Vec::new();
    let mut seen = BTreeSet::new();
    for g in &a.grants {
        let t = g.to_string();
        if seen.insert(t.clone()) {
            perms.push(t);
        }
    }
    let more = perms.len().saturating_sub(MAX_PERMISSIONS);
    perms.truncate(MAX_PERMISSIONS);
    AccessRow {
        subject: a.subject.to_string(),
        kind: a.subject.kind.clone(),
        scope: scope(cluster_wide, &nss),
        namespaces: nss.iter().map(|n| n.to_string()).collect(),
        permissions: perms,
        more_permissions: more,
        flags: a.flags.clone(),
    }
}

/// `cluster-wide`, `cluster-wide, and 2 namespace(s)`, `a, b and 3 more`, or `none`.
fn scope(cluster_wide: bool, nss: &BTreeSet<&str>) -> String {
    if cluster_wide {
        return if nss.is_empty() {
            "cluster-wide".to_string()
        } else {
            format!(
                "cluster-wide, and {} {}",
                nss.len(),
                if nss.len() == 1 {
                    "namespace"
                } else {
                    "namespaces"
                }
            )
        };
    }
    if nss.is_empty() {
        return "none".to_string();
    }
    let shown: Vec<&str> = nss.iter().take(MAX_SCOPE_NAMESPACES).copied().collect();
    let more = nss.len().saturating_sub(MAX_SCOPE_NAMESPACES);
    if more > 0 {
        format!("{} and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}
