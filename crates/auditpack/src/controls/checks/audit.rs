//! Audit logging (SOC2 CC7.2, HIPAA 164.312(b)): the audit Policy (`audit.policy`), the
//! log backend and retention from the kube-apiserver's flags (`audit.log-backend`), and
//! the continuity of the period's audit events (`audit.log-continuity`). On a managed
//! cluster the log backend is judged from the cloud's description (`--cloud-evidence`).

use std::collections::BTreeMap;

use crate::controls::model::apiserver::{
    APISERVER_CMD, ApiServers, Instance, apiservers, flag_ptr,
};
use crate::controls::model::audit::{AuditRequest, audit_level};
use crate::controls::util::{Builder, arr, evidence, evidence_file, str_at};
use crate::controls::{CheckDef, Ctx};
use crate::findings::{CheckResult, EvidenceRef, Status};
use crate::snapshot::kinds::PODS;
use crate::snapshot::{CloudEvidence, CloudProvider, EvidenceFile};

/// The ordinary user the audit policy is asked about: someone no rule names specifically.
const PROBE_USER: &str = "someone@example.com";

/// The checks of the `audit` family.
pub const CHECKS: &[&CheckDef] = &[&POLICY, &LOG_BACKEND, &LOG_CONTINUITY];

/// `audit.policy`: the audit Policy logs Secrets at Metadata, RBAC changes at
/// RequestResponse, and everything else through a catch-all rule.
pub const POLICY: CheckDef = CheckDef {
    id: "audit.policy",
    title: "Audit policy covers sensitive operations",
    resource: "audit Policy (kube-apiserver --audit-policy-file)",
    commands: &[APISERVER_CMD],
    requires: &[],
    judges: "what the audit policy logs",
    // The audit Policy file is the evidence; the kube-apiserver pod adds to it.
    reads: &[PODS],
    run: audit_policy,
};

fn audit_policy(ctx: &Ctx, b: Builder) -> CheckResult {
    let Some(pf) = &ctx.snap.audit_policy else {
        return no_policy_file(ctx, b);
    };
    policy_coverage(ctx, b, pf)
}

/// No audit Policy supplied: what the kube-apiserver's flags (if visible) say instead.
fn no_policy_file(ctx: &Ctx, mut b: Builder) -> CheckResult {
    b.cmd("cat /etc/kubernetes/audit-policy.yaml  # on a control-plane node, then: auditpack collect --audit-policy FILE");
    match apiservers(ctx) {
        ApiServers::Visible(all) => {
            let n = all.len();
            let mut paths = Vec::new();
            for api in &all {
                let pod = &api.pod;
                match api.flags.get("audit-policy-file") {
                    Some(path) => {
                        b.push(Status::Partial, format!("{} is started with --audit-policy-file={path}, but the policy was not supplied", who(api, n)), evidence(PODS, pod, flag_ptr(pod, "audit-policy-file")));
                        paths.push(path.clone());
                    }
                    None => b.push(Status::Fail, format!("{} runs without --audit-policy-file: no API request it serves is audited", who(api, n)), evidence(PODS, pod, "/spec/containers/0/command")),
                }
            }
            if b.derived() == Some(Status::Fail) {
                let short = short_of(&b, &all);
                let which = if n > 1 {
                    format!(
                        " ({} of the {n} kube-apiservers: {})",
                        short.len(),
                        short.join(", ")
                    )
                } else {
                    String::new()
                };
                return b.finish(Status::Fail, format!("The API server runs without an audit policy{which}, so the requests it serves are not recorded: changes to the cluster cannot be traced to who made them."), Some("Write an audit Policy and start every kube-apiserver with --audit-policy-file and --audit-log-path (or a webhook backend)."));
            }
            paths.dedup();
            b.finish(Status::Partial, format!("The API server has an audit policy ({}), but without the file it cannot be shown what it logs.", paths.join(", ")), Some("Supply the policy with `auditpack collect --audit-policy FILE`."))
        }
        ApiServers::NotCollected => {
            b.push(
                Status::NotCollected,
                "no audit policy supplied and pods not collected",
                evidence_file("Policy", "", ""),
            );
            b.finish(Status::NotCollected, "No audit policy was supplied and the control plane was not collected, so audit coverage cannot be judged.", Some("Supply the policy with `--audit-policy`."))
        }
        ApiServers::NotVisible => {
            b.push(Status::Manual, "the control plane is not visible (managed cluster) and no audit policy was supplied", evidence_file("Policy", "", ""));
            b.finish(Status::Manual, "The control plane is not visible (managed Kubernetes). The provider's audit logging (what it records and where) must be attested.", Some("Attach the provider's audit-log settings, e.g. EKS control-plane logging `audit` enabled, GKE Cloud Audit Logs, AKS diagnostic settings `kube-audit`."))
        }
    }
}

/// The supplied audit Policy, asked about Secrets, RBAC changes and a catch-all rule.
fn policy_coverage(ctx: &Ctx, mut b: Builder, pf: &EvidenceFile) -> CheckResult {
    let doc = &pf.document;
    if str_at(doc, "/kind") != Some("Policy") {
        b.push(
            Status::Fail,
            format!(
                "{} is not an audit Policy (kind {:?})",
                pf.path,
                str_at(doc, "/kind").unwrap_or("")
            ),
            policy_ref(pf, "/kind".into()),
        );
        return b.finish(
            Status::Fail,
            "The supplied audit policy is not an audit.k8s.io Policy document.",
            Some("Supply the file named by kube-apiserver's --audit-policy-file."),
        );
    }
    secrets_at_metadata(&mut b, pf);
    rbac_at_request_response(&mut b, pf);
    catch_all(&mut b, pf);
    policy_in_use(ctx, &mut b, pf);
    let status = b.derived().unwrap_or(Status::Fail);
    let explanation = match status {
        Status::Pass => format!(
            "The audit policy ({}) logs Secrets at Metadata only, RBAC changes at RequestResponse, and everything else through a catch-all rule (rules are matched in order; the first match decides).",
            pf.path
        ),
        _ if b
            .observations
            .iter()
            .all(|o| o.status != Status::Fail || o.evidence.kind == PODS.key) =>
        {
            format!(
                "The audit policy ({}) is not applied by every kube-apiserver: the requests those serve are not audited; see the observations.",
                pf.path
            )
        }
        _ => format!(
            "The audit policy ({}) leaves gaps (rules are matched in order and the first match decides; a request no rule matches is not logged); see the observations.",
            pf.path
        ),
    };
    b.finish(status, explanation, Some("Order the rules: Secrets (and ConfigMaps) at Metadata first, RBAC resources at RequestResponse, noisy read-only endpoints at None, and end with a catch-all `- level: Metadata`."))
}

/// Whether every visible kube-apiserver reads an audit policy: one that runs without
/// `--audit-policy-file` does not apply the supplied policy (nor any). Nothing is added when
/// no apiserver is visible (a managed control plane), where the file is the only evidence.
fn policy_in_use(ctx: &Ctx, b: &mut Builder, pf: &EvidenceFile) {
    let ApiServers::Visible(all) = apiservers(ctx) else {
        return;
    };
    let n = all.len();
    for api in &all {
        let pod = &api.pod;
        match api.flags.get("audit-policy-file") {
            Some(path) => b.push(Status::Pass, format!("{} is started with --audit-policy-file={path} (that this is the supplied {} rests on whoever supplied it)", who(api, n), pf.path), evidence(PODS, pod, flag_ptr(pod, "audit-policy-file"))),
            None => b.push(Status::Fail, format!("{} runs without --audit-policy-file, so the supplied policy is not applied to the requests it serves", who(api, n)), evidence(PODS, pod, "/spec/containers/0/command")),
        }
    }
}

/// Evidence at `ptr` in the audit Policy file.
fn policy_ref(pf: &EvidenceFile, ptr: String) -> EvidenceRef {
    evidence_file("Policy", &pf.path, ptr)
}

/// The pointer to rule `i`, or to the rules list when no rule matched.
fn rule_ptr(i: Option<usize>) -> String {
    i.map_or("/rules".to_string(), |i| format!("/rules/{i}"))
}

/// `rule i`, or `no rule matches`.
fn rule_text(i: Option<usize>) -> String {
    i.map_or("no rule matches".to_string(), |i| format!("rule {i}"))
}

/// The level the policy logs `verb` on `resource` at for the probe user, and the rule that
/// decides it.
fn level_for(
    doc: &serde_json::Value,
    verb: &str,
    resource: (&str, &str, &str, &str),
) -> (String, Option<usize>) {
    let groups = ["system:authenticated"];
    let req = AuditRequest {
        user: PROBE_USER,
        groups: &groups,
        verb,
        resource: Some(resource),
        path: "",
    };
    audit_level(doc, &req)
}

/// Secrets: every verb at Metadata, never more, never less.
fn secrets_at_metadata(b: &mut Builder, pf: &EvidenceFile) {
    let mut bad_secrets = Vec::new();
    let mut secret_rule = None;
    for verb in [
        "get", "list", "watch", "create", "update", "patch", "delete",
    ] {
        let (level, i) = level_for(
            &pf.document,
            verb,
            ("", "secrets", "production", "db-password"),
        );
        secret_rule = secret_rule.or(i);
        if level != "Metadata" {
            bad_secrets.push((verb, level, i));
        }
    }
    if bad_secrets.is_empty() {
        b.push(Status::Pass, format!("every operation on Secrets is logged at Metadata (who, what, when; never the Secret's content) by rule {}", secret_rule.map_or("?".into(), |i| i.to_string())), policy_ref(pf, rule_ptr(secret_rule)));
        return;
    }
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
                rule_text(i)
            ),
            policy_ref(pf, rule_ptr(i)),
        );
    }
}

/// RBAC changes at RequestResponse: one observation per (level, rule), naming the
/// operations it decides.
fn rbac_at_request_response(b: &mut Builder, pf: &EvidenceFile) {
    let mut rbac_levels = BTreeMap::new();
    for res in [
        "roles",
        "rolebindings",
        "clusterroles",
        "clusterrolebindings",
    ] {
        let ns = if res.starts_with("cluster") {
            ""
        } else {
            "production"
        };
        for verb in ["create", "update", "patch", "delete"] {
            let (level, i) = level_for(
                &pf.document,
                verb,
                ("rbac.authorization.k8s.io", res, ns, "x"),
            );
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
            format!("{ops}: logged at {level} ({}): {what}", rule_text(i)),
            policy_ref(pf, rule_ptr(i)),
        );
    }
}

/// A catch-all rule (one that names nothing) logs what no earlier rule names.
fn catch_all(b: &mut Builder, pf: &EvidenceFile) {
    let doc = &pf.document;
    let rules = arr(doc, "/rules");
    let catch_all = rules.iter().position(|r| {
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
        Some(i) if str_at(&rules[i], "/level") != Some("None") => {
            b.push(Status::Pass, format!("rule {i} is a catch-all at {}: requests no earlier rule names are still logged", str_at(&rules[i], "/level").unwrap_or("")), policy_ref(pf, format!("/rules/{i}")));
        }
        Some(i) => {
            b.push(Status::Fail, format!("rule {i} is a catch-all at level None: every request no earlier rule names is dropped"), policy_ref(pf, format!("/rules/{i}")));
        }
        None => {
            let (level, _) = level_for(doc, "create", ("apps", "deployments", "production", "x"));
            b.push(Status::Fail, format!("no catch-all rule: requests that match no rule are not logged (for example `create deployments` is logged at {level}, and so are exec into pods and namespace deletion)"), policy_ref(pf, "/rules".into()));
        }
    }
}

/// `audit.log-backend`: the API server writes audit logs somewhere, with stated retention.
pub const LOG_BACKEND: CheckDef = CheckDef {
    id: "audit.log-backend",
    title: "Audit log backend and retention",
    resource: "kube-apiserver --audit-log-* / --audit-webhook-* flags",
    commands: &[APISERVER_CMD],
    requires: &[],
    judges: "where audit logs go",
    // Pods not collected and no kube-apiserver pod (managed) are told apart here.
    reads: &[PODS],
    run: log_backend,
};

fn log_backend(ctx: &Ctx, mut b: Builder) -> CheckResult {
    let api = apiservers(ctx);
    if !matches!(api, ApiServers::Visible(..)) && !ctx.snap.cloud_evidence.is_empty() {
        return cloud_log_backend(ctx, b);
    }
    match api {
        ApiServers::NotCollected => {
            b.push(
                Status::NotCollected,
                "pods were not collected, so the kube-apiserver flags are unknown",
                evidence_file(PODS, "", ""),
            );
            b.finish(Status::NotCollected, "Pods were not collected, so where audit logs go and how long they are kept cannot be judged.", Some("Collect pods in kube-system."))
        }
        ApiServers::NotVisible => {
            b.push(
                Status::Manual,
                "no kube-apiserver pod is visible (managed control plane)",
                evidence_file(PODS, "", ""),
            );
            b.finish(Status::Manual, "The control plane is not visible (managed Kubernetes): where audit logs are delivered and how long they are retained must be attested by the platform owner.", Some("Attach the provider's log destination and retention settings (e.g. CloudWatch log group retention for EKS)."))
        }
        ApiServers::Visible(all) => {
            for api in &all {
                backend_of(&mut b, api, all.len());
            }
            let status = b.derived().unwrap_or(Status::Fail);
            let short = short_of(&b, &all);
            let explanation = match status {
                Status::Pass => format!(
                    "The API server writes audit events to a log backend with a stated retention: {}.",
                    b.observations
                        .iter()
                        .map(|o| o.message.as_str())
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
                _ if all.len() > 1 => format!(
                    "The audit backend or retention falls short on {} of the {} kube-apiservers ({}): a request served by one of them is not recorded as the others record it; see the observations.",
                    short.len(),
                    all.len(),
                    short.join(", ")
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

/// Who an observation is about: `kube-apiserver`, or `kube-apiserver pod NAME` when the
/// control plane runs several.
pub(crate) fn who(api: &Instance, count: usize) -> String {
    if count > 1 {
        format!("kube-apiserver pod {}", api.name())
    } else {
        "kube-apiserver".to_string()
    }
}

/// The names of the apiservers with a non-passing observation.
pub(crate) fn short_of(b: &Builder, all: &[Instance]) -> Vec<String> {
    all.iter()
        .filter(|a| {
            b.observations
                .iter()
                .any(|o| o.status != Status::Pass && o.evidence.name == a.name())
        })
        .map(|a| a.name().to_string())
        .collect()
}

/// The audit backend and retention of one kube-apiserver.
fn backend_of(b: &mut Builder, api: &Instance, count: usize) {
    let (pod, flags) = (&api.pod, &api.flags);
    let who = who(api, count);
    let path = flags.get("audit-log-path");
    let webhook = flags.get("audit-webhook-config-file");
    match (path, webhook) {
        (None, None) => b.push(Status::Fail, format!("{who} has neither --audit-log-path nor --audit-webhook-config-file: audit events are not written anywhere"), evidence(PODS, pod, "/spec/containers/0/command")),
        (p, w) => {
            if let Some(w) = w {
                b.push(Status::Pass, format!("{}audit events are sent to a webhook backend ({w})", prefix(&who, count)), evidence(PODS, pod, flag_ptr(pod, "audit-webhook-config-file")));
            }
            if let Some(p) = p {
                if p == "-" {
                    b.push(Status::Partial, format!("{}audit events go to the API server's standard output; retention depends on the node's log shipping, which is not visible", prefix(&who, count)), evidence(PODS, pod, flag_ptr(pod, "audit-log-path")));
                } else {
                    b.push(Status::Pass, format!("{}audit events are written to {p}", prefix(&who, count)), evidence(PODS, pod, flag_ptr(pod, "audit-log-path")));
                    match flags.get("audit-log-maxage") {
                        Some(age) => {
                            let extra: Vec<String> = ["audit-log-maxbackup", "audit-log-maxsize"].iter().filter_map(|f| flags.get(*f).map(|v| format!("--{f}={v}"))).collect();
                            b.push(Status::Pass, format!("{}rotated files are kept for {age} days on the node{}; retention beyond that depends on shipping the logs elsewhere, which is not visible here", prefix(&who, count), if extra.is_empty() { String::new() } else { format!(" ({})", extra.join(", ")) }), evidence(PODS, pod, flag_ptr(pod, "audit-log-maxage")));
                        }
                        None if webhook.is_none() => b.push(Status::Partial, format!("{}no --audit-log-maxage: how long audit logs are kept is not stated", prefix(&who, count)), evidence(PODS, pod, flag_ptr(pod, "audit-log-path"))),
                        None => {}
                    }
                }
            }
        }
    }
}

/// `kube-apiserver pod NAME: ` before a sentence when there are several apiservers.
fn prefix(who: &str, count: usize) -> String {
    if count > 1 {
        format!("{who}: ")
    } else {
        String::new()
    }
}

/// `audit.log-continuity`: audit events were recorded throughout the period, with no gaps.
pub const LOG_CONTINUITY: CheckDef = CheckDef {
    id: "audit.log-continuity",
    title: "Audit logs present and continuous",
    resource: "audit-log summary (auditpack auditlog)",
    commands: &[
        "auditpack auditlog AUDIT-LOG-FILES...  # the summary of the period's audit events",
    ],
    requires: &[],
    judges: "whether audit events were recorded throughout the period",
    reads: &[],
    run: log_continuity,
};

fn log_continuity(ctx: &Ctx, mut b: Builder) -> CheckResult {
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

/// Whether a diagnostic-settings log entry carries the AKS audit categories.
fn is_aks_audit(l: &serde_json::Value) -> Option<&'static str> {
    match (str_at(l, "/category"), str_at(l, "/categoryGroup")) {
        (Some(c), _) if c.eq_ignore_ascii_case("kube-audit") => Some("kube-audit (every request)"),
        (Some(c), _) if c.eq_ignore_ascii_case("kube-audit-admin") => {
            Some("kube-audit-admin (every request but get and list)")
        }
        (_, Some(g)) if g.eq_ignore_ascii_case("audit") || g.eq_ignore_ascii_case("allLogs") => {
            Some("the audit category group (kube-audit, kube-audit-admin)")
        }
        _ => None,
    }
}

/// Where an AKS diagnostic setting sends its logs.
fn destination(setting: &serde_json::Value) -> String {
    let mut to = Vec::new();
    if let Some(w) = str_at(setting, "/workspaceId") {
        to.push(format!(
            "Log Analytics workspace {}",
            w.rsplit('/').next().unwrap_or(w)
        ));
    }
    if let Some(a) = str_at(setting, "/storageAccountId") {
        to.push(format!(
            "storage account {}",
            a.rsplit('/').next().unwrap_or(a)
        ));
    }
    if let Some(h) = str_at(setting, "/eventHubName") {
        to.push(format!("event hub {h}"));
    }
    if to.is_empty() {
        "no destination stated".into()
    } else {
        to.join(" and ")
    }
}

/// The audit-log backend from a managed cluster's cloud description (`--cloud-evidence`).
/// Evidence at `ptr` in a cloud description file.
fn cloud_at(e: &CloudEvidence, ptr: &str) -> crate::findings::EvidenceRef {
    evidence_file("CloudEvidence", &e.path, ptr)
}

/// EKS: `audit` among the enabled control-plane log types.
fn eks_log_backend(e: &CloudEvidence, b: &mut Builder) {
    let name = str_at(&e.document, "/cluster/name").unwrap_or("NAME");
    let entries = arr(&e.document, "/cluster/logging/clusterLogging");
    let enabled = entries.iter().position(|l| {
        l.get("enabled").and_then(serde_json::Value::as_bool) == Some(true)
            && arr(l, "/types").iter().any(|t| t.as_str() == Some("audit"))
    });
    match enabled {
        Some(i) => {
            b.push(Status::Pass, format!("EKS control-plane logging has `audit` enabled: audit events go to CloudWatch Logs, log group /aws/eks/{name}/cluster"), cloud_at(e, &format!("/cluster/logging/clusterLogging/{i}")));
            b.push(Status::Partial, format!("how long they are kept is the retention of log group /aws/eks/{name}/cluster (CloudWatch keeps logs for ever unless a retention is set), which this file does not show"), cloud_at(e, &format!("/cluster/logging/clusterLogging/{i}")));
            b.cmd(format!("aws logs describe-log-groups --log-group-name-prefix /aws/eks/{name}/cluster --query 'logGroups[].[logGroupName,retentionInDays]'"));
        }
        None => {
            let ptr = entries
                .iter()
                .position(|l| arr(l, "/types").iter().any(|t| t.as_str() == Some("audit")))
                .map_or("/cluster/logging".to_string(), |i| {
                    format!("/cluster/logging/clusterLogging/{i}")
                });
            b.push(Status::Fail, format!("EKS cluster {name} has control-plane logging of `audit` disabled: the API server's audit events are not delivered anywhere the account can read them"), cloud_at(e, &ptr));
        }
    }
}

/// GKE: Admin Activity audit logs are always on; API server logs when enabled.
fn gke_log_backend(e: &CloudEvidence, b: &mut Builder) {
    let name = str_at(&e.document, "/name").unwrap_or("the cluster");
    b.push(Status::Pass, format!("GKE cluster {name}: Admin Activity audit logs (every request that changes the cluster, including RBAC and workload changes) are always written to Cloud Audit Logs and kept 400 days in the project's _Required bucket; Google does not let them be turned off or shortened"), cloud_at(e, ""));
    let components = arr(
        &e.document,
        "/loggingConfig/componentConfig/enableComponents",
    );
    if components.iter().any(|c| c.as_str() == Some("APISERVER")) {
        b.push(Status::Pass, "API server component logs are also sent to Cloud Logging (loggingConfig enables APISERVER)", cloud_at(e, "/loggingConfig/componentConfig/enableComponents"));
    }
}

/// AKS: audit logs only through diagnostic settings with a kube-audit category.
fn aks_log_backend(
    cluster: Option<&CloudEvidence>,
    diagnostics: Option<&CloudEvidence>,
    b: &mut Builder,
) {
    match diagnostics {
        None => {
            let e = cluster.expect("a cloud description");
            b.push(Status::Manual, "AKS writes audit logs only through diagnostic settings of the cluster resource, and none were supplied", cloud_at(e, ""));
            b.cmd(CloudProvider::AksDiagnosticSettings.command());
        }
        Some(d) => {
            let mut disabled = Vec::new();
            for (i, setting) in arr(&d.document, "/value").iter().enumerate() {
                let sname = str_at(setting, "/name").unwrap_or("?");
                for (j, l) in arr(setting, "/logs").iter().enumerate() {
                    let Some(what) = is_aks_audit(l) else {
                        continue;
                    };
                    let ptr = format!("/value/{i}/logs/{j}");
                    if l.get("enabled").and_then(serde_json::Value::as_bool) != Some(true) {
                        disabled.push((format!("{sname}: {what}"), ptr));
                        continue;
                    }
                    b.push(
                        Status::Pass,
                        format!(
                            "diagnostic setting {sname} sends {what} to {}",
                            destination(setting)
                        ),
                        cloud_at(d, &ptr),
                    );
                    let days = l
                        .pointer("/retentionPolicy/days")
                        .and_then(serde_json::Value::as_u64);
                    let kept = l
                        .pointer("/retentionPolicy/enabled")
                        .and_then(serde_json::Value::as_bool)
                        == Some(true);
                    match days {
                        Some(n) if kept && n > 0 => b.push(Status::Pass, format!("diagnostic setting {sname} keeps them {n} days"), cloud_at(d, &format!("{ptr}/retentionPolicy"))),
                        _ => b.push(Status::Partial, format!("diagnostic setting {sname} states no retention: how long they are kept is set at the destination ({}), which this file does not show", destination(setting)), cloud_at(d, &ptr)),
                    }
                }
            }
            if b.observations.is_empty() {
                match disabled.first() {
                    Some((_, ptr)) => {
                        let names: Vec<&str> = disabled.iter().map(|(n, _)| n.as_str()).collect();
                        b.push(Status::Fail, format!("every audit category of the diagnostic settings is disabled ({}): the API server's audit events are not kept", names.join("; ")), cloud_at(d, ptr));
                    }
                    None => b.push(Status::Fail, "no diagnostic setting sends kube-audit or kube-audit-admin: the API server's audit events are not kept", cloud_at(d, "/value")),
                }
            }
        }
    }
}

fn cloud_log_backend(ctx: &Ctx, mut b: Builder) -> CheckResult {
    let cloud = &ctx.snap.cloud_evidence;
    let cluster = cloud.iter().find(|e| e.provider.is_cluster());
    let diagnostics = cloud
        .iter()
        .find(|e| e.provider == CloudProvider::AksDiagnosticSettings);
    for e in cloud {
        b.cmd(e.provider.command());
    }
    match cluster.map(|e| e.provider) {
        Some(CloudProvider::Eks) => eks_log_backend(cluster.expect("matched"), &mut b),
        Some(CloudProvider::Gke) => gke_log_backend(cluster.expect("matched"), &mut b),
        _ => aks_log_backend(cluster, diagnostics, &mut b),
    }
    let status = b.derived().unwrap_or(Status::Fail);
    let files: Vec<&str> = cloud.iter().map(|e| e.path.as_str()).collect();
    let explanation = format!(
        "The control plane is managed by the provider; its description ({}) is the evidence: {}.",
        files.join(", "),
        b.observations
            .iter()
            .map(|o| o.message.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    );
    b.finish(status, explanation, Some("Turn on the provider's audit logging and state its retention: EKS `aws eks update-cluster-config --logging '{\"clusterLogging\":[{\"types\":[\"audit\"],\"enabled\":true}]}'` and a log-group retention; AKS a diagnostic setting with kube-audit (or kube-audit-admin) to a workspace with a stated retention."))
}
