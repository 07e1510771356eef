//! Verification of a sealed packet folder or archive against trusted keys.
//!
//! Fails closed and checks in a fixed order — signer (key id, signature, validity window),
//! then manifest structure, then content — recording every failure with the file and a
//! stable rule id instead of stopping at the first. Only this module can construct
//! [`Verified`], the proof anything reporting "verified" requires.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use ed25519_dalek::{Signature, VerifyingKey};
use serde::Serialize;
use serde_json::Value;
use sha2::Digest;

use crate::seal::trust::{TrustStore, TrustedKey};
use crate::seal::{
    MANIFEST, PACKET_JSON, SIGNATURE, SSH_SIGNATURE, archive, dsse, keys, manifest, walk,
};

/// A rule a packet can break. Its [`Rule::id`] is stable (scripts and the JSON output
/// rely on it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Rule {
    /// `SHA256SUMS` is absent.
    MissingManifest,
    /// `SHA256SUMS.sig` or `SHA256SUMS.sshsig` is absent.
    MissingSignature,
    /// A signature does not verify against any trusted key (or is malformed).
    BadSignature,
    /// The signature verifies, but with a key the user did not name.
    UntrustedSigner,
    /// The signature verifies with a trusted key whose validity window excludes `sealedAt`.
    KeyExpired,
    /// `packet.json`'s `signer` does not name the key that signed.
    SignerMismatch,
    /// `packet.json` is missing or unreadable.
    BadPacketJson,
    /// The DSSE / in-toto attestation does not match or does not verify.
    BadAttestation,
    /// A manifest line is not in the written form.
    MalformedManifest,
    /// A path is absolute, leaves the packet, or cannot be represented safely.
    UnsafePath,
    /// A path is listed (or archived) twice.
    DuplicateEntry,
    /// Manifest lines are not sorted by path bytes.
    UnsortedManifest,
    /// A listed file is absent.
    MissingFile,
    /// A file is present but not listed.
    UnlistedFile,
    /// A listed file's content differs.
    HashMismatch,
    /// A symbolic or hard link.
    Symlink,
    /// A device, FIFO, socket or other non-regular entry.
    SpecialFile,
    /// A directory stands where the manifest lists a file.
    NotAFile,
    /// An empty directory (a manifest cannot list it).
    EmptyDirectory,
    /// The archive is not a readable gzip-compressed tar.
    MalformedArchive,
    /// The archive expands beyond the reader's limits.
    SizeLimit,
}

impl Rule {
    /// The stable rule id, e.g. `hash-mismatch`.
    pub fn id(self) -> &'static str {
        match self {
            Rule::MissingManifest => "missing-manifest",
            Rule::MissingSignature => "missing-signature",
            Rule::BadSignature => "bad-signature",
            Rule::UntrustedSigner => "untrusted-signer",
            Rule::KeyExpired => "key-expired",
            Rule::SignerMismatch => "signer-mismatch",
            Rule::BadPacketJson => "bad-packet-json",
            Rule::BadAttestation => "bad-attestation",
            Rule::MalformedManifest => "malformed-manifest",
            Rule::UnsafePath => "unsafe-path",
            Rule::DuplicateEntry => "duplicate-entry",
            Rule::UnsortedManifest => "unsorted-manifest",
            Rule::MissingFile => "missing-file",
            Rule::UnlistedFile => "unlisted-file",
            Rule::HashMismatch => "hash-mismatch",
            Rule::Symlink => "symlink",
            Rule::SpecialFile => "special-file",
            Rule::NotAFile => "not-a-file",
            Rule::EmptyDirectory => "empty-directory",
            Rule::MalformedArchive => "malformed-archive",
            Rule::SizeLimit => "size-limit",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl Serialize for Rule {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

/// One broken rule: which file, which rule, and the specifics.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// The rule.
    pub rule: Rule,
    /// The file (relative to the packet root) the rule is about.
    pub path: String,
    /// What exactly is wrong.
    pub detail: String,
}

impl Failure {
    /// A failure of `rule` about `path`.
    pub fn new(rule: Rule, path: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            rule,
            path: path.into(),
            detail: detail.into(),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.rule, self.path, self.detail)
    }
}

/// Proof that a packet verified: only [`verify_path`] can construct it, and anything
/// that reports "verified" requires it.
#[derive(Debug)]
pub struct Verified(());

/// The outcome of verifying one packet.
#[derive(Debug)]
pub struct Report {
    /// The folder or archive verified.
    pub path: PathBuf,
    /// `id` from `packet.json`, if readable.
    pub packet_id: Option<String>,
    /// The key id whose signature over `SHA256SUMS` verified (trusted or not).
    pub signer_key_id: Option<String>,
    /// The trusted key's name, if it has one.
    pub signer_name: Option<String>,
    /// `sealedAt` from `packet.json`, as written.
    pub sealed_at: Option<String>,
    /// SHA-256 (hex) of the `SHA256SUMS` bytes that were checked: what a later packet's
    /// `previousPacket` link names.
    pub manifest_sha256: Option<String>,
    /// `packet.json` as read and hashed during verification (trust it only when verified).
    pub packet: Option<Value>,
    /// How many listed files were present and hashed.
    pub files_checked: usize,
    /// Every broken rule, in check order.
    pub failures: Vec<Failure>,
    /// Present only when there are no failures.
    pub verified: Option<Verified>,
}

impl Report {
    /// Whether the packet verified.
    pub fn is_verified(&self) -> bool {
        self.verified.is_some()
    }

    /// The documented JSON form (schema in `docs/seal.md`).
    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "verified": self.is_verified(),
            "path": self.path.display().to_string(),
            "packetId": self.packet_id,
            "signerKeyId": self.signer_key_id,
            "signerName": self.signer_name,
            "sealedAt": self.sealed_at,
            "manifestSha256": self.manifest_sha256,
            "filesChecked": self.files_checked,
            "failures": self.failures,
        })
    }
}

/// Errors that stop verification before a verdict (exit code 2): the packet could not be
/// read at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// No key to verify against.
    #[error("no trusted key given; name the signer's public key with --key or --trusted-keys")]
    NoTrustedKeys,
    /// The path does not exist or is neither a folder nor a file.
    #[error("{path}: cannot read the packet")]
    Open {
        /// The path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Reading files inside the packet failed.
    #[error("{path}: cannot read the packet's files")]
    Io {
        /// The packet path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

/// What a packet holds, from a folder or an archive, before any rule is applied.
#[derive(Debug, Default)]
pub(crate) struct Collected {
    /// Content files (all regular files except the top-level manifest and signatures) and
    /// their SHA-256.
    pub files: BTreeMap<String, [u8; 32]>,
    /// Directories.
    pub dirs: BTreeSet<String>,
    /// Entries that broke a rule while listing.
    pub problems: Vec<Failure>,
    /// Bytes of `SHA256SUMS`.
    pub manifest: Option<Vec<u8>>,
    /// Bytes of `SHA256SUMS.sig`.
    pub sig: Option<Vec<u8>>,
    /// Bytes of `SHA256SUMS.sshsig`.
    pub sshsig: Option<Vec<u8>>,
    /// Bytes of `SHA256SUMS.intoto.json`.
    pub dsse: Option<Vec<u8>>,
    /// Bytes of `packet.json`.
    pub packet_json: Option<Vec<u8>>,
}

/// Largest `packet.json` read into memory.
pub(crate) const MAX_PACKET_JSON: u64 = 16 << 20;
/// Largest `SHA256SUMS` or DSSE envelope read into memory.
pub(crate) const MAX_MANIFEST: u64 = 256 << 20;
/// Largest signature file read into memory.
pub(crate) const MAX_SIGNATURE: u64 = 64 << 10;

/// Verifies a packet folder, or a `.tar.gz` made by `auditpack archive` (read as a stream,
/// never unpacked), against the trusted keys.
pub fn verify_path(path: &Path, trust: &TrustStore) -> Result<Report, VerifyError> {
    if trust.is_empty() {
        return Err(VerifyError::NoTrustedKeys);
    }
    let meta = std::fs::metadata(path).map_err(|source| VerifyError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    let collected = if meta.is_dir() {
        collect_folder(path).map_err(|source| VerifyError::Io {
            path: path.to_path_buf(),
            source,
        })?
    } else {
        let file = std::fs::File::open(path).map_err(|source| VerifyError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        archive::collect(file, &archive::Limits::default())
    };
    Ok(evaluate(path, collected, trust))
}

/// Verifies a `.tar.gz` packet read from any stream (e.g. object storage), with explicit
/// reader limits. `name` is only used in the report.
pub fn verify_archive_reader(
    reader: impl std::io::Read + Send,
    name: &Path,
    trust: &TrustStore,
    limits: &archive::Limits,
) -> Result<Report, VerifyError> {
    if trust.is_empty() {
        return Err(VerifyError::NoTrustedKeys);
    }
    Ok(evaluate(name, archive::collect(reader, limits), trust))
}

fn read_capped(path: &Path, cap: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut out = Vec::new();
    std::fs::File::open(path)?
        .take(cap + 1)
        .read_to_end(&mut out)?;
    if out.len() as u64 > cap {
        return Err(std::io::Error::other(format!(
            "{} is larger than {cap} bytes",
            path.display()
        )));
    }
    Ok(out)
}

/// Reads a packet folder without following links.
pub(crate) fn collect_folder(root: &Path) -> std::io::Result<Collected> {
    let mut c = Collected::default();
    let listing = walk::list(root, &crate::seal::SEAL_FILES)?;
    c.problems = listing.problems;
    c.dirs = listing.dirs.into_iter().collect();
    for (name, cap, slot) in [
        (MANIFEST, MAX_MANIFEST, &mut c.manifest),
        (SIGNATURE, MAX_SIGNATURE, &mut c.sig),
        (SSH_SIGNATURE, MAX_SIGNATURE, &mut c.sshsig),
        (crate::seal::DSSE, MAX_MANIFEST, &mut c.dsse),
    ] {
        let p = root.join(name);
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_file() => *slot = Some(read_capped(&p, cap)?),
            Ok(m) => c.problems.push(Failure::new(
                if m.file_type().is_symlink() {
                    Rule::Symlink
                } else if m.is_dir() {
                    Rule::NotAFile
                } else {
                    Rule::SpecialFile
                },
                name,
                "must be a regular file",
            )),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    let (small, rest): (Vec<_>, Vec<_>) = listing
        .files
        .into_iter()
        .partition(|(rel, _)| rel == PACKET_JSON);
    if let Some((rel, abs)) = small.into_iter().next() {
        let bytes = read_capped(&abs, MAX_PACKET_JSON)?;
        c.files.insert(rel, sha2::Sha256::digest(&bytes).into());
        c.packet_json = Some(bytes);
    }
    let digests = walk::hash_all(&rest)?;
    for ((rel, _), digest) in rest.into_iter().zip(digests) {
        c.files.insert(rel, digest);
    }
    Ok(c)
}

/// The parts of `packet.json` verification reads.
#[derive(Debug, Default)]
pub(crate) struct PacketMeta {
    pub value: Option<Value>,
    pub id: Option<String>,
    pub sealed_at_text: Option<String>,
    pub sealed_at: Option<DateTime<Utc>>,
    pub signer_key_id: Option<String>,
    pub signer_public: Option<VerifyingKey>,
}

pub(crate) fn packet_meta(bytes: Option<&[u8]>) -> (PacketMeta, Option<String>) {
    let mut meta = PacketMeta::default();
    let Some(bytes) = bytes else {
        return (
            meta,
            Some("packet.json is missing; every sealed packet has one".into()),
        );
    };
    let value: Value = match serde_json::from_slice(bytes) {
        Ok(v @ Value::Object(_)) => v,
        Ok(_) => return (meta, Some("packet.json is not a JSON object".into())),
        Err(e) => return (meta, Some(format!("packet.json is not valid JSON: {e}"))),
    };
    meta.id = value.get("id").and_then(Value::as_str).map(str::to_string);
    meta.sealed_at_text = value
        .get("sealedAt")
        .and_then(Value::as_str)
        .map(str::to_string);
    meta.sealed_at = meta
        .sealed_at_text
        .as_deref()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc));
    if let Some(signer) = value.get("signer") {
        meta.signer_key_id = signer
            .get("keyId")
            .and_then(Value::as_str)
            .map(str::to_string);
        meta.signer_public = signer
            .get("publicKey")
            .and_then(Value::as_str)
            .and_then(keys::public_key_from_base64);
    }
    let problem = if meta.sealed_at.is_none() {
        Some("packet.json has no valid RFC 3339 `sealedAt`".to_string())
    } else {
        None
    };
    meta.value = Some(value);
    (meta, problem)
}

/// Applies every rule, in the fixed order, to what was collected.
pub(crate) fn evaluate(path: &Path, c: Collected, trust: &TrustStore) -> Report {
    let mut failures = Vec::new();
    let (meta, meta_problem) = packet_meta(c.packet_json.as_deref());
    let mut report = Report {
        path: path.to_path_buf(),
        packet_id: meta.id.clone(),
        signer_key_id: None,
        signer_name: None,
        sealed_at: meta.sealed_at_text.clone(),
        manifest_sha256: c
            .manifest
            .as_ref()
            .map(|m| hex::encode(sha2::Sha256::digest(m))),
        packet: meta.value.clone(),
        files_checked: 0,
        failures: Vec::new(),
        verified: None,
    };

    // Archive-level problems (unreadable stream) come first: nothing after them is complete.
    let (archive_level, path_level): (Vec<_>, Vec<_>) = c
        .problems
        .into_iter()
        .partition(|f| matches!(f.rule, Rule::MalformedArchive | Rule::SizeLimit));
    failures.extend(archive_level);

    // 1. Signer: key id, signature, validity window.
    let chosen = check_signer(
        &c.manifest,
        &c.sig,
        &meta,
        trust,
        &mut report,
        &mut failures,
    );
    if let Some(problem) = &meta_problem {
        failures.push(Failure::new(
            Rule::BadPacketJson,
            PACKET_JSON,
            problem.clone(),
        ));
    }
    if let (Some(key), Some(manifest_bytes)) = (chosen.as_ref(), c.manifest.as_ref()) {
        if meta.signer_key_id.as_deref() != Some(key.key_id.as_str()) {
            failures.push(Failure::new(
                Rule::SignerMismatch,
                PACKET_JSON,
                format!(
                    "packet.json names signer {:?} but the manifest was signed by {}",
                    meta.signer_key_id.as_deref().unwrap_or("(none)"),
                    key.key_id
                ),
            ));
        }
        check_ssh_signature(manifest_bytes, c.sshsig.as_deref(), &key.key, &mut failures);
    }

    // 2. Manifest structure.
    let parsed = c.manifest.as_deref().map(manifest::parse);
    if let Some(parsed) = &parsed {
        failures.extend(parsed.failures.iter().cloned());
    }
    // The attestation is checked against the manifest's entries.
    if let (Some(dsse_bytes), Some(key), Some(parsed)) =
        (c.dsse.as_deref(), chosen.as_ref(), &parsed)
    {
        for detail in dsse::check(dsse_bytes, &key.key, &parsed.entries, meta.value.as_ref()) {
            failures.push(Failure::new(
                Rule::BadAttestation,
                crate::seal::DSSE,
                detail,
            ));
        }
    }

    // 3. Content.
    let problem_paths: BTreeSet<String> = path_level.iter().map(|f| f.path.clone()).collect();
    failures.extend(path_level);
    if let Some(parsed) = &parsed {
        let mut listed = BTreeSet::new();
        for entry in &parsed.entries {
            listed.insert(entry.path.as_str());
            match c.files.get(&entry.path) {
                Some(actual) => {
                    report.files_checked += 1;
                    if actual != &entry.sha256 {
                        failures.push(Failure::new(
                            Rule::HashMismatch,
                            &entry.path,
                            format!(
                                "listed sha256 {} but the file has {}",
                                hex::encode(entry.sha256),
                                hex::encode(actual)
                            ),
                        ));
                    }
                }
                None if c.dirs.contains(&entry.path) => failures.push(Failure::new(
                    Rule::NotAFile,
                    &entry.path,
                    "listed as a file but is a directory",
                )),
                None if problem_paths.contains(&entry.path) => {}
                None => failures.push(Failure::new(
                    Rule::MissingFile,
                    &entry.path,
                    "listed in SHA256SUMS but not present",
                )),
            }
        }
        // Lines that broke a rule still name files; do not report those files as unlisted too.
        let named: BTreeSet<&str> = parsed.failures.iter().map(|f| f.path.as_str()).collect();
        for path in c.files.keys() {
            if !listed.contains(path.as_str()) && !named.contains(path.as_str()) {
                failures.push(Failure::new(
                    Rule::UnlistedFile,
                    path,
                    "present but not listed in SHA256SUMS",
                ));
            }
        }
    }

    report.failures = failures;
    if report.failures.is_empty() && chosen.is_some() && parsed.is_some() {
        report.verified = Some(Verified(()));
    }
    report
}

fn check_signer(
    manifest_bytes: &Option<Vec<u8>>,
    sig: &Option<Vec<u8>>,
    meta: &PacketMeta,
    trust: &TrustStore,
    report: &mut Report,
    failures: &mut Vec<Failure>,
) -> Option<TrustedKey> {
    let Some(manifest_bytes) = manifest_bytes else {
        failures.push(Failure::new(
            Rule::MissingManifest,
            MANIFEST,
            "SHA256SUMS is absent: the folder is not sealed",
        ));
        return None;
    };
    let Some(sig) = sig else {
        failures.push(Failure::new(
            Rule::MissingSignature,
            SIGNATURE,
            "SHA256SUMS.sig is absent",
        ));
        return None;
    };
    let Ok(sig_bytes) = <[u8; 64]>::try_from(sig.as_slice()) else {
        failures.push(Failure::new(
            Rule::BadSignature,
            SIGNATURE,
            format!("is {} bytes; an Ed25519 signature is 64", sig.len()),
        ));
        return None;
    };
    let signature = Signature::from_bytes(&sig_bytes);
    let matching: Vec<&TrustedKey> = trust
        .keys()
        .iter()
        .filter(|k| k.key.verify_strict(manifest_bytes, &signature).is_ok())
        .collect();
    let trusted_ids = || {
        let mut ids: Vec<&str> = trust.keys().iter().map(|k| k.key_id.as_str()).collect();
        ids.dedup();
        ids.join(", ")
    };
    if matching.is_empty() {
        if let Some(embedded) = &meta.signer_public
            && embedded.verify_strict(manifest_bytes, &signature).is_ok()
        {
            let id = keys::key_id(embedded);
            report.signer_key_id = Some(id.clone());
            failures.push(Failure::new(
                Rule::UntrustedSigner,
                SIGNATURE,
                format!(
                    "signed by key {id}, which is not among the trusted keys ({})",
                    trusted_ids()
                ),
            ));
        } else {
            failures.push(Failure::new(
                Rule::BadSignature,
                SIGNATURE,
                format!(
                    "does not verify against any trusted key ({}) over SHA256SUMS{}",
                    trusted_ids(),
                    meta.signer_key_id
                        .as_deref()
                        .map(|id| format!("; packet.json claims signer {id}"))
                        .unwrap_or_default()
                ),
            ));
        }
        return None;
    }
    report.signer_key_id = Some(matching[0].key_id.clone());
    match matching.iter().find(|k| k.covers(meta.sealed_at)) {
        Some(k) => {
            report.signer_name = k.name.clone();
            Some((*k).clone())
        }
        None => {
            let windows: Vec<String> = matching.iter().map(|k| k.window()).collect();
            failures.push(Failure::new(
                Rule::KeyExpired,
                SIGNATURE,
                format!(
                    "signed by trusted key {} but sealedAt {} is outside its validity window ({})",
                    matching[0].key_id,
                    meta.sealed_at_text.as_deref().unwrap_or("(unknown)"),
                    windows.join(", ")
                ),
            ));
            None
        }
    }
}

fn check_ssh_signature(
    manifest_bytes: &[u8],
    sshsig: Option<&[u8]>,
    key: &VerifyingKey,
    failures: &mut Vec<Failure>,
) {
    let Some(bytes) = sshsig else {
        failures.push(Failure::new(
            Rule::MissingSignature,
            SSH_SIGNATURE,
            "SHA256SUMS.sshsig is absent",
        ));
        return;
    };
    let bad = |detail: String| Failure::new(Rule::BadSignature, SSH_SIGNATURE, detail);
    let sig = match ssh_key::SshSig::from_pem(bytes) {
        Ok(s) => s,
        Err(e) => {
            failures.push(bad(format!("not a valid SSH signature: {e}")));
            return;
        }
    };
    let public = ssh_key::PublicKey::from(ssh_key::public::Ed25519PublicKey::from(key));
    if let Err(e) = public.verify(crate::seal::SSH_NAMESPACE, manifest_bytes, &sig) {
        failures.push(bad(format!(
            "does not verify with the trusted key over SHA256SUMS (namespace `file`): {e}"
        )));
    }
}
