//! Control evaluation against real public data and the Task API fixture cluster.

use std::path::{Path, PathBuf};

use auditpack::controls::fixture::parse_objects;
use auditpack::controls::pss::{self, Level};
use auditpack::controls::rbac::Model;
use auditpack::findings::Subject;
use serde_json::Value;

fn shared() -> PathBuf {
    if let Ok(p) = std::env::var("AUDITPACK_SHARED") {
        return PathBuf::from(p);
    }
    let beside = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    if beside.join("realdata").is_dir() {
        return beside;
    }
    PathBuf::from("/work/shared")
}

fn realdata(rel: &str) -> PathBuf {
    shared().join("realdata").join(rel)
}

fn objects(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    parse_objects(path, &text).unwrap()
}

#[test]
fn pss_agrees_with_every_upstream_fixture() {
    let base = realdata("kubernetes-pod-security-admission/test/testdata");
    let mut total = 0;
    let mut agree = 0;
    let mut disagreements = Vec::new();
    for (level_dir, level) in [("baseline", Level::Baseline), ("restricted", Level::Restricted)] {
        for verdict in ["pass", "fail"] {
            let dir = base.join(level_dir).join("v1.37").join(verdict);
            let mut files: Vec<_> = std::fs::read_dir(&dir)
                .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
                .map(|e| e.unwrap().path())
                .collect();
            files.sort();
            for f in files {
                for pod in objects(&f) {
                    total += 1;
                    let v = pss::check(&pod["metadata"], &pod["spec"], level);
                    let passes = v.is_empty();
                    if passes == (verdict == "pass") {
                        agree += 1;
                    } else {
                        disagreements.push(format!("{level_dir}/{verdict}/{}: {v:?}", f.file_name().unwrap().to_string_lossy()));
                    }
                }
            }
        }
    }
    println!(
        "PSS agreement: {agree}/{total} ({:.1}%)",
        100.0 * agree as f64 / total as f64
    );
    assert!(total >= 57, "expected every fixture, found {total}");
    assert!(disagreements.is_empty(), "disagreements:\n{}", disagreements.join("\n"));
}

fn default_rbac() -> (Vec<Value>, Vec<Value>, Vec<Value>, Vec<Value>) {
    let t = realdata("kubernetes-kubernetes/plugin/pkg/auth/authorizer/rbac/bootstrappolicy/testdata");
    (
        objects(&t.join("at-6bb6c993/namespace-roles.yaml")),
        objects(&t.join("at-1892e4de/namespace-role-bindings.yaml")),
        objects(&t.join("at-6bb6c993/cluster-roles.yaml")),
        objects(&t.join("at-c60df899/cluster-role-bindings.yaml")),
    )
}

fn user(n: &str) -> Subject {
    Subject { kind: "User".into(), name: n.into(), namespace: None }
}

fn rolebinding(ns: &str, name: &str, role: &str, subject: Value) -> Value {
    serde_json::json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
        "metadata": {"name": name, "namespace": ns},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
        "subjects": [subject]
    })
}

#[test]
fn rbac_default_roles_answer_like_kubectl_auth_can_i() {
    let (roles, mut rbs, crs, crbs) = default_rbac();
    rbs.push(rolebinding("dev", "viewer", "view", serde_json::json!({"kind": "User", "name": "vera"})));
    rbs.push(rolebinding("dev", "editor", "edit", serde_json::json!({"kind": "User", "name": "ed"})));
    rbs.push(rolebinding("dev", "adm", "admin", serde_json::json!({"kind": "Group", "name": "dev-admins"})));
    rbs.push(rolebinding("dev", "ci", "edit", serde_json::json!({"kind": "ServiceAccount", "name": "ci"})));
    let m = Model::build(&roles, &rbs, &crs, &crbs);
    let dev = Some("dev");
    let vera = user("vera");
    // view: aggregated from system:aggregate-to-view; stored rules of `view` are ignored.
    assert!(m.can(&vera, "get", "", "pods", dev, Some("p")));
    assert!(m.can(&vera, "list", "apps", "deployments", dev, None));
    assert!(!m.can(&vera, "get", "", "secrets", dev, Some("s")), "view must not read secrets");
    assert!(!m.can(&vera, "create", "", "pods/exec", dev, Some("p")));
    assert!(!m.can(&vera, "get", "", "pods", Some("other"), Some("p")), "RoleBinding is namespaced");
    assert!(!m.can(&vera, "delete", "", "pods", dev, Some("p")));
    let ed = user("ed");
    assert!(m.can(&ed, "create", "", "pods/exec", dev, Some("p")), "edit may exec into pods");
    assert!(m.can(&ed, "get", "", "secrets", dev, Some("s")), "edit may read secrets");
    assert!(m.can(&ed, "list", "", "pods", dev, None), "edit includes view (aggregation)");
    assert!(!m.can(&ed, "create", "rbac.authorization.k8s.io", "roles", dev, None), "edit cannot manage RBAC");
    let adm = Subject { kind: "Group".into(), name: "dev-admins".into(), namespace: None };
    assert!(m.can(&adm, "create", "rbac.authorization.k8s.io", "rolebindings", dev, None));
    assert!(m.can(&adm, "create", "", "pods/exec", dev, None), "admin includes edit");
    assert!(!m.can(&adm, "create", "", "namespaces", None, None));
    // ServiceAccount subject, namespace defaulted from the RoleBinding.
    let ci = Subject { kind: "ServiceAccount".into(), name: "ci".into(), namespace: Some("dev".into()) };
    assert!(m.can(&ci, "update", "apps", "deployments", dev, Some("d")));
    // system:masters can do anything; cluster-admin is bound to it.
    let root = user("root");
    assert!(!m.can(&root, "delete", "", "nodes", None, Some("n")));
    assert!(m.can_with_groups(&root, &["system:masters"], "delete", "", "nodes", None, Some("n")));
    let masters = Subject { kind: "Group".into(), name: "system:masters".into(), namespace: None };
    assert!(m.can(&masters, "escalate", "rbac.authorization.k8s.io", "clusterroles", None, None));
    // Everyone authenticated may discover APIs (system:discovery via system:authenticated).
    assert!(m.can_url(&vera, "get", "/apis"));
    assert!(!m.can_url(&vera, "get", "/metrics"));
    // system:kube-scheduler binding: scheduler may bind pods and create events.
    let sched = user("system:kube-scheduler");
    assert!(m.can(&sched, "create", "", "pods/binding", Some("any"), None));
    assert!(!m.can(&sched, "delete", "", "secrets", Some("any"), Some("x")));
    // The system:node ClusterRoleBinding has no subjects in current clusters: nodes are
    // authorized by the Node authorizer, not RBAC.
    assert!(!m.can(&user("system:node:n1"), "get", "", "secrets", Some("dev"), Some("s")));

    let review = m.access_review();
    let find = |s: &Subject| review.iter().find(|a| &a.subject == s).unwrap();
    assert_eq!(find(&masters).flags, ["bind", "cluster-admin", "escalate", "impersonate", "pods-exec", "read-secrets", "wildcard"]);
    assert_eq!(find(&vera).flags, Vec::<String>::new());
    // edit may impersonate ServiceAccounts of its namespace (system:aggregate-to-edit).
    assert_eq!(find(&ed).flags, ["impersonate", "pods-exec", "read-secrets"]);
    assert!(m.can(&ed, "impersonate", "", "serviceaccounts", dev, Some("ci")));
    assert!(!m.can(&ed, "impersonate", "", "users", None, Some("jane")));
    assert!(find(&adm).flags.contains(&"pods-exec".to_string()));
}

#[test]
fn rbac_wildcards_subresources_and_resource_names() {
    let cr = serde_json::json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
        "metadata": {"name": "odd"},
        "rules": [
            {"apiGroups": ["*"], "resources": ["*/status"], "verbs": ["get"]},
            {"apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["app-config"], "verbs": ["get", "update"]},
            {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["*"]}
        ]});
    let crb = serde_json::json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
        "metadata": {"name": "odd"}, "roleRef": {"kind": "ClusterRole", "name": "odd"},
        "subjects": [{"kind": "User", "name": "system:serviceaccount:ops:bot"}]});
    let m = Model::build(&[], &[], &[cr], &[crb]);
    let bot = Subject { kind: "ServiceAccount".into(), name: "bot".into(), namespace: Some("ops".into()) };
    assert!(m.can(&bot, "get", "apps", "deployments/status", Some("x"), Some("d")));
    assert!(!m.can(&bot, "get", "apps", "deployments/scale", Some("x"), Some("d")));
    assert!(m.can(&bot, "get", "", "configmaps", Some("x"), Some("app-config")));
    assert!(!m.can(&bot, "get", "", "configmaps", Some("x"), Some("other")));
    assert!(!m.can(&bot, "list", "", "configmaps", Some("x"), None), "resourceNames never allow list");
    assert!(m.can(&bot, "deletecollection", "apps", "deployments", None, None));
    assert!(!m.can(&bot, "get", "apps", "deployments/scale", None, None));
}
