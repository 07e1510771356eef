//! Network isolation across the policy APIs real clusters use (NetworkPolicy, Cilium,
//! Calico, AdminNetworkPolicy), for pods and for workload templates, imported from an
//! export folder and collected live from the stand-in server.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use auditpack::Status;
use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    common::crate_dir().join("tests/fixtures").join(name)
}

fn evaluate(dir: &Path) -> auditpack::Findings {
    let snap = auditpack::import_dir(dir, &Default::default()).unwrap();
    auditpack::evaluate(&snap, &Default::default()).unwrap()
}

fn observations(f: &auditpack::Findings, id: &str) -> Vec<String> {
    f.checks
        .iter()
        .find(|c| c.id == id)
        .unwrap()
        .observations
        .iter()
        .map(|o| format!("{} {}", o.status, o.message))
        .collect()
}

fn status(f: &auditpack::Findings, id: &str) -> Status {
    f.checks.iter().find(|c| c.id == id).unwrap().status
}

#[test]
fn pods_and_workloads_isolated_by_each_api_are_named_and_a_cronjob_without_policy_fails() {
    let f = evaluate(&fixture("netpol"));
    let iso = observations(&f, "network.pod-isolation");
    for want in [
        "pass CiliumNetworkPolicy cilium-ns/default-deny isolates 1 pod or workload",
        "pass NetworkPolicy calico-ns/allow-frontend isolates 1 pod or workload",
        "pass AdminNetworkPolicy isolate-restricted isolates 1 pod or workload",
        "fail CronJob batch-ns/nightly-report is not isolated by any network policy for ingress or egress: that traffic is unrestricted",
        // The export holds no DaemonSet or Job list: said, not read as "none".
        "not-collected DaemonSet, Job were not collected: their pod templates are not judged",
    ] {
        assert!(iso.contains(&want.to_string()), "{want}\nnot in {iso:#?}");
    }
    assert_eq!(iso.len(), 5, "{iso:#?}");
    assert_eq!(status(&f, "network.pod-isolation"), Status::Fail);

    let dd = observations(&f, "network.default-deny");
    for want in [
        "pass namespace cilium-ns: CiliumNetworkPolicy cilium-ns/default-deny denies ingress and egress by default",
        "pass namespace anp-ns: AdminNetworkPolicy isolate-restricted denies ingress and egress by default",
        // Calico's policy selects only the API's pods: no namespace-wide default.
        "fail namespace calico-ns has no default-deny network policy for ingress or egress: every pod there accepts and opens any connection not otherwise restricted",
        "fail namespace batch-ns has no default-deny network policy for ingress or egress: every pod there accepts and opens any connection not otherwise restricted",
    ] {
        assert!(dd.contains(&want.to_string()), "{want}\nnot in {dd:#?}");
    }
}

fn copy_fixture(to: &Path) {
    for e in std::fs::read_dir(fixture("netpol")).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, to.join(p.file_name().unwrap())).unwrap();
    }
}

#[test]
fn policy_semantics_of_each_api_decide_isolation() {
    let dir = tempfile::tempdir().unwrap();
    copy_fixture(dir.path());
    // An allow rule for the `all` entity opens the pod; enableDefaultDeny: false leaves a
    // section without default deny; a higher-priority ANP Allow for every peer opens db.
    std::fs::write(
        dir.path().join("more.yaml"),
        r#"apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: open-web, namespace: cilium-ns}
spec:
  endpointSelector: {matchLabels: {k8s:app: web}}
  ingress:
  - fromEntities: [all]
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: audit-only}
spec:
  selector: all()
  namespaceSelector: kubernetes.io/metadata.name == 'batch-ns'
  types: [Ingress]
  ingress:
  - action: Log
  - action: Pass
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: allow-db-first}
spec:
  priority: 1
  subject:
    pods:
      namespaceSelector: {matchLabels: {tenant: restricted}}
      podSelector: {matchLabels: {app: db}}
  ingress:
  - name: everyone
    action: Allow
    from:
    - pods: {namespaceSelector: {}, podSelector: {}}
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: BaselineAdminNetworkPolicy
metadata: {name: default}
spec:
  subject:
    namespaces: {matchLabels: {kubernetes.io/metadata.name: batch-ns}}
  egress:
  - name: deny-everything
    action: Deny
    to:
    - namespaces: {}
    - networks: [0.0.0.0/0]
"#,
    )
    .unwrap();
    let f = evaluate(dir.path());
    let iso = observations(&f, "network.pod-isolation");
    for want in [
        "fail pod cilium-ns/web-0: CiliumNetworkPolicy cilium-ns/open-web admits all ingress, so that traffic is unrestricted",
        "fail StatefulSet anp-ns/db: AdminNetworkPolicy allow-db-first admits all ingress, so that traffic is unrestricted",
        // Pass leaves the tier; the baseline denies egress only.
        "fail CronJob batch-ns/nightly-report is not isolated by any network policy for ingress: that traffic is unrestricted",
    ] {
        assert!(iso.contains(&want.to_string()), "{want}\nnot in {iso:#?}");
    }
    assert!(
        !iso.iter().any(|o| o.contains("BaselineAdminNetworkPolicy")),
        "the CronJob is not isolated in both directions: {iso:#?}"
    );
}

#[test]
fn a_calico_selector_outside_the_subset_names_the_policy() {
    let dir = tempfile::tempdir().unwrap();
    copy_fixture(dir.path());
    std::fs::write(
        dir.path().join("bad.yaml"),
        "apiVersion: crd.projectcalico.org/v1\nkind: GlobalNetworkPolicy\nmetadata: {name: bad-selector}\nspec:\n  selector: app contains 'web'\n  types: [Ingress]\n",
    )
    .unwrap();
    let f = evaluate(dir.path());
    let dd = observations(&f, "network.default-deny");
    let bad: Vec<&String> = dd.iter().filter(|o| o.contains("bad-selector")).collect();
    assert_eq!(bad.len(), 1, "{dd:#?}");
    assert!(
        bad[0].starts_with("not-collected GlobalNetworkPolicy bad-selector: spec.selector `app contains 'web'`: at character 4: expected `==`"),
        "{}",
        bad[0]
    );
}

#[test]
fn live_collection_reads_a_cilium_policy_and_records_unserved_apis_as_absent() {
    let server = standin::Server::start(standin::Config::new(fixture("netpol"))).unwrap();
    let dir = tempfile::tempdir().unwrap();
    server
        .write_kubeconfig(&dir.path().join("kubeconfig"))
        .unwrap();
    let out = dir.path().join("snapshot.json");
    let o = Command::new(env!("CARGO_BIN_EXE_auditpack"))
        .args(["collect", "--kubeconfig", "kubeconfig", "--out"])
        .arg(&out)
        .current_dir(dir.path())
        .env_remove("KUBECONFIG")
        .env("HOME", dir.path())
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let snap: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let res = &snap["resources"];
    let cnp = &res["ciliumnetworkpolicies.cilium.io"];
    assert_eq!(cnp["status"], "collected");
    assert_eq!(cnp["items"][0]["spec"]["ingress"], serde_json::json!([{}]));
    assert_eq!(
        res["ciliumclusterwidenetworkpolicies.cilium.io"]["status"],
        "collected"
    );
    assert_eq!(
        res["adminnetworkpolicies.policy.networking.k8s.io"]["status"],
        "collected"
    );
    assert_eq!(
        res["networkpolicies.projectcalico.org"]["status"],
        "collected"
    );
    for absent in [
        "globalnetworkpolicies.projectcalico.org",
        "networkpolicies.crd.projectcalico.org",
        "baselineadminnetworkpolicies.policy.networking.k8s.io",
    ] {
        assert_eq!(res[absent]["status"], "absent", "{absent}: {}", res[absent]);
    }
    // And the live snapshot judges as the import does.
    let o = Command::new(env!("CARGO_BIN_EXE_auditpack"))
        .arg("evaluate")
        .arg(&out)
        .args(["--output", "json"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("CiliumNetworkPolicy cilium-ns/default-deny isolates 1 pod or workload"),
        "{text}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
}
