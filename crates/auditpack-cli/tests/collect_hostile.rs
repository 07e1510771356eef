//! The live collector against hostile or broken API servers, through the real binary (and,
//! where a limit has no flag, the library) over HTTPS against the stand-in server: 404s on
//! served kinds, continue tokens that never end a list, `Retry-After` beyond the retry
//! deadline, and responses too large to read.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use auditpack::CollectionStatus;
use auditpack::{LiveOptions, collect_live};
use serde_json::Value;
use standin::{Config, Fault, Server};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

struct Live {
    server: Server,
    dir: tempfile::TempDir,
}

struct Run {
    code: i32,
    stderr: String,
    snap: Value,
    maxrss_kib: u64,
}

impl Run {
    fn status(&self, key: &str) -> &str {
        self.snap["resources"][key]["status"].as_str().unwrap_or("")
    }
    fn reason(&self, key: &str) -> &str {
        self.snap["resources"][key]["reason"].as_str().unwrap_or("")
    }
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

    /// Requests whose URI starts with `prefix`.
    fn requests(&self, prefix: &str) -> Vec<u16> {
        self.server
            .requests()
            .iter()
            .filter(|r| r.uri.starts_with(prefix))
            .map(|r| r.status)
            .collect()
    }

    /// `auditpack collect --kubeconfig kubeconfig ARGS`, under GNU time.
    fn collect(&self, args: &[&str]) -> Run {
        let dir = self.dir.path();
        let _ = std::fs::remove_file(dir.join("snapshot.json"));
        assert!(
            Path::new("/usr/bin/time").exists(),
            "GNU time (/usr/bin/time) is needed: scripts/setup-test-deps.sh installs it"
        );
        let mut cmd = Command::new("/usr/bin/time");
        cmd.args(["-f", "maxrss=%M", "-o"])
            .arg(dir.join("time.txt"))
            .arg(env!("CARGO_BIN_EXE_auditpack"))
            .args([
                "collect",
                "--kubeconfig",
                "kubeconfig",
                "--out",
                "snapshot.json",
            ])
            .args(args)
            .current_dir(dir)
            .env_remove("KUBECONFIG")
            .env("HOME", dir);
        // A server that never ends a list must fail the test, not hang it.
        let o = common::output_within(cmd, Duration::from_secs(120));
        let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
        let time = std::fs::read_to_string(dir.join("time.txt")).unwrap();
        let maxrss_kib = time
            .lines()
            .find_map(|l| l.strip_prefix("maxrss="))
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        let snap = std::fs::read_to_string(dir.join("snapshot.json"))
            .map(|t| serde_json::from_str(&t).unwrap())
            .unwrap_or_else(|_| panic!("no snapshot; stderr:\n{stderr}"));
        Run {
            code: o.status.code().unwrap_or(-1),
            stderr,
            snap,
            maxrss_kib,
        }
    }
}

// A 404 on Pods was recorded `absent`, and Pod Security then passed on no pods at all.
#[test]
fn a_404_on_a_core_kind_is_failed_never_absent() {
    let live = Live::start(
        &fixture("small"),
        &[
            ("pods", "404"),
            ("serviceaccounts", "unlisted"),
            ("clusterrolebindings", "404"),
        ],
    );
    let run = live.collect(&[]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    for key in [
        "pods",
        "serviceaccounts",
        "clusterrolebindings.rbac.authorization.k8s.io",
    ] {
        assert_eq!(run.status(key), "failed", "{key}: {}", run.reason(key));
        assert!(run.reason(key).contains("404"), "{}", run.reason(key));
        assert!(
            run.stderr.contains(&format!("{key}: failed")),
            "{}",
            run.stderr
        );
    }
    assert!(
        run.reason("pods").contains("discovery"),
        "{}",
        run.reason("pods")
    );
    assert_eq!(run.status("namespaces"), "collected");
}

// Only a kind whose discovery does not list it may be absent: here ValidatingAdmissionPolicy
// (served from Kubernetes 1.30), as on an older cluster.
#[test]
fn a_kind_newer_than_the_cluster_and_unlisted_is_absent() {
    let live = Live::start(
        &fixture("small"),
        &[
            ("validatingadmissionpolicies", "unlisted"),
            ("validatingadmissionpolicybindings", "404"),
        ],
    );
    let run = live.collect(&[]);
    let vap = "validatingadmissionpolicies.admissionregistration.k8s.io";
    let vapb = "validatingadmissionpolicybindings.admissionregistration.k8s.io";
    assert_eq!(run.status(vap), "absent", "{}", run.reason(vap));
    assert!(
        run.reason(vap).contains("does not list"),
        "{}",
        run.reason(vap)
    );
    // Listed by discovery, yet 404: failed.
    assert_eq!(run.status(vapb), "failed", "{}", run.reason(vapb));
    assert_eq!(run.code, 3, "{}", run.stderr);
}

fn many_rolebindings(dir: &Path, n: usize) {
    std::fs::create_dir_all(dir).unwrap();
    let mut y = String::from("apiVersion: v1\nkind: List\nitems:\n");
    for i in 0..n {
        y.push_str(&format!(
            "- {{apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, metadata: {{name: rb-{i:03}, namespace: web}}, roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}}, subjects: [{{kind: User, name: u{i}}}]}}\n"
        ));
    }
    std::fs::write(dir.join("rb.yaml"), y).unwrap();
}

// A server that repeated the same continue token made collect run for ever (1,908
// requests in 60 s).
#[test]
fn a_repeated_continue_token_fails_the_kind_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    many_rolebindings(&tmp.path().join("c"), 10);
    let live = Live::start(
        &tmp.path().join("c"),
        &[("rolebindings", "repeat-continue")],
    );
    let run = live.collect(&["--chunk-size", "2"]);
    let key = "rolebindings.rbac.authorization.k8s.io";
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert_eq!(run.status(key), "failed");
    assert!(
        run.reason(key).contains("same continue token"),
        "{}",
        run.reason(key)
    );
    let n = live
        .requests("/apis/rbac.authorization.k8s.io/v1/rolebindings")
        .len();
    assert_eq!(n, 2, "requests for the list");
    assert_eq!(run.status("roles.rbac.authorization.k8s.io"), "collected");
}

// A server handing out a new token for ever stops at the page cap (library option).
#[test]
fn endless_continue_tokens_stop_at_the_page_cap() {
    let tmp = tempfile::tempdir().unwrap();
    many_rolebindings(&tmp.path().join("c"), 3);
    let live = Live::start(
        &tmp.path().join("c"),
        &[("rolebindings", "endless-continue")],
    );
    let options = LiveOptions {
        kubeconfig: Some(live.dir.path().join("kubeconfig")),
        page_size: 1,
        max_pages: 20,
        ..LiveOptions::default()
    };
    // On another thread, so that a collector that never stops fails the test.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(collect_live(&options));
    });
    let (snap, warnings) = rx
        .recv_timeout(Duration::from_secs(120))
        .expect("the collector stopped at the page cap (it ran on)")
        .unwrap();
    let c = &snap.resources["rolebindings.rbac.authorization.k8s.io"];
    assert_eq!(c.status, CollectionStatus::Failed);
    assert!(
        c.reason.as_deref().unwrap_or("").contains("after 20 pages"),
        "{:?}",
        c.reason
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.subject.starts_with("rolebindings"))
    );
    let n = live
        .requests("/apis/rbac.authorization.k8s.io/v1/rolebindings")
        .len();
    assert_eq!(n, 20);
}

// Retry-After waits were unbounded in total; a server asking for 30 s now makes the kind
// fail at once when the deadline is shorter, and shorter waits stop at the deadline.
#[test]
fn retry_after_waits_stop_at_the_retry_deadline() {
    let live = Live::start(&fixture("small"), &[("roles", "429:always:30")]);
    let run = live.collect(&["--retry-deadline", "5"]);
    let key = "roles.rbac.authorization.k8s.io";
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert_eq!(run.status(key), "failed");
    assert!(
        run.reason(key).contains("retry deadline of 5s"),
        "{}",
        run.reason(key)
    );
    assert_eq!(
        live.requests("/apis/rbac.authorization.k8s.io/v1/roles"),
        vec![429]
    );

    let live = Live::start(&fixture("small"), &[("roles", "429:always:1")]);
    let run = live.collect(&["--retry-deadline", "3"]);
    assert_eq!(run.status(key), "failed", "{}", run.reason(key));
    // Three waits of 1 s fit in 3 s; a fourth would not.
    assert_eq!(
        live.requests("/apis/rbac.authorization.k8s.io/v1/roles"),
        vec![429; 4]
    );
}

// The deadline is per kind: with -n, a kind is read by one list per namespace, and each
// list had a deadline of its own (N namespaces, N times the wait).
#[test]
fn retry_waits_are_bounded_per_kind_not_per_namespace() {
    let live = Live::start(&fixture("small"), &[("roles", "429:always:1")]);
    let run = live.collect(&["--retry-deadline", "3", "-n", "production", "-n", "staging"]);
    let key = "roles.rbac.authorization.k8s.io";
    assert_eq!(run.status(key), "failed", "{}", run.reason(key));
    assert!(
        run.reason(key).contains("retry deadline of 3s"),
        "{}",
        run.reason(key)
    );
    // Two first requests, then three waits of 1 s in all (not three per namespace).
    let n = live
        .server
        .requests()
        .iter()
        .filter(|r| r.uri.contains("/roles"))
        .count();
    assert_eq!(n, 5, "requests for roles in two namespaces");
}

// One list response of several hundred MB took 3.2 GB of RSS. A response over the limit
// makes the kind fail without being read; the flag raises the limit.
#[test]
fn an_oversized_response_fails_the_kind_in_bounded_memory() {
    let live = Live::start(&fixture("small"), &[("deployments", "huge:40000000")]);
    let run = live.collect(&["--max-response-mib", "16"]);
    let key = "deployments.apps";
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert_eq!(run.status(key), "failed");
    assert!(
        run.reason(key).contains("larger than 16 MiB")
            && run.reason(key).contains("--max-response-mib"),
        "{}",
        run.reason(key)
    );
    assert!(
        run.maxrss_kib < 80 * 1024,
        "collect took {} MiB refusing a 40 MB response",
        run.maxrss_kib / 1024
    );
    // Not retried: the same answer would come back.
    assert_eq!(live.requests("/apis/apps/v1/deployments").len(), 1);
    let run = live.collect(&["--max-response-mib", "64"]);
    assert_eq!(run.status(key), "collected", "{}", run.reason(key));
}

// A hostile server does not declare the length: a chunked response is read only up to the
// limit, then the kind fails.
#[test]
fn an_oversized_chunked_response_is_cut_off_at_the_limit() {
    let live = Live::start(
        &fixture("small"),
        &[("deployments", "huge:200000000,chunked")],
    );
    // A generous timeout: on a loaded machine the debug-built stand-in streams slowly.
    let run = live.collect(&["--max-response-mib", "16", "--request-timeout", "180"]);
    let key = "deployments.apps";
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert_eq!(run.status(key), "failed", "{}", run.reason(key));
    assert!(
        run.reason(key).contains("larger than 16 MiB"),
        "{}",
        run.reason(key)
    );
    assert!(
        run.maxrss_kib < 80 * 1024,
        "collect took {} MiB reading a 200 MB chunked response",
        run.maxrss_kib / 1024
    );
    assert_eq!(live.requests("/apis/apps/v1/deployments").len(), 1);
}
