//! The whole pipeline through the real binary: `demo`, `packet` (with `--previous` chains),
//! `diff`, `collect --audit-log`.

mod common;
use common::auditpack as run;
use common::{ok, root, shared, text};

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sha2::{Digest, Sha256};

fn sh(cwd: &Path, cmd: &str) -> Output {
    Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .current_dir(cwd)
        .output()
        .unwrap()
}

#[test]
fn demo_writes_a_sealed_task_api_packet_that_standard_tools_verify() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("demo");
    let stdout = ok(t.path(), &["demo", "--out", out.to_str().unwrap()]);
    let last = stdout.lines().rfind(|l| !l.is_empty()).unwrap();
    let index = out.join("packet/index.html");
    assert_eq!(
        last,
        index.display().to_string(),
        "the demo ends with the path of index.html"
    );
    for f in [
        "index.html",
        "packet.md",
        "packet.json",
        "control-matrix.csv",
        "control-matrix.json",
        "findings.json",
        "evidence/snapshot.json",
        "oscal/assessment-results.json",
        "SHA256SUMS",
        "SHA256SUMS.sig",
        "SHA256SUMS.sshsig",
        "SHA256SUMS.intoto.json",
    ] {
        assert!(
            out.join("packet").join(f).is_file(),
            "demo packet lacks {f}"
        );
    }
    let md = std::fs::read_to_string(out.join("packet/packet.md")).unwrap();
    for name in [
        "task-api-sa",
        "task-api-role",
        "dapr-sentry",
        "jane@example.com",
    ] {
        assert!(md.contains(name), "packet.md does not name {name}");
    }
    // A passing policy's observations are past the packet text's caps: findings.json
    // holds every one.
    let findings = std::fs::read_to_string(out.join("packet/findings.json")).unwrap();
    assert!(
        findings.contains("task-api-network"),
        "findings.json does not name task-api-network"
    );
    let packet = out.join("packet");
    let o = sh(&packet, "sha256sum -c --strict SHA256SUMS");
    assert!(o.status.success(), "{}", text(&o));
    let o = sh(
        &packet,
        "openssl pkeyutl -verify -pubin -inkey ../keys/demo-signer.pub.pem -rawin -in SHA256SUMS -sigfile SHA256SUMS.sig",
    );
    assert!(
        o.status.success() && text(&o).contains("Signature Verified Successfully"),
        "{}",
        text(&o)
    );
    ok(
        t.path(),
        &[
            "verify",
            "--key",
            "demo/keys/demo-signer.pub.pem",
            "demo/packet",
        ],
    );
    // Someone else's key does not verify the demo packet.
    ok(t.path(), &["keygen", "--out", "other", "--name", "other"]);
    let o = run(
        t.path(),
        &["verify", "--key", "other/other.pub.pem", "demo/packet"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
}

/// Copies the Task API fixture and applies an edit to it.
fn cluster(dir: &Path, name: &str, edit: impl FnOnce(&Path)) -> PathBuf {
    let dst = dir.join(name);
    let o = Command::new("cp")
        .arg("-r")
        .arg(root().join("examples/clusters/task-api"))
        .arg(&dst)
        .output()
        .unwrap();
    assert!(o.status.success());
    edit(&dst);
    dst
}

const BOB_BINDING: &str = "apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: bob-edit
  namespace: production
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: edit
subjects:
- apiGroup: rbac.authorization.k8s.io
  kind: User
  name: bob@example.com
";

fn remove_jane(dir: &Path) {
    // The export is one `kind: List`; write it back as JSON without jane's binding.
    let path = dir.join("clusterrolebindings.yaml");
    let mut list: serde_json::Value =
        serde_saphyr::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let items = list["items"].as_array_mut().unwrap();
    let before = items.len();
    items.retain(|b| b["metadata"]["name"] != "jane-admin");
    assert_eq!(
        items.len(),
        before - 1,
        "the fixture binds jane@example.com through jane-admin"
    );
    std::fs::remove_file(&path).unwrap();
    std::fs::write(
        dir.join("clusterrolebindings.json"),
        serde_json::to_vec(&list).unwrap(),
    )
    .unwrap();
}

fn packet(
    dir: &Path,
    cluster: &Path,
    out: &str,
    quarter: (&str, &str),
    previous: Option<&str>,
) -> String {
    let mut args = vec![
        "packet",
        "--from-dir",
        cluster.to_str().unwrap(),
        "--key",
        "keys/signer.key.pem",
        "--out",
        out,
        "--period-start",
        quarter.0,
        "--period-end",
        quarter.1,
        "--now",
        "2026-11-20T00:00:00Z",
    ];
    if let Some(p) = previous {
        args.extend(["--previous", p]);
    }
    ok(dir, &args)
}

#[test]
fn three_quarters_from_three_snapshots_form_a_chain_and_diff_shows_the_access_changes() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    ok(d, &["keygen", "--out", "keys", "--name", "signer"]);
    let c1 = cluster(d, "c1", |_| {});
    let c2 = cluster(d, "c2", |p| {
        std::fs::write(p.join("bob.yaml"), BOB_BINDING).unwrap()
    });
    let c3 = cluster(d, "c3", |p| {
        std::fs::write(p.join("bob.yaml"), BOB_BINDING).unwrap();
        remove_jane(p);
    });
    packet(d, &c1, "q1", ("2026-01-01", "2026-03-31"), None);
    ok(d, &["archive", "q1", "--out", "q1.tar.gz"]);
    // The previous packet may be given as its archive.
    packet(
        d,
        &c2,
        "q2",
        ("2026-04-01", "2026-06-30"),
        Some("q1.tar.gz"),
    );
    packet(d, &c3, "q3", ("2026-07-01", "2026-09-30"), Some("q2"));

    let pj: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("q3/packet.json")).unwrap()).unwrap();
    let q2_sums = std::fs::read(d.join("q2/SHA256SUMS")).unwrap();
    assert_eq!(
        pj["previous"]["manifestSha256"],
        hex::encode(Sha256::digest(&q2_sums))
    );

    let key = "keys/signer.pub.pem";
    let out = ok(d, &["verify", "--chain", "--key", key, "q1", "q2", "q3"]);
    assert!(out.contains("chain complete: 3 packets"), "{out}");
    let o = run(d, &["verify", "--chain", "--key", key, "q1", "q3"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("first broken link at q3"), "{}", text(&o));

    // q3's packet reports the access removed since q2; diff shows both quarters' changes.
    let md = std::fs::read_to_string(d.join("q3/packet.md")).unwrap();
    let changes = &md[md
        .find("Changes since the previous packet")
        .expect("a changes section")..];
    assert!(changes.contains("jane@example.com"), "{changes}");
    let diff = ok(d, &["diff", "q1", "q3"]);
    assert!(
        diff.lines()
            .any(|l| l.starts_with("access granted: User bob@example.com")),
        "{diff}"
    );
    assert!(
        diff.lines()
            .any(|l| l.starts_with("access removed: User jane@example.com")),
        "{diff}"
    );
    assert!(
        diff.contains("added: rolebindings.rbac.authorization.k8s.io production/bob-edit"),
        "{diff}"
    );
    assert!(
        diff.contains("removed: clusterrolebindings.rbac.authorization.k8s.io jane-admin"),
        "{diff}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&ok(d, &["diff", "q1.tar.gz", "q3", "--output", "json"])).unwrap();
    assert!(
        json["access"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["change"] == "removed" && c["subject"]["name"] == "jane@example.com")
    );
    let md = ok(d, &["diff", "q2", "q3", "--output", "markdown"]);
    assert!(
        md.contains("### Access removed") && !md.contains("### Access granted"),
        "{md}"
    );
}

#[test]
fn packet_writes_nothing_when_it_cannot_finish() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let o = Command::new(env!("CARGO_BIN_EXE_auditpack"))
        .current_dir(d)
        .env("PASS", "correct horse")
        .args([
            "keygen",
            "--out",
            "keys",
            "--name",
            "locked",
            "--passphrase-env",
            "PASS",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    ok(d, &["keygen", "--out", "keys", "--name", "signer"]);
    let fixture = root().join("examples/clusters/task-api");
    // Wrong passphrase: refused before anything is collected or written.
    let o = Command::new(env!("CARGO_BIN_EXE_auditpack"))
        .current_dir(d)
        .env("PASS", "wrong")
        .args([
            "packet",
            "--from-dir",
            fixture.to_str().unwrap(),
            "--key",
            "keys/locked.key.pem",
            "--passphrase-env",
            "PASS",
            "--out",
            "p",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(!d.join("p").exists());
    // A malformed export: nothing under the final name, no temporary folder left.
    let bad = cluster(d, "bad", |p| {
        std::fs::write(p.join("broken.yaml"), "kind: [unclosed\n").unwrap()
    });
    let o = run(
        d,
        &[
            "packet",
            "--from-dir",
            bad.to_str().unwrap(),
            "--key",
            "keys/signer.key.pem",
            "--out",
            "p",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("broken.yaml"), "{}", text(&o));
    let left: Vec<_> = std::fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(
        !left.iter().any(|n| n.to_string_lossy().contains("p")),
        "{left:?}"
    );
}

#[test]
fn collect_summarises_audit_logs_into_the_snapshot() {
    let t = tempfile::tempdir().unwrap();
    let falco = shared().join("realdata/falcosecurity-falco/test/trace_files/k8s_audit");
    let fixture = root().join("examples/clusters/task-api");
    ok(
        t.path(),
        &[
            "collect",
            "--from-dir",
            fixture.to_str().unwrap(),
            "--out",
            "s.json",
            "--audit-log",
            falco
                .join("create_clusterrolebinding.json")
                .to_str()
                .unwrap(),
            "--audit-log",
            falco.join("create_secret.json").to_str().unwrap(),
        ],
    );
    let s: serde_json::Value =
        serde_json::from_slice(&std::fs::read(t.path().join("s.json")).unwrap()).unwrap();
    let log = &s["auditLog"];
    assert_eq!(log["kind"], "AuditLogSummary");
    assert!(
        log["rbacChanges"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c.to_string().contains("clusterrolebindings")),
        "{log}"
    );
    assert!(!log["secretAccess"].as_array().unwrap().is_empty(), "{log}");
    assert!(
        s["redactions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["kind"] == "AuditLog")
    );
    // The evaluation now has audit-log evidence to judge instead of none.
    // (exit 4: the fixture has failing controls)
    let o = run(t.path(), &["evaluate", "s.json"]);
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
    let f: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let cont = f["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "audit.log-continuity")
        .unwrap();
    assert_ne!(cont["status"], "not-collected", "{cont}");
}

#[test]
fn a_series_folder_collects_quarterly_packets_into_a_chain() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    ok(d, &["keygen", "--out", "keys", "--name", "signer"]);
    let fixture = root().join("examples/clusters/task-api");
    let quarter = |start: &str, end: &str| {
        run(
            d,
            &[
                "packet",
                "--from-dir",
                fixture.to_str().unwrap(),
                "--key",
                "keys/signer.key.pem",
                "--series",
                "packets",
                "--period-start",
                start,
                "--period-end",
                end,
            ],
        )
    };
    for (s, e) in [("2026-01-01", "2026-03-31"), ("2026-04-01", "2026-06-30")] {
        let o = quarter(s, e);
        assert!(common::wrote(&o.status), "{}", text(&o));
    }
    // Besides the packets, the folder holds only the series lock file.
    let names: Vec<String> = std::fs::read_dir(d.join("packets"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != ".auditpack.lock")
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    // Each folder is named by the id its own packet.json states (computed before render).
    for n in &names {
        let pj: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(d.join("packets").join(n).join("packet.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(pj["id"].as_str(), Some(n.as_str()), "{pj}");
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
    // The same quarter again would fork the series: refused, nothing written.
    let o = quarter("2026-04-01", "2026-06-30");
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("already holds a packet for this period"),
        "{}",
        text(&o)
    );
    assert_eq!(std::fs::read_dir(d.join("packets")).unwrap().count(), 3);
}

#[test]
fn packet_names_the_cluster_and_writes_a_verifying_archive() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    ok(d, &["keygen", "--out", "keys", "--name", "signer"]);
    let fixture = root().join("examples/clusters/task-api");
    ok(
        d,
        &[
            "packet",
            "--from-dir",
            fixture.to_str().unwrap(),
            "--cluster-name",
            "prod-eu",
            "--key",
            "keys/signer.key.pem",
            "--out",
            "p",
            "--archive",
            "p.tar.gz",
        ],
    );
    let pj: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("p/packet.json")).unwrap()).unwrap();
    assert_eq!(pj["cluster"], "prod-eu");
    assert!(
        pj["id"].as_str().unwrap().starts_with("ap-prod-eu-"),
        "{pj}"
    );
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("p.tar.gz.json")).unwrap()).unwrap();
    assert_eq!(index["packetId"], pj["id"]);
    ok(d, &["verify", "--key", "keys/signer.pub.pem", "p.tar.gz"]);
}

/// The pipeline is the library's: a `Plan` built in code makes a series of packets with
/// no CLI involved, links each to the newest one (verified against the plan's keys), and
/// reports a gap between periods as an event rather than printing it.
#[test]
fn a_plan_built_in_code_makes_a_linked_series_and_reports_a_gap() {
    use auditpack::TrustStore;
    use auditpack::{Cluster, ImportOptions, Source};
    use auditpack::{Event, Output, Plan};
    use auditpack::{Period, PreviousTrust, RenderOptions};
    use chrono::{TimeZone, Utc};

    let t = tempfile::tempdir().unwrap();
    let series = t.path().join("series");
    let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
    let now = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
    let plan = |start: (i32, u32), end: (i32, u32)| {
        let mut trust = TrustStore::new();
        trust.add(key.verifying_key(), "test key");
        Plan {
            source: Source::new(Cluster::Files {
                dir: root().join("examples/clusters/task-api"),
                options: ImportOptions::default(),
            }),
            eval: Default::default(),
            render: RenderOptions {
                period: Some(Period {
                    start: Utc.with_ymd_and_hms(start.0, start.1, 1, 0, 0, 0).unwrap(),
                    // Half-open: the end is the first instant after the period.
                    end: Utc.with_ymd_and_hms(end.0, end.1, 1, 0, 0, 0).unwrap(),
                }),
                ..RenderOptions::new("", now)
            },
            out: Output::Series(series.clone()),
            previous_trust: Some((trust, PreviousTrust::SigningKey)),
            key: key.clone(),
            archive: None,
        }
    };
    let mut events = Vec::new();
    let first = auditpack::build(plan((2026, 1), (2026, 4)), &mut |e| {
        events.push(format!("{e:?}"))
    })
    .unwrap();
    // Q1 is long past: the only event says the evidence was taken after it ended.
    assert_eq!(events.len(), 1, "{events:?}");
    assert!(
        events[0].starts_with("EvidenceOutsidePeriod") && events[0].contains("AfterPeriod"),
        "{events:?}"
    );
    assert_eq!(first.dir, series.join(&first.made.packet.id));
    // Q2 is skipped: the second packet links to the first and the gap is an event.
    let mut gaps = Vec::new();
    let second = auditpack::build(plan((2026, 7), (2026, 10)), &mut |e| {
        if let Event::PeriodGap(gap) = e {
            gaps.push((gap.start, gap.end));
        }
    })
    .unwrap();
    // The gap is exactly the uncovered stretch between the two periods.
    let [(start, end)] = gaps[..] else {
        panic!("one gap expected: {gaps:?}")
    };
    let day = |m, d| Utc.with_ymd_and_hms(2026, m, d, 0, 0, 0).unwrap();
    assert_eq!((start, end), (day(4, 1), day(7, 1)), "Q2 exactly");
    let pj: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(second.dir.join("packet.json")).unwrap())
            .unwrap();
    assert_eq!(
        pj["previous"]["id"].as_str(),
        Some(first.made.packet.id.as_str())
    );
    assert_eq!(pj["previous"]["verification"]["verified"], true, "{pj}");
    assert!(second.incomplete.is_empty());
    // A plan that names no keys verifies the newest packet against its own signing key
    // (never a panic, never an unverified link).
    let mut third_plan = plan((2026, 10), (2027, 1));
    third_plan.previous_trust = None;
    let third = auditpack::build(third_plan, &mut |_| {}).unwrap();
    let pj: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(third.dir.join("packet.json")).unwrap())
            .unwrap();
    assert_eq!(
        pj["previous"]["id"].as_str(),
        Some(second.made.packet.id.as_str())
    );
    assert_eq!(pj["previous"]["verification"]["verified"], true, "{pj}");
}

/// `packet` on the Task API fixture with `extra` flags: its stderr, `packet.md` and
/// `packet.json`.
fn packet_with(d: &Path, name: &str, extra: &[&str]) -> (String, String, serde_json::Value) {
    if !d.join("keys/signer.key.pem").exists() {
        ok(d, &["keygen", "--out", "keys", "--name", "signer"]);
    }
    let fixture = root().join("examples/clusters/task-api");
    let mut args = vec![
        "packet",
        "--from-dir",
        fixture.to_str().unwrap(),
        "--key",
        "keys/signer.key.pem",
        "--out",
        name,
    ];
    args.extend_from_slice(extra);
    let o = run(d, &args);
    assert!(d.join(name).join("SHA256SUMS").exists(), "{}", text(&o));
    let md = std::fs::read_to_string(d.join(name).join("packet.md")).unwrap();
    let pj =
        serde_json::from_slice(&std::fs::read(d.join(name).join("packet.json")).unwrap()).unwrap();
    (String::from_utf8_lossy(&o.stderr).into_owned(), md, pj)
}

/// The snapshot is a point-in-time record: the cover and packet.json say as of when, and
/// whether the period was still in progress or had ended; nothing says "covered".
#[test]
fn the_packet_states_evidence_as_of_and_where_it_lies_in_the_period() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    // The default period is the quarter of the collection: still in progress.
    let (stderr, md, pj) = packet_with(d, "now", &[]);
    assert!(!stderr.contains("reporting period"), "{stderr}");
    assert_eq!(pj["formatVersion"], 2);
    let ev = &pj["evidence"];
    assert_eq!(ev["asOf"], pj["collectedAt"], "{ev}");
    assert_eq!(ev["collection"], "during-period", "{ev}");
    assert_eq!(ev["intervals"], serde_json::json!([]), "{ev}");
    assert!(
        md.contains("| Period status | still in progress when the evidence was collected"),
        "{md}"
    );
    assert!(md.contains("| Evidence as of | "), "{md}");
    assert!(
        md.contains("| Evidence over an interval | none: no audit log was supplied"),
        "{md}"
    );
    // A past quarter from today's evidence: warned, and stated in the packet.
    let (stderr, md, pj) = packet_with(
        d,
        "q3",
        &["--period-start", "2026-07-01", "--period-end", "2026-09-30"],
    );
    assert!(
        stderr.contains("after the reporting period 2026-07-01 to 2026-09-30 ended"),
        "{stderr}"
    );
    assert_eq!(pj["evidence"]["collection"], "after-period");
    assert!(
        md.contains("| Period status | ended before the evidence was collected"),
        "{md}"
    );
    // A period that has not begun.
    let (stderr, _, pj) = packet_with(
        d,
        "future",
        &["--period-start", "2099-01-01", "--period-end", "2099-03-31"],
    );
    assert!(
        stderr.contains("before the reporting period 2099-01-01 to 2099-03-31 began"),
        "{stderr}"
    );
    assert_eq!(pj["evidence"]["collection"], "before-period");
    for name in ["now", "q3", "future"] {
        for file in ["packet.md", "index.html"] {
            let body = std::fs::read_to_string(d.join(name).join(file)).unwrap();
            // "covered" of a period (its row was "Period covered"), never of pods by policies.
            let body = body.to_lowercase();
            for said in [
                "period covered",
                "covered period",
                "covers the period",
                "period is covered",
            ] {
                assert!(!body.contains(said), "{name}/{file} says {said:?}");
            }
        }
        ok(d, &["verify", "--key", "keys/signer.pub.pem", name]);
    }
}

/// Audit logs are the evidence that covers an interval: the cover and packet.json name
/// their first and last event in the period.
#[test]
fn audit_logs_are_stated_as_the_evidence_over_an_interval() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let falco = shared().join("realdata/falcosecurity-falco/test/trace_files/k8s_audit");
    let a = falco.join("create_clusterrolebinding.json");
    let b = falco.join("create_secret.json");
    let (_, md, pj) = packet_with(
        d,
        "p",
        &[
            "--period-start",
            "2020-04-01",
            "--period-end",
            "2020-06-30",
            "--audit-log",
            a.to_str().unwrap(),
            "--audit-log",
            b.to_str().unwrap(),
        ],
    );
    let log = &pj["evidence"]["intervals"][0];
    assert_eq!(log["evidence"], "audit-log", "{pj}");
    let first = log["firstEvent"].as_str().unwrap();
    let last = log["lastEvent"].as_str().unwrap();
    assert!(first.starts_with("2020-04-") && first <= last, "{log}");
    assert!(log["events"].as_u64().unwrap() >= 1, "{log}");
    assert!(
        md.contains(&format!(
            "| Evidence over an interval | audit logs, from the first event at {first} to the last at {last}"
        )),
        "{md}"
    );
}

/// In OSCAL, a control's finding is `not-satisfied` (reason `fail`) as soon as one of its
/// objectives (the checks it rests on) fails, however many others pass: on the demo.
#[test]
fn oscal_findings_are_not_satisfied_as_soon_as_one_objective_fails() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("demo");
    run(t.path(), &["demo", "--out", out.to_str().unwrap()]);
    let path = out.join("packet/oscal/assessment-results.json");
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let result = &doc["assessment-results"]["results"][0];
    let prop = |v: &serde_json::Value, name: &str| -> String {
        v["props"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .map(|p| p["value"].as_str().unwrap().to_string())
            .unwrap_or_default()
    };
    let check_status: std::collections::HashMap<String, String> = result["observations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["uuid"].as_str().unwrap().to_string(),
                prop(o, "auditpack-status"),
            )
        })
        .collect();
    let mut mixed = 0;
    for f in result["findings"].as_array().unwrap() {
        let statuses: Vec<&str> = f["related-observations"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| check_status[r["observation-uuid"].as_str().unwrap()].as_str())
            .collect();
        let state = &f["target"]["status"];
        if statuses.contains(&"fail") {
            assert_eq!(state["state"], "not-satisfied", "{}: {state}", f["title"]);
            assert_eq!(state["reason"], "fail", "{}: {state}", f["title"]);
            assert_eq!(prop(f, "auditpack-status"), "fail", "{}", f["title"]);
            if statuses.contains(&"pass") {
                mixed += 1;
            }
        }
        if state["state"] == "satisfied" {
            assert!(
                !statuses.is_empty()
                    && statuses
                        .iter()
                        .all(|s| *s == "pass" || *s == "not-applicable"),
                "{}: satisfied over {statuses:?}",
                f["title"]
            );
        }
    }
    // The demo has controls whose checks partly pass and partly fail (CC6.1).
    assert!(mixed > 0, "no control mixes passing and failing checks");
}
