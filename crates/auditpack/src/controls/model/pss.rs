//! Pod Security Standards, as pod-security-admission applies them to a pod spec at a
//! policy version (v1.0 to v1.37, `latest` = v1.37): every `baseline` check, and for
//! `restricted` every `restricted` check on top. Each check runs at the versions upstream
//! gives it (`policy/check_*.go`: `seccompProfile_restricted` since 1.19,
//! `capabilities_restricted` since 1.22, `runAsUser` since 1.23, ...), and violations
//! carry upstream's check ids. Windows pods (`spec.os.name: windows`) are exempt from the
//! Linux-only restricted checks from 1.25, as upstream.

use serde_json::Value;

use crate::controls::util::{arr, bool_at, esc, str_at, strs};

/// A Pod Security Standards level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// No restrictions.
    Privileged,
    /// Prevents known privilege escalations.
    Baseline,
    /// Hardened best practice.
    Restricted,
}

impl Level {
    /// Parses a namespace label value.
    pub fn parse(s: &str) -> Option<Level> {
        match s {
            "privileged" => Some(Level::Privileged),
            "baseline" => Some(Level::Baseline),
            "restricted" => Some(Level::Restricted),
            _ => None,
        }
    }

    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Privileged => "privileged",
            Level::Baseline => "baseline",
            Level::Restricted => "restricted",
        }
    }
}

/// A Pod Security Standards policy version (`v1.MINOR`; the major version is always 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version(pub u32);

impl Version {
    /// The newest policy version this engine knows (what `latest` means when the
    /// cluster's version is unknown or newer).
    pub const LATEST: Version = Version(37);

    /// Parses a `*-version` label value (`v1.25`), or `latest` as `cluster` (the cluster's
    /// version, [`Version::LATEST`] when it is unknown). `None` for anything else, which
    /// pod-security-admission rejects as an invalid label.
    pub fn parse(s: &str, cluster: Option<Version>) -> Option<Version> {
        if s == "latest" {
            return Some(cluster.unwrap_or(Version::LATEST));
        }
        let minor = s.strip_prefix("v1.")?;
        if minor.is_empty()
            || !minor.bytes().all(|b| b.is_ascii_digit())
            || (minor.len() > 1 && minor.starts_with('0'))
        {
            return None;
        }
        minor.parse().ok().map(Version)
    }

    /// The policy version of a cluster's `gitVersion` (`v1.30.2`, `v1.29.4-eks-1234`):
    /// its minor version, capped at [`Version::LATEST`] (a newer cluster is judged by the
    /// newest checks known here). `None` when the text is not a Kubernetes 1.x version.
    pub fn of_cluster(git_version: &str) -> Option<Version> {
        let rest = git_version.strip_prefix('v').unwrap_or(git_version);
        let rest = rest.strip_prefix("1.")?;
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        let minor: u32 = digits.parse().ok()?;
        Some(Version(minor.min(Version::LATEST.0)))
    }

    /// `v1.MINOR`.
    pub fn label(self) -> String {
        format!("v1.{}", self.0)
    }
}

/// One reason a pod spec does not meet a level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Upstream check id (`privileged`, `runAsNonRoot`, ...).
    pub check: &'static str,
    /// The lowest level the check belongs to.
    pub level: Level,
    /// JSON pointer relative to the pod spec (or to the pod metadata for annotations).
    pub pointer: String,
    /// What is wrong.
    pub message: String,
}

const BASELINE_CAPS: &[&str] = &[
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

/// The sysctls baseline allows, each with the policy version that added it (upstream
/// `check_sysctls.go`: 1.0, 1.27, 1.29, 1.32, 1.37).
const SAFE_SYSCTLS: &[(&str, u32)] = &[
    ("kernel.shm_rmid_forced", 0),
    ("net.ipv4.ip_local_port_range", 0),
    ("net.ipv4.ip_unprivileged_port_start", 0),
    ("net.ipv4.tcp_syncookies", 0),
    ("net.ipv4.ping_group_range", 0),
    ("net.ipv4.ip_local_reserved_ports", 27),
    ("net.ipv4.tcp_keepalive_time", 29),
    ("net.ipv4.tcp_fin_timeout", 29),
    ("net.ipv4.tcp_keepalive_intvl", 29),
    ("net.ipv4.tcp_keepalive_probes", 29),
    ("net.ipv4.tcp_rmem", 32),
    ("net.ipv4.tcp_wmem", 32),
    ("net.ipv4.tcp_slow_start_after_idle", 37),
    ("net.ipv4.tcp_notsent_lowat", 37),
];

/// The SELinux types baseline allows, each with the policy version that added it.
const SELINUX_TYPES: &[(&str, u32)] = &[
    ("", 0),
    ("container_t", 0),
    ("container_init_t", 0),
    ("container_kvm_t", 0),
    ("container_engine_t", 31),
];
const RESTRICTED_VOLUMES: &[&str] = &[
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "image",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

/// Every container of a pod spec (containers, initContainers, ephemeralContainers) with its
/// JSON pointer relative to the spec.
fn containers(spec: &Value) -> Vec<(String, &Value)> {
    let mut out = Vec::new();
    for field in ["containers", "initContainers", "ephemeralContainers"] {
        for (i, c) in arr(spec, &format!("/{field}")).iter().enumerate() {
            out.push((format!("/{field}/{i}"), c));
        }
    }
    out
}

fn cname(c: &Value) -> &str {
    str_at(c, "/name").unwrap_or("?")
}

#[cfg(any(test, feature = "internals"))]
/// Checks a pod spec (and its metadata, for AppArmor annotations) against a level.
/// Returns every violation; an empty list means the spec meets the level.
///
/// The steps run in a fixed order (baseline, then restricted), so the violations come
/// in the same order for the same spec.
pub fn check(meta: &Value, spec: &Value, level: Level) -> Vec<Violation> {
    check_at(meta, spec, level, Version::LATEST)
}

/// [`check`] at a policy version: only the checks (and the allowed values) that version
/// has. A version newer than [`Version::LATEST`] is judged as the latest.
pub fn check_at(meta: &Value, spec: &Value, level: Level, version: Version) -> Vec<Violation> {
    let mut found = Found(Vec::new());
    if level == Level::Privileged {
        return found.0;
    }
    let pod = Pod {
        meta,
        spec,
        v: version.min(Version::LATEST).0,
        cs: containers(spec),
    };
    for step in BASELINE_STEPS {
        step(&pod, &mut found);
    }
    if level >= Level::Restricted {
        for step in RESTRICTED_STEPS {
            step(&pod, &mut found);
        }
    }
    found.0
}

/// The pod being checked: its metadata, spec, the level asked for and its containers.
struct Pod<'a> {
    meta: &'a Value,
    spec: &'a Value,
    /// The policy version's minor number.
    v: u32,
    cs: Vec<(String, &'a Value)>,
}

impl Pod<'_> {
    /// A Windows pod (`spec.os.name: windows`) at a version that exempts it (1.25 and
    /// later): some restricted checks do not apply.
    fn windows_exempt(&self) -> bool {
        self.v >= 25 && str_at(self.spec, "/os/name") == Some("windows")
    }
}

/// The violations found so far, in the order found.
struct Found(Vec<Violation>);

impl Found {
    fn add(&mut self, check: &'static str, level: Level, pointer: String, message: String) {
        self.0.push(Violation {
            check,
            level,
            pointer,
            message,
        });
    }
}

/// One check (or group of checks on the same fields) of a level.
type Step = fn(&Pod, &mut Found);

const BASELINE_STEPS: &[Step] = &[
    host_namespaces,
    privileged,
    baseline_capabilities,
    host_path_volumes,
    host_ports,
    app_armor,
    se_linux,
    proc_mount,
    baseline_seccomp,
    sysctls,
    windows_host_process,
    host_probes,
];

const RESTRICTED_STEPS: &[Step] = &[
    restricted_volumes,
    proc_mount_restricted,
    allow_privilege_escalation,
    run_as_non_root,
    run_as_user,
    restricted_seccomp,
    restricted_capabilities,
];

const B: Level = Level::Baseline;
const R: Level = Level::Restricted;

fn host_namespaces(pod: &Pod, found: &mut Found) {
    for f in ["hostNetwork", "hostPID", "hostIPC"] {
        if bool_at(pod.spec, &format!("/{f}")) == Some(true) {
            found.add("hostNamespaces", B, format!("/{f}"), format!("{f}=true"));
        }
    }
}

fn privileged(pod: &Pod, found: &mut Found) {
    for (p, c) in &pod.cs {
        if bool_at(c, "/securityContext/privileged") == Some(true) {
            found.add(
                "privileged",
                B,
                format!("{p}/securityContext/privileged"),
                format!("container {} is privileged", cname(c)),
            );
        }
    }
}

fn baseline_capabilities(pod: &Pod, found: &mut Found) {
    for (p, c) in &pod.cs {
        for (i, cap) in strs(c, "/securityContext/capabilities/add")
            .iter()
            .enumerate()
        {
            if !BASELINE_CAPS.contains(cap) {
                found.add(
                    "capabilities_baseline",
                    B,
                    format!("{p}/securityContext/capabilities/add/{i}"),
                    format!("container {} adds capability {cap}", cname(c)),
                );
            }
        }
    }
}

fn host_path_volumes(pod: &Pod, found: &mut Found) {
    for (i, vol) in arr(pod.spec, "/volumes").iter().enumerate() {
        if vol.get("hostPath").is_some() {
            found.add(
                "hostPathVolumes",
                B,
                format!("/volumes/{i}/hostPath"),
                format!(
                    "volume {} is a hostPath",
                    str_at(vol, "/name").unwrap_or("?")
                ),
            );
        }
    }
}

fn host_ports(pod: &Pod, found: &mut Found) {
    for (p, c) in &pod.cs {
        for (i, port) in arr(c, "/ports").iter().enumerate() {
            if port.get("hostPort").and_then(Value::as_i64).unwrap_or(0) != 0 {
                found.add(
                    "hostPorts",
                    B,
                    format!("{p}/ports/{i}/hostPort"),
                    format!("container {} uses hostPort {}", cname(c), port["hostPort"]),
                );
            }
        }
    }
}

/// AppArmor: the pod and container fields, and the deprecated annotations.
fn app_armor(pod: &Pod, found: &mut Found) {
    let apparmor_ok = |t: Option<&str>| matches!(t, None | Some("RuntimeDefault" | "Localhost"));
    let t = str_at(pod.spec, "/securityContext/appArmorProfile/type");
    if !apparmor_ok(t) {
        found.add(
            "appArmorProfile",
            B,
            "/securityContext/appArmorProfile/type".into(),
            format!("pod AppArmor profile {}", t.unwrap_or("")),
        );
    }
    for (p, c) in &pod.cs {
        let t = str_at(c, "/securityContext/appArmorProfile/type");
        if !apparmor_ok(t) {
            found.add(
                "appArmorProfile",
                B,
                format!("{p}/securityContext/appArmorProfile/type"),
                format!(
                    "container {} AppArmor profile {}",
                    cname(c),
                    t.unwrap_or("")
                ),
            );
        }
    }
    if let Some(ann) = pod.meta.get("annotations").and_then(Value::as_object) {
        for (k, val) in ann {
            if k.starts_with("container.apparmor.security.beta.kubernetes.io/") {
                let s = val.as_str().unwrap_or("");
                if !(s.is_empty() || s == "runtime/default" || s.starts_with("localhost/")) {
                    found.add(
                        "appArmorProfile",
                        B,
                        format!("/metadata/annotations/{}", esc(k)),
                        format!("annotation {k}={s}"),
                    );
                }
            }
        }
    }
}

/// SELinux options of the pod, then of each container.
fn se_linux(pod: &Pod, found: &mut Found) {
    se_linux_options(found, pod.v, String::new(), pod.spec, "pod");
    for (p, c) in &pod.cs {
        se_linux_options(
            found,
            pod.v,
            p.clone(),
            c,
            &format!("container {}", cname(c)),
        );
    }
}

/// The SELinux options of one security context (`base` points at its owner), at policy
/// version `v`.
fn se_linux_options(found: &mut Found, v: u32, base: String, o: &Value, who: &str) {
    if let Some(opts) = crate::controls::util::at(o, "/securityContext/seLinuxOptions") {
        let ty = str_at(opts, "/type").unwrap_or("");
        if !SELINUX_TYPES
            .iter()
            .any(|(t, since)| *t == ty && v >= *since)
        {
            found.add(
                "seLinuxOptions",
                B,
                format!("{base}/securityContext/seLinuxOptions/type"),
                format!("{who} SELinux type {ty}"),
            );
        }
        for f in ["user", "role"] {
            if !str_at(opts, &format!("/{f}")).unwrap_or("").is_empty() {
                found.add(
                    "seLinuxOptions",
                    B,
                    format!("{base}/securityContext/seLinuxOptions/{f}"),
                    format!("{who} sets SELinux {f}"),
                );
            }
        }
    }
}

/// The containers that set a procMount other than `Default`, with the value.
fn unmasked<'a>(pod: &Pod<'a>) -> Vec<(&'a str, &'a str, String)> {
    pod.cs
        .iter()
        .filter_map(|(p, c)| {
            let pm = str_at(c, "/securityContext/procMount")?;
            (pm != "Default").then(|| (cname(c), pm, format!("{p}/securityContext/procMount")))
        })
        .collect()
}

/// procMount (baseline): `Default` only; from 1.35 anything in a user namespace
/// (`hostUsers: false`).
fn proc_mount(pod: &Pod, found: &mut Found) {
    if pod.v >= 35 && bool_at(pod.spec, "/hostUsers") == Some(false) {
        return;
    }
    for (name, pm, ptr) in unmasked(pod) {
        found.add(
            "procMount",
            B,
            ptr,
            format!("container {name} procMount {pm}"),
        );
    }
}

/// procMount (restricted, from 1.35): `Default` only, user namespace or not.
fn proc_mount_restricted(pod: &Pod, found: &mut Found) {
    if pod.v < 35 {
        return;
    }
    for (name, pm, ptr) in unmasked(pod) {
        found.add(
            "procMount_restricted",
            R,
            ptr,
            format!("container {name} procMount {pm}"),
        );
    }
}

/// seccomp (baseline): before 1.19 the alpha annotations must not name an unconfined
/// profile; from 1.19 the fields must not set a type other than RuntimeDefault or
/// Localhost.
fn baseline_seccomp(pod: &Pod, found: &mut Found) {
    if pod.v < 19 {
        let ok = |s: &str| {
            s == "runtime/default" || s == "docker/default" || s.starts_with("localhost/")
        };
        let ann = |k: &str| {
            pod.meta
                .get("annotations")
                .and_then(|a| a.get(k))
                .and_then(Value::as_str)
        };
        let mut keys = vec!["seccomp.security.alpha.kubernetes.io/pod".to_string()];
        keys.extend(pod.cs.iter().map(|(_, c)| {
            format!(
                "container.seccomp.security.alpha.kubernetes.io/{}",
                cname(c)
            )
        }));
        for k in keys {
            if let Some(val) = ann(&k).filter(|v| !ok(v)) {
                found.add(
                    "seccompProfile_baseline",
                    B,
                    format!("/metadata/annotations/{}", esc(&k)),
                    format!("annotation {k}={val}"),
                );
            }
        }
        return;
    }
    fn bad(o: &Value) -> Option<&str> {
        str_at(o, "/securityContext/seccompProfile/type")
            .or_else(|| crate::controls::util::at(o, "/securityContext/seccompProfile").map(|_| ""))
            .filter(|t| !matches!(*t, "RuntimeDefault" | "Localhost"))
    }
    if let Some(t) = bad(pod.spec) {
        found.add(
            "seccompProfile_baseline",
            B,
            "/securityContext/seccompProfile/type".into(),
            format!("pod seccomp profile {t}"),
        );
    }
    for (p, c) in &pod.cs {
        if let Some(t) = bad(c) {
            found.add(
                "seccompProfile_baseline",
                B,
                format!("{p}/securityContext/seccompProfile/type"),
                format!("container {} seccomp profile {t}", cname(c)),
            );
        }
    }
}

fn sysctls(pod: &Pod, found: &mut Found) {
    for (i, s) in arr(pod.spec, "/securityContext/sysctls").iter().enumerate() {
        let n = str_at(s, "/name").unwrap_or("");
        if !SAFE_SYSCTLS
            .iter()
            .any(|(safe, since)| *safe == n && pod.v >= *since)
        {
            found.add(
                "sysctls",
                B,
                format!("/securityContext/sysctls/{i}/name"),
                format!("unsafe sysctl {n}"),
            );
        }
    }
}

fn windows_host_process(pod: &Pod, found: &mut Found) {
    if bool_at(pod.spec, "/securityContext/windowsOptions/hostProcess") == Some(true) {
        found.add(
            "windowsHostProcess",
            B,
            "/securityContext/windowsOptions/hostProcess".into(),
            "pod runs as a Windows HostProcess".into(),
        );
    }
    for (p, c) in &pod.cs {
        if bool_at(c, "/securityContext/windowsOptions/hostProcess") == Some(true) {
            found.add(
                "windowsHostProcess",
                B,
                format!("{p}/securityContext/windowsOptions/hostProcess"),
                format!("container {} runs as a Windows HostProcess", cname(c)),
            );
        }
    }
}

/// Probes and lifecycle handlers must not name a host (from 1.34).
fn host_probes(pod: &Pod, found: &mut Found) {
    if pod.v < 34 {
        return;
    }
    for (p, c) in &pod.cs {
        for probe in [
            "livenessProbe",
            "readinessProbe",
            "startupProbe",
            "lifecycle/postStart",
            "lifecycle/preStop",
        ] {
            for handler in ["httpGet", "tcpSocket"] {
                let ptr = format!("/{probe}/{handler}/host");
                if !str_at(c, &ptr).unwrap_or("").is_empty() {
                    found.add(
                        "hostProbesAndHostLifecycle",
                        B,
                        format!("{p}{ptr}"),
                        format!(
                            "container {} {probe} {handler} targets host {}",
                            cname(c),
                            str_at(c, &ptr).unwrap_or("")
                        ),
                    );
                }
            }
        }
    }
}

/// Volume types: only the restricted list (hostPath too, which baseline also reports).
fn restricted_volumes(pod: &Pod, found: &mut Found) {
    for (i, vol) in arr(pod.spec, "/volumes").iter().enumerate() {
        if let Some(obj) = vol.as_object() {
            for k in obj.keys() {
                if k != "name" && !RESTRICTED_VOLUMES.contains(&k.as_str()) {
                    found.add(
                        "restrictedVolumes",
                        R,
                        format!("/volumes/{i}/{}", esc(k)),
                        format!(
                            "volume {} has type {k}",
                            str_at(vol, "/name").unwrap_or("?")
                        ),
                    );
                }
            }
        }
    }
}

/// allowPrivilegeEscalation must be false (from 1.8; not checked on Windows pods from
/// 1.25).
fn allow_privilege_escalation(pod: &Pod, found: &mut Found) {
    if pod.v < 8 || pod.windows_exempt() {
        return;
    }
    for (p, c) in &pod.cs {
        if bool_at(c, "/securityContext/allowPrivilegeEscalation") != Some(false) {
            found.add(
                "allowPrivilegeEscalation",
                R,
                format!("{p}/securityContext/allowPrivilegeEscalation"),
                format!(
                    "container {} does not set allowPrivilegeEscalation=false",
                    cname(c)
                ),
            );
        }
    }
}

fn run_as_non_root(pod: &Pod, found: &mut Found) {
    let pod_nonroot = bool_at(pod.spec, "/securityContext/runAsNonRoot");
    if pod_nonroot == Some(false) {
        found.add(
            "runAsNonRoot",
            R,
            "/securityContext/runAsNonRoot".into(),
            "pod sets runAsNonRoot=false".into(),
        );
    }
    for (p, c) in &pod.cs {
        match bool_at(c, "/securityContext/runAsNonRoot") {
            Some(false) => found.add(
                "runAsNonRoot",
                R,
                format!("{p}/securityContext/runAsNonRoot"),
                format!("container {} sets runAsNonRoot=false", cname(c)),
            ),
            None if pod_nonroot != Some(true) => found.add(
                "runAsNonRoot",
                R,
                format!("{p}/securityContext/runAsNonRoot"),
                format!(
                    "container {} does not set runAsNonRoot=true (nor does the pod)",
                    cname(c)
                ),
            ),
            _ => {}
        }
    }
}

/// runAsUser must not be 0 (from 1.23).
fn run_as_user(pod: &Pod, found: &mut Found) {
    if pod.v < 23 {
        return;
    }
    let uid = |o: &Value| {
        crate::controls::util::at(o, "/securityContext/runAsUser").and_then(Value::as_i64)
    };
    if uid(pod.spec) == Some(0) {
        found.add(
            "runAsUser",
            R,
            "/securityContext/runAsUser".into(),
            "pod runs as UID 0".into(),
        );
    }
    for (p, c) in &pod.cs {
        if uid(c) == Some(0) {
            found.add(
                "runAsUser",
                R,
                format!("{p}/securityContext/runAsUser"),
                format!("container {} runs as UID 0", cname(c)),
            );
        }
    }
}

/// seccomp (restricted, from 1.19): RuntimeDefault or Localhost, on the pod or every
/// container (not checked on Windows pods from 1.25).
fn restricted_seccomp(pod: &Pod, found: &mut Found) {
    if pod.v < 19 || pod.windows_exempt() {
        return;
    }
    let ok = |t: Option<&str>| matches!(t, Some("RuntimeDefault" | "Localhost"));
    let set = |o: &Value| crate::controls::util::at(o, "/securityContext/seccompProfile").is_some();
    let pod_t = str_at(pod.spec, "/securityContext/seccompProfile/type");
    if set(pod.spec) && !ok(pod_t) {
        found.add(
            "seccompProfile_restricted",
            R,
            "/securityContext/seccompProfile/type".into(),
            format!("pod seccomp profile {}", pod_t.unwrap_or("")),
        );
    }
    for (p, c) in &pod.cs {
        let t = str_at(c, "/securityContext/seccompProfile/type");
        if set(c) {
            if !ok(t) {
                found.add(
                    "seccompProfile_restricted",
                    R,
                    format!("{p}/securityContext/seccompProfile/type"),
                    format!("container {} seccomp profile {}", cname(c), t.unwrap_or("")),
                );
            }
        } else if !ok(pod_t) {
            found.add(
                "seccompProfile_restricted",
                R,
                format!("{p}/securityContext/seccompProfile/type"),
                format!(
                    "container {} has no seccomp profile (nor does the pod)",
                    cname(c)
                ),
            );
        }
    }
}

/// capabilities (restricted, from 1.22): drop ALL, add at most NET_BIND_SERVICE (not
/// checked on Windows pods from 1.25).
fn restricted_capabilities(pod: &Pod, found: &mut Found) {
    if pod.v < 22 || pod.windows_exempt() {
        return;
    }
    for (p, c) in &pod.cs {
        if !strs(c, "/securityContext/capabilities/drop").contains(&"ALL") {
            found.add(
                "capabilities_restricted",
                R,
                format!("{p}/securityContext/capabilities/drop"),
                format!("container {} does not drop ALL capabilities", cname(c)),
            );
        }
        for (i, cap) in strs(c, "/securityContext/capabilities/add")
            .iter()
            .enumerate()
        {
            if *cap != "NET_BIND_SERVICE" {
                found.add(
                    "capabilities_restricted",
                    R,
                    format!("{p}/securityContext/capabilities/add/{i}"),
                    format!("container {} adds capability {cap}", cname(c)),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_as_pod_security_admission_reads_them() {
        assert_eq!(Version::parse("v1.25", None), Some(Version(25)));
        assert_eq!(Version::parse("latest", None), Some(Version::LATEST));
        assert_eq!(
            Version::parse("latest", Some(Version(30))),
            Some(Version(30))
        );
        for bad in ["1.25", "v1", "v1.", "v2.0", "v1.025", "v1.2x", ""] {
            assert_eq!(Version::parse(bad, None), None, "{bad}");
        }
        assert_eq!(Version::of_cluster("v1.29.4-eks-1234"), Some(Version(29)));
        assert_eq!(Version::of_cluster("v1.99.0"), Some(Version::LATEST));
        assert_eq!(Version::of_cluster("unknown"), None);
    }

    #[test]
    fn the_sysctl_allow_list_grows_by_version() {
        let spec = serde_json::json!({"containers": [{"name": "c"}],
            "securityContext": {"sysctls": [{"name": "net.ipv4.tcp_notsent_lowat"}]}});
        let meta = serde_json::json!({});
        assert!(check_at(&meta, &spec, Level::Baseline, Version(37)).is_empty());
        let v = check_at(&meta, &spec, Level::Baseline, Version(36));
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].check, "sysctls");
    }
}
