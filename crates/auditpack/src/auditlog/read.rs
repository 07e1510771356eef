//! Reading: one thread reads (and un-gzips, and hashes) the files into chunks that end at
//! a newline; the caller parses them on rayon and merges the results in order.

use std::io::{self, BufReader, Read};
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, SyncSender};

use flate2::bufread::MultiGzDecoder;
use sha2::{Digest, Sha256};

/// Bytes per chunk handed to one rayon task.
pub(crate) const CHUNK: usize = 2 << 20;

/// A line longer than this is reported and skipped, not held in memory.
pub(crate) const MAX_LINE: usize = 64 << 20;

/// What the reader thread sends.
pub(crate) enum Msg {
    /// A file was opened.
    Start { file: usize, gzip: bool },
    /// Whole lines of text (the last chunk of a file may lack its final newline).
    Chunk { data: Vec<u8> },
    /// A line longer than [`MAX_LINE`] was skipped.
    LongLine,
    /// Reading failed part-way (corrupt or truncated gzip, I/O error): what was read
    /// before stands.
    ReadError { error: io::Error },
    /// The file is done.
    End { sha256: Option<String> },
    /// A file could not be opened: the run stops.
    OpenError { file: usize, error: io::Error },
}

/// A reader that hashes every byte it passes on.
struct Hashing<R> {
    inner: R,
    hasher: Option<Sha256>,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(h) = self.hasher.as_mut() {
            h.update(&buf[..n]);
        }
        Ok(n)
    }
}

/// Reads every file in order and sends its chunks. Stops early when the receiver hangs up.
/// Buffers sent back on `pool` are reused, so memory is not re-faulted for every chunk.
pub(crate) fn read_all(
    files: &[PathBuf],
    hash: bool,
    tx: &SyncSender<Msg>,
    pool: &Receiver<Vec<u8>>,
) {
    for (i, path) in files.iter().enumerate() {
        // Opened by the input rules (regular files only, links only within their folder).
        let f = match crate::infile::open_named(path) {
            Ok(f) => f,
            Err(e) => {
                let error = match e {
                    crate::infile::InputError::Io { source, .. } => source,
                    other => io::Error::other(other.to_string()),
                };
                let _ = tx.send(Msg::OpenError { file: i, error });
                return;
            }
        };
        let mut src = Hashing {
            inner: f,
            hasher: hash.then(Sha256::new),
        };
        // The first bytes tell gzip (1f 8b) from text.
        let mut head = Vec::with_capacity(64 * 1024);
        let mut head_err = None;
        while head.len() < 2 {
            match src.by_ref().take(64 * 1024).read_to_end(&mut head) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    head_err = Some(e);
                    break;
                }
            }
        }
        let gzip = head.starts_with(&[0x1f, 0x8b]);
        if tx.send(Msg::Start { file: i, gzip }).is_err() {
            return;
        }
        let (ok, mut src) = if let Some(error) = head_err {
            (tx.send(Msg::ReadError { error }).is_ok(), src)
        } else if gzip {
            let mut dec = MultiGzDecoder::new(BufReader::with_capacity(
                1 << 20,
                io::Cursor::new(head).chain(src),
            ));
            let ok = chunks(&mut dec, Vec::new(), tx, pool);
            (ok, dec.into_inner().into_inner().into_inner().1)
        } else {
            let ok = chunks(&mut src, head, tx, pool);
            (ok, src)
        };
        if !ok {
            return;
        }
        // Hash what was left unread (trailing bytes after a corrupt stream).
        let sha256 = match src.hasher.is_some() {
            true => {
                let _ = io::copy(&mut src, &mut io::sink());
                src.hasher.map(|h| hex::encode(h.finalize()))
            }
            false => None,
        };
        if tx.send(Msg::End { sha256 }).is_err() {
            return;
        }
    }
}

/// Sends the text of `src` (after the bytes already in `carry`) in chunks that end at a
/// newline. False when the receiver hung up.
fn chunks<R: Read>(
    src: &mut R,
    mut carry: Vec<u8>,
    tx: &SyncSender<Msg>,
    pool: &Receiver<Vec<u8>>,
) -> bool {
    loop {
        let mut data = pool
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(CHUNK + 128 * 1024));
        data.clear();
        data.append(&mut carry);
        let mut eof = false;
        let mut failed = None;
        let mut scanned = 0usize;
        let mut long_line = false;
        // Fill to CHUNK, and on until a newline if the chunk holds none (a long line).
        loop {
            let want = (CHUNK.saturating_sub(data.len())).max(64 * 1024) as u64;
            match src.by_ref().take(want).read_to_end(&mut data) {
                Ok(0) => {
                    eof = true;
                    break;
                }
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
            if data.len() >= CHUNK {
                if memchr::memrchr(b'\n', &data[scanned..]).is_some() {
                    break;
                }
                scanned = data.len();
                if data.len() > MAX_LINE {
                    long_line = true;
                    break;
                }
            }
        }
        if long_line {
            // One line (the chunk starts at a line start and holds no newline) longer than
            // any audit event: report it and skip to its end rather than buffer it.
            if tx.send(Msg::LongLine).is_err() {
                return false;
            }
            loop {
                data.clear();
                match src.by_ref().take(CHUNK as u64).read_to_end(&mut data) {
                    Ok(0) => return true,
                    Ok(_) => {}
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(error) => return tx.send(Msg::ReadError { error }).is_ok(),
                }
                if let Some(nl) = memchr::memchr(b'\n', &data) {
                    carry.extend_from_slice(&data[nl + 1..]);
                    break;
                }
            }
            continue;
        }
        if eof || failed.is_some() {
            if !data.is_empty() && tx.send(Msg::Chunk { data }).is_err() {
                return false;
            }
            if let Some(error) = failed {
                return tx.send(Msg::ReadError { error }).is_ok();
            }
            return true;
        }
        let cut = memchr::memrchr(b'\n', &data).expect("checked above") + 1;
        carry.extend_from_slice(&data[cut..]);
        data.truncate(cut);
        if tx.send(Msg::Chunk { data }).is_err() {
            return false;
        }
    }
}

/// The time (µs since the epoch) of the first event in a log file, plain or gzip: the first
/// of its first 16 lines that parses as an event with a time. Reads at most 16 lines of
/// 1 MiB. `None` for a file that does not start with events (a document-form log, an empty
/// or unreadable file).
pub(crate) fn first_event_time(path: &std::path::Path) -> Option<i64> {
    use std::io::BufRead;
    let mut r = BufReader::new(crate::infile::open_named(path).ok()?);
    let gzip = r.fill_buf().ok()?.starts_with(&[0x1f, 0x8b]);
    let mut src: Box<dyn BufRead> = if gzip {
        Box::new(BufReader::new(MultiGzDecoder::new(r)))
    } else {
        Box::new(r)
    };
    let mut line = Vec::new();
    for _ in 0..16 {
        line.clear();
        src.as_mut()
            .take(1 << 20)
            .read_until(b'\n', &mut line)
            .ok()?;
        if line.is_empty() {
            return None;
        }
        let Ok(ev) = serde_json::from_slice::<super::event::Event<'_>>(&line) else {
            continue;
        };
        if let Some(t) = ev.time_text().and_then(super::event::parse_micros) {
            return Some(t);
        }
    }
    None
}
