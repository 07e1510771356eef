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

{% if f.version %}Criteria version: {{ f.version }}. {% endif %}The requirement texts are auditpack's own summaries of each control, not the framework's wording: the framework's published text is authoritative.
{% if f.levels %}
| Control | Title | Specification | Status | Checks |
|---|---|---|---|---|
{% for c in f.controls %}| [{{ c.id }}](#{{ c.anchor }}) | {{ c.title }} | {% if c.level %}{{ c.level }}{% else %}standard{% endif %} | {{ c.status | status }} | {% for k in c.checks %}[{{ k.id }}](#{{ k.anchor }}) ({{ k.status }}){% if not loop.last %}, {% endif %}{% endfor %} |
{% endfor %}{% else %}
| Control | Title | Status | Checks |
|---|---|---|---|
{% for c in f.controls %}| [{{ c.id }}](#{{ c.anchor }}) | {{ c.title }} | {{ c.status | status }} | {% for k in c.checks %}[{{ k.id }}](#{{ k.anchor }}) ({{ k.status }}){% if not loop.last %}, {% endif %}{% endfor %} |
{% endfor %}{% endif %}
{% for c in f.controls %}
#### {{ f.name }} {{ c.id }} — {{ c.title }} {{ c.anchor | anchor }}

Requirement (auditpack's summary): {{ c.requirement }}
{% if c.level %}
Implementation specification: {{ c.level }}.
{% endif %}{% for k in c.checks %}{% if k.rationale %}
- Why [{{ k.id }}](#{{ k.anchor }}) supports {{ c.id }}: {{ k.rationale }}{% endif %}{% endfor %}

Status: {{ c.status | status }}, from {% for k in c.checks %}[{{ k.title }}](#{{ k.anchor }}) ({{ k.status }}){% if not loop.last %}, {% endif %}{% endfor %}.
{% endfor %}{% endfor %}

"##;

#[derive(Debug, Clone, Serialize)]
pub struct FrameworkView {
    pub id: String,
    pub name: String,
    pub source: String,
    pub anchor: String,
    /// The edition of the criteria, when the catalog names one.
    pub version: Option<String>,
    /// Whether any control is marked Required or Addressable (the table shows the column).
    pub levels: bool,
    pub controls: Vec<ControlView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ControlView {
    pub id: String,
    pub anchor: String,
    pub title: String,
    pub requirement: String,
    /// `Required`, `Addressable`, or empty.
    pub level: String,
    pub status: String,
    pub checks: Vec<CheckRef>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckRef {
    pub id: String,
    pub anchor: String,
    pub title: String,
    pub status: String,
    /// Why the check supports the control (empty when the catalog gives no reason).
    pub rationale: String,
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
        .map(|fw| {
            let controls: Vec<ControlView> = f
                .controls
                .iter()
                .filter(|c| c.framework == fw.id)
                .map(|c| control_view(c, &check_status))
                .collect();
            FrameworkView {
                id: fw.id.clone(),
                name: fw.name.clone(),
                source: fw.source.clone(),
                anchor: format!("framework-{}", slug(&fw.id)),
                version: fw.version.clone(),
                levels: controls.iter().any(|c| !c.level.is_empty()),
                controls,
            }
        })
        .collect()
}

fn control_view(c: &ControlResult, check_status: &CheckStatus) -> ControlView {
    ControlView {
        id: c.id.clone(),
        anchor: control_anchor(&c.framework, &c.id),
        title: c.title.clone(),
        requirement: c.requirement.clone(),
        level: c.level.clone().unwrap_or_default(),
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
                    rationale: c.rationale.get(id).cloned().unwrap_or_default(),
                }
            })
            .collect(),
    }
}
