//! Control evaluation: framework catalogs (data) and the checks (code) that turn a
//! [`Snapshot`](crate::snapshot::Snapshot) into [`Findings`](crate::findings::Findings).

pub mod fixture;
pub mod pss;
pub mod rbac;
pub mod util;
