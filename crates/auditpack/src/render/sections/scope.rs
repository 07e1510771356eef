//! "Scope: evidence, not certification": what the packet covers and what it does not
//! (fixed text).

pub const TEMPLATE: &str = r##"## Scope: evidence, not certification {{ "scope" | anchor }}

**This packet supports compliance awareness and provides evidence. It is not a
certification, an attestation or an audit opinion.** A SOC 2 report or a HIPAA assessment
needs a qualified auditor, written policies, legal review and a compliance programme that
runs all year. This packet covers one part of that work: the technical controls that live
in the Kubernetes cluster, as they stood when the snapshot was taken.

What this packet does not cover, and who usually addresses it:

| Requirement | Covered by this packet? | Addressed by |
|---|---|---|
| Technical controls in the cluster | Yes | This packet and the platform team |
| Written policies | No | Legal and compliance team |
| Employee training | No | HR and the training programme |
| Incident response plan | No | Security operations |
| Vendor risk management | No | Procurement and legal |
| Physical security | No | Facilities, or the cloud provider's own reports |
| Business continuity | No | Operations team |
| Controls outside Kubernetes (identity provider, CI/CD, cloud accounts) | No | Their owners, with their own evidence |

"##;
