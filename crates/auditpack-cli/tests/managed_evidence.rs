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
        &["collect", "--from-dir", "export", "-o", "snap.json"],
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
    assert!(!services.contains("Release.Name"), "a template was imported");

    // --strict: the error of today, naming the file.
    let o = auditpack(
        dir.path(),
        &["collect", "--from-dir", "export", "--strict", "-o", "strict.json"],
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
        &["collect", "--from-dir", "export", "-o", "snap.json"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("pods.yaml"), "{}", text(&o));
}
