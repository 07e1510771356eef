//! The checks, one file per family of check ids: `rbac.*` in [`rbac`], `lifecycle.*` in
//! [`lifecycle`], and so on. Each check is a [`CheckDef`](super::CheckDef) in its
//! family's file, listed in that file's `CHECKS`; [`all_checks`](super::all_checks) reads
//! every family's list.

pub mod audit;
pub mod authn;
pub mod encryption;
pub mod exposure;
pub mod identity;
pub mod integrity;
pub mod lifecycle;
pub mod network;
pub mod pss;
pub mod rbac;
pub mod secrets;
pub mod transit;
pub mod workload;

/// The checks judged on every pod and pod template, all in one walk over the workloads per
/// evaluation ([`workload::Scan`]).
pub(crate) const SCANNED: &[&workload::Hygiene] = &[
    workload::SPECS[0],
    workload::SPECS[1],
    workload::SPECS[2],
    workload::SPECS[3],
    workload::SPECS[4],
    workload::SPECS[5],
    workload::SPECS[6],
    workload::SPECS[7],
    secrets::SPECS[0],
    secrets::SPECS[1],
];
