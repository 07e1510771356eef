//! Encryption in transit (HIPAA 164.312(e)(1)): `transit.api-tls` from the API endpoint
//! or the kube-apiserver's flags, and `transit.service-mtls` from the objects of Dapr,
//! Istio and Linkerd.

use serde_json::Value;

use crate::controls::checks::audit::who;
use crate::controls::model::apiserver::{
    APISERVER_CMD, ApiServers, Instance, apiservers, flag_ptr,
};
use crate::controls::util::{
    Builder, SYSTEM_NAMESPACES, arr, evidence, evidence_file, is_static_pod, labels, name,
    namespace, selector_matches, str_at,
};
use crate::controls::{CheckDef, Ctx, REQUIRED};
use crate::findings::{CheckResult, Status};
use crate::snapshot::Items;
use crate::snapshot::kinds::{DAPR_CONFIGURATIONS, DEPLOYMENTS, PEER_AUTHENTICATIONS, PODS};

/// The checks of the `transit` family.
pub const CHECKS: &[&CheckDef] = &[&API_TLS, &SERVICE_MTLS];

/// `transit.api-tls`: the API server is reached over HTTPS.
pub const API_TLS: CheckDef = CheckDef {
    id: "transit.api-tls",
    title: "API server serves TLS only",
    resource: "API endpoint, kube-apiserver flags",
    commands: &["kubectl config view --minify -o jsonpath='{.clusters[0].cluster.server}'"],
    requires: &[],
    judges: "whether the API server serves TLS only",
    // The endpoint the snapshot was collected from is the evidence; else the pod's flags.
    reads: &[PODS],
    run: api_tls,
};

fn api_tls(ctx: &Ctx, mut b: Builder) -> CheckResult {
    // The endpoint the snapshot was collected from, and every visible apiserver's flags:
    // a second apiserver serving plain HTTP is not hidden by the one that was reached.
    let mut reached = None;
    if let Some(server) = &ctx.snap.source.server {
        let ok = server.starts_with("https://");
        b.push(
            if ok { Status::Pass } else { Status::Fail },
            format!("the snapshot was collected from {server}"),
            evidence_file("Snapshot", "source", "/source/server"),
        );
        reached = Some((server.clone(), ok));
    }
    let all = match apiservers(ctx) {
        ApiServers::Visible(all) => all,
        _ => Vec::new(),
    };
    if !all.is_empty() {
        b.cmd(APISERVER_CMD);
    }
    let cluster_version = ctx.snap.source.kubernetes_version.as_deref();
    for api in &all {
        api_tls_of(&mut b, api, all.len(), cluster_version);
    }
    match (reached, all.is_empty()) {
        (None, true) => {
            b.cmd(APISERVER_CMD);
            b.push(
                Status::NotCollected,
                "imported files do not show the API endpoint, and no kube-apiserver pod is visible",
                evidence_file("Snapshot", "source", "/source/server"),
            );
            b.finish(Status::NotCollected, "The snapshot was imported from files without the API server's address, and the control plane is not visible, so the API transport cannot be judged.", Some("Collect from the live cluster, or attach the cluster endpoint (`kubectl cluster-info`)."))
        }
        (Some((server, ok)), true) => b.finish(
            if ok { Status::Pass } else { Status::Fail },
            if ok { format!("The API server was reached over HTTPS ({server}); kube-apiserver has served no plain-HTTP port since Kubernetes 1.20. Its flags are not visible (managed control plane), so an older server's insecure port cannot be ruled out from here.") } else { format!("The API server was reached over plain HTTP ({server}): credentials and objects cross the network unencrypted.") },
            Some("Reach the API server only through its HTTPS endpoint."),
        ),
        (_, false) => {
            let status = b.derived().unwrap_or(Status::Fail);
            let short = crate::controls::checks::audit::short_of(&b, &all);
            let explanation = match status {
                Status::Pass => "The API server serves HTTPS only: every kube-apiserver's flags show the secure port and no plain-HTTP port (the insecure port exists only before Kubernetes 1.20).".to_string(),
                _ if all.len() > 1 && !short.is_empty() => format!("{} of the {} kube-apiservers ({}) do not serve TLS only; see the observations.", short.len(), all.len(), short.join(", ")),
                _ => "The API server does not serve TLS only; see the observations.".to_string(),
            };
            b.finish(status, explanation, Some("Serve the API on the secure port only, on every kube-apiserver: remove --secure-port=0, and on releases before 1.20 set --insecure-port=0."))
        }
    }
}

/// One kube-apiserver's ports: the secure port (disabled by `--secure-port=0`) and, before
/// Kubernetes 1.20, the plain-HTTP insecure port (`--insecure-port`, 8080 on
/// `--insecure-bind-address` 127.0.0.1 unless set to 0).
fn api_tls_of(b: &mut Builder, api: &Instance, count: usize, cluster_version: Option<&str>) {
    let (pod, flags) = (&api.pod, &api.flags);
    let who = who(api, count);
    let port = flags
        .get("secure-port")
        .cloned()
        .unwrap_or_else(|| "6443".into());
    if port == "0" {
        b.push(
            Status::Fail,
            format!("{who} is started with --secure-port=0: it serves no HTTPS"),
            evidence(PODS, pod, flag_ptr(pod, "secure-port")),
        );
    } else {
        let cert = flags.get("tls-cert-file");
        b.push(
            Status::Pass,
            format!(
                "{who} serves HTTPS on port {port}{}",
                cert.map(|c| format!(" with certificate {c}"))
                    .unwrap_or_default()
            ),
            evidence(PODS, pod, flag_ptr(pod, "tls-cert-file")),
        );
    }
    let insecure = flags.get("insecure-port").map(String::as_str);
    let bind = flags
        .get("insecure-bind-address")
        .map_or("127.0.0.1", String::as_str);
    let ptr = flag_ptr(pod, "insecure-port");
    match (api.version(cluster_version), insecure) {
        (Some(v), Some(p)) if v >= (1, 20) && p != "0" => b.push(Status::Pass, format!("{who} (v{}.{}) sets --insecure-port={p}, which the server ignores: the insecure port was removed in Kubernetes 1.20", v.0, v.1), evidence(PODS, pod, ptr)),
        (Some(v), _) if v >= (1, 20) => {}
        (_, Some("0")) => b.push(Status::Pass, format!("{who} disables the plain-HTTP insecure port (--insecure-port=0)"), evidence(PODS, pod, ptr)),
        (Some(v), p) => b.push(Status::Fail, format!("{who} (v{}.{}, before 1.20) serves plain HTTP without authentication or authorization on {bind}:{}{}", v.0, v.1, p.unwrap_or("8080"), if p.is_none() { " (the default of --insecure-port)" } else { "" }), evidence(PODS, pod, ptr)),
        (None, Some(p)) => b.push(Status::Partial, format!("{who} sets --insecure-port={p}, and its version is not known (no version in the snapshot or the image tag): before Kubernetes 1.20 that port serves plain HTTP without authentication"), evidence(PODS, pod, ptr)),
        (None, None) => {}
    }
}

fn healthy_deployment(d: &Value) -> bool {
    let want = crate::controls::util::at(d, "/spec/replicas")
        .and_then(Value::as_i64)
        .unwrap_or(1);
    let ready = crate::controls::util::at(d, "/status/readyReplicas")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let available = crate::controls::util::at(d, "/status/availableReplicas")
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
pub const SERVICE_MTLS: CheckDef = CheckDef {
    id: "transit.service-mtls",
    title: "Service-to-service mTLS",
    resource: "Dapr Sentry and Configuration, Istio PeerAuthentication, Linkerd control plane",
    commands: &[],
    requires: &[DEPLOYMENTS, PODS],
    judges: "whether a service mesh encrypts traffic",
    // Optional CRDs, weighed by whether their mesh is present.
    reads: &[DAPR_CONFIGURATIONS, PEER_AUTHENTICATIONS],
    run: service_mtls,
};

fn service_mtls(ctx: &Ctx, mut b: Builder) -> CheckResult {
    // Deployments are found by name and pods read one at a time: neither kind is parsed
    // whole.
    let deps = ctx.snap.collected(DEPLOYMENTS).expect(REQUIRED);
    let pods = ctx.snap.collected(PODS).expect(REQUIRED);
    let deployment = |n: &str| deps.iter().find(|d| d.name() == n).map(|d| d.value());
    let mut meshes = Meshes::default();
    if let Some(sentry) = &deployment("dapr-sentry") {
        dapr(ctx, &mut b, &mut meshes, sentry, pods);
    }
    istio(ctx, &mut b, &mut meshes);
    if let Some(identity) = &deployment("linkerd-identity") {
        let injector = deployment("linkerd-proxy-injector");
        linkerd(&mut b, &mut meshes, identity, injector.as_ref());
    }
    if meshes.found.is_empty() {
        return no_mesh(b, &meshes.uncollected);
    }
    mesh_verdict(b, &meshes)
}

/// The meshes found so far, and the optional mesh kinds that were not collected.
#[derive(Default)]
struct Meshes {
    found: Vec<&'static str>,
    uncollected: Vec<String>,
}

/// Dapr: Sentry's health, the Configurations' `mtls.enabled`, and a sidecar on every
/// application pod.
fn dapr(ctx: &Ctx, b: &mut Builder, meshes: &mut Meshes, sentry: &Value, pods: &Items) {
    b.cmd("dapr status -k");
    b.cmd(format!(
        "kubectl get deployment dapr-sentry -n {} -o yaml",
        namespace(sentry).unwrap_or("dapr-system")
    ));
    b.cmd("kubectl get configurations.dapr.io -A -o yaml");
    meshes.found.push("Dapr");
    let sentry_ns = namespace(sentry).unwrap_or("");
    dapr_sentry(b, sentry, sentry_ns, pods);
    match ctx.items(DAPR_CONFIGURATIONS) {
        Ok(cfgs) => dapr_configurations(b, cfgs),
        Err(e) => meshes.uncollected.push(e.key),
    }
    dapr_sidecars(b, sentry_ns, pods);
}

/// Dapr Sentry (the mTLS certificate authority): its Deployment's status is the evidence
/// (what the excerpt under the observation shows); its pods, selected by the Deployment's
/// selector, are the cross-check, and a disagreement between the two is stated.
fn dapr_sentry(b: &mut Builder, sentry: &Value, sentry_ns: &str, pods: &Items) {
    let selector = crate::controls::util::at(sentry, "/spec/selector").filter(|s| {
        s.get("matchLabels")
            .is_some_and(|m| m.as_object().is_some_and(|m| !m.is_empty()))
            || !arr(s, "/matchExpressions").is_empty()
    });
    let sentry_pods: Vec<Value> = pods
        .parse_in(sentry_ns)
        .into_iter()
        .filter(|p| match selector {
            Some(sel) => selector_matches(sel, labels(p)),
            None => {
                str_at(p, "/metadata/labels/app") == Some("dapr-sentry")
                    || name(p).starts_with("dapr-sentry-")
            }
        })
        .collect();
    let ready_pods = sentry_pods.iter().filter(|p| pod_ready(p)).count();
    let int = |ptr: &str| crate::controls::util::at(sentry, ptr).and_then(Value::as_i64);
    let want = int("/spec/replicas").unwrap_or(1);
    let ready = int("/status/readyReplicas").unwrap_or(0);
    let available = int("/status/availableReplicas").unwrap_or(0);
    let status_text = format!(
        "its Deployment reports readyReplicas: {ready}, availableReplicas: {available} of {want} replica(s)"
    );
    let pods_text = if sentry_pods.is_empty() {
        "no Sentry pod is in the snapshot to cross-check it".to_string()
    } else {
        format!(
            "{ready_pods} of its {} pod(s) in the snapshot are Running and Ready",
            sentry_pods.len()
        )
    };
    let ev = evidence(DEPLOYMENTS, sentry, "/status");
    match (healthy_deployment(sentry), sentry_pods.is_empty(), ready_pods > 0) {
        (true, true, _) | (true, false, true) => b.push(Status::Pass, format!("Dapr Sentry (the mTLS certificate authority) is healthy: {status_text}; {pods_text}"), ev),
        (true, false, false) => b.push(Status::Partial, format!("Dapr Sentry's Deployment status and its pods disagree: {status_text}, but {pods_text} (the snapshot may have caught a restart or rollout); whether sidecars can get and renew mTLS certificates is not shown"), ev),
        (false, false, true) => b.push(Status::Partial, format!("Dapr Sentry's Deployment status and its pods disagree: {status_text}, but {pods_text}; whether sidecars can get and renew mTLS certificates is not shown"), ev),
        (false, _, _) => b.push(Status::Fail, format!("Dapr Sentry is not healthy: {status_text}, and {pods_text}: sidecars cannot get or renew mTLS certificates"), ev),
    }
}

/// Each Dapr Configuration that states `spec.mtls.enabled`.
fn dapr_configurations(b: &mut Builder, cfgs: &[Value]) {
    let mut any = false;
    for c in cfgs {
        if let Some(enabled) =
            crate::controls::util::at(c, "/spec/mtls/enabled").and_then(Value::as_bool)
        {
            any = true;
            b.push(
                if enabled { Status::Pass } else { Status::Fail },
                format!(
                    "Dapr Configuration {}/{} sets mtls.enabled: {enabled}",
                    namespace(c).unwrap_or(""),
                    name(c)
                ),
                evidence(DAPR_CONFIGURATIONS, c, "/spec/mtls/enabled"),
            );
        }
    }
    if !any {
        b.push(Status::Partial, "no Dapr Configuration states spec.mtls.enabled; Dapr enables mTLS by default, but the setting is not evidenced", evidence_file(DAPR_CONFIGURATIONS, "", "/spec/mtls"));
    }
}

/// Every application pod (outside the system namespaces and Sentry's, not static) must run
/// a Dapr sidecar.
fn dapr_sidecars(b: &mut Builder, sentry_ns: &str, pods: &Items) {
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
            b.push(Status::Partial, format!("pod {}/{} has no Dapr sidecar (dapr.io/enabled is not \"true\"), so its traffic is not covered by Dapr mTLS", namespace(p).unwrap_or(""), name(p)), evidence(PODS, p, "/metadata/annotations"));
        }
    }
    if outside == 0 && app_pods > 0 {
        b.push(
            Status::Pass,
            format!(
                "all {app_pods} application pods run a Dapr sidecar (dapr.io/enabled: \"true\")"
            ),
            evidence_file(PODS, "", "/metadata/annotations"),
        );
    }
}

/// Istio: each PeerAuthentication's mTLS mode and scope.
fn istio(ctx: &Ctx, b: &mut Builder, meshes: &mut Meshes) {
    let pas = match ctx.items(PEER_AUTHENTICATIONS) {
        Ok(pas) if !pas.is_empty() => pas,
        Ok(_) => return,
        Err(e) => return meshes.uncollected.push(e.key),
    };
    meshes.found.push("Istio");
    b.cmd("kubectl get peerauthentications -A -o yaml");
    for pa in pas {
        let mode = str_at(pa, "/spec/mtls/mode").unwrap_or("UNSET");
        let scope = if crate::controls::util::at(pa, "/spec/selector").is_some() {
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
            evidence(PEER_AUTHENTICATIONS, pa, "/spec/mtls/mode"),
        );
    }
}

/// Linkerd: the identity controller and the proxy injector are healthy.
fn linkerd(b: &mut Builder, meshes: &mut Meshes, identity: &Value, injector: Option<&Value>) {
    meshes.found.push("Linkerd");
    b.cmd("linkerd check --proxy");
    let ok = healthy_deployment(identity) && injector.is_some_and(healthy_deployment);
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
        evidence(DEPLOYMENTS, identity, "/status"),
    );
}

/// No mesh found: not collected when a mesh kind could not be read, else a failure.
fn no_mesh(mut b: Builder, uncollected: &[String]) -> CheckResult {
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
        evidence_file(DEPLOYMENTS, "", ""),
    );
    b.finish(Status::Fail, "No service mesh or Dapr mTLS is present, so traffic between services inside the cluster travels unencrypted unless each application does its own TLS.", Some("Enable Dapr mTLS (Sentry), Istio with a STRICT PeerAuthentication, or Linkerd, and mesh every application pod."))
}

/// One or more meshes found: the verdict their observations give.
fn mesh_verdict(mut b: Builder, meshes: &Meshes) -> CheckResult {
    for k in &meshes.uncollected {
        b.push(
            Status::NotCollected,
            format!("{k} was not collected"),
            evidence_file(k, "", ""),
        );
    }
    let status = b.derived().unwrap_or(Status::Fail);
    let mesh = meshes.found.join(" and ");
    let explanation = match status {
        Status::Pass => {
            let dapr_note = if meshes.found == ["Dapr"] {
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
