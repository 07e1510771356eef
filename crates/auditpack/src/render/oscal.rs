//! `oscal/assessment-results.json`: NIST OSCAL 1.1.3 assessment results.
//!
//! One result for the packet; one observation per check (with the packet files that hold
//! its evidence); one finding per framework control, targeting the control as an
//! `objective-id`. OSCAL's objective status has only `satisfied` and `not-satisfied`:
//! only `pass` is `satisfied`; every other status is `not-satisfied` with reason `other`
//! and the auditpack status in a property, so a missing piece of evidence never reads as
//! satisfied. UUIDs are derived from stable names (version-5 style, from SHA-256), so the
//! same packet always gets the same UUIDs.

use serde_json::{Value, json};

use super::context::Context;
use super::sections::checks::CheckView;
use super::sections::cover::PacketInfo;
use crate::findings::{ControlResult, Findings, Status};
use crate::snapshot::Snapshot;

/// The namespace of auditpack's OSCAL properties.
pub const PROP_NS: &str = "urn:auditpack:oscal";

/// A deterministic RFC 4122 version-5-style UUID from a stable name.
pub fn det_uuid(name: &str) -> String {
    use sha2::{Digest, Sha256};
    let h = Sha256::digest(format!("auditpack/oscal\n{name}").as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&h[..16]);
    uuid::Builder::from_sha1_bytes(b).into_uuid().to_string()
}

/// An OSCAL token (`^(\p{L}|_)(\p{L}|\p{N}|[.\-_])*$`) made from a control id:
/// `soc2` + `CC6.1` → `soc2_cc6.1`, `hipaa` + `164.312(a)(1)` → `hipaa_164.312-a-1`.
pub fn control_token(framework: &str, id: &str) -> String {
    let mut out = String::new();
    for c in format!("{framework}_{id}").chars() {
        if c.is_alphanumeric() || c == '.' || c == '_' {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-').to_string();
    if out
        .chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
    {
        out
    } else {
        format!("_{out}")
    }
}

fn prop(name: &str, value: &str) -> Value {
    json!({"name": name, "ns": PROP_NS, "value": value})
}

/// The assessment-results document.
pub fn assessment_results(snapshot: &Snapshot, findings: &Findings, ctx: &Context) -> Value {
    let _ = snapshot;
    let p = &ctx.packet;
    let id = &p.id;
    let observations: Vec<Value> = ctx
        .checks
        .iter()
        .map(|c| observation(id, c, &p.collected_at))
        .collect();
    let control_ids: Vec<Value> = findings
        .controls
        .iter()
        .map(|c| json!({"control-id": control_token(&c.framework, &c.id)}))
        .collect();
    let oscal_findings: Vec<Value> = findings
        .controls
        .iter()
        .map(|c| finding(id, c, &ctx.checks))
        .collect();
    let result = result(p, control_ids, observations, oscal_findings);
    document(p, result)
}

/// One observation per check, with the packet files that hold its evidence.
fn observation(id: &str, c: &CheckView, collected_at: &str) -> Value {
    let mut o = serde_json::Map::new();
    o.insert(
        "uuid".into(),
        det_uuid(&format!("{id}/observation/{}", c.id)).into(),
    );
    o.insert("title".into(), format!("{} ({})", c.title, c.id).into());
    o.insert("description".into(), c.explanation.clone().into());
    o.insert(
        "props".into(),
        json!([prop("check-id", &c.id), prop("auditpack-status", &c.status)]),
    );
    o.insert("methods".into(), json!(["EXAMINE"]));
    o.insert("types".into(), json!(["finding"]));
    let mut ev: Vec<Value> = c
        .evidence
        .iter()
        .filter(|e| e.starts_with("evidence/"))
        .map(|e| {
            // Relative to this file, which sits in `oscal/`: `../evidence/…`.
            let href = format!("../{}", e.split(' ').next().unwrap_or(e));
            json!({"href": href, "description": format!("Evidence for {}: {}", c.id, e)})
        })
        .collect();
    for e in c.evidence.iter().filter(|e| !e.starts_with("evidence/")) {
        ev.push(json!({"description": format!("Evidence for {}: {}", c.id, e)}));
    }
    if !ev.is_empty() {
        o.insert("relevant-evidence".into(), Value::Array(ev));
    }
    o.insert("collected".into(), collected_at.into());
    let mut remarks = String::new();
    for ob in &c.observations {
        remarks.push_str(&format!("- [{}] {}\n", ob.status, ob.message));
    }
    if !remarks.is_empty() {
        o.insert("remarks".into(), remarks.into());
    }
    Value::Object(o)
}

/// One finding per framework control, targeting it as an `objective-id`: only `pass`
/// is `satisfied`.
fn finding(id: &str, c: &ControlResult, checks: &[CheckView]) -> Value {
    let token = control_token(&c.framework, &c.id);
    let satisfied = c.status == Status::Pass;
    let mut status = json!({"state": if satisfied { "satisfied" } else { "not-satisfied" }});
    if !satisfied {
        status["reason"] = Value::from(if c.status == Status::Fail {
            "fail"
        } else {
            "other"
        });
        status["remarks"] = Value::from(format!(
            "auditpack status: {} (only pass is reported as satisfied)",
            c.status
        ));
    } else {
        status["reason"] = Value::from("pass");
    }
    let related: Vec<Value> = c
        .checks
        .iter()
        .filter(|ch| checks.iter().any(|v| &v.id == *ch))
        .map(|ch| json!({"observation-uuid": det_uuid(&format!("{id}/observation/{ch}"))}))
        .collect();
    let mut f = json!({
        "uuid": det_uuid(&format!("{id}/finding/{}/{}", c.framework, c.id)),
        "title": format!("{} {}: {}", c.framework, c.id, c.title),
        "description": if c.requirement.is_empty() { c.title.clone() } else { c.requirement.clone() },
        "props": [prop("framework", &c.framework), prop("control-id", &c.id), prop("auditpack-status", c.status.as_str())],
        "target": {
            "type": "objective-id",
            "target-id": token,
            "status": status,
        },
    });
    if !related.is_empty() {
        f["related-observations"] = Value::Array(related);
    }
    f
}

/// The packet's one result.
fn result(
    p: &PacketInfo,
    control_ids: Vec<Value>,
    observations: Vec<Value>,
    findings: Vec<Value>,
) -> Value {
    let id = &p.id;
    let mut result = json!({
        "uuid": det_uuid(&format!("{id}/result")),
        "title": format!("Kubernetes controls of {} ({})", p.cluster, p.period_label),
        "description": format!(
            "Automated examination of the Kubernetes security controls of cluster {} from a snapshot collected at {} ({}). Compliance awareness and evidence, not certification.",
            p.cluster, p.collected_at, p.source_mode
        ),
        "start": p.collected_at,
        "props": [prop("packet-id", id), prop("snapshot-sha256", &p.snapshot_sha256)],
        "reviewed-controls": {
            "control-selections": [if control_ids.is_empty() {
                json!({"include-all": {}})
            } else {
                json!({"include-controls": control_ids})
            }]
        },
    });
    if !observations.is_empty() {
        result["observations"] = Value::Array(observations);
    }
    if !findings.is_empty() {
        result["findings"] = Value::Array(findings);
    }
    result
}

/// The document around the result: metadata, and the plan as a back-matter resource.
fn document(p: &PacketInfo, result: Value) -> Value {
    let id = &p.id;
    let plan_uuid = det_uuid(&format!("{id}/assessment-plan"));
    json!({
        "assessment-results": {
            "uuid": det_uuid(&format!("{id}/assessment-results")),
            "metadata": {
                "title": format!("Audit packet {id}"),
                "last-modified": p.rendered_at,
                "version": id,
                "oscal-version": "1.1.3",
                "props": [prop("period-start", &p.period_start), prop("period-end", &p.period_end)],
                "remarks": "Generated by auditpack. Compliance awareness and evidence, not certification.",
            },
            "import-ap": {
                "href": format!("#{plan_uuid}"),
                "remarks": "No separate OSCAL assessment plan: the plan is the auditpack catalog run described in the back-matter resource.",
            },
            "results": [result],
            "back-matter": {
                "resources": [{
                    "uuid": plan_uuid,
                    "title": "auditpack assessment plan",
                    "description": format!(
                        "Frameworks evaluated: {}. Evidence scope: {}. Packet metadata in packet.json.",
                        p.frameworks.iter().map(|f| format!("{} ({})", f.name, f.source)).collect::<Vec<_>>().join(", "),
                        p.scope
                    ),
                    "rlinks": [{"href": "../packet.json", "media-type": "application/json"}],
                }]
            },
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_deterministic_and_rfc4122() {
        let a = det_uuid("x");
        assert_eq!(a, det_uuid("x"));
        assert_ne!(a, det_uuid("y"));
        assert_eq!(&a[14..15], "5");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"));
    }

    #[test]
    fn control_tokens_are_ncnames() {
        assert_eq!(control_token("soc2", "CC6.1"), "soc2_cc6.1");
        assert_eq!(
            control_token("hipaa", "164.312(a)(2)(iv)"),
            "hipaa_164.312-a-2-iv"
        );
        assert_eq!(control_token("9x", "a"), "_9x_a");
    }
}
