//! The data the templates see: built once from the snapshot and findings.
//!
//! Field names here are the template interface (documented in docs/render.md); every
//! string in it is plain text, escaped by the templates' autoescape, except the fields
//! named `*_md`, which are Markdown built here (already escaped).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::{Value, json};

use super::changes::{Changes, grant_text, subject_text};
use super::escape::{fenced, slug};
use super::evidence::{ObjectIndex, evidence_file_name, excerpt, to_yaml};
use super::{Period, PreviousPacket};
use crate::findings::{CheckResult, Findings, Observation, Status};
use crate::snapshot::{Checklist, CollectionStatus, KindInfo, Snapshot, kind_by_key};

/// At most this many evidence excerpts are shown under one check (the rest are in
/// `evidence/`).
pub const MAX_EXCERPTS: usize = 12;
/// At most this many gap observations are listed under one auditor answer.
pub const MAX_ANSWER_GAPS: usize = 10;
/// At most this many observations of one check are listed in the packet's text (gaps
/// first); every one is in `findings.json`. A table of forty thousand pods helps no reader,
/// and building it dominated the time and memory of rendering a large cluster.
pub const MAX_LISTED: usize = 250;

pub struct Inputs<'a> {
    pub snapshot: &'a Snapshot,
    pub findings: &'a Findings,
    pub index: &'a ObjectIndex<'a>,
    pub id: &'a str,
    pub snapshot_sha256: &'a str,
    pub period: &'a Period,
    pub now: DateTime<Utc>,
    pub previous: Option<&'a PreviousPacket>,
    pub changes: Option<&'a Changes>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Context {
    pub packet: PacketInfo,
    #[serde(skip)]
    pub kubernetes_version_raw: Option<String>,
    pub summary: Summary,
    pub frameworks: Vec<FrameworkView>,
    pub columns: Vec<Column>,
    pub matrix: Vec<MatrixRow>,
    pub checks: Vec<CheckView>,
    pub checklist: Vec<ChecklistRow>,
    pub uncollected: Vec<KindStatusView>,
    pub access_review: Vec<AccessRow>,
    pub changes: Option<Changes>,
    pub redactions: Vec<RedactionView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PacketInfo {
    pub id: String,
    pub cluster: String,
    /// The snapshot names the cluster (name, context or server); else `cluster` is the
    /// placeholder `cluster`.
    pub cluster_named: bool,
    pub kubernetes_version: String,
    pub collected_at: String,
    pub collected_by: String,
    pub collected_by_groups: Vec<String>,
    pub rendered_at: String,
    pub period_start: String,
    pub period_end: String,
    pub period_label: String,
    pub frameworks: Vec<FrameworkName>,
    pub source_mode: String,
    pub server: Option<String>,
    pub context: Option<String>,
    pub scope: String,
    pub snapshot_sha256: String,
    pub previous_id: Option<String>,
    pub previous_manifest_sha256: Option<String>,
    /// Key id that verified the previous packet before it was linked.
    pub previous_verified_by: Option<String>,
    pub previous_verified_name: Option<String>,
    /// `signing-key` or `trusted-keys`.
    pub previous_trust: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FrameworkName {
    pub id: String,
    pub name: String,
    pub source: String,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct Summary {
    pub checks: BTreeMap<String, usize>,
    pub controls: BTreeMap<String, usize>,
    pub check_total: usize,
    pub control_total: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Column {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ControlRef {
    pub framework: String,
    pub id: String,
    pub anchor: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct MatrixRow {
    pub check: String,
    pub anchor: String,
    pub title: String,
    pub resource: String,
    pub status: String,
    /// One entry per column (framework), in column order.
    pub controls: Vec<Vec<ControlRef>>,
    pub evidence: Vec<String>,
    pub commands: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FrameworkView {
    pub id: String,
    pub name: String,
    pub source: String,
    pub anchor: String,
    pub controls: Vec<ControlView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ControlView {
    pub id: String,
    pub anchor: String,
    pub title: String,
    pub requirement: String,
    pub status: String,
    pub checks: Vec<CheckRef>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckRef {
    pub id: String,
    pub anchor: String,
    pub title: String,
    pub status: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ObsView {
    pub status: String,
    pub message: String,
    /// The message as a sentence: first word capitalised when it is a plain lowercase
    /// word, a full stop added when it ends without one (for joining several in prose).
    pub sentence: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
    pub pointer: String,
    /// `Kind namespace/name`.
    pub object: String,
    pub location: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExcerptView {
    /// `Kind namespace/name at /pointer`, as plain text.
    pub label: String,
    /// `Kind namespace/name`.
    pub object: String,
    /// JSON pointer into the object (empty for the whole object).
    pub pointer: String,
    pub yaml_md: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckView {
    pub id: String,
    pub anchor: String,
    pub title: String,
    pub resource: String,
    pub status: String,
    pub explanation: String,
    pub remediation: Option<String>,
    pub commands: Vec<String>,
    pub observations: Vec<ObsView>,
    /// How many observations the check has, and how many are not listed in the text.
    pub observations_total: usize,
    pub observations_omitted: usize,
    pub pass_obs: Vec<ObsView>,
    pub gap_obs: Vec<ObsView>,
    /// How many gap and manual observations there are (the lists hold at most
    /// [`MAX_LISTED`]).
    pub gap_total: usize,
    pub manual_total: usize,
    /// Observations that need a human attestation (`manual`), whatever the check's status.
    pub manual_obs: Vec<ObsView>,
    /// Distinct objects named by the observations (`Kind namespace/name`).
    pub objects: Vec<String>,
    pub excerpts: Vec<ExcerptView>,
    pub excerpts_omitted: usize,
    pub controls: Vec<ControlRef>,
    pub evidence: Vec<String>,
    pub not_collected: bool,
}

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

#[derive(Debug, Clone, Serialize)]
pub struct RedactionView {
    pub kind: String,
    pub object: String,
    pub pointer: String,
    pub reason: String,
}

/// The name the packet uses for the cluster.
pub fn cluster_name(s: &Snapshot) -> String {
    s.source
        .cluster
        .clone()
        .or_else(|| s.source.context.clone())
        .or_else(|| {
            s.source.server.as_ref().map(|u| {
                u.split("://")
                    .last()
                    .unwrap_or(u)
                    .split(['/', ':'])
                    .next()
                    .unwrap_or(u)
                    .to_string()
            })
        })
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| "cluster".into())
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Display name of a kind key (`Role` for `roles.rbac.authorization.k8s.io`).
pub fn kind_display(key: &str) -> String {
    match key {
        k if kind_by_key(k).is_some() => kind_by_key(k).map(|i| i.kind.to_string()).unwrap(),
        other => other.to_string(),
    }
}

/// Where the evidence of a kind is in the packet, or why it is not.
pub fn evidence_location(s: &Snapshot, key: &str) -> String {
    match key {
        "EncryptionConfiguration" | "encryption-configuration" => {
            return if s.encryption_config.is_some() {
                "evidence/encryption-configuration.yaml".into()
            } else {
                "not collected (no EncryptionConfiguration was given)".into()
            };
        }
        "Policy" | "audit-policy" | "AuditPolicy" => {
            return if s.audit_policy.is_some() {
                "evidence/audit-policy.yaml".into()
            } else {
                "not collected (no audit Policy was given)".into()
            };
        }
        "audit-log" | "AuditLog" => {
            return if s.audit_log.is_some() {
                "evidence/snapshot.json (auditLog)".into()
            } else {
                "not collected (no audit log was given)".into()
            };
        }
        _ => {}
    }
    match s.resources.get(key) {
        Some(c) if c.status.is_evidence() => match evidence_file_name(key) {
            Some(f) => format!("evidence/{f}"),
            None => "evidence/snapshot.json".into(),
        },
        Some(c) => format!(
            "not collected ({}{})",
            status_word(c.status),
            c.reason
                .as_deref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default()
        ),
        None => "not collected".into(),
    }
}

fn status_word(s: CollectionStatus) -> &'static str {
    match s {
        CollectionStatus::Collected => "collected",
        CollectionStatus::Absent => "absent",
        CollectionStatus::Forbidden => "forbidden",
        CollectionStatus::Failed => "failed",
        CollectionStatus::NotCollected => "not-collected",
    }
}

/// `no binding names X` → `No binding names X.`; a first word that is not a plain
/// lowercase word (an object name, `kube-apiserver`) is left as it is.
fn sentence(message: &str) -> String {
    let m = message.trim();
    let first = m.split(' ').next().unwrap_or("");
    let mut out = if !first.is_empty() && first.chars().all(|c| c.is_ascii_lowercase()) {
        let mut cs = m.chars();
        let head = cs.next().map(|c| c.to_ascii_uppercase()).unwrap_or(' ');
        std::iter::once(head).chain(cs).collect()
    } else {
        m.to_string()
    };
    if !out.is_empty() && !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

fn obs_view(s: &Snapshot, o: &Observation) -> ObsView {
    let e = &o.evidence;
    let kind = kind_display(&e.kind);
    let object = match &e.namespace {
        // An observation about a set of objects names no single one.
        _ if e.name.is_empty() => format!("{kind} (no single object)"),
        Some(ns) => format!("{kind} {ns}/{}", e.name),
        None => format!("{kind} {}", e.name),
    };
    ObsView {
        status: o.status.to_string(),
        message: o.message.clone(),
        sentence: sentence(&o.message),
        kind,
        namespace: e.namespace.clone(),
        name: e.name.clone(),
        pointer: e.pointer.clone(),
        object,
        location: evidence_location(s, &e.kind),
    }
}

fn default_command(s: &Snapshot, c: &CheckResult) -> Vec<String> {
    let mut kinds: BTreeSet<&str> = BTreeSet::new();
    for o in &c.observations {
        if s.resources.contains_key(&o.evidence.kind) {
            kinds.insert(&o.evidence.kind);
        }
    }
    kinds
        .into_iter()
        .map(|k| {
            let namespaced = kind_by_key(k).is_none_or(|i| i.namespaced);
            if namespaced {
                format!("kubectl get {k} -A -o yaml")
            } else {
                format!("kubectl get {k} -o yaml")
            }
        })
        .collect()
}

fn check_view(
    inp: &Inputs,
    c: &CheckResult,
    controls: Vec<ControlRef>,
) -> Result<CheckView, super::RenderError> {
    let s = inp.snapshot;
    let is_gap = |o: &&Observation| matches!(o.status, Status::Fail | Status::Partial);
    let listed: Vec<&Observation> = if c.observations.len() <= MAX_LISTED {
        c.observations.iter().collect()
    } else {
        // Too many to list: the gaps first, since those are what the reader must see.
        c.observations
            .iter()
            .filter(is_gap)
            .chain(c.observations.iter().filter(|o| !is_gap(o)))
            .take(MAX_LISTED)
            .collect()
    };
    let observations: Vec<ObsView> = listed.iter().map(|o| obs_view(s, o)).collect();
    let views = |keep: &dyn Fn(&Observation) -> bool| -> (Vec<ObsView>, usize) {
        let all: Vec<&Observation> = c.observations.iter().filter(|o| keep(o)).collect();
        let views = all
            .iter()
            .take(MAX_LISTED)
            .map(|o| obs_view(s, o))
            .collect();
        (views, all.len())
    };
    let (pass_obs, _) = views(&|o| o.status == Status::Pass);
    let (gap_obs, gap_total) = views(&|o| matches!(o.status, Status::Fail | Status::Partial));
    let (manual_obs, manual_total) = views(&|o| o.status == Status::Manual);
    let mut objects: Vec<String> = Vec::new();
    let mut seen_obj = BTreeSet::new();
    for o in &observations {
        // An observation about a set of objects (`all 3 application pods ...`) names none.
        if o.name.is_empty() {
            continue;
        }
        if seen_obj.insert(o.object.clone()) {
            objects.push(o.object.clone());
        }
    }
    // Excerpts: gaps first (what the auditor must see), then the rest.
    let mut order: Vec<&Observation> = c
        .observations
        .iter()
        .filter(|o| matches!(o.status, Status::Fail | Status::Partial))
        .collect();
    order.extend(
        c.observations
            .iter()
            .filter(|o| !matches!(o.status, Status::Fail | Status::Partial)),
    );
    let mut excerpts = Vec::new();
    let mut seen = BTreeSet::new();
    let mut omitted = 0;
    for o in order {
        let e = &o.evidence;
        let Some(obj) = inp.index.get(&e.kind, e.namespace.as_deref(), &e.name) else {
            continue;
        };
        if !seen.insert((&e.kind, &e.namespace, &e.name, &e.pointer)) {
            continue;
        }
        if excerpts.len() >= MAX_EXCERPTS {
            omitted += 1;
            continue;
        }
        let yaml = to_yaml(&excerpt(&obj.value(), &e.pointer))?;
        let kind = kind_display(&e.kind);
        let object = match &e.namespace {
            Some(ns) => format!("{kind} {ns}/{}", e.name),
            None => format!("{kind} {}", e.name),
        };
        let label = if e.pointer.is_empty() {
            object.clone()
        } else {
            format!("{object} at {}", e.pointer)
        };
        excerpts.push(ExcerptView {
            label,
            object,
            pointer: e.pointer.clone(),
            yaml_md: fenced(&yaml, "yaml"),
        });
    }
    let mut evidence: Vec<String> = Vec::new();
    let kinds: BTreeSet<&str> = c
        .observations
        .iter()
        .map(|o| o.evidence.kind.as_str())
        .collect();
    for k in kinds {
        evidence.push(evidence_location(s, k));
    }
    if evidence.is_empty() {
        evidence.push(
            match c.status {
                Status::NotCollected => "not collected: no evidence in this packet",
                Status::Manual => "outside the cluster: needs a human attestation",
                Status::NotApplicable => "not applicable",
                _ => "no object evidence",
            }
            .to_string(),
        );
    }
    let commands = if c.commands.is_empty() {
        default_command(s, c)
    } else {
        c.commands.clone()
    };
    Ok(CheckView {
        id: c.id.clone(),
        anchor: format!("check-{}", slug(&c.id)),
        title: c.title.clone(),
        resource: c.resource.clone(),
        status: c.status.to_string(),
        explanation: c.explanation.clone(),
        remediation: c.remediation.clone(),
        commands,
        observations_total: c.observations.len(),
        observations_omitted: c.observations.len() - observations.len(),
        observations,
        pass_obs,
        gap_obs,
        gap_total,
        manual_total,
        manual_obs,
        objects,
        excerpts,
        excerpts_omitted: omitted,
        controls,
        evidence,
        not_collected: c.status == Status::NotCollected,
    })
}

fn checklist(s: &Snapshot) -> Vec<ChecklistRow> {
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
                _ => {
                    let keys: Vec<&KindInfo> = spec.kinds().collect();
                    let mut parts = Vec::new();
                    let mut files = Vec::new();
                    let mut all = true;
                    let mut any = false;
                    for k in &keys {
                        let st = s.resources.get(k.key);
                        let ok = st.is_some_and(|c| c.status.is_evidence());
                        let word = st.map_or("not-collected", |c| status_word(c.status));
                        // An optional CRD kind (mesh) counts when any of them is evidence.
                        all &= ok;
                        any |= ok;
                        if ok && let Some(f) = evidence_file_name(k.key) {
                            files.push(format!("evidence/{f}"));
                        }
                        let n = st.map_or(0, |c| c.items.len());
                        parts.push(if ok {
                            format!("{}: {word}, {n} objects", kind_display(k.key))
                        } else {
                            format!("{}: {word}", kind_display(k.key))
                        });
                    }
                    let optional = keys.iter().all(|k| k.optional);
                    (if optional { any } else { all }, parts.join("; "), files)
                }
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

fn short(h: &str) -> &str {
    &h[..h.len().min(12)]
}

const MAX_PERMISSIONS: usize = 6;
const MAX_SCOPE_NAMESPACES: usize = 5;

fn access_rows(f: &Findings) -> Vec<AccessRow> {
    f.access_review
        .iter()
        .map(|a| {
            let cluster_wide = a.grants.iter().any(|g| g.namespace.is_none());
            let nss: BTreeSet<&str> = a
                .grants
                .iter()
                .filter_map(|g| g.namespace.as_deref())
                .collect();
            let scope = if cluster_wide {
                if nss.is_empty() {
                    "cluster-wide".to_string()
                } else {
                    format!("cluster-wide, and {} namespace(s)", nss.len())
                }
            } else if nss.is_empty() {
                "none".to_string()
            } else {
                let shown: Vec<&str> = nss.iter().take(MAX_SCOPE_NAMESPACES).copied().collect();
                let more = nss.len().saturating_sub(MAX_SCOPE_NAMESPACES);
                if more > 0 {
                    format!("{} and {more} more", shown.join(", "))
                } else {
                    shown.join(", ")
                }
            };
            let mut perms: Vec<String> = Vec::new();
            let mut seen = BTreeSet::new();
            for g in &a.grants {
                let t = grant_text(g);
                if seen.insert(t.clone()) {
                    perms.push(t);
                }
            }
            let more = perms.len().saturating_sub(MAX_PERMISSIONS);
            perms.truncate(MAX_PERMISSIONS);
            AccessRow {
                subject: subject_text(&a.subject),
                kind: a.subject.kind.clone(),
                scope,
                namespaces: nss.iter().map(|n| n.to_string()).collect(),
                permissions: perms,
                more_permissions: more,
                flags: a.flags.clone(),
            }
        })
        .collect()
}

/// Builds the template context.
pub fn build(inp: Inputs) -> Result<Context, super::RenderError> {
    let s = inp.snapshot;
    let f = inp.findings;
    let frameworks: Vec<FrameworkName> = f
        .frameworks
        .iter()
        .map(|fw| FrameworkName {
            id: fw.id.clone(),
            name: fw.name.clone(),
            source: fw.source.clone(),
        })
        .collect();
    let scope = if s.source.namespaces.is_empty() {
        "all namespaces".to_string()
    } else {
        format!("namespaces {}", s.source.namespaces.join(", "))
    };
    let previous = inp.previous;
    let packet = PacketInfo {
        id: inp.id.to_string(),
        cluster: cluster_name(s),
        cluster_named: [&s.source.cluster, &s.source.context, &s.source.server]
            .iter()
            .any(|v| v.as_deref().is_some_and(|v| !v.is_empty())),
        kubernetes_version: s
            .source
            .kubernetes_version
            .clone()
            .unwrap_or_else(|| "unknown (not recorded in the snapshot)".into()),
        collected_at: ts(s.collected_at),
        collected_by: s
            .collected_by
            .as_ref()
            .map(|i| i.username.clone())
            .unwrap_or_else(|| "unknown (not recorded in the snapshot)".into()),
        collected_by_groups: s
            .collected_by
            .as_ref()
            .map(|i| i.groups.clone())
            .unwrap_or_default(),
        rendered_at: ts(inp.now),
        period_start: ts(inp.period.start),
        period_end: ts(inp.period.last()),
        period_label: inp.period.label(),
        frameworks: frameworks.clone(),
        source_mode: match s.source.mode {
            crate::snapshot::SourceMode::Live => "live cluster API".into(),
            crate::snapshot::SourceMode::Files => "kubectl exports (files)".into(),
        },
        server: s.source.server.clone(),
        context: s.source.context.clone(),
        scope,
        snapshot_sha256: inp.snapshot_sha256.to_string(),
        previous_id: previous.and_then(|p| p.id.clone()),
        previous_manifest_sha256: previous.and_then(|p| p.manifest_sha256.clone()),
        previous_verified_by: previous
            .and_then(|p| p.verification.as_ref())
            .map(|v| v.signer_key_id.clone()),
        previous_verified_name: previous
            .and_then(|p| p.verification.as_ref())
            .and_then(|v| v.signer_name.clone()),
        previous_trust: previous
            .and_then(|p| p.verification.as_ref())
            .map(|v| v.trust.id().to_string()),
    };

    // Controls per check, per framework (one index pass).
    let mut by_check: BTreeMap<&str, Vec<ControlRef>> = BTreeMap::new();
    for c in &f.controls {
        let r = ControlRef {
            framework: c.framework.clone(),
            id: c.id.clone(),
            anchor: control_anchor(&c.framework, &c.id),
        };
        for ch in &c.checks {
            by_check.entry(ch.as_str()).or_default().push(r.clone());
        }
    }
    let check_status: BTreeMap<&str, (&str, Status)> = f
        .checks
        .iter()
        .map(|c| (c.id.as_str(), (c.title.as_str(), c.status)))
        .collect();

    let mut checks = Vec::with_capacity(f.checks.len());
    for c in &f.checks {
        let refs = by_check.get(c.id.as_str()).cloned().unwrap_or_default();
        checks.push(check_view(&inp, c, refs)?);
    }
    let columns: Vec<Column> = f
        .frameworks
        .iter()
        .map(|fw| Column {
            id: fw.id.clone(),
            name: fw.name.clone(),
        })
        .collect();
    let matrix = checks
        .iter()
        .map(|c| MatrixRow {
            check: c.id.clone(),
            anchor: c.anchor.clone(),
            title: c.title.clone(),
            resource: c.resource.clone(),
            status: c.status.clone(),
            controls: columns
                .iter()
                .map(|col| {
                    c.controls
                        .iter()
                        .filter(|r| r.framework == col.id)
                        .cloned()
                        .collect()
                })
                .collect(),
            evidence: c.evidence.clone(),
            commands: c.commands.clone(),
        })
        .collect();
    let fviews = f
        .frameworks
        .iter()
        .map(|fw| FrameworkView {
            id: fw.id.clone(),
            name: fw.name.clone(),
            source: fw.source.clone(),
            anchor: format!("framework-{}", slug(&fw.id)),
            controls: f
                .controls
                .iter()
                .filter(|c| c.framework == fw.id)
                .map(|c| ControlView {
                    id: c.id.clone(),
                    anchor: control_anchor(&c.framework, &c.id),
                    title: c.title.clone(),
                    requirement: c.requirement.clone(),
                    status: c.status.to_string(),
                    checks: c
                        .checks
                        .iter()
                        .map(|id| {
                            let (title, st) = check_status
                                .get(id.as_str())
                                .map(|(t, s)| (t.to_string(), s.to_string()))
                                .unwrap_or_else(|| {
                                    ("(not in findings)".into(), "not-collected".into())
                                });
                            CheckRef {
                                id: id.clone(),
                                anchor: format!("check-{}", slug(id)),
                                title,
                                status: st,
                            }
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect();
    let mut summary = Summary {
        check_total: f.checks.len(),
        control_total: f.controls.len(),
        ..Summary::default()
    };
    for c in &f.checks {
        *summary.checks.entry(c.status.to_string()).or_default() += 1;
    }
    for c in &f.controls {
        *summary.controls.entry(c.status.to_string()).or_default() += 1;
    }
    let uncollected = s
        .resources
        .iter()
        .filter(|(_, c)| !c.status.is_evidence())
        .map(|(k, c)| KindStatusView {
            key: k.clone(),
            status: status_word(c.status).into(),
            reason: c.reason.clone().unwrap_or_default(),
        })
        .collect();
    let redactions = s
        .redactions
        .iter()
        .map(|r| RedactionView {
            kind: r.kind.clone(),
            object: match &r.namespace {
                Some(ns) => format!("{ns}/{}", r.name),
                None => r.name.clone(),
            },
            pointer: r.pointer.clone(),
            reason: r.reason.clone(),
        })
        .collect();
    Ok(Context {
        packet,
        kubernetes_version_raw: s.source.kubernetes_version.clone(),
        summary,
        frameworks: fviews,
        columns,
        matrix,
        checks,
        checklist: checklist(s),
        uncollected,
        access_review: access_rows(f),
        changes: inp.changes.cloned(),
        redactions,
    })
}

/// `control-<framework>-<id>` as a stable anchor.
pub fn control_anchor(framework: &str, id: &str) -> String {
    format!("control-{}-{}", slug(framework), slug(id))
}

impl Context {
    /// `packet.json` (without the sealer's `signer`/`sealedAt`).
    pub fn packet_json(&self) -> Value {
        let p = &self.packet;
        let previous = match &p.previous_id {
            Some(id) => {
                let mut link = json!({"id": id, "manifestSha256": p.previous_manifest_sha256});
                if let Some(key) = &p.previous_verified_by {
                    link["verification"] = json!({
                        "verified": true,
                        "signerKeyId": key,
                        "signerName": p.previous_verified_name,
                        "trust": p.previous_trust,
                    });
                }
                link
            }
            None => Value::Null,
        };
        json!({
            "formatVersion": 1,
            "id": p.id,
            "period": {"start": p.period_start, "end": p.period_end},
            "cluster": p.cluster,
            "kubernetesVersion": self.kubernetes_version_raw,
            "collectedAt": p.collected_at,
            "renderedAt": p.rendered_at,
            "frameworks": p.frameworks.iter().map(|f| f.id.clone()).collect::<Vec<_>>(),
            "snapshotSha256": p.snapshot_sha256,
            "previous": previous,
        })
    }
}
