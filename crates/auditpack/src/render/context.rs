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
use super::sections::checklist::{ChecklistRow, KindStatusView, RedactionView};
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
        checklist: checklist::rows(s),
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
