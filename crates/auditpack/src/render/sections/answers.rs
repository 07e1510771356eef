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
use crate::render::escape::{code_span, markdown, message, slug};
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
pub const MAX_ANSWER_GAPS: usize = 3;

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
    /// For each sensitive namespace, every subject with its verbs on Secrets, pods/exec
    /// and workloads (`None`: RBAC was not collected).
    sensitive_access: Option<&'a [NamespaceAccess]>,
}

/// Renders every question's answer from the packet's checks, cover and access review.
pub fn build(
    t: &Templates,
    questions: &[Question],
    checks: &[CheckView],
    packet: &PacketInfo,
    access: &[AccessRow],
    sensitive_access: Option<&[NamespaceAccess]>,
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
                sensitive_access,
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
        s.push_str(&message(&c.explanation));
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
                message(&c.explanation)
            ));
            bounded_list(s, c, &c.gap_obs, c.gap_total, "more gaps", |o| {
                format!("Gap ({}): {}", markdown(&o.status), message(&o.message))
            });
        }
    }
    // What the check itself leaves to a person (a human's access to confirm against
    // the identity provider): never a pass, whatever the check's status.
    bounded_list(s, c, &c.manual_obs, c.manual_total, "more to attest", |o| {
        format!(
            "Needs a human attestation (manual): {}",
            message(&o.message)
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

/// The namespace label that marks a namespace sensitive (its access is answered for).
pub const SENSITIVE_LABEL: &str = "auditpack.io/sensitive";

/// Verbs asked about Secrets and workloads.
const VERBS: &[&str] = &[
    "get", "list", "watch", "create", "update", "patch", "delete",
];

/// Workload resources: (API group, resource).
const WORKLOADS: &[(&str, &str)] = &[
    ("", "pods"),
    ("apps", "deployments"),
    ("apps", "statefulsets"),
    ("apps", "daemonsets"),
    ("batch", "jobs"),
    ("batch", "cronjobs"),
];

/// Who holds what in one sensitive namespace.
#[derive(Debug, Clone, Serialize)]
pub struct NamespaceAccess {
    /// The namespace.
    pub namespace: String,
    /// Why it is answered for: `--sensitive-namespace`, its label, or the default.
    pub why: String,
    /// Whether the snapshot holds the Namespace object.
    pub exists: bool,
    /// Every subject outside Kubernetes' system identities holding any of the three, by
    /// subject.
    pub subjects: Vec<SubjectVerbs>,
    /// How many Kubernetes system identities (controllers) hold some of it, not listed.
    pub system_subjects: usize,
}

/// One subject's verbs on Secrets, pods/exec and workloads in a namespace.
#[derive(Debug, Clone, Serialize)]
pub struct SubjectVerbs {
    /// `User sre@example.com`, `ServiceAccount production/task-api-sa`.
    pub subject: String,
    /// Verbs on Secrets (`none` when none).
    pub secrets: String,
    /// Verbs on pods/exec (`none` when none).
    pub exec: String,
    /// Verbs on workloads, grouped by resource (`none` when none).
    pub workloads: String,
    /// The subject's own bindings that grant them there (`RoleBinding/production/rb ->
    /// Role/r`); empty when they come only through a group it belongs to.
    pub via: Vec<String>,
}

/// The namespaces whose access the answers list: every `--sensitive-namespace` and every
/// namespace labelled `auditpack.io/sensitive=true`; when none is marked, every namespace
/// outside the system namespaces. `None` when RBAC was not collected.
pub fn namespace_access(
    snap: &crate::snapshot::Snapshot,
    marked: &[String],
) -> Option<Vec<NamespaceAccess>> {
    use crate::controls::model::rbac::{Model, is_system_subject};
    let model = Model::from_snapshot(snap).ok()?;
    let namespaces = collected_namespaces(snap);
    let chosen = choose_namespaces(&namespaces, marked);
    let mut subjects: Vec<&crate::findings::Subject> = model.subjects().collect();
    subjects.sort();
    let mut out = Vec::new();
    for (ns, why) in chosen {
        let mut listed = Vec::new();
        let mut system = 0;
        for s in &subjects {
            let Some(grants) = NamespaceGrants::of(&model, s, &ns) else {
                continue;
            };
            if is_system_subject(s) {
                system += 1;
                continue;
            }
            listed.push(grants.describe(&model, s, &ns));
        }
        out.push(NamespaceAccess {
            exists: namespaces.iter().any(|(n, _)| *n == ns),
            namespace: ns,
            why,
            subjects: listed,
            system_subjects: system,
        });
    }
    Some(out)
}

/// The collected namespaces, each with whether it carries the sensitive label.
fn collected_namespaces(snap: &crate::snapshot::Snapshot) -> Vec<(String, bool)> {
    snap.collected(crate::snapshot::kinds::NAMESPACES)
        .map(|items| {
            items
                .iter()
                .map(|n| {
                    let v = n.value();
                    let sensitive = crate::controls::util::labels(&v)
                        .get(SENSITIVE_LABEL)
                        .and_then(serde_json::Value::as_str)
                        == Some("true");
                    (n.name().to_string(), sensitive)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The namespaces to answer for, each with the reason it was chosen.
fn choose_namespaces(
    namespaces: &[(String, bool)],
    marked: &[String],
) -> std::collections::BTreeMap<String, String> {
    use crate::controls::util::SYSTEM_NAMESPACES;
    let mut chosen: std::collections::BTreeMap<String, String> = Default::default();
    for m in marked {
        chosen.insert(m.clone(), "named with --sensitive-namespace".into());
    }
    for (n, sensitive) in namespaces {
        if *sensitive {
            chosen
                .entry(n.clone())
                .or_insert_with(|| format!("labelled {SENSITIVE_LABEL}=true"));
        }
    }
    if chosen.is_empty() {
        for (n, _) in namespaces {
            if !SYSTEM_NAMESPACES.contains(&n.as_str()) {
                chosen.insert(
                    n.clone(),
                    "no namespace is marked sensitive, so every namespace outside the system namespaces is listed".into(),
                );
            }
        }
    }
    chosen
}

/// What one subject may do in one namespace: the verbs on Secrets and pods/exec, and the
/// workload resources grouped by the verbs held on them.
struct NamespaceGrants<'a> {
    secrets: Vec<&'a str>,
    exec: Vec<&'a str>,
    workloads: Vec<(Vec<&'a str>, Vec<&'a str>)>,
}

impl NamespaceGrants<'static> {
    /// `None` when the subject holds none of these in `ns`.
    fn of(
        model: &crate::controls::model::rbac::Model,
        s: &crate::findings::Subject,
        ns: &str,
    ) -> Option<Self> {
        let can =
            |verb: &str, group: &str, res: &str| model.can(s, verb, group, res, Some(ns), None);
        let secrets: Vec<&str> = VERBS
            .iter()
            .copied()
            .filter(|v| can(v, "", "secrets"))
            .collect();
        let exec: Vec<&str> = ["create", "get"]
            .into_iter()
            .filter(|v| can(v, "", "pods/exec"))
            .collect();
        let mut workloads: Vec<(Vec<&str>, Vec<&str>)> = Vec::new();
        for (g, r) in WORKLOADS {
            let verbs: Vec<&str> = VERBS.iter().copied().filter(|v| can(v, g, r)).collect();
            if verbs.is_empty() {
                continue;
            }
            match workloads.iter_mut().find(|(v, _)| *v == verbs) {
                Some(e) => e.1.push(r),
                None => workloads.push((verbs, vec![r])),
            }
        }
        if secrets.is_empty() && exec.is_empty() && workloads.is_empty() {
            return None;
        }
        Some(NamespaceGrants {
            secrets,
            exec,
            workloads,
        })
    }

    /// The answer's row: the grants in words, and the bindings whose rules give them.
    fn describe(
        &self,
        model: &crate::controls::model::rbac::Model,
        s: &crate::findings::Subject,
        ns: &str,
    ) -> SubjectVerbs {
        let list = |v: &[&str]| {
            if v.is_empty() {
                "none".to_string()
            } else {
                v.join(", ")
            }
        };
        let workloads = if self.workloads.is_empty() {
            "none".to_string()
        } else {
            self.workloads
                .iter()
                .map(|(v, r)| format!("{} on {}", v.join(", "), r.join(", ")))
                .collect::<Vec<_>>()
                .join("; ")
        };
        let asked = |r: &crate::controls::model::rbac::Rule| {
            VERBS.iter().any(|v| {
                r.allows_any_name(v, "", "secrets")
                    || WORKLOADS
                        .iter()
                        .any(|(g, res)| r.allows_any_name(v, g, res))
            }) || r.allows_any_name("create", "", "pods/exec")
                || r.allows_any_name("get", "", "pods/exec")
        };
        let via: Vec<String> = model
            .bindings_of(s)
            .filter(|b| b.namespace.as_deref().is_none_or(|n| n == ns))
            .filter(|b| {
                model
                    .binding_rules(b)
                    .is_some_and(|rules| rules.iter().any(asked))
            })
            .map(|b| format!("{} -> {}/{}", b.display(), b.role_kind, b.role_name))
            .collect();
        SubjectVerbs {
            subject: crate::controls::model::rbac::subject_display(s),
            secrets: list(&self.secrets),
            exec: list(&self.exec),
            workloads,
            via,
        }
    }
}
