//! The kube-apiserver as the snapshot shows it: its pod in kube-system, when the control
//! plane is visible, and the flags it is started with.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::controls::Ctx;
use crate::controls::util::{arr, str_at, strs};
use crate::snapshot::kinds::PODS;

/// What the snapshot shows of the kube-apiserver.
pub enum ApiServer {
    /// Pods were not collected.
    NotCollected,
    /// No kube-apiserver pod: a managed control plane, most likely.
    NotVisible,
    /// The first kube-apiserver pod and its flags.
    Visible(Value, BTreeMap<String, String>),
}

/// Finds the kube-apiserver pod (kube-system, label `component=kube-apiserver`) and parses
/// its `--flag=value` / `--flag value` arguments. Only kube-system's pods are parsed.
pub fn apiserver(ctx: &Ctx<'_>) -> ApiServer {
    let Ok(pods) = ctx.objects_in(PODS, "kube-system") else {
        return ApiServer::NotCollected;
    };
    let Some(pod) = pods
        .into_iter()
        .find(|p| str_at(p, "/metadata/labels/component") == Some("kube-apiserver"))
    else {
        return ApiServer::NotVisible;
    };
    let mut flags = BTreeMap::new();
    for c in arr(&pod, "/spec/containers") {
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
    ApiServer::Visible(pod, flags)
}

/// The JSON pointer to the argument that sets `--flag` in the pod, or to the first
/// container's command when no argument does.
pub fn flag_ptr(pod: &Value, flag: &str) -> String {
    for (ci, c) in arr(pod, "/spec/containers").iter().enumerate() {
        for field in ["command", "args"] {
            for (i, a) in strs(c, &format!("/{field}")).iter().enumerate() {
                if a.starts_with(&format!("--{flag}")) {
                    return format!("/spec/containers/{ci}/{field}/{i}");
                }
            }
        }
    }
    "/spec/containers/0/command".to_string()
}

/// The command that shows the kube-apiserver pod.
pub const APISERVER_CMD: &str =
    "kubectl get pods -n kube-system -l component=kube-apiserver -o yaml";
