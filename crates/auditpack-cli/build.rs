//! Build facts for `auditpack version` (git commit when the build has one, rustc, target,
//! profile, features) and the embedded example the demo runs on (the Task API cluster and
//! the example PCI-DSS catalog), so an installed binary needs no checkout.
//!
//! Nothing here fails for want of git: a build from a source archive records no commit.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets it"));
    build_info(&manifest, &out);
    embed_examples(&manifest, &out);
}

fn run(cmd: &str, args: &[&str], cwd: &Path) -> Option<String> {
    let o = Command::new(cmd)
        .args(args)
        .current_dir(cwd)
        .output()
        .ok()?;
    if !o.status.success() {
        return None;
    }
    let s = String::from_utf8(o.stdout).ok()?.trim().to_string();
    (!s.is_empty()).then_some(s)
}

fn build_info(manifest: &Path, out: &Path) {
    let commit = run("git", &["rev-parse", "HEAD"], manifest);
    // Rebuild when HEAD moves (a commit, a checkout), when the repository has one.
    if let Some(git_dir) = run("git", &["rev-parse", "--absolute-git-dir"], manifest) {
        let mut watch = vec![PathBuf::from(&git_dir).join("HEAD")];
        let common = run("git", &["rev-parse", "--git-common-dir"], manifest)
            .map(|c| manifest.join(c))
            .unwrap_or_else(|| PathBuf::from(&git_dir));
        if let Some(head_ref) = run("git", &["symbolic-ref", "-q", "HEAD"], manifest) {
            watch.push(common.join(head_ref));
        }
        watch.push(common.join("packed-refs"));
        for p in watch.iter().filter(|p| p.exists()) {
            println!("cargo:rerun-if-changed={}", p.display());
        }
    }
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let rustc_version = run(&rustc, &["--version"], manifest).unwrap_or_default();
    let env = |k: &str| std::env::var(k).unwrap_or_default();
    let mut features: Vec<String> = std::env::vars()
        .filter_map(|(k, _)| k.strip_prefix("CARGO_FEATURE_").map(|f| f.to_lowercase()))
        .collect();
    features.sort();
    let mut s = String::new();
    let _ = writeln!(s, "/// The git commit built, when the build had one.");
    let _ = writeln!(s, "pub const GIT_COMMIT: Option<&str> = {commit:?};");
    let _ = writeln!(s, "/// `rustc --version` of the compiler that built it.");
    let _ = writeln!(s, "pub const RUSTC: &str = {rustc_version:?};");
    let _ = writeln!(s, "/// The target triple.");
    let _ = writeln!(s, "pub const TARGET: &str = {:?};", env("TARGET"));
    let _ = writeln!(s, "/// The cargo profile (debug or release).");
    let _ = writeln!(s, "pub const PROFILE: &str = {:?};", env("PROFILE"));
    let _ = writeln!(s, "/// The cargo features enabled on this crate.");
    let _ = writeln!(s, "pub const FEATURES: &[&str] = &{features:?};");
    std::fs::write(out.join("build_info.rs"), s).expect("OUT_DIR is writable");
    println!("cargo:rerun-if-changed=build.rs");
}

/// Every file under `dir`, sorted, as paths relative to it.
fn walk(dir: &Path, rel: &Path, files: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir.join(rel))
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.join(rel).display()))
        .map(|e| e.expect("a readable folder entry"))
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let r = rel.join(e.file_name());
        let t = e.file_type().expect("a file type");
        if t.is_dir() {
            walk(dir, &r, files);
        } else if t.is_file() {
            files.push(r);
        }
    }
}

fn embed_examples(manifest: &Path, out: &Path) {
    let examples = manifest.join("../../examples");
    let cluster = examples.join("clusters/task-api");
    let catalog = examples.join("catalogs/pci-dss.yaml");
    println!("cargo:rerun-if-changed={}", cluster.display());
    println!("cargo:rerun-if-changed={}", catalog.display());
    let mut files = Vec::new();
    walk(&cluster, Path::new(""), &mut files);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "/// examples/clusters/task-api: (path inside it, with `/`, and bytes)."
    );
    let _ = writeln!(s, "pub const TASK_API: &[(&str, &[u8])] = &[");
    for f in &files {
        let abs = cluster.join(f).canonicalize().expect("an embedded file");
        println!("cargo:rerun-if-changed={}", abs.display());
        let rel = f
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/");
        let _ = writeln!(
            s,
            "    ({rel:?}, include_bytes!({:?})),",
            abs.display().to_string()
        );
    }
    let _ = writeln!(s, "];");
    let abs = catalog.canonicalize().expect("the example catalog");
    let _ = writeln!(s, "/// examples/catalogs/pci-dss.yaml.");
    let _ = writeln!(
        s,
        "pub const PCI_DSS: &[u8] = include_bytes!({:?});",
        abs.display().to_string()
    );
    std::fs::write(out.join("embedded.rs"), s).expect("OUT_DIR is writable");
}
