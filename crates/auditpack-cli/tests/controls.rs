//! Control evaluation against real public data and the Task API fixture cluster.

mod common;
use common::{objects, shared};

use std::path::{Path, PathBuf};

use auditpack::Subject;
use auditpack::internals::pss::{self, Level};
use auditpack::internals::rbac::Model;
use serde_json::Value;

fn realdata(rel: &str) -> PathBuf {
    shared().join("realdata").join(rel)
}

#[test]
fn pss_agrees_with_every_upstream_fixture() {
    let base = realdata("kubernetes-pod-security-admission/test/testdata");
    let mut total = 0;
    let mut agree = 0;
    let mut disagreements = Vec::new();
    for (level_dir, level) in [
        ("baseline", Level::Baseline),
        ("restricted", Level::Restricted),
    ] {
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
                        disagreements.push(format!(
                            "{level_dir}/{verdict}/{}: {v:?}",
                            f.file_name().unwrap().to_string_lossy()
                        ));
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
    assert!(
        disagreements.is_empty(),
        "disagreements:\n{}",
        disagreements.join("\n")
    );
}

fn default_rbac() -> (Vec<Value>, Vec<Value>, Vec<Value>, Vec<Value>) {
    let t =
        realdata("kubernetes-kubernetes/plugin/pkg/auth/authorizer/rbac/bootstrappolicy/testdata");
    (
        objects(&t.join("at-6bb6c993/namespace-roles.yaml")),
        objects(&t.join("at-1892e4de/namespace-role-bindings.yaml")),
        objects(&t.join("at-6bb6c993/cluster-roles.yaml")),
        objects(&t.join("at-c60df899/cluster-role-bindings.yaml")),
    )
}

fn user(n: &str) -> Subject {
    Subject {
        kind: "User".into(),
        name: n.into(),
        namespace: None,
    }
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
    rbs.push(rolebinding(
        "dev",
        "viewer",
        "view",
        serde_json::json!({"kind": "User", "name": "vera"}),
    ));
    rbs.push(rolebinding(
        "dev",
        "editor",
        "edit",
        serde_json::json!({"kind": "User", "name": "ed"}),
    ));
    rbs.push(rolebinding(
        "dev",
        "adm",
        "admin",
        serde_json::json!({"kind": "Group", "name": "dev-admins"}),
    ));
    rbs.push(rolebinding(
        "dev",
        "ci",
        "edit",
        serde_json::json!({"kind": "ServiceAccount", "name": "ci"}),
    ));
    let m = Model::build(&roles, &rbs, &crs, &crbs);
    let dev = Some("dev");
    let vera = user("vera");
    // view: aggregated from system:aggregate-to-view; stored rules of `view` are ignored.
    assert!(m.can(&vera, "get", "", "pods", dev, Some("p")));
    assert!(m.can(&vera, "list", "apps", "deployments", dev, None));
    assert!(
        !m.can(&vera, "get", "", "secrets", dev, Some("s")),
        "view must not read secrets"
    );
    assert!(!m.can(&vera, "create", "", "pods/exec", dev, Some("p")));
    assert!(
        !m.can(&vera, "get", "", "pods", Some("other"), Some("p")),
        "RoleBinding is namespaced"
    );
    assert!(!m.can(&vera, "delete", "", "pods", dev, Some("p")));
    let ed = user("ed");
    assert!(
        m.can(&ed, "create", "", "pods/exec", dev, Some("p")),
        "edit may exec into pods"
    );
    assert!(
        m.can(&ed, "get", "", "secrets", dev, Some("s")),
        "edit may read secrets"
    );
    assert!(
        m.can(&ed, "list", "", "pods", dev, None),
        "edit includes view (aggregation)"
    );
    assert!(
        !m.can(
            &ed,
            "create",
            "rbac.authorization.k8s.io",
            "roles",
            dev,
            None
        ),
        "edit cannot manage RBAC"
    );
    let adm = Subject {
        kind: "Group".into(),
        name: "dev-admins".into(),
        namespace: None,
    };
    assert!(m.can(
        &adm,
        "create",
        "rbac.authorization.k8s.io",
        "rolebindings",
        dev,
        None
    ));
    assert!(
        m.can(&adm, "create", "", "pods/exec", dev, None),
        "admin includes edit"
    );
    assert!(!m.can(&adm, "create", "", "namespaces", None, None));
    // ServiceAccount subject, namespace defaulted from the RoleBinding.
    let ci = Subject {
        kind: "ServiceAccount".into(),
        name: "ci".into(),
        namespace: Some("dev".into()),
    };
    assert!(m.can(&ci, "update", "apps", "deployments", dev, Some("d")));
    // system:masters can do anything; cluster-admin is bound to it.
    let root = user("root");
    assert!(!m.can(&root, "delete", "", "nodes", None, Some("n")));
    assert!(m.can_with_groups(
        &root,
        &["system:masters"],
        "delete",
        "",
        "nodes",
        None,
        Some("n")
    ));
    let masters = Subject {
        kind: "Group".into(),
        name: "system:masters".into(),
        namespace: None,
    };
    assert!(m.can(
        &masters,
        "escalate",
        "rbac.authorization.k8s.io",
        "clusterroles",
        None,
        None
    ));
    // Everyone authenticated may discover APIs (system:discovery via system:authenticated).
    assert!(m.can_url(&vera, "get", "/apis"));
    assert!(!m.can_url(&vera, "get", "/metrics"));
    // system:kube-scheduler binding: scheduler may bind pods and create events.
    let sched = user("system:kube-scheduler");
    assert!(m.can(&sched, "create", "", "pods/binding", Some("any"), None));
    assert!(!m.can(&sched, "delete", "", "secrets", Some("any"), Some("x")));
    // The system:node ClusterRoleBinding has no subjects in current clusters: nodes are
    // authorized by the Node authorizer, not RBAC.
    assert!(!m.can(
        &user("system:node:n1"),
        "get",
        "",
        "secrets",
        Some("dev"),
        Some("s")
    ));

    let review = m.access_review();
    let find = |s: &Subject| review.iter().find(|a| &a.subject == s).unwrap();
    assert_eq!(
        find(&masters).flags,
        [
            "admission-webhooks",
            "approve-csrs",
            "bind",
            "cluster-admin",
            "create-persistentvolumes",
            "csr-approval",
            "csr-signers",
            "escalate",
            "impersonate",
            "nodes-proxy",
            "pods-exec",
            "read-secrets",
            "serviceaccount-tokens",
            "services-status",
            "wildcard"
        ]
    );
    assert_eq!(find(&vera).flags, Vec::<String>::new());
    // edit may impersonate ServiceAccounts of its namespace and create their tokens
    // (system:aggregate-to-edit).
    assert_eq!(
        find(&ed).flags,
        [
            "impersonate",
            "pods-exec",
            "read-secrets",
            "serviceaccount-tokens"
        ]
    );
    assert!(m.can(&ed, "create", "", "serviceaccounts/token", dev, Some("ci")));
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
    let bot = Subject {
        kind: "ServiceAccount".into(),
        name: "bot".into(),
        namespace: Some("ops".into()),
    };
    assert!(m.can(
        &bot,
        "get",
        "apps",
        "deployments/status",
        Some("x"),
        Some("d")
    ));
    assert!(!m.can(
        &bot,
        "get",
        "apps",
        "deployments/scale",
        Some("x"),
        Some("d")
    ));
    assert!(m.can(&bot, "get", "", "configmaps", Some("x"), Some("app-config")));
    assert!(!m.can(&bot, "get", "", "configmaps", Some("x"), Some("other")));
    assert!(
        !m.can(&bot, "list", "", "configmaps", Some("x"), None),
        "resourceNames never allow list"
    );
    assert!(m.can(&bot, "deletecollection", "apps", "deployments", None, None));
    assert!(!m.can(&bot, "get", "apps", "deployments/scale", None, None));
}

/// The Task API example cluster through the real importer (its export folder carries the
/// EncryptionConfiguration and the audit Policy too).
fn task_api_snapshot() -> auditpack::Snapshot {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/clusters/task-api");
    let mut snap = auditpack::import_dir(&dir, &auditpack::ImportOptions::default()).unwrap();
    snap.collected_at = chrono::DateTime::parse_from_rfc3339("2026-11-01T00:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    assert!(snap.encryption_config.is_some() && snap.audit_policy.is_some());
    snap
}

fn summary(f: &auditpack::Findings) -> Vec<String> {
    let mut out = Vec::new();
    for c in &f.checks {
        out.push(format!("{} {}", c.id, c.status));
        for o in &c.observations {
            if o.status != auditpack::Status::Pass {
                out.push(format!("  {} {}", o.status, o.message));
            }
        }
    }
    out
}

/// Every check that is not `pass`, with its non-passing observations. The Task API fixture
/// plants four problems (cluster-admin for jane@example.com, frontend without default-deny,
/// a privileged pod in legacy, a RoleBinding to a deleted ServiceAccount); everything listed
/// here follows from one of them (the legacy pod is also the one workload without limits,
/// probes or a read-only root, and jane's cluster-admin holds every dangerous power), except
/// three honest gaps of the inputs themselves: the lesson's audit policy has no catch-all
/// rule, no audit-log summary was supplied, and the kubeadm API server leaves
/// --anonymous-auth at its default (true). The frontend's LoadBalancer Service is exposure
/// by design: its namespace is labelled `auditpack.io/public=true`.
const TASK_API_EXPECTED: &[&str] = &[
    "rbac.cluster-admin fail",
    "  fail User jane@example.com holds cluster-admin, wildcard cluster-wide through ClusterRoleBinding/jane-admin -> ClusterRole cluster-admin, granted by ClusterRole cluster-admin rules/0, rules/1",
    "rbac.secrets-read fail",
    "  fail User jane@example.com holds read-secrets cluster-wide through ClusterRoleBinding/jane-admin -> ClusterRole cluster-admin, granted by ClusterRole cluster-admin rules/0",
    "rbac.escalation fail",
    "  fail User jane@example.com holds escalate, bind, impersonate cluster-wide through ClusterRoleBinding/jane-admin -> ClusterRole cluster-admin, granted by ClusterRole cluster-admin rules/0",
    "rbac.pods-exec fail",
    "  fail User jane@example.com holds pods-exec cluster-wide through ClusterRoleBinding/jane-admin -> ClusterRole cluster-admin, granted by ClusterRole cluster-admin rules/0",
    "rbac.default-serviceaccount pass",
    "network.pod-isolation fail",
    "  fail Deployment frontend/web is not isolated by any network policy for ingress or egress: that traffic is unrestricted",
    "  fail pod frontend/web-5f6d7c8b9a-q4w5e is not isolated by any network policy for ingress or egress: that traffic is unrestricted",
    "network.allow-all pass",
    "encryption.at-rest pass",
    "encryption.volumes pass",
    "secrets.env-injection pass",
    "secrets.literal-env pass",
    "workload.default-namespace pass",
    "lifecycle.orphaned-bindings fail",
    "  manual User jane@example.com is bound by ClusterRoleBinding/jane-admin -> ClusterRole cluster-admin: whether this person or group still needs access cannot be seen from the cluster; confirm it against the identity provider's records",
    "  fail RoleBinding/production/ci-deployer-read names ServiceAccount production/ci-deployer, which does not exist: the grant lingers and would apply to any ServiceAccount later created with that name",
    "lifecycle.unused-serviceaccounts pass",
    "lifecycle.token-secrets pass",
    "lifecycle.automount pass",
    "lifecycle.access-changes not-applicable",
    "pss.namespace-labels pass",
    "pss.baseline fail",
    "  fail Pod legacy/report-runner violates baseline v1.34: container report-runner is privileged (privileged)",
    "pss.restricted fail",
    "  fail Pod legacy/report-runner violates restricted v1.34: container report-runner is privileged (privileged); container report-runner does not set allowPrivilegeEscalation=false (allowPrivilegeEscalation); container report-runner does not set runAsNonRoot=true (nor does the pod) (runAsNonRoot); container report-runner has no seccomp profile (nor does the pod) (seccompProfile_restricted); container report-runner does not drop ALL capabilities (capabilities_restricted)",
    "rbac.dangerous-powers fail",
    "  fail User jane@example.com holds approve CertificateSigningRequests (certificatesigningrequests/approval update + signers approve), nodes/proxy (the kubelet API), create PersistentVolumes, create ServiceAccount tokens (serviceaccounts/token), write admission webhook configurations, patch services/status (CVE-2020-8554) cluster-wide through ClusterRoleBinding/jane-admin -> ClusterRole cluster-admin, granted by ClusterRole cluster-admin rules/0",
    "workload.runtime-socket pass",
    "workload.net-raw fail",
    "  fail Pod legacy/report-runner: container report-runner is privileged: it holds every capability, NET_RAW included",
    "network.default-deny fail",
    "  fail namespace frontend has no default-deny network policy for ingress or egress: every pod there accepts and opens any connection not otherwise restricted",
    "exposure.services pass",
    "workload.host-port pass",
    "transit.api-tls pass",
    "transit.service-mtls pass",
    "integrity.image-signing pass",
    "integrity.image-digests pass",
    "workload.image-tag pass",
    "workload.read-only-root fail",
    "  fail Pod legacy/report-runner: container report-runner does not set readOnlyRootFilesystem: true",
    "audit.policy fail",
    "  fail no catch-all rule: requests that match no rule are not logged (for example `create deployments` is logged at None, and so are exec into pods and namespace deletion)",
    "audit.log-backend pass",
    "audit.log-continuity not-collected",
    "  not-collected no audit-log summary in the snapshot",
    "workload.resources fail",
    "  fail Pod legacy/report-runner: container report-runner sets no cpu request, no memory request, no cpu limit, no memory limit",
    "workload.probes fail",
    "  fail Pod legacy/report-runner: container report-runner has no liveness or readiness probe",
    "identity.unique-users pass",
    "authn.anonymous-auth fail",
    "  fail kube-apiserver-control-plane-1 does not set `--anonymous-auth`, whose default is true: requests without credentials are served as `system:anonymous`",
    "authn.static-credentials pass",
    "authn.authenticator pass",
];

#[test]
fn task_api_fixture_finds_each_planted_problem_and_nothing_else() {
    let snap = task_api_snapshot();
    let f = auditpack::evaluate(&snap, &Default::default()).unwrap();
    assert_eq!(summary(&f).join("\n"), TASK_API_EXPECTED.join("\n"));
    let controls: Vec<String> = f
        .controls
        .iter()
        .map(|c| format!("{} {} {}", c.framework, c.id, c.status))
        .collect();
    assert_eq!(
        controls,
        [
            "soc2 CC6.1 fail",
            "soc2 CC6.2 fail",
            "soc2 CC6.3 fail",
            "soc2 CC6.6 fail",
            "soc2 CC6.7 pass",
            "soc2 CC6.8 fail",
            "soc2 CC7.1 fail",
            "soc2 CC7.2 fail",
            "soc2 CC8.1 not-collected",
            "soc2 A1.1 fail",
            "soc2 A1.2 fail",
            "hipaa 164.312(a)(1) fail",
            "hipaa 164.312(a)(2)(i) pass",
            "hipaa 164.312(a)(2)(iv) pass",
            "hipaa 164.312(b) fail",
            "hipaa 164.312(c)(1) fail",
            "hipaa 164.312(d) fail",
            "hipaa 164.312(e)(1) fail",
            "hipaa 164.312(e)(2)(ii) pass",
        ]
    );
    // Evidence points into the objects.
    let orphan = f
        .checks
        .iter()
        .find(|c| c.id == "lifecycle.orphaned-bindings")
        .unwrap();
    let o = orphan
        .observations
        .iter()
        .find(|o| o.status == auditpack::Status::Fail)
        .unwrap();
    assert_eq!(o.evidence.kind, "rolebindings.rbac.authorization.k8s.io");
    assert_eq!(o.evidence.namespace.as_deref(), Some("production"));
    assert_eq!(o.evidence.name, "ci-deployer-read");
    assert_eq!(o.evidence.pointer, "/subjects/0");
    let pss = f.checks.iter().find(|c| c.id == "pss.baseline").unwrap();
    assert_eq!(
        pss.observations[0].evidence.pointer,
        "/spec/containers/0/securityContext/privileged"
    );
    assert!(
        pss.commands
            .contains(&"kubectl get pod report-runner -n legacy -o yaml".to_string())
    );
    let enc = f
        .checks
        .iter()
        .find(|c| c.id == "encryption.at-rest")
        .unwrap();
    assert!(
        enc.observations
            .iter()
            .any(|o| o.message.contains("aescbc")
                && o.evidence.pointer == "/resources/0/providers/0")
    );
    // The access review follows aggregation: the task-api ServiceAccount holds only its Role.
    let sa = f
        .access_review
        .iter()
        .find(|a| a.subject.name == "task-api-sa")
        .unwrap();
    assert_eq!(sa.grants.len(), 1);
    assert_eq!(sa.grants[0].verbs, ["get", "list"]);
    assert!(sa.flags.is_empty());
    let jane = f
        .access_review
        .iter()
        .find(|a| a.subject.name == "jane@example.com")
        .unwrap();
    assert!(jane.flags.contains(&"cluster-admin".to_string()));
}

#[test]
fn pci_dss_catalog_needs_no_code() {
    let snap = task_api_snapshot();
    let pci = auditpack::load_catalog(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/catalogs/pci-dss.yaml"),
    )
    .unwrap();
    let opts = auditpack::EvalOptions {
        frameworks: vec!["pci-dss".into()],
        catalogs: vec![pci],
        previous: None,
    };
    let f = auditpack::evaluate(&snap, &opts).unwrap();
    let controls: Vec<String> = f
        .controls
        .iter()
        .map(|c| format!("{} {}", c.id, c.status))
        .collect();
    assert_eq!(
        controls,
        [
            "1.3 fail",
            "2.2 fail",
            "3.5 pass",
            "4.2 pass",
            "7.2 fail",
            "8.2 fail",
            "10.2 fail"
        ]
    );
    assert_eq!(f.frameworks.len(), 1);
    assert!(f.frameworks[0].source.ends_with("pci-dss.yaml"));
}

mod net {
    use super::*;
    use auditpack::internals::network::{
        Endpoint, Port, allow_all_rules, allowed, is_default_deny, policy_types,
    };
    use serde_json::{Map, json};
    use std::collections::BTreeMap;

    fn recipe(prefix: &str) -> Value {
        let dir = realdata("ahmetb-kubernetes-network-policy-recipes");
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
            .collect();
        files.sort();
        let mut p = objects(&files[0]).remove(0);
        if p.pointer("/metadata/namespace").is_none() {
            p["metadata"]["namespace"] = json!("default");
        }
        p
    }

    fn l(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    fn namespaces() -> BTreeMap<String, Map<String, Value>> {
        let mut m = BTreeMap::new();
        m.insert(
            "default".into(),
            l(json!({"kubernetes.io/metadata.name": "default"})),
        );
        m.insert(
            "prod".into(),
            l(json!({"kubernetes.io/metadata.name": "prod", "purpose": "production"})),
        );
        m.insert(
            "ops".into(),
            l(json!({"kubernetes.io/metadata.name": "ops", "team": "operations"})),
        );
        m.insert(
            "other".into(),
            l(json!({"kubernetes.io/metadata.name": "other"})),
        );
        m.insert(
            "kube-system".into(),
            l(json!({"kubernetes.io/metadata.name": "kube-system"})),
        );
        m
    }

    fn tcp(n: u16) -> Option<Port<'static>> {
        Some(Port {
            protocol: "TCP",
            number: n,
            name: None,
        })
    }

    #[test]
    fn network_policy_recipes_behave_as_documented() {
        let ns = namespaces();
        let web = l(json!({"app": "web"}));
        let db = l(json!({"app": "db"}));
        let any = l(json!({"app": "client"}));
        let pod = |n: &'static str, labels: &'static Map<String, Value>| Endpoint::Pod {
            namespace: n,
            labels,
        };
        let web: &'static _ = Box::leak(Box::new(web));
        let db: &'static _ = Box::leak(Box::new(db));
        let any: &'static _ = Box::leak(Box::new(any));
        let outside = Endpoint::External("203.0.113.9".parse().unwrap());

        // 01: deny all traffic to app=web; other pods unaffected.
        let p01 = [recipe("01-")];
        assert!(!allowed(
            &p01,
            &ns,
            &pod("default", any),
            &pod("default", web),
            tcp(80)
        ));
        assert!(allowed(
            &p01,
            &ns,
            &pod("default", any),
            &pod("default", db),
            tcp(80)
        ));
        // 01 + 02a: policies are additive, the allow-all wins.
        let p02a = [recipe("01-"), recipe("02a-")];
        assert!(allowed(
            &p02a,
            &ns,
            &pod("other", any),
            &pod("default", web),
            tcp(80)
        ));
        assert!(allowed(&p02a, &ns, &outside, &pod("default", web), tcp(80)));
        assert_eq!(allow_all_rules(&recipe("02a-")).len(), 1);
        // 02: only app=bookstore pods reach the api.
        let api = Box::leak(Box::new(l(json!({"app": "bookstore", "role": "api"}))));
        let shop = Box::leak(Box::new(l(json!({"app": "bookstore", "role": "web"}))));
        let p02 = [recipe("02-")];
        assert!(allowed(
            &p02,
            &ns,
            &pod("default", shop),
            &pod("default", api),
            tcp(80)
        ));
        assert!(!allowed(
            &p02,
            &ns,
            &pod("default", any),
            &pod("default", api),
            tcp(80)
        ));
        assert!(
            !allowed(
                &p02,
                &ns,
                &pod("other", shop),
                &pod("default", api),
                tcp(80)
            ),
            "podSelector alone means the policy's namespace"
        );
        // 03: default-deny ingress for the namespace (Ingress only).
        let p03 = recipe("03-");
        assert!(is_default_deny(&p03, true));
        assert!(!is_default_deny(&p03, false));
        assert_eq!(policy_types(&p03), (true, false));
        assert!(!allowed(
            std::slice::from_ref(&p03),
            &ns,
            &pod("default", any),
            &pod("default", db),
            None
        ));
        // 04: deny from other namespaces (null matchLabels selects every pod).
        let p04 = [recipe("04-")];
        assert!(allowed(
            &p04,
            &ns,
            &pod("default", any),
            &pod("default", db),
            tcp(80)
        ));
        assert!(!allowed(
            &p04,
            &ns,
            &pod("other", any),
            &pod("default", db),
            tcp(80)
        ));
        // 05: from every namespace, but not from outside the cluster.
        let p05 = [recipe("05-")];
        assert!(allowed(
            &p05,
            &ns,
            &pod("other", any),
            &pod("default", web),
            tcp(80)
        ));
        assert!(!allowed(&p05, &ns, &outside, &pod("default", web), tcp(80)));
        assert!(
            allow_all_rules(&p05[0]).is_empty(),
            "namespaceSelector {{}} is every pod, not every address"
        );
        // 06: only namespaces labelled purpose=production.
        let p06 = [recipe("06-")];
        assert!(allowed(
            &p06,
            &ns,
            &pod("prod", any),
            &pod("default", web),
            tcp(80)
        ));
        assert!(!allowed(
            &p06,
            &ns,
            &pod("default", any),
            &pod("default", web),
            tcp(80)
        ));
        // 07: namespaceSelector AND podSelector in one peer.
        let mon = Box::leak(Box::new(l(json!({"type": "monitoring"}))));
        let p07 = [recipe("07-")];
        assert!(allowed(
            &p07,
            &ns,
            &pod("ops", mon),
            &pod("default", web),
            tcp(80)
        ));
        assert!(!allowed(
            &p07,
            &ns,
            &pod("ops", any),
            &pod("default", web),
            tcp(80)
        ));
        assert!(!allowed(
            &p07,
            &ns,
            &pod("other", mon),
            &pod("default", web),
            tcp(80)
        ));
        // 08: external traffic allowed, flagged as admitting everything.
        let p08 = [recipe("08-")];
        assert!(allowed(&p08, &ns, &outside, &pod("default", web), tcp(443)));
        assert!(!allow_all_rules(&p08[0]).is_empty());
        // 09: port 5000 from role=monitoring only.
        let apisrv = Box::leak(Box::new(l(json!({"app": "apiserver"}))));
        let monrole = Box::leak(Box::new(l(json!({"role": "monitoring"}))));
        let p09 = [recipe("09-")];
        assert!(allowed(
            &p09,
            &ns,
            &pod("default", monrole),
            &pod("default", apisrv),
            tcp(5000)
        ));
        assert!(!allowed(
            &p09,
            &ns,
            &pod("default", monrole),
            &pod("default", apisrv),
            tcp(8080)
        ));
        assert!(!allowed(
            &p09,
            &ns,
            &pod("default", monrole),
            &pod("default", apisrv),
            Some(Port {
                protocol: "UDP",
                number: 5000,
                name: None
            })
        ));
        assert!(!allowed(
            &p09,
            &ns,
            &pod("default", any),
            &pod("default", apisrv),
            tcp(5000)
        ));
        // 10: several podSelectors are ORed.
        let redis = Box::leak(Box::new(l(json!({"app": "bookstore", "role": "db"}))));
        let search = Box::leak(Box::new(l(json!({"app": "bookstore", "role": "search"}))));
        let p10 = [recipe("10-")];
        assert!(allowed(
            &p10,
            &ns,
            &pod("default", search),
            &pod("default", redis),
            tcp(6379)
        ));
        assert!(!allowed(
            &p10,
            &ns,
            &pod("default", shop),
            &pod("default", redis),
            tcp(6379)
        ));
        // 11: egress denied for app=foo; Egress-only policy leaves ingress open.
        let foo = Box::leak(Box::new(l(json!({"app": "foo"}))));
        let p11 = [recipe("11-deny-egress-traffic-from-an-application-1")];
        assert_eq!(policy_types(&p11[0]), (false, true));
        assert!(!allowed(
            &p11,
            &ns,
            &pod("default", foo),
            &pod("default", db),
            tcp(80)
        ));
        assert!(allowed(
            &p11,
            &ns,
            &pod("default", db),
            &pod("default", foo),
            tcp(80)
        ));
        // 11-2 and 14: DNS to kube-dns only.
        let dns = Box::leak(Box::new(l(json!({"k8s-app": "kube-dns"}))));
        for r in ["11-deny-egress-traffic-from-an-application-2", "14-"] {
            let p = [recipe(r)];
            assert!(
                allowed(
                    &p,
                    &ns,
                    &pod("default", foo),
                    &pod("kube-system", dns),
                    Some(Port {
                        protocol: "UDP",
                        number: 53,
                        name: None
                    })
                ),
                "{r}"
            );
            assert!(
                !allowed(
                    &p,
                    &ns,
                    &pod("default", foo),
                    &pod("kube-system", dns),
                    tcp(80)
                ),
                "{r}"
            );
            assert!(
                !allowed(&p, &ns, &pod("default", foo), &outside, tcp(443)),
                "{r}"
            );
        }
        // 12: namespace default-deny for egress.
        let p12 = recipe("12-");
        assert!(is_default_deny(&p12, false));
        assert!(!is_default_deny(&p12, true));
    }
}

fn check<'a>(f: &'a auditpack::Findings, id: &str) -> &'a auditpack::CheckResult {
    f.checks
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no check {id}"))
}

/// Evidence files read as the importer reads `--encryption-config` and `--audit-policy`
/// ([`auditpack::add_evidence_files`]: parsed, validated, key material removed),
/// into an empty snapshot.
fn import_evidence(
    encryption: Option<&Path>,
    audit_policy: Option<&Path>,
) -> Result<auditpack::Snapshot, auditpack::CollectError> {
    let mut snap = auditpack::Snapshot::new(chrono::Utc::now(), Default::default());
    auditpack::add_evidence_files(&mut snap, encryption, audit_policy)?;
    Ok(snap)
}

/// An audit Policy file as the importer reads it.
fn audit_policy_doc(path: &Path) -> auditpack::EvidenceFile {
    import_evidence(None, Some(path))
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .audit_policy
        .expect("imported")
}

/// An EncryptionConfiguration file as the importer reads it, or its refusal.
fn encryption_doc(path: &Path) -> Result<auditpack::EvidenceFile, auditpack::CollectError> {
    Ok(import_evidence(Some(path), None)?
        .encryption_config
        .expect("imported"))
}

/// An EncryptionConfiguration the importer refuses (kube-apiserver would not start with
/// it either), as a hand-made snapshot could still hold it: parsed by the importer's
/// parser, key material removed by the importer's redaction.
fn unvalidated_encryption_doc(path: &Path) -> auditpack::EvidenceFile {
    use sha2::Digest;
    let bytes = std::fs::read(path).unwrap();
    let docs = auditpack::internals::parse_documents(path, &bytes).unwrap();
    // A file with no document holds nothing (`null`).
    let mut document = docs.into_iter().next().map_or(Value::Null, |(_, d)| d);
    auditpack::internals::redact_encryption_config(&mut document);
    auditpack::EvidenceFile {
        path: path.display().to_string(),
        sha256: hex::encode(sha2::Sha256::digest(&bytes)),
        document,
    }
}

#[test]
fn audit_policy_rules_match_in_order_first_match_wins() {
    use auditpack::internals::audit::{AuditRequest, audit_level};
    let web = audit_policy_doc(&realdata(
        "kubernetes-website/content/en/examples/audit/audit-policy.yaml",
    ))
    .document;
    let g = ["system:authenticated"];
    let req = |verb,
               res: Option<(&'static str, &'static str, &'static str, &'static str)>,
               path| AuditRequest {
        user: "bob",
        groups: &g,
        verb,
        resource: res,
        path,
    };
    assert_eq!(
        audit_level(&web, &req("get", Some(("", "pods", "a", "p")), "")),
        ("RequestResponse".into(), Some(0))
    );
    assert_eq!(
        audit_level(&web, &req("get", Some(("", "pods/log", "a", "p")), "")),
        ("Metadata".into(), Some(1))
    );
    assert_eq!(
        audit_level(
            &web,
            &req(
                "update",
                Some(("", "configmaps", "a", "controller-leader")),
                ""
            )
        ),
        ("None".into(), Some(2))
    );
    assert_eq!(
        audit_level(
            &web,
            &req("update", Some(("", "configmaps", "kube-system", "x")), "")
        ),
        ("Request".into(), Some(5))
    );
    assert_eq!(
        audit_level(&web, &req("get", Some(("", "secrets", "a", "s")), "")),
        ("Metadata".into(), Some(6))
    );
    assert_eq!(
        audit_level(&web, &req("get", None, "/apis/apps")),
        ("None".into(), Some(4))
    );
    assert_eq!(
        audit_level(&web, &req("get", None, "/healthz")),
        ("Metadata".into(), Some(8))
    );
    let proxy = AuditRequest {
        user: "system:kube-proxy",
        groups: &g,
        verb: "watch",
        resource: Some(("", "endpoints", "a", "")),
        path: "",
    };
    assert_eq!(audit_level(&web, &proxy), ("None".into(), Some(3)));
    assert_eq!(
        audit_level(
            &web,
            &req("create", Some(("apps", "deployments", "a", "d")), "")
        ),
        ("Metadata".into(), Some(8))
    );

    // The check over each real policy.
    let mut snap = task_api_snapshot();
    let verdict = |snap: &auditpack::Snapshot| {
        let f = auditpack::evaluate(snap, &Default::default()).unwrap();
        let c = check(&f, "audit.policy").clone();
        (
            c.status,
            c.observations
                .iter()
                .map(|o| format!("{} {}", o.status, o.message))
                .collect::<Vec<_>>(),
        )
    };
    snap.audit_policy = Some(audit_policy_doc(&realdata(
        "kubernetes-website/content/en/examples/audit/audit-policy.yaml",
    )));
    let (st, obs) = verdict(&snap);
    assert_eq!(st, auditpack::Status::Partial, "{obs:#?}");
    assert!(
        obs.iter().any(
            |o| o.starts_with("pass every operation on Secrets is logged at Metadata")
                && o.ends_with("by rule 6")
        ),
        "{obs:#?}"
    );
    assert!(
        obs.iter()
            .any(|o| o.starts_with("partial every RBAC change: logged at Metadata (rule 8)")),
        "{obs:#?}"
    );
    assert!(
        obs.iter()
            .any(|o| o.starts_with("pass rule 8 is a catch-all at Metadata")),
        "{obs:#?}"
    );

    snap.audit_policy = Some(audit_policy_doc(&realdata(
        "falcosecurity-plugins/plugins/k8saudit/configs/audit-policy.yaml",
    )));
    let (st, obs) = verdict(&snap);
    assert_eq!(st, auditpack::Status::Partial);
    assert!(
        obs.iter().any(|o| o.contains("create clusterroles")
            || o.contains("clusterrolebindings") && o.contains("RequestResponse (rule 1)")),
        "{obs:#?}"
    );
    assert!(
        obs.iter()
            .any(|o| o.starts_with("partial create roles") && o.contains("Metadata (rule 10)")),
        "{obs:#?}"
    );

    snap.audit_policy = Some(audit_policy_doc(&realdata(
        "liggitt-audit2rbac/testdata/demo-policy.yaml",
    )));
    let (st, obs) = verdict(&snap);
    assert_eq!(st, auditpack::Status::Fail);
    assert!(
        obs.iter()
            .any(|o| o.starts_with("fail `get secrets` is logged at None (no rule matches)")),
        "{obs:#?}"
    );
    assert!(
        obs.iter().any(|o| o.starts_with("fail no catch-all rule")),
        "{obs:#?}"
    );

    // A policy that copies Secret bodies into the log fails.
    snap.audit_policy.as_mut().unwrap().document = serde_json::json!({"apiVersion": "audit.k8s.io/v1", "kind": "Policy", "rules": [{"level": "RequestResponse"}]});
    let (st, obs) = verdict(&snap);
    assert_eq!(st, auditpack::Status::Fail);
    assert!(
        obs.iter().any(|o| o.contains(
            "`get secrets` is logged at RequestResponse (rule 0): logged with request bodies"
        )),
        "{obs:#?}"
    );
}

#[test]
fn encryption_at_rest_reads_real_configs_and_says_when_it_cannot_see() {
    let base = realdata("kubernetes-apiserver/pkg/server/options/encryptionconfig/testdata");
    let mut snap = task_api_snapshot();
    let run = |snap: &auditpack::Snapshot| {
        let f = auditpack::evaluate(snap, &Default::default()).unwrap();
        let c = check(&f, "encryption.at-rest").clone();
        (
            c.status,
            c.observations
                .iter()
                .map(|o| format!("{} {}", o.status, o.message))
                .collect::<Vec<_>>()
                .join("\n"),
        )
    };
    for (file, status, needle) in [
        (
            "valid-configs/kmsv2-first.yaml",
            auditpack::Status::Pass,
            "kms v2",
        ),
        (
            "valid-configs/aes-gcm-first.yaml",
            auditpack::Status::Pass,
            "aesgcm",
        ),
        (
            "valid-configs/secret-box-first.yaml",
            auditpack::Status::Pass,
            "secretbox",
        ),
        (
            "valid-configs/aes-cbc-first.yaml",
            auditpack::Status::Pass,
            "aescbc as the first provider: weaker",
        ),
        (
            "valid-configs/kms-first.yaml",
            auditpack::Status::Pass,
            "kms v1 (deprecated)",
        ),
        (
            "valid-configs/identity-first.yaml",
            auditpack::Status::Fail,
            "identity (no encryption): new Secrets are written unencrypted",
        ),
        (
            "valid-configs/legacy.yaml",
            auditpack::Status::Fail,
            "identity",
        ),
        (
            "valid-configs/aes/aes-cbc-multiple-providers.json",
            auditpack::Status::Fail,
            "no resources entry covers secrets",
        ),
        // Invalid files: the API server would not start with them, so they prove nothing.
        (
            "invalid-configs/kms/invalid-apiversion.yaml",
            auditpack::Status::Fail,
            "kms with apiVersion v3",
        ),
        (
            "invalid-configs/kms/invalid-config-type.yaml",
            auditpack::Status::Fail,
            "is not an EncryptionConfiguration (kind \"EncryptionConfigurations\"",
        ),
        (
            "invalid-configs/kms/invalid-gvk.yaml",
            auditpack::Status::Fail,
            "is not an EncryptionConfiguration (kind \"\"",
        ),
        (
            "invalid-configs/kms/invalid-content.yaml",
            auditpack::Status::Fail,
            "is not an EncryptionConfiguration",
        ),
        (
            "invalid-configs/invalid-aes-gcm.yaml",
            auditpack::Status::Fail,
            "aesgcm with no keys",
        ),
    ] {
        // The importer takes every valid file; what it refuses is an invalid one, which
        // the check must still judge when a snapshot holds it.
        let ec = match encryption_doc(&base.join(file)) {
            Ok(ec) => ec,
            Err(e) => {
                assert!(file.starts_with("invalid-configs/"), "{file}: {e}");
                unvalidated_encryption_doc(&base.join(file))
            }
        };
        assert!(
            !serde_json::to_string(&ec.document)
                .unwrap()
                .contains("\"secret\":"),
            "key material removed"
        );
        snap.encryption_config = Some(ec);
        let (st, obs) = run(&snap);
        assert_eq!(st, status, "{file}: {obs}");
        assert!(obs.contains(needle), "{file}: {obs}");
    }
    // No file, but the API server names one: partial, asking for the file.
    snap.encryption_config = None;
    let (st, obs) = run(&snap);
    assert_eq!(st, auditpack::Status::Partial, "{obs}");
    assert!(
        obs.contains("--encryption-provider-config=/etc/kubernetes/enc/encryption-config.yaml")
    );
    // Managed control plane (no apiserver pod): manual, with an attestation request.
    let pods = snap.resources.get_mut("pods").unwrap();
    pods.items.retain(|p| p.namespace() != "kube-system");
    let (st, _) = run(&snap);
    assert_eq!(st, auditpack::Status::Manual);
    let f = auditpack::evaluate(&snap, &Default::default()).unwrap();
    assert!(
        check(&f, "encryption.at-rest")
            .remediation
            .as_deref()
            .unwrap()
            .contains("attestation")
    );
    assert_eq!(
        check(&f, "audit.log-backend").status,
        auditpack::Status::Manual
    );
    // Pods not collected: not-collected, never pass.
    snap.mark("pods", auditpack::CollectionStatus::Forbidden, "403");
    assert_eq!(run(&snap).0, auditpack::Status::NotCollected);
}

/// The workload, secrets and exposure checks: not-collected without their kinds (the one
/// failing workload of the Task API is a bare Pod, so templates alone pass nothing), and
/// not-applicable with nothing in scope, never pass.
#[test]
fn workload_secrets_and_exposure_checks_need_their_evidence() {
    const WORKLOAD: &[&str] = &[
        "workload.resources",
        "workload.read-only-root",
        "workload.probes",
        "workload.host-port",
        "workload.net-raw",
        "workload.runtime-socket",
        "workload.image-tag",
        "workload.default-namespace",
        "secrets.env-injection",
        "secrets.literal-env",
    ];
    let full = auditpack::evaluate(&task_api_snapshot(), &Default::default()).unwrap();
    assert_eq!(
        check(&full, "workload.resources").status,
        auditpack::Status::Fail
    );
    assert_eq!(
        check(&full, "exposure.services").status,
        auditpack::Status::Pass
    );

    let mut snap = task_api_snapshot();
    snap.mark("pods", auditpack::CollectionStatus::Forbidden, "403");
    snap.mark("services", auditpack::CollectionStatus::Forbidden, "403");
    let f = auditpack::evaluate(&snap, &Default::default()).unwrap();
    for id in WORKLOAD.iter().chain(&["exposure.services"]) {
        let c = check(&f, id);
        assert_eq!(
            c.status,
            auditpack::Status::NotCollected,
            "{id}: {}",
            c.explanation
        );
    }

    // Nothing in scope: only system pods, no templates, no application Services.
    let mut snap = task_api_snapshot();
    for key in [
        "deployments.apps",
        "statefulsets.apps",
        "daemonsets.apps",
        "jobs.batch",
        "cronjobs.batch",
    ] {
        snap.resources.get_mut(key).unwrap().items.retain(|_| false);
    }
    snap.resources
        .get_mut("pods")
        .unwrap()
        .items
        .retain(|p| p.namespace() == "kube-system");
    snap.resources
        .get_mut("services")
        .unwrap()
        .items
        .retain(|s| s.namespace() == "default");
    let f = auditpack::evaluate(&snap, &Default::default()).unwrap();
    for id in WORKLOAD {
        let c = check(&f, id);
        assert_eq!(
            c.status,
            auditpack::Status::NotApplicable,
            "{id}: {}",
            c.explanation
        );
        assert!(
            c.explanation.contains("system namespaces are not judged"),
            "{id}"
        );
    }
    // Only the API server's own ClusterIP Service in `default`: judged, nothing exposed.
    let c = check(&f, "exposure.services");
    assert_eq!(c.status, auditpack::Status::Pass, "{}", c.explanation);
    snap.resources
        .get_mut("services")
        .unwrap()
        .items
        .retain(|_| false);
    let f = auditpack::evaluate(&snap, &Default::default()).unwrap();
    assert_eq!(
        check(&f, "exposure.services").status,
        auditpack::Status::NotApplicable
    );
}

#[test]
fn uncollected_kinds_are_never_pass() {
    let mut snap = task_api_snapshot();
    snap.mark(
        "pods",
        auditpack::CollectionStatus::Forbidden,
        "pods is forbidden: User \"auditor\" cannot list resource \"pods\"",
    );
    snap.mark(
        "rolebindings.rbac.authorization.k8s.io",
        auditpack::CollectionStatus::Failed,
        "timeout",
    );
    snap.mark(
        "configurations.dapr.io",
        auditpack::CollectionStatus::NotCollected,
        "not requested",
    );
    let f = auditpack::evaluate(&snap, &Default::default()).unwrap();
    for id in [
        "rbac.cluster-admin",
        "rbac.secrets-read",
        "rbac.escalation",
        "rbac.pods-exec",
        "rbac.default-serviceaccount",
        "lifecycle.orphaned-bindings",
        "lifecycle.unused-serviceaccounts",
        "lifecycle.automount",
        "network.pod-isolation",
        "pss.baseline",
        "pss.restricted",
        "integrity.image-digests",
        "transit.service-mtls",
        "audit.log-backend",
    ] {
        let c = check(&f, id);
        assert_eq!(
            c.status,
            auditpack::Status::NotCollected,
            "{id}: {}",
            c.explanation
        );
        assert!(c.explanation.contains("not"), "{id}");
    }
    assert!(f.access_review.is_empty());
    // Kinds that were collected still give verdicts.
    assert_eq!(
        check(&f, "network.default-deny").status,
        auditpack::Status::Fail
    );
    assert_eq!(
        check(&f, "pss.namespace-labels").status,
        auditpack::Status::Pass
    );
    // No control that rests on an uncollected check passes.
    for c in &f.controls {
        let rests = c
            .checks
            .iter()
            .any(|id| check(&f, id).status == auditpack::Status::NotCollected);
        assert!(
            !(rests && c.status == auditpack::Status::Pass),
            "{} {}",
            c.framework,
            c.id
        );
    }
    // An optional kind that is absent (CRD not installed) is evidence of absence.
    let mut snap = task_api_snapshot();
    snap.mark(
        "clusterpolicies.kyverno.io",
        auditpack::CollectionStatus::Absent,
        "CRD not installed",
    );
    let f = auditpack::evaluate(&snap, &Default::default()).unwrap();
    assert_eq!(
        check(&f, "integrity.image-signing").status,
        auditpack::Status::Fail
    );
    snap.mark(
        "clusterpolicies.kyverno.io",
        auditpack::CollectionStatus::Forbidden,
        "403",
    );
    let f = auditpack::evaluate(&snap, &Default::default()).unwrap();
    assert_eq!(
        check(&f, "integrity.image-signing").status,
        auditpack::Status::NotCollected
    );
}

#[test]
fn access_changes_since_previous_snapshot() {
    let now = task_api_snapshot();
    let mut prev = task_api_snapshot();
    prev.collected_at = chrono::DateTime::parse_from_rfc3339("2026-08-01T00:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    // Last quarter jane had no binding, and a removed contractor could read pods in production.
    let crbs = prev
        .resources
        .get_mut("clusterrolebindings.rbac.authorization.k8s.io")
        .unwrap();
    crbs.items.retain(|b| b.name() != "jane-admin");
    prev.resources
        .get_mut("rolebindings.rbac.authorization.k8s.io")
        .unwrap()
        .items
        .push_value(&serde_json::json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": {"name": "contractor", "namespace": "production"},
            "roleRef": {"kind": "Role", "name": "task-api-role"},
            "subjects": [{"kind": "User", "name": "contractor@example.com"}]
        }));
    let old = auditpack::internals::rbac::Model::from_snapshot(&prev)
        .unwrap()
        .access_review();
    let new = auditpack::internals::rbac::Model::from_snapshot(&now)
        .unwrap()
        .access_review();
    let changes = auditpack::access_changes(&old, &new);
    let lines: Vec<String> = changes
        .iter()
        .map(|c| {
            format!(
                "{:?} {} {:?} {}",
                c.change, c.subject.name, c.grant.resources, c.grant.via
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            // cluster-admin's two rules: non-resource URLs `*`, then every resource.
            "Granted jane@example.com [] ClusterRoleBinding/jane-admin -> ClusterRole/cluster-admin",
            "Granted jane@example.com [\"*\"] ClusterRoleBinding/jane-admin -> ClusterRole/cluster-admin",
            "Removed contractor@example.com [\"pods\", \"configmaps\"] RoleBinding/production/contractor -> Role/task-api-role",
        ]
    );
    assert!(auditpack::access_changes(&new, &new).is_empty());
    let opts = auditpack::EvalOptions {
        previous: Some(prev),
        ..Default::default()
    };
    let f = auditpack::evaluate(&now, &opts).unwrap();
    let c = check(&f, "lifecycle.access-changes");
    assert_eq!(c.status, auditpack::Status::Manual);
    assert!(
        c.explanation
            .contains("2 permission(s) were granted and 1 removed"),
        "{}",
        c.explanation
    );
    assert!(c.observations.iter().any(|o| o.message.starts_with("removed: User contractor@example.com may get,list on pods,configmaps (groups core) in production")));
}

#[test]
fn audit_log_summary_continuity() {
    let mut snap = task_api_snapshot();
    let run = |snap: &auditpack::Snapshot| {
        let f = auditpack::evaluate(snap, &Default::default()).unwrap();
        check(&f, "audit.log-continuity").clone()
    };
    assert_eq!(run(&snap).status, auditpack::Status::NotCollected);
    let t = |s: &str| s.parse::<chrono::DateTime<chrono::Utc>>().unwrap();
    let mut sum = auditpack::AuditLogSummary::new(900);
    sum.since = Some(t("2026-10-01T00:00:00Z"));
    sum.until = Some(t("2026-10-02T00:00:00Z"));
    sum.first_event = Some(t("2026-10-01T00:00:03Z"));
    sum.last_event = Some(t("2026-10-01T23:59:58Z"));
    sum.events = 81234;
    snap.audit_log = Some(sum.clone());
    assert_eq!(run(&snap).status, auditpack::Status::Pass);
    sum.gaps.push(auditpack::Gap {
        start: t("2026-10-01T03:10:00Z"),
        end: t("2026-10-01T05:40:00Z"),
        seconds: 9000,
    });
    snap.audit_log = Some(sum.clone());
    let c = run(&snap);
    assert_eq!(c.status, auditpack::Status::Partial);
    assert!(c.observations.iter().any(|o| {
        o.message
            .contains("from 2026-10-01T03:10:00Z to 2026-10-01T05:40:00Z (9000 s")
    }));
    sum.first_event = Some(t("2026-10-01T08:00:00Z"));
    snap.audit_log = Some(sum);
    assert!(run(&snap).observations.iter().any(|o| {
        o.message
            .contains("until the first event (2026-10-01T08:00:00+00:00)")
    }));
    let mut empty = auditpack::AuditLogSummary::new(900);
    empty.since = Some(t("2026-10-01T00:00:00Z"));
    empty.until = Some(t("2026-10-02T00:00:00Z"));
    snap.audit_log = Some(empty);
    assert_eq!(run(&snap).status, auditpack::Status::Fail);
}

#[test]
fn catalog_errors_name_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("internal.yaml");
    std::fs::write(&p, "id: internal\nname: Internal\ncontrols:\n  - id: IC-1\n    title: t\n    requirement: r\n    checks:\n      - rbac.cluster-admin\n      - rbac.no-such-check\n").unwrap();
    let e = auditpack::load_catalog(&p).unwrap_err().to_string();
    assert!(e.starts_with(&format!("{}:9:", p.display())), "{e}");
    assert!(
        e.contains("`checks`") && e.contains("\"rbac.no-such-check\"") && e.contains("IC-1"),
        "{e}"
    );
    std::fs::write(
        &p,
        "id: internal\nname: Internal\ncontrols:\n  - id: IC-1\n    title: t\n    checks: []\n",
    )
    .unwrap();
    let e = auditpack::load_catalog(&p).unwrap_err().to_string();
    assert!(
        e.starts_with(&format!("{}:6:", p.display())) && e.contains("missing field `requirement`"),
        "{e}"
    );
    assert!(!e.contains("error: line"), "location given once: {e}");
    std::fs::write(&p, "id: internal\nname: Internal\ncontrols:\n  - id: IC-1\n    title: t\n    requirement: r\n    checks: []\n    chekcs: []\n").unwrap();
    let e = auditpack::load_catalog(&p).unwrap_err().to_string();
    assert!(e.contains("chekcs"), "{e}");
    // A catalog with a built-in id replaces it.
    std::fs::write(&p, "id: soc2\nname: Our SOC 2 mapping\ncontrols:\n  - id: CC6.6\n    title: Boundaries\n    requirement: r\n    checks: [network.default-deny]\n").unwrap();
    let soc2 = auditpack::load_catalog(&p).unwrap();
    let opts = auditpack::EvalOptions {
        frameworks: vec!["soc2".into()],
        catalogs: vec![soc2],
        previous: None,
    };
    let f = auditpack::evaluate(&task_api_snapshot(), &opts).unwrap();
    assert_eq!(f.controls.len(), 1);
    assert_eq!(f.frameworks[0].name, "Our SOC 2 mapping");
    assert_eq!(f.checks.len(), 1);
    let e = auditpack::evaluate(
        &task_api_snapshot(),
        &auditpack::EvalOptions {
            frameworks: vec!["iso27001".into()],
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(e.to_string().contains("soc2, hipaa"), "{e}");
}

mod cli {
    use super::*;
    use std::process::Command;

    fn bin() -> Command {
        Command::new(env!("CARGO_BIN_EXE_auditpack"))
    }

    #[test]
    fn evaluate_command_writes_deterministic_findings() {
        let dir = tempfile::tempdir().unwrap();
        let snap_path = dir.path().join("snapshot.json");
        std::fs::write(&snap_path, task_api_snapshot().to_json()).unwrap();
        let run = |args: &[&str]| {
            let out = bin()
                .current_dir(dir.path())
                .arg("evaluate")
                .args(args)
                .output()
                .unwrap();
            (
                out.status.code(),
                String::from_utf8(out.stdout).unwrap(),
                String::from_utf8(out.stderr).unwrap(),
            )
        };
        let (code, stdout, stderr) = run(&["snapshot.json"]);
        assert_eq!(code, Some(4), "a failing control exits 4: {stderr}");
        let f: auditpack::Findings = serde_json::from_str(&stdout).unwrap();
        assert_eq!(
            f.frameworks
                .iter()
                .map(|f| f.id.as_str())
                .collect::<Vec<_>>(),
            ["soc2", "hipaa"]
        );
        assert_eq!(f.snapshot_collected_at, "2026-11-01T00:00:00Z");
        assert_eq!(f.controls.len(), 19);
        // Same input, same bytes; --out writes the same document.
        let (_, again, _) = run(&["snapshot.json"]);
        assert_eq!(stdout, again);
        let (code, empty, _) = run(&["snapshot.json", "--out", "findings.json"]);
        assert_eq!((code, empty.as_str()), (Some(4), ""));
        assert_eq!(
            std::fs::read_to_string(dir.path().join("findings.json")).unwrap(),
            stdout
        );

        let catalog =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/catalogs/pci-dss.yaml");
        let (code, text, _) = run(&[
            "snapshot.json",
            "--framework",
            "pci-dss",
            "--catalog",
            catalog.to_str().unwrap(),
            "--output",
            "text",
        ]);
        assert_eq!(code, Some(4));
        assert!(text.contains("PCI DSS v4.0"), "{text}");

        // Exit codes by verdict: only passing checks give 0; a not-collected control with
        // none failing gives 3 (it was 0: missing evidence passed a CI gate); partial 5.
        let catalog = |name: &str, checks: &str| {
            std::fs::write(
                dir.path().join(name),
                format!("id: gate\nname: Gate\ncontrols:\n  - id: A\n    title: a\n    requirement: r\n    checks: [{checks}]\n"),
            )
            .unwrap();
        };
        catalog(
            "pass.yaml",
            "rbac.default-serviceaccount, network.allow-all",
        );
        let (code, _, stderr) = run(&[
            "snapshot.json",
            "--framework",
            "gate",
            "--catalog",
            "pass.yaml",
        ]);
        assert_eq!(code, Some(0), "{stderr}");
        catalog(
            "nc.yaml",
            "rbac.default-serviceaccount, audit.log-continuity",
        );
        let (code, _, stderr) = run(&[
            "snapshot.json",
            "--framework",
            "gate",
            "--catalog",
            "nc.yaml",
        ]);
        assert_eq!(
            code,
            Some(3),
            "a pass beside a not-collected check is incomplete: {stderr}"
        );
        catalog("mixed.yaml", "audit.log-continuity, rbac.cluster-admin");
        let (code, _, _) = run(&[
            "snapshot.json",
            "--framework",
            "gate",
            "--catalog",
            "mixed.yaml",
        ]);
        assert_eq!(code, Some(4), "fail outranks not-collected");
        assert!(text.contains("  1.3                fail"), "{text}");
        assert!(text.contains("[fail] rbac.cluster-admin"), "{text}");
        assert!(
            text.contains("$ kubectl get rolebindings,clusterrolebindings -A -o yaml"),
            "{text}"
        );

        // Usage errors exit 2 and say where.
        std::fs::write(dir.path().join("bad.yaml"), "id: x\nname: X\ncontrols:\n  - id: A\n    title: a\n    requirement: r\n    checks: [nope]\n").unwrap();
        let (code, _, stderr) = run(&["snapshot.json", "--catalog", "bad.yaml"]);
        assert_eq!(code, Some(2));
        assert!(
            stderr.contains("bad.yaml:7:") && stderr.contains("unknown check \"nope\""),
            "{stderr}"
        );
        let (code, _, stderr) = run(&["snapshot.json", "--framework", "iso27001"]);
        assert_eq!(code, Some(2));
        assert!(
            stderr.contains("unknown framework \"iso27001\""),
            "{stderr}"
        );
        let (code, _, stderr) = run(&["missing.json"]);
        assert_eq!(code, Some(2));
        assert!(stderr.contains("missing.json"), "{stderr}");

        // --previous adds the access changes.
        let mut prev = task_api_snapshot();
        prev.resources
            .get_mut("clusterrolebindings.rbac.authorization.k8s.io")
            .unwrap()
            .items
            .retain(|b| b.name() != "jane-admin");
        std::fs::write(dir.path().join("prev.json"), prev.to_json()).unwrap();
        let (_, stdout, _) = run(&["snapshot.json", "--previous", "prev.json"]);
        let f: auditpack::Findings = serde_json::from_str(&stdout).unwrap();
        let c = f
            .checks
            .iter()
            .find(|c| c.id == "lifecycle.access-changes")
            .unwrap();
        assert_eq!(c.status, auditpack::Status::Manual);
        assert_eq!(c.observations.len(), 2);
    }
}

#[test]
fn pod_templates_and_lifecycle_problems_are_found_where_they_live() {
    let mut snap = task_api_snapshot();
    let privileged = serde_json::json!({"containers": [{"name": "c", "image": "busybox:1.36", "securityContext": {"privileged": true}}]});
    snap.add_object(serde_json::json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "backup", "namespace": "database"},
        "spec": {"schedule": "0 * * * *", "jobTemplate": {"spec": {"template": {"spec": privileged}}}}}));
    // A RoleBinding to production's default ServiceAccount, an unused ServiceAccount and a
    // long-lived token Secret kept metadata-only without its type.
    snap.add_object(serde_json::json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
        "metadata": {"name": "default-reader", "namespace": "production"},
        "roleRef": {"kind": "Role", "name": "task-api-role"}, "subjects": [{"kind": "ServiceAccount", "name": "default"}]}));
    snap.add_object(serde_json::json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "old-batch", "namespace": "production"}}));
    snap.add_object(serde_json::json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "old-batch-token", "namespace": "production",
        "annotations": {"kubernetes.io/service-account.name": "old-batch"}}}));
    // A binding to a Role that does not exist (yet).
    snap.add_object(serde_json::json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
        "metadata": {"name": "future-role", "namespace": "production"},
        "roleRef": {"kind": "Role", "name": "deployer"}, "subjects": [{"kind": "ServiceAccount", "name": "task-api-sa"}]}));
    // A pod that mounts a token its ServiceAccount has no use for (default SA, automount left on).
    snap.add_object(serde_json::json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "debug", "namespace": "database"},
        "spec": {"serviceAccountName": "default", "automountServiceAccountToken": true, "containers": [{"name": "c", "image": "x@sha256:00"}]}}));
    // Bindings that look like bootstrap ones but grant a person or every authenticated user.
    for (name, subject) in [
        (
            "system:debug",
            serde_json::json!({"kind": "Group", "name": "system:authenticated"}),
        ),
        (
            "system:backdoor",
            serde_json::json!({"kind": "User", "name": "mallory@example.com"}),
        ),
    ] {
        snap.add_object(serde_json::json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": {"name": name, "annotations": {"rbac.authorization.kubernetes.io/autoupdate": "true"}},
            "roleRef": {"kind": "ClusterRole", "name": "cluster-admin"}, "subjects": [subject]}));
    }
    // An allow-all policy for every pod undoes production's default-deny for ingress.
    snap.add_object(
        serde_json::json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": "allow-everything", "namespace": "production"},
        "spec": {"podSelector": {}, "ingress": [{}]}}),
    );
    let f = auditpack::evaluate(&snap, &Default::default()).unwrap();
    let dd: Vec<String> = check(&f, "network.default-deny")
        .observations
        .iter()
        .filter(|o| o.evidence.namespace.as_deref() == Some("production"))
        .map(|o| format!("{} {}", o.status, o.message))
        .collect();
    assert_eq!(
        dd,
        [
            "fail namespace production: NetworkPolicy allow-everything admits all ingress to every pod, which undoes any default-deny for ingress",
            "partial namespace production: NetworkPolicy default-deny-all denies egress by default, but nothing denies ingress by default",
        ]
    );
    let admins: Vec<&str> = check(&f, "rbac.cluster-admin")
        .observations
        .iter()
        .map(|o| o.message.as_str())
        .collect();
    assert_eq!(
        admins,
        [
            "User jane@example.com holds cluster-admin, wildcard cluster-wide through ClusterRoleBinding/jane-admin -> ClusterRole cluster-admin, granted by ClusterRole cluster-admin rules/0, rules/1",
            "User mallory@example.com holds cluster-admin, wildcard cluster-wide through ClusterRoleBinding/system:backdoor -> ClusterRole cluster-admin, granted by ClusterRole cluster-admin rules/0, rules/1",
            "Group system:authenticated holds cluster-admin, wildcard cluster-wide through ClusterRoleBinding/system:debug -> ClusterRole cluster-admin, granted by ClusterRole cluster-admin rules/0, rules/1",
        ]
    );
    let pss = check(&f, "pss.baseline");
    let cj = pss
        .observations
        .iter()
        .find(|o| o.evidence.kind == "cronjobs.batch")
        .unwrap();
    assert_eq!(
        cj.evidence.pointer,
        "/spec/jobTemplate/spec/template/spec/containers/0/securityContext/privileged"
    );
    assert!(
        cj.message
            .starts_with("CronJob database/backup violates baseline")
    );
    let digests = check(&f, "integrity.image-digests");
    assert!(digests.observations.iter().any(|o| {
        o.message
            .contains("CronJob database/backup container c uses \"busybox:1.36\"")
    }));
    let signing = check(&f, "integrity.image-signing");
    assert_eq!(signing.status, auditpack::Status::Partial);
    let uncovered: Vec<&str> = signing
        .observations
        .iter()
        .filter(|o| o.status == auditpack::Status::Partial)
        .map(|o| o.message.as_str())
        .collect();
    assert_eq!(
        uncovered,
        [
            "CronJob database/backup runs image \"busybox:1.36\", which no enforcing signature policy covers",
            "Pod database/debug runs image \"x@sha256:00\", which no enforcing signature policy covers",
        ]
    );
    let d = check(&f, "rbac.default-serviceaccount");
    assert_eq!(d.status, auditpack::Status::Fail);
    assert_eq!(d.observations[0].evidence.name, "default-reader");
    let sa = f
        .access_review
        .iter()
        .find(|a| {
            a.subject.name == "default" && a.subject.namespace.as_deref() == Some("production")
        })
        .unwrap();
    assert_eq!(sa.flags, ["default-service-account"]);
    let orphans = check(&f, "lifecycle.orphaned-bindings");
    assert!(orphans.observations.iter().any(|o| o.status == auditpack::Status::Partial
        && o.message.starts_with("RoleBinding/production/future-role refers to Role deployer, which does not exist")
        && o.evidence.pointer == "/roleRef"));
    let unused = check(&f, "lifecycle.unused-serviceaccounts");
    assert_eq!(unused.status, auditpack::Status::Fail);
    assert!(unused.observations.iter().any(|o| {
        o.message
            .starts_with("ServiceAccount production/old-batch is used by no pod")
    }));
    let tokens = check(&f, "lifecycle.token-secrets");
    assert_eq!(tokens.status, auditpack::Status::Fail);
    assert!(
        tokens.explanation.contains("carry no `type`"),
        "{}",
        tokens.explanation
    );
    let auto = check(&f, "lifecycle.automount");
    assert_eq!(auto.status, auditpack::Status::Fail);
    let lines: Vec<&str> = auto
        .observations
        .iter()
        .filter(|o| o.status == auditpack::Status::Fail)
        .map(|o| o.message.as_str())
        .collect();
    assert_eq!(
        lines,
        [
            "Pod database/debug mounts an API token although it runs as the namespace's `default` ServiceAccount; the pod sets `automountServiceAccountToken: true`"
        ]
    );
}

#[test]
fn service_mtls_recognises_dapr_istio_and_linkerd() {
    let status = |snap: &auditpack::Snapshot| {
        let f = auditpack::evaluate(snap, &Default::default()).unwrap();
        let c = check(&f, "transit.service-mtls").clone();
        (
            c.status,
            c.observations
                .iter()
                .map(|o| format!("{} {}", o.status, o.message))
                .collect::<Vec<_>>(),
        )
    };
    let mut snap = task_api_snapshot();
    let (st, obs) = status(&snap);
    assert_eq!(st, auditpack::Status::Pass, "{obs:#?}");
    assert!(
        obs.iter().any(|o| o.starts_with("pass Dapr Sentry (the mTLS certificate authority) is healthy: its Deployment reports readyReplicas: 1, availableReplicas: 1 of 1 replica(s); 1 of its 1 pod(s) in the snapshot are Running and Ready")),
        "{obs:#?}"
    );
    // Its pods not Ready while the Deployment's status says ready: the two disagree, and the
    // observation says so instead of claiming "0 of its pods Ready" under a status excerpt
    // that shows `readyReplicas: 1`.
    snap.resources.get_mut("pods").unwrap().items.edit(|pods| {
        for p in pods {
            if p["metadata"]["name"]
                .as_str()
                .unwrap()
                .starts_with("dapr-sentry")
            {
                p["status"]["conditions"][0]["status"] = serde_json::json!("False");
            }
        }
    });
    let (st, obs) = status(&snap);
    assert_eq!(st, auditpack::Status::Partial, "{obs:#?}");
    assert!(
        obs.iter().any(|o| o.starts_with("partial Dapr Sentry's Deployment status and its pods disagree: its Deployment reports readyReplicas: 1")),
        "{obs:#?}"
    );
    // The Deployment's status says nothing is ready, and neither is a pod: Sentry is down.
    snap.resources
        .get_mut("deployments.apps")
        .unwrap()
        .items
        .edit(|deps| {
            for d in deps {
                if d["metadata"]["name"] == "dapr-sentry" {
                    d["status"]["readyReplicas"] = serde_json::json!(0);
                    d["status"]["availableReplicas"] = serde_json::json!(0);
                }
            }
        });
    let (st, obs) = status(&snap);
    assert_eq!(st, auditpack::Status::Fail, "{obs:#?}");
    assert!(
        obs.iter().any(|o| o.starts_with("fail Dapr Sentry is not healthy: its Deployment reports readyReplicas: 0, availableReplicas: 0 of 1 replica(s), and 0 of its 1 pod(s)")),
        "{obs:#?}"
    );
    // No mesh at all.
    let deps = snap.resources.get_mut("deployments.apps").unwrap();
    deps.items.retain(|d| d.name() != "dapr-sentry");
    let (st, obs) = status(&snap);
    assert_eq!(st, auditpack::Status::Fail);
    assert!(
        obs[0].contains("no Dapr Sentry, Istio PeerAuthentication or Linkerd identity found"),
        "{obs:#?}"
    );
    // Linkerd control plane, healthy.
    for n in ["linkerd-identity", "linkerd-proxy-injector"] {
        snap.add_object(serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": n, "namespace": "linkerd"},
            "spec": {"replicas": 1}, "status": {"readyReplicas": 1, "availableReplicas": 1}}));
    }
    let (st, obs) = status(&snap);
    assert_eq!(st, auditpack::Status::Pass, "{obs:#?}");
    // Istio PERMISSIVE: plain text still accepted.
    snap.add_object(serde_json::json!({"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication",
        "metadata": {"name": "default", "namespace": "istio-system"}, "spec": {"mtls": {"mode": "PERMISSIVE"}}}));
    let (st, obs) = status(&snap);
    assert_eq!(st, auditpack::Status::Partial);
    assert!(obs.iter().any(|o| o == "partial Istio PeerAuthentication istio-system/default sets mTLS mode PERMISSIVE for the whole mesh (plain text still accepted)"), "{obs:#?}");
}

/// Neither importing nor evaluating leaves parsed copies of the objects in the snapshot:
/// a large cluster's snapshot stays compact text through `packet` (evaluation keeps its
/// parsed objects to itself and drops them before rendering).
#[test]
fn import_and_evaluation_leave_the_snapshot_compact() {
    let snap = task_api_snapshot();
    let parsed = |snap: &auditpack::Snapshot| -> Vec<String> {
        snap.resources
            .iter()
            .filter(|(_, c)| c.items.is_parsed())
            .map(|(k, _)| k.clone())
            .collect()
    };
    assert!(snap.items("pods").unwrap().len() > 3);
    let snap = task_api_snapshot();
    assert_eq!(parsed(&snap), Vec::<String>::new());
    let f = auditpack::evaluate(&snap, &Default::default()).unwrap();
    assert!(f.checks.len() > 20);
    assert_eq!(parsed(&snap), Vec::<String>::new());
    // The same accessor checks used to call does keep a copy, which is what this guards.
    snap.items("pods").unwrap();
    assert_eq!(parsed(&snap), ["pods"]);
}

/// An export folder holding only Pods: the other workload kinds are not collected, yet a
/// privileged Pod with a tag-only image is a failure the checks saw, so they are `fail`
/// (saying the evidence is incomplete), never `not-collected`; a clean Pod alone stays
/// `not-collected`, never `pass`.
#[test]
fn a_failure_seen_is_not_hidden_by_missing_kinds() {
    let dir = tempfile::tempdir().unwrap();
    let pod = |name: &str, privileged: bool, image: &str| {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: shop\nspec:\n  containers:\n  - name: app\n    image: {image}\n    securityContext:\n      privileged: {privileged}\n"
        )
    };
    std::fs::write(
        dir.path().join("pods.yaml"),
        pod("miner", true, "ghcr.io/x/miner:latest"),
    )
    .unwrap();
    let snap = auditpack::import_dir(dir.path(), &auditpack::ImportOptions::default()).unwrap();
    assert!(snap.collected("deployments.apps").is_err());
    let f = auditpack::evaluate(&snap, &Default::default()).unwrap();
    for id in ["pss.baseline", "pss.restricted", "integrity.image-digests"] {
        let c = check(&f, id);
        assert_eq!(c.status, auditpack::Status::Fail, "{id}: {}", c.explanation);
        assert!(
            c.observations
                .iter()
                .any(|o| o.status == auditpack::Status::Fail && o.message.contains("miner")),
            "{id}"
        );
        assert!(
            c.explanation.contains("incomplete") && c.explanation.contains("deployments.apps"),
            "{id}: {}",
            c.explanation
        );
    }
    // A control resting on them fails too (soc2 CC6.3 maps the PSS checks).
    let cc63 = f
        .controls
        .iter()
        .find(|c| c.framework == "soc2" && c.id == "CC6.3")
        .unwrap();
    assert_eq!(cc63.status, auditpack::Status::Fail);

    // Without a failure, the missing kinds keep the check not-collected.
    std::fs::write(
        dir.path().join("pods.yaml"),
        pod(
            "web",
            false,
            "ghcr.io/x/web@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ),
    )
    .unwrap();
    let snap = auditpack::import_dir(dir.path(), &auditpack::ImportOptions::default()).unwrap();
    let f = auditpack::evaluate(&snap, &Default::default()).unwrap();
    for id in ["pss.baseline", "integrity.image-digests"] {
        let c = check(&f, id);
        assert_eq!(
            c.status,
            auditpack::Status::NotCollected,
            "{id}: {}",
            c.explanation
        );
        assert!(c.explanation.contains("not a pass"), "{id}");
    }
}

/// A copy of the Task API cluster's kube-apiserver pod, renamed, with `edit` applied to its
/// command.
fn second_apiserver(
    snap: &auditpack::Snapshot,
    name: &str,
    edit: impl Fn(&mut Vec<Value>),
) -> Value {
    let mut pod = snap
        .resources
        .get("pods")
        .unwrap()
        .items
        .iter()
        .find(|p| p.name() == "kube-apiserver-control-plane-1")
        .unwrap()
        .value()
        .clone();
    pod["metadata"]["name"] = serde_json::json!(name);
    let mut cmd = pod["spec"]["containers"][0]["command"]
        .as_array()
        .unwrap()
        .clone();
    edit(&mut cmd);
    pod["spec"]["containers"][0]["command"] = Value::Array(cmd);
    pod
}

#[test]
fn every_apiserver_of_an_ha_control_plane_is_judged() {
    let mut snap = task_api_snapshot();
    let f = auditpack::evaluate(&snap, &Default::default()).unwrap();
    assert_eq!(check(&f, "transit.api-tls").status, auditpack::Status::Pass);
    // A second apiserver, no label (found by its static-pod name), --secure-port=0 and no
    // audit flags.
    let mut pod = second_apiserver(&snap, "kube-apiserver-control-plane-2", |cmd| {
        cmd.retain(|a| !a.as_str().unwrap().starts_with("--audit-"));
        for a in cmd.iter_mut() {
            if a == "--secure-port=6443" {
                *a = serde_json::json!("--secure-port=0");
            }
        }
    });
    pod["metadata"]["labels"] = serde_json::json!({});
    snap.add_object(pod);
    let f = auditpack::evaluate(&snap, &Default::default()).unwrap();
    for id in ["transit.api-tls", "audit.log-backend"] {
        let c = check(&f, id);
        assert_eq!(c.status, auditpack::Status::Fail, "{id}: {c:#?}");
        assert!(
            c.explanation.contains("kube-apiserver-control-plane-2"),
            "{id}: {}",
            c.explanation
        );
        assert!(
            c.observations
                .iter()
                .any(|o| o.status == auditpack::Status::Fail
                    && o.message
                        .starts_with("kube-apiserver pod kube-apiserver-control-plane-2 ")
                    && o.evidence.name == "kube-apiserver-control-plane-2"),
            "{id}: {:#?}",
            c.observations
        );
        assert!(
            !c.observations
                .iter()
                .any(|o| o.status == auditpack::Status::Fail
                    && o.evidence.name == "kube-apiserver-control-plane-1"),
            "{id}: the healthy apiserver is not blamed"
        );
    }
    let pol = check(&f, "audit.policy");
    assert_eq!(pol.status, auditpack::Status::Fail);
}

#[test]
fn insecure_port_counts_before_kubernetes_1_20() {
    let status = |snap: &auditpack::Snapshot| {
        let f = auditpack::evaluate(snap, &Default::default()).unwrap();
        let c = check(&f, "transit.api-tls").clone();
        let obs: Vec<String> = c
            .observations
            .iter()
            .map(|o| format!("{} {}", o.status, o.message))
            .collect();
        (c.status, obs)
    };
    let with = |image: &str, insecure: Option<&str>| {
        let mut snap = task_api_snapshot();
        let pods = snap.resources.get_mut("pods").unwrap();
        pods.items.edit(|pods| {
            for p in pods {
                if p["metadata"]["name"] == "kube-apiserver-control-plane-1" {
                    p["spec"]["containers"][0]["image"] = serde_json::json!(image);
                    if let Some(v) = insecure {
                        p["spec"]["containers"][0]["command"]
                            .as_array_mut()
                            .unwrap()
                            .push(serde_json::json!(format!("--insecure-port={v}")));
                    }
                }
            }
        });
        snap
    };
    // 1.19 with the insecure port open: plain HTTP, fail.
    let (st, obs) = status(&with(
        "registry.k8s.io/kube-apiserver:v1.19.16",
        Some("8080"),
    ));
    assert_eq!(st, auditpack::Status::Fail, "{obs:#?}");
    assert!(obs.iter().any(|o| o.contains("(v1.19, before 1.20) serves plain HTTP without authentication or authorization on 127.0.0.1:8080")), "{obs:#?}");
    // 1.19 without the flag: the default port 8080 is open.
    let (st, obs) = status(&with("registry.k8s.io/kube-apiserver:v1.19.16", None));
    assert_eq!(st, auditpack::Status::Fail, "{obs:#?}");
    assert!(
        obs.iter()
            .any(|o| o.contains("(the default of --insecure-port)"))
    );
    // 1.19 with --insecure-port=0: pass.
    let (st, obs) = status(&with("registry.k8s.io/kube-apiserver:v1.19.16", Some("0")));
    assert_eq!(st, auditpack::Status::Pass, "{obs:#?}");
    // 1.34 with the flag set: ignored by the server, said so.
    let (st, obs) = status(&with(
        "registry.k8s.io/kube-apiserver:v1.34.1",
        Some("8080"),
    ));
    assert_eq!(st, auditpack::Status::Pass, "{obs:#?}");
    assert!(
        obs.iter().any(|o| o.contains("which the server ignores")),
        "{obs:#?}"
    );
    // Unknown version (no tag, none in the snapshot) with the flag: partial.
    let mut snap = with("registry.k8s.io/kube-apiserver", Some("8080"));
    snap.source.kubernetes_version = None;
    let (st, obs) = status(&snap);
    assert_eq!(st, auditpack::Status::Partial, "{obs:#?}");
    // The cluster's version stands in for a tag-less image.
    snap.source.kubernetes_version = Some("v1.18.20".into());
    assert_eq!(status(&snap).0, auditpack::Status::Fail);
}

/// sre gets pods/exec in production through `view`, which aggregates `view-exec-extra`.
fn with_aggregated_exec(snap: &mut auditpack::Snapshot) {
    snap.add_object(serde_json::json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
        "metadata": {"name": "view-exec-extra", "labels": {"rbac.authorization.k8s.io/aggregate-to-view": "true"}},
        "rules": [{"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]}]}));
    snap.add_object(serde_json::json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
        "metadata": {"name": "sre-view", "namespace": "production"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
        "subjects": [{"kind": "Group", "name": "oncall"}, {"kind": "User", "name": "sre@example.com"}]}));
}

#[test]
fn rbac_observations_name_the_granting_rule_and_the_aggregated_role() {
    let mut snap = task_api_snapshot();
    with_aggregated_exec(&mut snap);
    let f = auditpack::evaluate(&snap, &Default::default()).unwrap();
    let c = check(&f, "rbac.pods-exec");
    let sre = c
        .observations
        .iter()
        .find(|o| o.message.starts_with("User sre@example.com"))
        .unwrap_or_else(|| panic!("{:#?}", c.observations));
    assert_eq!(
        sre.message,
        "User sre@example.com holds pods-exec in namespace production through RoleBinding/production/sre-view -> ClusterRole view, granted by ClusterRole view-exec-extra rules/0 (aggregated into ClusterRole view)"
    );
    assert_eq!(sre.evidence.pointer, "/subjects/1");
    // jane's cluster-admin names the rule that carries it.
    let jane = &check(&f, "rbac.cluster-admin").observations[0];
    assert!(
        jane.message
            .ends_with(", granted by ClusterRole cluster-admin rules/0, rules/1"),
        "{}",
        jane.message
    );
}

#[test]
fn encryption_at_rest_judges_every_apiserver() {
    let mut snap = task_api_snapshot();
    let f = auditpack::evaluate(&snap, &Default::default()).unwrap();
    let before = check(&f, "encryption.at-rest").status;
    assert_ne!(
        before,
        auditpack::Status::Fail,
        "{:#?}",
        check(&f, "encryption.at-rest")
    );
    // A second apiserver started without the encryption configuration writes Secrets in
    // plain text, whatever the first one does.
    let pod = second_apiserver(&snap, "kube-apiserver-control-plane-2", |cmd| {
        cmd.retain(|a| {
            !a.as_str()
                .unwrap()
                .starts_with("--encryption-provider-config")
        });
    });
    snap.add_object(pod);
    let f = auditpack::evaluate(&snap, &Default::default()).unwrap();
    let c = check(&f, "encryption.at-rest");
    assert_eq!(c.status, auditpack::Status::Fail, "{c:#?}");
    assert!(
        c.explanation.contains("kube-apiserver-control-plane-2"),
        "{}",
        c.explanation
    );
    let failing: Vec<&str> = c
        .observations
        .iter()
        .filter(|o| o.status == auditpack::Status::Fail)
        .map(|o| o.evidence.name.as_str())
        .collect();
    assert_eq!(failing, ["kube-apiserver-control-plane-2"], "{c:#?}");
    // Without the file, the same second apiserver still fails the check (the partial
    // verdict of the first one does not hide it).
    snap.encryption_config = None;
    let f = auditpack::evaluate(&snap, &Default::default()).unwrap();
    let c = check(&f, "encryption.at-rest");
    assert_eq!(c.status, auditpack::Status::Fail, "{c:#?}");
    assert!(
        c.explanation.contains("kube-apiserver-control-plane-2"),
        "{}",
        c.explanation
    );
}

#[test]
fn authentication_checks_judge_every_apiserver() {
    let mut snap = task_api_snapshot();
    // The first apiserver refuses anonymous requests and reads no static file: both pass.
    snap.resources.get_mut("pods").unwrap().items.edit(|pods| {
        for p in pods {
            if p["metadata"]["name"] == "kube-apiserver-control-plane-1" {
                p["spec"]["containers"][0]["command"]
                    .as_array_mut()
                    .unwrap()
                    .push(serde_json::json!("--anonymous-auth=false"));
            }
        }
    });
    let f = auditpack::evaluate(&snap, &Default::default()).unwrap();
    let before: Vec<auditpack::Status> = ["authn.anonymous-auth", "authn.static-credentials"]
        .iter()
        .map(|id| check(&f, id).status)
        .collect();
    assert_eq!(before, [auditpack::Status::Pass, auditpack::Status::Pass]);
    // A second apiserver that accepts anonymous requests and a static token file.
    let pod = second_apiserver(&snap, "kube-apiserver-control-plane-2", |cmd| {
        cmd.retain(|a| !a.as_str().unwrap().starts_with("--anonymous-auth"));
        cmd.push(serde_json::json!("--anonymous-auth=true"));
        cmd.push(serde_json::json!(
            "--token-auth-file=/etc/kubernetes/tokens.csv"
        ));
    });
    snap.add_object(pod);
    let f = auditpack::evaluate(&snap, &Default::default()).unwrap();
    for (id, before) in ["authn.anonymous-auth", "authn.static-credentials"]
        .iter()
        .zip(before)
    {
        let c = check(&f, id);
        assert_eq!(
            c.status,
            auditpack::Status::Fail,
            "{id} (was {before}): {c:#?}"
        );
        assert!(
            c.explanation
                .contains("failing: kube-apiserver-control-plane-2"),
            "{id}: {}",
            c.explanation
        );
        assert!(
            !c.observations
                .iter()
                .any(|o| o.status == auditpack::Status::Fail
                    && o.evidence.name == "kube-apiserver-control-plane-1"),
            "{id}: the first apiserver is not blamed: {:#?}",
            c.observations
        );
    }
}

#[test]
fn a_supplied_audit_policy_must_be_read_by_every_apiserver() {
    let mut snap = task_api_snapshot();
    assert!(
        snap.audit_policy.is_some(),
        "the example cluster supplies its audit policy"
    );
    let failing_pods = |f: &auditpack::Findings| -> Vec<String> {
        check(f, "audit.policy")
            .observations
            .iter()
            .filter(|o| o.status == auditpack::Status::Fail && o.evidence.kind == "pods")
            .map(|o| o.evidence.name.clone())
            .collect()
    };
    let f = auditpack::evaluate(&snap, &Default::default()).unwrap();
    assert!(
        failing_pods(&f).is_empty(),
        "{:#?}",
        check(&f, "audit.policy")
    );
    assert!(
        check(&f, "audit.policy")
            .observations
            .iter()
            .any(|o| o.status == auditpack::Status::Pass
                && o.message.contains("--audit-policy-file="))
    );
    let pod = second_apiserver(&snap, "kube-apiserver-control-plane-2", |cmd| {
        cmd.retain(|a| !a.as_str().unwrap().starts_with("--audit-policy-file"));
    });
    snap.add_object(pod);
    let f = auditpack::evaluate(&snap, &Default::default()).unwrap();
    assert_eq!(check(&f, "audit.policy").status, auditpack::Status::Fail);
    assert_eq!(failing_pods(&f), ["kube-apiserver-control-plane-2"]);
}

/// Exports every kind the checks read as an empty list, and one empty Namespace.
fn empty_cluster_export(dir: &Path) {
    let kinds = [
        ("v1", "Pod"),
        ("v1", "Secret"),
        ("v1", "ServiceAccount"),
        ("v1", "PersistentVolume"),
        ("rbac.authorization.k8s.io/v1", "Role"),
        ("rbac.authorization.k8s.io/v1", "RoleBinding"),
        ("rbac.authorization.k8s.io/v1", "ClusterRole"),
        ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
        ("networking.k8s.io/v1", "NetworkPolicy"),
        ("apps/v1", "Deployment"),
        ("apps/v1", "StatefulSet"),
        ("apps/v1", "DaemonSet"),
        ("batch/v1", "Job"),
        ("batch/v1", "CronJob"),
        ("storage.k8s.io/v1", "StorageClass"),
    ];
    std::fs::create_dir_all(dir).unwrap();
    for (api, kind) in kinds {
        std::fs::write(
            dir.join(format!("{}.yaml", kind.to_lowercase())),
            format!("apiVersion: {api}\nkind: {kind}List\nitems: []\n"),
        )
        .unwrap();
    }
    std::fs::write(
        dir.join("namespaces.yaml"),
        "apiVersion: v1\nkind: NamespaceList\nitems:\n- apiVersion: v1\n  kind: Namespace\n  metadata: {name: quiet}\n",
    )
    .unwrap();
}

/// Collects `args` in `dir` and evaluates it through the binary; the check statuses.
fn statuses_via_cli(dir: &Path, args: &[&str]) -> std::collections::BTreeMap<String, Value> {
    let mut collect = vec!["collect"];
    collect.extend_from_slice(args);
    collect.extend_from_slice(&["--out", "s.json"]);
    common::ok(dir, &collect);
    let out = common::auditpack(dir, &["evaluate", "s.json", "--out", "f.json"]);
    assert!(common::wrote(&out.status), "{}", common::text(&out));
    let f: Value = serde_json::from_slice(&std::fs::read(dir.join("f.json")).unwrap()).unwrap();
    f["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["id"].as_str().unwrap().to_string(), c.clone()))
        .collect()
}

/// A check with nothing in scope says so and is `not-applicable`: "none of the 0
/// NetworkPolicies admits everything" is no evidence of anything, so it is never a pass.
#[test]
fn checks_with_nothing_in_scope_are_not_applicable_never_pass() {
    let dir = tempfile::tempdir().unwrap();
    empty_cluster_export(&dir.path().join("exports"));
    let checks = statuses_via_cli(dir.path(), &["--from-dir", "exports"]);
    let passing: Vec<&String> = checks
        .iter()
        .filter(|(_, c)| c["status"] == "pass")
        .map(|(id, _)| id)
        .collect();
    assert!(passing.is_empty(), "passes over nothing: {passing:?}");
    // One check of each family that reads the exported kinds.
    for id in [
        "rbac.cluster-admin",
        "rbac.secrets-read",
        "rbac.default-serviceaccount",
        "lifecycle.orphaned-bindings",
        "lifecycle.token-secrets",
        "network.allow-all",
        "network.pod-isolation",
        "pss.baseline",
        "encryption.volumes",
        "integrity.image-digests",
    ] {
        let c = &checks[id];
        assert_eq!(c["status"], "not-applicable", "{id}: {c:#}");
        let why = c["explanation"].as_str().unwrap();
        assert!(
            why.starts_with("There are no") || why.starts_with("The cluster has no"),
            "{id} does not say what is missing: {why}"
        );
    }
}

/// `-n` on an existing namespace that holds nothing: the namespaced checks have nothing
/// in scope and say so, while the cluster-wide ones still judge the cluster.
#[test]
fn an_empty_namespace_in_scope_gives_not_applicable_namespaced_checks() {
    let dir = tempfile::tempdir().unwrap();
    let cluster = common::task_api_copy(dir.path(), "c");
    std::fs::write(
        cluster.join("quiet-namespace.yaml"),
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: quiet\n",
    )
    .unwrap();
    let checks = statuses_via_cli(dir.path(), &["--from-dir", "c", "-n", "quiet"]);
    for id in [
        "network.allow-all",
        "lifecycle.token-secrets",
        "lifecycle.automount",
        "pss.baseline",
        "integrity.image-digests",
    ] {
        assert_eq!(
            checks[id]["status"], "not-applicable",
            "{id}: {:#}",
            checks[id]
        );
    }
    // jane's cluster-admin binding is cluster-scoped: still in scope, still a failure.
    assert_eq!(checks["rbac.cluster-admin"]["status"], "fail");
}
