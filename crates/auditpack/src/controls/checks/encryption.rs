//! Encryption at rest (HIPAA 164.312(a)(2)(iv)): `encryption.at-rest`, from the
//! EncryptionConfiguration file and the kube-apiserver's flags.

use serde_json::Value;

use crate::controls::model::apiserver::{APISERVER_CMD, ApiServer, apiserver, flag_ptr};
use crate::controls::util::{Builder, arr, evidence, evidence_file, str_at, strs};
use crate::controls::{CheckDef, Ctx};
use crate::findings::{CheckResult, Status};
use crate::snapshot::kinds::PODS;

/// Provider names by strength, strongest first.
fn provider_strength(p: &Value) -> (u8, String) {
    let Some(obj) = p.as_object() else {
        return (0, "unknown".into());
    };
    let Some((k, v)) = obj.iter().next() else {
        return (0, "empty".into());
    };
    let invalid = "the API server refuses such a file, so it cannot be the one in use";
    let keyed = |name: &str, strength: u8| {
        if arr(v, "/keys").is_empty() {
            (0, format!("{name} with no keys ({invalid})"))
        } else {
            (strength, name.to_string())
        }
    };
    match k.as_str() {
        "kms" => match str_at(v, "/apiVersion") {
            Some("v2") => (5, "kms v2".into()),
            None | Some("v1") => (3, "kms v1 (deprecated)".into()),
            Some(other) => (0, format!("kms with apiVersion {other} ({invalid})")),
        },
        "secretbox" => keyed("secretbox", 4),
        "aesgcm" => keyed("aesgcm", 4),
        "aescbc" => keyed("aescbc", 2),
        "identity" => (0, "identity (no encryption)".into()),
        other => (0, format!("unknown provider {other}")),
    }
}

/// The checks of the `encryption` family.
pub const CHECKS: &[&CheckDef] = &[&AT_REST];

/// `encryption.at-rest`: Secrets are encrypted in etcd.
pub const AT_REST: CheckDef = CheckDef {
    id: "encryption.at-rest",
    title: "Secrets encrypted at rest",
    resource: "EncryptionConfiguration, kube-apiserver --encryption-provider-config",
    commands: &[APISERVER_CMD],
    requires: &[],
    judges: "whether Secrets are encrypted at rest",
    // The EncryptionConfiguration file is the evidence; the kube-apiserver pod adds to it.
    reads: &[PODS],
    run: at_rest,
};

fn at_rest(ctx: &Ctx, mut b: Builder) -> CheckResult {
    let api = apiserver(ctx);
    let flag = match &api {
        ApiServer::Visible(pod, f) => Some((pod, f.get("encryption-provider-config"))),
        _ => None,
    };
    let Some(ec) = &ctx.snap.encryption_config else {
        b.cmd("cat /etc/kubernetes/enc/encryption-config.yaml  # on a control-plane node, then: auditpack collect --encryption-config FILE");
        return match (flag, &api) {
            (Some((pod, Some(path))), _) => {
                b.push(Status::Partial, format!("kube-apiserver is started with --encryption-provider-config={path}, but the file itself was not supplied"), evidence(PODS, pod, flag_ptr(pod, "encryption-provider-config")));
                b.finish(Status::Partial, format!("The API server names an encryption configuration ({path}), so some resources are encrypted at rest, but without the file it cannot be shown that Secrets are covered or that the first provider is not `identity`."), Some("Supply the EncryptionConfiguration (key material is removed on import) with `auditpack collect --encryption-config FILE`."))
            }
            (Some((pod, None)), _) => {
                b.push(Status::Fail, "kube-apiserver runs without --encryption-provider-config: Secrets are stored in etcd unencrypted (base64 is an encoding, not encryption)", evidence(PODS, pod, "/spec/containers/0/command"));
                b.finish(Status::Fail, "The API server runs without an encryption provider configuration, so Secrets are written to etcd in plain text.", Some("Create an EncryptionConfiguration covering secrets with a kms v2 (or secretbox/aesgcm) provider first, start kube-apiserver with --encryption-provider-config, then rewrite all Secrets: `kubectl get secrets -A -o json | kubectl replace -f -`."))
            }
            (_, ApiServer::NotCollected) => {
                b.push(Status::NotCollected, "neither an EncryptionConfiguration nor the kube-apiserver pod is in the snapshot", evidence_file("EncryptionConfiguration", "", ""));
                b.finish(Status::NotCollected, "No EncryptionConfiguration was supplied and pods were not collected, so encryption at rest cannot be judged.", Some("Supply the EncryptionConfiguration with `--encryption-config`, or an attestation from the platform provider."))
            }
            _ => {
                b.push(Status::Manual, "the control plane is not visible (managed cluster) and no EncryptionConfiguration was supplied", evidence_file("EncryptionConfiguration", "", ""));
                b.finish(Status::Manual, "The control plane is not visible from the cluster (typical of managed Kubernetes) and no EncryptionConfiguration was supplied. Encryption of Secrets in etcd, and of persistent volumes, must be attested by the platform owner.", Some("Attach the provider's attestation: e.g. EKS `aws eks describe-cluster --query cluster.encryptionConfig`, GKE `gcloud container clusters describe --format='value(databaseEncryption)'`, AKS KMS settings; and the storage class's volume encryption."))
            }
        };
    };
    let doc = &ec.document;
    let kind = str_at(doc, "/kind").unwrap_or("");
    let file_ref = |ptr: String| evidence_file("EncryptionConfiguration", &ec.path, ptr);
    let api_version = str_at(doc, "/apiVersion").unwrap_or("");
    let valid_kind = (kind == "EncryptionConfiguration"
        && api_version == "apiserver.config.k8s.io/v1")
        || (kind == "EncryptionConfig" && api_version == "v1");
    if !valid_kind {
        b.push(
            Status::Fail,
            format!(
                "{} is not an EncryptionConfiguration (kind {kind:?})",
                ec.path
            ),
            file_ref("/kind".into()),
        );
        return b.finish(Status::Fail, "The supplied encryption configuration is not an EncryptionConfiguration document, so it shows nothing about encryption at rest.", Some("Supply the file named by kube-apiserver's --encryption-provider-config."));
    }
    let covers = |r: &str| r == "secrets" || r == "*." || r == "*.*";
    let entry = arr(doc, "/resources")
        .iter()
        .enumerate()
        .find(|(_, e)| strs(e, "/resources").iter().any(|r| covers(r)));
    match entry {
        None => {
            b.push(Status::Fail, "no resources entry covers secrets (nor `*.` or `*.*`): Secrets are stored unencrypted", file_ref("/resources".into()));
        }
        Some((i, e)) => {
            let providers = arr(e, "/providers");
            match providers.first().map(provider_strength) {
                None => b.push(Status::Fail, format!("resources entry {i} covering secrets lists no providers"), file_ref(format!("/resources/{i}/providers"))),
                Some((0, p)) if p.starts_with("identity") => b.push(Status::Fail, format!("the first provider for secrets is {p}: new Secrets are written unencrypted (later providers are only used to read)"), file_ref(format!("/resources/{i}/providers/0"))),
                Some((0, p)) => b.push(Status::Fail, format!("the first provider for secrets is {p}"), file_ref(format!("/resources/{i}/providers/0"))),
                Some((s, p)) => {
                    let note = match s {
                        5 => "the strongest option: envelope encryption with keys held outside the cluster".to_string(),
                        4 => "strong; keys live in the file on the control-plane nodes (kms v2 keeps them outside)".to_string(),
                        3 => "kms v1 is deprecated and disabled by default since Kubernetes 1.29; move to kms v2".to_string(),
                        _ => "weaker than kms v2, secretbox or aesgcm (CBC is open to padding-oracle attacks; upstream no longer recommends it), keys live in the file on the control-plane nodes".to_string(),
                    };
                    b.push(Status::Pass, format!("Secrets are encrypted with {p} as the first provider: {note}"), file_ref(format!("/resources/{i}/providers/0")));
                }
            }
        }
    }
    match &api {
        ApiServer::Visible(pod, flags) => match flags.get("encryption-provider-config") {
            Some(path) => b.push(Status::Pass, format!("kube-apiserver is started with --encryption-provider-config={path}"), evidence(PODS, pod, flag_ptr(pod, "encryption-provider-config"))),
            None => b.push(Status::Fail, "kube-apiserver runs without --encryption-provider-config, so the supplied file is not in use", evidence(PODS, pod, "/spec/containers/0/command")),
        },
        _ => b.push(Status::Manual, "the kube-apiserver pod is not visible, so that the API server uses this file must be attested by whoever supplied it", file_ref(String::new())),
    }
    let status = b.derived().unwrap_or(Status::Fail);
    let explanation = match status {
        Status::Pass => format!(
            "{} (EncryptionConfiguration {}), and the API server is started with that file. Persistent-volume encryption is a property of the storage backend and is not visible here.",
            b.observations[0]
                .message
                .replacen("Secrets", "Secrets in etcd", 1),
            ec.path
        ),
        Status::Manual => format!(
            "The EncryptionConfiguration ({}) encrypts Secrets, but the API server's flags are not visible, so its use needs an attestation.",
            ec.path
        ),
        _ => format!(
            "The encryption configuration ({}) does not show Secrets encrypted at rest; see the observations.",
            ec.path
        ),
    };
    b.finish(status, explanation, Some("Put a kms v2, secretbox or aesgcm provider first for secrets, restart kube-apiserver with --encryption-provider-config, and rewrite existing Secrets."))
}
