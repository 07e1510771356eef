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
