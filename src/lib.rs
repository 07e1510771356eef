//! auditpack turns the security controls of a Kubernetes cluster into a signed audit
//! packet: `collect` reads a [`Snapshot`], `evaluate` turns it into [`Findings`] against
//! framework catalogs, `render` writes the packet folder, `seal` hashes and signs it, and
//! `verify` proves later that nothing in it changed.
//!
//! Dependencies point down this list only: `cli` → `history` → `render` → `controls` →
//! `collect` → `auditlog` → `seal` → `findings`, `snapshot` → `infile` (how every input file
//! is opened), `cleanup` (the registry of temporary paths an interrupted command removes).
//! `seal` knows nothing of Kubernetes; `infile` and `cleanup` know nothing of either.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod auditlog;
pub mod cleanup;
pub mod cli;
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
pub mod standin;

pub use findings::{CheckResult, ControlResult, Findings, Status};
pub use snapshot::{Collection, CollectionStatus, KINDS, KindInfo, Snapshot};
