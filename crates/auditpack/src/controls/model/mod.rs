//! The engines the checks rest on, free of check results: effective RBAC access
//! ([`rbac`]), the Pod Security Standards ([`pss`]), the kube-apiserver's flags
//! ([`apiserver`]), the audit Policy's levels ([`audit`]), and which pods the network
//! policy APIs isolate ([`netpol`], with Calico's selectors in [`calico`]).

pub mod apiserver;
pub mod audit;
pub mod calico;
pub mod netpol;
pub mod pss;
pub mod rbac;
