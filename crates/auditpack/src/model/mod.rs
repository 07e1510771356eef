//! The documents auditpack reads and writes, one versioned serde type each, shared by every
//! stage: [`PacketMeta`] (`packet.json`), [`ArchiveIndex`] (`FILE.tar.gz.json`),
//! [`Envelope`] and [`Statement`] (`SHA256SUMS.intoto.json`), [`VerifyReport`]
//! (`verify --json`), [`AuditLogSummary`] (`auditpack auditlog`, and a snapshot's
//! `auditLog`) and the reporting [`Period`] packets state.
//!
//! Each is written and read only through its type, never as a JSON map looked up by
//! name. Readers are strict where a writer of ours is the only source: an unknown field or
//! an unsupported version is refused with an error that names it.
//!
//! This module imports no other module of auditpack.

pub mod archive_index;
pub mod audit_log;
pub mod packet_meta;
pub mod period;
pub mod statement;
pub mod verify_report;

pub use archive_index::{
    ARCHIVE_CONTENT_TYPE, ARCHIVE_INDEX_FORMAT_VERSION, ArchiveFacts, ArchiveIndex,
    ArchiveIndexError, LockMode, Retention, Stored,
};
pub use audit_log::AuditLogSummary;
pub use packet_meta::{
    EvidenceInterval, EvidenceTiming, LinkVerification, PACKET_FORMAT_VERSION, PacketLink,
    PacketMeta, PacketMetaError, PacketSigner, SealRecord, Stated,
};
pub use period::{Period, Timing};
pub use statement::{Envelope, Statement};
pub use verify_report::{ReportedFailure, VerifyReport};

/// `apiVersion` of auditpack's own documents (snapshot, findings, audit-log summary).
pub const API_VERSION: &str = "auditpack/v1";

/// Reads a string field that must be exactly `want`: anything else is refused with an error
/// that names the field, the value found and the value supported.
fn exact<'de, D: serde::Deserializer<'de>>(
    d: D,
    field: &str,
    want: &str,
) -> Result<String, D::Error> {
    let got = <String as serde::Deserialize>::deserialize(d)?;
    if got == want {
        Ok(got)
    } else {
        Err(serde::de::Error::custom(format!(
            "{field} {got:?} is not supported: this auditpack reads {field} {want:?}"
        )))
    }
}
