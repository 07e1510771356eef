//! The whole upstream Pod Security Admission fixture set (kubernetes/pod-security-admission
//! `test/testdata`: every level, every policy version v1.0–v1.37, 4,537 pods) through the
//! CLI: one export folder per level, one namespace per fixture labelled
//! `enforce=<level>` and `enforce-version=<the fixture's version>`, one `collect` and one
//! `evaluate` per folder. Every `pass/` fixture must be allowed, every `fail/` fixture
//! rejected, and the rejection must name the fixture's upstream check (the fixture's file
//! name is the check id, lower-cased, plus a number).

mod common;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use common::{auditpack, shared, text};
use serde_json::Value;

/// One fixture: its namespace in the export, and what upstream says of it.
struct Fixture {
    file: String,
    namespace: String,
    pass: bool,
    /// The upstream check the fixture exercises (`restrictedvolumes`, lower case).
    check: String,
}

fn testdata() -> PathBuf {
    shared()
        .join("realdata")
        .join("kubernetes-pod-security-admission/test/testdata")
}

fn sorted_dir(p: &Path) -> Vec<PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

/// Writes the export folder of one level (every version) and returns its fixtures.
fn write_export(level: &str, out: &Path) -> Vec<Fixture> {
    let mut fixtures = Vec::new();
    let mut namespaces = String::new();
    let mut pods = String::new();
    for vdir in sorted_dir(&testdata().join(level)) {
        let version = vdir.file_name().unwrap().to_string_lossy().into_owned();
        for verdict in ["pass", "fail"] {
            let dir = vdir.join(verdict);
            if !dir.is_dir() {
                continue;
            }
            for f in sorted_dir(&dir) {
                let stem = f.file_stem().unwrap().to_string_lossy().into_owned();
                let ns = format!("{}-{verdict}-{}", version.replace('.', "-"), stem)
                    .replace('_', "-")
                    .to_lowercase();
                writeln!(
                    namespaces,
                    "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n  labels:\n    pod-security.kubernetes.io/enforce: {level}\n    pod-security.kubernetes.io/enforce-version: {version}"
                )
                .unwrap();
                let body = std::fs::read_to_string(&f).unwrap();
                assert_eq!(
                    body.matches("\nmetadata:\n").count(),
                    1,
                    "{}: one pod with a metadata block",
                    f.display()
                );
                let body = body.replacen(
                    "\nmetadata:\n",
                    &format!("\nmetadata:\n  namespace: {ns}\n"),
                    1,
                );
                pods.push_str("---\n");
                pods.push_str(&body);
                if !body.ends_with('\n') {
                    pods.push('\n');
                }
                fixtures.push(Fixture {
                    file: format!("{level}/{version}/{verdict}/{stem}.yaml"),
                    namespace: ns,
                    pass: verdict == "pass",
                    check: stem
                        .trim_end_matches(|c: char| c.is_ascii_digit())
                        .to_string(),
                });
            }
        }
    }
    std::fs::create_dir_all(out).unwrap();
    std::fs::write(out.join("namespaces.yaml"), namespaces).unwrap();
    std::fs::write(out.join("pods.yaml"), pods).unwrap();
    fixtures
}

/// The failing observations of the level's check, by namespace.
fn rejections(level: &str, cwd: &Path, export: &Path) -> BTreeMap<String, Vec<String>> {
    let export = export.to_str().unwrap();
    let o = auditpack(
        cwd,
        &["collect", "--from-dir", export, "--out", "snap.json"],
    );
    assert!(o.status.success(), "collect failed:\n{}", text(&o));
    let o = auditpack(cwd, &["evaluate", "snap.json", "--out", "findings.json"]);
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "evaluate failed:\n{}",
        text(&o)
    );
    let f: Value =
        serde_json::from_slice(&std::fs::read(cwd.join("findings.json")).unwrap()).unwrap();
    let id = format!("pss.{level}");
    let check = f["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id.as_str())
        .unwrap_or_else(|| panic!("no {id} in the findings"));
    let mut by_ns: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for ob in check["observations"].as_array().unwrap() {
        if ob["status"] != "fail" {
            continue;
        }
        let ns = ob["evidence"]["namespace"]
            .as_str()
            .unwrap_or("")
            .to_string();
        by_ns
            .entry(ns)
            .or_default()
            .push(ob["message"].as_str().unwrap().to_string());
    }
    by_ns
}

fn judge(level: &str) -> (usize, Vec<String>) {
    let t = tempfile::tempdir().unwrap();
    let export = t.path().join("export");
    let fixtures = write_export(level, &export);
    let rejected = rejections(level, t.path(), &export);
    let mut wrong = Vec::new();
    for fx in &fixtures {
        match (fx.pass, rejected.get(&fx.namespace)) {
            (true, None) => {}
            (true, Some(m)) => {
                wrong.push(format!("{}: rejected, upstream allows it: {m:?}", fx.file))
            }
            (false, None) => wrong.push(format!("{}: allowed, upstream rejects it", fx.file)),
            (false, Some(m)) => {
                let named = m
                    .iter()
                    .any(|m| m.to_lowercase().contains(&format!("({})", fx.check)));
                if !named {
                    wrong.push(format!(
                        "{}: rejected without naming the {} check: {m:?}",
                        fx.file, fx.check
                    ));
                }
            }
        }
    }
    (fixtures.len(), wrong)
}

#[test]
fn every_upstream_fixture_is_judged_as_upstream_judges_it() {
    let mut total = 0;
    let mut wrong = Vec::new();
    for level in ["baseline", "restricted"] {
        let (n, w) = judge(level);
        total += n;
        wrong.extend(w);
    }
    assert_eq!(total, 4537, "the whole upstream fixture set");
    assert!(
        wrong.is_empty(),
        "{} of {total} fixtures judged otherwise than upstream:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
