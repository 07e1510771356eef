//! Verification of a sealed packet folder or archive against trusted keys.
//!
//! Fails closed and checks in a fixed order — signer (key id, signature, validity window),
//! then manifest structure, then content — recording every failure with the file and a
//! stable rule id instead of stopping at the first. Only this module can construct
//! [`Verified`], the proof anything reporting "verified" requires.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use ed25519_dalek::{Signature, VerifyingKey};
use sha2::Digest;

use crate::seal::archive_read::{self as archive, Limits};
use crate::seal::collected::{Collected, collect_folder};
pub use crate::seal::limits::MAX_REPORTED_FAILURES;
use crate::seal::meta::{PacketRead, packet_meta};
pub use crate::seal::rule::{Failure, Rule};
use crate::seal::trust::{TrustStore, TrustedKey};
use crate::seal::{DSSE, MANIFEST, PACKET_JSON, SIGNATURE, SSH_SIGNATURE, dsse, keys, manifest};

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
    /// `previous` link names.
    pub manifest_sha256: Option<String>,
    /// `packet.json` as read and hashed during verification (trust it only when verified);
    /// `None` when it is absent or refused.
    pub packet: Option<crate::model::PacketMeta>,
    /// How many listed files were present and hashed.
    pub files_checked: usize,
    /// Broken rules, in check order: the first [`MAX_REPORTED_FAILURES`].
    pub failures: Vec<Failure>,
    /// How many more failures there were beyond `failures`.
    pub failures_omitted: usize,
    /// The omitted failures, counted by rule.
    pub omitted_by_rule: BTreeMap<Rule, usize>,
    /// Things a reader of the verdict should know that are not failures (e.g. an older
    /// packet without an attestation, or content left unchecked after a signer failure).
    pub notes: Vec<String>,
    /// Present only when there are no failures.
    pub verified: Option<Verified>,
}

impl Report {
    /// Whether the packet verified.
    pub fn is_verified(&self) -> bool {
        self.verified.is_some()
    }

    /// The documented JSON form (schema in `docs/seal.md`).
    pub fn to_json(&self) -> crate::model::VerifyReport {
        crate::model::VerifyReport {
            verified: self.is_verified(),
            path: self.path.display().to_string(),
            packet_id: self.packet_id.clone(),
            signer_key_id: self.signer_key_id.clone(),
            signer_name: self.signer_name.clone(),
            sealed_at: self.sealed_at.clone(),
            manifest_sha256: self.manifest_sha256.clone(),
            files_checked: self.files_checked,
            failures: self
                .failures
                .iter()
                .map(|f| crate::model::ReportedFailure {
                    rule: f.rule.id().to_string(),
                    path: f.path.clone(),
                    detail: f.detail.clone(),
                })
                .collect(),
            failures_omitted: self.failures_omitted,
            notes: self.notes.clone(),
        }
    }
}

/// Failures in check order, the first [`MAX_REPORTED_FAILURES`] kept, the rest counted.
#[derive(Debug, Default)]
struct Sink {
    kept: Vec<Failure>,
    omitted: usize,
    omitted_by_rule: BTreeMap<Rule, usize>,
}

impl Sink {
    fn push(&mut self, f: Failure) {
        if self.kept.len() < MAX_REPORTED_FAILURES {
            self.kept.push(f);
        } else {
            self.omitted += 1;
            *self.omitted_by_rule.entry(f.rule).or_default() += 1;
        }
    }

    fn extend(&mut self, fs: impl IntoIterator<Item = Failure>) {
        for f in fs {
            self.push(f);
        }
    }

    fn is_empty(&self) -> bool {
        self.kept.is_empty() && self.omitted == 0
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
    /// The packet's `packet.json` is not one this auditpack reads.
    #[error("{}: packet.json is refused", path.display())]
    PacketJson {
        /// The packet path.
        path: PathBuf,
        /// Why.
        #[source]
        source: crate::model::PacketMetaError,
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

/// Verifies a packet folder, or a `.tar.gz` made by `auditpack archive` (read as a stream,
/// never unpacked), against the trusted keys.
///
/// The signature over `SHA256SUMS` is checked before any content is read: when it verifies
/// against no trusted key, no file is hashed.
pub fn verify_path(path: &Path, trust: &TrustStore) -> Result<Report, VerifyError> {
    if trust.is_empty() {
        return Err(VerifyError::NoTrustedKeys);
    }
    let meta = std::fs::metadata(path).map_err(|source| VerifyError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    let collected = if meta.is_dir() {
        collect_folder(path, Some(trust)).map_err(|source| VerifyError::Io {
            path: path.to_path_buf(),
            source,
        })?
    } else {
        let file = std::fs::File::open(path).map_err(|source| VerifyError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        archive::collect(file, &Limits::default(), Some(trust))
    };
    Ok(evaluate(path, collected, trust))
}

/// Verifies a `.tar.gz` packet read from any stream (e.g. object storage), with explicit
/// reader limits. `name` is only used in the report.
pub fn verify_archive_reader(
    reader: impl std::io::Read + Send,
    name: &Path,
    trust: &TrustStore,
    limits: &Limits,
) -> Result<Report, VerifyError> {
    if trust.is_empty() {
        return Err(VerifyError::NoTrustedKeys);
    }
    Ok(evaluate(
        name,
        archive::collect(reader, limits, Some(trust)),
        trust,
    ))
}

/// Applies every rule, in the fixed order, to what was collected.
pub(crate) fn evaluate(path: &Path, mut c: Collected, trust: &TrustStore) -> Report {
    let mut failures = Sink::default();
    let mut notes = Vec::new();
    let (meta, meta_problem) = packet_meta(c.packet_json.as_deref());
    let mut report = new_report(path, &c, &meta);

    // Paths whose problem is already reported (too large, a link …): not also "absent".
    let problem_paths: BTreeSet<String> = c.problems.iter().map(|f| f.path.clone()).collect();
    // Archive-level problems (framing, limits) come first: nothing after them is complete.
    let (archive_level, path_level): (Vec<_>, Vec<_>) = std::mem::take(&mut c.problems)
        .into_iter()
        .partition(|f| f.rule.is_archive_level());
    failures.extend(archive_level);

    // 1. Signer: key id, signature, validity window; then what packet.json says of it.
    let chosen = check_signer(&c, &meta, trust, &problem_paths, &mut report, &mut failures);
    if c.content_skipped {
        failures.extend(path_level);
        notes.push(
            "content not checked: SHA256SUMS is not signed by a trusted key, so no file was hashed"
                .to_string(),
        );
        return finish(report, failures, notes, false);
    }
    let seen = Seen {
        c: &c,
        meta: &meta,
        problem_paths: &problem_paths,
    };
    seen.check_packet_json(meta_problem, chosen.as_ref(), &mut failures);

    // 2. Manifest structure, and the attestation over its entries.
    let parsed = c.manifest.as_deref().map(manifest::parse);
    if let Some(parsed) = &parsed {
        failures.extend(parsed.failures.iter().cloned());
    }
    seen.check_attestation(chosen.as_ref(), parsed.as_ref(), &mut failures, &mut notes);

    // 3. Content.
    failures.extend(path_level);
    if let Some(parsed) = &parsed {
        report.files_checked = seen.check_content(parsed, &mut failures);
    }
    let proven = chosen.is_some() && parsed.is_some();
    finish(report, failures, notes, proven)
}

/// The report before any rule is applied: what packet.json and the manifest say.
fn new_report(path: &Path, c: &Collected, meta: &PacketRead) -> Report {
    Report {
        path: path.to_path_buf(),
        packet_id: meta.id.clone(),
        signer_key_id: None,
        signer_name: None,
        sealed_at: meta.sealed_at_text.clone(),
        manifest_sha256: c
            .manifest
            .as_ref()
            .map(|m| hex::encode(sha2::Sha256::digest(m))),
        packet: meta.meta.clone(),
        files_checked: 0,
        failures: Vec::new(),
        failures_omitted: 0,
        omitted_by_rule: BTreeMap::new(),
        notes: Vec::new(),
        verified: None,
    }
}

/// What was collected, as the rules after the signer read it.
struct Seen<'a> {
    c: &'a Collected,
    meta: &'a PacketRead,
    /// Paths whose problem is already reported: not also reported as absent.
    problem_paths: &'a BTreeSet<String>,
}

impl Seen<'_> {
    /// `packet.json` must be one a sealed packet has and name the key that signed; the SSH
    /// signature must verify with that key too.
    fn check_packet_json(
        &self,
        meta_problem: Option<String>,
        chosen: Option<&TrustedKey>,
        failures: &mut Sink,
    ) {
        let (c, meta) = (self.c, self.meta);
        if let Some(problem) = meta_problem
            && !(c.packet_json.is_none()
                && (c.incomplete || self.problem_paths.contains(PACKET_JSON)))
        {
            failures.push(Failure::new(Rule::BadPacketJson, PACKET_JSON, problem));
        }
        let (Some(key), Some(manifest_bytes)) = (chosen, c.manifest.as_ref()) else {
            return;
        };
        // An old packet.json names its signer by the legacy id: read as the same key.
        if !meta
            .signer_key_id
            .as_deref()
            .is_some_and(|id| keys::is_key_id_of(id, &key.key))
        {
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
        if c.sshsig.is_some() || !self.problem_paths.contains(SSH_SIGNATURE) {
            check_ssh_signature(manifest_bytes, c.sshsig.as_deref(), &key.key, failures);
        }
    }

    /// The attestation is checked against the manifest's entries and packet.json. Once
    /// packet.json records that seal wrote it, it is required.
    fn check_attestation(
        &self,
        chosen: Option<&TrustedKey>,
        parsed: Option<&manifest::Parsed>,
        failures: &mut Sink,
        notes: &mut Vec<String>,
    ) {
        let meta = self.meta;
        match (self.c.dsse.as_deref(), chosen, parsed) {
            (Some(dsse_bytes), Some(key), Some(parsed)) => {
                for detail in
                    dsse::check(dsse_bytes, &key.key, &parsed.entries, meta.meta.as_ref())
                {
                    failures.push(Failure::new(Rule::BadAttestation, DSSE, detail));
                }
            }
            (None, _, _) if self.problem_paths.contains(DSSE) => {}
            (None, _, _) if meta.attestation.is_some() => failures.push(Failure::new(
                Rule::MissingSignature,
                DSSE,
                "packet.json records that seal wrote the attestation SHA256SUMS.intoto.json, but it is absent",
            )),
            (None, _, _) if meta.meta.is_some() => notes.push(
                "no attestation (SHA256SUMS.intoto.json): this packet's packet.json does not record one (sealed before auditpack recorded it), so only the signatures over SHA256SUMS were checked"
                    .to_string(),
            ),
            _ => {}
        }
    }

    /// Every listed file is present with its digest, and every file present is listed.
    /// Returns how many listed files were hashed.
    fn check_content(&self, parsed: &manifest::Parsed, failures: &mut Sink) -> usize {
        let c = self.c;
        let mut checked = 0;
        let mut listed = BTreeSet::new();
        for entry in &parsed.entries {
            listed.insert(entry.path.as_str());
            match c.files.get(&entry.path) {
                Some(actual) => {
                    checked += 1;
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
                None if self.problem_paths.contains(&entry.path) => {}
                // Reading stopped at a refused entry: the rest was never seen.
                None if c.incomplete => {}
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
        checked
    }
}

fn finish(mut report: Report, failures: Sink, notes: Vec<String>, proven: bool) -> Report {
    let verified = proven && failures.is_empty();
    report.failures = failures.kept;
    report.failures_omitted = failures.omitted;
    report.omitted_by_rule = failures.omitted_by_rule;
    report.notes = notes;
    if verified {
        report.verified = Some(Verified(()));
    }
    report
}

/// The Ed25519 key inside an SSH signature, if it is one: names the signer of an untrusted
/// archive before (and without) reading its `packet.json`.
fn sshsig_key(bytes: Option<&[u8]>) -> Option<VerifyingKey> {
    let sig = ssh_key::SshSig::from_pem(bytes?).ok()?;
    match sig.public_key() {
        ssh_key::public::KeyData::Ed25519(pk) => VerifyingKey::from_bytes(&pk.0).ok(),
        _ => None,
    }
}

/// Step 1: the manifest is signed, by a trusted key, within its validity window. Returns
/// that key; otherwise records why not (naming the signer when the packet shows one).
fn check_signer(
    c: &Collected,
    meta: &PacketRead,
    trust: &TrustStore,
    reported: &BTreeSet<String>,
    report: &mut Report,
    failures: &mut Sink,
) -> Option<TrustedKey> {
    let (manifest_bytes, signature) = signed_manifest(c, reported, failures)?;
    let matching: Vec<&TrustedKey> = trust
        .keys()
        .iter()
        .filter(|k| k.key.verify_strict(manifest_bytes, &signature).is_ok())
        .collect();
    let Some(first) = matching.first() else {
        let claimed = [meta.signer_public, sshsig_key(c.sshsig.as_deref())];
        let embedded = claimed
            .into_iter()
            .flatten()
            .find(|k| k.verify_strict(manifest_bytes, &signature).is_ok());
        report.signer_key_id = embedded.as_ref().map(keys::key_id);
        failures.push(no_trusted_signature(embedded.as_ref(), meta, trust));
        return None;
    };
    report.signer_key_id = Some(first.key_id.clone());
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
                    first.key_id,
                    meta.sealed_at_text.as_deref().unwrap_or("(unknown)"),
                    windows.join(", ")
                ),
            ));
            None
        }
    }
}

/// The manifest and its raw signature, when both are there and the signature has the
/// length of one; otherwise records what is missing (unless already reported, or the
/// stream stopped part-way and shows only that it stopped).
fn signed_manifest<'c>(
    c: &'c Collected,
    reported: &BTreeSet<String>,
    failures: &mut Sink,
) -> Option<(&'c [u8], Signature)> {
    let Some(manifest_bytes) = &c.manifest else {
        if !reported.contains(MANIFEST) && !c.incomplete {
            failures.push(Failure::new(
                Rule::MissingManifest,
                MANIFEST,
                "SHA256SUMS is absent: the folder is not sealed",
            ));
        }
        return None;
    };
    let Some(sig) = &c.sig else {
        if !reported.contains(SIGNATURE) && !c.incomplete {
            failures.push(Failure::new(
                Rule::MissingSignature,
                SIGNATURE,
                "SHA256SUMS.sig is absent",
            ));
        }
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
    Some((manifest_bytes, Signature::from_bytes(&sig_bytes)))
}

/// The failure when no trusted key verifies the manifest: `untrusted-signer` when a key the
/// packet names (`embedded`) does, else `bad-signature`.
fn no_trusted_signature(
    embedded: Option<&VerifyingKey>,
    meta: &PacketRead,
    trust: &TrustStore,
) -> Failure {
    let mut ids: Vec<&str> = trust.keys().iter().map(|k| k.key_id.as_str()).collect();
    ids.dedup();
    let trusted_ids = ids.join(", ");
    match embedded {
        Some(key) => Failure::new(
            Rule::UntrustedSigner,
            SIGNATURE,
            format!(
                "signed by key {}, which is not among the trusted keys ({trusted_ids})",
                keys::key_id(key)
            ),
        ),
        None => Failure::new(
            Rule::BadSignature,
            SIGNATURE,
            format!(
                "does not verify against any trusted key ({trusted_ids}) over SHA256SUMS{}",
                meta.signer_key_id
                    .as_deref()
                    .map(|id| format!("; packet.json claims signer {id}"))
                    .unwrap_or_default()
            ),
        ),
    }
}

fn check_ssh_signature(
    manifest_bytes: &[u8],
    sshsig: Option<&[u8]>,
    key: &VerifyingKey,
    failures: &mut Sink,
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
