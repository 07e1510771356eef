//! Person or entity authentication (HIPAA 164.312(d)), from the kube-apiserver's flags:
//! `authn.anonymous-auth` (anonymous requests refused), `authn.static-credentials` (no
//! static token or basic-auth file) and `authn.authenticator` (people authenticate through
//! OIDC, client certificates, a webhook or an `--authentication-config` file).
//!
//! Only the flags are read: the files they name (an AuthenticationConfiguration, the CA
//! bundle) are not collected, and on a managed control plane no flag is visible, so these
//! checks are `manual` there with the reason.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::controls::model::apiserver::{
    APISERVER_CMD, ApiServers, Instance, apiservers, flag_ptr,
};
use crate::controls::util::{Builder, code, evidence, evidence_file, str_at};
use crate::controls::{CheckDef, Ctx};
use crate::findings::{CheckResult, Status};
use crate::snapshot::kinds::PODS;

/// The checks of the `authn` family.
pub const CHECKS: &[&CheckDef] = &[&ANONYMOUS_AUTH, &STATIC_CREDENTIALS, &AUTHENTICATOR];

/// `authn.anonymous-auth`: kube-apiserver refuses anonymous requests.
pub const ANONYMOUS_AUTH: CheckDef = CheckDef {
    id: "authn.anonymous-auth",
    title: "Anonymous requests to the API server are refused",
    resource: "kube-apiserver --anonymous-auth",
    commands: &[APISERVER_CMD],
    requires: &[],
    judges: "whether the API server accepts anonymous requests",
    reads: &[PODS],
    run: anonymous_auth,
};

/// `authn.static-credentials`: no static token file, no basic-auth file.
pub const STATIC_CREDENTIALS: CheckDef = CheckDef {
    id: "authn.static-credentials",
    title: "No static token or password files",
    resource: "kube-apiserver --token-auth-file, --basic-auth-file",
    commands: &[APISERVER_CMD],
    requires: &[],
    judges: "whether the API server accepts static tokens or passwords",
    reads: &[PODS],
    run: static_credentials,
};

/// `authn.authenticator`: people authenticate through OIDC, client certificates, a
/// webhook or a structured authentication configuration.
pub const AUTHENTICATOR: CheckDef = CheckDef {
    id: "authn.authenticator",
    title: "People authenticate through an identity provider or certificates",
    resource: "kube-apiserver --oidc-issuer-url, --client-ca-file, --authentication-token-webhook-config-file, --authentication-config",
    commands: &[APISERVER_CMD],
    requires: &[],
    judges: "how people authenticate to the API server",
    reads: &[PODS],
    run: authenticator,
};

/// Every kube-apiserver pod with its flags, or the finished result when none is visible.
fn visible(
    ctx: &Ctx,
    mut b: Builder,
    what: &str,
) -> Result<(Builder, Vec<Instance>), Box<CheckResult>> {
    match apiservers(ctx) {
        ApiServers::Visible(all) => Ok((b, all)),
        ApiServers::NotCollected => {
            b.push(
                Status::NotCollected,
                "pods were not collected, so the kube-apiserver's flags are not in the snapshot",
                evidence_file(PODS, "", ""),
            );
            Err(Box::new(b.finish(
                Status::NotCollected,
                format!("Pods were not collected, so {what} cannot be judged."),
                Some("Collect pods in kube-system (`kubectl get pods -n kube-system -l component=kube-apiserver -o yaml`)."),
            )))
        }
        ApiServers::NotVisible => {
            b.push(
                Status::Manual,
                "no kube-apiserver pod in kube-system: the control plane is not visible (managed cluster), so its flags cannot be read",
                evidence_file(PODS, "kube-system", ""),
            );
            Err(Box::new(b.finish(
                Status::Manual,
                format!("The control plane is not visible from the cluster (typical of managed Kubernetes: EKS, GKE, AKS), so {what} must be attested by the platform owner from the provider's configuration."),
                Some("Attach the provider's description of the cluster's authentication (e.g. `aws eks describe-cluster --query cluster.accessConfig`, `gcloud container clusters describe` (masterAuth, OIDC), `az aks show --query aadProfile`) and state whether anonymous access and static credentials are disabled."),
            )))
        }
    }
}

/// One API server's verdict on a check: its status, the explanation and the remediation.
type Judged = (Status, String, Option<&'static str>);

/// A verdict for [`per_apiserver`].
fn judged(
    status: Status,
    explanation: impl Into<String>,
    remediation: Option<&'static str>,
) -> Judged {
    (status, explanation.into(), remediation)
}

/// Runs `judge` on every kube-apiserver pod: the check takes the worst verdict (an HA
/// control plane is as strong as its weakest API server), and names the pods that fail.
fn per_apiserver(
    ctx: &Ctx,
    b: Builder,
    what: &str,
    judge: fn(&Ctx, &mut Builder, &Value, &BTreeMap<String, String>) -> Judged,
) -> CheckResult {
    let (mut b, all) = match visible(ctx, b, what) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let mut worst: Option<Judged> = None;
    let mut failing = Vec::new();
    for api in &all {
        let judged = judge(ctx, &mut b, &api.pod, &api.flags);
        if judged.0 == Status::Fail {
            failing.push(crate::controls::util::name(&api.pod).to_string());
        }
        worst = match worst {
            Some(w) if Status::combine([w.0, judged.0]) == w.0 => Some(w),
            _ => Some(judged),
        };
    }
    let (status, mut explanation, remediation) = worst.expect("at least one apiserver");
    if all.len() > 1 {
        explanation.push_str(&format!(
            " Each of the {} kube-apiserver pods was judged{}.",
            all.len(),
            if failing.is_empty() {
                String::new()
            } else {
                format!("; failing: {}", failing.join(", "))
            }
        ));
    }
    b.finish(status, explanation, remediation)
}

/// The kube-apiserver's minor version, from its image tag, else the cluster's version.
fn minor_version(ctx: &Ctx, pod: &Value) -> Option<u32> {
    let parse = |v: &str| -> Option<u32> {
        let v = v.strip_prefix('v').unwrap_or(v);
        let rest = v.strip_prefix("1.")?;
        rest.chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
            .parse()
            .ok()
    };
    crate::controls::util::arr(pod, "/spec/containers")
        .iter()
        .filter_map(|c| str_at(c, "/image"))
        .find(|i| i.contains("kube-apiserver"))
        .and_then(|i| i.rsplit_once(':').and_then(|(_, tag)| parse(tag)))
        .or_else(|| {
            ctx.snap
                .source
                .kubernetes_version
                .as_deref()
                .and_then(parse)
        })
}

fn anonymous_auth(ctx: &Ctx, b: Builder) -> CheckResult {
    per_apiserver(
        ctx,
        b,
        "whether anonymous requests are refused",
        anonymous_auth_of,
    )
}

fn anonymous_auth_of(
    _ctx: &Ctx,
    b: &mut Builder,
    pod: &Value,
    flags: &BTreeMap<String, String>,
) -> Judged {
    let name = crate::controls::util::name(pod).to_string();
    let remediation = Some(
        "Start kube-apiserver with --anonymous-auth=false (health probes can use an authenticated client or, from 1.32, an AuthenticationConfiguration `anonymous` section limited to /livez, /readyz and /healthz).",
    );
    match flags.get("anonymous-auth").map(String::as_str) {
        Some("false") => {
            b.push(
                Status::Pass,
                format!("{name} is started with {}", code("--anonymous-auth=false")),
                evidence(PODS, pod, flag_ptr(pod, "anonymous-auth")),
            );
            judged(
                Status::Pass,
                "The API server refuses anonymous requests (--anonymous-auth=false): every request is made by an authenticated identity.",
                None,
            )
        }
        Some(v) => {
            b.push(
                Status::Fail,
                format!("{name} is started with {}: requests without credentials are served as `system:anonymous`", code(&format!("--anonymous-auth={v}"))),
                evidence(PODS, pod, flag_ptr(pod, "anonymous-auth")),
            );
            judged(
                Status::Fail,
                format!(
                    "The API server accepts anonymous requests (--anonymous-auth={v}): they are served as user system:anonymous in group system:unauthenticated, limited only by what RBAC grants those names."
                ),
                remediation,
            )
        }
        None if flags.contains_key("authentication-config") => {
            let path = &flags["authentication-config"];
            b.push(
                Status::Manual,
                format!("{name} sets no --anonymous-auth but reads --authentication-config={path}, whose `anonymous` section (1.32+) decides; the file was not supplied"),
                evidence(PODS, pod, flag_ptr(pod, "authentication-config")),
            );
            judged(
                Status::Manual,
                format!(
                    "Anonymous access is configured in the AuthenticationConfiguration file ({path}), which is not collected: without it, anonymous requests are accepted (the flag's default is true)."
                ),
                Some(
                    "Attach the AuthenticationConfiguration file, showing `anonymous.enabled: false` or conditions limited to health endpoints.",
                ),
            )
        }
        None => {
            b.push(
                Status::Fail,
                format!("{name} does not set `--anonymous-auth`, whose default is true: requests without credentials are served as `system:anonymous`"),
                evidence(PODS, pod, "/spec/containers/0/command"),
            );
            judged(
                Status::Fail,
                "The API server does not set --anonymous-auth, and its default is true: anonymous requests are accepted as user system:anonymous (group system:unauthenticated), limited only by what RBAC grants those names.",
                remediation,
            )
        }
    }
}

fn static_credentials(ctx: &Ctx, b: Builder) -> CheckResult {
    per_apiserver(
        ctx,
        b,
        "whether static token or password files are accepted",
        static_credentials_of,
    )
}

fn static_credentials_of(
    ctx: &Ctx,
    b: &mut Builder,
    pod: &Value,
    flags: &BTreeMap<String, String>,
) -> Judged {
    let name = crate::controls::util::name(pod).to_string();
    let minor = minor_version(ctx, pod);
    if let Some(path) = flags.get("token-auth-file") {
        b.push(
            Status::Fail,
            format!("{name} is started with --token-auth-file={path}: bearer tokens in a static file, valid until the API server restarts with a new file, with no expiry and no identity provider behind them"),
            evidence(PODS, pod, flag_ptr(pod, "token-auth-file")),
        );
    }
    if let Some(path) = flags.get("basic-auth-file") {
        let note = match minor {
            Some(m) if m >= 19 => format!(
                " (the flag was removed in Kubernetes 1.19 and this API server reports 1.{m}, which refuses to start with it: the pod's spec does not match a running server)"
            ),
            Some(m) => {
                format!(" (Kubernetes 1.{m}: the flag is still honoured; it was removed in 1.19)")
            }
            None => {
                " (the flag was removed in Kubernetes 1.19; the API server's version is unknown)"
                    .to_string()
            }
        };
        b.push(
            Status::Fail,
            format!("{name} is started with --basic-auth-file={path}: static user names and passwords{note}"),
            evidence(PODS, pod, flag_ptr(pod, "basic-auth-file")),
        );
    }
    if b.observations.is_empty() {
        b.push(
            Status::Pass,
            format!("{name} sets neither `--token-auth-file` nor `--basic-auth-file`"),
            evidence(PODS, pod, "/spec/containers/0/command"),
        );
        return judged(
            Status::Pass,
            "The API server accepts no static token or password file: credentials come from authenticators that can expire or revoke them. Not examined: long-lived ServiceAccount token Secrets (see lifecycle.token-secrets) and client certificates issued to people, whose revocation Kubernetes does not support.",
            None,
        );
    }
    judged(
        Status::Fail,
        "The API server accepts static credentials from a file: they do not expire, cannot be revoked without restarting it, and are often shared, so an action cannot be tied to a person.",
        Some(
            "Remove --token-auth-file and --basic-auth-file from kube-apiserver and authenticate people through OIDC (--oidc-issuer-url or --authentication-config) or short-lived client certificates.",
        ),
    )
}

fn authenticator(ctx: &Ctx, b: Builder) -> CheckResult {
    per_apiserver(ctx, b, "how people authenticate", authenticator_of)
}

fn authenticator_of(
    _ctx: &Ctx,
    b: &mut Builder,
    pod: &Value,
    flags: &BTreeMap<String, String>,
) -> Judged {
    let name = crate::controls::util::name(pod).to_string();
    let kinds = [
        ("oidc-issuer-url", "OIDC (identity provider)"),
        (
            "authentication-config",
            "a structured AuthenticationConfiguration (1.30+; JWT authenticators)",
        ),
        (
            "authentication-token-webhook-config-file",
            "a webhook token authenticator",
        ),
        ("client-ca-file", "client certificates"),
    ];
    let mut found = Vec::new();
    for (flag, what) in kinds {
        if let Some(v) = flags.get(flag) {
            found.push(what);
            b.push(
                Status::Pass,
                format!("{name} authenticates with {what}: --{flag}={v}"),
                evidence(PODS, pod, flag_ptr(pod, flag)),
            );
        }
    }
    if found.is_empty() {
        b.push(
            Status::Fail,
            format!("{name} sets none of --oidc-issuer-url, --authentication-config, --authentication-token-webhook-config-file or --client-ca-file"),
            evidence(PODS, pod, "/spec/containers/0/command"),
        );
        return judged(
            Status::Fail,
            "The API server has no authenticator for people: without OIDC, an authentication configuration, a webhook or client certificates, people can only use ServiceAccount tokens or static files, neither of which identifies a person.",
            Some(
                "Configure an identity provider with --oidc-issuer-url (or an AuthenticationConfiguration with --authentication-config), or --client-ca-file for certificates issued to individuals.",
            ),
        );
    }
    let only_certs = found == ["client certificates"];
    let note = if only_certs {
        " Client certificates alone cannot be revoked before they expire, and whether each one is issued to one person is not visible here: the issued certificates must be listed with their holders."
    } else {
        " Whether each person has an account of their own at the identity provider is not visible here."
    };
    judged(
        Status::Pass,
        format!(
            "The API server authenticates people through {}.{note}",
            crate::controls::util::name_list(found.iter())
        ),
        None,
    )
}
