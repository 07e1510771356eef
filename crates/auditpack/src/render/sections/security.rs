//! "Security and compliance": how the two differ (fixed text).

pub const TEMPLATE: &str = r##"## Security and compliance {{ "security-vs-compliance" | anchor }}

Security and compliance are related but not the same, and this packet serves the second.

| | Security | Compliance |
|---|---|---|
| Goal | Protect systems from threats | Show that systems meet a standard |
| Question | Which controls exist? | Can you prove they exist, and since when? |
| Audience | Engineering | Auditors, regulators, customers |
| Output | Working controls | Documentation and evidence |

A secure system without evidence fails an audit. Documentation alone does not pass one
either: a SOC 2 Type II examination tests whether the controls operated effectively over the
period, not only that they are described. A **pass** below means the evidence shows the
control in place at the time it was collected; it does not mean the system is secure against
every threat, nor that the control operated throughout the period.

"##;
