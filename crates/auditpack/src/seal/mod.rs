//! Sealing and verifying packets: the trust core.
//!
//! [`seal_dir`] records the signer and seal time in `packet.json`, lists every file of a
//! packet folder with its SHA-256 in `SHA256SUMS` (the BSD tag form `sha256sum -c` reads),
//! and signs that manifest three ways: a raw Ed25519 signature (`SHA256SUMS.sig`, for
//! `openssl pkeyutl -verify -rawin`), an SSH signature (`SHA256SUMS.sshsig`, for
//! `ssh-keygen -Y verify`) and a DSSE in-toto attestation (`SHA256SUMS.intoto.json`).
//! [`verify::verify_path`] checks a folder or a `.tar.gz` from [`archive::write_archive`]
//! against keys the user trusts ([`trust::TrustStore`]) and returns a
//! [`verify::Report`] whose [`verify::Verified`] proof only the verifier can construct.
//!
//! This module knows nothing of Kubernetes: a packet is a folder of files.

use std::fs;
use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};
use ed25519_dalek::{Signer, SigningKey};

use crate::model::{PacketMeta, PacketSigner, SealRecord};
use sha2::{Digest, Sha256};

pub mod archive;
mod archive_read;
mod collected;
pub mod dsse;
pub mod keys;
pub mod limits;
pub mod manifest;
mod meta;
pub mod rule;
pub mod trust;
pub mod verify;
mod walk;

pub use archive::{ArchiveReport, write_archive};
pub use rule::{Failure, Rule};
pub use trust::{TrustStore, TrustedKey};
pub use verify::{Report, Verified, VerifyError, verify_archive_reader, verify_path};
#[cfg(any(test, feature = "internals"))]
pub use walk::HASH_BUFFER;

/// The manifest file name.
pub const MANIFEST: &str = "SHA256SUMS";
/// The raw Ed25519 signature over the manifest.
pub const SIGNATURE: &str = "SHA256SUMS.sig";
/// The SSH signature (namespace `SSH_NAMESPACE`) over the manifest.
pub const SSH_SIGNATURE: &str = "SHA256SUMS.sshsig";
/// The DSSE envelope over the in-toto statement.
pub const DSSE: &str = "SHA256SUMS.intoto.json";
/// The packet metadata file.
pub const PACKET_JSON: &str = "packet.json";
/// SSH signature namespace (`ssh-keygen -Y verify -n file`).
pub const SSH_NAMESPACE: &str = "file";
/// Top-level files the manifest never lists (it and its signatures).
pub const SEAL_FILES: [&str; 4] = [MANIFEST, SIGNATURE, SSH_SIGNATURE, DSSE];

/// Options of [`seal_dir`].
#[derive(Debug, Clone)]
pub struct SealOptions {
    /// Reseal a folder that already has a manifest.
    pub force: bool,
    /// The seal time recorded as `sealedAt` (whole seconds are kept).
    pub now: DateTime<Utc>,
}

/// What [`seal_dir`] did.
#[derive(Debug, Clone)]
pub struct SealReport {
    /// The folder sealed.
    pub dir: PathBuf,
    /// Files listed in the manifest (including `packet.json`).
    pub files: usize,
    /// The signer's key id.
    pub key_id: String,
    /// `sealedAt` as written.
    pub sealed_at: String,
    /// SHA-256 (hex) of the `SHA256SUMS` bytes: what a later packet links to.
    pub manifest_sha256: String,
}

/// Errors sealing a folder.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SealError {
    /// The path is not a folder.
    #[error("{dir}: not a folder")]
    NotADir {
        /// The path.
        dir: PathBuf,
    },
    /// The folder already has a manifest.
    #[error("{dir}: already sealed (SHA256SUMS exists); pass --force to reseal")]
    AlreadySealed {
        /// The folder.
        dir: PathBuf,
    },
    /// A file cannot be part of a packet.
    #[error("{}: cannot seal {path:?}: {} ({rule}); rename or remove it", dir.display(), detail)]
    Unsealable {
        /// The folder.
        dir: PathBuf,
        /// The offending path, relative to the folder.
        path: String,
        /// The rule it breaks.
        rule: Rule,
        /// Why.
        detail: String,
    },
    /// The folder holds no file to seal.
    #[error("{dir}: no files to seal")]
    Empty {
        /// The folder.
        dir: PathBuf,
    },
    /// packet.json exists but is not one auditpack reads.
    #[error("{}: not a packet.json this auditpack reads; fix or remove it (seal creates one if absent)", path.display())]
    BadPacketJson {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: crate::model::PacketMetaError,
    },
    /// Reading or writing failed.
    #[error("{path}: {action}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What was attempted.
        action: &'static str,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

/// The seal time as written in `packet.json`: RFC 3339, whole seconds, `Z`.
pub fn format_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Maps an I/O error on `path` to [`SealError::Io`].
fn io_err(path: &Path, action: &'static str) -> impl FnOnce(std::io::Error) -> SealError {
    let path = path.to_path_buf();
    move |source| SealError::Io {
        path,
        action,
        source,
    }
}

/// Refuses a target that is not a folder, is sealed already (without `force`), or has a
/// seal output name taken by something other than a regular file.
fn check_target(dir: &Path, opts: &SealOptions) -> Result<(), SealError> {
    if !fs::metadata(dir)
        .map_err(io_err(dir, "cannot read"))?
        .is_dir()
    {
        return Err(SealError::NotADir {
            dir: dir.to_path_buf(),
        });
    }
    if fs::symlink_metadata(dir.join(MANIFEST)).is_ok() && !opts.force {
        return Err(SealError::AlreadySealed {
            dir: dir.to_path_buf(),
        });
    }
    for name in SEAL_FILES {
        if let Ok(m) = fs::symlink_metadata(dir.join(name))
            && !m.file_type().is_file()
        {
            return Err(SealError::Unsealable {
                dir: dir.to_path_buf(),
                path: name.to_string(),
                rule: Rule::SpecialFile,
                detail: "a seal output name is taken by something other than a regular file".into(),
            });
        }
    }
    Ok(())
}

/// Lists the files to seal, refusing the first name that cannot be part of a packet.
fn list_content(dir: &Path) -> Result<Vec<(String, PathBuf)>, SealError> {
    let listing = walk::list(dir, &SEAL_FILES).map_err(io_err(dir, "cannot list"))?;
    if let Some(problem) = listing.problems.into_iter().next() {
        return Err(SealError::Unsealable {
            dir: dir.to_path_buf(),
            path: problem.path,
            rule: problem.rule,
            detail: problem.detail,
        });
    }
    Ok(listing.files)
}

/// The folder's `packet.json` (or a bare one when absent) with its seal record set.
fn sealed_packet(
    dir: &Path,
    key: &SigningKey,
    now: DateTime<Utc>,
) -> Result<PacketMeta, SealError> {
    let packet_path = dir.join(PACKET_JSON);
    let mut packet = match fs::read(&packet_path) {
        Ok(bytes) => PacketMeta::from_slice(&bytes).map_err(|e| SealError::BadPacketJson {
            path: packet_path.clone(),
            source: e,
        })?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => PacketMeta::bare(),
        Err(e) => return Err(io_err(&packet_path, "cannot read")(e)),
    };
    let verifying = key.verifying_key();
    packet.seal = Some(SealRecord {
        signer: PacketSigner {
            key_id: keys::key_id(&verifying),
            public_key: keys::public_key_base64(&verifying),
        },
        sealed_at: now,
        // Recorded (and so signed) so that verify can require the attestation: deleting it
        // is then a failure, not a silent downgrade to the older form.
        attestation: Some(DSSE.to_string()),
    });
    Ok(packet)
}

/// The manifest entries: every listed file hashed (in parallel), `packet.json` from
/// memory, sorted by path bytes.
fn manifest_entries(
    dir: &Path,
    files: Vec<(String, PathBuf)>,
    packet_bytes: &[u8],
) -> Result<Vec<manifest::Entry>, SealError> {
    let files: Vec<_> = files
        .into_iter()
        .filter(|(rel, _)| rel != PACKET_JSON)
        .collect();
    let digests = walk::hash_all(&files).map_err(io_err(dir, "cannot hash"))?;
    let mut entries: Vec<manifest::Entry> = files
        .into_iter()
        .zip(digests)
        .map(|((path, _), sha256)| manifest::Entry { path, sha256 })
        .collect();
    entries.push(manifest::Entry {
        path: PACKET_JSON.into(),
        sha256: Sha256::digest(packet_bytes).into(),
    });
    entries.sort_by(|a, b| a.path.as_bytes().cmp(b.path.as_bytes()));
    Ok(entries)
}

/// The OpenSSH signature (`SHA256SUMS.sshsig`) of the manifest, armoured.
fn ssh_signature(dir: &Path, key: &SigningKey, manifest_bytes: &[u8]) -> Result<String, SealError> {
    let ssh_private =
        ssh_key::PrivateKey::from(ssh_key::private::Ed25519Keypair::from(key.clone()));
    ssh_private
        .sign(SSH_NAMESPACE, ssh_key::HashAlg::Sha512, manifest_bytes)
        .and_then(|s| s.to_pem(ssh_key::LineEnding::LF))
        .map_err(|e| SealError::Io {
            path: dir.join(SSH_SIGNATURE),
            action: "cannot create the SSH signature",
            source: std::io::Error::other(e.to_string()),
        })
}

/// Stages every seal output (fsynced), then renames them all, the manifest last; with
/// `force`, the old manifest is removed first. `outputs` ends with the manifest.
fn write_outputs(dir: &Path, force: bool, outputs: [(&str, &[u8]); 5]) -> Result<(), SealError> {
    let mut staged = Vec::with_capacity(outputs.len());
    for (name, bytes) in outputs {
        let p = dir.join(name);
        staged.push((
            crate::staging::stage(&p, bytes).map_err(io_err(&p, "cannot write"))?,
            p,
        ));
    }
    if force {
        let manifest_path = dir.join(MANIFEST);
        match fs::remove_file(&manifest_path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_err(&manifest_path, "cannot remove the old manifest")(e)),
        }
    }
    // All five renames or none, as far as an interrupt goes.
    crate::cleanup::hold(|| {
        for (file, p) in staged {
            file.commit().map_err(io_err(&p, "cannot write"))?;
        }
        Ok::<_, SealError>(())
    })
}

/// Seals a packet folder: updates `packet.json` through [`PacketMeta`] (`signer`, `sealedAt`,
/// `attestation` set; the packet's fields kept; created with `formatVersion: 1` if absent;
/// refused with [`SealError::BadPacketJson`] if it is not one auditpack reads), writes `SHA256SUMS`,
/// `SHA256SUMS.sig`, `SHA256SUMS.sshsig` and `SHA256SUMS.intoto.json`.
///
/// Every name is checked before anything is written; files are hashed in parallel; each
/// output is written to a temporary file, fsynced and renamed, the manifest last, so a
/// failed seal leaves no manifest behind.
pub fn seal_dir(dir: &Path, key: &SigningKey, opts: &SealOptions) -> Result<SealReport, SealError> {
    check_target(dir, opts)?;
    // A killed seal's staged files are not packet content: remove them before listing.
    crate::cleanup::sweep_stale(dir, None);
    // 1. List and check every name before writing anything.
    let files = list_content(dir)?;
    // 2. The new packet.json.
    let packet = sealed_packet(dir, key, opts.now)?;
    let packet_bytes = packet.to_bytes();
    // 3. Hash (in parallel), packet.json from memory.
    let entries = manifest_entries(dir, files, &packet_bytes)?;
    let manifest_bytes = manifest::render(&entries);
    // 4. Sign.
    let sig = key.sign(&manifest_bytes).to_bytes();
    let sshsig = ssh_signature(dir, key, &manifest_bytes)?;
    let envelope = dsse::envelope(&entries, &packet, key);
    // 5. Stage everything (fsynced), then rename: the manifest last.
    write_outputs(
        dir,
        opts.force,
        [
            (PACKET_JSON, &packet_bytes),
            (SIGNATURE, &sig),
            (SSH_SIGNATURE, sshsig.as_bytes()),
            (DSSE, &envelope),
            (MANIFEST, &manifest_bytes),
        ],
    )?;
    Ok(SealReport {
        dir: dir.to_path_buf(),
        files: entries.len(),
        key_id: keys::key_id(&key.verifying_key()),
        sealed_at: format_time(opts.now),
        manifest_sha256: hex::encode(Sha256::digest(&manifest_bytes)),
    })
}

/// The files of a packet that its readers use, from a folder or an archive, read without
/// verifying anything: the one reader of a previous packet, for code that needs them after
/// (or alongside) [`verify_path`] — a series finding its newest member, a new packet
/// linking to and comparing with its predecessor ([`crate::render::PreviousPacket`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PacketSource {
    /// The folder or archive.
    pub path: PathBuf,
    /// Bytes of `SHA256SUMS`; `None` only for an unsealed folder read with
    /// [`PacketSource::read`].
    pub manifest: Option<Vec<u8>>,
    /// Bytes of `packet.json`, if present.
    pub packet_json: Option<Vec<u8>>,
    /// Bytes of `evidence/snapshot.json`, if asked for ([`Contents::WithEvidence`]) and
    /// present.
    pub snapshot: Option<Vec<u8>>,
    /// Bytes of `findings.json`, if asked for and present.
    pub findings: Option<Vec<u8>>,
}

/// Which files [`PacketSource::read`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contents {
    /// `SHA256SUMS` and `packet.json`: what a packet is and what a link names.
    Meta,
    /// Also `evidence/snapshot.json` and `findings.json`: what "changes since" compares.
    WithEvidence,
}

/// `evidence/snapshot.json`, as the manifest lists it.
pub const SNAPSHOT_JSON: &str = "evidence/snapshot.json";
/// `findings.json`, as the manifest lists it.
pub const FINDINGS_JSON: &str = "findings.json";

impl PacketSource {
    /// Reads `SHA256SUMS` and `packet.json` of a sealed packet from a folder or a `.tar.gz`
    /// (streamed); a packet without `SHA256SUMS` is refused.
    pub fn open(path: &Path) -> Result<Self, VerifyError> {
        let source = Self::read(path, Contents::Meta)?;
        if source.manifest.is_none() {
            return Err(VerifyError::Io {
                path: path.join(MANIFEST),
                source: std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "the packet holds no SHA256SUMS: it is not sealed",
                ),
            });
        }
        Ok(source)
    }

    /// Reads the files `contents` names from a folder or a `.tar.gz` (streamed, in the
    /// strict form `auditpack archive` writes); each is `None` when the packet does not
    /// hold it. An archive always has `SHA256SUMS`.
    pub fn read(path: &Path, contents: Contents) -> Result<Self, VerifyError> {
        let meta = fs::metadata(path).map_err(|source| VerifyError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        let names: &[&str] = match contents {
            Contents::Meta => &[MANIFEST, PACKET_JSON],
            Contents::WithEvidence => &[MANIFEST, PACKET_JSON, SNAPSHOT_JSON, FINDINGS_JSON],
        };
        let mut found = if meta.is_dir() {
            read_folder(path, names)?
        } else {
            let found =
                archive::find_in_archive(path, names).map_err(|source| VerifyError::Io {
                    path: path.to_path_buf(),
                    source,
                })?;
            if found[0].is_none() {
                return Err(VerifyError::Io {
                    path: path.to_path_buf(),
                    source: std::io::Error::new(
                        std::io::ErrorKind::NotFound,
                        "the archive holds no SHA256SUMS",
                    ),
                });
            }
            found
        };
        found.resize(4, None);
        let mut found = found.into_iter();
        let mut next = || found.next().flatten();
        Ok(Self {
            path: path.to_path_buf(),
            manifest: next(),
            packet_json: next(),
            snapshot: next(),
            findings: next(),
        })
    }

    /// SHA-256 (hex) of the manifest bytes: the digest a later packet's `previous`
    /// link names; `None` when the packet is not sealed.
    pub fn manifest_sha256(&self) -> Option<String> {
        self.manifest
            .as_deref()
            .map(|m| hex::encode(Sha256::digest(m)))
    }

    /// `packet.json` read through [`PacketMeta`], if present; refused (unknown field,
    /// unsupported `formatVersion`) with [`VerifyError::PacketJson`].
    pub fn packet_meta(&self) -> Result<Option<PacketMeta>, VerifyError> {
        self.packet_json
            .as_deref()
            .map(PacketMeta::from_slice)
            .transpose()
            .map_err(|source| VerifyError::PacketJson {
                path: self.path.clone(),
                source,
            })
    }
}

/// Reads the named files of a packet folder; an absent one is `None`, any other error names
/// the file.
fn read_folder(dir: &Path, names: &[&str]) -> Result<Vec<Option<Vec<u8>>>, VerifyError> {
    names
        .iter()
        .map(|name| {
            let p = dir.join(name);
            match fs::read(&p) {
                Ok(b) => Ok(Some(b)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(source) => Err(VerifyError::Io { path: p, source }),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sealed folder holding a snapshot and findings, and its archive.
    fn sealed_with_evidence(root: &Path) -> (PathBuf, PathBuf) {
        let dir = root.join("p");
        fs::create_dir_all(dir.join("evidence")).unwrap();
        fs::write(dir.join("index.html"), "<p>packet</p>\n").unwrap();
        fs::write(dir.join(SNAPSHOT_JSON), "{\"snapshot\":1}\n").unwrap();
        fs::write(dir.join(FINDINGS_JSON), "{\"findings\":1}\n").unwrap();
        let opts = SealOptions {
            force: false,
            now: DateTime::parse_from_rfc3339("2025-07-01T12:00:00Z")
                .unwrap()
                .with_timezone(&Utc),
        };
        seal_dir(&dir, &SigningKey::from_bytes(&[7; 32]), &opts).unwrap();
        let out = root.join("p.tar.gz");
        write_archive(&dir, &out).unwrap();
        (dir, out)
    }

    #[test]
    fn packet_source_reads_the_same_files_from_a_folder_and_its_archive() {
        let tmp = tempfile::tempdir().unwrap();
        let (dir, archive) = sealed_with_evidence(tmp.path());
        let f = PacketSource::read(&dir, Contents::WithEvidence).unwrap();
        let a = PacketSource::read(&archive, Contents::WithEvidence).unwrap();
        assert_eq!(f.snapshot.as_deref(), Some(&b"{\"snapshot\":1}\n"[..]));
        assert_eq!(f.findings.as_deref(), Some(&b"{\"findings\":1}\n"[..]));
        assert_eq!(
            PacketSource {
                path: dir.clone(),
                ..a.clone()
            },
            f
        );
        // The metadata read leaves the evidence unread.
        let meta = PacketSource::open(&archive).unwrap();
        assert_eq!((&meta.snapshot, &meta.findings), (&None, &None));
        assert_eq!(meta.manifest_sha256(), f.manifest_sha256());
    }

    #[test]
    fn packet_source_open_refuses_an_unsealed_folder_that_read_accepts() {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join(PACKET_JSON), "{\"formatVersion\":1}\n").unwrap();
        let read = PacketSource::read(tmp.path(), Contents::Meta).unwrap();
        assert_eq!(read.manifest, None);
        assert!(read.packet_json.is_some());
        let e = PacketSource::open(tmp.path()).unwrap_err();
        assert!(
            matches!(&e, VerifyError::Io { path, .. } if path.ends_with(MANIFEST)),
            "{e}"
        );
    }
}
