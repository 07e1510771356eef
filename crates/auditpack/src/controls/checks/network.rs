//! The `network` family. Isolation (`network.default-deny`, `network.pod-isolation`) is
//! judged by [`crate::controls::model::netpol`] across every policy API the snapshot holds
//! (NetworkPolicy, Cilium, Calico, AdminNetworkPolicy), for running pods and for the pod
//! templates of Deployments, StatefulSets, DaemonSets, Jobs and CronJobs.
//! [`allowed`] answers whether one connection is admitted, with NetworkPolicy's semantics:
//! an isolated pod accepts only what some rule allows; peers combine `namespaceSelector`
//! and `podSelector` (both must match), `ipBlock` matches addresses outside `except`.

use std::collections::BTreeMap;
#[cfg(any(test, feature = "internals"))]
use std::net::IpAddr;

use serde_json::{Map, Value};

pub use crate::controls::model::netpol::allow_all_rules;
use crate::controls::model::netpol::{Engine, Pol, Scope, Verdict};
#[cfg(any(test, feature = "internals"))]
pub use crate::controls::model::netpol::{is_default_deny, policy_types, selects, selects_all};
use crate::controls::util::{
    Builder, SYSTEM_NAMESPACES, WORKLOAD_KINDS, count, evidence, evidence_file, labels, name,
    name_list, namespace, pod_spec,
};
#[cfg(any(test, feature = "internals"))]
use crate::controls::util::{arr, selector_matches, str_at};
use crate::controls::{CheckDef, Ctx, REQUIRED};
use crate::findings::{CheckResult, Status};
use crate::snapshot::kinds::{
    ADMIN_NETWORK_POLICIES, BASELINE_ADMIN_NETWORK_POLICIES, CALICO_CRD_GLOBAL_NETWORK_POLICIES,
    CALICO_CRD_NETWORK_POLICIES, CALICO_GLOBAL_NETWORK_POLICIES, CALICO_NETWORK_POLICIES,
    CILIUM_CLUSTERWIDE_NETWORK_POLICIES, CILIUM_NETWORK_POLICIES, CRON_JOBS, DAEMON_SETS,
    DEPLOYMENTS, JOBS, KindInfo, NAMESPACES, NETWORK_POLICIES, PODS, STATEFUL_SETS,
};

/// The policy kinds besides NetworkPolicy that isolation is judged with (their absence is
/// weighed by the checks: it can only hide an isolation, never invent one).
const POLICY_KINDS: &[&KindInfo] = &[
    CILIUM_NETWORK_POLICIES,
    CILIUM_CLUSTERWIDE_NETWORK_POLICIES,
    CALICO_NETWORK_POLICIES,
    CALICO_GLOBAL_NETWORK_POLICIES,
    CALICO_CRD_NETWORK_POLICIES,
    CALICO_CRD_GLOBAL_NETWORK_POLICIES,
    ADMIN_NETWORK_POLICIES,
    BASELINE_ADMIN_NETWORK_POLICIES,
];

#[cfg(any(test, feature = "internals"))]
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

#[cfg(any(test, feature = "internals"))]
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

#[cfg(any(test, feature = "internals"))]
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

#[cfg(any(test, feature = "internals"))]
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

#[cfg(any(test, feature = "internals"))]
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

#[cfg(any(test, feature = "internals"))]
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
    reads: POLICY_KINDS,
    run: default_deny,
};

/// The policy engine over every API this snapshot holds, and the namespaces' labels.
struct Net<'a> {
    engine: Engine<'a>,
    ns_labels: BTreeMap<&'a str, &'a Map<String, Value>>,
}

fn net<'a>(ctx: &'a Ctx<'_>) -> Net<'a> {
    let engine = Engine::new(ctx.items(NETWORK_POLICIES).expect(REQUIRED), |k| {
        ctx.items(k)
    });
    let ns_labels = ctx
        .items(NAMESPACES)
        .expect(REQUIRED)
        .iter()
        .map(|ns| (name(ns), labels(ns)))
        .collect();
    Net { engine, ns_labels }
}

impl<'a> Net<'a> {
    fn scope<'s>(&'s self, ns: &'s str, pod: Option<&'s Map<String, Value>>) -> Scope<'s> {
        static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
        Scope {
            namespace: ns,
            ns_labels: self
                .ns_labels
                .get(ns)
                .copied()
                .unwrap_or_else(|| EMPTY.get_or_init(Map::new)),
            pod,
        }
    }

    /// Observations for policies auditpack cannot read (left out of every verdict).
    fn report_unreadable(&self, b: &mut Builder) {
        for (kind, obj, why) in &self.engine.unreadable {
            b.push(
                Status::NotCollected,
                format!(
                    "{} {}: {why}; auditpack reads only all(), ==, !=, has(), in, not in, !, &&, || and parentheses, so the pods it selects are judged without it (rewrite the selector in that subset, or judge this policy by hand)",
                    kind.kind,
                    policy_name(obj)
                ),
                evidence(kind.key, obj, "/spec"),
            );
        }
    }

    /// A sentence on the policy kinds that are not evidence (empty when all are).
    fn missing_note(&self) -> String {
        if self.engine.missing.is_empty() {
            return String::new();
        }
        let mut groups: Vec<&str> = self
            .engine
            .missing
            .iter()
            .filter_map(|m| m.key.split_once('.').map(|(_, g)| g))
            .collect();
        groups.dedup();
        format!(
            " Policies of {} were not collected: whatever they isolate is judged here without them.",
            name_list(groups.iter())
        )
    }
}

fn policy_name(o: &Value) -> String {
    match namespace(o) {
        Some(ns) => format!("{ns}/{}", name(o)),
        None => name(o).to_string(),
    }
}

fn dir_field(ingress: bool) -> &'static str {
    if ingress { "ingress" } else { "egress" }
}

/// Judges one namespace: which policy denies each direction by default.
fn judge_namespace(net: &Net, ns: &Value, b: &mut Builder) -> bool {
    let n = name(ns);
    let scope = net.scope(n, None);
    let mut denied = [None, None];
    for (slot, ingress) in denied.iter_mut().zip([true, false]) {
        let dir = dir_field(ingress);
        match net.engine.verdict(&scope, ingress) {
            Verdict::Isolated(p) => *slot = Some(p),
            Verdict::Opened(p) => b.push(
                Status::Fail,
                format!("namespace {n}: {} admits all {dir} to every pod, which undoes any default-deny for {dir}", p.describe()),
                evidence(p.kind.key, p.obj, format!("/spec/{dir}")),
            ),
            Verdict::Open => {}
        }
    }
    match denied {
        [Some(pi), Some(pe)] => {
            let msg = if std::ptr::eq(pi, pe) {
                format!(
                    "namespace {n}: {} denies ingress and egress by default",
                    pi.describe()
                )
            } else {
                format!(
                    "namespace {n}: {} denies ingress and {} denies egress by default",
                    pi.describe(),
                    pe.describe()
                )
            };
            b.push(Status::Pass, msg, evidence(pi.kind.key, pi.obj, "/spec"));
            true
        }
        [Some(p), None] | [None, Some(p)] => {
            let (has, lacks) = if denied[0].is_some() {
                ("ingress", "egress")
            } else {
                ("egress", "ingress")
            };
            b.push(
                Status::Partial,
                format!("namespace {n}: {} denies {has} by default, but nothing denies {lacks} by default", p.describe()),
                evidence(p.kind.key, p.obj, "/spec"),
            );
            false
        }
        [None, None] => {
            b.push(
                Status::Fail,
                format!("namespace {n} has no default-deny network policy for ingress or egress: every pod there accepts and opens any connection not otherwise restricted"),
                evidence(NAMESPACES, ns, "/metadata/name"),
            );
            b.cmd(format!("kubectl get networkpolicies -n {n} -o yaml"));
            false
        }
    }
}

fn default_deny(ctx: &Ctx, mut b: Builder) -> CheckResult {
    let net = net(ctx);
    let mut skipped = Vec::new();
    let mut failing = 0;
    for ns in ctx.items(NAMESPACES).expect(REQUIRED) {
        if SYSTEM_NAMESPACES.contains(&name(ns)) {
            skipped.push(name(ns));
        } else if !judge_namespace(&net, ns, &mut b) {
            failing += 1;
        }
    }
    net.report_unreadable(&mut b);
    let status = b.derived().unwrap_or(Status::NotApplicable);
    let mut note = if skipped.is_empty() {
        String::new()
    } else {
        format!(
            " System namespaces ({}) are not judged here.",
            skipped.join(", ")
        )
    };
    note.push_str(&net.missing_note());
    let explanation = match status {
        Status::Pass => format!(
            "Every application namespace has a network policy that selects all of its pods and denies ingress and egress unless another policy allows it.{note}"
        ),
        Status::NotApplicable => format!("There are no application namespaces to judge.{note}"),
        _ => format!(
            "{} a default-deny network policy for ingress, egress or both, so traffic into or out of their pods is not bounded by default.{note}",
            count(failing, "namespace lacks", "namespaces lack")
        ),
    };
    b.finish(status, explanation, Some("Add a NetworkPolicy with `podSelector: {}` and `policyTypes: [Ingress, Egress]` and no rules to each namespace (or the equivalent in the policy API the cluster uses), then allow the flows each application needs explicitly."))
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
    reads: &[
        DEPLOYMENTS,
        STATEFUL_SETS,
        DAEMON_SETS,
        JOBS,
        CRON_JOBS,
        CILIUM_NETWORK_POLICIES,
        CILIUM_CLUSTERWIDE_NETWORK_POLICIES,
        CALICO_NETWORK_POLICIES,
        CALICO_GLOBAL_NETWORK_POLICIES,
        CALICO_CRD_NETWORK_POLICIES,
        CALICO_CRD_GLOBAL_NETWORK_POLICIES,
        ADMIN_NETWORK_POLICIES,
        BASELINE_ADMIN_NETWORK_POLICIES,
    ],
    run: pod_isolation,
};

/// What [`pod_isolation`] counts.
#[derive(Default)]
struct Tally<'p> {
    covered: usize,
    open: usize,
    /// The policy that isolates, and how many pods and workloads it isolates.
    by: BTreeMap<String, (&'p Pol<'p>, usize)>,
}

/// Judges one pod or workload template: which policy isolates each direction.
fn judge_workload<'p>(
    net: &'p Net,
    kind: &KindInfo,
    obj: &Value,
    t: &mut Tally<'p>,
    b: &mut Builder,
) {
    let Some((meta, _, spec_ptr)) = pod_spec(kind, obj) else {
        return;
    };
    let ns = namespace(obj).unwrap_or("");
    if SYSTEM_NAMESPACES.contains(&ns) {
        return;
    }
    let what = if kind == PODS { "pod" } else { kind.kind };
    let labels_ptr = format!("{}/metadata/labels", spec_ptr.trim_end_matches("/spec"));
    static NONE: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    let pod_labels = meta
        .get("labels")
        .and_then(Value::as_object)
        .unwrap_or_else(|| NONE.get_or_init(Map::new));
    let scope = net.scope(ns, Some(pod_labels));
    let [ing, eg] = [true, false].map(|ingress| net.engine.verdict(&scope, ingress));
    if let (Verdict::Isolated(pi), Verdict::Isolated(pe)) = (ing, eg) {
        t.covered += 1;
        for p in [pi, pe] {
            let key = format!("{} {}", p.kind.kind, policy_name(p.obj));
            t.by.entry(key).or_insert((p, 0)).1 += 1;
            if std::ptr::eq(pi, pe) {
                break;
            }
        }
        return;
    }
    t.open += 1;
    let mut missing = Vec::new();
    for (v, ingress) in [(ing, true), (eg, false)] {
        let dir = dir_field(ingress);
        match v {
            Verdict::Opened(p) => b.push(
                if ingress {
                    Status::Fail
                } else {
                    Status::Partial
                },
                format!(
                    "{what} {ns}/{}: {} admits all {dir}, so that traffic is unrestricted",
                    name(obj),
                    p.describe()
                ),
                evidence(p.kind.key, p.obj, format!("/spec/{dir}")),
            ),
            Verdict::Open => missing.push(dir),
            Verdict::Isolated(_) => {}
        }
    }
    if !missing.is_empty() {
        b.push(
            if missing.contains(&"ingress") { Status::Fail } else { Status::Partial },
            format!("{what} {ns}/{} is not isolated by any network policy for {}: that traffic is unrestricted", name(obj), missing.join(" or ")),
            evidence(kind.key, obj, labels_ptr),
        );
    }
}

fn pod_isolation(ctx: &Ctx, mut b: Builder) -> CheckResult {
    let net = net(ctx);
    let mut t = Tally::default();
    let mut uncollected = Vec::new();
    for kind in WORKLOAD_KINDS {
        let Ok(objs) = ctx.objects(kind) else {
            uncollected.push(kind.kind);
            continue;
        };
        for obj in objs {
            judge_workload(&net, kind, &obj, &mut t, &mut b);
        }
    }
    name_isolating(&t, &mut b);
    net.report_unreadable(&mut b);
    if !uncollected.is_empty() {
        b.push(
            Status::NotCollected,
            format!(
                "{} were not collected: their pod templates are not judged",
                name_list(uncollected.iter())
            ),
            evidence_file(NP, "", ""),
        );
    }
    let status = b.derived().unwrap_or(Status::NotApplicable);
    let note = net.missing_note();
    let (covered, open) = (t.covered, t.open);
    let explanation = match status {
        Status::Pass => format!(
            "Each of the {covered} application pods and workload templates is isolated by at least one network policy in both directions (system namespaces are not judged).{note}"
        ),
        Status::NotApplicable => format!(
            "There are no application pods or workloads to judge (system namespaces are not judged).{note}"
        ),
        Status::NotCollected => format!(
            "{covered} application pods and workload templates are isolated in both directions, but not every workload kind was collected.{note}"
        ),
        _ => format!(
            "{} not isolated by a network policy in one or both directions, so the network does not restrict who reaches them or what they reach.{note}",
            count(
                open,
                "application pod or workload is",
                "application pods or workloads are"
            )
        ),
    };
    b.finish(status, explanation, Some("Add a default-deny policy to the namespace, or a policy that selects the pod's labels, in the policy API the cluster enforces."))
}

/// Names the policies that isolate pods and workloads (up to 50, then how many more).
fn name_isolating(t: &Tally, b: &mut Builder) {
    const NAMED: usize = 50;
    for (desc, (p, n)) in t.by.iter().take(NAMED) {
        b.push(
            Status::Pass,
            format!(
                "{desc} isolates {}",
                count(*n, "pod or workload", "pods and workloads")
            ),
            evidence(p.kind.key, p.obj, "/spec"),
        );
    }
    if t.by.len() > NAMED {
        b.push(
            Status::Pass,
            format!(
                "{} more policies isolate pods and workloads",
                t.by.len() - NAMED
            ),
            evidence_file(NP, "", ""),
        );
    }
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
    if pols.is_empty() {
        return b.finish(
            Status::NotApplicable,
            "There are no NetworkPolicies in scope, so no policy rule can admit everything; this check has nothing to judge. Whether pods are isolated at all is judged by network.default-deny and network.pod-isolation.",
            None,
        );
    }
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
