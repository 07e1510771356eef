//! `auditpack auditlog` on real audit events (falco, audit2rbac, crowdsec samples) and on
//! constructed logs, through the real binary.

mod common;
use common::shared;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

fn falco(name: &str) -> PathBuf {
    shared()
        .join("realdata/falcosecurity-falco/test/trace_files/k8s_audit")
        .join(name)
}

fn demo_v1() -> PathBuf {
    shared().join("realdata/liggitt-audit2rbac/testdata/demo.log")
}

fn demo_v1beta1() -> PathBuf {
    shared().join("realdata/liggitt-audit2rbac/v1beta1-883f4e80/testdata/demo.log")
}

fn crowdsec_exec() -> PathBuf {
    shared().join(
        "realdata/crowdsecurity-hub/.tests/k8s-audit-pod-exec-file/k8s-audit-pod-exec-file.log",
    )
}

fn run(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_auditpack"))
        .arg("auditlog")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run auditpack")
}

/// Runs on the given files and returns the JSON summary (exit 0 required).
fn summary(files: &[&Path], extra: &[&str]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let mut args: Vec<&str> = files.iter().map(|p| p.to_str().unwrap()).collect();
    args.extend_from_slice(extra);
    let out = run(&args, dir.path());
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON summary")
}

/// `(time, user, verb, resource, name, code)` of every RBAC change.
fn rbac(s: &Value) -> Vec<(String, String, String, String, String, i64)> {
    s["rbacChanges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["time"].as_str().unwrap().to_string(),
                c["user"].as_str().unwrap().to_string(),
                c["verb"].as_str().unwrap().to_string(),
                c["resource"].as_str().unwrap().to_string(),
                c["name"].as_str().unwrap_or("").to_string(),
                c["code"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn row(
    t: &str,
    verb: &str,
    res: &str,
    name: &str,
    code: i64,
) -> (String, String, String, String, String, i64) {
    (
        t.into(),
        "minikube-user".into(),
        verb.into(),
        res.into(),
        name.into(),
        code,
    )
}

#[test]
fn falco_rbac_changes_are_listed_with_who_what_when_and_code() {
    let s = summary(&[&falco("attach_cluster_admin_role.json")], &[]);
    assert_eq!(
        rbac(&s),
        vec![row(
            "2018-10-26T14:26:34.238974Z",
            "create",
            "clusterrolebindings",
            "some-reader-binding",
            201
        )]
    );
    assert_eq!(s["events"], 1);

    let files = [
        falco("create_clusterrolebinding.json"),
        falco("delete_clusterrole.json"),
        falco("delete_clusterrolebinding.json"),
        falco("modify_cluster_role_node_problem_detector.json"),
        falco("delete_cluster_role_kube_aggregator.json"),
        falco("create_clusterrole.json"),
        // Not RBAC: must not be listed.
        falco("create_configmap.json"),
        falco("create_serviceaccount.json"),
    ];
    let refs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let s = summary(&refs, &[]);
    let got = rbac(&s);
    let times: Vec<&str> = got.iter().map(|r| r.0.as_str()).collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted, "RBAC changes are in time order");
    let mut what: Vec<(String, String, String, i64)> =
        got.into_iter().map(|r| (r.2, r.3, r.4, r.5)).collect();
    what.sort();
    let w = |v: &str, r: &str, n: &str, c: i64| (v.to_string(), r.to_string(), n.to_string(), c);
    assert_eq!(
        what,
        vec![
            w("create", "clusterrolebindings", "some-reader-binding", 201),
            w("create", "clusterroles", "some-reader", 201),
            w("delete", "clusterrolebindings", "some-reader-binding", 200),
            w("delete", "clusterroles", "some-reader", 200),
            w("delete", "clusterroles", "system:kube-aggregator", 200),
            w("patch", "clusterroles", "system:node-problem-detector", 200),
        ]
    );
    assert_eq!(s["events"], 8);
    assert_eq!(s["byResource"]["clusterroles.rbac.authorization.k8s.io"], 4);
    assert_eq!(s["byResource"]["configmaps"], 1);
    assert_eq!(s["byVerb"]["delete"], 3);
}

#[test]
fn falco_secret_access_is_metadata_only_per_user_verb_and_secret() {
    let s = summary(
        &[
            &falco("create_secret.json"),
            &falco("delete_secret.json"),
            &falco("create_kube_system_secret.json"),
            &falco("create_service_account_token_secret.json"),
            &falco("create_configmap.json"),
        ],
        &[],
    );
    let rows: Vec<(String, String, String, String, u64)> = s["secretAccess"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["namespace"].as_str().unwrap().into(),
                r["name"].as_str().unwrap().into(),
                r["user"].as_str().unwrap().into(),
                r["verb"].as_str().unwrap().into(),
                r["count"].as_u64().unwrap(),
            )
        })
        .collect();
    let r = |ns: &str, n: &str, u: &str, v: &str| (ns.into(), n.into(), u.into(), v.into(), 1);
    assert_eq!(
        rows,
        vec![
            r("default", "example-secret", "minikube-user", "create"),
            r("default", "example-secret", "minikube-user", "delete"),
            r("kube-system", "bootstrap-token-ne7bxu", "admin", "create"),
            r(
                "test2",
                "default-token-7v4pb",
                "system:kube-controller-manager",
                "create"
            ),
        ]
    );
    assert_eq!(s["secretAccess"][0]["first"], "2020-04-21T17:57:05.541358Z");
    assert_eq!(s["secretAccess"][0]["denied"], 0);
}

#[test]
fn exec_and_attach_are_listed_from_falco_and_crowdsec() {
    let s = summary(
        &[
            &falco("exec_pod.json"),
            &falco("attach_pod.json"),
            &crowdsec_exec(),
        ],
        &[],
    );
    let execs: Vec<(String, String, String, String, String, i64)> = s["execs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["time"].as_str().unwrap().into(),
                e["user"].as_str().unwrap().into(),
                e["subresource"].as_str().unwrap().into(),
                e["namespace"].as_str().unwrap().into(),
                e["pod"].as_str().unwrap().into(),
                e["code"].as_i64().unwrap(),
            )
        })
        .collect();
    let e = |t: &str, sub: &str, ns: &str, pod: &str| {
        (
            t.into(),
            "minikube-user".into(),
            sub.into(),
            ns.into(),
            pod.into(),
            101,
        )
    };
    assert_eq!(
        execs,
        vec![
            e(
                "2018-10-26T13:38:34.867116Z",
                "exec",
                "default",
                "nginx-deployment-7998647bdf-phvq7"
            ),
            e(
                "2018-10-26T13:42:46.764713Z",
                "attach",
                "default",
                "nginx-deployment-7998647bdf-phvq7"
            ),
            e("2023-05-17T15:08:22.763960Z", "exec", "foo", "test-pod-1"),
        ]
    );
    // The falco exec is only a ResponseStarted event: still counted once.
    assert_eq!(s["events"], 3);
    assert_eq!(s["byResource"]["pods/exec"], 2);
}

#[test]
fn demo_log_denied_requests_are_counted_per_impersonated_user() {
    let s = summary(&[&demo_v1()], &[]);
    assert_eq!(s["events"], 37);
    assert_eq!(
        s["denied"],
        json!([
            {"user": "system:admin", "impersonatedUser": "bob", "count": 4,
             "first": "2017-09-11T19:55:05Z", "last": "2017-09-11T20:27:52Z"},
            {"user": "system:admin", "impersonatedUser": "system:serviceaccount:ns1:sa1", "count": 4,
             "first": "2017-09-11T20:00:59Z", "last": "2017-09-11T20:01:37Z"},
            {"user": "system:admin", "impersonatedUser": "alice", "count": 3,
             "first": "2017-09-11T20:28:54Z", "last": "2017-09-11T20:29:04Z"},
        ])
    );
    assert_eq!(
        s["byUser"],
        json!({"alice": 3, "bob": 29, "system:serviceaccount:ns1:sa1": 5})
    );
    // The denied secret list by alice is Secret access too.
    assert_eq!(s["secretAccess"][0]["verb"], "list");
    assert_eq!(s["secretAccess"][0]["impersonatedUser"], "alice");
    assert_eq!(s["secretAccess"][0]["denied"], 1);
    assert!(s["secretAccess"][0].get("name").is_none());
}

#[test]
fn v1beta1_demo_log_gives_the_same_summary_as_v1() {
    let a = summary(&[&demo_v1()], &[]);
    let b = summary(&[&demo_v1beta1()], &[]);
    for key in [
        "events",
        "byUser",
        "byVerb",
        "byResource",
        "denied",
        "secretAccess",
        "firstEvent",
        "lastEvent",
    ] {
        assert_eq!(a[key], b[key], "{key}");
    }
    assert_eq!(b["problemsTotal"], 0);
}

#[test]
fn old_v1beta1_object_refs_with_the_group_in_api_version_are_rbac() {
    // Before apiGroup existed, objectRef.apiVersion carried "group/version".
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.log");
    std::fs::write(
        &log,
        r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1beta1","timestamp":"2017-06-01T10:00:00Z","auditID":"a1","stage":"ResponseComplete","verb":"update","user":{"username":"ops"},"objectRef":{"resource":"rolebindings","namespace":"prod","name":"edit","apiVersion":"rbac.authorization.k8s.io/v1beta1"},"responseStatus":{"code":200}}
"#,
    )
    .unwrap();
    let s = summary(&[&log], &[]);
    assert_eq!(s["rbacChanges"][0]["namespace"], "prod");
    assert_eq!(s["rbacChanges"][0]["verb"], "update");
    assert_eq!(s["rbacChanges"][0]["time"], "2017-06-01T10:00:00Z");
}

#[test]
fn malformed_falco_fixture_is_a_problem_with_file_and_line_not_a_crash() {
    let path = falco("fal_01_003.json");
    let s = summary(&[&path, &falco("exec_pod.json")], &[]);
    assert_eq!(s["problemsTotal"], 1);
    assert_eq!(s["problems"][0]["file"], path.to_str().unwrap());
    assert_eq!(s["problems"][0]["line"], 1);
    let reason = s["problems"][0]["reason"].as_str().unwrap();
    assert!(reason.starts_with("not an audit event"), "{reason}");
    assert_eq!(s["files"][0]["malformed"], 1);
    assert_eq!(s["files"][0]["events"], 0);
    assert_eq!(s["events"], 1, "the other file is still read");
}

#[test]
fn truncated_last_line_missing_fields_and_unknown_versions_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(demo_v1()).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    let last = lines.pop().unwrap();
    let mut cut = lines.join("\n");
    cut.push('\n');
    cut.push_str(r#"{"verb":"get","timestamp":"2017-09-11T20:00:00Z"}"#); // line 37: no user
    cut.push('\n');
    cut.push_str(&last.replace("audit.k8s.io/v1", "audit.k8s.io/v2")); // 38
    cut.push('\n');
    cut.push_str("not json at all\n"); // 39
    cut.push_str(&last[..last.len() / 2]); // 40, no newline
    let log = dir.path().join("audit.log");
    std::fs::write(&log, cut).unwrap();
    let s = summary(&[&log], &[]);
    assert_eq!(s["events"], 36);
    assert_eq!(s["problemsTotal"], 4);
    let p: Vec<(u64, String)> = s["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["line"].as_u64().unwrap(),
                p["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(p[0].0, 37);
    assert!(p[0].1.contains("without user.username"), "{p:?}");
    assert_eq!(p[1].0, 38);
    assert!(
        p[1].1
            .contains("field apiVersion must be audit.k8s.io/v1 or audit.k8s.io/v1beta1"),
        "{p:?}"
    );
    assert!(!p[1].1.contains("audit.k8s.io/v2"), "{p:?}");
    assert_eq!(p[2].0, 39);
    assert!(p[2].1.starts_with("not valid JSON"), "{p:?}");
    assert_eq!(p[3].0, 40);
    assert!(p[3].1.starts_with("truncated last line"), "{p:?}");
    assert_eq!(s["files"][0]["lines"], 40);
    assert_eq!(s["files"][0]["malformed"], 4);
}

#[test]
fn gzip_is_detected_by_magic_bytes_and_equals_plain_input() {
    let dir = tempfile::tempdir().unwrap();
    let plain = std::fs::read(demo_v1()).unwrap();
    // Rotated-style name without a .gz suffix: detection is by content.
    let gz = dir.path().join("audit-2017-09-11T20-30-00.000.log");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(&plain).unwrap();
    let bytes = enc.finish().unwrap();
    std::fs::write(&gz, &bytes).unwrap();
    let a = summary(&[&demo_v1()], &[]);
    let mut b = summary(&[&gz], &[]);
    assert_eq!(b["files"][0]["gzip"], true);
    assert_eq!(a["files"][0]["gzip"], false);
    assert_eq!(b["files"][0]["lines"], 37);
    let digest = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(&bytes))
    };
    assert_eq!(b["files"][0]["sha256"], digest, "hash of the bytes on disk");
    let mut a2 = a.clone();
    a2["files"] = Value::Null;
    b["files"] = Value::Null;
    assert_eq!(a2, b);
}

#[test]
fn a_three_hour_hole_is_a_gap_and_a_late_start_or_early_end_too() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.log");
    let mut text = String::new();
    // Every 10 minutes from 00:00 to 12:00, except 03:00 (exclusive) to 06:00 (exclusive).
    for i in 0..=72 {
        let min = i * 10;
        if min > 180 && min < 360 {
            continue;
        }
        text.push_str(&format!(
            r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"id-{i}","stage":"ResponseComplete","verb":"get","user":{{"username":"u"}},"objectRef":{{"resource":"pods","namespace":"a","name":"p"}},"responseStatus":{{"code":200}},"requestReceivedTimestamp":"2026-01-01T{:02}:{:02}:00.000000Z"}}"#,
            min / 60,
            min % 60
        ));
        text.push('\n');
    }
    std::fs::write(&log, text).unwrap();
    let s = summary(&[&log], &[]);
    assert_eq!(
        s["gaps"],
        json!([{"start": "2026-01-01T03:00:00Z", "end": "2026-01-01T06:00:00Z", "seconds": 10800}])
    );
    assert_eq!(s["gapThresholdSeconds"], 3600);
    // A threshold above the hole: no gap.
    let s = summary(&[&log], &["--gap-threshold", "3h30m"]);
    assert_eq!(s["gaps"], json!([]));
    // A period wider than the log: the late start and early end are gaps too.
    let s = summary(
        &[&log],
        &["--since", "2025-12-31T20:00:00Z", "--until", "2026-01-01"],
    );
    assert_eq!(
        s["gaps"],
        json!([
            {"start": "2025-12-31T20:00:00Z", "end": "2026-01-01T00:00:00Z", "seconds": 14400},
            {"start": "2026-01-01T03:00:00Z", "end": "2026-01-01T06:00:00Z", "seconds": 10800},
            {"start": "2026-01-01T12:00:00Z", "end": "2026-01-02T00:00:00Z", "seconds": 43200},
        ])
    );
    // A period with no event at all is one gap.
    let s = summary(&[&log], &["--since", "2026-02-01", "--until", "2026-02-01"]);
    assert_eq!(s["events"], 0);
    assert_eq!(s["outside"], 56);
    assert_eq!(s["gaps"][0]["seconds"], 86400);
}

#[test]
fn period_filter_counts_outside_events_without_summarising_them() {
    let s = summary(
        &[&demo_v1()],
        &[
            "--since",
            "2017-09-11T20:00:00Z",
            "--until",
            "2017-09-11T20:28:00Z",
        ],
    );
    // 20:00:59 .. 20:27:52 inclusive: lines 5-34.
    assert_eq!(s["events"], 30);
    assert_eq!(s["outside"], 7);
    assert_eq!(s["since"], "2017-09-11T20:00:00Z");
    assert_eq!(s["until"], "2017-09-11T20:28:00Z");
    assert_eq!(s["firstEvent"], "2017-09-11T20:00:59Z");
    assert_eq!(s["lastEvent"], "2017-09-11T20:27:52Z");
    assert!(
        s["byUser"].get("alice").is_none(),
        "alice's requests are after the period"
    );
}

#[test]
fn request_and_response_bodies_never_reach_any_output() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.log");
    let body = json!({"kind": "Secret", "data": {"password": "SENTINEL-7f3a9c"}, "note": "SENTINEL-7f3a9c"});
    let good = json!({"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"b1","stage":"ResponseComplete","verb":"create","user":{"username":"dev"},"objectRef":{"resource":"secrets","namespace":"prod","name":"db"},"responseStatus":{"code":201},"requestReceivedTimestamp":"2026-01-01T00:00:00Z","requestObject": body, "responseObject": body});
    let bad = json!({"kind":"Event","auditID":"b2","verb":5,"user":{"username":"dev"},"requestReceivedTimestamp":"2026-01-01T00:00:01Z","requestObject": body, "responseObject": body});
    std::fs::write(&log, format!("{good}\n{bad}\n")).unwrap();
    let mut list = good.clone();
    list = json!({"kind": "EventList", "apiVersion": "audit.k8s.io/v1", "items": [list, bad]});
    let doc = dir.path().join("list.json");
    std::fs::write(&doc, serde_json::to_string_pretty(&list).unwrap()).unwrap();
    for format in ["json", "yaml", "markdown", "md"] {
        let out = run(
            &[
                log.to_str().unwrap(),
                doc.to_str().unwrap(),
                "--output",
                format,
            ],
            dir.path(),
        );
        assert_eq!(out.status.code(), Some(0));
        let all = [out.stdout, out.stderr].concat();
        let text = String::from_utf8_lossy(&all);
        assert!(
            text.contains("db"),
            "the Secret's name is reported ({format})"
        );
        assert!(
            !text.contains("SENTINEL-7f3a9c"),
            "body leaked in {format}: {text}"
        );
    }
}

#[test]
fn pretty_printed_event_list_documents_are_read_item_by_item() {
    let dir = tempfile::tempdir().unwrap();
    let items: Vec<Value> = [
        "create_clusterrolebinding.json",
        "delete_clusterrole.json",
        "create_secret.json",
    ]
    .iter()
    .map(|f| {
        let text = std::fs::read_to_string(falco(f)).unwrap();
        serde_json::from_str(text.lines().next().unwrap()).unwrap()
    })
    .chain([json!({"kind": "Event", "verb": "get"})])
    .collect();
    let list = json!({"kind": "EventList", "apiVersion": "audit.k8s.io/v1", "metadata": {}, "items": items});
    let doc = dir.path().join("events.json");
    std::fs::write(&doc, serde_json::to_string_pretty(&list).unwrap()).unwrap();
    let s = summary(&[&doc], &[]);
    assert_eq!(s["files"][0]["format"], "document");
    assert_eq!(s["events"], 3);
    assert_eq!(s["rbacChanges"].as_array().unwrap().len(), 2);
    assert_eq!(s["secretAccess"].as_array().unwrap().len(), 1);
    assert_eq!(s["problemsTotal"], 1);
    let reason = s["problems"][0]["reason"].as_str().unwrap();
    assert!(reason.starts_with("items[3]: "), "{reason}");
    assert_eq!(s["problems"][0]["line"], 1);

    // The same list on one line (as `kubectl get --raw` prints it) is read as a line.
    let one_line = serde_json::to_string(
        &json!({"kind": "EventList", "items": list["items"].as_array().unwrap()[..3]}),
    )
    .unwrap();
    std::fs::write(&doc, one_line + "\n").unwrap();
    let s = summary(&[&doc], &[]);
    assert_eq!(s["files"][0]["format"], "lines");
    assert_eq!(s["events"], 3);
    assert_eq!(s["rbacChanges"].as_array().unwrap().len(), 2);

    // A truncated document is one problem, not a crash.
    let text = serde_json::to_string_pretty(&list).unwrap();
    std::fs::write(&doc, &text[..text.len() / 2]).unwrap();
    let s = summary(&[&doc], &[]);
    assert_eq!(s["events"], 0);
    assert_eq!(s["problemsTotal"], 1);
    assert!(
        s["problems"][0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("document is truncated")
    );
}

/// A malformed event's reason quoted its value (`invalid type: string "…"`), so a secret
/// in a wrong-typed field reached the snapshot and the packet.
#[test]
fn problem_reasons_name_the_field_and_type_never_the_value() {
    let dir = tempfile::tempdir().unwrap();
    let secret = "SENTINEL-auditlog-9d1e";
    let lines = [
        format!(
            r#"{{"kind":"Event","verb":"get","user":{{"username":"u"}},"requestReceivedTimestamp":"2026-01-01T00:00:00Z","responseStatus":{{"code":"{secret}"}}}}"#
        ),
        format!(
            r#"{{"kind":"Event","verb":["{secret}"],"user":{{"username":"u"}},"requestReceivedTimestamp":"2026-01-01T00:00:00Z"}}"#
        ),
        format!(r#"{{"kind":"{secret}","verb":"get"}}"#),
        format!(r#"{{"apiVersion":"{secret}","verb":"get"}}"#),
        format!(
            r#"{{"verb":"get","user":{{"username":"u"}},"requestReceivedTimestamp":"{secret}"}}"#
        ),
        format!(
            r#"{{"verb":"get","user":{{"username":{{"x":"{secret}"}}}},"timestamp":"2026-01-01T00:00:00Z"}}"#
        ),
        format!(r#""{secret}""#),
    ];
    let log = dir.path().join("audit.log");
    std::fs::write(&log, lines.join("\n") + "\n").unwrap();
    // The same events as one EventList document.
    let items: Vec<Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let doc = dir.path().join("events.json");
    std::fs::write(
        &doc,
        serde_json::to_string_pretty(&json!({"kind": "EventList", "items": items})).unwrap(),
    )
    .unwrap();
    for file in [&log, &doc] {
        let s = summary(&[file], &[]);
        assert_eq!(s["problemsTotal"], 7, "{s:#}");
        let reasons: Vec<&str> = s["problems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["reason"].as_str().unwrap())
            .collect();
        let text = s.to_string();
        assert!(!text.contains("SENTINEL"), "value leaked: {reasons:#?}");
        let want = [
            "field responseStatus.code must be i32",
            "field verb must be a string",
            "field kind must be Event or EventList",
            "field apiVersion must be audit.k8s.io/v1 or audit.k8s.io/v1beta1",
            "field requestReceivedTimestamp must be an RFC 3339 time",
            "field user.username must be a string",
            "the event must be struct Event",
        ];
        for (r, w) in reasons.iter().zip(want) {
            assert!(r.contains(w), "{r:?} should say {w:?}");
        }
    }
}

#[test]
fn stages_of_one_request_count_once_with_the_final_code() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.log");
    let ev = |stage: &str, code: Option<i64>, ts: &str| {
        let mut v = json!({"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"5d0f1f4e-1c35-4d4b-8a8e-0a0b5f0c9e11","stage":stage,"verb":"patch","user":{"username":"ci"},"objectRef":{"resource":"roles","namespace":"dev","name":"deployer","apiGroup":"rbac.authorization.k8s.io"},"requestReceivedTimestamp":"2026-01-01T00:00:00.100000Z","stageTimestamp":ts});
        if let Some(c) = code {
            v["responseStatus"] = json!({"code": c});
        }
        v.to_string()
    };
    let text = [
        ev("RequestReceived", None, "2026-01-01T00:00:00.100000Z"),
        ev("ResponseComplete", Some(403), "2026-01-01T00:00:00.200000Z"),
    ]
    .join("\n");
    std::fs::write(&log, text + "\n").unwrap();
    let s = summary(&[&log], &[]);
    assert_eq!(s["events"], 1);
    assert_eq!(s["duplicateStages"], 1);
    assert_eq!(s["byUser"]["ci"], 1);
    assert_eq!(s["rbacChanges"][0]["code"], 403);
    assert_eq!(s["rbacChanges"][0]["namespace"], "dev");
    assert_eq!(s["denied"][0]["count"], 1);
}

/// The file names (last path component) a summary lists, in its order.
fn file_names(s: &Value) -> Vec<&str> {
    s["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().rsplit('/').next().unwrap())
        .collect()
}

/// A request whose first stage was written just before a rotation and its final stage just
/// after: named newest file first (and the older one gzipped), it still counts once.
#[test]
fn rotated_files_named_in_any_order_are_read_oldest_first() {
    let dir = tempfile::tempdir().unwrap();
    let ev = |id: &str, stage: &str, ts: &str| {
        json!({"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":id,"stage":stage,"verb":"create","user":{"username":"ci"},"objectRef":{"resource":"rolebindings","namespace":"dev","name":"b","apiGroup":"rbac.authorization.k8s.io"},"requestReceivedTimestamp":ts,"stageTimestamp":ts,"responseStatus":{"code":201}}).to_string()
    };
    let older = [
        ev("a", "ResponseComplete", "2026-01-01T00:00:00Z"),
        ev("b", "RequestReceived", "2026-01-01T00:00:05Z"),
    ]
    .join("\n")
        + "\n";
    let newer = [
        ev("b", "ResponseComplete", "2026-01-01T00:00:05Z"),
        ev("c", "ResponseComplete", "2026-01-01T00:00:09Z"),
    ]
    .join("\n")
        + "\n";
    let old_path = dir.path().join("old.log.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, older.as_bytes()).unwrap();
    std::fs::write(&old_path, gz.finish().unwrap()).unwrap();
    let new_path = dir.path().join("audit.log");
    std::fs::write(&new_path, newer).unwrap();
    for order in [[&new_path, &old_path], [&old_path, &new_path]] {
        let s = summary(&[order[0].as_path(), order[1].as_path()], &["--no-hash"]);
        assert_eq!(s["events"], 3, "{order:?}: {s}");
        assert_eq!(s["duplicateStages"], 1, "{order:?}");
        assert_eq!(s["rbacChanges"].as_array().unwrap().len(), 3, "{order:?}");
        assert_eq!(file_names(&s), ["old.log.gz", "audit.log"], "{order:?}");
    }
}

#[test]
fn globs_and_folders_expand_in_name_order_and_missing_inputs_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(demo_v1()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    std::fs::write(dir.path().join("audit.log"), lines[20..].join("\n") + "\n").unwrap();
    std::fs::write(
        dir.path().join("audit-2017-09-11T20-10-00.000.log"),
        lines[..20].join("\n") + "\n",
    )
    .unwrap();
    let pattern = format!("{}/audit*.log", dir.path().display());
    let s = summary(&[Path::new(&pattern)], &["--no-hash"]);
    assert_eq!(s["events"], 37);
    assert_eq!(
        file_names(&s),
        ["audit-2017-09-11T20-10-00.000.log", "audit.log"]
    );
    assert!(s["files"][0].get("sha256").is_none());
    let s = summary(&[dir.path()], &[]);
    assert_eq!(s["events"], 37);

    let out = run(&["no-such-audit.log"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no-such-audit.log"), "{err}");
    let out = run(&["logs/*.gz"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("logs/*.gz"));
    let out = run(
        &[demo_v1().to_str().unwrap(), "--since", "last tuesday"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("last tuesday"));
    let demo = demo_v1();
    let out = run(
        &[
            demo.to_str().unwrap(),
            "--since",
            "2026-02-01",
            "--until",
            "2026-01-01",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("period is empty"));
}

#[test]
fn markdown_report_has_the_verdict_and_tables() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        &[
            demo_v1().to_str().unwrap(),
            falco("create_clusterrolebinding.json").to_str().unwrap(),
            "--output",
            "md",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0));
    let md = String::from_utf8(out.stdout).unwrap();
    for needle in [
        "# Kubernetes audit log summary",
        "## Continuity",
        "**Finding:**",
        "## RBAC changes (1)",
        "| 2018-10-26T13:25:18Z | minikube-user | create | clusterrolebindings |  | some-reader-binding | 201 |",
        "## Secret access",
        "## Exec and attach into pods (0)",
        "| system:admin as bob | 4 |",
        "## Top users",
    ] {
        assert!(md.contains(needle), "missing {needle:?} in\n{md}");
    }
}

/// A log several chunks long (chunks are 2 MiB): line numbers, stage matching and counts
/// must not depend on where the chunks are cut.
fn big_log(dir: &Path) -> (PathBuf, String) {
    let mut text = String::new();
    let pad = "x".repeat(900);
    for i in 0..12_000u32 {
        let (min, sec) = (i / 60 % 60, i % 60);
        let ts = format!("2026-01-01T{:02}:{min:02}:{sec:02}.000001Z", i / 3600);
        let id = format!("00000000-0000-4000-8000-{i:012}");
        if i % 1000 == 999 {
            // Every 1000th request is also logged at RequestReceived, just before.
            text.push_str(&format!(
                r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"{id}","stage":"RequestReceived","verb":"get","user":{{"username":"u{}"}},"requestReceivedTimestamp":"{ts}","objectRef":{{"resource":"secrets","namespace":"n","name":"s"}}}}"#,
                i % 7
            ));
            text.push('\n');
        }
        if i == 7777 {
            text.push_str("{\"kind\":\"Event\",\"verb\":\n");
        }
        text.push_str(&format!(
            r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"{id}","stage":"ResponseComplete","verb":"get","user":{{"username":"u{}"}},"requestReceivedTimestamp":"{ts}","objectRef":{{"resource":"secrets","namespace":"n","name":"s"}},"responseStatus":{{"code":200}},"requestObject":{{"pad":"{pad}"}}}}"#,
            i % 7
        ));
        text.push('\n');
    }
    let log = dir.join("big.log");
    std::fs::write(&log, &text).unwrap();
    (log, text)
}

#[test]
fn results_do_not_depend_on_chunk_boundaries() {
    let dir = tempfile::tempdir().unwrap();
    let (log, text) = big_log(dir.path());
    assert!(text.len() > 5 << 20, "spans several chunks");
    let bad_line = text
        .lines()
        .position(|l| l == "{\"kind\":\"Event\",\"verb\":")
        .unwrap() as u64
        + 1;
    let s = summary(&[&log], &[]);
    assert_eq!(s["events"], 12_000);
    assert_eq!(s["duplicateStages"], 12);
    assert_eq!(s["problemsTotal"], 1);
    assert_eq!(s["problems"][0]["line"], bad_line);
    assert_eq!(s["files"][0]["lines"], text.lines().count() as u64);
    assert_eq!(s["secretAccess"].as_array().unwrap().len(), 7);
    let total: u64 = s["secretAccess"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["count"].as_u64().unwrap())
        .sum();
    assert_eq!(total, 12_000);
    assert_eq!(s["gaps"], json!([]));
    assert_eq!(s["lastEvent"], "2026-01-01T03:19:59.000001Z");
}

#[test]
fn a_truncated_gzip_keeps_what_was_read_and_reports_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let (log, _) = big_log(dir.path());
    let plain = std::fs::read(&log).unwrap();
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(&plain).unwrap();
    let gz = enc.finish().unwrap();
    let cut = dir.path().join("audit-cut.log.gz");
    std::fs::write(&cut, &gz[..gz.len() * 2 / 3]).unwrap();
    let s = summary(&[&cut], &[]);
    let events = s["events"].as_u64().unwrap();
    assert!(events > 1000 && events < 12_000, "{events}");
    let last = s["problems"].as_array().unwrap().last().unwrap().clone();
    let reason = last["reason"].as_str().unwrap();
    assert!(
        reason.contains("gzip stream is corrupt or truncated"),
        "{reason}"
    );
    assert_eq!(s["files"][0]["gzip"], true);
}

#[test]
fn problems_are_capped_but_all_counted() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("junk.log");
    std::fs::write(&log, "garbage\n".repeat(250)).unwrap();
    let s = summary(&[&log], &[]);
    assert_eq!(s["problemsTotal"], 250);
    assert_eq!(s["problems"].as_array().unwrap().len(), 100);
    assert_eq!(s["problems"][99]["line"], 100);
    assert_eq!(s["files"][0]["malformed"], 250);
    assert_eq!(s["events"], 0);
    assert_eq!(s["firstEvent"], Value::Null);
}

#[test]
fn a_line_without_end_is_skipped_not_buffered() {
    // A 70 MiB "line" (a binary or a wrong file) must not be held in memory whole.
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.log");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&log).unwrap());
    let block = vec![b'x'; 1 << 20];
    for _ in 0..70 {
        f.write_all(&block).unwrap();
    }
    f.write_all(b"\n").unwrap();
    let good = std::fs::read_to_string(falco("create_secret.json")).unwrap();
    f.write_all(good.lines().next().unwrap().as_bytes())
        .unwrap();
    f.write_all(b"\n").unwrap();
    drop(f);
    let s = summary(&[&log], &["--no-hash"]);
    assert_eq!(s["problemsTotal"], 1);
    assert_eq!(s["problems"][0]["line"], 1);
    assert!(
        s["problems"][0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("line longer than 64 MiB")
    );
    assert_eq!(s["events"], 1);
    assert_eq!(s["files"][0]["lines"], 2);
    assert_eq!(s["secretAccess"][0]["name"], "example-secret");
}

#[test]
fn a_log_whose_first_event_is_cut_short_is_still_read_line_by_line() {
    // The first line looks like the start of a pretty-printed document but is a cut event.
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.log");
    let text = std::fs::read_to_string(demo_v1()).unwrap();
    let first = text.lines().next().unwrap();
    std::fs::write(&log, format!("{}\n{text}", &first[..40])).unwrap();
    let s = summary(&[&log], &[]);
    assert_eq!(s["files"][0]["format"], "lines");
    assert_eq!(s["events"], 37);
    assert_eq!(s["problemsTotal"], 1);
    assert_eq!(s["problems"][0]["line"], 1);
}

/// A log with heavy RBAC and Secret traffic (as `gen-auditlog --profile heavy` writes at
/// 256 MiB): `rbac` RBAC writes and `secrets` Secret reads by 40 users over 60
/// namespaces, `execs` human execs and then one by a ServiceAccount, one request a second.
fn heavy_log(path: &Path, rbac: usize, secrets: usize, execs: usize) {
    let mut w = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let start = chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").unwrap();
    let verbs = ["create", "update", "patch", "delete"];
    let kinds = [
        "roles",
        "rolebindings",
        "clusterroles",
        "clusterrolebindings",
    ];
    let line = |w: &mut dyn Write, i: usize, user: &str, verb: &str, oref: String, code: u16| {
        let t = (start + chrono::Duration::seconds(i as i64))
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        writeln!(
            w,
            r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"id-{i}","stage":"ResponseComplete","verb":"{verb}","user":{{"username":"{user}"}},"objectRef":{oref},"responseStatus":{{"code":{code}}},"requestReceivedTimestamp":"{t}"}}"#
        )
        .unwrap();
    };
    let mut i = 0;
    for n in 0..rbac.max(secrets) {
        if n < rbac {
            let kind = kinds[n % 4];
            let ns = if kind.starts_with("cluster") {
                String::new()
            } else {
                format!(r#","namespace":"ns-{}""#, n % 60)
            };
            let oref = format!(
                r#"{{"resource":"{kind}","apiGroup":"rbac.authorization.k8s.io"{ns},"name":"obj-{}"}}"#,
                n % 97
            );
            let code = if n % 50 == 0 { 403 } else { 200 };
            line(
                &mut w,
                i,
                &format!("user-{}@example.com", n % 40),
                verbs[n % 4],
                oref,
                code,
            );
            i += 1;
        }
        if n < secrets {
            let oref = format!(
                r#"{{"resource":"secrets","namespace":"ns-{}","name":"s-{}"}}"#,
                n % 60,
                n % 23
            );
            line(
                &mut w,
                i,
                &format!("user-{}@example.com", n % 40),
                "get",
                oref,
                200,
            );
            i += 1;
        }
    }
    for n in 0..=execs {
        let user = if n == execs {
            "system:serviceaccount:ns-1:deployer".to_string()
        } else {
            format!("user-{}@example.com", n % 40)
        };
        let oref = r#"{"resource":"pods","subresource":"exec","namespace":"ns-1","name":"p"}"#;
        line(&mut w, i, &user, "create", oref.to_string(), 101);
        i += 1;
    }
    w.flush().unwrap();
}

#[test]
fn a_heavy_log_gives_a_small_capped_summary_whose_counts_equal_the_totals() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("heavy.log");
    heavy_log(&log, 40_000, 70_000, 150);
    let out = run(
        &["heavy.log", "--detail", "detail.json", "--no-hash"],
        dir.path(),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The summary is small: before aggregation it listed every RBAC change (40,000 rows).
    assert!(
        out.stdout.len() < 150_000,
        "the summary is {} bytes",
        out.stdout.len()
    );
    let s: Value = serde_json::from_slice(&out.stdout).unwrap();
    let d: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("detail.json")).unwrap()).unwrap();
    assert_eq!(d["kind"], "AuditLogDetail");
    let len = |v: &Value| v.as_array().unwrap().len();
    let sum = |v: &Value| -> u64 {
        v.as_array()
            .unwrap()
            .iter()
            .map(|r| r["count"].as_u64().unwrap())
            .sum()
    };
    assert_eq!(s["events"], 40_000 + 70_000 + 151);
    assert_eq!(s["rbacChangesTotal"], 40_000);
    assert_eq!(len(&s["rbacChanges"]), 100);
    let times: Vec<&str> = s["rbacChanges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["time"].as_str().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "time order");
    // Every request of the lists is in exactly one aggregate of the detail.
    assert_eq!(
        s["accessTotal"].as_u64().unwrap() as usize,
        len(&d["access"])
    );
    assert_eq!(sum(&d["access"]), 40_000 + 70_000 + 151);
    let by = |res: &str| -> u64 {
        d["access"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["resource"].as_str().unwrap().starts_with(res))
            .map(|a| a["count"].as_u64().unwrap())
            .sum()
    };
    assert_eq!(
        by("roles") + by("rolebindings") + by("clusterroles") + by("clusterrolebindings"),
        40_000
    );
    assert_eq!(by("secrets"), 70_000);
    assert_eq!(by("pods/exec"), 151);
    let denied: u64 = d["access"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["denied"].as_u64().unwrap())
        .sum();
    assert_eq!(denied, 800);
    assert_eq!(len(&s["access"]), 100);
    for a in s["access"].as_array().unwrap() {
        assert!(
            d["access"].as_array().unwrap().contains(a),
            "{a} is in the detail"
        );
    }
    assert_eq!(
        s["secretAccessTotal"].as_u64().unwrap() as usize,
        len(&d["secretAccess"])
    );
    assert_eq!(sum(&d["secretAccess"]), 70_000);
    assert_eq!(len(&s["secretAccess"]), 100);
    // The ServiceAccount's exec is kept beyond the cap: it is a finding.
    assert_eq!(s["execsTotal"], 151);
    let execs = s["execs"].as_array().unwrap();
    assert_eq!(execs.len(), 101);
    assert!(
        execs
            .iter()
            .any(|e| e["user"] == "system:serviceaccount:ns-1:deployer")
    );
    // The Markdown report says how many more there are and where they are.
    let md = run(&["heavy.log", "-o", "markdown", "--no-hash"], dir.path());
    let md = String::from_utf8(md.stdout).unwrap();
    assert!(md.contains("## RBAC changes (40000)"), "{md}");
    assert!(
        md.contains("… and 39900 more: every aggregate is in the detail document"),
        "{md}"
    );
}

#[test]
fn a_packet_holds_the_audit_log_detail_listed_in_sha256sums() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    heavy_log(&d.join("audit.log"), 300, 300, 2);
    let c = common::root().join("examples/clusters/task-api");
    common::ok(d, &["keygen", "--out", "keys", "--name", "k"]);
    common::ok(
        d,
        &[
            "packet",
            "--from-dir",
            c.to_str().unwrap(),
            "--key",
            "keys/k.key.pem",
            "--out",
            "p",
            "--audit-log",
            "audit.log",
            "--period-start",
            "2026-01-01",
            "--period-end",
            "2026-03-31",
            "--now",
            "2026-04-02T00:00:00Z",
        ],
    );
    let sums = std::fs::read_to_string(d.join("p/SHA256SUMS")).unwrap();
    assert!(
        sums.contains("SHA256 (evidence/audit-log-detail.json) = "),
        "{sums}"
    );
    let detail: Value =
        serde_json::from_slice(&std::fs::read(d.join("p/evidence/audit-log-detail.json")).unwrap())
            .unwrap();
    let snap: Value =
        serde_json::from_slice(&std::fs::read(d.join("p/evidence/snapshot.json")).unwrap())
            .unwrap();
    let s = &snap["auditLog"];
    assert_eq!(s["rbacChangesTotal"], 300);
    assert_eq!(s["rbacChanges"].as_array().unwrap().len(), 100);
    assert_eq!(
        s["accessTotal"].as_u64().unwrap() as usize,
        detail["access"].as_array().unwrap().len()
    );
    let total: u64 = detail["access"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["count"].as_u64().unwrap())
        .sum();
    assert_eq!(total, 300 + 300 + 3);
}
