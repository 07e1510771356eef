//! Deterministic `.tar.gz` archives of sealed packets, their sidecar index, and a streaming
//! reader that never unpacks to disk.
//!
//! Archive layout: `SHA256SUMS`, `SHA256SUMS.sig`, `SHA256SUMS.sshsig` and
//! `SHA256SUMS.intoto.json` (when present) come first, so a reader meets the manifest
//! and its signatures before any content; then every listed file in manifest order (sorted
//! by path bytes), each directory just before its first file. Headers are GNU tar with
//! mode 0644 (files) / 0755 (directories), uid/gid 0, empty user and group names, mtime =
//! the packet's `sealedAt`, no extended attributes or pax records; gzip with mtime 0 and no
//! file name. The same sealed packet always gives the same bytes.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use flate2::Compression;
use flate2::read::GzDecoder;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::seal::manifest::{self, path_problem};
use crate::seal::trust::TrustStore;
use crate::seal::verify::{
    self, Collected, Failure, MAX_MANIFEST, MAX_PACKET_JSON, MAX_SIGNATURE, Rule,
};
use crate::seal::{DSSE, MANIFEST, PACKET_JSON, SIGNATURE, SSH_SIGNATURE, atomic, walk};

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

/// Writes a deterministic `.tar.gz` of a sealed packet folder, atomically, plus the
/// sidecar index `OUT.json`. Refuses an unsealed folder, and a folder whose content does
/// not match its own manifest and signature (checked against the signer key it names).
pub fn write_archive(dir: &Path, out: &Path) -> Result<ArchiveReport, ArchiveError> {
    let io_err = |path: &Path, action: &'static str| {
        let path = path.to_path_buf();
        move |source| ArchiveError::Io {
            path,
            action,
            source,
        }
    };
    let collected = verify::collect_folder(dir).map_err(io_err(dir, "cannot read the packet"))?;
    if collected.manifest.is_none() || collected.sig.is_none() {
        return Err(ArchiveError::NotSealed {
            dir: dir.to_path_buf(),
        });
    }
    let (meta, _) = verify::packet_meta(collected.packet_json.as_deref());
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
    let mtime = meta
        .sealed_at
        .map(|t| t.timestamp().max(0) as u64)
        .unwrap_or(0);

    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = atomic::TempFile::new(parent, out).map_err(io_err(out, "cannot create"))?;
    let hashing = HashingWriter {
        inner: BufWriter::new(tmp.file()),
        hasher: Sha256::new(),
        bytes: 0,
    };
    let gz = flate2::GzBuilder::new()
        .mtime(0)
        .operating_system(255)
        .write(hashing, Compression::default());
    let mut builder = tar::Builder::new(gz);
    let w = |e| ArchiveError::Io {
        path: out.to_path_buf(),
        action: "cannot write",
        source: e,
    };
    let mut seal_files: Vec<(&str, &[u8])> =
        vec![(MANIFEST, &manifest_bytes), (SIGNATURE, &sig_bytes)];
    if let Some(b) = &sshsig_bytes {
        seal_files.push((SSH_SIGNATURE, b));
    }
    if let Some(b) = &dsse_bytes {
        seal_files.push((DSSE, b));
    }
    for (name, bytes) in seal_files {
        append(
            &mut builder,
            name,
            tar::EntryType::Regular,
            bytes.len() as u64,
            mtime,
            bytes,
        )
        .map_err(w)?;
    }
    let mut dirs_done = BTreeSet::new();
    for entry in &entries {
        let mut prefix = String::new();
        let parts: Vec<&str> = entry.path.split('/').collect();
        for part in &parts[..parts.len() - 1] {
            prefix.push_str(part);
            prefix.push('/');
            if dirs_done.insert(prefix.clone()) {
                append(
                    &mut builder,
                    &prefix,
                    tar::EntryType::Directory,
                    0,
                    mtime,
                    io::empty(),
                )
                .map_err(w)?;
            }
        }
        let abs = dir.join(&entry.path);
        let file = File::open(&abs).map_err(io_err(&abs, "cannot read"))?;
        let len = file.metadata().map_err(io_err(&abs, "cannot read"))?.len();
        let mut reader = HashingReader {
            inner: file.take(len),
            hasher: Sha256::new(),
        };
        append(
            &mut builder,
            &entry.path,
            tar::EntryType::Regular,
            len,
            mtime,
            &mut reader,
        )
        .map_err(w)?;
        let digest: [u8; 32] = reader.hasher.finalize().into();
        if digest != entry.sha256 {
            return Err(ArchiveError::Changed { path: abs });
        }
    }
    let gz = builder.into_inner().map_err(w)?;
    let mut hashing = gz.finish().map_err(w)?;
    hashing.inner.flush().map_err(w)?;
    let archive_sha256 = hex::encode(hashing.hasher.finalize_reset());
    let archive_bytes = hashing.bytes;
    drop(hashing);
    tmp.commit().map_err(io_err(out, "cannot write"))?;

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
    atomic::write(&index_path, &text).map_err(io_err(&index_path, "cannot write"))?;
    Ok(ArchiveReport {
        archive: out.to_path_buf(),
        index: index_path,
        archive_sha256,
        archive_bytes,
        files: entries.len(),
        index_json,
    })
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

fn append<W: Write>(
    builder: &mut tar::Builder<W>,
    path: &str,
    kind: tar::EntryType,
    size: u64,
    mtime: u64,
    data: impl Read,
) -> io::Result<()> {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(kind);
    header.set_size(size);
    header.set_mode(if kind == tar::EntryType::Directory {
        0o755
    } else {
        0o644
    });
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(mtime);
    builder.append_data(&mut header, path, data)
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

/// Limits of the streaming reader: an archive that expands beyond them is not read
/// further (`size-limit`). `SHA256SUMS` lists no sizes, so the limits are totals.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Most uncompressed bytes read from the gzip stream (default 64 GiB).
    pub max_total_bytes: u64,
    /// Most tar entries (default 1,000,000).
    pub max_entries: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_total_bytes: 64 << 30,
            max_entries: 1_000_000,
        }
    }
}

struct CappedReader<'a, R> {
    inner: R,
    left: u64,
    hit: &'a AtomicBool,
}

impl<R: Read> Read for CappedReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            // Allow detecting end of stream without counting it as over the cap.
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => {
                    self.hit.store(true, Ordering::SeqCst);
                    Err(io::Error::other("archive expands beyond the size limit"))
                }
            };
        }
        let want = buf.len().min(self.left.min(usize::MAX as u64) as usize);
        let n = self.inner.read(&mut buf[..want])?;
        self.left -= n as u64;
        Ok(n)
    }
}

/// Size of the chunks the decompressing thread hands to the hashing thread.
const CHUNK: usize = 256 * 1024;
/// Chunks in flight between the two threads (memory stays at about CHUNK × this).
const IN_FLIGHT: usize = 4;

/// The receiving end of the decompression pipeline, as a reader.
struct ChannelReader {
    rx: mpsc::Receiver<io::Result<Vec<u8>>>,
    chunk: Vec<u8>,
    pos: usize,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.chunk.len() {
            match self.rx.recv() {
                Ok(Ok(chunk)) => {
                    self.chunk = chunk;
                    self.pos = 0;
                }
                Ok(Err(e)) => return Err(e),
                // The sender finished: end of the decompressed stream.
                Err(mpsc::RecvError) => return Ok(0),
            }
        }
        let n = buf.len().min(self.chunk.len() - self.pos);
        buf[..n].copy_from_slice(&self.chunk[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

fn read_small(reader: &mut impl Read, cap: u64) -> io::Result<Option<Vec<u8>>> {
    let mut out = Vec::new();
    reader.take(cap + 1).read_to_end(&mut out)?;
    Ok((out.len() as u64 <= cap).then_some(out))
}

/// Reads a `.tar.gz` packet as a stream: hashes every regular file, keeps the manifest,
/// signatures and `packet.json` in memory, and records every entry that breaks a rule.
/// Never writes to disk; never panics on hostile input.
///
/// Decompression runs on its own thread and hands chunks to this one, which parses tar and
/// hashes: the two costs overlap instead of adding up, with a bounded amount in flight.
pub(crate) fn collect(reader: impl Read + Send, limits: &Limits) -> Collected {
    let hit = AtomicBool::new(false);
    let (tx, rx) = mpsc::sync_channel::<io::Result<Vec<u8>>>(IN_FLIGHT);
    std::thread::scope(|scope| {
        let hit = &hit;
        scope.spawn(move || {
            let mut capped = CappedReader {
                inner: GzDecoder::new(io::BufReader::new(reader)),
                left: limits.max_total_bytes,
                hit,
            };
            loop {
                let mut chunk = vec![0u8; CHUNK];
                let n = match capped.read(&mut chunk) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        break;
                    }
                };
                chunk.truncate(n);
                // The reader stopped early (a verdict is already certain): stop too.
                if tx.send(Ok(chunk)).is_err() {
                    break;
                }
            }
        });
        let tar_stream = ChannelReader {
            rx,
            chunk: Vec::new(),
            pos: 0,
        };
        collect_tar(tar_stream, hit, limits)
    })
}

fn collect_tar(tar_stream: impl Read, hit: &AtomicBool, limits: &Limits) -> Collected {
    let mut c = Collected::default();
    let mut archive = tar::Archive::new(tar_stream);
    let stream_failure = |e: io::Error, hit: &AtomicBool| {
        if hit.load(Ordering::SeqCst) {
            Failure::new(
                Rule::SizeLimit,
                "",
                format!(
                    "the archive expands beyond {} bytes; not read further",
                    limits.max_total_bytes
                ),
            )
        } else {
            Failure::new(
                Rule::MalformedArchive,
                "",
                format!("not a readable .tar.gz: {e}"),
            )
        }
    };
    let entries = match archive.entries() {
        Ok(e) => e,
        Err(e) => {
            c.problems.push(stream_failure(e, hit));
            return c;
        }
    };
    let mut seen = BTreeSet::new();
    let mut count = 0usize;
    let mut any = false;
    for entry in entries {
        let mut entry = match entry {
            Ok(e) => e,
            Err(e) => {
                c.problems.push(stream_failure(e, hit));
                return c;
            }
        };
        any = true;
        count += 1;
        if count > limits.max_entries {
            c.problems.push(Failure::new(
                Rule::SizeLimit,
                "",
                format!("more than {} entries; not read further", limits.max_entries),
            ));
            return c;
        }
        let raw = entry.path_bytes().into_owned();
        let Ok(name) = String::from_utf8(raw.clone()) else {
            c.problems.push(Failure::new(
                Rule::UnsafePath,
                String::from_utf8_lossy(&raw).into_owned(),
                "entry name is not valid UTF-8",
            ));
            continue;
        };
        let kind = entry.header().entry_type();
        let is_dir = kind == tar::EntryType::Directory;
        // `tar -czf x.tar.gz -C packet .` writes `./` and `./name`: accept that one prefix.
        if is_dir && (name == "./" || name == ".") {
            continue;
        }
        let relative = name.strip_prefix("./").unwrap_or(&name);
        let path = if is_dir {
            relative.strip_suffix('/').unwrap_or(relative).to_string()
        } else {
            relative.to_string()
        };
        if let Some(problem) = path_problem(&path) {
            c.problems.push(Failure::new(
                Rule::UnsafePath,
                name,
                format!("archive entry: {problem}"),
            ));
            continue;
        }
        if !seen.insert(path.clone()) {
            c.problems.push(Failure::new(
                Rule::DuplicateEntry,
                path,
                "the archive holds this path more than once",
            ));
            continue;
        }
        match kind {
            tar::EntryType::Regular => {}
            tar::EntryType::Directory => {
                c.dirs.insert(path);
                continue;
            }
            tar::EntryType::Symlink | tar::EntryType::Link => {
                let target = entry
                    .link_name_bytes()
                    .map(|t| String::from_utf8_lossy(&t).into_owned())
                    .unwrap_or_default();
                c.problems.push(Failure::new(
                    Rule::Symlink,
                    path,
                    format!("link entry (to {target:?}); a packet holds regular files only"),
                ));
                continue;
            }
            other => {
                c.problems.push(Failure::new(
                    Rule::SpecialFile,
                    path,
                    format!("not a regular file (tar entry type {other:?})"),
                ));
                continue;
            }
        }
        let slot_cap = match path.as_str() {
            MANIFEST => Some((MAX_MANIFEST, 0)),
            SIGNATURE => Some((MAX_SIGNATURE, 1)),
            SSH_SIGNATURE => Some((MAX_SIGNATURE, 2)),
            DSSE => Some((MAX_MANIFEST, 3)),
            PACKET_JSON => Some((MAX_PACKET_JSON, 4)),
            _ => None,
        };
        let result = match slot_cap {
            Some((cap, slot)) => match read_small(&mut entry, cap) {
                Ok(Some(bytes)) => {
                    match slot {
                        0 => c.manifest = Some(bytes),
                        1 => c.sig = Some(bytes),
                        2 => c.sshsig = Some(bytes),
                        3 => c.dsse = Some(bytes),
                        _ => {
                            c.files.insert(path.clone(), Sha256::digest(&bytes).into());
                            c.packet_json = Some(bytes);
                        }
                    }
                    Ok(())
                }
                Ok(None) => {
                    c.problems.push(Failure::new(
                        Rule::SizeLimit,
                        path.clone(),
                        format!("larger than {cap} bytes"),
                    ));
                    Ok(())
                }
                Err(e) => Err(e),
            },
            None => walk::hash_reader(&mut entry).map(|digest| {
                c.files.insert(path.clone(), digest);
            }),
        };
        if let Err(e) = result {
            c.problems.push(stream_failure(e, hit));
            return c;
        }
    }
    if !any {
        c.problems.push(Failure::new(
            Rule::MalformedArchive,
            "",
            "the archive holds no entries",
        ));
    }
    for d in &c.dirs {
        let prefix = format!("{d}/");
        let used = seen
            .range(prefix.clone()..)
            .next()
            .is_some_and(|p| p.starts_with(&prefix));
        if !used {
            c.problems.push(Failure::new(
                Rule::EmptyDirectory,
                d.clone(),
                "empty directory: a manifest lists files only",
            ));
        }
    }
    c
}

/// Reads the named files of an archive into memory (paths as in the manifest), stopping
/// once all are found. Nothing is verified: verify the archive first when it matters.
pub fn find_in_archive(path: &Path, wanted: &[&str]) -> io::Result<Vec<Option<Vec<u8>>>> {
    let file = File::open(path)?;
    let mut archive = tar::Archive::new(GzDecoder::new(io::BufReader::new(file)));
    let mut found: Vec<Option<Vec<u8>>> = vec![None; wanted.len()];
    for entry in archive.entries()? {
        let mut entry = entry?;
        if entry.header().entry_type() != tar::EntryType::Regular {
            continue;
        }
        let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let name = raw.strip_prefix("./").unwrap_or(&raw).to_string();
        if let Some(i) = wanted.iter().position(|w| *w == name)
            && found[i].is_none()
        {
            let cap = if name == PACKET_JSON {
                MAX_PACKET_JSON
            } else {
                MAX_MANIFEST
            };
            found[i] = read_small(&mut entry, cap)?;
            if found[i].is_none() {
                return Err(io::Error::other(format!(
                    "{name} in the archive is too large"
                )));
            }
        }
        if found.iter().all(Option::is_some) {
            break;
        }
    }
    Ok(found)
}
