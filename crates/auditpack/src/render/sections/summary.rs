//! The summary: how many checks and controls have each status.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::findings::Findings;

pub const TEMPLATE: &str = r##"## Summary {{ "summary" | anchor }}

| Status | Checks | Controls |
|---|---|---|
{% for s in ["pass", "partial", "fail", "manual", "not-collected", "not-applicable"] %}| {{ s | status }} | {{ summary.checks[s] | default(value=0) }} | {{ summary.controls[s] | default(value=0) }} |
{% endfor %}| total | {{ summary.check_total }} | {{ summary.control_total }} |

Statuses: **pass** — the evidence shows the control in place; **fail** — the evidence shows it
missing or broken; **partial** — in place for some of what it covers; **manual** — needs a human
attestation (the cluster cannot show it); **not collected** — the evidence was not collected, so
nothing is claimed; **not applicable** — does not apply to this cluster.

"##;

#[derive(Debug, Clone, Serialize, Default)]
pub struct Summary {
    pub checks: BTreeMap<String, usize>,
    pub controls: BTreeMap<String, usize>,
    pub check_total: usize,
    pub control_total: usize,
}

/// Counts the statuses of the findings.
pub fn build(f: &Findings) -> Summary {
    let mut summary = Summary {
        check_total: f.checks.len(),
        control_total: f.controls.len(),
        ..Summary::default()
    };
    for c in &f.checks {
        *summary.checks.entry(c.status.to_string()).or_default() += 1;
    }
    for c in &f.controls {
        *summary.controls.entry(c.status.to_string()).or_default() += 1;
    }
    summary
}
