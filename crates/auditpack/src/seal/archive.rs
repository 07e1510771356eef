//! Deterministic `.tar.gz` archives of sealed packets and their sidecar index.
//!
//! The layout written here is the only one the strict reader (`seal/archive_read.rs`)
//! accepts; it is described there, with the bytes of every header.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use flate2::Compression;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::seal::archive_read::{BLOCK, archive_mtime, header_blocks};
pub use crate::seal::archive_read::{Limits, find_in_archive};
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
    pub index_json: Value,
}

/// Writes a deterministic `.tar.gz` of a sealed packet folder plus the sidecar index
/// `OUT.json`. Refuses an unsealed folder, a folder whose content does not match its own
/// manifest and signature (checked against the signer key it names), and an `out` inside
/// the packet folder (however it is spelled).
///
/// Both files are first written in full to temporary names beside `out` and fsynced; only
/// then are both renamed, so a failure (a full disk, say) leaves neither behind.
pub fn write_archive(dir: &Path, out: &Path) -> Result<ArchiveReport, ArchiveError> {
    let io_err = |path: &Path, action: &'static str| {
        let path = path.to_path_buf();
        move |source| ArchiveError::Io {
            path,
            action,
            source,
        }
    };
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
    let collected =
        collected::collect_folder(dir, None).map_err(io_err(dir, "cannot read the packet"))?;
    if collected.manifest.is_none() || collected.sig.is_none() {
        return Err(ArchiveError::NotSealed {
            dir: dir.to_path_buf(),
        });
    }
    let (meta, _) = meta::packet_meta(collected.packet_json.as_deref());
    let mut own = TrustStore::new();
    if let Some(key) = meta.signer_public {
        own.add(key, "packet.json signer");
    }
    let manifest_bytes = collected.manifest.clone().unwrap_or_default();
    let sig_bytes = collected.sig.clone().unwrap_or_default();
    let sshsig_bytes = collected.sshsig.clone();
    let dsse_bytes = collected.dsse.clone();
    let packet_value = meta.value.clone();
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
    let entries = manifest::parse(&manifest_bytes).entries;
    if let Some(e) = entries.iter().find(|e| e.path.len() > MAX_PATH_BYTES) {
        return Err(ArchiveError::PathTooLong {
            path: e.path.clone(),
            len: e.path.len(),
        });
    }
    let mtime = archive_mtime(meta.sealed_at);

    let tmp = StagedFile::beside(out).map_err(io_err(out, "cannot create"))?;
    let w = |e| ArchiveError::Io {
        path: out.to_path_buf(),
        action: "cannot write",
        source: e,
    };
    let (archive_sha256, archive_bytes) = {
        let hashing = HashingWriter {
            inner: BufWriter::new(tmp.file()),
            hasher: Sha256::new(),
            bytes: 0,
        };
        let mut gz = flate2::GzBuilder::new()
            .mtime(0)
            .operating_system(255)
            .write(hashing, Compression::default());
        let mut seal_files: Vec<(&str, &[u8])> =
            vec![(MANIFEST, &manifest_bytes), (SIGNATURE, &sig_bytes)];
        if let Some(b) = &sshsig_bytes {
            seal_files.push((SSH_SIGNATURE, b));
        }
        if let Some(b) = &dsse_bytes {
            seal_files.push((DSSE, b));
        }
        for (name, mut bytes) in seal_files {
            write_entry(&mut gz, name, false, bytes.len() as u64, mtime, &mut bytes).map_err(w)?;
        }
        let mut dirs_done = BTreeSet::new();
        for entry in &entries {
            let parts: Vec<&str> = entry.path.split('/').collect();
            for end in 1..parts.len() {
                let folder = parts[..end].join("/");
                if dirs_done.insert(folder.clone()) {
                    write_entry(&mut gz, &folder, true, 0, mtime, &mut io::empty()).map_err(w)?;
                }
            }
            let abs = dir.join(&entry.path);
            let file = File::open(&abs).map_err(io_err(&abs, "cannot read"))?;
            let len = file.metadata().map_err(io_err(&abs, "cannot read"))?.len();
            let mut reader = HashingReader {
                inner: file.take(len),
                hasher: Sha256::new(),
            };
            let copied =
                write_entry(&mut gz, &entry.path, false, len, mtime, &mut reader).map_err(w)?;
            let digest: [u8; 32] = reader.hasher.finalize().into();
            if copied != len || digest != entry.sha256 {
                return Err(ArchiveError::Changed { path: abs });
            }
        }
        // The end-of-archive marker: two zero blocks, and nothing after them.
        gz.write_all(&[0u8; 2 * BLOCK]).map_err(w)?;
        let mut hashing = gz.finish().map_err(w)?;
        hashing.inner.flush().map_err(w)?;
        (hex::encode(hashing.hasher.finalize_reset()), hashing.bytes)
    };
    tmp.sync().map_err(w)?;

    let index_json = index(
        packet_value.as_ref(),
        &manifest_bytes,
        out,
        &archive_sha256,
        archive_bytes,
    );
    let index_path = PathBuf::from(format!("{}.json", out.display()));
    let mut text = serde_json::to_vec_pretty(&index_json).expect("JSON values serialize");
    text.push(b'\n');
    // Both complete and durable before either takes its name.
    let index_tmp =
        staging::stage(&index_path, &text).map_err(io_err(&index_path, "cannot write"))?;
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
        files: entries.len(),
        index_json,
    })
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

/// The sidecar index: what a document store needs without opening the archive. Schema in
/// `docs/seal.md`. Like the archive itself it proves nothing until the archive verifies.
pub fn index(
    packet: Option<&Value>,
    manifest_bytes: &[u8],
    archive: &Path,
    archive_sha256: &str,
    archive_bytes: u64,
) -> Value {
    let get = |k: &str| {
        packet
            .and_then(|p| p.get(k))
            .cloned()
            .unwrap_or(Value::Null)
    };
    let previous = packet
        .and_then(|p| p.get("previousPacket").or_else(|| p.get("previous")))
        .cloned()
        .unwrap_or(Value::Null);
    let signer_key_id = packet
        .and_then(|p| p.pointer("/signer/keyId"))
        .cloned()
        .unwrap_or(Value::Null);
    let mut m = Map::new();
    m.insert("indexVersion".into(), json!(1));
    m.insert(
        "archive".into(),
        json!(
            archive
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
        ),
    );
    m.insert("archiveSha256".into(), json!(archive_sha256));
    m.insert("archiveBytes".into(), json!(archive_bytes));
    m.insert("packetId".into(), get("id"));
    m.insert("cluster".into(), get("cluster"));
    m.insert("period".into(), get("period"));
    m.insert("frameworks".into(), get("frameworks"));
    m.insert("signerKeyId".into(), signer_key_id);
    m.insert("sealedAt".into(), get("sealedAt"));
    m.insert(
        "manifestSha256".into(),
        json!(hex::encode(Sha256::digest(manifest_bytes))),
    );
    m.insert("previousPacket".into(), previous);
    Value::Object(m)
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
