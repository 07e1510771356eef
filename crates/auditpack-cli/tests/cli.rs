//! Commands that follow kubectl's habits: `-o, --output` is the format everywhere and
//! paths are `--out` (`-` is standard output); `version`, `completions`, `man`; the
//! closing summary of `packet`; a demo that runs from an installed binary.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{auditpack, ok, root, text};

fn cluster() -> PathBuf {
    root().join("examples/clusters/task-api")
}

fn keygen(d: &Path) {
    ok(d, &["keygen", "--out", "keys", "--name", "signer"]);
}

/// A sealed packet of the example cluster in `d/p`; returns packet's standard output.
fn packet(d: &Path, extra: &[&str]) -> std::process::Output {
    keygen(d);
    let c = cluster();
    let mut args = vec![
        "packet",
        "--from-dir",
        c.to_str().unwrap(),
        "--key",
        "keys/signer.key.pem",
        "--out",
        "p",
        "--now",
        "2026-11-20T00:00:00Z",
    ];
    args.extend(extra);
    auditpack(d, &args)
}

#[test]
fn a_path_given_to_dash_o_is_refused_with_a_pointer_to_out() {
    let t = tempfile::tempdir().unwrap();
    let c = cluster();
    let c = c.to_str().unwrap();
    for args in [
        vec!["collect", "--from-dir", c, "-o", "snap.json"],
        vec!["collect", "--from-dir", c, "-o", "out/snap"],
        vec![
            "packet",
            "--from-dir",
            c,
            "--key",
            "k.pem",
            "-o",
            "q1/packet",
        ],
        vec!["evaluate", "s.json", "-o", "findings.json"],
    ] {
        let o = auditpack(t.path(), &args);
        let msg = text(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {msg}");
        let path = args.last().unwrap();
        assert!(
            msg.contains(&format!("--out {path}")) && msg.contains("output format"),
            "{args:?}: {msg}"
        );
    }
    assert_eq!(
        std::fs::read_dir(t.path()).unwrap().count(),
        0,
        "nothing is written"
    );
    // A format a command does not have is named with the ones it has.
    let o = auditpack(t.path(), &["diff", "a", "b", "-o", "xml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("text, markdown, json, yaml"),
        "{}",
        text(&o)
    );
}

#[test]
fn collect_out_dash_writes_the_snapshot_to_standard_output() {
    let t = tempfile::tempdir().unwrap();
    let c = cluster();
    let o = auditpack(
        t.path(),
        &["collect", "--from-dir", c.to_str().unwrap(), "--out", "-"],
    );
    assert!(o.status.success(), "{}", text(&o));
    let snap: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(snap["kind"], "Snapshot");
    assert!(!t.path().join("-").exists(), "no file named - is written");
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("wrote standard output"),
        "{}",
        text(&o)
    );
    // And evaluate reads it back from a file written with --out.
    std::fs::write(t.path().join("s.json"), &o.stdout).unwrap();
    let o = auditpack(
        t.path(),
        &["evaluate", "s.json", "-o", "yaml", "--out", "-"],
    );
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
    let findings: serde_json::Value = serde_saphyr::from_slice(&o.stdout).unwrap();
    assert_eq!(findings["kind"], "Findings");
}

#[test]
fn verify_prints_the_verify_report_as_json_and_yaml() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let o = packet(d, &[]);
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
    let json = ok(
        d,
        &["verify", "p", "--key", "keys/signer.pub.pem", "-o", "json"],
    );
    let report: auditpack::VerifyReport = serde_json::from_str(&json).unwrap();
    let yaml = auditpack(
        d,
        &["verify", "p", "--key", "keys/signer.pub.pem", "-o", "yaml"],
    );
    assert!(yaml.status.success(), "{}", text(&yaml));
    let from_yaml: auditpack::VerifyReport = serde_saphyr::from_slice(&yaml.stdout).unwrap();
    assert_eq!(report, from_yaml);
    assert!(report.verified && report.files_checked > 10, "{json}");
}

#[test]
fn packet_ends_with_a_summary_of_controls_failures_path_and_id() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let o = packet(d, &[]);
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    let meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("p/packet.json")).unwrap()).unwrap();
    let id = meta["id"].as_str().unwrap();
    let findings: auditpack::Findings =
        serde_json::from_slice(&std::fs::read(d.join("p/findings.json")).unwrap()).unwrap();
    let failing: Vec<_> = findings
        .controls
        .iter()
        .filter(|c| c.status == auditpack::Status::Fail)
        .collect();
    assert!(!failing.is_empty());
    assert!(out.contains(&format!("packet   {id}")), "{out}");
    assert!(out.contains(&format!("folder   {}", "p")), "{out}");
    assert!(
        out.contains(&format!("controls {} fail", failing.len())),
        "{out}"
    );
    for c in &failing {
        assert!(
            out.contains(&format!("  {} {}  {}", c.framework, c.id, c.title)),
            "{} {} is not listed:\n{out}",
            c.framework,
            c.id
        );
    }

    // -o json: the same facts, as a document.
    let t = tempfile::tempdir().unwrap();
    let o = packet(t.path(), &["-o", "json"]);
    let s: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let meta2: serde_json::Value =
        serde_json::from_slice(&std::fs::read(t.path().join("p/packet.json")).unwrap()).unwrap();
    assert_eq!(s["packetId"], meta2["id"]);
    assert_eq!(s["path"], "p");
    assert_eq!(s["failing"].as_array().unwrap().len(), failing.len());
    let total: u64 = s["controls"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(total as usize, findings.controls.len());
    assert_eq!(s["overall"], "fail");
}

#[test]
fn version_gives_build_info() {
    let t = tempfile::tempdir().unwrap();
    let line = ok(t.path(), &["version"]);
    assert!(
        line.starts_with(&format!("auditpack {}", env!("CARGO_PKG_VERSION"))),
        "{line}"
    );
    let v: serde_json::Value =
        serde_json::from_str(&ok(t.path(), &["version", "-o", "json"])).unwrap();
    assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
    assert!(v["rustc"].as_str().unwrap().starts_with("rustc "), "{v}");
    assert!(v["target"].as_str().unwrap().contains('-'), "{v}");
    assert!(v["features"].is_array(), "{v}");
    // The commit is the checkout's when the build had git (this one does, unless built
    // from a source archive).
    let head = Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(root())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    match head {
        Some(h) => {
            let built = v["gitCommit"].as_str().expect("a commit");
            assert_eq!(built.len(), 40, "{v}");
            assert!(
                built.chars().all(|c| c.is_ascii_hexdigit()),
                "{v} (HEAD is {h})"
            );
        }
        None => assert!(v["gitCommit"].is_null(), "{v}"),
    }
}

#[test]
fn bash_completion_sources_and_completes_subcommands() {
    let t = tempfile::tempdir().unwrap();
    let script = ok(t.path(), &["completions", "bash"]);
    std::fs::write(t.path().join("c.bash"), &script).unwrap();
    let o = Command::new("bash")
        .arg("-c")
        .arg(
            r#"set -e
source ./c.bash
complete -p auditpack
COMP_WORDS=(auditpack ver); COMP_CWORD=1; COMP_LINE="auditpack ver"; COMP_POINT=${#COMP_LINE}
_auditpack auditpack ver auditpack
printf 'reply:%s\n' "${COMPREPLY[@]}"
COMP_WORDS=(auditpack verify --out); COMP_CWORD=2; COMP_LINE="auditpack verify --out"
_auditpack auditpack --ou verify
printf 'reply:%s\n' "${COMPREPLY[@]}"
"#,
        )
        .current_dir(t.path())
        .output()
        .unwrap();
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert!(out.contains("-F _auditpack auditpack"), "{out}");
    assert!(out.contains("reply:verify"), "{out}");
    assert!(out.contains("reply:version"), "{out}");
    for shell in ["zsh", "fish", "powershell", "elvish"] {
        let s = ok(t.path(), &["completions", shell]);
        assert!(s.contains("auditpack") && s.contains("collect"), "{shell}");
    }
}

#[test]
fn man_pages_render_one_per_command() {
    let t = tempfile::tempdir().unwrap();
    ok(t.path(), &["man", "--out", "man"]);
    let dir = t.path().join("man");
    let mut pages: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    pages.sort();
    for want in [
        "auditpack.1",
        "auditpack-collect.1",
        "auditpack-packet.1",
        "auditpack-verify.1",
        "auditpack-version.1",
    ] {
        assert!(pages.iter().any(|p| p == want), "{want} missing: {pages:?}");
    }
    let roff = std::fs::read_to_string(dir.join("auditpack-packet.1")).unwrap();
    for part in [
        ".TH auditpack-packet 1",
        ".SH NAME",
        ".SH SYNOPSIS",
        ".SH OPTIONS",
    ] {
        assert!(roff.contains(part), "no {part}:\n{roff}");
    }
    assert!(roff.contains(r"\fBauditpack packet\fR"), "{roff}");
    // Rendered by groff as man(1) does, without warnings (setup-test-deps.sh installs it).
    let o = Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-P-cbou"])
        .arg(dir.join("auditpack-packet.1"))
        .output()
        .unwrap();
    assert!(o.status.success() && o.stderr.is_empty(), "{}", text(&o));
    let page = String::from_utf8_lossy(&o.stdout);
    for part in ["auditpack-packet(1)", "SYNOPSIS", "OPTIONS", "--series"] {
        assert!(page.contains(part), "no {part}:\n{page}");
    }
    let single = ok(t.path(), &["man"]);
    assert!(single.starts_with(".ie") && single.contains(".TH auditpack 1"));
}

/// An installed binary has no checkout to read: the demo runs on the example embedded in
/// it, from a copy of the binary run elsewhere, and the binary names no path of the
/// build's examples folder.
#[test]
fn the_demo_runs_from_an_installed_binary_without_the_checkout() {
    let bin = std::fs::read(env!("CARGO_BIN_EXE_auditpack")).unwrap();
    let manifest = env!("CARGO_MANIFEST_DIR");
    let examples = root().canonicalize().unwrap().join("examples");
    for needle in [
        "examples/clusters".to_string(),
        format!("{manifest}/../../examples"),
        examples.display().to_string(),
    ] {
        assert!(
            !bin.windows(needle.len()).any(|w| w == needle.as_bytes()),
            "the binary refers to {needle}"
        );
    }
    let t = tempfile::tempdir().unwrap();
    let installed = t.path().join("bin/auditpack");
    std::fs::create_dir_all(installed.parent().unwrap()).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_auditpack"), &installed).unwrap();
    let cwd = t.path().join("elsewhere");
    std::fs::create_dir(&cwd).unwrap();
    let o = Command::new(&installed)
        .args(["demo", "--out", "d"])
        .current_dir(&cwd)
        .env("CARGO_MANIFEST_DIR", "/nonexistent")
        .output()
        .unwrap();
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    // Numbered steps, each once.
    let steps: Vec<&str> = out
        .lines()
        .filter_map(|l| l.split_once(". ").map(|(n, _)| n))
        .filter(|n| n.chars().all(|c| c.is_ascii_digit()) && !n.is_empty())
        .collect();
    assert_eq!(steps, ["1", "2", "3", "4", "5", "6", "7"], "{out}");
    assert!(out.contains("failing controls:"), "{out}");
    // The snapshot records the same source as an import of the checkout's folder.
    let snap: serde_json::Value = serde_json::from_slice(
        &std::fs::read(cwd.join("d/packet/evidence/snapshot.json")).unwrap(),
    )
    .unwrap();
    let from_checkout = tempfile::tempdir().unwrap();
    let c = cluster();
    ok(
        from_checkout.path(),
        &[
            "collect",
            "--from-dir",
            c.to_str().unwrap(),
            "--cluster-name",
            "task-api",
        ],
    );
    let direct: serde_json::Value =
        serde_json::from_slice(&std::fs::read(from_checkout.path().join("snapshot.json")).unwrap())
            .unwrap();
    assert_eq!(snap["source"], direct["source"]);
    // The example catalog came along too.
    let md = std::fs::read_to_string(cwd.join("d/packet/packet.md")).unwrap();
    assert!(
        md.contains("PCI"),
        "the example PCI-DSS catalog is evaluated"
    );
}
