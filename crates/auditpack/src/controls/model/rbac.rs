//! RBAC with the authorizer's own semantics: RoleBindings and ClusterRoleBindings followed
//! to Roles and ClusterRoles, ClusterRole aggregation computed from labels (the stored rules
//! of an aggregated role are ignored, as the aggregation controller overwrites them),
//! wildcards in verbs, API groups, resources and resource names, `*/subresource` rules,
//! ServiceAccount users and groups, and `system:masters`.
//!
//! Bindings are indexed by subject and roles by name, so building the model and the access
//! review is linear in the number of bindings and rules.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde_json::Value;

use crate::controls::util::{arr, labels, name, namespace, selector_matches, str_at, strs};
use crate::findings::{Grant, Subject, SubjectAccess};
use crate::snapshot::kinds::{CLUSTER_ROLE_BINDINGS, CLUSTER_ROLES, ROLE_BINDINGS, ROLES};
use crate::snapshot::{NotCollected, Snapshot};

/// Kind keys the RBAC model reads.
pub const RBAC_KINDS: &[&crate::snapshot::KindInfo] =
    &[ROLES, ROLE_BINDINGS, CLUSTER_ROLES, CLUSTER_ROLE_BINDINGS];

/// One PolicyRule.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rule {
    /// Verbs.
    pub verbs: Vec<String>,
    /// API groups.
    pub api_groups: Vec<String>,
    /// Resources (`pods/exec` for subresources).
    pub resources: Vec<String>,
    /// Resource names (empty: any).
    pub resource_names: Vec<String>,
    /// Non-resource URLs.
    pub non_resource_urls: Vec<String>,
}

impl Rule {
    fn from_value(v: &Value) -> Rule {
        let s = |p: &str| strs(v, p).into_iter().map(str::to_string).collect();
        Rule {
            verbs: s("/verbs"),
            api_groups: s("/apiGroups"),
            resources: s("/resources"),
            resource_names: s("/resourceNames"),
            non_resource_urls: s("/nonResourceURLs"),
        }
    }

    /// Whether the rule allows `verb` on `group`/`resource` (with `/subresource`) named
    /// `name` (`None` for list, create and other requests without a name).
    pub fn allows(&self, verb: &str, group: &str, resource: &str, name: Option<&str>) -> bool {
        self.allows_verb(verb)
            && self.allows_group(group)
            && self.allows_resource(resource)
            && (self.resource_names.is_empty()
                || name.is_some_and(|n| self.resource_names.iter().any(|r| r == n)))
    }

    /// Like [`Rule::allows`] for some object name, however restricted.
    pub fn allows_any_name(&self, verb: &str, group: &str, resource: &str) -> bool {
        self.allows_verb(verb) && self.allows_group(group) && self.allows_resource(resource)
    }

    fn allows_verb(&self, verb: &str) -> bool {
        self.verbs.iter().any(|v| v == "*" || v == verb)
    }

    fn allows_group(&self, group: &str) -> bool {
        self.api_groups.iter().any(|g| g == "*" || g == group)
    }

    fn allows_resource(&self, resource: &str) -> bool {
        let sub = resource.split_once('/').map(|(_, s)| s);
        self.resources.iter().any(|r| {
            r == "*" || r == resource || sub.is_some_and(|s| r.strip_prefix("*/") == Some(s))
        })
    }

    #[cfg(any(test, feature = "internals"))]
    /// Whether the rule allows `verb` on a non-resource URL path.
    pub fn allows_url(&self, verb: &str, path: &str) -> bool {
        self.allows_verb(verb)
            && self.non_resource_urls.iter().any(|u| {
                u == "*" || u == path || u.strip_suffix('*').is_some_and(|p| path.starts_with(p))
            })
    }

    fn is_full_wildcard(&self) -> bool {
        self.verbs.iter().any(|v| v == "*")
            && self.api_groups.iter().any(|g| g == "*")
            && self.resources.iter().any(|r| r == "*")
            && self.resource_names.is_empty()
    }

    fn has_wildcard(&self) -> bool {
        self.verbs.iter().any(|v| v == "*")
            || self.resources.iter().any(|r| r == "*")
            || (self.api_groups.iter().any(|g| g == "*") && !self.resources.is_empty())
    }
}

/// One rule a binding grants, and where it is written.
#[derive(Debug, Clone)]
pub struct RuleOrigin {
    /// `ClusterRole view-exec-extra`, `Role production/deployer`: the role whose `rules`
    /// hold it.
    pub role: String,
    /// Its index in that role's `rules`.
    pub index: usize,
    /// The rule.
    pub rule: Rule,
    /// The aggregated ClusterRoles it reaches the binding's role through, outermost first
    /// (empty when the binding's role holds it itself).
    pub via: Vec<String>,
}

impl RuleOrigin {
    /// `ClusterRole view-exec-extra rules/0, rules/2 (aggregated into ClusterRole view)`:
    /// rules grouped by the role that holds them, in order.
    pub fn describe_all(origins: &[&RuleOrigin]) -> Vec<String> {
        let mut groups: Vec<(&str, &[String], Vec<String>)> = Vec::new();
        for o in origins {
            let idx = format!("rules/{}", o.index);
            match groups
                .iter_mut()
                .find(|(r, v, _)| *r == o.role && *v == o.via.as_slice())
            {
                Some(g) => g.2.push(idx),
                None => groups.push((&o.role, &o.via, vec![idx])),
            }
        }
        groups
            .into_iter()
            .map(|(role, via, idx)| {
                let mut s = format!("{role} {}", idx.join(", "));
                if !via.is_empty() {
                    let chain: Vec<String> = via
                        .iter()
                        .rev()
                        .map(|r| format!("ClusterRole {r}"))
                        .collect();
                    s.push_str(&format!(" (aggregated into {})", chain.join(", then ")));
                }
                s
            })
            .collect()
    }
}

/// A binding, resolved.
#[derive(Debug, Clone)]
pub struct Binding {
    /// `RoleBinding` or `ClusterRoleBinding`.
    pub kind: &'static str,
    /// Snapshot key of the binding's kind.
    pub key: &'static str,
    /// Namespace (RoleBindings).
    pub namespace: Option<String>,
    /// Name.
    pub name: String,
    /// `Role` or `ClusterRole`.
    pub role_kind: String,
    /// Role name.
    pub role_name: String,
    /// Subjects, ServiceAccount namespaces defaulted.
    pub subjects: Vec<Subject>,
    /// Bootstrap binding maintained by Kubernetes itself.
    pub system: bool,
    /// Index of the object in the snapshot's items.
    pub index: usize,
}

impl Binding {
    /// `ClusterRoleBinding/name` or `RoleBinding/ns/name`.
    pub fn display(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{}/{}/{}", self.kind, ns, self.name),
            None => format!("{}/{}", self.kind, self.name),
        }
    }
}

/// The resolved RBAC configuration of a cluster.
#[derive(Debug, Default)]
pub struct Model {
    cluster_roles: HashMap<String, Vec<Rule>>,
    /// Each ClusterRole's own `rules` (what an aggregated role's members contribute).
    own_rules: HashMap<String, Vec<Rule>>,
    /// Each aggregated ClusterRole's members: the ClusterRoles its selectors match.
    members: HashMap<String, Vec<String>>,
    roles: HashMap<(String, String), Vec<Rule>>,
    /// Every binding.
    pub bindings: Vec<Binding>,
    by_subject: HashMap<Subject, Vec<usize>>,
}

fn subject_key(kind: &str, name: &str, ns: Option<&str>) -> Subject {
    if kind == "User"
        && let Some(rest) = name.strip_prefix("system:serviceaccount:")
        && let Some((sa_ns, sa)) = rest.split_once(':')
    {
        return Subject {
            kind: "ServiceAccount".into(),
            name: sa.into(),
            namespace: Some(sa_ns.into()),
        };
    }
    Subject {
        kind: kind.into(),
        name: name.into(),
        namespace: if kind == "ServiceAccount" {
            ns.map(str::to_string)
        } else {
            None
        },
    }
}

impl Model {
    /// Builds the model from a snapshot; errors when an RBAC kind was not collected. The
    /// objects are parsed for the build and dropped after (the model keeps what it needs).
    pub fn from_snapshot(snap: &Snapshot) -> Result<Model, NotCollected> {
        let parse = |key| snap.collected(key).map(crate::snapshot::Items::parse_all);
        Ok(Model::build(
            &parse(ROLES)?,
            &parse(ROLE_BINDINGS)?,
            &parse(CLUSTER_ROLES)?,
            &parse(CLUSTER_ROLE_BINDINGS)?,
        ))
    }

    /// Builds the model from the four lists of objects.
    pub fn build(
        roles: &[Value],
        role_bindings: &[Value],
        cluster_roles: &[Value],
        cluster_role_bindings: &[Value],
    ) -> Model {
        let mut m = Model::default();
        for r in roles {
            let rules = arr(r, "/rules").iter().map(Rule::from_value).collect();
            m.roles.insert(
                (namespace(r).unwrap_or("").to_string(), name(r).to_string()),
                rules,
            );
        }
        // Aggregation: compute each aggregated ClusterRole's rules from its selectors.
        let by_name: HashMap<&str, &Value> = cluster_roles.iter().map(|c| (name(c), c)).collect();
        let mut memo: HashMap<String, Vec<Rule>> = HashMap::new();
        for c in cluster_roles {
            let mut visiting = HashSet::new();
            effective_rules(
                name(c),
                &by_name,
                cluster_roles,
                &mut memo,
                &mut visiting,
                &mut m.members,
            );
            m.own_rules.insert(
                name(c).to_string(),
                arr(c, "/rules").iter().map(Rule::from_value).collect(),
            );
        }
        m.cluster_roles = memo;
        for (key, kind, items) in [
            (ROLE_BINDINGS, "RoleBinding", role_bindings),
            (
                CLUSTER_ROLE_BINDINGS,
                "ClusterRoleBinding",
                cluster_role_bindings,
            ),
        ] {
            for (index, b) in items.iter().enumerate() {
                let ns = if kind == "RoleBinding" {
                    namespace(b)
                } else {
                    None
                };
                let subjects: Vec<Subject> = arr(b, "/subjects")
                    .iter()
                    .map(|s| {
                        let skind = str_at(s, "/kind").unwrap_or("");
                        let sns = str_at(s, "/namespace").filter(|n| !n.is_empty()).or(ns);
                        subject_key(skind, str_at(s, "/name").unwrap_or(""), sns)
                    })
                    .collect();
                let bname = name(b).to_string();
                // A bootstrap binding by name or annotation, and only to Kubernetes' own
                // identities: a binding named `system:...` that grants a person, a broad group
                // or an application ServiceAccount is not taken on trust.
                let system = (bname.starts_with("system:")
                    || str_at(
                        b,
                        "/metadata/annotations/rbac.authorization.kubernetes.io~1autoupdate",
                    ) == Some("true"))
                    && subjects.iter().all(|s| {
                        is_system_subject(s)
                            || (s.kind == "ServiceAccount"
                                && s.namespace.as_deref() == Some("kube-system"))
                    });
                let idx = m.bindings.len();
                for s in &subjects {
                    let list = m.by_subject.entry(s.clone()).or_default();
                    if list.last() != Some(&idx) {
                        list.push(idx);
                    }
                }
                m.bindings.push(Binding {
                    kind,
                    key: key.key,
                    namespace: ns.map(str::to_string),
                    name: bname,
                    role_kind: str_at(b, "/roleRef/kind").unwrap_or("").to_string(),
                    role_name: str_at(b, "/roleRef/name").unwrap_or("").to_string(),
                    subjects,
                    system,
                    index,
                });
            }
        }
        m
    }

    /// The effective rules of a ClusterRole (aggregation applied), if it exists.
    pub fn cluster_role_rules(&self, name: &str) -> Option<&[Rule]> {
        self.cluster_roles.get(name).map(Vec::as_slice)
    }

    /// The rules a binding grants (empty when its role does not exist), and whether the
    /// role exists.
    pub fn binding_rules(&self, b: &Binding) -> Option<&[Rule]> {
        match (b.role_kind.as_str(), &b.namespace) {
            ("ClusterRole", _) => self.cluster_role_rules(&b.role_name),
            ("Role", Some(ns)) => self
                .roles
                .get(&(ns.clone(), b.role_name.clone()))
                .map(Vec::as_slice),
            _ => None,
        }
    }

    /// Where a binding's rules come from, each with the role that holds it: an aggregated
    /// ClusterRole's rules are named by the member ClusterRole they come from, with the
    /// chain of aggregated roles they reach the binding's role through.
    pub fn rule_origins(&self, b: &Binding) -> Vec<RuleOrigin> {
        let mut out = Vec::new();
        match (b.role_kind.as_str(), &b.namespace) {
            ("ClusterRole", _) => {
                let mut seen = HashSet::new();
                self.cluster_role_origins(&b.role_name, &mut Vec::new(), &mut seen, &mut out);
            }
            ("Role", Some(ns)) => {
                if let Some(rules) = self.roles.get(&(ns.clone(), b.role_name.clone())) {
                    for (index, rule) in rules.iter().enumerate() {
                        out.push(RuleOrigin {
                            role: format!("Role {ns}/{}", b.role_name),
                            index,
                            rule: rule.clone(),
                            via: Vec::new(),
                        });
                    }
                }
            }
            _ => {}
        }
        out
    }

    fn cluster_role_origins(
        &self,
        role: &str,
        via: &mut Vec<String>,
        seen: &mut HashSet<String>,
        out: &mut Vec<RuleOrigin>,
    ) {
        if !seen.insert(role.to_string()) {
            return;
        }
        match self.members.get(role) {
            Some(members) => {
                via.push(role.to_string());
                for m in members {
                    self.cluster_role_origins(m, via, seen, out);
                }
                via.pop();
            }
            None => {
                for (index, rule) in self.own_rules.get(role).into_iter().flatten().enumerate() {
                    out.push(RuleOrigin {
                        role: format!("ClusterRole {role}"),
                        index,
                        rule: rule.clone(),
                        via: via.clone(),
                    });
                }
            }
        }
    }

    /// The binding keys that apply to a subject: itself, and for Users and ServiceAccounts
    /// the groups every authenticated request carries.
    fn identity(subject: &Subject) -> Vec<Subject> {
        let g = |n: &str| Subject {
            kind: "Group".into(),
            name: n.into(),
            namespace: None,
        };
        let mut keys = vec![subject.clone()];
        match subject.kind.as_str() {
            "User" => keys.push(g("system:authenticated")),
            "ServiceAccount" => {
                keys.push(g("system:serviceaccounts"));
                if let Some(ns) = &subject.namespace {
                    keys.push(g(&format!("system:serviceaccounts:{ns}")));
                }
                keys.push(g("system:authenticated"));
            }
            _ => {}
        }
        keys
    }

    /// `kubectl auth can-i`: may `subject` do `verb` on `group`/`resource` (subresources as
    /// `pods/exec`) in `namespace` (`None`: cluster-scoped or all namespaces) on the object
    /// `name` (`None`: no name, as for list and create)?
    pub fn can(
        &self,
        subject: &Subject,
        verb: &str,
        group: &str,
        resource: &str,
        namespace: Option<&str>,
        name: Option<&str>,
    ) -> bool {
        self.can_with_groups(subject, &[], verb, group, resource, namespace, name)
    }

    /// [`Model::can`] for a subject that also carries `groups` (as a user's token does).
    #[allow(clippy::too_many_arguments)] // mirrors the authorizer's attributes one to one
    pub fn can_with_groups(
        &self,
        subject: &Subject,
        groups: &[&str],
        verb: &str,
        group: &str,
        resource: &str,
        namespace: Option<&str>,
        name: Option<&str>,
    ) -> bool {
        let mut keys = Model::identity(subject);
        keys.extend(groups.iter().map(|g| Subject {
            kind: "Group".into(),
            name: (*g).into(),
            namespace: None,
        }));
        self.any_rule(&keys, |b, r| {
            let applies = match &b.namespace {
                None => true,
                Some(ns) => namespace == Some(ns.as_str()),
            };
            applies && r.allows(verb, group, resource, name)
        })
    }

    #[cfg(any(test, feature = "internals"))]
    /// May `subject` do `verb` on the non-resource URL `path`? Only ClusterRoleBindings grant
    /// non-resource URLs.
    pub fn can_url(&self, subject: &Subject, verb: &str, path: &str) -> bool {
        self.any_rule(&Model::identity(subject), |b, r| {
            b.namespace.is_none() && r.allows_url(verb, path)
        })
    }

    /// Whether any rule bound to any of `keys` satisfies `pred` (with its binding).
    /// `system:masters` may do anything: the API server allows it before RBAC is asked.
    fn any_rule(&self, keys: &[Subject], pred: impl Fn(&Binding, &Rule) -> bool) -> bool {
        if keys
            .iter()
            .any(|k| k.kind == "Group" && k.name == "system:masters")
        {
            return true;
        }
        keys.iter().any(|k| {
            self.by_subject.get(k).into_iter().flatten().any(|&i| {
                let b = &self.bindings[i];
                self.binding_rules(b)
                    .unwrap_or(&[])
                    .iter()
                    .any(|r| pred(b, r))
            })
        })
    }

    /// Every subject that appears in a binding.
    pub fn subjects(&self) -> impl Iterator<Item = &Subject> {
        self.by_subject.keys()
    }

    /// The bindings that name a subject.
    pub fn bindings_of(&self, subject: &Subject) -> impl Iterator<Item = &Binding> {
        self.by_subject
            .get(subject)
            .into_iter()
            .flatten()
            .map(|&i| &self.bindings[i])
    }

    /// The effective-access review: for every subject, the grants it holds and its risky
    /// powers, sorted by subject.
    pub fn access_review(&self) -> Vec<SubjectAccess> {
        let mut out: BTreeMap<Subject, SubjectAccess> = BTreeMap::new();
        for (subject, idxs) in &self.by_subject {
            let mut grants = BTreeSet::new();
            let mut flags = BTreeSet::new();
            for &i in idxs {
                let b = &self.bindings[i];
                let Some(rules) = self.binding_rules(b) else {
                    continue;
                };
                let via = format!("{} -> {}/{}", b.display(), b.role_kind, b.role_name);
                if b.role_kind == "ClusterRole" && b.role_name == "cluster-admin" {
                    flags.insert("cluster-admin");
                }
                for r in rules {
                    for f in rule_flags(r, b.namespace.is_none()) {
                        flags.insert(f);
                    }
                    grants.insert(Grant {
                        namespace: b.namespace.clone(),
                        verbs: r.verbs.clone(),
                        api_groups: r.api_groups.clone(),
                        resources: r.resources.clone(),
                        resource_names: r.resource_names.clone(),
                        non_resource_urls: r.non_resource_urls.clone(),
                        via: via.clone(),
                    });
                }
            }
            if subject.kind == "ServiceAccount" && subject.name == "default" && !grants.is_empty() {
                flags.insert("default-service-account");
            }
            pair_flags(&mut flags);
            out.insert(
                subject.clone(),
                SubjectAccess {
                    subject: subject.clone(),
                    grants: grants.into_iter().collect(),
                    flags: flags.into_iter().map(str::to_string).collect(),
                },
            );
        }
        out.into_values().collect()
    }
}

/// The risky powers one rule carries. `cluster_wide` marks rules granted through a
/// ClusterRoleBinding.
pub fn rule_flags(r: &Rule, cluster_wide: bool) -> Vec<&'static str> {
    let mut f = Vec::new();
    if r.is_full_wildcard() && cluster_wide {
        f.push("cluster-admin");
    }
    if r.has_wildcard() {
        f.push("wildcard");
    }
    // Reading secrets: only unrestricted grants count (a controller reading its own named
    // Secret is not broad access).
    if r.resource_names.is_empty()
        && ["get", "list", "watch"]
            .iter()
            .any(|v| r.allows_any_name(v, "", "secrets"))
    {
        f.push("read-secrets");
    }
    let rbac = "rbac.authorization.k8s.io";
    if ["roles", "clusterroles"]
        .iter()
        .any(|res| r.allows_any_name("escalate", rbac, res))
    {
        f.push("escalate");
    }
    if ["roles", "clusterroles"]
        .iter()
        .any(|res| r.allows_any_name("bind", rbac, res))
    {
        f.push("bind");
    }
    if ["users", "groups", "serviceaccounts", "uids"]
        .iter()
        .any(|res| {
            r.allows_any_name("impersonate", "", res)
                || r.allows_any_name("impersonate", "authentication.k8s.io", res)
        })
    {
        f.push("impersonate");
    }
    if r.allows_any_name("create", "", "pods/exec") {
        f.push("pods-exec");
    }
    // The powers of rbac.dangerous-powers. Approving a CSR takes two grants, which
    // `Model::binding_powers` pairs: update on the approval subresource, and approve on
    // the signer.
    let certs = "certificates.k8s.io";
    if r.allows_any_name("update", certs, "certificatesigningrequests/approval") {
        f.push("csr-approval");
    }
    if r.allows_any_name("approve", certs, "signers") {
        f.push("csr-signers");
    }
    if ["get", "create"]
        .iter()
        .any(|v| r.allows_any_name(v, "", "nodes/proxy"))
    {
        f.push("nodes-proxy");
    }
    if r.allows_any_name("create", "", "persistentvolumes") {
        f.push("create-persistentvolumes");
    }
    if r.allows_any_name("create", "", "serviceaccounts/token") {
        f.push("serviceaccount-tokens");
    }
    let admission = "admissionregistration.k8s.io";
    if ["create", "update", "patch"].iter().any(|v| {
        [
            "validatingwebhookconfigurations",
            "mutatingwebhookconfigurations",
        ]
        .iter()
        .any(|res| r.allows_any_name(v, admission, res))
    }) {
        f.push("admission-webhooks");
    }
    if ["update", "patch"]
        .iter()
        .any(|v| r.allows_any_name(v, "", "services/status"))
    {
        f.push("services-status");
    }
    f
}

/// The flag of a binding that holds both halves of CSR approval (`csr-approval` and
/// `csr-signers`, from any of its rules).
pub const APPROVE_CSRS: &str = "approve-csrs";

/// Adds the flags a binding holds only through two rules together: [`APPROVE_CSRS`].
pub fn pair_flags(flags: &mut std::collections::BTreeSet<&'static str>) {
    if flags.contains("csr-approval") && flags.contains("csr-signers") {
        flags.insert(APPROVE_CSRS);
    }
}

fn effective_rules(
    role: &str,
    by_name: &HashMap<&str, &Value>,
    all: &[Value],
    memo: &mut HashMap<String, Vec<Rule>>,
    visiting: &mut HashSet<String>,
    members: &mut HashMap<String, Vec<String>>,
) -> Vec<Rule> {
    if let Some(r) = memo.get(role) {
        return r.clone();
    }
    let Some(obj) = by_name.get(role) else {
        return Vec::new();
    };
    if !visiting.insert(role.to_string()) {
        return Vec::new();
    }
    let rules: Vec<Rule> =
        match crate::controls::util::at(obj, "/aggregationRule/clusterRoleSelectors") {
            Some(Value::Array(selectors)) => {
                let mut set = BTreeSet::new();
                let mut matched = Vec::new();
                for other in all {
                    let oname = name(other);
                    if oname == role {
                        continue;
                    }
                    if selectors.iter().any(|s| selector_matches(s, labels(other))) {
                        matched.push(oname.to_string());
                        for r in effective_rules(oname, by_name, all, memo, visiting, members) {
                            set.insert(r);
                        }
                    }
                }
                matched.sort();
                members.insert(role.to_string(), matched);
                set.into_iter().collect()
            }
            _ => arr(obj, "/rules").iter().map(Rule::from_value).collect(),
        };
    visiting.remove(role);
    memo.insert(role.to_string(), rules.clone());
    rules
}

/// Whether a subject is a Kubernetes system identity (`system:` users and groups, except the
/// broad groups). ServiceAccounts are judged by the bindings that grant them, not by their
/// user name. Broad groups are not one component: whatever they are granted, everyone gets.
pub fn is_system_subject(s: &Subject) -> bool {
    s.kind != "ServiceAccount" && s.name.starts_with("system:") && !is_broad_group(s)
}

/// `system:authenticated`, `system:unauthenticated`, `system:serviceaccounts[:ns]`: groups
/// that hold every user, every anonymous request, or every ServiceAccount.
pub fn is_broad_group(s: &Subject) -> bool {
    s.kind == "Group"
        && (s.name == "system:authenticated"
            || s.name == "system:unauthenticated"
            || s.name == "system:serviceaccounts"
            || s.name.starts_with("system:serviceaccounts:"))
}

/// `User jane`, `ServiceAccount production/task-api-sa`.
pub fn subject_display(s: &Subject) -> String {
    match &s.namespace {
        Some(ns) => format!("{} {}/{}", s.kind, ns, s.name),
        None => format!("{} {}", s.kind, s.name),
    }
}
