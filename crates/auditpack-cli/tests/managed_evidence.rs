//! Evidence real clusters hold: Helm charts in an export folder, the cloud provider's
//! description of a managed cluster (`--cloud-evidence`), and the workload findings of
//! Kubernetes Goat (NodePort exposure, Secrets in the environment, resource limits).

mod common;
use common::{auditpack, ok, text};

use std::path::Path;

use serde_json::Value;

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// Exported objects as `kubectl get -o yaml` writes them.
const EXPORTED: &str = r#"apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Namespace
  metadata:
    name: default
- apiVersion: v1
  kind: Service
  metadata:
    name: health-check
    namespace: default
  spec:
    type: ClusterIP
    selector:
      app: health-check
    ports:
    - port: 80
      targetPort: 80
"#;

/// A Helm chart as `helm create` lays it out (Kubernetes Goat ships its scenarios so).
fn write_chart(dir: &Path) {
    write(
        dir,
        "charts/metadata-db/Chart.yaml",
        "apiVersion: v2\nname: metadata-db\ndescription: A Helm chart for Kubernetes\ntype: application\nversion: 0.1.1\nappVersion: \"0.1.0\"\n",
    );
    write(
        dir,
        "charts/metadata-db/values.yaml",
        "replicaCount: 1\nimage:\n  repository: madhuakula/k8s-goat-metadata-db\n  pullPolicy: Always\nservice:\n  type: ClusterIP\n  port: 80\n",
    );
    write(
        dir,
        "charts/metadata-db/templates/deployment.yaml",
        r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "metadata-db.fullname" . }}
  labels:
    {{- include "metadata-db.labels" . | nindent 4 }}
spec:
  replicas: {{ .Values.replicaCount }}
  template:
    spec:
      containers:
        - name: {{ .Chart.Name }}
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"
"#,
    );
    write(
        dir,
        "charts/metadata-db/templates/service.yaml",
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: \"{{ .Release.Name }}\"\nspec:\n  type: \"{{ .Values.service.type }}\"\n  ports:\n    - port: 80\n",
    );
}

#[test]
fn helm_chart_files_are_skipped_with_a_warning_naming_each() {
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("export");
    write(&export, "services.yaml", EXPORTED);
    write_chart(&export);
    // A loose template outside a chart folder, and a values file without a chart.
    write(
        &export,
        "extra/ingress.yaml",
        "{{- if .Values.ingress.enabled -}}\napiVersion: networking.k8s.io/v1\nkind: Ingress\n{{- end }}\n",
    );
    write(&export, "extra/values-prod.yaml", "replicaCount: 3\n");
    let out = ok(
        dir.path(),
        &["collect", "--from-dir", "export", "--out", "snap.json"],
    );
    for skipped in [
        "charts/metadata-db/Chart.yaml",
        "charts/metadata-db/values.yaml",
        "charts/metadata-db/templates/deployment.yaml",
        // Parses as YAML with apiVersion and kind, but is a template of the chart.
        "charts/metadata-db/templates/service.yaml",
        "extra/ingress.yaml",
        "extra/values-prod.yaml",
    ] {
        assert!(
            out.lines()
                .any(|l| l.contains("warning") && l.contains(skipped) && l.contains("skipped")),
            "no warning naming {skipped}:\n{out}"
        );
    }
    let snap: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("snap.json")).unwrap()).unwrap();
    let files: Vec<&str> = snap["source"]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(files, ["services.yaml"], "only the export is evidence");
    let services = snap.to_string();
    assert!(services.contains("health-check"));
    assert!(
        !services.contains("Release.Name"),
        "a template was imported"
    );

    // --strict: the error of today, naming the file.
    let o = auditpack(
        dir.path(),
        &[
            "collect",
            "--from-dir",
            "export",
            "--strict",
            "--out",
            "strict.json",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("Chart.yaml"), "{}", text(&o));
    assert!(!dir.path().join("strict.json").exists());
}

#[test]
fn a_broken_export_is_still_refused() {
    // A file that starts as Kubernetes objects and then breaks is a damaged export, not a
    // chart: refused even without --strict.
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "export/pods.yaml",
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\nreplicas: {{ .Values.n }}\n",
    );
    let o = auditpack(
        dir.path(),
        &["collect", "--from-dir", "export", "--out", "snap.json"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("pods.yaml"), "{}", text(&o));
}

/// Collects `export` (a folder holding a Pod list and no kube-apiserver: a managed cluster)
/// with the sample cloud descriptions, and evaluates it: the snapshot and the findings.
fn managed(samples: &[&str]) -> (Value, Value) {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "export/pods.yaml",
        "apiVersion: v1\nkind: PodList\nitems:\n- metadata: {name: web, namespace: default}\n  spec: {containers: [{name: web, image: nginx}]}\n",
    );
    let mut args = vec!["collect", "--from-dir", "export", "--out", "snap.json"];
    let paths: Vec<String> = samples
        .iter()
        .map(|s| {
            common::root()
                .join("examples/cloud")
                .join(s)
                .display()
                .to_string()
        })
        .collect();
    for p in &paths {
        args.extend(["--cloud-evidence", p.as_str()]);
    }
    ok(dir.path(), &args);
    let o = auditpack(
        dir.path(),
        &["evaluate", "snap.json", "--out", "findings.json"],
    );
    assert!(dir.path().join("findings.json").exists(), "{}", text(&o));
    let read = |f: &str| -> Value {
        serde_json::from_slice(&std::fs::read(dir.path().join(f)).unwrap()).unwrap()
    };
    (read("snap.json"), read("findings.json"))
}

fn check<'a>(findings: &'a Value, id: &str) -> &'a Value {
    findings["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no check {id}"))
}

/// The check's status, and whether an observation points into `file` at `pointer`.
fn verdict(findings: &Value, id: &str, file: &str, pointer: &str) -> String {
    let c = check(findings, id);
    assert!(
        c["observations"].as_array().unwrap().iter().any(|o| {
            o["evidence"]["kind"] == "CloudEvidence"
                && o["evidence"]["name"].as_str().unwrap().ends_with(file)
                && o["evidence"]["pointer"]
                    .as_str()
                    .unwrap()
                    .starts_with(pointer)
        }),
        "{id}: no observation on {file} at {pointer}: {c:#}"
    );
    c["status"].as_str().unwrap().to_string()
}

#[test]
fn eks_description_is_evidence_of_encryption_and_audit_logging() {
    let (snap, f) = managed(&["eks-describe-cluster.json"]);
    let file = "eks-describe-cluster.json";
    assert_eq!(
        verdict(
            &f,
            "encryption.at-rest",
            file,
            "/cluster/encryptionConfig/0/provider/keyArn"
        ),
        "pass"
    );
    // Audit logs reach CloudWatch; their retention is on the log group, not in the file.
    assert_eq!(
        verdict(
            &f,
            "audit.log-backend",
            file,
            "/cluster/logging/clusterLogging/0"
        ),
        "partial"
    );
    // The file is recorded with its SHA-256, like every imported file.
    use sha2::Digest;
    let bytes = std::fs::read(common::root().join("examples/cloud").join(file)).unwrap();
    let sha = hex::encode(sha2::Sha256::digest(&bytes));
    assert!(
        snap["source"]["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["path"].as_str().unwrap().ends_with(file) && e["sha256"] == sha),
        "{:#}",
        snap["source"]
    );
    // Allow-list: the key ARN stays; the endpoint, CA data, role, tags and OIDC issuer go.
    let kept = snap["cloudEvidence"].to_string();
    assert!(kept.contains("key/6d1c4e2a"), "{kept}");
    for gone in [
        "LS0tLS1CRUdJTi",
        "eks.amazonaws.com",
        "cluster-role",
        "platform-team@",
        "oidc.eks",
        "subnet-",
    ] {
        assert!(!kept.contains(gone), "{gone} kept: {kept}");
    }
}

#[test]
fn eks_without_encryption_or_audit_logging_fails() {
    let (_, f) = managed(&["eks-describe-cluster-off.json"]);
    let file = "eks-describe-cluster-off.json";
    assert_eq!(verdict(&f, "encryption.at-rest", file, "/cluster"), "fail");
    assert_eq!(
        verdict(
            &f,
            "audit.log-backend",
            file,
            "/cluster/logging/clusterLogging/0"
        ),
        "fail"
    );
}

#[test]
fn gke_description_is_evidence_of_encryption_and_audit_logging() {
    let (snap, f) = managed(&["gke-clusters-describe.json"]);
    let file = "gke-clusters-describe.json";
    assert_eq!(
        verdict(&f, "encryption.at-rest", file, "/databaseEncryption"),
        "pass"
    );
    // Admin Activity audit logs are always on in GKE.
    assert_eq!(verdict(&f, "audit.log-backend", file, ""), "pass");
    let kept = snap["cloudEvidence"].to_string();
    assert!(kept.contains("cryptoKeys/etcd-secrets"), "{kept}");
    for gone in ["LS0tLS1CRUdJTi", "34.90.112.17", "gke-nodes@", "phi"] {
        assert!(!kept.contains(gone), "{gone} kept: {kept}");
    }

    let (_, f) = managed(&["gke-clusters-describe-off.json"]);
    assert_eq!(
        verdict(
            &f,
            "encryption.at-rest",
            "gke-clusters-describe-off.json",
            "/databaseEncryption"
        ),
        "fail"
    );
}

#[test]
fn aks_description_and_diagnostic_settings_are_evidence() {
    let (snap, f) = managed(&["aks-show.json", "aks-diagnostic-settings.json"]);
    assert_eq!(
        verdict(
            &f,
            "encryption.at-rest",
            "aks-show.json",
            "/securityProfile/azureKeyVaultKms"
        ),
        "pass"
    );
    assert_eq!(
        verdict(
            &f,
            "audit.log-backend",
            "aks-diagnostic-settings.json",
            "/value/0/logs/2"
        ),
        "pass"
    );
    let kept = snap["cloudEvidence"].to_string();
    assert!(kept.contains("vault.azure.net/keys/etcd-kms"), "{kept}");
    for gone in ["72f988bf", "azmk8s.io", "claims-platform@", "principalId"] {
        assert!(!kept.contains(gone), "{gone} kept: {kept}");
    }

    let (_, f) = managed(&["aks-show-off.json"]);
    assert_eq!(
        verdict(&f, "encryption.at-rest", "aks-show-off.json", ""),
        "fail"
    );
    // Without the diagnostic settings, AKS audit logging cannot be shown either way.
    assert_eq!(check(&f, "audit.log-backend")["status"], "manual");
}

#[test]
fn aks_diagnostic_settings_without_an_audit_category_fail() {
    let dir = tempfile::tempdir().unwrap();
    let sample =
        std::fs::read_to_string(common::root().join("examples/cloud/aks-diagnostic-settings.json"))
            .unwrap();
    let off = sample.replace(
        r#"{"category": "kube-audit-admin", "enabled": true"#,
        r#"{"category": "kube-audit-admin", "enabled": false"#,
    );
    assert_ne!(off, sample);
    write(dir.path(), "diag.json", &off);
    write(
        dir.path(),
        "export/ns.yaml",
        "apiVersion: v1\nkind: PodList\nitems: []\n",
    );
    ok(
        dir.path(),
        &[
            "collect",
            "--from-dir",
            "export",
            "--cloud-evidence",
            "diag.json",
            "--out",
            "s.json",
        ],
    );
    auditpack(dir.path(), &["evaluate", "s.json", "--out", "f.json"]);
    let f: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("f.json")).unwrap()).unwrap();
    assert_eq!(
        verdict(&f, "audit.log-backend", "diag.json", "/value/0/logs/"),
        "fail"
    );
}

#[test]
fn a_file_that_is_no_cloud_description_is_refused_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "export/ns.yaml",
        "apiVersion: v1\nkind: PodList\nitems: []\n",
    );
    write(
        dir.path(),
        "kubeconfig.json",
        r#"{"apiVersion": "v1", "kind": "Config", "clusters": []}"#,
    );
    write(
        dir.path(),
        "tf.json",
        r#"{"resource": {"aws_eks_cluster": {"prod": {"name": "prod"}}}}"#,
    );
    for bad in ["kubeconfig.json", "tf.json"] {
        let o = auditpack(
            dir.path(),
            &[
                "collect",
                "--from-dir",
                "export",
                "--cloud-evidence",
                bad,
                "--out",
                "s.json",
            ],
        );
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert!(
            text(&o).contains(bad) && text(&o).contains("describe-cluster"),
            "{}",
            text(&o)
        );
        assert!(!dir.path().join("s.json").exists());
    }
    // Two descriptions of clusters: the verdict must rest on one.
    let eks = common::root().join("examples/cloud/eks-describe-cluster.json");
    let gke = common::root().join("examples/cloud/gke-clusters-describe.json");
    let o = auditpack(
        dir.path(),
        &[
            "collect",
            "--from-dir",
            "export",
            "--cloud-evidence",
            eks.to_str().unwrap(),
            "--cloud-evidence",
            gke.to_str().unwrap(),
            "--out",
            "s.json",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("gke-clusters-describe.json"),
        "{}",
        text(&o)
    );
}

#[test]
fn a_truncated_export_without_template_markers_is_still_refused() {
    for (name, body) in [
        ("pods.yaml", "kind: [unclosed\n"),
        ("pods.json", "{\"apiVersion\": "),
    ] {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &format!("export/{name}"), body);
        let o = auditpack(
            dir.path(),
            &["collect", "--from-dir", "export", "--out", "snap.json"],
        );
        assert_eq!(o.status.code(), Some(2), "{name}: {}", text(&o));
        assert!(text(&o).contains(name), "{}", text(&o));
    }
}
