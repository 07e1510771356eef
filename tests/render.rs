//! `auditpack render`: the packet folder, its content, its determinism, and the page as a
//! real browser shows it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use auditpack::Findings;
use auditpack::render::sample::{sample_findings, sample_snapshot};
use auditpack::snapshot::Snapshot;

fn shared() -> PathBuf {
    if let Ok(p) = std::env::var("AUDITPACK_SHARED") {
        return PathBuf::from(p);
    }
    let beside = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    if beside.is_dir() {
        return beside;
    }
    PathBuf::from("/work/shared")
}

const NOW: &str = "2026-12-01T12:00:00Z";

fn write_inputs(dir: &Path, snap: &Snapshot, findings: &Findings) -> (PathBuf, PathBuf) {
    let s = dir.join("snapshot.json");
    let f = dir.join("findings.json");
    std::fs::write(&s, snap.to_json()).unwrap();
    std::fs::write(&f, serde_json::to_string_pretty(findings).unwrap()).unwrap();
    (s, f)
}

fn auditpack(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_auditpack"))
        .args(args)
        .env_remove("SOURCE_DATE_EPOCH")
        .output()
        .expect("run auditpack")
}

/// Renders with the real binary into `dir/name`; panics with its stderr on failure.
fn render_cli(
    dir: &Path,
    snap: &Snapshot,
    findings: &Findings,
    name: &str,
    extra: &[&str],
) -> PathBuf {
    let (s, f) = write_inputs(dir, snap, findings);
    let out = dir.join(name);
    let mut args = vec![
        "render",
        s.to_str().unwrap(),
        "--findings",
        f.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--now",
        NOW,
    ];
    args.extend_from_slice(extra);
    let o = auditpack(&args);
    assert!(
        o.status.success(),
        "render failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    out
}

fn read_tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

fn text(dir: &Path, rel: &str) -> String {
    std::fs::read_to_string(dir.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

#[test]
fn sample_packet_has_every_file() {
    let tmp = tempfile::tempdir().unwrap();
    let out = render_cli(
        tmp.path(),
        &sample_snapshot(),
        &sample_findings(),
        "packet",
        &[],
    );
    let files: Vec<String> = read_tree(&out).into_keys().collect();
    for f in [
        "index.html",
        "packet.md",
        "control-matrix.csv",
        "control-matrix.json",
        "findings.json",
        "packet.json",
        "oscal/assessment-results.json",
        "evidence/snapshot.json",
        "evidence/namespaces.yaml",
        "evidence/clusterrolebindings.rbac.authorization.k8s.io.yaml",
        "evidence/peerauthentications.security.istio.io.yaml",
    ] {
        assert!(files.contains(&f.to_string()), "missing {f} in {files:?}");
    }
    assert!(!files.iter().any(|f| f.starts_with("SHA256SUMS")));
    // Kinds that were not collected get no evidence file.
    assert!(!files.contains(&"evidence/secrets-not-here.yaml".to_string()));
}
