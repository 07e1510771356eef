//! A hand-built Task API–like snapshot and findings, for tests and for wiring `packet` and
//! `demo` before the real collector and evaluator are merged. Not a stable interface.

use chrono::{TimeZone, Utc};
use serde_json::{Value, json};

use crate::findings::{
    CheckResult, ControlResult, EvidenceRef, Findings, FrameworkInfo, Grant, Observation, Status,
    Subject, SubjectAccess,
};
use crate::snapshot::{CollectionStatus, Identity, Snapshot, Source, SourceMode};

fn ns(name: &str, labels: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": name, "labels": labels, "uid": format!("uid-ns-{name}")}})
}

/// The sample snapshot: cluster `task-api-prod`, collected 2026-11-20T09:30:00Z.
pub fn sample_snapshot() -> Snapshot {
    let source = Source {
        mode: SourceMode::Live,
        server: Some("https://203.0.113.10:6443".into()),
        context: Some("task-api-prod-admin".into()),
        cluster: Some("task-api-prod".into()),
        kubernetes_version: Some("v1.34.2".into()),
        namespaces: vec![],
        files: vec![],
    };
    let mut s = Snapshot::new(
        Utc.with_ymd_and_hms(2026, 11, 20, 9, 30, 0).unwrap(),
        source,
    );
    s.collected_by = Some(Identity {
        username: "platform-oncall@example.com".into(),
        uid: None,
        groups: vec!["platform-admins".into(), "system:authenticated".into()],
    });
    let restricted = json!({
        "kubernetes.io/metadata.name": "production",
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/enforce-version": "latest"});
    for o in [
        ns("ci", json!({"kubernetes.io/metadata.name": "ci"})),
        ns(
            "dapr-system",
            json!({"kubernetes.io/metadata.name": "dapr-system", "pod-security.kubernetes.io/enforce": "baseline"}),
        ),
        ns("default", json!({"kubernetes.io/metadata.name": "default"})),
        ns(
            "kube-system",
            json!({"kubernetes.io/metadata.name": "kube-system"}),
        ),
        ns("legacy", json!({"kubernetes.io/metadata.name": "legacy"})),
        ns("production", restricted),
        ns(
            "staging",
            json!({"kubernetes.io/metadata.name": "staging", "pod-security.kubernetes.io/enforce": "baseline"}),
        ),
        json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "ci-deployer", "namespace": "ci"}}),
        json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default", "namespace": "production"}, "automountServiceAccountToken": false}),
        json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "task-api-sa", "namespace": "production",
            "labels": {"app": "task-api"}}, "automountServiceAccountToken": false}),
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "task-api-db", "namespace": "production"}, "type": "Opaque"}),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
            "metadata": {"name": "task-api-role", "namespace": "production"},
            "rules": [{"apiGroups": [""], "resources": ["pods", "configmaps"], "verbs": ["get", "list"]}]}),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": {"name": "task-api-rolebinding", "namespace": "production"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "task-api-role"},
            "subjects": [{"kind": "ServiceAccount", "name": "task-api-sa", "namespace": "production"}]}),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": "cluster-admin", "labels": {"kubernetes.io/bootstrapping": "rbac-defaults"}},
            "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}, {"nonResourceURLs": ["*"], "verbs": ["*"]}]}),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": {"name": "ci-deployer-admin"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
            "subjects": [{"kind": "ServiceAccount", "name": "ci-deployer", "namespace": "ci"}]}),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": {"name": "cluster-admin", "labels": {"kubernetes.io/bootstrapping": "rbac-defaults"}},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:masters"}]}),
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": "default-deny", "namespace": "production"},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}}),
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": "task-api-network", "namespace": "production"},
            "spec": {"podSelector": {"matchLabels": {"app": "task-api"}}, "policyTypes": ["Ingress", "Egress"],
                "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"name": "frontend"}}}]}],
                "egress": [{"to": [{"namespaceSelector": {"matchLabels": {"name": "database"}}}]}]}}),
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "dapr-sentry", "namespace": "dapr-system", "labels": {"app": "dapr-sentry"}},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "dapr-sentry"}},
                "template": {"metadata": {"labels": {"app": "dapr-sentry"}},
                    "spec": {"serviceAccountName": "dapr-sentry", "containers": [{"name": "dapr-sentry", "image": "ghcr.io/dapr/sentry:1.12.0"}]}}},
            "status": {"readyReplicas": 1, "replicas": 1}}),
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "task-api", "namespace": "production", "labels": {"app": "task-api"}},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "task-api"}},
                "template": {"metadata": {"labels": {"app": "task-api"}, "annotations": {"dapr.io/enabled": "true", "dapr.io/app-id": "task-api"}},
                    "spec": {"serviceAccountName": "task-api-sa", "automountServiceAccountToken": false,
                        "containers": [{"name": "task-api", "image": "registry.example.com/task-api:2.4.1",
                            "env": [{"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "task-api-db", "key": "password"}}}],
                            "securityContext": {"allowPrivilegeEscalation": false, "runAsNonRoot": true,
                                "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}}}]}}}}),
        json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "node-debugger", "namespace": "legacy"},
            "spec": {"hostPID": true, "containers": [{"name": "debugger", "image": "busybox:1.36",
                "securityContext": {"privileged": true}}]}}),
        json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "task-api-7d9f8b6c5-x2k4q", "namespace": "production", "labels": {"app": "task-api"}},
            "spec": {"serviceAccountName": "task-api-sa", "containers": [{"name": "task-api", "image": "registry.example.com/task-api:2.4.1",
                "securityContext": {"allowPrivilegeEscalation": false, "runAsNonRoot": true,
                    "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}}}]}}),
        json!({"apiVersion": "dapr.io/v1alpha1", "kind": "Configuration",
            "metadata": {"name": "daprsystem", "namespace": "dapr-system"},
            "spec": {"mtls": {"enabled": true, "workloadCertTTL": "24h", "allowedClockSkew": "15m"}}}),
    ] {
        s.add_object(o);
    }
    for key in [
        "statefulsets.apps",
        "daemonsets.apps",
        "jobs.batch",
        "cronjobs.batch",
        "validatingwebhookconfigurations.admissionregistration.k8s.io",
        "mutatingwebhookconfigurations.admissionregistration.k8s.io",
        "validatingadmissionpolicies.admissionregistration.k8s.io",
        "validatingadmissionpolicybindings.admissionregistration.k8s.io",
    ] {
        s.mark_collected(key);
    }
    for key in [
        "peerauthentications.security.istio.io",
        "clusterpolicies.kyverno.io",
        "clusterimagepolicies.policy.sigstore.dev",
    ] {
        s.mark(
            key,
            CollectionStatus::Absent,
            "the API server does not serve this kind (CRD not installed)",
        );
    }
    s.redactions.push(crate::snapshot::Redaction {
        kind: "secrets".into(),
        namespace: Some("production".into()),
        name: "task-api-db".into(),
        pointer: "/data".into(),
        reason: "secret data".into(),
    });
    s.normalize();
    s
}

fn ev(kind: &str, ns: Option<&str>, name: &str, pointer: &str) -> EvidenceRef {
    EvidenceRef {
        kind: kind.into(),
        namespace: ns.map(str::to_string),
        name: name.into(),
        pointer: pointer.into(),
    }
}

fn obs(status: Status, message: &str, evidence: EvidenceRef) -> Observation {
    Observation {
        status,
        message: message.into(),
        evidence,
    }
}

#[allow(clippy::too_many_arguments)]
fn check(
    id: &str,
    title: &str,
    resource: &str,
    status: Status,
    explanation: &str,
    remediation: Option<&str>,
    observations: Vec<Observation>,
    commands: &[&str],
) -> CheckResult {
    CheckResult {
        id: id.into(),
        title: title.into(),
        resource: resource.into(),
        status,
        explanation: explanation.into(),
        remediation: remediation.map(str::to_string),
        observations,
        commands: commands.iter().map(|c| c.to_string()).collect(),
    }
}

const RB: &str = "rolebindings.rbac.authorization.k8s.io";
const CRB: &str = "clusterrolebindings.rbac.authorization.k8s.io";
const NP: &str = "networkpolicies.networking.k8s.io";

/// The sample findings (SOC2 and HIPAA) for [`sample_snapshot`].
pub fn sample_findings() -> Findings {
    use Status::*;
    let checks = vec![
        check(
            "rbac.service-accounts",
            "Dedicated service accounts",
            "ServiceAccounts and the Pod templates that use them",
            Pass,
            "Every workload outside the system namespaces runs under a ServiceAccount of its own, not the namespace's default account.",
            None,
            vec![
                obs(
                    Pass,
                    "Deployment production/task-api runs as the dedicated ServiceAccount task-api-sa, with token automounting off.",
                    ev(
                        "deployments.apps",
                        Some("production"),
                        "task-api",
                        "/spec/template/spec/serviceAccountName",
                    ),
                ),
                obs(
                    Pass,
                    "ServiceAccount production/task-api-sa exists and does not automount its token.",
                    ev("serviceaccounts", Some("production"), "task-api-sa", ""),
                ),
            ],
            &[
                "kubectl get sa task-api-sa -n production -o yaml",
                "kubectl get deployment task-api -n production -o yaml",
            ],
        ),
        check(
            "rbac.least-privilege",
            "Least privilege",
            "Roles, ClusterRoles and their bindings",
            Fail,
            "A ServiceAccount outside the control plane holds cluster-admin, which grants every verb on every resource in every namespace.",
            Some(
                "Replace the ClusterRoleBinding ci-deployer-admin with a RoleBinding in each namespace the pipeline deploys to, bound to a Role with only the verbs it uses.",
            ),
            vec![
                obs(
                    Pass,
                    "Role production/task-api-role grants only get and list on pods and configmaps.",
                    ev(
                        "roles.rbac.authorization.k8s.io",
                        Some("production"),
                        "task-api-role",
                        "/rules",
                    ),
                ),
                obs(
                    Fail,
                    "ClusterRoleBinding ci-deployer-admin grants cluster-admin to ServiceAccount ci/ci-deployer.",
                    ev(CRB, None, "ci-deployer-admin", "/roleRef"),
                ),
            ],
            &[
                "kubectl get role task-api-role -n production -o yaml",
                "kubectl get clusterrolebinding ci-deployer-admin -o yaml",
            ],
        ),
        check(
            "rbac.access-lifecycle",
            "Access removed when no longer needed",
            "RoleBindings, ClusterRoleBindings and the ServiceAccounts they name",
            Pass,
            "Every binding names subjects that still exist: no binding outlives the account it was made for.",
            None,
            vec![obs(
                Pass,
                "RoleBinding production/task-api-rolebinding names ServiceAccount production/task-api-sa, which exists.",
                ev(RB, Some("production"), "task-api-rolebinding", "/subjects"),
            )],
            &[
                "kubectl get rolebindings,clusterrolebindings -A -o yaml",
                "kubectl get serviceaccounts -A",
            ],
        ),
        check(
            "network.policies",
            "Network segmentation",
            "NetworkPolicies",
            Pass,
            "The Task API's pods accept traffic only from the frontend namespace and may only reach the database namespace.",
            None,
            vec![obs(
                Pass,
                "NetworkPolicy production/task-api-network limits ingress of app=task-api to namespace frontend and egress to namespace database.",
                ev(NP, Some("production"), "task-api-network", "/spec"),
            )],
            &["kubectl get networkpolicy task-api-network -n production -o yaml"],
        ),
        check(
            "network.default-deny",
            "Default-deny network policy",
            "NetworkPolicies and Namespaces",
            Partial,
            "Namespace production denies all traffic not explicitly allowed; namespace staging has no default-deny policy, so its pods accept traffic from anywhere in the cluster.",
            Some(
                "Add a NetworkPolicy with an empty podSelector and policyTypes Ingress and Egress to namespace staging.",
            ),
            vec![
                obs(
                    Pass,
                    "NetworkPolicy production/default-deny selects every pod in production and allows nothing by default.",
                    ev(NP, Some("production"), "default-deny", "/spec"),
                ),
                obs(
                    Fail,
                    "Namespace staging has no default-deny NetworkPolicy.",
                    ev("namespaces", None, "staging", ""),
                ),
            ],
            &["kubectl get networkpolicies -A -o yaml"],
        ),
        check(
            "pss.enforced",
            "Pod Security Standards enforced",
            "Namespace labels pod-security.kubernetes.io/enforce",
            Partial,
            "Namespace production enforces the restricted profile; namespace legacy enforces no profile at all.",
            Some(
                "Label namespace legacy with pod-security.kubernetes.io/enforce=baseline at least (restricted where the workloads allow).",
            ),
            vec![
                obs(
                    Pass,
                    "Namespace production enforces the restricted Pod Security Standard.",
                    ev("namespaces", None, "production", "/metadata/labels"),
                ),
                obs(
                    Fail,
                    "Namespace legacy has no pod-security.kubernetes.io/enforce label.",
                    ev("namespaces", None, "legacy", "/metadata/labels"),
                ),
            ],
            &[
                "kubectl get ns production --show-labels",
                "kubectl get namespaces --show-labels",
            ],
        ),
        check(
            "pss.privileged-pods",
            "No privileged containers",
            "Pods",
            Fail,
            "A running pod has a privileged container with the host's process namespace: it can take over its node.",
            Some(
                "Delete pod legacy/node-debugger; use kubectl debug node with a time limit when node access is needed.",
            ),
            vec![obs(
                Fail,
                "Pod legacy/node-debugger runs container debugger privileged, with hostPID.",
                ev(
                    "pods",
                    Some("legacy"),
                    "node-debugger",
                    "/spec/containers/0/securityContext",
                ),
            )],
            &["kubectl get pod node-debugger -n legacy -o yaml"],
        ),
        check(
            "platform.audit-logging",
            "Audit logging",
            "API server audit policy and audit logs",
            NotCollected,
            "No audit policy and no audit log were given to auditpack collect, so this packet cannot show whether API requests are logged.",
            Some(
                "Collect again with --audit-policy (the API server's --audit-policy-file) and --audit-log (an export from the logging system).",
            ),
            vec![],
            &["auditpack collect --audit-policy FILE --audit-log FILE"],
        ),
        check(
            "platform.encryption-at-rest",
            "Secrets encrypted at rest",
            "EncryptionConfiguration (API server)",
            Manual,
            "The control plane is managed by the cloud provider and no EncryptionConfiguration was given; encryption of etcd must be attested from the provider's documentation or console.",
            Some(
                "Attach the provider's statement of etcd encryption, or collect with --encryption-config on a self-managed control plane.",
            ),
            vec![],
            &["auditpack collect --encryption-config FILE"],
        ),
        check(
            "platform.mtls",
            "Service-to-service mTLS",
            "Dapr Configuration and the dapr-sentry certificate authority",
            Pass,
            "Dapr's control-plane configuration enables mTLS and its certificate authority, dapr-sentry, is running.",
            None,
            vec![
                obs(
                    Pass,
                    "Configuration dapr-system/daprsystem enables mTLS (workload certificates valid 24h).",
                    ev(
                        "configurations.dapr.io",
                        Some("dapr-system"),
                        "daprsystem",
                        "/spec/mtls",
                    ),
                ),
                obs(
                    Pass,
                    "Deployment dapr-system/dapr-sentry has 1 of 1 replicas ready.",
                    ev(
                        "deployments.apps",
                        Some("dapr-system"),
                        "dapr-sentry",
                        "/status",
                    ),
                ),
            ],
            &[
                "dapr status -k",
                "kubectl get configurations.dapr.io daprsystem -n dapr-system -o yaml",
            ],
        ),
    ];
    let status_of = |ids: &[&str]| {
        Status::combine(ids.iter().map(|id| {
            checks
                .iter()
                .find(|c| c.id == *id)
                .map_or(NotCollected, |c| c.status)
        }))
    };
    let control = |fw: &str, id: &str, title: &str, req: &str, ids: &[&str]| ControlResult {
        framework: fw.into(),
        id: id.into(),
        title: title.into(),
        requirement: req.into(),
        status: status_of(ids),
        checks: ids.iter().map(|s| s.to_string()).collect(),
    };
    let controls = vec![
        control(
            "soc2",
            "CC6.1",
            "Logical access security",
            "Logical access to information assets is restricted.",
            &[
                "rbac.least-privilege",
                "rbac.service-accounts",
                "network.policies",
            ],
        ),
        control(
            "soc2",
            "CC6.2",
            "Access removal",
            "Access is removed when no longer needed.",
            &["rbac.access-lifecycle"],
        ),
        control(
            "soc2",
            "CC6.3",
            "Access restriction",
            "Physical and logical access is restricted by role.",
            &["pss.enforced", "pss.privileged-pods"],
        ),
        control(
            "soc2",
            "CC6.6",
            "System boundaries",
            "System boundaries are protected against threats from outside them.",
            &["network.default-deny"],
        ),
        control(
            "soc2",
            "CC7.2",
            "System monitoring",
            "System components are monitored for anomalies and changes.",
            &["platform.audit-logging"],
        ),
        control(
            "hipaa",
            "164.312(a)(1)",
            "Access control",
            "Allow access only to persons or software programs that have been granted access rights.",
            &["rbac.least-privilege", "rbac.service-accounts"],
        ),
        control(
            "hipaa",
            "164.312(a)(2)(iv)",
            "Encryption and decryption",
            "Encrypt and decrypt electronic protected health information (at rest).",
            &["platform.encryption-at-rest"],
        ),
        control(
            "hipaa",
            "164.312(b)",
            "Audit controls",
            "Record and examine activity in systems that contain ePHI.",
            &["platform.audit-logging"],
        ),
        control(
            "hipaa",
            "164.312(c)(1)",
            "Integrity",
            "Protect ePHI from improper alteration or destruction.",
            &["pss.enforced", "pss.privileged-pods"],
        ),
        control(
            "hipaa",
            "164.312(e)(1)",
            "Transmission security",
            "Guard against unauthorized access to ePHI transmitted over a network.",
            &["platform.mtls"],
        ),
    ];
    let subject = |kind: &str, name: &str, ns: Option<&str>| Subject {
        kind: kind.into(),
        name: name.into(),
        namespace: ns.map(str::to_string),
    };
    let grant = |ns: Option<&str>, verbs: &[&str], res: &[&str], via: &str| Grant {
        namespace: ns.map(str::to_string),
        verbs: verbs.iter().map(|s| s.to_string()).collect(),
        api_groups: vec![if res == ["*"] {
            "*".into()
        } else {
            String::new()
        }],
        resources: res.iter().map(|s| s.to_string()).collect(),
        resource_names: vec![],
        non_resource_urls: vec![],
        via: via.into(),
    };
    let access_review = vec![
        SubjectAccess {
            subject: subject("Group", "system:masters", None),
            grants: vec![grant(
                None,
                &["*"],
                &["*"],
                "ClusterRoleBinding cluster-admin → ClusterRole cluster-admin",
            )],
            flags: vec!["cluster-admin".into(), "wildcard".into()],
        },
        SubjectAccess {
            subject: subject("ServiceAccount", "ci-deployer", Some("ci")),
            grants: vec![grant(
                None,
                &["*"],
                &["*"],
                "ClusterRoleBinding ci-deployer-admin → ClusterRole cluster-admin",
            )],
            flags: vec![
                "cluster-admin".into(),
                "wildcard".into(),
                "read-secrets".into(),
            ],
        },
        SubjectAccess {
            subject: subject("ServiceAccount", "task-api-sa", Some("production")),
            grants: vec![grant(
                Some("production"),
                &["get", "list"],
                &["pods", "configmaps"],
                "RoleBinding production/task-api-rolebinding → Role task-api-role",
            )],
            flags: vec![],
        },
    ];
    Findings {
        api_version: crate::snapshot::API_VERSION.into(),
        kind: "Findings".into(),
        snapshot_collected_at: "2026-11-20T09:30:00Z".into(),
        frameworks: vec![
            FrameworkInfo {
                id: "soc2".into(),
                name: "SOC 2".into(),
                source: "built-in".into(),
            },
            FrameworkInfo {
                id: "hipaa".into(),
                name: "HIPAA".into(),
                source: "built-in".into(),
            },
        ],
        checks,
        controls,
        access_review,
    }
}
