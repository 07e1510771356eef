//! auditpack turns the security controls of a Kubernetes cluster into a signed audit
//! packet: `collect` reads a [`Snapshot`], `evaluate` turns it into [`Findings`] against
//! framework catalogs, `render` writes the packet folder, `seal` hashes and signs it, and
//! `verify` proves later that nothing in it changed.
//!
//! Dependencies point down this list only: `cli` → `packet` (the stages in order) →
//! `series`, `render` → `history` → `controls` → `collect` → `auditlog` → `seal` →
//! `snapshot`, `findings` → `model` (the documents every stage shares) → `staging` (how
//! every output is written) → `cleanup` (the registry of temporary paths an interrupted
//! command removes), `infile` (how every input file is opened). `seal` knows nothing of
//! Kubernetes. ARCHITECTURE.md has the picture and the one-line role of each module.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod auditlog;
pub mod cleanup;
pub mod collect;
pub mod controls;
pub mod findings;
pub mod history;
pub mod infile;
pub mod model;
pub mod packet;
pub mod render;
pub mod seal;
pub mod series;
pub mod snapshot;
pub mod staging;

pub use findings::{CheckResult, ControlResult, Findings, Status};
pub use snapshot::{Collection, CollectionStatus, KINDS, KindInfo, Snapshot};
