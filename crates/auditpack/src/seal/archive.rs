//! Deterministic `.tar.gz` archives of sealed packets and their sidecar index.
//!
//! The layout written here is the only one the strict reader (`seal/archive_read.rs`)
//! accepts; it is described there, with the bytes of every header.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use flate2::Compression;
use sha2::{Digest, Sha256};

use crate::model::{ArchiveFacts, ArchiveIndex, PacketMeta};
#[cfg(any(test, feature = "internals", feature = "s3"))]
pub use crate::seal::archive_read::Limits;
pub use crate::seal::archive_read::find_in_archive;
use crate::seal::archive_read::{BLOCK, archive_mtime, header_blocks};
pub use crate::seal::limits::MAX_PATH_BYTES;
use crate::seal::manifest;
use crate::seal::rule::{Failure, Rule};
use crate::seal::trust::TrustStore;
use crate::seal::{DSSE, MANIFEST, PACKET_JSON, SIGNATURE, SSH_SIGNATURE, collected, meta, verify};
use crate::staging::{self, StagedFile};

/// Errors writing an archive.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ArchiveError {
    /// The folder has no manifest or signature.
    #[error(
        "{dir}: not sealed (no SHA256SUMS / SHA256SUMS.sig); run `auditpack seal {dir} --key KEY` first"
    )]
    NotSealed {
        /// The folder.
        dir: PathBuf,
    },
    /// The folder does not match its own manifest and signature.
    #[error("{dir}: the sealed packet does not check against its own manifest and signer ({} problem(s)); first: {first}", failures.len())]
    Inconsistent {
        /// The folder.
        dir: PathBuf,
        /// The first problem, for the message.
        first: Failure,
        /// Every problem.
        failures: Vec<Failure>,
    },
    /// The archive (or its index) would be written inside the packet folder.
    #[error(
        "{out}: inside the packet folder {dir}; a sealed folder must not change — write the archive elsewhere"
    )]
    OutInsidePacket {
        /// The archive path given.
        out: PathBuf,
        /// The packet folder.
        dir: PathBuf,
    },
    /// A listed path is too long for an archive entry.
    #[error("{path}: path of {len} bytes; an archive entry holds at most {MAX_PATH_BYTES}")]
    PathTooLong {
        /// The path, relative to the packet.
        path: String,
        /// Its length in bytes.
        len: usize,
    },
    /// A file changed while it was being archived.
    #[error("{path}: changed while being archived (hash differs from SHA256SUMS); archive again")]
    Changed {
        /// The file.
        path: PathBuf,
    },
    /// Reading or writing failed.
    #[error("{path}: {action}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What was attempted.
        action: &'static str,
        /// The cause.
        #[source]
        source: io::Error,
    },
}

/// What `write_archive` wrote.
#[derive(Debug, Clone)]
pub struct ArchiveReport {
    /// The archive.
    pub archive: PathBuf,
    /// The sidecar index (`FILE.tar.gz.json`).
    pub index: PathBuf,
    /// SHA-256 (hex) of the archive bytes.
    pub archive_sha256: String,
    /// Size of the archive in bytes.
    pub archive_bytes: u64,
    /// Files archived (listed in the manifest).
    pub files: usize,
    /// The sidecar index content.
    pub index_doc: ArchiveIndex,
}

/// A sealed packet folder that checks against its own manifest and signer: what goes into
/// the archive.
struct SealedFolder {
    packet: PacketMeta,
    manifest: Vec<u8>,
    sig: Vec<u8>,
    sshsig: Option<Vec<u8>>,
    dsse: Option<Vec<u8>>,
    entries: Vec<manifest::Entry>,
}

/// Writes a deterministic `.tar.gz` of a sealed packet folder plus the sidecar index
/// `OUT.json`. Refuses an unsealed folder, a folder whose content does not match its own
/// manifest and signature (checked against the signer key it names), and an `out` inside
/// the packet folder (however it is spelled).
///
/// Both files are first written in full to temporary names beside `out` and fsynced; only
/// then are both renamed, so a failure (a full disk, say) leaves neither behind.
pub fn write_archive(dir: &Path, out: &Path) -> Result<ArchiveReport, ArchiveError> {
    refuse_out_inside(dir, out)?;
    let sealed = read_sealed(dir)?;
    let seal = sealed
        .packet
        .seal
        .as_ref()
        .expect("a folder that verifies against its signer is sealed");
    let mtime = archive_mtime(Some(seal.sealed_at));

    let tmp = StagedFile::beside(out).map_err(io_err(out, "cannot create"))?;
    let (archive_sha256, archive_bytes) = write_tar(dir, &sealed, mtime, tmp.file(), out)?;
    tmp.sync().map_err(io_err(out, "cannot write"))?;

    let facts = ArchiveFacts {
        archive: out
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        archive_sha256: archive_sha256.clone(),
        archive_bytes,
        manifest_sha256: hex::encode(Sha256::digest(&sealed.manifest)),
    };
    let index_doc = ArchiveIndex::new(&sealed.packet, facts)
        .expect("a folder that verifies against its signer is sealed");
    let index_path = PathBuf::from(format!("{}.json", out.display()));
    // Both complete and durable before either takes its name.
    let index_tmp = staging::stage(&index_path, &index_doc.to_bytes())
        .map_err(io_err(&index_path, "cannot write"))?;
    tmp.commit().map_err(io_err(out, "cannot write"))?;
    if let Err(e) = index_tmp.commit() {
        let _ = std::fs::remove_file(out);
        return Err(io_err(&index_path, "cannot write")(e));
    }
    Ok(ArchiveReport {
        archive: out.to_path_buf(),
        index: index_path,
        archive_sha256,
        archive_bytes,
        files: sealed.entries.len(),
        index_doc,
    })
}

fn io_err(path: &Path, action: &'static str) -> impl FnOnce(io::Error) -> ArchiveError {
    let path = path.to_path_buf();
    move |source| ArchiveError::Io {
        path,
        action,
        source,
    }
}

/// Refuses an archive (or index) path inside the packet folder, however it is spelled.
fn refuse_out_inside(dir: &Path, out: &Path) -> Result<(), ArchiveError> {
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let dir_real = std::fs::canonicalize(dir).map_err(io_err(dir, "cannot read the packet"))?;
    let parent_real = std::fs::canonicalize(parent).map_err(io_err(out, "cannot create"))?;
    if parent_real.starts_with(&dir_real) {
        return Err(ArchiveError::OutInsidePacket {
            out: out.to_path_buf(),
            dir: dir.to_path_buf(),
        });
    }
    Ok(())
}

/// Reads a sealed folder and checks it against the signer its own `packet.json` names:
/// an archive is only made of a packet that verifies as it stands.
fn read_sealed(dir: &Path) -> Result<SealedFolder, ArchiveError> {
    let collected =
        collected::collect_folder(dir, None).map_err(io_err(dir, "cannot read the packet"))?;
    let (Some(manifest), Some(sig)) = (collected.manifest.clone(), collected.sig.clone()) else {
        return Err(ArchiveError::NotSealed {
            dir: dir.to_path_buf(),
        });
    };
    let (meta, _) = meta::packet_meta(collected.packet_json.as_deref());
    let mut own = TrustStore::new();
    if let Some(key) = meta.signer_public {
        own.add(key, "packet.json signer");
    }
    let (sshsig, dsse) = (collected.sshsig.clone(), collected.dsse.clone());
    let failures = if own.is_empty() {
        vec![Failure::new(
            Rule::BadPacketJson,
            PACKET_JSON,
            "packet.json names no signer public key",
        )]
    } else {
        verify::evaluate(dir, collected, &own).failures
    };
    if let Some(first) = failures.first() {
        return Err(ArchiveError::Inconsistent {
            dir: dir.to_path_buf(),
            first: first.clone(),
            failures,
        });
    }
    let packet = meta
        .meta
        .expect("a folder that verifies has a packet.json that reads");
    let entries = manifest::parse(&manifest).entries;
    if let Some(e) = entries.iter().find(|e| e.path.len() > MAX_PATH_BYTES) {
        return Err(ArchiveError::PathTooLong {
            path: e.path.clone(),
            len: e.path.len(),
        });
    }
    Ok(SealedFolder {
        packet,
        manifest,
        sig,
        sshsig,
        dsse,
        entries,
    })
}

/// Streams the archive into `file`: the seal files, then every listed file in manifest
/// order (each folder before its first file), then the end marker. Each file is hashed as
/// it is copied and must still match its manifest line. Returns the archive's SHA-256 (hex)
/// and size.
fn write_tar(
    dir: &Path,
    sealed: &SealedFolder,
    mtime: u64,
    file: &File,
    out: &Path,
) -> Result<(String, u64), ArchiveError> {
    let w = |e| ArchiveError::Io {
        path: out.to_path_buf(),
        action: "cannot write",
        source: e,
    };
    let hashing = HashingWriter {
        inner: BufWriter::new(file),
        hasher: Sha256::new(),
        bytes: 0,
    };
    let mut gz = flate2::GzBuilder::new()
        .mtime(0)
        .operating_system(255)
        .write(hashing, Compression::default());
    let mut seal_files: Vec<(&str, &[u8])> =
        vec![(MANIFEST, &sealed.manifest), (SIGNATURE, &sealed.sig)];
    if let Some(b) = &sealed.sshsig {
        seal_files.push((SSH_SIGNATURE, b));
    }
    if let Some(b) = &sealed.dsse {
        seal_files.push((DSSE, b));
    }
    for (name, mut bytes) in seal_files {
        write_entry(&mut gz, name, false, bytes.len() as u64, mtime, &mut bytes).map_err(w)?;
    }
    let mut dirs_done = BTreeSet::new();
    for entry in &sealed.entries {
        let parts: Vec<&str> = entry.path.split('/').collect();
        for end in 1..parts.len() {
            let folder = parts[..end].join("/");
            if dirs_done.insert(folder.clone()) {
                write_entry(&mut gz, &folder, true, 0, mtime, &mut io::empty()).map_err(w)?;
            }
        }
        copy_listed(&mut gz, dir, entry, mtime, out)?;
    }
    // The end-of-archive marker: two zero blocks, and nothing after them.
    gz.write_all(&[0u8; 2 * BLOCK]).map_err(w)?;
    let mut hashing = gz.finish().map_err(w)?;
    hashing.inner.flush().map_err(w)?;
    Ok((hex::encode(hashing.hasher.finalize_reset()), hashing.bytes))
}

/// Copies one listed file into the archive, refusing it when its bytes no longer match
/// the manifest (it changed after sealing, or while it was being read).
fn copy_listed(
    gz: &mut impl Write,
    dir: &Path,
    entry: &manifest::Entry,
    mtime: u64,
    out: &Path,
) -> Result<(), ArchiveError> {
    let abs = dir.join(&entry.path);
    let file = File::open(&abs).map_err(io_err(&abs, "cannot read"))?;
    let len = file.metadata().map_err(io_err(&abs, "cannot read"))?.len();
    let mut reader = HashingReader {
        inner: file.take(len),
        hasher: Sha256::new(),
    };
    let copied = write_entry(gz, &entry.path, false, len, mtime, &mut reader)
        .map_err(io_err(out, "cannot write"))?;
    let digest: [u8; 32] = reader.hasher.finalize().into();
    if copied != len || digest != entry.sha256 {
        return Err(ArchiveError::Changed { path: abs });
    }
    Ok(())
}

/// Writes one entry: its header block(s), the data, zero padding to a block. Returns the
/// data bytes copied.
fn write_entry(
    w: &mut impl Write,
    path: &str,
    dir: bool,
    size: u64,
    mtime: u64,
    data: &mut impl Read,
) -> io::Result<u64> {
    w.write_all(&header_blocks(path, dir, size, mtime)?)?;
    let copied = io::copy(data, w)?;
    let rem = (copied % BLOCK as u64) as usize;
    if rem != 0 {
        w.write_all(&[0u8; BLOCK][..BLOCK - rem])?;
    }
    Ok(copied)
}

struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
    bytes: u64,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}
