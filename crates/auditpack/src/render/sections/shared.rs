//! What every section's builder reads ([`Inputs`]), and the helpers several sections share.

use chrono::{DateTime, SecondsFormat, Utc};

use crate::findings::Findings;
use crate::history::Changes;
pub use crate::render::escape::evidence_link;
use crate::render::escape::slug;
use crate::render::evidence::{ObjectIndex, evidence_file_name};
use crate::render::{Period, PreviousPacket};
use crate::snapshot::{CollectionStatus, Snapshot, kind_by_key};

/// The inputs of the packet's sections: the snapshot, its findings and the packet's
/// identity.
pub struct Inputs<'a> {
    pub snapshot: &'a Snapshot,
    pub findings: &'a Findings,
    pub index: &'a ObjectIndex<'a>,
    pub id: &'a str,
    pub snapshot_sha256: &'a str,
    pub period: &'a Period,
    pub now: DateTime<Utc>,
    pub previous: Option<&'a PreviousPacket>,
    /// What changed since the previous packet, when there is one.
    pub changes: Option<&'a Changes>,
    /// Who will seal the packet and when, if known at render time.
    pub signer: Option<&'a crate::render::SignerInfo>,
}

/// RFC 3339, whole seconds, `Z`.
pub fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Display name of a kind key (`Role` for `roles.rbac.authorization.k8s.io`).
pub fn kind_display(key: &str) -> String {
    match kind_by_key(key) {
        Some(i) => i.kind.to_string(),
        None => key.to_string(),
    }
}

/// `control-<framework>-<id>` as a stable anchor.
pub fn control_anchor(framework: &str, id: &str) -> String {
    format!("control-{}-{}", slug(framework), slug(id))
}

/// Where the evidence of a kind is in the packet, or why it is not.
pub fn evidence_location(s: &Snapshot, key: &str) -> String {
    if let Some(file) = file_evidence_location(s, key) {
        return file;
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

/// The evidence read from files given to `collect` (not from the cluster API).
fn file_evidence_location(s: &Snapshot, key: &str) -> Option<String> {
    let (given, file, missing) = match key {
        "EncryptionConfiguration" | "encryption-configuration" => (
            s.encryption_config.is_some(),
            "evidence/encryption-configuration.yaml",
            "not collected (no EncryptionConfiguration was given)",
        ),
        "Policy" | "audit-policy" | "AuditPolicy" => (
            s.audit_policy.is_some(),
            "evidence/audit-policy.yaml",
            "not collected (no audit Policy was given)",
        ),
        "CloudEvidence" => (
            !s.cloud_evidence.is_empty(),
            "evidence/cloud-evidence.yaml",
            "not collected (no cloud description was given)",
        ),
        "audit-log" | "AuditLog" => (
            s.audit_log.is_some(),
            "evidence/snapshot.json (auditLog)",
            "not collected (no audit log was given)",
        ),
        _ => return None,
    };
    Some(if given { file } else { missing }.to_string())
}

/// A collection status as the packet writes it.
pub fn status_word(s: CollectionStatus) -> &'static str {
    match s {
        CollectionStatus::Collected => "collected",
        CollectionStatus::Absent => "absent",
        CollectionStatus::Forbidden => "forbidden",
        CollectionStatus::Failed => "failed",
        CollectionStatus::NotCollected => "not-collected",
    }
}
