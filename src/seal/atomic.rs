//! Atomic file writes: write a temporary file in the target's folder, fsync, rename, fsync
//! the folder. A failure leaves the target untouched and removes the temporary file.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A temporary file that becomes `target` on [`TempFile::commit`] and disappears if dropped
/// uncommitted.
#[derive(Debug)]
pub(crate) struct TempFile {
    temp: PathBuf,
    target: PathBuf,
    file: Option<File>,
}

impl TempFile {
    /// Creates the temporary file in `dir` (which must be `target`'s folder).
    pub fn new(dir: &Path, target: &Path) -> io::Result<Self> {
        let base = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let temp = dir.join(format!(".{base}.auditpack-tmp-{}-{n}", std::process::id()));
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o644)
            .open(&temp)?;
        Ok(Self {
            temp,
            target: target.to_path_buf(),
            file: Some(file),
        })
    }

    /// The open temporary file.
    pub fn file(&self) -> &File {
        self.file.as_ref().expect("file is present until commit")
    }

    /// fsyncs the data (call before any commit of a group, so all data is durable first).
    pub fn sync(&self) -> io::Result<()> {
        self.file().sync_all()
    }

    /// fsyncs, renames onto the target, fsyncs the folder.
    pub fn commit(mut self) -> io::Result<()> {
        let file = self.file.take().expect("file is present until commit");
        file.sync_all()?;
        drop(file);
        fs::rename(&self.temp, &self.target)?;
        if let Some(dir) = self.target.parent() {
            let dir = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            };
            File::open(dir)?.sync_all()?;
        }
        self.temp = PathBuf::new();
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.temp.as_os_str().is_empty() {
            let _ = fs::remove_file(&self.temp);
        }
    }
}

/// Writes `bytes` to a temporary file beside `target`, fsynced, not yet renamed.
pub(crate) fn stage(target: &Path, bytes: &[u8]) -> io::Result<TempFile> {
    let dir = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = TempFile::new(dir, target)?;
    let mut file: &File = tmp.file();
    file.write_all(bytes)?;
    tmp.sync()?;
    Ok(tmp)
}
