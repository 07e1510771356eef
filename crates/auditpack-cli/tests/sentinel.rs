//! The sentinel suite: unique marker strings planted in every place a secret can hide
//! (Secret and ConfigMap data in any spelling and list nesting, CRD settings, a kubeconfig,
//! env, args, probes, lifecycle hooks, volumes, webhooks, annotations, labels, status,
//! the EncryptionConfiguration, the audit policy, malformed audit events, the kubeconfig's
//! server URL), in their plain, base64 and base64-of-JSON forms. The real binary imports
//! them (`collect --from-dir`, `packet --from-dir`) and collects them live from the
//! stand-in API server over HTTPS (`collect`, `packet`), and every byte written (snapshot,
//! every packet file, the archive unpacked, stdout and stderr) is searched for each marker
//! and its base64 forms: none may be found.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use serde_json::{Value, json};
use standin::{Config, Server};

/// Plants unique markers and remembers them.
struct Plant {
    markers: Vec<(String, String)>,
}

impl Plant {
    /// A new marker for `place`, in plain text.
    fn raw(&mut self, place: &str) -> String {
        let m = format!("SNTL{:03}Q7XK", self.markers.len());
        self.markers.push((m.clone(), place.to_string()));
        m
    }
    /// A new marker, base64-encoded (as Secret data is).
    fn b64(&mut self, place: &str) -> String {
        STANDARD.encode(self.raw(place))
    }
    /// A new marker inside JSON, base64-encoded (a dockerconfigjson, a JWT payload).
    fn b64json(&mut self, place: &str) -> String {
        STANDARD.encode(json!({"password": self.raw(place)}).to_string())
    }
}

/// What to search for: the marker and the parts of its base64 encodings (at each of the
/// three byte alignments, standard and URL-safe) that depend on the marker alone.
fn needles(marker: &str) -> Vec<String> {
    let mut out = vec![marker.to_string()];
    for k in 0..3 {
        let mut bytes = vec![b'\0'; k];
        bytes.extend_from_slice(marker.as_bytes());
        let start = k.div_ceil(3) * 4;
        let end = (k + marker.len()) / 3 * 4;
        for enc in [STANDARD.encode(&bytes), URL_SAFE.encode(&bytes)] {
            out.push(enc[start..end].to_string());
        }
    }
    out.sort();
    out.dedup();
    out
}

const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

fn write_json(path: &Path, v: &Value) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, serde_json::to_string_pretty(v).unwrap()).unwrap();
}

fn container(p: &mut Plant, name: &str) -> Value {
    json!({
        "name": name,
        "image": "example.com/app:1",
        "command": ["/bin/app", format!("--password={}", p.raw("command --password=")),
            "--token", p.raw("command --token VALUE"),
            format!("--secret-key={}", p.b64("command --secret-key= base64"))],
        "args": [
            format!("API_KEY={}", p.raw("args API_KEY=")),
            format!("--db-url=postgres://app:{}@db:5432/x", p.raw("args URL userinfo")),
            "-H", format!("Authorization: Bearer {}", p.raw("args Authorization: Bearer")),
            format!("sh -c 'export TOKEN={} && run'", p.raw("args script TOKEN=")),
            "--client-secret", p.b64json("args --client-secret VALUE base64 JSON"),
            format!("--config={}", p.b64json("args base64 JSON value")),
            format!("--webhook=https://hooks.example.com/x?token={}", p.raw("args URL query")),
            format!("--kubelet-client-key={}", p.raw("args --kubelet-client-key=")),
        ],
        "env": [
            {"name": "A", "value": p.raw("env value")},
            {"name": "B", "value": p.b64("env value base64")},
            {"name": "C", "value": p.b64json("env value base64 JSON")},
            {"name": "D", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}},
            {"name": "DB_PASSWORD", "value": p.raw("env credential-named value")},
        ],
        "livenessProbe": {"httpGet": {"path": format!("/healthz?token={}", p.raw("probe path query")),
            "port": 8080, "httpHeaders": [
                {"name": "Authorization", "value": format!("Bearer {}", p.raw("probe header"))},
                {"name": "X-Api-Key", "value": p.b64("probe header base64")}]}},
        "readinessProbe": {"exec": {"command": ["check", "--password", p.raw("probe exec")]}},
        "lifecycle": {
            "postStart": {"exec": {"command": ["sh", "-c", format!("echo {}", p.raw("lifecycle exec"))]}},
            "preStop": {"httpGet": {"path": "/stop", "port": 80,
                "httpHeaders": [{"name": "X-Token", "value": p.raw("lifecycle header")}]}}},
        "securityContext": {"windowsOptions": {"gmsaCredentialSpec": p.raw("gmsaCredentialSpec")}},
        "resources": {"limits": {"cpu": p.raw("resources")}},
        "workingDir": p.raw("workingDir"),
        "unknownField": p.raw("unknown container field"),
    })
}

fn pod_spec(p: &mut Plant) -> Value {
    json!({
        "nodeSelector": {"disk": p.raw("nodeSelector")},
        "tolerations": [{"key": "k", "value": p.raw("toleration")}],
        "hostAliases": [{"ip": "10.0.0.1", "hostnames": [p.raw("hostAliases")]}],
        "containers": [container(p, "app")],
        "initContainers": [{"name": "init", "image": "example.com/init:1",
            "env": [{"name": "INIT_TOKEN", "value": p.raw("init env")}]}],
        "ephemeralContainers": [{"name": "debug", "image": "example.com/debug:1",
            "args": ["--password", p.raw("ephemeral args")]}],
        "volumes": [
            {"name": "csi", "csi": {"driver": "d", "volumeAttributes": {"password": p.raw("csi volumeAttributes")}}},
            {"name": "flex", "flexVolume": {"driver": "d", "options": {"token": p.b64("flexVolume options")}}},
            {"name": "git", "gitRepo": {"repository": format!("https://{}@git.example.com/x.git", p.raw("gitRepo userinfo"))}},
            {"name": "rbd", "rbd": {"monitors": ["m"], "image": "i", "extra": p.raw("volume unknown field")}},
        ],
    })
}

fn meta(p: &mut Plant, name: &str, ns: Option<&str>) -> Value {
    let mut m = json!({
        "name": name,
        "labels": {"app": name, "db-password": p.raw("label db-password"),
            "session-token": p.b64("label session-token base64")},
        "annotations": {
            "example.com/note": p.raw("annotation"),
            LAST_APPLIED: json!({"data": {"password": p.b64("last-applied")}}).to_string(),
            "kapp.k14s.io/original": json!({"spec": p.raw("kapp original")}).to_string(),
            "objectset.rio.cattle.io/applied": p.b64json("rio applied"),
            "dapr.io/enabled": p.raw("allowed annotation, unexpected value"),
        },
    });
    if let Some(ns) = ns {
        m["namespace"] = json!(ns);
    }
    m
}

/// The objects the stand-in serves (kinds auditpack evaluates), with markers.
fn cluster(p: &mut Plant, dir: &Path) {
    let ns = "vault";
    let mut items = vec![
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": meta(p, ns, None)}),
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": meta(p, "payments-0", Some(ns)),
            "spec": pod_spec(p),
            "status": {"phase": "Running", "message": p.raw("status message"),
                "nominatedNodeName": p.raw("status field"),
                "conditions": [{"type": "Ready", "status": "False", "message": p.raw("condition message")}],
                "containerStatuses": [{"name": "app",
                    "state": {"terminated": {"exitCode": 1, "message": p.raw("termination message")}},
                    "lastState": {"terminated": {"message": p.b64("last termination message")}}}]}}),
    ];
    for (api, kind) in [
        ("apps/v1", "Deployment"),
        ("apps/v1", "StatefulSet"),
        ("apps/v1", "DaemonSet"),
        ("batch/v1", "Job"),
    ] {
        items.push(json!({"apiVersion": api, "kind": kind,
            "metadata": meta(p, &kind.to_lowercase(), Some(ns)),
            "spec": {"selector": {"matchLabels": {"app": "x"}},
                "template": {"metadata": meta(p, "tpl", None), "spec": pod_spec(p)}},
            "status": {"conditions": [{"type": "Progressing", "message": p.raw("workload status")}]}}));
    }
    items.push(json!({"apiVersion": "batch/v1", "kind": "CronJob",
        "metadata": meta(p, "nightly", Some(ns)),
        "spec": {"schedule": "0 1 * * *", "jobTemplate": {"metadata": meta(p, "jt", None),
            "spec": {"template": {"metadata": meta(p, "tpl", None), "spec": pod_spec(p)}}}}}));
    items.push(json!({"apiVersion": "v1", "kind": "ServiceAccount",
        "metadata": meta(p, "app", Some(ns)), "secrets": [{"name": "app-token"}]}));
    items.push(
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": meta(p, "db", Some(ns)),
        "type": "Opaque",
        "data": {"password": p.b64("secret data"), "config.json": p.b64json("secret data JSON")},
        "stringData": {"token": p.raw("secret stringData")}}),
    );
    items.push(json!({"apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "app-token", "namespace": ns,
            "annotations": {"kubernetes.io/service-account.name": "app"}},
        "type": "kubernetes.io/service-account-token",
        "data": {"token": p.b64("token secret"), "ca.crt": p.b64("token secret ca")}}));
    for (kind, name) in [
        ("ClusterRole", "reader"),
        ("Role", "reader"),
        ("RoleBinding", "reader"),
        ("ClusterRoleBinding", "reader"),
    ] {
        let mut o = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind,
            "metadata": meta(p, name, kind.starts_with("Role").then_some(ns)),
            "unknownField": p.raw("rbac unknown field")});
        if kind.ends_with("Binding") {
            o["roleRef"] = json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "reader"});
            o["subjects"] = json!([{"kind": "User", "name": "alice"}]);
        } else {
            o["rules"] = json!([{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]);
        }
        items.push(o);
    }
    items.push(json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": meta(p, "deny", Some(ns)), "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}}));
    items.push(json!({"apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingWebhookConfiguration", "metadata": meta(p, "hook", None),
        "webhooks": [{"name": "a.example.com", "sideEffects": "None", "admissionReviewVersions": ["v1"],
            "clientConfig": {
                "url": format!("https://admin:{}@hooks.example.com/v?token={}",
                    p.raw("webhook url userinfo"), p.raw("webhook url query")),
                "caBundle": p.b64("webhook caBundle")},
            "unknownField": p.raw("webhook unknown field")}]}));
    items.push(json!({"apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "MutatingWebhookConfiguration", "metadata": meta(p, "mhook", None),
        "webhooks": [{"name": "m.example.com", "sideEffects": "None", "admissionReviewVersions": ["v1"],
            "clientConfig": {"service": {"namespace": ns, "name": "m",
                "path": format!("/mutate?apikey={}", p.raw("webhook service path query"))}}}]}));
    items.push(json!({"apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicy", "metadata": meta(p, "vap", None),
        "spec": {"validations": [{"expression": "true"}]},
        "status": {"typeChecking": {"expressionWarnings": [{"fieldRef": "x", "warning": p.raw("vap status")}]}}}));
    items.push(json!({"apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicyBinding", "metadata": meta(p, "vapb", None),
        "spec": {"policyName": "vap", "validationActions": ["Deny"],
            "paramRef": {"name": "p", "extra": p.raw("vapb unknown field")}}}));
    items.push(json!({"apiVersion": "dapr.io/v1alpha1", "kind": "Configuration",
        "metadata": meta(p, "dapr", Some(ns)),
        "spec": {"mtls": {"enabled": true},
            "tracing": {"otel": {"endpointAddress": format!("https://u:{}@otel:4317", p.raw("dapr tracing")),
                "headers": [{"name": "api-key", "value": p.raw("dapr tracing header")}]}},
            "secrets": {"scopes": [{"storeName": p.raw("dapr secrets scope")}]}}}));
    items.push(
        json!({"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication",
        "metadata": meta(p, "default", Some(ns)), "spec": {"mtls": {"mode": "STRICT"},
            "extra": p.raw("peerauthentication unknown field")}}),
    );
    items.push(json!({"apiVersion": "kyverno.io/v1", "kind": "ClusterPolicy",
        "metadata": meta(p, "kyv", None),
        "spec": {"validationFailureAction": "Enforce", "rules": [
            {"name": "call", "context": [{"name": "c", "apiCall": {"service": {"url": "https://svc/x",
                "headers": [{"key": "Authorization", "value": format!("Bearer {}", p.raw("kyverno apiCall header"))}]},
                "data": [{"key": "k", "value": p.raw("kyverno apiCall data")}]}}],
             "validate": {"message": p.raw("kyverno validate message")}},
            {"name": "gen", "generate": {"kind": "Secret", "data": {"data": {"password": p.b64("kyverno generate data")}}}},
            {"name": "mut", "mutate": {"patchStrategicMerge": {"spec": {"containers": [{"env": [{"name": "T", "value": p.raw("kyverno mutate")}]}]}}}},
            {"name": "sig", "verifyImages": [{"imageReferences": ["example.com/*"],
                "imageRegistryCredentials": {"secrets": [p.raw("kyverno registry credentials")]}}]}]}}));
    items.push(
        json!({"apiVersion": "policy.sigstore.dev/v1beta1", "kind": "ClusterImagePolicy",
        "metadata": meta(p, "cip", None),
        "spec": {"images": [{"glob": "example.com/*"}],
            "authorities": [{"name": "a", "attestations": [{"name": "x", "predicateType": "spdx",
                "policy": {"type": "cue", "data": p.raw("sigstore attestation policy")}}]}],
            "policy": {"type": "rego", "data": p.raw("sigstore policy")}}}),
    );
    items.push(
        json!({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
        "metadata": meta(p, "ceph-rbd", None), "provisioner": "rbd.csi.ceph.com",
        "parameters": {"encrypted": "true", "adminKey": p.raw("StorageClass parameter adminKey"),
            "userKey": p.b64("StorageClass parameter userKey")}}),
    );
    items.push(json!({"apiVersion": "v1", "kind": "PersistentVolume",
        "metadata": meta(p, "pv-1", None),
        "spec": {"storageClassName": "ceph-rbd", "csi": {"driver": "rbd.csi.ceph.com",
            "volumeHandle": "0001-abc",
            "volumeAttributes": {"encrypted": "true", "secretKey": p.raw("PersistentVolume csi volumeAttributes")},
            "nodeStageSecretRef": {"name": "ceph", "namespace": "ceph"}},
            "iscsi": {"targetPortal": "10.0.0.1", "chapAuthSession": true,
                "secretRef": {"name": p.raw("PersistentVolume iscsi secretRef")}}}}));
    items.push(json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "kube-apiserver-cp", "namespace": "kube-system",
            "labels": {"component": "kube-apiserver", "tier": "control-plane"}},
        "spec": {"hostNetwork": true, "containers": [{"name": "kube-apiserver",
            "image": "registry.k8s.io/kube-apiserver:v1.37.0",
            "command": ["kube-apiserver",
                format!("--oidc-client-secret={}", p.raw("apiserver --oidc-client-secret=")),
                format!("--etcd-servers=https://root:{}@etcd:2379", p.raw("apiserver etcd userinfo")),
                "--token-auth-file=/etc/kubernetes/tokens.csv",
                "--encryption-provider-config=/etc/kubernetes/enc.yaml",
                "--audit-policy-file", "/etc/kubernetes/audit-policy.yaml",
                "--audit-log-path=/var/log/audit.log", "--audit-log-maxage=30",
                "--secure-port=6443", "--tls-cert-file=/etc/kubernetes/pki/apiserver.crt"]}]}}));
    write_json(
        &dir.join("objects.json"),
        &json!({"apiVersion": "v1", "kind": "List", "items": items}),
    );
}

/// Objects only an import can hold: other kinds, Secrets spelled otherwise or nested in
/// lists, a kubeconfig, and an EncryptionConfiguration dropped into the folder.
fn import_only(p: &mut Plant, dir: &Path) {
    let items = vec![
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta(p, "cfg", Some("vault")),
            "data": {"api-key": p.raw("configmap data")}, "binaryData": {"blob": p.b64("configmap binaryData")}}),
        json!({"apiVersion": "v1", "kind": "secret", "metadata": {"name": "lower", "namespace": "vault"},
            "data": {"k": p.b64("kind: secret")}}),
        json!({"apiVersion": "v1", "kind": "SECRET", "metadata": {"name": "upper", "namespace": "vault"},
            "stringData": {"k": p.raw("kind: SECRET")}}),
        json!({"apiVersion": "v1", "kind": "SecretList", "items": [
            {"metadata": {"name": "nested", "namespace": "vault"}, "data": {"k": p.b64("SecretList in a List")}}]}),
        json!({"apiVersion": "v1", "kind": "ConfigMapList", "items": [
            {"metadata": {"name": "nested-cm", "namespace": "vault"}, "data": {"k": p.raw("ConfigMapList in a List")}}]}),
        json!({"apiVersion": "dapr.io/v1alpha1", "kind": "Component", "metadata": meta(p, "statestore", Some("vault")),
            "spec": {"type": "state.redis", "metadata": [{"name": "redisPassword", "value": p.raw("dapr Component metadata")}]},
            "auth": {"secretStore": p.raw("dapr Component auth")}}),
        json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": meta(p, "app", Some("argocd")),
            "spec": {"source": {"helm": {"values": format!("db:\n  password: {}\n", p.raw("argo helm values")),
                "parameters": [{"name": "token", "value": p.b64("argo helm parameter")}],
                "valuesObject": {"secret": p.raw("argo helm valuesObject")}}}}}),
        json!({"apiVersion": "tekton.dev/v1", "kind": "Task", "metadata": meta(p, "build", Some("ci")),
            "spec": {"steps": [{"name": "s", "image": "x", "script": format!("echo {}", p.raw("tekton script")),
                "env": [{"name": "TOKEN", "value": p.raw("tekton env")}]}]}}),
        json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": meta(p, "wf", Some("ci")),
            "spec": {"templates": [{"name": "t", "container": {"image": "x",
                "env": [{"name": "PW", "value": p.raw("argo workflow env")}], "args": ["--token", p.raw("argo workflow args")]}}]}}),
        json!({"apiVersion": "kyverno.io/v1", "kind": "Policy", "metadata": meta(p, "ns-policy", Some("vault")),
            "spec": {"rules": [{"name": "r", "context": [{"name": "c", "apiCall": {"service": {
                "headers": [{"key": "Authorization", "value": p.raw("kyverno Policy apiCall header")}]}}}]}]}}),
        json!({"apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret", "metadata": meta(p, "es", Some("vault")),
            "spec": {"data": [{"secretKey": p.raw("ExternalSecret spec")}]},
            "status": {"conditions": [{"message": p.raw("ExternalSecret status")}]}}),
        json!({"apiVersion": "example.com/v1", "kind": "WidgetList", "items": [
            {"metadata": {"name": "w"}, "spec": {"password": p.b64json("unknown typed list item")}}]}),
    ];
    write_json(
        &dir.join("other-kinds.json"),
        &json!({"apiVersion": "v1", "kind": "List", "items": items}),
    );
    write_json(
        &dir.join("secretlist.json"),
        &json!({"apiVersion": "v1", "kind": "SecretList", "items": [
            {"metadata": {"name": "typed", "namespace": "vault"}, "data": {"k": p.b64("typed SecretList")}}]}),
    );
    write_json(
        &dir.join("kubeconfig.json"),
        &json!({"apiVersion": "v1", "kind": "Config", "current-context": "c",
            "clusters": [{"name": "c", "cluster": {"server": format!("https://u:{}@10.0.0.1:6443", p.raw("kubeconfig server")),
                "certificate-authority-data": p.b64("kubeconfig CA")}}],
            "users": [{"name": "u", "user": {"token": p.raw("kubeconfig token"),
                "client-key-data": p.b64("kubeconfig client key"), "password": p.raw("kubeconfig password")}}],
            "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}]}),
    );
    write_json(&dir.join("encryption.json"), &encryption_config(p));
}

fn encryption_config(p: &mut Plant) -> Value {
    json!({"apiVersion": "apiserver.config.k8s.io/v1", "kind": "EncryptionConfiguration",
        "resources": [{"resources": ["secrets"], "providers": [
            {"aescbc": {"keys": [{"name": "k1", "secret": p.b64("aescbc key"), "note": p.raw("key unknown field")}]}},
            {"secretbox": {"keys": [{"name": "k2", "secret": p.b64("secretbox key")}]}},
            {"kms": {"apiVersion": "v2", "name": "vault", "endpoint": "unix:///kms.sock"}},
            {"identity": {}}]}]})
}

fn audit_policy(p: &mut Plant, path: &Path) {
    write_json(
        path,
        &json!({"apiVersion": "audit.k8s.io/v1", "kind": "Policy",
            "metadata": {"name": "p", "annotations": {"note": p.raw("audit policy annotation")}},
            "rules": [{"level": "Metadata", "extra": p.raw("audit policy unknown field")}]}),
    );
}

fn audit_log(p: &mut Plant, path: &Path) {
    let t = "2026-01-01T00:00:00Z";
    let lines = [
        json!({"kind": "Event", "verb": "get", "user": {"username": "u"}, "requestReceivedTimestamp": t,
            "responseStatus": {"code": p.raw("audit responseStatus.code")}}),
        json!({"kind": "Event", "verb": [p.raw("audit verb")], "user": {"username": "u"}, "requestReceivedTimestamp": t}),
        json!({"kind": p.raw("audit kind"), "verb": "get"}),
        json!({"apiVersion": p.raw("audit apiVersion"), "verb": "get"}),
        json!({"verb": "get", "user": {"username": "u"}, "requestReceivedTimestamp": p.raw("audit time")}),
        json!({"verb": "get", "user": {"username": {"x": p.raw("audit username object")}}, "timestamp": t}),
        json!(p.raw("audit event as a string")),
        json!({"kind": "Event", "apiVersion": "audit.k8s.io/v1", "verb": "create", "user": {"username": "u",
                "extra": {"token": [p.raw("audit user extra")]}},
            "objectRef": {"resource": "secrets", "namespace": "vault", "name": "db"},
            "requestReceivedTimestamp": t, "userAgent": p.raw("audit userAgent"),
            "requestObject": {"data": {"password": p.b64("audit requestObject")}},
            "responseObject": {"data": p.raw("audit responseObject")},
            "responseStatus": {"code": 201, "message": p.raw("audit responseStatus.message")},
            "annotations": {"authorization.k8s.io/reason": p.raw("audit annotation")}}),
    ];
    let text: Vec<String> = lines.iter().map(Value::to_string).collect();
    std::fs::write(path, text.join("\n") + "\n").unwrap();
}

/// Everything a run wrote, to search: each file under `paths` (archives unpacked), and the
/// commands' output.
fn haystack(paths: &[PathBuf], outputs: &[String]) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = outputs
        .iter()
        .enumerate()
        .map(|(i, o)| (format!("output of command {i}"), o.clone().into_bytes()))
        .collect();
    fn walk(p: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        if p.is_dir() {
            for e in std::fs::read_dir(p).unwrap() {
                walk(&e.unwrap().path(), out);
            }
        } else if p.is_file() {
            let bytes = std::fs::read(p).unwrap();
            if p.to_string_lossy().ends_with(".tar.gz") {
                use std::io::Read;
                let mut raw = Vec::new();
                flate2::read::MultiGzDecoder::new(&bytes[..])
                    .read_to_end(&mut raw)
                    .unwrap();
                out.push((format!("{} (unpacked)", p.display()), raw));
            }
            out.push((p.display().to_string(), bytes));
        }
    }
    for p in paths {
        walk(p, &mut out);
    }
    out
}

/// Asserts no marker (nor its base64 forms) is in any of the files.
fn assert_no_marker(plant: &Plant, files: &[(String, Vec<u8>)]) {
    assert!(
        files.iter().any(|(n, _)| n.ends_with("packet.md")),
        "no packet searched"
    );
    let mut found = Vec::new();
    let mut leaked = std::collections::BTreeSet::new();
    for (marker, place) in &plant.markers {
        for n in needles(marker) {
            for (name, bytes) in files {
                if memchr::memmem::find(bytes, n.as_bytes()).is_some() {
                    found.push(format!("{place} ({n}) in {name}"));
                    leaked.insert(marker);
                }
            }
        }
    }
    found.sort();
    found.dedup();
    assert!(
        found.is_empty(),
        "{} of {} markers leaked:\n{}",
        leaked.len(),
        plant.markers.len(),
        found.join("\n")
    );
}

fn auditpack(dir: &Path, args: &[&str]) -> (i32, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_auditpack"))
        .args(args)
        .current_dir(dir)
        .env_remove("KUBECONFIG")
        .env("HOME", dir)
        .output()
        .unwrap();
    (o.status.code().unwrap_or(-1), common::text(&o))
}

fn keygen(dir: &Path) {
    let (code, out) = auditpack(dir, &["keygen", "--out", "keys", "--name", "signer"]);
    assert_eq!(code, 0, "{out}");
}

/// Runs `collect` and `packet --archive` on `source` in `d` (signing with a new key), and
/// returns every file they wrote and what they printed.
fn collect_and_packet(d: &Path, source: &[&str]) -> Vec<(String, Vec<u8>)> {
    keygen(d);
    let mut args = vec!["collect"];
    args.extend(source);
    args.extend(["--out", "snapshot.json"]);
    let (code, collect_out) = auditpack(d, &args);
    assert_eq!(code, 0, "{collect_out}");
    let mut args = vec!["packet"];
    args.extend(source);
    args.extend([
        "--key",
        "keys/signer.key.pem",
        "--out",
        "packet",
        "--archive",
        "packet.tar.gz",
    ]);
    let (code, packet_out) = auditpack(d, &args);
    assert!(matches!(code, 0 | 3..=5), "{packet_out}");
    haystack(
        &[
            d.join("snapshot.json"),
            d.join("packet"),
            d.join("packet.tar.gz"),
            d.join("packet.tar.gz.json"),
        ],
        &[collect_out, packet_out],
    )
}

fn redaction_pointers(snapshot: &Path) -> Vec<(String, String, String)> {
    let snap: Value = serde_json::from_slice(&std::fs::read(snapshot).unwrap()).unwrap();
    snap["redactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["kind"].as_str().unwrap().to_string(),
                r["pointer"].as_str().unwrap().to_string(),
                r["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn has(redactions: &[(String, String, String)], kind: &str, pointer: &str) {
    assert!(
        redactions.iter().any(|(k, p, _)| k == kind && p == pointer),
        "no redaction of {kind} {pointer}"
    );
}

/// 70 of 121 planted markers reached an imported snapshot and its packet.
#[test]
fn no_marker_survives_an_import_into_the_snapshot_or_the_packet() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let mut p = Plant {
        markers: Vec::new(),
    };
    let export = d.join("export");
    cluster(&mut p, &export.join("cluster"));
    import_only(&mut p, &export.join("extra"));
    audit_policy(&mut p, &d.join("policy.json"));
    audit_log(&mut p, &d.join("audit.log"));
    assert!(p.markers.len() > 120, "{} markers", p.markers.len());
    let files = collect_and_packet(
        d,
        &[
            "--from-dir",
            "export",
            "--audit-policy",
            "policy.json",
            "--audit-log",
            "audit.log",
        ],
    );
    assert_no_marker(&p, &files);

    // What was taken is listed, where it was.
    let r = redaction_pointers(&d.join("snapshot.json"));
    for (kind, pointer) in [
        ("secrets", "/data/password"),
        ("secrets", "/stringData/k"),
        ("secrets", "/data/k"),
        ("configmaps", "/data/api-key"),
        ("components.dapr.io", "/spec"),
        ("applications.argoproj.io", "/spec"),
        ("configs", "/users"),
        ("pods", "/spec/containers/0/command/1"),
        ("pods", "/spec/containers/0/command/3"),
        ("pods", "/spec/containers/0/args/3"),
        ("pods", "/spec/containers/0/env/0/value"),
        (
            "pods",
            "/spec/containers/0/livenessProbe/httpGet/httpHeaders/0/value",
        ),
        ("pods", "/spec/containers/0/readinessProbe/exec/command"),
        ("pods", "/spec/volumes/0/csi/volumeAttributes"),
        ("pods", "/spec/volumes/1/flexVolume/options"),
        (
            "pods",
            "/status/containerStatuses/0/state/terminated/message",
        ),
        ("pods", "/metadata/labels/db-password"),
        (
            "validatingwebhookconfigurations.admissionregistration.k8s.io",
            "/webhooks/0/clientConfig/url",
        ),
        (
            "EncryptionConfiguration",
            "/resources/0/providers/0/aescbc/keys/0/secret",
        ),
        ("Policy", "/rules/0/extra"),
    ] {
        has(&r, kind, pointer);
    }
    // And the evidence stays evidence: flag names, the apiserver's flags, names.
    let snap: Value =
        serde_json::from_slice(&std::fs::read(d.join("snapshot.json")).unwrap()).unwrap();
    let pods = snap["resources"]["pods"]["items"].as_array().unwrap();
    let app = pods
        .iter()
        .find(|p| p["metadata"]["name"] == "payments-0")
        .unwrap();
    assert_eq!(
        app["spec"]["containers"][0]["command"][1],
        "--password=<redacted by auditpack>"
    );
    assert_eq!(app["spec"]["containers"][0]["command"][2], "--token");
    let names: Vec<&str> = snap["resources"]["secrets"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["metadata"]["name"].as_str().unwrap())
        .collect();
    for n in ["db", "lower", "upper", "nested", "typed"] {
        assert!(names.contains(&n), "Secret {n} missing from {names:?}");
    }
    let findings = std::fs::read_to_string(d.join("packet/findings.json")).unwrap();
    assert!(
        findings.contains("--encryption-provider-config=/etc/kubernetes/enc.yaml"),
        "the apiserver flags are still evidence"
    );
    // The credential-named literal is reported from the redactor's marker alone: the
    // check names the variable, and its value (searched above) is nowhere.
    let findings: Value = serde_json::from_str(&findings).unwrap();
    let literal = findings["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "secrets.literal-env")
        .unwrap();
    assert_eq!(literal["status"], "fail");
    assert!(
        literal["observations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["message"].as_str().unwrap().contains(
                "Pod vault/payments-0: container app sets DB_PASSWORD to a literal value"
            )),
        "{literal:#}"
    );
}

/// 55 planted markers reached a live snapshot and its packet, and the userinfo of the
/// kubeconfig's server URL reached `source.server`.
#[test]
fn no_marker_survives_live_collection_into_the_snapshot_or_the_packet() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let mut p = Plant {
        markers: Vec::new(),
    };
    cluster(&mut p, &d.join("served"));
    write_json(&d.join("enc.json"), &encryption_config(&mut p));
    audit_policy(&mut p, &d.join("policy.json"));
    audit_log(&mut p, &d.join("audit.log"));
    let server = Server::start(Config::new(d.join("served"))).unwrap();
    let url = server.url();
    let with_userinfo = url.replacen(
        "https://",
        &format!("https://admin:{}@", p.raw("kubeconfig server userinfo")),
        1,
    );
    std::fs::write(
        d.join("kubeconfig"),
        server.kubeconfig().replace(&url, &with_userinfo),
    )
    .unwrap();
    assert!(p.markers.len() > 100, "{} markers", p.markers.len());
    let files = collect_and_packet(
        d,
        &[
            "--kubeconfig",
            "kubeconfig",
            "--encryption-config",
            "enc.json",
            "--audit-policy",
            "policy.json",
            "--audit-log",
            "audit.log",
        ],
    );
    assert_no_marker(&p, &files);

    let snap: Value =
        serde_json::from_slice(&std::fs::read(d.join("snapshot.json")).unwrap()).unwrap();
    assert_eq!(snap["source"]["server"], url, "server URL without userinfo");
    let r = redaction_pointers(&d.join("snapshot.json"));
    has(&r, "Snapshot", "/source/server");
    has(
        &r,
        "secrets",
        "/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration",
    );
    has(&r, "pods", "/spec/containers/0/args/0");
    has(
        &r,
        "EncryptionConfiguration",
        "/resources/0/providers/1/secretbox/keys/0/secret",
    );
    // The transport check still sees an HTTPS endpoint.
    let findings = std::fs::read_to_string(d.join("packet/findings.json")).unwrap();
    assert!(findings.contains(&format!("collected from {url}")), "{url}");
}

/// The search finds a marker however it was encoded, so a pass means absence.
#[test]
fn the_search_finds_markers_in_every_encoding() {
    let m = "SNTL042Q7XK";
    for text in [
        format!("x{m}y"),
        STANDARD.encode(m),
        STANDARD.encode(format!("a{m}")),
        STANDARD.encode(format!("ab{m}c")),
        URL_SAFE.encode(json!({"password": m}).to_string()),
    ] {
        assert!(
            needles(m).iter().any(|n| text.contains(n.as_str())),
            "{text}"
        );
    }
    assert!(
        !needles(m)
            .iter()
            .any(|n| "SNTL043Q7XK".contains(n.as_str()))
    );
}
