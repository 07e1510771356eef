//! The control matrix: one row per check, a column per framework naming the controls it
//! supports. The same rows make `control-matrix.csv` and `control-matrix.json`.

use serde::Serialize;

use super::checks::{CheckView, ControlRef};
use crate::findings::Findings;

pub const TEMPLATE: &str = r##"## Control matrix {{ "control-matrix" | anchor }}

One row per check. The framework columns name the controls each check supports; the last
column links the evidence files. Each check's observations and the command that shows the
same evidence again are in [Appendix A](#checks); the full matrix, with the Kubernetes
resource and the commands, is in [`control-matrix.csv`](control-matrix.csv) and
[`control-matrix.json`](control-matrix.json).

A framework control's status is the worst of its checks': one failing check makes the
control **fail** however many pass; a check whose evidence was not collected makes it
**not-collected**, never a pass; **partial** comes only from a check that is itself partial;
**manual** awaits a human attestation; checks that do not apply are left out.

| Check |{% for c in columns %} {{ c.name }} |{% endfor %} Status | Evidence |
|---|{% for c in columns %}---|{% endfor %}---|---|
{% for r in matrix %}| [{{ r.title }}](#{{ r.anchor }}) |{% for cell in r.controls %} {% for c in cell %}[{{ c.id }}](#{{ c.anchor }}){% if not loop.last %}, {% endif %}{% else %}—{% endfor %} |{% endfor %} {{ r.status | status }} | {% for e in r.evidence %}{{ e | evidence_link | safe }}{% if not loop.last %}; {% endif %}{% else %}—{% endfor %} |
{% endfor %}

"##;

#[derive(Debug, Clone, Serialize)]
pub struct Column {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct MatrixRow {
    pub check: String,
    pub anchor: String,
    pub title: String,
    pub resource: String,
    pub status: String,
    /// One entry per column (framework), in column order.
    pub controls: Vec<Vec<ControlRef>>,
    pub evidence: Vec<String>,
    pub commands: Vec<String>,
}

/// One column per framework, in the order selected.
pub fn columns(f: &Findings) -> Vec<Column> {
    f.frameworks
        .iter()
        .map(|fw| Column {
            id: fw.id.clone(),
            name: fw.name.clone(),
        })
        .collect()
}

/// One row per check.
pub fn rows(checks: &[CheckView], columns: &[Column]) -> Vec<MatrixRow> {
    checks
        .iter()
        .map(|c| MatrixRow {
            check: c.id.clone(),
            anchor: c.anchor.clone(),
            title: c.title.clone(),
            resource: c.resource.clone(),
            status: c.status.clone(),
            controls: columns
                .iter()
                .map(|col| {
                    c.controls
                        .iter()
                        .filter(|r| r.framework == col.id)
                        .cloned()
                        .collect()
                })
                .collect(),
            evidence: c.evidence.clone(),
            commands: c.commands.clone(),
        })
        .collect()
}
