//! Platform controls: encryption at rest (HIPAA 164.312(a)(2)(iv)), in transit
//! (164.312(e)(1)), audit logging (SOC2 CC7.2, HIPAA 164.312(b)) and image-signature
//! admission (164.312(c)(1)). Evidence comes from the EncryptionConfiguration and audit
//! Policy files, the kube-apiserver pod's flags when the control plane is visible, and the
//! objects of Dapr, Istio, Linkerd, Kyverno and sigstore.

use std::collections::BTreeMap;

use serde_json::Value;

use super::Ctx;
use super::util::{
    Builder, SYSTEM_NAMESPACES, arr, evidence, evidence_file, is_static_pod, name, namespace,
    str_at, strs,
};
use crate::findings::{CheckResult, Status};

/// What the snapshot shows of the kube-apiserver.
pub enum ApiServer {
    /// Pods were not collected.
    NotCollected,
    /// No kube-apiserver pod: a managed control plane, most likely.
    NotVisible,
    /// The first kube-apiserver pod and its flags.
    Visible(Value, BTreeMap<String, String>),
}

/// Finds the kube-apiserver pod (kube-system, label `component=kube-apiserver`) and parses
/// its `--flag=value` / `--flag value` arguments. Only kube-system's pods are parsed.
pub fn apiserver(ctx: &Ctx<'_>) -> ApiServer {
    let Ok(pods) = ctx.objects_in("pods", "kube-system") else {
        return ApiServer::NotCollected;
    };
    let Some(pod) = pods
        .into_iter()
        .find(|p| str_at(p, "/metadata/labels/component") == Some("kube-apiserver"))
    else {
        return ApiServer::NotVisible;
    };
    let mut flags = BTreeMap::new();
    for c in arr(&pod, "/spec/containers") {
        let args: Vec<&str> = strs(c, "/command")
            .into_iter()
            .chain(strs(c, "/args"))
            .collect();
        let mut i = 0;
        while i < args.len() {
            if let Some(f) = args[i].strip_prefix("--") {
                if let Some((k, v)) = f.split_once('=') {
                    flags.insert(k.to_string(), v.to_string());
                } else if i + 1 < args.len() && !args[i + 1].starts_with("--") {
                    flags.insert(f.to_string(), args[i + 1].to_string());
                    i += 1;
                } else {
                    flags.insert(f.to_string(), "true".to_string());
                }
            }
            i += 1;
        }
    }
    ApiServer::Visible(pod, flags)
}

fn flag_ptr(pod: &Value, flag: &str) -> String {
    for (ci, c) in arr(pod, "/spec/containers").iter().enumerate() {
        for field in ["command", "args"] {
            for (i, a) in strs(c, &format!("/{field}")).iter().enumerate() {
                if a.starts_with(&format!("--{flag}")) {
                    return format!("/spec/containers/{ci}/{field}/{i}");
                }
            }
        }
    }
    "/spec/containers/0/command".to_string()
}

const APISERVER_CMD: &str = "kubectl get pods -n kube-system -l component=kube-apiserver -o yaml";

/// Provider names by strength, strongest first.
fn provider_strength(p: &Value) -> (u8, String) {
    let Some(obj) = p.as_object() else {
        return (0, "unknown".into());
    };
    let Some((k, v)) = obj.iter().next() else {
        return (0, "empty".into());
    };
    let invalid = "the API server refuses such a file, so it cannot be the one in use";
    let keyed = |name: &str, strength: u8| {
        if arr(v, "/keys").is_empty() {
            (0, format!("{name} with no keys ({invalid})"))
        } else {
            (strength, name.to_string())
        }
    };
    match k.as_str() {
        "kms" => match str_at(v, "/apiVersion") {
            Some("v2") => (5, "kms v2".into()),
            None | Some("v1") => (3, "kms v1 (deprecated)".into()),
            Some(other) => (0, format!("kms with apiVersion {other} ({invalid})")),
        },
        "secretbox" => keyed("secretbox", 4),
        "aesgcm" => keyed("aesgcm", 4),
        "aescbc" => keyed("aescbc", 2),
        "identity" => (0, "identity (no encryption)".into()),
        other => (0, format!("unknown provider {other}")),
    }
}

/// `encryption.at-rest`: Secrets are encrypted in etcd.
pub fn at_rest(ctx: &Ctx) -> CheckResult {
    let mut b = Builder::new(
        "encryption.at-rest",
        "Secrets encrypted at rest",
        "EncryptionConfiguration, kube-apiserver --encryption-provider-config",
    );
    b.cmd(APISERVER_CMD);
    let api = apiserver(ctx);
    let flag = match &api {
        ApiServer::Visible(pod, f) => Some((pod, f.get("encryption-provider-config"))),
        _ => None,
    };
    let Some(ec) = &ctx.snap.encryption_config else {
        b.cmd("cat /etc/kubernetes/enc/encryption-config.yaml  # on a control-plane node, then: auditpack collect --encryption-config FILE");
        return match (flag, &api) {
            (Some((pod, Some(path))), _) => {
                b.push(Status::Partial, format!("kube-apiserver is started with --encryption-provider-config={path}, but the file itself was not supplied"), evidence("pods", pod, flag_ptr(pod, "encryption-provider-config")));
                b.finish(Status::Partial, format!("The API server names an encryption configuration ({path}), so some resources are encrypted at rest, but without the file it cannot be shown that Secrets are covered or that the first provider is not `identity`."), Some("Supply the EncryptionConfiguration (key material is removed on import) with `auditpack collect --encryption-config FILE`."))
            }
            (Some((pod, None)), _) => {
                b.push(Status::Fail, "kube-apiserver runs without --encryption-provider-config: Secrets are stored in etcd unencrypted (base64 is an encoding, not encryption)", evidence("pods", pod, "/spec/containers/0/command"));
                b.finish(Status::Fail, "The API server runs without an encryption provider configuration, so Secrets are written to etcd in plain text.", Some("Create an EncryptionConfiguration covering secrets with a kms v2 (or secretbox/aesgcm) provider first, start kube-apiserver with --encryption-provider-config, then rewrite all Secrets: `kubectl get secrets -A -o json | kubectl replace -f -`."))
            }
            (_, ApiServer::NotCollected) => {
                b.push(Status::NotCollected, "neither an EncryptionConfiguration nor the kube-apiserver pod is in the snapshot", evidence_file("EncryptionConfiguration", "", ""));
                b.finish(Status::NotCollected, "No EncryptionConfiguration was supplied and pods were not collected, so encryption at rest cannot be judged.", Some("Supply the EncryptionConfiguration with `--encryption-config`, or an attestation from the platform provider."))
            }
            _ => {
                b.push(Status::Manual, "the control plane is not visible (managed cluster) and no EncryptionConfiguration was supplied", evidence_file("EncryptionConfiguration", "", ""));
                b.finish(Status::Manual, "The control plane is not visible from the cluster (typical of managed Kubernetes) and no EncryptionConfiguration was supplied. Encryption of Secrets in etcd, and of persistent volumes, must be attested by the platform owner.", Some("Attach the provider's attestation: e.g. EKS `aws eks describe-cluster --query cluster.encryptionConfig`, GKE `gcloud container clusters describe --format='value(databaseEncryption)'`, AKS KMS settings; and the storage class's volume encryption."))
            }
        };
    };
    let doc = &ec.document;
    let kind = str_at(doc, "/kind").unwrap_or("");
    let file_ref = |ptr: String| evidence_file("EncryptionConfiguration", &ec.path, ptr);
    let api_version = str_at(doc, "/apiVersion").unwrap_or("");
    let valid_kind = (kind == "EncryptionConfiguration"
        && api_version == "apiserver.config.k8s.io/v1")
        || (kind == "EncryptionConfig" && api_version == "v1");
    if !valid_kind {
        b.push(
            Status::Fail,
            format!(
                "{} is not an EncryptionConfiguration (kind {kind:?})",
                ec.path
            ),
            file_ref("/kind".into()),
        );
        return b.finish(Status::Fail, "The supplied encryption configuration is not an EncryptionConfiguration document, so it shows nothing about encryption at rest.", Some("Supply the file named by kube-apiserver's --encryption-provider-config."));
    }
    let covers = |r: &str| r == "secrets" || r == "*." || r == "*.*";
    let entry = arr(doc, "/resources")
        .iter()
        .enumerate()
        .find(|(_, e)| strs(e, "/resources").iter().any(|r| covers(r)));
    match entry {
        None => {
            b.push(Status::Fail, "no resources entry covers secrets (nor `*.` or `*.*`): Secrets are stored unencrypted", file_ref("/resources".into()));
        }
        Some((i, e)) => {
            let providers = arr(e, "/providers");
            match providers.first().map(provider_strength) {
                None => b.push(Status::Fail, format!("resources entry {i} covering secrets lists no providers"), file_ref(format!("/resources/{i}/providers"))),
                Some((0, p)) if p.starts_with("identity") => b.push(Status::Fail, format!("the first provider for secrets is {p}: new Secrets are written unencrypted (later providers are only used to read)"), file_ref(format!("/resources/{i}/providers/0"))),
                Some((0, p)) => b.push(Status::Fail, format!("the first provider for secrets is {p}"), file_ref(format!("/resources/{i}/providers/0"))),
                Some((s, p)) => {
                    let note = match s {
                        5 => "the strongest option: envelope encryption with keys held outside the cluster".to_string(),
                        4 => "strong; keys live in the file on the control-plane nodes (kms v2 keeps them outside)".to_string(),
                        3 => "kms v1 is deprecated and disabled by default since Kubernetes 1.29; move to kms v2".to_string(),
                        _ => "weaker than kms v2, secretbox or aesgcm (CBC is open to padding-oracle attacks; upstream no longer recommends it), keys live in the file on the control-plane nodes".to_string(),
                    };
                    b.push(Status::Pass, format!("Secrets are encrypted with {p} as the first provider: {note}"), file_ref(format!("/resources/{i}/providers/0")));
                }
            }
        }
    }
    match &api {
        ApiServer::Visible(pod, flags) => match flags.get("encryption-provider-config") {
            Some(path) => b.push(Status::Pass, format!("kube-apiserver is started with --encryption-provider-config={path}"), evidence("pods", pod, flag_ptr(pod, "encryption-provider-config"))),
            None => b.push(Status::Fail, "kube-apiserver runs without --encryption-provider-config, so the supplied file is not in use", evidence("pods", pod, "/spec/containers/0/command")),
        },
        _ => b.push(Status::Manual, "the kube-apiserver pod is not visible, so that the API server uses this file must be attested by whoever supplied it", file_ref(String::new())),
    }
    let status = b.derived().unwrap_or(Status::Fail);
    let explanation = match status {
        Status::Pass => format!(
            "{} (EncryptionConfiguration {}), and the API server is started with that file. Persistent-volume encryption is a property of the storage backend and is not visible here.",
            b.observations[0]
                .message
                .replacen("Secrets", "Secrets in etcd", 1),
            ec.path
        ),
        Status::Manual => format!(
            "The EncryptionConfiguration ({}) encrypts Secrets, but the API server's flags are not visible, so its use needs an attestation.",
            ec.path
        ),
        _ => format!(
            "The encryption configuration ({}) does not show Secrets encrypted at rest; see the observations.",
            ec.path
        ),
    };
    b.finish(status, explanation, Some("Put a kms v2, secretbox or aesgcm provider first for secrets, restart kube-apiserver with --encryption-provider-config, and rewrite existing Secrets."))
}

/// `transit.api-tls`: the API server is reached over HTTPS.
pub fn api_tls(ctx: &Ctx) -> CheckResult {
    let mut b = Builder::new(
        "transit.api-tls",
        "API server serves TLS only",
        "API endpoint, kube-apiserver flags",
    );
    b.cmd("kubectl config view --minify -o jsonpath='{.clusters[0].cluster.server}'");
    if let Some(server) = &ctx.snap.source.server {
        let ok = server.starts_with("https://");
        b.push(
            if ok { Status::Pass } else { Status::Fail },
            format!("the snapshot was collected from {server}"),
            evidence_file("Snapshot", "source", "/source/server"),
        );
        return b.finish(
            if ok { Status::Pass } else { Status::Fail },
            if ok { format!("The API server was reached over HTTPS ({server}); kube-apiserver has served no plain-HTTP port since Kubernetes 1.20.") } else { format!("The API server was reached over plain HTTP ({server}): credentials and objects cross the network unencrypted.") },
            Some("Reach the API server only through its HTTPS endpoint."),
        );
    }
    b.cmd(APISERVER_CMD);
    match &apiserver(ctx) {
        ApiServer::Visible(pod, flags) => {
            let cert = flags.get("tls-cert-file").cloned();
            let port = flags
                .get("secure-port")
                .cloned()
                .unwrap_or_else(|| "6443".into());
            if port == "0" {
                b.push(
                    Status::Fail,
                    "kube-apiserver is started with --secure-port=0",
                    evidence("pods", pod, flag_ptr(pod, "secure-port")),
                );
                return b.finish(
                    Status::Fail,
                    "The API server's secure port is disabled.",
                    Some("Remove --secure-port=0."),
                );
            }
            b.push(
                Status::Pass,
                format!(
                    "kube-apiserver serves HTTPS on port {port}{}",
                    cert.map(|c| format!(" with certificate {c}"))
                        .unwrap_or_default()
                ),
                evidence("pods", pod, flag_ptr(pod, "tls-cert-file")),
            );
            b.finish(Status::Pass, "The API server serves HTTPS only (its flags show the secure port and certificate; plain HTTP serving no longer exists since Kubernetes 1.20).", None)
        }
        _ => {
            b.push(
                Status::NotCollected,
                "imported files do not show the API endpoint, and no kube-apiserver pod is visible",
                evidence_file("Snapshot", "source", "/source/server"),
            );
            b.finish(Status::NotCollected, "The snapshot was imported from files without the API server's address, and the control plane is not visible, so the API transport cannot be judged.", Some("Collect from the live cluster, or attach the cluster endpoint (`kubectl cluster-info`)."))
        }
    }
}

fn healthy_deployment(d: &Value) -> bool {
    let want = super::util::at(d, "/spec/replicas")
        .and_then(Value::as_i64)
        .unwrap_or(1);
    let ready = super::util::at(d, "/status/readyReplicas")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let available = super::util::at(d, "/status/availableReplicas")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    want > 0 && ready >= 1 && available >= 1
}

fn pod_ready(p: &Value) -> bool {
    str_at(p, "/status/phase") == Some("Running")
        && arr(p, "/status/conditions")
            .iter()
            .any(|c| str_at(c, "/type") == Some("Ready") && str_at(c, "/status") == Some("True"))
}

/// `transit.service-mtls`: service-to-service traffic is encrypted by a mesh (Dapr, Istio,
/// Linkerd).
pub fn service_mtls(ctx: &Ctx) -> CheckResult {
    let mut b = Builder::new(
        "transit.service-mtls",
        "Service-to-service mTLS",
        "Dapr Sentry and Configuration, Istio PeerAuthentication, Linkerd control plane",
    );
    // Deployments are found by name and pods read one at a time: neither kind is parsed
    // whole.
    let (deps, pods) = match (
        ctx.snap.collected("deployments.apps"),
        ctx.snap.collected("pods"),
    ) {
        (Ok(d), Ok(p)) => (d, p),
        (Err(e), _) | (_, Err(e)) => {
            return super::util::not_collected(b, &e, "whether a service mesh encrypts traffic");
        }
    };
    let deployment = |n: &str| deps.iter().find(|d| d.name() == n).map(|d| d.value());
    let mut meshes = Vec::new();
    let mut uncollected = Vec::new();
    // Dapr
    if let Some(sentry) = &deployment("dapr-sentry") {
        b.cmd("dapr status -k");
        b.cmd(format!(
            "kubectl get deployment dapr-sentry -n {} -o yaml",
            namespace(sentry).unwrap_or("dapr-system")
        ));
        b.cmd("kubectl get configurations.dapr.io -A -o yaml");
        meshes.push("Dapr");
        let sentry_ns = namespace(sentry).unwrap_or("");
        let sentry_pods: Vec<Value> = pods
            .parse_in(sentry_ns)
            .into_iter()
            .filter(|p| {
                str_at(p, "/metadata/labels/app") == Some("dapr-sentry")
                    || name(p).starts_with("dapr-sentry-")
            })
            .collect();
        let ready = sentry_pods.iter().filter(|p| pod_ready(p)).count();
        if healthy_deployment(sentry) && ready > 0 {
            b.push(Status::Pass, format!("Dapr Sentry (the mTLS certificate authority) is healthy: Deployment ready, {ready} pod(s) Running and Ready"), evidence("deployments.apps", sentry, "/status"));
        } else {
            b.push(Status::Fail, format!("Dapr Sentry is not healthy ({} of its pods Ready): sidecars cannot get or renew mTLS certificates", ready), evidence("deployments.apps", sentry, "/status"));
        }
        match ctx.items("configurations.dapr.io") {
            Ok(cfgs) => {
                let mut any = false;
                for c in cfgs {
                    if let Some(enabled) =
                        super::util::at(c, "/spec/mtls/enabled").and_then(Value::as_bool)
                    {
                        any = true;
                        b.push(
                            if enabled { Status::Pass } else { Status::Fail },
                            format!(
                                "Dapr Configuration {}/{} sets mtls.enabled: {enabled}",
                                namespace(c).unwrap_or(""),
                                name(c)
                            ),
                            evidence("configurations.dapr.io", c, "/spec/mtls/enabled"),
                        );
                    }
                }
                if !any {
                    b.push(Status::Partial, "no Dapr Configuration states spec.mtls.enabled; Dapr enables mTLS by default, but the setting is not evidenced", evidence_file("configurations.dapr.io", "", "/spec/mtls"));
                }
            }
            Err(e) => uncollected.push(e.key),
        }
        let (mut app_pods, mut outside) = (0, 0);
        for p in pods
            .iter()
            .filter(|p| !SYSTEM_NAMESPACES.contains(&p.namespace()) && p.namespace() != sentry_ns)
        {
            let p = &p.value();
            if is_static_pod(p) {
                continue;
            }
            app_pods += 1;
            if str_at(p, "/metadata/annotations/dapr.io~1enabled") != Some("true") {
                outside += 1;
                b.push(Status::Partial, format!("pod {}/{} has no Dapr sidecar (dapr.io/enabled is not \"true\"), so its traffic is not covered by Dapr mTLS", namespace(p).unwrap_or(""), name(p)), evidence("pods", p, "/metadata/annotations"));
            }
        }
        if outside == 0 && app_pods > 0 {
            b.push(
                Status::Pass,
                format!(
                    "all {app_pods} application pods run a Dapr sidecar (dapr.io/enabled: \"true\")"
                ),
                evidence_file("pods", "", "/metadata/annotations"),
            );
        }
    }
    // Istio
    match ctx.items("peerauthentications.security.istio.io") {
        Ok(pas) if !pas.is_empty() => {
            meshes.push("Istio");
            b.cmd("kubectl get peerauthentications -A -o yaml");
            for pa in pas {
                let mode = str_at(pa, "/spec/mtls/mode").unwrap_or("UNSET");
                let scope = if super::util::at(pa, "/spec/selector").is_some() {
                    "workloads it selects"
                } else if namespace(pa) == Some("istio-system") {
                    "the whole mesh"
                } else {
                    "its namespace"
                };
                let st = match mode {
                    "STRICT" => Status::Pass,
                    "DISABLE" => Status::Fail,
                    _ => Status::Partial,
                };
                b.push(
                    st,
                    format!(
                        "Istio PeerAuthentication {}/{} sets mTLS mode {mode} for {scope}{}",
                        namespace(pa).unwrap_or(""),
                        name(pa),
                        if st == Status::Partial {
                            " (plain text still accepted)"
                        } else {
                            ""
                        }
                    ),
                    evidence(
                        "peerauthentications.security.istio.io",
                        pa,
                        "/spec/mtls/mode",
                    ),
                );
            }
        }
        Ok(_) => {}
        Err(e) => uncollected.push(e.key),
    }
    // Linkerd
    let identity = deployment("linkerd-identity");
    let injector = deployment("linkerd-proxy-injector");
    if let Some(id) = &identity {
        meshes.push("Linkerd");
        b.cmd("linkerd check --proxy");
        let ok = healthy_deployment(id) && injector.as_ref().is_some_and(healthy_deployment);
        b.push(
            if ok { Status::Pass } else { Status::Fail },
            format!(
                "Linkerd identity{} {}: meshed pods get mTLS automatically",
                if injector.is_some() {
                    " and proxy injector"
                } else {
                    " (no proxy injector)"
                },
                if ok { "healthy" } else { "not healthy" }
            ),
            evidence("deployments.apps", id, "/status"),
        );
    }
    if meshes.is_empty() {
        if !uncollected.is_empty() {
            b.push(
                Status::NotCollected,
                format!(
                    "no Dapr or Linkerd control plane found, and {} not collected",
                    uncollected.join(", ")
                ),
                evidence_file(&uncollected[0], "", ""),
            );
            return b.finish(Status::NotCollected, "No service mesh was found, but some mesh kinds were not collected, so it cannot be shown that none is present.", Some("Collect the mesh's kinds, or deploy a mesh with mTLS."));
        }
        b.push(
            Status::Fail,
            "no Dapr Sentry, Istio PeerAuthentication or Linkerd identity found",
            evidence_file("deployments.apps", "", ""),
        );
        return b.finish(Status::Fail, "No service mesh or Dapr mTLS is present, so traffic between services inside the cluster travels unencrypted unless each application does its own TLS.", Some("Enable Dapr mTLS (Sentry), Istio with a STRICT PeerAuthentication, or Linkerd, and mesh every application pod."));
    }
    for k in &uncollected {
        b.push(
            Status::NotCollected,
            format!("{k} was not collected"),
            evidence_file(k, "", ""),
        );
    }
    let status = b.derived().unwrap_or(Status::Fail);
    let mesh = meshes.join(" and ");
    let explanation = match status {
        Status::Pass => {
            let dapr_note = if meshes == ["Dapr"] {
                " Dapr's mTLS protects traffic that goes through the Dapr sidecars (service invocation, pub/sub, state via Dapr); a direct connection from an application to another service or a database bypasses it and needs its own TLS."
            } else {
                ""
            };
            format!(
                "{mesh} encrypts service-to-service traffic with mutual TLS: its control plane is healthy, mTLS is enabled, and every application pod is in the mesh.{dapr_note}"
            )
        }
        _ => format!(
            "{mesh} is present, but the observations show gaps in its mTLS coverage or health."
        ),
    };
    b.finish(status, explanation, Some("Make the mesh's certificate authority healthy, enable mTLS explicitly (STRICT), and inject every application pod."))
}

/// The ordinary user the audit policy is asked about: someone no rule names specifically.
const PROBE_USER: &str = "someone@example.com";

/// One request an audit policy is asked about.
#[derive(Debug, Clone)]
pub struct AuditRequest<'a> {
    /// User name.
    pub user: &'a str,
    /// Groups.
    pub groups: &'a [&'a str],
    /// Verb.
    pub verb: &'a str,
    /// `Some((group, resource with /subresource, namespace, name))` for a resource request.
    pub resource: Option<(&'a str, &'a str, &'a str, &'a str)>,
    /// Path, for a non-resource request.
    pub path: &'a str,
}

/// The level (`None`, `Metadata`, `Request`, `RequestResponse`) an audit Policy assigns a
/// request, and the index of the rule that decided it: the first rule that matches wins;
/// when none matches, the request is not logged.
pub fn audit_level(policy: &Value, req: &AuditRequest) -> (String, Option<usize>) {
    for (i, rule) in arr(policy, "/rules").iter().enumerate() {
        if rule_matches(rule, req) {
            return (
                str_at(rule, "/level").unwrap_or("None").to_string(),
                Some(i),
            );
        }
    }
    ("None".to_string(), None)
}

fn rule_matches(rule: &Value, req: &AuditRequest) -> bool {
    let users = strs(rule, "/users");
    if !users.is_empty() && !users.contains(&req.user) {
        return false;
    }
    let groups = strs(rule, "/userGroups");
    if !groups.is_empty() && !groups.iter().any(|g| req.groups.contains(g)) {
        return false;
    }
    let verbs = strs(rule, "/verbs");
    if !verbs.is_empty() && !verbs.contains(&req.verb) {
        return false;
    }
    let namespaces = strs(rule, "/namespaces");
    let resources = arr(rule, "/resources");
    if !namespaces.is_empty() || !resources.is_empty() {
        let Some((group, resource, ns, obj)) = req.resource else {
            return false;
        };
        if !namespaces.is_empty() && !namespaces.contains(&ns) {
            return false;
        }
        if resources.is_empty() {
            return true;
        }
        let (res, sub) = match resource.split_once('/') {
            Some((r, s)) => (r, Some(s)),
            None => (resource, None),
        };
        return resources.iter().any(|gr| {
            if str_at(gr, "/group").unwrap_or("") != group {
                return false;
            }
            let names = strs(gr, "/resourceNames");
            if !names.is_empty() && !names.contains(&obj) {
                return false;
            }
            let rs = strs(gr, "/resources");
            rs.is_empty()
                || rs.iter().any(|r| {
                    *r == "*"
                        || *r == resource
                        || (sub.is_some() && r.strip_suffix("/*") == Some(res))
                        || sub.is_some_and(|s| r.strip_prefix("*/") == Some(s))
                })
        });
    }
    let urls = strs(rule, "/nonResourceURLs");
    if !urls.is_empty() {
        if req.resource.is_some() {
            return false;
        }
        return urls.iter().any(|u| {
            *u == req.path || u.strip_suffix('*').is_some_and(|p| req.path.starts_with(p))
        });
    }
    true
}

/// `audit.policy`: the audit Policy logs Secrets at Metadata, RBAC changes at
/// RequestResponse, and everything else through a catch-all rule.
pub fn audit_policy(ctx: &Ctx) -> CheckResult {
    let mut b = Builder::new(
        "audit.policy",
        "Audit policy covers sensitive operations",
        "audit Policy (kube-apiserver --audit-policy-file)",
    );
    b.cmd(APISERVER_CMD);
    let Some(pf) = &ctx.snap.audit_policy else {
        b.cmd("cat /etc/kubernetes/audit-policy.yaml  # on a control-plane node, then: auditpack collect --audit-policy FILE");
        return match &apiserver(ctx) {
            ApiServer::Visible(pod, flags) => match flags.get("audit-policy-file") {
                Some(path) => {
                    b.push(Status::Partial, format!("kube-apiserver is started with --audit-policy-file={path}, but the policy was not supplied"), evidence("pods", pod, flag_ptr(pod, "audit-policy-file")));
                    b.finish(Status::Partial, format!("The API server has an audit policy ({path}), but without the file it cannot be shown what it logs."), Some("Supply the policy with `auditpack collect --audit-policy FILE`."))
                }
                None => {
                    b.push(Status::Fail, "kube-apiserver runs without --audit-policy-file: no API request is audited", evidence("pods", pod, "/spec/containers/0/command"));
                    b.finish(Status::Fail, "The API server runs without an audit policy, so no request is recorded: changes to the cluster cannot be traced to who made them.", Some("Write an audit Policy and start kube-apiserver with --audit-policy-file and --audit-log-path (or a webhook backend)."))
                }
            },
            ApiServer::NotCollected => {
                b.push(
                    Status::NotCollected,
                    "no audit policy supplied and pods not collected",
                    evidence_file("Policy", "", ""),
                );
                b.finish(Status::NotCollected, "No audit policy was supplied and the control plane was not collected, so audit coverage cannot be judged.", Some("Supply the policy with `--audit-policy`."))
            }
            ApiServer::NotVisible => {
                b.push(Status::Manual, "the control plane is not visible (managed cluster) and no audit policy was supplied", evidence_file("Policy", "", ""));
                b.finish(Status::Manual, "The control plane is not visible (managed Kubernetes). The provider's audit logging (what it records and where) must be attested.", Some("Attach the provider's audit-log settings, e.g. EKS control-plane logging `audit` enabled, GKE Cloud Audit Logs, AKS diagnostic settings `kube-audit`."))
            }
        };
    };
    let doc = &pf.document;
    let fref = |ptr: String| evidence_file("Policy", &pf.path, ptr);
    if str_at(doc, "/kind") != Some("Policy") {
        b.push(
            Status::Fail,
            format!(
                "{} is not an audit Policy (kind {:?})",
                pf.path,
                str_at(doc, "/kind").unwrap_or("")
            ),
            fref("/kind".into()),
        );
        return b.finish(
            Status::Fail,
            "The supplied audit policy is not an audit.k8s.io Policy document.",
            Some("Supply the file named by kube-apiserver's --audit-policy-file."),
        );
    }
    let rule_ptr = |i: Option<usize>| i.map_or("/rules".to_string(), |i| format!("/rules/{i}"));
    let groups = ["system:authenticated"];
    // Secrets: every verb at Metadata, never more, never less.
    let mut bad_secrets = Vec::new();
    let mut secret_rule = None;
    for verb in [
        "get", "list", "watch", "create", "update", "patch", "delete",
    ] {
        let req = AuditRequest {
            user: PROBE_USER,
            groups: &groups,
            verb,
            resource: Some(("", "secrets", "production", "db-password")),
            path: "",
        };
        let (level, i) = audit_level(doc, &req);
        secret_rule = secret_rule.or(i);
        if level != "Metadata" {
            bad_secrets.push((verb, level, i));
        }
    }
    if bad_secrets.is_empty() {
        b.push(Status::Pass, format!("every operation on Secrets is logged at Metadata (who, what, when; never the Secret's content) by rule {}", secret_rule.map_or("?".into(), |i| i.to_string())), fref(rule_ptr(secret_rule)));
    } else {
        for (verb, level, i) in bad_secrets {
            let why = if level == "None" {
                "not logged at all"
            } else {
                "logged with request bodies, which would copy secret values into the audit log"
            };
            b.push(
                Status::Fail,
                format!(
                    "`{verb} secrets` is logged at {level} ({}): {why}",
                    i.map_or("no rule matches".to_string(), |i| format!("rule {i}"))
                ),
                fref(rule_ptr(i)),
            );
        }
    }
    // RBAC changes at RequestResponse.
    let mut rbac_levels = BTreeMap::new();
    for res in [
        "roles",
        "rolebindings",
        "clusterroles",
        "clusterrolebindings",
    ] {
        for verb in ["create", "update", "patch", "delete"] {
            let req = AuditRequest {
                user: PROBE_USER,
                groups: &groups,
                verb,
                resource: Some((
                    "rbac.authorization.k8s.io",
                    res,
                    if res.starts_with("cluster") {
                        ""
                    } else {
                        "production"
                    },
                    "x",
                )),
                path: "",
            };
            let (level, i) = audit_level(doc, &req);
            rbac_levels
                .entry((level, i))
                .or_insert_with(Vec::new)
                .push(format!("{verb} {res}"));
        }
    }
    for ((level, i), ops) in rbac_levels {
        let st = match level.as_str() {
            "RequestResponse" => Status::Pass,
            "None" => Status::Fail,
            _ => Status::Partial,
        };
        let what = match st {
            Status::Pass => "the full change is recorded",
            Status::Fail => "RBAC changes are not recorded",
            _ => "who changed RBAC is recorded, but not the full change",
        };
        let ops = if ops.len() == 16 {
            "every RBAC change".to_string()
        } else {
            ops.join(", ")
        };
        b.push(
            st,
            format!(
                "{ops}: logged at {level} ({}): {what}",
                i.map_or("no rule matches".to_string(), |i| format!("rule {i}"))
            ),
            fref(rule_ptr(i)),
        );
    }
    // Catch-all.
    let catch_all = arr(doc, "/rules").iter().position(|r| {
        [
            "users",
            "userGroups",
            "verbs",
            "resources",
            "namespaces",
            "nonResourceURLs",
        ]
        .iter()
        .all(|f| arr(r, &format!("/{f}")).is_empty())
    });
    match catch_all {
        Some(i) if str_at(&arr(doc, "/rules")[i], "/level") != Some("None") => {
            b.push(Status::Pass, format!("rule {i} is a catch-all at {}: requests no earlier rule names are still logged", str_at(&arr(doc, "/rules")[i], "/level").unwrap_or("")), fref(format!("/rules/{i}")));
        }
        Some(i) => {
            b.push(Status::Fail, format!("rule {i} is a catch-all at level None: every request no earlier rule names is dropped"), fref(format!("/rules/{i}")));
        }
        None => {
            let (level, _) = audit_level(
                doc,
                &AuditRequest {
                    user: PROBE_USER,
                    groups: &groups,
                    verb: "create",
                    resource: Some(("apps", "deployments", "production", "x")),
                    path: "",
                },
            );
            b.push(Status::Fail, format!("no catch-all rule: requests that match no rule are not logged (for example `create deployments` is logged at {level}, and so are exec into pods and namespace deletion)"), fref("/rules".into()));
        }
    }
    let status = b.derived().unwrap_or(Status::Fail);
    let explanation = match status {
        Status::Pass => format!(
            "The audit policy ({}) logs Secrets at Metadata only, RBAC changes at RequestResponse, and everything else through a catch-all rule (rules are matched in order; the first match decides).",
            pf.path
        ),
        _ => format!(
            "The audit policy ({}) leaves gaps (rules are matched in order and the first match decides; a request no rule matches is not logged); see the observations.",
            pf.path
        ),
    };
    b.finish(status, explanation, Some("Order the rules: Secrets (and ConfigMaps) at Metadata first, RBAC resources at RequestResponse, noisy read-only endpoints at None, and end with a catch-all `- level: Metadata`."))
}

/// `audit.log-backend`: the API server writes audit logs somewhere, with stated retention.
pub fn log_backend(ctx: &Ctx) -> CheckResult {
    let mut b = Builder::new(
        "audit.log-backend",
        "Audit log backend and retention",
        "kube-apiserver --audit-log-* / --audit-webhook-* flags",
    );
    b.cmd(APISERVER_CMD);
    match &apiserver(ctx) {
        ApiServer::NotCollected => {
            b.push(
                Status::NotCollected,
                "pods were not collected, so the kube-apiserver flags are unknown",
                evidence_file("pods", "", ""),
            );
            b.finish(Status::NotCollected, "Pods were not collected, so where audit logs go and how long they are kept cannot be judged.", Some("Collect pods in kube-system."))
        }
        ApiServer::NotVisible => {
            b.push(
                Status::Manual,
                "no kube-apiserver pod is visible (managed control plane)",
                evidence_file("pods", "", ""),
            );
            b.finish(Status::Manual, "The control plane is not visible (managed Kubernetes): where audit logs are delivered and how long they are retained must be attested by the platform owner.", Some("Attach the provider's log destination and retention settings (e.g. CloudWatch log group retention for EKS)."))
        }
        ApiServer::Visible(pod, flags) => {
            let path = flags.get("audit-log-path");
            let webhook = flags.get("audit-webhook-config-file");
            match (path, webhook) {
                (None, None) => b.push(Status::Fail, "kube-apiserver has neither --audit-log-path nor --audit-webhook-config-file: audit events are not written anywhere", evidence("pods", pod, "/spec/containers/0/command")),
                (p, w) => {
                    if let Some(w) = w {
                        b.push(Status::Pass, format!("audit events are sent to a webhook backend ({w})"), evidence("pods", pod, flag_ptr(pod, "audit-webhook-config-file")));
                    }
                    if let Some(p) = p {
                        if p == "-" {
                            b.push(Status::Partial, "audit events go to the API server's standard output; retention depends on the node's log shipping, which is not visible", evidence("pods", pod, flag_ptr(pod, "audit-log-path")));
                        } else {
                            b.push(Status::Pass, format!("audit events are written to {p}"), evidence("pods", pod, flag_ptr(pod, "audit-log-path")));
                            match flags.get("audit-log-maxage") {
                                Some(age) => {
                                    let extra: Vec<String> = ["audit-log-maxbackup", "audit-log-maxsize"].iter().filter_map(|f| flags.get(*f).map(|v| format!("--{f}={v}"))).collect();
                                    b.push(Status::Pass, format!("rotated files are kept for {age} days on the node{}; retention beyond that depends on shipping the logs elsewhere, which is not visible here", if extra.is_empty() { String::new() } else { format!(" ({})", extra.join(", ")) }), evidence("pods", pod, flag_ptr(pod, "audit-log-maxage")));
                                }
                                None if webhook.is_none() => b.push(Status::Partial, "no --audit-log-maxage: how long audit logs are kept is not stated", evidence("pods", pod, flag_ptr(pod, "audit-log-path"))),
                                None => {}
                            }
                        }
                    }
                }
            }
            let status = b.derived().unwrap_or(Status::Fail);
            let explanation = match status {
                Status::Pass => format!(
                    "The API server writes audit events to a log backend with a stated retention: {}.",
                    b.observations
                        .iter()
                        .map(|o| o.message.as_str())
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
                _ => {
                    "The API server's audit backend or retention falls short; see the observations."
                        .to_string()
                }
            };
            b.finish(status, explanation, Some("Start kube-apiserver with --audit-log-path and --audit-log-maxage (and ship the logs to long-term storage), or a webhook backend."))
        }
    }
}

/// `audit.log-continuity`: audit events were recorded throughout the period, with no gaps.
pub fn log_continuity(ctx: &Ctx) -> CheckResult {
    let mut b = Builder::new(
        "audit.log-continuity",
        "Audit logs present and continuous",
        "audit-log summary (auditpack auditlog)",
    );
    b.cmd("auditpack auditlog AUDIT-LOG-FILES...  # the summary of the period's audit events");
    let Some(sum) = &ctx.snap.audit_log else {
        b.push(
            Status::NotCollected,
            "no audit-log summary in the snapshot",
            evidence_file("AuditLogSummary", "", ""),
        );
        return b.finish(Status::NotCollected, "No audit-log summary was supplied, so it cannot be shown that audit events were actually recorded over the period.", Some("Summarise the period's audit logs with `auditpack collect --audit-log FILE...`."));
    };
    let sref = |ptr: &str| evidence_file("AuditLogSummary", "audit_log", ptr);
    let (events, threshold) = (sum.events, sum.gap_threshold_seconds);
    let (since, until) = (sum.since, sum.until);
    let (first, last) = (sum.first_event, sum.last_event);
    let period = match (since, until) {
        (Some(s), Some(u)) => format!("{} to {}", s.to_rfc3339(), u.to_rfc3339()),
        _ => "the period".to_string(),
    };
    if events == 0 {
        b.push(
            Status::Fail,
            format!("no audit events were recorded from {period}"),
            sref("/events"),
        );
        return b.finish(Status::Fail, format!("The audit logs hold no events for {period}: nothing shows that changes were recorded."), Some("Check the audit backend and the log shipping; supply the logs for the whole period."));
    }
    b.push(
        Status::Pass,
        format!("{events} audit events recorded from {period}"),
        sref("/events"),
    );
    for (i, g) in sum.gaps.iter().enumerate() {
        b.push(
            Status::Partial,
            format!(
                "no audit events from {} to {} ({} s, above the {threshold} s gap threshold)",
                g.start.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
                g.end.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
                g.seconds
            ),
            sref(&format!("/gaps/{i}")),
        );
    }
    if threshold > 0 {
        if let (Some(s), Some(f)) = (since, first)
            && (f - s).num_seconds() > threshold as i64
        {
            b.push(
                Status::Partial,
                format!(
                    "no audit events from the start of the period ({}) until the first event ({})",
                    s.to_rfc3339(),
                    f.to_rfc3339()
                ),
                sref("/firstEvent"),
            );
        }
        if let (Some(u), Some(l)) = (until, last)
            && (u - l).num_seconds() > threshold as i64
        {
            b.push(
                Status::Partial,
                format!(
                    "no audit events from the last event ({}) until the end of the period ({})",
                    l.to_rfc3339(),
                    u.to_rfc3339()
                ),
                sref("/lastEvent"),
            );
        }
    }
    let status = b.derived().unwrap_or(Status::Pass);
    let explanation = match status {
        Status::Pass => format!(
            "Audit events were recorded throughout {period} with no gap longer than {threshold} s."
        ),
        _ => format!(
            "Audit events exist for {period}, but with gaps longer than {threshold} s; changes made during a gap may be unrecorded."
        ),
    };
    b.finish(
        status,
        explanation,
        Some(
            "Explain each gap (maintenance, outage) or recover the missing logs from the backend.",
        ),
    )
}

/// Wildcard match as image policies use it: `*` matches any run of characters.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || text.len() < first.len() + last.len() || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

/// `integrity.image-signing`: admission verifies image signatures.
pub fn image_signing(ctx: &Ctx) -> CheckResult {
    let mut b = Builder::new(
        "integrity.image-signing",
        "Image signatures verified at admission",
        "Kyverno ClusterPolicies, sigstore ClusterImagePolicies, ValidatingAdmissionPolicies",
    );
    b.cmd("kubectl get clusterpolicies.kyverno.io,clusterimagepolicies.policy.sigstore.dev,validatingadmissionpolicies -o yaml");
    let mut uncollected = Vec::new();
    let mut patterns: Vec<String> = Vec::new();
    match ctx.items("clusterpolicies.kyverno.io") {
        Ok(pols) => {
            for p in pols {
                for (i, rule) in arr(p, "/spec/rules").iter().enumerate() {
                    let vis = arr(rule, "/verifyImages");
                    if vis.is_empty() {
                        continue;
                    }
                    let action = vis
                        .iter()
                        .find_map(|v| str_at(v, "/failureAction"))
                        .or_else(|| str_at(p, "/spec/validationFailureAction"))
                        .unwrap_or("Audit");
                    let enforce = action.eq_ignore_ascii_case("enforce");
                    let refs: Vec<&str> = vis
                        .iter()
                        .flat_map(|v| strs(v, "/imageReferences"))
                        .collect();
                    if enforce {
                        patterns.extend(refs.iter().map(|r| r.to_string()));
                    }
                    b.push(
                        if enforce { Status::Pass } else { Status::Partial },
                        format!("Kyverno ClusterPolicy {} rule {} verifies signatures of {} in {action} mode{}", name(p), str_at(rule, "/name").unwrap_or("?"), if refs.is_empty() { "images".to_string() } else { refs.join(", ") }, if enforce { "" } else { " (unsigned images are admitted and only reported)" }),
                        evidence("clusterpolicies.kyverno.io", p, format!("/spec/rules/{i}/verifyImages")),
                    );
                }
            }
        }
        Err(e) => uncollected.push(e.key),
    }
    match ctx.items("clusterimagepolicies.policy.sigstore.dev") {
        Ok(pols) => {
            for p in pols {
                let mode = str_at(p, "/spec/mode").unwrap_or("enforce");
                let images: Vec<&str> = arr(p, "/spec/images")
                    .iter()
                    .filter_map(|i| str_at(i, "/glob"))
                    .collect();
                if mode == "enforce" {
                    patterns.extend(images.iter().map(|r| r.to_string()));
                }
                b.push(
                    if mode == "enforce" { Status::Pass } else { Status::Partial },
                    format!("sigstore ClusterImagePolicy {} verifies signatures of {} in {mode} mode (in namespaces labelled policy.sigstore.dev/include=true)", name(p), images.join(", ")),
                    evidence("clusterimagepolicies.policy.sigstore.dev", p, "/spec"),
                );
            }
        }
        Err(e) => uncollected.push(e.key),
    }
    match ctx.items("validatingadmissionpolicies.admissionregistration.k8s.io") {
        Ok(vaps) => {
            for p in vaps {
                let about_images = arr(p, "/spec/validations")
                    .iter()
                    .any(|v| str_at(v, "/expression").is_some_and(|e| e.contains(".image")));
                if about_images {
                    b.push(Status::Partial, format!("ValidatingAdmissionPolicy {} checks container image references; CEL can restrict registries or require digests but cannot verify signatures", name(p)), evidence("validatingadmissionpolicies.admissionregistration.k8s.io", p, "/spec/validations"));
                }
            }
        }
        Err(e) => uncollected.push(e.key),
    }
    let found = b.observations.len();
    // Images that no enforcing signature policy covers are admitted unsigned.
    if !patterns.is_empty() {
        for k in super::util::WORKLOAD_KINDS {
            let Ok(items) = ctx.objects(k) else {
                uncollected.push(k.to_string());
                continue;
            };
            for o in items {
                let o = &o;
                let ns = namespace(o).unwrap_or("");
                if SYSTEM_NAMESPACES.contains(&ns) {
                    continue;
                }
                let Some((_, spec, ptr)) = super::util::pod_spec(k, o) else {
                    continue;
                };
                for field in ["containers", "initContainers", "ephemeralContainers"] {
                    for (i, c) in arr(spec, &format!("/{field}")).iter().enumerate() {
                        let image = str_at(c, "/image").unwrap_or("");
                        if !patterns.iter().any(|p| glob_match(p, image)) {
                            b.push(
                                Status::Partial,
                                format!("{} {ns}/{} runs image {image:?}, which no enforcing signature policy covers", super::util::kind_name(k), name(o)),
                                evidence(k, o, format!("{ptr}/{field}/{i}/image")),
                            );
                        }
                    }
                }
            }
        }
    }
    for k in &uncollected {
        b.push(
            Status::NotCollected,
            format!("{k} was not collected"),
            evidence_file(k, "", ""),
        );
    }
    if found == 0 {
        if uncollected.is_empty() {
            b.push(Status::Fail, "no admission policy verifies image signatures (Kyverno and sigstore policy-controller are absent or have no such policy)", evidence_file("clusterpolicies.kyverno.io", "", ""));
            return b.finish(Status::Fail, "Nothing at admission verifies that images are signed by a trusted builder, so any image that can be pulled can run.", Some("Install Kyverno (verifyImages rules) or sigstore policy-controller (ClusterImagePolicy) and enforce signatures for application images."));
        }
        return b.finish(Status::NotCollected, format!("No image-signature policy was found, but {} were not collected, so absence cannot be shown.", uncollected.join(", ")), Some("Collect the policy kinds."));
    }
    let status = b.derived().unwrap_or(Status::Fail);
    let explanation = match status {
        Status::Pass => format!(
            "Admission verifies image signatures in enforce mode: {}.",
            b.observations.iter().map(|o| o.message.as_str()).collect::<Vec<_>>().join("; ")
        ),
        _ => "Image signatures are verified only partly (audit mode, reference checks without signatures, or kinds not collected); see the observations.".to_string(),
    };
    b.finish(
        status,
        explanation,
        Some("Switch signature verification to enforce mode and cover every application image."),
    )
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    #[test]
    fn image_globs() {
        assert!(glob_match(
            "ghcr.io/example/*",
            "ghcr.io/example/task-api@sha256:3f"
        ));
        assert!(glob_match("*", "anything"));
        assert!(glob_match("ghcr.io/*/sentry*", "ghcr.io/dapr/sentry:1.12"));
        assert!(!glob_match("ghcr.io/example/*", "docker.io/example/x"));
        assert!(!glob_match(
            "registry.example.com/app",
            "registry.example.com/app2"
        ));
        assert!(!glob_match("a*b*c", "acb"));
    }
}
