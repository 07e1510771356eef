//! auditpack turns the security controls of a Kubernetes cluster into a signed audit
//! packet: `collect` reads a [`Snapshot`], `evaluate` turns it into [`Findings`] against
//! framework catalogs, `render` writes the packet folder, `seal` hashes and signs it, and
//! `verify` proves later that nothing in it changed.
//!
//! Dependencies point down this list only (the `auditpack` binary's `cli` sits above all
//! of them, in `crates/auditpack-cli`): `packet` (the stages in order) →
//! `store` (document stores: S3 with Object Lock, feature `s3`) → `series`, `render` →
//! `history` → `controls` → `collect` → `auditlog` → `seal` →
//! `snapshot`, `findings` → `model` (the documents every stage shares) → `staging` (how
//! every output is written) → `cleanup` (the registry of temporary paths an interrupted
//! command removes), `infile` (how every input file is opened). `seal` knows nothing of
//! Kubernetes. ARCHITECTURE.md has the picture and the one-line role of each module.
//!
//! The everyday entry points are re-exported here. A sealed packet from a folder of
//! `kubectl get -o yaml` exports, then its verification:
//!
//! ```no_run
//! use auditpack::{Cluster, EvalOptions, ImportOptions, Output, Plan, RenderOptions, Source, TrustStore};
//!
//! let key = ed25519_dalek::SigningKey::generate(&mut rand_core::OsRng);
//! let plan = Plan {
//!     source: Source::new(Cluster::Files {
//!         dir: "exports/".into(),
//!         options: ImportOptions::default(),
//!     }),
//!     eval: EvalOptions::default(), // SOC 2 and HIPAA
//!     render: RenderOptions::new("", chrono::Utc::now()), // the current quarter
//!     out: Output::Dir("packet/".into()),
//!     previous_trust: None,
//!     key: key.clone(),
//!     archive: None,
//! };
//! let built = auditpack::build(plan, &mut |event| eprintln!("{event:?}"))?;
//!
//! let mut trust = TrustStore::new();
//! trust.add(key.verifying_key(), "our signer");
//! let report = auditpack::verify_path(&built.dir, &trust)?;
//! assert!(report.is_verified());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod auditlog;
pub mod cleanup;
mod collect;
mod controls;
mod findings;
mod history;
mod infile;
mod model;
mod packet;
mod render;
mod seal;
mod series;
mod snapshot;
mod staging;
mod store;

// The public API: what the `auditpack` binary, its tests and a program embedding the
// pipeline use. Everything else is private to the crate. `cleanup` stays a public module
// because its whole surface is the interrupt contract a binary must honour.

// Collect.
pub use collect::{
    AuditLogs, Cluster, CollectError, ImportOptions, LiveOptions, Progress, ProgressSink, Source,
    SourceError, Warning, add_evidence_files, collect_live, import_dir, incomplete_kinds,
    write_snapshot,
};
pub use snapshot::{
    Collection, CollectionStatus, EvidenceFile, KINDS, KindInfo, Snapshot, SnapshotError,
    object_ref,
};
// Evaluate.
/// Reads a framework catalog file (the `--catalog` format, docs/controls.md).
pub use controls::catalog::load as load_catalog;
pub use controls::{
    AccessChange, CatalogError, ChangeKind, EvalError, EvalOptions, Framework, access_changes,
    evaluate, evaluate_since, overall, render_text,
};
pub use findings::{
    CheckResult, ControlResult, EvidenceRef, Findings, FrameworkInfo, Grant, Observation, Status,
    Subject, SubjectAccess,
};
// Render.
pub use render::{
    Period, PreviousPacket, PreviousTrust, RenderError, RenderOptions, SignerInfo,
    builtin_templates, is_archive_path, read_findings, render_files, render_packet, resolve_now,
};
// The whole pipeline.
pub use packet::{Built, Event, Output, PacketError, Plan, build};
// Seal and verify.
/// Reads an end date or time (`--retain-until`): RFC 3339, or a date meaning the end of
/// that day.
pub use model::period::parse_until as parse_until_flag;
pub use model::{
    ARCHIVE_CONTENT_TYPE, ARCHIVE_INDEX_FORMAT_VERSION, ArchiveIndex, ArchiveIndexError,
    AuditLogSummary, Envelope, EvidenceInterval, EvidenceTiming, LinkVerification, LockMode,
    PACKET_FORMAT_VERSION, PacketLink, PacketMeta, PacketMetaError, Retention, SealRecord, Stated,
    Statement, Stored, Timing, VerifyReport,
};
pub use seal::verify::MAX_REPORTED_FAILURES;
pub use seal::{
    ArchiveReport, Contents, DSSE, Failure, MANIFEST, PACKET_JSON, PacketSource, Report, Rule,
    SEAL_FILES, SIGNATURE, SSH_SIGNATURE, SealError, SealOptions, TrustStore, TrustedKey, Verified,
    VerifyError, seal_dir, verify_archive_reader, verify_path, write_archive,
};
// Document stores: a folder, or S3 object storage with Object Lock (feature `s3`).
pub use store::{
    ClusterGroup, ListedPacket, Listing, S3Url, StoreError, list_dir, retention_until,
};
#[cfg(feature = "s3")]
pub use store::{
    ObjectFacts, ObjectReport, PrefixChain, S3Options, StoreFinding, UploadOptions, Uploaded,
    archive_to_s3, list_s3, verify_object, verify_prefix_chain,
};
// History.
pub use history::Diff;
pub use history::diff::diff;
// Audit logs.
pub use auditlog::{
    AccessAggregate, AuditLogError, Detail as AuditLogDetail, Gap,
    MAX_LISTED as AUDIT_LOG_MAX_LISTED, Options as AuditLogOptions, parse_duration,
    parse_time as parse_audit_time, summarize as summarize_audit_logs,
    summarize_with_detail as summarize_audit_logs_with_detail,
};

/// Signing keys: generation, loading, and the ids a recipient can reproduce.
pub mod keys {
    pub use crate::seal::keys::{
        GeneratedKey, KeyError, generate, key_id, legacy_key_id, load_public_key, load_signing_key,
        openssh_public, other_key_ids, parse_public_key, private_pem, public_key_base64,
        public_key_from_base64, securesystemslib_keyid, spki_pem,
    };
}

/// Verification of a series of packets: every link, gap and fork.
pub mod chain {
    pub use crate::history::chain::{
        ChainError, ChainOptions, ChainProblem, ChainReport, ChainRule, expand_paths, verify_chain,
        verify_reports,
    };
}

/// Engine internals the integration tests drive directly. Not part of the public API: only
/// built with the `internals` feature, which only `auditpack-cli`'s dev-dependency enables.
#[cfg(feature = "internals")]
#[doc(hidden)]
pub mod internals {
    pub use crate::collect::files::parse_documents;
    pub use crate::collect::redact::{redact_encryption_config, redact_object};
    pub use crate::controls::checks::network;
    pub use crate::controls::model::{audit, pss, rbac};
    pub use crate::render::MAX_LISTED;
    pub use crate::render::sample;
    pub use crate::seal::HASH_BUFFER;
    pub use crate::seal::archive::Limits;
    pub use crate::seal::{dsse, manifest, trust};
}
