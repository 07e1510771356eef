//! "Checks and evidence": each check with its findings, excerpts of the objects they
//! point to, where the evidence is, and the command that shows it again.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::shared::{Inputs, control_anchor, evidence_link, evidence_location, kind_display};
use crate::findings::{CheckResult, Findings, Observation, Status};
use crate::render::RenderError;
use crate::render::escape::{fenced, field_path, message, slug};
use crate::render::evidence::{excerpt, to_yaml};
use crate::snapshot::{Snapshot, kind_by_key};

pub const TEMPLATE: &str = r##"## Appendix A. Checks and evidence {{ "checks" | anchor }}

The detail behind every verdict: each check that does not pass, with the observations that
decide it (gaps first, a few per check: every one is in [`findings.json`](findings.json)),
an excerpt of an object it points to, and the command that shows the same evidence again.
The checks that pass or do not apply follow in one table.
{% for c in checks %}{% if c.status != "pass" and c.status != "not-applicable" %}
### {{ c.title }} {{ c.anchor | anchor }}

Verdict: {{ c.status | status }} · check {{ c.id | code }} · {{ c.resource }} · supports {% for r in c.controls %}[{{ r.framework }} {{ r.id }}](#{{ r.anchor }}){% if not loop.last %}, {% endif %}{% else %}no selected control{% endfor %} · evidence: {% for e in c.evidence_md %}{{ e | safe }}{% if not loop.last %}; {% endif %}{% else %}no object evidence{% endfor %}

{{ c.explanation_md | safe }}
{% if c.observations %}
| Status | Observation | Object |
|---|---|---|
{% for o in c.observations %}| {{ o.status | status }} | {{ o.message | message(cell=true) }} | {{ o.object }}{% if o.field %} at {{ o.field | code(cell=true) }}{% endif %} |
{% endfor %}{% if c.observations_omitted > 0 %}
… and {{ c.observations_omitted }} more {% if c.observations_omitted == 1 %}observation{% else %}observations{% endif %} of this check (gaps are listed first): all {{ c.observations_total }} are in [`findings.json`](findings.json){% for e in c.evidence_links %}, the objects in {{ e | safe }}{% endfor %}.
{% endif %}{% else %}
No object in the snapshot bears on this check{% if c.not_collected %}: its evidence was **not collected**, so nothing is claimed{% endif %}.
{% endif %}
{% if c.excerpts %}
Evidence excerpts (from [`evidence/snapshot.json`](evidence/snapshot.json), trimmed to the part each observation points to):
{% for e in c.excerpts %}
{{ e.object }}{% if e.field %} at {{ e.field | code(cell=false) }}{% endif %}:

{{ e.yaml_md | safe }}
{% endfor %}{% if c.excerpts_omitted > 0 %}
… and {{ c.excerpts_omitted }} more {% if c.excerpts_omitted == 1 %}object{% else %}objects{% endif %}, not excerpted here: {% for e in c.evidence_links %}{{ e | safe }}{% if not loop.last %}, {% endif %}{% else %}[`evidence/snapshot.json`](evidence/snapshot.json){% endfor %}.
{% endif %}{% endif %}
Reproduce with: {% for cmd in c.commands | slice(end=3) %}{{ cmd | code }}{% if not loop.last %}; {% endif %}{% else %}no command (the evidence is not held by the cluster API){% endfor %}{% if c.commands | length > 3 %}; and {{ c.commands | length - 3 }} more in [`control-matrix.csv`](control-matrix.csv){% endif %}.

{% if c.remediation_md %}
Remediation: {{ c.remediation_md | safe }}
{% endif %}{% endif %}{% endfor %}
### Checks that pass or do not apply {{ "checks-passing" | anchor }}

| Check | Status | What the evidence shows | Evidence | Reproduce with |
|---|---|---|---|---|
{% for c in checks %}{% if c.status == "pass" or c.status == "not-applicable" %}| {{ c.anchor | anchor }}{{ c.title }} {{ c.id | code(cell=true) }} | {{ c.status | status }} | {{ c.explanation | message(cell=true) }} | {% for e in c.evidence_md %}{{ e | safe }}{% if not loop.last %}; {% endif %}{% else %}—{% endfor %} | {% for cmd in c.commands | slice(end=2) %}{{ cmd | code(cell=true) }}{% if not loop.last %}; {% endif %}{% else %}—{% endfor %} |
{% endif %}{% endfor %}

"##;

/// At most this many evidence excerpts are shown under one check (the rest are in
/// `evidence/`).
pub const MAX_EXCERPTS: usize = 1;
/// At most this many observations of one check are listed in the packet's text (gaps
/// first), then "… and N more" with a link to `findings.json`, which holds every one. A
/// table of forty thousand pods helps no reader, and the printed report stays short.
pub const MAX_LISTED: usize = 5;

#[derive(Debug, Clone, Serialize)]
pub struct ControlRef {
    pub framework: String,
    pub id: String,
    pub anchor: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ObsView {
    pub status: String,
    /// The message as the check wrote it (backticks mark literals).
    pub message: String,
    /// The message as Markdown: literals as code spans, values escaped.
    pub message_md: String,
    /// The message as a sentence: first word capitalised when it is a plain lowercase
    /// word, a full stop added when it ends without one (for joining several in prose).
    pub sentence: String,
    /// [`ObsView::sentence`] as Markdown.
    pub sentence_md: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
    pub pointer: String,
    /// The pointer as a field path (`metadata.labels["app"]`; empty for the whole object).
    pub field: String,
    /// `Kind namespace/name`.
    pub object: String,
    pub location: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExcerptView {
    /// `Kind namespace/name at /pointer`, as plain text.
    pub label: String,
    /// `Kind namespace/name`.
    pub object: String,
    /// JSON pointer into the object (empty for the whole object).
    pub pointer: String,
    /// The pointer as a field path.
    pub field: String,
    pub yaml_md: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckView {
    pub id: String,
    pub anchor: String,
    pub title: String,
    pub resource: String,
    pub status: String,
    pub explanation: String,
    /// The explanation as Markdown (literals as code spans).
    pub explanation_md: String,
    pub remediation: Option<String>,
    /// The remediation as Markdown.
    pub remediation_md: Option<String>,
    pub commands: Vec<String>,
    pub observations: Vec<ObsView>,
    /// How many observations the check has, and how many are not listed in the text.
    pub observations_total: usize,
    pub observations_omitted: usize,
    pub pass_obs: Vec<ObsView>,
    pub gap_obs: Vec<ObsView>,
    /// How many gap and manual observations there are (the lists hold at most
    /// [`MAX_LISTED`]).
    pub gap_total: usize,
    pub manual_total: usize,
    /// Observations that need a human attestation (`manual`), whatever the check's status.
    pub manual_obs: Vec<ObsView>,
    /// Distinct objects named by the observations (`Kind namespace/name`).
    pub objects: Vec<String>,
    pub excerpts: Vec<ExcerptView>,
    pub excerpts_omitted: usize,
    pub controls: Vec<ControlRef>,
    pub evidence: Vec<String>,
    /// [`CheckView::evidence`] as Markdown: each packet file a link to it.
    pub evidence_md: Vec<String>,
    /// The links among [`CheckView::evidence_md`] (the evidence files).
    pub evidence_links: Vec<String>,
    pub not_collected: bool,
}

/// One view per check, in findings order.
pub fn build(inp: &Inputs) -> Result<Vec<CheckView>, RenderError> {
    let by_check = controls_by_check(inp.findings);
    inp.findings
        .checks
        .iter()
        .map(|c| {
            let refs = by_check.get(c.id.as_str()).cloned().unwrap_or_default();
            check_view(inp, c, refs)
        })
        .collect()
}

/// The controls each check supports, across frameworks (one pass over the controls).
fn controls_by_check(f: &Findings) -> BTreeMap<&str, Vec<ControlRef>> {
    let mut by_check: BTreeMap<&str, Vec<ControlRef>> = BTreeMap::new();
    for c in &f.controls {
        let r = ControlRef {
            framework: c.framework.clone(),
            id: c.id.clone(),
            anchor: control_anchor(&c.framework, &c.id),
        };
        for ch in &c.checks {
            by_check.entry(ch.as_str()).or_default().push(r.clone());
        }
    }
    by_check
}

fn is_gap(o: &Observation) -> bool {
    matches!(o.status, Status::Fail | Status::Partial)
}

fn check_view(
    inp: &Inputs,
    c: &CheckResult,
    controls: Vec<ControlRef>,
) -> Result<CheckView, RenderError> {
    let s = inp.snapshot;
    let observations: Vec<ObsView> = listed(c).into_iter().map(|o| obs_view(s, o)).collect();
    let (pass_obs, _) = views(s, c, |o| o.status == Status::Pass);
    let (gap_obs, gap_total) = views(s, c, is_gap);
    let (manual_obs, manual_total) = views(s, c, |o| o.status == Status::Manual);
    let (excerpts, excerpts_omitted) = excerpts(inp, c)?;
    let evidence = evidence(s, c);
    Ok(CheckView {
        id: c.id.clone(),
        anchor: format!("check-{}", slug(&c.id)),
        title: c.title.clone(),
        resource: c.resource.clone(),
        status: c.status.to_string(),
        explanation: c.explanation.clone(),
        explanation_md: message(&c.explanation),
        remediation: c.remediation.clone(),
        remediation_md: c.remediation.as_deref().map(message),
        commands: commands(s, c),
        observations_total: c.observations.len(),
        observations_omitted: c.observations.len() - observations.len(),
        objects: objects(&observations),
        observations,
        pass_obs,
        gap_obs,
        gap_total,
        manual_total,
        manual_obs,
        excerpts,
        excerpts_omitted,
        controls,
        evidence_md: evidence.iter().map(|e| evidence_link(e)).collect(),
        evidence_links: evidence
            .iter()
            .filter(|e| e.starts_with("evidence/"))
            .map(|e| evidence_link(e))
            .collect(),
        evidence,
        not_collected: c.status == Status::NotCollected,
    })
}

/// The observations listed in the text: all of them, or when there are too many, the
/// gaps first (what the reader must see), up to [`MAX_LISTED`].
fn listed(c: &CheckResult) -> Vec<&Observation> {
    if c.observations.len() <= MAX_LISTED {
        return c.observations.iter().collect();
    }
    c.observations
        .iter()
        .filter(|o| is_gap(o))
        .chain(c.observations.iter().filter(|o| !is_gap(o)))
        .take(MAX_LISTED)
        .collect()
}

/// The observations that `keep`, at most [`MAX_LISTED`] of them, and how many there are.
fn views(
    s: &Snapshot,
    c: &CheckResult,
    keep: impl Fn(&Observation) -> bool,
) -> (Vec<ObsView>, usize) {
    let all: Vec<&Observation> = c.observations.iter().filter(|o| keep(o)).collect();
    let views = all
        .iter()
        .take(MAX_LISTED)
        .map(|o| obs_view(s, o))
        .collect();
    (views, all.len())
}

/// Distinct objects named by the listed observations, in order.
fn objects(observations: &[ObsView]) -> Vec<String> {
    let mut objects: Vec<String> = Vec::new();
    let mut seen = BTreeSet::new();
    for o in observations {
        // An observation about a set of objects (`all 3 application pods ...`) names none.
        if o.name.is_empty() {
            continue;
        }
        if seen.insert(o.object.clone()) {
            objects.push(o.object.clone());
        }
    }
    objects
}

/// Excerpts of the objects the gap observations point to (what the auditor must see), at
/// most [`MAX_EXCERPTS`]; and how many more objects were not excerpted.
fn excerpts(inp: &Inputs, c: &CheckResult) -> Result<(Vec<ExcerptView>, usize), RenderError> {
    // Only the gaps are excerpted: what passes is in the evidence files.
    let order = c.observations.iter().filter(|o| is_gap(o));
    let mut excerpts = Vec::new();
    let mut seen = BTreeSet::new();
    let mut omitted = 0;
    for o in order {
        let e = &o.evidence;
        let Some(obj) = inp.index.get(&e.kind, e.namespace.as_deref(), &e.name) else {
            continue;
        };
        if !seen.insert((&e.kind, &e.namespace, &e.name, &e.pointer)) {
            continue;
        }
        if excerpts.len() >= MAX_EXCERPTS {
            omitted += 1;
            continue;
        }
        let yaml = to_yaml(&excerpt(&obj.value(), &e.pointer))?;
        let kind = kind_display(&e.kind);
        let object = match &e.namespace {
            Some(ns) => format!("{kind} {ns}/{}", e.name),
            None => format!("{kind} {}", e.name),
        };
        let label = if e.pointer.is_empty() {
            object.clone()
        } else {
            format!("{object} at {}", e.pointer)
        };
        excerpts.push(ExcerptView {
            label,
            object,
            pointer: e.pointer.clone(),
            field: field_path(&e.pointer),
            yaml_md: fenced(&yaml, "yaml"),
        });
    }
    Ok((excerpts, omitted))
}

/// Where the evidence of each kind the check read is, or why there is none.
fn evidence(s: &Snapshot, c: &CheckResult) -> Vec<String> {
    let kinds: BTreeSet<&str> = c
        .observations
        .iter()
        .map(|o| o.evidence.kind.as_str())
        .collect();
    let mut evidence: Vec<String> = kinds.into_iter().map(|k| evidence_location(s, k)).collect();
    if evidence.is_empty() {
        evidence.push(
            match c.status {
                Status::NotCollected => "not collected: no evidence in this packet",
                Status::Manual => "outside the cluster: needs a human attestation",
                Status::NotApplicable => "not applicable",
                _ => "no object evidence",
            }
            .to_string(),
        );
    }
    evidence
}

/// The check's own commands, else a `kubectl get` of each kind its observations name.
fn commands(s: &Snapshot, c: &CheckResult) -> Vec<String> {
    if !c.commands.is_empty() {
        return c.commands.clone();
    }
    let mut kinds: BTreeSet<&str> = BTreeSet::new();
    for o in &c.observations {
        if s.resources.contains_key(&o.evidence.kind) {
            kinds.insert(&o.evidence.kind);
        }
    }
    kinds
        .into_iter()
        .map(|k| {
            let namespaced = kind_by_key(k).is_none_or(|i| i.namespaced);
            if namespaced {
                format!("kubectl get {k} -A -o yaml")
            } else {
                format!("kubectl get {k} -o yaml")
            }
        })
        .collect()
}

/// `no binding names X` → `No binding names X.`; a first word that is not a plain
/// lowercase word (an object name, `kube-apiserver`) is left as it is.
fn sentence(message: &str) -> String {
    let m = message.trim();
    let first = m.split(' ').next().unwrap_or("");
    let mut out = if !first.is_empty() && first.chars().all(|c| c.is_ascii_lowercase()) {
        let mut cs = m.chars();
        let head = cs.next().map(|c| c.to_ascii_uppercase()).unwrap_or(' ');
        std::iter::once(head).chain(cs).collect()
    } else {
        m.to_string()
    };
    if !out.is_empty() && !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

fn obs_view(s: &Snapshot, o: &Observation) -> ObsView {
    let e = &o.evidence;
    let kind = kind_display(&e.kind);
    let object = match &e.namespace {
        // An observation about a set of objects names no single one.
        _ if e.name.is_empty() => format!("{kind} (no single object)"),
        Some(ns) => format!("{kind} {ns}/{}", e.name),
        None => format!("{kind} {}", e.name),
    };
    ObsView {
        status: o.status.to_string(),
        message: o.message.clone(),
        message_md: message(&o.message),
        sentence: sentence(&o.message),
        sentence_md: message(&sentence(&o.message)),
        kind,
        namespace: e.namespace.clone(),
        name: e.name.clone(),
        pointer: e.pointer.clone(),
        field: field_path(&e.pointer),
        object,
        location: evidence_location(s, &e.kind),
    }
}
