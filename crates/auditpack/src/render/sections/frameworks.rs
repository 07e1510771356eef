//! "Framework controls": each framework's controls, their requirement and status, and
//! the checks they rest on.

use std::collections::BTreeMap;

use serde::Serialize;

use super::shared::control_anchor;
use crate::findings::{ControlResult, Findings, Status};
use crate::render::escape::slug;

pub const TEMPLATE: &str = r##"## Framework controls {{ "frameworks" | anchor }}
{% for f in frameworks %}
### {{ f.name }} {{ f.anchor | anchor }}

| Control | Title | Status | Checks |
|---|---|---|---|
{% for c in f.controls %}| [{{ c.id }}](#{{ c.anchor }}) | {{ c.title }} | {{ c.status | status }} | {% for k in c.checks %}[{{ k.id }}](#{{ k.anchor }}) ({{ k.status }}){% if not loop.last %}, {% endif %}{% endfor %} |
{% endfor %}
{% for c in f.controls %}
#### {{ f.name }} {{ c.id }} — {{ c.title }} {{ c.anchor | anchor }}

Requirement: {{ c.requirement }}

Status: {{ c.status | status }}, from {% for k in c.checks %}[{{ k.title }}](#{{ k.anchor }}) ({{ k.status }}){% if not loop.last %}, {% endif %}{% endfor %}.
{% endfor %}{% endfor %}

"##;

#[derive(Debug, Clone, Serialize)]
pub struct FrameworkView {
    pub id: String,
    pub name: String,
    pub source: String,
    pub anchor: String,
    pub controls: Vec<ControlView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ControlView {
    pub id: String,
    pub anchor: String,
    pub title: String,
    pub requirement: String,
    pub status: String,
    pub checks: Vec<CheckRef>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckRef {
    pub id: String,
    pub anchor: String,
    pub title: String,
    pub status: String,
}

/// Check id → (title, status).
type CheckStatus<'a> = BTreeMap<&'a str, (&'a str, Status)>;

/// One view per framework, in the order selected.
pub fn build(f: &Findings) -> Vec<FrameworkView> {
    let check_status: CheckStatus = f
        .checks
        .iter()
        .map(|c| (c.id.as_str(), (c.title.as_str(), c.status)))
        .collect();
    f.frameworks
        .iter()
        .map(|fw| FrameworkView {
            id: fw.id.clone(),
            name: fw.name.clone(),
            source: fw.source.clone(),
            anchor: format!("framework-{}", slug(&fw.id)),
            controls: f
                .controls
                .iter()
                .filter(|c| c.framework == fw.id)
                .map(|c| control_view(c, &check_status))
                .collect(),
        })
        .collect()
}

fn control_view(c: &ControlResult, check_status: &CheckStatus) -> ControlView {
    ControlView {
        id: c.id.clone(),
        anchor: control_anchor(&c.framework, &c.id),
        title: c.title.clone(),
        requirement: c.requirement.clone(),
        status: c.status.to_string(),
        checks: c
            .checks
            .iter()
            .map(|id| {
                let (title, st) = check_status
                    .get(id.as_str())
                    .map(|(t, s)| (t.to_string(), s.to_string()))
                    .unwrap_or_else(|| ("(not in findings)".into(), "not-collected".into()));
                CheckRef {
                    id: id.clone(),
                    anchor: format!("check-{}", slug(id)),
                    title,
                    status: st,
                }
            })
            .collect(),
    }
}
