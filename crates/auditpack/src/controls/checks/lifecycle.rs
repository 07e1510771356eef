//! Access lifecycle (SOC2 CC6.2): bindings whose subjects no longer exist, ServiceAccounts
//! no workload uses, long-lived token Secrets, tokens mounted where they are not needed, and
//! the access granted and removed since a previous snapshot.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::controls::model::rbac::subject_display;
use crate::controls::util::{
    Builder, SYSTEM_NAMESPACES, WORKLOAD_KINDS, bool_at, evidence, evidence_file, is_static_pod,
    kind_name, name, namespace, not_collected, pod_spec, str_at, value,
};
use crate::controls::{CheckDef, Ctx, REQUIRED};
use crate::findings::{CheckResult, Grant, Status, Subject, SubjectAccess};
use crate::snapshot::kinds::{
    CLUSTER_ROLE_BINDINGS, CLUSTER_ROLES, CRON_JOBS, DAEMON_SETS, DEPLOYMENTS, JOBS, PODS,
    ROLE_BINDINGS, ROLES, SECRETS, SERVICE_ACCOUNTS, STATEFUL_SETS,
};

/// Whether a change granted or removed access.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeKind {
    /// Present now, absent before.
    Granted,
    /// Present before, absent now.
    Removed,
}

/// One permission that appeared or disappeared between two access reviews.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessChange {
    /// Granted or removed.
    pub change: ChangeKind,
    /// Who.
    pub subject: Subject,
    /// The permission (its `via` is the binding it came or comes through).
    pub grant: Grant,
}

type GrantKey = (
    Option<String>,
    Vec<String>,
    Vec<String>,
    Vec<String>,
    Vec<String>,
    Vec<String>,
);

fn key(g: &Grant) -> GrantKey {
    (
        g.namespace.clone(),
        g.verbs.clone(),
        g.api_groups.clone(),
        g.resources.clone(),
        g.resource_names.clone(),
        g.non_resource_urls.clone(),
    )
}

/// The effective access granted and removed between two access reviews. A permission that
/// merely moved to another binding is not a change. Sorted: change kind, subject, grant.
pub fn access_changes(old: &[SubjectAccess], new: &[SubjectAccess]) -> Vec<AccessChange> {
    let index = |list: &[SubjectAccess]| {
        let mut m: BTreeMap<(Subject, GrantKey), Grant> = BTreeMap::new();
        for a in list {
            for g in &a.grants {
                m.entry((a.subject.clone(), key(g)))
                    .or_insert_with(|| g.clone());
            }
        }
        m
    };
    let (o, n) = (index(old), index(new));
    let mut out = Vec::new();
    for ((s, k), g) in &n {
        if !o.contains_key(&(s.clone(), k.clone())) {
            out.push(AccessChange {
                change: ChangeKind::Granted,
                subject: s.clone(),
                grant: g.clone(),
            });
        }
    }
    for ((s, k), g) in &o {
        if !n.contains_key(&(s.clone(), k.clone())) {
            out.push(AccessChange {
                change: ChangeKind::Removed,
                subject: s.clone(),
                grant: g.clone(),
            });
        }
    }
    out.sort();
    out
}

fn grant_text(g: &Grant) -> String {
    let scope = g
        .namespace
        .as_deref()
        .map_or("cluster-wide".to_string(), |n| format!("in {n}"));
    if !g.non_resource_urls.is_empty() {
        return format!(
            "{} on {} {scope} via {}",
            g.verbs.join(","),
            g.non_resource_urls.join(","),
            g.via
        );
    }
    let names = if g.resource_names.is_empty() {
        String::new()
    } else {
        format!(" named {}", g.resource_names.join(","))
    };
    format!(
        "{} on {} (groups {}){names} {scope} via {}",
        g.verbs.join(","),
        g.resources.join(","),
        g.api_groups
            .iter()
            .map(|a| if a.is_empty() { "core" } else { a.as_str() })
            .collect::<Vec<_>>()
            .join(","),
        g.via
    )
}

/// The checks of the `lifecycle` family.
pub const CHECKS: &[&CheckDef] = &[
    &ORPHANED_BINDINGS,
    &UNUSED_SERVICE_ACCOUNTS,
    &TOKEN_SECRETS,
    &AUTOMOUNT,
    &ACCESS_CHANGES,
];

/// `lifecycle.orphaned-bindings`: bindings name only subjects and roles that exist.
pub const ORPHANED_BINDINGS: CheckDef = CheckDef {
    id: "lifecycle.orphaned-bindings",
    title: "Bindings name only existing subjects and roles",
    resource: "RoleBindings, ClusterRoleBindings, ServiceAccounts",
    commands: &[
        "kubectl get rolebindings,clusterrolebindings -A -o yaml",
        "kubectl get serviceaccounts -A",
    ],
    requires: &[
        ROLES,
        ROLE_BINDINGS,
        CLUSTER_ROLES,
        CLUSTER_ROLE_BINDINGS,
        SERVICE_ACCOUNTS,
    ],
    judges: "whether bindings outlived their subjects",
    reads: &[],
    run: orphaned_bindings,
};

fn orphaned_bindings(ctx: &Ctx, mut b: Builder) -> CheckResult {
    let model = ctx.rbac().expect(REQUIRED);
    if model.bindings.is_empty() {
        return super::rbac::no_bindings(b);
    }
    let sas = ctx.items(SERVICE_ACCOUNTS).expect(REQUIRED);
    let existing: HashSet<(&str, &str)> = sas
        .iter()
        .map(|s| (namespace(s).unwrap_or(""), name(s)))
        .collect();
    let mut users: BTreeMap<(String, &str, usize, usize), (String, &Value)> = BTreeMap::new();
    let mut orphans = 0;
    for bd in &model.bindings {
        let obj = &ctx.items(bd.key).expect("collected")[bd.index];
        for (i, s) in bd.subjects.iter().enumerate() {
            match s.kind.as_str() {
                "ServiceAccount" => {
                    let ns = s.namespace.as_deref().unwrap_or("");
                    if !existing.contains(&(ns, s.name.as_str())) {
                        orphans += 1;
                        b.push(
                            Status::Fail,
                            format!("{} names ServiceAccount {ns}/{}, which does not exist: the grant lingers and would apply to any ServiceAccount later created with that name", bd.display(), s.name),
                            evidence(bd.key, obj, format!("/subjects/{i}")),
                        );
                        b.cmd(format!("kubectl get serviceaccount {} -n {ns}", s.name));
                    }
                }
                // People and groups from the identity provider (not Kubernetes' own).
                _ if !s.name.starts_with("system:") => {
                    users.insert(
                        (subject_display(s), bd.key, bd.index, i),
                        (
                            format!("{} -> {} {}", bd.display(), bd.role_kind, bd.role_name),
                            obj,
                        ),
                    );
                }
                _ => {}
            }
        }
        if model.binding_rules(bd).is_none() {
            orphans += 1;
            b.push(
                Status::Partial,
                format!("{} refers to {} {}, which does not exist: it grants nothing now, but would grant whatever a role later created with that name holds", bd.display(), bd.role_kind, bd.role_name),
                evidence(bd.key, obj, "/roleRef"),
            );
        }
    }
    let people = users.len();
    for ((who, key, _, i), (via, obj)) in users {
        b.push(
            Status::Manual,
            format!("{who} is bound by {via}: whether this person or group still needs access cannot be seen from the cluster; confirm it against the identity provider's records"),
            evidence(key, obj, format!("/subjects/{i}")),
        );
    }
    let status = b.derived().unwrap_or(Status::Pass);
    let explanation = match status {
        Status::Pass => "Every ServiceAccount named by a binding exists, every bound role exists, and no binding names a person or group outside Kubernetes' own system identities.".to_string(),
        Status::Manual => format!("Every ServiceAccount named by a binding exists and every bound role exists. {people} binding subject(s) are people or groups from outside the cluster; only the identity provider can show whether they still need access, so they need a reviewer's attestation."),
        _ => format!("{orphans} binding problem(s): bindings that outlived the ServiceAccount or role they name keep access defined for identities that no longer exist. {people} binding subject(s) are people or groups that need review against the identity provider."),
    };
    b.finish(status, explanation, Some("Delete bindings whose ServiceAccount or role is gone (`kubectl delete rolebinding NAME -n NS`), and review User and Group subjects against the identity provider each quarter."))
}

/// The service account a pod spec runs as.
fn sa_of(spec: &Value) -> &str {
    str_at(spec, "/serviceAccountName")
        .or_else(|| str_at(spec, "/serviceAccount"))
        .filter(|s| !s.is_empty())
        .unwrap_or("default")
}

/// `lifecycle.unused-serviceaccounts`: every ServiceAccount is used by some workload.
pub const UNUSED_SERVICE_ACCOUNTS: CheckDef = CheckDef {
    id: "lifecycle.unused-serviceaccounts",
    title: "ServiceAccounts are in use",
    resource: "ServiceAccounts, Pods, workload controllers",
    commands: &[
        "kubectl get serviceaccounts -A",
        "kubectl get pods,deployments,statefulsets,daemonsets,jobs,cronjobs -A -o jsonpath='{range .items[*]}{.metadata.namespace}/{.spec.serviceAccountName}{.spec.template.spec.serviceAccountName}{\"\\n\"}{end}'",
    ],
    requires: &[
        SERVICE_ACCOUNTS,
        PODS,
        DEPLOYMENTS,
        STATEFUL_SETS,
        DAEMON_SETS,
        JOBS,
        CRON_JOBS,
    ],
    judges: "which ServiceAccounts are unused",
    reads: &[],
    run: unused_service_accounts,
};

fn unused_service_accounts(ctx: &Ctx, mut b: Builder) -> CheckResult {
    let sas = ctx.items(SERVICE_ACCOUNTS).expect(REQUIRED);
    let mut used: HashSet<(String, String)> = HashSet::new();
    for k in WORKLOAD_KINDS {
        for o in ctx.objects(k).expect(REQUIRED) {
            let o = &o;
            if let Some((_, spec, _)) = pod_spec(k, o) {
                used.insert((
                    namespace(o).unwrap_or("").to_string(),
                    sa_of(spec).to_string(),
                ));
            }
        }
    }
    let mut unused = 0;
    let mut judged = 0;
    for sa in sas {
        let ns = namespace(sa).unwrap_or("");
        if SYSTEM_NAMESPACES.contains(&ns) || name(sa) == "default" {
            continue;
        }
        judged += 1;
        if !used.contains(&(ns.to_string(), name(sa).to_string())) {
            unused += 1;
            b.push(
                Status::Fail,
                format!("ServiceAccount {ns}/{} is used by no pod or pod template: if nothing outside the cluster uses its tokens, delete it and its bindings", name(sa)),
                evidence(SERVICE_ACCOUNTS, sa, "/metadata/name"),
            );
        }
    }
    if unused == 0 && judged > 0 {
        b.push(
            Status::Pass,
            format!("all {judged} application ServiceAccounts are used by a workload"),
            evidence_file(SERVICE_ACCOUNTS, "", ""),
        );
    }
    let status = b.derived().unwrap_or(Status::NotApplicable);
    let explanation = match status {
        Status::Pass => format!(
            "Each of the {judged} application ServiceAccounts (not counting each namespace's `default` and the system namespaces) is used by a pod or pod template."
        ),
        Status::NotApplicable => {
            "There are no application ServiceAccounts besides each namespace's `default`."
                .to_string()
        }
        _ => format!(
            "{unused} ServiceAccount(s) are used by no workload. Identities nobody uses are access that was not removed when it stopped being needed (unless an external system uses their tokens, which should then be recorded)."
        ),
    };
    b.finish(status, explanation, Some("Delete unused ServiceAccounts and their bindings, or record which external system uses each one."))
}

/// `lifecycle.token-secrets`: no long-lived ServiceAccount token Secrets.
pub const TOKEN_SECRETS: CheckDef = CheckDef {
    id: "lifecycle.token-secrets",
    title: "No long-lived ServiceAccount token Secrets",
    resource: "Secrets (metadata only)",
    commands: &["kubectl get secrets -A --field-selector type=kubernetes.io/service-account-token"],
    requires: &[SECRETS],
    judges: "whether long-lived token Secrets exist",
    reads: &[],
    run: token_secrets,
};

fn token_secrets(ctx: &Ctx, mut b: Builder) -> CheckResult {
    let secrets = ctx.items(SECRETS).expect(REQUIRED);
    if secrets.is_empty() {
        return b.finish(
            Status::NotApplicable,
            "There are no Secrets in scope, so none can hold a long-lived ServiceAccount token; this check has nothing to judge.",
            None,
        );
    }
    let typed = secrets.iter().filter(|s| s.get("type").is_some()).count();
    let mut found = 0;
    for s in secrets {
        let by_type = str_at(s, "/type") == Some("kubernetes.io/service-account-token");
        let sa = str_at(
            s,
            "/metadata/annotations/kubernetes.io~1service-account.name",
        );
        if by_type || (s.get("type").is_none() && sa.is_some()) {
            found += 1;
            b.push(
                Status::Fail,
                format!(
                    "Secret {}/{} holds a non-expiring token for ServiceAccount {}",
                    namespace(s).unwrap_or(""),
                    name(s),
                    sa.unwrap_or("?")
                ),
                evidence(
                    SECRETS,
                    s,
                    if by_type {
                        "/type"
                    } else {
                        "/metadata/annotations"
                    },
                ),
            );
        }
    }
    let untyped = secrets.len() - typed;
    let note = if untyped > 0 {
        format!(
            " {untyped} Secret(s) in the snapshot carry no `type`; for those, token Secrets were recognised by their kubernetes.io/service-account.name annotation only."
        )
    } else {
        String::new()
    };
    if found == 0 {
        b.push(
            Status::Pass,
            format!(
                "none of the {} Secrets is a ServiceAccount token Secret",
                secrets.len()
            ),
            evidence_file(SECRETS, "", "/type"),
        );
    }
    let status = b.derived().unwrap_or(Status::Pass);
    let explanation = if found == 0 {
        format!(
            "No Secret of type kubernetes.io/service-account-token exists; ServiceAccounts use short-lived projected tokens.{note}"
        )
    } else {
        format!(
            "{found} Secret(s) hold non-expiring ServiceAccount tokens, which stay valid until the Secret is deleted, however long ago they were handed out.{note}"
        )
    };
    b.finish(status, explanation, Some("Delete the token Secrets and use short-lived tokens (`kubectl create token SA` or projected volumes)."))
}

/// `lifecycle.automount`: ServiceAccount tokens are mounted only where they are needed.
pub const AUTOMOUNT: CheckDef = CheckDef {
    id: "lifecycle.automount",
    title: "ServiceAccount tokens mounted only where needed",
    resource: "Pods, workload controllers, ServiceAccounts",
    commands: &[
        "kubectl get serviceaccounts -A -o yaml",
        "kubectl get pods -A -o yaml",
    ],
    requires: &[
        ROLES,
        ROLE_BINDINGS,
        CLUSTER_ROLES,
        CLUSTER_ROLE_BINDINGS,
        SERVICE_ACCOUNTS,
    ],
    judges: "whether tokens are mounted needlessly",
    // Walked one kind at a time: a later kind missing keeps what the earlier ones showed.
    reads: WORKLOAD_KINDS,
    run: automount,
};

fn automount(ctx: &Ctx, mut b: Builder) -> CheckResult {
    let model = ctx.rbac().expect(REQUIRED);
    let sas = ctx.items(SERVICE_ACCOUNTS).expect(REQUIRED);
    let sa_auto: BTreeMap<(&str, &str), Option<bool>> = sas
        .iter()
        .map(|s| {
            (
                (namespace(s).unwrap_or(""), name(s)),
                bool_at(s, "/automountServiceAccountToken"),
            )
        })
        .collect();
    let mut bad = 0;
    let mut judged = 0;
    for k in WORKLOAD_KINDS {
        let items = match ctx.objects(k) {
            Ok(i) => i,
            Err(e) => {
                // The other kinds are still judged: a failure seen is not hidden.
                b.missing(&e, "whether tokens are mounted needlessly");
                continue;
            }
        };
        for o in items {
            let o = &o;
            let ns = namespace(o).unwrap_or("");
            if SYSTEM_NAMESPACES.contains(&ns) || (*k == PODS && is_static_pod(o)) {
                continue;
            }
            let Some((_, spec, ptr)) = pod_spec(k, o) else {
                continue;
            };
            judged += 1;
            let sa = sa_of(spec);
            let pod_level = bool_at(spec, "/automountServiceAccountToken");
            let sa_level = sa_auto.get(&(ns, sa)).copied().flatten();
            let mounted = pod_level.unwrap_or(sa_level.unwrap_or(true));
            if !mounted {
                continue;
            }
            let subject = Subject {
                kind: "ServiceAccount".into(),
                name: sa.into(),
                namespace: Some(ns.into()),
            };
            let has_grants = model
                .bindings_of(&subject)
                .any(|bd| model.binding_rules(bd).is_some_and(|r| !r.is_empty()));
            let why = if sa == "default" {
                Some("it runs as the namespace's `default` ServiceAccount")
            } else if !has_grants {
                Some("its ServiceAccount is granted nothing by RBAC")
            } else {
                None
            };
            if let Some(why) = why {
                bad += 1;
                let source = match (pod_level, sa_level) {
                    (Some(true), _) => "the pod sets `automountServiceAccountToken: true`",
                    (None, Some(true)) => {
                        "the ServiceAccount sets `automountServiceAccountToken: true`"
                    }
                    _ => "`automountServiceAccountToken` is left at its default (true)",
                };
                b.push(
                    Status::Fail,
                    format!(
                        "{} {}/{} mounts an API token although {why}; {source}",
                        kind_name(k),
                        value(ns),
                        value(name(o))
                    ),
                    evidence(k, o, format!("{ptr}/automountServiceAccountToken")),
                );
            }
        }
    }
    if bad == 0 && judged > 0 {
        b.push(Status::Pass, format!("all {judged} application pods and pod templates either do not mount a token or run as a ServiceAccount that RBAC grants permissions to"), evidence_file(PODS, "", ""));
    }
    let status = b.derived().unwrap_or(Status::NotApplicable);
    let explanation = match status {
        Status::Pass => format!(
            "Of {judged} application pods and pod templates, none mounts an API token it has no use for: each either disables automounting or runs as a ServiceAccount that holds RBAC grants. (A pod-level setting overrides the ServiceAccount's; unset means mounted.)"
        ),
        Status::NotApplicable => {
            "There are no application pods or pod templates to judge.".to_string()
        }
        _ => format!(
            "{bad} pod(s) or pod template(s) mount a ServiceAccount token they have no RBAC use for; a compromised container could use it against the API server."
        ),
    };
    b.finish(status, explanation, Some("Set `automountServiceAccountToken: false` on the ServiceAccount or pod spec wherever the workload does not call the Kubernetes API."))
}

/// `lifecycle.access-changes`: access granted and removed since the previous snapshot.
/// Without a previous snapshot it does not apply, whatever this one holds, so the RBAC
/// kinds are read, not required.
pub const ACCESS_CHANGES: CheckDef = CheckDef {
    id: "lifecycle.access-changes",
    title: "Access granted and removed since the previous snapshot",
    resource: "Roles, ClusterRoles and their bindings (two snapshots)",
    commands: &["auditpack diff PREVIOUS.json SNAPSHOT.json"],
    requires: &[],
    judges: "what access changed",
    reads: &[ROLES, ROLE_BINDINGS, CLUSTER_ROLES, CLUSTER_ROLE_BINDINGS],
    run: access_changes_check,
};

fn access_changes_check(ctx: &Ctx, mut b: Builder) -> CheckResult {
    let Some(prev) = ctx.previous else {
        return b.finish(
            Status::NotApplicable,
            "No previous snapshot was given (`--previous`), so there is no period to compare access over.",
            None,
        );
    };
    let new = match ctx.rbac() {
        Ok(m) => m.access_review(),
        Err(e) => return not_collected(b, e, "what access changed"),
    };
    let old = match crate::controls::model::rbac::Model::from_snapshot(prev) {
        Ok(m) => m.access_review(),
        Err(e) => return not_collected(b, &e, "what access changed (previous snapshot)"),
    };
    let changes = access_changes(&old, &new);
    for c in &changes {
        let verb = match c.change {
            ChangeKind::Granted => "granted",
            ChangeKind::Removed => "removed",
        };
        b.push(
            Status::Manual,
            format!(
                "{verb}: {} may {}",
                subject_display(&c.subject),
                grant_text(&c.grant)
            ),
            evidence_file(ROLE_BINDINGS, &c.grant.via, ""),
        );
    }
    let (g, r) = (
        changes
            .iter()
            .filter(|c| c.change == ChangeKind::Granted)
            .count(),
        changes
            .iter()
            .filter(|c| c.change == ChangeKind::Removed)
            .count(),
    );
    if changes.is_empty() {
        b.finish(
            Status::Pass,
            format!(
                "Effective access is unchanged since the previous snapshot (collected {}).",
                prev.collected_at.to_rfc3339()
            ),
            None,
        )
    } else {
        b.finish(
            Status::Manual,
            format!("Since the previous snapshot (collected {}), {g} permission(s) were granted and {r} removed. Each change should match an approved access request or a recorded removal; a reviewer must attest that it does.", prev.collected_at.to_rfc3339()),
            Some("Match each granted permission to its approval and each removal to its offboarding or change record."),
        )
    }
}
