//! Pod Security Standards checks (SOC2 CC6.3, HIPAA 164.312(c)(1)): namespace labels, and
//! every pod and pod template evaluated with [`crate::controls::model::pss`].

use std::collections::HashMap;

use serde_json::Value;

use crate::controls::model::pss::{self, Level, Version};
use crate::controls::util::{
    Builder, SYSTEM_NAMESPACES, WORKLOAD_KINDS, esc, evidence, evidence_file, kind_name, labels,
    name, namespace, pod_spec,
};
use crate::controls::{CheckDef, Ctx, REQUIRED};
use crate::findings::{CheckResult, Status};
use crate::snapshot::kinds::{NAMESPACES, PODS};

const ENFORCE: &str = "pod-security.kubernetes.io/enforce";
const MODES: [&str; 3] = ["enforce", "audit", "warn"];

/// The policy version `latest` means: the cluster's own version (from the snapshot), or
/// the newest this engine knows when that is unknown.
fn cluster_version(ctx: &Ctx) -> Option<Version> {
    ctx.snap
        .source
        .kubernetes_version
        .as_deref()
        .and_then(Version::of_cluster)
}

/// The policy version a namespace's labels give a level: the `*-version` label of the
/// first mode (enforce, audit, warn) that names that level, else the enforce version;
/// `latest` when absent. `Err` holds an invalid label value (judged at `latest`, as
/// pod-security-admission does).
fn namespace_version(
    l: &serde_json::Map<String, Value>,
    level: Level,
    cluster: Option<Version>,
) -> Result<Version, String> {
    let get = |k: &str| {
        l.get(&format!("pod-security.kubernetes.io/{k}"))
            .and_then(Value::as_str)
    };
    let mode = MODES
        .iter()
        .find(|m| get(m) == Some(level.as_str()))
        .unwrap_or(&"enforce");
    match get(&format!("{mode}-version")) {
        None => Ok(Version::parse("latest", cluster).expect("latest parses")),
        Some(v) => Version::parse(v, cluster).ok_or_else(|| v.to_string()),
    }
}

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

/// Judges one application namespace's Pod Security labels; returns how many findings it
/// has (0 when it enforces baseline or restricted with valid labels).
fn judge_namespace_labels(
    ns: &Value,
    n: &str,
    cluster: Option<Version>,
    latest: Version,
    b: &mut Builder,
) -> usize {
    let mut bad = 0;
    b.cmd(format!("kubectl get ns {n} --show-labels"));
    let l = labels(ns);
    let get = |mode: &str| {
        l.get(&format!("pod-security.kubernetes.io/{mode}"))
            .and_then(Value::as_str)
    };
    let version = get("enforce-version").unwrap_or("latest");
    let bad_versions: Vec<String> = MODES
        .iter()
        .filter_map(|m| {
            let v = get(&format!("{m}-version"))?;
            Version::parse(v, cluster)
                .is_none()
                .then(|| format!("{m}-version={v:?}"))
        })
        .collect();
    if !bad_versions.is_empty() {
        bad += 1;
        b.push(
            Status::Fail,
            format!(
                "namespace {n} has an invalid policy version label ({}): pod-security-admission evaluates it as `latest` and reports an error; use `latest` or `v1.MINOR`",
                bad_versions.join(", ")
            ),
            evidence(NAMESPACES, ns, "/metadata/labels"),
        );
    }
    let others: Vec<String> = ["audit", "warn"]
        .iter()
        .filter_map(|m| {
            get(m).map(|v| match get(&format!("{m}-version")) {
                Some(ver) => format!("{m}={v}, {m}-version={ver}"),
                None => format!("{m}={v}"),
            })
        })
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
            b.push(
                Status::Fail,
                format!(
                    "namespace {n} enforces `privileged`: no container restrictions apply{others}"
                ),
                evidence(NAMESPACES, ns, ptr),
            );
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
            let resolved = match Version::parse(version, cluster) {
                Some(v) if version == "latest" => format!("latest = {}", v.label()),
                Some(v) if v < latest => {
                    format!(
                        "{version}, older than the cluster's {}: checks added since then are not enforced",
                        latest.label()
                    )
                }
                Some(_) => version.to_string(),
                None => format!(
                    "{version:?}, invalid: judged as latest = {}",
                    latest.label()
                ),
            };
            b.push(
                Status::Pass,
                format!(
                    "namespace {n} enforces {} (version {resolved}){others}",
                    level.as_str()
                ),
                evidence(NAMESPACES, ns, ptr),
            );
        }
    }
    bad
}

fn namespace_labels(ctx: &Ctx, mut b: Builder) -> CheckResult {
    let nss = ctx.items(NAMESPACES).expect(REQUIRED);
    let cluster = cluster_version(ctx);
    let latest = cluster.unwrap_or(Version::LATEST);
    let mut skipped = Vec::new();
    let mut bad = 0;
    for ns in nss {
        let n = name(ns);
        if SYSTEM_NAMESPACES.contains(&n) {
            skipped.push(n);
            continue;
        }
        bad += judge_namespace_labels(ns, n, cluster, latest, &mut b);
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
            "{bad} finding(s) on application namespaces: a namespace that enforces no Pod Security Standard or enforces `privileged` admits privileged containers, host namespaces and host paths; an invalid policy version label is an error pod-security-admission reports on every request.{note}"
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

/// One failing observation for a pod or template: every violated check with its reason,
/// evidence at the first violating field.
fn report_violations(
    b: &mut Builder,
    k: &crate::snapshot::KindInfo,
    o: &Value,
    ptr: &str,
    level: Level,
    version: Version,
    v: &[pss::Violation],
) {
    let ns = namespace(o).unwrap_or("");
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
            "{} {ns}/{} violates {} {}: {}",
            kind_name(k),
            name(o),
            level.as_str(),
            version.label(),
            reasons.join("; ")
        ),
        evidence(k, o, pointer),
    );
    if k == PODS {
        b.cmd(format!("kubectl get pod {} -n {ns} -o yaml", name(o)));
    }
}

fn pods_against(ctx: &Ctx, mut b: Builder, level: Level) -> CheckResult {
    let cluster = cluster_version(ctx);
    let latest = cluster.unwrap_or(Version::LATEST);
    // Each namespace's policy version for this level (its labels); namespaces not
    // collected, unlabelled or absent are judged at `latest`.
    let versions: HashMap<&str, Result<Version, String>> = ctx
        .items(NAMESPACES)
        .map(|nss| {
            nss.iter()
                .map(|ns| (name(ns), namespace_version(labels(ns), level, cluster)))
                .collect()
        })
        .unwrap_or_default();
    let mut older = 0;
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
            let version = match versions.get(ns) {
                Some(Ok(v)) => *v,
                _ => latest,
            };
            if version < latest {
                older += 1;
            }
            let v = pss::check_at(meta, spec, level, version);
            if v.is_empty() {
                continue;
            }
            bad += 1;
            report_violations(&mut b, k, o, ptr, level, version, &v);
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
    let mut sys = if skipped > 0 {
        format!(" {skipped} object(s) in system namespaces are not judged.")
    } else {
        String::new()
    };
    if older > 0 {
        sys.push_str(&format!(" {older} object(s) are in namespaces whose labels pin an older policy version than {}; they are judged at that version, so checks added since are not applied to them.", latest.label()));
    }
    let status = b.derived().unwrap_or(Status::NotApplicable);
    let explanation = match status {
        Status::Pass => format!(
            "All {judged} application pods and pod templates meet the {} Pod Security Standard as pod-security-admission defines it, each at its namespace's policy version (`latest` = {}).{sys}",
            level.as_str(),
            latest.label()
        ),
        Status::NotApplicable => format!("There are no application pods or pod templates.{sys}"),
        _ => format!(
            "{bad} of {judged} application pods and pod templates violate the {} Pod Security Standard (as pod-security-admission defines it, each at its namespace's policy version; `latest` = {}). Pods admitted before a namespace label was set keep running until recreated.{sys}",
            level.as_str(),
            latest.label()
        ),
    };
    b.finish(status, explanation, Some("Fix the listed securityContext fields in the workload's pod template and redeploy; then enforce the level on its namespace."))
}
