//! Small helpers shared by the check families: evidence references, JSON access, selectors.

use serde_json::{Map, Value};

use crate::findings::{CheckResult, EvidenceRef, Observation, Status};
use crate::snapshot::KindInfo;
use crate::snapshot::kinds::{CRON_JOBS, DAEMON_SETS, DEPLOYMENTS, JOBS, PODS, STATEFUL_SETS};

/// The value at a JSON pointer (RFC 6901), like `Value::pointer` but without allocating
/// for tokens that need no unescaping: checks walk hundreds of thousands of objects.
pub fn at<'a>(v: &'a Value, pointer: &str) -> Option<&'a Value> {
    if pointer.is_empty() {
        return Some(v);
    }
    let mut cur = v;
    for tok in pointer.strip_prefix('/')?.split('/') {
        let owned;
        let t: &str = if tok.contains('~') {
            owned = tok.replace("~1", "/").replace("~0", "~");
            &owned
        } else {
            tok
        };
        cur = match cur {
            Value::Object(m) => m.get(t)?,
            Value::Array(a) => a.get(t.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// `metadata.name` of an object.
pub fn name(o: &Value) -> &str {
    at(o, "/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// `metadata.namespace` of an object.
pub fn namespace(o: &Value) -> Option<&str> {
    at(o, "/metadata/namespace").and_then(Value::as_str)
}

/// `metadata.labels` of an object (empty map when absent).
pub fn labels(o: &Value) -> &Map<String, Value> {
    static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    at(o, "/metadata/labels")
        .and_then(Value::as_object)
        .unwrap_or_else(|| EMPTY.get_or_init(Map::new))
}

/// A string field at a JSON pointer.
pub fn str_at<'a>(o: &'a Value, pointer: &str) -> Option<&'a str> {
    at(o, pointer).and_then(Value::as_str)
}

/// A boolean field at a JSON pointer.
pub fn bool_at(o: &Value, pointer: &str) -> Option<bool> {
    at(o, pointer).and_then(Value::as_bool)
}

/// An array at a JSON pointer (empty when absent or null).
pub fn arr<'a>(o: &'a Value, pointer: &str) -> &'a [Value] {
    at(o, pointer)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// Strings of an array at a JSON pointer.
pub fn strs<'a>(o: &'a Value, pointer: &str) -> Vec<&'a str> {
    arr(o, pointer).iter().filter_map(Value::as_str).collect()
}

/// Escapes one JSON pointer token (RFC 6901).
pub fn esc(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// An evidence reference to an object of a snapshot kind.
pub fn evidence(kind: impl AsRef<str>, o: &Value, pointer: impl Into<String>) -> EvidenceRef {
    EvidenceRef {
        kind: kind.as_ref().to_string(),
        namespace: namespace(o).map(str::to_string),
        name: name(o).to_string(),
        pointer: pointer.into(),
    }
}

/// An evidence reference to something that is not an API object (a file, the snapshot).
pub fn evidence_file(kind: impl AsRef<str>, name: &str, pointer: impl Into<String>) -> EvidenceRef {
    EvidenceRef {
        kind: kind.as_ref().to_string(),
        namespace: None,
        name: name.to_string(),
        pointer: pointer.into(),
    }
}

/// An observation.
pub fn obs(status: Status, message: impl Into<String>, evidence: EvidenceRef) -> Observation {
    Observation {
        status,
        message: message.into(),
        evidence,
    }
}

/// Whether a label selector (`matchLabels` + `matchExpressions`) matches a label set.
/// An empty selector matches everything; an invalid operator matches nothing.
pub fn selector_matches(selector: &Value, labels: &Map<String, Value>) -> bool {
    if let Some(ml) = selector.get("matchLabels").and_then(Value::as_object) {
        for (k, v) in ml {
            if labels.get(k).and_then(Value::as_str) != v.as_str() {
                return false;
            }
        }
    }
    for expr in arr(selector, "/matchExpressions") {
        let key = str_at(expr, "/key").unwrap_or("");
        let values = strs(expr, "/values");
        let have = labels.get(key).and_then(Value::as_str);
        let ok = match str_at(expr, "/operator").unwrap_or("") {
            "In" => have.is_some_and(|h| values.contains(&h)),
            "NotIn" => have.is_none_or(|h| !values.contains(&h)),
            "Exists" => have.is_some(),
            "DoesNotExist" => have.is_none(),
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    true
}

/// Builds a check result. [`Builder::derived`] gives the status its observations support:
/// one failing object fails the whole check (a control that is missing for some of what it
/// covers is not in place), then partial, not-collected, manual, pass.
///
/// The builder also decides `not-collected`, for every check alike ([`Builder::missing`],
/// [`Builder::finish`]): a check that lacks some of its input is `not-collected`, unless
/// what it did see already fails — then it is `fail`, and says the evidence is incomplete.
/// Missing evidence never hides a failure that was seen, and never reads as a pass.
pub struct Builder {
    /// Id.
    pub id: &'static str,
    /// Title.
    pub title: &'static str,
    /// Resources.
    pub resource: &'static str,
    /// Observations so far.
    pub observations: Vec<Observation>,
    /// Commands.
    pub commands: Vec<String>,
    seen: std::collections::HashSet<String>,
    /// Kinds the check needed and did not get, with what they leave unjudged.
    missing: Vec<(crate::snapshot::NotCollected, String)>,
}

/// At most this many commands per check: the first ones are the cluster-wide exports that
/// reproduce everything; per-object commands beyond this add bulk, not evidence.
const MAX_COMMANDS: usize = 25;

impl Builder {
    /// Starts a result of a check.
    pub fn new(def: &'static super::CheckDef) -> Self {
        Builder {
            id: def.id,
            title: def.title,
            resource: def.resource,
            observations: Vec::new(),
            commands: Vec::new(),
            seen: std::collections::HashSet::new(),
            missing: Vec::new(),
        }
    }

    /// Records that a kind the check reads was not collected, with what that leaves
    /// unjudged (`whether images are pinned by digest`), and lets the check go on with
    /// the kinds it has: [`Builder::finish`] then gives `not-collected`, or `fail` when a
    /// failure was seen all the same.
    pub fn missing(&mut self, err: &crate::snapshot::NotCollected, what: &str) {
        self.push(
            Status::NotCollected,
            format!(
                "{} was not collected ({:?}): {what} cannot be judged",
                err.key, err.status
            ),
            evidence_file(&err.key, "", ""),
        );
        self.missing.push((err.clone(), what.to_string()));
    }

    /// Adds a command.
    pub fn cmd(&mut self, c: impl Into<String>) -> &mut Self {
        let c = c.into();
        if self.commands.len() < MAX_COMMANDS && self.seen.insert(c.clone()) {
            self.commands.push(c);
        }
        self
    }

    /// Adds an observation.
    pub fn push(&mut self, status: Status, message: impl Into<String>, evidence: EvidenceRef) {
        self.observations.push(obs(status, message, evidence));
    }

    /// The worst status among the observations (fail > partial > not-collected > manual >
    /// pass), or `None` when there are none.
    pub fn derived(&self) -> Option<Status> {
        let has = |s| self.observations.iter().any(|o| o.status == s);
        if self.observations.is_empty() {
            None
        } else if has(Status::Fail) {
            Some(Status::Fail)
        } else if has(Status::Partial) {
            Some(Status::Partial)
        } else if has(Status::NotCollected) {
            Some(Status::NotCollected)
        } else if has(Status::Manual) {
            Some(Status::Manual)
        } else if has(Status::Pass) {
            Some(Status::Pass)
        } else {
            Some(Status::NotApplicable)
        }
    }

    /// Finishes with an explicit status. Missing evidence is decided here, the same way
    /// for every check:
    /// - a failing observation makes the check `fail`, even when the check itself says
    ///   `not-collected` or a kind it reads is missing (what was seen is reported; the
    ///   explanation adds that the evidence is incomplete);
    /// - otherwise a kind recorded with [`Builder::missing`] makes it `not-collected`,
    ///   whatever the rest showed.
    pub fn finish(
        self,
        status: Status,
        explanation: impl Into<String>,
        remediation: Option<&str>,
    ) -> CheckResult {
        const COLLECT: &str = "Collect the snapshot with an identity that may list this kind (see `kubectl auth can-i list KIND -A`).";
        let mut explanation = explanation.into();
        let failed = self
            .observations
            .iter()
            .filter(|o| o.status == Status::Fail)
            .count();
        let missing: Vec<String> = self
            .missing
            .iter()
            .map(|(e, _)| match &e.reason {
                Some(r) if !r.is_empty() => format!("{} ({r})", e.key),
                _ => e.key.clone(),
            })
            .collect();
        let mut remediation = remediation.map(str::to_string);
        let status = if failed > 0 && (status == Status::NotCollected || !missing.is_empty()) {
            if status == Status::NotCollected {
                explanation = format!(
                    "{failed} observation(s) below show a failure, so the check fails whatever the missing evidence would show. {explanation}"
                );
            } else if status != Status::Fail {
                // The check's own wording was for a verdict it no longer has.
                explanation = format!(
                    "{failed} object(s) fail this check among the evidence that was collected."
                );
            }
            if !missing.is_empty() {
                explanation.push_str(&format!(
                    " The evidence is incomplete: the snapshot does not contain {}, so more may fail.",
                    missing.join(", ")
                ));
            }
            Status::Fail
        } else if !missing.is_empty() {
            let what: Vec<&str> = self.missing.iter().map(|(_, w)| w.as_str()).collect();
            let what = what.first().copied().unwrap_or("the check");
            let seen = if status == Status::NotApplicable || explanation.is_empty() {
                String::new()
            } else {
                format!(" Of the evidence that was collected: {explanation}")
            };
            explanation = format!(
                "The snapshot does not contain {}, so {what} cannot be judged. This is missing evidence, not a pass.{seen}",
                missing.join(", ")
            );
            remediation = Some(COLLECT.to_string());
            Status::NotCollected
        } else {
            status
        };
        let mut observations = self.observations;
        observations.sort_by(|a, b| {
            (&a.evidence, &a.message, a.status).cmp(&(&b.evidence, &b.message, b.status))
        });
        observations.dedup();
        CheckResult {
            id: self.id.to_string(),
            title: self.title.to_string(),
            resource: self.resource.to_string(),
            status,
            explanation,
            remediation: if status == Status::Pass || status == Status::NotApplicable {
                None
            } else {
                remediation
            },
            observations,
            commands: self.commands,
        }
    }
}

/// The result of a check whose input kind was not collected: `not-collected`, or `fail`
/// when the builder already holds a failure (see [`Builder::finish`]).
pub fn not_collected(b: Builder, err: &crate::snapshot::NotCollected, what: &str) -> CheckResult {
    let mut b = b;
    b.missing(err, what);
    b.finish(Status::NotCollected, "", None)
}

/// Namespaces exempt from workload and network checks by convention (the control plane's own).
pub const SYSTEM_NAMESPACES: &[&str] = &["kube-system", "kube-public", "kube-node-lease"];

/// The pod template of a workload object, with the JSON pointer to its pod spec, or the
/// pod's own spec.
pub fn pod_spec<'a>(kind: &KindInfo, o: &'a Value) -> Option<(&'a Value, &'a Value, &'static str)> {
    let (meta_ptr, spec_ptr) = match kind {
        k if k == PODS => ("/metadata", "/spec"),
        k if k == CRON_JOBS => (
            "/spec/jobTemplate/spec/template/metadata",
            "/spec/jobTemplate/spec/template/spec",
        ),
        _ => ("/spec/template/metadata", "/spec/template/spec"),
    };
    static NULL: Value = Value::Null;
    let spec = at(o, spec_ptr)?;
    let meta = at(o, meta_ptr).unwrap_or(&NULL);
    Some((meta, spec, spec_ptr))
}

/// Kinds that carry a pod spec, in evaluation order.
pub const WORKLOAD_KINDS: &[&KindInfo] = &[
    PODS,
    DEPLOYMENTS,
    STATEFUL_SETS,
    DAEMON_SETS,
    JOBS,
    CRON_JOBS,
];

/// The `Kind` of a kind key.
pub fn kind_name(kind: &KindInfo) -> &'static str {
    kind.kind
}

/// Static (mirror) pods, run by the kubelet from files: they get no ServiceAccount token.
pub fn is_static_pod(o: &Value) -> bool {
    at(o, "/metadata/annotations/kubernetes.io~1config.mirror").is_some()
        || str_at(o, "/metadata/annotations/kubernetes.io~1config.source") == Some("file")
        || arr(o, "/metadata/ownerReferences")
            .iter()
            .any(|r| str_at(r, "/kind") == Some("Node"))
}

/// A literal in a message (a flag, a field, a command, a value the check itself names):
/// the packet shows it as code. Messages are plain text in which backticks mark literals
/// (`render::escape::message`); write `` `--flag` `` in a message's own text, or `code(x)`
/// when the literal is built.
pub fn code(literal: &str) -> String {
    format!("`{}`", value(literal))
}

/// A value from the cluster (an object name, a label) in a message: shown as text, never
/// as code or markup, whatever backticks it holds.
pub fn value(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        if c == '`' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `1 subject`, `2 subjects`: a count with its noun, singular for one. `plural` is the
/// plural form (`count(n, "policy", "policies")`).
pub fn count(n: usize, singular: &str, plural: &str) -> String {
    format!("{n} {}", if n == 1 { singular } else { plural })
}

/// Up to ten names, comma-separated, then how many more: explanations stay readable on
/// large clusters (every name is still in the observations).
pub fn name_list<S: AsRef<str>>(names: impl ExactSizeIterator<Item = S>) -> String {
    let total = names.len();
    let shown: Vec<String> = names.take(10).map(|s| value(s.as_ref())).collect();
    if total > shown.len() {
        format!("{} and {} more", shown.join(", "), total - shown.len())
    } else {
        shown.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn label_selectors_follow_the_api() {
        let l = json!({"app": "web", "tier": "frontend"});
        let l = l.as_object().unwrap();
        let m = |s: Value| selector_matches(&s, l);
        assert!(m(json!({})), "empty selector selects everything");
        assert!(m(json!({"matchLabels": null})));
        assert!(m(json!({"matchLabels": {"app": "web"}})));
        assert!(!m(json!({"matchLabels": {"app": "web", "env": "prod"}})));
        assert!(m(
            json!({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["frontend", "edge"]}]})
        ));
        assert!(!m(
            json!({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["frontend"]}]})
        ));
        assert!(
            m(
                json!({"matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["prod"]}]})
            ),
            "NotIn matches a missing key"
        );
        assert!(!m(
            json!({"matchExpressions": [{"key": "env", "operator": "In", "values": ["prod"]}]})
        ));
        assert!(m(
            json!({"matchExpressions": [{"key": "app", "operator": "Exists"}]})
        ));
        assert!(!m(
            json!({"matchExpressions": [{"key": "app", "operator": "DoesNotExist"}]})
        ));
        assert!(m(
            json!({"matchExpressions": [{"key": "env", "operator": "DoesNotExist"}]})
        ));
        assert!(
            !m(
                json!({"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "env", "operator": "Exists"}]})
            ),
            "both parts must match"
        );
        assert!(
            !m(json!({"matchExpressions": [{"key": "app", "operator": "Bogus"}]})),
            "invalid operator selects nothing"
        );
    }

    #[test]
    fn message_helpers_mark_literals_and_escape_values() {
        assert_eq!(code("--anonymous-auth=false"), "`--anonymous-auth=false`");
        assert_eq!(value("a`b\\c"), "a\\`b\\\\c");
        assert_eq!(code("a`b"), "`a\\`b`");
        assert_eq!(count(1, "subject", "subjects"), "1 subject");
        assert_eq!(count(2, "policy", "policies"), "2 policies");
    }

    #[test]
    fn long_name_lists_are_cut() {
        let names: Vec<String> = (0..12).map(|i| format!("n{i}")).collect();
        assert_eq!(
            name_list(names.iter()),
            "n0, n1, n2, n3, n4, n5, n6, n7, n8, n9 and 2 more"
        );
        assert_eq!(name_list(["a", "b"].iter()), "a, b");
    }
}
