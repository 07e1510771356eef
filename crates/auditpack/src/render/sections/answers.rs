//! "Auditor questions and answers": each question's answer, drawn from the checks.
//!
//! Each answer has two parts: the question's own Tera template (a narrative that may only
//! affirm what a passing check shows), and an "evidence status" list written here for
//! every check the question draws on. That list is not a template: whatever a template
//! says, the answer always states each gap (fail/partial observations), each check whose
//! evidence was not collected, and each check that needs a human attestation.

use serde::Serialize;

use super::access::AccessRow;
use super::checks::{CheckView, ObsView};
use super::cover::PacketInfo;
use crate::render::RenderError;
use crate::render::escape::{code_span, markdown, slug};
use crate::render::questions::{Question, matching_checks};
use crate::render::templates::{Templates, tidy_blank_lines};

pub const TEMPLATE: &str = r##"## Auditor questions and answers {{ "auditor-answers" | anchor }}

Each answer is drawn from the checks listed under it. The evidence status under each answer
is written by auditpack from the findings, not by the answer's template: it states every gap
and every piece of evidence that was not collected.
{% for a in answers %}
### {{ a.question }} {{ a.anchor | anchor }}

{{ a.body_md | safe }}

Evidence behind this answer:

{{ a.status_md | safe }}
{% endfor %}

"##;

/// At most this many gap observations are listed under one auditor answer.
pub const MAX_ANSWER_GAPS: usize = 10;

/// A rendered answer.
#[derive(Debug, Clone, Serialize)]
pub struct Answer {
    /// Question id.
    pub id: String,
    /// Anchor.
    pub anchor: String,
    /// Question text.
    pub question: String,
    /// The narrative (Markdown, escaped).
    pub body_md: String,
    /// The evidence-status list (Markdown, escaped).
    pub status_md: String,
}

/// What an answer's template sees.
#[derive(Serialize)]
struct AnswerCtx<'a> {
    question: &'a Question,
    checks: Vec<&'a CheckView>,
    packet: &'a PacketInfo,
    /// Subjects with a flag or cluster-wide access (the rest are in the packet's table).
    access_review: &'a [&'a AccessRow],
    /// Every subject of the effective-access review (rows also carry `namespaces`).
    all_access: &'a [AccessRow],
}

/// Renders every question's answer from the packet's checks, cover and access review.
pub fn build(
    t: &Templates,
    questions: &[Question],
    checks: &[CheckView],
    packet: &PacketInfo,
    access: &[AccessRow],
) -> Result<Vec<Answer>, RenderError> {
    // Answer templates are added to a copy of the Tera instance, named `.md` so that
    // autoescape applies to them too.
    let mut t2 = t.clone();
    let notable: Vec<&AccessRow> = access
        .iter()
        .filter(|a| !a.flags.is_empty() || a.scope.starts_with("cluster-wide"))
        .collect();
    let mut out = Vec::with_capacity(questions.len());
    for q in questions {
        let name = format!("question-{}.md", slug(&q.id));
        t2.add_answer(&name, &q.answer)?;
        let checks = matching_checks(q, checks);
        let body = t2.render(
            &name,
            &AnswerCtx {
                question: q,
                checks: checks.clone(),
                packet,
                access_review: &notable,
                all_access: access,
            },
        )?;
        out.push(Answer {
            id: q.id.clone(),
            anchor: format!("question-{}", slug(&q.id)),
            question: q.question.clone(),
            body_md: tidy_blank_lines(body.trim()),
            status_md: status_list(&checks),
        });
    }
    Ok(out)
}

/// The evidence-status list of one answer: never affirmative, always complete.
pub fn status_list(checks: &[&CheckView]) -> String {
    if checks.is_empty() {
        return "- No check in this packet bears on this question: **not collected — no evidence.**\n"
            .to_string();
    }
    let mut s = String::new();
    for c in checks {
        status_item(&mut s, c);
    }
    s
}

/// One check's item of the list, with its gaps and what it leaves to a person.
fn status_item(s: &mut String, c: &CheckView) {
    s.push_str(&format!(
        "- [{}](#{}) ({}): ",
        markdown(&c.title),
        c.anchor,
        code_span(&c.id, false)
    ));
    let explained = |s: &mut String, head: &str| {
        s.push_str(head);
        s.push_str(&markdown(&c.explanation));
        s.push('\n');
    };
    match c.status.as_str() {
        "pass" => s.push_str("**pass** — the evidence supports this check.\n"),
        "not-collected" => explained(s, "**not collected — no evidence.** "),
        "manual" => explained(
            s,
            "**manual — needs a human attestation;** the packet holds no cluster evidence for it. ",
        ),
        "not-applicable" => explained(s, "**not applicable.** "),
        st => {
            s.push_str(&format!(
                "**{} — gap.** {}\n",
                markdown(st),
                markdown(&c.explanation)
            ));
            bounded_list(s, c, &c.gap_obs, c.gap_total, "more gaps", |o| {
                format!("Gap ({}): {}", markdown(&o.status), markdown(&o.message))
            });
        }
    }
    // What the check itself leaves to a person (a human's access to confirm against
    // the identity provider): never a pass, whatever the check's status.
    bounded_list(s, c, &c.manual_obs, c.manual_total, "more to attest", |o| {
        format!(
            "Needs a human attestation (manual): {}",
            markdown(&o.message)
        )
    });
}

/// At most [`MAX_ANSWER_GAPS`] observations as list items, then how many more there are
/// (`total` counts them all) and where the check lists them.
fn bounded_list(
    s: &mut String,
    c: &CheckView,
    listed: &[ObsView],
    total: usize,
    more: &str,
    line: impl Fn(&ObsView) -> String,
) {
    for o in listed.iter().take(MAX_ANSWER_GAPS) {
        s.push_str(&format!("  - {}\n", line(o)));
    }
    if total > MAX_ANSWER_GAPS {
        s.push_str(&format!(
            "  - … and {} {more}, listed under [{}](#{}).\n",
            total - MAX_ANSWER_GAPS,
            markdown(&c.title),
            c.anchor
        ));
    }
}
