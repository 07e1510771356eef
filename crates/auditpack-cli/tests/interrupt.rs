//! Interrupted commands, with real signals sent to the real binary at a point where its
//! temporary files exist: SIGINT/SIGTERM remove them and exit 130/143 with nothing
//! half-written; after SIGKILL the next run removes what is stale and says so.

mod common;
use common::{big_cluster, ok, root, spawn, text, wait_for};

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};

use standin::{Config, Fault, Server};

fn signal(child: &Child, sig: &str) {
    let o = Command::new("kill")
        .args([&format!("-{sig}"), &child.id().to_string()])
        .output()
        .unwrap();
    assert!(o.status.success(), "kill -{sig}: {}", text(&o));
}

/// Every name under `dir` (recursively) that is a temporary of ours.
fn temps(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if e.file_name().to_string_lossy().contains(".auditpack-tmp-") {
                out.push(p.clone());
            }
            if p.is_dir() {
                stack.push(p);
            }
        }
    }
    out
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Sends `sig` once `ready` holds, and returns the output.
fn interrupt(child: Child, sig: &str, what: &str, ready: impl FnMut() -> bool) -> Output {
    wait_for(what, ready);
    signal(&child, sig);
    child.wait_with_output().unwrap()
}

/// `packet` from `cluster` signed with `keys/signer.key.pem`, plus `extra`.
fn packet_args<'a>(cluster: &'a Path, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "packet",
        "--from-dir",
        cluster.to_str().unwrap(),
        "--key",
        "keys/signer.key.pem",
    ];
    args.extend_from_slice(extra);
    args
}

fn assert_interrupted(o: &Output, code: i32, name: &str) {
    assert_eq!(o.status.code(), Some(code), "{}", text(o));
    assert!(
        text(o).contains(&format!("interrupted by {name}")),
        "{}",
        text(o)
    );
}

// SIGTERM while `packet` renders: the staged folder is removed, no packet appears, exit 143.
#[test]
fn sigterm_during_packet_removes_the_staged_packet_and_exits_143() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    ok(d, &["keygen", "--out", "keys", "--name", "signer"]);
    let big = big_cluster(d, "big", 8000);
    std::fs::create_dir(d.join("out")).unwrap();
    let child = spawn(d, &packet_args(&big, &["--out", "out/p"]));
    let out = d.join("out");
    let o = interrupt(child, "TERM", "the staged packet", || {
        !temps(&out).is_empty()
    });
    assert_interrupted(&o, 143, "SIGTERM");
    assert_eq!(names(&out), Vec::<String>::new(), "{}", text(&o));
}

// SIGINT while `render` writes: the partial folder is removed, exit 130.
#[test]
fn sigint_during_render_removes_the_partial_folder_and_exits_130() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let big = big_cluster(d, "big", 8000);
    ok(
        d,
        &[
            "collect",
            "--from-dir",
            big.to_str().unwrap(),
            "--out",
            "s.json",
        ],
    );
    std::fs::create_dir(d.join("out")).unwrap();
    let child = spawn(d, &["render", "s.json", "--out", "out/r"]);
    let out = d.join("out");
    let o = interrupt(child, "INT", "the partial folder", || {
        !temps(&out).is_empty()
    });
    assert_interrupted(&o, 130, "SIGINT");
    assert_eq!(names(&out), Vec::<String>::new(), "{}", text(&o));
}

// SIGINT while `archive` compresses a large file: neither the archive nor its index, nor
// a temporary, is left.
#[test]
fn sigint_during_archive_leaves_no_archive_index_or_temporary() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    ok(d, &["keygen", "--out", "keys", "--name", "signer"]);
    std::fs::create_dir_all(d.join("p")).unwrap();
    // Incompressible bytes (SHA-256 in counter mode): gzip takes seconds on them.
    let mut bytes = Vec::with_capacity(24 << 20);
    let mut i = 0u64;
    while bytes.len() < 24 << 20 {
        use sha2::Digest;
        bytes.extend_from_slice(&sha2::Sha256::digest(i.to_le_bytes()));
        i += 1;
    }
    std::fs::write(d.join("p/blob.bin"), &bytes).unwrap();
    ok(d, &["seal", "p", "--key", "keys/signer.key.pem"]);
    std::fs::create_dir(d.join("out")).unwrap();
    let child = spawn(d, &["archive", "p", "--out", "out/p.tar.gz"]);
    let out = d.join("out");
    let o = interrupt(child, "INT", "the temporary archive", || {
        !temps(&out).is_empty()
    });
    assert_interrupted(&o, 130, "SIGINT");
    assert_eq!(names(&out), Vec::<String>::new(), "{}", text(&o));
    // The sealed folder it read is untouched.
    ok(d, &["verify", "--key", "keys/signer.pub.pem", "p"]);
}

// SIGINT during a slow live collection (the stand-in server holds the pods list back):
// exit 130 and no snapshot, not even a partial one.
#[test]
fn sigint_during_live_collection_leaves_no_snapshot() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let config = Config::new(common::crate_dir().join("tests/fixtures/small"))
        .fault("pods", Fault::parse("latency:60000").unwrap());
    let server = Server::start(config).unwrap();
    server.write_kubeconfig(&d.join("kubeconfig")).unwrap();
    let child = spawn(
        d,
        &["collect", "--kubeconfig", "kubeconfig", "--out", "s.json"],
    );
    // The collector has reached the server; the pods list is held back for a minute.
    let o = interrupt(child, "INT", "the first requests", || {
        !server.requests().is_empty()
    });
    assert_interrupted(&o, 130, "SIGINT");
    let left: Vec<String> = names(d).into_iter().filter(|n| n != "kubeconfig").collect();
    assert_eq!(left, Vec::<String>::new());
}

// SIGTERM during `demo`: the demo folder it created is removed whole.
#[test]
fn sigterm_during_demo_removes_the_demo_folder() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let big = big_cluster(d, "big", 8000);
    std::fs::create_dir(d.join("out")).unwrap();
    let child = spawn(
        d,
        &[
            "demo",
            "--cluster",
            big.to_str().unwrap(),
            "--out",
            "out/demo",
        ],
    );
    let out = d.join("out");
    let o = interrupt(child, "TERM", "the demo's staged packet", || {
        !temps(&out).is_empty()
    });
    assert_interrupted(&o, 143, "SIGTERM");
    assert_eq!(names(&out), Vec::<String>::new(), "{}", text(&o));
}

// After kill -9 nothing could clean up: the next run into the same series removes the
// leftover (its owner is gone), says so, and the series stays a clean chain.
#[test]
fn after_sigkill_the_next_series_run_removes_the_leftover_and_says_so() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    ok(d, &["keygen", "--out", "keys", "--name", "signer"]);
    let big = big_cluster(d, "big", 8000);
    let packets = d.join("packets");
    let q1 = [
        "--series",
        "packets",
        "--period-start",
        "2026-01-01",
        "--period-end",
        "2026-03-31",
    ];
    let child = spawn(d, &packet_args(&big, &q1));
    let o = interrupt(child, "KILL", "the staged packet", || {
        !temps(&packets).is_empty()
    });
    assert_eq!(o.status.code(), None, "killed by the signal");
    let left = temps(&packets);
    assert!(!left.is_empty());
    let fixture = root().join("examples/clusters/task-api");
    let out = ok(d, &packet_args(&fixture, &q1));
    for l in &left {
        if l.parent() == Some(packets.as_path()) {
            let name = l.file_name().unwrap().to_string_lossy().into_owned();
            assert!(
                out.contains(&format!(
                    "removed packets/{name}, left by an interrupted run"
                )),
                "{out}"
            );
        }
    }
    assert_eq!(temps(&packets), Vec::<PathBuf>::new());
    let out = ok(
        d,
        &[
            "verify",
            "--chain",
            "--key",
            "keys/signer.pub.pem",
            "packets",
        ],
    );
    assert!(out.contains("chain complete: 1 packets"), "{out}");
}
