//! Auditor questions (data in `questions.yaml`) and their answers, drawn from the checks.
//!
//! Each answer has two parts: the question's own Tera template (a narrative that may only
//! affirm what a passing check shows), and an "evidence status" list written here for
//! every check the question draws on. That list is not a template: whatever a template
//! says, the answer always states each gap (fail/partial observations), each check whose
//! evidence was not collected, and each check that needs a human attestation.

use serde::{Deserialize, Serialize};

use super::RenderError;
use super::context::{CheckView, Context, MAX_ANSWER_GAPS, ObsView};
use super::escape::{code_span, markdown};
use super::templates::Templates;

/// One auditor question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// Stable id (anchor `question-<id>`).
    pub id: String,
    /// The question as an auditor asks it.
    pub question: String,
    /// Check ids or glob patterns (`rbac.*`) of the checks the answer draws on.
    pub checks: Vec<String>,
    /// Tera template of the answer's narrative (Markdown, autoescaped).
    pub answer: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct QuestionsFile {
    questions: Vec<Question>,
}

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

/// Reads `questions.yaml` from the templates in force.
pub fn load_questions(t: &Templates) -> Result<Vec<Question>, RenderError> {
    let text = t.file("questions.yaml").unwrap_or("questions: []\n");
    let f: QuestionsFile = serde_saphyr::from_str(text).map_err(|e| RenderError::Questions {
        name: "questions.yaml".into(),
        message: e.to_string(),
    })?;
    let mut seen = std::collections::BTreeSet::new();
    for q in &f.questions {
        if !seen.insert(q.id.clone()) {
            return Err(RenderError::Questions {
                name: "questions.yaml".into(),
                message: format!("question id {:?} appears twice", q.id),
            });
        }
        for p in &q.checks {
            glob::Pattern::new(p).map_err(|e| RenderError::Questions {
                name: "questions.yaml".into(),
                message: format!("question {}: check pattern {p:?}: {e}", q.id),
            })?;
        }
    }
    Ok(f.questions)
}

/// The checks a question draws on, in findings order.
pub fn matching_checks<'a>(q: &Question, ctx: &'a Context) -> Vec<&'a CheckView> {
    let pats: Vec<glob::Pattern> = q
        .checks
        .iter()
        .filter_map(|p| glob::Pattern::new(p).ok())
        .collect();
    ctx.checks
        .iter()
        .filter(|c| pats.iter().any(|p| p.matches(&c.id)))
        .collect()
}

#[derive(Serialize)]
struct AnswerCtx<'a> {
    question: &'a Question,
    checks: Vec<&'a CheckView>,
    packet: &'a super::context::PacketInfo,
    /// Subjects with a flag or cluster-wide access (the rest are in the packet's table).
    access_review: &'a [&'a super::context::AccessRow],
    /// Every subject of the effective-access review (rows also carry `namespaces`).
    all_access: &'a [super::context::AccessRow],
}

/// Renders every question's answer.
pub fn answer_all(
    t: &Templates,
    questions: &[Question],
    ctx: &Context,
) -> Result<Vec<Answer>, RenderError> {
    // Answer templates are added to a copy of the Tera instance, named `.md` so that
    // autoescape applies to them too.
    let mut t2 = t.clone();
    let notable: Vec<&super::context::AccessRow> = ctx
        .access_review
        .iter()
        .filter(|a| !a.flags.is_empty() || a.scope.starts_with("cluster-wide"))
        .collect();
    let mut out = Vec::with_capacity(questions.len());
    for q in questions {
        let name = format!("question-{}.md", super::escape::slug(&q.id));
        t2.add_answer(&name, &q.answer)?;
        let checks = matching_checks(q, ctx);
        let body = t2.render(
            &name,
            &AnswerCtx {
                question: q,
                checks: checks.clone(),
                packet: &ctx.packet,
                access_review: &notable,
                all_access: &ctx.access_review,
            },
        )?;
        out.push(Answer {
            id: q.id.clone(),
            anchor: format!("question-{}", super::escape::slug(&q.id)),
            question: q.question.clone(),
            body_md: super::templates::tidy_blank_lines(body.trim()),
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
        let head = format!(
            "- [{}](#{}) ({}): ",
            markdown(&c.title),
            c.anchor,
            code_span(&c.id, false)
        );
        s.push_str(&head);
        match c.status.as_str() {
            "pass" => s.push_str("**pass** — the evidence supports this check.\n"),
            "not-collected" => {
                s.push_str("**not collected — no evidence.** ");
                s.push_str(&markdown(&c.explanation));
                s.push('\n');
            }
            "manual" => {
                s.push_str("**manual — needs a human attestation;** the packet holds no cluster evidence for it. ");
                s.push_str(&markdown(&c.explanation));
                s.push('\n');
            }
            "not-applicable" => {
                s.push_str("**not applicable.** ");
                s.push_str(&markdown(&c.explanation));
                s.push('\n');
            }
            st => {
                s.push_str(&format!(
                    "**{} — gap.** {}\n",
                    markdown(st),
                    markdown(&c.explanation)
                ));
                bounded_list(&mut s, c, &c.gap_obs, c.gap_total, "more gaps", |o| {
                    format!("Gap ({}): {}", markdown(&o.status), markdown(&o.message))
                });
            }
        }
        // What the check itself leaves to a person (a human's access to confirm against
        // the identity provider): never a pass, whatever the check's status.
        bounded_list(
            &mut s,
            c,
            &c.manual_obs,
            c.manual_total,
            "more to attest",
            |o| {
                format!(
                    "Needs a human attestation (manual): {}",
                    markdown(&o.message)
                )
            },
        );
    }
    s
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
