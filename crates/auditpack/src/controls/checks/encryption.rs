//! Encryption at rest (HIPAA 164.312(a)(2)(iv), SOC 2 CC6.1): `encryption.at-rest`, from
//! the EncryptionConfiguration file and the kube-apiserver's flags, and
//! `encryption.volumes`, from the StorageClasses' and PersistentVolumes' encryption
//! parameters. On a managed cluster `encryption.at-rest` reads the cloud's description of
//! the cluster (`--cloud-evidence`).

use serde_json::Value;

use crate::controls::model::apiserver::{APISERVER_CMD, ApiServers, apiservers, flag_ptr};
use crate::controls::util::{self, Builder, arr, at, evidence, evidence_file, str_at, strs};
use crate::controls::{CheckDef, Ctx, REQUIRED};
use crate::findings::{CheckResult, Status};
use crate::snapshot::kinds::{PERSISTENT_VOLUMES, PODS, STORAGE_CLASSES};
use crate::snapshot::{CloudEvidence, CloudProvider};

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
pub const CHECKS: &[&CheckDef] = &[&AT_REST, &VOLUMES];

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

/// Judges encryption at rest when no EncryptionConfiguration was supplied: from each API
/// server's flag (the file is named but not shown: partial; no flag: fail), or as
/// not-collected or manual when no API server is visible.
fn at_rest_without_file(mut b: Builder, api: &ApiServers) -> CheckResult {
    b.cmd("cat /etc/kubernetes/enc/encryption-config.yaml  # on a control-plane node, then: auditpack collect --encryption-config FILE");
    match api {
        ApiServers::Visible(all) => {
            let mut paths = Vec::new();
            for api in all {
                let pod = util::name(&api.pod);
                match api.flags.get("encryption-provider-config") {
                    Some(path) => {
                        paths.push(path.as_str());
                        b.push(Status::Partial, format!("kube-apiserver pod {pod} is started with --encryption-provider-config={path}, but the file itself was not supplied"), evidence(PODS, &api.pod, flag_ptr(&api.pod, "encryption-provider-config")));
                    }
                    None => b.push(Status::Fail, format!("kube-apiserver pod {pod} runs without --encryption-provider-config: Secrets it writes are stored in etcd unencrypted (base64 is an encoding, not encryption)"), evidence(PODS, &api.pod, "/spec/containers/0/command")),
                }
            }
            if b.derived() == Some(Status::Fail) {
                let explanation = format!(
                    "An API server runs without an encryption provider configuration{}, so Secrets it writes reach etcd in plain text.",
                    failing_apiservers(&b)
                );
                return b.finish(Status::Fail, explanation, Some("Create an EncryptionConfiguration covering secrets with a kms v2 (or secretbox/aesgcm) provider first, start every kube-apiserver with --encryption-provider-config, then rewrite all Secrets: `kubectl get secrets -A -o json | kubectl replace -f -`."));
            }
            paths.sort_unstable();
            paths.dedup();
            let explanation = format!(
                "The API servers name an encryption configuration ({}), so some resources are encrypted at rest, but without the file it cannot be shown that Secrets are covered or that the first provider is not `identity`.",
                paths.join(", ")
            );
            b.finish(Status::Partial, explanation, Some("Supply the EncryptionConfiguration (key material is removed on import) with `auditpack collect --encryption-config FILE`."))
        }
        ApiServers::NotCollected => {
            b.push(
                Status::NotCollected,
                "neither an EncryptionConfiguration nor the kube-apiserver pod is in the snapshot",
                evidence_file("EncryptionConfiguration", "", ""),
            );
            b.finish(Status::NotCollected, "No EncryptionConfiguration was supplied and pods were not collected, so encryption at rest cannot be judged.", Some("Supply the EncryptionConfiguration with `--encryption-config`, or an attestation from the platform provider."))
        }
        ApiServers::NotVisible => {
            b.push(Status::Manual, "the control plane is not visible (managed cluster) and no EncryptionConfiguration was supplied", evidence_file("EncryptionConfiguration", "", ""));
            b.finish(Status::Manual, "The control plane is not visible from the cluster (typical of managed Kubernetes) and no EncryptionConfiguration was supplied. Encryption of Secrets in etcd, and of persistent volumes, must be attested by the platform owner.", Some("Attach the provider's attestation: e.g. EKS `aws eks describe-cluster --query cluster.encryptionConfig`, GKE `gcloud container clusters describe --format='value(databaseEncryption)'`, AKS KMS settings; and the storage class's volume encryption."))
        }
    }
}

/// ` (NAME, …)`: the kube-apiserver pods with a failing observation, for an explanation;
/// empty when none is named.
fn failing_apiservers(b: &Builder) -> String {
    let names: Vec<&str> = b
        .observations
        .iter()
        .filter(|o| o.status == Status::Fail && o.evidence.kind == PODS.key)
        .map(|o| o.evidence.name.as_str())
        .collect();
    if names.is_empty() {
        String::new()
    } else {
        format!(" (kube-apiserver pod {})", names.join(", "))
    }
}

fn at_rest(ctx: &Ctx, mut b: Builder) -> CheckResult {
    let api = apiservers(ctx);
    let Some(ec) = &ctx.snap.encryption_config else {
        if !matches!(api, ApiServers::Visible(..))
            && let Some(cloud) = cloud_cluster(ctx)
        {
            return cloud_at_rest(b, cloud);
        }
        return at_rest_without_file(b, &api);
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
        ApiServers::Visible(all) => {
            for api in all {
                let pod = util::name(&api.pod);
                match api.flags.get("encryption-provider-config") {
                    Some(path) => b.push(Status::Pass, format!("kube-apiserver pod {pod} is started with --encryption-provider-config={path}"), evidence(PODS, &api.pod, flag_ptr(&api.pod, "encryption-provider-config"))),
                    None => b.push(Status::Fail, format!("kube-apiserver pod {pod} runs without --encryption-provider-config, so the supplied file is not in use there"), evidence(PODS, &api.pod, "/spec/containers/0/command")),
                }
            }
        }
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
            "The encryption configuration ({}) does not show Secrets encrypted at rest on every API server{}; see the observations.",
            ec.path,
            failing_apiservers(&b)
        ),
    };
    b.finish(status, explanation, Some("Put a kms v2, secretbox or aesgcm provider first for secrets, restart kube-apiserver with --encryption-provider-config, and rewrite existing Secrets."))
}

// ---- encryption.volumes ------------------------------------------------------------------

/// `encryption.volumes`: persistent volumes are provisioned encrypted.
pub const VOLUMES: CheckDef = CheckDef {
    id: "encryption.volumes",
    title: "Persistent volumes encrypted at rest",
    resource: "StorageClasses, PersistentVolumes",
    commands: &["kubectl get storageclasses,persistentvolumes -o yaml"],
    requires: &[STORAGE_CLASSES],
    judges: "whether persistent volumes are provisioned encrypted",
    reads: &[PERSISTENT_VOLUMES],
    run: volumes,
};

/// What is never examined by `encryption.volumes`, said in every explanation.
const VOLUMES_NOT_EXAMINED: &str = "Not examined: databases and object stores outside the cluster, application-level encryption, node disks and ephemeral volumes (emptyDir, hostPath), and whether the storage backend honours the parameters.";

/// What a StorageClass's parameters (or a CSI volume's attributes) show of encryption.
enum VolumeEncryption {
    /// Encrypted, and how.
    Yes(String),
    /// Explicitly unencrypted.
    No(String),
    /// Nothing in the cluster shows it either way: why, for this backend.
    Unknown(String),
}

fn param<'a>(params: &'a Value, key: &str) -> Option<&'a str> {
    params.get(key).and_then(Value::as_str)
}

/// Judges the encryption parameters of a provisioner (or CSI driver).
fn volume_encryption(provisioner: &str, params: &Value) -> VolumeEncryption {
    use VolumeEncryption::{No, Unknown, Yes};
    let key = param(params, "kmsKeyId")
        .or_else(|| param(params, "encryptionKMSID"))
        .map(|k| format!(", key {k}"))
        .unwrap_or_default();
    for flag in ["encrypted", "encryption"] {
        match param(params, flag).map(str::to_ascii_lowercase).as_deref() {
            Some("true") => return Yes(format!("`{flag}: \"true\"`{key}")),
            Some("false") => {
                return No(format!(
                    "`{flag}: \"false\"` asks the provisioner for unencrypted volumes"
                ));
            }
            _ => {}
        }
    }
    if let Some(k) = param(params, "disk-encryption-kms-key") {
        return Yes(format!(
            "customer-managed key `disk-encryption-kms-key: {k}`"
        ));
    }
    if let Some(set) = param(params, "diskEncryptionSetID") {
        return Yes(format!("disk encryption set `diskEncryptionSetID: {set}`"));
    }
    if let Some(t) = param(params, "diskEncryptionType") {
        return Yes(format!("`diskEncryptionType: {t}`"));
    }
    if let Some(secret) = param(params, "csi.storage.k8s.io/node-stage-secret-name") {
        return Unknown(format!(
            "a node-stage secret ({secret}) is configured, which LUKS-encrypting drivers use for the passphrase, but no `encrypted: \"true\"` parameter says the volumes are encrypted"
        ));
    }
    let why = match provisioner {
        "kubernetes.io/aws-ebs" | "ebs.csi.aws.com" => {
            "no `encrypted: \"true\"`: EBS volumes are encrypted only if the AWS account's EBS encryption by default is on, which the cluster does not show"
        }
        "kubernetes.io/gce-pd" | "pd.csi.storage.gke.io" => {
            "no customer-managed key (`disk-encryption-kms-key`): Compute Engine encrypts disks with Google-managed keys, which the cluster does not show"
        }
        "kubernetes.io/azure-disk" | "disk.csi.azure.com" => {
            "no disk encryption set (`diskEncryptionSetID`) or `diskEncryptionType`: Azure encrypts managed disks with platform-managed keys, which the cluster does not show"
        }
        "kubernetes.io/no-provisioner" => {
            "local volumes: encryption is a property of the node's disks, which the cluster does not show"
        }
        _ => {
            "no encryption parameter: whether the storage backend encrypts these volumes is not visible in the cluster"
        }
    };
    Unknown(why.to_string())
}

/// The storage sources `encryption.volumes` sorted by what their evidence shows.
#[derive(Default)]
struct VolumeTally {
    yes: Vec<String>,
    no: Vec<String>,
    unknown: Vec<String>,
}

fn volumes(ctx: &Ctx, mut b: Builder) -> CheckResult {
    use std::collections::BTreeMap;
    let classes = ctx.items(STORAGE_CLASSES).expect(REQUIRED);
    let mut by_class: BTreeMap<&str, Status> = BTreeMap::new();
    let mut tally = VolumeTally::default();
    for sc in classes {
        by_class.insert(util::name(sc), judge_storage_class(sc, &mut b, &mut tally));
    }
    // Volumes not provisioned through a StorageClass that is still present are judged by
    // their own CSI attributes.
    let mut pv_note = String::new();
    let mut volumes = 0;
    match ctx.items(PERSISTENT_VOLUMES) {
        Ok(pvs) => {
            for pv in pvs {
                volumes += 1;
                let class = str_at(pv, "/spec/storageClassName").unwrap_or("");
                if !by_class.contains_key(class) {
                    judge_unclassed_volume(pv, class, &mut b, &mut tally);
                }
            }
        }
        Err(e) => {
            pv_note = format!(
                " PersistentVolumes were not collected ({}{}), so volumes provisioned outside these StorageClasses were not examined.",
                collection(e.status),
                e.reason
                    .as_deref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default()
            );
        }
    }
    if classes.is_empty() && volumes == 0 {
        b.push(
            Status::NotApplicable,
            "no StorageClass and no PersistentVolume",
            evidence_file(STORAGE_CLASSES, "", ""),
        );
        return b.finish(Status::NotApplicable, format!("The cluster has no StorageClass and no PersistentVolume, so no data is held in persistent volumes; this check has nothing in scope.{pv_note} {VOLUMES_NOT_EXAMINED}"), None);
    }
    let remediation = Some(
        "Provision volumes only through StorageClasses that request encryption (`encrypted: \"true\"` with a `kmsKeyId` on EBS, `disk-encryption-kms-key` on GCE PD, `diskEncryptionSetID` on Azure Disk, `encrypted: \"true\"` on LUKS-capable CSI drivers), or attach the platform's attestation that the backend encrypts every volume (e.g. `aws ec2 get-ebs-encryption-by-default`).",
    );
    let (status, summary) = volumes_verdict(&tally, volumes > 0);
    b.finish(
        status,
        format!("{summary}{pv_note} {VOLUMES_NOT_EXAMINED}"),
        if status == Status::Pass {
            None
        } else {
            remediation
        },
    )
}

/// Judges one StorageClass by its provisioner and parameters.
fn judge_storage_class(sc: &Value, b: &mut Builder, tally: &mut VolumeTally) -> Status {
    let name = util::name(sc);
    let provisioner = str_at(sc, "/provisioner").unwrap_or("");
    let empty = Value::Null;
    let params = sc.get("parameters").unwrap_or(&empty);
    let ptr = |k: &str| {
        if params.get(k).is_some() {
            format!("/parameters/{}", util::esc(k))
        } else {
            "/provisioner".to_string()
        }
    };
    match volume_encryption(provisioner, params) {
        VolumeEncryption::Yes(how) => {
            tally.yes.push(name.to_string());
            let p = [
                "encrypted",
                "encryption",
                "disk-encryption-kms-key",
                "diskEncryptionSetID",
                "diskEncryptionType",
            ]
            .into_iter()
            .find(|k| params.get(*k).is_some())
            .unwrap_or("encrypted");
            b.push(
                Status::Pass,
                format!("StorageClass {name} ({provisioner}) provisions encrypted volumes: {how}"),
                evidence(STORAGE_CLASSES, sc, ptr(p)),
            );
            Status::Pass
        }
        VolumeEncryption::No(why) => {
            tally.no.push(name.to_string());
            b.push(
                Status::Fail,
                format!("StorageClass {name} ({provisioner}): {why}"),
                evidence(STORAGE_CLASSES, sc, ptr("encrypted")),
            );
            Status::Fail
        }
        VolumeEncryption::Unknown(why) => {
            tally.unknown.push(name.to_string());
            b.push(
                Status::Manual,
                format!("StorageClass {name} ({provisioner}) shows no encryption evidence: {why}"),
                evidence(
                    STORAGE_CLASSES,
                    sc,
                    ptr("csi.storage.k8s.io/node-stage-secret-name"),
                ),
            );
            Status::Manual
        }
    }
}

/// Judges a PersistentVolume whose StorageClass is absent (or that names none) by its own
/// CSI attributes.
fn judge_unclassed_volume(pv: &Value, class: &str, b: &mut Builder, tally: &mut VolumeTally) {
    let name = util::name(pv);
    let whose = if class.is_empty() {
        "has no StorageClass".to_string()
    } else {
        format!("names StorageClass {class}, which does not exist")
    };
    let claim = match (
        str_at(pv, "/spec/claimRef/namespace"),
        str_at(pv, "/spec/claimRef/name"),
    ) {
        (Some(ns), Some(n)) => format!(", bound to claim {ns}/{n}"),
        _ => String::new(),
    };
    let Some(driver) = str_at(pv, "/spec/csi/driver") else {
        tally.unknown.push(format!("PersistentVolume {name}"));
        b.push(Status::Manual, format!("PersistentVolume {name} {whose}{claim} and is not a CSI volume: nothing in the cluster shows whether it is encrypted"), evidence(PERSISTENT_VOLUMES, pv, "/spec"));
        return;
    };
    let empty = Value::Null;
    let attrs = at(pv, "/spec/csi/volumeAttributes").unwrap_or(&empty);
    match volume_encryption(driver, attrs) {
        VolumeEncryption::Yes(how) => {
            tally.yes.push(format!("PersistentVolume {name}"));
            b.push(Status::Pass, format!("PersistentVolume {name} ({driver}) {whose}{claim}; its CSI attributes show it encrypted: {how}"), evidence(PERSISTENT_VOLUMES, pv, "/spec/csi/volumeAttributes"));
        }
        VolumeEncryption::No(why) => {
            tally.no.push(format!("PersistentVolume {name}"));
            b.push(
                Status::Fail,
                format!("PersistentVolume {name} ({driver}) {whose}{claim}: {why}"),
                evidence(PERSISTENT_VOLUMES, pv, "/spec/csi/volumeAttributes"),
            );
        }
        VolumeEncryption::Unknown(why) => {
            tally.unknown.push(format!("PersistentVolume {name}"));
            b.push(Status::Manual, format!("PersistentVolume {name} ({driver}) {whose}{claim} and shows no encryption evidence: {why}"), evidence(PERSISTENT_VOLUMES, pv, "/spec/csi"));
        }
    }
}

/// The check's status and summary from the tally: any explicit request for unencrypted
/// storage fails; evidence everywhere passes; none anywhere is manual; a mix is partial.
fn volumes_verdict(tally: &VolumeTally, any_volumes: bool) -> (Status, String) {
    let VolumeTally { yes, no, unknown } = tally;
    let list = |v: &Vec<String>| util::name_list(v.iter());
    if !no.is_empty() {
        (
            Status::Fail,
            format!(
                "{} {} request unencrypted volumes: {}.",
                no.len(),
                if no.len() == 1 {
                    "storage source explicitly asks to"
                } else {
                    "storage sources explicitly"
                },
                list(no)
            ),
        )
    } else if unknown.is_empty() {
        (
            Status::Pass,
            format!(
                "Every StorageClass{} shows encryption in its parameters: {}.",
                if any_volumes {
                    " and every PersistentVolume outside them"
                } else {
                    ""
                },
                list(yes)
            ),
        )
    } else if yes.is_empty() {
        (
            Status::Manual,
            format!(
                "No StorageClass or PersistentVolume shows encryption evidence ({}); encryption of persistent volumes must be attested by the platform owner.",
                list(unknown)
            ),
        )
    } else {
        (
            Status::Partial,
            format!(
                "Some storage shows encryption ({}), the rest shows none ({}), which must be attested or moved to an encrypted class.",
                list(yes),
                list(unknown)
            ),
        )
    }
}

fn collection(s: crate::snapshot::CollectionStatus) -> &'static str {
    use crate::snapshot::CollectionStatus as C;
    match s {
        C::Collected => "collected",
        C::Absent => "not served",
        C::Forbidden => "forbidden",
        C::Failed => "reading failed",
        C::NotCollected => "not requested or not in the imported files",
    }
}

/// The cloud description of the cluster (`--cloud-evidence`), if one was given.
fn cloud_cluster<'a>(ctx: &Ctx<'a>) -> Option<&'a CloudEvidence> {
    ctx.snap
        .cloud_evidence
        .iter()
        .find(|e| e.provider.is_cluster())
}

/// A Kubernetes `major.minor` version (`1.30`, `1.30.2`, `v1.30.2-eks-1`) as a number pair.
fn minor_version(v: &str) -> Option<(u32, u32)> {
    let mut parts = v.trim_start_matches('v').split(['.', '-', '+']);
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

/// Encryption at rest from a managed cluster's cloud description: EKS `encryptionConfig`,
/// GKE `databaseEncryption`, AKS `securityProfile.azureKeyVaultKms`.
fn cloud_at_rest(mut b: Builder, e: &CloudEvidence) -> CheckResult {
    let doc = &e.document;
    let at = |ptr: &str| evidence_file("CloudEvidence", &e.path, ptr);
    b.cmd(e.provider.command());
    let disk = "the provider's own storage encryption of the etcd disks protects against stolen disks, not against anyone who can read etcd, so it does not count as Secret encryption";
    match e.provider {
        CloudProvider::Eks => {
            let name = str_at(doc, "/cluster/name").unwrap_or("the cluster");
            let entry = arr(doc, "/cluster/encryptionConfig")
                .iter()
                .enumerate()
                .find(|(_, c)| {
                    strs(c, "/resources").contains(&"secrets")
                        && str_at(c, "/provider/keyArn").is_some_and(|k| !k.is_empty())
                });
            match entry {
                Some((i, c)) => b.push(
                    Status::Pass,
                    format!(
                        "EKS cluster {name} envelope-encrypts Secrets with the KMS key {}",
                        str_at(c, "/provider/keyArn").unwrap_or("")
                    ),
                    at(&format!("/cluster/encryptionConfig/{i}/provider/keyArn")),
                ),
                None => {
                    let version = str_at(doc, "/cluster/version").unwrap_or("");
                    if minor_version(version).is_some_and(|v| v >= (1, 28)) {
                        b.push(Status::Partial, format!("EKS cluster {name} (Kubernetes {version}) has no encryptionConfig for secrets: AWS states that EKS 1.28 and later envelope-encrypt all Kubernetes API data with an AWS owned KMS key by default, but this file cannot show it, and that key is not under the account's control"), at("/cluster"));
                    } else {
                        b.push(Status::Fail, format!("EKS cluster {name} (Kubernetes {}) has no encryptionConfig for secrets: Secrets are not envelope-encrypted with a KMS key; {disk}", if version.is_empty() { "version not stated" } else { version }), at("/cluster"));
                    }
                }
            }
        }
        CloudProvider::Gke => {
            let name = str_at(doc, "/name").unwrap_or("the cluster");
            let state = str_at(doc, "/databaseEncryption/state").unwrap_or("");
            let current = str_at(doc, "/databaseEncryption/currentState").unwrap_or("");
            let key = str_at(doc, "/databaseEncryption/keyName").unwrap_or("");
            match (state, current) {
                ("ENCRYPTED", "" | "CURRENT_STATE_ENCRYPTED") if !key.is_empty() => b.push(Status::Pass, format!("GKE cluster {name} encrypts Secrets at the application layer with the Cloud KMS key {key} (databaseEncryption.state ENCRYPTED)"), at("/databaseEncryption")),
                ("ENCRYPTED", _) if !key.is_empty() => b.push(Status::Partial, format!("GKE cluster {name} is set to encrypt Secrets with {key}, but its current state is {current}: the change has not completed"), at("/databaseEncryption/currentState")),
                _ => b.push(Status::Fail, format!("GKE cluster {name} does not encrypt Secrets at the application layer (databaseEncryption.state {}); {disk}", if state.is_empty() { "not stated" } else { state }), at("/databaseEncryption")),
            }
        }
        CloudProvider::Aks => {
            let name = str_at(doc, "/name").unwrap_or("the cluster");
            let kms = doc.pointer("/securityProfile/azureKeyVaultKms");
            let enabled = kms
                .and_then(|k| k.get("enabled"))
                .and_then(serde_json::Value::as_bool)
                == Some(true);
            let key = kms.and_then(|k| str_at(k, "/keyId")).unwrap_or("");
            if enabled && !key.is_empty() {
                b.push(
                    Status::Pass,
                    format!(
                        "AKS cluster {name} encrypts etcd with KMS, key {key} in Azure Key Vault"
                    ),
                    at("/securityProfile/azureKeyVaultKms"),
                );
            } else {
                b.push(Status::Fail, format!("AKS cluster {name} does not have KMS etcd encryption with Azure Key Vault enabled (securityProfile.azureKeyVaultKms.enabled is not true); {disk}"), at(if kms.is_some() { "/securityProfile/azureKeyVaultKms" } else { "" }));
            }
        }
        CloudProvider::AksDiagnosticSettings => unreachable!("not a cluster description"),
    }
    let status = b.derived().unwrap_or(Status::Fail);
    let explanation = format!(
        "The control plane is managed by the provider; its description ({}, sha256 {}) is the evidence: {}. Persistent-volume encryption is a property of the storage backend and is not examined here.",
        e.path,
        &e.sha256[..12.min(e.sha256.len())],
        b.observations[0].message
    );
    b.finish(status, explanation, Some("Turn on envelope encryption of Secrets with a key you control: EKS `aws eks associate-encryption-config`, GKE `gcloud container clusters update --database-encryption-key`, AKS `az aks update --enable-azure-keyvault-kms`."))
}
