//! The data the templates see: built once from the snapshot and findings, by each
//! section's builder (`render::sections`).
//!
//! Field names here are the template interface (documented in docs/render.md); every
//! string in it is plain text, escaped by the templates' autoescape, except the fields
//! named `*_md`, which are Markdown built here (already escaped).

use serde::Serialize;

use crate::model::Period;
use crate::model::packet_meta::{LinkVerification, PacketLink, PacketMeta};

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
    /// The reporting period (`packet.period_*` state it as text).
    #[serde(skip)]
    pub period: Period,
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
    let mut frameworks = frameworks::build(f);
    frameworks::attach_evidence(&mut frameworks, &checks);
    Ok(Context {
        packet: cover::build(&inp),
        kubernetes_version_raw: s.source.kubernetes_version.clone(),
        period: *inp.period,
        summary: summary::build(f),
        frameworks,
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
    /// `packet.json` (without the sealer's `signer`/`sealedAt`/`attestation`).
    pub fn packet_json(&self) -> PacketMeta {
        let p = &self.packet;
        let previous = p.previous_id.as_ref().map(|id| PacketLink {
            id: id.clone(),
            manifest_sha256: p.previous_manifest_sha256.clone(),
            verification: p.previous_verified_by.as_ref().map(|key| LinkVerification {
                verified: true,
                signer_key_id: key.clone(),
                signer_name: p.previous_verified_name.clone(),
                trust: p.previous_trust.clone(),
            }),
        });
        PacketMeta {
            id: Some(p.id.clone()),
            period: Some(self.period),
            cluster: Some(p.cluster.clone()),
            kubernetes_version: self.kubernetes_version_raw.clone().into(),
            collected_at: Some(p.collected_at.clone()),
            rendered_at: Some(p.rendered_at.clone()),
            frameworks: Some(p.frameworks.iter().map(|f| f.id.clone()).collect()),
            snapshot_sha256: Some(p.snapshot_sha256.clone()),
            previous: previous.into(),
            evidence: Some(p.evidence.clone()),
            ..PacketMeta::bare()
        }
    }
}
