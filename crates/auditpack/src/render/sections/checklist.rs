//! "Evidence collection checklist": what an auditor usually asks for, whether this
//! packet holds it, the kinds that were not collected, and the secret material removed.

use serde::Serialize;

use super::shared::{kind_display, status_word};
use crate::render::evidence::evidence_file_name;
use crate::snapshot::{Checklist, KindInfo, Snapshot};

pub const TEMPLATE: &str = r##"## Appendix C. Evidence collection checklist {{ "evidence-checklist" | anchor }}

What an auditor usually asks for, the command that produces it, what it proves, and whether
this packet holds it. "No" means the evidence is not in this packet: nothing is claimed from it.

| Evidence | Command | What it proves | Collected? | Detail |
|---|---|---|---|---|
{% for e in checklist %}| {{ e.evidence }} | {{ e.command | code(cell=true) }} | {{ e.proves }} | {% if e.collected %}yes{% else %}**no**{% endif %} | {{ e.detail }}{% for f in e.files %}; {{ f | evidence_link | safe }}{% endfor %} |
{% endfor %}
{% if uncollected %}
Kinds that were not collected (no check may pass on them):

| Kind | Status | Reason |
|---|---|---|
{% for u in uncollected %}| {{ u.key | code(cell=true) }} | {{ u.status }} | {{ u.reason }} |
{% endfor %}{% endif %}
{% if redactions %}
Secret material removed before anything was written ({{ redactions | length }} removals; the full list is in `evidence/snapshot.json`):

| Kind | Object | Where | Why |
|---|---|---|---|
{% for r in redactions | slice(end=10) %}| {{ r.kind }} | {{ r.object }} | {{ r.field | code(cell=true) }} | {{ r.reason }} |
{% endfor %}{% if redactions | length > 10 %}
… and {{ redactions | length - 10 }} more removals: [`evidence/snapshot.json`](evidence/snapshot.json) (`redactions`).
{% endif %}{% endif %}
"##;

#[derive(Debug, Clone, Serialize)]
pub struct ChecklistRow {
    pub evidence: String,
    pub command: String,
    pub proves: String,
    pub collected: bool,
    pub detail: String,
    pub files: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct KindStatusView {
    pub key: String,
    pub status: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct RedactionView {
    pub kind: String,
    pub object: String,
    pub pointer: String,
    /// The pointer as a field path (`data["password"]`).
    pub field: String,
    pub reason: String,
}

/// Whether the snapshot holds each row's evidence (the rows are [`Checklist::ALL`]; each
/// kind names its row, so a new kind cannot be left out).
pub fn rows(s: &Snapshot) -> Vec<ChecklistRow> {
    Checklist::ALL
        .into_iter()
        .map(|spec| {
            let (collected, detail, files) = match spec {
                Checklist::EncryptionConfig => match &s.encryption_config {
                    Some(f) => (
                        true,
                        format!("{} (sha256 {})", f.path, short(&f.sha256)),
                        vec!["evidence/encryption-configuration.yaml".into()],
                    ),
                    None => (false, "no EncryptionConfiguration was given".into(), vec![]),
                },
                Checklist::AuditPolicy => match &s.audit_policy {
                    Some(f) => (
                        true,
                        format!("{} (sha256 {})", f.path, short(&f.sha256)),
                        vec!["evidence/audit-policy.yaml".into()],
                    ),
                    None => (false, "no audit Policy was given".into(), vec![]),
                },
                Checklist::AuditLog => match &s.audit_log {
                    Some(_) => (
                        true,
                        "summary in evidence/snapshot.json".into(),
                        vec!["evidence/snapshot.json".into()],
                    ),
                    None => (false, "no audit log was given".into(), vec![]),
                },
                _ => kinds_held(s, &spec.kinds().collect::<Vec<_>>()),
            };
            ChecklistRow {
                evidence: spec.evidence().into(),
                command: spec.command().into(),
                proves: spec.proves().into(),
                collected,
                detail,
                files,
            }
        })
        .collect()
}

/// Whether the kinds are evidence (all of them; any of them when every one is an
/// optional CRD kind, such as the meshes), a detail per kind, and their evidence files.
fn kinds_held(s: &Snapshot, kinds: &[&KindInfo]) -> (bool, String, Vec<String>) {
    let mut parts = Vec::new();
    let mut files = Vec::new();
    let mut all = true;
    let mut any = false;
    for k in kinds.iter().map(|k| k.key) {
        let st = s.resources.get(k);
        let ok = st.is_some_and(|c| c.status.is_evidence());
        let word = st.map_or("not-collected", |c| status_word(c.status));
        all &= ok;
        any |= ok;
        if ok && let Some(f) = evidence_file_name(k) {
            files.push(format!("evidence/{f}"));
        }
        let n = st.map_or(0, |c| c.items.len());
        parts.push(if ok {
            format!(
                "{}: {word}, {n} {}",
                kind_display(k),
                if n == 1 { "object" } else { "objects" }
            )
        } else {
            format!("{}: {word}", kind_display(k))
        });
    }
    let optional = kinds.iter().all(|k| k.optional);
    (if optional { any } else { all }, parts.join("; "), files)
}

fn short(h: &str) -> &str {
    &h[..h.len().min(12)]
}

/// The kinds that were not collected (no check may pass on them).
pub fn uncollected(s: &Snapshot) -> Vec<KindStatusView> {
    s.resources
        .iter()
        .filter(|(_, c)| !c.status.is_evidence())
        .map(|(k, c)| KindStatusView {
            key: k.clone(),
            status: status_word(c.status).into(),
            reason: c.reason.clone().unwrap_or_default(),
        })
        .collect()
}

/// The secret material removed before anything was written.
pub fn redactions(s: &Snapshot) -> Vec<RedactionView> {
    s.redactions
        .iter()
        .map(|r| RedactionView {
            kind: r.kind.clone(),
            object: match &r.namespace {
                Some(ns) => format!("{ns}/{}", r.name),
                None => r.name.clone(),
            },
            field: crate::render::escape::field_path(&r.pointer),
            pointer: r.pointer.clone(),
            reason: r.reason.clone(),
        })
        .collect()
}
