//! Pod Security Standards checks (SOC2 CC6.3, HIPAA 164.312(c)(1)): namespace labels, and
//! every pod and pod template evaluated with [`crate::controls::model::pss`].

use serde_json::Value;

use crate::controls::model::pss::{self, Level};
use crate::controls::util::{
    Builder, SYSTEM_NAMESPACES, WORKLOAD_KINDS, esc, evidence, evidence_file, kind_name, labels,
    name, namespace, pod_spec,
};
use crate::controls::{CheckDef, Ctx, REQUIRED};
use crate::findings::{CheckResult, Status};
use crate::snapshot::kinds::{NAMESPACES, PODS};

const ENFORCE: &str = "pod-security.kubernetes.io/enforce";

/// The checks of the `pss` family.
pub const CHECKS: &[&CheckDef] = &[&NAMESPACE_LABELS, &BASELINE, &RESTRICTED];

/// `pss.namespace-labels`: every application namespace enforces baseline or restricted.
pub const NAMESPACE_LABELS: CheckDef = CheckDef {
    id: "pss.namespace-labels",
    title: "Namespaces enforce a Pod Security Standard",
    resource: "Namespace labels (pod-security.kubernetes.io/*)",
    commands: &["kubectl get namespaces --show-labels"],
    requires: &[NAMESPACES],
    judges: "which Pod Security Standard namespaces enforce",
    reads: &[],
    run: namespace_labels,
};

fn namespace_labels(ctx: &Ctx, mut b: Builder) -> CheckResult {
    let nss = ctx.items(NAMESPACES).expect(REQUIRED);
    let mut skipped = Vec::new();
    let mut bad = 0;
    for ns in nss {
        let n = name(ns);
        if SYSTEM_NAMESPACES.contains(&n) {
            skipped.push(n);
            continue;
        }
        b.cmd(format!("kubectl get ns {n} --show-labels"));
        let l = labels(ns);
        let get = |mode: &str| {
            l.get(&format!("pod-security.kubernetes.io/{mode}"))
                .and_then(Value::as_str)
        };
        let version = l
            .get("pod-security.kubernetes.io/enforce-version")
            .and_then(Value::as_str)
            .unwrap_or("latest");
        let others: Vec<String> = ["audit", "warn"]
            .iter()
            .filter_map(|m| get(m).map(|v| format!("{m}={v}")))
            .collect();
        let others = if others.is_empty() {
            String::new()
        } else {
            format!(" ({})", others.join(", "))
        };
        let ptr = format!("/metadata/labels/{}", esc(ENFORCE));
        match get("enforce").map(|v| (v, Level::parse(v))) {
            None => {
                bad += 1;
                b.push(Status::Fail, format!("namespace {n} has no {ENFORCE} label: pods are admitted at the cluster default (privileged unless configured otherwise){others}"), evidence(NAMESPACES, ns, "/metadata/labels"));
            }
            Some((_, Some(Level::Privileged))) => {
                bad += 1;
                b.push(Status::Fail, format!("namespace {n} enforces `privileged`: no container restrictions apply{others}"), evidence(NAMESPACES, ns, ptr));
            }
            Some((v, None)) => {
                bad += 1;
                b.push(
                    Status::Fail,
                    format!("namespace {n} has an invalid enforce level {v:?}{others}"),
                    evidence(NAMESPACES, ns, ptr),
                );
            }
            Some((_, Some(level))) => {
                b.push(
                    Status::Pass,
                    format!(
                        "namespace {n} enforces {} (version {version}){others}",
                        level.as_str()
                    ),
                    evidence(NAMESPACES, ns, ptr),
                );
            }
        }
    }
    let note = if skipped.is_empty() {
        String::new()
    } else {
        format!(
            " System namespaces ({}) are not judged.",
            skipped.join(", ")
        )
    };
    let status = b.derived().unwrap_or(Status::NotApplicable);
    let explanation = match status {
        Status::Pass => format!(
            "Every application namespace enforces the baseline or restricted Pod Security Standard at admission.{note}"
        ),
        Status::NotApplicable => format!("There are no application namespaces.{note}"),
        _ => format!(
            "{bad} application namespace(s) enforce no Pod Security Standard or enforce `privileged`, so privileged containers, host namespaces and host paths are admitted there.{note}"
        ),
    };
    b.finish(status, explanation, Some("Label each namespace: `kubectl label ns NAME pod-security.kubernetes.io/enforce=restricted` (or baseline where restricted is not yet possible), after a dry run with `--dry-run=server`."))
}

const WORKLOADS_RESOURCE: &str = "Pods, Deployments, StatefulSets, DaemonSets, Jobs, CronJobs";
const WORKLOADS_COMMAND: &str =
    "kubectl get pods,deployments,statefulsets,daemonsets,jobs,cronjobs -A -o yaml";

/// `pss.baseline`.
pub const BASELINE: CheckDef = CheckDef {
    id: "pss.baseline",
    title: "Workloads meet the baseline Pod Security Standard",
    resource: WORKLOADS_RESOURCE,
    commands: &[WORKLOADS_COMMAND],
    requires: &[],
    judges: "whether workloads meet the baseline standard",
    // Walked one kind at a time: a later kind missing keeps what the earlier ones showed.
    reads: WORKLOAD_KINDS,
    run: |ctx, b| pods_against(ctx, b, Level::Baseline),
};

/// `pss.restricted`.
pub const RESTRICTED: CheckDef = CheckDef {
    id: "pss.restricted",
    title: "Workloads meet the restricted Pod Security Standard",
    resource: WORKLOADS_RESOURCE,
    commands: &[WORKLOADS_COMMAND],
    requires: &[],
    judges: "whether workloads meet the restricted standard",
    reads: WORKLOAD_KINDS,
    run: |ctx, b| pods_against(ctx, b, Level::Restricted),
};

fn pods_against(ctx: &Ctx, mut b: Builder, level: Level) -> CheckResult {
    let mut judged = 0;
    let mut bad = 0;
    let mut skipped = 0;
    for k in WORKLOAD_KINDS {
        let items = match ctx.objects(k) {
            Ok(i) => i,
            Err(e) => {
                // The other kinds are still judged: a failure seen is not hidden.
                b.missing(
                    &e,
                    &format!("whether workloads meet the {} standard", level.as_str()),
                );
                continue;
            }
        };
        for o in items {
            let o = &o;
            let ns = namespace(o).unwrap_or("");
            if SYSTEM_NAMESPACES.contains(&ns) {
                skipped += 1;
                continue;
            }
            let Some((meta, spec, ptr)) = pod_spec(k, o) else {
                continue;
            };
            judged += 1;
            let v = pss::check(meta, spec, level);
            if v.is_empty() {
                continue;
            }
            bad += 1;
            let first = &v[0];
            let pointer = if first.pointer.starts_with("/metadata") {
                format!("{}{}", ptr.trim_end_matches("/spec"), first.pointer)
            } else {
                format!("{ptr}{}", first.pointer)
            };
            let reasons: Vec<String> = v
                .iter()
                .map(|x| format!("{} ({})", x.message, x.check))
                .collect();
            b.push(
                Status::Fail,
                format!(
                    "{} {ns}/{} violates {}: {}",
                    kind_name(k),
                    name(o),
                    level.as_str(),
                    reasons.join("; ")
                ),
                evidence(k, o, pointer),
            );
            if *k == PODS {
                b.cmd(format!("kubectl get pod {} -n {ns} -o yaml", name(o)));
            }
        }
    }
    if bad == 0 && judged > 0 {
        b.push(
            Status::Pass,
            format!(
                "all {judged} application pods and pod templates meet {}",
                level.as_str()
            ),
            evidence_file(PODS, "", "/spec"),
        );
    }
    let sys = if skipped > 0 {
        format!(" {skipped} object(s) in system namespaces are not judged.")
    } else {
        String::new()
    };
    let status = b.derived().unwrap_or(Status::NotApplicable);
    let explanation = match status {
        Status::Pass => format!(
            "All {judged} application pods and pod templates meet the {} Pod Security Standard as pod-security-admission (v1.37) defines it.{sys}",
            level.as_str()
        ),
        Status::NotApplicable => format!("There are no application pods or pod templates.{sys}"),
        _ => format!(
            "{bad} of {judged} application pods and pod templates violate the {} Pod Security Standard (as pod-security-admission v1.37 defines it). Pods admitted before a namespace label was set keep running until recreated.{sys}",
            level.as_str()
        ),
    };
    b.finish(status, explanation, Some("Fix the listed securityContext fields in the workload's pod template and redeploy; then enforce the level on its namespace."))
}
