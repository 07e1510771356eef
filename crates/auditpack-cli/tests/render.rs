//! `auditpack render`: the packet folder, its content, its determinism, and the page as a
//! real browser shows it.

mod common;
use common::shared;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use auditpack::Findings;
use auditpack::Snapshot;
use auditpack::internals::sample::{sample_findings, sample_snapshot};

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
    // The EncryptionConfiguration and audit Policy found in the export folder are evidence.
    assert!(files.contains(&"evidence/encryption-configuration.yaml".to_string()));
    assert!(files.contains(&"evidence/audit-policy.yaml".to_string()));
    // A kind that was not collected gets no evidence file (the example collects every
    // kind it holds, so one is marked here).
    assert!(files.contains(&"evidence/secrets.yaml".to_string()));
    let mut snap = sample_snapshot();
    snap.mark(
        "secrets",
        auditpack::CollectionStatus::NotCollected,
        "not in the imported files",
    );
    let tmp2 = tempfile::tempdir().unwrap();
    let (_, files) =
        auditpack::render_files(&snap, &sample_findings(), &opts(tmp2.path())).unwrap();
    assert!(!files.contains_key("evidence/secrets.yaml"));
    assert!(files.contains_key("evidence/namespaces.yaml"));
}

fn md_section<'a>(md: &'a str, heading_start: &str) -> &'a str {
    let start = md
        .find(heading_start)
        .unwrap_or_else(|| panic!("no section {heading_start:?}"));
    let rest = &md[start + heading_start.len()..];
    let end = rest
        .find("\n### ")
        .or_else(|| rest.find("\n## "))
        .unwrap_or(rest.len());
    &rest[..end]
}

fn opts(dir: &Path) -> auditpack::RenderOptions {
    auditpack::RenderOptions::new(
        dir.join("out"),
        chrono::DateTime::parse_from_rfc3339(NOW)
            .unwrap()
            .with_timezone(&chrono::Utc),
    )
}

fn render_md(snap: &Snapshot, findings: &Findings) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let (_, files) = auditpack::render_files(snap, findings, &opts(tmp.path())).unwrap();
    String::from_utf8(files["packet.md"].clone()).unwrap()
}

// Same inputs and `now` must give byte-identical folders, so that a recipient can
// re-render from evidence/snapshot.json and compare hashes.
#[test]
fn rendering_twice_gives_byte_identical_folders() {
    let tmp = tempfile::tempdir().unwrap();
    let a = render_cli(tmp.path(), &sample_snapshot(), &sample_findings(), "a", &[]);
    let b = render_cli(tmp.path(), &sample_snapshot(), &sample_findings(), "b", &[]);
    let (ta, tb) = (read_tree(&a), read_tree(&b));
    assert_eq!(ta.keys().collect::<Vec<_>>(), tb.keys().collect::<Vec<_>>());
    for (k, v) in &ta {
        assert!(v == &tb[k], "{k} differs between two renders");
    }
    assert!(ta.len() > 20);
    // No temporary sibling folder is left behind.
    let names: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.contains("partial")), "{names:?}");
}

#[test]
fn golden_task_api_packet() {
    let tmp = tempfile::tempdir().unwrap();
    let out = render_cli(tmp.path(), &sample_snapshot(), &sample_findings(), "p", &[]);
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/task-api");
    let update = std::env::var("UPDATE_GOLDEN").is_ok_and(|v| v == "1");
    for f in ["packet.md", "control-matrix.csv", "control-matrix.json"] {
        let got = std::fs::read(out.join(f)).unwrap();
        let want_path = golden.join(f);
        if update {
            std::fs::create_dir_all(&golden).unwrap();
            std::fs::write(&want_path, &got).unwrap();
            continue;
        }
        let want = std::fs::read(&want_path).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (run with UPDATE_GOLDEN=1 to create it)",
                want_path.display()
            )
        });
        if got != want {
            let (g, w) = (
                String::from_utf8_lossy(&got),
                String::from_utf8_lossy(&want),
            );
            let line = g
                .lines()
                .zip(w.lines())
                .position(|(a, b)| a != b)
                .unwrap_or(g.lines().count().min(w.lines().count()));
            panic!(
                "{f} differs from the golden file at line {}:\n  got:  {:?}\n  want: {:?}\n(UPDATE_GOLDEN=1 rewrites the golden files after a deliberate change)",
                line + 1,
                g.lines().nth(line),
                w.lines().nth(line)
            );
        }
    }
}

#[test]
fn packet_json_describes_the_packet() {
    let tmp = tempfile::tempdir().unwrap();
    let out = render_cli(tmp.path(), &sample_snapshot(), &sample_findings(), "p", &[]);
    let pj: serde_json::Value = serde_json::from_str(&text(&out, "packet.json")).unwrap();
    assert_eq!(pj["formatVersion"], 2);
    let id = pj["id"].as_str().unwrap();
    // The sample names its cluster `task-api`, as `auditpack demo` does.
    assert!(id.starts_with("ap-task-api-2026Q4-"), "{id}");
    let tail = &id["ap-task-api-2026Q4-".len()..];
    assert!(
        tail.len() == 8 && tail.chars().all(|c| c.is_ascii_hexdigit()),
        "{id}"
    );
    assert_eq!(pj["period"]["start"], "2026-10-01T00:00:00Z");
    assert_eq!(pj["period"]["end"], "2026-12-31T23:59:59Z");
    assert_eq!(pj["cluster"], "task-api");
    assert_eq!(pj["collectedAt"], "2026-11-15T12:00:00Z");
    assert_eq!(pj["renderedAt"], NOW);
    assert_eq!(pj["frameworks"], serde_json::json!(["soc2", "hipaa"]));
    assert!(pj["previous"].is_null());
    assert!(pj.get("signer").is_none() && pj.get("sealedAt").is_none());
    // A different snapshot gives a different id for the same cluster and period.
    let mut other = sample_snapshot();
    other.mark("pods", auditpack::CollectionStatus::Forbidden, "403");
    let (p2, _) = auditpack::render_files(&other, &sample_findings(), &opts(tmp.path())).unwrap();
    assert_ne!(p2.id, id);
    assert!(p2.id.starts_with("ap-task-api-2026Q4-"));
    // Without a name (a bare kubectl export), the id says `cluster`.
    let mut unnamed = sample_snapshot();
    unnamed.source.cluster = None;
    let (p3, _) = auditpack::render_files(&unnamed, &sample_findings(), &opts(tmp.path())).unwrap();
    assert!(p3.id.starts_with("ap-cluster-2026Q4-"), "{}", p3.id);
}

#[test]
fn period_flags_and_source_date_epoch() {
    let tmp = tempfile::tempdir().unwrap();
    let (s, f) = write_inputs(tmp.path(), &sample_snapshot(), &sample_findings());
    let out = tmp.path().join("p");
    let o = Command::new(env!("CARGO_BIN_EXE_auditpack"))
        .args([
            "render",
            s.to_str().unwrap(),
            "--findings",
            f.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .args(["--period-start", "2026-10-01", "--period-end", "2026-11-30"])
        .env("SOURCE_DATE_EPOCH", "1764590400")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let pj: serde_json::Value = serde_json::from_str(&text(&out, "packet.json")).unwrap();
    assert_eq!(pj["period"]["end"], "2026-11-30T23:59:59Z");
    assert_eq!(pj["renderedAt"], "2025-12-01T12:00:00Z");
    assert!(
        pj["id"].as_str().unwrap().contains("-20261001-20261130-"),
        "{}",
        pj["id"]
    );
    // A reversed period is refused as a usage error.
    let o = auditpack(&[
        "render",
        s.to_str().unwrap(),
        "--findings",
        f.to_str().unwrap(),
        "--out",
        tmp.path().join("q").to_str().unwrap(),
        "--period-start",
        "2026-12-01",
        "--period-end",
        "2026-10-01",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("after its end"));
}

#[test]
fn refuses_a_non_empty_output_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let (s, f) = write_inputs(tmp.path(), &sample_snapshot(), &sample_findings());
    let out = tmp.path().join("taken");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("keep.txt"), "mine").unwrap();
    let o = auditpack(&[
        "render",
        s.to_str().unwrap(),
        "--findings",
        f.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--now",
        NOW,
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("not empty"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(out.join("keep.txt")).unwrap(),
        "mine"
    );
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 1);
    // An existing empty folder is fine.
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let o = auditpack(&[
        "render",
        s.to_str().unwrap(),
        "--findings",
        f.to_str().unwrap(),
        "--out",
        empty.to_str().unwrap(),
        "--now",
        NOW,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(empty.join("index.html").is_file());
}

#[test]
fn findings_that_are_not_findings_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let (s, _) = write_inputs(tmp.path(), &sample_snapshot(), &sample_findings());
    let out = tmp.path().join("p");
    // The snapshot given as findings.
    let o = auditpack(&[
        "render",
        s.to_str().unwrap(),
        "--findings",
        s.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--now",
        NOW,
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("auditpack evaluate"));
    assert!(!out.exists());
    // Findings of another snapshot are refused: a packet never pairs them.
    let mut other = sample_findings();
    other.snapshot_collected_at = "2026-11-19T09:30:00Z".into();
    let (s, f) = write_inputs(tmp.path(), &sample_snapshot(), &other);
    let o = auditpack(&[
        "render",
        s.to_str().unwrap(),
        "--findings",
        f.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--now",
        NOW,
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("2026-11-19T09:30:00Z") && err.contains("2026-11-15T12:00:00Z"),
        "{err}"
    );
    assert!(!out.exists());
    // A --previous that does not exist is a usage error.
    let (s, f) = write_inputs(tmp.path(), &sample_snapshot(), &sample_findings());
    let o = auditpack(&[
        "render",
        s.to_str().unwrap(),
        "--findings",
        f.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--previous",
        tmp.path().join("nope").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("nope"));
    assert!(!out.exists());
}

#[test]
fn evidence_folder_is_kubectl_shaped_and_exact() {
    let tmp = tempfile::tempdir().unwrap();
    let snap = sample_snapshot();
    let findings = sample_findings();
    let out = render_cli(tmp.path(), &snap, &findings, "p", &[]);
    assert_eq!(text(&out, "evidence/snapshot.json"), snap.to_json());
    let f: Findings = serde_json::from_str(&text(&out, "findings.json")).unwrap();
    assert_eq!(f, findings);
    let list: serde_json::Value =
        serde_saphyr::from_str(&text(&out, "evidence/namespaces.yaml")).unwrap();
    assert_eq!(list["apiVersion"], "v1");
    assert_eq!(list["kind"], "List");
    assert_eq!(
        list["items"],
        serde_json::Value::Array(snap.items("namespaces").unwrap().to_vec())
    );
    // One file per kind that is evidence; none for kinds never collected.
    let tree = read_tree(&out);
    let evidence: Vec<&String> = tree
        .keys()
        .filter(|k| k.starts_with("evidence/") && k.ends_with(".yaml"))
        .collect();
    // ... plus the EncryptionConfiguration and audit Policy the export folder holds.
    let expected = snap
        .resources
        .values()
        .filter(|c| c.status.is_evidence())
        .count()
        + usize::from(snap.encryption_config.is_some())
        + usize::from(snap.audit_policy.is_some());
    assert!(tree.contains_key("evidence/encryption-configuration.yaml"));
    assert_eq!(evidence.len(), expected, "{evidence:?}");
    assert!(!tree.contains_key("evidence/secrets.yaml") || snap.items("secrets").is_ok());
}

fn hostile_inputs() -> (Snapshot, Findings) {
    use auditpack::{EvidenceRef, Observation, Status};
    let mut snap = sample_snapshot();
    for name in ["<script>alert(1)</script>", "a|b`c`d"] {
        snap.add_object(serde_json::json!({"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name, "annotations": {"note": "<img src=x onerror=alert(2)> | `tick` [link](https://evil.example/)"}}}));
    }
    snap.normalize();
    let mut findings = sample_findings();
    let c = findings
        .checks
        .iter_mut()
        .find(|c| c.id == "network.default-deny")
        .unwrap();
    for name in ["<script>alert(1)</script>", "a|b`c`d"] {
        c.observations.push(Observation {
            status: Status::Fail,
            // As a check writes a value into a message (`controls::util::value`): its
            // backticks and backslashes escaped, so they show as text, never as code.
            message: format!(
                "Namespace {} has no default-deny NetworkPolicy.",
                name.replace('\\', "\\\\").replace('`', "\\`")
            ),
            evidence: EvidenceRef {
                kind: "namespaces".into(),
                namespace: None,
                name: name.into(),
                pointer: String::new(),
            },
        });
    }
    // First: a check's section shows its first three commands (the rest are in the CSV).
    c.commands
        .insert(0, "kubectl get ns 'a|b`c`d' -o yaml".into());
    // A title that tries to set a heading id and add markup.
    c.title = "Default deny {#control-matrix} <b>bold</b> *x*".into();
    (snap, findings)
}

// A namespace named like markup must show as text: no script, no raw tag, no broken table.
#[test]
fn hostile_object_names_cannot_inject_html_or_markdown() {
    let tmp = tempfile::tempdir().unwrap();
    let (snap, findings) = hostile_inputs();
    let out = render_cli(tmp.path(), &snap, &findings, "p", &[]);
    let html = text(&out, "index.html");
    assert!(!html.contains("<script"), "a script tag reached the page");
    assert!(!html.contains("<img"), "an img tag reached the page");
    assert!(!html.contains("<b>bold"), "a b tag reached the page");
    assert!(
        !html.contains("href=\"https://evil"),
        "a link reached the page"
    );
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    // The hostile title did not add a second element with id control-matrix.
    assert_eq!(html.matches("id=\"control-matrix\"").count(), 1);
    assert!(html.contains("Default deny {#control-matrix} &lt;b&gt;bold&lt;/b&gt; *x*"));
    // Each hostile message stays inside one table cell.
    assert!(
        html.contains("<td>Namespace &lt;script&gt;alert(1)&lt;/script&gt; has no default-deny NetworkPolicy.</td>"),
        "script message not in one cell"
    );
    assert!(
        html.contains("<td>Namespace a|b`c`d has no default-deny NetworkPolicy.</td>"),
        "pipe/backtick message not in one cell"
    );
    // The command with a pipe and backticks shows literally in a code span.
    assert!(
        html.contains("<code>kubectl get ns 'a|b`c`d' -o yaml</code>"),
        "command not literal"
    );
    // The Markdown escapes them too: every row of the findings table has three cells.
    let md = text(&out, "packet.md");
    let section = md_section(&md, "### Default deny");
    let mut rows = 0;
    for line in section
        .lines()
        .filter(|l| l.starts_with("| ") && l.contains("has no default-deny"))
    {
        let cells = line.replace("\\|", "").matches('|').count();
        assert_eq!(cells, 4, "row split into extra cells: {line}");
        rows += 1;
    }
    assert_eq!(rows, 3);
    // The evidence YAML keeps the hostile annotation as data inside a fenced block.
    // (Excerpts in the page are capped; the evidence file keeps the annotation as data.)
    let evidence: String = std::fs::read_dir(out.join("evidence"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap_or_default())
        .collect();
    assert!(
        evidence.contains("<img src=x onerror=alert(2)>"),
        "annotation lost"
    );
}

// RFC 4180: a value with commas, quotes or line breaks is quoted, quotes doubled.
#[test]
fn control_matrix_csv_quotes_commas_and_quotes() {
    let mut findings = sample_findings();
    let c = findings
        .checks
        .iter_mut()
        .find(|c| c.id == "rbac.cluster-admin")
        .unwrap();
    c.title = "No cluster-admin, \"strict\"".into();
    let tmp = tempfile::tempdir().unwrap();
    let out = render_cli(tmp.path(), &sample_snapshot(), &findings, "p", &[]);
    let raw = text(&out, "control-matrix.csv");
    assert!(
        raw.contains(",\"No cluster-admin, \"\"strict\"\"\","),
        "{raw}"
    );
    assert!(raw.contains("\r\n"));
    let mut rd = csv::Reader::from_reader(raw.as_bytes());
    let headers = rd.headers().unwrap().clone();
    assert_eq!(
        headers.iter().collect::<Vec<_>>(),
        [
            "check",
            "title",
            "kubernetes_resource",
            "SOC 2 Trust Services Criteria (Kubernetes technical controls)",
            "HIPAA Security Rule technical safeguards (Kubernetes technical controls)",
            "status",
            "evidence_location",
            "command"
        ]
    );
    let rows: Vec<csv::StringRecord> = rd.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), findings.checks.len());
    let lp = rows.iter().find(|r| &r[0] == "rbac.cluster-admin").unwrap();
    assert_eq!(&lp[1], "No cluster-admin, \"strict\"");
    assert_eq!(
        &lp[2],
        "Roles, ClusterRoles, RoleBindings, ClusterRoleBindings"
    );
    assert_eq!(&lp[3], "CC6.1; CC6.3");
    assert_eq!(&lp[4], "164.312(a)(1)");
    assert_eq!(&lp[5], "fail");
    assert_eq!(
        &lp[7],
        "kubectl get rolebindings,clusterrolebindings -A -o yaml\nkubectl get roles,clusterroles -A -o yaml"
    );
    let json: serde_json::Value = serde_json::from_str(&text(&out, "control-matrix.json")).unwrap();
    let row = json["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["check"] == "rbac.cluster-admin")
        .unwrap();
    assert_eq!(row["title"], "No cluster-admin, \"strict\"");
    assert_eq!(
        row["controls"]["hipaa"],
        serde_json::json!(["164.312(a)(1)"])
    );
}

fn oscal_validator() -> jsonschema::Validator {
    let schema_path = shared().join(
        "realdata/oscal-compass-compliance-trestle/release-schemas-oscal-1.1.3/oscal_assessment-results_schema.json",
    );
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&schema_path).unwrap()).unwrap();
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("OSCAL schema compiles")
}

fn oscal_errors(v: &jsonschema::Validator, doc: &serde_json::Value) -> Vec<String> {
    v.iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect()
}

#[test]
fn oscal_assessment_results_are_schema_valid_and_deterministic() {
    let v = oscal_validator();
    // Sanity check of the validator: NIST's own example validates...
    let example: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(shared().join(
            "realdata/usnistgov-oscal-content/examples/ar/json/ifa_assessment-results-example.json",
        ))
        .unwrap(),
    )
    .unwrap();
    assert_eq!(oscal_errors(&v, &example), Vec::<String>::new());
    // ...and a control id that is not a token (`\p{L}` pattern) is refused.
    let mut bad = example.clone();
    bad["assessment-results"]["results"][0]["reviewed-controls"]["control-selections"][0] =
        serde_json::json!({"include-controls": [{"control-id": "164.312(a)(1)"}]});
    assert!(
        !oscal_errors(&v, &bad).is_empty(),
        "the validator accepted a non-token control id"
    );

    let tmp = tempfile::tempdir().unwrap();
    let out = render_cli(tmp.path(), &sample_snapshot(), &sample_findings(), "p", &[]);
    let ar: serde_json::Value =
        serde_json::from_str(&text(&out, "oscal/assessment-results.json")).unwrap();
    assert_eq!(oscal_errors(&v, &ar), Vec::<String>::new());
    let result = &ar["assessment-results"]["results"][0];
    // One observation per check, one finding per control.
    assert_eq!(result["observations"].as_array().unwrap().len(), 41);
    let findings = result["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 19);
    // Only pass is satisfied: not-collected audit logging is not-satisfied.
    let cc72 = findings
        .iter()
        .find(|f| f["target"]["target-id"] == "soc2_cc7.2")
        .unwrap();
    assert_eq!(cc72["target"]["status"]["state"], "not-satisfied");
    let e1 = findings
        .iter()
        .find(|f| f["target"]["target-id"] == "hipaa_164.312-e-2-ii")
        .unwrap();
    assert_eq!(e1["target"]["status"]["state"], "satisfied");
    // UUIDs are stable across renders and unique within the document.
    let again = render_cli(tmp.path(), &sample_snapshot(), &sample_findings(), "q", &[]);
    assert_eq!(
        text(&out, "oscal/assessment-results.json"),
        text(&again, "oscal/assessment-results.json")
    );
    let all = text(&out, "oscal/assessment-results.json");
    let mut uuids: Vec<&str> = all
        .match_indices("\"uuid\": \"")
        .map(|(i, m)| &all[i + m.len()..i + m.len() + 36])
        .collect();
    let n = uuids.len();
    uuids.sort();
    uuids.dedup();
    assert_eq!(uuids.len(), n, "duplicate uuids");
}

// The hostile packet's OSCAL (names in remarks) is valid too.
#[test]
fn oscal_of_hostile_names_is_schema_valid() {
    let (snap, findings) = hostile_inputs();
    let tmp = tempfile::tempdir().unwrap();
    let (_, files) = auditpack::render_files(&snap, &findings, &opts(tmp.path())).unwrap();
    let ar: serde_json::Value =
        serde_json::from_slice(&files["oscal/assessment-results.json"]).unwrap();
    assert_eq!(oscal_errors(&oscal_validator(), &ar), Vec::<String>::new());
}

const AFFIRMATIVE: &[&str] = &[
    "in place.",
    "the evidence supports this check",
    "is restricted",
    "is segmented",
    "is prevented",
    "is encrypted",
    "are monitored",
];

#[test]
fn answers_name_the_real_resources() {
    let md = render_md(&sample_snapshot(), &sample_findings());
    let access = md_section(&md, "### Who can access production");
    // The NetworkPolicies that isolate pods are listed up to the answer's cap (3), so
    // production's task-api-network is counted under "… and 1 more", not named.
    assert!(
        access.contains("… and 1 more, under [the check](#check-network-pod-isolation)"),
        "{access}"
    );
    for name in [
        "task-api-sa",
        "task-api-role",
        "production",
        // The planted problems: a person with cluster-admin, and a binding left behind.
        "User jane@example.com",
        "ClusterRoleBinding/jane-admin",
        "RoleBinding/production/ci-deployer-read",
    ] {
        assert!(
            access.contains(name),
            "production-access answer lacks {name}:\n{access}"
        );
    }
    // Jane's binding is stated as a gap, never as in place.
    let jane = access
        .lines()
        .find(|l| l.contains("Gap (fail): User jane@example.com holds cluster-admin"))
        .unwrap_or_else(|| panic!("jane's cluster-admin is not a gap:\n{access}"));
    assert!(!AFFIRMATIVE.iter().any(|a| jane.contains(a)), "{jane}");
    // ... and her binding is left to a person to confirm, which the answer says.
    assert!(
        access.contains("- Needs a human attestation (manual): User jane@example.com is bound by ClusterRoleBinding/jane-admin -> ClusterRole cluster-admin"),
        "{access}"
    );
    assert!(
        access.contains(
            "- ServiceAccount production/task-api-sa: Secrets: none; pods/exec: none; workloads: get, list on pods (via RoleBinding/production/task-api-binding -> Role/task-api-role)"
        ),
        "{access}"
    );
    // No namespace is marked: every non-system namespace is answered for, not only one
    // literally named production.
    for ns in ["production", "frontend", "database", "legacy"] {
        assert!(
            access.contains(&format!("Namespace {ns} (no namespace is marked sensitive")),
            "{ns}: {access}"
        );
    }
    assert!(!access.contains("Namespace kube-system ("), "{access}");
    assert!(access.contains(
        "**No cluster-admin or wildcard access outside system identities**: a gap, listed below."
    ));
    // The first three namespaces' labels are affirmed, the rest counted and linked.
    assert!(
        access.contains("Namespace dapr-system enforces restricted"),
        "{access}"
    );
    assert!(
        access.contains("… and 2 more, under [the check](#check-pss-namespace-labels)"),
        "{access}"
    );
    let enc = md_section(&md, "### How is data encrypted");
    assert!(enc.contains("dapr-sentry"), "{enc}");
    let mtls = enc
        .lines()
        .find(|l| l.starts_with("- **Service-to-service mTLS**"))
        .unwrap();
    assert!(
        mtls.contains("**in place.**") && mtls.contains("Deployment dapr-system/dapr-sentry"),
        "the passing mTLS check is affirmed, with what shows it: {mtls}"
    );
    assert!(enc.contains("(`transit.service-mtls`): **pass**"));
    // The aescbc weakness the evaluator found is not hidden by the affirmation.
    let at_rest = enc
        .lines()
        .find(|l| l.starts_with("- **Secrets encrypted at rest**"))
        .unwrap();
    assert!(at_rest.contains("weaker than kms v2"), "{at_rest}");
}

// An answer whose checks all fail must state the gaps and affirm nothing.
#[test]
fn answer_to_failing_checks_states_gaps_and_affirms_nothing() {
    use auditpack::Status;
    let mut findings = sample_findings();
    let mut forced = 0;
    for c in findings
        .checks
        .iter_mut()
        .filter(|c| c.id.starts_with("network."))
    {
        c.status = Status::Fail;
        for o in &mut c.observations {
            o.status = Status::Fail;
        }
        forced += 1;
    }
    assert_eq!(
        forced, 3,
        "network.pod-isolation, network.allow-all, network.default-deny"
    );
    let md = render_md(&sample_snapshot(), &findings);
    let answer = md_section(&md, "### How is network traffic segmented?");
    for a in AFFIRMATIVE {
        assert!(!answer.contains(a), "failing answer says {a:?}:\n{answer}");
    }
    assert!(!answer.contains("What the evidence does show"), "{answer}");
    assert_eq!(answer.matches("**fail — gap.**").count(), 3, "{answer}");
    // Each check's gaps are listed up to the answer's cap, then counted and linked.
    assert!(
        answer.contains(
            "Gap (fail): Deployment frontend/web is not isolated by any network policy for ingress or egress"
        ),
        "{answer}"
    );
    assert!(
        answer.contains("… and 3 more gaps, listed under [Every pod is covered by a NetworkPolicy](#check-network-pod-isolation)."),
        "{answer}"
    );
    assert!(
        answer.contains("Gap (fail): namespace frontend has no default-deny network policy"),
        "{answer}"
    );
    // The same question with the real findings does affirm the passing check, and only
    // it: the test above can fail.
    let ok = render_md(&sample_snapshot(), &sample_findings());
    let ok = md_section(&ok, "### How is network traffic segmented?");
    let affirmed: Vec<&str> = ok.lines().filter(|l| l.contains("**in place.**")).collect();
    assert_eq!(affirmed.len(), 1, "{ok}");
    assert!(affirmed[0].starts_with("- **No NetworkPolicy admits all traffic**"));
    assert!(ok.contains("Gap (fail): namespace frontend has no default-deny network policy"));
}

#[test]
fn answer_with_uncollected_evidence_says_so() {
    let findings = sample_findings();
    let continuity = findings
        .checks
        .iter()
        .find(|c| c.id == "audit.log-continuity")
        .unwrap();
    assert_eq!(
        continuity.status,
        auditpack::Status::NotCollected,
        "the example has no audit log"
    );
    let md = render_md(&sample_snapshot(), &findings);
    for q in [
        "### How are changes to the cluster monitored?",
        "### How is access removed",
    ] {
        let answer = md_section(&md, q);
        let lines: Vec<&str> = answer
            .lines()
            .filter(|l| l.contains("Audit logs present and continuous"))
            .collect();
        assert_eq!(
            lines.len(),
            2,
            "answer line and status line in {q}:\n{answer}"
        );
        for l in lines {
            assert!(l.contains("not collected — no evidence"), "{l}");
            assert!(!AFFIRMATIVE.iter().any(|a| l.contains(a)), "{l}");
            assert!(!l.contains("**pass**"), "{l}");
        }
        // Only passing checks are affirmed anywhere in the answer.
        for l in answer.lines().filter(|l| l.contains("**in place.**")) {
            let title = l.trim_start_matches("- **").split("**").next().unwrap();
            let c = findings.checks.iter().find(|c| c.title == title).unwrap();
            assert_eq!(c.status, auditpack::Status::Pass, "{l}");
        }
    }
    // A question whose checks are absent from the findings says so too.
    let mut findings = sample_findings();
    findings.checks.retain(|c| !c.id.starts_with("pss."));
    let md = render_md(&sample_snapshot(), &findings);
    let answer = md_section(&md, "### How are containers prevented");
    assert!(answer.contains("not collected — no evidence"), "{answer}");
    assert!(!answer.contains("**in place.**"), "{answer}");
}

// The checklist never says "collected" for evidence that was not.
#[test]
fn evidence_checklist_follows_collection_statuses() {
    let mut snap = sample_snapshot();
    snap.mark(
        "namespaces",
        auditpack::CollectionStatus::Forbidden,
        "namespaces is forbidden: User cannot list resource",
    );
    let md = render_md(&snap, &sample_findings());
    let section = md_section(&md, "## Appendix C. Evidence collection checklist");
    let row = |name: &str| {
        section
            .lines()
            .find(|l| l.starts_with(&format!("| {name} |")))
            .unwrap_or_else(|| panic!("no row {name}"))
            .to_string()
    };
    assert!(
        row("Pod Security Standards labels").contains("| **no** |"),
        "{}",
        row("Pod Security Standards labels")
    );
    assert!(row("Pod Security Standards labels").contains("forbidden"));
    assert!(row("RBAC bindings").contains("| yes |"));
    assert!(row("Audit logs").contains("| **no** |"));
    assert!(row("Secret encryption at rest").contains("| yes |"));
    assert!(row("Secret encryption at rest").contains("evidence/encryption-config.yaml"));
    assert!(row("Audit policy").contains("| yes |"));
    assert!(row("Service mesh mTLS configuration").contains("| yes |"));
    assert!(section.contains("| `namespaces` | forbidden |"));
    // Without the evidence files, their rows turn to no.
    let mut snap = sample_snapshot();
    snap.encryption_config = None;
    snap.audit_policy = None;
    let md = render_md(&snap, &sample_findings());
    let section = md_section(&md, "## Appendix C. Evidence collection checklist");
    for name in ["Secret encryption at rest", "Audit policy"] {
        assert!(
            section
                .lines()
                .any(|l| l.starts_with(&format!("| {name} |")) && l.contains("| **no** |")),
            "{name}: {section}"
        );
    }
}

#[test]
fn access_review_table_lists_subjects_and_flags() {
    let md = render_md(&sample_snapshot(), &sample_findings());
    let section = md_section(&md, "## Appendix B. Effective-access review");
    assert!(section.contains("| User jane@example.com | cluster-wide | \\* \\* cluster-wide via ClusterRoleBinding/jane-admin -> ClusterRole/cluster-admin | **admission-webhooks**, **approve-csrs**, **bind**, **cluster-admin**, **create-persistentvolumes**, **csr-approval**, **csr-signers**, **escalate**, **impersonate**, **nodes-proxy**, **pods-exec**, **read-secrets**, **serviceaccount-tokens**, **services-status**, **wildcard** |"), "{section}");
    assert!(section.contains("| ServiceAccount production/task-api-sa | production | get, list pods, configmaps in production via RoleBinding/production/task-api-binding -> Role/task-api-role | — |"), "{section}");
    // The orphaned binding still resolves to access: the review shows it.
    assert!(section.contains("| ServiceAccount production/ci-deployer | production | get, list pods, configmaps in production via RoleBinding/production/ci-deployer-read -> Role/task-api-role | — |"), "{section}");
}

#[test]
fn previous_packet_links_and_shows_changes() {
    use auditpack::{Grant, Status, Subject, SubjectAccess};
    let tmp = tempfile::tempdir().unwrap();
    let a = render_cli(tmp.path(), &sample_snapshot(), &sample_findings(), "a", &[]);
    // The previous packet is sealed for real: render verifies it before linking to it.
    let keys = tmp.path().join("keys");
    let o = auditpack(&[
        "keygen",
        "--out",
        keys.to_str().unwrap(),
        "--name",
        "signer",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let signing = keys.join("signer.key.pem");
    let o = auditpack(&[
        "seal",
        a.to_str().unwrap(),
        "--key",
        signing.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let trusted = keys.join("signer.pub.pem");
    let a_id = serde_json::from_str::<serde_json::Value>(&text(&a, "packet.json")).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();

    let mut snap = sample_snapshot();
    snap.collected_at = "2027-01-15T09:00:00Z".parse().unwrap();
    snap.add_object(
        serde_json::json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
        "metadata": {"name": "alice-edit", "namespace": "production"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"},
        "subjects": [{"kind": "User", "name": "alice@example.com"}]}),
    );
    snap.normalize();
    let mut findings = sample_findings();
    findings.snapshot_collected_at = "2027-01-15T09:00:00Z".into();
    findings
        .checks
        .iter_mut()
        .find(|c| c.id == "pss.baseline")
        .unwrap()
        .status = Status::Pass;
    findings
        .access_review
        .retain(|s| s.subject.name != "ci-deployer");
    findings.access_review.push(SubjectAccess {
        subject: Subject {
            kind: "User".into(),
            name: "alice@example.com".into(),
            namespace: None,
        },
        grants: vec![Grant {
            namespace: Some("production".into()),
            verbs: vec!["update".into()],
            api_groups: vec!["apps".into()],
            resources: vec!["deployments".into()],
            resource_names: vec![],
            non_resource_urls: vec![],
            via: "RoleBinding production/alice-edit → ClusterRole edit".into(),
        }],
        flags: vec![],
    });
    let b = render_cli(
        tmp.path(),
        &snap,
        &findings,
        "b",
        &[
            "--previous",
            a.to_str().unwrap(),
            "--trusted-key",
            trusted.to_str().unwrap(),
        ],
    );
    let pj: serde_json::Value = serde_json::from_str(&text(&b, "packet.json")).unwrap();
    assert_eq!(pj["previous"]["id"], a_id.as_str());
    assert_eq!(
        pj["previous"]["manifestSha256"],
        sha256_hex(&std::fs::read(a.join("SHA256SUMS")).unwrap()).as_str()
    );
    assert_eq!(pj["previous"]["verification"]["verified"], true);
    assert_eq!(pj["previous"]["verification"]["trust"], "trusted-keys");
    assert!(pj["id"].as_str().unwrap().contains("-2027Q1-"));
    let md = text(&b, "packet.md");
    let ch = md_section(&md, "## Appendix D. Changes since the previous packet");
    assert!(ch.contains("| User alice@example.com | update deployments in production via RoleBinding production/alice-edit → ClusterRole edit |"), "{ch}");
    assert!(
        ch.contains("| ServiceAccount production/ci-deployer |"),
        "lost access not shown: {ch}"
    );
    assert!(
        ch.contains("| check | pss.baseline | Workloads meet the baseline Pod Security Standard | fail | pass |"),
        "{ch}"
    );
    assert!(ch.contains(&a_id));

    // With only the previous snapshot file, access is compared on the effective-access
    // review computed from it, the same as with its findings; statuses are not compared.
    let c = render_cli(
        tmp.path(),
        &snap,
        &findings,
        "c",
        &[
            "--previous",
            a.join("evidence/snapshot.json").to_str().unwrap(),
        ],
    );
    let md = text(&c, "packet.md");
    let ch = md_section(&md, "## Appendix D. Changes since the previous packet");
    assert!(ch.contains("| User alice@example.com | update deployments in production via RoleBinding production/alice-edit → ClusterRole edit |"), "{ch}");
    assert!(ch.contains("statuses are not compared"), "{ch}");
    let pj: serde_json::Value = serde_json::from_str(&text(&c, "packet.json")).unwrap();
    assert!(pj["previous"].is_null());
    // Without --previous there is no changes section.
    assert!(!text(&a, "packet.md").contains("Changes since the previous packet"));
}

fn sha256_hex(b: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(b))
}

#[test]
fn templates_folder_overrides_per_file() {
    let tmp = tempfile::tempdir().unwrap();
    let tdir = tmp.path().join("brand");
    std::fs::create_dir(&tdir).unwrap();
    std::fs::write(tdir.join("style.css"), "body { color: #123456; }\n").unwrap();
    std::fs::write(
        tdir.join("questions.yaml"),
        "questions:\n  - id: mtls-only\n    question: Is service traffic mutually authenticated?\n    checks: [\"transit.service-mtls\"]\n    answer: |\n      {% for c in checks %}{% if c.status == \"pass\" %}Yes for {{ c.objects | join(sep=\", \") }}.{% endif %}{% endfor %}\n",
    )
    .unwrap();
    let out = render_cli(
        tmp.path(),
        &sample_snapshot(),
        &sample_findings(),
        "p",
        &["--templates", tdir.to_str().unwrap()],
    );
    let html = text(&out, "index.html");
    assert!(html.contains("body { color: #123456; }"));
    assert!(
        !html.contains("nav.toc {"),
        "the built-in stylesheet was not replaced"
    );
    let md = text(&out, "packet.md");
    assert!(md.contains("### Is service traffic mutually authenticated?"));
    assert!(md.contains(
        "Yes for Configuration dapr-system/daprsystem, Deployment dapr-system/dapr-sentry."
    ));
    assert!(!md.contains("### Who can access production"));
    // packet.md was not overridden: the built-in one is used.
    assert!(md.contains("## Control matrix <a id=\"control-matrix\"></a>"));
    // A broken template is a usage error naming the template.
    std::fs::write(tdir.join("packet.md"), "{% for x in %}\n").unwrap();
    let (s, f) = write_inputs(tmp.path(), &sample_snapshot(), &sample_findings());
    let o = auditpack(&[
        "render",
        s.to_str().unwrap(),
        "--findings",
        f.to_str().unwrap(),
        "--out",
        tmp.path().join("q").to_str().unwrap(),
        "--templates",
        tdir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("packet.md"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// A section's fragment is a template of its own: replacing it changes that section only.
#[test]
fn one_section_fragment_can_be_replaced() {
    let tmp = tempfile::tempdir().unwrap();
    let tdir = tmp.path().join("brand");
    std::fs::create_dir(&tdir).unwrap();
    std::fs::write(
        tdir.join("section-summary.md"),
        "## Our summary {{ \"summary\" | anchor }}\n\n{{ summary.check_total }} checks.\n\n",
    )
    .unwrap();
    let out = render_cli(
        tmp.path(),
        &sample_snapshot(),
        &sample_findings(),
        "p",
        &["--templates", tdir.to_str().unwrap()],
    );
    let md = text(&out, "packet.md");
    assert!(
        md.contains("## Our summary <a id=\"summary\"></a>\n\n"),
        "{md}"
    );
    assert!(!md.contains("| Status | Checks | Controls |"));
    // The sections around it are the built-in ones, in order.
    let (security, summary, matrix) = (
        md.find("## Security and compliance").unwrap(),
        md.find("## Our summary").unwrap(),
        md.find("## Control matrix").unwrap(),
    );
    assert!(security < summary && summary < matrix);
}

#[test]
fn html_is_self_contained() {
    let tmp = tempfile::tempdir().unwrap();
    let out = render_cli(tmp.path(), &sample_snapshot(), &sample_findings(), "p", &[]);
    let html = text(&out, "index.html");
    assert_no_external_references(&html);
    for id in [
        "control-matrix",
        "control-soc2-cc6-1",
        "control-hipaa-164-312-a-2-iv",
        "check-rbac-cluster-admin",
        "check-audit-log-continuity",
        "question-production-access",
        "verify",
        "scope",
        "evidence-checklist",
        "access-review",
    ] {
        assert_eq!(
            html.matches(&format!("id=\"{id}\"")).count(),
            1,
            "anchor {id}"
        );
    }
    assert!(html.contains("@media print"));
    assert!(html.contains("thead { display: table-header-group; }"));
    assert!(html.contains("sha256sum --strict --quiet -c SHA256SUMS"));
    assert!(html.contains("openssl pkeyutl -verify -pubin -inkey ~/auditpack-keys/signer.pub.pem -rawin -in SHA256SUMS -sigfile SHA256SUMS.sig"));
    assert!(html.contains("ssh-keygen -Y verify -f ~/auditpack-keys/allowed_signers -I signer -n file -s SHA256SUMS.sshsig &lt; SHA256SUMS"));
    assert!(html.contains("out of band"));
}

fn assert_no_external_references(html: &str) {
    let lower = html.to_ascii_lowercase();
    assert!(!lower.contains("<script"), "script in page");
    for attr in ["src=\"", "href=\"", "src='", "href='", "url(", "@import"] {
        for (i, _) in lower.match_indices(attr) {
            let rest = &lower[i + attr.len()..];
            let rest = rest.trim_start_matches(['"', '\'', ' ']);
            assert!(
                !(rest.starts_with("http:")
                    || rest.starts_with("https:")
                    || rest.starts_with("//")),
                "external reference: {}",
                &html[i..(i + 80).min(html.len())]
            );
        }
    }
    assert!(!lower.contains("<link"), "link element in page");
}

const CHROMIUM: &str = "/usr/bin/chromium";

/// Runs headless Chromium on `url` with a fresh profile, every request sent through the
/// proxy on `proxy`, and every other host name unresolvable. Returns its stdout.
fn chromium(url: &str, proxy: u16, extra: &[String]) -> Vec<u8> {
    assert!(
        Path::new(CHROMIUM).exists(),
        "{CHROMIUM} is missing: install it (apt-get install chromium); this test does not skip"
    );
    let profile = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(CHROMIUM);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        "--disable-dev-shm-usage",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ])
    .arg(format!("--proxy-server=127.0.0.1:{proxy}"))
    .arg(format!("--user-data-dir={}", profile.path().display()))
    .args(extra)
    .arg(url);
    let out = cmd.output().expect("start chromium");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// A proxy that answers nothing: it records the host of each request (`CONNECT host:443`
/// or `GET http://host/...`) and closes the connection.
struct RecordingProxy {
    port: u16,
    hosts: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl RecordingProxy {
    fn start() -> Self {
        use std::io::Read;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let hosts = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let h = hosts.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut c) = conn else { continue };
                let _ = c.set_read_timeout(Some(std::time::Duration::from_secs(2)));
                let mut buf = [0u8; 1024];
                let n = c.read(&mut buf).unwrap_or(0);
                let line = String::from_utf8_lossy(&buf[..n])
                    .lines()
                    .next()
                    .unwrap_or("")
                    .to_string();
                let target = line.split(' ').nth(1).unwrap_or("");
                let host = target
                    .trim_start_matches("http://")
                    .trim_start_matches("https://")
                    .split(['/', ':'])
                    .next()
                    .unwrap_or("")
                    .to_string();
                h.lock().unwrap().push(if host.is_empty() {
                    format!("?{line}")
                } else {
                    host
                });
            }
        });
        RecordingProxy { port, hosts }
    }

    /// Hosts requested since the last call, minus Chromium's own service traffic (time,
    /// updates, accounts on Google's hosts), which no page causes.
    fn page_requests(&self) -> Vec<String> {
        std::thread::sleep(std::time::Duration::from_millis(500));
        let all = std::mem::take(&mut *self.hosts.lock().unwrap());
        all.into_iter()
            .filter(|h| {
                !(h.ends_with(".google.com")
                    || h.ends_with(".googleapis.com")
                    || h.ends_with(".gvt1.com"))
            })
            .collect()
    }
}

// The packet as an auditor sees it: a real browser renders it, prints it to PDF, finds the
// matrix, and makes no network request.
#[test]
fn chromium_renders_prints_and_stays_offline() {
    let tmp = tempfile::tempdir().unwrap();
    let out = render_cli(tmp.path(), &sample_snapshot(), &sample_findings(), "p", &[]);
    let index = out.join("index.html");
    assert_no_external_references(&text(&out, "index.html"));
    let url = format!("file://{}", index.display());
    let proxy = RecordingProxy::start();

    let png = tmp.path().join("shot.png");
    chromium(
        &url,
        proxy.port,
        &[
            format!("--screenshot={}", png.display()),
            "--window-size=1280,2000".into(),
        ],
    );
    let bytes = std::fs::read(&png).expect("screenshot written");
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert!(
        bytes.len() > 50_000,
        "screenshot suspiciously small: {} bytes",
        bytes.len()
    );
    if let Ok(dest) = std::env::var("AUDITPACK_SCREENSHOT") {
        std::fs::copy(&png, dest).unwrap();
    }

    let pdf = tmp.path().join("packet.pdf");
    chromium(
        &url,
        proxy.port,
        &[
            format!("--print-to-pdf={}", pdf.display()),
            "--no-pdf-header-footer".into(),
        ],
    );
    let bytes = std::fs::read(&pdf).expect("pdf written");
    assert!(bytes.starts_with(b"%PDF-"), "not a PDF");
    assert!(
        bytes.len() > 30_000,
        "pdf suspiciously small: {} bytes",
        bytes.len()
    );

    let dom = String::from_utf8(chromium(&url, proxy.port, &["--dump-dom".into()])).unwrap();
    assert!(
        dom.contains("id=\"control-matrix\""),
        "matrix heading missing from the DOM"
    );
    assert!(
        dom.contains("<th>Evidence</th>"),
        "matrix table missing from the DOM"
    );
    assert!(dom.contains("jane-admin"));
    assert_eq!(
        proxy.page_requests(),
        Vec::<String>::new(),
        "the page made network requests"
    );

    // Negative control: a page that does load something external is caught.
    let leaky = tmp.path().join("leaky.html");
    std::fs::write(
        &leaky,
        "<!DOCTYPE html><img src=\"http://packet-test.example/x.png\"><p>x</p>",
    )
    .unwrap();
    chromium(
        &format!("file://{}", leaky.display()),
        proxy.port,
        &["--dump-dom".into()],
    );
    assert!(
        proxy
            .page_requests()
            .contains(&"packet-test.example".to_string()),
        "the network detector saw nothing: the check above proves nothing"
    );
}

// A user-defined framework gets its own matrix column, section and anchors.
#[test]
fn another_selected_framework_gets_a_column() {
    use auditpack::{ControlResult, FrameworkInfo, Status};
    let mut findings = sample_findings();
    findings.frameworks.push(FrameworkInfo {
        id: "pci-dss".into(),
        name: "PCI DSS".into(),
        source: "catalogs/pci.yaml".into(),
        version: None,
    });
    findings.controls.push(ControlResult {
        framework: "pci-dss".into(),
        id: "7.2.1".into(),
        title: "Access control model".into(),
        requirement: "An access control model is defined and grants least privilege.".into(),
        status: Status::Fail,
        checks: vec!["rbac.cluster-admin".into()],
        level: None,
        rationale: Default::default(),
    });
    let tmp = tempfile::tempdir().unwrap();
    let out = render_cli(tmp.path(), &sample_snapshot(), &findings, "p", &[]);
    let csv_text = text(&out, "control-matrix.csv");
    assert!(csv_text.starts_with("check,title,kubernetes_resource,SOC 2 Trust Services Criteria (Kubernetes technical controls),HIPAA Security Rule technical safeguards (Kubernetes technical controls),PCI DSS,status,evidence_location,command\r\n"), "{csv_text}");
    let md = text(&out, "packet.md");
    assert!(md.contains("| Check | SOC 2 Trust Services Criteria (Kubernetes technical controls) | HIPAA Security Rule technical safeguards (Kubernetes technical controls) | PCI DSS | Status | Evidence |"));
    assert!(md.contains("[7.2.1](#control-pci-dss-7-2-1)"));
    let html = text(&out, "index.html");
    assert!(html.contains("id=\"framework-pci-dss\""));
    assert!(html.contains("id=\"control-pci-dss-7-2-1\""));
    let ar: serde_json::Value =
        serde_json::from_str(&text(&out, "oscal/assessment-results.json")).unwrap();
    assert_eq!(oscal_errors(&oscal_validator(), &ar), Vec::<String>::new());
    assert!(text(&out, "oscal/assessment-results.json").contains("\"pci-dss_7.2.1\""));
}

// A large cluster's check can have tens of thousands of observations: the text lists a
// bounded number, gaps first, says how many it left out, and counts them all.
#[test]
fn long_observation_lists_are_bounded_with_gaps_first_and_counted() {
    use auditpack::{EvidenceRef, Observation, Status};
    let mut findings = sample_findings();
    let c = findings
        .checks
        .iter_mut()
        .find(|c| c.id == "network.pod-isolation")
        .unwrap();
    let obs = |status: Status, i: usize| Observation {
        status,
        message: format!("pod bulk/pod-{i:05} observation"),
        evidence: EvidenceRef {
            kind: "pods".into(),
            namespace: Some("bulk".into()),
            name: format!("pod-{i:05}"),
            pointer: String::new(),
        },
    };
    // 3,000 passing observations, then 30 gaps at the very end.
    c.observations = (0..3000).map(|i| obs(Status::Pass, i)).collect();
    c.observations
        .extend((3000..3030).map(|i| obs(Status::Fail, i)));
    c.status = Status::Fail;
    let md = render_md(&sample_snapshot(), &findings);
    let section = md_section(&md, "### Every pod is covered by a NetworkPolicy");
    let listed = section
        .lines()
        .filter(|l| l.contains("observation |"))
        .count();
    let max = auditpack::internals::MAX_LISTED;
    assert_eq!(listed, max, "{listed} rows listed");
    // Gaps first: the listed rows are the first gaps, not the passes before them.
    assert!(
        section.contains("pod bulk/pod-03000 observation")
            && section.contains(&format!("pod bulk/pod-{:05} observation", 3000 + max - 1)),
        "the gaps must be listed first"
    );
    assert!(!section.contains("pod bulk/pod-00000 observation"));
    assert!(
        section.contains(&format!(
            "… and {} more observations of this check (gaps are listed first): all 3030 are in [`findings.json`](findings.json), the objects in [`evidence/pods.yaml`](evidence/pods.yaml)",
            3030 - max
        )),
        "{section}"
    );
    let answer = md_section(&md, "### How is network traffic segmented?");
    // The answer lists 3 gaps of the check and counts the other 27.
    assert!(answer.contains("… and 27 more gaps"), "{answer}");
}

// Without --findings, render evaluates the snapshot itself: the packet is the one the
// evaluator's own findings give, byte for byte.
#[test]
fn render_without_findings_evaluates_the_snapshot() {
    let tmp = tempfile::tempdir().unwrap();
    let with = render_cli(
        tmp.path(),
        &sample_snapshot(),
        &sample_findings(),
        "with",
        &[],
    );
    let (s, _) = write_inputs(tmp.path(), &sample_snapshot(), &sample_findings());
    let without = tmp.path().join("without");
    let o = auditpack(&[
        "render",
        s.to_str().unwrap(),
        "--out",
        without.to_str().unwrap(),
        "--now",
        NOW,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(read_tree(&with), read_tree(&without));
    // A framework subset changes the packet: the flags reach the evaluator.
    let hipaa = tmp.path().join("hipaa");
    let o = auditpack(&[
        "render",
        s.to_str().unwrap(),
        "--framework",
        "hipaa",
        "--out",
        hipaa.to_str().unwrap(),
        "--now",
        NOW,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let pj: serde_json::Value = serde_json::from_str(&text(&hipaa, "packet.json")).unwrap();
    assert_eq!(pj["frameworks"], serde_json::json!(["hipaa"]));
}

/// The real-data folder is found from the crate upwards, never from a fixed path.
#[test]
fn shared_data_is_found_from_the_crate_upwards() {
    let tmp = tempfile::tempdir().unwrap();
    let deep = tmp.path().join("a/b/crate");
    std::fs::create_dir_all(&deep).unwrap();
    assert_eq!(common::find_shared(&deep), None, "nothing to find yet");
    std::fs::create_dir_all(tmp.path().join("a/shared/realdata")).unwrap();
    assert_eq!(
        common::find_shared(&deep),
        Some(tmp.path().join("a/shared"))
    );
}

// "Who can access production" looked only at a namespace literally named production.
#[test]
fn access_answers_cover_the_namespaces_marked_sensitive() {
    let mut snap = sample_snapshot();
    // `payments` is labelled sensitive; sre gets pods/exec there through an aggregated role.
    snap.add_object(serde_json::json!({"apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": "payments", "labels": {"auditpack.io/sensitive": "true"}}}));
    snap.add_object(serde_json::json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
        "metadata": {"name": "view-exec-extra", "labels": {"rbac.authorization.k8s.io/aggregate-to-view": "true"}},
        "rules": [{"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]}]}));
    snap.add_object(
        serde_json::json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
        "metadata": {"name": "sre-view", "namespace": "payments"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
        "subjects": [{"kind": "User", "name": "sre@example.com"}]}),
    );
    let findings = auditpack::evaluate(&snap, &Default::default()).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let mut o = opts(tmp.path());
    o.sensitive_namespaces = vec!["database".into()];
    let (_, files) = auditpack::render_files(&snap, &findings, &o).unwrap();
    let md = String::from_utf8(files["packet.md"].clone()).unwrap();
    let access = md_section(&md, "### Who can access production");
    assert!(
        access.contains("Namespace database (named with --sensitive-namespace)"),
        "{access}"
    );
    assert!(
        access.contains("Namespace payments (labelled auditpack.io/sensitive=true)"),
        "{access}"
    );
    // Only the marked namespaces, not every one.
    assert!(!access.contains("Namespace frontend ("), "{access}");
    assert!(
        access.contains("- User sre@example.com: Secrets: none; pods/exec: create; workloads: get, list, watch on pods, deployments, statefulsets, daemonsets, jobs, cronjobs (via RoleBinding/payments/sre-view -> ClusterRole/view)"),
        "{access}"
    );
    assert!(
        access.contains(
            "- User jane@example.com: Secrets: get, list, watch, create, update, patch, delete"
        ),
        "{access}"
    );
    // A namespace named but absent is said to be absent.
    o.sensitive_namespaces = vec!["prod".into()];
    o.out_dir = tmp.path().join("out2");
    let (_, files) = auditpack::render_files(&snap, &findings, &o).unwrap();
    let md = String::from_utf8(files["packet.md"].clone()).unwrap();
    assert!(
        md.contains("Namespace prod (named with --sensitive-namespace): **not in the snapshot**"),
        "{md}"
    );
}
