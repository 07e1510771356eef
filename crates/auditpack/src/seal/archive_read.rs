//! The strict streaming reader of packet archives: it never unpacks to disk.
//!
//! Archive layout (what [`write_archive`](super::archive::write_archive) writes, and the only thing the reader accepts):
//!
//! - **gzip**: one member, the 10-byte header `1f 8b 08 00 00000000 00 ff` (deflate, no
//!   flags, mtime 0, no extra field, file name or comment, OS "unknown"), the deflate
//!   stream, the CRC-32 and size trailer, and nothing after it.
//! - **tar**: `SHA256SUMS`, `SHA256SUMS.sig`, `SHA256SUMS.sshsig` and
//!   `SHA256SUMS.intoto.json` (the last two when present) come first, so a reader meets the
//!   manifest and its signatures before any content; then every listed file in manifest
//!   order (sorted by path bytes), each directory just before its first file. Every
//!   header is the GNU header the `tar` crate writes for its fields: type
//!   `0` (file) or `5` (directory, name ending in `/`, size 0), mode 0644 / 0755, uid/gid
//!   0, empty user and group names, mtime = the packet's `sealedAt`, size in octal (base-256
//!   from 8 GiB, as GNU tar does), GNU magic `ustar  `, all other fields zero. A path longer
//!   than the 100-byte name field is carried by one GNU long-name entry (`././@LongLink`,
//!   type `L`, mode 0644, mtime 0, data = the path and a NUL) just before its header, whose
//!   name field holds the path's first 100 bytes. Data is padded with zeros to 512 bytes;
//!   the archive ends with exactly two zero blocks.
//!
//! The same sealed packet always gives the same bytes. The reader rebuilds the header
//! bytes the writer would have written for each entry's path, type, size and mtime and
//! compares all 512 bytes, so no header field (PAX records, sparse maps, link names,
//! owners, checksum spellings …) can carry a meaning the reader did not check.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::mpsc;

use sha2::{Digest, Sha256};

use crate::seal::collected::{Collected, signed_by_trusted};
use crate::seal::limits::{MAX_MANIFEST, MAX_PACKET_JSON, MAX_PATH_BYTES, MAX_SIGNATURE};
use crate::seal::manifest::path_problem;
use crate::seal::meta::packet_meta;
use crate::seal::rule::{Failure, Rule};
use crate::seal::trust::TrustStore;
use crate::seal::{PACKET_JSON, SEAL_FILES};

/// The gzip header [`write_archive`](super::archive::write_archive) writes: deflate, no flags, mtime 0, XFL 0 (default
/// level), OS 255 (unknown).
pub(crate) const GZIP_HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];
pub(crate) const BLOCK: usize = 512;

/// The mtime of every archive entry: `sealedAt` in seconds (0 when unknown or before 1970).
pub(crate) fn archive_mtime(sealed_at: Option<chrono::DateTime<chrono::Utc>>) -> u64 {
    sealed_at.map(|t| t.timestamp().max(0) as u64).unwrap_or(0)
}

/// The header block(s) [`write_archive`](super::archive::write_archive) writes for one entry — an optional GNU long-name
/// entry, then the GNU header — as the `tar` crate encodes them. `path` is relative, without
/// a trailing `/`. The reader compares every header it meets with this, byte for byte.
pub(crate) fn header_blocks(path: &str, dir: bool, size: u64, mtime: u64) -> io::Result<Vec<u8>> {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(if dir {
        tar::EntryType::Directory
    } else {
        tar::EntryType::Regular
    });
    header.set_size(size);
    header.set_mode(if dir { 0o755 } else { 0o644 });
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(mtime);
    let name = if dir {
        format!("{path}/")
    } else {
        path.to_string()
    };
    let mut builder = tar::Builder::new(Vec::new());
    builder.append_data(&mut header, &name, io::empty())?;
    let mut bytes = builder.into_inner()?;
    // `into_inner` appended the end-of-archive marker.
    bytes.truncate(bytes.len() - 2 * BLOCK);
    Ok(bytes)
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

/// Size of the chunks the decompressing thread hands to the hashing thread.
const CHUNK: usize = 256 * 1024;
/// Chunks in flight between the two threads (memory stays at about CHUNK × this).
const IN_FLIGHT: usize = 4;

/// A chunk of decompressed bytes, or `Err` when the gzip layer failed (the decompressing
/// thread returns the failure itself).
type Chunk = Result<Vec<u8>, ()>;

/// The receiving end of the decompression pipeline, as a reader.
struct ChannelReader {
    rx: mpsc::Receiver<Chunk>,
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
                Ok(Err(())) => return Err(io::Error::other("the gzip stream is not readable")),
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

/// Reads until `buf` is full or the stream ends; returns how many bytes were read.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

fn malformed(detail: impl Into<String>) -> Failure {
    Failure::new(Rule::MalformedArchive, "", detail)
}

/// The gzip layer, on its own thread: exactly one member with the header the writer writes,
/// a valid CRC-32 and size trailer, and nothing after it. Decompressed bytes go to `tx`;
/// the return value is the gzip-level failure, if any (`None` also when the reader hung up).
fn inflate(reader: impl Read, max_total: u64, tx: &mpsc::SyncSender<Chunk>) -> Option<Failure> {
    let fail = |f: Failure| {
        let _ = tx.send(Err(()));
        Some(f)
    };
    let mut input = BufReader::with_capacity(CHUNK, reader);
    let mut head = [0u8; 10];
    match read_full(&mut input, &mut head) {
        Ok(10) => {}
        Ok(0) => return fail(malformed("the file is empty; not a .tar.gz")),
        Ok(_) => return fail(malformed("too short for a gzip stream")),
        Err(e) => return fail(malformed(format!("cannot read the archive: {e}"))),
    }
    if head[..2] != GZIP_HEADER[..2] {
        return fail(malformed(
            "not a gzip stream (it does not start with 1f 8b); not a .tar.gz",
        ));
    }
    if head != GZIP_HEADER {
        return fail(Failure::new(
            Rule::NonCanonicalArchive,
            "",
            format!(
                "gzip header {} is not the one auditpack archive writes ({}): no flags, no file name, extra field or comment, mtime 0",
                hex::encode(head),
                hex::encode(GZIP_HEADER)
            ),
        ));
    }
    let mut deflate = flate2::bufread::DeflateDecoder::new(input);
    let mut crc = flate2::Crc::new();
    let mut total = 0u64;
    loop {
        let mut chunk = vec![0u8; CHUNK];
        let n = match deflate.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return fail(malformed(format!("corrupt gzip data: {e}"))),
        };
        total += n as u64;
        if total > max_total {
            return fail(Failure::new(
                Rule::SizeLimit,
                "",
                format!("the archive expands beyond {max_total} bytes; not read further"),
            ));
        }
        chunk.truncate(n);
        crc.update(&chunk);
        // The reader stopped early (a verdict is already certain): stop too.
        if tx.send(Ok(chunk)).is_err() {
            return None;
        }
    }
    let mut input = deflate.into_inner();
    let mut trailer = [0u8; 8];
    match read_full(&mut input, &mut trailer) {
        Ok(8) => {}
        Ok(_) => {
            return fail(malformed(
                "the gzip stream is cut short: its CRC-32 and size trailer is missing",
            ));
        }
        Err(e) => return fail(malformed(format!("cannot read the archive: {e}"))),
    }
    let crc_ok = trailer[..4] == crc.sum().to_le_bytes();
    let size_ok = trailer[4..] == (total as u32).to_le_bytes();
    if !crc_ok || !size_ok {
        return fail(malformed(
            "the gzip trailer's CRC-32 or size does not match the data",
        ));
    }
    let mut next = [0u8; 2];
    match read_full(&mut input, &mut next) {
        Ok(0) => None,
        Ok(2) if next == GZIP_HEADER[..2] => fail(Failure::new(
            Rule::MultipleGzipMembers,
            "",
            "a second gzip member follows the first; GNU tar, bsdtar and Python's tarfile would read on into it",
        )),
        Ok(_) => fail(Failure::new(
            Rule::TrailingData,
            "",
            "bytes follow the end of the gzip stream",
        )),
        Err(e) => fail(malformed(format!("cannot read the archive: {e}"))),
    }
}

/// Runs `read` on the decompressed stream of `reader` while a second thread decompresses:
/// the two costs overlap instead of adding up, with a bounded amount in flight. Returns what
/// `read` returned and the gzip layer's failure.
fn with_stream<T: Send>(
    reader: impl Read + Send,
    limits: &Limits,
    read: impl FnOnce(ChannelReader) -> T + Send,
) -> (T, Option<Failure>) {
    let (tx, rx) = mpsc::sync_channel::<Chunk>(IN_FLIGHT);
    std::thread::scope(|scope| {
        let max = limits.max_total_bytes;
        let inflater = scope.spawn(move || inflate(reader, max, &tx));
        let out = read(ChannelReader {
            rx,
            chunk: Vec::new(),
            pos: 0,
        });
        // `read` consumed the receiver: a still-running inflater stops at its next send.
        let gz = inflater
            .join()
            .unwrap_or_else(|_| Some(malformed("the decompressing thread failed")));
        (out, gz)
    })
}

/// Where the strict tar reader stopped: a broken rule, or the decompressed stream failed
/// (the gzip layer's failure says why).
enum Stop {
    Fail(Failure),
    Stream,
}

/// One accepted entry header.
struct Head {
    /// Relative path, without a trailing `/` for directories.
    path: String,
    dir: bool,
    size: u64,
    mtime: u64,
}

/// Field names of a GNU tar header, for naming the first field that differs.
const FIELDS: [(&str, usize, usize); 24] = [
    ("name", 0, 100),
    ("mode", 100, 108),
    ("uid", 108, 116),
    ("gid", 116, 124),
    ("size", 124, 136),
    ("mtime", 136, 148),
    ("checksum", 148, 156),
    ("typeflag", 156, 157),
    ("linkname", 157, 257),
    ("magic", 257, 263),
    ("version", 263, 265),
    ("uname", 265, 297),
    ("gname", 297, 329),
    ("devmajor", 329, 337),
    ("devminor", 337, 345),
    ("atime", 345, 357),
    ("ctime", 357, 369),
    ("offset", 369, 381),
    ("longnames", 381, 385),
    ("unused", 385, 386),
    ("sparse", 386, 482),
    ("isextended", 482, 483),
    ("realsize", 483, 495),
    ("pad", 495, 512),
];

/// The first header field (other than the checksum, unless it alone differs) in which
/// `got` differs from `want`, with the block's index ("the long-name entry" etc.).
fn first_difference(got: &[u8], want: &[u8]) -> String {
    if got.len() != want.len() {
        return "the number of header blocks".into();
    }
    let blocks = got.len() / BLOCK;
    let mut checksum_only = None;
    for b in 0..blocks {
        let (g, w) = (&got[b * BLOCK..][..BLOCK], &want[b * BLOCK..][..BLOCK]);
        let what = if blocks > 1 && b + 1 < blocks {
            if b == 0 {
                "GNU long-name header"
            } else {
                "GNU long-name data"
            }
        } else {
            "header"
        };
        if what == "GNU long-name data" {
            if g != w {
                return "the GNU long-name data".into();
            }
            continue;
        }
        for (name, start, end) in FIELDS {
            if g[start..end] != w[start..end] {
                if name == "checksum" {
                    checksum_only.get_or_insert_with(|| format!("{what} field `checksum`"));
                    continue;
                }
                return format!(
                    "{what} field `{name}` ({:?}, expected {:?})",
                    show(&g[start..end]),
                    show(&w[start..end])
                );
            }
        }
    }
    checksum_only.unwrap_or_else(|| "a header".into())
}

/// A header field for a message: printable ASCII as is, the rest as `\xNN`, at most 40 bytes.
fn show(field: &[u8]) -> String {
    let mut s = String::new();
    for &b in field.iter().take(40) {
        if b.is_ascii_graphic() || b == b' ' {
            s.push(b as char);
        } else {
            s.push_str(&format!("\\x{b:02x}"));
        }
    }
    if field.len() > 40 {
        s.push('…');
    }
    s
}

/// A numeric header field: octal digits (ending at NUL or space), or GNU base-256 (high bit
/// set). `None` when it is neither or does not fit in 64 bits.
fn number(field: &[u8]) -> Option<u64> {
    if field[0] & 0x80 != 0 {
        let (high, low) = field.split_at(field.len() - 8);
        if high[0] != 0x80 || high[1..].iter().any(|&b| b != 0) {
            return None;
        }
        return Some(u64::from_be_bytes(low.try_into().ok()?));
    }
    let end = field
        .iter()
        .position(|&b| b == 0 || b == b' ')
        .unwrap_or(field.len());
    let digits = &field[..end];
    if digits.is_empty() || !digits.iter().all(|b| (b'0'..=b'7').contains(b)) {
        return None;
    }
    u64::from_str_radix(std::str::from_utf8(digits).ok()?, 8).ok()
}

/// The name field up to its first NUL.
fn name_field(block: &[u8]) -> &[u8] {
    let name = &block[..100];
    &name[..name.iter().position(|&b| b == 0).unwrap_or(100)]
}

/// Why an entry of a type other than `0`/`5` is refused.
fn type_failure(kind: u8, block: &[u8], path: String) -> Failure {
    let link = String::from_utf8_lossy(name_field(&block[157..])).into_owned();
    let (rule, detail) = match kind {
        b'1' => (
            Rule::Symlink,
            format!("hard link entry (to {link:?}); a packet holds regular files only"),
        ),
        b'2' => (
            Rule::Symlink,
            format!("symbolic link entry (to {link:?}); a packet holds regular files only"),
        ),
        b'x' => (
            Rule::SpecialFile,
            "PAX extended header: its records would change the next entry's path, size or owner for GNU tar, bsdtar and Python".into(),
        ),
        b'g' => (
            Rule::SpecialFile,
            "PAX global header: its records would apply to every later entry for GNU tar, bsdtar and Python".into(),
        ),
        b'K' => (Rule::SpecialFile, "GNU long link-name entry".into()),
        b'L' => (
            Rule::NonCanonicalArchive,
            "two GNU long-name entries in a row".into(),
        ),
        b'3' => (Rule::SpecialFile, "character device entry".into()),
        b'4' => (Rule::SpecialFile, "block device entry".into()),
        b'6' => (Rule::SpecialFile, "FIFO entry".into()),
        b'7' => (Rule::SpecialFile, "contiguous-file entry (type 7)".into()),
        b'S' => (Rule::SpecialFile, "GNU sparse-file entry".into()),
        b'D' => (Rule::SpecialFile, "GNU dump-directory entry".into()),
        b'M' => (Rule::SpecialFile, "GNU multi-volume continuation entry".into()),
        b'V' => (Rule::SpecialFile, "GNU volume label".into()),
        0 => (
            Rule::NonCanonicalArchive,
            "old-style regular file (type NUL); auditpack archive writes type `0`".into(),
        ),
        other => (
            Rule::SpecialFile,
            format!(
                "tar entry type {:?}, not a regular file or directory",
                other as char
            ),
        ),
    };
    Failure::new(
        rule,
        path,
        format!("{detail}; the rest of the archive is not read"),
    )
}

/// The strict tar reader: accepts exactly the entries [`write_archive`] writes, and stops at
/// the first header it would not have written.
struct TarReader<R> {
    inner: R,
    buf: Vec<u8>,
    /// The end-of-archive marker was read, and nothing after it.
    ended: bool,
}

impl<R: Read> TarReader<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            buf: vec![0u8; CHUNK],
            ended: false,
        }
    }

    /// Fills `out` completely; `Ok(false)` at a clean end of stream before any byte.
    fn fill(&mut self, out: &mut [u8], what: &str) -> Result<bool, Stop> {
        match read_full(&mut self.inner, out) {
            Ok(0) if !out.is_empty() => Ok(false),
            Ok(n) if n == out.len() => Ok(true),
            Ok(_) => Err(Stop::Fail(malformed(format!(
                "the archive is cut short in {what}"
            )))),
            Err(_) => Err(Stop::Stream),
        }
    }

    /// The next entry, or `None` after the end-of-archive marker (which must end the stream).
    fn next(&mut self) -> Result<Option<Head>, Stop> {
        let mut block = [0u8; BLOCK];
        if !self.fill(&mut block, "a header")? {
            return Err(Stop::Fail(malformed(
                "the archive ends without its end-of-archive marker (two zero blocks)",
            )));
        }
        if block.iter().all(|&b| b == 0) {
            return self.end().map(|()| None);
        }
        let mut raw = block.to_vec();
        let (main, long) = if block[156] == b'L' {
            let (name, main) = self.long_name(&block, &mut raw)?;
            (main, Some(name))
        } else {
            (block, None)
        };
        let (path, dir) = entry_path(&main, long)?;
        check_header(&main, path, dir, &raw).map(Some)
    }

    /// Reads the GNU long-name entry whose header is `block` and the header it names:
    /// returns the name (without its NUL) and that header; appends both to `raw`.
    fn long_name(
        &mut self,
        block: &[u8; BLOCK],
        raw: &mut Vec<u8>,
    ) -> Result<(Vec<u8>, [u8; BLOCK]), Stop> {
        let lossy = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        let noncanon = |d: &str| {
            Stop::Fail(Failure::new(
                Rule::NonCanonicalArchive,
                lossy(name_field(block)),
                format!("GNU long-name entry: {d}; the rest of the archive is not read"),
            ))
        };
        let size = number(&block[124..136]).ok_or_else(|| noncanon("unreadable size"))?;
        if size > (MAX_PATH_BYTES + 1) as u64 {
            return Err(Stop::Fail(Failure::new(
                Rule::SizeLimit,
                lossy(name_field(block)),
                format!(
                    "GNU long-name entry of {size} bytes; paths are at most {MAX_PATH_BYTES} bytes; the rest of the archive is not read"
                ),
            )));
        }
        let size = size as usize;
        let mut data = vec![0u8; size.div_ceil(BLOCK) * BLOCK];
        if size < 2 || !self.fill(&mut data, "a GNU long-name entry")? {
            return Err(noncanon("no name"));
        }
        if data[size - 1] != 0 || data[..size - 1].contains(&0) {
            return Err(noncanon("the name is not one NUL-terminated string"));
        }
        raw.extend_from_slice(&data);
        let mut main = [0u8; BLOCK];
        if !self.fill(&mut main, "a header")? || main.iter().all(|&b| b == 0) {
            return Err(noncanon("no entry follows it"));
        }
        raw.extend_from_slice(&main);
        data.truncate(size - 1);
        Ok((data, main))
    }

    /// After a first zero block: exactly one more, then the end of the stream.
    fn end(&mut self) -> Result<(), Stop> {
        let mut block = [0u8; BLOCK];
        if !self.fill(&mut block, "the end-of-archive marker")? {
            return Err(Stop::Fail(Failure::new(
                Rule::NonCanonicalArchive,
                "",
                "the end-of-archive marker is one zero block; auditpack archive writes two",
            )));
        }
        if block.iter().any(|&b| b != 0) {
            return Err(Stop::Fail(Failure::new(
                Rule::TrailingData,
                "",
                "a zero block is followed by more entries; some readers stop there, others read on",
            )));
        }
        let mut probe = [0u8; 1];
        match read_full(&mut self.inner, &mut probe) {
            Ok(0) => {
                self.ended = true;
                Ok(())
            }
            Ok(_) => Err(Stop::Fail(Failure::new(
                Rule::TrailingData,
                "",
                "data follows the end-of-archive marker (two zero blocks)",
            ))),
            Err(_) => {
                // The tar part was complete; the gzip layer failed after it.
                self.ended = true;
                Err(Stop::Stream)
            }
        }
    }

    /// Reads an entry's data (handing it to `sink`) and its zero padding.
    fn data(&mut self, path: &str, size: u64, mut sink: impl FnMut(&[u8])) -> Result<(), Stop> {
        let mut left = size;
        let mut buf = std::mem::take(&mut self.buf);
        let result = (|| {
            while left > 0 {
                let want = buf.len().min(left.min(usize::MAX as u64) as usize);
                match self.inner.read(&mut buf[..want]) {
                    Ok(0) => {
                        return Err(Stop::Fail(Failure::new(
                            Rule::MalformedArchive,
                            path.to_string(),
                            "the archive is cut short in this file's data",
                        )));
                    }
                    Ok(n) => {
                        sink(&buf[..n]);
                        left -= n as u64;
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(_) => return Err(Stop::Stream),
                }
            }
            let pad = ((BLOCK as u64 - size % BLOCK as u64) % BLOCK as u64) as usize;
            let mut padding = [0u8; BLOCK];
            if !self.fill(&mut padding[..pad], "padding")? && pad > 0 {
                return Err(Stop::Fail(malformed("the archive is cut short in padding")));
            }
            if padding.iter().any(|&b| b != 0) {
                return Err(Stop::Fail(Failure::new(
                    Rule::NonCanonicalArchive,
                    path.to_string(),
                    "the padding after this file's data is not zeros; the rest of the archive is not read",
                )));
            }
            Ok(())
        })();
        self.buf = buf;
        result
    }
}

/// The path of the entry whose header is `main` (named by `long` when a GNU long-name entry
/// came first), without a directory's trailing `/`, and whether it is a directory. Refuses
/// names that are not UTF-8 or not safe, and entries other than files and directories.
fn entry_path(main: &[u8; BLOCK], long: Option<Vec<u8>>) -> Result<(String, bool), Stop> {
    let name = long.unwrap_or_else(|| name_field(main).to_vec());
    let kind = main[156];
    let Ok(name) = String::from_utf8(name) else {
        return Err(Stop::Fail(Failure::new(
            Rule::UnsafePath,
            String::from_utf8_lossy(name_field(main)).into_owned(),
            "entry name is not valid UTF-8; the rest of the archive is not read",
        )));
    };
    if kind != b'0' && kind != b'5' {
        return Err(Stop::Fail(type_failure(kind, main, name)));
    }
    let dir = kind == b'5';
    let path = if dir {
        name.strip_suffix('/').unwrap_or(&name)
    } else {
        &name
    };
    if let Some(problem) = path_problem(path) {
        return Err(Stop::Fail(Failure::new(
            Rule::UnsafePath,
            name.clone(),
            format!("archive entry: {problem}; the rest of the archive is not read"),
        )));
    }
    Ok((path.to_string(), dir))
}

/// Reads the size and mtime of the header `main` and checks that `raw` (every block read
/// for this entry) is byte for byte what [`write_archive`] writes for them.
fn check_header(main: &[u8; BLOCK], path: String, dir: bool, raw: &[u8]) -> Result<Head, Stop> {
    let noncanon = |d: String| {
        Stop::Fail(Failure::new(
            Rule::NonCanonicalArchive,
            path.clone(),
            format!("{d}; the rest of the archive is not read"),
        ))
    };
    let size = number(&main[124..136])
        .ok_or_else(|| noncanon(format!("unreadable size field {:?}", show(&main[124..136]))))?;
    let mtime = number(&main[136..148]).ok_or_else(|| {
        noncanon(format!(
            "unreadable mtime field {:?}",
            show(&main[136..148])
        ))
    })?;
    if dir && size != 0 {
        return Err(Stop::Fail(Failure::new(
            Rule::DirectoryWithData,
            path,
            format!(
                "directory entry with size {size}: the tar crate would skip those bytes, GNU tar and Python would read them as entries; the rest of the archive is not read"
            ),
        )));
    }
    let want = header_blocks(&path, dir, size, mtime)
        .map_err(|e| noncanon(format!("cannot be an archive entry ({e})")))?;
    if want != raw {
        return Err(noncanon(format!(
            "{} differs from what auditpack archive writes",
            first_difference(raw, &want)
        )));
    }
    Ok(Head {
        path,
        dir,
        size,
        mtime,
    })
}

/// Reads a `.tar.gz` packet as a stream: keeps the manifest, signatures and `packet.json` in
/// memory, hashes every other regular file, and records every entry that breaks a rule.
/// Never writes to disk; never panics on hostile input; memory stays bounded (no header
/// metadata beyond [`MAX_PATH_BYTES`] is kept).
///
/// With `gate`, content is hashed only once `SHA256SUMS.sig` verifies against one of its
/// keys: an untrusted manifest is refused after the seal files, without reading on.
pub(crate) fn collect(
    reader: impl Read + Send,
    limits: &Limits,
    gate: Option<&TrustStore>,
) -> Collected {
    let (mut c, gz) = with_stream(reader, limits, |stream| collect_tar(stream, limits, gate));
    match gz {
        Some(f) => {
            c.incomplete |= !c.tar_ended;
            c.problems.insert(0, f);
        }
        None if c.stream_failed => c.problems.insert(0, malformed("the gzip stream failed")),
        None => {}
    }
    c
}

/// Records where reading stopped.
fn stopped<R>(c: &mut Collected, tar: &TarReader<R>, stop: Stop) {
    match stop {
        Stop::Fail(f) => c.problems.push(f),
        Stop::Stream => c.stream_failed = true,
    }
    c.tar_ended = tar.ended;
    c.incomplete = !tar.ended;
}

/// Reads a file the verifier keeps in memory: `Ok(None)` (recorded as `size-limit`, data
/// skipped) when it is over `cap`, `Err` when reading stopped.
fn keep<R: Read>(
    tar: &mut TarReader<R>,
    c: &mut Collected,
    head: &Head,
    cap: u64,
) -> Result<Option<Vec<u8>>, ()> {
    if head.size > cap {
        c.problems.push(Failure::new(
            Rule::SizeLimit,
            head.path.clone(),
            format!("{} bytes; larger than {cap}", head.size),
        ));
        return match tar.data(&head.path, head.size, |_| {}) {
            Ok(()) => Ok(None),
            Err(stop) => {
                stopped(c, tar, stop);
                Err(())
            }
        };
    }
    let mut bytes = Vec::with_capacity(head.size.min(1 << 20) as usize);
    match tar.data(&head.path, head.size, |b| bytes.extend_from_slice(b)) {
        Ok(()) => Ok(Some(bytes)),
        Err(stop) => {
            stopped(c, tar, stop);
            Err(())
        }
    }
}

fn collect_tar(stream: impl Read, limits: &Limits, gate: Option<&TrustStore>) -> Collected {
    let mut tar = TarReader::new(stream);
    let mut walk = TarWalk::new(limits, gate);
    loop {
        let head = match tar.next() {
            Ok(Some(h)) => h,
            Ok(None) => break,
            Err(stop) => {
                stopped(&mut walk.c, &tar, stop);
                return walk.c;
            }
        };
        if walk.entry(&mut tar, head).is_break() {
            return walk.c;
        }
    }
    walk.finish()
}

/// One pass of [`collect_tar`] over an archive's entries: what has been collected so far,
/// and what the layout rules need to remember between entries.
struct TarWalk<'a> {
    c: Collected,
    limits: &'a Limits,
    /// Content is read only when the seal files are signed by a key of this store.
    gate: Option<&'a TrustStore>,
    /// The first slot of [`SEAL_FILES`] that may still come.
    seal_next: usize,
    /// Whether the seal files are behind us.
    in_content: bool,
    /// The sort key of the last content entry (`dir/` for a folder).
    previous: Option<String>,
    seen: BTreeSet<String>,
    /// The first entry's mtime, which every entry must share.
    mtime: Option<u64>,
    count: usize,
}

impl<'a> TarWalk<'a> {
    fn new(limits: &'a Limits, gate: Option<&'a TrustStore>) -> Self {
        TarWalk {
            c: Collected::default(),
            limits,
            gate,
            seal_next: 0,
            in_content: false,
            previous: None,
            seen: BTreeSet::new(),
            mtime: None,
            count: 0,
        }
    }

    fn gate_passes(&self) -> bool {
        self.gate.is_none_or(|trust| {
            signed_by_trusted(self.c.manifest.as_deref(), self.c.sig.as_deref(), trust)
        })
    }

    /// Takes one entry; `Break` when nothing more is to be read.
    fn entry<R: Read>(&mut self, tar: &mut TarReader<R>, head: Head) -> ControlFlow<()> {
        self.count_entry()?;
        self.check_mtime(&head);
        let seal_slot = if head.dir {
            None
        } else {
            SEAL_FILES.iter().position(|s| *s == head.path)
        };
        if !self.in_content {
            if let Some(slot) = seal_slot.filter(|&s| s >= self.seal_next) {
                return self.seal_file(tar, &head, slot);
            }
            self.in_content = true;
            if !self.gate_passes() {
                // Nothing after the seal files is read: an untrusted manifest proves nothing.
                self.c.content_skipped = true;
                return ControlFlow::Break(());
            }
        }
        if let Some(problem) = self.misplaced(&head, seal_slot.is_some()) {
            self.c.problems.push(problem);
            return self.skip(tar, &head);
        }
        self.check_order(&head);
        if head.dir {
            self.c.dirs.insert(head.path);
            return ControlFlow::Continue(());
        }
        self.content_file(tar, head)
    }

    /// Counts the entry against `max_entries`; past it the archive is not read further.
    fn count_entry(&mut self) -> ControlFlow<()> {
        self.count += 1;
        if self.count <= self.limits.max_entries {
            return ControlFlow::Continue(());
        }
        self.c.problems.push(Failure::new(
            Rule::SizeLimit,
            "",
            format!(
                "more than {} entries; not read further",
                self.limits.max_entries
            ),
        ));
        self.c.incomplete = true;
        ControlFlow::Break(())
    }

    /// Every entry carries the first entry's mtime.
    fn check_mtime(&mut self, head: &Head) {
        match self.mtime {
            None => self.mtime = Some(head.mtime),
            Some(m) if m != head.mtime => self.c.problems.push(Failure::new(
                Rule::NonCanonicalArchive,
                head.path.clone(),
                format!(
                    "mtime {} differs from the first entry's {m}; auditpack archive gives every entry the seal time",
                    head.mtime
                ),
            )),
            Some(_) => {}
        }
    }

    /// Keeps the seal file of `slot` (the manifest or one of its signatures) in memory.
    fn seal_file<R: Read>(
        &mut self,
        tar: &mut TarReader<R>,
        head: &Head,
        slot: usize,
    ) -> ControlFlow<()> {
        self.seal_next = slot + 1;
        self.seen.insert(head.path.clone());
        let cap = match slot {
            0 | 3 => MAX_MANIFEST,
            _ => MAX_SIGNATURE,
        };
        let bytes = match keep(tar, &mut self.c, head, cap) {
            Err(()) => return ControlFlow::Break(()),
            Ok(None) => return ControlFlow::Continue(()),
            Ok(Some(bytes)) => bytes,
        };
        match slot {
            0 => self.c.manifest = Some(bytes),
            1 => self.c.sig = Some(bytes),
            2 => self.c.sshsig = Some(bytes),
            _ => self.c.dsse = Some(bytes),
        }
        ControlFlow::Continue(())
    }

    /// A content entry that must not be there at all: a second entry for a path, or a seal
    /// file out of its place. Records the path as seen.
    fn misplaced(&mut self, head: &Head, is_seal_file: bool) -> Option<Failure> {
        if !self.seen.insert(head.path.clone()) {
            return Some(Failure::new(
                Rule::DuplicateEntry,
                head.path.clone(),
                "the archive holds this path more than once",
            ));
        }
        is_seal_file.then(|| {
            Failure::new(
                Rule::ArchiveLayout,
                head.path.clone(),
                "SHA256SUMS and its signatures come first, in that order, before any other entry",
            )
        })
    }

    /// Content entries are sorted by path bytes, each after its folder's entry.
    fn check_order(&mut self, head: &Head) {
        let key = if head.dir {
            format!("{}/", head.path)
        } else {
            head.path.clone()
        };
        if let Some(prev) = &self.previous
            && prev.as_bytes() >= key.as_bytes()
        {
            self.c.problems.push(Failure::new(
                Rule::ArchiveLayout,
                head.path.clone(),
                format!("comes after {prev:?}; entries are sorted by path bytes"),
            ));
        }
        self.previous = Some(key);
        if let Some((parent, _)) = head.path.rsplit_once('/')
            && !self.c.dirs.contains(parent)
        {
            self.c.problems.push(Failure::new(
                Rule::ArchiveLayout,
                head.path.clone(),
                format!("no folder entry {parent}/ comes before it"),
            ));
        }
    }

    /// Hashes a content file; `packet.json` is also kept in memory.
    fn content_file<R: Read>(&mut self, tar: &mut TarReader<R>, head: Head) -> ControlFlow<()> {
        if head.path == PACKET_JSON {
            let bytes = match keep(tar, &mut self.c, &head, MAX_PACKET_JSON) {
                Err(()) => return ControlFlow::Break(()),
                Ok(None) => return ControlFlow::Continue(()),
                Ok(Some(bytes)) => bytes,
            };
            self.c
                .files
                .insert(head.path.clone(), Sha256::digest(&bytes).into());
            self.c.packet_json = Some(bytes);
            return ControlFlow::Continue(());
        }
        let mut hasher = Sha256::new();
        if let Err(stop) = tar.data(&head.path, head.size, |b| hasher.update(b)) {
            stopped(&mut self.c, tar, stop);
            return ControlFlow::Break(());
        }
        self.c.files.insert(head.path, hasher.finalize().into());
        ControlFlow::Continue(())
    }

    /// Skips an entry's data.
    fn skip<R: Read>(&mut self, tar: &mut TarReader<R>, head: &Head) -> ControlFlow<()> {
        match tar.data(&head.path, head.size, |_| {}) {
            Ok(()) => ControlFlow::Continue(()),
            Err(stop) => {
                stopped(&mut self.c, tar, stop);
                ControlFlow::Break(())
            }
        }
    }

    /// The rules that need the whole archive, once the tar has ended.
    fn finish(mut self) -> Collected {
        self.c.tar_ended = true;
        if self.count == 0 {
            self.c
                .problems
                .push(malformed("the archive holds no entries"));
            return self.c;
        }
        if !self.in_content && !self.gate_passes() {
            self.c.content_skipped = true;
            return self.c;
        }
        self.check_empty_dirs();
        self.check_seal_time();
        self.c
    }

    /// Every folder entry holds at least one file: a manifest lists files only.
    fn check_empty_dirs(&mut self) {
        for d in &self.c.dirs {
            let prefix = format!("{d}/");
            let used = self
                .seen
                .range(prefix.clone()..)
                .next()
                .is_some_and(|p| p.starts_with(&prefix));
            if !used {
                self.c.problems.push(Failure::new(
                    Rule::EmptyDirectory,
                    d.clone(),
                    "empty directory: a manifest lists files only",
                ));
            }
        }
    }

    /// The entries' shared mtime is packet.json's `sealedAt`.
    fn check_seal_time(&mut self) {
        let (meta, _) = packet_meta(self.c.packet_json.as_deref());
        if let (Some(m), Some(sealed)) = (self.mtime, meta.sealed_at)
            && m != archive_mtime(Some(sealed))
        {
            self.c.problems.push(Failure::new(
                Rule::NonCanonicalArchive,
                "",
                format!(
                    "the entries' mtime {m} is not packet.json's sealedAt ({})",
                    archive_mtime(Some(sealed))
                ),
            ));
        }
    }
}

fn stop_err(s: Stop) -> Option<Failure> {
    match s {
        Stop::Fail(f) => Some(f),
        Stop::Stream => None,
    }
}

/// Reads the named files of an archive into memory (paths as in the manifest), stopping
/// once all are found. The archive must be in the form `auditpack archive` writes (the same
/// strict reader as `verify`), but nothing is verified: verify the archive first when it
/// matters.
pub fn find_in_archive(path: &Path, wanted: &[&str]) -> io::Result<Vec<Option<Vec<u8>>>> {
    let file = File::open(path)?;
    let not_ours = |f: Failure| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("not an archive as auditpack archive writes it: {f}"),
        )
    };
    let (found, gz) = with_stream(file, &Limits::default(), |stream| {
        let mut tar = TarReader::new(stream);
        let mut found: Vec<Option<Vec<u8>>> = vec![None; wanted.len()];
        while let Some(head) = tar.next().map_err(stop_err)? {
            let slot = wanted
                .iter()
                .position(|w| *w == head.path)
                .filter(|&i| !head.dir && found[i].is_none());
            let Some(i) = slot else {
                tar.data(&head.path, head.size, |_| {}).map_err(stop_err)?;
                continue;
            };
            let cap = if head.path == PACKET_JSON {
                MAX_PACKET_JSON
            } else {
                MAX_MANIFEST
            };
            if head.size > cap {
                return Err(Some(Failure::new(
                    Rule::SizeLimit,
                    head.path.clone(),
                    format!("{} bytes; larger than {cap}", head.size),
                )));
            }
            let mut bytes = Vec::with_capacity(head.size.min(1 << 20) as usize);
            tar.data(&head.path, head.size, |b| bytes.extend_from_slice(b))
                .map_err(stop_err)?;
            found[i] = Some(bytes);
            if found.iter().all(Option::is_some) {
                break;
            }
        }
        Ok(found)
    });
    match (found, gz) {
        (Ok(found), None) => Ok(found),
        (Ok(found), Some(_)) if found.iter().all(Option::is_some) => Ok(found),
        (_, Some(f)) | (Err(Some(f)), None) => Err(not_ours(f)),
        (Err(None), None) => Err(not_ours(malformed("the gzip stream failed"))),
    }
}
