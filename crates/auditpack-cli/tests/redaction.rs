//! The allow-lists keep what the checks read: every fixture cluster evaluates to the same
//! findings before and after redaction, every evidence pointer still points at something,
//! and the Pod Security Standards give the same verdicts on every upstream fixture.

mod common;
use common::shared;

use std::path::{Path, PathBuf};

use auditpack::Snapshot;
use auditpack::internals::parse_documents;
use auditpack::internals::pss::{self, Level};
use auditpack::internals::redact_object;
use auditpack::{EvalOptions, evaluate};
use auditpack::{ImportOptions, import_dir};
use serde_json::Value;

/// `examples/…` from the workspace root, `tests/…` from this crate.
fn root(rel: &str) -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    if rel.starts_with("examples/") {
        here.join("../..").join(rel)
    } else {
        here.join(rel)
    }
}

/// Every file the importer reads under `dir`, in its order.
fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.file_name().unwrap().to_string_lossy().starts_with('.') {
            continue;
        }
        if p.is_dir() {
            files(&p, out);
        } else if matches!(
            p.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml" | "json")
        ) {
            out.push(p);
        }
    }
}

/// The objects of a document, lists flattened and typed list items given their kind.
fn flatten(doc: Value, out: &mut Vec<Value>) {
    let kind = doc["kind"].as_str().unwrap_or("").to_string();
    let api = doc["apiVersion"].as_str().unwrap_or("").to_string();
    match (kind.strip_suffix("List"), doc.get("items")) {
        (Some(item_kind), Some(Value::Array(items))) => {
            for mut item in items.clone() {
                if !item_kind.is_empty()
                    && let Some(o) = item.as_object_mut()
                {
                    o.entry("apiVersion")
                        .or_insert_with(|| Value::String(api.clone()));
                    o.entry("kind")
                        .or_insert_with(|| Value::String(item_kind.to_string()));
                }
                flatten(item, out);
            }
        }
        _ => out.push(doc),
    }
}

/// The folder imported as auditpack imports it, and the same objects unredacted (the
/// evidence files too, key material and all).
fn raw_and_redacted(dir: &Path) -> (Snapshot, Snapshot) {
    let redacted = import_dir(dir, &ImportOptions::default()).unwrap();
    let mut raw = redacted.clone();
    for c in raw.resources.values_mut() {
        c.items.clear();
    }
    raw.redactions.clear();
    let mut list = Vec::new();
    files(dir, &mut list);
    for path in list {
        let docs = parse_documents(&path, &std::fs::read(&path).unwrap()).unwrap();
        if let [(_, doc)] = docs.as_slice() {
            let (api, kind) = (
                doc["apiVersion"].as_str().unwrap_or(""),
                doc["kind"].as_str().unwrap_or(""),
            );
            if api.starts_with("apiserver.config.k8s.io/") && kind == "EncryptionConfiguration" {
                raw.encryption_config.as_mut().unwrap().document = doc.clone();
                continue;
            }
            if api.starts_with("audit.k8s.io/") && kind == "Policy" {
                raw.audit_policy.as_mut().unwrap().document = doc.clone();
                continue;
            }
        }
        for (_, doc) in docs {
            let mut objects = Vec::new();
            flatten(doc, &mut objects);
            for o in objects {
                raw.add_object(o);
            }
        }
    }
    raw.normalize();
    (raw, redacted)
}

const FIXTURES: &[&str] = &[
    "examples/clusters/task-api",
    "tests/fixtures/small",
    "tests/fixtures/allowlist",
    "tests/data/standin-cluster",
];

/// Fails when a check reads a field that an allow-list drops (or a value it masks): the
/// findings of every fixture cluster must be the same before and after redaction.
#[test]
fn findings_do_not_change_when_objects_are_redacted() {
    for rel in FIXTURES {
        let (raw, redacted) = raw_and_redacted(&root(rel));
        assert_ne!(raw, redacted, "{rel}: redaction changed nothing?");
        let opts = EvalOptions::default();
        let before = evaluate(&raw, &opts).unwrap();
        let after = evaluate(&redacted, &opts).unwrap();
        for (b, a) in before.checks.iter().zip(&after.checks) {
            assert_eq!(
                serde_json::to_value(b).unwrap(),
                serde_json::to_value(a).unwrap(),
                "{rel}: check {} reads something redaction removed",
                b.id
            );
        }
        assert_eq!(
            serde_json::to_value(&before).unwrap(),
            serde_json::to_value(&after).unwrap(),
            "{rel}"
        );
    }
}

/// The packet shows each observation's evidence as an excerpt at its pointer: a pointer
/// into a field that redaction dropped would show the whole object instead.
#[test]
fn evidence_pointers_still_resolve_after_redaction() {
    let mut checked = 0;
    for rel in FIXTURES {
        let (raw, redacted) = raw_and_redacted(&root(rel));
        let findings = evaluate(&redacted, &EvalOptions::default()).unwrap();
        for c in &findings.checks {
            for o in &c.observations {
                let e = &o.evidence;
                if e.pointer.is_empty() || e.name.is_empty() {
                    continue;
                }
                let find = |s: &Snapshot| {
                    s.collected(&e.kind).ok().and_then(|items| {
                        items
                            .iter()
                            .find(|i| {
                                i.name() == e.name
                                    && i.namespace() == e.namespace.as_deref().unwrap_or("")
                            })
                            .map(|i| i.value())
                    })
                };
                let (Some(before), Some(after)) = (find(&raw), find(&redacted)) else {
                    continue;
                };
                if before.pointer(&e.pointer).is_some() {
                    checked += 1;
                    assert!(
                        after.pointer(&e.pointer).is_some(),
                        "{rel}: {} evidence {}/{} {} no longer resolves",
                        c.id,
                        e.kind,
                        e.name,
                        e.pointer
                    );
                }
            }
        }
    }
    assert!(checked > 100, "only {checked} pointers checked");
}

/// Every upstream pod-security-admission fixture (every version, both levels, pass and
/// fail) gives the same violations after redaction.
#[test]
fn pod_security_verdicts_do_not_change_on_upstream_fixtures() {
    let base = shared().join("realdata/kubernetes-pod-security-admission/test/testdata");
    let mut list = Vec::new();
    files(&base, &mut list);
    let mut pods = 0;
    for f in list {
        for pod in common::objects(&f) {
            if pod["kind"] != "Pod" {
                continue;
            }
            pods += 1;
            let mut red = pod.clone();
            redact_object(&mut red, "pods");
            for level in [Level::Baseline, Level::Restricted] {
                assert_eq!(
                    pss::check(&pod["metadata"], &pod["spec"], level),
                    pss::check(&red["metadata"], &red["spec"], level),
                    "{}",
                    f.display()
                );
            }
        }
    }
    assert!(pods > 1000, "only {pods} upstream fixture pods found");
}
