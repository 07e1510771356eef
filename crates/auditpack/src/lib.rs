//! auditpack turns the security controls of a Kubernetes cluster into a signed audit
//! packet: `collect` reads a [`Snapshot`], `evaluate` turns it into [`Findings`] against
//! framework catalogs, `render` writes the packet folder, `seal` hashes and signs it, and
//! `verify` proves later that nothing in it changed.
//!
//! Dependencies point down this list only (the `auditpack` binary's `cli` sits above all
//! of them, in `crates/auditpack-cli`): `packet` (the stages in order) →
//! `series`, `render` → `history` → `controls` → `collect` → `auditlog` → `seal` →
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

pub use collect::{Cluster, ImportOptions, LiveOptions, Source};
pub use controls::{EvalOptions, evaluate};
pub use findings::{CheckResult, ControlResult, Findings, Status};
pub use packet::{Built, Event, Output, PacketError, Plan, build};
pub use render::{Period, RenderOptions, render_packet};
pub use seal::{TrustStore, seal_dir, verify_path, write_archive};
pub use snapshot::{Collection, CollectionStatus, KINDS, KindInfo, Snapshot};
