//! Pod Security Standards, as pod-security-admission (policy version `latest`, v1.37)
//! applies them to a pod spec: every `baseline` check, and for `restricted` every
//! `restricted` check on top. Windows pods (`spec.os.name: windows`) are exempt from the
//! Linux-only restricted checks, as upstream.

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

const SAFE_SYSCTLS: &[&str] = &[
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
    "net.ipv4.tcp_rmem",
    "net.ipv4.tcp_wmem",
    "net.ipv4.tcp_slow_start_after_idle",
    "net.ipv4.tcp_notsent_lowat",
];

const SELINUX_TYPES: &[&str] = &[
    "",
    "container_t",
    "container_init_t",
    "container_kvm_t",
    "container_engine_t",
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

/// Checks a pod spec (and its metadata, for AppArmor annotations) against a level.
/// Returns every violation; an empty list means the spec meets the level.
pub fn check(meta: &Value, spec: &Value, level: Level) -> Vec<Violation> {
    let mut v = Vec::new();
    if level == Level::Privileged {
        return v;
    }
    let mut add = |check, lvl, pointer: String, message: String| {
        v.push(Violation {
            check,
            level: lvl,
            pointer,
            message,
        })
    };
    let b = Level::Baseline;
    let cs = containers(spec);

    // hostNamespaces
    for f in ["hostNetwork", "hostPID", "hostIPC"] {
        if bool_at(spec, &format!("/{f}")) == Some(true) {
            add("hostNamespaces", b, format!("/{f}"), format!("{f}=true"));
        }
    }
    // privileged
    for (p, c) in &cs {
        if bool_at(c, "/securityContext/privileged") == Some(true) {
            add(
                "privileged",
                b,
                format!("{p}/securityContext/privileged"),
                format!("container {} is privileged", cname(c)),
            );
        }
    }
    // capabilities (baseline)
    for (p, c) in &cs {
        for (i, cap) in strs(c, "/securityContext/capabilities/add")
            .iter()
            .enumerate()
        {
            if !BASELINE_CAPS.contains(cap) {
                add(
                    "capabilities",
                    b,
                    format!("{p}/securityContext/capabilities/add/{i}"),
                    format!("container {} adds capability {cap}", cname(c)),
                );
            }
        }
    }
    // hostPath volumes
    for (i, vol) in arr(spec, "/volumes").iter().enumerate() {
        if vol.get("hostPath").is_some() {
            add(
                "hostPathVolumes",
                b,
                format!("/volumes/{i}/hostPath"),
                format!(
                    "volume {} is a hostPath",
                    str_at(vol, "/name").unwrap_or("?")
                ),
            );
        }
    }
    // hostPorts
    for (p, c) in &cs {
        for (i, port) in arr(c, "/ports").iter().enumerate() {
            if port.get("hostPort").and_then(Value::as_i64).unwrap_or(0) != 0 {
                add(
                    "hostPorts",
                    b,
                    format!("{p}/ports/{i}/hostPort"),
                    format!("container {} uses hostPort {}", cname(c), port["hostPort"]),
                );
            }
        }
    }
    // AppArmor: fields and the deprecated annotations.
    let apparmor_ok = |t: Option<&str>| matches!(t, None | Some("RuntimeDefault" | "Localhost"));
    let t = str_at(spec, "/securityContext/appArmorProfile/type");
    if !apparmor_ok(t) {
        add(
            "appArmorProfile",
            b,
            "/securityContext/appArmorProfile/type".into(),
            format!("pod AppArmor profile {}", t.unwrap_or("")),
        );
    }
    for (p, c) in &cs {
        let t = str_at(c, "/securityContext/appArmorProfile/type");
        if !apparmor_ok(t) {
            add(
                "appArmorProfile",
                b,
                format!("{p}/securityContext/appArmorProfile/type"),
                format!(
                    "container {} AppArmor profile {}",
                    cname(c),
                    t.unwrap_or("")
                ),
            );
        }
    }
    if let Some(ann) = meta.get("annotations").and_then(Value::as_object) {
        for (k, val) in ann {
            if k.starts_with("container.apparmor.security.beta.kubernetes.io/") {
                let s = val.as_str().unwrap_or("");
                if !(s.is_empty() || s == "runtime/default" || s.starts_with("localhost/")) {
                    add(
                        "appArmorProfile",
                        b,
                        format!("/metadata/annotations/{}", esc(k)),
                        format!("annotation {k}={s}"),
                    );
                }
            }
        }
    }
    // SELinux
    let selinux = |add: &mut dyn FnMut(&'static str, Level, String, String),
                   base: String,
                   o: &Value,
                   who: &str| {
        if let Some(opts) = crate::controls::util::at(o, "/securityContext/seLinuxOptions") {
            let ty = str_at(opts, "/type").unwrap_or("");
            if !SELINUX_TYPES.contains(&ty) {
                add(
                    "seLinuxOptions",
                    b,
                    format!("{base}/securityContext/seLinuxOptions/type"),
                    format!("{who} SELinux type {ty}"),
                );
            }
            for f in ["user", "role"] {
                if !str_at(opts, &format!("/{f}")).unwrap_or("").is_empty() {
                    add(
                        "seLinuxOptions",
                        b,
                        format!("{base}/securityContext/seLinuxOptions/{f}"),
                        format!("{who} sets SELinux {f}"),
                    );
                }
            }
        }
    };
    selinux(&mut add, String::new(), spec, "pod");
    for (p, c) in &cs {
        selinux(&mut add, p.clone(), c, &format!("container {}", cname(c)));
    }
    // procMount: baseline allows Unmasked only in a user namespace; restricted never.
    let user_ns = bool_at(spec, "/hostUsers") == Some(false);
    for (p, c) in &cs {
        let pm = str_at(c, "/securityContext/procMount");
        if let Some(pm) = pm.filter(|pm| *pm != "Default") {
            let lvl = if user_ns { Level::Restricted } else { b };
            if lvl <= level {
                add(
                    "procMount",
                    lvl,
                    format!("{p}/securityContext/procMount"),
                    format!("container {} procMount {pm}", cname(c)),
                );
            }
        }
    }
    // seccomp (baseline): never Unconfined.
    if str_at(spec, "/securityContext/seccompProfile/type") == Some("Unconfined") {
        add(
            "seccompProfile",
            b,
            "/securityContext/seccompProfile/type".into(),
            "pod seccomp profile Unconfined".into(),
        );
    }
    for (p, c) in &cs {
        if str_at(c, "/securityContext/seccompProfile/type") == Some("Unconfined") {
            add(
                "seccompProfile",
                b,
                format!("{p}/securityContext/seccompProfile/type"),
                format!("container {} seccomp profile Unconfined", cname(c)),
            );
        }
    }
    // sysctls
    for (i, s) in arr(spec, "/securityContext/sysctls").iter().enumerate() {
        let n = str_at(s, "/name").unwrap_or("");
        if !SAFE_SYSCTLS.contains(&n) {
            add(
                "sysctls",
                b,
                format!("/securityContext/sysctls/{i}/name"),
                format!("unsafe sysctl {n}"),
            );
        }
    }
    // Windows HostProcess
    if bool_at(spec, "/securityContext/windowsOptions/hostProcess") == Some(true) {
        add(
            "windowsHostProcess",
            b,
            "/securityContext/windowsOptions/hostProcess".into(),
            "pod runs as a Windows HostProcess".into(),
        );
    }
    for (p, c) in &cs {
        if bool_at(c, "/securityContext/windowsOptions/hostProcess") == Some(true) {
            add(
                "windowsHostProcess",
                b,
                format!("{p}/securityContext/windowsOptions/hostProcess"),
                format!("container {} runs as a Windows HostProcess", cname(c)),
            );
        }
    }
    // Probes and lifecycle handlers must not name a host.
    for (p, c) in &cs {
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
                    add(
                        "hostProbesAndHostLifecycle",
                        b,
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

    if level < Level::Restricted {
        return v;
    }
    let r = Level::Restricted;
    let windows = str_at(spec, "/os/name") == Some("windows");
    // Volume types
    for (i, vol) in arr(spec, "/volumes").iter().enumerate() {
        if let Some(obj) = vol.as_object() {
            for k in obj.keys() {
                if k != "name" && k != "hostPath" && !RESTRICTED_VOLUMES.contains(&k.as_str()) {
                    add(
                        "restrictedVolumes",
                        r,
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
    if !windows {
        // allowPrivilegeEscalation must be false
        for (p, c) in &cs {
            if bool_at(c, "/securityContext/allowPrivilegeEscalation") != Some(false) {
                add(
                    "allowPrivilegeEscalation",
                    r,
                    format!("{p}/securityContext/allowPrivilegeEscalation"),
                    format!(
                        "container {} does not set allowPrivilegeEscalation=false",
                        cname(c)
                    ),
                );
            }
        }
    }
    // runAsNonRoot
    let pod_nonroot = bool_at(spec, "/securityContext/runAsNonRoot");
    if pod_nonroot == Some(false) {
        add(
            "runAsNonRoot",
            r,
            "/securityContext/runAsNonRoot".into(),
            "pod sets runAsNonRoot=false".into(),
        );
    }
    for (p, c) in &cs {
        match bool_at(c, "/securityContext/runAsNonRoot") {
            Some(false) => add(
                "runAsNonRoot",
                r,
                format!("{p}/securityContext/runAsNonRoot"),
                format!("container {} sets runAsNonRoot=false", cname(c)),
            ),
            None if pod_nonroot != Some(true) => add(
                "runAsNonRoot",
                r,
                format!("{p}/securityContext/runAsNonRoot"),
                format!(
                    "container {} does not set runAsNonRoot=true (nor does the pod)",
                    cname(c)
                ),
            ),
            _ => {}
        }
    }
    // runAsUser != 0
    if crate::controls::util::at(spec, "/securityContext/runAsUser").and_then(Value::as_i64)
        == Some(0)
    {
        add(
            "runAsUser",
            r,
            "/securityContext/runAsUser".into(),
            "pod runs as UID 0".into(),
        );
    }
    for (p, c) in &cs {
        if crate::controls::util::at(c, "/securityContext/runAsUser").and_then(Value::as_i64)
            == Some(0)
        {
            add(
                "runAsUser",
                r,
                format!("{p}/securityContext/runAsUser"),
                format!("container {} runs as UID 0", cname(c)),
            );
        }
    }
    if !windows {
        // seccomp (restricted): RuntimeDefault or Localhost, on the pod or every container.
        let ok = |t: Option<&str>| matches!(t, Some("RuntimeDefault" | "Localhost"));
        let pod_t = str_at(spec, "/securityContext/seccompProfile/type");
        if pod_t.is_some() && !ok(pod_t) && pod_t != Some("Unconfined") {
            add(
                "seccompProfile",
                r,
                "/securityContext/seccompProfile/type".into(),
                format!("pod seccomp profile {}", pod_t.unwrap_or("")),
            );
        }
        for (p, c) in &cs {
            let t = str_at(c, "/securityContext/seccompProfile/type");
            match t {
                Some("Unconfined") => {} // reported by the baseline check
                Some(_) if !ok(t) => add(
                    "seccompProfile",
                    r,
                    format!("{p}/securityContext/seccompProfile/type"),
                    format!("container {} seccomp profile {}", cname(c), t.unwrap_or("")),
                ),
                None if !ok(pod_t) => add(
                    "seccompProfile",
                    r,
                    format!("{p}/securityContext/seccompProfile/type"),
                    format!(
                        "container {} has no seccomp profile (nor does the pod)",
                        cname(c)
                    ),
                ),
                _ => {}
            }
        }
        // capabilities (restricted): drop ALL, add at most NET_BIND_SERVICE.
        for (p, c) in &cs {
            if !strs(c, "/securityContext/capabilities/drop").contains(&"ALL") {
                add(
                    "capabilities",
                    r,
                    format!("{p}/securityContext/capabilities/drop"),
                    format!("container {} does not drop ALL capabilities", cname(c)),
                );
            }
            for (i, cap) in strs(c, "/securityContext/capabilities/add")
                .iter()
                .enumerate()
            {
                if *cap != "NET_BIND_SERVICE" && BASELINE_CAPS.contains(cap) {
                    add(
                        "capabilities",
                        r,
                        format!("{p}/securityContext/capabilities/add/{i}"),
                        format!("container {} adds capability {cap}", cname(c)),
                    );
                }
            }
        }
    }
    v
}
