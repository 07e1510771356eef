//! NetworkPolicy with the API's semantics: a pod is isolated for a direction when some
//! policy of its namespace selects it and has that policy type (`Ingress` always unless
//! `policyTypes` says otherwise, `Egress` when listed or when egress rules are present);
//! an isolated pod accepts only what some rule allows; peers combine `namespaceSelector`
//! and `podSelector` (both must match), `ipBlock` matches addresses outside `except`.
//! Everything is computed per namespace: no loop over pods × policies of the whole cluster.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde_json::{Map, Value};

use crate::controls::util::{
    Builder, SYSTEM_NAMESPACES, arr, evidence, evidence_file, labels, name, namespace,
    selector_matches, str_at,
};
use crate::controls::{CheckDef, Ctx, REQUIRED};
use crate::findings::{CheckResult, Status};
use crate::snapshot::kinds::{NAMESPACES, NETWORK_POLICIES, PODS};

/// Which directions a policy governs: `(ingress, egress)`.
pub fn policy_types(p: &Value) -> (bool, bool) {
    match crate::controls::util::at(p, "/spec/policyTypes").and_then(Value::as_array) {
        Some(types) if !types.is_empty() => (
            types.iter().any(|t| t == "Ingress"),
            types.iter().any(|t| t == "Egress"),
        ),
        _ => (true, !arr(p, "/spec/egress").is_empty()),
    }
}

/// Whether a policy's `podSelector` selects a pod with these labels.
pub fn selects(p: &Value, pod_labels: &Map<String, Value>) -> bool {
    static EMPTY: Value = Value::Null;
    let sel = crate::controls::util::at(p, "/spec/podSelector").unwrap_or(&EMPTY);
    if sel.is_null() {
        return true;
    }
    selector_matches(sel, pod_labels)
}

/// One end of a connection.
#[derive(Debug, Clone)]
pub enum Endpoint<'a> {
    /// A pod: its namespace and labels.
    Pod {
        /// Namespace.
        namespace: &'a str,
        /// Labels.
        labels: &'a Map<String, Value>,
    },
    /// An address outside the cluster.
    External(IpAddr),
}

/// A port a connection goes to: protocol (`TCP` when `None` in a rule) and number.
#[derive(Debug, Clone, Copy)]
pub struct Port<'a> {
    /// Protocol.
    pub protocol: &'a str,
    /// Number.
    pub number: u16,
    /// Name of the destination container port, if it has one (matches named rule ports).
    pub name: Option<&'a str>,
}

/// Whether an IPv4/IPv6 address lies in a CIDR.
pub fn cidr_contains(cidr: &str, ip: IpAddr) -> bool {
    let Some((net, len)) = cidr.split_once('/') else {
        return false;
    };
    let (Ok(net), Ok(len)) = (net.parse::<IpAddr>(), len.parse::<u32>()) else {
        return false;
    };
    match (net, ip) {
        (IpAddr::V4(n), IpAddr::V4(i)) if len <= 32 => {
            let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
            u32::from(n) & mask == u32::from(i) & mask
        }
        (IpAddr::V6(n), IpAddr::V6(i)) if len <= 128 => {
            let mask = if len == 0 {
                0
            } else {
                u128::MAX << (128 - len)
            };
            u128::from(n) & mask == u128::from(i) & mask
        }
        _ => false,
    }
}

fn peer_matches(
    peer: &Value,
    policy_ns: &str,
    other: &Endpoint,
    ns_labels: &BTreeMap<String, Map<String, Value>>,
) -> bool {
    if let Some(block) = peer.get("ipBlock") {
        return match other {
            Endpoint::External(ip) => {
                cidr_contains(str_at(block, "/cidr").unwrap_or(""), *ip)
                    && !arr(block, "/except")
                        .iter()
                        .filter_map(Value::as_str)
                        .any(|e| cidr_contains(e, *ip))
            }
            Endpoint::Pod { .. } => false,
        };
    }
    let Endpoint::Pod { namespace, labels } = other else {
        return false;
    };
    let ns_ok = match peer.get("namespaceSelector") {
        Some(sel) => {
            static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
            let l = ns_labels
                .get(*namespace)
                .unwrap_or_else(|| EMPTY.get_or_init(Map::new));
            selector_matches(sel, l)
        }
        None => *namespace == policy_ns,
    };
    let pod_ok = match peer.get("podSelector") {
        Some(sel) => selector_matches(sel, labels),
        None => true,
    };
    ns_ok
        && pod_ok
        && (peer.get("namespaceSelector").is_some() || peer.get("podSelector").is_some())
}

fn port_matches(rule: &Value, port: Option<Port>) -> bool {
    let ports = arr(rule, "/ports");
    if ports.is_empty() {
        return true;
    }
    let Some(port) = port else {
        return true;
    };
    ports.iter().any(|p| {
        let proto = str_at(p, "/protocol").unwrap_or("TCP");
        if proto != port.protocol {
            return false;
        }
        match p.get("port") {
            None => true,
            Some(Value::String(n)) => port.name == Some(n.as_str()),
            Some(v) => {
                let start = v.as_u64().unwrap_or(0);
                let end = p.get("endPort").and_then(Value::as_u64).unwrap_or(start);
                (start..=end).contains(&u64::from(port.number))
            }
        }
    })
}

/// Whether traffic from `from` may reach the pod `to` on `port` (`None`: any port), given
/// every NetworkPolicy of the cluster and the namespaces' labels. Both directions count:
/// the source's egress policies and the destination's ingress policies. `ipBlock` peers
/// are matched against external addresses only (pod IPs are not part of a snapshot).
pub fn allowed(
    policies: &[Value],
    ns_labels: &BTreeMap<String, Map<String, Value>>,
    from: &Endpoint,
    to: &Endpoint,
    port: Option<Port>,
) -> bool {
    let direction = |me: &Endpoint, other: &Endpoint, ingress: bool| -> bool {
        let Endpoint::Pod { namespace, labels } = me else {
            return true; // outside the cluster, no policy applies
        };
        let mut isolated = false;
        for p in policies
            .iter()
            .filter(|p| crate::controls::util::namespace(p) == Some(namespace))
        {
            let (ing, eg) = policy_types(p);
            if !(if ingress { ing } else { eg }) || !selects(p, labels) {
                continue;
            }
            isolated = true;
            let (rules, peers) = if ingress {
                ("/spec/ingress", "/from")
            } else {
                ("/spec/egress", "/to")
            };
            for rule in arr(p, rules) {
                let ps = arr(rule, peers);
                let peer_ok = ps.is_empty()
                    || ps
                        .iter()
                        .any(|peer| peer_matches(peer, namespace, other, ns_labels));
                if peer_ok && port_matches(rule, port) {
                    return true;
                }
            }
        }
        !isolated
    };
    direction(from, to, false) && direction(to, from, true)
}

/// Rules of a policy that admit every source (ingress) or destination (egress): an empty
/// peer list, or an ipBlock of `0.0.0.0/0` or `::/0`. Returns `(pointer, description)`.
pub fn allow_all_rules(p: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (field, peers, word) in [
        ("ingress", "from", "source"),
        ("egress", "to", "destination"),
    ] {
        for (i, rule) in arr(p, &format!("/spec/{field}")).iter().enumerate() {
            let ps = arr(rule, &format!("/{peers}"));
            let ports = if arr(rule, "/ports").is_empty() {
                "on every port".to_string()
            } else {
                "on the listed ports".to_string()
            };
            if ps.is_empty() {
                out.push((
                    format!("/spec/{field}/{i}"),
                    format!("{field} rule {i} has no `{peers}`: it admits every {word} {ports}"),
                ));
            }
            for (j, peer) in ps.iter().enumerate() {
                if let Some(cidr) =
                    crate::controls::util::at(peer, "/ipBlock/cidr").and_then(Value::as_str)
                    && (cidr == "0.0.0.0/0" || cidr == "::/0")
                {
                    out.push((
                        format!("/spec/{field}/{i}/{peers}/{j}/ipBlock/cidr"),
                        format!("{field} rule {i} admits {cidr} (every address) {ports}"),
                    ));
                }
            }
        }
    }
    out
}

/// Whether a policy's podSelector selects every pod of its namespace.
pub fn selects_all(p: &Value) -> bool {
    match crate::controls::util::at(p, "/spec/podSelector") {
        None | Some(Value::Null) => true,
        Some(s) => {
            s.get("matchLabels")
                .and_then(Value::as_object)
                .is_none_or(Map::is_empty)
                && arr(s, "/matchExpressions").is_empty()
        }
    }
}

/// Whether the policy is a namespace-wide deny by default for `ingress` (else egress): it
/// selects every pod, governs that direction, and none of its rules admits everything.
pub fn is_default_deny(p: &Value, ingress: bool) -> bool {
    let (ing, eg) = policy_types(p);
    let field = if ingress { "ingress" } else { "egress" };
    selects_all(p)
        && (if ingress { ing } else { eg })
        && !allow_all_rules(p)
            .iter()
            .any(|(ptr, _)| ptr.starts_with(&format!("/spec/{field}/")))
}

struct Inputs<'a> {
    namespaces: &'a [Value],
    policies: BTreeMap<&'a str, Vec<&'a Value>>,
}

/// Namespaces and their NetworkPolicies (both required by the checks that call it).
fn inputs<'a>(ctx: &'a Ctx<'_>) -> Inputs<'a> {
    let namespaces = ctx.items(NAMESPACES).expect(REQUIRED);
    let mut policies: BTreeMap<&str, Vec<&Value>> = BTreeMap::new();
    for p in ctx.items(NETWORK_POLICIES).expect(REQUIRED) {
        policies
            .entry(namespace(p).unwrap_or(""))
            .or_default()
            .push(p);
    }
    Inputs {
        namespaces,
        policies,
    }
}

const NP: &str = NETWORK_POLICIES.key;

/// The checks of the `network` family.
pub const CHECKS: &[&CheckDef] = &[&DEFAULT_DENY, &POD_ISOLATION, &ALLOW_ALL];

/// `network.default-deny`: every application namespace denies ingress and egress by default.
pub const DEFAULT_DENY: CheckDef = CheckDef {
    id: "network.default-deny",
    title: "Default-deny NetworkPolicy per namespace",
    resource: "NetworkPolicies, Namespaces",
    commands: &[
        "kubectl get networkpolicies -A -o yaml",
        "kubectl get namespaces",
    ],
    requires: &[NAMESPACES, NETWORK_POLICIES],
    judges: "whether namespaces deny traffic by default",
    reads: &[],
    run: default_deny,
};

fn default_deny(ctx: &Ctx, mut b: Builder) -> CheckResult {
    let inp = inputs(ctx);
    let mut skipped = Vec::new();
    let mut failing = 0;
    for ns in inp.namespaces {
        let n = name(ns);
        if SYSTEM_NAMESPACES.contains(&n) {
            skipped.push(n);
            continue;
        }
        let pols = inp.policies.get(n).map(Vec::as_slice).unwrap_or(&[]);
        // A policy that selects every pod and admits everything in a direction undoes any
        // default-deny in that direction (policies are additive).
        let undone = |ingress: bool| {
            let field = if ingress {
                "/spec/ingress/"
            } else {
                "/spec/egress/"
            };
            pols.iter().find(|p| {
                let (ing, eg) = policy_types(p);
                selects_all(p)
                    && (if ingress { ing } else { eg })
                    && allow_all_rules(p)
                        .iter()
                        .any(|(ptr, _)| ptr.starts_with(field))
            })
        };
        for (dir, open) in [("ingress", undone(true)), ("egress", undone(false))] {
            if let Some(p) = open {
                b.push(
                    Status::Fail,
                    format!("namespace {n}: NetworkPolicy {} admits all {dir} to every pod, which undoes any default-deny for {dir}", name(p)),
                    evidence(NP, p, format!("/spec/{dir}")),
                );
            }
        }
        let find = |ingress: bool| {
            if undone(ingress).is_some() {
                return None;
            }
            pols.iter().find(|p| is_default_deny(p, ingress))
        };
        let (i, e) = (find(true), find(false));
        match (i, e) {
            (Some(pi), Some(pe)) => {
                let msg = if name(pi) == name(pe) {
                    format!(
                        "namespace {n}: NetworkPolicy {} denies ingress and egress by default",
                        name(pi)
                    )
                } else {
                    format!(
                        "namespace {n}: NetworkPolicy {} denies ingress and {} denies egress by default",
                        name(pi),
                        name(pe)
                    )
                };
                b.push(Status::Pass, msg, evidence(NP, pi, "/spec"));
            }
            (Some(p), None) | (None, Some(p)) => {
                failing += 1;
                let (has, lacks) = if i.is_some() {
                    ("ingress", "egress")
                } else {
                    ("egress", "ingress")
                };
                b.push(
                    Status::Partial,
                    format!("namespace {n}: {} denies {has} by default, but nothing denies {lacks} by default", name(p)),
                    evidence(NP, p, "/spec"),
                );
            }
            (None, None) => {
                failing += 1;
                b.push(
                    Status::Fail,
                    format!("namespace {n} has no default-deny NetworkPolicy for ingress or egress: every pod there accepts and opens any connection not otherwise restricted"),
                    evidence(NAMESPACES, ns, "/metadata/name"),
                );
                b.cmd(format!("kubectl get networkpolicies -n {n} -o yaml"));
            }
        }
    }
    let status = b.derived().unwrap_or(Status::NotApplicable);
    let note = if skipped.is_empty() {
        String::new()
    } else {
        format!(
            " System namespaces ({}) are not judged here.",
            skipped.join(", ")
        )
    };
    let explanation = match status {
        Status::Pass => format!(
            "Every application namespace has a NetworkPolicy that selects all of its pods and denies ingress and egress unless another policy allows it.{note}"
        ),
        Status::NotApplicable => format!("There are no application namespaces to judge.{note}"),
        _ => format!(
            "{failing} namespace(s) lack a default-deny NetworkPolicy for ingress, egress or both, so traffic into or out of their pods is not bounded by default.{note}"
        ),
    };
    b.finish(status, explanation, Some("Add a NetworkPolicy with `podSelector: {}` and `policyTypes: [Ingress, Egress]` and no rules to each namespace, then allow the flows each application needs explicitly."))
}

/// `network.pod-isolation`: no application pod is left unselected by every policy.
pub const POD_ISOLATION: CheckDef = CheckDef {
    id: "network.pod-isolation",
    title: "Every pod is covered by a NetworkPolicy",
    resource: "Pods, NetworkPolicies",
    commands: &[
        "kubectl get pods -A --show-labels",
        "kubectl get networkpolicies -A -o yaml",
    ],
    requires: &[NAMESPACES, NETWORK_POLICIES, PODS],
    judges: "which pods no NetworkPolicy selects",
    reads: &[],
    run: pod_isolation,
};

fn pod_isolation(ctx: &Ctx, mut b: Builder) -> CheckResult {
    let inp = inputs(ctx);
    let pods = ctx.objects(PODS).expect(REQUIRED);
    let mut covered = 0;
    let mut open = 0;
    let mut targeted: std::collections::BTreeMap<(String, String), usize> = Default::default();
    for pod in pods {
        let pod = &pod;
        let ns = namespace(pod).unwrap_or("");
        if SYSTEM_NAMESPACES.contains(&ns) {
            continue;
        }
        let pols = inp.policies.get(ns).map(Vec::as_slice).unwrap_or(&[]);
        let l = labels(pod);
        let ing = pols.iter().any(|p| policy_types(p).0 && selects(p, l));
        let eg = pols.iter().any(|p| policy_types(p).1 && selects(p, l));
        // Policies that target particular pods (not a namespace-wide default): name them,
        // so the evidence says which policy isolates which workload.
        for p in pols.iter().filter(|p| targets_pods(p) && selects(p, l)) {
            *targeted
                .entry((ns.to_string(), name(p).to_string()))
                .or_insert(0usize) += 1;
        }
        if ing && eg {
            covered += 1;
        } else {
            open += 1;
            let missing = match (ing, eg) {
                (false, false) => "ingress or egress",
                (false, true) => "ingress",
                _ => "egress",
            };
            b.push(
                if !ing { Status::Fail } else { Status::Partial },
                format!("pod {ns}/{} is not selected by any NetworkPolicy for {missing}: that traffic is unrestricted", name(pod)),
                evidence(PODS, pod, "/metadata/labels"),
            );
        }
    }
    const NAMED: usize = 50;
    for ((ns, pol), n) in targeted.iter().take(NAMED) {
        let object = inp
            .policies
            .get(ns.as_str())
            .and_then(|ps| ps.iter().find(|p| name(p) == pol));
        if let Some(p) = object {
            let (i, e) = policy_types(p);
            let dirs = match (i, e) {
                (true, true) => "ingress and egress",
                (true, false) => "ingress",
                _ => "egress",
            };
            b.push(
                Status::Pass,
                format!("NetworkPolicy {ns}/{pol} selects {n} pod(s) and restricts their {dirs}"),
                evidence(NP, p, "/spec/podSelector"),
            );
        }
    }
    if targeted.len() > NAMED {
        b.push(
            Status::Pass,
            format!(
                "{} more NetworkPolicies select particular pods",
                targeted.len() - NAMED
            ),
            evidence_file(NP, "", ""),
        );
    }
    if open == 0 && covered > 0 {
        b.push(
            Status::Pass,
            format!("all {covered} application pods are selected by NetworkPolicies for ingress and egress"),
            evidence_file(NP, "", ""),
        );
    }
    let status = b.derived().unwrap_or(Status::NotApplicable);
    let explanation = match status {
        Status::Pass => format!(
            "Each of the {covered} application pods is isolated by at least one NetworkPolicy in both directions (system namespaces are not judged)."
        ),
        Status::NotApplicable => {
            "There are no application pods to judge (system namespaces are not judged).".to_string()
        }
        _ => format!(
            "{open} application pod(s) are not selected by a NetworkPolicy in one or both directions, so the network does not restrict who reaches them or what they reach."
        ),
    };
    b.finish(status, explanation, Some("Add a default-deny NetworkPolicy to the pod's namespace, or a policy whose podSelector matches the pod."))
}

/// `network.allow-all`: no policy admits every source or destination.
pub const ALLOW_ALL: CheckDef = CheckDef {
    id: "network.allow-all",
    title: "No NetworkPolicy admits all traffic",
    resource: "NetworkPolicies",
    commands: &["kubectl get networkpolicies -A -o yaml"],
    requires: &[NETWORK_POLICIES],
    judges: "whether policies admit everything",
    reads: &[],
    run: allow_all,
};

fn allow_all(ctx: &Ctx, mut b: Builder) -> CheckResult {
    let pols = ctx.items(NETWORK_POLICIES).expect(REQUIRED);
    for p in pols {
        for (ptr, msg) in allow_all_rules(p) {
            b.push(
                Status::Fail,
                format!(
                    "NetworkPolicy {}/{}: {msg}",
                    namespace(p).unwrap_or(""),
                    name(p)
                ),
                evidence(NP, p, ptr),
            );
        }
    }
    let bad = b.observations.len();
    if bad == 0 {
        b.push(
            Status::Pass,
            format!("none of the {} NetworkPolicies has an empty peer list or a 0.0.0.0/0 or ::/0 block", pols.len()),
            evidence_file(NP, "", ""),
        );
    }
    let status = b.derived().unwrap_or(Status::Pass);
    let explanation = if bad == 0 {
        format!(
            "None of the {} NetworkPolicies has a rule that admits every source or destination.",
            pols.len()
        )
    } else {
        format!(
            "{bad} NetworkPolicy rule(s) admit every source or destination (an empty `from`/`to`, or 0.0.0.0/0 or ::/0), which undoes the isolation those policies would otherwise give."
        )
    };
    b.finish(status, explanation, Some("Replace empty peer lists and all-address ipBlocks with the namespaces, pods or address ranges that need access."))
}

/// Whether a policy selects particular pods (a non-empty podSelector) rather than the whole
/// namespace.
fn targets_pods(p: &Value) -> bool {
    p.pointer("/spec/podSelector")
        .and_then(Value::as_object)
        .is_some_and(|sel| {
            sel.values().any(|v| {
                !v.is_null()
                    && v.as_object().is_none_or(|o| !o.is_empty())
                    && v.as_array().is_none_or(|a| !a.is_empty())
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn policy_types_default_as_the_api_says() {
        assert_eq!(
            policy_types(&json!({"spec": {"podSelector": {}}})),
            (true, false)
        );
        assert_eq!(
            policy_types(&json!({"spec": {"podSelector": {}, "egress": [{}]}})),
            (true, true)
        );
        assert_eq!(
            policy_types(&json!({"spec": {"policyTypes": ["Egress"], "ingress": [{}]}})),
            (false, true)
        );
    }

    #[test]
    fn cidrs_match_v4_and_v6() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert!(cidr_contains("0.0.0.0/0", ip("203.0.113.9")));
        assert!(cidr_contains("10.0.0.0/8", ip("10.200.1.1")));
        assert!(!cidr_contains("10.0.0.0/8", ip("11.0.0.1")));
        assert!(cidr_contains("::/0", ip("2001:db8::1")));
        assert!(cidr_contains("2001:db8::/32", ip("2001:db8:ffff::1")));
        assert!(!cidr_contains("2001:db8::/32", ip("10.0.0.1")));
        assert!(!cidr_contains("garbage", ip("10.0.0.1")));
    }

    #[test]
    fn allow_all_rules_are_found() {
        let p = json!({"spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"],
            "ingress": [{"from": [{"podSelector": {}}]}],
            "egress": [{"to": [{"ipBlock": {"cidr": "::/0"}}]}, {"ports": [{"port": 53}]}]}});
        let found: Vec<String> = allow_all_rules(&p).into_iter().map(|(p, _)| p).collect();
        assert_eq!(
            found,
            ["/spec/egress/0/to/0/ipBlock/cidr", "/spec/egress/1"]
        );
        assert!(is_default_deny(&p, true));
        assert!(!is_default_deny(&p, false));
    }
}
