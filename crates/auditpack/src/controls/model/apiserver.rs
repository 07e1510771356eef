//! The kube-apiserver as the snapshot shows it: its pods in kube-system, when the control
//! plane is visible, and the flags each is started with. An HA control plane runs one
//! apiserver per control-plane node, and each one is judged: a control missing on any of
//! them is missing.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::controls::Ctx;
use crate::controls::util::{arr, name, str_at, strs};
use crate::snapshot::kinds::PODS;

/// One kube-apiserver pod and its flags.
pub struct Instance {
    /// The pod.
    pub pod: Value,
    /// Its `--flag=value` / `--flag value` arguments (`true` for a bare `--flag`).
    pub flags: BTreeMap<String, String>,
}

impl Instance {
    /// The pod's name (`kube-apiserver-<node>` for a static pod).
    pub fn name(&self) -> &str {
        name(&self.pod)
    }

    /// The `(major, minor)` version of this apiserver: from its image tag
    /// (`registry.k8s.io/kube-apiserver:v1.19.16`), else the cluster's version.
    pub fn version(&self, cluster_version: Option<&str>) -> Option<(u32, u32)> {
        arr(&self.pod, "/spec/containers")
            .iter()
            .filter(|c| is_apiserver_container(c))
            .filter_map(|c| str_at(c, "/image"))
            .find_map(image_version)
            .or_else(|| cluster_version.and_then(parse_version))
    }
}

/// Every kube-apiserver the snapshot shows.
pub enum ApiServers {
    /// Pods were not collected.
    NotCollected,
    /// No kube-apiserver pod: a managed control plane, most likely.
    NotVisible,
    /// Every kube-apiserver pod (at least one), by name.
    Visible(Vec<Instance>),
}

/// Whether a kube-system pod is a kube-apiserver: label `component=kube-apiserver`, or a
/// static pod named `kube-apiserver-<node>`.
fn is_apiserver_pod(p: &Value) -> bool {
    str_at(p, "/metadata/labels/component") == Some("kube-apiserver")
        || (name(p).starts_with("kube-apiserver-")
            && arr(p, "/spec/containers")
                .iter()
                .any(is_apiserver_container))
}

/// A container that runs kube-apiserver (by its command, or its name).
fn is_apiserver_container(c: &Value) -> bool {
    str_at(c, "/name") == Some("kube-apiserver")
        || strs(c, "/command")
            .first()
            .is_some_and(|c| c.rsplit('/').next() == Some("kube-apiserver"))
}

/// Finds every kube-apiserver pod in kube-system (label `component=kube-apiserver`, or a
/// static pod named `kube-apiserver-*`) and parses its flags. Only kube-system's pods are
/// parsed.
pub fn apiservers(ctx: &Ctx<'_>) -> ApiServers {
    let Ok(pods) = ctx.objects_in(PODS, "kube-system") else {
        return ApiServers::NotCollected;
    };
    let mut found: Vec<Instance> = pods
        .into_iter()
        .filter(is_apiserver_pod)
        .map(|pod| Instance {
            flags: flags(&pod),
            pod,
        })
        .collect();
    if found.is_empty() {
        return ApiServers::NotVisible;
    }
    found.sort_by(|a, b| a.name().cmp(b.name()));
    ApiServers::Visible(found)
}

/// The `--flag=value` / `--flag value` arguments of a pod's containers.
fn flags(pod: &Value) -> BTreeMap<String, String> {
    let mut flags = BTreeMap::new();
    for c in arr(pod, "/spec/containers") {
        let args: Vec<&str> = strs(c, "/command")
            .into_iter()
            .chain(strs(c, "/args"))
            .collect();
        let mut i = 0;
        while i < args.len() {
            if let Some(f) = args[i].strip_prefix("--") {
                if let Some((k, v)) = f.split_once('=') {
                    flags.insert(k.to_string(), v.to_string());
                } else if i + 1 < args.len() && !args[i + 1].starts_with("--") {
                    flags.insert(f.to_string(), args[i + 1].to_string());
                    i += 1;
                } else {
                    flags.insert(f.to_string(), "true".to_string());
                }
            }
            i += 1;
        }
    }
    flags
}

/// `v1.19.16`, `1.19`, `v1.30.2-eks-1234` → `(1, 19)`, …
pub fn parse_version(v: &str) -> Option<(u32, u32)> {
    let v = v.trim().trim_start_matches('v');
    let mut parts = v.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor: String = parts
        .next()?
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    Some((major, minor.parse().ok()?))
}

/// The version in an image reference's tag (`…/kube-apiserver:v1.19.16@sha256:…`).
fn image_version(image: &str) -> Option<(u32, u32)> {
    let image = image.split('@').next()?;
    let last = image.rsplit('/').next()?;
    let (_, tag) = last.split_once(':')?;
    parse_version(tag)
}

/// The JSON pointer to the argument that sets `--flag` in the pod, or to the first
/// container's command when no argument does.
pub fn flag_ptr(pod: &Value, flag: &str) -> String {
    for (ci, c) in arr(pod, "/spec/containers").iter().enumerate() {
        for field in ["command", "args"] {
            for (i, a) in strs(c, &format!("/{field}")).iter().enumerate() {
                if a.strip_prefix("--")
                    .and_then(|a| a.strip_prefix(flag))
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('='))
                {
                    return format!("/spec/containers/{ci}/{field}/{i}");
                }
            }
        }
    }
    "/spec/containers/0/command".to_string()
}

/// The command that shows the kube-apiserver pods.
pub const APISERVER_CMD: &str =
    "kubectl get pods -n kube-system -l component=kube-apiserver -o yaml";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_from_tags_and_strings() {
        assert_eq!(parse_version("v1.19.16"), Some((1, 19)));
        assert_eq!(parse_version("v1.30.2-eks-1234"), Some((1, 30)));
        assert_eq!(parse_version("1.20+"), Some((1, 20)));
        assert_eq!(parse_version("latest"), None);
        assert_eq!(
            image_version("registry.k8s.io/kube-apiserver:v1.19.16"),
            Some((1, 19))
        );
        assert_eq!(
            image_version("localhost:5000/kube-apiserver:v1.18.0@sha256:ab"),
            Some((1, 18))
        );
        assert_eq!(image_version("localhost:5000/kube-apiserver"), None);
    }

    #[test]
    fn flag_pointer_matches_the_whole_flag_name() {
        let pod = serde_json::json!({"spec": {"containers": [{"command": [
            "kube-apiserver", "--audit-log-path=/a", "--audit-log-maxage=3"]}]}});
        assert_eq!(
            flag_ptr(&pod, "audit-log-maxage"),
            "/spec/containers/0/command/2"
        );
        assert_eq!(flag_ptr(&pod, "audit-log"), "/spec/containers/0/command");
    }
}
