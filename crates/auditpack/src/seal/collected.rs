//! What a packet holds, read from a folder before any rule is applied (the archive reader
//! fills the same [`Collected`]), and the signature gate that comes before any content is
//! hashed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use ed25519_dalek::Signature;
use sha2::Digest;

use crate::seal::limits::{MAX_MANIFEST, MAX_PACKET_JSON, MAX_SIGNATURE};
use crate::seal::rule::{Failure, Rule};
use crate::seal::trust::TrustStore;
use crate::seal::{MANIFEST, PACKET_JSON, SIGNATURE, SSH_SIGNATURE, walk};

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
    /// No content was read: `SHA256SUMS.sig` verifies against no trusted key.
    pub content_skipped: bool,
    /// Reading stopped part-way (a refused entry): absent files prove nothing.
    pub incomplete: bool,
    /// The tar end-of-archive marker was read (archives only).
    pub tar_ended: bool,
    /// The decompressed stream failed (the gzip layer's failure says why).
    pub stream_failed: bool,
}

/// Whether `sig` is a valid Ed25519 signature over `manifest` by one of the trusted keys
/// (validity windows aside: those need `packet.json`, checked later). The gate before any
/// content is hashed.
pub(crate) fn signed_by_trusted(
    manifest: Option<&[u8]>,
    sig: Option<&[u8]>,
    trust: &TrustStore,
) -> bool {
    let (Some(manifest), Some(sig)) = (manifest, sig) else {
        return false;
    };
    let Ok(bytes) = <[u8; 64]>::try_from(sig) else {
        return false;
    };
    let sig = Signature::from_bytes(&bytes);
    trust
        .keys()
        .iter()
        .any(|k| k.key.verify_strict(manifest, &sig).is_ok())
}

/// Reads a regular file of at most `cap` bytes; `None` when it is larger.
fn read_capped(path: &Path, cap: u64) -> std::io::Result<Option<Vec<u8>>> {
    use std::io::Read;
    let mut out = Vec::new();
    std::fs::File::open(path)?
        .take(cap + 1)
        .read_to_end(&mut out)?;
    Ok((out.len() as u64 <= cap).then_some(out))
}

/// Reads one top-level file the verifier keeps in memory (manifest, signatures,
/// `packet.json`): a regular file within its cap, else a named failure.
fn read_kept(
    root: &Path,
    name: &str,
    cap: u64,
    problems: &mut Vec<Failure>,
) -> std::io::Result<Option<Vec<u8>>> {
    let p = root.join(name);
    let rule = match std::fs::symlink_metadata(&p) {
        Ok(m) if m.file_type().is_file() => {
            if m.len() <= cap
                && let Some(bytes) = read_capped(&p, cap)?
            {
                return Ok(Some(bytes));
            }
            problems.push(Failure::new(
                Rule::SizeLimit,
                name,
                format!("larger than {cap} bytes; not read"),
            ));
            return Ok(None);
        }
        Ok(m) if m.file_type().is_symlink() => Rule::Symlink,
        Ok(m) if m.is_dir() => Rule::NotAFile,
        Ok(_) => Rule::SpecialFile,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    // The walk reports packet.json's own problems; the seal files are not walked.
    if name != PACKET_JSON {
        problems.push(Failure::new(rule, name, "must be a regular file"));
    }
    Ok(None)
}

/// Reads a packet folder without following links. With `gate`, no content file is hashed
/// unless `SHA256SUMS.sig` verifies against one of its keys.
pub(crate) fn collect_folder(root: &Path, gate: Option<&TrustStore>) -> std::io::Result<Collected> {
    let mut c = Collected::default();
    let mut problems = Vec::new();
    c.manifest = read_kept(root, MANIFEST, MAX_MANIFEST, &mut problems)?;
    c.sig = read_kept(root, SIGNATURE, MAX_SIGNATURE, &mut problems)?;
    c.sshsig = read_kept(root, SSH_SIGNATURE, MAX_SIGNATURE, &mut problems)?;
    c.dsse = read_kept(root, crate::seal::DSSE, MAX_MANIFEST, &mut problems)?;
    c.packet_json = read_kept(root, PACKET_JSON, MAX_PACKET_JSON, &mut problems)?;
    if let Some(bytes) = &c.packet_json {
        c.files
            .insert(PACKET_JSON.into(), sha2::Sha256::digest(bytes).into());
    }
    if let Some(trust) = gate
        && !signed_by_trusted(c.manifest.as_deref(), c.sig.as_deref(), trust)
    {
        c.problems = problems;
        c.content_skipped = true;
        return Ok(c);
    }
    let listing = walk::list(root, &crate::seal::SEAL_FILES)?;
    c.problems = problems;
    c.problems.extend(listing.problems);
    c.dirs = listing.dirs.into_iter().collect();
    let rest: Vec<_> = listing
        .files
        .into_iter()
        .filter(|(rel, _)| rel != PACKET_JSON)
        .collect();
    let digests = walk::hash_all(&rest)?;
    for ((rel, _), digest) in rest.into_iter().zip(digests) {
        c.files.insert(rel, digest);
    }
    Ok(c)
}
