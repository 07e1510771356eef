//! A cluster modelled on Kubernetes Goat (`tests/fixtures/goat`, its README lists the
//! scenarios): every scenario visible in configuration is reported, by the check that
//! judges it, as a failure naming the object. Before the exposure, secrets and workload
//! checks, the NodePort Service, the Secret injected through `secretKeyRef`, the containers
//! without limits and the Docker socket were reported by nothing.

mod common;

use serde_json::Value;

fn evaluate() -> (tempfile::TempDir, Value) {
    let t = tempfile::tempdir().unwrap();
    let fixture = common::crate_dir().join("tests/fixtures/goat");
    let fixture = fixture.to_str().unwrap();
    let o = common::auditpack(
        t.path(),
        &["collect", "--from-dir", fixture, "--out", "snapshot.json"],
    );
    assert!(o.status.success(), "{}", common::text(&o));
    let o = common::auditpack(
        t.path(),
        &["evaluate", "snapshot.json", "--out", "findings.json"],
    );
    assert_eq!(
        o.status.code(),
        Some(4),
        "failing controls exit 4: {}",
        common::text(&o)
    );
    let f =
        serde_json::from_slice(&std::fs::read(t.path().join("findings.json")).unwrap()).unwrap();
    (t, f)
}

/// The failing observations of a check, which must itself fail.
fn failures<'a>(f: &'a Value, id: &str) -> Vec<&'a str> {
    let c = f["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("{id} was not evaluated"));
    assert_eq!(c["status"], "fail", "{id}: {}", c["explanation"]);
    c["observations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["status"] == "fail")
        .map(|o| o["message"].as_str().unwrap())
        .collect()
}

fn reported(f: &Value, id: &str, needles: &[&str]) {
    let fails = failures(f, id);
    assert!(
        fails.iter().any(|m| needles.iter().all(|n| m.contains(n))),
        "{id}: no failure mentions {needles:?}; failures: {fails:#?}"
    );
}

#[test]
fn every_goat_scenario_visible_in_configuration_is_reported() {
    let (_t, f) = evaluate();
    // NodePort exposed services.
    reported(
        &f,
        "exposure.services",
        &[
            "Service default/internal-proxy-info-app-service",
            "NodePort",
            "30003",
        ],
    );
    // The internal ClusterIP Services are not exposure.
    assert!(
        failures(&f, "exposure.services")
            .iter()
            .all(|m| !m.contains("internal-proxy-api-service") && !m.contains("cache-store")),
    );
    // The ingress controller faces the outside by design: named, and passed.
    let exposure = f["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "exposure.services")
        .unwrap();
    assert!(
        exposure["observations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["status"] == "pass"
                && o["message"].as_str().unwrap().contains(
                    "Service ingress-nginx/ingress-nginx-controller is of type LoadBalancer"
                )
                && o["message"]
                    .as_str()
                    .unwrap()
                    .contains("well-known namespace of an ingress")),
        "{exposure:#}"
    );
    // Gaining environment information: the vault key from a Secret, as an env variable.
    reported(
        &f,
        "secrets.env-injection",
        &[
            "Deployment default/system-monitor-deployment",
            "K8S_GOAT_VAULT_KEY",
            "goatvault",
        ],
    );
    // A credential written into the manifest.
    reported(
        &f,
        "secrets.literal-env",
        &[
            "Deployment default/poor-registry-deployment",
            "REGISTRY_HTTP_SECRET",
        ],
    );
    for m in failures(&f, "secrets.literal-env") {
        assert!(
            !m.contains("REGISTRY_HTTP_ADDR") && !m.contains("ROOTDIRECTORY"),
            "{m}"
        );
    }
    // DoS the memory/CPU resources.
    reported(
        &f,
        "workload.resources",
        &[
            "Deployment big-monolith/hunger-check-deployment",
            "container hunger-check",
            "no memory limit",
        ],
    );
    // Container escape: privileged, host namespaces, the node's / mounted.
    reported(
        &f,
        "pss.baseline",
        &["Deployment default/system-monitor-deployment", "privileged"],
    );
    reported(
        &f,
        "pss.baseline",
        &["system-monitor-deployment", "hostPath"],
    );
    // DIND: the Docker socket, named as such.
    reported(
        &f,
        "workload.runtime-socket",
        &[
            "Deployment default/health-check-deployment",
            "the Docker socket /var/run/docker.sock",
            "container health-check",
        ],
    );
    reported(
        &f,
        "workload.runtime-socket",
        &[
            "DaemonSet default/docker-bench-security",
            "/var/run/docker.sock",
        ],
    );
    // hostPath / holds the runtime sockets too.
    reported(
        &f,
        "workload.runtime-socket",
        &["system-monitor-deployment", "mounts /, a directory holding"],
    );
    // RBAC: wildcard access, and a role bound to a default ServiceAccount.
    reported(
        &f,
        "rbac.cluster-admin",
        &[
            "ServiceAccount default/superadmin",
            "ClusterRole superadmin",
        ],
    );
    reported(
        &f,
        "rbac.default-serviceaccount",
        &[
            "RoleBinding/big-monolith/secret-reader-binding",
            "big-monolith",
        ],
    );
    reported(
        &f,
        "rbac.dangerous-powers",
        &["ServiceAccount default/superadmin", "nodes/proxy"],
    );
    // Namespaces bypass: no NetworkPolicy anywhere.
    reported(&f, "network.default-deny", &["secure-middleware"]);
    reported(&f, "network.pod-isolation", &["cache-store-deployment"]);
    // Untagged images, and everything in `default`.
    reported(
        &f,
        "workload.image-tag",
        &["madhuakula/k8s-goat-system-monitor", "has no tag"],
    );
    reported(
        &f,
        "workload.default-namespace",
        &["Deployment default/internal-proxy-deployment"],
    );
    // Batch Jobs are not asked for probes; long-running containers are.
    let probes = failures(&f, "workload.probes");
    assert!(
        probes.iter().all(|m| !m.contains("batch-check")),
        "{probes:#?}"
    );
    reported(
        &f,
        "workload.probes",
        &["cache-store-deployment", "no liveness or readiness probe"],
    );
}

/// The literal credential is judged from the redactor's marker: its value is in neither
/// the snapshot nor the findings.
#[test]
fn the_literal_credential_never_leaves_the_manifest() {
    let (t, _) = evaluate();
    for f in ["snapshot.json", "findings.json"] {
        let text = std::fs::read_to_string(t.path().join(f)).unwrap();
        assert!(
            !text.contains("goat-registry-http-secret-9f2c"),
            "{f} holds the value"
        );
        assert!(!text.contains("azhzLWdvYXQt"), "{f} holds Secret data");
    }
}
