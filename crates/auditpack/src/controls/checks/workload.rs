//! Workload hygiene, as the CIS Kubernetes Benchmark (section 5) and the peers (Checkov,
//! Prowler) check it: resource requests and limits, a read-only root filesystem, health
//! probes, host ports, the `NET_RAW` capability, container-runtime sockets, mutable image
//! tags and workloads in the `default` namespace. One check id per item (`workload.*`);
//! every pod and pod template outside the system namespaces is judged, and each
//! observation names the object and the container.
//!
//! Where the Pod Security Standards already judge a thing, the PSS model is reused
//! (`workload.host-port` is baseline's `hostPorts` rule); restricted's "drop ALL" implies
//! `workload.net-raw` passes, but the check stands alone so that clusters which do not
//! enforce restricted still see this one capability judged.

use std::collections::HashMap;

use serde_json::Value;

use crate::controls::model::pss::{self, Level, Version};
use crate::controls::util::{
    Builder, SYSTEM_NAMESPACES, WORKLOAD_KINDS, arr, at, bool_at, evidence, evidence_file,
    kind_name, name, namespace, pod_spec, str_at, strs,
};
use crate::controls::{CheckDef, Ctx};
use crate::findings::{CheckResult, EvidenceRef, Status};
use crate::snapshot::kinds::{CRON_JOBS, JOBS, PODS};
use crate::snapshot::{KindInfo, NotCollected};

/// The checks of the `workload` family.
pub const CHECKS: &[&CheckDef] = &[
    &RESOURCES,
    &READ_ONLY_ROOT,
    &PROBES,
    &HOST_PORT,
    &NET_RAW,
    &RUNTIME_SOCKET,
    &IMAGE_TAG,
    &DEFAULT_NAMESPACE,
];

/// The specs of this family's checks, judged in the evaluation's one walk.
pub(crate) const SPECS: &[&Hygiene] = &[
    &RESOURCES_SPEC,
    &READ_ONLY_SPEC,
    &PROBES_SPEC,
    &HOST_PORT_SPEC,
    &NET_RAW_SPEC,
    &SOCKET_SPEC,
    &IMAGE_TAG_SPEC,
    &DEFAULT_NS_SPEC,
];

const RESOURCE: &str = "Pods, Deployments, StatefulSets, DaemonSets, Jobs, CronJobs";
pub(super) const COMMAND: &str =
    "kubectl get pods,deployments,statefulsets,daemonsets,jobs,cronjobs -A -o yaml";

/// One pod or pod template reached by the walk of [`Scan::build`].
pub(crate) struct Workload<'a> {
    /// Its kind.
    pub kind: &'static KindInfo,
    /// The whole object.
    pub obj: &'a Value,
    /// The pod metadata (the template's for a workload).
    pub meta: &'a Value,
    /// The pod spec.
    pub spec: &'a Value,
    /// JSON pointer from the object to the pod spec.
    pub ptr: &'static str,
}

impl Workload<'_> {
    /// `Deployment production/api`.
    pub fn display(&self) -> String {
        format!(
            "{} {}/{}",
            kind_name(self.kind),
            namespace(self.obj).unwrap_or(""),
            name(self.obj)
        )
    }
}

/// The containers of a pod spec in the given lists (`containers`, `initContainers`,
/// `ephemeralContainers`), each with its pointer under the spec.
pub(super) fn containers<'a>(spec: &'a Value, lists: &[&str]) -> Vec<(String, &'a Value)> {
    let mut out = Vec::new();
    for field in lists {
        for (i, c) in arr(spec, &format!("/{field}")).iter().enumerate() {
            if !c.is_null() {
                out.push((format!("/{field}/{i}"), c));
            }
        }
    }
    out
}

/// Every container list.
pub(super) const ALL_CONTAINERS: &[&str] = &["containers", "initContainers", "ephemeralContainers"];
/// The containers that run with the pod (ephemeral debug containers excluded).
const RUNNING: &[&str] = &["containers", "initContainers"];

/// A container's name.
pub(super) fn cname(c: &Value) -> &str {
    str_at(c, "/name").unwrap_or("?")
}

/// One thing found wrong in a pod or template: where (under the pod spec), and what.
pub(crate) struct Found {
    /// JSON pointer under the pod spec.
    pub pointer: String,
    /// What is wrong, naming the container.
    pub message: String,
}

/// A check judged on every pod and pod template (this family's and `secrets.*`): how it
/// judges one, and its wording. Every such check is listed in
/// [`SCANNED`](super::SCANNED), and all of them are judged in one walk over the workloads
/// per evaluation ([`Scan`]): the workload kinds are the bulk of a large cluster.
pub(crate) struct Hygiene {
    /// The check's id.
    pub id: &'static str,
    /// What cannot be judged when a kind is missing.
    pub judges: &'static str,
    /// Whether a pod or template is outside the check's scope (batch pods for probes).
    pub out_of_scope: fn(&Workload) -> bool,
    /// What is wrong with it; empty when it passes.
    pub judge: fn(&Workload) -> Vec<Found>,
    /// `set CPU and memory requests and limits on every container`.
    pub pass: &'static str,
    /// `leave a container without CPU or memory requests or limits`.
    pub fail: &'static str,
    /// Why it matters.
    pub risk: &'static str,
    /// What to do.
    pub remediation: &'static str,
}

/// What the one walk found for one check.
#[derive(Default)]
struct Judged {
    judged: usize,
    out_of_scope: usize,
    bad: usize,
    found: Vec<(String, EvidenceRef)>,
    commands: Vec<String>,
}

/// What one walk over the pods and pod templates found, for every check of
/// [`SCANNED`](super::SCANNED); built once per evaluation by
/// [`Ctx::workload_scan`](crate::controls::Ctx::workload_scan).
pub(crate) struct Scan {
    missing: Vec<NotCollected>,
    skipped: usize,
    checks: HashMap<&'static str, Judged>,
}

impl Scan {
    /// Walks the workloads once, judging each pod and template by every check of `specs`.
    pub(crate) fn build(ctx: &Ctx, specs: &[&'static Hygiene]) -> Scan {
        let mut checks: HashMap<&'static str, Judged> =
            specs.iter().map(|h| (h.id, Judged::default())).collect();
        let mut missing = Vec::new();
        let mut skipped = 0;
        for k in WORKLOAD_KINDS {
            let items = match ctx.objects(k) {
                Ok(i) => i,
                Err(e) => {
                    missing.push(e);
                    continue;
                }
            };
            for o in items {
                if SYSTEM_NAMESPACES.contains(&namespace(&o).unwrap_or("")) {
                    skipped += 1;
                    continue;
                }
                let Some((meta, spec, ptr)) = pod_spec(k, &o) else {
                    continue;
                };
                let w = Workload {
                    kind: k,
                    obj: &o,
                    meta,
                    spec,
                    ptr,
                };
                for h in specs {
                    let j = checks.get_mut(h.id).expect("every spec has an entry");
                    if (h.out_of_scope)(&w) {
                        j.out_of_scope += 1;
                        continue;
                    }
                    j.judged += 1;
                    let found = (h.judge)(&w);
                    if found.is_empty() {
                        continue;
                    }
                    j.bad += 1;
                    for f in found {
                        j.found.push((
                            format!("{}: {}", w.display(), f.message),
                            evidence(w.kind, w.obj, format!("{}{}", w.ptr, f.pointer)),
                        ));
                    }
                    if w.kind == PODS {
                        j.commands.push(format!(
                            "kubectl get pod {} -n {} -o yaml",
                            name(w.obj),
                            namespace(w.obj).unwrap_or("")
                        ));
                    }
                }
            }
        }
        Scan {
            missing,
            skipped,
            checks,
        }
    }
}

fn never(_: &Workload) -> bool {
    false
}

/// Runs a check of [`SCANNED`](super::SCANNED) from the evaluation's one walk.
pub(super) fn run(ctx: &Ctx, mut b: Builder, h: &Hygiene) -> CheckResult {
    let scan = ctx.workload_scan();
    for e in &scan.missing {
        b.missing(e, h.judges);
    }
    let j = scan
        .checks
        .get(h.id)
        .expect("every check run from the scan is in SCANNED");
    for (message, evidence) in &j.found {
        b.push(Status::Fail, message.clone(), evidence.clone());
    }
    for c in &j.commands {
        b.cmd(c.clone());
    }
    let (judged, bad) = (j.judged, j.bad);
    if bad == 0 && judged > 0 {
        b.push(
            Status::Pass,
            format!("all {judged} application pods and pod templates {}", h.pass),
            evidence_file(PODS, "", "/spec"),
        );
    }
    let mut note = String::new();
    if scan.skipped > 0 {
        note.push_str(&format!(
            " {} object(s) in system namespaces are not judged.",
            scan.skipped
        ));
    }
    if j.out_of_scope > 0 {
        note.push_str(&format!(
            " {} object(s) are outside this check's scope (see docs/controls.md).",
            j.out_of_scope
        ));
    }
    let status = b.derived().unwrap_or(Status::NotApplicable);
    let explanation = match status {
        Status::Pass => format!(
            "All {judged} application pods and pod templates {}.{note}",
            h.pass
        ),
        Status::NotApplicable => {
            format!("There are no application pods or pod templates in this check's scope.{note}")
        }
        _ => format!(
            "{bad} of {judged} application pods and pod templates {}. {}{note}",
            h.fail, h.risk
        ),
    };
    b.finish(status, explanation, Some(h.remediation))
}

/// Defines the `CheckDef` of a check of [`SCANNED`](super::SCANNED).
macro_rules! hygiene_check {
    ($(#[$doc:meta])* $name:ident, $title:literal, $resource:expr, $spec:path) => {
        $(#[$doc])*
        pub const $name: CheckDef = CheckDef {
            id: $spec.id,
            title: $title,
            resource: $resource,
            commands: &[COMMAND],
            requires: &[],
            judges: $spec.judges,
            // Walked one kind at a time: a later kind missing keeps what the earlier ones showed.
            reads: WORKLOAD_KINDS,
            run: |ctx, b| run(ctx, b, &$spec),
        };
    };
}
pub(super) use hygiene_check;

// ---- workload.resources ----------------------------------------------------------------

hygiene_check!(
    /// `workload.resources`: every container sets CPU and memory requests and limits.
    RESOURCES,
    "Containers set CPU and memory requests and limits",
    RESOURCE,
    RESOURCES_SPEC
);

pub(crate) const RESOURCES_SPEC: Hygiene = Hygiene {
    id: "workload.resources",
    judges: "whether containers set resource requests and limits",
    out_of_scope: never,
    judge: resources,
    pass: "set CPU and memory requests and limits on every container",
    fail: "leave a container without a CPU or memory request or limit",
    risk: "A container without limits can take a node's CPU or memory from every other workload on it (a noisy neighbour or a denial of service), and one without requests is scheduled without the capacity it needs.",
    remediation: "Set `resources.requests` and `resources.limits` for cpu and memory on every container (or a LimitRange default in the namespace, which then shows on the running pods).",
};

fn resources(w: &Workload) -> Vec<Found> {
    let mut out = Vec::new();
    for (p, c) in containers(w.spec, RUNNING) {
        let has =
            |f: &str, r: &str| at(c, &format!("/resources/{f}/{r}")).is_some_and(|v| !v.is_null());
        let mut missing = Vec::new();
        for r in ["cpu", "memory"] {
            // A request left out defaults to the limit (the API does this on admission).
            if !has("requests", r) && !has("limits", r) {
                missing.push(format!("no {r} request"));
            }
        }
        for r in ["cpu", "memory"] {
            if !has("limits", r) {
                missing.push(format!("no {r} limit"));
            }
        }
        if !missing.is_empty() {
            out.push(Found {
                pointer: format!("{p}/resources"),
                message: format!("container {} sets {}", cname(c), missing.join(", ")),
            });
        }
    }
    out
}

// ---- workload.read-only-root ----------------------------------------------------------

hygiene_check!(
    /// `workload.read-only-root`: every container runs with a read-only root filesystem.
    READ_ONLY_ROOT,
    "Containers run with a read-only root filesystem",
    RESOURCE,
    READ_ONLY_SPEC
);

pub(crate) const READ_ONLY_SPEC: Hygiene = Hygiene {
    id: "workload.read-only-root",
    judges: "whether containers have a read-only root filesystem",
    out_of_scope: never,
    judge: read_only_root,
    pass: "run every container with `readOnlyRootFilesystem: true`",
    fail: "run a container with a writable root filesystem",
    risk: "A writable root filesystem lets an intruder drop and run tools or change the application's binaries in place; the image is no longer what runs.",
    remediation: "Set `securityContext.readOnlyRootFilesystem: true` on every container, with an `emptyDir` volume for the paths the application must write.",
};

fn read_only_root(w: &Workload) -> Vec<Found> {
    containers(w.spec, RUNNING)
        .into_iter()
        .filter(|(_, c)| bool_at(c, "/securityContext/readOnlyRootFilesystem") != Some(true))
        .map(|(p, c)| Found {
            pointer: format!("{p}/securityContext"),
            message: format!(
                "container {} does not set readOnlyRootFilesystem: true",
                cname(c)
            ),
        })
        .collect()
}

// ---- workload.probes -------------------------------------------------------------------

hygiene_check!(
    /// `workload.probes`: every long-running container has liveness and readiness probes.
    PROBES,
    "Containers have liveness and readiness probes",
    RESOURCE,
    PROBES_SPEC
);

pub(crate) const PROBES_SPEC: Hygiene = Hygiene {
    id: "workload.probes",
    judges: "whether containers have health probes",
    out_of_scope: is_batch,
    judge: probes,
    pass: "give every long-running container a liveness and a readiness probe",
    fail: "run a container without a liveness or readiness probe",
    risk: "Without a liveness probe a hung container is never restarted, and without a readiness probe traffic is sent to a container that cannot serve it.",
    remediation: "Add a `livenessProbe` and a `readinessProbe` (httpGet, tcpSocket, grpc or exec) to every long-running container.",
};

/// Batch work (Jobs, CronJobs, and pods that run to completion) has no health to probe.
fn is_batch(w: &Workload) -> bool {
    w.kind == JOBS
        || w.kind == CRON_JOBS
        || matches!(
            str_at(w.spec, "/restartPolicy"),
            Some("Never" | "OnFailure")
        )
        || arr(w.obj, "/metadata/ownerReferences")
            .iter()
            .any(|r| str_at(r, "/kind") == Some("Job"))
}

fn probes(w: &Workload) -> Vec<Found> {
    let mut out = Vec::new();
    for (p, c) in containers(w.spec, &["containers"]) {
        let missing: Vec<&str> = [
            ("livenessProbe", "liveness"),
            ("readinessProbe", "readiness"),
        ]
        .into_iter()
        .filter(|(f, _)| at(c, &format!("/{f}")).is_none_or(Value::is_null))
        .map(|(_, n)| n)
        .collect();
        if !missing.is_empty() {
            out.push(Found {
                pointer: p.clone(),
                message: format!(
                    "container {} has no {} probe",
                    cname(c),
                    missing.join(" or ")
                ),
            });
        }
    }
    out
}

// ---- workload.host-port ----------------------------------------------------------------

hygiene_check!(
    /// `workload.host-port`: no container binds a port on the node (`hostPort`).
    HOST_PORT,
    "No container binds a host port",
    RESOURCE,
    HOST_PORT_SPEC
);

pub(crate) const HOST_PORT_SPEC: Hygiene = Hygiene {
    id: "workload.host-port",
    judges: "whether containers bind host ports",
    out_of_scope: never,
    judge: host_port,
    pass: "bind no port on the node (`hostPort`)",
    fail: "bind a port on the node's own address (`hostPort`)",
    risk: "A host port is reachable on the node's address, outside the Service and NetworkPolicy boundary, and ties the pod to nodes where the port is free.",
    remediation: "Remove `hostPort` and expose the container through a Service (and an Ingress or Gateway where it must face the outside).",
};

/// The Pod Security Standards' baseline `hostPorts` rule, reused as it is.
fn host_port(w: &Workload) -> Vec<Found> {
    pss::check_at(w.meta, w.spec, Level::Baseline, Version::LATEST)
        .into_iter()
        .filter(|v| v.check == "hostPorts")
        .map(|v| Found {
            pointer: v.pointer,
            message: v.message,
        })
        .collect()
}

// ---- workload.net-raw ------------------------------------------------------------------

hygiene_check!(
    /// `workload.net-raw`: every container drops the `NET_RAW` capability.
    NET_RAW,
    "Containers drop the NET_RAW capability",
    RESOURCE,
    NET_RAW_SPEC
);

pub(crate) const NET_RAW_SPEC: Hygiene = Hygiene {
    id: "workload.net-raw",
    judges: "whether containers drop NET_RAW",
    out_of_scope: is_windows,
    judge: net_raw,
    pass: "drop NET_RAW (or ALL) in every container",
    fail: "run a container that holds NET_RAW",
    risk: "NET_RAW is in the container runtime's default capability set: it lets a process craft raw packets, to spoof ARP or DNS replies to its neighbours on the pod network.",
    remediation: "Add `NET_RAW` (or `ALL`) to `securityContext.capabilities.drop` of every container, and do not add it back; the restricted Pod Security Standard requires `drop: [ALL]`.",
};

/// Windows pods have no Linux capabilities.
fn is_windows(w: &Workload) -> bool {
    str_at(w.spec, "/os/name") == Some("windows")
}

fn net_raw(w: &Workload) -> Vec<Found> {
    let mut out = Vec::new();
    for (p, c) in containers(w.spec, ALL_CONTAINERS) {
        let sc = format!("{p}/securityContext");
        let is = |cap: &&str| matches!(*cap, "NET_RAW" | "CAP_NET_RAW" | "ALL");
        if bool_at(c, "/securityContext/privileged") == Some(true) {
            out.push(Found {
                pointer: format!("{sc}/privileged"),
                message: format!(
                    "container {} is privileged: it holds every capability, NET_RAW included",
                    cname(c)
                ),
            });
        } else if let Some(i) = strs(c, "/securityContext/capabilities/add")
            .iter()
            .position(is)
        {
            out.push(Found {
                pointer: format!("{sc}/capabilities/add/{i}"),
                message: format!("container {} adds NET_RAW", cname(c)),
            });
        } else if !strs(c, "/securityContext/capabilities/drop").iter().any(is) {
            out.push(Found {
                pointer: sc,
                message: format!(
                    "container {} does not drop NET_RAW (capabilities.drop has neither NET_RAW nor ALL)",
                    cname(c)
                ),
            });
        }
    }
    out
}

// ---- workload.runtime-socket -----------------------------------------------------------

hygiene_check!(
    /// `workload.runtime-socket`: no pod mounts a container runtime's socket from the node.
    RUNTIME_SOCKET,
    "No pod mounts a container runtime socket",
    RESOURCE,
    SOCKET_SPEC
);

pub(crate) const SOCKET_SPEC: Hygiene = Hygiene {
    id: "workload.runtime-socket",
    judges: "whether pods mount a container runtime socket",
    out_of_scope: never,
    judge: runtime_socket,
    pass: "mount no container runtime socket from the node",
    fail: "mount a container runtime's socket (or a directory holding one) from the node",
    risk: "Whoever reaches a runtime socket (docker.sock, containerd.sock, crio.sock) can start privileged containers on the node and read every other container: it is root on the node.",
    remediation: "Remove the hostPath volume; build images with a rootless builder (BuildKit rootless, kaniko) and read container metadata through the Kubernetes API instead.",
};

/// The well-known runtime sockets, with the runtime that serves them.
const SOCKETS: &[(&str, &str)] = &[
    ("/var/run/docker.sock", "Docker"),
    ("/run/docker.sock", "Docker"),
    ("/var/run/containerd/containerd.sock", "containerd"),
    ("/run/containerd/containerd.sock", "containerd"),
    ("/run/k3s/containerd/containerd.sock", "containerd (k3s)"),
    ("/var/run/crio/crio.sock", "CRI-O"),
    ("/run/crio/crio.sock", "CRI-O"),
    ("/var/run/cri-dockerd.sock", "cri-dockerd"),
    ("/run/cri-dockerd.sock", "cri-dockerd"),
    ("/var/run/podman/podman.sock", "Podman"),
    ("/run/podman/podman.sock", "Podman"),
];

/// File names of runtime sockets, wherever they are.
const SOCKET_FILES: &[(&str, &str)] = &[
    ("docker.sock", "Docker"),
    ("containerd.sock", "containerd"),
    ("crio.sock", "CRI-O"),
    ("cri-dockerd.sock", "cri-dockerd"),
    ("podman.sock", "Podman"),
];

/// What runtime socket a host path reaches: the socket itself (by its well-known path or
/// its file name), or a directory that holds a well-known one (`/`, `/var/run`).
pub fn runtime_socket_at(path: &str) -> Option<String> {
    let mut p = path.trim().to_string();
    while p.contains("//") {
        p = p.replace("//", "/");
    }
    let p = if p.len() > 1 {
        p.trim_end_matches('/').to_string()
    } else {
        p
    };
    if let Some((s, rt)) = SOCKETS.iter().find(|(s, _)| *s == p) {
        return Some(format!("the {rt} socket {s}"));
    }
    let file = p.rsplit('/').next().unwrap_or("");
    if let Some((_, rt)) = SOCKET_FILES.iter().find(|(f, _)| *f == file) {
        return Some(format!("the {rt} socket {p}"));
    }
    let dir = if p == "/" { String::new() } else { p.clone() };
    SOCKETS
        .iter()
        .find(|(s, _)| p.starts_with('/') && s.starts_with(&format!("{dir}/")))
        .map(|(s, rt)| format!("a directory holding the {rt} socket {s}"))
}

fn runtime_socket(w: &Workload) -> Vec<Found> {
    let mut out = Vec::new();
    for (i, v) in arr(w.spec, "/volumes").iter().enumerate() {
        let Some(path) = str_at(v, "/hostPath/path") else {
            continue;
        };
        let Some(what) = runtime_socket_at(path) else {
            continue;
        };
        let vol = str_at(v, "/name").unwrap_or("?");
        let mounts: Vec<String> = containers(w.spec, ALL_CONTAINERS)
            .into_iter()
            .flat_map(|(_, c)| {
                arr(c, "/volumeMounts")
                    .iter()
                    .filter(|m| str_at(m, "/name") == Some(vol))
                    .map(|m| {
                        format!(
                            "container {} at {}",
                            cname(c),
                            str_at(m, "/mountPath").unwrap_or("?")
                        )
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        let into = if mounts.is_empty() {
            " (mounted by no container yet)".to_string()
        } else {
            format!(", into {}", mounts.join(", "))
        };
        out.push(Found {
            pointer: format!("/volumes/{i}/hostPath/path"),
            message: format!("hostPath volume {vol} mounts {path}, {what}{into}"),
        });
    }
    out
}

// ---- workload.image-tag ----------------------------------------------------------------

hygiene_check!(
    /// `workload.image-tag`: no image is on `:latest` or without a tag.
    IMAGE_TAG,
    "No image on :latest or without a tag",
    RESOURCE,
    IMAGE_TAG_SPEC
);

pub(crate) const IMAGE_TAG_SPEC: Hygiene = Hygiene {
    id: "workload.image-tag",
    judges: "which image tags containers run",
    out_of_scope: never,
    judge: image_tag,
    pass: "name every image by a version tag or a digest (none on `:latest` or untagged)",
    fail: "run an image on `:latest` or without a tag",
    risk: "`:latest` (which an untagged image means) names whatever was pushed last: a restart or a new node can run different software than was reviewed, with no change record.",
    remediation: "Name each image by a release tag, better by digest (`image: registry/app:1.4.2@sha256:…`), and update it through the change process.",
};

/// Why an image reference is on a mutable default tag, or `None` when it names a tag other
/// than `latest` or a digest.
pub fn mutable_tag(image: &str) -> Option<&'static str> {
    if image.contains('@') {
        return None;
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.split_once(':') {
        None => Some("has no tag, so it runs `:latest`"),
        Some((_, "latest")) => Some("is on `:latest`"),
        Some((_, "")) => Some("has an empty tag"),
        Some(_) => None,
    }
}

fn image_tag(w: &Workload) -> Vec<Found> {
    containers(w.spec, ALL_CONTAINERS)
        .into_iter()
        .filter_map(|(p, c)| {
            let image = str_at(c, "/image")?;
            let why = mutable_tag(image)?;
            Some(Found {
                pointer: format!("{p}/image"),
                message: format!("container {} image {image} {why}", cname(c)),
            })
        })
        .collect()
}

// ---- workload.default-namespace --------------------------------------------------------

hygiene_check!(
    /// `workload.default-namespace`: no workload runs in the `default` namespace.
    DEFAULT_NAMESPACE,
    "No workloads in the default namespace",
    RESOURCE,
    DEFAULT_NS_SPEC
);

pub(crate) const DEFAULT_NS_SPEC: Hygiene = Hygiene {
    id: "workload.default-namespace",
    judges: "whether workloads run in the default namespace",
    out_of_scope: never,
    judge: default_namespace,
    pass: "run outside the `default` namespace",
    fail: "run in the `default` namespace",
    risk: "`default` is where everything lands that names no namespace: workloads there share its ServiceAccount, policies and RBAC with whatever else is put there, so no boundary separates them.",
    remediation: "Move each application to a namespace of its own, with its own ServiceAccounts, NetworkPolicies and Pod Security labels.",
};

fn default_namespace(w: &Workload) -> Vec<Found> {
    if namespace(w.obj) == Some("default") {
        vec![Found {
            pointer: String::new(),
            message: "runs in the default namespace".to_string(),
        }]
    } else {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(spec: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p", "namespace": "app"}, "spec": spec})
    }

    fn judge(f: fn(&Workload) -> Vec<Found>, o: &Value) -> Vec<String> {
        let (meta, spec, ptr) = pod_spec(PODS, o).unwrap();
        f(&Workload {
            kind: PODS,
            obj: o,
            meta,
            spec,
            ptr,
        })
        .into_iter()
        .map(|f| format!("{} {}", f.pointer, f.message))
        .collect()
    }

    #[test]
    fn a_request_left_out_defaults_to_its_limit() {
        let full = pod(json!({"containers": [{"name": "a", "image": "x:1",
            "resources": {"limits": {"cpu": "1", "memory": "1Gi"}}}]}));
        assert!(judge(resources, &full).is_empty());
        let none = pod(json!({"containers": [{"name": "a", "image": "x:1"}]}));
        assert_eq!(
            judge(resources, &none),
            [
                "/containers/0/resources container a sets no cpu request, no memory request, no cpu limit, no memory limit"
            ]
        );
        let req = pod(json!({"containers": [{"name": "a", "image": "x:1",
            "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"memory": "64Mi"}}}]}));
        assert_eq!(
            judge(resources, &req),
            ["/containers/0/resources container a sets no cpu limit"]
        );
    }

    #[test]
    fn net_raw_is_held_unless_dropped() {
        let c = |sc: Value| pod(json!({"containers": [{"name": "a", "securityContext": sc}]}));
        assert!(judge(net_raw, &c(json!({"capabilities": {"drop": ["ALL"]}}))).is_empty());
        assert!(judge(net_raw, &c(json!({"capabilities": {"drop": ["NET_RAW"]}}))).is_empty());
        assert_eq!(judge(net_raw, &c(json!({}))).len(), 1);
        let added = judge(
            net_raw,
            &c(json!({"capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE", "NET_RAW"]}})),
        );
        assert_eq!(
            added,
            ["/containers/0/securityContext/capabilities/add/1 container a adds NET_RAW"]
        );
        let privileged = judge(
            net_raw,
            &c(json!({"privileged": true, "capabilities": {"drop": ["ALL"]}})),
        );
        assert!(privileged[0].contains("privileged"), "{privileged:?}");
    }

    #[test]
    fn runtime_sockets_are_named_by_path_file_and_parent_directory() {
        assert_eq!(
            runtime_socket_at("/var/run/docker.sock").as_deref(),
            Some("the Docker socket /var/run/docker.sock")
        );
        assert_eq!(
            runtime_socket_at("/run/containerd/containerd.sock/").as_deref(),
            Some("the containerd socket /run/containerd/containerd.sock")
        );
        assert_eq!(
            runtime_socket_at("/opt/runtime/crio.sock").as_deref(),
            Some("the CRI-O socket /opt/runtime/crio.sock")
        );
        assert!(
            runtime_socket_at("/")
                .unwrap()
                .starts_with("a directory holding")
        );
        assert!(
            runtime_socket_at("/var/run")
                .unwrap()
                .contains("/var/run/docker.sock")
        );
        assert_eq!(runtime_socket_at("/var/log"), None);
        assert_eq!(runtime_socket_at("/var/lib/kubelet"), None);
        assert_eq!(runtime_socket_at("/run/secrets"), None);
        let o = pod(
            json!({"containers": [{"name": "builder", "image": "docker:27",
            "volumeMounts": [{"name": "sock", "mountPath": "/var/run/docker.sock"}]}],
            "volumes": [{"name": "sock", "hostPath": {"path": "/var/run/docker.sock", "type": "Socket"}}]}),
        );
        assert_eq!(
            judge(runtime_socket, &o),
            [
                "/volumes/0/hostPath/path hostPath volume sock mounts /var/run/docker.sock, the Docker socket /var/run/docker.sock, into container builder at /var/run/docker.sock"
            ]
        );
    }

    #[test]
    fn mutable_tags_are_latest_or_none() {
        assert!(mutable_tag("nginx").is_some());
        assert!(mutable_tag("nginx:latest").is_some());
        assert!(mutable_tag("registry.example.com:5000/team/app").is_some());
        assert_eq!(mutable_tag("registry.example.com:5000/team/app:1.2"), None);
        assert_eq!(mutable_tag("nginx:1.27"), None);
        assert_eq!(
            mutable_tag(
                "nginx@sha256:0000000000000000000000000000000000000000000000000000000000000000"
            ),
            None
        );
    }

    #[test]
    fn probes_are_not_asked_of_batch_pods() {
        let o = json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p", "namespace": "app", "ownerReferences": [{"kind": "Job", "name": "j"}]},
            "spec": {"containers": [{"name": "a"}]}});
        let (meta, spec, ptr) = pod_spec(PODS, &o).unwrap();
        assert!(is_batch(&Workload {
            kind: PODS,
            obj: &o,
            meta,
            spec,
            ptr
        }));
        let svc = pod(
            json!({"containers": [{"name": "a", "livenessProbe": {"tcpSocket": {"port": 80}}}]}),
        );
        assert_eq!(
            judge(probes, &svc),
            ["/containers/0 container a has no readiness probe"]
        );
    }
}
