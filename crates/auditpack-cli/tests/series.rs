//! Packets over time through the real binary: a previous packet is verified before a new
//! packet links to it, periods may not overlap, concurrent `--series` runs never fork the
//! series, and `--archive` failing after the seal says where the sealed packet is.

mod common;
use common::{auditpack as run, big_cluster, ok, spawn, task_api_copy, text, wait_for};

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// A copy of the Task API fixture with one extra ServiceAccount named `tag`, so that
/// packets made from different copies have different ids.
fn cluster(dir: &Path, tag: &str) -> PathBuf {
    let dst = task_api_copy(dir, &format!("cluster-{tag}"));
    std::fs::write(
        dst.join("extra-sa.yaml"),
        format!(
            "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: extra-{tag}\n  namespace: production\n"
        ),
    )
    .unwrap();
    dst
}

const Q1: (&str, &str) = ("2026-01-01", "2026-03-31");
const Q2: (&str, &str) = ("2026-04-01", "2026-06-30");

fn packet_args<'a>(
    cluster: &'a Path,
    out: &'a str,
    period: (&'a str, &'a str),
    extra: &[&'a str],
) -> Vec<&'a str> {
    let mut args = vec![
        "packet",
        "--from-dir",
        cluster.to_str().unwrap(),
        "--key",
        "keys/signer.key.pem",
        "--period-start",
        period.0,
        "--period-end",
        period.1,
        "--now",
        "2026-07-02T00:00:00Z",
    ];
    if !out.is_empty() {
        args.extend(["--out", out]);
    }
    args.extend_from_slice(extra);
    args
}

fn setup() -> (tempfile::TempDir, String) {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let out = ok(d, &["keygen", "--out", "keys", "--name", "signer"]);
    ok(d, &["keygen", "--out", "keys", "--name", "mallory"]);
    let key_id = out
        .lines()
        .find_map(|l| l.strip_prefix("key id:"))
        .unwrap()
        .trim()
        .to_string();
    (t, key_id)
}

fn cp(d: &Path, from: &str, to: &str) {
    let o = Command::new("cp")
        .args(["-r", from, to])
        .current_dir(d)
        .output()
        .unwrap();
    assert!(o.status.success());
}

fn replace_in(path: &Path, from: &str, to: &str) {
    let s = std::fs::read_to_string(path).unwrap();
    assert!(s.contains(from), "{} lacks {from}", path.display());
    std::fs::write(path, s.replace(from, to)).unwrap();
}

// A tampered predecessor (evidence changed, re-signed with another key) changed the signed
// "changes since" of the next packet: it must be refused, and an intact one recorded as
// verified, with the key that verified it.
#[test]
fn packet_previous_verifies_the_predecessor_and_records_who_verified_it() {
    let (t, key_id) = setup();
    let d = t.path();
    let c = cluster(d, "a");
    ok(d, &packet_args(&c, "q1", Q1, &[]));

    // Tampered evidence, signatures left as they were: hash-mismatch.
    cp(d, "q1", "tampered");
    replace_in(
        &d.join("tampered/evidence/snapshot.json"),
        "jane@example.com",
        "nobody@example.com",
    );
    let o = run(d, &packet_args(&c, "q2", Q2, &["--previous", "tampered"]));
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = text(&o);
    assert!(
        err.contains("previous packet tampered does not verify")
            && err.contains("hash-mismatch evidence/snapshot.json"),
        "{err}"
    );
    assert!(!d.join("q2").exists());

    // Re-sealed by another key: the signature is valid, but not by a trusted key.
    let o = run(
        d,
        &[
            "seal",
            "tampered",
            "--force",
            "--key",
            "keys/mallory.key.pem",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let o = run(d, &packet_args(&c, "q2", Q2, &["--previous", "tampered"]));
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("untrusted-signer"), "{}", text(&o));
    assert!(!d.join("q2").exists());
    // The same, as an archive.
    ok(d, &["archive", "tampered", "--out", "tampered.tar.gz"]);
    let o = run(
        d,
        &packet_args(&c, "q2", Q2, &["--previous", "tampered.tar.gz"]),
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("untrusted-signer"), "{}", text(&o));

    // render --previous has no signing key: it needs the keys named.
    let o = run(
        d,
        &[
            "collect",
            "--from-dir",
            c.to_str().unwrap(),
            "--out",
            "s.json",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let o = run(d, &["render", "s.json", "--out", "r", "--previous", "q1"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--trusted-key"), "{}", text(&o));
    let o = run(
        d,
        &[
            "render",
            "s.json",
            "--out",
            "r",
            "--previous",
            "tampered",
            "--trusted-key",
            "keys/signer.pub.pem",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(!d.join("r").exists());

    // The intact predecessor: linked, and the link says who verified it.
    ok(d, &packet_args(&c, "q2", Q2, &["--previous", "q1"]));
    let pj = json(&d.join("q2/packet.json"));
    let v = &pj["previous"]["verification"];
    assert_eq!(v["verified"], true, "{pj}");
    assert_eq!(v["signerKeyId"], key_id.as_str(), "{pj}");
    assert_eq!(v["trust"], "signing-key", "{pj}");
    let md = std::fs::read_to_string(d.join("q2/packet.md")).unwrap();
    assert!(
        md.contains("verified before linking") && md.contains(&key_id),
        "the cover does not say the previous packet was verified"
    );
    // A predecessor sealed with another (rotated) key verifies when that key is named.
    ok(
        d,
        &packet_args(
            &c,
            "q2m",
            Q2,
            &[
                "--previous",
                "tampered.tar.gz",
                "--trusted-key",
                "keys/mallory.pub.pem",
            ],
        ),
    );
    let pj = json(&d.join("q2m/packet.json"));
    assert_eq!(pj["previous"]["verification"]["trust"], "trusted-keys");
}

// `packet --series` links to the newest packet in the folder: it is verified first too.
#[test]
fn series_refuses_a_newest_packet_that_does_not_verify() {
    let (t, _) = setup();
    let d = t.path();
    let c = cluster(d, "a");
    ok(d, &packet_args(&c, "", Q1, &["--series", "packets"]));
    let member = std::fs::read_dir(d.join("packets"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.is_dir())
        .unwrap();
    replace_in(&member.join("findings.json"), "\"fail\"", "\"pass\"");
    let o = run(d, &packet_args(&c, "", Q2, &["--series", "packets"]));
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("does not verify") && text(&o).contains("hash-mismatch findings.json"),
        "{}",
        text(&o)
    );
    let dirs = std::fs::read_dir(d.join("packets"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().is_dir())
        .count();
    assert_eq!(dirs, 1);
}

// A predecessor whose period overlaps the new one was linked and sealed, and the pair could
// never verify as a chain (period-overlap).
#[test]
fn packet_refuses_a_previous_packet_whose_period_overlaps_the_new_one() {
    let (t, _) = setup();
    let d = t.path();
    let c = cluster(d, "a");
    ok(d, &packet_args(&c, "q1", Q1, &[]));
    let o = run(
        d,
        &packet_args(
            &c,
            "q2",
            ("2026-03-15", "2026-06-30"),
            &["--previous", "q1"],
        ),
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("overlaps this packet's period") && text(&o).contains("period-overlap"),
        "{}",
        text(&o)
    );
    assert!(!d.join("q2").exists());
    // A gap is allowed, with a warning: the chain will name it.
    let o = run(
        d,
        &packet_args(
            &c,
            "q2",
            ("2026-05-01", "2026-06-30"),
            &["--previous", "q1"],
        ),
    );
    assert!(common::wrote(&o.status), "{}", text(&o));
    assert!(text(&o).contains("period-gap"), "{}", text(&o));
}

fn packets_in(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    v.sort();
    v
}

/// Runs the same `packet --series` for one period from `n` different clusters at once.
fn race(d: &Path, tag: &str, period: (&str, &str), n: usize) -> Vec<Output> {
    let clusters: Vec<PathBuf> = (0..n).map(|i| cluster(d, &format!("{tag}{i}"))).collect();
    let children: Vec<_> = clusters
        .iter()
        .map(|c| spawn(d, &packet_args(c, "", period, &["--series", "packets"])))
        .collect();
    children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect()
}

// Two `packet --series DIR` at the same moment both landed and forked the series.
#[test]
fn concurrent_series_runs_never_fork_the_series() {
    let (t, _) = setup();
    let d = t.path();
    for (round, (tag, period)) in [("a", Q1), ("b", Q2)].into_iter().enumerate() {
        let outs = race(d, tag, period, 5);
        let landed = outs.iter().filter(|o| common::wrote(&o.status)).count();
        assert_eq!(
            landed,
            1,
            "{:#?}",
            outs.iter().map(text).collect::<Vec<_>>()
        );
        for o in outs.iter().filter(|o| !common::wrote(&o.status)) {
            assert_eq!(o.status.code(), Some(2), "{}", text(o));
            assert!(
                text(o).contains("already holds a packet for this period"),
                "{}",
                text(o)
            );
        }
        assert_eq!(packets_in(&d.join("packets")).len(), round + 1);
    }
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
    assert!(out.contains("chain complete: 2 packets"), "{out}");
}

fn has_temp(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|rd| {
        rd.flatten()
            .any(|e| e.file_name().to_string_lossy().contains(".auditpack-tmp-"))
    })
}

// The second run must wait for the lock and then see the first run's packet, even when the
// first is held up rendering a large cluster.
#[test]
fn a_series_run_waits_for_a_slow_run_holding_the_lock_and_sees_its_packet() {
    let (t, _) = setup();
    let d = t.path();
    let big = big_cluster(d, "big", 8000);
    let small = cluster(d, "small");
    let slow = spawn(d, &packet_args(&big, "", Q1, &["--series", "packets"]));
    // The slow run stages its packet only while it holds the lock.
    wait_for("the slow run's temporary folder", || {
        has_temp(&d.join("packets"))
    });
    let fast = run(d, &packet_args(&small, "", Q1, &["--series", "packets"]));
    let slow = slow.wait_with_output().unwrap();
    assert!(common::wrote(&slow.status), "{}", text(&slow));
    assert_eq!(fast.status.code(), Some(2), "{}", text(&fast));
    assert!(
        text(&fast).contains("waiting for it to finish"),
        "{}",
        text(&fast)
    );
    assert!(
        text(&fast).contains("already holds a packet for this period"),
        "{}",
        text(&fast)
    );
    assert_eq!(packets_in(&d.join("packets")).len(), 1);
}

// The archive step failed after the seal, and the error did not say that a complete sealed
// packet had been left behind.
#[test]
fn a_failed_archive_after_the_seal_keeps_the_packet_and_says_where_it_is() {
    let (t, _) = setup();
    let d = t.path();
    let c = cluster(d, "a");
    // The index cannot be written: a folder stands where it goes.
    std::fs::create_dir_all(d.join("p.tar.gz.json/taken")).unwrap();
    let o = run(d, &packet_args(&c, "p", Q1, &["--archive", "p.tar.gz"]));
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = text(&o);
    assert!(
        err.contains("the packet was sealed at p and is complete, but the archive p.tar.gz failed")
            && err.contains("auditpack archive p --out p.tar.gz"),
        "{err}"
    );
    ok(d, &["verify", "--key", "keys/signer.pub.pem", "p"]);
    // A folder that does not exist is refused before anything is collected or written.
    let o = run(
        d,
        &packet_args(&c, "p2", Q1, &["--archive", "nowhere/p.tar.gz"]),
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("nowhere"), "{}", text(&o));
    assert!(!d.join("p2").exists());
}
