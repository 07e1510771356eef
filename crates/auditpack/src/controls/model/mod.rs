//! The engines the checks rest on, free of check results: effective RBAC access
//! ([`rbac`]), the Pod Security Standards ([`pss`]), the kube-apiserver's flags
//! ([`apiserver`]) and the audit Policy's levels ([`audit`]).

pub mod apiserver;
pub mod audit;
pub mod pss;
pub mod rbac;
