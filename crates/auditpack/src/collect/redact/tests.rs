use super::*;
use crate::snapshot::kinds;
use serde_json::json;

fn pointers(r: &[Redaction]) -> Vec<&str> {
    r.iter().map(|r| r.pointer.as_str()).collect()
}

#[test]
fn secret_keeps_type_and_names_but_not_data() {
    let mut s = json!({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
        "metadata": {"name": "db", "namespace": "prod", "managedFields": [{"x": 1}],
            "annotations": {LAST_APPLIED: "{\"data\":{\"p\":\"c2VjcmV0\"}}", "team": "a"}},
        "data": {"p": "c2VjcmV0", "a/b": "eA=="}, "stringData": {"q": "plain"}});
    let r = redact_object(&mut s, kinds::SECRETS.key);
    assert_eq!(
        s,
        json!({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": "db", "namespace": "prod"}})
    );
    let p = pointers(&r);
    for want in [
        "/data/p",
        "/data/a~1b",
        "/stringData/q",
        "/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration",
        "/metadata/annotations/team",
    ] {
        assert!(p.contains(&want), "{want} not in {p:?}");
    }
    assert_eq!(r.len(), 5);
    assert!(
        r.iter()
            .all(|r| r.name == "db" && r.namespace.as_deref() == Some("prod"))
    );
}

/// `kind: secret` and `SECRET` were filed as Secrets but escaped the Secret redaction,
/// which matched the kind's case exactly.
#[test]
fn secret_kind_in_any_case_is_reduced_to_metadata() {
    for kind in ["secret", "SECRET", "sEcReT"] {
        let mut s = json!({"apiVersion": "v1", "kind": kind, "metadata": {"name": "x"},
            "type": "Opaque", "data": {"k": "c2VjcmV0"}, "extra": {"k": "v"}});
        let r = redact_object(&mut s, kinds::SECRETS.key);
        assert_eq!(
            s,
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "x"}, "type": "Opaque"}),
            "{kind}"
        );
        assert!(pointers(&r).contains(&"/data/k"));
        assert!(pointers(&r).contains(&"/extra"));
    }
}

/// A kind auditpack does not evaluate kept its whole body (Dapr Component metadata,
/// Argo Helm values, a kubeconfig's tokens).
#[test]
fn unevaluated_kinds_keep_only_identity_and_metadata_without_annotations() {
    let mut c = json!({"apiVersion": "dapr.io/v1alpha1", "kind": "Component",
        "metadata": {"name": "statestore", "namespace": "app", "labels": {"team": "a"},
            "annotations": {"note": "x"}},
        "spec": {"type": "state.redis", "metadata": [{"name": "redisPassword", "value": "pw"}]},
        "auth": {"secretStore": "k8s"}});
    let r = redact_object(&mut c, "components.dapr.io");
    assert_eq!(
        c,
        json!({"apiVersion": "dapr.io/v1alpha1", "kind": "Component",
            "metadata": {"name": "statestore", "namespace": "app", "labels": {"team": "a"}}})
    );
    assert_eq!(
        pointers(&r),
        ["/metadata/annotations/note", "/spec", "/auth"]
    );
    let mut kubeconfig = json!({"apiVersion": "v1", "kind": "Config",
        "users": [{"name": "u", "user": {"token": "t"}}], "clusters": [], "current-context": "c"});
    redact_object(&mut kubeconfig, "configs");
    assert_eq!(kubeconfig, json!({"apiVersion": "v1", "kind": "Config"}));
    // A list of an unknown kind (or a SecretList left nested) keeps no items.
    let mut list = json!({"apiVersion": "v1", "kind": "SecretList",
        "items": [{"metadata": {"name": "s"}, "data": {"k": "dg=="}}]});
    redact_object(&mut list, "secretlists");
    assert_eq!(list, json!({"apiVersion": "v1", "kind": "SecretList"}));
}

#[test]
fn env_values_in_every_pod_template_are_replaced_names_kept() {
    let mut cj = json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c"},
        "spec": {"jobTemplate": {"spec": {"template": {
            "metadata": {"annotations": {LAST_APPLIED: "x"}},
            "spec": {
            "initContainers": [{"name": "i", "env": [{"name": "A", "value": "s1"}]}],
            "containers": [{"name": "m", "env": [
                {"name": "B", "value": "s2"},
                {"name": "C", "valueFrom": {"secretKeyRef": {"name": "x", "key": "y"}}},
                {"name": "D", "value": ""},
                {"name": "N", "value": 1234}]}],
            "ephemeralContainers": [{"name": "e", "env": [{"name": "E", "value": "s3"}]}]}}}}}});
    let r = redact_object(&mut cj, kinds::CRON_JOBS.key);
    let text = cj.to_string();
    for s in ["\"s1\"", "\"s2\"", "\"s3\"", "1234"] {
        assert!(!text.contains(s), "{s} left in {text}");
    }
    let spec = &cj["spec"]["jobTemplate"]["spec"]["template"]["spec"];
    assert_eq!(spec["containers"][0]["env"][0]["name"], "B");
    assert_eq!(spec["containers"][0]["env"][0]["value"], REDACTED);
    assert!(spec["containers"][0]["env"][1].get("valueFrom").is_some());
    assert_eq!(spec["containers"][0]["env"][2]["value"], "");
    let p = pointers(&r);
    for want in [
        "/spec/jobTemplate/spec/template/spec/containers/0/env/0/value",
        "/spec/jobTemplate/spec/template/spec/containers/0/env/3/value",
        "/spec/jobTemplate/spec/template/spec/initContainers/0/env/0/value",
        "/spec/jobTemplate/spec/template/spec/ephemeralContainers/0/env/0/value",
    ] {
        assert!(p.contains(&want), "{want} not in {p:?}");
    }
    assert_eq!(r.len(), 5, "{r:?}");
}

#[test]
fn configmap_data_dropped() {
    let mut cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"},
        "data": {"k": "v"}, "binaryData": {"b": "AA=="}});
    let r = redact_object(&mut cm, "configmaps");
    assert!(cm.get("data").is_none() && cm.get("binaryData").is_none());
    assert_eq!(pointers(&r), ["/data/k", "/binaryData/b"]);
    assert!(r.iter().all(|r| r.reason == "configmap data"));
}

#[test]
fn encryption_keys_removed_names_and_kms_kept() {
    let mut doc = json!({"kind": "EncryptionConfiguration", "apiVersion": "apiserver.config.k8s.io/v1",
        "resources": [{"resources": ["secrets"], "providers": [
            {"aescbc": {"keys": [{"name": "key1", "secret": "c2VjcmV0", "note": "x"}]}},
            {"kms": {"name": "vault", "endpoint": "unix:///kms.sock"}},
            {"identity": {}}]}]});
    let removed = redact_encryption_config(&mut doc);
    assert_eq!(
        removed,
        [
            Removed {
                pointer: "/resources/0/providers/0/aescbc/keys/0/secret".into(),
                reason: "encryption key material"
            },
            Removed {
                pointer: "/resources/0/providers/0/aescbc/keys/0/note".into(),
                reason: allow::NOT_READ
            }
        ]
    );
    assert_eq!(
        doc["resources"][0]["providers"][0]["aescbc"]["keys"][0],
        json!({"name": "key1"})
    );
    assert_eq!(
        doc["resources"][0]["providers"][1]["kms"]["endpoint"],
        "unix:///kms.sock"
    );
    assert_eq!(doc["resources"][0]["providers"][2], json!({"identity": {}}));
}

#[test]
fn plain_objects_are_untouched_except_managed_fields() {
    let mut rb = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
        "metadata": {"name": "r", "managedFields": []}, "subjects": [], "roleRef": {"name": "x"}});
    let r = redact_object(&mut rb, kinds::ROLE_BINDINGS.key);
    assert!(r.is_empty());
    assert!(rb["metadata"].get("managedFields").is_none());
}

/// Probe headers, exec commands, CSI attributes and flexVolume options passed through
/// untouched; the allow-list keeps only what the checks read, and says what it took.
#[test]
fn pod_secret_locations_are_masked_and_listed() {
    let mut pod = json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "p", "namespace": "n",
            "labels": {"app": "web", "api-token": "t0k", "tls-enabled": "true"},
            "annotations": {"dapr.io/enabled": "true", "sidecar.istio.io/inject": "maybe-s3cret",
                "kapp.k14s.io/original": "{}", "prometheus.io/scrape": "true",
                "container.apparmor.security.beta.kubernetes.io/app": "localhost/my-profile"}},
        "spec": {
            "hostNetwork": true,
            "tolerations": [{"key": "k", "value": "v"}],
            "containers": [{
                "name": "app", "image": "img@sha256:aa",
                "args": ["--token=abc", "--port=80"],
                "resources": {"limits": {"cpu": "1"}},
                "livenessProbe": {"httpGet": {"path": "/h?token=q", "port": 80, "host": "h",
                    "httpHeaders": [{"name": "Authorization", "value": "Bearer x"}]}},
                "readinessProbe": {"exec": {"command": ["sh", "-c", "check --password p"]}},
                "lifecycle": {"preStop": {"exec": {"command": ["x"]}}},
                "terminationMessagePath": "/dev/termination-log",
                "securityContext": {"windowsOptions": {"gmsaCredentialSpec": "{...}", "hostProcess": false}},
                "unknownField": "u"}],
            "volumes": [
                {"name": "c", "csi": {"driver": "d", "volumeAttributes": {"password": "x"}}},
                {"name": "f", "flexVolume": {"driver": "d", "options": {"k": "v"}}},
                {"name": "h", "hostPath": "not-an-object"}]},
        "status": {"phase": "Running", "message": "oom", "podIP": "10.0.0.1",
            "conditions": [{"type": "Ready", "status": "True", "message": "m"}],
            "containerStatuses": [{"state": {"terminated": {"message": "boom"}}}]}});
    let r = redact_object(&mut pod, kinds::PODS.key);
    let got: Vec<(&str, &str)> = r
        .iter()
        .map(|r| (r.pointer.as_str(), r.reason.as_str()))
        .collect();
    let want = [
        (
            "/metadata/labels/api-token",
            "label value under a credential-like key",
        ),
        (
            "/metadata/annotations/sidecar.istio.io~1inject",
            "annotation value of an unexpected form",
        ),
        (
            "/metadata/annotations/kapp.k14s.io~1original",
            "annotation holding a copy of the object",
        ),
        (
            "/metadata/annotations/prometheus.io~1scrape",
            "annotation not read by any check",
        ),
        (
            "/spec/containers/0/args/0",
            "credential in a command-line argument",
        ),
        (
            "/spec/containers/0/livenessProbe/httpGet/path",
            "credential in a URL",
        ),
        (
            "/spec/containers/0/livenessProbe/httpGet/httpHeaders/0/value",
            "HTTP header value",
        ),
        (
            "/spec/containers/0/readinessProbe/exec/command",
            "exec command",
        ),
        (
            "/spec/containers/0/lifecycle/preStop/exec/command",
            "exec command",
        ),
        (
            "/spec/containers/0/securityContext/windowsOptions/gmsaCredentialSpec",
            allow::NOT_READ,
        ),
        ("/spec/containers/0/unknownField", allow::NOT_READ),
        (
            "/spec/volumes/0/csi/volumeAttributes",
            "CSI volume attributes",
        ),
        ("/spec/volumes/1/flexVolume/options", "flexVolume options"),
        ("/spec/volumes/2/hostPath", allow::WRONG_TYPE),
        ("/status/message", "status message"),
        ("/status/conditions/0/message", "status message"),
        (
            "/status/containerStatuses/0/state/terminated/message",
            "status message",
        ),
    ];
    assert_eq!(got, want);
    let c = &pod["spec"]["containers"][0];
    assert_eq!(
        c["args"],
        json!([format!("--token={REDACTED}"), "--port=80"])
    );
    assert_eq!(c["livenessProbe"]["httpGet"]["host"], "h");
    assert_eq!(
        c["livenessProbe"]["httpGet"]["httpHeaders"][0]["name"],
        "Authorization"
    );
    assert_eq!(c["readinessProbe"]["exec"]["command"], json!([REDACTED]));
    // Resource quantities are evidence (workload.resources reads them); bookkeeping is not.
    assert_eq!(c["resources"], json!({"limits": {"cpu": "1"}}));
    assert!(c.get("terminationMessagePath").is_none());
    assert_eq!(
        pod["spec"]["volumes"][0],
        json!({"name": "c", "csi": {"driver": "d"}})
    );
    // The volume keeps its type, so the Pod Security Standards still see it.
    assert_eq!(
        pod["spec"]["volumes"][2],
        json!({"name": "h", "hostPath": {}})
    );
    assert_eq!(pod["spec"]["hostNetwork"], true);
    assert!(pod["spec"].get("tolerations").is_none());
    assert_eq!(
        pod["metadata"]["labels"],
        json!({"app": "web", "api-token": REDACTED, "tls-enabled": "true"})
    );
    assert_eq!(pod["metadata"]["annotations"]["dapr.io/enabled"], "true");
    assert_eq!(
        pod["metadata"]["annotations"]["container.apparmor.security.beta.kubernetes.io/app"],
        "localhost/my-profile"
    );
    assert_eq!(
        pod["status"],
        json!({"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]})
    );
}

#[test]
fn webhook_url_userinfo_and_ca_bundle() {
    let mut w = json!({"apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingWebhookConfiguration", "metadata": {"name": "w"},
        "webhooks": [{"name": "a.example.com", "failurePolicy": "Fail",
            "clientConfig": {"url": "https://user:pw@hooks.example.com/validate?key=k", "caBundle": "LS0t"},
            "rules": [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}]}]});
    let r = redact_object(&mut w, kinds::VALIDATING_WEBHOOKS.key);
    assert_eq!(
        w["webhooks"][0]["clientConfig"],
        json!({"url": format!("https://{REDACTED}@hooks.example.com/validate?key={REDACTED}")})
    );
    assert_eq!(pointers(&r), ["/webhooks/0/clientConfig/url"]);
}

/// Redacting what was already redacted (a snapshot read back, an export of one) changes
/// nothing and lists nothing.
#[test]
fn redaction_is_idempotent() {
    let mut pod = json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "p", "labels": {"db-password": "x"}, "annotations": {"a": "b"}},
        "spec": {"containers": [{"name": "c", "command": ["run", "--password", "pw", "TOKEN=1 https://u:p@h/"],
            "env": [{"name": "A", "value": "v"}],
            "startupProbe": {"exec": {"command": ["a"]}, "httpGet": {"path": "/?token=1",
                "httpHeaders": [{"name": "X", "value": "y"}]}}}]}});
    let first = redact_object(&mut pod, kinds::PODS.key);
    assert!(!first.is_empty());
    let once = pod.clone();
    let second = redact_object(&mut pod, kinds::PODS.key);
    assert_eq!(pod, once);
    assert!(second.is_empty(), "{second:?}");
}

#[test]
fn server_url_loses_userinfo() {
    assert_eq!(
        server_url("https://admin:hunter2@127.0.0.1:6443").as_deref(),
        Some("https://127.0.0.1:6443")
    );
    assert_eq!(server_url("https://127.0.0.1:6443"), None);
}

/// A resource quantity is evidence; anything else in its place is masked, not copied.
#[test]
fn resource_quantities_stay_and_other_values_are_masked() {
    let mut pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "n"},
        "spec": {"containers": [{"name": "a", "resources": {
            "limits": {"cpu": "500m", "memory": "128Mi", "nvidia.com/gpu": 1},
            "requests": {"cpu": "hunter2-password"},
            "claims": [{"name": "gpu"}]}}]}});
    let r = redact_object(&mut pod, "pods");
    assert_eq!(
        pod["spec"]["containers"][0]["resources"],
        json!({"limits": {"cpu": "500m", "memory": "128Mi", "nvidia.com/gpu": 1},
            "requests": {"cpu": REDACTED}})
    );
    assert_eq!(pointers(&r), ["/spec/containers/0/resources/requests/cpu"]);
}

/// A Service keeps what the exposure check reads, and its selector's credential-like
/// values are masked like labels.
#[test]
fn services_keep_type_ports_and_addresses() {
    let mut svc = json!({"apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "s", "namespace": "n", "annotations": {
            "networking.gke.io/load-balancer-type": "Internal", "example.com/owner": "x"}},
        "spec": {"type": "NodePort", "clusterIP": "10.0.0.1",
            "selector": {"app": "web", "api-token": "abc123"},
            "ports": [{"port": 80, "nodePort": 30003, "targetPort": "http"}],
            "externalIPs": ["203.0.113.7"], "unknown": "x"},
        "status": {"loadBalancer": {"ingress": [{"ip": "198.51.100.1"}]}}});
    let r = redact_object(&mut svc, "services");
    assert_eq!(svc["spec"]["type"], "NodePort");
    assert_eq!(svc["spec"]["ports"][0]["nodePort"], 30003);
    assert_eq!(svc["spec"]["externalIPs"], json!(["203.0.113.7"]));
    assert_eq!(
        svc["spec"]["selector"],
        json!({"app": "web", "api-token": REDACTED})
    );
    assert_eq!(
        svc["metadata"]["annotations"],
        json!({"networking.gke.io/load-balancer-type": "Internal"})
    );
    assert!(svc["spec"].get("clusterIP").is_none());
    assert_eq!(
        svc["status"]["loadBalancer"]["ingress"][0]["ip"],
        "198.51.100.1"
    );
    let p = pointers(&r);
    assert!(
        p.contains(&"/spec/unknown") && p.contains(&"/spec/selector/api-token"),
        "{p:?}"
    );
}
