//! Writes a synthetic cluster as `kubectl get -o yaml` style files, for benchmarks and the
//! API-server stand-in. Deterministic: the same arguments always give the same bytes.
//!
//! ```text
//! cargo run --release -p benchgen --bin gencluster -- --namespaces 500 --out /tmp/cluster-500 [--seed 42] [--snapshot /tmp/cluster-500.json]
//! ```
//!
//! Per namespace (one file `ns-NNNNN.yaml`, a `kind: List`): the Namespace (mostly with a
//! Pod Security label), 10 ServiceAccounts plus `default`, 3 Roles, 10 RoleBindings (to
//! local Roles and the aggregated view/edit/admin, some naming deleted ServiceAccounts),
//! 20 Pods (some violating baseline or restricted), 5 Deployments and 2 NetworkPolicies
//! (a default-deny in most namespaces). `cluster-rbac.yaml` holds the default ClusterRoles
//! and ClusterRoleBindings of the Task API example (Kubernetes' bootstrap policy) plus a few
//! synthetic admin bindings; `system.yaml` the system namespaces with their ServiceAccounts,
//! Roles and RoleBindings. `--snapshot FILE` also imports the files written into an
//! auditpack snapshot (through the real importer, `auditpack::import_dir`), so
//! `auditpack evaluate` can be timed without the import.

use std::path::PathBuf;

use serde_json::{Value, json};

const CLUSTER_ROLES: &str =
    include_str!("../../../../examples/clusters/task-api/clusterroles.yaml");
const CLUSTER_ROLE_BINDINGS: &str =
    include_str!("../../../../examples/clusters/task-api/clusterrolebindings.yaml");
const NAMESPACES: &str = include_str!("../../../../examples/clusters/task-api/namespaces.yaml");
const SERVICE_ACCOUNTS: &str =
    include_str!("../../../../examples/clusters/task-api/serviceaccounts.yaml");
const ROLES: &str = include_str!("../../../../examples/clusters/task-api/roles.yaml");
const ROLE_BINDINGS: &str =
    include_str!("../../../../examples/clusters/task-api/rolebindings.yaml");
const SYSTEM_NAMESPACES: &[&str] = &["kube-system", "kube-public", "kube-node-lease"];

/// SplitMix64: small, seeded, deterministic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

struct Args {
    namespaces: usize,
    out: PathBuf,
    seed: u64,
    snapshot: Option<PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let (mut namespaces, mut out, mut seed, mut snapshot) = (None, None, 42, None);
    while let Some(a) = it.next() {
        let mut val = || it.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--namespaces" => {
                namespaces = Some(val()?.parse().map_err(|e| format!("--namespaces: {e}"))?)
            }
            "--out" => out = Some(PathBuf::from(val()?)),
            "--seed" => seed = val()?.parse().map_err(|e| format!("--seed: {e}"))?,
            "--snapshot" => snapshot = Some(PathBuf::from(val()?)),
            "-h" | "--help" => {
                return Err(
                    "usage: gencluster --namespaces N --out DIR [--seed S] [--snapshot FILE]"
                        .into(),
                );
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(Args {
        namespaces: namespaces.ok_or("--namespaces N is required")?,
        out: out.ok_or("--out DIR is required")?,
        seed,
        snapshot,
    })
}

const TS: &str = "2026-10-01T09:00:00Z";

fn list(items: Vec<Value>) -> Value {
    json!({"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": items})
}

fn pod_spec(rng: &mut Rng, sa: &str, image: &str) -> Value {
    let mut container = json!({
        "name": "app", "image": image,
        "ports": [{"containerPort": 8080, "protocol": "TCP"}],
        "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}
    });
    let mut spec = json!({
        "serviceAccountName": sa,
        "securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": []
    });
    match rng.below(20) {
        0 => container["securityContext"] = json!({"privileged": true}),
        1 => spec["hostNetwork"] = json!(true),
        2 => container["securityContext"]["capabilities"] = json!({"add": ["NET_ADMIN"]}),
        3 => spec["securityContext"] = json!({}),
        _ => {}
    }
    spec["containers"] = json!([container]);
    spec
}

fn namespace(rng: &mut Rng, i: usize) -> Vec<Value> {
    let ns = format!("ns-{i:05}");
    let team = format!("team-{}", i % 37);
    let mut labels = json!({"kubernetes.io/metadata.name": ns, "team": team});
    match rng.below(10) {
        0 => {}
        1 | 2 => labels["pod-security.kubernetes.io/enforce"] = json!("baseline"),
        _ => labels["pod-security.kubernetes.io/enforce"] = json!("restricted"),
    }
    let mut items = vec![
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": labels, "creationTimestamp": TS}, "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}),
    ];
    items.push(json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default", "namespace": ns, "creationTimestamp": TS}}));
    for s in 0..10 {
        let mut sa = json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": format!("sa-{s}"), "namespace": ns, "creationTimestamp": TS}});
        if rng.chance(30) {
            sa["automountServiceAccountToken"] = json!(false);
        }
        items.push(sa);
    }
    let roles = [
        (
            "reader",
            json!([{"apiGroups": [""], "resources": ["pods", "services", "configmaps"], "verbs": ["get", "list", "watch"]}]),
        ),
        (
            "writer",
            json!([{"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "list", "create", "update", "patch"]}]),
        ),
        (
            "secrets-reader",
            json!([{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list"]}]),
        ),
    ];
    for (name, rules) in &roles {
        items.push(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": name, "namespace": ns, "creationTimestamp": TS}, "rules": rules}));
    }
    for b in 0..10 {
        let (kind, role) = match rng.below(6) {
            0 => ("ClusterRole", "view"),
            1 => ("ClusterRole", "edit"),
            2 => ("ClusterRole", "admin"),
            r => ("Role", roles[(r - 3) as usize].0),
        };
        let subject = match rng.below(10) {
            0 => {
                json!({"kind": "User", "name": format!("user{}@example.com", rng.below(500)), "apiGroup": "rbac.authorization.k8s.io"})
            }
            1 => {
                json!({"kind": "Group", "name": format!("{team}-devs"), "apiGroup": "rbac.authorization.k8s.io"})
            }
            2 => json!({"kind": "ServiceAccount", "name": format!("deleted-{b}"), "namespace": ns}),
            _ => {
                json!({"kind": "ServiceAccount", "name": format!("sa-{}", rng.below(10)), "namespace": ns})
            }
        };
        items.push(
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": {"name": format!("binding-{b}"), "namespace": ns, "creationTimestamp": TS},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": role},
            "subjects": [subject]}),
        );
    }
    for d in 0..5 {
        let app = format!("app-{d}");
        let image = if rng.chance(70) {
            format!(
                "registry.example.com/{app}@sha256:{:064x}",
                u128::from(rng.next()) << 64 | u128::from(rng.next())
            )
        } else {
            format!("registry.example.com/{app}:1.{d}")
        };
        let spec = pod_spec(rng, &format!("sa-{d}"), &image);
        items.push(json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": app, "namespace": ns, "creationTimestamp": TS, "labels": {"app": app}},
            "spec": {"replicas": 4, "selector": {"matchLabels": {"app": app}}, "template": {"metadata": {"labels": {"app": app, "tier": if d == 0 { "frontend" } else { "backend" }}}, "spec": spec.clone()}},
            "status": {"replicas": 4, "readyReplicas": 4, "availableReplicas": 4}}));
        for p in 0..4 {
            let mut pod_spec = spec.clone();
            pod_spec["nodeName"] = json!(format!("node-{}", rng.below(50)));
            items.push(json!({"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": format!("{app}-{:010x}-{p}", rng.below(1 << 40)), "namespace": ns, "creationTimestamp": TS,
                    "labels": {"app": app, "tier": if d == 0 { "frontend" } else { "backend" }},
                    "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": format!("{app}-rs"), "controller": true, "uid": "00000000-0000-0000-0000-000000000000"}]},
                "spec": pod_spec, "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}}));
        }
    }
    if rng.chance(80) {
        items.push(json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "default-deny-all", "namespace": ns, "creationTimestamp": TS},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}}));
    } else {
        items.push(json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "allow-monitoring", "namespace": ns, "creationTimestamp": TS},
            "spec": {"podSelector": {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["backend"]}]}, "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"team": "monitoring"}}}]}]}}));
    }
    items.push(json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "backend-from-frontend", "namespace": ns, "creationTimestamp": TS},
        "spec": {"podSelector": {"matchLabels": {"tier": "backend"}}, "policyTypes": ["Ingress"],
            "ingress": [{"from": [{"podSelector": {"matchLabels": {"tier": "frontend"}}}], "ports": [{"port": 8080, "protocol": "TCP"}]}]}}));
    items
}

fn main() -> std::process::ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("gencluster: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    if let Err(e) = run(&args) {
        eprintln!("gencluster: {e}");
        return std::process::ExitCode::from(2);
    }
    std::process::ExitCode::SUCCESS
}

fn run(args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    std::fs::create_dir_all(&args.out)?;
    let mut rng = Rng(args.seed);
    let parse = |name: &str, text: &str| objects(name, text);
    let mut cluster = parse("clusterroles.yaml", CLUSTER_ROLES)?;
    // The bootstrap bindings, without the Task API example's planted jane-admin.
    cluster.extend(
        parse("clusterrolebindings.yaml", CLUSTER_ROLE_BINDINGS)?
            .into_iter()
            .filter(|b| {
                b["metadata"]["name"] != "jane-admin" && b["metadata"]["name"] != "dapr-sentry"
            }),
    );
    for a in 0..(args.namespaces / 100).max(1) {
        cluster.push(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": format!("platform-admin-{a}"), "creationTimestamp": TS},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": if a % 3 == 0 { "cluster-admin" } else { "view" }},
            "subjects": [{"kind": "Group", "name": format!("platform-{a}"), "apiGroup": "rbac.authorization.k8s.io"}]}));
    }
    let write = |name: String, items: Vec<Value>| -> Result<(), Box<dyn std::error::Error>> {
        let text = serde_saphyr::to_string(&list(items))?;
        std::fs::write(args.out.join(name), text)?;
        Ok(())
    };
    write("cluster-rbac.yaml".into(), cluster)?;
    let in_system = |o: &Value| {
        let ns = o["metadata"]["namespace"]
            .as_str()
            .or(o["metadata"]["name"].as_str())
            .unwrap_or("");
        SYSTEM_NAMESPACES.contains(&ns)
    };
    let mut system = Vec::new();
    for (name, text) in [
        ("namespaces.yaml", NAMESPACES),
        ("serviceaccounts.yaml", SERVICE_ACCOUNTS),
        ("roles.yaml", ROLES),
        ("rolebindings.yaml", ROLE_BINDINGS),
    ] {
        system.extend(parse(name, text)?.into_iter().filter(|o| in_system(o)));
    }
    write("system.yaml".into(), system)?;
    for i in 0..args.namespaces {
        let items = namespace(&mut rng, i);
        write(format!("ns-{i:05}.yaml"), items)?;
    }
    if let Some(path) = &args.snapshot {
        // The snapshot a user would get: the files just written, through the importer.
        let mut s = auditpack::import_dir(&args.out, &Default::default())?;
        s.collected_at = chrono::DateTime::parse_from_rfc3339("2026-11-01T00:00:00Z")
            .expect("valid")
            .with_timezone(&chrono::Utc);
        for k in auditpack::KINDS {
            if k.optional {
                s.mark(
                    k.key,
                    auditpack::CollectionStatus::Absent,
                    "CRD not installed in the synthetic cluster",
                );
            } else if s
                .resources
                .get(k.key)
                .is_none_or(|c| c.status != auditpack::CollectionStatus::Collected)
            {
                s.mark_collected(k.key);
            }
        }
        s.normalize();
        std::fs::write(path, s.to_json())?;
    }
    Ok(())
}

/// The objects of an export file's text, parsed by the importer's own parser, with
/// `kind: List` flattened into its items.
fn objects(name: &str, text: &str) -> Result<Vec<Value>, auditpack::CollectError> {
    let docs = auditpack::internals::parse_documents(std::path::Path::new(name), text.as_bytes())?;
    let mut out = Vec::new();
    for (_, d) in docs {
        match d {
            Value::Object(m)
                if m.get("kind")
                    .and_then(Value::as_str)
                    .is_some_and(|k| k.ends_with("List"))
                    && m.get("items").is_some_and(Value::is_array) =>
            {
                if let Some(Value::Array(items)) = m.get("items") {
                    out.extend(items.iter().cloned());
                }
            }
            d => out.push(d),
        }
    }
    Ok(out)
}
