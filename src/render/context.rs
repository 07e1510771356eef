//! The data the templates see: built once from the snapshot and findings, by each
//! section's builder (`render::sections`).
//!
//! Field names here are the template interface (documented in docs/render.md); every
//! string in it is plain text, escaped by the templates' autoescape, except the fields
//! named `*_md`, which are Markdown built here (already escaped).

use serde::Serialize;
use serde_json::{Value, json};

use super::sections::access::AccessRow;
use super::sections::changes::ChangesView;
use super::sections::checklist::{ChecklistRow, ChecklistSpec, KindStatusView, RedactionView, Src};
use super::sections::checks::CheckView;
use super::sections::cover::PacketInfo;
use super::sections::frameworks::FrameworkView;
use super::sections::matrix::{Column, MatrixRow};
use super::sections::summary::Summary;
use super::sections::{
    Inputs, access, changes, checklist, checks, cover, frameworks, matrix, summary,
};

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
    pub changes: Option<ChangesView>,
    pub redactions: Vec<RedactionView>,
}

const CHECKLIST: &[ChecklistSpec] = &[
    ChecklistSpec {
        evidence: "RBAC bindings",
        command: "kubectl get rolebindings,clusterrolebindings -A -o yaml",
        proves: "Who holds which access, and through which binding",
        source: Src::Kinds(&[
            "rolebindings.rbac.authorization.k8s.io",
            "clusterrolebindings.rbac.authorization.k8s.io",
        ]),
    },
    ChecklistSpec {
        evidence: "RBAC roles",
        command: "kubectl get roles,clusterroles -A -o yaml",
        proves: "What each role permits (verbs, resources, wildcards)",
        source: Src::Kinds(&[
            "roles.rbac.authorization.k8s.io",
            "clusterroles.rbac.authorization.k8s.io",
        ]),
    },
    ChecklistSpec {
        evidence: "ServiceAccounts",
        command: "kubectl get serviceaccounts -A -o yaml",
        proves: "Workload identities exist, are dedicated, and which mount tokens",
        source: Src::Kinds(&["serviceaccounts"]),
    },
    ChecklistSpec {
        evidence: "NetworkPolicies",
        command: "kubectl get networkpolicies -A -o yaml",
        proves: "Network segmentation exists (default-deny and explicit allows)",
        source: Src::Kinds(&["networkpolicies.networking.k8s.io"]),
    },
    ChecklistSpec {
        evidence: "Pod Security Standards labels",
        command: "kubectl get namespaces --show-labels",
        proves: "Which container restrictions each namespace enforces",
        source: Src::Kinds(&["namespaces"]),
    },
    ChecklistSpec {
        evidence: "Running workloads",
        command: "kubectl get pods -A -o yaml",
        proves: "What actually runs, with which security context",
        source: Src::Kinds(&["pods"]),
    },
    ChecklistSpec {
        evidence: "Admission control",
        command: "kubectl get validatingwebhookconfigurations,validatingadmissionpolicies -o yaml",
        proves: "Which admission checks guard changes to the cluster",
        source: Src::Kinds(&[
            "validatingwebhookconfigurations.admissionregistration.k8s.io",
            "validatingadmissionpolicies.admissionregistration.k8s.io",
        ]),
    },
    ChecklistSpec {
        evidence: "Service mesh mTLS configuration",
        command: "kubectl get configurations.dapr.io,peerauthentications.security.istio.io -A -o yaml",
        proves: "Whether service-to-service traffic is mutually authenticated and encrypted",
        source: Src::Kinds(&[
            "configurations.dapr.io",
            "peerauthentications.security.istio.io",
        ]),
    },
    ChecklistSpec {
        evidence: "Secret encryption at rest",
        command: "auditpack collect --encryption-config FILE",
        proves: "Secrets are encrypted in etcd, and with which provider (FILE: the EncryptionConfiguration kube-apiserver reads with --encryption-provider-config)",
        source: Src::EncryptionConfig,
    },
    ChecklistSpec {
        evidence: "Audit policy",
        command: "auditpack collect --audit-policy FILE",
        proves: "Which API actions are logged, and at what level (FILE: the audit Policy kube-apiserver reads with --audit-policy-file)",
        source: Src::AuditPolicy,
    },
    ChecklistSpec {
        evidence: "Audit logs",
        command: "auditpack collect --audit-log FILE",
        proves: "Actions were actually logged during the period (FILE: the period's audit log, exported from the logging system)",
        source: Src::AuditLog,
    },
];

/// Builds the template context: each section's view from the inputs.
pub fn build(inp: Inputs) -> Result<Context, super::RenderError> {
    let s = inp.snapshot;
    let f = inp.findings;
    let checks = checks::build(&inp)?;
    let columns = matrix::columns(f);
    Ok(Context {
        packet: cover::build(&inp),
        kubernetes_version_raw: s.source.kubernetes_version.clone(),
        summary: summary::build(f),
        frameworks: frameworks::build(f),
        matrix: matrix::rows(&checks, &columns),
        columns,
        checks,
        checklist: checklist::rows(s, CHECKLIST),
        uncollected: checklist::uncollected(s),
        access_review: access::build(f),
        changes: changes::build(inp.previous, inp.changes),
        redactions: checklist::redactions(s),
    })
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
