//! "Changes since the previous packet": the access gained and lost and the statuses that
//! changed, as [`crate::history::changes()`] found them.

use serde::Serialize;

use crate::controls::ChangeKind;
use crate::history::{self, Evidence, StatusChange};
use crate::render::PreviousPacket;

use super::shared::ts;

pub const TEMPLATE: &str = r##"{% if changes %}
## Appendix D. Changes since the previous packet {{ "changes" | anchor }}

Previous packet: {% if changes.previous_id %}{{ changes.previous_id | code }}{% else %}unknown id{% endif %}{% if changes.previous_collected_at %}, collected at {{ changes.previous_collected_at }}{% endif %}. Compared on {{ changes.basis }}.

Access gained:

| Subject | Access |
|---|---|
{% for c in changes.access_gained %}| {{ c.subject }} | {{ c.detail }} |
{% else %}| none | |
{% endfor %}
Access removed:

| Subject | Access |
|---|---|
{% for c in changes.access_lost %}| {{ c.subject }} | {{ c.detail }} |
{% else %}| none | |
{% endfor %}
Status changes:

| What | Id | Title | Before | Now |
|---|---|---|---|---|
{% for c in changes.status_changes %}| {{ c.what }} | {{ c.id }} | {{ c.title }} | {{ c.before }} | {{ c.after }} |
{% else %}| none | | | | |
{% endfor %}{% endif %}
"##;

/// One subject's access that appeared or disappeared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessLine {
    /// `ServiceAccount production/task-api-sa`, `User alice`, `Group devs`.
    pub subject: String,
    /// What was gained or lost (`get, list pods in production via RoleBinding ...`).
    pub detail: String,
}

/// The section's view.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ChangesView {
    /// The previous packet's id, when known.
    pub previous_id: Option<String>,
    /// When the previous snapshot was collected, when known.
    pub previous_collected_at: Option<String>,
    /// What the comparison rests on, for the reader.
    pub basis: String,
    /// Access present now and not before.
    pub access_gained: Vec<AccessLine>,
    /// Access present before and not now.
    pub access_lost: Vec<AccessLine>,
    /// Checks and controls whose status changed.
    pub status_changes: Vec<StatusChange>,
}

/// The previous packet as one side of [`history::changes()`]: its findings, else its
/// snapshot.
pub fn previous_evidence(prev: &PreviousPacket) -> Evidence<'_> {
    Evidence {
        snapshot: prev.snapshot.as_ref(),
        findings: prev.findings.as_ref(),
    }
}

/// The section, when there is a previous packet (or changes computed by the caller).
pub fn build(
    previous: Option<&PreviousPacket>,
    changes: Option<&history::Changes>,
) -> Option<ChangesView> {
    let changes = changes?;
    let mut view = ChangesView {
        previous_id: previous.and_then(|p| p.id.clone()),
        previous_collected_at: previous
            .and_then(|p| p.snapshot.as_ref())
            .map(|s| ts(s.collected_at)),
        ..ChangesView::default()
    };
    let Some(access) = &changes.access else {
        view.basis = "nothing: the previous packet's RBAC evidence was not available, so access changes cannot be shown".into();
        return Some(view);
    };
    for c in access {
        let line = AccessLine {
            subject: c.subject.to_string(),
            detail: c.grant.to_string(),
        };
        match c.change {
            ChangeKind::Granted => view.access_gained.push(line),
            ChangeKind::Removed => view.access_lost.push(line),
        }
    }
    match &changes.statuses {
        Some(statuses) => {
            view.basis =
                "the effective-access review and the check and control statuses of both packets"
                    .into();
            view.status_changes = statuses.clone();
        }
        None => {
            view.basis = "the effective-access review of both snapshots (the previous findings were not given, so statuses are not compared)".into();
        }
    }
    Some(view)
}
