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
        matches!(o.status.code(), Some(0 | 3 | 4 | 5)),
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

/// Collects and evaluates an export folder holding `yaml`; returns the findings.
fn evaluate_export(yaml: &str) -> Value {
    let t = tempfile::tempdir().unwrap();
    let export = t.path().join("export");
    std::fs::create_dir_all(&export).unwrap();
    std::fs::write(export.join("cluster.yaml"), yaml).unwrap();
    let o = auditpack(
        t.path(),
        &[
            "collect",
            "--from-dir",
            export.to_str().unwrap(),
            "--out",
            "snap.json",
        ],
    );
    assert!(o.status.success(), "collect failed:\n{}", text(&o));
    let o = auditpack(
        t.path(),
        &["evaluate", "snap.json", "--out", "findings.json"],
    );
    assert!(
        matches!(o.status.code(), Some(0 | 3 | 4 | 5)),
        "{}",
        text(&o)
    );
    serde_json::from_slice(&std::fs::read(t.path().join("findings.json")).unwrap()).unwrap()
}

/// The failing observations of one check: (namespace, message).
fn failures(f: &Value, id: &str) -> Vec<(String, String)> {
    let check = f["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no {id}"));
    check["observations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["status"] == "fail")
        .map(|o| {
            (
                // The namespace of a namespaced object, the name of a Namespace.
                o["evidence"]["namespace"]
                    .as_str()
                    .or(o["evidence"]["name"].as_str())
                    .unwrap_or("")
                    .to_string(),
                o["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn namespace(name: &str, version: &str) -> String {
    format!(
        "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n  labels:\n    pod-security.kubernetes.io/enforce: baseline\n    pod-security.kubernetes.io/enforce-version: \"{version}\"\n"
    )
}

/// A pod that sets `net.ipv4.tcp_slow_start_after_idle`, safe from policy v1.37 only.
fn sysctl_pod(ns: &str) -> String {
    format!(
        "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: tuned\n  namespace: {ns}\nspec:\n  containers:\n  - name: app\n    image: registry.example.com/app@sha256:{}\n  securityContext:\n    sysctls:\n    - name: net.ipv4.tcp_slow_start_after_idle\n      value: \"0\"\n",
        "0".repeat(64)
    )
}

const APISERVER_1_36: &str = "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-apiserver-cp1\n  namespace: kube-system\n  labels:\n    component: kube-apiserver\nspec:\n  containers:\n  - name: kube-apiserver\n    image: registry.k8s.io/kube-apiserver:v1.36.2\n    command: [kube-apiserver]\n";

#[test]
fn namespace_policy_versions_are_honoured_and_latest_is_the_clusters_version() {
    let mut yaml = String::from(APISERVER_1_36);
    for (ns, version) in [
        ("pinned-37", "v1.37"),
        ("latest", "latest"),
        ("pinned-36", "v1.36"),
    ] {
        yaml.push_str(&namespace(ns, version));
        yaml.push_str(&sysctl_pod(ns));
    }
    let f = evaluate_export(&yaml);
    let fails = failures(&f, "pss.baseline");
    let namespaces: Vec<&str> = fails.iter().map(|(ns, _)| ns.as_str()).collect();
    assert_eq!(
        namespaces,
        ["latest", "pinned-36"],
        "on a v1.36 cluster `latest` is v1.36, where the sysctl is not yet safe: {fails:?}"
    );
    assert!(
        fails
            .iter()
            .all(|(_, m)| m.contains("violates baseline v1.36") && m.contains("(sysctls)")),
        "{fails:?}"
    );

    // Without a known cluster version, `latest` is the newest policy known (v1.37).
    let mut yaml = String::new();
    yaml.push_str(&namespace("latest", "latest"));
    yaml.push_str(&sysctl_pod("latest"));
    let f = evaluate_export(&yaml);
    assert_eq!(failures(&f, "pss.baseline"), vec![]);
}

#[test]
fn an_invalid_policy_version_label_fails_the_namespace_labels_check() {
    let mut yaml = namespace("typo", "1.30");
    yaml.push_str(&namespace("fine", "v1.30"));
    let f = evaluate_export(&yaml);
    let fails = failures(&f, "pss.namespace-labels");
    assert_eq!(fails.len(), 1, "{fails:?}");
    assert_eq!(fails[0].0, "typo");
    assert!(fails[0].1.contains("enforce-version=\"1.30\""), "{fails:?}");
}

#[test]
fn only_valid_oci_digests_count_as_pinned_on_an_import() {
    let pod = |name: &str, image: &str| {
        format!(
            "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: apps\nspec:\n  containers:\n  - name: app\n    image: {image}\n"
        )
    };
    let h64 = "3f".repeat(32);
    let mut yaml = namespace("apps", "latest");
    yaml.push_str(&pod("sha256", &format!("ghcr.io/x/app@sha256:{h64}")));
    yaml.push_str(&pod(
        "sha512",
        &format!("ghcr.io/x/app:1.0@sha512:{}", "ab".repeat(64)),
    ));
    yaml.push_str(&pod("short", "ghcr.io/x/app@sha256:abc"));
    yaml.push_str(&pod(
        "upper",
        &format!("ghcr.io/x/app@sha256:{}", h64.to_uppercase()),
    ));
    yaml.push_str(&pod("tag", "ghcr.io/x/app:1.0"));
    let f = evaluate_export(&yaml);
    let fails = failures(&f, "integrity.image-digests");
    let named: Vec<&str> = ["short", "upper", "tag"]
        .into_iter()
        .filter(|n| fails.iter().any(|(_, m)| m.contains(&format!("apps/{n} "))))
        .collect();
    assert_eq!(named, ["short", "upper", "tag"], "{fails:?}");
    assert_eq!(fails.len(), 3, "the sha256 and sha512 pins pass: {fails:?}");
}
