//! Writes the sample Task API snapshot and findings as files, for trying `auditpack render`.
//!
//! `cargo run --example render_sample -- DIR` writes `DIR/snapshot.json` and `DIR/findings.json`.

fn main() {
    let dir = std::path::PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| ".".into()));
    std::fs::create_dir_all(&dir).expect("create folder");
    let snap = auditpack::render::sample::sample_snapshot();
    let findings = auditpack::render::sample::sample_findings();
    std::fs::write(dir.join("snapshot.json"), snap.to_json()).expect("write snapshot");
    let mut f = serde_json::to_string_pretty(&findings).expect("findings serialize");
    f.push('\n');
    std::fs::write(dir.join("findings.json"), f).expect("write findings");
}
