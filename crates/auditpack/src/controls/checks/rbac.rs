//! RBAC checks (SOC2 CC6.1, HIPAA 164.312(a)(1)) over the effective-access model: who holds
//! cluster-admin or wildcard access, who can read Secrets, escalate, bind or impersonate,
//! who can exec into pods, and which namespaces' `default` ServiceAccount holds roles.
//! Kubernetes' own bootstrap bindings (`system:` names or the autoupdate annotation) and
//! `system:` users and groups are listed in the access review but not held against the
//! cluster.

use std::collections::BTreeSet;

use crate::controls::model::rbac::RBAC_KINDS;
use crate::controls::model::rbac::{
    APPROVE_CSRS, Binding, RuleOrigin, is_system_subject, pair_flags, rule_flags, subject_display,
};
use crate::controls::util::{Builder, evidence, evidence_file};
use crate::controls::{CheckDef, Ctx, REQUIRED};
use crate::findings::{CheckResult, Status};
use crate::snapshot::kinds::{CLUSTER_ROLE_BINDINGS, ROLE_BINDINGS};

struct Spec {
    flags: &'static [&'static str],
    power: &'static str,
    risk: &'static str,
    remediation: &'static str,
}

/// The checks of the `rbac` family.
pub const CHECKS: &[&CheckDef] = &[
    &CLUSTER_ADMIN,
    &SECRETS_READ,
    &ESCALATION,
    &PODS_EXEC,
    &DEFAULT_SERVICE_ACCOUNT,
    &DANGEROUS_POWERS,
];

const RBAC_COMMANDS: &[&str] = &[
    "kubectl get rolebindings,clusterrolebindings -A -o yaml",
    "kubectl get roles,clusterroles -A -o yaml",
];

const SPECS: &[Spec] = &[
    Spec {
        flags: &["cluster-admin", "wildcard"],
        power: "cluster-admin or wildcard (`*`) access",
        risk: "Wildcards grant every present and future verb or resource, so access is not limited to what the subject needs.",
        remediation: "Replace cluster-admin and wildcard rules with Roles listing the verbs and resources each subject needs; keep break-glass admin access in a group with audited, time-limited membership.",
    },
    Spec {
        flags: &["read-secrets"],
        power: "get/list/watch on Secrets",
        risk: "Reading Secrets reveals credentials and keys, and list/watch return every Secret's contents.",
        remediation: "Remove get/list/watch on secrets from roles that do not need it, or restrict them with resourceNames to the one Secret a workload uses.",
    },
    Spec {
        flags: &["escalate", "bind", "impersonate"],
        power: "the escalate, bind or impersonate verbs",
        risk: "These verbs let a subject grant itself, or act with, permissions it does not hold.",
        remediation: "Remove escalate, bind and impersonate (and `*` verbs on roles, users, groups and serviceaccounts) from roles bound to people and workloads.",
    },
    Spec {
        flags: &["pods-exec"],
        power: "create on pods/exec",
        risk: "Exec gives a shell inside running containers, with their data and credentials, bypassing application-level access control.",
        remediation: "Grant pods/exec only to an audited break-glass role, not to everyday roles.",
    },
    Spec {
        flags: &[
            APPROVE_CSRS,
            "nodes-proxy",
            "create-persistentvolumes",
            "serviceaccount-tokens",
            "admission-webhooks",
            "services-status",
        ],
        power: "a power that leads to the node or to other identities (approving CSRs, nodes/proxy, creating PersistentVolumes or ServiceAccount tokens, writing admission webhooks, services/status)",
        risk: "Each of these reaches past RBAC: an approved CSR is a client certificate for any name, nodes/proxy is the kubelet's API (exec in any pod on the node), a PersistentVolume can point at any host path, a ServiceAccount token is that account's identity, an admission webhook sees and may rewrite every object sent to the API, and services/status can redirect traffic (CVE-2020-8554).",
        remediation: "Remove these grants from roles bound to people and workloads; keep them with the controllers that need them (Kubernetes' own `system:` roles), or in an audited break-glass role.",
    },
];

/// What each power of `rbac.dangerous-powers` is, in an observation.
fn power_name(flag: &str) -> &str {
    match flag {
        APPROVE_CSRS => {
            "approve CertificateSigningRequests (certificatesigningrequests/approval update + signers approve)"
        }
        "nodes-proxy" => "nodes/proxy (the kubelet API)",
        "create-persistentvolumes" => "create PersistentVolumes",
        "serviceaccount-tokens" => "create ServiceAccount tokens (serviceaccounts/token)",
        "admission-webhooks" => "write admission webhook configurations",
        "services-status" => "patch services/status (CVE-2020-8554)",
        other => other,
    }
}

/// With no RoleBinding or ClusterRoleBinding in scope, RBAC grants no subject anything:
/// a check of who holds what has nothing to judge, which is not a pass.
pub(super) fn no_bindings(b: Builder) -> CheckResult {
    b.finish(
        Status::NotApplicable,
        "There are no RoleBindings or ClusterRoleBindings in scope, so RBAC grants no subject anything and this check has nothing to judge. Every cluster has Kubernetes' bootstrap bindings: an export without any usually means the bindings were left out (`kubectl get rolebindings,clusterrolebindings -A -o yaml`).",
        None,
    )
}

fn run(ctx: &Ctx, mut b: Builder, spec: &Spec) -> CheckResult {
    let model = ctx.rbac().expect(REQUIRED);
    if model.bindings.is_empty() {
        return no_bindings(b);
    }
    let mut holders = BTreeSet::new();
    let mut system_holders = BTreeSet::new();
    for bd in &model.bindings {
        let Some(rules) = model.binding_rules(bd) else {
            continue;
        };
        let mut flags: BTreeSet<&str> = rules
            .iter()
            .flat_map(|r| rule_flags(r, bd.namespace.is_none()))
            .collect();
        if bd.role_kind == "ClusterRole" && bd.role_name == "cluster-admin" {
            flags.insert("cluster-admin");
        }
        pair_flags(&mut flags);
        let hit: Vec<&str> = spec
            .flags
            .iter()
            .copied()
            .filter(|f| flags.contains(f))
            .collect();
        if hit.is_empty() {
            continue;
        }
        let obj = &ctx.items(bd.key).expect("collected")[bd.index];
        let granted_by = granted_by(&model.rule_origins(bd), bd, &hit);
        for (i, s) in bd.subjects.iter().enumerate() {
            if bd.system || is_system_subject(s) {
                system_holders.insert(subject_display(s));
                continue;
            }
            holders.insert(subject_display(s));
            let scope = bd
                .namespace
                .as_deref()
                .map_or("cluster-wide".to_string(), |n| format!("in namespace {n}"));
            b.push(
                Status::Fail,
                format!(
                    "{} holds {} {scope} through {} -> {} {}{granted_by}",
                    subject_display(s),
                    hit.iter()
                        .map(|f| power_name(f))
                        .collect::<Vec<_>>()
                        .join(", "),
                    bd.display(),
                    bd.role_kind,
                    bd.role_name
                ),
                evidence(bd.key, obj, format!("/subjects/{i}")),
            );
        }
    }
    let sys = if system_holders.is_empty() {
        String::new()
    } else {
        format!(
            " Kubernetes system identities holding it through bootstrap bindings ({}) are expected and not counted.",
            crate::controls::util::name_list(system_holders.iter())
        )
    };
    if holders.is_empty() {
        b.push(
            Status::Pass,
            format!(
                "no subject outside Kubernetes' system identities holds {}",
                spec.power
            ),
            evidence_file(CLUSTER_ROLE_BINDINGS, "", ""),
        );
        return b.finish(
            Status::Pass,
            format!("No user, group or ServiceAccount outside Kubernetes' own bootstrap bindings holds {}, following every binding to its role, aggregation and wildcards included.{sys}", spec.power),
            None,
        );
    }
    b.finish(
        Status::Fail,
        format!(
            "{} {}: {}. {}{sys}",
            crate::controls::util::count(holders.len(), "subject holds", "subjects hold"),
            spec.power,
            crate::controls::util::name_list(holders.iter()),
            spec.risk
        ),
        Some(spec.remediation),
    )
}

/// At most this many roles holding granting rules are named in one observation.
const MAX_GRANTING_RULES: usize = 3;

/// `, granted by ClusterRole view-exec-extra rules/0 (aggregated into ClusterRole view)`:
/// the rules that carry the flagged powers, named where they are written (an aggregated
/// role's member, not the aggregate), or nothing when no single rule carries them (a
/// binding to `cluster-admin` by name with other rules).
fn granted_by(origins: &[RuleOrigin], bd: &Binding, hit: &[&str]) -> String {
    let cluster_wide = bd.namespace.is_none();
    // A paired power is granted by the rules of its halves.
    let mut hit = hit.to_vec();
    if hit.contains(&APPROVE_CSRS) {
        hit.extend(["csr-approval", "csr-signers"]);
    }
    let granting: Vec<&RuleOrigin> = origins
        .iter()
        .filter(|o| {
            rule_flags(&o.rule, cluster_wide)
                .iter()
                .any(|f| hit.contains(f))
        })
        .collect();
    let granting = RuleOrigin::describe_all(&granting);
    if granting.is_empty() {
        return String::new();
    }
    let more = granting.len().saturating_sub(MAX_GRANTING_RULES);
    let shown = granting[..granting.len().min(MAX_GRANTING_RULES)].join("; ");
    if more > 0 {
        format!(", granted by {shown} and {more} more role(s)")
    } else {
        format!(", granted by {shown}")
    }
}

/// `rbac.cluster-admin`.
pub const CLUSTER_ADMIN: CheckDef = CheckDef {
    id: "rbac.cluster-admin",
    title: "No cluster-admin or wildcard access outside system identities",
    resource: "Roles, ClusterRoles, RoleBindings, ClusterRoleBindings",
    commands: RBAC_COMMANDS,
    requires: RBAC_KINDS,
    judges: "who holds these permissions",
    reads: &[],
    run: |ctx, b| run(ctx, b, &SPECS[0]),
};

/// `rbac.secrets-read`.
pub const SECRETS_READ: CheckDef = CheckDef {
    id: "rbac.secrets-read",
    title: "Reading Secrets is limited",
    resource: "Roles, ClusterRoles, RoleBindings, ClusterRoleBindings",
    commands: RBAC_COMMANDS,
    requires: RBAC_KINDS,
    judges: "who holds these permissions",
    reads: &[],
    run: |ctx, b| run(ctx, b, &SPECS[1]),
};

/// `rbac.escalation`.
pub const ESCALATION: CheckDef = CheckDef {
    id: "rbac.escalation",
    title: "No escalate, bind or impersonate outside system identities",
    resource: "Roles, ClusterRoles, RoleBindings, ClusterRoleBindings",
    commands: RBAC_COMMANDS,
    requires: RBAC_KINDS,
    judges: "who holds these permissions",
    reads: &[],
    run: |ctx, b| run(ctx, b, &SPECS[2]),
};

/// `rbac.pods-exec`.
pub const PODS_EXEC: CheckDef = CheckDef {
    id: "rbac.pods-exec",
    title: "Exec into pods is limited",
    resource: "Roles, ClusterRoles, RoleBindings, ClusterRoleBindings",
    commands: RBAC_COMMANDS,
    requires: RBAC_KINDS,
    judges: "who holds these permissions",
    reads: &[],
    run: |ctx, b| run(ctx, b, &SPECS[3]),
};

/// `rbac.dangerous-powers`: nobody outside Kubernetes' system identities holds a power that
/// leads to the node or to other identities.
pub const DANGEROUS_POWERS: CheckDef = CheckDef {
    id: "rbac.dangerous-powers",
    title: "No CSR approval, nodes/proxy, PersistentVolume creation, token creation, webhook writing or services/status outside system identities",
    resource: "Roles, ClusterRoles, RoleBindings, ClusterRoleBindings",
    commands: RBAC_COMMANDS,
    requires: RBAC_KINDS,
    judges: "who holds these permissions",
    reads: &[],
    run: |ctx, b| run(ctx, b, &SPECS[4]),
};

/// `rbac.default-serviceaccount`: no role is bound to a namespace's `default` ServiceAccount.
pub const DEFAULT_SERVICE_ACCOUNT: CheckDef = CheckDef {
    id: "rbac.default-serviceaccount",
    title: "No roles bound to default ServiceAccounts",
    resource: "RoleBindings, ClusterRoleBindings",
    commands: &["kubectl get rolebindings,clusterrolebindings -A -o yaml"],
    requires: RBAC_KINDS,
    judges: "whether default ServiceAccounts hold roles",
    reads: &[],
    run: default_service_account,
};

fn default_service_account(ctx: &Ctx, mut b: Builder) -> CheckResult {
    let model = ctx.rbac().expect(REQUIRED);
    if model.bindings.is_empty() {
        return no_bindings(b);
    }
    for bd in &model.bindings {
        let obj = &ctx.items(bd.key).expect("collected")[bd.index];
        for (i, s) in bd.subjects.iter().enumerate() {
            if s.kind == "ServiceAccount" && s.name == "default" {
                b.push(
                    Status::Fail,
                    format!("{} binds {} {} to the default ServiceAccount of {}: every pod that names no ServiceAccount gets it", bd.display(), bd.role_kind, bd.role_name, s.namespace.as_deref().unwrap_or("?")),
                    evidence(bd.key, obj, format!("/subjects/{i}")),
                );
            }
        }
    }
    let n = b.observations.len();
    if n == 0 {
        b.push(
            Status::Pass,
            "no binding names a `default` ServiceAccount",
            evidence_file(ROLE_BINDINGS, "", ""),
        );
        return b.finish(Status::Pass, "No RoleBinding or ClusterRoleBinding names a namespace's `default` ServiceAccount, so pods that name no ServiceAccount get no permissions.", None);
    }
    b.finish(
        Status::Fail,
        format!("{n} binding subject(s) are `default` ServiceAccounts; any pod in those namespaces that names no ServiceAccount silently receives these permissions."),
        Some("Create a dedicated ServiceAccount for the workload that needs the role, bind the role to it, and remove the binding to `default`."),
    )
}
