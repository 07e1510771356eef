//! Which network policy isolates a pod (or every pod of a namespace), across the policy
//! APIs real clusters use, each with its own semantics:
//!
//! - **NetworkPolicy** (`networking.k8s.io`): a pod is isolated for a direction when a
//!   policy of its namespace selects it and has that policy type.
//! - **CiliumNetworkPolicy / CiliumClusterwideNetworkPolicy** (`cilium.io/v2`): a rule
//!   (`spec` or any of `specs`) whose `endpointSelector` selects the pod and that has a
//!   non-empty `ingress`/`ingressDeny` (`egress`/`egressDeny`) list puts it in default
//!   deny for that direction, unless `enableDefaultDeny` turns that off. An empty
//!   `endpointSelector` selects every pod of the policy's namespace (of the cluster, for
//!   the cluster-wide kind); `k8s:io.kubernetes.pod.namespace` and
//!   `io.cilium.k8s.namespace.labels.*` select by namespace. A `nodeSelector` rule
//!   governs hosts, not pods. A deny rule from or to the `all` entity denies everything,
//!   whatever allows; an allow rule for `all` opens the pod.
//! - **Calico NetworkPolicy / GlobalNetworkPolicy** (`projectcalico.org/v3`,
//!   `crd.projectcalico.org/v1`): `selector` (the subset [`super::calico`] reads),
//!   `namespaceSelector` on the global kind, `types` (default `Ingress`, plus `Egress`
//!   when egress rules are present, or only `Egress` when only egress rules are), in
//!   `order`; the first rule that matches all traffic decides (`Allow` opens, `Deny`
//!   isolates, `Pass` leaves the tier, `Log` goes on); a selected pod that no such rule
//!   decides is denied at the end of the tier. Tiers are read as one.
//! - **AdminNetworkPolicy** (`policy.networking.k8s.io/v1alpha1`): evaluated first, by
//!   `priority`; a rule whose peers are every namespace (and, for egress, every network)
//!   decides: `Deny` isolates, `Allow` opens, `Pass` hands over to NetworkPolicy.
//!   **BaselineAdminNetworkPolicy** is evaluated last, for pods no other policy selects.
//!
//! Only rules that match all traffic decide here: a policy that allows particular peers
//! keeps the pod isolated from the rest.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::calico::{Selector, SelectorError};
use crate::controls::util::{arr, at, name, namespace, selector_matches, str_at};
use crate::snapshot::NotCollected;
use crate::snapshot::kinds::{
    ADMIN_NETWORK_POLICIES, BASELINE_ADMIN_NETWORK_POLICIES, CALICO_CRD_GLOBAL_NETWORK_POLICIES,
    CALICO_CRD_NETWORK_POLICIES, CALICO_GLOBAL_NETWORK_POLICIES, CALICO_NETWORK_POLICIES,
    CILIUM_CLUSTERWIDE_NETWORK_POLICIES, CILIUM_NETWORK_POLICIES, KindInfo, NETWORK_POLICIES,
};

/// The policy kinds read besides NetworkPolicy, in the order they are reported.
pub const OTHER_KINDS: &[&KindInfo] = &[
    CILIUM_NETWORK_POLICIES,
    CILIUM_CLUSTERWIDE_NETWORK_POLICIES,
    CALICO_NETWORK_POLICIES,
    CALICO_GLOBAL_NETWORK_POLICIES,
    CALICO_CRD_NETWORK_POLICIES,
    CALICO_CRD_GLOBAL_NETWORK_POLICIES,
    ADMIN_NETWORK_POLICIES,
    BASELINE_ADMIN_NETWORK_POLICIES,
];

/// Which directions a NetworkPolicy governs: `(ingress, egress)`.
pub fn policy_types(p: &Value) -> (bool, bool) {
    match at(p, "/spec/policyTypes").and_then(Value::as_array) {
        Some(types) if !types.is_empty() => (
            types.iter().any(|t| t == "Ingress"),
            types.iter().any(|t| t == "Egress"),
        ),
        _ => (true, !arr(p, "/spec/egress").is_empty()),
    }
}

/// Whether a NetworkPolicy's `podSelector` selects a pod with these labels.
pub fn selects(p: &Value, pod_labels: &Map<String, Value>) -> bool {
    match at(p, "/spec/podSelector") {
        None | Some(Value::Null) => true,
        Some(sel) => selector_matches(sel, pod_labels),
    }
}

/// Whether a label selector is empty (selects everything).
fn empty_selector(s: Option<&Value>) -> bool {
    match s {
        None | Some(Value::Null) => true,
        Some(s) => {
            s.get("matchLabels")
                .and_then(Value::as_object)
                .is_none_or(Map::is_empty)
                && arr(s, "/matchExpressions").is_empty()
        }
    }
}

/// Whether a NetworkPolicy's podSelector selects every pod of its namespace.
pub fn selects_all(p: &Value) -> bool {
    empty_selector(at(p, "/spec/podSelector"))
}

/// Rules of a NetworkPolicy that admit every source (ingress) or destination (egress): an
/// empty peer list, or an ipBlock of `0.0.0.0/0` or `::/0`. Returns `(pointer, description)`.
pub fn allow_all_rules(p: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (field, peers, word) in [
        ("ingress", "from", "source"),
        ("egress", "to", "destination"),
    ] {
        for (i, rule) in arr(p, &format!("/spec/{field}")).iter().enumerate() {
            let ps = arr(rule, &format!("/{peers}"));
            let ports = if arr(rule, "/ports").is_empty() {
                "on every port"
            } else {
                "on the listed ports"
            };
            if ps.is_empty() {
                out.push((
                    format!("/spec/{field}/{i}"),
                    format!("{field} rule {i} has no `{peers}`: it admits every {word} {ports}"),
                ));
            }
            for (j, peer) in ps.iter().enumerate() {
                if let Some(cidr) = at(peer, "/ipBlock/cidr").and_then(Value::as_str)
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

#[cfg(any(test, feature = "internals"))]
/// Whether the NetworkPolicy is a namespace-wide deny by default for `ingress` (else
/// egress): it selects every pod, governs that direction, and none of its rules admits
/// everything.
pub fn is_default_deny(p: &Value, ingress: bool) -> bool {
    let (ing, eg) = policy_types(p);
    let field = if ingress { "ingress" } else { "egress" };
    selects_all(p)
        && (if ingress { ing } else { eg })
        && !allow_all_rules(p)
            .iter()
            .any(|(ptr, _)| ptr.starts_with(&format!("/spec/{field}/")))
}

/// What is judged: one pod (or pod template), or every pod of a namespace.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    /// The namespace.
    pub namespace: &'a str,
    /// Its labels.
    pub ns_labels: &'a Map<String, Value>,
    /// The pod's labels; `None`: every pod of the namespace (a policy must select them all).
    pub pod: Option<&'a Map<String, Value>>,
}

/// One policy object, of any of the APIs.
#[derive(Debug)]
pub struct Pol<'a> {
    /// Its kind.
    pub kind: &'static KindInfo,
    /// The object.
    pub obj: &'a Value,
    /// Calico's `selector` and `namespaceSelector`, parsed.
    calico: Option<(Selector, Option<Selector>)>,
}

impl Pol<'_> {
    /// `Kind namespace/name` (or `Kind name` for a cluster-wide one).
    pub fn describe(&self) -> String {
        match namespace(self.obj) {
            Some(ns) if self.kind != NETWORK_POLICIES => {
                format!("{} {ns}/{}", self.kind.kind, name(self.obj))
            }
            _ => format!("{} {}", self.kind.kind, name(self.obj)),
        }
    }
}

/// What the policies do to a scope in one direction.
#[derive(Debug, Clone, Copy)]
pub enum Verdict<'a> {
    /// Denied unless allowed, by this policy.
    Isolated(&'a Pol<'a>),
    /// This policy admits every peer, which undoes any isolation.
    Opened(&'a Pol<'a>),
    /// No policy isolates it.
    Open,
}

/// Every policy of every API, ready to judge pods and namespaces.
#[derive(Debug, Default)]
pub struct Engine<'a> {
    namespaced: BTreeMap<&'a str, Vec<Pol<'a>>>,
    global: Vec<Pol<'a>>,
    admin: Vec<Pol<'a>>,
    baseline: Vec<Pol<'a>>,
    /// Policies whose selectors auditpack cannot read: `(kind, object, why)`. They are
    /// left out of every verdict.
    pub unreadable: Vec<(&'static KindInfo, &'a Value, String)>,
    /// Policy kinds that are not evidence (not collected, failed), with why.
    pub missing: Vec<NotCollected>,
    /// Policy kinds that are evidence and hold objects, with how many.
    pub seen: Vec<(&'static KindInfo, usize)>,
}

impl<'a> Engine<'a> {
    /// Builds the engine from NetworkPolicies and whatever of [`OTHER_KINDS`] `items` gives.
    pub fn new(
        network_policies: &'a [Value],
        items: impl Fn(&'static KindInfo) -> Result<&'a [Value], NotCollected>,
    ) -> Engine<'a> {
        let mut e = Engine::default();
        e.add(NETWORK_POLICIES, network_policies);
        for k in OTHER_KINDS {
            match items(k) {
                Ok(objs) => e.add(k, objs),
                Err(nc) => e.missing.push(nc),
            }
        }
        e.admin.sort_by_key(|p| {
            at(p.obj, "/spec/priority")
                .and_then(Value::as_u64)
                .unwrap_or(u64::MAX)
        });
        e
    }

    fn add(&mut self, kind: &'static KindInfo, objs: &'a [Value]) {
        if !objs.is_empty() {
            self.seen.push((kind, objs.len()));
        }
        for obj in objs {
            let calico = if is_calico(kind) {
                match calico_selectors(obj) {
                    Ok(s) => Some(s),
                    Err(why) => {
                        self.unreadable.push((kind, obj, why));
                        continue;
                    }
                }
            } else {
                None
            };
            let pol = Pol { kind, obj, calico };
            if kind == ADMIN_NETWORK_POLICIES {
                self.admin.push(pol);
            } else if kind == BASELINE_ADMIN_NETWORK_POLICIES {
                self.baseline.push(pol);
            } else if kind.namespaced {
                self.namespaced
                    .entry(namespace(obj).unwrap_or(""))
                    .or_default()
                    .push(pol);
            } else {
                self.global.push(pol);
            }
        }
    }

    /// Whether a namespace holds any policy of a namespaced API.
    pub fn namespace_policies(&self, ns: &str) -> &[Pol<'a>] {
        self.namespaced.get(ns).map(Vec::as_slice).unwrap_or(&[])
    }

    /// What the policies do to `scope` for `ingress` (else egress).
    pub fn verdict(&self, scope: &Scope, ingress: bool) -> Verdict<'_> {
        // 1. AdminNetworkPolicies, by priority.
        for p in self.admin.iter().filter(|p| anp_selects(p.obj, scope)) {
            match anp_decides(p.obj, ingress) {
                Some("Deny") => return Verdict::Isolated(p),
                Some("Allow") => return Verdict::Opened(p),
                Some(_) => break, // Pass: on to NetworkPolicy
                None => {}
            }
        }
        let mid = || {
            self.namespace_policies(scope.namespace)
                .iter()
                .chain(&self.global)
                .filter(|p| !is_calico(p.kind))
        };
        // 2. A Cilium deny of everything wins over every allow.
        if let Some(p) = mid().find(|p| cilium_effect(p, scope, ingress) == Some(Effect::DenyAll)) {
            return Verdict::Isolated(p);
        }
        // 3. NetworkPolicy, Cilium and Calico: one that admits everything opens the pod.
        let mut isolated = None;
        for p in mid() {
            let effect = if p.kind == NETWORK_POLICIES {
                np_effect(p.obj, scope, ingress)
            } else {
                cilium_effect(p, scope, ingress)
            };
            match effect {
                Some(Effect::Opens) => return Verdict::Opened(p),
                // Name the most particular policy: one that selects this pod by its labels
                // rather than a namespace-wide default.
                Some(_) if isolated.is_none_or(|q: &Pol| broad(q) && !broad(p)) => {
                    isolated = Some(p);
                }
                _ => {}
            }
        }
        match self.calico_verdict(scope, ingress) {
            Some(Verdict::Opened(p)) => return Verdict::Opened(p),
            Some(Verdict::Isolated(p)) => isolated = isolated.or(Some(p)),
            _ => {}
        }
        if let Some(p) = isolated {
            return Verdict::Isolated(p);
        }
        // 4. The BaselineAdminNetworkPolicy, for what nothing else selected.
        for p in self.baseline.iter().filter(|p| anp_selects(p.obj, scope)) {
            match anp_decides(p.obj, ingress) {
                Some("Deny") => return Verdict::Isolated(p),
                Some("Allow") => return Verdict::Opened(p),
                _ => {}
            }
        }
        Verdict::Open
    }

    fn calico_verdict(&self, scope: &Scope, ingress: bool) -> Option<Verdict<'_>> {
        let mut pols: Vec<&Pol> = self
            .namespace_policies(scope.namespace)
            .iter()
            .chain(&self.global)
            .filter(|p| calico_selects(p, scope) && calico_types(p.obj, ingress))
            .collect();
        pols.sort_by(|a, b| order(a.obj).total_cmp(&order(b.obj)));
        let field = if ingress {
            "/spec/ingress"
        } else {
            "/spec/egress"
        };
        for p in &pols {
            for rule in arr(p.obj, field) {
                if !calico_matches_all(rule) {
                    continue;
                }
                match str_at(rule, "/action") {
                    Some("Allow") => return Some(Verdict::Opened(p)),
                    Some("Deny") => return Some(Verdict::Isolated(p)),
                    Some("Pass") => return None,
                    _ => {}
                }
            }
        }
        pols.first().map(|p| Verdict::Isolated(p))
    }
}

/// Whether a NetworkPolicy or Cilium policy selects by no pod label.
fn broad(p: &Pol) -> bool {
    if p.kind == NETWORK_POLICIES {
        return selects_all(p.obj);
    }
    cilium_specs(p.obj).all(|s| empty_selector(s.get("endpointSelector")))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Effect {
    Isolates,
    Opens,
    DenyAll,
}

fn np_effect(p: &Value, scope: &Scope, ingress: bool) -> Option<Effect> {
    let (ing, eg) = policy_types(p);
    let governs = if ingress { ing } else { eg };
    let selected = match scope.pod {
        Some(l) => selects(p, l),
        None => selects_all(p),
    };
    if !governs || !selected {
        return None;
    }
    let field = if ingress {
        "/spec/ingress/"
    } else {
        "/spec/egress/"
    };
    // For a whole namespace any rule admitting every peer undoes a default-deny; for one
    // pod only a rule with no peers on every port does (a web server open on its port is
    // still isolated on the others).
    let opens = match scope.pod {
        None => allow_all_rules(p)
            .iter()
            .any(|(ptr, _)| ptr.starts_with(field)),
        Some(_) => {
            let (rules, peers) = if ingress {
                ("/spec/ingress", "/from")
            } else {
                ("/spec/egress", "/to")
            };
            arr(p, rules)
                .iter()
                .any(|r| arr(r, peers).is_empty() && arr(r, "/ports").is_empty())
        }
    };
    Some(if opens {
        Effect::Opens
    } else {
        Effect::Isolates
    })
}

/// The rule specs of a Cilium policy (`spec` and every `specs` item).
fn cilium_specs(p: &Value) -> impl Iterator<Item = &Value> {
    p.get("spec").into_iter().chain(arr(p, "/specs"))
}

/// Cilium's label keys carry a source prefix (`k8s:`, `any:`); namespaces are labels too.
fn cilium_labels(scope: &Scope, pod: &Map<String, Value>) -> Map<String, Value> {
    let mut l = pod.clone();
    l.insert(
        "io.kubernetes.pod.namespace".into(),
        Value::String(scope.namespace.into()),
    );
    for (k, v) in scope.ns_labels {
        l.insert(format!("io.cilium.k8s.namespace.labels.{k}"), v.clone());
    }
    l
}

fn strip_source(k: &str) -> &str {
    for prefix in ["k8s:", "any:"] {
        if let Some(rest) = k.strip_prefix(prefix) {
            return rest;
        }
    }
    k
}

fn is_namespace_key(k: &str) -> bool {
    k == "io.kubernetes.pod.namespace" || k.starts_with("io.cilium.k8s.namespace.labels.")
}

/// The selector with source prefixes stripped from its keys.
fn cilium_selector(sel: &Value) -> Value {
    let mut s = sel.clone();
    if let Some(ml) = s.get_mut("matchLabels").and_then(Value::as_object_mut) {
        *ml = std::mem::take(ml)
            .into_iter()
            .map(|(k, v)| (strip_source(&k).to_string(), v))
            .collect();
    }
    if let Some(exprs) = s.get_mut("matchExpressions").and_then(Value::as_array_mut) {
        for e in exprs {
            if let Some(k) = e.get("key").and_then(Value::as_str) {
                e["key"] = Value::String(strip_source(k).to_string());
            }
        }
    }
    s
}

fn cilium_spec_selects(spec: &Value, p: &Pol, scope: &Scope) -> bool {
    if spec.get("nodeSelector").is_some() {
        return false;
    }
    if p.kind == CILIUM_NETWORK_POLICIES && namespace(p.obj) != Some(scope.namespace) {
        return false;
    }
    static EMPTY: Value = Value::Null;
    let sel = cilium_selector(spec.get("endpointSelector").unwrap_or(&EMPTY));
    match scope.pod {
        Some(l) => sel.is_null() || selector_matches(&sel, &cilium_labels(scope, l)),
        None => {
            // Every pod of the namespace: only namespace keys, and they match.
            let keys_ok = sel
                .get("matchLabels")
                .and_then(Value::as_object)
                .is_none_or(|m| m.keys().all(|k| is_namespace_key(k)))
                && arr(&sel, "/matchExpressions")
                    .iter()
                    .all(|e| str_at(e, "/key").is_some_and(is_namespace_key));
            keys_ok && (sel.is_null() || selector_matches(&sel, &cilium_labels(scope, &Map::new())))
        }
    }
}

fn cilium_rule_all(rule: &Value, ingress: bool) -> bool {
    let entities = if ingress {
        "/fromEntities"
    } else {
        "/toEntities"
    };
    arr(rule, "/toPorts").is_empty() && arr(rule, entities).iter().any(|e| e == "all")
}

fn cilium_effect(p: &Pol, scope: &Scope, ingress: bool) -> Option<Effect> {
    if p.kind != CILIUM_NETWORK_POLICIES && p.kind != CILIUM_CLUSTERWIDE_NETWORK_POLICIES {
        return None;
    }
    let (dir, deny) = if ingress {
        ("ingress", "ingressDeny")
    } else {
        ("egress", "egressDeny")
    };
    let mut effect = None;
    for spec in cilium_specs(p.obj).filter(|s| cilium_spec_selects(s, p, scope)) {
        let (rules, denies) = (
            arr(spec, &format!("/{dir}")),
            arr(spec, &format!("/{deny}")),
        );
        if denies.iter().any(|r| cilium_rule_all(r, ingress)) {
            return Some(Effect::DenyAll);
        }
        if rules.iter().any(|r| cilium_rule_all(r, ingress)) {
            effect = Some(Effect::Opens);
        } else if (!rules.is_empty() || !denies.is_empty())
            && at(spec, &format!("/enableDefaultDeny/{dir}")).and_then(Value::as_bool)
                != Some(false)
        {
            effect = effect.or(Some(Effect::Isolates));
        }
    }
    effect
}

fn is_calico(kind: &KindInfo) -> bool {
    kind.group.ends_with("projectcalico.org")
}

fn calico_selectors(obj: &Value) -> Result<(Selector, Option<Selector>), String> {
    let parse = |field: &str| -> Result<Option<Selector>, String> {
        match at(obj, &format!("/spec/{field}")) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Selector::parse(s)
                .map(Some)
                .map_err(|e: SelectorError| format!("spec.{field} `{s}`: {e}")),
            Some(_) => Err(format!("spec.{field} is not a string")),
        }
    };
    Ok((
        parse("selector")?.unwrap_or(Selector::All),
        parse("namespaceSelector")?,
    ))
}

fn calico_selects(p: &Pol, scope: &Scope) -> bool {
    let Some((sel, ns_sel)) = &p.calico else {
        return false;
    };
    if p.kind.namespaced && namespace(p.obj) != Some(scope.namespace) {
        return false;
    }
    if let Some(ns_sel) = ns_sel {
        let mut l = scope.ns_labels.clone();
        l.insert(
            "projectcalico.org/name".into(),
            Value::String(scope.namespace.into()),
        );
        if !ns_sel.matches(&l) {
            return false;
        }
    }
    match scope.pod {
        Some(pod) => {
            let mut l = pod.clone();
            l.insert(
                "projectcalico.org/namespace".into(),
                Value::String(scope.namespace.into()),
            );
            l.insert("projectcalico.org/orchestrator".into(), "k8s".into());
            for (k, v) in scope.ns_labels {
                l.insert(format!("pcns.{k}"), v.clone());
            }
            sel.matches(&l)
        }
        None => *sel == Selector::All,
    }
}

/// Calico's `types`: as listed, else Ingress, plus Egress when egress rules are present
/// (only Egress when only egress rules are).
fn calico_types(p: &Value, ingress: bool) -> bool {
    let types = arr(p, "/spec/types");
    if !types.is_empty() {
        return types
            .iter()
            .any(|t| t == if ingress { "Ingress" } else { "Egress" });
    }
    let (i, e) = (
        !arr(p, "/spec/ingress").is_empty(),
        !arr(p, "/spec/egress").is_empty(),
    );
    if ingress { i || !e } else { e }
}

/// A Calico rule with nothing to match on matches all traffic.
fn calico_matches_all(rule: &Value) -> bool {
    let empty = |f: &str| {
        rule.get(f)
            .is_none_or(|v| v.as_object().is_some_and(Map::is_empty))
    };
    ["source", "destination"].iter().all(|f| empty(f))
        && [
            "protocol",
            "notProtocol",
            "ipVersion",
            "icmp",
            "notICMP",
            "http",
        ]
        .iter()
        .all(|f| rule.get(*f).is_none())
}

fn order(p: &Value) -> f64 {
    at(p, "/spec/order")
        .and_then(|v| {
            v.as_f64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        })
        .unwrap_or(f64::INFINITY)
}

fn anp_pods_match(pods: &Value, scope: &Scope) -> bool {
    let ns_ok = pods
        .get("namespaceSelector")
        .is_none_or(|s| selector_matches(s, scope.ns_labels));
    ns_ok
        && match scope.pod {
            Some(l) => pods
                .get("podSelector")
                .is_none_or(|s| selector_matches(s, l)),
            None => empty_selector(pods.get("podSelector")),
        }
}

fn anp_selects(p: &Value, scope: &Scope) -> bool {
    if let Some(ns) = at(p, "/spec/subject/namespaces") {
        return selector_matches(ns, scope.ns_labels);
    }
    at(p, "/spec/subject/pods").is_some_and(|pods| anp_pods_match(pods, scope))
}

/// The action of the first rule of an (Baseline)AdminNetworkPolicy whose peers are every
/// pod (and, for egress, every address too), on every port.
fn anp_decides(p: &Value, ingress: bool) -> Option<&str> {
    let (field, peers) = if ingress {
        ("/spec/ingress", "/from")
    } else {
        ("/spec/egress", "/to")
    };
    arr(p, field).iter().find_map(|rule| {
        let ps = arr(rule, peers);
        let pods = ps.iter().any(|peer| {
            peer.get("namespaces")
                .is_some_and(|s| empty_selector(Some(s)))
                || peer.get("pods").is_some_and(|pods| {
                    empty_selector(pods.get("namespaceSelector"))
                        && empty_selector(pods.get("podSelector"))
                })
        });
        let world = ingress
            || ps.iter().any(|peer| {
                arr(peer, "/networks")
                    .iter()
                    .any(|n| n == "0.0.0.0/0" || n == "::/0")
            });
        (pods && world && arr(rule, "/ports").is_empty())
            .then(|| str_at(rule, "/action"))
            .flatten()
    })
}
