//! Secrets handed to workloads (SOC 2 CC6.1, HIPAA 164.312(a)(1)): Secrets injected as
//! environment variables (`secrets.env-injection`), and credentials written into a
//! manifest as literal `env` values (`secrets.literal-env`).
//!
//! The literal value itself never reaches the snapshot: the redactor replaces every
//! literal `env[].value` by its marker on collection (an empty value stays empty), so the
//! check reads only that a value was present and the variable's name.

use crate::controls::util::{
    Builder, WORKLOAD_KINDS, arr, evidence, evidence_file, name, namespace, str_at,
};
use crate::controls::{CheckDef, Ctx};
use crate::findings::{CheckResult, Status};
use crate::snapshot::kinds::PODS;

use super::workload::{ALL_CONTAINERS, Workload, cname, containers, walk};

/// The checks of the `secrets` family.
pub const CHECKS: &[&CheckDef] = &[&ENV_INJECTION, &LITERAL_ENV];

const RESOURCE: &str =
    "Pods, Deployments, StatefulSets, DaemonSets, Jobs, CronJobs (container env, envFrom)";
const COMMAND: &str =
    "kubectl get pods,deployments,statefulsets,daemonsets,jobs,cronjobs -A -o yaml";

/// `secrets.env-injection`: no container takes a Secret as environment variables.
pub const ENV_INJECTION: CheckDef = CheckDef {
    id: "secrets.env-injection",
    title: "Secrets are mounted as files, not injected as environment variables",
    resource: RESOURCE,
    commands: &[COMMAND],
    requires: &[],
    judges: "whether Secrets are injected as environment variables",
    // Walked one kind at a time: a later kind missing keeps what the earlier ones showed.
    reads: WORKLOAD_KINDS,
    run: env_injection,
};

/// `secrets.literal-env`: no credential is written into a manifest as a literal env value.
pub const LITERAL_ENV: CheckDef = CheckDef {
    id: "secrets.literal-env",
    title: "No credentials as literal environment values",
    resource: RESOURCE,
    commands: &[COMMAND],
    requires: &[],
    judges: "whether credentials are written as literal environment values",
    reads: WORKLOAD_KINDS,
    run: literal_env,
};

fn pod_cmd(b: &mut Builder, w: &Workload) {
    if w.kind == PODS {
        b.cmd(format!(
            "kubectl get pod {} -n {} -o yaml",
            name(w.obj),
            namespace(w.obj).unwrap_or("")
        ));
    }
}

fn env_injection(ctx: &Ctx, mut b: Builder) -> CheckResult {
    let mut bad = 0;
    let walked = walk(ctx, &mut b, ENV_INJECTION.judges, |w, b| {
        let mut found = false;
        for (p, c) in containers(w.spec, ALL_CONTAINERS) {
            for (i, e) in arr(c, "/env").iter().enumerate() {
                let Some(secret) = str_at(e, "/valueFrom/secretKeyRef/name") else {
                    continue;
                };
                found = true;
                b.push(
                    Status::Fail,
                    format!(
                        "{}: container {} takes env {} from Secret {secret} key {}",
                        w.display(),
                        cname(c),
                        str_at(e, "/name").unwrap_or("?"),
                        str_at(e, "/valueFrom/secretKeyRef/key").unwrap_or("?"),
                    ),
                    evidence(
                        w.kind,
                        w.obj,
                        format!("{}{p}/env/{i}/valueFrom/secretKeyRef", w.ptr),
                    ),
                );
            }
            for (i, e) in arr(c, "/envFrom").iter().enumerate() {
                let Some(secret) = str_at(e, "/secretRef/name") else {
                    continue;
                };
                found = true;
                b.push(
                    Status::Fail,
                    format!(
                        "{}: container {} takes every key of Secret {secret} as environment variables (envFrom)",
                        w.display(),
                        cname(c),
                    ),
                    evidence(w.kind, w.obj, format!("{}{p}/envFrom/{i}/secretRef", w.ptr)),
                );
            }
        }
        if found {
            bad += 1;
            pod_cmd(b, w);
        }
    });
    finish(
        b,
        bad,
        walked.judged,
        walked.skipped,
        "take no Secret as environment variables (`valueFrom.secretKeyRef`, `envFrom.secretRef`)",
        "take a Secret as environment variables",
        "Environment variables leak where files do not: into `kubectl describe`, crash dumps, child processes and the logs of anything that prints its environment; they are read once at start, so a rotated Secret is not seen until a restart.",
        "Mount the Secret as a volume (`volumes[].secret`, read-only, with `defaultMode: 0400`) and have the application read the file; or fetch it at run time from a secret store (CSI Secrets Store driver).",
    )
}

/// Last words of a variable name that say it holds a reference to a credential or a fact
/// about it, not the credential: `KEY_PATH`, `TOKEN_URL`, `SECRET_NAME`, `PASSWORD_FILE`.
const REFERENCE_WORDS: &[&str] = &[
    "file",
    "files",
    "path",
    "paths",
    "dir",
    "directory",
    "url",
    "uri",
    "endpoint",
    "host",
    "name",
    "id",
    "ref",
    "type",
    "size",
    "length",
    "len",
    "bits",
    "alg",
    "algorithm",
    "format",
    "ttl",
    "expiry",
    "expires",
    "expiration",
    "timeout",
    "version",
    "enabled",
    "enable",
    "required",
    "location",
    "header",
    "field",
    "prefix",
    "mode",
    "policy",
];

/// Substrings of a name (its words joined, lower-cased) that mark a credential.
const CREDENTIAL_PARTS: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "apikey",
    "accesskey",
    "privatekey",
    "credential",
];

/// Whole words of a name that mark a credential.
const CREDENTIAL_WORDS: &[&str] = &["key", "pwd", "pass"];

/// The words of a variable name: split at every character that is not a letter or digit
/// and at camelCase boundaries, lower-cased (`dbPassword_FILE` → `db`, `password`, `file`).
fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in name.split(|c: char| !c.is_ascii_alphanumeric()) {
        let mut cur = String::new();
        let mut prev_lower = false;
        for c in part.chars() {
            if c.is_ascii_uppercase() && prev_lower && !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
            cur.push(c.to_ascii_lowercase());
        }
        if !cur.is_empty() {
            out.push(cur);
        }
    }
    out
}

/// Whether an environment variable's name says it holds a credential: its words (split at
/// `_`, `-`, `.` and camelCase, lower-cased) contain `password`, `passwd`, `passphrase`,
/// `secret`, `token`, `apikey`, `accesskey`, `privatekey` or `credential`, or one of the
/// words `key`, `pwd` or `pass`; and its last word is not one that names a reference to
/// the credential or a fact about it (`KEY_PATH`, `TOKEN_URL`, `SECRET_NAME`,
/// `PASSWORD_FILE`, `KEY_ID`, `TOKEN_TTL`: [`REFERENCE_WORDS`]).
pub fn is_credential_env(name: &str) -> bool {
    let w = words(name);
    let Some(last) = w.last() else {
        return false;
    };
    if REFERENCE_WORDS.contains(&last.as_str()) {
        return false;
    }
    let joined = w.concat();
    CREDENTIAL_PARTS.iter().any(|p| joined.contains(p))
        || w.iter().any(|x| CREDENTIAL_WORDS.contains(&x.as_str()))
}

fn literal_env(ctx: &Ctx, mut b: Builder) -> CheckResult {
    let mut bad = 0;
    let walked = walk(ctx, &mut b, LITERAL_ENV.judges, |w, b| {
        let mut found = false;
        for (p, c) in containers(w.spec, ALL_CONTAINERS) {
            for (i, e) in arr(c, "/env").iter().enumerate() {
                let var = str_at(e, "/name").unwrap_or("");
                // The redactor leaves the marker where a value was, and an empty value empty.
                let present = str_at(e, "/value").is_some_and(|v| !v.is_empty());
                if !present || !is_credential_env(var) {
                    continue;
                }
                found = true;
                b.push(
                    Status::Fail,
                    format!(
                        "{}: container {} sets {var} to a literal value written in the manifest (the value is not copied into the packet)",
                        w.display(),
                        cname(c),
                    ),
                    evidence(w.kind, w.obj, format!("{}{p}/env/{i}/value", w.ptr)),
                );
            }
        }
        if found {
            bad += 1;
            pod_cmd(b, w);
        }
    });
    finish(
        b,
        bad,
        walked.judged,
        walked.skipped,
        "write no credential-named environment variable as a literal value",
        "write a credential-named environment variable (`*PASSWORD*`, `*TOKEN*`, `*SECRET*`, `*KEY*`) as a literal value",
        "A credential written into a manifest is in the source repository, in every copy of the manifest, in the API server's storage unencrypted by Secret encryption, and readable by whoever may read the workload.",
        "Move the value into a Secret mounted as a file (and rotate it: it has been exposed), or into a secret store; keep only the reference in the manifest.",
    )
}

#[allow(clippy::too_many_arguments)]
fn finish(
    mut b: Builder,
    bad: usize,
    judged: usize,
    skipped: usize,
    pass: &str,
    fail: &str,
    risk: &str,
    remediation: &'static str,
) -> CheckResult {
    if bad == 0 && judged > 0 {
        b.push(
            Status::Pass,
            format!("all {judged} application pods and pod templates {pass}"),
            evidence_file(PODS, "", "/spec"),
        );
    }
    let note = if skipped > 0 {
        format!(" {skipped} object(s) in system namespaces are not judged.")
    } else {
        String::new()
    };
    let status = b.derived().unwrap_or(Status::NotApplicable);
    let explanation = match status {
        Status::Pass => format!("All {judged} application pods and pod templates {pass}.{note}"),
        Status::NotApplicable => format!("There are no application pods or pod templates.{note}"),
        _ => format!("{bad} of {judged} application pods and pod templates {fail}. {risk}{note}"),
    };
    b.finish(status, explanation, Some(remediation))
}

#[cfg(test)]
mod tests {
    use super::is_credential_env;

    #[test]
    fn credential_names_and_their_references_are_told_apart() {
        for n in [
            "DB_PASSWORD",
            "API_KEY",
            "K8S_GOAT_VAULT_KEY",
            "GITHUB_TOKEN",
            "clientSecret",
            "AWS_SECRET_ACCESS_KEY",
            "REDIS_PASS",
            "MYSQL_ROOT_PASSWORD",
            "STRIPE_APIKEY",
            "PRIVATE_KEY",
        ] {
            assert!(is_credential_env(n), "{n}");
        }
        for n in [
            "KEY_PATH",
            "TLS_KEY_FILE",
            "PASSWORD_FILE",
            "TOKEN_URL",
            "SECRET_NAME",
            "KMS_KEY_ID",
            "TOKEN_TTL",
            "KEYCLOAK_REALM",
            "MONKEY_MODE",
            "LOG_LEVEL",
            "HOTKEYS",
            "",
        ] {
            assert!(!is_credential_env(n), "{n}");
        }
    }
}
