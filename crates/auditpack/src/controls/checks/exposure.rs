//! Exposure (SOC 2 CC6.6, HIPAA 164.312(a)(1)): Services reachable from outside the
//! cluster (`NodePort`, `LoadBalancer`, `spec.externalIPs`) in namespaces that are not
//! meant to face the outside.
//!
//! A namespace is meant to face the outside when it carries the label
//! `auditpack.io/public: "true"` (set by the team that owns it: the label is in the
//! snapshot, so the evidence says who decided), or when its name is that of a well-known
//! ingress or gateway controller's namespace ([`EDGE_NAMESPACES`]), whose one job is to
//! receive outside traffic. Every other namespace is internal. System namespaces are not
//! judged, as for the other workload checks.

use std::collections::HashMap;

use serde_json::Value;

use crate::controls::util::{
    Builder, SYSTEM_NAMESPACES, arr, evidence, evidence_file, labels, name, namespace, str_at, strs,
};
use crate::controls::{CheckDef, Ctx, REQUIRED};
use crate::findings::{CheckResult, Status};
use crate::snapshot::kinds::{NAMESPACES, SERVICES};

/// The checks of the `exposure` family.
pub const CHECKS: &[&CheckDef] = &[&SERVICES_EXPOSED];

/// The label that marks a namespace as meant to face the outside.
pub const PUBLIC_LABEL: &str = "auditpack.io/public";

/// Namespaces of well-known ingress and gateway controllers, by the name their
/// installation guides use: their Services face the outside by design.
pub const EDGE_NAMESPACES: &[&str] = &[
    "ingress-nginx",
    "nginx-ingress",
    "traefik",
    "kong",
    "haproxy-controller",
    "haproxy-ingress",
    "projectcontour",
    "contour",
    "envoy-gateway-system",
    "istio-ingress",
    "gloo-system",
    "emissary",
    "ambassador",
    "apisix",
    "ngrok-ingress-controller",
];

/// Annotations that make a cloud load balancer internal (reachable only from the VPC),
/// with the value that does.
const INTERNAL_LB: &[(&str, &str)] = &[
    (
        "service.beta.kubernetes.io/aws-load-balancer-internal",
        "true",
    ),
    (
        "service.beta.kubernetes.io/aws-load-balancer-scheme",
        "internal",
    ),
    ("networking.gke.io/load-balancer-type", "Internal"),
    ("cloud.google.com/load-balancer-type", "Internal"),
    (
        "service.beta.kubernetes.io/azure-load-balancer-internal",
        "true",
    ),
    (
        "service.beta.kubernetes.io/oci-load-balancer-internal",
        "true",
    ),
];

/// `exposure.services`.
pub const SERVICES_EXPOSED: CheckDef = CheckDef {
    id: "exposure.services",
    title: "Only namespaces meant to face the outside expose Services outside the cluster",
    resource: "Services (type, nodePort, externalIPs), Namespaces (labels)",
    commands: &[
        "kubectl get services -A -o wide",
        "kubectl get namespaces --show-labels",
    ],
    requires: &[SERVICES],
    judges: "which Services are reachable from outside the cluster",
    reads: &[NAMESPACES],
    run: services,
};

/// Why a Service is reachable from outside the cluster, and the pointer to the field that
/// makes it so; `None` for a Service reachable only inside.
fn exposure(svc: &Value) -> Option<(String, String)> {
    let ips = strs(svc, "/spec/externalIPs");
    if !ips.is_empty() {
        return Some((
            format!("has externalIPs {}", ips.join(", ")),
            "/spec/externalIPs".into(),
        ));
    }
    let ports = |f: &str| -> String {
        let p: Vec<String> = arr(svc, "/spec/ports")
            .iter()
            .filter_map(|p| p.get(f).and_then(Value::as_i64))
            .map(|n| n.to_string())
            .collect();
        p.join(", ")
    };
    match str_at(svc, "/spec/type") {
        Some("NodePort") => {
            let np = ports("nodePort");
            let on = if np.is_empty() {
                "a port allocated on every node".to_string()
            } else {
                format!("port {np} of every node")
            };
            Some((
                format!("is of type NodePort: reachable on {on}"),
                "/spec/type".into(),
            ))
        }
        Some("LoadBalancer") => {
            let ann = |k: &str| {
                crate::controls::util::at(
                    svc,
                    &format!("/metadata/annotations/{}", crate::controls::util::esc(k)),
                )
                .and_then(Value::as_str)
            };
            if INTERNAL_LB
                .iter()
                .any(|(k, v)| ann(k).is_some_and(|x| x.eq_ignore_ascii_case(v)))
            {
                return None;
            }
            let ranges = strs(svc, "/spec/loadBalancerSourceRanges");
            let open =
                ranges.is_empty() || ranges.iter().any(|r| *r == "0.0.0.0/0" || *r == "::/0");
            let from = if open {
                "from any address".to_string()
            } else {
                format!("from {}", ranges.join(", "))
            };
            Some((
                format!(
                    "is of type LoadBalancer: reachable on port {} {from}",
                    ports("port")
                ),
                "/spec/type".into(),
            ))
        }
        _ => None,
    }
}

fn services(ctx: &Ctx, mut b: Builder) -> CheckResult {
    let svcs = ctx.items(SERVICES).expect(REQUIRED);
    let ns_labels: HashMap<&str, bool> = match ctx.items(NAMESPACES) {
        Ok(nss) => nss
            .iter()
            .map(|n| {
                (
                    name(n),
                    labels(n).get(PUBLIC_LABEL).and_then(Value::as_str) == Some("true"),
                )
            })
            .collect(),
        Err(e) => {
            b.missing(&e, "which namespaces are labelled as facing the outside");
            HashMap::new()
        }
    };
    let mut judged = 0;
    let mut exposed = 0;
    let mut bad = 0;
    let mut skipped = 0;
    for svc in svcs {
        let ns = namespace(svc).unwrap_or("");
        if SYSTEM_NAMESPACES.contains(&ns) {
            skipped += 1;
            continue;
        }
        judged += 1;
        let Some((why, ptr)) = exposure(svc) else {
            continue;
        };
        exposed += 1;
        let selects =
            match crate::controls::util::at(svc, "/spec/selector").and_then(Value::as_object) {
                Some(m) if !m.is_empty() => {
                    let sel: Vec<String> = m
                        .iter()
                        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("?")))
                        .collect();
                    format!(", selecting pods {}", sel.join(","))
                }
                _ => ", with no selector (its endpoints are set by hand)".to_string(),
            };
        let public = if ns_labels.get(ns).copied().unwrap_or(false) {
            Some(format!("labelled {PUBLIC_LABEL}=true"))
        } else if EDGE_NAMESPACES.contains(&ns) {
            Some("the well-known namespace of an ingress or gateway controller".to_string())
        } else {
            None
        };
        let subject = format!("Service {ns}/{}", name(svc));
        match public {
            Some(reason) => b.push(
                Status::Pass,
                format!("{subject} {why}{selects}; namespace {ns} is meant to face the outside ({reason})"),
                evidence(SERVICES, svc, ptr),
            ),
            None => {
                bad += 1;
                b.push(
                    Status::Fail,
                    format!("{subject} {why}{selects}, in namespace {ns}, which is not meant to face the outside"),
                    evidence(SERVICES, svc, ptr),
                );
            }
        }
    }
    if exposed == 0 && judged > 0 {
        b.push(
            Status::Pass,
            format!(
                "none of the {judged} application Services is reachable from outside the cluster"
            ),
            evidence_file(SERVICES, "", ""),
        );
    }
    let note = if skipped > 0 {
        format!(" {skipped} Service(s) in system namespaces are not judged.")
    } else {
        String::new()
    };
    let rule = format!(
        "A namespace is meant to face the outside when labelled `{PUBLIC_LABEL}: \"true\"` or when it is a well-known ingress or gateway controller's namespace (ingress-nginx, traefik, kong, …); every other namespace is internal."
    );
    let status = b.derived().unwrap_or(Status::NotApplicable);
    let explanation = match status {
        Status::Pass if exposed == 0 => format!(
            "None of the {judged} application Services is of type NodePort or LoadBalancer or has externalIPs: nothing is reachable from outside the cluster except through what fronts it.{note}"
        ),
        Status::Pass => format!(
            "{exposed} Service(s) are reachable from outside the cluster, all in namespaces meant to face the outside. {rule}{note}"
        ),
        Status::NotApplicable => format!("There are no application Services.{note}"),
        _ => format!(
            "{bad} Service(s) in internal namespaces are reachable from outside the cluster (NodePort, LoadBalancer or externalIPs): the workloads behind them receive traffic from beyond the system's boundary, past the ingress that should authenticate and filter it. {rule}{note}"
        ),
    };
    b.finish(
        status,
        explanation,
        Some("Make the Service `type: ClusterIP` and publish it through the ingress or gateway controller (with TLS and authentication there); if the namespace is meant to face the outside, label it `auditpack.io/public=true` so the decision is on record."),
    )
}

#[cfg(test)]
mod tests {
    use super::exposure;
    use serde_json::json;

    #[test]
    fn what_reaches_outside_the_cluster() {
        let svc = |spec: serde_json::Value| json!({"metadata": {"name": "s", "namespace": "a"}, "spec": spec});
        assert!(exposure(&svc(json!({"type": "ClusterIP"}))).is_none());
        assert!(exposure(&svc(json!({}))).is_none());
        assert!(
            exposure(&svc(
                json!({"type": "ExternalName", "externalName": "db.example.com"})
            ))
            .is_none()
        );
        let np = exposure(&svc(
            json!({"type": "NodePort", "ports": [{"port": 80, "nodePort": 30003}]}),
        ))
        .unwrap();
        assert_eq!(
            np.0,
            "is of type NodePort: reachable on port 30003 of every node"
        );
        let ext = exposure(&svc(
            json!({"type": "ClusterIP", "externalIPs": ["203.0.113.7"]}),
        ))
        .unwrap();
        assert_eq!(ext.1, "/spec/externalIPs");
        let lb = exposure(&svc(
            json!({"type": "LoadBalancer", "ports": [{"port": 443}]}),
        ))
        .unwrap();
        assert!(lb.0.ends_with("from any address"), "{}", lb.0);
        let ranged = exposure(&svc(
            json!({"type": "LoadBalancer", "ports": [{"port": 443}],
            "loadBalancerSourceRanges": ["198.51.100.0/24"]}),
        ))
        .unwrap();
        assert!(ranged.0.ends_with("from 198.51.100.0/24"), "{}", ranged.0);
        let internal = json!({"metadata": {"name": "s", "namespace": "a",
            "annotations": {"networking.gke.io/load-balancer-type": "Internal"}},
            "spec": {"type": "LoadBalancer"}});
        assert!(exposure(&internal).is_none());
    }
}
