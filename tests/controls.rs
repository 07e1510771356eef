//! Control evaluation against real public data and the Task API fixture cluster.

use std::path::{Path, PathBuf};

use auditpack::controls::fixture::parse_objects;
use auditpack::controls::pss::{self, Level};
use auditpack::controls::rbac::Model;
use auditpack::findings::Subject;
use serde_json::Value;

fn shared() -> PathBuf {
    if let Ok(p) = std::env::var("AUDITPACK_SHARED") {
        return PathBuf::from(p);
    }
    let beside = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    if beside.join("realdata").is_dir() {
        return beside;
    }
    PathBuf::from("/work/shared")
}

fn realdata(rel: &str) -> PathBuf {
    shared().join("realdata").join(rel)
}

fn objects(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    parse_objects(path, &text).unwrap()
}

#[test]
fn pss_agrees_with_every_upstream_fixture() {
    let base = realdata("kubernetes-pod-security-admission/test/testdata");
    let mut total = 0;
    let mut agree = 0;
    let mut disagreements = Vec::new();
    for (level_dir, level) in [("baseline", Level::Baseline), ("restricted", Level::Restricted)] {
        for verdict in ["pass", "fail"] {
            let dir = base.join(level_dir).join("v1.37").join(verdict);
            let mut files: Vec<_> = std::fs::read_dir(&dir)
                .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
                .map(|e| e.unwrap().path())
                .collect();
            files.sort();
            for f in files {
                for pod in objects(&f) {
                    total += 1;
                    let v = pss::check(&pod["metadata"], &pod["spec"], level);
                    let passes = v.is_empty();
                    if passes == (verdict == "pass") {
                        agree += 1;
                    } else {
                        disagreements.push(format!("{level_dir}/{verdict}/{}: {v:?}", f.file_name().unwrap().to_string_lossy()));
                    }
                }
            }
        }
    }
    println!(
        "PSS agreement: {agree}/{total} ({:.1}%)",
        100.0 * agree as f64 / total as f64
    );
    assert!(total >= 57, "expected every fixture, found {total}");
    assert!(disagreements.is_empty(), "disagreements:\n{}", disagreements.join("\n"));
}
