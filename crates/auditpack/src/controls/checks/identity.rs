//! Unique user identification (HIPAA 164.312(a)(2)(i)): `identity.unique-users`, from the
//! RBAC bindings and, when supplied, the audit-log summary.
//!
//! What can be judged: User subjects with the names of shared accounts (`admin`,
//! `kubernetes-admin`, ...), User subjects named like programs rather than people, Groups
//! that are the only subjects of powerful bindings (their members are not visible), and
//! ServiceAccount identities that opened interactive sessions (exec/attach) in the audit
//! log — a person using a workload's token. What cannot: who holds a given credential
//! (client certificates in `system:masters`, copies of a kubeconfig, tokens), and the
//! membership of groups, which the identity provider holds.

use std::collections::BTreeSet;

use crate::controls::model::rbac::{RBAC_KINDS, is_system_subject, rule_flags, subject_display};
use crate::controls::util::{Builder, evidence, evidence_file, name_list};
use crate::controls::{CheckDef, Ctx, REQUIRED};
use crate::findings::{CheckResult, Status};

/// The checks of the `identity` family.
pub const CHECKS: &[&CheckDef] = &[&UNIQUE_USERS];

/// `identity.unique-users`: no shared human identities.
pub const UNIQUE_USERS: CheckDef = CheckDef {
    id: "identity.unique-users",
    title: "Every person has an identity of their own",
    resource: "RoleBindings, ClusterRoleBindings, audit-log summary",
    commands: &[
        "kubectl get rolebindings,clusterrolebindings -A -o yaml",
        "auditpack collect --audit-log FILE",
    ],
    requires: RBAC_KINDS,
    judges: "whether people share identities",
    reads: &[],
    run: unique_users,
};

/// User names that are accounts, not people: whoever holds their credential acts as them.
const SHARED_NAMES: &[&str] = &[
    "admin",
    "administrator",
    "root",
    "kubernetes-admin",
    "kube-admin",
    "cluster-admin",
    "superuser",
    "shared",
    "team",
    "ops",
    "devops",
    "sre",
    "oncall",
    "deploy",
    "deployer",
    "developer",
    "guest",
    "test",
    "user",
    "default",
];

/// Whether a User name reads as a program's account (`ci-bot`, `svc-deploy`, `jenkins`).
fn program_like(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    let local = n.split('@').next().unwrap_or(&n);
    ["svc-", "service-", "bot-", "sa-", "robot"]
        .iter()
        .any(|p| local.starts_with(p))
        || ["-bot", "-sa", "-svc", "-service", "-robot", "-ci"]
            .iter()
            .any(|s| local.ends_with(s))
        || [
            "ci",
            "jenkins",
            "gitlab-runner",
            "argocd",
            "terraform",
            "automation",
        ]
        .contains(&local)
}

/// The flags that make a binding powerful enough that its holders must be individuals.
const POWERFUL: &[&str] = &[
    "cluster-admin",
    "wildcard",
    "escalate",
    "bind",
    "impersonate",
    "read-secrets",
    "pods-exec",
];

/// Interactive sessions opened by ServiceAccount identities in the audit log: a person
/// using a workload's token. Returns the note for the explanation (empty when a log was
/// examined).
fn service_account_sessions(ctx: &Ctx, b: &mut Builder) -> String {
    let mut log_note =
        " No audit log was supplied, so whether people use ServiceAccount tokens was not examined."
            .to_string();
    if let Some(log) = &ctx.snap.audit_log {
        log_note = String::new();
        let mut seen = BTreeSet::new();
        for e in &log.execs {
            let user = e.impersonated_user.as_deref().unwrap_or(&e.user);
            // A refused request opened nothing.
            let opened = e.code.is_none_or(|c| c < 400);
            if let Some(sa) = user.strip_prefix("system:serviceaccount:")
                && opened
                && seen.insert((sa.to_string(), e.subresource.clone()))
            {
                let target = match (&e.namespace, &e.pod) {
                    (Some(ns), Some(p)) => format!(" into pod {ns}/{p}"),
                    _ => String::new(),
                };
                b.push(Status::Fail, format!("ServiceAccount {sa} opened an interactive {} session{target} at {}: a person acted with a workload's token, so the action is not traced to them", e.subresource, e.time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)), evidence_file("AuditLog", "", "/execs"));
            }
        }
    }
    log_note
}

fn unique_users(ctx: &Ctx, mut b: Builder) -> CheckResult {
    let model = ctx.rbac().expect(REQUIRED);
    let mut people = BTreeSet::new();
    let mut shared = BTreeSet::new();
    let mut groups = BTreeSet::new();
    for bd in &model.bindings {
        if bd.system {
            continue;
        }
        let obj = &ctx.items(bd.key).expect("collected")[bd.index];
        let flags: BTreeSet<&str> = model
            .binding_rules(bd)
            .unwrap_or_default()
            .iter()
            .flat_map(|r| rule_flags(r, bd.namespace.is_none()))
            .chain(
                (bd.role_kind == "ClusterRole" && bd.role_name == "cluster-admin")
                    .then_some("cluster-admin"),
            )
            .collect();
        let powers: Vec<&str> = POWERFUL
            .iter()
            .copied()
            .filter(|f| flags.contains(f))
            .collect();
        let humans: Vec<_> = bd
            .subjects
            .iter()
            .enumerate()
            .filter(|(_, s)| s.kind != "ServiceAccount" && !is_system_subject(s))
            .collect();
        for (i, s) in &humans {
            let ptr = format!("/subjects/{i}");
            let lower = s.name.to_ascii_lowercase();
            people.insert(subject_display(s));
            if s.kind == "User" {
                if SHARED_NAMES.contains(&lower.split('@').next().unwrap_or(&lower)) {
                    shared.insert(subject_display(s));
                    let note = if lower == "kubernetes-admin" {
                        " (kubeadm's admin.conf identity: everyone with a copy of that file acts as it)"
                    } else {
                        ""
                    };
                    b.push(Status::Fail, format!("{} is bound by {} -> {} {}: the name is an account, not a person{note}, so its actions cannot be traced to one individual", subject_display(s), bd.display(), bd.role_kind, bd.role_name), evidence(bd.key, obj, ptr));
                } else if program_like(&s.name) {
                    b.push(Status::Manual, format!("{} is bound by {} -> {} {}: the name reads as a program's account; a program should use a ServiceAccount, and a person an identity of their own", subject_display(s), bd.display(), bd.role_kind, bd.role_name), evidence(bd.key, obj, ptr));
                }
            }
        }
        // A powerful binding whose only subjects are groups: who acts through it is the
        // identity provider's membership, which the cluster does not show.
        if !powers.is_empty() && !humans.is_empty() && bd.subjects.iter().all(|s| s.kind == "Group")
        {
            for (i, s) in &humans {
                groups.insert(subject_display(s));
                b.push(Status::Manual, format!("{} is the only kind of subject of {} -> {} {} ({}): its members are held by the identity provider, not visible here", subject_display(s), bd.display(), bd.role_kind, bd.role_name, powers.join(", ")), evidence(bd.key, obj, format!("/subjects/{i}")));
            }
        }
    }
    let log_note = service_account_sessions(ctx, &mut b);
    let not_judged = "Not judgeable from the cluster: who holds a credential (client certificates in system:masters, copies of a kubeconfig, tokens) and the membership of groups.";
    let fails = b
        .observations
        .iter()
        .filter(|o| o.status == Status::Fail)
        .count();
    if fails > 0 {
        return b.finish(Status::Fail, format!("{fails} finding(s) of shared identities{}: an action by a shared identity cannot be traced to one person.{log_note} {not_judged}", if shared.is_empty() { String::new() } else { format!(" ({})", name_list(shared.iter())) }), Some("Bind roles to each person's own identity (an OIDC user or a Group whose members are individuals), retire shared accounts and the distribution of admin.conf, and have people use their own identity instead of ServiceAccount tokens."));
    }
    if !b.observations.is_empty() {
        return b.finish(Status::Manual, format!("No binding names a shared account, but some identities need an attestation{}: that each is used by one person, or that each group's members are individuals with their own accounts.{log_note} {not_judged}", if groups.is_empty() { String::new() } else { format!(" ({})", name_list(groups.iter())) }), Some("List the members of each group from the identity provider, and confirm that program-like User names are not shared by people."));
    }
    if people.is_empty() {
        b.push(
            Status::Manual,
            "no binding outside Kubernetes' bootstrap bindings names a User or Group",
            evidence_file(crate::snapshot::kinds::CLUSTER_ROLE_BINDINGS, "", ""),
        );
        return b.finish(Status::Manual, format!("No binding names a person or a group of people, so people reach the cluster through credentials the bindings do not show (often a shared admin.conf in system:masters); how each person is identified must be attested.{log_note} {not_judged}"), Some("Give each person an identity of their own (OIDC or an individual certificate) and bind roles to it."));
    }
    b.push(
        Status::Pass,
        format!(
            "{} User and Group subject(s), none a shared account: {}",
            people.len(),
            name_list(people.iter())
        ),
        evidence_file(crate::snapshot::kinds::ROLE_BINDINGS, "", ""),
    );
    b.finish(Status::Pass, format!("Every User in a binding has a name of its own and none is a shared account; no powerful binding rests on group membership alone.{log_note} {not_judged}"), None)
}
