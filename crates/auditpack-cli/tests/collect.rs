//! `auditpack collect`: the real binary against the stand-in API server (over HTTPS, through
//! the kube client), against kubectl exports, and the in-cluster deployment manifests.

mod common;
use common::shared;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use auditpack::KINDS;
use serde_json::Value;
use standin::{Config, Fault, Server};

const SENTINEL: &str = "SENTINEL-7f3a9c";
const SENTINEL_B64: &str = "U0VOVElORUwtN2YzYTlj";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

struct Run {
    code: i32,
    stderr: String,
    snapshot: Option<Value>,
    raw: Option<String>,
}

impl Run {
    fn snap(&self) -> &Value {
        self.snapshot
            .as_ref()
            .unwrap_or_else(|| panic!("no snapshot written; stderr:\n{}", self.stderr))
    }
    fn status(&self, key: &str) -> &str {
        self.snap()["resources"][key]["status"].as_str().unwrap()
    }
    fn reason(&self, key: &str) -> &str {
        self.snap()["resources"][key]["reason"]
            .as_str()
            .unwrap_or("")
    }
    fn items(&self, key: &str) -> &Vec<Value> {
        self.snap()["resources"][key]["items"].as_array().unwrap()
    }
    fn names(&self, key: &str) -> Vec<String> {
        self.items(key)
            .iter()
            .map(|o| {
                format!(
                    "{}/{}",
                    o["metadata"]["namespace"].as_str().unwrap_or(""),
                    o["metadata"]["name"].as_str().unwrap()
                )
            })
            .collect()
    }
}

/// Runs `auditpack collect ARGS --out snapshot.json` in `dir`, with no ambient kubeconfig.
fn collect(dir: &Path, args: &[&str]) -> Run {
    let out = dir.join("snapshot.json");
    let _ = std::fs::remove_file(&out);
    let o = Command::new(env!("CARGO_BIN_EXE_auditpack"))
        .arg("collect")
        .args(args)
        .arg("--out")
        .arg(&out)
        .current_dir(dir)
        .env_remove("KUBECONFIG")
        .env("HOME", dir)
        .output()
        .unwrap();
    let raw = std::fs::read_to_string(&out).ok();
    Run {
        code: o.status.code().unwrap_or(-1),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        snapshot: raw.as_ref().map(|t| serde_json::from_str(t).unwrap()),
        raw,
    }
}

struct Live {
    server: Server,
    dir: tempfile::TempDir,
}

impl Live {
    fn start(objects: &Path, faults: &[(&str, &str)]) -> Live {
        let mut config = Config::new(objects);
        for (resource, spec) in faults {
            config = config.fault(resource, Fault::parse(spec).unwrap());
        }
        let server = Server::start(config).unwrap();
        let dir = tempfile::tempdir().unwrap();
        server
            .write_kubeconfig(&dir.path().join("kubeconfig"))
            .unwrap();
        Live { server, dir }
    }
    /// The HTTP statuses the server answered to requests whose URI starts with `prefix`.
    fn statuses(&self, prefix: &str) -> Vec<u16> {
        self.server
            .requests()
            .iter()
            .filter(|r| r.uri.starts_with(prefix))
            .map(|r| r.status)
            .collect()
    }
    fn collect(&self, args: &[&str]) -> Run {
        let mut all = vec!["--kubeconfig", "kubeconfig"];
        all.extend_from_slice(args);
        collect(self.dir.path(), &all)
    }
}

#[test]
fn live_collects_every_kind_with_identity_version_and_source() {
    let live = Live::start(&fixture("small"), &[]);
    let run = live.collect(&[]);
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    for k in KINDS {
        assert_eq!(
            run.status(k.key),
            "collected",
            "{}: {}",
            k.key,
            run.reason(k.key)
        );
        assert!(!run.items(k.key).is_empty(), "{} has no items", k.key);
    }
    let snap = run.snap();
    assert_eq!(snap["source"]["mode"], "live");
    assert_eq!(snap["source"]["server"], live.server.url());
    assert_eq!(snap["source"]["context"], "standin");
    assert_eq!(snap["source"]["cluster"], "standin");
    assert_eq!(snap["source"]["kubernetesVersion"], "v1.37.0");
    assert_eq!(snap["collectedBy"]["username"], "auditor@example.com");
    assert!(
        snap["collectedBy"]["groups"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g == "auditors")
    );
    // Items keep the API's shape, with apiVersion and kind filled in from the list.
    let dep = &run.items("deployments.apps")[0];
    assert_eq!(dep["apiVersion"], "apps/v1");
    assert_eq!(dep["kind"], "Deployment");
    assert_eq!(
        dep["spec"]["template"]["spec"]["containers"][0]["name"],
        "api"
    );
    // Secrets were read as metadata only: no data, and no type either (the metadata-only
    // list does not carry it), which the snapshot says.
    let secret = &run.items("secrets")[0];
    assert_eq!(secret["metadata"]["name"], "api-tls");
    assert!(secret.get("data").is_none() && secret.get("type").is_none());
    assert!(run.reason("secrets").contains("metadata only"));
    // Literal env values are redacted even when harmless; names are kept.
    let pod = run
        .items("pods")
        .iter()
        .find(|p| p["metadata"]["name"] == "api-0")
        .unwrap();
    assert_eq!(pod["spec"]["containers"][0]["env"][0]["name"], "LOG_LEVEL");
    assert_eq!(
        pod["spec"]["containers"][0]["env"][0]["value"],
        "<redacted by auditpack>"
    );
    // Only the secret-free lists, and Secrets went through the metadata-only path.
    let reqs = live.server.requests();
    assert!(
        reqs.iter()
            .all(|r| !r.uri.starts_with("/api/v1/secrets") || r.status == 200)
    );
}

#[test]
fn live_snapshot_is_sorted_and_repeatable() {
    let live = Live::start(&fixture("small"), &[]);
    let a = live.collect(&[]);
    let b = live.collect(&[]);
    let strip = |r: &Run| {
        let mut v = r.snap().clone();
        v["collectedAt"] = Value::Null;
        v
    };
    assert_eq!(strip(&a), strip(&b));
    let names = a.names("pods");
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
}

/// Writes `n` RoleBindings in `n / 10` namespaces (and the namespaces) to `dir`.
fn many_rolebindings(dir: &Path, n: usize) {
    let mut text = String::new();
    for ns in 0..n.div_ceil(10) {
        text.push_str(&format!(
            "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns-{ns:03}\n"
        ));
    }
    for i in 0..n {
        text.push_str(&format!(
            "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: rb-{i:04}\n  namespace: ns-{:03}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}}\nsubjects:\n- {{kind: User, name: user-{i}, apiGroup: rbac.authorization.k8s.io}}\n",
            i / 10
        ));
    }
    std::fs::write(dir.join("many.yaml"), text).unwrap();
}

#[test]
fn live_pages_through_many_objects_without_loss_or_duplicates() {
    let objects = tempfile::tempdir().unwrap();
    many_rolebindings(objects.path(), 250);
    let live = Live::start(objects.path(), &[]);
    let run = live.collect(&["--chunk-size", "7"]);
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    let names = run.names("rolebindings.rbac.authorization.k8s.io");
    assert_eq!(names.len(), 250);
    assert_eq!(names.iter().collect::<BTreeSet<_>>().len(), 250);
    assert_eq!(run.items("namespaces").len(), 25);
    let pages = live
        .server
        .requests()
        .iter()
        .filter(|r| {
            r.uri
                .starts_with("/apis/rbac.authorization.k8s.io/v1/rolebindings")
        })
        .count();
    assert_eq!(pages, 250usize.div_ceil(7), "one request per page");
    // The optional CRD kinds are not installed on this server: absent, with the reason.
    assert_eq!(run.status("configurations.dapr.io"), "absent");
    assert!(run.reason("configurations.dapr.io").contains("dapr.io"));
}

#[test]
fn forbidden_kind_is_recorded_collection_continues_exit_3() {
    let live = Live::start(&fixture("small"), &[("secrets", "403")]);
    let run = live.collect(&[]);
    assert_eq!(run.code, 3, "stderr: {}", run.stderr);
    assert_eq!(run.status("secrets"), "forbidden");
    assert!(
        run.reason("secrets").contains("403"),
        "{}",
        run.reason("secrets")
    );
    assert!(run.items("secrets").is_empty());
    assert_eq!(run.status("pods"), "collected");
    assert_eq!(
        run.status("clusterroles.rbac.authorization.k8s.io"),
        "collected"
    );
    assert!(run.stderr.contains("secrets: forbidden"), "{}", run.stderr);
    // A forbidden kind is not retried.
    let tries = live
        .server
        .requests()
        .iter()
        .filter(|r| r.uri.starts_with("/api/v1/secrets"))
        .count();
    assert_eq!(tries, 1);
}

#[test]
fn throttled_429_is_retried_after_retry_after() {
    let live = Live::start(&fixture("small"), &[("roles", "429:2:1")]);
    let started = std::time::Instant::now();
    let run = live.collect(&[]);
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    assert_eq!(run.status("roles.rbac.authorization.k8s.io"), "collected");
    assert_eq!(run.items("roles.rbac.authorization.k8s.io").len(), 1);
    let statuses = live.statuses("/apis/rbac.authorization.k8s.io/v1/roles");
    assert_eq!(statuses, vec![429, 429, 200]);
    // Two waits of the server's Retry-After (1s), not the 250 ms first backoff.
    assert!(started.elapsed() >= std::time::Duration::from_secs(2));
}

#[test]
fn retry_after_given_as_an_http_date_is_honoured() {
    // The server asks for a retry at a date 3 s ahead (1 s resolution, so at least 2 s
    // from the moment it answers); the collector's own first backoff would be 250 ms.
    let live = Live::start(&fixture("small"), &[("roles", "429:1:3:date")]);
    let started = std::time::Instant::now();
    let run = live.collect(&[]);
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    assert_eq!(run.items("roles.rbac.authorization.k8s.io").len(), 1);
    let statuses = live.statuses("/apis/rbac.authorization.k8s.io/v1/roles");
    assert_eq!(statuses, vec![429, 200]);
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(1900),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn transient_500_is_retried() {
    let live = Live::start(&fixture("small"), &[("networkpolicies", "500:2")]);
    let run = live.collect(&[]);
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    assert_eq!(run.status("networkpolicies.networking.k8s.io"), "collected");
    assert_eq!(run.items("networkpolicies.networking.k8s.io").len(), 1);
}

#[test]
fn persistent_500_fails_that_kind_only() {
    let live = Live::start(&fixture("small"), &[("deployments", "500:always")]);
    let run = live.collect(&[]);
    assert_eq!(run.code, 3, "stderr: {}", run.stderr);
    assert_eq!(run.status("deployments.apps"), "failed");
    assert!(
        run.reason("deployments.apps").contains("500")
            && run.reason("deployments.apps").contains("5 attempts"),
        "{}",
        run.reason("deployments.apps")
    );
    assert_eq!(run.status("statefulsets.apps"), "collected");
    assert!(
        run.stderr.contains("deployments.apps: failed"),
        "{}",
        run.stderr
    );
}

/// On a terminal `collect` shows which list it is on; piped, it prints no progress. The
/// terminal is a pseudo-terminal from util-linux `script`.
#[test]
fn progress_shows_on_a_terminal_and_not_when_piped() {
    let live = Live::start(&fixture("small"), &[("pods", "latency:700")]);
    let command = format!(
        "'{}' collect --kubeconfig kubeconfig --out snapshot.json",
        env!("CARGO_BIN_EXE_auditpack")
    );
    let o = Command::new("script")
        .args(["-q", "-e", "-c", &command, "/dev/null"])
        .current_dir(live.dir.path())
        .env_remove("KUBECONFIG")
        .env("HOME", live.dir.path())
        .output()
        .expect("util-linux `script` runs");
    let terminal = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{terminal}");
    assert!(terminal.contains("collecting "), "{terminal}");
    assert!(terminal.contains(" lists"), "{terminal}");
    assert!(
        terminal.contains("auditpack: wrote snapshot.json"),
        "{terminal}"
    );

    let piped = live.collect(&[]);
    assert_eq!(piped.code, 0, "{}", piped.stderr);
    assert!(!piped.stderr.contains("collecting"), "{}", piped.stderr);
    assert!(
        piped.stderr.contains("auditpack: wrote"),
        "{}",
        piped.stderr
    );
}

#[test]
fn latency_beyond_request_timeout_fails_with_timeout() {
    let live = Live::start(&fixture("small"), &[("pods", "latency:3000")]);
    let run = live.collect(&["--request-timeout", "1"]);
    assert_eq!(run.code, 3, "stderr: {}", run.stderr);
    assert_eq!(run.status("pods"), "failed");
    assert!(
        run.reason("pods").contains("timed out after 1s"),
        "{}",
        run.reason("pods")
    );
    assert_eq!(run.status("namespaces"), "collected");
}

#[test]
fn expired_continue_restarts_the_list_and_completes_it() {
    let objects = tempfile::tempdir().unwrap();
    many_rolebindings(objects.path(), 40);
    let live = Live::start(objects.path(), &[("rolebindings", "410:1")]);
    let run = live.collect(&["--chunk-size", "15"]);
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    let names = run.names("rolebindings.rbac.authorization.k8s.io");
    assert_eq!(names.len(), 40);
    assert_eq!(names.iter().collect::<BTreeSet<_>>().len(), 40);
    let statuses = live.statuses("/apis/rbac.authorization.k8s.io/v1/rolebindings");
    // first page, expired continue, then the whole list again (3 pages).
    assert_eq!(statuses, vec![200, 410, 200, 200, 200]);
}

#[test]
fn forbidden_selfsubjectreview_records_why_identity_is_unknown() {
    let live = Live::start(&fixture("small"), &[("selfsubjectreviews", "403")]);
    let run = live.collect(&[]);
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    assert!(run.snap().get("collectedBy").is_none());
    let why = run.snap()["collectedByReason"].as_str().unwrap();
    assert!(
        why.contains("SelfSubjectReview") && why.contains("403"),
        "{why}"
    );
}

#[test]
fn namespace_scope_still_reads_control_plane_pods() {
    let live = Live::start(&fixture("small"), &[]);
    let run = live.collect(&["-n", "production"]);
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    assert_eq!(
        run.names("pods"),
        vec![
            "kube-system/etcd-cp1",
            "kube-system/kube-apiserver-cp1",
            "production/api-0"
        ]
    );
    assert_eq!(run.names("namespaces"), vec!["/production"]);
    assert_eq!(run.names("serviceaccounts"), vec!["production/api"]);
    assert_eq!(run.items("clusterroles.rbac.authorization.k8s.io").len(), 1);
    assert_eq!(run.snap()["source"]["namespaces"][0], "production");
    // kube-apiserver-cp1 matches both selectors and is kept once, without a warning.
    assert!(!run.stderr.contains("duplicate"), "{}", run.stderr);
}

/// Two namespaces: each namespaced kind is listed once per namespace and the lists are
/// merged (with the control-plane pods) into one sorted list without duplicates.
#[test]
fn two_namespaces_merge_into_one_sorted_list() {
    let live = Live::start(&fixture("small"), &[]);
    let run = live.collect(&["-n", "staging", "-n", "production"]);
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    assert_eq!(run.names("namespaces"), vec!["/production", "/staging"]);
    assert_eq!(
        run.names("serviceaccounts"),
        vec!["production/api", "staging/worker"]
    );
    assert_eq!(run.names("cronjobs.batch"), vec!["staging/backup"]);
    let pods = run.names("pods");
    assert_eq!(
        pods,
        vec![
            "kube-system/etcd-cp1",
            "kube-system/kube-apiserver-cp1",
            "production/api-0"
        ]
    );
}

/// A mistyped `-n` is an error, as kubectl gives it, naming the namespaces that exist;
/// without it the packet would be a page of passes over nothing.
#[test]
fn a_namespace_the_cluster_lacks_is_an_error_naming_those_that_exist() {
    let live = Live::start(&fixture("small"), &[]);
    let run = live.collect(&["-n", "production", "-n", "prodution"]);
    assert_one_error_line(&run, live.dir.path(), "namespaces \"prodution\" not found");
    assert!(
        run.stderr.contains("namespaces in the cluster: ")
            && run.stderr.contains("production")
            && run.stderr.contains("staging"),
        "{}",
        run.stderr
    );
    // Not a namespace name at all: refused before any request.
    let run = live.collect(&["-n", "../secrets"]);
    assert_one_error_line(&run, live.dir.path(), "not a namespace name");
}

#[test]
fn an_import_without_the_chosen_namespace_is_an_error_naming_those_it_has() {
    let dir = tempfile::tempdir().unwrap();
    let exports = dir.path().join("exports");
    std::fs::create_dir_all(&exports).unwrap();
    for f in ["core.yaml", "rbac.yaml", "workloads.yaml"] {
        std::fs::copy(fixture("small").join(f), exports.join(f)).unwrap();
    }
    let run = collect(dir.path(), &["--from-dir", "exports", "-n", "nope"]);
    assert_one_error_line(
        &run,
        dir.path(),
        "namespaces \"nope\" not found in the import",
    );
    assert!(
        run.stderr.contains("namespaces in the import: ") && run.stderr.contains("staging"),
        "{}",
        run.stderr
    );
    let run = collect(dir.path(), &["--from-dir", "exports", "-n", "staging"]);
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    assert_eq!(run.names("namespaces"), vec!["/staging"]);
    // A crafted namespace name in the export reaches the error escaped, never as raw
    // terminal control characters.
    std::fs::write(
        exports.join("evil.yaml"),
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: \"x\\e[2Jy\"}\n",
    )
    .unwrap();
    let run = collect(dir.path(), &["--from-dir", "exports", "-n", "nope"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(!run.stderr.contains('\u{1b}'), "{:?}", run.stderr);
    assert!(run.stderr.contains("x\\u{1b}[2Jy"), "{:?}", run.stderr);
}

fn assert_one_error_line(run: &Run, dir: &Path, needle: &str) {
    assert_eq!(run.code, 2, "stderr: {}", run.stderr);
    assert_eq!(run.stderr.trim_end().lines().count(), 1, "{}", run.stderr);
    assert!(run.stderr.contains(needle), "{}", run.stderr);
    assert!(run.raw.is_none(), "a snapshot was written");
    let leftovers: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("snapshot"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn unreachable_server_is_one_error_line_exit_2_no_file() {
    let dir = tempfile::tempdir().unwrap();
    // A port that nothing listens on: bind one, note it, close it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let live = Live::start(&fixture("small"), &[]);
    let kubeconfig = live
        .server
        .kubeconfig()
        .replace(&live.server.url(), &format!("https://127.0.0.1:{port}"));
    std::fs::write(dir.path().join("kubeconfig"), kubeconfig).unwrap();
    let run = collect(dir.path(), &["--kubeconfig", "kubeconfig"]);
    assert_one_error_line(&run, dir.path(), "cannot reach the API server");
}

#[test]
fn broken_kubeconfig_is_one_error_line_exit_2_no_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("kubeconfig"), "clusters: [this is: not\n").unwrap();
    let run = collect(dir.path(), &["--kubeconfig", "kubeconfig"]);
    assert_one_error_line(&run, dir.path(), "kubeconfig");
    let run = collect(dir.path(), &["--kubeconfig", "missing-file"]);
    assert_one_error_line(&run, dir.path(), "missing-file");
}

#[test]
fn unknown_context_and_wrong_token_are_fatal() {
    let live = Live::start(&fixture("small"), &[]);
    let run = live.collect(&["--context", "prod"]);
    assert_one_error_line(&run, live.dir.path(), "prod");
    let bad = live
        .server
        .kubeconfig()
        .replace(live.server.token(), "wrong");
    std::fs::write(live.dir.path().join("bad"), bad).unwrap();
    let run = collect(live.dir.path(), &["--kubeconfig", "bad"]);
    assert_one_error_line(&run, live.dir.path(), "401");
}

#[test]
fn kubeconfig_env_var_is_honoured() {
    let live = Live::start(&fixture("small"), &[]);
    let o = Command::new(env!("CARGO_BIN_EXE_auditpack"))
        .args(["collect", "--out", "s.json"])
        .current_dir(live.dir.path())
        .env("KUBECONFIG", live.dir.path().join("kubeconfig"))
        .env("HOME", live.dir.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let snap: Value =
        serde_json::from_slice(&std::fs::read(live.dir.path().join("s.json")).unwrap()).unwrap();
    assert_eq!(snap["source"]["server"], live.server.url());
}

fn assert_no_sentinel(run: &Run) {
    let raw = run.raw.as_ref().expect("snapshot written");
    assert!(!raw.contains(SENTINEL), "marker leaked");
    assert!(!raw.contains(SENTINEL_B64), "base64 marker leaked");
}

fn redaction_set(run: &Run) -> BTreeSet<(String, String, String)> {
    run.snap()["redactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["kind"].as_str().unwrap().to_string(),
                r["name"].as_str().unwrap().to_string(),
                r["pointer"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

const ENV_REDACTIONS: &[(&str, &str, &str)] = &[
    ("pods", "payments-0", "/spec/containers/0/env/0/value"),
    ("pods", "payments-0", "/spec/initContainers/0/env/0/value"),
    (
        "pods",
        "payments-0",
        "/spec/ephemeralContainers/0/env/0/value",
    ),
    (
        "pods",
        "payments-0",
        "/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration",
    ),
    (
        "deployments.apps",
        "payments",
        "/spec/template/spec/containers/0/env/0/value",
    ),
    (
        "deployments.apps",
        "payments",
        "/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration",
    ),
    (
        "cronjobs.batch",
        "settle",
        "/spec/jobTemplate/spec/template/spec/containers/0/env/0/value",
    ),
    (
        "rolebindings.rbac.authorization.k8s.io",
        "payments-admin",
        "/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration",
    ),
    (
        "secrets",
        "db-password",
        "/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration",
    ),
    (
        "EncryptionConfiguration",
        "ENC",
        "/resources/0/providers/0/aescbc/keys/0/secret",
    ),
    (
        "EncryptionConfiguration",
        "ENC",
        "/resources/0/providers/0/aescbc/keys/1/secret",
    ),
    (
        "EncryptionConfiguration",
        "ENC",
        "/resources/0/providers/1/secretbox/keys/0/secret",
    ),
];

fn expect_redactions(run: &Run, enc: &str, extra: &[(&str, &str, &str)]) {
    let got = redaction_set(run);
    for (k, n, p) in ENV_REDACTIONS.iter().chain(extra) {
        let n = if *n == "ENC" { enc } else { n };
        assert!(
            got.contains(&(k.to_string(), n.to_string(), p.to_string())),
            "missing redaction {k} {n} {p} in {got:#?}"
        );
    }
}

#[test]
fn sentinel_never_enters_an_imported_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let enc = fixture("sentinel/encryption-config.yaml");
    let enc = enc.to_str().unwrap();
    let run = collect(
        dir.path(),
        &[
            "--from-dir",
            fixture("sentinel/cluster").to_str().unwrap(),
            "--encryption-config",
            enc,
        ],
    );
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    assert_no_sentinel(&run);
    expect_redactions(
        &run,
        enc,
        &[
            ("secrets", "db-password", "/data/password"),
            ("secrets", "db-password", "/data/plain"),
            ("secrets", "db-password", "/stringData/token"),
            ("configmaps", "app-config", "/data/api-key"),
            ("configmaps", "app-config", "/binaryData/blob"),
        ],
    );
    let snap = run.snap();
    // The secret's type survives an import (kubectl exports carry it); names are kept.
    assert_eq!(snap["resources"]["secrets"]["items"][0]["type"], "Opaque");
    let kms = &snap["encryptionConfig"]["document"]["resources"][0]["providers"][2]["kms"];
    assert_eq!(kms["endpoint"], "unix:///var/run/kms.sock");
    assert_eq!(
        snap["encryptionConfig"]["document"]["resources"][0]["providers"][0]["aescbc"]["keys"][0]["name"],
        "key-2026"
    );
    // The digest is of the original file, so it can be matched against the control plane.
    let original = std::fs::read(fixture("sentinel/encryption-config.yaml")).unwrap();
    use sha2::Digest;
    assert_eq!(
        snap["encryptionConfig"]["sha256"],
        hex::encode(sha2::Sha256::digest(&original))
    );
}

#[test]
fn sentinel_never_enters_a_live_snapshot() {
    let live = Live::start(&fixture("sentinel/cluster"), &[]);
    let enc = fixture("sentinel/encryption-config.yaml");
    let enc = enc.to_str().unwrap();
    let run = live.collect(&["--encryption-config", enc]);
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    assert_no_sentinel(&run);
    expect_redactions(&run, enc, &[]);
    // The server was asked for Secrets as metadata only.
    assert!(
        live.server
            .requests()
            .iter()
            .any(|r| r.uri.starts_with("/api/v1/secrets"))
    );
}

#[test]
fn imports_the_folder_the_compliance_evidence_script_writes() {
    let live = Live::start(&fixture("small"), &[]);
    let script = shared().join("seed/compliance-evidence.sh");
    let o = Command::new("bash")
        .arg(&script)
        .current_dir(live.dir.path())
        .env("KUBECONFIG", live.dir.path().join("kubeconfig"))
        .env("HOME", live.dir.path())
        .output()
        .expect("bash and kubectl");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let evidence = std::fs::read_dir(live.dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("compliance-evidence-")
        })
        .expect("the script's folder");
    let run = collect(live.dir.path(), &["--from-dir", evidence.to_str().unwrap()]);
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    let present = [
        "rolebindings.rbac.authorization.k8s.io",
        "clusterrolebindings.rbac.authorization.k8s.io",
        "networkpolicies.networking.k8s.io",
        "namespaces",
        "serviceaccounts",
    ];
    for k in KINDS {
        if present.contains(&k.key) {
            assert_eq!(run.status(k.key), "collected", "{}", k.key);
        } else {
            assert_eq!(run.status(k.key), "not-collected", "{}", k.key);
            assert_eq!(run.reason(k.key), "not in the imported files");
        }
    }
    assert_eq!(
        run.names("serviceaccounts"),
        vec!["production/api", "staging/worker"]
    );
    assert_eq!(run.items("namespaces").len(), 3);
    let files: Vec<&str> = run.snap()["source"]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        files,
        vec![
            "clusterrolebindings.yaml",
            "namespaces.yaml",
            "networkpolicies.yaml",
            "rolebindings.yaml",
            "serviceaccounts.yaml"
        ]
    );
    assert_eq!(run.snap()["source"]["mode"], "files");
}

#[test]
fn import_takes_empty_lists_nested_folders_and_json_lists() {
    let dir = tempfile::tempdir().unwrap();
    let exports = dir.path().join("exports");
    std::fs::create_dir_all(exports.join("rbac/deep")).unwrap();
    std::fs::write(
        exports.join("networkpolicies.yaml"),
        "apiVersion: v1\nitems: []\nkind: List\nmetadata:\n  resourceVersion: \"\"\n",
    )
    .unwrap();
    std::fs::write(
        exports.join("rbac/deep/roles.json"),
        r#"{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleList","items":[{"metadata":{"name":"r","namespace":"a"},"rules":[]}]}"#,
    )
    .unwrap();
    std::fs::write(exports.join("notes.txt"), "not evidence: ignored").unwrap();
    std::fs::create_dir_all(exports.join(".git")).unwrap();
    std::fs::write(exports.join(".git/broken.json"), "{ not json").unwrap();
    let run = collect(dir.path(), &["--from-dir", "exports"]);
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    assert_eq!(run.status("networkpolicies.networking.k8s.io"), "collected");
    assert!(run.items("networkpolicies.networking.k8s.io").is_empty());
    assert_eq!(
        run.items("roles.rbac.authorization.k8s.io")[0]["kind"],
        "Role"
    );
    let files = &run.snap()["source"]["files"];
    assert_eq!(files.as_array().unwrap().len(), 2);
    assert_eq!(files[1]["path"], "rbac/deep/roles.json");
    assert_eq!(files[1]["sha256"].as_str().unwrap().len(), 64);
}

#[test]
fn malformed_export_names_file_and_line_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let exports = dir.path().join("exports");
    std::fs::create_dir_all(&exports).unwrap();
    std::fs::write(
        exports.join("pods.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: x}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: [b\n  namespace: x\n",
    )
    .unwrap();
    let run = collect(dir.path(), &["--from-dir", "exports"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("pods.yaml:"), "{}", run.stderr);
    assert!(run.raw.is_none());
    std::fs::write(
        exports.join("pods.yaml"),
        "apiVersion: v1\nkind: Pod\n---\n- a list\n",
    )
    .unwrap();
    let run = collect(dir.path(), &["--from-dir", "exports"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("pods.yaml:4:"), "{}", run.stderr);
}

fn encryption_configs(dir: &str) -> Vec<PathBuf> {
    let root = shared()
        .join("realdata/kubernetes-apiserver/pkg/server/options")
        .join(dir);
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("yaml" | "json")
            ) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn real_encryption_configs_keep_providers_and_lose_every_secret() {
    let mut files = encryption_configs("encryptionconfig/testdata/valid-configs");
    files.extend(encryption_configs("testdata/encryption-configs"));
    assert!(files.len() >= 15, "{files:?}");
    let empty = tempfile::tempdir().unwrap();
    for f in &files {
        let original = std::fs::read_to_string(f).unwrap();
        let run = collect(
            empty.path(),
            &[
                "--from-dir",
                empty.path().to_str().unwrap(),
                "--encryption-config",
                f.to_str().unwrap(),
            ],
        );
        assert_eq!(run.code, 0, "{}: {}", f.display(), run.stderr);
        let doc = &run.snap()["encryptionConfig"]["document"];
        let text = doc.to_string();
        assert!(!text.contains("\"secret\""), "{}: {text}", f.display());
        let secrets_in_file =
            original.matches("secret:").count() + original.matches("\"secret\":").count();
        let recorded = run.snap()["redactions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["kind"] == "EncryptionConfiguration")
            .count();
        assert_eq!(recorded, secrets_in_file, "{}", f.display());
        // Provider order (which one encrypts) is kept.
        let providers = doc["resources"][0]["providers"].as_array().unwrap();
        assert!(!providers.is_empty());
    }
}

#[test]
fn invalid_encryption_configs_are_refused_naming_the_file() {
    let empty = tempfile::tempdir().unwrap();
    for name in [
        "kms/invalid-gvk.yaml",
        "kms/invalid-apiversion.yaml",
        "kms/invalid-config-type.yaml",
        "kms/invalid-content.yaml",
        "invalid-aes-gcm.yaml",
        "invalid-typo.yaml",
    ] {
        let f = shared()
            .join("realdata/kubernetes-apiserver/pkg/server/options/encryptionconfig/testdata/invalid-configs")
            .join(name);
        let run = collect(
            empty.path(),
            &[
                "--from-dir",
                empty.path().to_str().unwrap(),
                "--encryption-config",
                f.to_str().unwrap(),
            ],
        );
        assert_eq!(run.code, 2, "{name}: {}", run.stderr);
        assert!(run.stderr.contains(f.to_str().unwrap()), "{}", run.stderr);
        assert!(run.stderr.contains("expected EncryptionConfiguration"));
        assert!(run.raw.is_none());
    }
}

#[test]
fn audit_policy_is_kept_and_wrong_kinds_are_refused() {
    let empty = tempfile::tempdir().unwrap();
    let policy =
        shared().join("realdata/kubernetes-website/content/en/examples/audit/audit-policy.yaml");
    let run = collect(
        empty.path(),
        &[
            "--from-dir",
            empty.path().to_str().unwrap(),
            "--audit-policy",
            policy.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc = &run.snap()["auditPolicy"]["document"];
    assert_eq!(doc["kind"], "Policy");
    assert!(doc["rules"].as_array().unwrap().len() > 3);
    assert!(
        run.snap()["source"]["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["path"] == policy.to_str().unwrap())
    );
    // Each flag given the other's file.
    let enc = fixture("sentinel/encryption-config.yaml");
    let run = collect(
        empty.path(),
        &[
            "--from-dir",
            empty.path().to_str().unwrap(),
            "--audit-policy",
            enc.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("expected Policy (audit.k8s.io/v1)"),
        "{}",
        run.stderr
    );
    let run = collect(
        empty.path(),
        &[
            "--from-dir",
            empty.path().to_str().unwrap(),
            "--encryption-config",
            policy.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains(policy.to_str().unwrap()),
        "{}",
        run.stderr
    );
}

fn deploy_docs(file: &str) -> Vec<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/deploy")
        .join(file);
    serde_saphyr::from_multiple(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().map(|s| s.as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}

#[test]
fn deploy_clusterrole_grants_exactly_what_the_collector_uses() {
    let docs = deploy_docs("rbac.yaml");
    let role = docs
        .iter()
        .find(|d| d["kind"] == "ClusterRole")
        .expect("a ClusterRole");
    let mut granted = BTreeSet::new();
    for rule in role["rules"].as_array().unwrap() {
        let verbs = strings(&rule["verbs"]);
        for v in &verbs {
            assert!(
                !matches!(
                    v.as_str(),
                    "*" | "update"
                        | "patch"
                        | "delete"
                        | "deletecollection"
                        | "escalate"
                        | "bind"
                        | "impersonate"
                ) && (v != "create" || strings(&rule["resources"]) == ["selfsubjectreviews"]),
                "write or wildcard verb {v} in {rule}"
            );
        }
        for url in strings(&rule["nonResourceURLs"]) {
            assert!(!url.contains('*'), "wildcard URL {url}");
            for v in &verbs {
                granted.insert(("url".to_string(), url.clone(), v.clone()));
            }
        }
        for g in strings(&rule["apiGroups"]) {
            for r in strings(&rule["resources"]) {
                assert!(
                    g != "*" && r != "*" && !r.contains('/'),
                    "wildcard or subresource in {rule}"
                );
                for v in &verbs {
                    granted.insert((g.clone(), r.clone(), v.clone()));
                }
            }
        }
        assert!(rule.get("resourceNames").is_none());
    }
    let mut expected = BTreeSet::new();
    for k in KINDS {
        expected.insert((
            k.group.to_string(),
            k.plural.to_string(),
            "list".to_string(),
        ));
        if k.optional {
            expected.insert((
                "url".to_string(),
                format!("/apis/{}/{}", k.group, k.version),
                "get".to_string(),
            ));
        }
    }
    expected.insert((
        "authentication.k8s.io".into(),
        "selfsubjectreviews".into(),
        "create".into(),
    ));
    for url in ["/version", "/apis"] {
        expected.insert(("url".into(), url.into(), "get".into()));
    }
    let missing: Vec<_> = expected.difference(&granted).collect();
    let extra: Vec<_> = granted.difference(&expected).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}, extra {extra:?}"
    );
    // Bound to the collector's ServiceAccount.
    let binding = docs
        .iter()
        .find(|d| d["kind"] == "ClusterRoleBinding")
        .unwrap();
    assert_eq!(binding["roleRef"]["name"], role["metadata"]["name"]);
    assert_eq!(binding["subjects"][0]["kind"], "ServiceAccount");
    assert_eq!(binding["subjects"][0]["name"], "auditpack-collector");
}

#[test]
fn deploy_cronjob_runs_packet_quarterly_restricted() {
    let docs = deploy_docs("cronjob.yaml");
    let cj = docs.iter().find(|d| d["kind"] == "CronJob").unwrap();
    assert_eq!(cj["spec"]["schedule"], "0 0 1 */3 *");
    let pod = &cj["spec"]["jobTemplate"]["spec"]["template"]["spec"];
    assert_eq!(pod["serviceAccountName"], "auditpack-collector");
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    assert_eq!(
        pod["securityContext"]["seccompProfile"]["type"],
        "RuntimeDefault"
    );
    let c = &pod["containers"][0];
    assert_eq!(c["args"][0], "packet");
    // The job's flags must parse: `--series` keeps the quarterly chain in the volume.
    let args: Vec<&str> = c["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert!(
        args.windows(2).any(|w| w == ["--series", "/packets"]),
        "{args:?}"
    );
    assert_eq!(c["securityContext"]["allowPrivilegeEscalation"], false);
    assert_eq!(
        strings(&c["securityContext"]["capabilities"]["drop"]),
        ["ALL"]
    );
    let claim = pod["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|v| v["persistentVolumeClaim"]["claimName"].as_str())
        .unwrap();
    assert!(
        docs.iter()
            .any(|d| d["kind"] == "PersistentVolumeClaim" && d["metadata"]["name"] == claim)
    );
    let ns = deploy_docs("namespace.yaml");
    assert_eq!(
        ns[0]["metadata"]["labels"]["pod-security.kubernetes.io/enforce"],
        "restricted"
    );
}

#[test]
fn a_failed_run_leaves_an_existing_snapshot_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let exports = dir.path().join("exports");
    std::fs::create_dir_all(&exports).unwrap();
    std::fs::write(exports.join("bad.json"), "{\"apiVersion\": ").unwrap();
    std::fs::write(dir.path().join("previous.json"), "previous quarter").unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_auditpack"))
        .args(["collect", "--from-dir", "exports", "--out", "previous.json"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("bad.json:1:"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("previous.json")).unwrap(),
        "previous quarter"
    );
    // An output folder that does not exist: an error naming the path, and no temp file.
    std::fs::write(exports.join("bad.json"), "{}").unwrap();
    std::fs::remove_file(exports.join("bad.json")).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_auditpack"))
        .args([
            "collect",
            "--from-dir",
            "exports",
            "--out",
            "nowhere/s.json",
        ])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("nowhere/s.json"));
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn no_kubeconfig_and_not_in_a_cluster_says_what_was_tried() {
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_auditpack"))
        .arg("collect")
        .current_dir(dir.path())
        .env_remove("KUBECONFIG")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env_remove("KUBERNETES_SERVICE_PORT")
        .env("HOME", dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("in-cluster") && stderr.contains("--kubeconfig"),
        "{stderr}"
    );
    assert!(!dir.path().join("snapshot.json").exists());
}

/// Run as a Pod: no kubeconfig; the service account's token, CA and namespace at the fixed
/// in-cluster paths and `KUBERNETES_SERVICE_HOST`/`_PORT` set, as the kubelet provides
/// them. The paths are made inside a private mount namespace (`unshare -m`, as root), so the
/// machine's own `/run` is never touched.
#[test]
fn in_cluster_service_account_is_used_without_a_kubeconfig() {
    let live = Live::start(&fixture("small"), &[]);
    let dir = live.dir.path();
    let sa = dir.join("sa");
    std::fs::create_dir(&sa).unwrap();
    std::fs::write(sa.join("token"), live.server.token()).unwrap();
    std::fs::write(sa.join("ca.crt"), live.server.ca_pem()).unwrap();
    std::fs::write(sa.join("namespace"), "auditpack").unwrap();
    let url = live.server.url();
    let port = url.rsplit(':').next().unwrap();
    let mounts = "/run/secrets/kubernetes.io/serviceaccount";
    let existed = Path::new(mounts).exists();
    let script = format!(
        "mount -t tmpfs tmpfs /run && mkdir -p {mounts} && cp '{}'/* {mounts}/ && exec '{}' collect --out snapshot.json",
        sa.display(),
        env!("CARGO_BIN_EXE_auditpack")
    );
    let o = Command::new("unshare")
        .args(["-m", "sh", "-c", &script])
        .current_dir(dir)
        .env_remove("KUBECONFIG")
        .env("HOME", dir)
        .env("KUBERNETES_SERVICE_HOST", "127.0.0.1")
        .env("KUBERNETES_SERVICE_PORT", port)
        .output()
        .expect("unshare (util-linux) runs");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(
        o.status.code(),
        Some(0),
        "needs root for a private mount namespace: {stderr}"
    );
    let snap: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("snapshot.json")).unwrap()).unwrap();
    assert_eq!(snap["source"]["server"], url.as_str());
    assert!(
        snap["source"].get("context").is_none(),
        "{}",
        snap["source"]
    );
    assert_eq!(
        snap["collectedBy"]["username"],
        standin::Config::new(".").username.as_str()
    );
    assert_eq!(snap["resources"]["namespaces"]["status"], "collected");
    // The machine's own /run was not changed.
    assert_eq!(Path::new(mounts).exists(), existed);
}

/// The library prints nothing: a live collection tells its caller of each list through
/// the progress sink, one `Listed` per list between `Started` and `Finished`.
#[test]
fn live_collection_reports_progress_through_the_callers_sink() {
    use auditpack::{LiveOptions, Progress, ProgressSink, collect_live};
    use std::sync::{Arc, Mutex};
    let live = Live::start(&fixture("small"), &[]);
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = {
        let events = events.clone();
        ProgressSink::new(move |p| events.lock().unwrap().push(p))
    };
    let (snap, _) = collect_live(&LiveOptions {
        kubeconfig: Some(live.dir.path().join("kubeconfig")),
        progress: Some(sink),
        ..LiveOptions::default()
    })
    .unwrap();
    let events = events.lock().unwrap();
    let Some(Progress::Started { lists }) = events.first().copied() else {
        panic!("first event: {:?}", events.first())
    };
    assert_eq!(events.last(), Some(&Progress::Finished));
    let listed: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            Progress::Listed { kind } => Some(*kind),
            _ => None,
        })
        .collect();
    assert_eq!(listed.len(), lists, "one Listed per list");
    assert_eq!(events.len(), lists + 2);
    for k in KINDS {
        assert!(listed.contains(&k.key), "{} was never listed", k.key);
        assert!(snap.collected(k.key).is_ok());
    }
}
