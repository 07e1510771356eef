//! The cover: the packet's identity, where its evidence came from, and the previous
//! packet it follows.

use serde::Serialize;

use super::shared::{Inputs, ts};
use crate::model::{EvidenceInterval, EvidenceTiming, Period, Timing};
use crate::render::PreviousPacket;
use crate::snapshot::{Snapshot, SourceMode};

pub const TEMPLATE: &str = r##"# Kubernetes controls audit packet {{ "cover" | anchor }}

| Packet | {{ packet.id | code(cell=true) }} |
|---|---|
| Cluster | {% if packet.cluster_named %}{{ packet.cluster }}{% else %}unknown (not recorded in the snapshot; the packet id uses `cluster`){% endif %} |
| Kubernetes version | {{ packet.kubernetes_version }} |
| Evidence source | {{ packet.source_mode }}{% if packet.server %}, API server {{ packet.server | code(cell=true) }}{% endif %}{% if packet.server_identity_unverified %} (**the server's identity was not verified**: the kubeconfig set `insecure-skip-tls-verify`, a weakness of this evidence){% endif %}{% if packet.context %}, context {{ packet.context | code(cell=true) }}{% endif %} |
| Scope | {{ packet.scope }} |
| Evidence as of | {{ packet.collected_at }}: the snapshot is a point-in-time record of the cluster's configuration at this instant, not of the whole period |
| Collected by | {{ packet.collected_by }}{% if packet.collected_by_groups %} (groups: {{ packet.collected_by_groups | join(sep=", ") }}){% endif %} |
| Reporting period | {{ packet.period_start }} to {{ packet.period_end }} ({{ packet.period_label }}) |
| Period status | {{ packet.period_status }} |
| Evidence over an interval | {{ packet.interval_evidence }} |
| Frameworks | {% for f in packet.frameworks %}{{ f.name }} ({{ f.source }}){% if not loop.last %}, {% endif %}{% endfor %} |
| Rendered at | {{ packet.rendered_at }} |
| Signed by | {% if packet.signer %}{{ packet.signer.key_id | code(cell=true) }}{% if packet.signer.name %} (key {{ packet.signer.name | code(cell=true) }}){% endif %}: the OpenSSH fingerprint of the signer's key, as `ssh-keygen -lf` prints it (securesystemslib keyid {{ packet.signer.securesystemslib_keyid | code(cell=true) }}){% else %}**unsigned**: rendered without a seal, this packet is unsigned until sealed (`auditpack seal`), which records the signer in `packet.json` `signer.keyId`{% endif %} |
| Sealed at | {% if packet.signer %}{{ packet.signer.sealed_at }}{% else %}not sealed when rendered{% endif %} |
| Snapshot SHA-256 | {{ packet.snapshot_sha256 | code(cell=true) }} |
| Previous packet | {% if packet.previous_id %}{{ packet.previous_id | code(cell=true) }}{% if packet.previous_manifest_sha256 %} (SHA256SUMS {{ packet.previous_manifest_sha256 | code(cell=true) }}){% endif %}{% if packet.previous_verified_by %}, verified before linking: signed by {{ packet.previous_verified_by | code(cell=true) }}{% if packet.previous_trust == "signing-key" %} (this packet's signing key){% else %} (a trusted key){% endif %}{% endif %}{% else %}none{% endif %} |

This packet shows, with evidence read from the cluster, how its Kubernetes security controls
support the {% for f in packet.frameworks %}{{ f.name }}{% if not loop.last %} and {% endif %}{% endfor %} requirements listed below.
Every statement in it points to the object it rests on, and to the command that shows the
same object again. Where evidence was not collected, the packet says so; it never reads
missing evidence as a control in place.

"##;

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
    /// Where the snapshot's instant lies relative to the period, in words.
    pub period_status: String,
    /// Which evidence covers a stretch of time, in words.
    pub interval_evidence: String,
    /// The same, as `packet.json` states it.
    #[serde(skip)]
    pub evidence: EvidenceTiming,
    pub frameworks: Vec<FrameworkName>,
    pub source_mode: String,
    pub server: Option<String>,
    /// `insecure-skip-tls-verify`: the server certificate was not checked.
    pub server_identity_unverified: bool,
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
    /// Who seals the packet and when; `None`: rendered unsigned.
    pub signer: Option<SignerView>,
}

/// The signer on the cover: its fingerprint first, its other id labelled.
#[derive(Debug, Clone, Serialize)]
pub struct SignerView {
    /// The OpenSSH fingerprint ([`crate::seal::keys::key_id`]).
    pub key_id: String,
    /// The DSSE keyid ([`crate::seal::keys::securesystemslib_keyid`]).
    pub securesystemslib_keyid: String,
    pub name: Option<String>,
    pub sealed_at: String,
}

impl SignerView {
    fn of(signer: &crate::render::SignerInfo) -> Self {
        SignerView {
            key_id: crate::seal::keys::key_id(&signer.key),
            securesystemslib_keyid: crate::seal::keys::securesystemslib_keyid(&signer.key),
            name: signer.name.clone(),
            sealed_at: ts(signer.sealed_at),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct FrameworkName {
    pub id: String,
    pub name: String,
    pub source: String,
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

const UNKNOWN: &str = "unknown (not recorded in the snapshot)";

/// Builds the cover.
pub fn build(inp: &Inputs) -> PacketInfo {
    let s = inp.snapshot;
    let previous = PreviousLink::of(inp.previous);
    let timing = evidence_timing(s, inp.period);
    PacketInfo {
        id: inp.id.to_string(),
        cluster: cluster_name(s),
        cluster_named: [&s.source.cluster, &s.source.context, &s.source.server]
            .iter()
            .any(|v| v.as_deref().is_some_and(|v| !v.is_empty())),
        kubernetes_version: s
            .source
            .kubernetes_version
            .clone()
            .unwrap_or_else(|| UNKNOWN.into()),
        collected_at: ts(s.collected_at),
        collected_by: s
            .collected_by
            .as_ref()
            .map(|i| i.username.clone())
            .unwrap_or_else(|| UNKNOWN.into()),
        collected_by_groups: s
            .collected_by
            .as_ref()
            .map(|i| i.groups.clone())
            .unwrap_or_default(),
        rendered_at: ts(inp.now),
        period_start: ts(inp.period.start),
        period_end: ts(inp.period.last()),
        period_label: inp.period.label(),
        period_status: period_status(&timing, inp.period),
        interval_evidence: interval_evidence(&timing),
        evidence: timing,
        frameworks: framework_names(inp),
        source_mode: match s.source.mode {
            SourceMode::Live => "live cluster API".into(),
            SourceMode::Files => "kubectl exports (files)".into(),
        },
        server: s.source.server.clone(),
        server_identity_unverified: s.source.server_identity_unverified,
        context: s.source.context.clone(),
        scope: scope(s),
        snapshot_sha256: inp.snapshot_sha256.to_string(),
        previous_id: previous.id,
        previous_manifest_sha256: previous.manifest_sha256,
        previous_verified_by: previous.verified_by,
        previous_verified_name: previous.verified_name,
        previous_trust: previous.trust,
        signer: inp.signer.map(SignerView::of),
    }
}

/// How the evidence relates to the period: the snapshot's instant, and the evidence that
/// covers a stretch of time (the audit-log summary, first to last event).
pub fn evidence_timing(s: &Snapshot, period: &Period) -> EvidenceTiming {
    EvidenceTiming {
        as_of: ts(s.collected_at),
        collection: period.timing(s.collected_at),
        intervals: s
            .audit_log
            .iter()
            .map(|log| EvidenceInterval {
                evidence: "audit-log".into(),
                first_event: log.first_event.map(ts),
                last_event: log.last_event.map(ts),
                events: log.events,
            })
            .collect(),
    }
}

/// The sentence the cover states about where the snapshot lies in the period.
fn period_status(t: &EvidenceTiming, period: &Period) -> String {
    let (start, last) = (ts(period.start), ts(period.last()));
    match t.collection {
        Timing::DuringPeriod => format!(
            "still in progress when the evidence was collected ({}, before the period ends at {last}): the snapshot shows the cluster at that instant, and nothing in it shows the rest of the period",
            t.as_of
        ),
        Timing::AfterPeriod => format!(
            "ended before the evidence was collected ({}, after the period ended at {last}): the snapshot shows the cluster at that later instant, not during the period, and the cluster may have changed since",
            t.as_of
        ),
        Timing::BeforePeriod => format!(
            "not begun when the evidence was collected ({}, before the period begins at {start}): the snapshot shows nothing of the period",
            t.as_of
        ),
    }
}

/// The sentence the cover states about the evidence that covers an interval.
fn interval_evidence(t: &EvidenceTiming) -> String {
    let Some(log) = t.intervals.iter().find(|i| i.evidence == "audit-log") else {
        return "none: no audit log was supplied, so no evidence in this packet shows the cluster over the period, only at the instant above".into();
    };
    match (&log.first_event, &log.last_event) {
        (Some(first), Some(last)) => format!(
            "audit logs, from the first event at {first} to the last at {last} ({} request{} summarised); outside that stretch no evidence shows the cluster over time",
            log.events,
            if log.events == 1 { "" } else { "s" }
        ),
        _ => "none: audit logs were supplied but hold no request in the summarised time".into(),
    }
}

/// The frameworks evaluated, in the order selected.
pub fn framework_names(inp: &Inputs) -> Vec<FrameworkName> {
    inp.findings
        .frameworks
        .iter()
        .map(|fw| FrameworkName {
            id: fw.id.clone(),
            name: fw.name.clone(),
            source: fw.source.clone(),
        })
        .collect()
}

fn scope(s: &Snapshot) -> String {
    if s.source.namespaces.is_empty() {
        "all namespaces".to_string()
    } else {
        format!("namespaces {}", s.source.namespaces.join(", "))
    }
}

/// The previous packet's fields of the cover (all `None` without one).
#[derive(Default)]
struct PreviousLink {
    id: Option<String>,
    manifest_sha256: Option<String>,
    verified_by: Option<String>,
    verified_name: Option<String>,
    trust: Option<String>,
}

impl PreviousLink {
    fn of(previous: Option<&PreviousPacket>) -> Self {
        let Some(p) = previous else {
            return PreviousLink::default();
        };
        let v = p.verification.as_ref();
        PreviousLink {
            id: p.id.clone(),
            manifest_sha256: p.manifest_sha256.clone(),
            verified_by: v.map(|v| v.signer_key_id.clone()),
            verified_name: v.and_then(|v| v.signer_name.clone()),
            trust: v.map(|v| v.trust.id().to_string()),
        }
    }
}
