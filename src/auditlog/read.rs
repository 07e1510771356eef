//! Reading: one thread reads (and un-gzips, and hashes) the files into chunks that end at
//! a newline; the caller parses batches of chunks on rayon and merges them in order.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::PathBuf;
use std::sync::mpsc::SyncSender;

use flate2::bufread::MultiGzDecoder;
use sha2::{Digest, Sha256};

/// Bytes per chunk handed to one rayon task.
pub(crate) const CHUNK: usize = 2 << 20;

/// What the reader thread sends.
pub(crate) enum Msg {
    /// A file was opened.
    Start { file: usize, gzip: bool },
    /// Whole lines of text (the last chunk of a file may lack its final newline).
    Chunk { data: Vec<u8> },
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
pub(crate) fn read_all(files: &[PathBuf], hash: bool, tx: &SyncSender<Msg>) {
    for (i, path) in files.iter().enumerate() {
        let f = match File::open(path) {
            Ok(f) => f,
            Err(error) => {
                let _ = tx.send(Msg::OpenError { file: i, error });
                return;
            }
        };
        let hashing = Hashing {
            inner: f,
            hasher: hash.then(Sha256::new),
        };
        let mut buf = BufReader::with_capacity(1 << 20, hashing);
        let gzip = match buf.fill_buf() {
            Ok(head) => head.starts_with(&[0x1f, 0x8b]),
            Err(_) => false,
        };
        if tx.send(Msg::Start { file: i, gzip }).is_err() {
            return;
        }
        let (ok, mut hashing) = if gzip {
            let mut dec = MultiGzDecoder::new(buf);
            let ok = chunks(&mut dec, tx);
            (ok, dec.into_inner().into_inner())
        } else {
            let ok = chunks(&mut buf, tx);
            (ok, buf.into_inner())
        };
        if !ok {
            return;
        }
        // Hash what the decoder left unread (trailing bytes after a corrupt stream).
        let sha256 = match hashing.hasher.is_some() {
            true => {
                let _ = io::copy(&mut hashing, &mut io::sink());
                hashing.hasher.map(|h| hex::encode(h.finalize()))
            }
            false => None,
        };
        if tx.send(Msg::End { sha256 }).is_err() {
            return;
        }
    }
}

/// Sends the text of `src` in chunks that end at a newline. False when the receiver hung
/// up.
fn chunks<R: Read>(src: &mut R, tx: &SyncSender<Msg>) -> bool {
    let mut carry: Vec<u8> = Vec::new();
    loop {
        let mut data = Vec::with_capacity(CHUNK + carry.len() + 64 * 1024);
        data.append(&mut carry);
        let mut eof = false;
        let mut failed = None;
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
            if data.len() >= CHUNK && memchr::memrchr(b'\n', &data).is_some() {
                break;
            }
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
