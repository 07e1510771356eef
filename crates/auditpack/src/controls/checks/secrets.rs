//! Secrets handed to workloads (SOC 2 CC6.1, HIPAA 164.312(a)(1)): Secrets injected as
//! environment variables (`secrets.env-injection`), and credentials written into a
//! manifest as literal `env` values (`secrets.literal-env`).
//!
//! The literal value itself never reaches the snapshot: the redactor replaces every
//! literal `env[].value` by its marker on collection (an empty value stays empty), so the
//! check reads only that a value was present and the variable's name.

use crate::controls::CheckDef;
use crate::controls::util::{WORKLOAD_KINDS, arr, str_at};

use super::workload::{
    ALL_CONTAINERS, COMMAND, Found, Hygiene, Workload, cname, containers, hygiene_check, run,
};

/// The checks of the `secrets` family.
pub const CHECKS: &[&CheckDef] = &[&ENV_INJECTION, &LITERAL_ENV];

/// The specs of this family's checks, judged in the evaluation's one walk.
pub(crate) const SPECS: &[&Hygiene] = &[&ENV_INJECTION_SPEC, &LITERAL_ENV_SPEC];

const RESOURCE: &str =
    "Pods, Deployments, StatefulSets, DaemonSets, Jobs, CronJobs (container env, envFrom)";

hygiene_check!(
    /// `secrets.env-injection`: no container takes a Secret as environment variables.
    ENV_INJECTION,
    "Secrets are mounted as files, not injected as environment variables",
    RESOURCE,
    ENV_INJECTION_SPEC
);

pub(crate) const ENV_INJECTION_SPEC: Hygiene = Hygiene {
    id: "secrets.env-injection",
    judges: "whether Secrets are injected as environment variables",
    out_of_scope: |_| false,
    judge: env_injection,
    pass: "take no Secret as environment variables (`valueFrom.secretKeyRef`, `envFrom.secretRef`)",
    fail: "take a Secret as environment variables",
    risk: "Environment variables leak where files do not: into `kubectl describe`, crash dumps, child processes and the logs of anything that prints its environment; they are read once at start, so a rotated Secret is not seen until a restart.",
    remediation: "Mount the Secret as a volume (`volumes[].secret`, read-only, with `defaultMode: 0400`) and have the application read the file; or fetch it at run time from a secret store (CSI Secrets Store driver).",
};

fn env_injection(w: &Workload) -> Vec<Found> {
    let mut out = Vec::new();
    for (p, c) in containers(w.spec, ALL_CONTAINERS) {
        for (i, e) in arr(c, "/env").iter().enumerate() {
            let Some(secret) = str_at(e, "/valueFrom/secretKeyRef/name") else {
                continue;
            };
            out.push(Found {
                pointer: format!("{p}/env/{i}/valueFrom/secretKeyRef"),
                message: format!(
                    "container {} takes env {} from Secret {secret} key {}",
                    cname(c),
                    str_at(e, "/name").unwrap_or("?"),
                    str_at(e, "/valueFrom/secretKeyRef/key").unwrap_or("?"),
                ),
            });
        }
        for (i, e) in arr(c, "/envFrom").iter().enumerate() {
            let Some(secret) = str_at(e, "/secretRef/name") else {
                continue;
            };
            out.push(Found {
                pointer: format!("{p}/envFrom/{i}/secretRef"),
                message: format!(
                    "container {} takes every key of Secret {secret} as environment variables (envFrom)",
                    cname(c),
                ),
            });
        }
    }
    out
}

hygiene_check!(
    /// `secrets.literal-env`: no credential is written into a manifest as a literal env value.
    LITERAL_ENV,
    "No credentials as literal environment values",
    RESOURCE,
    LITERAL_ENV_SPEC
);

pub(crate) const LITERAL_ENV_SPEC: Hygiene = Hygiene {
    id: "secrets.literal-env",
    judges: "whether credentials are written as literal environment values",
    out_of_scope: |_| false,
    judge: literal_env,
    pass: "write no credential-named environment variable as a literal value",
    fail: "write a credential-named environment variable (`*PASSWORD*`, `*TOKEN*`, `*SECRET*`, `*KEY*`) as a literal value",
    risk: "A credential written into a manifest is in the source repository, in every copy of the manifest, in the API server's storage unencrypted by Secret encryption, and readable by whoever may read the workload.",
    remediation: "Move the value into a Secret mounted as a file (and rotate it: it has been exposed), or into a secret store; keep only the reference in the manifest.",
};

fn literal_env(w: &Workload) -> Vec<Found> {
    let mut out = Vec::new();
    for (p, c) in containers(w.spec, ALL_CONTAINERS) {
        for (i, e) in arr(c, "/env").iter().enumerate() {
            let var = str_at(e, "/name").unwrap_or("");
            // The redactor leaves its marker where a value was, and an empty value empty.
            let present = str_at(e, "/value").is_some_and(|v| !v.is_empty());
            if present && is_credential_env(var) {
                out.push(Found {
                    pointer: format!("{p}/env/{i}/value"),
                    message: format!(
                        "container {} sets {var} to a literal value written in the manifest (the value is not copied into the packet)",
                        cname(c),
                    ),
                });
            }
        }
    }
    out
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
