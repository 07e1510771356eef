//! "Framework controls": each framework's controls, their requirement and status, and
//! the checks they rest on.

use std::collections::BTreeMap;

use serde::Serialize;

use super::checks::{CheckView, ObsView};
use super::shared::{control_anchor, evidence_link};
use crate::findings::{ControlResult, Findings, Status};
use crate::render::escape::{markdown, message, slug};

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
#### {{ c.id }} — {{ c.title }} {{ c.anchor | anchor }}

Verdict: {{ c.status | status }}{% if c.level %} ({{ c.level }}){% endif %}. Requirement (auditpack's summary): {{ c.requirement }}
{% for k in c.checks %}{% if k.rationale %}
- Why [{{ k.id }}](#{{ k.anchor }}) supports {{ c.id }}: {{ k.rationale }}{% endif %}{% endfor %}
{% if c.deciding %}
What decides it{% if c.checks | length > 1 %} (its checks and their statuses are in the table above){% endif %}:

{% for d in c.deciding %}- {{ d | safe }}
{% endfor %}{% if c.deciding_more > 0 %}- … and {{ c.deciding_more }} more, under each check in [Appendix A](#checks).
{% endif %}{% endif %}
Evidence: {% for e in c.evidence_md %}{{ e | safe }}{% if not loop.last %}; {% endif %}{% else %}no object evidence{% endfor %}.
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
    /// The observations that decide the verdict (Markdown): a few gaps of its checks, or
    /// for a control that passes, a few of the passing observations.
    pub deciding: Vec<String>,
    /// How many more such observations there are (listed under each check).
    pub deciding_more: usize,
    /// Its checks' evidence locations, without repeats (Markdown, packet files linked).
    pub evidence_md: Vec<String>,
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
        deciding: Vec::new(),
        deciding_more: 0,
        evidence_md: Vec::new(),
    }
}

/// At most this many observations are shown under one control.
pub const MAX_DECIDING: usize = 2;

/// Adds to each control the observations that decide it and where its evidence is, from
/// the checks' views.
pub fn attach_evidence(frameworks: &mut [FrameworkView], checks: &[CheckView]) {
    let by_id: BTreeMap<&str, &CheckView> = checks.iter().map(|c| (c.id.as_str(), c)).collect();
    for c in frameworks.iter_mut().flat_map(|f| f.controls.iter_mut()) {
        let views: Vec<&CheckView> = c
            .checks
            .iter()
            .filter_map(|k| by_id.get(k.id.as_str()).copied())
            .collect();
        let gaps: Vec<String> = views
            .iter()
            .flat_map(|v| v.gap_obs.iter().chain(v.manual_obs.iter()))
            .map(deciding_line)
            .collect();
        let total: usize = if gaps.is_empty() {
            views.iter().map(|v| v.pass_obs.len()).sum()
        } else {
            views.iter().map(|v| v.gap_total + v.manual_total).sum()
        };
        let lines: Vec<String> = if gaps.is_empty() {
            views
                .iter()
                .flat_map(|v| v.pass_obs.iter())
                .map(deciding_line)
                .take(MAX_DECIDING)
                .collect()
        } else {
            gaps.into_iter().take(MAX_DECIDING).collect()
        };
        c.deciding_more = total.saturating_sub(lines.len());
        c.deciding = lines;
        let mut seen = std::collections::BTreeSet::new();
        c.evidence_md = views
            .iter()
            .flat_map(|v| v.evidence.iter())
            .filter(|e| seen.insert(e.as_str()))
            .map(|e| evidence_link(e))
            .collect();
    }
}

/// `✗ fail: <message> (Pod production/api)`.
fn deciding_line(o: &ObsView) -> String {
    let status = match o.status.as_str() {
        "pass" => "✓ pass",
        "fail" => "✗ **fail**",
        "partial" => "◐ **partial**",
        "manual" => "✎ *manual*",
        other => other,
    };
    if o.name.is_empty() {
        format!("{status}: {}", message(&o.message))
    } else {
        format!(
            "{status}: {} ({})",
            message(&o.message),
            markdown(&o.object)
        )
    }
}
