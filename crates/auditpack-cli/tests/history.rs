//! Packet chains and diffs, through the real binary.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

mod common;
use common::{auditpack, text};

fn keygen(dir: &Path, name: &str) {
    let o = auditpack(dir, &["keygen", "--out", "keys", "--name", name]);
    assert!(o.status.success(), "{}", text(&o));
}

/// Makes and seals a packet folder with the given period and previous link.
fn packet(
    dir: &Path,
    name: &str,
    quarter: u32,
    previous: Option<&Path>,
    key: &str,
    content: &str,
) -> PathBuf {
    let start = format!("2026-{:02}-01T00:00:00Z", 3 * (quarter - 1) + 1);
    let end = if quarter == 4 {
        "2027-01-01T00:00:00Z".to_string()
    } else {
        format!("2026-{:02}-01T00:00:00Z", 3 * quarter + 1)
    };
    let id = format!("ap-test-2026Q{quarter}");
    packet_for(dir, name, &id, (&start, &end), previous, key, content)
}

/// Makes and seals a packet folder with any id and period.
fn packet_for(
    dir: &Path,
    name: &str,
    id: &str,
    (start, end): (&str, &str),
    previous: Option<&Path>,
    key: &str,
    content: &str,
) -> PathBuf {
    let p = dir.join(name);
    std::fs::create_dir_all(p.join("evidence")).unwrap();
    let previous = previous.map(|prev| {
        let manifest = std::fs::read(prev.join("SHA256SUMS")).unwrap();
        let packet: serde_json::Value = serde_json::from_slice(&std::fs::read(prev.join("packet.json")).unwrap()).unwrap();
        serde_json::json!({"id": packet["id"], "manifestSha256": hex::encode(Sha256::digest(&manifest))})
    });
    let packet_json = serde_json::json!({
        "formatVersion": 1, "id": id,
        "period": {"start": start, "end": end}, "previous": previous,
    });
    std::fs::write(
        p.join("packet.json"),
        serde_json::to_vec_pretty(&packet_json).unwrap(),
    )
    .unwrap();
    std::fs::write(p.join("evidence/snapshot.json"), content).unwrap();
    let o = auditpack(
        dir,
        &[
            "seal",
            name,
            "--key",
            &format!("keys/{key}.key.pem"),
            "--now",
            end,
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    p
}

fn chain(dir: &Path, key: &str, paths: &[&str]) -> (bool, String) {
    let mut args = vec!["verify", "--chain", "--key", key];
    args.extend_from_slice(paths);
    let o = auditpack(dir, &args);
    assert!(
        o.status.code() == Some(0) || o.status.code() == Some(1),
        "{}",
        text(&o)
    );
    (o.status.success(), text(&o))
}

fn series() -> (tempfile::TempDir, &'static str) {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    keygen(d, "signer");
    let q1 = packet(d, "q1", 1, None, "signer", "one");
    let q2 = packet(d, "q2", 2, Some(&q1), "signer", "two");
    packet(d, "q3", 3, Some(&q2), "signer", "three");
    (t, "keys/signer.pub.pem")
}

#[test]
fn a_three_quarter_series_verifies_as_a_chain_from_folders_and_archives() {
    let (t, key) = series();
    let d = t.path();
    let (ok, out) = chain(d, key, &["q1", "q2", "q3"]);
    assert!(ok, "{out}");
    assert!(out.contains("chain complete: 3 packets"), "{out}");

    std::fs::create_dir(d.join("archive")).unwrap();
    for q in ["q1", "q2", "q3"] {
        let o = auditpack(d, &["archive", q, "--out", &format!("archive/{q}.tar.gz")]);
        assert!(o.status.success(), "{}", text(&o));
    }
    // A folder of archives stands for the series, in name order.
    let (ok, out) = chain(d, key, &["archive"]);
    assert!(ok, "{out}");
    let o = auditpack(
        d,
        &[
            "verify", "--chain", "--key", key, "--output", "json", "archive",
        ],
    );
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["complete"], true);
    assert_eq!(report["links"].as_array().unwrap().len(), 3);
}

#[test]
fn removing_a_packet_is_named_as_the_first_broken_link() {
    let (t, key) = series();
    let (ok, out) = chain(t.path(), key, &["q1", "q3"]);
    assert!(!ok);
    assert!(
        out.contains("first broken link at q3 (broken-link)"),
        "{out}"
    );
    assert!(
        out.contains("ap-test-2026Q2") && out.contains("not in the series"),
        "{out}"
    );
}

// The order given on the command line means nothing: the signed periods order the chain.
#[test]
fn packets_given_in_any_order_are_checked_in_the_order_of_their_signed_periods() {
    let (t, key) = series();
    let (ok, out) = chain(t.path(), key, &["q3", "q1", "q2"]);
    assert!(ok, "{out}");
    let first = out.lines().next().unwrap();
    assert!(first.contains("ap-test-2026Q1"), "{out}");
}

// A link that points at a packet the signed periods put later is out of order.
#[test]
fn a_link_that_contradicts_the_signed_periods_is_a_broken_link() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    keygen(d, "signer");
    let q1 = packet(d, "q1", 1, None, "signer", "one");
    let x3 = packet(d, "x3", 3, Some(&q1), "signer", "three");
    packet(d, "x2", 2, Some(&x3), "signer", "two");
    let (ok, out) = chain(d, "keys/signer.pub.pem", &["q1", "x3", "x2"]);
    assert!(!ok);
    assert!(
        out.contains("first broken link at x2 (broken-link)"),
        "{out}"
    );
    assert!(out.contains("disagree on the order"), "{out}");
}

// Ordered by file name, a monthly `20261001-20261031` sorted before `2026Q3` and the
// series was reported broken although every signed link held.
#[test]
fn a_monthly_packet_after_a_quarterly_one_is_ordered_by_period_not_by_name() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    keygen(d, "signer");
    std::fs::create_dir(d.join("series")).unwrap();
    let q3 = packet_for(
        d,
        "series/2026Q3",
        "ap-test-2026Q3",
        ("2026-07-01T00:00:00Z", "2026-10-01T00:00:00Z"),
        None,
        "signer",
        "q3",
    );
    packet_for(
        d,
        "series/20261001-20261031",
        "ap-test-20261001-20261031",
        ("2026-10-01T00:00:00Z", "2026-11-01T00:00:00Z"),
        Some(&q3),
        "signer",
        "october",
    );
    let (ok, out) = chain(d, "keys/signer.pub.pem", &["series"]);
    assert!(ok, "{out}");
    assert!(out.contains("chain complete: 2 packets"), "{out}");
}

// A chain of q2 and q3 said "chain complete" although q2 links to a q1 nobody gave.
#[test]
fn a_chain_whose_first_packet_links_to_a_packet_not_given_is_not_complete() {
    let (t, key) = series();
    let d = t.path();
    let (ok, out) = chain(d, key, &["q2", "q3"]);
    assert!(!ok, "{out}");
    assert!(
        out.contains("first broken link at q2 (predecessor-not-given)"),
        "{out}"
    );
    assert!(out.contains("--from ap-test-2026Q2"), "{out}");
    let o = auditpack(
        d,
        &[
            "verify", "--chain", "--key", key, "--output", "json", "q2", "q3",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["complete"], false);
    assert_eq!(report["problems"][0]["rule"], "predecessor-not-given");
}

#[test]
fn from_starts_the_chain_mid_series_and_says_what_was_not_checked() {
    let (t, key) = series();
    let d = t.path();
    let o = auditpack(
        d,
        &[
            "verify",
            "--chain",
            "--key",
            key,
            "--from",
            "ap-test-2026Q2",
            "q2",
            "q3",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let out = text(&o);
    assert!(
        out.contains("chain complete from ap-test-2026Q2: 2 packets"),
        "{out}"
    );
    assert!(
        out.contains("its link to ap-test-2026Q1") && out.contains("was not checked"),
        "{out}"
    );
    // Given the whole series, --from leaves the older packets out and lists them.
    std::fs::create_dir(d.join("all")).unwrap();
    for q in ["q1", "q2", "q3"] {
        let o = auditpack(d, &["archive", q, "--out", &format!("all/{q}.tar.gz")]);
        assert!(o.status.success(), "{}", text(&o));
    }
    let o = auditpack(
        d,
        &[
            "verify",
            "--chain",
            "--key",
            key,
            "--output",
            "json",
            "--from",
            "ap-test-2026Q2",
            "all",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["start"]["packetId"], "ap-test-2026Q2");
    assert_eq!(
        report["start"]["uncheckedPredecessor"]["id"],
        "ap-test-2026Q1"
    );
    assert_eq!(report["start"]["leftOut"].as_array().unwrap().len(), 1);
    assert_eq!(report["links"].as_array().unwrap().len(), 2);
    // An id that is not there is a usage error.
    let o = auditpack(
        d,
        &["verify", "--chain", "--key", key, "--from", "ap-nope", "q2"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--from ap-nope"), "{}", text(&o));
}

// A killed run's staged folder (sealed, but never renamed) was taken as a series member.
#[test]
fn a_leftover_temporary_folder_in_a_series_folder_is_never_a_member() {
    let (t, key) = series();
    let d = t.path();
    std::fs::create_dir(d.join("all")).unwrap();
    for q in ["q1", "q2", "q3"] {
        let o = std::process::Command::new("cp")
            .args(["-r", q, &format!("all/{q}")])
            .current_dir(d)
            .output()
            .unwrap();
        assert!(o.status.success());
    }
    // What `packet --series` stages before the rename, left by kill -9.
    let o = std::process::Command::new("cp")
        .args(["-r", "q3", "all/.ap-test-2026Q4.auditpack-tmp-4242-0"])
        .current_dir(d)
        .output()
        .unwrap();
    assert!(o.status.success());
    let (ok, out) = chain(d, key, &["all"]);
    assert!(ok, "{out}");
    assert!(out.contains("chain complete: 3 packets"), "{out}");
    assert!(
        out.contains("skipped all/.ap-test-2026Q4.auditpack-tmp-4242-0"),
        "{out}"
    );
}

#[test]
fn replacing_a_packet_even_with_a_trusted_signature_breaks_the_next_link() {
    let (t, key) = series();
    let d = t.path();
    std::fs::remove_dir_all(d.join("q2")).unwrap();
    // A different q2, properly signed by the same trusted key, linking correctly to q1.
    packet(d, "q2", 2, Some(&d.join("q1")), "signer", "two, rewritten");
    let (ok, out) = chain(d, key, &["q1", "q2", "q3"]);
    assert!(!ok);
    assert!(
        out.contains("first broken link at q3 (broken-link)"),
        "{out}"
    );
}

#[test]
fn a_packet_signed_by_an_untrusted_key_breaks_the_chain_where_it_stands() {
    let (t, key) = series();
    let d = t.path();
    keygen(d, "mallory");
    std::fs::remove_dir_all(d.join("q2")).unwrap();
    packet(d, "q2", 2, Some(&d.join("q1")), "mallory", "two");
    let (ok, out) = chain(d, key, &["q1", "q2", "q3"]);
    assert!(!ok);
    assert!(
        out.contains("first broken link at q2 (packet-not-verified)"),
        "{out}"
    );
}

#[test]
fn two_packets_following_the_same_one_are_a_fork() {
    let (t, key) = series();
    let d = t.path();
    packet(d, "q2b", 2, Some(&d.join("q1")), "signer", "two again");
    let (ok, out) = chain(d, key, &["q1", "q2", "q2b"]);
    assert!(!ok);
    assert!(out.contains("fork"), "{out}");
}

#[test]
fn a_missing_quarter_with_intact_links_is_a_period_gap() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    keygen(d, "signer");
    let q1 = packet(d, "q1", 1, None, "signer", "one");
    packet(d, "q3", 3, Some(&q1), "signer", "three");
    let (ok, out) = chain(d, "keys/signer.pub.pem", &["q1", "q3"]);
    assert!(!ok);
    assert!(out.contains("period-gap"), "{out}");
}
