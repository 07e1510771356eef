//! Auditor questions: data in `questions.yaml`, each with the checks it draws on. Their
//! answers are the packet's `answers` section (`sections/answers.rs`).

use serde::{Deserialize, Serialize};

use super::RenderError;
use super::sections::checks::CheckView;
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
pub fn matching_checks<'a>(q: &Question, checks: &'a [CheckView]) -> Vec<&'a CheckView> {
    let pats: Vec<glob::Pattern> = q
        .checks
        .iter()
        .filter_map(|p| glob::Pattern::new(p).ok())
        .collect();
    checks
        .iter()
        .filter(|c| pats.iter().any(|p| p.matches(&c.id)))
        .collect()
}
